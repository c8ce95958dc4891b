//! Claim 3: under log loss the empirical risk is the mean negative
//! log-likelihood, the cross-entropy of the empirical distribution, and
//! H(p̂ₙ) + KL(p̂ₙ‖q); and why the last step fails for continuous data.

use super::harness::{CONTRACT, Condition, U, Worst, condition, property, quickcheck_property};
use super::{
    Claim, Context, Counterexample, Evidence, Expectation, Implementation, holds_evidence,
};
use crate::measures::normalize;
use crate::numerics::format::first_eight as shown;
use crate::numerics::{compensated_sum, gamma};
use crate::risk::Loss;
use crate::risk::empirical::{
    empirical_distribution, empirical_risk, label_counts, mean_nll, mean_nll_continuous,
};
use crate::strategies::{SampleAndModel, arb_normal_model, arb_real_sample, arb_sample_and_model};

/// Claim 3.
pub(crate) const EMPIRICAL_RISK_IS_NLL: Claim = Claim {
    id: "empirical-risk-is-nll",
    number: 3,
    title: "Under log loss, empirical risk is the mean NLL, CE(p̂ₙ, q) and H(p̂ₙ) + KL(p̂ₙ‖q)",
    statement: "R̂ₙ(q) = (1/n) Σᵢ −ln q(yᵢ) = mean NLL = CE(p̂ₙ, q) = H(p̂ₙ) + KL(p̂ₙ‖q)",
    hypotheses: "labels in K categories and q a probability vector on them (q = 0 on an observed label gives +∞ on every side but H). For continuous data and a density model such as Normal(μ, σ) the mean NLL is finite and is E_p̂ₙ[−ln q] = CE(p̂ₙ, q) as an expectation, but KL(p̂ₙ‖q) = +∞ because p̂ₙ has no density: binned at width h, KL(p̂ₙ,h‖q_h) ≥ ln(1/h) − ln n + NLL − O(h) grows without bound while CE(p̂ₙ,h, q_h) + ln h → mean NLL",
    expectation: Expectation::Holds,
    test: "tests/claims_empirical.rs::claim_3_empirical_risk_is_nll",
    check: check_empirical,
};

/// The error of the crate's compensated sum of `terms` terms of absolute sum
/// `abs_sum`: Ogita, Rump and Oishi (SIAM J. Sci. Comput. 26, 2005, Prop. 4.5)
/// bound the TwoSum-cascade by u·|s| + γ²ₙ₋₁·Σ|xᵢ| ≤ (u + γ²ₙ)·Σ|xᵢ|; the
/// crate documents 2u·|s| + O(n u²)·Σ|xᵢ|. Both are within (2u + γ²ₙ)·Σ|xᵢ|.
pub(super) fn sum_error(terms: usize, abs_sum: f64) -> f64 {
    (2.0 * U + gamma(terms).powi(2)) * abs_sum
}

/// Empirical risk = mean NLL = CE(p̂ₙ, q) = H(p̂ₙ) + KL(p̂ₙ‖q) for one sample
/// and model.
fn discrete_case(
    m: &dyn Implementation,
    sample: &[usize],
    q: &[f64],
    w: &mut Worst,
) -> Result<(), String> {
    let n = sample.len();
    let k = q.len();
    let risk = empirical_risk(sample, q, Loss::Log).map_err(|e| format!("risk: {e}"))?;
    let nll = mean_nll(sample, q).map_err(|e| format!("mean NLL: {e}"))?;
    let p_hat = empirical_distribution(sample, k).map_err(|e| format!("p̂ₙ: {e}"))?;
    let ce = m
        .cross_entropy(&p_hat, q)
        .map_err(|e| format!("CE(p̂ₙ, q) rejected a valid pair: {e}"))?;
    let h = m
        .entropy(&p_hat)
        .map_err(|e| format!("H(p̂ₙ) rejected a valid p̂ₙ: {e}"))?;
    let kl = m
        .kl_divergence(&p_hat, q)
        .map_err(|e| format!("KL(p̂ₙ‖q) rejected a valid pair: {e}"))?;
    let zero_on_sample = sample.iter().any(|&y| q[y] == 0.0);
    if zero_on_sample {
        // An observed label has probability 0: −ln 0 = +∞ in the risk, in the
        // likelihood, in CE and in KL; H(p̂ₙ) stays finite.
        return w.require(
            risk == f64::INFINITY
                && nll == f64::INFINITY
                && ce == f64::INFINITY
                && kl == f64::INFINITY
                && h.is_finite(),
            || {
                format!(
                    "q = 0 on an observed label: want R̂ₙ = NLL = CE = KL = +∞ and H finite, got R̂ₙ = {risk:e}, NLL = {nll:e}, CE = {ce:e}, H = {h:e}, KL = {kl:e}"
                )
            },
        );
    }
    w.require(
        risk.is_finite() && nll.is_finite() && ce.is_finite() && kl.is_finite(),
        || format!("q > 0 on every observed label, yet R̂ₙ = {risk:e}, NLL = {nll:e}, CE = {ce:e}, KL = {kl:e}"),
    )?;

    // Risk against mean NLL: both add the same rounded logarithms lₖ ≥ 0
    // (one libm call, the same bits on both paths), so ln's own error cancels.
    // Per example: a compensated sum of n terms, then /n (u). By counts: one
    // product cₖ·lₖ per term (u), a compensated sum of K terms, then /n (u).
    // All terms are non-negative, so Σ|terms|/n is the value itself.
    w.close(
        "R̂ₙ(q) − mean NLL",
        risk,
        nll,
        risk_nll_bound(n, k, risk.max(nll)),
    )?;

    // Risk against CE(p̂ₙ, q), relative to C = Σ p̂ₖ|ln qₖ| (= the exact
    // mean NLL, all terms ≥ 0):
    // - the risk: each lₖ within 2u relative (libm ln within 1 ULP), the
    //   compensated sum (2u + γ²ₙ), the division by n (u): 5u + γ²ₙ;
    // - p̂ₖ = fl(cₖ/n) is cₖ/n within u relative: u·C between the exact CE
    //   of the stored p̂ₙ and the exact mean NLL;
    // - the CE of the stored vectors within the contract, 4u·C.
    // A further u·C covers the second-order products of these.
    let c = condition(&p_hat, q);
    let risk_ce = risk_ce_bound(n, c.cross_entropy.max(risk));
    w.close("R̂ₙ(q) − CE(p̂ₙ, q)", risk, ce, risk_ce)?;

    // Risk against H(p̂ₙ) + KL(p̂ₙ‖q): the bound above plus claim 1's bound
    // for CE − (H + KL) on the stored vectors (each measure within its
    // contract; one rounding of H + KL, 2u·CE for it and the comparison).
    w.close(
        "R̂ₙ(q) − (H(p̂ₙ) + KL(p̂ₙ‖q))",
        risk,
        h + kl,
        risk_ce + decomposition_bound(&c, ce),
    )
}

/// The bound on |R̂ₙ − mean NLL| for the larger of the two values v: both
/// add the same rounded logarithms (the same bits on both paths), so only
/// the summations differ: per example a compensated sum of n terms and /n
/// (u); by counts one product per term (2u, with the earlier u), a
/// compensated sum of K terms and /n (u). All terms are non-negative, so
/// Σ|terms|/n is v itself: (2u + (2u + γₙ²) + (2u + γ_K²) + u)·v·(1 + 4u).
fn risk_nll_bound(n: usize, k: usize, value: f64) -> f64 {
    (2.0 * U + sum_error(n, 1.0) + sum_error(k, 1.0) + U) * value * (1.0 + 4.0 * U)
}

/// The bound on |R̂ₙ − CE(p̂ₙ, q)| relative to C = Σp̂ₖ|ln qₖ| (or the risk,
/// if larger): the risk's 5u + γₙ² (logs, compensated sum, division), p̂ₖ's
/// u, the contract's 4u and u for the second-order products.
fn risk_ce_bound(n: usize, scale: f64) -> f64 {
    (5.0 * U + gamma(n).powi(2) + U + CONTRACT + U) * scale
}

/// Claim 1's bound for CE − (H + KL) on the stored vectors: each measure
/// within its contract 4u·Σ|tᵢ|, and one rounding of H + KL (2u·|CE| for it
/// and for the comparison).
fn decomposition_bound(c: &Condition, ce: f64) -> f64 {
    CONTRACT * (c.entropy + c.cross_entropy + c.kl) + 2.0 * U * ce.abs()
}

fn show_discrete(sample: &[usize], q: &[f64], m: &dyn Implementation) -> Counterexample {
    let mut rows = vec![("n".to_string(), sample.len().to_string())];
    if let Ok(counts) = label_counts(sample, q.len()) {
        rows.push(("label counts".to_string(), shown(&counts)));
    }
    rows.push(("q".to_string(), shown(q)));
    if let Ok(r) = empirical_risk(sample, q, Loss::Log) {
        rows.push(("R̂ₙ(q), log loss".to_string(), format!("{r:e}")));
    }
    if let Ok(v) = mean_nll(sample, q) {
        rows.push(("mean NLL".to_string(), format!("{v:e}")));
    }
    if let Ok(p) = empirical_distribution(sample, q.len()) {
        if let Ok(v) = m.cross_entropy(&p, q) {
            rows.push(("CE(p̂ₙ, q)".to_string(), format!("{v:e}")));
        }
        if let Ok(v) = m.entropy(&p) {
            rows.push(("H(p̂ₙ)".to_string(), format!("{v:e}")));
        }
        if let Ok(v) = m.kl_divergence(&p, q) {
            rows.push(("KL(p̂ₙ‖q)".to_string(), format!("{v:e}")));
        }
    }
    Counterexample {
        summary: format!(
            "with the measures of {}, the log-loss risk, the mean NLL and CE(p̂ₙ, q) = H + KL disagree on this sample",
            m.name()
        ),
        rows,
    }
}

/// Six-point Gauss–Legendre rule on [−1, 1]: the positive nodes and their
/// weights (Abramowitz & Stegun, Table 25.4; the rule is symmetric). Each
/// literal is the value to 40 digits rounded once (u relative); the unit tests
/// check that the rule integrates x⁰, x², …, x¹⁰ to 2/(j + 1).
const GL_NODES: [f64; 3] = [
    0.238_619_186_083_196_9,
    0.661_209_386_466_264_5,
    0.932_469_514_203_152,
];
const GL_WEIGHTS: [f64; 3] = [
    0.467_913_934_572_691_04,
    0.360_761_573_048_138_6,
    0.171_324_492_379_170_36,
];

/// 1/√(2π), correctly rounded.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// ½·ln(2π), correctly rounded.
pub(super) const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// A computed bin probability and a bound on its relative error.
#[derive(Debug, Clone, Copy)]
struct BinProbability {
    value: f64,
    rel_error: f64,
}

/// P(a ≤ X < a + h) for X ~ Normal(μ, σ), for a bin of half-width r = h/(2σ)
/// ≤ 1/16 in standard units (callers split wider bins).
///
/// Why not Φ(b) − Φ(a): the difference of two CDF values near ½ loses
/// relative accuracy u·Φ/q_h ≈ u/(h·φ); at h = 2⁻³⁰ that is 1e−7, a hundred
/// times the discretization effect the check measures. Instead the density is
/// integrated over the bin, around its midpoint m = (a + h/2 − μ)/σ:
///
/// ```text
/// q_h = ∫_{m−r}^{m+r} φ(z) dz = φ(m) · ∫_{−r}^{r} g(s) ds,   g(s) = exp(−m·s − s²/2)
/// ```
///
/// with the six-point Gauss–Legendre rule on [−r, r], whose terms are all
/// positive (no cancellation).
///
/// Relative error bound (first order in u; the factor 1.01 covers the rest):
/// - m̃ = fl(fl(a + h/2 − μ)/σ) (a + h/2 is exact for dyadic h): |m̃ − m| ≤
///   2u|m|, and |∂ ln q_h/∂m| = |E[z over the bin]| ≤ |m| + r: 2|m|(|m| + r)·u;
/// - r̃ = fl(h/2/σ): u relative, and |∂ ln q_h/∂ ln r| = r(φ(m+r) + φ(m−r))/q_h
///   ≤ max φ / min φ over the bin ≤ e^{2r(|m| + r)}: that many u;
/// - φ̃(m̃) = fl(exp(fl(−m̃²/2))·fl(1/√(2π))): m̃² rounded (u·m²/2 absolute in
///   the exponent), exp within 1 ULP (2u), the constant and the product (2u):
///   (m²/2 + 4)·u;
/// - the rule: nodes sᵢ = r̃·xᵢ (2u), the exponent −m̃sᵢ − sᵢ²/2 to within
///   (4|m|r + 3r²)·u absolute, exp (2u), weight and product (2u), a sum of six
///   positive terms (5u), and the products by r̃ and φ̃ (2u):
///   (11 + 4|m|r + 3r²)·u;
/// - truncation: the rule's error is (2r)¹³(6!)⁴/(13·(12!)³)·|g⁽¹²⁾(ξ)| (A&S
///   25.4.30), and by Cauchy's estimate on circles of radius R around
///   [−r, r], |g⁽¹²⁾| ≤ 12!·exp(|m|(r + R) + R²/2)/R¹² (|exp(−z²/2)| ≤
///   e^{R²/2} there); divided by ∫g ≥ 2r·exp(−|m|r − r²/2). R minimizes
///   |m|R + R²/2 − 12 ln R: R = (√(m² + 48) − |m|)/2.
fn normal_bin_core(a: f64, h: f64, mu: f64, sigma: f64) -> BinProbability {
    let m = (a + 0.5 * h - mu) / sigma;
    let r = 0.5 * h / sigma;
    let phi = (-0.5 * (m * m)).exp() * FRAC_1_SQRT_2PI;
    let mut sum = 0.0;
    for (&x, &wt) in GL_NODES.iter().zip(&GL_WEIGHTS) {
        let s = r * x;
        let half_sq = 0.5 * (s * s);
        sum += wt * ((-m * s - half_sq).exp() + (m * s - half_sq).exp());
    }
    let value = phi * (r * sum);
    let am = m.abs();
    let rounding = U
        * (2.0 * am * (am + r)
            + (2.0 * r * (am + r)).exp()
            + 0.5 * m * m
            + 4.0
            + 11.0
            + 4.0 * am * r
            + 3.0 * r * r);
    let big_r = 0.5 * ((m * m + 48.0).sqrt() - am);
    let ln_k6 = (720f64.powi(4) / (13.0 * 479_001_600f64.powi(2))).ln();
    let ln_truncation = ln_k6 + 12.0 * (2.0 * r).ln() + am * (2.0 * r + big_r) - 12.0 * big_r.ln()
        + 0.5 * big_r * big_r
        + 0.5 * r * r;
    BinProbability {
        value,
        rel_error: 1.01 * (rounding + ln_truncation.exp()),
    }
}

/// P(a ≤ X < a + h) for X ~ Normal(μ, σ), any dyadic h: bins wider than
/// r = 1/16 standard units are split into 2ᵖ equal dyadic parts (exact edges),
/// whose positive probabilities are added (≤ 2ᵖ − 1 roundings, each at most u
/// of the total).
fn normal_bin_probability(a: f64, h: f64, mu: f64, sigma: f64) -> BinProbability {
    let mut parts: u32 = 1;
    while 0.5 * h / f64::from(parts) / sigma > 1.0 / 16.0 {
        parts *= 2;
    }
    let width = h / f64::from(parts);
    let mut value = 0.0;
    let mut worst: f64 = 0.0;
    for i in 0..parts {
        let b = normal_bin_core(a + f64::from(i) * width, width, mu, sigma);
        value += b.value;
        worst = worst.max(b.rel_error);
    }
    BinProbability {
        value,
        rel_error: worst + gamma(parts as usize - 1) * (1.0 + worst),
    }
}

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
) -> Result<Binned, String> {
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
    let q = normalize(&weights).map_err(|e| format!("binned model at h = 2^-{level}: {e}"))?;
    let mut p: Vec<f64> = bins.iter().map(|&(_, c)| c as f64 / n as f64).collect();
    p.push(0.0);
    let ce = m
        .cross_entropy(&p, &q)
        .map_err(|e| format!("CE(p̂ₙ,h, q_h) at h = 2^-{level} rejected a valid pair: {e}"))?;
    let kl = m
        .kl_divergence(&p, &q)
        .map_err(|e| format!("KL(p̂ₙ,h‖q_h) at h = 2^-{level} rejected a valid pair: {e}"))?;
    // ln q̃ − ln q_h = ln(1 + ρ) with |ρ| ≤ ρⱼ: at most ρⱼ/(1 − ρⱼ).
    let mut q_error = 0.0;
    for (pj, b) in p.iter().zip(&probabilities) {
        let rho = b.rel_error + renormalization;
        if rho >= 0.5 {
            return Err(format!(
                "bin probability bound {rho:e} too loose at h = 2^-{level}"
            ));
        }
        q_error += pj * rho / (1.0 - rho);
    }
    let c = condition(&p, &q);
    // p̂ = fl(c/n) is within u relative of the exact count ratio p*: it moves
    // CE by at most u·Σp̂|ln q|. The KL of the stored vectors is
    // CE(p̂, q̃) − H(p̂), within its contract of the computed one.
    let ce_error = CONTRACT * c.cross_entropy + U * c.cross_entropy + q_error;
    let kl_error = CONTRACT * c.kl + U * c.cross_entropy + q_error;
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
fn continuous_case(
    m: &dyn Implementation,
    sample: &[f64],
    mu: f64,
    sigma: f64,
    w: &mut Worst,
) -> Result<(), String> {
    let n = sample.len();
    let ln_sigma = sigma.ln();
    let c0 = HALF_LN_2PI + ln_sigma;
    let ln_pdf = |x: f64| {
        let z = (x - mu) / sigma;
        -(c0 + 0.5 * (z * z))
    };
    let nll = mean_nll_continuous(sample, ln_pdf).map_err(|e| format!("mean NLL: {e}"))?;
    w.require(nll.is_finite(), || {
        format!("the mean NLL of a normal model is {nll:e}, not finite")
    })?;
    // The mean NLL's rounding: c₀ = fl(½ln 2π + ln σ) is off by
    // u(½ln 2π + 2|ln σ| + |c₀|) (the constant, ln within 1 ULP, the sum);
    // each term c₀ + zᵢ²/2 adds 5u·zᵢ²/2 (z = (x − μ)/σ in 2u, squared in 5u)
    // and u·|term|; the compensated sum u + γ²ₙ of Σ|terms|; the division u·|NLL|.
    let half_sq: Vec<f64> = sample
        .iter()
        .map(|&x| {
            let z = (x - mu) / sigma;
            0.5 * z * z
        })
        .collect();
    let mean_half_sq = compensated_sum(&half_sq) / n as f64;
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
        if let Some(prev) = &previous {
            if prev.counts == b.counts {
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
        }
        previous = Some(b);
    }
    Ok(())
}

fn show_continuous(sample: &[f64], mu: f64, sigma: f64, m: &dyn Implementation) -> Counterexample {
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

fn check_empirical(ctx: &Context<'_>) -> Evidence {
    let m = ctx.measures;
    let discrete = property(
        ctx,
        "empirical-risk-is-nll/discrete",
        arb_sample_and_model(),
        |(sample, q), w| discrete_case(m, sample, q, w),
    )
    .shown(|(sample, q)| show_discrete(sample, q, m));
    let qc = quickcheck_property(
        ctx,
        "empirical-risk-is-nll/quickcheck",
        24,
        |case: &SampleAndModel, w| discrete_case(m, &case.sample(), &case.model(), w),
    )
    .shown(|case| show_discrete(&case.sample(), &case.model(), m));
    let continuous = property(
        ctx,
        "empirical-risk-is-nll/continuous",
        (arb_real_sample(), arb_normal_model()),
        |(sample, (mu, sigma)), w| continuous_case(m, sample, *mu, *sigma, w),
    )
    .shown(|(sample, (mu, sigma))| show_continuous(sample, *mu, *sigma, m));
    holds_evidence(vec![
        ("discrete", discrete),
        ("quickcheck", qc),
        ("continuous", continuous),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let err = run(&planted((1.0, 2f64.powi(-10)), (1.0, 0.0))).unwrap_err();
        assert!(err.starts_with("CE(p̂ₙ,h, q_h) + ln h − mean NLL"), "{err}");
        let err = run(&planted((1.0, 0.0), (0.5, 0.0))).unwrap_err();
        assert!(err.starts_with("KL(p̂ₙ,h‖q_h) against ln(1/h)"), "{err}");
        let err = run(&planted((1.0, 0.0), (1.0 + 2f64.powi(-6), 0.0))).unwrap_err();
        assert!(err.contains("minus KL at twice that width"), "{err}");
    }

    /// Claim 3's discrete check holds for the crate's measures and fails for
    /// each planted bug, naming the comparison it breaks: on the sample
    /// (0, 1, 1) under q = (½, ½) the bounds are a few u of ln 2, so a CE
    /// scaled by 1 + 2⁻³⁰ or an entropy shifted by 2⁻⁴⁰ is far outside them;
    /// with q = (0, 1), a label of probability 0 must make everything but H
    /// infinite, and an infinite H fails that.
    #[test]
    fn the_discrete_check_fails_for_planted_bugs() {
        use crate::measures::Reference;
        use crate::measures::planted::Affine;
        let (sample, q) = ([0, 1, 1], [0.5, 0.5]);
        let run =
            |m: &dyn Implementation, q: &[f64]| discrete_case(m, &sample, q, &mut Worst::new());
        assert_eq!(run(&Reference, &q), Ok(()));
        let scaled = Affine {
            cross_entropy: (1.0 + 2f64.powi(-30), 0.0),
            ..Affine::EXACT
        };
        let err = run(&scaled, &q).unwrap_err();
        assert!(err.starts_with("R̂ₙ(q) − CE(p̂ₙ, q)"), "{err}");
        let shifted = Affine {
            entropy: (1.0, 2f64.powi(-40)),
            ..Affine::EXACT
        };
        let err = run(&shifted, &q).unwrap_err();
        assert!(err.starts_with("R̂ₙ(q) − (H(p̂ₙ) + KL(p̂ₙ‖q))"), "{err}");
        let zero = [0.0, 1.0];
        assert_eq!(run(&Reference, &zero), Ok(()));
        let infinite = Affine {
            entropy: (f64::INFINITY, 0.0),
            ..Affine::EXACT
        };
        let err = run(&infinite, &zero).unwrap_err();
        assert!(err.starts_with("q = 0 on an observed label"), "{err}");
    }

    /// The roundoff helpers against their formulas: γₖ = ku/(1 − ku), and the
    /// compensated sum's (2u + γₙ²)·Σ|xᵢ|. Each side is the same few
    /// operations on the same values, so the two agree to the bit.
    #[test]
    fn roundoff_helpers_follow_their_formulas() {
        assert_eq!(gamma(0), 0.0);
        assert_eq!(gamma(1), U / (1.0 - U));
        assert_eq!(gamma(1000), 1000.0 * U / (1.0 - 1000.0 * U));
        assert!(gamma(3) > 3.0 * U && gamma(3) < 3.0 * U * (1.0 + 4.0 * U));
        let g = 7.0 * U / (1.0 - 7.0 * U);
        assert_eq!(sum_error(7, 2.0), (2.0 * U + g * g) * 2.0);
        assert_eq!(sum_error(1, 0.0), 0.0);
    }

    /// The bin probability's relative error bound against its documented
    /// formula: at m = 2, r = 1/16 (a = 1.9375, h = ⅛, μ = 0, σ = 1, all
    /// exact) the rounding terms dominate, each at least 4·10⁻⁴ of their
    /// sum; at m = 0, r = 1 (a = −1, h = 2) the truncation term does
    /// (e^(−16.3) against some 20u). Tolerance: 8u relative for the
    /// roundings of a sum of positive terms; where truncation dominates, the
    /// bound takes e^(Σ logarithms) while the test multiplies powers, and the
    /// logarithms' magnitudes add to about 46 (16.2 + 8.3 + 14.9 + 6), which
    /// exp turns into about 46u relative, the powers and products into some
    /// 20u: 96u.
    #[test]
    fn bin_error_bound_follows_its_formula() {
        let cases = [
            (1.9375, 0.125, 2.0f64, 0.0625f64, 8.0),
            (-1.0, 2.0, 0.0, 1.0, 96.0),
        ];
        for (a, h, m, r, tol) in cases {
            let got = normal_bin_core(a, h, 0.0, 1.0).rel_error;
            let am = m.abs();
            let rounding = U
                * (2.0 * am * (am + r)
                    + (2.0 * r * (am + r)).exp()
                    + 0.5 * m * m
                    + 15.0
                    + 4.0 * am * r
                    + 3.0 * r * r);
            let big_r = 0.5 * ((m * m + 48.0).sqrt() - am);
            let k6 = 720f64.powi(4) / (13.0 * 479_001_600f64.powi(2));
            let truncation = k6 * (2.0 * r).powi(12) * (am * (2.0 * r + big_r)).exp()
                / big_r.powi(12)
                * (0.5 * big_r * big_r + 0.5 * r * r).exp();
            let want = 1.01 * (rounding + truncation);
            assert!(
                (got - want).abs() <= tol * U * want,
                "r = {r}: {got:e} vs {want:e}"
            );
        }
    }

    /// The discrete and continuous cases' bounds against their formulas, at
    /// arguments where every term is within a few powers of two of the
    /// others (so a changed term moves the result far beyond the 16u that
    /// the function's and the test's different summation orders of at most
    /// nine non-negative terms allow); n = 2⁴⁵ makes γₙ² = (2⁻⁸)²
    /// outweigh 2u.
    #[test]
    fn case_bounds_follow_their_formulas() {
        use std::f64::consts::LN_2;
        for n in [2usize, 1 << 45] {
            let (ln_sigma, c0, m, nll) = (0.5, HALF_LN_2PI + 0.5, 0.5, 1.75);
            let g = gamma(n);
            let want = 1.01
                * (U * (HALF_LN_2PI + 2.0 * 0.5 + c0)
                    + 5.0 * U * m
                    + (2.0 * U + g * g) * (c0 + m)
                    + U * nll);
            let got = normal_nll_error(n, ln_sigma, c0, m, nll);
            assert!(
                (got - want).abs() <= 16.0 * U * want,
                "n = {n}: {got:e} vs {want:e}"
            );
        }
        // The discrete case's bounds: at n = K = 2⁴⁵ the γ² terms count.
        for n in [3usize, 1 << 45] {
            let g = gamma(n);
            let sum = 2.0 * U + g * g;
            let want = (2.0 * U + sum + sum + U) * 1.5 * (1.0 + 4.0 * U);
            let got = risk_nll_bound(n, n, 1.5);
            // Evaluated in the same order: the same bits (which also pins the
            // final (1 + 4u), below the 8u tolerance).
            assert_eq!(got, want, "n = {n}");
            assert!(
                (got - want).abs() <= 8.0 * U * want,
                "n = {n}: {got:e} vs {want:e}"
            );
            let want = (11.0 * U + g * g) * 1.5;
            let got = risk_ce_bound(n, 1.5);
            assert!(
                (got - want).abs() <= 8.0 * U * want,
                "n = {n}: {got:e} vs {want:e}"
            );
        }
        // 4u·(1 + 2 + 4) + 2u·|−3| = 34u, exact (a small multiple of u).
        let c = Condition {
            entropy: 1.0,
            cross_entropy: 2.0,
            kl: 4.0,
        };
        assert_eq!(decomposition_bound(&c, -3.0), 34.0 * U);
        // 0.25 + 0.5 + u·|3 − 1|: ulp(0.75) = u, so exact.
        assert_eq!(sum_rounding(3.0, 0.25, -1.0, 0.5), 0.75 + 2.0 * U);
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

    #[test]
    fn gauss_legendre_rule_integrates_even_monomials_to_degree_ten() {
        // ∫_{−1}^{1} x^{2j} dx = 2/(2j + 1). Six positive terms of size ≤ 1,
        // each with the roundings of its node power (≤ 2j + 1 products) and
        // weight product: ≤ (2j + 8)u relative per term, summed (≤ 5u).
        // x^{2j} carries 2j·u from the node's literal and at most 2j roundings
        // of powi, the weight's literal and the product 2u, the three-term sum
        // 2u: (4j + 4)u relative on positive terms; (4j + 8)u leaves room.
        for j in 0..=5u32 {
            let got: f64 = GL_NODES
                .iter()
                .zip(&GL_WEIGHTS)
                .map(|(&x, &w)| 2.0 * w * x.powi(2 * j as i32))
                .sum();
            let want = 2.0 / f64::from(2 * j + 1);
            let bound = f64::from(4 * j + 8) * U * want;
            assert!((got - want).abs() <= bound, "x^{}: {got} vs {want}", 2 * j);
        }
    }

    #[test]
    fn bin_probabilities_add_up_across_a_split_and_to_one() {
        let (mu, sigma) = (0.3, 1.7);
        // Additivity: P[a, a + 2h) = P[a, a + h) + P[a + h, a + 2h) within the
        // three relative bounds (and one rounding of the sum).
        for &(a, h) in &[(-1.0, 1.0 / 64.0), (2.5, 1.0 / 1024.0), (0.0, 1.0 / 8.0)] {
            let whole = normal_bin_probability(a, 2.0 * h, mu, sigma);
            let left = normal_bin_probability(a, h, mu, sigma);
            let right = normal_bin_probability(a + h, h, mu, sigma);
            let bound = whole.rel_error * whole.value
                + left.rel_error * left.value
                + right.rel_error * right.value
                + U * whole.value;
            assert!(
                (whole.value - (left.value + right.value)).abs() <= bound,
                "{a} {h}"
            );
        }
        // Total mass over [μ − 40σ, μ + 40σ) in bins of 1/4: one, up to each
        // bin's bound, the compensated sum, and the mass outside (< 1e−300).
        let width = 0.25;
        let start = ((mu - 40.0 * sigma) / width).floor() * width;
        let bins: Vec<BinProbability> = (0..((80.0 * sigma / width) as usize + 2))
            .map(|i| normal_bin_probability(start + i as f64 * width, width, mu, sigma))
            .collect();
        let values: Vec<f64> = bins.iter().map(|b| b.value).collect();
        let total = compensated_sum(&values);
        let bound = bins.iter().map(|b| b.rel_error * b.value).sum::<f64>() + 2.0 * U;
        assert!((total - 1.0).abs() <= bound, "{total}");
    }

    /// ∫_{za}^{zb} φ(z) dz at 320 bits, with za = (a − μ)/σ and zb = (a + h − μ)/σ
    /// taken exactly: ∫₀ˣ φ = (1/√(2π))·Σₙ tₙ/(2n + 1), t₀ = x,
    /// tₙ₊₁ = −tₙ·x²/(2(n + 1)). For |x| ≤ 8 the terms peak near e³² < 2⁴⁷
    /// and after 400 terms fall below 32⁴⁰⁰/400! < 2⁻⁴⁰⁰: the reference keeps
    /// about 270 bits, far beyond the bounds it checks.
    fn reference_bin(a: f64, h: f64, mu: f64, sigma: f64) -> f64 {
        use astro_float::{BigFloat, Consts, RoundingMode};
        const P: usize = 320;
        let rm = RoundingMode::ToEven;
        let mut cc = Consts::new().expect("astro-float constants");
        let big = |x: f64| BigFloat::from_f64(x, P);
        let standard = |x: f64| big(x).sub(&big(mu), P, rm).div(&big(sigma), P, rm);
        let integral = |x: &BigFloat| {
            let x2 = x.mul(x, P, rm);
            let mut t = x.clone();
            let mut sum = x.clone();
            for n in 0..400u32 {
                let f = f64::from(2 * (n + 1));
                t = t.mul(&x2, P, rm).div(&big(-f), P, rm);
                sum = sum.add(&t.div(&big(f64::from(2 * n + 3)), P, rm), P, rm);
            }
            sum
        };
        let diff = integral(&standard(a + h)).sub(&integral(&standard(a)), P, rm);
        let two_pi = cc.pi(P, rm).mul(&big(2.0), P, rm);
        let value = diff.div(&two_pi.sqrt(P, rm), P, rm);
        let text = value
            .format(astro_float::Radix::Dec, rm, &mut cc)
            .expect("format");
        text.parse().expect("a decimal number")
    }

    #[test]
    fn bin_probabilities_are_within_their_bound_of_a_320_bit_reference() {
        // Wide bins (split into parts), dyadic bins down to 2⁻³⁰, far tails.
        // (A CDF difference through statrs's erfc is no reference here: on
        // [−2, −1.5) with μ = −0.4, σ = 0.9 it is off by 7e−12, 1e5 ULPs.)
        let cases = [
            (-2.0, 0.5, -0.4, 0.9),
            (0.0, 0.25, -0.4, 0.9),
            (1.5, 1.0, -0.4, 0.9),
            (3.0, 0.5, 0.0, 0.5),
            (-5.5, 1.0 / 64.0, 2.0, 1.0),
            (0.125, 1.0 / 1024.0, 0.1, 4.0),
            (1.0, 1.0 / f64::from(1u32 << 20), -1.0, 2.0),
            (-0.75, 1.0 / f64::from(1u32 << 30), 0.3, 0.7),
        ];
        for &(a, h, mu, sigma) in &cases {
            let ours = normal_bin_probability(a, h, mu, sigma);
            let reference = reference_bin(a, h, mu, sigma);
            // The reference is rounded once to f64 (u relative).
            let bound = (ours.rel_error + U) * reference;
            assert!(
                (ours.value - reference).abs() <= bound,
                "[{a}, {}) under Normal({mu}, {sigma}): {} vs {reference}, bound {bound:e}",
                a + h,
                ours.value
            );
        }
    }

    #[test]
    fn tiny_bins_keep_their_relative_accuracy() {
        // At h = 2⁻³⁰ the probability is φ(m)·h·(1 + O(h²)); the bound stays
        // a few hundred u, where a CDF difference would lose seven digits.
        let b = normal_bin_probability(1.0, 1.0 / f64::from(1u32 << 30), 0.0, 1.0);
        assert!(b.rel_error < 100.0 * U, "{}", b.rel_error);
        let h = 1.0 / f64::from(1u32 << 30);
        let density = (-0.5f64).exp() * FRAC_1_SQRT_2PI * h;
        // The bin [1, 1 + h) has midpoint m = 1 + h/2 and φ(m)/φ(1) =
        // exp(−h/2 − h²/8); the rule's integral over the bin is 2r(1 + O(r²)).
        // So the ratio is within h/2 + h² of 1, plus the bound and the
        // roundings of the reference (4u).
        let ratio = b.value / density;
        assert!((ratio - 1.0).abs() <= 0.5 * h + h * h + b.rel_error + 4.0 * U);
    }
}
