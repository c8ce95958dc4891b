//! Reductions of batched measures: consistent with the per-row values, and
//! their names.
//!
//! u = 2⁻⁵³ throughout; ε = 2u = f64::EPSILON.

use logloss_proofs::measures::{
    Reduced, Reduction, cross_entropy, cross_entropy_logits, cross_entropy_logits_rows,
    cross_entropy_rows, entropy, entropy_rows, kl_divergence, kl_divergence_logits,
    kl_divergence_logits_rows, kl_divergence_rows, normalize,
};
use logloss_proofs::numerics::compensated_sum;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use logloss_proofs::numerics::U;

const SEED_REDUCTIONS: u64 = 0x7A11_0001;

// ---------------------------------------------------------------------------
// Reductions

fn per_row(r: Reduced) -> Vec<f64> {
    match r {
        Reduced::PerRow(v) => v,
        Reduced::Total(t) => panic!("expected per-row values, got Total({t})"),
    }
}

fn total(r: Reduced) -> f64 {
    match r {
        Reduced::Total(t) => t,
        Reduced::PerRow(v) => panic!("expected a total, got {v:?}"),
    }
}

/// A batched function (taking any reduction), and the single-row function
/// its rows must agree with.
type Batched = dyn Fn(&[Vec<f64>], &[Vec<f64>], Reduction) -> Reduced;
type Single = dyn Fn(&[f64], &[f64]) -> f64;

/// None gives exactly the single-row values; Sum is their compensated sum,
/// bit for bit; BatchMean is that sum divided by the number of rows: exactly
/// sum/R when R is a power of two, and otherwise within one rounding, i.e.
/// |BatchMean·R − Sum| ≤ u·|Sum|. (That residual is a small multiple of the
/// spacing at BatchMean, so `mul_add` returns it exactly.)
fn check_reductions(
    name: &str,
    batched: &Batched,
    single: &Single,
    p: &[Vec<f64>],
    q: &[Vec<f64>],
) {
    let rows = p.len() as f64;
    let values = per_row(batched(p, q, Reduction::None));
    for (r, v) in values.iter().enumerate() {
        assert_eq!(
            v.to_bits(),
            single(&p[r], &q[r]).to_bits(),
            "{name} row {r}"
        );
    }
    let sum = total(batched(p, q, Reduction::Sum));
    assert_eq!(
        sum.to_bits(),
        compensated_sum(&values).to_bits(),
        "{name} sum"
    );
    let mean = total(batched(p, q, Reduction::BatchMean));
    assert_eq!(mean.to_bits(), (sum / rows).to_bits(), "{name} batchmean");
    if p.len().is_power_of_two() {
        assert_eq!(mean * rows, sum, "{name}: batchmean·R = sum for R = {rows}");
    } else {
        let residual = mean.mul_add(rows, -sum);
        assert!(
            residual.abs() <= U * sum.abs(),
            "{name}: batchmean·R − sum = {residual:e} for R = {rows}"
        );
    }
}

#[test]
fn reductions_agree_with_per_row_values() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_REDUCTIONS);
    let mut dirichlet = |n: usize| {
        let w: Vec<f64> = (0..n).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
        normalize(&w).unwrap()
    };
    for rows in [1usize, 2, 3, 4, 5, 7, 8, 16] {
        let n = 1 + rows % 5;
        let p: Vec<Vec<f64>> = (0..rows).map(|_| dirichlet(n)).collect();
        let q: Vec<Vec<f64>> = (0..rows).map(|_| dirichlet(n)).collect();
        let z: Vec<Vec<f64>> = q
            .iter()
            .map(|r| r.iter().map(|x| 3.0 * x.ln()).collect())
            .collect();
        check_reductions(
            "entropy_rows",
            &|p, _, red| entropy_rows(p, red).unwrap(),
            &|p, _| entropy(p).unwrap(),
            &p,
            &q,
        );
        check_reductions(
            "cross_entropy_rows",
            &|p, q, red| cross_entropy_rows(p, q, red).unwrap(),
            &|p, q| cross_entropy(p, q).unwrap(),
            &p,
            &q,
        );
        check_reductions(
            "kl_divergence_rows",
            &|p, q, red| kl_divergence_rows(p, q, red).unwrap(),
            &|p, q| kl_divergence(p, q).unwrap(),
            &p,
            &q,
        );
        check_reductions(
            "cross_entropy_logits_rows",
            &|p, z, red| cross_entropy_logits_rows(p, z, red).unwrap(),
            &|p, z| cross_entropy_logits(p, z).unwrap(),
            &p,
            &z,
        );
        check_reductions(
            "kl_divergence_logits_rows",
            &|p, z, red| kl_divergence_logits_rows(p, z, red).unwrap(),
            &|p, z| kl_divergence_logits(p, z).unwrap(),
            &p,
            &z,
        );
    }
}

#[test]
fn reduction_names_round_trip() {
    for r in [Reduction::None, Reduction::Sum, Reduction::BatchMean] {
        assert_eq!(Reduction::parse(r.name()), Some(r));
    }
    assert_eq!(Reduction::None.name(), "none");
    assert_eq!(Reduction::Sum.name(), "sum");
    assert_eq!(Reduction::BatchMean.name(), "batchmean");
    // PyTorch's "mean" (over rows × classes) is deliberately not offered.
    assert_eq!(Reduction::parse("mean"), None);
    assert_eq!(Reduction::parse("Sum"), None);
}
