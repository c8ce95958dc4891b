//! The claims: each statement the crate stands for, as a value with an id, a
//! statement, its hypotheses, a check and a verdict.
//!
//! The same catalogue drives `cargo test` (one test per claim), the `check`
//! command, and the reports. A claim either **holds** (its check looks for a
//! violation over random and edge-case inputs) or is **refuted** (its check
//! searches for a counterexample and shrinks it). Every floating-point
//! comparison is against a bound derived for that case: u = 2⁻⁵³ times a
//! condition quantity, documented next to the check.
//!
//! The bounds are tested from both sides. Too loose: each check records its
//! resolution (its loosest tolerance relative to the value compared,
//! [`Evidence::resolution`]), whose rounding part must not exceed [`REQUIRED_RESOLUTION`].
//! Too tight: measures whose errors use the one accuracy contract
//! ([`crate::measures::contract_bound`], the conformance kit's too) to its
//! edge must still pass every claim.

mod argmin;
pub mod calibration;
#[cfg(test)]
mod contract_edge;
mod decomposition;
mod empirical_risk;
mod failure;
mod gibbs;
mod gradient;
mod harness;
mod kl_loss_pitfalls;
mod moving_target;
mod other_losses;
mod reverse_kl;
mod search;
mod verdict;

pub use crate::measures::Implementation;
use crate::measures::Reference;
pub use failure::{CheckFailure, Comparison, Found, Problem};
pub(crate) use harness::gibbs_floor;
pub(crate) use harness::{PropertyRun, Worst, property};
pub use search::SearchStats;
pub(crate) use search::{Search, search};
pub use verdict::{Counterexample, Evidence, Expectation, Outcome, Part, Resolution, Verdict};

/// What a check runs with.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The recorded seed; every stream is derived from it and the claim's id.
    pub seed: u64,
    /// Random cases per property.
    pub cases: u32,
    /// The measures under test: the crate's own ([`Reference`]) by default,
    /// or any other [`Implementation`] (a planted bug, a user's code).
    pub measures: &'a dyn Implementation,
}

impl<'a> Context<'a> {
    /// The crate's own measures, at `seed` with `cases` cases per property.
    pub fn new(seed: u64, cases: u32) -> Context<'static> {
        Context {
            seed,
            cases,
            measures: &Reference,
        }
    }

    /// The same context with other measures under test.
    pub fn with_measures<'b>(self, measures: &'b dyn Implementation) -> Context<'b> {
        Context {
            seed: self.seed,
            cases: self.cases,
            measures,
        }
    }
}

/// Random cases per property by default: enough to reach every edge-case
/// branch of the strategies many times, small enough that `cargo test` stays
/// well under a minute on two cores.
pub const DEFAULT_CASES: u32 = 256;

/// The rounding resolution every check of the catalogue must reach: 2⁻²⁰ ≈
/// 9.5e−7, relative to compared values of at least 1 in magnitude and
/// absolute below 1 ([`Resolution::rounding_relative`],
/// [`Resolution::rounding_absolute`]).
///
/// Rounding tolerances are u = 2⁻⁵³ times a condition quantity; the loosest
/// legitimate ones are the Newton fits' certificates (about 2e−8 on a
/// distance between fits) and the central differences of claim 5 (about
/// 3e−8 on a gradient entry, with their truncation term, which the step
/// choice keeps below the rounding term). So every check catches an
/// implementation error larger than 2⁻²⁰ of a value ≥ 1, or larger than
/// 2⁻²⁰ in absolute terms for a smaller value, in every comparison that is
/// exact up to rounding; a tolerance that went wrong (a bound term c·u
/// turned into c/u or c + u, a product into a sum) shows up far above it.
///
/// That is not a promise of one part in a million of *every* value: for a
/// value below 1 the figure is absolute (a gradient entry of 10⁻⁶ is
/// resolved to about 3e−8, a few percent of it), and comparisons against a
/// mathematical approximation (claim 3's binned densities, claim 4's
/// minimizers found from measured values alone, claim 5's descent after
/// finitely many steps) resolve only what their approximation allows. Those allowances are counted in [`Resolution::relative`] and
/// [`Resolution::absolute`], which the reports show per claim and per
/// property.
pub const REQUIRED_RESOLUTION: f64 = 1.0 / (1u64 << 20) as f64;

/// One statement of the catalogue.
#[derive(Clone, Copy)]
pub struct Claim {
    /// A stable id, e.g. `"ce-decomposition"`.
    pub id: &'static str,
    /// Its number in the catalogue (1-based).
    pub number: u8,
    /// A short title.
    pub title: &'static str,
    /// The statement, in Unicode math.
    pub statement: &'static str,
    /// The hypotheses under which it is claimed (or the setting of the refutation).
    pub hypotheses: &'static str,
    /// Holds or refuted.
    pub expectation: Expectation,
    /// The test in this repository that checks it, as `file::function`.
    pub test: &'static str,
    check: fn(&Context<'_>) -> Evidence,
}

impl Claim {
    /// Runs the check and turns its evidence into a verdict.
    pub fn check(&self, ctx: &Context<'_>) -> Verdict {
        let evidence = (self.check)(ctx);
        let outcome = if evidence.problem.is_none() {
            Outcome::AsExpected
        } else {
            Outcome::Failed
        };
        Verdict {
            id: self.id,
            number: self.number,
            title: self.title,
            expectation: self.expectation,
            outcome,
            seed: ctx.seed,
            evidence,
        }
    }
}

/// Every claim, in order.
pub fn catalogue() -> &'static [Claim] {
    &CATALOGUE
}

static CATALOGUE: [Claim; 9] = [
    decomposition::CE_DECOMPOSITION,
    gibbs::GIBBS,
    empirical_risk::EMPIRICAL_RISK_IS_NLL,
    argmin::ARGMIN_EQUIVALENCE,
    gradient::GRADIENT_EQUIVALENCE,
    reverse_kl::REVERSE_KL_DIFFERS,
    moving_target::MOVING_TARGET,
    other_losses::OTHER_LOSSES,
    kl_loss_pitfalls::KL_LOSS_PITFALLS,
];

/// Looks a claim up by id.
///
/// ```
/// let claim = logloss_proofs::claims::find("ce-decomposition").unwrap();
/// assert_eq!(claim.number, 1);
/// ```
pub fn find(id: &str) -> Option<&'static Claim> {
    CATALOGUE.iter().find(|c| c.id == id)
}

/// Runs every claim (or the one named `only`) and returns their verdicts.
///
/// # Errors
/// [`UnknownClaim`] if `only` names no claim.
pub fn run(ctx: &Context<'_>, only: Option<&str>) -> Result<Vec<Verdict>, UnknownClaim> {
    match only {
        None => Ok(CATALOGUE.iter().map(|c| c.check(ctx)).collect()),
        Some(id) => find(id)
            .map(|c| vec![c.check(ctx)])
            .ok_or_else(|| UnknownClaim { id: id.to_string() }),
    }
}

/// A claim id that is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no claim has the id {id:?} (ids: {})", CATALOGUE.iter().map(|c| c.id).collect::<Vec<_>>().join(", "))]
pub struct UnknownClaim {
    /// The id that was asked for.
    pub id: String,
}

/// Builds the evidence of a claim that must hold from the runs of its
/// properties: any failure is a problem, and its input the counterexample.
pub(crate) fn holds_evidence(runs: Vec<(&str, PropertyRun<Counterexample>)>) -> Evidence {
    let mut evidence = Evidence {
        cases: 0,
        worst_error_ratio: 0.0,
        resolution: Resolution::default(),
        counterexample: None,
        problem: None,
        parts: Vec::new(),
    };
    for (name, run) in runs {
        evidence.parts.push(part(name, false, &run));
        evidence.cases += run.cases;
        evidence.worst_error_ratio = evidence.worst_error_ratio.max(run.worst_error_ratio);
        evidence.resolution.widen(run.resolution);
        if evidence.problem.is_some() {
            continue;
        }
        if let Some(reason) = run.aborted {
            evidence.problem = Some(problem(name, CheckFailure::gave_up(&reason)));
        } else if let Some((failure, counterexample)) = run.failure {
            evidence.counterexample = Some(counterexample);
            evidence.problem = Some(problem(name, failure));
        }
    }
    evidence
}

/// The problem of the property `name`.
fn problem(name: &str, failure: CheckFailure) -> Problem {
    Problem {
        part: name.to_string(),
        failure,
    }
}

/// One property's record in the evidence.
pub(crate) fn part<T>(name: &str, search: bool, run: &PropertyRun<T>) -> Part {
    Part {
        name: name.to_string(),
        search,
        cases: run.cases,
        comparisons: run.comparisons,
        resolution: run.resolution,
        search_stats: None,
    }
}

/// A search's record in the evidence: its run's, with its statistics.
fn search_part(name: &str, s: &Search) -> Part {
    Part {
        search_stats: Some(s.stats),
        ..part(name, true, &s.run)
    }
}

/// Builds the evidence of a refuted claim: `search` ran the false statement
/// over its full number of draws and must have found a counterexample (its
/// shrunk first one is shown); `supporting` runs the statements that explain
/// the refutation and must hold. Every draw of the search counts as a case.
pub(crate) fn refuted_evidence(
    search: (&str, Search),
    supporting: Vec<(&str, PropertyRun<Counterexample>)>,
) -> Evidence {
    let evidence = holds_evidence(supporting);
    add_search(evidence, search, true)
}

/// Adds one search to a refuted claim's evidence. The first search's
/// counterexample is the evidence's; a later one's rows are appended.
fn add_search(mut evidence: Evidence, (name, s): (&str, Search), first: bool) -> Evidence {
    evidence.parts.push(search_part(name, &s));
    evidence.cases += s.stats.draws;
    evidence.resolution.widen(s.run.resolution);
    if evidence.problem.is_some() {
        return evidence;
    }
    if let Some(reason) = s.run.aborted {
        evidence.problem = Some(problem(name, CheckFailure::gave_up(&reason)));
    } else if let Some((_, found)) = s.run.failure {
        match evidence.counterexample.as_mut() {
            Some(c) if !first => c.rows.extend(found.rows),
            _ => evidence.counterexample = Some(found),
        }
    } else {
        evidence.problem = Some(problem(name, CheckFailure::not_refuted(s.stats.draws)));
    }
    evidence
}

/// Adds further searches to a refuted claim's evidence: each must find a
/// counterexample too; its counterexample's rows are appended.
pub(crate) fn with_searches(mut evidence: Evidence, searches: Vec<(&str, Search)>) -> Evidence {
    for s in searches {
        evidence = add_search(evidence, s, false);
    }
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cases: u64, failure: bool) -> PropertyRun<Counterexample> {
        PropertyRun {
            cases,
            worst_error_ratio: 0.25,
            resolution: Resolution {
                relative: 0.5,
                ..Resolution::default()
            },
            comparisons: 2 * cases,
            failure: failure.then(|| {
                (
                    CheckFailure::require("fails", "fails"),
                    Counterexample {
                        summary: "shrunk".into(),
                        rows: vec![("row".into(), "1".into())],
                    },
                )
            }),
            aborted: None,
        }
    }

    /// A search of `draws` draws, `found` of them counterexamples.
    fn searched(draws: u64, found: u64) -> Search {
        Search {
            run: run(draws - found, found > 0),
            stats: SearchStats { draws, found },
        }
    }

    /// A refuted claim counts the supporting cases and every draw of its
    /// search, passing or not: 7 + 8; the search's part carries its
    /// statistics.
    #[test]
    fn refuted_evidence_counts_every_draw_and_keeps_the_counterexample() {
        let e = refuted_evidence(("search", searched(8, 3)), vec![("support", run(7, false))]);
        assert_eq!(e.cases, 15);
        let parts: Vec<_> = e
            .parts
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.search,
                    p.cases,
                    p.comparisons,
                    p.search_stats,
                )
            })
            .collect();
        assert_eq!(
            parts,
            vec![
                ("support", false, 7, 14, None),
                (
                    "search",
                    true,
                    5,
                    10,
                    Some(SearchStats { draws: 8, found: 3 })
                )
            ]
        );
        assert_eq!(e.problem, None);
        assert_eq!(e.counterexample.map(|c| c.summary), Some("shrunk".into()));
        let e = refuted_evidence(("search", searched(5, 0)), vec![("support", run(7, false))]);
        assert_eq!(e.cases, 12);
        let problem = e.problem.unwrap();
        assert_eq!(problem.part, "search");
        assert_eq!(problem.failure.comparison, Comparison::NotRefuted);
        assert_eq!(
            problem.to_string(),
            "search: no counterexample in 5 cases; the refutation was not reproduced"
        );
    }

    /// A further search appends its rows and its part; one that finds
    /// nothing is the problem.
    #[test]
    fn further_searches_append_their_rows_or_fail() {
        let e = refuted_evidence(("first", searched(4, 1)), vec![]);
        let e = with_searches(e, vec![("second", searched(6, 2))]);
        assert_eq!(e.cases, 10);
        assert_eq!(e.counterexample.as_ref().map(|c| c.rows.len()), Some(2));
        assert_eq!(e.parts.len(), 2);
        assert_eq!(e.problem, None);
        let e = with_searches(e, vec![("third", searched(6, 0))]);
        assert_eq!(e.problem.map(|p| p.part), Some("third".into()));
    }
}
