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
use crate::claims::{CheckFailure, Comparison, Found, Worst};
use crate::conformance::{Op, Precision};
use crate::measures::{
    self, Arithmetic, Measure, Reduced, Reduction, contract_bound, contract_condition,
    contract_gradient_bounds,
};
use crate::numerics::U;

/// The crate's exact per-row values of `op`.
pub(crate) fn exact_rows(op: Op, p: &[Vec<f64>], second: &[Vec<f64>]) -> Result<Vec<f64>, String> {
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
        // An infinity is matched exactly: the bound is 0.
        return w.require(got == exact, || mismatch(what, got, exact, 0.0));
    }
    w.close(what, got, exact, bound + 2.0 * U * exact.abs())
}

/// Compares two of the implementation's own answers that must agree: equal
/// infinities, or finite values within `bound`; NaN never agrees. An
/// infinite `bound` comes only from a row whose exact value is +∞ (a
/// category with q = 0 < p makes the condition infinite): there both
/// answers must be +∞, since a finite answer is outside the contract and no
/// bound on its consistency can be derived.
pub(super) fn consistent(
    w: &mut Worst,
    what: &str,
    a: f64,
    b: f64,
    bound: f64,
) -> Result<(), CheckFailure> {
    if bound.is_infinite() {
        w.require(a == f64::INFINITY, || {
            mismatch(&format!("{what} (exact value +∞)"), a, f64::INFINITY, bound)
        })?;
        return w.require(b == f64::INFINITY, || {
            mismatch(&format!("{what} (exact value +∞)"), b, f64::INFINITY, bound)
        });
    }
    if !(a.is_finite() && b.is_finite()) {
        return w.require(a == b, || mismatch(what, a, b, bound));
    }
    w.close(what, a, b, bound)
}

/// A requirement that `got` equal `want` (an infinity, or a NaN that never
/// equals anything), failed: kept as numbers, so it is rendered, and
/// diagnosed, as any comparison is.
pub(super) fn mismatch(what: &str, got: f64, want: f64, bound: f64) -> CheckFailure {
    CheckFailure {
        comparison: Comparison::Require,
        what: what.to_string(),
        found: Found::Exceeds { got, want, bound },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_support_mismatch_has_an_infinite_condition() {
        let c = condition(Op::CrossEntropy, &[0.5, 0.5], &[1.0, 0.0]);
        assert_eq!(c, f64::INFINITY);
        // p = 0 where q = 0 is a 0 term, not a mismatch.
        assert!(condition(Op::KlDivergence, &[1.0, 0.0], &[1.0, 0.0]).is_finite());
    }

    /// qᵢ − pᵢ computed plainly in f32 (inputs rounded to f32, the softmax
    /// as exp((zᵢ − max z) − ln S)), as an implementation at f32 would.
    fn plain_grad_f32(p: &[f64], z: &[f64]) -> Vec<f64> {
        let z: Vec<f32> = z.iter().map(|&x| x as f32).collect();
        let top = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let ln_s = z.iter().map(|&x| (x - top).exp()).sum::<f32>().ln();
        z.iter()
            .zip(p)
            .map(|(&x, &pi)| f64::from(((x - top) - ln_s).exp() - pi as f32))
            .collect()
    }

    /// The same in f64.
    fn plain_grad_f64(p: &[f64], z: &[f64]) -> Vec<f64> {
        let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let ln_s = z.iter().map(|&x| (x - top).exp()).sum::<f64>().ln();
        z.iter()
            .zip(p)
            .map(|(&x, &pi)| ((x - top) - ln_s).exp() - pi)
            .collect()
    }

    /// The kit's gradient tolerance covers plain f32 and f64
    /// implementations against qᵢ − pᵢ at 320 bits (the f64 p and z exact),
    /// under `sum` and `batchmean` (R rows), on random rows (2 to 16
    /// entries, logits of scale 1 to 100, targets with zeros).
    ///
    /// Floors 2⁻² at f32 and at f64 (0.52 and 0.47 seen): the tolerance
    /// covers any order of the implementation's roundings, and the plain
    /// implementations' errors, mostly in the exponent where the logits
    /// are large, reach half of it.
    #[test]
    fn gradient_bounds_cover_plain_implementations() {
        use crate::test_support::bounds::{bound_checks, simplex, uniform};
        use crate::test_support::{PREC as P, RM, big};
        use rand::RngExt;
        bound_checks(
            "kit-gradient",
            [
                ("kit: gradient tolerance, plain f32", 0.25),
                ("kit: gradient tolerance, plain f64", 0.25),
            ],
            150,
            |k, rng, cc, [f32_check, f64_check]| {
                let n = rng.random_range(2..17usize);
                let mut p = {
                    let s = uniform(rng, 0.1, 3.0);
                    simplex(rng, n, s)
                };
                if k % 3 == 0 {
                    p[0] = 0.0;
                    p = crate::measures::normalize(&p).unwrap();
                }
                let scale = [1.0, 10.0, 100.0][k % 3];
                let z: Vec<f64> = (0..n).map(|_| scale * uniform(rng, -1.0, 1.0)).collect();
                let rows = rng.random_range(1..5usize);
                let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let shifted: Vec<_> = z.iter().map(|&x| big(x).sub(&big(top), P, RM)).collect();
                let sum = shifted
                    .iter()
                    .fold(big(0.0), |a, x| a.add(&x.exp(P, RM, cc), P, RM));
                let exact: Vec<_> = shifted
                    .iter()
                    .zip(&p)
                    .map(|(x, &pi)| x.exp(P, RM, cc).div(&sum, P, RM).sub(&big(pi), P, RM))
                    .collect();
                let at = || format!("p {p:?}, z {z:?}");
                for (precision, got, check) in [
                    (Precision::F32, plain_grad_f32(&p, &z), f32_check),
                    (Precision::F64, plain_grad_f64(&p, &z), f64_check),
                ] {
                    let bounds = gradient_bounds(precision, &p, &z, rows, Reduction::Sum);
                    for i in 0..n {
                        check.value(got[i], &exact[i], bounds[i], cc, at);
                    }
                    // batchmean: the row's gradient divided by R in the same precision.
                    let bounds = gradient_bounds(precision, &p, &z, rows, Reduction::BatchMean);
                    let r = big(rows as f64);
                    for i in 0..n {
                        let mean = match precision {
                            Precision::F32 => f64::from(got[i] as f32 / rows as f32),
                            Precision::F64 => got[i] / rows as f64,
                        };
                        check.value(mean, &exact[i].div(&r, P, RM), bounds[i], cc, at);
                    }
                }
            },
        );
    }

    /// The condition quantities are definitions (the kit's C of each
    /// operation), not bounds; what can be checked is that the f64 value is
    /// the defined one: within 8u of Σ at 320 bits (a logarithm of one ulp,
    /// a sum and a product per term, a sum of positive terms), on random
    /// rows with zeros in p.
    #[test]
    fn condition_quantities_are_accurate() {
        use crate::test_support::bounds::{bound_stream, simplex, uniform};
        use crate::test_support::{PREC as P, RM, big, to_f64};
        use rand::RngExt;
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let mut rng = bound_stream("kit-condition");
        for k in 0..60 {
            let n = rng.random_range(2..10usize);
            let mut p = {
                let s = uniform(&mut rng, 0.1, 3.0);
                simplex(&mut rng, n, s)
            };
            if k % 2 == 0 {
                p[0] = 0.0;
            }
            let q = {
                let s = uniform(&mut rng, 0.1, 3.0);
                simplex(&mut rng, n, s)
            };
            let lnabs = |x: f64, cc: &mut astro_float::Consts| big(x).ln(P, RM, cc).abs();
            let (mut h, mut ce, mut kl) = (big(0.0), big(0.0), big(0.0));
            for i in 0..n {
                if p[i] > 0.0 {
                    let (lp, lq) = (lnabs(p[i], &mut cc), lnabs(q[i], &mut cc));
                    let pb = big(p[i]);
                    h = h.add(&pb.mul(&lp.add(&big(1.0), P, RM), P, RM), P, RM);
                    ce = ce.add(&pb.mul(&lq.add(&big(1.0), P, RM), P, RM), P, RM);
                    kl = kl.add(
                        &pb.mul(&lp.add(&lq, P, RM).add(&big(1.0), P, RM), P, RM),
                        P,
                        RM,
                    );
                }
            }
            for (op, want) in [
                (Op::Entropy, h),
                (Op::CrossEntropy, ce),
                (Op::KlDivergence, kl),
            ] {
                let want = to_f64(&want, &mut cc);
                let got = condition(op, &p, &q);
                assert!(
                    (got - want).abs() <= 8.0 * U * want,
                    "{}: {got:e} vs {want:e}",
                    op.name()
                );
            }
        }
    }
}
