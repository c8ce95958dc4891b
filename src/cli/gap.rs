//! `logloss-proofs gap`: Monte Carlo estimate of the true-risk gap.

use std::io::Write;

use clap::Args;
use logloss_proofs::estimators::{
    Estimate, Expected, GapConfig, GapEstimate, Model, Truth, estimate_gap,
};
use logloss_proofs::seed::DEFAULT_SEED;
use serde_json::{Value, json};

use super::json::number;
use super::progress::Progress;
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
        "\nvariance reduction of the control variate: {:.1}×\ninfinite replicates: {:.4}\n",
        e.variance_reduction, e.gap_raw.infinite_fraction
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

/// Runs `gap`.
pub fn run(args: &GapArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let bad = |e: logloss_proofs::estimators::SpecError| CliError::Usage(e.to_string());
    let config = GapConfig {
        model: args.model.parse::<Model>().map_err(bad)?,
        truth: args.truth.parse::<Truth>().map_err(bad)?,
        n: args.n,
        reps: args.reps,
        seed: args.seed,
        level: args.level,
    };
    let progress = Progress::new(config.reps);
    let estimate = estimate_gap(&config, &|done| progress.update(done))
        .map_err(|e| CliError::Usage(e.to_string()));
    progress.finish();
    let estimate = estimate?;
    let text = if args.json {
        render_json(&estimate)
    } else {
        render_text(&estimate)
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)
}
