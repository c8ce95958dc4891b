//! The tolerances the checks are held to.
//!
//! # The tolerance of one value and of one gradient entry
//!
//! The one accuracy contract of the crate, stated and derived in the docs of
//! [`Implementation`](crate::measures::Implementation#the-accuracy-contract)
//! and shared with the claim catalogue: a value within
//! [`contract_bound`], a gradient entry within [`contract_gradient_bounds`].
//! The kit compares with the crate's own values, which add their own error:
//! 2⁻⁵²·|exact| for a value (within one ULP), 1.01·2⁻⁵³·[qᵢ·(…) + pᵢ] for a
//! gradient entry (the same form at 2⁻⁵³).
//!
//! # Comparisons among the implementation's own answers
//!
//! Two answers each within their bound b of the same exact value are within
//! the sum of the bounds of each other: `identity` allows b_H + b_CE + b_KL
//! (plus 2⁻⁵²·|CE| for adding H + KL here), `permutation` 2b, `reductions`
//! 2·Σᵣ bᵣ plus the rounding of a sum over R rows, (R − 1)·u·Σᵣ|vᵣ|.

use super::inputs::harness_fault;
use crate::claims::{CheckFailure, Worst};
use crate::conformance::{Op, Precision};
use crate::measures::{
    self, Arithmetic, Measure, Reduced, Reduction, contract_bound, contract_condition,
    contract_gradient_bounds,
};
use crate::numerics::U;

/// The crate's exact per-row values of `op`.
pub(super) fn exact_rows(op: Op, p: &[Vec<f64>], second: &[Vec<f64>]) -> Result<Vec<f64>, String> {
    let reduced = match op {
        Op::Entropy => measures::entropy_rows(p, Reduction::None),
        Op::CrossEntropy => measures::cross_entropy_rows(p, second, Reduction::None),
        Op::KlDivergence => measures::kl_divergence_rows(p, second, Reduction::None),
        Op::CrossEntropyLogits | Op::CrossEntropyLogitsGrad => {
            measures::cross_entropy_logits_rows(p, second, Reduction::None)
        }
    }
    .map_err(|e| harness_fault(&e))?;
    match reduced {
        Reduced::PerRow(v) => Ok(v),
        Reduced::Total(_) => Err("the reference returned a total for `none`".to_string()),
    }
}

/// The contract's measure for `op`.
fn measure(op: Op) -> Measure {
    // The gradient's bounds come from the logits' cross-entropy.
    op.measure().unwrap_or(Measure::CrossEntropyLogits)
}

/// The arithmetic of `precision`.
fn arithmetic(precision: Precision) -> Arithmetic {
    match precision {
        Precision::F64 => Arithmetic::F64,
        Precision::F32 => Arithmetic::F32,
    }
}

/// The condition quantity C of one row ([`contract_condition`]); +∞ on a
/// support mismatch of CE or KL.
pub(crate) fn condition(op: Op, p: &[f64], second: &[f64]) -> f64 {
    contract_condition(measure(op), p, second)
}

/// The contract's bound on |computed − exact| for one row of `op` with `n`
/// entries and condition `c` ([`contract_bound`]), without the reference's
/// own error.
pub(crate) fn value_bound(precision: Precision, op: Op, n: usize, c: f64) -> f64 {
    contract_bound(arithmetic(precision), measure(op), n, c)
}

/// The per-row bounds of `op` on a batch.
pub(super) fn row_bounds(
    precision: Precision,
    op: Op,
    p: &[Vec<f64>],
    second: &[Vec<f64>],
) -> Vec<f64> {
    p.iter()
        .enumerate()
        .map(|(r, pr)| {
            let s = second.get(r).map_or(&[][..], Vec::as_slice);
            value_bound(precision, op, pr.len(), condition(op, pr, s))
        })
        .collect()
}

/// The bound on each gradient entry of one row: the contract's
/// ([`contract_gradient_bounds`]) plus the reference's own rounding, the same
/// form at 2⁻⁵³.
pub(super) fn gradient_bounds(
    precision: Precision,
    p: &[f64],
    z: &[f64],
    rows: usize,
    reduction: Reduction,
) -> Vec<f64> {
    contract_gradient_bounds(arithmetic(precision), p, z, rows, reduction, U)
}

/// Compares one value with the exact one: infinities must match exactly,
/// finite values within `bound` plus the reference's error 2⁻⁵²·|exact|.
pub(super) fn against_exact(
    w: &mut Worst,
    what: &str,
    got: f64,
    exact: f64,
    bound: f64,
) -> Result<(), CheckFailure> {
    if exact.is_infinite() {
        return w.require(got == exact, || {
            format!("{what}: got {got:e}, want {exact:e}")
        });
    }
    w.close(what, got, exact, bound + 2.0 * U * exact.abs())
}

/// Compares two of the implementation's own answers that must agree: equal
/// infinities, or finite values within `bound`; NaN never agrees.
pub(super) fn consistent(
    w: &mut Worst,
    what: &str,
    a: f64,
    b: f64,
    bound: f64,
) -> Result<(), CheckFailure> {
    if !(a.is_finite() && b.is_finite()) {
        return w.require(a == b, || format!("{what}: {a:e} against {b:e}"));
    }
    w.close(what, a, b, bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::softmax;
    use crate::test_support::assert_near;

    /// The gradient bound, written out from the module docs for one row
    /// p = (¼, ¾), z = (1, −1) (q = softmax z from the crate, max|z| = 1,
    /// ln Σe^(z − max z) = ln(1 + e⁻²)): per entry
    /// a = q(2|z| + 2max|z| + 4 ln Σ + n + 5) + p and b = q(|z| + max|z|) + p,
    /// 1.01(u + u₆₄)a + 2u_in·b + 2η, and under batchmean
    /// (that + u|q − p|)/R. At f64 and f32, in the same order: the same bits.
    #[test]
    fn gradient_bounds_follow_their_formula() {
        let (p, z) = ([0.25, 0.75], [1.0, -1.0]);
        let q = softmax(&z).unwrap();
        let ln_s = (1.0 + (-2.0f64).exp()).ln();
        for precision in [Precision::F64, Precision::F32] {
            let (u, u_in, eta) = (
                precision.unit_roundoff(),
                precision.input_roundoff(),
                precision.underflow(),
            );
            let want: Vec<f64> = (0..2)
                .map(|i| {
                    let a = q[i] * (2.0 * 1.0 + 2.0 * 1.0 + 4.0 * ln_s + 2.0 + 5.0) + p[i];
                    let b = q[i] * (1.0 + 1.0) + p[i];
                    1.01 * (u + U) * a + 2.0 * u_in * b + 2.0 * eta
                })
                .collect();
            assert_eq!(gradient_bounds(precision, &p, &z, 3, Reduction::Sum), want);
            let mean: Vec<f64> = (0..2)
                .map(|i| (want[i] + u * (q[i] - p[i]).abs()) / 3.0)
                .collect();
            assert_eq!(
                gradient_bounds(precision, &p, &z, 3, Reduction::BatchMean),
                mean
            );
        }
    }
    #[test]
    fn the_value_bound_grows_with_the_terms_and_the_precision() {
        let p = [0.25, 0.75];
        let c = condition(Op::Entropy, &p, &[]);
        // C = Σ p(|ln p| + 1) = H(p) + 1 for p without zeros.
        let h = measures::entropy(&p).unwrap();
        assert!((c - (h + 1.0)).abs() <= 4.0 * U * c);
        let b64 = value_bound(Precision::F64, Op::Entropy, 2, c);
        let b32 = value_bound(Precision::F32, Op::Entropy, 2, c);
        // ((4 + n − 1)u + 2u_in)·C + n·η at n = 2: f64 has u_in = 0, so
        // 5u·C + 2η; f32 has u = u_in = 2⁻²⁴, so 7·2⁻²⁴·C + 2η₃₂ (exact
        // small multiples of powers of two, then one product and one sum:
        // 2u relative).
        let want64 = 5.0 * U * c + 2.0 * f64::MIN_POSITIVE;
        assert!(
            (b64 - want64).abs() <= 2.0 * U * want64,
            "{b64:e} vs {want64:e}"
        );
        let want32 = 7.0 * 2f64.powi(-24) * c + 2.0 * f64::from(f32::MIN_POSITIVE);
        assert!(
            (b32 - want32).abs() <= 2.0 * U * want32,
            "{b32:e} vs {want32:e}"
        );
        // Log-sum-exp costs (n + 5)u per term: (7 + 1)u·C + 2η at n = 2.
        let got = value_bound(Precision::F64, Op::CrossEntropyLogits, 2, c);
        let want = 8.0 * U * c + 2.0 * f64::MIN_POSITIVE;
        assert!((got - want).abs() <= 2.0 * U * want, "{got:e} vs {want:e}");
    }
    /// The condition quantities of the module docs at p = (¼, ¾, 0),
    /// q = (½, ¼, ¼) (zero p terms skipped), from the f64 logarithms:
    /// CE Σp(|ln q| + 1), KL Σp(|ln p| + |ln q| + 1), and for logits
    /// z = (1, −1, 0) Σp(|z| + max|z| + ln Σe^(z − max z) + 1), over all
    /// entries. A few roundings of positive terms: 4u relative.
    #[test]
    fn condition_quantities_follow_their_formulas() {
        let (p, q) = ([0.25, 0.75, 0.0], [0.5, 0.25, 0.25]);
        let l = |x: f64| x.ln().abs();
        let near = |got: f64, want: f64, what: &str| assert_near(got, want, 4.0, what);
        near(
            condition(Op::CrossEntropy, &p, &q),
            0.25 * (l(0.5) + 1.0) + 0.75 * (l(0.25) + 1.0),
            "CE",
        );
        near(
            condition(Op::KlDivergence, &p, &q),
            0.25 * (l(0.25) + l(0.5) + 1.0) + 0.75 * (l(0.75) + l(0.25) + 1.0),
            "KL",
        );
        let z = [1.0, -1.0, 0.0];
        let ln_s = (1.0 + (-2.0f64).exp() + (-1.0f64).exp()).ln();
        near(
            condition(Op::CrossEntropyLogits, &p, &z),
            0.25 * (1.0 + 1.0 + ln_s + 1.0) + 0.75 * (1.0 + 1.0 + ln_s + 1.0),
            "logits",
        );
    }
    #[test]
    fn a_support_mismatch_has_an_infinite_condition() {
        let c = condition(Op::CrossEntropy, &[0.5, 0.5], &[1.0, 0.0]);
        assert_eq!(c, f64::INFINITY);
        // p = 0 where q = 0 is a 0 term, not a mismatch.
        assert!(condition(Op::KlDivergence, &[1.0, 0.0], &[1.0, 0.0]).is_finite());
    }
}
