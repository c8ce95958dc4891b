//! Claim 8 (a) on real-valued data: the mean squared error and the
//! Gaussian NLL = ½ln(2πσ²) + MSE/(2σ²) are both minimized by the sample
//! mean.

use super::{Stated, check_stated};
use crate::claims::CheckFailure;
use crate::claims::Counterexample;
use crate::claims::failure::failed;
use crate::claims::harness::{HALF_LN_2PI, U, Worst};
use crate::numerics::compensated_sum;
use crate::numerics::format::first_eight as shown;
use crate::numerics::gamma;
use crate::risk::empirical::{mean_nll_continuous, mean_squared_error};

/// ½ln(2πσ²) = ½ln(2π) + ln σ: the Gaussian NLL's constant.
fn half_ln_two_pi_variance(sigma: f64) -> f64 {
    HALF_LN_2PI + sigma.ln()
}

/// What holds for real-valued data: MSE and the Gaussian NLL share the
/// minimizer x̄ and are related by NLL = ½ln(2πσ²) + MSE/(2σ²).
pub(super) fn gaussian_case(
    sample: &[f64],
    sigma: f64,
    c: f64,
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    check_stated(&gaussian_comparisons(sample, sigma, c)?, w)
}

/// The Gaussian case's five comparisons on one sample, σ and c, each with
/// its bound: the identity NLL = c₀ + MSE/(2σ²) at c and at the computed
/// mean x̄̃, the mean residual at x̄̃, and the gaps MSE(c) − MSE(x̄̃) and
/// NLL(c) − NLL(x̄̃) against (c − x̄̃)² and (c − x̄̃)²/(2σ²).
fn gaussian_comparisons(sample: &[f64], sigma: f64, c: f64) -> Result<[Stated; 5], CheckFailure> {
    let n = sample.len();
    let nf = n as f64;
    let c0 = half_ln_two_pi_variance(sigma);
    let nll_at = |center: f64| gaussian_nll(sample, sigma, c0, center);
    let mse_at = |center: f64| mse(sample, center);
    let (mean, mean_abs) = sample_mean(sample);
    let mean_error = mean_error(n, mean, mean_abs);
    let two_var = 2.0 * (sigma * sigma);

    // Both sides use the same c₀, so its own rounding cancels.
    let (nll_c, mse_c) = (nll_at(c)?, mse_at(c)?);
    let (nll_mean, mse_mean) = (nll_at(mean)?, mse_at(mean)?);
    let at_c = nll_identity(n, c0, (nll_c, mse_c), two_var);
    let at_mean = nll_identity(n, c0, (nll_mean, mse_mean), two_var);

    // Both objectives have their zero derivative at the sample mean:
    // d MSE/dc = 2(c − x̄) and d NLL/dc = (c − x̄)/σ², and at c = x̄̃ the mean
    // residual (1/n)Σ(x̄̃ − xᵢ) is exactly x̄̃ − x̄ ([`residual_bound`]).
    let residuals: Vec<f64> = sample.iter().map(|x| mean - x).collect();
    let spread = residuals.iter().map(|r| r.abs()).sum::<f64>() / nf;
    let residual = compensated_sum(&residuals) / nf;

    // MSE(c) = MSE(x̄) + (c − x̄)² exactly; with x̄̃ = x̄ + δ,
    // MSE(c) − MSE(x̄̃) − (c − x̄̃)² = 2δ(c − x̄̃) ([`mse_gap_bound`]), and
    // NLL(c) − NLL(x̄̃) = (c − x̄)²/(2σ²): the same scaled by 1/(2σ²).
    let gap = (c - mean) * (c - mean);
    let distance = (c - mean).abs();
    Ok([
        Stated::close(
            "NLL − (½ln(2πσ²) + MSE/(2σ²)) at c",
            nll_c,
            at_c.rhs,
            at_c.bound,
        ),
        Stated::close(
            "NLL − (½ln(2πσ²) + MSE/(2σ²)) at x̄",
            nll_mean,
            at_mean.rhs,
            at_mean.bound,
        ),
        Stated::close(
            "mean residual at x̄ (the derivative's zero)",
            residual,
            0.0,
            residual_bound(n, mean_error, spread),
        ),
        Stated::close(
            "MSE(c) − MSE(x̄) − (c − x̄)²",
            mse_c - mse_mean,
            gap,
            mse_gap_bound(n, (mse_c, mse_mean), gap, (mean_error, distance)),
        ),
        Stated::close(
            "NLL(c) − NLL(x̄) − (c − x̄)²/(2σ²)",
            nll_c - nll_mean,
            gap / two_var,
            nll_gap_bound(
                (at_c.nll_error, at_mean.nll_error),
                (nll_c, nll_mean),
                gap,
                two_var,
                (mean_error, distance),
            ),
        ),
    ])
}

/// The right side of NLL = c₀ + MSE/(2σ²) at one center, and the bounds of
/// the comparison.
struct NllIdentity {
    /// c₀ + D, D = MSE/(2σ²).
    rhs: f64,
    /// The NLL's rounding beyond c₀'s own ([`gaussian_nll_error`] at D).
    nll_error: f64,
    /// The bound on |NLL − rhs|: the NLL's error and the right side's
    /// ([`scaled_mse_error`] at D), whose exact values are one and the same
    /// (1/n)·Σ(c₀ + (xᵢ − center)²/(2σ²)) for the f64 c₀.
    bound: f64,
}

/// [`NllIdentity`] of n examples from the computed NLL and MSE at one
/// center, with c₀ and 2σ² as computed.
fn nll_identity(n: usize, c0: f64, (nll, mse): (f64, f64), two_var: f64) -> NllIdentity {
    let d = mse / two_var;
    let rhs = c0 + d;
    let nll_error = gaussian_nll_error(n, c0, d, nll);
    NllIdentity {
        rhs,
        nll_error,
        bound: nll_error + scaled_mse_error(n, d, rhs),
    }
}

/// The mean Gaussian NLL (1/n)·Σ(c₀ + zᵢ²/2), zᵢ = (xᵢ − center)/σ, by
/// `mean_nll_continuous`, with the constant c₀ as given.
fn gaussian_nll(sample: &[f64], sigma: f64, c0: f64, center: f64) -> Result<f64, CheckFailure> {
    mean_nll_continuous(sample, |x| {
        let z = (x - center) / sigma;
        -(c0 + 0.5 * (z * z))
    })
    .map_err(failed("mean_nll_continuous"))
}

/// The mean squared error (1/n)·Σ(center − xᵢ)².
fn mse(sample: &[f64], center: f64) -> Result<f64, CheckFailure> {
    mean_squared_error(sample, center).map_err(failed("mean_squared_error"))
}

/// The sample mean x̄̃ = (compensated Σxᵢ)/n, and (1/n)·Σ|xᵢ|.
fn sample_mean(sample: &[f64]) -> (f64, f64) {
    let nf = sample.len() as f64;
    (
        compensated_sum(sample) / nf,
        sample.iter().map(|x| x.abs()).sum::<f64>() / nf,
    )
}

/// |x̄̃ − x̄| for x̄̃ = (compensated Σxᵢ)/n: the sum's u|Σx| + γₙ²Σ|x| and
/// the division's u, as 2.01u·|x̄̃| + γₙ²·mean|x|.
fn mean_error(n: usize, mean: f64, mean_abs: f64) -> f64 {
    2.01 * U * mean.abs() + gamma(n).powi(2) * mean_abs
}

/// The rounding of the mean Gaussian NLL (1/n)Σ(c₀ + zᵢ²/2) beyond c₀'s own,
/// with D = mean zᵢ²/2: each zᵢ = (xᵢ − center)/σ within 2u, so zᵢ²/2 within
/// 5u (the square's own u; the halving is exact), summed 5u·D; each term
/// c₀ + zᵢ²/2 rounds by u·|term| ≤ u(|c₀| + zᵢ²/2); the compensated sum
/// errs by u·|Σ| + γₙ²·Σ|termᵢ| and the division by n by u·|NLL|, so over n
/// (with |Σ|/n within the NLL's own rounding of |NLL|) the first-order total
/// is 5u·D + (u + γₙ²)(|c₀| + D) + 2u·|NLL|; 1.01 for the second-order rest
/// and the bound's own rounding.
fn gaussian_nll_error(n: usize, c0: f64, d: f64, nll: f64) -> f64 {
    1.01 * (5.0 * U * d + (U + gamma(n).powi(2)) * (c0.abs() + d) + 2.0 * U * nll.abs())
}

/// The rounding of c₀ + MSE/(2σ²) beyond c₀'s own, with D = MSE/(2σ²): the
/// MSE's (5u + γₙ²) ([`mse_gap_bound`]), σ·σ u (the doubling is exact), the
/// quotient u, so (7u + γₙ²)·D, and the sum with c₀ u·|rhs|; 1.01 for the
/// second-order rest and the bound's own rounding.
fn scaled_mse_error(n: usize, d: f64, rhs: f64) -> f64 {
    1.01 * ((7.0 * U + gamma(n).powi(2)) * d + U * rhs.abs())
}

/// The bound on the mean residual (1/n)Σ(x̄̃ − xᵢ), whose exact value is
/// x̄̃ − x̄, at most the mean's error e: each difference rounds by
/// u·|x̄̃ − xᵢ| (u·spread over n), the compensated sum by u·|Σ| + γₙ²·Σ|rᵢ|
/// with |Σ|/n at most e plus the differences' rounding, and the division by
/// u·|residual| ≤ u·e to first order: e + (u + γₙ²)·spread + 2u·e, within
/// 1.01·(e + (u + γₙ²)·spread), whose 0.01·e covers the 2u·e, the
/// second-order rest, and the spread's own rounding as a plain sum (γₙ
/// relative).
fn residual_bound(n: usize, mean_error: f64, spread: f64) -> f64 {
    1.01 * (mean_error + (U + gamma(n).powi(2)) * spread)
}

/// The bound on MSE(c) − MSE(x̄̃) − (c − x̄̃)² = 2δ(c − x̄̃) (δ = x̄̃ − x̄,
/// |δ| ≤ e, |c − x̄̃| = d), as computed: each MSE (1/n)·Σ(center − xᵢ)²
/// within (5u + γₙ²) of itself (each difference u, so its square 3u with the
/// square's own rounding; the compensated sum of non-negative terms
/// u + γₙ²; the division u), the difference u·|MSE(c) − MSE(x̄̃)|, the
/// square (c − x̄̃)² 3u (the difference u, doubled by squaring, and the
/// square's u), with 1.01 for the second-order rest; and 2.01·e·d, which
/// covers |2δ(c − x̄̃)| with the rounding of d.
fn mse_gap_bound(
    n: usize,
    (mse_c, mse_mean): (f64, f64),
    gap: f64,
    (mean_error, distance): (f64, f64),
) -> f64 {
    1.01 * ((5.0 * U + gamma(n).powi(2)) * (mse_c + mse_mean)
        + U * (mse_c - mse_mean).abs()
        + 3.0 * U * gap)
        + 2.01 * mean_error * distance
}

/// The same for NLL(c) − NLL(x̄̃) − (c − x̄̃)²/(2σ²): the two NLLs' errors
/// ([`gaussian_nll_error`], which carry their own 1.01), the difference
/// u·|NLL(c) − NLL(x̄̃)|, the scaled square 5u (the square 3u, σ·σ u, the
/// quotient u), and 2.01·e·d/(2σ²).
fn nll_gap_bound(
    (e_c, e_mean): (f64, f64),
    (nll_c, nll_mean): (f64, f64),
    gap: f64,
    two_var: f64,
    (mean_error, distance): (f64, f64),
) -> f64 {
    e_c + e_mean
        + 1.01 * (U * (nll_c - nll_mean).abs() + 5.0 * U * gap / two_var)
        + 2.01 * mean_error * distance / two_var
}

pub(super) fn show_gaussian(sample: &[f64], sigma: f64, c: f64) -> Counterexample {
    Counterexample {
        summary:
            "the squared error and the Gaussian NLL disagree with their closed forms on this sample"
                .to_string(),
        rows: vec![
            ("n".to_string(), sample.len().to_string()),
            ("sample".to_string(), shown(sample)),
            ("σ".to_string(), format!("{sigma}")),
            ("c".to_string(), format!("{c}")),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::rounding_model::{Model, worst_rounding};
    use crate::test_support::{PREC as P, RM, big};
    use astro_float::BigFloat;

    /// A random sample for the bound checks: 200 points one time in ten,
    /// else 1 to 40, uniform on offset ± spread (offset in [−5, 5], spread
    /// in [0.01, 3]).
    fn random_sample(case: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<f64> {
        use crate::test_support::bounds::uniform;
        use rand::RngExt;
        let n = if case.is_multiple_of(10) {
            200
        } else {
            rng.random_range(1..=40usize)
        };
        let (offset, spread) = (uniform(rng, -5.0, 5.0), uniform(rng, 0.01, 3.0));
        (0..n)
            .map(|_| offset + spread * uniform(rng, -1.0, 1.0))
            .collect()
    }

    /// ½ln(2πσ²) against the logarithm computed here: ½ln(2π) (the literal
    /// against 0.5·ln(2π) in f64: two roundings of ln and 2π, 4u relative),
    /// and at σ = 2 plus ln 2 (2u more).
    #[test]
    fn the_gaussian_constant_is_half_the_log_of_two_pi_sigma_squared() {
        let half = 0.5 * (2.0 * std::f64::consts::PI).ln();
        assert!((HALF_LN_2PI - half).abs() <= 4.0 * U * half);
        assert_eq!(half_ln_two_pi_variance(1.0), HALF_LN_2PI);
        let want = half + std::f64::consts::LN_2;
        let got = half_ln_two_pi_variance(2.0);
        assert!((got - want).abs() <= 6.0 * U * want, "{got} vs {want}");
    }

    /// The Gaussian case's bounds, on random samples (n = 1 … 40, and 200
    /// one time in ten; centred anywhere in ±5, spread 0.01 to 3), σ from
    /// 0.2 to 4 and c in ±6, each against what it must cover:
    ///
    /// - `mean_error`: x̄̃ against the exact mean at 320 bits;
    /// - `gaussian_nll_error` and `scaled_mse_error`: the NLL and
    ///   c₀ + MSE/(2σ²), at c and at x̄̃, against their one exact value
    ///   (1/n)·Σ(c₀ + (xᵢ − center)²/(2σ²)) at 320 bits, the f64 c₀ exact;
    /// - `residual_bound`: the mean residual (1/n)Σ(x̄̃ − xᵢ) against 0,
    ///   its value at the exact mean;
    /// - `mse_gap_bound` and `nll_gap_bound`: the distance between the
    ///   computed sides of MSE(c) − MSE(x̄̃) = (c − x̄̃)² and of its NLL form,
    ///   whose exact values differ by 2δ(c − x̄̃) (δ = x̄̃ − x̄, a part of each
    ///   bound); the distance is the exact difference of the f64 values.
    ///
    /// Floors, each a power of two under the worst ratio seen: 2⁻¹ for the
    /// mean (0.72 seen: the division and the compensated sum round by up to
    /// u·|x̄̃| each, of the bound's 2.01u·|x̄̃|); 2⁻² for the NLL (0.49 seen:
    /// each term c₀ + zᵢ²/2 rounds by up to u times itself and the sum and
    /// the division add 3u·|NLL|, where all terms share one sign most of
    /// 1.01·(5u·D + (u + γₙ²)(|c₀| + D) + 2u·|NLL|)); 2⁻¹ for c₀ + MSE/(2σ²)
    /// (0.91 seen: where D ≪ |c₀| the one addition's u·|rhs| is nearly the
    /// whole bound); 2⁻² for the residual (0.65 seen: its exact value is
    /// x̄̃ − x̄, the mean's own error, against the mean's bound plus the
    /// residual's rounding); 2⁻² for the MSE gap (0.39 seen) and the NLL gap
    /// (0.31 seen): the 2δ(c − x̄̃) term takes |δ| at the mean's bound, and
    /// each side's roundings are bounded at their worst. A bound loosened by
    /// the inverse of its floor fails.
    #[test]
    fn gaussian_bounds_cover_their_errors() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::{PREC as P, RM, big, error_of};
        bound_checks(
            "gaussian-case",
            [
                ("claim 8: sample mean", 0.5),
                ("claim 8: Gaussian NLL", 0.25),
                ("claim 8: c₀ + MSE/(2σ²)", 0.5),
                ("claim 8: mean residual at x̄", 0.25),
                ("claim 8: MSE gap to (c − x̄)²", 0.25),
                ("claim 8: NLL gap to (c − x̄)²/(2σ²)", 0.25),
            ],
            200,
            |case,
             rng,
             cc,
             [
                mean_check,
                nll_check,
                rhs_check,
                residual_check,
                mse_gap,
                nll_gap,
            ]| {
                let sample = random_sample(case, rng);
                let n = sample.len();
                let (sigma, c) = (uniform(rng, 0.2, 4.0), uniform(rng, -6.0, 6.0));
                let at = || format!("sample {sample:?}, σ {sigma}, c {c}");
                let nb = big(n as f64);
                let (mean, mean_abs) = sample_mean(&sample);
                let exact_mean = sample
                    .iter()
                    .fold(big(0.0), |a, &x| a.add(&big(x), P, RM))
                    .div(&nb, P, RM);
                let me = mean_error(n, mean, mean_abs);
                mean_check.value(mean, &exact_mean, me, cc, at);
                let c0 = half_ln_two_pi_variance(sigma);
                let two_var = 2.0 * (sigma * sigma);
                let mut nll_errors = [0.0; 2];
                let (mut nlls, mut mses) = ([0.0; 2], [0.0; 2]);
                for (slot, center) in [c, mean].into_iter().enumerate() {
                    let nll = gaussian_nll(&sample, sigma, c0, center).unwrap();
                    let m = mse(&sample, center).unwrap();
                    let d = m / two_var;
                    let rhs = c0 + d;
                    let two_var_exact = big(2.0).mul(&big(sigma).mul(&big(sigma), P, RM), P, RM);
                    let exact = sample
                        .iter()
                        .fold(big(0.0), |a, &x| {
                            let r = big(x).sub(&big(center), P, RM);
                            a.add(&r.mul(&r, P, RM), P, RM)
                        })
                        .div(&nb, P, RM)
                        .div(&two_var_exact, P, RM)
                        .add(&big(c0), P, RM);
                    nll_errors[slot] = gaussian_nll_error(n, c0, d, nll);
                    nll_check.value(nll, &exact, nll_errors[slot], cc, at);
                    rhs_check.value(rhs, &exact, scaled_mse_error(n, d, rhs), cc, at);
                    (nlls[slot], mses[slot]) = (nll, m);
                }
                let residuals: Vec<f64> = sample.iter().map(|x| mean - x).collect();
                let spread_r = residuals.iter().map(|r| r.abs()).sum::<f64>() / n as f64;
                let residual = compensated_sum(&residuals) / n as f64;
                residual_check.record(residual.abs(), residual_bound(n, me, spread_r), at);
                let gap = (c - mean) * (c - mean);
                let distance = (c - mean).abs();
                let diff = big(mses[0] - mses[1]).sub(&big(gap), P, RM);
                mse_gap.record(
                    error_of(0.0, &diff, cc),
                    mse_gap_bound(n, (mses[0], mses[1]), gap, (me, distance)),
                    at,
                );
                let diff = big(nlls[0] - nlls[1]).sub(&big(gap / two_var), P, RM);
                nll_gap.record(
                    error_of(0.0, &diff, cc),
                    nll_gap_bound(
                        (nll_errors[0], nll_errors[1]),
                        (nlls[0], nlls[1]),
                        gap,
                        two_var,
                        (me, distance),
                    ),
                    at,
                );
            },
        );
    }
    /// (1/n)·Σ(c₀ + (xᵢ − center)²/(2σ²)) at 320 bits, the f64 sample,
    /// center, σ and c₀ exact: the one exact value of the NLL and of
    /// c₀ + MSE/(2σ²) at that center.
    fn exact_nll(sample: &[f64], center: f64, sigma: f64, c0: f64) -> astro_float::BigFloat {
        use crate::test_support::{PREC as P, RM, big};
        let two_var = big(2.0).mul(&big(sigma).mul(&big(sigma), P, RM), P, RM);
        sample
            .iter()
            .fold(big(0.0), |a, &x| {
                let r = big(x).sub(&big(center), P, RM);
                a.add(&r.mul(&r, P, RM), P, RM)
            })
            .div(&big(sample.len() as f64), P, RM)
            .div(&two_var, P, RM)
            .add(&big(c0), P, RM)
    }

    /// The Gaussian case's assembled bound on |NLL − (c₀ + MSE/(2σ²))|
    /// ([`nll_identity`], as the case computes it), with σ far from 1: σ
    /// log-uniform over 10⁻² … 10² (where D = MSE/(2σ²) ranges from far
    /// above |c₀| to far below it), samples and centers as in
    /// [`gaussian_bounds_cover_their_errors`]. What it must cover is the sum
    /// of both sides' errors against their one exact value ([`exact_nll`]):
    /// the bound is the sum of the two sides' bounds, each of which the
    /// test above checks alone at σ of order 1.
    ///
    /// Floor 2⁻²: each side's bound adds its roundings' worst cases, and
    /// those sides reach about half of theirs (above: 0.49 and 0.91 at
    /// σ ∈ [0.2, 4]); where D ≫ |c₀| (σ small) the NLL's terms zᵢ²/2 and
    /// the scaled MSE's five roundings carry both, where D ≪ |c₀| (σ large)
    /// the constant's additions do; 0.49 is seen. A bound that takes D at
    /// the wrong scale (MSE·2σ²) is loose by up to 4σ⁴ = 4·10⁸ where D
    /// matters, or too small at σ ≪ 1, and fails.
    #[test]
    fn the_gaussian_identity_bound_holds_far_from_unit_sigma() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use crate::test_support::error_of;
        bound_checks(
            "gaussian-identity",
            [(
                "claim 8: NLL against c₀ + MSE/(2σ²), σ from 10⁻² to 10²",
                0.25,
            )],
            200,
            |case, rng, cc, [check]| {
                let sample = random_sample(case, rng);
                let n = sample.len();
                let sigma = 10f64.powf(uniform(rng, -2.0, 2.0));
                let c = uniform(rng, -6.0, 6.0);
                let (mean, _) = sample_mean(&sample);
                let c0 = half_ln_two_pi_variance(sigma);
                let two_var = 2.0 * (sigma * sigma);
                for center in [c, mean] {
                    let nll = gaussian_nll(&sample, sigma, c0, center).unwrap();
                    let m = mse(&sample, center).unwrap();
                    let side = nll_identity(n, c0, (nll, m), two_var);
                    let exact = exact_nll(&sample, center, sigma, c0);
                    let err = error_of(nll, &exact, cc) + error_of(side.rhs, &exact, cc);
                    check.record(err, side.bound, || {
                        format!("sample {sample:?}, σ {sigma}, center {center}")
                    });
                }
            },
        );
    }

    /// The mean's bound on samples whose compensated sum cancels: with
    /// B = 2⁶⁰·2ᵏ and h = 2⁻⁵³B, the sample (B, h, −B, B, 2⁻¹⁰⁷B, −B, 2B,
    /// −h, −2B) has the sum 2⁻¹⁰⁷B, and Neumaier's summation returns 0: h is
    /// half an ULP of B and 2B − h half an ULP below 2B, both ties that
    /// round to even and leave ±h in the compensation; between them
    /// 2⁻¹⁰⁷B, below half an ULP of h, is added to it and lost. The mean's error
    /// 2⁻¹⁰⁷B/9 is then not within 2.01u·|x̄̃| = 0, only within the second-
    /// order γ₉²·mean|xᵢ| (about 10⁻³ of the latter is used): this checks
    /// that term's presence and scale, which the samples of
    /// [`gaussian_bounds_cover_their_errors`] never need, and no input can
    /// check its tightness (Sum2's γ²·Σ|xᵢ| is reached only as the
    /// compensation's own roundings all align, far from these few terms).
    #[test]
    fn the_mean_bound_covers_cancelling_sums() {
        use crate::test_support::{PREC as P, RM, big, error_of};
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        for k in [-40, -10, 0, 10, 40] {
            let b = 2f64.powi(60 + k);
            let h = b * 2f64.powi(-53);
            let sample = [b, h, -b, b, b * 2f64.powi(-107), -b, 2.0 * b, -h, -2.0 * b];
            let (mean, mean_abs) = sample_mean(&sample);
            let exact = sample
                .iter()
                .fold(big(0.0), |a, &x| a.add(&big(x), P, RM))
                .div(&big(9.0), P, RM);
            let err = error_of(mean, &exact, &mut cc);
            let bound = mean_error(9, mean, mean_abs);
            assert!(
                err > 2.01 * U * mean.abs() && err <= bound,
                "scale 2^{k}: error {err:e}, mean {mean:e}, bound {bound:e}"
            );
        }
    }

    /// The replay of the sample mean (compensated Σxᵢ)/n.
    fn replay_mean(m: &mut Model, sample: &[f64]) -> BigFloat {
        let terms: Vec<BigFloat> = sample.iter().map(|&x| big(x)).collect();
        replay_mean_of(m, &terms)
    }

    /// The replay of `mean_squared_error`: (1/n)·Σ(center − xᵢ)².
    fn replay_mse(m: &mut Model, sample: &[f64], center: &BigFloat) -> BigFloat {
        let terms: Vec<BigFloat> = sample
            .iter()
            .map(|&x| {
                let d = m.sub(center, &big(x));
                m.mul(&d, &d)
            })
            .collect();
        replay_mean_of(m, &terms)
    }

    /// The replay of [`gaussian_nll`]: (1/n)·Σ(c₀ + zᵢ²/2), zᵢ = (xᵢ − center)/σ
    /// (the halving exact).
    fn replay_nll(
        m: &mut Model,
        sample: &[f64],
        sigma: f64,
        c0: f64,
        center: &BigFloat,
    ) -> BigFloat {
        let terms: Vec<BigFloat> = sample
            .iter()
            .map(|&x| {
                let r = m.sub(&big(x), center);
                let z = m.div(&r, &big(sigma));
                let half = m.mul(&z, &z).mul(&big(0.5), P, RM);
                m.add(&big(c0), &half)
            })
            .collect();
        replay_mean_of(m, &terms)
    }

    /// The replay of (compensated Σtᵢ)/n, the mean every sum of the case
    /// takes.
    fn replay_mean_of(m: &mut Model, terms: &[BigFloat]) -> BigFloat {
        let sum = m.compensated_sum(terms);
        m.div(&sum, &big(terms.len() as f64))
    }

    /// The replay of 2σ² = 2·(σ·σ) (the doubling exact).
    fn replay_two_var(m: &mut Model, sigma: f64) -> BigFloat {
        m.mul(&big(sigma), &big(sigma)).mul(&big(2.0), P, RM)
    }

    /// The replay of the right side c₀ + MSE/(2σ²).
    fn replay_rhs(
        m: &mut Model,
        sample: &[f64],
        sigma: f64,
        c0: f64,
        center: &BigFloat,
    ) -> BigFloat {
        let mse = replay_mse(m, sample, center);
        let two_var = replay_two_var(m, sigma);
        let d = m.div(&mse, &two_var);
        m.add(&big(c0), &d)
    }

    /// got − want of comparison `k` of [`gaussian_comparisons`], replayed:
    /// exactly 0 where no operation rounds.
    fn replay_comparison(m: &mut Model, k: usize, sample: &[f64], sigma: f64, c: f64) -> BigFloat {
        let c0 = half_ln_two_pi_variance(sigma);
        let at_c = big(c);
        match k {
            0 | 1 => {
                // The identity at c, or at the f64 mean as computed.
                let center = if k == 0 {
                    at_c
                } else {
                    big(sample_mean(sample).0)
                };
                let nll = replay_nll(m, sample, sigma, c0, &center);
                let rhs = replay_rhs(m, sample, sigma, c0, &center);
                nll.sub(&rhs, P, RM)
            }
            2 => {
                let mean = replay_mean(m, sample);
                let residuals: Vec<BigFloat> =
                    sample.iter().map(|&x| m.sub(&mean, &big(x))).collect();
                replay_mean_of(m, &residuals)
            }
            _ => {
                let mean = replay_mean(m, sample);
                let (got_c, got_mean) = if k == 3 {
                    (replay_mse(m, sample, &at_c), replay_mse(m, sample, &mean))
                } else {
                    let c_side = replay_nll(m, sample, sigma, c0, &at_c);
                    (c_side, replay_nll(m, sample, sigma, c0, &mean))
                };
                let got = m.sub(&got_c, &got_mean);
                let d = m.sub(&at_c, &mean);
                let mut want = m.mul(&d, &d);
                if k == 4 {
                    let two_var = replay_two_var(m, sigma);
                    want = m.div(&want, &two_var);
                }
                got.sub(&want, P, RM)
            }
        }
    }

    /// Each bound of the Gaussian case against the worst rounding its
    /// derivation allows ([`worst_rounding`]): the case's own comparisons
    /// ([`gaussian_comparisons`], so the bounds as the case assembles them)
    /// replayed at 320 bits with every rounding chosen to move the compared
    /// difference furthest. The 320-bit checks of real computations above
    /// see roundings that mostly cancel (0.3 to 0.9 of each bound); here
    /// every term of a bound is used, so a term left out or made smaller
    /// fails validity at the inputs where it matters. The inputs: random
    /// samples (n = 1 … 8, σ log-uniform over 10^±1.5, so that c₀ takes
    /// both signs and D is far above and far below |c₀|); tight samples
    /// (spread 10⁻⁴) far from c, where MSE(x̄̃) ≪ (c − x̄̃)²; c within 10⁻³ of
    /// the mean of a wide sample, where (c − x̄̃)² ≪ MSE(x̄̃); and samples of
    /// pairs ±a, whose mean is exactly 0, so that the mean's error is its
    /// γₙ²·mean|xᵢ| term alone and the residual's is its spread term.
    ///
    /// Floor 0.9 for each: every bound is the sum of its terms' first-order
    /// worst cases (each reached by the replay) times 1.01, so its worst
    /// ratio is about 1/1.01, less where an input has a term the replay
    /// cannot reach in full (γₙ² against the sum's γₙ₋₁², the 2.01 on the
    /// mean's 2u). A bound that drops a term or shrinks it falls below the
    /// replay where the term dominates; one loose by more than 1/0.9
    /// everywhere fails the floor.
    #[test]
    fn gaussian_bounds_cover_the_worst_rounding() {
        use crate::test_support::bounds::{bound_checks, uniform};
        use rand::RngExt;
        bound_checks(
            "gaussian-worst-rounding",
            [
                (
                    "claim 8: NLL against c₀ + MSE/(2σ²) at c, worst rounding",
                    0.9,
                ),
                (
                    "claim 8: NLL against c₀ + MSE/(2σ²) at x̄, worst rounding",
                    0.9,
                ),
                ("claim 8: mean residual at x̄, worst rounding", 0.9),
                ("claim 8: MSE gap to (c − x̄)², worst rounding", 0.9),
                ("claim 8: NLL gap to (c − x̄)²/(2σ²), worst rounding", 0.9),
            ],
            48,
            |case, rng, cc, checks| {
                let n = rng.random_range(1..=8usize);
                let offset = uniform(rng, -5.0, 5.0);
                let sigma = 10f64.powf(uniform(rng, -1.5, 1.5));
                let (sample, c): (Vec<f64>, f64) = match case % 4 {
                    0 => {
                        let spread = uniform(rng, 0.01, 3.0);
                        let sample = (0..n)
                            .map(|_| offset + spread * uniform(rng, -1.0, 1.0))
                            .collect();
                        (sample, uniform(rng, -6.0, 6.0))
                    }
                    1 => {
                        let sample = (0..n)
                            .map(|_| offset + 1e-4 * uniform(rng, -1.0, 1.0))
                            .collect();
                        (sample, offset + uniform(rng, 2.0, 6.0))
                    }
                    2 => {
                        let sample: Vec<f64> = (0..n.max(2))
                            .map(|_| offset + 3.0 * uniform(rng, -1.0, 1.0))
                            .collect();
                        let c = sample_mean(&sample).0 + 1e-3 * uniform(rng, -1.0, 1.0);
                        (sample, c)
                    }
                    _ => {
                        let half: Vec<f64> = (0..n).map(|_| uniform(rng, 0.5, 4.0)).collect();
                        let sample = half.iter().flat_map(|&a| [a, -a]).collect();
                        (sample, uniform(rng, -6.0, 6.0))
                    }
                };
                let comparisons = gaussian_comparisons(&sample, sigma, c).unwrap();
                for (k, (check, side)) in checks.iter_mut().zip(&comparisons).enumerate() {
                    let worst = worst_rounding(cc, |m| replay_comparison(m, k, &sample, sigma, c));
                    check.record(worst, side.bound, || {
                        format!("{}: sample {sample:?}, σ {sigma}, c {c}", side.what)
                    });
                }
            },
        );
    }
}
