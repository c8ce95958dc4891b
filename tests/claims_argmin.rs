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
    // minimizer (the reverse projection), so the values-only minimizers of
    // the measured CE and the swapped "KL" are farther apart than their
    // certified radii.
    let v = outcome("argmin-equivalence", &SWAPPED_KL);
    assert_eq!(v.outcome, Outcome::Failed, "{v:?}");
    let problem = v.evidence.problem.expect("a problem");
    assert_eq!(problem.part, "categorical", "{problem}");
    assert_eq!(problem.failure.comparison, Comparison::Close, "{problem}");
    assert!(
        problem.failure.what.starts_with("‖θ̃_CE − θ̃_KL‖"),
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

#[test]
fn a_dropped_category_fails_argmin_equivalence() {
    // The last category left out of both sums: the measured CE and KL fall
    // as its probability goes to 0, so they have no minimizer near the
    // exact one (the search runs off, or stops far away).
    use logloss_proofs::measures::planted::{Bug, Planted};
    let v = outcome("argmin-equivalence", &Planted::crate_with(Bug::Dropped));
    assert_eq!(v.outcome, Outcome::Failed, "{v:?}");
    let problem = v.evidence.problem.expect("a problem");
    assert!(problem.part.starts_with("categorical"), "{problem}");
}

#[test]
fn a_scaled_or_shifted_kl_or_a_textbook_one_keeps_the_argmin() {
    // a·KL + b has KL's minimizer for a > 0: claim 4 holds for it, as it
    // does for the plain textbook formulas (a correct implementation).
    use logloss_proofs::measures::planted::{Affine, Bug, Planted};
    let eps = 2f64.powi(-30);
    let shifted = Affine {
        kl: (1.0, eps),
        ..Affine::EXACT
    };
    let ms: [&dyn Implementation; 3] = [
        &Affine::scaled_kl(1.0 + eps),
        &shifted,
        &Planted::textbook_with(Bug::None),
    ];
    for m in ms {
        let v = outcome("argmin-equivalence", m);
        assert_eq!(v.outcome, Outcome::AsExpected, "{}: {v:?}", m.name());
    }
}
