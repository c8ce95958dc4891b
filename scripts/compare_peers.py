#!/usr/bin/env python3
"""Time KL(p||q) in this crate against numpy and scipy on the same arrays.

Setup (once), from the repository root:

    python3 -m venv .venv-peers
    .venv-peers/bin/pip install numpy scipy
    .venv-peers/bin/python scripts/compare_peers.py --out target/peers.json

(The default build has the AVX-512 path, chosen where the CPU has it.)

The script builds the crate's timing example in release mode
(`cargo build --release --example kl_timing`), draws p and q uniformly from
the simplex (numpy, fixed seed), saves them as .npy files, and then, in each of
several rounds, times:

- the crate: `target/release/examples/kl_timing P.npy Q.npy`, which reads the
  files and times many repetitions inside one process (process start and file
  reading are not measured) and prints its median; once on the fastest path
  the CPU allows, and once for each slower path (`LOGLOSS_PROOFS_SIMD=avx2`,
  `LOGLOSS_PROOFS_SIMD=off`), which give bit-identical values; all of these
  on rayon's default pool (one thread per CPU: inputs longer than 32 768
  elements are split into blocks), and the fastest path once more on one
  thread (`RAYON_NUM_THREADS=1`, same bits);
- numpy: `np.sum(p * np.log(p / q))`, the one-liner (no special cases);
- scipy: `scipy.stats.entropy(p, q)` (normalizes both arguments) and
  `scipy.special.rel_entr(p, q).sum()`.

Each peer is timed with `time.perf_counter_ns` over repeated calls; the
figure is the median per element. numpy's one-liner allocates three
temporaries of 8n bytes per call; with glibc's default settings, arrays of
megabytes may be handed back to the system after each call and faulted in
again at the next, which makes the one-liner two to three times slower at
n = 10⁶ (4.4 instead of 1.9 ns per element seen here). The script therefore
re-runs itself with MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ raised
to 2³¹, so that the temporaries reuse the same pages: the peers' best case,
which is what the ratios compare against. The rounds interleave the crate and the
peers, so that on a shared machine each ratio compares timings taken close
together; the reported ratio is the median over rounds of the per-round
ratios (peer time / crate time: above 1 means the crate is faster).

Standard library plus numpy and scipy only. Prints a table and, with --out,
writes everything as JSON for scripts/performance_report.py.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

from peer_timing import median_ns_per_element

import numpy as np
import scipy
import scipy.special
import scipy.stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20260514


def machine():
    """lscpu's model name and the number of CPUs the OS reports."""
    model = platform.processor() or "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return {"model_name": model, "cpus": os.cpu_count(), "machine": platform.machine()}


def rustc_version():
    try:
        return subprocess.run(["rustc", "--version"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def time_crate(binary, p_path, q_path, cap, threads=None):
    env = dict(os.environ)
    env.pop("LOGLOSS_PROOFS_SIMD", None)
    env.pop("RAYON_NUM_THREADS", None)
    for k in MALLOC_ENV:
        env.pop(k, None)
    if cap:
        env["LOGLOSS_PROOFS_SIMD"] = cap
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    out = subprocess.run([binary, p_path, q_path, "--measure", "kl"], capture_output=True,
                         text=True, check=True, env=env).stdout
    return json.loads(out)


#: The crate's paths, fastest first: the value of LOGLOSS_PROOFS_SIMD for each.
CAPS = ["", "avx2", "off"]


#: glibc settings that keep numpy's temporaries on the heap (see the docstring).
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "2147483648", "MALLOC_TRIM_THRESHOLD_": "2147483648"}


def main():
    if any(os.environ.get(k) != v for k, v in MALLOC_ENV.items()):
        env = dict(os.environ, **MALLOC_ENV)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 1_000_000],
                    help="numbers of categories (default: 1000 1000000)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--seconds", type=float, default=0.5,
                    help="time per peer and round (default 0.5)")
    ap.add_argument("--out", help="write the results as JSON to this file")
    ap.add_argument("--features", default="", help="cargo features for the crate (none are needed)")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build")
    args = ap.parse_args()

    binary = os.path.join(ROOT, "target", "release", "examples", "kl_timing")
    build = ["cargo", "build", "--release", "--example", "kl_timing"]
    if args.features:
        build += ["--features", args.features]
    if not args.no_build:
        subprocess.run(build, cwd=ROOT, check=True)

    rng = np.random.default_rng(SEED)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            p = rng.dirichlet(np.ones(n))
            q = rng.dirichlet(np.ones(n))
            p_path, q_path = os.path.join(tmp, f"p{n}.npy"), os.path.join(tmp, f"q{n}.npy")
            np.save(p_path, p)
            np.save(q_path, q)
            peers = {
                "numpy: np.sum(p*np.log(p/q))": lambda: np.sum(p * np.log(p / q)),
                "scipy.stats.entropy(p, q)": lambda: scipy.stats.entropy(p, q),
                "scipy.special.rel_entr(p, q).sum()": lambda: scipy.special.rel_entr(p, q).sum(),
            }
            values = {name: float(f()) for name, f in peers.items()}
            rounds = []
            for _ in range(args.rounds):
                row = {"crate": {}}
                for cap in CAPS:
                    crate = time_crate(binary, p_path, q_path, cap)
                    row["crate"].setdefault(crate["path"], crate)
                one = time_crate(binary, p_path, q_path, "", threads=1)
                row["crate"][one["path"] + ", one thread"] = one
                for name, f in peers.items():
                    row[name] = median_ns_per_element(f, n, args.seconds)
                rounds.append(row)
            paths = list(rounds[0]["crate"])  # fastest first; duplicates merged
            best = paths[0]
            crate_value = rounds[0]["crate"][best]["value"]
            entry = {
                "n": n,
                "crate": [
                    {
                        "path": path,
                        "ns_per_element": statistics.median(
                            r["crate"][path]["median_ns_per_element"] for r in rounds),
                        "min_ns_per_element": min(
                            r["crate"][path]["min_ns_per_element"] for r in rounds),
                        "value": rounds[0]["crate"][path]["value"],
                        "same_bits_as_fastest": all(
                            r["crate"][path]["value"] == crate_value for r in rounds),
                    }
                    for path in paths
                ],
                "crate_path": best,
                "crate_ns_per_element": statistics.median(
                    r["crate"][best]["median_ns_per_element"] for r in rounds),
                "crate_value": crate_value,
                "peers": [],
            }
            for name in peers:
                entry["peers"].append({
                    "name": name,
                    "ns_per_element": statistics.median(r[name] for r in rounds),
                    "ratio_peer_over_crate": statistics.median(
                        r[name] / r["crate"][best]["median_ns_per_element"] for r in rounds),
                    "ratio_peer_over_crate_one_thread": statistics.median(
                        r[name] / r["crate"][best + ", one thread"]["median_ns_per_element"]
                        for r in rounds),
                    "value": values[name],
                    "relative_difference_from_crate": abs(values[name] - crate_value)
                    / abs(crate_value),
                })
            entry["rounds"] = rounds
            results.append(entry)

    report = {
        "machine": machine(),
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "rustc": rustc_version(),
        },
        "commands": {
            "build": " ".join(build),
            "crate": "[LOGLOSS_PROOFS_SIMD=avx2|off] [RAYON_NUM_THREADS=1] "
                     "target/release/examples/kl_timing P.npy Q.npy --measure kl",
            "this": " ".join([os.path.basename(sys.executable), "scripts/compare_peers.py"]
                             + sys.argv[1:]),
        },
        "malloc_env": MALLOC_ENV,
        "rounds": args.rounds,
        "seconds_per_peer_and_round": args.seconds,
        "inputs": f"p, q ~ Dirichlet(1, ..., 1), numpy default_rng({SEED})",
        "results": results,
    }
    m = report["machine"]
    print(f"{m['model_name']}, {m['cpus']} CPUs; numpy {np.__version__}, "
          f"scipy {scipy.__version__}; median of {args.rounds} interleaved rounds")
    for entry in results:
        print(f"n = {entry['n']}:")
        for c in entry["crate"]:
            print(f"  crate, {c['path']:<31} {c['ns_per_element']:8.2f} ns/element   "
                  f"(min {c['min_ns_per_element']:.2f}; same bits: {c['same_bits_as_fastest']})")
        for peer in entry["peers"]:
            print(f"  {peer['name']:<38} {peer['ns_per_element']:8.2f} ns/element   "
                  f"{peer['ratio_peer_over_crate']:6.2f}x the crate's time "
                  f"({peer['ratio_peer_over_crate_one_thread']:.2f}x on one thread)   "
                  f"(value differs by {peer['relative_difference_from_crate']:.1e})")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
