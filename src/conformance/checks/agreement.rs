//! `agreement/OP`: each operation's per-row values against the exact ones.

use super::inputs::{arb_logit_rows, arb_pair_rows, shown_pairs, split};
use super::tolerance::{against_exact, exact_rows, row_bounds};
use super::{CheckRun, Part};
use crate::conformance::Op;

/// `agreement/OP`: each row's value against the exact value.
pub(super) fn agreement(c: &CheckRun<'_, '_>, op: Op) -> Vec<Part> {
    let precision = c.precision();
    let (strategy, second) = match op {
        Op::CrossEntropyLogits => (arb_logit_rows(c.shapes()), "logits"),
        Op::Entropy => (arb_pair_rows(c.shapes()), ""),
        _ => (arb_pair_rows(c.shapes()), "q"),
    };
    let run = c.part(
        "proptest",
        strategy,
        |rows, w| {
            let (p, s) = split(precision, rows, second == "q")?;
            let exact = exact_rows(op, &p, &s)?;
            let Some(got) = c.per_row(op, &p, &s)? else {
                return Ok(());
            };
            let bounds = row_bounds(precision, op, &p, &s);
            for (r, ((&g, &e), &b)) in got.iter().zip(&exact).zip(&bounds).enumerate() {
                against_exact(w, &format!("{} of row {r}", op.name()), g, e, b)?;
            }
            Ok(())
        },
        |rows| match op {
            Op::Entropy => shown_pairs(precision, rows, "q")
                .into_iter()
                .take(1)
                .collect(),
            _ => shown_pairs(precision, rows, second),
        },
    );
    vec![run]
}
