//! Empirical distributions, empirical risks and mean negative log-likelihoods.
//!
//! For a sample y₁, …, yₙ of labels in {0, …, K − 1}:
//!
//! ```text
//! p̂ₙ(k) = #{i : yᵢ = k} / n                      (empirical distribution)
//! R̂ₙ(q) = (1/n) Σᵢ ℓ(q, yᵢ)                      (empirical risk)
//! NLLₙ(q) = −(1/n) ln Πᵢ q_{yᵢ} = −Σₖ p̂ₙ(k) ln qₖ   (mean negative log-likelihood)
//! ```
//!
//! Under the log loss the three meet: R̂ₙ(q) = NLLₙ(q) = CE(p̂ₙ, q). The
//! functions here compute R̂ₙ per observation and NLLₙ from the label counts,
//! two different summation orders of the same number.

use super::error::RiskError;
use super::loss::{Loss, check_finite, check_label, neg_ln};
use crate::measures::validate_distribution;
use crate::numerics::NeumaierSum;

/// Checks that a sample is non-empty.
fn check_nonempty<T>(sample: &[T]) -> Result<(), RiskError> {
    if sample.is_empty() {
        Err(RiskError::EmptySample { arg: "sample" })
    } else {
        Ok(())
    }
}

/// How many times each category occurs in the sample.
///
/// ```text
/// countsₖ = #{i : yᵢ = k},   k = 0, …, categories − 1
/// ```
///
/// # Errors
/// [`RiskError::EmptySample`], [`RiskError::NoCategories`], or
/// [`RiskError::LabelOutOfRange`] naming the first label ≥ `categories` and
/// its index.
///
/// # Example
/// ```
/// use logloss_proofs::risk::empirical::label_counts;
/// assert_eq!(label_counts(&[2, 0, 2], 3).unwrap(), vec![1, 0, 2]);
/// ```
pub fn label_counts(sample: &[usize], categories: usize) -> Result<Vec<usize>, RiskError> {
    check_nonempty(sample)?;
    if categories == 0 {
        return Err(RiskError::NoCategories { arg: "categories" });
    }
    let mut counts = vec![0usize; categories];
    for (i, &y) in sample.iter().enumerate() {
        check_label(y, categories, "sample", Some(i))?;
        counts[y] += 1;
    }
    Ok(counts)
}

/// The empirical distribution of a sample of labels.
///
/// ```text
/// p̂ₙ(k) = countsₖ / n
/// ```
///
/// Each entry is one correctly rounded division of two exact integers (for
/// n < 2⁵³), so p̂ₙ(k) is within u·p̂ₙ(k) of the exact ratio and the vector
/// sums to one within K·u, inside
/// [`sum_tolerance`](crate::measures::sum_tolerance): it can be passed to the
/// measures directly.
///
/// # Errors
/// As [`label_counts`].
///
/// # Example
/// ```
/// use logloss_proofs::risk::empirical::empirical_distribution;
/// assert_eq!(empirical_distribution(&[1, 1, 0, 1], 3).unwrap(), vec![0.25, 0.75, 0.0]);
/// ```
pub fn empirical_distribution(sample: &[usize], categories: usize) -> Result<Vec<f64>, RiskError> {
    let counts = label_counts(sample, categories)?;
    let n = sample.len() as f64;
    Ok(counts.into_iter().map(|c| c as f64 / n).collect())
}

/// The empirical risk of a categorical model: the mean loss over the sample.
///
/// ```text
/// R̂ₙ(q) = (1/n) Σᵢ ℓ(q, yᵢ)
/// ```
///
/// The losses are added in sample order with compensated summation, then
/// divided by n. Under [`Loss::Log`] a label with q_y = 0 makes the risk +∞.
///
/// # Errors
/// [`RiskError::EmptySample`]; [`RiskError::Model`] if `q` is not a
/// probability vector; [`RiskError::LabelOutOfRange`] naming the first label
/// ≥ `q.len()` and its index.
///
/// # Example
/// ```
/// use logloss_proofs::risk::{Loss, empirical::empirical_risk};
/// let (sample, q) = ([0, 0, 1, 0], [0.5, 0.5]);
/// assert_eq!(empirical_risk(&sample, &q, Loss::Log).unwrap(), std::f64::consts::LN_2);
/// assert_eq!(empirical_risk(&sample, &q, Loss::ZeroOne).unwrap(), 0.25);
/// ```
pub fn empirical_risk(sample: &[usize], q: &[f64], loss: Loss) -> Result<f64, RiskError> {
    check_nonempty(sample)?;
    validate_distribution("q", q)?;
    let mut sum = NeumaierSum::new();
    for (i, &y) in sample.iter().enumerate() {
        check_label(y, q.len(), "sample", Some(i))?;
        sum.add(loss.unchecked(q, y));
    }
    Ok(sum.value() / sample.len() as f64)
}

/// The mean negative log-likelihood of a categorical model, from the label
/// counts: the likelihood form of the empirical log-loss risk.
///
/// ```text
/// NLLₙ(q) = −(1/n) ln Πᵢ q_{yᵢ} = (1/n) Σₖ countsₖ · (−ln qₖ)
/// ```
///
/// Conventions: categories that do not occur contribute 0 (also where qₖ = 0);
/// an occurring category with qₖ = 0 gives +∞. The terms countsₖ·(−ln qₖ) are
/// added with compensated summation, so this agrees with
/// [`empirical_risk`]`(sample, q, Loss::Log)`, which adds the same logarithms
/// in sample order, to a few roundings of the result.
///
/// # Errors
/// As [`empirical_risk`].
///
/// # Example
/// ```
/// use logloss_proofs::risk::empirical::mean_nll;
/// // With q = (½, ½) every observation's −ln q_y is ln 2.
/// assert_eq!(mean_nll(&[0, 1, 1], &[0.5, 0.5]).unwrap(), std::f64::consts::LN_2);
/// assert_eq!(mean_nll(&[0, 1], &[1.0, 0.0]).unwrap(), f64::INFINITY);
/// ```
pub fn mean_nll(sample: &[usize], q: &[f64]) -> Result<f64, RiskError> {
    check_nonempty(sample)?;
    validate_distribution("q", q)?;
    let counts = label_counts(sample, q.len())?;
    let mut sum = NeumaierSum::new();
    for (&c, &qk) in counts.iter().zip(q) {
        if c > 0 {
            sum.add(c as f64 * neg_ln(qk));
        }
    }
    Ok(sum.value() / sample.len() as f64)
}

/// The mean negative log-likelihood of a model with a density, given its
/// log-density.
///
/// ```text
/// NLLₙ = −(1/n) Σᵢ ln q(xᵢ)
/// ```
///
/// This is E_{p̂ₙ}[−ln q(X)], the cross-entropy of the model relative to the
/// sample's empirical measure; unlike the discrete case it is **not**
/// H(p̂ₙ) + KL(p̂ₙ‖q): p̂ₙ has no density, so KL(p̂ₙ‖q) = +∞.
///
/// Conventions: `ln_pdf` returning −∞ (zero density at an observation) gives
/// +∞. The terms are added with compensated summation.
///
/// # Errors
/// [`RiskError::EmptySample`]; [`RiskError::NotFinite`] naming the first
/// non-finite observation; [`RiskError::LogDensity`] if `ln_pdf` returns NaN
/// or +∞ at an observation.
///
/// # Example
/// ```
/// use logloss_proofs::risk::empirical::mean_nll_continuous;
/// // The uniform density on [0, 2]: ln q = −ln 2 everywhere on it.
/// let nll = mean_nll_continuous(&[0.5, 1.5], |_| -std::f64::consts::LN_2).unwrap();
/// assert_eq!(nll, std::f64::consts::LN_2);
/// ```
pub fn mean_nll_continuous(sample: &[f64], ln_pdf: impl Fn(f64) -> f64) -> Result<f64, RiskError> {
    check_nonempty(sample)?;
    let mut sum = NeumaierSum::new();
    for (i, &x) in sample.iter().enumerate() {
        check_finite("sample", Some(i), x)?;
        let value = ln_pdf(x);
        if value.is_nan() || value == f64::INFINITY {
            return Err(RiskError::LogDensity { index: i, x, value });
        }
        sum.add(-value);
    }
    Ok(sum.value() / sample.len() as f64)
}

/// The mean squared error of a constant real-valued prediction: the
/// empirical risk under the squared error.
///
/// ```text
/// MSEₙ(c) = (1/n) Σᵢ (c − xᵢ)²
/// ```
///
/// The squares are added with compensated summation.
///
/// # Errors
/// [`RiskError::EmptySample`]; [`RiskError::NotFinite`] naming `prediction`,
/// or the first non-finite observation and its index.
///
/// # Example
/// ```
/// use logloss_proofs::risk::empirical::mean_squared_error;
/// assert_eq!(mean_squared_error(&[1.0, 3.0], 2.0).unwrap(), 1.0);
/// ```
pub fn mean_squared_error(sample: &[f64], prediction: f64) -> Result<f64, RiskError> {
    check_nonempty(sample)?;
    check_finite("prediction", None, prediction)?;
    let mut sum = NeumaierSum::new();
    for (i, &x) in sample.iter().enumerate() {
        check_finite("sample", Some(i), x)?;
        let d = prediction - x;
        sum.add(d * d);
    }
    Ok(sum.value() / sample.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::MeasureError;
    use crate::numerics::U;

    #[test]
    fn risks_of_a_dyadic_example_are_exact() {
        // q = (¾, ¼), sample 0, 0, 1, 0: every quantity below is a dyadic
        // rational computed without rounding.
        let (sample, q) = ([0, 0, 1, 0], [0.75, 0.25]);
        assert_eq!(empirical_risk(&sample, &q, Loss::ZeroOne).unwrap(), 0.25);
        // Brier: three of (¼)² + (¼)² = ⅛ and one of (¾)² + (¾)² = 9/8.
        assert_eq!(empirical_risk(&sample, &q, Loss::Squared).unwrap(), 0.375);
        assert_eq!(
            empirical_distribution(&sample, 2).unwrap(),
            vec![0.75, 0.25]
        );
    }

    #[test]
    fn mean_nll_and_log_risk_agree_and_share_the_infinite_case() {
        let q = [0.2, 0.3, 0.5, 0.0];
        let sample = [2, 0, 2, 1, 2, 2, 0];
        let a = empirical_risk(&sample, &q, Loss::Log).unwrap();
        let b = mean_nll(&sample, &q).unwrap();
        // Both add the same logarithms l_k (all ≥ 0): the per-example path has
        // compensated-sum error ≤ 2u·S and a division (u); the counts path adds
        // one product per term (u), the same sum error and division. So
        // |a − b| ≤ 7u·max(a, b) to first order; 8u covers the rest.
        assert!((a - b).abs() <= 8.0 * U * a.max(b), "{a} vs {b}");
        let with_zero = [3, 0];
        assert_eq!(
            empirical_risk(&with_zero, &q, Loss::Log).unwrap(),
            f64::INFINITY
        );
        assert_eq!(mean_nll(&with_zero, &q).unwrap(), f64::INFINITY);
        // A zero-probability category that never occurs contributes 0, not 0·∞.
        assert!(mean_nll(&sample, &q).unwrap().is_finite());
    }

    #[test]
    fn errors_name_the_argument_index_and_value() {
        assert_eq!(
            empirical_distribution(&[], 2).unwrap_err(),
            RiskError::EmptySample { arg: "sample" }
        );
        assert_eq!(
            label_counts(&[0], 0).unwrap_err(),
            RiskError::NoCategories { arg: "categories" }
        );
        assert_eq!(
            mean_nll(&[0, 1, 5], &[0.5, 0.5]).unwrap_err().to_string(),
            "sample[2] = 5 is not a category (there are 2: 0 to 1)"
        );
        assert!(matches!(
            empirical_risk(&[0], &[0.5, 0.6], Loss::Log),
            Err(RiskError::Model(MeasureError::NotNormalized { .. }))
        ));
        assert!(matches!(
            mean_nll_continuous(&[0.0, f64::NAN], |_| 0.0),
            Err(RiskError::NotFinite { arg: "sample", index: Some(1), value }) if value.is_nan()
        ));
        assert_eq!(
            mean_nll_continuous(&[1.0], |_| f64::INFINITY)
                .unwrap_err()
                .to_string(),
            "ln_pdf(sample[0] = 1) = inf: a log-density must be finite or −∞ (zero density)"
        );
        assert_eq!(
            mean_nll_continuous(&[1.0], |_| f64::NEG_INFINITY).unwrap(),
            f64::INFINITY
        );
        assert_eq!(
            mean_squared_error(&[1.0, f64::INFINITY], 0.0)
                .unwrap_err()
                .to_string(),
            "sample[1] = inf is not finite"
        );
    }
}
