//! The `report` command: structure, byte-identical regeneration, and the
//! committed reports being current.

use std::path::{Path, PathBuf};
use std::process::Command;

use logloss_proofs::claims::{Expectation, REQUIRED_RESOLUTION};

const FILES: [&str; 27] = [
    "README.md",
    "appendix.md",
    "argmin-logit.svg",
    "identities.md",
    "argmin.md",
    "where-they-differ.md",
    "risk-gap.md",
    "kl-estimators.md",
    "calibration.md",
    "reverse-kl.svg",
    "gap.svg",
    "kl-estimators.svg",
    "training.md",
    "training-equivalent.svg",
    "training-mean.svg",
    "training-probabilities.svg",
    "training-sigmoid.svg",
    "training-float32.svg",
    "training-teacher.svg",
    "training-minibatch.svg",
    "data/training-equivalent.csv",
    "data/training-mean.csv",
    "data/training-probabilities.csv",
    "data/training-sigmoid.csv",
    "data/training-float32.csv",
    "data/training-teacher.csv",
    "data/training-minibatch.csv",
];

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "logloss-proofs-report-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn report(out: &Path, budget: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_logloss-proofs"))
        .args(["report", "--budget", budget, "--out"])
        .arg(out)
        .output()
        .expect("the binary runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn quick_reports_have_every_file_every_claim_and_regenerate_byte_identically() {
    let (a, b) = (temp_dir("a"), temp_dir("b"));
    report(&a, "quick");
    report(&b, "quick");
    for name in FILES {
        assert_eq!(
            read(&a, name),
            read(&b, name),
            "{name} differs between two runs"
        );
    }
    let index = String::from_utf8(read(&a, "README.md")).unwrap();
    assert!(
        index.contains("budget `quick`") && index.contains("seed 2026"),
        "header"
    );
    assert!(
        index.contains("cargo run --release -- report --budget quick"),
        "regenerate command"
    );
    let appendix = String::from_utf8(read(&a, "appendix.md")).unwrap();
    for claim in logloss_proofs::claims::catalogue() {
        // Each claim is on one line of the index: its id, its section, its verdict.
        let line = index
            .lines()
            .find(|l| l.starts_with(&format!("| {} | `{}` |", claim.number, claim.id)))
            .unwrap_or_else(|| panic!("claim {} missing from the index", claim.number));
        let page = match claim.number {
            1..=3 => "identities.md",
            4..=5 => "argmin.md",
            _ => "where-they-differ.md",
        };
        assert!(
            line.contains(&format!("]({page}#claim-{})", claim.number)),
            "{line}"
        );
        // The harness columns are not in the index.
        assert_eq!(line.matches(" | ").count(), 3, "{line}");
        // Each verdict is on one line of the appendix, linking to its test.
        let (file, function) = claim.test.split_once("::").unwrap();
        let line = appendix
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", claim.number)))
            .unwrap_or_else(|| panic!("claim {} missing from the index", claim.number));
        assert!(
            line.contains(&format!("[`{function}`](../{file})")),
            "{line}"
        );
        // The verdict in words, and the resolution's rounding figures as
        // numbers ("—" where no comparison of the kind was made) no looser
        // than the catalogue requires, one of them set.
        let cells: Vec<&str> = line.split(" | ").collect();
        let (verdict, words) = match claim.expectation {
            Expectation::Holds => (
                "holds",
                "*Verdict:* holds: no violation in any case (consistent with the claim)",
            ),
            Expectation::Refuted => (
                "refuted (counterexample)",
                "*Verdict:* refuted: a counterexample was found and shrunk",
            ),
        };
        assert_eq!(cells[3], verdict, "{line}");
        let index_line = index
            .lines()
            .find(|l| l.starts_with(&format!("| {} | `{}` |", claim.number, claim.id)))
            .unwrap();
        assert!(
            index_line.ends_with(&format!(" | {verdict} |")),
            "{index_line}"
        );
        let rounding: Vec<f64> = cells[8]
            .split(" · ")
            .map(|f| match f {
                "—" => 0.0,
                _ => f.parse().unwrap_or_else(|_| panic!("{line}")),
            })
            .collect();
        assert_eq!(rounding.len(), 2, "{line}");
        assert!(
            rounding.iter().any(|&r| r > 0.0) && rounding.iter().all(|&r| r <= REQUIRED_RESOLUTION),
            "{line}"
        );
        let page = ["identities.md", "argmin.md", "where-they-differ.md"]
            .iter()
            .map(|name| String::from_utf8(read(&a, name)).unwrap())
            .find(|text| text.contains(&format!("## Claim {}: ", claim.number)))
            .unwrap_or_else(|| panic!("claim {} has no page", claim.number));
        let section = page
            .split(&format!("## Claim {}: ", claim.number))
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap();
        assert!(section.contains(words), "claim {}", claim.number);
    }
    for name in ["gap.svg", "kl-estimators.svg"] {
        let svg = String::from_utf8(read(&a, name)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
    }
    training_page_links_its_pictures_and_data(&a);
    index_answers_the_question_point_by_point(&index, &appendix);
    worked_numbers_are_the_crates_and_add_up(
        &String::from_utf8(read(&a, "identities.md")).unwrap(),
    );
    risk_gap_separates_maximum_likelihood_from_smoothing(
        &String::from_utf8(read(&a, "risk-gap.md")).unwrap(),
    );
    kl_page_maps_the_notation_and_warns_about_gradients(
        &String::from_utf8(read(&a, "kl-estimators.md")).unwrap(),
    );
    calibration_rows_are_grouped_and_effects_ordered(
        &String::from_utf8(read(&a, "calibration.md")).unwrap(),
    );
    pictures_have_their_axes_and_words(&a);
    argmin_picture_shows_parallel_curves(
        &String::from_utf8(read(&a, "argmin.md")).unwrap(),
        &String::from_utf8(read(&a, "argmin-logit.svg")).unwrap(),
    );
    kl_labels_sit_over_their_own_estimators(
        &String::from_utf8(read(&a, "kl-estimators.svg")).unwrap(),
    );
    // No temporary files are left behind by the atomic writes.
    for folder in [a.clone(), a.join("data")] {
        let leftovers: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{}: {leftovers:?}", folder.display());
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

/// training.md links every picture and CSV; the index links training.md;
/// each picture is a whole SVG with its axis labels; each CSV has the
/// header and one line per curve and step (301 steps, 0 … 300).
fn training_page_links_its_pictures_and_data(dir: &Path) {
    let page = String::from_utf8(read(dir, "training.md")).unwrap();
    let index = String::from_utf8(read(dir, "README.md")).unwrap();
    assert!(index.contains("[training.md](training.md)"));
    for name in FILES.iter().filter(|n| n.starts_with("training-")) {
        assert!(page.contains(&format!("]({name})")), "{name}");
        let svg = String::from_utf8(read(dir, name)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
        assert!(
            svg.contains("gradient step") && svg.contains("(nats)"),
            "{name}"
        );
    }
    for name in FILES.iter().filter(|n| n.starts_with("data/")) {
        assert!(page.contains(&format!("]({name})")), "{name}");
        let csv = String::from_utf8(read(dir, name)).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some(
                "series,step,rate,train_loss_nats,target_entropy_nats,held_out_nll_nats,held_out_accuracy"
            )
        );
        let rows: Vec<&str> = lines.collect();
        assert!(
            !rows.is_empty() && rows.len().is_multiple_of(301),
            "{name}: {} rows",
            rows.len()
        );
        assert!(rows.iter().all(|r| r.split(',').count() == 7), "{name}");
    }
    // The statements whose numbers the page prints from the runs.
    assert!(page.contains("divisors are in ratio exactly 3 = C"));
    assert!(page.contains("over the negatives and all 300 steps: 0.0)"));
    assert!(page.contains("Here it happens at step "));
}

/// The index answers each part of the question under its own heading, in
/// the question's order, and links every evidence page; the appendix is
/// linked at the end. The worked numbers of the misspecified fit are the
/// crate's: the approximation error of the best Normal for Laplace(0, 1)
/// data is ½ ln π − ½ in closed form (E_p[−ln q] for q = N(0, 2), the best
/// Normal, is ½ ln(4π) + ½, and H(Laplace(0, 1)) = 1 + ln 2), printed to
/// 4 decimals; Takeuchi's prediction KL(p‖q_θ₀) + tr(J⁻¹K)/(2n) is printed
/// with tr(J⁻¹K) = 1 + (kurtosis − 1)/2 = 3.5 (the Laplace kurtosis is 6)
/// and lies inside the printed interval at this seed.
fn index_answers_the_question_point_by_point(index: &str, appendix: &str) {
    let headings = [
        "## First, two different targets",
        "## Is the line of reasoning right?",
        "## Are they used outside classification, and where is KL minimized directly?",
        "## Does CE ≡ KL ≡ NLL always hold?",
        "## What is minimized directly in practice?",
        "## Is binary cross-entropy really more robust than KL?",
        "## The claims",
        "## The evidence pages",
        "## Appendix: how far to trust the harness",
    ];
    let mut at = 0;
    for h in headings {
        let found = index[at..]
            .find(&format!("\n{h}\n"))
            .unwrap_or_else(|| panic!("{h} missing or out of order"));
        at += found + 1;
    }
    for page in [
        "identities.md",
        "argmin.md",
        "where-they-differ.md",
        "risk-gap.md",
        "kl-estimators.md",
        "training.md",
        "appendix.md",
        "calibration.md",
        "performance.md",
        "mutation.md",
    ] {
        assert!(index.contains(&format!("]({page}")), "{page}");
    }
    let appendix_section = index
        .split("## Appendix: how far to trust the harness")
        .nth(1)
        .unwrap();
    for page in [
        "appendix.md",
        "calibration.md",
        "performance.md",
        "mutation.md",
        "bounds.md",
    ] {
        assert!(appendix_section.contains(&format!("]({page})")), "{page}");
    }
    assert!(appendix.contains("## What the run cost"));
    assert!(appendix.contains("](README.md)"));
    for page in [
        "calibration.md",
        "performance.md",
        "mutation.md",
        "bounds.md",
    ] {
        assert!(appendix.contains(&format!("]({page})")), "{page}");
    }
    let approximation = 0.5 * std::f64::consts::PI.ln() - 0.5;
    assert!(
        index.contains(&format!("KL(p‖q_θ₀) = {approximation:.4} nats")),
        "approximation error"
    );
    let predicted = approximation + 3.5 / 2000.0;
    let tail = index
        .split(&format!("at n = 1000 is {predicted:.5} nats; "))
        .nth(1)
        .expect("Takeuchi's prediction at n = 1000");
    let low_high = tail.split("(95% interval [").nth(1).unwrap();
    let (low, rest) = low_high.split_once(", ").unwrap();
    let high = rest.split(']').next().unwrap();
    let (low, high): (f64, f64) = (low.parse().unwrap(), high.parse().unwrap());
    assert!(low <= predicted && predicted <= high, "[{low}, {high}]");
}

/// identities.md opens with the worked examples, each number the crate's,
/// and each row satisfies CE = H + KL within 6u·CE: `entropy`,
/// `cross_entropy` and `kl_divergence` are each within 2u of their value
/// relative (their documented accuracy: non-negative terms summed with
/// compensation, one `ln` and one product per term), all three on the same
/// stored p, for which CE = H + KL holds exactly; the sum H + KL adds one
/// rounding, u·(H + KL) = u·CE. So |CE − fl(H + KL)| ≤ 2u·CE + 2u·H + 2u·KL
/// + u·CE = 5u·CE to first order; 6u·CE covers the second-order terms.
fn worked_numbers_are_the_crates_and_add_up(page: &str) {
    use logloss_proofs::numerics::U;
    let worked = logloss_proofs::report::evidence::worked_examples().unwrap();
    assert_eq!(worked.len(), 3);
    let opening = page.split("## The claims").next().unwrap();
    assert!(opening.contains("## Worked numbers"));
    for w in &worked {
        let tolerance = 6.0 * U * w.cross_entropy;
        assert!(
            (w.cross_entropy - w.entropy_plus_kl).abs() <= tolerance,
            "{}: CE {} against H + KL {}",
            w.name,
            w.cross_entropy,
            w.entropy_plus_kl
        );
        let row = format!(
            "| {:.4} | {:.4} | {:.4} | {:.4} |",
            w.entropy, w.cross_entropy, w.kl, w.entropy_plus_kl
        );
        assert!(opening.contains(&row), "{}: {row}", w.name);
    }
    // The one-hot label: H = 0 exactly (0·ln 0 = 0, 1·ln 1 = 0), so CE and
    // KL are the same number, −ln q₁, each within 2u of it relative.
    let one_hot = &worked[1];
    assert_eq!(one_hot.entropy, 0.0);
    let exact = -one_hot.q[0].ln();
    for v in [one_hot.cross_entropy, one_hot.kl] {
        assert!((v - exact).abs() <= 4.0 * U * exact, "{v} against {exact}");
    }
    // The smoothed label: H > 0 and the KL reads lower than the CE.
    let soft = &worked[2];
    assert!(soft.entropy > 0.1 && soft.kl < soft.cross_entropy);
}

/// argmin.md shows the logit picture and its numbers. The KL curve is the CE
/// curve moved by H(p): from logits, CE and KL each carry the error of a
/// log-sum-exp, at most 2u·(|lse| + max|zᵢ|) with |lse| ≤ |t| + ln 3, plus
/// 2u of their value; H carries 2u·H; the difference CE − KL − H adds
/// u·(CE + KL + H). With |t| ≤ 5 and every value below CE ≤ 3 on this grid,
/// the sum is below 4u·(2·5 + 1.1) + 6u·3 + 3u·3 < 80u. The slopes are
/// softmax(z)₁ − p₁ for both, each within 2u (entries in [−1, 1]), so they
/// differ by at most 4u. Both grid argmins are the grid point nearest the
/// exact minimizer ln 3, within half a step (1/80).
fn argmin_picture_shows_parallel_curves(page: &str, svg: &str) {
    use logloss_proofs::numerics::U;
    let s = logloss_proofs::report::evidence::logit_sweep().unwrap();
    assert!(page.contains("](argmin-logit.svg)"));
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("the first logit t") && svg.contains("loss (nats)"));
    assert!(s.t.iter().all(|t| t.abs() <= 5.0) && s.ce.iter().all(|&c| c <= 3.0));
    assert!(s.max_offset_error <= 80.0 * U, "{}", s.max_offset_error);
    assert!(
        s.max_slope_difference <= 4.0 * U,
        "{}",
        s.max_slope_difference
    );
    // t* = ln(fl(0.6/0.2)): the quotient is 3(1 + δ), |δ| ≤ 2u counting the
    // stored 0.6 and 0.2, and ln adds u relative: |t* − ln 3| ≤ 2u + u·ln 3 < 4u.
    assert!((s.minimizer - 3f64.ln()).abs() < 4.0 * U, "{}", s.minimizer);
    assert_eq!(s.grid_argmin.0, s.grid_argmin.1);
    assert!((s.grid_argmin.0 - s.minimizer).abs() <= 1.0 / 80.0);
    for (label, x) in [("H(p) = ", s.entropy), ("t* = ln(p₁/p₂) = ", s.minimizer)] {
        assert!(page.contains(&format!("{label}{x:.4}")), "{label}");
    }
    assert!(page.contains("Adam"));
}

/// The rows of the table that follows `heading` (a `## ` line), split into cells.
fn table_after(page: &str, heading: &str) -> Vec<Vec<String>> {
    let section = page
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("{heading} missing"));
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| n ") && !l.contains("---"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// risk-gap.md labels the smoothed row as add-α smoothing, and the plain
/// maximum-likelihood row shows the share of fits with infinite true risk:
/// at n = 25, a category of the truth (0.5, 0.3, 0.15, 0.05) is missed with
/// probability P = Σₖ(1 − pₖ)ⁿ − Σ_{j<k}(1 − pⱼ − pₖ)ⁿ + … (inclusion and
/// exclusion); the quick run's 1,000 replicates put the observed share within
/// 5 standard errors of P at this seed. The smoothed fit is never infinite.
fn risk_gap_separates_maximum_likelihood_from_smoothing(page: &str) {
    let mle = table_after(page, "## Categorical, maximum likelihood (counts / n)");
    let smoothed = table_after(page, "## Categorical, add-α smoothing with α = 0.5");
    let p = [0.5f64, 0.3, 0.15, 0.05];
    let mut missed = 0.0;
    for subset in 1u32..16 {
        let mass: f64 = (0..4).filter(|k| subset >> k & 1 == 1).map(|k| p[k]).sum();
        let sign = if subset.count_ones() % 2 == 1 {
            1.0
        } else {
            -1.0
        };
        missed += sign * (1.0 - mass).max(0.0).powi(25);
    }
    let at_25 = &mle[0];
    assert_eq!(at_25[0], "25");
    let share: f64 = at_25[8].parse().unwrap();
    let se = (missed * (1.0 - missed) / 1000.0).sqrt();
    assert!(
        (share - missed).abs() <= 5.0 * se,
        "{share} against {missed}"
    );
    assert!(page.contains(&format!("{:.1}% at n = 25", 100.0 * share)));
    assert!(
        mle.iter().all(|row| row[5] == "inf"),
        "exact E[gap] is +∞ at every n"
    );
    for row in &smoothed {
        assert_eq!(row[8], "0.0000", "{row:?}");
        assert!(row[5].parse::<f64>().is_ok_and(f64::is_finite), "{row:?}");
    }
}

/// kl-estimators.md cites Schulman's note, maps its notation, says why the
/// estimators matter, and shows the gradient caveat with the crate's numbers:
/// for p_σ = N(0, σ²) and q = N(0, 1), d/dσ KL(p_σ‖q) = σ − 1/σ and
/// d/dσ KL(q‖p_σ) = 1/σ − 1/σ³; E[∂k1] = E[score] = 0, E[∂k2] = d/dσ KL(p_σ‖q)
/// and E[∂k3] = −E_p[r·score] = −E_q[score] = d/dσ KL(q‖p_σ). The quadrature's
/// error is far below 10⁻¹² (Simpson with step 1/200 on a Gaussian), the
/// central differences' about 10⁻¹⁰ (truncation h²/6·|f‴| with h = 10⁻⁵, plus
/// rounding u·KL/h), so 10⁻⁸ bounds every comparison.
fn kl_page_maps_the_notation_and_warns_about_gradients(page: &str) {
    assert!(page.contains("*Approximating KL Divergence* (2020"));
    assert!(page.contains("the note's q is this page's p"));
    assert!(page.contains("KL penalty, charged token by token"));
    let g = logloss_proofs::report::evidence::estimator_gradients().unwrap();
    let s = g.sigma;
    let tol = 1e-8;
    assert!(
        (g.kl_gradient - (s - 1.0 / s)).abs() <= tol,
        "{}",
        g.kl_gradient
    );
    assert!((g.reverse_gradient - (1.0 / s - 1.0 / s.powi(3))).abs() <= tol);
    assert!(g.expected[0].abs() <= tol, "{}", g.expected[0]);
    assert!((g.expected[1] - g.kl_gradient).abs() <= tol);
    assert!((g.expected[2] - g.reverse_gradient).abs() <= tol);
    assert!((g.kl_gradient - g.reverse_gradient).abs() > 0.1);
    for (row, value) in [
        ("| k1 | ", g.expected[0]),
        ("| k2 | ", g.expected[1]),
        ("| k3 | ", g.expected[2]),
    ] {
        assert!(
            page.contains(&format!("{row}{:.4} |", value.abs())),
            "{row}"
        );
    }
    assert!(page.contains("does not give an unbiased KL gradient"));
}

/// calibration.md lists each group of assertions once, covering all of
/// them, and each power table runs from the smallest effect to the largest,
/// with the smallest caught in ≥ 90% of seeds named above it.
fn calibration_rows_are_grouped_and_effects_ordered(page: &str) {
    assert!(page.starts_with("# Appendix: ") && page.contains("](appendix.md)"));
    let budget = page
        .split("## The error budget")
        .nth(1)
        .unwrap()
        .split("## Calibration")
        .next()
        .unwrap();
    let rows: Vec<&str> = budget.lines().filter(|l| l.starts_with("| `")).collect();
    let listed: usize = rows
        .iter()
        .map(|r| {
            r.split("/…` (")
                .nth(1)
                .and_then(|x| x.split(')').next())
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(listed, logloss_proofs::estimators::budget::ASSERTIONS.len());
    assert!(rows.len() < listed);
    let power = page.split("## Power").nth(1).unwrap();
    for study in power.split("\n### ").skip(1) {
        let effects: Vec<f64> = study
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| effect"))
            .map(|l| l[2..].split(" | ").next().unwrap().parse().unwrap())
            .collect();
        assert!(effects.windows(2).all(|w| w[0] < w[1]), "{effects:?}");
        let caught: Vec<(f64, f64)> = study
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| effect"))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split(" | ").collect();
                (
                    cells[0].trim().parse().unwrap(),
                    cells[cells.len() - 1].trim().parse().unwrap(),
                )
            })
            .collect();
        let smallest = caught
            .iter()
            .filter(|(_, rate)| *rate >= 0.9)
            .map(|(e, _)| *e)
            .reduce(f64::min);
        let named = study
            .split("seeds: ")
            .nth(1)
            .unwrap()
            .split(".\n")
            .next()
            .unwrap();
        match smallest {
            Some(x) => assert_eq!(named, format!("{x:.3e}"), "{study}"),
            None => assert_eq!(named, "none of those tried"),
        }
    }
}

/// The gap picture has a tick at every n, legend entries in words, units,
/// and Akaike's d marked; the KL-estimator picture has its two panels; the
/// reverse-KL picture has axis labels, a density axis, curves drawn with
/// fractional coordinates, and the parameters of claim 6's counterexample.
fn pictures_have_their_axes_and_words(dir: &Path) {
    let gap = String::from_utf8(read(dir, "gap.svg")).unwrap();
    for n in logloss_proofs::report::evidence::GAP_SIZES {
        assert!(gap.contains(&format!(">\n{n}\n</text>")), "tick {n}");
    }
    for words in [
        "Normal fitted to Laplace data",
        "(nats)",
        "Akaike&apos;s d = 2",
        "training-set size n",
    ] {
        let plain = words.replace("&apos;", "'");
        assert!(gap.contains(words) || gap.contains(&plain), "{words}");
    }
    let kl = String::from_utf8(read(dir, "kl-estimators.svg")).unwrap();
    assert!(kl.contains("95% interval") && kl.contains("(log scale)"));
    let reverse = String::from_utf8(read(dir, "reverse-kl.svg")).unwrap();
    assert!(reverse.contains("probability density") && reverse.contains(">\nx\n</text>"));
    let paths: Vec<&str> = reverse.split("<path ").skip(1).collect();
    assert_eq!(paths.len(), 3);
    assert!(
        paths
            .iter()
            .all(|p| p.contains(".") && p.matches(" L").count() > 500)
    );
    for name in [
        "gap.svg",
        "kl-estimators.svg",
        "reverse-kl.svg",
        "argmin-logit.svg",
    ] {
        let svg = String::from_utf8(read(dir, name)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
        assert_eq!(svg.matches("<svg").count(), 1, "{name}");
    }
    let page = String::from_utf8(read(dir, "where-they-differ.md")).unwrap();
    let row = page
        .lines()
        .find(|l| l.starts_with("| m, s, w, K | "))
        .expect("claim 6's counterexample");
    let values: Vec<&str> = row
        .trim_end_matches(" |")
        .split(" | ")
        .nth(1)
        .unwrap()
        .split(", ")
        .collect();
    assert!(page.contains(&format!(
        "The picture uses the parameters of claim 6's counterexample below: a target with modes at ±{} (width {}, weight {} on the mode at −{}), discretized on {} grid points",
        values[0], values[1], values[2], values[0], values[3]
    )));
}

/// The values of `attribute` (pixels) of the SVG elements opened by `open`,
/// keeping only those whose content starts with `then` when it is given.
fn svg_numbers(svg: &str, open: &str, attribute: &str, then: Option<&str>) -> Vec<f64> {
    svg.split(open)
        .skip(1)
        .filter(|rest| {
            then.is_none_or(|t| {
                rest.split_once('>')
                    .is_some_and(|(_, after)| after.trim_start().starts_with(t))
            })
        })
        .map(|rest| {
            let value = rest.split(&format!(" {attribute}=\"")).nth(1).unwrap();
            value.split('"').next().unwrap().parse().unwrap()
        })
        .collect()
}

/// In the KL-estimator picture each pair's label starts inside the pair's
/// own group of slots: after the group's left edge (half a slot before its
/// first marker; one pixel for rounding) and before that first marker. The
/// markers are drawn pair by pair, k1, k2, k3, then three in the legend.
fn kl_labels_sit_over_their_own_estimators(svg: &str) {
    // The labels are drawn in both panels; the markers only in the left one.
    let all_labels = svg_numbers(svg, "<text", "x", Some("KL("));
    let labels = &all_labels[..all_labels.len() / 2];
    let markers = svg_numbers(svg, "<circle", "cx", None);
    assert_eq!(markers.len(), 3 * labels.len() + 3, "{markers:?}");
    assert!(!labels.is_empty());
    for (pair, &x) in labels.iter().enumerate() {
        let (first, second) = (markers[3 * pair], markers[3 * pair + 1]);
        let edge = first - 0.5 * (second - first);
        assert!(
            x >= edge - 1.0 && x < first,
            "label {pair} at {x} px, its group from {edge} px, first marker at {first} px"
        );
    }
}

/// The committed reports/ are exactly what the README's main command writes.
/// Slow in the test profile; run with `cargo test --release --test report -- --ignored`.
#[test]
#[ignore]
fn committed_reports_are_current_at_the_default_budget() {
    let fresh = temp_dir("default");
    report(&fresh, "default");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    for name in FILES {
        assert_eq!(
            read(&fresh, name),
            read(&committed, name),
            "reports/{name} is stale: regenerate with `cargo run --release -- report`"
        );
    }
    let _ = std::fs::remove_dir_all(&fresh);
}

#[test]
fn report_rejects_an_unknown_budget() {
    let o = Command::new(env!("CARGO_BIN_EXE_logloss-proofs"))
        .args(["report", "--budget", "huge", "--out"])
        .arg(temp_dir("bad"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}
