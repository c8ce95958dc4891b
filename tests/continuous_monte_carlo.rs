//! Evidence for the closed-form measures of `measures::continuous`: consistency with Monte Carlo
//! estimates of the defining expectations.
//!
//! Every floating-point comparison uses a bound derived from the computation
//! it checks: `U = 2⁻⁵³` (the unit roundoff of `f64`) times a condition
//! quantity for that case, with the derivation written next to it. Reference
//! values say where they come from. Monte Carlo assertions state their
//! false-failure probability; all random streams have fixed, named seeds.
//! The library's error bounds these tests rely on are listed in
//! `tests/common/continuous.rs`.

mod common;

use common::continuous::{exponential, laplace, normal};

use logloss_proofs::estimators::budget::{level, z_two_sided};
use logloss_proofs::measures::continuous::{Continuous, cross_entropy, kl_divergence};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Continuous as StatrsContinuous, Exp, Laplace, Normal};

use logloss_proofs::numerics::U;

// ---------------------------------------------------------------------------
// Monte Carlo
// ---------------------------------------------------------------------------

/// Samples per Monte Carlo estimate.
const MC_SAMPLES: usize = 200_000;
/// Seeds of the Monte Carlo streams, one per family.
const MC_SEED_NORMAL: u64 = 0x4d43_0001;
const MC_SEED_EXPONENTIAL: u64 = 0x4d43_0002;
const MC_SEED_LAPLACE: u64 = 0x4d43_0003;
/// The false-failure probability the suite's budget allots to the Monte
/// Carlo assertion `name` (`estimators::budget`, Bonferroni: 1e−6 over all
/// registered assertions), and its two-sided normal quantile
/// `z = −Φ⁻¹(α/2)`. Panics if the assertion is not registered.
fn mc_level(name: &str) -> (f64, f64) {
    let alpha = 1.0 - level(name);
    (alpha, z_two_sided(alpha))
}

/// Sample mean and sample standard deviation (two-pass), plus the mean of
/// `|v|` for the summation-rounding bound.
fn mean_sd(values: &[f64]) -> (f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    let mean_abs = values.iter().map(|v| v.abs()).sum::<f64>() / n;
    (mean, var.sqrt(), mean_abs)
}

/// Asserts the closed form is consistent with the sample mean at the
/// false-failure probability the budget allots to `name` (normal
/// approximation to the sample mean, which applies: every sampled quantity
/// here has finite variance). The recursive summation of `n` terms adds at
/// most `n·u·mean|v|` of rounding, which is included though it is ~1e−11 here.
fn assert_consistent(what: &str, name: &str, closed: f64, values: &[f64]) {
    let (alpha, z) = mc_level(name);
    let (mean, sd, mean_abs) = mean_sd(values);
    let n = values.len() as f64;
    let tol = z * sd / n.sqrt() + n * U * mean_abs;
    assert!(
        (mean - closed).abs() <= tol,
        "{what}: closed form {closed} not consistent with Monte Carlo mean {mean} at \
         false-failure probability {alpha:e} (|diff| {} > {tol}, z {z}, s {sd}, n {n})",
        (mean - closed).abs()
    );
}

/// Two assertions, CE and KL, registered as `continuous/{family}/pair-{pair}/…`:
/// the crate's closed forms CE(pc, qc) and KL(pc‖qc) against the Monte Carlo
/// means of −ln q(X) and ln p(X) − ln q(X), X ~ p, with `p` and `q` the same
/// distributions in statrs (sampled and evaluated independently of the
/// crate).
fn monte_carlo<D>(
    what: &str,
    (family, pair): (&str, usize),
    rng: &mut ChaCha8Rng,
    (p, q): (D, D),
    (pc, qc): (Continuous, Continuous),
) where
    D: rand::distr::Distribution<f64> + StatrsContinuous<f64, f64> + Copy,
{
    let ce = cross_entropy(&pc, &qc).unwrap();
    let kl = kl_divergence(&pc, &qc).unwrap();
    let xs: Vec<f64> = (0..MC_SAMPLES).map(|_| rng.sample(p)).collect();
    let ce_values: Vec<f64> = xs.iter().map(|&x| -q.ln_pdf(x)).collect();
    let kl_values: Vec<f64> = xs.iter().map(|&x| p.ln_pdf(x) - q.ln_pdf(x)).collect();
    let name = |m: &str| format!("continuous/{family}/pair-{pair}/{m}");
    assert_consistent(&format!("{what} CE"), &name("ce"), ce, &ce_values);
    assert_consistent(&format!("{what} KL"), &name("kl"), kl, &kl_values);
}

// Each test below makes 2 assertions per pair, 24 in all, each registered in
// the suite's budget (`estimators::budget::ASSERTIONS`) at its Bonferroni share.

#[test]
fn normal_measures_are_consistent_with_monte_carlo() {
    let mut rng = ChaCha8Rng::seed_from_u64(MC_SEED_NORMAL);
    for (pair, (mp, sp, mq, sq)) in [
        (0.0, 1.0, 0.0, 1.0),
        (0.0, 1.0, 1.0, 2.0),
        (2.0, 0.5, -1.0, 3.0),
        (-3.0, 4.0, 0.5, 2.5),
    ]
    .into_iter()
    .enumerate()
    {
        monte_carlo(
            &format!("normal ({mp}, {sp}) vs ({mq}, {sq})"),
            ("normal", pair + 1),
            &mut rng,
            (Normal::new(mp, sp).unwrap(), Normal::new(mq, sq).unwrap()),
            (normal(mp, sp), normal(mq, sq)),
        );
    }
}

#[test]
fn exponential_measures_are_consistent_with_monte_carlo() {
    let mut rng = ChaCha8Rng::seed_from_u64(MC_SEED_EXPONENTIAL);
    for (pair, (lp, lq)) in [(1.0, 1.0), (1.0, 2.0), (3.0, 0.5), (0.2, 0.3)]
        .into_iter()
        .enumerate()
    {
        monte_carlo(
            &format!("exponential {lp} vs {lq}"),
            ("exponential", pair + 1),
            &mut rng,
            (Exp::new(lp).unwrap(), Exp::new(lq).unwrap()),
            (exponential(lp), exponential(lq)),
        );
    }
}

#[test]
fn laplace_measures_are_consistent_with_monte_carlo() {
    let mut rng = ChaCha8Rng::seed_from_u64(MC_SEED_LAPLACE);
    for (pair, (mp, bp, mq, bq)) in [
        (0.0, 1.0, 0.0, 1.0),
        (0.0, 1.0, 0.3, 1.0),
        (2.0, 0.5, -1.0, 3.0),
        (-3.0, 4.0, 0.5, 2.5),
    ]
    .into_iter()
    .enumerate()
    {
        monte_carlo(
            &format!("laplace ({mp}, {bp}) vs ({mq}, {bq})"),
            ("laplace", pair + 1),
            &mut rng,
            (Laplace::new(mp, bp).unwrap(), Laplace::new(mq, bq).unwrap()),
            (laplace(mp, bp), laplace(mq, bq)),
        );
    }
}
