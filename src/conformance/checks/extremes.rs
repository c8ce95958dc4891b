//! `zero-semantics` and `stability`: the inputs at the extremes, rows with
//! zeros (0·ln 0 = 0, +∞ where q = 0 < p) and logits up to ±1e4.

use proptest::prelude::*;

use super::inputs::{
    PairRows, Rows, arb_logit_rows, harness_fault, pair_row, prepared, rows_of, shown_pairs, split,
};
use super::tolerance::{against_exact, exact_rows, mismatch, row_bounds};
use super::{CheckRun, Part};
use crate::conformance::{Op, Precision};
use crate::measures::{Reduction, normalize};

/// Rows of ((p, q), index of a category to insert, kind of zero 0 to 3).
pub(super) type ZeroRows = [((Vec<f64>, Vec<f64>), usize, usize)];

/// The kinds of zero row, by number.
const ZERO_KINDS: [&str; 4] = [
    "p = 0 < q",
    "p = q = 0",
    "q = 0 < p",
    "q = 0 < p = 1 (a one-hot target on a category of probability 0)",
];

/// Inserts `value` at `index`.
pub(super) fn inserted(row: &[f64], index: usize, value: f64) -> Vec<f64> {
    let mut v = row.to_vec();
    v.insert(index.min(v.len()), value);
    v
}

/// The zero-semantics batch: for each (p, q) on n − 1 categories, index k
/// and kind, one row on n categories with a new category at k (where it is
/// positive, it enters with a uniform share 1/n and the row is
/// renormalized), of kind
/// 0: p₍ₖ₎ = 0 < q₍ₖ₎ (0·ln 0 in H and in KL's p·ln p);
/// 1: p₍ₖ₎ = q₍ₖ₎ = 0 (0·ln 0 everywhere);
/// 2: p₍ₖ₎ > 0 = q₍ₖ₎ (CE = KL = +∞);
/// 3: p = eₖ, one-hot at k, and q₍ₖ₎ = 0 (CE = KL = +∞ for a hard label:
///    the case a metric that takes labels, and clips q, meets).
///
/// The batch keeps the shape (rows, n) the run drew, so it is one of the
/// run's shapes.
pub(super) fn zero_rows(precision: Precision, rows: &ZeroRows) -> Result<(Rows, Rows), String> {
    let mut ps = Vec::with_capacity(rows.len());
    let mut qs = Vec::with_capacity(rows.len());
    for ((p, q), k, kind) in rows {
        let (p, q) = (prepared(precision, p)?, prepared(precision, q)?);
        let weight = 1.0 / (p.len() as f64 + 1.0);
        let zero = |row: &[f64]| inserted(row, *k, 0.0);
        let share = |row: &[f64]| -> Result<Vec<f64>, String> {
            let row = normalize(&inserted(row, *k, weight)).map_err(|e| harness_fault(&e))?;
            prepared(precision, &row)
        };
        let (p, q) = match kind {
            0 => (zero(&p), share(&q)?),
            1 => (zero(&p), zero(&q)),
            2 => (share(&p)?, zero(&q)),
            _ => {
                let mut hot = vec![0.0; p.len() + 1];
                hot[(*k).min(p.len())] = 1.0;
                (hot, zero(&q))
            }
        };
        ps.push(p);
        qs.push(q);
    }
    Ok((ps, qs))
}

/// `zero-semantics`: entropy, CE and KL on rows with zeros, against the exact
/// values; +∞ required exactly where q = 0 < p.
pub(super) fn zero_semantics(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    // A zero needs a second category: the sizes of 2 and more.
    let categories: Vec<usize> = c
        .shapes()
        .categories()
        .iter()
        .copied()
        .filter(|&n| n >= 2)
        .collect();
    if categories.is_empty() {
        return Vec::new();
    }
    let strategy = (
        proptest::sample::select(c.shapes().rows().to_vec()),
        proptest::sample::select(categories),
    )
        .prop_flat_map(|(rows, n)| rows_of(rows, (pair_row(n - 1), 0..n, 0..4usize).boxed()))
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
                    let kind = ZERO_KINDS[rows[r].2];
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
        arb_logit_rows(c.shapes()),
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

    /// The zero rows for p = (½, ½), q = (¼, ¾) and k = 1, one of each kind:
    /// the new category enters with 1/3 where it is positive, then the row is
    /// renormalized: (¼, ⅓, ¾)·¾ = (3/16, ¼, 9/16) and (½, ⅓, ½)·¾ =
    /// (3/8, ¼, 3/8). 1/3 rounds, the sum 4/3 rounds and each division
    /// rounds: the entries are within 3u of these fractions.
    #[test]
    fn zero_rows_insert_a_uniform_share_and_renormalize() {
        let pq = (vec![0.5, 0.5], vec![0.25, 0.75]);
        let rows = [(pq.clone(), 1, 0), (pq.clone(), 1, 1), (pq, 1, 2)];
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
