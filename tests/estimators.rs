//! The Monte Carlo gap estimator against exact and asymptotic theory.
//!
//! Every statistical assertion is registered in
//! `logloss_proofs::estimators::budget` and uses its allotted level, so the
//! suite's nominal family-wise false-failure probability at its fixed seeds
//! stays below 1e−6. A pass means the estimates are *consistent with* the
//! theory at that level; it proves nothing more.

use logloss_proofs::estimators::budget::{level, z_two_sided};
use logloss_proofs::estimators::{Expected, GapConfig, GapEstimate, estimate_gap};
use statrs::distribution::ContinuousCDF;

const SEED: u64 = 20_261_128;

fn run(model: &str, truth: &str, n: usize, reps: u64, level: f64) -> GapEstimate {
    let config = GapConfig {
        model: model.parse().unwrap(),
        truth: truth.parse().unwrap(),
        n,
        reps,
        seed: SEED,
        level,
    };
    estimate_gap(&config, &|_| {}).unwrap()
}

fn finite(e: Option<Expected>) -> f64 {
    match e {
        Some(Expected::Finite(x)) => x,
        other => panic!("expected a finite exact value, got {other:?}"),
    }
}

/// Asserts that the interval of the named assertion's level covers `exact`.
fn assert_covers(name: &str, est: &logloss_proofs::estimators::Estimate, exact: f64) {
    assert!(
        est.interval.contains(exact),
        "{name}: exact {exact:e} outside [{:e}, {:e}] (mean {:e} ± {:e}) at level 1 − {:e}",
        est.interval.low,
        est.interval.high,
        est.mean,
        est.std_error,
        1.0 - est.interval.level
    );
}

#[test]
fn normal_model_on_normal_data_matches_the_exact_gap_and_excess_risk() {
    for (n, reps) in [(10usize, 40_000u64), (40, 20_000), (200, 10_000)] {
        let prefix = format!("gap/normal-normal/n={n}");
        // One run per n at the strictest of its three levels (they are equal).
        let lvl = level(&format!("{prefix}/control-variate"));
        let e = run("normal", "normal:1,2", n, reps, lvl);
        // n = 10 checks the estimator with the zero-mean term dropped only;
        // n = 40 and 200 the cubic control variate too (s² = 2/n ≤ 1/16).
        let cv = if n >= 32 { "cubic" } else { "zero-mean term" };
        assert_eq!(e.control_variate.name(), cv, "n = {n}");
        let exact_gap = finite(e.theory.exact_gap);
        assert_eq!(exact_gap, 2.0 / (n as f64 - 3.0)); // the closed form, see theory.rs
        assert_covers(&format!("{prefix}/control-variate"), &e.gap, exact_gap);
        assert_covers(&format!("{prefix}/raw"), &e.gap_raw, exact_gap);
        assert_covers(
            &format!("{prefix}/excess-risk"),
            &e.excess_risk,
            finite(e.theory.exact_excess_risk),
        );
    }
}

/// Runs the estimator at the level of `{prefix}/control-variate` and asserts
/// that the control-variate gap and the excess risk cover their exact values
/// (`{prefix}/control-variate` and `{prefix}/excess-risk`).
fn assert_exact_values_covered(prefix: &str, model: &str, truth: &str, n: usize, reps: u64) {
    let e = run(
        model,
        truth,
        n,
        reps,
        level(&format!("{prefix}/control-variate")),
    );
    assert_covers(
        &format!("{prefix}/control-variate"),
        &e.gap,
        finite(e.theory.exact_gap),
    );
    assert_covers(
        &format!("{prefix}/excess-risk"),
        &e.excess_risk,
        finite(e.theory.exact_excess_risk),
    );
}

#[test]
fn exponential_model_on_exponential_data_matches_the_exact_gap() {
    // n = 5: the zero-mean term dropped only (s² = 1/5 > 1/16); n = 50: the
    // cubic control variate, whose mean uses the skewness 2.
    for (n, reps) in [(5usize, 40_000u64), (50, 20_000)] {
        let prefix = format!("gap/exponential-exponential/n={n}");
        assert_exact_values_covered(&prefix, "exponential", "exponential:2.5", n, reps);
    }
}

#[test]
fn smoothed_categorical_matches_exact_binomial_sums() {
    assert_exact_values_covered(
        "gap/categorical-smoothed/n=30",
        "categorical:0.5",
        "categorical:0.5,0.3,0.15,0.05",
        30,
        20_000,
    );
}

/// The fraction of replicates with an infinite gap is a binomial proportion;
/// its normal-approximation interval at the allotted level must cover the
/// exact probability that some category is never drawn.
fn assert_infinite_fraction(name: &str, e: &GapEstimate, p_missing: f64) {
    let reps = e.config.reps as f64;
    let f = e.gap_raw.infinite_fraction;
    let z = z_two_sided(1.0 - level(name));
    let half = z * (p_missing * (1.0 - p_missing) / reps).sqrt();
    assert!(
        (f - p_missing).abs() <= half,
        "{name}: fraction {f} vs exact {p_missing} ± {half}"
    );
    assert_eq!(e.theory.exact_gap, Some(Expected::Infinite));
    assert_eq!(
        e.gap.mean,
        f64::INFINITY,
        "an infinite expectation is reported as such"
    );
}

#[test]
fn unsmoothed_categorical_mle_has_infinite_expected_gap_and_says_so() {
    let p = [0.9, 0.09, 0.01];
    let n = 50;
    let e = run("categorical", "categorical:0.9,0.09,0.01", n, 10_000, 0.95);
    // P(some category missed) by inclusion–exclusion over the three categories.
    let miss = |s: f64| (1.0 - s).powi(n as i32);
    let p_missing = miss(p[0]) + miss(p[1]) + miss(p[2])
        - miss(p[0] + p[1])
        - miss(p[0] + p[2])
        - miss(p[1] + p[2]);
    assert_infinite_fraction("gap/categorical-mle/n=50/infinite-fraction", &e, p_missing);

    let e = run("bernoulli", "categorical:0.8,0.2", 8, 10_000, 0.95);
    let p_missing = 0.8f64.powi(8) + 0.2f64.powi(8);
    assert_infinite_fraction("gap/bernoulli-mle/n=8/infinite-fraction", &e, p_missing);
}

#[test]
fn unsmoothed_categorical_of_a_one_hot_truth_has_a_finite_zero_gap() {
    use logloss_proofs::estimators::theory;
    // Every draw is category 2, so q̂ = (0, 1, 0) = p whatever the sample:
    // training and true risk are both −ln 1 = 0 and KL(p‖q̂) = 0 (0·ln 0 = 0),
    // all exactly. No category with 0 < pₖ < 1 can be missed, so unlike the
    // case above nothing is infinite.
    let t = theory(
        "categorical".parse().unwrap(),
        &"categorical:0,1,0".parse().unwrap(),
        20,
    )
    .unwrap();
    assert_eq!(t.exact_gap, Some(Expected::Finite(0.0)));
    assert_eq!(t.exact_excess_risk, Some(Expected::Finite(0.0)));
    let e = run("categorical", "categorical:0,1,0", 20, 200, 0.95);
    assert_eq!((e.gap.mean, e.gap.std_error), (0.0, 0.0));
}

/// n·E[gap] = tr(J⁻¹K) + c₁/n + c₂/n² + c₃/n³ + …. Richardson extrapolation
/// from n₁, 2n₁ and 4n₁ removes the unknown c₁/n and c₂/n² terms: with
/// aᵢ = nᵢ·E[gap](nᵢ), the weights of the quadratic through (1/nᵢ, aᵢ) at
/// 0 give a₁/3 − 2a₂ + 8a₃/3, which leaves c₃/(8n₁³) (8·10⁻⁸·c₃ at n₁ =
/// 250, far below the interval's half-width unless |c₃| is of order 10⁴ or
/// more). Removing c₂/n² matters: with the cubic control variate the
/// standard error is small enough (about 2·10⁻⁴ for the uniform truth) that
/// the two-point (4a₂ − a₁)/3, which leaves −4·10⁻⁶·c₂ at n₁ = 250, would
/// be off by more than a standard error. The standard error combines the
/// three independent runs' errors.
fn extrapolated(model: &str, truth: &str, reps: u64) -> (f64, f64) {
    let n1 = 250usize;
    let (mut estimate, mut variance) = (0.0, 0.0);
    for (n, w) in [(n1, 1.0 / 3.0), (2 * n1, -2.0), (4 * n1, 8.0 / 3.0)] {
        let e = run(model, truth, n, reps, 0.95);
        let (a, s) = (n as f64 * e.gap.mean, n as f64 * e.gap.std_error);
        estimate += w * a;
        variance += w * w * s * s;
    }
    (estimate, variance.sqrt())
}

#[test]
fn misspecified_normal_model_follows_takeuchi_not_akaike() {
    for (truth, name, tr) in [
        // tr(J⁻¹K) = 1 + (kurtosis − 1)/2: Laplace kurtosis 6 → 3.5, uniform
        // 9/5 → 1.4, exponential 9 → 5 (a skewed truth: the cubic control
        // variate's mean must not depend on the skewness for the Normal model).
        ("laplace:0,1", "normal-laplace", 3.5),
        ("uniform:-1,3", "normal-uniform", 1.4),
        ("exponential:1", "normal-exponential", 5.0),
    ] {
        let (estimate, se) = extrapolated("normal", truth, 20_000);
        let take = format!("gap/{name}/takeuchi");
        let z = z_two_sided(1.0 - level(&take));
        assert!(
            (estimate - tr).abs() <= z * se,
            "{take}: {estimate} ± {z}·{se} vs tr = {tr}"
        );
        // Akaike's d = 2 lies outside the same interval: visibly not d. Under
        // the true claim (n·E[gap] → tr ≠ d) this fails only when the
        // estimate lands within z·se of d, so its failure probability is a
        // power shortfall, not a false failure of the kind the budget bounds:
        // it is not in the budget. Instead its power is derived. With the
        // estimate ≈ N(tr, se²) (se from this run, 3 × 20,000 replicates, so
        // within about 1% of the truth), the shortfall is
        // Φ(z − δ) − Φ(−z − δ), δ = |tr − d|/se, and it must not exceed 1e−6.
        let delta = (tr - 2.0).abs() / se;
        let normal = statrs::distribution::Normal::standard();
        let shortfall = normal.cdf(z - delta) - normal.cdf(-z - delta);
        println!(
            "gap/{name}: {estimate} ± {se:.1e} vs tr = {tr} ({:+.2} se); δ = {delta:.1}, z = {z:.2}, power shortfall {shortfall:.1e}",
            (estimate - tr) / se
        );
        assert!(
            shortfall <= 1e-6,
            "gap/{name}: power against d = 2 is only 1 − {shortfall:e} (δ = {delta}, z = {z})"
        );
        assert!(
            (estimate - 2.0).abs() > z * se,
            "gap/{name}: {estimate} ± {z}·{se} does not exclude d = 2"
        );
    }
}

#[test]
fn results_are_bit_identical_at_any_thread_count() {
    let config = GapConfig {
        model: "normal".parse().unwrap(),
        truth: "laplace:0,1".parse().unwrap(),
        n: 50,
        reps: 3_000,
        seed: 7,
        level: 0.95,
    };
    let with = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| estimate_gap(&config, &|_| {}).unwrap())
    };
    let (one, two, four) = (with(1), with(2), with(4));
    assert_eq!(one, two);
    assert_eq!(one, four);
}

#[test]
fn control_variate_reduces_the_variance() {
    // A measured property at a fixed seed, not a statistical assertion: the
    // zero-mean term's variance is of order 1/n, the halves' of order n⁻²
    // (a reduction of about 90 here) and the cubic remainder's of order n⁻⁴
    // (about 700 times less again: some 6·10⁴ in all).
    let e = run("normal", "laplace:0,1", 1000, 2_000, 0.95);
    assert_eq!(e.control_variate.name(), "cubic");
    assert!(e.variance_reduction > 10_000.0, "{}", e.variance_reduction);
}

#[test]
fn bad_configurations_are_typed_errors() {
    use logloss_proofs::estimators::{GapError, SpecError};
    let config = |model: &str,
                  truth: &str,
                  n: usize,
                  reps: u64,
                  level: f64|
     -> Result<GapConfig, SpecError> {
        Ok(GapConfig {
            model: model.parse()?,
            truth: truth.parse()?,
            n,
            reps,
            seed: 1,
            level,
        })
    };
    assert!(matches!(
        config("gamma", "normal:0,1", 10, 10, 0.9),
        Err(SpecError::UnknownFamily { .. })
    ));
    assert!(matches!(
        config("normal", "normal:0,-1", 10, 10, 0.9),
        Err(SpecError::BadParameter { .. })
    ));
    assert!(matches!(
        config("normal", "categorical:0.5,0.6", 10, 10, 0.9),
        Err(SpecError::Probabilities(_))
    ));
    let c = config("normal", "normal:0,1", 1, 10, 0.9).unwrap();
    assert_eq!(estimate_gap(&c, &|_| {}), Err(GapError::TooFewPoints(1)));
    let c = config("exponential", "normal:0,1", 10, 10, 0.9).unwrap();
    assert!(matches!(
        estimate_gap(&c, &|_| {}),
        Err(GapError::Spec(SpecError::Incompatible { .. }))
    ));
    // A truth built directly, bypassing the parser, is validated too.
    let mut c = config("normal", "normal:0,1", 10, 10, 0.9).unwrap();
    c.truth = logloss_proofs::estimators::Truth::Normal {
        mean: 0.0,
        std_dev: f64::NAN,
    };
    assert!(matches!(
        estimate_gap(&c, &|_| {}),
        Err(GapError::Spec(SpecError::BadParameter { .. }))
    ));
    c.model = logloss_proofs::estimators::Model::Categorical { alpha: -1.0 };
    c.truth = "categorical:0.5,0.5".parse().unwrap();
    assert!(matches!(
        estimate_gap(&c, &|_| {}),
        Err(GapError::Spec(SpecError::BadParameter { .. }))
    ));
    let c = config("normal", "student-t:2", 10, 10, 0.9).unwrap();
    assert!(matches!(
        estimate_gap(&c, &|_| {}),
        Err(GapError::Spec(SpecError::Incompatible { .. }))
    ));
}

#[test]
fn k1_and_k3_are_unbiased_and_k3_is_the_less_variable() {
    use logloss_proofs::estimators::estimate_kl;
    // E_p[r²] < ∞ for both pairs (q's tails are at least as heavy as p's and
    // the scale ratio keeps ∫q²/p finite), so the CLT intervals apply.
    for (from, to, name) in [
        ("normal:0,1", "normal:0.1,1", "normal"),
        ("laplace:0,1", "laplace:0.3,1.2", "laplace"),
    ] {
        let e = estimate_kl(&from.parse().unwrap(), &to.parse().unwrap(), 400_000, SEED).unwrap();
        for (k, est) in [("k1", &e.k1), ("k3", &e.k3)] {
            let assertion = format!("kl-estimators/{name}/{k}-unbiased");
            let z = z_two_sided(1.0 - level(&assertion));
            assert!(
                (est.mean - e.true_kl).abs() <= z * est.std_error,
                "{assertion}: {} vs {} ± {}·{}",
                est.mean,
                e.true_kl,
                z,
                est.std_error
            );
        }
        // The relative figures are the stated quotients of the reported
        // fields: one IEEE division each, so the same bits.
        for est in [&e.k1, &e.k2, &e.k3] {
            assert_eq!(est.std_over_kl, est.std / e.true_kl, "{name}");
            assert_eq!(
                est.bias_over_kl,
                (est.mean - e.true_kl) / e.true_kl,
                "{name}"
            );
        }
        // A measured fact at this seed, not a statistical assertion.
        assert!(
            e.k3.std < e.k1.std,
            "{name}: k3 std {} vs k1 std {}",
            e.k3.std,
            e.k1.std
        );
    }
}

/// Observed coverage of the 95% gap interval over many seeds, against the
/// exact E[gap] of the Normal model on normal data. Slow; run with
/// `cargo test --release --test estimators -- --ignored --nocapture`.
///
/// The count of covering seeds is Binomial(seeds, coverage); the assertion
/// checks that 0.95 lies in its two-sided 1 − 1e−6 normal-approximation
/// interval (false-failure probability about 1e−6 when the intervals are
/// calibrated; this test is outside the default suite's budget).
#[test]
#[ignore]
fn coverage_sweep_of_the_gap_interval() {
    let seeds = 400u64;
    for (n, reps) in [(10usize, 2_000u64), (50, 2_000)] {
        let mut covered = 0u64;
        for s in 0..seeds {
            let config = GapConfig {
                model: "normal".parse().unwrap(),
                truth: "normal:0,1".parse().unwrap(),
                n,
                reps,
                seed: s,
                level: 0.95,
            };
            let e = estimate_gap(&config, &|_| {}).unwrap();
            covered += u64::from(e.gap.interval.contains(finite(e.theory.exact_gap)));
        }
        let rate = covered as f64 / seeds as f64;
        let half = z_two_sided(1e-6) * (0.95 * 0.05 / seeds as f64).sqrt();
        println!(
            "n = {n}: {covered}/{seeds} seeds covered, rate {rate:.4} (nominal 0.95 ± {half:.4})"
        );
        assert!((rate - 0.95).abs() <= half, "n = {n}: coverage {rate}");
    }
}

#[test]
fn clopper_pearson_matches_closed_forms_at_the_ends() {
    use logloss_proofs::claims::calibration::clopper_pearson;
    // x = 0: high = 1 − (α/2)^(1/n); x = n: low = (α/2)^(1/n). Bisection stops at
    // adjacent doubles, so the error is that of the incomplete beta I divided by
    // its slope at the root: |Δp| ≤ |ΔI| / I'(p), and I'(p) = n·p^(n−1) ≥ 0.26
    // at these roots (n = 5 is the smallest). The bound 1e−12 allows |ΔI| up to
    // 2.6e−13, far above the ~1e−15 of statrs' special functions.
    for n in [5u64, 20, 100] {
        let (lo, hi) = clopper_pearson(0, n, 0.95);
        assert_eq!(lo, 0.0);
        assert!(
            (hi - (1.0 - 0.025f64.powf(1.0 / n as f64))).abs() <= 1e-12,
            "n = {n}: {hi}"
        );
        let (lo, hi) = clopper_pearson(n, n, 0.95);
        assert_eq!(hi, 1.0);
        assert!(
            (lo - 0.025f64.powf(1.0 / n as f64)).abs() <= 1e-12,
            "n = {n}: {lo}"
        );
    }
}
