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
        "*Evidence:* {} cases; the worst error was {} of its derived bound; resolution {} (the loosest tolerance allowed, relative to the value compared)",
        count(v.evidence.cases),
        fixed(v.evidence.worst_error_ratio, 3),
        sci(v.evidence.resolution)
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
                if part.resolution > 0.0 {
                    sci(part.resolution)
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

/// identities.md: claims 1–3.
pub fn identities(e: &Evidence) -> String {
    claims_page(
        e,
        "Identities: cross-entropy, entropy, KL and the likelihood",
        "These hold for every input the checks generate: random and adversarial \
         distributions (zeros in p and in q, near-equal pairs, 1 to 10⁴ categories), \
         each comparison against a bound derived from the computation (unit roundoff \
         times a condition number of that case). \"Worst error\" is the largest ratio \
         of an observed error to its bound: below 1 means every comparison passed.",
        1..=3,
    )
}

/// argmin.md: claims 4–5.
pub fn argmin(e: &Evidence) -> String {
    claims_page(
        e,
        "Same minimizer, same gradient",
        "With the target fixed, minimizing cross-entropy and minimizing KL divergence \
         are the same optimization problem: the objectives differ by the constant H(p), \
         so their minimizers and gradients coincide, and with the empirical distribution \
         as target both give the maximum-likelihood estimate.",
        4..=5,
    )
}

/// where-they-differ.md: claims 6–9.
pub fn where_they_differ(e: &Evidence) -> String {
    let pic = &e.reverse_kl;
    let (m, s_, w) = pic.target;
    let picture = format!(
        "\n\n![forward and reverse KL fits of one Gaussian to a two-mode target](reverse-kl.svg)\n\n\
         The picture: a target with modes at ±{} (width {}, weight {} on the mode at −{}), and the \
         best single Gaussian under each direction on the same grid. Forward KL(p‖q) gives \
         μ = {}, σ = {}: one wide bump over both modes. Reverse KL(q‖p) gives μ = {}, σ = {}: \
         a narrow bump on one mode.",
        fixed(m, 2),
        fixed(s_, 2),
        fixed(w, 2),
        fixed(m, 2),
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
        "| n | n·E[gap] | 95% interval | raw n·E[gap] ± s.e. | variance reduction | exact n·E[gap] | E[KL(p‖q_θ̂)] | infinite |\n|---:|---:|---|---:|---:|---:|---:|---:|\n",
    );
    for p in &series.points {
        s.push_str(&format!(
            "| {} | {} | {} | {} ± {} | {}× | {} | {} | {} |\n",
            p.n,
            fixed(p.scaled_gap.0, 3),
            interval(p.scaled_gap.1, p.scaled_gap.2, 3),
            fixed(p.scaled_raw.0, 3),
            fixed(p.scaled_raw.1, 3),
            fixed(p.variance_reduction, 1),
            p.scaled_exact.map_or("–".to_string(), |x| fixed(x, 3)),
            sci(p.excess_risk.0),
            fixed(p.infinite_fraction, 4),
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
         grows. The variance reduction column shows the gain over the raw estimator.\n\n\
         ![n·E[gap] against n, with Akaike's d and Takeuchi's tr(J⁻¹K)](gap.svg)\n\n",
    );
    for series in &e.gap {
        s.push_str(&format!(
            "## Model `{}` on data from `{}` ({})\n\n",
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
        s.push_str(&gap_table(series));
        s.push('\n');
    }
    s
}

/// kl-estimators.md: k1, k2, k3 against the closed-form KL.
pub fn kl_estimators(e: &Evidence) -> String {
    let mut s = header(e, "Estimating KL from samples: k1, k2, k3");
    s.push_str(
        "For samples x of p and the density ratio r = q(x)/p(x), three per-sample \
         estimators of KL(p‖q): k1 = −ln r (unbiased, can be negative, noisy), \
         k2 = (ln r)²/2 (biased, low variance), and k3 = (r − 1) − ln r (unbiased, \
         never negative: k1 plus the zero-mean control variate r − 1). The tables \
         give each one's mean, its bias relative to the closed-form KL, and the \
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
    s
}

/// README.md: the index and the short answer.
pub fn index(e: &Evidence) -> String {
    let mut s = header(e, "Cross-entropy vs KL divergence: the evidence");
    s.push_str("## The short answer\n\n");
    s.push_str(&short_answer(e));
    s.push_str(&format!("\n## Claims and verdicts\n\nA claim expected to *hold* was checked on every case without a violation; a claim expected to be *refuted* states a false equivalence, and its verdict is a counterexample found by search and shrunk. Worst error / bound is the largest ratio of an observed error to its derived bound (below 1 means every comparison passed). Resolution is the loosest tolerance any comparison allowed, relative to the value compared (absolute below 1): an implementation error larger than that, in any comparison, fails the check. Every check must resolve {} or finer.\n\n| # | claim | expected | verdict | cases | worst error / bound | resolution | checked by |\n|---:|---|---|---|---:|---:|---:|---|\n",
        sci(claims::REQUIRED_RESOLUTION)
    ));
    for v in &e.verdicts {
        let test = claims::find(v.id).map_or(String::new(), |c| test_link(c.test));
        s.push_str(&format!(
            "| {} | [{}]({}#claim-{}) | {} | {} | {} | {} | {} | {} |\n",
            v.number,
            cell(v.title),
            page_of(v.number),
            v.number,
            v.expectation.name(),
            short_verdict(v),
            count(v.evidence.cases),
            fixed(v.evidence.worst_error_ratio, 3),
            sci(v.evidence.resolution),
            test
        ));
    }
    s.push_str(
        "\n## The reports\n\n\
         - [identities.md](identities.md): CE = H + KL, Gibbs' inequality, empirical risk = NLL (claims 1–3).\n\
         - [argmin.md](argmin.md): same minimizer and gradient (claims 4–5).\n\
         - [where-they-differ.md](where-they-differ.md): reverse KL, moving targets, other losses, implementation pitfalls (claims 6–9).\n\
         - [risk-gap.md](risk-gap.md): how optimistic the training loss is, against Akaike, Takeuchi and exact values.\n\
         - [kl-estimators.md](kl-estimators.md): estimating KL from samples.\n\
         - [calibration.md](calibration.md): the tests' error budget, calibration and power.\n\
         - [performance.md](performance.md): what the measures and estimators cost, next to numpy and scipy (written by `scripts/performance_report.py` from a benchmark run; the only file with timings).\n\
         - [mutation.md](mutation.md): how many deliberate bugs the tests catch (written by `scripts/mutation_report.py` from cargo-mutants runs).\n\n",
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

/// The plain-words answer, with the run's own numbers.
fn short_answer(e: &Evidence) -> String {
    let failed = e
        .verdicts
        .iter()
        .filter(|v| v.outcome == Outcome::Failed)
        .count();
    let mut s = String::new();
    if failed > 0 {
        s.push_str(&format!(
            "**{failed} claim(s) did not behave as stated in this run; the answer below assumes they do. See the table.**\n\n"
        ));
    }
    s.push_str(
        "**What is minimized in practice is cross-entropy, in the form of the mean negative \
         log-likelihood of the training data.** Classification losses (softmax cross-entropy, \
         binary cross-entropy) compute −ln q_θ(y) per example and average it. That average *is* \
         the empirical risk under log loss, and it equals CE(p̂ₙ, q_θ), the cross-entropy from \
         the empirical distribution of the data to the model.\n\n\
         **Cross-entropy and KL divergence differ by the entropy of the target:** \
         CE(p, q) = H(p) + KL(p‖q). When the target p does not depend on the parameters, H(p) \
         is a constant, so the two objectives have the same minimizer and the same gradient; \
         only their values differ. With p the empirical distribution, that minimizer is the \
         maximum-likelihood estimate. So \"CE ≡ KL ≡ NLL\" holds as a statement about \
         optimization, not about values. Code computes cross-entropy because H(p) is wasted \
         work (it is 0 for one-hot labels, where CE and KL coincide even in value) and because, \
         for continuous data, KL from the empirical distribution is infinite while the NLL is \
         finite.\n\n\
         **The equivalence breaks** when the divergence is reversed (KL(q‖p) seeks a mode where \
         KL(p‖q) covers the mass), when the target moves with the parameters (a co-trained \
         teacher: the gradients differ by ∇H(p_θ)), when the loss is not log loss (squared or \
         0–1 loss are not the likelihood), and in implementations: a `mean` reduction that \
         divides by batch × classes, a KL applied to one sigmoid output, or 0·ln 0 evaluated \
         as NaN. Reports that \"KL was unusable next to BCE\" come from these, not from the \
         mathematics.\n\n",
    );
    if let Some(series) = e.gap.iter().find(|g| g.truth.starts_with("laplace")) {
        if let (Some(last), Some(tr)) = (series.points.last(), series.takeuchi_trace) {
            s.push_str(&format!(
                "**The training loss is optimistic.** For a Normal model fitted to n = {} points of \
                 Laplace data, this run estimates n·E[R(θ̂) − R̂ₙ(θ̂)] = {} (95% interval {}), \
                 to compare with Takeuchi's tr(J⁻¹K) = {} and with Akaike's d = {}, which \
                 assumes that the model family contains the truth. See [risk-gap.md](risk-gap.md).\n",
                last.n,
                fixed(last.scaled_gap.0, 3),
                interval(last.scaled_gap.1, last.scaled_gap.2, 3),
                fixed(tr, 3),
                series.parameters
            ));
        }
    }
    s
}

/// calibration.md: the error budget, the observed false-failure rates and the power.
pub fn calibration(e: &Evidence) -> String {
    use crate::estimators::budget::{ASSERTIONS, FAMILY_WISE_BUDGET, allotted};
    let c = &e.calibration;
    let mut s = header(
        e,
        "Can the checks be trusted? Error budget, calibration, power",
    );
    s.push_str(&format!(
        "## The error budget

The test suite makes {} statistical assertions. Their family-wise probability of a false failure (a failure although every claim is true) is held below {} by Bonferroni's allocation: each assertion runs at level {}, through the normal approximation of Monte Carlo means. The floating-point checks of the claim catalogue are not statistical: they compare against derived rounding bounds and are deterministic at a fixed seed.\n\n| assertion | allotted false-failure probability |\n|---|---:|\n",
        ASSERTIONS.len(),
        sci(FAMILY_WISE_BUDGET),
        sci(allotted(ASSERTIONS[0]).unwrap_or(f64::NAN))
    ));
    for a in ASSERTIONS {
        s.push_str(&format!(
            "| `{a}` | {} |\n",
            sci(allotted(a).unwrap_or(f64::NAN))
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
    s.push_str("\n## Power\n\nHow large a planted violation must be before a check catches it in at least 90% of seeds, at the default budget of the test suite.\n\n");
    for p in &e.power {
        s.push_str(&format!(
            "### `{}`: {}\n\nSmallest effect caught in ≥ 90% of {} seeds: {}.\n\n| effect | fraction of seeds caught |\n|---:|---:|\n",
            p.id,
            p.planted,
            count(p.seeds),
            p.smallest_effect_at_90.map_or("none of those tried".to_string(), sci)
        ));
        for (effect, rate) in &p.detection {
            s.push_str(&format!("| {} | {} |\n", sci(*effect), fixed(*rate, 3)));
        }
        s.push('\n');
    }
    s
}
