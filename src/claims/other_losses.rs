//! Claim 8: the squared (Brier) loss shares log loss's minimizer over the
//! full simplex but not in a restricted family (a logistic regression,
//! [`logistic_brier`]); the 0–1 loss does not determine the likelihood
//! ([`zero_one_grid`]). The supporting properties: the Brier and 0–1 risks'
//! closed forms on categorical data ([`brier`]), the squared error and the
//! Gaussian NLL on real data ([`gaussian`]).

mod brier;
mod gaussian;
mod logistic_brier;
mod zero_one_grid;

use crate::claims::CheckFailure;
use crate::claims::failure::failed_in;

use super::harness::{U, contract, property};
use super::{
    Claim, Context, Counterexample, Evidence, Expectation, Implementation, refuted_evidence,
    search, with_searches,
};
use crate::measures::{Measure, Reduced, Reduction};
use crate::numerics::compensated_sum;
use crate::numerics::gamma;
use crate::strategies::{arb_normal_model, arb_real_sample, arb_sample_and_model};
use brier::{brier_case, show_brier};
use gaussian::{gaussian_case, show_gaussian};
use logistic_brier::{
    arb_levels, log_loss_fit_is_brier_stationary, measured_log_loss_is_the_fit_objective,
    show_levels,
};
use zero_one_grid::{arb_grid_case, show_grid, zero_one_minimizers_are_mles};

/// One comparison of a supporting case with its bound: |got − want| ≤ bound,
/// or, `at_least`, got ≥ want − bound (the bound then the slack).
struct Stated {
    what: &'static str,
    at_least: bool,
    got: f64,
    want: f64,
    bound: f64,
}

impl Stated {
    /// |got − want| ≤ bound.
    fn close(what: &'static str, got: f64, want: f64, bound: f64) -> Self {
        Stated {
            what,
            at_least: false,
            got,
            want,
            bound,
        }
    }

    /// got ≥ floor − slack.
    fn at_least(what: &'static str, got: f64, floor: f64, slack: f64) -> Self {
        Stated {
            what,
            at_least: true,
            got,
            want: floor,
            bound: slack,
        }
    }
}

/// Checks the comparisons in order, each through `w`; the first to fail
/// is the case's failure.
fn check_stated(stated: &[Stated], w: &mut super::harness::Worst) -> Result<(), CheckFailure> {
    for s in stated {
        if s.at_least {
            w.at_least(s.what, s.got, s.want, s.bound)?;
        } else {
            w.close(s.what, s.got, s.want, s.bound)?;
        }
    }
    Ok(())
}

/// Claim 8.
pub(crate) const OTHER_LOSSES: Claim = Claim {
    id: "other-losses",
    number: 8,
    title: "The Brier loss shares log loss's minimizer over the full simplex but not in a logistic family, and 0–1 minimizers need not be MLEs (shown by counterexample)",
    statement: "(a) holds, checked as a supporting property: over the full simplex the Brier (squared) risk and the log loss have the same minimizer, the MLE p̂ₙ. Searched and refuted: (b) in a restricted family, a logistic regression σ(θ·x), the Brier fit and the log-loss fit have the same parameters; (c) a minimizer of the 0–1 risk over a grid of models is a maximum-likelihood model of the grid",
    hypotheses: "(a) categorical models q on K categories and samples of labels: the Brier risk is Σₖ(qₖ − p̂ₖ)² + 1 − Σₖp̂ₖ², minimized by p̂ₙ with the Gini impurity as value, below H(p̂ₙ) (the measures) by at least ½Σp̂(1 − p̂)²; the 0–1 risk is 1 − p̂ₙ(argmax q); for real data the mean squared error and the Gaussian NLL = ½ln(2πσ²) + MSE/(2σ²) are both minimized by the sample mean. (b) one feature x ∈ {−1, 0, 1, 2} with an intercept, 2 to 4 levels, each with both labels (no separation); with two levels the family matches both frequencies and (b) holds; the log-loss fit certified by Newton, where the log loss by the measures under test (the mean cross-entropy of each example's one-hot label against (σ(−θ̂·x), σ(θ̂·x))) must equal the objective the fit minimized (supporting), refuted where the Brier gradient at it exceeds its rounding and certificate. (c) samples of 1 to 12 labels on K ∈ [2, 4] categories, the grid q = w/G, wₖ ≥ 1 integers, Σw = G ∈ [K, K + 6] (G = K, a grid of one model, where (c) holds, included); each model's NLL by the measures under test (the mean cross-entropy of each example's one-hot label against q)",
    expectation: Expectation::Refuted,
    test: "tests/claims_empirical.rs::claim_8_other_losses",
    check: check_other_losses,
};

/// The mean log loss of n examples with labels yᵢ against model rows qᵢ
/// (row i the categorical distribution of example i), through the measures
/// under test:
///
/// ```text
/// NLL = (1/n)·Σᵢ CE(e_{yᵢ}, qᵢ) = −(1/n)·Σᵢ ln qᵢ,yᵢ
/// ```
///
/// each example's one-hot label e_{yᵢ} against its row by
/// `cross_entropy_rows` under `none`, the values summed here (compensated)
/// and divided by n. Its error is [`measured_nll_error`].
pub(super) fn measured_nll(
    m: &dyn Implementation,
    labels: &[usize],
    rows: &[Vec<f64>],
) -> Result<f64, CheckFailure> {
    let one_hot = one_hot_rows(labels, rows);
    let what = "the measured log loss";
    match m
        .cross_entropy_rows(&one_hot, rows, Reduction::None)
        .map_err(failed_in(what))?
    {
        Reduced::PerRow(values) if values.len() == rows.len() => {
            Ok(compensated_sum(&values) / rows.len() as f64)
        }
        other => Err(CheckFailure::evaluation(
            what,
            format!(
                "cross_entropy_rows of {} rows under `none` returned {other:?}",
                rows.len()
            ),
        )),
    }
}

/// Each example's one-hot label e_{yᵢ}, as long as its row.
fn one_hot_rows(labels: &[usize], rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    labels
        .iter()
        .zip(rows)
        .map(|(&y, q)| {
            let mut e = vec![0.0; q.len()];
            e[y] = 1.0;
            e
        })
        .collect()
}

/// Bound on [`measured_nll`] of n examples with labels yᵢ and rows qᵢ (K
/// entries each) against its exact value for the stored rows, given the
/// computed mean v:
///
/// ```text
/// 1.01·((1/n)·Σᵢ Aᵢ + (2u + γₙ²)·|v|),   Aᵢ = contract(CE, e_{yᵢ}, qᵢ) = (K + 3)·u·(|ln qᵢ,yᵢ| + 1) + K·η
/// ```
///
/// Each example's CE(e_y, q) = −ln q_y is within its allowance Aᵢ under the
/// accuracy contract ([`contract`]); the compensated sum of n non-negative
/// values adds u·|Σ| + γₙ²·Σ|values| (Sum2) and the division by n u·|v|;
/// 1.01 covers second-order terms (the allowances are relative to the exact
/// values, the sum's rounding to the computed ones).
pub(super) fn measured_nll_error(labels: &[usize], rows: &[Vec<f64>], value: f64) -> f64 {
    let n = labels.len();
    let allowance: f64 = one_hot_rows(labels, rows)
        .iter()
        .zip(rows)
        .map(|(e, q)| contract(Measure::CrossEntropy, e, q))
        .sum();
    1.01 * (allowance / n as f64 + (2.0 * U + gamma(n).powi(2)) * value.abs())
}

/// The supporting part that ties (b)'s log-loss fit to the measures under
/// test ([`measured_log_loss_is_the_fit_objective`]).
const MEASURED_FIT_PART: &str = "(b) measured log loss at the certified logistic fit";

fn check_other_losses(ctx: &Context<'_>) -> Evidence {
    let m = ctx.measures;
    let logistic = search(
        ctx,
        "other-losses/logistic-brier-fit-is-log-loss-fit",
        arb_levels(),
        log_loss_fit_is_brier_stationary,
        show_levels,
    );
    let grid = search(
        ctx,
        "other-losses/zero-one-minimizer-is-mle",
        arb_grid_case(),
        |case, w| zero_one_minimizers_are_mles(m, case, w),
        |case| show_grid(m, case),
    );
    let brier = property(
        ctx,
        "other-losses/brier",
        arb_sample_and_model(),
        |(sample, q), w| brier_case(m, sample, q, w),
    )
    .shown(|(sample, q)| show_brier(sample, q));
    let gaussian = property(
        ctx,
        "other-losses/gaussian",
        (arb_real_sample(), arb_normal_model(), -6.0f64..=6.0),
        |(sample, (_, sigma), c), w| gaussian_case(sample, *sigma, *c, w),
    )
    .shown(|(sample, (_, sigma), c)| show_gaussian(sample, *sigma, *c));
    let fit_objective = property(
        ctx,
        "other-losses/measured-log-loss-at-the-logistic-fit",
        arb_levels(),
        |case, w| measured_log_loss_is_the_fit_objective(m, case, w),
    )
    .shown(|case| Counterexample {
        summary: "the measured log loss at the certified logistic fit is not the objective the fit minimized".to_string(),
        ..show_levels(case)
    });
    let mut evidence = refuted_evidence(
        ("(b) logistic family: Brier fit = log-loss fit", logistic),
        vec![
            ("(a) full simplex: Brier and 0–1 closed forms", brier),
            ("(a) real-valued data: MSE and Gaussian NLL", gaussian),
            (MEASURED_FIT_PART, fit_objective),
        ],
    );
    if let Some(c) = evidence.counterexample.as_mut() {
        c.summary = "(b) in a logistic family the log-loss fit is not a stationary point of the Brier risk, so the two fits differ, although over the full simplex both are minimized by p̂ₙ; (c) a minimizer of the 0–1 risk over a grid of models whose NLL exceeds the grid MLE's".to_string();
    }
    with_searches(evidence, vec![("(c) 0–1 minimizers are MLEs", grid)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Comparison;

    /// The measured NLL against its exact value for the stored rows,
    /// −(1/n)Σ ln q_y at 320 bits, for the crate's measures and for measures
    /// at the edge of the contract: always within [`measured_nll_error`]
    /// (validity). Tightness: for one example the sum and the division are
    /// exact, and the edge implementation moves the crate's value r (within
    /// 2u·ℓ of the exact ℓ = −ln q_y) by at least b·(1 − 2⁻¹⁹) − 4u·|r|,
    /// b = (K + 3)u·(ℓ + 1) the contract's allowance (its documented floor);
    /// so its error is at least about b − 6u·ℓ, against a bound of
    /// 1.01·(b + 3u·ℓ) (γ₁² ≈ u² aside): a ratio of at least
    /// ((K + 3)(ℓ + 1) − 6ℓ) / (1.01·((K + 3)(ℓ + 1) + 3ℓ)), 0.64 for K = 2,
    /// ℓ = ln(4/3) and 0.54 for K = 3, ℓ = ln(7/4), floored here at 0.5, so
    /// a bound loosened by 2 fails.
    #[test]
    fn the_measured_nll_is_within_its_bound() {
        use super::zero_one_grid::model;
        use crate::measures::Reference;
        use crate::test_support::{AtTheEdge, PREC, RM, big, to_f64};
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let cases: [(&[usize], &[u32]); 6] = [
            (&[0, 0, 0, 0, 0], &[3, 1]),
            (&[0, 1, 1, 2, 2, 2, 0], &[1, 2, 4]),
            (&[3; 12], &[1, 1, 1, 6]),
            (&[1, 0], &[5, 1]),
            (&[0], &[3, 1]),
            (&[2], &[1, 2, 4]),
        ];
        for (sample, weights) in cases {
            let q = model(weights);
            let rows = vec![q.clone(); sample.len()];
            let mut exact = big(0.0);
            for &y in sample {
                exact = exact.sub(&big(q[y]).ln(PREC, RM, &mut cc), PREC, RM);
            }
            let exact = exact.div(&big(sample.len() as f64), PREC, RM);
            let m: [&dyn Implementation; 2] = [&Reference, &AtTheEdge::KIT];
            for (which, m) in m.into_iter().enumerate() {
                let got = measured_nll(m, sample, &rows).unwrap();
                let err = to_f64(&big(got).sub(&exact, PREC, RM).abs(), &mut cc);
                let ratio = err / measured_nll_error(sample, &rows, got);
                assert!(ratio <= 1.0, "{sample:?} {weights:?} ({which}): {ratio}");
                if which == 1 && sample.len() == 1 {
                    assert!(ratio >= 0.5, "{sample:?} {weights:?}: {ratio}");
                }
            }
        }
    }

    /// A cross-entropy scaled by 1 + 2⁻¹⁰ changes claim 8's outcome: the
    /// measured log loss at the certified logistic fit is then 2⁻¹⁰·f(θ̂)
    /// (about 6·10⁻⁴) from the objective the fit minimized, far beyond the
    /// bound (about 10⁻¹⁵), so the supporting part fails and the claim has a
    /// problem, where before this part its supporting properties used the
    /// entropy alone and the searches the crate's own likelihood. The crate's
    /// measures at the same seed and case count give no problem (both
    /// searches find counterexamples at their hit rates of about ⅔, certain
    /// at this fixed seed).
    #[test]
    fn a_scaled_cross_entropy_changes_the_claim_s_outcome() {
        use crate::measures::planted::Affine;
        let ctx = Context::new(1, 16);
        let evidence = check_other_losses(&ctx);
        assert_eq!(evidence.problem, None);
        let scaled = Affine {
            cross_entropy: (1.0 + 2f64.powi(-10), 0.0),
            ..Affine::EXACT
        };
        let evidence = check_other_losses(&ctx.with_measures(&scaled));
        let problem = evidence.problem.expect("a problem");
        assert_eq!(problem.part, MEASURED_FIT_PART);
        assert_eq!(problem.failure.comparison, Comparison::Close);
    }
}
