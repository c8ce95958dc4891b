//! The batch shapes the checks send: numbers of categories and of rows,
//! each drawn from a small fixed set.
//!
//! Libraries that compile per input shape (JAX, `torch.compile`, XLA through
//! Keras) pay a compilation for every new (rows, categories) pair. Drawing
//! both from fixed sets bounds the distinct shapes of a whole run by
//! |categories| × |rows| per operation and reduction, whatever the number of
//! cases: 24 with the defaults, where sizes drawn from 1 to 1024 gave about a
//! thousand. Shrinking stays inside the sets: a failing case moves to a
//! smaller member, never to a size the run would not otherwise send.
//!
//! An implementation that accepts only some shapes (a binary-only loss, say)
//! declares its [`Domain`]; [`Shapes::within`] keeps the members it accepts.

use std::fmt;

/// The default numbers of categories: the edge cases 1, 2 and 3, a few
/// small sizes, and sizes past 256 and up to 1024, where the rounding of
/// long sums shows.
pub const DEFAULT_CATEGORIES: [usize; 8] = [1, 2, 3, 5, 8, 32, 257, 1024];

/// The default numbers of rows: one row (where a mean and a sum agree), and
/// two and four (where `batchmean` must divide).
pub const DEFAULT_ROWS: [usize; 3] = [1, 2, 4];

/// The largest number of categories a set may hold.
pub const MAX_CATEGORIES: usize = 100_000;

/// The largest number of rows a set may hold.
pub const MAX_ROWS: usize = 10_000;

/// The most entries (rows × categories) one batch may have.
pub const MAX_ENTRIES: usize = 1_000_000;

/// The sets a run draws its batch shapes from: each sorted, without
/// repeats, and never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shapes {
    categories: Vec<usize>,
    rows: Vec<usize>,
}

/// What an implementation declares it accepts, e.g. only 2 categories; a
/// `None` accepts every size.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Domain {
    /// The numbers of categories it accepts.
    pub categories: Option<Vec<usize>>,
    /// The numbers of rows it accepts.
    pub rows: Option<Vec<usize>>,
}

/// Why a set of shapes cannot be used. Each message is one line naming the
/// set and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// A set is empty.
    #[error("{set}: at least one size is needed")]
    Empty {
        /// `"categories"` or `"rows"`.
        set: &'static str,
    },
    /// A size is 0 or above its maximum.
    #[error("{set}[{index}] = {value} is out of range (1 to {max})")]
    OutOfRange {
        /// `"categories"` or `"rows"`.
        set: &'static str,
        /// Its position in the set as given.
        index: usize,
        /// The size.
        value: usize,
        /// The largest size allowed.
        max: usize,
    },
    /// The largest batch would hold too many entries.
    #[error(
        "{rows} rows × {categories} categories = {} entries exceeds the most one batch may hold ({MAX_ENTRIES})",
        rows * categories
    )]
    TooLarge {
        /// The largest number of rows.
        rows: usize,
        /// The largest number of categories.
        categories: usize,
    },
    /// The implementation's declared domain shares no size with the sets
    /// asked for.
    #[error("the implementation accepts {set} {declared:?}, none of the {asked:?} asked for")]
    Disjoint {
        /// `"categories"` or `"rows"`.
        set: &'static str,
        /// What the implementation declared.
        declared: Vec<usize>,
        /// What the run asked for.
        asked: Vec<usize>,
    },
}

impl Default for Shapes {
    fn default() -> Self {
        Shapes {
            categories: DEFAULT_CATEGORIES.to_vec(),
            rows: DEFAULT_ROWS.to_vec(),
        }
    }
}

impl Shapes {
    /// The sets `categories` and `rows`, sorted and without repeats.
    ///
    /// # Errors
    /// [`ShapeError::Empty`], [`ShapeError::OutOfRange`] (a size of 0, more
    /// than [`MAX_CATEGORIES`] categories or more than [`MAX_ROWS`] rows) or
    /// [`ShapeError::TooLarge`] (the largest batch above [`MAX_ENTRIES`]).
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::conformance::Shapes;
    /// let s = Shapes::new(&[10, 2, 2], &[4]).unwrap();
    /// assert_eq!(s.categories(), [2, 10]);
    /// assert!(Shapes::new(&[0], &[1]).is_err());
    /// ```
    pub fn new(categories: &[usize], rows: &[usize]) -> Result<Self, ShapeError> {
        let categories = checked_set("categories", categories, MAX_CATEGORIES)?;
        let rows = checked_set("rows", rows, MAX_ROWS)?;
        let (r, c) = (rows[rows.len() - 1], categories[categories.len() - 1]);
        if r.saturating_mul(c) > MAX_ENTRIES {
            return Err(ShapeError::TooLarge {
                rows: r,
                categories: c,
            });
        }
        Ok(Shapes { categories, rows })
    }

    /// The numbers of categories, ascending.
    pub fn categories(&self) -> &[usize] {
        &self.categories
    }

    /// The numbers of rows, ascending.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// The distinct (rows, categories) shapes a run can send:
    /// |rows| × |categories|.
    pub fn count(&self) -> usize {
        self.rows.len() * self.categories.len()
    }

    /// These sets cut down to what `domain` accepts: in each set, the sizes
    /// the domain lists too. Where none is left, `asked` decides: if the set
    /// was asked for explicitly (`asked.0` for categories, `asked.1` for
    /// rows) the run cannot go on; otherwise the domain's own sizes are used,
    /// so an implementation that takes only 6 categories is still checked.
    ///
    /// # Errors
    /// [`ShapeError::Disjoint`] for an explicit set the domain shares nothing
    /// with; the errors of [`Shapes::new`] for a domain's own sizes.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::conformance::{Domain, Shapes};
    /// let binary = Domain { categories: Some(vec![2]), rows: None };
    /// let s = Shapes::default().within(&binary, (false, false)).unwrap();
    /// assert_eq!(s.categories(), [2]);
    /// assert_eq!(s.rows(), Shapes::default().rows());
    /// ```
    pub fn within(&self, domain: &Domain, asked: (bool, bool)) -> Result<Self, ShapeError> {
        let categories = restricted("categories", &self.categories, &domain.categories, asked.0)?;
        let rows = restricted("rows", &self.rows, &domain.rows, asked.1)?;
        Shapes::new(&categories, &rows)
    }
}

impl fmt::Display for Shapes {
    /// `categories {1, 2, 3}, rows {1, 4}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |set: &[usize]| {
            set.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(
            f,
            "categories {{{}}}, rows {{{}}}",
            list(&self.categories),
            list(&self.rows)
        )
    }
}

fn checked_set(set: &'static str, sizes: &[usize], max: usize) -> Result<Vec<usize>, ShapeError> {
    if sizes.is_empty() {
        return Err(ShapeError::Empty { set });
    }
    if let Some((index, &value)) = sizes.iter().enumerate().find(|&(_, &v)| v == 0 || v > max) {
        return Err(ShapeError::OutOfRange {
            set,
            index,
            value,
            max,
        });
    }
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    Ok(sorted)
}

fn restricted(
    set: &'static str,
    asked: &[usize],
    declared: &Option<Vec<usize>>,
    explicit: bool,
) -> Result<Vec<usize>, ShapeError> {
    let Some(declared) = declared else {
        return Ok(asked.to_vec());
    };
    let common: Vec<usize> = asked
        .iter()
        .copied()
        .filter(|s| declared.contains(s))
        .collect();
    if !common.is_empty() {
        Ok(common)
    } else if explicit {
        Err(ShapeError::Disjoint {
            set,
            declared: declared.clone(),
            asked: asked.to_vec(),
        })
    } else {
        Ok(declared.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_sorted_deduplicated_and_bounded() {
        let s = Shapes::new(&[3, 1, 3], &[4, 1]).unwrap();
        assert_eq!(
            (s.categories(), s.rows(), s.count()),
            (&[1, 3][..], &[1, 4][..], 4)
        );
        assert_eq!(
            Shapes::new(&[], &[1]),
            Err(ShapeError::Empty { set: "categories" })
        );
        assert_eq!(
            Shapes::new(&[2], &[1, 0]),
            Err(ShapeError::OutOfRange {
                set: "rows",
                index: 1,
                value: 0,
                max: MAX_ROWS
            })
        );
        assert!(Shapes::new(&[MAX_CATEGORIES + 1], &[1]).is_err());
        // 1000 × 1000 is the most; one more row is too large.
        assert!(Shapes::new(&[1000], &[1000]).is_ok());
        let err = Shapes::new(&[1000], &[1001]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1001 rows × 1000 categories = 1001000 entries exceeds the most one batch may hold (1000000)"
        );
        assert_eq!(
            Shapes::default().to_string(),
            "categories {1, 2, 3, 5, 8, 32, 257, 1024}, rows {1, 2, 4}"
        );
    }

    #[test]
    fn a_domain_keeps_what_it_accepts_or_replaces_an_implicit_set() {
        let asked = Shapes::new(&[1, 2, 3], &[1, 4]).unwrap();
        let only = |c: Vec<usize>| Domain {
            categories: Some(c),
            rows: None,
        };
        let s = asked.within(&only(vec![2, 3, 7]), (true, true)).unwrap();
        assert_eq!((s.categories(), s.rows()), (&[2, 3][..], &[1, 4][..]));
        // Nothing in common: an implicit set gives way, an explicit one is an error.
        let s = asked.within(&only(vec![6]), (false, false)).unwrap();
        assert_eq!(s.categories(), [6]);
        let err = asked.within(&only(vec![6]), (true, false)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the implementation accepts categories [6], none of the [1, 2, 3] asked for"
        );
        // A domain's own sizes are checked like any other.
        assert!(asked.within(&only(vec![0]), (false, false)).is_err());
        assert_eq!(
            asked.within(&Domain::default(), (true, true)).unwrap(),
            asked
        );
    }
}
