//! `logloss-proofs measure`: the four measures of one pair, as a table or JSON.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use logloss_proofs::measures::npy::read_f64_npy;
use logloss_proofs::measures::{Prediction, Summary, Unit, normalize, summarize};
use serde_json::json;

use super::json::number;
use crate::error::CliError;

/// Arguments of `measure`.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// Target distribution p, comma-separated (e.g. 0.2,0.8).
    #[arg(
        long,
        value_name = "P1,P2,…",
        allow_hyphen_values = true,
        required_unless_present = "p_file",
        conflicts_with = "p_file"
    )]
    p: Option<String>,
    /// Read p from a 1-D float64 .npy file.
    #[arg(long, value_name = "FILE")]
    p_file: Option<PathBuf>,
    /// Prediction q (or logits with --q-logits), comma-separated.
    #[arg(
        long,
        value_name = "Q1,Q2,…",
        allow_hyphen_values = true,
        required_unless_present = "q_file",
        conflicts_with = "q_file"
    )]
    q: Option<String>,
    /// Read q from a 1-D float64 .npy file.
    #[arg(long, value_name = "FILE")]
    q_file: Option<PathBuf>,
    /// Read q as logits z, with q = softmax(z).
    #[arg(long)]
    q_logits: bool,
    /// Divide p (and q, unless logits) by their sums first, as scipy.stats.entropy does.
    #[arg(long)]
    normalize: bool,
    /// Report in bits instead of nats.
    #[arg(long)]
    bits: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_list(flag: &'static str, text: &str) -> Result<Vec<f64>, CliError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .enumerate()
        .map(|(index, item)| {
            item.trim()
                .parse::<f64>()
                .map_err(|_| CliError::NotANumber {
                    arg: flag,
                    index,
                    text: item.to_string(),
                })
        })
        .collect()
}

fn load(
    flag: &'static str,
    inline: &Option<String>,
    file_flag: &'static str,
    file: &Option<PathBuf>,
) -> Result<Vec<f64>, CliError> {
    match (inline, file) {
        (Some(text), _) => parse_list(flag, text),
        (None, Some(path)) => read_f64_npy(path).map_err(|source| CliError::Npy {
            flag: file_flag,
            source,
        }),
        (None, None) => Err(CliError::Usage(format!(
            "{flag} or {file_flag} is required"
        ))),
    }
}

/// Computes the summary for the parsed arguments.
fn compute(args: &MeasureArgs) -> Result<Summary, CliError> {
    let mut p = load("--p", &args.p, "--p-file", &args.p_file)?;
    let mut q = load("--q", &args.q, "--q-file", &args.q_file)?;
    if args.normalize {
        p = normalize(&p).map_err(|e| rename(e, "p"))?;
        if !args.q_logits {
            q = normalize(&q).map_err(|e| rename(e, "q"))?;
        }
    }
    let unit = if args.bits { Unit::Bits } else { Unit::Nats };
    let prediction = if args.q_logits {
        Prediction::Logits(&q)
    } else {
        Prediction::Probabilities(&q)
    };
    Ok(summarize(&p, prediction, unit)?)
}

/// `normalize` names its argument "weights"; on the command line it is p or q.
fn rename(mut e: logloss_proofs::measures::MeasureError, name: &'static str) -> CliError {
    use logloss_proofs::measures::MeasureError as E;
    match &mut e {
        E::Empty { arg }
        | E::ZeroMass { arg }
        | E::NotFinite { arg, .. }
        | E::Negative { arg, .. } => arg.name = name,
        _ => {}
    }
    CliError::Measure(e)
}

/// Renders a summary as an aligned table.
pub fn render_table(s: &Summary) -> String {
    let rows = [
        ("entropy H(p)", s.entropy),
        ("cross-entropy CE(p, q)", s.cross_entropy),
        ("KL divergence KL(p‖q)", s.kl_divergence),
        ("reverse KL divergence KL(q‖p)", s.reverse_kl_divergence),
    ];
    let values: Vec<String> = rows.iter().map(|(_, v)| format_value(*v)).collect();
    let name_width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let value_width = values
        .iter()
        .map(|v| v.len())
        .max()
        .unwrap_or(0)
        .max(s.unit.name().len());
    let mut out = format!(
        "{:<name_width$}  {:>value_width$}\n",
        format!("{} categories", s.categories),
        s.unit.name()
    );
    for ((name, _), value) in rows.iter().zip(&values) {
        let pad = name_width - name.chars().count();
        out.push_str(&format!("{name}{:pad$}  {value:>value_width$}\n", ""));
    }
    out
}

/// A value in the table: the shortest decimal that reads back as the same f64.
fn format_value(v: f64) -> String {
    if v == f64::INFINITY {
        "inf".to_string()
    } else {
        format!("{v}")
    }
}

/// Renders a summary as one JSON object.
pub fn render_json(s: &Summary) -> String {
    json!({
        "unit": s.unit.name(),
        "categories": s.categories,
        "entropy": number(s.entropy),
        "cross_entropy": number(s.cross_entropy),
        "kl_divergence": number(s.kl_divergence),
        "reverse_kl_divergence": number(s.reverse_kl_divergence),
    })
    .to_string()
}

/// Runs `measure`.
pub fn run(args: &MeasureArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let summary = compute(args)?;
    let text = if args.json {
        render_json(&summary) + "\n"
    } else {
        render_table(&summary)
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)
}
