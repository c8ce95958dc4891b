//! Evidence for the closed-form measures of `measures::continuous`: agreement with 320-bit
//! reference values within the derived bounds.
//!
//! Every floating-point comparison uses a bound derived from the computation
//! it checks: `U = 2⁻⁵³` (the unit roundoff of `f64`) times a condition
//! quantity for that case, with the derivation written next to it. Reference
//! values say where they come from. Monte Carlo assertions state their
//! false-failure probability; all random streams have fixed, named seeds.
//! The library's error bounds these tests rely on are listed in
//! `tests/common/continuous.rs`.

mod common;

use common::continuous::{
    KL_REL_BOUND, cross_entropy_bound, entropy_bound, exponential, laplace, normal,
};
use std::f64::consts::LN_2;

use astro_float::{BigFloat, Consts, RoundingMode};
use logloss_proofs::measures::continuous::{
    Continuous, cross_entropy, differential_entropy, kl_divergence,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use logloss_proofs::numerics::U;

// ---------------------------------------------------------------------------
// High-precision references
// ---------------------------------------------------------------------------

/// Working precision of the references, in bits.
const PREC: usize = 320;
const RM: RoundingMode = RoundingMode::ToEven;
/// Relative error of a reference value. Every f64 input converts exactly; each
/// reference is a handful of operations at 320 bits, so its relative error is
/// below 2⁻³⁰⁰ times the cancellation it suffers, which is at most 2⁻⁸⁰ here
/// (KL ≥ 1e−24 of the terms it is formed from): 2⁻²⁰⁰ is a safe bound.
const REF_REL_ERR: f64 = 6.2e-61; // 2^−200 ≈ 6.2e−61

/// Seed of the reference sweeps.
const REF_SEED: u64 = 0x5245_4600_0001;

struct Big {
    cc: Consts,
}

impl Big {
    fn new() -> Self {
        Big {
            cc: Consts::new().expect("constants cache"),
        }
    }
    /// Exact conversion of a normal (or zero) f64. astro-float 0.9's
    /// `from_f64` halves subnormal inputs (5e−324 comes back as 2.47e−324), so
    /// the references keep to normal numbers and this guard enforces it.
    fn of(x: f64) -> BigFloat {
        assert!(
            x == 0.0 || x.is_normal(),
            "reference input {x:e} is subnormal"
        );
        BigFloat::from_f64(x, PREC)
    }
    fn ln(&mut self, x: &BigFloat) -> BigFloat {
        x.ln(PREC, RM, &mut self.cc)
    }
    fn exp(&mut self, x: &BigFloat) -> BigFloat {
        x.exp(PREC, RM, &mut self.cc)
    }
    fn pi(&mut self) -> BigFloat {
        self.cc.pi(PREC, RM)
    }
}

fn add(a: &BigFloat, b: &BigFloat) -> BigFloat {
    a.add(b, PREC, RM)
}
fn sub(a: &BigFloat, b: &BigFloat) -> BigFloat {
    a.sub(b, PREC, RM)
}
fn mul(a: &BigFloat, b: &BigFloat) -> BigFloat {
    a.mul(b, PREC, RM)
}
fn div(a: &BigFloat, b: &BigFloat) -> BigFloat {
    a.div(b, PREC, RM)
}

/// Nearest f64 to a reference (via its decimal expansion, which has far more
/// digits than f64 needs, so the conversion adds at most one rounding).
fn to_f64(x: &BigFloat) -> f64 {
    let s = x.to_string();
    s.parse::<f64>()
        .unwrap_or_else(|e| panic!("cannot parse reference {s}: {e}"))
}

/// `|computed − reference|` as an f64, formed at full precision.
fn abs_err(computed: f64, reference: &BigFloat) -> f64 {
    to_f64(&sub(&Big::of(computed), reference).abs())
}

fn reference_entropy(big: &mut Big, p: &Continuous) -> BigFloat {
    let one = Big::of(1.0);
    match *p {
        Continuous::Normal { std_dev, .. } => {
            // ½(1 + ln 2π) + ln σ
            let two_pi = mul(&Big::of(2.0), &big.pi());
            let c = mul(&Big::of(0.5), &add(&one, &big.ln(&two_pi)));
            add(&c, &big.ln(&Big::of(std_dev)))
        }
        Continuous::Exponential { rate } => sub(&one, &big.ln(&Big::of(rate))),
        Continuous::Laplace { scale, .. } => {
            add(&one, &big.ln(&mul(&Big::of(2.0), &Big::of(scale))))
        }
    }
}

fn reference_kl(big: &mut Big, p: &Continuous, q: &Continuous) -> BigFloat {
    let one = Big::of(1.0);
    match (*p, *q) {
        (
            Continuous::Normal {
                mean: mp,
                std_dev: sp,
            },
            Continuous::Normal {
                mean: mq,
                std_dev: sq,
            },
        ) => {
            // ln(σq/σp) + (σp² + (μp − μq)²)/(2σq²) − ½
            let (sp, sq) = (Big::of(sp), Big::of(sq));
            let dm = sub(&Big::of(mp), &Big::of(mq));
            let num = add(&mul(&sp, &sp), &mul(&dm, &dm));
            let den = mul(&Big::of(2.0), &mul(&sq, &sq));
            let log = big.ln(&div(&sq, &sp));
            sub(&add(&log, &div(&num, &den)), &Big::of(0.5))
        }
        (Continuous::Exponential { rate: lp }, Continuous::Exponential { rate: lq }) => {
            // ln(λp/λq) + λq/λp − 1
            let (lp, lq) = (Big::of(lp), Big::of(lq));
            let log = big.ln(&div(&lp, &lq));
            sub(&add(&log, &div(&lq, &lp)), &one)
        }
        (
            Continuous::Laplace {
                location: mp,
                scale: bp,
            },
            Continuous::Laplace {
                location: mq,
                scale: bq,
            },
        ) => {
            // ln(bq/bp) + δ/bq + (bp/bq)·exp(−δ/bp) − 1
            let (bp, bq) = (Big::of(bp), Big::of(bq));
            let delta = sub(&Big::of(mp), &Big::of(mq)).abs();
            let log = big.ln(&div(&bq, &bp));
            let decay = big.exp(&div(&delta, &bp).neg());
            let sum = add(&add(&log, &div(&delta, &bq)), &mul(&div(&bp, &bq), &decay));
            sub(&sum, &one)
        }
        _ => unreachable!("pairs are built within one family"),
    }
}

/// Relative gaps `g` between the scales (or rates) of p and q: q's parameter is
/// p's times `1 + g` or divided by `1 + g`. They span the series region of
/// `ψ` (|d| ≤ 1/16), its threshold, the `ln_1p` region and the `ln` region.
const GAPS: [f64; 14] = [
    0.0, 1.0e-9, 1.0e-6, 1.0e-3, 0.03, 0.0624, 0.0626, 0.07, 0.2, 0.5, 0.9, 1.0, 3.0, 1.0e3,
];
/// Location offsets in units of p's scale: zero, tiny, around the series
/// threshold `a = ½` of the Laplace term, and large.
const OFFSETS: [f64; 10] = [
    0.0, 1.0e-9, 1.0e-6, 1.0e-3, 0.3, 0.4999, 0.5001, 0.7, 2.0, 50.0,
];

/// The reference sweep: seeded base parameters times every gap (both
/// directions) and every offset, plus a few extreme pairs.
fn reference_cases() -> Vec<(Continuous, Continuous, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(REF_SEED);
    let mut cases = Vec::new();
    for _ in 0..6 {
        let s = rng.random_range(-20.0..20.0_f64).exp();
        let m = rng.random_range(-100.0..100.0) * s;
        for gap in GAPS {
            for s_q in [s * (1.0 + gap), s / (1.0 + gap)] {
                cases.push((exponential(s), exponential(s_q), gap));
                for offset in OFFSETS {
                    let sign = if rng.random_range(0.0..1.0) < 0.5 {
                        -1.0
                    } else {
                        1.0
                    };
                    let m_q = m + sign * offset * s;
                    cases.push((normal(m, s), normal(m_q, s_q), gap));
                    cases.push((laplace(m, s), laplace(m_q, s_q), gap));
                }
            }
        }
    }
    // Ratios at the ends of the f64 range (ln_ratio's fallback and overflow
    // guards) and huge locations.
    for (sp, sq) in [
        (1.0e-300, 1.0e300),
        (1.0e300, 1.0e150),
        (f64::MIN_POSITIVE, 1.0),
        (1.0, 1.0e-150),
    ] {
        cases.push((exponential(sp), exponential(sq), f64::NAN));
        cases.push((normal(0.0, sp), normal(1.0, sq), f64::NAN));
        cases.push((laplace(0.0, sp), laplace(1.0, sq), f64::NAN));
    }
    cases.push((
        normal(1.0e300, 1.0e299),
        normal(-1.0e300, 1.0e300),
        f64::NAN,
    ));
    cases.push((
        laplace(1.0e300, 1.0e299),
        laplace(-1.0e300, 1.0e300),
        f64::NAN,
    ));
    cases
}

#[test]
fn kl_matches_320_bit_reference_within_70u_relative() {
    let mut big = Big::new();
    let mut worst = 0.0_f64;
    let mut worst_case = String::new();
    let mut worst_at_1e6 = [0.0_f64; 3];
    let mut checked = 0;
    for (p, q, gap) in reference_cases() {
        let kl = kl_divergence(&p, &q).unwrap();
        let reference = reference_kl(&mut big, &p, &q);
        if reference.is_zero() {
            assert_eq!(kl, 0.0, "{p:?} vs {q:?}");
            continue;
        }
        let ref_f64 = to_f64(&reference);
        if ref_f64.is_infinite() {
            assert_eq!(kl, f64::INFINITY, "{p:?} vs {q:?}");
            continue;
        }
        assert!(reference.is_positive(), "reference KL must be positive");
        // Relative error; the bound adds the reference's own error.
        let rel = abs_err(kl, &reference) / ref_f64;
        assert!(
            rel <= KL_REL_BOUND + REF_REL_ERR,
            "KL({p:?}‖{q:?}) = {kl}, reference {ref_f64}: relative error {rel:e} > 70u"
        );
        checked += 1;
        if rel > worst {
            worst = rel;
            worst_case = format!("{p:?} vs {q:?}");
        }
        if gap == 1.0e-6 {
            let i = match p.family() {
                "normal" => 0,
                "exponential" => 1,
                _ => 2,
            };
            worst_at_1e6[i] = worst_at_1e6[i].max(rel);
        }
    }
    eprintln!(
        "KL vs reference: {checked} cases, worst relative error {worst:.3e} ({:.2}u) at {worst_case}",
        worst / U
    );
    eprintln!(
        "KL at relative gap 1e−6: worst relative error normal {:.3e}, exponential {:.3e}, laplace {:.3e}",
        worst_at_1e6[0], worst_at_1e6[1], worst_at_1e6[2]
    );
}

#[test]
fn cross_entropy_and_entropy_match_320_bit_reference_within_derived_bounds() {
    let mut big = Big::new();
    let mut worst_ce = 0.0_f64;
    let mut worst_h = 0.0_f64;
    for (p, q, _) in reference_cases() {
        let h = differential_entropy(&p);
        let kl = kl_divergence(&p, &q).unwrap();
        let ce = cross_entropy(&p, &q).unwrap();
        let ref_h = reference_entropy(&mut big, &p);
        let err_h = abs_err(h, &ref_h);
        let bound_h = entropy_bound(&p, h) + REF_REL_ERR * h.abs();
        assert!(
            err_h <= bound_h,
            "h({p:?}) = {h}: error {err_h:e} > {bound_h:e}"
        );
        worst_h = worst_h.max(err_h / bound_h);
        if !ce.is_finite() {
            continue;
        }
        let ref_ce = add(&ref_h, &reference_kl(&mut big, &p, &q));
        let err_ce = abs_err(ce, &ref_ce);
        let bound_ce = cross_entropy_bound(&p, h, kl, ce) + REF_REL_ERR * (h.abs() + kl);
        assert!(
            err_ce <= bound_ce,
            "H({p:?}, {q:?}) = {ce}: error {err_ce:e} > {bound_ce:e}"
        );
        worst_ce = worst_ce.max(err_ce / bound_ce);
    }
    // Entropies over a log-uniform sweep of scales, including points where
    // h ≈ 0 (there only the absolute bound is meaningful).
    let mut rng = ChaCha8Rng::seed_from_u64(REF_SEED + 1);
    for _ in 0..200 {
        let theta = rng.random_range(-30.0..30.0_f64).exp();
        let near_zero = [
            (-1.418_938_533_204_672_7_f64).exp(),
            1.0_f64.exp(),
            (-1.693_147_180_559_945_4_f64).exp(),
        ];
        for p in [
            normal(0.0, theta),
            exponential(theta),
            laplace(0.0, theta),
            normal(0.0, near_zero[0] * (1.0 + theta * 1e-14)),
            exponential(near_zero[1] * (1.0 + theta * 1e-14)),
            laplace(0.0, near_zero[2] * (1.0 + theta * 1e-14)),
        ] {
            let h = differential_entropy(&p);
            let err = abs_err(h, &reference_entropy(&mut big, &p));
            let bound = entropy_bound(&p, h) + REF_REL_ERR * h.abs();
            assert!(err <= bound, "h({p:?}) = {h}: error {err:e} > {bound:e}");
            worst_h = worst_h.max(err / bound);
        }
    }
    eprintln!(
        "entropy: worst error {worst_h:.3} of its bound; cross-entropy: {worst_ce:.3} of its bound"
    );
}

/// Reference `ln p(x)` at 320 bits, and the sum of the magnitudes of the terms
/// the library adds up.
fn reference_ln_pdf(big: &mut Big, p: &Continuous, x: f64) -> (BigFloat, f64) {
    match *p {
        Continuous::Normal { mean, std_dev } => {
            let z = div(&sub(&Big::of(x), &Big::of(mean)), &Big::of(std_dev));
            let two_pi = mul(&Big::of(2.0), &big.pi());
            let half_z2 = mul(&Big::of(0.5), &mul(&z, &z));
            let logs = add(
                &big.ln(&Big::of(std_dev)),
                &mul(&Big::of(0.5), &big.ln(&two_pi)),
            );
            let zf = (x - mean) / std_dev;
            let magnitude = 0.5 * zf * zf + std_dev.ln().abs() + 0.919;
            (add(&half_z2, &logs).neg(), magnitude)
        }
        Continuous::Exponential { rate } => {
            let value = sub(&big.ln(&Big::of(rate)), &mul(&Big::of(rate), &Big::of(x)));
            (value, rate.ln().abs() + rate * x)
        }
        Continuous::Laplace { location, scale } => {
            let d = div(&sub(&Big::of(x), &Big::of(location)).abs(), &Big::of(scale));
            let log = big.ln(&mul(&Big::of(2.0), &Big::of(scale)));
            let magnitude = (x - location).abs() / scale + scale.ln().abs() + LN_2;
            (add(&d, &log).neg(), magnitude)
        }
    }
}

#[test]
fn ln_pdf_matches_320_bit_reference_within_derived_bound() {
    let mut big = Big::new();
    let mut rng = ChaCha8Rng::seed_from_u64(REF_SEED + 4);
    let mut worst = 0.0_f64;
    for _ in 0..500 {
        let m = rng.random_range(-100.0..100.0);
        let s = rng.random_range(-10.0..10.0_f64).exp();
        let y = rng.random_range(-30.0..30.0);
        // The bounds are k·u·M with M the sum of the terms' magnitudes:
        // normal k = 7 (½z² within 5u, ln σ within 2u, the constant u, two
        // additions), exponential k = 3 (ln λ 2u, λx u, one subtraction),
        // laplace k = 4 (|x − μ|/b 2u, ln b + ln 2 3u, one subtraction).
        for (p, x, k) in [
            (normal(m, s), m + s * y, 7.0),
            (exponential(s), y.abs() / s, 3.0),
            (laplace(m, s), m + s * y, 4.0),
        ] {
            let ours = p.ln_pdf(x);
            let (reference, magnitude) = reference_ln_pdf(&mut big, &p, x);
            let err = abs_err(ours, &reference);
            let bound = k * U * magnitude + REF_REL_ERR * ours.abs();
            assert!(
                err <= bound,
                "{p:?} at {x}: ln_pdf {ours}, error {err:e} > {bound:e}"
            );
            worst = worst.max(err / bound);
        }
    }
    eprintln!("ln_pdf: worst error {worst:.3} of its bound");
}

/// Locations ±10³⁰⁸ overflow μp − μq, but the scaled difference is finite:
/// with equal scales b, KL = e^(−d/b) + d/b − 1, and d/b = 2·10²⁹⁸ here, so
/// e^(−d/b) = 0 and KL = d/b rounded (the −1 vanishes below its ulp). The
/// library takes μp/b − μq/b (two divisions and a subtraction without
/// cancellation: 3u) and then the formula's few operations: 8u relative
/// covers them.
#[test]
fn laplace_kl_survives_an_overflowing_location_difference() {
    let (p, q) = (laplace(1e308, 1e10), laplace(-1e308, 1e10));
    let want = 1e308 / 1e10 + 1e308 / 1e10;
    let got = kl_divergence(&p, &q).unwrap();
    assert!(got.is_finite(), "{got}");
    assert!((got - want).abs() <= 8.0 * U * want, "{got} vs {want}");
}
