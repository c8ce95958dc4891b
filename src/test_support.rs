//! Shared by the unit tests: 320-bit reference arithmetic (astro-float), a
//! reproducible ±1 direction from a hash of inputs, and measures at the edge
//! of a stated accuracy ([`AtTheEdge`]).

use astro_float::{BigFloat, Consts, Radix, RoundingMode};

mod at_the_edge;
pub(crate) mod bounds;
pub(crate) mod rounding_model;
pub(crate) use at_the_edge::AtTheEdge;
pub(crate) use bounds::{BoundCheck, error_of};

/// Working precision of the references: 320 bits (about 96 digits).
pub(crate) const PREC: usize = 320;
/// Rounding of the references.
pub(crate) const RM: RoundingMode = RoundingMode::ToEven;

/// The f64 as an exact 320-bit value. astro-float 0.9's `from_f64` halves
/// subnormal inputs, so those are scaled into the normal range first and
/// back exactly (a division by a power of two).
pub(crate) fn big(x: f64) -> BigFloat {
    if x != 0.0 && x.abs() < f64::MIN_POSITIVE {
        let scale = BigFloat::from_f64(2f64.powi(64), PREC);
        BigFloat::from_f64(x * 2f64.powi(64), PREC).div(&scale, PREC, RM)
    } else {
        BigFloat::from_f64(x, PREC)
    }
}

/// A reference value rounded to f64 through its decimal expansion (about 96
/// digits, so the double rounding is far below anything compared with it).
pub(crate) fn to_f64(x: &BigFloat, cc: &mut Consts) -> f64 {
    if x.is_zero() {
        return 0.0;
    }
    x.format(Radix::Dec, RM, cc)
        .expect("format a finite reference")
        .parse()
        .expect("parse a formatted reference")
}

/// (μ, σ²) = (−η₁/(2η₂), −1/(2η₂)) of a normal's natural parameters, at 320
/// bits with the f64 η taken as exact.
pub(crate) fn normal_moments(eta: [f64; 2]) -> (BigFloat, BigFloat) {
    let two_eta2 = big(2.0).mul(&big(eta[1]), PREC, RM);
    (
        big(-eta[0]).div(&two_eta2, PREC, RM),
        big(-1.0).div(&two_eta2, PREC, RM),
    )
}

/// +1 or −1 from an FNV-1a hash of `tag` and the bits of `a` and `b`: a
/// direction that varies from input to input and is the same at every run.
pub(crate) fn hashed_sign(tag: u64, a: &[f64], b: &[f64]) -> f64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ tag;
    for x in a.iter().chain(b) {
        h = (h ^ x.to_bits()).wrapping_mul(0x0100_0000_01b3);
    }
    if (h >> 40) & 1 == 0 { 1.0 } else { -1.0 }
}

/// Asserts |computedⱼ − exactⱼ| ≤ errorⱼ for every entry of a gradient (the
/// exact values at 320 bits); returns whether any entry was inexact, so that
/// a caller can show a zero bound would have failed.
pub(crate) fn assert_gradient_within(
    g: &crate::models::GradientEval,
    exact: &[BigFloat],
    cc: &mut Consts,
    what: &str,
) -> bool {
    let mut inexact = false;
    for (j, want) in exact.iter().enumerate() {
        let err = to_f64(&big(g.gradient[j]).sub(want, PREC, RM).abs(), cc);
        assert!(
            err <= g.error[j],
            "{what}, ∂{j}: {err:e} > {:e}",
            g.error[j]
        );
        inexact |= err > 0.0;
    }
    inexact
}

/// Asserts |got − want| ≤ units·u·|want| (u = 2⁻⁵³), naming `what` in the
/// message: the relative comparison of the formula tests, whose `units` each
/// test derives from the roundings it compares.
#[track_caller]
pub(crate) fn assert_near(got: f64, want: f64, units: f64, what: &str) {
    let u = crate::numerics::U;
    assert!(
        (got - want).abs() <= units * u * want.abs(),
        "{what}: {got:e} vs {want:e}"
    );
}
