//! Claim 3's continuous caveat: for a sample of reals and a Normal(μ, σ)
//! model the mean NLL is finite, CE(p̂ₙ,h, q_h) + ln h tends to it as the
//! bin width h = 2⁻ᵏ shrinks, and KL(p̂ₙ,h‖q_h) grows like ln(1/h).

use super::normal_bins::{BinProbability, normal_bin_probability};
use crate::claims::CheckFailure;
use crate::claims::failure::failed_in;
use crate::claims::harness::{HALF_LN_2PI, U, Worst, condition};
use crate::claims::{Counterexample, Implementation};
use crate::measures::normalize;
use crate::numerics::format::first_eight as shown;
use crate::numerics::{compensated_sum, gamma};
use crate::risk::empirical::mean_nll_continuous;

/// The binned quantities at one level h = 2⁻ᵏ.
struct Binned {
    /// The occupancy counts of the occupied bins, left to right.
    counts: Vec<usize>,
    /// CE(p̂ₙ,h, q_h) and KL(p̂ₙ,h‖q_h) from the measures under test.
    ce: f64,
    kl: f64,
    /// The discretization bound: (1/n)Σᵢ h·max_{t ∈ bin(xᵢ)}|t − μ|/σ².
    disc: f64,
    /// How far the computed CE may be from the exact CE of the exact binned
    /// vectors (contract, rounding of p̂ and of q_h).
    ce_error: f64,
    /// The computed KL's contract plus the effect of the rounding of p̂ and
    /// q_h on the CE: how far KL̃ may be from CE(p*, q_h) − H(p̂) with p* the
    /// exact count ratios and q_h the exact bin probabilities.
    kl_error: f64,
}

/// Bins the sorted sample at width h = 2⁻ᵏ ([jh, (j + 1)h) for integer j),
/// builds p̂ₙ,h and q_h on the occupied bins plus one category for the rest of
/// the line (where p̂ₙ,h = 0, so its terms vanish), and evaluates CE and KL.
fn binned(
    m: &dyn Implementation,
    sorted: &[f64],
    level: i32,
    mu: f64,
    sigma: f64,
) -> Result<Binned, CheckFailure> {
    let n = sorted.len();
    let h = 1.0 / f64::from(1u32 << level);
    // Occupied bins, left edge and count; x/h and j·h are exact (h is dyadic,
    // |x| < 2²³ and |j| < 2⁵²).
    let mut bins: Vec<(f64, usize)> = Vec::new();
    for &x in sorted {
        let a = (x / h).floor() * h;
        match bins.last_mut() {
            Some((edge, count)) if *edge == a => *count += 1,
            _ => bins.push((a, 1)),
        }
    }
    let probabilities: Vec<BinProbability> = bins
        .iter()
        .map(|&(a, _)| normal_bin_probability(a, h, mu, sigma))
        .collect();
    let mut weights: Vec<f64> = probabilities.iter().map(|b| b.value).collect();
    let occupied_mass = compensated_sum(&weights);
    weights.push((1.0 - occupied_mass).max(0.0));
    // Normalizing divides by s = Σ weights (≈ 1 within rounding): each entry
    // moves by |1/s − 1| relative, plus the division's u.
    let s = compensated_sum(&weights);
    let renormalization = (s - 1.0).abs() / s + 2.0 * U;
    let q = normalize(&weights).map_err(|e| {
        CheckFailure::evaluation(
            "binned model",
            format!("binned model at h = 2^-{level}: {e}"),
        )
    })?;
    let mut p: Vec<f64> = bins.iter().map(|&(_, c)| c as f64 / n as f64).collect();
    p.push(0.0);
    let ce = m.cross_entropy(&p, &q).map_err(|e| {
        CheckFailure::evaluation(
            "CE(p̂ₙ,h, q_h) rejected a valid pair",
            format!("CE(p̂ₙ,h, q_h) at h = 2^-{level} rejected a valid pair: {e}"),
        )
    })?;
    let kl = m.kl_divergence(&p, &q).map_err(|e| {
        CheckFailure::evaluation(
            "KL(p̂ₙ,h‖q_h) rejected a valid pair",
            format!("KL(p̂ₙ,h‖q_h) at h = 2^-{level} rejected a valid pair: {e}"),
        )
    })?;
    // ln q̃ − ln q_h = ln(1 + ρ) with |ρ| ≤ ρⱼ: at most ρⱼ/(1 − ρⱼ).
    let mut q_error = 0.0;
    for (pj, b) in p.iter().zip(&probabilities) {
        let rho = b.rel_error + renormalization;
        if rho >= 0.5 {
            return Err(CheckFailure::require(
                "a bin probability bound below ½",
                format!("bin probability bound {rho:e} too loose at h = 2^-{level}"),
            ));
        }
        q_error += pj * rho / (1.0 - rho);
    }
    let c = condition(&p, &q);
    // p̂ = fl(c/n) is within u relative of the exact count ratio p*: it moves
    // CE by at most u·Σp̂|ln q|. The KL of the stored vectors is
    // CE(p̂, q̃) − H(p̂), within its contract of the computed one.
    let ce_error = c.allowance.cross_entropy + U * c.cross_entropy + q_error;
    let kl_error = c.allowance.kl + U * c.cross_entropy + q_error;
    // Discretization: q_h/h = q(ξ) for some ξ in the bin (mean value theorem
    // for integrals), and |ln q(x) − ln q(ξ)| ≤ h·max_bin |t − μ|/σ² since
    // (ln q)′(t) = −(t − μ)/σ². Computed with a few roundings: 1 + 8u.
    let terms: Vec<f64> = bins
        .iter()
        .map(|&(a, count)| {
            let dev = (a - mu).abs().max((a + h - mu).abs());
            count as f64 * h * dev / (sigma * sigma)
        })
        .collect();
    let disc = compensated_sum(&terms) / n as f64 * (1.0 + 8.0 * U);
    Ok(Binned {
        counts: bins.iter().map(|&(_, c)| c).collect(),
        ce,
        kl,
        disc,
        ce_error,
        kl_error,
    })
}

/// The finest binning level: h = 2⁻³⁰.
const LEVELS: i32 = 30;

/// The rounding bound of the mean Normal NLL (1/n)Σ(c₀ + zᵢ²/2),
/// c₀ = fl(½ln 2π + ln σ), zᵢ = (xᵢ − μ)/σ, given m = mean zᵢ²/2:
/// 1.01·(u(½ln 2π + 2|ln σ| + |c₀|) + 5u·m + (2u + γₙ²)(|c₀| + m) + u|NLL|).
/// c₀ is off by u(½ln 2π + 2|ln σ| + |c₀|) (the constant, ln within 1 ULP,
/// the sum); each term c₀ + zᵢ²/2 adds 5u·zᵢ²/2 (z in 2u, squared in 5u)
/// and u·|term|; the compensated sum u + γₙ² of Σ|terms|; the division u·|NLL|.
fn normal_nll_error(n: usize, ln_sigma: f64, c0: f64, mean_half_sq: f64, nll: f64) -> f64 {
    let terms = c0.abs() + mean_half_sq;
    1.01 * (U * (HALF_LN_2PI + 2.0 * ln_sigma.abs() + c0.abs())
        + 5.0 * U * mean_half_sq
        + (2.0 * U + gamma(n).powi(2)) * terms
        + U * nll.abs())
}

/// The error bound of the computed sum fl(ã + b̃) of two computed values,
/// each within its bound: e_a + e_b + u·|fl(ã + b̃)| (round to nearest:
/// fl(s) = s/(1 + δ) with |δ| ≤ u, so |fl(s) − s| ≤ u·|fl(s)|).
fn sum_rounding(a: f64, a_error: f64, b: f64, b_error: f64) -> f64 {
    a_error + b_error + U * (a + b).abs()
}

/// The slack of the floor KL_h ≥ ln(1/h) − ln K + NLL − disc for K occupied
/// bins: KL̃'s error bound, the stored p̂'s mass (within K·u of 1, so
/// H ≤ ln K + K·u·(ln K + 1)), the NLL's rounding, ln h's (2u|ln h|) and
/// ln K's (2u ln K), and the floor's three sums (3u over the magnitudes).
fn floor_slack(b: &Binned, nll: f64, nll_error: f64, ln_h: f64) -> f64 {
    let bins = b.counts.len() as f64;
    b.kl_error
        + bins * U * (bins.ln() + 1.0)
        + nll_error
        + 2.0 * U * ln_h.abs()
        + 2.0 * U * bins.ln()
        + 3.0 * U * (ln_h.abs() + bins.ln() + nll.abs() + b.disc)
}

/// The continuous caveat for one sample and Normal(μ, σ) model: the mean NLL
/// is finite, CE_h + ln h tends to it, KL_h grows like ln(1/h).
pub(super) fn continuous_case(
    m: &dyn Implementation,
    sample: &[f64],
    mu: f64,
    sigma: f64,
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let n = sample.len();
    let ln_sigma = sigma.ln();
    let c0 = HALF_LN_2PI + ln_sigma;
    let ln_pdf = |x: f64| {
        let z = (x - mu) / sigma;
        -(c0 + 0.5 * (z * z))
    };
    let nll = mean_nll_continuous(sample, ln_pdf).map_err(failed_in("mean NLL"))?;
    w.require(nll.is_finite(), || {
        CheckFailure::require(
            "the mean NLL of a normal model is finite",
            format!("the mean NLL of a normal model is {nll:e}, not finite"),
        )
    })?;
    // The mean NLL's rounding: c₀ = fl(½ln 2π + ln σ) is off by
    // u(½ln 2π + 2|ln σ| + |c₀|) (the constant, ln within 1 ULP, the sum);
    // each term c₀ + zᵢ²/2 adds 5u·zᵢ²/2 (z = (x − μ)/σ in 2u, squared in 5u)
    // and u·|term|; the compensated sum u + γ²ₙ of Σ|terms|; the division u·|NLL|.
    let mean_half_sq = mean_half_square(sample, mu, sigma);
    let nll_error = normal_nll_error(n, ln_sigma, c0, mean_half_sq, nll);

    let mut sorted = sample.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut previous: Option<Binned> = None;
    for level in 1..=LEVELS {
        let b = binned(m, &sorted, level, mu, sigma)?;
        // ln h = −k·ln 2: LN_2 and the product, 2u·|ln h|.
        let ln_h = -f64::from(level) * std::f64::consts::LN_2;
        let ln_h_error = 2.0 * U * ln_h.abs();

        // CE_h + ln h against the mean NLL: the discretization bound, plus the
        // rounding of CE_h, ln h, their sum and the NLL.
        w.close_approx(
            &format!("CE(p̂ₙ,h, q_h) + ln h − mean NLL at h = 2^-{level}"),
            b.ce + ln_h,
            nll,
            b.disc,
            sum_rounding(b.ce, b.ce_error, ln_h, ln_h_error) + nll_error,
        )?;

        // KL_h = CE_h − H_h and H_h ≤ ln K for K occupied bins (for the
        // stored p̂, whose mass P is within K·u of 1, H ≤ P ln K − P ln P adds
        // K·u·(ln K + 1)); CE_h ≥ NLL − ln h − disc. Hence
        //   KL_h ≥ ln(1/h) − ln K + NLL − disc,
        // which grows without bound as h → 0. Slack: KL̃ against
        // CE(p*, q_h) − H(p̂) (kl_error), the NLL's rounding, ln h's and
        // ln K's (2u), and the floor's three sums.
        let bins = b.counts.len() as f64;
        let floor = -ln_h - bins.ln() + nll - b.disc;
        let slack = floor_slack(&b, nll, nll_error, ln_h);
        w.at_least(
            &format!("KL(p̂ₙ,h‖q_h) against ln(1/h) − ln K + NLL − disc at h = 2^-{level}"),
            b.kl,
            floor,
            slack,
        )?;

        // Once halving h splits no bin, p̂ₙ,h is the same vector at h and h/2,
        // so H is the same and KL_{h/2} − KL_h = CE_{h/2} − CE_h, which is
        // ln 2 within disc(h) + disc(h/2) by the bound above (the NLL
        // cancels); each KL̃ within its kl_error; the two subtractions.
        if let Some(prev) = &previous
            && prev.counts == b.counts
        {
            // The difference's rounding (−KL̃ enters as a sum term)
            // and f64 ln 2's (u/2 relative, counted as 2u·ln 2).
            let rounding = sum_rounding(b.kl, b.kl_error, -prev.kl, prev.kl_error)
                + 2.0 * U * std::f64::consts::LN_2;
            w.close_approx(
                &format!("KL at h = 2^-{level} minus KL at twice that width, against ln 2"),
                b.kl - prev.kl,
                std::f64::consts::LN_2,
                prev.disc + b.disc,
                rounding,
            )?;
        }
        previous = Some(b);
    }
    Ok(())
}

pub(super) fn show_continuous(
    sample: &[f64],
    mu: f64,
    sigma: f64,
    m: &dyn Implementation,
) -> Counterexample {
    let mut rows = vec![
        ("n".to_string(), sample.len().to_string()),
        ("sample".to_string(), shown(sample)),
        (
            "model".to_string(),
            format!("Normal(μ = {mu}, σ = {sigma})"),
        ),
    ];
    let c0 = HALF_LN_2PI + sigma.ln();
    if let Ok(v) = mean_nll_continuous(sample, |x| {
        let z = (x - mu) / sigma;
        -(c0 + 0.5 * (z * z))
    }) {
        rows.push(("mean NLL".to_string(), format!("{v:e}")));
    }
    Counterexample {
        summary: format!(
            "with the measures of {}, the binned CE and KL of this sample do not behave as the continuous caveat states",
            m.name()
        ),
        rows,
    }
}

/// (1/n)·Σ zᵢ²/2 with zᵢ = (xᵢ − μ)/σ, compensated: the part of a normal
/// sample's mean NLL that the NLL's rounding bound scales with.
fn mean_half_square(sample: &[f64], mu: f64, sigma: f64) -> f64 {
    let half_sq: Vec<f64> = sample
        .iter()
        .map(|&x| {
            let z = (x - mu) / sigma;
            0.5 * z * z
        })
        .collect();
    compensated_sum(&half_sq) / sample.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Comparison;
    use crate::claims::failure::assert_fails;

    /// Claim 3's continuous check holds for the crate's measures and fails
    /// for each planted bug at the comparison it breaks. At h = 2⁻ᵏ the
    /// discretization bound is about h·E|x − μ|/σ², so a CE shifted by 2⁻¹⁰
    /// is caught once h is finer than that; a KL halved falls below the
    /// floor ln(1/h) − ln K + NLL − disc, which grows like ln(1/h); a KL
    /// scaled by 1 + 2⁻⁶ makes each halving of h add (1 + 2⁻⁶)·ln 2, outside
    /// the two levels' discretization bounds once those are below 2⁻⁶·ln 2.
    #[test]
    fn the_continuous_check_fails_for_planted_bugs() {
        use crate::measures::Reference;
        use crate::measures::planted::Affine;
        let sample = [-1.0, -0.3, 0.2, 0.9, 1.7];
        let run = |m: &dyn Implementation| continuous_case(m, &sample, 0.1, 1.2, &mut Worst::new());
        assert_eq!(run(&Reference), Ok(()));
        let planted = |cross_entropy: (f64, f64), kl: (f64, f64)| Affine {
            cross_entropy,
            kl,
            ..Affine::EXACT
        };
        assert_fails(
            run(&planted((1.0, 2f64.powi(-10)), (1.0, 0.0))),
            Comparison::CloseApprox,
            "CE(p̂ₙ,h, q_h) + ln h − mean NLL at h = 2^-",
        );
        assert_fails(
            run(&planted((1.0, 0.0), (0.5, 0.0))),
            Comparison::AtLeast,
            "KL(p̂ₙ,h‖q_h) against ln(1/h) − ln K + NLL − disc at h = 2^-",
        );
        let failure = assert_fails(
            run(&planted((1.0, 0.0), (1.0 + 2f64.powi(-6), 0.0))),
            Comparison::CloseApprox,
            "KL at h = 2^-",
        );
        assert!(
            failure
                .what
                .ends_with("minus KL at twice that width, against ln 2"),
            "{failure}"
        );
    }

    /// `normal_nll_error` covers the computed mean Normal NLL against
    /// (1/n)Σ(½ln 2π + ln σ + ((xᵢ − μ)/σ)²/2) at 320 bits, on random
    /// samples (1 to 200 points, up to 10³ scales from μ) and models (σ from
    /// 10⁻³ to 10³, and σ = 1/√(2π)·e^(±10⁻⁶), where c₀ nearly cancels).
    /// `sum_rounding` covers fl(ã + b̃) against a + b for ã, b̃ within their
    /// stated errors (the stored ones, at 320 bits).
    ///
    /// Floors: 2⁻³ for the NLL (0.22 seen: the bound adds each rounding of
    /// c₀, of every term and of the sum at its worst, while the n terms'
    /// roundings partly cancel); 2⁻¹ for the sum (1.0 seen: with both
    /// errors the same way, they add).
    ///
    /// `floor_slack` is pinned to its formula, and only there: its exact
    /// counterpart needs the bins' Normal probabilities and KL at 320 bits,
    /// whose erf-type integrals the reference arithmetic does not provide
    /// beyond the series of `normal_bins`' tests; its parts (the KL's error,
    /// the NLL's, sums' roundings) are each checked where they are formed.
    #[test]
    fn case_bounds_cover_their_errors() {
        use crate::test_support::bounds::{bound_stream, uniform};
        use crate::test_support::{BoundCheck, PREC as P, RM, big, error_of};
        use rand::RngExt;
        use std::f64::consts::LN_2;
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let mut rng = bound_stream("continuous-nll");
        let mut nll_check = BoundCheck::new("claim 3: mean Normal NLL", 0.125);
        let mut sum_check = BoundCheck::new("claim 3: sum of two computed values", 0.5);
        let half_ln_2pi =
            cc.pi(P, RM)
                .mul(&big(2.0), P, RM)
                .ln(P, RM, &mut cc)
                .div(&big(2.0), P, RM);
        for k in 0..120 {
            let n = rng.random_range(1..201usize);
            let sigma = if k % 6 == 0 {
                (-HALF_LN_2PI).exp() * (1.0 + uniform(&mut rng, -1e-6, 1e-6))
            } else {
                10f64.powf(uniform(&mut rng, -3.0, 3.0))
            };
            let mu = uniform(&mut rng, -5.0, 5.0);
            let reach = sigma * 10f64.powf(uniform(&mut rng, 0.0, 3.0));
            let sample: Vec<f64> = (0..n)
                .map(|_| mu + reach * uniform(&mut rng, -1.0, 1.0))
                .collect();
            let ln_sigma = sigma.ln();
            let c0 = HALF_LN_2PI + ln_sigma;
            let nll = mean_nll_continuous(&sample, |x: f64| {
                let z = (x - mu) / sigma;
                -(c0 + 0.5 * (z * z))
            })
            .unwrap();
            let mean_half_sq = mean_half_square(&sample, mu, sigma);
            let c0_exact = half_ln_2pi.add(&big(sigma).ln(P, RM, &mut cc), P, RM);
            let mut sum = big(0.0);
            for &x in &sample {
                let z = big(x).sub(&big(mu), P, RM).div(&big(sigma), P, RM);
                let half = z.mul(&z, P, RM).div(&big(2.0), P, RM);
                sum = sum.add(&c0_exact.add(&half, P, RM), P, RM);
            }
            let exact = sum.div(&big(n as f64), P, RM);
            let bound = normal_nll_error(n, ln_sigma, c0, mean_half_sq, nll);
            nll_check.value(nll, &exact, bound, &mut cc, || {
                format!("n {n}, μ {mu}, σ {sigma:e}")
            });
            // fl(ã + b̃): a, b exact, ã, b̃ moved the same way or apart.
            let (a, b) = (uniform(&mut rng, -30.0, 30.0), -(k as f64) * LN_2);
            let (ea, eb) = (
                a.abs() * 1e-13 * uniform(&mut rng, 0.0, 1.0),
                b.abs() * 1e-15,
            );
            let s = if k % 3 == 0 { -1.0 } else { 1.0 };
            let (ta, tb) = (a + ea, b + s * eb);
            let stored = |t: f64, v: f64, cc: &mut astro_float::Consts| {
                error_of(t, &big(v), cc) * (1.0 + 2.0 * U)
            };
            let (ea, eb) = (stored(ta, a, &mut cc), stored(tb, b, &mut cc));
            let exact = big(a).add(&big(b), P, RM);
            sum_check.value(
                ta + tb,
                &exact,
                sum_rounding(ta, ea, tb, eb),
                &mut cc,
                || format!("a {a:e}, b {b:e}"),
            );
        }
        nll_check.finish();
        sum_check.finish();
        // floor_slack, pinned (see above): K = 4 bins, KL̃'s error 2⁻⁴⁸,
        // the NLL's 2⁻⁴⁹, ln h = −4; a dozen non-negative terms summed in
        // another order, 16u relative.
        let b = Binned {
            counts: vec![1, 2, 3, 4],
            ce: 0.0,
            kl: 0.0,
            disc: 0.25,
            ce_error: 0.0,
            kl_error: 2f64.powi(-48),
        };
        let (nll, nll_error, ln_h) = (1.5, 2f64.powi(-49), -4.0);
        let ln4 = 2.0 * LN_2;
        let want = 2f64.powi(-48)
            + 4.0 * U * (ln4 + 1.0)
            + nll_error
            + 2.0 * U * 4.0
            + 2.0 * U * ln4
            + 3.0 * U * (4.0 + ln4 + 1.5 + 0.25);
        let got = floor_slack(&b, nll, nll_error, ln_h);
        assert!((got - want).abs() <= 16.0 * U * want, "{got:e} vs {want:e}");
    }
}
