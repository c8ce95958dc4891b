#!/usr/bin/env python3
"""Times cross-entropy from logits next to PyTorch, scipy and numpy, in f64.

Usage (numpy, scipy and torch in a virtual environment outside the repo):

    python3 -m venv ~/.venvs/logits-peers
    ~/.venvs/logits-peers/bin/pip install numpy scipy torch
    ~/.venvs/logits-peers/bin/python scripts/compare_logits_peers.py --out target/perf/logits.json

A peer whose package is missing is skipped, and the JSON says so.

Shapes (rows x classes): 1000x1000 and 64x50000 for the batchmean
cross-entropy with class-index targets, 1000x1000 for its gradient in the
logits. On the same float64 arrays (normal logits, uniform labels, fixed
seed), in each of several interleaved rounds:

- the crate: `cross_entropy_logits_batch` / `_grad` through the example
  `logits_timing` (built here with `cargo build --release --example
  logits_timing`), on rayon's default pool and with RAYON_NUM_THREADS=1;
- PyTorch, on the CPU: `torch.nn.functional.cross_entropy(z, y)` (its mean
  is the batchmean), and for the gradient the same forward plus
  `backward()` (autograd cannot give the gradient without the forward);
  with torch's default threads and with `torch.set_num_threads(1)`;
- scipy: `scipy.special.logsumexp(z, axis=1)` then the mean of lse − z[y];
  for the gradient `scipy.special.softmax(z, axis=1)` minus the one-hot rows,
  over N;
- numpy: the log-softmax one-liner m = max, lse = m + log Σ exp(z − m), then
  the mean of lse − z[y]; for the gradient exp(z − m) normalized, minus the
  one-hot rows, over N.

numpy and scipy run twice per round, in separate processes: once on glibc's
default heap (each large temporary is a fresh mmap, whose pages are zeroed
on first touch) and once on a tuned heap (MALLOC_MMAP_THRESHOLD_ and
MALLOC_TRIM_THRESHOLD_ at 2 GiB, so temporaries are reused), their best
case. Every figure is a median (nanoseconds per element, rows x classes), and
every ratio a median over rounds of peer time / crate time within the round.
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20261202
SHAPES = [("ce", 1000, 1000), ("ce", 64, 50000), ("grad", 1000, 1000)]
TUNED_HEAP = {"MALLOC_MMAP_THRESHOLD_": "2147483648", "MALLOC_TRIM_THRESHOLD_": "2147483648"}


def load(tmp, op, rows, classes):
    import numpy as np
    z = np.load(os.path.join(tmp, f"z{rows}x{classes}.npy")).reshape(rows, classes)
    y = np.load(os.path.join(tmp, f"y{rows}x{classes}.npy")).astype(np.int64)
    return z, y


def worker_torch(tmp, seconds):
    import torch
    import torch.nn.functional as F
    out = {"versions": {"torch": torch.__version__}, "default_threads": torch.get_num_threads()}
    default = torch.get_num_threads()
    for threads, label in ((default, "torch"), (1, "torch, one thread")):
        torch.set_num_threads(threads)
        for op, rows, classes in SHAPES:
            z, y = load(tmp, op, rows, classes)
            zt, yt = torch.from_numpy(z), torch.from_numpy(y)
            if op == "ce":
                def f():
                    return F.cross_entropy(zt, yt)
                value = float(f())
            else:
                def f():
                    leaf = zt.detach().requires_grad_(True)
                    F.cross_entropy(leaf, yt).backward()
                    return leaf.grad
                value = float((f() ** 2).sum())
            key = f"{op}/{rows}x{classes}"
            out.setdefault(key, {})[label] = {
                "ns_per_element": median_ns_per_element(f, rows * classes, seconds), "value": value}
    torch.set_num_threads(default)
    return out


def worker_numpy(tmp, seconds):
    import numpy as np
    out = {"versions": {"numpy": np.__version__}}
    try:
        import scipy
        import scipy.special
        out["versions"]["scipy"] = scipy.__version__
    except ImportError:
        scipy = None
    for op, rows, classes in SHAPES:
        z, y = load(tmp, op, rows, classes)
        idx = np.arange(rows)
        peers = {}
        if op == "ce":
            def numpy_ce():
                m = z.max(axis=1, keepdims=True)
                return np.mean(m[:, 0] + np.log(np.exp(z - m).sum(axis=1)) - z[idx, y])
            peers["numpy log-softmax one-liner"] = numpy_ce
            if scipy is not None:
                def scipy_ce():
                    return np.mean(scipy.special.logsumexp(z, axis=1) - z[idx, y])
                peers["scipy.special.logsumexp"] = scipy_ce
        else:
            def numpy_grad():
                e = np.exp(z - z.max(axis=1, keepdims=True))
                g = e / e.sum(axis=1, keepdims=True)
                g[idx, y] -= 1.0
                g /= rows
                return g
            peers["numpy log-softmax one-liner"] = numpy_grad
            if scipy is not None:
                def scipy_grad():
                    g = scipy.special.softmax(z, axis=1)
                    g[idx, y] -= 1.0
                    g /= rows
                    return g
                peers["scipy.special.softmax"] = scipy_grad
        key = f"{op}/{rows}x{classes}"
        for name, f in peers.items():
            v = f()
            value = float(v) if op == "ce" else float((v ** 2).sum())
            out.setdefault(key, {})[name] = {
                "ns_per_element": median_ns_per_element(f, rows * classes, seconds), "value": value}
    return out


def run_worker(kind, tmp, seconds, heap):
    env = dict(os.environ)
    for k in TUNED_HEAP:
        env.pop(k, None)
    if heap == "tuned":
        env.update(TUNED_HEAP)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--tmp", tmp,
           "--seconds", str(seconds)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"skipped": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout)


def run_crate(binary, tmp, op, rows, classes, threads=None):
    env = dict(os.environ)
    env.pop("LOGLOSS_PROOFS_SIMD", None)
    env.pop("RAYON_NUM_THREADS", None)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    cmd = [binary, os.path.join(tmp, f"z{rows}x{classes}.npy"),
           os.path.join(tmp, f"y{rows}x{classes}.npy"), "--classes", str(classes)]
    if op == "grad":
        cmd.append("--grad")
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True,
                                     env=env).stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--seconds", type=float, default=0.5,
                    help="time per peer, shape and round (default 0.5)")
    ap.add_argument("--out", help="write the results as JSON to this file")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        f = worker_torch if args.worker == "torch" else worker_numpy
        print(json.dumps(f(args.tmp, args.seconds)))
        return

    try:
        import numpy as np
    except ImportError:
        sys.exit("compare_logits_peers: numpy is needed to draw the arrays; install it in a "
                 "virtual environment (see the docstring)")
    binary = os.path.join(ROOT, "target", "release", "examples", "logits_timing")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--example", "logits_timing"],
                       cwd=ROOT, check=True)

    rng = np.random.default_rng(SEED)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for _, rows, classes in SHAPES:
            z = rng.standard_normal((rows, classes))
            y = rng.integers(0, classes, rows)
            np.save(os.path.join(tmp, f"z{rows}x{classes}.npy"), z.ravel())
            np.save(os.path.join(tmp, f"y{rows}x{classes}.npy"), y.astype(np.float64))
        for _ in range(args.rounds):
            row = {}
            for op, rows, classes in SHAPES:
                key = f"{op}/{rows}x{classes}"
                row[key] = {"crate": run_crate(binary, tmp, op, rows, classes),
                            "crate, one thread": run_crate(binary, tmp, op, rows, classes, 1)}
            workers = {
                "torch": run_worker("torch", tmp, args.seconds, "default"),
                "numpy, default heap": run_worker("numpy", tmp, args.seconds, "default"),
                "numpy, tuned heap": run_worker("numpy", tmp, args.seconds, "tuned"),
            }
            row["workers"] = workers
            rounds.append(row)

    versions = {"python": platform.python_version()}
    skipped = {}
    for kind, w in rounds[0]["workers"].items():
        if "skipped" in w:
            skipped[kind] = w["skipped"]
        else:
            versions.update(w["versions"])
            if "default_threads" in w:
                versions["torch_default_threads"] = w["default_threads"]
    results = []
    for op, rows, classes in SHAPES:
        key = f"{op}/{rows}x{classes}"
        crate = [r[key]["crate"] for r in rounds]
        entry = {
            "id": key, "op": op, "rows": rows, "classes": classes,
            "crate_path": crate[0]["path"],
            "crate_ns_per_element": statistics.median(c["median_ns_per_element"] for c in crate),
            "crate_one_thread_ns_per_element": statistics.median(
                r[key]["crate, one thread"]["median_ns_per_element"] for r in rounds),
            "crate_value": crate[0]["value"],
            "same_value_every_round": all(c["value"] == crate[0]["value"] for c in crate),
            "peers": [],
        }
        for kind in rounds[0]["workers"]:
            if kind in skipped:
                continue
            heap = kind.split(", ")[1] if ", " in kind else None
            for name in rounds[0]["workers"][kind].get(key, {}):
                times = [r["workers"][kind][key][name]["ns_per_element"] for r in rounds]
                ratios = [r["workers"][kind][key][name]["ns_per_element"]
                          / r[key]["crate"]["median_ns_per_element"] for r in rounds]
                value = rounds[0]["workers"][kind][key][name]["value"]
                entry["peers"].append({
                    "name": name if heap is None else f"{name} ({heap})",
                    "ns_per_element": statistics.median(times),
                    "ratio_peer_over_crate": statistics.median(ratios),
                    "value": value,
                    "relative_difference_from_crate":
                        abs(value - entry["crate_value"]) / abs(entry["crate_value"]),
                })
        results.append(entry)
    report = {
        "machine": {"cpus": os.cpu_count(), "machine": platform.machine()},
        "versions": versions,
        "skipped": skipped,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "results": results,
    }
    text = json.dumps(report, indent=2)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        tmp_out = args.out + ".tmp"
        with open(tmp_out, "w") as f:
            f.write(text + "\n")
        os.replace(tmp_out, args.out)
    print(text)


if __name__ == "__main__":
    main()
