//! Claim 4: for a fixed target, cross-entropy and KL divergence have the
//! same minimizer (the maximum-likelihood estimate when the target is the
//! empirical distribution).
//!
//! Every optimum is found numerically, separately for each objective, by
//! Newton's method with a certificate ‖θ̂ − θ*‖₂ ≤ G/μ (see
//! [`crate::models::Certificate`]); two optima agree when their distance is
//! within the sum of their certificates (plus the rounding of any closed-form
//! reference). Each objective's gradient is computed from its own definition
//! (CE directly in the logits, KL through the chain rule via the
//! probabilities, the NLL sample by sample; see
//! [`crate::models::objectives`]), so the fits are not one computation run
//! twice. Values of CE and KL of probability vectors come from the measures
//! under test, so a wrong measure makes the claim fail.
//!
//! On the softmax families and category counts, the measured CE and the
//! measured KL are also each minimized on their own, by a search that sees
//! only their values, from the case's start ([`measured`]); the two points
//! must agree within their certified radii, and each with the Newton fit of
//! the same exact objective. A KL whose minimizer moves (arguments swapped, a
//! category dropped) fails there. Those radii, about √(e/λ) for values
//! within e and curvature λ, are the search's resolution in θ and are kept
//! out of the claim's resolution (see [`measured`]). The logistic cases are
//! not yet minimized through the measures.
//!
//! One file per family: [`categorical`] (softmax and log-linear families,
//! and category counts), [`logistic`] (coin flips and logistic regression),
//! [`normal`] (continuous targets and normal samples).

mod categorical;
mod logistic;
mod measured;
mod normal;

use super::harness::{U, property, row};
use super::{Claim, Context, Counterexample, Evidence, Expectation, holds_evidence};
use crate::claims::CheckFailure;
use crate::models::{NewtonFit, NewtonOptions, Objective, minimize};
use crate::numerics::format::short_vector as fmt_vec;
use categorical::{
    arb_counts, arb_family, categorical_case, categorical_empirical_case, show_family,
};
use logistic::{arb_bits, arb_dataset, bernoulli_case, logistic_case, show_dataset};
use normal::{
    arb_continuous_target, arb_normal_samples, natural_start, normal_case, normal_empirical_case,
};

/// Claim 4.
pub(crate) const ARGMIN_EQUIVALENCE: Claim = Claim {
    id: "argmin-equivalence",
    number: 4,
    title: "Minimizing cross-entropy and minimizing KL give the same parameters",
    statement: "For a fixed target p, argmin_θ CE(p, q_θ) = argmin_θ KL(p‖q_θ); for p = p̂ₙ both are the maximum-likelihood estimate",
    hypotheses: "Families with a unique minimizer: softmax (full and log-linear, p > 0), Bernoulli (both outcomes seen), normal (natural parameters; Laplace and uniform-mixture targets, and samples not all equal), logistic regression (soft targets in (0, 1), full-rank features); optima compared within their Newton certificates",
    expectation: Expectation::Holds,
    test: "tests/claims_argmin.rs::claim_4_argmin_equivalence",
    check: check_argmin,
};

/// A Newton fit of `objective` from `start`, its failure named by `what`.
fn fit(what: &str, objective: &dyn Objective, start: &[f64]) -> Result<NewtonFit, CheckFailure> {
    minimize(objective, start, &NewtonOptions::default())
        .map_err(|e| CheckFailure::evaluation(what, format!("{what}: the Newton fit failed: {e}")))
}

/// The sum of two certificates: θ̂₁ and θ̂₂ are each within their own bound
/// of the one exact minimizer, so within the sum of each other.
fn radius(a: &NewtonFit, b: &NewtonFit) -> f64 {
    (a.certificate.parameter_error + b.certificate.parameter_error) * (1.0 + 2.0 * U)
}

fn check_argmin(ctx: &Context<'_>) -> Evidence {
    let m = ctx.measures;
    let categorical = property(
        ctx,
        "argmin-equivalence/categorical",
        arb_family(),
        |c, w| categorical_case(m, c, w),
    )
    .shown(show_family);
    let empirical = property(
        ctx,
        "argmin-equivalence/categorical-empirical",
        arb_counts(),
        |(counts, start), w| categorical_empirical_case(m, counts, start, w),
    )
    .shown(|(counts, start)| Counterexample {
        summary: "the NLL, CE and KL fits to these category counts disagree".to_string(),
        rows: vec![
            row("counts", format!("{counts:?}")),
            row("θ₀", fmt_vec(start)),
        ],
    });
    let bernoulli = property(
        ctx,
        "argmin-equivalence/bernoulli",
        arb_bits(),
        |(bits, start), w| bernoulli_case(bits, *start, w),
    )
    .shown(|(bits, start)| Counterexample {
        summary: "the NLL, CE and KL fits to these coin flips disagree".to_string(),
        rows: vec![
            row(
                "flips",
                bits.iter().map(|&b| if b { '1' } else { '0' }).collect(),
            ),
            row("η₀", format!("{start:e}")),
        ],
    });
    let normal = property(
        ctx,
        "argmin-equivalence/normal",
        (arb_continuous_target(), natural_start()),
        |(t, start), w| normal_case(t, start, w),
    )
    .shown(|(t, start)| Counterexample {
        summary: "the CE and KL fits of a normal to this target disagree".to_string(),
        rows: vec![
            row("target", t.name.clone()),
            row("E_p X, Var_p X", format!("{:e}, {:e}", t.mean, t.variance)),
            row("η₀", fmt_vec(start)),
        ],
    });
    let normal_empirical = property(
        ctx,
        "argmin-equivalence/normal-empirical",
        arb_normal_samples(),
        |(x, start), w| normal_empirical_case(x, start, w),
    )
    .shown(|(x, start)| Counterexample {
        summary: "the NLL fit of a normal to these samples is not the MLE".to_string(),
        rows: vec![row("samples", fmt_vec(x)), row("η₀", fmt_vec(start))],
    });
    // Each logistic case runs four Newton fits on up to 48 rows × 4 features:
    // measured at about 5× the work of a case of the other properties, so it
    // gets a quarter of the cases (at least 8), keeping the six properties
    // at similar cost.
    let fewer = Context {
        cases: (ctx.cases / 4).max(8),
        ..*ctx
    };
    let logistic = property(
        &fewer,
        "argmin-equivalence/logistic",
        arb_dataset(),
        logistic_case,
    )
    .shown(show_dataset);
    holds_evidence(vec![
        ("categorical", categorical),
        ("categorical-empirical", empirical),
        ("bernoulli", bernoulli),
        ("normal", normal),
        ("normal-empirical", normal_empirical),
        ("logistic", logistic),
    ])
}
