//! One test per claim of the catalogue, at the default seed and size: the
//! executable proof. Each asserts that the claim behaves as the catalogue
//! states (holds, or is refuted by a counterexample found by search).

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

#[test]
fn claim_1_cross_entropy_is_entropy_plus_kl() {
    assert_as_expected("ce-decomposition");
}

#[test]
fn claim_2_gibbs_inequality() {
    assert_as_expected("gibbs");
}

#[test]
fn catalogue_is_numbered_in_order_with_unique_ids() {
    // Numbers are fixed per claim and strictly increasing; a catalogue that
    // does not yet hold every claim may skip numbers.
    let all = claims::catalogue();
    let mut previous = 0;
    for c in all {
        assert!(c.number > previous, "{} is numbered {}", c.id, c.number);
        previous = c.number;
        assert_eq!(all.iter().filter(|d| d.id == c.id).count(), 1, "{}", c.id);
    }
}

#[test]
fn every_claim_names_a_test_that_exists() {
    for c in claims::catalogue() {
        let (file, function) = c.test.split_once("::").expect("file::function");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            text.contains(&format!("fn {function}()")),
            "{} names {}",
            c.id,
            c.test
        );
    }
}

#[test]
fn verdicts_replay_exactly_from_the_seed() {
    let ctx = Context::new(7, 32);
    let a = claims::run(&ctx, None).unwrap();
    let b = claims::run(&ctx, None).unwrap();
    assert_eq!(a, b);
}
