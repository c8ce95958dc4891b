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
use super::verdict::Resolution;
use crate::models::linalg::{gamma, norm2};
pub use crate::numerics::U;

/// ½·ln(2π), correctly rounded: the constant of a normal log-density.
pub(crate) const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// The largest error-to-bound ratio seen so far in one case, and the loosest
/// tolerances the comparisons allowed (the check's [`Resolution`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Worst {
    ratio: f64,
    resolution: Resolution,
    comparisons: u64,
}

impl Worst {
    /// No comparison yet.
    pub fn new() -> Self {
        Worst::default()
    }

    /// The comparisons made ([`Worst::close`], [`Worst::close_approx`],
    /// [`Worst::at_least`], [`Worst::at_most`] and [`Worst::require`],
    /// passed or not). A case that returns without one checked nothing.
    pub fn comparisons(&self) -> u64 {
        self.comparisons
    }

    /// The largest |error| / bound recorded.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// The loosest tolerances allowed so far, relative and absolute (see
    /// [`Resolution`]): every comparison's whole bound counts.
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// Takes in another case's record: the larger ratio, the larger
    /// resolution, and its comparisons added to these.
    pub fn absorb(&mut self, other: &Worst) {
        self.record(other.ratio);
        self.resolution.widen(other.resolution);
        self.comparisons += other.comparisons;
    }

    /// Takes in another record whose tolerances are all approximation
    /// allowances (a values-only minimizer's radius in its parameters, say):
    /// its ratio and comparisons as [`Worst::absorb`] does, its tolerances in
    /// the full resolution figures and not in the rounding ones.
    pub fn absorb_approximate(&mut self, other: &Worst) {
        self.record(other.ratio);
        self.resolution.widen(Resolution {
            relative: other.resolution.relative,
            absolute: other.resolution.absolute,
            ..Resolution::default()
        });
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
        self.resolution.allow(bound, want);
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
    /// [`Worst::close`] does. Both parts count in the resolution (an
    /// implementation error smaller than the approximation allowed passes
    /// unseen, whatever its cause); only `rounding` in its rounding figures.
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
        let bound = approximation + rounding;
        self.resolution
            .allow_approximation(approximation, rounding, want);
        self.compare(Comparison::CloseApprox, what, got, want, bound)
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
            self.resolution.allow(slack, floor);
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

    /// Requires `0 ≤ value ≤ ceiling` in effect: a quantity that is 0 at the
    /// exact answer (an excess over a minimum, a KL after descent) must be
    /// at most `ceiling`, the approximation allowed for it (a convergence
    /// rate's bound plus the rounding of the value). Records value/ceiling,
    /// the fraction of the ceiling used, and the ceiling as an absolute
    /// tolerance on a reference of 0. A value at or below 0 uses none of it.
    ///
    /// # Errors
    /// A [`CheckFailure`] of kind [`Comparison::AtMost`] naming `what`:
    /// [`Found::Above`] with the value and the ceiling, also when the
    /// ceiling is not a positive number or the value is NaN.
    pub fn at_most(&mut self, what: &str, value: f64, ceiling: f64) -> Result<(), CheckFailure> {
        self.comparisons += 1;
        // The ceiling is a convergence allowance: an approximation.
        self.resolution.allow_approximation(ceiling, 0.0, 0.0);
        let ratio = if value <= 0.0 {
            0.0
        } else if ceiling > 0.0 {
            value / ceiling
        } else {
            f64::INFINITY
        };
        let ratio = if value.is_nan() { f64::INFINITY } else { ratio };
        self.record(ratio);
        if ratio <= 1.0 {
            Ok(())
        } else {
            Err(CheckFailure::above(what, value, ceiling))
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
        assert!(!w.resolution().is_set());
    }

    /// The resolution's figures, by hand: each comparison's bound, relative
    /// to a reference of at least 1, absolute below 1; approximation
    /// allowances (an approximate comparison's approximation part, a
    /// ceiling) in the full figures only; nothing from an infinite value or
    /// reference; every figure +∞ for a NaN bound.
    #[test]
    fn resolution_is_the_loosest_tolerance_relative_and_absolute() {
        let mut w = Worst::new();
        w.close("a", 100.0, 100.0, 2.0).unwrap(); // 2/100 relative
        w.close("b", 0.5, 0.5, 0.25).unwrap(); // absolute below 1: 0.25
        w.at_least("c", 10.0, 8.0, 4.0).unwrap(); // 4/8 relative
        let r = w.resolution();
        assert_eq!((r.relative, r.absolute), (0.5, 0.25));
        assert_eq!((r.rounding_relative, r.rounding_absolute), (0.5, 0.25));
        // An infinite value meets any floor and says nothing of resolution;
        // an infinite reference must be met exactly.
        w.at_least("d", f64::INFINITY, 8.0, f64::INFINITY).unwrap();
        w.close("e", f64::INFINITY, f64::INFINITY, 1.0).unwrap();
        assert_eq!(w.resolution(), r);
        // Both parts of an approximate comparison count, only its rounding
        // in the rounding figures: (1 + 2)/3 relative, 2/3 rounding.
        w.close_approx("f", 3.5, 3.0, 1.0, 2.0).unwrap();
        let r = w.resolution();
        assert_eq!((r.relative, r.rounding_relative), (1.0, 2.0 / 3.0));
        // A ceiling is an approximation allowance on a reference of 0.
        w.at_most("g", 0.25, 0.5).unwrap();
        let r = w.resolution();
        assert_eq!((r.absolute, r.rounding_absolute), (0.5, 0.25));
        let mut total = Worst::new();
        total.absorb(&w);
        assert_eq!((total.ratio(), total.resolution()), (w.ratio(), r));
        // A record of approximation allowances alone (a minimizer's radius)
        // widens the full figures, not the rounding ones, and brings its
        // ratio and comparisons.
        let mut local = Worst::new();
        local.close("i", 4.0, 5.0, 2.5).unwrap(); // ratio 0.4, 2.5/5 relative
        local.close("j", 0.0, 0.5, 0.75).unwrap(); // ratio 2/3, absolute 0.75
        let mut approx = Worst::new();
        approx.close("k", 100.0, 100.0, 1.0).unwrap(); // 1/100 relative
        approx.absorb_approximate(&local);
        let a = approx.resolution();
        assert_eq!((a.relative, a.absolute), (0.5, 0.75));
        assert_eq!((a.rounding_relative, a.rounding_absolute), (0.01, 0.0));
        assert_eq!((approx.ratio(), approx.comparisons()), (2.0 / 3.0, 3));
        let mut w = Worst::new();
        assert!(w.close("h", 1.0, 1.0, f64::NAN).is_err());
        let r = w.resolution();
        assert!(r.relative.is_infinite() && r.rounding_absolute.is_infinite());
    }

    /// A ceiling is met at or below it, by any non-positive value, and
    /// never by NaN or under a ceiling that is not positive.
    #[test]
    fn at_most_fails_above_its_ceiling() {
        let mut w = Worst::new();
        assert!(w.at_most("a", 1.0, 1.0).is_ok());
        assert!(w.at_most("b", -5.0, 1.0).is_ok());
        let f = w.at_most("c", 1.5, 1.0).unwrap_err();
        assert_eq!(
            (f.comparison, f.found),
            (
                Comparison::AtMost,
                Found::Above {
                    value: 1.5,
                    ceiling: 1.0
                }
            )
        );
        assert!(w.at_most("d", f64::NAN, 1.0).is_err());
        assert!(w.at_most("e", 1e-300, 0.0).is_err());
        assert_eq!((w.comparisons(), w.ratio()), (5, f64::INFINITY));
    }
}
