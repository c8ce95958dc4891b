//! Compensated summation.

/// A running sum with Neumaier's compensation, so that the rounding error does
/// not grow with the number of terms.
///
/// ```text
/// s = Σ xᵢ,   |ŝ − s| ≤ 2u·|s| + O(n u²)·Σ|xᵢ|,   u = 2⁻⁵³
/// ```
///
/// Infinite terms are allowed (the crate's measures add +∞ for a support
/// mismatch); once the running sum is infinite the compensation is ignored.
///
/// # Example
/// ```
/// use logloss_proofs::numerics::NeumaierSum;
/// let mut s = NeumaierSum::new();
/// for x in [1.0, 1e100, 1.0, -1e100] {
///     s.add(x);
/// }
/// assert_eq!(s.value(), 2.0); // a plain loop gives 0.0
/// ```
///
/// Reference: A. Neumaier, "Rundungsfehleranalyse einiger Verfahren zur
/// Summation endlicher Summen", ZAMM 54 (1974) 39–51.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// An empty sum.
    pub const fn new() -> Self {
        NeumaierSum {
            sum: 0.0,
            compensation: 0.0,
        }
    }

    /// Adds one term.
    #[inline]
    pub fn add(&mut self, x: f64) {
        // Knuth's branch-free TwoSum gives the same error term as Neumaier's
        // comparison, without a data-dependent branch in the hot loop.
        let t = self.sum + x;
        let z = t - self.sum;
        self.compensation += (self.sum - (t - z)) + (x - z);
        self.sum = t;
    }

    /// Adds a term known to be exact but small, straight into the compensation.
    ///
    /// Used for the low part of an error-free transformation.
    #[inline]
    pub fn add_low(&mut self, x: f64) {
        self.compensation += x;
    }

    /// A sum from its two parts (as returned by [`NeumaierSum::parts`]).
    #[inline]
    pub(crate) fn from_parts(sum: f64, compensation: f64) -> Self {
        NeumaierSum { sum, compensation }
    }

    /// The running sum and its compensation.
    #[inline]
    pub(crate) fn parts(&self) -> (f64, f64) {
        (self.sum, self.compensation)
    }

    /// Merges another partial sum into this one.
    pub fn merge(&mut self, other: NeumaierSum) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }

    /// The compensated value of the sum.
    #[inline]
    pub fn value(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.compensation
        } else {
            self.sum
        }
    }
}

impl FromIterator<f64> for NeumaierSum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = NeumaierSum::new();
        for x in iter {
            s.add(x);
        }
        s
    }
}

/// The compensated sum of a slice.
///
/// ```
/// assert_eq!(logloss_proofs::numerics::compensated_sum(&[0.1; 10]), 1.0);
/// ```
pub fn compensated_sum(xs: &[f64]) -> f64 {
    xs.iter().copied().collect::<NeumaierSum>().value()
}
