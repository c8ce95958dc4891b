#!/usr/bin/env python3
"""scikit-learn through `logloss-proofs conform`: sklearn.metrics.log_loss.

    logloss-proofs conform --cmd "python examples/adapters/sklearn_adapter.py"

Convention shown: the documented way, and its clipping is the library's.
log_loss(y_true, y_proba) takes the targets as labels or a label indicator
matrix (one-hot rows) and the predictions as probabilities, which it clips
into [eps, 1 - eps] with eps the machine epsilon of their dtype: CE is finite
where q = 0 < p. normalize=True gives the mean over rows, normalize=False
the sum; one value per row is one call per row. It is a cross-entropy only:
the other operations are answered as unsupported. It refuses a soft target
("Multioutput target data is not supported with label binarization") and a
batch with one label (one category): those cases are answered as refused
for that input, so the kit skips and counts them. Arrays are float64, or
float32 when the kit asks for f32.
"""

import numpy as np
from sklearn.metrics import log_loss

from protocol import Unsupported, UnsupportedCase, serve

DTYPE = {"f64": np.float64, "f32": np.float32}
dtype = np.float64

#: The ValueErrors in which log_loss refuses an input it does not take.
REFUSALS = ("Multioutput target data is not supported", "contains only one label")


def start(precision):
    global dtype
    dtype = DTYPE[precision]


def cross_entropy(p, q, reduction):
    if reduction == "none":
        return {"values": [log_loss(p[r : r + 1], q[r : r + 1]) for r in range(len(p))]}
    return {"value": log_loss(p, q, normalize=reduction == "batchmean")}


def answer(request):
    if request["op"] != "cross_entropy":
        raise Unsupported()
    p = np.asarray(request["p"], dtype=dtype)
    q = np.asarray(request["q"], dtype=dtype)
    try:
        return cross_entropy(p, q, request["reduction"])
    except ValueError as e:
        if any(refusal in str(e) for refusal in REFUSALS):
            raise UnsupportedCase() from e
        raise


serve(answer, start)
