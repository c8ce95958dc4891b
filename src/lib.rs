//! Executable evidence for a question every ML practitioner meets: *cross-entropy
//! or KL divergence, which one is minimized in practice, and when are they
//! equivalent?*
//!
//! # The facts
//!
//! ```text
//! CE(p, q) = H(p) + KL(p‖q)
//! ```
//!
//! For a fixed target p, H(p) does not depend on the model q, so CE and KL have
//! the same minimizer and the same gradient in q; they differ by a constant.
//! Under log loss, the empirical risk of a model on a sample *is* the mean
//! negative log-likelihood, which is CE(p̂ₙ, q) for the sample's empirical
//! distribution p̂ₙ: minimizing it is maximum likelihood. Training code computes
//! cross-entropy (the NLL) because H(p̂ₙ) is a constant it never needs.
//!
//! The equivalence has limits: the reverse divergence KL(q‖p) has a different
//! minimizer; a target that depends on the parameters (a co-trained teacher)
//! adds ∇H(p_θ) to the KL gradient; and implementation pitfalls (a `mean`
//! reduction over rows × classes, a KL applied to one sigmoid output, 0·ln 0
//! evaluated as NaN) make a "KL loss" behave unlike cross-entropy.
//!
//! # A tour
//!
//! The claims, in one paragraph: [`claims::catalogue`] holds nine
//! statements, each with a check that runs on seeded random and edge-case
//! inputs and returns a [`claims::Verdict`] carrying its evidence. Claims
//! 1–5 hold (CE = H + KL; Gibbs; empirical risk = mean NLL = CE(p̂ₙ, q);
//! argmin CE = argmin KL = MLE; equal gradients); claims 6–9 show where the
//! equivalence breaks, each by a counterexample found by search and shrunk
//! (reverse KL, a target that moves with the parameters, other losses, KL
//! losses as commonly implemented). `cargo test` runs one test per claim, and
//! `logloss-proofs report` writes the verdicts as Markdown.
//!
//! ```
//! use logloss_proofs::claims::{Context, Outcome, find};
//! use logloss_proofs::measures::planted::Affine;
//! // Claim 1 on the crate's own measures, 32 cases per property.
//! let claim = find("ce-decomposition").unwrap();
//! let ctx = Context::new(2026, 32);
//! assert_eq!(claim.check(&ctx).outcome, Outcome::AsExpected);
//! // The same claim against a KL that is off by one part in a billion fails.
//! let planted = Affine::scaled_kl(1.0 + 1e-9);
//! assert_eq!(claim.check(&ctx.with_measures(&planted)).outcome, Outcome::Failed);
//! ```
//!
//! Dependencies flow one way (see `ARCHITECTURE.md`):
//! numerics → measures → risk, models → estimators → claims → report.
//!
//! | module | what it holds |
//! |---|---|
//! | [`numerics`] | u, γₙ, named tiny constants, compensated sums, error-tracked arithmetic, the central-difference rule |
//! | [`measures`] | H, CE, KL: vectors, logits, Bernoulli, batches with reductions, continuous closed forms, `.npy` input |
//! | [`risk`] | losses, empirical risk; co-trained targets and PyTorch-semantics KL losses, where CE and KL part ways |
//! | [`models`] | model families, maximum-likelihood fits with Newton certificates, reverse-KL fits, training runs on real data (softmax regression on the Palmer penguins) |
//! | [`estimators`] | Monte Carlo gap and excess risk against Akaike and Takeuchi; KL estimators k1, k2, k3 |
//! | [`claims`] | the catalogue, its verdicts and evidence, calibration of the statistical checks |
//! | [`conformance`] | checks another implementation (Rust, or any program over line-based JSON) |
//! | [`report`] | gathers the evidence and renders it as Markdown and SVG |
//! | [`seed`] | the one place where random streams are made |
//!
//! # Accuracy
//!
//! Measured against a 320-bit reference computed inside the tests
//! (`tests/accuracy_discrete.rs`, which also checks that this table states
//! what it measures; u = 2⁻⁵³):
//!
//! | measure | inputs | worst error measured |
//! |---|---|---|
//! | `entropy` | random distributions, n = 2 … 1000 | 0.50 ULP |
//! | `cross_entropy` | random distributions | 0.50 ULP |
//! | `kl_divergence` | random distributions | 0.50 ULP |
//! | `kl_divergence` | q = p up to 1e−6 or 1e−8 relative (KL ≈ 1e−12 … 1e−17) | 1.0e−16 relative (a derived bound of about u, i.e. 1 ULP) |
//!
//! For comparison, on that last case (n = 10, exactly normalized inputs) a
//! plain `Σ p·ln(p/q)` was off by up to 3.6e−4 relative and CE − H by up to
//! 3.2e−3 (`tests/accuracy_discrete.rs::naive_kl_loses_digits_that_the_crate_keeps`).
//!
//! # Speed, and the same bits on every CPU
//!
//! `entropy`, `cross_entropy` and `kl_divergence` (and their batched forms)
//! carry every term to about 2⁻⁶⁸ relative with a double-double logarithm and
//! add the terms with compensation, in eight lanes: element i goes to lane
//! i mod 8. On x86-64 the lanes run four at a time with AVX2 and FMA, or eight
//! at a time with AVX-512, the fastest the CPU has, chosen at run time
//! through the safe `pulp` crate; elsewhere, one after another in plain Rust.
//! Cross-entropy from logits (a vector, or a rows × classes
//! [`measures::LogitsBatch`] with its gradient) runs on the same lanes, with
//! a branch-free exponential within one ulp; a batch's rows run on rayon's
//! pool. Inputs longer than 32 768 elements are cut into blocks that run on
//! rayon's pool, each with its own lanes, merged in block order. Every path
//! performs the same IEEE-754 operations on each lane (fused multiply-adds
//! included: `f64::mul_add` on the portable path where the CPU has FMA
//! hardware, an exact emulation where it has none), and the blocks do not
//! depend on the number of threads, so the results are
//! **bit-identical** on every CPU, path and thread count (tested);
//! [`measures::kernel_path`] tells which path runs, and the environment
//! variable `LOGLOSS_PROOFS_SIMD=off` (or `=avx2`) caps it. Measured timings,
//! against numpy, scipy and PyTorch, are in `reports/performance.md`.
//!
//! # Example
//!
//! ```
//! use logloss_proofs::measures::{cross_entropy, entropy, kl_divergence};
//! let (p, q) = ([0.2, 0.8], [0.5, 0.5]);
//! let h = entropy(&p).unwrap();
//! let ce = cross_entropy(&p, &q).unwrap();
//! let kl = kl_divergence(&p, &q).unwrap();
//! // Each value is within 1 ULP of the exact one, so the identity holds
//! // to a few roundings of CE: 4ε·CE bounds them.
//! assert!((ce - (h + kl)).abs() <= 4.0 * f64::EPSILON * ce);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod claims;
pub mod conformance;
pub mod estimators;
pub mod measures;
pub mod models;
pub mod numerics;
pub mod report;
pub mod risk;
pub mod seed;
mod strategies;
#[cfg(test)]
mod test_support;
