//! `identity` and `gibbs`: CE = H + KL and Gibbs' inequality among the
//! implementation's own answers.

use super::inputs::arb_pair_rows;
use super::tolerance::{consistent, mismatch, row_bounds};
use super::{CheckRun, Part};
use crate::claims::gibbs_floor;
use crate::conformance::{Op, Precision};
use crate::numerics::U;
use crate::numerics::compensated_sum;

/// `identity`: CE = H + KL among the implementation's own answers.
pub(super) fn identity(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.pairs_part(arb_pair_rows(c.shapes()), "q", |p, q, w| {
        let Some(h) = c.per_row(Op::Entropy, p, q)? else {
            return Ok(());
        };
        let Some(ce) = c.per_row(Op::CrossEntropy, p, q)? else {
            return Ok(());
        };
        let Some(kl) = c.per_row(Op::KlDivergence, p, q)? else {
            return Ok(());
        };
        let bh = row_bounds(precision, Op::Entropy, p, q);
        let bce = row_bounds(precision, Op::CrossEntropy, p, q);
        let bkl = row_bounds(precision, Op::KlDivergence, p, q);
        for r in 0..p.len() {
            // Each answer within its own bound of the exact value, plus
            // the rounding of H + KL here.
            let bound = bh[r] + bce[r] + bkl[r] + 2.0 * U * ce[r].abs();
            consistent(
                w,
                &format!(
                    "row {r}: CE = {:e} against H + KL = {:e} + {:e}",
                    ce[r], h[r], kl[r]
                ),
                ce[r],
                h[r] + kl[r],
                bound,
            )?;
        }
        Ok(())
    });
    vec![run]
}

/// How far the inputs' own rounding to the precision moves P − Q: up to
/// u_in·(P + Q), with u_in the precision's input roundoff (0 at f64).
pub(super) fn input_shift(precision: Precision, p: &[f64], q: &[f64]) -> f64 {
    precision.input_roundoff() * (compensated_sum(p) + compensated_sum(q))
}

/// `gibbs`: KL ≥ the scaled Gibbs–Pinsker floor, and KL(p‖p) = 0; two
/// requests of the batch's shape, (pᵣ, qᵣ) and (pᵣ, pᵣ).
pub(super) fn gibbs(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.pairs_part(arb_pair_rows(c.shapes()), "q", |p, q, w| {
        let Some(kl) = c.per_row(Op::KlDivergence, p, q)? else {
            return Ok(());
        };
        let bounds = row_bounds(precision, Op::KlDivergence, p, q);
        for r in 0..p.len() {
            let g = gibbs_floor(&p[r], &q[r]);
            let (floor, slack) = (g.floor(), g.slack());
            let moved = input_shift(precision, &p[r], &q[r]);
            if bounds[r].is_infinite() {
                // q = 0 < p: the exact value is +∞, and only +∞ is within
                // the contract.
                w.require(kl[r] == f64::INFINITY, || {
                    mismatch(
                        &format!("row {r}: KL(p‖q) (exact value +∞)"),
                        kl[r],
                        f64::INFINITY,
                        bounds[r],
                    )
                })?;
                continue;
            }
            w.at_least(
                &format!("row {r}: KL(p‖q) against P·ln(P/Q) + (P/2)‖p/P − q/Q‖₁²"),
                kl[r],
                floor,
                bounds[r] + slack + moved,
            )?;
        }
        let Some(self_kl) = c.per_row(Op::KlDivergence, p, p)? else {
            return Ok(());
        };
        let bounds = row_bounds(precision, Op::KlDivergence, p, p);
        for (r, (&kl, &b)) in self_kl.iter().zip(&bounds).enumerate() {
            // Every term of KL(p‖p) is pᵢ·ln 1 = 0: within its bound of 0.
            w.close(&format!("row {r}: KL(p‖p)"), kl, 0.0, b)?;
        }
        Ok(())
    });
    vec![run]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inputs' rounding moves P − Q by u_in·(P + Q): (2⁻²⁴)·(¾ + ½) at
    /// f32 (exact: a power of two times a short dyadic), nothing at f64.
    #[test]
    fn the_input_shift_is_the_input_roundoff_times_both_masses() {
        let (p, q) = ([0.5, 0.25], [0.25, 0.25]);
        assert_eq!(input_shift(Precision::F32, &p, &q), 1.25 * 2f64.powi(-24));
        assert_eq!(input_shift(Precision::F64, &p, &q), 0.0);
    }
}
