//! Claims 4 and 5 (CE and KL: same minimizer, same gradient), and the
//! measures with planted bugs that they must catch.

mod common;
use common::claims::assert_as_expected;
use common::planted::{BASE_2_KL, SWAPPED_KL};
use logloss_proofs::claims::{self, Comparison, Context, Implementation, Outcome, Verdict};
use logloss_proofs::seed::DEFAULT_SEED;

#[test]
fn claim_4_argmin_equivalence() {
    let v = assert_as_expected("argmin-equivalence");
    assert_eq!(v.number, 4);
}

#[test]
fn claim_5_gradient_equivalence() {
    let v = assert_as_expected("gradient-equivalence");
    assert_eq!(v.number, 5);
}

fn outcome(id: &str, m: &dyn Implementation) -> Verdict {
    let ctx = Context::new(DEFAULT_SEED, 64).with_measures(m);
    claims::find(id).expect("in the catalogue").check(&ctx)
}

#[test]
fn swapped_kl_fails_argmin_equivalence_on_a_restricted_family() {
    // On a log-linear family that cannot reach p, KL(q‖p) has another
    // minimizer (the reverse projection), so the probes around the CE
    // optimum find a descent direction of the swapped "KL".
    let v = outcome("argmin-equivalence", &SWAPPED_KL);
    assert_eq!(v.outcome, Outcome::Failed, "{v:?}");
    let problem = v.evidence.problem.expect("a problem");
    assert_eq!(problem.part, "categorical", "{problem}");
    assert_eq!(problem.failure.comparison, Comparison::AtLeast, "{problem}");
    assert!(
        problem.failure.what.starts_with("measured KL(θ̂ "),
        "{problem}"
    );
}

#[test]
fn base_2_kl_keeps_the_argmin_but_fails_the_gradient() {
    // A rescaled KL has the same minimizer, so claim 4 rightly holds; its
    // gradient is (softmax(z) − p)/ln 2, so claim 5 fails.
    assert_eq!(
        outcome("argmin-equivalence", &BASE_2_KL).outcome,
        Outcome::AsExpected
    );
    let v = outcome("gradient-equivalence", &BASE_2_KL);
    assert_eq!(v.outcome, Outcome::Failed, "{v:?}");
    let problem = v.evidence.problem.expect("a problem");
    assert_eq!(problem.part, "finite-differences", "{problem}");
    assert_eq!(problem.failure.comparison, Comparison::Close, "{problem}");
    assert!(
        problem.failure.what.starts_with("measured KL: ∂/∂z"),
        "{problem}"
    );
}

#[test]
fn swapped_kl_fails_gradient_equivalence() {
    let v = outcome("gradient-equivalence", &SWAPPED_KL);
    assert_eq!(v.outcome, Outcome::Failed, "{v:?}");
    assert!(v.evidence.counterexample.is_some());
}

#[test]
fn claims_4_and_5_hold_at_other_seeds() {
    for seed in 1..=3 {
        for id in ["argmin-equivalence", "gradient-equivalence"] {
            let v = claims::find(id).unwrap().check(&Context::new(seed, 32));
            assert_eq!(v.outcome, Outcome::AsExpected, "seed {seed}: {v:?}");
        }
    }
}
