//! Training runs on real data: is a KL loss a usable training loss, and is it
//! the same as cross-entropy?
//!
//! A multinomial logistic (softmax) regression on the Palmer penguins
//! ([`data`]: 3 species from 4 standardized measurements, and a binary task,
//! male or female, for the sigmoid losses) is trained by plain gradient
//! descent under several loss formulations, each with the exact semantics of
//! the PyTorch call it names ([`softmax::Objective`], [`binary`],
//! [`float32`]). The model is
//!
//! ```text
//! z = W·x,   x = (1, x̃₁, …, x̃₄),   q = softmax(z),   W ∈ ℝ^(C×5), W₀ = 0
//! θ_{k+1} = θ_k − η·∇L(θ_k)   (fixed η, fixed number of steps)
//! ```
//!
//! # The facts the runs show
//!
//! With a target t that does not depend on θ,
//! `F.kl_div(F.log_softmax(z), t, reduction='batchmean')` and
//! `F.cross_entropy(z, t)` differ by the mean entropy of the targets, a
//! constant, so their gradients and their iterates are the same; computed in
//! floating point by different formulas, the iterates agree within a bound
//! derived from the unit roundoff ([`softmax::path_bound`]). The departures
//! are all implementation choices: the `mean` reduction divides the gradient
//! by C; probabilities passed where log-probabilities are expected optimize
//! a different objective; a KL on one sigmoid output ignores the negatives;
//! `log(softmax(z))` in float32 underflows to −∞; a teacher that is not
//! detached adds ∇H of the target; and minibatches change only the loss
//! value's offset, never the gradient.
//!
//! Everything is deterministic: the split and the minibatches come from
//! named streams of [`crate::seed`], the data are embedded, and no run
//! depends on the thread count.
//!
//! # Example
//! ```
//! use logloss_proofs::models::training::data::penguins;
//! use logloss_proofs::models::training::softmax::{train, Objective, RunConfig, Target};
//! let d = penguins(2026).unwrap();
//! let ce = RunConfig { objective: Objective::CrossEntropy, target: Target::one_hot(&d.train.species).unwrap(), rate: 0.5, steps: 20, batch: None };
//! let run = train(&d.train, &d.held_out, &ce).unwrap();
//! assert!(run.records[20].held_out_nll < run.records[0].held_out_nll);
//! ```

pub mod binary;
pub mod data;
pub mod float32;
pub mod softmax;
pub mod study;

pub use study::{TrainingStudy, study};

/// Why a training run or its data cannot be set up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainingError {
    /// The CSV has a bad header, row or value.
    #[error("penguins CSV line {line}, {column}: unexpected value {value:?}")]
    Csv {
        /// The 1-based line number.
        line: usize,
        /// The column (or `header`, `row`).
        column: &'static str,
        /// The value found.
        value: String,
    },
    /// A feature is constant on the training split, so it cannot be standardized.
    #[error("feature {feature} has zero standard deviation on the training split")]
    Degenerate {
        /// The feature's name.
        feature: &'static str,
    },
    /// A scalar argument is outside its allowed range.
    #[error("{arg} = {value} is outside {allowed}")]
    Argument {
        /// The argument's name.
        arg: &'static str,
        /// Its value.
        value: f64,
        /// The allowed range, in words.
        allowed: &'static str,
    },
    /// A vector argument or one of its rows has the wrong length.
    #[error("{arg} has {got} entries at index {index}, expected {expected}")]
    Shape {
        /// The argument's name.
        arg: &'static str,
        /// The row (0 for a flat vector).
        index: usize,
        /// Its number of entries.
        got: usize,
        /// The number required.
        expected: usize,
    },
    /// A class label is not below the number of classes.
    #[error("{arg}[{index}] = {value} is not a class index below {classes}")]
    Label {
        /// The argument's name.
        arg: &'static str,
        /// The example's index.
        index: usize,
        /// The label.
        value: usize,
        /// The number of classes.
        classes: usize,
    },
    /// The step size is too large for the bound on the distance between two
    /// runs: the gradient step is non-expansive only for η ≤ 2/L.
    #[error(
        "rate {rate} exceeds 2/L = {limit} (L bounds the Hessian), so the path bound does not apply"
    )]
    RateTooLarge {
        /// The step size.
        rate: f64,
        /// 2/L.
        limit: f64,
    },
}
