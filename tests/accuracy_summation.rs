//! Accuracy as a stated, tested property: the compensated sum, against the 320-bit
//! reference in `tests/common/reference.rs`, with each bound either a target
//! the crate states or derived from the computation.
//!
//! Notation: u = 2⁻⁵³ is the unit roundoff; an error in ULP is measured
//! against the spacing of f64 at the reference value. A libm `ln`, `exp` or
//! `ln_1p` is taken to be within 1 ULP, that is 2u relative.
//!
//! Every test prints its worst cases as rows of one table; to see it whole:
//! `cargo test --test accuracy_summation -- --nocapture --test-threads=1`.
//!
//! Cost: a 320-bit logarithm takes about 50 µs, so the reference work is
//! kept near 5·10⁴ `ln`/`exp` evaluations in all (each test prints its count).

mod common;

use common::accuracy::{Worst, abs_error, print_rows, ratio};
use common::reference::Reference;
use logloss_proofs::numerics::{U, compensated_sum};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED_SUM: u64 = 0x5EED_000B;

// ---------------------------------------------------------------------------
// Summation

/// compensated_sum against the exact sum (320 bits hold these sums exactly:
/// the terms span 2⁻³⁰ to 2³⁰ with 53-bit significands), on sums that cancel
/// to a tiny fraction of Σ|xᵢ|.
///
/// Bound, derived for Neumaier's algorithm: each step's error term eᵢ is
/// exact and |eᵢ| ≤ u·|tᵢ| ≤ u·Σ|x|; their running sum errs by at most
/// (n − 1)u·Σ|eᵢ| ≤ n²u²·Σ|x|; the final addition adds u·|s|. The checked
/// bound 2u·|s| + n²u²·Σ|x| (the documented form, with n² for the O(n))
/// covers that.
#[test]
fn compensated_sum_meets_its_error_bound() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_SUM);
    let mut reference = Reference::new();
    let mut worst = Worst::new(
        "compensated_sum",
        "cancelling sums, n = 11..1001",
        "err/bound",
        "≤ 1 (derived)",
    );
    for n in [10, 100, 1000] {
        for case in 0..20 {
            let mut xs: Vec<f64> = (0..n)
                .map(|_| {
                    (2.0 * rng.random::<f64>() - 1.0) * 2f64.powf(60.0 * rng.random::<f64>() - 30.0)
                })
                .collect();
            // Append the negated plain sum: the true sum is then its rounding error.
            let plain: f64 = xs.iter().sum();
            xs.push(-plain);
            let exact = reference.sum(&xs);
            let s = reference.nearest_f64(&exact);
            let computed = compensated_sum(&xs);
            let err = abs_error(&mut reference, computed, &exact);
            let m = xs.len() as f64;
            // Σ|x| summed plainly errs by at most (m − 1)u relative: hence (1 + m·u).
            let abs_sum: f64 = xs.iter().map(|x| x.abs()).sum::<f64>() * (1.0 + m * U);
            let bound = 2.0 * U * s.abs() + m * m * U * U * abs_sum;
            worst.record(ratio(err, bound), || format!("n = {n}, case {case}"));
            assert!(
                err <= bound,
                "sum {computed:e}, exact {s:e}, error {err:e}, bound {bound:e}"
            );
        }
    }
    print_rows(&[&worst]);
}
