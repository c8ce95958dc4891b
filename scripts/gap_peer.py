#!/usr/bin/env python3
"""The numpy peer of `logloss-proofs gap --model normal --truth laplace:0,1
--n 1000`: n·E[gap] for the Normal model fitted by maximum likelihood to n
Laplace(0, 1) points, with the crate's control variates, vectorized over
replicates in batches. Standard library + numpy; numpy's default threads
(its element-wise kernels and reductions run on one thread).

Per replicate, with μ̂ the sample mean, v̂ the 1/n sample variance, m = 0 and
σ² = 2 the truth's mean and variance, a = μ̂²/σ², δ = v̂/σ² − 1, δ_w = δ + a:

    gap = E[C] + a² + a³/2 + (3/2)·a·δ_w·δ + ½δ²(δ² + a)/(1 + δ)
    E[C] = tr/n − (γ₆ − 1)/(2n²),  tr = 1 + (κ − 1)/2 = 3.5,  κ = 6,  γ₆ = 90

the estimation excess plus the optimism (the raw gap less its zero-mean
term) less the cubic control variate C = a + ½δ_w² − ½δ_w³ − (3/2)·a·δ_w,
plus C's exact mean (see `control_variate` in src/estimators/gap.rs): the
same per-replicate value as the crate's `gap`, on numpy's own random
stream (PCG64), so the estimates agree in distribution, not in bits.

It measures the per-replicate standard deviation and the replicates per
second over --reps replicates, projects the seconds to a 95% interval of
half-width ±0.01 on n·E[gap], then runs that many replicates --runs times
and reports the median wall time and the half-width reached.

Usage, with PYTHON the python of the virtual environment that
scripts/ecosystem_report.py makes (it has numpy):

    PYTHON scripts/gap_peer.py [--reps 20000] [--runs 3] [--out target/perf/gap_peer.json]

Without numpy it prints a note and a JSON object with "skipped" and exits 0.
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054
N = 1000
#: Laplace(0, 1): mean, variance, kurtosis, standardized sixth moment.
MEAN, VAR, KURT, SIXTH = 0.0, 2.0, 6.0, 90.0
TARGET = 0.01  # half-width on n·E[gap]


def expected_c(n):
    """E[C], exact: Takeuchi's tr/n less (γ₆ − 1)/(2n²)."""
    trace = 0.5 * (KURT + 1.0)
    return trace / n - 0.5 * (SIXTH - 1.0) / (n * n)


def replicates(np, rng, count, n, batch):
    """The per-replicate control-variate gaps of `count` replicates."""
    out = np.empty(count)
    ec = expected_c(n)
    for start in range(0, count, batch):
        b = min(batch, count - start)
        x = rng.laplace(MEAN, 1.0, size=(b, n))
        mu = x.mean(axis=1)
        v = x.var(axis=1)  # the 1/n variance about μ̂
        a = (mu - MEAN) ** 2 / VAR
        d = v / VAR - 1.0
        dw = d + a
        out[start:start + b] = ec + (a * a + 0.5 * a * a * a + 1.5 * a * dw * d
                                     + 0.5 * d * d * (d * d + a) / (1.0 + d))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=20_000,
                    help="replicates of the measuring run")
    ap.add_argument("--runs", type=int, default=3,
                    help="timed runs at the replicate count needed")
    ap.add_argument("--batch", type=int, default=256, help="replicates per batch")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()

    try:
        import numpy as np
    except ImportError:
        print("gap_peer.py: numpy is not installed; skipped (run it with the "
              "ecosystem virtual environment's python)", file=sys.stderr)
        print(json.dumps({"skipped": "numpy is not installed"}))
        return

    n = N
    half = TARGET / n  # on E[gap]
    rng = np.random.default_rng(args.seed)
    replicates(np, rng, 2 * args.batch, n, args.batch)  # warm-up
    t0 = time.perf_counter()
    g = replicates(np, rng, args.reps, n, args.batch)
    elapsed = time.perf_counter() - t0
    sd = float(g.std(ddof=1))
    rate = args.reps / elapsed
    need = math.ceil((Z95 * sd / half) ** 2)

    runs = []
    for r in range(args.runs):
        run_rng = np.random.default_rng([args.seed, r + 1])
        t0 = time.perf_counter()
        gr = replicates(np, run_rng, need, n, args.batch)
        mean = float(gr.mean())
        se = float(gr.std(ddof=1)) / math.sqrt(need)
        wall = time.perf_counter() - t0
        runs.append({"seconds": wall, "n_gap_mean": n * mean,
                     "half_width_n_gap": n * Z95 * se})

    result = {
        "implementation": f"numpy {np.__version__}",
        "python": platform.python_version(),
        "model": "normal",
        "truth": "laplace:0,1",
        "n": n,
        "control_variate": "cubic",
        "batch": args.batch,
        "threads": "numpy's default (element-wise kernels on one thread)",
        "measuring_reps": args.reps,
        "n_gap_mean": n * float(g.mean()),
        "n_gap_std_error": n * sd / math.sqrt(args.reps),
        "per_replicate_sd": sd,
        "replicates_per_second": rate,
        "target_half_width_n_gap": TARGET,
        "replicates_needed": need,
        "seconds_projected": need / rate,
        "runs": runs,
        "seconds_to_target_median": statistics.median(r["seconds"] for r in runs),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
