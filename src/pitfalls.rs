//! Where cross-entropy and KL divergence part ways.
//!
//! For a fixed target p, CE(p, q) = H(p) + KL(p‖q) differs from KL(p‖q) by a
//! constant, so both train alike. This module holds the math of the three
//! ways that equivalence breaks, as the claims of the catalogue check them:
//!
//! - [`reverse`]: the *reverse* divergence KL(q‖p) has another minimizer. A
//!   discretized Gaussian fitted to a bimodal target covers both modes under
//!   KL(p‖q) and locks onto one under KL(q‖p).
//! - [`moving_target`]: a target p_θ that depends on the parameters (a
//!   co-trained teacher) makes ∇_θ CE and ∇_θ KL differ by ∇_θ H(p_θ).
//! - [`losses`]: KL losses as commonly implemented: PyTorch's `kl_div` with
//!   its default `mean` reduction (C times too small), a KL applied to one
//!   sigmoid probability (its minimizer runs to x → 1), and the 0·(−∞) = NaN
//!   of evaluating p·(ln p − ln q) naively.
//!
//! Every gradient here comes with a first-order bound on its rounding error,
//! derived by running error analysis (each operation adds u·|result| and
//! propagates its inputs' bounds), so a check can compare against it.

pub mod losses;
pub mod moving_target;
pub mod reverse;

/// Unit roundoff of f64: u = 2⁻⁵³.
const U: f64 = f64::EPSILON / 2.0;

/// A computed value with a first-order bound on its absolute rounding error:
/// running error analysis, one operation at a time.
///
/// ```text
/// a ± b: e = eₐ + e_b + u·|a ± b|
/// a · b: e = |a|·e_b + |b|·eₐ + eₐ·e_b + u·|a·b|
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tracked {
    pub(crate) v: f64,
    pub(crate) e: f64,
}

impl Tracked {
    /// An exactly known value.
    pub(crate) fn exact(v: f64) -> Self {
        Tracked { v, e: 0.0 }
    }

    /// A value known within `e`.
    pub(crate) fn new(v: f64, e: f64) -> Self {
        Tracked { v, e }
    }

    pub(crate) fn add(self, o: Tracked) -> Tracked {
        let v = self.v + o.v;
        Tracked {
            v,
            e: self.e + o.e + U * v.abs(),
        }
    }

    pub(crate) fn sub(self, o: Tracked) -> Tracked {
        let v = self.v - o.v;
        Tracked {
            v,
            e: self.e + o.e + U * v.abs(),
        }
    }

    pub(crate) fn mul(self, o: Tracked) -> Tracked {
        let v = self.v * o.v;
        Tracked {
            v,
            e: self.v.abs() * o.e + o.v.abs() * self.e + self.e * o.e + U * v.abs(),
        }
    }

    pub(crate) fn neg(self) -> Tracked {
        Tracked {
            v: -self.v,
            e: self.e,
        }
    }

    /// A left-to-right sum: each addition adds u·|partial sum|.
    pub(crate) fn sum(items: impl IntoIterator<Item = Tracked>) -> Tracked {
        items
            .into_iter()
            .fold(Tracked::exact(0.0), |acc, x| acc.add(x))
    }
}

/// A vector with a bound on each entry's absolute rounding error.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounded {
    /// The computed values.
    pub value: Vec<f64>,
    /// |computed − exact| ≤ `error[j]`, to first order in u (u = 2⁻⁵³).
    pub error: Vec<f64>,
}

impl Bounded {
    pub(crate) fn from_tracked(t: Vec<Tracked>) -> Self {
        Bounded {
            value: t.iter().map(|x| x.v).collect(),
            error: t.iter().map(|x| x.e).collect(),
        }
    }
}

/// Logits `m·θ` of a row-major `rows × cols` matrix, with a bound on the
/// rounding error of each entry.
///
/// ```text
/// zᵢ = Σⱼ mᵢⱼ θⱼ,   |error| ≤ (cols + 1)·u·Σⱼ |mᵢⱼ θⱼ|   (γ_cols for a dot product, plus margin)
/// ```
pub(crate) fn mat_vec(m: &[f64], cols: usize, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let gamma = (cols as f64 + 1.0) * U;
    m.chunks(cols)
        .map(|row| {
            let z: f64 = row.iter().zip(theta).map(|(a, t)| a * t).sum();
            let mag: f64 = row.iter().zip(theta).map(|(a, t)| (a * t).abs()).sum();
            (z, gamma * mag)
        })
        .unzip()
}

/// A bound on the absolute rounding error of each entry of the crate's
/// [`log_softmax`](crate::measures::log_softmax) (equivalently, the relative
/// error of [`softmax`](crate::measures::softmax), plus u for its `exp`),
/// when each logit is itself known within `logit_error`.
///
/// ```text
/// |error of ln qᵢ| ≤ u·(2|ln qᵢ| + Δ + n + 4) + 4·logit_error,   Δ = max z − min z
/// ```
///
/// Derivation, following the stable evaluation −ln qᵢ = (max z − zᵢ) + ln(1 + S),
/// S = Σ_{j≠argmax} exp(zⱼ − max z): the difference max z − zᵢ carries
/// u·|max z − zᵢ| ≤ u·|ln qᵢ| plus 2·logit_error; each exp(zⱼ − max z) has
/// relative error u·(Δ + 1) + 2·logit_error, so S (a compensated sum of n − 1
/// terms) has relative error u·(Δ + n + 1) + 2·logit_error, which ln(1 + S)
/// passes on times S/(1 + S) ≤ 1, plus u·ln(1 + S) ≤ u·|ln qᵢ|; the final
/// addition adds u·|ln qᵢ|. Summed: the bound above, to first order in u.
///
/// # Example
/// ```
/// use logloss_proofs::pitfalls::log_softmax_error_bounds;
/// let e = log_softmax_error_bounds(&[0.0, 0.0], 0.0);
/// let u = f64::EPSILON / 2.0;
/// // ln q = −ln 2 for both: u·(2 ln 2 + 0 + 2 + 4).
/// assert_eq!(e[0], u * (2.0 * std::f64::consts::LN_2 + 6.0));
/// ```
pub fn log_softmax_error_bounds(logits: &[f64], logit_error: f64) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = logits.iter().copied().fold(f64::INFINITY, f64::min);
    let n = logits.len() as f64;
    let spread = max - min;
    let ln_sum = logits.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
    logits
        .iter()
        .map(|&z| {
            let ln_q = (z - max - ln_sum).abs();
            U * (2.0 * ln_q + spread + n + 4.0) + 4.0 * logit_error
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The propagation rules at short dyadic values and errors, where every
    /// operation is exact: a = 3 ± 2⁻⁴⁰, b = 0.5 ± 2⁻⁴¹.
    #[test]
    fn tracked_arithmetic_follows_its_rules() {
        let (ea, eb) = (2f64.powi(-40), 2f64.powi(-41));
        let (a, b) = (Tracked::new(3.0, ea), Tracked::new(0.5, eb));
        assert_eq!(a.add(b), Tracked::new(3.5, ea + eb + U * 3.5));
        assert_eq!(a.sub(b), Tracked::new(2.5, ea + eb + U * 2.5));
        assert_eq!(
            a.mul(b),
            Tracked::new(1.5, 3.0 * eb + 0.5 * ea + ea * eb + U * 1.5)
        );
        assert_eq!(a.neg(), Tracked::new(-3.0, ea));
        // A left-to-right sum from an exact zero: 3, then 3.5.
        assert_eq!(
            Tracked::sum([a, b]),
            Tracked::new(3.5, ea + U * 3.0 + eb + U * 3.5)
        );
        assert_eq!(Tracked::exact(2.0), Tracked::new(2.0, 0.0));
    }

    #[test]
    fn tracked_product_bounds_the_rounding_of_a_known_product() {
        // 0.1 · 0.3 in f64 versus the exact product of the two stored numbers:
        // the stored inputs are exact, so the bound is u·|result| and the
        // true error (exact product minus rounded product) fits in it.
        let (a, b) = (Tracked::exact(0.1), Tracked::exact(0.3));
        let p = a.mul(b);
        // Exact product of the stored numbers by splitting (Dekker): the
        // error term is representable, computed with mul_add.
        let err = 0.1f64.mul_add(0.3, -p.v);
        assert!(err.abs() <= p.e, "{err:e} > {:e}", p.e);
    }
}
