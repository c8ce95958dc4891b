//! Claim 2: Gibbs' inequality, in the scaled Gibbs–Pinsker form that stored
//! vectors obey.

use super::harness::{U, Worst, condition, contract, gibbs_floor, measures_of, pair_evidence};
use super::{Claim, Context, Evidence, Expectation, Implementation};
use crate::claims::CheckFailure;
use crate::claims::failure::failed_in;

/// Claim 2.
pub(crate) const GIBBS: Claim = Claim {
    id: "gibbs",
    number: 2,
    title: "Gibbs' inequality: KL is non-negative, zero only at p = q",
    statement: "KL(p‖q) ≥ ½‖p − q‖₁² ≥ 0 (Pinsker), KL(p‖p) = 0, hence CE(p, q) ≥ H(p)",
    hypotheses: "p, q probability vectors on the same categories; for stored vectors that sum to one only within rounding, the scaled form KL ≥ P·ln(P/Q) + (P/2)‖p/P − q/Q‖₁² with P = Σp, Q = Σq",
    expectation: Expectation::Holds,
    test: "tests/claims.rs::claim_2_gibbs_inequality",
    check: check_gibbs,
};

/// Gibbs for one pair: KL above Pinsker's bound, KL(p‖p) = 0, CE ≥ H.
///
/// Floating-point "distributions" sum to one only within rounding, and the
/// exact KL of the stored numbers obeys the scaled form of the inequality
/// (with P = Σpᵢ, Q = Σqᵢ; it follows from KL(p‖q) = P·KL(p/P‖q/Q) + P ln(P/Q)):
///
/// ```text
/// KL(p‖q) ≥ P·ln(P/Q) + (P/2)·‖p/P − q/Q‖₁²
/// ```
///
/// P·ln(P/Q) ≈ P − Q is of order n·u and may be negative, so KL itself may be
/// negative by that much: the check uses this form, not KL ≥ 0.
fn gibbs_case(
    m: &dyn Implementation,
    p: &[f64],
    q: &[f64],
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let (h, ce, kl) = measures_of(m, p, q).map_err(failed_in("rejected a valid pair"))?;
    let c = condition(p, q);
    // Slack: KL within its contract, and the floor's own rounding.
    let g = gibbs_floor(p, q);
    w.at_least(
        "KL(p‖q) against P·ln(P/Q) + (P/2)‖p/P − q/Q‖₁²",
        kl,
        g.floor(),
        c.allowance.kl + g.slack(),
    )?;
    let self_kl = m
        .kl_divergence(p, p)
        .map_err(failed_in("rejected a valid p"))?;
    // KL(p‖p) = 0 exactly; a correct implementation may be off by the
    // contract's allowance at (p, p) (CE − H, or pᵢ(ln pᵢ − ln pᵢ) from two
    // different logarithm calls, need not give 0).
    w.close(
        "KL(p‖p)",
        self_kl,
        0.0,
        contract(crate::measures::Measure::KlDivergence, p, p),
    )?;
    let bound = c.allowance.entropy
        + c.allowance.cross_entropy
        + 4.0 * U * g.mass_term.abs()
        + 1.01 * g.diff_error;
    let floor = h + g.mass_term.min(0.0);
    w.at_least(
        "CE(p, q) against H(p) + min(0, P·ln(P/Q))",
        ce,
        floor,
        bound,
    )
}

fn check_gibbs(ctx: &Context<'_>) -> Evidence {
    pair_evidence(ctx, "gibbs", gibbs_case)
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

    /// Each of Gibbs's three comparisons fails for its own planted bug, at
    /// p = (½, ½), q = (¼, ¾): KL = ½ln(4/3) ≈ 0.144 against Pinsker's
    /// floor ½·‖p − q‖₁² = 0.125, so 0.8·KL ≈ 0.115 is below it; KL(p‖p)
    /// must be 0 within the contract's 5u·Σpᵢ(2|ln pᵢ| + 1) ≈ 1.3e−15, so a
    /// shift of 2⁻⁴⁰ ≈ 9e−13 fails it; CE ≈ 0.837 against
    /// H = ln 2 ≈ 0.693, so ½·CE is below it.
    #[test]
    fn each_gibbs_comparison_fails_for_its_planted_bug() {
        assert_eq!(gibbs_case(&Reference, &P, &Q, &mut Worst::new()), Ok(()));
        let planted = |kl: (f64, f64), cross_entropy: (f64, f64)| Affine {
            kl,
            cross_entropy,
            ..Affine::EXACT
        };
        let run = |m: &Affine| gibbs_case(m, &P, &Q, &mut Worst::new());
        assert_fails(
            run(&planted((0.8, 0.0), (1.0, 0.0))),
            Comparison::AtLeast,
            "KL(p‖q) against P·ln(P/Q) + (P/2)‖p/P − q/Q‖₁²",
        );
        assert_fails(
            run(&planted((1.0, 2f64.powi(-40)), (1.0, 0.0))),
            Comparison::Close,
            "KL(p‖p)",
        );
        assert_fails(
            run(&planted((1.0, 0.0), (0.5, 0.0))),
            Comparison::AtLeast,
            "CE(p, q) against H(p) + min(0, P·ln(P/Q))",
        );
    }
}
