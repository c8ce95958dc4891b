//! Claim 5: for a fixed target, cross-entropy and KL divergence have the same
//! gradient in the logits, softmax(z) − p, and gradient descent on either
//! produces the same iterates.
//!
//! The gradient under test (the measures' own, or softmax(z) − p when they
//! offer none) is compared with central differences of the measured CE from
//! logits and of the crate's logit-parameterized KL at logits up to ±1e4, and
//! of the measured CE and KL of probability vectors at moderate logits; its
//! `batchmean` form is compared with the per-row one. The descent runs CE's
//! gradient (in the logits) and KL's (by the chain rule through the
//! probabilities, [`crate::models::objectives::SoftmaxKl`]) side by side
//! ([`descent`]) and measures where they arrive.

mod descent;

use crate::claims::CheckFailure;
use crate::claims::failure::{failed, failed_in};
use proptest::collection::vec;
use proptest::prelude::*;

use super::harness::{U, Worst, contract, measured, property, row};
use super::{
    Claim, Context, Counterexample, Evidence, Expectation, Implementation, holds_evidence,
};
use crate::measures::{
    self, Arithmetic, Measure, Reduced, Reduction, Refusal, contract_gradient_bounds,
};
use crate::models::linalg::gamma;
use crate::models::objectives::Divergence;
use crate::models::{TINY, softmax_cross_entropy_grad, softmax_relative_errors};
use crate::numerics::finite_difference::{capped_step, stored_steps_bound};
use crate::numerics::format::short_vector as fmt_vec;
use crate::strategies::{arb_distribution_and_logits, arb_distribution_of};
use descent::{arb_descent, descent_case};

/// Claim 5.
pub(crate) const GRADIENT_EQUIVALENCE: Claim = Claim {
    id: "gradient-equivalence",
    number: 5,
    title: "Cross-entropy and KL have the same gradient in the logits",
    statement: "∇_z CE(p, softmax z) = ∇_z KL(p‖softmax z) = softmax(z) − p; gradient descent on CE and on KL from the same start produce the same iterates",
    hypotheses: "p a probability vector (zeros allowed), finite logits up to ±1e4; for gradient descent p > 0 and step 1 ≤ 1/L, where L = ½ bounds the curvature of softmax cross-entropy in the logits",
    expectation: Expectation::Holds,
    test: "tests/claims_argmin.rs::claim_5_gradient_equivalence",
    check: check_gradient,
};

/// A function of the logits returning a value and a bound on its error.
type Evaluation<'a> = &'a dyn Fn(&[f64]) -> Result<(f64, f64), CheckFailure>;

/// CE(p, softmax z) or KL(p‖softmax z) from the crate's logit forms, with a
/// bound on the distance to the exact value (for logits of any size, where
/// softmax may underflow).
///
/// Both kernels use νᵢ = −ln softmax(z)ᵢ = (max z − zᵢ) + ln Σⱼ e^(zⱼ − max z),
/// whose absolute error is at most relᵢ (see
/// [`softmax_relative_errors`]: relᵢ bounds it plus 2u).
/// - CE = Σ pᵢνᵢ: Σ pᵢ·relᵢ, plus the products and the compensated sum, 5u·CE.
/// - KL = −1 + Σ_{pᵢ>0}[pᵢψ(δᵢ) + pᵢ] + Σ_{pᵢ=0} qᵢ with δᵢ = ln pᵢ + νᵢ,
///   ψ(δ) = e^(−δ) − 1 + δ: δᵢ is within eᵢ = 2u|ln pᵢ| + relᵢ + u|δᵢ|; as
///   pᵢ|ψ′| = pᵢ|1 − e^(−δ)| ≤ pᵢ + qᵢ, the term moves by (pᵢ + 1.01qᵢ)(eᵢ + relᵢ)
///   (relᵢ for the qᵢ the |δ| > 1 branch uses directly); evaluating ψ costs
///   at most γ₄₂·pᵢδᵢ² for |δᵢ| ≤ 1 (a 19-term Horner polynomial whose
///   coefficients sum to less than 1) and γ₄·(qᵢ + pᵢ + pᵢ|δᵢ|) otherwise
///   ((q − p) + pδ); the qᵢ with pᵢ = 0 carry relᵢqᵢ + 2⁻¹⁰⁷⁴; the compensated
///   sum 3u·(3 + |KL|) (its terms are −1, Σpᵢψᵢ ≈ KL, Σpᵢ and Σqᵢ).
fn logits_value(which: Divergence, p: &[f64], z: &[f64]) -> Result<(f64, f64), CheckFailure> {
    let q = measures::softmax(z).map_err(failed("softmax"))?;
    let rel = softmax_relative_errors(z, &q);
    match which {
        Divergence::CrossEntropy => {
            let ce =
                measures::cross_entropy_logits(p, z).map_err(failed("cross_entropy_logits"))?;
            let spread: f64 = p
                .iter()
                .zip(&rel)
                .filter(|(pi, _)| **pi > 0.0)
                .map(|(pi, r)| pi * r)
                .sum();
            Ok((ce, 1.01 * (spread + 5.0 * U * ce.abs())))
        }
        Divergence::Kl => {
            let kl =
                measures::kl_divergence_logits(p, z).map_err(failed("kl_divergence_logits"))?;
            let ls = measures::log_softmax(z).map_err(failed("log_softmax"))?;
            let mut bound = 3.0 * U * (3.0 + kl.abs());
            for i in 0..p.len() {
                if p[i] > 0.0 {
                    let lp = p[i].ln();
                    let delta = lp - ls[i];
                    let e_delta = 2.0 * U * lp.abs() + rel[i] + U * delta.abs();
                    let evaluation = if delta.abs() <= 1.0 {
                        gamma(42) * p[i] * delta * delta
                    } else {
                        gamma(4) * (q[i] + p[i] + p[i] * delta.abs())
                    };
                    bound += (p[i] + 1.01 * q[i] + TINY) * (e_delta + rel[i]) + evaluation;
                } else {
                    bound += rel[i] * q[i] + TINY;
                }
            }
            Ok((kl, 1.01 * bound))
        }
    }
}

/// sup |f‴| along coordinate j of f(z) = CE(p, softmax z) (or KL, which
/// differs by a constant) within distance t of z.
///
/// Along zⱼ, f‴ = P·qⱼ(1 − qⱼ)(1 − 2qⱼ) (P = Σp), and |x(1 − x)(1 − 2x)| is at
/// most √3/18 on [0, 1] and at most min(x, 1 − x); moving zⱼ by t scales qⱼ
/// and 1 − qⱼ by at most e^(2t). `q_up` and `rest_up` bound qⱼ and 1 − qⱼ
/// from above.
fn third_derivative(mass: f64, q_up: f64, rest_up: f64, t: f64) -> f64 {
    let sqrt3_over_18 = 3f64.sqrt() / 18.0 * (1.0 + 4.0 * U);
    mass * sqrt3_over_18.min((2.0 * t).exp() * q_up.min(rest_up)) * (1.0 + 4.0 * U)
}

/// Upper bounds on qⱼ and 1 − qⱼ = Σ_{i≠j} qᵢ for the exact softmax, from the
/// computed q̃ and its error bounds.
fn q_bounds(q: &[f64], rel: &[f64], j: usize) -> (f64, f64) {
    let up = |i: usize| q[i] * (1.0 + rel[i]) + TINY;
    let rest: f64 = (0..q.len()).filter(|&i| i != j).map(up).sum();
    (up(j) * 1.01, rest * (1.0 + gamma(q.len())) * 1.01)
}

/// A central difference of `eval` along coordinate j of z, with a bound on
/// its distance to the exact derivative: the stored-steps case of the
/// central-difference rule ([`stored_steps_bound`]), with |f″| ≤ P/4 (P =
/// `mass`), plus `compared`: the bound of the value the difference is
/// compared with.
fn central_difference(
    eval: Evaluation<'_>,
    (z, j): (&[f64], usize),
    h: f64,
    mass: f64,
    m3: &dyn Fn(f64) -> f64,
    compared: f64,
) -> Result<(f64, f64), CheckFailure> {
    let mut zp = z.to_vec();
    zp[j] = z[j] + h;
    let mut zm = z.to_vec();
    zm[j] = z[j] - h;
    let (a, b) = (zp[j] - z[j], z[j] - zm[j]);
    let (fp, ep) = eval(&zp)?;
    let (fm, em) = eval(&zm)?;
    let diff = fp - fm;
    let quotient = diff / (a + b);
    let bound = stored_steps_bound((a, b), (mass / 4.0, m3), (ep, em), diff, quotient);
    Ok((quotient, bound + compared))
}

/// |g̃ⱼ − (P·qⱼ − pⱼ)| for the crate's gradient g̃ = softmax(z) − p: q̃ⱼ's error
/// (relⱼq̃ⱼ + 2⁻¹⁰⁷⁴), the difference between P·qⱼ and qⱼ (P within
/// |P̃ − 1| + 3u of 1), and the subtraction's u|g̃ⱼ|.
fn gradient_error(q: &[f64], rel: &[f64], mass: f64, g: f64, j: usize) -> f64 {
    let mass_off = (mass - 1.0).abs() + 3.0 * U;
    1.01 * (rel[j] * q[j] + TINY + mass_off * q[j]) + U * g.abs()
}

/// The crate's gradient against central differences of `eval` at every
/// coordinate in `coords`.
fn compare_with_differences(
    w: &mut Worst,
    what: &str,
    eval: Evaluation<'_>,
    p: &[f64],
    z: &[f64],
    coords: &[usize],
) -> Result<(), CheckFailure> {
    let q = measures::softmax(z).map_err(failed("softmax"))?;
    let rel = softmax_relative_errors(z, &q);
    let mass = crate::numerics::compensated_sum(p);
    let g = softmax_cross_entropy_grad(p, z).map_err(failed_in("rejected a valid pair"))?;
    let (_, e0) = eval(z)?;
    for &j in coords {
        let (q_up, rest_up) = q_bounds(&q, &rel, j);
        let m3 = |t: f64| third_derivative(mass * (1.0 + 3.0 * U), q_up, rest_up, t);
        let h = capped_step(e0, m3(0.0));
        let curvature = mass * (1.0 + 3.0 * U);
        let compared = gradient_error(&q, &rel, mass, g[j], j);
        let (fd, bound) = central_difference(eval, (z, j), h, curvature, &m3, compared)?;
        w.close(
            &format!("{what}: ∂/∂z{j} by central differences (h = {h:e}) against softmax(z) − p"),
            fd,
            g[j],
            bound,
        )?;
    }
    Ok(())
}

/// The gradient under test: the measures' `cross_entropy_logits_grad_rows`
/// (one row under `none`) with its allowance per entry, or, when they do not
/// offer it, the crate's softmax(z) − p (`None`: its error is
/// [`gradient_error`]). The exact gradient of CE(p, softmax z) is P·q − p for
/// stored p of mass P ≠ 1, while the contract bounds the distance to q − p:
/// the allowance adds 1.01·(|P̃ − 1| + 3u)·qⱼ (q within 1 % of the computed
/// q̃ here).
#[allow(clippy::type_complexity)]
fn gradient_under_test(
    m: &dyn Implementation,
    p: &[f64],
    z: &[f64],
    q: &[f64],
    mass: f64,
) -> Result<(Vec<f64>, Option<Vec<f64>>), CheckFailure> {
    match m.cross_entropy_logits_grad_rows(&[p.to_vec()], &[z.to_vec()], Reduction::None) {
        Err(Refusal::Unsupported) => Ok((
            softmax_cross_entropy_grad(p, z).map_err(failed_in("rejected a valid pair"))?,
            None,
        )),
        Err(e) => Err(failed_in("the gradient rejected a valid pair")(e)),
        Ok(rows) => {
            let Some(g) = rows.into_iter().next().filter(|r| r.len() == p.len()) else {
                return Err(CheckFailure::require(
                    "one gradient row of the logits' length",
                    "the gradient of one row did not come back as one row".to_string(),
                ));
            };
            let off = (mass - 1.0).abs() + 3.0 * U;
            let allowance =
                contract_gradient_bounds(Arithmetic::F64, p, z, 1, Reduction::None, 0.0)
                    .into_iter()
                    .zip(q)
                    .map(|(b, qj)| b + 1.01 * 1.01 * off * qj)
                    .collect();
            Ok((g, Some(allowance)))
        }
    }
}

/// The gradient under test against softmax(z) − p, per row under `none` and
/// under `batchmean`: cheap comparisons, in a property of their own so that
/// a failing case shrinks quickly.
fn gradient_case(
    m: &dyn Implementation,
    p: &[f64],
    z: &[f64],
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    closed_form_gradient(m, p, z, w)?;
    batchmean_gradient(m, p, z, w)?;
    // An implementation without a gradient compared nothing above: the
    // statement's closed form is then the crate's, checked by
    // `analytic_case`; record that this case compared the logits' CE.
    let (value, allowance) = measured_logits_value(m, p, z)?;
    let exact = measures::cross_entropy_logits(p, z).map_err(failed("cross_entropy_logits"))?;
    w.close(
        "measured CE from logits against the crate's",
        value,
        exact,
        allowance + 2.0 * U * exact.abs(),
    )
}

/// Up to six coordinates: first, last, largest and smallest logit, largest
/// target entry, middle.
fn probe_coordinates(p: &[f64], z: &[f64]) -> Vec<usize> {
    let arg = |v: &[f64], better: fn(f64, f64) -> bool| {
        (0..v.len()).fold(0, |b, i| if better(v[i], v[b]) { i } else { b })
    };
    let mut c = vec![
        0,
        z.len() - 1,
        arg(z, |a, b| a > b),
        arg(z, |a, b| a < b),
        arg(p, |a, b| a > b),
        z.len() / 2,
    ];
    c.sort_unstable();
    c.dedup();
    c
}

/// CE(p, softmax z) from the measures under test (their
/// `cross_entropy_logits_rows`, one row under `none`), within the contract's
/// allowance ([`contract`]).
fn measured_logits_value(
    m: &dyn Implementation,
    p: &[f64],
    z: &[f64],
) -> Result<(f64, f64), CheckFailure> {
    let answer = m
        .cross_entropy_logits_rows(&[p.to_vec()], &[z.to_vec()], Reduction::None)
        .map_err(failed_in("CE from logits rejected a valid pair"))?;
    match answer {
        Reduced::PerRow(v) if v.len() == 1 => {
            Ok((v[0], contract(Measure::CrossEntropyLogits, p, z)))
        }
        other => Err(CheckFailure::require(
            "CE from logits of one row gives one value",
            format!("CE from logits of one row under `none` gave {other:?}"),
        )),
    }
}

/// The crate's logit forms of CE and KL at logits up to ±1e4: their central
/// differences against softmax(z) − p, which [`gradient_case`] compares with
/// the gradient under test and the measured CE from logits. (Central
/// differences of the measured CE from logits would resolve only about
/// 2e−6 there: the contract allows an error of (2n + 4)u·C with C ≈ 2·10⁴,
/// and a difference quotient divides it by the step. The trait offers KL of
/// probability vectors only, which [`differences_case`] differentiates at
/// moderate logits.)
fn analytic_case(p: &[f64], z: &[f64], w: &mut Worst) -> Result<(), CheckFailure> {
    let coords = probe_coordinates(p, z);
    for which in [Divergence::CrossEntropy, Divergence::Kl] {
        let eval = |zz: &[f64]| logits_value(which, p, zz);
        compare_with_differences(
            w,
            &format!("{}_logits (crate)", which.name()),
            &eval,
            p,
            z,
            &coords,
        )?;
    }
    Ok(())
}

/// The gradient under test against the statement's softmax(z) − p, computed
/// by the crate: the first within its allowance of P·q − p, the second
/// within [`gradient_error`] of it, so within their sum of each other.
/// Nothing to compare when the measures offer no gradient.
fn closed_form_gradient(
    m: &dyn Implementation,
    p: &[f64],
    z: &[f64],
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let q = measures::softmax(z).map_err(failed("softmax"))?;
    let rel = softmax_relative_errors(z, &q);
    let mass = crate::numerics::compensated_sum(p);
    let (g, allowance) = gradient_under_test(m, p, z, &q, mass)?;
    let Some(allowance) = allowance else {
        return Ok(());
    };
    let crate_g = softmax_cross_entropy_grad(p, z).map_err(failed_in("rejected a valid pair"))?;
    for j in 0..p.len() {
        w.close(
            &format!("gradient under test, entry {j}, against softmax(z) − p"),
            g[j],
            crate_g[j],
            allowance[j] + gradient_error(&q, &rel, mass, crate_g[j], j),
        )?;
    }
    Ok(())
}

/// The gradient under test of a batch of two equal rows under `batchmean`
/// against half its gradient of one row under `none` ((softmax z − p)/R
/// with R = 2, see [`Implementation`]): both within the contract's
/// allowance of the exact values, and halving is exact, so within the sum
/// of the two allowances (the batchmean one's already divided by R).
/// Nothing to compare when the gradient is not offered.
fn batchmean_gradient(
    m: &dyn Implementation,
    p: &[f64],
    z: &[f64],
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let (pv, zv) = (p.to_vec(), z.to_vec());
    let one = match m.cross_entropy_logits_grad_rows(
        std::slice::from_ref(&pv),
        std::slice::from_ref(&zv),
        Reduction::None,
    ) {
        Err(Refusal::Unsupported) => return Ok(()),
        other => other.map_err(failed_in("the gradient rejected a valid pair"))?,
    };
    let two = m
        .cross_entropy_logits_grad_rows(&[pv.clone(), pv], &[zv.clone(), zv], Reduction::BatchMean)
        .map_err(failed_in("the batchmean gradient rejected a valid batch"))?;
    let single = contract_gradient_bounds(Arithmetic::F64, p, z, 1, Reduction::None, 0.0);
    let mean = contract_gradient_bounds(Arithmetic::F64, p, z, 2, Reduction::BatchMean, 0.0);
    let shape_ok = one.len() == 1
        && two.len() == 2
        && one[0].len() == p.len()
        && two.iter().all(|r| r.len() == p.len());
    w.require(shape_ok, || {
        CheckFailure::require(
            "one gradient row per row",
            "the gradient's rows do not have the batch's shape".to_string(),
        )
    })?;
    for row in &two {
        for j in 0..p.len() {
            w.close(
                &format!("batchmean gradient of two equal rows, entry {j}, against half the gradient of one"),
                row[j],
                one[0][j] / 2.0,
                mean[j] + single[j] / 2.0,
            )?;
        }
    }
    Ok(())
}

fn show_logits(p: &[f64], z: &[f64]) -> Counterexample {
    let mut rows = vec![row("p", fmt_vec(p)), row("z", fmt_vec(z))];
    if let Ok(g) = softmax_cross_entropy_grad(p, z) {
        rows.push(row("softmax(z) − p", fmt_vec(&g)));
    }
    Counterexample {
        summary: "the gradient of CE or KL in the logits is not softmax(z) − p here".to_string(),
        rows,
    }
}

/// Up to 24 categories, zeros allowed in p, logits of magnitude up to 30
/// (softmax stays far from underflow, so the measures see positive q).
fn arb_moderate() -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    (1usize..=24)
        .prop_flat_map(|n| {
            (
                arb_distribution_of(n),
                prop_oneof![Just(1.0), Just(5.0), Just(30.0)],
                vec(-1.0f64..1.0, n),
            )
        })
        .prop_map(|(p, s, z)| (p, z.into_iter().map(|x| x * s).collect()))
        .boxed()
}

fn differences_case(
    m: &dyn Implementation,
    p: &[f64],
    z: &[f64],
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let coords: Vec<usize> = (0..z.len()).collect();
    for which in [Divergence::CrossEntropy, Divergence::Kl] {
        let eval = |zz: &[f64]| {
            let q = measures::softmax(zz).map_err(failed("softmax"))?;
            let rel = softmax_relative_errors(zz, &q);
            measured(m, which, p, &q, &rel)
        };
        compare_with_differences(
            w,
            &format!("measured {}", which.name()),
            &eval,
            p,
            z,
            &coords,
        )?;
    }
    Ok(())
}

fn check_gradient(ctx: &Context<'_>) -> Evidence {
    let m = ctx.measures;
    let analytic = property(
        ctx,
        "gradient-equivalence/analytic",
        arb_distribution_and_logits(),
        |(p, z), w| analytic_case(p, z, w),
    )
    .shown(|(p, z)| show_logits(p, z));
    let under_test = property(
        ctx,
        "gradient-equivalence/gradient-under-test",
        arb_distribution_and_logits(),
        |(p, z), w| gradient_case(m, p, z, w),
    )
    .shown(|(p, z)| show_logits(p, z));
    let differences = property(
        ctx,
        "gradient-equivalence/finite-differences",
        arb_moderate(),
        |(p, z), w| differences_case(m, p, z, w),
    )
    .shown(|(p, z)| show_logits(p, z));
    let descent = property(
        ctx,
        "gradient-equivalence/gradient-descent",
        arb_descent(),
        |(p, start), w| descent_case(m, p, start, w),
    )
    .shown(|(p, start)| Counterexample {
        summary: "gradient descent on CE and on KL from this start diverge or do not converge"
            .to_string(),
        rows: vec![row("p", fmt_vec(p)), row("z₀", fmt_vec(start))],
    });
    holds_evidence(vec![
        ("gradient-under-test", under_test),
        ("analytic", analytic),
        ("finite-differences", differences),
        ("gradient-descent", descent),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Comparison;
    use crate::claims::failure::assert_fails;
    use crate::test_support::bounds::exact_log_softmax;

    /// The checks on the measures under test fail for planted bugs, at
    /// p = (0.2, 0.3, 0.5) and z = (0.1, −0.4, 0.7): a KL scaled by 1 + 2⁻⁸
    /// scales every central difference of KL by that factor, moving it by
    /// 2⁻⁸·|∂KL/∂zⱼ| (about 10⁻³) against bounds near 10⁻⁹.
    #[test]
    fn the_measured_checks_fail_for_planted_bugs() {
        use crate::measures::Reference;
        use crate::measures::planted::Affine;
        let (p, z) = ([0.2, 0.3, 0.5], [0.1, -0.4, 0.7]);
        assert_eq!(
            differences_case(&Reference, &p, &z, &mut Worst::new()),
            Ok(())
        );
        let scaled = Affine {
            kl: (1.0 + 2f64.powi(-8), 0.0),
            ..Affine::EXACT
        };
        assert_fails(
            differences_case(&scaled, &p, &z, &mut Worst::new()),
            Comparison::Close,
            "measured KL: ∂/∂z0 by central differences (h = ",
        );
    }

    /// Random (p, z): 2 to 8 entries, p with a zero in a third of the cases,
    /// logits of scale 1, 5 or 30 (and ±700 now and then, where softmax
    /// underflows for some entries).
    fn random_pair(rng: &mut rand_chacha::ChaCha8Rng, k: usize) -> (Vec<f64>, Vec<f64>) {
        use crate::test_support::bounds::{simplex, uniform};
        use rand::RngExt;
        let n = rng.random_range(2..9usize);
        let spread = uniform(rng, 0.1, 4.0);
        let mut p = simplex(rng, n, spread);
        if k.is_multiple_of(3) {
            p[n - 1] = 0.0;
            p = measures::normalize(&p).unwrap();
        }
        let scale = [1.0, 5.0, 30.0, 700.0][if k % 10 == 9 { 3 } else { k % 3 }];
        let z = (0..n).map(|_| scale * uniform(rng, -1.0, 1.0)).collect();
        (p, z)
    }

    /// The logit-parameterized CE and KL bounds cover the crate's values
    /// against −Σpᵢ ln softmax(z)ᵢ and Σpᵢ(ln pᵢ − ln softmax(z)ᵢ) at 320
    /// bits, on random pairs (both branches of the KL's ψ occur: |δ| ≤ 1 and
    /// > 1).
    ///
    /// Floors: 2⁻³ for CE (0.23 seen: the bound's 5u·CE covers a few
    /// roundings of positive terms, which random inputs reach in part, and
    /// Σpᵢrelᵢ the logits' own); 2⁻³ for KL (0.17 seen: the bound adds,
    /// for every entry, the error of ln pᵢ, of νᵢ and of ψ at their worst).
    #[test]
    fn logit_value_bounds_cover_the_exact_measures() {
        use crate::test_support::bounds::bound_checks;
        use crate::test_support::{PREC as P, RM, big};
        bound_checks(
            "logit-values",
            [
                ("claim 5: CE from logits", 0.125),
                ("claim 5: KL from logits", 0.125),
            ],
            200,
            |k, rng, cc, [ce_check, kl_check]| {
                let (p, z) = random_pair(rng, k);
                let ls = exact_log_softmax(&z, cc);
                let (mut ce, mut kl) = (big(0.0), big(0.0));
                for i in 0..p.len() {
                    if p[i] > 0.0 {
                        let pi = big(p[i]);
                        ce = ce.sub(&pi.mul(&ls[i], P, RM), P, RM);
                        let lp = pi.ln(P, RM, cc);
                        kl = kl.add(&pi.mul(&lp.sub(&ls[i], P, RM), P, RM), P, RM);
                    }
                }
                let at = || format!("p {p:?}, z {z:?}");
                let (value, bound) = logits_value(Divergence::CrossEntropy, &p, &z).unwrap();
                ce_check.value(value, &ce, bound, cc, at);
                let (value, bound) = logits_value(Divergence::Kl, &p, &z).unwrap();
                kl_check.value(value, &kl, bound, cc, at);
            },
        );
    }

    /// The derivative helpers against 320 bits, on random pairs and
    /// coordinates: `q_bounds` bounds the exact qⱼ and 1 − qⱼ from above;
    /// `third_derivative` bounds sup |P·qⱼ(1 − qⱼ)(1 − 2qⱼ)| along zⱼ ± t
    /// (t from 0 to 2, the sup taken on 65 points of the segment, where qⱼ(s)
    /// = qⱼeˢ/(1 − qⱼ + qⱼeˢ)); `gradient_error` covers the crate's gradient
    /// softmax(z) − p against P·qⱼ − pⱼ.
    ///
    /// Floors: 2⁻¹ for q_bounds (0.99 seen: an upper bound off by the
    /// entries' relative errors and 1%); 2⁻¹ for the third derivative (1.00
    /// seen: the cap √3/18 is reached where qⱼ passes (3 − √3)/6, and
    /// min(qⱼ, 1 − qⱼ)e^(2t) is near |f‴| for small qⱼ and small t);
    /// 2⁻¹ for the gradient (0.90 seen: where the mass is off 1 by a few u,
    /// the bound's |P − 1|·qⱼ term is met).
    #[test]
    fn derivative_helpers_bound_the_exact_values() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::{PREC as P, RM, big, to_f64};
        use rand::RngExt;
        bound_checks(
            "derivative-helpers",
            [
                ("claim 5: upper bounds of qⱼ, 1 − qⱼ", 0.5),
                ("claim 5: third derivative along zⱼ", 0.5),
                ("claim 5: gradient softmax(z) − p", 0.5),
            ],
            120,
            |k, rng, cc, [up_check, m3_check, grad_check]| {
                let (p, z) = random_pair(rng, k);
                let j = rng.random_range(0..p.len());
                let q = measures::softmax(&z).unwrap();
                let rel = softmax_relative_errors(&z, &q);
                let ls = exact_log_softmax(&z, cc);
                let qj = ls[j].exp(P, RM, cc);
                let rest = big(1.0).sub(&qj, P, RM);
                let (q_up, rest_up) = q_bounds(&q, &rel, j);
                let at = || format!("p {p:?}, z {z:?}, j {j}");
                up_check.record(to_f64(&qj, cc), q_up, at);
                up_check.record(to_f64(&rest, cc), rest_up, at);
                let mass = crate::numerics::compensated_sum(&p);
                let t = if k % 4 == 0 {
                    0.0
                } else {
                    uniform(rng, 0.0, 2.0)
                };
                let mut sup = big(0.0);
                for step in 0..=64 {
                    let s = big(t * (f64::from(step) / 32.0 - 1.0));
                    let grown = qj.mul(&s.exp(P, RM, cc), P, RM);
                    let x = grown.div(&rest.add(&grown, P, RM), P, RM);
                    let one_minus = big(1.0).sub(&x, P, RM);
                    let f3 = x
                        .mul(&one_minus, P, RM)
                        .mul(&one_minus.sub(&x, P, RM), P, RM)
                        .abs();
                    if f3.cmp(&sup) == Some(1) {
                        sup = f3;
                    }
                }
                let sup = to_f64(
                    &sup.mul(
                        &p.iter().fold(big(0.0), |a, &x| a.add(&big(x), P, RM)),
                        P,
                        RM,
                    ),
                    cc,
                );
                m3_check.record(
                    sup,
                    third_derivative(mass * (1.0 + 3.0 * U), q_up, rest_up, t),
                    at,
                );
                let g = softmax_cross_entropy_grad(&p, &z).unwrap();
                let exact = p
                    .iter()
                    .fold(big(0.0), |a, &x| a.add(&big(x), P, RM))
                    .mul(&qj, P, RM)
                    .sub(&big(p[j]), P, RM);
                grad_check.value(
                    g[j],
                    &exact,
                    gradient_error(&q, &rel, mass, g[j], j),
                    cc,
                    at,
                );
            },
        );
    }

    /// The central difference's bound (with nothing compared: `compared` =
    /// 0) covers its distance to the exact derivative P·qⱼ − pⱼ at 320 bits,
    /// for CE and KL from the logits and for measured CE and KL at the
    /// contract's edge, at the step the claim uses (`capped_step`) and at
    /// steps 2⁴ times smaller and larger; and at zⱼ = 1 with h = u, where
    /// zⱼ + h rounds back to 1 (unequal stored steps). `compared` adds as
    /// it is.
    ///
    /// Floors: 2⁻¹ at ordinary steps (0.99 seen: at the edge the
    /// evaluation errors are used nearly whole, and at 16 times the claim's
    /// step the truncation term, with sup |f‴| near |f‴| at zⱼ, is reached);
    /// 2⁻⁴ at unequal stored steps (0.13 seen: the asymmetry term
    /// (P/8)|a − b| takes |f″| at its cap P/4, the actual f″ = P·qⱼ(1 − qⱼ)
    /// is smaller).
    #[test]
    fn central_difference_covers_the_exact_derivative() {
        use crate::test_support::bounds::bound_checks;
        use crate::test_support::{AtTheEdge, PREC as P, RM, big};
        use rand::RngExt;
        bound_checks(
            "central-difference",
            [
                ("claim 5: central difference", 0.5),
                ("claim 5: central difference, unequal steps", 2f64.powi(-4)),
            ],
            40,
            |k, rng, cc, [check, uneven]| {
                let (p, mut z) = random_pair(rng, k % 9);
                let j = rng.random_range(0..p.len());
                if k % 8 == 7 {
                    z[j] = 1.0;
                }
                let q = measures::softmax(&z).unwrap();
                let rel = softmax_relative_errors(&z, &q);
                let mass = crate::numerics::compensated_sum(&p);
                let (q_up, rest_up) = q_bounds(&q, &rel, j);
                let m3 = |t: f64| third_derivative(mass * (1.0 + 3.0 * U), q_up, rest_up, t);
                let ls = exact_log_softmax(&z, cc);
                let exact = p
                    .iter()
                    .fold(big(0.0), |a, &x| a.add(&big(x), P, RM))
                    .mul(&ls[j].exp(P, RM, cc), P, RM)
                    .sub(&big(p[j]), P, RM);
                for which in [Divergence::CrossEntropy, Divergence::Kl] {
                    let crate_eval = |zz: &[f64]| logits_value(which, &p, zz);
                    let edge_eval = |zz: &[f64]| {
                        let q = measures::softmax(zz).map_err(failed("softmax"))?;
                        let rel = softmax_relative_errors(zz, &q);
                        measured(&AtTheEdge::KIT, which, &p, &q, &rel)
                    };
                    for eval in [&crate_eval as Evaluation<'_>, &edge_eval] {
                        let (_, e0) = eval(&z).unwrap();
                        let h0 = capped_step(e0, m3(0.0));
                        let steps = if k % 8 == 7 {
                            vec![U]
                        } else {
                            vec![h0, h0 / 16.0, h0 * 16.0]
                        };
                        for h in steps {
                            let (fd, bound) = central_difference(
                                eval,
                                (&z, j),
                                h,
                                mass * (1.0 + 3.0 * U),
                                &m3,
                                0.0,
                            )
                            .unwrap();
                            let into = if k % 8 == 7 {
                                &mut *uneven
                            } else {
                                &mut *check
                            };
                            into.value(fd, &exact, bound, cc, || {
                                format!("{} p {p:?}, z {z:?}, j {j}, h {h:e}", which.name())
                            });
                            let (_, with) = central_difference(
                                eval,
                                (&z, j),
                                h,
                                mass * (1.0 + 3.0 * U),
                                &m3,
                                2f64.powi(-30),
                            )
                            .unwrap();
                            assert_eq!(with, bound + 2f64.powi(-30));
                        }
                    }
                }
            },
        );
    }
}
