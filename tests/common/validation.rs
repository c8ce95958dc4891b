//! Helpers shared by the validation tests (the `validation_*` test files):
//! the argument names and assertions of a typed error with its message.

use logloss_proofs::measures::{Arg, MeasureError};

pub const P: Arg = Arg::plain("p");
pub const Q: Arg = Arg::plain("q");
pub const LOGITS: Arg = Arg::plain("logits");
pub const WEIGHTS: Arg = Arg::plain("weights");

/// Asserts an error and its message together.
pub fn assert_error<T: std::fmt::Debug>(
    result: Result<T, MeasureError>,
    expected: MeasureError,
    message: &str,
) {
    let err = result.expect_err("an error was expected");
    assert_eq!(err, expected);
    assert_eq!(err.to_string(), message);
}

/// `NotFinite` holding a NaN: `PartialEq` cannot match NaN, so the fields
/// are checked one by one.
pub fn assert_nan_error<T: std::fmt::Debug>(
    result: Result<T, MeasureError>,
    arg: Arg,
    index: usize,
    message: &str,
) {
    let err = result.expect_err("an error was expected");
    match &err {
        MeasureError::NotFinite {
            arg: a,
            index: i,
            value,
        } => {
            assert_eq!((*a, *i), (arg, index));
            assert!(value.is_nan(), "value {value}");
        }
        other => panic!("expected NotFinite(NaN), got {other:?}"),
    }
    assert_eq!(err.to_string(), message);
}
