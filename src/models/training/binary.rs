//! Logistic regression on a binary label, under binary cross-entropy and
//! under a KL loss applied to the one sigmoid output.
//!
//! With z = w·x, σ(z) = 1/(1 + e^(−z)) and labels y ∈ {0, 1}:
//!
//! ```text
//! F.binary_cross_entropy_with_logits(z, y):  (1/n)·Σ [max(z, 0) − z·y + ln(1 + e^(−|z|))],  ∂/∂z = (σ(z) − y)/n
//! F.kl_div(torch.log(torch.sigmoid(z)), y):  (1/n)·Σ [xlogy(y, y) − y·ln σ(z)],            ∂/∂z = −y·(1 − σ(z))/n
//! ```
//!
//! The KL call treats the single output as a one-entry distribution: the
//! (1 − y) term of the Bernoulli divergence is missing. A negative example
//! (y = 0) contributes xlogy(0, 0) − 0·ln σ = 0 and, through autograd
//! (−y/n, then ÷σ, then ×σ(1 − σ)), a gradient of exactly (negative) zero;
//! the positives push z up without limit, so the model drifts to predicting 1.

use crate::models::training::TrainingError;
use crate::models::training::data::{INPUTS as D, Split};
use crate::models::training::softmax::Record;

/// The two binary losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryObjective {
    /// `F.binary_cross_entropy_with_logits(z, y)` (mean).
    BceWithLogits,
    /// `F.kl_div(torch.log(torch.sigmoid(z)), y)` (default reduction `mean`
    /// over n × 1 entries, so a division by n).
    KlDivOnSigmoid,
}

/// The loss, the gradient in w, and the gradient in each example's logit.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryEvaluation {
    /// The loss value.
    pub loss: f64,
    /// ∂loss/∂w (5 entries).
    pub gradient: Vec<f64>,
    /// ∂loss/∂zᵣ for every example r.
    pub logit_gradient: Vec<f64>,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Evaluates `objective` at `w` on every row of `split`, labels `split.male`.
///
/// # Errors
/// [`TrainingError::Shape`] if `w` does not have 5 entries or the split is empty.
///
/// # Example
/// ```
/// use logloss_proofs::models::training::binary::{evaluate, BinaryObjective};
/// use logloss_proofs::models::training::data::penguins;
/// let d = penguins(2026).unwrap();
/// let e = evaluate(&d.train, &[0.0; 5], BinaryObjective::KlDivOnSigmoid).unwrap();
/// for (g, y) in e.logit_gradient.iter().zip(&d.train.male) {
///     if *y == 0.0 { assert_eq!(*g, 0.0); } // negatives: exactly no gradient
/// }
/// ```
pub fn evaluate(
    split: &Split,
    w: &[f64],
    objective: BinaryObjective,
) -> Result<BinaryEvaluation, TrainingError> {
    if w.len() != D {
        return Err(TrainingError::Shape {
            arg: "w",
            index: 0,
            got: w.len(),
            expected: D,
        });
    }
    if split.is_empty() {
        return Err(TrainingError::Shape {
            arg: "split",
            index: 0,
            got: 0,
            expected: 1,
        });
    }
    let n = split.len() as f64;
    let mut loss = 0.0;
    let mut gradient = vec![0.0; D];
    let mut logit_gradient = Vec::with_capacity(split.len());
    for (x, &y) in split.x.iter().zip(&split.male) {
        let z: f64 = w.iter().zip(x).map(|(a, b)| a * b).sum();
        let s = sigmoid(z);
        let g = match objective {
            BinaryObjective::BceWithLogits => {
                loss += z.max(0.0) - z * y + (-z.abs()).exp().ln_1p();
                (s - y) / n
            }
            BinaryObjective::KlDivOnSigmoid => {
                let input = s.ln();
                let xlogy = if y == 0.0 { 0.0 } else { y * y.ln() };
                loss += xlogy - y * input;
                // Autograd: ∂/∂input = −y/n; log: ÷σ; sigmoid: ×(1 − σ)·σ.
                let a = -y / n;
                (a / s) * (1.0 - s) * s
            }
        };
        logit_gradient.push(g);
        for (gw, xj) in gradient.iter_mut().zip(x) {
            *gw += g * xj;
        }
    }
    Ok(BinaryEvaluation {
        loss: loss / n,
        gradient,
        logit_gradient,
    })
}

/// Held-out binary cross-entropy (nats), accuracy (predict 1 when z > 0) and
/// the share of examples predicted 1.
pub fn held_out(split: &Split, w: &[f64]) -> (f64, f64, f64) {
    let n = split.len() as f64;
    let (mut nll, mut correct, mut ones) = (0.0, 0usize, 0usize);
    for (x, &y) in split.x.iter().zip(&split.male) {
        let z: f64 = w.iter().zip(x).map(|(a, b)| a * b).sum();
        nll += z.max(0.0) - z * y + (-z.abs()).exp().ln_1p();
        let one = z > 0.0;
        ones += usize::from(one);
        correct += usize::from(one == (y == 1.0));
    }
    (nll / n, correct as f64 / n, ones as f64 / n)
}

/// A binary run.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryRun {
    /// One record per step (the target entropy is 0: labels are 0 or 1).
    pub records: Vec<Record>,
    /// The held-out share of examples predicted 1, per step.
    pub predicted_one: Vec<f64>,
    /// The largest |∂loss/∂zᵣ| over the negative examples (y = 0) and all steps.
    pub max_negative_gradient: f64,
    /// The final parameters.
    pub params: Vec<f64>,
}

/// Full-batch gradient descent from w = 0 with step `rate` for `steps` steps.
///
/// # Errors
/// [`TrainingError::Argument`] for a rate that is not finite and positive;
/// as [`evaluate`].
pub fn train(
    train: &Split,
    held: &Split,
    objective: BinaryObjective,
    rate: f64,
    steps: usize,
) -> Result<BinaryRun, TrainingError> {
    if !(rate.is_finite() && rate > 0.0) {
        return Err(TrainingError::Argument {
            arg: "rate",
            value: rate,
            allowed: "(0, ∞)",
        });
    }
    let mut w = vec![0.0; D];
    let mut records = Vec::with_capacity(steps + 1);
    let mut predicted_one = Vec::with_capacity(steps + 1);
    let mut max_negative_gradient: f64 = 0.0;
    for k in 0..=steps {
        let e = evaluate(train, &w, objective)?;
        let (nll, accuracy, ones) = held_out(held, &w);
        records.push(Record {
            step: k,
            train_loss: e.loss,
            target_entropy: 0.0,
            held_out_nll: nll,
            held_out_accuracy: accuracy,
        });
        predicted_one.push(ones);
        for (g, &y) in e.logit_gradient.iter().zip(&train.male) {
            if y == 0.0 {
                max_negative_gradient = max_negative_gradient.max(g.abs());
            }
        }
        if k < steps {
            for (wi, g) in w.iter_mut().zip(&e.gradient) {
                *wi -= rate * g;
            }
        }
    }
    Ok(BinaryRun {
        records,
        predicted_one,
        max_negative_gradient,
        params: w,
    })
}
