//! Tolerant reading of response lines: JSON, plus the non-finite numbers that
//! other languages write.
//!
//! Standard JSON has no NaN and no infinity. Implementations under test send
//! them in one of two ways, and both are accepted:
//!
//! - as the strings `"inf"`, `"-inf"` and `"nan"` (what this crate writes);
//! - as the bare literals `Infinity`, `-Infinity` and `NaN`, which Python's
//!   `json` module writes by default (`allow_nan=True`) and JavaScript's
//!   `JSON5` readers accept, but `serde_json` rejects.
//!
//! [`parse_line`] rewrites the bare literals into the strings, only outside
//! string literals (a string such as `"NaN here"` is left alone), and parses
//! the result; [`number`] reads a JSON number or one of the three strings.

use serde_json::Value;

/// A response line that is not JSON, even with the non-finite literals allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not JSON ({reason})")]
pub struct JsonError {
    /// What the JSON reader said, with the line and column.
    pub reason: String,
}

/// The bare literals and the strings they become, longest first so that
/// `-Infinity` is not read as `-` followed by `Infinity`.
const LITERALS: [(&str, &str); 3] = [
    ("-Infinity", "\"-inf\""),
    ("Infinity", "\"inf\""),
    ("NaN", "\"nan\""),
];

/// Rewrites `NaN`, `Infinity` and `-Infinity` outside string literals into
/// the strings `"nan"`, `"inf"` and `"-inf"`; everything else is copied.
///
/// The scanner tracks whether it is inside a string (and skips escaped
/// characters there), so text inside strings never changes.
/// Anything that is still not JSON afterwards is left for the parser to reject.
///
/// # Example
/// ```
/// use logloss_proofs::conformance::json::rewrite_non_finite;
/// assert_eq!(
///     rewrite_non_finite(r#"{"values": [NaN, -Infinity], "note": "NaN"}"#),
///     r#"{"values": ["nan", "-inf"], "note": "NaN"}"#
/// );
/// ```
pub fn rewrite_non_finite(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            match c {
                '\\' => {
                    // The escaped character, whatever it is, stays in the string.
                    if let Some(e) = rest.chars().next() {
                        out.push(e);
                        rest = &rest[e.len_utf8()..];
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
            out.push(c);
            rest = &rest[1..];
            continue;
        }
        if let Some((literal, replacement)) = LITERALS.iter().find(|(l, _)| rest.starts_with(l)) {
            out.push_str(replacement);
            rest = &rest[literal.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Parses one response line, accepting the non-finite literals.
///
/// # Errors
/// [`JsonError`] with the JSON reader's reason if the line is not JSON after
/// [`rewrite_non_finite`].
///
/// # Example
/// ```
/// use logloss_proofs::conformance::json::{number, parse_line};
/// let v = parse_line(r#"{"id": 1, "value": Infinity}"#).unwrap();
/// assert_eq!(number(&v["value"]), Some(f64::INFINITY));
/// assert!(parse_line("{\"id\": 1,").is_err());
/// ```
pub fn parse_line(line: &str) -> Result<Value, JsonError> {
    serde_json::from_str(&rewrite_non_finite(line)).map_err(|e| JsonError {
        reason: e.to_string(),
    })
}

/// Reads a value as f64: a JSON number, or one of the strings `"inf"`,
/// `"-inf"` and `"nan"`. Anything else is `None`.
///
/// # Example
/// ```
/// use logloss_proofs::conformance::json::number;
/// use serde_json::json;
/// assert_eq!(number(&json!(0.25)), Some(0.25));
/// assert_eq!(number(&json!("-inf")), Some(f64::NEG_INFINITY));
/// assert!(number(&json!("nan")).is_some_and(f64::is_nan));
/// assert_eq!(number(&json!("1.5")), None); // numbers are not strings
/// ```
pub fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            "nan" => Some(f64::NAN),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_inside_strings_and_after_escapes_are_left_alone() {
        let line = r#"{"error": "got \"NaN\" and Infinity", "x": NaN}"#;
        assert_eq!(
            rewrite_non_finite(line),
            r#"{"error": "got \"NaN\" and Infinity", "x": "nan"}"#
        );
        // An escaped backslash ends before the closing quote.
        let line = r#"{"e": "a\\", "v": -Infinity}"#;
        assert_eq!(rewrite_non_finite(line), r#"{"e": "a\\", "v": "-inf"}"#);
    }

    #[test]
    fn python_json_output_parses() {
        // json.dumps({"id": 3, "values": [float("inf"), float("nan"), -float("inf"), 1e-300]})
        let v = parse_line(r#"{"id": 3, "values": [Infinity, NaN, -Infinity, 1e-300]}"#).unwrap();
        let values: Vec<f64> = v["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| number(x).unwrap())
            .collect();
        assert_eq!(values[0], f64::INFINITY);
        assert!(values[1].is_nan());
        assert_eq!(values[2], f64::NEG_INFINITY);
        assert_eq!(values[3], 1e-300);
    }

    #[test]
    fn non_ascii_text_survives() {
        let line = r#"{"error": "KL(p‖q) ∞", "v": Infinity}"#;
        assert_eq!(
            rewrite_non_finite(line),
            r#"{"error": "KL(p‖q) ∞", "v": "inf"}"#
        );
    }

    #[test]
    fn broken_lines_are_errors_naming_the_position() {
        let e = parse_line(r#"{"id": 1, "value": Inf}"#).unwrap_err();
        assert!(e.reason.contains("column"), "{e}");
        assert!(parse_line("").is_err());
        assert!(parse_line("nan").is_err()); // lowercase is not a literal
    }
}
