//! Binary (Bernoulli) entropy, cross-entropy and KL divergence.
//!
//! A Bernoulli distribution is given by one number, the probability of the
//! positive class: `y` for the target, `x` for the prediction. These equal the
//! two-category measures of (y, 1 − y) and (x, 1 − x), but are computed without
//! forming 1 − y where that would round away the information: the complements
//! enter through `ln_1p(−y)` and through exact differences.

use super::error::{Arg, MeasureError};
use super::kernels::add_kl_term;
use crate::numerics::NeumaierSum;

fn check_probability(name: &'static str, v: f64) -> Result<(), MeasureError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(MeasureError::NotAProbability {
            arg: Arg::plain(name),
            value: v,
        })
    }
}

/// −a·ln b for a ≥ 0, given ln b ≤ 0: 0·ln 0 = 0 (the term is skipped when
/// a = 0), and for a > 0 = b, ln b = −∞ makes the term +∞.
fn loss_term(a: f64, ln_b: f64) -> f64 {
    if a == 0.0 { 0.0 } else { -(a * ln_b) }
}

/// Binary entropy of a Bernoulli(y) distribution, in nats.
///
/// ```text
/// H(y) = −y ln y − (1 − y) ln(1 − y)
/// ```
///
/// Conventions: 0·ln 0 = 0, so H(0) = H(1) = 0. ln(1 − y) is `ln_1p(−y)`.
///
/// # Errors
/// [`MeasureError::NotAProbability`] naming `y` if it is NaN or outside [0, 1].
///
/// # Accuracy
/// Two non-negative terms, each with one rounding of `ln`/`ln_1p`, of 1 − y,
/// and of a product: a relative error of a few u (u = 2⁻⁵³).
///
/// # Example
/// ```
/// use logloss_proofs::measures::bernoulli;
/// assert_eq!(bernoulli::entropy(0.5).unwrap(), std::f64::consts::LN_2);
/// assert_eq!(bernoulli::entropy(1.0).unwrap(), 0.0);
/// ```
pub fn entropy(y: f64) -> Result<f64, MeasureError> {
    check_probability("y", y)?;
    Ok(loss_term(y, y.ln()) + loss_term(1.0 - y, (-y).ln_1p()))
}

/// Binary cross-entropy (the log loss of predicting x when the target is y), in nats.
///
/// ```text
/// BCE(y, x) = −y ln x − (1 − y) ln(1 − x)
/// ```
///
/// Conventions: a term whose weight is 0 is 0; y > 0 = x or y < 1 = x gives +∞
/// (PyTorch's `BCELoss` clamps the log at −100 instead, so it reports 100).
///
/// # Errors
/// [`MeasureError::NotAProbability`] naming `y` or `x`.
///
/// # Accuracy
/// Two non-negative terms, each with one rounding of `ln`/`ln_1p`, of 1 − y,
/// and of a product: a relative error of a few u (u = 2⁻⁵³).
///
/// # Example
/// ```
/// use logloss_proofs::measures::bernoulli;
/// let bce = bernoulli::cross_entropy(1.0, 0.25).unwrap();
/// assert_eq!(bce, -(0.25f64.ln()));
/// assert_eq!(bernoulli::cross_entropy(1.0, 0.0).unwrap(), f64::INFINITY);
/// ```
pub fn cross_entropy(y: f64, x: f64) -> Result<f64, MeasureError> {
    check_probability("y", y)?;
    check_probability("x", x)?;
    Ok(loss_term(y, x.ln()) + loss_term(1.0 - y, (-x).ln_1p()))
}

/// KL divergence between Bernoulli(y) and Bernoulli(x), in nats.
///
/// ```text
/// KL(y‖x) = y ln(y/x) + (1 − y) ln((1 − y)/(1 − x))
/// ```
///
/// Conventions: 0·ln 0 = 0; a support mismatch gives +∞. Each half is computed
/// as in [`kl_divergence`](crate::measures::kl_divergence); the difference of
/// the complements, (1 − y) − (1 − x), is taken as x − y, exactly.
///
/// # Errors
/// [`MeasureError::NotAProbability`] naming `y` or `x`.
///
/// # Accuracy
/// As the two-category [`kl_divergence`](crate::measures::kl_divergence):
/// near x = y the relative accuracy is kept, because no complement is
/// subtracted from another.
///
/// # Example
/// ```
/// use logloss_proofs::measures::bernoulli;
/// assert_eq!(bernoulli::kl_divergence(0.3, 0.3).unwrap(), 0.0);
/// assert_eq!(bernoulli::kl_divergence(0.5, 1.0).unwrap(), f64::INFINITY);
/// ```
pub fn kl_divergence(y: f64, x: f64) -> Result<f64, MeasureError> {
    check_probability("y", y)?;
    check_probability("x", x)?;
    let mut acc = NeumaierSum::new();
    let finite =
        add_kl_term(y, x, y - x, &mut acc) && add_kl_term(1.0 - y, 1.0 - x, x - y, &mut acc);
    Ok(if finite { acc.value() } else { f64::INFINITY })
}
