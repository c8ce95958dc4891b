//! Claim 9: a KL loss as commonly implemented does not train like
//! cross-entropy. Three pitfalls, one file each: PyTorch's default `mean`
//! reduction ([`mean_reduction`]), a KL on one sigmoid output ([`sigmoid`]),
//! and zeros meeting ln 0 = −∞ ([`zeros`]).

mod mean_reduction;
mod sigmoid;
mod zeros;

use super::harness::property;
use super::{Claim, Context, Evidence, Expectation, refuted_evidence, search, with_searches};
use crate::measures::normalize;
use crate::numerics::U;
use mean_reduction::{
    arb_batch, mean_gradient_is_ce_gradient, mean_gradient_matches_differences,
    mean_is_batchmean_over_c, show_batch,
};
use sigmoid::{
    arb_sigmoid_pair, arb_twentieths, show_sigmoid, sigmoid_is_bernoulli_kl, sigmoid_kl_decreases,
};
use zeros::{arb_zero_pair, show_zeros, torch_style_is_kl, zeros_follow_the_convention};

/// The error of PyTorch's KL sum Σ(tᵢ·ln tᵢ − tᵢ·xᵢ) (`torch_kl_div`
/// before its division), from 0 in the given order, against its exact value
/// at inputs xᵢ within δᵢ of their exact values, over the elements
/// (tᵢ, xᵢ, δᵢ) as computed:
/// - tᵢ·ln tᵢ within 3u·|tᵢ ln tᵢ| (the platform's ln within one ulp, 2u,
///   and the product);
/// - tᵢ·xᵢ within u·|tᵢxᵢ| + tᵢδᵢ;
/// - the element's subtraction u·|Lᵢ|;
/// - each partial sum Sₖ after the first, u·|Sₖ| (a running bound: the
///   partial sums are recomputed here in the same order from the same
///   elements, so they are the ones PyTorch's sum rounds);
///
/// and 1.01 for the second-order rest. Elements with tᵢ = 0 are exactly 0
/// (xlogy(0, ·) = 0, 0·xᵢ = 0 for finite xᵢ) and can be left out.
fn torch_sum_bound(elements: impl IntoIterator<Item = (f64, f64, f64)>) -> f64 {
    let mut err = 0.0;
    let mut partial: Option<f64> = None;
    for (t, x, delta) in elements {
        let tl = if t > 0.0 { t * t.ln() } else { 0.0 };
        let tx = t * x;
        let element = tl - tx;
        err += 3.0 * U * tl.abs() + U * tx.abs() + t * delta + U * element.abs();
        partial = Some(match partial {
            None => element,
            Some(s) => {
                let s = s + element;
                err += U * s.abs();
                s
            }
        });
    }
    1.01 * err
}

/// Claim 9.
pub(crate) const KL_LOSS_PITFALLS: Claim = Claim {
    id: "kl-loss-pitfalls",
    number: 9,
    title: "KL losses as commonly implemented train unlike cross-entropy (shown by counterexample)",
    statement: "A KL-divergence loss as commonly implemented trains like cross-entropy: (1) PyTorch's kl_div with its default mean reduction has the gradient of the batch-mean CE; (2) a KL on one sigmoid probability, y·ln(y/x), is the KL between (y, 1 − y) and (x, 1 − x), so it trains like BCE; (3) evaluating Σ p·(ln p − ln q) as PyTorch does gives the KL",
    hypotheses: "(1) a batch of R rows, C ≥ 1 classes (C = 1, where (1) holds, included), probability targets t, logits z, input = log_softmax(z); the CE gradient from the measures under test; (2) y ∈ (0, 1], x ∈ (0, 1) on twentieths (y = 1 and x = y, where (2) holds, included), the two-category KL from the measures; (3) probability vectors with zeros (and without, where (3) holds), ln q = −∞ where q = 0, evaluated as PyTorch does, xlogy(p, p) − p·ln q, against the measures' KL",
    expectation: Expectation::Refuted,
    test: "tests/claims_differ.rs::claim_9_kl_loss_pitfalls",
    check: check_pitfalls,
};

/// Integer weights 0 … 4 (a row of zeros gets a 1 in its first entry), normalized.
fn row_from_weights(w: &[u8]) -> Vec<f64> {
    let mut w: Vec<f64> = w.iter().map(|&x| f64::from(x)).collect();
    if w.iter().all(|&x| x == 0.0) {
        w[0] = 1.0;
    }
    normalize(&w).unwrap_or_else(|_| vec![1.0 / w.len() as f64; w.len()])
}
fn check_pitfalls(ctx: &Context<'_>) -> Evidence {
    let m = ctx.measures;
    let mean = search(
        ctx,
        "kl-loss-pitfalls/mean-gradient-is-measured-ce-gradient",
        arb_batch(),
        |b, w| mean_gradient_is_ce_gradient(m, b, w),
        |b| show_batch(m, b),
    );
    let sigmoid = search(
        ctx,
        "kl-loss-pitfalls/sigmoid-kl-is-bernoulli-kl",
        arb_twentieths(),
        |c, w| sigmoid_is_bernoulli_kl(m, c, w),
        |c| show_sigmoid(m, c),
    );
    let zeros = search(
        ctx,
        "kl-loss-pitfalls/torch-style-is-kl",
        arb_zero_pair(),
        |c, w| torch_style_is_kl(m, c, w),
        |c| show_zeros(m, c),
    );
    let support_mean = property(
        ctx,
        "kl-loss-pitfalls/mean-is-batchmean-over-c",
        arb_batch(),
        |b, w| mean_is_batchmean_over_c(m, b, w),
    )
    .shown(|b| show_batch(m, b));
    let support_grad = property(
        ctx,
        "kl-loss-pitfalls/mean-gradient-matches-differences",
        arb_batch(),
        mean_gradient_matches_differences,
    )
    .shown(|b| show_batch(m, b));
    let support_sigmoid = property(
        ctx,
        "kl-loss-pitfalls/sigmoid-kl-decreases",
        arb_sigmoid_pair(),
        |c, w| sigmoid_kl_decreases(m, c, w),
    )
    .shown(|&(y, x1, _)| show_sigmoid(m, &(y, x1)));
    let support_zeros = property(
        ctx,
        "kl-loss-pitfalls/zeros-follow-the-convention",
        arb_zero_pair(),
        |c, w| zeros_follow_the_convention(m, c, w),
    )
    .shown(|c| show_zeros(m, c));
    let mut evidence = refuted_evidence(
        ("(1) mean reduction has the measured CE gradient", mean),
        vec![
            ("(1) mean × C = batchmean = CE − H", support_mean),
            ("(1) mean gradient matches differences", support_grad),
            ("(2) sigmoid KL decreases in x", support_sigmoid),
            ("(3) zeros follow the convention", support_zeros),
        ],
    );
    if let Some(c) = evidence.counterexample.as_mut() {
        c.summary = "three KL losses that do not train like CE: (1) PyTorch's default mean reduction divides the gradient by C; (2) y·ln(y/x) on one sigmoid output drops the term (1 − y)·ln((1 − y)/(1 − x)) of the Bernoulli KL, and keeps falling towards x = 1 instead of stopping at x = y; (3) a zero target meeting ln 0 = −∞ gives NaN where the KL is 0".to_string();
    }
    with_searches(
        evidence,
        vec![
            ("(2) sigmoid KL is the Bernoulli KL", sigmoid),
            ("(3) PyTorch-style evaluation is the KL", zeros),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weights are normalized as they are; a row of zeros becomes a point
    /// mass on the first entry, so every drawn row is a distribution.
    #[test]
    fn rows_from_weights_are_distributions() {
        assert_eq!(row_from_weights(&[1, 3]), [0.25, 0.75]);
        assert_eq!(row_from_weights(&[0, 2, 0, 2]), [0.0, 0.5, 0.0, 0.5]);
        assert_eq!(row_from_weights(&[0, 0, 0]), [1.0, 0.0, 0.0]);
        assert_eq!(row_from_weights(&[0]), [1.0]);
    }
}
