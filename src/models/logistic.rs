//! Logistic regression, fitted by Newton's method (iteratively reweighted
//! least squares) with a convergence certificate.

use super::error::{ModelError, flatten_rows};
use super::linalg::{U, gamma, norm2_up};
use super::newton::{
    Certificate, GradientEval, HessianEval, NewtonOptions, Objective, max_row_norm, minimize,
};

/// σ(s) = 1/(1 + e^(−s)), computed without overflow.
///
/// Relative error at most 6u (u = 2⁻⁵³): for s ≥ 0, exp (2u, one ulp)
/// perturbs 1 + e^(−s) by at most 2u relative, then one addition and one
/// division (u each); for s < 0, e^s/(1 + e^s) has 2u in the numerator, 3u in
/// the denominator and u in the division.
pub(crate) fn sigmoid(s: f64) -> f64 {
    if s >= 0.0 {
        1.0 / (1.0 + (-s).exp())
    } else {
        let e = s.exp();
        e / (1.0 + e)
    }
}

/// The relative error bound of [`sigmoid`].
pub(crate) const SIGMOID_ERROR: f64 = 6.0 * U;

/// softplus(s) = ln(1 + e^s) = −ln σ(−s), computed without overflow.
pub(crate) fn softplus(s: f64) -> f64 {
    if s > 0.0 {
        s + (-s).exp().ln_1p()
    } else {
        s.exp().ln_1p()
    }
}

/// The mean negative log-likelihood of logistic regression with (possibly
/// soft) targets yᵢ ∈ [0, 1]: the mean binary cross-entropy of the targets
/// against the model.
///
/// ```text
/// sᵢ = xᵢ·θ,   f(θ) = (1/n) Σᵢ [softplus(sᵢ) − yᵢ·sᵢ]
///            = (1/n) Σᵢ [−yᵢ ln σ(sᵢ) − (1 − yᵢ) ln(1 − σ(sᵢ))]
/// log-likelihood ℓ(θ) = Σᵢ [yᵢ ln σ(sᵢ) + (1 − yᵢ) ln(1 − σ(sᵢ))] = −n·f(θ)
/// ∇f = (1/n) Σᵢ (σ(sᵢ) − yᵢ)·xᵢ,   ∇²f = (1/n) Σᵢ σ(sᵢ)σ(−sᵢ)·xᵢxᵢᵀ
/// ```
///
/// The Hessian's weights wᵢ = σ(sᵢ)σ(−sᵢ) satisfy |d ln w/ds| = |1 − 2σ(s)| ≤ 1,
/// so on the ball ‖θ′ − θ‖₂ ≤ r every weight is at least e^(−r·maxᵢ‖xᵢ‖₂)
/// times its value at θ, and so is the Hessian (in the positive semidefinite
/// order): that is its [`Objective::curvature_on_ball`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticNll {
    x: Vec<f64>,
    y: Vec<f64>,
    rows: usize,
    dimension: usize,
    row_norm: f64,
}

impl LogisticNll {
    /// The objective for features `x` (n rows of d numbers) and targets `y`.
    ///
    /// # Errors
    /// [`ModelError::Empty`] (`x`, or a row of `x`), [`ModelError::RaggedRow`],
    /// [`ModelError::NotFinite`] (`x`, row-major index, or `y`),
    /// [`ModelError::LengthMismatch`] (`x` rows against `y`), or
    /// [`ModelError::NotAProbability`] for a target outside [0, 1].
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::{LogisticNll, ModelError};
    /// assert!(LogisticNll::new(&[vec![1.0, 2.0]], &[0.3]).is_ok());
    /// let err = LogisticNll::new(&[vec![1.0]], &[1.5]).unwrap_err();
    /// assert_eq!(err, ModelError::NotAProbability { arg: "y", index: 0, value: 1.5 });
    /// ```
    pub fn new(x: &[Vec<f64>], y: &[f64]) -> Result<Self, ModelError> {
        if x.is_empty() {
            return Err(ModelError::Empty { arg: "x" });
        }
        let dimension = x[0].len();
        if dimension == 0 {
            return Err(ModelError::Empty { arg: "x row 0" });
        }
        if x.len() != y.len() {
            return Err(ModelError::LengthMismatch {
                first: "x",
                first_len: x.len(),
                second: "y",
                second_len: y.len(),
            });
        }
        let flat = flatten_rows("x", x, dimension)?;
        for (index, &value) in y.iter().enumerate() {
            if !value.is_finite() {
                return Err(ModelError::NotFinite {
                    arg: "y",
                    index,
                    value,
                });
            }
            if !(0.0..=1.0).contains(&value) {
                return Err(ModelError::NotAProbability {
                    arg: "y",
                    index,
                    value,
                });
            }
        }
        let row_norm = max_row_norm(&flat, dimension);
        Ok(LogisticNll {
            x: flat,
            y: y.to_vec(),
            rows: x.len(),
            dimension,
            row_norm,
        })
    }

    /// The number of rows n.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row i of the features.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.dimension..(i + 1) * self.dimension]
    }

    /// The targets yᵢ.
    pub fn targets(&self) -> &[f64] {
        &self.y
    }

    /// The scores sᵢ = xᵢ·θ and bounds ζᵢ = γ_d·Σⱼ|xᵢⱼθⱼ| on their rounding errors.
    pub(crate) fn scores(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let g = gamma(self.dimension);
        (0..self.rows)
            .map(|i| {
                let r = self.row(i);
                let s: f64 = r.iter().zip(theta).map(|(a, b)| a * b).sum();
                let abs: f64 = r.iter().zip(theta).map(|(a, b)| (a * b).abs()).sum();
                (s, g * abs * (1.0 + gamma(self.dimension + 1)))
            })
            .unzip()
    }

    /// g = (1/n) Σᵢ rᵢ·xᵢ for per-row derivatives rᵢ (computed, each within
    /// ρᵢ of its exact value), with the entrywise bound
    /// (Σᵢ|xᵢⱼ|ρᵢ + γ_{n+1}·Σᵢ|rᵢxᵢⱼ|)/n (products and the sum) plus u|gⱼ|
    /// for the division, rounded up by 4u.
    pub(crate) fn pull_back(&self, r: &[f64], rho: &[f64]) -> GradientEval {
        let (n, d) = (self.rows, self.dimension);
        let nf = n as f64;
        let mut gradient = vec![0.0; d];
        let mut error = vec![0.0; d];
        let mut abs = vec![0.0; d];
        for i in 0..n {
            for (j, &xij) in self.row(i).iter().enumerate() {
                gradient[j] += r[i] * xij;
                abs[j] += (r[i] * xij).abs();
                error[j] += xij.abs() * rho[i];
            }
        }
        for j in 0..d {
            gradient[j] /= nf;
            error[j] =
                ((error[j] + gamma(n + 1) * abs[j]) / nf + U * gradient[j].abs()) * (1.0 + 4.0 * U);
        }
        GradientEval { gradient, error }
    }
}

impl Objective for LogisticNll {
    fn dimension(&self) -> usize {
        self.dimension
    }

    fn value(&self, theta: &[f64]) -> f64 {
        let (s, _) = self.scores(theta);
        let total: f64 = s
            .iter()
            .zip(&self.y)
            .map(|(&si, &yi)| softplus(si) - yi * si)
            .sum();
        total / self.rows as f64
    }

    /// rᵢ = σ(sᵢ) − yᵢ. Its error: σ's own 6u relative; the score's rounding
    /// ζᵢ moves σ by at most w·ζᵢ·e^ζᵢ (as |σ′| = w and |d ln w/ds| ≤ 1); the
    /// subtraction u|rᵢ|.
    fn gradient(&self, theta: &[f64]) -> GradientEval {
        let (s, zeta) = self.scores(theta);
        let mut r = Vec::with_capacity(self.rows);
        let mut rho = Vec::with_capacity(self.rows);
        for i in 0..self.rows {
            let (p, q) = (sigmoid(s[i]), sigmoid(-s[i]));
            let ri = p - self.y[i];
            r.push(ri);
            rho.push(1.01 * (SIGMOID_ERROR * p + p * q * zeta[i] * zeta[i].exp()) + U * ri.abs());
        }
        self.pull_back(&r, &rho)
    }

    /// Hⱼₗ = (1/n) Σᵢ wᵢxᵢⱼxᵢₗ with wᵢ = σ(sᵢ)σ(−sᵢ). Error of each term:
    /// w's 13u (two sigmoids and a product) and e^ζᵢ − 1 ≤ ζᵢe^ζᵢ from the
    /// score, then γ_{n+3} for the two products, the sum and the division.
    fn hessian(&self, theta: &[f64]) -> HessianEval {
        let (n, d) = (self.rows, self.dimension);
        let (s, zeta) = self.scores(theta);
        let mut h = vec![0.0; d * d];
        let mut e = vec![0.0; d * d];
        for i in 0..n {
            let w = sigmoid(s[i]) * sigmoid(-s[i]);
            let rel = 1.01 * (13.0 * U + zeta[i] * zeta[i].exp()) + gamma(n + 3);
            let r = self.row(i);
            for j in 0..d {
                for l in 0..d {
                    let t = w * r[j] * r[l];
                    h[j * d + l] += t;
                    e[j * d + l] += t.abs() * rel;
                }
            }
        }
        let nf = n as f64;
        h.iter_mut().for_each(|v| *v /= nf);
        e.iter_mut().for_each(|v| *v /= nf);
        HessianEval {
            hessian: h,
            error: norm2_up(&e) * (1.0 + 4.0 * U),
        }
    }

    fn curvature_on_ball(&self, _theta: &[f64], lambda: f64, radius: f64) -> f64 {
        lambda * (-(self.row_norm * radius) * (1.0 + 2.0 * U)).exp() * (1.0 - 4.0 * U)
    }
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// The weights θ.
    pub weights: Vec<f64>,
    /// Newton steps taken.
    pub iterations: usize,
    /// The computed norm of ∇f at `weights`.
    pub gradient_norm: f64,
    /// The proof ‖θ − θ*‖₂ ≤ `certificate.parameter_error`.
    pub certificate: Certificate,
}

/// Fits logistic regression by Newton's method (IRLS) from θ = 0, minimizing
/// the mean negative log-likelihood [`LogisticNll`].
///
/// ```text
/// θ̂ = argmin_θ (1/n) Σᵢ [softplus(xᵢ·θ) − yᵢ·xᵢ·θ]
/// ```
///
/// Targets may be soft (yᵢ ∈ [0, 1]). With every yᵢ strictly inside (0, 1) and
/// x of full column rank the minimizer exists and is unique; with hard labels
/// on linearly separable data it does not exist, and the fit fails rather
/// than returning large weights.
///
/// The certificate is documented at [`Certificate`]: the gradient norm G
/// (computed, plus its rounding-error bound), a lower bound λ on the Hessian's
/// smallest eigenvalue from a shifted Cholesky factorization, and the
/// logistic curvature bound λ·e^(−r·maxᵢ‖xᵢ‖) on the ball of radius r = 3G/λ,
/// giving ‖θ̂ − θ*‖₂ ≤ G/μ.
///
/// # Errors
/// The input errors of [`LogisticNll::new`], an invalid option, or
/// [`ModelError::NotConverged`] / [`ModelError::NotStronglyConvex`] when no
/// certificate within `options.tolerance` can be given (e.g. separable data).
///
/// # Example
/// ```
/// use logloss_proofs::models::{fit_logistic, NewtonOptions};
/// let x = [vec![1.0, -1.0], vec![1.0, 0.0], vec![1.0, 1.0]];
/// let fit = fit_logistic(&x, &[0.2, 0.5, 0.7], &NewtonOptions::default()).unwrap();
/// assert!(fit.certificate.parameter_error < 1e-12);
/// // Separable hard labels: no minimizer, so an error and no weights.
/// assert!(fit_logistic(&x, &[0.0, 1.0, 1.0], &NewtonOptions::default()).is_err());
/// ```
pub fn fit_logistic(
    x: &[Vec<f64>],
    y: &[f64],
    options: &NewtonOptions,
) -> Result<LogisticFit, ModelError> {
    let objective = LogisticNll::new(x, y)?;
    let fit = minimize(&objective, &vec![0.0; objective.dimension], options)?;
    Ok(LogisticFit {
        weights: fit.theta,
        iterations: fit.iterations,
        gradient_norm: fit.gradient_norm,
        certificate: fit.certificate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::certify;

    /// logit(y) = ln y − ln(1 − y) with its rounding: two logarithms within
    /// 2u each (ln_1p gives ln(1 − y) for the stored y), the difference u.
    fn logit(y: f64) -> (f64, f64) {
        let (a, b) = (y.ln(), (-y).ln_1p());
        (a - b, 2.02 * U * (a.abs() + b.abs()) + U * (a - b).abs())
    }

    #[test]
    fn a_binary_covariate_gives_the_group_logits() {
        // With rows (1, 0) and (1, 1) the model is saturated: the fitted
        // probabilities are the group means, so θ₀ = logit(ȳ₀) and
        // θ₁ = logit(ȳ₁) − logit(ȳ₀) (closed form).
        let x = [
            vec![1.0, 0.0],
            vec![1.0, 0.0],
            vec![1.0, 0.0],
            vec![1.0, 1.0],
            vec![1.0, 1.0],
        ];
        let y = [0.1, 0.5, 0.6, 0.9, 0.3];
        let fit = fit_logistic(&x, &y, &NewtonOptions::default()).unwrap();
        // The group means: plain sums of 3 and 2 terms and a division, within
        // 3u relative; ȳ's error moves logit(ȳ) by e/(ȳ(1 − ȳ)).
        let m0 = (0.1 + 0.5 + 0.6) / 3.0;
        let m1 = (0.9 + 0.3) / 2.0;
        let (l0, e0) = logit(m0);
        let (l1, e1) = logit(m1);
        let e0 = e0 + 3.0 * U / (1.0 - m0);
        let e1 = e1 + 3.0 * U / (1.0 - m1);
        let r = fit.certificate.parameter_error;
        assert!((fit.weights[0] - l0).abs() <= r + e0, "{fit:?}");
        assert!(
            (fit.weights[1] - (l1 - l0)).abs() <= r + e0 + e1 + U * (l1 - l0).abs(),
            "{fit:?}"
        );
        assert!(fit.gradient_norm <= fit.certificate.gradient_norm);
    }

    #[test]
    fn the_certificate_covers_the_true_distance() {
        // One soft target: θ* = logit(y). At θ* + δ the bound must cover |δ|
        // (less the closed form's rounding), or be infinite.
        for y in [1e-3, 0.25, 0.5, 0.97] {
            let f = LogisticNll::new(&[vec![1.0]], &[y]).unwrap();
            let (star, err) = logit(y);
            for delta in [0.0, 1e-9, 1e-5, 0.01, 0.3, 3.0, -3.0] {
                let theta = star + delta;
                let moved = (theta - star).abs() * (1.0 - U);
                let c = certify(&f, &[theta]).unwrap();
                assert!(c.parameter_error >= moved - err, "y {y} δ {delta}: {c:?}");
            }
        }
    }

    #[test]
    fn separable_or_degenerate_data_is_an_error() {
        let opts = NewtonOptions::default();
        // Hard labels separated at x = 0: the NLL decreases toward 0 as the
        // weights grow; no minimizer.
        let x = [
            vec![1.0, -2.0],
            vec![1.0, -1.0],
            vec![1.0, 1.0],
            vec![1.0, 2.0],
        ];
        let err = fit_logistic(&x, &[0.0, 0.0, 1.0, 1.0], &opts).unwrap_err();
        assert!(
            matches!(
                err,
                ModelError::NotConverged { .. } | ModelError::NotStronglyConvex { .. }
            ),
            "{err:?}"
        );
        // A duplicated column: the Hessian is singular.
        let x = [vec![1.0, 1.0], vec![1.0, 1.0]];
        assert!(fit_logistic(&x, &[0.3, 0.6], &opts).is_err());
    }

    #[test]
    fn bad_inputs_are_named() {
        let opts = NewtonOptions::default();
        assert_eq!(
            fit_logistic(&[], &[], &opts).unwrap_err(),
            ModelError::Empty { arg: "x" }
        );
        assert_eq!(
            fit_logistic(&[vec![1.0], vec![1.0, 2.0]], &[0.5, 0.5], &opts).unwrap_err(),
            ModelError::RaggedRow {
                arg: "x",
                row: 1,
                len: 2,
                expected: 1
            }
        );
        assert!(matches!(
            fit_logistic(&[vec![1.0]], &[0.5, 0.5], &opts).unwrap_err(),
            ModelError::LengthMismatch { .. }
        ));
        assert!(matches!(
            fit_logistic(&[vec![f64::NAN]], &[0.5], &opts).unwrap_err(),
            ModelError::NotFinite {
                arg: "x",
                index: 0,
                ..
            }
        ));
        assert!(matches!(
            fit_logistic(&[vec![1.0]], &[-0.1], &opts).unwrap_err(),
            ModelError::NotAProbability {
                arg: "y",
                index: 0,
                ..
            }
        ));
        let bad = NewtonOptions {
            tolerance: 0.0,
            ..NewtonOptions::default()
        };
        assert!(matches!(
            fit_logistic(&[vec![1.0]], &[0.5], &bad).unwrap_err(),
            ModelError::InvalidOption {
                name: "tolerance",
                ..
            }
        ));
    }

    #[test]
    fn sigmoid_and_softplus_are_stable() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(softplus(-800.0), 0.0);
        assert_eq!(softplus(800.0), 800.0);
        // softplus(0) = ln 2: ln_1p(1) within one ulp.
        assert!((softplus(0.0) - std::f64::consts::LN_2).abs() <= 2.0 * U * std::f64::consts::LN_2);
    }

    /// σ(s) at 320 bits: 1/(1 + e^(−s)).
    fn exact_sigmoid(
        s: &astro_float::BigFloat,
        cc: &mut astro_float::Consts,
    ) -> astro_float::BigFloat {
        use crate::test_support::{PREC as P, RM, big};
        big(1.0).div(&big(1.0).add(&s.neg().exp(P, RM, cc), P, RM), P, RM)
    }

    /// The logistic NLL's bounds against 320 bits, on random data (2 to 30
    /// rows, 1 or 2 features of scale 1 or 10, soft and hard targets) and
    /// weights: the gradient's entrywise bounds cover (1/n)Σ(σ(sᵢ) − yᵢ)xᵢ,
    /// the Hessian's bound covers ‖H̃ − H‖_F, H = (1/n)Σσ(sᵢ)σ(−sᵢ)xᵢxᵢᵀ,
    /// with sᵢ = xᵢ·θ exact; and for one feature the curvature on a ball,
    /// from λ = the exact H(θ) rounded down, stays below the exact H on 9
    /// points of the ball (its ratio to their minimum recorded).
    ///
    /// Floors: 2⁻³ for the gradient (0.19 seen: σ's 6u and the pull-back's
    /// γ are reached in part where one row dominates); 2⁻³ for the Hessian
    /// (0.27 seen: a single row's weight carries most of its 13u); 2⁻¹ for
    /// the curvature (1.00 seen: w(s + δ) ≥ w(s)e^(−|δ|) is nearly an equality
    /// for a large score moving away from 0, the bound's worst case).
    #[test]
    fn bounds_cover_the_exact_derivatives() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::{PREC as P, RM, big, to_f64};
        use rand::RngExt;
        bound_checks(
            "logistic-nll",
            [
                ("logistic NLL: gradient", 0.125),
                ("logistic NLL: Hessian (Frobenius)", 0.125),
                ("logistic NLL: curvature on a ball", 0.5),
            ],
            80,
            |k, rng, cc, [grad, hess, curv]| {
                let (n, d) = (
                    rng.random_range(if k % 4 == 0 { 1..2usize } else { 2..31usize }),
                    1 + k % 2,
                );
                let scale = if k % 3 == 0 { 10.0 } else { 1.0 };
                let x: Vec<Vec<f64>> = (0..n)
                    .map(|_| (0..d).map(|_| scale * uniform(rng, -1.0, 1.0)).collect())
                    .collect();
                let y: Vec<f64> = (0..n)
                    .map(|i| {
                        if (i + k) % 3 == 0 {
                            f64::from(u8::from(rng.random::<bool>()))
                        } else {
                            uniform(rng, 0.0, 1.0)
                        }
                    })
                    .collect();
                let theta: Vec<f64> = (0..d).map(|_| uniform(rng, -3.0, 3.0)).collect();
                let f = LogisticNll::new(&x, &y).unwrap();
                let nb = big(n as f64);
                let score = |th: &[astro_float::BigFloat], row: &[f64]| {
                    row.iter()
                        .zip(th)
                        .fold(big(0.0), |a, (&xi, t)| a.add(&big(xi).mul(t, P, RM), P, RM))
                };
                let tb: Vec<_> = theta.iter().map(|&t| big(t)).collect();
                let mut g = vec![big(0.0); d];
                let mut h = vec![big(0.0); d * d];
                for (row, &yi) in x.iter().zip(&y) {
                    let sb = score(&tb, row);
                    let sig = exact_sigmoid(&sb, cc);
                    let r = sig.sub(&big(yi), P, RM);
                    let w = sig.mul(&big(1.0).sub(&sig, P, RM), P, RM);
                    for j in 0..d {
                        g[j] = g[j].add(&r.mul(&big(row[j]), P, RM), P, RM);
                        for l in 0..d {
                            h[j * d + l] =
                                h[j * d + l].add(&w.mul(&big(row[j] * row[l]), P, RM), P, RM);
                        }
                    }
                }
                let at = || format!("x {x:?}, y {y:?}, θ {theta:?}");
                let ge = f.gradient(&theta);
                for (j, want) in g.iter().enumerate() {
                    grad.value(ge.gradient[j], &want.div(&nb, P, RM), ge.error[j], cc, at);
                }
                let he = f.hessian(&theta);
                let mut sq = big(0.0);
                for (hv, exact) in he.hessian.iter().zip(&h) {
                    let diff = big(*hv).sub(&exact.div(&nb, P, RM), P, RM);
                    sq = sq.add(&diff.mul(&diff, P, RM), P, RM);
                }
                hess.record(to_f64(&sq.sqrt(P, RM), cc), he.error, at);
                if d == 1 {
                    let lambda = to_f64(&h[0].div(&nb, P, RM), cc) * (1.0 - 2.0 * U);
                    let radius = uniform(rng, 0.01, 2.0);
                    let bound = f.curvature_on_ball(&theta, lambda, radius);
                    let mut least = f64::INFINITY;
                    for step in 0..9 {
                        let t = big(theta[0] + radius * (f64::from(step) / 4.0 - 1.0));
                        let hv = x.iter().fold(big(0.0), |a, row| {
                            let sig = exact_sigmoid(&big(row[0]).mul(&t, P, RM), cc);
                            let w = sig.mul(&big(1.0).sub(&sig, P, RM), P, RM);
                            a.add(&w.mul(&big(row[0] * row[0]), P, RM), P, RM)
                        });
                        least = least.min(to_f64(&hv.div(&nb, P, RM), cc));
                    }
                    curv.record(bound, least, at);
                }
            },
        );
    }
}
