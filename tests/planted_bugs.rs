//! The catalogue must catch a wrong implementation: measures with a planted
//! bug make it fail, and the failure names the claim.

use logloss_proofs::claims::{self, Context, Measures, Outcome};
use logloss_proofs::measures::{self, MeasureError};
use logloss_proofs::seed::DEFAULT_SEED;

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

/// KL in bits while entropy and cross-entropy are in nats.
struct Base2Kl;

impl Measures for Base2Kl {
    fn name(&self) -> &str {
        "base-2-kl"
    }
    fn entropy(&self, p: &[f64]) -> Result<f64, MeasureError> {
        measures::entropy(p)
    }
    fn cross_entropy(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
        measures::cross_entropy(p, q)
    }
    fn kl_divergence(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
        Ok(measures::kl_divergence(p, q)? / std::f64::consts::LN_2)
    }
}

fn failed_claims(m: &dyn Measures) -> Vec<(String, String)> {
    let ctx = Context::new(DEFAULT_SEED, 64).with_measures(m);
    claims::run(&ctx, None)
        .unwrap()
        .into_iter()
        .filter(|v| v.outcome == Outcome::Failed)
        .map(|v| (v.id.to_string(), v.evidence.problem.unwrap_or_default()))
        .collect()
}

#[test]
fn swapped_kl_arguments_fail_the_decomposition_claim() {
    let failed = failed_claims(&SwappedKl);
    assert!(
        failed.iter().any(|(id, _)| id == "ce-decomposition"),
        "caught by: {failed:?}"
    );
}

#[test]
fn base_2_kl_fails_the_decomposition_claim() {
    let failed = failed_claims(&Base2Kl);
    assert!(
        failed.iter().any(|(id, _)| id == "ce-decomposition"),
        "caught by: {failed:?}"
    );
}

#[test]
fn the_crate_s_own_measures_fail_no_claim() {
    assert_eq!(
        failed_claims(&claims::Exact),
        Vec::<(String, String)>::new()
    );
}
