//! The catalogue must catch a wrong implementation: measures with a planted
//! bug make it fail, and the failure names the claim.

mod common;
use common::planted::{BASE_2_KL, SWAPPED_KL};
use logloss_proofs::claims::{self, Context, Implementation, Outcome};
use logloss_proofs::seed::DEFAULT_SEED;

fn failed_claims(m: &dyn Implementation) -> Vec<(String, String)> {
    let ctx = Context::new(DEFAULT_SEED, 64).with_measures(m);
    claims::run(&ctx, None)
        .unwrap()
        .into_iter()
        .filter(|v| v.outcome == Outcome::Failed)
        .map(|v| {
            let problem = v.evidence.problem.map(|p| p.to_string());
            (v.id.to_string(), problem.unwrap_or_default())
        })
        .collect()
}

#[test]
fn swapped_kl_arguments_fail_the_decomposition_claim() {
    let failed = failed_claims(&SWAPPED_KL);
    assert!(
        failed.iter().any(|(id, _)| id == "ce-decomposition"),
        "caught by: {failed:?}"
    );
}

#[test]
fn base_2_kl_fails_the_decomposition_claim() {
    let failed = failed_claims(&BASE_2_KL);
    assert!(
        failed.iter().any(|(id, _)| id == "ce-decomposition"),
        "caught by: {failed:?}"
    );
}

#[test]
fn the_crate_s_own_measures_fail_no_claim() {
    assert_eq!(
        failed_claims(&logloss_proofs::measures::Reference),
        Vec::<(String, String)>::new()
    );
}
