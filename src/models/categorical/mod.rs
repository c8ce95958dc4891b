//! The categorical distribution, its softmax (log-linear) parametrization, and
//! the gradient of the softmax cross-entropy.
//!
//! - the distribution itself: [`categorical_mle`], [`categorical_log_likelihood`];
//! - `softmax`: the softmax's rounding-error bounds and the gradient of the
//!   softmax cross-entropy in the logits;
//! - `log_linear`: the cross-entropy of the log-linear family softmax(Aθ) as a
//!   Newton objective, and the fit of the logits.

mod log_linear;
mod softmax;

pub use log_linear::{SoftmaxCrossEntropy, SoftmaxFit, fit_softmax_logits};
pub use softmax::softmax_cross_entropy_grad;
pub(crate) use softmax::{TINY, softmax_relative_errors};

use super::error::ModelError;
use crate::measures::validate_distribution;
use crate::numerics::NeumaierSum;

/// The maximum-likelihood estimate of a categorical distribution: the
/// empirical distribution p̂ₙ.
///
/// ```text
/// ℓ(q) = Σₛ ln q_{xₛ} = n·Σᵢ p̂ᵢ ln qᵢ = −n·CE(p̂ₙ, q),   p̂ᵢ = cᵢ/n (cᵢ = #{s : xₛ = i})
/// argmax_q ℓ(q) = p̂ₙ   (Gibbs: CE(p̂, q) ≥ H(p̂), with equality iff q = p̂)
/// ```
///
/// # Errors
/// [`ModelError::Empty`] for no samples or no categories;
/// [`ModelError::CategoryOutOfRange`] naming the sample.
///
/// # Example
/// ```
/// use logloss_proofs::models::categorical_mle;
/// assert_eq!(categorical_mle(&[0, 2, 2, 2], 3).unwrap(), vec![0.25, 0.0, 0.75]);
/// ```
pub fn categorical_mle(samples: &[usize], categories: usize) -> Result<Vec<f64>, ModelError> {
    if categories == 0 {
        return Err(ModelError::Empty { arg: "categories" });
    }
    if samples.is_empty() {
        return Err(ModelError::Empty { arg: "samples" });
    }
    let mut counts = vec![0u64; categories];
    for (index, &value) in samples.iter().enumerate() {
        if value >= categories {
            return Err(ModelError::CategoryOutOfRange {
                arg: "samples",
                index,
                value,
                categories,
            });
        }
        counts[value] += 1;
    }
    let n = samples.len() as f64;
    Ok(counts.iter().map(|&c| c as f64 / n).collect())
}

/// The log-likelihood of categorical samples under q.
///
/// ```text
/// ℓ(q) = Σₛ ln q_{xₛ}
/// ```
///
/// Conventions: −∞ if a sample falls on a category with qᵢ = 0.
///
/// # Errors
/// [`ModelError::Empty`] for no samples, [`ModelError::Measure`] if `q` is not
/// a probability vector, [`ModelError::CategoryOutOfRange`] naming the sample.
///
/// # Example
/// ```
/// use logloss_proofs::models::categorical_log_likelihood;
/// let l = categorical_log_likelihood(&[0, 1, 1], &[0.5, 0.5]).unwrap();
/// assert_eq!(l, 3.0 * 0.5f64.ln());
/// ```
pub fn categorical_log_likelihood(samples: &[usize], q: &[f64]) -> Result<f64, ModelError> {
    if samples.is_empty() {
        return Err(ModelError::Empty { arg: "samples" });
    }
    validate_distribution("q", q)?;
    let mut sum = NeumaierSum::new();
    for (index, &value) in samples.iter().enumerate() {
        let Some(&qi) = q.get(value) else {
            return Err(ModelError::CategoryOutOfRange {
                arg: "samples",
                index,
                value,
                categories: q.len(),
            });
        };
        if qi == 0.0 {
            return Ok(f64::NEG_INFINITY);
        }
        sum.add(qi.ln());
    }
    Ok(sum.value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::U;

    #[test]
    fn mle_and_log_likelihood() {
        let samples = [0, 1, 1, 2, 2, 2];
        let p_hat = categorical_mle(&samples, 4).unwrap();
        assert_eq!(p_hat, vec![1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0, 0.0]);
        let q = [0.1, 0.2, 0.3, 0.4];
        let l = categorical_log_likelihood(&samples, &q).unwrap();
        // Σₛ ln q_{xₛ} = Σᵢ cᵢ ln qᵢ (all terms negative): the function's
        // logarithms are within 2u and its compensated sum within 2u·|ℓ|
        // (4u); the reference's logarithms 2u, products u and plain sum 2u
        // (5u): together below 10u·|ℓ|.
        let want: f64 = [(1.0, 0.1f64), (2.0, 0.2), (3.0, 0.3)]
            .iter()
            .map(|(c, qi)| c * qi.ln())
            .sum();
        let bound = 10.0 * U * want.abs();
        assert!((l - want).abs() <= bound, "{l} vs {want}");
        assert_eq!(
            categorical_log_likelihood(&[3], &[1.0, 0.0, 0.0, 0.0]).unwrap(),
            f64::NEG_INFINITY
        );
        assert_eq!(
            categorical_mle(&[0, 4], 3),
            Err(ModelError::CategoryOutOfRange {
                arg: "samples",
                index: 1,
                value: 4,
                categories: 3
            })
        );
        assert_eq!(
            categorical_mle(&[], 3),
            Err(ModelError::Empty { arg: "samples" })
        );
        assert_eq!(
            categorical_mle(&[0], 0),
            Err(ModelError::Empty { arg: "categories" })
        );
    }
}
