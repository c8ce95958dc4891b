//! Monte Carlo estimation of the true-risk gap R(θ̂) − R̂ₙ(θ̂) and the excess
//! risk KL(p‖q_θ̂), with a control variate that keeps n·E\[gap\] precise as n grows.

use rayon::prelude::*;

use super::sampler::Sampler;
use super::shard::Shard;
use super::spec::{Model, SpecError, Truth};
use super::stats::{Interval, RunningStats};
use super::theory::{Theory, check_compatible, theory};
use crate::measures::{MeasureError, kl_divergence};
use crate::numerics::{NeumaierSum, compensated_sum};
use crate::seed;

/// Replicates per chunk: each chunk has its own ChaCha stream, so results do
/// not depend on how chunks are spread over threads.
pub(crate) const CHUNK: u64 = 256;

/// Chunks per block. A block is the unit of work of a [`Shard`]: its chunks
/// are folded in order into the block's statistics, and the blocks in order
/// into the run's.
const BLOCK_CHUNKS: u64 = 16;

/// Replicates per block (the last block of a run may hold fewer): 4096.
pub const GAP_BLOCK_REPLICATES: u64 = CHUNK * BLOCK_CHUNKS;

/// The number of blocks of a run of `reps` replicates.
pub fn gap_blocks(reps: u64) -> u64 {
    reps.div_ceil(GAP_BLOCK_REPLICATES)
}

/// What to estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct GapConfig {
    /// The model family.
    pub model: Model,
    /// The data-generating distribution.
    pub truth: Truth,
    /// Training-set size n ≥ 2.
    pub n: usize,
    /// Replicates (independent training sets) ≥ 2.
    pub reps: u64,
    /// The recorded seed.
    pub seed: u64,
    /// Confidence level of the intervals, in (0, 1).
    pub level: f64,
}

/// An error in a gap configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GapError {
    /// The model, truth or their pairing.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// n < 2.
    #[error("n = {0} is too small: at least 2 points are needed to fit")]
    TooFewPoints(usize),
    /// reps < 2.
    #[error("reps = {0} is too small: at least 2 replicates are needed for an interval")]
    TooFewReplicates(u64),
    /// The level is outside (0, 1).
    #[error("level = {0} must be in (0, 1)")]
    BadLevel(f64),
    /// Merged statistics that do not cover the run's blocks.
    #[error("{got} blocks of statistics for a run of {expected}")]
    WrongBlockCount {
        /// Blocks given.
        got: u64,
        /// Blocks in the run.
        expected: u64,
    },
    /// A measure rejected a fitted distribution (a bug: fits are distributions).
    #[error("internal: {0}")]
    Measure(#[from] MeasureError),
}

/// One estimated expectation: its Monte Carlo mean, standard error and interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Sample mean over replicates (+∞ if any replicate was +∞).
    pub mean: f64,
    /// Standard error of the mean.
    pub std_error: f64,
    /// Student-t interval at the configured level.
    pub interval: Interval,
    /// Sample variance over replicates.
    pub variance: f64,
    /// Fraction of replicates that were +∞.
    pub infinite_fraction: f64,
}

impl Estimate {
    fn from_stats(s: &RunningStats, level: f64) -> Self {
        Estimate {
            mean: s.mean(),
            std_error: s.std_error(),
            interval: s.interval(level),
            variance: s.variance(),
            infinite_fraction: s.infinite_fraction(),
        }
    }
}

/// The result of [`estimate_gap`].
#[derive(Debug, Clone, PartialEq)]
pub struct GapEstimate {
    /// The configuration it was run with.
    pub config: GapConfig,
    /// E\[gap\], estimated as E[R(θ̂) − R(θ₀)] + E[R̂(θ₀) − R̂(θ̂)]: the raw gap less
    /// its zero-mean term R(θ₀) − R̂(θ₀) (the control variate).
    pub gap: Estimate,
    /// E\[gap\] from the raw per-replicate gaps R(θ̂) − R̂(θ̂).
    pub gap_raw: Estimate,
    /// E[KL(p‖q_θ̂)], the excess risk over the truth's entropy.
    pub excess_risk: Estimate,
    /// E[R(θ̂) − R(θ₀)] ≥ 0: the estimation part of the excess risk.
    pub estimation_excess: Estimate,
    /// E[R̂(θ₀) − R̂(θ̂)]: how much the fit lowers the training loss below the best-in-family's.
    pub optimism: Estimate,
    /// Var(raw gap) / Var(control-variate gap).
    pub variance_reduction: f64,
    /// What the theory predicts.
    pub theory: Theory,
}

/// One replicate's quantities.
#[derive(Debug, Clone, Copy)]
struct Replicate {
    raw_gap: f64,
    estimation_excess: f64,
    optimism: f64,
    excess_risk: f64,
}

/// r − 1 − ln r ≥ 0 without cancellation near r = 1.
fn xm1_minus_ln(r: f64) -> f64 {
    let t = r - 1.0;
    if t.abs() < 0.25 {
        // t − ln(1+t) = Σ_{k≥2} (−1)ᵏ tᵏ/k; |t| < 1/4: 24 terms leave < 4⁻²⁵/25.
        let mut sum = 0.0;
        let mut power = t * t;
        for k in 2..=26 {
            let term = power / k as f64;
            sum += if k % 2 == 0 { term } else { -term };
            power *= t;
        }
        sum
    } else {
        t - r.ln()
    }
}

fn normal_replicate(x: &[f64], mean: f64, variance: f64, approx: f64) -> Replicate {
    let n = x.len() as f64;
    let mu = compensated_sum(x) / n;
    // Summed straight into the accumulator: no vector per replicate.
    let v = x
        .iter()
        .map(|xi| (xi - mu) * (xi - mu))
        .collect::<NeumaierSum>()
        .value()
        / n;
    if v == 0.0 {
        return Replicate {
            raw_gap: f64::INFINITY,
            estimation_excess: f64::INFINITY,
            optimism: f64::INFINITY,
            excess_risk: f64::INFINITY,
        };
    }
    let d2 = (mean - mu) * (mean - mu);
    // R(θ̂) = ½ln(2πv̂) + (σ² + (m − μ̂)²)/(2v̂),  R̂(θ̂) = ½ln(2πv̂) + ½.
    let raw_gap = (variance + d2) / (2.0 * v) - 0.5;
    let r = variance / v;
    let estimation_excess = 0.5 * xm1_minus_ln(r) + d2 / (2.0 * v);
    let optimism = 0.5 * xm1_minus_ln(1.0 / r) + d2 / (2.0 * variance);
    Replicate {
        raw_gap,
        estimation_excess,
        optimism,
        excess_risk: approx + estimation_excess,
    }
}

fn exponential_replicate(x: &[f64], mean: f64, approx: f64) -> Replicate {
    let xbar = compensated_sum(x) / x.len() as f64;
    // λ̂ = 1/x̄, λ₀ = 1/m: gap = m/x̄ − 1, R(λ̂) − R(λ₀) = s − 1 − ln s with
    // s = m/x̄, R̂(λ₀) − R̂(λ̂) = t − 1 − ln t with t = x̄/m.
    let s = mean / xbar;
    let estimation_excess = xm1_minus_ln(s);
    Replicate {
        raw_gap: s - 1.0,
        estimation_excess,
        optimism: xm1_minus_ln(xbar / mean),
        excess_risk: approx + estimation_excess,
    }
}

fn categorical_replicate(counts: &[u64], p: &[f64], alpha: f64) -> Result<Replicate, MeasureError> {
    let n: u64 = counts.iter().sum();
    let c = counts.len() as f64;
    let denom = n as f64 + c * alpha;
    let q: Vec<f64> = counts.iter().map(|&k| (k as f64 + alpha) / denom).collect();
    let empirical: Vec<f64> = counts.iter().map(|&k| k as f64 / n as f64).collect();
    // In family: R(q̂) − R(p) = KL(p‖q̂) is both the estimation excess and the excess risk.
    let excess = kl_divergence(p, &q)?;
    // R̂(p) − R̂(q̂) = KL(p̂‖p) − KL(p̂‖q̂).
    let optimism = kl_divergence(&empirical, p)? - kl_divergence(&empirical, &q)?;
    // R(q̂) − R̂(q̂) = CE(p, q̂) − CE(p̂, q̂).
    let raw_gap =
        crate::measures::cross_entropy(p, &q)? - crate::measures::cross_entropy(&empirical, &q)?;
    Ok(Replicate {
        raw_gap,
        estimation_excess: excess,
        optimism,
        excess_risk: excess,
    })
}

/// The mergeable statistics of one block of replicates (or of a run): a
/// summary per estimated quantity. What a shard of `gap` stores.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GapBlock {
    /// Estimation excess + optimism (the control-variate gap).
    pub gap: RunningStats,
    /// The raw gap R(θ̂) − R̂(θ̂).
    pub raw: RunningStats,
    /// KL(p‖q_θ̂).
    pub excess_risk: RunningStats,
    /// R(θ̂) − R(θ₀).
    pub estimation: RunningStats,
    /// R̂(θ₀) − R̂(θ̂).
    pub optimism: RunningStats,
}

impl GapBlock {
    fn push(&mut self, r: Replicate) {
        self.raw.push(r.raw_gap);
        self.gap.push(r.estimation_excess + r.optimism);
        self.excess_risk.push(r.excess_risk);
        self.estimation.push(r.estimation_excess);
        self.optimism.push(r.optimism);
    }

    fn merge(&mut self, o: &GapBlock) {
        self.gap.merge(&o.gap);
        self.raw.merge(&o.raw);
        self.excess_risk.merge(&o.excess_risk);
        self.estimation.merge(&o.estimation);
        self.optimism.merge(&o.optimism);
    }

    /// The five summaries with their names, in a fixed order.
    pub fn named(&self) -> [(&'static str, &RunningStats); 5] {
        [
            ("gap", &self.gap),
            ("raw", &self.raw),
            ("excess_risk", &self.excess_risk),
            ("estimation", &self.estimation),
            ("optimism", &self.optimism),
        ]
    }

    /// The summary named `name` (one of [`GapBlock::named`]'s), to fill.
    pub fn named_mut(&mut self, name: &str) -> Option<&mut RunningStats> {
        match name {
            "gap" => Some(&mut self.gap),
            "raw" => Some(&mut self.raw),
            "excess_risk" => Some(&mut self.excess_risk),
            "estimation" => Some(&mut self.estimation),
            "optimism" => Some(&mut self.optimism),
            _ => None,
        }
    }
}

fn run_chunk(
    config: &GapConfig,
    sampler: &Sampler,
    approx: f64,
    chunk: u64,
) -> Result<GapBlock, MeasureError> {
    let mut rng = seed::stream(config.seed, "gap", chunk);
    let first = chunk * CHUNK;
    let last = (first + CHUNK).min(config.reps);
    let mut stats = GapBlock::default();
    let mut x = vec![0.0; config.n];
    for _ in first..last {
        let r = match (&config.model, &config.truth, sampler) {
            (
                Model::Categorical { .. } | Model::Bernoulli,
                Truth::Categorical(p),
                Sampler::Categorical(table),
            ) => {
                let mut counts = vec![0u64; p.len()];
                for _ in 0..config.n {
                    counts[table.sample(&mut rng)] += 1;
                }
                let alpha = match config.model {
                    Model::Categorical { alpha } => alpha,
                    _ => 0.0,
                };
                categorical_replicate(&counts, p, alpha)?
            }
            (model, truth, sampler) => {
                for xi in x.iter_mut() {
                    *xi = sampler.real(&mut rng);
                }
                let m = truth.moments().expect("checked: real-valued truth");
                match model {
                    Model::Normal => normal_replicate(&x, m.mean, m.variance, approx),
                    _ => exponential_replicate(&x, m.mean, approx),
                }
            }
        };
        stats.push(r);
    }
    Ok(stats)
}

/// Estimates E\[gap\], E[KL(p‖q_θ̂)] and their parts by Monte Carlo.
///
/// Each replicate draws n points from the truth (stream `(seed, "gap", chunk)`),
/// fits the model, and computes in closed form, with θ₀ the best-in-family
/// parameter:
///
/// ```text
/// gap        = R(θ̂) − R̂ₙ(θ̂)
///            = [R(θ̂) − R(θ₀)] + [R(θ₀) − R̂ₙ(θ₀)] + [R̂ₙ(θ₀) − R̂ₙ(θ̂)]
///                 excess ≥ 0      zero mean, O(n^−½)    optimism
/// ```
///
/// The middle term has mean zero and a standard deviation of order n^(−1/2),
/// which swamps the O(1/n) signal; `gap` drops it (a control variate with
/// coefficient 1, exact here because its mean is known to be 0), `gap_raw`
/// keeps it. Both estimate the same expectation.
///
/// Replicates are split into chunks of 256 (a fixed size, not the thread
/// count) with their own streams; chunks are folded in order into blocks of
/// 16 ([`GAP_BLOCK_REPLICATES`]) and blocks in order into the result, so the
/// result depends only on the configuration, never on the number of threads,
/// and blocks computed apart ([`gap_shard`]) merge into the same bits
/// ([`finish_gap`]). `progress` is called with the number of replicates
/// done after each chunk (from any thread).
///
/// # Errors
/// [`GapError`] for n < 2, reps < 2, a level outside (0, 1), or a model that
/// cannot be fitted to the truth's data.
///
/// # Example
/// ```
/// use logloss_proofs::estimators::{estimate_gap, GapConfig};
/// let config = GapConfig {
///     model: "normal".parse()?, truth: "normal:0,1".parse()?,
///     n: 50, reps: 2000, seed: 7, level: 0.95,
/// };
/// let est = estimate_gap(&config, &|_| {})?;
/// // Exact: E\[gap\] = 2/(n − 3) for the Normal model on normal data.
/// assert!(est.gap.interval.low < est.gap.interval.high);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn estimate_gap(
    config: &GapConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<GapEstimate, GapError> {
    // The theory is computed once, for the run and its summary.
    let theory = validate(config)?;
    let blocks = shard_blocks(config, &theory, Shard::WHOLE, progress)?;
    finish_blocks(config, theory, &blocks)
}

fn validate(config: &GapConfig) -> Result<Theory, GapError> {
    if config.n < 2 {
        return Err(GapError::TooFewPoints(config.n));
    }
    if config.reps < 2 {
        return Err(GapError::TooFewReplicates(config.reps));
    }
    if !(config.level > 0.0 && config.level < 1.0) {
        return Err(GapError::BadLevel(config.level));
    }
    check_compatible(config.model, &config.truth)?;
    Ok(theory(config.model, &config.truth, config.n)?)
}

/// The statistics of the blocks of `shard` ([`Shard::units`] of
/// [`gap_blocks`]), in block order: the part of [`estimate_gap`]'s work one
/// machine of many does. Each block is computed exactly as in the whole run.
///
/// # Errors
/// As [`estimate_gap`].
///
/// # Example
/// ```
/// use logloss_proofs::estimators::{estimate_gap, finish_gap, gap_shard, GapConfig, Shard};
/// let config = GapConfig {
///     model: "normal".parse()?, truth: "normal:0,1".parse()?,
///     n: 20, reps: 10_000, seed: 7, level: 0.95,
/// };
/// let (a, b) = (gap_shard(&config, "0/2".parse()?, &|_| {})?, gap_shard(&config, "1/2".parse()?, &|_| {})?);
/// // Blocks 0 and 2 in the first shard, block 1 in the second: interleaved, they are the run's.
/// let blocks = [a[0], b[0], a[1]];
/// assert_eq!(finish_gap(&config, &blocks)?, estimate_gap(&config, &|_| {})?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn gap_shard(
    config: &GapConfig,
    shard: Shard,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<GapBlock>, GapError> {
    let theory = validate(config)?;
    shard_blocks(config, &theory, shard, progress)
}

fn shard_blocks(
    config: &GapConfig,
    theory: &Theory,
    shard: Shard,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<GapBlock>, GapError> {
    let sampler = Sampler::new(&config.truth);
    let chunks = config.reps.div_ceil(CHUNK);
    let blocks: Vec<u64> = shard.units(gap_blocks(config.reps)).collect();
    let chunk_ids: Vec<u64> = blocks
        .iter()
        .flat_map(|&b| b * BLOCK_CHUNKS..((b + 1) * BLOCK_CHUNKS).min(chunks))
        .collect();
    let done = std::sync::atomic::AtomicU64::new(0);
    let parts: Vec<(u64, Result<GapBlock, MeasureError>)> = chunk_ids
        .into_par_iter()
        .map(|c| {
            let r = run_chunk(config, &sampler, theory.approximation_error, c);
            let reps_done = ((c + 1) * CHUNK).min(config.reps) - c * CHUNK;
            progress(done.fetch_add(reps_done, std::sync::atomic::Ordering::Relaxed) + reps_done);
            (c, r)
        })
        .collect();
    let mut out = vec![GapBlock::default(); blocks.len()];
    // Chunks come in block order and, within a block, in chunk order.
    let mut slot = 0;
    for (c, part) in parts {
        while blocks[slot] != c / BLOCK_CHUNKS {
            slot += 1;
        }
        out[slot].merge(&part?);
    }
    Ok(out)
}

/// The estimate from the statistics of every block of the run, in block
/// order (`blocks[b]` is block b): the blocks are folded in order, as
/// [`estimate_gap`] does, so blocks computed on different machines give the
/// same bits as one run.
///
/// # Errors
/// As [`estimate_gap`] for the configuration, and
/// [`GapError::WrongBlockCount`] unless there are exactly
/// [`gap_blocks`]`(config.reps)` blocks.
pub fn finish_gap(config: &GapConfig, blocks: &[GapBlock]) -> Result<GapEstimate, GapError> {
    let theory = validate(config)?;
    finish_blocks(config, theory, blocks)
}

fn finish_blocks(
    config: &GapConfig,
    theory: Theory,
    blocks: &[GapBlock],
) -> Result<GapEstimate, GapError> {
    let expected = gap_blocks(config.reps);
    if blocks.len() as u64 != expected {
        return Err(GapError::WrongBlockCount {
            got: blocks.len() as u64,
            expected,
        });
    }
    let mut total = GapBlock::default();
    for block in blocks {
        total.merge(block);
    }
    let level = config.level;
    let variance_reduction = total.raw.variance() / total.gap.variance();
    Ok(GapEstimate {
        config: config.clone(),
        gap: Estimate::from_stats(&total.gap, level),
        gap_raw: Estimate::from_stats(&total.raw, level),
        excess_risk: Estimate::from_stats(&total.excess_risk, level),
        estimation_excess: Estimate::from_stats(&total.estimation, level),
        optimism: Estimate::from_stats(&total.optimism, level),
        variance_reduction,
        theory,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_near;

    /// One normal replicate in closed form: x = (0, 2) gives μ̂ = 1, v̂ = 1;
    /// against the truth N(0, 2), (m − μ̂)² = 1, so the true risk minus the
    /// training risk is (σ² + d²)/(2v̂) − ½ = 1 (exact), the estimation
    /// excess ½(r − 1 − ln r) + d²/(2v̂) at r = σ²/v̂ = 2 is 1 − ½ln 2, the
    /// optimism ½(1/r − 1 + ln r) + d²/(2σ²) is ½ln 2, and the excess risk
    /// adds the approximation error. A few roundings around ln 2: 4u
    /// relative. A sample with no spread has an infinite gap.
    #[test]
    fn a_normal_replicate_follows_the_closed_forms() {
        use std::f64::consts::LN_2;
        let r = normal_replicate(&[0.0, 2.0], 0.0, 2.0, 0.125);
        assert_eq!(r.raw_gap, 1.0);
        let near = |got: f64, want: f64, what: &str| assert_near(got, want, 4.0, what);
        near(r.estimation_excess, 1.0 - 0.5 * LN_2, "estimation excess");
        near(r.optimism, 0.5 * LN_2, "optimism");
        near(r.excess_risk, 1.125 - 0.5 * LN_2, "excess risk");
        let flat = normal_replicate(&[1.0, 1.0], 0.0, 2.0, 0.125);
        assert_eq!(flat.raw_gap, f64::INFINITY);
        assert_eq!(flat.excess_risk, f64::INFINITY);
    }

    /// The progress callback counts replicates: over 2.5 chunks it reaches
    /// `reps` exactly and never passes it, whatever order the chunks finish.
    #[test]
    fn progress_counts_every_replicate_once() {
        let seen = std::sync::Mutex::new(Vec::new());
        let reps = 2 * CHUNK + CHUNK / 2;
        let config = GapConfig {
            model: "normal".parse().unwrap(),
            truth: "normal:0,1".parse().unwrap(),
            n: 10,
            reps,
            seed: 1,
            level: 0.95,
        };
        estimate_gap(&config, &|k| seen.lock().unwrap().push(k)).unwrap();
        // One call per chunk, each adding its own size to a shared count.
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        let mut steps: Vec<u64> = seen
            .iter()
            .scan(0, |last, &k| {
                let step = k - *last;
                *last = k;
                Some(step)
            })
            .collect();
        steps.sort_unstable();
        assert_eq!(steps, vec![CHUNK / 2, CHUNK, CHUNK]);
        assert_eq!(seen.last(), Some(&reps));
    }

    #[test]
    fn xm1_minus_ln_matches_the_direct_formula_away_from_one() {
        // At r = 1.5 both branches are accurate; the series is not used there.
        let r: f64 = 1.5;
        assert_eq!(xm1_minus_ln(r), 0.5 - r.ln());
        // Near 1: r − 1 − ln r ≈ (r − 1)²/2 to relative (r−1)·2/3.
        let t = 1e-6;
        let v = xm1_minus_ln(1.0 + t);
        assert!((v - t * t / 2.0).abs() <= t * t / 2.0 * (t * 2.0 / 3.0 * 1.01));
    }
}
