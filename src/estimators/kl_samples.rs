//! The sample-based KL estimators k1, k2 and k3.

use rayon::prelude::*;

use super::sampler::Sampler;
use super::shard::Shard;
use super::spec::Truth;
use super::stats::RunningStats;
use crate::measures::continuous::{Continuous, ContinuousError, kl_divergence};
use crate::seed;

/// Samples per chunk (each chunk has its own stream).
const CHUNK: u64 = 65_536;

/// Chunks per block, the unit of work of a [`Shard`].
const BLOCK_CHUNKS: u64 = 4;

/// Samples per block (the last block of a run may hold fewer): 262 144.
pub const KL_BLOCK_SAMPLES: u64 = CHUNK * BLOCK_CHUNKS;

/// The number of blocks of a run of `samples` samples.
pub fn kl_blocks(samples: u64) -> u64 {
    samples.div_ceil(KL_BLOCK_SAMPLES)
}

/// The mergeable statistics of one block of samples (or of a run): the
/// summaries of k1, k2 and k3. What a shard of `kl-estimators` stores.
pub type KlBlock = [RunningStats; 3];

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
    /// Merged statistics that do not cover the run's blocks.
    #[error("{got} blocks of statistics for a run of {expected}")]
    WrongBlockCount {
        /// Blocks given.
        got: u64,
        /// Blocks in the run.
        expected: u64,
    },
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
/// Samples come from the streams (seed, "kl-estimators", chunk); chunks are
/// folded in order into blocks ([`KL_BLOCK_SAMPLES`]) and blocks in order
/// into the result, so blocks computed apart ([`kl_shard`]) merge into the
/// same bits ([`finish_kl`]).
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
    let blocks = kl_shard(from, to, samples, seed, Shard::WHOLE)?;
    finish_kl(from, to, samples, seed, &blocks)
}

fn validate(
    from: &Truth,
    to: &Truth,
    samples: u64,
) -> Result<(Continuous, Continuous), KlEstimatorError> {
    if samples < 2 {
        return Err(KlEstimatorError::TooFewSamples(samples));
    }
    Ok((to_continuous("from", from)?, to_continuous("to", to)?))
}

/// The statistics of the blocks of `shard` ([`Shard::units`] of
/// [`kl_blocks`]), in block order: the part of [`estimate_kl`]'s work one
/// machine of many does.
///
/// # Errors
/// As [`estimate_kl`].
pub fn kl_shard(
    from: &Truth,
    to: &Truth,
    samples: u64,
    seed: u64,
    shard: Shard,
) -> Result<Vec<KlBlock>, KlEstimatorError> {
    let (p, q) = validate(from, to, samples)?;
    let sampler = Sampler::new(from);
    let chunks = samples.div_ceil(CHUNK);
    let blocks: Vec<u64> = shard.units(kl_blocks(samples)).collect();
    let chunk_ids: Vec<u64> = blocks
        .iter()
        .flat_map(|&b| b * BLOCK_CHUNKS..((b + 1) * BLOCK_CHUNKS).min(chunks))
        .collect();
    let parts: Vec<(u64, KlBlock)> = chunk_ids
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
            (c, s)
        })
        .collect();
    let mut out = vec![[RunningStats::new(); 3]; blocks.len()];
    // Chunks come in block order and, within a block, in chunk order.
    let mut slot = 0;
    for (c, part) in &parts {
        while blocks[slot] != c / BLOCK_CHUNKS {
            slot += 1;
        }
        merge(&mut out[slot], part);
    }
    Ok(out)
}

fn merge(total: &mut KlBlock, part: &KlBlock) {
    for (t, p) in total.iter_mut().zip(part) {
        t.merge(p);
    }
}

/// The estimates from the statistics of every block of the run, in block
/// order, folded as [`estimate_kl`] folds them.
///
/// # Errors
/// As [`estimate_kl`], and [`KlEstimatorError::WrongBlockCount`] unless
/// there are exactly [`kl_blocks`]`(samples)` blocks.
pub fn finish_kl(
    from: &Truth,
    to: &Truth,
    samples: u64,
    seed: u64,
    blocks: &[KlBlock],
) -> Result<KlEstimates, KlEstimatorError> {
    let (p, q) = validate(from, to, samples)?;
    let expected = kl_blocks(samples);
    if blocks.len() as u64 != expected {
        return Err(KlEstimatorError::WrongBlockCount {
            got: blocks.len() as u64,
            expected,
        });
    }
    let true_kl = kl_divergence(&p, &q)?;
    let mut total = [RunningStats::new(); 3];
    for block in blocks {
        merge(&mut total, block);
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
