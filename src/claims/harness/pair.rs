//! The three measures of a pair, and how a pair is shown in a
//! counterexample: shared by claims 1 and 2.

use crate::claims::{Counterexample, Implementation};
use crate::measures::Refusal;

/// H(p), CE(p, q) and KL(p‖q) from the measures under test.
pub(crate) fn measures_of(
    m: &dyn Implementation,
    p: &[f64],
    q: &[f64],
) -> Result<(f64, f64, f64), Refusal> {
    Ok((
        m.entropy(p)?,
        m.cross_entropy(p, q)?,
        m.kl_divergence(p, q)?,
    ))
}

/// A pair with its three measures (when the measures accept it).
pub(crate) fn show_pair(p: &[f64], q: &[f64], m: &dyn Implementation) -> Counterexample {
    let fmt = |v: &[f64]| {
        let shown: Vec<String> = v.iter().take(8).map(|x| format!("{x:e}")).collect();
        let more = if v.len() > 8 {
            format!(", … ({} entries)", v.len())
        } else {
            String::new()
        };
        format!("[{}{more}]", shown.join(", "))
    };
    let mut rows = vec![("p".to_string(), fmt(p)), ("q".to_string(), fmt(q))];
    if let Ok((h, ce, kl)) = measures_of(m, p, q) {
        rows.push(("H(p)".to_string(), format!("{h:e}")));
        rows.push(("CE(p, q)".to_string(), format!("{ce:e}")));
        rows.push(("KL(p‖q)".to_string(), format!("{kl:e}")));
    }
    Counterexample {
        summary: format!(
            "the measures of {} disagree with the claim on this pair",
            m.name()
        ),
        rows,
    }
}
