//! Accuracy as a stated, tested property: the Bernoulli forms, against the 320-bit
//! reference in `tests/common/reference.rs`, with each bound either a target
//! the crate states or derived from the computation.
//!
//! Notation: u = 2⁻⁵³ is the unit roundoff; an error in ULP is measured
//! against the spacing of f64 at the reference value. A libm `ln`, `exp` or
//! `ln_1p` is taken to be within 1 ULP, that is 2u relative.
//!
//! Every test prints its worst cases as rows of one table; to see it whole:
//! `cargo test --test accuracy_bernoulli -- --nocapture --test-threads=1`.
//!
//! Cost: a 320-bit logarithm takes about 50 µs, so the reference work is
//! kept near 5·10⁴ `ln`/`exp` evaluations in all (each test prints its count).

mod common;

use common::accuracy::{
    Worst, abs_error, near_equal_kl_bound, print_evaluations, print_rows, ratio,
};
use common::reference::Reference;
use logloss_proofs::measures::bernoulli;
use logloss_proofs::numerics::{SMALLEST_SUBNORMAL, U};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED_BERNOULLI: u64 = 0x5EED_0009;
const SEED_BERNOULLI_NEAR: u64 = 0x5EED_000A;

// ---------------------------------------------------------------------------
// Bernoulli

/// Derived bound for bernoulli::entropy and bernoulli::cross_entropy: two
/// non-negative terms, −y·ln x (libm ln 2u, product u: 3u) and
/// −(1 − y)·ln_1p(−x) (1 − y u, ln_1p 2u, product u: 4u), then one sum (u):
/// 5u relative to first order; five roundings that may land among the
/// subnormals add at most 5·2⁻¹⁰⁷⁵ absolute.
fn bernoulli_loss_bound(exact: f64) -> f64 {
    5.0 * U * exact + 3.0 * SMALLEST_SUBNORMAL
}

/// Derived bound for bernoulli::kl_divergence, with T₁ = y ln(y/x) and
/// T₂ = (1 − y) ln((1 − y)/(1 − x)):
/// - a half in the near branch (ratio in [1/2, 2]) is g + d with
///   g = a ln(a/b) − a + b: g depends on the rounded 1 − y, 1 − x only
///   through their sum (u), and its evaluation adds about u, so 2u·g; d is
///   exact when the other half is near too (then the two d cancel exactly),
///   else rounded (u·|d|); there g ≤ 0.39|d| and |T| ≥ 0.61|d|, so
///   |g| + |d| ≤ 2.3|T|;
/// - a half in the far branch is a·(ln a − ln b) in double-double (about u),
///   but a and b may be rounded complements, which adds u·a(|ln(a/b)| + 2)
///   ≤ 3.9u·|T| since |ln(a/b)| ≥ ln 2: 5u·|T| in all;
/// - the compensated sum adds 2u·KL ≤ 2u(|T₁| + |T₂|).
///
/// Altogether at most 7u·(|T₁| + |T₂|). Where terms are subnormal the
/// products and error-free transformations lose up to 2⁻¹⁰⁷⁵ each; eight
/// such roundings (two two_prod splits and products per half) are allowed.
fn bernoulli_kl_bound(t1: f64, t2: f64) -> f64 {
    7.0 * U * (t1.abs() + t2.abs()) + 8.0 * SMALLEST_SUBNORMAL
}

/// A probability from one of four classes: uniform in (0, 1), log-uniform
/// down to 1e−300, subnormal, or 1 − 10⁻ᵏ near one.
fn bernoulli_draw(rng: &mut ChaCha8Rng, class: usize) -> f64 {
    match class {
        0 => rng.random::<f64>().max(f64::EPSILON),
        1 => 10f64.powf(-300.0 * rng.random::<f64>()).min(0.5),
        2 => [5e-324, 1e-310, 4e-320][rng.random_range(0..3)],
        _ => 1.0 - 10f64.powf(-15.0 * rng.random::<f64>()).min(0.5),
    }
}

/// y and x over the four classes and their combinations, plus y ∈ {0, 1}.
#[test]
fn bernoulli_forms_match_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_BERNOULLI);
    let mut reference = Reference::new();
    let class = "y, x uniform, tiny, subnormal, near 1";
    let mut h = Worst::new("bernoulli H", class, "err/bound", "≤ 1 (derived 5u)");
    let mut ce = Worst::new("bernoulli CE", class, "err/bound", "≤ 1 (derived 5u)");
    let mut kl = Worst::new("bernoulli KL", class, "err/bound", "≤ 1 (derived)");
    let mut h_ulp = Worst::new("bernoulli H", class, "ULP", "reported");
    let mut ce_ulp = Worst::new("bernoulli CE", class, "ULP", "reported");
    let mut kl_ulp = Worst::new("bernoulli KL", class, "ULP", "reported");
    let mut pairs = Vec::new();
    for case in 0..400 {
        let (cy, cx) = (case % 4, (case / 4) % 4);
        pairs.push((bernoulli_draw(&mut rng, cy), bernoulli_draw(&mut rng, cx)));
    }
    for y in [0.0, 1.0] {
        for class in 0..4 {
            pairs.push((y, bernoulli_draw(&mut rng, class)));
        }
    }
    for (y, x) in pairs {
        let at = || format!("y = {y:e}, x = {x:e}");

        let exact = reference.bernoulli_entropy(y);
        let (computed, r) = (
            bernoulli::entropy(y).unwrap(),
            reference.nearest_f64(&exact),
        );
        let err = abs_error(&mut reference, computed, &exact);
        h.record(ratio(err, bernoulli_loss_bound(r)), at);
        h_ulp.record(reference.ulp_error(computed, &exact), at);
        assert!(
            err <= bernoulli_loss_bound(r),
            "H({y:e}) = {computed:e}, reference {r:e}"
        );

        let exact = reference.bernoulli_cross_entropy(y, x);
        let (computed, r) = (
            bernoulli::cross_entropy(y, x).unwrap(),
            reference.nearest_f64(&exact),
        );
        let err = abs_error(&mut reference, computed, &exact);
        ce.record(ratio(err, bernoulli_loss_bound(r)), at);
        ce_ulp.record(reference.ulp_error(computed, &exact), at);
        assert!(
            err <= bernoulli_loss_bound(r),
            "CE({y:e}, {x:e}) = {computed:e}, reference {r:e}"
        );

        let terms = reference.bernoulli_kl_terms(y, x);
        let exact = reference.add(&terms.t1, &terms.t2);
        let (t1, t2) = (
            reference.nearest_f64(&terms.t1),
            reference.nearest_f64(&terms.t2),
        );
        let (computed, r) = (
            bernoulli::kl_divergence(y, x).unwrap(),
            reference.nearest_f64(&exact),
        );
        let err = abs_error(&mut reference, computed, &exact);
        let bound = bernoulli_kl_bound(t1, t2);
        kl.record(ratio(err, bound), at);
        kl_ulp.record(reference.ulp_error(computed, &exact), at);
        assert!(
            err <= bound,
            "KL({y:e}‖{x:e}) = {computed:e}, reference {r:e}, bound {bound:e}"
        );
    }
    print_rows(&[&h, &h_ulp, &ce, &ce_ulp, &kl, &kl_ulp]);
    print_evaluations("bernoulli", &reference);
}

/// x = y(1 + 1e−6·r), and on the other side 1 − x = (1 − y)(1 + 1e−6·r):
/// KL ≈ 1e−12·y/(1 − y)·r²/2 keeps its relative accuracy (within the derived
/// bound of `near_equal_kl_bound`, about 2u), because no complement is
/// subtracted from another.
#[test]
fn bernoulli_kl_near_equal_keeps_relative_accuracy() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_BERNOULLI_NEAR);
    let mut reference = Reference::new();
    let class = "x = y(1 ± 1e-6) or 1−x = (1−y)(1 ± 1e-6)";
    let mut rel = Worst::new("bernoulli KL", class, "relative", "≤ derived (≈ 2u)");
    let mut tightness: f64 = 0.0;
    for case in 0..120 {
        let r = 1e-6 * (2.0 * rng.random::<f64>() - 1.0);
        let (y, x) = match case % 3 {
            0 => {
                let y = rng.random::<f64>().clamp(1e-3, 0.99);
                (y, y * (1.0 + r))
            }
            1 => {
                let y = 10f64.powf(-200.0 * rng.random::<f64>()).min(0.5);
                (y, y * (1.0 + r))
            }
            _ => {
                let c = 10f64.powf(-12.0 * rng.random::<f64>()).min(0.5);
                (1.0 - c, 1.0 - c * (1.0 + r))
            }
        };
        if x == y {
            continue;
        }
        let terms = reference.bernoulli_kl_terms(y, x);
        let exact = reference.add(&terms.t1, &terms.t2);
        let kl = bernoulli::kl_divergence(y, x).unwrap();
        let e = reference.relative_error(kl, &exact);
        rel.record(e, || format!("y = {y:e}, x = {x:e}"));
        // The two pairs the kernel sees: (y, x) and the rounded complements,
        // whose rounding the bound allows once (see its derivation).
        let pairs = [(y, x), (1.0 - y, 1.0 - x)];
        let bound = near_equal_kl_bound(&pairs, reference.nearest_f64(&exact), 1.0);
        tightness = tightness.max(e / bound);
        assert!(
            e <= bound,
            "KL({y:e}‖{x:e}) = {kl:e}: relative error {e:e} > bound {bound:e}"
        );
    }
    print_rows(&[&rel]);
    // Tightness: the worst case must use at least a fifth of the bound
    // (about 2u, where a correctly rounded result is within u/2), or the
    // bound has gone slack.
    println!("| worst error / bound: {tightness:.3}");
    assert!(
        tightness >= 0.2,
        "the bound is loose: worst ratio {tightness}"
    );
    print_evaluations("bernoulli near-equal", &reference);
}
