//! Times `kl_divergence` (or `cross_entropy`, `entropy`) on arrays read from
//! `.npy` files, inside one process, so that start-up and file reading are not
//! in the measurement. `scripts/compare_peers.py` runs it next to numpy and
//! scipy on the same arrays.
//!
//! ```text
//! cargo run --release --example kl_timing -- P.npy Q.npy [--measure kl|ce|h] [--reps N]
//! cargo run --release --example kl_timing -- --n 1000000 [--measure …] [--reps N]
//! ```
//!
//! With `--n`, p and q are drawn here (uniform on the simplex, fixed seed).
//! Prints one JSON object: the measure, n, repetitions, the median and minimum
//! nanoseconds per element, the value, and which kernel path ran
//! (`LOGLOSS_PROOFS_SIMD=off` forces the portable one, `=avx2` at most AVX2).

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use logloss_proofs::measures::npy::read_f64_npy;
use logloss_proofs::measures::{cross_entropy, entropy, kernel_path, kl_divergence, normalize};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Args {
    files: Vec<String>,
    n: Option<usize>,
    measure: String,
    reps: usize,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        files: Vec::new(),
        n: None,
        measure: "kl".into(),
        reps: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--n" => args.n = Some(value("--n")?.parse().map_err(|e| format!("--n: {e}"))?),
            "--measure" => args.measure = value("--measure")?,
            "--reps" => {
                args.reps = value("--reps")?
                    .parse()
                    .map_err(|e| format!("--reps: {e}"))?
            }
            _ if a.starts_with("--") => return Err(format!("unknown option {a}")),
            _ => args.files.push(a),
        }
    }
    Ok(args)
}

fn dirichlet(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    let w: Vec<f64> = (0..n).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
    normalize(&w).expect("positive weights")
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("kl_timing: {e}");
            return ExitCode::from(2);
        }
    };
    let (p, q) = match (&args.files[..], args.n) {
        ([p, q], None) => match (read_f64_npy(Path::new(p)), read_f64_npy(Path::new(q))) {
            (Ok(p), Ok(q)) => (p, q),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("kl_timing: {e}");
                return ExitCode::FAILURE;
            }
        },
        ([], Some(n)) => {
            let mut rng = ChaCha8Rng::seed_from_u64(0x6b6c_7469_6d65); // "kltime"
            (dirichlet(&mut rng, n), dirichlet(&mut rng, n))
        }
        _ => {
            eprintln!("kl_timing: give P.npy Q.npy, or --n N");
            return ExitCode::from(2);
        }
    };
    let f: fn(&[f64], &[f64]) -> f64 = match args.measure.as_str() {
        "kl" => |p, q| kl_divergence(p, q).expect("valid inputs"),
        "ce" => |p, q| cross_entropy(p, q).expect("valid inputs"),
        "h" => |p, _| entropy(p).expect("valid input"),
        m => {
            eprintln!("kl_timing: unknown measure {m} (kl, ce or h)");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = kl_divergence(&p, &q) {
        eprintln!("kl_timing: {e}");
        return ExitCode::FAILURE;
    }
    let n = p.len();
    // About 0.5 s of work unless told otherwise, at least 11 repetitions.
    let reps = if args.reps > 0 {
        args.reps
    } else {
        (5e8 / (n as f64 * 5.0)).clamp(11.0, 100_000.0) as usize
    };
    let value = f(&p, &q);
    for _ in 0..reps.div_ceil(10) {
        black_box(f(black_box(&p), black_box(&q)));
    }
    let mut ns: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            black_box(f(black_box(&p), black_box(&q)));
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    println!(
        "{{\"measure\": \"{}\", \"n\": {n}, \"reps\": {reps}, \"median_ns_per_element\": {}, \"min_ns_per_element\": {}, \"value\": {value:e}, \"path\": \"{}\"}}",
        args.measure,
        ns[reps / 2],
        ns[0],
        kernel_path()
    );
    ExitCode::SUCCESS
}
