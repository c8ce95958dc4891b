//! Running properties under fixed seeds, and tracking errors against bounds;
//! the helpers that several claims share.

mod bounds;
mod pair;
mod runner;
mod softmax_measures;

pub(crate) use bounds::{condition, contract, decomposition_bound, gibbs_floor};
pub(crate) use pair::{measures_of, pair_evidence};
pub use runner::{PropertyRun, property, quickcheck_property};
pub(crate) use softmax_measures::measured;

use super::failure::{CheckFailure, Comparison, Found};
use crate::models::linalg::{gamma, norm2};
pub use crate::numerics::U;

/// ½·ln(2π), correctly rounded: the constant of a normal log-density.
pub(crate) const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

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
    /// A [`CheckFailure`] of kind [`Comparison::Close`] naming `what`:
    /// [`Found::Exceeds`] with both values and the bound when the error
    /// exceeds the bound, [`Found::InvalidBound`] when the bound is not a
    /// non-negative number.
    pub fn close(
        &mut self,
        what: &str,
        got: f64,
        want: f64,
        bound: f64,
    ) -> Result<(), CheckFailure> {
        self.allow(bound, want);
        self.compare(Comparison::Close, what, got, want, bound)
    }

    /// [`Worst::close`] without recording the bound as a tolerance, failing
    /// as a comparison of kind `comparison`.
    fn compare(
        &mut self,
        comparison: Comparison,
        what: &str,
        got: f64,
        want: f64,
        bound: f64,
    ) -> Result<(), CheckFailure> {
        let fail = |found| CheckFailure {
            comparison,
            what: what.to_string(),
            found,
        };
        self.comparisons += 1;
        if bound.is_nan() || bound < 0.0 {
            self.record(f64::INFINITY);
            return Err(fail(Found::InvalidBound(bound)));
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
            Err(fail(Found::Exceeds { got, want, bound }))
        }
    }

    /// Compares `got` with `want`, which differ mathematically by at most
    /// `approximation` (a discretization or truncation bound) and by rounding
    /// by at most `rounding`, under the bound `approximation + rounding`, as
    /// [`Worst::close`] does. Only `rounding` counts in the resolution: the
    /// approximation is a property of the mathematics, not a tolerance.
    ///
    /// # Errors
    /// As [`Worst::close`], of kind [`Comparison::CloseApprox`], with the
    /// bound approximation + rounding.
    pub fn close_approx(
        &mut self,
        what: &str,
        got: f64,
        want: f64,
        approximation: f64,
        rounding: f64,
    ) -> Result<(), CheckFailure> {
        self.allow(rounding, want);
        self.compare(
            Comparison::CloseApprox,
            what,
            got,
            want,
            approximation + rounding,
        )
    }

    /// Requires `value ≥ floor − slack`; records max(0, floor − value) / slack,
    /// the fraction of the slack used. A negative or NaN slack fails, as a
    /// bound does in [`Worst::close`].
    ///
    /// # Errors
    /// A [`CheckFailure`] of kind [`Comparison::AtLeast`] naming `what`:
    /// [`Found::Below`] with the value, the floor and the slack, or
    /// [`Found::InvalidSlack`].
    pub fn at_least(
        &mut self,
        what: &str,
        value: f64,
        floor: f64,
        slack: f64,
    ) -> Result<(), CheckFailure> {
        let fail = |found| CheckFailure {
            comparison: Comparison::AtLeast,
            what: what.to_string(),
            found,
        };
        self.comparisons += 1;
        // +∞ meets every finite floor whatever the slack (which may then be
        // infinite itself): it says nothing of the check's resolution.
        if value != f64::INFINITY {
            self.allow(slack, floor);
        }
        if slack.is_nan() || slack < 0.0 {
            self.record(f64::INFINITY);
            return Err(fail(Found::InvalidSlack(slack)));
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
            Err(fail(Found::Below {
                value,
                floor,
                slack,
            }))
        }
    }

    /// Requires `condition`, with the failure `failure` builds if it fails
    /// (a [`CheckFailure::require`], or a message, which becomes one).
    ///
    /// # Errors
    /// The failure `failure` builds, when the condition is false.
    pub fn require<M: Into<CheckFailure>>(
        &mut self,
        condition: bool,
        failure: impl FnOnce() -> M,
    ) -> Result<(), CheckFailure> {
        self.comparisons += 1;
        if condition {
            Ok(())
        } else {
            Err(failure().into())
        }
    }
}

/// ‖a − b‖₂ against `bound`. The computed distance may exceed the exact one
/// by its rounding (γ_{d+3} relative: the differences, squares, sum and root),
/// so the bound is widened by that much.
pub(crate) fn agree(
    w: &mut Worst,
    what: &str,
    a: &[f64],
    b: &[f64],
    bound: f64,
) -> Result<(), CheckFailure> {
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let distance = norm2(&diff);
    w.close(what, distance, 0.0, bound * (1.0 + gamma(a.len() + 3)))
}

/// A counterexample row: a name and its shown value.
pub(crate) fn row(name: &str, value: String) -> (String, String) {
    (name.to_string(), value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Context;

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
            Ok::<(), CheckFailure>(())
        });
        assert_eq!((run.cases, run.comparisons), (10, 30));
        let run = property(&ctx, "comparisons/none", 0u8..4, |_, _| {
            Ok::<(), CheckFailure>(())
        });
        assert_eq!((run.cases, run.comparisons), (10, 0));
    }

    /// Each comparison fails with its own kind, naming what it compared and
    /// carrying the numbers it found.
    #[test]
    fn failures_carry_their_kind_and_numbers() {
        let mut w = Worst::new();
        let f = w.close("a", 1.0, 2.0, 0.5).unwrap_err();
        assert_eq!((f.comparison, f.what.as_str()), (Comparison::Close, "a"));
        assert_eq!(
            f.found,
            Found::Exceeds {
                got: 1.0,
                want: 2.0,
                bound: 0.5
            }
        );
        let f = w.close_approx("b", 1.0, 2.0, 0.25, 0.25).unwrap_err();
        assert_eq!(f.comparison, Comparison::CloseApprox);
        assert_eq!(
            f.found,
            Found::Exceeds {
                got: 1.0,
                want: 2.0,
                bound: 0.5
            }
        );
        let f = w.at_least("c", 1.0, 2.0, 0.5).unwrap_err();
        assert_eq!(f.comparison, Comparison::AtLeast);
        assert_eq!(
            f.found,
            Found::Below {
                value: 1.0,
                floor: 2.0,
                slack: 0.5
            }
        );
        let f = w.close("d", 1.0, 1.0, -1.0).unwrap_err();
        assert_eq!(f.found, Found::InvalidBound(-1.0));
        let f = w.at_least("e", 2.0, 1.0, -1.0).unwrap_err();
        assert_eq!(f.found, Found::InvalidSlack(-1.0));
        let f = w
            .require(false, || CheckFailure::require("f", "f failed"))
            .unwrap_err();
        assert_eq!((f.comparison, f.what.as_str()), (Comparison::Require, "f"));
        assert_eq!(f.to_string(), "f failed");
        // A message alone is a requirement named by its message.
        let f = w.require(false, || "g failed".to_string()).unwrap_err();
        assert_eq!(
            (f.comparison, f.what.as_str()),
            (Comparison::Require, "g failed")
        );
    }

    /// Both runners keep the shrunk input's failure as data: values from 10
    /// up fail a comparison that names the value, and shrinking stops at 10.
    #[test]
    fn runners_keep_the_shrunk_failure() {
        let ctx = Context::new(3, 64);
        let test = |v: &u32, w: &mut Worst| w.close(&format!("v = {v}"), f64::from(*v), 0.0, 9.5);
        let run = property(&ctx, "shrunk", 0u32..1000, test);
        let (failure, value) = run.failure.expect("a failure");
        assert_eq!(value, 10);
        assert_eq!(
            (failure.comparison, failure.what.as_str()),
            (Comparison::Close, "v = 10")
        );
        let run = quickcheck_property(&ctx, "shrunk", 1000, test);
        let (failure, value) = run.failure.expect("a failure");
        assert_eq!(value, 10);
        assert_eq!(failure.what, "v = 10");
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
}
