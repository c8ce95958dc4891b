//! Cost of the Monte Carlo estimators. Ids are stable across versions:
//!
//! - `estimators/gap/normal_laplace/200` and `…/1000`: one replicate of the
//!   gap estimator (Normal model fitted to n = 200 or 1000 Laplace(0, 1)
//!   points; throughput in replicates);
//! - `estimators/kl_estimators/k3`: one sample of `estimate_kl` (Normal(0, 1)
//!   against Normal(0.5, 1); k1, k2 and k3 are computed together from each
//!   sample; throughput in samples);
//! - `estimators/sample/categorical_alias`: one draw from an `AliasTable`
//!   over 1000 categories (throughput in draws).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logloss_proofs::estimators::{AliasTable, GapConfig, estimate_gap, estimate_kl};
use logloss_proofs::seed;

/// Seed of every stream used here; the work is the same in every run.
const SEED: u64 = 0x6573_7469_6d21; // "estim!"
/// Replicates per gap iteration: one chunk of the estimator, so one thread.
const GAP_REPS: u64 = 256;
/// Samples per `estimate_kl` iteration.
const KL_SAMPLES: u64 = 4096;
/// Draws per alias-sampling iteration.
const DRAWS: u64 = 1000;

fn estimators(c: &mut Criterion) {
    let mut group = c.benchmark_group("estimators");

    for n in [200, 1000] {
        let config = GapConfig {
            model: "normal".parse().expect("model"),
            truth: "laplace:0,1".parse().expect("truth"),
            n,
            reps: GAP_REPS,
            seed: SEED,
            level: 0.95,
        };
        group.throughput(Throughput::Elements(GAP_REPS));
        group.bench_function(format!("gap/normal_laplace/{n}"), |b| {
            b.iter(|| estimate_gap(black_box(&config), &|_| {}).expect("valid config"))
        });
    }

    let (from, to) = (
        "normal:0,1".parse().expect("from"),
        "normal:0.5,1".parse().expect("to"),
    );
    group.throughput(Throughput::Elements(KL_SAMPLES));
    group.bench_function("kl_estimators/k3", |b| {
        b.iter(|| estimate_kl(black_box(&from), black_box(&to), KL_SAMPLES, SEED).expect("valid"))
    });

    let mut weights = seed::stream(SEED, "bench/alias-weights", 0);
    let p: Vec<f64> = (0..1000)
        .map(|_| -(1.0 - rand::RngExt::random::<f64>(&mut weights)).ln())
        .collect();
    let table = AliasTable::new(&p);
    let mut rng = seed::stream(SEED, "bench/alias", 0);
    group.throughput(Throughput::Elements(DRAWS));
    group.bench_function("sample/categorical_alias", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for _ in 0..DRAWS {
                acc = acc.wrapping_add(table.sample(&mut rng));
            }
            black_box(acc)
        })
    });
    group.finish();
}

criterion_group!(benches, estimators);
criterion_main!(benches);
