//! The test suite's false-failure budget and its allocation.
//!
//! Every statistical assertion in the crate's tests is listed here by name.
//! The suite's family-wise probability of a false failure (a failure when
//! every claim is true) is held below [`FAMILY_WISE_BUDGET`] by Bonferroni's
//! allocation: each assertion gets an equal share. An assertion whose failure
//! under a true claim would be a shortfall of power (an effect not detected,
//! such as "the misspecified gap is not Akaike's d") is not listed: its test
//! derives its power at the known effect size and requires it to be at least
//! 1 − 1e−6 instead. Levels are nominal, through
//! the normal approximation of the Monte Carlo means (their calibration is
//! checked by the ignored seed sweeps).

use statrs::distribution::{ContinuousCDF, Normal};

/// The suite's family-wise false-failure budget.
pub const FAMILY_WISE_BUDGET: f64 = 1e-6;

/// Every statistical assertion of the test suite, by name.
pub const ASSERTIONS: &[&str] = &[
    "gap/normal-normal/n=10/control-variate",
    "gap/normal-normal/n=10/raw",
    "gap/normal-normal/n=10/excess-risk",
    "gap/normal-normal/n=40/control-variate",
    "gap/normal-normal/n=40/raw",
    "gap/normal-normal/n=40/excess-risk",
    "gap/normal-normal/n=200/control-variate",
    "gap/normal-normal/n=200/raw",
    "gap/normal-normal/n=200/excess-risk",
    "gap/exponential-exponential/n=5/control-variate",
    "gap/exponential-exponential/n=5/excess-risk",
    "gap/exponential-exponential/n=50/control-variate",
    "gap/exponential-exponential/n=50/excess-risk",
    "gap/categorical-smoothed/n=30/control-variate",
    "gap/categorical-smoothed/n=30/excess-risk",
    "gap/categorical-mle/n=50/infinite-fraction",
    "gap/bernoulli-mle/n=8/infinite-fraction",
    "gap/normal-laplace/takeuchi",
    "gap/normal-uniform/takeuchi",
    "gap/normal-exponential/takeuchi",
    "kl-estimators/normal/k1-unbiased",
    "kl-estimators/normal/k3-unbiased",
    "kl-estimators/laplace/k1-unbiased",
    "kl-estimators/laplace/k3-unbiased",
    "continuous/normal/pair-1/ce",
    "continuous/normal/pair-1/kl",
    "continuous/normal/pair-2/ce",
    "continuous/normal/pair-2/kl",
    "continuous/normal/pair-3/ce",
    "continuous/normal/pair-3/kl",
    "continuous/normal/pair-4/ce",
    "continuous/normal/pair-4/kl",
    "continuous/exponential/pair-1/ce",
    "continuous/exponential/pair-1/kl",
    "continuous/exponential/pair-2/ce",
    "continuous/exponential/pair-2/kl",
    "continuous/exponential/pair-3/ce",
    "continuous/exponential/pair-3/kl",
    "continuous/exponential/pair-4/ce",
    "continuous/exponential/pair-4/kl",
    "continuous/laplace/pair-1/ce",
    "continuous/laplace/pair-1/kl",
    "continuous/laplace/pair-2/ce",
    "continuous/laplace/pair-2/kl",
    "continuous/laplace/pair-3/ce",
    "continuous/laplace/pair-3/kl",
    "continuous/laplace/pair-4/ce",
    "continuous/laplace/pair-4/kl",
];

/// The false-failure probability allotted to the assertion `name`:
/// [`FAMILY_WISE_BUDGET`] / [`ASSERTIONS`]`.len()` (Bonferroni), or `None` if
/// the name is not registered.
///
/// ```
/// use logloss_proofs::estimators::budget::{allotted, ASSERTIONS, FAMILY_WISE_BUDGET};
/// let a = allotted("gap/normal-normal/n=10/raw").unwrap();
/// assert_eq!(a, FAMILY_WISE_BUDGET / ASSERTIONS.len() as f64);
/// ```
pub fn allotted(name: &str) -> Option<f64> {
    ASSERTIONS
        .contains(&name)
        .then(|| FAMILY_WISE_BUDGET / ASSERTIONS.len() as f64)
}

/// The two-sided normal quantile z with P(|Z| > z) = `alpha`.
pub fn z_two_sided(alpha: f64) -> f64 {
    Normal::standard().inverse_cdf(1.0 - 0.5 * alpha)
}

/// The confidence level 1 − α for the assertion `name`.
///
/// # Panics
/// If `name` is not registered in [`ASSERTIONS`]: an unregistered statistical
/// assertion would escape the budget.
pub fn level(name: &str) -> f64 {
    1.0 - allotted(name)
        .unwrap_or_else(|| panic!("statistical assertion {name:?} is not in the budget"))
}
