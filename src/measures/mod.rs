//! Information measures: entropy, cross-entropy and KL divergence.
//!
//! All values are in nats unless converted with [`Unit`]. The conventions, the
//! same in every function:
//! - 0·ln 0 = 0;
//! - pᵢ > 0 where qᵢ = 0 gives +∞ for cross-entropy and KL (a value, not an error);
//! - inputs are validated and never silently normalized ([`normalize`] is the
//!   explicit step).

mod batch;
pub mod bernoulli;
pub mod continuous;
mod discrete;
mod error;
mod implementation;
mod kernels;
mod lanes;
pub(crate) mod ln;
mod logits;
mod logits_batch;
pub(crate) use logits::LogNormalizer;
pub mod npy;
pub mod planted;
mod summary;
mod validate;

pub use batch::{
    Reduced, Reduction, cross_entropy_logits_rows, cross_entropy_rows, entropy_rows,
    kl_divergence_logits_rows, kl_divergence_rows,
};
pub use discrete::{Unit, cross_entropy, entropy, kl_divergence};
pub use error::{Arg, MeasureError};
pub(crate) use implementation::reference_gradient;
pub use implementation::{
    Answer, Arithmetic, Breakdown, Implementation, Measure, Reference, Refusal, Rows,
    contract_bound, contract_condition, contract_gradient_bounds,
};
#[cfg(test)]
pub(crate) use implementation::{rejected, rows_from_values};
pub use logits::{
    cross_entropy_logits, kl_divergence_logits, log_softmax, log_softmax_error_bounds,
};
pub use logits_batch::{
    CrossEntropyOptions, LogitsBatch, Targets, cross_entropy_logits_batch,
    cross_entropy_logits_batch_error, cross_entropy_logits_batch_grad,
};
pub use summary::{Prediction, Summary, softmax, summarize};
pub use validate::{normalize, sum_tolerance, validate_distribution};

/// Which implementation of the vector kernels ([`entropy`], [`cross_entropy`],
/// [`kl_divergence`] and their batched forms) runs on this CPU: `"avx512"`
/// (x86-64 with AVX-512 F and DQ), `"avx2"`
/// (x86-64 with AVX2 and FMA) or `"portable"`.
///
/// The choice affects speed only: every path performs the same IEEE-754
/// operations on each of eight lanes and returns bit-identical results. The
/// environment variable `LOGLOSS_PROOFS_SIMD`, read once per process, caps
/// the choice: `off` forces the portable path, `avx2` allows at most AVX2.
///
/// # Example
/// ```
/// let path = logloss_proofs::measures::kernel_path();
/// assert!(["avx512", "avx2", "portable"].contains(&path));
/// ```
pub fn kernel_path() -> &'static str {
    lanes::path_name()
}
