//! Evidence for the closed-form measures of `measures::continuous`.
//!
//! Every floating-point comparison uses a bound derived from the computation
//! it checks: `U = 2⁻⁵³` (the unit roundoff of `f64`) times a condition
//! quantity for that case, with the derivation written next to it. Reference
//! values say where they come from. Monte Carlo assertions state their
//! false-failure probability; all random streams have fixed, named seeds.
//!
//! Error bounds of the library that the tests rely on (derived in the module
//! documentation of `measures::continuous`):
//!
//! * `differential_entropy`: `|ĥ − h| ≤ U·(|c| + 2|ln θ| + |h|)`, `c` the
//!   family constant and `θ` the scale or rate;
//! * `kl_divergence`: `|KL̂ − KL| ≤ 70·U·KL`;
//! * `cross_entropy`: the entropy bound, plus the KL bound, plus `U·|H|`.
//!
//! Those derivations assume `ln`, `ln_1p` and `exp_m1` accurate to one ulp
//! (relative error ≤ 2U), as glibc documents; the same is assumed here for
//! `ln` and `exp`.

use std::f64::consts::{LN_2, PI};

use astro_float::{BigFloat, Consts, RoundingMode};
use logloss_proofs::estimators::budget::{level, z_two_sided};
use logloss_proofs::measures::continuous::{
    Continuous, ContinuousError, cross_entropy, differential_entropy, kl_divergence,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Continuous as _, Exp, Laplace, Normal};
use statrs::statistics::Distribution as _;

use logloss_proofs::numerics::U;
/// Relative error bound of `kl_divergence` derived in the module docs.
const KL_REL_BOUND: f64 = 70.0 * U;

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        rng_seed: RngSeed::Fixed(20261128),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Locations of moderate size, where the textbook formulas are well-behaved.
fn location() -> impl Strategy<Value = f64> {
    -1.0e3..1.0e3
}

/// Scales and rates log-uniform in `[e^−20, e^20]`.
fn scale() -> impl Strategy<Value = f64> {
    (-20.0..20.0).prop_map(f64::exp)
}

/// Locations anywhere in a wide range, including huge ones.
fn wide_location() -> impl Strategy<Value = f64> {
    prop_oneof![-1.0e3..1.0e3, -1.0e300..1.0e300]
}

/// Scales and rates log-uniform in `[e^−700, e^700]`, the normal range of f64.
fn wide_scale() -> impl Strategy<Value = f64> {
    (-700.0..700.0).prop_map(f64::exp)
}

fn normal(mean: f64, std_dev: f64) -> Continuous {
    Continuous::normal(mean, std_dev).expect("valid normal parameters")
}

fn exponential(rate: f64) -> Continuous {
    Continuous::exponential(rate).expect("valid exponential rate")
}

fn laplace(location: f64, scale: f64) -> Continuous {
    Continuous::laplace(location, scale).expect("valid laplace parameters")
}

/// `(c, ln θ)` with `h = c + ln θ` (normal, laplace) or `h = c − ln θ`
/// (exponential); `c` is the family constant as the library rounds it.
fn entropy_parts(p: &Continuous) -> (f64, f64) {
    match *p {
        Continuous::Normal { std_dev, .. } => (1.418_938_533_204_672_7, std_dev.ln()),
        Continuous::Exponential { rate } => (1.0, rate.ln()),
        Continuous::Laplace { scale, .. } => (1.693_147_180_559_945_4, scale.ln()),
    }
}

/// Derived bound on the error of `differential_entropy(p)` (see module docs).
fn entropy_bound(p: &Continuous, h: f64) -> f64 {
    let (c, ln_theta) = entropy_parts(p);
    U * (c.abs() + 2.0 * ln_theta.abs() + h.abs())
}

/// Derived bound on the error of `cross_entropy(p, q) = fl(h + KL)`.
fn cross_entropy_bound(p: &Continuous, h: f64, kl: f64, ce: f64) -> f64 {
    entropy_bound(p, h) + KL_REL_BOUND * kl + U * ce.abs()
}

/// `statrs` Normal `ln_pdf(x) = −½d² − ln √(2π) − ln σ`, `d = (x − μ)/σ`:
/// `d` has two roundings, `½d²` five, the constant one, `ln σ` two, and the two
/// additions one each relative to the magnitude sum, so the absolute error is
/// ≤ 7u·(½d² + 0.92 + |ln σ|).
fn normal_ln_pdf_err(x: f64, mean: f64, std_dev: f64) -> f64 {
    let d = (x - mean) / std_dev;
    7.0 * U * (0.5 * d * d + 0.92 + std_dev.ln().abs())
}

/// `statrs` Normal `pdf(x) = exp(−½d²)/(√(2π)σ)`: the exponent's 5u·½d²
/// absolute error becomes relative, exp adds 2u, the constant, the product
/// and the quotient u each: relative error ≤ (2.5d² + 5)u.
fn normal_pdf_rel_err(x: f64, mean: f64, std_dev: f64) -> f64 {
    let d = (x - mean) / std_dev;
    (2.5 * d * d + 5.0) * U
}

// ---------------------------------------------------------------------------
// 1. CE = h + KL
// ---------------------------------------------------------------------------

/// Textbook `H(p, q) = −∫ p ln q` for two normals, evaluated directly from its
/// own closed form `½ ln 2π + ln σq + ½(σp/σq)² + ½((μp − μq)/σq)²`, with a
/// bound on its rounding error.
fn direct_cross_entropy_normal(mp: f64, sp: f64, mq: f64, sq: f64) -> (f64, f64) {
    // ½ ln 2π: PI rounded (u), doubling exact, ln within 2u: ≤ 3u relative.
    let t1 = 0.5 * (2.0 * PI).ln();
    // ln σq: ≤ 2u.
    let t2 = sq.ln();
    // ½ρ²: ρ one rounding, squaring doubles it, product rounding: ≤ 3u.
    let rho = sp / sq;
    let t3 = 0.5 * rho * rho;
    // ½z²: z = (μp − μq)/σq has two roundings, squared 4u, product: ≤ 5u.
    let z = (mp - mq) / sq;
    let t4 = 0.5 * z * z;
    let s = t1.abs() + t2.abs() + t3.abs() + t4.abs();
    // Each term within 5u of itself, three additions each within u·S.
    (t1 + t2 + t3 + t4, 8.0 * U * s)
}

/// Textbook `H(p, q) = λq/λp − ln λq` for two exponentials.
fn direct_cross_entropy_exponential(lp: f64, lq: f64) -> (f64, f64) {
    let t1 = lq / lp; // one rounding: u
    let t2 = -lq.ln(); // 2u
    let s = t1.abs() + t2.abs();
    // Largest term error 2u, one addition u·S.
    (t1 + t2, 3.0 * U * s)
}

/// Textbook `H(p, q) = ln(2bq) + (δ + bp·e^(−δ/bp))/bq` for two Laplaces.
fn direct_cross_entropy_laplace(mp: f64, bp: f64, mq: f64, bq: f64) -> (f64, f64) {
    let delta = (mp - mq).abs(); // one rounding
    let t1 = (2.0 * bq).ln(); // doubling exact, ln: 2u
    let t2 = delta / bq; // 2u
    let a = delta / bp; // 2u
    // e^(−a): the argument's 2u·a absolute error becomes 2u·a relative, plus
    // 2u for exp itself; then one product and one quotient: (4 + 2a)u.
    let t3 = bp * (-a).exp() / bq;
    let s = t1.abs() + t2.abs() + t3.abs();
    // Largest term error (4 + 2a)u, two additions 2u·S.
    (t1 + t2 + t3, (6.0 + 2.0 * a) * U * s)
}

fn check_identity(p: &Continuous, q: &Continuous, direct: (f64, f64)) -> Result<(), TestCaseError> {
    let h = differential_entropy(p);
    let kl = kl_divergence(p, q).expect("same family");
    let ce = cross_entropy(p, q).expect("same family");
    prop_assert!(h.is_finite() && kl.is_finite() && ce.is_finite());
    // The library forms CE as one rounded sum fl(h + KL); recomputing that sum
    // here can differ by at most one rounding on each side, 2u·|h + KL|, and
    // |h + KL| ≤ |h| + |KL| while |h + KL| ≤ (1 + u)|CE|.
    let tol_sum = 2.0 * U * (h.abs() + kl.abs() + ce.abs());
    prop_assert!(
        (ce - (h + kl)).abs() <= tol_sum,
        "CE {ce} vs h + KL {} (tol {tol_sum})",
        h + kl
    );
    // Against −∫ p ln q from its own textbook closed form: the direct
    // formula's rounding bound plus the library's CE bound.
    let (direct, direct_err) = direct;
    let tol = direct_err + cross_entropy_bound(p, h, kl, ce);
    prop_assert!(
        (ce - direct).abs() <= tol,
        "CE {ce} vs textbook {direct}: diff {} > tol {tol}",
        (ce - direct).abs()
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn cross_entropy_equals_entropy_plus_kl_normal(
        mp in location(), sp in scale(), mq in location(), sq in scale()
    ) {
        check_identity(
            &normal(mp, sp),
            &normal(mq, sq),
            direct_cross_entropy_normal(mp, sp, mq, sq),
        )?;
    }

    #[test]
    fn cross_entropy_equals_entropy_plus_kl_exponential(lp in scale(), lq in scale()) {
        check_identity(
            &exponential(lp),
            &exponential(lq),
            direct_cross_entropy_exponential(lp, lq),
        )?;
    }

    #[test]
    fn cross_entropy_equals_entropy_plus_kl_laplace(
        mp in location(), bp in scale(), mq in location(), bq in scale()
    ) {
        check_identity(
            &laplace(mp, bp),
            &laplace(mq, bq),
            direct_cross_entropy_laplace(mp, bp, mq, bq),
        )?;
    }
}

// ---------------------------------------------------------------------------
// 2. Numerical integration
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
    let mut pairs = vec![
        (0.0, 1.0, 0.0, 1.0),
        (0.0, 1.0, 0.0, 1.000_001),
        (0.0, 1.0, 1.0e-6, 1.0),
        (0.0, 1.0, 1.0, 2.0),
        (2.0, 0.5, -1.0, 3.0),
        (-3.0, 4.0, 0.5, 0.25),
        (5.0, 0.1, 5.3, 0.2),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..random {
        let sp = rng.random_range(-3.0..3.0_f64).exp();
        let sq = sp * rng.random_range(-1.5..1.5_f64).exp();
        let mp = rng.random_range(-5.0..5.0);
        let mq = mp + sq * rng.random_range(-4.0..4.0);
        pairs.push((mp, sp, mq, sq));
    }
    pairs
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
    let mut pairs = vec![
        (0.0, 1.0, 0.0, 1.0),
        (0.0, 1.0, 0.0, 1.000_001),
        (0.0, 1.0, 1.0e-6, 1.0),
        (0.0, 1.0, 0.5, 1.0),
        (0.0, 1.0, 1.0, 2.0),
        (2.0, 0.5, -1.0, 3.0),
        (-3.0, 4.0, 0.5, 1.5),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..random {
        let bp = rng.random_range(-3.0..3.0_f64).exp();
        let bq = bp * rng.random_range(-1.5..1.5_f64).exp();
        let mp = rng.random_range(-5.0..5.0);
        let mq = mp + bp * rng.random_range(-4.0..4.0);
        pairs.push((mp, bp, mq, bq));
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

        let ce_integrand = |x: f64| {
            let pv = p.pdf(x);
            let lq = q.ln_pdf(x);
            let f = -pv * lq;
            let df = pv * ((x - mp) / (sp * sp) * lq + (x - mq) / (sq * sq));
            let err = pv
                * (normal_pdf_rel_err(x, mp, sp) * lq.abs() + normal_ln_pdf_err(x, mq, sq))
                + U * f.abs()
                + df.abs() * dx;
            (f, err)
        };
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

        let kl_integrand = |x: f64| {
            let pv = p.pdf(x);
            let lp = p.ln_pdf(x);
            let lq = q.ln_pdf(x);
            let f = pv * (lp - lq);
            let dlp = -(x - mp) / (sp * sp);
            let dlq = -(x - mq) / (sq * sq);
            let df = pv * (dlp * (lp - lq) + dlp - dlq);
            let err = pv
                * (normal_pdf_rel_err(x, mp, sp) * (lp - lq).abs()
                    + normal_ln_pdf_err(x, mp, sp)
                    + normal_ln_pdf_err(x, mq, sq)
                    + U * (lp - lq).abs())
                + U * f.abs()
                + df.abs() * dx;
            (f, err)
        };
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

        let ce_integrand = |x: f64| {
            let pv = p.pdf(x);
            let lq_x = q.ln_pdf(x);
            let f = -pv * lq_x;
            let df = pv * (lp * lq_x + lq);
            let err = pv * (pdf_rel(x) * lq_x.abs() + ln_err(x, lq)) + U * f.abs() + df.abs() * dx;
            (f, err)
        };
        // |ln q| ≤ |ln λq| + r·y with y = λp·x; ∫_T^∞ e^−y (α + βy) = e^−T(α + β(T + 1)).
        let tail = exponential_tail(T, lq.ln().abs(), r);
        worst = worst.max(assert_matches_quadrature(
            &format!("exponential CE {lp} vs {lq}"),
            ce,
            cross_entropy_bound(&pc, h, kl, ce),
            integrate(&ce_integrand, &[0.0, hi]),
            tail,
        ));

        let kl_integrand = |x: f64| {
            let pv = p.pdf(x);
            let lp_x = p.ln_pdf(x);
            let lq_x = q.ln_pdf(x);
            let f = pv * (lp_x - lq_x);
            let df = pv * (-lp * (lp_x - lq_x) - lp + lq);
            let err = pv
                * (pdf_rel(x) * (lp_x - lq_x).abs()
                    + ln_err(x, lp)
                    + ln_err(x, lq)
                    + U * (lp_x - lq_x).abs())
                + U * f.abs()
                + df.abs() * dx;
            (f, err)
        };
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

        let ce_integrand = |x: f64| {
            let pv = p.pdf(x);
            let lq_x = q.ln_pdf(x);
            let f = -pv * lq_x;
            let df = pv * (sign(x - mp) / bp * lq_x + sign(x - mq) / bq);
            let err = pv * (pdf_rel(x, mp, bp) * lq_x.abs() + ln_err(x, mq, bq))
                + U * f.abs()
                + df.abs() * dx;
            (f, err)
        };
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

        let kl_integrand = |x: f64| {
            let pv = p.pdf(x);
            let lp_x = p.ln_pdf(x);
            let lq_x = q.ln_pdf(x);
            let f = pv * (lp_x - lq_x);
            let dlp = -sign(x - mp) / bp;
            let dlq = -sign(x - mq) / bq;
            let df = pv * (dlp * (lp_x - lq_x) + dlp - dlq);
            let err = pv
                * (pdf_rel(x, mp, bp) * (lp_x - lq_x).abs()
                    + ln_err(x, mp, bp)
                    + ln_err(x, mq, bq)
                    + U * (lp_x - lq_x).abs())
                + U * f.abs()
                + df.abs() * dx;
            (f, err)
        };
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

// ---------------------------------------------------------------------------
// 3. Monte Carlo
// ---------------------------------------------------------------------------

/// Samples per Monte Carlo estimate.
const MC_SAMPLES: usize = 200_000;
/// Seeds of the Monte Carlo streams, one per family.
const MC_SEED_NORMAL: u64 = 0x4d43_0001;
const MC_SEED_EXPONENTIAL: u64 = 0x4d43_0002;
const MC_SEED_LAPLACE: u64 = 0x4d43_0003;
/// The false-failure probability the suite's budget allots to the Monte
/// Carlo assertion `name` (`estimators::budget`, Bonferroni: 1e−6 over all
/// registered assertions), and its two-sided normal quantile
/// `z = −Φ⁻¹(α/2)`. Panics if the assertion is not registered.
fn mc_level(name: &str) -> (f64, f64) {
    let alpha = 1.0 - level(name);
    (alpha, z_two_sided(alpha))
}

/// Sample mean and sample standard deviation (two-pass), plus the mean of
/// `|v|` for the summation-rounding bound.
fn mean_sd(values: &[f64]) -> (f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    let mean_abs = values.iter().map(|v| v.abs()).sum::<f64>() / n;
    (mean, var.sqrt(), mean_abs)
}

/// Asserts the closed form is consistent with the sample mean at the
/// false-failure probability the budget allots to `name` (normal
/// approximation to the sample mean, which applies: every sampled quantity
/// here has finite variance). The recursive summation of `n` terms adds at
/// most `n·u·mean|v|` of rounding, which is included though it is ~1e−11 here.
fn assert_consistent(what: &str, name: &str, closed: f64, values: &[f64]) {
    let (alpha, z) = mc_level(name);
    let (mean, sd, mean_abs) = mean_sd(values);
    let n = values.len() as f64;
    let tol = z * sd / n.sqrt() + n * U * mean_abs;
    assert!(
        (mean - closed).abs() <= tol,
        "{what}: closed form {closed} not consistent with Monte Carlo mean {mean} at \
         false-failure probability {alpha:e} (|diff| {} > {tol}, z {z}, s {sd}, n {n})",
        (mean - closed).abs()
    );
}

/// Two assertions, CE and KL, registered as `continuous/{family}/pair-{pair}/…`.
#[allow(clippy::too_many_arguments)]
fn monte_carlo<D>(
    what: &str,
    (family, pair): (&str, usize),
    rng: &mut ChaCha8Rng,
    p: D,
    ln_p: impl Fn(f64) -> f64,
    ln_q: impl Fn(f64) -> f64,
    ce: f64,
    kl: f64,
) where
    D: rand::distr::Distribution<f64> + Copy,
{
    let xs: Vec<f64> = (0..MC_SAMPLES).map(|_| rng.sample(p)).collect();
    let ce_values: Vec<f64> = xs.iter().map(|&x| -ln_q(x)).collect();
    let kl_values: Vec<f64> = xs.iter().map(|&x| ln_p(x) - ln_q(x)).collect();
    let name = |m: &str| format!("continuous/{family}/pair-{pair}/{m}");
    assert_consistent(&format!("{what} CE"), &name("ce"), ce, &ce_values);
    assert_consistent(&format!("{what} KL"), &name("kl"), kl, &kl_values);
}

// Each test below makes 2 assertions per pair, 24 in all, each registered in
// the suite's budget (`estimators::budget::ASSERTIONS`) at its Bonferroni share.

#[test]
fn normal_measures_are_consistent_with_monte_carlo() {
    let mut rng = ChaCha8Rng::seed_from_u64(MC_SEED_NORMAL);
    for (pair, (mp, sp, mq, sq)) in [
        (0.0, 1.0, 0.0, 1.0),
        (0.0, 1.0, 1.0, 2.0),
        (2.0, 0.5, -1.0, 3.0),
        (-3.0, 4.0, 0.5, 2.5),
    ]
    .into_iter()
    .enumerate()
    {
        let (p, q) = (Normal::new(mp, sp).unwrap(), Normal::new(mq, sq).unwrap());
        let (pc, qc) = (normal(mp, sp), normal(mq, sq));
        monte_carlo(
            &format!("normal ({mp}, {sp}) vs ({mq}, {sq})"),
            ("normal", pair + 1),
            &mut rng,
            p,
            |x| p.ln_pdf(x),
            |x| q.ln_pdf(x),
            cross_entropy(&pc, &qc).unwrap(),
            kl_divergence(&pc, &qc).unwrap(),
        );
    }
}

#[test]
fn exponential_measures_are_consistent_with_monte_carlo() {
    let mut rng = ChaCha8Rng::seed_from_u64(MC_SEED_EXPONENTIAL);
    for (pair, (lp, lq)) in [(1.0, 1.0), (1.0, 2.0), (3.0, 0.5), (0.2, 0.3)]
        .into_iter()
        .enumerate()
    {
        let (p, q) = (Exp::new(lp).unwrap(), Exp::new(lq).unwrap());
        let (pc, qc) = (exponential(lp), exponential(lq));
        monte_carlo(
            &format!("exponential {lp} vs {lq}"),
            ("exponential", pair + 1),
            &mut rng,
            p,
            |x| p.ln_pdf(x),
            |x| q.ln_pdf(x),
            cross_entropy(&pc, &qc).unwrap(),
            kl_divergence(&pc, &qc).unwrap(),
        );
    }
}

#[test]
fn laplace_measures_are_consistent_with_monte_carlo() {
    let mut rng = ChaCha8Rng::seed_from_u64(MC_SEED_LAPLACE);
    for (pair, (mp, bp, mq, bq)) in [
        (0.0, 1.0, 0.0, 1.0),
        (0.0, 1.0, 0.3, 1.0),
        (2.0, 0.5, -1.0, 3.0),
        (-3.0, 4.0, 0.5, 2.5),
    ]
    .into_iter()
    .enumerate()
    {
        let (p, q) = (Laplace::new(mp, bp).unwrap(), Laplace::new(mq, bq).unwrap());
        let (pc, qc) = (laplace(mp, bp), laplace(mq, bq));
        monte_carlo(
            &format!("laplace ({mp}, {bp}) vs ({mq}, {bq})"),
            ("laplace", pair + 1),
            &mut rng,
            p,
            |x| p.ln_pdf(x),
            |x| q.ln_pdf(x),
            cross_entropy(&pc, &qc).unwrap(),
            kl_divergence(&pc, &qc).unwrap(),
        );
    }
}

// ---------------------------------------------------------------------------
// 4. Exact zeros and Gibbs' inequality
// ---------------------------------------------------------------------------

fn any_distribution() -> impl Strategy<Value = Continuous> {
    prop_oneof![
        (wide_location(), wide_scale()).prop_map(|(m, s)| normal(m, s)),
        wide_scale().prop_map(exponential),
        (wide_location(), wide_scale()).prop_map(|(m, s)| laplace(m, s)),
    ]
}

fn same_family_pair() -> impl Strategy<Value = (Continuous, Continuous)> {
    prop_oneof![
        (wide_location(), wide_scale(), wide_location(), wide_scale())
            .prop_map(|(mp, sp, mq, sq)| (normal(mp, sp), normal(mq, sq))),
        (wide_scale(), wide_scale()).prop_map(|(lp, lq)| (exponential(lp), exponential(lq))),
        (wide_location(), wide_scale(), wide_location(), wide_scale())
            .prop_map(|(mp, bp, mq, bq)| (laplace(mp, bp), laplace(mq, bq))),
        // Nearly equal pairs, where a cancelling formula could go negative.
        (
            wide_location(),
            wide_scale(),
            -1.0e-6..1.0e-6,
            -1.0e-6..1.0e-6
        )
            .prop_map(|(m, s, dm, ds)| (laplace(m, s), laplace(m + dm * s, s * (1.0 + ds)))),
        (
            wide_location(),
            wide_scale(),
            -1.0e-6..1.0e-6,
            -1.0e-6..1.0e-6
        )
            .prop_map(|(m, s, dm, ds)| (normal(m, s), normal(m + dm * s, s * (1.0 + ds)))),
        (wide_scale(), -1.0e-6..1.0e-6)
            .prop_map(|(l, d)| (exponential(l), exponential(l * (1.0 + d)))),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn kl_of_a_distribution_with_itself_is_exactly_zero(p in any_distribution()) {
        prop_assert_eq!(kl_divergence(&p, &p).unwrap(), 0.0);
        // And so the cross-entropy of p with itself is exactly its entropy.
        prop_assert_eq!(cross_entropy(&p, &p).unwrap(), differential_entropy(&p));
    }

    #[test]
    fn kl_is_never_negative_nor_nan(pair in same_family_pair()) {
        let (p, q) = pair;
        let kl = kl_divergence(&p, &q).unwrap();
        prop_assert!(kl >= 0.0, "KL({p:?}‖{q:?}) = {kl}");
        prop_assert!(!cross_entropy(&p, &q).unwrap().is_nan());
    }
}

// ---------------------------------------------------------------------------
// 5. High-precision references
// ---------------------------------------------------------------------------

/// Working precision of the references, in bits.
const PREC: usize = 320;
const RM: RoundingMode = RoundingMode::ToEven;
/// Relative error of a reference value. Every f64 input converts exactly; each
/// reference is a handful of operations at 320 bits, so its relative error is
/// below 2⁻³⁰⁰ times the cancellation it suffers, which is at most 2⁻⁸⁰ here
/// (KL ≥ 1e−24 of the terms it is formed from): 2⁻²⁰⁰ is a safe bound.
const REF_REL_ERR: f64 = 6.2e-61; // 2^−200 ≈ 6.2e−61

/// Seed of the reference sweeps.
const REF_SEED: u64 = 0x5245_4600_0001;

struct Big {
    cc: Consts,
}

impl Big {
    fn new() -> Self {
        Big {
            cc: Consts::new().expect("constants cache"),
        }
    }
    /// Exact conversion of a normal (or zero) f64. astro-float 0.9's
    /// `from_f64` halves subnormal inputs (5e−324 comes back as 2.47e−324), so
    /// the references keep to normal numbers and this guard enforces it.
    fn of(x: f64) -> BigFloat {
        assert!(
            x == 0.0 || x.is_normal(),
            "reference input {x:e} is subnormal"
        );
        BigFloat::from_f64(x, PREC)
    }
    fn ln(&mut self, x: &BigFloat) -> BigFloat {
        x.ln(PREC, RM, &mut self.cc)
    }
    fn exp(&mut self, x: &BigFloat) -> BigFloat {
        x.exp(PREC, RM, &mut self.cc)
    }
    fn pi(&mut self) -> BigFloat {
        self.cc.pi(PREC, RM)
    }
}

fn add(a: &BigFloat, b: &BigFloat) -> BigFloat {
    a.add(b, PREC, RM)
}
fn sub(a: &BigFloat, b: &BigFloat) -> BigFloat {
    a.sub(b, PREC, RM)
}
fn mul(a: &BigFloat, b: &BigFloat) -> BigFloat {
    a.mul(b, PREC, RM)
}
fn div(a: &BigFloat, b: &BigFloat) -> BigFloat {
    a.div(b, PREC, RM)
}

/// Nearest f64 to a reference (via its decimal expansion, which has far more
/// digits than f64 needs, so the conversion adds at most one rounding).
fn to_f64(x: &BigFloat) -> f64 {
    let s = x.to_string();
    s.parse::<f64>()
        .unwrap_or_else(|e| panic!("cannot parse reference {s}: {e}"))
}

/// `|computed − reference|` as an f64, formed at full precision.
fn abs_err(computed: f64, reference: &BigFloat) -> f64 {
    to_f64(&sub(&Big::of(computed), reference).abs())
}

fn reference_entropy(big: &mut Big, p: &Continuous) -> BigFloat {
    let one = Big::of(1.0);
    match *p {
        Continuous::Normal { std_dev, .. } => {
            // ½(1 + ln 2π) + ln σ
            let two_pi = mul(&Big::of(2.0), &big.pi());
            let c = mul(&Big::of(0.5), &add(&one, &big.ln(&two_pi)));
            add(&c, &big.ln(&Big::of(std_dev)))
        }
        Continuous::Exponential { rate } => sub(&one, &big.ln(&Big::of(rate))),
        Continuous::Laplace { scale, .. } => {
            add(&one, &big.ln(&mul(&Big::of(2.0), &Big::of(scale))))
        }
    }
}

fn reference_kl(big: &mut Big, p: &Continuous, q: &Continuous) -> BigFloat {
    let one = Big::of(1.0);
    match (*p, *q) {
        (
            Continuous::Normal {
                mean: mp,
                std_dev: sp,
            },
            Continuous::Normal {
                mean: mq,
                std_dev: sq,
            },
        ) => {
            // ln(σq/σp) + (σp² + (μp − μq)²)/(2σq²) − ½
            let (sp, sq) = (Big::of(sp), Big::of(sq));
            let dm = sub(&Big::of(mp), &Big::of(mq));
            let num = add(&mul(&sp, &sp), &mul(&dm, &dm));
            let den = mul(&Big::of(2.0), &mul(&sq, &sq));
            let log = big.ln(&div(&sq, &sp));
            sub(&add(&log, &div(&num, &den)), &Big::of(0.5))
        }
        (Continuous::Exponential { rate: lp }, Continuous::Exponential { rate: lq }) => {
            // ln(λp/λq) + λq/λp − 1
            let (lp, lq) = (Big::of(lp), Big::of(lq));
            let log = big.ln(&div(&lp, &lq));
            sub(&add(&log, &div(&lq, &lp)), &one)
        }
        (
            Continuous::Laplace {
                location: mp,
                scale: bp,
            },
            Continuous::Laplace {
                location: mq,
                scale: bq,
            },
        ) => {
            // ln(bq/bp) + δ/bq + (bp/bq)·exp(−δ/bp) − 1
            let (bp, bq) = (Big::of(bp), Big::of(bq));
            let delta = sub(&Big::of(mp), &Big::of(mq)).abs();
            let log = big.ln(&div(&bq, &bp));
            let decay = big.exp(&div(&delta, &bp).neg());
            let sum = add(&add(&log, &div(&delta, &bq)), &mul(&div(&bp, &bq), &decay));
            sub(&sum, &one)
        }
        _ => unreachable!("pairs are built within one family"),
    }
}

/// Relative gaps `g` between the scales (or rates) of p and q: q's parameter is
/// p's times `1 + g` or divided by `1 + g`. They span the series region of
/// `ψ` (|d| ≤ 1/16), its threshold, the `ln_1p` region and the `ln` region.
const GAPS: [f64; 14] = [
    0.0, 1.0e-9, 1.0e-6, 1.0e-3, 0.03, 0.0624, 0.0626, 0.07, 0.2, 0.5, 0.9, 1.0, 3.0, 1.0e3,
];
/// Location offsets in units of p's scale: zero, tiny, around the series
/// threshold `a = ½` of the Laplace term, and large.
const OFFSETS: [f64; 10] = [
    0.0, 1.0e-9, 1.0e-6, 1.0e-3, 0.3, 0.4999, 0.5001, 0.7, 2.0, 50.0,
];

/// The reference sweep: seeded base parameters times every gap (both
/// directions) and every offset, plus a few extreme pairs.
fn reference_cases() -> Vec<(Continuous, Continuous, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(REF_SEED);
    let mut cases = Vec::new();
    for _ in 0..6 {
        let s = rng.random_range(-20.0..20.0_f64).exp();
        let m = rng.random_range(-100.0..100.0) * s;
        for gap in GAPS {
            for s_q in [s * (1.0 + gap), s / (1.0 + gap)] {
                cases.push((exponential(s), exponential(s_q), gap));
                for offset in OFFSETS {
                    let sign = if rng.random_range(0.0..1.0) < 0.5 {
                        -1.0
                    } else {
                        1.0
                    };
                    let m_q = m + sign * offset * s;
                    cases.push((normal(m, s), normal(m_q, s_q), gap));
                    cases.push((laplace(m, s), laplace(m_q, s_q), gap));
                }
            }
        }
    }
    // Ratios at the ends of the f64 range (ln_ratio's fallback and overflow
    // guards) and huge locations.
    for (sp, sq) in [
        (1.0e-300, 1.0e300),
        (1.0e300, 1.0e150),
        (f64::MIN_POSITIVE, 1.0),
        (1.0, 1.0e-150),
    ] {
        cases.push((exponential(sp), exponential(sq), f64::NAN));
        cases.push((normal(0.0, sp), normal(1.0, sq), f64::NAN));
        cases.push((laplace(0.0, sp), laplace(1.0, sq), f64::NAN));
    }
    cases.push((
        normal(1.0e300, 1.0e299),
        normal(-1.0e300, 1.0e300),
        f64::NAN,
    ));
    cases.push((
        laplace(1.0e300, 1.0e299),
        laplace(-1.0e300, 1.0e300),
        f64::NAN,
    ));
    cases
}

#[test]
fn kl_matches_320_bit_reference_within_70u_relative() {
    let mut big = Big::new();
    let mut worst = 0.0_f64;
    let mut worst_case = String::new();
    let mut worst_at_1e6 = [0.0_f64; 3];
    let mut checked = 0;
    for (p, q, gap) in reference_cases() {
        let kl = kl_divergence(&p, &q).unwrap();
        let reference = reference_kl(&mut big, &p, &q);
        if reference.is_zero() {
            assert_eq!(kl, 0.0, "{p:?} vs {q:?}");
            continue;
        }
        let ref_f64 = to_f64(&reference);
        if ref_f64.is_infinite() {
            assert_eq!(kl, f64::INFINITY, "{p:?} vs {q:?}");
            continue;
        }
        assert!(reference.is_positive(), "reference KL must be positive");
        // Relative error; the bound adds the reference's own error.
        let rel = abs_err(kl, &reference) / ref_f64;
        assert!(
            rel <= KL_REL_BOUND + REF_REL_ERR,
            "KL({p:?}‖{q:?}) = {kl}, reference {ref_f64}: relative error {rel:e} > 70u"
        );
        checked += 1;
        if rel > worst {
            worst = rel;
            worst_case = format!("{p:?} vs {q:?}");
        }
        if gap == 1.0e-6 {
            let i = match p.family() {
                "normal" => 0,
                "exponential" => 1,
                _ => 2,
            };
            worst_at_1e6[i] = worst_at_1e6[i].max(rel);
        }
    }
    eprintln!(
        "KL vs reference: {checked} cases, worst relative error {worst:.3e} ({:.2}u) at {worst_case}",
        worst / U
    );
    eprintln!(
        "KL at relative gap 1e−6: worst relative error normal {:.3e}, exponential {:.3e}, laplace {:.3e}",
        worst_at_1e6[0], worst_at_1e6[1], worst_at_1e6[2]
    );
}

#[test]
fn cross_entropy_and_entropy_match_320_bit_reference_within_derived_bounds() {
    let mut big = Big::new();
    let mut worst_ce = 0.0_f64;
    let mut worst_h = 0.0_f64;
    for (p, q, _) in reference_cases() {
        let h = differential_entropy(&p);
        let kl = kl_divergence(&p, &q).unwrap();
        let ce = cross_entropy(&p, &q).unwrap();
        let ref_h = reference_entropy(&mut big, &p);
        let err_h = abs_err(h, &ref_h);
        let bound_h = entropy_bound(&p, h) + REF_REL_ERR * h.abs();
        assert!(
            err_h <= bound_h,
            "h({p:?}) = {h}: error {err_h:e} > {bound_h:e}"
        );
        worst_h = worst_h.max(err_h / bound_h);
        if !ce.is_finite() {
            continue;
        }
        let ref_ce = add(&ref_h, &reference_kl(&mut big, &p, &q));
        let err_ce = abs_err(ce, &ref_ce);
        let bound_ce = cross_entropy_bound(&p, h, kl, ce) + REF_REL_ERR * (h.abs() + kl);
        assert!(
            err_ce <= bound_ce,
            "H({p:?}, {q:?}) = {ce}: error {err_ce:e} > {bound_ce:e}"
        );
        worst_ce = worst_ce.max(err_ce / bound_ce);
    }
    // Entropies over a log-uniform sweep of scales, including points where
    // h ≈ 0 (there only the absolute bound is meaningful).
    let mut rng = ChaCha8Rng::seed_from_u64(REF_SEED + 1);
    for _ in 0..200 {
        let theta = rng.random_range(-30.0..30.0_f64).exp();
        let near_zero = [
            (-1.418_938_533_204_672_7_f64).exp(),
            1.0_f64.exp(),
            (-1.693_147_180_559_945_4_f64).exp(),
        ];
        for p in [
            normal(0.0, theta),
            exponential(theta),
            laplace(0.0, theta),
            normal(0.0, near_zero[0] * (1.0 + theta * 1e-14)),
            exponential(near_zero[1] * (1.0 + theta * 1e-14)),
            laplace(0.0, near_zero[2] * (1.0 + theta * 1e-14)),
        ] {
            let h = differential_entropy(&p);
            let err = abs_err(h, &reference_entropy(&mut big, &p));
            let bound = entropy_bound(&p, h) + REF_REL_ERR * h.abs();
            assert!(err <= bound, "h({p:?}) = {h}: error {err:e} > {bound:e}");
            worst_h = worst_h.max(err / bound);
        }
    }
    eprintln!(
        "entropy: worst error {worst_h:.3} of its bound; cross-entropy: {worst_ce:.3} of its bound"
    );
}

/// Reference `ln p(x)` at 320 bits, and the sum of the magnitudes of the terms
/// the library adds up.
fn reference_ln_pdf(big: &mut Big, p: &Continuous, x: f64) -> (BigFloat, f64) {
    match *p {
        Continuous::Normal { mean, std_dev } => {
            let z = div(&sub(&Big::of(x), &Big::of(mean)), &Big::of(std_dev));
            let two_pi = mul(&Big::of(2.0), &big.pi());
            let half_z2 = mul(&Big::of(0.5), &mul(&z, &z));
            let logs = add(
                &big.ln(&Big::of(std_dev)),
                &mul(&Big::of(0.5), &big.ln(&two_pi)),
            );
            let zf = (x - mean) / std_dev;
            let magnitude = 0.5 * zf * zf + std_dev.ln().abs() + 0.919;
            (add(&half_z2, &logs).neg(), magnitude)
        }
        Continuous::Exponential { rate } => {
            let value = sub(&big.ln(&Big::of(rate)), &mul(&Big::of(rate), &Big::of(x)));
            (value, rate.ln().abs() + rate * x)
        }
        Continuous::Laplace { location, scale } => {
            let d = div(&sub(&Big::of(x), &Big::of(location)).abs(), &Big::of(scale));
            let log = big.ln(&mul(&Big::of(2.0), &Big::of(scale)));
            let magnitude = (x - location).abs() / scale + scale.ln().abs() + LN_2;
            (add(&d, &log).neg(), magnitude)
        }
    }
}

#[test]
fn ln_pdf_matches_320_bit_reference_within_derived_bound() {
    let mut big = Big::new();
    let mut rng = ChaCha8Rng::seed_from_u64(REF_SEED + 4);
    let mut worst = 0.0_f64;
    for _ in 0..500 {
        let m = rng.random_range(-100.0..100.0);
        let s = rng.random_range(-10.0..10.0_f64).exp();
        let y = rng.random_range(-30.0..30.0);
        // The bounds are k·u·M with M the sum of the terms' magnitudes:
        // normal k = 7 (½z² within 5u, ln σ within 2u, the constant u, two
        // additions), exponential k = 3 (ln λ 2u, λx u, one subtraction),
        // laplace k = 4 (|x − μ|/b 2u, ln b + ln 2 3u, one subtraction).
        for (p, x, k) in [
            (normal(m, s), m + s * y, 7.0),
            (exponential(s), y.abs() / s, 3.0),
            (laplace(m, s), m + s * y, 4.0),
        ] {
            let ours = p.ln_pdf(x);
            let (reference, magnitude) = reference_ln_pdf(&mut big, &p, x);
            let err = abs_err(ours, &reference);
            let bound = k * U * magnitude + REF_REL_ERR * ours.abs();
            assert!(
                err <= bound,
                "{p:?} at {x}: ln_pdf {ours}, error {err:e} > {bound:e}"
            );
            worst = worst.max(err / bound);
        }
    }
    eprintln!("ln_pdf: worst error {worst:.3} of its bound");
}

// ---------------------------------------------------------------------------
// 6. Parameter validation
// ---------------------------------------------------------------------------

fn assert_bad(
    result: Result<Continuous, ContinuousError>,
    family: &str,
    parameter: &str,
    value: f64,
) {
    match result {
        Err(ContinuousError::BadParameter {
            family: f,
            parameter: n,
            value: v,
        }) => {
            assert_eq!((f, n), (family, parameter));
            assert!(
                v.to_bits() == value.to_bits(),
                "reported value {v} is not the rejected {value}"
            );
        }
        other => panic!("{family}.{parameter} = {value}: expected BadParameter, got {other:?}"),
    }
}

const BAD_LOCATIONS: [f64; 3] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
const BAD_SCALES: [f64; 7] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    -1.0,
    -5.0e-324,
];

#[test]
fn bad_parameters_are_rejected_naming_family_parameter_and_value() {
    for v in BAD_LOCATIONS {
        assert_bad(Continuous::normal(v, 1.0), "normal", "mean", v);
        assert_bad(Continuous::laplace(v, 1.0), "laplace", "location", v);
    }
    for v in BAD_SCALES {
        assert_bad(Continuous::normal(0.0, v), "normal", "std_dev", v);
        assert_bad(Continuous::exponential(v), "exponential", "rate", v);
        assert_bad(Continuous::laplace(0.0, v), "laplace", "scale", v);
    }
    // The location is checked before the scale.
    assert_bad(
        Continuous::normal(f64::NAN, -1.0),
        "normal",
        "mean",
        f64::NAN,
    );
    // Extreme but valid parameters are accepted.
    assert!(Continuous::normal(f64::MAX, 5.0e-324).is_ok());
    assert!(Continuous::exponential(f64::MAX).is_ok());
    assert!(Continuous::laplace(-f64::MAX, f64::MIN_POSITIVE).is_ok());
}

#[test]
fn struct_literals_with_bad_parameters_are_rejected_by_kl_and_cross_entropy() {
    let good = normal(0.0, 1.0);
    let bad = Continuous::Normal {
        mean: 0.0,
        std_dev: -2.0,
    };
    let expected = ContinuousError::BadParameter {
        family: "normal",
        parameter: "std_dev",
        value: -2.0,
    };
    assert_eq!(kl_divergence(&bad, &good), Err(expected.clone()));
    assert_eq!(kl_divergence(&good, &bad), Err(expected.clone()));
    assert_eq!(cross_entropy(&good, &bad), Err(expected));
    // A bad parameter is reported before a family mismatch.
    let bad_rate = Continuous::Exponential { rate: f64::NAN };
    assert!(matches!(
        kl_divergence(&good, &bad_rate),
        Err(ContinuousError::BadParameter {
            parameter: "rate",
            ..
        })
    ));
}

#[test]
fn mismatched_families_are_an_error_not_a_panic() {
    let all = [normal(0.0, 1.0), exponential(1.0), laplace(0.0, 1.0)];
    for p in &all {
        for q in &all {
            let expected = if p.family() == q.family() {
                None
            } else {
                Some(ContinuousError::FamilyMismatch {
                    p: p.family(),
                    q: q.family(),
                })
            };
            assert_eq!(kl_divergence(p, q).err(), expected);
            assert_eq!(cross_entropy(p, q).err(), expected);
        }
    }
    let message = kl_divergence(&all[0], &all[2]).unwrap_err().to_string();
    assert!(
        message.contains("normal") && message.contains("laplace"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------
// 7. Agreement with statrs
// ---------------------------------------------------------------------------

/// Seed of the parameter sweeps that compare with statrs.
const STATRS_SEED: u64 = 0x5354_4154_0001;

#[test]
fn differential_entropy_agrees_with_statrs_entropy() {
    let mut rng = ChaCha8Rng::seed_from_u64(STATRS_SEED);
    for _ in 0..1000 {
        let theta = rng.random_range(-30.0..30.0_f64).exp();
        let cases = [
            (
                normal(0.0, theta),
                Normal::new(0.0, theta).unwrap().entropy().unwrap(),
            ),
            (
                exponential(theta),
                Exp::new(theta).unwrap().entropy().unwrap(),
            ),
            (
                laplace(0.0, theta),
                Laplace::new(0.0, theta).unwrap().entropy().unwrap(),
            ),
        ];
        for (p, theirs) in cases {
            let ours = differential_entropy(&p);
            // statrs evaluates the same two-term sum (its constants rounded
            // once, ln within 2u, one addition; for Laplace ln(2b) with 2b
            // exact), so it obeys the same bound as ours.
            let tol = 2.0 * entropy_bound(&p, ours);
            assert!(
                (ours - theirs).abs() <= tol,
                "{p:?}: ours {ours}, statrs {theirs}, tol {tol}"
            );
        }
    }
}

#[test]
fn ln_pdf_agrees_with_statrs_ln_pdf() {
    let mut rng = ChaCha8Rng::seed_from_u64(STATRS_SEED + 1);
    for _ in 0..2000 {
        let m = rng.random_range(-100.0..100.0);
        let s = rng.random_range(-10.0..10.0_f64).exp();
        let x = m + s * rng.random_range(-30.0..30.0);
        let d = (x - m).abs() / s;
        let ln_s = s.ln().abs();

        // Normal: both sides are −½d² − ½ln 2π − ln σ with ≤ 7u·(magnitude
        // sum) error each (see `normal_ln_pdf_err`).
        let ours = normal(m, s).ln_pdf(x);
        let theirs = Normal::new(m, s).unwrap().ln_pdf(x);
        let tol = 2.0 * normal_ln_pdf_err(x, m, s);
        assert!(
            (ours - theirs).abs() <= tol,
            "normal {m} {s} at {x}: {ours} vs {theirs}"
        );

        // Exponential at x' = |x − m|: ln λ − λx' on both sides, ≤ 3u·(|ln λ| + λx')
        // each.
        let xe = (x - m).abs();
        let ours = exponential(s).ln_pdf(xe);
        let theirs = Exp::new(s).unwrap().ln_pdf(xe);
        let tol = 6.0 * U * (ln_s + s * xe);
        assert!(
            (ours - theirs).abs() <= tol,
            "exponential {s} at {xe}: {ours} vs {theirs}"
        );

        // Laplace: ours −d − (ln b + ln 2) within 4u·(d + |ln b| + ln 2);
        // statrs ln(exp(−d)/(2b)) within (4d + 4 + 2|ln 2b|)u (see the
        // quadrature test).
        let ours = laplace(m, s).ln_pdf(x);
        let theirs = Laplace::new(m, s).unwrap().ln_pdf(x);
        let tol = 4.0 * U * (d + ln_s + 0.7) + (4.0 * d + 4.0 + 2.0 * (2.0 * s).ln().abs()) * U;
        assert!(
            (ours - theirs).abs() <= tol,
            "laplace {m} {s} at {x}: {ours} vs {theirs}"
        );
    }
    assert_eq!(exponential(2.0).ln_pdf(-1.0e-300), f64::NEG_INFINITY);
}

/// Locations ±10³⁰⁸ overflow μp − μq, but the scaled difference is finite:
/// with equal scales b, KL = e^(−d/b) + d/b − 1, and d/b = 2·10²⁹⁸ here, so
/// e^(−d/b) = 0 and KL = d/b rounded (the −1 vanishes below its ulp). The
/// library takes μp/b − μq/b (two divisions and a subtraction without
/// cancellation: 3u) and then the formula's few operations: 8u relative
/// covers them.
#[test]
fn laplace_kl_survives_an_overflowing_location_difference() {
    let (p, q) = (laplace(1e308, 1e10), laplace(-1e308, 1e10));
    let want = 1e308 / 1e10 + 1e308 / 1e10;
    let got = kl_divergence(&p, &q).unwrap();
    assert!(got.is_finite(), "{got}");
    assert!((got - want).abs() <= 8.0 * U * want, "{got} vs {want}");
}
