//! JSON encoding of measure values.

use serde_json::Value;

/// A finite f64 as a JSON number (shortest round-trip form), +∞ as the string
/// `"inf"`, −∞ as `"-inf"`, NaN as `"nan"`.
pub fn number(x: f64) -> Value {
    if x.is_finite() {
        Value::from(x)
    } else if x.is_nan() {
        Value::from("nan")
    } else if x > 0.0 {
        Value::from("inf")
    } else {
        Value::from("-inf")
    }
}

/// A check's resolution as `{"relative": …, "absolute": …,
/// "rounding_relative": …, "rounding_absolute": …}`.
pub fn resolution(r: logloss_proofs::claims::Resolution) -> Value {
    serde_json::json!({
        "relative": number(r.relative),
        "absolute": number(r.absolute),
        "rounding_relative": number(r.rounding_relative),
        "rounding_absolute": number(r.rounding_absolute),
    })
}
