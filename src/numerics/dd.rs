//! Error-free transformations (double-double building blocks).
//!
//! Each returns `(hi, lo)` with hi + lo equal to the exact result, hi the
//! rounded one. Reference: T. J. Dekker, "A floating-point technique for
//! extending the available precision", Numer. Math. 18 (1971) 224–242.

/// Knuth's TwoSum: a + b = hi + lo exactly, for any finite a, b.
#[inline]
pub(crate) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let lo = (a - (s - bb)) + (b - bb);
    (s, lo)
}

/// Dekker's FastTwoSum: exact when |a| ≥ |b| (or a = 0).
#[inline]
pub(crate) fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// Veltkamp's split: a = hi + lo with hi holding the top 26 significant bits.
#[inline]
fn split(a: f64) -> (f64, f64) {
    const FACTOR: f64 = 134_217_729.0; // 2^27 + 1
    let c = FACTOR * a;
    let hi = c - (c - a);
    (hi, a - hi)
}

/// Dekker's TwoProduct: a·b = hi + lo exactly, barring over- or underflow
/// (|a·b| within the normal range and |a|, |b| < 2^995).
///
/// Written without FMA so that the same binary gives the same bits on every
/// x86-64, with or without FMA hardware.
#[inline]
pub(crate) fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    let lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    (p, lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_prod_recovers_the_rounding_error_of_a_product() {
        // (1 + 2⁻³⁰)² = 1 + 2⁻²⁹ + 2⁻⁶⁰: the last bit is lost by the rounded product.
        let a = 1.0 + 2f64.powi(-30);
        let (hi, lo) = two_prod(a, a);
        assert_eq!(hi, 1.0 + 2f64.powi(-29));
        assert_eq!(lo, 2f64.powi(-60));
    }

    #[test]
    fn two_sum_recovers_the_rounding_error_of_a_sum() {
        let (hi, lo) = two_sum(1.0, 2f64.powi(-60));
        assert_eq!((hi, lo), (1.0, 2f64.powi(-60)));
        let (hi, lo) = fast_two_sum(1.0, -2f64.powi(-60));
        assert_eq!((hi, lo), (1.0, -2f64.powi(-60)));
    }
}
