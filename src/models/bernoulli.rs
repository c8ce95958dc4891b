//! The Bernoulli distribution: maximum likelihood and log-likelihood.

use super::error::ModelError;
use crate::measures::bernoulli;
use crate::numerics::NeumaierSum;

fn check_samples(samples: &[f64]) -> Result<(), ModelError> {
    if samples.is_empty() {
        return Err(ModelError::Empty { arg: "samples" });
    }
    match samples.iter().position(|y| !(0.0..=1.0).contains(y)) {
        Some(index) => Err(ModelError::NotAProbability {
            arg: "samples",
            index,
            value: samples[index],
        }),
        None => Ok(()),
    }
}

/// The maximum-likelihood estimate of a Bernoulli parameter: the sample mean.
///
/// ```text
/// ℓ(x) = Σᵢ [yᵢ ln x + (1 − yᵢ) ln(1 − x)] = −n·BCE(ȳ, x),   ȳ = (1/n) Σᵢ yᵢ
/// argmax_x ℓ(x) = ȳ   (Gibbs, for the two-point distributions (ȳ, 1 − ȳ) and (x, 1 − x))
/// ```
///
/// Samples may be soft labels in [0, 1]; the formula is the same. The sum is
/// compensated, so the result is within 3u of the exact mean (u = 2⁻⁵³), and
/// exactly k/n (correctly rounded) for k ones among n hard labels.
///
/// # Errors
/// [`ModelError::Empty`], or [`ModelError::NotAProbability`] naming the sample.
///
/// # Example
/// ```
/// use logloss_proofs::models::bernoulli_mle;
/// assert_eq!(bernoulli_mle(&[1.0, 0.0, 1.0, 1.0]).unwrap(), 0.75);
/// ```
pub fn bernoulli_mle(samples: &[f64]) -> Result<f64, ModelError> {
    check_samples(samples)?;
    let sum: NeumaierSum = samples.iter().copied().collect();
    Ok(sum.value() / samples.len() as f64)
}

/// The log-likelihood of samples under Bernoulli(x).
///
/// ```text
/// ℓ(x) = Σᵢ [yᵢ ln x + (1 − yᵢ) ln(1 − x)] = −Σᵢ BCE(yᵢ, x)
/// ```
///
/// Conventions: 0·ln 0 = 0; −∞ when a sample has positive weight on an
/// outcome of probability 0.
///
/// # Errors
/// As [`bernoulli_mle`], and [`ModelError::NotAProbability`] naming `x`.
///
/// # Example
/// ```
/// use logloss_proofs::models::bernoulli_log_likelihood;
/// assert_eq!(bernoulli_log_likelihood(&[1.0, 0.0], 0.5).unwrap(), 2.0 * 0.5f64.ln());
/// assert_eq!(bernoulli_log_likelihood(&[1.0], 0.0).unwrap(), f64::NEG_INFINITY);
/// ```
pub fn bernoulli_log_likelihood(samples: &[f64], x: f64) -> Result<f64, ModelError> {
    check_samples(samples)?;
    if !(0.0..=1.0).contains(&x) {
        return Err(ModelError::NotAProbability {
            arg: "x",
            index: 0,
            value: x,
        });
    }
    let mut sum = NeumaierSum::new();
    for &y in samples {
        sum.add(-bernoulli::cross_entropy(y, x)?);
    }
    Ok(sum.value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::linalg::U;

    #[test]
    fn mle_is_the_mean() {
        assert_eq!(bernoulli_mle(&[1.0, 1.0, 0.0]).unwrap(), 2.0 / 3.0);
        assert_eq!(bernoulli_mle(&[0.25, 0.75]).unwrap(), 0.5);
        assert_eq!(
            bernoulli_mle(&[]),
            Err(ModelError::Empty { arg: "samples" })
        );
        assert_eq!(
            bernoulli_mle(&[0.0, 2.0]),
            Err(ModelError::NotAProbability {
                arg: "samples",
                index: 1,
                value: 2.0
            })
        );
    }

    #[test]
    fn log_likelihood_is_minus_n_times_the_binary_cross_entropy() {
        let y = [1.0, 0.0, 1.0, 1.0];
        let l = bernoulli_log_likelihood(&y, 0.6).unwrap();
        // 3 ln 0.6 + ln 0.4: each ln within 2u, the sums within 3u.
        let want = 3.0 * 0.6f64.ln() + 0.4f64.ln();
        assert!((l - want).abs() <= 8.0 * U * want.abs(), "{l} vs {want}");
        assert_eq!(
            bernoulli_log_likelihood(&[0.0], 1.0).unwrap(),
            f64::NEG_INFINITY
        );
        assert!(matches!(
            bernoulli_log_likelihood(&y, 1.5),
            Err(ModelError::NotAProbability { arg: "x", .. })
        ));
    }
}
