//! training.md: real training runs, cross-entropy against the KL calls.

use super::{header, percent};
use crate::report::evidence::Evidence;
use crate::report::format::{cell, fixed, sci};

/// A figure's picture, its CSV link and each curve's call.
fn training_figure(f: &crate::models::training::study::Figure) -> String {
    let mut s = format!(
        "![{}]({}.svg)\n\nData: [`data/{}.csv`](data/{}.csv).\n\n| curve | PyTorch call | rate |\n|---|---|---:|\n",
        f.title, f.stem, f.stem, f.stem
    );
    for c in &f.curves {
        s.push_str(&format!(
            "| {} | `{}` | {} |\n",
            cell(c.label),
            cell(c.call),
            fixed(c.rate, 2)
        ));
    }
    s.push('\n');
    s
}

/// training.md: real training runs, CE against the KL calls.
pub fn training(e: &Evidence) -> String {
    use crate::models::training::study::{
        CO_TRAINED_MIX, CO_TRAINED_TEMPERATURE, MINIBATCH_SIZE, RATE, SMOOTHING, STEPS,
        TEACHER_TEMPERATURE,
    };
    let t = &e.training;
    let d = &t.data;
    let figure = |stem: &str| {
        t.figures
            .iter()
            .find(|f| f.stem == stem)
            .map(training_figure)
            .unwrap_or_default()
    };
    let mut s = header(e, "Training with cross-entropy and with KL: real runs");
    s.push_str(
        "> \"In my experience BCE is far more robust than KL; KL was unusable. Are they \
         equivalent as training losses?\"\n\n\
         Yes, when the KL is the one that equals cross-entropy minus a constant: \
         `F.kl_div(F.log_softmax(logits, -1), target, reduction='batchmean')` with a target \
         that does not depend on the parameters trains exactly like \
         `F.cross_entropy(logits, target)`: the same iterates, step after step, within a \
         rounding bound derived below; only the loss values differ, by the mean entropy of \
         the targets. A KL that is unusable is a different call: the `mean` reduction \
         (C times smaller steps), probabilities passed where log-probabilities are expected, \
         a KL on one sigmoid output (negatives ignored), `torch.log(F.softmax(...))` in \
         float32 (NaN once a probability underflows), or a teacher that is not detached. \
         Each is run below on real data, next to its cross-entropy reference.\n\n",
    );
    s.push_str(&format!(
        "## The data, the model, the optimizer\n\n\
         The Palmer penguins (Gorman, Williams & Fraser 2014, PLoS ONE 9(3):e90081; CC0 1.0; \
         [`data/penguins.csv`](../data/penguins.csv), embedded in the library, see \
         [`data/README.md`](../data/README.md)): {} rows, of which {} have a missing value \
         (`NA`) in a measurement or in the sex and are dropped. The {} complete rows are \
         shuffled with the stream `training/split` of seed {} and split into {} training \
         and {} held-out rows. Training rows per species: Adélie {}, Chinstrap {}, Gentoo {}. \
         The four measurements are standardized with the training split's mean and \
         standard deviation:\n\n\
         | feature | mean | standard deviation |\n|---|---:|---:|\n",
        d.rows_in_file,
        d.dropped,
        d.train + d.held_out,
        e.seed,
        d.train,
        d.held_out,
        d.train_per_class[0],
        d.train_per_class[1],
        d.train_per_class[2],
    ));
    for (k, name) in crate::models::training::data::FEATURES.iter().enumerate() {
        s.push_str(&format!(
            "| `{name}` | {} | {} |\n",
            fixed(d.mean[k], 3),
            fixed(d.std[k], 3)
        ));
    }
    s.push_str(&format!(
        "\nThe model is a softmax regression, logits = W·(1, x̃), W a 3 × 5 matrix starting \
         at 0, trained by plain full-batch gradient descent with a fixed step size η = {} \
         for {} steps (the minibatch run draws its batches from the stream \
         `training/minibatch`). The binary task (sigmoid losses) predicts the sex, male = 1, \
         from the same inputs. Each figure plots, against the step, the training loss as \
         the call returns it, the held-out negative log-likelihood (the mean −ln q(y), the \
         same measure for every run) and the held-out accuracy; its CSV beside it has one \
         line per curve and step (`{}`).\n\n",
        fixed(RATE, 2),
        STEPS,
        crate::report::csv::HEADER
    ));
    s.push_str(
        "### How close is \"the same path\"?\n\n\
         Two runs that take the same exact steps but compute them by different formulas \
         (the closed form (q − t)/n for cross-entropy, the chain rule as autograd runs it \
         for KL) differ by rounding only. Each computed step is the exact step plus an \
         error εₖ, bounded by running error analysis from u = 2⁻⁵³ and the step's own \
         magnitudes (the logits' dot products, the softmax, the gradient sum over the rows, \
         the update). The exact step θ ↦ θ − η∇f(θ) of a convex function whose Hessian is \
         bounded by L is non-expansive when η ≤ 2/L (the gradient is co-coercive), and for \
         softmax regression L ≤ max Σt · (1/n)Σ‖x‖² / 2 = 2.5 on this data, so with \
         η = 0.5 the distance between the two runs after k steps is at most the sum of \
         both runs' εⱼ, j < k. The tables give the largest distance seen and that bound.\n\n",
    );

    // 1–2.
    s.push_str(
        "## Cross-entropy and KL (`batchmean`): the same training\n\n\
         ```python\nF.cross_entropy(logits, y)                                                      # the reference\n\
         F.kl_div(F.log_softmax(logits, -1), F.one_hot(y, 3).float(), reduction='batchmean')\n\
         F.cross_entropy(logits, target)                                                 # soft targets\n\
         F.kl_div(F.log_softmax(logits, -1), target, reduction='batchmean')\n```\n\n",
    );
    s.push_str(&format!(
        "Soft targets: label smoothing, target = one_hot·(1 − ε) + ε/3 with ε = {}, and a \
         fixed teacher's probabilities, softmax(z/{}) of the reference model after {} steps. \
         For each, the cross-entropy run and the KL run:\n\n\
         | targets | mean H(target) (nats) | final CE loss | final KL loss | max ‖θ_CE − θ_KL‖₂ over the run | bound | max \\|KL − CE + H̄\\| at the same θ | held-out NLL | held-out accuracy |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        fixed(SMOOTHING, 2),
        fixed(TEACHER_TEMPERATURE, 0),
        STEPS
    ));
    for q in &t.equivalences {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            q.targets,
            fixed(q.entropy.0, 4),
            fixed(q.final_losses.0, 4),
            sci(q.final_losses.1),
            sci(q.paths.max_difference),
            sci(q.paths.bound),
            sci(q.offset_error),
            fixed(q.final_held_out.0, 4),
            percent(q.final_held_out.1),
        ));
    }
    s.push_str(
        "\nThe KL curves lie on the cross-entropy curves in the held-out panels (dashed on \
         solid); in the training-loss panel each KL curve sits below its cross-entropy curve \
         by the mean entropy of the targets, a constant (0 for one-hot labels, where the two \
         losses are equal). A KL loss near 0 while the cross-entropy stays near H̄ is the \
         same model.\n\n",
    );
    s.push_str(&figure("training-equivalent"));

    // 3.
    let m = &t.mean;
    s.push_str(&format!(
        "## `reduction='mean'`: C times smaller steps\n\n\
         ```python\nF.kl_div(F.log_softmax(logits, -1), F.one_hot(y, 3).float())   # reduction='mean', the default\n```\n\n\
         `mean` divides the elementwise sum by batch × classes where `batchmean` divides by \
         the batch: the divisors are in ratio exactly {} = C, so the loss and its gradient \
         are C times smaller (the gradients at W = 0 are in ratio C to within {} relative, \
         within their rounding bounds), and so is the effective learning rate. At η = {} \
         the `mean` run ends at held-out NLL {} against the reference's {}; with the rate \
         multiplied by C, η = {}, it follows the reference path: max ‖θ − θ_ref‖₂ = {}, \
         bound {}, held-out NLL {}.\n\n",
        fixed(m.factor, 0),
        sci(m.gradient_ratio_error),
        fixed(RATE, 2),
        fixed(m.final_held_out[1].0, 4),
        fixed(m.final_held_out[0].0, 4),
        fixed(m.factor * RATE, 2),
        sci(m.scaled.max_difference),
        sci(m.scaled.bound),
        fixed(m.final_held_out[2].0, 4),
    ));
    s.push_str(&figure("training-mean"));

    // 4.
    let p = &t.probabilities;
    s.push_str(&format!(
        "## Probabilities where log-probabilities are expected\n\n\
         ```python\nF.kl_div(F.softmax(logits, -1), F.one_hot(y, 3).float())   # input should be log-probabilities\n```\n\n\
         `F.kl_div` computes Σ t·(ln t − input); given q instead of ln q, each example \
         contributes −q(y)/(nC) for one-hot targets. The objective drives the mean predicted \
         probability of the true class up, toward 1, and the printed \"KL\" down toward \
         −1/C = {}: it goes from {} at W = 0 to {} after {} steps, a negative value no KL \
         can take. It is a bounded score of probabilities, not of log-probabilities: its \
         gradient q(y)·(e_y − q)/(nC) vanishes on an example whose true class has \
         probability near 0, where cross-entropy's pull is largest. On this data the model \
         still learns (final mean true-class probability {} against the reference's {}), \
         with held-out NLL {} against {} and accuracy {} against {}.\n\n",
        fixed(p.infimum, 4),
        fixed(p.losses.0, 4),
        fixed(p.losses.1, 4),
        STEPS,
        fixed(p.final_true_class_probability.1, 4),
        fixed(p.final_true_class_probability.0, 4),
        fixed(p.final_held_out[1].0, 4),
        fixed(p.final_held_out[0].0, 4),
        percent(p.final_held_out[1].1),
        percent(p.final_held_out[0].1),
    ));
    s.push_str(&figure("training-probabilities"));

    // 5.
    let g = &t.sigmoid;
    s.push_str(&format!(
        "## A KL on one sigmoid output\n\n\
         ```python\nF.binary_cross_entropy_with_logits(z, y)      # the reference\n\
         F.kl_div(torch.log(torch.sigmoid(z)), y)      # one output read as a distribution\n```\n\n\
         The KL call sees one entry per example: its loss is xlogy(y, y) − y·ln σ(z), so a \
         negative example (y = 0, female) contributes exactly 0 and its gradient is exactly \
         0 (largest |∂loss/∂z| over the negatives and all {} steps: {}). Only the positives \
         pull, and they pull z up: the model drifts to predicting 1 for everyone. After {} \
         steps it predicts male for {} of the held-out penguins, so its accuracy is the \
         share of males, {}, with held-out binary cross-entropy {} while its own loss reads \
         {}. Binary cross-entropy on the same data: accuracy {}, held-out BCE {}.\n\n",
        STEPS,
        fixed(g.max_negative_gradient, 1),
        STEPS,
        percent(g.final_held_out[1].2),
        percent(g.final_held_out[1].1),
        fixed(g.final_held_out[1].0, 4),
        fixed(g.final_kl_loss, 4),
        percent(g.final_held_out[0].1),
        fixed(g.final_held_out[0].0, 4),
    ));
    s.push_str(&figure("training-sigmoid"));

    // 6.
    let f = &t.float32;
    s.push_str(&format!(
        "## `torch.log(F.softmax(...))` in float32\n\n\
         ```python\nF.kl_div(torch.log(F.softmax(logits, -1)), target, reduction='batchmean')   # float32\n\
         F.kl_div(F.log_softmax(logits, -1), target, reduction='batchmean')              # float32\n```\n\n\
         Both runs in float32 (Rust `f32`) with one-hot targets and a large step size, \
         η = {}. In float32, exp(x) is 0 for x below about −103.97, so once the logits of a \
         row spread by more than that, softmax returns an exact 0, its log is −∞, and the \
         KL term 0·(−∞) is NaN; the backward pass divides 0 by 0 and every parameter \
         becomes NaN.",
        f.rate
    ));
    if let Some(x) = &f.failure {
        let ls = f.log_softmax_at_failure.unwrap_or([f32::NAN; 3]);
        s.push_str(&format!(
            " Here it happens at step {}: training row {} (species {}) has logits \
             ({}, {}, {}), softmax ({}, {}, {}), and the loss is {}. `F.log_softmax` of the \
             same logits is ({}, {}, {}), finite; the `log_softmax` run stays finite at \
             every step (largest logit spread {}) and ends at held-out accuracy {} and NLL {}.\n\n",
            x.step,
            x.row,
            crate::models::training::data::SPECIES[x.label],
            x.logits[0],
            x.logits[1],
            x.logits[2],
            x.softmax[0],
            x.softmax[1],
            x.softmax[2],
            x.loss,
            ls[0],
            ls[1],
            ls[2],
            f.log_softmax_max_spread,
            percent(f.final_held_out[1].1),
            fixed(f.final_held_out[1].0, 4),
        ));
    } else {
        s.push_str(" In this run no probability underflowed.\n\n");
    }
    s.push_str(&figure("training-float32"));

    // 7.
    let c = &t.co_trained;
    s.push_str(&format!(
        "## A teacher that moves with the parameters\n\n\
         ```python\ntarget = {} * F.one_hot(y, 3) + {} * F.softmax(logits / {}, -1)   # the model's own softened prediction\n\
         F.cross_entropy(logits, target)                                           # or target.detach()\n\
         F.kl_div(F.log_softmax(logits, -1), target, reduction='batchmean')        # or target.detach()\n```\n\n\
         When the target depends on θ and is not detached, autograd differentiates it too, \
         and cross-entropy = H(target) + KL: the two gradients differ by ∇H(target). Along \
         the detached run, the KL and cross-entropy gradients at the same parameters differ \
         by at most {} (the largest ratio to their rounding bound: {}). Without `detach`, \
         at the same parameters they differ by between {} and {} (largest entry, over the \
         steps). Trained, the cross-entropy run lowers the target's entropy (it makes its \
         own teacher confident: mean H(target) {} at the end) where the KL run does not \
         ({}; detached: {}); held-out NLL {} (CE), {} (KL), {} (detached).\n\n",
        fixed(1.0 - CO_TRAINED_MIX, 1),
        fixed(CO_TRAINED_MIX, 1),
        fixed(CO_TRAINED_TEMPERATURE, 0),
        sci(c.detached.0),
        sci(c.detached.1),
        sci(c.attached.0),
        sci(c.attached.1),
        fixed(c.final_entropy[0], 4),
        fixed(c.final_entropy[1], 4),
        fixed(c.final_entropy[2], 4),
        fixed(c.final_held_out[0].0, 4),
        fixed(c.final_held_out[1].0, 4),
        fixed(c.final_held_out[2].0, 4),
    ));
    s.push_str(&figure("training-teacher"));

    // 8.
    let b = &t.minibatch;
    s.push_str(&format!(
        "## Minibatches\n\n\
         ```python\nfor xb, tb in batches:   # {} rows each, teacher targets\n    F.cross_entropy(model(xb), tb)  # or F.kl_div(F.log_softmax(model(xb), -1), tb, reduction='batchmean')\n```\n\n\
         Each example's H(tᵢ) does not depend on θ, so on every minibatch the KL and the \
         cross-entropy have the same gradient: the two runs take the same steps. What moves \
         from batch to batch is the loss *value*: KL = CE − H̄_batch, and H̄_batch ranged \
         from {} to {} nats over this run's batches (max |KL − CE + H̄_batch| at the same θ: \
         {}). The paths coincide: max ‖θ_CE − θ_KL‖₂ = {}, bound {}; held-out NLL {}, \
         accuracy {}. An entropy that varies across minibatches shifts the printed loss, \
         not the training.\n\n",
        MINIBATCH_SIZE,
        fixed(b.entropy.0, 4),
        fixed(b.entropy.1, 4),
        sci(b.offset_error),
        sci(b.paths.max_difference),
        sci(b.paths.bound),
        fixed(b.final_held_out.0, 4),
        percent(b.final_held_out.1),
    ));
    s.push_str(&figure("training-minibatch"));
    s.push_str(
        "## How this page is checked\n\n\
         Every number above comes from the runs, and every statement is asserted by \
         [`tests/training.rs`](../tests/training.rs) and the unit tests of `src/models/training/`: \
         the iterates within their derived bounds, the `mean` factor C, the zero gradient \
         of the negatives, the float32 failure at the stated logits next to a finite \
         `log_softmax`, the detached and attached teacher gradients, and the minibatch paths.\n",
    );
    s
}
