//! Evidence for the closed-form measures of `measures::continuous`: agreement with adaptive
//! Gauss–Kronrod quadrature of the defining integrals.
//!
//! Every floating-point comparison uses a bound derived from the computation
//! it checks: `U = 2⁻⁵³` (the unit roundoff of `f64`) times a condition
//! quantity for that case, with the derivation written next to it. Reference
//! values say where they come from. Monte Carlo assertions state their
//! false-failure probability; all random streams have fixed, named seeds.
//! The library's error bounds these tests rely on are listed in
//! `tests/common/continuous.rs`.

mod common;

use common::continuous::{
    KL_REL_BOUND, cross_entropy_bound, exponential, laplace, normal, normal_ln_pdf_err,
};
use std::f64::consts::PI;

use logloss_proofs::measures::continuous::{cross_entropy, differential_entropy, kl_divergence};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Continuous as _, Exp, Laplace, Normal};

use logloss_proofs::numerics::U;

/// `statrs` Normal `pdf(x) = exp(−½d²)/(√(2π)σ)`: the exponent's 5u·½d²
/// absolute error becomes relative, exp adds 2u, the constant, the product
/// and the quotient u each: relative error ≤ (2.5d² + 5)u.
fn normal_pdf_rel_err(x: f64, mean: f64, std_dev: f64) -> f64 {
    let d = (x - mean) / std_dev;
    (2.5 * d * d + 5.0) * U
}

// ---------------------------------------------------------------------------
// Numerical integration
// ---------------------------------------------------------------------------

/// Kronrod nodes of the 15-point Gauss–Kronrod rule on [−1, 1] (descending,
/// last is the centre); odd indices are the 7-point Gauss nodes. Digits as
/// published in QUADPACK's `qk15` (Piessens et al., 1983).
#[allow(clippy::excessive_precision)]
const XGK: [f64; 8] = [
    0.991455371120812639206854697526329,
    0.949107912342758524526189684047851,
    0.864864423359769072789712788640926,
    0.741531185599394439863864773280788,
    0.586087235467691130294144845693013,
    0.405845151377397166906606412076961,
    0.207784955007898467600689403773245,
    0.000000000000000000000000000000000,
];
/// Kronrod weights matching [`XGK`] (QUADPACK `qk15`).
#[allow(clippy::excessive_precision)]
const WGK: [f64; 8] = [
    0.022935322010529224963732008058970,
    0.063092092629978553290700663189204,
    0.104790010322250183839876322541518,
    0.140653259715525918745189590510238,
    0.169004726639267902826583426598550,
    0.190350578064785409913256402421014,
    0.204432940075298892414161999234649,
    0.209482141084727828012999174891714,
];
/// Gauss weights for `XGK[1]`, `XGK[3]`, `XGK[5]` and the centre (QUADPACK
/// `qk15`).
#[allow(clippy::excessive_precision)]
const WG: [f64; 4] = [
    0.129484966168869693270611432679082,
    0.279705391489276667901467771423780,
    0.381830050505118944950369775488975,
    0.417959183673469387755102040816327,
];

/// An interval is accepted once `|K15 − G7|` is at most `QUAD_REL_TOL · ∫|f|`
/// plus the evaluation noise of the two rules on it (K15's integrated
/// evaluation-error bound, plus G7's, which is at most 2.06 times K15's since
/// each Gauss weight is at most 2.06 times the Kronrod weight at its node):
/// differences below that noise cannot be resolved by refining. The summation
/// noise in `K15 − G7` is about 15u·∫|f| ≈ 1.7e−15·∫|f|, below the relative
/// tolerance, so refinement terminates.
const QUAD_REL_TOL: f64 = 1.0e-14;
const QUAD_MAX_DEPTH: u32 = 40;
/// Guard against a runaway refinement: a test fails rather than hangs.
const QUAD_MAX_INTERVALS: usize = 50_000;

/// An integrand returns its computed value and a bound on that value's
/// absolute evaluation error (including the effect of the node's rounding).
type Integrand<'a> = &'a dyn Fn(f64) -> (f64, f64);

#[derive(Debug, Clone, Copy, Default)]
struct Quad {
    /// Sum of the accepted K15 results.
    value: f64,
    /// Sum of `|K15 − G7|` over accepted intervals (G7's error estimate, a
    /// large over-estimate of K15's own error for smooth integrands).
    err_est: f64,
    /// K15 applied to `|f|`.
    abs_integral: f64,
    /// K15 applied to the integrand's evaluation-error bound.
    eval_err: f64,
    /// Deepest bisection level of an accepted interval.
    depth: u32,
}

impl Quad {
    /// Rounding bound of the whole computation: the integrated evaluation
    /// error, plus ≤ 20u·∫|f| for one 15-point rule (rounded weights, 15
    /// products, 15 additions, the half-length scaling), plus u·∫|f| per level
    /// of the binary tree of sums that combines accepted intervals and
    /// segments (at most `depth + segments` levels).
    fn rounding(&self, segments: usize) -> f64 {
        self.eval_err + (20.0 + f64::from(self.depth) + segments as f64) * U * self.abs_integral
    }
}

fn gauss_kronrod_15(f: Integrand, a: f64, b: f64) -> (f64, f64, f64, f64) {
    let centre = 0.5 * (a + b);
    let half = 0.5 * (b - a);
    let (fc, ec) = f(centre);
    let mut kronrod = WGK[7] * fc;
    let mut gauss = WG[3] * fc;
    let mut abs = WGK[7] * fc.abs();
    let mut err = WGK[7] * ec;
    for j in 0..7 {
        let dx = half * XGK[j];
        let (f1, e1) = f(centre - dx);
        let (f2, e2) = f(centre + dx);
        kronrod += WGK[j] * (f1 + f2);
        abs += WGK[j] * (f1.abs() + f2.abs());
        err += WGK[j] * (e1 + e2);
        if j % 2 == 1 {
            gauss += WG[j / 2] * (f1 + f2);
        }
    }
    (kronrod * half, gauss * half, abs * half, err * half)
}

fn adapt(f: Integrand, a: f64, b: f64, depth: u32, intervals: &mut usize) -> Quad {
    *intervals += 1;
    assert!(
        *intervals <= QUAD_MAX_INTERVALS,
        "quadrature does not converge on [{a}, {b}]"
    );
    let (kronrod, gauss, abs, eval_err) = gauss_kronrod_15(f, a, b);
    let est = (kronrod - gauss).abs();
    if est <= QUAD_REL_TOL * abs + 3.06 * eval_err || depth >= QUAD_MAX_DEPTH {
        return Quad {
            value: kronrod,
            err_est: est,
            abs_integral: abs,
            eval_err,
            depth,
        };
    }
    let mid = 0.5 * (a + b);
    let left = adapt(f, a, mid, depth + 1, intervals);
    let right = adapt(f, mid, b, depth + 1, intervals);
    Quad {
        value: left.value + right.value,
        err_est: left.err_est + right.err_est,
        abs_integral: left.abs_integral + right.abs_integral,
        eval_err: left.eval_err + right.eval_err,
        depth: left.depth.max(right.depth),
    }
}

/// Adaptive G7K15 over consecutive segments between sorted `breakpoints`
/// (kinks of the integrand must be breakpoints).
fn integrate(f: Integrand, breakpoints: &[f64]) -> (Quad, usize) {
    let mut total = Quad::default();
    let segments = breakpoints.len() - 1;
    let mut intervals = 0;
    for w in breakpoints.windows(2) {
        let q = adapt(f, w[0], w[1], 0, &mut intervals);
        total.value += q.value;
        total.err_est += q.err_est;
        total.abs_integral += q.abs_integral;
        total.eval_err += q.eval_err;
        total.depth = total.depth.max(q.depth);
    }
    (total, segments)
}

/// A bound on the integrand beyond the truncation points, `|f| ≤ p·(α + β·m)`
/// where `m` is `y²` (normal) or `|y|` (exponential, Laplace) in p's standard
/// units `y`: the bound's integral over the whole line is `α + β`, and `tail`
/// is its integral beyond the truncation points.
struct Tail {
    tail: f64,
    total: f64,
}

/// Asserts that `|closed − quad|` is at most the sum of the quadrature's error
/// estimate, the tail bound, the rounding bound and the closed form's own error
/// bound, after checking that truncation drops less than 1e−14 of the bounding
/// function's mass. Returns `|closed − quad|` as a fraction of that sum.
fn assert_matches_quadrature(
    what: &str,
    closed: f64,
    closed_err: f64,
    integral: (Quad, usize),
    tail: Tail,
) -> f64 {
    let (quad, segments) = integral;
    let Tail { tail, total } = tail;
    assert!(
        tail <= 1.0e-14 * total,
        "{what}: truncation tail {tail} not below 1e−14 of the bound's mass {total}"
    );
    let rounding = quad.rounding(segments);
    let tol = quad.err_est + tail + rounding + closed_err;
    let diff = (closed - quad.value).abs();
    assert!(
        diff <= tol,
        "{what}: closed {closed} vs quadrature {} — diff {diff} > tol {tol} \
         (estimate {}, tail {tail}, rounding {rounding}, closed {closed_err})",
        quad.value,
        quad.err_est
    );
    diff / tol
}

/// The densities at one quadrature node x, with what the integrands' error
/// bounds need: p(x) and its relative error, ln p(x) and ln q(x) with their
/// absolute errors (statrs' values, bounded per family), and the derivatives
/// d ln p/dx, d ln q/dx, for the node's own rounding (|f′(x)| times dx).
struct Node {
    pdf: f64,
    pdf_rel: f64,
    ln_p: f64,
    ln_p_err: f64,
    d_ln_p: f64,
    ln_q: f64,
    ln_q_err: f64,
    d_ln_q: f64,
}

impl Node {
    /// The CE integrand f = −p·ln q and its error: p's relative error times
    /// |ln q|, plus ln q's error, times p; the product's rounding u·|f|; and
    /// |f′|·dx with f′ = −p·((ln p)′·ln q + (ln q)′).
    fn cross_entropy(&self, dx: f64) -> (f64, f64) {
        let f = -self.pdf * self.ln_q;
        let df = self.pdf * (-self.d_ln_p * self.ln_q - self.d_ln_q);
        let err = self.pdf * (self.pdf_rel * self.ln_q.abs() + self.ln_q_err)
            + U * f.abs()
            + df.abs() * dx;
        (f, err)
    }

    /// The KL integrand f = p·(ln p − ln q) and its error: p's relative
    /// error times |ln p − ln q|, plus both logarithms' errors and the
    /// difference's rounding, times p; the product's rounding u·|f|; and
    /// |f′|·dx with f′ = p·((ln p)′·(ln p − ln q) + (ln p)′ − (ln q)′).
    fn kl(&self, dx: f64) -> (f64, f64) {
        let d = self.ln_p - self.ln_q;
        let f = self.pdf * d;
        let df = self.pdf * (self.d_ln_p * d + self.d_ln_p - self.d_ln_q);
        let err = self.pdf * (self.pdf_rel * d.abs() + self.ln_p_err + self.ln_q_err + U * d.abs())
            + U * f.abs()
            + df.abs() * dx;
        (f, err)
    }
}

/// Upper-tail bound of the standard normal, `Q(t) ≤ φ(t)/t` (Mills' ratio).
fn normal_tail_weights(t: f64) -> (f64, f64) {
    let phi = (-0.5 * t * t).exp() / (2.0 * PI).sqrt();
    let q = phi / t;
    // ∫_{|y|>t} φ = 2Q(t);  ∫_{|y|>t} y²φ = 2(tφ(t) + Q(t)).
    (2.0 * q, 2.0 * (t * phi + q))
}

/// Tail of `φ(y)(α + βy²)` beyond `|y| = t`, given [`normal_tail_weights`].
fn normal_tail(w0: f64, w2: f64, alpha: f64, beta: f64) -> Tail {
    Tail {
        tail: w0 * alpha + w2 * beta,
        total: alpha + beta,
    }
}

/// Tail of `e^−y(α + βy)` beyond `y = t` (one-sided, exponential) or of
/// `½e^−|y|(α + β|y|)` beyond `|y| = t` (Laplace): both are
/// `e^−t(α + β(t + 1))`.
fn exponential_tail(t: f64, alpha: f64, beta: f64) -> Tail {
    Tail {
        tail: (-t).exp() * (alpha + beta * (t + 1.0)),
        total: alpha + beta,
    }
}

/// Normal pairs `(μp, σp, μq, σq)` for the quadrature and Monte Carlo checks:
/// a hand-picked list plus a seeded random sweep of moderate parameters.
fn normal_pairs(seed: u64, random: usize) -> Vec<(f64, f64, f64, f64)> {
    let pairs = vec![
        (0.0, 1.0, 0.0, 1.0),
        (0.0, 1.0, 0.0, 1.000_001),
        (0.0, 1.0, 1.0e-6, 1.0),
        (0.0, 1.0, 1.0, 2.0),
        (2.0, 0.5, -1.0, 3.0),
        (-3.0, 4.0, 0.5, 0.25),
        (5.0, 0.1, 5.3, 0.2),
    ];
    location_scale_sweep(pairs, seed, random, |_, sq| sq)
}

fn exponential_pairs(seed: u64, random: usize) -> Vec<(f64, f64)> {
    let mut pairs = vec![
        (1.0, 1.0),
        (1.0, 1.000_001),
        (1.0, 2.0),
        (3.0, 0.5),
        (0.01, 0.02),
        (50.0, 7.0),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..random {
        let lp = rng.random_range(-4.0..4.0_f64).exp();
        let lq = lp * rng.random_range(-1.5..1.5_f64).exp();
        pairs.push((lp, lq));
    }
    pairs
}

fn laplace_pairs(seed: u64, random: usize) -> Vec<(f64, f64, f64, f64)> {
    let pairs = vec![
        (0.0, 1.0, 0.0, 1.0),
        (0.0, 1.0, 0.0, 1.000_001),
        (0.0, 1.0, 1.0e-6, 1.0),
        (0.0, 1.0, 0.5, 1.0),
        (0.0, 1.0, 1.0, 2.0),
        (2.0, 0.5, -1.0, 3.0),
        (-3.0, 4.0, 0.5, 1.5),
    ];
    location_scale_sweep(pairs, seed, random, |bp, _| bp)
}

/// `pairs` followed by `random` seeded location-scale pairs (μp, sp, μq, sq):
/// sp = e^U(−3, 3), sq = sp·e^U(−1.5, 1.5), μp ~ U(−5, 5) and
/// μq = μp + unit(sp, sq)·U(−4, 4), the unit of the shift being the family's
/// choice of scale.
fn location_scale_sweep(
    mut pairs: Vec<(f64, f64, f64, f64)>,
    seed: u64,
    random: usize,
    unit: fn(f64, f64) -> f64,
) -> Vec<(f64, f64, f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..random {
        let sp = rng.random_range(-3.0..3.0_f64).exp();
        let sq = sp * rng.random_range(-1.5..1.5_f64).exp();
        let mp = rng.random_range(-5.0..5.0);
        let mq = mp + unit(sp, sq) * rng.random_range(-4.0..4.0);
        pairs.push((mp, sp, mq, sq));
    }
    pairs
}

/// Seeds of the random parameter sweeps, one per family.
const QUAD_SEED_NORMAL: u64 = 0x5155_4144_0001;
const QUAD_SEED_EXPONENTIAL: u64 = 0x5155_4144_0002;
const QUAD_SEED_LAPLACE: u64 = 0x5155_4144_0003;

#[test]
fn normal_measures_match_adaptive_quadrature() {
    let mut worst = 0.0_f64;
    const T: f64 = 10.0; // truncation at μp ± 10σp
    let (w0, w2) = normal_tail_weights(T);
    for (mp, sp, mq, sq) in normal_pairs(QUAD_SEED_NORMAL, 40) {
        let p = Normal::new(mp, sp).unwrap();
        let q = Normal::new(mq, sq).unwrap();
        let (pc, qc) = (normal(mp, sp), normal(mq, sq));
        let h = differential_entropy(&pc);
        let kl = kl_divergence(&pc, &qc).unwrap();
        let ce = cross_entropy(&pc, &qc).unwrap();
        let (lo, hi) = (mp - T * sp, mp + T * sp);
        // Each node x carries ≤ 3u·max|x| of rounding (centre, half-length,
        // product, sum); its effect on f is |f'(x)| times that.
        let dx = 3.0 * U * lo.abs().max(hi.abs());
        let rho = sp / sq;
        let z = (mp - mq) / sq;

        let node = |x: f64| Node {
            pdf: p.pdf(x),
            pdf_rel: normal_pdf_rel_err(x, mp, sp),
            ln_p: p.ln_pdf(x),
            ln_p_err: normal_ln_pdf_err(x, mp, sp),
            d_ln_p: -(x - mp) / (sp * sp),
            ln_q: q.ln_pdf(x),
            ln_q_err: normal_ln_pdf_err(x, mq, sq),
            d_ln_q: -(x - mq) / (sq * sq),
        };
        let ce_integrand = |x: f64| node(x).cross_entropy(dx);
        // |ln q(x)| ≤ |½ln 2π + ln σq| + z² + ρ²y² with y = (x − μp)/σp.
        let tail = normal_tail(
            w0,
            w2,
            (0.5 * (2.0 * PI).ln() + sq.ln()).abs() + z * z,
            rho * rho,
        );
        let integral = integrate(&ce_integrand, &[lo, mp, hi]);
        worst = worst.max(assert_matches_quadrature(
            &format!("normal CE ({mp}, {sp}) vs ({mq}, {sq})"),
            ce,
            cross_entropy_bound(&pc, h, kl, ce),
            integral,
            tail,
        ));

        let kl_integrand = |x: f64| node(x).kl(dx);
        // |ln p − ln q| ≤ |ln(σq/σp)| + z² + (½ + ρ²)y².
        let tail = normal_tail(w0, w2, (sq / sp).ln().abs() + z * z, 0.5 + rho * rho);
        let integral = integrate(&kl_integrand, &[lo, mp, hi]);
        worst = worst.max(assert_matches_quadrature(
            &format!("normal KL ({mp}, {sp}) vs ({mq}, {sq})"),
            kl,
            KL_REL_BOUND * kl,
            integral,
            tail,
        ));
    }
    eprintln!("normal quadrature: worst |closed − quad| = {worst:.3} of the tolerance");
}

#[test]
fn exponential_measures_match_adaptive_quadrature() {
    let mut worst = 0.0_f64;
    const T: f64 = 45.0; // truncation at x = 45/λp: tail mass e^−45 ≈ 2.9e−20
    for (lp, lq) in exponential_pairs(QUAD_SEED_EXPONENTIAL, 40) {
        let p = Exp::new(lp).unwrap();
        let q = Exp::new(lq).unwrap();
        let (pc, qc) = (exponential(lp), exponential(lq));
        let h = differential_entropy(&pc);
        let kl = kl_divergence(&pc, &qc).unwrap();
        let ce = cross_entropy(&pc, &qc).unwrap();
        let hi = T / lp;
        let dx = 3.0 * U * hi;
        let r = lq / lp;
        // statrs: pdf = λ·exp(−λx), relative error ≤ (3 + λx)u;
        // ln_pdf = ln λ − λx, absolute error ≤ 3u(|ln λ| + λx).
        let pdf_rel = |x: f64| (3.0 + lp * x) * U;
        let ln_err = |x: f64, l: f64| 3.0 * U * (l.ln().abs() + l * x);

        let node = |x: f64| Node {
            pdf: p.pdf(x),
            pdf_rel: pdf_rel(x),
            ln_p: p.ln_pdf(x),
            ln_p_err: ln_err(x, lp),
            d_ln_p: -lp,
            ln_q: q.ln_pdf(x),
            ln_q_err: ln_err(x, lq),
            d_ln_q: -lq,
        };
        let ce_integrand = |x: f64| node(x).cross_entropy(dx);
        // |ln q| ≤ |ln λq| + r·y with y = λp·x; ∫_T^∞ e^−y (α + βy) = e^−T(α + β(T + 1)).
        let tail = exponential_tail(T, lq.ln().abs(), r);
        worst = worst.max(assert_matches_quadrature(
            &format!("exponential CE {lp} vs {lq}"),
            ce,
            cross_entropy_bound(&pc, h, kl, ce),
            integrate(&ce_integrand, &[0.0, hi]),
            tail,
        ));

        let kl_integrand = |x: f64| node(x).kl(dx);
        // |ln p − ln q| ≤ |ln(λp/λq)| + |1 − r|·y.
        let tail = exponential_tail(T, (lp / lq).ln().abs(), (1.0 - r).abs());
        worst = worst.max(assert_matches_quadrature(
            &format!("exponential KL {lp} vs {lq}"),
            kl,
            KL_REL_BOUND * kl,
            integrate(&kl_integrand, &[0.0, hi]),
            tail,
        ));
    }
    eprintln!("exponential quadrature: worst |closed − quad| = {worst:.3} of the tolerance");
}

#[test]
fn laplace_measures_match_adaptive_quadrature() {
    let mut worst = 0.0_f64;
    const T: f64 = 45.0; // truncation at μp ± 45bp: tail mass e^−45 ≈ 2.9e−20
    for (mp, bp, mq, bq) in laplace_pairs(QUAD_SEED_LAPLACE, 40) {
        let p = Laplace::new(mp, bp).unwrap();
        let q = Laplace::new(mq, bq).unwrap();
        let (pc, qc) = (laplace(mp, bp), laplace(mq, bq));
        let h = differential_entropy(&pc);
        let kl = kl_divergence(&pc, &qc).unwrap();
        let ce = cross_entropy(&pc, &qc).unwrap();
        let (lo, hi) = (mp - T * bp, mp + T * bp);
        // statrs evaluates ln_pdf as ln(exp(−a)/(2b)); keep exp(−a) far from
        // underflow on the whole range so that form stays accurate.
        let a_max = (lo - mq).abs().max((hi - mq).abs()) / bq;
        assert!(
            a_max < 600.0,
            "pair ({mp}, {bp}) vs ({mq}, {bq}) too far apart"
        );
        let dx = 3.0 * U * lo.abs().max(hi.abs());
        let rho = bp / bq;
        let delta_q = (mp - mq).abs() / bq;
        // statrs pdf = exp(−a)/(2b), a = |x − μ|/b with two roundings:
        // relative error ≤ (2a + 4)u. ln_pdf = ln of that: absolute error
        // ≤ (2a + 4)u + 2u·|ln_pdf| ≤ (4a + 4 + 2|ln 2b|)u.
        let pdf_rel = |x: f64, m: f64, b: f64| (2.0 * (x - m).abs() / b + 4.0) * U;
        let ln_err = |x: f64, m: f64, b: f64| {
            (4.0 * (x - m).abs() / b + 4.0 + 2.0 * (2.0 * b).ln().abs()) * U
        };
        let sign = |v: f64| if v < 0.0 { -1.0 } else { 1.0 };

        let node = |x: f64| Node {
            pdf: p.pdf(x),
            pdf_rel: pdf_rel(x, mp, bp),
            ln_p: p.ln_pdf(x),
            ln_p_err: ln_err(x, mp, bp),
            d_ln_p: -sign(x - mp) / bp,
            ln_q: q.ln_pdf(x),
            ln_q_err: ln_err(x, mq, bq),
            d_ln_q: -sign(x - mq) / bq,
        };
        let ce_integrand = |x: f64| node(x).cross_entropy(dx);
        // Kinks at μp and μq: both are breakpoints when inside the range.
        let mut breaks = vec![lo, mp, hi];
        if mq > lo && mq < hi && mq != mp {
            breaks.push(mq);
        }
        breaks.sort_by(f64::total_cmp);
        // |ln q| ≤ |ln 2bq| + δ/bq + ρ|y|, y = (x − μp)/bp;
        // ∫_{|y|>T} ½e^−|y| (α + β|y|) = e^−T(α + β(T + 1)).
        let tail = exponential_tail(T, (2.0 * bq).ln().abs() + delta_q, rho);
        worst = worst.max(assert_matches_quadrature(
            &format!("laplace CE ({mp}, {bp}) vs ({mq}, {bq})"),
            ce,
            cross_entropy_bound(&pc, h, kl, ce),
            integrate(&ce_integrand, &breaks),
            tail,
        ));

        let kl_integrand = |x: f64| node(x).kl(dx);
        // |ln p − ln q| ≤ |ln(bq/bp)| + δ/bq + (1 + ρ)|y|.
        let tail = exponential_tail(T, (bq / bp).ln().abs() + delta_q, 1.0 + rho);
        worst = worst.max(assert_matches_quadrature(
            &format!("laplace KL ({mp}, {bp}) vs ({mq}, {bq})"),
            kl,
            KL_REL_BOUND * kl,
            integrate(&kl_integrand, &breaks),
            tail,
        ));
    }
    eprintln!("laplace quadrature: worst |closed − quad| = {worst:.3} of the tolerance");
}
