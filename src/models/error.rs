//! The error type of the model fits.

use crate::measures::MeasureError;

/// An error that can occur when a model's data, parameters or options are not
/// what its formulas need, or when a fit cannot certify its result.
///
/// Every input variant names the argument and, where it applies, the index and
/// the value. A fit that does not converge is an error, never a number
/// returned without evidence.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// The argument has no entries.
    #[error("{arg} is empty")]
    Empty {
        /// The empty argument.
        arg: &'static str,
    },
    /// Two arguments that must have equal lengths do not.
    #[error("{first} has length {first_len} but {second} has length {second_len}")]
    LengthMismatch {
        /// The first argument.
        first: &'static str,
        /// Its length.
        first_len: usize,
        /// The second argument.
        second: &'static str,
        /// Its length.
        second_len: usize,
    },
    /// An entry is NaN or infinite.
    #[error("{arg}[{index}] = {value} is not finite")]
    NotFinite {
        /// The argument holding the entry.
        arg: &'static str,
        /// The entry's index (row-major for a matrix).
        index: usize,
        /// The entry.
        value: f64,
    },
    /// A scale parameter (a variance) is not positive.
    #[error("{arg} = {value} must be positive and finite")]
    NotPositive {
        /// The argument.
        arg: &'static str,
        /// The value given.
        value: f64,
    },
    /// A row of a matrix argument has the wrong length.
    #[error("{arg} row {row} has {len} entries but row 0 has {expected}")]
    RaggedRow {
        /// The matrix argument.
        arg: &'static str,
        /// The row's index.
        row: usize,
        /// Its length.
        len: usize,
        /// The length of the first row.
        expected: usize,
    },
    /// A probability (a target or a sample of a Bernoulli variable) is outside [0, 1].
    #[error("{arg}[{index}] = {value} is not a probability in [0, 1]")]
    NotAProbability {
        /// The argument holding the entry.
        arg: &'static str,
        /// The entry's index.
        index: usize,
        /// The entry.
        value: f64,
    },
    /// A categorical sample names a category that does not exist.
    #[error("{arg}[{index}] = {value} is not a category (there are {categories})")]
    CategoryOutOfRange {
        /// The argument holding the entry.
        arg: &'static str,
        /// The entry's index.
        index: usize,
        /// The entry.
        value: usize,
        /// The number of categories.
        categories: usize,
    },
    /// The objective has no minimizer in the parameter space (its infimum is
    /// approached only as a parameter goes to infinity, or it is unbounded).
    #[error("{arg}: no minimizer: {reason}")]
    NoMinimizer {
        /// The argument responsible.
        arg: &'static str,
        /// Why, naming the entry.
        reason: String,
    },
    /// An option has a value outside its range.
    #[error("option {name} = {value} is invalid: {requirement}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What the option must satisfy.
        requirement: &'static str,
    },
    /// The start point of a fit is outside the objective's domain (the
    /// objective is not finite there).
    #[error("the start point is outside the objective's domain (value {value})")]
    StartOutsideDomain {
        /// The objective's value at the start.
        value: f64,
    },
    /// Newton's method stopped without a certificate within the tolerance.
    #[error(
        "no convergence after {iterations} iterations: gradient norm ≤ {gradient_norm:e}, certified parameter error {parameter_error:e} > tolerance {tolerance:e}"
    )]
    NotConverged {
        /// Newton steps taken.
        iterations: usize,
        /// The upper bound on the true gradient norm at the best iterate.
        gradient_norm: f64,
        /// The certified bound on ‖θ − θ*‖₂ (+∞ if none could be certified).
        parameter_error: f64,
        /// The bound that was required.
        tolerance: f64,
    },
    /// The Hessian at the best iterate could not be shown positive definite,
    /// so no minimizer can be certified (a flat direction, or rounding).
    #[error(
        "after {iterations} iterations the Hessian is not certifiably positive definite (lower bound {hessian_lower_bound:e}; gradient norm ≤ {gradient_norm:e})"
    )]
    NotStronglyConvex {
        /// Newton steps taken.
        iterations: usize,
        /// The upper bound on the true gradient norm.
        gradient_norm: f64,
        /// The best lower bound found on the smallest Hessian eigenvalue.
        hessian_lower_bound: f64,
    },
    /// The local certificate of a line-search fit failed: the objective's
    /// curvature on the certificate's ball fell below half the smallest
    /// Hessian eigenvalue at the fit, so the ball's premise does not hold.
    #[error(
        "after {iterations} iterations there is no certificate: the Hessian falls below half its smallest eigenvalue within radius {radius:e}"
    )]
    NotCertified {
        /// Newton steps taken.
        iterations: usize,
        /// The radius R = 2G/λ whose premise failed.
        radius: f64,
    },
    /// A measure rejected a probability vector.
    #[error(transparent)]
    Measure(#[from] MeasureError),
}

/// The rows of a matrix, row after row, each checked for length `dimension`
/// and finite entries: [`ModelError::RaggedRow`] names the row,
/// [`ModelError::NotFinite`] the index in the flattened matrix.
pub(crate) fn flatten_rows(
    arg: &'static str,
    rows: &[Vec<f64>],
    dimension: usize,
) -> Result<Vec<f64>, ModelError> {
    let mut flat = Vec::with_capacity(rows.len() * dimension);
    for (row, r) in rows.iter().enumerate() {
        if r.len() != dimension {
            return Err(ModelError::RaggedRow {
                arg,
                row,
                len: r.len(),
                expected: dimension,
            });
        }
        flat.extend_from_slice(r);
    }
    if let Some(index) = flat.iter().position(|v| !v.is_finite()) {
        return Err(ModelError::NotFinite {
            arg,
            index,
            value: flat[index],
        });
    }
    Ok(flat)
}
