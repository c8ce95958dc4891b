//! An implementation of the measures, as something to be checked: the one
//! interface through which the claim catalogue ([`crate::claims`]) and the
//! conformance kit ([`crate::conformance`]) reach the measures they check.
//!
//! The crate's own measures are one such implementation ([`Reference`]); a
//! measure with a planted bug ([`planted`](super::planted)), a user's Rust code,
//! or a program in another language behind the kit's process protocol are
//! others. An implementation writes one batched method for the four values,
//! [`Implementation::rows`], selected by a [`Measure`]; the named batch forms
//! ([`Implementation::entropy_rows`], …) and the single-vector forms
//! ([`Implementation::entropy`], [`Implementation::cross_entropy`],
//! [`Implementation::kl_divergence`], all through [`Implementation::value`])
//! are provided on top of it. The claims call the single-vector forms; the kit
//! calls the batched forms. The single-vector forms default to a batch of one
//! row under [`Reduction::None`], so an implementation that offers only
//! batches (a process) can be run through the claims too.

use std::fmt;
use std::sync::Arc;

use super::{MeasureError, Reduced, Reduction};

/// A batch: one row (a probability vector, or a vector of logits) per
/// example, every row of the same length.
pub type Rows = [Vec<f64>];

/// Why an implementation gave no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The operation (at this reduction) is not offered: the checks that need
    /// it are reported as skipped, not failed.
    #[error("unsupported")]
    Unsupported,
    /// The operation is offered, but not for this input (a binary-only loss
    /// asked about three categories, a metric that refuses a batch with one
    /// label): the conformance kit skips the case and counts it, neither a
    /// failure nor a reason to skip the operation. The claims, which run the
    /// crate's own measures on every input they draw, treat it as a failure.
    #[error("unsupported for this input")]
    DeclinedCase,
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

/// The value of `measure` of one row as `imp`'s batch `[p]` (and `[second]`
/// unless it is the entropy) under `none`, checked to be one value.
fn one_row<I: Implementation + ?Sized>(
    imp: &I,
    measure: Measure,
    p: &[f64],
    second: &[f64],
) -> Answer<f64> {
    let second = match measure {
        Measure::Entropy => Vec::new(),
        _ => vec![second.to_vec()],
    };
    match imp.rows(measure, &[p.to_vec()], &second, Reduction::None)? {
        Reduced::PerRow(v) if v.len() == 1 => Ok(v[0]),
        other => Err(Refusal::Broken(Breakdown::new(NotOneValue {
            op: measure.name(),
            got: format!("{other:?}"),
        }))),
    }
}

/// An implementation of the measures under test: entropy, cross-entropy and
/// KL divergence of probability vectors and cross-entropy from logits, in
/// batches of rows under a [`Reduction`] or alone, and optionally the
/// gradient of the logits' cross-entropy.
///
/// # What to implement
///
/// [`name`](Self::name) and one method for the four values,
/// [`rows`](Self::rows): the [`Measure`] `measure` of each row of `p`
/// (with the same row of `second`), reduced. Per row r, with n entries:
///
/// ```text
/// Entropy             H(pᵣ)            = −Σᵢ pᵣᵢ ln pᵣᵢ                    second empty
/// CrossEntropy        CE(pᵣ, qᵣ)       = −Σᵢ pᵣᵢ ln qᵣᵢ                    second = q
/// KlDivergence        KL(pᵣ‖qᵣ)        =  Σᵢ pᵣᵢ ln(pᵣᵢ/qᵣᵢ)               second = q
/// CrossEntropyLogits  CE(pᵣ, softmax zᵣ) = Σᵢ pᵣᵢ·(ln Σⱼ exp zᵣⱼ − zᵣᵢ)   second = z
/// ```
///
/// Optionally the gradient,
/// [`cross_entropy_logits_grad_rows`](Self::cross_entropy_logits_grad_rows)
/// (unsupported by default), and a faster or more accurate single-vector
/// [`value`](Self::value) (by default the batch of one row). Everything else
/// is provided: [`entropy_rows`](Self::entropy_rows),
/// [`cross_entropy_rows`](Self::cross_entropy_rows),
/// [`kl_divergence_rows`](Self::kl_divergence_rows) and
/// [`cross_entropy_logits_rows`](Self::cross_entropy_logits_rows) call
/// [`rows`](Self::rows); [`entropy`](Self::entropy),
/// [`cross_entropy`](Self::cross_entropy) and
/// [`kl_divergence`](Self::kl_divergence) call [`value`](Self::value).
///
/// Conventions it is checked against (the crate's own, see
/// [`crate::measures`]): natural logarithms; 0·ln 0 = 0; pᵢ > 0 = qᵢ gives
/// +∞; `none` gives one value per row ([`Reduced::PerRow`]), `sum` and
/// `batchmean` one value ([`Reduced::Total`]); `batchmean` divides the sum by
/// the number of rows. The checks only send valid inputs: rows of equal
/// length, each a probability vector (summing to one within rounding) or
/// finite logits.
///
/// Errors are [`Refusal`]s: [`Refusal::Unsupported`] for an operation or
/// reduction not offered (the checks that need it are skipped),
/// [`Refusal::Rejected`] for an input the implementation rejects (a failure
/// on a valid input), [`Refusal::Broken`] when it can no longer answer.
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
/// # The accuracy contract
///
/// One contract holds an implementation to account, in the claim catalogue
/// and in the conformance kit alike ([`contract_bound`],
/// [`contract_gradient_bounds`]). Every value is a sum of n terms; for each
/// measure a condition quantity C bounds what rounding can do to it (terms
/// with pᵢ = 0 are 0; [`contract_condition`]):
///
/// ```text
/// entropy               C = Σᵢ pᵢ·(|ln pᵢ| + 1)
/// cross-entropy         C = Σᵢ pᵢ·(|ln qᵢ| + 1)
/// KL divergence         C = Σᵢ pᵢ·(|ln pᵢ| + |ln qᵢ| + 1)
/// CE from logits        C = Σᵢ pᵢ·(|zᵢ| + maxⱼ|zⱼ| + ln Σⱼ exp(zⱼ − max z) + 1)
/// ```
///
/// Why, term by term: a library logarithm or exponential is within one ULP
/// (2u relative); a quotient, difference, sum or product adds u relative;
/// and an argument of ln that is off by a relative u moves ln by u absolute
/// (the "+1"). So in each of the usual forms — pᵢ·ln(pᵢ/qᵢ),
/// pᵢ·(ln pᵢ − ln qᵢ), CE − H — a term is within 4u of its share of C. The
/// log-sum-exp term pᵢ·(max z + ln S − zᵢ), S = Σⱼ exp(zⱼ − max z), rounds
/// ln S (2u·ln S, plus S's own relative error (n + 1)u), then max z + ln S
/// and the difference (u times at most |zᵢ| + max|z| + ln S each): within
/// (n + 5)u of its share. The n terms are then summed: recursive summation in
/// any order adds at most (n − 1)u·Σ|terms| (Higham, *Accuracy and Stability
/// of Numerical Algorithms*, 2nd ed., §4.2; pairwise and compensated sums do
/// better). So, with k = 4 (k = n + 5 for logits),
///
/// ```text
/// |computed − exact| ≤ (k + n − 1)·u·C + 2·u_in·C + n·η
/// ```
///
/// with u the arithmetic's unit roundoff (2⁻⁵³ or 2⁻²⁴), u_in the relative
/// rounding of the inputs (0 in f64, 2⁻²⁴ in f32: the first-order change of
/// each term under pᵢ → pᵢ(1 + ε), qᵢ → qᵢ(1 + ε), zᵢ → zᵢ(1 + ε) is at most
/// u_in times its share of C for CE, entropy and logits, and 2·u_in for KL),
/// and η the smallest normal number (a result that underflows may be flushed
/// to zero). "exact" is the exact value of the stored inputs.
///
/// **KL computed as CE − H is accepted.** It loses all relative accuracy
/// when q ≈ p (its error is u·(H + CE), its value may be 10⁻¹² or less), but
/// so does every termwise form that real libraries use and that nobody would
/// call wrong: PyTorch's `kl_div` computes pᵢ·(ln pᵢ − ln qᵢ) term by term,
/// each term off by about u·pᵢ(|ln pᵢ| + |ln qᵢ|) even where it nearly
/// vanishes. A contract relative to Σ|pᵢ ln(pᵢ/qᵢ)| (which only the crate's
/// own log-ratio form meets) would fail those correct implementations near
/// p = q; this one does not, and still catches a scaled, shifted, swapped,
/// clipped or wrongly reduced measure far from p = q. What it gives up: near
/// p = q a KL error of a few u·C (C ≈ H + CE, not KL) is not an error.
///
/// The gradient of the logits' CE, gᵢ = qᵢ − pᵢ with qᵢ = softmax(z)ᵢ =
/// exp(zᵢ − max z − ln S): the argument of exp is formed as
/// (zᵢ − max z) − ln S or zᵢ − (max z + ln S): two roundings, together at
/// most u·(2|zᵢ| + 2·max|z| + 2·ln S), plus the error of ln S itself,
/// 2u·ln S + (n + 1)u. exp turns an absolute error δ of its argument into a
/// relative error e^δ − 1 ≤ 1.01·δ of qᵢ (δ < 0.01 for |z| ≤ 1e4 and
/// n ≤ 10⁴, even in f32); exp's own ULP, a quotient by S (in the form
/// exp(zᵢ − max z)/S, whose S error is the same (n + 1)u) and the final
/// subtraction add 4u·qᵢ + u·pᵢ. Hence
///
/// ```text
/// |ĝᵢ − gᵢ| ≤ 1.01·u·[qᵢ·(2|zᵢ| + 2·max|z| + 4·ln S + n + 5) + pᵢ] + 2·u_in·[qᵢ·(|zᵢ| + max|z|) + pᵢ] + 2η
/// ```
///
/// and under `batchmean` that bound divided by R, plus u·|gᵢ|/R for the
/// division, plus η: the quotient can itself fall below the smallest normal
/// number and be flushed to zero (XLA on CPU flushes subnormal results), an
/// absolute error of up to η that the division by R does not shrink.
///
/// Methods take `&self`, and an implementation is `Sync` (the claims run
/// cases on several threads): one with state (a process, a cache) keeps it
/// behind a `Mutex` or another thread-safe interior mutability.
///
/// # Examples
///
/// Calling the crate's own:
///
/// ```
/// use logloss_proofs::measures::{Implementation, Reduced, Reduction, Reference};
/// let imp: &dyn Implementation = &Reference;
/// let kl = imp.kl_divergence(&[0.5, 0.5], &[0.5, 0.5]).unwrap();
/// assert_eq!(kl, 0.0);
/// let h = imp.entropy_rows(&[vec![0.5, 0.5], vec![1.0, 0.0]], Reduction::Sum).unwrap();
/// assert_eq!(h, Reduced::Total(std::f64::consts::LN_2));
/// ```
///
/// Implementing it for one's own per-row code (here a textbook loop; the
/// logits are left unsupported), ready for [`crate::conformance::run`] or
/// the claim catalogue:
///
/// ```
/// use logloss_proofs::measures::{
///     Answer, Implementation, Measure, Reduced, Reduction, Refusal, Rows,
/// };
///
/// struct Mine;
///
/// fn row(measure: Measure, p: &[f64], q: &[f64]) -> Answer<f64> {
///     let term = |i: usize| match measure {
///         Measure::Entropy => -p[i] * p[i].ln(),
///         Measure::CrossEntropy => -p[i] * q[i].ln(),
///         Measure::KlDivergence => p[i] * (p[i] / q[i]).ln(),
///         Measure::CrossEntropyLogits => unreachable!(),
///     };
///     Ok((0..p.len()).filter(|&i| p[i] > 0.0).map(term).sum())
/// }
///
/// impl Implementation for Mine {
///     fn name(&self) -> String {
///         "mine".to_string()
///     }
///     fn rows(
///         &self,
///         measure: Measure,
///         p: &Rows,
///         second: &Rows,
///         reduction: Reduction,
///     ) -> Answer<Reduced> {
///         if measure == Measure::CrossEntropyLogits {
///             return Err(Refusal::Unsupported);
///         }
///         let values = (0..p.len())
///             .map(|r| row(measure, &p[r], second.get(r).map_or(&[][..], |q| &q[..])))
///             .collect::<Answer<Vec<f64>>>()?;
///         let total: f64 = values.iter().sum();
///         Ok(match reduction {
///             Reduction::None => Reduced::PerRow(values),
///             Reduction::Sum => Reduced::Total(total),
///             Reduction::BatchMean => Reduced::Total(total / p.len() as f64),
///         })
///     }
/// }
///
/// let ce = Mine.cross_entropy(&[0.5, 0.5], &[0.25, 0.75]).unwrap();
/// assert!((ce - logloss_proofs::measures::cross_entropy(&[0.5, 0.5], &[0.25, 0.75]).unwrap()).abs() < 1e-15);
/// assert_eq!(Mine.cross_entropy_logits_rows(&[], &[], Reduction::Sum), Err(Refusal::Unsupported));
/// ```
pub trait Implementation: Sync {
    /// A short name for reports.
    fn name(&self) -> String;

    /// The `measure` of each row of `p` (with the same row of `second`: q,
    /// the logits z, or nothing — an empty slice — for the entropy), reduced
    /// by `reduction`: see [the trait docs](Implementation#what-to-implement)
    /// for the formula of each measure and the conventions.
    ///
    /// # Errors
    /// A [`Refusal`].
    fn rows(
        &self,
        measure: Measure,
        p: &Rows,
        second: &Rows,
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
        p: &Rows,
        logits: &Rows,
        reduction: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        let _ = (p, logits, reduction);
        Err(Refusal::Unsupported)
    }

    /// The `measure` of one vector `p` (with `second`: q, the logits z, or
    /// empty for the entropy); by default the batch `[p]` (and `[second]`)
    /// under `none`.
    ///
    /// # Errors
    /// A [`Refusal`]; [`Refusal::Broken`] if the batch of one row does not
    /// come back as one value.
    fn value(&self, measure: Measure, p: &[f64], second: &[f64]) -> Answer<f64> {
        one_row(self, measure, p, second)
    }

    /// H(pᵣ) = −Σᵢ pᵣᵢ ln pᵣᵢ for each row, reduced: [`rows`](Self::rows)
    /// of [`Measure::Entropy`].
    ///
    /// # Errors
    /// A [`Refusal`].
    fn entropy_rows(&self, p: &Rows, reduction: Reduction) -> Answer<Reduced> {
        self.rows(Measure::Entropy, p, &[], reduction)
    }

    /// CE(pᵣ, qᵣ) = −Σᵢ pᵣᵢ ln qᵣᵢ for each row, reduced:
    /// [`rows`](Self::rows) of [`Measure::CrossEntropy`].
    ///
    /// # Errors
    /// A [`Refusal`].
    fn cross_entropy_rows(&self, p: &Rows, q: &Rows, reduction: Reduction) -> Answer<Reduced> {
        self.rows(Measure::CrossEntropy, p, q, reduction)
    }

    /// KL(pᵣ‖qᵣ) = Σᵢ pᵣᵢ ln(pᵣᵢ/qᵣᵢ) for each row, reduced:
    /// [`rows`](Self::rows) of [`Measure::KlDivergence`].
    ///
    /// # Errors
    /// A [`Refusal`].
    fn kl_divergence_rows(&self, p: &Rows, q: &Rows, reduction: Reduction) -> Answer<Reduced> {
        self.rows(Measure::KlDivergence, p, q, reduction)
    }

    /// CE(pᵣ, softmax zᵣ) = Σᵢ pᵣᵢ·(ln Σⱼ exp zᵣⱼ − zᵣᵢ) for each row,
    /// reduced: [`rows`](Self::rows) of [`Measure::CrossEntropyLogits`].
    ///
    /// # Errors
    /// A [`Refusal`].
    fn cross_entropy_logits_rows(
        &self,
        p: &Rows,
        logits: &Rows,
        reduction: Reduction,
    ) -> Answer<Reduced> {
        self.rows(Measure::CrossEntropyLogits, p, logits, reduction)
    }

    /// H(p) = −Σᵢ pᵢ ln pᵢ of one vector: [`value`](Self::value) of
    /// [`Measure::Entropy`].
    ///
    /// # Errors
    /// As [`value`](Self::value).
    fn entropy(&self, p: &[f64]) -> Answer<f64> {
        self.value(Measure::Entropy, p, &[])
    }

    /// CE(p, q) = −Σᵢ pᵢ ln qᵢ of one pair: [`value`](Self::value) of
    /// [`Measure::CrossEntropy`].
    ///
    /// # Errors
    /// As [`value`](Self::value).
    fn cross_entropy(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        self.value(Measure::CrossEntropy, p, q)
    }

    /// KL(p‖q) = Σᵢ pᵢ ln(pᵢ/qᵢ) of one pair: [`value`](Self::value) of
    /// [`Measure::KlDivergence`].
    ///
    /// # Errors
    /// As [`value`](Self::value).
    fn kl_divergence(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        self.value(Measure::KlDivergence, p, q)
    }
}

/// A measure of [`Implementation::rows`], and one the accuracy contract (see
/// [`Implementation`]) bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// H(p).
    Entropy,
    /// CE(p, q).
    CrossEntropy,
    /// KL(p‖q).
    KlDivergence,
    /// CE(p, softmax z).
    CrossEntropyLogits,
}

impl Measure {
    /// The name of the measure's methods and of the kit's protocol
    /// operation: `entropy`, `cross_entropy`, `kl_divergence` or
    /// `cross_entropy_logits`.
    ///
    /// ```
    /// use logloss_proofs::measures::Measure;
    /// assert_eq!(Measure::KlDivergence.name(), "kl_divergence");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Measure::Entropy => "entropy",
            Measure::CrossEntropy => "cross_entropy",
            Measure::KlDivergence => "kl_divergence",
            Measure::CrossEntropyLogits => "cross_entropy_logits",
        }
    }
}

/// The arithmetic an implementation computes in, as the accuracy contract
/// needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arithmetic {
    /// u: 2⁻⁵³ for f64, 2⁻²⁴ for f32.
    pub unit_roundoff: f64,
    /// The relative rounding of each input on its way in: 0 for f64, 2⁻²⁴
    /// for f32.
    pub input_roundoff: f64,
    /// η, the smallest positive normal number: a result below it may be
    /// flushed to zero.
    pub underflow: f64,
}

impl Arithmetic {
    /// IEEE binary64 throughout.
    pub const F64: Arithmetic = Arithmetic {
        unit_roundoff: f64::EPSILON / 2.0,
        input_roundoff: 0.0,
        underflow: f64::MIN_POSITIVE,
    };
    /// IEEE binary32, inputs rounded to it on their way in.
    pub const F32: Arithmetic = Arithmetic {
        unit_roundoff: f32::EPSILON as f64 / 2.0,
        input_roundoff: f32::EPSILON as f64 / 2.0,
        underflow: f32::MIN_POSITIVE as f64,
    };
}

/// The condition quantity C of one row of `measure` (see [the contract](Implementation#the-accuracy-contract)):
/// `second` is q (or the logits z; empty for the entropy). +∞ on a support
/// mismatch of CE or KL (pᵢ > 0 = qᵢ).
///
/// # Example
/// ```
/// use logloss_proofs::measures::{Measure, contract_condition};
/// // C = Σ p(|ln p| + 1) = H(p) + 1 for the entropy of p without zeros.
/// let c = contract_condition(Measure::Entropy, &[0.5, 0.5], &[]);
/// assert!((c - (std::f64::consts::LN_2 + 1.0)).abs() < 1e-15);
/// ```
pub fn contract_condition(measure: Measure, p: &[f64], second: &[f64]) -> f64 {
    let ln_abs = |x: f64| x.ln().abs();
    match measure {
        Measure::Entropy => p
            .iter()
            .filter(|&&a| a > 0.0)
            .map(|&a| a * (ln_abs(a) + 1.0))
            .sum(),
        Measure::CrossEntropy => p
            .iter()
            .zip(second)
            .filter(|&(&a, _)| a > 0.0)
            .map(|(&a, &b)| a * (ln_abs(b) + 1.0))
            .sum(),
        Measure::KlDivergence => p
            .iter()
            .zip(second)
            .filter(|&(&a, _)| a > 0.0)
            .map(|(&a, &b)| a * (ln_abs(a) + ln_abs(b) + 1.0))
            .sum(),
        Measure::CrossEntropyLogits => {
            let (abs_max, ln_s) = logit_scale(second);
            p.iter()
                .zip(second)
                .map(|(&a, &z)| a * (z.abs() + abs_max + ln_s + 1.0))
                .sum()
        }
    }
}

/// (max|zⱼ|, ln Σⱼ exp(zⱼ − max z)) of a logit row.
pub(crate) fn logit_scale(z: &[f64]) -> (f64, f64) {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let abs_max = z.iter().map(|x| x.abs()).fold(0.0, f64::max);
    let s: f64 = z.iter().map(|&x| (x - max).exp()).sum();
    (abs_max, s.ln())
}

/// The accuracy contract's bound on |computed − exact| for one row of
/// `measure` with `n` entries and condition `c` ([`contract_condition`]):
/// ((k + n − 1)·u + 2·u_in)·C + n·η, k = 4 (n + 5 for logits). See [the
/// contract](Implementation#the-accuracy-contract) for the derivation.
///
/// # Example
/// ```
/// use logloss_proofs::measures::{Arithmetic, Measure, contract_bound};
/// // n = 2 in f64: 5u·C + 2η.
/// let b = contract_bound(Arithmetic::F64, Measure::KlDivergence, 2, 1.0);
/// assert_eq!(b, 5.0 * f64::EPSILON / 2.0 + 2.0 * f64::MIN_POSITIVE);
/// ```
pub fn contract_bound(arithmetic: Arithmetic, measure: Measure, n: usize, c: f64) -> f64 {
    let n = n as f64;
    // Per term: 4u for the probability forms, (n + 5)u for log-sum-exp;
    // then (n − 1)u for the sum of the n terms.
    let per_term = match measure {
        Measure::CrossEntropyLogits => n + 5.0,
        Measure::Entropy | Measure::CrossEntropy | Measure::KlDivergence => 4.0,
    };
    let u = arithmetic.unit_roundoff;
    // ((k + n − 1)·u + 2u_in)·C: one product, so that C = +∞ (a support
    // mismatch) gives +∞, never 0·∞.
    ((per_term + n - 1.0) * u + 2.0 * arithmetic.input_roundoff) * c + n * arithmetic.underflow
}

/// The accuracy contract's bound on each gradient entry of one row of the
/// logits' CE, in a batch of `rows` rows under `reduction` (see [the
/// contract](Implementation#the-accuracy-contract)); `extra_unit` is added
/// to u in the first term (a reference's own rounding, 0 for the contract
/// alone).
pub fn contract_gradient_bounds(
    arithmetic: Arithmetic,
    p: &[f64],
    z: &[f64],
    rows: usize,
    reduction: Reduction,
    extra_unit: f64,
) -> Vec<f64> {
    let (u, u_in, eta) = (
        arithmetic.unit_roundoff,
        arithmetic.input_roundoff,
        arithmetic.underflow,
    );
    let (abs_max, ln_s) = logit_scale(z);
    let n = p.len() as f64;
    let q = super::softmax(z).unwrap_or_else(|_| vec![0.0; z.len()]);
    p.iter()
        .zip(z)
        .zip(&q)
        .map(|((&pi, &zi), &qi)| {
            let a = qi * (2.0 * zi.abs() + 2.0 * abs_max + 4.0 * ln_s + n + 5.0) + pi;
            let b = qi * (zi.abs() + abs_max) + pi;
            let bound = 1.01 * (u + extra_unit) * a + 2.0 * u_in * b + 2.0 * eta;
            match reduction {
                // The quotient may underflow and be flushed: η after it.
                Reduction::BatchMean => (bound + u * (qi - pi).abs()) / rows as f64 + eta,
                Reduction::None | Reduction::Sum => bound,
            }
        })
        .collect()
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
    fn rows(
        &self,
        measure: Measure,
        p: &Rows,
        second: &Rows,
        reduction: Reduction,
    ) -> Answer<Reduced> {
        match measure {
            Measure::Entropy => super::entropy_rows(p, reduction),
            Measure::CrossEntropy => super::cross_entropy_rows(p, second, reduction),
            Measure::KlDivergence => super::kl_divergence_rows(p, second, reduction),
            Measure::CrossEntropyLogits => super::cross_entropy_logits_rows(p, second, reduction),
        }
        .map_err(rejected)
    }
    fn cross_entropy_logits_grad_rows(
        &self,
        p: &Rows,
        logits: &Rows,
        reduction: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        reference_gradient(p, logits, reduction).map_err(rejected)
    }
    fn value(&self, measure: Measure, p: &[f64], second: &[f64]) -> Answer<f64> {
        match measure {
            Measure::Entropy => super::entropy(p),
            Measure::CrossEntropy => super::cross_entropy(p, second),
            Measure::KlDivergence => super::kl_divergence(p, second),
            // The batch of one row, as the kit checks it.
            Measure::CrossEntropyLogits => return one_row(self, measure, p, second),
        }
        .map_err(rejected)
    }
}

/// The exact gradient softmax(zᵣ) − pᵣ per row, divided by R under
/// `batchmean` (see [`Implementation`] for the definition).
///
/// # Errors
/// Any row error of [`cross_entropy_logits_rows`](super::cross_entropy_logits_rows),
/// naming the row: the rows are validated exactly as the loss validates them.
pub(crate) fn reference_gradient(
    p: &Rows,
    z: &Rows,
    reduction: Reduction,
) -> Result<Vec<Vec<f64>>, MeasureError> {
    // Validates every row, naming it, exactly as the loss itself does.
    super::cross_entropy_logits_rows(p, z, Reduction::None)?;
    let rows = p.len() as f64;
    // Each row through the logits batch's gradient pass (the softmax on the
    // SIMD lanes), which gives qᵢ − pᵢ; batchmean then divides by R.
    Ok(p.iter()
        .zip(z)
        .map(|(pr, zr)| {
            let g = super::logits_batch::softmax_minus_target(zr.as_ref(), pr.as_ref());
            match reduction {
                Reduction::BatchMean => g.into_iter().map(|x| x / rows).collect(),
                Reduction::None | Reduction::Sum => g,
            }
        })
        .collect())
}

/// A batch answer from a per-row value `f(pᵣ, sᵣ)` (`sᵣ` empty when the
/// batch has no second argument): the values under `none`, their plain
/// left-to-right sum under `sum`, that sum over the rows under `batchmean`,
/// as a simple implementation would reduce them.
pub(crate) fn plain_rows(
    p: &Rows,
    second: &Rows,
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

/// The batches of an implementation that changes only the per-vector
/// values: each row through its [`Implementation::value`], reduced plainly
/// ([`plain_rows`]), and cross-entropy from logits the crate's own.
pub(crate) fn rows_from_values(
    imp: &(impl Implementation + ?Sized),
    measure: Measure,
    p: &Rows,
    second: &Rows,
    reduction: Reduction,
) -> Answer<Reduced> {
    match measure {
        Measure::CrossEntropyLogits => Reference.rows(measure, p, second, reduction),
        _ => plain_rows(p, second, reduction, |a, b| imp.value(measure, a, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batchmean gradient entry whose quotient underflows f32's normal
    /// range is flushed to 0 by XLA on CPU (a real answer of JAX at 2000
    /// cases): p = (1, 0), z = (0, −85), so g₂ = softmax(z)₂ ≈ e⁻⁸⁵ ≈
    /// 1.2e−37, a normal f32, and g₂/16 ≈ 7.5e−39 below f32's smallest
    /// normal 1.18e−38. The flushed 0 must be within the f32 bound, and the
    /// same answer far from the quotient (1e−30) must not be.
    #[test]
    fn a_batchmean_gradient_flushed_to_zero_is_within_the_f32_bound() {
        let (p, z, rows) = ([1.0, 0.0], [0.0, -85.0], 16);
        let q = super::super::softmax(&z).unwrap();
        let exact = (q[1] - p[1]) / rows as f64;
        assert!(
            exact > 0.0 && exact < f64::from(f32::MIN_POSITIVE),
            "{exact:e}"
        );
        let b = contract_gradient_bounds(Arithmetic::F32, &p, &z, rows, Reduction::BatchMean, 0.0);
        assert!((0.0 - exact).abs() <= b[1], "{exact:e} > {:e}", b[1]);
        assert!((1e-30 - exact).abs() > b[1], "{:e}", b[1]);
    }

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
        fn rows(&self, m: Measure, p: &Rows, s: &Rows, r: Reduction) -> Answer<Reduced> {
            match (m, Reference.rows(m, p, s, r)?) {
                // The wrong shape: a total for `none`.
                (Measure::KlDivergence, Reduced::PerRow(v)) => Ok(Reduced::Total(v[0])),
                (_, reduced) => Ok(reduced),
            }
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
