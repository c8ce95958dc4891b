//! Newton's method for smooth convex objectives, with a convergence
//! certificate: a proven bound on the distance to the exact minimizer.

use super::error::ModelError;
use super::linalg::{
    U, cholesky, gamma, min_eigenvalue_lower_bound, norm2, norm2_up, solve_cholesky,
};

/// A computed gradient with a bound on its rounding error.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientEval {
    /// The computed gradient.
    pub gradient: Vec<f64>,
    /// Entrywise bounds: |computedⱼ − exactⱼ| ≤ errorⱼ, where "exact" is the
    /// gradient of the exact objective at the given parameters.
    pub error: Vec<f64>,
}

/// A computed Hessian (d×d, row-major) with a bound on its rounding error.
#[derive(Debug, Clone, PartialEq)]
pub struct HessianEval {
    /// The computed Hessian, row-major.
    pub hessian: Vec<f64>,
    /// A bound on the Frobenius norm of (computed − exact), which bounds the
    /// spectral norm of the error.
    pub error: f64,
}

/// A smooth **convex** objective f: ℝᵈ → ℝ ∪ {+∞}, as Newton's method and its
/// certificate need it.
///
/// Convexity on the whole space is what makes a local certificate global:
/// see [`certify`].
pub trait Objective {
    /// The number of parameters d.
    fn dimension(&self) -> usize;
    /// f(θ), or +∞ outside the domain. Used only to choose step lengths.
    fn value(&self, theta: &[f64]) -> f64;
    /// ∇f(θ) with an entrywise rounding-error bound.
    fn gradient(&self, theta: &[f64]) -> GradientEval;
    /// ∇²f(θ) with a rounding-error bound.
    fn hessian(&self, theta: &[f64]) -> HessianEval;
    /// A lower bound on the smallest Hessian eigenvalue over the ball
    /// ‖θ′ − θ‖₂ ≤ `radius`, given that `lambda` bounds it from below at θ.
    ///
    /// Each model derives this from how fast its Hessian can change (e.g.
    /// logistic regression: λ·e^(−radius·maxᵢ‖xᵢ‖)).
    fn curvature_on_ball(&self, theta: &[f64], lambda: f64, radius: f64) -> f64;
}

/// Options of [`minimize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonOptions {
    /// The most Newton steps taken.
    pub max_iterations: usize,
    /// The required certified accuracy, relative: the fit succeeds when the
    /// certificate proves ‖θ − θ*‖₂ ≤ `tolerance`·(1 + ‖θ‖₂).
    pub tolerance: f64,
}

impl Default for NewtonOptions {
    /// 100 iterations and a tolerance of √ε ≈ 1.5e−8: Newton's method
    /// converges quadratically, so a fit that cannot certify half the digits
    /// is not converging (its error is then reported, not hidden).
    fn default() -> Self {
        NewtonOptions {
            max_iterations: 100,
            tolerance: f64::EPSILON.sqrt(),
        }
    }
}

impl NewtonOptions {
    fn validate(&self) -> Result<(), ModelError> {
        if !(self.tolerance > 0.0 && self.tolerance.is_finite()) {
            return Err(ModelError::InvalidOption {
                name: "tolerance",
                value: self.tolerance,
                requirement: "must be positive and finite",
            });
        }
        Ok(())
    }
}

/// A proof that a point is close to the exact minimizer θ* of a convex objective.
///
/// ```text
/// G ≥ ‖∇f(θ)‖₂,   λ ≤ λ_min(∇²f(θ)),   R = 3G/λ,
/// μ ≤ λ_min(∇²f) on the ball B(θ, R),   and μ·R > 2G
///   ⟹  θ* exists, is unique, and ‖θ − θ*‖₂ ≤ G/μ.
/// ```
///
/// Why: on the sphere ‖v‖ = R, f(θ + v) ≥ f(θ) − G·R + μR²/2 > f(θ); by
/// convexity every point outside the ball is then above f(θ) too, so the
/// minimum over the (compact) ball is the global minimum and lies inside it;
/// inside, μ-strong convexity gives μ‖θ − θ*‖² ≤ ⟨∇f(θ), θ − θ*⟩ ≤ G‖θ − θ*‖.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Certificate {
    /// G: an upper bound on the exact gradient norm (computed norm plus its
    /// rounding-error bound).
    pub gradient_norm: f64,
    /// λ: a lower bound on the smallest eigenvalue of the exact Hessian at θ
    /// (shifted Cholesky, minus the Hessian's rounding-error bound).
    pub hessian_lower_bound: f64,
    /// R = 3G/λ.
    pub ball_radius: f64,
    /// μ: a lower bound on the smallest Hessian eigenvalue over B(θ, R).
    pub curvature_on_ball: f64,
    /// G/μ, the bound on ‖θ − θ*‖₂; +∞ when μ·R > 2G fails (θ is too far
    /// from the minimizer for the Hessian bound to cover the way there).
    pub parameter_error: f64,
}

/// The result of [`minimize`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonFit {
    /// The parameters found.
    pub theta: Vec<f64>,
    /// Newton steps taken.
    pub iterations: usize,
    /// The computed gradient norm at `theta`.
    pub gradient_norm: f64,
    /// The proof of accuracy of `theta`.
    pub certificate: Certificate,
}

/// Certifies how close θ is to the minimizer of a convex objective (see
/// [`Certificate`] for the argument).
///
/// # Errors
/// [`ModelError::NotStronglyConvex`] if no positive lower bound on the
/// Hessian's smallest eigenvalue can be shown at θ (`iterations` is 0).
///
/// # Example
/// ```
/// use logloss_proofs::models::{certify, LogisticNll};
/// // One soft target 0.25 on an intercept: the minimizer is logit(0.25) = −ln 3.
/// let f = LogisticNll::new(&[vec![1.0]], &[0.25]).unwrap();
/// let c = certify(&f, &[-(3.0f64.ln())]).unwrap();
/// assert!(c.parameter_error < 1e-14);
/// ```
pub fn certify(objective: &dyn Objective, theta: &[f64]) -> Result<Certificate, ModelError> {
    let d = objective.dimension();
    let g = objective.gradient(theta);
    // ‖exact gradient‖ ≤ ‖computed‖ + ‖error vector‖, each norm rounded up.
    let gradient_norm = (norm2_up(&g.gradient) + norm2_up(&g.error)) * (1.0 + 2.0 * U);
    let h = objective.hessian(theta);
    // λ_min(exact) ≥ λ_min(computed) − ‖computed − exact‖₂ (Weyl).
    let lambda = min_eigenvalue_lower_bound(&h.hessian, d)
        .map_or(f64::NEG_INFINITY, |lb| lb - h.error * (1.0 + 2.0 * U));
    let lambda = lambda * (1.0 - 2.0 * U);
    if lambda.is_nan() || lambda <= 0.0 || !gradient_norm.is_finite() {
        return Err(ModelError::NotStronglyConvex {
            iterations: 0,
            gradient_norm,
            hessian_lower_bound: lambda,
        });
    }
    let ball_radius = 3.0 * gradient_norm / lambda * (1.0 + 4.0 * U);
    let mu = objective.curvature_on_ball(theta, lambda, ball_radius);
    let parameter_error = if mu * ball_radius > 2.0 * gradient_norm * (1.0 + 4.0 * U) {
        gradient_norm / mu * (1.0 + 2.0 * U)
    } else {
        f64::INFINITY
    };
    Ok(Certificate {
        gradient_norm,
        hessian_lower_bound: lambda,
        ball_radius,
        curvature_on_ball: mu,
        parameter_error,
    })
}

/// Stop once the computed gradient is within this multiple of its own
/// rounding-error bound: it is then indistinguishable from zero.
const FLOOR: f64 = 4.0;

/// Sufficient-decrease constant of the Armijo line search.
const ARMIJO: f64 = 1e-4;

/// A step that shrinks the gradient is accepted without an Armijo decrease
/// only if f rises by at most this much relative to 1 + |f|: far more than
/// the rounding noise of f near a minimizer (a few u), far less than any real
/// rise (which far from the minimizer would lead Newton astray).
const FLAT: f64 = 1.0 / (1u64 << 36) as f64;

/// The damped Newton direction −(H + τI)⁻¹g, or `None` if H + τI is not
/// numerically positive definite.
fn damped_step(h: &[f64], d: usize, g: &[f64], tau: f64) -> Option<Vec<f64>> {
    let mut m = h.to_vec();
    for i in 0..d {
        m[i * d + i] += tau;
    }
    let l = cholesky(&m, d)?;
    let step: Vec<f64> = solve_cholesky(&l, d, g).iter().map(|x| -x).collect();
    step.iter().all(|x| x.is_finite()).then_some(step)
}

/// The most damping values tried in one iteration (each 4× the last, so
/// the range spans 4¹²⁰ ≈ 10⁷² above the smallest).
const DAMPING_TRIES: usize = 120;

/// Minimizes a convex objective by Newton's method with Levenberg–Marquardt
/// damping, and certifies the result.
///
/// Each step solves (∇²f(θ) + τI)·Δ = −∇f(θ) by Cholesky, starting from the
/// previous damping τ (0 at first: the pure Newton step), and accepts θ + Δ if
/// it decreases f enough (Armijo), or decreases ‖∇f‖ by a quarter while f
/// does not rise beyond 2⁻³⁶·(1 + |f|) (near the minimizer f is flat to
/// rounding, but the gradient still shows progress); otherwise τ grows 4×.
/// After an accepted step τ shrinks 4×. The damping rescues Newton from the
/// nearly flat regions of softmax and logistic losses, where the Hessian
/// vanishes and the pure step is enormous. It stops when the computed
/// gradient is within 4× its own rounding-error bound, when no step makes
/// progress, or after `max_iterations`; then it certifies the best iterate
/// (see [`Certificate`]).
///
/// # Errors
/// - [`ModelError::InvalidOption`] for a tolerance that is not positive and finite;
/// - [`ModelError::LengthMismatch`] (`start` against the objective's
///   dimension) or [`ModelError::NotFinite`] naming `start`;
/// - [`ModelError::StartOutsideDomain`] if f(start) is not finite;
/// - [`ModelError::NotStronglyConvex`] or [`ModelError::NotConverged`] when
///   the certificate does not prove ‖θ − θ*‖₂ ≤ tolerance·(1 + ‖θ‖₂): a fit
///   that does not converge never returns a number.
///
/// # Example
/// ```
/// use logloss_proofs::models::{minimize, LogisticNll, NewtonOptions};
/// let f = LogisticNll::new(&[vec![1.0], vec![1.0]], &[1.0, 0.0]).unwrap();
/// let fit = minimize(&f, &[3.0], &NewtonOptions::default()).unwrap();
/// assert!(fit.theta[0].abs() <= fit.certificate.parameter_error); // θ* = logit(½) = 0
/// ```
pub fn minimize(
    objective: &dyn Objective,
    start: &[f64],
    options: &NewtonOptions,
) -> Result<NewtonFit, ModelError> {
    options.validate()?;
    let d = objective.dimension();
    if start.len() != d {
        return Err(ModelError::LengthMismatch {
            first: "start",
            first_len: start.len(),
            second: "the objective's parameters",
            second_len: d,
        });
    }
    if let Some(index) = start.iter().position(|x| !x.is_finite()) {
        return Err(ModelError::NotFinite {
            arg: "start",
            index,
            value: start[index],
        });
    }
    let mut theta = start.to_vec();
    let mut value = objective.value(&theta);
    if !value.is_finite() {
        return Err(ModelError::StartOutsideDomain { value });
    }
    let mut grad = objective.gradient(&theta);
    let level = |g: &GradientEval| norm2(&g.gradient) + norm2(&g.error);
    let mut best = (theta.clone(), level(&grad), norm2(&grad.gradient));
    let mut iterations = 0;
    // Levenberg–Marquardt damping: 0 is the pure Newton step.
    let mut tau = 0.0;
    while iterations < options.max_iterations {
        let gnorm = norm2(&grad.gradient);
        if gnorm <= FLOOR * norm2(&grad.error) {
            break;
        }
        let h = objective.hessian(&theta);
        let trace: f64 = (0..d).map(|i| h.hessian[i * d + i].abs()).sum();
        let tau_min = ((trace / d as f64 + gnorm) / (1u64 << 30) as f64).max(f64::MIN_POSITIVE);
        let mut accepted = None;
        for _ in 0..DAMPING_TRIES {
            if let Some(step) = damped_step(&h.hessian, d, &grad.gradient, tau) {
                let slope: f64 = step.iter().zip(&grad.gradient).map(|(s, g)| s * g).sum();
                let candidate: Vec<f64> = theta.iter().zip(&step).map(|(x, s)| x + s).collect();
                let v = objective.value(&candidate);
                if v.is_finite() {
                    let g = objective.gradient(&candidate);
                    let armijo = v <= value + ARMIJO * slope.min(0.0);
                    let flat = v <= value + FLAT * (1.0 + value.abs());
                    if armijo || (flat && norm2(&g.gradient) <= 0.75 * gnorm) {
                        accepted = Some((candidate, v, g));
                        break;
                    }
                }
            }
            tau = if tau < tau_min { tau_min } else { tau * 4.0 };
        }
        let Some((candidate, v, g)) = accepted else {
            break;
        };
        tau = if tau <= tau_min { 0.0 } else { tau / 4.0 };
        theta = candidate;
        value = v;
        grad = g;
        iterations += 1;
        let l = level(&grad);
        if l < best.1 {
            best = (theta.clone(), l, norm2(&grad.gradient));
        }
    }
    let (theta, _, gradient_norm) = best;
    let certificate = certify(objective, &theta).map_err(|e| match e {
        ModelError::NotStronglyConvex {
            gradient_norm,
            hessian_lower_bound,
            ..
        } => ModelError::NotStronglyConvex {
            iterations,
            gradient_norm,
            hessian_lower_bound,
        },
        other => other,
    })?;
    let tolerance = options.tolerance * (1.0 + norm2(&theta));
    if certificate.parameter_error <= tolerance {
        Ok(NewtonFit {
            theta,
            iterations,
            gradient_norm,
            certificate,
        })
    } else {
        Err(ModelError::NotConverged {
            iterations,
            gradient_norm: certificate.gradient_norm,
            parameter_error: certificate.parameter_error,
            tolerance,
        })
    }
}

/// The largest Euclidean row norm of a row-major n×d matrix, rounded up by
/// its error bound γ_{d+2}.
pub(crate) fn max_row_norm(rows: &[f64], d: usize) -> f64 {
    rows.chunks(d).map(norm2).fold(0.0, f64::max) * (1.0 + gamma(d + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A start where the pure Newton step overshoots: the two-point logistic
    /// loss f(θ) = ln(1 + e^−θ) + ln(1 + e^θ) has gradient tanh(θ/2) and
    /// Hessian ½sech²(θ/2), so from θ = 3 the Newton step −sinh(3) ≈ −10
    /// lands near −7, where f is higher. Armijo rejects it; the damping must rise
    /// from its floor (trace/d + ‖g‖)·2⁻³⁰ ≈ 10⁻⁹ by factors of 4 to about
    /// the curvature, well within the 120 tries, and the fit reaches θ* = 0
    /// within its certificate.
    #[test]
    fn damping_rescues_a_newton_step_that_overshoots() {
        use crate::models::LogisticNll;
        let f = LogisticNll::new(&[vec![1.0], vec![1.0]], &[1.0, 0.0]).unwrap();
        let fit = minimize(&f, &[3.0], &NewtonOptions::default()).unwrap();
        assert!(
            fit.theta[0].abs() <= fit.certificate.parameter_error,
            "{fit:?}"
        );
        assert!(fit.iterations > 1, "{fit:?}");
    }

    /// A one-parameter objective with given gradient, Hessian, their error
    /// bounds, and a curvature on the ball of `ball` times the bound λ.
    #[derive(Clone, Copy)]
    struct Given {
        g: f64,
        g_error: f64,
        h: f64,
        h_error: f64,
        ball: f64,
    }

    impl Objective for Given {
        fn dimension(&self) -> usize {
            1
        }
        fn value(&self, _: &[f64]) -> f64 {
            0.0
        }
        fn gradient(&self, _: &[f64]) -> GradientEval {
            GradientEval {
                gradient: vec![self.g],
                error: vec![self.g_error],
            }
        }
        fn hessian(&self, _: &[f64]) -> HessianEval {
            HessianEval {
                hessian: vec![self.h],
                error: self.h_error,
            }
        }
        fn curvature_on_ball(&self, _: &[f64], lambda: f64, _: f64) -> f64 {
            self.ball * lambda
        }
    }

    /// The certificate's fields, written out from the documented argument:
    /// G = (|g|(1 + γ₃) + e_g(1 + γ₃))(1 + 2u), λ = (h − e_h(1 + 2u))(1 − 2u)
    /// (a 1 × 1 Hessian is its own eigenvalue), r = 3G/λ·(1 + 4u), and with
    /// μ = λ on the ball ‖θ − θ*‖ ≤ G/μ·(1 + 2u), as μr = 3G(1 + 4u) exceeds
    /// 2G(1 + 4u); with μ = λ/2 it does not, and there is no certificate.
    /// Evaluated in the same order: the same bits.
    #[test]
    fn certificate_follows_its_formulas() {
        let f = Given {
            g: -0.25,
            g_error: 2f64.powi(-40),
            h: 4.0,
            h_error: 2f64.powi(-30),
            ball: 1.0,
        };
        let c = certify(&f, &[0.0]).unwrap();
        let up = 1.0 + gamma(3);
        let big_g = (0.25 * up + 2f64.powi(-40) * up) * (1.0 + 2.0 * U);
        let lambda = (4.0 - 2f64.powi(-30) * (1.0 + 2.0 * U)) * (1.0 - 2.0 * U);
        let radius = 3.0 * big_g / lambda * (1.0 + 4.0 * U);
        assert_eq!(c.gradient_norm, big_g);
        assert_eq!(c.hessian_lower_bound, lambda);
        assert_eq!(c.ball_radius, radius);
        assert_eq!(c.curvature_on_ball, lambda);
        assert_eq!(c.parameter_error, big_g / lambda * (1.0 + 2.0 * U));
        let half = certify(&Given { ball: 0.5, ..f }, &[0.0]).unwrap();
        assert_eq!(half.curvature_on_ball, 0.5 * lambda);
        assert_eq!(half.parameter_error, f64::INFINITY);
        // A Hessian that is not shown positive is an error.
        let flat = Given {
            h: 2f64.powi(-31),
            h_error: 2f64.powi(-30),
            ..f
        };
        assert!(matches!(
            certify(&flat, &[0.0]),
            Err(ModelError::NotStronglyConvex { .. })
        ));
    }

    /// Rows (3, 4) and (0, 1): norms 5 and 1, so 5 rounded up by γ₄.
    #[test]
    fn max_row_norm_is_the_largest_row_rounded_up() {
        assert_eq!(
            max_row_norm(&[3.0, 4.0, 0.0, 1.0], 2),
            5.0 * (1.0 + gamma(4))
        );
        assert_eq!(max_row_norm(&[0.0, -2.0], 1), 2.0 * (1.0 + gamma(3)));
    }
}
