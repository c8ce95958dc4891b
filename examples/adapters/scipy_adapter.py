#!/usr/bin/env python3
"""scipy through `logloss-proofs conform`: the scipy.special element-wise functions.

    logloss-proofs conform --cmd "python examples/adapters/scipy_adapter.py"

Convention shown: the documented way with scipy.special, whose functions
carry the conventions themselves: entr(x) = -x ln x with entr(0) = 0,
xlogy(p, q) = p ln q with 0 where p = 0 (and -inf where q = 0 < p), and
rel_entr(p, q) = p ln(p/q) with 0 where p = 0 and +inf where q = 0 < p; the
logits go through scipy.special.log_softmax, and the gradient is the closed
form softmax(z) - p (scipy has no autograd). scipy.stats.entropy would do
the same sums after dividing each row by its sum, which the kit's inputs do
not need. Arrays are float64, or float32 when the kit asks for f32.
"""

import numpy as np
from scipy import special

from protocol import Unsupported, serve

DTYPE = {"f64": np.float64, "f32": np.float32}
dtype = np.float64


def start(precision):
    global dtype
    dtype = DTYPE[precision]


def per_row(op, p, second):
    if op == "entropy":
        return special.entr(p).sum(axis=1)
    if op == "cross_entropy":
        return -special.xlogy(p, second).sum(axis=1)
    if op == "kl_divergence":
        return special.rel_entr(p, second).sum(axis=1)
    if op == "cross_entropy_logits":
        return -(p * special.log_softmax(second, axis=1)).sum(axis=1)
    raise Unsupported()


def answer(request):
    op, reduction = request["op"], request["reduction"]
    p = np.asarray(request["p"], dtype=dtype)
    second = request.get("q", request.get("logits"))
    second = None if second is None else np.asarray(second, dtype=dtype)
    rows = p.shape[0]
    if op == "cross_entropy_logits_grad":
        grad = special.softmax(second, axis=1) - p
        if reduction == "batchmean":
            grad = grad / dtype(rows)
        return {"values": grad.tolist()}
    values = per_row(op, p, second)
    if reduction == "none":
        return {"values": values.tolist()}
    total = values.sum()
    return {"value": float(total if reduction == "sum" else total / dtype(rows))}


serve(answer, start)
