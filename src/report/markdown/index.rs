//! README.md: the question, answered point by point, with links to the
//! evidence.

use super::{header, page_of, short_verdict};
use crate::claims::Outcome;
use crate::report::evidence::{Evidence, GapSeries};
use crate::report::format::{cell, count, fixed, interval, sci};

/// The claims table of the index: number, id, the claim linked to its
/// section, and the verdict.
fn claims_table(e: &Evidence) -> String {
    let mut s = String::from("| # | id | claim | verdict |\n|---:|---|---|---|\n");
    for v in &e.verdicts {
        s.push_str(&format!(
            "| {} | `{}` | [{}]({}#claim-{}) | {} |\n",
            v.number,
            v.id,
            cell(v.title),
            page_of(v.number),
            v.number,
            short_verdict(v),
        ));
    }
    s
}

/// README.md: the question, answered point by point, with links to the evidence.
pub fn index(e: &Evidence) -> String {
    let mut s = header(e, "Cross-entropy vs KL divergence: the evidence");
    let failed = e
        .verdicts
        .iter()
        .filter(|v| v.outcome == Outcome::Failed)
        .count();
    if failed > 0 {
        s.push_str(&format!(
            "**{failed} claim(s) did not behave as stated in this run; the answers below assume they do. See the table of claims.**\n\n"
        ));
    }
    s.push_str(
        "The question: practitioners hear that training minimizes cross-entropy, that this \
         is the same as minimizing a KL divergence to the true distribution and the same as \
         maximum likelihood, and also that cross-entropy and KL are different numbers and \
         that a KL loss can train badly where binary cross-entropy trains well. Which \
         quantity is minimized, when are the three the same, and where is KL used for its \
         own sake? Each part of the question is a heading below, answered directly under \
         it, with links to the pages where this crate checks the answer.\n\n",
    );
    s.push_str(&two_targets(e));
    s.push_str(&reasoning(e));
    s.push_str(&outside_classification());
    s.push_str(&always_equivalent());
    s.push_str(&minimized_in_practice());
    s.push_str(&robustness(e));
    s.push_str(
        "## The claims\n\nEach claim is a statement this crate checks on random and adversarial inputs. \
         *holds*: no violation in any case; *refuted*: the statement is false, and the page shows a \
         counterexample found by search.\n\n",
    );
    s.push_str(&claims_table(e));
    s.push_str(
        "\n## The evidence pages\n\n\
         - [identities.md](identities.md): CE = H + KL with worked numbers, Gibbs' inequality, empirical risk = mean NLL (claims 1–3).\n\
         - [argmin.md](argmin.md): the same minimizer and the same gradient, with a picture (claims 4–5).\n\
         - [where-they-differ.md](where-they-differ.md): reverse KL, a target that moves with the parameters, other losses, KL losses as commonly implemented (claims 6–9).\n\
         - [training.md](training.md): real training runs on the Palmer penguins, cross-entropy against the KL calls as PyTorch computes them, with pictures and CSV data.\n\
         - [risk-gap.md](risk-gap.md): how optimistic the training loss is, against Akaike, Takeuchi and exact values.\n\
         - [kl-estimators.md](kl-estimators.md): estimating KL from samples (k1, k2, k3), as in KL penalties.\n\n\
         ## Appendix: how far to trust the harness\n\n\
         - [appendix.md](appendix.md): for each claim, the cases run, the worst error against its derived bound, the resolution and the test that checks it; what the run cost.\n\
         - [calibration.md](calibration.md): the statistical tests' error budget, calibration and power.\n\
         - [performance.md](performance.md): what the measures and estimators cost, next to numpy and scipy (written by `scripts/performance_report.py` from a benchmark run).\n\
         - [ecosystem.md](ecosystem.md): which of PyTorch, JAX/optax, scikit-learn, Keras, numpy and scipy agree with the exact values, call by call, in f64 and f32 (written by `scripts/ecosystem_report.py` from conformance runs). With performance.md, the only files with timings.\n\
         - [mutation.md](mutation.md): how many deliberate bugs the tests catch (written by `scripts/mutation_report.py` from cargo-mutants runs).\n\
         - [bounds.md](bounds.md): each rounding-error bound the checks use, against 320-bit references: its worst observed error/bound ratio and the floor its test requires (written by `scripts/bounds_report.py`).\n",
    );
    s
}

/// The Normal-on-Laplace series and its largest n, if the study has them.
fn laplace_at_largest_n(e: &Evidence) -> Option<(&GapSeries, &crate::report::evidence::GapPoint)> {
    let series = e.gap.iter().find(|g| g.truth.starts_with("laplace"))?;
    Some((series, series.points.last()?))
}

/// The two targets: each example's labels, and the unknown distribution.
fn two_targets(e: &Evidence) -> String {
    let mut s = String::from(
        "## First, two different targets\n\n\
         The word \"true distribution\" is used for two different things, and most of the \
         confusion comes from mixing them up.\n\n\
         1. **The labels of one example**, pᵢ: a one-hot vector for a hard label, or a soft \
         vector (label smoothing, a teacher's probabilities). The per-example loss is \
         CE(pᵢ, q_θ(·|xᵢ)) = −Σₖ pᵢₖ ln q_θ(k|xᵢ); for a one-hot pᵢ it is −ln q_θ(yᵢ|xᵢ) and \
         H(pᵢ) = 0. This is what `F.cross_entropy` computes, example by example.\n\
         2. **The data-generating distribution** P(x, y), which nobody knows. The quantity \
         one would like to minimize is the true risk R(θ) = E_P[−ln q_θ(Y|X)] = H(Y|X) + \
         E_X[KL(P(·|X)‖q_θ(·|X))]. The training loss, the average of the per-example \
         losses, is its estimate from n draws: R̂ₙ(θ) = CE(p̂ₙ, q_θ), with p̂ₙ the empirical \
         distribution of the sample.\n\n\
         Minimizing R̂ₙ is maximum likelihood. As n grows, R̂ₙ(θ) → R(θ), so the maximum-likelihood \
         estimate heads for θ₀ = argmin KL(P‖q_θ), the member of the model family closest to P in \
         forward KL, **whether or not P is in the family**.",
    );
    if let Some((series, last)) = laplace_at_largest_n(e) {
        s.push_str(&format!(
            " For example, with the pair *{}* the model cannot be exact: the best Normal has KL(p‖q_θ₀) = {} nats \
             (in closed form ½ ln π − ½), an approximation error that no amount of data \
             removes. On top of it, the fit from n points pays an estimation error: Takeuchi's \
             theory predicts E[KL(p‖q_θ̂)] ≈ KL(p‖q_θ₀) + tr(J⁻¹K)/(2n) with tr(J⁻¹K) = {}, which \
             at n = {} is {} nats; {} simulated fits give {} nats (95% interval {}). See \
             [risk-gap.md](risk-gap.md).",
            series.label,
            fixed(series.approximation_error, 4),
            series.takeuchi_trace.map_or("∞".to_string(), |t| fixed(t, 3)),
            last.n,
            last.predicted_excess_risk
                .map_or("n/a".to_string(), |x| fixed(x, 5)),
            count(e.budget.replicates()),
            fixed(last.excess_risk.0, 5),
            interval(last.excess_risk.1, last.excess_risk.2, 5),
        ));
    }
    s.push_str("\n\n");
    s
}

/// Is the asker's line of reasoning right?
fn reasoning(e: &Evidence) -> String {
    let mut s = String::from(
        "## Is the line of reasoning right?\n\n\
         Mostly, with three corrections.\n\n\
         - **The KL that training minimizes is to the sample, not to the truth.** The mean \
         negative log-likelihood equals CE(p̂ₙ, q_θ) = H(p̂ₙ) + KL(p̂ₙ‖q_θ) exactly \
         ([identities.md](identities.md#claim-3)), and H(p̂ₙ) does not depend on θ, so \
         minimizing it minimizes KL(p̂ₙ‖q_θ): this is the sense in which empirical risk \
         minimization, cross-entropy, KL and maximum likelihood are \"the same\" \
         ([argmin.md](argmin.md)). \"Doing our best to estimate the truth in a KL sense\" is \
         the limit of that as n grows, and it is forward KL, KL(P‖q_θ): the direction that \
         covers all of P's mass rather than one of its modes \
         ([where-they-differ.md](where-they-differ.md#claim-6)).\n\
         - **The training loss is optimistic.** R̂ₙ(θ̂) underestimates R(θ̂), because θ̂ was \
         chosen to fit this sample.",
    );
    if let Some((series, last)) = laplace_at_largest_n(e) {
        s.push_str(&format!(
            " For the pair *{}* at n = {}, n·E[R(θ̂) − R̂ₙ(θ̂)] = {} (95% interval {}), close to \
             Takeuchi's tr(J⁻¹K) = {} and not to Akaike's d = {}, which assumes the truth is \
             in the family ([risk-gap.md](risk-gap.md)).",
            series.label,
            last.n,
            fixed(last.scaled_gap.0, 3),
            interval(last.scaled_gap.1, last.scaled_gap.2, 3),
            series
                .takeuchi_trace
                .map_or("∞".to_string(), |t| fixed(t, 3)),
            series.parameters,
        ));
    }
    s.push_str(
        "\n- **Log loss is a choice of loss, not a consequence of making decisions.** The \
         chain \"risk → empirical risk → NLL → KL\" holds for log loss. A decision scored by \
         another loss (0–1, squared) has its own risk, and its minimizer need not be the \
         maximum-likelihood fit ([where-they-differ.md](where-they-differ.md#claim-8)). Log \
         loss is used because it is proper (the true distribution minimizes its expected \
         value) and it gives the likelihood.\n\n\
         The last sentence of the reasoning is right as stated: CE and KL are different \
         numbers, CE(p, q) = H(p) + KL(p‖q) ([identities.md](identities.md#claim-1)). They \
         differ by H(p), which is a constant when the target does not depend on the model.\n\n",
    );
    s
}

/// Uses outside classification, and where KL is minimized for its own sake.
fn outside_classification() -> String {
    String::from(
        "## Are they used outside classification, and where is KL minimized directly?\n\n\
         Cross-entropy, as a negative log-likelihood, is the default loss of any \
         probabilistic model, classification or not:\n\n\
         - **Regression**: the Gaussian NLL, ln σ + (y − μ)²/(2σ²) + ½ ln 2π, is the \
         cross-entropy from the data to the model; with σ fixed it is the squared error up to \
         constants. Counts (Poisson NLL), durations, densities (normalizing flows) work the same way.\n\
         - **Language models** minimize the next-token cross-entropy, a classification over the vocabulary at every position.\n\n\
         KL appears as the objective itself where the target is a distribution, not a label:\n\n\
         - **Variational inference** fits q_φ to a posterior by minimizing the *reverse* KL, \
         KL(q_φ‖p(·|x)), through the evidence lower bound, because samples of q_φ are \
         available and the posterior's normalizer is not. Reverse KL seeks a mode \
         ([where-they-differ.md](where-they-differ.md#claim-6)). The KL term of a variational \
         autoencoder is of this kind.\n\
         - **Distillation with soft targets** minimizes KL(teacher‖student). With the teacher \
         fixed (detached) it has the same gradient as cross-entropy to the teacher's \
         probabilities; the KL value is convenient because it is 0 at a perfect match \
         ([training.md](training.md)).\n\
         - **KL penalties in policy optimization**: fine-tuning a language model by \
         reinforcement learning adds a per-token penalty β·KL(policy‖reference), estimated \
         from the sampled tokens with the one-sample estimators k1, k2 or k3 \
         ([kl-estimators.md](kl-estimators.md)).\n\
         - **t-SNE** places points in two dimensions by minimizing KL(P‖Q) between the \
         neighbour probabilities P of the data and Q of the embedding.\n\n",
    )
}

/// Does CE ≡ KL ≡ NLL always hold?
fn always_equivalent() -> String {
    String::from(
        "## Does CE ≡ KL ≡ NLL always hold?\n\n\
         As values, no: CE = H + KL, equal only when the target has zero entropy (one-hot \
         labels). As optimization problems, yes, under four conditions, and each one can fail:\n\n\
         1. **The target does not depend on the parameters.** Then H(p) is a constant and the \
         two objectives have the same minimizer ([argmin.md](argmin.md#claim-4)) and the \
         same gradient, softmax(z) − p in the logits ([argmin.md](argmin.md#claim-5)). A \
         teacher that is co-trained and not detached breaks this: the gradients differ by \
         ∇H(p_θ) ([where-they-differ.md](where-they-differ.md#claim-7)).\n\
         2. **The direction is forward, KL(p‖q).** The reverse direction has a different \
         minimizer ([where-they-differ.md](where-they-differ.md#claim-6)).\n\
         3. **The loss is log loss.** Only log loss turns empirical risk into the likelihood \
         ([where-they-differ.md](where-they-differ.md#claim-8)).\n\
         4. **The code computes the divergence it names.** Reductions, argument conventions \
         and floating point can make a \"KL loss\" something else \
         ([where-they-differ.md](where-they-differ.md#claim-9), [training.md](training.md)).\n\n\
         \"KL ≡ NLL\" also needs discrete data: for continuous data the empirical distribution \
         has no density, KL(p̂ₙ‖q_θ) is +∞ for every θ, and only the NLL is a usable number \
         ([identities.md](identities.md#claim-3)).\n\n",
    )
}

/// What is minimized directly in practice.
fn minimized_in_practice() -> String {
    String::from(
        "## What is minimized directly in practice?\n\n\
         **The mean negative log-likelihood, that is, cross-entropy.** Classification losses \
         (softmax cross-entropy, binary cross-entropy) compute −ln q_θ(y|x) per example and \
         average it. Code computes cross-entropy rather than KL because H(p) is work that \
         changes nothing (it is 0 for one-hot labels, where the two are equal even in value) \
         and because the NLL exists for continuous data where KL to the sample does not. KL \
         is computed directly where its value matters: with soft targets (distillation, \
         where it reads 0 at a perfect match), as a regularizer (variational inference, KL \
         penalties), or to monitor how far two distributions are. Its gradient is then the \
         cross-entropy's whenever the target is fixed.\n\n",
    )
}

/// Is BCE really more robust than KL?
fn robustness(e: &Evidence) -> String {
    let t = &e.training;
    let mut s = String::from("## Is binary cross-entropy really more robust than KL?\n\n");
    if let Some(q) = t.equivalences.first() {
        s.push_str(&format!(
            "Not when the KL is computed correctly. Softmax regression on the Palmer penguins, \
             trained with `F.cross_entropy` and with `F.kl_div(F.log_softmax(logits, -1), \
             target, reduction='batchmean')`, takes the same steps: over the whole run the \
             parameters of the two runs stay within {} of each other, under a derived rounding \
             bound of {} ([training.md](training.md)). ",
            sci(q.paths.max_difference),
            sci(q.paths.bound),
        ));
    }
    s.push_str(&format!(
        "The reports of a KL that \"was unusable\" come from calls that compute something \
         else, each run on the same data on the training page: the `mean` reduction divides \
         by batch × classes, so the steps are {} = C times smaller; probabilities passed \
         where `F.kl_div` expects log-probabilities; a KL on one sigmoid output, which gives \
         the negative examples a gradient of exactly {}, so the model learns to predict 1 \
         for everyone; `torch.log(F.softmax(...))` in float32, which turns into NaN once a \
         probability underflows; and a teacher that is not detached. \
         The minibatch argument (the target's entropy changes from batch to batch, so KL is \
         \"unstable\") does not hold either: each example's entropy is a constant, so on every \
         batch KL and cross-entropy have the same gradient; the batch-mean entropy ranged \
         from {} to {} nats over the run, moving the printed loss and not the parameters \
         (max distance between the runs {}, bound {}).\n\n",
        fixed(t.mean.factor, 0),
        fixed(t.sigmoid.max_negative_gradient, 1),
        fixed(t.minibatch.entropy.0, 4),
        fixed(t.minibatch.entropy.1, 4),
        sci(t.minibatch.paths.max_difference),
        sci(t.minibatch.paths.bound),
    ));
    s
}
