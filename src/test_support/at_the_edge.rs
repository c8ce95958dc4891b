//! Measures that use the accuracy contract to its edge: an implementation
//! every check must accept, and which shows a tolerance that forgot part of
//! the allowance it states, where the crate's own measures (far inside every
//! allowance) never would.
//!
//! The contract is the one the claims and the conformance kit share
//! ([`crate::measures::contract_bound`], derived in the docs of
//! [`crate::measures::Implementation`]), at f64 (the kit's `value_bound`).
//! Each value is moved from the crate's own by nearly the whole allowance, in
//! a direction that a hash of the measure and the inputs chooses (so that over
//! many cases each comparison meets every combination of directions, the same
//! at every run). Batches sum the edge rows plainly in f64, as an
//! implementation would; cross-entropy from logits and its gradient are the
//! crate's own.

use crate::conformance::checks::tolerance::{condition, value_bound};
use crate::conformance::{Op, Precision};
use crate::measures::{
    self, Answer, Implementation, Measure, Reduced, Reduction, Reference, Rows, rejected,
    rows_from_values,
};
use crate::numerics::U;

use super::hashed_sign;

/// The crate's measures with every entropy, cross-entropy and KL value moved
/// to the edge of the accuracy contract. With r the crate's value (within
/// one ULP ≤ 2u·|v| of the exact v) and b the contract's bound for the row:
///
/// ```text
/// answer = r ± d,   d = (b·(1 − u) − 3u·|r| − 2u²·|r|)·(1 − 2⁻²⁰)   (r when d ≤ 0)
/// ```
///
/// so |answer − v| ≤ 2u·|v| + d + u·(|r| + d) < b: an implementation every
/// check must accept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AtTheEdge;

impl AtTheEdge {
    /// At the edge of the accuracy contract at f64.
    pub(crate) const KIT: AtTheEdge = AtTheEdge;

    /// The value of `op` (entropy, cross-entropy or KL) at the edge; `q` is
    /// ignored for entropy.
    fn edge_value(&self, op: Op, p: &[f64], q: &[f64]) -> Answer<f64> {
        let q = if op == Op::Entropy { &[][..] } else { q };
        let own = match op {
            Op::Entropy => measures::entropy(p),
            Op::CrossEntropy => measures::cross_entropy(p, q),
            _ => measures::kl_divergence(p, q),
        }
        .map_err(rejected)?;
        if !own.is_finite() {
            return Ok(own);
        }
        let b = value_bound(Precision::F64, op, p.len(), condition(op, p, q));
        let d = (b * (1.0 - U) - 3.0 * U * own.abs() - 2.0 * U * U * own.abs())
            * (1.0 - 1.0 / f64::from(1u32 << 20));
        Ok(if d > 0.0 {
            own + hashed_sign(op as u64, p, q) * d
        } else {
            own
        })
    }
}

impl Implementation for AtTheEdge {
    fn name(&self) -> String {
        "at the edge of the stated accuracy".to_string()
    }
    fn rows(
        &self,
        measure: Measure,
        p: &Rows,
        second: &Rows,
        reduction: Reduction,
    ) -> Answer<Reduced> {
        rows_from_values(self, measure, p, second, reduction)
    }
    fn cross_entropy_logits_grad_rows(
        &self,
        p: &Rows,
        logits: &Rows,
        reduction: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        Reference.cross_entropy_logits_grad_rows(p, logits, reduction)
    }
    fn value(&self, measure: Measure, p: &[f64], second: &[f64]) -> Answer<f64> {
        match measure {
            Measure::CrossEntropyLogits => Reference.value(measure, p, second),
            _ => self.edge_value(Op::from(measure), p, second),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{PREC as P, RM, big, to_f64};

    /// Against the exact values at 320 bits, on pairs with mild, steep and
    /// nearly equal entries: each edge value is within the contract's bound
    /// b of the exact value v (validity) and uses nearly all of it: the move
    /// from the crate's r is at least b·(1 − 2⁻¹⁹) − 4u·|r| (see the test
    /// below) and r is within 2u·|v| of v, so the error is at least
    /// b·(1 − 2⁻¹⁹) − 6.01u·|v|, asserted case by case (with b = (n + 3)u·C
    /// and C ≥ |v| + 1, more than 0.4·b for every case here).
    #[test]
    fn the_edge_measures_stay_within_the_contract_and_near_its_edge() {
        let mut cc = astro_float::Consts::new().unwrap();
        let cases: [(&[f64], &[f64]); 4] = [
            (&[0.5, 0.25, 0.25], &[0.25, 0.5, 0.25]),
            (&[0.1, 0.2, 0.3, 0.4], &[0.4, 0.3, 0.2, 0.1]),
            (&[1e-12, 1.0 - 1e-12], &[0.5, 0.5]),
            (&[0.3, 0.7], &[0.31, 0.69]),
        ];
        let m = AtTheEdge::KIT;
        for (p, q) in cases {
            for (op, value) in [
                (Op::Entropy, m.entropy(p).unwrap()),
                (Op::CrossEntropy, m.cross_entropy(p, q).unwrap()),
                (Op::KlDivergence, m.kl_divergence(p, q).unwrap()),
            ] {
                let mut v = big(0.0);
                for (&pi, &qi) in p.iter().zip(q) {
                    let lp = big(pi).ln(P, RM, &mut cc);
                    let lq = big(qi).ln(P, RM, &mut cc);
                    let l = match op {
                        Op::Entropy => lp.neg(),
                        Op::CrossEntropy => lq.neg(),
                        _ => lp.sub(&lq, P, RM),
                    };
                    v = v.add(&big(pi).mul(&l, P, RM), P, RM);
                }
                let second = if op == Op::Entropy { &[][..] } else { q };
                let b = value_bound(Precision::F64, op, p.len(), condition(op, p, second));
                let err = to_f64(&big(value).sub(&v, P, RM).abs(), &mut cc);
                let v = to_f64(&v, &mut cc).abs();
                assert!(err <= b, "{op} of {p:?}, {q:?}: {err:e} > {b:e}");
                let floor = b * (1.0 - 1.0 / f64::from(1u32 << 19)) - 6.01 * U * v;
                assert!(err >= floor, "{op} of {p:?}, {q:?}: {err:e} < {floor:e}");
            }
        }
    }

    /// At the kit's edge, each value moves the crate's value r by less than
    /// the kit's bound b and by nearly all of it: d within u·(|r| + d) of
    /// (b·(1 − u) − 3u·|r| − 2u²·|r|)·(1 − 2⁻²⁰), so at least
    /// b·(1 − 2⁻¹⁹) − 4u·|r|.
    #[test]
    fn the_kit_s_edge_uses_nearly_all_of_its_bound() {
        let (p, q) = ([0.5, 0.25, 0.25], [0.25, 0.5, 0.25]);
        let m = AtTheEdge::KIT;
        for (op, got, own) in [
            (Op::Entropy, m.entropy(&p), measures::entropy(&p)),
            (
                Op::CrossEntropy,
                m.cross_entropy(&p, &q),
                measures::cross_entropy(&p, &q),
            ),
            (
                Op::KlDivergence,
                m.kl_divergence(&p, &q),
                measures::kl_divergence(&p, &q),
            ),
        ] {
            let (got, own) = (got.unwrap(), own.unwrap());
            let b = value_bound(Precision::F64, op, 3, condition(op, &p, &q));
            let moved = (got - own).abs();
            assert!(moved < b, "{op}: {moved:e} against {b:e}");
            let floor = b * (1.0 - 1.0 / f64::from(1u32 << 19)) - 4.0 * U * own.abs();
            assert!(moved >= floor, "{op}: {moved:e} < {floor:e}");
        }
    }
}
