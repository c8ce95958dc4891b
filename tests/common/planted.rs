//! Measures with realistic planted bugs: the claim catalogue must fail on them.

use logloss_proofs::claims::Measures;
use logloss_proofs::measures::{self, MeasureError};

/// KL with its arguments swapped: KL(q‖p) returned for KL(p‖q).
pub struct SwappedKl;

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
pub struct Base2Kl;

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

/// Cross-entropy in bits while entropy and KL are in nats.
pub struct Base2CrossEntropy;

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
