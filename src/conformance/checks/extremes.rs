//! `zero-semantics` and `stability`: the inputs at the extremes, rows with
//! zeros (0·ln 0 = 0, +∞ where q = 0 < p) and logits up to ±1e4.

use proptest::prelude::*;

use super::inputs::{
    PairRows, Rows, arb_logit_rows, harness_fault, pair_row, prepared, shown_pairs, split,
};
use super::tolerance::{against_exact, exact_rows, mismatch, row_bounds};
use super::{CheckRun, Part};
use crate::conformance::{Op, Precision};
use crate::measures::{Reduction, normalize};
use crate::strategies::{arb_batch_categories, arb_rows};

/// Rows of ((p, q), index of a category to insert).
pub(super) type ZeroRows = [((Vec<f64>, Vec<f64>), usize)];

/// Inserts `value` at `index`.
pub(super) fn inserted(row: &[f64], index: usize, value: f64) -> Vec<f64> {
    let mut v = row.to_vec();
    v.insert(index.min(v.len()), value);
    v
}

/// The zero-semantics batch: for each (p, q) and index k, three rows on n + 1
/// categories with a new category at k (where it is positive, it enters with
/// a uniform share 1/(n + 1) and the row is renormalized):
/// A: p₍ₖ₎ = 0 < q₍ₖ₎ (0·ln 0 in H and in KL's p·ln p);
/// B: p₍ₖ₎ = q₍ₖ₎ = 0 (0·ln 0 everywhere);
/// C: p₍ₖ₎ > 0 = q₍ₖ₎ (CE = KL = +∞).
pub(super) fn zero_rows(precision: Precision, rows: &ZeroRows) -> Result<(Rows, Rows), String> {
    let mut ps = Vec::with_capacity(3 * rows.len());
    let mut qs = Vec::with_capacity(3 * rows.len());
    for ((p, q), k) in rows {
        let (p, q) = (prepared(precision, p)?, prepared(precision, q)?);
        let weight = 1.0 / (p.len() as f64 + 1.0);
        let p0 = inserted(&p, *k, 0.0);
        let q0 = inserted(&q, *k, 0.0);
        let q_plus = normalize(&inserted(&q, *k, weight)).map_err(|e| harness_fault(&e))?;
        let p_plus = normalize(&inserted(&p, *k, weight)).map_err(|e| harness_fault(&e))?;
        ps.extend([p0.clone(), p0, prepared(precision, &p_plus)?]);
        qs.extend([prepared(precision, &q_plus)?, q0.clone(), q0]);
    }
    Ok((ps, qs))
}

/// `zero-semantics`: entropy, CE and KL on rows with zeros, against the exact
/// values; +∞ required exactly where q = 0 < p.
pub(super) fn zero_semantics(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let strategy = arb_batch_categories()
        .prop_flat_map(|n| arb_rows(n, (pair_row(n), 0..=n).boxed()))
        .boxed();
    let run = c.part(
        "proptest",
        strategy,
        |rows, w| {
            let (p, q) = zero_rows(precision, rows)?;
            for op in [Op::Entropy, Op::CrossEntropy, Op::KlDivergence] {
                let exact = exact_rows(op, &p, &q)?;
                let Some(got) = c.per_row(op, &p, &q)? else {
                    continue;
                };
                let bounds = row_bounds(precision, op, &p, &q);
                for (r, ((&g, &e), &b)) in got.iter().zip(&exact).zip(&bounds).enumerate() {
                    let kind = ["p = 0 < q", "p = q = 0", "q = 0 < p"][r % 3];
                    let what = format!(
                        "{} of row {r} (a category with {kind}; exact {e:e})",
                        op.name()
                    );
                    w.require(!g.is_nan(), || mismatch(&what, g, e, b))?;
                    against_exact(w, &what, g, e, b)?;
                }
            }
            Ok(())
        },
        |rows| match zero_rows(precision, rows) {
            Ok((p, q)) => vec![("p".to_string(), p), ("q".to_string(), q)],
            Err(_) => Vec::new(),
        },
    );
    vec![run]
}

/// Logits scaled so that the largest |zᵢ| of each row is 1e4.
pub(super) fn scaled_logits(rows: &PairRows) -> PairRows {
    rows.iter()
        .map(|(p, z)| {
            let m = z.iter().map(|x| x.abs()).fold(0.0, f64::max);
            let z = if m > 0.0 {
                z.iter().map(|x| x * (1e4 / m)).collect()
            } else {
                z.clone()
            };
            (p.clone(), z)
        })
        .collect()
}

/// `stability`: logits up to ±1e4 give finite losses and gradients.
pub(super) fn stability(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.part(
        "proptest",
        arb_logit_rows(),
        |rows, w| {
            let (p, z) = split(precision, &scaled_logits(rows), false)?;
            if let Some(v) = c.per_row(Op::CrossEntropyLogits, &p, &z)? {
                for (r, x) in v.iter().enumerate() {
                    w.require(x.is_finite(), || {
                        format!("cross_entropy_logits of row {r} with |z| up to 1e4 is {x:e}, not finite")
                    })?;
                }
            }
            if let Some(g) = c.gradient(&p, &z, Reduction::None)? {
                for (r, row) in g.iter().enumerate() {
                    if let Some(i) = row.iter().position(|x| !x.is_finite()) {
                        return Err(format!(
                            "cross_entropy_logits_grad of row {r} with |z| up to 1e4: entry {i} is {:e}, not finite",
                            row[i]
                        )
                        .into());
                    }
                }
            }
            Ok(())
        },
        |rows| shown_pairs(precision, &scaled_logits(rows), "logits"),
    );
    vec![run]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::U;

    /// The zero rows for p = (½, ½), q = (¼, ¾) and k = 1: the new category
    /// enters with 1/3 where it is positive, then the row is renormalized:
    /// (¼, ⅓, ¾)·¾ = (3/16, ¼, 9/16) and (½, ⅓, ½)·¾ = (3/8, ¼, 3/8).
    /// 1/3 rounds, the sum 4/3 rounds and each division rounds: the entries
    /// are within 3u of these fractions.
    #[test]
    fn zero_rows_insert_a_uniform_share_and_renormalize() {
        let rows = [((vec![0.5, 0.5], vec![0.25, 0.75]), 1)];
        let (ps, qs) = zero_rows(Precision::F64, &rows).unwrap();
        let close = |got: &[f64], want: [f64; 3]| {
            assert_eq!(got.len(), 3);
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= 3.0 * U * w, "{got:?} vs {want:?}");
            }
        };
        assert_eq!(ps[0], vec![0.5, 0.0, 0.5]);
        close(&qs[0], [3.0 / 16.0, 0.25, 9.0 / 16.0]);
        assert_eq!(
            (ps[1].clone(), qs[1].clone()),
            (vec![0.5, 0.0, 0.5], vec![0.25, 0.0, 0.75])
        );
        close(&ps[2], [3.0 / 8.0, 0.25, 3.0 / 8.0]);
        assert_eq!(qs[2], vec![0.25, 0.0, 0.75]);
    }
}
