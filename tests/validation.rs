//! Validation, conventions and reductions: every typed error with its exact
//! message, argument, index and value; the conventions 0·ln 0 = 0 and
//! "support mismatch is +∞"; reductions consistent with per-row values;
//! normalization; units.
//!
//! u = 2⁻⁵³ throughout; ε = 2u = f64::EPSILON.

use logloss_proofs::measures::{
    Arg, MeasureError, Reduced, Reduction, Unit, bernoulli, cross_entropy, cross_entropy_logits,
    cross_entropy_logits_rows, cross_entropy_rows, entropy, entropy_rows, kl_divergence,
    kl_divergence_logits, kl_divergence_logits_rows, kl_divergence_rows, log_softmax, normalize,
    sum_tolerance, validate_distribution,
};
use logloss_proofs::numerics::compensated_sum;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::LN_2;

use logloss_proofs::numerics::U;

const SEED_REDUCTIONS: u64 = 0x7A11_0001;

const P: Arg = Arg::plain("p");
const Q: Arg = Arg::plain("q");
const LOGITS: Arg = Arg::plain("logits");
const WEIGHTS: Arg = Arg::plain("weights");

/// Asserts an error and its message together.
fn assert_error<T: std::fmt::Debug>(
    result: Result<T, MeasureError>,
    expected: MeasureError,
    message: &str,
) {
    let err = result.expect_err("an error was expected");
    assert_eq!(err, expected);
    assert_eq!(err.to_string(), message);
}

/// `NotFinite` holding a NaN: `PartialEq` cannot match NaN, so the fields
/// are checked one by one.
fn assert_nan_error<T: std::fmt::Debug>(
    result: Result<T, MeasureError>,
    arg: Arg,
    index: usize,
    message: &str,
) {
    let err = result.expect_err("an error was expected");
    match &err {
        MeasureError::NotFinite {
            arg: a,
            index: i,
            value,
        } => {
            assert_eq!((*a, *i), (arg, index));
            assert!(value.is_nan(), "value {value}");
        }
        other => panic!("expected NotFinite(NaN), got {other:?}"),
    }
    assert_eq!(err.to_string(), message);
}

// ---------------------------------------------------------------------------
// Typed errors

#[test]
fn arguments_display_their_name_and_row() {
    assert_eq!(Arg::plain("p").to_string(), "p");
    assert_eq!(Arg::row("logits", 3).to_string(), "logits row 3");
}

#[test]
fn empty_arguments_are_rejected_by_name() {
    assert_error(entropy(&[]), MeasureError::Empty { arg: P }, "p is empty");
    assert_error(
        cross_entropy(&[1.0], &[]),
        MeasureError::Empty { arg: Q },
        "q is empty",
    );
    assert_error(
        kl_divergence(&[], &[1.0]),
        MeasureError::Empty { arg: P },
        "p is empty",
    );
    assert_error(
        cross_entropy_logits(&[1.0], &[]),
        MeasureError::Empty { arg: LOGITS },
        "logits is empty",
    );
    assert_error(
        log_softmax(&[]),
        MeasureError::Empty { arg: LOGITS },
        "logits is empty",
    );
    assert_error(
        normalize(&[]),
        MeasureError::Empty { arg: WEIGHTS },
        "weights is empty",
    );
    assert_error(
        validate_distribution("target", &[]),
        MeasureError::Empty {
            arg: Arg::plain("target"),
        },
        "target is empty",
    );
}

#[test]
fn length_mismatches_name_both_arguments_and_lengths() {
    assert_error(
        cross_entropy(&[0.5, 0.5], &[1.0]),
        MeasureError::LengthMismatch {
            first: P,
            first_len: 2,
            second: Q,
            second_len: 1,
        },
        "p has length 2 but q has length 1",
    );
    assert_error(
        kl_divergence(&[1.0], &[0.5, 0.5]),
        MeasureError::LengthMismatch {
            first: P,
            first_len: 1,
            second: Q,
            second_len: 2,
        },
        "p has length 1 but q has length 2",
    );
    assert_error(
        kl_divergence_logits(&[0.5, 0.5], &[0.0, 1.0, 2.0]),
        MeasureError::LengthMismatch {
            first: P,
            first_len: 2,
            second: LOGITS,
            second_len: 3,
        },
        "p has length 2 but logits has length 3",
    );
}

#[test]
fn non_finite_entries_are_reported_with_index_and_value() {
    assert_nan_error(entropy(&[0.5, f64::NAN]), P, 1, "p[1] = NaN is not finite");
    assert_error(
        cross_entropy(&[0.5, 0.5], &[f64::INFINITY, 0.5]),
        MeasureError::NotFinite {
            arg: Q,
            index: 0,
            value: f64::INFINITY,
        },
        "q[0] = inf is not finite",
    );
    assert_error(
        kl_divergence(&[0.5, 0.5, f64::NEG_INFINITY], &[0.5, 0.5, 0.0]),
        MeasureError::NotFinite {
            arg: P,
            index: 2,
            value: f64::NEG_INFINITY,
        },
        "p[2] = -inf is not finite",
    );
    // The first non-finite entry is the one reported.
    assert_error(
        normalize(&[1.0, f64::INFINITY, f64::NAN]),
        MeasureError::NotFinite {
            arg: WEIGHTS,
            index: 1,
            value: f64::INFINITY,
        },
        "weights[1] = inf is not finite",
    );
    assert_nan_error(
        validate_distribution("target", &[f64::NAN]),
        Arg::plain("target"),
        0,
        "target[0] = NaN is not finite",
    );
}

#[test]
fn negative_entries_are_reported_with_index_and_value() {
    assert_error(
        entropy(&[0.5, -0.1, 0.6]),
        MeasureError::Negative {
            arg: P,
            index: 1,
            value: -0.1,
        },
        "p[1] = -0.1 is negative",
    );
    assert_error(
        kl_divergence(&[0.5, 0.5], &[1.5, -0.5]),
        MeasureError::Negative {
            arg: Q,
            index: 1,
            value: -0.5,
        },
        "q[1] = -0.5 is negative",
    );
    assert_error(
        normalize(&[1.0, -1.0]),
        MeasureError::Negative {
            arg: WEIGHTS,
            index: 1,
            value: -1.0,
        },
        "weights[1] = -1 is negative",
    );
    // The smallest negative number is negative; −0 is not.
    let err = entropy(&[-5e-324, 1.0]).unwrap_err();
    assert_eq!(
        err,
        MeasureError::Negative {
            arg: P,
            index: 0,
            value: -5e-324
        }
    );
    assert_eq!(entropy(&[-0.0, 1.0]), Ok(0.0));
}

/// The sum check is |Σp − 1| ≤ sum_tolerance(n) = (n + 1)ε, on a compensated
/// sum. For n = 2 the tolerance is 3ε = 6u; p = (1/2, 1/2 ± k·u) sums to
/// 1 ± k·u exactly (every value involved is representable), so k = 6 is the
/// last that passes on either side.
#[test]
fn sums_are_checked_against_the_documented_tolerance() {
    assert_eq!(sum_tolerance(2), 3.0 * f64::EPSILON);
    assert_eq!(sum_tolerance(3), 4.0 * f64::EPSILON);

    // Within the tolerance, exactly at its edge.
    assert_eq!(validate_distribution("p", &[0.5, 0.5 - 6.0 * U]), Ok(()));
    assert_eq!(validate_distribution("p", &[0.5, 0.5 + 6.0 * U]), Ok(()));
    // Decimal input passes; its sum is 1 up to rounding.
    assert_eq!(validate_distribution("p", &[0.1, 0.2, 0.7]), Ok(()));

    // Beyond it, below and above 1 (1 + 7u is not representable: the next
    // testable sum above 1 + 6u is 1 + 8u).
    assert_error(
        validate_distribution("p", &[0.5, 0.5 - 7.0 * U]),
        MeasureError::NotNormalized {
            arg: P,
            sum: 1.0 - 7.0 * U,
            tolerance: 6.0 * U,
        },
        "p sums to 0.9999999999999992, which differs from 1 by 7.772e-16 \
         (tolerance 6.661e-16); normalize it explicitly if that is intended",
    );
    assert_error(
        entropy(&[0.5, 0.5 + 8.0 * U]),
        MeasureError::NotNormalized {
            arg: P,
            sum: 1.0 + 8.0 * U,
            tolerance: 6.0 * U,
        },
        "p sums to 1.0000000000000009, which differs from 1 by 8.882e-16 \
         (tolerance 6.661e-16); normalize it explicitly if that is intended",
    );
    assert_error(
        cross_entropy(&[0.5, 0.5], &[0.5, 0.4]),
        MeasureError::NotNormalized {
            arg: Q,
            sum: 0.9,
            tolerance: 6.0 * U,
        },
        "q sums to 0.9, which differs from 1 by 1.000e-1 \
         (tolerance 6.661e-16); normalize it explicitly if that is intended",
    );
    // Rounded decimals that do not sum to one are not silently accepted.
    assert_error(
        entropy(&[0.33, 0.33, 0.33]),
        MeasureError::NotNormalized {
            arg: P,
            sum: 0.99,
            tolerance: 8.0 * U,
        },
        "p sums to 0.99, which differs from 1 by 1.000e-2 \
         (tolerance 8.882e-16); normalize it explicitly if that is intended",
    );
}

#[test]
fn bernoulli_rejects_values_outside_the_unit_interval() {
    let not_a_probability = |name, value: f64| MeasureError::NotAProbability {
        arg: Arg::plain(name),
        value,
    };
    assert_error(
        bernoulli::cross_entropy(0.5, 1.5),
        not_a_probability("x", 1.5),
        "x = 1.5 is not a probability in [0, 1]",
    );
    assert_error(
        bernoulli::kl_divergence(-0.25, 0.5),
        not_a_probability("y", -0.25),
        "y = -0.25 is not a probability in [0, 1]",
    );
    assert_error(
        bernoulli::entropy(f64::INFINITY),
        not_a_probability("y", f64::INFINITY),
        "y = inf is not a probability in [0, 1]",
    );
    assert_error(
        bernoulli::kl_divergence(0.5, f64::NEG_INFINITY),
        not_a_probability("x", f64::NEG_INFINITY),
        "x = -inf is not a probability in [0, 1]",
    );
    // y is checked before x.
    assert_error(
        bernoulli::cross_entropy(2.0, -1.0),
        not_a_probability("y", 2.0),
        "y = 2 is not a probability in [0, 1]",
    );
    let err = bernoulli::entropy(f64::NAN).unwrap_err();
    assert!(
        matches!(err, MeasureError::NotAProbability { arg, value } if arg == Arg::plain("y") && value.is_nan())
    );
    assert_eq!(err.to_string(), "y = NaN is not a probability in [0, 1]");
    // The ends of [0, 1], and −0, are probabilities.
    for v in [0.0, -0.0, 1.0] {
        assert!(bernoulli::entropy(v).is_ok());
        assert!(bernoulli::cross_entropy(v, 0.5).is_ok());
        assert!(bernoulli::kl_divergence(v, 0.5).is_ok());
        assert!(bernoulli::kl_divergence(0.5, v).is_ok());
    }
}

#[test]
fn logits_must_be_finite_and_may_be_huge() {
    assert_nan_error(
        cross_entropy_logits(&[0.5, 0.5], &[0.0, f64::NAN]),
        LOGITS,
        1,
        "logits[1] = NaN is not finite",
    );
    assert_error(
        kl_divergence_logits(&[0.5, 0.5], &[f64::INFINITY, 0.0]),
        MeasureError::NotFinite {
            arg: LOGITS,
            index: 0,
            value: f64::INFINITY,
        },
        "logits[0] = inf is not finite",
    );
    assert_error(
        log_softmax(&[0.0, f64::NEG_INFINITY]),
        MeasureError::NotFinite {
            arg: LOGITS,
            index: 1,
            value: f64::NEG_INFINITY,
        },
        "logits[1] = -inf is not finite",
    );
    // p is validated as a distribution, logits are not.
    assert_error(
        cross_entropy_logits(&[0.5, -0.5], &[0.0, 0.0]),
        MeasureError::Negative {
            arg: P,
            index: 1,
            value: -0.5,
        },
        "p[1] = -0.5 is negative",
    );
    // Finite logits of any size are accepted: ±f64::MAX is not an error.
    assert!(log_softmax(&[f64::MAX, 0.0]).is_ok());
    assert!(cross_entropy_logits(&[1.0, 0.0], &[f64::MAX, -f64::MAX]).is_ok());
}

#[test]
fn batch_errors_name_the_row() {
    let good = || vec![0.5, 0.5];
    assert_error(
        entropy_rows(
            &[good(), vec![1.0, 0.0], vec![0.5, -0.5, 1.0]],
            Reduction::Sum,
        ),
        MeasureError::Negative {
            arg: Arg::row("p", 2),
            index: 1,
            value: -0.5,
        },
        "p row 2[1] = -0.5 is negative",
    );
    assert_nan_error(
        cross_entropy_rows(
            &[good(), good()],
            &[good(), vec![f64::NAN, 1.0]],
            Reduction::None,
        ),
        Arg::row("q", 1),
        0,
        "q row 1[0] = NaN is not finite",
    );
    assert_error(
        kl_divergence_logits_rows(&[good()], &[vec![0.0, f64::INFINITY]], Reduction::BatchMean),
        MeasureError::NotFinite {
            arg: Arg::row("logits", 0),
            index: 1,
            value: f64::INFINITY,
        },
        "logits row 0[1] = inf is not finite",
    );
    assert_error(
        kl_divergence_rows(
            &[good(), vec![0.5, 0.25]],
            &[good(), good()],
            Reduction::Sum,
        ),
        MeasureError::NotNormalized {
            arg: Arg::row("p", 1),
            sum: 0.75,
            tolerance: 6.0 * U,
        },
        "p row 1 sums to 0.75, which differs from 1 by 2.500e-1 \
         (tolerance 6.661e-16); normalize it explicitly if that is intended",
    );
    assert_error(
        cross_entropy_logits_rows(
            &[good(), good()],
            &[vec![0.0, 0.0], vec![0.0; 3]],
            Reduction::None,
        ),
        MeasureError::LengthMismatch {
            first: Arg::row("p", 1),
            first_len: 2,
            second: Arg::row("logits", 1),
            second_len: 3,
        },
        "p row 1 has length 2 but logits row 1 has length 3",
    );
    // The batch itself: no rows, or different numbers of rows.
    assert_error(
        entropy_rows::<Vec<f64>>(&[], Reduction::Sum),
        MeasureError::Empty { arg: P },
        "p is empty",
    );
    assert_error(
        kl_divergence_rows::<Vec<f64>, Vec<f64>>(&[good()], &[], Reduction::Sum),
        MeasureError::Empty { arg: Q },
        "q is empty",
    );
    assert_error(
        cross_entropy_rows(&[good(), good()], &[good()], Reduction::Sum),
        MeasureError::LengthMismatch {
            first: P,
            first_len: 2,
            second: Q,
            second_len: 1,
        },
        "p has length 2 but q has length 1",
    );
    // An empty row.
    assert_error(
        kl_divergence_rows(&[good(), good()], &[good(), vec![]], Reduction::Sum),
        MeasureError::Empty {
            arg: Arg::row("q", 1),
        },
        "q row 1 is empty",
    );
    // The first failing row is the one reported.
    assert_error(
        entropy_rows(&[good(), vec![-1.0, 2.0], vec![f64::NAN]], Reduction::None),
        MeasureError::Negative {
            arg: Arg::row("p", 1),
            index: 0,
            value: -1.0,
        },
        "p row 1[0] = -1 is negative",
    );
}

// ---------------------------------------------------------------------------
// Reductions

fn per_row(r: Reduced) -> Vec<f64> {
    match r {
        Reduced::PerRow(v) => v,
        Reduced::Total(t) => panic!("expected per-row values, got Total({t})"),
    }
}

fn total(r: Reduced) -> f64 {
    match r {
        Reduced::Total(t) => t,
        Reduced::PerRow(v) => panic!("expected a total, got {v:?}"),
    }
}

/// A batched function (taking any reduction), and the single-row function
/// its rows must agree with.
type Batched = dyn Fn(&[Vec<f64>], &[Vec<f64>], Reduction) -> Reduced;
type Single = dyn Fn(&[f64], &[f64]) -> f64;

/// None gives exactly the single-row values; Sum is their compensated sum,
/// bit for bit; BatchMean is that sum divided by the number of rows: exactly
/// sum/R when R is a power of two, and otherwise within one rounding, i.e.
/// |BatchMean·R − Sum| ≤ u·|Sum|. (That residual is a small multiple of the
/// spacing at BatchMean, so `mul_add` returns it exactly.)
fn check_reductions(
    name: &str,
    batched: &Batched,
    single: &Single,
    p: &[Vec<f64>],
    q: &[Vec<f64>],
) {
    let rows = p.len() as f64;
    let values = per_row(batched(p, q, Reduction::None));
    for (r, v) in values.iter().enumerate() {
        assert_eq!(
            v.to_bits(),
            single(&p[r], &q[r]).to_bits(),
            "{name} row {r}"
        );
    }
    let sum = total(batched(p, q, Reduction::Sum));
    assert_eq!(
        sum.to_bits(),
        compensated_sum(&values).to_bits(),
        "{name} sum"
    );
    let mean = total(batched(p, q, Reduction::BatchMean));
    assert_eq!(mean.to_bits(), (sum / rows).to_bits(), "{name} batchmean");
    if p.len().is_power_of_two() {
        assert_eq!(mean * rows, sum, "{name}: batchmean·R = sum for R = {rows}");
    } else {
        let residual = mean.mul_add(rows, -sum);
        assert!(
            residual.abs() <= U * sum.abs(),
            "{name}: batchmean·R − sum = {residual:e} for R = {rows}"
        );
    }
}

#[test]
fn reductions_agree_with_per_row_values() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_REDUCTIONS);
    let mut dirichlet = |n: usize| {
        let w: Vec<f64> = (0..n).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
        normalize(&w).unwrap()
    };
    for rows in [1usize, 2, 3, 4, 5, 7, 8, 16] {
        let n = 1 + rows % 5;
        let p: Vec<Vec<f64>> = (0..rows).map(|_| dirichlet(n)).collect();
        let q: Vec<Vec<f64>> = (0..rows).map(|_| dirichlet(n)).collect();
        let z: Vec<Vec<f64>> = q
            .iter()
            .map(|r| r.iter().map(|x| 3.0 * x.ln()).collect())
            .collect();
        check_reductions(
            "entropy_rows",
            &|p, _, red| entropy_rows(p, red).unwrap(),
            &|p, _| entropy(p).unwrap(),
            &p,
            &q,
        );
        check_reductions(
            "cross_entropy_rows",
            &|p, q, red| cross_entropy_rows(p, q, red).unwrap(),
            &|p, q| cross_entropy(p, q).unwrap(),
            &p,
            &q,
        );
        check_reductions(
            "kl_divergence_rows",
            &|p, q, red| kl_divergence_rows(p, q, red).unwrap(),
            &|p, q| kl_divergence(p, q).unwrap(),
            &p,
            &q,
        );
        check_reductions(
            "cross_entropy_logits_rows",
            &|p, z, red| cross_entropy_logits_rows(p, z, red).unwrap(),
            &|p, z| cross_entropy_logits(p, z).unwrap(),
            &p,
            &z,
        );
        check_reductions(
            "kl_divergence_logits_rows",
            &|p, z, red| kl_divergence_logits_rows(p, z, red).unwrap(),
            &|p, z| kl_divergence_logits(p, z).unwrap(),
            &p,
            &z,
        );
    }
}

#[test]
fn reduction_names_round_trip() {
    for r in [Reduction::None, Reduction::Sum, Reduction::BatchMean] {
        assert_eq!(Reduction::parse(r.name()), Some(r));
    }
    assert_eq!(Reduction::None.name(), "none");
    assert_eq!(Reduction::Sum.name(), "sum");
    assert_eq!(Reduction::BatchMean.name(), "batchmean");
    // PyTorch's "mean" (over rows × classes) is deliberately not offered.
    assert_eq!(Reduction::parse("mean"), None);
    assert_eq!(Reduction::parse("Sum"), None);
}

// ---------------------------------------------------------------------------
// normalize

#[test]
fn normalize_divides_by_the_sum() {
    assert_eq!(normalize(&[1.0, 3.0]), Ok(vec![0.25, 0.75]));
    assert_eq!(normalize(&[0.0, 2.0, 0.0]), Ok(vec![0.0, 1.0, 0.0]));
    // Subnormal weights: 1 and 2 units of 2⁻¹⁰⁷⁴ sum exactly to 3 units, and
    // each quotient is correctly rounded, as for the weights 1 and 2.
    assert_eq!(normalize(&[5e-324, 1e-323]), normalize(&[1.0, 2.0]));
    // The result passes validation.
    let p = normalize(&[0.1, 0.2, 0.3, 0.4, 0.5]).unwrap();
    assert_eq!(validate_distribution("p", &p), Ok(()));
}

#[test]
fn normalize_rejects_zero_mass() {
    assert_error(
        normalize(&[0.0, 0.0]),
        MeasureError::ZeroMass { arg: WEIGHTS },
        "weights sums to zero and cannot be normalized",
    );
    assert_error(
        normalize(&[-0.0]),
        MeasureError::ZeroMass { arg: WEIGHTS },
        "weights sums to zero and cannot be normalized",
    );
}

/// Finite weights whose sum overflows are rescaled by their maximum first:
/// (MAX, MAX, MAX/2) is (2, 2, 1) up to one power-of-two scaling and one
/// rounding per entry, so the results agree exactly here.
#[test]
fn normalize_survives_overflowing_sums() {
    let huge = normalize(&[f64::MAX, f64::MAX, f64::MAX / 2.0]).unwrap();
    assert_eq!(huge, normalize(&[2.0, 2.0, 1.0]).unwrap());
    assert_eq!(huge, vec![0.4, 0.4, 0.2]);
    let all_max = normalize(&[f64::MAX; 3]).unwrap();
    assert_eq!(all_max, vec![1.0 / 3.0; 3]);
    assert_eq!(validate_distribution("p", &all_max), Ok(()));
}

// ---------------------------------------------------------------------------
// Conventions

/// pᵢ > 0 where qᵢ = 0: the value +∞, never NaN and never an error; in
/// batches the row is +∞ and so are its sum and mean.
#[test]
fn support_mismatch_is_infinite_not_an_error() {
    let (p, q) = ([0.5, 0.5], [1.0, 0.0]);
    assert_eq!(cross_entropy(&p, &q), Ok(f64::INFINITY));
    assert_eq!(kl_divergence(&p, &q), Ok(f64::INFINITY));
    assert_eq!(bernoulli::cross_entropy(0.5, 0.0), Ok(f64::INFINITY));
    assert_eq!(bernoulli::cross_entropy(0.5, 1.0), Ok(f64::INFINITY));
    assert_eq!(bernoulli::kl_divergence(0.5, 1.0), Ok(f64::INFINITY));
    assert_eq!(bernoulli::kl_divergence(1.0, 0.0), Ok(f64::INFINITY));

    let rows_p = [vec![0.5, 0.5], vec![0.5, 0.5]];
    let rows_q = [vec![1.0, 0.0], vec![0.5, 0.5]];
    for red in [Reduction::Sum, Reduction::BatchMean] {
        assert_eq!(
            cross_entropy_rows(&rows_p, &rows_q, red),
            Ok(Reduced::Total(f64::INFINITY))
        );
        assert_eq!(
            kl_divergence_rows(&rows_p, &rows_q, red),
            Ok(Reduced::Total(f64::INFINITY))
        );
    }
    assert_eq!(
        kl_divergence_rows(&rows_p, &rows_q, Reduction::None),
        Ok(Reduced::PerRow(vec![f64::INFINITY, 0.0]))
    );
}

/// Terms with pᵢ = 0 contribute nothing, whatever qᵢ (also qᵢ = 0): adding
/// such a category changes no value, bit for bit.
#[test]
fn zero_probabilities_contribute_nothing() {
    let (p, q) = ([0.2, 0.8], [0.5, 0.5]);
    let (p0, q0) = ([0.2, 0.0, 0.8], [0.5, 0.0, 0.5]);
    assert_eq!(entropy(&p0), entropy(&p));
    assert_eq!(cross_entropy(&p0, &q0), cross_entropy(&p, &q));
    assert_eq!(kl_divergence(&p0, &q0), kl_divergence(&p, &q));
    assert_eq!(entropy(&[1.0, 0.0]), Ok(0.0));
    assert_eq!(cross_entropy(&[0.0, 1.0], &[0.0, 1.0]), Ok(0.0));
    assert_eq!(kl_divergence(&[0.0, 1.0], &[0.0, 1.0]), Ok(0.0));
    // With logits: a one-hot p against logits whose softmax puts e^(−1e4)
    // (below the smallest subnormal) on the other entry costs nothing.
    assert_eq!(cross_entropy_logits(&[1.0, 0.0], &[0.0, -1e4]), Ok(0.0));
    assert_eq!(kl_divergence_logits(&[1.0, 0.0], &[0.0, -1e4]), Ok(0.0));
    // Bernoulli: H(0) = H(1) = 0, and a certain prediction of a certain
    // outcome costs nothing.
    for v in [0.0, 1.0] {
        assert_eq!(bernoulli::entropy(v), Ok(0.0));
        assert_eq!(bernoulli::cross_entropy(v, v), Ok(0.0));
        assert_eq!(bernoulli::kl_divergence(v, v), Ok(0.0));
    }
    // Closed form: KL(Bernoulli(0)‖Bernoulli(1/2)) = ln 2, within the bound
    // derived in tests/accuracy.rs, 7u·(|T₁| + |T₂|) = 7u·ln 2, plus the
    // rounding of LN_2 itself (u/2 at most).
    let kl = bernoulli::kl_divergence(0.0, 0.5).unwrap();
    assert!((kl - LN_2).abs() <= 7.0 * U * LN_2 + U / 2.0, "{kl}");
}

/// The measures compute the formula of the numbers given. Vectors accepted
/// within the sum tolerance need not sum to exactly one, and then the value
/// can be a few ULP below zero: KL = Σ[pᵢ ln(pᵢ/qᵢ) − pᵢ + qᵢ] + (Σp − Σq),
/// where only the bracket is non-negative; and an entry 1 + ε makes
/// −p ln p negative. The expected values are the closed forms, correctly
/// rounded: −ln(1 + ε) = −(ε − ε²/2 + …) rounds to −(ε − 2⁻¹⁰⁵), and
/// −(1 + ε) ln(1 + ε) = −(ε + ε²/2 − …) rounds to −ε.
#[test]
fn values_follow_the_numbers_given_even_below_zero() {
    let eps = f64::EPSILON;
    let one_up = 1.0 + eps;
    assert_eq!(validate_distribution("q", &[one_up]), Ok(()));
    assert_eq!(
        kl_divergence(&[1.0], &[one_up]),
        Ok(-(eps - 2f64.powi(-105)))
    );
    assert_eq!(
        cross_entropy(&[1.0], &[one_up]),
        Ok(-(eps - 2f64.powi(-105)))
    );
    assert_eq!(entropy(&[one_up]), Ok(-eps));
    // The same with logits: p = (1/2 − u, 1/2), softmax(0, 0) = (1/2, 1/2):
    // KL = (1/2 − u)·ln(1 − 2u) = −u + u² + O(u³). The logit form's error is
    // |p₀ − q₀|·err(δ₀) with err(δ₀) ≤ 2u|ln p₀| + 2u·nll₀ + 2u·ln 2 ≈ 4.2u,
    // plus 2u·|KL| from the sum: below 7u².
    let kl = kl_divergence_logits(&[0.5 - U, 0.5], &[0.0, 0.0]).unwrap();
    assert!((kl - (-U + U * U)).abs() <= 7.0 * U * U, "{kl:e}");
}

// ---------------------------------------------------------------------------
// Units

/// bits = nats / ln 2 with the rounded LN_2: one rounding of the division.
#[test]
fn bits_are_nats_over_ln2() {
    assert_eq!(Unit::default(), Unit::Nats);
    assert_eq!((Unit::Nats.name(), Unit::Bits.name()), ("nats", "bits"));
    assert_eq!(Unit::Bits.from_nats(LN_2), 1.0);
    assert_eq!(Unit::Bits.from_nats(0.0), 0.0);
    assert_eq!(Unit::Bits.from_nats(f64::INFINITY), f64::INFINITY);
    assert_eq!(Unit::Nats.from_nats(1.234), 1.234);
    // H(uniform over 8) = ln 8 = 3 bits. H is within 1 ULP (≤ 2u relative),
    // LN_2 within u/2 of ln 2, the division rounds once (u): |bits − 3| ≤
    // 3·(2u + u/2 + u) < 3·4u.
    let h = entropy(&[0.125; 8]).unwrap();
    let bits = Unit::Bits.from_nats(h);
    assert!((bits - 3.0).abs() <= 3.0 * 4.0 * U, "{bits}");
}

/// The tolerance edge for vectors long enough to take the eight-lane
/// validation path: uniform p with one entry moved by k·ε, so that the sum is
/// exactly 1 + k·ε (1/n and k·ε are exact multiples of ulp(1/n) for these n).
/// Within (n + 1)·ε it must pass; beyond, fail, in both directions.
#[test]
fn long_vectors_are_checked_against_the_same_tolerance() {
    for n in [16usize, 1024] {
        let limit = (n + 1) as f64;
        for (k, passes) in [
            (limit - 1.0, true),
            (limit + 1.0, false),
            (-(limit - 1.0), true),
            (-(limit + 1.0), false),
        ] {
            let mut p = vec![1.0 / n as f64; n];
            p[n / 2] += k * f64::EPSILON;
            let result = validate_distribution("p", &p);
            assert_eq!(
                result.is_ok(),
                passes,
                "n = {n}, sum = 1 + {k}ε: {result:?}"
            );
            if !passes {
                assert!(
                    matches!(result, Err(MeasureError::NotNormalized { .. })),
                    "{result:?}"
                );
            }
            assert_eq!(entropy(&p).is_ok(), passes, "n = {n}, k = {k}");
        }
    }
}

/// The fast validation pass adds plain partial sums (entry i to partial sum
/// i mod 32), which can lose mass that the sequential compensated sum keeps:
/// here 99 entries of u/2 = 2⁻⁵⁴ fall on partial sum 0, whose running value
/// a ≈ 1 has a half-ulp of u, so each one rounds away (49.5u lost). a is put
/// 20u inside the tolerance (n + 1)·ε = 6402u, so the exact sum lies 29.5u
/// outside it. The pass must see that its own sum could be that far off
/// (its margin, about 2·(n/32 + 4)·u = 208u here) and leave the decision to
/// the sequential check, which rejects.
#[test]
fn mass_lost_by_the_fast_pass_near_the_tolerance_edge_is_still_rejected() {
    use logloss_proofs::numerics::U;
    let n = 3200;
    let mut p = vec![0.0; n];
    p[0] = 1.0 + 3191.0 * f64::EPSILON; // 1 + 6382u, exactly
    for k in 1..100 {
        p[32 * k] = U / 2.0;
    }
    let exact_excess = 6382.0 * U + 99.0 * U / 2.0;
    assert!(exact_excess > sum_tolerance(n));
    let result = validate_distribution("p", &p);
    assert!(
        matches!(result, Err(MeasureError::NotNormalized { .. })),
        "{result:?}"
    );
}
