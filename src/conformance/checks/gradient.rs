//! `gradient`: each reduction's gradient against softmax(z) − p (÷ R under
//! `batchmean`).

use super::inputs::{arb_logit_rows, harness_fault};
use super::tolerance::{against_exact, gradient_bounds};
use super::{CheckRun, Part, REDUCTIONS};
use crate::measures::reference_gradient;

/// `gradient`: each reduction's gradient against softmax(z) − p (÷ R for
/// batchmean).
pub(super) fn gradient(c: &CheckRun<'_, '_>) -> Vec<Part> {
    let precision = c.precision();
    let run = c.pairs_part(arb_logit_rows(c.shapes()), "logits", |p, z, w| {
        for reduction in REDUCTIONS {
            let Some(g) = c.gradient(p, z, reduction)? else {
                continue;
            };
            let exact = reference_gradient(p, z, reduction).map_err(|e| harness_fault(&e))?;
            for r in 0..p.len() {
                let b = gradient_bounds(precision, &p[r], &z[r], p.len(), reduction);
                for i in 0..p[r].len() {
                    against_exact(
                        w,
                        &format!(
                            "cross_entropy_logits_grad ({}) row {r} entry {i}",
                            reduction.name()
                        ),
                        g[r][i],
                        exact[r][i],
                        b[i],
                    )?;
                }
            }
        }
        Ok(())
    });
    vec![run]
}
