//! Batches of rows with explicit reductions.
//!
//! Loss functions in training code reduce a batch of per-row values to one
//! number. The reduction matters: PyTorch's `KLDivLoss(reduction="mean")`
//! divides by rows × classes, which is not a divergence at all; `batchmean`
//! divides by rows and is the mean KL. This module offers only reductions that
//! keep the per-row meaning.

use super::error::{Arg, MeasureError};
use super::kernels;
use super::logits;
use super::validate::{check_distribution, check_same_len};
use crate::numerics::NeumaierSum;

/// How per-row values are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// One value per row.
    None,
    /// The sum over rows (compensated).
    Sum,
    /// The sum over rows divided by the number of rows (not by rows × classes).
    BatchMean,
}

impl Reduction {
    /// Parses `none`, `sum` or `batchmean`.
    ///
    /// ```
    /// use logloss_proofs::measures::Reduction;
    /// assert_eq!(Reduction::parse("batchmean"), Some(Reduction::BatchMean));
    /// assert_eq!(Reduction::parse("mean"), None); // deliberately not offered
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Reduction::None),
            "sum" => Some(Reduction::Sum),
            "batchmean" => Some(Reduction::BatchMean),
            _ => None,
        }
    }

    /// The reduction's name, as [`parse`](Self::parse) reads it.
    pub fn name(self) -> &'static str {
        match self {
            Reduction::None => "none",
            Reduction::Sum => "sum",
            Reduction::BatchMean => "batchmean",
        }
    }
}

/// The result of a batched measure.
#[derive(Debug, Clone, PartialEq)]
pub enum Reduced {
    /// One value per row, for [`Reduction::None`].
    PerRow(Vec<f64>),
    /// One value, for [`Reduction::Sum`] and [`Reduction::BatchMean`].
    Total(f64),
}

pub(super) fn reduce(values: Vec<f64>, reduction: Reduction) -> Reduced {
    match reduction {
        Reduction::None => Reduced::PerRow(values),
        Reduction::Sum => Reduced::Total(values.iter().copied().collect::<NeumaierSum>().value()),
        Reduction::BatchMean => {
            let n = values.len() as f64;
            Reduced::Total(values.iter().copied().collect::<NeumaierSum>().value() / n)
        }
    }
}

fn check_rows<R: AsRef<[f64]>>(name: &'static str, rows: &[R]) -> Result<(), MeasureError> {
    if rows.is_empty() {
        return Err(MeasureError::Empty {
            arg: Arg::plain(name),
        });
    }
    Ok(())
}

fn check_batch_pair<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    p_name: &'static str,
    p: &[R],
    q_name: &'static str,
    q: &[S],
) -> Result<(), MeasureError> {
    check_rows(p_name, p)?;
    check_rows(q_name, q)?;
    if p.len() != q.len() {
        return Err(MeasureError::LengthMismatch {
            first: Arg::plain(p_name),
            first_len: p.len(),
            second: Arg::plain(q_name),
            second_len: q.len(),
        });
    }
    Ok(())
}

/// Row-wise entropy H(pᵣ), reduced. See [`entropy`](crate::measures::entropy).
///
/// ```text
/// none: (H(p₀), …, H(p_{R−1}))   sum: Σᵣ H(pᵣ)   batchmean: Σᵣ H(pᵣ) / R
/// ```
///
/// # Errors
/// [`MeasureError::Empty`] for an empty batch; any row error of
/// [`entropy`](crate::measures::entropy), naming the row.
///
/// # Example
/// ```
/// use logloss_proofs::measures::{entropy_rows, Reduced, Reduction};
/// let p = [vec![0.5, 0.5], vec![1.0, 0.0]];
/// let h = entropy_rows(&p, Reduction::BatchMean).unwrap();
/// assert_eq!(h, Reduced::Total(std::f64::consts::LN_2 / 2.0));
/// ```
pub fn entropy_rows<R: AsRef<[f64]>>(
    p: &[R],
    reduction: Reduction,
) -> Result<Reduced, MeasureError> {
    check_rows("p", p)?;
    let mut values = Vec::with_capacity(p.len());
    for (r, row) in p.iter().enumerate() {
        let row = row.as_ref();
        check_distribution(Arg::row("p", r), row)?;
        values.push(kernels::entropy(row));
    }
    Ok(reduce(values, reduction))
}

/// Shared driver for the two-argument batched measures.
fn pairwise<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    q_name: &'static str,
    p: &[R],
    q: &[S],
    reduction: Reduction,
    q_is_distribution: bool,
    kernel: fn(&[f64], &[f64]) -> f64,
) -> Result<Reduced, MeasureError> {
    check_batch_pair("p", p, q_name, q)?;
    let mut values = Vec::with_capacity(p.len());
    for (r, (pr, qr)) in p.iter().zip(q).enumerate() {
        let (pr, qr) = (pr.as_ref(), qr.as_ref());
        let (pa, qa) = (Arg::row("p", r), Arg::row(q_name, r));
        check_distribution(pa, pr)?;
        if q_is_distribution {
            check_distribution(qa, qr)?;
        } else {
            logits::check_logits(qa, qr)?;
        }
        check_same_len(pa, pr, qa, qr)?;
        values.push(kernel(pr, qr));
    }
    Ok(reduce(values, reduction))
}

/// Row-wise cross-entropy CE(pᵣ, qᵣ), reduced. See [`cross_entropy`](crate::measures::cross_entropy).
///
/// ```text
/// batchmean: (1/R)·Σᵣ CE(pᵣ, qᵣ)   — the mean log loss over a batch of R rows
/// ```
///
/// # Errors
/// [`MeasureError::Empty`] or [`MeasureError::LengthMismatch`] for the batch
/// itself; any row error of [`cross_entropy`](crate::measures::cross_entropy), naming the row.
///
/// # Example
/// ```
/// use logloss_proofs::measures::{cross_entropy_rows, Reduced, Reduction};
/// let p = [vec![1.0, 0.0], vec![0.0, 1.0]];
/// let q = [vec![0.5, 0.5], vec![0.5, 0.5]];
/// let ce = cross_entropy_rows(&p, &q, Reduction::Sum).unwrap();
/// assert_eq!(ce, Reduced::Total(2.0 * std::f64::consts::LN_2));
/// ```
pub fn cross_entropy_rows<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    p: &[R],
    q: &[S],
    reduction: Reduction,
) -> Result<Reduced, MeasureError> {
    pairwise("q", p, q, reduction, true, kernels::cross_entropy)
}

/// Row-wise KL(pᵣ‖qᵣ), reduced. See [`kl_divergence`](crate::measures::kl_divergence).
///
/// ```text
/// batchmean: (1/R)·Σᵣ KL(pᵣ‖qᵣ)   — PyTorch's reduction="batchmean", the true mean KL
/// ```
///
/// # Errors
/// As [`cross_entropy_rows`].
///
/// # Example
/// ```
/// use logloss_proofs::measures::{kl_divergence_rows, Reduced, Reduction};
/// let p = [vec![0.5, 0.5]];
/// let kl = kl_divergence_rows(&p, &p, Reduction::None).unwrap();
/// assert_eq!(kl, Reduced::PerRow(vec![0.0]));
/// ```
pub fn kl_divergence_rows<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    p: &[R],
    q: &[S],
    reduction: Reduction,
) -> Result<Reduced, MeasureError> {
    pairwise("q", p, q, reduction, true, kernels::kl)
}

/// Row-wise CE(pᵣ, softmax zᵣ) from logits, reduced: the softmax cross-entropy
/// loss. See [`cross_entropy_logits`](crate::measures::cross_entropy_logits).
/// Each row is evaluated by the kernel
/// [`cross_entropy_logits_batch`](crate::measures::cross_entropy_logits_batch)
/// shares, so a logit of −∞ is a masked class of probability 0 (a row with
/// mass on it has CE = +∞), as there; rows may differ in length.
///
/// # Errors
/// As [`cross_entropy_rows`], with `logits` in place of `q`, whose NaN or
/// +∞ entries, and rows of −∞ only ([`MeasureError::AllMasked`]), are
/// errors naming the row.
///
/// # Example
/// ```
/// use logloss_proofs::measures::{cross_entropy_logits_rows, Reduced, Reduction};
/// let p = [vec![0.5, 0.5]];
/// let ce = cross_entropy_logits_rows(&p, &[vec![3.0, 3.0]], Reduction::BatchMean).unwrap();
/// assert_eq!(ce, Reduced::Total(std::f64::consts::LN_2));
/// ```
pub fn cross_entropy_logits_rows<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    p: &[R],
    logits: &[S],
    reduction: Reduction,
) -> Result<Reduced, MeasureError> {
    pairwise(
        "logits",
        p,
        logits,
        reduction,
        false,
        logits::cross_entropy_kernel,
    )
}

/// Row-wise KL(pᵣ‖softmax zᵣ) from logits, reduced. See
/// [`kl_divergence_logits`](crate::measures::kl_divergence_logits).
///
/// # Errors
/// As [`cross_entropy_logits_rows`].
///
/// # Example
/// ```
/// use logloss_proofs::measures::{kl_divergence_logits_rows, Reduced, Reduction};
/// let p = [vec![0.5, 0.5], vec![0.5, 0.5]];
/// let z = [vec![0.0, 0.0], vec![1.0, 1.0]];
/// let kl = kl_divergence_logits_rows(&p, &z, Reduction::Sum).unwrap();
/// assert_eq!(kl, Reduced::Total(0.0));
/// ```
pub fn kl_divergence_logits_rows<R: AsRef<[f64]>, S: AsRef<[f64]>>(
    p: &[R],
    logits: &[S],
    reduction: Reduction,
) -> Result<Reduced, MeasureError> {
    pairwise("logits", p, logits, reduction, false, logits::kl_kernel)
}
