//! Input validation and the explicit normalization step.

use super::error::{Arg, MeasureError};
use crate::numerics::NeumaierSum;

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

/// Whether `p` is certainly a probability vector, by one fast pass
/// ([`super::lanes::checked_sum`]: plain partial sums, vectorized where the
/// CPU allows it, with the same bits on every path). `false` means "not
/// certain": the caller then runs the sequential checks, which decide and
/// name the error.
///
/// Certain means: every entry finite and non-negative, and the pass's sum s
/// within the tolerance by a margin that covers its difference from the
/// sequential compensated sum. With S the exact sum, the pass errs by at most
/// e·S (e = [`super::lanes::checked_sum_error`], about n/32·u) and the
/// sequential sum by at most 2u·S + 2n·u²·S (Neumaier's bound with Σ|x| = S),
/// and S ≤ s/(1 − e); the margin takes twice the sum of both bounds, which
/// also absorbs the rounding of this test. So whenever this accepts, the
/// sequential checks accept too. The margin is about tol(n)/32, so vectors
/// whose sum errs by more than about 31/32 of the tolerance take the
/// sequential checks (and so do the shortest vectors, n ≤ 4, where the
/// margin reaches the tolerance).
fn surely_distribution(p: &[f64]) -> bool {
    use crate::numerics::U;
    let Some(s) = super::lanes::checked_sum(p) else {
        return false;
    };
    let n = p.len() as f64;
    let e = super::lanes::checked_sum_error(p.len());
    let big_s = s / (1.0 - e);
    let margin = 2.0 * (e * big_s + 2.0 * U * big_s + 2.0 * n * U * U * big_s);
    (s - 1.0).abs() + margin <= sum_tolerance(p.len())
}

/// Checks that `p` is a probability vector: non-empty, finite, non-negative,
/// summing to one within [`sum_tolerance`].
pub(crate) fn check_distribution(arg: Arg, p: &[f64]) -> Result<(), MeasureError> {
    if !p.is_empty() && surely_distribution(p) {
        return Ok(());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The sequential checks alone (what `check_distribution` did before the
    /// lane pass, and still does whenever that pass is not certain).
    fn sequential(p: &[f64]) -> Result<(), MeasureError> {
        let sum = check_nonnegative(Arg::plain("p"), p)?;
        let tolerance = sum_tolerance(p.len());
        if (sum - 1.0).abs() > tolerance {
            return Err(MeasureError::NotNormalized {
                arg: Arg::plain("p"),
                sum,
                tolerance,
            });
        }
        Ok(())
    }

    /// The lane pass accepts only what the sequential checks accept, also at
    /// the edge of the tolerance, and it does accept ordinary normalized
    /// vectors (so the fast path is taken).
    #[test]
    fn the_lane_pass_never_accepts_what_the_sequential_checks_reject() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut accepted = 0;
        for n in [1usize, 2, 7, 8, 9, 100, 1000] {
            for case in 0..200 {
                let w: Vec<f64> = (0..n).map(|_| uniform() + 1e-3).collect();
                let total: f64 = w.iter().sum();
                let mut p: Vec<f64> = w.iter().map(|x| x / total).collect();
                // Push the sum across the tolerance: from 2 tolerances inside
                // to 2 outside, in steps of a tenth.
                let shift = (case as f64 / 200.0 * 4.0 - 2.0) * sum_tolerance(n);
                p[0] += shift;
                if case % 50 == 7 {
                    p[n / 2] = [f64::NAN, f64::INFINITY, -1e-300, -0.0][case / 50];
                }
                if surely_distribution(&p) {
                    accepted += 1;
                    assert!(sequential(&p).is_ok(), "n = {n}, case {case}");
                }
            }
            // The margin (8u) exceeds the tolerance ((n + 1)·2u) for n ≤ 3:
            // tiny vectors always take the sequential checks.
            let p = vec![1.0 / n as f64; n];
            assert!(
                surely_distribution(&p) || n < 8,
                "uniform n = {n} not accepted"
            );
        }
        assert!(accepted > 200, "only {accepted} accepted");
    }
}
