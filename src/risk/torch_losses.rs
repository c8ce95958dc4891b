//! KL losses as commonly implemented, and how each departs from cross-entropy.
//!
//! Three pitfalls, each reproduced faithfully so a check can compare it with
//! the crate's exact measures:
//!
//! 1. **`mean` reduction** — PyTorch's `F.kl_div`/`KLDivLoss` default divides
//!    the elementwise sum by rows × classes, not by rows. The value and the
//!    gradient are then C times smaller than the batch-mean KL (which equals
//!    the batch-mean CE minus a constant): [`torch_kl_div`] with
//!    [`TorchReduction::Mean`], [`kl_div_logits_gradient`].
//! 2. **KL on one sigmoid output** — y·ln(y/x) alone drops the (1 − y) term of
//!    the Bernoulli KL; it decreases in x, so training drives x → 1 whatever
//!    the target: [`sigmoid_kl`], [`sigmoid_kl_derivative`].
//! 3. **0·(−∞)** — a target entry 0 meeting a log-probability −∞ (a predicted
//!    probability that underflowed to 0) gives NaN under p·(ln p − ln q) and
//!    under PyTorch's xlogy(t, t) − t·input, where the convention 0·ln 0 = 0
//!    gives 0: [`naive_kl`], [`torch_kl_div`].

use crate::measures::log_softmax_error_bounds;
use crate::measures::{self, MeasureError};
use crate::numerics::U;
use crate::numerics::tracked::{Bounded, Tracked};

/// Why a loss's arguments are not acceptable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LossError {
    /// An argument (or one of its rows) is empty.
    #[error("{arg} is empty")]
    Empty {
        /// The argument's name.
        arg: &'static str,
    },
    /// Two arguments that must match in length do not.
    #[error("{first} has length {first_len} but {second} has length {second_len}{}", row.map(|r| format!(" (row {r})")).unwrap_or_default())]
    LengthMismatch {
        /// The first argument.
        first: &'static str,
        /// Its length.
        first_len: usize,
        /// The second argument.
        second: &'static str,
        /// Its length.
        second_len: usize,
        /// The row, inside a batch.
        row: Option<usize>,
    },
    /// A scalar is not a probability in [0, 1].
    #[error("{arg} = {value} is not a probability in [0, 1]")]
    NotAProbability {
        /// The argument's name.
        arg: &'static str,
        /// Its value.
        value: f64,
    },
    /// An entry is NaN or infinite where a finite number is required.
    #[error("{arg} row {row}, entry {index} = {value} is not finite")]
    NotFinite {
        /// The argument's name.
        arg: &'static str,
        /// The row.
        row: usize,
        /// The entry's index.
        index: usize,
        /// The entry.
        value: f64,
    },
}

/// PyTorch's `reduction` argument of `F.kl_div` / `KLDivLoss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TorchReduction {
    /// The sum of every element.
    Sum,
    /// The sum divided by rows × classes: PyTorch's default, and the pitfall.
    Mean,
    /// The sum divided by rows: the mean KL per row.
    BatchMean,
}

impl TorchReduction {
    /// The divisor of the elementwise sum for `rows` rows of `classes` entries.
    fn divisor(self, rows: usize, classes: usize) -> f64 {
        match self {
            TorchReduction::Sum => 1.0,
            TorchReduction::Mean => (rows * classes) as f64,
            TorchReduction::BatchMean => rows as f64,
        }
    }
}

/// Checks a batch pair: non-empty, equal row counts, every row of `a` and
/// `b` of the same length C; returns (rows, C).
fn check_batch<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    a_name: &'static str,
    a: &[R],
    b_name: &'static str,
    b: &[S],
) -> Result<(usize, usize), LossError> {
    if a.is_empty() {
        return Err(LossError::Empty { arg: a_name });
    }
    if b.len() != a.len() {
        return Err(LossError::LengthMismatch {
            first: a_name,
            first_len: a.len(),
            second: b_name,
            second_len: b.len(),
            row: None,
        });
    }
    let classes = a[0].as_ref().len();
    if classes == 0 {
        return Err(LossError::Empty { arg: a_name });
    }
    for (r, (x, y)) in a.iter().zip(b).enumerate() {
        let (x, y) = (x.as_ref(), y.as_ref());
        if x.len() != classes {
            return Err(LossError::LengthMismatch {
                first: a_name,
                first_len: x.len(),
                second: "its first row",
                second_len: classes,
                row: Some(r),
            });
        }
        if y.len() != classes {
            return Err(LossError::LengthMismatch {
                first: a_name,
                first_len: classes,
                second: b_name,
                second_len: y.len(),
                row: Some(r),
            });
        }
    }
    Ok((a.len(), classes))
}

/// t·ln t with xlogy's convention: 0 at t = 0.
fn xlogy_self(t: f64) -> f64 {
    if t == 0.0 { 0.0 } else { t * t.ln() }
}

/// PyTorch's `F.kl_div(input, target, reduction)` with `log_target=False`,
/// evaluated as PyTorch does: `input` holds log-probabilities ln q, `target`
/// probabilities t.
///
/// ```text
/// Lᵣᵢ = xlogy(tᵣᵢ, tᵣᵢ) − tᵣᵢ·inputᵣᵢ,   xlogy(0, ·) = 0
/// sum: Σᵣᵢ Lᵣᵢ    mean: Σᵣᵢ Lᵣᵢ / (R·C)    batchmean: Σᵣᵢ Lᵣᵢ / R
/// ```
///
/// Reproduced, not corrected: values are not validated, and a target 0
/// against an input −∞ gives 0·(−∞) = NaN, as in PyTorch. `mean` is C times
/// smaller than `batchmean`, which is the true mean KL.
///
/// # Errors
/// [`LossError::Empty`] or [`LossError::LengthMismatch`] for the shapes.
///
/// # Example
/// ```
/// use logloss_proofs::risk::torch_losses::{torch_kl_div, TorchReduction};
/// let t = [[1.0, 0.0]];
/// let ln_q = [[0.5f64.ln(), 0.5f64.ln()]];
/// let batchmean = torch_kl_div(&ln_q, &t, TorchReduction::BatchMean).unwrap();
/// assert_eq!(batchmean, std::f64::consts::LN_2); // KL((1, 0)‖(½, ½)) = ln 2
/// let mean = torch_kl_div(&ln_q, &t, TorchReduction::Mean).unwrap();
/// assert_eq!(mean, std::f64::consts::LN_2 / 2.0); // divided by C = 2 as well
/// // A zero target against ln 0 = −∞:
/// let nan = torch_kl_div(&[[0.0, f64::NEG_INFINITY]], &t, TorchReduction::Sum).unwrap();
/// assert!(nan.is_nan());
/// ```
pub fn torch_kl_div<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    input: &[R],
    target: &[S],
    reduction: TorchReduction,
) -> Result<f64, LossError> {
    let (rows, classes) = check_batch("input", input, "target", target)?;
    let mut sum = 0.0;
    for (x, t) in input.iter().zip(target) {
        for (&xi, &ti) in x.as_ref().iter().zip(t.as_ref()) {
            sum += xlogy_self(ti) - ti * xi;
        }
    }
    Ok(sum / reduction.divisor(rows, classes))
}

/// KL(p‖q) evaluated naively as Σ pᵢ·(ln pᵢ − ln qᵢ), with no convention for
/// zeros: any pᵢ = 0 gives 0·(−∞) or 0·NaN, so NaN.
///
/// ```text
/// naive(p, q) = Σᵢ pᵢ·(ln pᵢ − ln qᵢ)
/// ```
///
/// Inputs are not validated beyond their lengths, as in the code this
/// reproduces. Compare [`kl_divergence`](crate::measures::kl_divergence),
/// which applies 0·ln 0 = 0.
///
/// # Errors
/// [`LossError::Empty`] or [`LossError::LengthMismatch`].
///
/// # Example
/// ```
/// use logloss_proofs::risk::torch_losses::naive_kl;
/// use logloss_proofs::measures::kl_divergence;
/// let (p, q) = ([1.0, 0.0], [0.5, 0.5]);
/// assert!(naive_kl(&p, &q).unwrap().is_nan());
/// assert_eq!(kl_divergence(&p, &q).unwrap(), std::f64::consts::LN_2);
/// ```
pub fn naive_kl(p: &[f64], q: &[f64]) -> Result<f64, LossError> {
    check_batch("p", &[p], "q", &[q])?;
    Ok(p.iter().zip(q).map(|(a, b)| a * (a.ln() - b.ln())).sum())
}

fn check_probability(arg: &'static str, v: f64) -> Result<(), LossError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(LossError::NotAProbability { arg, value: v })
    }
}

/// A KL loss applied to one sigmoid probability: the positive-class term of
/// the Bernoulli KL alone.
///
/// ```text
/// sigmoid_kl(y, x) = y·ln(y/x)
/// KL_Bernoulli(y‖x) = y·ln(y/x) + (1 − y)·ln((1 − y)/(1 − x))   — the dropped term is the second
/// ```
///
/// It is decreasing in x on (0, 1] for y > 0 (its derivative is −y/x), so its
/// infimum over x is at x = 1, not at x = y where binary cross-entropy and
/// the Bernoulli KL are minimized. Conventions: 0·ln(0/x) = 0; y > 0 = x gives +∞.
/// The ratio y/x is used while finite, else ln y − ln x.
///
/// # Errors
/// [`LossError::NotAProbability`] naming `y` or `x`.
///
/// # Example
/// ```
/// use logloss_proofs::risk::torch_losses::sigmoid_kl;
/// // Target 0.3: the loss at the target is 0, but lower (negative) at x = 0.9.
/// assert_eq!(sigmoid_kl(0.3, 0.3).unwrap(), 0.0);
/// assert!(sigmoid_kl(0.3, 0.9).unwrap() < 0.0);
/// ```
pub fn sigmoid_kl(y: f64, x: f64) -> Result<f64, LossError> {
    check_probability("y", y)?;
    check_probability("x", x)?;
    if y == 0.0 {
        return Ok(0.0);
    }
    if x == 0.0 {
        return Ok(f64::INFINITY);
    }
    let r = y / x;
    Ok(if r.is_finite() {
        y * r.ln()
    } else {
        y * (y.ln() - x.ln())
    })
}

/// The derivative in x of [`sigmoid_kl`]: negative wherever y > 0.
///
/// ```text
/// ∂/∂x [y·ln(y/x)] = −y/x
/// ```
///
/// # Errors
/// [`LossError::NotAProbability`] naming `y`, or `x` if it is outside (0, 1].
///
/// # Example
/// ```
/// use logloss_proofs::risk::torch_losses::sigmoid_kl_derivative;
/// assert_eq!(sigmoid_kl_derivative(0.5, 0.25).unwrap(), -2.0);
/// ```
pub fn sigmoid_kl_derivative(y: f64, x: f64) -> Result<f64, LossError> {
    check_probability("y", y)?;
    if !(x > 0.0 && x <= 1.0) {
        return Err(LossError::NotAProbability { arg: "x", value: x });
    }
    Ok(-y / x)
}

/// Gradients with respect to the logits z of −scale·Σᵣᵢ tᵣᵢ ln softmax(zᵣ)ᵢ,
/// with error bounds: (scale·(qᵣ Σᵢ tᵣᵢ − tᵣ))ᵣ.
fn log_softmax_loss_gradient<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    target: &[R],
    logits: &[S],
    divisor: impl Fn(usize, usize) -> f64,
) -> Result<Vec<Bounded>, LossError> {
    let (rows, classes) = check_batch("target", target, "logits", logits)?;
    for (name, batch) in [
        (
            "logits",
            logits.iter().map(|r| r.as_ref()).collect::<Vec<_>>(),
        ),
        ("target", target.iter().map(|r| r.as_ref()).collect()),
    ] {
        for (row, x) in batch.iter().enumerate() {
            if let Some(index) = x.iter().position(|v| !v.is_finite()) {
                return Err(LossError::NotFinite {
                    arg: name,
                    row,
                    index,
                    value: x[index],
                });
            }
        }
    }
    // 1/divisor: one rounding (the divisor, an integer below 2⁵³, is exact).
    let d = divisor(rows, classes);
    let scale = Tracked::new(1.0 / d, U / d);
    let mut out = Vec::with_capacity(rows);
    for (r, (t, z)) in target.iter().zip(logits).enumerate() {
        let (t, z) = (t.as_ref(), z.as_ref());
        // The rows were checked non-empty and finite above, so softmax accepts them.
        let q = measures::softmax(z).map_err(|e| match e {
            MeasureError::NotFinite { index, value, .. } => LossError::NotFinite {
                arg: "logits",
                row: r,
                index,
                value,
            },
            _ => LossError::Empty { arg: "logits" },
        })?;
        let ln_err = log_softmax_error_bounds(z, 0.0);
        let mass = Tracked::sum(t.iter().map(|&v| Tracked::exact(v)));
        let row: Vec<Tracked> = (0..classes)
            .map(|k| {
                let qk = Tracked::new(q[k], q[k] * (ln_err[k] + U));
                scale.mul(qk.mul(mass).sub(Tracked::exact(t[k])))
            })
            .collect();
        out.push(Bounded::from_tracked(row));
    }
    Ok(out)
}

/// The gradient of [`torch_kl_div`]`(log_softmax(z), t, reduction)` with
/// respect to the logits z, row by row, with error bounds.
///
/// ```text
/// ∂/∂zᵣ = (qᵣ·Σᵢ tᵣᵢ − tᵣ) / D,   qᵣ = softmax(zᵣ),   D = R·C (mean), R (batchmean), 1 (sum)
/// ```
///
/// Derivation: ∂Lᵣᵢ/∂inputᵣᵢ = −tᵣᵢ, and ∂ ln softmax(zᵣ)ᵢ/∂zᵣₖ = δᵢₖ − qᵣₖ.
/// With `mean`, every entry is C times smaller than with `batchmean`, which
/// equals [`cross_entropy_logits_gradient`]: the learning rate is silently
/// divided by the number of classes.
///
/// # Errors
/// [`LossError::Empty`] or [`LossError::LengthMismatch`] for the shapes;
/// [`LossError::NotFinite`] for a non-finite logit or target entry.
///
/// # Example
/// ```
/// use logloss_proofs::risk::torch_losses::{kl_div_logits_gradient, TorchReduction};
/// let g = kl_div_logits_gradient(&[[1.0, 0.0]], &[[0.0, 0.0]], TorchReduction::Mean).unwrap();
/// assert_eq!(g[0].value, vec![-0.25, 0.25]); // (½ − 1, ½ − 0) / (1·2)
/// ```
pub fn kl_div_logits_gradient<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    target: &[R],
    logits: &[S],
    reduction: TorchReduction,
) -> Result<Vec<Bounded>, LossError> {
    log_softmax_loss_gradient(target, logits, |r, c| reduction.divisor(r, c))
}

/// The gradient of the batch-mean softmax cross-entropy
/// (1/R)·Σᵣ CE(tᵣ, softmax zᵣ) with respect to the logits, with error bounds.
///
/// ```text
/// ∂/∂zᵣ = (qᵣ·Σᵢ tᵣᵢ − tᵣ) / R
/// ```
///
/// # Errors
/// As [`kl_div_logits_gradient`].
///
/// # Example
/// ```
/// use logloss_proofs::risk::torch_losses::cross_entropy_logits_gradient;
/// let g = cross_entropy_logits_gradient(&[[1.0, 0.0]], &[[0.0, 0.0]]).unwrap();
/// assert_eq!(g[0].value, vec![-0.5, 0.5]);
/// ```
pub fn cross_entropy_logits_gradient<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    target: &[R],
    logits: &[S],
) -> Result<Vec<Bounded>, LossError> {
    log_softmax_loss_gradient(target, logits, |r, _| r as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_ranges_are_errors() {
        let empty: [[f64; 2]; 0] = [];
        assert_eq!(
            torch_kl_div(&empty, &empty, TorchReduction::Sum),
            Err(LossError::Empty { arg: "input" })
        );
        assert!(matches!(
            torch_kl_div(&[vec![0.0, 0.0]], &[vec![1.0]], TorchReduction::Sum),
            Err(LossError::LengthMismatch { row: Some(0), .. })
        ));
        assert!(matches!(
            sigmoid_kl(1.5, 0.5),
            Err(LossError::NotAProbability { arg: "y", .. })
        ));
        assert!(matches!(
            sigmoid_kl_derivative(0.5, 0.0),
            Err(LossError::NotAProbability { arg: "x", .. })
        ));
        assert!(matches!(
            kl_div_logits_gradient(&[[1.0, 0.0]], &[[0.0, f64::NAN]], TorchReduction::Mean),
            Err(LossError::NotFinite {
                arg: "logits",
                index: 1,
                ..
            })
        ));
    }

    #[test]
    fn sigmoid_kl_at_extreme_ratios_stays_finite() {
        // y/x overflows for x = 5e−324: the difference of logs is used.
        let v = sigmoid_kl(1.0, f64::from_bits(1)).unwrap();
        // −ln(2⁻¹⁰⁷⁴) = 1074 ln 2; ln of the subnormal is correctly rounded
        // to within 1 ULP of 744.44, so within 2u·744.44.
        let want = 1074.0 * std::f64::consts::LN_2;
        assert!((v - want).abs() <= 2.0 * U * want + U * want);
    }
}
