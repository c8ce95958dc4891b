//! Error-tracked arithmetic: a value with a first-order bound on its
//! absolute rounding error, propagated one operation at a time (running
//! error analysis: each operation adds u·|result| and carries its inputs'
//! bounds), so a check can compare a computed gradient against it.

use super::U;

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
