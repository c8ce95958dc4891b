//! Parametric model families and their fits.
//!
//! Every model states its log-likelihood; every numerical fit comes with a
//! [`Certificate`]: a proven bound on its distance to the exact minimizer,
//! built from the gradient norm, a lower bound on the Hessian's smallest
//! eigenvalue, and how fast the model's Hessian can change. A fit that cannot
//! certify its result returns a [`ModelError`], never a number without evidence.
//!
//! | model | parameters | maximum likelihood | numerical fit |
//! |---|---|---|---|
//! | categorical | q, or logits z (q = softmax z) | [`categorical_mle`]: p̂ₙ | [`fit_softmax_logits`], [`SoftmaxCrossEntropy`] |
//! | Bernoulli | x ∈ [0, 1] | [`bernoulli_mle`]: the mean | [`fit_logistic`] with an intercept |
//! | normal | (μ, σ²) or natural η | [`normal_mle`]: mean, 1/n variance | [`NormalCrossEntropy`] |
//! | logistic regression | weights θ | — | [`fit_logistic`] (Newton / IRLS) |
//!
//! Small dense linear algebra (Cholesky) is done by hand; the dimensions are small.

mod bernoulli;
mod categorical;
mod error;
pub(crate) mod linalg;
mod logistic;
mod newton;
mod normal;
pub(crate) mod objectives;
pub mod reverse_fit;
pub mod training;

pub use bernoulli::{bernoulli_log_likelihood, bernoulli_mle};
pub use categorical::{
    SoftmaxCrossEntropy, SoftmaxFit, categorical_log_likelihood, categorical_mle,
    fit_softmax_logits, softmax_cross_entropy_grad,
};
pub(crate) use categorical::{TINY, softmax_relative_errors};
pub use error::ModelError;
pub use logistic::{LogisticFit, LogisticNll, fit_logistic};
pub(crate) use logistic::{SIGMOID_ERROR, sigmoid, softplus};
pub use newton::{
    Certificate, GradientEval, HessianEval, NewtonFit, NewtonOptions, Objective, StepRule, certify,
    minimize,
};
pub use normal::{
    NormalCrossEntropy, NormalParams, normal_cross_entropy, normal_log_likelihood, normal_mle,
};
