//! The vector passes of the softmax rows (`lanes/softmax.rs`), operation for
//! operation: each lane performs the portable code's IEEE-754 operations on
//! its elements, in the same order.

use super::super::softmax::{EXP_FLOOR, EXP_TAIL, GradCoefficients, LOG2E, RowOp};
use super::super::{LANES, ROUND_MAGIC};
use super::{Acc, Avx2, Avx512, Lanes};
use crate::measures::ln::{LN2_HI, LN2_LO};
use crate::numerics::NeumaierSum;
use pulp::x86::{V3, V4};

/// Runs the full groups of eight of `op` with AVX2 + FMA, if the CPU has
/// them; returns how many elements were done.
pub(in crate::measures::lanes) fn run_avx2(op: RowOp<'_>) -> usize {
    match V3::try_new() {
        Some(simd) => simd.vectorize(Pass {
            ops: Avx2(simd),
            op,
        }),
        None => 0,
    }
}

/// As [`run_avx2`], with AVX-512 (F, DQ).
pub(in crate::measures::lanes) fn run_avx512(op: RowOp<'_>) -> usize {
    match V4::try_new() {
        Some(simd) => simd.vectorize(Pass {
            ops: Avx512(simd),
            op,
        }),
        None => 0,
    }
}

struct Pass<'a, L> {
    ops: L,
    op: RowOp<'a>,
}

impl<L: Lanes> pulp::NullaryFnOnce for Pass<'_, L> {
    type Output = usize;

    #[inline(always)]
    fn call(self) -> usize {
        let Pass { ops, op } = self;
        match op {
            RowOp::Max { z, lanes } => max_pass(ops, z, lanes),
            RowOp::ExpSum { z, max, sums } => exp_sum_pass(ops, z, max, sums),
            RowOp::Weighted {
                z,
                t: Some(t),
                norm,
                sums,
            } => weighted_pass::<L, true>(ops, z, t, norm, sums),
            RowOp::Weighted {
                z,
                t: None,
                norm,
                sums,
            } => weighted_pass::<L, false>(ops, z, z, norm, sums),
            RowOp::Grad {
                z,
                t: Some(t),
                norm,
                coefficients,
                out,
            } => grad_pass::<L, true>(ops, z, t, norm, coefficients, out),
            RowOp::Grad {
                z,
                t: None,
                norm,
                coefficients,
                out,
            } => grad_pass::<L, false>(ops, z, z, norm, coefficients, out),
        }
    }
}

/// The portable `exp_tail`, operation for operation.
#[inline(always)]
fn exp_tail<L: Lanes>(ops: L, r: L::V, r2: L::V) -> L::V {
    let c = &EXP_TAIL;
    let r4 = ops.mul(r2, r2);
    let r8 = ops.mul(r4, r4);
    let p01 = ops.lin(r, c[1], c[0]);
    let p23 = ops.lin(r, c[3], c[2]);
    let p45 = ops.lin(r, c[5], c[4]);
    let p67 = ops.lin(r, c[7], c[6]);
    let p89 = ops.lin(r, c[9], c[8]);
    let p1011 = ops.lin(r, c[11], c[10]);
    let p03 = ops.mul_add(p23, r2, p01);
    let p47 = ops.mul_add(p67, r2, p45);
    let p811 = ops.mul_add(p1011, r2, p89);
    let p07 = ops.mul_add(p47, r4, p03);
    ops.mul_add(p811, r8, p07)
}

/// The portable `exp_core`, operation for operation.
#[inline(always)]
fn exp<L: Lanes>(ops: L, x: L::V) -> L::V {
    let x = ops.max(x, ops.splat(EXP_FLOOR));
    let t = ops.fmadd(x, ops.splat(LOG2E), ops.splat(ROUND_MAGIC));
    let k = ops.sub(t, ops.splat(ROUND_MAGIC));
    let r = ops.fnmadd(k, ops.splat(LN2_HI), x);
    let r = ops.fnmadd(k, ops.splat(LN2_LO), r);
    let r2 = ops.mul(r, r);
    let y = ops.add(ops.splat(1.0), ops.fmadd(r2, exp_tail(ops, r, r2), r));
    ops.scale_pow2(y, t, k)
}

/// Lane maxima over the full groups of eight, from the given lanes. Four
/// accumulators per lane, merged at the end: a maximum does not depend on
/// the order but for the sign of a zero, which the caller makes +0.
#[inline(always)]
fn max_pass<L: Lanes>(ops: L, z: &[f64], lanes: &mut [f64; LANES]) -> usize {
    let mut m = [[ops.splat(f64::NEG_INFINITY); 2]; 4];
    for (h, v) in m[0].iter_mut().take(L::PER_BLOCK).enumerate() {
        *v = ops.load(&lanes[L::WIDTH * h..]);
    }
    let quads = z.len() / (4 * LANES) * (4 * LANES);
    for quad in z[..quads].chunks_exact(4 * LANES) {
        for (a, chunk) in m.iter_mut().zip(quad.chunks_exact(LANES)) {
            for (h, v) in a.iter_mut().take(L::PER_BLOCK).enumerate() {
                *v = ops.max(*v, ops.load(&chunk[L::WIDTH * h..]));
            }
        }
    }
    for chunk in z[quads..].chunks_exact(LANES) {
        for (h, v) in m[0].iter_mut().take(L::PER_BLOCK).enumerate() {
            *v = ops.max(*v, ops.load(&chunk[L::WIDTH * h..]));
        }
    }
    for h in 0..L::PER_BLOCK {
        let v = ops.max(ops.max(m[0][h], m[1][h]), ops.max(m[2][h], m[3][h]));
        ops.store(v, &mut lanes[L::WIDTH * h..]);
    }
    z.len() / LANES * LANES
}

/// Σⱼ e^(zⱼ − max) per lane, from empty lanes.
#[inline(always)]
fn exp_sum_pass<L: Lanes>(ops: L, z: &[f64], max: f64, sums: &mut [NeumaierSum; LANES]) -> usize {
    let maxv = ops.splat(max);
    let mut acc = [Acc::zero(ops); 2];
    for chunk in z.chunks_exact(LANES) {
        for (h, a) in acc.iter_mut().take(L::PER_BLOCK).enumerate() {
            let x = ops.load(&chunk[L::WIDTH * h..]);
            a.add(ops, exp(ops, ops.sub(x, maxv)));
        }
    }
    for (h, a) in acc.iter().take(L::PER_BLOCK).enumerate() {
        a.store(ops, &mut sums[L::WIDTH * h..]);
    }
    z.len() / LANES * LANES
}

/// Σ over tᵢ > 0 of tᵢ·((max − zᵢ) + ln_rest) per lane (`WEIGHTED`), or of
/// (max − zᵢ) + ln_rest over every i (`t` unused), from empty lanes.
#[inline(always)]
fn weighted_pass<L: Lanes, const WEIGHTED: bool>(
    ops: L,
    z: &[f64],
    t: &[f64],
    (max, ln_rest): (f64, f64),
    sums: &mut [NeumaierSum; LANES],
) -> usize {
    let (maxv, lr, zero) = (ops.splat(max), ops.splat(ln_rest), ops.splat(0.0));
    let mut acc = [Acc::zero(ops); 2];
    let full = z.len() / LANES * LANES;
    for (c, chunk) in z[..full].chunks_exact(LANES).enumerate() {
        for (h, a) in acc.iter_mut().take(L::PER_BLOCK).enumerate() {
            let at = L::WIDTH * h;
            let nll = ops.add(ops.sub(maxv, ops.load(&chunk[at..])), lr);
            let term = if WEIGHTED {
                let w = ops.load(&t[LANES * c + at..]);
                ops.keep(ops.lt(zero, w), ops.mul(w, nll))
            } else {
                nll
            };
            a.add(ops, term);
        }
    }
    for (h, a) in acc.iter().take(L::PER_BLOCK).enumerate() {
        a.store(ops, &mut sums[L::WIDTH * h..]);
    }
    full
}

/// The gradient entries of the full groups of eight (`t` unused, tᵢ = 0,
/// unless `WEIGHTED`).
#[inline(always)]
fn grad_pass<L: Lanes, const WEIGHTED: bool>(
    ops: L,
    z: &[f64],
    t: &[f64],
    (max, ln_rest): (f64, f64),
    c: GradCoefficients,
    out: &mut [f64],
) -> usize {
    let (maxv, lr) = (ops.splat(max), ops.splat(ln_rest));
    let (mass, keep, share, scale) = (
        ops.splat(c.mass),
        ops.splat(c.keep),
        ops.splat(c.share),
        ops.splat(c.scale),
    );
    let full = z.len() / LANES * LANES;
    for at in (0..full).step_by(L::WIDTH) {
        let nll = ops.add(ops.sub(maxv, ops.load(&z[at..])), lr);
        let q = exp(ops, ops.neg(nll));
        let w = if WEIGHTED {
            ops.load(&t[at..])
        } else {
            ops.splat(0.0)
        };
        let target = ops.add(ops.mul(keep, w), share);
        let g = ops.mul(ops.sub(ops.mul(mass, q), target), scale);
        ops.store(g, &mut out[at..]);
    }
    full
}
