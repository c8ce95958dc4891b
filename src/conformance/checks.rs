//! The checks, their inputs, and the tolerances they are held to.
//!
//! # The tolerance of one value
//!
//! Every value is a sum of n terms. For each measure a condition quantity C
//! bounds what rounding can do to it (terms with pᵢ = 0 are 0):
//!
//! ```text
//! entropy               C = Σᵢ pᵢ·(|ln pᵢ| + 1)
//! cross-entropy         C = Σᵢ pᵢ·(|ln qᵢ| + 1)
//! KL divergence         C = Σᵢ pᵢ·(|ln pᵢ| + |ln qᵢ| + 1)
//! CE from logits        C = Σᵢ pᵢ·(|zᵢ| + maxⱼ|zⱼ| + ln Σⱼ exp(zⱼ − max z) + 1)
//! ```
//!
//! Why, term by term: a library logarithm or exponential is within one ULP
//! (2u relative); a quotient, difference, sum or product adds u relative;
//! and an argument of ln that is off by a relative u moves ln by u absolute
//! (the "+1"). So in each of the usual forms — pᵢ·ln(pᵢ/qᵢ),
//! pᵢ·(ln pᵢ − ln qᵢ), CE − H — a term is within 4u of its share of C. The
//! log-sum-exp term pᵢ·(max z + ln S − zᵢ), S = Σⱼ exp(zⱼ − max z), rounds
//! ln S (2u·ln S, plus S's own relative error (n + 1)u), then max z + ln S
//! and the difference (u times at most |zᵢ| + max|z| + ln S each): within
//! (n + 5)u of its share. The n terms are then summed: recursive summation in
//! any order adds at most (n − 1)u·Σ|terms| (Higham, *Accuracy and Stability
//! of Numerical Algorithms*, 2nd ed., §4.2; pairwise and compensated sums do
//! better). So, with k = 4 (k = n + 5 for logits),
//!
//! ```text
//! |computed − exact| ≤ (k + n − 1)·u·C + 2·u_in·C + n·η + 2·2⁻⁵³·|exact|
//! ```
//!
//! with u the precision's unit roundoff (2⁻⁵³ or 2⁻²⁴), u_in the relative
//! rounding of the inputs (0 in f64, 2⁻²⁴ in f32: the first-order change of
//! each term under pᵢ → pᵢ(1 + ε), qᵢ → qᵢ(1 + ε), zᵢ → zᵢ(1 + ε) is at most
//! u_in times its share of C for CE, entropy and logits, and 2·u_in for KL),
//! η the smallest normal number (a result that underflows may be flushed to
//! zero), and the last term the crate's own error (within about one ULP, see
//! [`crate::measures`]).
//!
//! # The tolerance of one gradient entry
//!
//! gᵢ = qᵢ − pᵢ with qᵢ = softmax(z)ᵢ = exp(zᵢ − max z − ln S). The argument
//! of exp is formed as (zᵢ − max z) − ln S or zᵢ − (max z + ln S): two
//! roundings, together at most u·(2|zᵢ| + 2·max|z| + 2·ln S), plus the error
//! of ln S itself, 2u·ln S + (n + 1)u. exp turns an absolute error δ of its
//! argument into a relative error e^δ − 1 ≤ 1.01·δ of qᵢ (δ < 0.01 for
//! |z| ≤ 1e4 and n ≤ 10⁴, even in f32); exp's own ULP, a quotient by S (in the
//! form exp(zᵢ − max z)/S, whose S error is the same (n + 1)u) and the final
//! subtraction add 4u·qᵢ + u·pᵢ. The reference softmax of this crate is
//! within the same form at 2⁻⁵³. Hence
//!
//! ```text
//! |ĝᵢ − gᵢ| ≤ 1.01·(u + 2⁻⁵³)·[qᵢ·(2|zᵢ| + 2·max|z| + 4·ln S + n + 5) + pᵢ] + 2·u_in·[qᵢ·(|zᵢ| + max|z|) + pᵢ] + 2η
//! ```
//!
//! and under `batchmean` that bound divided by R, plus u·|gᵢ|/R for the division.
//!
//! # Comparisons among the implementation's own answers
//!
//! Two answers each within their bound b of the same exact value are within
//! the sum of the bounds of each other: `identity` allows b_H + b_CE + b_KL
//! (plus 2⁻⁵²·|CE| for adding H + KL here), `permutation` 2b, `reductions`
//! 2·Σᵣ bᵣ plus the rounding of a sum over R rows, (R − 1)·u·Σᵣ|vᵣ|.

use std::cell::{Cell, RefCell};

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::{
    Answer, Capability, CheckResult, Config, ConformanceError, ConformanceReport, FailingCase,
    Implementation, Op, Outcome, Precision, ProtocolError, Refusal, Support,
};
use crate::claims::{CheckFailure, Context, PropertyRun, U, Worst, gibbs_floor, property};
use crate::measures::{self, MeasureError, Reduced, Reduction, normalize, softmax};
use crate::numerics::{NeumaierSum, compensated_sum};
use crate::strategies::{
    arb_batch_categories, arb_distribution_of, arb_logits_of, arb_pair_of, arb_permutation,
    arb_rows,
};

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
        config: *config,
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
        config: *config,
        checks,
        capabilities,
    })
}

/// The implementation under test, what it has been found to support, and
/// whether it broke.
struct Subject<'a> {
    imp: &'a dyn Implementation,
    support: RefCell<Vec<(Op, Reduction, Support)>>,
    broken: RefCell<Option<ProtocolError>>,
    config: Config,
}

/// One check in progress.
struct CheckRun<'s, 'a> {
    subject: &'s Subject<'a>,
    name: &'static str,
    unsupported: RefCell<Vec<(Op, Reduction)>>,
    answered: Cell<bool>,
}

/// The result of one property of a check.
type Part = PropertyRun<FailingCase>;

/// Named input batches of a failing case.
type Inputs = Vec<(String, Vec<Vec<f64>>)>;

/// A batch of rows.
type Rows = Vec<Vec<f64>>;

/// Rows of ((p, q), index of a category to insert).
type ZeroRows = [((Vec<f64>, Vec<f64>), usize)];

impl CheckRun<'_, '_> {
    fn precision(&self) -> Precision {
        self.subject.config.precision
    }

    fn context(&self) -> Context<'static> {
        Context::new(self.subject.config.seed, self.subject.config.cases)
    }

    /// Runs one property of the check on its own stream
    /// (seed, "conformance/CHECK/PART").
    fn part<S, F, D>(&self, part: &str, strategy: S, test: F, show: D) -> Part
    where
        S: Strategy,
        F: Fn(&S::Value, &mut Worst) -> Result<(), String>,
        D: Fn(&S::Value) -> Inputs,
    {
        let name = format!("conformance/{}/{part}", self.name);
        let run = property(&self.context(), &name, strategy, test);
        PropertyRun {
            cases: run.cases,
            worst_error_ratio: run.worst_error_ratio,
            resolution: run.resolution,
            comparisons: run.comparisons,
            failure: run.failure.map(|(message, value)| {
                (
                    message.clone(),
                    FailingCase {
                        message: message.to_string(),
                        inputs: show(&value),
                    },
                )
            }),
            aborted: run.aborted,
        }
    }

    /// Calls the implementation. `Ok(None)`: the operation is unsupported at
    /// this reduction (recorded), or the implementation is broken (recorded
    /// once for the whole run, which stops after this check). `Err`: a rejection,
    /// a failure of the check.
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
                Ok(Some(value))
            }
            Err(Refusal::Unsupported) => {
                self.subject
                    .set_support(op, reduction, Support::Unsupported);
                self.note_unsupported(op, reduction);
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
        let answer = self.ask(op, reduction, || match op {
            Op::Entropy => imp.entropy(p, reduction),
            Op::CrossEntropy => imp.cross_entropy(p, second, reduction),
            Op::KlDivergence => imp.kl_divergence(p, second, reduction),
            Op::CrossEntropyLogits => imp.cross_entropy_logits(p, second, reduction),
            Op::CrossEntropyLogitsGrad => Err(Refusal::Unsupported),
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
        if let Some(Reduced::PerRow(v)) = &answer {
            if v.len() != p.len() {
                return Err(format!(
                    "{} (none) returned {} values for {} rows",
                    op.name(),
                    v.len(),
                    p.len()
                ));
            }
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
            imp.cross_entropy_logits_grad(p, z, reduction)
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
            resolution: 0.0,
            unsupported: self.unsupported.borrow().clone(),
        };
        for part in parts {
            result.cases += part.cases;
            result.worst_error_ratio = result.worst_error_ratio.max(part.worst_error_ratio);
            result.resolution = result.resolution.max(part.resolution);
            if result.outcome != Outcome::Passed {
                continue;
            }
            if let Some(reason) = part.aborted {
                // The strategies never reject, so an abort is a harness fault:
                // reported as a failure, never read as a pass.
                result.outcome = Outcome::Failed(FailingCase {
                    message: format!("the property runner gave up: {reason}"),
                    inputs: Vec::new(),
                });
            } else if let Some((_, case)) = part.failure {
                result.outcome = Outcome::Failed(case);
            }
        }
        if result.outcome == Outcome::Passed && !self.answered.get() {
            result.outcome = Outcome::Skipped;
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

// ---------------------------------------------------------------------------
// Inputs

/// Rows of (p, q) on a shared number of categories.
type PairRows = Vec<(Vec<f64>, Vec<f64>)>;

/// One row (p, q) on `n` categories.
///
/// Shrinking order: a failing batch first loses rows, then categories (the
/// number n shrinks and proptest draws fresh rows at each smaller n), and
/// the values inside a row are not shrunk one by one. Element-wise shrinking
/// takes tens of steps per entry, each a call to the implementation (a round
/// trip to a process), and spent the harness's 4096-step budget on rows of a
/// hundred entries before n ever shrank; n and rows are what make a case
/// small enough to read.
fn pair_row(n: usize) -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    arb_pair_of(n).no_shrink().boxed()
}

/// One row (p, z) on `n` categories, shrinking like [`pair_row`].
fn logit_row(n: usize) -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    (arb_distribution_of(n), arb_logits_of(n))
        .no_shrink()
        .boxed()
}

fn arb_pair_rows() -> BoxedStrategy<PairRows> {
    arb_batch_categories()
        .prop_flat_map(|n| arb_rows(n, pair_row(n)))
        .boxed()
}

fn arb_logit_rows_of(n: usize) -> BoxedStrategy<PairRows> {
    arb_rows(n, logit_row(n))
}

fn arb_logit_rows() -> BoxedStrategy<PairRows> {
    arb_batch_categories()
        .prop_flat_map(arb_logit_rows_of)
        .boxed()
}

/// Prepares a distribution for the precision: in f32, entries below f32's
/// smallest normal number are flushed to zero and the row renormalized, so
/// every input the implementation rounds to f32 keeps a relative rounding.
fn prepared(precision: Precision, row: &[f64]) -> Result<Vec<f64>, String> {
    match precision {
        Precision::F64 => Ok(row.to_vec()),
        Precision::F32 => {
            let floor = precision.underflow();
            if row.iter().all(|&x| x == 0.0 || x >= floor) {
                return Ok(row.to_vec());
            }
            let flushed: Vec<f64> = row
                .iter()
                .map(|&x| if x < floor { 0.0 } else { x })
                .collect();
            normalize(&flushed).map_err(|e| harness_fault(&e))
        }
    }
}

fn harness_fault(e: &MeasureError) -> String {
    format!("the kit's reference rejected a generated input (a fault of the kit): {e}")
}

/// Splits rows of (p, second) into the two batches, preparing the
/// distributions (`second` too when it is a distribution, not logits).
fn split(
    precision: Precision,
    rows: &[(Vec<f64>, Vec<f64>)],
    second_is_distribution: bool,
) -> Result<(Rows, Rows), String> {
    let mut p = Vec::with_capacity(rows.len());
    let mut s = Vec::with_capacity(rows.len());
    for (a, b) in rows {
        p.push(prepared(precision, a)?);
        s.push(if second_is_distribution {
            prepared(precision, b)?
        } else {
            b.clone()
        });
    }
    Ok((p, s))
}

fn shown_pairs(precision: Precision, rows: &PairRows, second: &str) -> Inputs {
    let is_distribution = second == "q";
    match split(precision, rows, is_distribution) {
        Ok((p, s)) => vec![("p".to_string(), p), (second.to_string(), s)],
        Err(_) => Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// Exact values and tolerances

/// The crate's exact per-row values of `op`.
fn exact_rows(op: Op, p: &[Vec<f64>], second: &[Vec<f64>]) -> Result<Vec<f64>, String> {
    let reduced = match op {
        Op::Entropy => measures::entropy_rows(p, Reduction::None),
        Op::CrossEntropy => measures::cross_entropy_rows(p, second, Reduction::None),
        Op::KlDivergence => measures::kl_divergence_rows(p, second, Reduction::None),
        Op::CrossEntropyLogits | Op::CrossEntropyLogitsGrad => {
            measures::cross_entropy_logits_rows(p, second, Reduction::None)
        }
    }
    .map_err(|e| harness_fault(&e))?;
    match reduced {
        Reduced::PerRow(v) => Ok(v),
        Reduced::Total(_) => Err("the reference returned a total for `none`".to_string()),
    }
}

/// The condition quantity C of one row (see the module docs); +∞ on a
/// support mismatch of CE or KL.
fn condition(op: Op, p: &[f64], second: &[f64]) -> f64 {
    let ln_abs = |x: f64| x.ln().abs();
    match op {
        Op::Entropy => p
            .iter()
            .filter(|&&a| a > 0.0)
            .map(|&a| a * (ln_abs(a) + 1.0))
            .sum(),
        Op::CrossEntropy => p
            .iter()
            .zip(second)
            .filter(|&(&a, _)| a > 0.0)
            .map(|(&a, &b)| a * (ln_abs(b) + 1.0))
            .sum(),
        Op::KlDivergence => p
            .iter()
            .zip(second)
            .filter(|&(&a, _)| a > 0.0)
            .map(|(&a, &b)| a * (ln_abs(a) + ln_abs(b) + 1.0))
            .sum(),
        Op::CrossEntropyLogits | Op::CrossEntropyLogitsGrad => {
            let (abs_max, ln_s) = logit_scale(second);
            p.iter()
                .zip(second)
                .map(|(&a, &z)| a * (z.abs() + abs_max + ln_s + 1.0))
                .sum()
        }
    }
}

/// (max|zⱼ|, ln Σⱼ exp(zⱼ − max z)) of a logit row.
fn logit_scale(z: &[f64]) -> (f64, f64) {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let abs_max = z.iter().map(|x| x.abs()).fold(0.0, f64::max);
    let s: f64 = z.iter().map(|&x| (x - max).exp()).sum();
    (abs_max, s.ln())
}

/// The bound on |computed − exact| for one row of `op` with `n` entries and
/// condition `c`, without the reference's own error (see the module docs).
fn value_bound(precision: Precision, op: Op, n: usize, c: f64) -> f64 {
    let n = n as f64;
    // Per term: 4u for the probability forms, (n + 5)u for log-sum-exp;
    // then (n − 1)u for the sum of the n terms.
    let per_term = match op {
        Op::CrossEntropyLogits | Op::CrossEntropyLogitsGrad => n + 5.0,
        Op::Entropy | Op::CrossEntropy | Op::KlDivergence => 4.0,
    };
    let u = precision.unit_roundoff();
    // ((k + n − 1)·u + 2u_in)·C: one product, so that C = +∞ (a support
    // mismatch) gives +∞, never 0·∞.
    ((per_term + n - 1.0) * u + 2.0 * precision.input_roundoff()) * c + n * precision.underflow()
}

/// The per-row bounds of `op` on a batch.
fn row_bounds(precision: Precision, op: Op, p: &[Vec<f64>], second: &[Vec<f64>]) -> Vec<f64> {
    p.iter()
        .enumerate()
        .map(|(r, pr)| {
            let s = second.get(r).map_or(&[][..], Vec::as_slice);
            value_bound(precision, op, pr.len(), condition(op, pr, s))
        })
        .collect()
}

/// The exact gradient softmax(z) − p per row, divided by R under
/// `batchmean` (see the [module docs](super) for the definition).
pub(crate) fn reference_gradient(
    p: &[Vec<f64>],
    z: &[Vec<f64>],
    reduction: Reduction,
) -> Result<Vec<Vec<f64>>, MeasureError> {
    // Validates every row, naming it, exactly as the loss itself does.
    measures::cross_entropy_logits_rows(p, z, Reduction::None)?;
    let rows = p.len() as f64;
    p.iter()
        .zip(z)
        .map(|(pr, zr)| {
            let q = softmax(zr)?;
            Ok(q.iter()
                .zip(pr)
                .map(|(qi, pi)| match reduction {
                    Reduction::BatchMean => (qi - pi) / rows,
                    Reduction::None | Reduction::Sum => qi - pi,
                })
                .collect())
        })
        .collect()
}

/// The bound on each gradient entry of one row (see the module docs).
fn gradient_bounds(
    precision: Precision,
    p: &[f64],
    z: &[f64],
    rows: usize,
    reduction: Reduction,
) -> Vec<f64> {
    let (u, u_in, eta) = (
        precision.unit_roundoff(),
        precision.input_roundoff(),
        precision.underflow(),
    );
    let (abs_max, ln_s) = logit_scale(z);
    let n = p.len() as f64;
    let q = softmax(z).unwrap_or_else(|_| vec![0.0; z.len()]);
    p.iter()
        .zip(z)
        .zip(&q)
        .map(|((&pi, &zi), &qi)| {
            let a = qi * (2.0 * zi.abs() + 2.0 * abs_max + 4.0 * ln_s + n + 5.0) + pi;
            let b = qi * (zi.abs() + abs_max) + pi;
            let bound = 1.01 * (u + U) * a + 2.0 * u_in * b + 2.0 * eta;
            match reduction {
                Reduction::BatchMean => (bound + u * (qi - pi).abs()) / rows as f64,
                Reduction::None | Reduction::Sum => bound,
            }
        })
        .collect()
}

/// Compares one value with the exact one: infinities must match exactly,
/// finite values within `bound` plus the reference's error 2⁻⁵²·|exact|.
fn against_exact(
    w: &mut Worst,
    what: &str,
    got: f64,
    exact: f64,
    bound: f64,
) -> Result<(), CheckFailure> {
    if exact.is_infinite() {
        return w.require(got == exact, || {
            format!("{what}: got {got:e}, want {exact:e}")
        });
    }
    w.close(what, got, exact, bound + 2.0 * U * exact.abs())
}

/// Compares two of the implementation's own answers that must agree: equal
/// infinities, or finite values within `bound`; NaN never agrees.
fn consistent(w: &mut Worst, what: &str, a: f64, b: f64, bound: f64) -> Result<(), CheckFailure> {
    if !(a.is_finite() && b.is_finite()) {
        return w.require(a == b, || format!("{what}: {a:e} against {b:e}"));
    }
    w.close(what, a, b, bound)
}

// ---------------------------------------------------------------------------
// The checks

/// `agreement/OP`: each row's value against the exact value.
fn agreement(c: &CheckRun<'_, '_>, op: Op) -> Vec<Part> {
    let precision = c.precision();
    let (strategy, second) = match op {
        Op::CrossEntropyLogits => (arb_logit_rows(), "logits"),
        Op::Entropy => (arb_pair_rows(), ""),
        _ => (arb_pair_rows(), "q"),
    };
    let run = c.part(
        "proptest",
        strategy,
        |rows, w| {
            let (p, s) = split(precision, rows, second == "q")?;
            let exact = exact_rows(op, &p, &s)?;
            let Some(got) = c.per_row(op, &p, &s)? else {
                return Ok(());
            };
            let bounds = row_bounds(precision, op, &p, &s);
            for (r, ((&g, &e), &b)) in got.iter().zip(&exact).zip(&bounds).enumerate() {
                against_exact(w, &format!("{} of row {r}", op.name()), g, e, b)?;
            }
            Ok(())
        },
        |rows| match op {
            Op::Entropy => shown_pairs(precision, rows, "q")
                .into_iter()
                .take(1)
                .collect(),
            _ => shown_pairs(precision, rows, second),
        },
    );
    vec![run]
}

/// `identity`: CE = H + KL among the implementation's own answers.
fn identity(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.part(
        "proptest",
        arb_pair_rows(),
        |rows, w| {
            let (p, q) = split(precision, rows, true)?;
            let Some(h) = c.per_row(Op::Entropy, &p, &q)? else {
                return Ok(());
            };
            let Some(ce) = c.per_row(Op::CrossEntropy, &p, &q)? else {
                return Ok(());
            };
            let Some(kl) = c.per_row(Op::KlDivergence, &p, &q)? else {
                return Ok(());
            };
            let bh = row_bounds(precision, Op::Entropy, &p, &q);
            let bce = row_bounds(precision, Op::CrossEntropy, &p, &q);
            let bkl = row_bounds(precision, Op::KlDivergence, &p, &q);
            for r in 0..p.len() {
                // Each answer within its own bound of the exact value, plus
                // the rounding of H + KL here.
                let bound = bh[r] + bce[r] + bkl[r] + 2.0 * U * ce[r].abs();
                consistent(
                    w,
                    &format!(
                        "row {r}: CE = {:e} against H + KL = {:e} + {:e}",
                        ce[r], h[r], kl[r]
                    ),
                    ce[r],
                    h[r] + kl[r],
                    bound,
                )?;
            }
            Ok(())
        },
        |rows| shown_pairs(precision, rows, "q"),
    );
    vec![run]
}

/// How far the inputs' own rounding to the precision moves P − Q: up to
/// u_in·(P + Q), with u_in the precision's input roundoff (0 at f64).
fn input_shift(precision: Precision, p: &[f64], q: &[f64]) -> f64 {
    precision.input_roundoff() * (compensated_sum(p) + compensated_sum(q))
}

/// `gibbs`: KL ≥ the scaled Gibbs–Pinsker floor, and KL(p‖p) = 0; one request
/// of 2R rows, (pᵣ, qᵣ) then (pᵣ, pᵣ).
fn gibbs(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.part(
        "proptest",
        arb_pair_rows(),
        |rows, w| {
            let (p, q) = split(precision, rows, true)?;
            let rows = p.len();
            let both_p: Vec<Vec<f64>> = p.iter().chain(&p).cloned().collect();
            let q_then_p: Vec<Vec<f64>> = q.iter().chain(&p).cloned().collect();
            let Some(kl) = c.per_row(Op::KlDivergence, &both_p, &q_then_p)? else {
                return Ok(());
            };
            let bounds = row_bounds(precision, Op::KlDivergence, &both_p, &q_then_p);
            for r in 0..rows {
                let g = gibbs_floor(&p[r], &q[r]);
                let (floor, slack) = (g.floor(), g.slack());
                let moved = input_shift(precision, &p[r], &q[r]);
                w.at_least(
                    &format!("row {r}: KL(p‖q) against P·ln(P/Q) + (P/2)‖p/P − q/Q‖₁²"),
                    kl[r],
                    floor,
                    bounds[r] + slack + moved,
                )?;
            }
            for r in 0..rows {
                // Every term of KL(p‖p) is pᵢ·ln 1 = 0: within its bound of 0.
                w.close(
                    &format!("row {r}: KL(p‖p)"),
                    kl[rows + r],
                    0.0,
                    bounds[rows + r],
                )?;
            }
            Ok(())
        },
        |rows| shown_pairs(precision, rows, "q"),
    );
    vec![run]
}

/// Inserts `value` at `index`.
fn inserted(row: &[f64], index: usize, value: f64) -> Vec<f64> {
    let mut v = row.to_vec();
    v.insert(index.min(v.len()), value);
    v
}

/// The zero-semantics batch: for each (p, q) and index k, three rows on n + 1
/// categories with a new category at k (where it is positive, it enters with
/// a uniform share 1/(n + 1) and the row is renormalized):
/// A: p₍ₖ₎ = 0 < q₍ₖ₎ (0·ln 0 in H and in KL's p·ln p);
/// B: p₍ₖ₎ = q₍ₖ₎ = 0 (0·ln 0 everywhere);
/// C: p₍ₖ₎ > 0 = q₍ₖ₎ (CE = KL = +∞).
fn zero_rows(precision: Precision, rows: &ZeroRows) -> Result<(Rows, Rows), String> {
    let mut ps = Vec::with_capacity(3 * rows.len());
    let mut qs = Vec::with_capacity(3 * rows.len());
    for ((p, q), k) in rows {
        let (p, q) = (prepared(precision, p)?, prepared(precision, q)?);
        let weight = 1.0 / (p.len() as f64 + 1.0);
        let p0 = inserted(&p, *k, 0.0);
        let q0 = inserted(&q, *k, 0.0);
        let q_plus = normalize(&inserted(&q, *k, weight)).map_err(|e| harness_fault(&e))?;
        let p_plus = normalize(&inserted(&p, *k, weight)).map_err(|e| harness_fault(&e))?;
        ps.extend([p0.clone(), p0, prepared(precision, &p_plus)?]);
        qs.extend([prepared(precision, &q_plus)?, q0.clone(), q0]);
    }
    Ok((ps, qs))
}

/// `zero-semantics`: entropy, CE and KL on rows with zeros, against the exact
/// values; +∞ required exactly where q = 0 < p.
fn zero_semantics(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let strategy = arb_batch_categories()
        .prop_flat_map(|n| arb_rows(n, (pair_row(n), 0..=n).boxed()))
        .boxed();
    let run = c.part(
        "proptest",
        strategy,
        |rows, w| {
            let (p, q) = zero_rows(precision, rows)?;
            for op in [Op::Entropy, Op::CrossEntropy, Op::KlDivergence] {
                let exact = exact_rows(op, &p, &q)?;
                let Some(got) = c.per_row(op, &p, &q)? else {
                    continue;
                };
                let bounds = row_bounds(precision, op, &p, &q);
                for (r, ((&g, &e), &b)) in got.iter().zip(&exact).zip(&bounds).enumerate() {
                    let kind = ["p = 0 < q", "p = q = 0", "q = 0 < p"][r % 3];
                    let what = format!(
                        "{} of row {r} (a category with {kind}; exact {e:e})",
                        op.name()
                    );
                    w.require(!g.is_nan(), || format!("{what}: got NaN"))?;
                    against_exact(w, &what, g, e, b)?;
                }
            }
            Ok(())
        },
        |rows| match zero_rows(precision, rows) {
            Ok((p, q)) => vec![("p".to_string(), p), ("q".to_string(), q)],
            Err(_) => Vec::new(),
        },
    );
    vec![run]
}

/// Logits scaled so that the largest |zᵢ| of each row is 1e4.
fn scaled_logits(rows: &PairRows) -> PairRows {
    rows.iter()
        .map(|(p, z)| {
            let m = z.iter().map(|x| x.abs()).fold(0.0, f64::max);
            let z = if m > 0.0 {
                z.iter().map(|x| x * (1e4 / m)).collect()
            } else {
                z.clone()
            };
            (p.clone(), z)
        })
        .collect()
}

/// `stability`: logits up to ±1e4 give finite losses and gradients.
fn stability(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.part(
        "proptest",
        arb_logit_rows(),
        |rows, w| {
            let (p, z) = split(precision, &scaled_logits(rows), false)?;
            if let Some(v) = c.per_row(Op::CrossEntropyLogits, &p, &z)? {
                for (r, x) in v.iter().enumerate() {
                    w.require(x.is_finite(), || {
                        format!("cross_entropy_logits of row {r} with |z| up to 1e4 is {x:e}, not finite")
                    })?;
                }
            }
            if let Some(g) = c.gradient(&p, &z, Reduction::None)? {
                for (r, row) in g.iter().enumerate() {
                    if let Some(i) = row.iter().position(|x| !x.is_finite()) {
                        return Err(format!(
                            "cross_entropy_logits_grad of row {r} with |z| up to 1e4: entry {i} is {:e}, not finite",
                            row[i]
                        ));
                    }
                }
            }
            Ok(())
        },
        |rows| shown_pairs(precision, &scaled_logits(rows), "logits"),
    );
    vec![run]
}

/// The check of `sum` and `batchmean` against the per-row values `v` with
/// per-row bounds `b` (see the module docs).
fn reduction_case(
    w: &mut Worst,
    op: Op,
    precision: Precision,
    v: &[f64],
    b: &[f64],
    sum: f64,
    mean: f64,
) -> Result<(), CheckFailure> {
    let rows = v.len() as f64;
    let u = precision.unit_roundoff();
    let total = v.iter().copied().collect::<NeumaierSum>().value();
    let abs_total: f64 = v.iter().map(|x| x.abs()).sum();
    let b_total: f64 = b.iter().sum();
    // The implementation's total is within Σb of the exact total plus its
    // own summation over R rows; ours is compensated (2⁻⁵²·|Σv|).
    let sum_bound =
        2.0 * b_total + (rows - 1.0) * u * (abs_total + b_total) + 2.0 * U * total.abs();
    consistent(
        w,
        &format!(
            "{} sum = {sum:e} against the sum of its per-row values {total:e}",
            op.name()
        ),
        sum,
        total,
        sum_bound,
    )?;
    let want = total / rows;
    consistent(
        w,
        &format!(
            "{} batchmean = {mean:e} against the per-row values' sum / rows ({rows}) = {want:e}",
            op.name()
        ),
        mean,
        want,
        sum_bound / rows + u * mean.abs() + U * want.abs(),
    )
}

/// `reductions`: each operation's `sum` and `batchmean` against its `none`.
fn reductions(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.part(
        "proptest",
        (arb_pair_rows(), arb_logit_rows()),
        |(pairs, logits), w| {
            let (p, q) = split(precision, pairs, true)?;
            let (pl, z) = split(precision, logits, false)?;
            for op in [
                Op::Entropy,
                Op::CrossEntropy,
                Op::KlDivergence,
                Op::CrossEntropyLogits,
            ] {
                let (p, s) = if op == Op::CrossEntropyLogits {
                    (&pl, &z)
                } else {
                    (&p, &q)
                };
                let Some(v) = c.per_row(op, p, s)? else {
                    continue;
                };
                let Some(Reduced::Total(sum)) = c.reduced(op, p, s, Reduction::Sum)? else {
                    continue;
                };
                let Some(Reduced::Total(mean)) = c.reduced(op, p, s, Reduction::BatchMean)? else {
                    continue;
                };
                let b = row_bounds(precision, op, p, s);
                reduction_case(w, op, precision, &v, &b, sum, mean)?;
            }
            Ok(())
        },
        |(pairs, logits)| {
            let mut inputs = shown_pairs(precision, pairs, "q");
            for (name, rows) in shown_pairs(precision, logits, "logits") {
                let name = if name == "p" {
                    "p (logits rows)".to_string()
                } else {
                    name
                };
                inputs.push((name, rows));
            }
            inputs
        },
    );
    vec![run]
}

/// Applies a permutation: row'[j] = row[perm[j]].
fn permuted(row: &[f64], perm: &[usize]) -> Vec<f64> {
    perm.iter().map(|&j| row[j]).collect()
}

/// The batch followed by its permuted copy.
fn with_permuted(rows: &[Vec<f64>], perm: &[usize]) -> Vec<Vec<f64>> {
    rows.iter()
        .cloned()
        .chain(rows.iter().map(|r| permuted(r, perm)))
        .collect()
}

fn arb_permuted(logits: bool) -> BoxedStrategy<(PairRows, Vec<usize>)> {
    arb_batch_categories()
        .prop_flat_map(move |n| {
            let rows = if logits {
                arb_logit_rows_of(n)
            } else {
                arb_rows(n, pair_row(n))
            };
            (rows, arb_permutation(n))
        })
        .boxed()
}

fn shown_permuted(
    precision: Precision,
    (rows, perm): &(PairRows, Vec<usize>),
    second: &str,
) -> Inputs {
    let mut inputs = shown_pairs(precision, rows, second);
    inputs.push((
        "permutation".to_string(),
        vec![perm.iter().map(|&j| j as f64).collect()],
    ));
    inputs
}

/// `permutation`: one request of 2R rows per operation, the batch and the
/// batch with its categories permuted.
fn permutation(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let values = |ops: &'static [Op], logits: bool| {
        let second = if logits { "logits" } else { "q" };
        c.part(
            if logits { "logits" } else { "probabilities" },
            arb_permuted(logits),
            move |(rows, perm), w| {
                let (p, s) = split(precision, rows, !logits)?;
                let (pp, sp) = (with_permuted(&p, perm), with_permuted(&s, perm));
                let r_count = p.len();
                for &op in ops {
                    let Some(v) = c.per_row(op, &pp, &sp)? else {
                        continue;
                    };
                    let b = row_bounds(precision, op, &p, &s);
                    for r in 0..r_count {
                        consistent(
                            w,
                            &format!("{} of row {r}, categories permuted", op.name()),
                            v[r_count + r],
                            v[r],
                            2.0 * b[r],
                        )?;
                    }
                }
                if logits {
                    if let Some(g) = c.gradient(&pp, &sp, Reduction::None)? {
                        for r in 0..r_count {
                            let b = gradient_bounds(precision, &p[r], &s[r], r_count, Reduction::None);
                            for (j, &from) in perm.iter().enumerate() {
                                consistent(
                                    w,
                                    &format!(
                                        "cross_entropy_logits_grad of row {r}, entry {j} of the permuted row (entry {from} of the original)"
                                    ),
                                    g[r_count + r][j],
                                    g[r][from],
                                    2.0 * b[from],
                                )?;
                            }
                        }
                    }
                }
                Ok(())
            },
            move |case| shown_permuted(precision, case, second),
        )
    };
    vec![
        values(&[Op::Entropy, Op::CrossEntropy, Op::KlDivergence], false),
        values(&[Op::CrossEntropyLogits], true),
    ]
}

/// `gradient`: each reduction's gradient against softmax(z) − p (÷ R for
/// batchmean).
fn gradient(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.part(
        "proptest",
        arb_logit_rows(),
        |rows, w| {
            let (p, z) = split(precision, rows, false)?;
            for reduction in REDUCTIONS {
                let Some(g) = c.gradient(&p, &z, reduction)? else {
                    continue;
                };
                let exact = reference_gradient(&p, &z, reduction).map_err(|e| harness_fault(&e))?;
                for r in 0..p.len() {
                    let b = gradient_bounds(precision, &p[r], &z[r], p.len(), reduction);
                    for i in 0..p[r].len() {
                        against_exact(
                            w,
                            &format!(
                                "cross_entropy_logits_grad ({}) row {r} entry {i}",
                                reduction.name()
                            ),
                            g[r][i],
                            exact[r][i],
                            b[i],
                        )?;
                    }
                }
            }
            Ok(())
        },
        |rows| shown_pairs(precision, rows, "logits"),
    );
    vec![run]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{Reference, rejected, run};
    use crate::test_support::assert_near;

    /// The zero rows for p = (½, ½), q = (¼, ¾) and k = 1: the new category
    /// enters with 1/3 where it is positive, then the row is renormalized:
    /// (¼, ⅓, ¾)·¾ = (3/16, ¼, 9/16) and (½, ⅓, ½)·¾ = (3/8, ¼, 3/8).
    /// 1/3 rounds, the sum 4/3 rounds and each division rounds: the entries
    /// are within 3u of these fractions.
    #[test]
    fn zero_rows_insert_a_uniform_share_and_renormalize() {
        let rows = [((vec![0.5, 0.5], vec![0.25, 0.75]), 1)];
        let (ps, qs) = zero_rows(Precision::F64, &rows).unwrap();
        let close = |got: &[f64], want: [f64; 3]| {
            assert_eq!(got.len(), 3);
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= 3.0 * U * w, "{got:?} vs {want:?}");
            }
        };
        assert_eq!(ps[0], vec![0.5, 0.0, 0.5]);
        close(&qs[0], [3.0 / 16.0, 0.25, 9.0 / 16.0]);
        assert_eq!(
            (ps[1].clone(), qs[1].clone()),
            (vec![0.5, 0.0, 0.5], vec![0.25, 0.0, 0.75])
        );
        close(&ps[2], [3.0 / 8.0, 0.25, 3.0 / 8.0]);
        assert_eq!(qs[2], vec![0.25, 0.0, 0.75]);
    }

    /// The reductions' bounds against the module's formulas, in f32 (u =
    /// 2⁻²⁴, so every term shows): per-row values v = (1, −2, 4) with
    /// bounds b = (2⁻²⁰, 2⁻²¹, 2⁻²²), total 3, Σ|v| = 7, Σb = 7·2⁻²²; the
    /// sum's bound 2Σb + (R − 1)u(Σ|v| + Σb) + 2u₆₄·|total|, the batchmean's
    /// that over R plus u·|mean| + u₆₄·|total/R|. A sum off by 2⁻²⁰ and a
    /// batchmean off by 2⁻²² use those fractions of their bounds (the
    /// recorded ratio; the formulas here are the same sums in another
    /// order, 4u₆₄ relative), and an error of twice the bound fails.
    #[test]
    fn reduction_bounds_follow_their_formulas() {
        let (v, b) = (
            [1.0, -2.0, 4.0],
            [2f64.powi(-20), 2f64.powi(-21), 2f64.powi(-22)],
        );
        let u = Precision::F32.unit_roundoff();
        let b_total = 7.0 * 2f64.powi(-22);
        let sum_bound = 2.0 * b_total + 2.0 * u * (7.0 + b_total) + 2.0 * U * 3.0;
        // The batchmean's own rounding is u·|mean| at the value reported.
        let mean_bound = |mean: f64| sum_bound / 3.0 + u * mean + U * 1.0;
        let ratio = |sum: f64, mean: f64| {
            let mut w = Worst::new();
            let r = reduction_case(&mut w, Op::Entropy, Precision::F32, &v, &b, sum, mean);
            (r.is_ok(), w.ratio())
        };
        let d = 2f64.powi(-20);
        let (ok, r) = ratio(3.0 + d, 1.0);
        assert!(ok);
        assert_near(r, d / sum_bound, 4.0, "sum ratio");
        let d = 2f64.powi(-22);
        let (ok, r) = ratio(3.0, 1.0 + d);
        assert!(ok);
        assert_near(r, d / mean_bound(1.0 + d), 4.0, "batchmean ratio");
        assert!(!ratio(3.0 + 2.0 * sum_bound, 1.0).0);
        assert!(!ratio(3.0, 1.0 + 2.0 * mean_bound(1.0)).0);
    }

    /// The gradient bound, written out from the module docs for one row
    /// p = (¼, ¾), z = (1, −1) (q = softmax z from the crate, max|z| = 1,
    /// ln Σe^(z − max z) = ln(1 + e⁻²)): per entry
    /// a = q(2|z| + 2max|z| + 4 ln Σ + n + 5) + p and b = q(|z| + max|z|) + p,
    /// 1.01(u + u₆₄)a + 2u_in·b + 2η, and under batchmean
    /// (that + u|q − p|)/R. At f64 and f32, in the same order: the same bits.
    #[test]
    fn gradient_bounds_follow_their_formula() {
        let (p, z) = ([0.25, 0.75], [1.0, -1.0]);
        let q = softmax(&z).unwrap();
        let ln_s = (1.0 + (-2.0f64).exp()).ln();
        for precision in [Precision::F64, Precision::F32] {
            let (u, u_in, eta) = (
                precision.unit_roundoff(),
                precision.input_roundoff(),
                precision.underflow(),
            );
            let want: Vec<f64> = (0..2)
                .map(|i| {
                    let a = q[i] * (2.0 * 1.0 + 2.0 * 1.0 + 4.0 * ln_s + 2.0 + 5.0) + p[i];
                    let b = q[i] * (1.0 + 1.0) + p[i];
                    1.01 * (u + U) * a + 2.0 * u_in * b + 2.0 * eta
                })
                .collect();
            assert_eq!(gradient_bounds(precision, &p, &z, 3, Reduction::Sum), want);
            let mean: Vec<f64> = (0..2)
                .map(|i| (want[i] + u * (q[i] - p[i]).abs()) / 3.0)
                .collect();
            assert_eq!(
                gradient_bounds(precision, &p, &z, 3, Reduction::BatchMean),
                mean
            );
        }
    }

    /// The inputs' rounding moves P − Q by u_in·(P + Q): (2⁻²⁴)·(¾ + ½) at
    /// f32 (exact: a power of two times a short dyadic), nothing at f64.
    #[test]
    fn the_input_shift_is_the_input_roundoff_times_both_masses() {
        let (p, q) = ([0.5, 0.25], [0.25, 0.25]);
        assert_eq!(input_shift(Precision::F32, &p, &q), 1.25 * 2f64.powi(-24));
        assert_eq!(input_shift(Precision::F64, &p, &q), 0.0);
    }

    #[test]
    fn the_value_bound_grows_with_the_terms_and_the_precision() {
        let p = [0.25, 0.75];
        let c = condition(Op::Entropy, &p, &[]);
        // C = Σ p(|ln p| + 1) = H(p) + 1 for p without zeros.
        let h = measures::entropy(&p).unwrap();
        assert!((c - (h + 1.0)).abs() <= 4.0 * U * c);
        let b64 = value_bound(Precision::F64, Op::Entropy, 2, c);
        let b32 = value_bound(Precision::F32, Op::Entropy, 2, c);
        // ((4 + n − 1)u + 2u_in)·C + n·η at n = 2: f64 has u_in = 0, so
        // 5u·C + 2η; f32 has u = u_in = 2⁻²⁴, so 7·2⁻²⁴·C + 2η₃₂ (exact
        // small multiples of powers of two, then one product and one sum:
        // 2u relative).
        let want64 = 5.0 * U * c + 2.0 * f64::MIN_POSITIVE;
        assert!(
            (b64 - want64).abs() <= 2.0 * U * want64,
            "{b64:e} vs {want64:e}"
        );
        let want32 = 7.0 * 2f64.powi(-24) * c + 2.0 * f64::from(f32::MIN_POSITIVE);
        assert!(
            (b32 - want32).abs() <= 2.0 * U * want32,
            "{b32:e} vs {want32:e}"
        );
        // Log-sum-exp costs (n + 5)u per term: (7 + 1)u·C + 2η at n = 2.
        let got = value_bound(Precision::F64, Op::CrossEntropyLogits, 2, c);
        let want = 8.0 * U * c + 2.0 * f64::MIN_POSITIVE;
        assert!((got - want).abs() <= 2.0 * U * want, "{got:e} vs {want:e}");
    }

    /// The condition quantities of the module docs at p = (¼, ¾, 0),
    /// q = (½, ¼, ¼) (zero p terms skipped), from the f64 logarithms:
    /// CE Σp(|ln q| + 1), KL Σp(|ln p| + |ln q| + 1), and for logits
    /// z = (1, −1, 0) Σp(|z| + max|z| + ln Σe^(z − max z) + 1), over all
    /// entries. A few roundings of positive terms: 4u relative.
    #[test]
    fn condition_quantities_follow_their_formulas() {
        let (p, q) = ([0.25, 0.75, 0.0], [0.5, 0.25, 0.25]);
        let l = |x: f64| x.ln().abs();
        let near = |got: f64, want: f64, what: &str| assert_near(got, want, 4.0, what);
        near(
            condition(Op::CrossEntropy, &p, &q),
            0.25 * (l(0.5) + 1.0) + 0.75 * (l(0.25) + 1.0),
            "CE",
        );
        near(
            condition(Op::KlDivergence, &p, &q),
            0.25 * (l(0.25) + l(0.5) + 1.0) + 0.75 * (l(0.75) + l(0.25) + 1.0),
            "KL",
        );
        let z = [1.0, -1.0, 0.0];
        let ln_s = (1.0 + (-2.0f64).exp() + (-1.0f64).exp()).ln();
        near(
            condition(Op::CrossEntropyLogits, &p, &z),
            0.25 * (1.0 + 1.0 + ln_s + 1.0) + 0.75 * (1.0 + 1.0 + ln_s + 1.0),
            "logits",
        );
    }

    #[test]
    fn a_support_mismatch_has_an_infinite_condition() {
        let c = condition(Op::CrossEntropy, &[0.5, 0.5], &[1.0, 0.0]);
        assert_eq!(c, f64::INFINITY);
        // p = 0 where q = 0 is a 0 term, not a mismatch.
        assert!(condition(Op::KlDivergence, &[1.0, 0.0], &[1.0, 0.0]).is_finite());
    }

    #[test]
    fn f32_preparation_flushes_tiny_entries_and_renormalizes() {
        let row = [1e-300, 0.5, 0.5 - 1e-300];
        let out = prepared(Precision::F32, &row).unwrap();
        assert_eq!(out[0], 0.0);
        assert!(measures::validate_distribution("p", &out).is_ok());
        assert_eq!(prepared(Precision::F64, &row).unwrap(), row.to_vec());
        // A row with nothing below the floor is sent as it is. This one sums
        // to 1 + 2⁻⁵³ + 2⁻⁵⁴ (within the tolerance), which rounds to 1 + 2⁻⁵²:
        // renormalizing would move both entries.
        let plain = [0.25 + f64::EPSILON / 4.0, 0.75 + f64::EPSILON / 2.0];
        assert_eq!(prepared(Precision::F32, &plain).unwrap(), plain.to_vec());
    }

    #[test]
    fn the_reference_gradient_divides_by_rows_under_batchmean() {
        let p = vec![vec![1.0, 0.0], vec![0.5, 0.5]];
        let z = vec![vec![0.0, 0.0], vec![0.0, 0.0]];
        let g = reference_gradient(&p, &z, Reduction::None).unwrap();
        assert_eq!(g, vec![vec![-0.5, 0.5], vec![0.0, 0.0]]);
        let g = reference_gradient(&p, &z, Reduction::BatchMean).unwrap();
        assert_eq!(g, vec![vec![-0.25, 0.25], vec![0.0, 0.0]]);
        assert!(reference_gradient(&p, &z[..1], Reduction::Sum).is_err());
    }

    /// The crate's own measures with every H, CE and KL row moved to the
    /// edge of the kit's stated accuracy, `value_bound`, in a direction that
    /// a hash of the operation and the row chooses. With r the crate's value
    /// (within one ULP ≤ 2u·|v| of the exact v) and b the bound,
    ///
    /// ```text
    /// answer = r ± d,   d = (b·(1 − u) − 3u·|r| − 2u²·|r|)·(1 − 2⁻²⁰)   (0 if negative)
    /// ```
    ///
    /// so |answer − v| ≤ 2u·|v| + d + u·(|r| + d) < b: an implementation
    /// the kit must accept. Reductions sum the edge rows in f64, as an
    /// implementation would; the logit operations are the crate's own.
    struct AtTheEdge;

    impl AtTheEdge {
        fn rows(
            op: Op,
            p: &[Vec<f64>],
            second: &[Vec<f64>],
            reduction: Reduction,
            own: impl Fn(&[f64], &[f64]) -> Result<f64, MeasureError>,
        ) -> Answer<Reduced> {
            let mut values = Vec::with_capacity(p.len());
            for (r, pr) in p.iter().enumerate() {
                let sr = second.get(r).map_or(&[][..], Vec::as_slice);
                let v = own(pr, sr).map_err(rejected)?;
                let b = value_bound(Precision::F64, op, pr.len(), condition(op, pr, sr));
                let d = (b * (1.0 - U) - 3.0 * U * v.abs() - 2.0 * U * U * v.abs())
                    * (1.0 - 1.0 / f64::from(1u32 << 20));
                let sign = crate::test_support::hashed_sign(op as u64, pr, sr);
                values.push(if v.is_finite() && d > 0.0 {
                    v + sign * d
                } else {
                    v
                });
            }
            let rows = values.len() as f64;
            Ok(match reduction {
                Reduction::None => Reduced::PerRow(values),
                Reduction::Sum => Reduced::Total(values.iter().sum()),
                Reduction::BatchMean => Reduced::Total(values.iter().sum::<f64>() / rows),
            })
        }
    }

    impl Implementation for AtTheEdge {
        fn name(&self) -> String {
            "at the edge of the stated accuracy".to_string()
        }
        fn entropy(&self, p: &[Vec<f64>], reduction: Reduction) -> Answer<Reduced> {
            Self::rows(Op::Entropy, p, &[], reduction, |a, _| measures::entropy(a))
        }
        fn cross_entropy(
            &self,
            p: &[Vec<f64>],
            q: &[Vec<f64>],
            reduction: Reduction,
        ) -> Answer<Reduced> {
            Self::rows(Op::CrossEntropy, p, q, reduction, measures::cross_entropy)
        }
        fn kl_divergence(
            &self,
            p: &[Vec<f64>],
            q: &[Vec<f64>],
            reduction: Reduction,
        ) -> Answer<Reduced> {
            Self::rows(Op::KlDivergence, p, q, reduction, measures::kl_divergence)
        }
        fn cross_entropy_logits(
            &self,
            p: &[Vec<f64>],
            logits: &[Vec<f64>],
            reduction: Reduction,
        ) -> Answer<Reduced> {
            Reference.cross_entropy_logits(p, logits, reduction)
        }
        fn cross_entropy_logits_grad(
            &self,
            p: &[Vec<f64>],
            logits: &[Vec<f64>],
            reduction: Reduction,
        ) -> Answer<Vec<Vec<f64>>> {
            Reference.cross_entropy_logits_grad(p, logits, reduction)
        }
    }

    #[test]
    fn an_implementation_at_the_edge_of_the_stated_accuracy_passes_every_check() {
        // The kit must never reject an implementation that meets its stated
        // accuracy. Each answer here uses nearly all of its allowance, and the
        // cross-checks (identity, reductions, permutation, Gibbs, zero
        // semantics) combine the per-operation bounds; each must leave room
        // for every operation's whole allowance at once.
        let report = run(&AtTheEdge, &Config::new(crate::seed::DEFAULT_SEED, 128)).unwrap();
        for c in &report.checks {
            assert_eq!(c.outcome, Outcome::Passed, "{}: {:?}", c.name, c.outcome);
            assert!(c.worst_error_ratio <= 1.0, "{c:?}");
        }
    }
}
