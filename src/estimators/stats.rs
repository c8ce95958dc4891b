//! Mergeable summary statistics and confidence intervals.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Count, mean and sum of squared deviations of finite values, plus a count of
/// +∞ values (kept apart, never dropped), mergeable across chunks.
///
/// Merging uses Chan, Golub and LeVeque's pairwise update; merging the same
/// chunks in the same order gives the same bits, whatever thread computed each.
///
/// ```
/// use logloss_proofs::estimators::RunningStats;
/// let mut a = RunningStats::new();
/// for x in [1.0, 2.0, 3.0] { a.push(x); }
/// assert_eq!((a.mean(), a.variance()), (2.0, 1.0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunningStats {
    count: u64,
    mean: f64,
    m2: f64,
    infinite: u64,
}

impl RunningStats {
    /// No values.
    pub const fn new() -> Self {
        RunningStats {
            count: 0,
            mean: 0.0,
            m2: 0.0,
            infinite: 0,
        }
    }

    /// Adds one value; +∞ is counted apart.
    pub fn push(&mut self, x: f64) {
        if x == f64::INFINITY {
            self.infinite += 1;
            return;
        }
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Merges another summary into this one.
    pub fn merge(&mut self, other: &RunningStats) {
        self.infinite += other.infinite;
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            let infinite = self.infinite;
            *self = *other;
            self.infinite = infinite;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += other.m2 + delta * delta * na * nb / n;
        self.count += other.count;
    }

    /// The summary as its four numbers (count, mean, Σ(x − mean)², +∞
    /// count), which [`RunningStats::from_parts`] restores bit for bit: what a
    /// shard file stores.
    ///
    /// ```
    /// use logloss_proofs::estimators::RunningStats;
    /// let mut a = RunningStats::new();
    /// for x in [0.1, 0.7, f64::INFINITY] { a.push(x); }
    /// let (count, mean, m2, infinite) = a.to_parts();
    /// assert_eq!(RunningStats::from_parts(count, mean, m2, infinite), Ok(a));
    /// assert!(RunningStats::from_parts(2, 0.4, -1.0, 0).is_err());
    /// ```
    pub fn to_parts(&self) -> (u64, f64, f64, u64) {
        (self.count, self.mean, self.m2, self.infinite)
    }

    /// A summary from its four numbers.
    ///
    /// # Errors
    /// [`PartsError`] for a non-finite mean, a negative or non-finite sum of
    /// squares, or a mean or sum of squares other than 0 with no finite
    /// values: numbers no run of [`RunningStats::push`] and
    /// [`RunningStats::merge`] produces.
    pub fn from_parts(count: u64, mean: f64, m2: f64, infinite: u64) -> Result<Self, PartsError> {
        if !mean.is_finite() {
            return Err(PartsError::Mean(mean));
        }
        if !(m2.is_finite() && m2 >= 0.0) {
            return Err(PartsError::SumOfSquares(m2));
        }
        if count == 0 && (mean != 0.0 || m2 != 0.0) {
            return Err(PartsError::Empty { mean, m2 });
        }
        Ok(RunningStats {
            count,
            mean,
            m2,
            infinite,
        })
    }

    /// Finite values seen.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// +∞ values seen.
    pub fn infinite(&self) -> u64 {
        self.infinite
    }

    /// The fraction of values that were +∞.
    pub fn infinite_fraction(&self) -> f64 {
        let all = self.count + self.infinite;
        if all == 0 {
            0.0
        } else {
            self.infinite as f64 / all as f64
        }
    }

    /// The mean of all values: +∞ if any was +∞, NaN if there were none.
    pub fn mean(&self) -> f64 {
        if self.infinite > 0 {
            f64::INFINITY
        } else if self.count == 0 {
            f64::NAN
        } else {
            self.mean
        }
    }

    /// The sample variance (divisor count − 1) of the finite values.
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            f64::NAN
        } else {
            self.m2 / (self.count - 1) as f64
        }
    }

    /// The standard error of the mean: √(variance / count); +∞ if any value was +∞.
    pub fn std_error(&self) -> f64 {
        if self.infinite > 0 {
            f64::INFINITY
        } else {
            (self.variance() / self.count as f64).sqrt()
        }
    }

    /// The two-sided Student-t interval for the mean at confidence `level`.
    ///
    /// ```text
    /// mean ± t_{(1+level)/2, count−1} · s/√count
    /// ```
    ///
    /// With any +∞ value the interval is [+∞, +∞]: the mean is infinite.
    pub fn interval(&self, level: f64) -> Interval {
        let mean = self.mean();
        if self.infinite > 0 || self.count < 2 {
            return Interval {
                low: mean,
                high: mean,
                level,
            };
        }
        let t = t_quantile(level, self.count - 1);
        let half = t * self.std_error();
        Interval {
            low: mean - half,
            high: mean + half,
            level,
        }
    }
}

/// Why four numbers are not a [`RunningStats`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum PartsError {
    /// The mean is not finite.
    #[error("mean = {0} is not finite")]
    Mean(f64),
    /// The sum of squared deviations is negative or not finite.
    #[error("sum of squares = {0} is not a non-negative number")]
    SumOfSquares(f64),
    /// No finite values, but a mean or sum of squares other than 0.
    #[error("count = 0 with mean = {mean} and sum of squares = {m2}: both must be 0")]
    Empty {
        /// The mean given.
        mean: f64,
        /// The sum of squares given.
        m2: f64,
    },
}

/// The quantile t_{(1+level)/2} of Student's t with `dof` degrees of freedom
/// (statrs; its quantiles are good to about 1e−15).
pub fn t_quantile(level: f64, dof: u64) -> f64 {
    let t = StudentsT::new(0.0, 1.0, dof as f64).expect("dof ≥ 1");
    t.inverse_cdf(0.5 + 0.5 * level)
}

/// A two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
}

impl Interval {
    /// Whether the interval contains `x`.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample variance needs two values: none or one gives NaN, two give
    /// (a − b)²/2 (here (1 − 4)²/2 = 4.5, exact).
    #[test]
    fn variance_starts_at_two_values() {
        let mut s = RunningStats::new();
        assert!(s.variance().is_nan());
        s.push(1.0);
        assert!(s.variance().is_nan());
        s.push(4.0);
        assert_eq!(s.variance(), 4.5);
    }

    /// The interval of finite values is mean ± t·s/√n; one +∞ among them
    /// makes it [+∞, +∞] (the mean is infinite), and fewer than two finite
    /// values give the degenerate interval at the mean.
    #[test]
    fn an_infinite_value_makes_the_interval_a_point_at_infinity() {
        let mut s = RunningStats::new();
        for x in [1.0, 4.0, 7.0] {
            s.push(x);
        }
        // Welford's updates give mean 4 and Σ(x − x̄)² = 18 exactly (every
        // intermediate is a short dyadic number), so variance 9 and
        // s/√n = √(9/3) = √3: the same f64 operations as below, bit for bit.
        let half = t_quantile(0.95, 2) * 3f64.sqrt();
        let i = s.interval(0.95);
        assert_eq!((i.low, i.high), (4.0 - half, 4.0 + half), "{i:?}");
        s.push(f64::INFINITY);
        let i = s.interval(0.95);
        assert_eq!(
            (i.low, i.high, i.level),
            (f64::INFINITY, f64::INFINITY, 0.95)
        );
        let mut one = RunningStats::new();
        one.push(2.5);
        let i = one.interval(0.9);
        assert_eq!((i.low, i.high), (2.5, 2.5));
    }
}
