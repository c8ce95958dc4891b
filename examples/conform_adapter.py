#!/usr/bin/env python3
"""A conformance adapter for `logloss-proofs conform`, standard library only.

    logloss-proofs conform --cmd "python3 examples/conform_adapter.py"

It reads one JSON request per line on stdin and writes one JSON response per
line on stdout. To check your own losses, replace the five row functions with
calls into your code (convert to and from your tensors there).
"""
import json
import math
import sys


def entropy(p, _):
    return -math.fsum(a * math.log(a) for a in p if a > 0)


def cross_entropy(p, q):
    if any(a > 0 and b == 0 for a, b in zip(p, q)):
        return math.inf
    return -math.fsum(a * math.log(b) for a, b in zip(p, q) if a > 0)


def kl_divergence(p, q):
    if any(a > 0 and b == 0 for a, b in zip(p, q)):
        return math.inf
    return math.fsum(a * math.log(a / b) for a, b in zip(p, q) if a > 0)


def log_softmax(z):
    m = max(z)
    lse = m + math.log(math.fsum(math.exp(x - m) for x in z))
    return [x - lse for x in z]


def cross_entropy_logits(p, z):
    return -math.fsum(a * lq for a, lq in zip(p, log_softmax(z)) if a > 0)


def cross_entropy_logits_grad(p, z):
    return [math.exp(lq) - a for a, lq in zip(p, log_softmax(z))]


ROW_FUNCTIONS = {
    "entropy": entropy,
    "cross_entropy": cross_entropy,
    "kl_divergence": kl_divergence,
    "cross_entropy_logits": cross_entropy_logits,
}


def answer(request):
    if request["op"] == "hello":
        # The opening request names the precision ("f64" or "f32"); plain
        # Python floats are f64 either way. A loss that takes only some sizes
        # would declare them here: {"domain": {"categories": [2]}}.
        return {}
    op, p, reduction = request["op"], request["p"], request["reduction"]
    second = request.get("q") or request.get("logits") or [None] * len(p)
    if op == "cross_entropy_logits_grad":
        # The gradient of the reduced loss: rows of softmax(z) - p, divided by
        # the number of rows under batchmean.
        scale = 1 / len(p) if reduction == "batchmean" else 1
        rows = [cross_entropy_logits_grad(pr, zr) for pr, zr in zip(p, second)]
        return {"values": [[g * scale for g in row] for row in rows]}
    if op not in ROW_FUNCTIONS:
        return {"error": "unsupported"}
    values = [ROW_FUNCTIONS[op](pr, sr) for pr, sr in zip(p, second)]
    if reduction == "none":
        return {"values": values}
    total = math.fsum(values)
    return {"value": total if reduction == "sum" else total / len(p)}


for line in sys.stdin:
    request = json.loads(line)
    try:
        response = answer(request)
    except Exception as e:  # answer with the error rather than die
        response = {"error": f"{type(e).__name__}: {e}"}
    response["id"] = request["id"]
    # json.dumps writes inf and nan as Infinity and NaN, which the harness reads.
    print(json.dumps(response), flush=True)
