//! The checks: the runner (this module), their inputs, the tolerances they
//! are held to with their derivations ([`tolerance`]), and one module per
//! family of checks: `agreement` (each operation's values against the exact
//! ones), `identity` (CE = H + KL and Gibbs' inequality among the
//! implementation's own answers), `extremes` (zero semantics, and stability
//! at logits up to ±1e4), `reductions` (`sum` and `batchmean` against the
//! per-row values), `permutation` (invariance under permuting the
//! categories) and `gradient` (against softmax(z) − p).

mod agreement;
mod extremes;
mod gradient;
mod identity;
mod inputs;
mod permutation;
mod reductions;
pub mod tolerance;

use std::cell::{Cell, RefCell};

use proptest::prelude::*;

use super::diagnosis::diagnose;
use super::{
    Answer, Breakdown, Capability, CheckResult, Config, ConformanceError, ConformanceReport,
    FailingCase, Implementation, Op, Outcome, Precision, Refusal, Shapes, Support,
};
use crate::claims::{CheckFailure, Context, PropertyRun, Resolution, Worst, property};
use crate::measures::{Reduced, Reduction};
use agreement::agreement;
use extremes::{stability, zero_semantics};
use gradient::gradient;
use identity::{gibbs, identity};
use inputs::{Inputs, PairRows, Rows, shown_pairs, split};
use permutation::permutation;
use reductions::reductions;

/// The checks, in the order they run: (name, what must hold).
pub const CHECKS: [(&str, &str); 11] = [
    (
        "agreement/entropy",
        "H(p) per row equals the exact value within the precision's tolerance",
    ),
    (
        "agreement/cross_entropy",
        "CE(p, q) per row equals the exact value within the precision's tolerance",
    ),
    (
        "agreement/kl_divergence",
        "KL(p‖q) per row equals the exact value within the precision's tolerance",
    ),
    (
        "agreement/cross_entropy_logits",
        "CE(p, softmax z) per row equals the exact value within the precision's tolerance",
    ),
    (
        "identity",
        "CE(p, q) = H(p) + KL(p‖q) among the implementation's own answers",
    ),
    (
        "gibbs",
        "KL(p‖q) ≥ 0 (scaled form for stored vectors) and KL(p‖p) = 0",
    ),
    (
        "zero-semantics",
        "0·ln 0 = 0 with no NaN; CE = KL = +∞ where q = 0 < p",
    ),
    (
        "stability",
        "logits up to ±1e4 give finite losses and gradients",
    ),
    (
        "reductions",
        "sum and batchmean agree with the per-row values; batchmean divides by rows",
    ),
    (
        "permutation",
        "permuting the categories of every argument changes no value",
    ),
    (
        "gradient",
        "∂ℓ/∂z = softmax(z) − p per row, divided by the rows under batchmean",
    ),
];

const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Sum, Reduction::BatchMean];

/// Runs every check on `imp` and returns what it found.
///
/// Each check runs `config.cases` random cases from the crate's strategies
/// on streams derived from (`config.seed`, the check's name), and shrinks its
/// first failure. Operations the implementation answers as unsupported are
/// skipped, and a check whose every operation is unsupported is
/// [`Outcome::Skipped`].
///
/// # Errors
/// [`ConformanceError::NoCases`] for `config.cases == 0`;
/// [`ConformanceError::Broken`] when the implementation breaks down (a
/// [`Refusal::Broken`], e.g. a process that dies or times out): the run stops
/// at once, naming the check and the request.
///
/// # Example
/// ```
/// use logloss_proofs::conformance::{run, Config, Outcome, Reference};
/// let report = run(&Reference, &Config::new(1, 4)).unwrap();
/// assert!(report.checks.iter().all(|c| c.outcome == Outcome::Passed));
/// ```
pub fn run(
    imp: &dyn Implementation,
    config: &Config,
) -> Result<ConformanceReport, ConformanceError> {
    if config.cases == 0 {
        return Err(ConformanceError::NoCases);
    }
    let subject = Subject {
        imp,
        support: RefCell::new(Vec::new()),
        broken: RefCell::new(None),
        config: config.clone(),
    };
    let bodies: [fn(&CheckRun<'_, '_>) -> Vec<Part>; 11] = [
        |c| agreement(c, Op::Entropy),
        |c| agreement(c, Op::CrossEntropy),
        |c| agreement(c, Op::KlDivergence),
        |c| agreement(c, Op::CrossEntropyLogits),
        identity,
        gibbs,
        zero_semantics,
        stability,
        reductions,
        permutation,
        gradient,
    ];
    let mut checks = Vec::with_capacity(CHECKS.len());
    for ((name, description), body) in CHECKS.into_iter().zip(bodies) {
        let check = CheckRun {
            subject: &subject,
            name,
            unsupported: RefCell::new(Vec::new()),
            answered: Cell::new(false),
            declined: Cell::new(0),
            declined_now: Cell::new(false),
            answered_now: Cell::new(false),
        };
        let parts = body(&check);
        if let Some(source) = subject.broken.borrow().clone() {
            return Err(ConformanceError::Broken {
                check: name,
                source,
            });
        }
        checks.push(check.finish(description, parts));
    }
    let support = subject.support.borrow();
    let capabilities = Op::ALL
        .iter()
        .flat_map(|&op| REDUCTIONS.iter().map(move |&reduction| (op, reduction)))
        .map(|(op, reduction)| Capability {
            op,
            reduction,
            support: support
                .iter()
                .find(|(o, r, _)| *o == op && *r == reduction)
                .map_or(Support::Untested, |&(_, _, s)| s),
        })
        .collect();
    Ok(ConformanceReport {
        implementation: imp.name(),
        config: config.clone(),
        checks,
        capabilities,
    })
}

/// The implementation under test, what it has been found to support, and
/// whether it broke.
struct Subject<'a> {
    imp: &'a dyn Implementation,
    support: RefCell<Vec<(Op, Reduction, Support)>>,
    broken: RefCell<Option<Breakdown>>,
    config: Config,
}

/// One check in progress.
struct CheckRun<'s, 'a> {
    subject: &'s Subject<'a>,
    name: &'static str,
    unsupported: RefCell<Vec<(Op, Reduction)>>,
    answered: Cell<bool>,
    /// Cases in which the implementation declined a request
    /// ([`Refusal::DeclinedCase`]), before any failure.
    declined: Cell<u64>,
    /// Whether it declined one in the case running now.
    declined_now: Cell<bool>,
    /// Whether it answered one in the case running now.
    answered_now: Cell<bool>,
}

/// The result of one property of a check.
type Part = PropertyRun<FailingCase>;

impl CheckRun<'_, '_> {
    fn precision(&self) -> Precision {
        self.subject.config.precision
    }

    fn shapes(&self) -> &Shapes {
        &self.subject.config.shapes
    }

    fn context(&self) -> Context<'static> {
        Context::new(self.subject.config.seed, self.subject.config.cases)
    }

    /// The usual property of a check, over rows of (p, second): each case is
    /// split at the check's precision ([`inputs::split`]; `second` is a
    /// distribution when named "q", logits when named "logits"), `test` gets
    /// the two batches, and a failing case is shown as its p and second rows.
    /// It runs as the part "proptest", on the stream of [`CheckRun::part`].
    fn pairs_part<F>(&self, strategy: BoxedStrategy<PairRows>, second: &str, test: F) -> Part
    where
        F: Fn(&Rows, &Rows, &mut Worst) -> Result<(), CheckFailure>,
    {
        let precision = self.precision();
        self.part(
            "proptest",
            strategy,
            |rows, w| {
                let (p, s) = split(precision, rows, second == "q")?;
                test(&p, &s, w)
            },
            |rows| shown_pairs(precision, rows, second),
        )
    }

    /// Runs one property of the check on its own stream
    /// (seed, "conformance/CHECK/PART").
    fn part<S, F, D>(&self, part: &str, strategy: S, test: F, show: D) -> Part
    where
        S: Strategy,
        F: Fn(&S::Value, &mut Worst) -> Result<(), CheckFailure>,
        D: Fn(&S::Value) -> Inputs,
    {
        let name = format!("conformance/{}/{part}", self.name);
        // Declined cases are counted until the first failure; the runs that
        // shrink it are not cases of the run. A case counts as checked only
        // if the implementation answered something in it: not one it
        // declined entirely, and none of a part whose operations are all
        // unsupported.
        let failed = Cell::new(false);
        let unchecked = Cell::new(0u64);
        let counted = |value: &S::Value, w: &mut Worst| {
            self.declined_now.set(false);
            self.answered_now.set(false);
            let result = test(value, w);
            if failed.get() {
            } else if result.is_err() {
                failed.set(true);
            } else {
                if self.declined_now.get() {
                    self.declined.set(self.declined.get() + 1);
                }
                if !self.answered_now.get() {
                    unchecked.set(unchecked.get() + 1);
                }
            }
            result
        };
        let run = property(&self.context(), &name, strategy, counted);
        PropertyRun {
            cases: run.cases - unchecked.get().min(run.cases),
            worst_error_ratio: run.worst_error_ratio,
            resolution: run.resolution,
            comparisons: run.comparisons,
            failure: run.failure.map(|(failure, value)| {
                let inputs = show(&value);
                let hints = diagnose(self.name, self.precision(), &failure, &inputs);
                (
                    failure.clone(),
                    FailingCase {
                        message: failure.to_string(),
                        failure,
                        hints,
                        inputs,
                    },
                )
            }),
            aborted: run.aborted,
        }
    }

    /// Calls the implementation. `Ok(None)`: the operation is unsupported at
    /// this reduction (recorded), declined for this case (counted), or the
    /// implementation is broken (recorded once for the whole run, which
    /// stops after this check). `Err`: a rejection, a failure of the check.
    fn ask<T>(
        &self,
        op: Op,
        reduction: Reduction,
        call: impl FnOnce() -> Answer<T>,
    ) -> Result<Option<T>, String> {
        if self.subject.broken.borrow().is_some() {
            return Ok(None);
        }
        if self.subject.support_of(op, reduction) == Support::Unsupported {
            self.note_unsupported(op, reduction);
            return Ok(None);
        }
        match call() {
            Ok(value) => {
                self.subject.set_support(op, reduction, Support::Supported);
                self.answered.set(true);
                self.answered_now.set(true);
                Ok(Some(value))
            }
            Err(Refusal::Unsupported) => {
                self.subject
                    .set_support(op, reduction, Support::Unsupported);
                self.note_unsupported(op, reduction);
                Ok(None)
            }
            Err(Refusal::DeclinedCase) => {
                self.declined_now.set(true);
                Ok(None)
            }
            Err(Refusal::Rejected(reason)) => Err(format!(
                "{} ({}) rejected a valid input: {reason}",
                op.name(),
                reduction.name()
            )),
            Err(Refusal::Broken(e)) => {
                *self.subject.broken.borrow_mut() = Some(e);
                Ok(None)
            }
        }
    }

    fn note_unsupported(&self, op: Op, reduction: Reduction) {
        let mut list = self.unsupported.borrow_mut();
        if !list.contains(&(op, reduction)) {
            list.push((op, reduction));
        }
    }

    /// The value of `op` at `reduction`, checked for its shape.
    fn reduced(
        &self,
        op: Op,
        p: &[Vec<f64>],
        second: &[Vec<f64>],
        reduction: Reduction,
    ) -> Result<Option<Reduced>, String> {
        let imp = self.subject.imp;
        // The entropy has no second argument: it gets an empty one.
        let second = op.second_argument().map_or(&[][..], |_| second);
        let answer = self.ask(op, reduction, || match op.measure() {
            Some(measure) => imp.rows(measure, p, second, reduction),
            None => Err(Refusal::Unsupported),
        })?;
        match (&answer, reduction) {
            (None, _)
            | (Some(Reduced::PerRow(_)), Reduction::None)
            | (Some(Reduced::Total(_)), Reduction::Sum | Reduction::BatchMean) => {}
            _ => {
                return Err(format!(
                    "{} ({}) returned the wrong kind of value: {answer:?}",
                    op.name(),
                    reduction.name()
                ));
            }
        }
        if let Some(Reduced::PerRow(v)) = &answer
            && v.len() != p.len()
        {
            return Err(format!(
                "{} (none) returned {} values for {} rows",
                op.name(),
                v.len(),
                p.len()
            ));
        }
        Ok(answer)
    }

    /// One value per row (`none`).
    fn per_row(
        &self,
        op: Op,
        p: &[Vec<f64>],
        second: &[Vec<f64>],
    ) -> Result<Option<Vec<f64>>, String> {
        Ok(match self.reduced(op, p, second, Reduction::None)? {
            Some(Reduced::PerRow(v)) => Some(v),
            _ => None,
        })
    }

    /// The gradient rows, checked for their shape.
    fn gradient(
        &self,
        p: &[Vec<f64>],
        z: &[Vec<f64>],
        reduction: Reduction,
    ) -> Result<Option<Vec<Vec<f64>>>, String> {
        let imp = self.subject.imp;
        let op = Op::CrossEntropyLogitsGrad;
        let answer = self.ask(op, reduction, || {
            imp.cross_entropy_logits_grad_rows(p, z, reduction)
        })?;
        if let Some(g) = &answer {
            let shape_ok = g.len() == p.len() && g.iter().zip(p).all(|(a, b)| a.len() == b.len());
            if !shape_ok {
                return Err(format!(
                    "{} ({}) returned {} rows of lengths {:?} for {} rows of {} categories",
                    op.name(),
                    reduction.name(),
                    g.len(),
                    g.iter().map(Vec::len).collect::<Vec<_>>(),
                    p.len(),
                    p.first().map_or(0, Vec::len)
                ));
            }
        }
        Ok(answer)
    }

    /// Turns the runs of the check's properties into its result.
    fn finish(&self, description: &'static str, parts: Vec<Part>) -> CheckResult {
        let mut result = CheckResult {
            name: self.name,
            description,
            outcome: Outcome::Passed,
            cases: 0,
            worst_error_ratio: 0.0,
            resolution: Resolution::default(),
            unsupported: self.unsupported.borrow().clone(),
            declined: self.declined.get(),
        };
        for part in parts {
            result.cases += part.cases;
            result.worst_error_ratio = result.worst_error_ratio.max(part.worst_error_ratio);
            result.resolution.widen(part.resolution);
            if result.outcome != Outcome::Passed {
                continue;
            }
            if let Some(reason) = part.aborted {
                // The strategies never reject, so an abort is a harness fault:
                // reported as a failure, never read as a pass.
                let failure = CheckFailure::gave_up(&reason);
                result.outcome = Outcome::Failed(FailingCase {
                    message: failure.to_string(),
                    failure,
                    hints: Vec::new(),
                    inputs: Vec::new(),
                });
            } else if let Some((_, case)) = part.failure {
                result.outcome = Outcome::Failed(case);
            }
        }
        if result.outcome == Outcome::Passed && !self.answered.get() {
            // Nothing was compared: no case counts.
            result.outcome = Outcome::Skipped;
            result.cases = 0;
        }
        result
    }
}

impl Subject<'_> {
    fn support_of(&self, op: Op, reduction: Reduction) -> Support {
        self.support
            .borrow()
            .iter()
            .find(|(o, r, _)| *o == op && *r == reduction)
            .map_or(Support::Untested, |&(_, _, s)| s)
    }

    fn set_support(&self, op: Op, reduction: Reduction, support: Support) {
        let mut list = self.support.borrow_mut();
        match list
            .iter_mut()
            .find(|(o, r, _)| *o == op && *r == reduction)
        {
            // Once unsupported, always skipped: never asked again.
            Some(entry) if entry.2 != Support::Unsupported => entry.2 = support,
            Some(_) => {}
            None => list.push((op, reduction, support)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::run;
    use crate::test_support::AtTheEdge;

    #[test]
    fn an_implementation_at_the_edge_of_the_stated_accuracy_passes_every_check() {
        // The kit must never reject an implementation that meets its stated
        // accuracy. Each answer here uses nearly all of its allowance, and the
        // cross-checks (identity, reductions, permutation, Gibbs, zero
        // semantics) combine the per-operation bounds; each must leave room
        // for every operation's whole allowance at once.
        let report = run(
            &AtTheEdge::KIT,
            &Config::new(crate::seed::DEFAULT_SEED, 128),
        )
        .unwrap();
        for c in &report.checks {
            assert_eq!(c.outcome, Outcome::Passed, "{}: {:?}", c.name, c.outcome);
            assert!(c.worst_error_ratio <= 1.0, "{c:?}");
        }
    }
}
