//! Forward and reverse KL fits of a discretized Gaussian to a target on a grid.
//!
//! The family: on grid points x₁ … x_K,
//!
//! ```text
//! q_θ(xᵢ) = exp(−(xᵢ − μ)²/(2σ²)) / Σⱼ exp(−(xⱼ − μ)²/(2σ²)),   θ = (μ, σ), σ > 0
//! ```
//!
//! In a scaled coordinate t = (x − c)/d this is an exponential family with
//! statistic T(t) = (t, t²) and natural parameters η = (μₜ/σₜ², −1/(2σₜ²)):
//! ln q = η·T − A(η), with ∇A = E_q\[T\] and ∇²A = Cov_q\[T\].
//!
//! - **Forward** (mass-covering): KL(p‖q_η) = −H(p) − η·E_p\[T\] + A(η) is
//!   convex in η, with gradient E_q\[T\] − E_p\[T\]. Its minimizer matches the
//!   first two moments of p on the grid: it spreads over every mode.
//! - **Reverse** (mode-seeking): KL(q_η‖p) = E_q\[f\], f = ln q − ln p, has
//!   gradient Cov_q\[T, f\] and Hessian Cov_q\[T\] + E_q\[T̃ T̃ᵀ (f − E_q f)\]
//!   (T̃ = T − E_q T). It is not convex: for a well-separated bimodal p it has
//!   a local minimum at each mode.
//!
//! Both are minimized by the crate's Newton solver [`minimize`] in η, with its
//! [`StepRule::LineSearch`] (a backtracking line search, the direction
//! shifted when the Hessian is not positive definite: the reverse KL is not
//! convex), in a frame centred and scaled at the start so that the Hessian is
//! well conditioned. Each fit stops when the gradient is below twice its own
//! rounding-noise bound ν, or when no step decreases the objective any more,
//! and returns the solver's local [`Certificate`](crate::models::Certificate):
//! the parameter error bound
//!
//! ```text
//! ‖η − η*‖ ≤ ρ = 2(‖g‖ + ν)/λ_min(H)
//! ```
//!
//! (the Newton–Kantorovich radius 2‖H⁻¹g‖, with the true gradient within ν of
//! the computed one), whose premise, that the Hessian stays above λ_min/2 over
//! that ball, is checked at the ball's four axis points; ρ is mapped to bounds
//! on μ and σ through the derivatives of μ = c + d·μₜ and σ = d·σₜ.

use std::cell::Cell;

use crate::measures::{MeasureError, normalize, validate_distribution};
use crate::models::linalg::extreme_eigenvalues;
use crate::models::{
    GradientEval, HessianEval, ModelError, NewtonOptions, Objective, StepRule, minimize,
};
use crate::numerics::U;

/// A Gaussian's parameters: mean μ and standard deviation σ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gaussian {
    /// The mean μ.
    pub mu: f64,
    /// The standard deviation σ > 0.
    pub sigma: f64,
}

/// Why a grid, a target or a fit is not acceptable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// A parameter is out of its domain.
    #[error("{name} = {value} is not allowed: {reason}")]
    BadParameter {
        /// The parameter's name.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What the domain is.
        reason: &'static str,
    },
    /// The grid has fewer than three distinct points, so (μ, σ) is not identifiable.
    #[error("the grid needs at least 3 distinct points, got {distinct}")]
    TooFewPoints {
        /// The number of distinct points.
        distinct: usize,
    },
    /// A grid point is NaN or infinite.
    #[error("points[{index}] = {value} is not finite")]
    NotFinite {
        /// Its index.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The grid and the target have different lengths.
    #[error("points has length {points} but p has length {p}")]
    LengthMismatch {
        /// Length of the grid.
        points: usize,
        /// Length of the target.
        p: usize,
    },
    /// The target is not a probability vector.
    #[error(transparent)]
    Target(#[from] MeasureError),
    /// A target entry is zero: KL(q‖p) = +∞ for every Gaussian on the grid.
    #[error("p[{index}] = 0, so KL(q‖p) is +∞ for every Gaussian on the grid")]
    ZeroTarget {
        /// The index of the zero.
        index: usize,
    },
    /// No start was given to the reverse fit.
    #[error("the reverse fit needs at least one start")]
    NoStart,
    /// Newton's method did not reach its stopping rule.
    #[error(
        "the fit from (μ = {mu}, σ = {sigma}) did not converge in {iterations} steps (gradient norm {gradient_norm:e})"
    )]
    NotConverged {
        /// The start's mean.
        mu: f64,
        /// The start's standard deviation.
        sigma: f64,
        /// Steps taken.
        iterations: usize,
        /// The gradient norm at the last step.
        gradient_norm: f64,
    },
    /// The fit stopped where the Hessian is not positive definite.
    #[error(
        "the fit from (μ = {mu}, σ = {sigma}) stopped where the Hessian's smallest eigenvalue is {eigenvalue:e}, not a minimum"
    )]
    NotAMinimum {
        /// The start's mean.
        mu: f64,
        /// The start's standard deviation.
        sigma: f64,
        /// The Hessian's smallest eigenvalue there.
        eigenvalue: f64,
    },
    /// The Hessian varies too much over the certificate's ball to trust it.
    #[error(
        "the fit from (μ = {mu}, σ = {sigma}) has no certificate: the Hessian falls below half its smallest eigenvalue within radius {radius:e}"
    )]
    NotCertified {
        /// The start's mean.
        mu: f64,
        /// The start's standard deviation.
        sigma: f64,
        /// The radius ρ that failed.
        radius: f64,
    },
}

/// A fitted Gaussian with its convergence certificate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// The fitted parameters.
    pub gaussian: Gaussian,
    /// The divergence minimized, at the fit, as the optimizer evaluates it:
    /// KL(p‖q) for [`fit_forward`], KL(q‖p) for [`fit_reverse`].
    pub objective: f64,
    /// |μ − μ*| ≤ `mu_error` for the exact minimizer μ* the fit converged to.
    pub mu_error: f64,
    /// |σ − σ*| ≤ `sigma_error`.
    pub sigma_error: f64,
    /// ‖∇‖ in the natural parameters of the fit's frame, at the fit.
    pub gradient_norm: f64,
    /// ν, the bound on the rounding error of that gradient.
    pub gradient_noise: f64,
    /// λ_min of the Hessian at the fit (positive: a strict local minimum).
    pub min_eigenvalue: f64,
    /// λ_max of the Hessian at the fit.
    pub max_eigenvalue: f64,
    /// ρ = 2(‖g‖ + ν)/λ_min: the distance in natural parameters (of the
    /// fit's frame) within which the exact minimizer lies.
    pub radius: f64,
    /// Newton steps taken.
    pub iterations: usize,
    /// Where the search started.
    pub start: Gaussian,
}

/// K points evenly spaced on [−half_width, half_width], symmetric about 0.
///
/// ```text
/// xᵢ = half_width · (2i − (K − 1)) / (K − 1),   i = 0 … K − 1
/// ```
///
/// # Errors
/// [`FitError::BadParameter`] if `half_width` is not finite and positive or
/// `points` < 3.
///
/// # Example
/// ```
/// use logloss_proofs::models::reverse_fit::symmetric_grid;
/// assert_eq!(symmetric_grid(1.0, 3).unwrap(), vec![-1.0, 0.0, 1.0]);
/// ```
pub fn symmetric_grid(half_width: f64, points: usize) -> Result<Vec<f64>, FitError> {
    if !(half_width.is_finite() && half_width > 0.0) {
        return Err(FitError::BadParameter {
            name: "half_width",
            value: half_width,
            reason: "must be finite and positive",
        });
    }
    if points < 3 {
        return Err(FitError::BadParameter {
            name: "points",
            value: points as f64,
            reason: "at least 3 grid points",
        });
    }
    let k = (points - 1) as f64;
    Ok((0..points)
        .map(|i| half_width * ((2 * i) as f64 - k) / k)
        .collect())
}

/// A two-Gaussian mixture discretized on a grid: the bimodal target.
///
/// ```text
/// p(xᵢ) ∝ w·exp(−(xᵢ + m)²/(2s²)) + (1 − w)·exp(−(xᵢ − m)²/(2s²))
/// grid: K points on [−L, L],  L = 2(m + 2s)
/// ```
///
/// Why L = 2(m + 2s): the grid reaches 4s beyond each mode, and its uniform
/// variance, at least L²/3 = (4/3)(m + 2s)² > m² + s² ≥ Var(p), exceeds p's,
/// so the moment-matching Gaussian has σ² > 0 (the forward optimum is interior).
#[derive(Debug, Clone, PartialEq)]
pub struct BimodalTarget {
    /// Half the distance between the modes.
    pub m: f64,
    /// The components' standard deviation.
    pub s: f64,
    /// The weight of the component at −m.
    pub w: f64,
    /// The grid.
    pub points: Vec<f64>,
    /// The probabilities on the grid (normalized, compensated sum).
    pub p: Vec<f64>,
}

impl BimodalTarget {
    /// The discretized mixture with half-separation `m`, component standard
    /// deviation `s`, weight `w` at −m, on `k` grid points.
    ///
    /// # Errors
    /// [`FitError::BadParameter`] for m < 0, s ≤ 0, w ∉ [0, 1], a non-finite
    /// value, or k < 3.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::reverse_fit::BimodalTarget;
    /// let t = BimodalTarget::new(2.0, 0.5, 0.5, 101).unwrap();
    /// assert_eq!(t.points[0], -6.0); // L = 2(m + 2s)
    /// assert_eq!(t.p[25], t.p[75]); // symmetric at w = 1/2
    /// ```
    pub fn new(m: f64, s: f64, w: f64, k: usize) -> Result<Self, FitError> {
        if !(m.is_finite() && m >= 0.0) {
            return Err(FitError::BadParameter {
                name: "m",
                value: m,
                reason: "must be finite and non-negative",
            });
        }
        if !(s.is_finite() && s > 0.0) {
            return Err(FitError::BadParameter {
                name: "s",
                value: s,
                reason: "must be finite and positive",
            });
        }
        if !(0.0..=1.0).contains(&w) {
            return Err(FitError::BadParameter {
                name: "w",
                value: w,
                reason: "must be a probability in [0, 1]",
            });
        }
        let points = symmetric_grid(2.0 * (m + 2.0 * s), k)?;
        let (lw1, lw2) = (w.ln(), (-w).ln_1p());
        let log_weight: Vec<f64> = points
            .iter()
            .map(|&x| {
                let a = lw1 - (x + m) * (x + m) / (2.0 * s * s);
                let b = lw2 - (x - m) * (x - m) / (2.0 * s * s);
                let hi = a.max(b);
                hi + (a.min(b) - hi).exp().ln_1p()
            })
            .collect();
        let top = log_weight.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = log_weight.iter().map(|l| (l - top).exp()).collect();
        let p = normalize(&weights)?;
        Ok(BimodalTarget { m, s, w, points, p })
    }
}

/// The Gaussian with the mean and standard deviation of p on the grid: the
/// continuous-family forward-KL optimum, and the frame of [`fit_forward`].
///
/// ```text
/// μ = Σ pᵢ xᵢ,   σ² = Σ pᵢ (xᵢ − μ)²
/// ```
///
/// # Errors
/// As [`fit_forward`]'s validation of `points` and `p`.
///
/// # Example
/// ```
/// use logloss_proofs::models::reverse_fit::moment_match;
/// let g = moment_match(&[-1.0, 0.0, 1.0], &[0.25, 0.5, 0.25]).unwrap();
/// assert_eq!((g.mu, g.sigma), (0.0, 0.5f64.sqrt()));
/// ```
pub fn moment_match(points: &[f64], p: &[f64]) -> Result<Gaussian, FitError> {
    validate(points, p)?;
    Ok(moments(points, p))
}

fn moments(points: &[f64], p: &[f64]) -> Gaussian {
    let mu: f64 = points.iter().zip(p).map(|(x, w)| w * x).sum();
    let var: f64 = points
        .iter()
        .zip(p)
        .map(|(x, w)| w * (x - mu) * (x - mu))
        .sum();
    Gaussian {
        mu,
        sigma: var.sqrt(),
    }
}

/// The discretized Gaussian q_θ on the grid (see the module docs), normalized.
///
/// # Errors
/// [`FitError::BadParameter`] for a non-finite μ or a σ that is not finite
/// and positive; [`FitError::NotFinite`] for a non-finite grid point.
///
/// # Example
/// ```
/// use logloss_proofs::models::reverse_fit::{discretized_gaussian, Gaussian};
/// let q = discretized_gaussian(&[-1.0, 0.0, 1.0], Gaussian { mu: 0.0, sigma: 1.0 }).unwrap();
/// assert_eq!(q[0], q[2]);
/// assert!(q[1] > q[0]);
/// ```
pub fn discretized_gaussian(points: &[f64], g: Gaussian) -> Result<Vec<f64>, FitError> {
    check_gaussian(g)?;
    check_points(points)?;
    let e: Vec<f64> = points
        .iter()
        .map(|&x| -(x - g.mu) * (x - g.mu) / (2.0 * g.sigma * g.sigma))
        .collect();
    let top = e.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = e.iter().map(|v| (v - top).exp()).collect();
    Ok(normalize(&w)?)
}

/// The forward fit: argmin over (μ, σ) of KL(p‖q_θ), the mass-covering fit
/// that cross-entropy training also finds.
///
/// The objective is convex in the natural parameters, so one start (the
/// moments of p) suffices. At the minimizer, E_q\[x\] = E_p\[x\] and
/// E_q\[x²\] = E_p\[x²\] on the grid (moment matching).
///
/// # Errors
/// [`FitError`] for an invalid grid or target, or a fit that fails its
/// stopping rule or certificate (see the module docs).
///
/// # Example
/// ```
/// use logloss_proofs::models::reverse_fit::{fit_forward, BimodalTarget};
/// let t = BimodalTarget::new(2.0, 0.5, 0.5, 101).unwrap();
/// let f = fit_forward(&t.points, &t.p).unwrap();
/// // Mass-covering: centred between the modes, wide enough to reach both.
/// assert!(f.gaussian.mu.abs() <= f.mu_error);
/// assert!(f.gaussian.sigma > 2.0);
/// ```
pub fn fit_forward(points: &[f64], p: &[f64]) -> Result<Fit, FitError> {
    validate(points, p)?;
    let start = moments(points, p);
    let problem = Problem::new(points, p, start, Direction::Forward);
    problem.minimize(start)
}

/// The reverse fit: argmin over (μ, σ) of KL(q_θ‖p), the mode-seeking fit.
///
/// The objective is not convex; Newton's method runs from each start, and the
/// certified local minimum with the lowest objective is returned. Starts that
/// end at a point that is not a certified minimum are skipped.
///
/// # Errors
/// [`FitError`] for an invalid grid or target, [`FitError::ZeroTarget`] if
/// p has a zero, [`FitError::NoStart`], or the first start's error if no
/// start gives a certified minimum.
///
/// # Example
/// ```
/// use logloss_proofs::models::reverse_fit::{fit_reverse, BimodalTarget, Gaussian};
/// let t = BimodalTarget::new(2.0, 0.5, 0.7, 101).unwrap();
/// let starts = [Gaussian { mu: -2.0, sigma: 0.5 }, Gaussian { mu: 2.0, sigma: 0.5 }];
/// let r = fit_reverse(&t.points, &t.p, &starts).unwrap();
/// // Mode-seeking: it sits on the heavier mode at −m = −2, about as wide as
/// // one component (s = 0.5), far narrower than the forward fit (σ > 2).
/// assert!(r.gaussian.mu < -1.5 && r.gaussian.sigma < 1.0);
/// ```
pub fn fit_reverse(points: &[f64], p: &[f64], starts: &[Gaussian]) -> Result<Fit, FitError> {
    validate(points, p)?;
    if let Some(index) = p.iter().position(|&v| v == 0.0) {
        return Err(FitError::ZeroTarget { index });
    }
    if starts.is_empty() {
        return Err(FitError::NoStart);
    }
    let mut best: Option<Fit> = None;
    let mut first_error = None;
    for &start in starts {
        check_gaussian(start)?;
        let problem = Problem::new(points, p, start, Direction::Reverse);
        match problem.minimize(start) {
            Ok(fit) => {
                if best.is_none_or(|b| fit.objective < b.objective) {
                    best = Some(fit);
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match (best, first_error) {
        (Some(fit), _) => Ok(fit),
        (None, Some(e)) => Err(e),
        (None, None) => Err(FitError::NoStart),
    }
}

fn check_gaussian(g: Gaussian) -> Result<(), FitError> {
    if !g.mu.is_finite() {
        return Err(FitError::BadParameter {
            name: "mu",
            value: g.mu,
            reason: "must be finite",
        });
    }
    if !(g.sigma.is_finite() && g.sigma > 0.0) {
        return Err(FitError::BadParameter {
            name: "sigma",
            value: g.sigma,
            reason: "must be finite and positive",
        });
    }
    Ok(())
}

fn check_points(points: &[f64]) -> Result<(), FitError> {
    if let Some(index) = points.iter().position(|x| !x.is_finite()) {
        return Err(FitError::NotFinite {
            index,
            value: points[index],
        });
    }
    let mut sorted = points.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    if sorted.len() < 3 {
        return Err(FitError::TooFewPoints {
            distinct: sorted.len(),
        });
    }
    Ok(())
}

fn validate(points: &[f64], p: &[f64]) -> Result<(), FitError> {
    check_points(points)?;
    if points.len() != p.len() {
        return Err(FitError::LengthMismatch {
            points: points.len(),
            p: p.len(),
        });
    }
    validate_distribution("p", p)?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Forward,
    Reverse,
}

/// One fit's problem in its frame t = (x − c)/d.
struct Problem<'a> {
    direction: Direction,
    p: &'a [f64],
    ln_p: Vec<f64>,
    t: Vec<f64>,
    t2: Vec<f64>,
    /// E_p[t], E_p[t²] (forward only).
    ep: [f64; 2],
    /// Σ pᵢ ln pᵢ (forward only), to report KL rather than CE.
    neg_entropy: f64,
    c: f64,
    d: f64,
}

/// The objective, gradient, Hessian (a, b; b, c) and the gradient's noise
/// bound: ν = ‖noise_parts‖, the bounds of the gradient's two components.
#[derive(Debug, Clone, Copy)]
struct Eval {
    objective: f64,
    g: [f64; 2],
    h: [f64; 3],
    noise: f64,
    noise_parts: [f64; 2],
}

impl Eval {
    fn gradient_norm(&self) -> f64 {
        self.g[0].hypot(self.g[1])
    }
}

/// Eigenvalues (smallest, largest) of the symmetric 2×2 matrix (a, b; b, c).
fn eigenvalues(h: [f64; 3]) -> (f64, f64) {
    extreme_eigenvalues(&[h[0], h[1], h[1], h[2]], 2)
}

/// Newton steps allowed before a fit is declared not converged.
const MAX_STEPS: usize = 200;
/// Steps without a new best gradient norm after which the fit stops.
const STALL: usize = 8;

/// A [`Problem`] as an [`Objective`] in η for the Newton solver. The last
/// evaluation is kept: the solver asks for the value, gradient and Hessian
/// at the same point in turn, and one [`Problem::eval`] gives all three.
struct KlObjective<'p, 'a> {
    problem: &'p Problem<'a>,
    last: Cell<Option<([u64; 2], Eval)>>,
}

impl<'p, 'a> KlObjective<'p, 'a> {
    fn new(problem: &'p Problem<'a>) -> Self {
        KlObjective {
            problem,
            last: Cell::new(None),
        }
    }

    fn at(&self, theta: &[f64]) -> Eval {
        let key = [theta[0].to_bits(), theta[1].to_bits()];
        if let Some((k, ev)) = self.last.get()
            && k == key
        {
            return ev;
        }
        let ev = self.problem.eval([theta[0], theta[1]]);
        self.last.set(Some((key, ev)));
        ev
    }
}

impl Objective for KlObjective<'_, '_> {
    fn dimension(&self) -> usize {
        2
    }

    /// The divergence, or +∞ where η₂ ≥ 0 (no Gaussian).
    fn value(&self, theta: &[f64]) -> f64 {
        if theta[1] < 0.0 {
            self.at(theta).objective
        } else {
            f64::INFINITY
        }
    }

    fn gradient(&self, theta: &[f64]) -> GradientEval {
        let ev = self.at(theta);
        GradientEval {
            gradient: ev.g.to_vec(),
            error: ev.noise_parts.to_vec(),
        }
    }

    /// The computed Hessian; no bound on its rounding is derived (`error`
    /// is +∞), which the line-search certificate does not use.
    fn hessian(&self, theta: &[f64]) -> HessianEval {
        let h = self.at(theta).h;
        HessianEval {
            hessian: vec![h[0], h[1], h[1], h[2]],
            error: f64::INFINITY,
        }
    }

    /// Sampled, not bounded: the smallest Hessian eigenvalue at the ball's
    /// four axis points θ ± radius·eₖ, stopping at the first below λ/2
    /// (−∞ if one is outside the domain η₂ < 0). The fit's certificate is
    /// only as good as this sample (see the module docs).
    fn curvature_on_ball(&self, theta: &[f64], lambda: f64, radius: f64) -> f64 {
        let mut smallest = f64::INFINITY;
        for (k, sign) in [(0, 1.0), (0, -1.0), (1, 1.0), (1, -1.0)] {
            let mut corner = [theta[0], theta[1]];
            corner[k] += sign * radius;
            if corner[1].is_nan() || corner[1] >= 0.0 {
                return f64::NEG_INFINITY;
            }
            let low = eigenvalues(self.at(&corner).h).0;
            if low.is_nan() || lambda.is_nan() || low < 0.5 * lambda {
                return low;
            }
            smallest = smallest.min(low);
        }
        smallest
    }
}

impl<'a> Problem<'a> {
    fn new(points: &[f64], p: &'a [f64], frame: Gaussian, direction: Direction) -> Self {
        let (c, d) = (frame.mu, frame.sigma);
        let t: Vec<f64> = points.iter().map(|x| (x - c) / d).collect();
        let t2: Vec<f64> = t.iter().map(|v| v * v).collect();
        let ep = [
            p.iter().zip(&t).map(|(a, b)| a * b).sum(),
            p.iter().zip(&t2).map(|(a, b)| a * b).sum(),
        ];
        let ln_p: Vec<f64> = p.iter().map(|v| v.ln()).collect();
        let neg_entropy = p
            .iter()
            .zip(&ln_p)
            .filter(|(a, _)| **a > 0.0)
            .map(|(a, l)| a * l)
            .sum();
        Problem {
            direction,
            p,
            ln_p,
            t,
            t2,
            ep,
            neg_entropy,
            c,
            d,
        }
    }

    /// ln q and the bound on each entry's rounding error (see the derivation below).
    fn log_q(&self, eta: [f64; 2]) -> (Vec<f64>, Vec<f64>) {
        let k = self.t.len() as f64;
        // sᵢ = η₁tᵢ + η₂tᵢ²: tᵢ carries 2u relative (a subtraction and a
        // division), tᵢ² 5u, each product one more, the sum one more: at most
        // 7u·(|η₁tᵢ| + |η₂|tᵢ²).
        let s: Vec<f64> = self
            .t
            .iter()
            .zip(&self.t2)
            .map(|(t, t2)| eta[0] * t + eta[1] * t2)
            .collect();
        let es: Vec<f64> = self
            .t
            .iter()
            .zip(&self.t2)
            .map(|(t, t2)| 7.0 * U * ((eta[0] * t).abs() + eta[1].abs() * t2))
            .collect();
        let top = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let es_max = es.iter().copied().fold(0.0, f64::max);
        let spread = s.iter().map(|v| top - v).fold(0.0, f64::max);
        let sum: f64 = s.iter().map(|v| (v - top).exp()).sum();
        let a = top + sum.ln();
        // A = max s + ln Σ exp(sᵢ − max s): max s is off by ≤ es_max; each
        // exp argument by ≤ 2·es_max + u·spread, so each term by that
        // relatively plus u for exp; the K-term sum adds (K − 1)u relative;
        // ln adds u·|ln Σ|, the final addition u·|A|.
        let err_a = 3.0 * es_max + U * (spread + k + 2.0 + sum.ln().abs() + a.abs());
        let ln_q: Vec<f64> = s.iter().map(|v| v - a).collect();
        let e: Vec<f64> = es
            .iter()
            .zip(&ln_q)
            .map(|(es, l)| es + err_a + U * l.abs())
            .collect();
        (ln_q, e)
    }

    fn eval(&self, eta: [f64; 2]) -> Eval {
        let k = self.t.len() as f64;
        let (ln_q, e) = self.log_q(eta);
        let q: Vec<f64> = ln_q.iter().map(|l| l.exp()).collect();
        let m1: f64 = q.iter().zip(&self.t).map(|(a, b)| a * b).sum();
        let m2: f64 = q.iter().zip(&self.t2).map(|(a, b)| a * b).sum();
        let (mut h11, mut h12, mut h22) = (0.0, 0.0, 0.0);
        match self.direction {
            Direction::Forward => {
                for ((qi, t), t2) in q.iter().zip(&self.t).zip(&self.t2) {
                    let (a, b) = (t - m1, t2 - m2);
                    h11 += qi * a * a;
                    h12 += qi * a * b;
                    h22 += qi * b * b;
                }
                let g = [m1 - self.ep[0], m2 - self.ep[1]];
                // E_q[T] with qᵢ off by (eᵢ + u) relative, Tₖ by 5u, a K-term
                // sum by (K − 1)u: Σ qᵢ|Tᵢₖ|(eᵢ + (K + 7)u); E_p[T] likewise
                // with exact pᵢ: Σ pᵢ|Tᵢₖ|(K + 6)u; the subtraction u|gₖ|.
                let noise_k = |tk: &[f64], gk: f64| -> f64 {
                    let mut acc = U * gk.abs();
                    for i in 0..q.len() {
                        acc += q[i] * tk[i].abs() * (e[i] + (k + 7.0) * U)
                            + self.p[i] * tk[i].abs() * (k + 6.0) * U;
                    }
                    acc
                };
                let noise_parts = [noise_k(&self.t, g[0]), noise_k(&self.t2, g[1])];
                let noise = noise_parts[0].hypot(noise_parts[1]);
                // CE(p, q_η) = A − η·E_p[T]; KL = CE + Σ p ln p.
                let a = ln_q_offset(&ln_q, &self.t, &self.t2, eta);
                let objective = a - eta[0] * self.ep[0] - eta[1] * self.ep[1] + self.neg_entropy;
                Eval {
                    objective,
                    g,
                    h: [h11, h12, h22],
                    noise,
                    noise_parts,
                }
            }
            Direction::Reverse => {
                let f: Vec<f64> = ln_q.iter().zip(&self.ln_p).map(|(a, b)| a - b).collect();
                let ef: f64 = q.iter().zip(&f).map(|(a, b)| a * b).sum();
                let (mut g1, mut g2) = (0.0, 0.0);
                for i in 0..q.len() {
                    let (a, b, r) = (self.t[i] - m1, self.t2[i] - m2, f[i] - ef);
                    g1 += q[i] * a * r;
                    g2 += q[i] * b * r;
                    h11 += q[i] * a * a * (1.0 + r);
                    h12 += q[i] * a * b * (1.0 + r);
                    h22 += q[i] * b * b * (1.0 + r);
                }
                // Errors, each to first order in u:
                // fᵢ = ln qᵢ − ln pᵢ: eᵢ + u|ln pᵢ| + u|fᵢ|;
                // E_q[Tₖ]: Σ qᵢ|Tᵢₖ|(eᵢ + (K + 7)u); E_q[f]: Σ qᵢ(|fᵢ|(eᵢ + (K + 2)u) + err fᵢ);
                // centred T̃, f̃: their inputs' errors plus u|T̃|, u|f̃|;
                // gₖ = Σ qᵢ T̃ᵢₖ f̃ᵢ: Σ qᵢ(|T̃ᵢₖ f̃ᵢ|(eᵢ + (K + 3)u) + |f̃ᵢ| err T̃ᵢₖ + |T̃ᵢₖ| err f̃ᵢ).
                let err_f: Vec<f64> = (0..q.len())
                    .map(|i| e[i] + U * (self.ln_p[i].abs() + f[i].abs()))
                    .collect();
                let err_m = |tk: &[f64]| -> f64 {
                    (0..q.len())
                        .map(|i| q[i] * tk[i].abs() * (e[i] + (k + 7.0) * U))
                        .sum()
                };
                let (err_m1, err_m2) = (err_m(&self.t), err_m(&self.t2));
                let err_ef: f64 = (0..q.len())
                    .map(|i| q[i] * (f[i].abs() * (e[i] + (k + 2.0) * U) + err_f[i]))
                    .sum();
                let noise_k = |tk: &[f64], mk: f64, err_mk: f64, gk: f64| -> f64 {
                    let mut acc = U * gk.abs();
                    for i in 0..q.len() {
                        let tt = tk[i] - mk;
                        let r = f[i] - ef;
                        let err_tt = 5.0 * U * tk[i].abs() + err_mk + U * tt.abs();
                        let err_r = err_f[i] + err_ef + U * r.abs();
                        acc += q[i]
                            * ((tt * r).abs() * (e[i] + (k + 3.0) * U)
                                + r.abs() * err_tt
                                + tt.abs() * err_r);
                    }
                    acc
                };
                let noise_parts = [
                    noise_k(&self.t, m1, err_m1, g1),
                    noise_k(&self.t2, m2, err_m2, g2),
                ];
                let noise = noise_parts[0].hypot(noise_parts[1]);
                Eval {
                    objective: ef,
                    g: [g1, g2],
                    h: [h11, h12, h22],
                    noise,
                    noise_parts,
                }
            }
        }
    }

    /// Newton's method from the start, by the crate's solver with
    /// [`StepRule::LineSearch`] (at most `MAX_STEPS` steps, stalled after
    /// `STALL`, no accuracy required beyond the certificate's own premise:
    /// the tolerance is `f64::MAX`); the certificate is computed from
    /// wherever it stopped, and its errors are told in terms of the start.
    fn minimize(&self, start: Gaussian) -> Result<Fit, FitError> {
        // The start in this frame: μₜ = (μ − c)/d, σₜ = σ/d, so η = (μₜ/σₜ², −1/(2σₜ²));
        // with the frame at the start itself this is η = (0, −1/2).
        let sigma_t = start.sigma / self.d;
        let var_t = sigma_t * sigma_t;
        let eta = [(start.mu - self.c) / self.d / var_t, -0.5 / var_t];
        let objective = KlObjective::new(self);
        let options = NewtonOptions {
            max_iterations: MAX_STEPS,
            tolerance: f64::MAX,
            step_rule: StepRule::LineSearch { stall: STALL },
        };
        let (mu, sigma) = (start.mu, start.sigma);
        let fit = minimize(&objective, &eta, &options).map_err(|e| match e {
            ModelError::NotConverged {
                iterations,
                gradient_norm,
                ..
            } => FitError::NotConverged {
                mu,
                sigma,
                iterations,
                gradient_norm,
            },
            ModelError::NotCertified { radius, .. } => FitError::NotCertified { mu, sigma, radius },
            ModelError::NotStronglyConvex {
                hessian_lower_bound,
                ..
            } => FitError::NotAMinimum {
                mu,
                sigma,
                eigenvalue: hessian_lower_bound,
            },
            // A start where the objective cannot be evaluated (a frame with
            // σ = 0 makes η NaN) has no minimum to certify.
            _ => FitError::NotAMinimum {
                mu,
                sigma,
                eigenvalue: f64::NAN,
            },
        })?;
        let eta = [fit.theta[0], fit.theta[1]];
        let ev = objective.at(&eta);
        let (_, lmax) = eigenvalues(ev.h);
        let radius = fit.certificate.parameter_error;
        let (mu, sigma, mu_error, sigma_error) = self.gaussian_within(eta, radius);
        Ok(Fit {
            gaussian: Gaussian { mu, sigma },
            objective: ev.objective,
            mu_error,
            sigma_error,
            gradient_norm: ev.gradient_norm(),
            gradient_noise: ev.noise,
            min_eigenvalue: fit.certificate.hessian_lower_bound,
            max_eigenvalue: lmax,
            radius,
            iterations: fit.iterations,
            start,
        })
    }

    /// The Gaussian (μ, σ) of natural parameters η in this frame, and
    /// bounds on its distance to the Gaussian of any η′ within `radius` of η.
    /// μₜ = −η₁/(2η₂) = η₁σₜ², σₜ = (−2η₂)^(−1/2):
    /// ∂μₜ/∂η = (σₜ², η₁/(2η₂²)), ∂σₜ/∂η₂ = σₜ³, so μ moves by
    /// d·‖∂μₜ/∂η‖·r and σ by d·σₜ³·r; each conversion adds a few roundings:
    /// 4u relative on μ's two parts (|c| and |d·μₜ|), 4u on σ.
    fn gaussian_within(&self, eta: [f64; 2], radius: f64) -> (f64, f64, f64, f64) {
        let var_t = -0.5 / eta[1];
        let mu_t = eta[0] * var_t;
        let sigma_t = var_t.sqrt();
        let mu = self.c + self.d * mu_t;
        let sigma = self.d * sigma_t;
        let dmu = var_t.hypot(eta[0] / (2.0 * eta[1] * eta[1]));
        let mu_error = self.d * dmu * radius + 4.0 * U * (self.c.abs() + (self.d * mu_t).abs());
        let sigma_error = self.d * sigma_t * var_t * radius + 4.0 * U * sigma;
        (mu, sigma, mu_error, sigma_error)
    }
}

/// A(η) recovered from any entry: ln qᵢ = η·Tᵢ − A, taken at the entry with
/// the largest ln q (the one least affected by rounding).
fn ln_q_offset(ln_q: &[f64], t: &[f64], t2: &[f64], eta: [f64; 2]) -> f64 {
    let (i, _) =
        ln_q.iter().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |b, (i, &v)| if v > b.1 { (i, v) } else { b },
        );
    eta[0] * t[i] + eta[1] * t2[i] - ln_q[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_in_the_family_is_fitted_by_both_directions() {
        // p = (1/4, 1/2, 1/4) on (−1, 0, 1) is q_θ for μ = 0 and
        // e^(−1/(2σ²)) = (1/4)/(1/2), i.e. σ² = 1/(2 ln 2), exactly. Both
        // divergences vanish there, so both fits must return it within their
        // certificates, plus the reference's own rounding (sqrt, ln and a
        // division: 3u relative, 4u to be safe).
        let (x, p) = IN_FAMILY;
        let f = fit_forward(&x, &p).unwrap();
        let r = fit_reverse(
            &x,
            &p,
            &[Gaussian {
                mu: 0.3,
                sigma: 1.1,
            }],
        )
        .unwrap();
        assert_at_the_in_family_minimum(&f, "forward");
        assert_at_the_in_family_minimum(&r, "reverse");
    }

    /// (1/4, 1/2, 1/4) on (−1, 0, 1): q_θ for μ = 0, σ² = 1/(2 ln 2).
    const IN_FAMILY: ([f64; 3], [f64; 3]) = ([-1.0, 0.0, 1.0], [0.25, 0.5, 0.25]);

    /// The fit is at μ = 0, σ = √(1/(2 ln 2)) within its certificate and the
    /// reference's own rounding (sqrt, ln and a division: 3u relative, 4u to
    /// be safe).
    fn assert_at_the_in_family_minimum(fit: &Fit, what: &str) {
        let sigma = (0.5 / std::f64::consts::LN_2).sqrt();
        assert!(fit.gaussian.mu.abs() <= fit.mu_error, "{what}: {fit:?}");
        assert!(
            (fit.gaussian.sigma - sigma).abs() <= fit.sigma_error + 4.0 * U * sigma,
            "{what}: {fit:?}"
        );
    }

    #[test]
    fn a_start_far_from_the_minimum_backtracks_to_it() {
        // The same in-family target as above, from starts narrower than it
        // or far to one side. There a full Newton step overshoots into a
        // region where the reverse KL is not convex and is rejected; the line
        // search must shorten it (with full steps only, each of these fits
        // stops where the Hessian has a negative eigenvalue). The fit must
        // still reach μ = 0, σ² = 1/(2 ln 2).
        let (x, p) = IN_FAMILY;
        for (mu, sigma) in [(0.0, 0.5), (2.0, 0.5), (8.0, 2.0)] {
            let start = Gaussian { mu, sigma };
            let r = fit_reverse(&x, &p, &[start]).unwrap();
            assert_at_the_in_family_minimum(&r, &format!("from {start:?}"));
        }
    }

    #[test]
    fn at_an_in_family_target_both_fits_have_the_same_curvature() {
        // p = q_θ* (in the family): both divergences are minimized at θ*,
        // where f = ln q − ln p vanishes, so both Hessians are Cov_q(T),
        // T = (t, t²), in the shared frame (the forward fit's frame is
        // moment_match(p); the reverse fit is started there). Each fit is
        // within its radius ρ of θ*. Each Hessian entry Σᵢqᵢaᵢbᵢ(1 + rᵢ) has
        // |a|, |b| ≤ R, the largest range of t and t² on the grid; moving η
        // by Δ scales qᵢ by at most e^(R‖Δ‖₁), moves a, b by R‖Δ‖₁ and rᵢ by
        // 2R‖Δ‖₁, so an entry by at most 5R³‖Δ‖₁·(1 + O(R‖Δ‖₁)) ≤ 8R³‖Δ‖₂,
        // and an eigenvalue of the 2 × 2 matrix by twice that. Plus each
        // Hessian's rounding: per entry (K + 6)u·R² for the products and the
        // sum of K terms, and 2(K + 2)u·R² from the centring means, so
        // 3(K + 6)u·R², twice that for an eigenvalue.
        let x = symmetric_grid(6.0, 61).unwrap();
        let p = discretized_gaussian(
            &x,
            Gaussian {
                mu: 0.5,
                sigma: 1.2,
            },
        )
        .unwrap();
        let f = fit_forward(&x, &p).unwrap();
        let frame = moment_match(&x, &p).unwrap();
        let r = fit_reverse(&x, &p, &[frame]).unwrap();
        let t: Vec<f64> = x.iter().map(|v| (v - frame.mu) / frame.sigma).collect();
        let range = |v: &[f64]| {
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                - v.iter().copied().fold(f64::INFINITY, f64::min)
        };
        let t2: Vec<f64> = t.iter().map(|v| v * v).collect();
        let big_r = range(&t).max(range(&t2));
        let k = x.len() as f64;
        let tolerance = 16.0 * big_r.powi(3) * (f.radius + r.radius)
            + 6.0 * (k + 6.0) * (f64::EPSILON / 2.0) * big_r * big_r;
        for (a, b) in [
            (f.min_eigenvalue, r.min_eigenvalue),
            (f.max_eigenvalue, r.max_eigenvalue),
        ] {
            assert!(
                (a - b).abs() <= tolerance,
                "{a} vs {b} (tolerance {tolerance:e})"
            );
        }
    }

    /// Both Hessians against 320-bit references, at a point away from the
    /// minimum. With a = T − E_qT, f = ln q − ln p and r = f − E_q f, the
    /// reverse gradient is g = E_q[a·f] (f's own derivative a has mean 0),
    /// and differentiating once more (q brings a, a brings −Cov_q T, f
    /// brings a) gives H = E_q[aaᵀ(1 + r)]; the forward Hessian is
    /// E_q[aaᵀ] = Cov_q T. The references take the stored t, t² as exact and
    /// use the exact ln pᵢ.
    ///
    /// Tolerance per entry, with M ≥ |aᵢ|, |bᵢ| (the largest |t|, t², or
    /// range), e the largest ln q̃ error the problem reports, ρ = max|r̃ᵢ|:
    /// qᵢ within e + u; the centring means within (e + (K + 7)u)M, so aᵢ,
    /// bᵢ within (e + (K + 8)u)M; three products and the K-term sum
    /// (K + 3)u; r̃ᵢ within 2(e + 2u·max|ln p| + u·max|f|) +
    /// max|f|(e + (K + 2)u) + uρ. In all
    /// 1.01·M²((1 + ρ)(3e + (3K + 24)u) + Δr).
    #[test]
    fn hessians_match_a_320_bit_reference_away_from_the_minimum() {
        use crate::test_support::{PREC as P, RM, big, to_f64};
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let x = symmetric_grid(4.0, 41).unwrap();
        let p = discretized_gaussian(
            &x,
            Gaussian {
                mu: 1.0,
                sigma: 0.7,
            },
        )
        .unwrap();
        let frame = Gaussian {
            mu: 0.0,
            sigma: 1.0,
        };
        let eta = [0.3, -0.6];
        for direction in [Direction::Forward, Direction::Reverse] {
            let reverse = matches!(direction, Direction::Reverse);
            let prob = Problem::new(&x, &p, frame, direction);
            let got = prob.eval(eta).h;
            let (ln_q_f64, e) = prob.log_q(eta);
            // The reference expectations at 320 bits.
            let s: Vec<_> = prob
                .t
                .iter()
                .zip(&prob.t2)
                .map(|(t, t2)| {
                    big(eta[0])
                        .mul(&big(*t), P, RM)
                        .add(&big(eta[1]).mul(&big(*t2), P, RM), P, RM)
                })
                .collect();
            let w: Vec<_> = s.iter().map(|v| v.exp(P, RM, &mut cc)).collect();
            let z = w.iter().fold(big(0.0), |acc, v| acc.add(v, P, RM));
            let q: Vec<_> = w.iter().map(|v| v.div(&z, P, RM)).collect();
            let ln_z = z.ln(P, RM, &mut cc);
            let f: Vec<_> = s
                .iter()
                .zip(&p)
                .map(|(v, pi)| v.sub(&ln_z, P, RM).sub(&big(*pi).ln(P, RM, &mut cc), P, RM))
                .collect();
            let mean = |v: &[astro_float::BigFloat]| {
                q.iter()
                    .zip(v)
                    .fold(big(0.0), |acc, (qi, vi)| acc.add(&qi.mul(vi, P, RM), P, RM))
            };
            let t: Vec<_> = prob.t.iter().map(|v| big(*v)).collect();
            let t2: Vec<_> = prob.t2.iter().map(|v| big(*v)).collect();
            let (m1, m2, ef) = (mean(&t), mean(&t2), mean(&f));
            let mut want = [big(0.0), big(0.0), big(0.0)];
            for i in 0..q.len() {
                let a = t[i].sub(&m1, P, RM);
                let b = t2[i].sub(&m2, P, RM);
                let weight = if reverse {
                    q[i].mul(&big(1.0).add(&f[i].sub(&ef, P, RM), P, RM), P, RM)
                } else {
                    q[i].clone()
                };
                for (slot, (u, v)) in [(&a, &a), (&a, &b), (&b, &b)].into_iter().enumerate() {
                    want[slot] = want[slot].add(&weight.mul(&u.mul(v, P, RM), P, RM), P, RM);
                }
            }
            // The tolerance's ingredients, from the f64 quantities.
            let k = x.len() as f64;
            let big_m = prob
                .t
                .iter()
                .chain(&prob.t2)
                .fold(0.0f64, |m, v| m.max(v.abs()))
                * 2.0;
            let e_max = e.iter().copied().fold(0.0, f64::max);
            let f64_f: Vec<f64> = ln_q_f64
                .iter()
                .zip(&prob.ln_p)
                .map(|(a, b)| a - b)
                .collect();
            let f_max = f64_f.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let ln_p_max = prob.ln_p.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let (rho, dr) = if reverse {
                let ef64: f64 = ln_q_f64
                    .iter()
                    .zip(&f64_f)
                    .map(|(l, fi)| l.exp() * fi)
                    .sum();
                let rho = f64_f.iter().fold(0.0f64, |m, v| m.max((v - ef64).abs()));
                let dr = 2.0 * (e_max + 2.0 * U * ln_p_max + U * f_max)
                    + f_max * (e_max + (k + 2.0) * U)
                    + U * rho;
                (rho, dr)
            } else {
                (0.0, 0.0)
            };
            let tol =
                1.01 * big_m * big_m * ((1.0 + rho) * (3.0 * e_max + (3.0 * k + 24.0) * U) + dr);
            for slot in 0..3 {
                let want = to_f64(&want[slot], &mut cc);
                assert!(
                    (got[slot] - want).abs() <= tol,
                    "{} entry {slot}: {:e} vs {want:e} (tolerance {tol:e})",
                    if reverse { "reverse" } else { "forward" },
                    got[slot]
                );
            }
            if reverse {
                // The test can tell E_q f's sign: flipping it moves the
                // (1, 1) entry by 2·E_q f·Var_q t, far beyond the tolerance.
                let ef = to_f64(&ef, &mut cc);
                let var = to_f64(&want_cov(&q, &t, &m1), &mut cc);
                assert!(2.0 * ef * var > 1e6 * tol, "{ef:e}·{var:e} against {tol:e}");
            }
        }
    }

    /// Var_q t at 320 bits.
    fn want_cov(
        q: &[astro_float::BigFloat],
        t: &[astro_float::BigFloat],
        m: &astro_float::BigFloat,
    ) -> astro_float::BigFloat {
        use crate::test_support::{PREC as P, RM, big};
        q.iter().zip(t).fold(big(0.0), |acc, (qi, ti)| {
            let a = ti.sub(m, P, RM);
            acc.add(&qi.mul(&a.mul(&a, P, RM), P, RM), P, RM)
        })
    }

    /// The conversion to (μ, σ) in the frame c = 1, d = 2, at η = (1, −½):
    /// σₜ² = 1, μₜ = 1, so μ = 1 + 2 = 3 and σ = 2 exactly; ‖∂μₜ/∂η‖ =
    /// ‖(1, 2)‖ = √5, so μ's bound is 2√5·r + 4u(1 + 2) and σ's
    /// 2·1·1·r + 4u·2; r = 2⁻⁴⁸ keeps both parts in view (a few roundings
    /// of positive terms: 4u relative).
    #[test]
    fn the_gaussian_of_a_natural_parameter_follows_its_formula() {
        let p = [0.25, 0.5, 0.25];
        let mut prob = Problem::new(
            &[-1.0, 0.0, 1.0],
            &p,
            Gaussian {
                mu: 1.0,
                sigma: 2.0,
            },
            Direction::Reverse,
        );
        prob.c = 1.0;
        prob.d = 2.0;
        let r = 2f64.powi(-48);
        let (mu, sigma, mu_error, sigma_error) = prob.gaussian_within([1.0, -0.5], r);
        assert_eq!((mu, sigma), (3.0, 2.0));
        let want = 2.0 * 5f64.sqrt() * r + 12.0 * U;
        assert!(
            (mu_error - want).abs() <= 4.0 * U * want,
            "{mu_error:e} vs {want:e}"
        );
        let want = 2.0 * r + 8.0 * U;
        assert!(
            (sigma_error - want).abs() <= 4.0 * U * want,
            "{sigma_error:e} vs {want:e}"
        );
    }

    /// The gradient noise bounds, written out here from the derivations in
    /// `eval` (forward: E_q[T] with qᵢ off by eᵢ + u and Tₖ by 5u, E_p[T]
    /// with exact p, the subtraction; reverse: f, the means E_q[T] and
    /// E_q[f], the centred T̃ and f̃, the products and sums), from the
    /// problem's own ln q̃ and its errors, on three points at η = (½, −¼),
    /// a target off the family so that f ≠ 0. The same operations in a
    /// different order: 8u relative.
    #[test]
    fn gradient_noise_follows_its_formula() {
        let p = [0.2, 0.5, 0.3];
        let eta = [0.5, -0.25];
        let frame = Gaussian {
            mu: 0.0,
            sigma: 1.0,
        };
        for direction in [Direction::Forward, Direction::Reverse] {
            let reverse = matches!(direction, Direction::Reverse);
            let prob = Problem::new(&[-1.0, 0.0, 1.0], &p, frame, direction);
            let ev = prob.eval(eta);
            let (ln_q, e) = prob.log_q(eta);
            let q: Vec<f64> = ln_q.iter().map(|l| l.exp()).collect();
            let k = 3.0;
            let ts = [prob.t.clone(), prob.t2.clone()];
            let mean = |v: &[f64]| -> f64 { (0..3).map(|i| q[i] * v[i]).sum() };
            let noise = |j: usize| -> f64 {
                let tk = &ts[j];
                let mut acc = U * ev.g[j].abs();
                if !reverse {
                    for i in 0..3 {
                        acc += q[i] * tk[i].abs() * (e[i] + (k + 7.0) * U)
                            + p[i] * tk[i].abs() * (k + 6.0) * U;
                    }
                    return acc;
                }
                let f: Vec<f64> = (0..3).map(|i| ln_q[i] - prob.ln_p[i]).collect();
                let ef = mean(&f);
                let err_f: Vec<f64> = (0..3)
                    .map(|i| e[i] + U * (prob.ln_p[i].abs() + f[i].abs()))
                    .collect();
                let err_m: f64 = (0..3)
                    .map(|i| q[i] * tk[i].abs() * (e[i] + (k + 7.0) * U))
                    .sum();
                let err_ef: f64 = (0..3)
                    .map(|i| q[i] * (f[i].abs() * (e[i] + (k + 2.0) * U) + err_f[i]))
                    .sum();
                let m = mean(tk);
                for i in 0..3 {
                    let (tt, r) = (tk[i] - m, f[i] - ef);
                    let err_tt = 5.0 * U * tk[i].abs() + err_m + U * tt.abs();
                    let err_r = err_f[i] + err_ef + U * r.abs();
                    acc += q[i]
                        * ((tt * r).abs() * (e[i] + (k + 3.0) * U)
                            + r.abs() * err_tt
                            + tt.abs() * err_r);
                }
                acc
            };
            let want = noise(0).hypot(noise(1));
            assert!(
                (ev.noise - want).abs() <= 8.0 * U * want,
                "{reverse}: {:e} vs {want:e}",
                ev.noise
            );
        }
    }

    /// ln q and its error bound at t = (−1, 0, 1) (frame (0, 1)), η = (½, −¼):
    /// s = (−¾, 0, ¼), each sᵢ within 7u(|η₁tᵢ| + |η₂|tᵢ²) = (5.25u, 0,
    /// 5.25u); A = ¼ + ln(e⁻¹ + e^(−¼) + 1) within 3·5.25u plus u times
    /// (spread 1, K = 3, 2, |ln Σ| and |A|); each ln qᵢ = sᵢ − A within its
    /// sᵢ's, A's and u|ln qᵢ|. The wanted values repeat the documented formula with the
    /// same f64 logarithm and exponentials: 4u relative.
    #[test]
    fn log_q_error_follows_its_formula() {
        let p = [0.25, 0.5, 0.25];
        let prob = Problem::new(
            &[-1.0, 0.0, 1.0],
            &p,
            Gaussian {
                mu: 0.0,
                sigma: 1.0,
            },
            Direction::Forward,
        );
        let (ln_q, e) = prob.log_q([0.5, -0.25]);
        let sum = (-1.0f64).exp() + (-0.25f64).exp() + 1.0;
        let a = 0.25 + sum.ln();
        let err_a = 3.0 * 5.25 * U + U * (1.0 + 3.0 + 2.0 + sum.ln().abs() + a.abs());
        let s = [-0.75, 0.0, 0.25];
        let es = [5.25 * U, 0.0, 5.25 * U];
        for i in 0..3 {
            assert!((ln_q[i] - (s[i] - a)).abs() <= 2.0 * U * a, "ln q {i}");
            let want = es[i] + err_a + U * (s[i] - a).abs();
            assert!(
                (e[i] - want).abs() <= 4.0 * U * want,
                "{i}: {:e} vs {want:e}",
                e[i]
            );
        }
    }

    /// Moment matching: p = (¼, ½, ¼) on (−1, 0, 1) has mean 0 and variance
    /// ¼ + ¼ = ½ (exact sums), so σ = √½ (one correctly rounded root).
    #[test]
    fn moment_matching_takes_the_mean_and_variance() {
        let g = moment_match(&[-1.0, 0.0, 1.0], &[0.25, 0.5, 0.25]).unwrap();
        assert_eq!((g.mu, g.sigma), (0.0, 0.5f64.sqrt()));
        // Shifted and lopsided: p = (½, ½) on (1, 3): mean 2, variance 1.
        let g = moment_match(&[1.0, 3.0, 5.0], &[0.5, 0.5, 0.0]).unwrap();
        assert_eq!((g.mu, g.sigma), (2.0, 1.0));
    }

    /// The grid runs from −w to w in equal steps 2w/(n − 1): at w = 6 and
    /// n = 61 the points are 6(2i − 60)/60, so −6, 0 and 6 exactly at
    /// i = 0, 30, 60, and every point is the negative of its mirror image.
    #[test]
    fn the_grid_is_symmetric_with_equal_steps() {
        let x = symmetric_grid(6.0, 61).unwrap();
        assert_eq!(x.len(), 61);
        assert_eq!((x[0], x[30], x[60]), (-6.0, 0.0, 6.0));
        for i in 0..61 {
            assert_eq!(x[i], -x[60 - i], "point {i}");
        }
    }

    /// A(η) = η·Tᵢ − ln qᵢ, read at the entry with the largest ln q (the
    /// second here: 0.5·1 − 0.25·1 + 0.5 = 0.75); the other entries would
    /// give other values (2.1875 and 1). All exact in binary.
    #[test]
    fn the_log_partition_is_read_at_the_largest_entry() {
        let (ln_q, t, t2) = ([-2.0, -0.5, -1.0], [0.5, 1.0, 2.0], [0.25, 1.0, 4.0]);
        assert_eq!(ln_q_offset(&ln_q, &t, &t2, [0.5, -0.25]), 0.75);
        // The largest first: 0.5·0.5 − 0.25·0.25 + 0.5.
        assert_eq!(
            ln_q_offset(&[-0.5, -2.0, -1.0], &t, &t2, [0.5, -0.25]),
            0.6875
        );
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        assert!(matches!(
            BimodalTarget::new(1.0, 0.0, 0.5, 11),
            Err(FitError::BadParameter { name: "s", .. })
        ));
        assert!(matches!(
            fit_forward(&[0.0, 0.0, 1.0], &[0.2, 0.3, 0.5]),
            Err(FitError::TooFewPoints { distinct: 2 })
        ));
        assert!(matches!(
            fit_reverse(
                &[0.0, 1.0, 2.0],
                &[0.5, 0.5, 0.0],
                &[Gaussian {
                    mu: 0.0,
                    sigma: 1.0
                }]
            ),
            Err(FitError::ZeroTarget { index: 2 })
        ));
    }
}
