//! `logloss-proofs check`: runs the claim catalogue and prints the verdicts.

use std::io::Write;

use clap::Args;
use logloss_proofs::claims::{self, Context, Counterexample, Outcome, Verdict};
use logloss_proofs::seed::DEFAULT_SEED;
use serde_json::{Value, json};

use super::json::{number, resolution};
use crate::error::CliError;

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Run only the claim with this id.
    #[arg(long, value_name = "ID")]
    claim: Option<String>,
    /// Random cases per property.
    #[arg(long, value_name = "N", default_value_t = claims::DEFAULT_CASES, value_parser = clap::value_parser!(u32).range(1..))]
    cases: u32,
    /// The seed every random stream is derived from.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Print one JSON object instead of one line per claim.
    #[arg(long)]
    json: bool,
}

fn counterexample_inline(c: &Counterexample) -> String {
    let rows: Vec<String> = c.rows.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{}: {}", c.summary, rows.join("; "))
}

/// One line per verdict.
pub fn render_text(verdicts: &[Verdict]) -> String {
    let id_width = verdicts.iter().map(|v| v.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for v in verdicts {
        let mark = match v.outcome {
            Outcome::AsExpected => "ok    ",
            Outcome::Failed => "FAILED",
        };
        out.push_str(&format!(
            "{mark} {:>2} {:<id_width$}  {:<7}  cases {:>6}  worst error/bound {:.3e}  resolution {:.3e} rel, {:.3e} abs",
            v.number,
            v.id,
            v.expectation.name(),
            v.evidence.cases,
            v.evidence.worst_error_ratio,
            v.evidence.resolution.relative,
            v.evidence.resolution.absolute
        ));
        let searches: Vec<String> = v
            .evidence
            .searches()
            .map(|(_, s)| format!("{}/{}", s.found, s.draws))
            .collect();
        if !searches.is_empty() {
            out.push_str(&format!("  hits {}", searches.join(",")));
        }
        if let Some(problem) = &v.evidence.problem {
            out.push_str(&format!("  problem: {problem}"));
        }
        if let Some(c) = &v.evidence.counterexample {
            out.push_str(&format!("  counterexample: {}", counterexample_inline(c)));
        }
        out.push('\n');
    }
    out
}

fn counterexample_json(c: &Option<Counterexample>) -> Value {
    match c {
        None => Value::Null,
        Some(c) => json!({
            "summary": c.summary,
            "rows": c.rows.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        }),
    }
}

/// One JSON object with the seed and every verdict.
pub fn render_json(seed: u64, cases: u32, verdicts: &[Verdict]) -> String {
    let claims: Vec<Value> = verdicts
        .iter()
        .map(|v| {
            json!({
                "id": v.id,
                "number": v.number,
                "title": v.title,
                "expectation": v.expectation.name(),
                "outcome": v.outcome.name(),
                "cases": v.evidence.cases,
                "worst_error_ratio": number(v.evidence.worst_error_ratio),
                "resolution": resolution(v.evidence.resolution),
                "searches": v
                    .evidence
                    .searches()
                    .map(|(name, s)| json!({
                        "name": name,
                        "draws": s.draws,
                        "found": s.found,
                        "hit_rate": number(s.hit_rate()),
                    }))
                    .collect::<Vec<_>>(),
                "problem": v.evidence.problem.as_ref().map(ToString::to_string),
                "counterexample": counterexample_json(&v.evidence.counterexample),
            })
        })
        .collect();
    json!({ "seed": seed, "cases_per_property": cases, "claims": claims }).to_string() + "\n"
}

/// Runs `check`; returns whether every claim behaved as stated.
pub fn run(args: &CheckArgs, out: &mut dyn Write) -> Result<bool, CliError> {
    let ctx = Context::new(args.seed, args.cases);
    let verdicts =
        claims::run(&ctx, args.claim.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    let text = if args.json {
        render_json(args.seed, args.cases, &verdicts)
    } else {
        render_text(&verdicts)
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(verdicts.iter().all(|v| v.outcome == Outcome::AsExpected))
}
