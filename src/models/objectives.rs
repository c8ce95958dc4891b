//! Objectives written from their own definitions, next to the families they
//! fit: KL against a softmax family (by the chain rule through the
//! probabilities), the categorical and normal sample NLLs (sample by
//! sample), binary CE and KL of soft targets against logistic regression, and
//! KL against a normal in natural parameters.
//!
//! Each is an [`Objective`] whose gradient is computed differently from the
//! family's own cross-entropy (which [`SoftmaxCrossEntropy`],
//! [`LogisticNll`] and [`NormalCrossEntropy`] provide), each with its own
//! error bound, so that fitting two of them is not one computation run twice.

use crate::measures;
use crate::models::linalg::{gamma, norm2_up};
use crate::models::{
    GradientEval, HessianEval, LogisticNll, NormalCrossEntropy, NormalParams, Objective,
    SIGMOID_ERROR, SoftmaxCrossEntropy, TINY, normal_log_likelihood, sigmoid, softplus,
};
use crate::numerics::{NeumaierSum, U};

/// Which divergence an objective (or a measured value) is: cross-entropy or KL.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Divergence {
    /// Cross-entropy.
    CrossEntropy,
    /// KL divergence.
    Kl,
}

impl Divergence {
    /// "CE" or "KL".
    pub(crate) fn name(self) -> &'static str {
        match self {
            Divergence::CrossEntropy => "CE",
            Divergence::Kl => "KL",
        }
    }
}

/// KL(p‖softmax(Aθ)) with its gradient by the chain rule through the
/// probabilities: ∂KL/∂qᵢ = −pᵢ/qᵢ, ∂qᵢ/∂zₗ = qᵢ(δᵢₗ − qₗ), so
/// ∂KL/∂zₗ = qₗ·Σᵢ qᵢ(pᵢ/qᵢ) − qₗ(pₗ/qₗ), then Aᵀ. (Algebraically P·q − p,
/// like CE's; computed differently.) The Hessian equals CE's (KL − CE = −H(p)
/// is constant) and is taken from it.
pub(crate) struct SoftmaxKl<'a>(pub(crate) &'a SoftmaxCrossEntropy);

impl Objective for SoftmaxKl<'_> {
    fn dimension(&self) -> usize {
        self.0.dimension()
    }

    fn value(&self, theta: &[f64]) -> f64 {
        measures::kl_divergence_logits(self.0.target(), &self.0.logits(theta))
            .unwrap_or(f64::INFINITY)
    }

    /// Error of tₗ = q̃ₗs̃ − q̃ₗr̃ₗ with r̃ᵢ = fl(pᵢ/q̃ᵢ): q̃ᵢr̃ᵢ is pᵢ within 2u
    /// whatever q̃ᵢ's error; s̃ = Σq̃ᵢr̃ᵢ is P within γ_{k+2}; q̃ₗs̃ carries q̃ₗ's
    /// relₗ (and 2⁻¹⁰⁷⁴) and γ_{k+3}; the subtraction u|tₗ|.
    fn gradient(&self, theta: &[f64]) -> GradientEval {
        let pt = self.0.point(theta);
        let p = self.0.target();
        let k = p.len();
        let r: Vec<f64> = p.iter().zip(&pt.q).map(|(pi, qi)| pi / qi).collect();
        let s: f64 = pt.q.iter().zip(&r).map(|(qi, ri)| qi * ri).sum();
        let mut t = Vec::with_capacity(k);
        let mut tau = Vec::with_capacity(k);
        for l in 0..k {
            let tl = pt.q[l] * s - pt.q[l] * r[l];
            t.push(tl);
            tau.push(
                1.01 * (2.0 * U * p[l] + s.abs() * (pt.q[l] * (pt.rel[l] + gamma(k + 3)) + TINY))
                    + U * tl.abs(),
            );
        }
        self.0.pull_back(&t, &tau)
    }

    fn hessian(&self, theta: &[f64]) -> HessianEval {
        self.0.hessian(theta)
    }

    fn curvature_on_ball(&self, theta: &[f64], lambda: f64, radius: f64) -> f64 {
        self.0.curvature_on_ball(theta, lambda, radius)
    }
}

/// The mean negative log-likelihood of categorical samples under
/// softmax(Aθ), f(θ) = −(1/n)Σₛ ln q_{xₛ}, with its gradient accumulated
/// sample by sample: tᵢ = (1/n)Σₛ(qᵢ − [xₛ = i]) (exactly qᵢ − cᵢ/n). Its
/// Hessian is CE's divided by P = Σp̂ (the NLL has mass exactly 1).
pub(crate) struct CategoricalNll<'a> {
    pub(crate) base: &'a SoftmaxCrossEntropy,
    pub(crate) samples: &'a [usize],
}

impl Objective for CategoricalNll<'_> {
    fn dimension(&self) -> usize {
        self.base.dimension()
    }

    fn value(&self, theta: &[f64]) -> f64 {
        let Ok(ls) = measures::log_softmax(&self.base.logits(theta)) else {
            return f64::INFINITY;
        };
        let sum: NeumaierSum = self.samples.iter().map(|&s| -ls[s]).collect();
        sum.value() / self.samples.len() as f64
    }

    /// Error of tᵢ: a plain sum of n terms q̃ᵢ and cᵢ terms −1, so
    /// γ_{2n}·(nq̃ᵢ + cᵢ), plus n times q̃ᵢ's own error, over n; the division u.
    fn gradient(&self, theta: &[f64]) -> GradientEval {
        let pt = self.base.point(theta);
        let k = pt.q.len();
        let n = self.samples.len();
        let mut t = vec![0.0; k];
        let mut counts = vec![0.0; k];
        for &s in self.samples {
            for (ti, qi) in t.iter_mut().zip(&pt.q) {
                *ti += qi;
            }
            t[s] -= 1.0;
            counts[s] += 1.0;
        }
        let nf = n as f64;
        let mut tau = Vec::with_capacity(k);
        for i in 0..k {
            t[i] /= nf;
            tau.push(
                1.01 * ((nf * (pt.rel[i] * pt.q[i] + TINY)
                    + gamma(2 * n) * (nf * pt.q[i] + counts[i]))
                    / nf)
                    + U * t[i].abs(),
            );
        }
        self.base.pull_back(&t, &tau)
    }

    /// CE's Hessian over P, whose exact value is within |P̃ − 1| + 3u of 1.
    fn hessian(&self, theta: &[f64]) -> HessianEval {
        let mut h = self.base.hessian(theta);
        let off = (self.base.mass() - 1.0).abs() + 3.0 * U;
        let size = norm2_up(&h.hessian);
        h.error = 1.01 * (h.error + size * off);
        h
    }

    fn curvature_on_ball(&self, theta: &[f64], lambda: f64, radius: f64) -> f64 {
        self.base.curvature_on_ball(theta, lambda, radius)
    }
}

/// Mean binary cross-entropy or mean binary KL of soft targets against
/// logistic regression, written from their definitions:
///
/// ```text
/// CE form: (1/n) Σᵢ [−yᵢ ln σ(sᵢ) − (1 − yᵢ) ln σ(−sᵢ)],
///          ∂/∂sᵢ = (1 − yᵢ)σ(sᵢ) − yᵢσ(−sᵢ)
/// KL form: (1/n) Σᵢ KL(Bern(yᵢ)‖Bern(σ(sᵢ))),
///          ∂/∂sᵢ = (−yᵢ/x + (1 − yᵢ)/(1 − x))·x(1 − x),  x = σ(sᵢ), 1 − x = σ(−sᵢ)
/// ```
///
/// Both derivatives equal σ(sᵢ) − yᵢ (the NLL's) in exact arithmetic. The
/// Hessian and curvature are the NLL's (the three differ by constants).
pub(crate) struct LogisticForm<'a> {
    pub(crate) base: &'a LogisticNll,
    pub(crate) form: Divergence,
}

/// x·ln x, with the convention 0·ln 0 = 0.
pub(crate) fn xlogx(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x * x.ln() }
}

impl Objective for LogisticForm<'_> {
    fn dimension(&self) -> usize {
        self.base.dimension()
    }

    fn value(&self, theta: &[f64]) -> f64 {
        let (s, _) = self.base.scores(theta);
        let total: f64 = s
            .iter()
            .zip(self.base.targets())
            .map(|(&si, &y)| {
                let ce = y * softplus(-si) + (1.0 - y) * softplus(si);
                match self.form {
                    Divergence::CrossEntropy => ce,
                    Divergence::Kl => ce + xlogx(y) + xlogx(1.0 - y),
                }
            })
            .sum();
        total / self.base.rows() as f64
    }

    /// Per-row errors (σ within 6u; 1 − y within u; products and divisions u):
    /// CE form 8u·((1 − y)σ + yσ̄) + u|r|; KL form: y/σ within 7u, (1 − y)/σ̄
    /// within 8u, their difference D within 8u(y/σ + (1 − y)/σ̄) + u|D|, and
    /// w = σσ̄ within 13u, so r = D·w within 8u(yσ̄ + (1 − y)σ) + 14u|r| + u|r|.
    /// Both add the score's rounding ζ, which moves r by at most w·ζ·e^ζ.
    fn gradient(&self, theta: &[f64]) -> GradientEval {
        let (s, zeta) = self.base.scores(theta);
        let n = self.base.rows();
        let mut r = Vec::with_capacity(n);
        let mut rho = Vec::with_capacity(n);
        for (i, &y) in self.base.targets().iter().enumerate() {
            let (ri, e) = logistic_row(self.form, y, s[i], zeta[i]);
            r.push(ri);
            rho.push(e);
        }
        self.base.pull_back(&r, &rho)
    }

    fn hessian(&self, theta: &[f64]) -> HessianEval {
        self.base.hessian(theta)
    }

    fn curvature_on_ball(&self, theta: &[f64], lambda: f64, radius: f64) -> f64 {
        self.base.curvature_on_ball(theta, lambda, radius)
    }
}

/// One row of [`LogisticForm`]'s gradient, ∂/∂sᵢ at score s within ζ, and
/// its error bound (see the gradient's documentation).
fn logistic_row(form: Divergence, y: f64, s: f64, zeta: f64) -> (f64, f64) {
    let (x, xbar) = (sigmoid(s), sigmoid(-s));
    let w = x * xbar;
    let from_score = 1.01 * w * zeta * zeta.exp();
    let scale = (1.0 - y) * x + y * xbar;
    let (r, e) = match form {
        Divergence::CrossEntropy => {
            let r = (1.0 - y) * x - y * xbar;
            (r, 1.01 * (SIGMOID_ERROR + 2.0 * U) * scale + U * r.abs())
        }
        Divergence::Kl => {
            let d = (1.0 - y) / xbar - y / x;
            let r = d * w;
            (
                r,
                1.02 * (8.0 * U * scale + 14.0 * U * r.abs()) + U * r.abs(),
            )
        }
    };
    (r, e + from_score)
}

/// KL(p‖N(η)) = CE(p, N(η)) − h(p) for a target with mean m, variance V and
/// differential entropy h, with its gradient by the chain rule through
/// (μ, σ²): ∂KL/∂μ = (μ − m)/σ², ∂KL/∂σ² = 1/(2σ²) − (V + (m − μ)²)/(2σ⁴),
/// and ∂(μ, σ²)/∂η = [[σ², 2μσ²], [0, 2σ⁴]]. (Algebraically the exponential
/// family's E_η T − E_p T; computed differently.)
pub(crate) struct NormalKl {
    pub(crate) base: NormalCrossEntropy,
    pub(crate) entropy: f64,
}

impl Objective for NormalKl {
    fn dimension(&self) -> usize {
        2
    }

    fn value(&self, eta: &[f64]) -> f64 {
        self.base.value(eta) - self.entropy
    }

    /// Error, step by step (μ̃, σ̃² within u relative; Δ = μ̃ − m within
    /// e_Δ = 1.01u|μ̃| + u|Δ|): ∇η₁ = σ̃²·(Δ/σ̃²) within 1.02(e_Δ + 4u|Δ|) + u|g₁|;
    /// T₁ = 2μ̃σ̃²·(Δ/σ̃²) within 2|μ̃|(e_Δ + 2u|Δ|) + 4u|T₁|;
    /// T₂ = 2σ̃⁴·b with b = 1/(2σ̃²) − (V + Δ²)/(2σ̃⁴) within
    /// 2uσ̃² + 5u(V + Δ²) + 2|Δ|e_Δ + 2uσ̃⁴|b| + 4u|T₂|; ∇η₂ = T₁ + T₂ adds u|g₂|.
    fn gradient(&self, eta: &[f64]) -> GradientEval {
        let (mu, s2) = (-eta[0] / (2.0 * eta[1]), -1.0 / (2.0 * eta[1]));
        let m = self.base.target_mean();
        let v = self.base.target_variance();
        let delta = mu - m;
        let e_delta = 1.01 * U * mu.abs() + U * delta.abs();
        let a = delta / s2;
        let b = 1.0 / (2.0 * s2) - (v + delta * delta) / (2.0 * s2 * s2);
        let g1 = s2 * a;
        let t1 = 2.0 * mu * s2 * a;
        let t2 = 2.0 * s2 * s2 * b;
        let g2 = t1 + t2;
        let e1 = 1.02 * (e_delta + 4.0 * U * delta.abs()) + U * g1.abs();
        let e2 = 1.02
            * (2.0 * mu.abs() * (e_delta + 2.0 * U * delta.abs())
                + 4.0 * U * t1.abs()
                + 2.0 * U * s2
                + 5.0 * U * (v + delta * delta)
                + 2.0 * delta.abs() * e_delta
                + 2.0 * U * s2 * s2 * b.abs()
                + 4.0 * U * t2.abs())
            + U * g2.abs();
        GradientEval {
            gradient: vec![g1, g2],
            error: vec![e1, e2],
        }
    }

    fn hessian(&self, eta: &[f64]) -> HessianEval {
        self.base.hessian(eta)
    }

    fn curvature_on_ball(&self, eta: &[f64], lambda: f64, radius: f64) -> f64 {
        self.base.curvature_on_ball(eta, lambda, radius)
    }
}

/// The mean negative log-likelihood of normal samples in natural parameters,
/// with the gradient accumulated sample by sample:
/// (1/n)Σᵢ(μ − xᵢ, σ² + μ² − xᵢ²). Hessian and curvature do not depend on
/// the data and are taken from any [`NormalCrossEntropy`].
pub(crate) struct NormalNll<'a> {
    pub(crate) base: NormalCrossEntropy,
    pub(crate) samples: &'a [f64],
}

impl Objective for NormalNll<'_> {
    fn dimension(&self) -> usize {
        2
    }

    fn value(&self, eta: &[f64]) -> f64 {
        if eta[1].is_nan() || eta[1] >= 0.0 {
            return f64::INFINITY;
        }
        let (mu, s2) = (-eta[0] / (2.0 * eta[1]), -1.0 / (2.0 * eta[1]));
        match NormalParams::new(mu, s2).and_then(|n| normal_log_likelihood(self.samples, n)) {
            Ok(l) => -l / self.samples.len() as f64,
            Err(_) => f64::INFINITY,
        }
    }

    /// Per sample: μ̃ − xᵢ within 1.01u|μ̃| + u|t|; σ̃² + μ̃² − xᵢ² within
    /// 1.01(2uσ̃² + 4uμ̃² + u·xᵢ²) + u|t|; the plain sums γ_n·Σ|t|, the
    /// division u|g|.
    fn gradient(&self, eta: &[f64]) -> GradientEval {
        let (mu, s2) = (-eta[0] / (2.0 * eta[1]), -1.0 / (2.0 * eta[1]));
        let n = self.samples.len();
        let (mut g1, mut g2, mut a1, mut a2, mut e1, mut e2) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for &x in self.samples {
            let t1 = mu - x;
            let t2 = (s2 + mu * mu) - x * x;
            g1 += t1;
            g2 += t2;
            a1 += t1.abs();
            a2 += t2.abs();
            e1 += 1.01 * U * mu.abs() + U * t1.abs();
            e2 += 1.01 * (2.0 * U * s2 + 4.0 * U * mu * mu + U * x * x) + U * t2.abs();
        }
        let nf = n as f64;
        let (g1, g2) = (g1 / nf, g2 / nf);
        GradientEval {
            gradient: vec![g1, g2],
            error: vec![
                1.01 * (e1 + gamma(n) * a1) / nf + U * g1.abs(),
                1.01 * (e2 + gamma(n) * a2) / nf + U * g2.abs(),
            ],
        }
    }

    fn hessian(&self, eta: &[f64]) -> HessianEval {
        self.base.hessian(eta)
    }

    fn curvature_on_ball(&self, eta: &[f64], lambda: f64, radius: f64) -> f64 {
        self.base.curvature_on_ball(eta, lambda, radius)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The normal objectives' gradient error bounds hold against their
    /// gradients at 320 bits, from the f64 η, samples and target moments
    /// taken as exact: μ = −η₁/(2η₂), σ² = −1/(2η₂), Δ = μ − m;
    /// NLL: (1/n)Σ(μ − xᵢ, σ² + μ² − xᵢ²); KL: (Δ, 2μΔ + σ² − V − Δ²).
    #[test]
    fn normal_gradient_error_bounds_hold_against_a_320_bit_reference() {
        use crate::test_support::{PREC as P, RM, assert_gradient_within, big, normal_moments};
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let spread = [0.1, -1.7, 2.3, 0.55, 1.0 / 3.0, -0.9, 7.25];
        // x² ≈ σ² + μ² = 4 at η = (⅓, −⅙) (μ = 1, σ² = 3): the per-sample
        // terms cancel to about 1e−9 while their roundings stay near u·4,
        // so the per-sample part of the bound is the part that matters.
        let cancelling = [2.0 + 1e-9, -2.0 + 3e-10];
        // μ = 3.1, σ² = 0.1 at η = (31, −5), samples near μ: each
        // σ² + μ² − x² is small against μ² and x², whose roundings (the
        // bound's 4u·μ² and u·x²) carry its error.
        let off_centre = [3.1, 3.3, 2.9, 3.05];
        let (m, v) = (0.3, 2.1);
        let kl = NormalKl {
            base: NormalCrossEntropy::new(m, v).unwrap(),
            entropy: 1.0,
        };
        let mut inexact = [false; 2];
        // Tightness (the cases below are adversarial, chosen where the
        // per-sample terms cancel or μ² dominates): floors 2⁻³ for the NLL
        // (0.21 seen) and 2⁻⁴ for the KL (0.13 seen); the bounds count each
        // rounding of the chain rule through (μ, σ²) at its worst.
        let mut checks = [
            crate::test_support::BoundCheck::new("normal NLL: gradient", 0.125),
            crate::test_support::BoundCheck::new("normal KL: gradient", 2f64.powi(-4)),
        ];
        for (samples, eta) in [
            (&spread[..], [0.7, -0.3]),
            (&spread[..], [-2.1, -1.7]),
            (&spread[..], [0.05, -0.05]),
            (&spread[..], [3.3, -0.01]),
            (&cancelling[..], [1.0 / 3.0, -1.0 / 6.0]),
            (&off_centre[..], [31.0, -5.0]),
        ] {
            let nll = NormalNll {
                base: NormalCrossEntropy::new(m, v).unwrap(),
                samples,
            };
            let (mu, s2) = normal_moments(eta);
            let mu_sq = mu.mul(&mu, P, RM);
            let n = big(samples.len() as f64);
            let (mut a, mut b) = (big(0.0), big(0.0));
            for &x in samples {
                a = a.add(&mu.sub(&big(x), P, RM), P, RM);
                let x_sq = big(x).mul(&big(x), P, RM);
                b = b.add(&s2.add(&mu_sq, P, RM).sub(&x_sq, P, RM), P, RM);
            }
            let nll_exact = [a.div(&n, P, RM), b.div(&n, P, RM)];
            let delta = mu.sub(&big(m), P, RM);
            let kl_exact = [
                delta.clone(),
                big(2.0)
                    .mul(&mu, P, RM)
                    .mul(&delta, P, RM)
                    .add(&s2, P, RM)
                    .sub(&big(v), P, RM)
                    .sub(&delta.mul(&delta, P, RM), P, RM),
            ];
            for (k, (g, exact)) in [
                (nll.gradient(&eta), nll_exact),
                (kl.gradient(&eta), kl_exact),
            ]
            .into_iter()
            .enumerate()
            {
                let what = format!("objective {k}, η {eta:?}");
                inexact[k] |= assert_gradient_within(&g, &exact, &mut cc, &what);
                for (j, want) in exact.iter().enumerate() {
                    checks[k].value(g.gradient[j], want, g.error[j], &mut cc, || what.clone());
                }
            }
        }
        let [nll_check, kl_check] = checks;
        nll_check.finish();
        kl_check.finish();
        // Both gradients round somewhere, so a bound of zero would fail.
        assert_eq!(inexact, [true, true]);
    }

    /// x·ln x at 0 (the convention), 1 and ½ (−½ln 2, exact scaling).
    #[test]
    fn xlogx_follows_its_convention() {
        assert_eq!(xlogx(0.0), 0.0);
        assert_eq!(xlogx(1.0), 0.0);
        assert_eq!(xlogx(0.5), -0.5 * std::f64::consts::LN_2);
    }

    /// One logistic row's bound covers r̃ against σ(s*) − y at 320 bits,
    /// the derivative of both forms at the exact score s* = s ± ζ, for
    /// random y (0, 1 and soft), scores of scale 1 to 30 and ζ from 0 to
    /// 10⁻¹⁰·(1 + |s|).
    ///
    /// Floors: with ζ > 0, 2⁻¹ for both forms (0.99 seen: the score's
    /// term 1.01·w·ζe^ζ is reached to first order); with ζ = 0, where only
    /// the roundings count, 2⁻³ for CE and 2⁻⁴ for KL (printed: σ's 6u is
    /// the libm exp's ulp and the division's, reached in part; the KL
    /// form's 8u·scale + 14u·|r| counts every rounding of its two quotients
    /// and product at its worst).
    #[test]
    fn logistic_rows_cover_the_exact_derivative() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::{PREC as P, RM, big};
        use rand::RngExt;
        bound_checks(
            "logistic-rows",
            [
                ("logistic row: CE form", 0.5),
                ("logistic row: KL form", 0.5),
                ("logistic row: CE form, exact score", 0.125),
                ("logistic row: KL form, exact score", 2f64.powi(-4)),
            ],
            300,
            |k, rng, cc, [ce, kl, ce0, kl0]| {
                let y = match k % 4 {
                    0 => 0.0,
                    1 => 1.0,
                    _ => uniform(rng, 0.0, 1.0),
                };
                let s = [1.0, 5.0, 30.0][k % 3] * uniform(rng, -1.0, 1.0);
                let zeta = if k % 5 == 0 {
                    0.0
                } else {
                    1e-10 * (1.0 + s.abs()) * uniform(rng, 0.0, 1.0)
                };
                let shift = if rng.random::<bool>() { zeta } else { -zeta };
                let exact_s = big(s).add(&big(shift), P, RM);
                let sig = big(1.0).div(&big(1.0).add(&exact_s.neg().exp(P, RM, cc), P, RM), P, RM);
                let exact = sig.sub(&big(y), P, RM);
                let at = || format!("y {y}, s {s}, ζ {zeta:e}");
                let (c, l) = if zeta == 0.0 { (ce0, kl0) } else { (ce, kl) };
                let (r, e) = logistic_row(Divergence::CrossEntropy, y, s, zeta);
                c.value(r, &exact, e, cc, at);
                let (r, e) = logistic_row(Divergence::Kl, y, s, zeta);
                l.value(r, &exact, e, cc, at);
            },
        );
    }
}
