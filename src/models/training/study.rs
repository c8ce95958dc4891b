//! The training page's runs, and the numbers it states, as plain data.

use crate::models::training::TrainingError;
use crate::models::training::binary::{self, BinaryObjective};
use crate::models::training::data::{CLASSES, Dataset, penguins};
use crate::models::training::float32::{self, Failure, LogProbabilities};
use crate::models::training::softmax::{
    Evaluation, Minibatch, Objective, PathComparison, Record, Reduction, Run, RunConfig, Target,
    evaluate, path_bound, train,
};
use crate::numerics::{U, gamma};

/// The step size of every f64 run: η = 0.5 (exact in binary). The mean
/// cross-entropy of the standardized data has L ≤ (1/n)·Σ‖x‖²/2 = 2.5, so
/// η ≤ 2/L and each step is non-expansive.
pub const RATE: f64 = 0.5;
/// The number of gradient steps of every run.
pub const STEPS: usize = 300;
/// The label-smoothing ε.
pub const SMOOTHING: f64 = 0.1;
/// The fixed teacher is softmax(z/τ) of the reference model after
/// [`STEPS`] steps, at this temperature τ.
pub const TEACHER_TEMPERATURE: f64 = 4.0;
/// The co-trained target's weight λ on the model's own softened prediction.
pub const CO_TRAINED_MIX: f64 = 0.5;
/// The co-trained target's temperature τ.
pub const CO_TRAINED_TEMPERATURE: f64 = 2.0;
/// Rows per minibatch.
pub const MINIBATCH_SIZE: usize = 32;
/// The float32 runs' step size: large enough that the logits of some row
/// spread by more than 104 (at rate 16 the largest spread is 77, and
/// nothing fails).
pub const FLOAT32_RATE: f32 = 32.0;

/// One curve of a figure: a run's records and the PyTorch call it follows.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// A short identifier (the CSV's `series` column).
    pub id: &'static str,
    /// The legend, in words.
    pub label: &'static str,
    /// The PyTorch call, one line.
    pub call: &'static str,
    /// The step size of the run.
    pub rate: f64,
    /// One record per step.
    pub records: Vec<Record>,
    /// The index of an earlier curve of the same figure that this one
    /// follows (drawn dashed over it), if the page states they coincide.
    pub follows: Option<usize>,
}

/// A figure: curves of loss, held-out NLL and held-out accuracy against the step.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The file stem: `<stem>.svg` and `data/<stem>.csv`.
    pub stem: &'static str,
    /// The caption.
    pub title: &'static str,
    /// The curves.
    pub curves: Vec<Curve>,
}

/// The data as the page describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSummary {
    /// Data rows in the file.
    pub rows_in_file: usize,
    /// Rows dropped for an `NA`.
    pub dropped: usize,
    /// Training rows.
    pub train: usize,
    /// Held-out rows.
    pub held_out: usize,
    /// Training rows per species.
    pub train_per_class: [usize; CLASSES],
    /// The share of males in the held-out split.
    pub held_out_male_share: f64,
    /// Training means of the four features.
    pub mean: [f64; 4],
    /// Training standard deviations of the four features.
    pub std: [f64; 4],
}

/// A CE run against its KL twin: the iterates, and the loss offset at the same parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Equivalence {
    /// What the targets are, in words.
    pub targets: &'static str,
    /// The distance between the iterates and its bound.
    pub paths: PathComparison,
    /// The mean target entropy H̄ (nats) — over all training rows, or its
    /// range over the minibatches for a minibatch run: (min, max).
    pub entropy: (f64, f64),
    /// maxₖ |KL(θₖ) − CE(θₖ) + H̄ₖ| at the cross-entropy run's iterates.
    pub offset_error: f64,
    /// The largest ratio of that error to its rounding bound (≤ 1).
    pub offset_ratio: f64,
    /// The final losses (CE, KL), nats.
    pub final_losses: (f64, f64),
    /// The final held-out NLL and accuracy of the CE run.
    pub final_held_out: (f64, f64),
}

/// The `mean` reduction, against `batchmean`.
#[derive(Debug, Clone, PartialEq)]
pub struct MeanReduction {
    /// divisor(mean)/divisor(batchmean) for the training split: C.
    pub factor: f64,
    /// The gradients at W = 0: max over entries of |g_batchmean/g_mean − C|/C.
    pub gradient_ratio_error: f64,
    /// The largest ratio of that relative error to its first-order bound
    /// e_b/|g_b| + e_m/|g_m| (each gradient's [`Evaluation::error_bound`]
    /// over its value; the exact gradients are in ratio C exactly, since the
    /// divisors are exact integers): ≤ 1.
    pub gradient_ratio_worst: f64,
    /// The rate-C·η `mean` run against the reference.
    pub scaled: PathComparison,
    /// Final held-out (NLL, accuracy): reference, `mean` at η, `mean` at C·η.
    pub final_held_out: [(f64, f64); 3],
}

/// Probabilities passed where log-probabilities are expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Probabilities {
    /// The loss at W = 0 and at the last step (nats; negative).
    pub losses: (f64, f64),
    /// −1/C: the infimum of the loss for one-hot targets (every qᵣ,yᵣ = 1).
    pub infimum: f64,
    /// Final held-out (NLL, accuracy) of the reference and of this run.
    pub final_held_out: [(f64, f64); 2],
    /// The final mean training probability of the true class, reference and this run.
    pub final_true_class_probability: (f64, f64),
}

/// The sigmoid case.
#[derive(Debug, Clone, PartialEq)]
pub struct Sigmoid {
    /// The largest |∂loss/∂zᵣ| over negatives and steps, under the KL call (0).
    pub max_negative_gradient: f64,
    /// Final held-out (BCE, accuracy, share predicted 1): BCE run, KL run.
    pub final_held_out: [(f64, f64, f64); 2],
    /// The KL run's final loss.
    pub final_kl_loss: f64,
}

/// The float32 case.
#[derive(Debug, Clone, PartialEq)]
pub struct Float32 {
    /// The step size.
    pub rate: f32,
    /// Where `log(softmax)` first gives a non-finite loss.
    pub failure: Option<Failure>,
    /// log_softmax at the failing row's logits (all finite).
    pub log_softmax_at_failure: Option<[f32; CLASSES]>,
    /// Whether every loss of the `log_softmax` run is finite.
    pub log_softmax_finite: bool,
    /// The largest logit spread of the `log_softmax` run.
    pub log_softmax_max_spread: f32,
    /// Final held-out (NLL, accuracy): `log(softmax)` run, `log_softmax` run.
    pub final_held_out: [(f64, f64); 2],
}

/// The co-trained teacher.
#[derive(Debug, Clone, PartialEq)]
pub struct CoTrained {
    /// Along the detached run: max over steps of ‖g_KL − g_CE‖∞ and the
    /// largest ratio of an entry's difference to its rounding bound.
    pub detached: (f64, f64),
    /// Along the same iterates without `detach`: (min, max) over steps of
    /// ‖g_CE − g_KL‖∞ (the ∇H(t_θ) term).
    pub attached: (f64, f64),
    /// Final held-out (NLL, accuracy): CE attached, KL attached, detached.
    pub final_held_out: [(f64, f64); 3],
    /// Final mean target entropy: CE attached, KL attached, detached.
    pub final_entropy: [f64; 3],
}

/// Everything the training page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingStudy {
    /// The data.
    pub data: DataSummary,
    /// The figures, in page order.
    pub figures: Vec<Figure>,
    /// One-hot, label-smoothed and teacher targets: CE against KL (batchmean).
    pub equivalences: Vec<Equivalence>,
    /// The `mean` reduction.
    pub mean: MeanReduction,
    /// Probabilities in place of log-probabilities.
    pub probabilities: Probabilities,
    /// KL on one sigmoid output.
    pub sigmoid: Sigmoid,
    /// float32 log(softmax).
    pub float32: Float32,
    /// The co-trained teacher.
    pub co_trained: CoTrained,
    /// Minibatches with teacher targets: CE against KL.
    pub minibatch: Equivalence,
}

fn summary(d: &Dataset) -> DataSummary {
    let mut train_per_class = [0; CLASSES];
    for &y in &d.train.species {
        train_per_class[y] += 1;
    }
    DataSummary {
        rows_in_file: d.rows_in_file,
        dropped: d.dropped,
        train: d.train.len(),
        held_out: d.held_out.len(),
        train_per_class,
        held_out_male_share: d.held_out.male.iter().sum::<f64>() / d.held_out.len() as f64,
        mean: d.mean,
        std: d.std,
    }
}

fn last(run: &[Record]) -> (f64, f64) {
    let r = run.last().copied().unwrap_or(Record {
        step: 0,
        train_loss: f64::NAN,
        target_entropy: f64::NAN,
        held_out_nll: f64::NAN,
        held_out_accuracy: f64::NAN,
    });
    (r.held_out_nll, r.held_out_accuracy)
}

/// |fl(KL) − fl(CE) + fl(H̄)| at the same parameters, and its bound
/// (CE = H̄ + KL).
///
/// KL − CE + H̄ = 0 exactly for the same computed log-probabilities and
/// targets (the xlogy terms of KL and of H̄ are the same numbers), so only
/// the three sums of n·C terms and the final subtractions round: each term
/// carries at most C + 3 roundings, so each sum is within γ_{nC+3} times its
/// terms' magnitudes (KL's [`Evaluation::loss_magnitude`], which also bounds
/// H̄'s, and CE's), and the two subtractions add 2u·(|KL| + |CE| + |H̄|).
pub fn offset_check(kl: &Evaluation, ce: &Evaluation, rows: usize) -> (f64, f64) {
    let error = (kl.loss - ce.loss + kl.target_entropy).abs();
    let bound = gamma(rows * CLASSES + 3) * (2.0 * kl.loss_magnitude + ce.loss_magnitude)
        + 2.0 * U * (kl.loss.abs() + ce.loss.abs() + kl.target_entropy.abs());
    (error, bound)
}

fn equivalence(
    d: &Dataset,
    targets: &'static str,
    target: &Target,
    batch: Option<Minibatch>,
) -> Result<(Equivalence, Run, Run), TrainingError> {
    let config = |objective| RunConfig {
        objective,
        target: target.clone(),
        rate: RATE,
        steps: STEPS,
        batch,
    };
    let ce = train(&d.train, &d.held_out, &config(Objective::CrossEntropy))?;
    let kl = train(
        &d.train,
        &d.held_out,
        &config(Objective::KlDiv(Reduction::BatchMean)),
    )?;
    let paths = path_bound(&ce, &kl)?;
    let mut offset_error: f64 = 0.0;
    let mut offset_ratio: f64 = 0.0;
    let full: Vec<usize> = (0..d.train.len()).collect();
    let mut entropy = (f64::INFINITY, f64::NEG_INFINITY);
    for (k, w) in ce.params.iter().enumerate() {
        let rows = match batch {
            None => full.clone(),
            Some(m) => batch_rows(d.train.len(), m, k),
        };
        let a = evaluate(
            &d.train,
            &rows,
            w,
            target,
            Objective::KlDiv(Reduction::BatchMean),
        )?;
        let b = evaluate(&d.train, &rows, w, target, Objective::CrossEntropy)?;
        let (error, bound) = offset_check(&a, &b, rows.len());
        offset_error = offset_error.max(error);
        offset_ratio = offset_ratio.max(if bound > 0.0 { error / bound } else { 0.0 });
        entropy = (
            entropy.0.min(a.target_entropy),
            entropy.1.max(a.target_entropy),
        );
    }
    let final_losses = (ce.records[STEPS].train_loss, kl.records[STEPS].train_loss);
    let final_held_out = last(&ce.records);
    Ok((
        Equivalence {
            targets,
            paths,
            entropy,
            offset_error,
            offset_ratio,
            final_losses,
            final_held_out,
        },
        ce,
        kl,
    ))
}

/// The rows of step k's minibatch (as [`train`] draws them).
pub fn batch_rows(n: usize, m: Minibatch, k: usize) -> Vec<usize> {
    let per_epoch = n.div_ceil(m.size);
    let epoch = (k / per_epoch) as u64;
    crate::models::training::softmax::epoch_batches(n, m, epoch).swap_remove(k % per_epoch)
}

fn curve(
    id: &'static str,
    label: &'static str,
    call: &'static str,
    rate: f64,
    records: &[Record],
    follows: Option<usize>,
) -> Curve {
    Curve {
        id,
        label,
        call,
        rate,
        records: records.to_vec(),
        follows,
    }
}

const CE_CALL: &str = "F.cross_entropy(logits, y)";
const KL_ONE_HOT_CALL: &str =
    "F.kl_div(F.log_softmax(logits, -1), F.one_hot(y, 3).float(), reduction='batchmean')";
const CE_SOFT_CALL: &str = "F.cross_entropy(logits, target)";
const KL_SOFT_CALL: &str = "F.kl_div(F.log_softmax(logits, -1), target, reduction='batchmean')";
const KL_MEAN_CALL: &str = "F.kl_div(F.log_softmax(logits, -1), F.one_hot(y, 3).float())";

/// Runs every training run of the page at `seed` (the split and the
/// minibatches are drawn from it).
///
/// # Errors
/// [`TrainingError`] if a run's settings are rejected (a bug in this crate),
/// including [`TrainingError::RateTooLarge`] if a compared run's steps are
/// not provably non-expansive.
pub fn study(seed: u64) -> Result<TrainingStudy, TrainingError> {
    let d = penguins(seed)?;
    let n = d.train.len();
    let one_hot = Target::one_hot(&d.train.species)?;
    let smoothed = Target::smoothed(&d.train.species, SMOOTHING)?;
    let (eq_one_hot, ce, kl) = equivalence(&d, "one-hot labels", &one_hot, None)?;
    let reference = ce.params[STEPS].clone();
    let teacher_rows: Vec<[f64; CLASSES]> = d
        .train
        .x
        .iter()
        .map(|x| {
            let z: [f64; CLASSES] = std::array::from_fn(|c| {
                reference[c * 5..(c + 1) * 5]
                    .iter()
                    .zip(x)
                    .map(|(a, b)| a * b / TEACHER_TEMPERATURE)
                    .sum()
            });
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e = z.map(|v| (v - m).exp());
            let s: f64 = e.iter().sum();
            e.map(|v| v / s)
        })
        .collect();
    let teacher = Target::teacher(teacher_rows)?;
    let (eq_smooth, ce_s, kl_s) = equivalence(&d, "label smoothing ε = 0.1", &smoothed, None)?;
    let (eq_teacher, ce_t, kl_t) =
        equivalence(&d, "a fixed teacher's probabilities", &teacher, None)?;
    let equivalent = Figure {
        stem: "training-equivalent",
        title: "cross-entropy and KL (batchmean): same path, losses offset by H̄",
        curves: vec![
            curve(
                "ce_one_hot",
                "F.cross_entropy, one-hot labels",
                CE_CALL,
                RATE,
                &ce.records,
                None,
            ),
            curve(
                "kl_one_hot",
                "F.kl_div batchmean, one-hot (on top)",
                KL_ONE_HOT_CALL,
                RATE,
                &kl.records,
                Some(0),
            ),
            curve(
                "ce_smoothed",
                "F.cross_entropy, smoothed targets",
                CE_SOFT_CALL,
                RATE,
                &ce_s.records,
                None,
            ),
            curve(
                "kl_smoothed",
                "F.kl_div batchmean, smoothed targets",
                KL_SOFT_CALL,
                RATE,
                &kl_s.records,
                Some(2),
            ),
            curve(
                "ce_teacher",
                "F.cross_entropy, teacher targets",
                CE_SOFT_CALL,
                RATE,
                &ce_t.records,
                None,
            ),
            curve(
                "kl_teacher",
                "F.kl_div batchmean, teacher targets",
                KL_SOFT_CALL,
                RATE,
                &kl_t.records,
                Some(4),
            ),
        ],
    };

    // 3. reduction='mean'.
    let c = CLASSES as f64;
    let mean_config = |rate| RunConfig {
        objective: Objective::KlDiv(Reduction::Mean),
        target: one_hot.clone(),
        rate,
        steps: STEPS,
        batch: None,
    };
    let mean_run = train(&d.train, &d.held_out, &mean_config(RATE))?;
    let scaled_run = train(&d.train, &d.held_out, &mean_config(c * RATE))?;
    let full: Vec<usize> = (0..n).collect();
    let zero = vec![0.0; CLASSES * 5];
    let g_batch = evaluate(
        &d.train,
        &full,
        &zero,
        &one_hot,
        Objective::KlDiv(Reduction::BatchMean),
    )?;
    let g_mean = evaluate(
        &d.train,
        &full,
        &zero,
        &one_hot,
        Objective::KlDiv(Reduction::Mean),
    )?;
    let (mut gradient_ratio_error, mut gradient_ratio_worst) = (0.0f64, 0.0f64);
    if let (Some(eb), Some(em)) = (&g_batch.error_bound, &g_mean.error_bound) {
        for i in 0..g_batch.gradient.len() {
            let (b, m) = (g_batch.gradient[i], g_mean.gradient[i]);
            if m != 0.0 && b != 0.0 {
                let error = (b / m - c).abs() / c;
                let bound = eb[i] / b.abs() + em[i] / m.abs();
                gradient_ratio_error = gradient_ratio_error.max(error);
                gradient_ratio_worst = gradient_ratio_worst.max(error / bound);
            }
        }
    }
    let mean = MeanReduction {
        factor: Reduction::Mean.divisor(n, CLASSES) / Reduction::BatchMean.divisor(n, CLASSES),
        gradient_ratio_error,
        gradient_ratio_worst,
        scaled: path_bound(&ce, &scaled_run)?,
        final_held_out: [
            last(&ce.records),
            last(&mean_run.records),
            last(&scaled_run.records),
        ],
    };
    let mean_figure = Figure {
        stem: "training-mean",
        title: "reduction='mean' divides the gradient by C = 3",
        curves: vec![
            curve(
                "ce",
                "F.cross_entropy, rate 0.5",
                CE_CALL,
                RATE,
                &ce.records,
                None,
            ),
            curve(
                "kl_mean",
                "F.kl_div mean, rate 0.5: C times slower",
                KL_MEAN_CALL,
                RATE,
                &mean_run.records,
                None,
            ),
            curve(
                "kl_mean_scaled",
                "F.kl_div mean, rate 1.5 = C × 0.5 (on top)",
                KL_MEAN_CALL,
                c * RATE,
                &scaled_run.records,
                Some(0),
            ),
        ],
    };

    // 4. Probabilities where log-probabilities are expected.
    let prob_run = train(
        &d.train,
        &d.held_out,
        &RunConfig {
            objective: Objective::KlDivOnProbabilities,
            target: one_hot.clone(),
            rate: RATE,
            steps: STEPS,
            batch: None,
        },
    )?;
    let true_class = |w: &[f64]| {
        d.train
            .x
            .iter()
            .zip(&d.train.species)
            .map(|(x, &y)| crate::models::training::softmax::forward(w, x).q[y])
            .sum::<f64>()
            / n as f64
    };
    let probabilities = Probabilities {
        losses: (
            prob_run.records[0].train_loss,
            prob_run.records[STEPS].train_loss,
        ),
        infimum: -1.0 / c,
        final_held_out: [last(&ce.records), last(&prob_run.records)],
        final_true_class_probability: (
            true_class(&ce.params[STEPS]),
            true_class(&prob_run.params[STEPS]),
        ),
    };
    let prob_figure = Figure {
        stem: "training-probabilities",
        title: "probabilities where log-probabilities are expected",
        curves: vec![
            curve("ce", "F.cross_entropy", CE_CALL, RATE, &ce.records, None),
            curve(
                "kl_on_softmax",
                "F.kl_div(F.softmax(logits)) (a negative loss)",
                "F.kl_div(F.softmax(logits, -1), F.one_hot(y, 3).float())",
                RATE,
                &prob_run.records,
                None,
            ),
        ],
    };

    // 5. Sigmoid.
    let bce = binary::train(
        &d.train,
        &d.held_out,
        BinaryObjective::BceWithLogits,
        RATE,
        STEPS,
    )?;
    let ksig = binary::train(
        &d.train,
        &d.held_out,
        BinaryObjective::KlDivOnSigmoid,
        RATE,
        STEPS,
    )?;
    let share = |r: &binary::BinaryRun| {
        let (nll, acc) = last(&r.records);
        (
            nll,
            acc,
            r.predicted_one.last().copied().unwrap_or(f64::NAN),
        )
    };
    let sigmoid = Sigmoid {
        max_negative_gradient: ksig.max_negative_gradient,
        final_held_out: [share(&bce), share(&ksig)],
        final_kl_loss: ksig.records[STEPS].train_loss,
    };
    let sigmoid_figure = Figure {
        stem: "training-sigmoid",
        title: "male or female: BCE against a KL on one sigmoid output",
        curves: vec![
            curve(
                "bce",
                "F.binary_cross_entropy_with_logits",
                "F.binary_cross_entropy_with_logits(z, y)",
                RATE,
                &bce.records,
                None,
            ),
            curve(
                "kl_sigmoid",
                "F.kl_div(torch.log(torch.sigmoid(z)), y)",
                "F.kl_div(torch.log(torch.sigmoid(z)), y)",
                RATE,
                &ksig.records,
                None,
            ),
        ],
    };

    // 6. float32.
    let bad = float32::train(
        &d.train,
        &d.held_out,
        LogProbabilities::LogOfSoftmax,
        FLOAT32_RATE,
        STEPS,
    )?;
    let good = float32::train(
        &d.train,
        &d.held_out,
        LogProbabilities::LogSoftmax,
        FLOAT32_RATE,
        STEPS,
    )?;
    let float32 = Float32 {
        rate: FLOAT32_RATE,
        failure: bad.failure,
        log_softmax_at_failure: bad
            .failure
            .map(|f| float32::log_probabilities(&f.logits, LogProbabilities::LogSoftmax).0),
        log_softmax_finite: good.records.iter().all(|r| r.train_loss.is_finite()),
        log_softmax_max_spread: good.max_spread,
        final_held_out: [last(&bad.records), last(&good.records)],
    };
    let float32_figure = Figure {
        stem: "training-float32",
        title: "float32, rate 32: log(softmax) against log_softmax",
        curves: vec![
            curve(
                "log_of_softmax",
                "torch.log(F.softmax(logits)): NaN once softmax underflows",
                "F.kl_div(torch.log(F.softmax(logits, -1)), target, reduction='batchmean')",
                f64::from(FLOAT32_RATE),
                &bad.records,
                None,
            ),
            curve(
                "log_softmax",
                "F.log_softmax(logits)",
                KL_SOFT_CALL,
                f64::from(FLOAT32_RATE),
                &good.records,
                None,
            ),
        ],
    };

    // 7. A co-trained teacher.
    let moving = |detach| Target::CoTrained {
        labels: d.train.species.clone(),
        mix: CO_TRAINED_MIX,
        temperature: CO_TRAINED_TEMPERATURE,
        detach,
    };
    let co_config = |objective, detach| RunConfig {
        objective,
        target: moving(detach),
        rate: RATE,
        steps: STEPS,
        batch: None,
    };
    let kl_bm = Objective::KlDiv(Reduction::BatchMean);
    let ce_att = train(
        &d.train,
        &d.held_out,
        &co_config(Objective::CrossEntropy, false),
    )?;
    let kl_att = train(&d.train, &d.held_out, &co_config(kl_bm, false))?;
    let ce_det = train(
        &d.train,
        &d.held_out,
        &co_config(Objective::CrossEntropy, true),
    )?;
    let kl_det = train(&d.train, &d.held_out, &co_config(kl_bm, true))?;
    let mut detached: (f64, f64) = (0.0, 0.0);
    let mut attached = (f64::INFINITY, 0.0f64);
    for w in &kl_det.params {
        let a = evaluate(&d.train, &full, w, &moving(true), kl_bm)?;
        let b = evaluate(&d.train, &full, w, &moving(true), Objective::CrossEntropy)?;
        if let (Some(ea), Some(eb)) = (&a.error_bound, &b.error_bound) {
            for i in 0..a.gradient.len() {
                let diff = (a.gradient[i] - b.gradient[i]).abs();
                detached.0 = detached.0.max(diff);
                let bound = ea[i] + eb[i];
                detached.1 = detached.1.max(if bound > 0.0 { diff / bound } else { 0.0 });
            }
        }
        let a = evaluate(&d.train, &full, w, &moving(false), kl_bm)?;
        let b = evaluate(&d.train, &full, w, &moving(false), Objective::CrossEntropy)?;
        let diff = a
            .gradient
            .iter()
            .zip(&b.gradient)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        attached = (attached.0.min(diff), attached.1.max(diff));
    }
    let co_trained = CoTrained {
        detached,
        attached,
        final_held_out: [
            last(&ce_att.records),
            last(&kl_att.records),
            last(&kl_det.records),
        ],
        final_entropy: [
            ce_att.records[STEPS].target_entropy,
            kl_att.records[STEPS].target_entropy,
            kl_det.records[STEPS].target_entropy,
        ],
    };
    let co_figure = Figure {
        stem: "training-teacher",
        title: "a co-trained teacher: without detach, CE and KL train differently",
        curves: vec![
            curve(
                "ce_attached",
                "F.cross_entropy, teacher not detached",
                CE_SOFT_CALL,
                RATE,
                &ce_att.records,
                None,
            ),
            curve(
                "kl_attached",
                "F.kl_div batchmean, teacher not detached",
                KL_SOFT_CALL,
                RATE,
                &kl_att.records,
                None,
            ),
            curve(
                "ce_detached",
                "F.cross_entropy, target.detach()",
                "F.cross_entropy(logits, target.detach())",
                RATE,
                &ce_det.records,
                None,
            ),
            curve(
                "kl_detached",
                "F.kl_div batchmean, target.detach() (on top)",
                "F.kl_div(F.log_softmax(logits, -1), target.detach(), reduction='batchmean')",
                RATE,
                &kl_det.records,
                Some(2),
            ),
        ],
    };

    // 8. Minibatches.
    let m = Minibatch {
        size: MINIBATCH_SIZE,
        seed,
    };
    let (minibatch, ce_m, kl_m) = equivalence(
        &d,
        "a fixed teacher's probabilities, minibatches of 32",
        &teacher,
        Some(m),
    )?;
    let minibatch_figure = Figure {
        stem: "training-minibatch",
        title: "minibatches of 32: the loss offset moves, the path does not",
        curves: vec![
            curve(
                "ce_minibatch",
                "F.cross_entropy on each minibatch",
                CE_SOFT_CALL,
                RATE,
                &ce_m.records,
                None,
            ),
            curve(
                "kl_minibatch",
                "F.kl_div batchmean on each minibatch (on top)",
                KL_SOFT_CALL,
                RATE,
                &kl_m.records,
                Some(0),
            ),
        ],
    };
    Ok(TrainingStudy {
        data: summary(&d),
        figures: vec![
            equivalent,
            mean_figure,
            prob_figure,
            sigmoid_figure,
            float32_figure,
            co_figure,
            minibatch_figure,
        ],
        equivalences: vec![eq_one_hot, eq_smooth, eq_teacher],
        mean,
        probabilities,
        sigmoid,
        float32,
        co_trained,
        minibatch,
    })
}
