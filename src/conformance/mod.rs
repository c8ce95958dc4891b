//! The conformance kit: checks anyone's entropy, cross-entropy and KL
//! implementation against this crate's exact values and against the
//! identities every correct implementation obeys.
//!
//! An implementation under test is anything that implements
//! [`Implementation`] (the crate's one interface to an implementation of the
//! measures, which the claim catalogue runs through too): Rust code directly,
//! or a program in any language through [`ProcessImplementation`], which speaks a line-based JSON protocol
//! over its standard input and output (see the README). [`run`] runs the
//! checks and returns a [`ConformanceReport`], plain data.
//!
//! # What is checked
//!
//! Each check draws its inputs from the crate's proptest strategies through
//! the claims' property runner, so `seed` reproduces every case,
//! and the first failing case of a check is shrunk by proptest to the fewest
//! rows, then the fewest categories, that still fail. Every batch sent has a
//! shape (rows, categories) from the run's fixed sets ([`Shapes`], in
//! [`Config::shapes`]), shrinking included, so an implementation that
//! compiles per shape compiles a bounded number of times. The names are
//! stable:
//!
//! | check | what must hold |
//! |---|---|
//! | `agreement/entropy`, `agreement/cross_entropy`, `agreement/kl_divergence`, `agreement/cross_entropy_logits` | each row's value equals the exact one within the precision's tolerance |
//! | `identity` | CE = H + KL among the implementation's own answers |
//! | `gibbs` | KL(p‖q) ≥ 0 (in the scaled form that stored vectors obey) and KL(p‖p) = 0 |
//! | `zero-semantics` | 0·ln 0 = 0 with no NaN; CE = KL = +∞ where q = 0 < p |
//! | `stability` | logits up to ±1e4 give finite losses and gradients |
//! | `reductions` | `sum` and `batchmean` agree with the per-row values; `batchmean` divides by rows |
//! | `permutation` | permuting the categories of every argument changes nothing |
//! | `gradient` | ∂ℓ/∂z = softmax(z) − p, divided by the rows under `batchmean` |
//!
//! # Tolerances
//!
//! Every comparison is against a bound derived for the case (see
//! [`checks::tolerance`] for the derivations): u times a condition quantity
//! Σᵢ pᵢ(|ln pᵢ| + |ln qᵢ| + 1) or its analogue, with u = 2⁻⁵³ for
//! [`Precision::F64`] and u = 2⁻²⁴ plus the rounding of the inputs to f32 for
//! [`Precision::F32`]. The bound admits any order of summation, so a plain
//! loop passes as well as a compensated sum.
//!
//! # The gradient of a reduced loss
//!
//! The loss of a batch of R rows with logits Z (R × n) is ℓᵣ = CE(pᵣ,
//! softmax zᵣ) per row. The gradient has the shape of Z, row r being
//!
//! ```text
//! none:       ∂ℓᵣ/∂zᵣ              = softmax(zᵣ) − pᵣ
//! sum:        ∂(Σₛ ℓₛ)/∂zᵣ         = softmax(zᵣ) − pᵣ
//! batchmean:  ∂((1/R)·Σₛ ℓₛ)/∂zᵣ   = (softmax(zᵣ) − pᵣ) / R
//! ```
//!
//! (ℓₛ depends on zᵣ only for s = r.) It holds for any p that sums to one.
//!
//! # Example
//! ```
//! use logloss_proofs::conformance::{run, Config, Reference};
//! let report = run(&Reference, &Config::new(7, 8)).unwrap();
//! assert!(report.passed());
//! assert_eq!(report.checks.len(), 11);
//! ```

pub mod checks;
pub mod diagnosis;
pub mod json;
pub mod process;
pub mod shapes;

use std::fmt;

use crate::measures::Reduction;
pub use crate::measures::{Answer, Breakdown, Implementation, Measure, Reference, Refusal};

pub use checks::{CHECKS, run};
pub use diagnosis::Hint;
pub use process::{ProcessImplementation, ProtocolError, SpawnOptions};
pub use shapes::{Domain, ShapeError, Shapes};

/// An operation of the protocol and of [`Implementation`]: the four values
/// of [`Implementation::rows`] (each a [`Measure`]) and the gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// H(p) per row.
    Entropy,
    /// CE(p, q) per row.
    CrossEntropy,
    /// KL(p‖q) per row.
    KlDivergence,
    /// CE(p, softmax z) per row, from logits.
    CrossEntropyLogits,
    /// The gradient of the softmax cross-entropy with respect to the logits.
    CrossEntropyLogitsGrad,
}

impl Op {
    /// Every operation, in protocol order.
    pub const ALL: [Op; 5] = [
        Op::Entropy,
        Op::CrossEntropy,
        Op::KlDivergence,
        Op::CrossEntropyLogits,
        Op::CrossEntropyLogitsGrad,
    ];

    /// The protocol's name: `entropy`, `cross_entropy`, `kl_divergence`,
    /// `cross_entropy_logits` (the [`Measure`]'s name) or
    /// `cross_entropy_logits_grad`.
    pub fn name(self) -> &'static str {
        match self.measure() {
            Some(measure) => measure.name(),
            None => "cross_entropy_logits_grad",
        }
    }

    /// The measure whose value the operation asks for; `None` for the
    /// gradient.
    ///
    /// ```
    /// use logloss_proofs::conformance::{Measure, Op};
    /// assert_eq!(Op::KlDivergence.measure(), Some(Measure::KlDivergence));
    /// assert_eq!(Op::CrossEntropyLogitsGrad.measure(), None);
    /// assert_eq!(Op::from(Measure::Entropy), Op::Entropy);
    /// ```
    pub fn measure(self) -> Option<Measure> {
        match self {
            Op::Entropy => Some(Measure::Entropy),
            Op::CrossEntropy => Some(Measure::CrossEntropy),
            Op::KlDivergence => Some(Measure::KlDivergence),
            Op::CrossEntropyLogits => Some(Measure::CrossEntropyLogits),
            Op::CrossEntropyLogitsGrad => None,
        }
    }

    /// Whether the second argument is logits (`"logits"`) rather than a
    /// distribution (`"q"`); `None` for entropy, which has none.
    pub fn second_argument(self) -> Option<&'static str> {
        match self {
            Op::Entropy => None,
            Op::CrossEntropy | Op::KlDivergence => Some("q"),
            Op::CrossEntropyLogits | Op::CrossEntropyLogitsGrad => Some("logits"),
        }
    }
}

impl From<Measure> for Op {
    fn from(measure: Measure) -> Op {
        match measure {
            Measure::Entropy => Op::Entropy,
            Measure::CrossEntropy => Op::CrossEntropy,
            Measure::KlDivergence => Op::KlDivergence,
            Measure::CrossEntropyLogits => Op::CrossEntropyLogits,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The floating-point format the implementation computes in; it sets the
/// tolerances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Double precision: u = 2⁻⁵³, inputs taken exactly.
    #[default]
    F64,
    /// Single precision: u = 2⁻²⁴, and every input rounded to f32 first.
    /// Entries below f32's smallest normal number are flushed to zero (and
    /// the row renormalized) before a case is sent, so the rounding of every
    /// input is relative.
    F32,
}

impl Precision {
    /// `"f64"` or `"f32"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }

    /// Parses `f64` or `f32`.
    ///
    /// ```
    /// use logloss_proofs::conformance::Precision;
    /// assert_eq!(Precision::parse("f32"), Some(Precision::F32));
    /// assert_eq!(Precision::parse("f16"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "f64" => Some(Precision::F64),
            "f32" => Some(Precision::F32),
            _ => None,
        }
    }

    /// The unit roundoff of the arithmetic: 2⁻⁵³ or 2⁻²⁴.
    pub fn unit_roundoff(self) -> f64 {
        match self {
            Precision::F64 => crate::numerics::U,
            Precision::F32 => f64::from(f32::EPSILON) / 2.0,
        }
    }

    /// The relative rounding of each input on its way in: 0 for f64 (the
    /// numbers are sent exactly), 2⁻²⁴ for f32.
    pub fn input_roundoff(self) -> f64 {
        match self {
            Precision::F64 => 0.0,
            Precision::F32 => f64::from(f32::EPSILON) / 2.0,
        }
    }

    /// The smallest positive normal number: results below it may be flushed
    /// to zero (as GPUs do), an absolute error of at most this much.
    pub fn underflow(self) -> f64 {
        match self {
            Precision::F64 => f64::MIN_POSITIVE,
            Precision::F32 => f64::from(f32::MIN_POSITIVE),
        }
    }
}

/// What a run checks with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The seed every random stream is derived from (with the check's name).
    pub seed: u64,
    /// Random cases per check.
    pub cases: u32,
    /// The implementation's arithmetic.
    pub precision: Precision,
    /// The numbers of categories and rows batches are drawn with.
    pub shapes: Shapes,
}

impl Config {
    /// `cases` cases per check at `seed`, in f64, with the default
    /// [`Shapes`].
    pub fn new(seed: u64, cases: u32) -> Self {
        Config {
            seed,
            cases,
            precision: Precision::F64,
            shapes: Shapes::default(),
        }
    }

    /// The same configuration at another precision.
    pub fn with_precision(self, precision: Precision) -> Self {
        Config { precision, ..self }
    }

    /// The same configuration with other batch shapes.
    pub fn with_shapes(self, shapes: Shapes) -> Self {
        Config { shapes, ..self }
    }
}

/// Whether an operation was offered at a reduction, as the run found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// At least one value came back.
    Supported,
    /// The implementation answered "unsupported".
    Unsupported,
    /// No check asked.
    Untested,
}

impl Support {
    /// `"supported"`, `"unsupported"` or `"untested"`.
    pub fn name(self) -> &'static str {
        match self {
            Support::Supported => "supported",
            Support::Unsupported => "unsupported",
            Support::Untested => "untested",
        }
    }
}

/// One operation at one reduction, and whether it was offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capability {
    /// The operation.
    pub op: Op,
    /// The reduction.
    pub reduction: Reduction,
    /// What the run found.
    pub support: Support,
}

/// The input of a failing case after shrinking, as named batches of rows,
/// with the failure as data and the hints its numbers support.
#[derive(Debug, Clone, PartialEq)]
pub struct FailingCase {
    /// The failure, naming the operation, the row and the bound: `failure`
    /// rendered.
    pub message: String,
    /// The failure as data: what was compared and the numbers found.
    pub failure: crate::claims::CheckFailure,
    /// Likely causes read from the numbers ([`diagnosis`]); often none.
    pub hints: Vec<Hint>,
    /// The inputs in order, e.g. `("p", rows)`, `("q", rows)`; a permutation
    /// is one row of indices.
    pub inputs: Vec<(String, Vec<Vec<f64>>)>,
}

/// How a check ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every case passed.
    Passed,
    /// A case failed; the shrunk case.
    Failed(FailingCase),
    /// Every operation the check needs was unsupported.
    Skipped,
}

impl Outcome {
    /// `"passed"`, `"failed"` or `"skipped"`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed(_) => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The check's stable name, e.g. `"agreement/kl_divergence"`.
    pub name: &'static str,
    /// What it requires, in one line.
    pub description: &'static str,
    /// Passed, failed (with the shrunk case) or skipped.
    pub outcome: Outcome,
    /// Cases checked: those that passed before the first failure (all of
    /// them if none failed), less those in which the implementation answered
    /// nothing (every request declined or unsupported).
    pub cases: u64,
    /// The largest |error| / bound over the passing cases (below 1 means
    /// every comparison was within its bound).
    pub worst_error_ratio: f64,
    /// The loosest tolerances any comparison allowed, relative and absolute
    /// ([`crate::claims::Resolution`]): an error of the implementation larger
    /// than either, in any comparison, fails it.
    pub resolution: crate::claims::Resolution,
    /// Operations the check would have used but the implementation does not
    /// offer (at the named reduction).
    pub unsupported: Vec<(Op, Reduction)>,
    /// Of the cases, those in which the implementation declined at least one
    /// request for that input ([`Refusal::DeclinedCase`]): what it did
    /// answer in them was checked, the rest skipped.
    pub declined: u64,
}

/// Everything a run found: plain data, rendered by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct ConformanceReport {
    /// The implementation's name.
    pub implementation: String,
    /// The configuration the run used.
    pub config: Config,
    /// One result per check, in the order of [`CHECKS`].
    pub checks: Vec<CheckResult>,
    /// Each operation at each reduction, and whether it was offered.
    pub capabilities: Vec<Capability>,
}

impl ConformanceReport {
    /// True when no check failed (skipped checks do not count as failures).
    pub fn passed(&self) -> bool {
        self.failed().next().is_none()
    }

    /// The checks that failed.
    pub fn failed(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
    }

    /// The result of the check named `name`, if it ran.
    pub fn check(&self, name: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Why a run could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConformanceError {
    /// A run needs at least one case per check.
    #[error("cases = 0: at least one case per check is needed")]
    NoCases,
    /// The implementation broke down (a process that died, timed out or
    /// wrote a malformed line) during a check.
    #[error("{source} (during the check {check})")]
    Broken {
        /// The check that was running.
        check: &'static str,
        /// What went wrong: for a [`ProcessImplementation`], a
        /// [`ProtocolError`] ([`Breakdown::downcast_ref`] gets it back).
        source: Breakdown,
    },
}
