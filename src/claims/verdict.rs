//! What a check returns and what the catalogue reports: plain data.

use super::{Problem, SearchStats};

/// Whether a claim is expected to hold or to be refuted by a counterexample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    /// The statement holds under its hypotheses; the check looks for a violation.
    Holds,
    /// The statement is false; the check searches for a counterexample.
    Refuted,
}

impl Expectation {
    /// `"holds"` or `"refuted"`.
    pub fn name(self) -> &'static str {
        match self {
            Expectation::Holds => "holds",
            Expectation::Refuted => "refuted",
        }
    }
}

/// Whether the claim behaved as the catalogue states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A claim that holds showed no violation, or a refuted claim's
    /// counterexample was found.
    AsExpected,
    /// The opposite: a violation of a claim that should hold, or no
    /// counterexample to a claim that should be refuted.
    Failed,
}

impl Outcome {
    /// `"as_expected"` or `"failed"`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::AsExpected => "as_expected",
            Outcome::Failed => "failed",
        }
    }
}

/// A concrete input, shrunk by the search, with the quantities that show the point.
#[derive(Debug, Clone, PartialEq)]
pub struct Counterexample {
    /// One sentence: what this input shows.
    pub summary: String,
    /// Named values, in order (rendered as a two-column table).
    pub rows: Vec<(String, String)>,
}

/// What a check measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Cases run (random and edge cases together).
    pub cases: u64,
    /// The largest |error| / bound over every comparison that must hold
    /// (0 when the check has none). Below 1 means every comparison passed.
    pub worst_error_ratio: f64,
    /// The check's resolution: the loosest tolerance any comparison allowed,
    /// relative to the value compared (absolute below 1). An implementation
    /// error larger than this, relative to the value, fails a comparison.
    /// 0 when the check makes no comparison with a tolerance.
    pub resolution: f64,
    /// For a refuted claim, the shrunk counterexample; for a claim that holds,
    /// the first (shrunk) violating case if there was one.
    pub counterexample: Option<Counterexample>,
    /// Set when the check saw something contrary to the claim's expectation
    /// (rendered, as `"{part}: {failure}"`, only where it is shown).
    pub problem: Option<Problem>,
    /// Each property the check ran, in order.
    pub parts: Vec<Part>,
}

impl Evidence {
    /// Each search the check ran, by name, with its statistics.
    pub fn searches(&self) -> impl Iterator<Item = (&str, SearchStats)> {
        self.parts
            .iter()
            .filter_map(|p| p.search_stats.map(|s| (p.name.as_str(), s)))
    }
}

/// What one property of a check did: a check is trusted only if every
/// property it runs compares something in every case it passes.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The property's name within the check.
    pub name: String,
    /// Whether it is the search of a refuted claim (its false statement,
    /// which must fail) rather than a statement that must hold.
    pub search: bool,
    /// Cases it passed.
    pub cases: u64,
    /// Comparisons those cases made (each bounded comparison or required
    /// condition counts once).
    pub comparisons: u64,
    /// Its resolution ([`Evidence::resolution`], for this property alone).
    pub resolution: f64,
    /// For a search: its draws and the counterexamples among them (its
    /// `cases` are then the draws where the false statement held).
    pub search_stats: Option<SearchStats>,
}

/// A claim's result: its identity, what was expected, and the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The claim's id.
    pub id: &'static str,
    /// The claim's number in the catalogue (1-based).
    pub number: u8,
    /// The claim's title.
    pub title: &'static str,
    /// Holds or refuted.
    pub expectation: Expectation,
    /// As expected or failed.
    pub outcome: Outcome,
    /// The seed the check ran with.
    pub seed: u64,
    /// What the check measured.
    pub evidence: Evidence,
}
