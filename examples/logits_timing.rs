//! Times `cross_entropy_logits_batch` (batchmean, class-index targets) or its
//! gradient on a batch read from `.npy` files, inside one process, so that
//! start-up and file reading are not in the measurement.
//! `scripts/compare_logits_peers.py` runs it next to PyTorch, scipy and numpy
//! on the same arrays.
//!
//! ```text
//! cargo run --release --example logits_timing -- Z.npy LABELS.npy --classes C [--grad] [--reps N]
//! ```
//!
//! `Z.npy` holds the rows × classes logits flattened in row-major order,
//! `LABELS.npy` one class index per row (as float64, as numpy saves them
//! with `astype(float)`). Prints one JSON object: the shape, repetitions,
//! the median and minimum nanoseconds per element (rows × classes), the
//! value (the batchmean CE, or the sum of the gradient's squares), and which
//! kernel path ran (`LOGLOSS_PROOFS_SIMD=off` forces the portable one,
//! `=avx2` at most AVX2; `RAYON_NUM_THREADS` sets the threads).

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use logloss_proofs::measures::npy::read_f64_npy;
use logloss_proofs::measures::{
    CrossEntropyOptions, LogitsBatch, Reduced, Reduction, Targets, cross_entropy_logits_batch,
    cross_entropy_logits_batch_grad, kernel_path,
};

struct Args {
    files: Vec<String>,
    classes: usize,
    grad: bool,
    reps: usize,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        files: Vec::new(),
        classes: 0,
        grad: false,
        reps: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--classes" => {
                args.classes = value("--classes")?
                    .parse()
                    .map_err(|e| format!("--classes: {e}"))?
            }
            "--reps" => {
                args.reps = value("--reps")?
                    .parse()
                    .map_err(|e| format!("--reps: {e}"))?
            }
            "--grad" => args.grad = true,
            _ if a.starts_with("--") => return Err(format!("unknown option {a}")),
            _ => args.files.push(a),
        }
    }
    if args.files.len() != 2 || args.classes == 0 {
        return Err("give Z.npy LABELS.npy --classes C".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("logits_timing: {e}");
            return ExitCode::from(2);
        }
    };
    let (z, labels) = match (
        read_f64_npy(Path::new(&args.files[0])),
        read_f64_npy(Path::new(&args.files[1])),
    ) {
        (Ok(z), Ok(l)) => (z, l),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("logits_timing: {e}");
            return ExitCode::FAILURE;
        }
    };
    let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    let batch = match LogitsBatch::new(&z, args.classes) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("logits_timing: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = CrossEntropyOptions::new(Reduction::BatchMean);
    // The timed call: the batchmean CE, or the gradient (returned, not
    // reduced, as autograd returns it).
    let run = |b: &LogitsBatch<'_>| -> (f64, Vec<f64>) {
        let targets = Targets::Labels(&labels);
        if args.grad {
            let g = cross_entropy_logits_batch_grad(b, targets, options).expect("checked");
            (0.0, g)
        } else {
            match cross_entropy_logits_batch(b, targets, options).expect("checked") {
                Reduced::Total(v) => (v, Vec::new()),
                Reduced::PerRow(_) => unreachable!("batchmean gives a total"),
            }
        }
    };
    if let Err(e) = cross_entropy_logits_batch(&batch, Targets::Labels(&labels), options) {
        eprintln!("logits_timing: {e}");
        return ExitCode::FAILURE;
    }
    let (value, g) = run(&batch);
    let value = if args.grad {
        g.iter().map(|x| x * x).sum()
    } else {
        value
    };
    let n = z.len();
    // About 0.5 s of work unless told otherwise, at least 11 repetitions.
    let reps = if args.reps > 0 {
        args.reps
    } else {
        (5e8 / (n as f64 * 2.0)).clamp(11.0, 100_000.0) as usize
    };
    for _ in 0..reps.div_ceil(10) {
        black_box(run(black_box(&batch)));
    }
    let mut ns: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            black_box(run(black_box(&batch)));
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    println!(
        "{{\"op\": \"{}\", \"rows\": {}, \"classes\": {}, \"reps\": {reps}, \"median_ns_per_element\": {}, \"min_ns_per_element\": {}, \"value\": {value:e}, \"path\": \"{}\"}}",
        if args.grad { "grad" } else { "ce" },
        batch.rows(),
        batch.classes(),
        ns[reps / 2],
        ns[0],
        kernel_path()
    );
    ExitCode::SUCCESS
}
