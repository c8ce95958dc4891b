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
//! Both are minimized by the crate's Newton solver
//! [`minimize`](crate::models::minimize) in η, with its
//! [`StepRule::LineSearch`](crate::models::StepRule::LineSearch) (a
//! backtracking line search, the direction shifted when the Hessian is not
//! positive definite: the reverse KL is not convex), in a frame centred and
//! scaled at the start so that the Hessian is
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

mod divergences;
mod family;
mod fits;

pub use family::{BimodalTarget, discretized_gaussian, moment_match, symmetric_grid};
pub use fits::{fit_forward, fit_reverse};

use crate::measures::MeasureError;

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
