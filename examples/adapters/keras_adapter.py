#!/usr/bin/env python3
"""Keras 3 on the JAX backend through `logloss-proofs conform`: keras.losses.

    logloss-proofs conform --cmd "python examples/adapters/keras_adapter.py"

Convention shown: the documented way, and its clipping is the library's.
keras.losses.CategoricalCrossentropy takes probabilities (from_logits=False)
or logits (from_logits=True); keras.losses.KLDivergence takes probabilities.
CategoricalCrossentropy clips q into [eps, 1 - eps] and KLDivergence clips
both p and q into [eps, 1], eps = keras.config.epsilon() = 1e-7, before the
logarithm: CE and KL are finite where q = 0 < p, and move wherever an entry
lies beyond the clip. That is Keras's result, not this file's.
reduction=None gives one loss per row, "sum" the sum and
"sum_over_batch_size" the sum divided by the rows. Keras has no entropy
loss, so entropy is answered as unsupported; the gradient is jax.grad of
the loss object's call, as in a JAX training step.

The backend is chosen before keras is imported; the losses compute in the
precision the kit asks for (float64 with jax_enable_x64, or float32).
"""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import keras  # noqa: E402

from protocol import Unsupported, serve  # noqa: E402

#: The protocol's reductions as Keras names them.
REDUCTION = {"none": None, "sum": "sum", "batchmean": "sum_over_batch_size"}
dtype = "float64"


def start(precision):
    global dtype
    jax.config.update("jax_enable_x64", precision == "f64")
    dtype = "float64" if precision == "f64" else "float32"


def answered(loss):
    """Per-row losses as "values", a reduced one as "value"."""
    loss = keras.ops.convert_to_numpy(loss)
    return {"values": loss.tolist()} if loss.ndim == 1 else {"value": loss.item()}


def answer(request):
    op, reduction = request["op"], REDUCTION[request["reduction"]]
    p = keras.ops.convert_to_tensor(request["p"], dtype=dtype)
    if op == "cross_entropy":
        loss = keras.losses.CategoricalCrossentropy(reduction=reduction, dtype=dtype)
        return answered(loss(p, keras.ops.convert_to_tensor(request["q"], dtype=dtype)))
    if op == "kl_divergence":
        loss = keras.losses.KLDivergence(reduction=reduction, dtype=dtype)
        return answered(loss(p, keras.ops.convert_to_tensor(request["q"], dtype=dtype)))
    if op not in ("cross_entropy_logits", "cross_entropy_logits_grad"):
        raise Unsupported()  # entropy: Keras has no loss for it
    z = keras.ops.convert_to_tensor(request["logits"], dtype=dtype)
    loss = keras.losses.CategoricalCrossentropy(
        from_logits=True, reduction=reduction, dtype=dtype
    )
    if op == "cross_entropy_logits":
        return answered(loss(p, z))
    # Under 'none' the gradient is that of the per-row losses' sum.
    grad = jax.grad(lambda z: keras.ops.sum(loss(p, z)))(z)
    return {"values": keras.ops.convert_to_numpy(grad).tolist()}


serve(answer, start)
