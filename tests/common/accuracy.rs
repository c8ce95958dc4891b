//! Helpers shared by the accuracy tests (the `accuracy_*` test files): the
//! table of worst errors each test prints, the error measures, and random
//! points of the simplex.

use astro_float::BigFloat;
use logloss_proofs::measures::normalize;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::reference::Reference;

/// The crate's stated relative accuracy of KL when q equals p up to a
/// relative 1e−6 (`kl_divergence` docs), applied also to 1e−8 and to the
/// Bernoulli form, whose docs promise the same behaviour.
pub const NEAR_EQUAL_KL_TARGET: f64 = 1e-11;

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
