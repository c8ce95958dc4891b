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

/// a·b + c rounded once, as `f64::mul_add`: that where the CPU has FMA
/// hardware (one instruction, or the C library's routine, which dispatches to
/// it), and elsewhere [`fused_emulated`], so that the portable kernels do not
/// call the C library's software fma for every element. Both are correctly
/// rounded, so the bits are the same.
#[inline(always)]
pub(crate) fn fused(a: f64, b: f64, c: f64) -> f64 {
    if hardware_fma() {
        a.mul_add(b, c)
    } else {
        fused_emulated(a, b, c)
    }
}

/// Whether `f64::mul_add` is an FMA instruction here (always outside
/// x86-64, where the targets the crate is built for have one or leave it to
/// the C library anyway).
#[inline(always)]
fn hardware_fma() -> bool {
    #[cfg(test)]
    if FORCE_EMULATION.with(std::cell::Cell::get) {
        return false;
    }
    #[cfg(all(target_arch = "x86_64", not(target_feature = "fma")))]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(all(target_arch = "x86_64", not(target_feature = "fma"))))]
    {
        true
    }
}

#[cfg(test)]
thread_local! {
    /// Makes [`fused`] take [`fused_emulated`] on this thread, so tests can
    /// run the portable kernels as a CPU without FMA hardware would.
    pub(crate) static FORCE_EMULATION: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Products below this (2⁻⁹⁶⁰) could have a low part below the normal range.
const EMULATION_MIN: f64 = f64::from_bits((1023 - 960) << 52);
/// Products, addends and factors above this (2⁹⁹⁰) could overflow the split
/// or the sums.
const EMULATION_MAX: f64 = f64::from_bits((1023 + 990) << 52);

/// a·b + c rounded once, in plain binary64 arithmetic: Boldo and Melquiond's
/// emulation of the FMA with rounding to odd,
///
/// ```text
/// (ph, pl) = TwoProduct(a, b)     exact (Dekker)
/// (th, tl) = TwoSum(c, ph)        exact
/// v        = RO(tl + pl)          rounded to odd
/// result   = RN(th + v)
/// ```
///
/// which is the correctly rounded a·b + c in any binary format of at least 5
/// bits when nothing over- or underflows (S. Boldo and G. Melquiond,
/// "Emulation of a FMA and correctly-rounded sums: proved algorithms using
/// rounding to odd", IEEE Trans. Computers 57(4), 2008, 462–471). Inputs
/// whose product or terms come near the ends of the range (and zero
/// products) go to `f64::mul_add`: rare in the kernels, whose arguments are
/// of moderate size.
#[inline(always)]
pub(crate) fn fused_emulated(a: f64, b: f64, c: f64) -> f64 {
    let p = (a * b).abs();
    let safe = (EMULATION_MIN..=EMULATION_MAX).contains(&p)
        && a.abs() <= EMULATION_MAX
        && b.abs() <= EMULATION_MAX
        && c.abs() <= EMULATION_MAX;
    if !safe {
        return a.mul_add(b, c);
    }
    let (ph, pl) = two_prod(a, b);
    let (th, tl) = two_sum(c, ph);
    th + add_round_to_odd(tl, pl)
}

/// x + y rounded to odd: the exact sum if it is a float, else whichever of
/// the two floats around it has an odd last significand bit. From the
/// rounded-to-nearest sum s and its exact error e: s if e = 0 or s is odd,
/// else the neighbour of s toward the exact sum.
#[inline(always)]
fn add_round_to_odd(x: f64, y: f64) -> f64 {
    let (s, e) = two_sum(x, y);
    let bits = s.to_bits();
    if e == 0.0 || bits & 1 == 1 {
        s
    } else if (e > 0.0) == (s > 0.0) {
        f64::from_bits(bits + 1)
    } else {
        f64::from_bits(bits - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`fused_emulated`] gives `f64::mul_add`'s bits (a correctly rounded
    /// fma, by IEEE 754 and the C library's contract) on random triples over
    /// many binades, on triples where c nearly cancels a·b, on exact ties
    /// (a·b exact, c half an ulp of it), and at the range checks' edges.
    #[test]
    fn the_emulated_fma_is_correctly_rounded() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xf3a);
        let check = |a: f64, b: f64, c: f64| {
            let want = a.mul_add(b, c);
            let got = fused_emulated(a, b, c);
            assert_eq!(got.to_bits(), want.to_bits(), "fma({a:e}, {b:e}, {c:e})");
        };
        let wide = |rng: &mut rand_chacha::ChaCha8Rng, span: i32| {
            let m = 1.0 + rng.random::<f64>();
            let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
            sign * m * 2f64.powi(rng.random_range(-span..=span))
        };
        for _ in 0..300_000 {
            let (a, b) = (wide(&mut rng, 300), wide(&mut rng, 300));
            check(a, b, wide(&mut rng, 600));
            // c cancels a·b to within a few of its ulps, and beyond.
            let p = a * b;
            let off = wide(&mut rng, 0) * 2f64.powi(rng.random_range(-110..=0)) * p;
            check(a, b, -p + off);
            check(a, b, -p);
            // Ties: a and b of 26 significant bits multiply exactly; c is
            // half an ulp of the product, or an odd multiple of it.
            let cut = |x: f64| f64::from_bits(x.to_bits() & !((1u64 << 27) - 1));
            let (a26, b26) = (cut(a), cut(b));
            let exact = a26 * b26;
            let half_ulp =
                f64::from_bits(exact.to_bits() & 0x7ff0_0000_0000_0000) * f64::EPSILON / 2.0;
            let k = (2 * rng.random_range(0..4) + 1) as f64;
            check(a26, b26, k * half_ulp);
            check(a26, b26, -k * half_ulp);
        }
        // Double rounding: c + ph is a tie th + ulp(th)/2 with th even, and
        // pl > 0 lifts the exact value above it. Rounding tl + pl to nearest
        // would drop pl and the final tie would go to even, one ulp low;
        // rounding to odd keeps it. a = h·(1 + 2⁻⁵²), b = 1 − 2⁻⁵³ give
        // ph = h, pl = h·(2⁻⁵³ − 2⁻¹⁰⁵); c = 2ᵉ with h = 2^(e−53).
        for e in -400..400 {
            let h = 2f64.powi(e - 53);
            for sign in [1.0, -1.0] {
                let a = sign * h * (1.0 + f64::EPSILON);
                let c = sign * 2f64.powi(e);
                check(a, 1.0 - f64::EPSILON / 2.0, c);
                assert_eq!(
                    fused_emulated(a, 1.0 - f64::EPSILON / 2.0, c),
                    c + sign * 2.0 * h,
                    "the tie at 2^{e} rounds away from even"
                );
            }
        }
        // Products between 2⁻¹⁰²⁰ and 2⁻⁹⁶⁰, whose low part Dekker's split
        // cannot hold (it falls below the normal range): c cancels the
        // product, so the result is that low part, which the emulation would
        // get wrong; the range check must hand these to the library.
        for _ in 0..20_000 {
            let e = rng.random_range(-1020..-960);
            let a = (1.0 + rng.random::<f64>()) * 2f64.powi(e / 2);
            let b = (1.0 + rng.random::<f64>()) * 2f64.powi(e - e / 2);
            check(a, b, -(a * b));
        }
        // Where the range checks hand over to the library, and zeros.
        for (a, b, c) in [
            (0.0, 1.0, 2.0),
            (-0.0, 1.0, 0.0),
            (1e-300, 1e-300, 1e-310),
            (1e300, 1e8, -f64::MAX),
            (2f64.powi(-480), 2f64.powi(-480), 1.0),
            (2f64.powi(-481), 2f64.powi(-480), -1e-290),
            (2f64.powi(495), 2f64.powi(495), -1.0),
        ] {
            check(a, b, c);
        }
    }

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
