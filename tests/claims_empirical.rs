//! Claims 3 and 8 at the default seed and size: the log-loss risk is the
//! mean NLL and CE(p̂ₙ, q) = H + KL (with the continuous caveat), and the
//! equivalence does not extend to the squared and 0–1 losses.

mod common;
use common::claims::assert_as_expected;
use common::planted::{BASE_2_CROSS_ENTROPY, SWAPPED_KL};
use logloss_proofs::claims::{self, Context, Outcome, Verdict};
use logloss_proofs::seed::DEFAULT_SEED;

#[test]
fn claim_3_empirical_risk_is_nll() {
    assert_as_expected("empirical-risk-is-nll");
}

#[test]
fn claim_8_other_losses() {
    let v = assert_as_expected("other-losses");
    // (a) holds as a supporting property, and so does the measured log loss
    // at (b)'s certified fit; (b) and (c) are searched over
    // every draw, and each fails on some draws and holds on others.
    let parts: Vec<_> = v
        .evidence
        .parts
        .iter()
        .map(|p| (p.name.as_str(), p.search))
        .collect();
    assert_eq!(
        parts,
        [
            ("(a) full simplex: Brier and 0–1 closed forms", false),
            ("(a) real-valued data: MSE and Gaussian NLL", false),
            ("(b) measured log loss at the certified logistic fit", false),
            ("(b) logistic family: Brier fit = log-loss fit", true),
            ("(c) 0–1 minimizers are MLEs", true),
        ]
    );
    for (name, s) in v.evidence.searches() {
        assert_eq!(s.draws, u64::from(claims::DEFAULT_CASES), "{name}");
        assert!(s.found > 0 && s.found < s.draws, "{name}: {s}");
    }
    // Both searches found and shrank their counterexample.
    let rows = &v.evidence.counterexample.expect("refuted").rows;
    assert!(
        rows.iter().any(|(k, _)| k == "(b) ∇ Brier risk at θ̂"),
        "{rows:?}"
    );
    assert!(rows.iter().any(|(k, _)| k == "(c) grid MLE"), "{rows:?}");
}

fn fails_with(m: &dyn claims::Implementation) -> Verdict {
    let claim = claims::find("empirical-risk-is-nll").expect("claim 3");
    claim.check(&Context::new(DEFAULT_SEED, 64).with_measures(m))
}

#[test]
fn claim_3_catches_a_cross_entropy_in_bits() {
    let v = fails_with(&BASE_2_CROSS_ENTROPY);
    assert_eq!(v.outcome, Outcome::Failed);
    assert!(v.evidence.counterexample.is_some(), "{v:?}");
}

#[test]
fn claim_3_catches_swapped_kl_arguments() {
    let v = fails_with(&SWAPPED_KL);
    assert_eq!(v.outcome, Outcome::Failed);
    assert!(v.evidence.counterexample.is_some(), "{v:?}");
}
