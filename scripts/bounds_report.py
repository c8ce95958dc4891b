#!/usr/bin/env python3
"""Write reports/bounds.md: every error bound that the unit tests check
against 320-bit references, with the inputs sampled, the worst observed
error/bound ratio and the floor the test asserts. Standard library only.

The rows come from the tests themselves: each bound check prints one line
`bound-ratio <TAB> name <TAB> inputs <TAB> worst <TAB> floor` when it
finishes (see src/test_support/bounds.rs). This script runs the library's
unit tests on one thread with their output shown, collects those lines and
writes the page atomically (a temporary file, then a rename). The samples
come from named ChaCha streams at the default seed, so a rerun gives the same
page byte for byte.

Usage:

    python3 scripts/bounds_report.py [--out reports/bounds.md]
"""

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = ["cargo", "test", "--release", "--lib", "--", "--nocapture", "--test-threads=1"]


def collect():
    run = subprocess.run(COMMAND, cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
        raise SystemExit("the unit tests failed; no page written")
    rows = {}
    for line in run.stdout.splitlines():
        # A row may follow other output on the same line (test names are
        # printed before a test's own output), so find the marker anywhere.
        at = line.find("bound-ratio\t")
        if at < 0:
            continue
        fields = line[at:].split("\t")
        if len(fields) != 5:
            raise SystemExit(f"malformed row: {line!r}")
        _, name, inputs, worst, floor = fields
        if name in rows:
            raise SystemExit(f"two checks are named {name!r}")
        rows[name] = (int(inputs), float(worst), float(floor))
    if not rows:
        raise SystemExit("no bound-ratio rows in the tests' output")
    return rows


def render(rows):
    out = [
        "# Error bounds against 320-bit references",
        "",
        "Written by `python3 scripts/bounds_report.py`, which runs",
        f"`{' '.join(COMMAND)}` and collects the row each bound check",
        "prints. Each check evaluates a bound of the crate on random inputs",
        "(named ChaCha streams at the default seed) and adversarial ones, against",
        "exact values at 320 bits (astro-float), and asserts both:",
        "",
        "- validity: |computed − exact| ≤ bound on every input sampled;",
        "- tightness: the worst error/bound ratio reaches the floor, so a bound",
        "  loosened by more than 1/floor fails its test.",
        "",
        "Each test's comment says why its floor is what it is, and where a bound",
        "must stay loose.",
        "",
        "The rows ending in *worst rounding* take the error from a replay instead:",
        "the computation is repeated at 320 bits with each of its roundings (and",
        "each primitive's stated error: a compensated sum, the platform's ln and",
        "exp at one ulp, a measure at its contract's allowance) chosen to move",
        "the compared quantity furthest, to first order in u. Real roundings",
        "mostly cancel, so on real computations a bound term that is missing or",
        "too small still passes; against the replay, every term of a bound is",
        "used, and a bound that is the sum of its terms' worst cases times 1.01",
        "reaches 1/1.01 = 0.9901.",
        "",
        "| bound | inputs sampled | worst error/bound | floor |",
        "|---|---:|---:|---:|",
    ]
    for name in sorted(rows):
        inputs, worst, floor = rows[name]
        # A bar inside a cell would end it; the ratio to 4 digits, so that
        # 0.9996 does not read as 1.
        cell = name.replace("|", "\\|")
        shown = f"{worst:.4g}"
        if worst < 1.0 and float(shown) >= 1.0:
            shown = f"{worst:.6g}"
        out.append(f"| {cell} | {inputs} | {shown} | {floor:.4g} |")
    out.append("")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "reports", "bounds.md"))
    args = parser.parse_args()
    page = render(collect())
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
