//! Cross-entropy from a batch of logits: rows × classes in row-major order
//! (PyTorch's `(N, C)` input), with class-index or probability targets,
//! optional label smoothing, masked logits, and the reductions `none`, `sum`
//! and `batchmean`.
//!
//! Conventions, next to PyTorch's `torch.nn.functional.cross_entropy`:
//!
//! - **Masked logits.** A logit of −∞ is a masked class: its probability is
//!   exactly 0 (e^−∞ = 0, as in PyTorch). A row whose target puts mass on a
//!   masked class has CE = +∞ (PyTorch: `inf`), and so does every row under
//!   label smoothing with a masked class, since smoothing puts mass ε/C on
//!   every class (PyTorch: `inf` too). A probability target of 0 on a
//!   masked class contributes 0 (the crate's 0·ln 0 = 0), where PyTorch
//!   forms 0·(−∞) and returns `nan` for the row; with class indices both
//!   give the label's finite value. A row whose logits are all −∞ has no
//!   softmax: it is an error naming the row (PyTorch returns `nan`). A logit
//!   of +∞ or NaN is an error naming its row and index (PyTorch propagates
//!   `nan`). `scripts/torch_logits_semantics.py` checks each of these
//!   against torch.
//! - **Label smoothing** ε ∈ [0, 1], PyTorch's definition: the target row t
//!   becomes (1 − ε)·t + ε/C, for class indices (t one-hot) and probability
//!   rows alike. The loss is evaluated as (1 − ε)·Σtᵢ·(−ln qᵢ) +
//!   (ε/C)·Σᵢ(−ln qᵢ), two sums of non-negative terms.
//! - **Reductions.** `none`: one value per row; `sum`; `batchmean`: the sum
//!   over N rows (PyTorch's `mean` for cross-entropy, which divides by N, not
//!   by N·C). Sums are compensated.
//! - Probability targets are validated as distributions, not normalized.
//! - **Speed and reproducibility.** Each row runs on the SIMD lanes of
//!   `lanes::softmax` (its maximum, log-normalizer, weighted sums and
//!   gradient, with an exponential within one ulp), bit-identical on every
//!   path; the rows run in parallel on rayon's pool, each computed alone, so
//!   the results do not depend on the number of threads.

use super::batch::{Reduced, Reduction, reduce};
use super::error::{Arg, MeasureError};
use super::lanes::softmax::{self, GradCoefficients};
use super::lanes::{BLOCK, Path};
use super::logits::{LogNormalizer, weighted_nll};
use super::validate::check_distribution;
use crate::numerics::{NeumaierSum, U, gamma};
use rayon::prelude::*;

/// A batch of logits: `rows × classes` values in row-major order, each row
/// finite or −∞ (masked) entry by entry, with at least one finite entry.
#[derive(Debug, Clone, Copy)]
pub struct LogitsBatch<'a> {
    values: &'a [f64],
    classes: usize,
}

impl<'a> LogitsBatch<'a> {
    /// The batch of `values.len() / classes` rows of `classes` logits.
    ///
    /// # Errors
    /// [`MeasureError::Empty`] if `values` is empty; [`MeasureError::Shape`]
    /// if `classes` is 0 or does not divide `values.len()`;
    /// [`MeasureError::NotFinite`] naming the row and index of a NaN or +∞;
    /// [`MeasureError::AllMasked`] naming a row whose logits are all −∞.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::measures::{LogitsBatch, MeasureError};
    /// let z = [0.0, 1.0, f64::NEG_INFINITY, 2.0, 0.5, 0.0];
    /// let batch = LogitsBatch::new(&z, 3).unwrap();
    /// assert_eq!((batch.rows(), batch.classes()), (2, 3));
    /// assert!(matches!(LogitsBatch::new(&z, 4), Err(MeasureError::Shape { .. })));
    /// ```
    pub fn new(values: &'a [f64], classes: usize) -> Result<Self, MeasureError> {
        let arg = Arg::plain("logits");
        if values.is_empty() {
            return Err(MeasureError::Empty { arg });
        }
        if classes == 0 || !values.len().is_multiple_of(classes) {
            return Err(MeasureError::Shape {
                arg,
                len: values.len(),
                classes,
            });
        }
        for (r, row) in values.chunks_exact(classes).enumerate() {
            check_masked_row(Arg::row("logits", r), row)?;
        }
        Ok(LogitsBatch { values, classes })
    }

    /// The number of rows N.
    pub fn rows(&self) -> usize {
        self.values.len() / self.classes
    }

    /// The number of classes C.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Row r's logits.
    ///
    /// # Panics
    /// If r ≥ [`LogitsBatch::rows`].
    pub fn row(&self, r: usize) -> &'a [f64] {
        &self.values[r * self.classes..(r + 1) * self.classes]
    }
}

/// A row of logits: no NaN or +∞, and not every entry −∞.
pub(super) fn check_masked_row(arg: Arg, row: &[f64]) -> Result<(), MeasureError> {
    if let Some(index) = row.iter().position(|z| z.is_nan() || *z == f64::INFINITY) {
        return Err(MeasureError::NotFinite {
            arg,
            index,
            value: row[index],
        });
    }
    if row.iter().all(|&z| z == f64::NEG_INFINITY) {
        return Err(MeasureError::AllMasked { arg });
    }
    Ok(())
}

/// The targets of a batch: one class index per row, or one probability row
/// per row (`rows × classes`, row-major).
#[derive(Debug, Clone, Copy)]
pub enum Targets<'a> {
    /// Class indices yᵣ ∈ [0, C): the one-hot rows e_{yᵣ}.
    Labels(&'a [usize]),
    /// Probability rows, each a distribution over the C classes.
    Probabilities(&'a [f64]),
}

/// The reduction and the label smoothing of a batched cross-entropy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossEntropyOptions {
    /// `none`, `sum` or `batchmean`.
    pub reduction: Reduction,
    /// ε ∈ [0, 1]: the target t becomes (1 − ε)·t + ε/C.
    pub label_smoothing: f64,
}

impl CrossEntropyOptions {
    /// The reduction, without smoothing.
    pub fn new(reduction: Reduction) -> Self {
        CrossEntropyOptions {
            reduction,
            label_smoothing: 0.0,
        }
    }

    /// The same options with label smoothing ε.
    pub fn with_label_smoothing(self, epsilon: f64) -> Self {
        CrossEntropyOptions {
            label_smoothing: epsilon,
            ..self
        }
    }
}

/// One row's target: a class index or a probability row.
#[derive(Clone, Copy)]
enum RowTarget<'a> {
    Label(usize),
    Probabilities(&'a [f64]),
}

/// Checks the targets against the batch and the smoothing, and hands out
/// each row's target.
fn row_targets<'a>(
    logits: &LogitsBatch<'_>,
    targets: Targets<'a>,
    epsilon: f64,
) -> Result<Vec<RowTarget<'a>>, MeasureError> {
    if !(0.0..=1.0).contains(&epsilon) {
        return Err(MeasureError::NotAProbability {
            arg: Arg::plain("label_smoothing"),
            value: epsilon,
        });
    }
    let (rows, classes) = (logits.rows(), logits.classes());
    match targets {
        Targets::Labels(labels) => {
            if labels.len() != rows {
                return Err(MeasureError::LengthMismatch {
                    first: Arg::plain("labels"),
                    first_len: labels.len(),
                    second: Arg::plain("logits rows"),
                    second_len: rows,
                });
            }
            labels
                .iter()
                .enumerate()
                .map(|(index, &label)| {
                    if label < classes {
                        Ok(RowTarget::Label(label))
                    } else {
                        Err(MeasureError::LabelOutOfRange {
                            arg: Arg::plain("labels"),
                            index,
                            label,
                            classes,
                        })
                    }
                })
                .collect()
        }
        Targets::Probabilities(p) => {
            if p.len() != logits.values.len() {
                return Err(MeasureError::LengthMismatch {
                    first: Arg::plain("target"),
                    first_len: p.len(),
                    second: Arg::plain("logits"),
                    second_len: logits.values.len(),
                });
            }
            p.chunks_exact(classes)
                .enumerate()
                .map(|(r, row)| {
                    check_distribution(Arg::row("target", r), row)?;
                    Ok(RowTarget::Probabilities(row))
                })
                .collect()
        }
    }
}

/// One row's cross-entropy: (1 − ε)·Σtᵢ·(−ln qᵢ) + (ε/C)·Σᵢ(−ln qᵢ), the
/// first sum over tᵢ > 0 only (0·(−ln 0) = 0), the second only where ε > 0.
fn row_cross_entropy(norm: &LogNormalizer, z: &[f64], target: RowTarget<'_>, epsilon: f64) -> f64 {
    let fitted = match target {
        RowTarget::Label(y) => norm.nll(z[y]),
        RowTarget::Probabilities(t) => weighted_nll(norm, Some(t), z),
    };
    if epsilon == 0.0 {
        return fitted;
    }
    let uniform = weighted_nll(norm, None, z);
    let c = z.len() as f64;
    if epsilon == 1.0 {
        uniform / c
    } else {
        (1.0 - epsilon) * fitted + epsilon * (uniform / c)
    }
}

/// Cross-entropy of q = softmax(z) per row of a logits batch, against class
/// indices or probability rows, with label smoothing, reduced:
///
/// ```text
/// CEᵣ = Σᵢ t′ᵣᵢ·[(max zᵣ − zᵣᵢ) + ln Σⱼ exp(zᵣⱼ − max zᵣ)],   t′ = (1 − ε)·t + ε/C
/// ```
///
/// evaluated as in the module's documentation (masked logits, +∞ rows,
/// smoothing as two non-negative sums).
///
/// # Errors
/// [`MeasureError`] naming `labels` (count, an index ≥ C), `target` (length,
/// a row that is not a distribution), or `label_smoothing` (outside [0, 1]).
///
/// # Accuracy
/// Each −ln qᵢ is within [`log_softmax_error_bounds`] of its exact value
/// (over the row's unmasked entries); the row's value is within the
/// t′-weighted sum of those bounds plus its sums' rounding, a few u of
/// itself ([`cross_entropy_logits_batch_error`] states the bound).
///
/// [`log_softmax_error_bounds`]: crate::measures::log_softmax_error_bounds
///
/// # Example
/// ```
/// use logloss_proofs::measures::{
///     CrossEntropyOptions, LogitsBatch, Reduced, Reduction, Targets,
///     cross_entropy_logits_batch,
/// };
/// let ninf = f64::NEG_INFINITY;
/// // Row 0: logits (0, 0, −∞), label 1: CE = ln 2 (class 2 masked).
/// // Row 1: logits (0, ln 3, 0), label 2 is fine: CE = ln 5.
/// let z = [0.0, 0.0, ninf, 0.0, 3f64.ln(), 0.0];
/// let batch = LogitsBatch::new(&z, 3).unwrap();
/// let per_row = cross_entropy_logits_batch(
///     &batch,
///     Targets::Labels(&[1, 2]),
///     CrossEntropyOptions::new(Reduction::None),
/// )
/// .unwrap();
/// let Reduced::PerRow(v) = per_row else { unreachable!() };
/// // Each value is a few roundings of terms no larger than itself (ln1p
/// // and exp within one ulp, the input fl(ln 3)): 8u relative covers them.
/// let u = f64::EPSILON / 2.0;
/// assert!((v[0] - 2f64.ln()).abs() <= 8.0 * u * v[0]);
/// assert!((v[1] - 5f64.ln()).abs() <= 8.0 * u * v[1]);
/// // A label on the masked class: +∞.
/// let inf = cross_entropy_logits_batch(
///     &batch,
///     Targets::Labels(&[2, 0]),
///     CrossEntropyOptions::new(Reduction::Sum),
/// )
/// .unwrap();
/// assert_eq!(inf, Reduced::Total(f64::INFINITY));
/// ```
pub fn cross_entropy_logits_batch(
    logits: &LogitsBatch<'_>,
    targets: Targets<'_>,
    options: CrossEntropyOptions,
) -> Result<Reduced, MeasureError> {
    let epsilon = options.label_smoothing;
    let row_targets = row_targets(logits, targets, epsilon)?;
    let values = row_targets
        .into_par_iter()
        .enumerate()
        .with_min_len(rows_per_task(logits.classes()))
        .map(|(r, t)| {
            let z = logits.row(r);
            row_cross_entropy(&LogNormalizer::new(z), z, t, epsilon)
        })
        .collect();
    Ok(reduce(values, options.reduction))
}

/// The gradient of [`cross_entropy_logits_batch`] in the logits, rows ×
/// classes in row-major order:
///
/// ```text
/// ∂CEᵣ/∂zᵣᵢ = (Σⱼ t′ᵣⱼ)·qᵣᵢ − t′ᵣᵢ,   q = softmax(zᵣ),   t′ = (1 − ε)·t + ε/C
/// ```
///
/// per row for `none` and `sum` (the gradient of each row's value, and of
/// their sum), divided by N for `batchmean`. A masked logit has qᵣᵢ = 0
/// exactly, so its entry is −t′ᵣᵢ: finite where the row's value is +∞, as
/// PyTorch's autograd gives it.
///
/// # Errors
/// As [`cross_entropy_logits_batch`].
///
/// # Example
/// ```
/// use logloss_proofs::measures::{
///     CrossEntropyOptions, LogitsBatch, Reduction, Targets, cross_entropy_logits_batch_grad,
/// };
/// // softmax(0, 0) = (½, ½), label 0: the gradient (½ − 1, ½) = (−½, ½).
/// let batch = LogitsBatch::new(&[0.0, 0.0], 2).unwrap();
/// let g = cross_entropy_logits_batch_grad(
///     &batch,
///     Targets::Labels(&[0]),
///     CrossEntropyOptions::new(Reduction::BatchMean),
/// )
/// .unwrap();
/// assert_eq!(g, vec![-0.5, 0.5]);
/// ```
pub fn cross_entropy_logits_batch_grad(
    logits: &LogitsBatch<'_>,
    targets: Targets<'_>,
    options: CrossEntropyOptions,
) -> Result<Vec<f64>, MeasureError> {
    let epsilon = options.label_smoothing;
    let row_targets = row_targets(logits, targets, epsilon)?;
    let classes = logits.classes();
    let scale = match options.reduction {
        Reduction::None | Reduction::Sum => 1.0,
        Reduction::BatchMean => 1.0 / logits.rows() as f64,
    };
    let share = epsilon / classes as f64;
    let mut out = vec![0.0; logits.values.len()];
    out.par_chunks_mut(classes)
        .zip(row_targets)
        .enumerate()
        .with_min_len(rows_per_task(classes))
        .for_each(|(r, (g, target))| {
            let z = logits.row(r);
            let norm = LogNormalizer::new(z).parts();
            let (t, mass) = match target {
                RowTarget::Label(_) => (None, 1.0),
                RowTarget::Probabilities(row) => (
                    Some(row),
                    row.iter().copied().collect::<NeumaierSum>().value(),
                ),
            };
            let coefficients = GradCoefficients {
                mass: (1.0 - epsilon) * mass + epsilon,
                keep: 1.0 - epsilon,
                share,
                scale,
            };
            softmax::grad_with(Path::detect(), z, t, norm, coefficients, g);
            if let RowTarget::Label(y) = target {
                g[y] = softmax::grad_entry(z[y], 1.0, norm, coefficients);
            }
        });
    Ok(out)
}

/// softmax(z) − t for one validated row of logits and a target row of the
/// same length: the batch gradient's pass with mass 1 and no smoothing,
/// (1·qᵢ − (1·tᵢ + 0))·1 = qᵢ − tᵢ, as the conformance kit defines the
/// gradient (see [`Implementation`](crate::measures::Implementation)).
pub(crate) fn softmax_minus_target(z: &[f64], t: &[f64]) -> Vec<f64> {
    gradient_row(z, Some(t), 1.0)
}

/// softmax(z) for one validated row of logits: the batch gradient's pass
/// with no target, (1·qᵢ − (0·0 + 0))·1 = qᵢ exactly.
pub(crate) fn softmax_row(z: &[f64]) -> Vec<f64> {
    gradient_row(z, None, 0.0)
}

/// One row of the gradient pass with mass 1, `keep` times the target, no
/// share and no scale.
fn gradient_row(z: &[f64], t: Option<&[f64]>, keep: f64) -> Vec<f64> {
    let coefficients = GradCoefficients {
        mass: 1.0,
        keep,
        share: 0.0,
        scale: 1.0,
    };
    let mut out = vec![0.0; z.len()];
    let norm = LogNormalizer::new(z).parts();
    softmax::grad_with(Path::detect(), z, t, norm, coefficients, &mut out);
    out
}

/// Rows per task on rayon's pool: at least one, and about [`BLOCK`]
/// elements, far above the cost of handing a task to another thread. Each
/// row is computed alone, so the results do not depend on the split.
fn rows_per_task(classes: usize) -> usize {
    (BLOCK / classes).max(1)
}

/// Bounds on the rounding of each row's value of
/// [`cross_entropy_logits_batch`] (its `none` values), against the exact
/// cross-entropy of the exact softmax of the given logits:
///
/// ```text
/// ε = 0:      1.01·e_A
/// 0 < ε < 1:  1.01·((1 − ε)·e_A + (ε/C)·e_B + 3u·CEᵣ)
/// ε = 1:      1.01·(e_B/C + u·CEᵣ)
/// e_A = t_y's δ_y (a label), or Σtᵢδᵢ + (2u + γ_C²)·A (probabilities, A = Σtᵢ·(−ln qᵢ))
/// e_B = Σᵢδᵢ + (2u + γ_C²)·B,   B = Σᵢ(−ln qᵢ)
/// ```
///
/// with δᵢ the bound on −ln qᵢ of [`log_softmax_error_bounds`] over the
/// row's unmasked logits (a masked class has −ln qᵢ = +∞ exactly). A row
/// whose value is +∞ is exact, with bound 0. Derivation: each product
/// tᵢ·(−ln qᵢ) rounds by u, the compensated sum of non-negative terms by
/// u + γ_C² of itself (Sum2), so e_A and e_B; then 1 − ε, the two products,
/// the division by C and the final sum round once each, 3u of the value
/// (the parts are non-negative); 1.01 for the second-order rest.
///
/// [`log_softmax_error_bounds`]: crate::measures::log_softmax_error_bounds
///
/// # Errors
/// As [`cross_entropy_logits_batch`].
///
/// # Example
/// ```
/// use logloss_proofs::measures::{
///     CrossEntropyOptions, LogitsBatch, Reduction, Targets, cross_entropy_logits_batch_error,
/// };
/// let batch = LogitsBatch::new(&[0.0, 0.0, f64::NEG_INFINITY], 3).unwrap();
/// let options = CrossEntropyOptions::new(Reduction::None);
/// let e = cross_entropy_logits_batch_error(&batch, Targets::Labels(&[0]), options).unwrap();
/// assert!(e[0] > 0.0 && e[0] < 1e-14);
/// // The masked class's row value is +∞ exactly.
/// let e = cross_entropy_logits_batch_error(&batch, Targets::Labels(&[2]), options).unwrap();
/// assert_eq!(e, vec![0.0]);
/// ```
pub fn cross_entropy_logits_batch_error(
    logits: &LogitsBatch<'_>,
    targets: Targets<'_>,
    options: CrossEntropyOptions,
) -> Result<Vec<f64>, MeasureError> {
    let epsilon = options.label_smoothing;
    let row_targets = row_targets(logits, targets, epsilon)?;
    let c = logits.classes() as f64;
    let sum_rounding = 2.0 * U + gamma(logits.classes()).powi(2);
    Ok(row_targets
        .into_iter()
        .enumerate()
        .map(|(r, target)| {
            let z = logits.row(r);
            let norm = LogNormalizer::new(z);
            let value = row_cross_entropy(&norm, z, target, epsilon);
            if value == f64::INFINITY {
                return 0.0;
            }
            let delta = unmasked_error_bounds(z);
            let e_a = match target {
                RowTarget::Label(y) => delta[y],
                RowTarget::Probabilities(t) => {
                    let (weighted, a) = t
                        .iter()
                        .zip(z)
                        .zip(&delta)
                        .filter(|((ti, _), _)| **ti > 0.0)
                        .fold((0.0, 0.0), |(w, a), ((&ti, &zi), &d)| {
                            (w + ti * d, a + ti * norm.nll(zi))
                        });
                    weighted + sum_rounding * a
                }
            };
            if epsilon == 0.0 {
                return 1.01 * e_a;
            }
            let b: f64 = z.iter().map(|&zi| norm.nll(zi)).sum();
            let e_b = delta.iter().sum::<f64>() + sum_rounding * b;
            if epsilon == 1.0 {
                1.01 * (e_b / c + U * value)
            } else {
                1.01 * ((1.0 - epsilon) * e_a + epsilon / c * e_b + 3.0 * U * value)
            }
        })
        .collect())
}

/// [`log_softmax_error_bounds`](crate::measures::log_softmax_error_bounds)
/// over a row's unmasked logits, 0 at the masked ones (whose −ln q = +∞ is
/// exact).
fn unmasked_error_bounds(z: &[f64]) -> Vec<f64> {
    let finite: Vec<f64> = z.iter().copied().filter(|v| v.is_finite()).collect();
    let mut bounds = super::logits::log_softmax_error_bounds(&finite, 0.0).into_iter();
    z.iter()
        .map(|v| {
            if v.is_finite() {
                bounds.next().unwrap_or(0.0)
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::bounds::{bound_checks, exact_log_softmax, simplex, uniform};
    use crate::test_support::{PREC as P, RM, big};
    use astro_float::BigFloat;
    use rand::RngExt;

    const NINF: f64 = f64::NEG_INFINITY;

    /// A random batch: N = 1 … 5 rows of C = 1 … 8 logits of scale 2 or 20,
    /// each masked (−∞) one time in five but never a whole row; targets as
    /// labels or probability rows (zero on the masked classes but one time
    /// in four), label smoothing 0, 1 or random.
    fn random_case(
        k: usize,
        rng: &mut rand_chacha::ChaCha8Rng,
    ) -> (Vec<f64>, usize, Vec<usize>, Vec<f64>, f64) {
        let (rows, classes) = (rng.random_range(1..6usize), rng.random_range(1..9usize));
        let scale = if k.is_multiple_of(3) { 20.0 } else { 2.0 };
        let mut z = Vec::new();
        for _ in 0..rows {
            let keep = rng.random_range(0..classes);
            for j in 0..classes {
                let masked = j != keep && rng.random_range(0..5u8) == 0;
                z.push(if masked {
                    NINF
                } else {
                    scale * uniform(rng, -1.0, 1.0)
                });
            }
        }
        let mut labels = Vec::new();
        let mut p = Vec::new();
        for row in z.chunks(classes) {
            let open: Vec<usize> = (0..classes).filter(|&j| row[j].is_finite()).collect();
            let onto_mask = rng.random_range(0..4u8) == 0;
            labels.push(if onto_mask {
                rng.random_range(0..classes)
            } else {
                open[rng.random_range(0..open.len())]
            });
            let spread = uniform(rng, 0.1, 3.0);
            let mut t = simplex(rng, classes, spread);
            if !onto_mask {
                for j in 0..classes {
                    if row[j] == NINF {
                        t[j] = 0.0;
                    }
                }
                t = crate::measures::normalize(&t).unwrap();
            }
            p.extend(t);
        }
        let epsilon = match k % 4 {
            0 | 1 => 0.0,
            2 => uniform(rng, 0.0, 1.0),
            _ => 1.0,
        };
        (z, classes, labels, p, epsilon)
    }

    /// −ln qᵢ at 320 bits for a row (None where masked).
    fn exact_nll(z: &[f64], cc: &mut astro_float::Consts) -> Vec<Option<BigFloat>> {
        let finite: Vec<f64> = z.iter().copied().filter(|v| v.is_finite()).collect();
        let mut exact = exact_log_softmax(&finite, cc).into_iter();
        z.iter()
            .map(|v| v.is_finite().then(|| exact.next().unwrap().neg()))
            .collect()
    }

    /// Row r's exact smoothed target t′ = (1 − ε)·t + ε/C at 320 bits.
    fn exact_target(t: &[f64], epsilon: f64) -> Vec<BigFloat> {
        let share = big(epsilon).div(&big(t.len() as f64), P, RM);
        t.iter()
            .map(|&ti| {
                big(1.0)
                    .sub(&big(epsilon), P, RM)
                    .mul(&big(ti), P, RM)
                    .add(&share, P, RM)
            })
            .collect()
    }

    /// Σ t′ᵢ·(−ln qᵢ) at 320 bits; None (+∞) where t′ puts mass on a masked
    /// class.
    fn exact_ce(t: &[BigFloat], nll: &[Option<BigFloat>]) -> Option<BigFloat> {
        t.iter().zip(nll).try_fold(big(0.0), |a, (ti, n)| match n {
            Some(n) => Some(a.add(&ti.mul(n, P, RM), P, RM)),
            None if ti.is_zero() => Some(a),
            None => None,
        })
    }

    /// Each row's value against its exact cross-entropy at 320 bits (the
    /// logits, targets and ε exact), for labels and probability rows:
    /// +∞ exactly where t′ puts mass on a masked class, else within
    /// [`cross_entropy_logits_batch_error`]. Floors, each a power of two
    /// under the worst ratio seen: 2⁻¹ for labels (0.54 seen: a label's
    /// value is one −ln q_y, two roundings and ln1p's, against
    /// [`log_softmax_error_bounds`]'s u·(2|ln q_y| + Δ + n + 4), whose
    /// spread and count terms the stable evaluation uses only in part);
    /// 2⁻² for probability rows (0.36 seen: the weighted sum of such
    /// errors, which partly cancel). Each smoothing regime takes its own
    /// branch of the bound and has its own check: 0 < ε < 1, 2⁻³ for labels
    /// (0.17 seen) and 2⁻² for probability rows (0.27); ε = 1, where the
    /// value is the mean of every −ln qᵢ and their errors average out, 2⁻³
    /// for both (0.13). A bound loosened by the inverse of its floor fails.
    ///
    /// [`log_softmax_error_bounds`]: crate::measures::log_softmax_error_bounds
    #[test]
    fn row_values_are_within_their_bounds() {
        bound_checks(
            "logits-batch",
            [
                ("logits batch: CE per row, labels", 0.5),
                ("logits batch: CE per row, labels, 0 < ε < 1", 0.125),
                ("logits batch: CE per row, labels, ε = 1", 0.125),
                ("logits batch: CE per row, probabilities", 0.25),
                ("logits batch: CE per row, probabilities, 0 < ε < 1", 0.25),
                ("logits batch: CE per row, probabilities, ε = 1", 0.125),
            ],
            200,
            |k, rng, cc, checks| {
                let (z, classes, labels, p, epsilon) = random_case(k, rng);
                let batch = LogitsBatch::new(&z, classes).unwrap();
                let options =
                    CrossEntropyOptions::new(Reduction::None).with_label_smoothing(epsilon);
                // Each smoothing regime has its own branch of the bound, so
                // its own check and floor.
                let regime = match epsilon {
                    0.0 => 0,
                    1.0 => 2,
                    _ => 1,
                };
                let [l0, l1, l2, p0, p1, p2] = checks;
                let [labels_check, probs_check] = match regime {
                    0 => [l0, p0],
                    1 => [l1, p1],
                    _ => [l2, p2],
                };
                for (check, targets) in [
                    (&mut *labels_check, Targets::Labels(&labels)),
                    (&mut *probs_check, Targets::Probabilities(&p)),
                ] {
                    let Reduced::PerRow(values) =
                        cross_entropy_logits_batch(&batch, targets, options).unwrap()
                    else {
                        panic!("none gives rows")
                    };
                    let bounds =
                        cross_entropy_logits_batch_error(&batch, targets, options).unwrap();
                    for r in 0..batch.rows() {
                        let t: Vec<f64> = match targets {
                            Targets::Labels(l) => (0..classes)
                                .map(|j| f64::from(u8::from(j == l[r])))
                                .collect(),
                            Targets::Probabilities(p) => p[r * classes..(r + 1) * classes].to_vec(),
                        };
                        let nll = exact_nll(batch.row(r), cc);
                        let at = || format!("row {r} of {z:?}, C {classes}, t {t:?}, ε {epsilon}");
                        match exact_ce(&exact_target(&t, epsilon), &nll) {
                            None => assert_eq!(values[r], f64::INFINITY, "{}", at()),
                            Some(exact) => check.value(values[r], &exact, bounds[r], cc, at),
                        }
                    }
                }
            },
        );
    }

    /// The gradient against (Σt′)·q − t′ at 320 bits, per row (`none`),
    /// within a bound derived from the computation: qᵢ = e^(−(−ln qᵢ))
    /// within δᵢ + 2u relative (δ from [`log_softmax_error_bounds`], exp at
    /// one ulp), Σt′ within 4u (the compensated mass, 1 − ε, the product and
    /// the addition of ε), the product u, t′ᵢ within 3u, the subtraction u·|gᵢ|; 1.01 for
    /// the rest. Validity on every entry; a masked entry is exactly −t′ᵢ
    /// rounded. batchmean is `none` divided by N, entry by entry. Floor 2⁻²
    /// (0.48 seen): q's bound carries the log-softmax bound's spread and
    /// count terms, used in part.
    ///
    /// [`log_softmax_error_bounds`]: crate::measures::log_softmax_error_bounds
    #[test]
    fn gradients_are_within_their_bounds() {
        bound_checks(
            "logits-batch-gradient",
            [("logits batch: CE gradient", 0.25)],
            200,
            |k, rng, cc, [check]| {
                let (z, classes, labels, p, epsilon) = random_case(k, rng);
                let batch = LogitsBatch::new(&z, classes).unwrap();
                let options =
                    CrossEntropyOptions::new(Reduction::None).with_label_smoothing(epsilon);
                let targets = if k % 2 == 0 {
                    Targets::Labels(&labels)
                } else {
                    Targets::Probabilities(&p)
                };
                let g = cross_entropy_logits_batch_grad(&batch, targets, options).unwrap();
                let mean = cross_entropy_logits_batch_grad(
                    &batch,
                    targets,
                    CrossEntropyOptions::new(Reduction::BatchMean).with_label_smoothing(epsilon),
                )
                .unwrap();
                let n = batch.rows() as f64;
                for (a, b) in g.iter().zip(&mean) {
                    assert_eq!(*b, a * (1.0 / n), "batchmean is none scaled by fl(1/N)");
                }
                for r in 0..batch.rows() {
                    let row = batch.row(r);
                    let t: Vec<f64> = match targets {
                        Targets::Labels(l) => (0..classes)
                            .map(|j| f64::from(u8::from(j == l[r])))
                            .collect(),
                        Targets::Probabilities(p) => p[r * classes..(r + 1) * classes].to_vec(),
                    };
                    let tt = exact_target(&t, epsilon);
                    let mass = tt.iter().fold(big(0.0), |a, v| a.add(v, P, RM));
                    let nll = exact_nll(row, cc);
                    let delta = unmasked_error_bounds(row);
                    for j in 0..classes {
                        let q = match &nll[j] {
                            Some(v) => v.neg().exp(P, RM, cc),
                            None => big(0.0),
                        };
                        let exact = mass.mul(&q, P, RM).sub(&tt[j], P, RM);
                        let got = g[r * classes + j];
                        let q64 = crate::test_support::to_f64(&q, cc);
                        let t64 = crate::test_support::to_f64(&tt[j], cc);
                        let m64 = crate::test_support::to_f64(&mass, cc);
                        let bound = 1.01
                            * (m64 * q64 * (delta[j] + 2.0 * U + 5.0 * U)
                                + 3.0 * U * t64
                                + U * got.abs());
                        check.value(got, &exact, bound, cc, || {
                            format!("row {r} entry {j} of {z:?}, t {t:?}, ε {epsilon}")
                        });
                    }
                }
            },
        );
    }

    /// Masked rows and malformed batches: an entirely masked row is an
    /// error naming it; +∞ and NaN are errors naming their row and index;
    /// a shape that is not whole rows, a label ≥ C, a smoothing outside
    /// [0, 1] and a target row that is not a distribution are errors naming
    /// their argument. A label on a masked class gives +∞ under every
    /// reduction, and a masked class's probability in the gradient is 0
    /// exactly (its entry is −t′).
    #[test]
    fn masks_and_malformed_batches() {
        assert_eq!(
            LogitsBatch::new(&[0.0, 1.0, NINF, NINF], 2).unwrap_err(),
            MeasureError::AllMasked {
                arg: Arg::row("logits", 1)
            }
        );
        assert_eq!(
            LogitsBatch::new(&[0.0, 1.0, f64::INFINITY, 0.0], 2).unwrap_err(),
            MeasureError::NotFinite {
                arg: Arg::row("logits", 1),
                index: 0,
                value: f64::INFINITY
            }
        );
        assert!(matches!(
            LogitsBatch::new(&[0.0, f64::NAN], 2),
            Err(MeasureError::NotFinite { index: 1, .. })
        ));
        assert!(matches!(
            LogitsBatch::new(&[0.0; 3], 2),
            Err(MeasureError::Shape {
                len: 3,
                classes: 2,
                ..
            })
        ));
        assert!(matches!(
            LogitsBatch::new(&[0.0; 2], 0),
            Err(MeasureError::Shape { classes: 0, .. })
        ));
        assert!(matches!(
            LogitsBatch::new(&[], 2),
            Err(MeasureError::Empty { .. })
        ));
        let batch = LogitsBatch::new(&[0.0, NINF, 1.0, 2.0], 2).unwrap();
        let none = CrossEntropyOptions::new(Reduction::None);
        assert!(matches!(
            cross_entropy_logits_batch(&batch, Targets::Labels(&[0, 2]), none),
            Err(MeasureError::LabelOutOfRange {
                index: 1,
                label: 2,
                classes: 2,
                ..
            })
        ));
        assert!(matches!(
            cross_entropy_logits_batch(&batch, Targets::Labels(&[0]), none),
            Err(MeasureError::LengthMismatch { .. })
        ));
        assert!(matches!(
            cross_entropy_logits_batch(
                &batch,
                Targets::Labels(&[0, 0]),
                none.with_label_smoothing(1.5)
            ),
            Err(MeasureError::NotAProbability { .. })
        ));
        assert!(matches!(
            cross_entropy_logits_batch(&batch, Targets::Probabilities(&[0.5, 0.5, 0.9, 0.3]), none),
            Err(MeasureError::NotNormalized {
                arg: Arg { row: Some(1), .. },
                ..
            })
        ));
        // Row 0's class 1 is masked: label 1 gives +∞ under every reduction,
        // and so does any smoothing; label 0 gives exactly 0 (q₀ = 1).
        for reduction in [Reduction::None, Reduction::Sum, Reduction::BatchMean] {
            let o = CrossEntropyOptions::new(reduction);
            let v = cross_entropy_logits_batch(&batch, Targets::Labels(&[1, 0]), o).unwrap();
            match v {
                Reduced::PerRow(v) => assert_eq!(v[0], f64::INFINITY),
                Reduced::Total(t) => assert_eq!(t, f64::INFINITY),
            }
        }
        let v = cross_entropy_logits_batch(&batch, Targets::Labels(&[0, 1]), none).unwrap();
        let Reduced::PerRow(v) = v else {
            unreachable!()
        };
        assert_eq!(v[0], 0.0);
        let smoothed = cross_entropy_logits_batch(
            &batch,
            Targets::Labels(&[0, 1]),
            none.with_label_smoothing(0.1),
        )
        .unwrap();
        let Reduced::PerRow(s) = smoothed else {
            unreachable!()
        };
        assert_eq!(s[0], f64::INFINITY);
        // q = (1, 0) on row 0, so its gradient q − e₁ = (1, −1): finite
        // where the value is +∞, the masked entry −t′₁.
        let g = cross_entropy_logits_batch_grad(&batch, Targets::Labels(&[1, 0]), none).unwrap();
        assert_eq!(&g[..2], &[1.0, -1.0]);
    }

    /// `sum` and `batchmean` are the compensated sum of the `none` values
    /// and that sum divided by N, bit for bit.
    #[test]
    fn reductions_reduce_the_row_values() {
        let mut rng = crate::test_support::bounds::bound_stream("logits-batch-reductions");
        for k in 0..50 {
            let (z, classes, labels, _, epsilon) = random_case(k, &mut rng);
            let batch = LogitsBatch::new(&z, classes).unwrap();
            let o = |r| CrossEntropyOptions::new(r).with_label_smoothing(epsilon);
            let t = Targets::Labels(&labels);
            let Reduced::PerRow(v) =
                cross_entropy_logits_batch(&batch, t, o(Reduction::None)).unwrap()
            else {
                unreachable!()
            };
            let total = v.iter().copied().collect::<NeumaierSum>().value();
            let sum = cross_entropy_logits_batch(&batch, t, o(Reduction::Sum)).unwrap();
            let mean = cross_entropy_logits_batch(&batch, t, o(Reduction::BatchMean)).unwrap();
            assert_eq!(sum, Reduced::Total(total));
            assert_eq!(mean, Reduced::Total(total / v.len() as f64));
        }
    }
}
