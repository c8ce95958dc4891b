//! The worst rounding an error analysis allows, replayed at 320 bits.
//!
//! An error bound is derived from a model: every floating-point operation
//! returns its exact result times (1 + δ) with |δ| ≤ u, and a primitive with
//! a stated accuracy (a compensated sum) returns its exact result plus at
//! most its stated error. A test checks the bound against that model by
//! replaying the *algorithm* (not the bound's formula) at 320 bits through a
//! [`Model`], where every rounding is a slot whose δ the test chooses.
//!
//! [`worst_rounding`] finds, to first order in u, the pattern of δ that
//! moves the replayed quantity furthest: it replays once with every δ = 0,
//! once per slot with that slot alone at +u (the slot's first-order effect
//! cₖ), then with every δₖ = sign(cₖ)·u and with every δₖ = −sign(cₖ)·u,
//! and returns the larger |quantity| of the two. The first-order worst case
//! is Σ|cₖ|·u, and the two replays reach it up to terms of order u², which
//! are far below the floors compared with.
//!
//! What this adds to the 320-bit checks of real computations: those see the
//! roundings that happen, which mostly cancel, so that a bound whose smaller
//! terms are wrong (too small or missing) still holds on every input drawn.
//! Against the model's worst pattern a bound must cover every term its
//! derivation adds, and its worst ratio shows how much of each it needs.
//! The model is an over-approximation of IEEE arithmetic (each real rounding
//! is one admissible δ), so a valid derivation holds against it; where an
//! operation is exact in f64 (a product by 2, a division by a power of two
//! the derivation relies on), the replay must not round it.

use astro_float::{BigFloat, Consts};

use super::{PREC, RM, big, to_f64};
use crate::numerics::{U, gamma};

/// One replay of an algorithm: hands out the δ of each rounding in order.
pub(crate) struct Model<'c> {
    signs: Vec<i8>,
    slot: usize,
    cc: &'c mut Consts,
}

impl<'c> Model<'c> {
    fn replay(signs: Vec<i8>, cc: &'c mut Consts) -> Self {
        Model { signs, slot: 0, cc }
    }

    /// The next slot's δ/u, in {−1, 0, +1}.
    fn next(&mut self) -> i8 {
        let s = self.signs.get(self.slot).copied().unwrap_or(0);
        self.slot += 1;
        s
    }

    /// One rounding: x·(1 + δ), |δ| ≤ u.
    pub(crate) fn round(&mut self, x: BigFloat) -> BigFloat {
        self.within_relative(x, U)
    }

    /// x·(1 + δ), |δ| ≤ `relative`: one rounding, or a primitive's result
    /// within its stated relative accuracy (checked where it is defined).
    pub(crate) fn within_relative(&mut self, x: BigFloat, relative: f64) -> BigFloat {
        match self.next() {
            0 => x,
            // 1 ± δ at 320 bits (in f64, 1 + u rounds back to 1).
            s => x.mul(
                &big(1.0).add(&big(f64::from(s) * relative), PREC, RM),
                PREC,
                RM,
            ),
        }
    }

    /// The 320-bit constants cache, for exact values inside a replay.
    pub(crate) fn consts(&mut self) -> &mut Consts {
        self.cc
    }

    /// The platform's ln x, within one ulp (2u relative), the accuracy the
    /// crate assumes of it (see `measures::continuous`).
    pub(crate) fn ln(&mut self, x: &BigFloat) -> BigFloat {
        let exact = x.ln(PREC, RM, self.cc);
        self.within_relative(exact, 2.0 * U)
    }

    /// The platform's ln(1 + x), within one ulp (2u relative).
    pub(crate) fn ln_1p(&mut self, x: &BigFloat) -> BigFloat {
        let exact = x.add(&big(1.0), PREC, RM).ln(PREC, RM, self.cc);
        self.within_relative(exact, 2.0 * U)
    }

    /// The platform's eˣ, within one ulp (2u relative).
    pub(crate) fn exp(&mut self, x: &BigFloat) -> BigFloat {
        let exact = x.exp(PREC, RM, self.cc);
        self.within_relative(exact, 2.0 * U)
    }

    /// fl(a + b).
    pub(crate) fn add(&mut self, a: &BigFloat, b: &BigFloat) -> BigFloat {
        self.round(a.add(b, PREC, RM))
    }

    /// fl(a − b).
    pub(crate) fn sub(&mut self, a: &BigFloat, b: &BigFloat) -> BigFloat {
        self.round(a.sub(b, PREC, RM))
    }

    /// fl(a·b).
    pub(crate) fn mul(&mut self, a: &BigFloat, b: &BigFloat) -> BigFloat {
        self.round(a.mul(b, PREC, RM))
    }

    /// fl(a/b).
    pub(crate) fn div(&mut self, a: &BigFloat, b: &BigFloat) -> BigFloat {
        self.round(a.div(b, PREC, RM))
    }

    /// x moved by up to `error` (a primitive's stated absolute accuracy).
    pub(crate) fn within(&mut self, x: BigFloat, error: &BigFloat) -> BigFloat {
        match self.next() {
            0 => x,
            1 => x.add(error, PREC, RM),
            _ => x.sub(error, PREC, RM),
        }
    }

    /// A compensated (Neumaier) sum of the terms as replayed: the exact sum
    /// moved by up to its stated accuracy u·|s| + γ²ₙ₋₁·Σ|tᵢ| (Ogita, Rump
    /// and Oishi 2005, Proposition 4.5; `numerics::compensated_sum`).
    pub(crate) fn compensated_sum(&mut self, terms: &[BigFloat]) -> BigFloat {
        let zero = big(0.0);
        let s = terms.iter().fold(zero.clone(), |a, t| a.add(t, PREC, RM));
        let abs = terms.iter().fold(zero, |a, t| a.add(&t.abs(), PREC, RM));
        let g = big(gamma(terms.len().saturating_sub(1)));
        let error =
            big(U)
                .mul(&s.abs(), PREC, RM)
                .add(&g.mul(&g, PREC, RM).mul(&abs, PREC, RM), PREC, RM);
        self.within(s, &error)
    }
}

/// The lowest and the highest value of the replay `f` over the rounding
/// patterns, to first order in u (see the module's documentation).
///
/// # Panics
/// If the replays do not all use the same number of slots (the algorithm's
/// operations must not depend on the roundings).
pub(crate) fn rounding_range(cc: &mut Consts, f: impl Fn(&mut Model) -> BigFloat) -> (f64, f64) {
    let mut exact = Model::replay(Vec::new(), cc);
    let f0 = f(&mut exact);
    let slots = exact.slot;
    let mut direction = vec![0i8; slots];
    for (k, d) in direction.iter_mut().enumerate() {
        let mut signs = vec![0i8; slots];
        signs[k] = 1;
        let mut one = Model::replay(signs, cc);
        let moved = f(&mut one).sub(&f0, PREC, RM);
        assert_eq!(one.slot, slots, "a replay used a different number of slots");
        *d = if moved.is_zero() {
            0
        } else if moved.is_positive() {
            1
        } else {
            -1
        };
    }
    let mut extremes = [0.0; 2];
    for (extreme, sign) in extremes.iter_mut().zip([-1i8, 1]) {
        let mut all = Model::replay(direction.iter().map(|d| d * sign).collect(), cc);
        let value = f(&mut all);
        assert_eq!(all.slot, slots, "a replay used a different number of slots");
        *extreme = to_f64(&value, cc);
    }
    (extremes[0], extremes[1])
}

/// The largest |f| over the rounding patterns of the replay `f`, to first
/// order in u (see the module's documentation); `f` returns the quantity a
/// bound covers, such as computed − exact, or the difference of two sides
/// whose exact values are equal.
///
/// # Panics
/// As [`rounding_range`].
pub(crate) fn worst_rounding(cc: &mut Consts, f: impl Fn(&mut Model) -> BigFloat) -> f64 {
    let (low, high) = rounding_range(cc, f);
    low.abs().max(high.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recursive summation of n positive terms, replayed: its first-order
    /// worst error is Σₖ (sum of the first k terms)·u over k = 2 … n (each
    /// partial sum rounds once), which is (n(n + 1)/2 − 1)·u for n ones:
    /// a closed form the replay must reach, and a relative error γₙ₋₁ above
    /// it (Higham, §4.2) that it must not pass.
    #[test]
    fn the_worst_recursive_summation_of_ones_is_reached() {
        let mut cc = Consts::new().unwrap();
        for n in [2usize, 5, 30] {
            let worst = worst_rounding(&mut cc, |m| {
                let mut s = big(1.0);
                for _ in 1..n {
                    s = m.add(&s, &big(1.0));
                }
                s.sub(&big(n as f64), PREC, RM)
            });
            let first_order = ((n * (n + 1) / 2 - 1) as f64) * U;
            // The replay's second-order terms are below (n·u)² relative.
            let second = first_order * n as f64 * U * 4.0;
            assert!(
                (worst - first_order).abs() <= second,
                "n = {n}: {worst:e} vs {first_order:e}"
            );
            assert!(worst <= gamma(n - 1) * n as f64);
        }
    }

    /// An exact computation has no slots and no error; a compensated sum
    /// of terms that cancel exactly is moved by its γ² term alone.
    #[test]
    fn exact_replays_and_cancelling_sums() {
        let mut cc = Consts::new().unwrap();
        assert_eq!(worst_rounding(&mut cc, |_| big(0.0)), 0.0);
        let worst = worst_rounding(&mut cc, |m| m.compensated_sum(&[big(1.0), big(-1.0)]));
        assert_eq!(worst, gamma(1) * gamma(1) * 2.0);
    }

    /// The platform's ln and exp are replayed within one ulp, 2u relative:
    /// ln 8 = 3 ln 2 moves by 2u·ln 8, and e⁰ = 1 by 2u, both exactly (the
    /// replay rounds each once).
    #[test]
    fn ln_and_exp_move_by_one_ulp() {
        let mut cc = Consts::new().unwrap();
        let worst = worst_rounding(&mut cc, |m| {
            let exact = big(8.0).ln(PREC, RM, m.consts());
            m.ln(&big(8.0)).sub(&exact, PREC, RM)
        });
        let want = 2.0 * U * 8f64.ln();
        assert!(
            (worst - want).abs() <= 4.0 * U * want,
            "{worst:e} vs {want:e}"
        );
        let worst = worst_rounding(&mut cc, |m| m.exp(&big(0.0)).sub(&big(1.0), PREC, RM));
        assert_eq!(worst, 2.0 * U);
    }
}
