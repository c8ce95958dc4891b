//! `logloss-proofs conform`: runs the conformance checks on another program.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use logloss_proofs::claims::DEFAULT_CASES;
use logloss_proofs::conformance::process::{
    DEFAULT_KEPT_STDERR_LINES, KeptStderr, SpawnOptions, StderrMode, TimeoutKind,
};
use logloss_proofs::conformance::{
    self, CheckResult, Config, ConformanceError, ConformanceReport, Outcome, Precision,
    ProcessImplementation, ProtocolError,
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
    /// Seconds to wait for each response after the first before the program
    /// is killed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_timeout)]
    timeout: f64,
    /// Seconds to wait for the first response, which includes the program's
    /// start-up (a cold `import torch` can take a minute).
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0, value_parser = parse_timeout)]
    startup_timeout: f64,
    /// Keep the program's stderr instead of passing it on line by line
    /// (prefixed "adapter: "); its last 20 lines are shown under the summary.
    #[arg(long)]
    quiet_adapter: bool,
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

/// One JSON object with the configuration, every check and the
/// capabilities, and under `--quiet-adapter` the kept lines of the program's
/// stderr (`"adapter_stderr": {"lines": [...], "dropped": N}`).
pub fn render_json(report: &ConformanceReport, kept: Option<&KeptStderr>) -> String {
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
    let mut object = json!({
        "implementation": report.implementation,
        "seed": report.config.seed,
        "cases_per_check": report.config.cases,
        "precision": report.config.precision.name(),
        "passed": report.passed(),
        "checks": checks,
        "capabilities": capabilities,
    });
    if let (Some(kept), Some(map)) = (kept, object.as_object_mut()) {
        map.insert(
            "adapter_stderr".to_string(),
            json!({"lines": kept.lines, "dropped": kept.dropped}),
        );
    }
    object.to_string() + "\n"
}

/// The kept lines of the program's stderr, under the summary.
fn render_kept_stderr(kept: &KeptStderr) -> String {
    if kept.lines.is_empty() && kept.dropped == 0 {
        return String::new();
    }
    let mut out = format!("adapter stderr, last {} lines", kept.lines.len());
    if kept.dropped > 0 {
        out.push_str(&format!(" ({} earlier lines dropped)", kept.dropped));
    }
    out.push_str(":\n");
    for line in &kept.lines {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// The error of a run, with the option that allows more time when a timeout
/// ran out.
fn run_error(e: ConformanceError) -> CliError {
    let kind = match &e {
        ConformanceError::Broken { source, .. } => match source.downcast_ref::<ProtocolError>() {
            Some(ProtocolError::Timeout { kind, .. }) => Some(*kind),
            _ => None,
        },
        ConformanceError::NoCases => None,
    };
    match kind {
        Some(TimeoutKind::Startup) => CliError::ConformTimeout {
            source: e,
            option: "--startup-timeout SECONDS",
        },
        Some(TimeoutKind::PerAnswer) => CliError::ConformTimeout {
            source: e,
            option: "--timeout SECONDS",
        },
        None => CliError::Conformance(e),
    }
}

/// Runs `conform`; returns whether no check failed.
pub fn run(args: &ConformArgs, out: &mut dyn Write) -> Result<bool, CliError> {
    let stderr = if args.quiet_adapter {
        StderrMode::Keep(DEFAULT_KEPT_STDERR_LINES)
    } else {
        StderrMode::Stream(Arc::new(|line: &str| {
            // A closed or failing stderr loses the line, never the run.
            let _ = writeln!(std::io::stderr().lock(), "adapter: {line}");
        }))
    };
    let options = SpawnOptions::default()
        .timeout(Duration::from_secs_f64(args.timeout))
        .startup_timeout(Duration::from_secs_f64(args.startup_timeout))
        .stderr(stderr);
    let mut imp = ProcessImplementation::spawn(&args.cmd, options)?;
    let config = Config::new(args.seed, args.cases).with_precision(args.precision.into());
    let report = conformance::run(&imp, &config).map_err(run_error)?;
    // Shut the process down before writing, so its exit (and its last words
    // on stderr) are part of the run.
    imp.shut_down();
    let kept = args.quiet_adapter.then(|| imp.kept_stderr());
    let text = if args.json {
        render_json(&report, kept.as_ref())
    } else {
        let mut text = render_text(&report);
        if let Some(kept) = &kept {
            text.push_str(&render_kept_stderr(kept));
        }
        text
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(report.passed())
}
