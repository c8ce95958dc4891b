//! The error type of the losses and empirical risks.

use crate::measures::MeasureError;

/// An error that can occur when a loss or a risk is given inputs its formula
/// cannot take.
///
/// Every variant names the argument and, where it applies, the index and the
/// value. A label to which the model gives probability zero is **not** an
/// error: its log loss is the value +∞.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RiskError {
    /// The sample has no observations.
    #[error("{arg} is empty: a mean over no observations is undefined")]
    EmptySample {
        /// The sample's name (`"sample"`).
        arg: &'static str,
    },
    /// The number of categories is zero.
    #[error("{arg} = 0: a categorical model needs at least one category")]
    NoCategories {
        /// The argument's name (`"categories"`).
        arg: &'static str,
    },
    /// A label is not one of the categories 0, …, categories − 1.
    #[error(
        "{arg}{} = {label} is not a category (there are {categories}: 0 to {})",
        .index.map(|i| format!("[{i}]")).unwrap_or_default(),
        .categories.saturating_sub(1)
    )]
    LabelOutOfRange {
        /// The argument holding the label (`"y"` or `"sample"`).
        arg: &'static str,
        /// The label's position in the sample, if it came from one.
        index: Option<usize>,
        /// The label.
        label: usize,
        /// The number of categories.
        categories: usize,
    },
    /// A real-valued observation or prediction is NaN or infinite.
    #[error("{arg}{} = {value} is not finite", .index.map(|i| format!("[{i}]")).unwrap_or_default())]
    NotFinite {
        /// The argument (`"prediction"`, `"x"` or `"sample"`).
        arg: &'static str,
        /// The position in the sample, if it came from one.
        index: Option<usize>,
        /// The value.
        value: f64,
    },
    /// A log-density returned NaN or +∞ at an observation.
    #[error(
        "ln_pdf(sample[{index}] = {x}) = {value}: a log-density must be finite or −∞ (zero density)"
    )]
    LogDensity {
        /// The observation's position in the sample.
        index: usize,
        /// The observation.
        x: f64,
        /// What the log-density returned.
        value: f64,
    },
    /// The model is not a probability vector (the inner error names the entry).
    #[error("the model is not a probability vector: {0}")]
    Model(#[from] MeasureError),
}
