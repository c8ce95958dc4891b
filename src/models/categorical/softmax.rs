//! The softmax's rounding-error bounds, and the gradient of the softmax
//! cross-entropy with respect to the logits.

use crate::measures::LogNormalizer;
use crate::measures::{self, validate_distribution};
use crate::models::error::ModelError;
use crate::models::linalg::U;

pub(crate) use crate::numerics::SMALLEST_SUBNORMAL as TINY;

/// Per-entry bounds εᵢ on the relative error of q̃ = [`measures::softmax`]`(z)`:
/// |q̃ᵢ − qᵢ| ≤ εᵢ·qᵢ + 2⁻¹⁰⁷⁴ for the exact qᵢ = softmax(z)ᵢ of the stored z.
///
/// Derivation, following the computation (dᵢ = max z − zᵢ ≥ 0,
/// S = Σ_{j≠argmax} e^(−dⱼ), L = ln(1 + S), W = Σⱼ qⱼdⱼ; exp, ln_1p within one
/// ulp, 2u):
/// - fl(zⱼ − max) is off by u·dⱼ, so each e^(−dⱼ) by u·dⱼ + 2u relative, and
///   the compensated sum adds 3u·S: |S̃ − S|/(1 + S) ≤ u(W + 5);
/// - ln_1p adds 2u·L; the negative log-probability (max − zᵢ) + L̃ adds
///   u·dᵢ + u(dᵢ + L): in all u(2dᵢ + 3L + W + 5) absolute;
/// - exp turns that absolute error into a relative one and adds 2u:
///
/// ```text
/// εᵢ = 1.01 · u · (2dᵢ + 3L + W + 7)
/// ```
///
/// (the factor 1.01 covers second-order terms and the use of computed dᵢ, L,
/// W). Where this exceeds 1% it is reported as +∞: the first-order analysis no
/// longer applies.
pub(crate) fn softmax_relative_errors(z: &[f64], q: &[f64]) -> Vec<f64> {
    let (max, l) = LogNormalizer::new(z).parts();
    let w: f64 = z.iter().zip(q).map(|(&zi, &qi)| qi * (max - zi)).sum();
    z.iter()
        .map(|&zi| {
            let e = 1.01 * U * (2.0 * (max - zi) + 3.0 * l + w + 7.0);
            if e <= 0.01 { e } else { f64::INFINITY }
        })
        .collect()
}

/// The gradient of the softmax cross-entropy with respect to the logits.
///
/// ```text
/// ∇_z CE(p, softmax z) = ∇_z KL(p‖softmax z) = softmax(z) − p
/// ```
///
/// Derivation: CE(p, softmax z) = Σᵢ pᵢ·(ln Σⱼ e^(zⱼ) − zᵢ), so
/// ∂CE/∂zⱼ = (Σᵢ pᵢ)·softmax(z)ⱼ − pⱼ = softmax(z)ⱼ − pⱼ for a probability
/// vector p; KL(p‖softmax z) = CE(p, softmax z) − H(p) and H(p) does not
/// depend on z, so the KL gradient is the same. This function is defined as
/// softmax(z) − p, with softmax from [`measures::softmax`].
///
/// # Errors
/// [`ModelError::Measure`] if `p` is not a probability vector or `logits` is
/// empty or not finite; [`ModelError::LengthMismatch`] (`p`, `logits`).
///
/// # Accuracy
/// Entry j is within εⱼ·qⱼ + 2⁻¹⁰⁷⁴ + u·|result| of softmax(z)ⱼ − pⱼ, with εⱼ
/// of order u·(2(max z − zⱼ) + 3 ln n): a relative error of about 1e−11 at
/// logits of ±1e4, from the rounding of the logit differences themselves.
///
/// # Example
/// ```
/// use logloss_proofs::models::softmax_cross_entropy_grad;
/// let g = softmax_cross_entropy_grad(&[1.0, 0.0], &[0.0, 0.0]).unwrap();
/// assert_eq!(g, vec![-0.5, 0.5]);
/// ```
pub fn softmax_cross_entropy_grad(p: &[f64], logits: &[f64]) -> Result<Vec<f64>, ModelError> {
    validate_distribution("p", p)?;
    let q = measures::softmax(logits)?;
    if q.len() != p.len() {
        return Err(ModelError::LengthMismatch {
            first: "p",
            first_len: p.len(),
            second: "logits",
            second_len: logits.len(),
        });
    }
    Ok(q.iter().zip(p).map(|(qi, pi)| qi - pi).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{PREC, RM};
    use astro_float::{BigFloat, Consts};
    use rand::RngExt;

    /// softmax(z)ᵢ at 320 bits (the f64 logits taken as exact), rounded to
    /// f64 through its decimal expansion (~96 digits: within u·qᵢ, or 2⁻¹⁰⁷⁵
    /// below the normal range).
    fn exact_softmax(z: &[f64]) -> Vec<f64> {
        let mut cc = Consts::new().expect("astro-float constants");
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let big = |x: f64| BigFloat::from_f64(x, PREC);
        let shifted: Vec<BigFloat> = z.iter().map(|&x| big(x).sub(&big(max), PREC, RM)).collect();
        let mut sum = big(0.0);
        for s in &shifted {
            sum = sum.add(&s.exp(PREC, RM, &mut cc), PREC, RM);
        }
        let lse = sum.ln(PREC, RM, &mut cc);
        shifted
            .iter()
            .map(|s| {
                let q = s.sub(&lse, PREC, RM).exp(PREC, RM, &mut cc);
                if q.is_zero() {
                    return 0.0;
                }
                let text = q
                    .format(astro_float::Radix::Dec, RM, &mut cc)
                    .expect("format");
                text.parse::<f64>().expect("parse")
            })
            .collect()
    }

    #[test]
    fn softmax_error_bounds_hold_against_a_320_bit_reference() {
        let mut rng = crate::seed::stream(7, "models/softmax-errors", 0);
        for &scale in &[1.0, 30.0, 700.0, 1e4] {
            for &n in &[1usize, 2, 5, 40] {
                let z: Vec<f64> = (0..n)
                    .map(|_| scale * (2.0 * rng.random::<f64>() - 1.0))
                    .collect();
                let q = measures::softmax(&z).unwrap();
                let rel = softmax_relative_errors(&z, &q);
                for (i, exact) in exact_softmax(&z).into_iter().enumerate() {
                    // The documented bound, plus the reference's own rounding
                    // to f64 (u·qᵢ, or 2⁻¹⁰⁷⁵ if subnormal).
                    let bound = rel[i] * exact + TINY + U * exact + TINY;
                    assert!(
                        (q[i] - exact).abs() <= bound,
                        "scale {scale}, n {n}, i {i}: {} vs {exact}, bound {bound:e}",
                        q[i]
                    );
                }
            }
        }
    }

    #[test]
    fn gradient_is_softmax_minus_target() {
        // softmax(0, ln 3) = (1/4, 3/4): with p = (1, 0) the gradient is
        // (−3/4, 3/4), up to the rounding of ln 3 (2u) and of softmax (relᵢ).
        let z = [0.0, 3f64.ln()];
        let g = softmax_cross_entropy_grad(&[1.0, 0.0], &z).unwrap();
        let rel = softmax_relative_errors(&z, &measures::softmax(&z).unwrap());
        // d(qᵢ)/d(z₂) ≤ ¼, so ln 3's rounding moves qᵢ by at most 2u·ln 3/4.
        for (gi, (want, r)) in g.iter().zip([(-0.75, rel[0]), (0.75, rel[1])]) {
            let bound = r * 0.75 + 0.5 * U * 3f64.ln() + U * 0.75;
            assert!((gi - want).abs() <= bound, "{g:?}");
        }
        assert!(matches!(
            softmax_cross_entropy_grad(&[0.5, 0.5], &[0.0]),
            Err(ModelError::LengthMismatch { .. })
        ));
        assert!(matches!(
            softmax_cross_entropy_grad(&[0.5, 0.6], &[0.0, 0.0]),
            Err(ModelError::Measure(_))
        ));
        assert!(matches!(
            softmax_cross_entropy_grad(&[0.5, 0.5], &[0.0, f64::NAN]),
            Err(ModelError::Measure(_))
        ));
    }
}
