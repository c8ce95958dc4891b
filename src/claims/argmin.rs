//! Claims 4 and 5: for a fixed target, cross-entropy and KL divergence have
//! the same minimizer (the maximum-likelihood estimate when the target is the
//! empirical distribution) and the same gradient.
//!
//! Every optimum is found numerically, separately for each objective, by
//! Newton's method with a certificate ‖θ̂ − θ*‖₂ ≤ G/μ (see
//! [`crate::models::Certificate`]); two optima agree when their distance is
//! within the sum of their certificates (plus the rounding of any closed-form
//! reference). Each objective's gradient is computed from its own definition
//! (CE directly in the logits, KL through the chain rule via the
//! probabilities, the NLL sample by sample), so the fits are not one
//! computation run twice. Values of CE and KL of probability vectors come from
//! the measures under test, so a wrong measure makes the claims fail.

use proptest::collection::vec;
use proptest::prelude::*;

use super::harness::{CONTRACT, U, Worst, property};
use super::{
    Claim, Context, Counterexample, Evidence, Expectation, Implementation, holds_evidence,
};
use crate::measures::{self, normalize};
use crate::models::linalg::{gamma, norm2, norm2_up};
use crate::models::{
    GradientEval, HessianEval, LogisticNll, NewtonFit, NewtonOptions, NormalCrossEntropy,
    NormalParams, Objective, SIGMOID_ERROR, SoftmaxCrossEntropy, TINY, bernoulli_mle,
    categorical_mle, fit_logistic, minimize, normal_log_likelihood, normal_mle, sigmoid,
    softmax_cross_entropy_grad, softmax_relative_errors, softplus,
};
use crate::numerics::NeumaierSum;
use crate::numerics::format::short_vector as fmt_vec;
use crate::strategies::{arb_distribution_and_logits, arb_distribution_of};

/// Claim 4.
pub(crate) const ARGMIN_EQUIVALENCE: Claim = Claim {
    id: "argmin-equivalence",
    number: 4,
    title: "Minimizing cross-entropy and minimizing KL give the same parameters",
    statement: "For a fixed target p, argmin_θ CE(p, q_θ) = argmin_θ KL(p‖q_θ); for p = p̂ₙ both are the maximum-likelihood estimate",
    hypotheses: "Families with a unique minimizer: softmax (full and log-linear, p > 0), Bernoulli (both outcomes seen), normal (natural parameters; Laplace and uniform-mixture targets, and samples not all equal), logistic regression (soft targets in (0, 1), full-rank features); optima compared within their Newton certificates",
    expectation: Expectation::Holds,
    test: "tests/claims_argmin.rs::claim_4_argmin_equivalence",
    check: check_argmin,
};

/// Claim 5.
pub(crate) const GRADIENT_EQUIVALENCE: Claim = Claim {
    id: "gradient-equivalence",
    number: 5,
    title: "Cross-entropy and KL have the same gradient in the logits",
    statement: "∇_z CE(p, softmax z) = ∇_z KL(p‖softmax z) = softmax(z) − p; gradient descent on CE and on KL from the same start produce the same iterates",
    hypotheses: "p a probability vector (zeros allowed), finite logits up to ±1e4; for gradient descent p > 0 and step 1 ≤ 1/L, where L = ½ bounds the curvature of softmax cross-entropy in the logits",
    expectation: Expectation::Holds,
    test: "tests/claims_argmin.rs::claim_5_gradient_equivalence",
    check: check_gradient,
};

// ---------------------------------------------------------------------------
// Shared helpers

fn row(name: &str, value: String) -> (String, String) {
    (name.to_string(), value)
}

fn fit(what: &str, objective: &dyn Objective, start: &[f64]) -> Result<NewtonFit, String> {
    minimize(objective, start, &NewtonOptions::default())
        .map_err(|e| format!("{what}: the Newton fit failed: {e}"))
}

/// ‖a − b‖₂ against `bound`. The computed distance may exceed the exact one
/// by its rounding (γ_{d+3} relative: the differences, squares, sum and root),
/// so the bound is widened by that much.
fn agree(w: &mut Worst, what: &str, a: &[f64], b: &[f64], bound: f64) -> Result<(), String> {
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let distance = norm2(&diff);
    w.close(what, distance, 0.0, bound * (1.0 + gamma(a.len() + 3)))
}

/// The sum of two certificates: θ̂₁ and θ̂₂ are each within their own bound
/// of the one exact minimizer, so within the sum of each other.
fn radius(a: &NewtonFit, b: &NewtonFit) -> f64 {
    (a.certificate.parameter_error + b.certificate.parameter_error) * (1.0 + 2.0 * U)
}

/// A function of the logits returning a value and a bound on its error.
type Evaluation<'a> = &'a dyn Fn(&[f64]) -> Result<(f64, f64), String>;

#[derive(Clone, Copy, Debug)]
enum Divergence {
    CrossEntropy,
    Kl,
}

impl Divergence {
    fn name(self) -> &'static str {
        match self {
            Divergence::CrossEntropy => "CE",
            Divergence::Kl => "KL",
        }
    }
}

/// CE(p, q̂) or KL(p‖q̂) from the measures under test, at q̂ = normalize(q̃),
/// with a bound on its distance to the exact value at the exact q (where
/// |q̃ᵢ − qᵢ| ≤ relᵢ·q̃ᵢ + 2⁻¹⁰⁷⁴).
///
/// Bound: (i) q̂ against q: Σq̃ is within s = 1.01·Σ(relᵢq̃ᵢ + 2⁻¹⁰⁷⁴) of 1,
/// and normalizing adds 4u (compensated sum, division), so
/// |ln q̂ᵢ − ln qᵢ| ≤ 1.01·(relᵢ + s + 4u) + 2⁻¹⁰⁷⁴/q̂ᵢ, weighted by pᵢ (both
/// CE and KL move by Σpᵢ|Δln qᵢ|); (ii) the measure's contract, 4u·Σ|tᵢ|.
/// The factor 1.02 covers |ln(1 + x)| ≤ 1.01|x| at these tiny x.
fn measured(
    m: &dyn Implementation,
    which: Divergence,
    p: &[f64],
    q: &[f64],
    rel: &[f64],
) -> Result<(f64, f64), String> {
    let q_hat = normalize(q).map_err(|e| format!("normalize(softmax(z)) failed: {e}"))?;
    let value = match which {
        Divergence::CrossEntropy => m.cross_entropy(p, &q_hat),
        Divergence::Kl => m.kl_divergence(p, &q_hat),
    }
    .map_err(|e| format!("{} rejected a valid pair: {e}", which.name()))?;
    Ok((value, measured_error(which, p, q, &q_hat, rel)))
}

/// The bound of [`measured`], for the computed q̃ (`q`), its normalization q̂
/// and the relative errors `rel`:
/// 1.02·Σ_{pᵢ>0} pᵢ·(1.01·(relᵢ + s + 4u) + 2⁻¹⁰⁷⁴/q̂ᵢ) + 1.01·4u·Σ_{pᵢ>0}|tᵢ|,
/// with s = 1.01·Σ(relᵢq̃ᵢ + 2⁻¹⁰⁷⁴) and tᵢ = pᵢ ln q̂ᵢ (CE) or
/// pᵢ(ln pᵢ − ln q̂ᵢ) (KL).
fn measured_error(which: Divergence, p: &[f64], q: &[f64], q_hat: &[f64], rel: &[f64]) -> f64 {
    let spread = 1.01 * q.iter().zip(rel).map(|(qi, r)| qi * r + TINY).sum::<f64>();
    let (mut model, mut terms) = (0.0, 0.0);
    for i in 0..p.len() {
        if p[i] > 0.0 {
            model += p[i] * (1.01 * (rel[i] + spread + 4.0 * U) + TINY / q_hat[i]);
            terms += match which {
                Divergence::CrossEntropy => (p[i] * q_hat[i].ln()).abs(),
                Divergence::Kl => (p[i] * (p[i].ln() - q_hat[i].ln())).abs(),
            };
        }
    }
    1.02 * model + 1.01 * CONTRACT * terms
}

/// CE(p, softmax z) or KL(p‖softmax z) from the crate's logit forms, with a
/// bound on the distance to the exact value (for logits of any size, where
/// softmax may underflow).
///
/// Both kernels use νᵢ = −ln softmax(z)ᵢ = (max z − zᵢ) + ln Σⱼ e^(zⱼ − max z),
/// whose absolute error is at most relᵢ (see
/// [`softmax_relative_errors`]: relᵢ bounds it plus 2u).
/// - CE = Σ pᵢνᵢ: Σ pᵢ·relᵢ, plus the products and the compensated sum, 5u·CE.
/// - KL = −1 + Σ_{pᵢ>0}[pᵢψ(δᵢ) + pᵢ] + Σ_{pᵢ=0} qᵢ with δᵢ = ln pᵢ + νᵢ,
///   ψ(δ) = e^(−δ) − 1 + δ: δᵢ is within eᵢ = 2u|ln pᵢ| + relᵢ + u|δᵢ|; as
///   pᵢ|ψ′| = pᵢ|1 − e^(−δ)| ≤ pᵢ + qᵢ, the term moves by (pᵢ + 1.01qᵢ)(eᵢ + relᵢ)
///   (relᵢ for the qᵢ the |δ| > 1 branch uses directly); evaluating ψ costs
///   at most γ₄₂·pᵢδᵢ² for |δᵢ| ≤ 1 (a 19-term Horner polynomial whose
///   coefficients sum to less than 1) and γ₄·(qᵢ + pᵢ + pᵢ|δᵢ|) otherwise
///   ((q − p) + pδ); the qᵢ with pᵢ = 0 carry relᵢqᵢ + 2⁻¹⁰⁷⁴; the compensated
///   sum 3u·(3 + |KL|) (its terms are −1, Σpᵢψᵢ ≈ KL, Σpᵢ and Σqᵢ).
fn logits_value(which: Divergence, p: &[f64], z: &[f64]) -> Result<(f64, f64), String> {
    let q = measures::softmax(z).map_err(|e| e.to_string())?;
    let rel = softmax_relative_errors(z, &q);
    match which {
        Divergence::CrossEntropy => {
            let ce = measures::cross_entropy_logits(p, z).map_err(|e| e.to_string())?;
            let spread: f64 = p
                .iter()
                .zip(&rel)
                .filter(|(pi, _)| **pi > 0.0)
                .map(|(pi, r)| pi * r)
                .sum();
            Ok((ce, 1.01 * (spread + 5.0 * U * ce.abs())))
        }
        Divergence::Kl => {
            let kl = measures::kl_divergence_logits(p, z).map_err(|e| e.to_string())?;
            let ls = measures::log_softmax(z).map_err(|e| e.to_string())?;
            let mut bound = 3.0 * U * (3.0 + kl.abs());
            for i in 0..p.len() {
                if p[i] > 0.0 {
                    let lp = p[i].ln();
                    let delta = lp - ls[i];
                    let e_delta = 2.0 * U * lp.abs() + rel[i] + U * delta.abs();
                    let evaluation = if delta.abs() <= 1.0 {
                        gamma(42) * p[i] * delta * delta
                    } else {
                        gamma(4) * (q[i] + p[i] + p[i] * delta.abs())
                    };
                    bound += (p[i] + 1.01 * q[i] + TINY) * (e_delta + rel[i]) + evaluation;
                } else {
                    bound += rel[i] * q[i] + TINY;
                }
            }
            Ok((kl, 1.01 * bound))
        }
    }
}

/// sup |f‴| along coordinate j of f(z) = CE(p, softmax z) (or KL, which
/// differs by a constant) within distance t of z.
///
/// Along zⱼ, f‴ = P·qⱼ(1 − qⱼ)(1 − 2qⱼ) (P = Σp), and |x(1 − x)(1 − 2x)| is at
/// most √3/18 on [0, 1] and at most min(x, 1 − x); moving zⱼ by t scales qⱼ
/// and 1 − qⱼ by at most e^(2t). `q_up` and `rest_up` bound qⱼ and 1 − qⱼ
/// from above.
fn third_derivative(mass: f64, q_up: f64, rest_up: f64, t: f64) -> f64 {
    let sqrt3_over_18 = 3f64.sqrt() / 18.0 * (1.0 + 4.0 * U);
    mass * sqrt3_over_18.min((2.0 * t).exp() * q_up.min(rest_up)) * (1.0 + 4.0 * U)
}

/// Upper bounds on qⱼ and 1 − qⱼ = Σ_{i≠j} qᵢ for the exact softmax, from the
/// computed q̃ and its error bounds.
fn q_bounds(q: &[f64], rel: &[f64], j: usize) -> (f64, f64) {
    let up = |i: usize| q[i] * (1.0 + rel[i]) + TINY;
    let rest: f64 = (0..q.len()).filter(|&i| i != j).map(up).sum();
    (up(j) * 1.01, rest * (1.0 + gamma(q.len())) * 1.01)
}

/// A central difference of `eval` along coordinate j of z, with a bound on
/// its distance to the exact derivative.
///
/// With the stored steps a = (zⱼ + h) − zⱼ and b = zⱼ − (zⱼ − h) (each within
/// u of its computed value),
///
/// ```text
/// (f(a) − f(−b))/(a + b) = f′ + f″·(a − b)/2 + [f‴(ξ₁)a³ + f‴(ξ₂)b³]/(6(a + b))
/// ```
///
/// so the error is at most (e₊ + e₋ + u|Δf|)/(a + b) (the evaluations'
/// bounds), M₃·max(a, b)²/6 (truncation), (P/8)·(|a − b| + u(a + b))
/// (asymmetry, as |f″| ≤ P/4) and 4u·|quotient| (the division and the
/// steps' rounding), all times 1.01, plus `compared`: the bound of the value
/// the difference is compared with.
fn central_difference(
    eval: Evaluation<'_>,
    (z, j): (&[f64], usize),
    h: f64,
    mass: f64,
    m3: &dyn Fn(f64) -> f64,
    compared: f64,
) -> Result<(f64, f64), String> {
    let mut zp = z.to_vec();
    zp[j] = z[j] + h;
    let mut zm = z.to_vec();
    zm[j] = z[j] - h;
    let (a, b) = (zp[j] - z[j], z[j] - zm[j]);
    let (fp, ep) = eval(&zp)?;
    let (fm, em) = eval(&zm)?;
    let diff = fp - fm;
    let width = a + b;
    let quotient = diff / width;
    let hmax = a.max(b) * (1.0 + U);
    let bound = (ep + em + U * diff.abs()) / width
        + m3(hmax) * hmax * hmax / 6.0
        + mass / 8.0 * ((a - b).abs() + U * width)
        + 4.0 * U * quotient.abs();
    Ok((quotient, 1.01 * bound + compared))
}

/// The step minimizing the central difference's bound e/h + M₃h²/6, for an
/// evaluation bound e: h = (3e/M₃)^(1/3), capped at ¼ (where M₃ vanishes).
fn fd_step(e: f64, m3: f64) -> f64 {
    let h = (3.0 * e / m3).cbrt();
    if h.is_finite() && h > 0.0 {
        h.min(0.25)
    } else {
        0.25
    }
}

// ---------------------------------------------------------------------------
// Objectives written from their own definitions

/// KL(p‖softmax(Aθ)) with its gradient by the chain rule through the
/// probabilities: ∂KL/∂qᵢ = −pᵢ/qᵢ, ∂qᵢ/∂zₗ = qᵢ(δᵢₗ − qₗ), so
/// ∂KL/∂zₗ = qₗ·Σᵢ qᵢ(pᵢ/qᵢ) − qₗ(pₗ/qₗ), then Aᵀ. (Algebraically P·q − p,
/// like CE's; computed differently.) The Hessian equals CE's (KL − CE = −H(p)
/// is constant) and is taken from it.
struct SoftmaxKl<'a>(&'a SoftmaxCrossEntropy);

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
struct CategoricalNll<'a> {
    base: &'a SoftmaxCrossEntropy,
    samples: &'a [usize],
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
struct LogisticForm<'a> {
    base: &'a LogisticNll,
    form: Divergence,
}

fn xlogx(x: f64) -> f64 {
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
struct NormalKl {
    base: NormalCrossEntropy,
    entropy: f64,
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
struct NormalNll<'a> {
    base: NormalCrossEntropy,
    samples: &'a [f64],
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

// ---------------------------------------------------------------------------
// Strategies

/// Positive weights, mostly ordinary, sometimes small (down to 1e−6 before
/// normalizing), normalized: a target with full support.
fn arb_positive_distribution_of(n: usize) -> BoxedStrategy<Vec<f64>> {
    vec(prop_oneof![6 => 1e-3f64..1.0, 1 => 1e-6f64..1e-3], n)
        .prop_map(|w| normalize(&w).expect("positive finite weights normalize"))
        .boxed()
}

/// A target p, features A = [I_d; B; 0] (the identity keeps the family
/// identifiable, the zero row fixes the gauge; d = k − 1 is the full family)
/// and a start θ₀.
#[derive(Debug, Clone)]
struct FamilyCase {
    p: Vec<f64>,
    features: Vec<Vec<f64>>,
    start: Vec<f64>,
}

impl FamilyCase {
    fn saturated(&self) -> bool {
        self.features[0].len() + 1 == self.p.len()
    }
}

fn arb_family() -> BoxedStrategy<FamilyCase> {
    (2usize..=10)
        .prop_flat_map(|k| (Just(k), prop_oneof![Just(k - 1), 1..k]))
        .prop_flat_map(|(k, d)| {
            (
                arb_positive_distribution_of(k),
                vec(vec(-1.0f64..1.0, d), k - d - 1),
                vec(-2.0f64..2.0, d),
            )
        })
        .prop_map(|(p, b, start)| {
            let (k, d) = (p.len(), start.len());
            let mut features: Vec<Vec<f64>> = (0..d)
                .map(|i| (0..d).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
                .collect();
            features.extend(b);
            features.push(vec![0.0; d]);
            debug_assert_eq!(features.len(), k);
            FamilyCase { p, features, start }
        })
        .boxed()
}

// ---------------------------------------------------------------------------
// Claim 4

/// Probes the measured objective around θ̂: for a convex f,
/// f(θ̂ ± h·eⱼ) − f(θ̂) ≥ ∇f(θ̂)·(±h·eⱼ) ≥ −G·h with G ≥ ‖∇f(θ̂)‖ from the
/// certificate. The measured values are within their bounds e₀, e±, so the
/// measured difference must be at least −G·h − (e₀ + e±). A measure whose
/// minimizer is elsewhere (reverse KL on a restricted family) has a descent
/// direction at θ̂ and fails.
///
/// Step: h = √(2e₀/Lⱼ) with Lⱼ = P·rangeᵢ(Aᵢⱼ)²/4 ≥ ∂²f/∂θⱼ² (a variance under
/// q is at most range²/4): the curvature term Lⱼh²/2 then equals the
/// evaluation error, the smallest h at which a probe is not pure rounding.
fn probe_minimum(
    m: &dyn Implementation,
    obj: &SoftmaxCrossEntropy,
    theta: &[f64],
    gradient_bound: f64,
    w: &mut Worst,
) -> Result<(), String> {
    let p = obj.target();
    for which in [Divergence::CrossEntropy, Divergence::Kl] {
        let at = |t: &[f64]| {
            let pt = obj.point(t);
            measured(m, which, p, &pt.q, &pt.rel)
        };
        let (f0, e0) = at(theta)?;
        for j in 0..theta.len() {
            let column = (0..p.len()).map(|i| obj.feature_row(i)[j]);
            let (lo, hi) = column.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
            let h = probe_step(e0, obj.mass(), hi - lo);
            for sign in [1.0, -1.0] {
                let mut moved = theta.to_vec();
                moved[j] = theta[j] + sign * h;
                let step = (moved[j] - theta[j]).abs() * (1.0 + U);
                let (f1, e1) = at(&moved)?;
                let diff = f1 - f0;
                w.at_least(
                    &format!(
                        "measured {}(θ̂ {} h·e{j}) − {}(θ̂) (h = {h:e})",
                        which.name(),
                        if sign > 0.0 { "+" } else { "−" },
                        which.name()
                    ),
                    diff,
                    -gradient_bound * step * (1.0 + 2.0 * U),
                    difference_slack(e0, e1, diff),
                )?;
            }
        }
    }
    Ok(())
}

/// The probe step h = √(2e₀/L) with L = P·range²/4 (the curvature bound of
/// [`probe_minimum`]), or √u when that is not a positive finite number (a
/// zero error bound or a constant column).
fn probe_step(e0: f64, mass: f64, range: f64) -> f64 {
    let curvature = mass * range * range / 4.0;
    let h = (2.0 * e0 / curvature).sqrt();
    if h.is_finite() && h > 0.0 {
        h
    } else {
        U.sqrt()
    }
}

/// The slack of a computed difference f̃₁ − f̃₀ of two values within e₀ and
/// e₁: (e₀ + e₁)(1 + 2u) + u·|f̃₁ − f̃₀| (the subtraction's rounding, and
/// the sum's).
fn difference_slack(e0: f64, e1: f64, difference: f64) -> f64 {
    (e0 + e1) * (1.0 + 2.0 * U) + U * difference.abs()
}

fn categorical_case(m: &dyn Implementation, c: &FamilyCase, w: &mut Worst) -> Result<(), String> {
    let obj = SoftmaxCrossEntropy::new(&c.p, &c.features).map_err(|e| e.to_string())?;
    let kl = SoftmaxKl(&obj);
    let ce_fit = fit("Newton on CE(p, softmax(Aθ))", &obj, &c.start)?;
    let kl_fit = fit("Newton on KL(p‖softmax(Aθ))", &kl, &c.start)?;
    agree(
        w,
        "‖θ̂_CE − θ̂_KL‖ (both within their certificates of θ*)",
        &ce_fit.theta,
        &kl_fit.theta,
        radius(&ce_fit, &kl_fit),
    )?;
    if c.saturated() {
        // Closed form: softmax(θ*, 0) = p, θᵢ* = ln pᵢ − ln p_k, each ln within
        // 2u (one ulp), the difference within u.
        let (star, star_err) = closed_form_logits(&c.p);
        for (name, f) in [("CE", &ce_fit), ("KL", &kl_fit)] {
            agree(
                w,
                &format!("‖θ̂_{name} − ln(p/p_k)‖ (closed form)"),
                &f.theta,
                &star,
                f.certificate.parameter_error + star_err,
            )?;
        }
        // softmax(θ̂) against p: softmax is ½-Lipschitz in ℓ₂ (its Jacobian
        // diag q − qqᵀ has norm ≤ ½) and A = [I; 0] is an isometry, so the
        // exact q(θ̂) is within r/2 of q(θ*) = p/P; q̃ is within relᵢq̃ᵢ + 2⁻¹⁰⁷⁴
        // of q(θ̂); p/P within |P − 1|·p/P of p (P within 3u of P̃).
        let pt = obj.point(&ce_fit.theta);
        let bound = softmax_distance_bound(
            ce_fit.certificate.parameter_error,
            &pt.q,
            &pt.rel,
            &c.p,
            obj.mass(),
        );
        agree(w, "‖softmax(ẑ_CE) − p‖", &pt.q, &c.p, bound)?;
    }
    probe_minimum(m, &obj, &ce_fit.theta, ce_fit.certificate.gradient_norm, w)?;
    probe_minimum(m, &obj, &kl_fit.theta, kl_fit.certificate.gradient_norm, w)
}

/// The minimizer θᵢ* = ln wᵢ − ln w_k of the full softmax family
/// (A = [I; 0], softmax(θ*, 0) = w/Σw) for positive weights w (a target p,
/// or category counts), and a bound on the ℓ₂ distance of the computed θ*
/// to the exact one: each ln within 2u (one ulp, 1.01 for the bound's own
/// rounding), the difference within u|θᵢ*|.
fn closed_form_logits(p: &[f64]) -> (Vec<f64>, f64) {
    let k = p.len();
    let lk = p[k - 1].ln();
    let star: Vec<f64> = p[..k - 1].iter().map(|pi| pi.ln() - lk).collect();
    let err: Vec<f64> = star
        .iter()
        .zip(p)
        .map(|(s, pi)| 2.02 * U * (pi.ln().abs() + lk.abs()) + U * s.abs())
        .collect();
    (star, norm2_up(&err))
}

/// A bound on ‖q̃ − p‖₂ for the computed softmax q̃ (entries within
/// relᵢq̃ᵢ + 2⁻¹⁰⁷⁴ of the exact q(θ̂)) at a fit θ̂ within r of the minimizer,
/// for a target p of computed mass P̃: softmax is ½-Lipschitz in ℓ₂ (its
/// Jacobian diag q − qqᵀ has norm ≤ ½) and A = [I; 0] is an isometry, so
/// q(θ̂) is within r/2 of q(θ*) = p/P; p/P is within |P − 1|/(1 − |P − 1|)
/// ·‖p‖ of p, with |P − 1| ≤ |P̃ − 1| + 3u. In all
/// (r/2 + ‖relᵢq̃ᵢ + 2⁻¹⁰⁷⁴‖ + ‖p‖·o/(1 − o))·(1 + 2u), o = |P̃ − 1| + 3u.
fn softmax_distance_bound(radius: f64, q: &[f64], rel: &[f64], p: &[f64], mass: f64) -> f64 {
    let q_err: Vec<f64> = q.iter().zip(rel).map(|(q, r)| r * q + TINY).collect();
    let off = (mass - 1.0).abs() + 3.0 * U;
    let bound = 0.5 * radius + norm2_up(&q_err) + norm2_up(p) * off / (1.0 - off);
    bound * (1.0 + 2.0 * U)
}

fn show_family(c: &FamilyCase) -> Counterexample {
    let mut rows = vec![
        row("p", fmt_vec(&c.p)),
        row(
            "family",
            if c.saturated() {
                "softmax, full (A = [I; 0])".to_string()
            } else {
                format!("log-linear, {} parameters", c.start.len())
            },
        ),
        row("θ₀", fmt_vec(&c.start)),
    ];
    for (i, r) in c.features.iter().enumerate().take(8) {
        rows.push(row(&format!("A row {i}"), fmt_vec(r)));
    }
    Counterexample {
        summary: "minimizing CE and minimizing KL over this softmax family disagree".to_string(),
        rows,
    }
}

/// Category counts (every category seen) and a start.
fn arb_counts() -> BoxedStrategy<(Vec<u32>, Vec<f64>)> {
    (2usize..=8)
        .prop_flat_map(|k| (vec(1u32..=20, k), vec(-2.0f64..2.0, k - 1)))
        .boxed()
}

fn categorical_empirical_case(counts: &[u32], start: &[f64], w: &mut Worst) -> Result<(), String> {
    let k = counts.len();
    let samples: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| std::iter::repeat_n(i, c as usize))
        .collect();
    let p_hat = categorical_mle(&samples, k).map_err(|e| e.to_string())?;
    let obj = SoftmaxCrossEntropy::saturated(&p_hat).map_err(|e| e.to_string())?;
    let nll = CategoricalNll {
        base: &obj,
        samples: &samples,
    };
    let ce_fit = fit("Newton on CE(p̂ₙ, softmax z)", &obj, start)?;
    let kl_fit = fit("Newton on KL(p̂ₙ‖softmax z)", &SoftmaxKl(&obj), start)?;
    let nll_fit = fit("Newton on the sample NLL", &nll, start)?;
    // The MLE in closed form: softmax(θ*, 0) = c/n, θᵢ* = ln cᵢ − ln c_k.
    let weights: Vec<f64> = counts.iter().map(|&c| f64::from(c)).collect();
    let (star, star_err) = closed_form_logits(&weights);
    let shift = stored_mle_shift(k);
    agree(
        w,
        "‖θ̂_NLL − ln(c/c_k)‖ (the MLE)",
        &nll_fit.theta,
        &star,
        nll_fit.certificate.parameter_error + star_err,
    )?;
    agree(
        w,
        "‖θ̂_CE − ln(c/c_k)‖",
        &ce_fit.theta,
        &star,
        ce_fit.certificate.parameter_error + star_err + shift,
    )?;
    agree(
        w,
        "‖θ̂_KL − ln(c/c_k)‖",
        &kl_fit.theta,
        &star,
        kl_fit.certificate.parameter_error + star_err + shift,
    )?;
    agree(
        w,
        "‖θ̂_CE − θ̂_KL‖",
        &ce_fit.theta,
        &kl_fit.theta,
        radius(&ce_fit, &kl_fit),
    )?;
    agree(
        w,
        "‖θ̂_CE − θ̂_NLL‖",
        &ce_fit.theta,
        &nll_fit.theta,
        radius(&ce_fit, &nll_fit) + shift,
    )?;
    agree(
        w,
        "‖θ̂_KL − θ̂_NLL‖",
        &kl_fit.theta,
        &nll_fit.theta,
        radius(&kl_fit, &nll_fit) + shift,
    )
}

/// Coin flips (at least one of each outcome) and a start.
fn arb_bits() -> BoxedStrategy<(Vec<bool>, f64)> {
    (vec(any::<bool>(), 2..=64), -3.0f64..3.0)
        .prop_map(|(mut bits, start)| {
            bits[0] = true;
            bits[1] = false;
            (bits, start)
        })
        .boxed()
}

fn bernoulli_case(bits: &[bool], start: f64, w: &mut Worst) -> Result<(), String> {
    let y: Vec<f64> = bits.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
    let n = y.len();
    let ones = bits.iter().filter(|&&b| b).count();
    let mean = bernoulli_mle(&y).map_err(|e| e.to_string())?;
    // One soft-target row on an intercept: softplus(η) − ȳη = CE(ȳ, σ(η)).
    let target = LogisticNll::new(&[vec![1.0]], &[mean]).map_err(|e| e.to_string())?;
    let ce = LogisticForm {
        base: &target,
        form: Divergence::CrossEntropy,
    };
    let kl = LogisticForm {
        base: &target,
        form: Divergence::Kl,
    };
    let intercept = vec![vec![1.0]; n];
    let nll = LogisticNll::new(&intercept, &y).map_err(|e| e.to_string())?;
    let ce_fit = fit("Newton on CE(ȳ, σ(η))", &ce, &[start])?;
    let kl_fit = fit("Newton on KL(ȳ‖σ(η))", &kl, &[start])?;
    let nll_fit = fit("Newton on the sample NLL", &nll, &[start])?;
    let library = fit_logistic(&intercept, &y, &NewtonOptions::default())
        .map_err(|e| format!("fit_logistic on an intercept: {e}"))?;
    let (star, star_err) = bernoulli_logit(ones, n);
    let shift = logit_shift(mean);
    let r = |f: &NewtonFit| f.certificate.parameter_error;
    agree(
        w,
        "|η̂_NLL − logit(k/n)|",
        &nll_fit.theta,
        &[star],
        r(&nll_fit) + star_err,
    )?;
    agree(
        w,
        "|fit_logistic − logit(k/n)|",
        &library.weights,
        &[star],
        library.certificate.parameter_error + star_err,
    )?;
    agree(
        w,
        "|η̂_CE − logit(k/n)|",
        &ce_fit.theta,
        &[star],
        r(&ce_fit) + star_err + shift,
    )?;
    agree(
        w,
        "|η̂_KL − logit(k/n)|",
        &kl_fit.theta,
        &[star],
        r(&kl_fit) + star_err + shift,
    )?;
    agree(
        w,
        "|η̂_CE − η̂_KL|",
        &ce_fit.theta,
        &kl_fit.theta,
        radius(&ce_fit, &kl_fit),
    )?;
    // σ(η̂) against the MLE ȳ: σ is ¼-Lipschitz, computed within 6u.
    let x = sigmoid(nll_fit.theta[0]);
    w.close(
        "σ(η̂_NLL) against the sample mean",
        x,
        mean,
        sigmoid_distance(r(&nll_fit), x, mean),
    )
}

/// The closed-form minimizer η* = ln k − ln(n − k) = logit(k/n) of the
/// Bernoulli NLL with k ones in n, and a bound on its rounding: logarithms
/// of integers within 2u each (1.01 for the bound's own), the difference u.
fn bernoulli_logit(ones: usize, n: usize) -> (f64, f64) {
    let (a, b) = ((ones as f64).ln(), ((n - ones) as f64).ln());
    let star = a - b;
    (star, 2.02 * U * (a.abs() + b.abs()) + U * star.abs())
}

/// How far the CE/KL minimizer logit(ȳ) of the stored ȳ = fl(k/n) (within
/// u·ȳ of k/n) can be from logit(k/n): |d logit/dy| = 1/(y(1 − y)), so
/// u·ȳ/(ȳ(1 − ȳ)) = u/(1 − ȳ), 1.01 for second order.
fn logit_shift(mean: f64) -> f64 {
    1.01 * U / (1.0 - mean)
}

/// The bound on |σ̃(η̂) − ȳ| for a fit η̂ within r of logit(ȳ): σ is
/// ¼-Lipschitz, the computed σ̃ within SIGMOID_ERROR relative (1.01 for
/// second order), ȳ's own rounding u·ȳ.
fn sigmoid_distance(radius: f64, x: f64, mean: f64) -> f64 {
    0.25 * radius + 1.01 * SIGMOID_ERROR * x + U * mean
}

/// A continuous target with closed-form mean, variance and entropy.
#[derive(Debug, Clone)]
struct ContinuousTarget {
    name: String,
    mean: f64,
    variance: f64,
    entropy: f64,
}

impl ContinuousTarget {
    /// Laplace(m, b): mean m, variance 2b², entropy 1 + ln(2b).
    fn laplace(m: f64, b: f64) -> Self {
        ContinuousTarget {
            name: format!("Laplace(location {m:e}, scale {b:e})"),
            mean: m,
            variance: 2.0 * b * b,
            entropy: 1.0 + (2.0 * b).ln(),
        }
    }

    /// w·U(a₁, a₁ + l₁) + (1 − w)·U(a₂, a₂ + l₂), disjoint: a₂ = a₁ + l₁ + gap.
    /// With centres cₖ = aₖ + lₖ/2: mean w·c₁ + (1 − w)·c₂, variance
    /// w·l₁²/12 + (1 − w)·l₂²/12 + w(1 − w)(c₁ − c₂)² (within plus between),
    /// entropy −w·ln(w/l₁) − (1 − w)·ln((1 − w)/l₂) (a density constant on
    /// each piece).
    fn uniform_mixture(wt: f64, a1: f64, l1: f64, gap: f64, l2: f64) -> Self {
        let a2 = a1 + l1 + gap;
        let (c1, c2) = (a1 + l1 / 2.0, a2 + l2 / 2.0);
        ContinuousTarget {
            name: format!(
                "{wt:e}·U({a1:e}, {:e}) + {:e}·U({a2:e}, {:e})",
                a1 + l1,
                1.0 - wt,
                a2 + l2
            ),
            mean: wt * c1 + (1.0 - wt) * c2,
            variance: wt * l1 * l1 / 12.0
                + (1.0 - wt) * l2 * l2 / 12.0
                + wt * (1.0 - wt) * (c1 - c2) * (c1 - c2),
            entropy: -wt * (wt / l1).ln() - (1.0 - wt) * ((1.0 - wt) / l2).ln(),
        }
    }
}

fn arb_continuous_target() -> BoxedStrategy<ContinuousTarget> {
    let laplace = (-3.0f64..3.0, 0.2f64..3.0).prop_map(|(m, b)| ContinuousTarget::laplace(m, b));
    let mixture = (
        0.1f64..0.9,
        -3.0f64..0.0,
        0.2f64..2.0,
        0.0f64..2.0,
        0.2f64..2.0,
    )
        .prop_map(|(wt, a1, l1, gap, l2)| ContinuousTarget::uniform_mixture(wt, a1, l1, gap, l2));
    prop_oneof![laplace, mixture].boxed()
}

fn natural_start() -> BoxedStrategy<[f64; 2]> {
    (-3.0f64..3.0, 0.3f64..5.0)
        .prop_map(|(m, v)| [m / v, -0.5 / v])
        .boxed()
}

/// η(m, V) = (m/V, −1/(2V)): one division each (2V is exact), within u.
fn natural_reference(mean: f64, variance: f64) -> ([f64; 2], f64) {
    let star = [mean / variance, -0.5 / variance];
    let err = norm2_up(&[1.01 * U * star[0].abs(), 1.01 * U * star[1].abs()]);
    (star, err)
}

fn normal_case(t: &ContinuousTarget, start: &[f64; 2], w: &mut Worst) -> Result<(), String> {
    let ce = NormalCrossEntropy::new(t.mean, t.variance).map_err(|e| e.to_string())?;
    let kl = NormalKl {
        base: ce,
        entropy: t.entropy,
    };
    let ce_fit = fit("Newton on CE(p, N(η))", &ce, start)?;
    let kl_fit = fit("Newton on KL(p‖N(η))", &kl, start)?;
    // Both objectives are built from the target's computed (m, V); their exact
    // minimizer is η(m, V), the moment-matching normal.
    let (star, star_err) = natural_reference(t.mean, t.variance);
    for (name, f) in [("CE", &ce_fit), ("KL", &kl_fit)] {
        agree(
            w,
            &format!("‖η̂_{name} − η(E_p X, Var_p X)‖"),
            &f.theta,
            &star,
            f.certificate.parameter_error + star_err,
        )?;
    }
    agree(
        w,
        "‖η̂_CE − η̂_KL‖",
        &ce_fit.theta,
        &kl_fit.theta,
        radius(&ce_fit, &kl_fit),
    )
}

/// Samples loc + scale·uᵢ with u₀ = −1, u₁ = 1 (never all equal), and a start.
fn arb_normal_samples() -> BoxedStrategy<(Vec<f64>, [f64; 2])> {
    (
        -3.0f64..3.0,
        0.1f64..3.0,
        vec(-1.0f64..1.0, 0..=38),
        natural_start(),
    )
        .prop_map(|(loc, scale, rest, start)| {
            let mut x = vec![loc - scale, loc + scale];
            x.extend(rest.iter().map(|u| loc + scale * u));
            (x, start)
        })
        .boxed()
}

/// Bounds on the computed MLE's mean and 1/n variance against the exact
/// ones, for n samples of mean |x| `abs_mean`: the mean's compensated sum
/// within 2u|Σ| + 2nu²Σ|x|, the division u, so
/// e_x̄ = 1.01(3u|x̄| + 2nu²·mean|x|); the two-pass variance within 6u·v
/// (difference, square, sum, division), plus the bias e_x̄² from centring
/// at the rounded mean and the sum's 2nu²·v.
fn normal_mle_error(n: f64, abs_mean: f64, mean: f64, variance: f64) -> (f64, f64) {
    let e_mean = 1.01 * (3.0 * U * mean.abs() + 2.0 * n * U * U * abs_mean);
    let e_var = 1.01 * (6.0 * U * variance + e_mean * e_mean + 2.0 * n * U * U * variance);
    (e_mean, e_var)
}

/// How far η = (x̄/v, −1/(2v)) moves when x̄ moves by e_x̄ and v by e_v:
/// e_x̄/v + |x̄|e_v/v² and e_v/(2v²) (first order, 1.01 for the rest), in ℓ₂.
fn natural_moment_error(mean: f64, variance: f64, e_mean: f64, e_var: f64) -> f64 {
    let v = variance;
    norm2_up(&[
        1.01 * (e_mean / v + mean.abs() * e_var / (v * v)),
        1.01 * e_var / (2.0 * v * v),
    ])
}

fn normal_empirical_case(x: &[f64], start: &[f64; 2], w: &mut Worst) -> Result<(), String> {
    let mle = normal_mle(x).map_err(|e| e.to_string())?;
    let ce = NormalCrossEntropy::new(mle.mean, mle.variance).map_err(|e| e.to_string())?;
    let nll = NormalNll {
        base: ce,
        samples: x,
    };
    let ce_fit = fit("Newton on CE(p̂ₙ, N(η))", &ce, start)?;
    let nll_fit = fit("Newton on the sample NLL", &nll, start)?;
    // The computed MLE against the exact sample mean and 1/n variance:
    // the mean's compensated sum is within 2u|Σ| + 2nu²Σ|x|, the division u;
    // the two-pass variance is within 6u·v (difference, square, sum,
    // division) plus the bias e_mean² from centring at the rounded mean.
    let n = x.len() as f64;
    let abs_mean = x.iter().map(|v| v.abs()).sum::<f64>() / n;
    let (e_mean, e_var) = normal_mle_error(n, abs_mean, mle.mean, mle.variance);
    let (star, conv_err) = natural_reference(mle.mean, mle.variance);
    let moment_err = natural_moment_error(mle.mean, mle.variance, e_mean, e_var);
    agree(
        w,
        "‖η̂_NLL − η(x̄, (1/n)Σ(x − x̄)²)‖ (the MLE)",
        &nll_fit.theta,
        &star,
        nll_fit.certificate.parameter_error + conv_err + moment_err,
    )?;
    agree(
        w,
        "‖η̂_CE(p̂ₙ) − η(MLE)‖",
        &ce_fit.theta,
        &star,
        ce_fit.certificate.parameter_error + conv_err,
    )?;
    agree(
        w,
        "‖η̂_CE(p̂ₙ) − η̂_NLL‖",
        &ce_fit.theta,
        &nll_fit.theta,
        radius(&ce_fit, &nll_fit) + moment_err,
    )
}

/// A dataset: n rows [1, x₁, …, x_{d−1}] (an intercept), soft targets in
/// (0, 1) (so the minimizer exists), and a start.
#[derive(Debug, Clone)]
struct Dataset {
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
    start: Vec<f64>,
}

fn arb_dataset() -> BoxedStrategy<Dataset> {
    (1usize..=4)
        .prop_flat_map(|d| (Just(d), (d + 2)..=48))
        .prop_flat_map(|(d, n)| {
            let target = prop_oneof![4 => 0.05f64..0.95, 1 => 1e-4f64..0.05, 1 => 0.95f64..0.9999];
            (
                vec(vec(-2.0f64..2.0, d - 1), n),
                vec(target, n),
                vec(-1.0f64..1.0, d),
            )
        })
        .prop_map(|(rest, y, start)| Dataset {
            x: rest
                .into_iter()
                .map(|r| std::iter::once(1.0).chain(r).collect())
                .collect(),
            y,
            start,
        })
        .boxed()
}

fn logistic_case(data: &Dataset, w: &mut Worst) -> Result<(), String> {
    let nll = LogisticNll::new(&data.x, &data.y).map_err(|e| e.to_string())?;
    let ce = LogisticForm {
        base: &nll,
        form: Divergence::CrossEntropy,
    };
    let kl = LogisticForm {
        base: &nll,
        form: Divergence::Kl,
    };
    let nll_fit = fit("Newton on the NLL", &nll, &data.start)?;
    let ce_fit = fit(
        "Newton on the mean CE of the soft targets",
        &ce,
        &data.start,
    )?;
    let kl_fit = fit(
        "Newton on the mean KL of the soft targets",
        &kl,
        &data.start,
    )?;
    let library = fit_logistic(&data.x, &data.y, &NewtonOptions::default())
        .map_err(|e| format!("fit_logistic: {e}"))?;
    agree(
        w,
        "‖θ̂_CE − θ̂_KL‖",
        &ce_fit.theta,
        &kl_fit.theta,
        radius(&ce_fit, &kl_fit),
    )?;
    agree(
        w,
        "‖θ̂_CE − θ̂_NLL‖",
        &ce_fit.theta,
        &nll_fit.theta,
        radius(&ce_fit, &nll_fit),
    )?;
    agree(
        w,
        "‖θ̂_KL − θ̂_NLL‖",
        &kl_fit.theta,
        &nll_fit.theta,
        radius(&kl_fit, &nll_fit),
    )?;
    agree(
        w,
        "‖fit_logistic − θ̂_NLL‖",
        &library.weights,
        &nll_fit.theta,
        (library.certificate.parameter_error + nll_fit.certificate.parameter_error)
            * (1.0 + 2.0 * U),
    )
}

fn show_dataset(d: &Dataset) -> Counterexample {
    let mut rows = vec![row("y", fmt_vec(&d.y)), row("θ₀", fmt_vec(&d.start))];
    for (i, r) in d.x.iter().enumerate().take(8) {
        rows.push(row(&format!("x row {i}"), fmt_vec(r)));
    }
    Counterexample {
        summary: "the NLL, CE and KL fits of logistic regression on this dataset disagree"
            .to_string(),
        rows,
    }
}

fn check_argmin(ctx: &Context<'_>) -> Evidence {
    let m = ctx.measures;
    let categorical = property(
        ctx,
        "argmin-equivalence/categorical",
        arb_family(),
        |c, w| categorical_case(m, c, w),
    )
    .shown(show_family);
    let empirical = property(
        ctx,
        "argmin-equivalence/categorical-empirical",
        arb_counts(),
        |(counts, start), w| categorical_empirical_case(counts, start, w),
    )
    .shown(|(counts, start)| Counterexample {
        summary: "the NLL, CE and KL fits to these category counts disagree".to_string(),
        rows: vec![
            row("counts", format!("{counts:?}")),
            row("θ₀", fmt_vec(start)),
        ],
    });
    let bernoulli = property(
        ctx,
        "argmin-equivalence/bernoulli",
        arb_bits(),
        |(bits, start), w| bernoulli_case(bits, *start, w),
    )
    .shown(|(bits, start)| Counterexample {
        summary: "the NLL, CE and KL fits to these coin flips disagree".to_string(),
        rows: vec![
            row(
                "flips",
                bits.iter().map(|&b| if b { '1' } else { '0' }).collect(),
            ),
            row("η₀", format!("{start:e}")),
        ],
    });
    let normal = property(
        ctx,
        "argmin-equivalence/normal",
        (arb_continuous_target(), natural_start()),
        |(t, start), w| normal_case(t, start, w),
    )
    .shown(|(t, start)| Counterexample {
        summary: "the CE and KL fits of a normal to this target disagree".to_string(),
        rows: vec![
            row("target", t.name.clone()),
            row("E_p X, Var_p X", format!("{:e}, {:e}", t.mean, t.variance)),
            row("η₀", fmt_vec(start)),
        ],
    });
    let normal_empirical = property(
        ctx,
        "argmin-equivalence/normal-empirical",
        arb_normal_samples(),
        |(x, start), w| normal_empirical_case(x, start, w),
    )
    .shown(|(x, start)| Counterexample {
        summary: "the NLL fit of a normal to these samples is not the MLE".to_string(),
        rows: vec![row("samples", fmt_vec(x)), row("η₀", fmt_vec(start))],
    });
    // Each logistic case runs four Newton fits on up to 48 rows × 4 features:
    // measured at about 5× the work of a case of the other properties, so it
    // gets a quarter of the cases (at least 8), keeping the six properties
    // at similar cost.
    let fewer = Context {
        cases: (ctx.cases / 4).max(8),
        ..*ctx
    };
    let logistic = property(
        &fewer,
        "argmin-equivalence/logistic",
        arb_dataset(),
        logistic_case,
    )
    .shown(show_dataset);
    holds_evidence(vec![
        ("categorical", categorical),
        ("categorical-empirical", empirical),
        ("bernoulli", bernoulli),
        ("normal", normal),
        ("normal-empirical", normal_empirical),
        ("logistic", logistic),
    ])
}

// ---------------------------------------------------------------------------
// Claim 5

/// |g̃ⱼ − (P·qⱼ − pⱼ)| for the crate's gradient g̃ = softmax(z) − p: q̃ⱼ's error
/// (relⱼq̃ⱼ + 2⁻¹⁰⁷⁴), the difference between P·qⱼ and qⱼ (P within
/// |P̃ − 1| + 3u of 1), and the subtraction's u|g̃ⱼ|.
fn gradient_error(q: &[f64], rel: &[f64], mass: f64, g: f64, j: usize) -> f64 {
    let mass_off = (mass - 1.0).abs() + 3.0 * U;
    1.01 * (rel[j] * q[j] + TINY + mass_off * q[j]) + U * g.abs()
}

/// The crate's gradient against central differences of `eval` at every
/// coordinate in `coords`.
fn compare_with_differences(
    w: &mut Worst,
    what: &str,
    eval: Evaluation<'_>,
    p: &[f64],
    z: &[f64],
    coords: &[usize],
) -> Result<(), String> {
    let g = softmax_cross_entropy_grad(p, z).map_err(|e| format!("rejected a valid pair: {e}"))?;
    let q = measures::softmax(z).map_err(|e| e.to_string())?;
    let rel = softmax_relative_errors(z, &q);
    let mass = crate::numerics::compensated_sum(p);
    let (_, e0) = eval(z)?;
    for &j in coords {
        let (q_up, rest_up) = q_bounds(&q, &rel, j);
        let m3 = |t: f64| third_derivative(mass * (1.0 + 3.0 * U), q_up, rest_up, t);
        let h = fd_step(e0, m3(0.0));
        let curvature = mass * (1.0 + 3.0 * U);
        let compared = gradient_error(&q, &rel, mass, g[j], j);
        let (fd, bound) = central_difference(eval, (z, j), h, curvature, &m3, compared)?;
        w.close(
            &format!("{what}: ∂/∂z{j} by central differences (h = {h:e}) against softmax(z) − p"),
            fd,
            g[j],
            bound,
        )?;
    }
    Ok(())
}

/// Up to six coordinates: first, last, largest and smallest logit, largest
/// target entry, middle.
fn probe_coordinates(p: &[f64], z: &[f64]) -> Vec<usize> {
    let arg = |v: &[f64], better: fn(f64, f64) -> bool| {
        (0..v.len()).fold(0, |b, i| if better(v[i], v[b]) { i } else { b })
    };
    let mut c = vec![
        0,
        z.len() - 1,
        arg(z, |a, b| a > b),
        arg(z, |a, b| a < b),
        arg(p, |a, b| a > b),
        z.len() / 2,
    ];
    c.sort_unstable();
    c.dedup();
    c
}

fn analytic_case(p: &[f64], z: &[f64], w: &mut Worst) -> Result<(), String> {
    let coords = probe_coordinates(p, z);
    for which in [Divergence::CrossEntropy, Divergence::Kl] {
        let eval = |zz: &[f64]| logits_value(which, p, zz);
        compare_with_differences(
            w,
            &format!("{}_logits (crate)", which.name()),
            &eval,
            p,
            z,
            &coords,
        )?;
    }
    Ok(())
}

fn show_logits(p: &[f64], z: &[f64]) -> Counterexample {
    let mut rows = vec![row("p", fmt_vec(p)), row("z", fmt_vec(z))];
    if let Ok(g) = softmax_cross_entropy_grad(p, z) {
        rows.push(row("softmax(z) − p", fmt_vec(&g)));
    }
    Counterexample {
        summary: "the gradient of CE or KL in the logits is not softmax(z) − p here".to_string(),
        rows,
    }
}

/// Up to 24 categories, zeros allowed in p, logits of magnitude up to 30
/// (softmax stays far from underflow, so the measures see positive q).
fn arb_moderate() -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    (1usize..=24)
        .prop_flat_map(|n| {
            (
                arb_distribution_of(n),
                prop_oneof![Just(1.0), Just(5.0), Just(30.0)],
                vec(-1.0f64..1.0, n),
            )
        })
        .prop_map(|(p, s, z)| (p, z.into_iter().map(|x| x * s).collect()))
        .boxed()
}

fn differences_case(
    m: &dyn Implementation,
    p: &[f64],
    z: &[f64],
    w: &mut Worst,
) -> Result<(), String> {
    let coords: Vec<usize> = (0..z.len()).collect();
    for which in [Divergence::CrossEntropy, Divergence::Kl] {
        let eval = |zz: &[f64]| {
            let q = measures::softmax(zz).map_err(|e| e.to_string())?;
            let rel = softmax_relative_errors(zz, &q);
            measured(m, which, p, &q, &rel)
        };
        compare_with_differences(
            w,
            &format!("measured {}", which.name()),
            &eval,
            p,
            z,
            &coords,
        )?;
    }
    Ok(())
}

/// Gradient-descent iterations.
const STEPS: usize = 256;

/// A positive target (weights in [0.1, 1]) on 2 to 12 categories, and a start.
fn arb_descent() -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    (2usize..=12)
        .prop_flat_map(|n| {
            (
                vec(0.1f64..1.0, n)
                    .prop_map(|w| normalize(&w).expect("positive finite weights normalize")),
                vec(-2.0f64..2.0, n),
            )
        })
        .boxed()
}

/// The centred v = z₀ − ln p, whose ℓ₂ norm bounds the distance from z₀ to
/// the nearest minimizer ln p + c·1 (any centring constant gives an upper
/// bound), and a bound on each entry's rounding: each ln within 2u, so
/// vᵢ = z₀ᵢ − ln pᵢ within 2.02u|ln pᵢ| + u|vᵢ|; the computed mean v̄ is
/// one such constant, exact as it stands, so only the centring's rounding
/// u(|vᵢ| + |v̄|) adds: in all 2.02u|ln pᵢ| + 2u(|vᵢ| + |v̄|) (u|v̄| spare).
fn centred_log_ratio(start: &[f64], p: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let v: Vec<f64> = start.iter().zip(p).map(|(z, pi)| z - pi.ln()).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let centred: Vec<f64> = v.iter().map(|x| x - mean).collect();
    let err: Vec<f64> = v
        .iter()
        .zip(p)
        .map(|(x, pi)| 2.02 * U * pi.ln().abs() + 2.0 * U * (x.abs() + mean.abs()))
        .collect();
    (centred, err)
}

/// The ceiling of a measured KL (or CE − H) after [`STEPS`] steps of
/// computed gradient descent, from distance D of the minimizers and within
/// `drift` of the exact iterate, for a target of mass P, with the
/// measurement within `error`: f* + D²/(2T) + 2.01·drift + error, with
/// f* = P ln P (3u for its rounding), (1 + 4u) for the quotient's rounding
/// and 2.01 the Lipschitz constant of KL in z.
fn convergence_ceiling(mass: f64, distance: f64, drift: f64, error: f64) -> f64 {
    let floor = mass * mass.ln() + 3.0 * U;
    let rate = distance * distance / (2.0 * STEPS as f64) * (1.0 + 4.0 * U);
    floor + rate + 2.01 * drift + error
}

/// One step's contribution to a descent sequence's distance from exact
/// descent: the gradient's error bound ‖ẽ‖ plus the update's rounding
/// u·‖z_{t+1}‖ (1.01 for the norm's own rounding).
fn step_error(gradient_error: &[f64], next: &[f64]) -> f64 {
    norm2_up(gradient_error) + U * norm2_up(next) * 1.01
}

/// A bound carried over one step, (bound + step)·(1 + 4u): the factor
/// covers the rounding of the sums that formed `step` and this one.
fn accumulate(bound: f64, step: f64) -> f64 {
    (bound + step) * (1.0 + 4.0 * U)
}

/// The contract 4u·Σ|tᵢ| of a measure whose exact terms are `terms`
/// (1.01 for the sum's rounding).
fn contract_error(terms: &[f64]) -> f64 {
    1.01 * CONTRACT * terms.iter().map(|t| t.abs()).sum::<f64>()
}

/// The ceiling of a computed difference a − b whose a has ceiling
/// `ceiling` (error included) and whose b is within `b_error`:
/// (ceiling + b_error + u·|a − b|)·(1 + 2u), the subtraction's rounding and
/// the sums'.
fn difference_ceiling(ceiling: f64, b_error: f64, difference: f64) -> f64 {
    (ceiling + b_error + U * difference.abs()) * (1.0 + 2.0 * U)
}

/// CE(p̂) and KL(p̂‖·) use the stored p̂ᵢ = fl(cᵢ/n), within u relative of
/// cᵢ/n: their exact minimizer ln(p̂ᵢ/p̂_k) is within 2.01u per coordinate
/// of θᵢ* = ln(cᵢ/c_k), so within 2.01u·√(k − 1) in ℓ₂ over the k − 1 free
/// logits.
fn stored_mle_shift(k: usize) -> f64 {
    2.01 * U * ((k - 1) as f64).sqrt()
}

/// Gradient descent with step 1 on CE (gradient P·q − p in the logits) and
/// on KL (gradient by the chain rule through q), from the same start, on all
/// k logits (A = I).
///
/// Step size: ∇²CE = P·(diag q − qqᵀ), whose largest eigenvalue is at most
/// P/2 (a variance under q of a unit vector's entries, at most range²/4 ≤ ½,
/// Popoviciu), so L = P/2 < 1 and the step η = 1 ≤ 1/L. Then the exact map
/// T(z) = z − ∇f(z) is non-expansive (I − η∇²f has eigenvalues in [−1, 1]),
/// and CE and KL have the same T. Hence, with ẽ the gradient error bounds
/// and u·|z| the update's rounding (η = 1: no product),
///
/// ```text
/// ‖z̃ᶜᵉ_{t+1} − z̃ᵏˡ_{t+1}‖ ≤ ‖z̃ᶜᵉ_t − z̃ᵏˡ_t‖ + ‖ẽᶜᵉ_t‖ + ‖ẽᵏˡ_t‖ + u(‖z̃ᶜᵉ_{t+1}‖ + ‖z̃ᵏˡ_{t+1}‖)
/// ```
///
/// and each computed sequence stays within B_t (the same sum over its own
/// errors) of exact gradient descent x_t. For exact gradient descent on a
/// convex L-smooth f with η ≤ 1/L, f(x_T) − f* ≤ ‖x₀ − x*‖²/(2ηT); here
/// f* = min KL = P ln P (at q = p/P), x* any of ln p + c·1, so the nearest
/// gives D² = ‖z₀ − ln p − mean(z₀ − ln p)‖². KL is (1 + P)-Lipschitz in z
/// (‖P·q − p‖₂ ≤ P + 1 < 2.01), so the computed z̃_T has
/// KL(p‖softmax z̃_T) ≤ P ln P + D²/(2T) + 2.01·B_T: convergence to softmax(z) = p.
fn descent_case(
    m: &dyn Implementation,
    p: &[f64],
    start: &[f64],
    w: &mut Worst,
) -> Result<(), String> {
    let k = p.len();
    let identity: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let ce = SoftmaxCrossEntropy::new(p, &identity).map_err(|e| e.to_string())?;
    let kl = SoftmaxKl(&ce);
    let (mut zc, mut zk) = (start.to_vec(), start.to_vec());
    let (mut gap_bound, mut drift_c, mut drift_k) = (0.0, 0.0, 0.0);
    for t in 0..STEPS {
        let gc = ce.gradient(&zc);
        let gk = kl.gradient(&zk);
        zc = zc.iter().zip(&gc.gradient).map(|(z, g)| z - g).collect();
        zk = zk.iter().zip(&gk.gradient).map(|(z, g)| z - g).collect();
        let (ec, ek) = (step_error(&gc.error, &zc), step_error(&gk.error, &zk));
        gap_bound = accumulate(gap_bound, ec + ek);
        drift_c = accumulate(drift_c, ec);
        drift_k = accumulate(drift_k, ek);
        agree(
            w,
            &format!("‖z_CE − z_KL‖ after {} steps", t + 1),
            &zc,
            &zk,
            gap_bound,
        )?;
    }
    let (centred, v_err) = centred_log_ratio(start, p);
    let distance = norm2_up(&centred) + norm2_up(&v_err);
    let mass = crate::numerics::compensated_sum(p);
    let entropy = m
        .entropy(p)
        .map_err(|e| format!("H rejected a valid p: {e}"))?;
    let e_entropy = contract_error(&p.iter().map(|&x| xlogx(x)).collect::<Vec<_>>());
    for (name, z, drift) in [("CE", &zc, drift_c), ("KL", &zk, drift_k)] {
        let q = measures::softmax(z).map_err(|e| e.to_string())?;
        let rel = softmax_relative_errors(z, &q);
        let (kl_value, e_kl) = measured(m, Divergence::Kl, p, &q, &rel)?;
        at_most(
            w,
            &format!("measured KL(p‖softmax z_T) after {STEPS} steps on {name}"),
            kl_value,
            convergence_ceiling(mass, distance, drift, e_kl),
        )?;
        let (ce_value, e_ce) = measured(m, Divergence::CrossEntropy, p, &q, &rel)?;
        let excess = ce_value - entropy;
        at_most(
            w,
            &format!("measured CE(p, softmax z_T) − H(p) after {STEPS} steps on {name}"),
            excess,
            difference_ceiling(
                convergence_ceiling(mass, distance, drift, e_ce),
                e_entropy,
                excess,
            ),
        )?;
    }
    Ok(())
}

/// Requires value ≤ ceiling; records value/ceiling, the fraction of the
/// bound used.
fn at_most(w: &mut Worst, what: &str, value: f64, ceiling: f64) -> Result<(), String> {
    let ratio = if value <= 0.0 {
        0.0
    } else if ceiling > 0.0 {
        value / ceiling
    } else {
        f64::INFINITY
    };
    w.record(ratio);
    w.require(ratio <= 1.0, || {
        format!("{what}: {value:e} exceeds its bound {ceiling:e}")
    })
}

fn check_gradient(ctx: &Context<'_>) -> Evidence {
    let m = ctx.measures;
    let analytic = property(
        ctx,
        "gradient-equivalence/analytic",
        arb_distribution_and_logits(),
        |(p, z), w| analytic_case(p, z, w),
    )
    .shown(|(p, z)| show_logits(p, z));
    let differences = property(
        ctx,
        "gradient-equivalence/finite-differences",
        arb_moderate(),
        |(p, z), w| differences_case(m, p, z, w),
    )
    .shown(|(p, z)| show_logits(p, z));
    let descent = property(
        ctx,
        "gradient-equivalence/gradient-descent",
        arb_descent(),
        |(p, start), w| descent_case(m, p, start, w),
    )
    .shown(|(p, start)| Counterexample {
        summary: "gradient descent on CE and on KL from this start diverge or do not converge"
            .to_string(),
        rows: vec![row("p", fmt_vec(p)), row("z₀", fmt_vec(start))],
    });
    holds_evidence(vec![
        ("analytic", analytic),
        ("finite-differences", differences),
        ("gradient-descent", descent),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_near;

    /// The logit-parameterized CE and KL bounds against their documented
    /// formulas, at p = (½, ½, 0) and z = (0, 2, 1): q ≈ (0.090, 0.665,
    /// 0.245), so δ₁ = ln(p₁/q₁) ≈ 1.71 takes the |δ| > 1 branch, δ₂ ≈ −0.29
    /// the Horner branch and the third entry the p = 0 term; every term is
    /// a visible part of the total. The formulas are evaluated here from
    /// the same computed inputs (q, ln softmax, relᵢ) in another order: a
    /// few dozen positive terms, so 8u relative covers the reordering.
    #[test]
    fn logit_value_bounds_follow_their_formulas() {
        let (p, z) = ([0.5, 0.5, 0.0], [0.0, 2.0, 1.0]);
        let q = measures::softmax(&z).unwrap();
        let rel = softmax_relative_errors(&z, &q);
        let ls = measures::log_softmax(&z).unwrap();
        let (ce, bound) = logits_value(Divergence::CrossEntropy, &p, &z).unwrap();
        assert_eq!(ce, measures::cross_entropy_logits(&p, &z).unwrap());
        let spread = 0.5 * rel[0] + 0.5 * rel[1];
        assert_near(bound, 1.01 * (spread + 5.0 * U * ce), 8.0, "CE bound");

        let (kl, bound) = logits_value(Divergence::Kl, &p, &z).unwrap();
        assert_eq!(kl, measures::kl_divergence_logits(&p, &z).unwrap());
        let delta = [0.5f64.ln() - ls[0], 0.5f64.ln() - ls[1]];
        assert!(delta[0] > 1.0 && delta[1].abs() <= 1.0, "{delta:?}");
        let e = |i: usize| 2.0 * U * 0.5f64.ln().abs() + rel[i] + U * delta[i].abs();
        let moved = |i: usize| (0.5 + 1.01 * q[i] + TINY) * (e(i) + rel[i]);
        let want = 1.01
            * (3.0 * U * (3.0 + kl)
                + moved(0)
                + gamma(4) * (q[0] + 0.5 + 0.5 * delta[0])
                + moved(1)
                + gamma(42) * 0.5 * delta[1] * delta[1]
                + rel[2] * q[2]
                + TINY);
        assert_near(bound, want, 8.0, "KL bound");
    }

    /// The checks on the measures under test fail for planted bugs, at
    /// p = (0.2, 0.3, 0.5) and z = (0.1, −0.4, 0.7): a KL scaled by 1 + 2⁻⁸
    /// scales every central difference of KL by that factor, moving it by
    /// 2⁻⁸·|∂KL/∂zⱼ| (about 10⁻³) against bounds near 10⁻⁹. After descent
    /// the KL and the CE excess must be within the O(1/T) rate's ceiling
    /// ‖z₀ − z*‖²/(2T) (about 10⁻³ here): a KL that returns CE (off by
    /// H(p) ≈ 1.03, the very confusion this crate is about) or an entropy
    /// halved exceeds it.
    #[test]
    fn the_measured_checks_fail_for_planted_bugs() {
        use crate::measures::Reference;
        use crate::measures::planted::Affine;
        let (p, z) = ([0.2, 0.3, 0.5], [0.1, -0.4, 0.7]);
        assert_eq!(
            differences_case(&Reference, &p, &z, &mut Worst::new()),
            Ok(())
        );
        let scaled = Affine {
            kl: (1.0 + 2f64.powi(-8), 0.0),
            ..Affine::EXACT
        };
        let err = differences_case(&scaled, &p, &z, &mut Worst::new()).unwrap_err();
        assert!(err.contains("by central differences"), "{err}");
        assert_eq!(descent_case(&Reference, &p, &z, &mut Worst::new()), Ok(()));
        let h = measures::entropy(&p).unwrap();
        let shifted = Affine {
            kl: (1.0, h),
            ..Affine::EXACT
        };
        let err = descent_case(&shifted, &p, &z, &mut Worst::new()).unwrap_err();
        assert!(err.starts_with("measured KL(p‖softmax z_T)"), "{err}");
        let low = Affine {
            entropy: (0.5, 0.0),
            ..Affine::EXACT
        };
        let err = descent_case(&low, &p, &z, &mut Worst::new()).unwrap_err();
        assert!(
            err.starts_with("measured CE(p, softmax z_T) − H(p)"),
            "{err}"
        );
    }

    /// The continuous targets state the moments and entropy of their
    /// distributions. Laplace(½, ¾): variance 2b² = 9/8, entropy 1 + ln(3/2).
    /// The mixture ¼·U(−3/2, −1) + ¾·U(−1/4, 1), derived by hand from its raw
    /// moments (a route other than the code's within-plus-between sum):
    /// E[x] = ¼(−5/4) + ¾(3/8) = −1/32; E[x²] = Σ wₖ(aₖ² + aₖlₖ + lₖ²/3)
    /// = ¼·19/12 + ¾·13/48 = 115/192, so V = 115/192 − 1/1024 = 1837/3072;
    /// H = −¼ln(½) − ¾ln(3/5) = ¼ln 2 + ¾ln(5/3).
    #[test]
    fn continuous_targets_state_their_moments_and_entropy() {
        let t = ContinuousTarget::laplace(0.5, 0.75);
        assert_eq!(t.name, "Laplace(location 5e-1, scale 7.5e-1)");
        // 2·(3/4)² = 9/8 is exact in f64.
        assert_eq!((t.mean, t.variance), (0.5, 1.125));
        // 1 + ln 1.5: ln within 1 ulp (2u relative) of ln 1.5 ≈ 0.405, one
        // addition: 4u of 1.405 covers both sides' roundings.
        assert_near(t.entropy, 1.0 + 1.5f64.ln(), 4.0, "Laplace entropy");
        let t = ContinuousTarget::uniform_mixture(0.25, -1.5, 0.5, 0.75, 1.25);
        assert_eq!(t.name, "2.5e-1·U(-1.5e0, -1e0) + 7.5e-1·U(-2.5e-1, 1e0)");
        // Every part of the mean is a short dyadic number: exact.
        assert_eq!(t.mean, -1.0 / 32.0);
        // The three variance terms are 1/192, 75/768 and 507/1024: the first
        // two round once each (the divisions by 12), then two additions of
        // positive terms, the reference 1837/3072 once: 5u of V.
        assert_near(t.variance, 1837.0 / 3072.0, 5.0, "mixture variance");
        // Both entropy terms are positive (≈ 0.173 and 0.383): ln within 2u
        // relative of its value, ln(0.6)'s argument rounded (u absolute, under
        // 2u relative of |ln 0.6| ≈ 0.51), a product and a subtraction each
        // side, the reference's own four roundings: 12u of H.
        let want = 0.25 * std::f64::consts::LN_2 + 0.75 * (5.0f64 / 3.0).ln();
        assert_near(t.entropy, want, 12.0, "mixture entropy");
    }

    /// The descent bounds at dyadic arguments, where each formula's
    /// operations are exact (U = 2⁻⁵³ and ulp(½) = U, so ½ + kU is exact
    /// for small integers k): the wanted values are the documented formulas
    /// evaluated by hand.
    #[test]
    fn descent_bounds_follow_their_formulas() {
        use std::f64::consts::LN_2;
        // f* + D²/(2T) + 2.01·drift: P = 1 (ln 1 = 0), D = 16 gives
        // 256/512·(1 + 4u) = ½ + 2u.
        assert_eq!(convergence_ceiling(1.0, 0.0, 0.0, 0.0), 3.0 * U);
        assert_eq!(convergence_ceiling(1.0, 16.0, 0.0, 0.0), 0.5 + 5.0 * U);
        assert_eq!(
            convergence_ceiling(0.5, 0.0, 0.0, 0.0),
            -0.5 * LN_2 + 3.0 * U
        );
        assert_eq!(convergence_ceiling(1.0, 0.0, 1.0, 0.0), 3.0 * U + 2.01);
        assert_eq!(convergence_ceiling(1.0, 0.0, 0.0, 4.0 * U), 7.0 * U);
        // (1 + 2)(1 + 4u) = 3 + 12u, and ulp(3) = 4u.
        assert_eq!(accumulate(1.0, 2.0), 3.0 + 12.0 * U);
        // (¼ + ¼)(1 + 2u) = ½ + u; (½ + 2u)(1 + 2u) = ½ + 3u + 4u², which
        // rounds to ½ + 3u.
        assert_eq!(difference_ceiling(0.25, 0.25, 0.0), 0.5 + U);
        assert_eq!(difference_ceiling(0.5, 0.0, -2.0), 0.5 + 3.0 * U);
        // 1.01·4u·(½ + ¼): two roundings of a positive product.
        let want = 1.01 * 4.0 * U * 0.75;
        assert!((contract_error(&[-0.5, 0.25]) - want).abs() <= 2.0 * U * want);
        // ‖(3, 4)‖ = 5 and ‖(0, 2)‖ = 2, each rounded up by γ₄.
        let want = 5.0 * (1.0 + gamma(4)) + U * 2.0 * (1.0 + gamma(4)) * 1.01;
        assert!((step_error(&[3.0, 4.0], &[0.0, 2.0]) - want).abs() <= 4.0 * U * want);
    }

    /// The centred log-ratio and its rounding bound 2.02u|ln pᵢ| +
    /// 2u(|vᵢ| + |v̄|), at p = (¼, ½, ¼) and z₀ = (1, 0, −1): v = (1 + 2ln 2,
    /// ln 2, −1 + 2ln 2), v̄ = 5ln 2/3, against values at 320 bits.
    #[test]
    fn centred_log_ratio_follows_its_formula() {
        use crate::test_support::{PREC as P, RM, big, to_f64};
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let ln2 = cc.ln_2(P, RM);
        let (centred, err) = centred_log_ratio(&[1.0, 0.0, -1.0], &[0.25, 0.5, 0.25]);
        let two_ln2 = ln2.mul(&big(2.0), P, RM);
        let v = [
            big(1.0).add(&two_ln2, P, RM),
            ln2.clone(),
            big(-1.0).add(&two_ln2, P, RM),
        ];
        let mean = ln2.mul(&big(5.0), P, RM).div(&big(3.0), P, RM);
        let ln_p = [two_ln2.clone(), ln2.clone(), two_ln2.clone()];
        for i in 0..3 {
            // Each centred entry within the bound the function states.
            let exact = to_f64(&v[i].sub(&mean, P, RM), &mut cc);
            assert!((centred[i] - exact).abs() <= err[i], "entry {i}");
            // The bound itself, from the exact |ln pᵢ|, |vᵢ| and |v̄|: the
            // f64 inputs are within 2u of them, so within 3u overall.
            let want = 2.02 * U * to_f64(&ln_p[i], &mut cc)
                + 2.0 * U * (to_f64(&v[i], &mut cc).abs() + to_f64(&mean, &mut cc));
            assert!(
                (err[i] - want).abs() <= 3.0 * U * want,
                "bound {i}: {:e} vs {want:e}",
                err[i]
            );
        }
    }

    /// The normal NLL's gradient error bound against its documented
    /// formula, at η = (2, −½) (μ = 2, σ² = 1, both exact) and samples
    /// (1, 3, 2.5): per sample 1.01u|μ| + u|t₁| and
    /// 1.01(2uσ² + 4uμ² + u·x²) + u|t₂|, the sums' γ₃·Σ|t|, /n and u|g|.
    /// Every operation on these dyadic values is exact up to the u-sized
    /// terms, which are summed in the same order: 4u relative.
    #[test]
    fn normal_nll_gradient_error_follows_its_formula() {
        let samples = [1.0, 3.0, 2.5];
        let nll = NormalNll {
            base: NormalCrossEntropy::new(0.0, 1.0).unwrap(),
            samples: &samples,
        };
        let got = nll.gradient(&[2.0, -0.5]);
        // t₁ = μ − x = (1, −1, −½), t₂ = σ² + μ² − x² = (4, −4, −1.25).
        let t1 = [1.0, -1.0, -0.5];
        let t2 = [4.0, -4.0, -1.25];
        let g = [(1.0 - 1.0 - 0.5) / 3.0, (4.0 - 4.0 - 1.25) / 3.0];
        assert_eq!(got.gradient, g.to_vec());
        let mut e = [0.0; 2];
        for i in 0..3 {
            let x = samples[i];
            e[0] += 1.01 * U * 2.0 + U * f64::abs(t1[i]);
            e[1] += 1.01 * (2.0 * U + 16.0 * U + U * x * x) + U * f64::abs(t2[i]);
        }
        let a = [2.5, 9.25];
        for j in 0..2 {
            let want = 1.01 * (e[j] + gamma(3) * a[j]) / 3.0 + U * g[j].abs();
            let err = got.error[j];
            assert!(
                (err - want).abs() <= 4.0 * U * want,
                "{j}: {err:e} vs {want:e}"
            );
        }
    }

    /// The normal MLE's error bounds at dyadic arguments, n = 2⁴⁰ so that the
    /// 2nu² terms count next to the u terms (2nu² = 2⁻⁶⁵ against u = 2⁻⁵³
    /// times means of 2¹² and 1): a few roundings, 4u relative. The stored
    /// MLE's shift, 2.01u·√(k − 1), at k = 5.
    #[test]
    fn empirical_bounds_follow_their_formulas() {
        let near = |got: f64, want: f64, what: &str| assert_near(got, want, 4.0, what);
        let n = 2f64.powi(40);
        let (e_mean, e_var) = normal_mle_error(n, 4096.0, -1.0, 0.5);
        let want_mean = 1.01 * (3.0 * U + 2.0 * n * U * U * 4096.0);
        near(e_mean, want_mean, "mean");
        let want_var = 1.01 * (3.0 * U + want_mean * want_mean + n * U * U);
        near(e_var, want_var, "variance");
        // The centring bias e_x̄² counts when x̄² is near v/u: x̄ = 2²⁶, v = 1.
        let (e_mean, e_var) = normal_mle_error(1.0, 0.0, 2f64.powi(26), 1.0);
        let want_mean = 1.01 * 3.0 * U * 2f64.powi(26);
        near(e_mean, want_mean, "mean far from 0");
        near(
            e_var,
            1.01 * (6.0 * U + want_mean * want_mean + 2.0 * U * U),
            "variance",
        );
        // v = ½, x̄ = −3: (2e_x̄ + 12e_v, 2e_v), each ×1.01, in ℓ₂ (γ₄).
        let got = natural_moment_error(-3.0, 0.5, 8.0 * U, 2.0 * U);
        let want = (1.01 * (16.0 * U + 24.0 * U)).hypot(1.01 * 4.0 * U) * (1.0 + gamma(4));
        near(got, want, "η");
        near(stored_mle_shift(5), 2.01 * U * 2.0, "shift");
    }

    /// The probe step and slack at dyadic arguments: e₀ = 2⁻⁴⁰, P = 1,
    /// range 2 give L = 1 and h = √(2⁻³⁹) = 2⁻¹⁹·√2⁻¹ (one rounding of the
    /// square root: u relative); no error or no range falls back to √u; the
    /// slack (¼ + ¼)(1 + 2u) + u·|−4| = ½ + 5u, exact.
    #[test]
    fn probe_step_and_slack_follow_their_formulas() {
        let want = 2f64.powi(-39).sqrt();
        assert!((probe_step(2f64.powi(-40), 1.0, 2.0) - want).abs() <= U * want);
        let want = 2f64.powi(-41).sqrt(); // L = 4 at P = 1, range 4
        assert!((probe_step(2f64.powi(-40), 1.0, 4.0) - want).abs() <= U * want);
        let want = 2f64.powi(-19); // L = ½ at P = ½, range 2: √(2⁻³⁸)
        assert!((probe_step(2f64.powi(-40), 0.5, 2.0) - want).abs() <= U * want);
        assert_eq!(probe_step(0.0, 1.0, 2.0), U.sqrt());
        assert_eq!(probe_step(1.0, 1.0, 0.0), U.sqrt());
        assert_eq!(difference_slack(0.25, 0.25, -4.0), 0.5 + 5.0 * U);
    }

    /// The central difference of f(z) = z₀² at z₀ = ½, h = 2⁻¹⁰, where every
    /// operation is exact: a = b = h, Δf = 4z₀h = 2⁻⁹, the quotient 1. With
    /// no evaluation error and M₃ = 0 the bound is the rounding terms only,
    /// u·Δf/(a + b) + (P/8)·u(a + b) + 4u = 6u at P = 2¹²; with e± = 2⁻⁴⁰ and
    /// M₃ = 6 it adds 2⁻⁴⁰·2/2⁻⁹ and h²(1 + u)². All times 1.01: 4u
    /// relative for the few roundings.
    #[test]
    fn central_difference_follows_its_formula() {
        let square =
            |e: f64| move |z: &[f64]| -> Result<(f64, f64), String> { Ok((z[0] * z[0], e)) };
        let h = 2f64.powi(-10);
        let exact = square(0.0);
        let (q, bound) = central_difference(&exact, (&[0.5], 0), h, 4096.0, &|_| 0.0, 0.0).unwrap();
        assert_eq!(q, 1.0);
        let want = 1.01 * 6.0 * U;
        assert!(
            (bound - want).abs() <= 4.0 * U * want,
            "{bound:e} vs {want:e}"
        );
        // The compared value's bound adds as it is (not times 1.01).
        let (_, bound) =
            central_difference(&exact, (&[0.5], 0), h, 4096.0, &|_| 0.0, 2f64.powi(-30)).unwrap();
        let want = 1.01 * 6.0 * U + 2f64.powi(-30);
        assert!(
            (bound - want).abs() <= 4.0 * U * want,
            "{bound:e} vs {want:e}"
        );
        let noisy = square(2f64.powi(-40));
        let (q, bound) = central_difference(&noisy, (&[0.5], 0), h, 4096.0, &|_| 6.0, 0.0).unwrap();
        assert_eq!(q, 1.0);
        let hmax = h * (1.0 + U);
        let want = 1.01 * (2f64.powi(-30) + U + hmax * hmax + U + 4.0 * U);
        assert!(
            (bound - want).abs() <= 4.0 * U * want,
            "{bound:e} vs {want:e}"
        );
        // Unequal stored steps: at z₀ = 1, h = u, z₀ + h rounds to 1 (a tie,
        // to even) and z₀ − h = 1 − u is exact, so a = 0 and b = u; the
        // asymmetry term (P/8)(|a − b| + u(a + b)) = 512(u + u²) then
        // outweighs the evaluations' u·|Δf|/(a + b) = 2u and 4u·|quotient| = 8u.
        let (a, b) = ((1.0 + U) - 1.0, 1.0 - (1.0 - U));
        assert_eq!((a, b), (0.0, U));
        let (q, bound) = central_difference(&exact, (&[1.0], 0), U, 4096.0, &|_| 0.0, 0.0).unwrap();
        let diff = 1.0 - (1.0 - U) * (1.0 - U);
        assert_eq!(q, diff / U);
        let want = 1.01 * (U * diff / U + 512.0 * (U + U * U) + 4.0 * U * q);
        assert!(
            (bound - want).abs() <= 4.0 * U * want,
            "{bound:e} vs {want:e}"
        );
    }

    /// One logistic row at s = 0, where σ(0) = ½ exactly: y = ¼ gives
    /// r = ¾·½ − ¼·½ = ¼ in both forms (the KL form as (¾/½ − ¼/½)·¼),
    /// the scale ¾·½ + ¼·½ = ½, and the score's term 1.01·¼·ζe^ζ at
    /// ζ = 2⁻⁵⁰ (about 2u, so every term counts): the documented bounds,
    /// within 4u relative for their roundings. At s = −1, y = 1 the forms
    /// take the other branch of each product (σ̄ weighs y).
    #[test]
    fn logistic_rows_follow_their_formulas() {
        let zeta = 2f64.powi(-50);
        let score = 1.01 * 0.25 * zeta * zeta.exp();
        let near = |(r, e): (f64, f64), (want_r, want_e): (f64, f64)| {
            assert_eq!(r, want_r);
            assert!(
                (e - want_e).abs() <= 4.0 * U * want_e,
                "{e:e} vs {want_e:e}"
            );
        };
        let ce = 1.01 * (SIGMOID_ERROR + 2.0 * U) * 0.5 + U * 0.25 + score;
        near(
            logistic_row(Divergence::CrossEntropy, 0.25, 0.0, zeta),
            (0.25, ce),
        );
        let kl = 1.02 * (8.0 * U * 0.5 + 14.0 * U * 0.25) + U * 0.25 + score;
        near(logistic_row(Divergence::Kl, 0.25, 0.0, zeta), (0.25, kl));
        let (x, xbar) = (sigmoid(-1.0), sigmoid(1.0));
        let (r, e) = logistic_row(Divergence::CrossEntropy, 1.0, -1.0, 0.0);
        assert_eq!(r, -xbar);
        let want = 1.01 * (SIGMOID_ERROR + 2.0 * U) * xbar + U * xbar;
        assert!((e - want).abs() <= 4.0 * U * want, "{e:e} vs {want:e}");
        let (r, e) = logistic_row(Divergence::Kl, 1.0, -1.0, 0.0);
        assert_eq!(r, (-1.0 / x) * (x * xbar));
        let want = 1.02 * (8.0 * U * xbar + 14.0 * U * r.abs()) + U * r.abs();
        assert!((e - want).abs() <= 4.0 * U * want, "{e:e} vs {want:e}");
    }

    /// The Bernoulli bounds: k = 1 of n = 5 gives η* = −ln 4 = −2 ln 2 and
    /// the bound 2.02u·ln 4 + u·ln 4 (ln 1 = 0; f64 ln 4 is 2·(f64 ln 2),
    /// an exact scaling); the shift and the sigmoid distance at dyadic
    /// arguments, where each term is a distinct size (a few roundings: 4u).
    #[test]
    fn bernoulli_bounds_follow_their_formulas() {
        use std::f64::consts::LN_2;
        let (star, err) = bernoulli_logit(1, 5);
        assert_eq!(star, -2.0 * LN_2);
        let want = 2.02 * U * 2.0 * LN_2 + U * 2.0 * LN_2;
        assert!((err - want).abs() <= 4.0 * U * want, "{err:e} vs {want:e}");
        let (_, err) = bernoulli_logit(4, 6);
        let want = 2.02 * U * (4f64.ln() + 2f64.ln()) + U * LN_2;
        assert!((err - want).abs() <= 4.0 * U * want, "{err:e} vs {want:e}");
        let want = 1.01 * U * 4.0;
        assert!((logit_shift(0.75) - want).abs() <= 2.0 * U * want);
        let (r, x, mean) = (2f64.powi(-48), 0.5, 0.25);
        let want = 2f64.powi(-50) + 1.01 * SIGMOID_ERROR * 0.5 + U * 0.25;
        let got = sigmoid_distance(r, x, mean);
        assert!((got - want).abs() <= 4.0 * U * want, "{got:e} vs {want:e}");
    }

    /// The closed-form minimizer at p = (¼, ½, ¼): θ* = (0, ln 2), whose
    /// computed value is within the stated bound of the 320-bit one, and the
    /// bound is the documented ‖(2.02u·4ln 2, 2.02u·3ln 2 + u·ln 2)‖ (f64
    /// ln 2 within u/2 relative, the norm's γ₄, a few roundings: 8u).
    #[test]
    fn closed_form_logits_follow_their_formula() {
        use std::f64::consts::LN_2;
        let (star, err) = closed_form_logits(&[0.25, 0.5, 0.25]);
        assert_eq!(star[0], 0.0);
        // ln ½ − ln ¼ = ln 2: both logs are correctly rounded multiples of
        // ln 2 (by 1 and 2, exact scalings), so the difference is f64 ln 2.
        assert_eq!(star[1], LN_2);
        let want = (2.02 * U * 4.0 * LN_2).hypot(2.02 * U * 3.0 * LN_2 + U * LN_2);
        assert!(
            err >= want && err <= want * (1.0 + 8.0 * U),
            "{err:e} vs {want:e}"
        );
    }

    /// The softmax distance bound: one case where r/2 dominates, one where
    /// the mass term's 3u does (exact mass 1), one where the q̃ errors and an
    /// off mass do. The wanted values are the documented formula; the
    /// function's and the test's roundings (a few non-negative terms, two
    /// norms' γ₄) stay within 8u relative, while any changed term moves the
    /// result by at least 2⁻²⁰ relative in the case where it counts.
    #[test]
    fn softmax_distance_bound_follows_its_formula() {
        let half = std::f64::consts::FRAC_1_SQRT_2; // ‖(½, ½)‖
        let g = 1.0 + gamma(4);
        let cases = [
            // (r, rel, mass, want)
            (0.25, [0.0, 0.0], 1.0, 0.125 + half * g * 3.0 * U),
            (0.0, [0.0, 0.0], 1.0, half * g * 3.0 * U / (1.0 - 3.0 * U)),
            (
                0.0,
                [2f64.powi(-40), 2f64.powi(-41)],
                1.0 + 2f64.powi(-30),
                (0.5f64 * 2f64.powi(-40)).hypot(0.5 * 2f64.powi(-41)) * g
                    + half * g * (2f64.powi(-30) + 3.0 * U) / (1.0 - 2f64.powi(-30)),
            ),
        ];
        for (k, (r, rel, mass, want)) in cases.into_iter().enumerate() {
            let want = want * (1.0 + 2.0 * U);
            let got = softmax_distance_bound(r, &[0.5, 0.5], &rel, &[0.5, 0.5], mass);
            assert!(
                (got - want).abs() <= 8.0 * U * want,
                "case {k}: {got:e} vs {want:e}"
            );
        }
        // The final round-up by (1 + 2u), seen exactly: with p = 0 and exact
        // q̃ only r/2 = ⅛ is left (2·2⁻¹⁰⁷⁴ vanishes in the sum), and
        // ⅛·(1 + 2u) = ⅛ + 2⁻⁵⁵, one ulp of ⅛.
        let got = softmax_distance_bound(0.25, &[0.5, 0.5], &[0.0, 0.0], &[0.0, 0.0], 1.0);
        assert_eq!(got, 0.125 + 2f64.powi(-55));
    }

    /// The bound of `measured`, at a case where every part of it counts:
    /// rel of order 2⁻⁵⁰, a q̂ entry of 2⁻¹⁰²⁰ (so 2⁻¹⁰⁷⁴/q̂ = 2⁻⁵⁴), p with a
    /// zero (skipped). The wanted value is the documented formula; the
    /// function and the test round at most a dozen non-negative terms in
    /// different orders, so 16u relative separates them from any change of
    /// a term (the smallest term is about 10⁻⁴ of the total).
    #[test]
    fn measured_error_follows_its_formula() {
        let p = [0.75, 0.25, 0.0];
        let q = [0.5, 0.25, 0.25];
        let q_hat = [0.5, 2f64.powi(-1020), 0.5];
        let rel = [2f64.powi(-50), 2f64.powi(-49), 2f64.powi(-48)];
        let s = 1.01 * (0.5 * rel[0] + 0.25 * rel[1] + 0.25 * rel[2] + 3.0 * TINY);
        let model = 0.75 * (1.01 * (rel[0] + s + 4.0 * U) + TINY / 0.5)
            + 0.25 * (1.01 * (rel[1] + s + 4.0 * U) + 2f64.powi(-54));
        let terms_ce = 0.75 * 0.5f64.ln().abs() + 0.25 * 1020.0 * std::f64::consts::LN_2;
        let terms_kl = (0.75 * (0.75f64.ln() - 0.5f64.ln())).abs()
            + 0.25 * (0.25f64.ln() + 1020.0 * std::f64::consts::LN_2).abs();
        for (which, terms) in [
            (Divergence::CrossEntropy, terms_ce),
            (Divergence::Kl, terms_kl),
        ] {
            let want = 1.02 * model + 1.01 * 4.0 * U * terms;
            let got = measured_error(which, &p, &q, &q_hat, &rel);
            assert!(
                (got - want).abs() <= 16.0 * U * want,
                "{}: {got:e} vs {want:e}",
                which.name()
            );
        }
    }

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
            }
        }
        // Both gradients round somewhere, so a bound of zero would fail.
        assert_eq!(inexact, [true, true]);
    }

    /// The central difference's helpers at hand-picked arguments.
    #[test]
    fn derivative_helpers_follow_their_formulas() {
        // |x(1 − x)(1 − 2x)| ≤ √3/18 unless min(q, 1 − q)·e^(2t) is smaller.
        let cap = 3f64.sqrt() / 18.0 * (1.0 + 4.0 * U);
        assert_eq!(
            third_derivative(2.0, 0.5, 0.5, 0.0),
            2.0 * cap * (1.0 + 4.0 * U)
        );
        assert_eq!(
            third_derivative(2.0, 0.01, 0.99, 0.0),
            2.0 * 0.01 * (1.0 + 4.0 * U)
        );
        assert_eq!(
            third_derivative(1.0, 0.99, 0.01, 0.0),
            0.01 * (1.0 + 4.0 * U)
        );
        // h = (3e/M₃)^(1/3): 3·2⁻⁹/3 = 2⁻⁹, a perfect cube (h = ⅛); capped
        // at ¼, and ¼ where the formula gives 0 or ∞.
        assert_eq!(fd_step(1.0 / 512.0, 3.0), 0.125);
        assert_eq!(fd_step(1.0, 3.0), 0.25);
        assert_eq!(fd_step(0.0, 3.0), 0.25);
        assert_eq!(fd_step(1.0, 0.0), 0.25);
        assert_eq!(xlogx(0.0), 0.0);
        assert_eq!(xlogx(1.0), 0.0);
        assert_eq!(xlogx(0.5), -0.5 * std::f64::consts::LN_2);
    }

    /// q = (½, ¼, ¼) with relative errors (2⁻¹⁰, 0, 0): q₀ is at most
    /// ½(1 + 2⁻¹⁰) (+2⁻¹⁰⁷⁴, below its last bit), the rest ½, each widened by
    /// 1.01 and the rest's sum by 1 + γ₃.
    #[test]
    fn softmax_bounds_follow_their_formulas() {
        let (q, rel) = ([0.5, 0.25, 0.25], [1.0 / 1024.0, 0.0, 0.0]);
        let (up, rest) = q_bounds(&q, &rel, 0);
        assert_eq!(up, 0.5 * (1.0 + 1.0 / 1024.0) * 1.01);
        assert_eq!(rest, 0.5 * (1.0 + gamma(3)) * 1.01);
        let (up, rest) = q_bounds(&q, &rel, 1);
        assert_eq!(up, 0.25 * 1.01);
        assert_eq!(
            rest,
            (0.5 * (1.0 + 1.0 / 1024.0) + 0.25) * (1.0 + gamma(3)) * 1.01
        );
        // 1.01·(relⱼqⱼ + 2⁻¹⁰⁷⁴ + off·qⱼ) + u|g|, off = |P − 1| + 3u, at
        // P = 1 ± 2⁻²⁰ (off = 2⁻²⁰ + 3u, exact) and g = −½.
        let off = 2f64.powi(-20) + 3.0 * U;
        for mass in [1.0 + 2f64.powi(-20), 1.0 - 2f64.powi(-20)] {
            assert_eq!(
                gradient_error(&q, &rel, mass, -0.5, 0),
                1.01 * (0.5 / 1024.0 + TINY + off * 0.5) + U * 0.5
            );
        }
    }
}
