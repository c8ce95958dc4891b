//! Shards: disjoint, deterministic parts of a run, for running one
//! computation on many machines and merging the parts into exactly the
//! result one machine gives.
//!
//! A run's work comes in numbered units: blocks of replicates for the gap,
//! blocks of samples for the KL estimators, seeds for the calibration. Each
//! unit draws from its own streams, addressed by (seed, name, chunk), so it
//! computes the same numbers on any machine; the results of the units are
//! folded in unit order, so the fold gives the same bits whatever machine
//! computed each unit. Shard I of N takes the units u with u mod N = I.

use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count`: the units u with u mod count = index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    index: u64,
    count: u64,
}

/// Why a shard specification is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not of the form `I/N` with two integers.
    #[error("shard {0:?} is not of the form I/N (e.g. 0/4)")]
    Syntax(String),
    /// N = 0.
    #[error("shard {index}/0: the number of shards must be at least 1")]
    NoShards {
        /// The index given.
        index: u64,
    },
    /// I ≥ N.
    #[error("shard {index}/{count}: the index must be below the number of shards (0 to {})", count - 1)]
    IndexTooLarge {
        /// The index given.
        index: u64,
        /// The number of shards.
        count: u64,
    },
}

impl Shard {
    /// The whole run: shard 0 of 1.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`.
    ///
    /// # Errors
    /// [`ShardError::NoShards`] for `count` = 0,
    /// [`ShardError::IndexTooLarge`] for `index` ≥ `count`.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::estimators::Shard;
    /// let s: Shard = "1/3".parse()?;
    /// assert_eq!(s, Shard::new(1, 3)?);
    /// assert_eq!(s.units(8).collect::<Vec<_>>(), [1, 4, 7]);
    /// assert!("3/3".parse::<Shard>().is_err());
    /// # Ok::<(), logloss_proofs::estimators::ShardError>(())
    /// ```
    pub fn new(index: u64, count: u64) -> Result<Self, ShardError> {
        if count == 0 {
            Err(ShardError::NoShards { index })
        } else if index >= count {
            Err(ShardError::IndexTooLarge { index, count })
        } else {
            Ok(Shard { index, count })
        }
    }

    /// I.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// N.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether unit `unit` is this shard's.
    pub fn owns(&self, unit: u64) -> bool {
        unit % self.count == self.index
    }

    /// This shard's units among 0..`total`, ascending.
    pub fn units(&self, total: u64) -> impl Iterator<Item = u64> + use<> {
        (self.index..total).step_by(usize::try_from(self.count).unwrap_or(usize::MAX))
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, ShardError> {
        let syntax = || ShardError::Syntax(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(syntax)?;
        let parse = |t: &str| t.trim().parse::<u64>().map_err(|_| syntax());
        Shard::new(parse(i)?, parse(n)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shards of N partition 0..total: every unit in exactly one.
    #[test]
    fn the_shards_of_a_run_partition_its_units() {
        for count in [1, 2, 3, 7, 20] {
            let mut seen = vec![0; 17];
            for index in 0..count {
                let shard = Shard::new(index, count).unwrap();
                for u in shard.units(17) {
                    assert!(shard.owns(u));
                    seen[u as usize] += 1;
                }
            }
            assert!(seen.iter().all(|&k| k == 1), "{count}: {seen:?}");
        }
        assert_eq!(
            "x/2".parse::<Shard>(),
            Err(ShardError::Syntax("x/2".into()))
        );
        assert_eq!(
            "2/0".parse::<Shard>(),
            Err(ShardError::NoShards { index: 2 })
        );
        assert_eq!(
            "0/4".parse::<Shard>().map(|s| s.to_string()),
            Ok("0/4".into())
        );
    }
}
