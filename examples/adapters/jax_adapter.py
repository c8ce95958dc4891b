#!/usr/bin/env python3
"""JAX with optax through `logloss-proofs conform`: optax's losses, jax.grad.

    logloss-proofs conform --cmd "python examples/adapters/jax_adapter.py"
    logloss-proofs conform --cmd "python examples/adapters/jax_adapter.py special"

Conventions shown: two documented ways for probabilities q, one per run.
By default optax's: optax.softmax_cross_entropy(logits, labels) with the
logits ln q, and optax.kl_divergence(ln q, p). Both multiply p by ln q, so
where p = q = 0 they meet 0·(-inf) and answer NaN: optax's result, not this
file's. With the argument `special`, jax.scipy.special's: CE as the row sum
of -xlogy(p, q) and KL as that of rel_entr(p, q), which take 0·ln 0 as 0.
Either way the logits go to optax.softmax_cross_entropy, the entropy is
jax.scipy.special.entr summed over each row, the batch reduction is the
user's (optax returns one loss per row; jnp.sum, jnp.mean), and the gradient
is jax.grad of the reduced loss.

JAX computes in float32 unless jax_enable_x64 is set, so it is set when the
kit asks for f64. JAX compiles each operation once per input shape, so the
first request of each new shape is slow.
"""

import sys

import jax
import jax.numpy as jnp
import optax
from jax.scipy.special import entr, rel_entr, xlogy

from protocol import Unsupported, serve

if sys.argv[1:] not in ([], ["special"]):
    sys.exit("usage: jax_adapter.py [special]")
SPECIAL = sys.argv[1:] == ["special"]
dtype = jnp.float64


def start(precision):
    global dtype
    jax.config.update("jax_enable_x64", precision == "f64")
    dtype = jnp.float64 if precision == "f64" else jnp.float32


def reduced(losses, reduction):
    """The per-row losses reduced as the protocol asks (none: unchanged)."""
    if reduction == "sum":
        return jnp.sum(losses)
    if reduction == "batchmean":
        return jnp.mean(losses)
    return losses


def answered(loss):
    """Per-row losses as "values", a reduced one as "value"."""
    if loss.ndim == 1:
        return {"values": loss.tolist()}
    return {"value": loss.item()}


def answer(request):
    op, reduction = request["op"], request["reduction"]
    p = jnp.asarray(request["p"], dtype=dtype)
    if op == "entropy":
        return answered(reduced(jnp.sum(entr(p), axis=1), reduction))
    if op in ("cross_entropy", "kl_divergence"):
        q = jnp.asarray(request["q"], dtype=dtype)
        if SPECIAL:
            terms = -xlogy(p, q) if op == "cross_entropy" else rel_entr(p, q)
            losses = jnp.sum(terms, axis=1)
        elif op == "cross_entropy":
            losses = optax.softmax_cross_entropy(jnp.log(q), p)
        else:
            losses = optax.kl_divergence(jnp.log(q), p)
        return answered(reduced(losses, reduction))
    if op == "cross_entropy_logits":
        z = jnp.asarray(request["logits"], dtype=dtype)
        return answered(reduced(optax.softmax_cross_entropy(z, p), reduction))
    if op == "cross_entropy_logits_grad":
        z = jnp.asarray(request["logits"], dtype=dtype)

        def loss(z):
            # Under 'none' the gradient is that of the per-row losses' sum.
            return jnp.sum(reduced(optax.softmax_cross_entropy(z, p), reduction))

        return {"values": jax.grad(loss)(z).tolist()}
    raise Unsupported()


serve(answer, start)
