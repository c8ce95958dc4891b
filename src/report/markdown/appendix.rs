//! appendix.md (the harness's statistics for each claim, and what the run
//! cost) and calibration.md (the error budget, the observed false-failure
//! rates and the power).

use super::{figure, header, page_of, short_verdict, test_link};
use crate::claims::{self};
use crate::report::evidence::Evidence;
use crate::report::format::{cell, count, fixed, interval, sci};

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
         binned densities, claim 4's minimizers found from measured values alone, claim 5's \
         descent after finitely many steps); the last column counts \
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
         - [performance.md](performance.md): what the measures and estimators cost, next to numpy and scipy (written by `scripts/performance_report.py`).\n\
         - [ecosystem.md](ecosystem.md): which libraries' loss calls agree with the exact values, through the conformance kit (written by `scripts/ecosystem_report.py`). With performance.md, the only files with timings.\n\
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
