//! The forward and reverse fits: Newton's method on the divergences in η,
//! and the certificate mapped back to (μ, σ).

use super::divergences::{Direction, KlObjective, Problem, eigenvalues};
use super::family::{check_gaussian, moments, validate};
use super::{Fit, FitError, Gaussian};
use crate::models::{ModelError, NewtonOptions, StepRule, minimize};

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

/// Newton steps allowed before a fit is declared not converged.
const MAX_STEPS: usize = 200;
/// Steps without a new best gradient norm after which the fit stops.
const STALL: usize = 8;

impl Problem<'_> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::reverse_fit::{
        BimodalTarget, discretized_gaussian, moment_match, symmetric_grid,
    };
    use crate::numerics::U;

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
        let tolerance =
            16.0 * big_r.powi(3) * (f.radius + r.radius) + 6.0 * (k + 6.0) * U * big_r * big_r;
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
