//! `permutation`: permuting the categories of every argument changes no
//! value, and permutes the gradient.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::inputs::{
    Inputs, PairRows, arb_shape, logit_row, pair_row, rows_of, shown_pairs, split,
};
use super::tolerance::{consistent, gradient_bounds, row_bounds};
use super::{CheckRun, Part};
use crate::conformance::{Op, Precision, Shapes};
use crate::measures::Reduction;
use crate::strategies::arb_permutation;

/// Applies a permutation: row'[j] = row[perm[j]].
pub(super) fn permuted(row: &[f64], perm: &[usize]) -> Vec<f64> {
    perm.iter().map(|&j| row[j]).collect()
}

/// Every row of the batch permuted.
pub(super) fn all_permuted(rows: &[Vec<f64>], perm: &[usize]) -> Vec<Vec<f64>> {
    rows.iter().map(|r| permuted(r, perm)).collect()
}

pub(super) fn arb_permuted(shapes: &Shapes, logits: bool) -> BoxedStrategy<(PairRows, Vec<usize>)> {
    arb_shape(shapes)
        .prop_flat_map(move |(count, n)| {
            let row = if logits { logit_row(n) } else { pair_row(n) };
            (rows_of(count, row), arb_permutation(n))
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

/// `permutation`: two requests per operation, the batch and the batch with
/// its categories permuted (two requests of the batch's shape, not one of
/// twice its rows, so the run sends no shape beyond its sets).
pub(super) fn permutation(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let values = |ops: &'static [Op], logits: bool| {
        let second = if logits { "logits" } else { "q" };
        c.part(
            if logits { "logits" } else { "probabilities" },
            arb_permuted(c.shapes(), logits),
            move |(rows, perm), w| {
                let (p, s) = split(precision, rows, !logits)?;
                let (pp, sp) = (all_permuted(&p, perm), all_permuted(&s, perm));
                let r_count = p.len();
                for &op in ops {
                    let Some(original) = c.per_row(op, &p, &s)? else {
                        continue;
                    };
                    let Some(moved) = c.per_row(op, &pp, &sp)? else {
                        continue;
                    };
                    let b = row_bounds(precision, op, &p, &s);
                    for r in 0..r_count {
                        consistent(
                            w,
                            &format!("{} of row {r}, categories permuted", op.name()),
                            moved[r],
                            original[r],
                            2.0 * b[r],
                        )?;
                    }
                }
                if logits {
                    let original = c.gradient(&p, &s, Reduction::None)?;
                    let moved = c.gradient(&pp, &sp, Reduction::None)?;
                    if let (Some(g), Some(gp)) = (original, moved) {
                        for r in 0..r_count {
                            let b = gradient_bounds(precision, &p[r], &s[r], r_count, Reduction::None);
                            for (j, &from) in perm.iter().enumerate() {
                                consistent(
                                    w,
                                    &format!(
                                        "cross_entropy_logits_grad of row {r}, entry {j} of the permuted row (entry {from} of the original)"
                                    ),
                                    gp[r][j],
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
