//! Measures that use a stated accuracy to its edge: an implementation every
//! check must accept, and which shows a tolerance that forgot part of the
//! allowance it states, where the crate's own measures (far inside every
//! allowance) never would.
//!
//! One type serves both accuracies the crate states: the claims' contract
//! (error ≤ 4u·S per measure, S = Σ|tᵢ| over the exact terms tᵢ, `CONTRACT`
//! in the claims' harness) and the conformance kit's per-row tolerance at f64
//! (`value_bound`, derived in the kit's tolerance docs). Each value is moved
//! from the exact one by nearly the whole allowance, in a direction that a
//! hash of the measure, the contract and the inputs chooses (so that over many
//! cases each comparison meets every combination of directions, the same at
//! every run). Batches sum the edge rows plainly in f64, as an implementation
//! would; cross-entropy from logits and its gradient are the crate's own.

use crate::conformance::checks::tolerance::{condition, value_bound};
use crate::conformance::{Op, Precision};
use crate::measures::ln::ln_dd;
use crate::measures::{
    self, Answer, Implementation, Measure, Reduced, Reduction, Reference, Rows, rejected,
    rows_from_values,
};
use crate::numerics::dd::{fast_two_sum, two_sum};
use crate::numerics::{U, UNDERFLOW_ALLOWANCE as TINY};

use super::hashed_sign;

/// Relative error of `ln_dd` (its module documents 2⁻⁶⁸), doubled to cover
/// the double-double products and sums that form each term.
const DD: f64 = 1.0 / (1u64 << 62) as f64 / 32.0;

/// The accuracy whose edge the values sit at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contract {
    /// The claims' contract: |computed − exact| ≤ 4u·S, S = Σ|tᵢ|.
    Claims,
    /// The conformance kit's per-row tolerance at f64.
    Kit,
}

/// The crate's measures with every entropy, cross-entropy and KL value moved
/// to the edge of a [`Contract`].
///
/// **Claims** (with v the exact value, computed in double-double as
/// (hi, lo) within E, and S ≥ S_low):
///
/// ```text
/// A = 4u·S_low − u·(|v_dd| + E) − E − 16u²·S_low
/// d = A·(1 − 2⁻²⁰)/(1 + 2u)            (when A > 0)
/// value = hi + (lo ± d)                  (two roundings)
/// ```
///
/// The two roundings add at most u·(|lo| + d) + u·(|v_dd| + d)(1 + u), so the
/// error is at most E + d(1 + 2u) + u·|v_dd|·(1 + 2u) < 4u·S_low ≤ 4u·S. It
/// is at least d − u·(|v| + d) − E ≈ 4u·S − 2u·|v| − 2E: half the contract
/// when all terms have one sign (S = |v|) and the final rounding goes back
/// towards v, nearly all of it under cancellation (|v| ≪ S). When
/// A ≤ 0 (E too large against S, as for KL between near-equal vectors) the
/// crate's own value is used, within one ULP ≤ 2u·|v| ≤ 4u·S.
///
/// **Kit** (with r the crate's value, within one ULP ≤ 2u·|v| of the exact
/// v, and b the kit's bound for the row):
///
/// ```text
/// answer = r ± d,   d = (b·(1 − u) − 3u·|r| − 2u²·|r|)·(1 − 2⁻²⁰)   (r when d ≤ 0)
/// ```
///
/// so |answer − v| ≤ 2u·|v| + d + u·(|r| + d) < b: an implementation the
/// kit must accept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AtTheEdge {
    contract: Contract,
}

impl AtTheEdge {
    /// At the edge of the claims' contract.
    pub(crate) const CLAIMS: AtTheEdge = AtTheEdge {
        contract: Contract::Claims,
    };
    /// At the edge of the conformance kit's tolerance at f64.
    pub(crate) const KIT: AtTheEdge = AtTheEdge {
        contract: Contract::Kit,
    };

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
        Ok(match self.contract {
            Contract::Claims => {
                let t = match op {
                    Op::Entropy => terms(p, p, |pi, _| {
                        let (h, l) = ln_dd(pi);
                        ((-h, -l), h.abs())
                    }),
                    Op::CrossEntropy => terms(p, q, |_, qi| {
                        let (h, l) = ln_dd(qi);
                        ((-h, -l), h.abs())
                    }),
                    _ => terms(p, q, |pi, qi| {
                        let ((a, b), (c, d)) = (ln_dd(pi), ln_dd(qi));
                        // (a + b) − (c + d) in double-double: TwoSum of the high parts.
                        let (s, err) = two_sum(a, -c);
                        ((s, err + (b - d)), a.abs() + c.abs())
                    }),
                };
                claims_edge(own, hashed_sign(op as u64 + 1, p, q), &t)
            }
            Contract::Kit => {
                let b = value_bound(Precision::F64, op, p.len(), condition(op, p, q));
                let d = (b * (1.0 - U) - 3.0 * U * own.abs() - 2.0 * U * U * own.abs())
                    * (1.0 - 1.0 / f64::from(1u32 << 20));
                if d > 0.0 {
                    own + hashed_sign(op as u64, p, q) * d
                } else {
                    own
                }
            }
        })
    }
}

/// The exact terms in double-double, the sum of their magnitudes, and E.
struct Terms {
    hi: f64,
    lo: f64,
    s_low: f64,
    error: f64,
}

/// Σ over pᵢ > 0 of the terms pᵢ·ℓᵢ, where `f(pᵢ, qᵢ)` gives the logarithm
/// factor ℓᵢ in double-double and a magnitude M (|ln| of the logarithms
/// involved) whose DD·pᵢ·M bounds the term's error.
fn terms(p: &[f64], q: &[f64], f: impl Fn(f64, f64) -> ((f64, f64), f64)) -> Terms {
    let (mut hi, mut lo, mut s, mut e) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut n = 0.0;
    for (&pi, &qi) in p.iter().zip(q) {
        if pi <= 0.0 {
            continue;
        }
        n += 1.0;
        // t = pᵢ·(l_hi + l_lo): the product with the high part exact (FMA),
        // the low part's product within u of a term 2⁻⁵³ smaller.
        let ((l_hi, l_lo), magnitude) = f(pi, qi);
        let t_hi = pi * l_hi;
        let t_lo = pi.mul_add(l_hi, -t_hi) + pi * l_lo;
        // Double-double accumulation: TwoSum of the high parts, low parts
        // summed plainly (their total is below 2⁻⁵²·Σ|t|, so its rounding is
        // below 2⁻¹⁰⁰·Σ|t|·n).
        let (sum, err) = two_sum(hi, t_hi);
        hi = sum;
        lo += err + t_lo;
        s += t_hi.abs();
        e += DD * pi * magnitude;
    }
    // The low parts' and the magnitudes' own roundings, and underflow (the
    // smallest positive normal times 4 per operation: a product or sum below
    // it may lose up to 2⁻¹⁰⁷⁴).
    let error = e + n * (n + 2.0) * U * U * s + n * TINY;
    let s_low = s * (1.0 - (n + 2.0) * U) - error;
    let (hi, lo) = fast_two_sum(hi, lo);
    Terms {
        hi,
        lo,
        s_low,
        error,
    }
}

/// The claims' edge value of the terms `t`, or `own` when there is no room.
fn claims_edge(own: f64, sign: f64, t: &Terms) -> f64 {
    let v = (t.hi + t.lo).abs();
    let a = 4.0 * U * t.s_low - U * (v + t.error) - t.error - 16.0 * U * U * t.s_low;
    if a.is_nan() || a <= 0.0 {
        return own;
    }
    let d = a * (1.0 - 1.0 / (1u64 << 20) as f64) / (1.0 + 2.0 * U);
    t.hi + (t.lo + sign * d)
}

impl Implementation for AtTheEdge {
    fn name(&self) -> String {
        match self.contract {
            Contract::Claims => "at-the-contract-edge".to_string(),
            Contract::Kit => "at the edge of the stated accuracy".to_string(),
        }
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

    #[test]
    fn the_edge_measures_stay_within_the_contract_and_near_its_edge() {
        let mut cc = astro_float::Consts::new().unwrap();
        let cases: [(&[f64], &[f64]); 4] = [
            (&[0.5, 0.25, 0.25], &[0.25, 0.5, 0.25]),
            (&[0.1, 0.2, 0.3, 0.4], &[0.4, 0.3, 0.2, 0.1]),
            (&[1e-12, 1.0 - 1e-12], &[0.5, 0.5]),
            (&[0.3, 0.7], &[0.31, 0.69]),
        ];
        let m = AtTheEdge::CLAIMS;
        for (p, q) in cases {
            for (k, value) in [
                m.entropy(p).unwrap(),
                m.cross_entropy(p, q).unwrap(),
                m.kl_divergence(p, q).unwrap(),
            ]
            .into_iter()
            .enumerate()
            {
                let (mut v, mut s) = (big(0.0), big(0.0));
                for (&pi, &qi) in p.iter().zip(q) {
                    let lp = big(pi).ln(P, RM, &mut cc);
                    let lq = big(qi).ln(P, RM, &mut cc);
                    let l = match k {
                        0 => lp.neg(),
                        1 => lq.neg(),
                        _ => lp.sub(&lq, P, RM),
                    };
                    let t = big(pi).mul(&l, P, RM);
                    v = v.add(&t, P, RM);
                    s = s.add(&t.abs(), P, RM);
                }
                // error / (4u·S) and the floor 1 − |v|/(2S) − 2⁻¹⁰ from the
                // bound above (E ≪ u·S for these inputs), at 320 bits.
                let err = big(value).sub(&v, P, RM).abs();
                let ratio = to_f64(&err.div(&s.mul(&big(4.0 * U), P, RM), P, RM), &mut cc);
                let share = to_f64(&v.abs().div(&s, P, RM), &mut cc);
                assert!(ratio <= 1.0, "measure {k} of {p:?}, {q:?}: {ratio}");
                let floor = 1.0 - share / 2.0 - 1.0 / 1024.0;
                assert!(
                    ratio >= floor,
                    "measure {k} of {p:?}, {q:?}: {ratio} < {floor}"
                );
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
