//! The catalogue must accept every implementation that meets the accuracy
//! contract it states, not only the crate's own (which sits far inside it):
//! measures whose errors use the contract to its edge pass every claim.
//!
//! The contract (claims 1–9, `CONTRACT` in each): a measure's error is at most
//! 4u·S, S = Σ|tᵢ| over the exact terms tᵢ (−pᵢ ln pᵢ, −pᵢ ln qᵢ or
//! pᵢ ln(pᵢ/qᵢ)). A tolerance in a claim that forgot part of that allowance
//! fails here, where the crate's own measures would never show it.

use super::{Context, DEFAULT_CASES, Outcome, catalogue};
use crate::measures::{
    self, Answer, Implementation, Reduced, Reduction, ln::ln_dd, plain_rows, rejected,
};
use crate::numerics::dd::{fast_two_sum, two_sum};
use crate::seed::DEFAULT_SEED;
use crate::test_support::{PREC as P, big, hashed_sign, to_f64};

/// Relative error of `ln_dd` (its module documents 2⁻⁶⁸), doubled to cover
/// the double-double products and sums that form each term.
const DD: f64 = 1.0 / (1u64 << 62) as f64 / 32.0;
/// The smallest positive normal times 4: a product or sum below it may
/// underflow, losing up to 2⁻¹⁰⁷⁴ per operation.
use crate::numerics::{U, UNDERFLOW_ALLOWANCE as TINY};

/// Measures whose every value is moved to the edge of the contract, in a
/// direction that a hash of the measure and its inputs chooses (so that over
/// many cases each comparison meets every combination of directions, the
/// same at every run).
///
/// With v the exact value, computed in double-double as (hi, lo) within E,
/// and S ≥ S_low:
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
struct AtTheEdge;

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
    // The low parts' and the magnitudes' own roundings, and underflow.
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

impl AtTheEdge {
    fn edge(own: f64, sign: f64, t: &Terms) -> f64 {
        let v = (t.hi + t.lo).abs();
        let a = 4.0 * U * t.s_low - U * (v + t.error) - t.error - 16.0 * U * U * t.s_low;
        if a.is_nan() || a <= 0.0 {
            return own;
        }
        let d = a * (1.0 - 1.0 / (1u64 << 20) as f64) / (1.0 + 2.0 * U);
        t.hi + (t.lo + sign * d)
    }
}

impl Implementation for AtTheEdge {
    fn name(&self) -> String {
        "at-the-contract-edge".to_string()
    }
    fn entropy_rows(&self, p: &[Vec<f64>], r: Reduction) -> Answer<Reduced> {
        plain_rows(p, &[], r, |a, _| self.entropy(a))
    }
    fn cross_entropy_rows(&self, p: &[Vec<f64>], q: &[Vec<f64>], r: Reduction) -> Answer<Reduced> {
        plain_rows(p, q, r, |a, b| self.cross_entropy(a, b))
    }
    fn kl_divergence_rows(&self, p: &[Vec<f64>], q: &[Vec<f64>], r: Reduction) -> Answer<Reduced> {
        plain_rows(p, q, r, |a, b| self.kl_divergence(a, b))
    }
    fn cross_entropy_logits_rows(
        &self,
        p: &[Vec<f64>],
        z: &[Vec<f64>],
        r: Reduction,
    ) -> Answer<Reduced> {
        crate::measures::Reference.cross_entropy_logits_rows(p, z, r)
    }

    fn entropy(&self, p: &[f64]) -> Answer<f64> {
        let own = measures::entropy(p).map_err(rejected)?;
        if !own.is_finite() {
            return Ok(own);
        }
        let t = terms(p, p, |pi, _| {
            let (h, l) = ln_dd(pi);
            ((-h, -l), h.abs())
        });
        Ok(Self::edge(own, hashed_sign(1, p, &[]), &t))
    }
    fn cross_entropy(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        let own = measures::cross_entropy(p, q).map_err(rejected)?;
        if !own.is_finite() {
            return Ok(own);
        }
        let t = terms(p, q, |_, qi| {
            let (h, l) = ln_dd(qi);
            ((-h, -l), h.abs())
        });
        Ok(Self::edge(own, hashed_sign(2, p, q), &t))
    }
    fn kl_divergence(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        let own = measures::kl_divergence(p, q).map_err(rejected)?;
        if !own.is_finite() {
            return Ok(own);
        }
        let t = terms(p, q, |pi, qi| {
            let ((a, b), (c, d)) = (ln_dd(pi), ln_dd(qi));
            // (a + b) − (c + d) in double-double: TwoSum of the high parts.
            let (s, err) = two_sum(a, -c);
            ((s, err + (b - d)), a.abs() + c.abs())
        });
        Ok(Self::edge(own, hashed_sign(3, p, q), &t))
    }
}

#[test]
fn the_edge_measures_stay_within_the_contract_and_near_its_edge() {
    use crate::test_support::RM;
    let mut cc = astro_float::Consts::new().unwrap();
    let cases: [(&[f64], &[f64]); 4] = [
        (&[0.5, 0.25, 0.25], &[0.25, 0.5, 0.25]),
        (&[0.1, 0.2, 0.3, 0.4], &[0.4, 0.3, 0.2, 0.1]),
        (&[1e-12, 1.0 - 1e-12], &[0.5, 0.5]),
        (&[0.3, 0.7], &[0.31, 0.69]),
    ];
    for (p, q) in cases {
        for (k, value) in [
            AtTheEdge.entropy(p).unwrap(),
            AtTheEdge.cross_entropy(p, q).unwrap(),
            AtTheEdge.kl_divergence(p, q).unwrap(),
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

#[test]
fn every_claim_accepts_measures_at_the_edge_of_the_contract() {
    // Each claim's tolerances must leave room for the whole contract: none
    // may fail, and each stays within its bounds.
    let ctx = Context::new(DEFAULT_SEED, DEFAULT_CASES).with_measures(&AtTheEdge);
    for claim in catalogue() {
        let v = claim.check(&ctx);
        assert_eq!(
            v.outcome,
            Outcome::AsExpected,
            "claim {} ({}) rejects measures within its contract: {:?}",
            v.number,
            v.id,
            v.evidence.problem
        );
        assert!(v.evidence.worst_error_ratio <= 1.0, "{v:?}");
        eprintln!("claim {}: {:.3}", v.number, v.evidence.worst_error_ratio);
    }
}
