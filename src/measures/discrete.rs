//! Entropy, cross-entropy and KL divergence of discrete distributions.

use super::error::{Arg, MeasureError};
use super::kernels;
use super::validate::{check_distribution, check_same_len};

/// Validates `p` and `q` as probability vectors of equal length.
pub(crate) fn check_pair(p_arg: Arg, p: &[f64], q_arg: Arg, q: &[f64]) -> Result<(), MeasureError> {
    check_distribution(p_arg, p)?;
    check_distribution(q_arg, q)?;
    check_same_len(p_arg, p, q_arg, q)
}

/// Shannon entropy of a discrete distribution, in nats.
///
/// ```text
/// H(p) = −Σᵢ pᵢ ln pᵢ
/// ```
///
/// Conventions: 0·ln 0 = 0. A vector that sums to one only within the
/// tolerance can give a value below zero by up to about |Σpᵢ − 1|
/// (e.g. H([1 + ε]) = −ε). `p` is validated, never normalized (see
/// [`normalize`](crate::measures::normalize); `scipy.stats.entropy` normalizes
/// silently, this crate does not). For bits use [`Unit::Bits`](crate::measures::Unit).
///
/// # Errors
/// [`MeasureError`] naming `p` if it is empty, holds a NaN, infinite or negative
/// entry (with its index and value), or does not sum to 1 within
/// [`sum_tolerance`](crate::measures::sum_tolerance).
///
/// # Accuracy
/// Every term is non-negative and summed with compensation, so the error is
/// that of `ln` and one product per term: at most about 2u·H (u = 2⁻⁵³), see
/// the crate-level table for the measured worst case.
///
/// # Example
/// ```
/// use logloss_proofs::measures::entropy;
/// let h = entropy(&[0.5, 0.5]).unwrap();
/// assert_eq!(h, std::f64::consts::LN_2);
/// assert_eq!(entropy(&[1.0, 0.0]).unwrap(), 0.0); // 0·ln 0 = 0
/// ```
pub fn entropy(p: &[f64]) -> Result<f64, MeasureError> {
    check_distribution(Arg::plain("p"), p)?;
    Ok(kernels::entropy(p))
}

/// Cross-entropy of `q` relative to `p`, in nats: the expected log loss of
/// predicting `q` when outcomes follow `p`.
///
/// ```text
/// CE(p, q) = −Σᵢ pᵢ ln qᵢ = H(p) + KL(p‖q)
/// ```
///
/// Conventions: terms with pᵢ = 0 are 0 (also where qᵢ = 0); pᵢ > 0 = qᵢ gives
/// +∞, a value and not an error. No normalization; entries of q slightly
/// above 1 (within the sum tolerance) give slightly negative terms.
///
/// # Errors
/// [`MeasureError`] naming `p` or `q` for an empty, non-finite, negative or
/// unnormalized argument, or [`MeasureError::LengthMismatch`].
///
/// # Accuracy
/// Every term is non-negative (qᵢ ≤ 1), so the error is that of `ln` and one
/// product per term, about 2u·CE at most (u = 2⁻⁵³).
///
/// # Example
/// ```
/// use logloss_proofs::measures::cross_entropy;
/// let ce = cross_entropy(&[0.2, 0.8], &[0.5, 0.5]).unwrap();
/// assert!((ce - std::f64::consts::LN_2).abs() <= 2.0 * f64::EPSILON);
/// assert_eq!(cross_entropy(&[0.5, 0.5], &[1.0, 0.0]).unwrap(), f64::INFINITY);
/// ```
pub fn cross_entropy(p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
    check_pair(Arg::plain("p"), p, Arg::plain("q"), q)?;
    Ok(kernels::cross_entropy(p, q))
}

/// Kullback–Leibler divergence of `q` from `p` (relative entropy), in nats.
///
/// ```text
/// KL(p‖q) = Σᵢ pᵢ ln(pᵢ/qᵢ) ≥ 0,   = 0 iff p = q
/// ```
///
/// Conventions: terms with pᵢ = 0 are 0; pᵢ > 0 = qᵢ gives +∞. No normalization.
/// The value is the KL of the numbers given: vectors that sum to one only
/// within rounding can have a KL below zero by up to about |Σpᵢ − Σqᵢ| (a few
/// n·u), since KL(p‖q) = Σ[pᵢ ln(pᵢ/qᵢ) − pᵢ + qᵢ] + (Σpᵢ − Σqᵢ) and only the
/// bracketed sum is non-negative.
///
/// It is computed from the log-ratio, never as CE − H, which loses all relative
/// accuracy when p ≈ q. Where |pᵢ − qᵢ| ≤ (pᵢ + qᵢ)/32 the term is split into
/// the non-negative gᵢ = pᵢ ln(pᵢ/qᵢ) − pᵢ + qᵢ, evaluated through the series
/// of atanh with sᵢ = (pᵢ − qᵢ)/(pᵢ + qᵢ), and the exact difference pᵢ − qᵢ;
/// elsewhere pᵢ·ln(pᵢ/qᵢ) comes from a double-double logarithm of the rounded
/// ratio plus the exact remainder of the division. The sums are compensated,
/// in eight lanes whose results are bit-identical on every CPU (see the
/// crate-level docs on speed).
///
/// # Errors
/// As [`cross_entropy`].
///
/// # Accuracy
/// About 1 ULP on ordinary inputs, and still about u relative when q
/// equals p up to a relative 1e−6 (KL ≈ 1e−12) or closer: near pᵢ = qᵢ each
/// term is the non-negative pᵢ ln(pᵢ/qᵢ) − pᵢ + qᵢ, computed without
/// cancellation, and the signed masses pᵢ − qᵢ are summed apart. A plain
/// `Σ p·ln(p/q)` keeps only three or four digits there (relative error
/// 3.6e−4 measured at n = 10). The crate-level docs list the worst cases measured
/// against a 320-bit reference.
///
/// # Example
/// ```
/// use logloss_proofs::measures::kl_divergence;
/// let p = [0.2, 0.8];
/// assert_eq!(kl_divergence(&p, &p).unwrap(), 0.0);
/// let kl = kl_divergence(&p, &[0.5, 0.5]).unwrap();
/// let by_hand = 0.2 * (0.2f64 / 0.5).ln() + 0.8 * (0.8f64 / 0.5).ln();
/// assert!((kl - by_hand).abs() <= 4.0 * f64::EPSILON);
/// ```
pub fn kl_divergence(p: &[f64], q: &[f64]) -> Result<f64, MeasureError> {
    check_pair(Arg::plain("p"), p, Arg::plain("q"), q)?;
    Ok(kernels::kl(p, q))
}

/// The unit in which a measure is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// Natural logarithm (the default of every function in this crate).
    #[default]
    Nats,
    /// Base-2 logarithm.
    Bits,
}

impl Unit {
    /// Converts a value in nats to this unit: bits = nats / ln 2.
    ///
    /// The conversion adds at most one rounding and the error of the rounded
    /// constant ln 2, about 1.5u relative. +∞ stays +∞.
    ///
    /// ```
    /// use logloss_proofs::measures::{entropy, Unit};
    /// let h = entropy(&[0.5, 0.5]).unwrap();
    /// assert_eq!(Unit::Bits.from_nats(h), 1.0);
    /// ```
    pub fn from_nats(self, nats: f64) -> f64 {
        match self {
            Unit::Nats => nats,
            Unit::Bits => nats / std::f64::consts::LN_2,
        }
    }

    /// The unit's short name: `"nats"` or `"bits"`.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Nats => "nats",
            Unit::Bits => "bits",
        }
    }
}
