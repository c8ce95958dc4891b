//! The open search of a refuted claim: every draw of its domain is tried
//! (the search does not stop at the first counterexample), the draws where
//! the false statement fails are counted, and one counterexample is shrunk.
//!
//! A refuted claim's domain is chosen so that its false statement holds on
//! part of it and fails on the rest; the hit rate (counterexamples / draws)
//! then says how common the failure is, and a rate strictly between 0 and 1
//! shows that the search could have come back empty.

use std::cell::Cell;

use proptest::strategy::Strategy;

use super::harness::{PropertyRun, Worst, property};
use super::{CheckFailure, Context, Counterexample};

/// What a refuted claim's search saw: its draws, and how many of them were
/// counterexamples to the false statement.
///
/// # Example
/// ```
/// use logloss_proofs::claims::SearchStats;
/// let s = SearchStats { draws: 256, found: 64 };
/// assert_eq!(s.hit_rate(), 0.25);
/// assert_eq!(s.to_string(), "64/256 draws (hit rate 0.250)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchStats {
    /// Inputs drawn from the domain and tried (all of them: the search runs
    /// its full number of draws).
    pub draws: u64,
    /// Draws on which the false statement failed.
    pub found: u64,
}

impl SearchStats {
    /// found / draws: the fraction of the domain's draws that refute the
    /// statement (0 when nothing was drawn).
    pub fn hit_rate(&self) -> f64 {
        if self.draws == 0 {
            0.0
        } else {
            self.found as f64 / self.draws as f64
        }
    }
}

impl std::fmt::Display for SearchStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} draws (hit rate {:.3})",
            self.found,
            self.draws,
            self.hit_rate()
        )
    }
}

/// A finished search: the run of the false statement (its passing draws'
/// records and the shrunk counterexample) and its statistics.
pub(crate) struct Search {
    /// The passing draws' ratios, resolution and comparisons, and the shrunk
    /// first counterexample.
    pub(crate) run: PropertyRun<Counterexample>,
    /// Draws and counterexamples over the full run.
    pub(crate) stats: SearchStats,
}

/// Searches the false statement `test` over `ctx.cases` draws of `strategy`
/// from the stream (ctx.seed, name), counting the draws where it fails; then
/// draws the same inputs again up to the first failure and shrinks it (the
/// runner is deterministic, so the second pass meets the first pass's first
/// counterexample), shown by `show`.
///
/// The run's records (ratios, resolution, comparisons) are those of the
/// draws where the statement held; its `cases` are those draws.
pub(crate) fn search<S, F, E>(
    ctx: &Context<'_>,
    name: &str,
    strategy: S,
    test: F,
    show: impl FnOnce(&S::Value) -> Counterexample,
) -> Search
where
    S: Strategy + Clone,
    F: Fn(&S::Value, &mut Worst) -> Result<(), E>,
    E: Into<CheckFailure>,
{
    let found = Cell::new(0u64);
    let survey = property(ctx, name, strategy.clone(), |value, w| {
        let mut case = Worst::new();
        if test(value, &mut case).is_ok() {
            w.absorb(&case);
        } else {
            found.set(found.get() + 1);
        }
        Ok::<(), CheckFailure>(())
    });
    let stats = SearchStats {
        draws: survey.cases,
        found: found.get(),
    };
    let mut run = PropertyRun {
        cases: stats.draws - stats.found,
        worst_error_ratio: survey.worst_error_ratio,
        resolution: survey.resolution,
        comparisons: survey.comparisons,
        failure: None,
        aborted: survey.aborted,
    };
    if stats.found > 0 && run.aborted.is_none() {
        let shrunk = property(ctx, name, strategy, &test);
        run.aborted = shrunk.aborted;
        match shrunk.failure {
            Some((failure, value)) => run.failure = Some((failure, show(&value))),
            None if run.aborted.is_none() => {
                run.aborted = Some(format!(
                    "the second pass of the search met no counterexample, where the first met {}",
                    stats.found
                ));
            }
            None => {}
        }
    }
    Search { run, stats }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Worst;

    /// Values 0 … 99 drawn 200 times: the statement "v < 70" fails on about
    /// 30 % of them; every draw is tried and counted, and the shrunk
    /// counterexample is the smallest failing value, 70. The count is
    /// Binomial(200, 0.3) (mean 60, sd 6.5): the range 40 … 80 is ±3.1 sd,
    /// which a fresh seed would miss with probability about 2e−3; at this
    /// fixed seed the count is deterministic.
    #[test]
    fn every_draw_is_counted_and_one_counterexample_is_shrunk() {
        let ctx = Context::new(5, 200);
        let test = |v: &u32, w: &mut Worst| w.close(&format!("v = {v}"), f64::from(*v), 0.0, 69.5);
        let s = search(&ctx, "search/counts", 0u32..100, test, |v| Counterexample {
            summary: format!("{v}"),
            rows: vec![],
        });
        assert_eq!(s.stats.draws, 200);
        assert!(
            (40..=80).contains(&s.stats.found),
            "{} counterexamples",
            s.stats.found
        );
        assert_eq!(s.run.cases, 200 - s.stats.found);
        let (failure, shown) = s.run.failure.expect("a counterexample");
        assert_eq!(shown.summary, "70");
        assert_eq!(failure.what, "v = 70");
        // The passing draws' comparisons only: one each.
        assert_eq!(s.run.comparisons, s.run.cases);
        assert!(s.run.worst_error_ratio <= 1.0);
    }

    /// A statement that holds everywhere: no counterexample, hit rate 0,
    /// nothing shrunk.
    #[test]
    fn a_true_statement_leaves_the_search_empty() {
        let ctx = Context::new(5, 50);
        let s = search(
            &ctx,
            "search/empty",
            0u32..100,
            |v: &u32, w: &mut Worst| w.require(*v < 100, String::new),
            |_| unreachable!("nothing to show"),
        );
        assert_eq!(
            s.stats,
            SearchStats {
                draws: 50,
                found: 0
            }
        );
        assert_eq!(s.stats.hit_rate(), 0.0);
        assert!(s.run.failure.is_none() && s.run.aborted.is_none());
    }
}
