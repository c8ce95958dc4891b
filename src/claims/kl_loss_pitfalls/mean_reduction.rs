//! Claim 9, pitfall 1: PyTorch's `kl_div` with its default `mean` reduction
//! divides by R·C, not by the batch size R, so its gradient is CE's divided
//! by the number of classes C.

use crate::claims::CheckFailure;
use crate::claims::failure::failed;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::{row_from_weights, torch_sum_bound};
use crate::claims::harness::{U, Worst, contract};
use crate::claims::{Counterexample, Implementation};
use crate::measures::{
    Measure, Reduction, Refusal, log_softmax, log_softmax_error_bounds, softmax,
};
use crate::numerics::finite_difference::{difference_bound, power_of_two_step};
use crate::numerics::format::{short, short_vector as fmt_vec};
use crate::risk::torch_losses::{
    TorchReduction, cross_entropy_logits_gradient, kl_div_logits_gradient, torch_kl_div,
};

/// A batch: targets (rows of probabilities) and logits.
#[derive(Debug, Clone)]
pub(super) struct Batch {
    target: Vec<Vec<f64>>,
    logits: Vec<Vec<f64>>,
}

impl Batch {
    fn classes(&self) -> usize {
        self.target[0].len()
    }

    fn input(&self) -> Result<Vec<Vec<f64>>, CheckFailure> {
        self.logits
            .iter()
            .map(|z| log_softmax(z).map_err(failed("log_softmax")))
            .collect()
    }

    fn q(&self) -> Result<Vec<Vec<f64>>, CheckFailure> {
        self.logits
            .iter()
            .map(|z| softmax(z).map_err(failed("softmax")))
            .collect()
    }
}
/// R ∈ [1, 4] rows of C ∈ [1, 6] classes: integer-weight targets (zeros and
/// one-hot rows common), logits in quarters in [−2, 2] or, one time in four,
/// real in [−20, 20]. Entries are drawn for 4 × 6 and the batch is the
/// top-left R × C block, so shrinking lowers R, C and each entry independently.
pub(super) fn arb_batch() -> BoxedStrategy<Batch> {
    const R: usize = 4;
    const C: usize = 6;
    let logit = prop_oneof![
        3 => (-8i32..=8).prop_map(|k| f64::from(k) / 4.0),
        1 => -20.0f64..20.0,
    ];
    (
        1usize..=R,
        1usize..=C,
        proptest::collection::vec(proptest::collection::vec(0u8..=4, C), R),
        proptest::collection::vec(proptest::collection::vec(logit, C), R),
    )
        .prop_map(|(r, c, w, logits)| Batch {
            target: w[..r]
                .iter()
                .map(|row| row_from_weights(&row[..c]))
                .collect(),
            logits: logits[..r].iter().map(|row| row[..c].to_vec()).collect(),
        })
        .boxed()
}

/// One row of a gradient with its entrywise error bounds.
type BoundedRow = (Vec<f64>, Vec<f64>);

/// The gradient of the batch-mean cross-entropy from the measures under
/// test (`cross_entropy_logits_grad_rows` under `batchmean`), with a bound
/// on each entry's distance to the exact (softmax(zᵣ) − tᵣ)/R. An
/// implementation that does not offer the gradient is stood in for by the
/// crate's closed form, with its own bound.
///
/// Bound of an accurate implementation: a computed softmax entry within
/// qᵢ(δᵢ + u) (δ the log-softmax bound, u the exp), the subtraction
/// u·|q̃ᵢ − tᵢ|, the division by R u·|value|; 1.01 covers second-order terms.
fn measured_ce_gradient(
    m: &dyn Implementation,
    b: &Batch,
) -> Result<Vec<BoundedRow>, CheckFailure> {
    let rows = b.target.len() as f64;
    match m.cross_entropy_logits_grad_rows(&b.target, &b.logits, Reduction::BatchMean) {
        Err(Refusal::Unsupported) => {
            let g = cross_entropy_logits_gradient(&b.target, &b.logits)
                .map_err(failed("cross_entropy_logits_gradient"))?;
            Ok(g.into_iter().map(|r| (r.value, r.error)).collect())
        }
        Err(e) => Err(failed("cross_entropy_logits_grad_rows")(e)),
        Ok(g) => {
            let q = b.q()?;
            Ok(g.into_iter()
                .zip(&q)
                .zip(b.target.iter().zip(&b.logits))
                .map(|((row, q), (t, z))| {
                    let delta = log_softmax_error_bounds(z, 0.0);
                    let bound = (0..row.len())
                        .map(|i| {
                            1.01 * (q[i] * (delta[i] + U) + U * (q[i] - t[i]).abs()) / rows
                                + U * row[i].abs()
                        })
                        .collect();
                    (row, bound)
                })
                .collect())
        }
    }
}

/// The false statement (1): the gradient of PyTorch's default `mean`
/// KL loss (its closed form) equals the gradient of the batch-mean
/// cross-entropy (from the measures under test). It holds for one class
/// (both gradients are 0) and where the targets are the softmax itself;
/// elsewhere the `mean` gradient is CE's divided by C.
pub(super) fn mean_gradient_is_ce_gradient(
    m: &dyn Implementation,
    b: &Batch,
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let g_mean = kl_div_logits_gradient(&b.target, &b.logits, TorchReduction::Mean)
        .map_err(failed("kl_div_logits_gradient"))?;
    let g_ce = measured_ce_gradient(m, b)?;
    for (r, (a, (c, c_err))) in g_mean.iter().zip(&g_ce).enumerate() {
        for k in 0..a.value.len() {
            w.close(
                &format!("∂(mean KL)/∂z[{r}][{k}] against ∂(batchmean CE)/∂z[{r}][{k}]"),
                a.value[k],
                c[k],
                a.error[k] + c_err[k],
            )?;
        }
    }
    Ok(())
}

/// Error bound of `torch_kl_div` with input = log_softmax(z), against the
/// exact value at the exact log-probabilities, before the final division:
/// [`torch_sum_bound`] over the elements in row order, each input within
/// its log-softmax bound δᵢ.
fn torch_sum_error(b: &Batch, input: &[Vec<f64>]) -> f64 {
    torch_sum_bound(
        b.target
            .iter()
            .zip(input)
            .zip(&b.logits)
            .flat_map(|((t, x), z)| {
                let delta = log_softmax_error_bounds(z, 0.0);
                (0..t.len()).map(move |i| (t[i], x[i], delta[i]))
            }),
    )
}

/// One row's allowances under the accuracy contract ([`contract`], for the
/// stored t and q) for KL(t‖q), CE(t, q) and H(t), and how far q's relative
/// rounding (δᵢ + u, δ the log-softmax bounds at the logits z) moves KL and
/// CE: Σ tᵢ(δᵢ + u).
fn row_allowances(t: &[f64], q: &[f64], z: &[f64]) -> [f64; 4] {
    let delta = log_softmax_error_bounds(z, 0.0);
    let shift = (0..t.len())
        .filter(|&i| t[i] > 0.0)
        .map(|i| t[i] * (delta[i] + U))
        .sum();
    [
        contract(Measure::KlDivergence, t, q),
        contract(Measure::CrossEntropy, t, q),
        contract(Measure::Entropy, t, &[]),
        shift,
    ]
}

/// PyTorch's batchmean against the measures' batch-mean KL: the sum of R
/// rows' errors `total`, divided by R; PyTorch's division by R,
/// u·|batchmean|; the measures' plain sum over R rows and its division,
/// R·u·|KL| (partial sums at most R times the mean for values of one sign);
/// 1.01 for the second-order rest.
fn batchmean_bound(total: f64, rows: f64, (batchmean, kl): (f64, f64)) -> f64 {
    total / rows + 1.01 * (U * batchmean.abs() + rows * U * kl.abs())
}

/// KL = CE − H per row within the contract (the three measures'
/// allowances summed over the R rows, divided by R); each mean's plain sum
/// over R rows rounds R − 1 times (partial sums at most R times the mean
/// in size for values of one sign) and its division once, R·u per mean;
/// the subtraction CE − H u·|CE − H|. 1.01 covers the second-order rest
/// (the values' signs are those of the allowances at most).
fn identity_mean_bound(allowances: [f64; 3], rows: f64, [kl, ce, h]: [f64; 3]) -> f64 {
    1.01 * ((allowances[0] + allowances[1] + allowances[2]) / rows
        + rows * U * (kl.abs() + ce.abs() + h.abs())
        + U * (ce - h).abs())
}

/// What is true instead (1), for one batch:
/// - `mean` × C = `batchmean`: the same sum S divided by R·C and by R; the
///   two quotients, the product by C: 3u·|batchmean|, with 1.01 for the
///   second-order rest;
/// - PyTorch's `batchmean` is the batch-mean KL of the measures under test;
/// - batch-mean KL = batch-mean CE − batch-mean H (the measures);
/// - ∇(mean) × C = ∇(batchmean CE): both are the same f64 (q·Σt − t)
///   scaled, by fl(1/(RC)) and by fl(1/R): five roundings (two
///   reciprocals, two products, the product by C), 1.01·5u·|∇ batchmean CE|.
pub(super) fn mean_is_batchmean_over_c(
    m: &dyn Implementation,
    b: &Batch,
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let (r, c) = (b.target.len() as f64, b.classes() as f64);
    let input = b.input()?;
    let q = b.q()?;
    let mean =
        torch_kl_div(&input, &b.target, TorchReduction::Mean).map_err(failed("torch_kl_div"))?;
    let batchmean = torch_kl_div(&input, &b.target, TorchReduction::BatchMean)
        .map_err(failed("torch_kl_div"))?;
    w.close(
        "C × (mean-reduced KL) against batchmean KL",
        mean * c,
        batchmean,
        1.01 * 3.0 * U * batchmean.abs(),
    )?;
    // The measures, row by row, averaged.
    let (mut kl, mut ce, mut h) = (0.0, 0.0, 0.0);
    let (mut allow_kl, mut allow_ce, mut allow_h, mut input_err) = (0.0, 0.0, 0.0, 0.0);
    for ((t, qr), z) in b.target.iter().zip(&q).zip(&b.logits) {
        kl += m.kl_divergence(t, qr).map_err(failed("kl_divergence"))?;
        ce += m.cross_entropy(t, qr).map_err(failed("cross_entropy"))?;
        h += m.entropy(t).map_err(failed("entropy"))?;
        let [a, b, c, d] = row_allowances(t, qr, z);
        allow_kl += a;
        allow_ce += b;
        allow_h += c;
        input_err += d;
    }
    let (kl, ce, h) = (kl / r, ce / r, h / r);
    // PyTorch's batchmean against the measures' mean KL: both within their
    // bounds of the exact mean KL, each divided by R, plus the means' own
    // rounding.
    let bound = batchmean_bound(
        torch_sum_error(b, &input) + allow_kl + input_err,
        r,
        (batchmean, kl),
    );
    w.close(
        "PyTorch batchmean KL against the measures' batch-mean KL",
        batchmean,
        kl,
        bound,
    )?;
    let bound = identity_mean_bound([allow_kl, allow_ce, allow_h], r, [kl, ce, h]);
    w.close(
        "batch-mean KL against batch-mean CE − batch-mean H",
        kl,
        ce - h,
        bound,
    )?;
    let g_mean = kl_div_logits_gradient(&b.target, &b.logits, TorchReduction::Mean)
        .map_err(failed("kl_div_logits_gradient"))?;
    let g_ce = cross_entropy_logits_gradient(&b.target, &b.logits)
        .map_err(failed("cross_entropy_logits_gradient"))?;
    for (row, (a, e)) in g_mean.iter().zip(&g_ce).enumerate() {
        for k in 0..a.value.len() {
            w.close(
                &format!("C × ∂(mean KL)/∂z[{row}][{k}] against ∂(batchmean CE)/∂z[{row}][{k}]"),
                a.value[k] * c,
                e.value[k],
                1.01 * 5.0 * U * e.value[k].abs(),
            )?;
        }
    }
    Ok(())
}

/// The gradient of the `mean` loss is the derivative of PyTorch's value:
/// central differences of `torch_kl_div(log_softmax(z), t, mean)` along each
/// logit match `kl_div_logits_gradient`.
///
/// Along zᵣₖ the loss is CE(tᵣ, softmax(zᵣ + τeₖ))/(R·C) plus a constant; with
/// β = eₖ (range 1) the bounds of claim 7 give |f'''| ≤ 1/(R·C) and
/// |f''| ≤ 1/(4R·C). The step h = (3ε/M₃)^(1/3) (a power of two) minimizes
/// h²M₃/6 + ε/h; the bound adds the evaluation errors over 2h, the rounding
/// of zᵣₖ ± h times max|f'|, the quotient's own rounding and the analytic
/// gradient's bound.
pub(super) fn mean_gradient_matches_differences(
    b: &Batch,
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let (r, c) = (b.target.len(), b.classes());
    let d = (r * c) as f64;
    let g = kl_div_logits_gradient(&b.target, &b.logits, TorchReduction::Mean)
        .map_err(failed("kl_div_logits_gradient"))?;
    let eval = |logits: &[Vec<f64>]| -> Result<(f64, f64), CheckFailure> {
        let batch = Batch {
            target: b.target.clone(),
            logits: logits.to_vec(),
        };
        let input = batch.input()?;
        let v = torch_kl_div(&input, &b.target, TorchReduction::Mean)
            .map_err(failed("torch_kl_div"))?;
        Ok((v, torch_sum_error(&batch, &input) / d + U * v.abs()))
    };
    let (_, eps) = eval(&b.logits)?;
    let m3 = 1.0 / d;
    let m2 = 0.25 / d;
    let h = power_of_two_step(eps, m3);
    for row in 0..r {
        for k in 0..c {
            let mut plus = b.logits.clone();
            let mut minus = b.logits.clone();
            plus[row][k] += h;
            minus[row][k] -= h;
            let (fp, ep) = eval(&plus)?;
            let (fm, em) = eval(&minus)?;
            let quotient = (fp - fm) / (2.0 * h);
            let (gv, ge) = (g[row].value[k], g[row].error[k]);
            let z = b.logits[row][k];
            let bound = difference_bound(h, (m2, m3), (ep, em), (gv, ge), z, quotient);
            w.close(
                &format!("central difference of mean KL along z[{row}][{k}] against its gradient"),
                quotient,
                gv,
                bound,
            )?;
        }
    }
    Ok(())
}

pub(super) fn show_batch(m: &dyn Implementation, b: &Batch) -> Counterexample {
    let mut rows = vec![
        (
            "(1) R rows, C classes".to_string(),
            format!("{}, {}", b.target.len(), b.classes()),
        ),
        (
            "(1) targets t".to_string(),
            b.target
                .iter()
                .map(|r| fmt_vec(r))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "(1) logits z".to_string(),
            b.logits
                .iter()
                .map(|r| fmt_vec(r))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    if let (Ok(input), Ok(q)) = (b.input(), b.q()) {
        for (name, red) in [
            ("(1) PyTorch kl_div, mean (default)", TorchReduction::Mean),
            ("(1) PyTorch kl_div, batchmean", TorchReduction::BatchMean),
        ] {
            if let Ok(v) = torch_kl_div(&input, &b.target, red) {
                rows.push((name.to_string(), short(v)));
            }
        }
        let ce: Result<f64, _> = b
            .target
            .iter()
            .zip(&q)
            .map(|(t, qr)| m.cross_entropy(t, qr))
            .sum();
        if let Ok(ce) = ce {
            rows.push((
                "(1) batch-mean CE".to_string(),
                short(ce / b.target.len() as f64),
            ));
        }
    }
    if let (Ok(gm), Ok(gc)) = (
        kl_div_logits_gradient(&b.target, &b.logits, TorchReduction::Mean),
        cross_entropy_logits_gradient(&b.target, &b.logits),
    ) {
        rows.push(("(1) ∇z mean KL, row 0".to_string(), fmt_vec(&gm[0].value)));
        rows.push((
            "(1) ∇z batch-mean CE, row 0".to_string(),
            fmt_vec(&gc[0].value),
        ));
    }
    Counterexample {
        summary: String::new(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Comparison;
    use crate::claims::failure::assert_fails;
    use crate::test_support::rounding_model::{Model, worst_rounding};
    use crate::test_support::{PREC as P, RM, big, to_f64};
    use astro_float::BigFloat;

    /// Both sides of the searched statement (1), through the measures'
    /// gradient: with one class both gradients are 0 and agree; with two
    /// classes the `mean` gradient is half the batch-mean CE's.
    #[test]
    fn the_mean_gradient_is_ce_s_for_one_class_only() {
        use crate::measures::Reference;
        let one = Batch {
            target: vec![vec![1.0], vec![1.0]],
            logits: vec![vec![0.3], vec![-2.0]],
        };
        let mut w = Worst::new();
        assert_eq!(
            mean_gradient_is_ce_gradient(&Reference, &one, &mut w),
            Ok(())
        );
        assert_eq!(w.comparisons(), 2);
        let two = Batch {
            target: vec![vec![1.0, 0.0]],
            logits: vec![vec![0.0, 0.0]],
        };
        assert_fails(
            mean_gradient_is_ce_gradient(&Reference, &two, &mut Worst::new()),
            Comparison::Close,
            "∂(mean KL)/∂z[0][0] against ∂(batchmean CE)/∂z[0][0]",
        );
    }

    /// The checks on the measures under test fail for planted bugs, on a
    /// two-row batch over three classes (targets with a zero, logits of
    /// either sign): the batch-mean KL from the measures is compared with
    /// PyTorch's batchmean and with CE − H (bounds of a few u), so a KL
    /// scaled by 1 + 2⁻²⁰ fails the first and an entropy shifted by 2⁻²⁰
    /// the second.
    #[test]
    fn the_measured_checks_fail_for_planted_bugs() {
        use crate::measures::Reference;
        use crate::measures::planted::Affine;
        let batch = Batch {
            target: vec![vec![0.5, 0.5, 0.0], vec![0.25, 0.25, 0.5]],
            logits: vec![vec![0.3, -1.2, 0.8], vec![2.0, 0.0, -0.5]],
        };
        let run = |m: &dyn Implementation| mean_is_batchmean_over_c(m, &batch, &mut Worst::new());
        assert_eq!(run(&Reference), Ok(()));
        let scaled = Affine {
            kl: (1.0 + 2f64.powi(-20), 0.0),
            ..Affine::EXACT
        };
        assert_fails(
            run(&scaled),
            Comparison::Close,
            "PyTorch batchmean KL against the measures' batch-mean KL",
        );
        let shifted = Affine {
            entropy: (1.0, 2f64.powi(-20)),
            ..Affine::EXACT
        };
        assert_fails(
            run(&shifted),
            Comparison::Close,
            "batch-mean KL against batch-mean CE − batch-mean H",
        );
    }

    /// The batch bounds against 320 bits, on random batches (1 to 6 rows of
    /// 2 to 8 classes, targets with zeros and one-hot rows, logits of scale
    /// 2 or 20): `torch_sum_error` covers PyTorch's summed KL against
    /// Σ(t ln t − t·ln softmax(z)) at the exact log-softmax; `batchmean_bound`
    /// (with the rows' allowances under the contract) covers PyTorch's batchmean
    /// against the batch-mean KL of measures at the contract's edge; and
    /// `identity_mean_bound` covers batch-mean KL − (batch-mean CE −
    /// batch-mean H) of those measures, whose exact value is 0.
    ///
    /// Floors: 2⁻⁴ for the sum (0.13 seen: the bound takes every rounding
    /// of the sum at its worst and every log-softmax bound δᵢ whole, where
    /// the real roundings mostly cancel; against the worst rounding it is
    /// reached, see [`batch_bounds_cover_the_worst_rounding`]); 2⁻² for
    /// batchmean against the measures (0.52 seen: the edge KL uses nearly
    /// all of its allowance under the contract, next to the sum's bound),
    /// and 2⁻² again over the batches of 2 rows or more alone, where the
    /// division by R is seen (a one-row batch divides by 1); 2⁻² for the
    /// identity (0.83 seen: three measures at their contract's edge).
    #[test]
    fn batch_bounds_cover_their_errors() {
        use crate::test_support::bounds::bound_stream;
        use crate::test_support::{AtTheEdge, BoundCheck, PREC as P, RM, big, error_of};
        use rand::RngExt;
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let mut rng = bound_stream("batch-mean");
        let mut sum_check = BoundCheck::new("claim 9: PyTorch summed KL", 2f64.powi(-4));
        let mut mean_check = BoundCheck::new("claim 9: batchmean against the measures", 0.25);
        let mut rows_check = BoundCheck::new("claim 9: batchmean over 2 to 6 rows", 0.25);
        let mut identity_check = BoundCheck::new("claim 9: batch-mean KL − (CE − H)", 0.25);
        let m = &AtTheEdge::KIT;
        for k in 0..100 {
            let (rows, classes) = (rng.random_range(1..7usize), rng.random_range(2..9usize));
            let b = random_batch(k, &mut rng, rows, classes);
            let input = b.input().unwrap();
            let q = b.q().unwrap();
            let at = || format!("{b:?}");
            let mut exact = big(0.0);
            for (t, z) in b.target.iter().zip(&b.logits) {
                let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sh: Vec<_> = z.iter().map(|&x| big(x).sub(&big(top), P, RM)).collect();
                let sum = sh
                    .iter()
                    .fold(big(0.0), |a, x| a.add(&x.exp(P, RM, &mut cc), P, RM));
                let ln_sum = sum.ln(P, RM, &mut cc);
                for i in 0..t.len() {
                    if t[i] > 0.0 {
                        let ls = sh[i].sub(&ln_sum, P, RM);
                        let lt = big(t[i]).ln(P, RM, &mut cc);
                        exact = exact.add(&big(t[i]).mul(&lt.sub(&ls, P, RM), P, RM), P, RM);
                    }
                }
            }
            let summed = torch_kl_div(&input, &b.target, TorchReduction::Sum).unwrap();
            sum_check.value(summed, &exact, torch_sum_error(&b, &input), &mut cc, at);
            let batchmean = torch_kl_div(&input, &b.target, TorchReduction::BatchMean).unwrap();
            let r = rows as f64;
            let (mut kl, mut ce, mut h) = (0.0, 0.0, 0.0);
            let (mut allow, mut input_err) = ([0.0; 3], 0.0);
            for ((t, qr), z) in b.target.iter().zip(&q).zip(&b.logits) {
                kl += m.kl_divergence(t, qr).unwrap();
                ce += m.cross_entropy(t, qr).unwrap();
                h += m.entropy(t).unwrap();
                let c = row_allowances(t, qr, z);
                for j in 0..3 {
                    allow[j] += c[j];
                }
                input_err += c[3];
            }
            let (kl, ce, h) = (kl / r, ce / r, h / r);
            let bound = batchmean_bound(
                torch_sum_error(&b, &input) + allow[0] + input_err,
                r,
                (batchmean, kl),
            );
            let diff = big(batchmean).sub(&big(kl), P, RM);
            mean_check.record(error_of(0.0, &diff, &mut cc), bound, at);
            if rows > 1 {
                rows_check.record(error_of(0.0, &diff, &mut cc), bound, at);
            }
            let diff = big(kl).sub(&big(ce - h), P, RM);
            identity_check.record(
                error_of(0.0, &diff, &mut cc),
                identity_mean_bound(allow, r, [kl, ce, h]),
                at,
            );
        }
        sum_check.finish();
        mean_check.finish();
        rows_check.finish();
        identity_check.finish();
    }

    /// The fourth figure of [`row_allowances`], Σ_{tᵢ>0} tᵢ(δᵢ + u), covers
    /// how far the computed q̃ = softmax(z) moves CE(t, ·) and KL(t‖·) from
    /// the exact softmax: |Σ tᵢ(ln q̃ᵢ − ln qᵢ)|, both logarithms at 320 bits
    /// (the f64 z exact), on random rows (2 to 8 classes, t with a zero now
    /// and then, logits of scale 2 or 20). In the claim it sits next to the
    /// measures' allowances, which dwarf it, so only this check can see it.
    ///
    /// Floor 2⁻² (0.37 seen): δᵢ bounds the log-softmax's roundings (the
    /// shift, the exp and sum, the logarithm) all at their worst, and the
    /// entries' errors partly cancel in the t-weighted sum.
    #[test]
    fn the_q_rounding_shift_covers_the_move_of_ce() {
        use crate::test_support::bounds::{
            bound_checks, exact_log_softmax, ln_big, simplex, uniform,
        };
        use crate::test_support::{PREC as P, RM, big, error_of};
        use rand::RngExt;
        bound_checks(
            "batch-q-rounding",
            [("claim 9: q rounding's move of CE and KL", 0.25)],
            200,
            |k, rng, cc, [check]| {
                let classes = rng.random_range(2..9usize);
                let spread = uniform(rng, 0.1, 3.0);
                let mut t = simplex(rng, classes, spread);
                if k % 3 == 0 {
                    t[0] = 0.0;
                }
                let scale = if k % 4 == 0 { 20.0 } else { 2.0 };
                let z: Vec<f64> = (0..classes)
                    .map(|_| scale * uniform(rng, -1.0, 1.0))
                    .collect();
                let q = softmax(&z).unwrap();
                let exact = exact_log_softmax(&z, cc);
                let moved = (0..classes)
                    .filter(|&i| t[i] > 0.0)
                    .fold(big(0.0), |acc, i| {
                        let d = ln_big(q[i], cc).sub(&exact[i], P, RM);
                        acc.add(&big(t[i]).mul(&d, P, RM), P, RM)
                    });
                let [_, _, _, shift] = row_allowances(&t, &q, &z);
                check.record(error_of(0.0, &moved, cc), shift, || {
                    format!("t {t:?}, z {z:?}")
                });
            },
        );
    }

    /// A random batch for the tests below: R rows of C classes, targets
    /// from [`simplex`] with a zero or a one-hot row now and then, logits of
    /// scale 2 or 20.
    fn random_batch(
        k: usize,
        rng: &mut rand_chacha::ChaCha8Rng,
        rows: usize,
        classes: usize,
    ) -> Batch {
        use crate::test_support::bounds::{simplex, uniform};
        let scale = if k.is_multiple_of(4) { 20.0 } else { 2.0 };
        let target = (0..rows)
            .map(|r| {
                if (k + r).is_multiple_of(5) {
                    let mut one = vec![0.0; classes];
                    one[r % classes] = 1.0;
                    one
                } else {
                    let s = uniform(rng, 0.1, 3.0);
                    let mut t = simplex(rng, classes, s);
                    if (k + r).is_multiple_of(3) && classes > 1 {
                        t[0] = 0.0;
                        t = crate::measures::normalize(&t).unwrap();
                    }
                    t
                }
            })
            .collect();
        let logits = (0..rows)
            .map(|_| {
                (0..classes)
                    .map(|_| scale * uniform(rng, -1.0, 1.0))
                    .collect()
            })
            .collect();
        Batch { target, logits }
    }

    /// The bound `measured_ce_gradient` gives an implementation that offers
    /// the batchmean gradient covers the crate's gradient against the exact
    /// (softmax(zᵣ) − tᵣ)/R, softmax at 320 bits (the f64 z exact), on random
    /// batches of 1 to 6 rows of 2 to 8 classes.
    ///
    /// Floor 2⁻¹ (0.71 seen): the bound takes each softmax entry's rounding
    /// at its worst (the log-softmax bound δᵢ whole, then the exp), while
    /// the computed entries' errors are one or two roundings that can align.
    #[test]
    fn the_measured_gradient_bound_covers_the_exact_gradient() {
        use crate::measures::Reference;
        use crate::test_support::bounds::{bound_checks, exact_log_softmax};
        use crate::test_support::{PREC as P, RM, big};
        use rand::RngExt;
        bound_checks(
            "batchmean gradient",
            [("claim 9: batchmean CE gradient of the measures", 0.5)],
            100,
            |k, rng, cc, [check]| {
                let (rows, classes) = (rng.random_range(1..7usize), rng.random_range(2..9usize));
                let b = random_batch(k, rng, rows, classes);
                let g = measured_ce_gradient(&Reference, &b).unwrap();
                for (r, (row, bound)) in g.iter().enumerate() {
                    let lq = exact_log_softmax(&b.logits[r], cc);
                    for i in 0..classes {
                        let exact = lq[i].exp(P, RM, cc).sub(&big(b.target[r][i]), P, RM).div(
                            &big(rows as f64),
                            P,
                            RM,
                        );
                        check.value(row[i], &exact, bound[i], cc, || {
                            format!("{b:?}, row {r}, entry {i}")
                        });
                    }
                }
            },
        );
    }

    /// What `show_batch` displays is what the batch gives, each number
    /// against its exact value at 320 bits (the f64 inputs exact): the
    /// shape; PyTorch's `mean` and `batchmean` KL, S/(R·C) and S/R with
    /// S = Σ t(ln t − ln softmax z); the batch-mean CE, Σ −t·ln softmax z / R;
    /// and row 0 of the two gradients, (softmax z₀ − t₀)/(R·C) and /R.
    /// Each is shown to 6 significant digits ([`short`]), so it is within
    /// half a unit of its 6th digit, 5·10⁻⁶ relative, of the computed value,
    /// itself within 10⁻¹² relative of the exact one (every bound of this
    /// module is far below that on these batches); 5.0001·10⁻⁶ relative is
    /// allowed, plus 10⁻³⁰⁰ for exact zeros.
    #[test]
    fn the_shown_batch_is_what_the_batch_gives() {
        use crate::measures::Reference;
        use crate::test_support::bounds::{bound_stream, exact_log_softmax};
        use crate::test_support::{PREC as P, RM, big, to_f64};
        use rand::RngExt;
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let mut rng = bound_stream("shown batch");
        let near = |shown: &str, exact: f64, what: &str| {
            let got: f64 = shown.parse().unwrap_or_else(|_| panic!("{what}: {shown}"));
            assert!(
                (got - exact).abs() <= 5.0001e-6 * exact.abs() + 1e-300,
                "{what}: shown {shown}, exact {exact:e}"
            );
        };
        let vector = |shown: &str| -> Vec<String> {
            shown
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(", ")
                .map(str::to_string)
                .collect()
        };
        for k in 0..20 {
            let (rows, classes) = (rng.random_range(1..5usize), rng.random_range(2..7usize));
            let b = random_batch(k, &mut rng, rows, classes);
            let shown = show_batch(&Reference, &b);
            let get = |name: &str| shown.shown(name);
            assert_eq!(get("(1) R rows, C classes"), format!("{rows}, {classes}"));
            let (mut kl, mut ce) = (big(0.0), big(0.0));
            let mut q0 = Vec::new();
            for (r, (t, z)) in b.target.iter().zip(&b.logits).enumerate() {
                let lq = exact_log_softmax(z, &mut cc);
                if r == 0 {
                    q0 = lq.iter().map(|l| l.exp(P, RM, &mut cc)).collect();
                }
                for i in 0..classes {
                    if t[i] > 0.0 {
                        let tl = big(t[i]);
                        let term = tl.mul(&lq[i], P, RM);
                        ce = ce.sub(&term, P, RM);
                        let lt = tl.mul(&big(t[i]).ln(P, RM, &mut cc), P, RM);
                        kl = kl.add(&lt.sub(&term, P, RM), P, RM);
                    }
                }
            }
            let (r, rc) = (big(rows as f64), big((rows * classes) as f64));
            let f =
                |x: &astro_float::BigFloat,
                 d: &astro_float::BigFloat,
                 cc: &mut astro_float::Consts| { to_f64(&x.div(d, P, RM), cc) };
            near(
                &get("(1) PyTorch kl_div, mean (default)"),
                f(&kl, &rc, &mut cc),
                "mean",
            );
            near(
                &get("(1) PyTorch kl_div, batchmean"),
                f(&kl, &r, &mut cc),
                "batchmean",
            );
            near(
                &get("(1) batch-mean CE"),
                f(&ce, &r, &mut cc),
                "batch-mean CE",
            );
            for (name, d) in [
                ("(1) ∇z mean KL, row 0", &rc),
                ("(1) ∇z batch-mean CE, row 0", &r),
            ] {
                let shown = vector(&get(name));
                assert_eq!(shown.len(), classes, "{name}");
                for i in 0..classes {
                    let g = q0[i].sub(&big(b.target[0][i]), P, RM);
                    near(&shown[i], f(&g, d, &mut cc), name);
                }
            }
        }
    }

    /// The replay of `torch_kl_div`'s sum Σ(t·ln t − t·input) in row order
    /// (a plain sum from 0, whose first addition is exact), each input the
    /// exact log-softmax moved by up to its bound δᵢ.
    fn replay_torch_sum(m: &mut Model, b: &Batch, exact_input: &[Vec<BigFloat>]) -> BigFloat {
        let mut sum: Option<BigFloat> = None;
        for ((t, x), z) in b.target.iter().zip(exact_input).zip(&b.logits) {
            let delta = log_softmax_error_bounds(z, 0.0);
            for i in 0..t.len() {
                let tl = if t[i] > 0.0 {
                    let l = m.ln(&big(t[i]));
                    m.mul(&big(t[i]), &l)
                } else {
                    big(0.0)
                };
                let xi = m.within(x[i].clone(), &big(delta[i]));
                let tx = m.mul(&big(t[i]), &xi);
                let element = m.sub(&tl, &tx);
                sum = Some(match sum {
                    None => element,
                    Some(s) => m.add(&s, &element),
                });
            }
        }
        sum.expect("a non-empty batch")
    }

    /// (1/R)·Σᵣ vᵣ as the case computes a batch mean of the measures: a
    /// plain sum from 0 and one division.
    fn replay_row_mean(m: &mut Model, values: &[BigFloat]) -> BigFloat {
        let mut sum = values[0].clone();
        for v in &values[1..] {
            sum = m.add(&sum, v);
        }
        m.div(&sum, &big(values.len() as f64))
    }

    /// The batch case's bounds ([`mean_is_batchmean_over_c`]) against the
    /// worst rounding their derivations allow ([`worst_rounding`]): the
    /// computations replayed at 320 bits, every rounding chosen to move the
    /// compared difference furthest, the platform's ln within one ulp, each
    /// log-softmax input moved by its whole bound and each measure by its
    /// whole allowance under the contract. On random batches of 1 to 4 rows
    /// and 2 to 6 classes ([`random_batch`]):
    ///
    /// - `torch_sum_error`: PyTorch's summed KL against its exact value at
    ///   the exact log-probabilities;
    /// - C × mean against batchmean: one f64 sum S, divided by R·C then
    ///   multiplied by C, and divided by R;
    /// - `batchmean_bound`: PyTorch's batchmean against the measures'
    ///   batch-mean KL (whose exact values differ by what the stored q and
    ///   the exact log-softmax do, part of the bound);
    /// - `identity_mean_bound`: the batch-mean KL against batch-mean CE −
    ///   batch-mean H, each measure at its edge;
    /// - C × ∂mean against ∂batchmean: one f64 (q·Σt − t) scaled by
    ///   fl(1/(RC)) and C, and by fl(1/R).
    ///
    /// Floors: 0.9 where the bound is its terms' first-order worst cases
    /// times 1.01 (the summed KL, whose sum is bounded by its running
    /// partial sums; the product by C; the identity; the gradients); 2⁻¹
    /// for the batchmean, whose bound also holds what the stored q moves
    /// the measures' KL by (Σtᵢ(δᵢ + u)), an offset of the exact values that
    /// no rounding of the replay uses in full (0.88 seen).
    #[test]
    fn batch_bounds_cover_the_worst_rounding() {
        use crate::test_support::bounds::{bound_checks, exact_log_softmax};
        use rand::RngExt;
        bound_checks(
            "mean-reduction-worst",
            [
                ("claim 9: PyTorch summed KL, worst rounding", 0.9),
                ("claim 9: C × mean against batchmean, worst rounding", 0.9),
                (
                    "claim 9: batchmean against the measures, worst rounding",
                    0.5,
                ),
                ("claim 9: batch-mean KL − (CE − H), worst rounding", 0.9),
                ("claim 9: C × ∂mean against ∂batchmean, worst rounding", 0.9),
            ],
            40,
            |k, rng, cc, [sum_check, product, batchmean_check, identity, gradient]| {
                let (rows, classes) = (rng.random_range(1..5usize), rng.random_range(2..7usize));
                let b = random_batch(k, rng, rows, classes);
                let at = || format!("{b:?}");
                let (r, c) = (rows as f64, classes as f64);
                let input = b.input().unwrap();
                let q = b.q().unwrap();
                let exact_input: Vec<Vec<BigFloat>> =
                    b.logits.iter().map(|z| exact_log_softmax(z, cc)).collect();
                let exact_sum = b
                    .target
                    .iter()
                    .zip(&exact_input)
                    .fold(big(0.0), |a, (t, x)| {
                        t.iter()
                            .zip(x)
                            .filter(|(ti, _)| **ti > 0.0)
                            .fold(a, |a, (&ti, xi)| {
                                let lt = big(ti).ln(P, RM, cc);
                                a.add(&big(ti).mul(&lt.sub(xi, P, RM), P, RM), P, RM)
                            })
                    });
                let worst = worst_rounding(cc, |m| {
                    replay_torch_sum(m, &b, &exact_input).sub(&exact_sum, P, RM)
                });
                sum_check.record(worst, torch_sum_error(&b, &input), at);

                let summed = big(torch_kl_div(&input, &b.target, TorchReduction::Sum).unwrap());
                let batchmean = torch_kl_div(&input, &b.target, TorchReduction::BatchMean).unwrap();
                let worst = worst_rounding(cc, |m| {
                    let mean = m.div(&summed, &big(r * c));
                    let scaled = m.mul(&mean, &big(c));
                    scaled.sub(&m.div(&summed, &big(r)), P, RM)
                });
                product.record(worst, 1.01 * 3.0 * U * batchmean.abs(), at);

                // The measures' exact values at the stored rows, and their
                // allowances, row by row.
                let (mut kls, mut ces, mut hs) = (Vec::new(), Vec::new(), Vec::new());
                let (mut allow, mut allowed, mut input_err) =
                    ([Vec::new(), Vec::new(), Vec::new()], [0.0; 3], 0.0);
                for ((t, qr), z) in b.target.iter().zip(&q).zip(&b.logits) {
                    let (mut kl, mut ce, mut h) = (big(0.0), big(0.0), big(0.0));
                    for (&ti, &qi) in t.iter().zip(qr).filter(|(ti, _)| **ti > 0.0) {
                        let (lt, lq) = (big(ti).ln(P, RM, cc), big(qi).ln(P, RM, cc));
                        kl = kl.add(&big(ti).mul(&lt.sub(&lq, P, RM), P, RM), P, RM);
                        ce = ce.sub(&big(ti).mul(&lq, P, RM), P, RM);
                        h = h.sub(&big(ti).mul(&lt, P, RM), P, RM);
                    }
                    let a = row_allowances(t, qr, z);
                    for (j, v) in [kl, ce, h].into_iter().enumerate() {
                        [&mut kls, &mut ces, &mut hs][j].push(v);
                        allow[j].push(big(a[j]));
                        allowed[j] += a[j];
                    }
                    input_err += a[3];
                }
                let measured = |m: &mut Model, exact: &[BigFloat], allow: &[BigFloat]| {
                    let values: Vec<BigFloat> = exact
                        .iter()
                        .zip(allow)
                        .map(|(v, a)| m.within(v.clone(), a))
                        .collect();
                    replay_row_mean(m, &values)
                };
                let mut mean_of = |v: &[BigFloat]| {
                    let sum = v.iter().fold(big(0.0), |a, x| a.add(x, P, RM));
                    to_f64(&sum.div(&big(r), P, RM), cc)
                };
                let values = [mean_of(&kls), mean_of(&ces), mean_of(&hs)];
                let worst = worst_rounding(cc, |m| {
                    let s = replay_torch_sum(m, &b, &exact_input);
                    let torch = m.div(&s, &big(r));
                    torch.sub(&measured(m, &kls, &allow[0]), P, RM)
                });
                let total = torch_sum_error(&b, &input) + allowed[0] + input_err;
                let bound = batchmean_bound(total, r, (batchmean, values[0]));
                batchmean_check.record(worst, bound, at);
                let worst = worst_rounding(cc, |m| {
                    let kl = measured(m, &kls, &allow[0]);
                    let ce = measured(m, &ces, &allow[1]);
                    let h = measured(m, &hs, &allow[2]);
                    kl.sub(&m.sub(&ce, &h), P, RM)
                });
                identity.record(worst, identity_mean_bound(allowed, r, values), at);

                let g = cross_entropy_logits_gradient(&b.target, &b.logits).unwrap();
                for row in &g {
                    for &e in &row.value {
                        // The shared f64 (q·Σt − t), up to e's own rounding.
                        let shared = big(e * r);
                        let worst = worst_rounding(cc, |m| {
                            let s1 = m.div(&big(1.0), &big(r * c));
                            let a = m.mul(&shared, &s1);
                            let a = m.mul(&a, &big(c));
                            let s2 = m.div(&big(1.0), &big(r));
                            a.sub(&m.mul(&shared, &s2), P, RM)
                        });
                        gradient.record(worst, 1.01 * 5.0 * U * e.abs(), at);
                    }
                }
            },
        );
    }
}
