//! One test per claim of the catalogue, at the default seed and size: the
//! executable proof. Each asserts that the claim behaves as the catalogue
//! states (holds, or is refuted by a counterexample found by search).

mod common;
use common::claims::assert_as_expected;
use logloss_proofs::claims::{self, Context};

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
    let all = claims::catalogue();
    assert_eq!(all.len(), 9, "the nine claims of the catalogue");
    for (i, c) in all.iter().enumerate() {
        assert_eq!(usize::from(c.number), i + 1, "{}", c.id);
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
