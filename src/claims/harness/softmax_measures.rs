//! CE and KL of a computed softmax, from the measures under test, with a
//! bound on their distance to the exact values: shared by the claims that fit
//! and differentiate softmax families (4 and 5).

use super::contract;
use crate::claims::CheckFailure;
use crate::claims::Implementation;
use crate::claims::failure::failed_in;
use crate::measures::Measure;
use crate::measures::normalize;
use crate::models::TINY;
use crate::models::objectives::Divergence;
use crate::numerics::U;

/// CE(p, q̂) or KL(p‖q̂) from the measures under test, at q̂ = normalize(q̃),
/// with a bound on its distance to the exact value at the exact q (where
/// |q̃ᵢ − qᵢ| ≤ relᵢ·q̃ᵢ + 2⁻¹⁰⁷⁴).
///
/// Bound: (i) q̂ against q: Σq̃ is within s = 1.01·Σ(relᵢq̃ᵢ + 2⁻¹⁰⁷⁴) of 1,
/// and normalizing adds 4u (compensated sum, division), so
/// |ln q̂ᵢ − ln qᵢ| ≤ 1.01·(relᵢ + s + 4u) + 2⁻¹⁰⁷⁴/q̂ᵢ, weighted by pᵢ (both
/// CE and KL move by Σpᵢ|Δln qᵢ|); (ii) the measure's allowance under the
/// one accuracy contract ([`contract`]).
/// The factor 1.02 covers |ln(1 + x)| ≤ 1.01|x| at these tiny x.
pub(crate) fn measured(
    m: &dyn Implementation,
    which: Divergence,
    p: &[f64],
    q: &[f64],
    rel: &[f64],
) -> Result<(f64, f64), CheckFailure> {
    let q_hat = normalize(q).map_err(failed_in("normalize(softmax(z)) failed"))?;
    let value = match which {
        Divergence::CrossEntropy => m.cross_entropy(p, &q_hat),
        Divergence::Kl => m.kl_divergence(p, &q_hat),
    }
    .map_err(|e| {
        CheckFailure::evaluation(
            format!("{} rejected a valid pair", which.name()),
            format!("{} rejected a valid pair: {e}", which.name()),
        )
    })?;
    Ok((value, measured_error(which, p, q, &q_hat, rel)))
}

/// The bound of [`measured`], for the computed q̃ (`q`), its normalization q̂
/// and the relative errors `rel`:
/// 1.02·Σ_{pᵢ>0} pᵢ·(1.01·(relᵢ + s + 4u) + 2⁻¹⁰⁷⁴/q̂ᵢ) + 1.01·a,
/// with s = 1.01·Σ(relᵢq̃ᵢ + 2⁻¹⁰⁷⁴) and a the contract's allowance for CE(p, q̂)
/// or KL(p‖q̂) (1.01 for its own rounding).
fn measured_error(which: Divergence, p: &[f64], q: &[f64], q_hat: &[f64], rel: &[f64]) -> f64 {
    let spread = 1.01 * q.iter().zip(rel).map(|(qi, r)| qi * r + TINY).sum::<f64>();
    let mut model = 0.0;
    for i in 0..p.len() {
        if p[i] > 0.0 {
            model += p[i] * (1.01 * (rel[i] + spread + 4.0 * U) + TINY / q_hat[i]);
        }
    }
    let allowance = match which {
        Divergence::CrossEntropy => contract(Measure::CrossEntropy, p, q_hat),
        Divergence::Kl => contract(Measure::KlDivergence, p, q_hat),
    };
    1.02 * model + 1.01 * allowance
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bound of `measured`, at a case where every part of it counts:
    /// rel of order 2⁻⁵⁰, a q̂ entry of 2⁻¹⁰²⁰ (so 2⁻¹⁰⁷⁴/q̂ = 2⁻⁵⁴), p with a
    /// zero (skipped). The wanted value is the documented formula; the
    /// function and the test round at most a dozen non-negative terms in
    /// different orders, so 16u relative separates them from any change of
    /// a term (the smallest term is about 10⁻⁴ of the total).
    #[test]
    fn measured_error_follows_its_formula() {
        let p = [0.75, 0.25, 0.0];
        let q = [0.5, 0.25, 0.25];
        let q_hat = [0.5, 2f64.powi(-1020), 0.5];
        let rel = [2f64.powi(-50), 2f64.powi(-49), 2f64.powi(-48)];
        let s = 1.01 * (0.5 * rel[0] + 0.25 * rel[1] + 0.25 * rel[2] + 3.0 * TINY);
        let model = 0.75 * (1.01 * (rel[0] + s + 4.0 * U) + TINY / 0.5)
            + 0.25 * (1.01 * (rel[1] + s + 4.0 * U) + 2f64.powi(-54));
        // The contract's allowance for 3 entries: (4 + 2)u·C, C the
        // condition of the measure at (p, q̂) (η's 3·2⁻¹⁰²² is below every
        // ulp here).
        let l = |x: f64| x.ln().abs();
        let c_ce = 0.75 * (l(0.5) + 1.0) + 0.25 * (1020.0 * std::f64::consts::LN_2 + 1.0);
        let c_kl = 0.75 * (l(0.75) + l(0.5) + 1.0)
            + 0.25 * (l(0.25) + 1020.0 * std::f64::consts::LN_2 + 1.0);
        for (which, c) in [(Divergence::CrossEntropy, c_ce), (Divergence::Kl, c_kl)] {
            let want = 1.02 * model + 1.01 * 6.0 * U * c;
            let got = measured_error(which, &p, &q, &q_hat, &rel);
            assert!(
                (got - want).abs() <= 16.0 * U * want,
                "{}: {got:e} vs {want:e}",
                which.name()
            );
        }
    }
}
