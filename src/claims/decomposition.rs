//! Claim 1: the decomposition CE = H + KL.

use super::harness::{Worst, condition, decomposition_bound, measures_of, pair_evidence};
use super::{Claim, Context, Evidence, Expectation, Implementation};
use crate::claims::CheckFailure;
use crate::claims::failure::failed_in;

/// Claim 1.
pub(crate) const CE_DECOMPOSITION: Claim = Claim {
    id: "ce-decomposition",
    number: 1,
    title: "Cross-entropy is entropy plus KL divergence",
    statement: "CE(p, q) = H(p) + KL(p‖q)",
    hypotheses: "p, q probability vectors on the same categories (zeros allowed; +∞ on both sides when q = 0 < p)",
    expectation: Expectation::Holds,
    test: "tests/claims.rs::claim_1_cross_entropy_is_entropy_plus_kl",
    check: check_decomposition,
};

/// CE = H + KL for one pair, under the contract's bound.
fn decomposition_case(
    m: &dyn Implementation,
    p: &[f64],
    q: &[f64],
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let (h, ce, kl) = measures_of(m, p, q).map_err(failed_in("rejected a valid pair"))?;
    let c = condition(p, q);
    if c.cross_entropy.is_infinite() {
        // q = 0 < p somewhere: CE and KL are +∞, H is finite.
        return w.require(ce == f64::INFINITY && kl == f64::INFINITY && h.is_finite(), || {
            CheckFailure::require(
                "support mismatch",
                format!("support mismatch: want CE = KL = +∞ and H finite, got H = {h:e}, CE = {ce:e}, KL = {kl:e}"),
            )
        });
    }
    // Bound: each measure within its contract, plus the rounding of H + KL
    // and of the comparison itself (2u·|CE|).
    w.close("CE − (H + KL)", ce, h + kl, decomposition_bound(&c, ce))
}

fn check_decomposition(ctx: &Context<'_>) -> Evidence {
    pair_evidence(ctx, "ce-decomposition", decomposition_case)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Comparison;
    use crate::claims::failure::assert_fails;
    use crate::measures::Reference;
    use crate::measures::planted::Affine;

    const P: [f64; 2] = [0.5, 0.5];
    const Q: [f64; 2] = [0.25, 0.75];

    /// CE = H + KL holds for the crate's measures and fails for a KL off by
    /// 2⁻⁴⁰ (at p = (½, ½), q = (¼, ¾) the bound is about 4u·2 ≈ 10⁻¹⁵).
    #[test]
    fn the_decomposition_check_fails_for_a_shifted_kl() {
        assert_eq!(
            decomposition_case(&Reference, &P, &Q, &mut Worst::new()),
            Ok(())
        );
        let shifted = Affine {
            kl: (1.0, 2f64.powi(-40)),
            ..Affine::EXACT
        };
        assert_fails(
            decomposition_case(&shifted, &P, &Q, &mut Worst::new()),
            Comparison::Close,
            "CE − (H + KL)",
        );
    }
}
