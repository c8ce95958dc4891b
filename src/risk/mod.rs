//! Losses, empirical risk and likelihood.
//!
//! A categorical model is a probability vector q over K categories and an
//! observation is a label y ∈ {0, …, K − 1}. A loss scores one prediction
//! ([`loss`]); the empirical risk of q on a sample is its mean loss
//! ([`empirical`]). Under the log loss the empirical risk is the mean negative
//! log-likelihood, which is the cross-entropy of q relative to the sample's
//! empirical distribution p̂ₙ:
//!
//! ```text
//! R̂ₙ(q) = (1/n) Σᵢ −ln q_{yᵢ} = −Σₖ p̂ₙ(k) ln qₖ = CE(p̂ₙ, q) = H(p̂ₙ) + KL(p̂ₙ‖q)
//! ```
//!
//! so minimizing it over q is maximum likelihood, and also minimizes
//! KL(p̂ₙ‖q). Other losses do not share this: the 0–1 risk sees only argmax q,
//! and the squared (Brier) risk has the same minimizer p̂ₙ but another value.
//!
//! # Example
//! ```
//! use logloss_proofs::measures::cross_entropy;
//! use logloss_proofs::risk::{Loss, empirical::{empirical_distribution, empirical_risk}};
//! let (sample, q) = ([0, 1, 1, 1], [0.5, 0.5]);
//! let risk = empirical_risk(&sample, &q, Loss::Log).unwrap();
//! let p_hat = empirical_distribution(&sample, 2).unwrap();
//! assert_eq!(risk, cross_entropy(&p_hat, &q).unwrap()); // both are ln 2
//! ```

pub mod co_trained;
pub mod empirical;
mod error;
pub mod loss;
pub mod torch_losses;

pub use error::RiskError;
pub use loss::Loss;
