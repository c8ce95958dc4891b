//! Input generators for the claims: proptest strategies (`arb_*`) and
//! quickcheck `Arbitrary` types, covering the edge cases the claims name:
//! zeros in p, zeros in q, near-equal p and q, 1 to 10⁴ categories, logits up
//! to ±1e4, entries down to 1e−300.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use quickcheck::Arbitrary;

use crate::measures::normalize;

/// A non-negative weight: mostly ordinary, sometimes exactly zero, sometimes tiny.
pub fn arb_weight() -> BoxedStrategy<f64> {
    prop_oneof![
        6 => (1e-6f64..1.0).prop_map(|u| -u.ln()),
        2 => Just(0.0),
        1 => 1e-300f64..1e-250,
        1 => (1.0f64..2.0).prop_map(|x| x * 1e-12),
    ]
    .boxed()
}

/// A number of categories: mostly small, sometimes up to 10⁴.
pub fn arb_categories() -> BoxedStrategy<usize> {
    prop_oneof![
        8 => 1usize..=16,
        3 => 17usize..=256,
        1 => 257usize..=10_000,
    ]
    .boxed()
}

/// Normalizes weights whose first entry is positive (so the sum is positive).
fn distribution_from(first: f64, rest: Vec<f64>) -> Vec<f64> {
    let mut w = Vec::with_capacity(rest.len() + 1);
    w.push(first);
    w.extend(rest);
    normalize(&w).expect("the first weight is positive and every weight finite")
}

/// A probability vector with `n` entries, zeros and tiny entries included.
pub fn arb_distribution_of(n: usize) -> BoxedStrategy<Vec<f64>> {
    (
        (1e-3f64..10.0),
        proptest::collection::vec(arb_weight(), n - 1),
    )
        .prop_map(|(first, rest)| distribution_from(first, rest))
        .boxed()
}

/// q equal to p up to a relative perturbation 10⁻ᵏ, k ∈ {6, 9, 12}, renormalized.
fn near(p: &[f64], noise: &[f64], scale: f64) -> Vec<f64> {
    let w: Vec<f64> = p
        .iter()
        .zip(noise)
        .map(|(&pi, &e)| pi * (1.0 + scale * e))
        .collect();
    normalize(&w).expect("a perturbation of a distribution has positive mass")
}

/// Two distributions on the same categories: independent, near-equal, or with
/// q = 0 on part of p's support (a support mismatch).
pub fn arb_pair() -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    arb_categories().prop_flat_map(arb_pair_of).boxed()
}

/// Logits of `n` categories, with magnitudes up to 1e4.
pub fn arb_logits_of(n: usize) -> BoxedStrategy<Vec<f64>> {
    let scale = prop_oneof![Just(1.0), Just(30.0), Just(1e4)];
    (scale, proptest::collection::vec(-1.0f64..1.0, n))
        .prop_map(|(s, z)| z.into_iter().map(|x| x * s).collect())
        .boxed()
}

/// A distribution and logits on the same categories.
pub fn arb_distribution_and_logits() -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    arb_categories()
        .prop_flat_map(|n| (arb_distribution_of(n), arb_logits_of(n)))
        .boxed()
}

/// A pair of distributions from small integer weights, for quickcheck: exact
/// zeros are common, and shrinking removes categories and lowers weights.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegerPair {
    /// Weights of p (at least one positive).
    pub p_weights: Vec<u8>,
    /// Weights of q, same length (at least one positive).
    pub q_weights: Vec<u8>,
}

impl IntegerPair {
    /// The normalized pair (p, q).
    pub fn distributions(&self) -> (Vec<f64>, Vec<f64>) {
        let to = |w: &[u8]| {
            let w: Vec<f64> = w.iter().map(|&x| f64::from(x)).collect();
            normalize(&w).expect("at least one positive weight")
        };
        (to(&self.p_weights), to(&self.q_weights))
    }

    fn valid(&self) -> bool {
        !self.p_weights.is_empty()
            && self.p_weights.len() == self.q_weights.len()
            && self.p_weights.iter().any(|&w| w > 0)
            && self.q_weights.iter().any(|&w| w > 0)
    }
}

impl Arbitrary for IntegerPair {
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        let n = 1 + usize::arbitrary(g) % g.size().max(1);
        let draw = |g: &mut quickcheck::Gen| -> Vec<u8> {
            let mut w: Vec<u8> = (0..n).map(|_| u8::arbitrary(g) % 8).collect();
            if w.iter().all(|&x| x == 0) {
                w[0] = 1;
            }
            w
        };
        let p_weights = draw(g);
        let q_weights = if bool::arbitrary(g) {
            p_weights.clone()
        } else {
            draw(g)
        };
        IntegerPair {
            p_weights,
            q_weights,
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let (p, q) = (self.p_weights.clone(), self.q_weights.clone());
        let n = p.len();
        // Drop one category, or lower one weight by one, keeping validity.
        let drops = (0..n).map(move |i| {
            let mut a = p.clone();
            let mut b = q.clone();
            a.remove(i);
            b.remove(i);
            IntegerPair {
                p_weights: a,
                q_weights: b,
            }
        });
        let (p2, q2) = (self.p_weights.clone(), self.q_weights.clone());
        let lowers = (0..2 * n).filter_map(move |k| {
            let (mut a, mut b) = (p2.clone(), q2.clone());
            let w = if k < n { &mut a[k] } else { &mut b[k - n] };
            if *w == 0 {
                return None;
            }
            *w -= 1;
            Some(IntegerPair {
                p_weights: a,
                q_weights: b,
            })
        });
        Box::new(drops.chain(lowers).filter(IntegerPair::valid))
    }
}

/// A sample of labels and a categorical model on the same 1 to 50 categories:
/// 1 to 500 labels, drawn from the model's support (most often), from all
/// categories (so labels the model gives probability 0 occur), or one label
/// repeated (a point-mass empirical distribution).
pub fn arb_sample_and_model() -> BoxedStrategy<(Vec<usize>, Vec<f64>)> {
    use proptest::sample::Index;
    (1usize..=50)
        .prop_flat_map(|k| {
            (
                arb_distribution_of(k),
                proptest::collection::vec(any::<Index>(), 1..=500),
                prop_oneof![4 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
            )
        })
        .prop_map(|(q, picks, mode)| {
            let support: Vec<usize> = (0..q.len()).filter(|&k| q[k] > 0.0).collect();
            let sample = match mode {
                0 => picks
                    .iter()
                    .map(|i| support[i.index(support.len())])
                    .collect(),
                1 => picks.iter().map(|i| i.index(q.len())).collect(),
                _ => vec![picks[0].index(q.len()); picks.len()],
            };
            (sample, q)
        })
        .boxed()
}

/// A sample of 1 to 100 real numbers, center + spread·uᵢ with center in
/// [−3, 3], spread in [0, 3] and uᵢ in [−1, 1]; one time in four the values
/// repeat among at most eight distinct ones (ties).
pub fn arb_real_sample() -> BoxedStrategy<Vec<f64>> {
    use proptest::sample::Index;
    let place = (-3.0f64..=3.0, 0.0f64..=3.0);
    let spread_out = (
        place.clone(),
        proptest::collection::vec(-1.0f64..=1.0, 1..=100),
    )
        .prop_map(|((c, s), u)| u.into_iter().map(|x| c + s * x).collect::<Vec<f64>>());
    let tied = (
        place,
        proptest::collection::vec(-1.0f64..=1.0, 1..=8),
        proptest::collection::vec(any::<Index>(), 1..=100),
    )
        .prop_map(|((c, s), values, picks)| {
            picks
                .iter()
                .map(|i| c + s * values[i.index(values.len())])
                .collect::<Vec<f64>>()
        });
    prop_oneof![3 => spread_out, 1 => tied].boxed()
}

/// The parameters (μ, σ) of a normal model: μ in [−2, 2], σ in [1/2, 4].
pub fn arb_normal_model() -> BoxedStrategy<(f64, f64)> {
    (-2.0f64..=2.0, 0.5f64..=4.0).boxed()
}

/// A sample of labels and a model from small integer weights, for quickcheck:
/// zero weights are common (so are labels of probability zero), and shrinking
/// removes labels and categories and lowers labels and weights.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleAndModel {
    /// The labels, each below `weights.len()` (at least one).
    pub labels: Vec<u8>,
    /// The model's weights, one per category (at least one positive).
    pub weights: Vec<u8>,
}

impl SampleAndModel {
    /// The labels as category indices.
    pub fn sample(&self) -> Vec<usize> {
        self.labels.iter().map(|&y| usize::from(y)).collect()
    }

    /// The normalized model q = weights / Σ weights.
    pub fn model(&self) -> Vec<f64> {
        let w: Vec<f64> = self.weights.iter().map(|&x| f64::from(x)).collect();
        normalize(&w).expect("at least one positive weight")
    }

    fn valid(&self) -> bool {
        !self.labels.is_empty()
            && !self.weights.is_empty()
            && self.weights.iter().any(|&w| w > 0)
            && self
                .labels
                .iter()
                .all(|&y| usize::from(y) < self.weights.len())
    }
}

impl Arbitrary for SampleAndModel {
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        let k = 1 + usize::arbitrary(g) % g.size().clamp(1, 255);
        let n = 1 + usize::arbitrary(g) % (4 * g.size().max(1));
        let mut weights: Vec<u8> = (0..k).map(|_| u8::arbitrary(g) % 8).collect();
        if weights.iter().all(|&w| w == 0) {
            weights[0] = 1;
        }
        let support: Vec<u8> = (0..k as u8)
            .filter(|&y| weights[usize::from(y)] > 0)
            .collect();
        let anywhere = bool::arbitrary(g);
        let labels = (0..n)
            .map(|_| {
                if anywhere {
                    (usize::arbitrary(g) % k) as u8
                } else {
                    support[usize::arbitrary(g) % support.len()]
                }
            })
            .collect();
        SampleAndModel { labels, weights }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let mut out = Vec::new();
        let (labels, weights) = (&self.labels, &self.weights);
        // Drop the last category, then one label, then lower a label or a weight.
        if weights.len() > 1 {
            out.push(SampleAndModel {
                labels: labels.clone(),
                weights: weights[..weights.len() - 1].to_vec(),
            });
        }
        for i in 0..labels.len() {
            let mut l = labels.clone();
            l.remove(i);
            out.push(SampleAndModel {
                labels: l,
                weights: weights.clone(),
            });
        }
        for i in 0..labels.len() {
            if labels[i] > 0 {
                let mut l = labels.clone();
                l[i] -= 1;
                out.push(SampleAndModel {
                    labels: l,
                    weights: weights.clone(),
                });
            }
        }
        for k in 0..weights.len() {
            if weights[k] > 0 {
                let mut w = weights.clone();
                w[k] -= 1;
                out.push(SampleAndModel {
                    labels: labels.clone(),
                    weights: w,
                });
            }
        }
        Box::new(out.into_iter().filter(SampleAndModel::valid))
    }
}

/// Two distributions on `n` categories: independent, near-equal (q = p up to
/// a relative 10⁻ᵏ, k ∈ {6, 9, 12}), or equal; the per-`n` mixture of
/// [`arb_pair`], for batches whose rows share their number of categories.
pub fn arb_pair_of(n: usize) -> BoxedStrategy<(Vec<f64>, Vec<f64>)> {
    let independent = (arb_distribution_of(n), arb_distribution_of(n)).boxed();
    let near_equal = (
        arb_distribution_of(n),
        proptest::collection::vec(-1.0f64..1.0, n),
        prop_oneof![Just(1e-6), Just(1e-9), Just(1e-12)],
    )
        .prop_map(|(p, noise, scale)| {
            let q = near(&p, &noise, scale);
            (p, q)
        })
        .boxed();
    let equal = arb_distribution_of(n).prop_map(|p| (p.clone(), p)).boxed();
    prop_oneof![5 => independent, 3 => near_equal, 1 => equal].boxed()
}

/// A permutation of 0..n (uniform shuffles; shrinking undoes swaps, towards
/// the identity).
pub fn arb_permutation(n: usize) -> BoxedStrategy<Vec<usize>> {
    Just((0..n).collect::<Vec<usize>>()).prop_shuffle().boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};

    /// `count` values of `strategy` from the stream (default seed, name).
    fn draws<T: std::fmt::Debug>(name: &str, strategy: BoxedStrategy<T>, count: usize) -> Vec<T> {
        let rng = crate::seed::proptest_rng(crate::seed::DEFAULT_SEED, name);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        (0..count)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    fn is_distribution(p: &[f64]) -> bool {
        crate::measures::validate_distribution("p", p).is_ok()
    }

    // Each "some draw is …" below has, by the strategy's weights, a per-draw
    // probability of at least 1/40 among 600 draws (or 1/4 among 100, 1/8
    // among 300), so it fails to occur with probability below
    // (39/40)^600 < 1e−6 (or (3/4)^100, (7/8)^300, both < 1e−12); the draws
    // come from fixed seeds, so the outcome is the same at every run.

    #[test]
    fn weights_cover_zero_tiny_and_ordinary_values() {
        let w = draws("weights", arb_weight(), 600);
        // −ln u for u ∈ [10⁻⁶, 1): at most −ln 10⁻⁶ < 13.82.
        assert!(w.iter().all(|&x| (0.0..13.82).contains(&x)), "{w:?}");
        assert!(w.contains(&0.0));
        assert!(w.iter().any(|&x| (1e-300..1e-250).contains(&x)));
        assert!(w.iter().any(|&x| (1e-12..2e-12).contains(&x)));
        assert!(w.iter().any(|&x| x > 1.0));
    }

    #[test]
    fn category_counts_span_one_to_ten_thousand() {
        let n = draws("categories", arb_categories(), 600);
        assert!(n.iter().all(|&k| (1..=10_000).contains(&k)));
        assert!(n.contains(&1));
        assert!(n.iter().any(|&k| (17..=256).contains(&k)));
        assert!(n.iter().any(|&k| k > 256));
    }

    #[test]
    fn pairs_are_distributions_with_every_documented_relation() {
        let pairs = draws("pairs", arb_pair(), 600);
        let (mut equal, mut near, mut mismatch) = (false, false, false);
        for (p, q) in &pairs {
            assert_eq!(p.len(), q.len());
            assert!(is_distribution(p) && is_distribution(q), "{p:?} {q:?}");
            assert!(p[0] > 0.0 && q[0] > 0.0, "the first weight is positive");
            equal |= p == q;
            // Near-equal, but not equal: qᵢ = pᵢ(1 + s·eᵢ)/(1 + Σⱼpⱼs·eⱼ) with
            // |eᵢ| < 1 and s ≤ 10⁻⁶, so |qᵢ − pᵢ| ≤ 2s/(1 − s)·max(pᵢ, qᵢ),
            // plus a few roundings (4ε covers them).
            let s = 1e-6;
            let near_bound = 2.0 * s / (1.0 - s) + 4.0 * f64::EPSILON;
            near |= p != q
                && p.iter()
                    .zip(q)
                    .all(|(a, b)| (a - b).abs() <= near_bound * a.max(*b));
            mismatch |= p.iter().zip(q).any(|(&a, &b)| a > 0.0 && b == 0.0);
        }
        assert!(equal && near && mismatch, "{equal} {near} {mismatch}");
    }

    #[test]
    fn logits_reach_ten_thousand_and_stay_within_it() {
        let z = draws("logits", arb_distribution_and_logits(), 600);
        let largest: Vec<f64> = z
            .iter()
            .map(|(p, z)| {
                assert_eq!(p.len(), z.len());
                assert!(is_distribution(p));
                z.iter().fold(0.0f64, |m, x| m.max(x.abs()))
            })
            .collect();
        assert!(largest.iter().all(|&m| m < 1e4));
        assert!(largest.iter().any(|&m| m > 30.0));
        assert!(largest.iter().any(|&m| (1.0..30.0).contains(&m)));
        assert!(largest.iter().any(|&m| m < 1.0));
    }

    #[test]
    fn samples_and_models_cover_unseen_unsupported_and_repeated_labels() {
        let cases = draws("samples", arb_sample_and_model(), 600);
        let (mut off_support, mut repeated) = (false, false);
        for (sample, q) in &cases {
            assert!((1..=50).contains(&q.len()) && is_distribution(q));
            assert!((1..=500).contains(&sample.len()));
            assert!(sample.iter().all(|&y| y < q.len()));
            off_support |= sample.iter().any(|&y| q[y] == 0.0);
            repeated |= sample.len() > 1 && sample.iter().all(|&y| y == sample[0]);
        }
        assert!(off_support && repeated);
        assert!(cases.iter().any(|(_, q)| q.len() > 25));
        assert!(cases.iter().any(|(s, _)| s.len() > 250));
    }

    #[test]
    fn real_samples_and_normal_models_stay_in_their_ranges() {
        let samples = draws("real samples", arb_real_sample(), 600);
        for s in &samples {
            assert!((1..=100).contains(&s.len()));
            // center ± spread with |center|, spread ≤ 3.
            assert!(s.iter().all(|x| x.abs() <= 6.0), "{s:?}");
        }
        // Ties: more values than distinct ones (at most 8).
        assert!(samples.iter().any(|s| {
            let mut d = s.clone();
            d.sort_by(f64::total_cmp);
            d.dedup();
            s.len() > 8 && d.len() <= 8
        }));
        assert!(samples.iter().any(|s| s.len() > 50));
        let models = draws("normal models", arb_normal_model(), 600);
        assert!(
            models
                .iter()
                .all(|&(m, s)| (-2.0..=2.0).contains(&m) && (0.5..=4.0).contains(&s))
        );
    }

    #[test]
    fn permutations_permute() {
        let perms = draws("permutations", arb_permutation(6), 100);
        for perm in &perms {
            let mut sorted = perm.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..6).collect::<Vec<_>>());
        }
        assert!(perms.iter().any(|perm| perm != &(0..6).collect::<Vec<_>>()));
    }

    #[test]
    fn quickcheck_inputs_are_valid_with_zeros_and_equal_pairs() {
        let mut g = quickcheck::Gen::from_size_and_seed(20, 2026);
        let pairs: Vec<IntegerPair> = (0..300).map(|_| IntegerPair::arbitrary(&mut g)).collect();
        assert!(pairs.iter().all(IntegerPair::valid));
        assert!(pairs.iter().any(|c| c.p_weights == c.q_weights));
        assert!(pairs.iter().any(|c| c.p_weights != c.q_weights));
        assert!(pairs.iter().any(|c| c.q_weights.contains(&0)));
        for c in &pairs {
            let (p, q) = c.distributions();
            assert!(is_distribution(&p) && is_distribution(&q));
            assert!(c.p_weights.iter().chain(&c.q_weights).all(|&w| w < 8));
        }
        let models: Vec<SampleAndModel> = (0..300)
            .map(|_| SampleAndModel::arbitrary(&mut g))
            .collect();
        assert!(models.iter().all(SampleAndModel::valid));
        assert!(models.iter().any(|c| {
            let q = c.model();
            c.sample().iter().any(|&y| q[y] == 0.0)
        }));
        assert!(models.iter().all(|c| c.weights.iter().all(|&w| w < 8)));
    }

    /// Shrinking first offers the model without its last category, and never
    /// a model without categories.
    #[test]
    fn sample_and_model_shrinks_towards_fewer_categories() {
        let s = SampleAndModel {
            labels: vec![0],
            weights: vec![1, 1, 1],
        };
        let first = s.shrink().next().unwrap();
        assert_eq!(first.weights, vec![1, 1]);
        let one = SampleAndModel {
            labels: vec![0],
            weights: vec![1],
        };
        assert!(one.shrink().all(|c| !c.weights.is_empty()));
        // Besides dropping, shrinking lowers one label or one weight by 1.
        let s = SampleAndModel {
            labels: vec![2, 1],
            weights: vec![1, 2, 1],
        };
        let candidates: Vec<SampleAndModel> = s.shrink().collect();
        let has = |labels: &[u8], weights: &[u8]| {
            candidates
                .iter()
                .any(|c| c.labels == labels && c.weights == weights)
        };
        assert!(has(&[1, 1], &[1, 2, 1]), "a lowered label");
        assert!(has(&[2, 0], &[1, 2, 1]), "the other lowered label");
        assert!(has(&[2, 1], &[1, 1, 1]), "a lowered weight");
    }
}
