//! The study pages: risk-gap.md (the Monte Carlo study of the true-risk gap)
//! and kl-estimators.md (k1, k2, k3 against the closed-form KL).

use super::{header, percent};
use crate::estimators::KlEstimates;
use crate::report::evidence::{Evidence, GapSeries};
use crate::report::format::{fixed, interval, sci};

/// The table of one gap series: a row per n.
pub fn gap_table(series: &GapSeries) -> String {
    let mut s = String::from(
        "| n | n·E[gap] | 95% interval | raw n·E[gap] ± s.e. | variance reduction | exact n·E[gap] | E[KL(p‖q_θ̂)] | infinite gap | infinite true risk |\n|---:|---:|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for p in &series.points {
        s.push_str(&format!(
            "| {} | {} | {} | {} ± {} | {}× | {} | {} | {} | {} |\n",
            p.n,
            fixed(p.scaled_gap.0, 3),
            interval(p.scaled_gap.1, p.scaled_gap.2, 3),
            fixed(p.scaled_raw.0, 3),
            fixed(p.scaled_raw.1, 3),
            fixed(p.variance_reduction, 1),
            p.scaled_exact.map_or("–".to_string(), |x| fixed(x, 3)),
            sci(p.excess_risk.0),
            fixed(p.infinite_fraction, 4),
            fixed(p.infinite_risk_fraction, 4),
        ));
    }
    s
}

/// risk-gap.md: the Monte Carlo study of the true-risk gap.
pub fn risk_gap(e: &Evidence) -> String {
    let mut s = header(e, "How optimistic is the training loss? The true-risk gap");
    s.push_str(
        "Training minimizes the empirical risk R̂ₙ(θ) (the mean negative log-likelihood); \
         what matters is the true risk R(θ) = E_p[−ln q_θ(X)] = H(p) + KL(p‖q_θ). At the \
         fitted θ̂ the training loss is optimistic: E[R(θ̂) − R̂ₙ(θ̂)] > 0. Akaike's \
         approximation says E[gap] ≈ d/n (d parameters) when the model family contains \
         the truth; Takeuchi's says tr(J⁻¹K)/n in general, with J and K the Hessian and \
         score covariance of the log-likelihood at the best model in the family.\n\n\
         Each replicate draws n points with its own ChaCha stream, fits the model by \
         maximum likelihood and computes R(θ̂) in closed form. The raw gap carries a \
         zero-mean term R(θ₀) − R̂ₙ(θ₀) of order n^(−1/2); the estimator below removes it \
         (its mean is exactly 0), which keeps the interval for n·E[gap] narrow as n \
         grows. For the Normal and Exponential models, where the sample moments' \
         expansion converges fast enough (its variable's standard deviation at most ¼), \
         it also replaces the cubic Taylor polynomial of what is left by that \
         polynomial's exact mean, from the truth's moments, leaving a per-replicate \
         remainder of order n⁻². The variance reduction column shows the gain over the \
         raw estimator. Gaps \
         and risks are in nats; *infinite gap* and *infinite true risk* are the fractions \
         of replicates where they were +∞.\n\n\
         ![n·E[gap] against n, with Akaike's d and Takeuchi's tr(J⁻¹K)](gap.svg)\n\n",
    );
    for series in &e.gap {
        s.push_str(&format!(
            "## {}: model `{}` on data from `{}` ({})\n\n",
            series.label,
            series.model,
            series.truth,
            if series.well_specified {
                "well specified"
            } else {
                "misspecified"
            }
        ));
        s.push_str(&format!(
            "Akaike: n·E[gap] → d = {}. Takeuchi: n·E[gap] → tr(J⁻¹K) = {}. KL(p‖q_θ₀), the approximation error of the best model in the family: {}.\n\n",
            series.parameters,
            series.takeuchi_trace.map_or("∞".to_string(), |t| fixed(t, 3)),
            sci(series.approximation_error)
        ));
        if series.points.iter().any(|p| p.infinite_risk_fraction > 0.0) {
            let shares: Vec<String> = series
                .points
                .iter()
                .filter(|p| p.infinite_risk_fraction > 0.0)
                .map(|p| {
                    // Shares below 0.1% would print as 0.0%: those get 4 significant digits.
                    let share = if p.infinite_risk_fraction >= 1e-3 {
                        percent(p.infinite_risk_fraction)
                    } else {
                        format!("a fraction {}", sci(p.infinite_risk_fraction))
                    };
                    format!("{share} at n = {}", p.n)
                })
                .collect();
            s.push_str(&format!(
                "Maximum likelihood gives probability 0 to every category the sample missed, \
                 and the truth still draws it: the fitted model's true risk is +∞, and so is \
                 the expectation of its gap. Fits with infinite true risk: {}. This is why \
                 categorical fits are smoothed (the add-α row below): the smoothed fit is never \
                 0, and its expected gap is finite at every n.\n\n",
                shares.join(", ")
            ));
        }
        s.push_str(&gap_table(series));
        s.push('\n');
    }
    s
}

/// kl-estimators.md: k1, k2, k3 against the closed-form KL.
pub fn kl_estimators(e: &Evidence) -> String {
    let mut s = header(e, "Estimating KL from samples: k1, k2, k3");
    s.push_str(
        "## Why estimate KL from samples\n\n\
         Fine-tuning a language model by reinforcement learning keeps the policy near a \
         reference model with a KL penalty, charged token by token on the sampled text. The \
         exact KL over a vocabulary at every position of every sample is costly, so the \
         penalty is a one-sample estimate computed from the log-probabilities of the token \
         that was sampled. The three estimators here are those of John Schulman's note \
         *Approximating KL Divergence* (2020, joschu.net/blog/kl-approx.html).\n\n\
         **Notation.** The note writes KL[q, p] with samples x ∼ q and the ratio \
         r = p(x)/q(x). This page writes the same divergence as KL(p‖q), with samples of p \
         and r = q(x)/p(x): the note's q is this page's p. For samples x of p:\n\n\
         - k1 = −ln r: unbiased, but negative for some samples and noisy;\n\
         - k2 = (ln r)²/2: biased, with a small spread when p and q are close;\n\
         - k3 = (r − 1) − ln r: unbiased and never negative (k1 plus r − 1, whose mean under p is 0).\n\n\
         The tables give each one's mean, its bias relative to the closed-form KL, and the \
         spread of a single-sample estimate relative to KL.\n\n\
         ![bias and spread of k1, k2, k3](kl-estimators.svg)\n\n",
    );
    for (from, to, k) in &e.kl {
        s.push_str(&kl_table(from, to, k));
    }
    let g = &e.estimator_gradients;
    s.push_str(&format!(
        "## A caveat: an unbiased value is not an unbiased gradient\n\n\
         In a penalty the samples come from the distribution being trained, and autograd \
         differentiates the estimate with the sampled x held fixed. Unbiasedness of the \
         value does not carry over to that gradient. Take p_σ = N(0, σ²) as the distribution \
         being trained, q = N(0, 1) as the reference, σ = {}, and the expectation over \
         x ∼ p_σ of each estimator's derivative in σ (by quadrature):\n\n\
         | differentiated as a loss | expected gradient |\n|---|---:|\n\
         | k1 | {} |\n| k2 | {} |\n| k3 | {} |\n\
         | the gradient wanted, d/dσ KL(p_σ‖q) | {} |\n\
         | the other direction, d/dσ KL(q‖p_σ) | {} |\n\n\
         k1's gradient is 0 on average (it is the score, whose mean is 0), and k3's is the \
         gradient of the *other* direction, KL(q‖p_σ); only k2 gives the gradient of the KL \
         it estimates. Using k1 or k3 as a penalty's value is sound; differentiating them \
         as a loss does not give an unbiased KL gradient.\n",
        fixed(g.sigma, 1),
        fixed(g.expected[0], 4),
        fixed(g.expected[1], 4),
        fixed(g.expected[2], 4),
        fixed(g.kl_gradient, 4),
        fixed(g.reverse_gradient, 4),
    ));
    s
}

/// One KL pair's section: its closed form and a row per estimator.
fn kl_table(from: &str, to: &str, k: &KlEstimates) -> String {
    let mut s = format!(
        "## KL(`{from}` ‖ `{to}`) = {} (closed form)\n\n| estimator | mean | standard error | bias / KL | std / KL |\n|---|---:|---:|---:|---:|\n",
        sci(k.true_kl)
    );
    for (name, est) in [("k1", &k.k1), ("k2", &k.k2), ("k3", &k.k3)] {
        s.push_str(&format!(
            "| {name} | {} | {} | {} | {} |\n",
            sci(est.mean),
            sci(est.std_error),
            sci(est.bias_over_kl),
            sci(est.std_over_kl)
        ));
    }
    s.push('\n');
    s
}

/// The page of a gap study: per series, its theory and the table of the
/// risk-gap page, and the picture `picture`.
pub fn gap_study_page(title: &str, series: &[GapSeries], picture: &str) -> String {
    let mut s = format!(
        "# {title}\n\nn·E[gap] is n times the expected true-risk gap E[R(θ̂) − R̂ₙ(θ̂)], \
         estimated with the control variate; intervals are Student-t intervals at each \
         run's level. Akaike predicts d and Takeuchi tr(J⁻¹K) for n·E[gap] as n grows.\n\n\
         ![n·E[gap] against n]({picture})\n\n"
    );
    for g in series {
        s.push_str(&format!(
            "## {}\n\nd = {}, Takeuchi tr(J⁻¹K) = {}, KL(p‖q_θ₀) = {}\n\n",
            g.label,
            g.parameters,
            g.takeuchi_trace.map_or("∞".to_string(), |t| fixed(t, 4)),
            sci(g.approximation_error)
        ));
        s.push_str(&gap_table(g));
        s.push('\n');
    }
    s
}

/// The page of a KL-estimator study: one section per run.
pub fn kl_study_page(title: &str, runs: &[(String, String, KlEstimates)]) -> String {
    let mut s = format!(
        "# {title}\n\nk1 = −ln r, k2 = (ln r)²/2 and k3 = (r − 1) − ln r, with r = q(x)/p(x) \
         for samples x of p, against the closed-form KL(p‖q).\n\n"
    );
    for (from, to, k) in runs {
        s.push_str(&kl_table(from, to, k));
    }
    s
}
