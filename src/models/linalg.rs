//! Small dense linear algebra (row-major d×d), with the rounding-error bounds
//! the fits' certificates need.

pub(crate) use crate::numerics::{U, gamma};

/// ‖v‖₂, accumulated in a plain loop (relative error ≤ γ_{d+2}).
pub(crate) fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// An upper bound on the exact ‖v‖₂ of the stored v: the computed norm
/// rounded up by its own error bound γ_{d+2}.
pub(crate) fn norm2_up(v: &[f64]) -> f64 {
    norm2(v) * (1.0 + gamma(v.len() + 2))
}

/// ‖v‖₂ by repeated `hypot`: ‖(v₁, …, v_d)‖ = hypot(… hypot(hypot(0, v₁), v₂) …, v_d),
/// free of the overflow and underflow of the squares (each step rounds once,
/// so the relative error is at most d·u). For d = 2 it is exactly
/// `v₁.hypot(v₂)`, as hypot(0, x) = |x|.
pub(crate) fn hypot_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |acc, x| acc.hypot(*x))
}

/// The smallest and largest eigenvalues of the symmetric d×d matrix `a`
/// (row-major), computed (not bounded).
///
/// d = 1: the entry itself. d = 2, a = (a, b; b, c): with m = (a + c)/2 and
/// r = hypot((a − c)/2, b), λ_max = m + r and λ_min = (ac − b²)/λ_max when
/// λ_max > 0 (which avoids the cancellation of m − r), m − r otherwise.
/// d ≥ 3: cyclic Jacobi rotations until the off-diagonal mass is below u²
/// times the diagonal's (at most 100 sweeps), then the extreme diagonal entries.
pub(crate) fn extreme_eigenvalues(a: &[f64], d: usize) -> (f64, f64) {
    match d {
        1 => (a[0], a[0]),
        2 => {
            let (a, b, c) = (a[0], a[1], a[3]);
            let mean = 0.5 * (a + c);
            let radius = (0.5 * (a - c)).hypot(b);
            let large = mean + radius;
            let small = if large > 0.0 {
                (a * c - b * b) / large
            } else {
                mean - radius
            };
            (small, large)
        }
        _ => jacobi_extremes(a, d),
    }
}

/// The extreme eigenvalues of a symmetric d×d matrix by cyclic Jacobi
/// rotations (Numerical Recipes' rotation: θ = (a_qq − a_pp)/(2a_pq),
/// t = sgn θ/(|θ| + √(θ² + 1)), c = 1/√(t² + 1), s = tc, A ← PᵀAP).
fn jacobi_extremes(a: &[f64], d: usize) -> (f64, f64) {
    let mut m = a.to_vec();
    for _ in 0..100 {
        let mut off = 0.0;
        let mut diag = 0.0;
        for i in 0..d {
            for j in 0..d {
                let v = m[i * d + j] * m[i * d + j];
                if i == j {
                    diag += v;
                } else {
                    off += v;
                }
            }
        }
        if off.is_nan() || diag.is_nan() || off <= U * U * diag {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = m[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * d + q] - m[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (kp, kq) = (m[k * d + p], m[k * d + q]);
                    m[k * d + p] = c * kp - s * kq;
                    m[k * d + q] = s * kp + c * kq;
                }
                for k in 0..d {
                    let (pk, qk) = (m[p * d + k], m[q * d + k]);
                    m[p * d + k] = c * pk - s * qk;
                    m[q * d + k] = s * pk + c * qk;
                }
            }
        }
    }
    (0..d).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), i| {
        let v = m[i * d + i];
        (lo.min(v), hi.max(v))
    })
}

/// The Cholesky factor L (lower triangular, row-major) with L·Lᵀ = a, or
/// `None` if a pivot is not positive (a is not numerically positive definite).
pub(crate) fn cholesky(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= l[i * d + k] * l[j * d + k];
            }
            if i == j {
                if !(s.is_finite() && s > 0.0) {
                    return None;
                }
                l[i * d + i] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    Some(l)
}

/// Solves L·Lᵀ·x = b for the factor of [`cholesky`].
pub(crate) fn solve_cholesky(l: &[f64], d: usize, b: &[f64]) -> Vec<f64> {
    let mut y = b.to_vec();
    for i in 0..d {
        for k in 0..i {
            y[i] -= l[i * d + k] * y[k];
        }
        y[i] /= l[i * d + i];
    }
    for i in (0..d).rev() {
        for k in i + 1..d {
            y[i] -= l[k * d + i] * y[k];
        }
        y[i] /= l[i * d + i];
    }
    y
}

/// A certified lower bound on the smallest eigenvalue of the stored symmetric
/// matrix `a` (d×d, row-major), or `None` if no positive bound was found.
///
/// Method: inverse iteration estimates λ_min; then a shift s slightly below
/// the estimate is lowered until the Cholesky factorization of a − s·I
/// succeeds. Success proves a − s·I is nearly positive semidefinite: the
/// computed factor L satisfies L·Lᵀ = M + ΔM with |ΔM| ≤ γ_{d+1}·|L|·|Lᵀ|
/// (Higham, *Accuracy and Stability of Numerical Algorithms*, Thm 10.3), where
/// M = fl(a − s·I) differs from a − s·I by at most u·|Mᵢᵢ| on the diagonal. As
/// L·Lᵀ ⪰ 0 and ‖|L|·|Lᵀ|‖₂ ≤ ‖L‖_F²,
///
/// ```text
/// λ_min(a) ≥ s − γ_{d+1}·‖L‖_F² − 2u·maxᵢ|Mᵢᵢ|
/// ```
///
/// (the last term with a factor 2 to cover (1 − u)⁻¹). The bound is returned
/// rounded down by a further 4u relative.
/// The floor s − γ_{d+1}·‖L‖_F² − 2u·maxᵢ|Mᵢᵢ| of [`min_eigenvalue_lower_bound`]
/// for a successful factorization at shift s: the loss rounded up by
/// (1 + γ_{d+4}) (its own d² + 3 operations), the result down by 4u.
fn certified_floor(shift: f64, frob2: f64, max_diag: f64, d: usize) -> f64 {
    let loss = (gamma(d + 1) * frob2 + 2.0 * U * max_diag) * (1.0 + gamma(d + 4));
    (shift - loss) * (1.0 - 4.0 * U)
}

pub(crate) fn min_eigenvalue_lower_bound(a: &[f64], d: usize) -> Option<f64> {
    if d == 0 || a.iter().any(|x| !x.is_finite()) {
        return None;
    }
    if d == 1 {
        // The 1×1 matrix is its own eigenvalue, exactly.
        return (a[0] > 0.0).then_some(a[0]);
    }
    let l = cholesky(a, d)?;
    // Inverse iteration: ‖a⁻¹v‖ → 1/λ_min for a unit v with a component
    // along the smallest eigenvector; 1/‖a⁻¹v‖ ≥ λ_min for every unit v.
    let mut v: Vec<f64> = (0..d).map(|j| 1.0 + j as f64 / (d as f64 + 1.0)).collect();
    let n0 = norm2(&v);
    v.iter_mut().for_each(|x| *x /= n0);
    let mut estimate = f64::INFINITY;
    for _ in 0..40 {
        let w = solve_cholesky(&l, d, &v);
        let nw = norm2(&w);
        if !(nw.is_finite() && nw > 0.0) {
            break;
        }
        let next = 1.0 / nw;
        v = w.iter().map(|x| x / nw).collect();
        let converged = (estimate - next).abs() <= next * 1e-6;
        estimate = next;
        if converged {
            break;
        }
    }
    if !(estimate.is_finite() && estimate > 0.0) {
        return None;
    }
    let mut shift = estimate * (1.0 - 1.0 / 1024.0);
    let mut m = a.to_vec();
    for _ in 0..200 {
        for i in 0..d {
            m[i * d + i] = a[i * d + i] - shift;
        }
        if let Some(factor) = cholesky(&m, d) {
            let frob2: f64 = factor.iter().map(|x| x * x).sum();
            let max_diag = (0..d).map(|i| m[i * d + i].abs()).fold(0.0, f64::max);
            let bound = certified_floor(shift, frob2, max_diag, d);
            return (bound > 0.0).then_some(bound);
        }
        shift *= 0.75;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_known_system() {
        // a = [[4, 2], [2, 3]], a·[1, 2] = [8, 8]: small integers, exact.
        let a = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&a, 2).unwrap();
        let x = solve_cholesky(&l, 2, &[8.0, 8.0]);
        // Cholesky solves are backward stable: the residual of each entry is
        // within γ_{3d}·(|a|·|x|) = γ₆·(4·1 + 2·2) for this system.
        let bound = gamma(6) * 8.0 * 4.0;
        assert!(
            (x[0] - 1.0).abs() <= bound && (x[1] - 2.0).abs() <= bound,
            "{x:?}"
        );
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none()); // eigenvalues −1, 3
    }

    #[test]
    fn eigenvalue_bound_is_below_and_near_the_closed_form() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3 (closed form).
        let lb = min_eigenvalue_lower_bound(&[2.0, 1.0, 1.0, 2.0], 2).unwrap();
        assert!(lb <= 1.0);
        // The estimate 1/‖a⁻¹v‖ is at least λ_min = 1 and, stopped at a
        // relative change of 10⁻⁶ of a ratio-⅓ iteration, within 10⁻⁵ of it;
        // the first shift (1 − 2⁻¹⁰)·estimate ≥ 1 − 2⁻¹⁰ is then below 1,
        // so a − sI is positive definite (eigenvalues ≥ 2⁻¹⁰ − 10⁻⁵) and
        // factors at once. The rounding loss is (γ₃·‖L‖_F² + 2u·max|Mᵢᵢ|)
        // (1 + γ₆) with ‖L‖_F² = trace(a − sI) ≤ 4 and |Mᵢᵢ| ≤ 2: below 20u.
        assert!(lb >= (1.0 - 1.0 / 1024.0) - 20.0 * U, "{lb}");
        // diag(1e-8, 1): the small eigenvalue is found despite the spread
        // (v's second component shrinks by 10⁻⁸ per step), the first shift
        // factors again; here trace ≤ 1 + 1e-8 and |Mᵢᵢ| ≤ 1, so the loss is
        // below 8u.
        let lb = min_eigenvalue_lower_bound(&[1e-8, 0.0, 0.0, 1.0], 2).unwrap();
        assert!(
            (1e-8 * (1.0 - 1.0 / 1024.0) - 8.0 * U..=1e-8).contains(&lb),
            "{lb}"
        );
        assert!(min_eigenvalue_lower_bound(&[1.0, 1.0, 1.0, 1.0], 2).is_none()); // singular
    }

    /// The same matrix times 2³⁰: every operation of the iteration, the
    /// factorization and the floor scales exactly by powers of two, so the
    /// bound is the one above times 2³⁰. The inverse iteration must still run
    /// to its relative stopping rule (an absolute rule, or one that stops
    /// early at large eigenvalues, leaves the estimate a few per cent high,
    /// and the shift must then back off by quarters).
    #[test]
    fn eigenvalue_bound_scales_with_the_matrix() {
        let s = 2f64.powi(30);
        let lb = min_eigenvalue_lower_bound(&[2.0 * s, s, s, 2.0 * s], 2).unwrap();
        assert!(
            lb <= s && lb >= ((1.0 - 1.0 / 1024.0) - 20.0 * U) * s,
            "{lb} against λ_min = {s}"
        );
    }

    #[test]
    fn eigenvalues_of_a_diagonal_matrix() {
        assert_eq!(extreme_eigenvalues(&[2.0, 0.0, 0.0, 5.0], 2), (2.0, 5.0));
    }

    /// (2, 1, 0; 1, 2, 0; 0, 0, 5) has eigenvalues 1, 3 and 5: Jacobi's
    /// one rotation of the leading block (θ = 0, t = 1, c = s = √½) gives
    /// them within a few roundings of entries of size 5 (16u·5 allowed);
    /// (−3) and (4, −1; −1, 4) (eigenvalues 3, 5) take the closed forms.
    #[test]
    fn extreme_eigenvalues_in_one_two_and_three_dimensions() {
        let (lo, hi) = extreme_eigenvalues(&[2.0, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 5.0], 3);
        assert!(
            (lo - 1.0).abs() <= 80.0 * U && (hi - 5.0).abs() <= 80.0 * U,
            "{lo} {hi}"
        );
        assert_eq!(extreme_eigenvalues(&[-3.0], 1), (-3.0, -3.0));
        assert_eq!(extreme_eigenvalues(&[4.0, -1.0, -1.0, 4.0], 2), (3.0, 5.0));
    }

    /// hypot(hypot(0, 3), 4) = 5 exactly, and a vector whose squares
    /// overflow keeps its norm: ‖(3·2¹⁰⁰⁰, 4·2¹⁰⁰⁰)‖ = 5·2¹⁰⁰⁰.
    #[test]
    fn hypot_norm_is_exact_on_pythagorean_triples_and_does_not_overflow() {
        assert_eq!(hypot_norm(&[3.0, 4.0]), 5.0);
        assert_eq!(hypot_norm(&[-3.0, 4.0]), 3.0f64.hypot(4.0));
        let big = 2f64.powi(1000);
        assert_eq!(hypot_norm(&[3.0 * big, 4.0 * big]), 5.0 * big);
        assert_eq!(hypot_norm(&[]), 0.0);
    }

    /// The certified floor stays below the exact smallest eigenvalue of
    /// random symmetric 2×2 matrices (closed form at 320 bits:
    /// (a + c)/2 − √(((a − c)/2)² + b²)), from well conditioned to nearly
    /// singular (λ_min/λ_max down to 10⁻¹²), its ratio to λ_min recorded.
    ///
    /// Floor 2⁻¹ (0.999 seen): the first shift is (1 − 2⁻¹⁰) times the
    /// inverse-iteration estimate and the rounding loss is a few u of the
    /// trace, so the floor is nearly λ_min unless λ_min is within a few u of
    /// the trace (where no positive floor is certified).
    #[test]
    fn certified_floor_is_below_and_near_the_exact_eigenvalue() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::{PREC as P, RM, big, to_f64};
        bound_checks(
            "certified-floor",
            [("certified floor of λ_min", 0.5)],
            150,
            |k, rng, cc, [check]| {
                let big_l = 10f64.powf(uniform(rng, -3.0, 3.0));
                let small =
                    big_l * 10f64.powf(-uniform(rng, 0.0, if k % 3 == 0 { 12.0 } else { 3.0 }));
                let angle = uniform(rng, 0.0, std::f64::consts::PI);
                let (c, s) = (angle.cos(), angle.sin());
                let a = [
                    big_l * c * c + small * s * s,
                    (big_l - small) * c * s,
                    (big_l - small) * c * s,
                    big_l * s * s + small * c * c,
                ];
                let (x, y, z) = (big(a[0]), big(a[1]), big(a[3]));
                let half_sum = x.add(&z, P, RM).div(&big(2.0), P, RM);
                let half_diff = x.sub(&z, P, RM).div(&big(2.0), P, RM);
                let radius = half_diff
                    .mul(&half_diff, P, RM)
                    .add(&y.mul(&y, P, RM), P, RM)
                    .sqrt(P, RM);
                let exact = to_f64(&half_sum.sub(&radius, P, RM), cc);
                if let Some(lb) = min_eigenvalue_lower_bound(&a, 2) {
                    check.record(lb.max(0.0), exact, || format!("{a:?}"));
                }
            },
        );
    }
}
