//! Input validation and the explicit normalization step.

use super::error::{Arg, MeasureError};
use super::summation::NeumaierSum;

/// The tolerance on |Σpᵢ − 1| that a probability vector of length `n` must meet.
///
/// ```text
/// tol(n) = (n + 1) · ε,   ε = 2⁻⁵² (f64::EPSILON)
/// ```
///
/// Why this value: a vector normalized in f64 as pᵢ = wᵢ / Σw, with Σw summed
/// in any order, has |Σpᵢ − 1| ≤ n·ε to first order (each quotient carries the
/// sum's relative error, at most (n − 1)·u, plus its own rounding u, where
/// u = ε/2), and this crate's compensated check adds at most ε more. Decimal
/// input such as `0.1,0.2,0.7` passes; `0.33,0.33,0.33` does not. Vectors made
/// in f32 (error about n·6e−8) do not pass: normalize them explicitly with
/// [`normalize`].
///
/// # Example
/// ```
/// use logloss_proofs::measures::sum_tolerance;
/// assert_eq!(sum_tolerance(3), 4.0 * f64::EPSILON);
/// ```
pub fn sum_tolerance(n: usize) -> f64 {
    (n as f64 + 1.0) * f64::EPSILON
}

/// Checks that every entry is finite and not NaN.
pub(crate) fn check_finite(arg: Arg, xs: &[f64]) -> Result<(), MeasureError> {
    if xs.is_empty() {
        return Err(MeasureError::Empty { arg });
    }
    match xs.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(MeasureError::NotFinite {
            arg,
            index,
            value: xs[index],
        }),
        None => Ok(()),
    }
}

/// Checks finiteness and non-negativity, and returns the compensated sum.
fn check_nonnegative(arg: Arg, p: &[f64]) -> Result<f64, MeasureError> {
    check_finite(arg, p)?;
    let mut sum = NeumaierSum::new();
    for (index, &value) in p.iter().enumerate() {
        if value < 0.0 {
            return Err(MeasureError::Negative { arg, index, value });
        }
        sum.add(value);
    }
    Ok(sum.value())
}

/// Checks that `p` is a probability vector: non-empty, finite, non-negative,
/// summing to one within [`sum_tolerance`].
pub(crate) fn check_distribution(arg: Arg, p: &[f64]) -> Result<(), MeasureError> {
    let sum = check_nonnegative(arg, p)?;
    let tolerance = sum_tolerance(p.len());
    if (sum - 1.0).abs() > tolerance {
        return Err(MeasureError::NotNormalized {
            arg,
            sum,
            tolerance,
        });
    }
    Ok(())
}

/// Checks two arguments for equal length.
pub(crate) fn check_same_len(
    first: Arg,
    a: &[f64],
    second: Arg,
    b: &[f64],
) -> Result<(), MeasureError> {
    if a.len() != b.len() {
        return Err(MeasureError::LengthMismatch {
            first,
            first_len: a.len(),
            second,
            second_len: b.len(),
        });
    }
    Ok(())
}

/// Checks that `p` is a probability vector: non-empty, finite, non-negative,
/// and summing to one within [`sum_tolerance`]`(p.len())`.
///
/// The measures call this on every probability argument; it is public so that
/// callers can validate once, up front.
///
/// # Errors
/// [`MeasureError::Empty`], [`MeasureError::NotFinite`], [`MeasureError::Negative`]
/// or [`MeasureError::NotNormalized`], each naming `name` and, where it applies,
/// the index and the value.
///
/// # Example
/// ```
/// use logloss_proofs::measures::{validate_distribution, MeasureError};
/// assert!(validate_distribution("p", &[0.25, 0.75]).is_ok());
/// let err = validate_distribution("p", &[0.5, -0.1, 0.6]).unwrap_err();
/// assert_eq!(err.to_string(), "p[1] = -0.1 is negative");
/// ```
pub fn validate_distribution(name: &'static str, p: &[f64]) -> Result<(), MeasureError> {
    check_distribution(Arg::plain(name), p)
}

/// Divides non-negative weights by their sum: the explicit step for callers who
/// want the behaviour of `scipy.stats.entropy`, which normalizes its inputs.
///
/// ```text
/// normalize(w)ᵢ = wᵢ / Σⱼ wⱼ     (Σ computed with compensated summation)
/// ```
///
/// The measures in this crate never normalize silently: a vector that does not
/// sum to one is an error there, because a silent rescaling hides bugs such as
/// a dropped category or a mixed-up reduction.
///
/// # Errors
/// [`MeasureError::Empty`], [`MeasureError::NotFinite`], [`MeasureError::Negative`]
/// (named `"weights"`), or [`MeasureError::ZeroMass`] when every weight is zero.
///
/// # Example
/// ```
/// use logloss_proofs::measures::normalize;
/// assert_eq!(normalize(&[1.0, 3.0]).unwrap(), vec![0.25, 0.75]);
/// ```
pub fn normalize(weights: &[f64]) -> Result<Vec<f64>, MeasureError> {
    let arg = Arg::plain("weights");
    let sum = check_nonnegative(arg, weights)?;
    if sum == 0.0 {
        return Err(MeasureError::ZeroMass { arg });
    }
    if !sum.is_finite() {
        // Finite weights can overflow their sum; rescale first.
        let max = weights.iter().copied().fold(0.0, f64::max);
        let scaled: Vec<f64> = weights.iter().map(|w| w / max).collect();
        return normalize(&scaled);
    }
    Ok(weights.iter().map(|w| w / sum).collect())
}
