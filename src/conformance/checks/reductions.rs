//! `reductions`: `sum` and `batchmean` against the per-row values.

use super::inputs::{arb_logit_rows, arb_pair_rows, shown_pairs, split};
use super::tolerance::{consistent, row_bounds};
use super::{CheckRun, Part};
use crate::claims::{CheckFailure, Worst};
use crate::conformance::{Op, Precision};
use crate::measures::{Reduced, Reduction};
use crate::numerics::NeumaierSum;
use crate::numerics::U;

/// The check of `sum` and `batchmean` against the per-row values `v` with
/// per-row bounds `b` (see the derivation in [`super::tolerance`]).
pub(super) fn reduction_case(
    w: &mut Worst,
    op: Op,
    precision: Precision,
    v: &[f64],
    b: &[f64],
    sum: f64,
    mean: f64,
) -> Result<(), CheckFailure> {
    let rows = v.len() as f64;
    let u = precision.unit_roundoff();
    let total = v.iter().copied().collect::<NeumaierSum>().value();
    let abs_total: f64 = v.iter().map(|x| x.abs()).sum();
    let b_total: f64 = b.iter().sum();
    // The implementation's total is within Σb of the exact total plus its
    // own summation over R rows; ours is compensated (2⁻⁵²·|Σv|).
    let sum_bound =
        2.0 * b_total + (rows - 1.0) * u * (abs_total + b_total) + 2.0 * U * total.abs();
    consistent(
        w,
        &format!(
            "{} sum = {sum:e} against the sum of its per-row values {total:e}",
            op.name()
        ),
        sum,
        total,
        sum_bound,
    )?;
    let want = total / rows;
    consistent(
        w,
        &format!(
            "{} batchmean = {mean:e} against the per-row values' sum / rows ({rows}) = {want:e}",
            op.name()
        ),
        mean,
        want,
        sum_bound / rows + u * mean.abs() + U * want.abs(),
    )
}

/// `reductions`: each operation's `sum` and `batchmean` against its `none`.
pub(super) fn reductions(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.part(
        "proptest",
        (arb_pair_rows(), arb_logit_rows()),
        |(pairs, logits), w| {
            let (p, q) = split(precision, pairs, true)?;
            let (pl, z) = split(precision, logits, false)?;
            for op in [
                Op::Entropy,
                Op::CrossEntropy,
                Op::KlDivergence,
                Op::CrossEntropyLogits,
            ] {
                let (p, s) = if op == Op::CrossEntropyLogits {
                    (&pl, &z)
                } else {
                    (&p, &q)
                };
                let Some(v) = c.per_row(op, p, s)? else {
                    continue;
                };
                let Some(Reduced::Total(sum)) = c.reduced(op, p, s, Reduction::Sum)? else {
                    continue;
                };
                let Some(Reduced::Total(mean)) = c.reduced(op, p, s, Reduction::BatchMean)? else {
                    continue;
                };
                let b = row_bounds(precision, op, p, s);
                reduction_case(w, op, precision, &v, &b, sum, mean)?;
            }
            Ok(())
        },
        |(pairs, logits)| {
            let mut inputs = shown_pairs(precision, pairs, "q");
            for (name, rows) in shown_pairs(precision, logits, "logits") {
                let name = if name == "p" {
                    "p (logits rows)".to_string()
                } else {
                    name
                };
                inputs.push((name, rows));
            }
            inputs
        },
    );
    vec![run]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_near;

    /// The reductions' bounds against the tolerance formulas, in f32 (u =
    /// 2⁻²⁴, so every term shows): per-row values v = (1, −2, 4) with
    /// bounds b = (2⁻²⁰, 2⁻²¹, 2⁻²²), total 3, Σ|v| = 7, Σb = 7·2⁻²²; the
    /// sum's bound 2Σb + (R − 1)u(Σ|v| + Σb) + 2u₆₄·|total|, the batchmean's
    /// that over R plus u·|mean| + u₆₄·|total/R|. A sum off by 2⁻²⁰ and a
    /// batchmean off by 2⁻²² use those fractions of their bounds (the
    /// recorded ratio; the formulas here are the same sums in another
    /// order, 4u₆₄ relative), and an error of twice the bound fails.
    #[test]
    fn reduction_bounds_follow_their_formulas() {
        let (v, b) = (
            [1.0, -2.0, 4.0],
            [2f64.powi(-20), 2f64.powi(-21), 2f64.powi(-22)],
        );
        let u = Precision::F32.unit_roundoff();
        let b_total = 7.0 * 2f64.powi(-22);
        let sum_bound = 2.0 * b_total + 2.0 * u * (7.0 + b_total) + 2.0 * U * 3.0;
        // The batchmean's own rounding is u·|mean| at the value reported.
        let mean_bound = |mean: f64| sum_bound / 3.0 + u * mean + U * 1.0;
        let ratio = |sum: f64, mean: f64| {
            let mut w = Worst::new();
            let r = reduction_case(&mut w, Op::Entropy, Precision::F32, &v, &b, sum, mean);
            (r.is_ok(), w.ratio())
        };
        let d = 2f64.powi(-20);
        let (ok, r) = ratio(3.0 + d, 1.0);
        assert!(ok);
        assert_near(r, d / sum_bound, 4.0, "sum ratio");
        let d = 2f64.powi(-22);
        let (ok, r) = ratio(3.0, 1.0 + d);
        assert!(ok);
        assert_near(r, d / mean_bound(1.0 + d), 4.0, "batchmean ratio");
        assert!(!ratio(3.0 + 2.0 * sum_bound, 1.0).0);
        assert!(!ratio(3.0, 1.0 + 2.0 * mean_bound(1.0)).0);
    }
}
