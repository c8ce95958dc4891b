//! The sample-based KL estimators k1, k2 and k3.

use rayon::prelude::*;

use super::sampler::Sampler;
use super::spec::Truth;
use super::stats::RunningStats;
use crate::measures::continuous::{Continuous, ContinuousError, kl_divergence};
use crate::seed;

/// Samples per chunk (each chunk has its own stream).
const CHUNK: u64 = 65_536;

/// An error in a KL-estimator configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KlEstimatorError {
    /// A distribution outside the families with closed-form KL.
    #[error(
        "{which} = {truth}: the KL estimators need normal, laplace or exponential distributions"
    )]
    Unsupported {
        /// "from" or "to".
        which: &'static str,
        /// The specification.
        truth: String,
    },
    /// The two families differ, so there is no closed-form KL to compare against.
    #[error(transparent)]
    Continuous(#[from] ContinuousError),
    /// Fewer than 2 samples.
    #[error("samples = {0} is too small: at least 2 are needed")]
    TooFewSamples(u64),
}

fn to_continuous(which: &'static str, t: &Truth) -> Result<Continuous, KlEstimatorError> {
    // Continuous's constructors validate the parameters of the families used here.
    let unsupported = || KlEstimatorError::Unsupported {
        which,
        truth: t.to_string(),
    };
    match *t {
        Truth::Normal { mean, std_dev } => Continuous::normal(mean, std_dev).map_err(Into::into),
        Truth::Laplace { location, scale } => {
            Continuous::laplace(location, scale).map_err(Into::into)
        }
        Truth::Exponential { rate } => Continuous::exponential(rate).map_err(Into::into),
        _ => Err(unsupported()),
    }
}

/// One estimator's summary over the samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KlEstimate {
    /// Mean of the per-sample values: the estimate of KL.
    pub mean: f64,
    /// Standard deviation of one per-sample value.
    pub std: f64,
    /// (mean − KL)/KL.
    pub bias_over_kl: f64,
    /// std/KL: the relative spread of a one-sample estimate.
    pub std_over_kl: f64,
    /// Standard error of the mean.
    pub std_error: f64,
}

/// The three estimators of KL(from‖to) from samples of `from`.
#[derive(Debug, Clone, PartialEq)]
pub struct KlEstimates {
    /// The closed-form KL(from‖to).
    pub true_kl: f64,
    /// Samples drawn.
    pub samples: u64,
    /// The seed.
    pub seed: u64,
    /// k1 = −ln r: unbiased, can be negative, high variance.
    pub k1: KlEstimate,
    /// k2 = (ln r)²/2: biased, low variance, non-negative.
    pub k2: KlEstimate,
    /// k3 = (r − 1) − ln r: unbiased and non-negative.
    pub k3: KlEstimate,
}

fn summarize(s: &RunningStats, kl: f64) -> KlEstimate {
    let (mean, std) = (s.mean(), s.variance().sqrt());
    KlEstimate {
        mean,
        std,
        bias_over_kl: (mean - kl) / kl,
        std_over_kl: std / kl,
        std_error: s.std_error(),
    }
}

/// Estimates KL(from‖to) from `samples` draws x of `from` with three estimators,
/// where r = to(x)/from(x):
///
/// ```text
/// k1 = −ln r,   k2 = (ln r)²/2,   k3 = (r − 1) − ln r
/// E[k1] = E[k3] = KL(from‖to);   E[k2] = KL + O(KL²) (second order)
/// ```
///
/// k3 adds the zero-mean control variate r − 1 (E_from\[r\] = 1) to k1, which
/// makes it non-negative and, for close distributions, far less variable.
/// Samples come from the streams (seed, "kl-estimators", chunk).
///
/// # Errors
/// [`KlEstimatorError`] for an unsupported family, families that differ, or
/// fewer than 2 samples.
///
/// # Example
/// ```
/// use logloss_proofs::estimators::estimate_kl;
/// let e = estimate_kl(&"normal:0,1".parse()?, &"normal:0.1,1".parse()?, 10_000, 7)?;
/// // Δμ²/2 for unit variances; 0.1 is itself rounded, so compare within 4ε.
/// assert!((e.true_kl - 0.005).abs() <= 4.0 * f64::EPSILON * 0.005);
/// assert!(e.k3.std < e.k1.std);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn estimate_kl(
    from: &Truth,
    to: &Truth,
    samples: u64,
    seed: u64,
) -> Result<KlEstimates, KlEstimatorError> {
    if samples < 2 {
        return Err(KlEstimatorError::TooFewSamples(samples));
    }
    let (p, q) = (to_continuous("from", from)?, to_continuous("to", to)?);
    let true_kl = kl_divergence(&p, &q)?;
    let sampler = Sampler::new(from);
    let chunks = samples.div_ceil(CHUNK);
    let parts: Vec<[RunningStats; 3]> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = seed::stream(seed, "kl-estimators", c);
            let mut s = [RunningStats::new(); 3];
            for _ in c * CHUNK..((c + 1) * CHUNK).min(samples) {
                let x = sampler.real(&mut rng);
                let ln_r = q.ln_pdf(x) - p.ln_pdf(x);
                s[0].push(-ln_r);
                s[1].push(0.5 * ln_r * ln_r);
                s[2].push(ln_r.exp_m1() - ln_r);
            }
            s
        })
        .collect();
    let mut total = [RunningStats::new(); 3];
    for part in &parts {
        for (t, p) in total.iter_mut().zip(part) {
            t.merge(p);
        }
    }
    Ok(KlEstimates {
        true_kl,
        samples,
        seed,
        k1: summarize(&total[0], true_kl),
        k2: summarize(&total[1], true_kl),
        k3: summarize(&total[2], true_kl),
    })
}
