//! Cost of the exact measures, per element. Ids are stable across versions:
//! `measures/{kl_divergence,cross_entropy,entropy,cross_entropy_logits}/{1000,1000000}`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logloss_proofs::measures::{
    cross_entropy, cross_entropy_logits, entropy, kl_divergence, normalize,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seed of the bench inputs' stream; the inputs are the same in every run.
const SEED: u64 = 0x6265_6e63_6821; // "bench!"

fn distribution(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    let w: Vec<f64> = (0..n).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
    normalize(&w).expect("positive weights")
}

fn measures(c: &mut Criterion) {
    let mut group = c.benchmark_group("measures");
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    for n in [1_000usize, 1_000_000] {
        let p = distribution(&mut rng, n);
        let q = distribution(&mut rng, n);
        let z: Vec<f64> = q.iter().map(|x| x.ln()).collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("kl_divergence/{n}"), |b| {
            b.iter(|| kl_divergence(black_box(&p), black_box(&q)))
        });
        group.bench_function(format!("cross_entropy/{n}"), |b| {
            b.iter(|| cross_entropy(black_box(&p), black_box(&q)))
        });
        group.bench_function(format!("entropy/{n}"), |b| {
            b.iter(|| entropy(black_box(&p)))
        });
        group.bench_function(format!("cross_entropy_logits/{n}"), |b| {
            b.iter(|| cross_entropy_logits(black_box(&p), black_box(&z)))
        });
    }
    group.finish();
}

criterion_group!(benches, measures);
criterion_main!(benches);
