//! Running properties under fixed seeds, and tracking errors against bounds.

use std::cell::{Cell, RefCell};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use super::{Context, Counterexample};
use crate::seed;

pub use crate::numerics::U;

/// The accuracy contract a measure implementation is held to, per measure:
/// each of H, CE and KL within 4u·Σ|tᵢ| of the exact value of the stored
/// vectors, tᵢ its terms. Why 4u: each term carries the rounding of its
/// logarithm and its product (2u relative), and a compensated (or pairwise,
/// at these sizes) sum adds at most 2u·Σ|tᵢ|. The crate's own measures are
/// within one ULP of the exact value, far inside.
pub(crate) const CONTRACT: f64 = 4.0 * U;

/// The largest error-to-bound ratio seen so far in one case, and the loosest
/// tolerance any comparison allowed (the check's resolution).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Worst {
    ratio: f64,
    resolution: f64,
    comparisons: u64,
}

impl Worst {
    /// No comparison yet.
    pub fn new() -> Self {
        Worst {
            ratio: 0.0,
            resolution: 0.0,
            comparisons: 0,
        }
    }

    /// The comparisons made ([`Worst::close`], [`Worst::close_approx`],
    /// [`Worst::at_least`] and [`Worst::require`], passed or not). A case
    /// that returns without one checked nothing.
    pub fn comparisons(&self) -> u64 {
        self.comparisons
    }

    /// The largest |error| / bound recorded.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// The resolution: the largest bound / max(1, |reference|) over the
    /// comparisons made, i.e. the loosest tolerance allowed, relative to the
    /// value compared (absolute for values below 1). An error larger than
    /// `resolution · max(1, |reference|)` in any one comparison is caught.
    /// 0 when no comparison was made; +∞ for a NaN or infinite bound.
    pub fn resolution(&self) -> f64 {
        self.resolution
    }

    /// Records a comparison's tolerance `bound` on a value of size `scale`.
    fn allow(&mut self, bound: f64, scale: f64) {
        self.widen(if bound.is_nan() {
            f64::INFINITY
        } else {
            bound.abs() / scale.abs().max(1.0)
        });
    }

    fn widen(&mut self, resolution: f64) {
        if resolution > self.resolution || resolution.is_nan() {
            self.resolution = resolution;
        }
    }

    /// Takes in another case's record: the larger ratio, the larger
    /// resolution, and its comparisons added to these.
    pub fn absorb(&mut self, other: &Worst) {
        self.record(other.ratio);
        self.widen(other.resolution);
        self.comparisons += other.comparisons;
    }

    /// Records a ratio measured elsewhere.
    pub fn record(&mut self, ratio: f64) {
        if ratio > self.ratio || ratio.is_nan() {
            self.ratio = ratio;
        }
    }

    /// Compares `got` with `want` under `bound`; records |got − want| / bound.
    ///
    /// Equal values (including equal infinities) have ratio 0; a NaN, or
    /// unequal values under a zero bound, have ratio +∞. A negative or NaN
    /// bound is a fault of the check itself (a bound is a sum of magnitudes)
    /// and fails, whatever the values.
    ///
    /// # Errors
    /// A message naming `what`, both values, the error and the bound, when the
    /// error exceeds the bound or the bound is not a non-negative number.
    pub fn close(&mut self, what: &str, got: f64, want: f64, bound: f64) -> Result<(), String> {
        self.allow(bound, want);
        self.compare(what, got, want, bound)
    }

    /// [`Worst::close`] without recording the bound as a tolerance.
    fn compare(&mut self, what: &str, got: f64, want: f64, bound: f64) -> Result<(), String> {
        self.comparisons += 1;
        if bound.is_nan() || bound < 0.0 {
            self.record(f64::INFINITY);
            return Err(format!(
                "{what}: the bound {bound:e} is not a non-negative number"
            ));
        }
        let ratio = if got == want {
            0.0
        } else {
            let err = (got - want).abs();
            if err.is_nan() || bound == 0.0 {
                f64::INFINITY
            } else {
                err / bound
            }
        };
        self.record(ratio);
        if ratio <= 1.0 {
            Ok(())
        } else {
            Err(format!(
                "{what}: got {got:e}, want {want:e}, error {:e} exceeds the bound {bound:e}",
                (got - want).abs()
            ))
        }
    }

    /// Compares `got` with `want`, which differ mathematically by at most
    /// `approximation` (a discretization or truncation bound) and by rounding
    /// by at most `rounding`, under the bound `approximation + rounding`, as
    /// [`Worst::close`] does. Only `rounding` counts in the resolution: the
    /// approximation is a property of the mathematics, not a tolerance.
    ///
    /// # Errors
    /// As [`Worst::close`].
    pub fn close_approx(
        &mut self,
        what: &str,
        got: f64,
        want: f64,
        approximation: f64,
        rounding: f64,
    ) -> Result<(), String> {
        self.allow(rounding, want);
        self.compare(what, got, want, approximation + rounding)
    }

    /// Requires `value ≥ floor − slack`; records max(0, floor − value) / slack,
    /// the fraction of the slack used. A negative or NaN slack fails, as a
    /// bound does in [`Worst::close`].
    ///
    /// # Errors
    /// A message naming `what`, the value, the floor and the slack.
    pub fn at_least(
        &mut self,
        what: &str,
        value: f64,
        floor: f64,
        slack: f64,
    ) -> Result<(), String> {
        self.comparisons += 1;
        // +∞ meets every finite floor whatever the slack (which may then be
        // infinite itself): it says nothing of the check's resolution.
        if value != f64::INFINITY {
            self.allow(slack, floor);
        }
        if slack.is_nan() || slack < 0.0 {
            self.record(f64::INFINITY);
            return Err(format!(
                "{what}: the slack {slack:e} is not a non-negative number"
            ));
        }
        let shortfall = (floor - value).max(0.0);
        let ratio = if shortfall == 0.0 {
            0.0
        } else if slack == 0.0 || shortfall.is_nan() {
            f64::INFINITY
        } else {
            shortfall / slack
        };
        self.record(if value.is_nan() { f64::INFINITY } else { ratio });
        if ratio <= 1.0 && !value.is_nan() {
            Ok(())
        } else {
            Err(format!(
                "{what}: {value:e} is below {floor:e} by more than the slack {slack:e}"
            ))
        }
    }

    /// Requires `condition`, with `message` if it fails.
    ///
    /// # Errors
    /// `message` when the condition is false.
    pub fn require(
        &mut self,
        condition: bool,
        message: impl FnOnce() -> String,
    ) -> Result<(), String> {
        self.comparisons += 1;
        if condition { Ok(()) } else { Err(message()) }
    }
}

/// The result of running one property.
#[derive(Debug)]
pub struct PropertyRun<T> {
    /// Cases that passed before the first failure (all of them if none failed).
    pub cases: u64,
    /// The largest error ratio over the passing cases.
    pub worst_error_ratio: f64,
    /// The loosest tolerance over the passing cases ([`Worst::resolution`]).
    pub resolution: f64,
    /// The comparisons the passing cases made ([`Worst::comparisons`]).
    pub comparisons: u64,
    /// The shrunk failing input and its message, if a case failed.
    pub failure: Option<(String, T)>,
    /// Set if the runner gave up (too many rejected inputs).
    pub aborted: Option<String>,
}

/// Runs `test` on `ctx.cases` inputs drawn from `strategy` by the proptest
/// stream (ctx.seed, name), shrinking the first failure.
///
/// A deterministic runner: no environment variable and no persisted failure
/// file changes which cases run, so the same seed checks the same cases.
pub fn property<S, F>(ctx: &Context<'_>, name: &str, strategy: S, test: F) -> PropertyRun<S::Value>
where
    S: Strategy,
    F: Fn(&S::Value, &mut Worst) -> Result<(), String>,
{
    let config = Config {
        cases: ctx.cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, seed::proptest_rng(ctx.seed, name));
    let passed = Cell::new(0u64);
    let failed_once = Cell::new(false);
    let worst = RefCell::new(Worst::new());
    let result = runner.run(&strategy, |value| {
        let mut w = Worst::new();
        match test(&value, &mut w) {
            Ok(()) => {
                if !failed_once.get() {
                    passed.set(passed.get() + 1);
                    worst.borrow_mut().absorb(&w);
                }
                Ok(())
            }
            Err(message) => {
                failed_once.set(true);
                Err(TestCaseError::fail(message))
            }
        }
    });
    let (failure, aborted) = match result {
        Ok(()) => (None, None),
        Err(TestError::Fail(reason, value)) => (Some((reason.message().to_string(), value)), None),
        // The crate's strategies never reject, so an abort is a harness fault:
        // it is reported, never read as a pass.
        Err(TestError::Abort(reason)) => (None, Some(reason.message().to_string())),
    };
    let worst = worst.into_inner();
    PropertyRun {
        cases: passed.get(),
        worst_error_ratio: worst.ratio(),
        resolution: worst.resolution(),
        comparisons: worst.comparisons(),
        failure,
        aborted,
    }
}

impl<T> PropertyRun<T> {
    /// Turns the failing input, if any, into a counterexample to show.
    pub fn shown(self, show: impl FnOnce(&T) -> Counterexample) -> PropertyRun<Counterexample> {
        PropertyRun {
            cases: self.cases,
            worst_error_ratio: self.worst_error_ratio,
            resolution: self.resolution,
            comparisons: self.comparisons,
            failure: self.failure.map(|(message, input)| (message, show(&input))),
            aborted: self.aborted,
        }
    }
}

/// Runs `test` on `ctx.cases` values of quickcheck's `Arbitrary` type `T`,
/// generated by `Gen::from_size_and_seed(size, seed)` with the seed derived
/// from (ctx.seed, name), and shrinks the first failure greedily through
/// `Arbitrary::shrink`, as quickcheck itself does.
///
/// quickcheck's own runner accepts only `fn` pointers, which cannot carry the
/// measures under test; this loop uses its generators and shrinkers directly.
pub fn quickcheck_property<T, F>(
    ctx: &Context<'_>,
    name: &str,
    size: usize,
    test: F,
) -> PropertyRun<T>
where
    T: quickcheck::Arbitrary,
    F: Fn(&T, &mut Worst) -> Result<(), String>,
{
    let mut generator =
        quickcheck::Gen::from_size_and_seed(size, seed::derived_u64(ctx.seed, name));
    let mut worst = Worst::new();
    let mut cases = 0;
    for _ in 0..ctx.cases {
        let value = T::arbitrary(&mut generator);
        let mut w = Worst::new();
        match test(&value, &mut w) {
            Ok(()) => {
                cases += 1;
                worst.absorb(&w);
            }
            Err(message) => {
                let (message, value) = shrink(value, message, &test);
                return PropertyRun {
                    cases,
                    worst_error_ratio: worst.ratio(),
                    resolution: worst.resolution(),
                    comparisons: worst.comparisons(),
                    failure: Some((message, value)),
                    aborted: None,
                };
            }
        }
    }
    PropertyRun {
        cases,
        worst_error_ratio: worst.ratio(),
        resolution: worst.resolution(),
        comparisons: worst.comparisons(),
        failure: None,
        aborted: None,
    }
}

/// Greedy shrinking: move to the first smaller value that still fails, until
/// none does, within 4096 evaluations.
fn shrink<T, F>(mut value: T, mut message: String, test: &F) -> (String, T)
where
    T: quickcheck::Arbitrary,
    F: Fn(&T, &mut Worst) -> Result<(), String>,
{
    let mut steps = 0;
    'outer: while steps < 4096 {
        for candidate in value.shrink() {
            steps += 1;
            if let Err(m) = test(&candidate, &mut Worst::new()) {
                value = candidate;
                message = m;
                continue 'outer;
            }
        }
        break;
    }
    (message, value)
}

/// Σ|tᵢ| for the terms tᵢ of each measure: the condition quantities of the
/// bounds below. Terms with pᵢ = 0 are 0; a support mismatch gives +∞.
pub(crate) struct Condition {
    pub(crate) entropy: f64,
    pub(crate) cross_entropy: f64,
    pub(crate) kl: f64,
}

/// The scaled Gibbs–Pinsker floor of KL for stored vectors p, q, whose
/// masses P = Σpᵢ and Q = Σqᵢ are 1 only within rounding:
///
/// ```text
/// KL(p‖q) ≥ P·ln(P/Q) + (P/2)·‖p/P − q/Q‖₁²
/// ```
///
/// (from KL(p‖q) = P·KL(p/P‖q/Q) + P ln(P/Q) and Pinsker). P − Q is taken
/// from the entrywise differences (exact where pᵢ ≈ qᵢ), not from the rounded
/// P and Q, whose difference is all rounding error there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GibbsFloor {
    /// P·ln(1 + (P − Q)/Q) = P·ln(P/Q).
    pub mass_term: f64,
    /// (P/2)·‖p/P − q/Q‖₁².
    pub pinsker: f64,
    /// u·Σ|pᵢ − qᵢ|: the rounding of P − Q, which P·ln(P/Q) ≈ P − Q inherits.
    pub diff_error: f64,
    /// P and ‖p/P − q/Q‖₁, for the slack.
    mass_p: f64,
    l1: f64,
}

impl GibbsFloor {
    /// P·ln(P/Q) + (P/2)‖p/P − q/Q‖₁².
    pub(crate) fn floor(&self) -> f64 {
        self.mass_term + self.pinsker
    }

    /// The floor's own rounding: P − Q's (1.01·u·Σ|pᵢ − qᵢ|), a few roundings
    /// (4u) in each term, and ‖p/P − q/Q‖₁, whose entries carry about
    /// 2u·(pᵢ/P + qᵢ/Q) each, so 4u·P·l1 for the square.
    pub(crate) fn slack(&self) -> f64 {
        1.01 * self.diff_error
            + 4.0 * U * (self.mass_term.abs() + self.pinsker)
            + 4.0 * U * self.mass_p * self.l1
    }
}

/// The [`GibbsFloor`] of a pair.
pub(crate) fn gibbs_floor(p: &[f64], q: &[f64]) -> GibbsFloor {
    use crate::numerics::compensated_sum;
    let (mass_p, mass_q) = (compensated_sum(p), compensated_sum(q));
    let diffs: Vec<f64> = p.iter().zip(q).map(|(a, b)| a - b).collect();
    let mass_diff = compensated_sum(&diffs);
    let diff_error = U * diffs.iter().map(|d| d.abs()).sum::<f64>();
    let mass_term = mass_p * (mass_diff / mass_q).ln_1p();
    let l1 = compensated_sum(
        &p.iter()
            .zip(q)
            .map(|(a, b)| (a / mass_p - b / mass_q).abs())
            .collect::<Vec<_>>(),
    );
    GibbsFloor {
        mass_term,
        pinsker: 0.5 * mass_p * l1 * l1,
        diff_error,
        mass_p,
        l1,
    }
}

pub(crate) fn condition(p: &[f64], q: &[f64]) -> Condition {
    let mut c = Condition {
        entropy: 0.0,
        cross_entropy: 0.0,
        kl: 0.0,
    };
    for (&a, &b) in p.iter().zip(q) {
        if a > 0.0 {
            c.entropy += (a * a.ln()).abs();
            c.cross_entropy += (a * b.ln()).abs();
            c.kl += (a * (a.ln() - b.ln())).abs();
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_near;

    /// Every kind of comparison counts once, passed or failed; absorbing
    /// another record adds its count.
    #[test]
    fn comparisons_are_counted_whatever_their_outcome() {
        let mut w = Worst::new();
        assert_eq!(w.comparisons(), 0);
        assert!(w.close("a", 1.0, 1.0, 0.0).is_ok());
        assert!(w.close("b", 1.0, 2.0, 0.5).is_err());
        assert!(w.close_approx("c", 1.0, 1.5, 0.5, 0.0).is_ok());
        assert!(w.at_least("d", 1.0, 2.0, 0.5).is_err());
        assert!(w.require(true, String::new).is_ok());
        assert!(w.require(false, String::new).is_err());
        assert_eq!(w.comparisons(), 6);
        let mut total = Worst::new();
        total.absorb(&w);
        total.absorb(&w);
        assert_eq!(total.comparisons(), 12);
        // A property's count is its passing cases' comparisons.
        let ctx = Context::new(1, 10);
        let run = property(&ctx, "comparisons", 0u8..4, |_, w| {
            for _ in 0..3 {
                w.require(true, String::new)?;
            }
            Ok(())
        });
        assert_eq!((run.cases, run.comparisons), (10, 30));
        let run = property(&ctx, "comparisons/none", 0u8..4, |_, _| Ok(()));
        assert_eq!((run.cases, run.comparisons), (10, 0));
    }

    #[test]
    fn a_negative_or_nan_bound_fails_even_for_equal_values() {
        let mut w = Worst::new();
        assert!(w.close("x", 1.0, 1.0, -1e-300).is_err());
        assert!(w.close("x", 1.0, 1.0, f64::NAN).is_err());
        assert!(w.at_least("x", 2.0, 1.0, -1e-300).is_err());
        assert!(w.at_least("x", 2.0, 1.0, f64::NAN).is_err());
        assert_eq!(w.ratio(), f64::INFINITY);
        // A zero bound is a bound: equal values pass, and its resolution is 0.
        let mut w = Worst::new();
        assert!(w.close("x", 1.0, 1.0, 0.0).is_ok());
        assert!(w.close("x", 1.0, 1.0 + f64::EPSILON, 0.0).is_err());
        assert_eq!(w.resolution(), 0.0);
    }

    #[test]
    fn resolution_is_the_loosest_tolerance_relative_to_the_value() {
        let mut w = Worst::new();
        w.close("a", 100.0, 100.0, 2.0).unwrap(); // 2/100
        w.close("b", 0.5, 0.5, 0.25).unwrap(); // absolute below 1: 0.25
        w.at_least("c", 10.0, 8.0, 4.0).unwrap(); // 4/8
        assert_eq!(w.resolution(), 0.5);
        // An infinite value meets any floor and says nothing of resolution.
        w.at_least("d", f64::INFINITY, 8.0, f64::INFINITY).unwrap();
        assert_eq!(w.resolution(), 0.5);
        // Only the rounding part of an approximate comparison counts.
        w.close_approx("e", 3.0, 3.5, 1.0, 0.75).unwrap();
        assert_eq!(w.resolution(), 0.5);
        w.close_approx("f", 3.0, 3.0, 1.0, 3.0).unwrap(); // 3/3
        assert_eq!(w.resolution(), 1.0);
        let mut total = Worst::new();
        total.absorb(&w);
        assert_eq!((total.ratio(), total.resolution()), (w.ratio(), 1.0));
    }

    /// Σ|tᵢ| by hand for p = (½, ½), q = (¼, ¾): H's terms ½ln2 each, CE's
    /// ½ln4 and ½ln(4/3), KL's ½ln2 and ½ln(3/2). Each is a sum of two
    /// products of a logarithm (2u) and a half (exact), so 4u relative covers
    /// the rounding of both sides.
    /// The Gibbs floor at p = (½, ½): against q = (¼, ¾) the masses agree
    /// (P = Q = 1, P·ln(P/Q) = 0), ‖p − q‖₁ = ½ and the Pinsker term ⅛,
    /// exact; against q = (¼, ½), Q = ¾: P·ln(4/3), ‖p − q/Q‖₁ = ⅓, Pinsker
    /// 1/18, from the f64 ln_1p and quotients (a few roundings: 8u). The
    /// slack 1.01·u·Σ|pᵢ − qᵢ| + 4u(|P ln(P/Q)| + Pinsker) + 4u·P·l1.
    #[test]
    fn gibbs_floor_follows_its_formula() {
        let g = gibbs_floor(&[0.5, 0.5], &[0.25, 0.75]);
        assert_eq!((g.mass_term, g.pinsker, g.floor()), (0.0, 0.125, 0.125));
        let want = 1.01 * 0.5 * U + 4.0 * U * 0.125 + 4.0 * U * 0.5;
        assert!(
            (g.slack() - want).abs() <= 4.0 * U * want,
            "{:e} vs {want:e}",
            g.slack()
        );
        let g = gibbs_floor(&[0.5, 0.5], &[0.25, 0.5]);
        let mass_term = (0.25f64 / 0.75).ln_1p();
        let l1 = (0.5 - 0.25 / 0.75) + (0.5f64 / 0.75 - 0.5);
        let pinsker = 0.5 * l1 * l1;
        let near = |got: f64, want: f64, what: &str| assert_near(got, want, 8.0, what);
        near(g.mass_term, mass_term, "P ln(P/Q)");
        near(g.pinsker, pinsker, "Pinsker");
        near(g.floor(), mass_term + pinsker, "floor");
        let want = 1.01 * 0.25 * U + 4.0 * U * (mass_term + pinsker) + 4.0 * U * l1;
        near(g.slack(), want, "slack");
        // P = ¾ ≠ 1 (p = (½, ¼), q = (¼, ¼), Q = ½): ‖p/P − q/Q‖₁ = ⅙ + ⅙,
        // and the slack's last term is 4u·P·l1 = 4u·¾·⅓.
        let g = gibbs_floor(&[0.5, 0.25], &[0.25, 0.25]);
        let mass_term = 0.75 * 0.5f64.ln_1p();
        let l1 = (0.5 / 0.75 - 0.5) + (0.5 - 0.25 / 0.75);
        let pinsker = 0.5 * 0.75 * l1 * l1;
        near(g.floor(), mass_term + pinsker, "floor at P = ¾");
        let want = 1.01 * 0.25 * U + 4.0 * U * (mass_term + pinsker) + 4.0 * U * 0.75 * l1;
        near(g.slack(), want, "slack at P = ¾");
    }

    #[test]
    fn condition_sums_the_absolute_terms() {
        let c = condition(&[0.5, 0.5], &[0.25, 0.75]);
        let ln = f64::ln;
        let want = [
            ln(2.0),
            0.5 * ln(4.0) + 0.5 * ln(4.0 / 3.0),
            0.5 * ln(2.0) + 0.5 * ln(1.5),
        ];
        for (got, want) in [c.entropy, c.cross_entropy, c.kl].into_iter().zip(want) {
            assert!((got - want).abs() <= 4.0 * U * want, "{got} vs {want}");
        }
    }
}
