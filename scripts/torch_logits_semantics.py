#!/usr/bin/env python3
"""PyTorch's cross-entropy conventions that `measures::LogitsBatch` and
`cross_entropy_logits_batch` document, checked against torch itself, and
the crate's value of each single-row case through `logloss-proofs measure
--q-logits --json` next to torch's.

Needs torch (CPU) in the running Python, e.g. the environment that
scripts/ecosystem_report.py makes (~/.cache/logloss-proofs/ecosystem-venv),
and a built binary (`cargo build --release`):

    ~/.cache/logloss-proofs/ecosystem-venv/bin/python scripts/torch_logits_semantics.py

Prints one line per convention and exits 1 if any does not hold.
"""

import json
import math
import os
import subprocess
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "logloss-proofs")
F = torch.nn.functional
NINF = float("-inf")
failures = 0


def check(name, ok, detail):
    global failures
    failures += 0 if ok else 1
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")


def crate_ce(p, z):
    """The crate's CE(p, softmax z) of one row, or its error line."""
    words = [BINARY, "measure", "--p", ",".join(map(repr, p)),
             "--q", ",".join(map(repr, z)), "--q-logits", "--json"]
    out = subprocess.run(words, capture_output=True, text=True)
    if out.returncode != 0:
        return out.stderr.strip()
    value = json.loads(out.stdout)["cross_entropy"]
    return float(value) if not isinstance(value, str) else float(value)


def torch_ce(p, z, **kw):
    return F.cross_entropy(torch.tensor([z], dtype=torch.float64),
                           torch.tensor([p], dtype=torch.float64),
                           reduction="none", **kw).item()


# A masked class has probability 0. With class indices torch picks the
# label's log-probability: finite where the label is open.
z = [0.0, 0.0, NINF]
t = F.cross_entropy(torch.tensor([z], dtype=torch.float64), torch.tensor([0]),
                    reduction="none").item()
c = crate_ce([1.0, 0.0, 0.0], z)
check("masked class, label elsewhere", t == c == math.log(2), f"torch {t!r}, crate {c!r}")
# With probability targets torch forms 0·(−inf) = nan at the masked class;
# the crate keeps 0·ln 0 = 0 and gives CE over the open classes (a
# documented difference).
p = [0.5, 0.5, 0.0]
t, c = torch_ce(p, z), crate_ce(p, z)
check("masked class, probability 0 on it (torch nan, crate 0·ln 0 = 0)",
      math.isnan(t) and c == math.log(2), f"torch {t!r}, crate {c!r}")
# Mass on a masked class: +inf.
p = [0.5, 0.0, 0.5]
t, c = torch_ce(p, z), crate_ce(p, z)
check("mass on a masked class", t == c == math.inf, f"torch {t!r}, crate {c!r}")
# Label smoothing puts ε/C on every class, masked ones included: +inf.
t = torch_ce([1.0, 0.0, 0.0], z, label_smoothing=0.1)
check("smoothing with a masked class", t == math.inf, f"torch {t!r}")
# A wholly masked row: torch gives nan, the crate an error naming the row.
t, c = torch_ce([1.0, 0.0], [NINF, NINF]), crate_ce([1.0, 0.0], [NINF, NINF])
check("wholly masked row", math.isnan(t) and "every logit is -inf" in str(c),
      f"torch {t!r}, crate {c!r}")
# +inf: torch nan, the crate an error naming the entry.
t, c = torch_ce([1.0, 0.0], [math.inf, 0.0]), crate_ce([1.0, 0.0], [math.inf, 0.0])
check("+inf logit", math.isnan(t) and "logits[0] = inf" in str(c), f"torch {t!r}, crate {c!r}")
# The gradient at an infinite loss stays finite: (Σt)·q − t.
zt = torch.tensor([[0.0, 0.0, NINF]], dtype=torch.float64, requires_grad=True)
F.cross_entropy(zt, torch.tensor([2]), reduction="sum").backward()
check("gradient at a masked label", zt.grad.tolist() == [[0.5, 0.5, -1.0]], f"torch {zt.grad.tolist()}")
# Smoothing: the target (1 − ε)·t + ε/C, for probabilities and labels.
zz = torch.tensor([[0.3, -1.2, 2.0]], dtype=torch.float64)
for target, dense in [(torch.tensor([[0.2, 0.5, 0.3]], dtype=torch.float64), None),
                      (torch.tensor([1]), torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64))]:
    eps = 0.25
    got = F.cross_entropy(zz, target, label_smoothing=eps, reduction="none").item()
    t = target if dense is None else dense
    want = -(((1 - eps) * t + eps / 3) * F.log_softmax(zz, 1)).sum().item()
    check("smoothing is (1 − ε)·t + ε/C", abs(got - want) <= 4 * 2**-53 * abs(want),
          f"torch {got!r}, (1 − ε)·t + ε/C {want!r}")
# `mean` divides by N (the crate's batchmean), not by N·C.
z2 = torch.tensor([[0.0, 0.0, NINF], [0.0, math.log(3), 0.0]], dtype=torch.float64)
got = F.cross_entropy(z2, torch.tensor([1, 2]), reduction="mean").item()
want = (math.log(2) + math.log(5)) / 2
check("mean is the batch mean", abs(got - want) <= 4 * 2**-53 * want, f"torch {got!r}, {want!r}")

sys.exit(1 if failures else 0)
