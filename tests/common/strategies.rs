//! proptest strategies shared by the integration tests.
//!
//! Two families: `arb_*` values that a caller might hand the measures by
//! mistake (NaN, ±∞, negative, subnormal, empty, unnormalized, long), and
//! valid distributions built the way a caller should build them, from
//! non-negative weights passed through [`normalize`].

use logloss_proofs::measures::normalize;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

/// Values that break naive code: NaN, infinities, signed zeros, subnormals,
/// the ends of the f64 range, values one rounding away from 0 and 1 (1 + ε
/// passes the sum check on its own), negatives, and logits large enough that
/// exp over- or underflows.
pub const SPECIAL: [f64; 26] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    1e-310,
    f64::MIN_POSITIVE,
    1e-300,
    f64::EPSILON,
    0.5,
    1.0,
    1.0 - f64::EPSILON / 2.0,
    1.0 + f64::EPSILON,
    2.0,
    -1.0,
    -0.5,
    f64::MAX,
    f64::MIN,
    1e300,
    1e4,
    -1e4,
    710.0,
    -746.0,
    0.1,
];

/// One of [`SPECIAL`].
pub fn special_f64() -> impl Strategy<Value = f64> {
    prop::sample::select(SPECIAL.to_vec())
}

/// Any f64, weighted towards the values that matter here: ordinary
/// probabilities, logit-sized numbers, [`SPECIAL`] values, and arbitrary bit
/// patterns of every class (NaN and ±∞ included).
pub fn arb_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.0..=1.0f64,
        3 => special_f64(),
        1 => -50.0..50.0f64,
        1 => proptest::num::f64::ANY,
    ]
}

/// Non-negative weights of length `n`, not all zero: integers up to 1000,
/// zero about one time in eight (so that supports differ), or exponentials
/// spanning 17 decades.
pub fn arb_weights(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        vec(prop_oneof![0u32..=3, 0u32..=1000], n).prop_map(|k| {
            let mut w: Vec<f64> = k.into_iter().map(f64::from).collect();
            if w.iter().all(|&x| x == 0.0) {
                w[0] = 1.0;
            }
            w
        }),
        vec(-20.0..20.0f64, n).prop_map(|e| e.into_iter().map(f64::exp).collect()),
    ]
}

/// A valid probability vector of length `n` ≥ 1, made from [`arb_weights`]
/// with [`normalize`], as a caller should make one.
pub fn arb_distribution(n: usize) -> impl Strategy<Value = Vec<f64>> {
    arb_weights(n).prop_map(|w| normalize(&w).expect("arb_weights gives valid weights"))
}

/// Two valid distributions of the same length, up to `max_n`.
pub fn arb_distribution_pair(max_n: usize) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (1..=max_n).prop_flat_map(|n| (arb_distribution(n), arb_distribution(n)))
}

/// Logits of length `n`: moderate, or up to ±1e4 (where exp overflows).
pub fn arb_logits(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![vec(-30.0..30.0f64, n), vec(-1e4..1e4f64, n)]
}

/// A vector of length `n` as a caller might pass it: arbitrary entries, a
/// valid distribution, or a valid distribution with one entry replaced by an
/// arbitrary value.
pub fn arb_vec_of_len(n: usize) -> BoxedStrategy<Vec<f64>> {
    if n == 0 {
        return Just(Vec::new()).boxed();
    }
    prop_oneof![
        1 => vec(arb_f64(), n),
        3 => arb_distribution(n),
        1 => (arb_distribution(n), any::<Index>(), arb_f64()).prop_map(|(mut p, i, v)| {
            let k = i.index(p.len());
            p[k] = v;
            p
        }),
    ]
    .boxed()
}

/// A short vector (length 0 to 6) as a caller might pass it.
pub fn arb_vec() -> impl Strategy<Value = Vec<f64>> {
    (0..=6usize).prop_flat_map(arb_vec_of_len)
}

/// Two short vectors: of independent lengths, or (more often) of one length.
pub fn arb_vec_pair() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    prop_oneof![
        1 => (arb_vec(), arb_vec()),
        3 => (0..=6usize).prop_flat_map(|n| (arb_vec_of_len(n), arb_vec_of_len(n))),
    ]
}

/// A batch of 0 to 4 rows for the `*_rows` functions, and a second batch:
/// of independent shape, of the same shape, or of valid rows throughout.
pub fn arb_batch_pair() -> impl Strategy<Value = (Vec<Vec<f64>>, Vec<Vec<f64>>)> {
    prop_oneof![
        1 => (vec(arb_vec(), 0..=4), vec(arb_vec(), 0..=4)),
        2 => (0..=4usize, 1..=5usize).prop_flat_map(|(rows, n)| {
            (vec(arb_vec_of_len(n), rows), vec(arb_vec_of_len(n), rows))
        }),
        2 => (1..=4usize, 1..=5usize).prop_flat_map(|(rows, n)| {
            (vec(arb_distribution(n), rows), vec(arb_distribution(n), rows))
        }),
    ]
}

/// A long vector, 10³ to 10⁵ entries, built in O(n) without a per-entry
/// strategy: the uniform distribution, or integer weights 1..=7 normalized,
/// optionally with one entry replaced by an arbitrary value.
pub fn arb_long_vec() -> impl Strategy<Value = Vec<f64>> {
    (
        1_000..=100_000usize,
        any::<bool>(),
        prop::option::of((any::<Index>(), arb_f64())),
    )
        .prop_map(|(n, uniform, replace)| {
            let mut p = if uniform {
                vec![1.0 / n as f64; n]
            } else {
                let w: Vec<f64> = (0..n).map(|i| (1 + i % 7) as f64).collect();
                normalize(&w).expect("positive weights")
            };
            if let Some((i, v)) = replace {
                let k = i.index(n);
                p[k] = v;
            }
            p
        })
}
