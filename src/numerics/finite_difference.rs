//! The central difference as a check on an analytic derivative: one step
//! rule and one bound on the difference's error, for every check that
//! compares a gradient with the slope of the measured function (claims 5, 7
//! and 9).
//!
//! # The general rule
//!
//! For f with |f″| ≤ M₂ and |f‴| ≤ M₃ near z, evaluations f̃(z ± h) within
//! e₊ and e₋ of f(z ± h), and a step h, Taylor's theorem gives
//!
//! ```text
//! (f(z + h) − f(z − h))/(2h) = f′(z) + h²f‴(ξ)/6 + (e₊ + e₋)/(2h) + rounding
//! ```
//!
//! so the quotient's error is a truncation term h²M₃/6, an evaluation term
//! ε/h (ε the evaluations' error), the rounding of the arguments z ± h, and
//! the rounding of the quotient itself. The step balances the first two:
//! h²M₃/6 + ε/h is smallest at [`optimal_step`], h* = (3ε/M₃)^(1/3).
//!
//! # Its two cases
//!
//! The rule is applied in two ways, which differ in how the rounded
//! arguments z ± h are accounted for:
//!
//! - **Nominal steps** ([`difference_bound`] with [`power_of_two_step`],
//!   claims 7 and 9): the quotient divides by the nominal 2h, and the
//!   stored arguments differ from z ± h by at most u(|z| + h) each, which
//!   moves the quotient by the slope times u(|z| + h)/h; the slope is
//!   bounded by |g| + e_g + hM₂ from the analytic gradient g (within e_g).
//!   The step is rounded down to a power of two, at most 1, so that z ± h
//!   rounds as little as possible; ε is taken at least u. The analytic
//!   gradient's own bound e_g is part of the bound.
//! - **Stored steps** ([`stored_steps_bound`] with [`capped_step`], claim 5):
//!   the quotient divides by the stored width a + b, a = (z + h) − z and
//!   b = z − (z − h), so the arguments' rounding leaves only the asymmetry
//!   of the two steps, f″·(a − b)/2, bounded through M₂. This is what makes
//!   the rule hold for logits up to 10⁴, where z ± h rounds by far more than
//!   u·h and the slope term of the nominal case would swamp the bound. The
//!   step is capped at ¼ (the softmax bound M₃ grows like e^(2t) with the
//!   distance t from z) and not rounded, since the stored steps are measured
//!   anyway; every term carries a factor 1.01 for the bound's own rounding.
//!   The value the difference is compared with adds its own bound at the
//!   caller.
//!
//! Both are valid bounds for any smooth f; each claim keeps the case its
//! resolution was established with, since another bound changes the error
//! ratios and resolutions its reports record.

use super::U;

/// The step h* = (3ε/M₃)^(1/3) that minimizes the central difference's
/// truncation and evaluation terms h²M₃/6 + ε/h, for an evaluation error ε
/// and |f‴| ≤ M₃, with no cap or rounding: +∞ where M₃ = 0, 0 where ε = 0,
/// NaN where both are (the cases below say what to do there).
///
/// # Example
/// ```
/// use logloss_proofs::numerics::finite_difference::optimal_step;
/// // 3·2⁻⁹/3 = 2⁻⁹, a perfect cube: h* = ⅛.
/// assert_eq!(optimal_step(1.0 / 512.0, 3.0), 0.125);
/// assert_eq!(optimal_step(1.0, 0.0), f64::INFINITY);
/// ```
pub fn optimal_step(error: f64, m3: f64) -> f64 {
    (3.0 * error / m3).cbrt()
}

/// The bound on |(f(z + h) − f(z − h))/(2h) − f′(z)| for the computed
/// quotient, with |f″| ≤ M₂ and |f‴| ≤ M₃ near z, evaluation errors e₊
/// and e₋, and the analytic gradient g within e_g: the sum of h²M₃/6
/// (Taylor), (e₊ + e₋)/(2h), s·u(|z| + h)/h (z ± h rounded, times
/// s = |g| + e_g + hM₂ ≥ max|f′| on [z − h, z + h]), 2u·|quotient| and e_g.
/// The nominal-steps case of the module's rule.
///
/// # Example
/// ```
/// use logloss_proofs::numerics::U;
/// use logloss_proofs::numerics::finite_difference::difference_bound;
/// // With every other input zero (and h = 1) only the quotient's own
/// // rounding is left: 2u·|−2|.
/// let b = difference_bound(1.0, (0.0, 0.0), (0.0, 0.0), (0.0, 0.0), 0.0, -2.0);
/// assert_eq!(b, 4.0 * U);
/// ```
pub fn difference_bound(
    h: f64,
    (m2, m3): (f64, f64),
    (ep, em): (f64, f64),
    (gv, ge): (f64, f64),
    z: f64,
    quotient: f64,
) -> f64 {
    let slope = gv.abs() + ge + h * m2;
    h * h * m3 / 6.0
        + (ep + em) / (2.0 * h)
        + slope * U * (z.abs() + h) / h
        + 2.0 * U * quotient.abs()
        + ge
}

/// The central-difference step that minimizes h²M₃/6 + ε/h for an
/// evaluation error ε (at least u) and |f‴| ≤ M₃: h = (3ε/M₃)^(1/3)
/// ([`optimal_step`]), at most 1 (also where M₃ = 0), rounded down to a
/// power of two (so θ ± h rounds as little as possible). The step of the
/// nominal-steps case.
///
/// # Example
/// ```
/// use logloss_proofs::numerics::finite_difference::power_of_two_step;
/// // (3·9·2⁻³⁰)^(1/3) = 3·2⁻¹⁰, rounded down to 2⁻⁹.
/// assert_eq!(power_of_two_step(9.0 * 2f64.powi(-30), 1.0), 2f64.powi(-9));
/// assert_eq!(power_of_two_step(1.0, 0.0), 1.0);
/// ```
pub fn power_of_two_step(error: f64, m3: f64) -> f64 {
    let h = if m3 > 0.0 {
        optimal_step(error.max(U), m3).min(1.0)
    } else {
        1.0
    };
    2f64.powi(h.log2().floor() as i32)
}

/// The step of the stored-steps case: h = (3e/M₃)^(1/3) ([`optimal_step`])
/// for an evaluation bound e, capped at ¼, and ¼ where that is not a
/// positive finite number (M₃ = 0, or e = 0).
///
/// # Example
/// ```
/// use logloss_proofs::numerics::finite_difference::capped_step;
/// assert_eq!(capped_step(1.0 / 512.0, 3.0), 0.125);
/// assert_eq!(capped_step(1.0, 3.0), 0.25);
/// assert_eq!(capped_step(0.0, 3.0), 0.25);
/// ```
pub fn capped_step(error: f64, m3: f64) -> f64 {
    let h = optimal_step(error, m3);
    if h.is_finite() && h > 0.0 {
        h.min(0.25)
    } else {
        0.25
    }
}

/// The bound on |(f(z + a) − f(z − b))/(a + b) − f′(z)| for the computed
/// quotient, with the stored steps a = (z + h) − z and b = z − (z − h)
/// (each within u of its computed value), |f″| ≤ M₂ near z, |f‴| ≤ M₃(t)
/// within distance t of z, evaluations within e₊ and e₋, and Δf the
/// computed f̃(z + a) − f̃(z − b). From
///
/// ```text
/// (f(a) − f(−b))/(a + b) = f′ + f″·(a − b)/2 + [f‴(ξ₁)a³ + f‴(ξ₂)b³]/(6(a + b))
/// ```
///
/// the error is at most (e₊ + e₋ + u|Δf|)/(a + b) (the evaluations'
/// bounds and the subtraction), M₃(t)·t²/6 at t = max(a, b)(1 + u)
/// (truncation), (M₂/2)·(|a − b| + u(a + b)) (asymmetry) and 4u·|quotient|
/// (the division and the steps' rounding), all times 1.01. The
/// stored-steps case of the module's rule.
///
/// # Example
/// ```
/// use logloss_proofs::numerics::U;
/// use logloss_proofs::numerics::finite_difference::stored_steps_bound;
/// // Equal steps of 1, exact evaluations, M₃ = 0: the subtraction's
/// // u·|Δf|/(a + b) = u at Δf = 2, the asymmetry term's (M₂/2)·u(a + b) = 2u
/// // at M₂ = 2, and 4u·|1|, times 1.01.
/// let b = stored_steps_bound((1.0, 1.0), (2.0, &|_| 0.0), (0.0, 0.0), 2.0, 1.0);
/// assert!((b - 1.01 * 7.0 * U).abs() <= 4.0 * U * b);
/// ```
pub fn stored_steps_bound(
    (a, b): (f64, f64),
    (m2, m3): (f64, &dyn Fn(f64) -> f64),
    (ep, em): (f64, f64),
    difference: f64,
    quotient: f64,
) -> f64 {
    let width = a + b;
    let hmax = a.max(b) * (1.0 + U);
    let bound = (ep + em + U * difference.abs()) / width
        + m3(hmax) * hmax * hmax / 6.0
        + m2 / 2.0 * ((a - b).abs() + U * width)
        + 4.0 * U * quotient.abs();
    1.01 * bound
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The step (3ε/M₃)^(1/3) rounded down to a power of two: ε = 9·2⁻³⁰,
    /// M₃ = 1 give (27·2⁻³⁰)^(1/3) = 3·2⁻¹⁰, so 2⁻⁹; capped at 1 when M₃
    /// is small or 0; ε below u counts as u.
    #[test]
    fn the_step_is_a_power_of_two_near_the_optimum() {
        assert_eq!(power_of_two_step(9.0 * 2f64.powi(-30), 1.0), 2f64.powi(-9));
        assert_eq!(power_of_two_step(9.0 * 2f64.powi(-30), 8.0), 2f64.powi(-10));
        assert_eq!(power_of_two_step(1.0, 1e-9), 1.0);
        assert_eq!(power_of_two_step(1.0, 0.0), 1.0);
        assert_eq!(power_of_two_step(0.0, 3.0), power_of_two_step(U, 3.0));
    }

    /// h = (3e/M₃)^(1/3): 3·2⁻⁹/3 = 2⁻⁹, a perfect cube (h = ⅛); capped
    /// at ¼, and ¼ where the formula gives 0 or ∞.
    #[test]
    fn the_capped_step_is_the_optimum_up_to_a_quarter() {
        assert_eq!(optimal_step(1.0 / 512.0, 3.0), 0.125);
        assert_eq!(capped_step(1.0 / 512.0, 3.0), 0.125);
        assert_eq!(capped_step(1.0, 3.0), 0.25);
        assert_eq!(capped_step(0.0, 3.0), 0.25);
        assert_eq!(capped_step(1.0, 0.0), 0.25);
    }

    /// Both cases of the rule against f(x) = A·e^(kx) at 320 bits, whose
    /// derivatives are known exactly (|f⁽ʲ⁾| ≤ |A||k|ʲe^(kz + |k|t) within t
    /// of z), with evaluations f̃(z ± h) = f(stored argument) moved by
    /// ±e (rounded; e₊, e₋ the stored errors at 320 bits, rounded up), in
    /// the direction that adds to the quotient's error or at random; steps
    /// at the rule's choice and 2⁴ times smaller and larger; z from −5 to 5,
    /// and z near 10³ (f centred there), where z ± h rounds by much more
    /// than u·h.
    /// `difference_bound` (nominal steps) covers |quotient − g̃| for the
    /// analytic g̃ = fl(f′(z)) within its stored error; `stored_steps_bound`
    /// covers |quotient − f′(z)|.
    ///
    /// Floors 2⁻¹ for both (1.00 and 0.99 seen): at large steps the
    /// truncation term h²M₃/6 is met up to M₃'s growth over the interval,
    /// at small steps the evaluation term (e₊ + e₋)/(2h) is met when the
    /// errors point apart.
    #[test]
    fn both_cases_cover_the_exact_derivative() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::{PREC as P, RM, big, error_of, to_f64};
        use rand::RngExt;
        bound_checks(
            "central-difference-rule",
            [
                ("central difference, nominal steps", 0.5),
                ("central difference, stored steps", 0.5),
            ],
            150,
            |k, rng, cc, [nominal, stored]| {
                let amp = uniform(rng, 0.5, 2.0) * if rng.random::<bool>() { 1.0 } else { -1.0 };
                let rate = uniform(rng, -3.0, 3.0);
                let z = if k % 5 == 0 {
                    1000.0 + uniform(rng, 0.0, 1.0)
                } else {
                    uniform(rng, -5.0, 5.0)
                };
                // f(x) = A·e^(k(x − c)), c = 1000 for the far points (exact).
                let centre = if k % 5 == 0 { 1000.0 } else { 0.0 };
                let f = |x: f64, cc: &mut astro_float::Consts| {
                    let t = big(x).sub(&big(centre), P, RM);
                    big(amp).mul(&big(rate).mul(&t, P, RM).exp(P, RM, cc), P, RM)
                };
                // The f64 exp is within an ulp; 10⁻¹² keeps M₂, M₃ above the exact.
                let level = |t: f64| {
                    amp.abs() * (rate * (z - centre) + rate.abs() * t).exp() * (1.0 + 1e-12)
                };
                let m2 = |t: f64| level(t) * rate * rate;
                let m3 = |t: f64| level(t) * rate.abs().powi(3);
                let f0 = to_f64(&f(z, cc), cc).abs();
                let e = f0 * 10f64.powf(-uniform(rng, 9.0, 15.5));
                let slope = big(rate).mul(&f(z, cc), P, RM);
                let apart = rng.random::<bool>() || k % 2 == 0;
                let evaluate = |x: f64, sign: f64, cc: &mut astro_float::Consts| {
                    let exact = f(x, cc);
                    let moved = to_f64(&exact.add(&big(sign * e), P, RM), cc);
                    (moved, error_of(moved, &exact, cc) * (1.0 + 2.0 * U))
                };
                let dir = if slope.is_negative() { -1.0 } else { 1.0 };
                let (sp, sm) = if apart { (dir, -dir) } else { (1.0, 1.0) };
                // Nominal steps.
                let h0 = power_of_two_step(e, m3(1.0));
                for h in [h0, h0 / 16.0, (h0 * 16.0).min(1.0)] {
                    let (fp, ep) = evaluate(z + h, sp, cc);
                    let (fm, em) = evaluate(z - h, sm, cc);
                    let quotient = (fp - fm) / (2.0 * h);
                    let g = to_f64(&slope, cc);
                    let eg = error_of(g, &slope, cc) * (1.0 + 2.0 * U);
                    let bound = difference_bound(h, (m2(h), m3(h)), (ep, em), (g, eg), z, quotient);
                    let diff = big(quotient).sub(&big(g), P, RM);
                    nominal.record(error_of(0.0, &diff, cc), bound, || {
                        format!("A {amp}, k {rate}, z {z}, h {h:e}, e {e:e}")
                    });
                }
                // Stored steps.
                let h0 = capped_step(e, m3(0.25));
                for h in [h0, h0 / 16.0, (h0 * 16.0).min(0.25)] {
                    let (zp, zm) = (z + h, z - h);
                    let (a, b) = (zp - z, z - zm);
                    let (fp, ep) = evaluate(zp, sp, cc);
                    let (fm, em) = evaluate(zm, sm, cc);
                    let difference = fp - fm;
                    let quotient = difference / (a + b);
                    let bound = stored_steps_bound(
                        (a, b),
                        (m2(a.max(b) * (1.0 + U)), &m3),
                        (ep, em),
                        difference,
                        quotient,
                    );
                    stored.value(quotient, &slope, bound, cc, || {
                        format!("A {amp}, k {rate}, z {z}, h {h:e}, e {e:e}")
                    });
                }
            },
        );
    }
}
