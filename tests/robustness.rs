//! Robustness: arbitrary f64 input (NaN, ±∞, negative, subnormal, empty,
//! unnormalized, up to 10⁵ entries) to every public function of
//! `logloss_proofs::measures` gives a typed error that describes the input
//! truthfully, or a valid value; never a panic. Then the identities of valid
//! distributions, as properties.
//!
//! "Valid value" is made precise per function below. The measures compute
//! the formula of the numbers given, and a vector is accepted when its sum is
//! within `sum_tolerance(n)` of one, so H, CE and KL may dip below zero by a
//! derived amount of that order ([`lower_bound`]); +∞ is allowed only for
//! CE and KL, and there only for a support mismatch or logits whose spread
//! overflows f64.

mod common;

use common::strategies::{
    arb_batch_pair, arb_distribution, arb_distribution_pair, arb_f64, arb_long_vec, arb_vec,
    arb_vec_pair, arb_weights,
};
use logloss_proofs::measures::{
    Arg, MeasureError, Reduced, Reduction, Unit, bernoulli, cross_entropy, cross_entropy_logits,
    cross_entropy_logits_rows, cross_entropy_rows, entropy, entropy_rows, kl_divergence,
    kl_divergence_logits, kl_divergence_logits_rows, kl_divergence_rows, log_softmax, normalize,
    sum_tolerance, validate_distribution,
};
use logloss_proofs::measures::{Prediction, Summary, softmax, summarize};
use logloss_proofs::numerics::{NeumaierSum, compensated_sum};
use proptest::prelude::*;
use proptest::test_runner::{RngSeed, TestCaseError};
use std::f64::consts::LN_2;

use logloss_proofs::numerics::U;

const SEED_ROBUSTNESS: u64 = 0x20B0_0001;
const SEED_LONG: u64 = 0x20B0_0002;
const SEED_PROPERTIES: u64 = 0x20B0_0003;

fn config(cases: u32, seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

type Check = Result<(), TestCaseError>;

// ---------------------------------------------------------------------------
// What a valid value is

/// How far the exact Σp of an accepted vector of length n can be from one:
/// the tolerance, plus the error of the compensated sum that was checked
/// (2u·Σp + n²u²·Σp: the `NeumaierSum` docs' bound, with n² for its O(n),
/// as derived in tests/accuracy_summation.rs).
fn mass_slack(n: usize) -> f64 {
    let (tol, n) = (sum_tolerance(n), n as f64);
    tol + (2.0 * U + n * n * U * U) * (1.0 + tol)
}

/// A lower bound for H(p), CE(p, q) and KL(p‖q) of accepted vectors of
/// length n, with s = [`mass_slack`]:
/// - H: only an entry x > 1 gives a negative term, and x ≤ 1 + s, so
///   H ≥ −x ln x ≥ −x(x − 1) ≥ −s(1 + s);
/// - CE ≥ −Σp·ln(max q) ≥ −(1 + s)·ln(1 + s) ≥ −s(1 + s);
/// - KL = Σ[pᵢ ln(pᵢ/qᵢ) − pᵢ + qᵢ] + (Σp − Σq) ≥ Σp − Σq ≥ −2s;
/// - KL with logits = Σ pᵢψ(δᵢ) + (Σp − 1) + Σ_{pᵢ=0} qᵢ ≥ −s.
///
/// The evaluation adds at most 2u·|value| + n²u²·Σ|terms| (compensated sum),
/// and |terms| ≤ 1491·(pᵢ + qᵢ) since |ln x| ≤ 744.5 for every positive f64
/// up to 1 + s. So −2s(1 + s)(1 + 2u) − 1491·2(1 + s)·n²u² bounds them all.
fn lower_bound(n: usize) -> f64 {
    let s = mass_slack(n);
    let n = n as f64;
    -(2.0 * s * (1.0 + s) * (1.0 + 2.0 * U) + 1491.0 * 2.0 * (1.0 + s) * n * n * U * U)
}

/// A finite value not below [`lower_bound`].
fn assert_finite_measure(value: f64, n: usize) -> Check {
    prop_assert!(value.is_finite(), "{} is not finite", value);
    prop_assert!(
        value >= lower_bound(n),
        "{:e} < {:e}",
        value,
        lower_bound(n)
    );
    Ok(())
}

/// A value not NaN, not below [`lower_bound`], +∞ exactly when `infinite`.
fn assert_measure(value: f64, n: usize, infinite: bool) -> Check {
    if infinite {
        prop_assert_eq!(value, f64::INFINITY);
        Ok(())
    } else {
        assert_finite_measure(value, n)
    }
}

/// pᵢ > 0 where qᵢ = 0 somewhere: CE and KL are +∞ there, and only there.
fn support_mismatch(p: &[f64], q: &[f64]) -> bool {
    p.iter().zip(q).any(|(&a, &b)| a > 0.0 && b == 0.0)
}

/// max z − min z: below f64::MAX/4, every −ln softmax(z)ᵢ ≤ spread + ln n is
/// far from overflow, so the logit forms are finite.
fn logit_spread(z: &[f64]) -> f64 {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = z.iter().copied().fold(f64::INFINITY, f64::min);
    max - min
}

fn logits_overflow(z: &[f64]) -> bool {
    let spread = logit_spread(z);
    spread.is_nan() || spread > f64::MAX / 4.0
}

fn is_valid(name: &'static str, p: &[f64]) -> bool {
    validate_distribution(name, p).is_ok()
}

fn finite_non_empty(z: &[f64]) -> bool {
    !z.is_empty() && z.iter().all(|x| x.is_finite())
}

/// Valid logits: non-empty, no NaN or +inf, and not every entry −inf
/// (−inf alone is a masked class).
fn logits_ok(z: &[f64]) -> bool {
    !z.is_empty()
        && z.iter().all(|x| !x.is_nan() && *x != f64::INFINITY)
        && z.iter().any(|&x| x != f64::NEG_INFINITY)
}

// ---------------------------------------------------------------------------
// What a truthful error is

/// An argument as the functions receive it.
#[derive(Clone, Copy)]
enum Input<'a> {
    Vector(&'a [f64]),
    Batch(&'a [Vec<f64>]),
    Scalar(f64),
}

fn find<'a>(inputs: &[(&str, Input<'a>)], arg: Arg) -> Result<Input<'a>, TestCaseError> {
    match inputs.iter().find(|(name, _)| *name == arg.name) {
        Some(&(_, input)) => Ok(input),
        None => Err(TestCaseError::fail(format!("no argument named {arg}"))),
    }
}

/// The entries the error's `Arg` points to: a vector, or a row of a batch.
fn entries<'a>(inputs: &[(&str, Input<'a>)], arg: Arg) -> Result<&'a [f64], TestCaseError> {
    match (find(inputs, arg)?, arg.row) {
        (Input::Vector(v), None) => Ok(v),
        (Input::Batch(b), Some(r)) if r < b.len() => Ok(&b[r]),
        _ => Err(TestCaseError::fail(format!("{arg} does not name entries"))),
    }
}

/// The length the error's `Arg` points to: of a vector, a batch or a row.
fn length(inputs: &[(&str, Input)], arg: Arg) -> Result<usize, TestCaseError> {
    match (find(inputs, arg)?, arg.row) {
        (Input::Batch(b), None) => Ok(b.len()),
        _ => Ok(entries(inputs, arg)?.len()),
    }
}

/// The error is true of the inputs: the entry it names holds the value it
/// reports, and that value breaks the rule it says; earlier entries do not;
/// the message starts with the argument's name.
fn assert_truthful(err: &MeasureError, inputs: &[(&str, Input)]) -> Check {
    let text = err.to_string();
    let arg = match *err {
        MeasureError::Empty { arg } => {
            prop_assert_eq!(length(inputs, arg)?, 0);
            prop_assert_eq!(&text, &format!("{arg} is empty"));
            arg
        }
        MeasureError::LengthMismatch {
            first,
            first_len,
            second,
            second_len,
        } => {
            prop_assert_eq!(length(inputs, first)?, first_len);
            prop_assert_eq!(length(inputs, second)?, second_len);
            prop_assert_ne!(first_len, second_len);
            first
        }
        MeasureError::NotFinite { arg, index, value } => {
            let xs = entries(inputs, arg)?;
            prop_assert_eq!(xs[index].to_bits(), value.to_bits());
            if arg.name == "logits" {
                // −inf is a masked class, not an error, in logits.
                prop_assert!(value.is_nan() || value == f64::INFINITY);
                prop_assert!(
                    xs[..index]
                        .iter()
                        .all(|&x| x.is_finite() || x == f64::NEG_INFINITY)
                );
            } else {
                prop_assert!(!value.is_finite());
                prop_assert!(xs[..index].iter().all(|x| x.is_finite()));
            }
            arg
        }
        MeasureError::AllMasked { arg } => {
            let xs = entries(inputs, arg)?;
            prop_assert!(!xs.is_empty() && xs.iter().all(|&x| x == f64::NEG_INFINITY));
            arg
        }
        MeasureError::Shape { arg, .. } | MeasureError::LabelOutOfRange { arg, .. } => {
            // Only flat batches and class labels raise these; no input here is one.
            prop_assert!(
                false,
                "{} raised by inputs that have no flat batch or labels",
                arg
            );
            arg
        }
        MeasureError::Negative { arg, index, value } => {
            let xs = entries(inputs, arg)?;
            prop_assert_eq!(xs[index].to_bits(), value.to_bits());
            prop_assert!(value < 0.0);
            prop_assert!(xs.iter().all(|x| x.is_finite()));
            prop_assert!(xs[..index].iter().all(|&x| x >= 0.0));
            arg
        }
        MeasureError::NotNormalized {
            arg,
            sum,
            tolerance,
        } => {
            let xs = entries(inputs, arg)?;
            prop_assert!(xs.iter().all(|&x| x.is_finite() && x >= 0.0));
            prop_assert_eq!(tolerance, sum_tolerance(xs.len()));
            prop_assert_eq!(sum.to_bits(), compensated_sum(xs).to_bits());
            prop_assert!((sum - 1.0).abs() > tolerance);
            arg
        }
        MeasureError::NotAProbability { arg, value } => {
            match find(inputs, arg)? {
                Input::Scalar(x) => prop_assert_eq!(x.to_bits(), value.to_bits()),
                _ => prop_assert!(false, "{} is not a scalar", arg),
            }
            prop_assert!(!(0.0..=1.0).contains(&value));
            arg
        }
        MeasureError::ZeroMass { arg } => {
            let xs = entries(inputs, arg)?;
            prop_assert!(xs.iter().all(|&x| x == 0.0));
            arg
        }
    };
    prop_assert!(text.starts_with(&arg.to_string()), "{}", text);
    Ok(())
}

/// A result is an error exactly when `valid` is false, and then a truthful one.
fn assert_result<T>(
    result: &Result<T, MeasureError>,
    valid: bool,
    inputs: &[(&str, Input)],
) -> Check {
    match result {
        Ok(_) => prop_assert!(valid, "accepted an invalid input"),
        Err(err) => {
            prop_assert!(!valid, "rejected a valid input: {}", err);
            assert_truthful(err, inputs)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Every public function, on arbitrary input

fn check_entropy(p: &[f64]) -> Check {
    let result = entropy(p);
    assert_result(&result, is_valid("p", p), &[("p", Input::Vector(p))])?;
    if let Ok(h) = result {
        assert_finite_measure(h, p.len())?;
    }
    Ok(())
}

/// A summary, if computed, has no NaN among its four values.
fn assert_no_nan<E>(summary: &Result<Summary, E>) -> Check {
    if let Ok(s) = summary {
        for v in [
            s.entropy,
            s.cross_entropy,
            s.kl_divergence,
            s.reverse_kl_divergence,
        ] {
            prop_assert!(!v.is_nan(), "{:?}", s);
        }
    }
    Ok(())
}

fn check_pair(p: &[f64], q: &[f64]) -> Check {
    let inputs = [("p", Input::Vector(p)), ("q", Input::Vector(q))];
    let valid = is_valid("p", p) && is_valid("q", q) && p.len() == q.len();
    for result in [cross_entropy(p, q), kl_divergence(p, q)] {
        assert_result(&result, valid, &inputs)?;
        if let Ok(v) = result {
            assert_measure(v, p.len(), support_mismatch(p, q))?;
        }
    }
    // summarize: the same errors; no NaN among its four values.
    let summary = summarize(p, Prediction::Probabilities(q), Unit::Nats);
    assert_result(&summary, valid, &inputs)?;
    assert_no_nan(&summary)?;
    // q as logits.
    let inputs = [("p", Input::Vector(p)), ("logits", Input::Vector(q))];
    let valid = is_valid("p", p) && logits_ok(q) && p.len() == q.len();
    let summary = summarize(p, Prediction::Logits(q), Unit::Nats);
    assert_result(&summary, valid, &inputs)?;
    assert_no_nan(&summary)?;
    for result in [cross_entropy_logits(p, q), kl_divergence_logits(p, q)] {
        assert_result(&result, valid, &inputs)?;
        if let Ok(v) = result {
            prop_assert!(!v.is_nan());
            if logits_overflow(q) {
                prop_assert!(v >= lower_bound(p.len()));
            } else {
                assert_finite_measure(v, p.len())?;
            }
        }
    }
    Ok(())
}

/// log_softmax: ln qᵢ ≤ 0 and never NaN; finite unless the spread overflows.
fn check_log_softmax(z: &[f64]) -> Check {
    let result = log_softmax(z);
    assert_result(&result, logits_ok(z), &[("logits", Input::Vector(z))])?;
    if let Ok(lq) = result {
        prop_assert_eq!(lq.len(), z.len());
        prop_assert!(lq.iter().all(|&v| v <= 0.0), "{:?}", lq);
        if !logits_overflow(z) {
            prop_assert!(lq.iter().all(|v| v.is_finite()), "{:?}", lq);
        }
    }
    // softmax: the same errors; otherwise probabilities that pass validation
    // (its documented promise) unless the logit spread overflows.
    let q = softmax(z);
    assert_result(&q, logits_ok(z), &[("logits", Input::Vector(z))])?;
    if let Ok(q) = q {
        prop_assert!(q.iter().all(|&v| (0.0..=1.0).contains(&v)), "{:?}", q);
        if !logits_overflow(z) {
            prop_assert!(validate_distribution("q", &q).is_ok(), "{:?}", q);
        }
    }
    Ok(())
}

/// normalize: an error for empty, non-finite, negative or all-zero weights;
/// otherwise a vector of the same length that passes validation, with zero
/// where the weight is zero.
fn check_normalize(w: &[f64]) -> Check {
    let result = normalize(w);
    let valid = finite_non_empty(w) && w.iter().all(|&x| x >= 0.0) && w.iter().any(|&x| x > 0.0);
    assert_result(&result, valid, &[("weights", Input::Vector(w))])?;
    if let Ok(p) = result {
        prop_assert_eq!(p.len(), w.len());
        prop_assert_eq!(validate_distribution("p", &p), Ok(()));
        for (&wi, &pi) in w.iter().zip(&p) {
            if wi == 0.0 {
                prop_assert_eq!(pi, 0.0);
            }
        }
    }
    Ok(())
}

/// validate_distribution reports what the measures report.
fn check_validate(p: &[f64]) -> Check {
    let validated = validate_distribution("p", p);
    assert_result(&validated, is_valid("p", p), &[("p", Input::Vector(p))])?;
    let measured = entropy(p);
    prop_assert_eq!(
        format!("{validated:?}"),
        format!("{:?}", measured.map(|_| ()))
    );
    Ok(())
}

/// A single-row measure of two vectors, e.g. `cross_entropy(p, q)`.
type PairMeasure = fn(&[f64], &[f64]) -> Result<f64, MeasureError>;

/// Each batched measure of the pair of batches (p, q): an error exactly when
/// the batch is not `valid`, and otherwise per-row values equal to its
/// single-row function (`check_reduced`).
fn check_pair_batches(
    measures: [(Result<Reduced, MeasureError>, PairMeasure); 2],
    (p, q): (&[Vec<f64>], &[Vec<f64>]),
    valid: bool,
    inputs: &[(&str, Input)],
) -> Check {
    for (result, single) in measures {
        assert_result(&result, valid, inputs)?;
        if let Ok(r) = result {
            let singles = p
                .iter()
                .zip(q)
                .map(|(a, b)| single(a, b).unwrap())
                .collect();
            check_reduced(r, p.len(), singles)?;
        }
    }
    Ok(())
}

/// The batched measures: errors as above (naming the row), per-row values
/// equal to the single-row functions, totals +∞ exactly when a row is.
fn check_batches(p: &[Vec<f64>], q: &[Vec<f64>], reduction: Reduction) -> Check {
    let shape_ok = !p.is_empty() && !q.is_empty() && p.len() == q.len();
    let rows_ok = |row_ok: &dyn Fn(&[f64], &[f64]) -> bool| {
        shape_ok && p.iter().zip(q).all(|(a, b)| row_ok(a, b))
    };

    let inputs = [("p", Input::Batch(p))];
    let result = entropy_rows(p, reduction);
    let valid = !p.is_empty() && p.iter().all(|r| is_valid("p", r));
    assert_result(&result, valid, &inputs)?;
    if let Ok(r) = result {
        check_reduced(r, p.len(), p.iter().map(|r| entropy(r).unwrap()).collect())?;
    }

    let inputs = [("p", Input::Batch(p)), ("q", Input::Batch(q))];
    let valid = rows_ok(&|a, b| is_valid("p", a) && is_valid("q", b) && a.len() == b.len());
    check_pair_batches(
        [
            (cross_entropy_rows(p, q, reduction), cross_entropy),
            (kl_divergence_rows(p, q, reduction), kl_divergence),
        ],
        (p, q),
        valid,
        &inputs,
    )?;

    let inputs = [("p", Input::Batch(p)), ("logits", Input::Batch(q))];
    let valid = rows_ok(&|a, b| is_valid("p", a) && logits_ok(b) && a.len() == b.len());
    check_pair_batches(
        [
            (
                cross_entropy_logits_rows(p, q, reduction),
                cross_entropy_logits,
            ),
            (
                kl_divergence_logits_rows(p, q, reduction),
                kl_divergence_logits,
            ),
        ],
        (p, q),
        valid,
        &inputs,
    )?;
    Ok(())
}

/// Reduced values agree with the single-row values (checked in
/// tests/validation_reductions.rs to the bit; here: per-row bits, and totals that are
/// +∞ exactly when a row is, never NaN).
fn check_reduced(reduced: Reduced, rows: usize, singles: Vec<f64>) -> Check {
    match reduced {
        Reduced::PerRow(values) => {
            prop_assert_eq!(values.len(), rows);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&values), bits(&singles));
        }
        Reduced::Total(t) => {
            prop_assert!(!t.is_nan());
            let any_infinite = singles.iter().any(|v| v.is_infinite());
            prop_assert_eq!(t.is_infinite(), any_infinite, "{} from {:?}", t, singles);
        }
    }
    Ok(())
}

/// Bernoulli: NotAProbability for anything outside [0, 1] (y checked first);
/// otherwise H ∈ [0, ln 2·(1 + 5u)] (5u: the derived accuracy in
/// tests/accuracy_bernoulli.rs), CE and KL ≥ 0, +∞ exactly for a support mismatch.
fn check_bernoulli(y: f64, x: f64) -> Check {
    let prob = |v: f64| (0.0..=1.0).contains(&v);
    let inputs = [("y", Input::Scalar(y)), ("x", Input::Scalar(x))];
    let result = bernoulli::entropy(y);
    assert_result(&result, prob(y), &inputs)?;
    if let Ok(h) = result {
        prop_assert!(
            (0.0..=LN_2 * (1.0 + 5.0 * U)).contains(&h),
            "H({}) = {}",
            y,
            h
        );
    }
    let mismatch = (y > 0.0 && x == 0.0) || (y < 1.0 && x == 1.0);
    for result in [
        bernoulli::cross_entropy(y, x),
        bernoulli::kl_divergence(y, x),
    ] {
        assert_result(&result, prob(y) && prob(x), &inputs)?;
        if let Ok(v) = result {
            prop_assert!(v >= 0.0, "{} for y = {:e}, x = {:e}", v, y, x);
            prop_assert_eq!(
                v.is_infinite(),
                mismatch,
                "{} for y = {:e}, x = {:e}",
                v,
                y,
                x
            );
        }
    }
    Ok(())
}

/// Sums never panic. NaN comes out exactly when a NaN or both infinities go
/// in; one kind of infinity comes out as itself; finite terms whose
/// magnitudes sum below f64::MAX/2 (the plain sum of magnitudes errs by far
/// less than that factor) give a finite sum. Beyond that, overflow of the
/// finite partial sums is the caller's problem, and no claim is made.
fn check_sums(xs: &[f64]) -> Check {
    let s = compensated_sum(xs);
    let by_hand = xs.iter().copied().collect::<NeumaierSum>().value();
    prop_assert_eq!(s.to_bits(), by_hand.to_bits());

    let (pos_inf, neg_inf) = (xs.contains(&f64::INFINITY), xs.contains(&f64::NEG_INFINITY));
    let finite_magnitude: f64 = xs.iter().filter(|x| x.is_finite()).map(|x| x.abs()).sum();
    let no_overflow = finite_magnitude < f64::MAX / 2.0;
    if xs.iter().any(|x| x.is_nan()) || (pos_inf && neg_inf) {
        prop_assert!(s.is_nan());
    } else if no_overflow && pos_inf {
        prop_assert_eq!(s, f64::INFINITY);
    } else if no_overflow && neg_inf {
        prop_assert_eq!(s, f64::NEG_INFINITY);
    } else if no_overflow {
        prop_assert!(s.is_finite());
        // The other entry points on the same terms: merge two halves, then
        // a zero low part.
        let (a, b) = xs.split_at(xs.len() / 2);
        let mut left: NeumaierSum = a.iter().copied().collect();
        left.merge(b.iter().copied().collect());
        left.add_low(0.0);
        prop_assert!(left.value().is_finite());
    }
    prop_assert_eq!(NeumaierSum::new(), NeumaierSum::default());
    Ok(())
}

fn arb_reduction() -> impl Strategy<Value = Reduction> {
    prop::sample::select(vec![Reduction::None, Reduction::Sum, Reduction::BatchMean])
}

proptest! {
    #![proptest_config(config(2000, SEED_ROBUSTNESS))]

    #[test]
    fn entropy_gives_a_typed_error_or_a_valid_value(p in arb_vec()) {
        check_entropy(&p)?;
    }

    #[test]
    fn pairwise_measures_give_a_typed_error_or_a_valid_value(pair in arb_vec_pair()) {
        let (p, q) = pair;
        check_pair(&p, &q)?;
    }

    #[test]
    fn log_softmax_gives_a_typed_error_or_log_probabilities(z in arb_vec()) {
        check_log_softmax(&z)?;
    }

    #[test]
    fn normalize_gives_a_typed_error_or_a_valid_distribution(w in arb_vec()) {
        check_normalize(&w)?;
    }

    #[test]
    fn validate_distribution_agrees_with_the_measures(p in arb_vec()) {
        check_validate(&p)?;
    }

    #[test]
    fn batched_measures_give_a_typed_error_or_consistent_values(
        batches in arb_batch_pair(),
        reduction in arb_reduction(),
    ) {
        let (p, q) = batches;
        check_batches(&p, &q, reduction)?;
    }

    #[test]
    fn bernoulli_measures_give_a_typed_error_or_a_valid_value(y in arb_f64(), x in arb_f64()) {
        check_bernoulli(y, x)?;
    }

    #[test]
    fn sums_propagate_only_real_nans(xs in prop::collection::vec(arb_f64(), 0..12)) {
        check_sums(&xs)?;
    }

    #[test]
    fn sum_tolerance_is_n_plus_one_epsilons(n in any::<usize>()) {
        let tol = sum_tolerance(n);
        prop_assert!(tol.is_finite() && tol > 0.0);
        prop_assert_eq!(tol, (n as f64 + 1.0) * f64::EPSILON);
    }

    #[test]
    fn reduction_parse_accepts_exactly_the_names(s in prop_oneof![
        prop::sample::select(vec!["none", "sum", "batchmean", "mean", "Sum", ""]).prop_map(String::from),
        "\\PC{0,10}",
    ]) {
        match Reduction::parse(&s) {
            Some(r) => prop_assert_eq!(r.name(), s.as_str()),
            None => prop_assert!(!["none", "sum", "batchmean"].contains(&s.as_str())),
        }
    }

    /// Unit conversion keeps a measure's value a measure: bits = nats/ln 2,
    /// +∞ stays +∞, NaN only from NaN.
    #[test]
    fn unit_conversion_maps_values_to_values(x in arb_f64()) {
        prop_assert_eq!(Unit::Nats.from_nats(x).to_bits(), x.to_bits());
        let bits = Unit::Bits.from_nats(x);
        prop_assert_eq!(bits.to_bits(), (x / LN_2).to_bits());
        prop_assert_eq!(bits.is_nan(), x.is_nan());
        if x >= 0.0 {
            prop_assert!(bits >= 0.0);
        }
    }
}

proptest! {
    // Up to 10⁵ entries each: few cases.
    #![proptest_config(config(6, SEED_LONG))]

    #[test]
    fn long_vectors_give_a_typed_error_or_a_valid_value(p in arb_long_vec()) {
        let n = p.len();
        let uniform = vec![1.0 / n as f64; n];
        let z: Vec<f64> = p.iter().map(|&x| if x > 0.0 { x.ln() } else { x }).collect();
        check_entropy(&p)?;
        check_pair(&p, &uniform)?;
        check_pair(&uniform, &p)?;
        check_pair(&p, &z)?;
        check_log_softmax(&z)?;
        check_normalize(&p)?;
        check_validate(&p)?;
        check_sums(&p)?;
        let rows = [p.clone(), uniform.clone()];
        check_batches(&rows, &[uniform.clone(), p.clone()], Reduction::BatchMean)?;
        if is_valid("p", &p) {
            prop_assert_eq!(kl_divergence(&p, &p), Ok(0.0));
        }
    }
}

// ---------------------------------------------------------------------------
// Identities of valid distributions

proptest! {
    #![proptest_config(config(1000, SEED_PROPERTIES))]

    /// Gibbs' inequality, KL(p‖q) ≥ 0, for distributions made by
    /// `normalize`. Their sums are one only within rounding, and KL of the
    /// numbers given is ≥ Σp − Σq, so the check is against [`lower_bound`],
    /// a few n·u below zero; +∞ exactly for a support mismatch.
    #[test]
    fn kl_divergence_is_nonnegative(pair in arb_distribution_pair(12)) {
        let (p, q) = pair;
        let kl = kl_divergence(&p, &q).unwrap();
        assert_measure(kl, p.len(), support_mismatch(&p, &q))?;
    }

    /// KL(p‖p) = 0 exactly: every term's log-ratio is an exact 0.
    #[test]
    fn kl_of_equal_inputs_is_zero(p in (1..=12usize).prop_flat_map(arb_distribution), y in 0.0..=1.0f64) {
        prop_assert_eq!(kl_divergence(&p, &p), Ok(0.0));
        prop_assert_eq!(
            kl_divergence_rows(&[p.clone(), p.clone()], &[p.clone(), p.clone()], Reduction::Sum),
            Ok(Reduced::Total(0.0))
        );
        prop_assert_eq!(bernoulli::kl_divergence(y, y), Ok(0.0));
    }

    /// CE(p, q) = H(p) + KL(p‖q), an identity of the formulas that holds for
    /// any numbers. Bound: H and CE are within 1 ULP, and KL is (the stated
    /// targets, measured in tests/accuracy_discrete.rs), 1 ULP ≤ 2u relative, and the
    /// addition H + KL rounds once more: |CE − (H + KL)| ≤
    /// 2u·CE + 3u·H + 3u·|KL| ≤ 4u·(H + CE + |KL|).
    #[test]
    fn cross_entropy_equals_entropy_plus_kl(pair in arb_distribution_pair(12)) {
        let (p, q) = pair;
        let h = entropy(&p).unwrap();
        let ce = cross_entropy(&p, &q).unwrap();
        let kl = kl_divergence(&p, &q).unwrap();
        if support_mismatch(&p, &q) {
            prop_assert_eq!((ce, kl), (f64::INFINITY, f64::INFINITY));
        } else {
            let bound = 4.0 * U * (h.abs() + ce.abs() + kl.abs());
            prop_assert!(
                (ce - (h + kl)).abs() <= bound,
                "CE = {:e}, H + KL = {:e}, bound {:e}", ce, h + kl, bound
            );
        }
    }

    /// Bits are nats over ln 2 for every measure: the value divided by LN_2
    /// with one rounding, so |bits·LN_2 − nats| ≤ u·|nats| (the residual is
    /// computed exactly by mul_add), plus 2⁻¹⁰⁷⁴ should bits be subnormal;
    /// +∞ stays +∞.
    #[test]
    fn bits_equal_nats_over_ln2(pair in arb_distribution_pair(12)) {
        let (p, q) = pair;
        for nats in [
            entropy(&p).unwrap(),
            cross_entropy(&p, &q).unwrap(),
            kl_divergence(&p, &q).unwrap(),
        ] {
            let bits = Unit::Bits.from_nats(nats);
            if nats.is_infinite() {
                prop_assert_eq!(bits, f64::INFINITY);
            } else {
                let residual = bits.mul_add(LN_2, -nats);
                prop_assert!(
                    residual.abs() <= U * nats.abs() + 5e-324,
                    "{:e} bits for {:e} nats", bits, nats
                );
            }
        }
    }

    /// The explicit normalization step always produces a vector the measures
    /// accept (the reason for `sum_tolerance`'s (n + 1)ε).
    #[test]
    fn normalized_weights_pass_validation(w in (1..=64usize).prop_flat_map(arb_weights)) {
        let p = normalize(&w).unwrap();
        prop_assert_eq!(validate_distribution("p", &p), Ok(()));
    }
}

/// Both models' feature matrices go through the same checks: a row of the
/// wrong length is named by its row, a non-finite entry by its index in the
/// matrix read row after row.
#[test]
fn ragged_or_non_finite_feature_rows_are_named() {
    use logloss_proofs::models::{LogisticNll, ModelError, SoftmaxCrossEntropy};
    let ragged = [vec![1.0, 2.0], vec![3.0]];
    assert_eq!(
        LogisticNll::new(&ragged, &[0.5, 0.5]).unwrap_err(),
        ModelError::RaggedRow {
            arg: "x",
            row: 1,
            len: 1,
            expected: 2
        }
    );
    assert_eq!(
        SoftmaxCrossEntropy::new(&[0.5, 0.5], &ragged).unwrap_err(),
        ModelError::RaggedRow {
            arg: "features",
            row: 1,
            len: 1,
            expected: 2
        }
    );
    let nan = [vec![1.0, 2.0], vec![3.0, f64::INFINITY]];
    assert_eq!(
        LogisticNll::new(&nan, &[0.5, 0.5]).unwrap_err(),
        ModelError::NotFinite {
            arg: "x",
            index: 3,
            value: f64::INFINITY
        }
    );
    assert_eq!(
        SoftmaxCrossEntropy::new(&[0.5, 0.5], &nan).unwrap_err(),
        ModelError::NotFinite {
            arg: "features",
            index: 3,
            value: f64::INFINITY
        }
    );
}
