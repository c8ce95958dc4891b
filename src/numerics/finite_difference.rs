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

    /// The central-difference bound against its documented formula.
    #[test]
    fn difference_bound_follows_its_formula() {
        // Dyadic arguments: h = 2⁻⁸ and M₃ = 6·2¹⁶ give h²M₃/6 = 1; the
        // evaluation errors (2⁻⁹ + 2⁻¹⁰)/(2h) = 3/8; slope
        // s = 3 + ⅛ + 2⁻⁸·4 with (|z| + h)/h = 7·256 + 1; 2u·|−2|; e_g = ⅛.
        // A handful of roundings of non-negative terms: 4u relative.
        let h = 2f64.powi(-8);
        let got = difference_bound(
            h,
            (4.0, 6.0 * 65536.0),
            (2f64.powi(-9), 2f64.powi(-10)),
            (-3.0, 0.125),
            7.0,
            -2.0,
        );
        let slope = 3.0 + 0.125 + 4.0 / 256.0;
        let want = 1.0 + 0.375 + slope * U * 1793.0 + 4.0 * U + 0.125;
        assert!((got - want).abs() <= 4.0 * U * want, "{got:e} vs {want:e}");
        // The quotient's own rounding, which the case above cannot resolve:
        // with every other input zero (and h = 1) the bound is 2u·|−2|.
        assert_eq!(
            difference_bound(1.0, (0.0, 0.0), (0.0, 0.0), (0.0, 0.0), 0.0, -2.0),
            4.0 * U
        );
    }

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

    /// The stored-steps bound at dyadic arguments where each term is a
    /// distinct size: steps a = 2⁻⁸, b = 2⁻⁹ (width 3·2⁻⁹), e± = 2⁻⁴⁰,
    /// Δf = 2⁻⁸, M₂ = 4, M₃(t) = 6 (so the truncation term is t² with
    /// t = 2⁻⁸(1 + u)), quotient 2⁻⁸/(3·2⁻⁹) = ⅔. The formula evaluated here
    /// in another order: a dozen roundings of non-negative terms, 8u.
    #[test]
    fn stored_steps_bound_follows_its_formula() {
        let (a, b) = (2f64.powi(-8), 2f64.powi(-9));
        let width = a + b;
        let quotient = 2f64.powi(-8) / width;
        let got = stored_steps_bound(
            (a, b),
            (4.0, &|_| 6.0),
            (2f64.powi(-40), 2f64.powi(-40)),
            2f64.powi(-8),
            quotient,
        );
        let t = a * (1.0 + U);
        let want = 1.01
            * ((2f64.powi(-39) + U * 2f64.powi(-8)) / width
                + t * t
                + 2.0 * (2f64.powi(-9) + U * width)
                + 4.0 * U * quotient);
        assert!((got - want).abs() <= 8.0 * U * want, "{got:e} vs {want:e}");
        // The third-derivative bound is asked at max(a, b)(1 + u).
        let seen = std::cell::Cell::new(0.0);
        stored_steps_bound(
            (a, b),
            (0.0, &|t| {
                seen.set(t);
                0.0
            }),
            (0.0, 0.0),
            0.0,
            0.0,
        );
        assert_eq!(seen.get(), t);
    }
}
