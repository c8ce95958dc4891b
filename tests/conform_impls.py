#!/usr/bin/env python3
"""Implementations for the `conform` tests, selected by the first argument.

    python3 tests/conform_impls.py VARIANT [SECONDS]

`correct` is a plain textbook implementation (left-to-right sums, numpy-like
log and exp); each other variant plants one realistic bug in it or breaks the
protocol. Standard library only. The bugs mirror tests/conformance.rs.

`slow-start SECONDS` is `correct` after a start-up of SECONDS (a cold import
of a large library); `warns` is `correct` that writes a warning to stderr at
start-up and a line per request.

Every variant answers the opening `hello` without declaring a domain, except:
`binary-only` declares `categories: [2]` and rejects any other size (so it
passes only if the kit keeps to the domain); `one-label` declines, case by
case, cross-entropy on batches with a one-hot target row, as a metric that
needs two labels does; `no-hello` is a program written without the `hello`
that dies on it.
"""
import json
import math
import sys
import time

VARIANT = sys.argv[1] if len(sys.argv) > 1 else "correct"
BUGS = {
    "correct", "swapped", "base2", "clipped", "log-clamp", "no-zero-log", "softmax-log",
    "mean-elements", "dropped", "grad-sign", "grad-scale",
    "unsupported-grad", "inf-strings", "rejects",
    "malformed", "dies", "sleeps", "slow-start", "warns",
    "binary-only", "one-label", "no-hello",
}
if VARIANT not in BUGS:
    sys.exit(f"unknown variant {VARIANT!r}; one of {sorted(BUGS)}")


def log(x):
    """numpy's log: -inf at 0 instead of an exception."""
    return math.log(x) if x > 0 else -math.inf if x == 0 else math.nan


def exp(x):
    """numpy's exp: inf on overflow instead of an exception."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def categories(p):
    # dropped: an off-by-one loop bound that skips the last category.
    return range(len(p) - 1) if VARIANT == "dropped" else range(len(p))


def keep(a):
    # no-zero-log: every term evaluated, so 0 * log(0) = 0 * -inf = nan.
    return VARIANT == "no-zero-log" or a > 0


def clip(b):
    # clipped: the usual epsilon guard, q clipped to [1e-7, 1].
    return min(max(b, 1e-7), 1.0) if VARIANT == "clipped" else b


def log_q(b, ln=log):
    # log-clamp: the logarithm of q clamped at -100, as PyTorch's
    # binary_cross_entropy does, so q = 0 costs 100 per unit of p.
    value = ln(b) if b > 0 else -math.inf
    return max(value, -100.0) if VARIANT == "log-clamp" else value


def entropy(p, _):
    return -sum(p[i] * log(p[i]) for i in categories(p) if keep(p[i]))


def cross_entropy(p, q):
    return -sum(p[i] * log_q(clip(q[i])) for i in categories(p) if keep(p[i]))


def kl_divergence(p, q):
    if VARIANT == "swapped":
        p, q = q, p
    ln = math.log2 if VARIANT == "base2" else math.log
    total = 0.0
    for i in categories(p):
        a, b = p[i], clip(q[i])
        if keep(a):
            total += a * ((ln(a) if a > 0 else -math.inf) - log_q(b, ln))
    return total


def softmax(z):
    if VARIANT == "softmax-log":
        e = [exp(x) for x in z]  # no max subtraction: exp(1e4) = inf
    else:
        m = max(z)
        e = [exp(x - m) for x in z]
    s = sum(e)
    # numpy's division: 0/0 and inf/inf are nan, not exceptions.
    return [x / s if s != 0 else math.nan for x in e]


def cross_entropy_logits(p, z):
    if VARIANT == "softmax-log":
        q = softmax(z)
        return -sum(p[i] * log(q[i]) for i in categories(p) if keep(p[i]))
    m = max(z)
    lse = m + math.log(sum(exp(x - m) for x in z))
    return sum(p[i] * (lse - z[i]) for i in categories(p) if keep(p[i]))


def gradient(p, z, reduction, rows):
    q = softmax(z)
    g = [qi - pi for qi, pi in zip(q, p)]
    if VARIANT == "grad-sign":
        g = [-x for x in g]
    if reduction == "batchmean" and VARIANT != "grad-scale":
        g = [x / rows for x in g]
    return g


FUNCTIONS = {
    "entropy": entropy,
    "cross_entropy": cross_entropy,
    "kl_divergence": kl_divergence,
    "cross_entropy_logits": cross_entropy_logits,
}


def answer(request):
    if request["op"] == "hello" and VARIANT != "no-hello":
        return {"domain": {"categories": [2]}} if VARIANT == "binary-only" else {}
    op, p, reduction = request["op"], request["p"], request["reduction"]
    if VARIANT == "binary-only" and any(len(row) != 2 for row in p):
        return {"error": f"ValueError: expected 2 classes, got {len(p[0])}"}
    one_hot = any(max(row) == 1.0 for row in p)
    if VARIANT == "one-label" and op == "cross_entropy" and one_hot:
        return {"error": "unsupported", "scope": "case"}
    second = request.get("q") or request.get("logits") or [None] * len(p)
    if VARIANT == "rejects" and op == "kl_divergence":
        return {"error": "ValueError: q must be strictly positive"}
    if op == "cross_entropy_logits_grad":
        if VARIANT == "unsupported-grad":
            return {"error": "unsupported"}
        return {"values": [gradient(pr, zr, reduction, len(p)) for pr, zr in zip(p, second)]}
    values = [FUNCTIONS[op](pr, sr) for pr, sr in zip(p, second)]
    if reduction == "none":
        return {"values": values}
    total = sum(values)
    if reduction == "sum":
        return {"value": total}
    # mean-elements: torch's reduction="mean", rows x classes, for batchmean.
    divisor = len(p) * len(p[0]) if VARIANT == "mean-elements" else len(p)
    return {"value": total / divisor}


def as_strings(x):
    """inf-strings: non-finite numbers as the strings "inf", "-inf", "nan"."""
    if isinstance(x, list):
        return [as_strings(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else "inf" if x > 0 else "-inf"
    return x


if VARIANT == "slow-start":
    time.sleep(float(sys.argv[2]))
if VARIANT == "warns":
    print("UserWarning: float64 is not enabled; arrays are truncated to float32",
          file=sys.stderr, flush=True)

for line in sys.stdin:
    request = json.loads(line)
    if VARIANT == "warns":
        print(f"answering request {request['id']}", file=sys.stderr, flush=True)
    if request["id"] == 3 and VARIANT in ("malformed", "dies", "sleeps"):
        if VARIANT == "malformed":
            print('{"id": 3, "values": [0.5,', flush=True)
        elif VARIANT == "dies":
            print("Traceback (most recent call last): ... ZeroDivisionError", file=sys.stderr, flush=True)
            sys.exit(3)
        else:
            time.sleep(60)
        continue
    response = answer(request)
    if VARIANT == "inf-strings":
        response = {k: as_strings(v) for k, v in response.items()}
    response["id"] = request["id"]
    print(json.dumps(response), flush=True)
