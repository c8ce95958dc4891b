//! An implementation of the measures, as something to be checked: the one
//! interface through which the claim catalogue ([`crate::claims`]) and the
//! conformance kit ([`crate::conformance`]) reach the measures they check.
//!
//! The crate's own measures are one such implementation ([`Reference`]); a
//! measure with a planted bug ([`planted`](super::planted)), a user's Rust code,
//! or a program in another language behind the kit's process protocol are
//! others. The claims call the single-vector forms ([`Implementation::entropy`],
//! [`Implementation::cross_entropy`], [`Implementation::kl_divergence`]); the
//! kit calls the batched forms. The single-vector forms default to a batch of
//! one row under [`Reduction::None`], so an implementation that offers only
//! batches (a process) can be run through the claims too.

use std::fmt;
use std::sync::Arc;

use super::{MeasureError, Reduced, Reduction};

/// Why an implementation gave no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The operation (at this reduction) is not offered: the checks that need
    /// it are reported as skipped, not failed.
    #[error("unsupported")]
    Unsupported,
    /// The implementation reported an error for its input, with its reason
    /// (for the crate's own measures, the [`MeasureError`]'s message). On a
    /// valid input it is a failure of the check that asked.
    #[error("{0}")]
    Rejected(String),
    /// The implementation can no longer answer (a process that died, timed
    /// out or broke its protocol): a run stops with this error.
    #[error(transparent)]
    Broken(Breakdown),
}

/// An implementation's answer.
pub type Answer<T> = Result<T, Refusal>;

/// The error behind a [`Refusal::Broken`]: any error type, shared, so that a
/// refusal stays cheap to clone. The kit's process implementation puts its
/// protocol error here; [`Breakdown::downcast_ref`] gets it back.
///
/// Two breakdowns are equal when their errors have the same `Debug` form (for
/// the protocol error: the same variant and fields).
#[derive(Clone)]
pub struct Breakdown(Arc<dyn std::error::Error + Send + Sync>);

impl Breakdown {
    /// Wraps `error`.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::measures::{Breakdown, MeasureError};
    /// let b = Breakdown::new(MeasureError::Empty { arg: logloss_proofs::measures::Arg::plain("p") });
    /// assert!(b.downcast_ref::<MeasureError>().is_some());
    /// assert_eq!(b.to_string(), "p is empty");
    /// ```
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Breakdown(Arc::new(error))
    }

    /// The error, if it is an `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref::<E>()
    }
}

impl fmt::Debug for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Breakdown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Breakdown {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || format!("{:?}", self.0) == format!("{:?}", other.0)
    }
}

/// An answer for one row that came back in another shape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{op} of one row under `none` returned {got}, not one value")]
struct NotOneValue {
    op: &'static str,
    got: String,
}

/// The one value of a batch of one row under `none`.
fn one_value(op: &'static str, answer: Answer<Reduced>) -> Answer<f64> {
    match answer? {
        Reduced::PerRow(v) if v.len() == 1 => Ok(v[0]),
        other => Err(Refusal::Broken(Breakdown::new(NotOneValue {
            op,
            got: format!("{other:?}"),
        }))),
    }
}

/// An implementation of the measures under test: entropy, cross-entropy and
/// KL divergence of probability vectors, alone or in batches of rows under a
/// [`Reduction`], cross-entropy from logits, and optionally its gradient.
///
/// Conventions it is checked against (the crate's own, see
/// [`crate::measures`]): natural logarithms; 0·ln 0 = 0; pᵢ > 0 = qᵢ gives
/// +∞; `none` gives one value per row ([`Reduced::PerRow`]), `sum` and
/// `batchmean` one value ([`Reduced::Total`]); `batchmean` divides the sum by
/// the number of rows. The checks only send valid inputs: rows of equal
/// length, each a probability vector (summing to one within rounding) or
/// finite logits.
///
/// # The gradient of a reduced loss
///
/// The loss of a batch of R rows with logits Z (R × n) is ℓᵣ = CE(pᵣ,
/// softmax zᵣ) per row. The gradient has the shape of Z, row r being
///
/// ```text
/// none:       ∂ℓᵣ/∂zᵣ              = softmax(zᵣ) − pᵣ
/// sum:        ∂(Σₛ ℓₛ)/∂zᵣ         = softmax(zᵣ) − pᵣ
/// batchmean:  ∂((1/R)·Σₛ ℓₛ)/∂zᵣ   = (softmax(zᵣ) − pᵣ) / R
/// ```
///
/// (ℓₛ depends on zᵣ only for s = r.) It holds for any p that sums to one.
///
/// Methods take `&self`, and an implementation is `Sync` (the claims run
/// cases on several threads): one with state (a process, a cache) keeps it
/// behind a `Mutex` or another thread-safe interior mutability.
///
/// # Example
/// ```
/// use logloss_proofs::measures::{Implementation, Reduced, Reduction, Reference};
/// let imp: &dyn Implementation = &Reference;
/// let kl = imp.kl_divergence(&[0.5, 0.5], &[0.5, 0.5]).unwrap();
/// assert_eq!(kl, 0.0);
/// let h = imp.entropy_rows(&[vec![0.5, 0.5], vec![1.0, 0.0]], Reduction::Sum).unwrap();
/// assert_eq!(h, Reduced::Total(std::f64::consts::LN_2));
/// ```
pub trait Implementation: Sync {
    /// A short name for reports.
    fn name(&self) -> String;

    /// H(pᵣ) = −Σᵢ pᵣᵢ ln pᵣᵢ for each row, reduced.
    ///
    /// # Errors
    /// A [`Refusal`].
    fn entropy_rows(&self, p: &[Vec<f64>], reduction: Reduction) -> Answer<Reduced>;

    /// CE(pᵣ, qᵣ) = −Σᵢ pᵣᵢ ln qᵣᵢ for each row, reduced.
    ///
    /// # Errors
    /// A [`Refusal`].
    fn cross_entropy_rows(
        &self,
        p: &[Vec<f64>],
        q: &[Vec<f64>],
        reduction: Reduction,
    ) -> Answer<Reduced>;

    /// KL(pᵣ‖qᵣ) = Σᵢ pᵣᵢ ln(pᵣᵢ/qᵣᵢ) for each row, reduced.
    ///
    /// # Errors
    /// A [`Refusal`].
    fn kl_divergence_rows(
        &self,
        p: &[Vec<f64>],
        q: &[Vec<f64>],
        reduction: Reduction,
    ) -> Answer<Reduced>;

    /// CE(pᵣ, softmax zᵣ) = Σᵢ pᵣᵢ·(ln Σⱼ exp zᵣⱼ − zᵣᵢ) for each row, reduced.
    ///
    /// # Errors
    /// A [`Refusal`].
    fn cross_entropy_logits_rows(
        &self,
        p: &[Vec<f64>],
        logits: &[Vec<f64>],
        reduction: Reduction,
    ) -> Answer<Reduced>;

    /// The gradient of the reduced softmax cross-entropy with respect to the
    /// logits, one row per row (see [the trait docs](Implementation) for its
    /// definition under each reduction). Not offered by default.
    ///
    /// # Errors
    /// [`Refusal::Unsupported`] unless implemented.
    fn cross_entropy_logits_grad_rows(
        &self,
        p: &[Vec<f64>],
        logits: &[Vec<f64>],
        reduction: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        let _ = (p, logits, reduction);
        Err(Refusal::Unsupported)
    }

    /// H(p) = −Σᵢ pᵢ ln pᵢ of one vector; by default the batch `[p]` under
    /// `none`.
    ///
    /// # Errors
    /// A [`Refusal`]; [`Refusal::Broken`] if the batch of one row does not
    /// come back as one value.
    fn entropy(&self, p: &[f64]) -> Answer<f64> {
        one_value("entropy", self.entropy_rows(&[p.to_vec()], Reduction::None))
    }

    /// CE(p, q) = −Σᵢ pᵢ ln qᵢ of one pair; by default the batch `[p]`, `[q]`
    /// under `none`.
    ///
    /// # Errors
    /// As [`entropy`](Self::entropy).
    fn cross_entropy(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        one_value(
            "cross_entropy",
            self.cross_entropy_rows(&[p.to_vec()], &[q.to_vec()], Reduction::None),
        )
    }

    /// KL(p‖q) = Σᵢ pᵢ ln(pᵢ/qᵢ) of one pair; by default the batch `[p]`,
    /// `[q]` under `none`.
    ///
    /// # Errors
    /// As [`entropy`](Self::entropy).
    fn kl_divergence(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        one_value(
            "kl_divergence",
            self.kl_divergence_rows(&[p.to_vec()], &[q.to_vec()], Reduction::None),
        )
    }
}

/// The crate's own measures ([`crate::measures`]) as an [`Implementation`]:
/// the one the claims are stated for, and the reference every check of the
/// conformance kit compares with (so it passes every check by construction,
/// a test of the kit itself).
///
/// # Example
/// ```
/// use logloss_proofs::measures::{Implementation, Reference};
/// let ce = Reference.cross_entropy(&[1.0, 0.0], &[0.5, 0.5]).unwrap();
/// assert_eq!(ce, std::f64::consts::LN_2);
/// assert_eq!(Reference.name(), "logloss-proofs");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Reference;

/// A measure's error as a refusal: the implementation rejected its input.
pub(crate) fn rejected(e: MeasureError) -> Refusal {
    Refusal::Rejected(e.to_string())
}

impl Implementation for Reference {
    fn name(&self) -> String {
        "logloss-proofs".to_string()
    }
    fn entropy_rows(&self, p: &[Vec<f64>], reduction: Reduction) -> Answer<Reduced> {
        super::entropy_rows(p, reduction).map_err(rejected)
    }
    fn cross_entropy_rows(
        &self,
        p: &[Vec<f64>],
        q: &[Vec<f64>],
        reduction: Reduction,
    ) -> Answer<Reduced> {
        super::cross_entropy_rows(p, q, reduction).map_err(rejected)
    }
    fn kl_divergence_rows(
        &self,
        p: &[Vec<f64>],
        q: &[Vec<f64>],
        reduction: Reduction,
    ) -> Answer<Reduced> {
        super::kl_divergence_rows(p, q, reduction).map_err(rejected)
    }
    fn cross_entropy_logits_rows(
        &self,
        p: &[Vec<f64>],
        logits: &[Vec<f64>],
        reduction: Reduction,
    ) -> Answer<Reduced> {
        super::cross_entropy_logits_rows(p, logits, reduction).map_err(rejected)
    }
    fn cross_entropy_logits_grad_rows(
        &self,
        p: &[Vec<f64>],
        logits: &[Vec<f64>],
        reduction: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        reference_gradient(p, logits, reduction).map_err(rejected)
    }
    fn entropy(&self, p: &[f64]) -> Answer<f64> {
        super::entropy(p).map_err(rejected)
    }
    fn cross_entropy(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        super::cross_entropy(p, q).map_err(rejected)
    }
    fn kl_divergence(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        super::kl_divergence(p, q).map_err(rejected)
    }
}

/// The exact gradient softmax(zᵣ) − pᵣ per row, divided by R under
/// `batchmean` (see [`Implementation`] for the definition).
///
/// # Errors
/// Any row error of [`cross_entropy_logits_rows`](super::cross_entropy_logits_rows),
/// naming the row: the rows are validated exactly as the loss validates them.
pub(crate) fn reference_gradient(
    p: &[Vec<f64>],
    z: &[Vec<f64>],
    reduction: Reduction,
) -> Result<Vec<Vec<f64>>, MeasureError> {
    // Validates every row, naming it, exactly as the loss itself does.
    super::cross_entropy_logits_rows(p, z, Reduction::None)?;
    let rows = p.len() as f64;
    p.iter()
        .zip(z)
        .map(|(pr, zr)| {
            let q = super::softmax(zr)?;
            Ok(q.iter()
                .zip(pr)
                .map(|(qi, pi)| match reduction {
                    Reduction::BatchMean => (qi - pi) / rows,
                    Reduction::None | Reduction::Sum => qi - pi,
                })
                .collect())
        })
        .collect()
}

/// A batch answer from a per-row value `f(pᵣ, sᵣ)` (`sᵣ` empty when the
/// batch has no second argument): the values under `none`, their plain
/// left-to-right sum under `sum`, that sum over the rows under `batchmean`,
/// as a simple implementation would reduce them.
pub(crate) fn plain_rows(
    p: &[Vec<f64>],
    second: &[Vec<f64>],
    reduction: Reduction,
    f: impl Fn(&[f64], &[f64]) -> Answer<f64>,
) -> Answer<Reduced> {
    let values = p
        .iter()
        .enumerate()
        .map(|(r, pr)| f(pr, second.get(r).map_or(&[][..], Vec::as_slice)))
        .collect::<Answer<Vec<f64>>>()?;
    let rows = values.len() as f64;
    Ok(match reduction {
        Reduction::None => Reduced::PerRow(values),
        Reduction::Sum => Reduced::Total(values.iter().sum()),
        Reduction::BatchMean => Reduced::Total(values.iter().sum::<f64>() / rows),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_gradient_divides_by_rows_under_batchmean() {
        let p = vec![vec![1.0, 0.0], vec![0.5, 0.5]];
        let z = vec![vec![0.0, 0.0], vec![0.0, 0.0]];
        let g = reference_gradient(&p, &z, Reduction::None).unwrap();
        assert_eq!(g, vec![vec![-0.5, 0.5], vec![0.0, 0.0]]);
        let g = reference_gradient(&p, &z, Reduction::BatchMean).unwrap();
        assert_eq!(g, vec![vec![-0.25, 0.25], vec![0.0, 0.0]]);
        assert!(reference_gradient(&p, &z[..1], Reduction::Sum).is_err());
    }

    /// An implementation that offers only batches: the single-vector forms
    /// go through a batch of one row and give the same values.
    struct BatchesOnly;

    impl Implementation for BatchesOnly {
        fn name(&self) -> String {
            "batches only".to_string()
        }
        fn entropy_rows(&self, p: &[Vec<f64>], r: Reduction) -> Answer<Reduced> {
            Reference.entropy_rows(p, r)
        }
        fn cross_entropy_rows(
            &self,
            p: &[Vec<f64>],
            q: &[Vec<f64>],
            r: Reduction,
        ) -> Answer<Reduced> {
            Reference.cross_entropy_rows(p, q, r)
        }
        fn kl_divergence_rows(
            &self,
            p: &[Vec<f64>],
            q: &[Vec<f64>],
            r: Reduction,
        ) -> Answer<Reduced> {
            // The wrong shape: a total for `none`.
            match Reference.kl_divergence_rows(p, q, r)? {
                Reduced::PerRow(v) => Ok(Reduced::Total(v[0])),
                total => Ok(total),
            }
        }
        fn cross_entropy_logits_rows(
            &self,
            p: &[Vec<f64>],
            z: &[Vec<f64>],
            r: Reduction,
        ) -> Answer<Reduced> {
            Reference.cross_entropy_logits_rows(p, z, r)
        }
    }

    #[test]
    fn single_vectors_default_to_a_batch_of_one_row() {
        let (p, q) = ([0.25, 0.75], [0.5, 0.5]);
        assert_eq!(BatchesOnly.entropy(&p), Reference.entropy(&p));
        assert_eq!(
            BatchesOnly.cross_entropy(&p, &q),
            Reference.cross_entropy(&p, &q)
        );
        assert_eq!(
            BatchesOnly.cross_entropy(&p, &[0.5]),
            Err(Refusal::Rejected(
                crate::measures::cross_entropy_rows(&[p], &[[0.5]], Reduction::None)
                    .unwrap_err()
                    .to_string()
            ))
        );
        let Err(Refusal::Broken(b)) = BatchesOnly.kl_divergence(&p, &q) else {
            panic!("a total for one row is not one value")
        };
        assert!(b.to_string().starts_with("kl_divergence of one row"), "{b}");
        assert_eq!(
            BatchesOnly.cross_entropy_logits_grad_rows(&[], &[], Reduction::None),
            Err(Refusal::Unsupported)
        );
    }

    #[test]
    fn a_rejection_reads_as_the_measure_s_own_error() {
        let e = Reference.entropy(&[0.5, 0.6]).unwrap_err();
        assert_eq!(
            e.to_string(),
            crate::measures::entropy(&[0.5, 0.6])
                .unwrap_err()
                .to_string()
        );
    }
}
