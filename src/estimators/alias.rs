//! Walker's alias method: O(1) draws from a categorical distribution.

use rand::RngExt;

/// A table for drawing category indices with probabilities p in O(1) time.
///
/// Built with Vose's stable construction: each slot holds a threshold and an
/// alias; a draw picks a slot uniformly and one uniform decides between the
/// slot and its alias. Zero-probability categories are never drawn.
///
/// Reference: M. D. Vose, "A linear algorithm for generating random numbers
/// with a given distribution", IEEE TSE 17 (1991) 972–975.
///
/// ```
/// use logloss_proofs::estimators::AliasTable;
/// use logloss_proofs::seed::stream;
/// let table = AliasTable::new(&[0.0, 1.0]);
/// let mut rng = stream(1, "doc", 0);
/// assert_eq!(table.sample(&mut rng), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AliasTable {
    threshold: Vec<f64>,
    alias: Vec<usize>,
}

impl AliasTable {
    /// Builds the table for probabilities `p` (non-negative, not all zero; they
    /// are used relative to their sum).
    pub fn new(p: &[f64]) -> Self {
        let n = p.len();
        let total: f64 = p.iter().sum();
        let mut scaled: Vec<f64> = p.iter().map(|x| x * n as f64 / total).collect();
        let mut threshold = vec![1.0; n];
        let mut alias: Vec<usize> = (0..n).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            threshold[s] = scaled[s];
            alias[s] = l;
            scaled[l] = (scaled[l] + scaled[s]) - 1.0;
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding: they keep threshold 1 (never alias),
        // except exact zeros, which must never be drawn.
        for i in small.into_iter().chain(large) {
            threshold[i] = if p[i] == 0.0 { 0.0 } else { 1.0 };
            if p[i] == 0.0 {
                alias[i] = (0..n).find(|&j| p[j] > 0.0).unwrap_or(i);
            }
        }
        AliasTable { threshold, alias }
    }

    /// Draws one category index.
    #[inline]
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let i = rng.random_range(0..self.threshold.len());
        let u: f64 = rng.random();
        if u < self.threshold[i] {
            i
        } else {
            self.alias[i]
        }
    }
}
