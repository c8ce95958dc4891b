//! Claim 8: the squared (Brier) loss shares log loss's minimizer over the
//! full simplex but not in a restricted family (a logistic regression,
//! [`logistic_brier`]); the 0–1 loss does not determine the likelihood.

mod logistic_brier;

use crate::claims::CheckFailure;
use crate::claims::failure::{failed, failed_in};
use proptest::prelude::*;

use super::harness::CONTRACT;
use super::harness::HALF_LN_2PI;
use super::harness::{U, Worst, property};
use super::{
    Claim, Context, Counterexample, Evidence, Expectation, Implementation, refuted_evidence,
    search, with_searches,
};
use crate::measures::{Reduced, Reduction, normalize};
use crate::numerics::compensated_sum;
use crate::numerics::format::first_eight as shown;
use crate::numerics::gamma;
use crate::risk::Loss;
use crate::risk::empirical::{
    empirical_distribution, empirical_risk, label_counts, mean_nll_continuous, mean_squared_error,
};
use crate::risk::loss::argmax;
use crate::strategies::{arb_normal_model, arb_real_sample, arb_sample_and_model};
use logistic_brier::{
    arb_levels, log_loss_fit_is_brier_stationary, measured_log_loss_is_the_fit_objective,
    show_levels,
};

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
    let one_hot: Vec<Vec<f64>> = labels
        .iter()
        .zip(rows)
        .map(|(&y, q)| {
            let mut e = vec![0.0; q.len()];
            e[y] = 1.0;
            e
        })
        .collect();
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

/// Bound on [`measured_nll`] of n examples relative to its exact value v for
/// the stored rows: each example's CE(e_y, q) = −ln q_y is one term, within
/// the contract 4u·|ln q_y| (`CONTRACT`); the compensated sum of n
/// non-negative values (2u + γ²ₙ) and the division by n (u); 1.01 covers
/// second-order terms (the contract is relative to the exact values, the
/// bound to the computed mean).
pub(super) fn measured_nll_error(n: usize, value: f64) -> f64 {
    1.01 * (CONTRACT + 3.0 * U + gamma(n).powi(2)) * value.abs()
}

/// The normalized model of positive integer weights.
fn model(weights: &[u32]) -> Vec<f64> {
    let w: Vec<f64> = weights.iter().map(|&x| f64::from(x)).collect();
    normalize(&w).expect("positive weights")
}

/// "q = [w₁/W, …]" for integer weights w with sum W.
fn fractions(weights: &[u32]) -> String {
    let total: u32 = weights.iter().sum();
    let parts: Vec<String> = weights.iter().map(|w| format!("{w}/{total}")).collect();
    format!("[{}]", parts.join(", "))
}

/// A sample, K categories, and the grid resolution G ≥ K.
type GridCase = (usize, u32, Vec<usize>);

fn arb_grid_case() -> BoxedStrategy<GridCase> {
    (2usize..=4)
        .prop_flat_map(|k| {
            (
                Just(k),
                (k as u32)..=(k as u32 + 6),
                proptest::collection::vec(0..k, 1..=12),
            )
        })
        .boxed()
}

/// Every vector of `k` positive integers summing to `total`.
fn compositions(k: usize, total: u32) -> Vec<Vec<u32>> {
    if k == 1 {
        return vec![vec![total]];
    }
    let mut out = Vec::new();
    for first in 1..=total.saturating_sub(k as u32 - 1) {
        for mut rest in compositions(k - 1, total - first) {
            rest.insert(0, first);
            out.push(rest);
        }
    }
    out
}

/// One grid model: weights, 0–1 risk, NLL.
struct GridModel {
    weights: Vec<u32>,
    zero_one: f64,
    nll: f64,
}

/// The grid's models with their 0–1 risks (the crate's own count) and their
/// NLLs through the measures under test ([`measured_nll`]: every example's
/// one-hot label against the model).
fn grid_models(
    m: &dyn Implementation,
    k: usize,
    total: u32,
    sample: &[usize],
) -> Result<Vec<GridModel>, CheckFailure> {
    compositions(k, total)
        .into_iter()
        .map(|weights| {
            let q = model(&weights);
            Ok(GridModel {
                zero_one: empirical_risk(sample, &q, Loss::ZeroOne)
                    .map_err(failed("empirical_risk"))?,
                nll: measured_nll(m, sample, &vec![q; sample.len()])?,
                weights,
            })
        })
        .collect()
}

/// The false statement on a finite family: every minimizer of the 0–1 risk
/// over the grid {w/G : wₖ ≥ 1 integers, Σw = G} is a maximum-likelihood
/// model of the grid, the likelihood through the measures under test.
fn zero_one_minimizers_are_mles(
    m: &dyn Implementation,
    (k, total, sample): &GridCase,
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let grid = grid_models(m, *k, *total, sample)?;
    let best_zero_one = grid
        .iter()
        .map(|g| g.zero_one)
        .fold(f64::INFINITY, f64::min);
    let best_nll = grid.iter().map(|g| g.nll).fold(f64::INFINITY, f64::min);
    for g in grid.iter().filter(|g| g.zero_one == best_zero_one) {
        // An MLE's measured NLL is within the two error bounds of the best.
        let n = sample.len();
        let bound = measured_nll_error(n, g.nll) + measured_nll_error(n, best_nll);
        w.close(
            "NLL of a 0–1 minimizer − the grid's best NLL",
            g.nll,
            best_nll,
            bound,
        )
        .map_err(|e| e.prefixed(&format!("0–1 minimizer {}: ", fractions(&g.weights))))?;
    }
    Ok(())
}

fn show_grid(m: &dyn Implementation, (k, total, sample): &GridCase) -> Counterexample {
    let mut rows = Vec::new();
    if let Ok(counts) = label_counts(sample, *k) {
        rows.push(("(c) grid sample label counts".to_string(), shown(&counts)));
    }
    rows.push((
        "(c) grid".to_string(),
        format!("q = w/{total}, w ∈ ℕ₊^{k}, Σw = {total} (argmax ties go to the lowest index)"),
    ));
    if let Ok(grid) = grid_models(m, *k, *total, sample) {
        let best_zero_one = grid
            .iter()
            .map(|g| g.zero_one)
            .fold(f64::INFINITY, f64::min);
        let minimizers: Vec<String> = grid
            .iter()
            .filter(|g| g.zero_one == best_zero_one)
            .map(|g| format!("{} (NLL {:e})", fractions(&g.weights), g.nll))
            .collect();
        rows.push((
            format!("(c) 0–1 minimizers (0–1 risk {best_zero_one})"),
            minimizers.join(", "),
        ));
        if let Some(mle) = grid.iter().min_by(|a, b| a.nll.total_cmp(&b.nll)) {
            rows.push((
                "(c) grid MLE".to_string(),
                format!(
                    "{} (NLL {:e}, 0–1 risk {})",
                    fractions(&mle.weights),
                    mle.nll,
                    mle.zero_one
                ),
            ));
        }
    }
    if let Ok(p) = empirical_distribution(sample, *k) {
        rows.push(("(c) p̂ₙ (the MLE over all q)".to_string(), shown(&p)));
    }
    Counterexample {
        summary:
            "a minimizer of the 0–1 risk over a grid of models whose NLL exceeds the grid MLE's"
                .to_string(),
        rows,
    }
}

/// Bound on a computed Brier risk relative to its value r: per example,
/// 1 − q_y (u) squared (3u in all), a compensated sum over K terms
/// (2u + γ²_K); over the sample a compensated sum (2u + γ²ₙ) and /n (u).
fn brier_error(categories: usize, n: usize, value: f64) -> f64 {
    1.01 * (8.0 * U + gamma(categories).powi(2) + gamma(n).powi(2)) * value
}

/// What holds for the squared and 0–1 losses on categorical data.
fn brier_case(
    m: &dyn Implementation,
    sample: &[usize],
    q: &[f64],
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let (n, k) = (sample.len(), q.len());
    let p = empirical_distribution(sample, k).map_err(failed("empirical_distribution"))?;
    let risk =
        |model: &[f64], loss| empirical_risk(sample, model, loss).map_err(failed("empirical_risk"));
    let (r_q, r_p) = (risk(q, Loss::Squared)?, risk(&p, Loss::Squared)?);

    // R_sq(q) = Σₖ(qₖ − p*ₖ)² + 1 − Σₖp*ₖ² for the exact p* = counts/n (expand
    // the square and average), for any vector q. With the stored p̂ = p*(1 + δ),
    // |δ| ≤ u: R_sq(q) − R_sq(p̂) = Σ(q − p̂)² + 2Σ(q − p̂)(p̂ − p*), the last
    // term at most 2u(1 + u)·Σ|qₖ − p̂ₖ|·p̂ₖ. So p̂ₙ, the MLE, minimizes it.
    let diffs: Vec<f64> = q.iter().zip(&p).map(|(a, b)| (a - b) * (a - b)).collect();
    let distance = compensated_sum(&diffs);
    let cross: f64 = q.iter().zip(&p).map(|(a, b)| (a - b).abs() * b).sum();
    // Rounding: both risks; their difference (u); Σ(q − p̂)² (a difference
    // and a square, 3u, and the compensated sum, 2u + γ²_K).
    let bound = brier_gap_bound((k, n), (r_q, r_p), distance, cross);
    w.at_least("R_sq(q) − R_sq(p̂ₙ)", r_q - r_p, 0.0, bound)?;
    w.close(
        "R_sq(q) − R_sq(p̂ₙ) − Σ(q − p̂ₙ)²",
        r_q - r_p,
        distance,
        bound,
    )?;

    // Its value at the minimizer is the Gini impurity 1 − Σp̂²: from the
    // identity, within Σ|p̂² − p*²| ≤ 2.01u·Σp̂², plus the roundings of R_sq(p̂),
    // of Σp̂² (products u, sum 2u + γ²_K) and of 1 − Σp̂² (u).
    let squares: Vec<f64> = p.iter().map(|x| x * x).collect();
    let sum_sq = compensated_sum(&squares);
    let gini = 1.0 - sum_sq;
    w.close(
        "R_sq(p̂ₙ) − (1 − Σp̂ₙ²)",
        r_p,
        gini,
        gini_bound((k, n), r_p, sum_sq, gini),
    )?;

    // …which is not the NLL at the minimizer, H(p̂ₙ): termwise
    // −ln x ≥ (1 − x) + (1 − x)²/2 on (0, 1] (the series of −ln(1 − y) has
    // non-negative terms), so H(p̂) − Σp̂(1 − p̂) ≥ ½Σp̂(1 − p̂)² > 0 unless p̂ is
    // a point mass. Slack: H within the contract (4u·Σ|p̂ ln p̂|), Σp̂(1 − p̂)
    // within 4u + γ²_K, ½Σp̂(1 − p̂)² within 7u + γ²_K, the difference u.
    let h = m
        .entropy(&p)
        .map_err(failed_in("H(p̂ₙ) rejected a valid p̂ₙ"))?;
    let gini_terms: Vec<f64> = p.iter().map(|x| x * (1.0 - x)).collect();
    let gini_direct = compensated_sum(&gini_terms);
    let lower_terms: Vec<f64> = p
        .iter()
        .map(|x| 0.5 * x * ((1.0 - x) * (1.0 - x)))
        .collect();
    let lower = compensated_sum(&lower_terms);
    let entropy_condition: f64 = p
        .iter()
        .filter(|&&x| x > 0.0)
        .map(|x| (x * x.ln()).abs())
        .sum();
    let slack = entropy_gini_slack(k, entropy_condition, (gini_direct, lower), h - gini_direct);
    w.at_least(
        "H(p̂ₙ) − Σp̂(1 − p̂) against ½Σp̂(1 − p̂)²",
        h - gini_direct,
        lower,
        slack,
    )?;

    // The 0–1 risk sees q only through argmax q: R₀₁(q) = 1 − p̂ₙ(argmax q).
    // R₀₁ is an exact count divided once (u·R₀₁); p̂ₖ is within u·p̂ₖ of the
    // exact ratio; the subtraction rounds once (u·|1 − p̂ₖ|).
    let r01 = risk(q, Loss::ZeroOne)?;
    let top = p[argmax(q)];
    let want = 1.0 - top;
    w.close(
        "R₀₁(q) − (1 − p̂ₙ(argmax q))",
        r01,
        want,
        zero_one_bound(r01, top),
    )
}

/// The bound on |R_sq(q) − R_sq(p̂) − Σ(q − p̂)²| for K categories and n
/// examples: both risks' (`brier_error`), their difference u·|R_q − R_p|,
/// Σ(q − p̂)² (a difference and a square, 3u, and the compensated sum,
/// 2u + γ_K²) and the stored p̂'s 2.01u·Σ|qₖ − p̂ₖ|p̂ₖ (`cross`).
fn brier_gap_bound(
    (k, n): (usize, usize),
    (r_q, r_p): (f64, f64),
    distance: f64,
    cross: f64,
) -> f64 {
    brier_error(k, n, r_q)
        + brier_error(k, n, r_p)
        + U * (r_q - r_p).abs()
        + 1.01 * (5.0 * U + gamma(k).powi(2)) * distance
        + 2.01 * U * cross
}

/// The bound on |R_sq(p̂) − (1 − Σp̂²)|: the risk's (`brier_error`), Σp̂²'s
/// (products u, the compensated sum 2u + γ_K²), the subtraction's u·gini,
/// and the stored p̂'s Σ|p̂² − p*²| ≤ 2.01u·Σp̂².
fn gini_bound((k, n): (usize, usize), r_p: f64, sum_sq: f64, gini: f64) -> f64 {
    brier_error(k, n, r_p)
        + 1.01 * (3.0 * U + gamma(k).powi(2)) * sum_sq
        + U * gini
        + 2.01 * U * sum_sq
}

/// The slack of H(p̂) − Σp̂(1 − p̂) ≥ ½Σp̂(1 − p̂)²: H within the contract
/// 4u·Σ|p̂ ln p̂| (`entropy_condition`), Σp̂(1 − p̂) within 4u + γ_K²,
/// ½Σp̂(1 − p̂)² within 7u + γ_K², the difference u.
fn entropy_gini_slack(
    k: usize,
    entropy_condition: f64,
    (gini, lower): (f64, f64),
    difference: f64,
) -> f64 {
    CONTRACT * entropy_condition
        + 1.01 * (4.0 * U + gamma(k).powi(2)) * gini
        + 1.01 * (7.0 * U + gamma(k).powi(2)) * lower
        + U * difference.abs()
}

/// The bound on |R₀₁(q) − (1 − p̂ₖ)| for k = argmax q: R₀₁ is an exact
/// count divided once (u·R₀₁), p̂ₖ within u·p̂ₖ of the exact ratio, the
/// subtraction u·|1 − p̂ₖ|.
fn zero_one_bound(r01: f64, top: f64) -> f64 {
    U * (r01 + top + (1.0 - top))
}

fn show_brier(sample: &[usize], q: &[f64]) -> Counterexample {
    let mut rows = vec![("n".to_string(), sample.len().to_string())];
    if let Ok(counts) = label_counts(sample, q.len()) {
        rows.push(("label counts".to_string(), shown(&counts)));
    }
    rows.push(("q".to_string(), shown(q)));
    Counterexample {
        summary: "the closed forms of the Brier and 0–1 risks fail on this sample".to_string(),
        rows,
    }
}

/// ½ln(2πσ²) = ½ln(2π) + ln σ: the Gaussian NLL's constant.
fn half_ln_two_pi_variance(sigma: f64) -> f64 {
    HALF_LN_2PI + sigma.ln()
}

/// What holds for real-valued data: MSE and the Gaussian NLL share the
/// minimizer x̄ and are related by NLL = ½ln(2πσ²) + MSE/(2σ²).
fn gaussian_case(sample: &[f64], sigma: f64, c: f64, w: &mut Worst) -> Result<(), CheckFailure> {
    let n = sample.len();
    let nf = n as f64;
    let c0 = half_ln_two_pi_variance(sigma);
    let nll_at = |center: f64| {
        mean_nll_continuous(sample, |x| {
            let z = (x - center) / sigma;
            -(c0 + 0.5 * (z * z))
        })
        .map_err(failed("mean_nll_continuous"))
    };
    let mse_at =
        |center: f64| mean_squared_error(sample, center).map_err(failed("mean_squared_error"));
    let mean = compensated_sum(sample) / nf;
    let mean_abs = sample.iter().map(|x| x.abs()).sum::<f64>() / nf;
    let mean_error = mean_error(n, mean, mean_abs);
    let two_var = 2.0 * (sigma * sigma);

    let mut nll_errors = [0.0; 2];
    for (slot, center) in [c, mean].into_iter().enumerate() {
        let nll = nll_at(center)?;
        let mse = mse_at(center)?;
        let rhs = c0 + mse / two_var;
        // Both sides use the same c₀, so its own rounding cancels.
        // NLL: each z²/2 within 5u (z in 2u, squared), each term c₀ + z²/2
        // rounded (u·|term|), the compensated sum (2u + γ²ₙ)·mean|term|, /n.
        // MSE/(2σ²): squares 3u, sum 2u + γ²ₙ, /n u, σ² u, the quotient u:
        // (8u + γ²ₙ)·D; adding c₀: u·|rhs|.
        let d = mse / two_var;
        let nll_error = gaussian_nll_error(n, c0, d, nll);
        nll_errors[slot] = nll_error;
        let bound = nll_error + scaled_mse_error(n, d, rhs);
        w.close("NLL − (½ln(2πσ²) + MSE/(2σ²))", nll, rhs, bound)?;
    }

    // Both objectives have their zero derivative at the sample mean:
    // d MSE/dc = 2(c − x̄) and d NLL/dc = (c − x̄)/σ², and at c = x̄̃ the mean
    // residual (1/n)Σ(x̄̃ − xᵢ) is exactly x̄̃ − x̄: within the error of x̄̃,
    // plus its own rounding (each difference u, the sum 2u + γ²ₙ, /n u).
    let residuals: Vec<f64> = sample.iter().map(|x| mean - x).collect();
    let spread = residuals.iter().map(|r| r.abs()).sum::<f64>() / nf;
    let residual = compensated_sum(&residuals) / nf;
    w.close(
        "mean residual at x̄ (the derivative's zero)",
        residual,
        0.0,
        residual_bound(n, mean_error, spread, residual),
    )?;

    // MSE(c) = MSE(x̄) + (c − x̄)² exactly; with x̄̃ = x̄ + δ,
    // MSE(c) − MSE(x̄̃) − (c − x̄̃)² = 2δ(c − x̄̃). Rounding: each MSE
    // (6u + γ²ₙ), the difference u, the square 3u.
    let (mse_c, mse_mean) = (mse_at(c)?, mse_at(mean)?);
    let gap = (c - mean) * (c - mean);
    let distance = (c - mean).abs();
    let mse_bound = mse_gap_bound(n, (mse_c, mse_mean), gap, (mean_error, distance));
    w.close(
        "MSE(c) − MSE(x̄) − (c − x̄)²",
        mse_c - mse_mean,
        gap,
        mse_bound,
    )?;

    // NLL(c) − NLL(x̄) = (c − x̄)²/(2σ²): the same argument scaled by 1/(2σ²),
    // with the NLL bounds above and the quotient (2u more on the gap).
    let (nll_c, nll_mean) = (nll_at(c)?, nll_at(mean)?);
    let nll_bound = nll_gap_bound(
        (nll_errors[0], nll_errors[1]),
        (nll_c, nll_mean),
        gap,
        two_var,
        (mean_error, distance),
    );
    w.close(
        "NLL(c) − NLL(x̄) − (c − x̄)²/(2σ²)",
        nll_c - nll_mean,
        gap / two_var,
        nll_bound,
    )
}

/// |x̄̃ − x̄| for x̄̃ = (compensated Σxᵢ)/n: the sum's u|Σx| + γₙ²Σ|x| and
/// the division's u, as 2.01u·|x̄̃| + γₙ²·mean|x|.
fn mean_error(n: usize, mean: f64, mean_abs: f64) -> f64 {
    2.01 * U * mean.abs() + gamma(n).powi(2) * mean_abs
}

/// The rounding of the mean Gaussian NLL (1/n)Σ(c₀ + zᵢ²/2) beyond c₀'s own,
/// with D = mean zᵢ²/2: each z²/2 within 5u (z in 2u, squared), each term
/// rounded (u·|term|), the compensated sum (2u + γₙ²)·mean|term|, /n (u·|NLL|):
/// 1.01·(5u·D + (2u + γₙ²)(|c₀| + D) + u·|NLL|).
fn gaussian_nll_error(n: usize, c0: f64, d: f64, nll: f64) -> f64 {
    1.01 * (5.0 * U * d + (2.0 * U + gamma(n).powi(2)) * (c0.abs() + d) + U * nll.abs())
}

/// The rounding of c₀ + MSE/(2σ²) beyond c₀'s own, with D = MSE/(2σ²):
/// squares 3u, the compensated sum 2u + γₙ², /n u, σ² u, the quotient u,
/// so (8u + γₙ²)·D, and the sum with c₀ u·|rhs|; 1.01 for the bound's own.
fn scaled_mse_error(n: usize, d: f64, rhs: f64) -> f64 {
    1.01 * ((8.0 * U + gamma(n).powi(2)) * d + U * rhs.abs())
}

/// The bound on the mean residual (1/n)Σ(x̄̃ − xᵢ), exactly x̄̃ − x̄: the
/// mean's error, plus the residual's own rounding (each difference u, the
/// compensated sum 2u + γₙ², so (3u + γₙ²)·mean|x̄̃ − xᵢ|, and /n u·|residual|).
fn residual_bound(n: usize, mean_error: f64, spread: f64, residual: f64) -> f64 {
    mean_error + 1.01 * (3.0 * U + gamma(n).powi(2)) * spread + U * residual.abs()
}

/// The bound on MSE(c) − MSE(x̄̃) − (c − x̄̃)² = 2δ(c − x̄̃) (δ = x̄̃ − x̄,
/// |δ| ≤ e, |c − x̄̃| = d): each MSE within (6u + γₙ²), the difference u,
/// the square 3u, and 2.01·e·d.
fn mse_gap_bound(
    n: usize,
    (mse_c, mse_mean): (f64, f64),
    gap: f64,
    (mean_error, distance): (f64, f64),
) -> f64 {
    1.01 * ((6.0 * U + gamma(n).powi(2)) * (mse_c + mse_mean)
        + U * (mse_c - mse_mean).abs()
        + 3.0 * U * gap)
        + 2.01 * mean_error * distance
}

/// The same for NLL(c) − NLL(x̄̃) − (c − x̄̃)²/(2σ²): the two NLLs' errors,
/// the difference u, the scaled square 5u (square 3u, the quotient's 2u),
/// and 2.01·e·d/(2σ²).
fn nll_gap_bound(
    (e_c, e_mean): (f64, f64),
    (nll_c, nll_mean): (f64, f64),
    gap: f64,
    two_var: f64,
    (mean_error, distance): (f64, f64),
) -> f64 {
    e_c + e_mean
        + U * (nll_c - nll_mean).abs()
        + 1.01 * 5.0 * U * gap / two_var
        + 2.01 * mean_error * distance / two_var
}

fn show_gaussian(sample: &[f64], sigma: f64, c: f64) -> Counterexample {
    Counterexample {
        summary:
            "the squared error and the Gaussian NLL disagree with their closed forms on this sample"
                .to_string(),
        rows: vec![
            ("n".to_string(), sample.len().to_string()),
            ("sample".to_string(), shown(sample)),
            ("σ".to_string(), format!("{sigma}")),
            ("c".to_string(), format!("{c}")),
        ],
    }
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
    use crate::claims::failure::assert_fails;

    /// The Brier check's comparison with the entropy fails for an entropy
    /// scaled by 0.8: on the sample (0, 1, 1), p̂ = (⅓, ⅔), H ≈ 0.637,
    /// Σp̂(1 − p̂) = 4/9 and ½Σp̂(1 − p̂)² = 1/9, so H − 4/9 ≈ 0.192 clears
    /// 1/9 while 0.8·H − 4/9 ≈ 0.065 does not.
    #[test]
    fn the_brier_check_fails_for_a_scaled_entropy() {
        use crate::measures::Reference;
        use crate::measures::planted::Affine;
        let (sample, q) = ([0, 1, 1], [0.25, 0.75]);
        assert_eq!(
            brier_case(&Reference, &sample, &q, &mut Worst::new()),
            Ok(())
        );
        let scaled = Affine {
            entropy: (0.8, 0.0),
            ..Affine::EXACT
        };
        assert_fails(
            brier_case(&scaled, &sample, &q, &mut Worst::new()),
            Comparison::AtLeast,
            "H(p̂ₙ) − Σp̂(1 − p̂) against ½Σp̂(1 − p̂)²",
        );
    }
    use crate::test_support::assert_near;

    /// ½ln(2πσ²) against the logarithm computed here: ½ln(2π) (the literal
    /// against 0.5·ln(2π) in f64: two roundings of ln and 2π, 4u relative),
    /// and at σ = 2 plus ln 2 (2u more).
    #[test]
    fn the_gaussian_constant_is_half_the_log_of_two_pi_sigma_squared() {
        let half = 0.5 * (2.0 * std::f64::consts::PI).ln();
        assert!((HALF_LN_2PI - half).abs() <= 4.0 * U * half);
        assert_eq!(half_ln_two_pi_variance(1.0), HALF_LN_2PI);
        let want = half + std::f64::consts::LN_2;
        let got = half_ln_two_pi_variance(2.0);
        assert!((got - want).abs() <= 6.0 * U * want, "{got} vs {want}");
    }

    /// The Brier and 0–1 bounds against their documented formulas, at
    /// K = 3 and n = 4 (the u terms count) and at K = n = 2⁴⁵ (γ² ≈ 2⁻¹⁶
    /// outweighs them), with arguments of comparable size: a handful of
    /// non-negative terms summed in different orders, 8u relative.
    #[test]
    fn brier_bounds_follow_their_formulas() {
        let near = |got: f64, want: f64, what: &str| assert_near(got, want, 8.0, what);
        for size in [4usize, 1 << 45] {
            let (gk, gn) = (gamma(size.min(3)), gamma(size));
            let (k, n) = (size.min(3), size);
            let e = |v: f64| 1.01 * (8.0 * U + gk * gk + gn * gn) * v;
            near(
                brier_gap_bound((k, n), (0.75, 0.5), 0.25, 0.5),
                e(0.75) + e(0.5) + U * 0.25 + 1.01 * (5.0 * U + gk * gk) * 0.25 + 2.01 * U * 0.5,
                "gap",
            );
            near(
                gini_bound((k, n), 0.5, 0.375, 0.625),
                e(0.5) + 1.01 * (3.0 * U + gk * gk) * 0.375 + U * 0.625 + 2.01 * U * 0.375,
                "gini",
            );
            let (gk, k) = (gamma(size), size);
            near(
                entropy_gini_slack(k, 1.5, (0.625, 0.125), -0.25),
                4.0 * U * 1.5
                    + 1.01 * (4.0 * U + gk * gk) * 0.625
                    + 1.01 * (7.0 * U + gk * gk) * 0.125
                    + U * 0.25,
                "entropy against gini",
            );
        }
        // u·(R₀₁ + p̂ₖ + (1 − p̂ₖ)) = u·(¼ + ½ + ½), exact.
        assert_eq!(zero_one_bound(0.25, 0.5), 1.25 * U);
    }

    /// The Gaussian case's bounds against their documented formulas, at
    /// arguments where each term is within a few powers of two of the
    /// others: n = 4 (γₙ² ≈ 16u², so the u terms count) and n = 2⁴⁵
    /// (γₙ² ≈ 2⁻¹⁶ outweighs them). Both sides round a handful of
    /// non-negative terms in different orders: 8u relative, far below the
    /// change of any term.
    #[test]
    fn gaussian_bounds_follow_their_formulas() {
        let near = |got: f64, want: f64, what: &str| assert_near(got, want, 8.0, what);
        for n in [4usize, 1 << 45] {
            let g2 = gamma(n) * gamma(n);
            let tiny = 2f64.powi(-37);
            near(
                mean_error(n, -0.5, tiny),
                2.01 * U * 0.5 + g2 * tiny,
                "mean",
            );
            near(
                gaussian_nll_error(n, -0.75, 0.5, -1.25),
                1.01 * (5.0 * U * 0.5 + (2.0 * U + g2) * 1.25 + U * 1.25),
                "NLL",
            );
            near(
                scaled_mse_error(n, 0.5, -1.5),
                1.01 * ((8.0 * U + g2) * 0.5 + U * 1.5),
                "MSE/(2σ²)",
            );
            near(
                residual_bound(n, U, 0.5, -0.25),
                U + 1.01 * (3.0 * U + g2) * 0.5 + U * 0.25,
                "residual",
            );
            near(
                mse_gap_bound(n, (1.5, 0.5), 0.25, (U, 0.5)),
                1.01 * ((6.0 * U + g2) * 2.0 + U * 1.0 + 3.0 * U * 0.25) + 2.01 * U * 0.5,
                "MSE gap",
            );
        }
        near(
            nll_gap_bound((U, 2.0 * U), (0.5, 1.5), 0.25, 0.5, (U, 0.5)),
            3.0 * U + U * 1.0 + 1.01 * 5.0 * U * 0.5 + 2.01 * U * 0.5 / 0.5,
            "NLL gap",
        );
    }

    /// The Brier risk's bound against the exact risk of the stored model
    /// and sample, (1/n)·Σₛ Σₖ (qₖ − [k = yₛ])² at 320 bits, on random
    /// models (K = 2 … 12, entries spread over e^±6) and samples (n = 1 …
    /// 200): validity everywhere. Tightness: the computed risk carries a few
    /// roundings of u relative, against a bound of 1.01·(8u + γ²_K + γ²ₙ);
    /// 0.27 of it is reached (printed), and the floor is 2⁻³, so a bound
    /// loosened by a factor of 8 fails. A zero risk (a point-mass model on
    /// a constant sample) has a zero bound, and is exact.
    #[test]
    fn the_brier_bound_covers_the_exact_risk() {
        use crate::risk::empirical::empirical_risk;
        use crate::test_support::bounds::{bound_stream, simplex};
        use crate::test_support::{BoundCheck, PREC as P, RM, big};
        use rand::RngExt;
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let mut rng = bound_stream("brier-risk");
        let mut check = BoundCheck::new("claim 8: Brier risk", 0.125);
        for case in 0..200 {
            let k = rng.random_range(2..=12usize);
            let n = if case % 10 == 0 {
                200
            } else {
                rng.random_range(1..=30usize)
            };
            let q = simplex(&mut rng, k, 6.0);
            let sample: Vec<usize> = (0..n).map(|_| rng.random_range(0..k)).collect();
            let computed = empirical_risk(&sample, &q, Loss::Squared).unwrap();
            let mut exact = big(0.0);
            for &y in &sample {
                for (j, &qj) in q.iter().enumerate() {
                    let d = big(qj).sub(&big(if j == y { 1.0 } else { 0.0 }), P, RM);
                    exact = exact.add(&d.mul(&d, P, RM), P, RM);
                }
            }
            let exact = exact.div(&big(n as f64), P, RM);
            check.value(
                computed,
                &exact,
                brier_error(k, n, computed),
                &mut cc,
                || format!("K = {k}, n = {n}, case {case}"),
            );
        }
        check.finish();
        let point_mass = [0.0, 1.0, 0.0];
        let risk = empirical_risk(&[1, 1, 1], &point_mass, Loss::Squared).unwrap();
        assert_eq!((risk, brier_error(3, 3, risk)), (0.0, 0.0));
    }

    /// The measured NLL against its exact value for the stored rows,
    /// −(1/n)Σ ln q_y at 320 bits, for the crate's measures and for measures
    /// at the edge of the contract: always within [`measured_nll_error`]
    /// (validity). Tightness: for one example the sum and the division are
    /// exact, and the edge implementation moves the one value (a single term,
    /// S = |v| = ℓ) by at least 4u·S − 2u·|v| = 2u·ℓ less its double-double
    /// error (its documented floor), against a bound of 1.01·(7u + γ₁²)·ℓ: a
    /// ratio of at least 2/7.07 ≈ 0.283, floored here at 0.25.
    #[test]
    fn the_measured_nll_is_within_its_bound() {
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
            let m: [&dyn Implementation; 2] = [&Reference, &AtTheEdge::CLAIMS];
            for (which, m) in m.into_iter().enumerate() {
                let got = measured_nll(m, sample, &rows).unwrap();
                let err = to_f64(&big(got).sub(&exact, PREC, RM).abs(), &mut cc);
                let ratio = err / measured_nll_error(sample.len(), got);
                assert!(ratio <= 1.0, "{sample:?} {weights:?} ({which}): {ratio}");
                if which == 1 && sample.len() == 1 {
                    assert!(ratio >= 0.25, "{sample:?} {weights:?}: {ratio}");
                }
            }
        }
    }

    /// Both sides of the searched statement (c): on the grid of one model
    /// (G = K) its 0–1 minimizer is its MLE; on G = 4 over two categories,
    /// with the sample (0), the 0–1 minimizers include (½, ½), whose NLL
    /// exceeds that of the grid MLE (¾, ¼).
    #[test]
    fn zero_one_minimizers_are_mles_on_some_grids_only() {
        use crate::measures::Reference;
        let mut w = Worst::new();
        assert_eq!(
            zero_one_minimizers_are_mles(&Reference, &(3, 3, vec![0, 2]), &mut w),
            Ok(())
        );
        assert_eq!(w.comparisons(), 1);
        assert_fails(
            zero_one_minimizers_are_mles(&Reference, &(2, 4, vec![0]), &mut Worst::new()),
            Comparison::Close,
            "0–1 minimizer [2/4, 2/4]: NLL of a 0–1 minimizer − the grid's best NLL",
        );
    }

    /// (c) reads the likelihood through the measures under test. On the
    /// sample (0, 1, 1) and the grid {(⅓, ⅔), (⅔, ⅓)} the 0–1 minimizer
    /// (⅓, ⅔) is the MLE (NLL (ln 3 + 2 ln 1.5)/3 ≈ 0.637 against
    /// (ln 1.5 + 2 ln 3)/3 ≈ 0.868), for the crate's measures and for
    /// measures at the edge of the contract. A cross-entropy that drops the
    /// last category scores the label-1 examples 0, so the NLLs become
    /// ln 3/3 ≈ 0.366 and ln 1.5/3 ≈ 0.135: the grid's MLE is now (⅔, ⅓) and
    /// the statement fails on this input, where with the crate's own NLL it
    /// could not.
    #[test]
    fn the_grid_statement_reads_the_measured_likelihood() {
        use crate::measures::Reference;
        use crate::measures::planted::{Bug, Planted};
        use crate::test_support::AtTheEdge;
        let case = (2, 3, vec![0, 1, 1]);
        for m in [&Reference as &dyn Implementation, &AtTheEdge::CLAIMS] {
            assert_eq!(
                zero_one_minimizers_are_mles(m, &case, &mut Worst::new()),
                Ok(())
            );
        }
        assert_fails(
            zero_one_minimizers_are_mles(
                &Planted::crate_with(Bug::Dropped),
                &case,
                &mut Worst::new(),
            ),
            Comparison::Close,
            "0–1 minimizer [1/3, 2/3]: NLL of a 0–1 minimizer − the grid's best NLL",
        );
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

    #[test]
    fn compositions_enumerate_the_grid() {
        // C(G − 1, K − 1) compositions of G into K positive parts.
        assert_eq!(compositions(2, 4), vec![vec![1, 3], vec![2, 2], vec![3, 1]]);
        assert_eq!(compositions(3, 7).len(), 15);
        assert!(
            compositions(4, 9)
                .iter()
                .all(|w| w.iter().sum::<u32>() == 9)
        );
    }
}
