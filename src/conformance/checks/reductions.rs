//! `reductions`: `sum` and `batchmean` against the per-row values.

use super::inputs::{arb_logit_rows, arb_pair_rows, shown_pairs, split};
use super::tolerance::{consistent, row_bounds};
use super::{CheckRun, Part};
use crate::claims::{CheckFailure, Worst};
use crate::conformance::{Op, Precision};
use crate::measures::{Reduced, Reduction};
use crate::numerics::NeumaierSum;
use crate::numerics::U;

/// What an implementation's `sum` and `batchmean` are compared with, for
/// per-row values v (from its `none`, each within its bound bᵣ of the exact
/// row value) of R rows, in an arithmetic of unit roundoff u:
///
/// ```text
/// total      = Σᵣ vᵣ (compensated, within 2u₆₄·|total|)
/// sum bound  = 2·Σb + (R − 1)·u·(Σ|v| + Σb) + 2u₆₄·|total|
/// mean bound = sum bound / R + u·|batchmean| + u₆₄·|total/R|
/// ```
///
/// with Σb over the rows of finite bound: a row whose exact value is ±∞
/// (bound +∞, e.g. q = 0 < p) enters the reductions as its per-row value
/// exactly, whatever that is (a clipped finite answer included).
///
/// The implementation's total is within Σb of the exact total plus its own
/// plain summation over R rows, (R − 1)u times the magnitudes it sums
/// (each |exact row| ≤ |vᵣ| + bᵣ); Σv is within Σb of the exact total too,
/// plus its compensated rounding. Its batchmean is that total divided by R
/// (u·|batchmean|), compared with fl(total/R) (u₆₄·|total/R|).
struct Expected {
    /// Σᵣ vᵣ, compensated.
    total: f64,
    /// The bound on |sum − total|.
    sum_bound: f64,
}

impl Expected {
    fn new(precision: Precision, v: &[f64], b: &[f64]) -> Expected {
        let rows = v.len() as f64;
        let u = precision.unit_roundoff();
        let total = v.iter().copied().collect::<NeumaierSum>().value();
        let abs_total: f64 = v.iter().map(|x| x.abs()).sum();
        // A row whose exact value is ±∞ has the bound +∞: nothing bounds its
        // per-row value, which must then enter the sum exactly as it is
        // (its bound counts 0), so that the bound stays a number (not
        // 2·∞ + 0·∞ = NaN at one row) and a sum that does not reproduce the
        // row still fails.
        let b_total: f64 = b.iter().filter(|x| x.is_finite()).sum();
        Expected {
            total,
            sum_bound: 2.0 * b_total
                + (rows - 1.0) * u * (abs_total + b_total)
                + 2.0 * U * total.abs(),
        }
    }

    /// The bound on |batchmean − total/R| for the reported batchmean.
    fn mean_bound(&self, precision: Precision, rows: f64, mean: f64) -> f64 {
        self.sum_bound / rows
            + precision.unit_roundoff() * mean.abs()
            + U * (self.total / rows).abs()
    }
}

/// The check of `sum` and `batchmean` against the per-row values `v` with
/// per-row bounds `b` (see [`Expected`] and the derivation in
/// [`super::tolerance`]).
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
    let e = Expected::new(precision, v, b);
    let total = e.total;
    consistent(
        w,
        &format!(
            "{} sum = {sum:e} against the sum of its per-row values {total:e}",
            op.name()
        ),
        sum,
        total,
        e.sum_bound,
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
        e.mean_bound(precision, rows, mean),
    )
}

/// `reductions`: each operation's `sum` and `batchmean` against its `none`.
pub(super) fn reductions(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.part(
        "proptest",
        (arb_pair_rows(c.shapes()), arb_logit_rows(c.shapes())),
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

    /// A one-row batch whose exact value is +∞ (q = 0 < p) answered with a
    /// clipped finite value, as sklearn's `log_loss` and Keras do: the row's
    /// bound is +∞, and (R − 1)·u·(Σ|v| + Σb) at R = 1 was 0·∞ = NaN, a
    /// false alarm of the kit ("the bound NaN is not a non-negative
    /// number") although the sum and the batchmean reproduce the per-row
    /// value. A row of infinite bound now enters the reductions as its
    /// per-row value exactly: the clipped answer passes, a sum that differs
    /// from it (by 2⁻⁴⁰ relative, far above the 2u·|total| left) fails, and
    /// so does one row of two that the sum reproduces wrongly.
    #[test]
    fn an_infinite_exact_row_is_reproduced_exactly_by_the_reductions() {
        let (p, q) = (vec![vec![0.5, 0.5]], vec![vec![1.0, 0.0]]);
        let b = row_bounds(Precision::F64, Op::CrossEntropy, &p, &q);
        assert_eq!(b, [f64::INFINITY]);
        // ½·(−ln 1) + ½·(−ln 10⁻⁷), the clipped CE.
        let clipped = 0.5 * -(1e-7f64).ln();
        let case = |sum: f64, mean: f64| {
            let mut w = Worst::new();
            let v = [clipped];
            reduction_case(&mut w, Op::CrossEntropy, Precision::F64, &v, &b, sum, mean)
        };
        assert_eq!(case(clipped, clipped), Ok(()));
        let off = clipped * (1.0 + 2f64.powi(-40));
        assert!(case(off, clipped).is_err());
        assert!(case(clipped, off).is_err());
        // Two rows, one of them infinite: the finite row keeps its bound,
        // the infinite one is reproduced exactly.
        let (p2, q2) = (
            vec![vec![0.5, 0.5], vec![0.25, 0.75]],
            vec![vec![1.0, 0.0], vec![0.5, 0.5]],
        );
        let b2 = row_bounds(Precision::F64, Op::CrossEntropy, &p2, &q2);
        assert!(b2[0].is_infinite() && b2[1].is_finite());
        let v2 = [clipped, 2f64.ln()];
        let total = clipped + 2f64.ln();
        let run = |sum: f64| {
            let mut w = Worst::new();
            reduction_case(
                &mut w,
                Op::CrossEntropy,
                Precision::F64,
                &v2,
                &b2,
                sum,
                sum / 2.0,
            )
        };
        assert_eq!(run(total), Ok(()));
        assert!(run(total + 1e-9).is_err());
    }

    /// Implementations that meet the contract pass, and use most of the
    /// bounds: R = 1 … 12 exact row values xᵣ (of either sign, magnitudes
    /// 2⁻⁴ … 2⁴) with bounds bᵣ (2⁻²⁰ … 2⁻¹⁴ relative, at least 4u·|xᵣ|),
    /// in f32 (u = 2⁻²⁴, where every term of the bounds shows) and f64.
    /// An implementation at the edge answers `none` with vᵣ = fl(xᵣ ± dᵣ)
    /// and computes `sum` afresh from rows fl(xᵣ ± dᵣ) in other directions
    /// (opposite ones in every other case), added plainly in its own
    /// arithmetic, and `batchmean` = fl(sum/R); dᵣ = (bᵣ − 1.01u·|xᵣ|)(1 −
    /// 2⁻¹⁰), so that each row is within bᵣ of xᵣ after its rounding (asserted
    /// against the exact xᵣ). Validity: |sum − Σv| and |batchmean − Σv/R|
    /// (the exact differences of the f64 values) within the bounds of
    /// [`Expected`], and `reduction_case` accepts every case.
    ///
    /// Floors 2⁻¹ for both (0.999 seen for each): where the directions are
    /// opposite, the two totals are 2·Σd ≈ 2·Σb apart, the bound's main
    /// term; the implementation's plain summation, whose bound (R − 1)u·Σ|v|
    /// it reaches only in its worst case, is the rest. A bound loosened by 2
    /// fails.
    #[test]
    fn reduction_bounds_cover_implementations_at_the_edge() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::{PREC as P, RM, big, error_of};
        use rand::RngExt;
        bound_checks(
            "reductions",
            [
                ("kit: reductions, sum", 0.5),
                ("kit: reductions, batchmean", 0.5),
            ],
            400,
            |k, rng, cc, [sums, means]| {
                let precision = if k % 4 == 3 {
                    Precision::F64
                } else {
                    Precision::F32
                };
                let u = precision.unit_roundoff();
                let round = |x: f64| match precision {
                    Precision::F32 => f64::from(x as f32),
                    Precision::F64 => x,
                };
                let rows = rng.random_range(1..13usize);
                let x: Vec<f64> = (0..rows)
                    .map(|_| {
                        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                        sign * 2f64.powf(uniform(rng, -4.0, 4.0))
                    })
                    .collect();
                let b: Vec<f64> = x
                    .iter()
                    .map(|xr| {
                        (2f64.powf(uniform(rng, -20.0, -14.0)) * xr.abs()).max(4.0 * u * xr.abs())
                    })
                    .collect();
                let d: Vec<f64> = x
                    .iter()
                    .zip(&b)
                    .map(|(xr, br)| (br - 1.01 * u * xr.abs()) * (1.0 - 2f64.powi(-10)))
                    .collect();
                let signs: Vec<f64> = (0..rows)
                    .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
                    .collect();
                let v: Vec<f64> = (0..rows).map(|r| round(x[r] + signs[r] * d[r])).collect();
                let again: Vec<f64> = (0..rows)
                    .map(|r| {
                        let s = if k % 2 == 0 {
                            -signs[r]
                        } else if rng.random::<bool>() {
                            1.0
                        } else {
                            -1.0
                        };
                        round(x[r] + s * d[r])
                    })
                    .collect();
                for (r, (&vr, &ar)) in v.iter().zip(&again).enumerate() {
                    assert!(
                        (vr - x[r]).abs() <= b[r] && (ar - x[r]).abs() <= b[r],
                        "row {r}"
                    );
                }
                let sum = again.iter().fold(0.0, |acc, &a| round(acc + a));
                let mean = round(sum / rows as f64);
                let at = || format!("{precision:?}, x {x:?}, b {b:?}, case {k}");
                let e = Expected::new(precision, &v, &b);
                let diff = big(sum).sub(&big(e.total), P, RM);
                sums.record(error_of(0.0, &diff, cc), e.sum_bound, at);
                let want = e.total / rows as f64;
                let diff = big(mean).sub(&big(want), P, RM);
                means.record(
                    error_of(0.0, &diff, cc),
                    e.mean_bound(precision, rows as f64, mean),
                    at,
                );
                let mut w = Worst::new();
                assert_eq!(
                    reduction_case(&mut w, Op::Entropy, precision, &v, &b, sum, mean),
                    Ok(()),
                    "{}",
                    at()
                );
            },
        );
    }
}
