//! The checks' inputs: batches of rows drawn from the crate's strategies,
//! prepared for the precision, and shown as named batches in a failing case.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::conformance::{Precision, Shapes};
use crate::measures::{MeasureError, normalize};
use crate::strategies::{arb_distribution_of, arb_logits_of, arb_pair_of};

/// Named input batches of a failing case.
pub(super) type Inputs = Vec<(String, Vec<Vec<f64>>)>;

/// A batch of rows.
pub(super) type Rows = Vec<Vec<f64>>;

/// Rows of (p, q) on a shared number of categories.
pub(super) type PairRows = Vec<(Vec<f64>, Vec<f64>)>;

/// A batch shape (rows, categories), each drawn from the run's fixed set
/// ([`Shapes`]), so a run sends at most |rows| × |categories| distinct
/// shapes. Shrinking moves each to a smaller member of its set, rows first.
pub(super) fn arb_shape(shapes: &Shapes) -> BoxedStrategy<(usize, usize)> {
    (
        proptest::sample::select(shapes.rows().to_vec()),
        proptest::sample::select(shapes.categories().to_vec()),
    )
        .boxed()
}

/// `count` rows drawn from `row`.
pub(super) fn rows_of<T: std::fmt::Debug + Clone + 'static>(
    count: usize,
    row: BoxedStrategy<T>,
) -> BoxedStrategy<Vec<T>> {
    proptest::collection::vec(row, count).boxed()
}

/// One row (p, q) on `n` categories.
///
/// Shrinking order: a failing batch first loses rows, then categories (the
/// sizes shrink within the run's sets and proptest draws fresh rows at each
/// smaller shape), and the values inside a row are not shrunk one by one.
/// Element-wise shrinking takes tens of steps per entry, each a call to the
/// implementation (a round trip to a process), and spent the harness's
/// 4096-step budget on rows of a hundred entries before n ever shrank; n and
/// rows are what make a case small enough to read.
pub(super) fn pair_row(n: usize) -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    arb_pair_of(n).no_shrink().boxed()
}

/// One row (p, z) on `n` categories, shrinking like [`pair_row`].
pub(super) fn logit_row(n: usize) -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    (arb_distribution_of(n), arb_logits_of(n))
        .no_shrink()
        .boxed()
}

pub(super) fn arb_pair_rows(shapes: &Shapes) -> BoxedStrategy<PairRows> {
    arb_shape(shapes)
        .prop_flat_map(|(rows, n)| rows_of(rows, pair_row(n)))
        .boxed()
}

pub(super) fn arb_logit_rows(shapes: &Shapes) -> BoxedStrategy<PairRows> {
    arb_shape(shapes)
        .prop_flat_map(|(rows, n)| rows_of(rows, logit_row(n)))
        .boxed()
}

/// Prepares a distribution for the precision: in f32, entries below f32's
/// smallest normal number are flushed to zero and the row renormalized, so
/// every input the implementation rounds to f32 keeps a relative rounding.
pub(super) fn prepared(precision: Precision, row: &[f64]) -> Result<Vec<f64>, String> {
    match precision {
        Precision::F64 => Ok(row.to_vec()),
        Precision::F32 => {
            let floor = precision.underflow();
            if row.iter().all(|&x| x == 0.0 || x >= floor) {
                return Ok(row.to_vec());
            }
            let flushed: Vec<f64> = row
                .iter()
                .map(|&x| if x < floor { 0.0 } else { x })
                .collect();
            normalize(&flushed).map_err(|e| harness_fault(&e))
        }
    }
}

pub(super) fn harness_fault(e: &MeasureError) -> String {
    format!("the kit's reference rejected a generated input (a fault of the kit): {e}")
}

/// Splits rows of (p, second) into the two batches, preparing the
/// distributions (`second` too when it is a distribution, not logits).
pub(super) fn split(
    precision: Precision,
    rows: &[(Vec<f64>, Vec<f64>)],
    second_is_distribution: bool,
) -> Result<(Rows, Rows), String> {
    let mut p = Vec::with_capacity(rows.len());
    let mut s = Vec::with_capacity(rows.len());
    for (a, b) in rows {
        p.push(prepared(precision, a)?);
        s.push(if second_is_distribution {
            prepared(precision, b)?
        } else {
            b.clone()
        });
    }
    Ok((p, s))
}

pub(super) fn shown_pairs(precision: Precision, rows: &PairRows, second: &str) -> Inputs {
    let is_distribution = second == "q";
    match split(precision, rows, is_distribution) {
        Ok((p, s)) => vec![("p".to_string(), p), (second.to_string(), s)],
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures;

    #[test]
    fn f32_preparation_flushes_tiny_entries_and_renormalizes() {
        let row = [1e-300, 0.5, 0.5 - 1e-300];
        let out = prepared(Precision::F32, &row).unwrap();
        assert_eq!(out[0], 0.0);
        assert!(measures::validate_distribution("p", &out).is_ok());
        assert_eq!(prepared(Precision::F64, &row).unwrap(), row.to_vec());
        // A row with nothing below the floor is sent as it is. This one sums
        // to 1 + 2⁻⁵³ + 2⁻⁵⁴ (within the tolerance), which rounds to 1 + 2⁻⁵²:
        // renormalizing would move both entries.
        let plain = [0.25 + f64::EPSILON / 4.0, 0.75 + f64::EPSILON / 2.0];
        assert_eq!(prepared(Precision::F32, &plain).unwrap(), plain.to_vec());
    }
}
