//! The three measures of a pair, how a pair is shown in a counterexample,
//! and how a statement about one pair is run: shared by claims 1 and 2.

use super::{Worst, property, quickcheck_property};
use crate::claims::{
    CheckFailure, Context, Counterexample, Evidence, Implementation, holds_evidence,
};
use crate::measures::Refusal;
use crate::strategies::{IntegerPair, arb_pair};

/// One case of a statement about a pair: the measures under test, p, q,
/// and the record of comparisons.
pub(crate) type PairCase =
    fn(&dyn Implementation, &[f64], &[f64], &mut Worst) -> Result<(), CheckFailure>;

/// A statement about one pair (p, q), checked through the measures under
/// test on proptest's pairs (`arb_pair`: zeros, near-equal pairs, 1 to 10⁴
/// categories) and on quickcheck's integer-weight pairs (size 24), under the
/// names `{id}/proptest` and `{id}/quickcheck` (which name their streams).
/// A failing pair is shown with its measured H, CE and KL.
pub(crate) fn pair_evidence(ctx: &Context<'_>, id: &str, case: PairCase) -> Evidence {
    let m = ctx.measures;
    let prop = property(ctx, &format!("{id}/proptest"), arb_pair(), |(p, q), w| {
        case(m, p, q, w)
    })
    .shown(|(p, q)| show_pair(p, q, m));
    let qc = quickcheck_property(
        ctx,
        &format!("{id}/quickcheck"),
        24,
        |pair: &IntegerPair, w| {
            let (p, q) = pair.distributions();
            case(m, &p, &q, w)
        },
    )
    .shown(|pair| {
        let (p, q) = pair.distributions();
        show_pair(&p, &q, m)
    });
    holds_evidence(vec![("proptest", prop), ("quickcheck", qc)])
}

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
fn show_pair(p: &[f64], q: &[f64], m: &dyn Implementation) -> Counterexample {
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
