//! `logloss-proofs calibrate`: observed false-failure rates of the statistical
//! checks against their nominal level.

use std::io::Write;

use clap::Args;
use logloss_proofs::claims::calibration::{Calibration, INTERVAL_CONFIDENCE, calibrate};
use serde_json::json;

use super::json::number;
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

/// Runs `calibrate`; returns whether every check is consistent with its level.
pub fn run(args: &CalibrateArgs, out: &mut dyn Write) -> Result<bool, CliError> {
    let c = calibrate(args.seeds, args.level).map_err(|e| CliError::Usage(e.to_string()))?;
    let text = if args.json {
        render_json(&c)
    } else {
        render_text(&c)
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(c.checks.iter().all(|k| k.consistent))
}
