//! The claim pages: identities.md (claims 1–3), argmin.md (claims 4–5) and
//! where-they-differ.md (claims 6–9), each claim as one section.

use super::{header, resolution_text, test_link, verdict_words};
use crate::claims::{self, Expectation, Verdict};
use crate::report::evidence::Evidence;
use crate::report::format::{cell, count, fixed, sci};

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
