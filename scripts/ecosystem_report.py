#!/usr/bin/env python3
"""Write reports/ecosystem.md: real Python libraries through `logloss-proofs
conform`, one adapter each (examples/adapters/), in f64 and in f32.

The script
1. makes a virtual environment outside the repository (--venv, default
   ~/.cache/logloss-proofs/ecosystem-venv) and pip-installs numpy, scipy,
   torch, jax, optax, scikit-learn and keras into it from PyPI (the torch
   wheel brings about 6 GB of CUDA libraries and runs on the CPU);
2. builds the kit (`cargo build --release`);
3. runs `target/release/logloss-proofs conform --json` on every adapter at
   each precision, timing each run, and keeps the raw JSON and the run
   record under target/ecosystem/ (not committed);
4. renders reports/ecosystem.md from those files alone: the same files give
   the same bytes.

Usage:

    python3 scripts/ecosystem_report.py [--venv DIR] [--skip LIB]... \\
        [--cases N] [--seed S] [--timeout SECONDS] [--out reports/ecosystem.md]
    python3 scripts/ecosystem_report.py --render-only    # re-render, no runs

--skip takes a package name (numpy, scipy, torch, jax, optax, scikit-learn,
keras): it is not installed, and the adapters that import it are not run.
--no-install uses the environment as it is. Standard library only.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "target", "ecosystem")
RECORD = os.path.join(OUT_DIR, "runs.json")
DEFAULT_VENV = os.path.join("~", ".cache", "logloss-proofs", "ecosystem-venv")
BINARY = os.path.join("target", "release", "logloss-proofs")
PACKAGES = ["numpy", "scipy", "torch", "jax", "optax", "scikit-learn", "keras"]
PRECISIONS = ["f64", "f32"]


class Adapter:
    """One run target: an adapter file, its arguments, the packages it imports."""

    def __init__(self, key, label, file, args, needs, call):
        self.key, self.label, self.file = key, label, file
        self.args, self.needs, self.call = args, needs, call

    def command(self, python):
        words = [python, f"examples/adapters/{self.file}", *self.args]
        return " ".join(words)


ADAPTERS = [
    Adapter("numpy", "numpy", "numpy_adapter.py", [], ["numpy"],
            "masked p·ln p and p·ln q, termwise KL, max-shifted log-sum-exp"),
    Adapter("scipy", "scipy", "scipy_adapter.py", [], ["numpy", "scipy"],
            "scipy.special entr, xlogy, rel_entr, log_softmax"),
    Adapter("torch", "PyTorch", "torch_adapter.py", [], ["torch"],
            "F.cross_entropy (probability targets), F.kl_div (log-probs), "
            "torch.special.entr, autograd"),
    Adapter("jax-optax", "JAX (optax losses)", "jax_adapter.py", [], ["jax", "optax"],
            "optax.softmax_cross_entropy(ln q, p), optax.kl_divergence(ln q, p), "
            "jax.scipy.special.entr, jax.grad"),
    Adapter("jax-special", "JAX (jax.scipy.special)", "jax_adapter.py", ["special"],
            ["jax", "optax"],
            "jax.scipy.special xlogy and rel_entr for q; optax.softmax_cross_entropy "
            "for logits; jax.grad"),
    Adapter("sklearn", "scikit-learn", "sklearn_adapter.py", [], ["numpy", "scikit-learn"],
            "sklearn.metrics.log_loss (one-hot targets only)"),
    Adapter("keras", "Keras 3 (JAX backend)", "keras_adapter.py", [], ["keras", "jax"],
            "keras.losses CategoricalCrossentropy, KLDivergence; jax.grad"),
]

OPS = ["entropy", "cross_entropy", "kl_divergence", "cross_entropy_logits",
       "cross_entropy_logits_grad"]
#: The table's line for the identity check, whose failure names no one operation.
IDENTITY_ROW = "CE = H + KL"
#: The operations each check asks for, for a failure that names none.
CHECK_OPS = {
    "agreement/entropy": ["entropy"],
    "agreement/cross_entropy": ["cross_entropy"],
    "agreement/kl_divergence": ["kl_divergence"],
    "agreement/cross_entropy_logits": ["cross_entropy_logits"],
    "identity": [IDENTITY_ROW],
    "gibbs": ["kl_divergence"],
    "zero-semantics": ["entropy", "cross_entropy", "kl_divergence"],
    "stability": ["cross_entropy_logits", "cross_entropy_logits_grad"],
    "reductions": OPS[:4],
    "permutation": OPS,
    "gradient": ["cross_entropy_logits_grad"],
}
OP_NAME = re.compile(r"\b(cross_entropy_logits_grad|cross_entropy_logits|cross_entropy|"
                     r"kl_divergence|entropy)\b")


def documented_reason(adapter, finding):
    """The library's documented behaviour that accounts for a finding, in a
    sentence with the documentation's name, or None. Matched on what the
    kit's JSON says (cause, hints, operations), never assumed."""
    cause, hints, ops = finding["cause"], finding["hint_names"], set(finding["ops"])
    values_only = ops <= {"cross_entropy", "kl_divergence", IDENTITY_ROW}
    if "float32" in hints:
        return ("JAX computes in float32 unless `jax_enable_x64` is set (JAX docs, "
                "\"Double (64 bit) precision\"); it says so on stderr only.")
    if adapter.key == "torch" and cause == "nan-where-p-is-zero":
        return ("`torch.nn.functional.kl_div` (`KLDivLoss`) takes the prediction as log-"
                "probabilities and forms target·(log target − input); `F.cross_entropy` with "
                "probability targets sums target·log_softmax(input). With ln 0 = −∞ passed "
                "for q = 0, a target of 0 meets −∞ and 0·(−∞) is NaN.")
    if adapter.key == "jax-optax" and cause == "nan-where-p-is-zero":
        return ("`optax.kl_divergence` takes log-predictions and zeroes only ln(targets) "
                "where targets = 0, not targets·log_predictions; "
                "`optax.softmax_cross_entropy` sums labels·log_softmax(logits). "
                "With ln 0 = −∞ for q = 0, 0·(−∞) is NaN.")
    if adapter.key == "sklearn" and values_only:
        return ("`sklearn.metrics.log_loss` clips y_proba into [eps, 1 − eps], eps the "
                "machine epsilon of its dtype (its docstring says so).")
    if adapter.key == "keras" and values_only:
        return ("`keras.losses.categorical_crossentropy` divides each row of y_pred by "
                "its sum and clips it into [ε, 1 − ε], ε = `keras.config.epsilon()` = 1e−7; "
                "`keras.losses.kl_divergence` clips both y_true and y_pred into [ε, 1] "
                "(the docstring's own example shows the clip).")
    return None


# ---------------------------------------------------------------- running


def run(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def make_venv(venv, skip):
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        run([sys.executable, "-m", "venv", venv])
    wanted = [p for p in PACKAGES if p not in skip]
    run(["nice", python, "-m", "pip", "install", "--quiet", *wanted])


def versions(python):
    code = ("import importlib.metadata as m, json, platform\n"
            "out = {'python': platform.python_version()}\n"
            f"for name in {PACKAGES!r}:\n"
            "    try:\n"
            "        out[name] = m.version(name)\n"
            "    except m.PackageNotFoundError:\n"
            "        out[name] = None\n"
            "print(json.dumps(out))\n")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def kit_defaults():
    """The kit's default --cases and --seed, read from its help."""
    text = subprocess.run([os.path.join(ROOT, BINARY), "conform", "--help"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    found = {}
    for option in ("cases", "seed"):
        m = re.search(rf"--{option} <\w+>.*?\[default: (\d+)\]", text, re.S)
        found[option] = int(m.group(1)) if m else None
    return found


def conform_argv(python, adapter, precision, args):
    return [BINARY, "conform", "--json", "--quiet-adapter", "--cases", str(args.cases),
            "--seed", str(args.seed), "--precision", precision, "--timeout",
            f"{args.timeout:g}", "--cmd", adapter.command(python)]


def shown_argv(argv):
    """A command line as the report shows it: the venv as $VENV."""
    words = []
    for w in argv:
        words.append(f'"{w}"' if " " in w else w)
    return " ".join(words)


def run_all(args, python, venv):
    os.makedirs(OUT_DIR, exist_ok=True)
    info = versions(python)
    skipped = set(args.skip)
    runs = []
    for adapter in ADAPTERS:
        left_out = [n for n in adapter.needs if n in skipped]
        absent = [n for n in adapter.needs if n not in skipped and not info.get(n)]
        for precision in PRECISIONS:
            entry = {"key": adapter.key, "precision": precision,
                     "command": shown_argv(conform_argv("$VENV/bin/python", adapter,
                                                        precision, args))}
            if left_out or absent:
                why = [f"{', '.join(left_out)} left out (--skip)"] if left_out else []
                why += [f"{', '.join(absent)} not installed"] if absent else []
                entry["not_run"] = "; ".join(why)
                runs.append(entry)
                continue
            argv = conform_argv(os.path.join(venv, "bin", "python"), adapter, precision, args)
            print("+", entry["command"], file=sys.stderr, flush=True)
            start = time.monotonic()
            done = subprocess.run(["nice", *argv], cwd=ROOT, capture_output=True, text=True)
            entry["wall_seconds"] = round(time.monotonic() - start, 1)
            entry["exit"] = done.returncode
            path = os.path.join(OUT_DIR, f"{adapter.key}-{precision}.json")
            with open(path, "w") as f:
                f.write(done.stdout)
            entry["json"] = os.path.basename(path)
            entry["stderr"] = sanitized(done.stderr, venv).strip().splitlines()[-5:]
            print(f"  exit {done.returncode} in {entry['wall_seconds']} s", file=sys.stderr)
            runs.append(entry)
    kit = subprocess.run([os.path.join(ROOT, BINARY), "--version"], capture_output=True,
                         text=True).stdout.strip()
    record = {"run_on": datetime.date.today().isoformat(), "kit": kit,
              "cases": args.cases, "seed": args.seed, "timeout": args.timeout,
              "versions": info, "runs": runs}
    with open(RECORD, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")


def sanitized(text, venv):
    """Machine paths out: the venv as $VENV, the checkout as `.`."""
    return text.replace(venv, "$VENV").replace(ROOT + os.sep, "").replace(ROOT, ".")


# ---------------------------------------------------------------- reading


def load_run(entry):
    """The kit's JSON of a run, or None when it did not finish."""
    if "json" not in entry or entry.get("exit") not in (0, 1):
        return None
    with open(os.path.join(OUT_DIR, entry["json"])) as f:
        text = f.read().strip()
    return json.loads(text) if text else None


def hint_text(h):
    name = h["hint"]
    if name == "clipped-q":
        return f"clipped-q (ε ≈ {float(h['epsilon']):.1e})"
    if name == "mean-over-elements":
        return f"mean-over-elements ({h['categories']} categories)"
    if name == "not-divided-by-rows":
        return f"not-divided-by-rows ({h['rows']} rows)"
    return name


def case_text(case):
    if not case:
        return "(none shown)"
    return "; ".join(f"{name} = {json.dumps(rows, separators=(',', ':'))}"
                     for name, rows in case.items())


def ops_of(check):
    named = sorted(set(OP_NAME.findall(check.get("problem") or "")), key=OPS.index)
    return named or CHECK_OPS.get(check["name"], OPS)


def findings_of(report):
    """The failed checks grouped by the kit's root causes: one finding per
    cause (or per failed check that shares none), first check's case shown."""
    failed = [c for c in report["checks"] if c["outcome"] == "failed"]
    by_name = {c["name"]: c for c in failed}
    taken, findings = set(), []
    groups = [(rc["cause"], rc.get("detail"), rc["checks"]) for rc in report["root_causes"]]
    groups += [(None, None, [c["name"]]) for c in failed]
    for cause, detail, names in groups:
        names = [n for n in names if n in by_name and n not in taken]
        if not names:
            continue
        taken.update(names)
        checks = [by_name[n] for n in names]
        first = checks[0]
        hints = []
        for c in checks:
            for h in c["hints"]:
                if hint_text(h) not in hints:
                    hints.append(hint_text(h))
        ops = []
        for c in checks:
            ops += [o for o in ops_of(c) if o not in ops]
        findings.append({
            "cause": cause, "detail": detail, "checks": names, "ops": ops,
            "problem": first["problem"], "case": first["case"], "hints": hints,
            "hint_names": {h["hint"] for c in checks for h in c["hints"]},
        })
    return findings


def cause_label(f):
    if f["cause"] == "nan-where-p-is-zero":
        return "NaN where p has a zero"
    if f["cause"] == "hint" and f["detail"]:
        return hint_text(f["detail"])
    if f["hints"]:
        return f["hints"][0]
    if f["cause"] == "same-case":
        return "one shrunk case"
    return f["checks"][0]


def supported_ops(report):
    return {c["op"] for c in report["capabilities"] if c["support"] == "supported"}


def fmt_seconds(s):
    if s < 120:
        return f"{s:.1f} s"
    return f"{s / 60:.1f} min"


# ---------------------------------------------------------------- rendering


def render(record):
    runs = {(r["key"], r["precision"]): r for r in record["runs"]}
    reports = {k: load_run(r) for k, r in runs.items()}
    adapters = [a for a in ADAPTERS if any((a.key, p) in runs for p in PRECISIONS)]
    v = record["versions"]
    md = []
    w = md.append
    w("# Real libraries through `conform`")
    w("")
    w("Generated by `scripts/ecosystem_report.py` from the kit's own `conform --json` "
      "output; every finding below is read from that output, none is written by hand. "
      "Each library is driven by a short adapter in `examples/adapters/` that makes the "
      "calls its documentation gives, in the library's own float64 or float32 arithmetic. "
      "A finding is what the library's documented behaviour gives on the kit's inputs: "
      "an answer to \"what does this call compute?\", not a verdict on the library.")
    w("")
    w(f"Run on {record['run_on']} with {record['kit']}, {record['cases']} cases per check, "
      f"seed {record['seed']}, per-answer timeout {record['timeout']:g} s, on a shared "
      "2-core machine (wall times are noisy).")
    w("")
    shapes = shape_lines(adapters, reports)
    if shapes:
        w(shapes[0])
        w("")
        for line in shapes[1:]:
            w(line)
        if len(shapes) > 1:
            w("")
    w("## Versions")
    w("")
    w("| package | version |")
    w("|---|---|")
    for name in ["python", *PACKAGES]:
        w(f"| {name} | {v.get(name) or 'not installed'} |")
    w("")
    w("## Commands")
    w("")
    w("`$VENV` is the virtual environment the script made (`--venv`). Each run:")
    w("")
    w("```sh")
    for a in adapters:
        for p in PRECISIONS:
            r = runs.get((a.key, p))
            if r is not None and "not_run" not in r:
                w(r["command"])
    w("```")
    w("")
    w("## What each library answers")
    w("")
    w("Each cell: `agrees` (every check that asked for the operation passed), `not "
      "offered` (the adapter answers it as unsupported), or the findings (details below). "
      "\"unfinished\" names checks that stopped at another operation's failure before "
      "finishing this one.")
    w("")
    w("| library | calls | operation | f64 | f32 |")
    w("|---|---|---|---|---|")
    all_findings = []  # (id, adapter, precision, finding)
    cell_findings = {}
    for a in adapters:
        for p in PRECISIONS:
            rep = reports.get((a.key, p))
            if rep is None:
                continue
            for f in findings_of(rep):
                fid = f"F{len(all_findings) + 1}"
                all_findings.append((fid, a, p, f))
                for op in f["ops"]:
                    cell_findings.setdefault((a.key, p, op), []).append((fid, f))
    for a in adapters:
        if all(reports.get((a.key, p)) is None for p in PRECISIONS):
            cells = [cell(a, p, OPS[0], runs, reports, cell_findings) for p in PRECISIONS]
            w(f"| {a.label} | {a.call} | all | {cells[0]} | {cells[1]} |")
            continue
        rows = OPS + [IDENTITY_ROW]
        for i, op in enumerate(rows):
            cells = [cell(a, p, op, runs, reports, cell_findings) for p in PRECISIONS]
            if op == IDENTITY_ROW and all(c == "not offered" for c in cells):
                continue
            label = f"{a.label}" if i == 0 else ""
            calls = a.call if i == 0 else ""
            shown_op = op if op == IDENTITY_ROW else f"`{op}`"
            w(f"| {label} | {calls} | {shown_op} | {cells[0]} | {cells[1]} |")
    w("")
    w("## Checks")
    w("")
    w("Each cell: the outcome at f64 · at f32 (`ok`, `FAILED`, `skipped`: every operation "
      "it needs not offered). Where the library refused some inputs, the cases it declined "
      "follow in parentheses. \"tolerance ∞\": some comparison of the check had an infinite "
      "bound and so accepted any answer (the bounds grow with |ln q|, and are infinite where "
      "q = 0 < p and the answer is finite); the check passed without judging those rows.")
    w("")
    names = check_names(reports)
    w("| check | " + " | ".join(a.label for a in adapters) + " |")
    w("|---|" + "---|" * len(adapters))
    for name in names:
        line = [f"`{name}`"]
        for a in adapters:
            parts = []
            for p in PRECISIONS:
                rep = reports.get((a.key, p))
                c = next((c for c in rep["checks"] if c["name"] == name), None) if rep else None
                if c is None:
                    parts.append("–")
                    continue
                mark = {"passed": "ok", "failed": "FAILED", "skipped": "skipped"}[c["outcome"]]
                if c.get("declined"):
                    mark += f" ({declined_text(c)})"
                if "inf" in (c["resolution"]["relative"], c["resolution"]["absolute"]):
                    mark += " (tolerance ∞)"
                parts.append(mark)
            line.append(" · ".join(parts))
        w("| " + " | ".join(line) + " |")
    w("")
    w("## Wall time")
    w("")
    w("Whole `conform` runs, start-up and the adapter's imports included.")
    w("")
    w("| library | f64 | f32 |")
    w("|---|---|---|")
    for a in adapters:
        cells = []
        for p in PRECISIONS:
            r = runs.get((a.key, p))
            if r is None or "not_run" in r:
                cells.append(f"not run ({r['not_run']})" if r else "not run")
            else:
                status = {0: "passed", 1: "failed"}.get(r["exit"], f"exit {r['exit']}")
                cells.append(f"{fmt_seconds(r['wall_seconds'])} ({status})")
        w(f"| {a.label} | {cells[0]} | {cells[1]} |")
    w("")
    w("## Findings")
    w("")
    if not all_findings:
        w("None: every library agreed on every operation it offers.")
        w("")
    for fid, a, p, f in all_findings:
        checks = ", ".join(f"`{n}`" for n in f["checks"])
        w(f"### {fid}: {a.label}, {p}: {cause_label(f)}")
        w("")
        w(f"- checks: {checks}")
        w(f"- problem (`{f['checks'][0]}`): {f['problem']}")
        w(f"- shrunk case: `{case_text(f['case'])}`")
        if f["hints"]:
            w(f"- hints: {', '.join(f['hints'])}")
        reason = documented_reason(a, f)
        w(f"- why: {reason}" if reason else
          "- why: no documented behaviour on file accounts for it; read the case")
        w("")
    for (key, p), r in sorted(runs.items(), key=lambda kv: order(kv[0])):
        if "not_run" not in r and r.get("exit") not in (0, 1):
            a = next(a for a in ADAPTERS if a.key == key)
            w(f"- {a.label}, {p}: the run did not finish (exit {r.get('exit')}): "
              + " / ".join(r.get("stderr") or []))
            w("")
    w("## What this means for choosing a loss call")
    w("")
    for line in advice(adapters, reports, all_findings):
        w(line)
    w("")
    return "\n".join(md)


def shape_lines(adapters, reports):
    """The batch shapes the runs drew from: the common sets, then any run
    whose declared domain narrowed them."""
    def sets(rep):
        sh = rep.get("shapes") or {}
        return tuple(sh.get("categories") or []), tuple(sh.get("rows") or [])

    seen = [(a, p, sets(reports[(a.key, p)])) for a in adapters for p in PRECISIONS
            if reports.get((a.key, p)) and reports[(a.key, p)].get("shapes")]
    if not seen:
        return []
    counts = {}
    for _, _, s in seen:
        counts[s] = counts.get(s, 0) + 1
    common = max(counts, key=lambda s: (counts[s], s))

    def text(s):
        return (f"categories {{{', '.join(map(str, s[0]))}}}, "
                f"rows {{{', '.join(map(str, s[1]))}}}")

    lines = [f"Batch shapes drawn from: {text(common)}."]
    for a, p, s in seen:
        if s != common:
            lines.append(f"- {a.label} at {p}, within its declared domain: {text(s)}.")
    return lines


def declined_text(c):
    """How many cases a check's program declined, out of how many."""
    if c["cases"] >= c["declined"] > 0:
        return f"{c['declined']} of {c['cases']} declined"
    return f"declined in {c['declined']} cases"


def order(key_precision):
    key, p = key_precision
    return ([a.key for a in ADAPTERS].index(key), PRECISIONS.index(p))


def check_names(reports):
    for rep in reports.values():
        if rep:
            return [c["name"] for c in rep["checks"]]
    return []


def cell(a, p, op, runs, reports, cell_findings):
    r = runs.get((a.key, p))
    if r is None or "not_run" in r:
        return "not run"
    rep = reports.get((a.key, p))
    if rep is None:
        return f"run failed (exit {r.get('exit')})"
    mine = cell_findings.get((a.key, p, op), [])
    if mine:
        return "; ".join(f"**{fid}** {cause_label(f)}" for fid, f in mine)
    if op == IDENTITY_ROW:
        c = next(c for c in rep["checks"] if c["name"] == "identity")
        return "not offered" if c["outcome"] == "skipped" else "agrees"
    if op not in supported_ops(rep):
        return "not offered"
    unfinished = [c["name"] for c in rep["checks"]
                  if c["outcome"] == "failed" and op in CHECK_OPS.get(c["name"], [])]
    text = "agrees"
    agreement = next((c for c in rep["checks"] if c["name"] == f"agreement/{op}"), None)
    if agreement and agreement.get("declined"):
        taken = agreement["cases"] - agreement["declined"]
        text += f" ({taken} of {agreement['cases']} cases taken)"
    if unfinished:
        text += "; unfinished: " + ", ".join(f"`{n}`" for n in unfinished)
    return text


def advice(adapters, reports, all_findings):
    """The section's lines, each claim drawn from the runs."""
    lines = []

    def labels(keys):
        return ", ".join(a.label for a in adapters if a.key in keys)

    def both(key):
        return [reports.get((key, p)) for p in PRECISIONS if reports.get((key, p))]

    def cells_agree(key, ops):
        reps = both(key)
        return len(reps) == len(PRECISIONS) and all(
            op in supported_ops(r) and not any(op in f["ops"] for _, a, p, f in all_findings
                                               if a.key == key)
            for r in reps for op in ops)

    everything = [a.key for a in adapters if len(both(a.key)) == len(PRECISIONS)
                  and all(r["passed"] and supported_ops(r) >= set(OPS) for r in both(a.key))]
    nan = {a.key for _, a, _, f in all_findings if f["cause"] == "nan-where-p-is-zero"}
    clipping = {a.key for _, a, _, f in all_findings
                if "clips" in (documented_reason(a, f) or "")}
    logits = [a.key for a in adapters
              if cells_agree(a.key, ["cross_entropy_logits", "cross_entropy_logits_grad"])]
    unexplained = [(fid, a) for fid, a, _, f in all_findings if not documented_reason(a, f)]
    if everything:
        lines.append(f"- No finding on any operation, in f64 and in f32: {labels(everything)}. "
                     "Their calls carry 0·ln 0 = 0 in the function (entr, xlogy, rel_entr) or "
                     "in an explicit mask over p > 0, and leave ln 0 = −∞ to give +∞ where "
                     "q = 0 < p.")
    if logits:
        text = (f"- From logits (`cross_entropy_logits` and its gradient) with no finding at "
                f"either precision: {labels(logits)}.")
        from_q = {"entropy", "cross_entropy", "kl_divergence", IDENTITY_ROW}
        if all_findings and all(set(f["ops"]) <= from_q for _, _, _, f in all_findings):
            text += (" Every finding here comes from probabilities: where the model produces "
                     "logits, passing them to the library's softmax cross-entropy avoids them.")
        lines.append(text)
    if nan:
        lines.append(f"- NaN where p = q = 0: {labels(nan)}. These calls take ln q and multiply "
                     "it by p, so a zero in both meets 0·(−∞). Where q can hold a zero, use a "
                     "function that drops the terms with p = 0 (xlogy, rel_entr) or mask them; "
                     "clamping q before the logarithm trades the NaN for a finite value where "
                     "the answer is +∞.")
    if clipping:
        lines.append(f"- Clipped probabilities: {labels(clipping)}. The value is finite where "
                     "q = 0 < p, which keeps a training loss finite, and it moves wherever an "
                     "entry lies beyond the clip: a training objective, not a measurement of "
                     "CE or KL.")
    for a in adapters:
        taken = []
        for p in PRECISIONS:
            rep = reports.get((a.key, p))
            agreement = [c for c in rep["checks"] if c["name"].startswith("agreement/")
                         and c.get("declined")] if rep else []
            taken += [f"{c['cases'] - c['declined']} of {c['cases']} cases of `{c['name']}` "
                      f"at {p}" for c in agreement]
        if taken:
            own = [fid for fid, b, _, _ in all_findings if b.key == a.key]
            lines.append(f"- {a.label} declined the inputs it does not take and answered "
                         f"{'; '.join(taken)}. "
                         + (f"Its findings ({', '.join(own)}) come from those."
                            if own else "No check failed on the cases it took, which is all "
                            "these runs can say of it."))
    if unexplained:
        ids = ", ".join(f"{fid} ({a.label})" for fid, a in unexplained)
        lines.append(f"- Not accounted for by a documented behaviour: {ids}.")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--venv", default=DEFAULT_VENV, help="virtual environment directory")
    ap.add_argument("--skip", action="append", default=[], choices=PACKAGES, metavar="LIB",
                    help="leave a package out (repeatable)")
    ap.add_argument("--cases", type=int, default=None, help="cases per check (kit default)")
    ap.add_argument("--seed", type=int, default=None, help="seed (kit default)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds for each answer after the first (JAX compiles per shape)")
    ap.add_argument("--no-install", action="store_true", help="use the venv as it is")
    ap.add_argument("--render-only", action="store_true",
                    help="render from target/ecosystem/ without running anything")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "ecosystem.md"))
    args = ap.parse_args()

    if not args.render_only:
        venv = os.path.abspath(os.path.expanduser(args.venv))
        if venv == ROOT or venv.startswith(ROOT + os.sep):
            ap.error("--venv must be outside the repository")
        if not args.no_install:
            make_venv(venv, set(args.skip))
        run(["nice", "cargo", "build", "--release"], cwd=ROOT)
        defaults = kit_defaults()
        args.cases = args.cases or defaults["cases"]
        args.seed = args.seed if args.seed is not None else defaults["seed"]
        run_all(args, os.path.join(venv, "bin", "python"), venv)
    with open(RECORD) as f:
        record = json.load(f)
    with open(args.out, "w") as f:
        f.write(render(record))
    print(f"wrote {os.path.relpath(args.out, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
