//! The floating-point vocabulary every other module speaks: unit roundoff,
//! γₙ, the named tiny constants, error-free transformations, compensated
//! sums, error-tracked arithmetic, the central-difference rule and the
//! fixed formatting of numbers in evidence.
//!
//! Nothing else in the crate defines its own: a tolerance anywhere is
//! [`U`] (or [`gamma`]) times a condition quantity computed for the case.
//!
//! # Example
//! ```
//! use logloss_proofs::numerics::{U, gamma};
//! // Three roundings of relative size u each: γ₃ = 3u/(1 − 3u) > 3u.
//! assert!(gamma(3) > 3.0 * U && gamma(3) < 3.0 * U * (1.0 + 4.0 * U));
//! ```

pub(crate) mod dd;
pub mod finite_difference;
pub mod format;
mod summation;
pub(crate) mod tracked;

pub use summation::{NeumaierSum, compensated_sum};

/// Unit roundoff of f64: u = 2⁻⁵³, half the machine epsilon. Round to
/// nearest gives fl(a ∘ b) = (a ∘ b)(1 + δ) with |δ| ≤ u.
pub const U: f64 = f64::EPSILON / 2.0;

/// Higham's γₙ = n·u / (1 − n·u): the relative error bound of n successive
/// roundings (a dot product or plain sum of n terms, a chain of n products).
///
/// Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.1.
///
/// # Example
/// ```
/// use logloss_proofs::numerics::{U, gamma};
/// assert_eq!(gamma(0), 0.0);
/// assert!(gamma(1) >= U);
/// ```
pub fn gamma(n: usize) -> f64 {
    let nu = n as f64 * U;
    nu / (1.0 - nu)
}

/// The smallest positive subnormal f64, 2⁻¹⁰⁷⁴: the absolute error of one
/// rounding in the subnormal range, and the floor a probability is clamped
/// to so that its logarithm stays finite.
pub const SMALLEST_SUBNORMAL: f64 = f64::from_bits(1);

/// 4·f64::MIN_POSITIVE = 2⁻¹⁰²⁰: an absolute allowance per term for a product
/// or logarithm that may land in the subnormal range, where the relative
/// bound u·|x| no longer holds (the absolute error there is at most 2⁻¹⁰⁷⁵,
/// far below this).
pub const UNDERFLOW_ALLOWANCE: f64 = 4.0 * f64::MIN_POSITIVE;
