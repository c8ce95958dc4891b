//! `permutation`: permuting the categories of every argument changes no
//! value, and permutes the gradient.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::inputs::{Inputs, PairRows, arb_logit_rows_of, pair_row, shown_pairs, split};
use super::tolerance::{consistent, gradient_bounds, row_bounds};
use super::{CheckRun, Part};
use crate::conformance::{Op, Precision};
use crate::measures::Reduction;
use crate::strategies::{arb_batch_categories, arb_permutation, arb_rows};

/// Applies a permutation: row'[j] = row[perm[j]].
pub(super) fn permuted(row: &[f64], perm: &[usize]) -> Vec<f64> {
    perm.iter().map(|&j| row[j]).collect()
}

/// The batch followed by its permuted copy.
pub(super) fn with_permuted(rows: &[Vec<f64>], perm: &[usize]) -> Vec<Vec<f64>> {
    rows.iter()
        .cloned()
        .chain(rows.iter().map(|r| permuted(r, perm)))
        .collect()
}

pub(super) fn arb_permuted(logits: bool) -> BoxedStrategy<(PairRows, Vec<usize>)> {
    arb_batch_categories()
        .prop_flat_map(move |n| {
            let rows = if logits {
                arb_logit_rows_of(n)
            } else {
                arb_rows(n, pair_row(n))
            };
            (rows, arb_permutation(n))
        })
        .boxed()
}

pub(super) fn shown_permuted(
    precision: Precision,
    (rows, perm): &(PairRows, Vec<usize>),
    second: &str,
) -> Inputs {
    let mut inputs = shown_pairs(precision, rows, second);
    inputs.push((
        "permutation".to_string(),
        vec![perm.iter().map(|&j| j as f64).collect()],
    ));
    inputs
}

/// `permutation`: one request of 2R rows per operation, the batch and the
/// batch with its categories permuted.
pub(super) fn permutation(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let values = |ops: &'static [Op], logits: bool| {
        let second = if logits { "logits" } else { "q" };
        c.part(
            if logits { "logits" } else { "probabilities" },
            arb_permuted(logits),
            move |(rows, perm), w| {
                let (p, s) = split(precision, rows, !logits)?;
                let (pp, sp) = (with_permuted(&p, perm), with_permuted(&s, perm));
                let r_count = p.len();
                for &op in ops {
                    let Some(v) = c.per_row(op, &pp, &sp)? else {
                        continue;
                    };
                    let b = row_bounds(precision, op, &p, &s);
                    for r in 0..r_count {
                        consistent(
                            w,
                            &format!("{} of row {r}, categories permuted", op.name()),
                            v[r_count + r],
                            v[r],
                            2.0 * b[r],
                        )?;
                    }
                }
                if logits {
                    if let Some(g) = c.gradient(&pp, &sp, Reduction::None)? {
                        for r in 0..r_count {
                            let b = gradient_bounds(precision, &p[r], &s[r], r_count, Reduction::None);
                            for (j, &from) in perm.iter().enumerate() {
                                consistent(
                                    w,
                                    &format!(
                                        "cross_entropy_logits_grad of row {r}, entry {j} of the permuted row (entry {from} of the original)"
                                    ),
                                    g[r_count + r][j],
                                    g[r][from],
                                    2.0 * b[from],
                                )?;
                            }
                        }
                    }
                }
                Ok(())
            },
            move |case| shown_permuted(precision, case, second),
        )
    };
    vec![
        values(&[Op::Entropy, Op::CrossEntropy, Op::KlDivergence], false),
        values(&[Op::CrossEntropyLogits], true),
    ]
}
