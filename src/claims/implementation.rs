//! The measures a claim is checked against: the crate's own by default, or any
//! other implementation (a planted bug, a user's code).

use crate::measures::{self, MeasureError};

/// Entropy, cross-entropy and KL divergence on probability vectors, in nats.
///
/// The claims call these rather than the crate's functions directly, so the
/// same catalogue can be run against another implementation: a test plants a
/// bug (KL with its arguments swapped, a base-2 logarithm) and checks that the
/// catalogue fails, naming the claim.
pub trait Measures: Sync {
    /// A short name for reports.
    fn name(&self) -> &str;
    /// H(p) = −Σ pᵢ ln pᵢ.
    fn entropy(&self, p: &[f64]) -> Result<f64, MeasureError>;
    /// CE(p, q) = −Σ pᵢ ln qᵢ.
    fn cross_entropy(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError>;
    /// KL(p‖q) = Σ pᵢ ln(pᵢ/qᵢ).
    fn kl_divergence(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError>;
}

/// The crate's own measures ([`crate::measures`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Exact;

impl Measures for Exact {
    fn name(&self) -> &str {
        "logloss-proofs"
    }
    fn entropy(&self, p: &[f64]) -> Result<f64, MeasureError> {
        measures::entropy(p)
    }
    fn cross_entropy(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
        measures::cross_entropy(p, q)
    }
    fn kl_divergence(&self, p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
        measures::kl_divergence(p, q)
    }
}
