//! Evidence for the closed-form measures of `measures::continuous`: the identity CE = h + KL against
//! each family's textbook cross-entropy, exact zeros, and Gibbs' inequality.
//!
//! Every floating-point comparison uses a bound derived from the computation
//! it checks: `U = 2⁻⁵³` (the unit roundoff of `f64`) times a condition
//! quantity for that case, with the derivation written next to it. Reference
//! values say where they come from. Monte Carlo assertions state their
//! false-failure probability; all random streams have fixed, named seeds.
//! The library's error bounds these tests rely on are listed in
//! `tests/common/continuous.rs`.

mod common;

use common::continuous::{cross_entropy_bound, exponential, laplace, normal};
use std::f64::consts::PI;

use logloss_proofs::measures::continuous::{
    Continuous, cross_entropy, differential_entropy, kl_divergence,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

use logloss_proofs::numerics::U;

// ---------------------------------------------------------------------------
// Strategies
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

// ---------------------------------------------------------------------------
// CE = h + KL
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
    // The identity, from two independent sides: −∫ p ln q by its own textbook
    // closed form (never through KL), against h + KL from the library's
    // entropy and divergence. The library's `cross_entropy` is fl(h + KL), so
    // comparing it with h + KL would check one addition, not the identity.
    // Tolerance: the direct formula's rounding bound, plus the bounds of h
    // and KL and one rounding of their sum (`cross_entropy_bound` with the
    // exact-sum magnitude |h + KL|).
    let (direct, direct_err) = direct;
    let sum = h + kl;
    let tol = direct_err + cross_entropy_bound(p, h, kl, sum);
    prop_assert!(
        (sum - direct).abs() <= tol,
        "h + KL {sum} vs textbook CE {direct}: diff {} > tol {tol}",
        (sum - direct).abs()
    );
    // And the library's own CE against the same textbook value.
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
// Exact zeros and Gibbs' inequality
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
