//! Why a check failed, as data: which kind of comparison, what it compared,
//! and the numbers it found. Rendered to text ([`std::fmt::Display`]) only
//! where it is shown: in the reports, the `check` command's output and its
//! JSON.

use std::fmt;

/// The kind of step of a check that failed: one of the harness's
/// comparisons, or a step that is not a comparison (a computation the check
/// needed, the property runner, a refutation's search).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// |got − want| ≤ bound.
    Close,
    /// |got − want| ≤ approximation + rounding.
    CloseApprox,
    /// value ≥ floor − slack.
    AtLeast,
    /// value ≤ ceiling (a ceiling that includes its own error bound).
    AtMost,
    /// A condition that must hold.
    Require,
    /// Not a comparison: a computation the check needed returned an error
    /// (code under test rejecting a valid input, a fit that could not
    /// certify its result).
    Evaluation,
    /// Not a comparison: the property runner gave up (too many rejected
    /// inputs), which is never read as a pass.
    GaveUp,
    /// Not a comparison: the search of a refuted claim found no
    /// counterexample.
    NotRefuted,
}

/// What a failed step found.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The error |got − want| exceeds the bound.
    Exceeds {
        /// The value computed.
        got: f64,
        /// The value it was compared with.
        want: f64,
        /// The bound the error had to stay within.
        bound: f64,
    },
    /// The value is below the floor by more than the slack.
    Below {
        /// The value computed.
        value: f64,
        /// The floor it had to reach.
        floor: f64,
        /// The slack below the floor allowed for rounding.
        slack: f64,
    },
    /// The value exceeds its ceiling.
    Above {
        /// The value computed.
        value: f64,
        /// The ceiling it had to stay below.
        ceiling: f64,
    },
    /// The bound of a [`Comparison::Close`] or [`Comparison::CloseApprox`] is
    /// not a non-negative number: a fault of the check itself.
    InvalidBound(f64),
    /// The slack of a [`Comparison::AtLeast`] is not a non-negative number: a
    /// fault of the check itself.
    InvalidSlack(f64),
    /// A requirement, an evaluation's error, or the runner's or search's
    /// report, in words; rendered as it stands.
    Message(String),
}

/// A failed step of a check.
///
/// `what` names what was compared (`"CE − (H + KL)"`) or required; tests
/// match on `comparison` and `what` rather than on the rendered text.
///
/// Rendering ([`std::fmt::Display`]): `"{what}: got …, want …, error …
/// exceeds the bound …"` for [`Found::Exceeds`], `"{what}: … is below … by
/// more than the slack …"` for [`Found::Below`], `"{what}: … exceeds its
/// bound …"` for [`Found::Above`], `"{what}: the bound (or slack) … is not a
/// non-negative number"` for an invalid tolerance, every number in `{:e}`,
/// a NaN value as "NaN (never agrees)"; a comparison with an infinite side
/// as "got …, want … exactly" (or "within …"), since an infinite value is
/// met exactly or not at all; a [`Found::Message`] is rendered as it stands
/// (it usually begins with `what`).
///
/// # Example
/// ```
/// use logloss_proofs::claims::{Comparison, Context, Found, find};
/// use logloss_proofs::measures::planted::Affine;
/// // Claim 1 against a KL off by one part in a billion: the decomposition's
/// // bounded comparison fails, and the failure says so as data.
/// let planted = Affine::scaled_kl(1.0 + 1e-9);
/// let ctx = Context::new(2026, 16).with_measures(&planted);
/// let verdict = find("ce-decomposition").unwrap().check(&ctx);
/// let failure = verdict.evidence.problem.unwrap().failure;
/// assert_eq!(failure.comparison, Comparison::Close);
/// assert!(matches!(failure.found, Found::Exceeds { .. }));
/// assert!(failure.to_string().contains("exceeds the bound"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CheckFailure {
    /// The kind of step that failed.
    pub comparison: Comparison,
    /// What was compared or required.
    pub what: String,
    /// What the step found.
    pub found: Found,
}

impl CheckFailure {
    /// A requirement not met: `what` names it, `message` says what was seen
    /// (rendered as it stands).
    pub fn require(what: impl Into<String>, message: impl Into<String>) -> Self {
        CheckFailure {
            comparison: Comparison::Require,
            what: what.into(),
            found: Found::Message(message.into()),
        }
    }

    /// A computation the check needed returned an error: `what` names the
    /// computation, `message` is rendered as it stands.
    pub fn evaluation(what: impl Into<String>, message: impl Into<String>) -> Self {
        CheckFailure {
            comparison: Comparison::Evaluation,
            what: what.into(),
            found: Found::Message(message.into()),
        }
    }

    /// `value` exceeds `ceiling`.
    pub fn above(what: impl Into<String>, value: f64, ceiling: f64) -> Self {
        CheckFailure {
            comparison: Comparison::AtMost,
            what: what.into(),
            found: Found::Above { value, ceiling },
        }
    }

    /// The same failure with `prefix` before its `what`, and before its
    /// message if it has one (a message is rendered as it stands): the
    /// failure of a comparison made in a context the prefix names.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.what = format!("{prefix}{}", self.what);
        if let Found::Message(message) = &mut self.found {
            *message = format!("{prefix}{message}");
        }
        self
    }

    /// The property runner gave up, for `reason`.
    pub fn gave_up(reason: &str) -> Self {
        CheckFailure {
            comparison: Comparison::GaveUp,
            what: "the property runner gave up".to_string(),
            found: Found::Message(format!("the property runner gave up: {reason}")),
        }
    }

    /// A refutation's search found no counterexample in `cases` cases.
    pub fn not_refuted(cases: u64) -> Self {
        CheckFailure {
            comparison: Comparison::NotRefuted,
            what: "no counterexample".to_string(),
            found: Found::Message(format!(
                "no counterexample in {cases} cases; the refutation was not reproduced"
            )),
        }
    }
}

/// A closure for `map_err` that turns an error of a computation named
/// `what` into an [`Comparison::Evaluation`] failure rendered as the error
/// itself.
pub(crate) fn failed<E: fmt::Display>(what: &'static str) -> impl FnOnce(E) -> CheckFailure {
    move |e| CheckFailure::evaluation(what, e.to_string())
}

/// A closure for `map_err` that turns an error of a computation named
/// `what` into an [`Comparison::Evaluation`] failure rendered as
/// `"{what}: {error}"`.
pub(crate) fn failed_in<E: fmt::Display>(what: &'static str) -> impl FnOnce(E) -> CheckFailure {
    move |e| CheckFailure::evaluation(what, format!("{what}: {e}"))
}

/// Asserts that `result` failed at a step of kind `comparison` whose `what`
/// is `what`, or begins with it (for a `what` that goes on to name its
/// case's parameters: a coordinate, a step, a level); returns the failure.
#[cfg(test)]
#[track_caller]
pub(crate) fn assert_fails(
    result: Result<(), CheckFailure>,
    comparison: Comparison,
    what: &str,
) -> CheckFailure {
    let failure = result.expect_err(what);
    assert_eq!(failure.comparison, comparison, "{failure}");
    assert!(
        failure.what.starts_with(what),
        "{:?} for {what:?}",
        failure.what
    );
    failure
}

/// A compared number as a failure shows it: NaN equals nothing, itself
/// included, so it says so rather than reading like agreement.
fn shown(x: f64) -> String {
    if x.is_nan() {
        "NaN (never agrees)".to_string()
    } else {
        format!("{x:e}")
    }
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = &self.what;
        match &self.found {
            Found::Exceeds { got, want, .. } if got.is_nan() || want.is_nan() => {
                write!(f, "{what}: got {}, want {}", shown(*got), shown(*want))
            }
            // An infinite value is met exactly or not at all: no error to show.
            Found::Exceeds { got, want, bound } if got.is_infinite() || want.is_infinite() => {
                if *bound == 0.0 || bound.is_infinite() {
                    write!(f, "{what}: got {got:e}, want {want:e} exactly")
                } else {
                    write!(f, "{what}: got {got:e}, want {want:e} within {bound:e}")
                }
            }
            Found::Exceeds { got, want, bound } => write!(
                f,
                "{what}: got {got:e}, want {want:e}, error {:e} exceeds the bound {bound:e}",
                (got - want).abs()
            ),
            Found::Below {
                value,
                floor,
                slack,
            } => write!(
                f,
                "{what}: {} is below {floor:e} by more than the slack {slack:e}",
                shown(*value)
            ),
            Found::Above { value, ceiling } => {
                write!(f, "{what}: {} exceeds its bound {ceiling:e}", shown(*value))
            }
            Found::InvalidBound(bound) => {
                write!(
                    f,
                    "{what}: the bound {bound:e} is not a non-negative number"
                )
            }
            Found::InvalidSlack(slack) => {
                write!(
                    f,
                    "{what}: the slack {slack:e} is not a non-negative number"
                )
            }
            Found::Message(message) => f.write_str(message),
        }
    }
}

/// A requirement given only as its message (which is also its `what`): the
/// form of checks written against `Result<(), String>`.
impl From<String> for CheckFailure {
    fn from(message: String) -> Self {
        CheckFailure::require(message.clone(), message)
    }
}

/// The rendered text, for checks written against `Result<(), String>`.
impl From<CheckFailure> for String {
    fn from(failure: CheckFailure) -> Self {
        failure.to_string()
    }
}

/// What a check saw contrary to its claim's expectation: the property it
/// arose in (its name within the check) and the failure. Rendered as
/// `"{part}: {failure}"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The property's name within the check (e.g. `"proptest"`).
    pub part: String,
    /// What failed.
    pub failure: CheckFailure,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.part, self.failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind renders as the text the reports and the `check` output
    /// have always shown.
    #[test]
    fn failures_render_as_before() {
        let f = |found| CheckFailure {
            comparison: Comparison::Close,
            what: "x".to_string(),
            found,
        };
        let cases = [
            (
                f(Found::Exceeds {
                    got: 1.0,
                    want: 2.5,
                    bound: 0.5,
                }),
                "x: got 1e0, want 2.5e0, error 1.5e0 exceeds the bound 5e-1",
            ),
            (
                f(Found::Below {
                    value: 1.0,
                    floor: 2.0,
                    slack: 0.5,
                }),
                "x: 1e0 is below 2e0 by more than the slack 5e-1",
            ),
            (
                f(Found::Above {
                    value: 3.0,
                    ceiling: 2.0,
                }),
                "x: 3e0 exceeds its bound 2e0",
            ),
            (
                f(Found::InvalidBound(-1.0)),
                "x: the bound -1e0 is not a non-negative number",
            ),
            (
                f(Found::InvalidSlack(f64::NAN)),
                "x: the slack NaN is not a non-negative number",
            ),
            (f(Found::Message("as it stands".into())), "as it stands"),
            // A NaN never agrees, even with a NaN: it says so.
            (
                f(Found::Exceeds {
                    got: f64::NAN,
                    want: f64::NAN,
                    bound: 1.0,
                }),
                "x: got NaN (never agrees), want NaN (never agrees)",
            ),
            (
                f(Found::Below {
                    value: f64::NAN,
                    floor: 2.0,
                    slack: 0.5,
                }),
                "x: NaN (never agrees) is below 2e0 by more than the slack 5e-1",
            ),
            // An infinite value is met exactly or not at all.
            (
                f(Found::Exceeds {
                    got: 34.5,
                    want: f64::INFINITY,
                    bound: f64::INFINITY,
                }),
                "x: got 3.45e1, want inf exactly",
            ),
        ];
        for (failure, text) in cases {
            assert_eq!(failure.to_string(), text);
        }
        assert_eq!(
            CheckFailure::gave_up("too many rejects").to_string(),
            "the property runner gave up: too many rejects"
        );
        assert_eq!(
            CheckFailure::not_refuted(5).to_string(),
            "no counterexample in 5 cases; the refutation was not reproduced"
        );
        let p = Problem {
            part: "search".into(),
            failure: CheckFailure::not_refuted(5),
        };
        assert_eq!(
            p.to_string(),
            "search: no counterexample in 5 cases; the refutation was not reproduced"
        );
        let e = failed_in::<&str>("risk")("bad input");
        assert_eq!(
            (e.comparison, e.to_string()),
            (Comparison::Evaluation, "risk: bad input".into())
        );
        let e = failed::<&str>("softmax")("bad input");
        assert_eq!(
            (e.what.as_str(), e.to_string()),
            ("softmax", "bad input".into())
        );
    }
}
