//! Claim 9: a KL loss as commonly implemented does not train like cross-entropy.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::harness::{CONTRACT, PropertyRun, U, Worst, property};
use super::{
    Claim, Context, Counterexample, Evidence, Expectation, Implementation, refuted_evidence,
};
use crate::measures::log_softmax_error_bounds;
use crate::measures::{log_softmax, normalize, softmax};
use crate::numerics::finite_difference::{difference_bound, power_of_two_step};
use crate::numerics::format::{short, short_vector as fmt_vec};
use crate::risk::torch_losses::{
    TorchReduction, cross_entropy_logits_gradient, kl_div_logits_gradient, naive_kl, sigmoid_kl,
    sigmoid_kl_derivative, torch_kl_div,
};

/// Claim 9.
pub(crate) const KL_LOSS_PITFALLS: Claim = Claim {
    id: "kl-loss-pitfalls",
    number: 9,
    title: "A KL loss as commonly implemented trains like cross-entropy",
    statement: "A KL-divergence loss as commonly implemented trains like cross-entropy: (1) PyTorch's kl_div with its default mean reduction has CE's gradient; (2) a KL on one sigmoid probability, y·ln(y/x), is minimized at x = y like BCE; (3) evaluating Σ p·(ln p − ln q) gives the KL",
    hypotheses: "(1) a batch of R rows, C classes, probability targets t, logits z, input = log_softmax(z); (2) y, x ∈ (0, 1); (3) probability vectors with zeros, ln q = −∞ where q = 0, evaluated as PyTorch does, xlogy(p, p) − p·ln q",
    expectation: Expectation::Refuted,
    test: "tests/claims_differ.rs::claim_9_kl_loss_pitfalls",
    check: check_pitfalls,
};

// ---------------------------------------------------------------- pitfall 1

/// A batch: targets (rows of probabilities) and logits.
#[derive(Debug, Clone)]
struct Batch {
    target: Vec<Vec<f64>>,
    logits: Vec<Vec<f64>>,
}

impl Batch {
    fn classes(&self) -> usize {
        self.target[0].len()
    }

    fn input(&self) -> Result<Vec<Vec<f64>>, String> {
        self.logits
            .iter()
            .map(|z| log_softmax(z).map_err(|e| e.to_string()))
            .collect()
    }

    fn q(&self) -> Result<Vec<Vec<f64>>, String> {
        self.logits
            .iter()
            .map(|z| softmax(z).map_err(|e| e.to_string()))
            .collect()
    }
}

/// Integer weights 0 … 4 (a row of zeros gets a 1 in its first entry), normalized.
fn row_from_weights(w: &[u8]) -> Vec<f64> {
    let mut w: Vec<f64> = w.iter().map(|&x| f64::from(x)).collect();
    if w.iter().all(|&x| x == 0.0) {
        w[0] = 1.0;
    }
    normalize(&w).unwrap_or_else(|_| vec![1.0 / w.len() as f64; w.len()])
}

/// R ∈ [1, 4] rows of C ∈ [1, 6] classes: integer-weight targets (zeros and
/// one-hot rows common), logits in quarters in [−2, 2] or, one time in four,
/// real in [−20, 20]. Entries are drawn for 4 × 6 and the batch is the
/// top-left R × C block, so shrinking lowers R, C and each entry independently.
fn arb_batch() -> BoxedStrategy<Batch> {
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

/// The false statement (1): the gradient of PyTorch's default `mean`
/// KL loss equals the gradient of the batch-mean cross-entropy.
fn mean_gradient_is_ce_gradient(b: &Batch, w: &mut Worst) -> Result<(), String> {
    let g_mean = kl_div_logits_gradient(&b.target, &b.logits, TorchReduction::Mean)
        .map_err(|e| e.to_string())?;
    let g_ce = cross_entropy_logits_gradient(&b.target, &b.logits).map_err(|e| e.to_string())?;
    for (r, (a, c)) in g_mean.iter().zip(&g_ce).enumerate() {
        for k in 0..a.value.len() {
            w.close(
                &format!("∂(mean KL)/∂z[{r}][{k}] against ∂(batchmean CE)/∂z[{r}][{k}]"),
                a.value[k],
                c.value[k],
                a.error[k] + c.error[k],
            )?;
        }
    }
    Ok(())
}

/// Error bound of `torch_kl_div` with input = log_softmax(z), against the
/// exact value at the exact log-probabilities, before the final division:
/// each element L = t ln t − t·input carries 2u|t ln t| (ln, product),
/// u|t·input| + t·δᵢ (product; δᵢ the log-softmax bound), u|L| (subtraction);
/// the plain sum of R·C elements adds (R·C)u·Σ|L|.
fn torch_sum_error(b: &Batch, input: &[Vec<f64>]) -> f64 {
    let n = (b.target.len() * b.classes()) as f64;
    let mut err = 0.0;
    for ((t, x), z) in b.target.iter().zip(input).zip(&b.logits) {
        let delta = log_softmax_error_bounds(z, 0.0);
        for i in 0..t.len() {
            let tl = if t[i] > 0.0 { t[i] * t[i].ln() } else { 0.0 };
            let tx = t[i] * x[i];
            err += 2.0 * U * tl.abs()
                + U * tx.abs()
                + t[i] * delta[i]
                + (n + 1.0) * U * (tl - tx).abs();
        }
    }
    err
}

/// One row's condition sums Σ|tᵢ(ln tᵢ − ln qᵢ)|, Σ|tᵢ ln qᵢ|, Σ|tᵢ ln tᵢ|
/// over tᵢ > 0, and how far q's relative rounding (δᵢ + u, δ the
/// log-softmax bounds at the logits z) moves KL and CE: Σ tᵢ(δᵢ + u).
fn row_conditions(t: &[f64], q: &[f64], z: &[f64]) -> [f64; 4] {
    let delta = log_softmax_error_bounds(z, 0.0);
    let mut c = [0.0; 4];
    for i in 0..t.len() {
        if t[i] > 0.0 {
            let (lt, lq) = (t[i].ln(), q[i].ln());
            c[0] += (t[i] * (lt - lq)).abs();
            c[1] += (t[i] * lq).abs();
            c[2] += (t[i] * lt).abs();
            c[3] += t[i] * (delta[i] + U);
        }
    }
    c
}

/// A bound on the sum of R rows' errors `total`, divided by R, plus the two
/// divisions' rounding: total/R + 2u·|value|.
fn batchmean_bound(total: f64, rows: f64, value: f64) -> f64 {
    total / rows + 2.0 * U * value.abs()
}

/// KL = CE − H per row within the contracts (4u times the condition sums,
/// over R rows); the sums over rows add (R + 1)u·Σ|values|, the divisions
/// and the final subtraction 3u.
fn identity_mean_bound(conditions: [f64; 3], rows: f64, values: [f64; 3]) -> f64 {
    CONTRACT * (conditions[0] + conditions[1] + conditions[2]) / rows
        + (rows + 4.0) * U * (values[0].abs() + values[1].abs() + values[2].abs())
}

/// What is true instead (1), for one batch:
/// - `mean` × C = `batchmean`: the same sum S divided by R·C and by R; the
///   two quotients, the product by C: 3u·|batchmean|, bound 4u·|batchmean|;
/// - PyTorch's `batchmean` is the batch-mean KL of the measures under test;
/// - batch-mean KL = batch-mean CE − batch-mean H (the measures);
/// - ∇(mean) × C = ∇(batchmean CE): both are (q·Σt − t) scaled, by
///   fl(1/(RC)) and by fl(1/R): five roundings, bound 6u·|∇ batchmean CE|.
fn mean_is_batchmean_over_c(
    m: &dyn Implementation,
    b: &Batch,
    w: &mut Worst,
) -> Result<(), String> {
    let (r, c) = (b.target.len() as f64, b.classes() as f64);
    let input = b.input()?;
    let q = b.q()?;
    let mean = torch_kl_div(&input, &b.target, TorchReduction::Mean).map_err(|e| e.to_string())?;
    let batchmean =
        torch_kl_div(&input, &b.target, TorchReduction::BatchMean).map_err(|e| e.to_string())?;
    w.close(
        "C × (mean-reduced KL) against batchmean KL",
        mean * c,
        batchmean,
        4.0 * U * batchmean.abs(),
    )?;
    // The measures, row by row, averaged.
    let (mut kl, mut ce, mut h) = (0.0, 0.0, 0.0);
    let (mut cond_kl, mut cond_ce, mut cond_h, mut input_err) = (0.0, 0.0, 0.0, 0.0);
    for ((t, qr), z) in b.target.iter().zip(&q).zip(&b.logits) {
        kl += m.kl_divergence(t, qr).map_err(|e| e.to_string())?;
        ce += m.cross_entropy(t, qr).map_err(|e| e.to_string())?;
        h += m.entropy(t).map_err(|e| e.to_string())?;
        let [a, b, c, d] = row_conditions(t, qr, z);
        cond_kl += a;
        cond_ce += b;
        cond_h += c;
        input_err += d;
    }
    let (kl, ce, h) = (kl / r, ce / r, h / r);
    // PyTorch's batchmean against the measures' mean KL: both within their
    // bounds of the exact mean KL, each divided by R, plus the divisions (u each).
    let bound = batchmean_bound(
        torch_sum_error(b, &input) + CONTRACT * cond_kl + input_err,
        r,
        batchmean,
    );
    w.close(
        "PyTorch batchmean KL against the measures' batch-mean KL",
        batchmean,
        kl,
        bound,
    )?;
    let bound = identity_mean_bound([cond_kl, cond_ce, cond_h], r, [kl, ce, h]);
    w.close(
        "batch-mean KL against batch-mean CE − batch-mean H",
        kl,
        ce - h,
        bound,
    )?;
    let g_mean = kl_div_logits_gradient(&b.target, &b.logits, TorchReduction::Mean)
        .map_err(|e| e.to_string())?;
    let g_ce = cross_entropy_logits_gradient(&b.target, &b.logits).map_err(|e| e.to_string())?;
    for (row, (a, e)) in g_mean.iter().zip(&g_ce).enumerate() {
        for k in 0..a.value.len() {
            w.close(
                &format!("C × ∂(mean KL)/∂z[{row}][{k}] against ∂(batchmean CE)/∂z[{row}][{k}]"),
                a.value[k] * c,
                e.value[k],
                6.0 * U * e.value[k].abs(),
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
fn mean_gradient_matches_differences(b: &Batch, w: &mut Worst) -> Result<(), String> {
    let (r, c) = (b.target.len(), b.classes());
    let d = (r * c) as f64;
    let g = kl_div_logits_gradient(&b.target, &b.logits, TorchReduction::Mean)
        .map_err(|e| e.to_string())?;
    let eval = |logits: &[Vec<f64>]| -> Result<(f64, f64), String> {
        let batch = Batch {
            target: b.target.clone(),
            logits: logits.to_vec(),
        };
        let input = batch.input()?;
        let v = torch_kl_div(&input, &b.target, TorchReduction::Mean).map_err(|e| e.to_string())?;
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

fn show_batch(m: &dyn Implementation, b: &Batch) -> Counterexample {
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

// ---------------------------------------------------------------- pitfall 2

/// y, x on a grid of twentieths in (0, 1): readable when shrunk.
fn arb_twentieths() -> BoxedStrategy<(f64, f64)> {
    (1u32..=19, 1u32..=19)
        .prop_map(|(y, x)| (f64::from(y) / 20.0, f64::from(x) / 20.0))
        .boxed()
}

/// |error| of sigmoid_kl(y, x) = y·ln(y/x): the quotient u, ln u + u|ln|, the
/// product u: y·u·(2 + |ln(y/x)|) + u·|value| ≤ y·u·(2 + 2|ln(y/x)|).
fn sigmoid_kl_error(y: f64, x: f64) -> f64 {
    y * U * (2.0 + 2.0 * (y / x).ln().abs())
}

/// The bound on |(L(x₁) − L(x₂)) − y·ln(x₂/x₁)|: both values' errors, the
/// reference's (the same form: y·u·(2 + 2|ln(x₂/x₁)|)), the subtraction's
/// u·|L(x₁) − L(x₂)|.
fn decrease_bound(y: f64, (x1, x2): (f64, f64), difference: f64) -> f64 {
    sigmoid_kl_error(y, x1)
        + sigmoid_kl_error(y, x2)
        + y * U * (2.0 + 2.0 * (x2 / x1).ln().abs())
        + U * difference.abs()
}

/// The bound on |KL((y, 1 − y)‖(x, 1 − x)) − (L + dropped)| for the sigmoid
/// KL L = y·ln(y/x) and the dropped term (1 − y)·ln((1 − y)/(1 − x)): the
/// measure's contract 4u(|L| + |dropped|), both terms' own errors (none for
/// the dropped term when y = 1), the sum's u·|KL|.
fn split_bound((y, x): (f64, f64), (sigmoid, dropped): (f64, f64), full: f64) -> f64 {
    let (ny, nx) = (1.0 - y, 1.0 - x);
    CONTRACT * (sigmoid.abs() + dropped.abs())
        + sigmoid_kl_error(y, x)
        + if ny == 0.0 {
            0.0
        } else {
            sigmoid_kl_error(ny, nx)
        }
        + U * full.abs()
}

/// The false statement (2): y·ln(y/x) is minimized at x = y, as BCE is.
fn sigmoid_minimized_at_target(&(y, x): &(f64, f64), w: &mut Worst) -> Result<(), String> {
    let at_x = sigmoid_kl(y, x).map_err(|e| e.to_string())?;
    let at_y = sigmoid_kl(y, y).map_err(|e| e.to_string())?;
    w.at_least(
        "sigmoid KL at x against its value at the target x = y",
        at_x,
        at_y,
        sigmoid_kl_error(y, x) + sigmoid_kl_error(y, y),
    )
}

/// y ∈ [10⁻³, 1], x₁ ∈ [10⁻⁶, 0.99], x₂ = x₁ + v(1 − x₁) with v ∈ [0.01, 1].
fn arb_sigmoid_pair() -> BoxedStrategy<(f64, f64, f64)> {
    (1e-3f64..=1.0, 1e-6f64..0.99, 0.01f64..=1.0)
        .prop_map(|(y, x1, v)| (y, x1, x1 + v * (1.0 - x1)))
        .boxed()
}

/// What is true instead (2), for y and x₁ < x₂:
/// - the sigmoid KL decreases: L(x₁) − L(x₂) = y·ln(x₂/x₁) > 0, and its
///   derivative −y/x₁ is negative, so its infimum is at x = 1;
/// - the full two-category KL (the measures) is the sigmoid KL plus the
///   dropped term (1 − y)·ln((1 − y)/(1 − x)), and is ≥ 0 = its value at
///   x = y: binary CE and the Bernoulli KL are minimized at the target.
fn sigmoid_kl_decreases(
    m: &dyn Implementation,
    &(y, x1, x2): &(f64, f64, f64),
    w: &mut Worst,
) -> Result<(), String> {
    let l1 = sigmoid_kl(y, x1).map_err(|e| e.to_string())?;
    let l2 = sigmoid_kl(y, x2).map_err(|e| e.to_string())?;
    let want = y * (x2 / x1).ln();
    // Both values' errors, the reference's (the same form), the subtraction.
    let bound = decrease_bound(y, (x1, x2), l1 - l2);
    w.close("L(x₁) − L(x₂) against y·ln(x₂/x₁)", l1 - l2, want, bound)?;
    w.require(l1 - l2 > 0.0, || {
        format!("the sigmoid KL did not decrease from x₁ = {x1:e} to x₂ = {x2:e} at y = {y:e}")
    })?;
    let slope = sigmoid_kl_derivative(y, x1).map_err(|e| e.to_string())?;
    w.require(slope < 0.0, || {
        format!("the derivative −y/x = {slope:e} is not negative at y = {y:e}, x = {x1:e}")
    })?;
    // The two-category KL of (y, 1 − y) against (x₁, 1 − x₁), with the stored complements.
    let (ny, nx) = (1.0 - y, 1.0 - x1);
    let full = m
        .kl_divergence(&[y, ny], &[x1, nx])
        .map_err(|e| e.to_string())?;
    let dropped = if ny == 0.0 { 0.0 } else { ny * (ny / nx).ln() };
    let bound = split_bound((y, x1), (l1, dropped), full);
    w.close(
        "two-category KL against sigmoid KL + (1 − y)·ln((1 − y)/(1 − x))",
        full,
        l1 + dropped,
        bound,
    )?;
    // Gibbs for the pair: KL ≥ 0 up to the scaled form's mass term, here
    // |Σ(y, 1 − y) − Σ(x, 1 − x)| ≤ 2u, plus the contract.
    w.at_least(
        "two-category KL against 0, its value at x = y",
        full,
        0.0,
        CONTRACT * (l1.abs() + dropped.abs()) + 2.0 * U,
    )
}

fn show_sigmoid(m: &dyn Implementation, &(y, x): &(f64, f64)) -> Counterexample {
    let mut rows = vec![
        ("(2) target y".to_string(), short(y)),
        ("(2) prediction x".to_string(), short(x)),
    ];
    let mut push = |name: &str, v: Result<f64, String>| {
        rows.push((name.to_string(), v.map_or_else(|e| e, short)));
    };
    let s = |a, b| sigmoid_kl(a, b).map_err(|e| e.to_string());
    push("(2) sigmoid KL y·ln(y/x) at x = y", s(y, y));
    push("(2) sigmoid KL at x", s(y, x));
    push("(2) sigmoid KL at x = 1", s(y, 1.0));
    push(
        "(2) its derivative −y/x at x",
        sigmoid_kl_derivative(y, x).map_err(|e| e.to_string()),
    );
    let two = |b: f64| {
        m.kl_divergence(&[y, 1.0 - y], &[b, 1.0 - b])
            .map_err(|e| e.to_string())
    };
    push("(2) two-category KL at x = y", two(y));
    push("(2) two-category KL at x", two(x));
    Counterexample {
        summary: String::new(),
        rows,
    }
}

// ---------------------------------------------------------------- pitfall 3

/// Pairs (p, q) from integer weights 0 … 3 on 1 … 6 categories (a vector of
/// zeros gets a 1 in its first entry): zeros in p, in q, and in both, common.
fn arb_zero_pair() -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    proptest::collection::vec((0u8..=3, 0u8..=3), 1..=6)
        .prop_map(|w| {
            let (a, b): (Vec<u8>, Vec<u8>) = w.into_iter().unzip();
            (row_from_weights(&a), row_from_weights(&b))
        })
        .boxed()
}

fn ln_all(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| x.ln()).collect()
}

/// PyTorch's evaluation of KL(p‖q) from ln q: xlogy(p, p) − p·ln q, summed.
fn torch_style(p: &[f64], q: &[f64]) -> Result<f64, String> {
    torch_kl_div(&[ln_all(q)], &[p.to_vec()], TorchReduction::Sum).map_err(|e| e.to_string())
}

/// The false statement (3): PyTorch's evaluation gives the KL of the
/// measures (equal infinities count as equal). Bound when finite: each term
/// p ln p − p ln q carries 2u|p ln p| + 2u|p ln q| + u|term|; the plain sum
/// adds (n − 1)u·Σ|terms|; plus the measure's contract.
fn torch_style_is_kl(
    m: &dyn Implementation,
    (p, q): &(Vec<f64>, Vec<f64>),
    w: &mut Worst,
) -> Result<(), String> {
    let got = torch_style(p, q)?;
    let want = m.kl_divergence(p, q).map_err(|e| e.to_string())?;
    w.close(
        "xlogy(p, p) − p·ln q summed, against KL(p‖q)",
        got,
        want,
        torch_style_error(p, q),
    )
}

/// The bound on |torch-style KL − KL| over the terms with pᵢ, qᵢ > 0:
/// Σ (n + 2)u·(|pᵢ ln pᵢ| + |pᵢ ln qᵢ|) + 4u·|pᵢ ln pᵢ − pᵢ ln qᵢ| (each
/// product and log within 2u, the plain sum of n terms within (n − 1)u of
/// Σ|terms|; the measure within its contract).
fn torch_style_error(p: &[f64], q: &[f64]) -> f64 {
    let n = p.len() as f64;
    let mut bound = 0.0;
    for (a, b) in p.iter().zip(q) {
        if *a > 0.0 && *b > 0.0 {
            let (pl, ql) = (a * a.ln(), a * b.ln());
            bound += (n + 2.0) * U * (pl.abs() + ql.abs()) + CONTRACT * (pl - ql).abs();
        }
    }
    bound
}

/// What is true instead (3), for every pair with zeros:
/// - the measures' KL is never NaN: +∞ exactly when some pᵢ > 0 = qᵢ, else finite;
/// - PyTorch's evaluation is NaN exactly when some pᵢ = 0 = qᵢ (0·(−∞));
/// - the naive Σ p·(ln p − ln q) is NaN exactly when some pᵢ = 0.
fn zeros_follow_the_convention(
    m: &dyn Implementation,
    (p, q): &(Vec<f64>, Vec<f64>),
    w: &mut Worst,
) -> Result<(), String> {
    let kl = m.kl_divergence(p, q).map_err(|e| e.to_string())?;
    let mismatch = p.iter().zip(q).any(|(a, b)| *a > 0.0 && *b == 0.0);
    let both_zero = p.iter().zip(q).any(|(a, b)| *a == 0.0 && *b == 0.0);
    let p_zero = p.contains(&0.0);
    w.require(!kl.is_nan() && (kl == f64::INFINITY) == mismatch, || {
        format!("KL(p‖q) = {kl:e}, but p > 0 = q somewhere is {mismatch}")
    })?;
    let torch = torch_style(p, q)?;
    w.require(torch.is_nan() == both_zero, || {
        format!("PyTorch-style KL = {torch:e}, but p = 0 = q somewhere is {both_zero}")
    })?;
    let naive = naive_kl(p, q).map_err(|e| e.to_string())?;
    w.require(naive.is_nan() == p_zero, || {
        format!("naive KL = {naive:e}, but p = 0 somewhere is {p_zero}")
    })
}

fn show_zeros(m: &dyn Implementation, (p, q): &(Vec<f64>, Vec<f64>)) -> Counterexample {
    let fmt = |v: Result<f64, String>| v.map_or_else(|e| e, short);
    Counterexample {
        summary: String::new(),
        rows: vec![
            ("(3) p".to_string(), fmt_vec(p)),
            ("(3) q".to_string(), fmt_vec(q)),
            ("(3) ln q".to_string(), fmt_vec(&ln_all(q))),
            (
                "(3) PyTorch-style Σ xlogy(p, p) − p·ln q".to_string(),
                fmt(torch_style(p, q)),
            ),
            (
                "(3) naive Σ p·(ln p − ln q)".to_string(),
                fmt(naive_kl(p, q).map_err(|e| e.to_string())),
            ),
            (
                "(3) KL(p‖q), 0·ln 0 = 0".to_string(),
                fmt(m.kl_divergence(p, q).map_err(|e| e.to_string())),
            ),
        ],
    }
}

// ---------------------------------------------------------------- the claim

/// Adds further searches to a refuted claim's evidence: each must fail too;
/// its counterexample's rows are appended.
fn with_searches(
    mut evidence: Evidence,
    searches: Vec<(&str, PropertyRun<Counterexample>)>,
) -> Evidence {
    for (name, run) in searches {
        evidence.parts.push(super::part(name, true, &run));
        evidence.cases += run.cases + u64::from(run.failure.is_some());
        if evidence.problem.is_some() {
            continue;
        }
        if let Some(reason) = run.aborted {
            evidence.problem = Some(format!("{name}: the property runner gave up: {reason}"));
        } else if let Some((_, found)) = run.failure {
            if let Some(c) = evidence.counterexample.as_mut() {
                c.rows.extend(found.rows);
            }
        } else {
            evidence.problem = Some(format!(
                "{name}: no counterexample in {} cases; the refutation was not reproduced",
                run.cases
            ));
        }
    }
    evidence
}

fn check_pitfalls(ctx: &Context<'_>) -> Evidence {
    let m = ctx.measures;
    let mean = property(
        ctx,
        "kl-loss-pitfalls/mean-gradient-is-ce-gradient",
        arb_batch(),
        mean_gradient_is_ce_gradient,
    )
    .shown(|b| show_batch(m, b));
    let sigmoid = property(
        ctx,
        "kl-loss-pitfalls/sigmoid-kl-minimized-at-target",
        arb_twentieths(),
        sigmoid_minimized_at_target,
    )
    .shown(|c| show_sigmoid(m, c));
    let zeros = property(
        ctx,
        "kl-loss-pitfalls/torch-style-is-kl",
        arb_zero_pair(),
        |c, w| torch_style_is_kl(m, c, w),
    )
    .shown(|c| show_zeros(m, c));
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
        ("(1) mean reduction has CE's gradient", mean),
        vec![
            ("(1) mean × C = batchmean = CE − H", support_mean),
            ("(1) mean gradient matches differences", support_grad),
            ("(2) sigmoid KL decreases in x", support_sigmoid),
            ("(3) zeros follow the convention", support_zeros),
        ],
    );
    if let Some(c) = evidence.counterexample.as_mut() {
        c.summary = "three KL losses that do not train like CE: (1) PyTorch's default mean reduction divides the gradient by C; (2) y·ln(y/x) on one sigmoid output is lower at some x > y than at the target, and keeps falling towards x = 1; (3) a zero target meeting ln 0 = −∞ gives NaN where the KL is 0".to_string();
    }
    with_searches(
        evidence,
        vec![
            ("(2) sigmoid KL is minimized at the target", sigmoid),
            ("(3) PyTorch-style evaluation is the KL", zeros),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checks on the measures under test fail for planted bugs, on a
    /// two-row batch over three classes (targets with a zero, logits of
    /// either sign): the batch-mean KL from the measures is compared with
    /// PyTorch's batchmean and with CE − H (bounds of a few u), so a KL
    /// scaled by 1 + 2⁻²⁰ fails the first and an entropy shifted by 2⁻²⁰
    /// the second; the PyTorch-style sum is compared with KL itself. A KL
    /// multiplied by 0 (NaN where p > 0 = q, instead of +∞) breaks the zero
    /// convention.
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
        let err = run(&scaled).unwrap_err();
        assert!(err.starts_with("PyTorch batchmean KL against"), "{err}");
        let shifted = Affine {
            entropy: (1.0, 2f64.powi(-20)),
            ..Affine::EXACT
        };
        let err = run(&shifted).unwrap_err();
        assert!(
            err.starts_with("batch-mean KL against batch-mean CE − batch-mean H"),
            "{err}"
        );

        let pair = (vec![0.5, 0.5, 0.0], vec![0.25, 0.25, 0.5]);
        assert_eq!(
            torch_style_is_kl(&Reference, &pair, &mut Worst::new()),
            Ok(())
        );
        let err = torch_style_is_kl(&scaled, &pair, &mut Worst::new()).unwrap_err();
        assert!(err.starts_with("xlogy(p, p) − p·ln q summed"), "{err}");

        let mismatch = (vec![0.5, 0.5, 0.0], vec![1.0, 0.0, 0.0]);
        assert_eq!(
            zeros_follow_the_convention(&Reference, &mismatch, &mut Worst::new()),
            Ok(())
        );
        // +∞·0 is NaN: a KL that loses the infinity.
        let lost = Affine {
            kl: (0.0, 0.0),
            ..Affine::EXACT
        };
        let err = zeros_follow_the_convention(&lost, &mismatch, &mut Worst::new()).unwrap_err();
        assert!(err.starts_with("KL(p‖q) = NaN"), "{err}");
    }
    use crate::test_support::assert_near;
    use std::f64::consts::LN_2;

    /// y·u·(2 + 2|ln(y/x)|) at y = ½, x = ¼ (y/x = 2 exactly): u·(1 + ln 2);
    /// at x = y: 2u·y. (y, x are twentieths in (0, 1), never 0.)
    #[test]
    fn sigmoid_kl_error_follows_its_formula() {
        let got = sigmoid_kl_error(0.5, 0.25);
        let want = U * (1.0 + LN_2);
        // Same terms, other order of roundings: within 4u relative.
        assert!((got - want).abs() <= 4.0 * U * want, "{got:e} vs {want:e}");
        assert_eq!(sigmoid_kl_error(0.25, 0.25), 0.5 * U);
    }

    /// One row t = (1, 0), z = (0, 0), so input = (−ln 2, −ln 2): the first
    /// element has t ln t = 0, |t·input| = ln 2, t·δ₀ = δ₀ and, with R·C = 2
    /// elements, 3u·|0 + ln 2|; the second element is all zeros. Total
    /// 4u·ln 2 + δ₀, within 4u relative of the way it is summed.
    /// The batch-mean bounds at dyadic arguments (exact but for the u-sized
    /// terms, summed in the same order): total/R + 2u·|value|, and
    /// 4u·Σconditions/R + (R + 4)u·Σ|values|; and one row's condition sums
    /// at t = (½, ½, 0), q = (¼, ½, ¼), z = ln q, from the f64 logarithms
    /// and the log-softmax bounds, as documented (4u relative).
    #[test]
    fn batch_mean_bounds_follow_their_formulas() {
        assert_eq!(batchmean_bound(3.0 * U, 4.0, -0.5), 0.75 * U + U);
        assert_eq!(
            identity_mean_bound([1.0, 2.0, 5.0], 4.0, [0.5, -1.0, 0.5]),
            8.0 * U + 16.0 * U
        );
        let (t, q) = ([0.5, 0.5, 0.0], [0.25, 0.5, 0.25]);
        let z: Vec<f64> = q.iter().map(|v: &f64| v.ln()).collect();
        let delta = log_softmax_error_bounds(&z, 0.0);
        let (l2, l4) = (0.5f64.ln(), 0.25f64.ln());
        let want = [
            0.5 * (l2 - l4).abs(),
            0.5 * (l4.abs() + l2.abs()),
            0.5 * 2.0 * l2.abs(),
            0.5 * (delta[0] + U) + 0.5 * (delta[1] + U),
        ];
        let got = row_conditions(&t, &q, &z);
        for j in 0..4 {
            assert!(
                (got[j] - want[j]).abs() <= 4.0 * U * want[j],
                "{j}: {:e} vs {:e}",
                got[j],
                want[j]
            );
        }
    }

    /// The sigmoid bounds at y = ½, x₁ = ¼, x₂ = 1 (ln 4 and ln 2 from f64
    /// logarithms; a few roundings: 8u relative): the decrease bound
    /// e(½, ¼) + e(½, 1) + ½u(2 + 2 ln 4) + u·|d|, and the split bound
    /// 4u(|L| + |D|) + e(½, ¼) + e(½, ¾) + u·|KL|, with e the sigmoid KL's
    /// error y·u·(2 + 2|ln(y/x)|); at y = 1 the dropped term has none.
    #[test]
    fn sigmoid_bounds_follow_their_formulas() {
        let e = |y: f64, x: f64| y * U * (2.0 + 2.0 * (y / x).ln().abs());
        let near = |got: f64, want: f64| assert_near(got, want, 8.0, "");
        let ln4 = 4f64.ln();
        near(
            decrease_bound(0.5, (0.25, 1.0), 0.75),
            e(0.5, 0.25) + e(0.5, 1.0) + 0.5 * U * (2.0 + 2.0 * ln4) + 0.75 * U,
        );
        near(
            split_bound((0.5, 0.25), (0.25, -0.125), 0.5),
            4.0 * U * 0.375 + e(0.5, 0.25) + e(0.5, 0.75) + 0.5 * U,
        );
        near(
            split_bound((1.0, 0.25), (1.5, 0.0), 1.5),
            4.0 * U * 1.5 + e(1.0, 0.25) + 1.5 * U,
        );
    }

    /// The torch-style bound against its documented formula.
    #[test]
    fn torch_style_bound_follows_its_formula() {
        // Terms with p or q zero are skipped, n = 3; the ln values are the
        // f64 ones, as in the function; six non-negative terms: 8u relative.
        let (p, q) = ([0.5, 0.5, 0.0], [0.25, 0.0, 0.75]);
        let (pl, ql) = (0.5 * 0.5f64.ln(), 0.5 * 0.25f64.ln());
        let want = 5.0 * U * (pl.abs() + ql.abs()) + 4.0 * U * (pl - ql).abs();
        let got = torch_style_error(&p, &q);
        assert!((got - want).abs() <= 8.0 * U * want, "{got:e} vs {want:e}");
    }

    #[test]
    fn torch_sum_error_follows_its_formula() {
        let b = Batch {
            target: vec![vec![1.0, 0.0]],
            logits: vec![vec![0.0, 0.0]],
        };
        let input = b.input().unwrap();
        let delta = log_softmax_error_bounds(&b.logits[0], 0.0);
        let want = 4.0 * U * LN_2 + delta[0];
        let got = torch_sum_error(&b, &input);
        assert!((got - want).abs() <= 4.0 * U * want, "{got:e} vs {want:e}");
    }
}
