//! The refuted claims 6, 7 and 9, where CE and KL part ways: one test per
//! claim at the default seed and size, and checks that the claims catch
//! wrong measures.

use logloss_proofs::claims::{self, Context, DEFAULT_CASES, Expectation, Outcome, Verdict};
use logloss_proofs::seed::DEFAULT_SEED;

fn verdict(id: &str) -> Verdict {
    let claim = claims::find(id).unwrap_or_else(|| panic!("claim {id} is in the catalogue"));
    claim.check(&Context::new(DEFAULT_SEED, DEFAULT_CASES))
}

fn assert_as_expected(id: &str) -> Verdict {
    let v = verdict(id);
    assert_eq!(
        v.outcome,
        Outcome::AsExpected,
        "claim {} ({}) failed: {:?}; counterexample {:?}",
        v.number,
        v.id,
        v.evidence.problem,
        v.evidence.counterexample
    );
    assert!(v.evidence.cases > 0, "claim {id} ran no case");
    // Every comparison stayed within its derived bound.
    assert!(v.evidence.worst_error_ratio <= 1.0, "claim {id}: {v:?}");
    match v.expectation {
        Expectation::Holds => assert!(v.evidence.counterexample.is_none()),
        Expectation::Refuted => assert!(v.evidence.counterexample.is_some()),
    }
    v
}

/// The value of the counterexample row named `name`.
fn row<'a>(v: &'a Verdict, name: &str) -> &'a str {
    let c = v
        .evidence
        .counterexample
        .as_ref()
        .expect("a counterexample");
    c.rows
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no row {name:?} in {:?}", c.rows))
}

#[test]
fn claim_6_reverse_kl_has_another_minimizer() {
    let v = assert_as_expected("reverse-kl-differs");
    // The shrunk case is the simplest of the round grid: m = 1.5, s = 0.5,
    // w = 0.55, K = 100, and it shows both fits and all four divergences.
    assert_eq!(row(&v, "m, s, w, K"), "1.5, 0.5, 0.55, 100");
    for name in [
        "forward fit argmin KL(p‖q): μ, σ",
        "reverse fit argmin KL(q‖p): μ, σ",
        "KL(p‖q_fwd)",
        "KL(p‖q_rev)",
        "KL(q_fwd‖p)",
        "KL(q_rev‖p)",
    ] {
        row(&v, name);
    }
}

#[test]
fn claim_7_moving_target_gradients_differ() {
    let v = assert_as_expected("moving-target");
    // The shrunk case has the fewest classes and parameters.
    assert_eq!(row(&v, "C classes, d parameters"), "2, 1");
    row(&v, "∇H(p_θ)");
}
