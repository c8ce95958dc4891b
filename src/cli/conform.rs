//! `logloss-proofs conform`: runs the conformance checks on another program.

use std::io::Write;
use std::time::Duration;

use clap::{Args, ValueEnum};
use logloss_proofs::claims::DEFAULT_CASES;
use logloss_proofs::conformance::{
    self, CheckResult, Config, ConformanceReport, Outcome, Precision, ProcessImplementation,
};
use logloss_proofs::seed::DEFAULT_SEED;
use serde_json::{Value, json};

use super::json::{number, resolution};
use crate::error::CliError;

/// The implementation's arithmetic, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// Double precision (u = 2⁻⁵³).
    F64,
    /// Single precision (u = 2⁻²⁴, inputs rounded to f32).
    F32,
}

impl From<PrecisionArg> for Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::F64 => Precision::F64,
            PrecisionArg::F32 => Precision::F32,
        }
    }
}

/// Arguments of `conform`.
#[derive(Debug, Args)]
pub struct ConformArgs {
    /// The program under test, e.g. "python3 my_losses.py": started once,
    /// one JSON request per line on its stdin, one JSON response per line on
    /// its stdout (see the README). Quotes group words; no shell is involved.
    #[arg(long, value_name = "COMMAND")]
    cmd: String,
    /// Random cases per check.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CASES, value_parser = clap::value_parser!(u32).range(1..))]
    cases: u32,
    /// The seed every random stream is derived from.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// The precision the program computes in; it sets the tolerances.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F64)]
    precision: PrecisionArg,
    /// Seconds to wait for each response before the program is killed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_timeout)]
    timeout: f64,
    /// Print one JSON object instead of one line per check.
    #[arg(long)]
    json: bool,
}

fn parse_timeout(text: &str) -> Result<f64, String> {
    let t: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if t.is_finite() && t > 0.0 && t <= 86_400.0 {
        Ok(t)
    } else {
        Err(format!("{text} must be positive and at most 86400 seconds"))
    }
}

/// Rows of numbers as compact JSON (+∞ as `"inf"`).
fn rows_text(rows: &[Vec<f64>]) -> String {
    rows_json(rows).to_string()
}

fn rows_json(rows: &[Vec<f64>]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| Value::Array(r.iter().map(|&x| number(x)).collect()))
            .collect(),
    )
}

fn unsupported_text(c: &CheckResult) -> String {
    c.unsupported
        .iter()
        .map(|(op, r)| format!("{} ({})", op.name(), r.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line per check, then a summary line.
pub fn render_text(report: &ConformanceReport) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for c in &report.checks {
        let mark = match c.outcome {
            Outcome::Passed => "ok     ",
            Outcome::Failed(_) => "FAILED ",
            Outcome::Skipped => "skipped",
        };
        out.push_str(&format!(
            "{mark} {:<width$}  cases {:>6}  worst error/bound {:.3e}  resolution {:.3e} rel, {:.3e} abs",
            c.name, c.cases, c.worst_error_ratio, c.resolution.relative, c.resolution.absolute
        ));
        if !c.unsupported.is_empty() {
            out.push_str(&format!("  unsupported: {}", unsupported_text(c)));
        }
        if let Outcome::Failed(case) = &c.outcome {
            let inputs: Vec<String> = case
                .inputs
                .iter()
                .map(|(name, rows)| format!("{name} = {}", rows_text(rows)))
                .collect();
            out.push_str(&format!(
                "  problem: {}  shrunk case: {}",
                case.message,
                inputs.join("; ")
            ));
        }
        out.push('\n');
    }
    let count = |name: &str| {
        report
            .checks
            .iter()
            .filter(|c| c.outcome.name() == name)
            .count()
    };
    out.push_str(&format!(
        "{} passed, {} failed, {} skipped: {} (seed {}, {} cases per check, {})\n",
        count("passed"),
        count("failed"),
        count("skipped"),
        report.implementation,
        report.config.seed,
        report.config.cases,
        report.config.precision.name()
    ));
    out
}

/// One JSON object with the configuration, every check and the capabilities.
pub fn render_json(report: &ConformanceReport) -> String {
    let checks: Vec<Value> = report
        .checks
        .iter()
        .map(|c| {
            let (problem, case) = match &c.outcome {
                Outcome::Failed(f) => (
                    Value::from(f.message.clone()),
                    Value::Object(
                        f.inputs
                            .iter()
                            .map(|(name, rows)| (name.clone(), rows_json(rows)))
                            .collect(),
                    ),
                ),
                _ => (Value::Null, Value::Null),
            };
            json!({
                "name": c.name,
                "description": c.description,
                "outcome": c.outcome.name(),
                "cases": c.cases,
                "worst_error_ratio": number(c.worst_error_ratio),
                "resolution": resolution(c.resolution),
                "unsupported": c.unsupported.iter().map(|(op, r)| json!({"op": op.name(), "reduction": r.name()})).collect::<Vec<_>>(),
                "problem": problem,
                "case": case,
            })
        })
        .collect();
    let capabilities: Vec<Value> = report
        .capabilities
        .iter()
        .map(|c| json!({"op": c.op.name(), "reduction": c.reduction.name(), "support": c.support.name()}))
        .collect();
    json!({
        "implementation": report.implementation,
        "seed": report.config.seed,
        "cases_per_check": report.config.cases,
        "precision": report.config.precision.name(),
        "passed": report.passed(),
        "checks": checks,
        "capabilities": capabilities,
    })
    .to_string()
        + "\n"
}

/// Runs `conform`; returns whether no check failed.
pub fn run(args: &ConformArgs, out: &mut dyn Write) -> Result<bool, CliError> {
    let timeout = Duration::from_secs_f64(args.timeout);
    let imp = ProcessImplementation::spawn(&args.cmd, timeout)?;
    let config = Config::new(args.seed, args.cases).with_precision(args.precision.into());
    let report = conformance::run(&imp, &config)?;
    // Shut the process down before writing, so its exit is part of the run.
    drop(imp);
    let text = if args.json {
        render_json(&report)
    } else {
        render_text(&report)
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(report.passed())
}
