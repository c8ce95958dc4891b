//! Fixed number formats, so reports are byte-identical for the same evidence.

/// A value with 4 significant digits in scientific notation, `inf` for +∞.
pub fn sci(x: f64) -> String {
    if x == f64::INFINITY {
        "inf".into()
    } else if x == f64::NEG_INFINITY {
        "−inf".into()
    } else if x.is_nan() {
        "n/a".into()
    } else {
        format!("{x:.3e}")
    }
}

/// A value with `digits` decimals, `inf` for +∞.
pub fn fixed(x: f64, digits: usize) -> String {
    if x == f64::INFINITY {
        "inf".into()
    } else if x.is_nan() {
        "n/a".into()
    } else {
        format!("{x:.digits$}")
    }
}

/// An interval as `[low, high]` with `digits` decimals.
pub fn interval(low: f64, high: f64, digits: usize) -> String {
    format!("[{}, {}]", fixed(low, digits), fixed(high, digits))
}

/// Escapes `|` so a value can sit in a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A thousands-grouped integer, e.g. 1 000 000 as `1,000,000`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_show_both_ends_with_fixed_decimals() {
        assert_eq!(interval(0.1, 0.25, 3), "[0.100, 0.250]");
        assert_eq!(interval(-1.0, f64::INFINITY, 1), "[-1.0, inf]");
    }

    #[test]
    fn counts_group_thousands_from_the_right() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(12_345), "12,345");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(count(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn cells_escape_pipes_and_keep_the_rest() {
        assert_eq!(cell("a|b c"), "a\\|b c");
        assert_eq!(cell("plain"), "plain");
    }
}
