//! The conformance kit through its Rust trait: the crate's own measures and a
//! textbook implementation pass every check; each planted bug is caught by
//! the check named for it; f32 arithmetic passes at `f32` and not at `f64`.
//! The same bugs run over the process protocol in tests/conform_cli.rs.

use logloss_proofs::claims::REQUIRED_RESOLUTION;
use logloss_proofs::conformance::diagnosis::{Cause, RootCause, root_causes};
use logloss_proofs::conformance::process::{Asked, RequestRef, TimeoutKind};
use logloss_proofs::conformance::{
    Answer, Breakdown, CHECKS, Config, ConformanceError, ConformanceReport, Hint, Implementation,
    Op, Outcome, Precision, ProtocolError, Reference, Refusal, Shapes, Support, run,
};
use logloss_proofs::measures::planted::{Bug, Planted};
use logloss_proofs::measures::{
    Arithmetic, Measure, Reduced, Reduction, Rows, contract_bound, contract_condition,
};
use logloss_proofs::seed::DEFAULT_SEED;

/// Cases per check for the runs that must pass: half the default, which
/// still reaches every edge-case branch of the strategies many times and keeps
/// the kit's two test files (with tests/conform_cli.rs) near ten seconds.
const PASS_CASES: u32 = 128;

/// Cases per check for the planted bugs: each is caught within a few cases.
const BUG_CASES: u32 = 64;

fn report(imp: &dyn Implementation, cases: u32) -> ConformanceReport {
    run(imp, &Config::new(DEFAULT_SEED, cases)).expect("the run finishes")
}

fn failed(report: &ConformanceReport) -> Vec<&'static str> {
    report.failed().map(|c| c.name).collect()
}

/// Asserts that every check passed (none skipped), each comparison within
/// its bound.
fn assert_all_pass(report: &ConformanceReport) {
    for c in &report.checks {
        assert_eq!(
            c.outcome,
            Outcome::Passed,
            "{}: {} failed: {:?}",
            report.implementation,
            c.name,
            c.outcome
        );
        assert!(c.cases > 0, "{}: no case ran", c.name);
        assert!(c.worst_error_ratio <= 1.0, "{c:?}");
        // In f64 the kit must resolve what the claim catalogue resolves: a
        // misplaced term in a tolerance (c·u as c/u or c + u) shows as a
        // resolution far above it. In f32 every tolerance is 2²⁹ times
        // larger, and there is no such floor to hold it to.
        if report.config.precision == Precision::F64 {
            let r = c.resolution;
            assert!(
                r.relative <= REQUIRED_RESOLUTION && r.absolute <= REQUIRED_RESOLUTION,
                "{c:?}"
            );
        }
    }
}

/// Asserts that `bug` fails each check in `caught` (and, when `only`, no
/// other), each with a shrunk case of a single row.
fn assert_caught(bug: Bug, caught: &[&str], only: bool) {
    let report = report(&Planted::textbook_with(bug), BUG_CASES);
    let failed = failed(&report);
    for name in caught {
        assert!(
            failed.contains(name),
            "{bug:?} should fail {name}; failed: {failed:?}"
        );
    }
    if only {
        assert_eq!(failed, caught, "{bug:?} should fail only {caught:?}");
    }
    for name in caught {
        let Some(Outcome::Failed(case)) = report.check(name).map(|c| &c.outcome) else {
            unreachable!("checked above")
        };
        let p = &case.inputs.first().expect("the case names its inputs").1;
        assert!(
            p.len() <= 3,
            "{bug:?}, {name}: the batch shrinks to one row (three for zero-semantics): {case:?}"
        );
    }
}

/// The protocol names of the four value operations, each with its own
/// `agreement/…` check.
const VALUE_OPS: [&str; 4] = [
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "cross_entropy_logits",
];
#[test]
fn the_crate_s_own_measures_pass_every_check() {
    let r = report(&Reference, PASS_CASES);
    assert_all_pass(&r);
    assert_eq!(r.checks.len(), CHECKS.len());
    assert!(
        r.capabilities
            .iter()
            .all(|c| c.support == Support::Supported)
    );
}

#[test]
fn a_textbook_implementation_with_plain_sums_passes_every_check() {
    assert_all_pass(&report(&Planted::textbook_with(Bug::None), PASS_CASES));
}

#[test]
fn swapped_arguments_are_caught_by_agreement_and_the_identity() {
    assert_caught(
        Bug::SwappedKl,
        &["agreement/kl_divergence", "identity", "zero-semantics"],
        false,
    );
}

#[test]
fn base_2_mixed_with_nats_is_caught_by_agreement_and_the_identity() {
    assert_caught(
        Bug::Base2Kl,
        &["agreement/kl_divergence", "identity"],
        false,
    );
}

/// Clipping q is caught by zero-semantics and agreement, and by gibbs and
/// permutation too: where q = 0 < p the exact value is +∞ and the derived
/// bound infinite, so only +∞ is accepted there (a finite, clipped KL such
/// as Keras's once passed both with an infinite tolerance).
#[test]
fn clipped_probabilities_are_caught_wherever_the_value_is_infinite() {
    assert_caught(
        Bug::Clipped,
        &[
            "zero-semantics",
            "agreement/cross_entropy",
            "gibbs",
            "permutation",
        ],
        false,
    );
    // No check of a correct implementation allows an infinite tolerance.
    for c in &report(&Reference, BUG_CASES).checks {
        assert!(
            c.resolution.relative.is_finite() && c.resolution.absolute.is_finite(),
            "{c:?}"
        );
    }
}

#[test]
fn no_zero_log_handling_is_caught_by_zero_semantics() {
    assert_caught(
        Bug::NoZeroLog,
        &["zero-semantics", "agreement/entropy"],
        false,
    );
}

#[test]
fn softmax_then_log_is_caught_by_stability() {
    assert_caught(Bug::SoftmaxLog, &["stability"], false);
}

#[test]
fn a_mean_over_elements_is_caught_by_reductions_only() {
    assert_caught(Bug::MeanElements, &["reductions"], true);
}

#[test]
fn a_dropped_category_is_caught_by_permutation() {
    assert_caught(Bug::Dropped, &["permutation", "agreement/entropy"], false);
}

#[test]
fn a_gradient_of_the_wrong_sign_is_caught_by_gradient_only() {
    assert_caught(Bug::GradSign, &["gradient"], true);
}

#[test]
fn a_batchmean_gradient_not_divided_by_rows_is_caught_by_gradient_only() {
    assert_caught(Bug::GradScale, &["gradient"], true);
}

/// The textbook implementation in f32 arithmetic: inputs rounded to f32,
/// every operation in f32.
struct TextbookF32;

fn f32_rows(rows: &Rows) -> Vec<Vec<f32>> {
    rows.iter()
        .map(|r| r.iter().map(|&x| x as f32).collect())
        .collect()
}

fn f32_total(values: Vec<f32>, reduction: Reduction) -> Reduced {
    let rows = values.len() as f32;
    let total: f32 = values.iter().sum();
    match reduction {
        Reduction::None => Reduced::PerRow(values.into_iter().map(f64::from).collect()),
        Reduction::Sum => Reduced::Total(f64::from(total)),
        Reduction::BatchMean => Reduced::Total(f64::from(total / rows)),
    }
}

fn f32_log_softmax(z: &[f32]) -> Vec<f32> {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = m + z.iter().map(|x| (x - m).exp()).sum::<f32>().ln();
    z.iter().map(|x| x - lse).collect()
}

/// One row's value of `measure` in f32: plain left-to-right sums over
/// pᵢ > 0; `b` is q or the logits (empty for the entropy).
fn f32_row(measure: Measure, a: &[f32], b: &[f32]) -> f32 {
    match measure {
        Measure::Entropy => -a
            .iter()
            .filter(|&&x| x > 0.0)
            .map(|&x| x * x.ln())
            .sum::<f32>(),
        Measure::CrossEntropy => -a
            .iter()
            .zip(b)
            .filter(|&(&x, _)| x > 0.0)
            .map(|(&x, &y)| x * y.ln())
            .sum::<f32>(),
        Measure::KlDivergence => a
            .iter()
            .zip(b)
            .filter(|&(&x, _)| x > 0.0)
            .map(|(&x, &y)| x * (x / y).ln())
            .sum::<f32>(),
        Measure::CrossEntropyLogits => -a
            .iter()
            .zip(f32_log_softmax(b))
            .filter(|&(&x, _)| x > 0.0)
            .map(|(&x, l)| x * l)
            .sum::<f32>(),
    }
}

impl Implementation for TextbookF32 {
    fn name(&self) -> String {
        "textbook in f32".to_string()
    }
    fn rows(
        &self,
        measure: Measure,
        p: &Rows,
        second: &Rows,
        reduction: Reduction,
    ) -> Answer<Reduced> {
        let second = f32_rows(second);
        let v = f32_rows(p)
            .iter()
            .enumerate()
            .map(|(r, a)| f32_row(measure, a, second.get(r).map_or(&[], Vec::as_slice)))
            .collect();
        Ok(f32_total(v, reduction))
    }
    fn cross_entropy_logits_grad_rows(
        &self,
        p: &Rows,
        logits: &Rows,
        reduction: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        let rows = p.len() as f32;
        let scale = if reduction == Reduction::BatchMean {
            1.0 / rows
        } else {
            1.0
        };
        Ok(f32_rows(p)
            .iter()
            .zip(f32_rows(logits))
            .map(|(a, z)| {
                f32_log_softmax(&z)
                    .iter()
                    .zip(a)
                    .map(|(l, x)| f64::from((l.exp() - x) * scale))
                    .collect()
            })
            .collect())
    }
}

#[test]
fn f32_arithmetic_passes_at_f32_precision_and_fails_agreement_at_f64() {
    let at = |precision| {
        run(
            &TextbookF32,
            &Config::new(DEFAULT_SEED, PASS_CASES).with_precision(precision),
        )
        .unwrap()
    };
    assert_all_pass(&at(Precision::F32));
    let f64_report = at(Precision::F64);
    for op in VALUE_OPS {
        let name = format!("agreement/{op}");
        assert!(
            failed(&f64_report).contains(&name.as_str()),
            "{name} at f64: {:?}",
            f64_report.check(&name)
        );
    }
}

/// The crate's measures without a gradient: the trait's default.
struct NoGradient;

impl Implementation for NoGradient {
    fn name(&self) -> String {
        "no gradient".to_string()
    }
    fn rows(&self, m: Measure, p: &Rows, s: &Rows, r: Reduction) -> Answer<Reduced> {
        Reference.rows(m, p, s, r)
    }
}

#[test]
fn an_unsupported_gradient_is_skipped_not_failed() {
    let r = report(&NoGradient, 16);
    assert!(r.passed());
    let gradient = r.check("gradient").unwrap();
    assert_eq!(gradient.outcome, Outcome::Skipped);
    assert_eq!(gradient.unsupported.len(), 3, "{gradient:?}");
    // stability and permutation ran their loss parts and skipped the gradient.
    for name in ["stability", "permutation"] {
        let c = r.check(name).unwrap();
        assert_eq!(c.outcome, Outcome::Passed, "{c:?}");
        assert_eq!(
            c.unsupported,
            [(Op::CrossEntropyLogitsGrad, Reduction::None)]
        );
    }
    for cap in &r.capabilities {
        let want = if cap.op == Op::CrossEntropyLogitsGrad {
            Support::Unsupported
        } else {
            Support::Supported
        };
        assert_eq!(cap.support, want, "{cap:?}");
    }
}

/// Answers KL with a rejection, or breaks down on its first KL request.
struct Refuses(Refusal);

impl Implementation for Refuses {
    fn name(&self) -> String {
        "refuses KL".to_string()
    }
    fn rows(&self, m: Measure, p: &Rows, s: &Rows, r: Reduction) -> Answer<Reduced> {
        match m {
            Measure::KlDivergence => Err(self.0.clone()),
            _ => Reference.rows(m, p, s, r),
        }
    }
}

#[test]
fn a_rejected_valid_input_fails_the_checks_that_asked() {
    let r = report(&Refuses(Refusal::Rejected("q has a zero".to_string())), 8);
    let kl = r.check("agreement/kl_divergence").unwrap();
    let Outcome::Failed(case) = &kl.outcome else {
        panic!("{kl:?}")
    };
    assert!(
        case.message
            .contains("rejected a valid input: q has a zero"),
        "{case:?}"
    );
    assert_eq!(
        r.check("agreement/entropy").unwrap().outcome,
        Outcome::Passed
    );
}

#[test]
fn a_broken_implementation_stops_the_run_naming_the_check_and_request() {
    let timeout = ProtocolError::Timeout {
        request: RequestRef {
            id: 9,
            asked: Asked::Op(Op::KlDivergence, Reduction::None),
        },
        kind: TimeoutKind::PerAnswer,
        seconds: 10.0,
    };
    let err = run(
        &Refuses(Refusal::Broken(Breakdown::new(timeout.clone()))),
        &Config::new(1, 8),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ConformanceError::Broken {
            check: "agreement/kl_divergence",
            source: Breakdown::new(timeout)
        }
    );
    assert_eq!(
        err.to_string(),
        "request 9 (kl_divergence, none): no answer within the per-answer timeout of 10 s; the process was killed (during the check agreement/kl_divergence)"
    );
}

#[test]
fn runs_replay_exactly_from_the_seed_and_need_a_case() {
    let config = Config::new(5, 16);
    let bug = Planted::textbook_with(Bug::Dropped);
    assert_eq!(run(&bug, &config).unwrap(), run(&bug, &config).unwrap());
    assert_eq!(
        run(&Reference, &Config::new(5, 0)).unwrap_err(),
        ConformanceError::NoCases
    );
}

/// The hints of every failing check of a report, by check.
fn hints(report: &ConformanceReport) -> Vec<(&'static str, Vec<Hint>)> {
    report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Failed(case) if !case.hints.is_empty() => Some((c.name, case.hints.clone())),
            _ => None,
        })
        .collect()
}

/// The names of the hints in a report, each once, sorted.
fn hint_names(report: &ConformanceReport) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = hints(report)
        .iter()
        .flat_map(|(_, h)| h.iter().map(Hint::name))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Each planted bug whose numbers have a signature gets its hint, on the
/// check that catches it, and no other hint; the bugs without one (and
/// the textbook and the crate, which fail nothing) get none.
#[test]
fn each_planted_bug_gets_its_own_hint_and_no_other() {
    let expected: [(Bug, &[&str]); 11] = [
        (Bug::None, &[]),
        (Bug::SwappedKl, &["swapped-arguments"]),
        (Bug::Base2Kl, &[]),
        (Bug::Base2CrossEntropy, &[]),
        (Bug::Clipped, &["clipped-q"]),
        (Bug::NoZeroLog, &[]),
        (Bug::SoftmaxLog, &[]),
        (Bug::MeanElements, &["mean-over-elements"]),
        (Bug::Dropped, &[]),
        (Bug::GradSign, &[]),
        (Bug::GradScale, &["not-divided-by-rows"]),
    ];
    for (bug, names) in expected {
        let r = report(&Planted::textbook_with(bug), BUG_CASES);
        assert_eq!(hint_names(&r), names, "{bug:?}: {:?}", hints(&r));
    }
    assert!(hints(&report(&Reference, BUG_CASES)).is_empty());
    let on = |bug, check: &str| {
        let r = report(&Planted::textbook_with(bug), BUG_CASES);
        match &r.check(check).expect("the check ran").outcome {
            Outcome::Failed(case) => case.hints.clone(),
            other => panic!("{bug:?}: {check} {other:?}"),
        }
    };
    assert_eq!(
        on(Bug::SwappedKl, "agreement/kl_divergence"),
        [Hint::SwappedArguments]
    );
    let mean = on(Bug::MeanElements, "reductions");
    assert!(
        matches!(mean.as_slice(), [Hint::MeanOverElements { categories }] if *categories >= 2),
        "{mean:?}"
    );
    let scale = on(Bug::GradScale, "gradient");
    assert!(
        matches!(scale.as_slice(), [Hint::NotDividedByRows { rows }] if *rows >= 2),
        "{scale:?}"
    );
}

/// The clip's ε is read back from the value: the planted bug clips q to
/// [1e−7, 1]. The estimate exp(−(got − F)/P₀) moves by a relative δ ≈
/// (|δgot| + |δF|)/P₀ for errors δ in the two sums, each within the accuracy
/// contract's bound b for the row with q clipped (a plain sum is within
/// it): the tolerance is 2b/P₀, times 1.01 for exp(δ) − 1 over δ. Where the
/// case has too little mass at q = 0 to fix ε, nothing is hinted.
#[test]
fn a_clipped_q_is_hinted_with_the_epsilon_it_was_clipped_to() {
    let r = report(&Planted::textbook_with(Bug::Clipped), BUG_CASES);
    let mut estimates = 0;
    for c in r.failed() {
        let Outcome::Failed(case) = &c.outcome else {
            unreachable!("failed")
        };
        for hint in &case.hints {
            let Hint::ClippedQ { epsilon: e } = hint else {
                continue;
            };
            estimates += 1;
            let (ps, qs) = (&case.inputs[0].1, &case.inputs[1].1);
            // The row the estimate is read from: the first with q = 0 < p.
            let (p, q) = ps
                .iter()
                .zip(qs)
                .find(|(p, q)| p.iter().zip(q.iter()).any(|(&a, &b)| a > 0.0 && b == 0.0))
                .expect("a row with q = 0 < p");
            let clipped: Vec<f64> = q.iter().map(|&b| b.max(1e-7)).collect();
            let lost: f64 = p
                .iter()
                .zip(q)
                .filter(|&(_, &b)| b == 0.0)
                .map(|(a, _)| a)
                .sum();
            let measure = if c.name.contains("kl") || case.message.starts_with("kl") {
                Measure::KlDivergence
            } else {
                Measure::CrossEntropy
            };
            let b = contract_bound(
                Arithmetic::F64,
                measure,
                p.len(),
                contract_condition(measure, p, &clipped),
            );
            let tol = 1.01 * 2.0 * b / lost;
            assert!(
                (e / 1e-7 - 1.0).abs() <= tol,
                "{}: ε {e:e}, tolerance {tol:e}, case {case:?}",
                c.name
            );
        }
    }
    assert!(estimates > 0, "no ε estimated: {:?}", hints(&r));
}

/// The cross-entropy and KL with ln q clamped at −100, as PyTorch's
/// binary_cross_entropy clamps it; everything else the crate's.
struct LogClamp;

impl LogClamp {
    fn row(measure: Measure, p: &[f64], q: &[f64]) -> f64 {
        let clamp = |b: f64| b.ln().max(-100.0);
        let terms = p.iter().zip(q).filter(|&(&a, _)| a > 0.0);
        match measure {
            Measure::CrossEntropy => -terms.map(|(&a, &b)| a * clamp(b)).sum::<f64>(),
            Measure::KlDivergence => terms.map(|(&a, &b)| a * (a.ln() - clamp(b))).sum(),
            _ => unreachable!("only CE and KL are clamped"),
        }
    }
}

impl Implementation for LogClamp {
    fn name(&self) -> String {
        "ln q clamped at -100".to_string()
    }
    fn rows(&self, m: Measure, p: &Rows, s: &Rows, r: Reduction) -> Answer<Reduced> {
        if !matches!(m, Measure::CrossEntropy | Measure::KlDivergence) {
            return Reference.rows(m, p, s, r);
        }
        let v: Vec<f64> = p.iter().zip(s).map(|(a, b)| Self::row(m, a, b)).collect();
        let total: f64 = v.iter().sum();
        Ok(match r {
            Reduction::None => Reduced::PerRow(v),
            Reduction::Sum => Reduced::Total(total),
            Reduction::BatchMean => Reduced::Total(total / p.len() as f64),
        })
    }
    fn cross_entropy_logits_grad_rows(
        &self,
        p: &Rows,
        logits: &Rows,
        reduction: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        Reference.cross_entropy_logits_grad_rows(p, logits, reduction)
    }
}

#[test]
fn a_log_clamped_at_minus_100_is_hinted_as_such() {
    let r = report(&LogClamp, BUG_CASES);
    let found = hints(&r);
    // zero-semantics puts a third of a row's mass or more where q = 0,
    // which fixes the level; a shrunk agreement case may put almost none
    // there, and then nothing is hinted.
    let zero = r.check("zero-semantics").unwrap();
    assert!(
        matches!(&zero.outcome, Outcome::Failed(case) if case.hints == [Hint::LogClampedAt100]),
        "{zero:?}"
    );
    for (check, h) in &found {
        assert!(h == &[Hint::LogClampedAt100], "{check}: {h:?}");
    }
}

/// f32 arithmetic checked at f64: its agreement failures are hinted as
/// float32, and nothing else is.
#[test]
fn f32_arithmetic_at_f64_is_hinted_as_float32() {
    let r = run(&TextbookF32, &Config::new(DEFAULT_SEED, BUG_CASES)).unwrap();
    assert_eq!(hint_names(&r), ["float32"], "{:?}", hints(&r));
    for op in VALUE_OPS {
        let name = format!("agreement/{op}");
        let c = r.check(&name).unwrap();
        assert!(
            matches!(&c.outcome, Outcome::Failed(case) if case.hints == [Hint::Float32]),
            "{c:?}"
        );
    }
}

/// One bug that fails many checks reads as one cause: every failure of the
/// NaN bug that shows a NaN on a case where p has a zero is grouped, and a
/// run without failures has no causes.
#[test]
fn failures_sharing_a_cause_are_grouped() {
    let r = report(&Planted::textbook_with(Bug::NoZeroLog), BUG_CASES);
    let causes = root_causes(&r);
    assert_eq!(causes[0].cause, Cause::NanWherePIsZero, "{causes:?}");
    for name in ["agreement/entropy", "zero-semantics"] {
        assert!(causes[0].checks.contains(&name), "{causes:?}");
    }
    // The swapped KL fails agreement on an ordinary case, and zero-semantics
    // and permutation where one side is +∞ and KL(q‖p) is not: one hint.
    let swapped = root_causes(&report(&Planted::textbook_with(Bug::SwappedKl), BUG_CASES));
    assert_eq!(
        swapped,
        [RootCause {
            cause: Cause::Hinted(Hint::SwappedArguments),
            checks: vec!["agreement/kl_divergence", "zero-semantics", "permutation"],
        }]
    );
    assert!(root_causes(&report(&Reference, 16)).is_empty());
}

/// The crate's measures, recording the shape (rows, categories) of every
/// batch asked about, of both arguments.
struct Recording(std::sync::Mutex<std::collections::BTreeSet<(usize, usize)>>);

impl Recording {
    fn new() -> Self {
        Recording(std::sync::Mutex::new(std::collections::BTreeSet::new()))
    }
    fn note(&self, batches: [&Rows; 2]) {
        let mut seen = self.0.lock().unwrap();
        for b in batches.into_iter().filter(|b| !b.is_empty()) {
            for row in b {
                seen.insert((b.len(), row.len()));
            }
        }
    }
    fn shapes(&self) -> Vec<(usize, usize)> {
        self.0.lock().unwrap().iter().copied().collect()
    }
}

impl Implementation for Recording {
    fn name(&self) -> String {
        "recording".to_string()
    }
    fn rows(&self, m: Measure, p: &Rows, s: &Rows, r: Reduction) -> Answer<Reduced> {
        self.note([p, s]);
        Reference.rows(m, p, s, r)
    }
    fn cross_entropy_logits_grad_rows(
        &self,
        p: &Rows,
        z: &Rows,
        r: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        self.note([p, z]);
        Reference.cross_entropy_logits_grad_rows(p, z, r)
    }
}

/// Every batch of a run, in every check, has a shape from the run's sets
/// (so a library that compiles per shape compiles at most |rows| ×
/// |categories| times per operation), and a run of the default length
/// reaches most of them. Each row of a batch has the batch's length.
#[test]
fn every_batch_has_a_shape_from_the_run_s_sets() {
    for shapes in [Shapes::default(), Shapes::new(&[2, 7], &[3]).unwrap()] {
        let imp = Recording::new();
        let r = run(
            &imp,
            &Config::new(DEFAULT_SEED, PASS_CASES).with_shapes(shapes.clone()),
        )
        .unwrap();
        assert_all_pass(&r);
        let seen = imp.shapes();
        for &(rows, n) in &seen {
            assert!(
                shapes.rows().contains(&rows) && shapes.categories().contains(&n),
                "{rows} × {n} outside {shapes}"
            );
        }
        // Reached: at the fixed seed the run is deterministic (no level
        // to state); 11 checks of 128 cases each draw from at most 24
        // shapes, and a run that reached fewer than three in four would
        // mean the sets are not what the strategies draw from.
        assert!(seen.len() * 4 >= shapes.count() * 3, "{seen:?} of {shapes}");
    }
}

/// A program that declines (case by case) every batch with a one-hot
/// target row, as a metric that needs two labels does.
struct DeclinesOneHot;

impl Implementation for DeclinesOneHot {
    fn name(&self) -> String {
        "declines one-hot targets".to_string()
    }
    fn rows(&self, m: Measure, p: &Rows, s: &Rows, r: Reduction) -> Answer<Reduced> {
        if p.iter().any(|row| row.contains(&1.0)) {
            return Err(Refusal::DeclinedCase);
        }
        Reference.rows(m, p, s, r)
    }
}

/// Declined cases are counted in the checks that asked, and fail nothing:
/// one-hot rows are common enough (every row on one category) that each
/// value check meets some, and a check whose every case was declined would
/// be skipped, not passed.
#[test]
fn declined_cases_are_counted_and_fail_nothing() {
    let r = report(&DeclinesOneHot, PASS_CASES);
    assert!(r.passed(), "{:?}", failed(&r));
    for op in VALUE_OPS {
        let c = r.check(&format!("agreement/{op}")).unwrap();
        assert!(c.declined > 0 && c.declined < c.cases, "{c:?}");
    }
    let all = Shapes::new(&[1], &[1]).unwrap();
    let r = run(
        &DeclinesOneHot,
        &Config::new(DEFAULT_SEED, 16).with_shapes(all),
    )
    .unwrap();
    let c = r.check("agreement/entropy").unwrap();
    assert_eq!(
        (&c.outcome, c.cases, c.declined),
        (&Outcome::Skipped, 0, 16)
    );
}

/// The crate's measures without the logits operations.
struct NoLogits;

impl Implementation for NoLogits {
    fn name(&self) -> String {
        "no logits".to_string()
    }
    fn rows(&self, m: Measure, p: &Rows, s: &Rows, r: Reduction) -> Answer<Reduced> {
        if m == Measure::CrossEntropyLogits {
            return Err(Refusal::Unsupported);
        }
        Reference.rows(m, p, s, r)
    }
}

/// A part of a check in which nothing was answered counts no cases: the
/// permutation check's logits part, for an implementation without logits,
/// adds nothing to the probabilities part's cases.
#[test]
fn cases_count_only_what_was_answered() {
    let with = report(&NoGradient, 16);
    let without = report(&NoLogits, 16);
    assert_eq!(with.check("permutation").unwrap().cases, 32);
    let c = without.check("permutation").unwrap();
    assert_eq!((c.cases, &c.outcome), (16, &Outcome::Passed), "{c:?}");
}
