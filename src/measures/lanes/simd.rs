//! The lanes several at a time: AVX2 + FMA (four lanes per vector) and
//! AVX-512 (eight), through `pulp`'s safe, runtime-checked wrappers of the
//! intrinsics. The kernels are written once, generically over [`Lanes`];
//! every operation is the one the portable code in `lanes.rs` performs on each
//! lane, in the same order.

use super::softmax::POW2_BIAS;
use super::{
    ATANH_TAIL, EXP_MASK, LANES, ONE_BITS, Partials, ROUND_MAGIC, ROWS, SHIFT, SPLIT_MASK,
    SUM_LANES, TAME_MAX, TAME_MIN, TINY_DIFF, TWO52_BITS, TWO52_PLUS_BIAS, ce_lane, kl_lane,
};
use crate::measures::ln::{LN1P_TAIL, LN2_HI, LN2_LO};
use crate::numerics::NeumaierSum;
use pulp::x86::V3;
use pulp::x86::V4;
use std::arch::x86_64::__m256d;
use std::arch::x86_64::{__m512d, __mmask8};

pub(super) mod softmax;

/// Which kernel [`run_avx2`] or [`run_avx512`] evaluates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    Kl,
    CrossEntropy,
}

/// Runs the full blocks of eight with AVX2 + FMA, if the CPU has them;
/// returns how many elements were done.
pub(super) fn run_avx2(kernel: Kernel, p: &[f64], q: &[f64], parts: &mut Partials) -> usize {
    match V3::try_new() {
        Some(simd) => simd.vectorize(Run {
            ops: Avx2(simd),
            kernel,
            p,
            q,
            parts,
        }),
        None => 0,
    }
}

/// Runs the full blocks of eight with AVX-512 (F, DQ), if the CPU has them;
/// returns how many elements were done.
pub(super) fn run_avx512(kernel: Kernel, p: &[f64], q: &[f64], parts: &mut Partials) -> usize {
    match V4::try_new() {
        Some(simd) => simd.vectorize(Run {
            ops: Avx512(simd),
            kernel,
            p,
            q,
            parts,
        }),
        None => 0,
    }
}

/// Whether the CPU can run [`run_avx512`].
pub(super) fn has_avx512() -> bool {
    V4::try_new().is_some()
}

/// Whether the CPU can run [`run_avx2`].
pub(super) fn has_avx2() -> bool {
    V3::try_new().is_some()
}

/// A vector of lanes and the operations the kernels use. `M` is a mask with
/// one flag per lane.
trait Lanes: Copy {
    type V: Copy;
    type M: Copy;
    /// Lanes per vector.
    const WIDTH: usize;
    /// Vectors per block of [`LANES`].
    const PER_BLOCK: usize = LANES / Self::WIDTH;

    fn splat(self, x: f64) -> Self::V;
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    fn neg(self, a: Self::V) -> Self::V;
    fn abs(self, a: Self::V) -> Self::V;
    /// a·b − c with one rounding: the exact low part of a product.
    fn fmsub(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// c − a·b with one rounding: the exact remainder of a quotient.
    fn fnmadd(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// a·b + c with one rounding, as `f64::mul_add` on the portable path.
    fn fmadd(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `a` where `m` is set, +0 elsewhere.
    fn keep(self, m: Self::M, a: Self::V) -> Self::V;
    fn and(self, a: Self::M, b: Self::M) -> Self::M;
    fn or(self, a: Self::M, b: Self::M) -> Self::M;
    /// (not a) and b.
    fn andnot(self, a: Self::M, b: Self::M) -> Self::M;
    fn none(self) -> Self::M;
    fn le(self, a: Self::V, b: Self::V) -> Self::M;
    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    fn eq(self, a: Self::V, b: Self::V) -> Self::M;
    fn neq(self, a: Self::V, b: Self::V) -> Self::M;
    fn any(self, m: Self::M) -> bool;
    /// a where a > b, else b: the rule of the max instructions.
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// 2ʲ from v = 1.5·2⁵² + j, j an integer with |j| < 1023: v's bit
    /// pattern plus `POW2_BIAS`, shifted left by 52.
    fn pow2(self, v: Self::V) -> Self::V;
    /// y·2ᵏ correctly rounded, for y ∈ [0.7, 1.5], k an integer in
    /// [−1082, 0], t = 1.5·2⁵² + k: (y·2⁻⁵⁴⁰)·2^(k+540), an exact product then
    /// one rounding.
    #[inline(always)]
    fn scale_pow2(self, y: Self::V, t: Self::V, k: Self::V) -> Self::V {
        let _ = k;
        let pow = self.pow2(self.add(t, self.splat(super::softmax::PRE_SHIFT)));
        self.mul(self.mul(y, self.splat(super::softmax::TWO_M540)), pow)
    }
    /// The first [`Lanes::WIDTH`] values of `x`.
    fn load(self, x: &[f64]) -> Self::V;
    fn store(self, v: Self::V, out: &mut [f64]);
    /// The first half of [`super::ln_core`]: x = 2ᵉ·m, the table row,
    /// v = s + s_err.
    fn ln_reduce(self, x: Self::V) -> Reduced<Self::V>;

    #[inline(always)]
    fn two_prod(self, a: Self::V, b: Self::V) -> (Self::V, Self::V) {
        let p = self.mul(a, b);
        (p, self.fmsub(a, b, p))
    }
    #[inline(always)]
    fn two_sum(self, a: Self::V, b: Self::V) -> (Self::V, Self::V) {
        let s = self.add(a, b);
        let bb = self.sub(s, a);
        let lo = self.add(self.sub(a, self.sub(s, bb)), self.sub(b, bb));
        (s, lo)
    }
    #[inline(always)]
    fn fast_two_sum(self, a: Self::V, b: Self::V) -> (Self::V, Self::V) {
        let s = self.add(a, b);
        (s, self.sub(b, self.sub(s, a)))
    }
    /// c1·x + c0, fused.
    #[inline(always)]
    fn lin(self, x: Self::V, c1: f64, c0: f64) -> Self::V {
        self.fmadd(self.splat(c1), x, self.splat(c0))
    }
    /// a·x + b, fused.
    #[inline(always)]
    fn mul_add(self, a: Self::V, x: Self::V, b: Self::V) -> Self::V {
        self.fmadd(a, x, b)
    }
    /// [`super::ln1p_tail`], operation for operation.
    #[inline(always)]
    fn ln1p_tail(self, s: Self::V, s2: Self::V) -> Self::V {
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
    /// [`super::atanh_tail`], operation for operation.
    #[inline(always)]
    fn atanh_tail(self, x: Self::V) -> Self::V {
        let b = &ATANH_TAIL;
        let x2 = self.mul(x, x);
        let x4 = self.mul(x2, x2);
        let p01 = self.lin(x, b[1], b[0]);
        let p23 = self.lin(x, b[3], b[2]);
        let p45 = self.lin(x, b[5], b[4]);
        let p03 = self.mul_add(p23, x2, p01);
        self.mul_add(p45, x4, p03)
    }
    /// The second half of [`super::ln_core`]: the series and the double-double sums.
    #[inline(always)]
    fn ln_finish(self, red: Reduced<Self::V>) -> (Self::V, Self::V) {
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
        let cubic = self.fmadd(self.mul(s, sq), poly, self.mul(self.splat(-0.5), sq_lo));
        let tail = self.fmadd(s_err, self.sub(one, s), cubic);
        let (h1, l1) = self.fast_two_sum(self.mul(e, self.splat(LN2_HI)), t_hi);
        let (h2, l2) = self.fast_two_sum(h1, s);
        let (h3, l3) = self.fast_two_sum(h2, self.mul(self.splat(-0.5), sq));
        let lo = self.add(
            self.add(self.add(l1, l2), l3),
            self.add(self.fmadd(e, self.splat(LN2_LO), t_lo), tail),
        );
        self.fast_two_sum(h3, lo)
    }
}

/// [`super::ln_core`] between its two halves.
#[derive(Clone, Copy)]
struct Reduced<V> {
    e: V,
    t_hi: V,
    t_lo: V,
    s: V,
    s_err: V,
}

/// The reduction of [`super::ln_core`] on four lanes with AVX2, up to the
/// table rows (shared by both instruction sets).
#[inline(always)]
fn reduce4(simd: V3, x: __m256d) -> (__m256d, __m256d, [u64; 4]) {
    let (avx, avx2) = (simd.avx, simd.avx2);
    let splat_u = |v: u64| avx._mm256_set1_epi64x(v as i64);
    let bits = avx._mm256_castpd_si256(x);
    let tmp = avx2._mm256_add_epi64(bits, splat_u(SHIFT));
    let m_bits = avx2._mm256_add_epi64(
        avx2._mm256_sub_epi64(bits, avx2._mm256_and_si256(tmp, splat_u(EXP_MASK))),
        splat_u(ONE_BITS),
    );
    let e_bits = avx2._mm256_or_si256(avx2._mm256_srli_epi64::<52>(tmp), splat_u(TWO52_BITS));
    let e = avx._mm256_sub_pd(
        avx._mm256_castsi256_pd(e_bits),
        avx._mm256_set1_pd(TWO52_PLUS_BIAS),
    );
    let m = avx._mm256_castsi256_pd(m_bits);
    let z = avx._mm256_add_pd(
        avx._mm256_mul_pd(m, avx._mm256_set1_pd(128.0)),
        avx._mm256_set1_pd(ROUND_MAGIC),
    );
    (m, e, pulp::cast(z))
}

/// The rows (r, t_hi, t_lo) of four table indices, as three vectors.
#[inline(always)]
fn rows4(simd: V3, idx: &[u64]) -> (__m256d, __m256d, __m256d) {
    let avx = simd.avx;
    let row = |k: usize| -> __m256d { pulp::cast(ROWS.0[(idx[k] & 127) as usize]) };
    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
    let t0 = avx._mm256_unpacklo_pd(r0, r1);
    let t1 = avx._mm256_unpackhi_pd(r0, r1);
    let t2 = avx._mm256_unpacklo_pd(r2, r3);
    let t3 = avx._mm256_unpackhi_pd(r2, r3);
    (
        avx._mm256_permute2f128_pd::<0x20>(t0, t2),
        avx._mm256_permute2f128_pd::<0x20>(t1, t3),
        avx._mm256_permute2f128_pd::<0x31>(t0, t2),
    )
}

/// Four lanes with AVX2 + FMA.
#[derive(Clone, Copy)]
struct Avx2(V3);

impl Lanes for Avx2 {
    type V = __m256d;
    type M = __m256d;
    const WIDTH: usize = 4;

    #[inline(always)]
    fn splat(self, x: f64) -> __m256d {
        self.0.avx._mm256_set1_pd(x)
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
    #[inline(always)]
    fn fmsub(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        self.0.fma._mm256_fmsub_pd(a, b, c)
    }
    #[inline(always)]
    fn fnmadd(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        self.0.fma._mm256_fnmadd_pd(a, b, c)
    }
    #[inline(always)]
    fn fmadd(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        self.0.fma._mm256_fmadd_pd(a, b, c)
    }
    #[inline(always)]
    fn keep(self, m: __m256d, a: __m256d) -> __m256d {
        self.0.avx._mm256_and_pd(m, a)
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
    fn none(self) -> __m256d {
        self.splat(0.0)
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
    fn any(self, m: __m256d) -> bool {
        self.0.avx._mm256_movemask_pd(m) != 0
    }
    #[inline(always)]
    fn max(self, a: __m256d, b: __m256d) -> __m256d {
        self.0.avx._mm256_max_pd(a, b)
    }
    #[inline(always)]
    fn pow2(self, v: __m256d) -> __m256d {
        let (avx, avx2) = (self.0.avx, self.0.avx2);
        let bits = avx2._mm256_add_epi64(
            avx._mm256_castpd_si256(v),
            avx._mm256_set1_epi64x(POW2_BIAS as i64),
        );
        avx._mm256_castsi256_pd(avx2._mm256_slli_epi64::<52>(bits))
    }
    #[inline(always)]
    fn load(self, x: &[f64]) -> __m256d {
        pulp::cast([x[0], x[1], x[2], x[3]])
    }
    #[inline(always)]
    fn store(self, v: __m256d, out: &mut [f64]) {
        let v: [f64; 4] = pulp::cast(v);
        out[..4].copy_from_slice(&v);
    }
    #[inline(always)]
    fn ln_reduce(self, x: __m256d) -> Reduced<__m256d> {
        let (m, e, idx) = reduce4(self.0, x);
        let (r, t_hi, t_lo) = rows4(self.0, &idx);
        let m_hi = self.0.avx._mm256_castsi256_pd(self.0.avx2._mm256_and_si256(
            self.0.avx._mm256_castpd_si256(m),
            self.0.avx._mm256_set1_epi64x(SPLIT_MASK as i64),
        ));
        split_v(self, m, m_hi, r, e, t_hi, t_lo)
    }
}

/// v = m·r − 1 = s + s_err exactly (see [`super::ln_core`]).
#[inline(always)]
fn split_v<L: Lanes>(
    ops: L,
    m: L::V,
    m_hi: L::V,
    r: L::V,
    e: L::V,
    t_hi: L::V,
    t_lo: L::V,
) -> Reduced<L::V> {
    let a = ops.sub(ops.mul(m_hi, r), ops.splat(1.0));
    let b = ops.mul(ops.sub(m, m_hi), r);
    let s = ops.add(a, b);
    let s_err = ops.add(ops.sub(a, s), b);
    Reduced {
        e,
        t_hi,
        t_lo,
        s,
        s_err,
    }
}

/// Eight lanes with AVX-512 (F, DQ).
#[derive(Clone, Copy)]
struct Avx512(V4);

impl Lanes for Avx512 {
    type V = __m512d;
    type M = __mmask8;
    const WIDTH: usize = 8;

    #[inline(always)]
    fn splat(self, x: f64) -> __m512d {
        self.0.avx512f._mm512_set1_pd(x)
    }
    #[inline(always)]
    fn add(self, a: __m512d, b: __m512d) -> __m512d {
        self.0.avx512f._mm512_add_pd(a, b)
    }
    #[inline(always)]
    fn sub(self, a: __m512d, b: __m512d) -> __m512d {
        self.0.avx512f._mm512_sub_pd(a, b)
    }
    #[inline(always)]
    fn mul(self, a: __m512d, b: __m512d) -> __m512d {
        self.0.avx512f._mm512_mul_pd(a, b)
    }
    #[inline(always)]
    fn div(self, a: __m512d, b: __m512d) -> __m512d {
        self.0.avx512f._mm512_div_pd(a, b)
    }
    #[inline(always)]
    fn neg(self, a: __m512d) -> __m512d {
        self.0.avx512dq._mm512_xor_pd(a, self.splat(-0.0))
    }
    #[inline(always)]
    fn abs(self, a: __m512d) -> __m512d {
        self.0.avx512dq._mm512_andnot_pd(self.splat(-0.0), a)
    }
    #[inline(always)]
    fn fmsub(self, a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        self.0.avx512f._mm512_fmsub_pd(a, b, c)
    }
    #[inline(always)]
    fn fnmadd(self, a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        self.0.avx512f._mm512_fnmadd_pd(a, b, c)
    }
    #[inline(always)]
    fn fmadd(self, a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        self.0.avx512f._mm512_fmadd_pd(a, b, c)
    }
    #[inline(always)]
    fn keep(self, m: __mmask8, a: __m512d) -> __m512d {
        self.0.avx512f._mm512_maskz_mov_pd(m, a)
    }
    #[inline(always)]
    fn and(self, a: __mmask8, b: __mmask8) -> __mmask8 {
        a & b
    }
    #[inline(always)]
    fn or(self, a: __mmask8, b: __mmask8) -> __mmask8 {
        a | b
    }
    #[inline(always)]
    fn andnot(self, a: __mmask8, b: __mmask8) -> __mmask8 {
        !a & b
    }
    #[inline(always)]
    fn none(self) -> __mmask8 {
        0
    }
    #[inline(always)]
    fn le(self, a: __m512d, b: __m512d) -> __mmask8 {
        self.0.avx512f._mm512_cmp_pd_mask::<0x12>(a, b) // _CMP_LE_OQ
    }
    #[inline(always)]
    fn lt(self, a: __m512d, b: __m512d) -> __mmask8 {
        self.0.avx512f._mm512_cmp_pd_mask::<0x11>(a, b) // _CMP_LT_OQ
    }
    #[inline(always)]
    fn eq(self, a: __m512d, b: __m512d) -> __mmask8 {
        self.0.avx512f._mm512_cmp_pd_mask::<0x00>(a, b) // _CMP_EQ_OQ
    }
    #[inline(always)]
    fn neq(self, a: __m512d, b: __m512d) -> __mmask8 {
        self.0.avx512f._mm512_cmp_pd_mask::<0x04>(a, b) // _CMP_NEQ_UQ
    }
    #[inline(always)]
    fn any(self, m: __mmask8) -> bool {
        m != 0
    }
    #[inline(always)]
    fn max(self, a: __m512d, b: __m512d) -> __m512d {
        self.0.avx512f._mm512_max_pd(a, b)
    }
    /// One instruction: `vscalefpd` rounds y·2ᵏ once, as the default's
    /// exact product and rounded product do, so the bits are the same.
    #[inline(always)]
    fn scale_pow2(self, y: __m512d, t: __m512d, k: __m512d) -> __m512d {
        let _ = t;
        self.0.avx512f._mm512_scalef_pd(y, k)
    }
    #[inline(always)]
    fn pow2(self, v: __m512d) -> __m512d {
        let f = self.0.avx512f;
        let bits = f._mm512_add_epi64(
            f._mm512_castpd_si512(v),
            f._mm512_set1_epi64(POW2_BIAS as i64),
        );
        f._mm512_castsi512_pd(f._mm512_slli_epi64::<52>(bits))
    }
    #[inline(always)]
    fn load(self, x: &[f64]) -> __m512d {
        pulp::cast([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]])
    }
    #[inline(always)]
    fn store(self, v: __m512d, out: &mut [f64]) {
        let v: [f64; 8] = pulp::cast(v);
        out[..8].copy_from_slice(&v);
    }
    #[inline(always)]
    fn ln_reduce(self, x: __m512d) -> Reduced<__m512d> {
        let (f, v3) = (self.0.avx512f, *self.0);
        let splat_u = |v: u64| f._mm512_set1_epi64(v as i64);
        let bits = f._mm512_castpd_si512(x);
        let tmp = f._mm512_add_epi64(bits, splat_u(SHIFT));
        let m_bits = f._mm512_add_epi64(
            f._mm512_sub_epi64(bits, f._mm512_and_si512(tmp, splat_u(EXP_MASK))),
            splat_u(ONE_BITS),
        );
        let e_bits = f._mm512_or_si512(f._mm512_srli_epi64::<52>(tmp), splat_u(TWO52_BITS));
        let e = self.sub(f._mm512_castsi512_pd(e_bits), self.splat(TWO52_PLUS_BIAS));
        let m = f._mm512_castsi512_pd(m_bits);
        let z = self.add(self.mul(m, self.splat(128.0)), self.splat(ROUND_MAGIC));
        let idx: [u64; 8] = pulp::cast(z);
        let (r0, h0, l0) = rows4(v3, &idx[..4]);
        let (r1, h1, l1) = rows4(v3, &idx[4..]);
        let join =
            |lo: __m256d, hi: __m256d| f._mm512_insertf64x4::<1>(f._mm512_castpd256_pd512(lo), hi);
        let (r, t_hi, t_lo) = (join(r0, r1), join(h0, h1), join(l0, l1));
        let m_hi = f._mm512_castsi512_pd(f._mm512_and_si512(m_bits, splat_u(SPLIT_MASK)));
        split_v(self, m, m_hi, r, e, t_hi, t_lo)
    }
}

/// Lanes of [`NeumaierSum`].
#[derive(Clone, Copy)]
struct Acc<V> {
    sum: V,
    comp: V,
}

impl<V: Copy> Acc<V> {
    #[inline(always)]
    fn zero<L: Lanes<V = V>>(ops: L) -> Self {
        Acc {
            sum: ops.splat(0.0),
            comp: ops.splat(0.0),
        }
    }

    /// [`NeumaierSum::add`], operation for operation.
    #[inline(always)]
    fn add<L: Lanes<V = V>>(&mut self, ops: L, x: V) {
        let t = ops.add(self.sum, x);
        let z = ops.sub(t, self.sum);
        let e = ops.add(ops.sub(self.sum, ops.sub(t, z)), ops.sub(x, z));
        self.comp = ops.add(self.comp, e);
        self.sum = t;
    }

    /// [`NeumaierSum::add_low`].
    #[inline(always)]
    fn add_low<L: Lanes<V = V>>(&mut self, ops: L, x: V) {
        self.comp = ops.add(self.comp, x);
    }

    fn store<L: Lanes<V = V>>(self, ops: L, out: &mut [NeumaierSum]) {
        let (mut sum, mut comp) = ([0.0; LANES], [0.0; LANES]);
        ops.store(self.sum, &mut sum);
        ops.store(self.comp, &mut comp);
        for (k, o) in out.iter_mut().take(L::WIDTH).enumerate() {
            *o = NeumaierSum::from_parts(sum[k], comp[k]);
        }
    }

    fn load<L: Lanes<V = V>>(ops: L, from: &[NeumaierSum]) -> Self {
        let (mut sum, mut comp) = ([0.0; LANES], [0.0; LANES]);
        for (k, part) in from.iter().take(L::WIDTH).enumerate() {
            (sum[k], comp[k]) = part.parts();
        }
        Acc {
            sum: ops.load(&sum),
            comp: ops.load(&comp),
        }
    }
}

/// The accumulators of one vector of lanes: far (and CE) terms, near terms,
/// and the support-mismatch flags.
#[derive(Clone, Copy)]
struct Quad<V, M> {
    far: Acc<V>,
    near: Acc<V>,
    infinite: M,
}

/// A vector of terms between the two passes: the weight a, the far-term
/// mask and correction c (the remainder of a/b), the near-term mask, and the
/// reduced argument of ln.
#[derive(Clone, Copy)]
struct Pending<V, M> {
    a: V,
    c: V,
    mask: M,
    near: M,
    red: Reduced<V>,
}

struct Run<'a, L> {
    ops: L,
    kernel: Kernel,
    p: &'a [f64],
    q: &'a [f64],
    parts: &'a mut Partials,
}

impl<L: Lanes> pulp::NullaryFnOnce for Run<'_, L> {
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
            Kernel::Kl => blocks::<L, true>(ops, p, q, parts),
            Kernel::CrossEntropy => blocks::<L, false>(ops, p, q, parts),
        }
    }
}

/// Elements per chunk of the two-pass loop (its buffer of pending terms,
/// 36 KiB at most, stays in the L1 cache).
const CHUNK: usize = 128;

/// The full blocks of eight: KL if `KL`, else CE.
///
/// Each chunk of 128 elements takes two passes, so that the out-of-order core
/// overlaps many elements' long chains of dependent operations: the first
/// computes the masks and the first half of every logarithm, the second
/// finishes them and adds the terms, in the same order as the single pass (a
/// chunk with an entry outside the tame range takes the single pass instead).
#[inline(always)]
fn blocks<L: Lanes, const KL: bool>(ops: L, p: &[f64], q: &[f64], parts: &mut Partials) -> usize {
    let z = ops.splat(0.0);
    let zero = Quad {
        far: Acc::zero(ops),
        near: Acc::zero(ops),
        infinite: ops.none(),
    };
    // Only the first L::PER_BLOCK are used.
    let mut quads = [zero; 2];
    let empty = Pending {
        a: z,
        c: z,
        mask: ops.none(),
        near: ops.none(),
        red: Reduced {
            e: z,
            t_hi: z,
            t_lo: z,
            s: z,
            s_err: z,
        },
    };
    let vectors = CHUNK / L::WIDTH;
    let mut pending = [empty; CHUNK / 4];
    let full = p.len() / CHUNK * CHUNK;
    for (pc, qc) in p[..full]
        .chunks_exact(CHUNK)
        .zip(q[..full].chunks_exact(CHUNK))
    {
        let mut special = false;
        for (b, slots) in pending[..vectors]
            .chunks_exact_mut(L::PER_BLOCK)
            .enumerate()
        {
            for (h, slot) in slots.iter_mut().enumerate() {
                let at = LANES * b + L::WIDTH * h;
                let (a, bq) = (ops.load(&pc[at..]), ops.load(&qc[at..]));
                let (wild_lanes, value) = if KL {
                    kl_prepare(ops, a, bq, &mut quads[h])
                } else {
                    ce_prepare(ops, a, bq, &mut quads[h])
                };
                special |= ops.any(wild_lanes);
                *slot = value;
            }
        }
        if special {
            for (pb, qb) in pc.chunks_exact(LANES).zip(qc.chunks_exact(LANES)) {
                single_block::<L, KL>(ops, pb, qb, &mut quads);
            }
            continue;
        }
        for (b, slots) in pending[..vectors].chunks_exact(L::PER_BLOCK).enumerate() {
            for (h, slot) in slots.iter().enumerate() {
                if KL {
                    kl_finish(ops, slot, &mut quads[h]);
                    if ops.any(slot.near) {
                        let at = LANES * b + L::WIDTH * h;
                        let (a, bq) = (ops.load(&pc[at..]), ops.load(&qc[at..]));
                        kl_near(ops, a, bq, slot.near, &mut quads[h]);
                    }
                } else {
                    ce_finish(ops, slot, &mut quads[h]);
                }
            }
        }
    }
    for (pb, qb) in p[full..]
        .chunks_exact(LANES)
        .zip(q[full..].chunks_exact(LANES))
    {
        single_block::<L, KL>(ops, pb, qb, &mut quads);
    }
    for (h, quad) in quads.iter().take(L::PER_BLOCK).enumerate() {
        let lanes = L::WIDTH * h..L::WIDTH * (h + 1);
        quad.far.store(ops, &mut parts.far[lanes.clone()]);
        quad.near.store(ops, &mut parts.near[lanes]);
        parts.infinite |= ops.any(quad.infinite);
    }
    p.len() / LANES * LANES
}

/// One block of eight in a single pass.
#[inline(always)]
fn single_block<L: Lanes, const KL: bool>(
    ops: L,
    pb: &[f64],
    qb: &[f64],
    quads: &mut [Quad<L::V, L::M>; 2],
) {
    for (h, quad) in quads.iter_mut().take(L::PER_BLOCK).enumerate() {
        let at = L::WIDTH * h;
        let (a, b) = (ops.load(&pb[at..]), ops.load(&qb[at..]));
        if KL {
            kl_single(ops, a, b, quad, at);
        } else {
            ce_single(ops, a, b, quad, at);
        }
    }
}

/// Hands one vector of lanes (lanes `first..first + WIDTH`) to the portable
/// per-lane code: rare, an entry outside the tame range.
#[cold]
#[inline(never)]
fn portable<L: Lanes>(
    ops: L,
    a: L::V,
    b: L::V,
    quad: &mut Quad<L::V, L::M>,
    first: usize,
    lane: fn(f64, f64, usize, &mut Partials),
) {
    let mut parts = Partials::default();
    let lanes = first..first + L::WIDTH;
    quad.far.store(ops, &mut parts.far[lanes.clone()]);
    quad.near.store(ops, &mut parts.near[lanes.clone()]);
    let (mut av, mut bv) = ([0.0; LANES], [0.0; LANES]);
    ops.store(a, &mut av);
    ops.store(b, &mut bv);
    for k in 0..L::WIDTH {
        lane(av[k], bv[k], first + k, &mut parts);
    }
    quad.far = Acc::load(ops, &parts.far[lanes.clone()]);
    quad.near = Acc::load(ops, &parts.near[lanes]);
    if parts.infinite {
        let one = ops.splat(1.0);
        quad.infinite = ops.eq(one, one);
    }
}

/// Lanes where `x` lies outside the tame range (NaN excluded).
#[inline(always)]
fn wild<L: Lanes>(ops: L, x: L::V) -> L::M {
    let inside = ops.and(
        ops.le(ops.splat(TAME_MIN), x),
        ops.le(x, ops.splat(TAME_MAX)),
    );
    ops.andnot(inside, ops.eq(x, x))
}

/// Masks of a KL vector: (special, infinite, near, far).
#[inline(always)]
fn kl_masks<L: Lanes>(ops: L, a: L::V, b: L::V) -> (L::M, L::M, L::M, L::M) {
    let zero = ops.splat(0.0);
    let a_pos = ops.neq(a, zero);
    let b_zero = ops.eq(b, zero);
    let live = ops.andnot(b_zero, a_pos);
    let d = ops.sub(a, b);
    let abs_d = ops.abs(d);
    let tiny = ops.and(ops.lt(abs_d, ops.splat(TINY_DIFF)), ops.neq(d, zero));
    let special = ops.and(live, ops.or(ops.or(wild(ops, a), wild(ops, b)), tiny));
    let near = ops.and(live, ops.le(ops.mul(abs_d, ops.splat(32.0)), ops.add(a, b)));
    let far = ops.andnot(near, live);
    (special, ops.and(a_pos, b_zero), near, far)
}

/// A KL vector in a single pass.
#[inline(always)]
fn kl_single<L: Lanes>(ops: L, a: L::V, b: L::V, quad: &mut Quad<L::V, L::M>, first: usize) {
    let (special, infinite, near, far) = kl_masks(ops, a, b);
    if ops.any(special) {
        portable(ops, a, b, quad, first, kl_lane);
        return;
    }
    quad.infinite = ops.or(quad.infinite, infinite);
    if ops.any(far) {
        let (_, pending) = kl_prepare(ops, a, b, quad);
        kl_finish(ops, &pending, quad);
    }
    if ops.any(near) {
        kl_near(ops, a, b, near, quad);
    }
}

/// First pass of a KL vector: its special lanes, and its pending far terms.
/// Records support mismatches in `quad.infinite` (an OR: harmless if the
/// chunk is redone by the single pass).
#[inline(always)]
fn kl_prepare<L: Lanes>(
    ops: L,
    a: L::V,
    b: L::V,
    quad: &mut Quad<L::V, L::M>,
) -> (L::M, Pending<L::V, L::M>) {
    let (special, infinite, near, far) = kl_masks(ops, a, b);
    quad.infinite = ops.or(quad.infinite, infinite);
    let r = ops.div(a, b);
    let rem = ops.fnmadd(r, b, a); // a − r·b, exact
    let pending = Pending {
        a,
        c: rem,
        mask: far,
        near,
        red: ops.ln_reduce(r),
    };
    (special, pending)
}

/// Second pass of a KL vector: the far terms ([`super::add_kl_far`]).
#[inline(always)]
fn kl_finish<L: Lanes>(ops: L, t: &Pending<L::V, L::M>, quad: &mut Quad<L::V, L::M>) {
    let (hi, lo) = ops.ln_finish(t.red);
    let (ph, pl) = ops.two_prod(t.a, hi);
    quad.far.add(ops, ops.keep(t.mask, ph));
    let low = ops.add(ops.fmadd(t.a, lo, pl), t.c);
    quad.far.add_low(ops, ops.keep(t.mask, low));
}

/// The near KL terms of the lanes in `near` ([`super::add_kl_near`]).
#[inline(always)]
fn kl_near<L: Lanes>(ops: L, a: L::V, b: L::V, near: L::M, quad: &mut Quad<L::V, L::M>) {
    let d = ops.sub(a, b);
    let (sh, sl) = ops.two_sum(a, b);
    let inv = ops.div(ops.splat(1.0), sh);
    let s = ops.mul(d, inv);
    let (qh, ql) = ops.two_prod(s, sh);
    let s_lo = ops.mul(ops.fnmadd(s, sl, ops.sub(ops.sub(d, qh), ql)), inv);
    let (gh, gl) = ops.two_prod(d, s);
    let gl = ops.fmadd(d, s_lo, gl);
    let poly = ops.atanh_tail(ops.mul(s, s));
    let c = ops.mul(ops.fmadd(s, s, s), poly);
    quad.near.add(ops, ops.keep(near, gh));
    quad.near.add(ops, ops.keep(near, ops.fmadd(gh, c, gl)));
    quad.near.add(ops, ops.keep(near, d));
}

/// Masks of a CE vector: (special, infinite, live).
#[inline(always)]
fn ce_masks<L: Lanes>(ops: L, a: L::V, b: L::V) -> (L::M, L::M, L::M) {
    let zero = ops.splat(0.0);
    let a_pos = ops.neq(a, zero);
    let b_zero = ops.eq(b, zero);
    let live = ops.andnot(b_zero, a_pos);
    let special = ops.and(live, ops.or(wild(ops, a), wild(ops, b)));
    (special, ops.and(a_pos, b_zero), live)
}

/// A CE vector in a single pass.
#[inline(always)]
fn ce_single<L: Lanes>(ops: L, a: L::V, b: L::V, quad: &mut Quad<L::V, L::M>, first: usize) {
    let (special, _, _) = ce_masks(ops, a, b);
    if ops.any(special) {
        portable(ops, a, b, quad, first, ce_lane);
        return;
    }
    let (_, pending) = ce_prepare(ops, a, b, quad);
    ce_finish(ops, &pending, quad);
}

/// First pass of a CE vector.
#[inline(always)]
fn ce_prepare<L: Lanes>(
    ops: L,
    a: L::V,
    b: L::V,
    quad: &mut Quad<L::V, L::M>,
) -> (L::M, Pending<L::V, L::M>) {
    let (special, infinite, live) = ce_masks(ops, a, b);
    quad.infinite = ops.or(quad.infinite, infinite);
    let z = ops.splat(0.0);
    let pending = Pending {
        a,
        c: z,
        mask: live,
        near: ops.none(),
        red: ops.ln_reduce(b),
    };
    (special, pending)
}

/// Second pass of a CE vector ([`super::add_neg_a_ln_b`]).
#[inline(always)]
fn ce_finish<L: Lanes>(ops: L, t: &Pending<L::V, L::M>, quad: &mut Quad<L::V, L::M>) {
    let (hi, lo) = ops.ln_finish(t.red);
    let (ph, pl) = ops.two_prod(t.a, hi);
    quad.far.add(ops, ops.keep(t.mask, ops.neg(ph)));
    quad.far
        .add_low(ops, ops.keep(t.mask, ops.neg(ops.fmadd(t.a, lo, pl))));
}

/// The partial sums of [`super::checked_sum`] with AVX2 + FMA, if the CPU
/// has them: `Some(elements done)` (full blocks of [`SUM_LANES`]), or `None`
/// if an entry is NaN, infinite or negative (or the CPU lacks AVX2).
pub(super) fn partial_sums_avx2(p: &[f64], out: &mut [f64; SUM_LANES]) -> Option<usize> {
    let simd = V3::try_new()?;
    simd.vectorize(SumRun {
        ops: Avx2(simd),
        p,
        out,
    })
}

/// As [`partial_sums_avx2`], with AVX-512.
pub(super) fn partial_sums_avx512(p: &[f64], out: &mut [f64; SUM_LANES]) -> Option<usize> {
    let simd = V4::try_new()?;
    simd.vectorize(SumRun {
        ops: Avx512(simd),
        p,
        out,
    })
}

struct SumRun<'a, L> {
    ops: L,
    p: &'a [f64],
    out: &'a mut [f64; SUM_LANES],
}

impl<L: Lanes> pulp::NullaryFnOnce for SumRun<'_, L> {
    type Output = Option<usize>;

    /// Partial sum j adds the entries j, j + 32, j + 64, … in order, as the
    /// portable loop does; an entry fails unless 0 ≤ x ≤ MAX.
    #[inline(always)]
    fn call(self) -> Option<usize> {
        let SumRun { ops, p, out } = self;
        let (zero, max) = (ops.splat(0.0), ops.splat(f64::MAX));
        let all = ops.eq(zero, zero);
        let mut sums = [zero; SUM_LANES / 4];
        let mut ok = all;
        let per = SUM_LANES / L::WIDTH;
        for block in p.chunks_exact(SUM_LANES) {
            for (h, sum) in sums.iter_mut().take(per).enumerate() {
                let x = ops.load(&block[L::WIDTH * h..]);
                ok = ops.and(ok, ops.and(ops.le(zero, x), ops.le(x, max)));
                *sum = ops.add(*sum, x);
            }
        }
        if ops.any(ops.andnot(ok, all)) {
            return None;
        }
        for (h, sum) in sums.iter().take(per).enumerate() {
            ops.store(*sum, &mut out[L::WIDTH * h..]);
        }
        Some(p.len() / SUM_LANES * SUM_LANES)
    }
}
