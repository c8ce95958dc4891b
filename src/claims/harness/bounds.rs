//! Condition quantities and floors shared by the claims on the three
//! measures: Σ|tᵢ| per measure, claim 1's bound for CE − (H + KL), and the
//! scaled Gibbs–Pinsker floor of KL.

use super::U;
use crate::measures::{Arithmetic, Measure, contract_bound, contract_condition};

/// Σ|tᵢ| for the terms tᵢ of each measure, and each measure's allowance under
/// the one accuracy contract ([`contract`]). Terms with pᵢ = 0 are 0; a
/// support mismatch gives +∞.
pub(crate) struct Condition {
    pub(crate) entropy: f64,
    pub(crate) cross_entropy: f64,
    pub(crate) kl: f64,
    /// The contract's allowance for H(p), CE(p, q) and KL(p‖q) of these
    /// stored vectors.
    pub(crate) allowance: Allowance,
}

/// The accuracy contract's allowance for each measure of one pair.
pub(crate) struct Allowance {
    pub(crate) entropy: f64,
    pub(crate) cross_entropy: f64,
    pub(crate) kl: f64,
}

/// The one accuracy contract ([`crate::measures::contract_bound`], derived in
/// the docs of [`crate::measures::Implementation`]) for `measure` of the
/// stored vectors `p` and `second` (q, or logits), in f64: how far from the
/// exact value a correct implementation may be.
pub(crate) fn contract(measure: Measure, p: &[f64], second: &[f64]) -> f64 {
    contract_bound(
        Arithmetic::F64,
        measure,
        p.len(),
        contract_condition(measure, p, second),
    )
}

/// The scaled Gibbs–Pinsker floor of KL for stored vectors p, q, whose
/// masses P = Σpᵢ and Q = Σqᵢ are 1 only within rounding:
///
/// ```text
/// KL(p‖q) ≥ P·ln(P/Q) + (P/2)·‖p/P − q/Q‖₁²
/// ```
///
/// (from KL(p‖q) = P·KL(p/P‖q/Q) + P ln(P/Q) and Pinsker). P − Q is taken
/// from the entrywise differences (exact where pᵢ ≈ qᵢ), not from the rounded
/// P and Q, whose difference is all rounding error there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GibbsFloor {
    /// P·ln(1 + (P − Q)/Q) = P·ln(P/Q).
    pub mass_term: f64,
    /// (P/2)·‖p/P − q/Q‖₁².
    pub pinsker: f64,
    /// u·Σ|pᵢ − qᵢ|: the rounding of P − Q, which P·ln(P/Q) ≈ P − Q inherits.
    pub diff_error: f64,
    /// P and ‖p/P − q/Q‖₁, for the slack.
    mass_p: f64,
    l1: f64,
}

impl GibbsFloor {
    /// P·ln(P/Q) + (P/2)‖p/P − q/Q‖₁².
    pub(crate) fn floor(&self) -> f64 {
        self.mass_term + self.pinsker
    }

    /// The floor's own rounding: P − Q's (1.01·u·Σ|pᵢ − qᵢ|), a few roundings
    /// (4u) in each term, and ‖p/P − q/Q‖₁, whose entries carry about
    /// 2u·(pᵢ/P + qᵢ/Q) each, so 4u·P·l1 for the square.
    pub(crate) fn slack(&self) -> f64 {
        1.01 * self.diff_error
            + 4.0 * U * (self.mass_term.abs() + self.pinsker)
            + 4.0 * U * self.mass_p * self.l1
    }
}

/// The [`GibbsFloor`] of a pair.
pub(crate) fn gibbs_floor(p: &[f64], q: &[f64]) -> GibbsFloor {
    use crate::numerics::compensated_sum;
    let (mass_p, mass_q) = (compensated_sum(p), compensated_sum(q));
    let diffs: Vec<f64> = p.iter().zip(q).map(|(a, b)| a - b).collect();
    let mass_diff = compensated_sum(&diffs);
    let diff_error = U * diffs.iter().map(|d| d.abs()).sum::<f64>();
    let mass_term = mass_p * (mass_diff / mass_q).ln_1p();
    let l1 = compensated_sum(
        &p.iter()
            .zip(q)
            .map(|(a, b)| (a / mass_p - b / mass_q).abs())
            .collect::<Vec<_>>(),
    );
    GibbsFloor {
        mass_term,
        pinsker: 0.5 * mass_p * l1 * l1,
        diff_error,
        mass_p,
        l1,
    }
}

/// The [`Condition`] of a pair.
pub(crate) fn condition(p: &[f64], q: &[f64]) -> Condition {
    let mut c = Condition {
        entropy: 0.0,
        cross_entropy: 0.0,
        kl: 0.0,
        allowance: Allowance {
            entropy: contract(Measure::Entropy, p, &[]),
            cross_entropy: contract(Measure::CrossEntropy, p, q),
            kl: contract(Measure::KlDivergence, p, q),
        },
    };
    for (&a, &b) in p.iter().zip(q) {
        if a > 0.0 {
            c.entropy += (a * a.ln()).abs();
            c.cross_entropy += (a * b.ln()).abs();
            c.kl += (a * (a.ln() - b.ln())).abs();
        }
    }
    c
}

/// Claim 1's bound for CE − (H + KL) on stored vectors: each measure within
/// its allowance under the contract, and one rounding of H + KL (2u·|CE|
/// for it and for the comparison).
pub(crate) fn decomposition_bound(c: &Condition, ce: f64) -> f64 {
    let a = &c.allowance;
    a.entropy + a.cross_entropy + a.kl + 2.0 * U * ce.abs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_near;

    /// The Gibbs floor at p = (½, ½): against q = (¼, ¾) the masses agree
    /// (P = Q = 1, P·ln(P/Q) = 0), ‖p − q‖₁ = ½ and the Pinsker term ⅛,
    /// exact; against q = (¼, ½), Q = ¾: P·ln(4/3), ‖p − q/Q‖₁ = ⅓, Pinsker
    /// 1/18, from the f64 ln_1p and quotients (a few roundings: 8u). The
    /// slack 1.01·u·Σ|pᵢ − qᵢ| + 4u(|P ln(P/Q)| + Pinsker) + 4u·P·l1.
    #[test]
    fn gibbs_floor_follows_its_formula() {
        let g = gibbs_floor(&[0.5, 0.5], &[0.25, 0.75]);
        assert_eq!((g.mass_term, g.pinsker, g.floor()), (0.0, 0.125, 0.125));
        let want = 1.01 * 0.5 * U + 4.0 * U * 0.125 + 4.0 * U * 0.5;
        assert!(
            (g.slack() - want).abs() <= 4.0 * U * want,
            "{:e} vs {want:e}",
            g.slack()
        );
        let g = gibbs_floor(&[0.5, 0.5], &[0.25, 0.5]);
        let mass_term = (0.25f64 / 0.75).ln_1p();
        let l1 = (0.5 - 0.25 / 0.75) + (0.5f64 / 0.75 - 0.5);
        let pinsker = 0.5 * l1 * l1;
        let near = |got: f64, want: f64, what: &str| assert_near(got, want, 8.0, what);
        near(g.mass_term, mass_term, "P ln(P/Q)");
        near(g.pinsker, pinsker, "Pinsker");
        near(g.floor(), mass_term + pinsker, "floor");
        let want = 1.01 * 0.25 * U + 4.0 * U * (mass_term + pinsker) + 4.0 * U * l1;
        near(g.slack(), want, "slack");
        // P = ¾ ≠ 1 (p = (½, ¼), q = (¼, ¼), Q = ½): ‖p/P − q/Q‖₁ = ⅙ + ⅙,
        // and the slack's last term is 4u·P·l1 = 4u·¾·⅓.
        let g = gibbs_floor(&[0.5, 0.25], &[0.25, 0.25]);
        let mass_term = 0.75 * 0.5f64.ln_1p();
        let l1 = (0.5 / 0.75 - 0.5) + (0.5 - 0.25 / 0.75);
        let pinsker = 0.5 * 0.75 * l1 * l1;
        near(g.floor(), mass_term + pinsker, "floor at P = ¾");
        let want = 1.01 * 0.25 * U + 4.0 * U * (mass_term + pinsker) + 4.0 * U * 0.75 * l1;
        near(g.slack(), want, "slack at P = ¾");
    }

    /// Σ|tᵢ| by hand for p = (½, ½), q = (¼, ¾): H's terms ½ln2 each, CE's
    /// ½ln4 and ½ln(4/3), KL's ½ln2 and ½ln(3/2). Each is a sum of two
    /// products of a logarithm (2u) and a half (exact), so 4u relative covers
    /// the rounding of both sides.
    #[test]
    fn condition_sums_the_absolute_terms() {
        let c = condition(&[0.5, 0.5], &[0.25, 0.75]);
        let ln = f64::ln;
        let want = [
            ln(2.0),
            0.5 * ln(4.0) + 0.5 * ln(4.0 / 3.0),
            0.5 * ln(2.0) + 0.5 * ln(1.5),
        ];
        for (got, want) in [c.entropy, c.cross_entropy, c.kl].into_iter().zip(want) {
            assert!((got - want).abs() <= 4.0 * U * want, "{got} vs {want}");
        }
    }

    /// The allowances add, and 2u·|CE| for the sum's and the comparison's
    /// rounding: 1 + 2 + 4 + 2u·1, whose last term is half an ulp of 7
    /// (ulp 8u) at most, so the sum rounds to 7 exactly (ties to even), and
    /// with no allowance 2u·3 = 6u is left alone.
    #[test]
    fn decomposition_bound_adds_the_allowances() {
        let c = Condition {
            entropy: 0.0,
            cross_entropy: 0.0,
            kl: 0.0,
            allowance: Allowance {
                entropy: 1.0,
                cross_entropy: 2.0,
                kl: 4.0,
            },
        };
        assert_eq!(decomposition_bound(&c, -1.0), 7.0);
        let small = Condition {
            allowance: Allowance {
                entropy: 0.0,
                cross_entropy: 0.0,
                kl: 0.0,
            },
            ..c
        };
        assert_eq!(decomposition_bound(&small, -3.0), 6.0 * U);
    }
}
