//! The Markdown pages, one module per page or group of pages. Each page is
//! rendered from [`Evidence`] only: these modules format, they do not compute.

mod appendix;
mod claim_pages;
mod index;
mod studies;
mod training;

pub use appendix::{appendix, calibration};
pub use claim_pages::{argmin, identities, where_they_differ};
pub use index::index;
pub use studies::{gap_study_page, kl_estimators, kl_study_page, risk_gap};
pub use training::training;

use crate::claims::{Expectation, Outcome, Verdict};
use crate::report::evidence::Evidence;
use crate::report::format::count;

/// The command that regenerates the reports at this evidence's seed and budget.
fn command(e: &Evidence) -> String {
    let mut c = "cargo run --release -- report".to_string();
    if e.seed != crate::seed::DEFAULT_SEED {
        c.push_str(&format!(" --seed {}", e.seed));
    }
    if e.budget != crate::report::evidence::Budget::Default {
        c.push_str(&format!(" --budget {}", e.budget.name()));
    }
    c
}

/// The header every page starts with.
fn header(e: &Evidence, title: &str) -> String {
    format!(
        "# {title}\n\n> logloss-proofs {} · seed {} · budget `{}` ({} cases per claim property, {} replicates per gap estimate, {} samples per KL-estimator run) · regenerate with `{}`\n\n",
        e.version,
        e.seed,
        e.budget.name(),
        e.budget.cases(),
        count(e.budget.replicates()),
        count(e.budget.samples()),
        command(e)
    )
}

fn verdict_words(v: &Verdict) -> &'static str {
    match (v.expectation, v.outcome) {
        (Expectation::Holds, Outcome::AsExpected) => {
            "holds: no violation in any case (consistent with the claim)"
        }
        (Expectation::Refuted, Outcome::AsExpected) => {
            "refuted: a counterexample was found and shrunk"
        }
        (_, Outcome::Failed) => {
            "**FAILED**: the check saw the opposite of what the catalogue states"
        }
    }
}

fn short_verdict(v: &Verdict) -> &'static str {
    match (v.expectation, v.outcome) {
        (Expectation::Holds, Outcome::AsExpected) => "holds",
        (Expectation::Refuted, Outcome::AsExpected) => "refuted (counterexample)",
        (_, Outcome::Failed) => "**FAILED**",
    }
}

fn page_of(number: u8) -> &'static str {
    match number {
        1..=3 => "identities.md",
        4..=5 => "argmin.md",
        _ => "where-they-differ.md",
    }
}

fn test_link(test: &str) -> String {
    let (file, function) = test.split_once("::").unwrap_or((test, ""));
    format!("[`{function}`](../{file})")
}

/// A resolution figure: "—" where no comparison of its kind allowed a
/// tolerance.
fn figure(x: f64) -> String {
    if x == 0.0 {
        "—".to_string()
    } else {
        crate::report::format::sci(x)
    }
}

/// A resolution as "R rel · A abs", followed by the rounding figures alone
/// where approximation allowances widened it.
fn resolution_text(r: &crate::claims::Resolution) -> String {
    let pair = |rel, abs| format!("{} rel · {} abs", figure(rel), figure(abs));
    let all = pair(r.relative, r.absolute);
    if (r.relative, r.absolute) == (r.rounding_relative, r.rounding_absolute) {
        all
    } else {
        format!(
            "{all} (rounding alone: {})",
            pair(r.rounding_relative, r.rounding_absolute)
        )
    }
}
/// A percentage with one decimal.
fn percent(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}
