//! The normal distribution N(μ, σ²): maximum likelihood, log-likelihood,
//! cross-entropy from moments, and the cross-entropy as a function of the
//! natural parameters.

use super::error::ModelError;
use super::linalg::{U, gamma, norm2_up};
use super::newton::{GradientEval, HessianEval, Objective};
use crate::numerics::NeumaierSum;

/// ln(2π), correctly rounded (`(2π).ln()` in f64 is one ulp below).
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The parameters of N(μ, σ²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalParams {
    /// μ.
    pub mean: f64,
    /// σ² > 0.
    pub variance: f64,
}

fn check_finite(arg: &'static str, value: f64) -> Result<(), ModelError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ModelError::NotFinite {
            arg,
            index: 0,
            value,
        })
    }
}

fn check_positive(arg: &'static str, value: f64) -> Result<(), ModelError> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(ModelError::NotPositive { arg, value })
    }
}

impl NormalParams {
    /// N(mean, variance).
    ///
    /// # Errors
    /// [`ModelError::NotFinite`] naming `mean`, [`ModelError::NotPositive`] naming `variance`.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::NormalParams;
    /// assert!(NormalParams::new(0.0, 1.0).is_ok());
    /// assert!(NormalParams::new(0.0, 0.0).is_err());
    /// ```
    pub fn new(mean: f64, variance: f64) -> Result<Self, ModelError> {
        check_finite("mean", mean)?;
        check_positive("variance", variance)?;
        Ok(NormalParams { mean, variance })
    }

    /// The natural parameters.
    ///
    /// ```text
    /// η = (μ/σ², −1/(2σ²)),   ln N(x; η) = η₁x + η₂x² − A(η) − ½ ln 2π,
    /// A(η) = −η₁²/(4η₂) − ½ ln(−2η₂)
    /// ```
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::NormalParams;
    /// assert_eq!(NormalParams::new(1.0, 2.0).unwrap().natural(), [0.5, -0.25]);
    /// ```
    pub fn natural(&self) -> [f64; 2] {
        [self.mean / self.variance, -0.5 / self.variance]
    }

    /// The parameters with natural parameters η (η₂ < 0):
    /// μ = −η₁/(2η₂), σ² = −1/(2η₂).
    ///
    /// # Errors
    /// [`ModelError::LengthMismatch`] unless η has 2 entries;
    /// [`ModelError::NotFinite`] naming `eta`; [`ModelError::NotPositive`] naming
    /// `-eta[1]` if η₂ ≥ 0.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::NormalParams;
    /// let n = NormalParams::from_natural(&[0.5, -0.25]).unwrap();
    /// assert_eq!((n.mean, n.variance), (1.0, 2.0));
    /// ```
    pub fn from_natural(eta: &[f64]) -> Result<Self, ModelError> {
        if eta.len() != 2 {
            return Err(ModelError::LengthMismatch {
                first: "eta",
                first_len: eta.len(),
                second: "the natural parameters (η₁, η₂)",
                second_len: 2,
            });
        }
        if let Some(index) = eta.iter().position(|x| !x.is_finite()) {
            return Err(ModelError::NotFinite {
                arg: "eta",
                index,
                value: eta[index],
            });
        }
        check_positive("-eta[1]", -eta[1])?;
        NormalParams::new(-eta[0] / (2.0 * eta[1]), -1.0 / (2.0 * eta[1]))
    }
}

/// A sample the Normal family can be fitted to or scored on: non-empty,
/// every value finite.
fn check_samples(samples: &[f64]) -> Result<(), ModelError> {
    if samples.is_empty() {
        return Err(ModelError::Empty { arg: "samples" });
    }
    match samples.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(ModelError::NotFinite {
            arg: "samples",
            index,
            value: samples[index],
        }),
        None => Ok(()),
    }
}

/// The maximum-likelihood estimate of N(μ, σ²): the sample mean and the
/// (biased, 1/n) sample variance.
///
/// ```text
/// ℓ(μ, σ²) = Σᵢ ln N(xᵢ; μ, σ²) = −(n/2) ln(2πσ²) − Σᵢ (xᵢ − μ)²/(2σ²)
/// argmax: μ̂ = x̄ = (1/n) Σᵢ xᵢ,   σ̂² = (1/n) Σᵢ (xᵢ − x̄)²
/// ```
///
/// Both sums are compensated; the variance is computed in two passes (no
/// E(x²) − x̄² cancellation).
///
/// # Errors
/// [`ModelError::Empty`], [`ModelError::NotFinite`] naming the sample, or
/// [`ModelError::NoMinimizer`] if every sample is equal (σ̂² = 0: the
/// likelihood grows without bound as σ² → 0).
///
/// # Example
/// ```
/// use logloss_proofs::models::normal_mle;
/// let n = normal_mle(&[1.0, 3.0]).unwrap();
/// assert_eq!((n.mean, n.variance), (2.0, 1.0));
/// ```
pub fn normal_mle(samples: &[f64]) -> Result<NormalParams, ModelError> {
    check_samples(samples)?;
    let n = samples.len() as f64;
    let mean = samples.iter().copied().collect::<NeumaierSum>().value() / n;
    let variance = samples
        .iter()
        .map(|x| (x - mean) * (x - mean))
        .collect::<NeumaierSum>()
        .value()
        / n;
    if variance.is_nan() || variance <= 0.0 {
        return Err(ModelError::NoMinimizer {
            arg: "samples",
            reason: format!(
                "all {} samples equal {}: the likelihood grows without bound as σ² → 0",
                samples.len(),
                samples[0]
            ),
        });
    }
    NormalParams::new(mean, variance)
}

/// The log-likelihood of samples under N(μ, σ²).
///
/// ```text
/// ℓ(μ, σ²) = Σᵢ [−½ ln(2πσ²) − (xᵢ − μ)²/(2σ²)]
/// ```
///
/// # Errors
/// [`ModelError::Empty`] or [`ModelError::NotFinite`] naming the sample.
///
/// # Example
/// ```
/// use logloss_proofs::models::{normal_log_likelihood, NormalParams};
/// let l = normal_log_likelihood(&[0.0], NormalParams::new(0.0, 1.0).unwrap()).unwrap();
/// assert!((l + 0.5 * (2.0 * std::f64::consts::PI).ln()).abs() < 1e-15);
/// ```
pub fn normal_log_likelihood(samples: &[f64], model: NormalParams) -> Result<f64, ModelError> {
    check_samples(samples)?;
    let half_log = 0.5 * (LN_2PI + model.variance.ln());
    let sum: NeumaierSum = samples
        .iter()
        .map(|x| -half_log - (x - model.mean) * (x - model.mean) / (2.0 * model.variance))
        .collect();
    Ok(sum.value())
}

/// The cross-entropy of any distribution p with mean m and variance V
/// against N(μ, σ²), in nats: it depends on p only through (m, V).
///
/// ```text
/// CE(p, N(μ, σ²)) = E_p[−ln N(X; μ, σ²)] = ½ ln(2πσ²) + (V + (m − μ)²)/(2σ²)
/// ```
///
/// Minimized exactly at μ = m, σ² = V (moment matching), where it equals
/// ½ ln(2πeV), the entropy of N(m, V).
///
/// # Errors
/// [`ModelError::NotFinite`] naming `target_mean`; [`ModelError::NotPositive`]
/// naming `target_variance` (it may not be 0 either: the formula holds for
/// any V ≥ 0, but a point mass has no density to compare).
///
/// # Example
/// ```
/// use logloss_proofs::models::{normal_cross_entropy, NormalParams};
/// let ce = normal_cross_entropy(0.0, 1.0, NormalParams::new(0.0, 1.0).unwrap()).unwrap();
/// assert!((ce - (0.5 * (2.0 * std::f64::consts::PI).ln() + 0.5)).abs() < 1e-15);
/// ```
pub fn normal_cross_entropy(
    target_mean: f64,
    target_variance: f64,
    model: NormalParams,
) -> Result<f64, ModelError> {
    check_finite("target_mean", target_mean)?;
    check_positive("target_variance", target_variance)?;
    let d = target_mean - model.mean;
    Ok(0.5 * (LN_2PI + model.variance.ln()) + (target_variance + d * d) / (2.0 * model.variance))
}

/// CE(p, N) for a target with mean m and variance V, as a function of the
/// natural parameters η of the model.
///
/// ```text
/// f(η) = A(η) − η₁m − η₂(V + m²) + ½ ln 2π     (η₂ < 0; +∞ elsewhere)
/// ∇f = E_η[T] − E_p[T] = (μ − m, σ² + μ² − V − m²),   T(x) = (x, x²)
/// ∇²f = Cov_η(T) = [[σ², 2μσ²], [2μσ², 2σ⁴ + 4μ²σ²]]
/// ```
///
/// Convex (A is a log-partition function); its minimizer is η(m, V).
/// Curvature on a ball: the third derivatives of A are the third cumulants of
/// T; for a unit direction v = (a, b), κ₃(aX + bX²) = 6α²β + 8β³ with
/// α = (a + 2bμ)σ, β = bσ², so (Banach: a symmetric trilinear form's norm is
/// that of its cubic) the Hessian's smallest eigenvalue drops by at most
/// r·[6(1 + 2|μ|)²σ⁴ + 8σ⁶] over a ball of radius r, with |μ| and σ² at their
/// largest on the ball.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalCrossEntropy {
    mean: f64,
    variance: f64,
    second: f64,
}

impl NormalCrossEntropy {
    /// The objective for a target with mean `target_mean` and variance `target_variance`.
    ///
    /// # Errors
    /// As [`normal_cross_entropy`].
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::{NormalCrossEntropy, NormalParams, Objective};
    /// let f = NormalCrossEntropy::new(1.0, 2.0).unwrap();
    /// // At η(1, 2) the gradient vanishes.
    /// let g = f.gradient(&NormalParams::new(1.0, 2.0).unwrap().natural());
    /// assert_eq!(g.gradient, vec![0.0, 0.0]);
    /// ```
    pub fn new(target_mean: f64, target_variance: f64) -> Result<Self, ModelError> {
        check_finite("target_mean", target_mean)?;
        check_positive("target_variance", target_variance)?;
        Ok(NormalCrossEntropy {
            mean: target_mean,
            variance: target_variance,
            second: target_variance + target_mean * target_mean,
        })
    }

    /// The target's mean m.
    pub fn target_mean(&self) -> f64 {
        self.mean
    }

    /// The target's variance V.
    pub fn target_variance(&self) -> f64 {
        self.variance
    }

    /// (μ, σ²) from η, each within u relative (one division; 2η₂ is exact).
    pub(crate) fn moments(eta: &[f64]) -> (f64, f64) {
        (-eta[0] / (2.0 * eta[1]), -1.0 / (2.0 * eta[1]))
    }
}

impl Objective for NormalCrossEntropy {
    fn dimension(&self) -> usize {
        2
    }

    fn value(&self, eta: &[f64]) -> f64 {
        if eta[1].is_nan() || eta[1] >= 0.0 {
            return f64::INFINITY;
        }
        let (mu, s2) = Self::moments(eta);
        let d = self.mean - mu;
        0.5 * (LN_2PI + s2.ln()) + (self.variance + d * d) / (2.0 * s2)
    }

    /// Errors: μ̃ and σ̃² carry u relative each, μ̃² 3u; the sums and the
    /// subtraction add u each; V + m² (stored) is within 2u of its exact value.
    fn gradient(&self, eta: &[f64]) -> GradientEval {
        let (mu, s2) = Self::moments(eta);
        let g1 = mu - self.mean;
        let g2 = (s2 + mu * mu) - self.second;
        let e1 = 1.01 * U * mu.abs() + U * g1.abs();
        let e2 = 1.01 * (2.0 * U * s2 + 4.0 * U * mu * mu + 2.0 * U * self.second) + U * g2.abs();
        GradientEval {
            gradient: vec![g1, g2],
            error: vec![e1, e2],
        }
    }

    /// Each entry is a product of at most four rounded factors (μ̃, σ̃² with
    /// u each) and a sum of two positive terms: γ₁₀ of its magnitude.
    fn hessian(&self, eta: &[f64]) -> HessianEval {
        let (mu, s2) = Self::moments(eta);
        let h11 = s2;
        let h12 = 2.0 * mu * s2;
        let h22 = 2.0 * s2 * s2 + 4.0 * mu * mu * s2;
        let h = vec![h11, h12, h12, h22];
        let e: Vec<f64> = h.iter().map(|x| gamma(10) * x.abs()).collect();
        HessianEval {
            hessian: h,
            error: norm2_up(&e) * (1.0 + 4.0 * U),
        }
    }

    fn curvature_on_ball(&self, eta: &[f64], lambda: f64, radius: f64) -> f64 {
        let room = -eta[1] - radius;
        if room.is_nan() || room <= 0.0 {
            return 0.0;
        }
        // On the ball: σ′² = −1/(2η₂′) ≤ 1/(2(|η₂| − r)), |μ′| ≤ (|η₁| + r)/(2(|η₂| − r)).
        let s2 = 1.0 / (2.0 * room) * (1.0 + 4.0 * U);
        let mu = (eta[0].abs() + radius) * s2 * (1.0 + 4.0 * U);
        let third =
            (6.0 * (1.0 + 2.0 * mu).powi(2) * s2 * s2 + 8.0 * s2 * s2 * s2) * (1.0 + gamma(12));
        lambda - radius * third * (1.0 + 2.0 * U)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{NewtonOptions, minimize};

    /// The gradient's error bounds hold against the exact gradient at 320
    /// bits, (μ − m, σ² + μ² − (V + m²)) with μ = −η₁/(2η₂), σ² = −1/(2η₂)
    /// and the f64 η, m, V taken as exact. At m = 3.1, V = 0.1 and
    /// η = (31, −5), the target's own moments, the second entry cancels to
    /// rounding level while m² ≈ 9.6 dominates V: its error comes mostly from
    /// the stored V + m² and from μ², the bound's 2u·(V + m²) and 4u·μ²
    /// terms.
    #[test]
    fn gradient_error_bounds_hold_against_a_320_bit_reference() {
        use crate::test_support::{PREC as P, RM, assert_gradient_within, big, normal_moments};
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let mut inexact = false;
        for (m, v, eta) in [
            (3.1, 0.1, [31.0, -5.0]),
            (-0.7, 2.5, [0.3, -0.25]),
            (10.0 / 3.0, 1e-3, [3000.0, -500.0]),
        ] {
            let f = NormalCrossEntropy::new(m, v).unwrap();
            let g = f.gradient(&eta);
            let (mu, s2) = normal_moments(eta);
            let second = big(v).add(&big(m).mul(&big(m), P, RM), P, RM);
            let exact = [
                mu.sub(&big(m), P, RM),
                s2.add(&mu.mul(&mu, P, RM), P, RM).sub(&second, P, RM),
            ];
            inexact |= assert_gradient_within(&g, &exact, &mut cc, &format!("m {m}, V {v}"));
        }
        assert!(inexact, "some gradient rounds, so a zero bound would fail");
    }

    #[test]
    fn mle_is_the_mean_and_the_biased_variance() {
        let n = normal_mle(&[1.0, 2.0, 6.0]).unwrap();
        // Mean 3 and variance (4 + 1 + 9)/3 = 14/3: small integers, so the
        // sums are exact and only the final division rounds.
        assert_eq!(n.mean, 3.0);
        assert_eq!(n.variance, 14.0 / 3.0);
        assert!(matches!(
            normal_mle(&[2.0, 2.0]),
            Err(ModelError::NoMinimizer { arg: "samples", .. })
        ));
        assert_eq!(normal_mle(&[]), Err(ModelError::Empty { arg: "samples" }));
        assert!(matches!(
            normal_mle(&[1.0, f64::INFINITY]),
            Err(ModelError::NotFinite {
                arg: "samples",
                index: 1,
                ..
            })
        ));
    }

    #[test]
    fn cross_entropy_is_smallest_at_the_moments() {
        let (m, v) = (0.7, 2.5);
        let best = normal_cross_entropy(m, v, NormalParams::new(m, v).unwrap()).unwrap();
        // ½ ln(2πeV) in closed form; each side is a logarithm (2u) and at
        // most three additions of terms below 4 (u·4 each): within 16u.
        let want = 0.5 * (LN_2PI + 1.0 + v.ln());
        assert!((best - want).abs() <= 32.0 * U, "{best} vs {want}");
        // CE(μ, σ²) − CE(m, V) = ½[ln(σ²/V) + V/σ² − 1] + (m − μ)²/(2σ²) > 0.
        // Each of ce, best and gap is a handful (≤ 8) of roundings of terms
        // no larger than |ce| + 1.
        for (mu, s2) in [(0.0, 2.5), (0.7, 1.0), (2.0, 9.0)] {
            let ce = normal_cross_entropy(m, v, NormalParams::new(mu, s2).unwrap()).unwrap();
            let gap = 0.5 * ((s2 / v).ln() + v / s2 - 1.0) + (m - mu) * (m - mu) / (2.0 * s2);
            assert!(
                (ce - best - gap).abs() <= 32.0 * U * (ce.abs() + 1.0),
                "{ce} {best} {gap}"
            );
            assert!(gap > 0.0);
        }
    }

    #[test]
    fn newton_in_natural_parameters_finds_the_moments() {
        for (m, v, start) in [
            (0.0, 1.0, [0.0, -2.0]),
            (-2.5, 0.1, [1.0, -0.1]),
            (3.0, 18.0, [0.0, -0.5]),
        ] {
            let f = NormalCrossEntropy::new(m, v).unwrap();
            let fit = minimize(&f, &start, &NewtonOptions::default()).unwrap();
            let star = NormalParams::new(m, v).unwrap().natural();
            // η* = (m/V, −1/(2V)): one division each.
            let err = U * (star[0].abs() + star[1].abs());
            let d = ((fit.theta[0] - star[0]).powi(2) + (fit.theta[1] - star[1]).powi(2)).sqrt();
            assert!(
                d <= fit.certificate.parameter_error + err,
                "{m} {v}: {fit:?}"
            );
        }
        let f = NormalCrossEntropy::new(0.0, 1.0).unwrap();
        assert!(matches!(
            minimize(&f, &[0.0, 1.0], &NewtonOptions::default()),
            Err(ModelError::StartOutsideDomain { .. })
        ));
        assert!(matches!(
            minimize(&f, &[0.0], &NewtonOptions::default()),
            Err(ModelError::LengthMismatch { .. })
        ));
        assert!(matches!(
            minimize(&f, &[0.0, f64::NAN], &NewtonOptions::default()),
            Err(ModelError::NotFinite {
                arg: "start",
                index: 1,
                ..
            })
        ));
    }

    #[test]
    fn natural_parameters_round_trip() {
        let n = NormalParams::new(-1.5, 0.3).unwrap();
        let back = NormalParams::from_natural(&n.natural()).unwrap();
        // η₁ = μ/σ² and η₂ = −1/(2σ²) round once each; μ = −η₁/(2η₂) and
        // σ² = −1/(2η₂) once more: 3u and 2u relative.
        assert!((back.mean - n.mean).abs() <= 3.0 * U * n.mean.abs());
        assert!((back.variance - n.variance).abs() <= 2.0 * U * n.variance);
        assert!(matches!(
            NormalParams::from_natural(&[0.0, 0.0]),
            Err(ModelError::NotPositive { .. })
        ));
        assert!(NormalParams::new(0.0, -1.0).is_err());
        let l = normal_log_likelihood(&[0.0, 1.0], NormalParams::new(0.0, 1.0).unwrap()).unwrap();
        // −ln(2π) − ½: a few roundings of terms ≤ 2.
        assert!((l - (-LN_2PI - 0.5)).abs() <= 8.0 * U * 2.0);
    }

    /// The curvature on a ball covers the drop of the exact smallest
    /// Hessian eigenvalue: with λ = λ_min(H(η)) (H = Cov(x, x²) under
    /// N(η): [[σ², 2μσ²], [2μσ², 2σ⁴ + 4μ²σ²]], at 320 bits), the exact
    /// λ_min at 9 points of the ball (its centre and 8 directions at radius
    /// r) drops by at most λ − curvature_on_ball(η, λ, r); a ball that
    /// reaches η₂ = 0 gives 0 (pinned: a convention, not a bound).
    ///
    /// Floor 2⁻³ (0.25 seen): the bound takes the third derivative at its
    /// largest over the whole ball in every direction (σ′² and |μ′| at the
    /// ball's far edge, each term of 6(1 + 2|μ|)²σ⁴ + 8σ⁶ at its worst),
    /// while the eigenvalue moves with its value along one direction only.
    #[test]
    fn curvature_on_a_ball_covers_the_exact_drop() {
        use crate::test_support::bounds::{bound_stream, uniform};
        use crate::test_support::{BoundCheck, PREC as P, RM, big, normal_moments, to_f64};
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let mut rng = bound_stream("normal-curvature");
        let mut check = BoundCheck::new("normal CE: curvature drop on a ball", 0.125);
        let lambda_min = |eta: [f64; 2], cc: &mut astro_float::Consts| {
            let (mu, s2) = normal_moments(eta);
            let a = s2.clone();
            let b = big(2.0).mul(&mu, P, RM).mul(&s2, P, RM);
            let c = big(2.0).mul(&s2, P, RM).mul(&s2, P, RM).add(
                &big(4.0).mul(&mu, P, RM).mul(&mu, P, RM).mul(&s2, P, RM),
                P,
                RM,
            );
            let half_sum = a.add(&c, P, RM).div(&big(2.0), P, RM);
            let half_diff = a.sub(&c, P, RM).div(&big(2.0), P, RM);
            let r = half_diff
                .mul(&half_diff, P, RM)
                .add(&b.mul(&b, P, RM), P, RM)
                .sqrt(P, RM);
            to_f64(&half_sum.sub(&r, P, RM), cc)
        };
        let f = NormalCrossEntropy::new(0.0, 1.0).unwrap();
        for _ in 0..80 {
            let (mu, s2) = (
                uniform(&mut rng, -2.0, 2.0),
                10f64.powf(uniform(&mut rng, -0.5, 0.5)),
            );
            let eta = [mu / s2, -0.5 / s2];
            let radius = -eta[1] * 10f64.powf(-uniform(&mut rng, 0.5, 4.0));
            let lambda = lambda_min(eta, &mut cc) * (1.0 - 4.0 * U);
            let floor = f.curvature_on_ball(&eta, lambda, radius);
            let mut least = lambda;
            for step in 0..8 {
                let angle = f64::from(step) * std::f64::consts::FRAC_PI_4;
                let at = [eta[0] + radius * angle.cos(), eta[1] + radius * angle.sin()];
                least = least.min(lambda_min(at, &mut cc));
            }
            check.record((lambda - least).max(0.0), lambda - floor, || {
                format!("η {eta:?}, r {radius:e}")
            });
        }
        check.finish();
        assert_eq!(f.curvature_on_ball(&[1.0, -1.0], 10.0, 1.0), 0.0);
        assert_eq!(f.curvature_on_ball(&[1.0, -1.0], 10.0, f64::NAN), 0.0);
    }
}
