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

#[cfg(test)]
impl Counterexample {
    /// The value shown in the row named `name`; panics naming the row when
    /// there is none (for tests of what a counterexample shows).
    pub(crate) fn shown(&self, name: &str) -> String {
        self.rows
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .1
            .clone()
    }
}

/// The loosest tolerances a check's comparisons allowed: what size of
/// implementation error it is sure to catch, relative to the values it
/// compares where they are at least 1 in magnitude and absolute where they
/// are smaller.
///
/// Every tolerance counts in `relative` and `absolute`: the rounding bound
/// of a comparison, the approximation part of a comparison with a
/// discretization, truncation or quadrature error, a solver's certificate,
/// a descent's convergence ceiling and a floor's slack. A required condition
/// ([`crate::claims::Comparison::Require`]) is exact and allows nothing.
///
/// - `relative`: the largest bound / |reference| over the comparisons whose
///   reference is at least 1 in magnitude. In any of them, a computed value
///   off by more than `relative` times the reference fails.
/// - `absolute`: the largest bound over the comparisons whose reference is
///   below 1 in magnitude (probabilities, most KL values, gradient entries,
///   distances between fits, excesses that must vanish). In any of them, an
///   error above `absolute` fails.
/// - `rounding_relative`, `rounding_absolute`: the same two figures over the
///   rounding allowances alone (an approximate comparison's rounding part, a
///   certificate, a slack; not a discretization, truncation or convergence
///   allowance). These are what [`crate::claims::REQUIRED_RESOLUTION`]
///   bounds: a rounding bound gone wrong (c·u turned into c/u) shows there,
///   while an approximation's allowance is a property of the mathematics
///   checked, shown as it is.
///
/// So a comparison fails for any error above max(`relative`·|reference|,
/// `absolute`). A figure is 0 when no comparison of its kind allowed a
/// tolerance. An infinite reference must be met exactly, so it allows
/// nothing; a NaN bound makes every figure +∞ (and fails its comparison).
///
/// ```
/// use logloss_proofs::claims::Resolution;
/// let mut r = Resolution::default();
/// r.allow(1e-12, 1e3); // a rounding bound of 1e−12 on a value of 1000
/// r.allow(1e-9, 0.0); // a distance that must be 0, within 1e−9
/// r.allow_approximation(1e-4, 1e-15, 0.5); // a quadrature error of 1e−4
/// assert_eq!((r.relative, r.absolute), (1e-12 / 1e3, 1e-4 + 1e-15));
/// assert_eq!((r.rounding_relative, r.rounding_absolute), (1e-12 / 1e3, 1e-9));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Resolution {
    /// The loosest tolerance relative to its reference, over references ≥ 1.
    pub relative: f64,
    /// The loosest tolerance, over references below 1.
    pub absolute: f64,
    /// `relative` over the rounding allowances alone.
    pub rounding_relative: f64,
    /// `absolute` over the rounding allowances alone.
    pub rounding_absolute: f64,
}

impl Resolution {
    /// Records a comparison's rounding tolerance `bound` on a reference value
    /// `reference` (see the type's docs).
    pub fn allow(&mut self, bound: f64, reference: f64) {
        self.allow_approximation(0.0, bound, reference);
    }

    /// Records a comparison's tolerance `approximation + rounding` on a
    /// reference value `reference`, of which `rounding` alone counts in the
    /// rounding figures.
    pub fn allow_approximation(&mut self, approximation: f64, rounding: f64, reference: f64) {
        let (total, rounding) = ((approximation + rounding).abs(), rounding.abs());
        let widened = if total.is_nan() {
            Resolution {
                relative: f64::INFINITY,
                absolute: f64::INFINITY,
                rounding_relative: f64::INFINITY,
                rounding_absolute: f64::INFINITY,
            }
        } else if reference.is_infinite() {
            // An infinite reference must be met exactly: it allows nothing.
            return;
        } else if reference.abs() >= 1.0 {
            Resolution {
                relative: total / reference.abs(),
                rounding_relative: rounding / reference.abs(),
                ..Resolution::default()
            }
        } else {
            Resolution {
                absolute: total,
                rounding_absolute: rounding,
                ..Resolution::default()
            }
        };
        self.widen(widened);
    }

    /// The larger of each figure, this one's or `other`'s.
    pub fn widen(&mut self, other: Resolution) {
        let wider = |a: &mut f64, b: f64| {
            if b > *a || b.is_nan() {
                *a = b;
            }
        };
        wider(&mut self.relative, other.relative);
        wider(&mut self.absolute, other.absolute);
        wider(&mut self.rounding_relative, other.rounding_relative);
        wider(&mut self.rounding_absolute, other.rounding_absolute);
    }

    /// Whether some comparison allowed a tolerance.
    pub fn is_set(&self) -> bool {
        self.relative > 0.0 || self.absolute > 0.0
    }
}

/// What a check measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Cases run (random and edge cases together).
    pub cases: u64,
    /// The largest |error| / bound over every comparison that must hold
    /// (0 when the check has none). Below 1 means every comparison passed.
    pub worst_error_ratio: f64,
    /// The check's resolution: the loosest tolerances its comparisons
    /// allowed, relative and absolute ([`Resolution`]).
    pub resolution: Resolution,
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
    pub resolution: Resolution,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The split between relative and absolute is at |reference| = 1,
    /// which counts as relative (the docs: "at least 1 in magnitude"), of
    /// either sign; below it the bound itself is the absolute figure.
    #[test]
    fn a_reference_of_one_is_relative() {
        let mut r = Resolution::default();
        r.allow(0.25, 1.0);
        r.allow(0.5, -1.0);
        assert_eq!((r.relative, r.absolute), (0.5, 0.0));
        r.allow(0.125, -0.999);
        assert_eq!((r.relative, r.absolute), (0.5, 0.125));
        assert_eq!((r.rounding_relative, r.rounding_absolute), (0.5, 0.125));
    }

    /// A resolution is set by either figure alone, and widening keeps the
    /// larger of each figure, a NaN included (it must show, not vanish).
    #[test]
    fn widening_keeps_each_larger_figure() {
        let only_absolute = Resolution {
            absolute: 1e-9,
            ..Resolution::default()
        };
        let only_relative = Resolution {
            relative: 1e-12,
            ..Resolution::default()
        };
        assert!(only_absolute.is_set() && only_relative.is_set());
        assert!(!Resolution::default().is_set());
        let mut r = only_absolute;
        r.widen(only_relative);
        r.widen(Resolution {
            rounding_relative: 3.0,
            rounding_absolute: 2.0,
            ..Resolution::default()
        });
        assert_eq!(
            r,
            Resolution {
                relative: 1e-12,
                absolute: 1e-9,
                rounding_relative: 3.0,
                rounding_absolute: 2.0,
            }
        );
        r.widen(Resolution::default());
        assert_eq!(r.absolute, 1e-9);
        r.widen(Resolution {
            relative: f64::NAN,
            ..Resolution::default()
        });
        assert!(r.relative.is_nan() && r.absolute == 1e-9);
    }
}
