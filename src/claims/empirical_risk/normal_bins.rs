//! P(a ≤ X < a + h) for X ~ Normal(μ, σ), by Gauss–Legendre quadrature of
//! the density over the bin, with a bound on its relative error: the bin
//! probabilities of claim 3's continuous caveat, accurate down to h = 2⁻³⁰.

use crate::numerics::{U, gamma};

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

/// A computed bin probability and a bound on its relative error.
#[derive(Debug, Clone, Copy)]
pub(super) struct BinProbability {
    pub(super) value: f64,
    pub(super) rel_error: f64,
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
pub(super) fn normal_bin_probability(a: f64, h: f64, mu: f64, sigma: f64) -> BinProbability {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::compensated_sum;

    /// The bin probability's relative error bound covers the computed
    /// probability against the 320-bit series of `reference_bin_big`, on
    /// random bins: in the rounding regime (`normal_bin_probability`, bins
    /// of 2⁻³⁰ to 1 split to r ≤ 1/16, midpoints up to 6σ out) and in the
    /// truncation regime (`normal_bin_core` alone at r from ½ to 1, where the
    /// rule's truncation dominates the bound).
    ///
    /// Floors: 2⁻³ in the rounding regime (0.45 seen: the bound counts some
    /// 15 + m²/2 roundings at their worst, and the exponential's and the
    /// rule's dominate); 2⁻⁴ in the truncation regime (0.11 seen: the
    /// rule's error bound, from Cauchy's estimate of g⁽¹²⁾ on a circle,
    /// is within a factor of ten of the actual error at r near 1).
    #[test]
    fn bin_error_bound_covers_the_exact_probability() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::to_f64;
        use rand::RngExt;
        bound_checks(
            "normal-bins",
            [
                ("claim 3: normal bin probability", 0.125),
                ("claim 3: normal bin, truncation regime", 2f64.powi(-4)),
            ],
            40,
            |k, rng, cc, [rounding, truncation]| {
                let (mu, sigma) = (uniform(rng, -2.0, 2.0), 10f64.powf(uniform(rng, -0.5, 0.5)));
                let h = 2f64.powi(-rng.random_range(0..31i32));
                let a = ((mu + sigma * uniform(rng, -6.0, 6.0)) / h).floor() * h;
                let exact = reference_bin_big(a, h, mu, sigma);
                let want = to_f64(&exact, cc);
                let ours = normal_bin_probability(a, h, mu, sigma);
                rounding.value(
                    ours.value,
                    &exact,
                    ours.rel_error * want * (1.0 - 2.0 * U),
                    cc,
                    || format!("[{a}, +{h:e}) under N({mu}, {sigma})"),
                );
                if k % 4 == 0 {
                    let sigma = 1.0;
                    let h = 2.0 * uniform(rng, 0.5, 1.0);
                    let a = uniform(rng, -3.0, 2.0);
                    let exact = reference_bin_big(a, h, 0.0, sigma);
                    let want = to_f64(&exact, cc);
                    let ours = normal_bin_core(a, h, 0.0, sigma);
                    truncation.value(
                        ours.value,
                        &exact,
                        ours.rel_error * want * (1.0 - 2.0 * U),
                        cc,
                        || format!("[{a}, +{h:e}) under N(0, 1)"),
                    );
                }
            },
        );
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
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        crate::test_support::to_f64(&reference_bin_big(a, h, mu, sigma), &mut cc)
    }

    /// [`reference_bin`] before its rounding to f64.
    fn reference_bin_big(a: f64, h: f64, mu: f64, sigma: f64) -> astro_float::BigFloat {
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
        diff.div(&two_pi.sqrt(P, rm), P, rm)
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
