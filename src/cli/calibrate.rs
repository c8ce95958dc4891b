//! `logloss-proofs calibrate`: observed false-failure rates of the statistical
//! checks against their nominal level.

use std::io::Write;

use clap::Args;
use std::path::PathBuf;

use logloss_proofs::claims::calibration::{
    Calibration, INTERVAL_CONFIDENCE, calibrate_shard, finish_calibration,
};
use logloss_proofs::estimators::Shard;
use serde_json::{Value, json};

use super::json::number;
use super::shards::ShardFile;
use crate::error::CliError;

/// Arguments of `calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Seeds per check.
    #[arg(long, default_value_t = 1000)]
    seeds: u64,
    /// The nominal false-failure level each check runs at.
    #[arg(long, default_value_t = 0.05)]
    level: f64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Run only shard I of N: the seeds s with s mod N = I. Needs --out;
    /// `merge` combines the N files into exactly this command's output
    /// without --shard.
    #[arg(long, value_name = "I/N", requires = "out")]
    shard: Option<Shard>,
    /// Write the false-failure counts of the run (or of its --shard) to
    /// FILE, instead of printing the calibration.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// The JSON object of a calibration.
pub fn render_json(c: &Calibration) -> String {
    let checks: Vec<_> = c
        .checks
        .iter()
        .map(|k| {
            json!({
                "id": k.id, "runs": k.runs, "false_failures": k.false_failures,
                "rate": number(k.rate), "ci_low": number(k.ci_low), "ci_high": number(k.ci_high),
                "consistent": k.consistent,
            })
        })
        .collect();
    json!({ "level": c.level, "seeds": c.seeds, "interval_confidence": INTERVAL_CONFIDENCE, "checks": checks }).to_string()
        + "\n"
}

/// A table of a calibration.
pub fn render_text(c: &Calibration) -> String {
    let width = c.checks.iter().map(|k| k.id.len()).max().unwrap_or(0);
    let mut out = format!(
        "nominal false-failure level {}, {} seeds per check, Clopper–Pearson intervals at {}\n\n",
        c.level, c.seeds, INTERVAL_CONFIDENCE
    );
    for k in &c.checks {
        out.push_str(&format!(
            "{:<width$}  {:>5}/{:<5} rate {:.4}  [{:.4}, {:.4}]  {}\n",
            k.id,
            k.false_failures,
            k.runs,
            k.rate,
            k.ci_low,
            k.ci_high,
            if k.consistent {
                "consistent"
            } else {
                "NOT consistent"
            }
        ));
    }
    out
}

/// Runs `calibrate`; returns whether every check is consistent with its
/// level (always true when it writes a shard file).
pub fn run(args: &CalibrateArgs, out: &mut dyn Write) -> Result<bool, CliError> {
    let usage =
        |e: logloss_proofs::claims::calibration::CalibrationError| CliError::Usage(e.to_string());
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let counts = calibrate_shard(args.seeds, args.level, shard).map_err(usage)?;
    if let Some(path) = &args.out {
        let config = json!({"seeds": args.seeds, "level": args.level});
        let file = ShardFile::calibrate(config, shard, args.seeds, &counts);
        file.write(path)?;
        return Ok(true);
    }
    let c = finish_calibration(args.seeds, args.level, &counts).map_err(usage)?;
    write(&c, args.json, out)
}

fn write(c: &Calibration, as_json: bool, out: &mut dyn Write) -> Result<bool, CliError> {
    let text = if as_json {
        render_json(c)
    } else {
        render_text(c)
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(c.checks.iter().all(|k| k.consistent))
}

/// Merges shard files of `calibrate` into the run's output; returns
/// whether every check is consistent with its level.
///
/// # Errors
/// [`CliError::Shards`] for a configuration that is not a calibration's.
pub fn merged(
    config: &serde_json::Map<String, Value>,
    counts: &[u64],
    as_json: bool,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let bad = |k: &str| CliError::Shards(format!("the shards' calibrate configuration: {k}"));
    let seeds = config
        .get("seeds")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("seeds"))?;
    let level = config
        .get("level")
        .and_then(Value::as_f64)
        .ok_or_else(|| bad("level"))?;
    let c = finish_calibration(seeds, level, counts).map_err(|e| CliError::Usage(e.to_string()))?;
    write(&c, as_json, out)
}
