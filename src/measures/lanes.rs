//! Eight-lane kernels for H, CE and KL: the same arithmetic on every CPU,
//! vectorized where the CPU allows it.
//!
//! # Layout
//!
//! Element i of the input goes to lane i mod 8. Every lane has its own
//! [`NeumaierSum`]s (KL has two per lane: the far terms and the near terms),
//! fed in increasing i; at the end the sixteen (or eight) partial sums are
//! merged in a fixed order. Each lane's contribution from an element depends
//! on that element alone, through a fixed sequence of IEEE-754 operations, so
//! the result does not depend on how many lanes the hardware processes at
//! once: the portable path (plain Rust, any CPU) and the AVX2 + FMA path give
//! **bit-identical** results (tested in this module, and checked on request
//! with `LOGLOSS_PROOFS_SIMD=off`, which forces the portable path).
//!
//! FMA is used only where it is exact: the low part of a product
//! (TwoProduct), where it equals Dekker's FMA-free split that the portable
//! path uses, and the remainder a − r·b of a correctly rounded quotient.
//! Polynomials are evaluated with separate multiplications and additions in
//! both paths. Those equalities hold while no product's low part falls below
//! the normal range; entries outside [2⁻⁹⁰⁰, 4] (which a probability vector
//! reaches only with entries below 10⁻²⁷⁰) are therefore handed, per lane, to
//! the sequential double-double code of `kernels.rs` in both paths, which
//! keeps the lanes' results identical.
//!
//! # The logarithm
//!
//! [`ln_core`] is the double-double logarithm of `ln.rs` (Tang's table method
//! with the same 91-entry table of −ln rᵢ), rearranged to have no branch and no
//! library call: x = 2ᵉ·m with m ∈ [1/√2, √2) by integer arithmetic on the bit
//! pattern, i = round(128·m) by adding 1.5·2⁵², v = m·rᵢ − 1 as an exact
//! double-double, and the sums combined by FastTwoSum where the operands'
//! order of magnitude is known (checked for every table entry in the tests).
//! Relative error below 2⁻⁶⁸, tested against a 320-bit reference.
//!
//! # KL terms
//!
//! - Near terms, |pᵢ − qᵢ| ≤ (pᵢ + qᵢ)/32: as in `kernels.rs`, the non-negative
//!   gᵢ = pᵢ ln(pᵢ/qᵢ) − pᵢ + qᵢ through the series of atanh (six terms suffice
//!   for |s| ≤ 1/32) plus the exact dᵢ = pᵢ − qᵢ, so KL keeps its relative
//!   accuracy when p ≈ q.
//! - Far terms: one logarithm instead of two. r = fl(pᵢ/qᵢ) and the exact
//!   remainder e = pᵢ − r·qᵢ give pᵢ/qᵢ = r·(1 + e/(r·qᵢ)), so
//!   ln(pᵢ/qᵢ) = ln r + e/pᵢ + δ with |δ| ≤ 1.5u² (u = 2⁻⁵³); ln r in
//!   double-double; there |ln(pᵢ/qᵢ)| > ln(33/31) > 1/16.
//!
//! Every term is therefore carried to about 2⁻⁶⁸ relative before the
//! compensated sum, as in the sequential kernels; the bound on the result,
//! 2u·|KL| + O(n u²)·Σ|terms|, is the same.

use super::dd::{fast_two_sum, two_prod, two_sum};
use super::kernels::{add_a_ln_b, add_kl_term};
use super::ln::{LN1P_TAIL, LN2_HI, LN2_LO, TABLE};
use super::summation::NeumaierSum;

/// Number of lanes: the width of the accumulator layout, on every CPU.
pub(crate) const LANES: usize = 8;

/// Bit pattern of fl(1/√2): m is reduced to [fl(1/√2), 2·fl(1/√2)).
const OFF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
/// Added to the bit pattern so that its exponent field is e + 1023 for x = 2ᵉ·m.
const SHIFT: u64 = 0x3ff0_0000_0000_0000 - OFF_BITS;
const EXP_MASK: u64 = 0xfff0_0000_0000_0000;
const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;
/// 2⁵² as a bit pattern: OR-ing a small integer k into it gives 2⁵² + k.
const TWO52_BITS: u64 = 0x4330_0000_0000_0000;
/// 2⁵² + 1023: subtracting it from 2⁵² + (e + 1023) leaves e.
const TWO52_PLUS_BIAS: f64 = 4_503_599_627_371_519.0;
/// 1.5·2⁵²: m·128 + this rounds m·128 to the nearest integer (ties to even),
/// which then sits in the low bits of the sum's bit pattern.
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;
/// Keeps the top 26 significant bits of m (clears the low 27).
const SPLIT_MASK: u64 = !((1u64 << 27) - 1);

/// Entries outside [TAME_MIN, TAME_MAX] go to the sequential code (see the
/// module docs): from 2⁻⁹⁰⁰ up, every product's low part stays normal.
const TAME_MIN: f64 = f64::from_bits(0x07b0_0000_0000_0000); // 2⁻⁹⁰⁰
const TAME_MAX: f64 = 4.0;
/// A near KL term with 0 < |p − q| below this also goes to the sequential
/// code: the product d·s ≈ d²/(p + q) must stay normal.
const TINY_DIFF: f64 = f64::from_bits(0x23d0_0000_0000_0000); // 2⁻⁴⁵⁰

/// B(x) = Σₖ xᵏ/(2k + 3), k = 0..=5, with atanh(s) − s = s³·B(s²). For
/// x = s² ≤ 2⁻¹⁰ the omitted terms are below x⁶/15·1.001 < 2⁻⁶³, and
/// they enter g multiplied by |s(1 + s)| ≤ 0.033: below 2⁻⁶⁸ relative.
const ATANH_TAIL: [f64; 6] = [
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
];

/// (rᵢ, −ln rᵢ hi, −ln rᵢ lo, 0) at index i mod 128, for i = 91..=181:
/// 91..=127 and 128..=181 map to disjoint ranges, so `i & 127` needs no
/// bounds check. One 32-byte row per entry, for whole-row vector loads.
#[repr(align(32))]
struct Rows([[f64; 4]; 128]);

static ROWS: Rows = Rows({
    let mut rows = [[0.0; 4]; 128];
    let mut k = 0;
    while k < TABLE.len() {
        let (r, hi, lo) = TABLE[k];
        rows[(k + 91) & 127] = [r, hi, lo, 0.0];
        k += 1;
    }
    rows
});

/// P(s) = Σₖ cₖ·sᵏ, k = 0..=8 (c = `LN1P_TAIL`), by Estrin's scheme with
/// s2 = fl(s²): four independent pairs, then three levels, so the chain of
/// dependent operations is 8 long instead of Horner's 16. Unfused.
#[inline(always)]
fn ln1p_tail(s: f64, s2: f64) -> f64 {
    let c = &LN1P_TAIL;
    let s4 = s2 * s2;
    let s8 = s4 * s4;
    let p01 = c[1] * s + c[0];
    let p23 = c[3] * s + c[2];
    let p45 = c[5] * s + c[4];
    let p67 = c[7] * s + c[6];
    let p03 = p23 * s2 + p01;
    let p47 = p67 * s2 + p45;
    let p07 = p47 * s4 + p03;
    c[8] * s8 + p07
}

/// B(x) = Σₖ bₖ·xᵏ, k = 0..=5 (b = `ATANH_TAIL`), by Estrin's scheme. Unfused.
#[inline(always)]
fn atanh_tail(x: f64) -> f64 {
    let b = &ATANH_TAIL;
    let x2 = x * x;
    let x4 = x2 * x2;
    let p01 = b[1] * x + b[0];
    let p23 = b[3] * x + b[2];
    let p45 = b[5] * x + b[4];
    let p03 = p23 * x2 + p01;
    p45 * x4 + p03
}

/// ln x as an unevaluated double-double (hi, lo), |lo| ≤ ulp(hi)/2, for a
/// normal x > 0. The portable reference for the vector versions below.
#[inline(always)]
pub(crate) fn ln_core(x: f64) -> (f64, f64) {
    let bits = x.to_bits();
    let tmp = bits.wrapping_add(SHIFT);
    let m = f64::from_bits(bits.wrapping_sub(tmp & EXP_MASK).wrapping_add(ONE_BITS));
    let e = f64::from_bits((tmp >> 52) | TWO52_BITS) - TWO52_PLUS_BIAS;
    let z = m * 128.0 + ROUND_MAGIC;
    let [r, t_hi, t_lo, _] = ROWS.0[(z.to_bits() & 127) as usize];

    // v = m·r − 1 = s + s_err exactly: m_hi·r − 1 and m_lo·r are exact (26 + 9
    // and 27 + 9 significant bits), s is their rounded sum and s_err its error.
    let m_hi = f64::from_bits(m.to_bits() & SPLIT_MASK);
    let a = m_hi * r - 1.0;
    let b = (m - m_hi) * r;
    let s = a + b;
    let s_err = (a - s) + b;

    // ln(1 + v) = s − s²/2 + s³·P(s) + s_err/(1 + s) + O(s_err²)
    let (sq, sq_lo) = two_prod(s, s);
    let poly = ln1p_tail(s, sq);
    let tail = ((s * sq) * poly - 0.5 * sq_lo) + s_err * (1.0 - s);

    // FastTwoSum is exact here: e·LN2_HI is 0 or above 0.69 > |t_hi|; t_hi is
    // 0 (i = 128) or not below |s| in binary exponent (checked per entry in the
    // tests); |s²/2| is far below |t_hi + s| or |s|.
    let (h1, l1) = fast_two_sum(e * LN2_HI, t_hi);
    let (h2, l2) = fast_two_sum(h1, s);
    let (h3, l3) = fast_two_sum(h2, -0.5 * sq);
    let lo = ((l1 + l2) + l3) + ((t_lo + e * LN2_LO) + tail);
    fast_two_sum(h3, lo)
}

/// Whether an entry takes the fast path (see [`TAME_MIN`]).
#[inline(always)]
fn tame(x: f64) -> bool {
    (TAME_MIN..=TAME_MAX).contains(&x)
}

/// Adds −a·ln b (a, b tame) to `acc`: exact product, double-double logarithm.
#[inline(always)]
fn add_neg_a_ln_b(a: f64, b: f64, acc: &mut NeumaierSum) {
    let (h, l) = ln_core(b);
    let (ph, pl) = two_prod(a, h);
    acc.add(-ph);
    acc.add_low(-(pl + a * l));
}

/// A far KL term a·ln(a/b) (tame a, b with |a − b| > (a + b)/32), from one
/// logarithm of the rounded ratio and the exact remainder.
#[inline(always)]
fn add_kl_far(a: f64, b: f64, acc: &mut NeumaierSum) {
    let r = a / b;
    let (rh, rl) = two_prod(r, b);
    let rem = (a - rh) - rl; // a − r·b, exact for a correctly rounded r
    let c = rem / a;
    let (h, l) = ln_core(r);
    let l = l + c;
    let (ph, pl) = two_prod(a, h);
    acc.add(ph);
    acc.add_low(pl + a * l);
}

/// A near KL term, g + d with g = d·s·[1 + s(1 + s)·B(s²)], s = d/(a + b)
/// (see `kernels::add_near_gap`, here with |s| ≤ 1/32).
#[inline(always)]
fn add_kl_near(a: f64, b: f64, d: f64, acc: &mut NeumaierSum) {
    let (sh, sl) = two_sum(a, b);
    let inv = 1.0 / sh;
    let s = d * inv;
    let (qh, ql) = two_prod(s, sh);
    let s_lo = (((d - qh) - ql) - s * sl) * inv;
    let (gh, gl) = two_prod(d, s);
    let gl = gl + d * s_lo;
    let poly = atanh_tail(s * s);
    let c = (s * (1.0 + s)) * poly;
    acc.add(gh);
    acc.add(gh * c + gl);
    acc.add(d);
}

/// Whether a KL term with a, b > 0 is near: |a − b|·32 ≤ a + b.
#[inline(always)]
fn is_near(a: f64, b: f64) -> bool {
    (a - b).abs() * 32.0 <= a + b
}

/// Per-lane partial sums of one kernel.
#[derive(Clone, Copy, Default)]
pub(crate) struct Partials {
    far: [NeumaierSum; LANES],
    near: [NeumaierSum; LANES],
    infinite: bool,
}

impl Partials {
    /// The merged value: lanes 0..8 of `far`, then of `near`. A zero result is
    /// returned as +0.0 (the sign of a zero could depend on masked lanes).
    fn value(&self) -> f64 {
        if self.infinite {
            return f64::INFINITY;
        }
        let mut total = NeumaierSum::new();
        for part in self.far.iter().chain(&self.near) {
            total.merge(*part);
        }
        let v = total.value();
        if v == 0.0 { 0.0 } else { v }
    }
}

/// One KL element in lane `j`, portable.
#[inline(always)]
fn kl_lane(a: f64, b: f64, j: usize, parts: &mut Partials) {
    if a == 0.0 {
        return;
    }
    if b == 0.0 {
        parts.infinite = true;
        return;
    }
    let d = a - b;
    if !(tame(a) && tame(b)) || (d != 0.0 && d.abs() < TINY_DIFF) {
        add_kl_term(a, b, d, &mut parts.far[j]);
    } else if is_near(a, b) {
        add_kl_near(a, b, d, &mut parts.near[j]);
    } else {
        add_kl_far(a, b, &mut parts.far[j]);
    }
}

/// One CE element −a·ln b in lane `j`, portable.
#[inline(always)]
fn ce_lane(a: f64, b: f64, j: usize, parts: &mut Partials) {
    if a == 0.0 {
        return;
    }
    if b == 0.0 {
        parts.infinite = true;
        return;
    }
    if tame(a) && tame(b) {
        add_neg_a_ln_b(a, b, &mut parts.far[j]);
    } else {
        add_a_ln_b(a, b, &mut parts.far[j], -1.0);
    }
}

/// Which implementation runs the lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// Plain Rust, one lane after another.
    Portable,
    /// AVX2 + FMA, four lanes at a time (x86-64 only, detected at run time).
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Path {
    /// The fastest path this CPU supports, unless `LOGLOSS_PROOFS_SIMD=off`.
    pub(crate) fn detect() -> Path {
        static FORCED_OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let off = *FORCED_OFF.get_or_init(|| {
            std::env::var_os("LOGLOSS_PROOFS_SIMD").is_some_and(|v| v == "off" || v == "0")
        });
        if off {
            return Path::Portable;
        }
        #[cfg(target_arch = "x86_64")]
        if pulp::x86::V3::try_new().is_some() {
            return Path::Avx2;
        }
        Path::Portable
    }
}

/// KL(p‖q) for validated, equal-length p and q.
pub(crate) fn kl(p: &[f64], q: &[f64]) -> f64 {
    kl_with(Path::detect(), p, q)
}

/// CE(p, q) for validated, equal-length p and q.
pub(crate) fn cross_entropy(p: &[f64], q: &[f64]) -> f64 {
    cross_entropy_with(Path::detect(), p, q)
}

/// H(p) for a validated p: CE(p, p).
pub(crate) fn entropy(p: &[f64]) -> f64 {
    cross_entropy_with(Path::detect(), p, p)
}

/// KL on the given path.
pub(crate) fn kl_with(path: Path, p: &[f64], q: &[f64]) -> f64 {
    let mut parts = Partials::default();
    let done = match path {
        Path::Portable => 0,
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => avx2::run(avx2::Kernel::Kl, p, q, &mut parts),
    };
    for (i, (&a, &b)) in p.iter().zip(q).enumerate().skip(done) {
        kl_lane(a, b, i % LANES, &mut parts);
    }
    parts.value()
}

/// CE on the given path.
pub(crate) fn cross_entropy_with(path: Path, p: &[f64], q: &[f64]) -> f64 {
    let mut parts = Partials::default();
    let done = match path {
        Path::Portable => 0,
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => avx2::run(avx2::Kernel::CrossEntropy, p, q, &mut parts),
    };
    for (i, (&a, &b)) in p.iter().zip(q).enumerate().skip(done) {
        ce_lane(a, b, i % LANES, &mut parts);
    }
    parts.value()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The lanes four at a time with AVX2 and FMA, through `pulp`'s safe,
    //! runtime-checked wrappers of the intrinsics.

    use super::*;
    use pulp::x86::V3;
    use std::arch::x86_64::{__m256d, __m256i};

    /// Which kernel [`run`] evaluates.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(super) enum Kernel {
        Kl,
        CrossEntropy,
    }

    /// The intrinsics used, as short methods.
    #[derive(Clone, Copy)]
    struct Ops(V3);

    impl Ops {
        #[inline(always)]
        fn splat(self, x: f64) -> __m256d {
            self.0.avx._mm256_set1_pd(x)
        }
        #[inline(always)]
        fn splat_u(self, x: u64) -> __m256i {
            self.0.avx._mm256_set1_epi64x(x as i64)
        }
        #[inline(always)]
        fn add(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_add_pd(a, b)
        }
        #[inline(always)]
        fn sub(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_sub_pd(a, b)
        }
        #[inline(always)]
        fn mul(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_mul_pd(a, b)
        }
        #[inline(always)]
        fn div(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_div_pd(a, b)
        }
        #[inline(always)]
        fn neg(self, a: __m256d) -> __m256d {
            self.0.avx._mm256_xor_pd(a, self.splat(-0.0))
        }
        #[inline(always)]
        fn abs(self, a: __m256d) -> __m256d {
            self.0.avx._mm256_andnot_pd(self.splat(-0.0), a)
        }
        /// Lanes where `mask` is set keep `a`, the others become +0.
        #[inline(always)]
        fn keep(self, mask: __m256d, a: __m256d) -> __m256d {
            self.0.avx._mm256_and_pd(mask, a)
        }
        #[inline(always)]
        fn and(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_and_pd(a, b)
        }
        #[inline(always)]
        fn or(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_or_pd(a, b)
        }
        #[inline(always)]
        fn andnot(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_andnot_pd(a, b)
        }
        #[inline(always)]
        fn le(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_cmp_pd::<0x12>(a, b) // _CMP_LE_OQ
        }
        #[inline(always)]
        fn lt(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_cmp_pd::<0x11>(a, b) // _CMP_LT_OQ
        }
        #[inline(always)]
        fn eq(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_cmp_pd::<0x00>(a, b) // _CMP_EQ_OQ
        }
        #[inline(always)]
        fn neq(self, a: __m256d, b: __m256d) -> __m256d {
            self.0.avx._mm256_cmp_pd::<0x04>(a, b) // _CMP_NEQ_UQ
        }
        #[inline(always)]
        fn any(self, mask: __m256d) -> bool {
            self.0.avx._mm256_movemask_pd(mask) != 0
        }
        /// The exact low part of a·b (FMA), equal to Dekker's when it is normal.
        #[inline(always)]
        fn prod_err(self, a: __m256d, b: __m256d, p: __m256d) -> __m256d {
            self.0.fma._mm256_fmsub_pd(a, b, p)
        }
        #[inline(always)]
        fn two_prod(self, a: __m256d, b: __m256d) -> (__m256d, __m256d) {
            let p = self.mul(a, b);
            (p, self.prod_err(a, b, p))
        }
        #[inline(always)]
        fn two_sum(self, a: __m256d, b: __m256d) -> (__m256d, __m256d) {
            let s = self.add(a, b);
            let bb = self.sub(s, a);
            let lo = self.add(self.sub(a, self.sub(s, bb)), self.sub(b, bb));
            (s, lo)
        }
        #[inline(always)]
        fn fast_two_sum(self, a: __m256d, b: __m256d) -> (__m256d, __m256d) {
            let s = self.add(a, b);
            (s, self.sub(b, self.sub(s, a)))
        }
        /// c1·x + c0, unfused.
        #[inline(always)]
        fn lin(self, x: __m256d, c1: f64, c0: f64) -> __m256d {
            self.add(self.mul(self.splat(c1), x), self.splat(c0))
        }
        /// a·x + b, unfused.
        #[inline(always)]
        fn mul_add(self, a: __m256d, x: __m256d, b: __m256d) -> __m256d {
            self.add(self.mul(a, x), b)
        }
        /// [`ln1p_tail`], operation for operation.
        #[inline(always)]
        fn ln1p_tail(self, s: __m256d, s2: __m256d) -> __m256d {
            let c = &LN1P_TAIL;
            let s4 = self.mul(s2, s2);
            let s8 = self.mul(s4, s4);
            let p01 = self.lin(s, c[1], c[0]);
            let p23 = self.lin(s, c[3], c[2]);
            let p45 = self.lin(s, c[5], c[4]);
            let p67 = self.lin(s, c[7], c[6]);
            let p03 = self.mul_add(p23, s2, p01);
            let p47 = self.mul_add(p67, s2, p45);
            let p07 = self.mul_add(p47, s4, p03);
            self.mul_add(self.splat(c[8]), s8, p07)
        }
        /// [`atanh_tail`], operation for operation.
        #[inline(always)]
        fn atanh_tail(self, x: __m256d) -> __m256d {
            let b = &ATANH_TAIL;
            let x2 = self.mul(x, x);
            let x4 = self.mul(x2, x2);
            let p01 = self.lin(x, b[1], b[0]);
            let p23 = self.lin(x, b[3], b[2]);
            let p45 = self.lin(x, b[5], b[4]);
            let p03 = self.mul_add(p23, x2, p01);
            self.mul_add(p45, x4, p03)
        }
        #[inline(always)]
        fn bits(self, a: __m256d) -> __m256i {
            self.0.avx._mm256_castpd_si256(a)
        }
        #[inline(always)]
        fn float(self, a: __m256i) -> __m256d {
            self.0.avx._mm256_castsi256_pd(a)
        }
        #[inline(always)]
        fn load(self, x: &[f64]) -> __m256d {
            pulp::cast([x[0], x[1], x[2], x[3]])
        }

        /// [`ln_core`] on four lanes, operation for operation.
        #[inline(always)]
        fn ln_core(self, x: __m256d) -> (__m256d, __m256d) {
            self.ln_finish(self.ln_reduce(x))
        }

        /// The first half of [`ln_core`]: x = 2ᵉ·m, the table row, v = s + s_err.
        #[inline(always)]
        fn ln_reduce(self, x: __m256d) -> Reduced {
            let (avx, avx2) = (self.0.avx, self.0.avx2);
            let bits = self.bits(x);
            let tmp = avx2._mm256_add_epi64(bits, self.splat_u(SHIFT));
            let m_bits = avx2._mm256_add_epi64(
                avx2._mm256_sub_epi64(bits, avx2._mm256_and_si256(tmp, self.splat_u(EXP_MASK))),
                self.splat_u(ONE_BITS),
            );
            let m = self.float(m_bits);
            let e_bits =
                avx2._mm256_or_si256(avx2._mm256_srli_epi64::<52>(tmp), self.splat_u(TWO52_BITS));
            let e = self.sub(self.float(e_bits), self.splat(TWO52_PLUS_BIAS));
            let z = self.add(self.mul(m, self.splat(128.0)), self.splat(ROUND_MAGIC));
            let idx: [u64; 4] = pulp::cast(z);
            let row = |k: usize| -> __m256d { pulp::cast(ROWS.0[(idx[k] & 127) as usize]) };
            let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
            let t0 = avx._mm256_unpacklo_pd(r0, r1);
            let t1 = avx._mm256_unpackhi_pd(r0, r1);
            let t2 = avx._mm256_unpacklo_pd(r2, r3);
            let t3 = avx._mm256_unpackhi_pd(r2, r3);
            let r = avx._mm256_permute2f128_pd::<0x20>(t0, t2);
            let t_lo = avx._mm256_permute2f128_pd::<0x31>(t0, t2);
            let t_hi = avx._mm256_permute2f128_pd::<0x20>(t1, t3);

            let m_hi = self.float(avx2._mm256_and_si256(m_bits, self.splat_u(SPLIT_MASK)));
            let one = self.splat(1.0);
            let a = self.sub(self.mul(m_hi, r), one);
            let b = self.mul(self.sub(m, m_hi), r);
            let s = self.add(a, b);
            let s_err = self.add(self.sub(a, s), b);
            Reduced {
                e,
                t_hi,
                t_lo,
                s,
                s_err,
            }
        }

        /// The second half of [`ln_core`]: the series and the double-double sums.
        #[inline(always)]
        fn ln_finish(self, red: Reduced) -> (__m256d, __m256d) {
            let Reduced {
                e,
                t_hi,
                t_lo,
                s,
                s_err,
            } = red;
            let one = self.splat(1.0);
            let (sq, sq_lo) = self.two_prod(s, s);
            let poly = self.ln1p_tail(s, sq);
            let half = self.splat(0.5);
            let tail = self.add(
                self.sub(self.mul(self.mul(s, sq), poly), self.mul(half, sq_lo)),
                self.mul(s_err, self.sub(one, s)),
            );

            let (h1, l1) = self.fast_two_sum(self.mul(e, self.splat(LN2_HI)), t_hi);
            let (h2, l2) = self.fast_two_sum(h1, s);
            let (h3, l3) = self.fast_two_sum(h2, self.mul(self.splat(-0.5), sq));
            let lo = self.add(
                self.add(self.add(l1, l2), l3),
                self.add(self.add(t_lo, self.mul(e, self.splat(LN2_LO))), tail),
            );
            self.fast_two_sum(h3, lo)
        }
    }

    /// [`ln_core`] between its two halves.
    #[derive(Clone, Copy)]
    struct Reduced {
        e: __m256d,
        t_hi: __m256d,
        t_lo: __m256d,
        s: __m256d,
        s_err: __m256d,
    }

    /// Four lanes of [`NeumaierSum`].
    #[derive(Clone, Copy)]
    struct Acc {
        sum: __m256d,
        comp: __m256d,
    }

    impl Acc {
        #[inline(always)]
        fn zero(ops: Ops) -> Acc {
            Acc {
                sum: ops.splat(0.0),
                comp: ops.splat(0.0),
            }
        }

        /// [`NeumaierSum::add`], operation for operation.
        #[inline(always)]
        fn add(&mut self, ops: Ops, x: __m256d) {
            let t = ops.add(self.sum, x);
            let z = ops.sub(t, self.sum);
            let e = ops.add(ops.sub(self.sum, ops.sub(t, z)), ops.sub(x, z));
            self.comp = ops.add(self.comp, e);
            self.sum = t;
        }

        /// [`NeumaierSum::add_low`].
        #[inline(always)]
        fn add_low(&mut self, ops: Ops, x: __m256d) {
            self.comp = ops.add(self.comp, x);
        }

        fn store(self, out: &mut [NeumaierSum]) {
            let sum: [f64; 4] = pulp::cast(self.sum);
            let comp: [f64; 4] = pulp::cast(self.comp);
            for (k, o) in out.iter_mut().enumerate() {
                *o = NeumaierSum::from_parts(sum[k], comp[k]);
            }
        }

        fn load(from: &[NeumaierSum]) -> Acc {
            let (mut sum, mut comp) = ([0.0; 4], [0.0; 4]);
            for (k, part) in from.iter().take(4).enumerate() {
                (sum[k], comp[k]) = part.parts();
            }
            Acc {
                sum: pulp::cast(sum),
                comp: pulp::cast(comp),
            }
        }
    }

    /// Accumulators of four lanes: far (and CE) terms, near terms, and the
    /// support-mismatch flag.
    #[derive(Clone, Copy)]
    struct Quad {
        far: Acc,
        near: Acc,
        infinite: __m256d,
    }

    struct Run<'a> {
        ops: Ops,
        kernel: Kernel,
        p: &'a [f64],
        q: &'a [f64],
        parts: &'a mut Partials,
    }

    impl pulp::NullaryFnOnce for Run<'_> {
        type Output = usize;

        #[inline(always)]
        fn call(self) -> usize {
            let Run {
                ops,
                kernel,
                p,
                q,
                parts,
            } = self;
            match kernel {
                Kernel::Kl => blocks::<true>(ops, p, q, parts),
                Kernel::CrossEntropy => blocks::<false>(ops, p, q, parts),
            }
        }
    }

    /// Quads per chunk of the two-pass loop (128 elements; the buffer of
    /// pending terms, 36 KiB at most, stays in the L1 cache).
    const CHUNK_QUADS: usize = 32;

    /// A quad between the two passes: the weight a, the far-term mask and
    /// correction c, the near-term mask, and the reduced argument of ln.
    #[derive(Clone, Copy)]
    struct Pending {
        a: __m256d,
        c: __m256d,
        mask: __m256d,
        near: __m256d,
        red: Reduced,
    }

    /// The full blocks of eight, as two quads of lanes held in registers:
    /// KL if `KL`, else CE.
    ///
    /// Each chunk of 128 elements takes two passes, so that the out-of-order
    /// core overlaps many elements' long chains of dependent operations: the
    /// first computes the masks and the first half of every logarithm, the
    /// second finishes them and adds the terms, in the same order as the
    /// single pass (a chunk with an entry outside the tame range takes the
    /// single pass instead).
    #[inline(always)]
    fn blocks<const KL: bool>(ops: Ops, p: &[f64], q: &[f64], parts: &mut Partials) -> usize {
        let quad_fn = if KL { kl_quad } else { ce_quad };
        let zero = Quad {
            far: Acc::zero(ops),
            near: Acc::zero(ops),
            infinite: ops.splat(0.0),
        };
        let (mut lo, mut hi) = (zero, zero);
        let z = ops.splat(0.0);
        let empty = Pending {
            a: z,
            c: z,
            mask: z,
            near: z,
            red: Reduced {
                e: z,
                t_hi: z,
                t_lo: z,
                s: z,
                s_err: z,
            },
        };
        let mut pending = [empty; CHUNK_QUADS];
        let chunk = CHUNK_QUADS * 4;
        let full = p.len() / chunk * chunk;
        for (pc, qc) in p[..full]
            .chunks_exact(chunk)
            .zip(q[..full].chunks_exact(chunk))
        {
            let mut special = false;
            for (k, slot) in pending.iter_mut().enumerate() {
                let a = ops.load(&pc[4 * k..]);
                let b = ops.load(&qc[4 * k..]);
                let quad = if k % 2 == 0 { &mut lo } else { &mut hi };
                let (wild_lanes, slot_value) = if KL {
                    kl_prepare(ops, a, b, quad)
                } else {
                    ce_prepare(ops, a, b, quad)
                };
                special |= ops.any(wild_lanes);
                *slot = slot_value;
            }
            if special {
                for k in 0..CHUNK_QUADS {
                    let quad = if k % 2 == 0 { &mut lo } else { &mut hi };
                    let (a, b) = (ops.load(&pc[4 * k..]), ops.load(&qc[4 * k..]));
                    quad_fn(ops, a, b, quad, k % 2);
                }
                continue;
            }
            for (k, slot) in pending.iter().enumerate() {
                let quad = if k % 2 == 0 { &mut lo } else { &mut hi };
                if KL {
                    kl_finish(ops, slot, quad);
                    if ops.any(slot.near) {
                        let (a, b) = (ops.load(&pc[4 * k..]), ops.load(&qc[4 * k..]));
                        kl_near(ops, a, b, slot.near, quad);
                    }
                } else {
                    ce_finish(ops, slot, quad);
                }
            }
        }
        for (pb, qb) in p[full..]
            .chunks_exact(LANES)
            .zip(q[full..].chunks_exact(LANES))
        {
            quad_fn(ops, ops.load(&pb[..4]), ops.load(&qb[..4]), &mut lo, 0);
            quad_fn(ops, ops.load(&pb[4..]), ops.load(&qb[4..]), &mut hi, 1);
        }
        for (h, quad) in [lo, hi].iter().enumerate() {
            quad.far.store(&mut parts.far[4 * h..4 * h + 4]);
            quad.near.store(&mut parts.near[4 * h..4 * h + 4]);
            parts.infinite |= ops.any(quad.infinite);
        }
        p.len() / LANES * LANES
    }

    /// First pass of a KL quad: its special lanes, and its pending far terms.
    /// Records support mismatches in `quad.infinite` (an OR: harmless if the
    /// chunk is redone by the single pass).
    #[inline(always)]
    fn kl_prepare(ops: Ops, a: __m256d, b: __m256d, quad: &mut Quad) -> (__m256d, Pending) {
        let zero = ops.splat(0.0);
        let a_pos = ops.neq(a, zero);
        let b_zero = ops.eq(b, zero);
        let live = ops.andnot(b_zero, a_pos);
        let d = ops.sub(a, b);
        let abs_d = ops.abs(d);
        let tiny = ops.and(ops.lt(abs_d, ops.splat(TINY_DIFF)), ops.neq(d, zero));
        let special = ops.and(live, ops.or(ops.or(wild(ops, a), wild(ops, b)), tiny));
        quad.infinite = ops.or(quad.infinite, ops.and(a_pos, b_zero));
        let near = ops.and(live, ops.le(ops.mul(abs_d, ops.splat(32.0)), ops.add(a, b)));
        let far = ops.andnot(near, live);
        let r = ops.div(a, b);
        let rem = ops.0.fma._mm256_fnmadd_pd(r, b, a); // a − r·b, exact
        let c = ops.div(rem, a);
        let pending = Pending {
            a,
            c,
            mask: far,
            near,
            red: ops.ln_reduce(r),
        };
        (special, pending)
    }

    /// Second pass of a KL quad: the far terms.
    #[inline(always)]
    fn kl_finish(ops: Ops, t: &Pending, quad: &mut Quad) {
        let (hi, lo) = ops.ln_finish(t.red);
        let lo = ops.add(lo, t.c);
        let (ph, pl) = ops.two_prod(t.a, hi);
        quad.far.add(ops, ops.keep(t.mask, ph));
        quad.far
            .add_low(ops, ops.keep(t.mask, ops.add(pl, ops.mul(t.a, lo))));
    }

    /// First pass of a CE quad.
    #[inline(always)]
    fn ce_prepare(ops: Ops, a: __m256d, b: __m256d, quad: &mut Quad) -> (__m256d, Pending) {
        let zero = ops.splat(0.0);
        let a_pos = ops.neq(a, zero);
        let b_zero = ops.eq(b, zero);
        let live = ops.andnot(b_zero, a_pos);
        let special = ops.and(live, ops.or(wild(ops, a), wild(ops, b)));
        quad.infinite = ops.or(quad.infinite, ops.and(a_pos, b_zero));
        let pending = Pending {
            a,
            c: zero,
            mask: live,
            near: zero,
            red: ops.ln_reduce(b),
        };
        (special, pending)
    }

    /// Second pass of a CE quad.
    #[inline(always)]
    fn ce_finish(ops: Ops, t: &Pending, quad: &mut Quad) {
        let (hi, lo) = ops.ln_finish(t.red);
        let (ph, pl) = ops.two_prod(t.a, hi);
        quad.far.add(ops, ops.keep(t.mask, ops.neg(ph)));
        quad.far.add_low(
            ops,
            ops.keep(t.mask, ops.neg(ops.add(pl, ops.mul(t.a, lo)))),
        );
    }

    /// Runs the full blocks of eight on the AVX2 path, if the CPU has it;
    /// returns how many elements were done.
    pub(super) fn run(kernel: Kernel, p: &[f64], q: &[f64], parts: &mut Partials) -> usize {
        let Some(simd) = V3::try_new() else {
            return 0;
        };
        simd.vectorize(Run {
            ops: Ops(simd),
            kernel,
            p,
            q,
            parts,
        })
    }

    /// Hands four lanes to the portable per-lane code (rare: an entry outside
    /// the tame range). Lanes 4h..4h + 4 of the partial sums.
    #[cold]
    #[inline(never)]
    fn portable_quad(
        ops: Ops,
        a: __m256d,
        b: __m256d,
        quad: &mut Quad,
        h: usize,
        lane: fn(f64, f64, usize, &mut Partials),
    ) {
        let mut parts = Partials::default();
        quad.far.store(&mut parts.far[4 * h..4 * h + 4]);
        quad.near.store(&mut parts.near[4 * h..4 * h + 4]);
        let (a, b): ([f64; 4], [f64; 4]) = (pulp::cast(a), pulp::cast(b));
        for k in 0..4 {
            lane(a[k], b[k], 4 * h + k, &mut parts);
        }
        quad.far = Acc::load(&parts.far[4 * h..4 * h + 4]);
        quad.near = Acc::load(&parts.near[4 * h..4 * h + 4]);
        if parts.infinite {
            quad.infinite = ops.splat(f64::from_bits(u64::MAX));
        }
    }

    /// Lanes where `x` lies outside the tame range.
    #[inline(always)]
    fn wild(ops: Ops, x: __m256d) -> __m256d {
        let inside = ops.and(
            ops.le(ops.splat(TAME_MIN), x),
            ops.le(x, ops.splat(TAME_MAX)),
        );
        ops.andnot(inside, ops.eq(x, x))
    }

    #[inline(always)]
    fn kl_quad(ops: Ops, a: __m256d, b: __m256d, quad: &mut Quad, h: usize) {
        let zero = ops.splat(0.0);
        let a_pos = ops.neq(a, zero);
        let b_zero = ops.eq(b, zero);
        let live = ops.andnot(b_zero, a_pos);
        let d = ops.sub(a, b);
        let abs_d = ops.abs(d);
        let tiny = ops.and(ops.lt(abs_d, ops.splat(TINY_DIFF)), ops.neq(d, zero));
        let special = ops.and(live, ops.or(ops.or(wild(ops, a), wild(ops, b)), tiny));
        if ops.any(special) {
            portable_quad(ops, a, b, quad, h, kl_lane);
            return;
        }
        quad.infinite = ops.or(quad.infinite, ops.and(a_pos, b_zero));
        let sum = ops.add(a, b);
        let near = ops.and(live, ops.le(ops.mul(abs_d, ops.splat(32.0)), sum));
        let far = ops.andnot(near, live);
        if ops.any(far) {
            let r = ops.div(a, b);
            let rem = ops.0.fma._mm256_fnmadd_pd(r, b, a); // a − r·b, exact
            let c = ops.div(rem, a);
            let (hi, lo) = ops.ln_core(r);
            let lo = ops.add(lo, c);
            let (ph, pl) = ops.two_prod(a, hi);
            quad.far.add(ops, ops.keep(far, ph));
            quad.far
                .add_low(ops, ops.keep(far, ops.add(pl, ops.mul(a, lo))));
        }
        if ops.any(near) {
            kl_near(ops, a, b, near, quad);
        }
    }

    /// The near KL terms of the lanes in `near` ([`add_kl_near`]).
    #[inline(always)]
    fn kl_near(ops: Ops, a: __m256d, b: __m256d, near: __m256d, quad: &mut Quad) {
        let d = ops.sub(a, b);
        let (sh, sl) = ops.two_sum(a, b);
        let inv = ops.div(ops.splat(1.0), sh);
        let s = ops.mul(d, inv);
        let (qh, ql) = ops.two_prod(s, sh);
        let s_lo = ops.mul(ops.sub(ops.sub(ops.sub(d, qh), ql), ops.mul(s, sl)), inv);
        let (gh, gl) = ops.two_prod(d, s);
        let gl = ops.add(gl, ops.mul(d, s_lo));
        let poly = ops.atanh_tail(ops.mul(s, s));
        let c = ops.mul(ops.mul(s, ops.add(ops.splat(1.0), s)), poly);
        quad.near.add(ops, ops.keep(near, gh));
        quad.near
            .add(ops, ops.keep(near, ops.add(ops.mul(gh, c), gl)));
        quad.near.add(ops, ops.keep(near, d));
    }

    #[inline(always)]
    fn ce_quad(ops: Ops, a: __m256d, b: __m256d, quad: &mut Quad, h: usize) {
        let zero = ops.splat(0.0);
        let a_pos = ops.neq(a, zero);
        let b_zero = ops.eq(b, zero);
        let live = ops.andnot(b_zero, a_pos);
        let special = ops.and(live, ops.or(wild(ops, a), wild(ops, b)));
        if ops.any(special) {
            portable_quad(ops, a, b, quad, h, ce_lane);
            return;
        }
        quad.infinite = ops.or(quad.infinite, ops.and(a_pos, b_zero));
        let (hi, lo) = ops.ln_core(b);
        let (ph, pl) = ops.two_prod(a, hi);
        quad.far.add(ops, ops.keep(live, ops.neg(ph)));
        quad.far
            .add_low(ops, ops.keep(live, ops.neg(ops.add(pl, ops.mul(a, lo)))));
    }
}

#[cfg(test)]
mod tests {
    use super::super::kernels::{cross_entropy_sequential, entropy_sequential, kl_sequential};
    use super::*;
    use astro_float::{BigFloat, Consts, Radix, RoundingMode};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const P: usize = 320;
    const RM: RoundingMode = RoundingMode::ToEven;
    const U: f64 = f64::EPSILON / 2.0;

    fn to_f64(v: &BigFloat, cc: &mut Consts) -> f64 {
        if v.is_zero() {
            0.0
        } else {
            v.format(Radix::Dec, RM, cc).unwrap().parse().unwrap()
        }
    }

    /// Every path this CPU can run.
    fn paths() -> Vec<Path> {
        let mut paths = vec![Path::Portable];
        #[cfg(target_arch = "x86_64")]
        if pulp::x86::V3::try_new().is_some() {
            paths.push(Path::Avx2);
        }
        paths
    }

    fn dirichlet(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
        let w: Vec<f64> = (0..n).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
        let s: f64 = w.iter().sum();
        w.iter().map(|x| x / s).collect()
    }

    /// Inputs that exercise every branch: zeros in p and in q, entries below
    /// the tame range and subnormal ones, near pairs (down to p = q), far
    /// pairs, a tiny nonzero difference, and lengths that are not multiples
    /// of 8.
    fn mixed_inputs(rng: &mut ChaCha8Rng) -> Vec<(Vec<f64>, Vec<f64>)> {
        let mut cases = Vec::new();
        for n in [1, 3, 7, 8, 9, 15, 16, 17, 64, 100, 1001] {
            let p = dirichlet(rng, n);
            let mut q = dirichlet(rng, n);
            cases.push((p.clone(), q.clone()));
            for (k, x) in q.iter_mut().enumerate() {
                if k % 3 == 0 {
                    *x = p[k] * (1.0 + 1e-3 * (2.0 * rng.random::<f64>() - 1.0));
                }
            }
            cases.push((p.clone(), q.clone()));
            let special = [0.0, 5e-324, 1e-310, 1e-300, 2f64.powi(-900), 1e-200];
            let mut p2 = p.clone();
            let mut q2 = q.clone();
            for k in 0..n {
                match rng.random_range(0..8) {
                    0 => p2[k] = special[rng.random_range(0..special.len())],
                    1 => q2[k] = special[rng.random_range(0..special.len())],
                    2 => q2[k] = p2[k],
                    3 => {
                        p2[k] = 1e-140;
                        q2[k] = 1e-140 * (1.0 + f64::EPSILON);
                    }
                    _ => {}
                }
            }
            cases.push((p2, q2));
        }
        cases
    }

    #[test]
    fn every_path_gives_the_same_bits() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x1a9e5);
        for (p, q) in mixed_inputs(&mut rng) {
            let want = (
                kl_with(Path::Portable, &p, &q),
                cross_entropy_with(Path::Portable, &p, &q),
                cross_entropy_with(Path::Portable, &p, &p),
            );
            for path in paths() {
                let got = (
                    kl_with(path, &p, &q),
                    cross_entropy_with(path, &p, &q),
                    cross_entropy_with(path, &p, &p),
                );
                assert_eq!(
                    (got.0.to_bits(), got.1.to_bits(), got.2.to_bits()),
                    (want.0.to_bits(), want.1.to_bits(), want.2.to_bits()),
                    "{path:?}, n = {}: {got:?} vs {want:?}",
                    p.len()
                );
            }
        }
    }

    /// Against the sequential kernels: both carry every term to about 2⁻⁶⁸
    /// and sum with compensation, so they agree to 2u·|v| (two final
    /// roundings) plus 2⁻⁶⁵·Σ|terms| (term errors and O(n·u²) summation).
    #[test]
    fn lanes_agree_with_the_sequential_kernels() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x5e9);
        for (p, q) in mixed_inputs(&mut rng) {
            let abs_terms: f64 = p
                .iter()
                .zip(&q)
                .filter(|&(&a, &b)| a > 0.0 && b > 0.0)
                .map(|(&a, &b)| a * (a.ln() - b.ln()).abs() + (a - b).abs() + a * b.ln().abs())
                .sum();
            let pairs = [
                (kl_with(Path::detect(), &p, &q), kl_sequential(&p, &q)),
                (
                    cross_entropy_with(Path::detect(), &p, &q),
                    cross_entropy_sequential(&p, &q),
                ),
                (
                    cross_entropy_with(Path::detect(), &p, &p),
                    entropy_sequential(&p),
                ),
            ];
            for (got, want) in pairs {
                if want.is_infinite() {
                    assert_eq!(got, want);
                    continue;
                }
                let bound = 2.0 * U * want.abs() + 2f64.powi(-65) * abs_terms;
                assert!(
                    (got - want).abs() <= bound,
                    "n = {}: {got:e} vs {want:e}, bound {bound:e}",
                    p.len()
                );
            }
        }
    }

    /// The FastTwoSum steps of [`ln_core`] need, for every entry i ≠ 128,
    /// |t_hi| at least as large in binary exponent as the largest |v| over
    /// m ∈ [(i − ½)/128, (i + ½)/128] ∩ [1/√2, √2) (v = m·rᵢ − 1 is monotone
    /// in m, so its extremes are at the ends).
    #[test]
    fn fast_two_sum_preconditions_hold_for_every_table_entry() {
        let lo_m = f64::from_bits(OFF_BITS);
        let mut worst_v = 0f64;
        for (k, &(r, t_hi, _)) in TABLE.iter().enumerate() {
            let i = (k + 91) as f64;
            let (m0, m1) = (
                ((i - 0.5) / 128.0).max(lo_m),
                ((i + 0.5) / 128.0).min(2.0 * lo_m),
            );
            // m·r − 1 at the ends, with a margin of 2⁻⁵⁰ for the rounding here.
            let v = (m0 * r - 1.0).abs().max((m1 * r - 1.0).abs()) + 2f64.powi(-50);
            worst_v = worst_v.max(v);
            if k + 91 != 128 {
                assert!(
                    t_hi.abs().log2().floor() >= v.log2().floor(),
                    "i = {i}: |t| = {t_hi:e}, |v| up to {v:e}"
                );
            }
        }
        assert!(worst_v < 2f64.powi(-7), "|v| up to {worst_v:e}");
    }

    /// |hi + lo − ln x| / |ln x| against a 320-bit reference, over every
    /// binade and densely around 1. Bound, as for `ln_dd`: table and ln 2
    /// errors ≤ 2⁻¹⁰⁰; series truncation ≤ |v|¹²/12 ≤ 2⁻⁸⁷; the rounding of
    /// the cubic and higher terms ≤ u·|v|³/3·1.1 ≤ 2⁻⁷⁵ absolute, relative to
    /// |ln x| ≥ |v|/1.01 (i = 128) or ≥ 2⁻⁸ (otherwise); s_err·s² ≤ 2⁻⁷⁴;
    /// the low-order sum ≤ 6u·|lo|: 2⁻⁶⁸ covers them.
    #[test]
    fn ln_core_is_accurate_to_far_beyond_double_precision() {
        let mut cc = Consts::new().unwrap();
        let mut xs: Vec<f64> = vec![f64::MIN_POSITIVE, f64::MAX, 0.5, 2.0, 1.0];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let exp = (state % 2046) + 1;
            xs.push(f64::from_bits((exp << 52) | (state >> 12)));
            xs.push(
                1.0 + ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
                    * 2f64.powi(-((state % 40) as i32)),
            );
        }
        // Both ends of every table interval, where |v| is largest.
        for i in 91..=181 {
            for m in [(i as f64 - 0.5) / 128.0, (i as f64 + 0.5) / 128.0] {
                xs.extend([
                    m,
                    f64::from_bits(m.to_bits() - 1),
                    f64::from_bits(m.to_bits() + 1),
                ]);
            }
        }
        let mut worst = 0f64;
        for &x in &xs {
            let (hi, lo) = ln_core(x);
            let exact = BigFloat::from_f64(x, P).ln(P, RM, &mut cc);
            if exact.is_zero() {
                assert_eq!((hi, lo), (0.0, 0.0));
                continue;
            }
            assert!(
                lo.abs() <= hi.abs() * f64::EPSILON,
                "x = {x:e}: not normalized"
            );
            let got = BigFloat::from_f64(hi, P).add(&BigFloat::from_f64(lo, P), P, RM);
            let rel = to_f64(&got.sub(&exact, P, RM).div(&exact, P, RM).abs(), &mut cc);
            worst = worst.max(rel);
            assert!(rel <= 2f64.powi(-68), "x = {x:e}: relative error {rel:e}");
        }
        println!("ln_core worst relative error {worst:e}");
    }
}
