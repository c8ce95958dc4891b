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
//! once: the portable path (plain Rust, any CPU), the AVX2 + FMA path (four
//! lanes per vector) and the AVX-512 path (eight lanes) give
//! **bit-identical** results (tested in this module on every path the CPU
//! has; `LOGLOSS_PROOFS_SIMD=off` or `=avx2` caps the path, to check it from
//! outside). Vector code adds +0 for masked lanes where the portable code
//! adds nothing, which can only change the sign of a zero: a zero result is
//! returned as +0.
//!
//! Fused multiply-adds are correctly rounded, so the vector paths' FMA
//! instructions and the portable path's `fused` (`f64::mul_add` where the
//! CPU has FMA hardware; elsewhere an exact emulation in plain arithmetic,
//! Boldo and Melquiond's with rounding to odd, rather than the C library's
//! software fma in the hot loop) give the same bits; polynomials and the remainder a − r·b of a
//! correctly rounded quotient use them. The low part of a product
//! (TwoProduct) is an FMA in the vector paths and Dekker's FMA-free split in
//! the portable one: equal, since both are exact while the low part stays in
//! the normal range; entries outside [2⁻⁹⁰⁰, 4] (which a probability vector
//! reaches only with entries below 10⁻²⁷⁰) are therefore handed, per lane, to
//! the sequential double-double code of `kernels.rs` in both paths, which
//! keeps the lanes' results identical.
//!
//! Inputs longer than [`BLOCK`] are cut into blocks that run on rayon's pool;
//! each block has its own lanes, merged lane by lane in block order, so the
//! result does not depend on the number of threads either.
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
//! - Far terms: one logarithm instead of two, and one division. r = fl(pᵢ/qᵢ)
//!   and the exact remainder e = pᵢ − r·qᵢ give pᵢ/qᵢ = r·(1 + e/(r·qᵢ)), so
//!   pᵢ ln(pᵢ/qᵢ) = pᵢ ln r + e + δ with |δ| ≤ 1.5u²·pᵢ (u = 2⁻⁵³); ln r in
//!   double-double; there |ln(pᵢ/qᵢ)| > ln(33/31) > 1/16, so δ is below
//!   24u² of the term.
//!
//! Every term is therefore carried to about 2⁻⁶⁸ relative before the
//! compensated sum, as in the sequential kernels; the bound on the result,
//! 2u·|KL| + O(n u²)·Σ|terms|, is the same.

use super::kernels::{add_a_ln_b, add_kl_term};
use super::ln::{LN1P_TAIL, LN2_HI, LN2_LO, TABLE};
use crate::numerics::NeumaierSum;
use crate::numerics::dd::{fast_two_sum, fused, two_prod, two_sum};
use rayon::prelude::*;

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
/// The first six of the sequential kernel's coefficients.
const ATANH_TAIL: [f64; 6] = {
    let all = &super::kernels::ATANH_TAIL;
    [all[0], all[1], all[2], all[3], all[4], all[5]]
};

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
/// dependent operations is 5 long instead of Horner's 8. Fused multiply-adds.
#[inline(always)]
fn ln1p_tail(s: f64, s2: f64) -> f64 {
    let c = &LN1P_TAIL;
    let s4 = s2 * s2;
    let s8 = s4 * s4;
    let p01 = fused(c[1], s, c[0]);
    let p23 = fused(c[3], s, c[2]);
    let p45 = fused(c[5], s, c[4]);
    let p67 = fused(c[7], s, c[6]);
    let p03 = fused(p23, s2, p01);
    let p47 = fused(p67, s2, p45);
    let p07 = fused(p47, s4, p03);
    fused(c[8], s8, p07)
}

/// B(x) = Σₖ bₖ·xᵏ, k = 0..=5 (b = `ATANH_TAIL`), by Estrin's scheme. Fused
/// multiply-adds.
#[inline(always)]
fn atanh_tail(x: f64) -> f64 {
    let b = &ATANH_TAIL;
    let x2 = x * x;
    let x4 = x2 * x2;
    let p01 = fused(b[1], x, b[0]);
    let p23 = fused(b[3], x, b[2]);
    let p45 = fused(b[5], x, b[4]);
    let p03 = fused(p23, x2, p01);
    fused(p45, x4, p03)
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
    let cubic = fused(s * sq, poly, -0.5 * sq_lo);
    let tail = fused(s_err, 1.0 - s, cubic);

    // FastTwoSum is exact here: e·LN2_HI is 0 or above 0.69 > |t_hi|; t_hi is
    // 0 (i = 128) or not below |s| in binary exponent (checked per entry in the
    // tests); |s²/2| is far below |t_hi + s| or |s|.
    let (h1, l1) = fast_two_sum(e * LN2_HI, t_hi);
    let (h2, l2) = fast_two_sum(h1, s);
    let (h3, l3) = fast_two_sum(h2, -0.5 * sq);
    let lo = ((l1 + l2) + l3) + (fused(e, LN2_LO, t_lo) + tail);
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
    acc.add_low(-fused(a, l, pl));
}

/// A far KL term a·ln(a/b) (tame a, b with |a − b| > (a + b)/32), from one
/// logarithm of the rounded ratio and the exact remainder.
///
/// With r = fl(a/b) and rem = a − r·b (exact), a/b = r·(1 + y) with
/// y = rem/(r·b), so a·ln(a/b) = a·ln r + a·ln(1 + y), and
/// a·ln(1 + y) = rem·a/(r·b) − a·y²/2 + … = rem + δ with |δ| ≤ 1.5u²·a
/// (|y| ≤ u and a = r·b + rem): the remainder itself is the correction.
#[inline(always)]
fn add_kl_far(a: f64, b: f64, acc: &mut NeumaierSum) {
    let r = a / b;
    let (rh, rl) = two_prod(r, b);
    let rem = (a - rh) - rl; // a − r·b, exact for a correctly rounded r
    let (h, l) = ln_core(r);
    let (ph, pl) = two_prod(a, h);
    acc.add(ph);
    acc.add_low(fused(a, l, pl) + rem);
}

/// A near KL term, g + d with g = d·s·[1 + s(1 + s)·B(s²)], s = d/(a + b)
/// (see `kernels::add_near_gap`, here with |s| ≤ 1/32).
#[inline(always)]
fn add_kl_near(a: f64, b: f64, d: f64, acc: &mut NeumaierSum) {
    let (sh, sl) = two_sum(a, b);
    let inv = 1.0 / sh;
    let s = d * inv;
    let (qh, ql) = two_prod(s, sh);
    let s_lo = fused(-s, sl, (d - qh) - ql) * inv;
    let (gh, gl) = two_prod(d, s);
    let gl = fused(d, s_lo, gl);
    let poly = atanh_tail(s * s);
    let c = fused(s, s, s) * poly;
    acc.add(gh);
    acc.add(fused(gh, c, gl));
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
    /// Merges the lanes of a later block into these, lane by lane.
    fn merge(&mut self, other: &Partials) {
        for (mine, theirs) in self.far.iter_mut().zip(&other.far) {
            mine.merge(*theirs);
        }
        for (mine, theirs) in self.near.iter_mut().zip(&other.near) {
            mine.merge(*theirs);
        }
        self.infinite |= other.infinite;
    }

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

#[cfg(target_arch = "x86_64")]
mod simd;
pub(crate) mod softmax;

/// Which implementation runs the lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// Plain Rust, one lane after another.
    Portable,
    /// AVX2 + FMA, four lanes at a time (x86-64 only, detected at run time).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512 (F, DQ), eight lanes at a time (x86-64 only, detected at
    /// run time).
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Path {
    /// The fastest path this CPU supports, capped by the environment variable
    /// `LOGLOSS_PROOFS_SIMD`: `off` (or `0`) forces the portable path, `avx2`
    /// at most AVX2. Read once per process.
    pub(crate) fn detect() -> Path {
        static CAP: std::sync::OnceLock<u8> = std::sync::OnceLock::new();
        let cap = *CAP.get_or_init(|| match std::env::var("LOGLOSS_PROOFS_SIMD").as_deref() {
            Ok("off") | Ok("0") => 0,
            Ok("avx2") => 1,
            _ => 2,
        });
        #[cfg(target_arch = "x86_64")]
        if cap >= 2 && simd::has_avx512() {
            return Path::Avx512;
        }
        #[cfg(target_arch = "x86_64")]
        {
            if cap >= 1 && simd::has_avx2() {
                return Path::Avx2;
            }
        }
        let _ = cap;
        Path::Portable
    }

    /// Every path this CPU can run, the portable one first.
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Path> {
        #[allow(unused_mut)]
        let mut paths = vec![Path::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if simd::has_avx2() {
                paths.push(Path::Avx2);
            }
            if simd::has_avx512() {
                paths.push(Path::Avx512);
            }
        }
        paths
    }

    /// Runs the full blocks of eight on this path; returns how many elements
    /// were done (the rest go through the portable per-lane code).
    fn run(self, kl: bool, p: &[f64], q: &[f64], parts: &mut Partials) -> usize {
        #[cfg(target_arch = "x86_64")]
        let kernel = if kl {
            simd::Kernel::Kl
        } else {
            simd::Kernel::CrossEntropy
        };
        match self {
            Path::Portable => {
                let _ = (kl, p, q, parts);
                0
            }
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => simd::run_avx2(kernel, p, q, parts),
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => simd::run_avx512(kernel, p, q, parts),
        }
    }
}

/// The name of the path the kernels take on this CPU: `"avx512"`, `"avx2"`
/// or `"portable"`.
pub(crate) fn path_name() -> &'static str {
    match Path::detect() {
        Path::Portable => "portable",
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => "avx2",
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => "avx512",
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

/// Partial sums of the validation pass: entry i goes to partial sum i mod 32.
pub(crate) const SUM_LANES: usize = 32;

/// The sum of `p` as [`super::validate`]'s pre-check takes it: plain
/// partial sums, entry i added to partial sum i mod [`SUM_LANES`] in
/// increasing i (over [`BLOCK`]s, in block order), the 32 partial sums then
/// merged in order by [`NeumaierSum`], then the last `len mod 32` entries
/// added to it. `None` if an entry is NaN, infinite or negative (−0.0
/// passes). Bit-identical on every path and at any thread count, like the
/// kernels.
///
/// Error, for non-negative entries with exact sum S: each partial sum adds at
/// most m = ⌈n/32⌉ terms, and any order of adding m non-negative terms errs
/// by at most γ₍ₘ₋₁₎ times their sum (γₖ = k·u/(1 − k·u), u = 2⁻⁵³); the
/// compensated sum of the 32 partial sums and the at most 31 last entries
/// adds at most 2u·S + 2·64·u²·S. So
/// |result − S| ≤ (m + 2)·u·S·(1 + 2⁻²⁰) for n < 2³⁷, where (m − 1)·u < 2⁻²¹
/// ([`checked_sum_error`]).
pub(crate) fn checked_sum(p: &[f64]) -> Option<f64> {
    checked_sum_with(Path::detect(), p)
}

/// The bound of [`checked_sum`]'s error for `n` entries, relative to the
/// exact sum: (⌈n/32⌉ + 2)·u·(1 + 2⁻²⁰).
pub(crate) fn checked_sum_error(n: usize) -> f64 {
    use crate::numerics::U;
    (n.div_ceil(SUM_LANES) as f64 + 2.0) * U * (1.0 + 2f64.powi(-20))
}

/// [`checked_sum`] on the given path.
pub(crate) fn checked_sum_with(path: Path, p: &[f64]) -> Option<f64> {
    let fine = |x: &f64| (0.0..=f64::MAX).contains(x);
    let partial = |pb: &[f64]| -> Option<[f64; SUM_LANES]> {
        let mut sums = [0.0; SUM_LANES];
        let done = match path {
            Path::Portable => 0,
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => simd::partial_sums_avx2(pb, &mut sums)?,
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => simd::partial_sums_avx512(pb, &mut sums)?,
        };
        for (i, x) in pb.iter().enumerate().skip(done) {
            if !fine(x) {
                return None;
            }
            sums[i % SUM_LANES] += *x;
        }
        Some(sums)
    };
    let full = p.len() / SUM_LANES * SUM_LANES;
    let sums = if full <= BLOCK {
        partial(&p[..full])?
    } else {
        let blocks: Vec<[f64; SUM_LANES]> = p[..full]
            .par_chunks(BLOCK)
            .map(partial)
            .collect::<Option<_>>()?;
        let mut sums = [0.0; SUM_LANES];
        for block in &blocks {
            for (mine, theirs) in sums.iter_mut().zip(block) {
                *mine += *theirs;
            }
        }
        sums
    };
    let mut total: NeumaierSum = sums.into_iter().collect();
    for x in &p[full..] {
        if !fine(x) {
            return None;
        }
        total.add(*x);
    }
    Some(total.value())
}

/// Elements per block. Longer inputs are cut into blocks of this length (the
/// last one shorter); each block fills its own lanes, on rayon's pool, and
/// the blocks' lanes are merged lane by lane in block order. The result
/// therefore depends on the input alone, never on the number of threads
/// (tested with pools of 1, 2 and 4 threads); an input of one block is
/// computed exactly as without the split. A multiple of the lanes and of the
/// vector kernels' chunk; 32 768 elements are about 100 µs of work, far above
/// the cost of handing a block to another thread.
pub(crate) const BLOCK: usize = 1 << 15;

/// Runs `fill` on every block of (p, q) and merges the blocks' lanes.
fn blocked<F>(p: &[f64], q: &[f64], fill: F) -> Partials
where
    F: Fn(&[f64], &[f64], &mut Partials) + Sync,
{
    let mut total = Partials::default();
    if p.len() <= BLOCK {
        fill(p, q, &mut total);
        return total;
    }
    let blocks: Vec<Partials> = p
        .par_chunks(BLOCK)
        .zip(q.par_chunks(BLOCK))
        .map(|(pb, qb)| {
            let mut parts = Partials::default();
            fill(pb, qb, &mut parts);
            parts
        })
        .collect();
    for block in &blocks {
        total.merge(block);
    }
    total
}

/// KL on the given path.
pub(crate) fn kl_with(path: Path, p: &[f64], q: &[f64]) -> f64 {
    blocked(p, q, |pb, qb, parts| {
        let done = path.run(true, pb, qb, parts);
        for (i, (&a, &b)) in pb.iter().zip(qb).enumerate().skip(done) {
            kl_lane(a, b, i % LANES, parts);
        }
    })
    .value()
}

/// CE on the given path.
pub(crate) fn cross_entropy_with(path: Path, p: &[f64], q: &[f64]) -> f64 {
    blocked(p, q, |pb, qb, parts| {
        let done = path.run(false, pb, qb, parts);
        for (i, (&a, &b)) in pb.iter().zip(qb).enumerate().skip(done) {
            ce_lane(a, b, i % LANES, parts);
        }
    })
    .value()
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
    use crate::numerics::U;

    fn to_f64(v: &BigFloat, cc: &mut Consts) -> f64 {
        if v.is_zero() {
            0.0
        } else {
            v.format(Radix::Dec, RM, cc).unwrap().parse().unwrap()
        }
    }

    fn paths() -> Vec<Path> {
        Path::available()
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

    /// The portable path as a CPU without FMA hardware runs it (the
    /// emulated fused multiply-add on this thread) gives the same bits as
    /// with `f64::mul_add`, on inputs that reach every branch (one block, so
    /// every lane runs on this thread).
    #[test]
    fn the_portable_path_without_fma_hardware_gives_the_same_bits() {
        use crate::numerics::dd::FORCE_EMULATION;
        let mut rng = ChaCha8Rng::seed_from_u64(0xf3b);
        for (p, q) in mixed_inputs(&mut rng) {
            let run = || {
                (
                    kl_with(Path::Portable, &p, &q).to_bits(),
                    cross_entropy_with(Path::Portable, &p, &q).to_bits(),
                    cross_entropy_with(Path::Portable, &p, &p).to_bits(),
                )
            };
            let want = run();
            FORCE_EMULATION.with(|f| f.set(true));
            let got = run();
            FORCE_EMULATION.with(|f| f.set(false));
            assert_eq!(got, want, "n = {}", p.len());
        }
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

    /// A support mismatch (q = 0 < p) makes KL and CE +∞ wherever it sits:
    /// in the first, a middle or the last of several blocks (the blocks'
    /// records are merged, and one infinite block decides), on every path.
    #[test]
    fn a_mismatch_in_any_block_makes_the_divergence_infinite() {
        let n = 3 * BLOCK + 13;
        let p = vec![1.0 / n as f64; n];
        for at in [5, BLOCK + 7, 3 * BLOCK + 2] {
            let mut q = p.clone();
            q[at] = 0.0;
            q[at + 1] *= 2.0;
            for path in paths() {
                assert_eq!(
                    kl_with(path, &p, &q),
                    f64::INFINITY,
                    "{path:?}, q = 0 at {at}"
                );
                assert_eq!(
                    cross_entropy_with(path, &p, &q),
                    f64::INFINITY,
                    "{path:?}, q = 0 at {at}"
                );
            }
        }
    }

    /// Inputs of several blocks: the same bits with pools of 1, 2 and 4
    /// threads, on every path, and within the bound of the test below of the
    /// sequential kernels.
    #[test]
    fn blocks_give_the_same_bits_whatever_the_thread_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(0xb10c);
        let n = 3 * BLOCK + 13;
        let p = dirichlet(&mut rng, n);
        let q = dirichlet(&mut rng, n);
        let run = |threads: usize, path: Path| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                (
                    kl_with(path, &p, &q).to_bits(),
                    cross_entropy_with(path, &p, &q).to_bits(),
                    checked_sum_with(path, &p).map(f64::to_bits),
                )
            })
        };
        let want = run(1, Path::Portable);
        for path in paths() {
            for threads in [1, 2, 4] {
                assert_eq!(run(threads, path), want, "{path:?}, {threads} threads");
            }
        }
        // |terms| summed for the bound: KL's terms are at most p·|ln p − ln q|
        // plus the exact differences, CE's p·|ln q|.
        let abs_terms: f64 = p
            .iter()
            .zip(&q)
            .map(|(&a, &b)| a * (a.ln() - b.ln()).abs() + (a - b).abs() + a * b.ln().abs())
            .sum();
        let bound = |v: f64| 2.0 * U * v.abs() + 2f64.powi(-65) * abs_terms;
        let (kl, ce) = (f64::from_bits(want.0), f64::from_bits(want.1));
        assert!((kl - kl_sequential(&p, &q)).abs() <= bound(kl));
        assert!((ce - cross_entropy_sequential(&p, &q)).abs() <= bound(ce));
    }

    /// [`checked_sum_error`] bounds the pass's error against a 320-bit sum:
    /// on random weights, and on 1 followed by copies of u (each lost to
    /// rounding in partial sum 0, which nearly reaches the bound there).
    #[test]
    fn checked_sum_stays_within_its_error_bound() {
        let mut cc = Consts::new().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(0x5e4);
        let mut cases: Vec<Vec<f64>> = [10, 1000, 100_000]
            .iter()
            .map(|&n| (0..n).map(|_| rng.random::<f64>()).collect())
            .collect();
        let mut stuck = vec![U; 3200];
        stuck[0] = 1.0;
        cases.push(stuck);
        for p in cases {
            let mut exact = BigFloat::from_f64(0.0, P);
            for &x in &p {
                exact = exact.add(&BigFloat::from_f64(x, P), P, RM);
            }
            let got = checked_sum(&p).unwrap();
            let err = BigFloat::from_f64(got, P).sub(&exact, P, RM).abs();
            let rel = to_f64(&err.div(&exact, P, RM), &mut cc);
            let bound = checked_sum_error(p.len());
            assert!(rel <= bound, "n = {}: {rel:e} > {bound:e}", p.len());
        }
    }

    #[test]
    fn kernel_path_names_the_detected_path() {
        let name = crate::measures::kernel_path();
        assert!(["portable", "avx2", "avx512"].contains(&name), "{name:?}");
        assert_eq!(name, path_name());
        assert!(Path::available().contains(&Path::detect()));
    }

    /// The validation sum: the same bits (or the same refusal) on every path,
    /// with a bad entry in a full block, in the tail, or nowhere.
    #[test]
    fn checked_sum_is_the_same_on_every_path() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x5c4);
        for n in [1, 7, 8, 9, 16, 23, 31, 32, 33, 64, 100, 1001] {
            let p = dirichlet(&mut rng, n);
            let mut cases = vec![p.clone()];
            for bad in [-1e-300, f64::NAN, f64::INFINITY, -0.0] {
                for at in [0, n / 2, n - 1] {
                    let mut c = p.clone();
                    c[at] = bad;
                    cases.push(c);
                }
            }
            for c in cases {
                let want = checked_sum_with(Path::Portable, &c);
                let expect_none = c.iter().any(|x| !(0.0..=f64::MAX).contains(x));
                assert_eq!(want.is_none(), expect_none, "n = {n}: {c:?}");
                for path in paths() {
                    let got = checked_sum_with(path, &c);
                    assert_eq!(
                        got.map(f64::to_bits),
                        want.map(f64::to_bits),
                        "{path:?}, n = {n}"
                    );
                }
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
        let mut xs =
            crate::test_support::bounds::ln_sweep(&[f64::MIN_POSITIVE, f64::MAX, 0.5, 2.0, 1.0]);
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
