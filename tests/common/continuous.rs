//! Helpers shared by the tests of `measures::continuous` (the
//! `continuous_*` test files): constructors and the library's derived error
//! bounds.
//!
//! Error bounds of the library that the tests rely on (derived in the module
//! documentation of `measures::continuous`):
//!
//! * `differential_entropy`: `|ĥ − h| ≤ U·(|c| + 2|ln θ| + |h|)`, `c` the
//!   family constant and `θ` the scale or rate;
//! * `kl_divergence`: `|KL̂ − KL| ≤ 70·U·KL`;
//! * `cross_entropy`: the entropy bound, plus the KL bound, plus `U·|H|`.
//!
//! Those derivations assume `ln`, `ln_1p` and `exp_m1` accurate to one ulp
//! (relative error ≤ 2U), as glibc documents; the same is assumed here for
//! `ln` and `exp`.

use logloss_proofs::measures::continuous::Continuous;
use logloss_proofs::numerics::U;

/// Relative error bound of `kl_divergence` derived in the module docs.
pub const KL_REL_BOUND: f64 = 70.0 * U;

pub fn normal(mean: f64, std_dev: f64) -> Continuous {
    Continuous::normal(mean, std_dev).expect("valid normal parameters")
}

pub fn exponential(rate: f64) -> Continuous {
    Continuous::exponential(rate).expect("valid exponential rate")
}

pub fn laplace(location: f64, scale: f64) -> Continuous {
    Continuous::laplace(location, scale).expect("valid laplace parameters")
}

/// `(c, ln θ)` with `h = c + ln θ` (normal, laplace) or `h = c − ln θ`
/// (exponential); `c` is the family constant as the library rounds it.
pub fn entropy_parts(p: &Continuous) -> (f64, f64) {
    match *p {
        Continuous::Normal { std_dev, .. } => (1.418_938_533_204_672_7, std_dev.ln()),
        Continuous::Exponential { rate } => (1.0, rate.ln()),
        Continuous::Laplace { scale, .. } => (1.693_147_180_559_945_4, scale.ln()),
    }
}

/// Derived bound on the error of `differential_entropy(p)` (see module docs).
pub fn entropy_bound(p: &Continuous, h: f64) -> f64 {
    let (c, ln_theta) = entropy_parts(p);
    U * (c.abs() + 2.0 * ln_theta.abs() + h.abs())
}

/// Derived bound on the error of `cross_entropy(p, q) = fl(h + KL)`.
pub fn cross_entropy_bound(p: &Continuous, h: f64, kl: f64, ce: f64) -> f64 {
    entropy_bound(p, h) + KL_REL_BOUND * kl + U * ce.abs()
}

/// `statrs` Normal `ln_pdf(x) = −½d² − ln √(2π) − ln σ`, `d = (x − μ)/σ`:
/// `d` has two roundings, `½d²` five, the constant one, `ln σ` two, and the two
/// additions one each relative to the magnitude sum, so the absolute error is
/// ≤ 7u·(½d² + 0.92 + |ln σ|).
pub fn normal_ln_pdf_err(x: f64, mean: f64, std_dev: f64) -> f64 {
    let d = (x - mean) / std_dev;
    7.0 * U * (0.5 * d * d + 0.92 + std_dev.ln().abs())
}
