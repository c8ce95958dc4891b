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
         - [training.md](training.md): real training runs on the Palmer penguins, cross-entropy against the KL calls as PyTorch computes them, with pictures and CSV data.\n\
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
