//! logloss-proofs: executable evidence for cross-entropy vs KL divergence.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod measures;
pub mod npy;
