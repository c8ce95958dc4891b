//! The same softmax regression in float32 (Rust `f32`, as PyTorch's default
//! dtype), under `F.kl_div(<log-probabilities>, one_hot, reduction='batchmean')`
//! with the log-probabilities computed two ways:
//!
//! ```text
//! torch.log(F.softmax(z, -1)):  qᵢ = exp(zᵢ − m)/Σⱼexp(zⱼ − m), then ln qᵢ
//! F.log_softmax(z, -1):         ℓᵢ = (zᵢ − m) − ln Σⱼ exp(zⱼ − m)
//! ```
//!
//! In float32, exp(x) rounds to 0 for x < ln 2⁻¹⁵⁰ ≈ −103.97 (below half
//! the smallest subnormal, 2⁻¹⁴⁹). Once the logits of one row spread by more
//! than that, softmax returns an exact 0 and its logarithm is −∞; the KL's
//! term for that class is xlogy(0, 0) − 0·(−∞) = NaN, the loss is NaN, and
//! the backward pass divides 0 by 0 (the log's backward, −t/q), so every
//! parameter becomes NaN. `log_softmax` never forms the 0: ℓᵢ = zᵢ − m − ln s
//! stays finite for any finite logits.

use crate::models::training::TrainingError;
use crate::models::training::data::{CLASSES as C, INPUTS as D, Split};
use crate::models::training::softmax::{Record, forward_logits, held_out};

/// How the log-probabilities are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogProbabilities {
    /// `torch.log(F.softmax(z, -1))`.
    LogOfSoftmax,
    /// `F.log_softmax(z, -1)`.
    LogSoftmax,
}

/// The first step at which the loss is not finite, and the row that made it so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Failure {
    /// The step k (the loss at θ_k is the first non-finite one).
    pub step: usize,
    /// The training row (the first, in split order, with a non-finite term).
    pub row: usize,
    /// That row's label.
    pub label: usize,
    /// That row's float32 logits.
    pub logits: [f32; C],
    /// Its float32 softmax (one entry is 0).
    pub softmax: [f32; C],
    /// The loss at that step.
    pub loss: f32,
}

/// A float32 run.
#[derive(Debug, Clone, PartialEq)]
pub struct Float32Run {
    /// One record per step (held-out metrics in f64 from the f32 parameters).
    pub records: Vec<Record>,
    /// The first non-finite loss, if any.
    pub failure: Option<Failure>,
    /// The largest spread max z − min z over the training rows and steps
    /// while the parameters were finite.
    pub max_spread: f32,
    /// The final parameters.
    pub params: Vec<f32>,
}

/// The float32 log-probabilities of one row and its softmax.
///
/// # Example
/// ```
/// use logloss_proofs::models::training::float32::{log_probabilities, LogProbabilities};
/// let z = [120.0f32, 0.0, 10.0];
/// let (bad, q) = log_probabilities(&z, LogProbabilities::LogOfSoftmax);
/// assert_eq!(q[1], 0.0);
/// assert_eq!(bad[1], f32::NEG_INFINITY);
/// let (good, _) = log_probabilities(&z, LogProbabilities::LogSoftmax);
/// assert_eq!(good[1], -120.0);
/// ```
pub fn log_probabilities(z: &[f32; C], how: LogProbabilities) -> ([f32; C], [f32; C]) {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e = z.map(|v| (v - m).exp());
    let s: f32 = e.iter().sum();
    let q = e.map(|v| v / s);
    let l = match how {
        LogProbabilities::LogOfSoftmax => q.map(f32::ln),
        LogProbabilities::LogSoftmax => {
            let ln_s = s.ln();
            z.map(|v| (v - m) - ln_s)
        }
    };
    (l, q)
}

/// Trains from W = 0 in float32 with one-hot targets, full batch.
///
/// Loss and backward as PyTorch evaluates them: loss = (1/n)·Σᵣᵢ
/// [xlogy(tᵣᵢ, tᵣᵢ) − tᵣᵢ·inputᵣᵢ]; upstream a = −t/n; then for
/// `LogOfSoftmax` the log's backward v = a/q and softmax's backward
/// q ⊙ (v − ⟨v, q⟩); for `LogSoftmax` a − exp(ℓ)·Σa.
///
/// # Errors
/// [`TrainingError::Argument`] for a rate that is not finite and positive.
pub fn train(
    train: &Split,
    held: &Split,
    how: LogProbabilities,
    rate: f32,
    steps: usize,
) -> Result<Float32Run, TrainingError> {
    if !(rate.is_finite() && rate > 0.0) {
        return Err(TrainingError::Argument {
            arg: "rate",
            value: f64::from(rate),
            allowed: "(0, ∞)",
        });
    }
    let xs: Vec<[f32; D]> = train.x.iter().map(|x| x.map(|v| v as f32)).collect();
    let n = xs.len() as f32;
    let mut w = vec![0.0f32; C * D];
    let mut records = Vec::with_capacity(steps + 1);
    let mut failure = None;
    let mut max_spread: f32 = 0.0;
    for k in 0..=steps {
        let mut loss = 0.0f32;
        let mut grad = vec![0.0f32; C * D];
        let mut first_bad = None;
        for (r, (x, &y)) in xs.iter().zip(&train.species).enumerate() {
            let z = forward_logits(&w, x);
            if z.iter().all(|v| v.is_finite()) {
                let hi = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let lo = z.iter().copied().fold(f32::INFINITY, f32::min);
                max_spread = max_spread.max(hi - lo);
            }
            let (l, q) = log_probabilities(&z, how);
            let t: [f32; C] = std::array::from_fn(|c| if c == y { 1.0 } else { 0.0 });
            let term: f32 = (0..C)
                .map(|c| {
                    let xlogy = if t[c] == 0.0 { 0.0 } else { t[c] * t[c].ln() };
                    xlogy - t[c] * l[c]
                })
                .sum();
            if !term.is_finite() && first_bad.is_none() {
                first_bad = Some((r, y, z, q));
            }
            loss += term;
            let a = t.map(|v| -v / n);
            let g: [f32; C] = match how {
                LogProbabilities::LogOfSoftmax => {
                    let v: [f32; C] = std::array::from_fn(|c| a[c] / q[c]);
                    let vq: f32 = (0..C).map(|c| v[c] * q[c]).sum();
                    std::array::from_fn(|c| q[c] * (v[c] - vq))
                }
                LogProbabilities::LogSoftmax => {
                    let sa: f32 = a.iter().sum();
                    std::array::from_fn(|c| a[c] - l[c].exp() * sa)
                }
            };
            for c in 0..C {
                for j in 0..D {
                    grad[c * D + j] += g[c] * x[j];
                }
            }
        }
        let loss = loss / n;
        if failure.is_none()
            && let Some((row, label, logits, softmax)) = first_bad
        {
            failure = Some(Failure {
                step: k,
                row,
                label,
                logits,
                softmax,
                loss,
            });
        }
        let w64: Vec<f64> = w.iter().map(|&v| f64::from(v)).collect();
        let (nll, accuracy) = held_out(held, &w64);
        records.push(Record {
            step: k,
            train_loss: f64::from(loss),
            target_entropy: 0.0,
            held_out_nll: nll,
            held_out_accuracy: accuracy,
        });
        if k < steps {
            for (wi, g) in w.iter_mut().zip(&grad) {
                *wi -= rate * g;
            }
        }
    }
    Ok(Float32Run {
        records,
        failure,
        max_spread,
        params: w,
    })
}
