//! Evidence for the closed-form measures of `measures::continuous`: agreement with the `statrs` crate's
//! entropies and log-densities.
//!
//! Every floating-point comparison uses a bound derived from the computation
//! it checks: `U = 2⁻⁵³` (the unit roundoff of `f64`) times a condition
//! quantity for that case, with the derivation written next to it. Reference
//! values say where they come from. Monte Carlo assertions state their
//! false-failure probability; all random streams have fixed, named seeds.
//! The library's error bounds these tests rely on are listed in
//! `tests/common/continuous.rs`.

mod common;

use common::continuous::{entropy_bound, exponential, laplace, normal, normal_ln_pdf_err};

use logloss_proofs::measures::continuous::differential_entropy;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Continuous as _, Exp, Laplace, Normal};
use statrs::statistics::Distribution as _;

use logloss_proofs::numerics::U;

// ---------------------------------------------------------------------------
// Agreement with statrs
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
