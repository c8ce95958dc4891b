//! Per-example losses of a probabilistic prediction, and the squared error of
//! a real-valued one.
//!
//! A categorical prediction is a probability vector q over K categories (it is
//! validated like the measures' arguments: finite, non-negative, summing to one
//! within [`sum_tolerance`](crate::measures::sum_tolerance)); the outcome is a
//! label y ∈ {0, …, K − 1}.

use super::error::RiskError;
use crate::measures::validate_distribution;
use crate::numerics::NeumaierSum;

/// A loss of a categorical prediction, as a value: what [`empirical_risk`]
/// averages.
///
/// [`empirical_risk`]: crate::risk::empirical::empirical_risk
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// The log loss [`log_loss`]: −ln q_y.
    Log,
    /// The squared loss (Brier score) [`squared_loss`]: Σₖ (qₖ − 1[k = y])².
    Squared,
    /// The 0–1 loss [`zero_one_loss`]: 1[argmax q ≠ y].
    ZeroOne,
}

impl Loss {
    /// The loss of predicting `q` when the outcome is `y`.
    ///
    /// # Errors
    /// As the function of the variant: [`RiskError::Model`] if `q` is not a
    /// probability vector, [`RiskError::LabelOutOfRange`] if `y ≥ q.len()`.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::risk::Loss;
    /// assert_eq!(Loss::ZeroOne.of(&[0.4, 0.6], 0).unwrap(), 1.0);
    /// ```
    pub fn of(self, q: &[f64], y: usize) -> Result<f64, RiskError> {
        check_prediction(q, y, None)?;
        Ok(self.unchecked(q, y))
    }

    /// The loss without validation; callers have validated `q` and `y`.
    pub(crate) fn unchecked(self, q: &[f64], y: usize) -> f64 {
        match self {
            Loss::Log => neg_ln(q[y]),
            Loss::Squared => brier(q, y),
            Loss::ZeroOne => {
                if argmax(q) == y {
                    0.0
                } else {
                    1.0
                }
            }
        }
    }
}

/// Validates a prediction and a label; `index` is the label's position in a
/// sample, if any.
pub(crate) fn check_prediction(q: &[f64], y: usize, index: Option<usize>) -> Result<(), RiskError> {
    validate_distribution("q", q)?;
    check_label(
        y,
        q.len(),
        if index.is_some() { "sample" } else { "y" },
        index,
    )
}

/// Checks `label < categories`.
pub(crate) fn check_label(
    label: usize,
    categories: usize,
    arg: &'static str,
    index: Option<usize>,
) -> Result<(), RiskError> {
    if label < categories {
        Ok(())
    } else {
        Err(RiskError::LabelOutOfRange {
            arg,
            index,
            label,
            categories,
        })
    }
}

/// −ln x for x ∈ [0, 1], with +∞ at 0 and +0 (not −0) at 1.
#[inline]
pub(crate) fn neg_ln(x: f64) -> f64 {
    0.0 - x.ln()
}

/// Σₖ (qₖ − 1[k = y])², compensated.
fn brier(q: &[f64], y: usize) -> f64 {
    let mut s = NeumaierSum::new();
    for (k, &qk) in q.iter().enumerate() {
        let d = if k == y { 1.0 - qk } else { qk };
        s.add(d * d);
    }
    s.value()
}

/// The index of the largest entry; ties go to the lowest index.
pub(crate) fn argmax(q: &[f64]) -> usize {
    let mut best = 0;
    for (k, &qk) in q.iter().enumerate().skip(1) {
        if qk > q[best] {
            best = k;
        }
    }
    best
}

/// The log loss (negative log-likelihood of one observation), in nats.
///
/// ```text
/// ℓ_log(q, y) = −ln q_y
/// ```
///
/// Conventions: q_y = 0 gives +∞ (a value, not an error); q_y = 1 gives 0.
///
/// # Errors
/// [`RiskError::Model`] if `q` is empty, holds a non-finite or negative entry,
/// or does not sum to one within
/// [`sum_tolerance`](crate::measures::sum_tolerance);
/// [`RiskError::LabelOutOfRange`] (named `y`) if `y ≥ q.len()`.
///
/// # Example
/// ```
/// use logloss_proofs::risk::loss::log_loss;
/// assert_eq!(log_loss(&[0.5, 0.5], 1).unwrap(), std::f64::consts::LN_2);
/// assert_eq!(log_loss(&[1.0, 0.0], 1).unwrap(), f64::INFINITY);
/// ```
pub fn log_loss(q: &[f64], y: usize) -> Result<f64, RiskError> {
    Loss::Log.of(q, y)
}

/// The squared loss of a probability vector: the Brier score.
///
/// ```text
/// ℓ_sq(q, y) = Σₖ (qₖ − 1[k = y])²  ∈ [0, 2]
/// ```
///
/// The sum is compensated; each term is exact up to one subtraction and one
/// product, so the result is within about 5u of the exact value (u = 2⁻⁵³).
///
/// # Errors
/// As [`log_loss`].
///
/// # Example
/// ```
/// use logloss_proofs::risk::loss::squared_loss;
/// // (0.75 − 1)² + 0.25² = 0.125, exactly.
/// assert_eq!(squared_loss(&[0.75, 0.25], 0).unwrap(), 0.125);
/// ```
pub fn squared_loss(q: &[f64], y: usize) -> Result<f64, RiskError> {
    Loss::Squared.of(q, y)
}

/// The 0–1 loss of the prediction's most probable category.
///
/// ```text
/// ℓ₀₁(q, y) = 1[argmaxₖ qₖ ≠ y]
/// ```
///
/// Convention: ties are broken by the lowest index, so the uniform prediction
/// predicts category 0.
///
/// # Errors
/// As [`log_loss`].
///
/// # Example
/// ```
/// use logloss_proofs::risk::loss::zero_one_loss;
/// assert_eq!(zero_one_loss(&[0.2, 0.8], 1).unwrap(), 0.0);
/// assert_eq!(zero_one_loss(&[0.5, 0.5], 1).unwrap(), 1.0); // the tie goes to 0
/// ```
pub fn zero_one_loss(q: &[f64], y: usize) -> Result<f64, RiskError> {
    Loss::ZeroOne.of(q, y)
}

/// The squared error of a real-valued prediction.
///
/// ```text
/// ℓ(c, x) = (c − x)²
/// ```
///
/// # Errors
/// [`RiskError::NotFinite`] naming `prediction` or `x` if either is NaN or
/// infinite.
///
/// # Example
/// ```
/// use logloss_proofs::risk::loss::squared_error;
/// assert_eq!(squared_error(1.5, -0.5).unwrap(), 4.0);
/// ```
pub fn squared_error(prediction: f64, x: f64) -> Result<f64, RiskError> {
    check_finite("prediction", None, prediction)?;
    check_finite("x", None, x)?;
    let d = prediction - x;
    Ok(d * d)
}

/// Checks that a real value is finite.
pub(crate) fn check_finite(
    arg: &'static str,
    index: Option<usize>,
    value: f64,
) -> Result<(), RiskError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(RiskError::NotFinite { arg, index, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::MeasureError;

    #[test]
    fn log_loss_is_minus_ln_of_the_label_s_probability() {
        // Exactly representable cases: ln 1 = 0, ln 0 = −∞, and −ln 2⁻³ = 3 ln 2
        // rounds like 3·LN_2 only within one rounding each: compare with the
        // same expression evaluated once.
        assert_eq!(
            log_loss(&[1.0, 0.0], 0).unwrap().to_bits(),
            0.0f64.to_bits()
        );
        assert_eq!(log_loss(&[1.0, 0.0], 1).unwrap(), f64::INFINITY);
        assert_eq!(
            log_loss(&[0.875, 0.125], 1).unwrap(),
            -(0.125f64.ln()),
            "the same libm call"
        );
    }

    #[test]
    fn squared_loss_is_the_brier_score() {
        // Dyadic entries: every subtraction and square is exact.
        assert_eq!(squared_loss(&[0.5, 0.25, 0.25], 0).unwrap(), 0.375);
        assert_eq!(squared_loss(&[0.5, 0.25, 0.25], 2).unwrap(), 0.875);
        assert_eq!(squared_loss(&[1.0, 0.0], 1).unwrap(), 2.0);
    }

    #[test]
    fn zero_one_loss_breaks_ties_by_the_lowest_index() {
        assert_eq!(zero_one_loss(&[0.25, 0.375, 0.375], 1).unwrap(), 0.0);
        assert_eq!(zero_one_loss(&[0.25, 0.375, 0.375], 2).unwrap(), 1.0);
        assert_eq!(zero_one_loss(&[1.0], 0).unwrap(), 0.0);
    }

    #[test]
    fn errors_name_the_argument_index_and_value() {
        assert_eq!(
            log_loss(&[0.5, 0.5], 2).unwrap_err().to_string(),
            "y = 2 is not a category (there are 2: 0 to 1)"
        );
        assert!(matches!(
            squared_loss(&[0.5, -0.5, 1.0], 0),
            Err(RiskError::Model(MeasureError::Negative { index: 1, .. }))
        ));
        assert!(matches!(
            zero_one_loss(&[], 0),
            Err(RiskError::Model(MeasureError::Empty { .. }))
        ));
        assert_eq!(
            squared_error(f64::NAN, 0.0).unwrap_err().to_string(),
            "prediction = NaN is not finite"
        );
        assert_eq!(
            squared_error(0.0, f64::INFINITY).unwrap_err(),
            RiskError::NotFinite {
                arg: "x",
                index: None,
                value: f64::INFINITY
            }
        );
    }
}
