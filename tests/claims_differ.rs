//! The refuted claims 6, 7 and 9, where CE and KL part ways: one test per
//! claim at the default seed and size, and checks that the claims catch
//! wrong measures.

use logloss_proofs::claims::{
    self, Context, DEFAULT_CASES, Expectation, Measures, Outcome, Verdict,
};
use logloss_proofs::measures::{self, MeasureError};
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

#[test]
fn claim_9_kl_loss_pitfalls() {
    let v = assert_as_expected("kl-loss-pitfalls");
    // All three pitfalls were found and shrunk.
    assert_eq!(row(&v, "(1) R rows, C classes"), "1, 2");
    assert_eq!(row(&v, "(1) ∇z mean KL, row 0"), "[-0.25, 0.25]");
    assert_eq!(row(&v, "(1) ∇z batch-mean CE, row 0"), "[-0.5, 0.5]");
    assert_eq!(row(&v, "(2) target y"), "0.05");
    assert_eq!(row(&v, "(2) prediction x"), "0.1");
    assert_eq!(row(&v, "(3) PyTorch-style Σ xlogy(p, p) − p·ln q"), "NaN");
    assert_eq!(row(&v, "(3) KL(p‖q), 0·ln 0 = 0"), "0");
}

/// KL with its arguments swapped: KL(q‖p) returned for KL(p‖q).
struct SwappedKl;

impl Measures for SwappedKl {
    fn name(&self) -> &str {
        "swapped-kl"
    }
    fn entropy(&self, p: &[f64]) -> Result<f64, MeasureError> {
        measures::entropy(p)
    }
    fn cross_entropy(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
        measures::cross_entropy(p, q)
    }
    fn kl_divergence(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
        measures::kl_divergence(q, p)
    }
}

/// Cross-entropy in bits while entropy and KL are in nats.
struct Base2CrossEntropy;

impl Measures for Base2CrossEntropy {
    fn name(&self) -> &str {
        "base-2-ce"
    }
    fn entropy(&self, p: &[f64]) -> Result<f64, MeasureError> {
        measures::entropy(p)
    }
    fn cross_entropy(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
        Ok(measures::cross_entropy(p, q)? / std::f64::consts::LN_2)
    }
    fn kl_divergence(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
        measures::kl_divergence(p, q)
    }
}

fn failed(m: &dyn Measures, id: &str) -> Option<String> {
    let ctx = Context::new(DEFAULT_SEED, 64).with_measures(m);
    let v = claims::run(&ctx, Some(id)).expect("known claim").remove(0);
    (v.outcome == Outcome::Failed).then(|| v.evidence.problem.unwrap_or_default())
}

#[test]
fn swapped_kl_arguments_fail_claims_6_7_and_9() {
    for id in ["reverse-kl-differs", "moving-target", "kl-loss-pitfalls"] {
        let problem = failed(&SwappedKl, id);
        assert!(problem.is_some(), "{id} missed the swap");
    }
}

#[test]
fn cross_entropy_in_bits_fails_claims_7_and_9() {
    for id in ["moving-target", "kl-loss-pitfalls"] {
        let problem = failed(&Base2CrossEntropy, id);
        assert!(problem.is_some(), "{id} missed the unit");
    }
}

#[test]
fn the_crate_s_own_measures_pass_claims_6_7_and_9_at_other_seeds() {
    for seed in [1, 2, 3] {
        let ctx = Context::new(seed, 64);
        for id in ["reverse-kl-differs", "moving-target", "kl-loss-pitfalls"] {
            let v = claims::run(&ctx, Some(id)).expect("known claim").remove(0);
            assert_eq!(
                v.outcome,
                Outcome::AsExpected,
                "{id} at seed {seed}: {:?}",
                v.evidence.problem
            );
        }
    }
}
