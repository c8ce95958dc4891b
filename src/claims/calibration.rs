//! Calibration of the crate's statistical checks: rerun each under many seeds
//! where the claim is true, at a level where false failures are frequent
//! enough to count, and compare the observed rate with the nominal one.

use rayon::prelude::*;
use statrs::function::beta::beta_reg;

use crate::estimators::budget::z_two_sided;
use crate::estimators::{Expected, GapConfig, Shard, estimate_gap, estimate_kl};

/// The confidence of the Clopper–Pearson interval around each observed rate.
pub const INTERVAL_CONFIDENCE: f64 = 0.999;

/// One statistical check's calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationCheck {
    /// The check's name.
    pub id: &'static str,
    /// Seeds run.
    pub runs: u64,
    /// Runs in which the check failed although its claim is true.
    pub false_failures: u64,
    /// false_failures / runs.
    pub rate: f64,
    /// Clopper–Pearson interval for the true false-failure rate, at [`INTERVAL_CONFIDENCE`].
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Whether the interval holds the nominal level.
    pub consistent: bool,
}

/// The result of [`calibrate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The nominal false-failure level each check was run at.
    pub level: f64,
    /// Seeds per check.
    pub seeds: u64,
    /// One entry per check.
    pub checks: Vec<CalibrationCheck>,
}

/// A calibration input error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// The level is outside (0, 1).
    #[error("level = {0} must be in (0, 1)")]
    BadLevel(f64),
    /// Fewer than one seed.
    #[error("seeds = 0: at least one seed is needed")]
    NoSeeds,
    /// Merged counts that are not one per check, or count more false
    /// failures than seeds.
    #[error("false-failure counts {counts:?} for {checks} checks of {seeds} seeds each")]
    WrongCounts {
        /// The counts given.
        counts: Vec<u64>,
        /// The number of checks.
        checks: usize,
        /// Seeds per check.
        seeds: u64,
    },
}

/// Solves f(x) = target for increasing f on [0, 1] by bisection to the last bit.
fn bisect(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    // 1100 halvings reach adjacent doubles anywhere in [0, 1], subnormals included.
    for _ in 0..1100 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The exact (Clopper–Pearson) interval for a binomial proportion with `x`
/// successes in `n` trials at confidence `confidence`:
///
/// ```text
/// low  solves  P(X ≥ x | p) = (1 − c)/2,  i.e.  I_p(x, n − x + 1) = (1 − c)/2
/// high solves  P(X ≤ x | p) = (1 − c)/2,  i.e.  I_p(x + 1, n − x) = 1 − (1 − c)/2
/// ```
///
/// solved by bisection on statrs' regularized incomplete beta (not its beta
/// quantile), so the result is the root to the last bit of the CDF's accuracy.
///
/// ```
/// use logloss_proofs::claims::calibration::clopper_pearson;
/// let (lo, hi) = clopper_pearson(0, 10, 0.95);
/// assert_eq!(lo, 0.0);
/// assert!((hi - (1.0 - 0.025f64.powf(0.1))).abs() < 1e-12); // closed form for x = 0
/// ```
pub fn clopper_pearson(x: u64, n: u64, confidence: f64) -> (f64, f64) {
    let tail = 0.5 * (1.0 - confidence);
    let (xf, nf) = (x as f64, n as f64);
    let low = if x == 0 {
        0.0
    } else {
        bisect(|p| beta_reg(xf, nf - xf + 1.0, p), tail)
    };
    let high = if x == n {
        1.0
    } else {
        bisect(|p| beta_reg(xf + 1.0, nf - xf, p), 1.0 - tail)
    };
    (low, high)
}

type Check = fn(u64, f64) -> bool;

fn gap_covers(
    model: &str,
    truth: &str,
    n: usize,
    reps: u64,
    seed: u64,
    alpha: f64,
    which: u8,
) -> bool {
    let config = GapConfig {
        model: model.parse().expect("valid model"),
        truth: truth.parse().expect("valid truth"),
        n,
        reps,
        seed,
        level: 1.0 - alpha,
    };
    let e = estimate_gap(&config, &|_| {}).expect("valid configuration");
    let (est, exact) = match which {
        0 => (e.gap, e.theory.exact_gap),
        1 => (e.gap_raw, e.theory.exact_gap),
        _ => (e.excess_risk, e.theory.exact_excess_risk),
    };
    match exact {
        Some(Expected::Finite(x)) => !est.interval.contains(x),
        _ => true,
    }
}

fn kl_unbiased(seed: u64, alpha: f64, k3: bool) -> bool {
    let e = estimate_kl(
        &"normal:0,1".parse().expect("valid"),
        &"normal:0.5,1".parse().expect("valid"),
        20_000,
        seed,
    )
    .expect("same family");
    let est = if k3 { e.k3 } else { e.k1 };
    (est.mean - e.true_kl).abs() > z_two_sided(alpha) * est.std_error
}

/// The statistical checks of the test suite, each as (id, false-failure test at level α).
pub const CHECKS: [(&str, Check); 7] = [
    ("gap/normal-normal/control-variate", |s, a| {
        gap_covers("normal", "normal:0,1", 20, 1_000, s, a, 0)
    }),
    ("gap/normal-normal/raw", |s, a| {
        gap_covers("normal", "normal:0,1", 20, 1_000, s, a, 1)
    }),
    ("gap/normal-normal/excess-risk", |s, a| {
        gap_covers("normal", "normal:0,1", 20, 1_000, s, a, 2)
    }),
    ("gap/exponential-exponential/control-variate", |s, a| {
        gap_covers("exponential", "exponential:1", 20, 1_000, s, a, 0)
    }),
    ("gap/categorical-smoothed/control-variate", |s, a| {
        gap_covers(
            "categorical:0.5",
            "categorical:0.5,0.3,0.15,0.05",
            20,
            1_000,
            s,
            a,
            0,
        )
    }),
    ("kl-estimators/k1-unbiased", |s, a| kl_unbiased(s, a, false)),
    ("kl-estimators/k3-unbiased", |s, a| kl_unbiased(s, a, true)),
];

/// Reruns every statistical check under seeds 0..`seeds` at nominal
/// false-failure level `level`, where every claim is true.
///
/// # Errors
/// [`CalibrationError`] for a level outside (0, 1) or zero seeds.
pub fn calibrate(seeds: u64, level: f64) -> Result<Calibration, CalibrationError> {
    let counts = calibrate_shard(seeds, level, Shard::WHOLE)?;
    finish_calibration(seeds, level, &counts)
}

fn validate(seeds: u64, level: f64) -> Result<(), CalibrationError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(CalibrationError::BadLevel(level));
    }
    if seeds == 0 {
        return Err(CalibrationError::NoSeeds);
    }
    Ok(())
}

/// The false failures of each check (in the order of [`CHECKS`]) over the
/// seeds of `shard` among 0..`seeds` ([`Shard::units`]): the part of
/// [`calibrate`]'s work one machine of many does. The counts of all shards
/// add up to the whole run's.
///
/// # Errors
/// As [`calibrate`].
pub fn calibrate_shard(seeds: u64, level: f64, shard: Shard) -> Result<Vec<u64>, CalibrationError> {
    validate(seeds, level)?;
    let mine: Vec<u64> = shard.units(seeds).collect();
    Ok(CHECKS
        .iter()
        .map(|&(_, check)| mine.par_iter().filter(|&&s| check(s, level)).count() as u64)
        .collect())
}

/// The calibration from the false failures of each check over all
/// `seeds` seeds (the sums of [`calibrate_shard`]'s counts).
///
/// # Errors
/// As [`calibrate`], and [`CalibrationError::WrongCounts`] unless there is
/// one count per check, each at most `seeds`.
pub fn finish_calibration(
    seeds: u64,
    level: f64,
    counts: &[u64],
) -> Result<Calibration, CalibrationError> {
    validate(seeds, level)?;
    if counts.len() != CHECKS.len() || counts.iter().any(|&k| k > seeds) {
        return Err(CalibrationError::WrongCounts {
            counts: counts.to_vec(),
            checks: CHECKS.len(),
            seeds,
        });
    }
    let checks = CHECKS
        .iter()
        .zip(counts)
        .map(|(&(id, _), &false_failures)| {
            let (ci_low, ci_high) = clopper_pearson(false_failures, seeds, INTERVAL_CONFIDENCE);
            CalibrationCheck {
                id,
                runs: seeds,
                false_failures,
                rate: false_failures as f64 / seeds as f64,
                ci_low,
                ci_high,
                consistent: ci_low <= level && level <= ci_high,
            }
        })
        .collect();
    Ok(Calibration {
        level,
        seeds,
        checks,
    })
}

/// How strong a planted violation must be for a check to catch it.
#[derive(Debug, Clone, PartialEq)]
pub struct Power {
    /// The check and the planted violation.
    pub id: &'static str,
    /// What was planted, in words.
    pub planted: &'static str,
    /// The effect sizes tried, with the fraction of seeds in which the check caught each.
    pub detection: Vec<(f64, f64)>,
    /// The smallest effect tried that was caught in at least 90% of seeds (None if none was).
    pub smallest_effect_at_90: Option<f64>,
    /// Seeds per effect.
    pub seeds: u64,
}

fn smallest_at_90(detection: &[(f64, f64)]) -> Option<f64> {
    detection
        .iter()
        .find(|&&(_, rate)| rate >= 0.9)
        .map(|&(effect, _)| effect)
}

/// Power of the default-budget checks against planted violations:
///
/// - a relative bias b in the exact E\[gap\] the interval is compared with
///   (the Normal model on normal data at n = 40 with 20 000 replicates and the
///   suite's allotted level, as in `tests/estimators.rs`);
/// - the off-by-one error 2/(n − 2) for the exact 2/(n − 3), at n = 10, 40, 200;
/// - KL multiplied by 1 + ε in the measures under test, caught by claim 1 at
///   the default number of cases.
pub fn power(seeds: u64) -> Vec<Power> {
    use crate::claims::{self, Context, Outcome};
    use crate::estimators::budget::level;
    use crate::measures::planted::Affine;

    let gap_level = level("gap/normal-normal/n=40/control-variate");
    let intervals: Vec<(f64, f64, f64)> = (0..seeds)
        .into_par_iter()
        .map(|s| {
            let config = GapConfig {
                model: crate::estimators::Model::Normal,
                truth: crate::estimators::Truth::Normal {
                    mean: 0.0,
                    std_dev: 1.0,
                },
                n: 40,
                reps: 20_000,
                seed: s,
                level: gap_level,
            };
            let e = estimate_gap(&config, &|_| {}).expect("valid configuration");
            (
                e.gap.interval.low,
                e.gap.interval.high,
                e.theory.exact_gap.map_or(f64::NAN, Expected::value),
            )
        })
        .collect();
    let biases = [0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2];
    let detection: Vec<(f64, f64)> = biases
        .iter()
        .map(|&b| {
            let caught = intervals.iter().filter(|&&(lo, hi, exact)| {
                let planted = exact * (1.0 + b);
                planted < lo || planted > hi
            });
            (b, caught.count() as f64 / seeds as f64)
        })
        .collect();
    let mut out = vec![Power {
        id: "gap/normal-normal/n=40/control-variate",
        planted: "a relative bias b in the value the interval must cover",
        smallest_effect_at_90: smallest_at_90(&detection),
        detection,
        seeds,
    }];

    let off_by_one: Vec<(f64, f64)> = [10usize, 40, 200]
        .iter()
        .map(|&n| {
            let lvl = level(&format!("gap/normal-normal/n={n}/control-variate"));
            let reps = match n {
                10 => 40_000,
                40 => 20_000,
                _ => 10_000,
            };
            let caught = (0..seeds)
                .into_par_iter()
                .filter(|&s| {
                    let config = GapConfig {
                        model: crate::estimators::Model::Normal,
                        truth: crate::estimators::Truth::Normal {
                            mean: 0.0,
                            std_dev: 1.0,
                        },
                        n,
                        reps,
                        seed: s,
                        level: lvl,
                    };
                    let e = estimate_gap(&config, &|_| {}).expect("valid configuration");
                    !e.gap.interval.contains(2.0 / (n as f64 - 2.0))
                })
                .count();
            (n as f64, caught as f64 / seeds as f64)
        })
        .collect();
    out.push(Power {
        id: "gap/normal-normal/control-variate",
        planted: "the off-by-one exact value 2/(n − 2) instead of 2/(n − 3); effect = n",
        smallest_effect_at_90: smallest_at_90(&off_by_one),
        detection: off_by_one,
        seeds,
    });

    let claim = claims::find("ce-decomposition").expect("claim 1 exists");
    let scale_seeds = seeds.min(20);
    let scales: Vec<(f64, f64)> = [
        1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16,
    ]
    .iter()
    .rev()
    .map(|&eps| {
        let m = Affine::scaled_kl(1.0 + eps);
        let caught = (0..scale_seeds)
            .filter(|&s| {
                let ctx = Context::new(s, claims::DEFAULT_CASES).with_measures(&m);
                claim.check(&ctx).outcome == Outcome::Failed
            })
            .count();
        (eps, caught as f64 / scale_seeds as f64)
    })
    .collect();
    out.push(Power {
        id: "ce-decomposition",
        planted: "KL multiplied by 1 + ε; effect = ε",
        smallest_effect_at_90: smallest_at_90(&scales),
        detection: scales,
        seeds: scale_seeds,
    });
    out
}
