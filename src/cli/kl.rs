//! `logloss-proofs kl-estimators`: k1, k2 and k3 against the closed-form KL.

use std::io::Write;

use clap::Args;
use logloss_proofs::estimators::{KlEstimate, KlEstimates, Truth, estimate_kl};
use logloss_proofs::seed::DEFAULT_SEED;
use serde_json::{Value, json};

use super::json::number;
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
    let e = estimate_kl(&from, &to, args.samples, args.seed).map_err(|e| usage(&e))?;
    let text = if args.json {
        render_json(&args.from, &args.to, &e)
    } else {
        render_text(&args.from, &args.to, &e)
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)
}
