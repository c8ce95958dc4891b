//! Evidence for the closed-form measures of `measures::continuous`.
//!
//! Every floating-point comparison uses a bound derived from the computation
//! it checks: `U = 2⁻⁵³` (the unit roundoff of `f64`) times a condition
//! quantity for that case, with the derivation written next to it. Reference
//! values say where they come from. Monte Carlo assertions state their
//! false-failure probability; all random streams have fixed, named seeds.
//!
//! Error bounds of the library that the tests rely on (derived in the module
//! documentation of `measures::continuous`):
//!
//! * `differential_entropy`: `|ĥ − h| ≤ U·(|c| + 2|ln θ| + |h|)`, `c` the
//!   family constant and `θ` the scale or rate;
//! * `kl_divergence`: `|KL̂ − KL| ≤ 70·U·KL`;
//! * `cross_entropy`: the entropy bound, plus the KL bound, plus `U·|H|`.
//!
//! Those derivations assume `ln`, `ln_1p` and `exp_m1` accurate to one ulp
//! (relative error ≤ 2U), as glibc documents; the same is assumed here for
//! `ln` and `exp`.

use std::f64::consts::PI;

use logloss_proofs::measures::continuous::{
    Continuous, ContinuousError, cross_entropy, differential_entropy, kl_divergence,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Continuous as _, Exp, Laplace, Normal};
use statrs::statistics::Distribution as _;

/// Unit roundoff of `f64`.
const U: f64 = f64::EPSILON / 2.0;
/// Relative error bound of `kl_divergence` derived in the module docs.
const KL_REL_BOUND: f64 = 70.0 * U;

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        rng_seed: RngSeed::Fixed(20261128),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Locations of moderate size, where the textbook formulas are well-behaved.
fn location() -> impl Strategy<Value = f64> {
    -1.0e3..1.0e3
}

/// Scales and rates log-uniform in `[e^−20, e^20]`.
fn scale() -> impl Strategy<Value = f64> {
    (-20.0..20.0).prop_map(f64::exp)
}

/// Locations anywhere in a wide range, including huge ones.
fn wide_location() -> impl Strategy<Value = f64> {
    prop_oneof![-1.0e3..1.0e3, -1.0e300..1.0e300]
}

/// Scales and rates log-uniform in `[e^−700, e^700]`, the normal range of f64.
fn wide_scale() -> impl Strategy<Value = f64> {
    (-700.0..700.0).prop_map(f64::exp)
}

fn normal(mean: f64, std_dev: f64) -> Continuous {
    Continuous::normal(mean, std_dev).expect("valid normal parameters")
}

fn exponential(rate: f64) -> Continuous {
    Continuous::exponential(rate).expect("valid exponential rate")
}

fn laplace(location: f64, scale: f64) -> Continuous {
    Continuous::laplace(location, scale).expect("valid laplace parameters")
}

/// `(c, ln θ)` with `h = c + ln θ` (normal, laplace) or `h = c − ln θ`
/// (exponential); `c` is the family constant as the library rounds it.
fn entropy_parts(p: &Continuous) -> (f64, f64) {
    match *p {
        Continuous::Normal { std_dev, .. } => (1.418_938_533_204_672_7, std_dev.ln()),
        Continuous::Exponential { rate } => (1.0, rate.ln()),
        Continuous::Laplace { scale, .. } => (1.693_147_180_559_945_4, scale.ln()),
    }
}

/// Derived bound on the error of `differential_entropy(p)` (see module docs).
fn entropy_bound(p: &Continuous, h: f64) -> f64 {
    let (c, ln_theta) = entropy_parts(p);
    U * (c.abs() + 2.0 * ln_theta.abs() + h.abs())
}

/// Derived bound on the error of `cross_entropy(p, q) = fl(h + KL)`.
fn cross_entropy_bound(p: &Continuous, h: f64, kl: f64, ce: f64) -> f64 {
    entropy_bound(p, h) + KL_REL_BOUND * kl + U * ce.abs()
}

/// `statrs` Normal `ln_pdf(x) = −½d² − ln √(2π) − ln σ`, `d = (x − μ)/σ`:
/// `d` has two roundings, `½d²` five, the constant one, `ln σ` two, and the two
/// additions one each relative to the magnitude sum, so the absolute error is
/// ≤ 7u·(½d² + 0.92 + |ln σ|).
fn normal_ln_pdf_err(x: f64, mean: f64, std_dev: f64) -> f64 {
    let d = (x - mean) / std_dev;
    7.0 * U * (0.5 * d * d + 0.92 + std_dev.ln().abs())
}

// ---------------------------------------------------------------------------
// 1. CE = h + KL
// ---------------------------------------------------------------------------

/// Textbook `H(p, q) = −∫ p ln q` for two normals, evaluated directly from its
/// own closed form `½ ln 2π + ln σq + ½(σp/σq)² + ½((μp − μq)/σq)²`, with a
/// bound on its rounding error.
fn direct_cross_entropy_normal(mp: f64, sp: f64, mq: f64, sq: f64) -> (f64, f64) {
    // ½ ln 2π: PI rounded (u), doubling exact, ln within 2u: ≤ 3u relative.
    let t1 = 0.5 * (2.0 * PI).ln();
    // ln σq: ≤ 2u.
    let t2 = sq.ln();
    // ½ρ²: ρ one rounding, squaring doubles it, product rounding: ≤ 3u.
    let rho = sp / sq;
    let t3 = 0.5 * rho * rho;
    // ½z²: z = (μp − μq)/σq has two roundings, squared 4u, product: ≤ 5u.
    let z = (mp - mq) / sq;
    let t4 = 0.5 * z * z;
    let s = t1.abs() + t2.abs() + t3.abs() + t4.abs();
    // Each term within 5u of itself, three additions each within u·S.
    (t1 + t2 + t3 + t4, 8.0 * U * s)
}

/// Textbook `H(p, q) = λq/λp − ln λq` for two exponentials.
fn direct_cross_entropy_exponential(lp: f64, lq: f64) -> (f64, f64) {
    let t1 = lq / lp; // one rounding: u
    let t2 = -lq.ln(); // 2u
    let s = t1.abs() + t2.abs();
    // Largest term error 2u, one addition u·S.
    (t1 + t2, 3.0 * U * s)
}

/// Textbook `H(p, q) = ln(2bq) + (δ + bp·e^(−δ/bp))/bq` for two Laplaces.
fn direct_cross_entropy_laplace(mp: f64, bp: f64, mq: f64, bq: f64) -> (f64, f64) {
    let delta = (mp - mq).abs(); // one rounding
    let t1 = (2.0 * bq).ln(); // doubling exact, ln: 2u
    let t2 = delta / bq; // 2u
    let a = delta / bp; // 2u
    // e^(−a): the argument's 2u·a absolute error becomes 2u·a relative, plus
    // 2u for exp itself; then one product and one quotient: (4 + 2a)u.
    let t3 = bp * (-a).exp() / bq;
    let s = t1.abs() + t2.abs() + t3.abs();
    // Largest term error (4 + 2a)u, two additions 2u·S.
    (t1 + t2 + t3, (6.0 + 2.0 * a) * U * s)
}

fn check_identity(p: &Continuous, q: &Continuous, direct: (f64, f64)) -> Result<(), TestCaseError> {
    let h = differential_entropy(p);
    let kl = kl_divergence(p, q).expect("same family");
    let ce = cross_entropy(p, q).expect("same family");
    prop_assert!(h.is_finite() && kl.is_finite() && ce.is_finite());
    // The library forms CE as one rounded sum fl(h + KL); recomputing that sum
    // here can differ by at most one rounding on each side, 2u·|h + KL|, and
    // |h + KL| ≤ |h| + |KL| while |h + KL| ≤ (1 + u)|CE|.
    let tol_sum = 2.0 * U * (h.abs() + kl.abs() + ce.abs());
    prop_assert!(
        (ce - (h + kl)).abs() <= tol_sum,
        "CE {ce} vs h + KL {} (tol {tol_sum})",
        h + kl
    );
    // Against −∫ p ln q from its own textbook closed form: the direct
    // formula's rounding bound plus the library's CE bound.
    let (direct, direct_err) = direct;
    let tol = direct_err + cross_entropy_bound(p, h, kl, ce);
    prop_assert!(
        (ce - direct).abs() <= tol,
        "CE {ce} vs textbook {direct}: diff {} > tol {tol}",
        (ce - direct).abs()
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn cross_entropy_equals_entropy_plus_kl_normal(
        mp in location(), sp in scale(), mq in location(), sq in scale()
    ) {
        check_identity(
            &normal(mp, sp),
            &normal(mq, sq),
            direct_cross_entropy_normal(mp, sp, mq, sq),
        )?;
    }

    #[test]
    fn cross_entropy_equals_entropy_plus_kl_exponential(lp in scale(), lq in scale()) {
        check_identity(
            &exponential(lp),
            &exponential(lq),
            direct_cross_entropy_exponential(lp, lq),
        )?;
    }

    #[test]
    fn cross_entropy_equals_entropy_plus_kl_laplace(
        mp in location(), bp in scale(), mq in location(), bq in scale()
    ) {
        check_identity(
            &laplace(mp, bp),
            &laplace(mq, bq),
            direct_cross_entropy_laplace(mp, bp, mq, bq),
        )?;
    }
}

// ---------------------------------------------------------------------------
// 4. Exact zeros and Gibbs' inequality
// ---------------------------------------------------------------------------

fn any_distribution() -> impl Strategy<Value = Continuous> {
    prop_oneof![
        (wide_location(), wide_scale()).prop_map(|(m, s)| normal(m, s)),
        wide_scale().prop_map(exponential),
        (wide_location(), wide_scale()).prop_map(|(m, s)| laplace(m, s)),
    ]
}

fn same_family_pair() -> impl Strategy<Value = (Continuous, Continuous)> {
    prop_oneof![
        (wide_location(), wide_scale(), wide_location(), wide_scale())
            .prop_map(|(mp, sp, mq, sq)| (normal(mp, sp), normal(mq, sq))),
        (wide_scale(), wide_scale()).prop_map(|(lp, lq)| (exponential(lp), exponential(lq))),
        (wide_location(), wide_scale(), wide_location(), wide_scale())
            .prop_map(|(mp, bp, mq, bq)| (laplace(mp, bp), laplace(mq, bq))),
        // Nearly equal pairs, where a cancelling formula could go negative.
        (
            wide_location(),
            wide_scale(),
            -1.0e-6..1.0e-6,
            -1.0e-6..1.0e-6
        )
            .prop_map(|(m, s, dm, ds)| (laplace(m, s), laplace(m + dm * s, s * (1.0 + ds)))),
        (
            wide_location(),
            wide_scale(),
            -1.0e-6..1.0e-6,
            -1.0e-6..1.0e-6
        )
            .prop_map(|(m, s, dm, ds)| (normal(m, s), normal(m + dm * s, s * (1.0 + ds)))),
        (wide_scale(), -1.0e-6..1.0e-6)
            .prop_map(|(l, d)| (exponential(l), exponential(l * (1.0 + d)))),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn kl_of_a_distribution_with_itself_is_exactly_zero(p in any_distribution()) {
        prop_assert_eq!(kl_divergence(&p, &p).unwrap(), 0.0);
        // And so the cross-entropy of p with itself is exactly its entropy.
        prop_assert_eq!(cross_entropy(&p, &p).unwrap(), differential_entropy(&p));
    }

    #[test]
    fn kl_is_never_negative_nor_nan(pair in same_family_pair()) {
        let (p, q) = pair;
        let kl = kl_divergence(&p, &q).unwrap();
        prop_assert!(kl >= 0.0, "KL({p:?}‖{q:?}) = {kl}");
        prop_assert!(!cross_entropy(&p, &q).unwrap().is_nan());
    }
}

// ---------------------------------------------------------------------------
// 6. Parameter validation
// ---------------------------------------------------------------------------

fn assert_bad(
    result: Result<Continuous, ContinuousError>,
    family: &str,
    parameter: &str,
    value: f64,
) {
    match result {
        Err(ContinuousError::BadParameter {
            family: f,
            parameter: n,
            value: v,
        }) => {
            assert_eq!((f, n), (family, parameter));
            assert!(
                v.to_bits() == value.to_bits(),
                "reported value {v} is not the rejected {value}"
            );
        }
        other => panic!("{family}.{parameter} = {value}: expected BadParameter, got {other:?}"),
    }
}

const BAD_LOCATIONS: [f64; 3] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
const BAD_SCALES: [f64; 7] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    -1.0,
    -5.0e-324,
];

#[test]
fn bad_parameters_are_rejected_naming_family_parameter_and_value() {
    for v in BAD_LOCATIONS {
        assert_bad(Continuous::normal(v, 1.0), "normal", "mean", v);
        assert_bad(Continuous::laplace(v, 1.0), "laplace", "location", v);
    }
    for v in BAD_SCALES {
        assert_bad(Continuous::normal(0.0, v), "normal", "std_dev", v);
        assert_bad(Continuous::exponential(v), "exponential", "rate", v);
        assert_bad(Continuous::laplace(0.0, v), "laplace", "scale", v);
    }
    // The location is checked before the scale.
    assert_bad(
        Continuous::normal(f64::NAN, -1.0),
        "normal",
        "mean",
        f64::NAN,
    );
    // Extreme but valid parameters are accepted.
    assert!(Continuous::normal(f64::MAX, 5.0e-324).is_ok());
    assert!(Continuous::exponential(f64::MAX).is_ok());
    assert!(Continuous::laplace(-f64::MAX, f64::MIN_POSITIVE).is_ok());
}

#[test]
fn struct_literals_with_bad_parameters_are_rejected_by_kl_and_cross_entropy() {
    let good = normal(0.0, 1.0);
    let bad = Continuous::Normal {
        mean: 0.0,
        std_dev: -2.0,
    };
    let expected = ContinuousError::BadParameter {
        family: "normal",
        parameter: "std_dev",
        value: -2.0,
    };
    assert_eq!(kl_divergence(&bad, &good), Err(expected.clone()));
    assert_eq!(kl_divergence(&good, &bad), Err(expected.clone()));
    assert_eq!(cross_entropy(&good, &bad), Err(expected));
    // A bad parameter is reported before a family mismatch.
    let bad_rate = Continuous::Exponential { rate: f64::NAN };
    assert!(matches!(
        kl_divergence(&good, &bad_rate),
        Err(ContinuousError::BadParameter {
            parameter: "rate",
            ..
        })
    ));
}

#[test]
fn mismatched_families_are_an_error_not_a_panic() {
    let all = [normal(0.0, 1.0), exponential(1.0), laplace(0.0, 1.0)];
    for p in &all {
        for q in &all {
            let expected = if p.family() == q.family() {
                None
            } else {
                Some(ContinuousError::FamilyMismatch {
                    p: p.family(),
                    q: q.family(),
                })
            };
            assert_eq!(kl_divergence(p, q).err(), expected);
            assert_eq!(cross_entropy(p, q).err(), expected);
        }
    }
    let message = kl_divergence(&all[0], &all[2]).unwrap_err().to_string();
    assert!(
        message.contains("normal") && message.contains("laplace"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------
// 7. Agreement with statrs
// ---------------------------------------------------------------------------

/// Seed of the parameter sweeps that compare with statrs.
const STATRS_SEED: u64 = 0x5354_4154_0001;

#[test]
fn differential_entropy_agrees_with_statrs_entropy() {
    let mut rng = ChaCha8Rng::seed_from_u64(STATRS_SEED);
    for _ in 0..1000 {
        let theta = rng.random_range(-30.0..30.0_f64).exp();
        let cases = [
            (
                normal(0.0, theta),
                Normal::new(0.0, theta).unwrap().entropy().unwrap(),
            ),
            (
                exponential(theta),
                Exp::new(theta).unwrap().entropy().unwrap(),
            ),
            (
                laplace(0.0, theta),
                Laplace::new(0.0, theta).unwrap().entropy().unwrap(),
            ),
        ];
        for (p, theirs) in cases {
            let ours = differential_entropy(&p);
            // statrs evaluates the same two-term sum (its constants rounded
            // once, ln within 2u, one addition; for Laplace ln(2b) with 2b
            // exact), so it obeys the same bound as ours.
            let tol = 2.0 * entropy_bound(&p, ours);
            assert!(
                (ours - theirs).abs() <= tol,
                "{p:?}: ours {ours}, statrs {theirs}, tol {tol}"
            );
        }
    }
}

#[test]
fn ln_pdf_agrees_with_statrs_ln_pdf() {
    let mut rng = ChaCha8Rng::seed_from_u64(STATRS_SEED + 1);
    for _ in 0..2000 {
        let m = rng.random_range(-100.0..100.0);
        let s = rng.random_range(-10.0..10.0_f64).exp();
        let x = m + s * rng.random_range(-30.0..30.0);
        let d = (x - m).abs() / s;
        let ln_s = s.ln().abs();

        // Normal: both sides are −½d² − ½ln 2π − ln σ with ≤ 7u·(magnitude
        // sum) error each (see `normal_ln_pdf_err`).
        let ours = normal(m, s).ln_pdf(x);
        let theirs = Normal::new(m, s).unwrap().ln_pdf(x);
        let tol = 2.0 * normal_ln_pdf_err(x, m, s);
        assert!(
            (ours - theirs).abs() <= tol,
            "normal {m} {s} at {x}: {ours} vs {theirs}"
        );

        // Exponential at x' = |x − m|: ln λ − λx' on both sides, ≤ 3u·(|ln λ| + λx')
        // each.
        let xe = (x - m).abs();
        let ours = exponential(s).ln_pdf(xe);
        let theirs = Exp::new(s).unwrap().ln_pdf(xe);
        let tol = 6.0 * U * (ln_s + s * xe);
        assert!(
            (ours - theirs).abs() <= tol,
            "exponential {s} at {xe}: {ours} vs {theirs}"
        );

        // Laplace: ours −d − (ln b + ln 2) within 4u·(d + |ln b| + ln 2);
        // statrs ln(exp(−d)/(2b)) within (4d + 4 + 2|ln 2b|)u (see the
        // quadrature test).
        let ours = laplace(m, s).ln_pdf(x);
        let theirs = Laplace::new(m, s).unwrap().ln_pdf(x);
        let tol = 4.0 * U * (d + ln_s + 0.7) + (4.0 * d + 4.0 + 2.0 * (2.0 * s).ln().abs()) * U;
        assert!(
            (ours - theirs).abs() <= tol,
            "laplace {m} {s} at {x}: {ours} vs {theirs}"
        );
    }
    assert_eq!(exponential(2.0).ln_pdf(-1.0e-300), f64::NEG_INFINITY);
}
