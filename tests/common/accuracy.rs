//! Helpers shared by the accuracy tests (the `accuracy_*` test files): the
//! table of worst errors each test prints, the error measures, and random
//! points of the simplex.

use astro_float::BigFloat;
use logloss_proofs::measures::normalize;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::reference::Reference;

/// A bound on the relative error of the crate's KL when every pair
/// (aᵢ, bᵢ) = (pᵢ, qᵢ) lies within a factor 2, derived from the kernel's
/// near-equal branch (`add_near_gap` with the signed mass dᵢ = aᵢ − bᵢ
/// added apart):
///
/// - each term gᵢ = dᵢ·sᵢ·(1 + cᵢ), sᵢ = dᵢ/(aᵢ + bᵢ), comes from an exact
///   product and a double-double sᵢ (O(u²) relative), so its only first-order
///   rounding is in the bracket: cᵢ = sᵢ(1 + sᵢ)·B(sᵢ²) with B ≤ 0.375 for
///   |sᵢ| ≤ ⅓, so |cᵢ| ≤ ½|sᵢ|; Horner over 17 coefficients and three more
///   operations give cᵢ within γ₃₇ ≈ 37u relative, and gᵢ·cᵢ + (low part)
///   one rounding more: 38u·|cᵢ| ≤ 19u·|sᵢ| relative to gᵢ;
/// - the compensated sum of the m ≤ 3n + 16 values added (gᵢ's two parts
///   and dᵢ per entry, and the eight lanes' merge) returns the exact sum of
///   its inputs within u·|S| + γ²ₘ·Σ|xᵢ| (Ogita, Rump and Oishi, SIAM J. Sci.
///   Comput. 26, 2005), where Σ|xᵢ| ≤ 2·KL + Σ|dᵢ| (to first order);
/// - `complement_roundings`: for the Bernoulli form, whose second pair is
///   the complements fl(1 − y), fl(1 − x) while d = x − y is exact, the
///   rounding of a + b (≤ u relative, since a + b ≥ 1 there) moves g₂ by at
///   most u·g₂ ≤ u·KL.
///
/// So |computed − KL|/KL ≤ u·(1 + complement_roundings + 19·max|sᵢ|)
/// + γ²ₘ·(2 + Σ|dᵢ|/KL), with KL the exact value (here a 320-bit reference).
pub fn near_equal_kl_bound(pairs: &[(f64, f64)], kl: f64, complement_roundings: f64) -> f64 {
    use logloss_proofs::numerics::{U, gamma};
    let max_s = pairs
        .iter()
        .map(|&(a, b)| ((a - b) / (a + b)).abs())
        .fold(0.0, f64::max);
    let mass: f64 = pairs.iter().map(|&(a, b)| (a - b).abs()).sum();
    let m = 3 * pairs.len() + 16;
    U * (1.0 + complement_roundings + 19.0 * max_s) + gamma(m).powi(2) * (2.0 + mass / kl)
}

// ---------------------------------------------------------------------------
// Reporting

/// The worst error seen in one (measure, input class) cell, and where.
pub struct Worst {
    pub measure: &'static str,
    pub class: String,
    pub unit: &'static str,
    pub bound: String,
    pub value: f64,
    pub at: String,
}

impl Worst {
    pub fn new(measure: &'static str, class: &str, unit: &'static str, bound: &str) -> Self {
        Worst {
            measure,
            class: class.to_string(),
            unit,
            bound: bound.to_string(),
            value: 0.0,
            at: String::from("-"),
        }
    }

    pub fn record(&mut self, value: f64, at: impl FnOnce() -> String) {
        if value > self.value || value.is_nan() {
            self.value = value;
            self.at = at();
        }
    }

    pub fn print(&self) {
        println!(
            "| {:<13} | {:<42} | {:>9.3e} {:<9} | {:<22} | {}",
            self.measure, self.class, self.value, self.unit, self.bound, self.at
        );
    }
}

/// |computed − exact|, rounded to f64.
pub fn abs_error(reference: &mut Reference, computed: f64, exact: &BigFloat) -> f64 {
    let d = reference.sub(&reference.big(computed), exact).abs();
    reference.nearest_f64(&d)
}

/// err/bound, with 0/0 = 0 (an exact result where the bound is 0).
pub fn ratio(err: f64, bound: f64) -> f64 {
    if err == 0.0 { 0.0 } else { err / bound }
}

/// Prints the rows of one test, after a line break (libtest's "test … "
/// prefix has none).
pub fn print_rows(rows: &[&Worst]) {
    println!();
    for w in rows {
        w.print();
    }
}

pub fn print_evaluations(test: &str, reference: &Reference) {
    println!(
        "| ({test}: {} reference ln/exp evaluations)",
        reference.evaluations()
    );
}

// Inputs

/// Exp(1) weights −ln(1 − V), V uniform in [0, 1): normalized, a uniform
/// draw from the simplex (Dirichlet(1, …, 1)).
pub fn exp_weights(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect()
}

pub fn dirichlet(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    normalize(&exp_weights(rng, n)).expect("positive weights")
}
