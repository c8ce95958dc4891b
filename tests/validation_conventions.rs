//! Conventions and normalization: 0·ln 0 = 0, "support mismatch is +∞",
//! values that follow the numbers given, `normalize`, and units.
//!
//! u = 2⁻⁵³ throughout; ε = 2u = f64::EPSILON.

mod common;

use common::validation::{WEIGHTS, assert_error};
use logloss_proofs::measures::{
    MeasureError, Reduced, Reduction, Unit, bernoulli, cross_entropy, cross_entropy_logits,
    cross_entropy_rows, entropy, kl_divergence, kl_divergence_logits, kl_divergence_rows,
    normalize, validate_distribution,
};
use std::f64::consts::LN_2;

use logloss_proofs::numerics::U;

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
    // derived in tests/accuracy_bernoulli.rs, 7u·(|T₁| + |T₂|) = 7u·ln 2, plus the
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
