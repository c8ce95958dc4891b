//! The library adapters of examples/adapters/ through the real binary: the
//! libraries whose documented calls give the exact conventions pass, and
//! those that clip or answer NaN fail the checks that say so, by name.
//!
//! Each test runs only where its library imports in the interpreter named by
//! LOGLOSS_PROOFS_PYTHON (default `python3`); elsewhere it prints
//! "skipped: LIB not importable" and passes. Where CI has none of these
//! libraries every test skips; scripts/ecosystem_report.py installs them all
//! into a virtual environment, whose python can be named here.

#[path = "common/binary.rs"]
mod binary;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use binary::{run, stderr, stdout};
use serde_json::Value;

/// Few cases keep each run short; a library that compiles per shape (JAX,
/// Keras on JAX) still takes a minute or more.
const CASES: &str = "32";

fn python() -> String {
    std::env::var("LOGLOSS_PROOFS_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Whether every module imports; if not, says which test skips and why.
fn importable(modules: &[&str]) -> bool {
    for module in modules {
        let ok = Command::new(python())
            .args(["-c", &format!("import {module}")])
            // Keras 3 imports its backend on import; the adapter uses JAX.
            .env("KERAS_BACKEND", "jax")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            println!("skipped: {module} not importable");
            return false;
        }
    }
    true
}

/// `conform --json` on the adapter (with its arguments) at `precision`:
/// exit code and the parsed report.
fn conform(adapter: &str, args: &[&str], precision: &str) -> (Option<i32>, Value) {
    conform_cases(adapter, args, precision, CASES)
}

fn conform_cases(
    adapter: &str,
    args: &[&str],
    precision: &str,
    cases: &str,
) -> (Option<i32>, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/adapters")
        .join(adapter);
    // Quoted, so a checkout path with spaces still splits into one word.
    let mut cmd = format!("{} '{}'", python(), path.display());
    for a in args {
        cmd.push(' ');
        cmd.push_str(a);
    }
    let o = run(&[
        "conform",
        "--json",
        "--quiet-adapter",
        "--cases",
        cases,
        "--precision",
        precision,
        "--timeout",
        "60",
        "--cmd",
        &cmd,
    ]);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{adapter} {precision}: no JSON report ({e}); exit {:?}, stdout {}, stderr {}",
            o.status.code(),
            stdout(&o),
            stderr(&o)
        )
    });
    (o.status.code(), report)
}

/// The names of the checks with the outcome `outcome`.
fn checks(report: &Value, outcome: &str) -> BTreeSet<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["outcome"] == outcome)
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Exit 0 with no check failed, and the skipped ones exactly `skipped`.
fn assert_passes(adapter: &str, args: &[&str], precision: &str, skipped: &[&str]) {
    let (code, report) = conform(adapter, args, precision);
    let failed = checks(&report, "failed");
    assert!(
        code == Some(0) && failed.is_empty(),
        "{adapter} {args:?} {precision}: exit {code:?}, failed {failed:?}: {report}"
    );
    assert_eq!(checks(&report, "skipped"), set(skipped), "{report}");
}

/// Exit 1; every check in `must` failed, none outside `may` did, and every
/// check in `pass` passed.
fn assert_fails(
    adapter: &str,
    args: &[&str],
    precision: &str,
    must: &[&str],
    may: &[&str],
    pass: &[&str],
) -> Value {
    let (code, report) = conform(adapter, args, precision);
    let failed = checks(&report, "failed");
    assert_eq!(code, Some(1), "{adapter} {precision}: {report}");
    assert!(
        set(must).is_subset(&failed),
        "{adapter} {precision}: {must:?} should fail, failed {failed:?}"
    );
    let allowed: BTreeSet<String> = set(must).union(&set(may)).cloned().collect();
    assert!(
        failed.is_subset(&allowed),
        "{adapter} {precision}: unexpected failures {:?}",
        failed.difference(&allowed).collect::<Vec<_>>()
    );
    assert!(
        set(pass).is_subset(&checks(&report, "passed")),
        "{adapter} {precision}: {pass:?} should pass: {report}"
    );
    report
}

/// Whether the report names `cause` as the root cause of some failures.
fn has_root_cause(report: &Value, cause: &str) -> bool {
    report["root_causes"]
        .as_array()
        .is_some_and(|rc| rc.iter().any(|c| c["cause"] == cause))
}

/// The checks that a NaN at p = q = 0 in CE and KL fails (besides the two
/// agreement checks, which fail first).
const NAN_ALSO: [&str; 5] = [
    "identity",
    "gibbs",
    "zero-semantics",
    "reductions",
    "permutation",
];

/// The checks that do not ask for CE or KL from probabilities.
const LOGITS_AND_ENTROPY: [&str; 4] = [
    "agreement/entropy",
    "agreement/cross_entropy_logits",
    "stability",
    "gradient",
];

#[test]
fn numpy_written_with_masks_passes_at_both_precisions() {
    if importable(&["numpy"]) {
        assert_passes("numpy_adapter.py", &[], "f64", &[]);
        assert_passes("numpy_adapter.py", &[], "f32", &[]);
    }
}

#[test]
fn scipy_special_passes_at_both_precisions() {
    if importable(&["numpy", "scipy"]) {
        assert_passes("scipy_adapter.py", &[], "f64", &[]);
        assert_passes("scipy_adapter.py", &[], "f32", &[]);
    }
}

#[test]
fn jax_scipy_special_passes_at_f64() {
    if importable(&["jax", "optax"]) {
        assert_passes("jax_adapter.py", &["special"], "f64", &[]);
    }
}

/// The two agreement checks fail, only the checks a NaN at p = q = 0 reaches
/// may fail besides, the logits and entropy checks pass, and the root cause
/// is that NaN.
fn assert_nan_where_p_and_q_are_zero(adapter: &str) {
    let report = assert_fails(
        adapter,
        &[],
        "f64",
        &["agreement/cross_entropy", "agreement/kl_divergence"],
        &NAN_ALSO,
        &LOGITS_AND_ENTROPY,
    );
    assert!(has_root_cause(&report, "nan-where-p-is-zero"), "{report}");
}

#[test]
fn optax_losses_give_nan_where_p_and_q_are_zero() {
    if importable(&["jax", "optax"]) {
        assert_nan_where_p_and_q_are_zero("jax_adapter.py");
    }
}

#[test]
fn torch_losses_give_nan_where_p_and_q_are_zero() {
    if importable(&["torch"]) {
        assert_nan_where_p_and_q_are_zero("torch_adapter.py");
    }
}

#[test]
fn keras_clips_probabilities_and_offers_no_entropy() {
    if importable(&["jax", "keras"]) {
        let report = assert_fails(
            "keras_adapter.py",
            &[],
            "f64",
            &[
                "agreement/cross_entropy",
                "agreement/kl_divergence",
                "zero-semantics",
                // Where q = 0 < p only +∞ is accepted: a clipped, finite KL
                // fails these too.
                "gibbs",
                "permutation",
            ],
            &["reductions"],
            &["agreement/cross_entropy_logits", "stability", "gradient"],
        );
        // No entropy loss: the checks that need it are skipped.
        let skipped = checks(&report, "skipped");
        assert!(skipped.contains("agreement/entropy"), "{report}");
        assert!(skipped.contains("identity"), "{report}");
    }
}

#[test]
fn sklearn_log_loss_answers_cross_entropy_on_hard_labels_only() {
    if importable(&["numpy", "sklearn"]) {
        // Most random targets are soft, and declined: the kit's default
        // number of cases leaves a few that log_loss takes (about 2 s).
        // Those it takes agree, except where a hard label falls on a
        // category with q = 0: log_loss clips q to [ε, 1 − ε], ε the
        // dtype's machine epsilon, and the hint reads that ε back from the
        // finite answer (within 1 %: the hint's own estimate is far closer).
        let (code, report) = conform_cases("sklearn_adapter.py", &[], "f64", "256");
        assert_eq!(code, Some(1), "{report}");
        assert_eq!(
            checks(&report, "failed"),
            set(&["zero-semantics"]),
            "{report}"
        );
        let zero = report["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "zero-semantics"))
            .expect("zero-semantics");
        let epsilon = zero["hints"]
            .as_array()
            .and_then(|h| h.iter().find(|h| h["hint"] == "clipped-q"))
            .and_then(|h| h["epsilon"].as_f64())
            .unwrap_or_else(|| panic!("no clipped-q hint: {zero}"));
        assert!(
            (epsilon / f64::EPSILON - 1.0).abs() <= 0.01,
            "ε = {epsilon:e}"
        );
        let capabilities = report["capabilities"].as_array().expect("capabilities");
        for c in capabilities {
            let supported = c["support"] == "supported";
            assert!(!supported || c["op"] == "cross_entropy", "{c}");
        }
        assert!(
            capabilities
                .iter()
                .any(|c| c["op"] == "cross_entropy" && c["support"] == "supported"),
            "log_loss answered no cross-entropy: {report}"
        );
        let agreement = report["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "agreement/cross_entropy"))
            .expect("agreement/cross_entropy");
        // `cases` counts the cases checked, `declined` those declined (all
        // of a case's requests, here): some of each.
        let (cases, declined) = (&agreement["cases"], &agreement["declined"]);
        assert!(
            declined.as_u64().unwrap_or(0) > 0 && cases.as_u64().unwrap_or(0) > 0,
            "soft targets declined, hard ones taken: {agreement}"
        );
    }
}
