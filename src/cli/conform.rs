//! `logloss-proofs conform`: runs the conformance checks on another program.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use logloss_proofs::claims::CheckFailure;
use logloss_proofs::claims::DEFAULT_CASES;
use logloss_proofs::conformance::diagnosis::{Cause, RootCause, root_causes};
use logloss_proofs::conformance::process::{
    DEFAULT_KEPT_STDERR_LINES, KeptStderr, SpawnOptions, StderrMode, TimeoutKind,
};
use logloss_proofs::conformance::{
    self, CheckResult, Config, ConformanceError, ConformanceReport, Domain, Hint, Outcome,
    Precision, ProcessImplementation, ProtocolError, Shapes,
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
    /// The numbers of categories batches are drawn with, comma-separated
    /// [default: 1,2,3,5,8,32,257,1024]. Each distinct (rows, categories)
    /// shape costs a library that compiles per shape (JAX) a compilation.
    #[arg(long, value_name = "N,N,…", value_delimiter = ',')]
    categories: Option<Vec<usize>>,
    /// The numbers of rows batches are drawn with, comma-separated
    /// [default: 1,2,4].
    #[arg(long, value_name = "N,N,…", value_delimiter = ',')]
    rows: Option<Vec<usize>>,
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

/// The width text output is wrapped at.
const WIDTH: usize = 100;

/// `line` broken at spaces (and, inside a word too long for a line, after
/// commas) into lines of at most [`WIDTH`] characters where it can be, each
/// after the first indented by `indent` spaces; each line ends in a newline.
fn wrap(line: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let mut current = String::new();
    let mut width = 0;
    // Words with the spaces before them, so alignment within a line stays.
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut spaces = 0;
    for piece in line.split(' ') {
        if piece.is_empty() {
            spaces += 1;
        } else {
            words.push((spaces + usize::from(!words.is_empty()), piece));
            spaces = 0;
        }
    }
    let leading = line.len() - line.trim_start_matches(' ').len();
    if let Some(first) = words.first_mut() {
        first.0 = leading;
    }
    // At the start of a line: no break before, and after the indent no gap.
    let mut line_start = true;
    for (gap, word) in words {
        for (k, part) in split_long(word, WIDTH - indent).into_iter().enumerate() {
            let gap = if k == 0 { gap } else { 0 };
            let len = part.chars().count();
            if !line_start && width + gap + len > WIDTH {
                out.push_str(current.trim_end());
                out.push('\n');
                current = pad.clone();
                width = indent;
                line_start = true;
            }
            if !line_start || (out.is_empty() && current.is_empty()) {
                current.push_str(&" ".repeat(gap));
                width += gap;
            }
            current.push_str(part);
            width += len;
            line_start = false;
        }
    }
    out.push_str(current.trim_end());
    out.push('\n');
    out
}

/// A word cut after commas into parts of at most `max` characters where it
/// can be (a part with no comma to cut at stays whole).
fn split_long(word: &str, max: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = word;
    while rest.chars().count() > max {
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        match rest[..limit].rfind(',') {
            Some(i) if i > 0 => {
                parts.push(&rest[..=i]);
                rest = &rest[i + 1..];
            }
            _ => break,
        }
    }
    parts.push(rest);
    parts
}

const NAN_SHOWN: &str = "NaN (never agrees)";

/// Text from a check with each NaN it shows as a value labelled as
/// [`CheckFailure`]'s rendering labels a NaN value.
fn label_nan(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("NaN") {
        let before = rest[..i].chars().next_back();
        let after = rest[i + 3..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        out.push_str(&rest[..i + 3]);
        if !word(before) && !word(after) && !rest[i..].starts_with(NAN_SHOWN) {
            out.push_str(&NAN_SHOWN[3..]);
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

/// The failure as text ([`CheckFailure`]'s own, which shows a NaN value as
/// never agreeing), with every NaN that its name or message shows as a
/// value labelled the same way.
fn problem_text(f: &CheckFailure) -> String {
    label_nan(&f.to_string())
}

/// A cause shared by several failures, as text.
fn cause_text(cause: &Cause) -> String {
    match cause {
        Cause::NanWherePIsZero => {
            "NaN where p has a zero (0·ln 0 evaluated as NaN, not taken as 0)".to_string()
        }
        Cause::Hinted(hint) => hint_text(hint),
        Cause::SameCase(inputs) => {
            let inputs: Vec<String> = inputs
                .iter()
                .map(|(name, rows)| format!("{name} = {}", rows_text(rows)))
                .collect();
            format!("the same shrunk case {}", inputs.join("; "))
        }
    }
}

fn cause_json(cause: &RootCause) -> Value {
    let (name, detail) = match &cause.cause {
        Cause::NanWherePIsZero => ("nan-where-p-is-zero", Value::Null),
        Cause::Hinted(hint) => ("hint", hint_json(hint)),
        Cause::SameCase(inputs) => (
            "same-case",
            Value::Object(
                inputs
                    .iter()
                    .map(|(name, rows)| (name.clone(), rows_json(rows)))
                    .collect(),
            ),
        ),
    };
    json!({"cause": name, "detail": detail, "checks": cause.checks})
}

/// A hint as text.
fn hint_text(hint: &Hint) -> String {
    match hint {
        Hint::MeanOverElements { categories } => format!(
            "got = want / {categories}, the categories: a mean over all elements \
             (reduction='mean') where the sum / rows is due"
        ),
        Hint::NotDividedByRows { rows } => {
            format!("got = want × {rows}, the rows: the sum not divided by the rows")
        }
        Hint::SwappedArguments => "got = KL(q‖p): the arguments swapped".to_string(),
        Hint::Float32 => "an f32 number, within the f32 tolerance: computed in float32 \
                          (f64 input truncated to f32?)"
            .to_string(),
        Hint::LogClampedAt100 => "finite where the exact value is +∞, each category with \
                                  q = 0 < p adding 100·p: the logarithm clamped at −100 (as \
                                  PyTorch's binary_cross_entropy does)"
            .to_string(),
        Hint::ClippedQ { epsilon } => {
            format!("finite where the exact value is +∞, as if q were clipped to ε ≈ {epsilon:.1e}")
        }
    }
}

fn hint_json(hint: &Hint) -> Value {
    let mut v = json!({"hint": hint.name()});
    match hint {
        Hint::MeanOverElements { categories } => v["categories"] = json!(categories),
        Hint::NotDividedByRows { rows } => v["rows"] = json!(rows),
        Hint::ClippedQ { epsilon } => v["epsilon"] = number(*epsilon),
        _ => {}
    }
    v
}

/// A line per check (wrapped at about 100 columns, continuation lines
/// indented), under a failed check its problem, hints and shrunk case; a
/// line per cause that several failures share; then a summary line.
pub fn render_text(report: &ConformanceReport) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    const INDENT: usize = 8;
    let detail =
        |label: &str, text: &str| wrap(&format!("{:INDENT$}{label}: {text}", ""), INDENT + 2);
    let mut out = String::new();
    for c in &report.checks {
        let mark = match c.outcome {
            Outcome::Passed => "ok     ",
            Outcome::Failed(_) => "FAILED ",
            Outcome::Skipped => "skipped",
        };
        let mut line = format!(
            "{mark} {:<width$}  cases {:>6}  worst error/bound {:.3e}  resolution {:.3e} rel, {:.3e} abs",
            c.name, c.cases, c.worst_error_ratio, c.resolution.relative, c.resolution.absolute
        );
        if c.declined > 0 {
            line.push_str(&format!(
                "  declined by the program in {} case{}",
                c.declined,
                if c.declined == 1 { "" } else { "s" }
            ));
        }
        if !c.unsupported.is_empty() {
            line.push_str(&format!("  unsupported: {}", unsupported_text(c)));
        }
        out.push_str(&wrap(&line, INDENT));
        if let Outcome::Failed(case) = &c.outcome {
            out.push_str(&detail("problem", &problem_text(&case.failure)));
            for hint in &case.hints {
                out.push_str(&detail("hint", &hint_text(hint)));
            }
            let inputs: Vec<String> = case
                .inputs
                .iter()
                .map(|(name, rows)| format!("{name} = {}", rows_text(rows)))
                .collect();
            if !inputs.is_empty() {
                out.push_str(&detail("shrunk case", &inputs.join("; ")));
            }
        }
    }
    for cause in root_causes(report) {
        let checks = cause.checks.join(", ");
        let n = cause.checks.len();
        out.push_str(&wrap(
            &format!(
                "one cause, {n} checks: {}: {checks}",
                cause_text(&cause.cause)
            ),
            INDENT,
        ));
    }
    let count = |name: &str| {
        report
            .checks
            .iter()
            .filter(|c| c.outcome.name() == name)
            .count()
    };
    out.push_str(&wrap(
        &format!(
            "{} passed, {} failed, {} skipped: {} (seed {}, {} cases per check, {}, {})",
            count("passed"),
            count("failed"),
            count("skipped"),
            report.implementation,
            report.config.seed,
            report.config.cases,
            report.config.precision.name(),
            report.config.shapes
        ),
        INDENT,
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
            let (problem, hints, case) = match &c.outcome {
                Outcome::Failed(f) => (
                    Value::from(f.message.clone()),
                    f.hints.iter().map(hint_json).collect(),
                    Value::Object(
                        f.inputs
                            .iter()
                            .map(|(name, rows)| (name.clone(), rows_json(rows)))
                            .collect(),
                    ),
                ),
                _ => (Value::Null, Vec::new(), Value::Null),
            };
            json!({
                "name": c.name,
                "description": c.description,
                "outcome": c.outcome.name(),
                "cases": c.cases,
                "declined": c.declined,
                "worst_error_ratio": number(c.worst_error_ratio),
                "resolution": resolution(c.resolution),
                "unsupported": c.unsupported.iter().map(|(op, r)| json!({"op": op.name(), "reduction": r.name()})).collect::<Vec<_>>(),
                "problem": problem,
                "hints": hints,
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
        "shapes": {
            "categories": report.config.shapes.categories(),
            "rows": report.config.shapes.rows(),
        },
        "passed": report.passed(),
        "checks": checks,
        "root_causes": root_causes(report).iter().map(cause_json).collect::<Vec<_>>(),
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

/// The option that allows more time, when a protocol error is a timeout.
fn timeout_option(e: Option<&ProtocolError>) -> Option<&'static str> {
    match e {
        Some(ProtocolError::Timeout { kind, .. }) => Some(match kind {
            TimeoutKind::Startup => "--startup-timeout SECONDS",
            TimeoutKind::PerAnswer => "--timeout SECONDS",
        }),
        _ => None,
    }
}

/// The error of a run, with the option that allows more time when a timeout
/// ran out.
fn run_error(e: ConformanceError) -> CliError {
    let protocol = match &e {
        ConformanceError::Broken { source, .. } => source.downcast_ref::<ProtocolError>(),
        ConformanceError::NoCases => None,
    };
    match timeout_option(protocol) {
        Some(option) => CliError::ConformTimeout {
            source: Box::new(e),
            option,
        },
        None => CliError::Conformance(e),
    }
}

/// The error of the `hello`: with the option that allows more time when the
/// start-up timeout ran out, and with what the program must answer when it
/// exited or wrote a malformed line.
fn hello_error(e: ProtocolError) -> CliError {
    match timeout_option(Some(&e)) {
        Some(option) => CliError::ConformTimeout {
            source: Box::new(e),
            option,
        },
        None => match e {
            ProtocolError::Exited { .. } | ProtocolError::Malformed { .. } => CliError::Hello(e),
            e => CliError::Protocol(e),
        },
    }
}

/// The shapes to draw: those asked for (or the defaults), cut down to the
/// program's declared domain.
fn shapes(args: &ConformArgs, domain: Option<&Domain>) -> Result<Shapes, CliError> {
    let default = Shapes::default();
    let asked = Shapes::new(
        args.categories.as_deref().unwrap_or(default.categories()),
        args.rows.as_deref().unwrap_or(default.rows()),
    )?;
    Ok(match domain {
        Some(domain) => asked.within(domain, (args.categories.is_some(), args.rows.is_some()))?,
        None => asked,
    })
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
    // The shapes asked for are checked before the program starts.
    shapes(args, None)?;
    let mut imp = ProcessImplementation::spawn(&args.cmd, options)?;
    let precision = args.precision.into();
    let domain = imp.hello(precision).map_err(hello_error)?;
    let config = Config::new(args.seed, args.cases)
        .with_precision(precision)
        .with_shapes(shapes(args, domain.as_ref())?);
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

#[cfg(test)]
mod tests {
    use super::*;
    use logloss_proofs::claims::Found;

    /// Lines break at spaces within 100 columns, continuations indented;
    /// alignment within a line stays; a word too long for a line is cut
    /// after a comma.
    #[test]
    fn text_wraps_at_100_columns_with_indented_continuations() {
        let words = vec!["word"; 40].join(" ");
        let line = format!("ok  x{}", " ".repeat(3)) + &words;
        let out = wrap(&line, 8);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() >= 2, "{out}");
        assert!(lines[0].starts_with("ok  x   word"), "{out}");
        for l in &lines[1..] {
            assert!(l.starts_with("        word"), "{out}");
        }
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH), "{out}");
        // Every word is still there, in order.
        assert_eq!(out.split_whitespace().count(), 42);
        let rows = format!("p = [{}]", vec!["0.123456789"; 30].join(","));
        let out = wrap(&rows, 10);
        assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
        assert_eq!(out.replace("\n          ", ""), format!("{rows}\n"));
    }

    #[test]
    fn every_nan_shown_as_a_value_says_it_never_agrees() {
        assert_eq!(
            label_nan("CE = NaN against NaN; NaNs, xNaN"),
            "CE = NaN (never agrees) against NaN (never agrees); NaNs, xNaN"
        );
        assert_eq!(label_nan(&label_nan("NaN")), "NaN (never agrees)");
        let f = CheckFailure {
            comparison: logloss_proofs::claims::Comparison::Require,
            what: "row 0".to_string(),
            found: Found::Exceeds {
                got: f64::NAN,
                want: f64::NAN,
                bound: 1.0,
            },
        };
        assert_eq!(
            problem_text(&f),
            "row 0: got NaN (never agrees), want NaN (never agrees)"
        );
    }
}
