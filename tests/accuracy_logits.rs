//! Accuracy as a stated, tested property: CE and KL from logits, against the 320-bit
//! reference in `tests/common/reference.rs`, with each bound either a target
//! the crate states or derived from the computation.
//!
//! Notation: u = 2⁻⁵³ is the unit roundoff; an error in ULP is measured
//! against the spacing of f64 at the reference value. A libm `ln`, `exp` or
//! `ln_1p` is taken to be within 1 ULP, that is 2u relative.
//!
//! Every test prints its worst cases as rows of one table; to see it whole:
//! `cargo test --test accuracy_logits -- --nocapture --test-threads=1`.
//!
//! Cost: a 320-bit logarithm takes about 50 µs, so the reference work is
//! kept near 5·10⁴ `ln`/`exp` evaluations in all (each test prints its count).

mod common;

use common::accuracy::{
    Worst, abs_error, dirichlet, exp_weights, print_evaluations, print_rows, ratio,
};
use common::reference::Reference;
use logloss_proofs::measures::{
    cross_entropy_logits, kl_divergence_logits, log_softmax, normalize,
};
use logloss_proofs::numerics::U;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED_LOGITS: u64 = 0x5EED_0007;
const SEED_NEAR_SOFTMAX: u64 = 0x5EED_0008;

// ---------------------------------------------------------------------------
// Logits

/// First-order error bounds for the logit forms, derived from how
/// `src/measures/logits.rs` computes them; every ingredient is taken from the
/// reference (log q rounded to f64, ample for a bound).
///
/// With m = max z (first maximum, as the crate takes it), aᵢ = m − zᵢ ≥ 0,
/// rest = Σ_{j≠argmax} exp(−aⱼ) and nllᵢ = aᵢ + ln(1 + rest) = −ln qᵢ:
/// - exp(fl(−aⱼ)) carries u·aⱼ (the rounding of the exponent) + 2u (libm);
///   the compensated sum adds 2u·rest; ln_1p maps Δrest to Δrest/(1 + rest)
///   and adds 2u: e_rest = u·Σ_{j≠argmax} qⱼ(aⱼ + 4) + 2u·ln(1 + rest);
/// - nllᵢ = fl(fl(aᵢ) + ln_rest): error ≤ 2u·nllᵢ + e_rest, since aᵢ ≤ nllᵢ;
/// - CE = Σ fl(pᵢ·nllᵢ), non-negative terms, compensated:
///   ≤ 5u·CE + e_rest·Σp (+ n²u²·CE);
/// - KL: δᵢ = fl(ln pᵢ + nllᵢ) errs by 2u|ln pᵢ| + err(nllᵢ) + u|δᵢ|; the
///   term pᵢψ(δᵢ) has derivative pᵢ − qᵢ in δ, and its evaluation adds at
///   most 9u relative for |δ| ≤ 1 (Horner: 2u·Σ(j+1)|cⱼ| = 2u absolute on a
///   polynomial ≥ 0.368, plus three products) or, for |δ| > 1, where
///   (qᵢ − pᵢ) + pᵢδᵢ uses the computed qᵢ, u per operation plus 2u·qᵢ; a
///   term with pᵢ = 0 adds qᵢ with error qᵢ(err(nllᵢ) + 2u); the compensated
///   sum adds 2u·KL + n²u²·Σ|terms|.
///
/// Near |δ| = 1 either branch may be taken, so for |δ| > 1/2 both branches'
/// rounding is counted and the weight is pᵢ + qᵢ instead of |pᵢ − qᵢ|.
struct LogitBounds {
    ce: f64,
    kl: f64,
    /// Bound on |log_softmax(z)ᵢ − ln qᵢ|, per entry.
    log_softmax: Vec<f64>,
}

fn logit_bounds(p: &[f64], z: &[f64], log_q: &[f64], ce: f64, kl: f64) -> LogitBounds {
    let n = p.len() as f64;
    let argmax = (0..z.len()).fold(0, |best, i| if z[i] > z[best] { i } else { best });
    let m = z[argmax];
    let ln_rest = -log_q[argmax];
    let mut e_rest = 2.0 * U * ln_rest;
    for (j, (&zj, &lq)) in z.iter().zip(log_q).enumerate() {
        if j != argmax {
            e_rest += U * lq.exp() * ((m - zj) + 4.0);
        }
    }
    let p_sum: f64 = p.iter().sum();
    let ce_bound = 5.0 * U * ce + e_rest * p_sum + n * n * U * U * ce;
    let mut kl_bound = 2.0 * U * kl + n * n * U * U * (3.0 + kl);
    let mut ls_bound = Vec::with_capacity(p.len());
    for (&pi, &lq) in p.iter().zip(log_q) {
        let (q, nll) = (lq.exp(), -lq);
        let err_nll = 2.0 * U * nll + e_rest;
        ls_bound.push(err_nll);
        if pi == 0.0 {
            kl_bound += q * (err_nll + 2.0 * U);
            continue;
        }
        let lp = pi.ln();
        let delta = lp + nll;
        let err_delta = 2.0 * U * lp.abs() + err_nll + U * delta.abs();
        if delta.abs() <= 0.5 {
            // ψ(δ) = e^(−δ) − 1 + δ ≤ (δ²/2)·e^|δ| (its series, term by term).
            let psi = 0.5 * delta * delta * delta.abs().exp();
            let p_minus_q = pi * (-delta).exp_m1().abs();
            kl_bound += p_minus_q * err_delta + 9.0 * U * pi * psi;
        } else {
            let psi_far = (q / pi - 1.0 + delta).abs();
            kl_bound += (pi + q) * err_delta
                + 2.0 * U * (q + pi + pi * delta.abs() + pi * psi_far)
                + 9.0 * U * pi * psi_far;
        }
    }
    LogitBounds {
        ce: ce_bound,
        kl: kl_bound,
        log_softmax: ls_bound,
    }
}

/// Cells for one class of logit inputs.
struct LogitCells {
    ce_ratio: Worst,
    ce_rel: Worst,
    kl_ratio: Worst,
    kl_rel: Worst,
    ls_ratio: Worst,
}

impl LogitCells {
    fn new(class: &str) -> Self {
        LogitCells {
            ce_ratio: Worst::new("CE logits", class, "err/bound", "≤ 1 (derived)"),
            ce_rel: Worst::new("CE logits", class, "relative", "reported"),
            kl_ratio: Worst::new("KL logits", class, "err/bound", "≤ 1 (derived)"),
            kl_rel: Worst::new("KL logits", class, "relative", "reported"),
            ls_ratio: Worst::new("log_softmax", class, "err/bound", "≤ 1 (derived)"),
        }
    }

    fn print(&self) {
        print_rows(&[
            &self.ce_ratio,
            &self.ce_rel,
            &self.kl_ratio,
            &self.kl_rel,
            &self.ls_ratio,
        ]);
    }
}

/// Compares the three logit functions with the reference, within the
/// derived bounds.
fn check_logits(
    reference: &mut Reference,
    p: &[f64],
    z: &[f64],
    cells: &mut LogitCells,
    at: &dyn Fn() -> String,
) {
    let log_q_big = reference.log_softmax(z);
    let ce_exact = reference.cross_entropy_from_log_q(p, &log_q_big);
    let kl_exact = reference.kl_from_log_q(p, &log_q_big);
    let log_q: Vec<f64> = log_q_big.iter().map(|v| reference.nearest_f64(v)).collect();
    let (ce_ref, kl_ref) = (
        reference.nearest_f64(&ce_exact),
        reference.nearest_f64(&kl_exact),
    );
    let bounds = logit_bounds(p, z, &log_q, ce_ref, kl_ref);

    let ce = cross_entropy_logits(p, z).expect("valid p, z");
    let kl = kl_divergence_logits(p, z).expect("valid p, z");
    assert!(
        ce.is_finite() && kl.is_finite(),
        "finite for finite logits ({})",
        at()
    );

    let ce_err = abs_error(reference, ce, &ce_exact);
    let kl_err = abs_error(reference, kl, &kl_exact);
    cells.ce_ratio.record(ratio(ce_err, bounds.ce), at);
    cells.kl_ratio.record(ratio(kl_err, bounds.kl), at);
    if ce_ref != 0.0 {
        cells.ce_rel.record(ce_err / ce_ref, at);
    }
    if kl_ref != 0.0 {
        cells.kl_rel.record(kl_err / kl_ref, at);
    }
    assert!(
        ce_err <= bounds.ce,
        "CE = {ce:e}, reference {ce_ref:e}: error {ce_err:e} > bound {:e} ({})",
        bounds.ce,
        at()
    );
    assert!(
        kl_err <= bounds.kl,
        "KL = {kl:e}, reference {kl_ref:e}: error {kl_err:e} > bound {:e} ({})",
        bounds.kl,
        at()
    );

    let ls = log_softmax(z).expect("finite logits");
    for (i, (&l, exact)) in ls.iter().zip(&log_q_big).enumerate() {
        let err = abs_error(reference, l, exact);
        cells.ls_ratio.record(ratio(err, bounds.log_softmax[i]), at);
        assert!(
            err <= bounds.log_softmax[i],
            "log_softmax[{i}] = {l:e}: error {err:e} > bound {:e} ({})",
            bounds.log_softmax[i],
            at()
        );
    }
}

/// A Dirichlet p with about a fifth of its entries set to zero (at least one
/// entry kept), so that KL's Σ_{p=0} q part is exercised.
fn dirichlet_with_zeros(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    let mut w = exp_weights(rng, n);
    for x in w.iter_mut().skip(1) {
        if rng.random::<f64>() < 0.2 {
            *x = 0.0;
        }
    }
    normalize(&w).expect("w[0] > 0")
}

/// Logits uniform in [−s, s] for s = 1, 10, 30, and up to ±1e4, where
/// exp(zᵢ − max z) underflows for all but the top entries: CE and KL stay
/// finite and match the reference within the derived bounds.
#[test]
fn logits_measures_match_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_LOGITS);
    let mut reference = Reference::new();
    let mut moderate = LogitCells::new("logits in [−30, 30], n = 2..100");
    let mut large = LogitCells::new("logits in [−1e4, 1e4], n = 2..10");
    for n in [2, 3, 10, 100] {
        for case in 0..24 {
            let s = [1.0, 10.0, 30.0][case % 3];
            let p = dirichlet_with_zeros(&mut rng, n);
            let z: Vec<f64> = (0..n)
                .map(|_| s * (2.0 * rng.random::<f64>() - 1.0))
                .collect();
            check_logits(&mut reference, &p, &z, &mut moderate, &|| {
                format!("n = {n}, s = {s}, case {case}")
            });
        }
    }
    for n in [2, 3, 10] {
        for case in 0..10 {
            let p = dirichlet_with_zeros(&mut rng, n);
            let z: Vec<f64> = (0..n)
                .map(|_| 1e4 * (2.0 * rng.random::<f64>() - 1.0))
                .collect();
            check_logits(&mut reference, &p, &z, &mut large, &|| {
                format!("n = {n}, case {case}")
            });
        }
    }
    // The extremes by hand: ±1e4 with the mass on either end.
    for (p, z) in [
        (vec![0.5, 0.5], vec![1e4, -1e4]),
        (vec![0.0, 1.0], vec![1e4, -1e4]),
        (vec![1.0, 0.0], vec![1e4, -1e4]),
        (vec![0.25, 0.25, 0.5], vec![-1e4, 1e4, 0.0]),
    ] {
        check_logits(&mut reference, &p, &z, &mut large, &|| {
            format!("p = {p:?}, z = {z:?}")
        });
    }
    moderate.print();
    large.print();
    print_evaluations("logits", &reference);
}

/// zᵢ = ln pᵢ + c + 1e−6·rᵢ: softmax(z) equals p up to about 1e−6, KL ≈ 1e−13.
/// The documented accuracy is then about u·|ln p|/|δ| ≈ 1e−10·|ln p|
/// relative; the derived bound above makes that precise per case.
#[test]
fn logits_near_softmax_keep_kl_accuracy() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_NEAR_SOFTMAX);
    let mut reference = Reference::new();
    let mut cells = LogitCells::new("z = ln p + c + 1e-6·r, n = 3..100");
    for n in [3, 10, 100] {
        for case in 0..10 {
            let p = dirichlet(&mut rng, n);
            let c = 10.0 * (2.0 * rng.random::<f64>() - 1.0);
            let z: Vec<f64> = p
                .iter()
                .map(|x| x.ln() + c + 1e-6 * (2.0 * rng.random::<f64>() - 1.0))
                .collect();
            check_logits(&mut reference, &p, &z, &mut cells, &|| {
                format!("n = {n}, case {case}")
            });
        }
    }
    cells.print();
    print_evaluations("near softmax", &reference);
}
