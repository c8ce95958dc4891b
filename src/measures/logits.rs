//! Cross-entropy and KL divergence against q = softmax(z), from the logits z.

use super::error::{Arg, MeasureError};
use super::lanes::{Path, softmax};
use super::validate::{check_distribution, check_same_len};
use crate::numerics::NeumaierSum;
use crate::numerics::U;

/// The log-normalizer of a logit vector, kept in two parts:
/// ln Σⱼ exp(zⱼ) = max + ln_rest, with ln_rest = ln(1 + Σ_{j≠argmax} exp(zⱼ − max)).
///
/// Then −ln qᵢ = (max − zᵢ) + ln_rest, a sum of two non-negative numbers:
/// no cancellation, no overflow, for any finite logits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogNormalizer {
    max: f64,
    ln_rest: f64,
}

impl LogNormalizer {
    /// The row's log-normalizer on the lanes (`lanes::softmax`): max z and
    /// ln(1 + rest), the same bits on every SIMD path and thread count.
    pub(crate) fn new(z: &[f64]) -> Self {
        let (max, rest) = softmax::normalizer_with(Path::detect(), z);
        LogNormalizer {
            max,
            ln_rest: rest.ln_1p(),
        }
    }

    /// (max z, ln(1 + rest)), as the lanes' passes take them.
    pub(crate) fn parts(&self) -> (f64, f64) {
        (self.max, self.ln_rest)
    }

    /// −ln softmax(z)ᵢ ≥ 0.
    #[inline]
    pub(crate) fn nll(&self, zi: f64) -> f64 {
        (self.max - zi) + self.ln_rest
    }
}

/// Coefficients (−1)ʲ/(j + 2)!, j = 0..=18, of ψ(δ)/δ² where
/// ψ(δ) = e^(−δ) − 1 + δ. For |δ| ≤ 1 the omitted terms are below 1/21! ≈ 2e−20.
const EXP_TAIL: [f64; 19] = {
    let mut c = [0.0; 19];
    let mut fact = 2.0;
    let mut j = 0;
    while j < 19 {
        c[j] = if j % 2 == 0 { 1.0 / fact } else { -1.0 / fact };
        fact *= (j + 3) as f64;
        j += 1;
    }
    c
};

/// p·ψ(δ) = p·(e^(−δ) − 1 + δ) ≥ 0 with q = p·e^(−δ), without cancellation.
#[inline]
fn p_psi(p: f64, delta: f64, q: f64) -> f64 {
    if delta.abs() <= 1.0 {
        let mut poly = EXP_TAIL[18];
        for &c in EXP_TAIL[..18].iter().rev() {
            poly = poly * delta + c;
        }
        p * delta * delta * poly
    } else {
        // |δ| > 1: (q − p) + p·δ has a condition number below 4.4.
        (q - p) + p * delta
    }
}

/// Logits: non-empty, no NaN or +∞, −∞ (a masked class) allowed but not
/// in every entry (see [`LogitsBatch`](crate::measures::LogitsBatch)).
pub(crate) fn check_logits(arg: Arg, z: &[f64]) -> Result<(), MeasureError> {
    if z.is_empty() {
        return Err(MeasureError::Empty { arg });
    }
    super::logits_batch::check_masked_row(arg, z)
}

/// CE(p, softmax z) for validated inputs (a masked logit −∞ has −ln q = +∞,
/// and a term with pᵢ = 0 is 0).
pub(crate) fn cross_entropy_kernel(p: &[f64], z: &[f64]) -> f64 {
    weighted_nll(&LogNormalizer::new(z), Some(p), z)
}

/// Σ_{pᵢ>0} pᵢ·(−ln softmax(z)ᵢ), compensated per lane, with z's
/// log-normalizer; with `p` = None, Σᵢ(−ln softmax(z)ᵢ) over every entry.
pub(crate) fn weighted_nll(norm: &LogNormalizer, p: Option<&[f64]>, z: &[f64]) -> f64 {
    softmax::weighted_with(Path::detect(), z, p, norm.parts())
}

/// KL(p‖softmax z) for validated inputs.
pub(crate) fn kl_kernel(p: &[f64], z: &[f64]) -> f64 {
    let norm = LogNormalizer::new(z);
    // Σ qᵢ = 1 exactly for the true softmax: it enters as the exact −1 here,
    // and the compensated sum cancels it against Σ pᵢ without losing KL.
    let mut acc = NeumaierSum::new();
    acc.add(-1.0);
    for (&pi, &zi) in p.iter().zip(z) {
        let nll = norm.nll(zi);
        if pi > 0.0 {
            // δ = ln pᵢ − ln qᵢ
            let delta = pi.ln() + nll;
            let qi = (-nll).exp();
            acc.add(p_psi(pi, delta, qi));
            acc.add(pi);
        } else {
            acc.add((-nll).exp());
        }
    }
    acc.value()
}

/// Log-probabilities of q = softmax(z), computed by a stable log-sum-exp.
///
/// ```text
/// ln softmax(z)ᵢ = zᵢ − ln Σⱼ exp(zⱼ) = −[(max z − zᵢ) + ln(1 + Σ_{j≠argmax} exp(zⱼ − max z))]
/// ```
///
/// Never forms softmax and then takes its log, so entries far below the
/// maximum keep their exact log-probability instead of becoming −∞.
///
/// A logit of −∞ is a masked class: its log-probability is −∞ exactly.
///
/// # Errors
/// [`MeasureError::Empty`], [`MeasureError::NotFinite`] (NaN or +∞) or
/// [`MeasureError::AllMasked`] (every logit −∞) naming `logits`.
///
/// # Example
/// ```
/// use logloss_proofs::measures::log_softmax;
/// let lq = log_softmax(&[0.0, -1000.0]).unwrap();
/// assert_eq!(lq[1], -1000.0); // exp(-1000) underflows; its log does not
/// ```
pub fn log_softmax(logits: &[f64]) -> Result<Vec<f64>, MeasureError> {
    check_logits(Arg::plain("logits"), logits)?;
    let norm = LogNormalizer::new(logits);
    Ok(logits.iter().map(|&z| -norm.nll(z)).collect())
}

/// Cross-entropy of q = softmax(z) relative to `p`, from the logits: the
/// softmax cross-entropy loss of classifiers, with probability targets.
///
/// ```text
/// CE(p, softmax z) = Σᵢ pᵢ·[(max z − zᵢ) + ln Σⱼ exp(zⱼ − max z)]
/// ```
///
/// Conventions: terms with pᵢ = 0 are 0. Every softmax probability of a
/// finite logit is positive, so the value is finite for any finite logits
/// whose spread max z − min z is below f64::MAX (tested up to ±1e4; a larger
/// spread overflows to +∞). A logit of −∞ is a masked class of probability 0:
/// +∞ where pᵢ > 0 on it (see [`LogitsBatch`](crate::measures::LogitsBatch)).
/// `p` is validated, not normalized.
///
/// # Errors
/// [`MeasureError`] naming `p` (empty, non-finite, negative, unnormalized) or
/// `logits` (empty, NaN or +∞, every entry −∞), or
/// [`MeasureError::LengthMismatch`].
///
/// # Accuracy
/// Each term is a product of non-negative numbers, so the relative error is a
/// few u (u = 2⁻⁵³) plus the rounding of zᵢ − max z.
///
/// # Example
/// ```
/// use logloss_proofs::measures::cross_entropy_logits;
/// let ce = cross_entropy_logits(&[1.0, 0.0], &[1e4, -1e4]).unwrap();
/// assert_eq!(ce, 0.0); // exp(-2e4) is far below u
/// ```
pub fn cross_entropy_logits(p: &[f64], logits: &[f64]) -> Result<f64, MeasureError> {
    let (pa, za) = (Arg::plain("p"), Arg::plain("logits"));
    check_distribution(pa, p)?;
    check_logits(za, logits)?;
    check_same_len(pa, p, za, logits)?;
    Ok(cross_entropy_kernel(p, logits))
}

/// KL divergence of q = softmax(z) from `p`, from the logits.
///
/// ```text
/// KL(p‖softmax z) = Σ_{pᵢ>0} pᵢ·ψ(δᵢ) + (Σᵢ pᵢ − 1) + Σ_{pᵢ=0} qᵢ,
///   δᵢ = ln pᵢ − ln qᵢ,   ψ(δ) = e^(−δ) − 1 + δ ≥ 0
/// ```
///
/// This equals Σ pᵢ ln(pᵢ/qᵢ) because Σ qᵢ = 1 exactly; written this way every
/// term but the tiny (Σp − 1) is non-negative, so KL ≈ 0 keeps relative accuracy
/// up to the error of δᵢ itself.
///
/// Conventions: 0·ln 0 = 0. Finite for any finite logits whose spread
/// max z − min z is below f64::MAX; a logit of −∞ is a masked class of
/// probability 0 (+∞ where pᵢ > 0 on it).
///
/// # Errors
/// As [`cross_entropy_logits`].
///
/// # Accuracy
/// δᵢ carries an absolute error of a few u·(|ln pᵢ| + |ln qᵢ|), inherent to
/// representing q by rounded logits; KL's relative error is about that over
/// |δ| (so about 1e−10·|ln p| when p and q agree to 1e−6).
///
/// # Example
/// ```
/// use logloss_proofs::measures::kl_divergence_logits;
/// // softmax(0, 0) = (1/2, 1/2): no divergence, exactly.
/// assert_eq!(kl_divergence_logits(&[0.5, 0.5], &[0.0, 0.0]).unwrap(), 0.0);
/// // Large logits stay finite: KL((1/2, 1/2) ‖ softmax(1e4, −1e4)) ≈ 1e4 − ln 2.
/// let kl = kl_divergence_logits(&[0.5, 0.5], &[1e4, -1e4]).unwrap();
/// assert!(kl.is_finite() && kl > 9999.0);
/// ```
pub fn kl_divergence_logits(p: &[f64], logits: &[f64]) -> Result<f64, MeasureError> {
    let (pa, za) = (Arg::plain("p"), Arg::plain("logits"));
    check_distribution(pa, p)?;
    check_logits(za, logits)?;
    check_same_len(pa, p, za, logits)?;
    Ok(kl_kernel(p, logits))
}

/// A bound on the absolute rounding error of each entry of the crate's
/// [`log_softmax`](crate::measures::log_softmax) (equivalently, the relative
/// error of [`softmax`](crate::measures::softmax), plus u for its `exp`),
/// when each logit is itself known within `logit_error`.
///
/// ```text
/// |error of ln qᵢ| ≤ u·(2|ln qᵢ| + Δ + n + 4) + 4·logit_error,   Δ = max z − min z
/// ```
///
/// Derivation, following the stable evaluation −ln qᵢ = (max z − zᵢ) + ln(1 + S),
/// S = Σ_{j≠argmax} exp(zⱼ − max z) (computed on the SIMD lanes: the
/// compensated sum of every exp(zⱼ − max z), the maximum's exact 1 among
/// them, less 1), with `exp` and `ln_1p` each within one ulp (2u): the
/// difference max z − zᵢ carries u·(max z − zᵢ) plus 2·logit_error; each
/// exp(zⱼ − max z) has relative error u·(Δ + 2) + 2·logit_error, so S has
/// relative error u·(Δ + 4) + 2·logit_error to first order (the compensated
/// sum adds 2u), which ln(1 + S) passes on times S/(1 + S) ≤ 1, plus its own
/// 2u·ln(1 + S); the final addition adds u·|ln qᵢ|. As
/// (max z − zᵢ) + ln(1 + S) = |ln qᵢ| and ln(1 + S) ≤ ln n, the sum is at most
/// u·(2|ln qᵢ| + ln n + Δ + 4) + 4·logit_error, within the bound above
/// (n − ln n ≥ 1, a slack of at least u that also covers the absolute
/// 2(n + 2)²u² of carrying the exact 1 through the compensated sum, for
/// n < 10⁷).
///
/// # Example
/// ```
/// use logloss_proofs::measures::log_softmax_error_bounds;
/// let e = log_softmax_error_bounds(&[0.0, 0.0], 0.0);
/// let u = logloss_proofs::numerics::U;
/// // ln q = −ln 2 for both: u·(2 ln 2 + 0 + 2 + 4).
/// assert_eq!(e[0], u * (2.0 * std::f64::consts::LN_2 + 6.0));
/// ```
pub fn log_softmax_error_bounds(logits: &[f64], logit_error: f64) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = logits.iter().copied().fold(f64::INFINITY, f64::min);
    let n = logits.len() as f64;
    let spread = max - min;
    let ln_sum = logits.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
    logits
        .iter()
        .map(|&z| {
            let ln_q = (z - max - ln_sum).abs();
            U * (2.0 * ln_q + spread + n + 4.0) + 4.0 * logit_error
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_tail_coefficients_are_inverse_factorials() {
        // 1/2!, −1/3!, 1/4!: the first three, by hand.
        assert_eq!(EXP_TAIL[0], 0.5);
        assert_eq!(EXP_TAIL[1], -1.0 / 6.0);
        assert_eq!(EXP_TAIL[2], 1.0 / 24.0);
    }
}
