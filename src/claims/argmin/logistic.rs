//! Claim 4 on logistic models: coin flips (an intercept alone, the
//! Bernoulli MLE in closed form) and logistic regression with soft targets.

use crate::claims::CheckFailure;
use crate::claims::failure::{failed, failed_in};
use proptest::collection::vec;
use proptest::prelude::*;

use super::{fit, radius};
use crate::claims::Counterexample;
use crate::claims::harness::{U, Worst, agree, row};
use crate::models::objectives::{Divergence, LogisticForm};
use crate::models::{
    LogisticNll, NewtonFit, NewtonOptions, SIGMOID_ERROR, bernoulli_mle, fit_logistic, sigmoid,
};
use crate::numerics::format::short_vector as fmt_vec;

/// Coin flips (at least one of each outcome) and a start.
pub(super) fn arb_bits() -> BoxedStrategy<(Vec<bool>, f64)> {
    (vec(any::<bool>(), 2..=64), -3.0f64..3.0)
        .prop_map(|(mut bits, start)| {
            bits[0] = true;
            bits[1] = false;
            (bits, start)
        })
        .boxed()
}

pub(super) fn bernoulli_case(bits: &[bool], start: f64, w: &mut Worst) -> Result<(), CheckFailure> {
    let y: Vec<f64> = bits.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
    let n = y.len();
    let ones = bits.iter().filter(|&&b| b).count();
    let mean = bernoulli_mle(&y).map_err(failed("bernoulli_mle"))?;
    // One soft-target row on an intercept: softplus(η) − ȳη = CE(ȳ, σ(η)).
    let target = LogisticNll::new(&[vec![1.0]], &[mean]).map_err(failed("LogisticNll::new"))?;
    let ce = LogisticForm {
        base: &target,
        form: Divergence::CrossEntropy,
    };
    let kl = LogisticForm {
        base: &target,
        form: Divergence::Kl,
    };
    let intercept = vec![vec![1.0]; n];
    let nll = LogisticNll::new(&intercept, &y).map_err(failed("LogisticNll::new"))?;
    let ce_fit = fit("Newton on CE(ȳ, σ(η))", &ce, &[start])?;
    let kl_fit = fit("Newton on KL(ȳ‖σ(η))", &kl, &[start])?;
    let nll_fit = fit("Newton on the sample NLL", &nll, &[start])?;
    let library = fit_logistic(&intercept, &y, &NewtonOptions::default())
        .map_err(failed_in("fit_logistic on an intercept"))?;
    let (star, star_err) = bernoulli_logit(ones, n);
    let shift = logit_shift(mean);
    let r = |f: &NewtonFit| f.certificate.parameter_error;
    agree(
        w,
        "|η̂_NLL − logit(k/n)|",
        &nll_fit.theta,
        &[star],
        r(&nll_fit) + star_err,
    )?;
    agree(
        w,
        "|fit_logistic − logit(k/n)|",
        &library.weights,
        &[star],
        library.certificate.parameter_error + star_err,
    )?;
    agree(
        w,
        "|η̂_CE − logit(k/n)|",
        &ce_fit.theta,
        &[star],
        r(&ce_fit) + star_err + shift,
    )?;
    agree(
        w,
        "|η̂_KL − logit(k/n)|",
        &kl_fit.theta,
        &[star],
        r(&kl_fit) + star_err + shift,
    )?;
    agree(
        w,
        "|η̂_CE − η̂_KL|",
        &ce_fit.theta,
        &kl_fit.theta,
        radius(&ce_fit, &kl_fit),
    )?;
    // σ(η̂) against the MLE ȳ: σ is ¼-Lipschitz, computed within 6u.
    let x = sigmoid(nll_fit.theta[0]);
    w.close(
        "σ(η̂_NLL) against the sample mean",
        x,
        mean,
        sigmoid_distance(r(&nll_fit), x, mean),
    )
}

/// The closed-form minimizer η* = ln k − ln(n − k) = logit(k/n) of the
/// Bernoulli NLL with k ones in n, and a bound on its rounding: logarithms
/// of integers within 2u each (1.01 for the bound's own), the difference u.
fn bernoulli_logit(ones: usize, n: usize) -> (f64, f64) {
    let (a, b) = ((ones as f64).ln(), ((n - ones) as f64).ln());
    let star = a - b;
    (star, 2.02 * U * (a.abs() + b.abs()) + U * star.abs())
}

/// How far the CE/KL minimizer logit(ȳ) of the stored ȳ = fl(k/n) (within
/// u·ȳ of k/n) can be from logit(k/n): |d logit/dy| = 1/(y(1 − y)), so
/// u·ȳ/(ȳ(1 − ȳ)) = u/(1 − ȳ), 1.01 for second order.
fn logit_shift(mean: f64) -> f64 {
    1.01 * U / (1.0 - mean)
}

/// The bound on |σ̃(η̂) − ȳ| for a fit η̂ within r of logit(ȳ): σ is
/// ¼-Lipschitz, the computed σ̃ within SIGMOID_ERROR relative (1.01 for
/// second order), ȳ's own rounding u·ȳ.
fn sigmoid_distance(radius: f64, x: f64, mean: f64) -> f64 {
    0.25 * radius + 1.01 * SIGMOID_ERROR * x + U * mean
}

/// A dataset: n rows [1, x₁, …, x_{d−1}] (an intercept), soft targets in
/// (0, 1) (so the minimizer exists), and a start.
#[derive(Debug, Clone)]
pub(super) struct Dataset {
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
    start: Vec<f64>,
}

pub(super) fn arb_dataset() -> BoxedStrategy<Dataset> {
    (1usize..=4)
        .prop_flat_map(|d| (Just(d), (d + 2)..=48))
        .prop_flat_map(|(d, n)| {
            let target = prop_oneof![4 => 0.05f64..0.95, 1 => 1e-4f64..0.05, 1 => 0.95f64..0.9999];
            (
                vec(vec(-2.0f64..2.0, d - 1), n),
                vec(target, n),
                vec(-1.0f64..1.0, d),
            )
        })
        .prop_map(|(rest, y, start)| Dataset {
            x: rest
                .into_iter()
                .map(|r| std::iter::once(1.0).chain(r).collect())
                .collect(),
            y,
            start,
        })
        .boxed()
}

pub(super) fn logistic_case(data: &Dataset, w: &mut Worst) -> Result<(), CheckFailure> {
    let nll = LogisticNll::new(&data.x, &data.y).map_err(failed("LogisticNll::new"))?;
    let ce = LogisticForm {
        base: &nll,
        form: Divergence::CrossEntropy,
    };
    let kl = LogisticForm {
        base: &nll,
        form: Divergence::Kl,
    };
    let nll_fit = fit("Newton on the NLL", &nll, &data.start)?;
    let ce_fit = fit(
        "Newton on the mean CE of the soft targets",
        &ce,
        &data.start,
    )?;
    let kl_fit = fit(
        "Newton on the mean KL of the soft targets",
        &kl,
        &data.start,
    )?;
    let library = fit_logistic(&data.x, &data.y, &NewtonOptions::default())
        .map_err(failed_in("fit_logistic"))?;
    agree(
        w,
        "‖θ̂_CE − θ̂_KL‖",
        &ce_fit.theta,
        &kl_fit.theta,
        radius(&ce_fit, &kl_fit),
    )?;
    agree(
        w,
        "‖θ̂_CE − θ̂_NLL‖",
        &ce_fit.theta,
        &nll_fit.theta,
        radius(&ce_fit, &nll_fit),
    )?;
    agree(
        w,
        "‖θ̂_KL − θ̂_NLL‖",
        &kl_fit.theta,
        &nll_fit.theta,
        radius(&kl_fit, &nll_fit),
    )?;
    agree(
        w,
        "‖fit_logistic − θ̂_NLL‖",
        &library.weights,
        &nll_fit.theta,
        (library.certificate.parameter_error + nll_fit.certificate.parameter_error)
            * (1.0 + 2.0 * U),
    )
}

pub(super) fn show_dataset(d: &Dataset) -> Counterexample {
    let mut rows = vec![row("y", fmt_vec(&d.y)), row("θ₀", fmt_vec(&d.start))];
    for (i, r) in d.x.iter().enumerate().take(8) {
        rows.push(row(&format!("x row {i}"), fmt_vec(r)));
    }
    Counterexample {
        summary: "the NLL, CE and KL fits of logistic regression on this dataset disagree"
            .to_string(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Bernoulli bounds against 320 bits, at random counts (n up to
    /// 10⁹): `bernoulli_logit`'s bound covers |η̃* − logit(k/n)|;
    /// `logit_shift` covers |logit(fl(k/n)) − logit(k/n)|; and
    /// `sigmoid_distance` covers |σ̃(η̂) − fl(k/n)| at a fit η̂ = η̃* + δ
    /// (|δ| from 10⁻¹ down to 0), given r = |η̂ − logit(k/n)| rounded up.
    ///
    /// Floors: 2⁻³ for the logit (0.39 seen; the bound grants libm's ln one
    /// ulp where a correctly rounded one errs by half, a factor 4 given);
    /// 2⁻² for the shift (0.90 seen; fl(k/n) errs by up to u relative, the
    /// bound's u/(1 − ȳ) is that error's image); 2⁻¹ for the sigmoid
    /// distance (1.00 seen: at ȳ = ½ and r ≫ u, σ moves by r/4 to first
    /// order, r/4 − r³/48 in all).
    #[test]
    fn bernoulli_bounds_cover_their_errors() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::{PREC as P, RM, big, to_f64};
        use rand::RngExt;
        bound_checks(
            "bernoulli",
            [
                ("claim 4: Bernoulli logit", 0.125),
                ("claim 4: logit shift of fl(k/n)", 0.25),
                ("claim 4: |σ(η̂) − ȳ|", 0.5),
            ],
            200,
            |j, rng, cc, [logit, shift, distance]| {
                let n = (10f64.powf(uniform(rng, 0.4, 9.0)) as usize).max(2);
                let ones = if j % 3 == 0 {
                    n / 2
                } else {
                    rng.random_range(1..n)
                };
                let exact = {
                    let (a, b) = (big(ones as f64), big((n - ones) as f64));
                    a.div(&b, P, RM).ln(P, RM, cc)
                };
                let (star, err) = bernoulli_logit(ones, n);
                logit.value(star, &exact, err, cc, || format!("{ones} of {n}"));
                let mean = ones as f64 / n as f64;
                let stored = big(mean)
                    .div(&big(1.0).sub(&big(mean), P, RM), P, RM)
                    .ln(P, RM, cc);
                let moved = to_f64(&stored.sub(&exact, P, RM).abs(), cc);
                shift.record(moved, logit_shift(mean), || format!("{ones} of {n}"));
                let delta = if j % 5 == 0 {
                    0.0
                } else {
                    10f64.powf(-uniform(rng, 1.0, 15.0))
                };
                let eta = star + if rng.random::<bool>() { delta } else { -delta };
                let r = to_f64(&big(eta).sub(&exact, P, RM).abs(), cc) * (1.0 + 2.0 * U);
                let x = sigmoid(eta);
                distance.value(x, &big(mean), sigmoid_distance(r, x, mean), cc, || {
                    format!("{ones} of {n}, η̂ {eta:e}")
                });
            },
        );
    }
}
