//! All four measures of one pair, as plain data.

use super::discrete::{Unit, check_pair};
use super::error::{Arg, MeasureError};
use super::kernels;
use super::logits;
use super::validate::{check_distribution, check_same_len};

/// How the second distribution is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prediction<'a> {
    /// Probabilities q, validated like p.
    Probabilities(&'a [f64]),
    /// Logits z, with q = softmax(z).
    Logits(&'a [f64]),
}

/// Entropy, cross-entropy and both KL directions of a pair (p, q), in one unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The unit of every value below.
    pub unit: Unit,
    /// The number of categories.
    pub categories: usize,
    /// H(p).
    pub entropy: f64,
    /// CE(p, q) = H(p) + KL(p‖q).
    pub cross_entropy: f64,
    /// KL(p‖q), the forward divergence that cross-entropy minimization also minimizes.
    pub kl_divergence: f64,
    /// KL(q‖p), the reverse divergence (mode-seeking; a different minimizer).
    pub reverse_kl_divergence: f64,
}

/// softmax(z), computed from the stable log-sum-exp: qᵢ = exp(−[(max z − zᵢ) + ln Σⱼ exp(zⱼ − max z)]),
/// on the SIMD lanes the logits batch's gradient uses (its exp within one
/// ulp; the same bits on every path and thread count).
///
/// The result sums to one within a few u·n, well inside
/// [`sum_tolerance`](crate::measures::sum_tolerance), so it can be passed to
/// the other measures.
///
/// A logit of −∞ is a masked class, of probability 0 exactly.
///
/// # Errors
/// [`MeasureError::Empty`], [`MeasureError::NotFinite`] (NaN or +∞) or
/// [`MeasureError::AllMasked`] naming `logits`.
///
/// # Example
/// ```
/// use logloss_proofs::measures::softmax;
/// assert_eq!(softmax(&[0.0, 0.0]).unwrap(), vec![0.5, 0.5]);
/// ```
pub fn softmax(logits: &[f64]) -> Result<Vec<f64>, MeasureError> {
    logits::check_logits(Arg::plain("logits"), logits)?;
    Ok(super::logits_batch::softmax_row(logits))
}

/// Computes H(p), CE(p, q), KL(p‖q) and KL(q‖p) in `unit`.
///
/// ```text
/// H(p) = −Σ pᵢ ln pᵢ,  CE(p,q) = −Σ pᵢ ln qᵢ,  KL(p‖q) = Σ pᵢ ln(pᵢ/qᵢ),  KL(q‖p) = Σ qᵢ ln(qᵢ/pᵢ)
/// ```
///
/// Conventions as in [`kl_divergence`](crate::measures::kl_divergence): 0·ln 0 = 0,
/// +∞ on a support mismatch, no normalization. With logits, CE (by the row
/// kernel [`cross_entropy_logits_batch`](crate::measures::cross_entropy_logits_batch)
/// shares) and KL(p‖q) are computed from the logits directly and the
/// reverse KL from softmax(z); a logit of −∞ is a masked class, of
/// probability 0 exactly (see [`LogitsBatch`](crate::measures::LogitsBatch)).
///
/// # Errors
/// Any validation error of the underlying measures, naming `p`, `q` or `logits`.
///
/// # Example
/// ```
/// use logloss_proofs::measures::{summarize, Prediction, Unit};
/// let s = summarize(&[0.5, 0.5], Prediction::Probabilities(&[0.5, 0.5]), Unit::Bits).unwrap();
/// assert_eq!((s.entropy, s.cross_entropy, s.kl_divergence), (1.0, 1.0, 0.0));
/// ```
pub fn summarize(p: &[f64], q: Prediction<'_>, unit: Unit) -> Result<Summary, MeasureError> {
    let (h, ce, kl, reverse) = match q {
        Prediction::Probabilities(q) => {
            check_pair(Arg::plain("p"), p, Arg::plain("q"), q)?;
            (
                kernels::entropy(p),
                kernels::cross_entropy(p, q),
                kernels::kl(p, q),
                kernels::kl(q, p),
            )
        }
        Prediction::Logits(z) => {
            let (pa, za) = (Arg::plain("p"), Arg::plain("logits"));
            check_distribution(pa, p)?;
            logits::check_logits(za, z)?;
            check_same_len(pa, p, za, z)?;
            let q = softmax(z)?;
            (
                kernels::entropy(p),
                logits::cross_entropy_kernel(p, z),
                logits::kl_kernel(p, z),
                kernels::kl(&q, p),
            )
        }
    };
    Ok(Summary {
        unit,
        categories: p.len(),
        entropy: unit.from_nats(h),
        cross_entropy: unit.from_nats(ce),
        kl_divergence: unit.from_nats(kl),
        reverse_kl_divergence: unit.from_nats(reverse),
    })
}
