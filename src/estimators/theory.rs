//! What the theory predicts for the expected gap: Akaike's d/n, Takeuchi's
//! tr(J⁻¹K)/n, and exact finite-n values where they exist.

use statrs::function::gamma::{digamma, ln_gamma};

use super::spec::{Model, SpecError, Truth};

/// An expectation that may be infinite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expected {
    /// A finite value.
    Finite(f64),
    /// +∞ (e.g. an unsmoothed categorical MLE can give a seen-never category probability 0).
    Infinite,
}

impl Expected {
    /// The value as an f64 (+∞ for [`Expected::Infinite`]).
    pub fn value(self) -> f64 {
        match self {
            Expected::Finite(x) => x,
            Expected::Infinite => f64::INFINITY,
        }
    }
}

/// The theory's predictions for one (model, truth, n).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theory {
    /// The number of free parameters d.
    pub parameters: usize,
    /// Akaike's asymptotic E\[gap\] ≈ d/n, valid when the model is well specified.
    pub akaike: f64,
    /// tr(J⁻¹K), J = E[−∇²ln q_θ₀], K = E[∇ln q_θ₀ ∇ln q_θ₀ᵀ] at the best-in-family θ₀; `None` if a needed moment is infinite.
    pub takeuchi_trace: Option<f64>,
    /// Takeuchi's asymptotic E\[gap\] ≈ tr(J⁻¹K)/n.
    pub asymptotic: Option<f64>,
    /// The exact E\[gap\] at this n, where known.
    pub exact_gap: Option<Expected>,
    /// The exact E[KL(p‖q_θ̂)] at this n, where known.
    pub exact_excess_risk: Option<Expected>,
    /// KL(p‖q_θ₀): the approximation error of the best model in the family (0 when well specified).
    pub approximation_error: f64,
}

/// Checks that `model` can be fitted to data from `truth`.
pub(crate) fn check_compatible(model: Model, truth: &Truth) -> Result<(), SpecError> {
    truth.validate()?;
    if let Model::Categorical { alpha } = model {
        super::spec::check_alpha(alpha)?;
    }
    let incompatible = |reason| {
        Err(SpecError::Incompatible {
            model: model.to_string(),
            truth: truth.to_string(),
            reason,
        })
    };
    match (model, truth) {
        (Model::Normal, Truth::Categorical(_)) | (Model::Exponential, Truth::Categorical(_)) => {
            incompatible("a continuous model needs real-valued data")
        }
        (Model::Normal, t) => match t.moments() {
            Some(m) if m.variance.is_finite() => Ok(()),
            _ => incompatible(
                "the truth's variance is infinite, so the Normal model's risk is infinite",
            ),
        },
        (Model::Exponential, t) if !t.nonnegative() => {
            incompatible("the truth puts mass below 0, where the Exponential density is 0")
        }
        (Model::Exponential, _) => Ok(()),
        (Model::Bernoulli, Truth::Categorical(p)) if p.len() == 2 => Ok(()),
        (Model::Bernoulli, _) => {
            incompatible("a Bernoulli model needs a categorical truth with 2 categories")
        }
        (Model::Categorical { .. }, Truth::Categorical(_)) => Ok(()),
        (Model::Categorical { .. }, _) => {
            incompatible("a categorical model needs a categorical truth")
        }
    }
}

/// ln of the Binomial(n, p) probability of j.
fn ln_binomial_pmf(n: usize, p: f64, j: usize) -> f64 {
    let (nf, jf) = (n as f64, j as f64);
    let ln_choose = ln_gamma(nf + 1.0) - ln_gamma(jf + 1.0) - ln_gamma(nf - jf + 1.0);
    let a = if j == 0 { 0.0 } else { jf * p.ln() };
    let b = if j == n {
        0.0
    } else {
        (nf - jf) * (-p).ln_1p()
    };
    ln_choose + a + b
}

/// Exact E\[gap\] and E[KL(p‖q̂)] for the smoothed categorical model, by summing
/// over the Binomial(n, pₖ) marginal of each count Nₖ:
///
/// ```text
/// E[R(q̂)]  = −Σₖ pₖ Σⱼ P(Nₖ = j) ln((j + α)/(n + Cα))
/// E[R̂(q̂)] = −Σₖ Σⱼ P(Nₖ = j) (j/n) ln((j + α)/(n + Cα))
/// E\[gap\] = E[R(q̂)] − E[R̂(q̂)],   E[KL(p‖q̂)] = E[R(q̂)] − H(p)
/// ```
///
/// With α = 0 a category with 0 < pₖ < 1 is missed with probability
/// (1 − pₖ)ⁿ > 0, and then q̂ₖ = 0: both expectations are +∞.
fn categorical_exact(p: &[f64], alpha: f64, n: usize) -> (Expected, Expected) {
    let c = p.len() as f64;
    if alpha == 0.0 && p.iter().any(|&x| x > 0.0 && x < 1.0) {
        return (Expected::Infinite, Expected::Infinite);
    }
    let denom = (n as f64 + c * alpha).ln();
    let (mut true_risk, mut train_risk) = (0.0, 0.0);
    for &pk in p {
        let (mut e_ln, mut e_weighted) = (0.0, 0.0);
        for j in 0..=n {
            let w = if pk == 0.0 {
                if j == 0 { 1.0 } else { 0.0 }
            } else if pk == 1.0 {
                if j == n { 1.0 } else { 0.0 }
            } else {
                ln_binomial_pmf(n, pk, j).exp()
            };
            if w == 0.0 {
                continue;
            }
            let ln_q = (j as f64 + alpha).ln() - denom;
            if pk > 0.0 {
                e_ln += w * ln_q;
            }
            if j > 0 {
                e_weighted += w * (j as f64 / n as f64) * ln_q;
            }
        }
        true_risk -= pk * e_ln;
        train_risk -= e_weighted;
    }
    let entropy = crate::measures::entropy(p).unwrap_or(f64::NAN);
    (
        Expected::Finite(true_risk - train_risk),
        Expected::Finite(true_risk - entropy),
    )
}

/// The theory for `model` fitted to `n` points from `truth`.
///
/// # Errors
/// [`SpecError::Incompatible`] if the model cannot be fitted to that truth.
///
/// # Example
/// ```
/// use logloss_proofs::estimators::{theory, Expected};
/// let t = theory("normal".parse()?, &"normal:0,1".parse()?, 103)?;
/// assert_eq!(t.parameters, 2);
/// assert_eq!(t.exact_gap, Some(Expected::Finite(2.0 / 100.0)));
/// # Ok::<(), logloss_proofs::estimators::SpecError>(())
/// ```
pub fn theory(model: Model, truth: &Truth, n: usize) -> Result<Theory, SpecError> {
    check_compatible(model, truth)?;
    let nf = n as f64;
    let (parameters, trace, exact_gap, exact_excess, approx) = match (model, truth) {
        (Model::Normal, t) => {
            let m = t.moments().expect("checked: finite variance");
            // Score of (μ, v): ((x−μ)/v, −1/(2v) + (x−μ)²/(2v²)); at θ₀ = (EX, VarX),
            // J = diag(1/v, 1/(2v²)) and tr(J⁻¹K) = 1 + (kurtosis − 1)/2.
            let trace = m
                .kurtosis
                .is_finite()
                .then_some(1.0 + 0.5 * (m.kurtosis - 1.0));
            let approx = match t {
                Truth::Normal { .. } => 0.0,
                _ => 0.5 * (2.0 * std::f64::consts::PI * m.variance).ln() + 0.5 - t.entropy(),
            };
            // Normal data: n·σ̂²/σ² ~ χ²(n−1) independent of μ̂, so
            // E[gap] = ½(1 + 1/n)·n/(n − 3) − ½ = 2/(n − 3), infinite for n ≤ 3.
            let exact = matches!(t, Truth::Normal { .. }).then(|| {
                if n > 3 {
                    Expected::Finite(2.0 / (nf - 3.0))
                } else {
                    Expected::Infinite
                }
            });
            // E[KL(p‖q̂)] with r = σ²/σ̂²: E[r] = n/(n−3), E[ln r] = ln n − ψ((n−1)/2) − ln 2,
            // E[(μ̂−μ)²/σ̂²] = 1/(n−3): E = ½(E r − 1 − E ln r) + 1/(2(n−3)).
            let excess = matches!(t, Truth::Normal { .. }).then(|| {
                if n > 3 {
                    let e_r = nf / (nf - 3.0);
                    let e_ln_r = nf.ln() - digamma((nf - 1.0) / 2.0) - std::f64::consts::LN_2;
                    Expected::Finite(0.5 * (e_r - 1.0 - e_ln_r) + 0.5 / (nf - 3.0))
                } else {
                    Expected::Infinite
                }
            });
            (2, trace, exact, excess, approx)
        }
        (Model::Exponential, t) => {
            let m = t.moments().expect("real-valued truth");
            // Score of λ: 1/λ − x; J = 1/λ₀², K = Var X, λ₀ = 1/EX: tr = Var X/(EX)².
            let trace = Some(m.variance / (m.mean * m.mean));
            let approx = match t {
                Truth::Exponential { .. } => 0.0,
                _ => m.mean.ln() + 1.0 - t.entropy(),
            };
            // Exponential data: x̄ ~ Gamma(n, nλ), gap = 1/(λx̄) − 1, E = n/(n−1) − 1.
            let exact = matches!(t, Truth::Exponential { .. }).then(|| {
                if n > 1 {
                    Expected::Finite(1.0 / (nf - 1.0))
                } else {
                    Expected::Infinite
                }
            });
            // E[KL(p‖q̂)] = E[s − 1 − ln s], s = 1/(λx̄), λx̄ ~ Gamma(n, n):
            // E s = n/(n−1), E ln s = ln n − ψ(n).
            let excess = matches!(t, Truth::Exponential { .. }).then(|| {
                if n > 1 {
                    Expected::Finite(nf / (nf - 1.0) - 1.0 - (nf.ln() - digamma(nf)))
                } else {
                    Expected::Infinite
                }
            });
            (1, trace, exact, excess, approx)
        }
        (Model::Bernoulli, Truth::Categorical(p))
        | (Model::Categorical { .. }, Truth::Categorical(p)) => {
            let alpha = match model {
                Model::Categorical { alpha } => alpha,
                _ => 0.0,
            };
            // Well specified: tr(J⁻¹K) = d = (number of categories with p > 0) − 1.
            let support = p.iter().filter(|&&x| x > 0.0).count();
            let d = support.saturating_sub(1);
            let (gap, excess) = categorical_exact(p, alpha, n);
            (d, Some(d as f64), Some(gap), Some(excess), 0.0)
        }
        _ => unreachable!("check_compatible rejected the other pairs"),
    };
    Ok(Theory {
        parameters,
        akaike: parameters as f64 / nf,
        takeuchi_trace: trace,
        asymptotic: trace.map(|t| t / nf),
        exact_gap,
        exact_excess_risk: exact_excess,
        approximation_error: approx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact binomial sums at n = 2, α = 1, worked by hand. For
    /// p = (½, ½): each count is Binomial(2, ½) (¼, ½, ¼) and q̂ = (j + 1)/4,
    /// so E[R] = −(¼ln¼ + ½ln½ + ¼ln¾) = 1.5 ln 2 − ¼ln 3 and
    /// E[R̂] = −2(¼ln½ + ¼ln¾) = 1.5 ln 2 − ½ln 3: the gap is ¼ln 3 and the
    /// excess risk E[R] − ln 2 = ½ln 2 − ¼ln 3. For p = (1, 0) the counts are
    /// (2, 0) surely: R = R̂ = −ln¾, no gap, excess ln(4/3).
    ///
    /// Tolerance: ln Γ is good to about 1e−15 (statrs), so each weight
    /// exp(ln C + j ln p + (n − j) ln(1 − p)) is within 4e−15 relative (three
    /// ln Γ values plus a few roundings), and every sum has terms of size
    /// below 1.4 in all: 1e−14 absolute bounds both sides.
    #[test]
    fn categorical_expectations_are_the_binomial_sums() {
        use std::f64::consts::LN_2;
        let ln3 = 3f64.ln();
        let tol = 1e-14;
        let finite = |e: Expected| match e {
            Expected::Finite(x) => x,
            Expected::Infinite => panic!("finite expected"),
        };
        let (gap, excess) = categorical_exact(&[0.5, 0.5], 1.0, 2);
        let (gap, excess) = (finite(gap), finite(excess));
        assert!((gap - 0.25 * ln3).abs() <= tol, "gap {gap}");
        assert!(
            (excess - (0.5 * LN_2 - 0.25 * ln3)).abs() <= tol,
            "excess {excess}"
        );
        let (gap, excess) = categorical_exact(&[1.0, 0.0], 1.0, 2);
        let (gap, excess) = (finite(gap), finite(excess));
        assert!(gap.abs() <= tol, "gap {gap}");
        assert!((excess - (4f64 / 3.0).ln()).abs() <= tol, "excess {excess}");
        // Unsmoothed with a category strictly between 0 and 1: it is missed
        // with positive probability, and then the held-out risk is infinite.
        assert_eq!(
            categorical_exact(&[0.5, 0.5], 0.0, 2),
            (Expected::Infinite, Expected::Infinite)
        );
    }

    /// Akaike's d/n and Takeuchi's tr(J⁻¹K)/n for the Normal model: on
    /// normal data tr = 1 + (3 − 1)/2 = 2 = d; on Laplace data (kurtosis 6)
    /// tr = 1 + (6 − 1)/2 = 3.5. Small integers over n = 8: exact.
    #[test]
    fn akaike_and_takeuchi_terms_are_the_trace_over_n() {
        let normal: Model = "normal".parse().unwrap();
        let t = theory(normal, &"normal:0,1".parse().unwrap(), 8).unwrap();
        assert_eq!((t.parameters, t.akaike), (2, 0.25));
        assert_eq!((t.takeuchi_trace, t.asymptotic), (Some(2.0), Some(0.25)));
        let t = theory(normal, &"laplace:0,1".parse().unwrap(), 8).unwrap();
        assert_eq!(t.akaike, 0.25);
        assert_eq!((t.takeuchi_trace, t.asymptotic), (Some(3.5), Some(0.4375)));
    }

    /// The approximation error is KL from the truth to the best model:
    /// Laplace(0, 1) (variance 2, entropy 1 + ln 2) against N(0, 2) gives
    /// ½ln(4π) + ½ − 1 − ln 2 = ½ln π − ½; Uniform(0, 2) (mean 1, entropy
    /// ln 2) against Exp(1) gives 1 − ln 2; zero for a truth in the family.
    /// Each side is a few logarithms and sums of terms below 2 in size:
    /// 16u absolute.
    #[test]
    fn approximation_error_is_the_kl_to_the_best_model() {
        use std::f64::consts::{LN_2, PI};
        let tol = 16.0 * crate::numerics::U;
        let t = theory(
            "normal".parse().unwrap(),
            &"laplace:0,1".parse().unwrap(),
            8,
        )
        .unwrap();
        let want = 0.5 * PI.ln() - 0.5;
        assert!(
            (t.approximation_error - want).abs() <= tol,
            "{}",
            t.approximation_error
        );
        let t = theory(
            "exponential".parse().unwrap(),
            &"uniform:0,2".parse().unwrap(),
            8,
        )
        .unwrap();
        let want = 1.0 - LN_2;
        assert!(
            (t.approximation_error - want).abs() <= tol,
            "{}",
            t.approximation_error
        );
        let t = theory("normal".parse().unwrap(), &"normal:0,1".parse().unwrap(), 8).unwrap();
        assert_eq!(t.approximation_error, 0.0);
    }
}
