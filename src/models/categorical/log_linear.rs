//! The cross-entropy of a fixed target against the log-linear (softmax)
//! family q_θ = softmax(Aθ) as a Newton objective, and the fit of the logits.

use super::softmax::{TINY, softmax_relative_errors};
use crate::measures::{self, validate_distribution};
use crate::models::error::{ModelError, flatten_rows};
use crate::models::linalg::{U, gamma, norm2_up};
use crate::models::newton::{
    Certificate, GradientEval, HessianEval, NewtonOptions, Objective, max_row_norm, minimize,
};

/// softmax(Aθ) at one θ, with the bounds the gradients and Hessians need.
pub(crate) struct SoftmaxPoint {
    /// The computed q̃ = softmax(z̃).
    pub q: Vec<f64>,
    /// |q̃ᵢ − qᵢ| ≤ relᵢ·q̃ᵢ + 2⁻¹⁰⁷⁴ against the exact softmax(Aθ) (the
    /// softmax's own error and the rounding of Aθ together).
    pub rel: Vec<f64>,
}

/// The cross-entropy of a fixed target p against the log-linear
/// (softmax) family q_θ = softmax(Aθ), as a function of θ.
///
/// ```text
/// f(θ) = CE(p, softmax(Aθ)) = P·ln Σᵢ e^(aᵢ·θ) − Σᵢ pᵢ aᵢ·θ,   P = Σᵢ pᵢ
/// ∇f = Aᵀ(P·q − p),   ∇²f = P·Aᵀ(diag q − qqᵀ)A = P·Σᵢ qᵢ(aᵢ − m)(aᵢ − m)ᵀ,  m = Σᵢ qᵢaᵢ
/// log-likelihood of samples with empirical distribution p̂ₙ: ℓ(θ) = −n·CE(p̂ₙ, q_θ)
/// ```
///
/// With A = [I; 0] (the last logit fixed at 0) this is the full
/// ("saturated") categorical family, whose minimizer is q = p (see
/// [`SoftmaxCrossEntropy::saturated`]). The Hessian is a covariance under q;
/// moving θ by r changes every ln qᵢ by at most 2r·maxᵢ‖aᵢ‖₂ relative to the
/// others, so on that ball the Hessian is at least e^(−2r·maxᵢ‖aᵢ‖) times its
/// value at θ: that is its [`Objective::curvature_on_ball`].
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxCrossEntropy {
    p: Vec<f64>,
    mass: f64,
    features: Vec<f64>,
    categories: usize,
    dimension: usize,
    row_norm: f64,
}

impl SoftmaxCrossEntropy {
    /// The objective for target `p` (k entries) and features A (k rows of d numbers).
    ///
    /// # Errors
    /// [`ModelError::Measure`] if `p` is not a probability vector;
    /// [`ModelError::LengthMismatch`] (`p`, `features`); [`ModelError::Empty`],
    /// [`ModelError::RaggedRow`] or [`ModelError::NotFinite`] naming `features`.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::SoftmaxCrossEntropy;
    /// // Three categories, one parameter: logits (θ, 2θ, 0).
    /// let f = SoftmaxCrossEntropy::new(&[0.2, 0.3, 0.5], &[vec![1.0], vec![2.0], vec![0.0]]);
    /// assert!(f.is_ok());
    /// ```
    pub fn new(p: &[f64], features: &[Vec<f64>]) -> Result<Self, ModelError> {
        validate_distribution("p", p)?;
        if features.len() != p.len() {
            return Err(ModelError::LengthMismatch {
                first: "p",
                first_len: p.len(),
                second: "features",
                second_len: features.len(),
            });
        }
        let dimension = features[0].len();
        if dimension == 0 {
            return Err(ModelError::Empty {
                arg: "features row 0",
            });
        }
        let flat = flatten_rows("features", features, dimension)?;
        Ok(SoftmaxCrossEntropy {
            p: p.to_vec(),
            mass: crate::numerics::compensated_sum(p),
            row_norm: max_row_norm(&flat, dimension),
            features: flat,
            categories: p.len(),
            dimension,
        })
    }

    /// The full categorical family: logits (θ₁, …, θ_{k−1}, 0), i.e. A = [I; 0].
    ///
    /// Its minimizer, when every pᵢ > 0, is θᵢ* = ln(pᵢ/p_k) (softmax = p).
    ///
    /// # Errors
    /// As [`SoftmaxCrossEntropy::new`]; [`ModelError::Empty`] if p has a single
    /// category (no free logit).
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::{Objective, SoftmaxCrossEntropy};
    /// let f = SoftmaxCrossEntropy::saturated(&[0.25, 0.75]).unwrap();
    /// assert_eq!(f.dimension(), 1);
    /// // At θ = ln(1/3) the model is (1/4, 3/4): the gradient vanishes.
    /// assert!(f.gradient(&[(1.0f64 / 3.0).ln()]).gradient[0].abs() < 1e-15);
    /// ```
    pub fn saturated(p: &[f64]) -> Result<Self, ModelError> {
        let k = p.len();
        if k < 2 {
            validate_distribution("p", p)?;
            return Err(ModelError::Empty {
                arg: "free logits (p has one category)",
            });
        }
        let features: Vec<Vec<f64>> = (0..k)
            .map(|i| (0..k - 1).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
            .collect();
        SoftmaxCrossEntropy::new(p, &features)
    }

    /// The target p.
    pub fn target(&self) -> &[f64] {
        &self.p
    }

    /// The number of categories k.
    pub fn categories(&self) -> usize {
        self.categories
    }

    /// Row i of the features A (the logit of category i is aᵢ·θ).
    pub fn feature_row(&self, i: usize) -> &[f64] {
        &self.features[i * self.dimension..(i + 1) * self.dimension]
    }

    /// The logits z = Aθ.
    pub fn logits(&self, theta: &[f64]) -> Vec<f64> {
        (0..self.categories)
            .map(|i| {
                self.feature_row(i)
                    .iter()
                    .zip(theta)
                    .map(|(a, t)| a * t)
                    .sum()
            })
            .collect()
    }

    /// P = Σᵢ pᵢ (compensated; within 3u of the exact sum).
    pub(crate) fn mass(&self) -> f64 {
        self.mass
    }

    /// z = Aθ, q = softmax(z) and the per-entry error bounds of q.
    ///
    /// Rounding of Aθ: |z̃ᵢ − zᵢ| ≤ ζᵢ = γ_d·Σⱼ|Aᵢⱼθⱼ|; a logit change of at most
    /// ζ = maxᵢ ζᵢ changes every ln qᵢ by at most 2ζ, i.e. qᵢ by a relative
    /// e^(2ζ) − 1 ≤ 2ζ·e^(2ζ).
    pub(crate) fn point(&self, theta: &[f64]) -> SoftmaxPoint {
        let z = self.logits(theta);
        let zeta = (0..self.categories)
            .map(|i| {
                self.feature_row(i)
                    .iter()
                    .zip(theta)
                    .map(|(a, t)| (a * t).abs())
                    .sum::<f64>()
            })
            .fold(0.0, f64::max)
            * gamma(self.dimension + 1);
        let q = measures::softmax(&z).unwrap_or_else(|_| vec![f64::NAN; z.len()]);
        let shift = 2.0 * zeta * (2.0 * zeta).exp();
        let rel = softmax_relative_errors(&z, &q)
            .into_iter()
            .map(|e| 1.01 * (e + shift + e * shift))
            .collect();
        SoftmaxPoint { q, rel }
    }

    /// g = Aᵀt for per-category derivatives tᵢ (each within τᵢ of its exact
    /// value), with the entrywise bound Σᵢ|Aᵢⱼ|τᵢ + γ_k·Σᵢ|Aᵢⱼtᵢ| (products
    /// and sum), rounded up by 4u.
    pub(crate) fn pull_back(&self, t: &[f64], tau: &[f64]) -> GradientEval {
        let (k, d) = (self.categories, self.dimension);
        let mut gradient = vec![0.0; d];
        let mut error = vec![0.0; d];
        let mut abs = vec![0.0; d];
        for i in 0..k {
            for (j, &a) in self.feature_row(i).iter().enumerate() {
                gradient[j] += a * t[i];
                abs[j] += (a * t[i]).abs();
                error[j] += a.abs() * tau[i];
            }
        }
        for j in 0..d {
            error[j] = (error[j] + gamma(k + 1) * abs[j]) * (1.0 + 4.0 * U);
        }
        GradientEval { gradient, error }
    }
}

impl Objective for SoftmaxCrossEntropy {
    fn dimension(&self) -> usize {
        self.dimension
    }

    fn value(&self, theta: &[f64]) -> f64 {
        measures::cross_entropy_logits(&self.p, &self.logits(theta)).unwrap_or(f64::INFINITY)
    }

    /// tᵢ = P·q̃ᵢ − pᵢ. Error: q̃ᵢ's relᵢ (plus 2⁻¹⁰⁷⁴), P's 3u and the
    /// product's u, then the subtraction's u|tᵢ|; 1.01 covers second order.
    fn gradient(&self, theta: &[f64]) -> GradientEval {
        let pt = self.point(theta);
        let mut t = Vec::with_capacity(self.categories);
        let mut tau = Vec::with_capacity(self.categories);
        for i in 0..self.categories {
            let ti = self.mass * pt.q[i] - self.p[i];
            t.push(ti);
            tau.push(1.01 * self.mass * (pt.q[i] * (pt.rel[i] + 4.0 * U) + TINY) + U * ti.abs());
        }
        self.pull_back(&t, &tau)
    }

    /// H = P·Σᵢ qᵢcᵢcᵢᵀ with cᵢ = aᵢ − m, m = Σᵢ qᵢaᵢ (the centered form has
    /// no cancellation between Σqaaᵀ and mmᵀ). Error: m̃ⱼ is within
    /// μⱼ = Σᵢ|Aᵢⱼ|(relᵢq̃ᵢ + 2⁻¹⁰⁷⁴) + γ_k·Σᵢq̃ᵢ|Aᵢⱼ|, so c̃ᵢⱼ within
    /// δᵢⱼ = μⱼ + u|c̃ᵢⱼ|; each product c̃ᵢⱼc̃ᵢₗ within δᵢⱼ|c̃ᵢₗ| + δᵢₗ|c̃ᵢⱼ| + δᵢⱼδᵢₗ;
    /// qᵢ's own error multiplies (|c̃ᵢⱼ| + δᵢⱼ)(|c̃ᵢₗ| + δᵢₗ); the products and
    /// the sum add γ_{k+6} of Σᵢq̃ᵢ|c̃ᵢⱼc̃ᵢₗ|; P and 1.01 cover the rest.
    fn hessian(&self, theta: &[f64]) -> HessianEval {
        let (k, d) = (self.categories, self.dimension);
        let pt = self.point(theta);
        let mut m = vec![0.0; d];
        let mut mu = vec![0.0; d];
        let mut mabs = vec![0.0; d];
        for i in 0..k {
            for (j, &a) in self.feature_row(i).iter().enumerate() {
                m[j] += pt.q[i] * a;
                mabs[j] += pt.q[i] * a.abs();
                mu[j] += a.abs() * (pt.rel[i] * pt.q[i] + TINY);
            }
        }
        for j in 0..d {
            mu[j] += gamma(k + 1) * mabs[j];
        }
        let mut h = vec![0.0; d * d];
        let mut e = vec![0.0; d * d];
        let mut c = vec![0.0; d];
        let mut delta = vec![0.0; d];
        for i in 0..k {
            let qi = pt.q[i];
            for (j, &a) in self.feature_row(i).iter().enumerate() {
                c[j] = a - m[j];
                delta[j] = mu[j] + U * c[j].abs();
            }
            for j in 0..d {
                for l in 0..d {
                    let prod = c[j] * c[l];
                    h[j * d + l] += qi * prod;
                    let (cj, cl) = (c[j].abs(), c[l].abs());
                    e[j * d + l] += (pt.rel[i] * qi + TINY) * (cj + delta[j]) * (cl + delta[l])
                        + qi * (delta[j] * cl + delta[l] * cj + delta[j] * delta[l])
                        + gamma(k + 6) * qi * prod.abs();
                }
            }
        }
        h.iter_mut().for_each(|v| *v *= self.mass);
        e.iter_mut().for_each(|v| *v *= 1.01 * self.mass);
        HessianEval {
            hessian: h,
            error: norm2_up(&e) * (1.0 + 4.0 * U),
        }
    }

    fn curvature_on_ball(&self, _theta: &[f64], lambda: f64, radius: f64) -> f64 {
        lambda * (-2.0 * self.row_norm * radius * (1.0 + 2.0 * U)).exp() * (1.0 - 4.0 * U)
    }
}

/// The categorical family fitted by Newton's method on the logits.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxFit {
    /// The fitted logits, with the last fixed at 0 (the gauge).
    pub logits: Vec<f64>,
    /// Newton steps taken.
    pub iterations: usize,
    /// The proof ‖z̃ − z*‖₂ ≤ `certificate.parameter_error` over the free
    /// logits (all but the last).
    pub certificate: Certificate,
}

/// Minimizes CE(p, softmax z) over the logits by Newton's method, from z = 0,
/// with the last logit fixed at 0 (softmax is invariant under adding a
/// constant to every logit, so one logit is a free choice).
///
/// ```text
/// ẑ = argmin_z CE(p, softmax z),   softmax(ẑ) = p,   ẑᵢ = ln(pᵢ/p_k)
/// ```
///
/// The closed form exists; this fit is the numerical counterpart, used to
/// check it (its certificate is documented at [`Certificate`]).
///
/// # Errors
/// [`ModelError::Measure`] if p is not a probability vector;
/// [`ModelError::NoMinimizer`] if some pᵢ = 0 (the infimum needs zᵢ → −∞);
/// the errors of [`minimize`].
///
/// # Example
/// ```
/// use logloss_proofs::models::{fit_softmax_logits, NewtonOptions};
/// let fit = fit_softmax_logits(&[0.2, 0.8], &NewtonOptions::default()).unwrap();
/// assert!(fit.certificate.parameter_error < 1e-12);
/// assert!((fit.logits[0] - 0.25f64.ln()).abs() < 1e-12); // ln(0.2/0.8)
/// assert_eq!(fit.logits[1], 0.0);
/// ```
pub fn fit_softmax_logits(p: &[f64], options: &NewtonOptions) -> Result<SoftmaxFit, ModelError> {
    validate_distribution("p", p)?;
    if let Some(i) = p.iter().position(|&x| x == 0.0) {
        return Err(ModelError::NoMinimizer {
            arg: "p",
            reason: format!(
                "p[{i}] = 0, so CE(p, softmax z) decreases without bound in −z[{i}] and no finite logits minimize it"
            ),
        });
    }
    if p.len() == 1 {
        // One category: softmax is (1) for every logit; nothing to fit.
        return Ok(SoftmaxFit {
            logits: vec![0.0],
            iterations: 0,
            certificate: Certificate {
                gradient_norm: 0.0,
                hessian_lower_bound: f64::INFINITY,
                ball_radius: 0.0,
                curvature_on_ball: f64::INFINITY,
                parameter_error: 0.0,
            },
        });
    }
    let objective = SoftmaxCrossEntropy::saturated(p)?;
    let fit = minimize(&objective, &vec![0.0; p.len() - 1], options)?;
    let mut logits = fit.theta;
    logits.push(0.0);
    Ok(SoftmaxFit {
        logits,
        iterations: fit.iterations,
        certificate: fit.certificate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Objective, certify};
    use crate::test_support::{PREC, RM};
    use astro_float::BigFloat;
    /// The gradient's entrywise bounds (the pull-back Aᵀt of the per-category
    /// derivatives) and the Hessian's Frobenius bound hold against 320 bits,
    /// from the f64 A, p and θ taken as exact: g = Aᵀ(P·q − p),
    /// H = P·Σᵢqᵢ(aᵢ − ā)(aᵢ − ā)ᵀ; on random families (3 to 6 categories,
    /// 1 to 3 parameters, features of scale 1 or 4, targets mild to steep)
    /// and parameters.
    ///
    /// Floors: 2⁻⁴ for the gradient (0.086 seen: the pull-back's
    /// γ_k·Σ|Aᵢⱼtᵢ| and the softmax's stated relative errors, themselves
    /// bounds, are reached in part); 2⁻⁵ for the Hessian (0.045 seen: a
    /// Frobenius norm of entrywise worst cases, each counting γ₈ and the
    /// softmax's bound in full).
    #[test]
    fn derivative_error_bounds_hold_against_a_320_bit_reference() {
        use crate::test_support::bounds::{bound_checks, simplex, uniform};
        use crate::test_support::{big, to_f64};
        use rand::RngExt;
        bound_checks(
            "log-linear",
            [
                ("log-linear softmax CE: gradient", 2f64.powi(-4)),
                ("log-linear softmax CE: Hessian (Frobenius)", 2f64.powi(-5)),
            ],
            60,
            |c, rng, cc, [grad, hess]| {
                let (k, d) = (rng.random_range(3..7usize), rng.random_range(1..4usize));
                let scale = if c % 3 == 0 { 4.0 } else { 1.0 };
                let features: Vec<Vec<f64>> = (0..k)
                    .map(|_| (0..d).map(|_| scale * uniform(rng, -1.0, 1.0)).collect())
                    .collect();
                let p = {
                    let s = uniform(rng, 0.1, 3.0);
                    simplex(rng, k, s)
                };
                let theta: Vec<f64> = (0..d).map(|_| uniform(rng, -2.0, 2.0)).collect();
                let f = SoftmaxCrossEntropy::new(&p, &features).unwrap();
                let z: Vec<BigFloat> = features
                    .iter()
                    .map(|a| {
                        a.iter().zip(&theta).fold(big(0.0), |s, (&x, &t)| {
                            s.add(&big(x).mul(&big(t), PREC, RM), PREC, RM)
                        })
                    })
                    .collect();
                let e: Vec<BigFloat> = z.iter().map(|zi| zi.exp(PREC, RM, cc)).collect();
                let total = e.iter().fold(big(0.0), |a, x| a.add(x, PREC, RM));
                let q: Vec<BigFloat> = e.iter().map(|x| x.div(&total, PREC, RM)).collect();
                let mass = p.iter().fold(big(0.0), |a, &x| a.add(&big(x), PREC, RM));
                let mean: Vec<BigFloat> = (0..d)
                    .map(|j| {
                        q.iter().zip(&features).fold(big(0.0), |acc, (qi, a)| {
                            acc.add(&qi.mul(&big(a[j]), PREC, RM), PREC, RM)
                        })
                    })
                    .collect();
                let at = || format!("A {features:?}, p {p:?}, θ {theta:?}");
                let g = f.gradient(&theta);
                for j in 0..d {
                    let exact = features.iter().enumerate().fold(big(0.0), |acc, (i, a)| {
                        let t = mass.mul(&q[i], PREC, RM).sub(&big(p[i]), PREC, RM);
                        acc.add(&t.mul(&big(a[j]), PREC, RM), PREC, RM)
                    });
                    grad.value(g.gradient[j], &exact, g.error[j], cc, at);
                }
                let h = f.hessian(&theta);
                let mut frobenius_sq = big(0.0);
                for j in 0..d {
                    for l in 0..d {
                        let mut exact = big(0.0);
                        for (i, a) in features.iter().enumerate() {
                            let cj = big(a[j]).sub(&mean[j], PREC, RM);
                            let cl = big(a[l]).sub(&mean[l], PREC, RM);
                            exact =
                                exact.add(&q[i].mul(&cj, PREC, RM).mul(&cl, PREC, RM), PREC, RM);
                        }
                        let dlt =
                            big(h.hessian[j * d + l]).sub(&exact.mul(&mass, PREC, RM), PREC, RM);
                        frobenius_sq = frobenius_sq.add(&dlt.mul(&dlt, PREC, RM), PREC, RM);
                    }
                }
                hess.record(to_f64(&frobenius_sq.sqrt(PREC, RM), cc), h.error, at);
            },
        );
    }

    #[test]
    fn newton_on_the_logits_recovers_the_log_ratios() {
        let p = measures::normalize(&[1.0, 2.0, 3.0, 4.0, 1e-4]).unwrap();
        let fit = fit_softmax_logits(&p, &NewtonOptions::default()).unwrap();
        let k = p.len();
        let lk = p[k - 1].ln();
        for (i, (&pi, &zi)) in p.iter().zip(&fit.logits).take(k - 1).enumerate() {
            // ln pᵢ − ln p_k: two logarithms within 2u each, the difference u.
            let star = pi.ln() - lk;
            let bound = fit.certificate.parameter_error
                + 2.02 * U * (pi.ln().abs() + lk.abs())
                + U * star.abs();
            assert!((zi - star).abs() <= bound, "{i}: {fit:?}");
        }
        assert_eq!(fit.logits[k - 1], 0.0);
        assert!(matches!(
            fit_softmax_logits(&[0.5, 0.0, 0.5], &NewtonOptions::default()),
            Err(ModelError::NoMinimizer { arg: "p", .. })
        ));
        assert_eq!(
            fit_softmax_logits(&[1.0], &NewtonOptions::default())
                .unwrap()
                .logits,
            vec![0.0]
        );
    }

    #[test]
    fn the_certificate_covers_the_true_distance() {
        // At θ* + δ, the certified bound must be at least |δ| (less the
        // rounding of the closed form θ* = ln(p₁/p₂)), or infinite.
        let p = [0.3, 0.7];
        let f = SoftmaxCrossEntropy::saturated(&p).unwrap();
        let star = 0.3f64.ln() - 0.7f64.ln();
        let star_err = 2.02 * U * (0.3f64.ln().abs() + 0.7f64.ln().abs()) + U * star.abs();
        for delta in [0.0, 1e-12, 1e-8, 1e-4, 0.1, 1.0, 10.0] {
            let theta = star + delta;
            let moved = theta - star;
            let c = certify(&f, &[theta]).unwrap();
            assert!(
                c.parameter_error >= moved.abs() * (1.0 - U) - star_err,
                "δ {delta}: {c:?}"
            );
        }
        assert_eq!(f.dimension(), 1);
    }

    #[test]
    fn objective_rejects_bad_features() {
        let p = [0.5, 0.5];
        assert!(matches!(
            SoftmaxCrossEntropy::new(&p, &[vec![1.0]]),
            Err(ModelError::LengthMismatch { .. })
        ));
        assert_eq!(
            SoftmaxCrossEntropy::new(&p, &[vec![1.0], vec![1.0, 2.0]]),
            Err(ModelError::RaggedRow {
                arg: "features",
                row: 1,
                len: 2,
                expected: 1
            })
        );
        assert!(matches!(
            SoftmaxCrossEntropy::new(&p, &[vec![1.0], vec![f64::INFINITY]]),
            Err(ModelError::NotFinite {
                arg: "features",
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            SoftmaxCrossEntropy::saturated(&[1.0]),
            Err(ModelError::Empty { .. })
        ));
    }
}
