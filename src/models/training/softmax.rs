//! Softmax regression trained under PyTorch-semantics losses, in f64, with a
//! rounding-error bound on every step and on the distance between two runs.
//!
//! Notation: n rows in the batch, C = 3 classes, inputs x ∈ ℝ⁵ (a 1 and the
//! standardized features), logits z = W·x, q = softmax(z),
//! ℓ = log_softmax(z), targets t (rows of non-negative numbers).
//!
//! | [`Objective`] | PyTorch | value | gradient in z, row r |
//! |---|---|---|---|
//! | `CrossEntropy` | `F.cross_entropy(z, t)` | −(1/n)·Σᵣ Σᵢ tᵣᵢ ℓᵣᵢ | (qᵣ·Σᵢtᵣᵢ − tᵣ)/n |
//! | `KlDiv(r)` | `F.kl_div(F.log_softmax(z, -1), t, reduction=r)` | (1/N)·Σᵣᵢ [xlogy(tᵣᵢ, tᵣᵢ) − tᵣᵢ ℓᵣᵢ] | (qᵣ·Σᵢtᵣᵢ − tᵣ)/N |
//! | `KlDivOnProbabilities` | `F.kl_div(F.softmax(z, -1), t)` | (1/(nC))·Σᵣᵢ [xlogy(tᵣᵢ, tᵣᵢ) − tᵣᵢ qᵣᵢ] | qᵣ ⊙ (aᵣ − ⟨aᵣ, qᵣ⟩), aᵣ = −tᵣ/(nC) |
//!
//! N is n for `batchmean`, n·C for `mean` (PyTorch's default), 1 for `sum`.
//! The cross-entropy gradient is evaluated by the closed form
//! (q·Σt − t)/n; the KL gradients by the chain rule as autograd runs it
//! (∂L/∂input = −t/N, then the log-softmax backward a − q·Σa). The two
//! formulas are equal in exact arithmetic, so the runs differ by rounding
//! only; [`path_bound`] bounds by how much.

use rand::RngExt;

use crate::models::training::TrainingError;
use crate::models::training::data::{CLASSES as C, INPUTS as D, Split};
use crate::numerics::{U, gamma};

/// PyTorch's `reduction` argument of `F.kl_div`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// Sum of every element.
    Sum,
    /// Sum / (rows × classes): the default, C times smaller than `batchmean`.
    Mean,
    /// Sum / rows: the mean KL per example.
    BatchMean,
}

impl Reduction {
    /// The divisor of the elementwise sum for `rows` rows of `classes` entries:
    /// 1 (`sum`), rows·classes (`mean`), rows (`batchmean`). Exact for
    /// rows·classes < 2⁵³.
    ///
    /// ```
    /// use logloss_proofs::models::training::softmax::Reduction;
    /// assert_eq!(Reduction::Mean.divisor(222, 3), 3.0 * Reduction::BatchMean.divisor(222, 3));
    /// ```
    pub fn divisor(self, rows: usize, classes: usize) -> f64 {
        match self {
            Reduction::Sum => 1.0,
            Reduction::Mean => (rows * classes) as f64,
            Reduction::BatchMean => rows as f64,
        }
    }
}

/// A loss formulation, with the semantics of the PyTorch call it names (see
/// the module's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// `F.cross_entropy(logits, target)` (mean over the batch); for one-hot
    /// targets the same as class-index labels.
    CrossEntropy,
    /// `F.kl_div(F.log_softmax(logits, -1), target, reduction=…)`.
    KlDiv(Reduction),
    /// `F.kl_div(F.softmax(logits, -1), target)`: probabilities where
    /// log-probabilities are expected, default reduction `mean`.
    KlDivOnProbabilities,
}

impl Objective {
    fn divisor(self, rows: usize) -> f64 {
        match self {
            Objective::CrossEntropy => rows as f64,
            Objective::KlDiv(r) => r.divisor(rows, C),
            Objective::KlDivOnProbabilities => Reduction::Mean.divisor(rows, C),
        }
    }
}

/// The target of each training example.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A fixed probability row per example (one-hot, smoothed, a teacher's).
    Fixed(Vec<[f64; C]>),
    /// A co-trained target that moves with the parameters:
    /// t = (1 − mix)·e_y + mix·softmax(z/temperature), from the model's own
    /// logits z (self-distillation). With `detach` no gradient flows through
    /// t (PyTorch's `.detach()`); without it, autograd differentiates t too.
    CoTrained {
        /// The class labels.
        labels: Vec<usize>,
        /// λ ∈ [0, 1], the weight of the model's softened prediction.
        mix: f64,
        /// τ > 0.
        temperature: f64,
        /// Whether the target is detached.
        detach: bool,
    },
}

fn check_labels(labels: &[usize]) -> Result<(), TrainingError> {
    match labels.iter().position(|&y| y >= C) {
        Some(index) => Err(TrainingError::Label {
            arg: "labels",
            index,
            value: labels[index],
            classes: C,
        }),
        None => Ok(()),
    }
}

impl Target {
    /// One-hot rows e_y.
    ///
    /// # Errors
    /// [`TrainingError::Label`] for a label ≥ C.
    pub fn one_hot(labels: &[usize]) -> Result<Target, TrainingError> {
        Target::smoothed(labels, 0.0)
    }

    /// Label smoothing as `F.cross_entropy(…, label_smoothing=ε)` applies it:
    /// t = e_y·(1 − ε) + ε/C.
    ///
    /// # Errors
    /// [`TrainingError::Argument`] for ε outside [0, 1];
    /// [`TrainingError::Label`] for a label ≥ C.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::training::softmax::Target;
    /// let Target::Fixed(t) = Target::smoothed(&[1], 0.3).unwrap() else { unreachable!() };
    /// let off = 0.3 / 3.0; // ε/C, rounded once
    /// assert_eq!(t[0], [off, 0.7 + off, off]);
    /// ```
    pub fn smoothed(labels: &[usize], epsilon: f64) -> Result<Target, TrainingError> {
        if !(0.0..=1.0).contains(&epsilon) {
            return Err(TrainingError::Argument {
                arg: "epsilon",
                value: epsilon,
                allowed: "[0, 1]",
            });
        }
        check_labels(labels)?;
        let off = epsilon / C as f64;
        Ok(Target::Fixed(
            labels
                .iter()
                .map(|&y| {
                    let mut t = [off; C];
                    t[y] = (1.0 - epsilon) + off;
                    t
                })
                .collect(),
        ))
    }

    /// A fixed teacher's probabilities.
    ///
    /// # Errors
    /// [`TrainingError::Argument`] naming `teacher` for an entry that is
    /// negative or not finite.
    pub fn teacher(rows: Vec<[f64; C]>) -> Result<Target, TrainingError> {
        for row in &rows {
            if let Some(&v) = row.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(TrainingError::Argument {
                    arg: "teacher",
                    value: v,
                    allowed: "finite non-negative probabilities",
                });
            }
        }
        Ok(Target::Fixed(rows))
    }

    fn len(&self) -> usize {
        match self {
            Target::Fixed(rows) => rows.len(),
            Target::CoTrained { labels, .. } => labels.len(),
        }
    }

    fn check(&self, rows: usize) -> Result<(), TrainingError> {
        if self.len() != rows {
            return Err(TrainingError::Shape {
                arg: "target",
                index: 0,
                got: self.len(),
                expected: rows,
            });
        }
        if let Target::CoTrained {
            labels,
            mix,
            temperature,
            ..
        } = self
        {
            check_labels(labels)?;
            if !(0.0..=1.0).contains(mix) {
                return Err(TrainingError::Argument {
                    arg: "mix",
                    value: *mix,
                    allowed: "[0, 1]",
                });
            }
            if !(temperature.is_finite() && *temperature > 0.0) {
                return Err(TrainingError::Argument {
                    arg: "temperature",
                    value: *temperature,
                    allowed: "(0, ∞)",
                });
            }
        }
        Ok(())
    }
}

/// One row's forward pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Forward {
    pub(crate) q: [f64; C],
    pub(crate) lsm: [f64; C],
    /// max z − min z.
    spread: f64,
    /// γ₅·maxᵢ Σⱼ |Wᵢⱼ xⱼ|: the bound on each logit's rounding error.
    logit_error: f64,
}

/// z = W·x (row-major W, C × 5), then a stable softmax and log-softmax:
/// m = max z, eᵢ = exp(zᵢ − m), s = Σeᵢ, qᵢ = eᵢ/s, ℓᵢ = (zᵢ − m) − ln s.
pub(crate) fn forward(w: &[f64], x: &[f64; D]) -> Forward {
    let mut z = [0.0; C];
    let mut magnitude: f64 = 0.0;
    for (c, zc) in z.iter_mut().enumerate() {
        let row = &w[c * D..(c + 1) * D];
        *zc = row.iter().zip(x).map(|(a, b)| a * b).sum();
        magnitude = magnitude.max(row.iter().zip(x).map(|(a, b)| (a * b).abs()).sum());
    }
    let (q, lsm, spread) = softmax_of(&z);
    Forward {
        q,
        lsm,
        spread,
        logit_error: gamma(D) * magnitude,
    }
}

fn softmax_of(z: &[f64; C]) -> ([f64; C], [f64; C], f64) {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lo = z.iter().copied().fold(f64::INFINITY, f64::min);
    let e = z.map(|v| (v - m).exp());
    let s: f64 = e.iter().sum();
    let ln_s = s.ln();
    (e.map(|v| v / s), z.map(|v| (v - m) - ln_s), m - lo)
}

/// xlogy(t, t) = t·ln t with 0·ln 0 = 0, as PyTorch's `kl_div` evaluates it.
fn xlogy_self(t: f64) -> f64 {
    if t == 0.0 { 0.0 } else { t * t.ln() }
}

/// The loss, gradient and (where derived) gradient error bound at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The loss value, as the PyTorch call returns it.
    pub loss: f64,
    /// ∂loss/∂W, row-major C × 5.
    pub gradient: Vec<f64>,
    /// A first-order bound on |computed − exact gradient|, entry by entry,
    /// for `CrossEntropy` and `KlDiv` with a fixed or detached target;
    /// `None` otherwise.
    pub error_bound: Option<Vec<f64>>,
    /// The mean entropy of the batch's targets, (1/n)·Σᵣ H(tᵣ), in nats.
    pub target_entropy: f64,
    /// (1/N)·Σᵣᵢ (|xlogy(tᵣᵢ, tᵣᵢ)| + |tᵣᵢ·inputᵣᵢ|): the sum of the
    /// magnitudes of the loss's terms, the condition quantity of its rounding.
    pub loss_magnitude: f64,
}

/// The loss and gradient of `objective` at parameters `w` (row-major C × 5)
/// on the rows `batch` of `split`, with targets `target` (indexed like the
/// split's rows).
///
/// The gradient error bound (first order in u, for the exact gradient at
/// the same W, with the stored targets t̂ taken as exact) is derived row by
/// row:
///
/// ```text
/// logits:   |δzᵢ| ≤ a = γ₅·maxᵢ Σⱼ|Wᵢⱼ xⱼ|                       (dot products of 5 terms)
/// softmax:  |δqᵢ| ≤ qᵢ·ρ,  ρ = 2u·Δ + 4a + γ_{C+4},  Δ = max z − min z
///           (zᵢ − m carries u·Δ + 2a and enters eᵢ and s; exp within 1 ULP = 2u each,
///            s a sum of C terms, the quotient one more rounding)
/// in z:     |δgᵢ| ≤ [qᵢ·σ·(ρ + γ_{C+3}) + 2u·tᵢ] / N,  σ = Σtᵢ
///           (closed form: σ, q·σ, − t, /N;  chain: −t/N, Σ, q·Σ, −: at most C+3 roundings
///            on the q-term and 2 on the t-term, either way)
/// in W:     |δΓᵢⱼ| ≤ Σᵣ |δgᵣᵢ|·|xᵣⱼ| + γₙ·Σᵣ |gᵣᵢ xᵣⱼ|                (a sum of n terms)
/// ```
///
/// # Errors
/// [`TrainingError::Shape`] if `w` is not C × 5 or the target's length is
/// not the split's; [`TrainingError::Label`] or [`TrainingError::Argument`]
/// for a bad co-trained target; [`TrainingError::Shape`] naming `batch` for
/// an empty batch or a row index past the split.
pub fn evaluate(
    split: &Split,
    batch: &[usize],
    w: &[f64],
    target: &Target,
    objective: Objective,
) -> Result<Evaluation, TrainingError> {
    if w.len() != C * D {
        return Err(TrainingError::Shape {
            arg: "w",
            index: 0,
            got: w.len(),
            expected: C * D,
        });
    }
    target.check(split.len())?;
    if batch.is_empty() {
        return Err(TrainingError::Shape {
            arg: "batch",
            index: 0,
            got: 0,
            expected: 1,
        });
    }
    if let Some(index) = batch.iter().position(|&r| r >= split.len()) {
        return Err(TrainingError::Shape {
            arg: "batch",
            index,
            got: batch[index],
            expected: split.len(),
        });
    }
    let n = batch.len();
    let divisor = objective.divisor(n);
    let bounded = matches!(
        (objective, target),
        (
            Objective::CrossEntropy | Objective::KlDiv(_),
            Target::Fixed(_) | Target::CoTrained { detach: true, .. }
        )
    );
    let mut gradient = vec![0.0; C * D];
    let mut magnitude = vec![0.0; C * D];
    let mut propagated = [0.0; C * D];
    let mut loss_sum = 0.0;
    let mut entropy_sum = 0.0;
    let mut loss_magnitude = 0.0;
    for &r in batch {
        let x = &split.x[r];
        let f = forward(w, x);
        let (t, moving) = match target {
            Target::Fixed(rows) => (rows[r], None),
            Target::CoTrained {
                labels,
                mix,
                temperature,
                detach,
            } => {
                let (p, _, _) = softmax_of(&forward_logits(w, x).map(|v| v / temperature));
                let mut t = [0.0; C];
                for c in 0..C {
                    t[c] = mix * p[c] + if c == labels[r] { 1.0 - mix } else { 0.0 };
                }
                (t, (!detach).then_some((p, mix / temperature)))
            }
        };
        entropy_sum -= t.iter().map(|&v| xlogy_self(v)).sum::<f64>();
        let input = match objective {
            Objective::KlDivOnProbabilities => f.q,
            _ => f.lsm,
        };
        loss_magnitude += (0..C)
            .map(|c| xlogy_self(t[c]).abs() + (t[c] * input[c]).abs())
            .sum::<f64>();
        let mut g = [0.0; C];
        match objective {
            Objective::CrossEntropy => {
                loss_sum -= (0..C).map(|c| t[c] * f.lsm[c]).sum::<f64>();
                let sigma: f64 = t.iter().sum();
                for c in 0..C {
                    g[c] = (f.q[c] * sigma - t[c]) / divisor;
                }
            }
            Objective::KlDiv(_) => {
                loss_sum += (0..C)
                    .map(|c| xlogy_self(t[c]) - t[c] * f.lsm[c])
                    .sum::<f64>();
                let a = t.map(|v| -v / divisor);
                let sa: f64 = a.iter().sum();
                for c in 0..C {
                    g[c] = a[c] - f.q[c] * sa;
                }
            }
            Objective::KlDivOnProbabilities => {
                loss_sum += (0..C)
                    .map(|c| xlogy_self(t[c]) - t[c] * f.q[c])
                    .sum::<f64>();
                let a = t.map(|v| -v / divisor);
                let aq: f64 = (0..C).map(|c| a[c] * f.q[c]).sum();
                for c in 0..C {
                    g[c] = f.q[c] * (a[c] - aq);
                }
            }
        }
        if let Some((p, scale)) = moving {
            // ∂t/∂z = (λ/τ)·(diag p − p pᵀ), so the chain rule adds
            // (λ/τ)·p ⊙ (v − ⟨p, v⟩)/N with v = ∂(row loss)/∂t up to a
            // constant: v = −ℓ (cross-entropy), ln t − ℓ (KL), ln t − q (KL
            // on probabilities).
            let v: [f64; C] = match objective {
                Objective::CrossEntropy => f.lsm.map(|l| -l),
                Objective::KlDiv(_) => std::array::from_fn(|c| t[c].ln() - f.lsm[c]),
                Objective::KlDivOnProbabilities => std::array::from_fn(|c| t[c].ln() - f.q[c]),
            };
            let pv: f64 = (0..C).map(|c| p[c] * v[c]).sum();
            for c in 0..C {
                g[c] += scale * p[c] * (v[c] - pv) / divisor;
            }
        }
        let rho = 2.0 * U * f.spread + 4.0 * f.logit_error + gamma(C + 4);
        let sigma: f64 = t.iter().sum();
        for c in 0..C {
            let dg = (f.q[c] * sigma * (rho + gamma(C + 3)) + 2.0 * U * t[c]) / divisor;
            for j in 0..D {
                gradient[c * D + j] += g[c] * x[j];
                magnitude[c * D + j] += (g[c] * x[j]).abs();
                propagated[c * D + j] += dg * x[j].abs();
            }
        }
    }
    let error_bound = bounded.then(|| {
        propagated
            .iter()
            .zip(&magnitude)
            .map(|(p, m)| p + gamma(n) * m)
            .collect()
    });
    Ok(Evaluation {
        loss: loss_sum / divisor,
        gradient,
        error_bound,
        target_entropy: entropy_sum / n as f64,
        loss_magnitude: loss_magnitude / divisor,
    })
}

/// The logits of the linear model, zᶜ = Σⱼ w[c·D + j]·xⱼ (row-major weights,
/// one row of D per class, summed in order j = 0, 1, …), in the precision
/// of the weights: f64 here, f32 for the single-precision runs
/// ([`super::float32`]).
pub(super) fn forward_logits<T>(w: &[T], x: &[T; D]) -> [T; C]
where
    T: Copy + std::ops::Mul<Output = T> + std::iter::Sum,
{
    std::array::from_fn(|c| {
        w[c * D..(c + 1) * D]
            .iter()
            .zip(x)
            .map(|(&a, &b)| a * b)
            .sum()
    })
}

/// Held-out metrics of parameters `w`: the mean negative log-likelihood
/// −(1/n)·Σᵣ ln softmax(zᵣ)_{yᵣ} (nats) and the accuracy (argmax, ties to
/// the lower class index). NaN parameters give NaN for both.
pub fn held_out(split: &Split, w: &[f64]) -> (f64, f64) {
    if w.iter().any(|v| v.is_nan()) {
        return (f64::NAN, f64::NAN);
    }
    let mut nll = 0.0;
    let mut correct = 0usize;
    for (x, &y) in split.x.iter().zip(&split.species) {
        let f = forward(w, x);
        nll -= f.lsm[y];
        let best = (0..C).fold(0, |b, c| if f.q[c] > f.q[b] { c } else { b });
        correct += usize::from(best == y);
    }
    let n = split.len() as f64;
    (nll / n, correct as f64 / n)
}

/// Minibatch descent: batches of `size` consecutive rows of a permutation
/// drawn anew each epoch from `crate::seed::stream(seed, MINIBATCH_STREAM, epoch)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minibatch {
    /// Rows per batch (the last batch of an epoch may be smaller).
    pub size: usize,
    /// The seed of the stream.
    pub seed: u64,
}

/// The stream name of the minibatch permutations.
pub const MINIBATCH_STREAM: &str = "training/minibatch";

/// The batches of one epoch of `n` rows.
pub fn epoch_batches(n: usize, m: Minibatch, epoch: u64) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = crate::seed::stream(m.seed, MINIBATCH_STREAM, epoch);
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    order.chunks(m.size.max(1)).map(|c| c.to_vec()).collect()
}

/// A training run's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// The loss formulation.
    pub objective: Objective,
    /// The targets of the training rows.
    pub target: Target,
    /// The fixed step size η.
    pub rate: f64,
    /// The number of steps.
    pub steps: usize,
    /// Minibatches, or `None` for full-batch descent.
    pub batch: Option<Minibatch>,
}

/// What a run records at each step k = 0 … steps (before step k's update).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    /// k.
    pub step: usize,
    /// The loss value the call returns on the batch of step k (nats).
    pub train_loss: f64,
    /// The mean target entropy of that batch (nats).
    pub target_entropy: f64,
    /// The held-out mean negative log-likelihood (nats).
    pub held_out_nll: f64,
    /// The held-out accuracy (fraction).
    pub held_out_accuracy: f64,
}

/// A run: its records, its iterates, and the per-step rounding bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// One record per step, k = 0 … steps.
    pub records: Vec<Record>,
    /// θ_k, k = 0 … steps.
    pub params: Vec<Vec<f64>>,
    /// εₖ ≥ ‖computed θ_{k+1} − (θ_k − η∇L(θ_k))‖₂, for k < steps, where
    /// [`Evaluation::error_bound`] is derived; `None` otherwise. Per entry:
    /// η·|δΓ| + u·η·|Γ| + u·|θ_{k+1}| (the product η·Γ and the subtraction).
    pub step_error: Option<Vec<f64>>,
    /// maxₖ η·(n/N)·L_k / 2, with L_k = maxᵣ(Σᵢtᵣᵢ)·(1/n)·Σᵣ‖xᵣ‖²/2 a
    /// bound on the Hessian of the batch's mean cross-entropy: at most 1
    /// means every step is non-expansive (see [`path_bound`]).
    pub expansion: f64,
}

/// Trains from W = 0.
///
/// # Errors
/// [`TrainingError::Argument`] for a rate that is not finite and positive
/// or a zero batch size; as [`evaluate`] for the target.
pub fn train(train: &Split, held: &Split, config: &RunConfig) -> Result<Run, TrainingError> {
    if !(config.rate.is_finite() && config.rate > 0.0) {
        return Err(TrainingError::Argument {
            arg: "rate",
            value: config.rate,
            allowed: "(0, ∞)",
        });
    }
    if config.batch.is_some_and(|b| b.size == 0) {
        return Err(TrainingError::Argument {
            arg: "batch size",
            value: 0.0,
            allowed: "1, 2, …",
        });
    }
    let full: Vec<usize> = (0..train.len()).collect();
    let mut epochs: Vec<Vec<Vec<usize>>> = Vec::new();
    let mut batch_of = |k: usize| -> Vec<usize> {
        match config.batch {
            None => full.clone(),
            Some(m) => {
                let per_epoch = train.len().div_ceil(m.size);
                let epoch = k / per_epoch;
                while epochs.len() <= epoch {
                    epochs.push(epoch_batches(train.len(), m, epochs.len() as u64));
                }
                epochs[epoch][k % per_epoch].clone()
            }
        }
    };
    let mut w = vec![0.0; C * D];
    let mut records = Vec::with_capacity(config.steps + 1);
    let mut params = Vec::with_capacity(config.steps + 1);
    let mut step_error = Some(Vec::with_capacity(config.steps));
    let mut expansion: f64 = 0.0;
    for k in 0..=config.steps {
        let batch = batch_of(k);
        let e = evaluate(train, &batch, &w, &config.target, config.objective)?;
        let (nll, accuracy) = held_out(held, &w);
        records.push(Record {
            step: k,
            train_loss: e.loss,
            target_entropy: e.target_entropy,
            held_out_nll: nll,
            held_out_accuracy: accuracy,
        });
        params.push(w.clone());
        if k == config.steps {
            break;
        }
        let n = batch.len() as f64;
        let sigma = match &config.target {
            Target::Fixed(rows) => batch
                .iter()
                .map(|&r| rows[r].iter().sum::<f64>())
                .fold(0.0, f64::max),
            Target::CoTrained { .. } => 1.0,
        };
        let trace = batch
            .iter()
            .map(|&r| train.x[r].iter().map(|v| v * v).sum::<f64>())
            .sum::<f64>()
            / n;
        let effective = config.rate * n / config.objective.divisor(batch.len());
        // The bound on L is rounded up by γ_{5n+2} so that rounding cannot hide a violation.
        expansion =
            expansion.max(effective * sigma * trace / 4.0 * (1.0 + gamma(D * batch.len() + 2)));
        let next: Vec<f64> = w
            .iter()
            .zip(&e.gradient)
            .map(|(a, g)| a - config.rate * g)
            .collect();
        step_error = match (step_error, &e.error_bound) {
            (Some(mut v), Some(bound)) => {
                let s: f64 = (0..C * D)
                    .map(|i| {
                        let b = config.rate * bound[i]
                            + U * (config.rate * e.gradient[i]).abs()
                            + U * next[i].abs();
                        b * b
                    })
                    .sum();
                v.push(s.sqrt());
                Some(v)
            }
            _ => None,
        };
        w = next;
    }
    Ok(Run {
        records,
        params,
        step_error,
        expansion,
    })
}

/// The distance between the iterates of two runs and its bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathComparison {
    /// maxₖ ‖θₖᵃ − θₖᵇ‖₂.
    pub max_difference: f64,
    /// maxₖ maxᵢ |θₖᵢᵃ − θₖᵢᵇ|.
    pub max_entry_difference: f64,
    /// The bound at the last step, Σₖ (εₖᵃ + εₖᵇ).
    pub bound: f64,
    /// maxₖ ‖θₖᵃ − θₖᵇ‖₂ / Bₖ over the steps with Bₖ > 0 (≤ 1 when the
    /// bound holds; 0 when the iterates are identical).
    pub worst_ratio: f64,
}

/// Bounds the distance between two runs that take the same exact steps
/// (the same objective up to a constant, the same targets and batches, the
/// same effective rate η·n/N), computed by different formulas.
///
/// ```text
/// ‖θₖᵃ − θₖᵇ‖₂ ≤ Bₖ = Σ_{j<k} (εⱼᵃ + εⱼᵇ)
/// ```
///
/// Derivation: each computed step is θ_{j+1} = T_j(θ_j) + e_j with
/// ‖e_j‖₂ ≤ ε_j, where T_j(θ) = θ − η∇f_j(θ) is the exact step. Each f_j is
/// convex and L_j-smooth, so ∇f_j is co-coercive (Baillon–Haddad) and T_j
/// is non-expansive for η ≤ 2/L_j: ‖T_j(a) − T_j(b)‖ ≤ ‖a − b‖. Hence
/// ‖θ_{j+1}ᵃ − θ_{j+1}ᵇ‖ ≤ ‖θ_jᵃ − θ_jᵇ‖ + εⱼᵃ + εⱼᵇ, and the sum follows from
/// θ₀ᵃ = θ₀ᵇ = 0. The Hessian bound: for a direction V, the second
/// derivative of the mean cross-entropy is (1/n)Σᵣ σᵣ·Var_{qᵣ}(V xᵣ) ≤
/// (1/n)Σᵣ σᵣ‖V xᵣ‖²/2 ≤ maxᵣσᵣ·(1/n)Σᵣ‖xᵣ‖²·‖V‖²/2 (a variance under q is
/// at most half the squared norm), which is [`Run::expansion`]'s L.
///
/// # Errors
/// [`TrainingError::RateTooLarge`] if either run has a step with
/// η·L > 2; [`TrainingError::Shape`] naming `step_error` if either run has
/// no derived step bound or the runs differ in length.
pub fn path_bound(a: &Run, b: &Run) -> Result<PathComparison, TrainingError> {
    for run in [a, b] {
        if run.expansion > 1.0 {
            return Err(TrainingError::RateTooLarge {
                rate: run.expansion * 2.0,
                limit: 2.0,
            });
        }
    }
    let (Some(ea), Some(eb)) = (&a.step_error, &b.step_error) else {
        return Err(TrainingError::Shape {
            arg: "step_error",
            index: 0,
            got: 0,
            expected: a.params.len().saturating_sub(1),
        });
    };
    if a.params.len() != b.params.len() || ea.len() != eb.len() {
        return Err(TrainingError::Shape {
            arg: "step_error",
            index: 0,
            got: eb.len(),
            expected: ea.len(),
        });
    }
    let mut bound = 0.0;
    let mut out = PathComparison {
        max_difference: 0.0,
        max_entry_difference: 0.0,
        bound: 0.0,
        worst_ratio: 0.0,
    };
    for (k, (pa, pb)) in a.params.iter().zip(&b.params).enumerate() {
        if k > 0 {
            bound += ea[k - 1] + eb[k - 1];
        }
        let d2: f64 = pa.iter().zip(pb).map(|(x, y)| (x - y) * (x - y)).sum();
        let d = d2.sqrt();
        let entry = pa
            .iter()
            .zip(pb)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        out.max_difference = out.max_difference.max(d);
        out.max_entry_difference = out.max_entry_difference.max(entry);
        if bound > 0.0 {
            out.worst_ratio = out.worst_ratio.max(d / bound);
        } else if d > 0.0 {
            out.worst_ratio = f64::INFINITY;
        }
    }
    out.bound = bound;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::training::data::penguins;

    #[test]
    fn arguments_are_checked_by_name() {
        let d = penguins(crate::seed::DEFAULT_SEED).unwrap();
        let t = Target::one_hot(&d.train.species).unwrap();
        let rows = [0, 1];
        assert_eq!(
            evaluate(&d.train, &rows, &[0.0; 3], &t, Objective::CrossEntropy),
            Err(TrainingError::Shape {
                arg: "w",
                index: 0,
                got: 3,
                expected: 15
            })
        );
        assert_eq!(
            evaluate(&d.train, &[0, 999], &[0.0; 15], &t, Objective::CrossEntropy),
            Err(TrainingError::Shape {
                arg: "batch",
                index: 1,
                got: 999,
                expected: 222
            })
        );
        assert_eq!(
            Target::one_hot(&[0, 3]),
            Err(TrainingError::Label {
                arg: "labels",
                index: 1,
                value: 3,
                classes: 3
            })
        );
        assert!(matches!(
            Target::smoothed(&[0], 1.5),
            Err(TrainingError::Argument { arg: "epsilon", .. })
        ));
        let config = RunConfig {
            objective: Objective::CrossEntropy,
            target: t,
            rate: f64::NAN,
            steps: 1,
            batch: None,
        };
        assert!(matches!(
            train(&d.train, &d.held_out, &config),
            Err(TrainingError::Argument { arg: "rate", .. })
        ));
    }

    #[test]
    fn at_zero_weights_the_losses_take_their_closed_forms() {
        let d = penguins(crate::seed::DEFAULT_SEED).unwrap();
        let t = Target::one_hot(&d.train.species).unwrap();
        let rows: Vec<usize> = (0..d.train.len()).collect();
        let w = [0.0; C * D];
        // q = (1/3, 1/3, 1/3): CE = ln 3 (the log-softmax of equal logits is
        // −ln 3 within one rounding of ln, then a mean of n equal terms).
        let ce = evaluate(&d.train, &rows, &w, &t, Objective::CrossEntropy).unwrap();
        let ln3 = 3f64.ln();
        assert!((ce.loss - ln3).abs() <= gamma(rows.len() + 2) * ln3);
        let kl = evaluate(&d.train, &rows, &w, &t, Objective::KlDiv(Reduction::Mean)).unwrap();
        assert!((kl.loss - ln3 / 3.0).abs() <= gamma(3 * rows.len() + 3) * ln3);
        // Each row's gradient in z, (q − t)/n, sums to 0 over the classes, so
        // the bias entries (input 1) sum to 0 up to rounding: the sums carry
        // at most γ_{n+4} times Σᵣ Σ_c |qᵣc − tᵣc|/n ≤ 2.
        let bias: f64 = (0..C).map(|c| ce.gradient[c * D]).sum();
        assert!(bias.abs() <= gamma(rows.len() + 4) * 2.0);
    }

    #[test]
    fn minibatches_cover_every_row_once_per_epoch() {
        let m = Minibatch { size: 32, seed: 7 };
        let batches = epoch_batches(222, m, 0);
        assert_eq!(batches.len(), 7);
        let mut all: Vec<usize> = batches.concat();
        all.sort_unstable();
        assert_eq!(all, (0..222).collect::<Vec<_>>());
        assert_ne!(batches, epoch_batches(222, m, 1));
    }
}
