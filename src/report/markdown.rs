//! The Markdown pages.

use super::format::{cell, count, fixed, interval, sci};
use crate::claims::{self, Expectation, Outcome, Verdict};
use crate::report::evidence::{Evidence, GapSeries};

/// The command that regenerates the reports at this evidence's seed and budget.
fn command(e: &Evidence) -> String {
    let mut c = "cargo run --release -- report".to_string();
    if e.seed != crate::seed::DEFAULT_SEED {
        c.push_str(&format!(" --seed {}", e.seed));
    }
    if e.budget != crate::report::evidence::Budget::Default {
        c.push_str(&format!(" --budget {}", e.budget.name()));
    }
    c
}

/// The header every page starts with.
fn header(e: &Evidence, title: &str) -> String {
    format!(
        "# {title}\n\n> logloss-proofs {} · seed {} · budget `{}` ({} cases per claim property, {} replicates per gap estimate, {} samples per KL-estimator run) · regenerate with `{}`\n\n",
        e.version,
        e.seed,
        e.budget.name(),
        e.budget.cases(),
        count(e.budget.replicates()),
        count(e.budget.samples()),
        command(e)
    )
}

fn verdict_words(v: &Verdict) -> &'static str {
    match (v.expectation, v.outcome) {
        (Expectation::Holds, Outcome::AsExpected) => {
            "holds: no violation in any case (consistent with the claim)"
        }
        (Expectation::Refuted, Outcome::AsExpected) => {
            "refuted: a counterexample was found and shrunk"
        }
        (_, Outcome::Failed) => {
            "**FAILED**: the check saw the opposite of what the catalogue states"
        }
    }
}

fn short_verdict(v: &Verdict) -> &'static str {
    match (v.expectation, v.outcome) {
        (Expectation::Holds, Outcome::AsExpected) => "holds",
        (Expectation::Refuted, Outcome::AsExpected) => "refuted (counterexample)",
        (_, Outcome::Failed) => "**FAILED**",
    }
}

fn page_of(number: u8) -> &'static str {
    match number {
        1..=3 => "identities.md",
        4..=5 => "argmin.md",
        _ => "where-they-differ.md",
    }
}

fn test_link(test: &str) -> String {
    let (file, function) = test.split_once("::").unwrap_or((test, ""));
    format!("[`{function}`](../{file})")
}

/// One claim's section.
fn claim_section(v: &Verdict) -> String {
    let claim = claims::find(v.id);
    let mut s = format!(
        "<a id=\"claim-{}\"></a>\n\n## Claim {}: {}\n\n",
        v.number, v.number, v.title
    );
    if let Some(c) = claim {
        if v.expectation == Expectation::Refuted {
            s.push_str("The false statement, searched:\n\n");
        }
        s.push_str(&format!("```text\n{}\n```\n\n", c.statement));
        s.push_str(&format!("*Hypotheses:* {}\n\n", c.hypotheses));
    }
    s.push_str(&format!(
        "*Expected:* {} · *Verdict:* {}\n\n",
        v.expectation.name(),
        verdict_words(v)
    ));
    s.push_str(&format!(
        "*Evidence:* {} cases; the worst error was {} of its derived bound; resolution (the loosest tolerance allowed: relative to compared values of at least 1, absolute below 1) {}",
        count(v.evidence.cases),
        fixed(v.evidence.worst_error_ratio, 3),
        resolution_text(&v.evidence.resolution)
    ));
    if let Some(c) = claim {
        s.push_str(&format!("; checked by {}", test_link(c.test)));
    }
    s.push_str(".\n\n");
    if !v.evidence.parts.is_empty() {
        s.push_str(
            "Each property the check ran, with the cases it passed and the comparisons they made (a statement that must hold compares something in every case):\n\n| property | must | cases passed | comparisons | resolution |\n|---|---|---:|---:|---:|\n",
        );
        for part in &v.evidence.parts {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                cell(&part.name),
                if part.search {
                    "fail (the false statement, searched)"
                } else {
                    "hold"
                },
                count(part.cases),
                count(part.comparisons),
                if part.resolution.is_set() {
                    resolution_text(&part.resolution)
                } else if part.comparisons > 0 {
                    "0 (exact comparisons only)".to_string()
                } else {
                    "—".to_string()
                }
            ));
        }
        s.push('\n');
    }
    if let Some(problem) = &v.evidence.problem {
        s.push_str(&format!("*Problem:* {}\n\n", problem));
    }
    if let Some(cx) = &v.evidence.counterexample {
        let label = if v.expectation == Expectation::Refuted {
            "Counterexample (found by search, shrunk, reproducible from the seed)"
        } else {
            "Violating case"
        };
        let searches: Vec<String> = v
            .evidence
            .searches()
            .map(|(name, st)| {
                format!(
                    "{}: {} of {} draws were counterexamples (hit rate {})",
                    name,
                    count(st.found),
                    count(st.draws),
                    fixed(st.hit_rate(), 3)
                )
            })
            .collect();
        if !searches.is_empty() {
            s.push_str(&format!(
                "*Search (every draw tried, then one counterexample shrunk):* {}.\n\n",
                searches.join("; ")
            ));
        }
        s.push_str(&format!(
            "*{label}:* {}\n\n| quantity | value |\n|---|---|\n",
            cx.summary
        ));
        for (k, val) in &cx.rows {
            s.push_str(&format!("| {} | {} |\n", cell(k), cell(val)));
        }
        s.push('\n');
    }
    s
}

fn claims_page(
    e: &Evidence,
    title: &str,
    intro: &str,
    numbers: std::ops::RangeInclusive<u8>,
) -> String {
    let mut s = header(e, title);
    s.push_str(intro);
    s.push_str("\n\n");
    for v in e.verdicts.iter().filter(|v| numbers.contains(&v.number)) {
        s.push_str(&claim_section(v));
    }
    s
}

/// A probability vector with 4 decimals.
fn vector(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|&x| fixed(x, 4)).collect();
    format!("({})", parts.join(", "))
}

/// The worked examples that open identities.md.
fn worked_examples(e: &Evidence) -> String {
    let mut s = String::from(
        "## Worked numbers

",
    );
    if let Some(first) = e.worked.first() {
        s.push_str(&format!(
            "One model prediction over three categories, q = {}, scored against three \
             targets. Each term is computed by the crate's `entropy`, `cross_entropy` and \
             `kl_divergence`, in nats, to 4 decimals:\n\n\
             | target | p | H(p) | CE(p, q) | KL(p‖q) | H(p) + KL(p‖q) |\n|---|---|---:|---:|---:|---:|\n",
            vector(&first.q)
        ));
    }
    for w in &e.worked {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            w.name,
            vector(&w.p),
            fixed(w.entropy, 4),
            fixed(w.cross_entropy, 4),
            fixed(w.kl, 4),
            fixed(w.entropy_plus_kl, 4),
        ));
    }
    s.push_str(
        "\nIn every row the cross-entropy is the entropy of the target plus the KL \
         divergence. For the one-hot label the entropy is 0, so cross-entropy and KL are \
         the same number, −ln q₁: a classifier trained on hard labels minimizes both at \
         once. For the smoothed label the entropy is not 0, and the KL reads lower than the \
         cross-entropy by exactly that entropy; since the target is fixed, the gap is a \
         constant and the two losses have the same gradient ([argmin.md](argmin.md)).\n\n\
         ## The claims\n\n",
    );
    s
}

/// identities.md: worked numbers, then claims 1–3.
pub fn identities(e: &Evidence) -> String {
    let intro = format!(
        "{}These hold for every input the checks generate: random and adversarial \
         distributions (zeros in p and in q, near-equal pairs, 1 to 10⁴ categories), \
         each comparison against a bound derived from the computation (unit roundoff \
         times a condition number of that case). \"Worst error\" is the largest ratio \
         of an observed error to its bound: below 1 means every comparison passed.",
        worked_examples(e)
    );
    claims_page(
        e,
        "Identities: cross-entropy, entropy, KL and the likelihood",
        &intro,
        1..=3,
    )
}

/// argmin.md: the picture of one logit, then claims 4–5.
pub fn argmin(e: &Evidence) -> String {
    let s = &e.sweep;
    let intro = format!(
        "With the target fixed, minimizing cross-entropy and minimizing KL divergence \
         are the same optimization problem: the objectives differ by the constant H(p), \
         so their minimizers and gradients coincide, and with the empirical distribution \
         as target both give the maximum-likelihood estimate.\n\n\
         ![cross-entropy and KL against one logit, and their slopes](argmin-logit.svg)\n\n\
         The picture: the target p = {}, the model softmax(t, 0, 0), and t on a grid of {} \
         points from {} to {}. Left, the two losses: the KL curve is the cross-entropy \
         curve moved down by H(p) = {} nats (largest |CE − KL − H(p)| on the grid: {}), so \
         both are smallest at the same t, t* = ln(p₁/p₂) = {}, where softmax(t*, 0, 0) = p \
         (on the grid both are smallest at t = {} and t = {}). Right, their slopes: both \
         are softmax(z)₁ − p₁, one curve (largest difference on the grid: {}). Since the \
         two losses have the same gradient at every parameter value, any optimizer that \
         moves by gradients, plain gradient descent, momentum or Adam alike, takes the same \
         path on either loss from the same start.",
        vector(&s.p),
        s.t.len(),
        fixed(s.t[0], 1),
        fixed(s.t[s.t.len() - 1], 1),
        fixed(s.entropy, 4),
        sci(s.max_offset_error),
        fixed(s.minimizer, 4),
        fixed(s.grid_argmin.0, 3),
        fixed(s.grid_argmin.1, 3),
        sci(s.max_slope_difference),
    );
    claims_page(e, "Same minimizer, same gradient", &intro, 4..=5)
}

/// where-they-differ.md: claims 6–9.
pub fn where_they_differ(e: &Evidence) -> String {
    let pic = &e.reverse_kl;
    let (m, s_, w, k) = pic.target;
    let picture = format!(
        "\n\n![forward and reverse KL fits of one Gaussian to a two-mode target](reverse-kl.svg)\n\n\
         The picture{}: a target with modes at ±{} (width {}, weight {} on the mode at −{}), \
         discretized on {} grid points, and the best single Gaussian under each direction on \
         that grid, drawn as densities. Forward KL(p‖q) gives μ = {}, σ = {}: one wide bump \
         over both modes. Reverse KL(q‖p) gives μ = {}, σ = {}: a narrow bump on one mode.",
        if pic.from_claim {
            " uses the parameters of claim 6's counterexample below"
        } else {
            ""
        },
        m,
        s_,
        w,
        m,
        k,
        fixed(pic.forward.1, 4),
        fixed(pic.forward.2, 4),
        fixed(pic.reverse.1, 4),
        fixed(pic.reverse.2, 4)
    );
    let intro = format!(
        "Each claim below is titled by what is true; its statement is the equivalence \
         that fails. Each check searches a domain where that statement sometimes holds, \
         tries every draw, reports how many were counterexamples, and shrinks one to a \
         small case and shows it. The equivalence of cross-entropy and \
         KL needs a fixed target, the forward direction KL(p‖q), log loss, and an \
         implementation that computes the divergence it claims to.{picture}"
    );
    claims_page(e, "Where the equivalence breaks", &intro, 6..=9)
}

fn gap_table(series: &GapSeries) -> String {
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
         grows. The variance reduction column shows the gain over the raw estimator. Gaps \
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
        s.push_str(&format!(
            "## KL(`{from}` ‖ `{to}`) = {} (closed form)\n\n| estimator | mean | standard error | bias / KL | std / KL |\n|---|---:|---:|---:|---:|\n",
            sci(k.true_kl)
        ));
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

/// The claims table of the index: number, id, the claim linked to its
/// section, and the verdict.
fn claims_table(e: &Evidence) -> String {
    let mut s = String::from("| # | id | claim | verdict |\n|---:|---|---|---|\n");
    for v in &e.verdicts {
        s.push_str(&format!(
            "| {} | `{}` | [{}]({}#claim-{}) | {} |\n",
            v.number,
            v.id,
            cell(v.title),
            page_of(v.number),
            v.number,
            short_verdict(v),
        ));
    }
    s
}

/// README.md: the question, answered point by point, with links to the evidence.
pub fn index(e: &Evidence) -> String {
    let mut s = header(e, "Cross-entropy vs KL divergence: the evidence");
    let failed = e
        .verdicts
        .iter()
        .filter(|v| v.outcome == Outcome::Failed)
        .count();
    if failed > 0 {
        s.push_str(&format!(
            "**{failed} claim(s) did not behave as stated in this run; the answers below assume they do. See the table of claims.**\n\n"
        ));
    }
    s.push_str(
        "The question: practitioners hear that training minimizes cross-entropy, that this \
         is the same as minimizing a KL divergence to the true distribution and the same as \
         maximum likelihood, and also that cross-entropy and KL are different numbers and \
         that a KL loss can train badly where binary cross-entropy trains well. Which \
         quantity is minimized, when are the three the same, and where is KL used for its \
         own sake? Each part of the question is a heading below, answered directly under \
         it, with links to the pages where this crate checks the answer.\n\n",
    );
    s.push_str(&two_targets(e));
    s.push_str(&reasoning(e));
    s.push_str(&outside_classification());
    s.push_str(&always_equivalent());
    s.push_str(&minimized_in_practice());
    s.push_str(&robustness(e));
    s.push_str(
        "## The claims\n\nEach claim is a statement this crate checks on random and adversarial inputs. \
         *holds*: no violation in any case; *refuted*: the statement is false, and the page shows a \
         counterexample found by search.\n\n",
    );
    s.push_str(&claims_table(e));
    s.push_str(
        "\n## The evidence pages\n\n\
         - [identities.md](identities.md): CE = H + KL with worked numbers, Gibbs' inequality, empirical risk = mean NLL (claims 1–3).\n\
         - [argmin.md](argmin.md): the same minimizer and the same gradient, with a picture (claims 4–5).\n\
         - [where-they-differ.md](where-they-differ.md): reverse KL, a target that moves with the parameters, other losses, KL losses as commonly implemented (claims 6–9).\n\
         - [training.md](training.md): real training runs on the Palmer penguins, cross-entropy against the KL calls as PyTorch computes them, with pictures and CSV data.\n\
         - [risk-gap.md](risk-gap.md): how optimistic the training loss is, against Akaike, Takeuchi and exact values.\n\
         - [kl-estimators.md](kl-estimators.md): estimating KL from samples (k1, k2, k3), as in KL penalties.\n\n\
         ## Appendix: how far to trust the harness\n\n\
         - [appendix.md](appendix.md): for each claim, the cases run, the worst error against its derived bound, the resolution and the test that checks it; what the run cost.\n\
         - [calibration.md](calibration.md): the statistical tests' error budget, calibration and power.\n\
         - [performance.md](performance.md): what the measures and estimators cost, next to numpy and scipy (written by `scripts/performance_report.py` from a benchmark run; the only file with timings).\n\
         - [mutation.md](mutation.md): how many deliberate bugs the tests catch (written by `scripts/mutation_report.py` from cargo-mutants runs).\n\
         - [bounds.md](bounds.md): each rounding-error bound the checks use, against 320-bit references: its worst observed error/bound ratio and the floor its test requires (written by `scripts/bounds_report.py`).\n",
    );
    s
}

/// The Normal-on-Laplace series and its largest n, if the study has them.
fn laplace_at_largest_n(e: &Evidence) -> Option<(&GapSeries, &crate::report::evidence::GapPoint)> {
    let series = e.gap.iter().find(|g| g.truth.starts_with("laplace"))?;
    Some((series, series.points.last()?))
}

/// The two targets: each example's labels, and the unknown distribution.
fn two_targets(e: &Evidence) -> String {
    let mut s = String::from(
        "## First, two different targets\n\n\
         The word \"true distribution\" is used for two different things, and most of the \
         confusion comes from mixing them up.\n\n\
         1. **The labels of one example**, pᵢ: a one-hot vector for a hard label, or a soft \
         vector (label smoothing, a teacher's probabilities). The per-example loss is \
         CE(pᵢ, q_θ(·|xᵢ)) = −Σₖ pᵢₖ ln q_θ(k|xᵢ); for a one-hot pᵢ it is −ln q_θ(yᵢ|xᵢ) and \
         H(pᵢ) = 0. This is what `F.cross_entropy` computes, example by example.\n\
         2. **The data-generating distribution** P(x, y), which nobody knows. The quantity \
         one would like to minimize is the true risk R(θ) = E_P[−ln q_θ(Y|X)] = H(Y|X) + \
         E_X[KL(P(·|X)‖q_θ(·|X))]. The training loss, the average of the per-example \
         losses, is its estimate from n draws: R̂ₙ(θ) = CE(p̂ₙ, q_θ), with p̂ₙ the empirical \
         distribution of the sample.\n\n\
         Minimizing R̂ₙ is maximum likelihood. As n grows, R̂ₙ(θ) → R(θ), so the maximum-likelihood \
         estimate heads for θ₀ = argmin KL(P‖q_θ), the member of the model family closest to P in \
         forward KL, **whether or not P is in the family**.",
    );
    if let Some((series, last)) = laplace_at_largest_n(e) {
        s.push_str(&format!(
            " For example, with the pair *{}* the model cannot be exact: the best Normal has KL(p‖q_θ₀) = {} nats \
             (in closed form ½ ln π − ½), an approximation error that no amount of data \
             removes. On top of it, the fit from n points pays an estimation error: Takeuchi's \
             theory predicts E[KL(p‖q_θ̂)] ≈ KL(p‖q_θ₀) + tr(J⁻¹K)/(2n) with tr(J⁻¹K) = {}, which \
             at n = {} is {} nats; {} simulated fits give {} nats (95% interval {}). See \
             [risk-gap.md](risk-gap.md).",
            series.label,
            fixed(series.approximation_error, 4),
            series.takeuchi_trace.map_or("∞".to_string(), |t| fixed(t, 3)),
            last.n,
            last.predicted_excess_risk
                .map_or("n/a".to_string(), |x| fixed(x, 5)),
            count(e.budget.replicates()),
            fixed(last.excess_risk.0, 5),
            interval(last.excess_risk.1, last.excess_risk.2, 5),
        ));
    }
    s.push_str("\n\n");
    s
}

/// Is the asker's line of reasoning right?
fn reasoning(e: &Evidence) -> String {
    let mut s = String::from(
        "## Is the line of reasoning right?\n\n\
         Mostly, with three corrections.\n\n\
         - **The KL that training minimizes is to the sample, not to the truth.** The mean \
         negative log-likelihood equals CE(p̂ₙ, q_θ) = H(p̂ₙ) + KL(p̂ₙ‖q_θ) exactly \
         ([identities.md](identities.md#claim-3)), and H(p̂ₙ) does not depend on θ, so \
         minimizing it minimizes KL(p̂ₙ‖q_θ): this is the sense in which empirical risk \
         minimization, cross-entropy, KL and maximum likelihood are \"the same\" \
         ([argmin.md](argmin.md)). \"Doing our best to estimate the truth in a KL sense\" is \
         the limit of that as n grows, and it is forward KL, KL(P‖q_θ): the direction that \
         covers all of P's mass rather than one of its modes \
         ([where-they-differ.md](where-they-differ.md#claim-6)).\n\
         - **The training loss is optimistic.** R̂ₙ(θ̂) underestimates R(θ̂), because θ̂ was \
         chosen to fit this sample.",
    );
    if let Some((series, last)) = laplace_at_largest_n(e) {
        s.push_str(&format!(
            " For the pair *{}* at n = {}, n·E[R(θ̂) − R̂ₙ(θ̂)] = {} (95% interval {}), close to \
             Takeuchi's tr(J⁻¹K) = {} and not to Akaike's d = {}, which assumes the truth is \
             in the family ([risk-gap.md](risk-gap.md)).",
            series.label,
            last.n,
            fixed(last.scaled_gap.0, 3),
            interval(last.scaled_gap.1, last.scaled_gap.2, 3),
            series
                .takeuchi_trace
                .map_or("∞".to_string(), |t| fixed(t, 3)),
            series.parameters,
        ));
    }
    s.push_str(
        "\n- **Log loss is a choice of loss, not a consequence of making decisions.** The \
         chain \"risk → empirical risk → NLL → KL\" holds for log loss. A decision scored by \
         another loss (0–1, squared) has its own risk, and its minimizer need not be the \
         maximum-likelihood fit ([where-they-differ.md](where-they-differ.md#claim-8)). Log \
         loss is used because it is proper (the true distribution minimizes its expected \
         value) and it gives the likelihood.\n\n\
         The last sentence of the reasoning is right as stated: CE and KL are different \
         numbers, CE(p, q) = H(p) + KL(p‖q) ([identities.md](identities.md#claim-1)). They \
         differ by H(p), which is a constant when the target does not depend on the model.\n\n",
    );
    s
}

/// Uses outside classification, and where KL is minimized for its own sake.
fn outside_classification() -> String {
    String::from(
        "## Are they used outside classification, and where is KL minimized directly?\n\n\
         Cross-entropy, as a negative log-likelihood, is the default loss of any \
         probabilistic model, classification or not:\n\n\
         - **Regression**: the Gaussian NLL, ln σ + (y − μ)²/(2σ²) + ½ ln 2π, is the \
         cross-entropy from the data to the model; with σ fixed it is the squared error up to \
         constants. Counts (Poisson NLL), durations, densities (normalizing flows) work the same way.\n\
         - **Language models** minimize the next-token cross-entropy, a classification over the vocabulary at every position.\n\n\
         KL appears as the objective itself where the target is a distribution, not a label:\n\n\
         - **Variational inference** fits q_φ to a posterior by minimizing the *reverse* KL, \
         KL(q_φ‖p(·|x)), through the evidence lower bound, because samples of q_φ are \
         available and the posterior's normalizer is not. Reverse KL seeks a mode \
         ([where-they-differ.md](where-they-differ.md#claim-6)). The KL term of a variational \
         autoencoder is of this kind.\n\
         - **Distillation with soft targets** minimizes KL(teacher‖student). With the teacher \
         fixed (detached) it has the same gradient as cross-entropy to the teacher's \
         probabilities; the KL value is convenient because it is 0 at a perfect match \
         ([training.md](training.md)).\n\
         - **KL penalties in policy optimization**: fine-tuning a language model by \
         reinforcement learning adds a per-token penalty β·KL(policy‖reference), estimated \
         from the sampled tokens with the one-sample estimators k1, k2 or k3 \
         ([kl-estimators.md](kl-estimators.md)).\n\
         - **t-SNE** places points in two dimensions by minimizing KL(P‖Q) between the \
         neighbour probabilities P of the data and Q of the embedding.\n\n",
    )
}

/// Does CE ≡ KL ≡ NLL always hold?
fn always_equivalent() -> String {
    String::from(
        "## Does CE ≡ KL ≡ NLL always hold?\n\n\
         As values, no: CE = H + KL, equal only when the target has zero entropy (one-hot \
         labels). As optimization problems, yes, under four conditions, and each one can fail:\n\n\
         1. **The target does not depend on the parameters.** Then H(p) is a constant and the \
         two objectives have the same minimizer ([argmin.md](argmin.md#claim-4)) and the \
         same gradient, softmax(z) − p in the logits ([argmin.md](argmin.md#claim-5)). A \
         teacher that is co-trained and not detached breaks this: the gradients differ by \
         ∇H(p_θ) ([where-they-differ.md](where-they-differ.md#claim-7)).\n\
         2. **The direction is forward, KL(p‖q).** The reverse direction has a different \
         minimizer ([where-they-differ.md](where-they-differ.md#claim-6)).\n\
         3. **The loss is log loss.** Only log loss turns empirical risk into the likelihood \
         ([where-they-differ.md](where-they-differ.md#claim-8)).\n\
         4. **The code computes the divergence it names.** Reductions, argument conventions \
         and floating point can make a \"KL loss\" something else \
         ([where-they-differ.md](where-they-differ.md#claim-9), [training.md](training.md)).\n\n\
         \"KL ≡ NLL\" also needs discrete data: for continuous data the empirical distribution \
         has no density, KL(p̂ₙ‖q_θ) is +∞ for every θ, and only the NLL is a usable number \
         ([identities.md](identities.md#claim-3)).\n\n",
    )
}

/// What is minimized directly in practice.
fn minimized_in_practice() -> String {
    String::from(
        "## What is minimized directly in practice?\n\n\
         **The mean negative log-likelihood, that is, cross-entropy.** Classification losses \
         (softmax cross-entropy, binary cross-entropy) compute −ln q_θ(y|x) per example and \
         average it. Code computes cross-entropy rather than KL because H(p) is work that \
         changes nothing (it is 0 for one-hot labels, where the two are equal even in value) \
         and because the NLL exists for continuous data where KL to the sample does not. KL \
         is computed directly where its value matters: with soft targets (distillation, \
         where it reads 0 at a perfect match), as a regularizer (variational inference, KL \
         penalties), or to monitor how far two distributions are. Its gradient is then the \
         cross-entropy's whenever the target is fixed.\n\n",
    )
}

/// Is BCE really more robust than KL?
fn robustness(e: &Evidence) -> String {
    let t = &e.training;
    let mut s = String::from("## Is binary cross-entropy really more robust than KL?\n\n");
    if let Some(q) = t.equivalences.first() {
        s.push_str(&format!(
            "Not when the KL is computed correctly. Softmax regression on the Palmer penguins, \
             trained with `F.cross_entropy` and with `F.kl_div(F.log_softmax(logits, -1), \
             target, reduction='batchmean')`, takes the same steps: over the whole run the \
             parameters of the two runs stay within {} of each other, under a derived rounding \
             bound of {} ([training.md](training.md)). ",
            sci(q.paths.max_difference),
            sci(q.paths.bound),
        ));
    }
    s.push_str(&format!(
        "The reports of a KL that \"was unusable\" come from calls that compute something \
         else, each run on the same data on the training page: the `mean` reduction divides \
         by batch × classes, so the steps are {} = C times smaller; probabilities passed \
         where `F.kl_div` expects log-probabilities; a KL on one sigmoid output, which gives \
         the negative examples a gradient of exactly {}, so the model learns to predict 1 \
         for everyone; `torch.log(F.softmax(...))` in float32, which turns into NaN once a \
         probability underflows; and a teacher that is not detached. \
         The minibatch argument (the target's entropy changes from batch to batch, so KL is \
         \"unstable\") does not hold either: each example's entropy is a constant, so on every \
         batch KL and cross-entropy have the same gradient; the batch-mean entropy ranged \
         from {} to {} nats over the run, moving the printed loss and not the parameters \
         (max distance between the runs {}, bound {}).\n\n",
        fixed(t.mean.factor, 0),
        fixed(t.sigmoid.max_negative_gradient, 1),
        fixed(t.minibatch.entropy.0, 4),
        fixed(t.minibatch.entropy.1, 4),
        sci(t.minibatch.paths.max_difference),
        sci(t.minibatch.paths.bound),
    ));
    s
}

/// A resolution figure: "—" where no comparison of its kind allowed a
/// tolerance.
fn figure(x: f64) -> String {
    if x == 0.0 { "—".to_string() } else { sci(x) }
}

/// A resolution as "R rel · A abs", followed by the rounding figures alone
/// where approximation allowances widened it.
fn resolution_text(r: &claims::Resolution) -> String {
    let pair = |rel, abs| format!("{} rel · {} abs", figure(rel), figure(abs));
    let all = pair(r.relative, r.absolute);
    if (r.relative, r.absolute) == (r.rounding_relative, r.rounding_absolute) {
        all
    } else {
        format!(
            "{all} (rounding alone: {})",
            pair(r.rounding_relative, r.rounding_absolute)
        )
    }
}

/// appendix.md: the harness's statistics for each claim, and what the run cost.
pub fn appendix(e: &Evidence) -> String {
    let mut s = header(e, "Appendix: how far to trust the harness");
    s.push_str(&format!(
        "Back to the answers: [README.md](README.md). The main pages speak about \
         cross-entropy and KL; this page and the ones it links \
         speak about the checks. For each claim: the cases run, the worst error / bound (the \
         largest ratio of an observed error to its derived bound; below 1 means every \
         comparison passed), and the resolution: the loosest tolerance any comparison \
         allowed, relative to compared values of at least 1 and absolute for smaller ones, so \
         that an implementation error larger than that, in any comparison, fails the check. \
         Every tolerance counts, the allowances of mathematical approximations too (claim 3's \
         binned densities, claim 5's descent after finitely many steps); the last column counts \
         the rounding allowances alone, which must be {} or finer in every check.\n\n\
         | # | claim | expected | verdict | cases | worst error / bound | resolution, relative | resolution, absolute | rounding alone (relative · absolute) | checked by |\n\
         |---:|---|---|---|---:|---:|---:|---:|---:|---|\n",
        sci(claims::REQUIRED_RESOLUTION)
    ));
    for v in &e.verdicts {
        let test = claims::find(v.id).map_or(String::new(), |c| test_link(c.test));
        s.push_str(&format!(
            "| {} | [{}]({}#claim-{}) | {} | {} | {} | {} | {} | {} | {} · {} | {} |\n",
            v.number,
            cell(v.title),
            page_of(v.number),
            v.number,
            v.expectation.name(),
            short_verdict(v),
            count(v.evidence.cases),
            fixed(v.evidence.worst_error_ratio, 3),
            figure(v.evidence.resolution.relative),
            figure(v.evidence.resolution.absolute),
            figure(v.evidence.resolution.rounding_relative),
            figure(v.evidence.resolution.rounding_absolute),
            test
        ));
    }
    s.push_str(
        "\n## The other pages of the appendix\n\n\
         - [calibration.md](calibration.md): the statistical tests' error budget, calibration and power.\n\
         - [performance.md](performance.md): what the measures and estimators cost, next to numpy and scipy (written by `scripts/performance_report.py`; the only file with timings).\n\
         - [mutation.md](mutation.md): how many deliberate bugs the tests catch (written by `scripts/mutation_report.py`).\n\
         - [bounds.md](bounds.md): each rounding-error bound against 320-bit references, with its worst observed ratio (written by `scripts/bounds_report.py`).\n\n",
    );
    let cases: u64 = e.verdicts.iter().map(|v| v.evidence.cases).sum();
    let replicates =
        e.budget.replicates() * (e.gap.len() * crate::report::evidence::GAP_SIZES.len()) as u64;
    let points: u64 = e
        .gap
        .iter()
        .flat_map(|g| g.points.iter())
        .map(|p| p.n as u64 * e.budget.replicates())
        .sum();
    s.push_str(&format!(
        "## What the run cost\n\n{} claim cases; {} gap replicates ({} simulated training points); {} samples for the KL estimators. Timings are machine-dependent and live in the performance report, not here.\n",
        count(cases),
        count(replicates),
        count(points),
        count(e.budget.samples() * e.kl.len() as u64)
    ));
    s
}

/// calibration.md: the error budget, the observed false-failure rates and the power.
pub fn calibration(e: &Evidence) -> String {
    use crate::estimators::budget::{ASSERTIONS, FAMILY_WISE_BUDGET, allotted};
    let c = &e.calibration;
    let mut s = header(
        e,
        "Appendix: can the checks be trusted? Error budget, calibration, power",
    );
    s.push_str(
        "Part of the appendix on how far to trust the harness ([appendix.md](appendix.md)); \
         the answers themselves are in [README.md](README.md).\n\n",
    );
    s.push_str(&format!(
        "## The error budget

The test suite makes {} statistical assertions. Their family-wise probability of a false failure (a failure although every claim is true) is held below {} by Bonferroni's allocation: each assertion runs at level {}, through the normal approximation of Monte Carlo means. The floating-point checks of the claim catalogue are not statistical: they compare against derived rounding bounds and are deterministic at a fixed seed.\n\n| assertions (how many): the rest of each name | allotted false-failure probability |\n|---|---:|\n",
        ASSERTIONS.len(),
        sci(FAMILY_WISE_BUDGET),
        sci(allotted(ASSERTIONS[0]).unwrap_or(f64::NAN))
    ));
    for (group, members, level) in &e.budget_groups {
        s.push_str(&format!(
            "| `{group}/…` ({}): {} | {} each |\n",
            members.len(),
            members
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            sci(*level)
        ));
    }
    s.push_str(&format!(
        "\n## Calibration\n\nEach statistical check is rerun under {} seeds at the nominal level {}, on cases where its claim is true, so false failures are frequent enough to count. The interval is Clopper–Pearson at {}; *consistent* means it holds the nominal level. Regenerate with more seeds through `cargo run --release -- calibrate --seeds 1000`.\n\n| check | runs | false failures | rate | interval | consistent |\n|---|---:|---:|---:|---|---|\n",
        count(c.seeds),
        fixed(c.level, 3),
        fixed(crate::claims::calibration::INTERVAL_CONFIDENCE, 3)
    ));
    for k in &c.checks {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            k.id,
            count(k.runs),
            count(k.false_failures),
            fixed(k.rate, 4),
            interval(k.ci_low, k.ci_high, 4),
            if k.consistent { "yes" } else { "**no**" }
        ));
    }
    s.push_str("\n## Power\n\nHow large a planted violation must be before a check catches it in at least 90% of seeds, at the default budget of the test suite. Each study lists its effects from the smallest (hardest to catch) to the largest.\n\n");
    for p in &e.power_studies {
        s.push_str(&format!(
            "### `{}`: {}\n\nThe effect is {}. The smallest effect tried that the check caught in ≥ 90% of {} seeds: {}.\n\n| effect | {}fraction of seeds caught |\n|---:|{}---:|\n",
            p.id,
            p.planted,
            p.effect,
            count(p.seeds),
            p.smallest_caught.map_or("none of those tried".to_string(), sci),
            if p.points.iter().any(|q| !q.tried.is_empty()) { "tried | " } else { "" },
            if p.points.iter().any(|q| !q.tried.is_empty()) { "---|" } else { "" },
        ));
        for q in &p.points {
            let tried = if q.tried.is_empty() {
                String::new()
            } else {
                format!("{} | ", q.tried)
            };
            s.push_str(&format!(
                "| {} | {tried}{} |\n",
                sci(q.effect),
                fixed(q.caught, 3)
            ));
        }
        s.push('\n');
    }
    s
}

/// A percentage with one decimal.
fn percent(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

/// A figure's picture, its CSV link and each curve's call.
fn training_figure(f: &crate::models::training::study::Figure) -> String {
    let mut s = format!(
        "![{}]({}.svg)\n\nData: [`data/{}.csv`](data/{}.csv).\n\n| curve | PyTorch call | rate |\n|---|---|---:|\n",
        f.title, f.stem, f.stem, f.stem
    );
    for c in &f.curves {
        s.push_str(&format!(
            "| {} | `{}` | {} |\n",
            cell(c.label),
            cell(c.call),
            fixed(c.rate, 2)
        ));
    }
    s.push('\n');
    s
}

/// training.md: real training runs, CE against the KL calls.
pub fn training(e: &Evidence) -> String {
    use crate::models::training::study::{
        CO_TRAINED_MIX, CO_TRAINED_TEMPERATURE, MINIBATCH_SIZE, RATE, SMOOTHING, STEPS,
        TEACHER_TEMPERATURE,
    };
    let t = &e.training;
    let d = &t.data;
    let figure = |stem: &str| {
        t.figures
            .iter()
            .find(|f| f.stem == stem)
            .map(training_figure)
            .unwrap_or_default()
    };
    let mut s = header(e, "Training with cross-entropy and with KL: real runs");
    s.push_str(
        "> \"In my experience BCE is far more robust than KL; KL was unusable. Are they \
         equivalent as training losses?\"\n\n\
         Yes, when the KL is the one that equals cross-entropy minus a constant: \
         `F.kl_div(F.log_softmax(logits, -1), target, reduction='batchmean')` with a target \
         that does not depend on the parameters trains exactly like \
         `F.cross_entropy(logits, target)`: the same iterates, step after step, within a \
         rounding bound derived below; only the loss values differ, by the mean entropy of \
         the targets. A KL that is unusable is a different call: the `mean` reduction \
         (C times smaller steps), probabilities passed where log-probabilities are expected, \
         a KL on one sigmoid output (negatives ignored), `torch.log(F.softmax(...))` in \
         float32 (NaN once a probability underflows), or a teacher that is not detached. \
         Each is run below on real data, next to its cross-entropy reference.\n\n",
    );
    s.push_str(&format!(
        "## The data, the model, the optimizer\n\n\
         The Palmer penguins (Gorman, Williams & Fraser 2014, PLoS ONE 9(3):e90081; CC0 1.0; \
         [`data/penguins.csv`](../data/penguins.csv), embedded in the library, see \
         [`data/README.md`](../data/README.md)): {} rows, of which {} have a missing value \
         (`NA`) in a measurement or in the sex and are dropped. The {} complete rows are \
         shuffled with the stream `training/split` of seed {} and split into {} training \
         and {} held-out rows. Training rows per species: Adélie {}, Chinstrap {}, Gentoo {}. \
         The four measurements are standardized with the training split's mean and \
         standard deviation:\n\n\
         | feature | mean | standard deviation |\n|---|---:|---:|\n",
        d.rows_in_file,
        d.dropped,
        d.train + d.held_out,
        e.seed,
        d.train,
        d.held_out,
        d.train_per_class[0],
        d.train_per_class[1],
        d.train_per_class[2],
    ));
    for (k, name) in crate::models::training::data::FEATURES.iter().enumerate() {
        s.push_str(&format!(
            "| `{name}` | {} | {} |\n",
            fixed(d.mean[k], 3),
            fixed(d.std[k], 3)
        ));
    }
    s.push_str(&format!(
        "\nThe model is a softmax regression, logits = W·(1, x̃), W a 3 × 5 matrix starting \
         at 0, trained by plain full-batch gradient descent with a fixed step size η = {} \
         for {} steps (the minibatch run draws its batches from the stream \
         `training/minibatch`). The binary task (sigmoid losses) predicts the sex, male = 1, \
         from the same inputs. Each figure plots, against the step, the training loss as \
         the call returns it, the held-out negative log-likelihood (the mean −ln q(y), the \
         same measure for every run) and the held-out accuracy; its CSV beside it has one \
         line per curve and step (`{}`).\n\n",
        fixed(RATE, 2),
        STEPS,
        crate::report::csv::HEADER
    ));
    s.push_str(
        "### How close is \"the same path\"?\n\n\
         Two runs that take the same exact steps but compute them by different formulas \
         (the closed form (q − t)/n for cross-entropy, the chain rule as autograd runs it \
         for KL) differ by rounding only. Each computed step is the exact step plus an \
         error εₖ, bounded by running error analysis from u = 2⁻⁵³ and the step's own \
         magnitudes (the logits' dot products, the softmax, the gradient sum over the rows, \
         the update). The exact step θ ↦ θ − η∇f(θ) of a convex function whose Hessian is \
         bounded by L is non-expansive when η ≤ 2/L (the gradient is co-coercive), and for \
         softmax regression L ≤ max Σt · (1/n)Σ‖x‖² / 2 = 2.5 on this data, so with \
         η = 0.5 the distance between the two runs after k steps is at most the sum of \
         both runs' εⱼ, j < k. The tables give the largest distance seen and that bound.\n\n",
    );

    // 1–2.
    s.push_str(
        "## Cross-entropy and KL (`batchmean`): the same training\n\n\
         ```python\nF.cross_entropy(logits, y)                                                      # the reference\n\
         F.kl_div(F.log_softmax(logits, -1), F.one_hot(y, 3).float(), reduction='batchmean')\n\
         F.cross_entropy(logits, target)                                                 # soft targets\n\
         F.kl_div(F.log_softmax(logits, -1), target, reduction='batchmean')\n```\n\n",
    );
    s.push_str(&format!(
        "Soft targets: label smoothing, target = one_hot·(1 − ε) + ε/3 with ε = {}, and a \
         fixed teacher's probabilities, softmax(z/{}) of the reference model after {} steps. \
         For each, the cross-entropy run and the KL run:\n\n\
         | targets | mean H(target) (nats) | final CE loss | final KL loss | max ‖θ_CE − θ_KL‖₂ over the run | bound | max \\|KL − CE + H̄\\| at the same θ | held-out NLL | held-out accuracy |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        fixed(SMOOTHING, 2),
        fixed(TEACHER_TEMPERATURE, 0),
        STEPS
    ));
    for q in &t.equivalences {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            q.targets,
            fixed(q.entropy.0, 4),
            fixed(q.final_losses.0, 4),
            sci(q.final_losses.1),
            sci(q.paths.max_difference),
            sci(q.paths.bound),
            sci(q.offset_error),
            fixed(q.final_held_out.0, 4),
            percent(q.final_held_out.1),
        ));
    }
    s.push_str(
        "\nThe KL curves lie on the cross-entropy curves in the held-out panels (dashed on \
         solid); in the training-loss panel each KL curve sits below its cross-entropy curve \
         by the mean entropy of the targets, a constant (0 for one-hot labels, where the two \
         losses are equal). A KL loss near 0 while the cross-entropy stays near H̄ is the \
         same model.\n\n",
    );
    s.push_str(&figure("training-equivalent"));

    // 3.
    let m = &t.mean;
    s.push_str(&format!(
        "## `reduction='mean'`: C times smaller steps\n\n\
         ```python\nF.kl_div(F.log_softmax(logits, -1), F.one_hot(y, 3).float())   # reduction='mean', the default\n```\n\n\
         `mean` divides the elementwise sum by batch × classes where `batchmean` divides by \
         the batch: the divisors are in ratio exactly {} = C, so the loss and its gradient \
         are C times smaller (the gradients at W = 0 are in ratio C to within {} relative, \
         within their rounding bounds), and so is the effective learning rate. At η = {} \
         the `mean` run ends at held-out NLL {} against the reference's {}; with the rate \
         multiplied by C, η = {}, it follows the reference path: max ‖θ − θ_ref‖₂ = {}, \
         bound {}, held-out NLL {}.\n\n",
        fixed(m.factor, 0),
        sci(m.gradient_ratio_error),
        fixed(RATE, 2),
        fixed(m.final_held_out[1].0, 4),
        fixed(m.final_held_out[0].0, 4),
        fixed(m.factor * RATE, 2),
        sci(m.scaled.max_difference),
        sci(m.scaled.bound),
        fixed(m.final_held_out[2].0, 4),
    ));
    s.push_str(&figure("training-mean"));

    // 4.
    let p = &t.probabilities;
    s.push_str(&format!(
        "## Probabilities where log-probabilities are expected\n\n\
         ```python\nF.kl_div(F.softmax(logits, -1), F.one_hot(y, 3).float())   # input should be log-probabilities\n```\n\n\
         `F.kl_div` computes Σ t·(ln t − input); given q instead of ln q, each example \
         contributes −q(y)/(nC) for one-hot targets. The objective drives the mean predicted \
         probability of the true class up, toward 1, and the printed \"KL\" down toward \
         −1/C = {}: it goes from {} at W = 0 to {} after {} steps, a negative value no KL \
         can take. It is a bounded score of probabilities, not of log-probabilities: its \
         gradient q(y)·(e_y − q)/(nC) vanishes on an example whose true class has \
         probability near 0, where cross-entropy's pull is largest. On this data the model \
         still learns (final mean true-class probability {} against the reference's {}), \
         with held-out NLL {} against {} and accuracy {} against {}.\n\n",
        fixed(p.infimum, 4),
        fixed(p.losses.0, 4),
        fixed(p.losses.1, 4),
        STEPS,
        fixed(p.final_true_class_probability.1, 4),
        fixed(p.final_true_class_probability.0, 4),
        fixed(p.final_held_out[1].0, 4),
        fixed(p.final_held_out[0].0, 4),
        percent(p.final_held_out[1].1),
        percent(p.final_held_out[0].1),
    ));
    s.push_str(&figure("training-probabilities"));

    // 5.
    let g = &t.sigmoid;
    s.push_str(&format!(
        "## A KL on one sigmoid output\n\n\
         ```python\nF.binary_cross_entropy_with_logits(z, y)      # the reference\n\
         F.kl_div(torch.log(torch.sigmoid(z)), y)      # one output read as a distribution\n```\n\n\
         The KL call sees one entry per example: its loss is xlogy(y, y) − y·ln σ(z), so a \
         negative example (y = 0, female) contributes exactly 0 and its gradient is exactly \
         0 (largest |∂loss/∂z| over the negatives and all {} steps: {}). Only the positives \
         pull, and they pull z up: the model drifts to predicting 1 for everyone. After {} \
         steps it predicts male for {} of the held-out penguins, so its accuracy is the \
         share of males, {}, with held-out binary cross-entropy {} while its own loss reads \
         {}. Binary cross-entropy on the same data: accuracy {}, held-out BCE {}.\n\n",
        STEPS,
        fixed(g.max_negative_gradient, 1),
        STEPS,
        percent(g.final_held_out[1].2),
        percent(g.final_held_out[1].1),
        fixed(g.final_held_out[1].0, 4),
        fixed(g.final_kl_loss, 4),
        percent(g.final_held_out[0].1),
        fixed(g.final_held_out[0].0, 4),
    ));
    s.push_str(&figure("training-sigmoid"));

    // 6.
    let f = &t.float32;
    s.push_str(&format!(
        "## `torch.log(F.softmax(...))` in float32\n\n\
         ```python\nF.kl_div(torch.log(F.softmax(logits, -1)), target, reduction='batchmean')   # float32\n\
         F.kl_div(F.log_softmax(logits, -1), target, reduction='batchmean')              # float32\n```\n\n\
         Both runs in float32 (Rust `f32`) with one-hot targets and a large step size, \
         η = {}. In float32, exp(x) is 0 for x below about −103.97, so once the logits of a \
         row spread by more than that, softmax returns an exact 0, its log is −∞, and the \
         KL term 0·(−∞) is NaN; the backward pass divides 0 by 0 and every parameter \
         becomes NaN.",
        f.rate
    ));
    if let Some(x) = &f.failure {
        let ls = f.log_softmax_at_failure.unwrap_or([f32::NAN; 3]);
        s.push_str(&format!(
            " Here it happens at step {}: training row {} (species {}) has logits \
             ({}, {}, {}), softmax ({}, {}, {}), and the loss is {}. `F.log_softmax` of the \
             same logits is ({}, {}, {}), finite; the `log_softmax` run stays finite at \
             every step (largest logit spread {}) and ends at held-out accuracy {} and NLL {}.\n\n",
            x.step,
            x.row,
            crate::models::training::data::SPECIES[x.label],
            x.logits[0],
            x.logits[1],
            x.logits[2],
            x.softmax[0],
            x.softmax[1],
            x.softmax[2],
            x.loss,
            ls[0],
            ls[1],
            ls[2],
            f.log_softmax_max_spread,
            percent(f.final_held_out[1].1),
            fixed(f.final_held_out[1].0, 4),
        ));
    } else {
        s.push_str(" In this run no probability underflowed.\n\n");
    }
    s.push_str(&figure("training-float32"));

    // 7.
    let c = &t.co_trained;
    s.push_str(&format!(
        "## A teacher that moves with the parameters\n\n\
         ```python\ntarget = {} * F.one_hot(y, 3) + {} * F.softmax(logits / {}, -1)   # the model's own softened prediction\n\
         F.cross_entropy(logits, target)                                           # or target.detach()\n\
         F.kl_div(F.log_softmax(logits, -1), target, reduction='batchmean')        # or target.detach()\n```\n\n\
         When the target depends on θ and is not detached, autograd differentiates it too, \
         and cross-entropy = H(target) + KL: the two gradients differ by ∇H(target). Along \
         the detached run, the KL and cross-entropy gradients at the same parameters differ \
         by at most {} (the largest ratio to their rounding bound: {}). Without `detach`, \
         at the same parameters they differ by between {} and {} (largest entry, over the \
         steps). Trained, the cross-entropy run lowers the target's entropy (it makes its \
         own teacher confident: mean H(target) {} at the end) where the KL run does not \
         ({}; detached: {}); held-out NLL {} (CE), {} (KL), {} (detached).\n\n",
        fixed(1.0 - CO_TRAINED_MIX, 1),
        fixed(CO_TRAINED_MIX, 1),
        fixed(CO_TRAINED_TEMPERATURE, 0),
        sci(c.detached.0),
        sci(c.detached.1),
        sci(c.attached.0),
        sci(c.attached.1),
        fixed(c.final_entropy[0], 4),
        fixed(c.final_entropy[1], 4),
        fixed(c.final_entropy[2], 4),
        fixed(c.final_held_out[0].0, 4),
        fixed(c.final_held_out[1].0, 4),
        fixed(c.final_held_out[2].0, 4),
    ));
    s.push_str(&figure("training-teacher"));

    // 8.
    let b = &t.minibatch;
    s.push_str(&format!(
        "## Minibatches\n\n\
         ```python\nfor xb, tb in batches:   # {} rows each, teacher targets\n    F.cross_entropy(model(xb), tb)  # or F.kl_div(F.log_softmax(model(xb), -1), tb, reduction='batchmean')\n```\n\n\
         Each example's H(tᵢ) does not depend on θ, so on every minibatch the KL and the \
         cross-entropy have the same gradient: the two runs take the same steps. What moves \
         from batch to batch is the loss *value*: KL = CE − H̄_batch, and H̄_batch ranged \
         from {} to {} nats over this run's batches (max |KL − CE + H̄_batch| at the same θ: \
         {}). The paths coincide: max ‖θ_CE − θ_KL‖₂ = {}, bound {}; held-out NLL {}, \
         accuracy {}. An entropy that varies across minibatches shifts the printed loss, \
         not the training.\n\n",
        MINIBATCH_SIZE,
        fixed(b.entropy.0, 4),
        fixed(b.entropy.1, 4),
        sci(b.offset_error),
        sci(b.paths.max_difference),
        sci(b.paths.bound),
        fixed(b.final_held_out.0, 4),
        percent(b.final_held_out.1),
    ));
    s.push_str(&figure("training-minibatch"));
    s.push_str(
        "## How this page is checked\n\n\
         Every number above comes from the runs, and every statement is asserted by \
         [`tests/training.rs`](../tests/training.rs) and the unit tests of `src/models/training/`: \
         the iterates within their derived bounds, the `mean` factor C, the zero gradient \
         of the negatives, the float32 failure at the stated logits next to a finite \
         `log_softmax`, the detached and attached teacher gradients, and the minibatch paths.\n",
    );
    s
}
