#!/usr/bin/env python3
"""Write reports/mutation.md from one or more cargo-mutants output folders.

Usage:

    python3 scripts/mutation_report.py [--run "COMMAND" mutants.out ...] \\
        [--runs reports/mutation-runs.json] [--explained scripts/mutants-explained.tsv] \\
        [--out reports/mutation.md]

Every run is kept in the committed record reports/mutation-runs.json (command,
cargo-mutants version, start time, and the mutants caught, missed, unviable
and timed out), so the report can be written again without the cargo-mutants
folders. Each --run adds one folder's `outcomes.json` to that record (a run
with the same command is replaced); without --run the report is written from
the record alone. Runs are reported in the order they were added. The
mutation score of a run is caught / (caught + missed): unviable mutants (that
do not compile) and timeouts are listed apart. When the run tested a sample of
the crate's mutants (`--shard k/N --sharding round-robin`: every N-th mutant),
the score estimates the whole crate's, and the report gives its exact
Clopper-Pearson 95% interval.

Every survivor is listed with its explanation from the --explained file: one
line per mutant, its name as cargo-mutants prints it, a tab, then either
"killed by <test>" (a test added after the run that catches it, confirmed
by re-running that mutant; the run's own score stays the measured one) or why it is
equivalent or why no test can see it. Standard library only.
"""

import argparse
import hashlib
import json
import math
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def binom_cdf(k, n, p):
    """P(X <= k) for X ~ Binomial(n, p), summed exactly in floating point."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def bisect(f, lo, hi):
    """The root of the increasing function f on [lo, hi], to 1e-12."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return 0.5 * (lo + hi)


def clopper_pearson(k, n, confidence=0.95):
    """Exact two-sided interval for a binomial proportion k/n."""
    a = (1 - confidence) / 2
    low = 0.0 if k == 0 else bisect(lambda p: (1 - binom_cdf(k - 1, n, p)) - a, 0.0, 1.0)
    high = 1.0 if k == n else bisect(lambda p: a - binom_cdf(k, n, p), 0.0, 1.0)
    return low, high


def load(folder, command):
    """One run's record from a cargo-mutants output folder."""
    with open(os.path.join(folder, "outcomes.json")) as f:
        data = json.load(f)
    rows = {"CaughtMutant": [], "MissedMutant": [], "Unviable": [], "Timeout": []}
    for o in data["outcomes"]:
        scenario = o["scenario"]
        if not isinstance(scenario, dict) or "Mutant" not in scenario:
            continue  # the baseline
        rows.setdefault(o["summary"], []).append(scenario["Mutant"]["name"])
    return {
        "command": command,
        "cargo_mutants_version": data.get("cargo_mutants_version", "?"),
        "start_time": data.get("start_time", "?")[:16],
        "caught": len(rows["CaughtMutant"]),
        "unviable": len(rows["Unviable"]),
        "timeout": len(rows["Timeout"]),
        "missed": sorted(rows["MissedMutant"]),
        "caught_names": sorted(rows["CaughtMutant"]),
        "timeout_names": sorted(rows["Timeout"]),
        **population(folder),
    }


def population(folder):
    """The list of all the crate's mutants the run drew from, as a short hash
    and a count, when the folder holds it (`all-mutants.txt`, the output of
    `cargo mutants --list` at the run's commit, which scripts/mutants.sh
    writes). Two runs with the same hash sampled the same code."""
    path = os.path.join(folder, "all-mutants.txt")
    if not os.path.exists(path):
        return {}
    with open(path, "rb") as f:
        text = f.read()
    return {
        "population": hashlib.sha256(text).hexdigest()[:12],
        "population_size": text.count(b"\n"),
    }


def explanations(path):
    out = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if line and not line.startswith("#") and "\t" in line:
                    name, why = line.split("\t", 1)
                    out[name.strip()] = why.strip()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", action="append", nargs=2, metavar=("COMMAND", "DIR"), default=[],
                    help="add a cargo-mutants run: its command and its output folder")
    ap.add_argument("--runs", default=os.path.join(ROOT, "reports", "mutation-runs.json"))
    ap.add_argument("--explained", default=os.path.join(ROOT, "scripts", "mutants-explained.tsv"))
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "mutation.md"))
    args = ap.parse_args()
    why = explanations(args.explained)

    record = {"runs": []}
    if os.path.exists(args.runs):
        with open(args.runs) as f:
            record = json.load(f)
    for command, folder in args.run:
        run = load(folder, command)
        record["runs"] = [r for r in record["runs"] if r["command"] != command] + [run]
    if not record["runs"]:
        ap.error("no runs: give --run COMMAND DIR, or a --runs record that has some")
    tmp = args.runs + ".tmp"
    with open(tmp, "w") as f:
        json.dump(record, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, args.runs)

    md = ["# Mutation testing", ""]
    md.append("How many deliberate small bugs (mutants) in `src/` do the tests catch? "
              "Generated by `scripts/mutation_report.py` from the cargo-mutants runs "
              "recorded in `reports/mutation-runs.json` (`scripts/mutants.sh`). Each "
              "mutant is one change (an operator "
              "swapped, a function body replaced by a constant, a field deleted), "
              "built and tested on its own; it is *caught* when a test fails, "
              "*missed* when every test passes. Score = caught / (caught + missed); "
              "mutants that do not compile are *unviable* and do not count. A whole "
              "run over the crate's 9 000-odd mutants takes days on two cores, so "
              "the crate-wide figure comes from a systematic sample (every N-th "
              "mutant), with an exact Clopper-Pearson 95% interval. A sample run "
              "after the tests written for earlier samples' survivors is the "
              "unbiased estimate for the code it ran on; an earlier sample's "
              "survivors killed since then raise that sample's own count but "
              "not the estimate. Each run records a hash of the list of all "
              "mutants it drew from: runs with the same hash sampled the same "
              "code, and the samples of the newest code sampled are pooled on "
              "their own as well. The tests run "
              "through cargo-nextest (all of `cargo test` but the doctests); a run "
              "restricted to some test targets (after `--`) gives a lower bound of "
              "what the whole suite catches.")
    md.append("")
    pooled = [r for r in record["runs"] if r.get("estimate")]
    newest = pooled[-1].get("population") if pooled else None
    if pooled:
        caught = sum(r["caught"] for r in pooled)
        viable = caught + sum(len(r["missed"]) for r in pooled)
        low, high = clopper_pearson(caught, viable)
        md.append("## Estimate")
        md.append("")
        which = ("the fresh sample marked below" if len(pooled) == 1
                 else f"the {len(pooled)} fresh samples marked below")
        md.append(f"From {which}: **{caught} of {viable} viable mutants caught, "
                  f"{100 * caught / viable:.1f}%**, exact 95% interval "
                  f"[{100 * low:.1f}%, {100 * high:.1f}%]. The target is 90%. "
                  "Each sample was drawn after the tests written for the earlier "
                  "samples' survivors; pooling the older ones with the newest "
                  "makes the figure conservative for the code as it is now.")
        md.append("")
        groups = {}
        for r in pooled:
            if r.get("population"):
                groups.setdefault(r["population"], []).append(r)
        if groups and any(len(g) < len(pooled) for g in groups.values()):
            md.append("Samples drawn from the same list of mutants (the same mutants "
                      "at the same places, recorded as a hash of the list) sampled "
                      "the same code, and pool on their own:")
            md.append("")
            md.append("| list of mutants | mutants | samples | caught | viable | score "
                      "| 95% interval |")
            md.append("|---|---:|---:|---:|---:|---:|---|")
            for hash_, group in groups.items():
                g_caught = sum(r["caught"] for r in group)
                g_viable = g_caught + sum(len(r["missed"]) for r in group)
                g_low, g_high = clopper_pearson(g_caught, g_viable)
                label = f"`{hash_}`" + (" (the newest code sampled)" if hash_ == newest
                                        else "")
                md.append(f"| {label} | {group[0]['population_size']:,} | {len(group)} "
                          f"| {g_caught} | {g_viable} | "
                          f"{100 * g_caught / g_viable:.1f}% | "
                          f"[{100 * g_low:.1f}%, {100 * g_high:.1f}%] |")
            md.append("")
        survivors = [name for r in pooled for name in r["missed"]]
        killed = sum(why.get(n, "").startswith("killed by") for n in survivors)
        equivalent = sum(why.get(n, "").startswith("Equivalent") for n in survivors)
        neither = len(survivors) - killed - equivalent
        md.append(f"Of the fresh samples' {len(survivors)} survivors, {killed} "
                  f"{'was' if killed == 1 else 'were'} killed "
                  f"since by new tests, {equivalent} {'is' if equivalent == 1 else 'are'} "
                  f"equivalent (no test can tell them apart), and {neither} "
                  f"{'is' if neither == 1 else 'are'} "
                  "neither; each is listed with its reason below. Counting the "
                  "kills would bias the estimate (those tests were written after "
                  "seeing the mutants), so it stays as measured.")
        md.append("")
    for run in record["runs"]:
        command = run["command"]
        caught, missed = run["caught"], len(run["missed"])
        unviable, timeout = run["unviable"], run["timeout"]
        viable = caught + missed
        md.append(f"## `{command}`")
        md.append("")
        if run.get("estimate"):
            if newest and run.get("population") == newest:
                md.append("*A fresh sample of the newest code sampled: counted in "
                          "the estimates above.*")
            else:
                md.append("*A fresh sample: counted in the estimate above.*")
            md.append("")
        md.append(f"cargo-mutants {run['cargo_mutants_version']}, "
                  f"{run['start_time'].replace('T', ' ')} UTC.")
        md.append("")
        md.append("| tested | caught | missed | unviable | timeouts | score | 95% interval |")
        md.append("|---:|---:|---:|---:|---:|---:|---|")
        sampled = "--sample" in command or "--shard" in command
        if viable:
            score = f"{100 * caught / viable:.1f}%"
            interval = "(every mutant of the files)"
            if sampled:
                low, high = clopper_pearson(caught, viable)
                interval = f"[{100 * low:.1f}%, {100 * high:.1f}%]"
        else:
            score, interval = "n/a", ""
        md.append(f"| {viable + unviable + timeout} | {caught} | "
                  f"{missed} | {unviable} | {timeout} | "
                  f"{score} | {interval} |")
        md.append("")
        killed = sum(why.get(name, "").startswith("killed by") for name in run["missed"])
        if killed and viable:
            md.append(f"Since the run, {killed} of its survivors {'was' if killed == 1 else 'were'} killed by new tests "
                      "(each confirmed by re-running that mutant): "
                      f"{caught + killed} of {viable} caught, "
                      f"{100 * (caught + killed) / viable:.1f}%"
                      + (" (the sample's score stays the one measured above as the "
                         "estimate for the code it sampled: its survivors are no "
                         "longer a random draw)." if sampled else "."))
            md.append("")
        if missed:
            md.append("Survivors, and what became of each:")
            md.append("")
            md.append("| mutant | status |")
            md.append("|---|---|")
            for name in sorted(run["missed"]):
                md.append(f"| `{name}` | {why.get(name, '**not yet explained**')} |")
            md.append("")
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(md))
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
