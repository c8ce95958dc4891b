//! Numbers and vectors as they appear in evidence: counterexample rows and
//! failure messages. Fixed rules, so the same values always read the same.

use std::fmt::Display;

/// A number with at most six significant digits, trailing zeros dropped:
/// plain notation for exponents −4 … 5, scientific otherwise.
///
/// # Example
/// ```
/// use logloss_proofs::numerics::format::short;
/// assert_eq!(short(0.1234567), "0.123457");
/// assert_eq!(short(1.5e-7), "1.5e-7");
/// assert_eq!(short(f64::INFINITY), "inf");
/// ```
pub fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let s = format!("{x:.6e}");
    let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exponent.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        let digits = (5 - exp).max(0) as usize;
        let f = format!("{x:.digits$}");
        if f.contains('.') {
            f.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            f
        }
    } else {
        let m = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{m}e{exp}")
    }
}

/// Every entry of a vector through [`short`], in brackets.
///
/// # Example
/// ```
/// use logloss_proofs::numerics::format::short_vector;
/// assert_eq!(short_vector(&[0.5, 1.0 / 3.0]), "[0.5, 0.333333]");
/// ```
pub fn short_vector(v: &[f64]) -> String {
    let shown: Vec<String> = v.iter().map(|x| short(*x)).collect();
    format!("[{}]", shown.join(", "))
}

/// The first eight entries of a list, each in full (`Display`), and the
/// length when there are more.
///
/// # Example
/// ```
/// use logloss_proofs::numerics::format::first_eight;
/// assert_eq!(first_eight(&[1, 2, 3]), "[1, 2, 3]");
/// assert_eq!(first_eight(&[0; 10]), "[0, 0, 0, 0, 0, 0, 0, 0, … (10 entries)]");
/// ```
pub fn first_eight<T: Display>(v: &[T]) -> String {
    let first: Vec<String> = v.iter().take(8).map(|x| format!("{x}")).collect();
    let more = if v.len() > 8 {
        format!(", … ({} entries)", v.len())
    } else {
        String::new()
    };
    format!("[{}{more}]", first.join(", "))
}
