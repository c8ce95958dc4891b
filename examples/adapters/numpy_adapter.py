#!/usr/bin/env python3
"""numpy through `logloss-proofs conform`: the formulas written with ufuncs.

    logloss-proofs conform --cmd "python examples/adapters/numpy_adapter.py"

Convention shown: numpy has no loss functions, so this is the textbook way
of writing them with it. Terms where p = 0 are dropped by a mask (0·ln 0 = 0),
ln 0 = -inf is left to make CE and KL +inf where q = 0 < p, KL is summed
termwise as p·(ln p - ln q), and the logits go through a max-shifted
log-sum-exp. The gradient is the closed form softmax(z) - p: numpy has no
autograd. Arrays are float64, or float32 when the kit asks for f32.
"""

import numpy as np

from protocol import Unsupported, serve

DTYPE = {"f64": np.float64, "f32": np.float32}
dtype = np.float64


def start(precision):
    global dtype
    dtype = DTYPE[precision]


def log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def per_row(op, p, second):
    # ln 0 = -inf is wanted, and the masked terms 0·(-inf) are dropped.
    with np.errstate(divide="ignore", invalid="ignore"):
        if op == "entropy":
            return -np.where(p > 0, p * np.log(p), 0).sum(axis=1)
        if op == "cross_entropy":
            return -np.where(p > 0, p * np.log(second), 0).sum(axis=1)
        if op == "kl_divergence":
            return np.where(p > 0, p * (np.log(p) - np.log(second)), 0).sum(axis=1)
        if op == "cross_entropy_logits":
            return -np.where(p > 0, p * log_softmax(second), 0).sum(axis=1)
    raise Unsupported()


def answer(request):
    op, reduction = request["op"], request["reduction"]
    p = np.asarray(request["p"], dtype=dtype)
    second = request.get("q", request.get("logits"))
    second = None if second is None else np.asarray(second, dtype=dtype)
    rows = p.shape[0]
    if op == "cross_entropy_logits_grad":
        grad = np.exp(log_softmax(second)) - p
        if reduction == "batchmean":
            grad = grad / dtype(rows)
        return {"values": grad.tolist()}
    values = per_row(op, p, second)
    if reduction == "none":
        return {"values": values.tolist()}
    total = values.sum()
    return {"value": float(total if reduction == "sum" else total / dtype(rows))}


serve(answer, start)
