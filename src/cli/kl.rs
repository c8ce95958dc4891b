//! `logloss-proofs kl-estimators`: k1, k2 and k3 against the closed-form KL.

use std::io::Write;

use clap::Args;
use std::path::PathBuf;

use logloss_proofs::estimators::{
    KlBlock, KlEstimate, KlEstimates, Shard, Truth, finish_kl, kl_blocks, kl_shard,
};
use logloss_proofs::seed::DEFAULT_SEED;
use serde_json::{Value, json};

use super::json::number;
use super::shards::ShardFile;
use crate::error::CliError;

/// Arguments of `kl-estimators`.
#[derive(Debug, Args)]
pub struct KlArgs {
    /// The sampling distribution p in KL(p‖q): normal:MU,SIGMA, laplace:MU,B or exponential:RATE.
    #[arg(long)]
    from: String,
    /// The other distribution q, of the same family.
    #[arg(long)]
    to: String,
    /// Samples drawn from `from`.
    #[arg(long, default_value_t = 1_000_000)]
    samples: u64,
    /// The seed every random stream is derived from.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Compute only shard I of N: the blocks b of 262 144 samples with
    /// b mod N = I. Needs --out; `merge` combines the N files into exactly
    /// this command's output without --shard.
    #[arg(long, value_name = "I/N", requires = "out")]
    shard: Option<Shard>,
    /// Write the mergeable statistics of the run (or of its --shard) to
    /// FILE, instead of printing the estimates.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn estimator_json(k: &KlEstimate) -> Value {
    json!({
        "mean": number(k.mean),
        "std": number(k.std),
        "std_error": number(k.std_error),
        "bias_over_kl": number(k.bias_over_kl),
        "std_over_kl": number(k.std_over_kl),
    })
}

/// The JSON object of the estimates.
pub fn render_json(from: &str, to: &str, e: &KlEstimates) -> String {
    json!({
        "from": from,
        "to": to,
        "samples": e.samples,
        "seed": e.seed,
        "true_kl": number(e.true_kl),
        "k1": estimator_json(&e.k1),
        "k2": estimator_json(&e.k2),
        "k3": estimator_json(&e.k3),
    })
    .to_string()
        + "\n"
}

/// A table of the estimates.
pub fn render_text(from: &str, to: &str, e: &KlEstimates) -> String {
    let mut out = format!(
        "KL({from} ‖ {to}) = {:.6e} (closed form); {} samples, seed {}\n\n{:<4} {:>14} {:>14} {:>14} {:>14}\n",
        e.true_kl, e.samples, e.seed, "", "mean", "std", "bias/KL", "std/KL"
    );
    for (name, k) in [("k1", &e.k1), ("k2", &e.k2), ("k3", &e.k3)] {
        out.push_str(&format!(
            "{name:<4} {:>14.6e} {:>14.6e} {:>14.3e} {:>14.3e}\n",
            k.mean, k.std, k.bias_over_kl, k.std_over_kl
        ));
    }
    out
}

/// Runs `kl-estimators`.
pub fn run(args: &KlArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let usage = |e: &dyn std::fmt::Display| CliError::Usage(e.to_string());
    let from: Truth = args.from.parse().map_err(|e| usage(&e))?;
    let to: Truth = args.to.parse().map_err(|e| usage(&e))?;
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let blocks = kl_shard(&from, &to, args.samples, args.seed, shard).map_err(|e| usage(&e))?;
    if let Some(path) = &args.out {
        let file = ShardFile::kl(args.config_json(), shard, kl_blocks(args.samples), &blocks);
        return file.write(path).map_err(Into::into);
    }
    let text = finish(
        &args.from,
        &args.to,
        args.samples,
        args.seed,
        &blocks,
        args.json,
    )?;
    out.write_all(text.as_bytes()).map_err(CliError::Output)
}

/// The output of the run from the blocks of the whole run, as text or JSON.
///
/// # Errors
/// [`CliError::Usage`] for a configuration the estimators reject.
pub fn finish(
    from: &str,
    to: &str,
    samples: u64,
    seed: u64,
    blocks: &[KlBlock],
    as_json: bool,
) -> Result<String, CliError> {
    let e = estimates(from, to, samples, seed, blocks)?;
    Ok(render(from, to, &e, as_json))
}

/// The estimates from the blocks of the whole run.
fn estimates(
    from: &str,
    to: &str,
    samples: u64,
    seed: u64,
    blocks: &[KlBlock],
) -> Result<KlEstimates, CliError> {
    let usage = |e: &dyn std::fmt::Display| CliError::Usage(e.to_string());
    let (f, t): (Truth, Truth) = (
        from.parse().map_err(|e| usage(&e))?,
        to.parse().map_err(|e| usage(&e))?,
    );
    finish_kl(&f, &t, samples, seed, blocks).map_err(|e| usage(&e))
}

/// The estimates of a run from a shard file's configuration and the
/// blocks of the whole run: (from, to, estimates).
///
/// # Errors
/// [`CliError::Shards`] for a configuration that is not a KL run's.
pub fn estimates_from(
    config: &serde_json::Map<String, Value>,
    blocks: &[KlBlock],
) -> Result<(String, String, KlEstimates), CliError> {
    let bad = |k: &str| CliError::Shards(format!("the shards' kl-estimators configuration: {k}"));
    let text = |k: &str| config.get(k).and_then(Value::as_str).ok_or_else(|| bad(k));
    let int = |k: &str| config.get(k).and_then(Value::as_u64).ok_or_else(|| bad(k));
    let (from, to) = (text("from")?, text("to")?);
    let e = estimates(from, to, int("samples")?, int("seed")?, blocks)?;
    Ok((from.to_string(), to.to_string(), e))
}

/// Merges shard files of `kl-estimators` into the run's output.
///
/// # Errors
/// As [`estimates_from`].
pub fn merged(
    config: &serde_json::Map<String, Value>,
    blocks: &[KlBlock],
    as_json: bool,
) -> Result<String, CliError> {
    let (from, to, e) = estimates_from(config, blocks)?;
    Ok(render(&from, &to, &e, as_json))
}

fn render(from: &str, to: &str, e: &KlEstimates, as_json: bool) -> String {
    if as_json {
        render_json(from, to, e)
    } else {
        render_text(from, to, e)
    }
}

impl KlArgs {
    /// The run's configuration as a shard file records it, once the
    /// distributions are known to parse.
    ///
    /// # Errors
    /// [`CliError::Usage`] for a distribution that does not parse.
    pub fn checked_config_json(&self) -> Result<Value, CliError> {
        let usage = |e: &dyn std::fmt::Display| CliError::Usage(e.to_string());
        self.from.parse::<Truth>().map_err(|e| usage(&e))?;
        self.to.parse::<Truth>().map_err(|e| usage(&e))?;
        Ok(self.config_json())
    }

    fn config_json(&self) -> Value {
        json!({"from": self.from, "to": self.to, "samples": self.samples, "seed": self.seed})
    }
}
