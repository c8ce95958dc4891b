//! The `logloss-proofs` binary, run for real: outputs, JSON round-trips, and
//! exit status 2 with one line on stderr for each kind of bad input.

#[path = "common/binary.rs"]
mod binary;

use std::path::PathBuf;

use binary::{binary, run, stderr, stdout};
use logloss_proofs::measures::npy::to_npy_bytes;
use logloss_proofs::measures::{cross_entropy, entropy, kl_divergence};

/// Asserts status 2, empty stdout, and exactly one stderr line containing `needle`.
fn assert_bad_input(args: &[&str], needle: &str) {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: status; stderr {err:?}");
    assert!(o.stdout.is_empty(), "{args:?}: stdout should be empty");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line, got {err:?}");
    assert!(err.starts_with("error: "), "{args:?}: {err:?}");
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err:?}"
    );
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("one JSON object")
}

#[test]
fn measure_json_values_round_trip_to_the_library_values() {
    let (p, q) = ([0.2, 0.8], [0.5, 0.5]);
    let v = json(&["measure", "--p", "0.2,0.8", "--q", "0.5,0.5", "--json"]);
    // The binary must print exactly the library's f64s: compare bit for bit.
    assert_eq!(v["entropy"].as_f64(), Some(entropy(&p).unwrap()));
    assert_eq!(
        v["cross_entropy"].as_f64(),
        Some(cross_entropy(&p, &q).unwrap())
    );
    assert_eq!(
        v["kl_divergence"].as_f64(),
        Some(kl_divergence(&p, &q).unwrap())
    );
    assert_eq!(
        v["reverse_kl_divergence"].as_f64(),
        Some(kl_divergence(&q, &p).unwrap())
    );
    assert_eq!(v["unit"], "nats");
}

#[test]
fn measure_json_writes_infinity_as_the_string_inf() {
    let v = json(&["measure", "--p", "0.5,0.5", "--q", "1,0", "--json"]);
    assert_eq!(v["cross_entropy"], "inf");
    assert_eq!(v["kl_divergence"], "inf");
    // KL(q‖p) with q = (1, 0) is ln 2: finite, a number.
    assert_eq!(
        v["reverse_kl_divergence"].as_f64(),
        Some(std::f64::consts::LN_2)
    );
}

#[test]
fn measure_table_lists_the_four_quantities_aligned() {
    let o = run(&["measure", "--p", "0.2,0.8", "--q", "0.5,0.5"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("2 categories") && lines[0].ends_with("nats"));
    let width = lines[0].chars().count();
    assert!(
        lines.iter().all(|l| l.chars().count() == width),
        "aligned: {text}"
    );
    assert!(lines[3].starts_with("KL divergence KL(p‖q)"));
    let kl: f64 = lines[3].split_whitespace().last().unwrap().parse().unwrap();
    assert_eq!(kl, kl_divergence(&[0.2, 0.8], &[0.5, 0.5]).unwrap());
}

#[test]
fn measure_bits_divides_by_ln2() {
    let v = json(&[
        "measure", "--p", "0.5,0.5", "--q", "0.5,0.5", "--bits", "--json",
    ]);
    assert_eq!(v["unit"], "bits");
    // H = ln 2 nats; ln 2 / ln 2 is exactly 1 in floating point.
    assert_eq!(v["entropy"].as_f64(), Some(1.0));
}

#[test]
fn measure_reads_logits() {
    // softmax(3, 3) = (1/2, 1/2): CE((1/2, 1/2), ·) = ln 2 and KL = 0 exactly.
    let v = json(&[
        "measure",
        "--p",
        "0.5,0.5",
        "--q",
        "3,3",
        "--q-logits",
        "--json",
    ]);
    assert_eq!(v["cross_entropy"].as_f64(), Some(std::f64::consts::LN_2));
    assert_eq!(v["kl_divergence"].as_f64(), Some(0.0));
    // Large logits stay finite.
    let v = json(&[
        "measure",
        "--p",
        "0.5,0.5",
        "--q",
        "1e4,-1e4",
        "--q-logits",
        "--json",
    ]);
    assert!(v["cross_entropy"].as_f64().is_some_and(f64::is_finite));
}

/// A logit of −inf is a masked class: probability 0 exactly. With p on the
/// open classes, softmax(0, 0, −inf) = (½, ½, 0) gives CE = ln 2 and both
/// KLs 0; with mass on the masked class CE and KL(p‖q) are +inf (the JSON
/// string "inf"), as PyTorch's cross_entropy gives inf.
#[test]
fn measure_reads_masked_logits() {
    let v = json(&[
        "measure",
        "--p",
        "0.5,0.5,0",
        "--q",
        "0,0,-inf",
        "--q-logits",
        "--json",
    ]);
    assert_eq!(v["cross_entropy"].as_f64(), Some(std::f64::consts::LN_2));
    assert_eq!(v["kl_divergence"].as_f64(), Some(0.0));
    assert_eq!(v["reverse_kl_divergence"].as_f64(), Some(0.0));
    let v = json(&[
        "measure",
        "--p",
        "0.5,0,0.5",
        "--q",
        "0,0,-inf",
        "--q-logits",
        "--json",
    ]);
    assert_eq!(v["cross_entropy"], "inf");
    assert_eq!(v["kl_divergence"], "inf");
}

#[test]
fn measure_normalize_is_explicit() {
    assert_bad_input(&["measure", "--p", "1,3", "--q", "1,1"], "p sums to 4");
    let v = json(&[
        "measure",
        "--p",
        "1,3",
        "--q",
        "1,1",
        "--normalize",
        "--json",
    ]);
    let (p, q) = ([0.25, 0.75], [0.5, 0.5]);
    assert_eq!(
        v["kl_divergence"].as_f64(),
        Some(kl_divergence(&p, &q).unwrap())
    );
}

fn temp_npy(name: &str, values: &[f64]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("logloss-proofs-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, to_npy_bytes(values)).unwrap();
    path
}

/// `measure --q-logits` prints the same bytes on every SIMD path the CPU has
/// (`LOGLOSS_PROOFS_SIMD=off` forces the portable one, `=avx2` at most AVX2)
/// and on one thread or several: a vector of 70 001 logits (three blocks of
/// the lanes' layout, a ragged tail), a tenth of them masked with −∞ where p
/// is 0, most within ±5 (so that the log-normalizer's last bits show in CE)
/// and some far enough below the maximum for e^(z − max) to be subnormal or
/// 0, so that the normalizer, the weighted sums and both KLs take every
/// pass. End to end only: a sum of 63 000 terms hides most one-ulp changes
/// of single terms, so the lanes' own tests compare every pass bit for bit
/// on every path (a vector exp without its fused multiply-add fails there,
/// not here).
#[test]
fn measure_logits_give_the_same_bytes_on_every_path_and_thread_count() {
    let n = 70_001;
    // A fixed, dependency-free sequence: the fractional parts of k·φ.
    let frac = |k: usize| (k as f64 * 0.618_033_988_749_894_9).fract();
    let z: Vec<f64> = (0..n)
        .map(|k| {
            if k % 10 == 3 {
                f64::NEG_INFINITY
            } else if k % 97 == 5 {
                -800.0 * frac(k)
            } else {
                10.0 * frac(k) - 5.0
            }
        })
        .collect();
    let w: Vec<f64> = (0..n)
        .map(|k| if k % 10 == 3 { 0.0 } else { frac(3 * k + 1) })
        .collect();
    let p = logloss_proofs::measures::normalize(&w).unwrap();
    let (p, z) = (temp_npy("paths-p.npy", &p), temp_npy("paths-z.npy", &z));
    let args = [
        "measure",
        "--p-file",
        p.to_str().unwrap(),
        "--q-file",
        z.to_str().unwrap(),
        "--q-logits",
        "--json",
    ];
    let out = |simd: Option<&str>, threads: Option<&str>| {
        let mut cmd = binary();
        cmd.args(args)
            .env_remove("LOGLOSS_PROOFS_SIMD")
            .env_remove("RAYON_NUM_THREADS");
        if let Some(s) = simd {
            cmd.env("LOGLOSS_PROOFS_SIMD", s);
        }
        if let Some(t) = threads {
            cmd.env("RAYON_NUM_THREADS", t);
        }
        let o = cmd.output().expect("the binary runs");
        assert_eq!(o.status.code(), Some(0), "{simd:?}: {}", stderr(&o));
        stdout(&o)
    };
    let want = out(None, None);
    let v: serde_json::Value = serde_json::from_str(&want).unwrap();
    assert!(
        v["cross_entropy"].as_f64().is_some_and(f64::is_finite),
        "{want}"
    );
    for simd in [Some("off"), Some("avx2"), None] {
        for threads in [Some("1"), Some("3"), None] {
            assert_eq!(out(simd, threads), want, "{simd:?}, {threads:?} threads");
        }
    }
}

#[test]
fn measure_reads_npy_files() {
    let p = temp_npy("p.npy", &[0.2, 0.8]);
    let q = temp_npy("q.npy", &[0.5, 0.5]);
    let v = json(&[
        "measure",
        "--p-file",
        p.to_str().unwrap(),
        "--q-file",
        q.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        v["kl_divergence"].as_f64(),
        Some(kl_divergence(&[0.2, 0.8], &[0.5, 0.5]).unwrap())
    );
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/float32.npy");
    assert_bad_input(&["measure", "--p-file", fixture, "--q", "1"], "--p-file");
}

#[test]
fn measure_rejects_each_kind_of_bad_input_with_status_2_and_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["measure", "--p", "0.2,x", "--q", "0.5,0.5"],
            "--p: entry 1 (\"x\") is not a number",
        ),
        (&["measure", "--p", "", "--q", "0.5,0.5"], "p is empty"),
        (
            &["measure", "--p", "0.2,NaN,0.8", "--q", "0.2,0.3,0.5"],
            "p[1] = NaN is not finite",
        ),
        (
            &["measure", "--p", "0.5,0.5", "--q", "inf,0"],
            "q[0] = inf is not finite",
        ),
        (
            &["measure", "--p", "1.2,-0.2", "--q", "0.5,0.5"],
            "p[1] = -0.2 is negative",
        ),
        (
            &["measure", "--p", "0.3,0.3", "--q", "0.5,0.5"],
            "p sums to 0.6",
        ),
        (
            &["measure", "--p", "0.5,0.5", "--q", "0.2,0.3,0.5"],
            "p has length 2 but q has length 3",
        ),
        (
            &["measure", "--p", "0.5,0.5", "--q", "1,nan", "--q-logits"],
            "logits[1] = NaN is not finite",
        ),
        (
            &["measure", "--p", "0.5,0.5", "--q", "inf,0", "--q-logits"],
            "logits[0] = inf is not finite",
        ),
        (
            &[
                "measure",
                "--p",
                "0.5,0.5",
                "--q",
                "-inf,-inf",
                "--q-logits",
            ],
            "every logit is -inf",
        ),
        (&["measure", "--p", "0.5,0.5"], "--q"),
        (
            &["measure", "--p", "0.5,0.5", "--q", "0.5,0.5", "--bogus"],
            "--bogus",
        ),
        (
            &["measure", "--p-file", "/nonexistent/p.npy", "--q", "1"],
            "/nonexistent/p.npy",
        ),
        (&["no-such-command"], "no-such-command"),
        (&[], "subcommand"),
    ];
    for (args, needle) in cases {
        assert_bad_input(args, needle);
    }
}

#[test]
fn check_json_lists_every_claim_with_its_outcome() {
    let v = json(&["check", "--json", "--cases", "16", "--seed", "3"]);
    assert_eq!(v["seed"], 3);
    let claims = v["claims"].as_array().expect("claims array");
    assert_eq!(claims.len(), logloss_proofs::claims::catalogue().len());
    for c in claims {
        for key in [
            "id",
            "title",
            "expectation",
            "outcome",
            "cases",
            "worst_error_ratio",
            "counterexample",
        ] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
        assert_eq!(c["outcome"], "as_expected", "{c}");
        match c["expectation"].as_str() {
            Some("holds") => assert!(c["counterexample"].is_null(), "{c}"),
            Some("refuted") => assert!(c["counterexample"].is_object(), "{c}"),
            other => panic!("expectation {other:?}"),
        }
    }
}

#[test]
fn check_text_prints_one_line_per_claim_and_exits_0() {
    let o = run(&["check", "--cases", "16"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert_eq!(
        text.lines().count(),
        logloss_proofs::claims::catalogue().len(),
        "{text}"
    );
    assert!(text.lines().all(|l| l.starts_with("ok ")), "{text}");
    let one = run(&["check", "--claim", "gibbs", "--cases", "16"]);
    assert_eq!(stdout(&one).lines().count(), 1);
}

#[test]
fn check_rejects_an_unknown_claim_and_zero_cases() {
    assert_bad_input(
        &["check", "--claim", "nope"],
        "no claim has the id \"nope\"",
    );
    assert_bad_input(&["check", "--cases", "0"], "--cases");
}

#[test]
fn gap_json_has_the_documented_keys_and_infinity_as_a_string() {
    let v = json(&[
        "gap",
        "--model",
        "normal",
        "--truth",
        "laplace:0,1",
        "--n",
        "50",
        "--reps",
        "500",
        "--seed",
        "7",
        "--json",
    ]);
    for key in [
        "n",
        "reps",
        "seed",
        "gap_mean",
        "gap_ci_low",
        "gap_ci_high",
        "gap_std_error",
        "control_variate",
        "excess_risk_mean",
        "excess_risk_ci_low",
        "excess_risk_ci_high",
        "infinite_fraction",
        "theory_asymptotic",
        "theory_exact",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["theory_asymptotic"].as_f64(), Some(3.5 / 50.0)); // tr(J⁻¹K) = 3.5 for Laplace data
    assert!(
        v["theory_exact"].is_null(),
        "no exact value is known for Laplace data"
    );
    let v = json(&[
        "gap",
        "--model",
        "categorical",
        "--truth",
        "categorical:0.9,0.1",
        "--n",
        "5",
        "--reps",
        "200",
        "--json",
    ]);
    assert_eq!(v["gap_mean"], "inf");
    assert_eq!(v["theory_exact"], "inf");
    assert!(v["infinite_fraction"].as_f64().is_some_and(|f| f > 0.0));
}

#[test]
fn gap_and_kl_estimators_reject_bad_specifications() {
    // `gap --model MODEL --truth TRUTH REST…` is bad input naming `needle`.
    let bad_gap = |model: &str, truth: &str, rest: &[&str], needle: &str| {
        let mut args = vec!["gap", "--model", model, "--truth", truth];
        args.extend(rest);
        assert_bad_input(&args, needle);
    };
    bad_gap(
        "gamma",
        "normal:0,1",
        &["--n", "10"],
        "unknown model family \"gamma\"",
    );
    bad_gap(
        "normal",
        "normal:0,0",
        &["--n", "10"],
        "SIGMA = 0 must be positive",
    );
    bad_gap(
        "categorical",
        "categorical:0.5,0.6",
        &["--n", "10"],
        "sums to 1.1",
    );
    bad_gap("normal", "normal:0,1", &["--n", "1"], "n = 1 is too small");
    bad_gap(
        "normal",
        "normal:0,1",
        &["--n", "10", "--level", "1.5"],
        "level = 1.5",
    );
    assert_bad_input(
        &[
            "kl-estimators",
            "--from",
            "normal:0,1",
            "--to",
            "laplace:0,1",
        ],
        "one family",
    );
    assert_bad_input(
        &[
            "kl-estimators",
            "--from",
            "uniform:0,1",
            "--to",
            "uniform:0,2",
        ],
        "normal, laplace or exponential",
    );
}

#[test]
fn kl_estimators_json_has_each_estimator() {
    let v = json(&[
        "kl-estimators",
        "--from",
        "normal:0,1",
        "--to",
        "normal:0.1,1",
        "--samples",
        "10000",
        "--seed",
        "7",
        "--json",
    ]);
    assert!(v["true_kl"].as_f64().is_some());
    for k in ["k1", "k2", "k3"] {
        for key in ["mean", "std", "bias_over_kl", "std_over_kl"] {
            assert!(v[k][key].as_f64().is_some(), "{k}.{key}: {v}");
        }
    }
}

#[test]
fn calibrate_json_reports_each_check_with_an_exact_interval() {
    let v = json(&["calibrate", "--seeds", "3", "--level", "0.5", "--json"]);
    assert_eq!(v["level"], 0.5);
    let checks = v["checks"].as_array().expect("checks");
    assert!(!checks.is_empty());
    for c in checks {
        for key in [
            "id",
            "runs",
            "false_failures",
            "rate",
            "ci_low",
            "ci_high",
            "consistent",
        ] {
            assert!(c.get(key).is_some(), "{key}: {c}");
        }
        assert_eq!(c["runs"], 3);
    }
    assert_bad_input(&["calibrate", "--seeds", "3", "--level", "2"], "level = 2");
}

#[test]
fn help_and_version_print_to_stdout_and_succeed() {
    // Asking for help is not an error: exit 0, the text on stdout, nothing
    // on stderr (clap reports these as "errors" of kind DisplayHelp and
    // DisplayVersion, which must not be turned into status 2).
    for args in [&["--help"][..], &["report", "--help"], &["--version"]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
        let out = stdout(&o);
        if args == ["--version"] {
            assert_eq!(
                out.trim(),
                format!("logloss-proofs {}", env!("CARGO_PKG_VERSION"))
            );
        } else {
            assert!(out.contains("Usage: logloss-proofs"), "{args:?}: {out}");
        }
    }
}

/// A failed write of the results is an error (status 2, one line on stderr),
/// unlike a closed pipe: on Linux, /dev/full refuses every write with "no
/// space left on device".
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_of_the_results_is_an_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let o = binary()
        .args(["measure", "--p", "0.5,0.5", "--q", "0.25,0.75"])
        .stdout(full)
        .output()
        .expect("the binary runs");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "stderr {err:?}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.starts_with("error: "), "{err:?}");
}
