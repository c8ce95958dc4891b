//! The one place where random streams are made.
//!
//! Every random draw in the crate comes from a ChaCha8 stream named by
//! (seed, name, chunk): the recorded seed, a stable name for the consumer
//! (a claim id, an estimator), and a chunk index for work split across threads.
//! The same triple gives the same stream on every machine and at any thread
//! count; different names give independent streams.

use proptest::test_runner::{RngAlgorithm, TestRng};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 2026;

/// FNV-1a of a name: a stable 64-bit key (not a cryptographic hash; it only
/// needs to separate the crate's own fixed names).
const fn fnv1a(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

/// A 32-byte ChaCha key from (seed, name): the seed in the first eight bytes,
/// the name's key in the next eight, so distinct pairs give distinct keys.
fn key(seed: u64, name: &str) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..8].copy_from_slice(&seed.to_le_bytes());
    k[8..16].copy_from_slice(&fnv1a(name).to_le_bytes());
    k
}

/// The ChaCha8 stream for (seed, name, chunk).
///
/// ```
/// use logloss_proofs::seed::stream;
/// use rand::RngExt;
/// let a: f64 = stream(7, "gap", 0).random();
/// let b: f64 = stream(7, "gap", 0).random();
/// assert_eq!(a, b);
/// assert_ne!(a, stream(7, "gap", 1).random::<f64>());
/// ```
pub fn stream(seed: u64, name: &str, chunk: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::from_seed(key(seed, name));
    rng.set_stream(chunk);
    rng
}

/// A proptest generator for (seed, name), itself a ChaCha stream, so property
/// tests replay exactly from the recorded seed (a plain `TestRunner` ignores
/// the `PROPTEST_*` environment variables).
pub fn proptest_rng(seed: u64, name: &str) -> TestRng {
    TestRng::from_seed(RngAlgorithm::ChaCha, &key(seed, name))
}

/// A 64-bit seed for generators that take one (quickcheck's `Gen`), drawn
/// from the stream (seed, name, 0).
pub fn derived_u64(seed: u64, name: &str) -> u64 {
    use rand::RngExt;
    stream(seed, name, u64::MAX).random()
}
