//! The central difference as a check on an analytic derivative: one step
//! rule and one bound on the difference's error, for every check that
//! compares a gradient with the slope of the measured function.
//!
//! ```text
//! (f(z + h) − f(z − h))/(2h) = f′(z) + h²f‴(ξ)/6 + (e₊ + e₋)/(2h) + rounding
//! ```

use super::U;

/// The bound on |(f(z + h) − f(z − h))/(2h) − f′(z)| for the computed
/// quotient, with |f″| ≤ M₂ and |f‴| ≤ M₃ near z, evaluation errors e₊
/// and e₋, and the analytic gradient g within e_g: the sum of h²M₃/6
/// (Taylor), (e₊ + e₋)/(2h), s·u(|z| + h)/h (z ± h rounded, times
/// s = |g| + e_g + hM₂ ≥ max|f′| on [z − h, z + h]), 2u·|quotient| and e_g.
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
/// evaluation error ε (at least u) and |f‴| ≤ M₃: h = (3ε/M₃)^(1/3), at
/// most 1 (also where M₃ = 0), rounded down to a power of two (so θ ± h
/// rounds as little as possible).
pub fn power_of_two_step(error: f64, m3: f64) -> f64 {
    let h = if m3 > 0.0 {
        (3.0 * error.max(U) / m3).cbrt().min(1.0)
    } else {
        1.0
    };
    2f64.powi(h.log2().floor() as i32)
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
}
