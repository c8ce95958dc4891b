//! `logloss-proofs gap`: Monte Carlo estimate of the true-risk gap.

use std::io::Write;

use clap::Args;
use std::path::PathBuf;

use logloss_proofs::estimators::{
    Estimate, Expected, GAP_BLOCK_REPLICATES, GapConfig, GapEstimate, Model, Shard, Truth,
    finish_gap, gap_blocks, gap_shard,
};
use logloss_proofs::seed::DEFAULT_SEED;
use serde_json::{Value, json};

use super::json::number;
use super::progress::Progress;
use super::shards::ShardFile;
use crate::error::CliError;

/// Arguments of `gap`.
#[derive(Debug, Args)]
pub struct GapArgs {
    /// Model family: normal, exponential, bernoulli, categorical[:ALPHA].
    #[arg(long)]
    model: String,
    /// Truth: normal:MU,SIGMA, laplace:MU,B, student-t:NU, uniform:A,B, exponential:RATE, categorical:P1,P2,….
    #[arg(long)]
    truth: String,
    /// Training-set size.
    #[arg(long)]
    n: usize,
    /// Replicates (independent training sets).
    #[arg(long, default_value_t = 20_000)]
    reps: u64,
    /// The seed every random stream is derived from.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Compute only shard I of N: the blocks b of 4096 replicates with
    /// b mod N = I. Needs --out; `merge` combines the N files into exactly
    /// this command's output without --shard.
    #[arg(long, value_name = "I/N", requires = "out")]
    shard: Option<Shard>,
    /// Write the mergeable statistics of the run (or of its --shard) to
    /// FILE, instead of printing the estimate.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn expected(e: Option<Expected>) -> Value {
    match e {
        None => Value::Null,
        Some(e) => number(e.value()),
    }
}

fn optional(x: Option<f64>) -> Value {
    x.map_or(Value::Null, number)
}

/// The JSON object of an estimate.
pub fn render_json(e: &GapEstimate) -> String {
    let c = &e.config;
    json!({
        "model": c.model.to_string(),
        "truth": c.truth.to_string(),
        "n": c.n,
        "reps": c.reps,
        "seed": c.seed,
        "level": c.level,
        "gap_mean": number(e.gap.mean),
        "gap_ci_low": number(e.gap.interval.low),
        "gap_ci_high": number(e.gap.interval.high),
        "gap_std_error": number(e.gap.std_error),
        "gap_raw_mean": number(e.gap_raw.mean),
        "gap_raw_std_error": number(e.gap_raw.std_error),
        "variance_reduction": number(e.variance_reduction),
        "control_variate": e.control_variate.name(),
        "excess_risk_mean": number(e.excess_risk.mean),
        "excess_risk_ci_low": number(e.excess_risk.interval.low),
        "excess_risk_ci_high": number(e.excess_risk.interval.high),
        "excess_risk_std_error": number(e.excess_risk.std_error),
        "estimation_excess_mean": number(e.estimation_excess.mean),
        "optimism_mean": number(e.optimism.mean),
        "optimism_std_error": number(e.optimism.std_error),
        "infinite_fraction": e.gap_raw.infinite_fraction,
        "parameters": e.theory.parameters,
        "theory_akaike": number(e.theory.akaike),
        "takeuchi_trace": optional(e.theory.takeuchi_trace),
        "theory_asymptotic": optional(e.theory.asymptotic),
        "theory_exact": expected(e.theory.exact_gap),
        "theory_exact_excess_risk": expected(e.theory.exact_excess_risk),
        "approximation_error": number(e.theory.approximation_error),
    })
    .to_string()
        + "\n"
}

fn fmt(x: f64) -> String {
    if x.is_infinite() {
        "inf".into()
    } else {
        format!("{x:.6e}")
    }
}

fn row(name: &str, est: &Estimate, n: f64) -> String {
    format!(
        "{name:<28} {:>14} ± {:<12} [{}, {}]   n·mean {:>10}\n",
        fmt(est.mean),
        fmt(est.std_error),
        fmt(est.interval.low),
        fmt(est.interval.high),
        fmt(n * est.mean)
    )
}

/// A readable table of an estimate.
pub fn render_text(e: &GapEstimate) -> String {
    let c = &e.config;
    let n = c.n as f64;
    let mut out = format!(
        "model {} on truth {}, n = {}, {} replicates, seed {}, {:.0}% intervals\n\n",
        c.model,
        c.truth,
        c.n,
        c.reps,
        c.seed,
        100.0 * c.level
    );
    out.push_str(&row("E[gap] (control variate)", &e.gap, n));
    out.push_str(&row("E[gap] (raw)", &e.gap_raw, n));
    out.push_str(&row("E[KL(p‖q_θ̂)] (excess risk)", &e.excess_risk, n));
    out.push_str(&row("E[R(θ̂) − R(θ₀)]", &e.estimation_excess, n));
    out.push_str(&row("E[R̂(θ₀) − R̂(θ̂)] (optimism)", &e.optimism, n));
    out.push_str(&format!(
        "\ncontrol variate: {}\nvariance reduction of the control variate: {:.1}×\ninfinite replicates: {:.4}\n",
        e.control_variate.name(),
        e.variance_reduction,
        e.gap_raw.infinite_fraction
    ));
    let t = &e.theory;
    out.push_str(&format!(
        "\ntheory: d = {}, Akaike d/n = {}\n",
        t.parameters,
        fmt(t.akaike)
    ));
    match (t.takeuchi_trace, t.asymptotic) {
        (Some(tr), Some(a)) => out.push_str(&format!(
            "        tr(J⁻¹K) = {tr:.6}, Takeuchi tr(J⁻¹K)/n = {}\n",
            fmt(a)
        )),
        _ => out
            .push_str("        tr(J⁻¹K) is infinite (a needed moment of the truth is infinite)\n"),
    }
    if let Some(x) = t.exact_gap {
        out.push_str(&format!(
            "        exact E[gap] at this n = {}\n",
            fmt(x.value())
        ));
    }
    out
}

fn usage<E: std::fmt::Display>(e: E) -> CliError {
    CliError::Usage(e.to_string())
}

impl GapArgs {
    fn config(&self) -> Result<GapConfig, CliError> {
        Ok(GapConfig {
            model: self.model.parse::<Model>().map_err(usage)?,
            truth: self.truth.parse::<Truth>().map_err(usage)?,
            n: self.n,
            reps: self.reps,
            seed: self.seed,
            level: self.level,
        })
    }

    /// The run's configuration as a shard file records it, once the
    /// model and truth are known to parse.
    ///
    /// # Errors
    /// [`CliError::Usage`] for a model or truth that does not parse.
    pub fn checked_config_json(&self) -> Result<Value, CliError> {
        self.config()?;
        Ok(self.config_json())
    }

    /// The run's configuration as a shard file records it.
    fn config_json(&self) -> Value {
        json!({
            "model": self.model, "truth": self.truth, "n": self.n,
            "reps": self.reps, "seed": self.seed, "level": self.level,
        })
    }
}

/// The configuration a shard file recorded.
///
/// # Errors
/// [`CliError::Shards`] for a configuration that is not a gap run's.
pub fn config_from(config: &serde_json::Map<String, Value>) -> Result<GapConfig, CliError> {
    let bad = |what: &str| CliError::Shards(format!("the shards' gap configuration: {what}"));
    let text = |k: &str| config.get(k).and_then(Value::as_str).ok_or_else(|| bad(k));
    let int = |k: &str| config.get(k).and_then(Value::as_u64).ok_or_else(|| bad(k));
    Ok(GapConfig {
        model: text("model")?.parse().map_err(usage)?,
        truth: text("truth")?.parse().map_err(usage)?,
        n: usize::try_from(int("n")?).map_err(|_| bad("n"))?,
        reps: int("reps")?,
        seed: int("seed")?,
        level: config
            .get("level")
            .and_then(Value::as_f64)
            .ok_or_else(|| bad("level"))?,
    })
}

/// The estimate as text or JSON.
pub fn render(estimate: &GapEstimate, as_json: bool) -> String {
    if as_json {
        render_json(estimate)
    } else {
        render_text(estimate)
    }
}

/// Merges the blocks of a whole run into its estimate.
///
/// # Errors
/// [`CliError::Usage`] for a configuration the estimator rejects.
pub fn finish(
    config: &GapConfig,
    blocks: &[logloss_proofs::estimators::GapBlock],
) -> Result<GapEstimate, CliError> {
    finish_gap(config, blocks).map_err(usage)
}

/// Runs `gap`.
pub fn run(args: &GapArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let config = args.config()?;
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let blocks = gap_blocks(config.reps);
    // The replicates of the shard's blocks (the last block may be short).
    let reps = shard
        .units(blocks)
        .map(|b| ((b + 1) * GAP_BLOCK_REPLICATES).min(config.reps) - b * GAP_BLOCK_REPLICATES)
        .sum();
    let progress = Progress::new(reps);
    let computed = gap_shard(&config, shard, &|done| progress.update(done)).map_err(usage);
    progress.finish();
    let computed = computed?;
    if let Some(path) = &args.out {
        let file = ShardFile::gap(args.config_json(), shard, blocks, &computed);
        return file.write(path).map_err(Into::into);
    }
    let estimate = finish(&config, &computed)?;
    out.write_all(render(&estimate, args.json).as_bytes())
        .map_err(CliError::Output)
}
