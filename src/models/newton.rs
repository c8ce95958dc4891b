//! Newton's method for smooth convex objectives, with a convergence
//! certificate: a proven bound on the distance to the exact minimizer.

use super::error::ModelError;
use super::linalg::{
    U, cholesky, extreme_eigenvalues, gamma, hypot_norm, min_eigenvalue_lower_bound, norm2,
    norm2_up, solve_cholesky,
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

/// A smooth objective f: ℝᵈ → ℝ ∪ {+∞}, as Newton's method and its
/// certificate need it: **convex** for the default [`StepRule::Damped`].
///
/// Convexity on the whole space is what makes a local certificate global:
/// see [`certify`]. [`StepRule::LineSearch`] also takes objectives that are
/// not convex, and certifies a local minimizer (see [`Certificate`]).
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
    /// logistic regression: λ·e^(−radius·maxᵢ‖xᵢ‖)). An objective fitted with
    /// [`StepRule::LineSearch`] may instead return the Hessian's smallest
    /// eigenvalue at sample points of the ball, and then says so: its
    /// certificate is then only as good as that sample.
    fn curvature_on_ball(&self, theta: &[f64], lambda: f64, radius: f64) -> f64;
}

/// How [`minimize`] makes each step progress from far away, when it stops,
/// and how it certifies where it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepRule {
    /// Levenberg–Marquardt damping for **convex** objectives: each step
    /// solves (∇²f + τI)·Δ = −∇f by Cholesky, with τ adapted from step to
    /// step (see [`minimize`]); it stops when the computed gradient is within
    /// 4× its rounding-error bound, when no step makes progress, or after
    /// `max_iterations`, and certifies the best iterate by [`certify`] (a
    /// global, rounding-aware certificate).
    #[default]
    Damped,
    /// A backtracking line search along the Newton direction, for objectives
    /// that need not be convex (a local minimum is wanted). The direction is
    /// −H⁻¹g where the computed Hessian H is positive definite, and otherwise
    /// the shifted −(H + τI)⁻¹g with τ = |λ_min| + |λ_max| (a descent
    /// direction). The full step is taken if it gives Armijo's sufficient
    /// decrease (constant 10⁻⁴) or, where H is positive definite, at least
    /// halves ‖g‖ (near the minimum the decrease ‖g‖²/λ falls below the
    /// rounding noise of f while ‖g‖ still falls quadratically); otherwise
    /// the step halves, down to 2⁻⁴⁰, until Armijo's rule holds. It stops when
    /// ‖g‖ ≤ 2ν (ν = ‖error bounds‖), when no step is accepted, or when the
    /// best ‖g‖ has not improved for `stall` steps (the gradient's rounding
    /// floor); reaching `max_iterations` before that is an error. Norms are
    /// taken by repeated `hypot`. The last iterate is certified by the local
    /// certificate (see [`Certificate`]).
    LineSearch {
        /// Steps without a new best gradient norm after which the search stops.
        stall: usize,
    },
}

/// Options of [`minimize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonOptions {
    /// The most Newton steps taken.
    pub max_iterations: usize,
    /// The required certified accuracy, relative: the fit succeeds when the
    /// certificate proves ‖θ − θ*‖₂ ≤ `tolerance`·(1 + ‖θ‖₂).
    pub tolerance: f64,
    /// How steps are taken and the result certified.
    pub step_rule: StepRule,
}

impl Default for NewtonOptions {
    /// 100 iterations, a tolerance of √ε ≈ 1.5e−8 and [`StepRule::Damped`]:
    /// Newton's method converges quadratically, so a fit that cannot certify
    /// half the digits is not converging (its error is then reported, not hidden).
    fn default() -> Self {
        NewtonOptions {
            max_iterations: 100,
            tolerance: f64::EPSILON.sqrt(),
            step_rule: StepRule::Damped,
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
///
/// That is the certificate of [`StepRule::Damped`] ([`certify`]). Under
/// [`StepRule::LineSearch`] the same fields hold the **local** certificate,
/// built from computed values (a first-order bound: G and λ are not rounded
/// outward, the Hessian's own rounding is not subtracted):
///
/// ```text
/// G = ‖g‖ + ν,   λ = λ_min(H) > 0 (computed),   R = 2G/λ,
/// μ = the objective's curvature on B(θ, R) ≥ λ/2   ⟹   ‖θ − θ*‖₂ ≤ R
/// ```
///
/// for a local minimizer θ*: where ∇²f ⪰ (λ/2)I on the ball, f is strongly
/// convex there and ⟨∇f(θ + v), v⟩ ≥ (−G + (λ/2)‖v‖)‖v‖, which is not
/// negative on the sphere ‖v‖ = R, so a minimizer of f on the ball is a
/// critical point within G/(λ/2) = R of θ (the Newton–Kantorovich radius
/// 2‖H⁻¹g‖ at most). `parameter_error` is then R.
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
/// (see [`Certificate`]). That is the default [`StepRule::Damped`];
/// [`StepRule::LineSearch`] replaces the damping by a backtracking line search
/// along a shifted Newton direction, for objectives that are not convex, and
/// certifies the last iterate locally (see [`StepRule`]).
///
/// # Errors
/// - [`ModelError::InvalidOption`] for a tolerance that is not positive and finite;
/// - [`ModelError::LengthMismatch`] (`start` against the objective's
///   dimension) or [`ModelError::NotFinite`] naming `start`;
/// - [`ModelError::StartOutsideDomain`] if f(start) is not finite;
/// - [`ModelError::NotStronglyConvex`] or [`ModelError::NotConverged`] when
///   the certificate does not prove ‖θ − θ*‖₂ ≤ tolerance·(1 + ‖θ‖₂): a fit
///   that does not converge never returns a number;
/// - under [`StepRule::LineSearch`] also [`ModelError::NotConverged`] (with
///   `parameter_error` +∞) when `max_iterations` is reached before the
///   stopping rule, and [`ModelError::NotCertified`] when the curvature on
///   the certificate's ball falls below λ/2.
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
    let value = objective.value(start);
    if !value.is_finite() {
        return Err(ModelError::StartOutsideDomain { value });
    }
    let (theta, iterations, gradient_norm, certificate) = match options.step_rule {
        StepRule::Damped => {
            let (theta, iterations, gradient_norm) =
                damped_newton(objective, start.to_vec(), value, options);
            let certificate = certify(objective, &theta);
            (theta, iterations, gradient_norm, certificate)
        }
        StepRule::LineSearch { stall } => {
            let (theta, iterations, gradient_norm) =
                line_search_newton(objective, start.to_vec(), value, options, stall)?;
            let certificate = certify_local(objective, &theta);
            (theta, iterations, gradient_norm, certificate)
        }
    };
    let certificate = certificate.map_err(|e| match e {
        ModelError::NotStronglyConvex {
            gradient_norm,
            hessian_lower_bound,
            ..
        } => ModelError::NotStronglyConvex {
            iterations,
            gradient_norm,
            hessian_lower_bound,
        },
        ModelError::NotCertified { radius, .. } => ModelError::NotCertified { iterations, radius },
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

/// The iteration of [`StepRule::Damped`] from `theta` (where f = `value`):
/// the best iterate, the steps taken and the computed gradient norm there.
fn damped_newton(
    objective: &dyn Objective,
    mut theta: Vec<f64>,
    mut value: f64,
    options: &NewtonOptions,
) -> (Vec<f64>, usize, f64) {
    let d = objective.dimension();
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
    (theta, iterations, gradient_norm)
}

/// The smallest step length of [`StepRule::LineSearch`], 2⁻⁴⁰.
const MIN_STEP: f64 = 1.0 / 1_099_511_627_776.0;

/// The direction of [`StepRule::LineSearch`]: −H⁻¹g when the computed
/// Hessian is positive definite (λ_min > 0 by [`extreme_eigenvalues`]; then
/// `true`), otherwise the Levenberg–Marquardt direction −(H + τI)⁻¹g with
/// τ = |λ_min| + |λ_max| (and `false`). For d ≤ 2 by the closed-form
/// inverse (d = 2: (a, b; b, c)⁻¹ = (c, −b; −b, a)/(ac − b²)), beyond by
/// Cholesky (`None` if H + τI does not factor).
fn shifted_direction(h: &[f64], d: usize, g: &[f64]) -> Option<(Vec<f64>, bool)> {
    let (lmin, lmax) = extreme_eigenvalues(h, d);
    let pure = lmin > 0.0;
    let shift = if pure { 0.0 } else { lmin.abs() + lmax.abs() };
    match d {
        1 => Some((vec![-g[0] / (h[0] + shift)], pure)),
        2 => {
            let (a, b, c) = (h[0] + shift, h[1], h[3] + shift);
            let det = a * c - b * b;
            Some((
                vec![-(c * g[0] - b * g[1]) / det, -(a * g[1] - b * g[0]) / det],
                pure,
            ))
        }
        _ => {
            let mut m = h.to_vec();
            for i in 0..d {
                m[i * d + i] += shift;
            }
            let l = cholesky(&m, d)?;
            let step = solve_cholesky(&l, d, g).iter().map(|x| -x).collect();
            Some((step, pure))
        }
    }
}

/// The iteration of [`StepRule::LineSearch`] from `theta` (where f =
/// `value`): the last iterate, the steps attempted (the last may have found
/// no acceptable length) and the computed gradient norm there.
fn line_search_newton(
    objective: &dyn Objective,
    mut theta: Vec<f64>,
    mut value: f64,
    options: &NewtonOptions,
    stall: usize,
) -> Result<(Vec<f64>, usize, f64), ModelError> {
    let d = objective.dimension();
    let grad = objective.gradient(&theta);
    let mut gnorm = hypot_norm(&grad.gradient);
    let mut noise = hypot_norm(&grad.error);
    let mut g = grad.gradient;
    let mut steps = 0;
    let mut best = gnorm;
    let mut since_best = 0;
    while gnorm > 2.0 * noise && since_best < stall {
        if steps == options.max_iterations {
            return Err(ModelError::NotConverged {
                iterations: steps,
                gradient_norm: gnorm,
                parameter_error: f64::INFINITY,
                tolerance: options.tolerance * (1.0 + norm2(&theta)),
            });
        }
        steps += 1;
        let h = objective.hessian(&theta);
        let Some((dir, pure)) = shifted_direction(&h.hessian, d, &g) else {
            break;
        };
        let slope: f64 = g.iter().zip(&dir).map(|(a, b)| a * b).sum();
        let mut accepted = None;
        let mut alpha = 1.0;
        while alpha >= MIN_STEP {
            let candidate: Vec<f64> = theta.iter().zip(&dir).map(|(x, s)| x + alpha * s).collect();
            if candidate != theta {
                let v = objective.value(&candidate);
                if v.is_finite() {
                    let cg = objective.gradient(&candidate);
                    let armijo = v <= value + ARMIJO * alpha * slope;
                    let halves = alpha == 1.0 && pure && hypot_norm(&cg.gradient) <= 0.5 * gnorm;
                    if armijo || halves {
                        accepted = Some((candidate, v, cg));
                        break;
                    }
                }
            }
            alpha *= 0.5;
        }
        let Some((candidate, v, cg)) = accepted else {
            break;
        };
        theta = candidate;
        value = v;
        gnorm = hypot_norm(&cg.gradient);
        noise = hypot_norm(&cg.error);
        g = cg.gradient;
        if gnorm < best {
            best = gnorm;
            since_best = 0;
        } else {
            since_best += 1;
        }
    }
    Ok((theta, steps, gnorm))
}

/// The local certificate of [`StepRule::LineSearch`] at θ (see
/// [`Certificate`]): G = ‖g‖ + ν, λ = λ_min(H), R = 2G/λ, and μ from the
/// objective's `curvature_on_ball`, which must be at least λ/2.
///
/// Errors: [`ModelError::NotStronglyConvex`] if λ is not positive (θ is not
/// a strict local minimum), [`ModelError::NotCertified`] if μ < λ/2
/// (`iterations` is 0 in both).
fn certify_local(objective: &dyn Objective, theta: &[f64]) -> Result<Certificate, ModelError> {
    let d = objective.dimension();
    let g = objective.gradient(theta);
    let gradient_norm = hypot_norm(&g.gradient) + hypot_norm(&g.error);
    let (lambda, _) = extreme_eigenvalues(&objective.hessian(theta).hessian, d);
    if lambda.is_nan() || lambda <= 0.0 {
        return Err(ModelError::NotStronglyConvex {
            iterations: 0,
            gradient_norm,
            hessian_lower_bound: lambda,
        });
    }
    let radius = 2.0 * gradient_norm / lambda;
    let mu = objective.curvature_on_ball(theta, lambda, radius);
    if mu.is_nan() || mu < 0.5 * lambda {
        return Err(ModelError::NotCertified {
            iterations: 0,
            radius,
        });
    }
    Ok(Certificate {
        gradient_norm,
        hessian_lower_bound: lambda,
        ball_radius: radius,
        curvature_on_ball: mu,
        parameter_error: radius,
    })
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

    /// Rows (3, 4) and (0, 1): norms 5 and 1, so 5 rounded up by γ₄.
    #[test]
    fn max_row_norm_is_the_largest_row_rounded_up() {
        assert_eq!(
            max_row_norm(&[3.0, 4.0, 0.0, 1.0], 2),
            5.0 * (1.0 + gamma(4))
        );
        assert_eq!(max_row_norm(&[0.0, -2.0], 1), 2.0 * (1.0 + gamma(3)));
    }

    /// Newton's direction −H⁻¹g where H is positive definite; otherwise the
    /// shifted −(H + τI)⁻¹g with τ = |λ_min| + |λ_max|. H = (2, 1; 1, 3),
    /// g = (1, 1): H⁻¹g = (3 − 1, 2 − 1)/5. H = diag(1, −2) (λ = −2, 1, so
    /// τ = 3 and H + τI = diag(4, 1)), g = (1, 2): (1/4, 2). Each component
    /// is one division of exact integers, rounded as the wanted value is.
    #[test]
    fn newton_directions_solve_the_shifted_system() {
        assert_eq!(
            shifted_direction(&[2.0, 1.0, 1.0, 3.0], 2, &[1.0, 1.0]),
            Some((vec![-2.0 / 5.0, -1.0 / 5.0], true))
        );
        assert_eq!(
            shifted_direction(&[1.0, 0.0, 0.0, -2.0], 2, &[1.0, 2.0]),
            Some((vec![-0.25, -2.0], false))
        );
        // One dimension: −g/(h + τ), τ = 2|h| = 4 where h = −2.
        assert_eq!(
            shifted_direction(&[-2.0], 1, &[4.0]),
            Some((vec![-2.0], false))
        );
        // Three: diag(−1, 4, −1) shifts by 5 to diag(4, 9, 4); Cholesky of a
        // diagonal matrix solves each entry by two divisions by its root,
        // exact here (roots 2, 3, 2; g = (4, 0, 8)).
        let (step, pure) = shifted_direction(
            &[-1.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, -1.0],
            3,
            &[4.0, 0.0, 8.0],
        )
        .unwrap();
        assert_eq!((step, pure), (vec![-1.0, 0.0, -2.0], false));
    }

    /// f(θ) = ½θᵀAθ − bᵀθ with A = (4, 1, 0; 1, 3, 0; 0, 0, 2) and
    /// b = (1, 2, 2): the minimizer A⁻¹b = (1/11, 7/11, 1). The gradient is
    /// Aθ − b with an entrywise error bound of 8u·(|A||θ| + |b|), the
    /// Hessian A, the curvature A's smallest eigenvalue everywhere. The
    /// line-search rule reaches θ* within its local certificate, from a
    /// start far away; a curvature below λ/2 is an error.
    #[test]
    fn the_line_search_rule_fits_a_quadratic_in_three_dimensions() {
        struct Quadratic {
            flat: bool,
        }
        const A: [f64; 9] = [4.0, 1.0, 0.0, 1.0, 3.0, 0.0, 0.0, 0.0, 2.0];
        const B: [f64; 3] = [1.0, 2.0, 2.0];
        impl Objective for Quadratic {
            fn dimension(&self) -> usize {
                3
            }
            fn value(&self, t: &[f64]) -> f64 {
                (0..3)
                    .map(|i| {
                        0.5 * t[i] * (0..3).map(|j| A[i * 3 + j] * t[j]).sum::<f64>() - B[i] * t[i]
                    })
                    .sum()
            }
            fn gradient(&self, t: &[f64]) -> GradientEval {
                let row = |i: usize| (0..3).map(|j| A[i * 3 + j] * t[j]).sum::<f64>();
                let abs = |i: usize| (0..3).map(|j| (A[i * 3 + j] * t[j]).abs()).sum::<f64>();
                GradientEval {
                    gradient: (0..3).map(|i| row(i) - B[i]).collect(),
                    error: (0..3).map(|i| 8.0 * U * (abs(i) + B[i])).collect(),
                }
            }
            fn hessian(&self, _: &[f64]) -> HessianEval {
                HessianEval {
                    hessian: A.to_vec(),
                    error: 0.0,
                }
            }
            fn curvature_on_ball(&self, _: &[f64], lambda: f64, _: f64) -> f64 {
                if self.flat { 0.25 * lambda } else { lambda }
            }
        }
        let options = NewtonOptions {
            step_rule: StepRule::LineSearch { stall: 8 },
            ..NewtonOptions::default()
        };
        let fit = minimize(&Quadratic { flat: false }, &[50.0, -30.0, 7.0], &options).unwrap();
        let want = [1.0 / 11.0, 7.0 / 11.0, 1.0];
        let c = fit.certificate;
        assert_eq!(c.parameter_error, c.ball_radius);
        for (got, want) in fit.theta.iter().zip(want) {
            assert!((got - want).abs() <= c.parameter_error + 2.0 * U, "{fit:?}");
        }
        assert!(matches!(
            minimize(&Quadratic { flat: true }, &[50.0, -30.0, 7.0], &options),
            Err(ModelError::NotCertified { .. })
        ));
        // Too few steps to reach the stopping rule: an error, not a number.
        let short = NewtonOptions {
            max_iterations: 0,
            ..options
        };
        assert!(matches!(
            minimize(&Quadratic { flat: false }, &[50.0, -30.0, 7.0], &short),
            Err(ModelError::NotConverged { parameter_error, .. }) if parameter_error == f64::INFINITY
        ));
    }

    /// The certificate's radius covers the exact distance to the minimizer:
    /// for the normal cross-entropy against a target with mean m and
    /// variance V the exact minimizer is η* = (m/V, −1/(2V)) (at 320 bits);
    /// at η = η̃* + δ (δ of size 10⁻¹² to 10⁻², random direction) the
    /// certificate's `parameter_error` bounds ‖η − η*‖₂. A Hessian not shown
    /// positive is an error (pinned below: no exact value is involved).
    ///
    /// Floor 2⁻¹ (0.97 seen): the radius is ‖∇f‖/λ (up to the roundings and
    /// the curvature's drop over the ball) while the distance is about
    /// ‖H⁻¹∇f‖, equal to it along the smallest eigenvector.
    #[test]
    fn certificate_covers_the_exact_minimizer() {
        use crate::models::NormalCrossEntropy;
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::{PREC as P, RM, big, to_f64};
        bound_checks(
            "certificate",
            [("Newton certificate: parameter error", 0.5)],
            100,
            |_, rng, cc, [check]| {
                let (m, v) = (uniform(rng, -3.0, 3.0), 10f64.powf(uniform(rng, -1.0, 1.0)));
                let f = NormalCrossEntropy::new(m, v).unwrap();
                let star = [big(m).div(&big(v), P, RM), big(-0.5).div(&big(v), P, RM)];
                let size = 10f64.powf(-uniform(rng, 2.0, 12.0));
                let angle = uniform(rng, 0.0, 2.0 * std::f64::consts::PI);
                let eta = [
                    to_f64(&star[0], cc) + size * angle.cos(),
                    to_f64(&star[1], cc) + size * angle.sin() / (1.0 + v),
                ];
                // No certificate (an error, or an infinite radius where the
                // ball's curvature is not shown positive) claims nothing.
                let Ok(c) = certify(&f, &eta) else { return };
                if !c.parameter_error.is_finite() {
                    return;
                }
                let d0 = big(eta[0]).sub(&star[0], P, RM);
                let d1 = big(eta[1]).sub(&star[1], P, RM);
                let dist = to_f64(
                    &d0.mul(&d0, P, RM)
                        .add(&d1.mul(&d1, P, RM), P, RM)
                        .sqrt(P, RM),
                    cc,
                );
                check.record(dist, c.parameter_error, || {
                    format!("m {m}, V {v}, η {eta:?}")
                });
            },
        );
        let flat = Given {
            g: -0.25,
            g_error: 2f64.powi(-40),
            h: 2f64.powi(-31),
            h_error: 2f64.powi(-30),
            ball: 1.0,
        };
        assert!(matches!(
            certify(&flat, &[0.0]),
            Err(ModelError::NotStronglyConvex { .. })
        ));
    }
}
