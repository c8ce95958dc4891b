//! Cost of the exact measures, per element. Ids are stable across versions:
//! `measures/{kl_divergence,cross_entropy,entropy,cross_entropy_logits}/{1000,1000000}`,
//! and for batches of logits (rows × classes, class-index targets,
//! `batchmean`) `measures/cross_entropy_logits/{1000x1000,64x50000}` and
//! `measures/cross_entropy_logits_grad/1000x1000`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logloss_proofs::measures::{
    CrossEntropyOptions, LogitsBatch, Reduction, Targets, cross_entropy, cross_entropy_logits,
    cross_entropy_logits_batch, cross_entropy_logits_batch_grad, entropy, kl_divergence, normalize,
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
    let options = CrossEntropyOptions::new(Reduction::BatchMean);
    for (rows, classes) in [(1_000usize, 1_000usize), (64, 50_000)] {
        // Logits ln q of random distributions, one label per row.
        let z: Vec<f64> = (0..rows)
            .flat_map(|_| distribution(&mut rng, classes).into_iter().map(f64::ln))
            .collect();
        let labels: Vec<usize> = (0..rows).map(|_| rng.random_range(0..classes)).collect();
        let batch = LogitsBatch::new(&z, classes).expect("finite logits");
        group.throughput(Throughput::Elements((rows * classes) as u64));
        group.bench_function(format!("cross_entropy_logits/{rows}x{classes}"), |b| {
            b.iter(|| {
                cross_entropy_logits_batch(black_box(&batch), Targets::Labels(&labels), options)
            })
        });
        if rows == 1_000 {
            group.bench_function(format!("cross_entropy_logits_grad/{rows}x{classes}"), |b| {
                b.iter(|| {
                    cross_entropy_logits_batch_grad(
                        black_box(&batch),
                        Targets::Labels(&labels),
                        options,
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, measures);
criterion_main!(benches);
