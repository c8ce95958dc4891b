//! The error type shared by the discrete measures.

use std::fmt;

/// Shows a value in its shortest round-trip form, with an exponent when it is
/// very small or very large (so −5e−324 prints as `-5e-324`, not 330 digits).
pub(crate) struct Shown(pub f64);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.abs();
        if a == 0.0 || !a.is_finite() || (1e-5..1e16).contains(&a) {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}

/// Where a bad value sits: the argument's name and, inside a batch, the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    /// The argument's name as the caller knows it (`"p"`, `"q"`, `"logits"`, …).
    pub name: &'static str,
    /// The row inside a batch, if the argument is a batch of rows.
    pub row: Option<usize>,
}

impl Arg {
    /// A plain (non-batched) argument.
    pub const fn plain(name: &'static str) -> Self {
        Arg { name, row: None }
    }

    /// Row `row` of a batched argument.
    pub const fn row(name: &'static str, row: usize) -> Self {
        Arg {
            name,
            row: Some(row),
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.row {
            None => write!(f, "{}", self.name),
            Some(r) => write!(f, "{} row {}", self.name, r),
        }
    }
}

/// An error that can occur when a measure's inputs are not what its formula needs.
///
/// Every variant names the argument, and where it applies the index and the value,
/// so a caller can point at the offending entry. A support mismatch (pᵢ > 0 where
/// qᵢ = 0) is **not** an error: it is the value +∞.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    /// The argument has no entries.
    #[error("{arg} is empty")]
    Empty {
        /// The empty argument.
        arg: Arg,
    },
    /// Two arguments that must have equal lengths do not.
    #[error("{first} has length {first_len} but {second} has length {second_len}")]
    LengthMismatch {
        /// The first argument.
        first: Arg,
        /// Its length.
        first_len: usize,
        /// The second argument.
        second: Arg,
        /// Its length.
        second_len: usize,
    },
    /// An entry is NaN or infinite.
    #[error("{arg}[{index}] = {} is not finite", Shown(*value))]
    NotFinite {
        /// The argument holding the entry.
        arg: Arg,
        /// The entry's index.
        index: usize,
        /// The entry.
        value: f64,
    },
    /// A probability is negative.
    #[error("{arg}[{index}] = {} is negative", Shown(*value))]
    Negative {
        /// The argument holding the entry.
        arg: Arg,
        /// The entry's index.
        index: usize,
        /// The entry.
        value: f64,
    },
    /// A scalar probability is NaN, infinite, or outside [0, 1].
    #[error("{arg} = {} is not a probability in [0, 1]", Shown(*value))]
    NotAProbability {
        /// The argument.
        arg: Arg,
        /// The value.
        value: f64,
    },
    /// The entries do not sum to one within the documented tolerance.
    #[error(
        "{arg} sums to {}, which differs from 1 by {:.3e} (tolerance {tolerance:.3e}); normalize it explicitly if that is intended",
        Shown(*sum), (sum - 1.0).abs()
    )]
    NotNormalized {
        /// The argument.
        arg: Arg,
        /// Its sum, computed with compensated summation.
        sum: f64,
        /// The tolerance that was exceeded, see [`sum_tolerance`](crate::measures::sum_tolerance).
        tolerance: f64,
    },
    /// The entries sum to zero, so they cannot be normalized.
    #[error("{arg} sums to zero and cannot be normalized")]
    ZeroMass {
        /// The argument.
        arg: Arg,
    },
    /// A flat batch's length is not a whole number of rows of the given
    /// number of classes (or that number is 0).
    #[error("{arg} has {len} entries, not a whole number of rows of {classes} classes")]
    Shape {
        /// The batch.
        arg: Arg,
        /// Its number of entries.
        len: usize,
        /// The number of classes per row.
        classes: usize,
    },
    /// Every logit of a row is −∞ (the whole row masked): its softmax is
    /// undefined.
    #[error("{arg}: every logit is -inf (the whole row is masked), so its softmax is undefined")]
    AllMasked {
        /// The row.
        arg: Arg,
    },
    /// A class index is not below the number of classes.
    #[error("{arg}[{index}] = {label} is not a class index below {classes}")]
    LabelOutOfRange {
        /// The labels.
        arg: Arg,
        /// The label's position.
        index: usize,
        /// The label.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain notation in [1e−5, 1e16) and for 0 and infinities; an exponent
    /// outside, so that no value prints as hundreds of digits.
    #[test]
    fn values_show_in_their_shortest_readable_form() {
        let shown = |x: f64| Shown(x).to_string();
        assert_eq!(shown(0.0), "0");
        assert_eq!(shown(-0.25), "-0.25");
        assert_eq!(shown(1e-5), "0.00001");
        assert_eq!(shown(f64::INFINITY), "inf");
        assert_eq!(shown(f64::NAN), "NaN");
        assert_eq!(shown(-5e-324), "-5e-324");
        assert_eq!(shown(1e16), "1e16");
        assert_eq!(shown(9e-6), "9e-6");
    }
}
