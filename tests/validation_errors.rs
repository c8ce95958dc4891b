//! Validation: every typed error with its exact message, argument, index and
//! value, and the documented tolerance of a distribution's sum (on the
//! sequential and the eight-lane validation paths).
//!
//! u = 2⁻⁵³ throughout; ε = 2u = f64::EPSILON.

mod common;

use common::validation::{LOGITS, P, Q, WEIGHTS, assert_error, assert_nan_error};
use logloss_proofs::measures::{
    Arg, MeasureError, Reduction, bernoulli, cross_entropy, cross_entropy_logits,
    cross_entropy_logits_rows, cross_entropy_rows, entropy, entropy_rows, kl_divergence,
    kl_divergence_logits, kl_divergence_logits_rows, kl_divergence_rows, log_softmax, normalize,
    sum_tolerance, validate_distribution,
};

use logloss_proofs::numerics::U;

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

/// The error for arguments of different lengths: (first, its length) and
/// (second, its length).
fn mismatch((first, first_len): (Arg, usize), (second, second_len): (Arg, usize)) -> MeasureError {
    MeasureError::LengthMismatch {
        first,
        first_len,
        second,
        second_len,
    }
}

#[test]
fn length_mismatches_name_both_arguments_and_lengths() {
    assert_error(
        cross_entropy(&[0.5, 0.5], &[1.0]),
        mismatch((P, 2), (Q, 1)),
        "p has length 2 but q has length 1",
    );
    assert_error(
        kl_divergence(&[1.0], &[0.5, 0.5]),
        mismatch((P, 1), (Q, 2)),
        "p has length 1 but q has length 2",
    );
    assert_error(
        kl_divergence_logits(&[0.5, 0.5], &[0.0, 1.0, 2.0]),
        mismatch((P, 2), (LOGITS, 3)),
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
    // −inf is a masked class (probability 0), not an error; a vector of
    // masked classes only is.
    assert_eq!(
        log_softmax(&[0.0, f64::NEG_INFINITY]),
        Ok(vec![0.0, f64::NEG_INFINITY])
    );
    assert_error(
        log_softmax(&[f64::NEG_INFINITY, f64::NEG_INFINITY]),
        MeasureError::AllMasked { arg: LOGITS },
        "logits: every logit is -inf (the whole row is masked), so its softmax is undefined",
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
        mismatch((Arg::row("p", 1), 2), (Arg::row("logits", 1), 3)),
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
        mismatch((P, 2), (Q, 1)),
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
// The sum tolerance of long vectors

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
