//! Per-term kernels shared by the vector, Bernoulli and batched measures.
//!
//! The kernels do not validate; callers do. Each adds its terms to a
//! [`NeumaierSum`] so that the only rounding left per term is that of `ln`
//! and one or two products.
//!
//! The vector measures run on the eight-lane kernels of `lanes.rs`; the
//! per-term functions here serve the Bernoulli forms, the lanes' rare
//! entries outside their fast range, and (in tests) as the sequential
//! reference the lanes are checked against.

use super::ln::ln_dd;
use crate::numerics::NeumaierSum;
use crate::numerics::dd::{two_prod, two_sum};

/// Coefficients 1/(2k + 3), k = 0..17, of B(x) = Σ xᵏ/(2k + 3), where
/// atanh(s) − s = s³·B(s²). Seventeen terms: for x = s² ≤ 1/9 the remainder is
/// below (1/9)¹⁷/37 ≈ 1.6e−18, far under one rounding of the result.
pub(super) const ATANH_TAIL: [f64; 17] = [
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
    1.0 / 23.0,
    1.0 / 25.0,
    1.0 / 27.0,
    1.0 / 29.0,
    1.0 / 31.0,
    1.0 / 33.0,
    1.0 / 35.0,
];

/// Adds g(a, b) = a·ln(a/b) − a + b ≥ 0, for a/b ∈ [1/2, 2], without cancellation.
///
/// With s = (a − b)/(a + b) ∈ [−1/3, 1/3], a/b = (1 + s)/(1 − s), so
/// ln(a/b) = 2·atanh(s) and
///
/// ```text
/// g = (a − b) · s · [1 + s(1 + s)·B(s²)],   B(x) = Σₖ xᵏ/(2k + 3)
/// ```
///
/// Every factor is well conditioned: `d = a − b` is exact there (Sterbenz),
/// and the bracket lies in [0.83, 1.17].
#[inline]
pub(crate) fn add_near_gap(d: f64, a: f64, b: f64, acc: &mut NeumaierSum) {
    // s = d/(a + b) as a double-double (s_hi, s_lo).
    let (sum_hi, sum_lo) = two_sum(a, b);
    let s = d / sum_hi;
    let (qh, ql) = two_prod(s, sum_hi);
    let s_lo = (((d - qh) - ql) - s * sum_lo) / sum_hi;
    // d·s exactly, plus d·s_lo.
    let (gh, gl) = two_prod(d, s);
    let gl = gl + d * s_lo;
    // The bracket 1 + c, |c| ≤ 0.17: c in plain double costs at most about
    // 0.4u relative to g, the only rounding left in the term.
    let x = s * s;
    let mut poly = ATANH_TAIL[16];
    for &coef in ATANH_TAIL[..16].iter().rev() {
        poly = poly * x + coef;
    }
    let c = s * (1.0 + s) * poly;
    acc.add(gh);
    acc.add(gh * c + gl);
}

/// Adds a·ln(b) (a ≥ 0, b > 0) to `acc` as a double-double: exact product,
/// logarithm to 2⁻⁶⁸, so the term carries no rounding of its own.
#[inline]
pub(crate) fn add_a_ln_b(a: f64, b: f64, acc: &mut NeumaierSum, sign: f64) {
    let (lh, ll) = ln_dd(b);
    let (ph, pl) = two_prod(a, lh);
    acc.add(sign * ph);
    acc.add_low(sign * (pl + a * ll));
}

/// Adds a·(ln a − ln b) to `acc` for a, b > 0, as a double-double.
#[inline]
fn add_a_ln_ratio(a: f64, b: f64, acc: &mut NeumaierSum) {
    let (ah, al) = ln_dd(a);
    let (bh, bl) = ln_dd(b);
    let (dh, dl) = two_sum(ah, -bh);
    let (ph, pl) = two_prod(a, dh);
    acc.add(ph);
    acc.add_low(pl + a * (dl + (al - bl)));
}

/// Adds a·ln(a/b) to `acc`, for a, b ≥ 0 with `d` = a − b (exact whenever
/// a/b ∈ [1/2, 2]). Returns `false` for a support mismatch (a > 0 = b): the
/// term is +∞.
///
/// Near a = b the term is split into the non-negative g(a, b) and the signed
/// d, whose sum over a distribution is (almost) zero; this keeps KL's relative
/// accuracy when KL ≈ 0, where the signed terms a·ln(a/b) cancel.
#[inline]
pub(crate) fn add_kl_term(a: f64, b: f64, d: f64, acc: &mut NeumaierSum) -> bool {
    if a == 0.0 {
        return true; // 0·ln(0/b) = 0, also for b = 0
    }
    if b == 0.0 {
        return false;
    }
    if b <= 2.0 * a && a <= 2.0 * b {
        add_near_gap(d, a, b, acc);
        acc.add(d);
    } else {
        add_a_ln_ratio(a, b, acc);
    }
    true
}

/// KL(p‖q) = Σ pᵢ ln(pᵢ/qᵢ) for validated, equal-length p and q, by the
/// eight-lane kernels of `lanes.rs` (vectorized where the CPU allows).
pub(crate) fn kl(p: &[f64], q: &[f64]) -> f64 {
    super::lanes::kl(p, q)
}

/// CE(p, q) = −Σ pᵢ ln qᵢ for validated, equal-length p and q (eight lanes).
pub(crate) fn cross_entropy(p: &[f64], q: &[f64]) -> f64 {
    super::lanes::cross_entropy(p, q)
}

/// H(p) = −Σ pᵢ ln pᵢ for a validated p (eight lanes).
pub(crate) fn entropy(p: &[f64]) -> f64 {
    super::lanes::entropy(p)
}

/// KL(p‖q) = Σ pᵢ ln(pᵢ/qᵢ), one term after another: the sequential
/// reference the eight-lane kernels are tested against.
#[cfg(test)]
pub(crate) fn kl_sequential(p: &[f64], q: &[f64]) -> f64 {
    let mut acc = NeumaierSum::new();
    for (&a, &b) in p.iter().zip(q) {
        if !add_kl_term(a, b, a - b, &mut acc) {
            return f64::INFINITY;
        }
    }
    acc.value()
}

/// CE(p, q) = −Σ pᵢ ln qᵢ, sequential reference.
#[cfg(test)]
pub(crate) fn cross_entropy_sequential(p: &[f64], q: &[f64]) -> f64 {
    let mut acc = NeumaierSum::new();
    for (&a, &b) in p.iter().zip(q) {
        if a == 0.0 {
            continue;
        }
        if b == 0.0 {
            return f64::INFINITY;
        }
        add_a_ln_b(a, b, &mut acc, -1.0);
    }
    acc.value()
}

/// H(p) = −Σ pᵢ ln pᵢ, sequential reference.
#[cfg(test)]
pub(crate) fn entropy_sequential(p: &[f64]) -> f64 {
    let mut acc = NeumaierSum::new();
    for &a in p {
        if a > 0.0 {
            add_a_ln_b(a, a, &mut acc, -1.0);
        }
    }
    acc.value()
}
