//! Hints at the likely cause of a failing case, read from its numbers.
//!
//! A failed comparison gives a value got and the value want it should have
//! matched, on a shrunk case whose inputs are known. Some common bugs leave
//! a recognizable signature in those numbers; each [`Hint`] names one, and
//! is attached to a [`FailingCase`](super::FailingCase) only when the
//! numbers match the signature within a tolerance derived from the
//! comparison's own bound:
//!
//! | hint | signature |
//! |---|---|
//! | [`Hint::MeanOverElements`] | got = want / n, n the categories (`reduction='mean'`) |
//! | [`Hint::NotDividedByRows`] | got = want · R, R the rows (a sum where a mean is due) |
//! | [`Hint::SwappedArguments`] | a KL value got = KL(q‖p) |
//! | [`Hint::Float32`] | at f64, a value that is an f32 number, within the f32 tolerance of the exact one |
//! | [`Hint::LogClampedAt100`] | finite where the exact value is +∞, each q = 0 contributing 100·p |
//! | [`Hint::ClippedQ`] | finite where the exact value is +∞, each q = 0 contributing −p·ln ε for one ε |
//!
//! On a case with little mass where q = 0 the numbers fix no ε, and no clip
//! is hinted (a dropped category where q = 0 answers finite too).
//!
//! [`root_causes`] groups the failures of a run that share a cause, so one
//! bug that fails seven checks reads as one cause.
//!
//! A hint is a lead, not a verdict: two bugs may share a signature (at
//! R = n, a mean over elements and a sum not divided by the rows both give
//! a ratio), and then both hints are given.

use super::checks::tolerance::{condition, value_bound};
use super::{ConformanceReport, Op, Outcome, Precision};
use crate::claims::{CheckFailure, Found};
use crate::measures;
use crate::numerics::U;

/// A likely cause of a failing case, detected from its numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hint {
    /// got/want = 1/n for rows of n categories: the mean taken over all
    /// elements (PyTorch's `reduction='mean'`) rather than over the rows.
    MeanOverElements {
        /// The categories n.
        categories: usize,
    },
    /// got/want = R for R rows: a sum not divided by the rows.
    NotDividedByRows {
        /// The rows R.
        rows: usize,
    },
    /// A KL value equal to KL(q‖p): the arguments swapped.
    SwappedArguments,
    /// At f64, a value that is itself an f32 number, within the f32
    /// tolerance of the exact one: computed in float32 (a library that
    /// truncates f64 input to f32, say).
    Float32,
    /// Finite where the exact value is +∞ (q = 0 < p), each such category
    /// contributing 100·p: a logarithm clamped at −100 (PyTorch's
    /// `binary_cross_entropy`).
    LogClampedAt100,
    /// Finite where the exact value is +∞ (q = 0 < p), as if q were clipped
    /// to ε > 0.
    ClippedQ {
        /// The ε that reproduces the value, fixed by the numbers within 1 %:
        /// exp(−(got − F)/P₀), with F the value without the terms of the
        /// categories where q = 0 < p and P₀ the mass of p there.
        epsilon: f64,
    },
}

impl Hint {
    /// A stable name: `mean-over-elements`, `not-divided-by-rows`,
    /// `swapped-arguments`, `float32`, `log-clamped-at-100`, `clipped-q`.
    pub fn name(&self) -> &'static str {
        match self {
            Hint::MeanOverElements { .. } => "mean-over-elements",
            Hint::NotDividedByRows { .. } => "not-divided-by-rows",
            Hint::SwappedArguments => "swapped-arguments",
            Hint::Float32 => "float32",
            Hint::LogClampedAt100 => "log-clamped-at-100",
            Hint::ClippedQ { .. } => "clipped-q",
        }
    }
}

/// The operation a failure is about: the longest operation name its `what`
/// begins with (every value and gradient comparison of the checks names
/// its operation first), else the check's, for `agreement/OP`.
fn operation(check: &str, failure: &CheckFailure) -> Option<Op> {
    Op::ALL
        .iter()
        .copied()
        .filter(|op| failure.what.starts_with(op.name()))
        .max_by_key(|op| op.name().len())
        .or_else(|| {
            let name = check.strip_prefix("agreement/")?;
            Op::ALL.iter().copied().find(|op| op.name() == name)
        })
}

/// The batch of `name` among the shown inputs.
fn batch<'a>(inputs: &'a [(String, Vec<Vec<f64>>)], name: &str) -> Option<&'a [Vec<f64>]> {
    inputs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, rows)| rows.as_slice())
}

/// The hints a failure of the check `check` on the shown `inputs` supports
/// (see the [module docs](self)); empty when none does.
pub(crate) fn diagnose(
    check: &str,
    precision: Precision,
    failure: &CheckFailure,
    inputs: &[(String, Vec<Vec<f64>>)],
) -> Vec<Hint> {
    let Found::Exceeds { got, want, bound } = failure.found else {
        return Vec::new();
    };
    let Some(op) = operation(check, failure) else {
        return Vec::new();
    };
    let logits = op.second_argument() == Some("logits");
    // The reductions check shows its logits batch as "p (logits rows)".
    let p = match (logits, batch(inputs, "p (logits rows)")) {
        (true, Some(rows)) => Some(rows),
        _ => batch(inputs, "p"),
    };
    let Some(p) = p.filter(|p| !p.is_empty()) else {
        return Vec::new();
    };
    let second = batch(inputs, op.second_argument().unwrap_or("q")).unwrap_or(&[]);
    let u = precision.unit_roundoff();
    let mut hints = Vec::new();

    if got.is_finite() && want.is_finite() && want != 0.0 && bound.is_finite() {
        // got = fl(w'·ρ) for a w' that would have passed, |w' − want| ≤
        // bound: |got − ρ·want| ≤ ρ·bound + u·|got| (the implementation's
        // scaling), plus U·|ρ·want| for forming ρ·want here.
        let ratio = |rho: f64| {
            let target = rho * want;
            (got - target).abs() <= rho * bound + u * got.abs() + U * target.abs()
        };
        let n = p[0].len();
        if n >= 2 && ratio(1.0 / n as f64) {
            hints.push(Hint::MeanOverElements { categories: n });
        }
        let rows = p.len();
        if rows >= 2 && ratio(rows as f64) {
            hints.push(Hint::NotDividedByRows { rows });
        }
    }
    if op == Op::CrossEntropyLogitsGrad || second.len() != p.len() && op != Op::Entropy {
        return hints;
    }
    let row_second = |r: usize| second.get(r).map_or(&[][..], Vec::as_slice);

    // KL(q‖p) is one number the answer must match within its bound; a clip
    // (below) fits any finite answer where the exact value is +∞ and one
    // category has q = 0 < p, its ε being free. So a swap is looked for
    // first, and where it matches no clip is read.
    let is_swapped = op == Op::KlDivergence && swapped(precision, got, p, second);
    if is_swapped {
        hints.push(Hint::SwappedArguments);
    }
    // A float32 result converted to f64 is an f32 number, which a value
    // computed in f64 is with a chance of about 2⁻²⁹; the error must also be
    // one f32 arithmetic can make: within the contract's f32 bound for the
    // row whose exact value is `want` (the checks compare with the crate's
    // exact values), plus the crate's own error 2⁻⁵²·|want|.
    let is_f32 = |x: f64| f64::from(x as f32) == x;
    if precision == Precision::F64
        && got.is_finite()
        && want.is_finite()
        && is_f32(got)
        && !is_f32(want)
    {
        let within_f32_bound = |r: usize| {
            let (pr, sr) = (&p[r], row_second(r));
            let exact = super::checks::tolerance::exact_rows(op, &p[r..=r], &[sr.to_vec()]);
            exact.ok().and_then(|v| v.first().copied()) == Some(want) && {
                let b = value_bound(Precision::F32, op, pr.len(), condition(op, pr, sr));
                (got - want).abs() <= b + 2.0 * U * want.abs()
            }
        };
        if (0..p.len()).any(within_f32_bound) {
            hints.push(Hint::Float32);
        }
    }
    if want == f64::INFINITY
        && got.is_finite()
        && !is_swapped
        && matches!(op, Op::CrossEntropy | Op::KlDivergence)
    {
        let mut rows = (0..p.len()).filter(|&r| {
            let sr = row_second(r);
            p[r].iter().zip(sr).any(|(&a, &b)| a > 0.0 && b == 0.0)
        });
        // The first such row whose numbers fix the level; else none does.
        let level = rows.find_map(|r| clip_level(precision, op, got, &p[r], row_second(r)));
        match level {
            Some(level) if (level - 100.0).abs() <= LEVEL_SLACK => {
                hints.push(Hint::LogClampedAt100)
            }
            Some(level) => hints.push(Hint::ClippedQ {
                epsilon: (-level).exp(),
            }),
            // Other bugs answer finite there too (a dropped category whose
            // q is 0): without a level, no hint.
            None => {}
        }
    }
    hints
}

/// Whether `got` is KL(qᵣ‖pᵣ) for a row r: equal when infinite, else within
/// the contract's bound for the swapped arguments plus the crate's own
/// error 2⁻⁵²·|KL(q‖p)|.
fn swapped(precision: Precision, got: f64, p: &[Vec<f64>], q: &[Vec<f64>]) -> bool {
    p.iter().zip(q).any(|(pr, qr)| {
        let Ok(reverse) = measures::kl_divergence(qr, pr) else {
            return false;
        };
        if reverse.is_infinite() || got.is_infinite() {
            return got == reverse;
        }
        let b = value_bound(
            precision,
            Op::KlDivergence,
            pr.len(),
            condition(Op::KlDivergence, qr, pr),
        );
        (got - reverse).abs() <= b + 2.0 * U * reverse.abs()
    })
}

/// (F, P₀): the value without the terms −pᵢ ln qᵢ of the categories where
/// q = 0 < p (CE: Σ_{qᵢ>0} −pᵢ ln qᵢ; KL: that plus Σ pᵢ ln pᵢ), and P₀ the
/// mass of p where q = 0.
fn finite_part(op: Op, p: &[f64], q: &[f64]) -> (f64, f64) {
    let (mut value, mut lost) = (0.0, 0.0);
    for (&a, &b) in p.iter().zip(q) {
        if a == 0.0 {
            continue;
        }
        if op == Op::KlDivergence {
            value += a * a.ln();
        }
        if b == 0.0 {
            lost += a;
        } else {
            value -= a * b.ln();
        }
    }
    (value, lost)
}

/// How closely the numbers must fix the level L of a clip (ε = e⁻ᴸ) for it
/// to be named: within 0.01, ε within 1 %, far closer than the levels in use
/// (ln 10⁷ ≈ 16.1, ln 10¹² ≈ 27.6, 87.3 at f32's smallest normal number,
/// 100 for the clamp) are to each other.
const LEVEL_SLACK: f64 = 0.01;

/// The level L with got = F + L·P₀ (see [`finite_part`]): the −ln ε of a q
/// clipped to ε, 100 for a log clamped at −100; `None` unless the numbers fix
/// it within [`LEVEL_SLACK`]. Both `got` and F + L·P₀ (a plain sum here) are
/// values of the same clipped row, each within the contract's bound b of it
/// for the condition of q with its zeros at e⁻¹⁰⁰ (|ln qᵢ| = 100, above any
/// level in use): L is fixed within (2b + 2⁻⁵²·|got|)/P₀.
fn clip_level(precision: Precision, op: Op, got: f64, p: &[f64], q: &[f64]) -> Option<f64> {
    let (value, lost) = finite_part(op, p, q);
    let clamped: Vec<f64> = q
        .iter()
        .map(|&b| if b == 0.0 { (-100f64).exp() } else { b })
        .collect();
    let b = value_bound(precision, op, p.len(), condition(op, p, &clamped));
    let slack = (2.0 * b + 2.0 * U * got.abs()) / lost;
    let level = (got - value) / lost;
    (slack <= LEVEL_SLACK && level > 0.0 && level.is_finite()).then_some(level)
}

/// What several failed checks of a run have in common.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// A NaN answered on a case where p has a zero: 0·ln 0 evaluated as
    /// 0·(−∞) = NaN rather than taken as 0.
    NanWherePIsZero,
    /// The same hint (by [`Hint::name`]); the first check's.
    Hinted(Hint),
    /// The same shrunk case.
    SameCase(Vec<(String, Vec<Vec<f64>>)>),
}

/// A cause and the checks whose failures share it, in the run's order.
#[derive(Debug, Clone, PartialEq)]
pub struct RootCause {
    /// What the failures have in common.
    pub cause: Cause,
    /// The failed checks, by name.
    pub checks: Vec<&'static str>,
}

/// The failed checks of `report` grouped by what they share: each failure
/// goes to the first of its NaN where p has a zero, its first hint, or its
/// shrunk case; only groups of two checks or more are returned, largest
/// first (then in the order of the run).
///
/// # Example
/// ```
/// use logloss_proofs::conformance::diagnosis::{Cause, root_causes};
/// use logloss_proofs::conformance::{run, Config};
/// use logloss_proofs::measures::planted::{Bug, Planted};
/// let report = run(&Planted::textbook_with(Bug::NoZeroLog), &Config::new(1, 16)).unwrap();
/// let causes = root_causes(&report);
/// assert_eq!(causes[0].cause, Cause::NanWherePIsZero);
/// assert!(causes[0].checks.len() >= 2);
/// ```
pub fn root_causes(report: &ConformanceReport) -> Vec<RootCause> {
    let mut groups: Vec<RootCause> = Vec::new();
    for check in &report.checks {
        let Outcome::Failed(case) = &check.outcome else {
            continue;
        };
        let nan = match case.failure.found {
            Found::Exceeds { got, want, .. } => got.is_nan() || want.is_nan(),
            Found::Below { value, .. } | Found::Above { value, .. } => value.is_nan(),
            _ => false,
        };
        let p_has_zero = case
            .inputs
            .iter()
            .filter(|(name, _)| name.starts_with('p'))
            .any(|(_, rows)| rows.iter().flatten().any(|&x| x == 0.0));
        let cause = if nan && p_has_zero {
            Cause::NanWherePIsZero
        } else if let Some(&hint) = case.hints.first() {
            Cause::Hinted(hint)
        } else if !case.inputs.is_empty() {
            Cause::SameCase(case.inputs.clone())
        } else {
            continue;
        };
        let same = |c: &Cause| match (c, &cause) {
            (Cause::Hinted(a), Cause::Hinted(b)) => a.name() == b.name(),
            (a, b) => a == b,
        };
        match groups.iter_mut().find(|g| same(&g.cause)) {
            Some(group) => group.checks.push(check.name),
            None => groups.push(RootCause {
                cause,
                checks: vec![check.name],
            }),
        }
    }
    groups.retain(|g| g.checks.len() >= 2);
    // A stable sort: equal sizes keep the run's order.
    groups.sort_by_key(|g| std::cmp::Reverse(g.checks.len()));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Comparison;

    fn exceeds(what: &str, got: f64, want: f64, bound: f64) -> CheckFailure {
        CheckFailure {
            comparison: Comparison::Close,
            what: what.to_string(),
            found: Found::Exceeds { got, want, bound },
        }
    }

    fn inputs(p: &[&[f64]], q: &[&[f64]]) -> Vec<(String, Vec<Vec<f64>>)> {
        let rows = |b: &[&[f64]]| b.iter().map(|r| r.to_vec()).collect();
        vec![("p".to_string(), rows(p)), ("q".to_string(), rows(q))]
    }

    /// The operation is read from the start of `what`, the longest name
    /// first, else from the agreement check's name.
    #[test]
    fn the_operation_is_the_longest_name_the_failure_begins_with() {
        let f = |what| exceeds(what, 1.0, 2.0, 0.0);
        let op = |check, what| operation(check, &f(what));
        assert_eq!(
            op("reductions", "cross_entropy_logits batchmean"),
            Some(Op::CrossEntropyLogits)
        );
        assert_eq!(
            op("reductions", "cross_entropy sum"),
            Some(Op::CrossEntropy)
        );
        assert_eq!(
            op("agreement/kl_divergence", "row 0"),
            Some(Op::KlDivergence)
        );
        assert_eq!(op("identity", "row 0: CE = 1 against H + KL"), None);
    }

    /// Ratios: a value of exactly want/2 at two categories is a mean over
    /// elements, 3·want at three rows a sum not divided, and a value off by
    /// a relative 1e−3 from either is neither (the tolerance here is
    /// 1e−15 relative).
    #[test]
    fn ratio_hints_need_the_ratio_within_the_bound() {
        let two = inputs(&[&[0.5, 0.5]], &[&[0.25, 0.75]]);
        let row: &[f64] = &[0.5, 0.5];
        let q_row: &[f64] = &[0.25, 0.75];
        let three = inputs(&[row; 3], &[q_row; 3]);
        let hints = |got, inputs: &[(String, Vec<Vec<f64>>)]| {
            let f = exceeds("entropy batchmean", got, 0.7, 1e-15);
            diagnose("reductions", Precision::F64, &f, inputs)
        };
        assert_eq!(
            hints(0.35, &two),
            [Hint::MeanOverElements { categories: 2 }]
        );
        assert_eq!(hints(0.35 * (1.0 + 1e-3), &two), []);
        assert_eq!(hints(2.1, &three), [Hint::NotDividedByRows { rows: 3 }]);
        assert_eq!(hints(2.1 * (1.0 + 1e-3), &three), []);
    }

    /// Infinite exact value, finite answer: a term of 100·p is the clamp, a
    /// term of −p·ln 1e−7 a clip at ε = 1e−7 (estimated within the rounding
    /// of F and of the logarithm: 1e−12 relative is far above it).
    #[test]
    fn finite_answers_where_the_value_is_infinite_name_the_clip_or_the_clamp() {
        let (p, q) = ([0.25, 0.75], [1.0, 0.0]);
        let case = inputs(&[&p], &[&q]);
        // CE over the category with q > 0 is −0.25·ln 1 = 0.
        let hints = |got: f64| {
            let f = exceeds("cross_entropy of row 0", got, f64::INFINITY, 0.0);
            diagnose("agreement/cross_entropy", Precision::F64, &f, &case)
        };
        assert_eq!(hints(75.0), [Hint::LogClampedAt100]);
        let clipped = -0.75 * 1e-7f64.ln();
        match hints(clipped).as_slice() {
            [Hint::ClippedQ { epsilon: e }] => {
                assert!((e - 1e-7).abs() <= 1e-12 * 1e-7, "{e:e}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Infinite exact KL, finite answer equal to KL(q‖p): a swap, not a
    /// clip (which any finite answer would fit with some ε). p = (½, ½),
    /// q = (1, 0): KL(q‖p) = 1·ln(1/½) = ln 2, formed here with one rounding
    /// (within the 2⁻⁵²·|value| the hint allows for the crate's own error).
    /// ln 2 · (1 + 10⁻⁶) is neither a swap nor far enough from the clip
    /// levels to be unread: it is read as a clip.
    #[test]
    fn a_swap_is_read_before_a_clip_where_the_value_is_infinite() {
        let case = inputs(&[&[0.5, 0.5]], &[&[1.0, 0.0]]);
        let hints = |got: f64| {
            let f = exceeds("kl_divergence of row 0", got, f64::INFINITY, 0.0);
            diagnose("zero-semantics", Precision::F64, &f, &case)
        };
        assert_eq!(hints(std::f64::consts::LN_2), [Hint::SwappedArguments]);
        assert!(matches!(
            hints(std::f64::consts::LN_2 * (1.0 + 1e-6)).as_slice(),
            [Hint::ClippedQ { .. }]
        ));
    }
}
