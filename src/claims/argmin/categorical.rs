//! Claim 4 on softmax families: a target against full and log-linear
//! families (with a probe of the measured objectives around each optimum),
//! and category counts, whose MLE is in closed form.

use crate::claims::CheckFailure;
use crate::claims::failure::failed;
use proptest::collection::vec;
use proptest::prelude::*;

use super::{fit, radius};
use crate::claims::harness::{U, Worst, agree, measured, row};
use crate::claims::{Counterexample, Implementation};
use crate::measures::normalize;
use crate::models::linalg::norm2_up;
use crate::models::objectives::{CategoricalNll, Divergence, SoftmaxKl};
use crate::models::{SoftmaxCrossEntropy, TINY, categorical_mle};
use crate::numerics::format::short_vector as fmt_vec;

/// Positive weights, mostly ordinary, sometimes small (down to 1e−6 before
/// normalizing), normalized: a target with full support.
fn arb_positive_distribution_of(n: usize) -> BoxedStrategy<Vec<f64>> {
    vec(prop_oneof![6 => 1e-3f64..1.0, 1 => 1e-6f64..1e-3], n)
        .prop_map(|w| normalize(&w).expect("positive finite weights normalize"))
        .boxed()
}

/// A target p, features A = [I_d; B; 0] (the identity keeps the family
/// identifiable, the zero row fixes the gauge; d = k − 1 is the full family)
/// and a start θ₀.
#[derive(Debug, Clone)]
pub(super) struct FamilyCase {
    p: Vec<f64>,
    features: Vec<Vec<f64>>,
    start: Vec<f64>,
}

impl FamilyCase {
    fn saturated(&self) -> bool {
        self.features[0].len() + 1 == self.p.len()
    }
}

pub(super) fn arb_family() -> BoxedStrategy<FamilyCase> {
    (2usize..=10)
        .prop_flat_map(|k| (Just(k), prop_oneof![Just(k - 1), 1..k]))
        .prop_flat_map(|(k, d)| {
            (
                arb_positive_distribution_of(k),
                vec(vec(-1.0f64..1.0, d), k - d - 1),
                vec(-2.0f64..2.0, d),
            )
        })
        .prop_map(|(p, b, start)| {
            let (k, d) = (p.len(), start.len());
            let mut features: Vec<Vec<f64>> = (0..d)
                .map(|i| (0..d).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
                .collect();
            features.extend(b);
            features.push(vec![0.0; d]);
            debug_assert_eq!(features.len(), k);
            FamilyCase { p, features, start }
        })
        .boxed()
}

/// Probes the measured objective around θ̂: for a convex f,
/// f(θ̂ ± h·eⱼ) − f(θ̂) ≥ ∇f(θ̂)·(±h·eⱼ) ≥ −G·h with G ≥ ‖∇f(θ̂)‖ from the
/// certificate. The measured values are within their bounds e₀, e±, so the
/// measured difference must be at least −G·h − (e₀ + e±). A measure whose
/// minimizer is elsewhere (reverse KL on a restricted family) has a descent
/// direction at θ̂ and fails.
///
/// Step: h = √(2e₀/Lⱼ) with Lⱼ = P·rangeᵢ(Aᵢⱼ)²/4 ≥ ∂²f/∂θⱼ² (a variance under
/// q is at most range²/4): the curvature term Lⱼh²/2 then equals the
/// evaluation error, the smallest h at which a probe is not pure rounding.
fn probe_minimum(
    m: &dyn Implementation,
    obj: &SoftmaxCrossEntropy,
    theta: &[f64],
    gradient_bound: f64,
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let p = obj.target();
    for which in [Divergence::CrossEntropy, Divergence::Kl] {
        let at = |t: &[f64]| {
            let pt = obj.point(t);
            measured(m, which, p, &pt.q, &pt.rel)
        };
        let (f0, e0) = at(theta)?;
        for j in 0..theta.len() {
            let column = (0..p.len()).map(|i| obj.feature_row(i)[j]);
            let (lo, hi) = column.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
            let h = probe_step(e0, obj.mass(), hi - lo);
            for sign in [1.0, -1.0] {
                let mut moved = theta.to_vec();
                moved[j] = theta[j] + sign * h;
                let step = (moved[j] - theta[j]).abs() * (1.0 + U);
                let (f1, e1) = at(&moved)?;
                let diff = f1 - f0;
                w.at_least(
                    &format!(
                        "measured {}(θ̂ {} h·e{j}) − {}(θ̂) (h = {h:e})",
                        which.name(),
                        if sign > 0.0 { "+" } else { "−" },
                        which.name()
                    ),
                    diff,
                    -gradient_bound * step * (1.0 + 2.0 * U),
                    difference_slack(e0, e1, diff),
                )?;
            }
        }
    }
    Ok(())
}

/// The probe step h = √(2e₀/L) with L = P·range²/4 (the curvature bound of
/// [`probe_minimum`]), or √u when that is not a positive finite number (a
/// zero error bound or a constant column).
fn probe_step(e0: f64, mass: f64, range: f64) -> f64 {
    let curvature = mass * range * range / 4.0;
    let h = (2.0 * e0 / curvature).sqrt();
    if h.is_finite() && h > 0.0 {
        h
    } else {
        U.sqrt()
    }
}

/// The slack of a computed difference f̃₁ − f̃₀ of two values within e₀ and
/// e₁: (e₀ + e₁)(1 + 2u) + u·|f̃₁ − f̃₀| (the subtraction's rounding, and
/// the sum's).
fn difference_slack(e0: f64, e1: f64, difference: f64) -> f64 {
    (e0 + e1) * (1.0 + 2.0 * U) + U * difference.abs()
}

pub(super) fn categorical_case(
    m: &dyn Implementation,
    c: &FamilyCase,
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let obj =
        SoftmaxCrossEntropy::new(&c.p, &c.features).map_err(failed("SoftmaxCrossEntropy::new"))?;
    let kl = SoftmaxKl(&obj);
    let ce_fit = fit("Newton on CE(p, softmax(Aθ))", &obj, &c.start)?;
    let kl_fit = fit("Newton on KL(p‖softmax(Aθ))", &kl, &c.start)?;
    agree(
        w,
        "‖θ̂_CE − θ̂_KL‖ (both within their certificates of θ*)",
        &ce_fit.theta,
        &kl_fit.theta,
        radius(&ce_fit, &kl_fit),
    )?;
    if c.saturated() {
        // Closed form: softmax(θ*, 0) = p, θᵢ* = ln pᵢ − ln p_k, each ln within
        // 2u (one ulp), the difference within u.
        let (star, star_err) = closed_form_logits(&c.p);
        for (name, f) in [("CE", &ce_fit), ("KL", &kl_fit)] {
            agree(
                w,
                &format!("‖θ̂_{name} − ln(p/p_k)‖ (closed form)"),
                &f.theta,
                &star,
                f.certificate.parameter_error + star_err,
            )?;
        }
        // softmax(θ̂) against p: softmax is ½-Lipschitz in ℓ₂ (its Jacobian
        // diag q − qqᵀ has norm ≤ ½) and A = [I; 0] is an isometry, so the
        // exact q(θ̂) is within r/2 of q(θ*) = p/P; q̃ is within relᵢq̃ᵢ + 2⁻¹⁰⁷⁴
        // of q(θ̂); p/P within |P − 1|·p/P of p (P within 3u of P̃).
        let pt = obj.point(&ce_fit.theta);
        let bound = softmax_distance_bound(
            ce_fit.certificate.parameter_error,
            &pt.q,
            &pt.rel,
            &c.p,
            obj.mass(),
        );
        agree(w, "‖softmax(ẑ_CE) − p‖", &pt.q, &c.p, bound)?;
    }
    probe_minimum(m, &obj, &ce_fit.theta, ce_fit.certificate.gradient_norm, w)?;
    probe_minimum(m, &obj, &kl_fit.theta, kl_fit.certificate.gradient_norm, w)
}

/// The minimizer θᵢ* = ln wᵢ − ln w_k of the full softmax family
/// (A = [I; 0], softmax(θ*, 0) = w/Σw) for positive weights w (a target p,
/// or category counts), and a bound on the ℓ₂ distance of the computed θ*
/// to the exact one: each ln within 2u (one ulp, 1.01 for the bound's own
/// rounding), the difference within u|θᵢ*|.
fn closed_form_logits(p: &[f64]) -> (Vec<f64>, f64) {
    let k = p.len();
    let lk = p[k - 1].ln();
    let star: Vec<f64> = p[..k - 1].iter().map(|pi| pi.ln() - lk).collect();
    let err: Vec<f64> = star
        .iter()
        .zip(p)
        .map(|(s, pi)| 2.02 * U * (pi.ln().abs() + lk.abs()) + U * s.abs())
        .collect();
    (star, norm2_up(&err))
}

/// A bound on ‖q̃ − p‖₂ for the computed softmax q̃ (entries within
/// relᵢq̃ᵢ + 2⁻¹⁰⁷⁴ of the exact q(θ̂)) at a fit θ̂ within r of the minimizer,
/// for a target p of computed mass P̃: softmax is ½-Lipschitz in ℓ₂ (its
/// Jacobian diag q − qqᵀ has norm ≤ ½) and A = [I; 0] is an isometry, so
/// q(θ̂) is within r/2 of q(θ*) = p/P; p/P is within |P − 1|/(1 − |P − 1|)
/// ·‖p‖ of p, with |P − 1| ≤ |P̃ − 1| + 3u. In all
/// (r/2 + ‖relᵢq̃ᵢ + 2⁻¹⁰⁷⁴‖ + ‖p‖·o/(1 − o))·(1 + 2u), o = |P̃ − 1| + 3u.
fn softmax_distance_bound(radius: f64, q: &[f64], rel: &[f64], p: &[f64], mass: f64) -> f64 {
    let q_err: Vec<f64> = q.iter().zip(rel).map(|(q, r)| r * q + TINY).collect();
    let off = (mass - 1.0).abs() + 3.0 * U;
    let bound = 0.5 * radius + norm2_up(&q_err) + norm2_up(p) * off / (1.0 - off);
    bound * (1.0 + 2.0 * U)
}

pub(super) fn show_family(c: &FamilyCase) -> Counterexample {
    let mut rows = vec![
        row("p", fmt_vec(&c.p)),
        row(
            "family",
            if c.saturated() {
                "softmax, full (A = [I; 0])".to_string()
            } else {
                format!("log-linear, {} parameters", c.start.len())
            },
        ),
        row("θ₀", fmt_vec(&c.start)),
    ];
    for (i, r) in c.features.iter().enumerate().take(8) {
        rows.push(row(&format!("A row {i}"), fmt_vec(r)));
    }
    Counterexample {
        summary: "minimizing CE and minimizing KL over this softmax family disagree".to_string(),
        rows,
    }
}

/// Category counts (every category seen) and a start.
pub(super) fn arb_counts() -> BoxedStrategy<(Vec<u32>, Vec<f64>)> {
    (2usize..=8)
        .prop_flat_map(|k| (vec(1u32..=20, k), vec(-2.0f64..2.0, k - 1)))
        .boxed()
}

pub(super) fn categorical_empirical_case(
    counts: &[u32],
    start: &[f64],
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let k = counts.len();
    let samples: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| std::iter::repeat_n(i, c as usize))
        .collect();
    let p_hat = categorical_mle(&samples, k).map_err(failed("categorical_mle"))?;
    let obj =
        SoftmaxCrossEntropy::saturated(&p_hat).map_err(failed("SoftmaxCrossEntropy::saturated"))?;
    let nll = CategoricalNll {
        base: &obj,
        samples: &samples,
    };
    let ce_fit = fit("Newton on CE(p̂ₙ, softmax z)", &obj, start)?;
    let kl_fit = fit("Newton on KL(p̂ₙ‖softmax z)", &SoftmaxKl(&obj), start)?;
    let nll_fit = fit("Newton on the sample NLL", &nll, start)?;
    // The MLE in closed form: softmax(θ*, 0) = c/n, θᵢ* = ln cᵢ − ln c_k.
    let weights: Vec<f64> = counts.iter().map(|&c| f64::from(c)).collect();
    let (star, star_err) = closed_form_logits(&weights);
    let shift = stored_mle_shift(k);
    agree(
        w,
        "‖θ̂_NLL − ln(c/c_k)‖ (the MLE)",
        &nll_fit.theta,
        &star,
        nll_fit.certificate.parameter_error + star_err,
    )?;
    agree(
        w,
        "‖θ̂_CE − ln(c/c_k)‖",
        &ce_fit.theta,
        &star,
        ce_fit.certificate.parameter_error + star_err + shift,
    )?;
    agree(
        w,
        "‖θ̂_KL − ln(c/c_k)‖",
        &kl_fit.theta,
        &star,
        kl_fit.certificate.parameter_error + star_err + shift,
    )?;
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
        radius(&ce_fit, &nll_fit) + shift,
    )?;
    agree(
        w,
        "‖θ̂_KL − θ̂_NLL‖",
        &kl_fit.theta,
        &nll_fit.theta,
        radius(&kl_fit, &nll_fit) + shift,
    )
}

/// CE(p̂) and KL(p̂‖·) use the stored p̂ᵢ = fl(cᵢ/n), within u relative of
/// cᵢ/n: their exact minimizer ln(p̂ᵢ/p̂_k) is within 2.01u per coordinate
/// of θᵢ* = ln(cᵢ/c_k), so within 2.01u·√(k − 1) in ℓ₂ over the k − 1 free
/// logits.
fn stored_mle_shift(k: usize) -> f64 {
    2.01 * U * ((k - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::linalg::gamma;

    /// The probe step and slack at dyadic arguments: e₀ = 2⁻⁴⁰, P = 1,
    /// range 2 give L = 1 and h = √(2⁻³⁹) = 2⁻¹⁹·√2⁻¹ (one rounding of the
    /// square root: u relative); no error or no range falls back to √u; the
    /// slack (¼ + ¼)(1 + 2u) + u·|−4| = ½ + 5u, exact.
    #[test]
    fn probe_step_and_slack_follow_their_formulas() {
        let want = 2f64.powi(-39).sqrt();
        assert!((probe_step(2f64.powi(-40), 1.0, 2.0) - want).abs() <= U * want);
        let want = 2f64.powi(-41).sqrt(); // L = 4 at P = 1, range 4
        assert!((probe_step(2f64.powi(-40), 1.0, 4.0) - want).abs() <= U * want);
        let want = 2f64.powi(-19); // L = ½ at P = ½, range 2: √(2⁻³⁸)
        assert!((probe_step(2f64.powi(-40), 0.5, 2.0) - want).abs() <= U * want);
        assert_eq!(probe_step(0.0, 1.0, 2.0), U.sqrt());
        assert_eq!(probe_step(1.0, 1.0, 0.0), U.sqrt());
        assert_eq!(difference_slack(0.25, 0.25, -4.0), 0.5 + 5.0 * U);
    }

    /// The closed-form minimizer at p = (¼, ½, ¼): θ* = (0, ln 2), whose
    /// computed value is within the stated bound of the 320-bit one, and the
    /// bound is the documented ‖(2.02u·4ln 2, 2.02u·3ln 2 + u·ln 2)‖ (f64
    /// ln 2 within u/2 relative, the norm's γ₄, a few roundings: 8u).
    #[test]
    fn closed_form_logits_follow_their_formula() {
        use std::f64::consts::LN_2;
        let (star, err) = closed_form_logits(&[0.25, 0.5, 0.25]);
        assert_eq!(star[0], 0.0);
        // ln ½ − ln ¼ = ln 2: both logs are correctly rounded multiples of
        // ln 2 (by 1 and 2, exact scalings), so the difference is f64 ln 2.
        assert_eq!(star[1], LN_2);
        let want = (2.02 * U * 4.0 * LN_2).hypot(2.02 * U * 3.0 * LN_2 + U * LN_2);
        assert!(
            err >= want && err <= want * (1.0 + 8.0 * U),
            "{err:e} vs {want:e}"
        );
    }

    /// The softmax distance bound: one case where r/2 dominates, one where
    /// the mass term's 3u does (exact mass 1), one where the q̃ errors and an
    /// off mass do. The wanted values are the documented formula; the
    /// function's and the test's roundings (a few non-negative terms, two
    /// norms' γ₄) stay within 8u relative, while any changed term moves the
    /// result by at least 2⁻²⁰ relative in the case where it counts.
    #[test]
    fn softmax_distance_bound_follows_its_formula() {
        let half = std::f64::consts::FRAC_1_SQRT_2; // ‖(½, ½)‖
        let g = 1.0 + gamma(4);
        let cases = [
            // (r, rel, mass, want)
            (0.25, [0.0, 0.0], 1.0, 0.125 + half * g * 3.0 * U),
            (0.0, [0.0, 0.0], 1.0, half * g * 3.0 * U / (1.0 - 3.0 * U)),
            (
                0.0,
                [2f64.powi(-40), 2f64.powi(-41)],
                1.0 + 2f64.powi(-30),
                (0.5f64 * 2f64.powi(-40)).hypot(0.5 * 2f64.powi(-41)) * g
                    + half * g * (2f64.powi(-30) + 3.0 * U) / (1.0 - 2f64.powi(-30)),
            ),
        ];
        for (k, (r, rel, mass, want)) in cases.into_iter().enumerate() {
            let want = want * (1.0 + 2.0 * U);
            let got = softmax_distance_bound(r, &[0.5, 0.5], &rel, &[0.5, 0.5], mass);
            assert!(
                (got - want).abs() <= 8.0 * U * want,
                "case {k}: {got:e} vs {want:e}"
            );
        }
        // The final round-up by (1 + 2u), seen exactly: with p = 0 and exact
        // q̃ only r/2 = ⅛ is left (2·2⁻¹⁰⁷⁴ vanishes in the sum), and
        // ⅛·(1 + 2u) = ⅛ + 2⁻⁵⁵, one ulp of ⅛.
        let got = softmax_distance_bound(0.25, &[0.5, 0.5], &[0.0, 0.0], &[0.0, 0.0], 1.0);
        assert_eq!(got, 0.125 + 2f64.powi(-55));
    }

    /// The stored MLE's shift, 2.01u·√(k − 1), at k = 5: two roundings, 4u.
    #[test]
    fn stored_mle_shift_follows_its_formula() {
        crate::test_support::assert_near(stored_mle_shift(5), 2.01 * U * 2.0, 4.0, "shift");
    }
}
