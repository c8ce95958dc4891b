//! `logloss-proofs conform` through the real binary and real processes: the
//! planted implementations of tests/conform_impls.py (one script, the variant
//! chosen by its argument) and the README's adapter, examples/conform_adapter.py.
//!
//! These tests need `python3` (standard library only). Without it they fail,
//! loudly: a conformance kit whose process path is never run is not tested.

#[path = "common/binary.rs"]
mod binary;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use binary::{run, stderr, stdout};

/// Few cases keep each run near half a second; the trait tests
/// (tests/conformance.rs) run the same bugs at more cases.
const CASES: &str = "32";

fn require_python3() {
    static FOUND: OnceLock<Result<String, String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| match Command::new("python3").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => Err(format!("`python3 --version` exited with {}", o.status)),
        Err(e) => Err(format!("`python3` cannot be started: {e}")),
    });
    if let Err(e) = found {
        panic!(
            "these tests run the conformance kit against Python scripts and need python3 \
             (3.8 or newer, standard library only) on PATH: {e}"
        );
    }
}

fn script(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    // Quoted, so a checkout path with spaces still splits into one word.
    format!("python3 '{}'", path.display())
}

fn impls(variant: &str) -> String {
    format!("{} {variant}", script("tests/conform_impls.py"))
}

fn conform(cmd: &str, extra: &[&str]) -> Output {
    require_python3();
    let mut args = vec!["conform", "--cmd", cmd, "--cases", CASES];
    args.extend(extra);
    run(&args)
}

/// Asserts exit 0 with every check passed or (for `skipped`) skipped.
fn assert_passes(cmd: &str, extra: &[&str], skipped: &[&str]) -> String {
    let o = conform(cmd, extra);
    let text = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{cmd}: stdout {text}; stderr {}",
        stderr(&o)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 12, "one line per check and a summary: {text}");
    // The summary names the implementation by the command that runs it.
    assert!(
        lines[11].contains(&format!(": {cmd} (seed ")),
        "the summary names {cmd}: {}",
        lines[11]
    );
    for line in &lines[..11] {
        let name = line.split_whitespace().nth(1).unwrap_or_default();
        if skipped.contains(&name) {
            assert!(line.starts_with("skipped "), "{line}");
        } else {
            assert!(line.starts_with("ok "), "{line}");
        }
    }
    text
}

/// Asserts exit 1 and a FAILED line for each check in `caught` (and, when
/// `only`, for no other), each with its shrunk case.
fn assert_caught(variant: &str, caught: &[&str], only: bool) {
    let o = conform(&impls(variant), &[]);
    let text = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{variant}: stdout {text}; stderr {}",
        stderr(&o)
    );
    let failed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("FAILED "))
        .map(|l| l.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    for name in caught {
        assert!(
            failed.contains(name),
            "{variant} should fail {name}: {text}"
        );
    }
    if only {
        assert_eq!(failed, caught, "{variant}: {text}");
    }
    for line in text.lines().filter(|l| l.starts_with("FAILED ")) {
        assert!(
            line.contains("  problem: ") && line.contains("  shrunk case: p = [["),
            "{line}"
        );
    }
}

/// The lines of stderr that are the kit's own, not the program's passed on
/// (prefixed `adapter: `).
fn own_stderr(o: &Output) -> String {
    stderr(o)
        .lines()
        .filter(|l| !l.starts_with("adapter: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Asserts exit 2, nothing on stdout, and one stderr line of the kit's own
/// with each needle.
fn assert_protocol_error(o: &Output, needles: &[&str]) {
    let err = own_stderr(o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "stderr {err}; stdout {}",
        stdout(o)
    );
    assert!(o.stdout.is_empty(), "stdout should be empty: {}", stdout(o));
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("error: "), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
}

#[test]
fn the_textbook_implementation_passes_with_exit_0() {
    let text = assert_passes(&impls("correct"), &[], &[]);
    assert!(text.contains("11 passed, 0 failed, 0 skipped"), "{text}");
}

#[test]
fn the_readme_adapter_passes_at_both_precisions() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let adapter_text =
        std::fs::read_to_string(format!("{root}/examples/conform_adapter.py")).unwrap();
    assert!(
        readme.contains("examples/conform_adapter.py"),
        "the README points at the adapter"
    );
    // The loop the README shows is the adapter's own, verbatim.
    let shown = readme
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows the adapter's loop");
    assert!(
        adapter_text.contains(shown),
        "README excerpt not in the adapter: {shown}"
    );
    let adapter = script("examples/conform_adapter.py");
    assert_passes(&adapter, &[], &[]);
    assert_passes(&adapter, &["--precision", "f32"], &[]);
}

#[test]
fn infinities_as_strings_and_as_python_literals_both_parse() {
    // `correct` writes Infinity and NaN (Python's json), `inf-strings` "inf".
    assert_passes(&impls("inf-strings"), &[], &[]);
}

#[test]
fn an_unsupported_gradient_is_skipped_and_exits_0() {
    let text = assert_passes(&impls("unsupported-grad"), &[], &["gradient"]);
    assert!(text.contains("10 passed, 0 failed, 1 skipped"), "{text}");
    assert!(
        text.contains("unsupported: cross_entropy_logits_grad (none)"),
        "{text}"
    );
}

#[test]
fn swapped_arguments_exit_1_naming_agreement_and_the_identity() {
    assert_caught(
        "swapped",
        &["agreement/kl_divergence", "identity", "zero-semantics"],
        false,
    );
}

#[test]
fn base_2_mixed_with_nats_exits_1_naming_the_identity() {
    assert_caught("base2", &["agreement/kl_divergence", "identity"], false);
}

#[test]
fn clipped_probabilities_exit_1_naming_zero_semantics() {
    assert_caught(
        "clipped",
        &["zero-semantics", "agreement/cross_entropy"],
        false,
    );
}

#[test]
fn no_zero_log_handling_exits_1_naming_zero_semantics() {
    assert_caught(
        "no-zero-log",
        &["zero-semantics", "agreement/entropy"],
        false,
    );
}

#[test]
fn softmax_then_log_exits_1_naming_stability() {
    assert_caught("softmax-log", &["stability"], false);
}

#[test]
fn a_mean_over_elements_exits_1_naming_reductions_only() {
    assert_caught("mean-elements", &["reductions"], true);
}

#[test]
fn a_dropped_category_exits_1_naming_permutation() {
    assert_caught("dropped", &["permutation", "agreement/entropy"], false);
}

#[test]
fn gradients_of_the_wrong_sign_or_scale_exit_1_naming_gradient_only() {
    assert_caught("grad-sign", &["gradient"], true);
    assert_caught("grad-scale", &["gradient"], true);
}

#[test]
fn a_rejected_valid_input_is_a_failure_not_a_protocol_error() {
    let o = conform(&impls("rejects"), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("rejected a valid input: ValueError: q must be strictly positive"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn json_output_lists_every_check_with_its_case() {
    let o = conform(&impls("grad-sign"), &["--json", "--seed", "3"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(v["seed"], 3);
    assert_eq!(v["implementation"], impls("grad-sign"));
    assert_eq!(v["precision"], "f64");
    assert_eq!(v["passed"], false);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 11);
    for c in checks {
        let failed = c["name"] == "gradient";
        assert_eq!(
            c["outcome"],
            if failed { "failed" } else { "passed" },
            "{c}"
        );
        assert_eq!(c["case"].is_object(), failed, "{c}");
        assert_eq!(c["problem"].is_string(), failed, "{c}");
    }
    let gradient = checks.iter().find(|c| c["name"] == "gradient").unwrap();
    assert!(gradient["case"]["p"].is_array() && gradient["case"]["logits"].is_array());
    assert_eq!(v["capabilities"].as_array().unwrap().len(), 15);
}

#[test]
fn the_seed_reproduces_the_cases() {
    let run = || stdout(&conform(&impls("dropped"), &["--json", "--seed", "11"]));
    assert_eq!(run(), run());
}

#[test]
fn a_malformed_line_exits_2_naming_the_request() {
    let o = conform(&impls("malformed"), &[]);
    assert_protocol_error(
        &o,
        &[
            "request 3 (entropy, none)",
            "malformed response",
            "not JSON",
        ],
    );
}

#[test]
fn a_dying_process_exits_2_with_its_last_words() {
    let needles = [
        "request 3 (",
        "the process exited without answering",
        "ZeroDivisionError",
    ];
    let o = conform(&impls("dies"), &[]);
    assert_protocol_error(&o, &needles);
    // Its traceback was passed on as it came, before the kit's error line.
    let err = stderr(&o);
    assert!(
        err.starts_with("adapter: Traceback (most recent call last): ... ZeroDivisionError\n"),
        "{err}"
    );
    // Kept, it is only in the error line.
    let o = conform(&impls("dies"), &["--quiet-adapter"]);
    assert_protocol_error(&o, &needles);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

/// The first answer is held to --startup-timeout, the others to --timeout:
/// a start-up of 0.8 s passes with --timeout 0.4 and fails, exit 2 naming
/// the option to raise, with --startup-timeout 0.3.
#[test]
fn a_slow_start_up_has_its_own_timeout() {
    let slow = format!("{} 0.8", impls("slow-start"));
    assert_passes(&slow, &["--timeout", "0.4", "--startup-timeout", "10"], &[]);
    let start = Instant::now();
    let o = conform(&slow, &["--timeout", "10", "--startup-timeout", "0.3"]);
    assert_protocol_error(
        &o,
        &[
            "request 1 (entropy, none)",
            "no answer within the start-up timeout of 0.3 s",
            "raise --startup-timeout SECONDS",
        ],
    );
    assert!(!stderr(&o).contains("raise --timeout"), "{}", stderr(&o));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

/// The program's stderr is passed on, each line prefixed, and stdout is the
/// same as for a silent program; --quiet-adapter keeps its last 20 lines
/// and shows them under the summary (in --json as "adapter_stderr").
#[test]
fn the_program_s_stderr_is_passed_on_or_kept() {
    let quiet = impls("correct");
    let chatty = impls("warns");
    let o = conform(&chatty, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        "adapter: UserWarning: float64 is not enabled; arrays are truncated to float32"
    );
    assert_eq!(lines[1], "adapter: answering request 1");
    assert!(lines.iter().all(|l| l.starts_with("adapter: ")), "{err}");
    let requests = lines.len() - 1;
    // The kit's own output is the silent program's, but for its name.
    let silent = stdout(&conform(&quiet, &[]));
    assert_eq!(stdout(&o).replace(&chatty, &quiet), silent);
    let json = |cmd: &str, extra: &[&str]| {
        let mut args = vec!["--json"];
        args.extend(extra);
        let o = conform(cmd, &args);
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
        (o, v)
    };
    let (_, mut v) = json(&chatty, &[]);
    v["implementation"] = quiet.clone().into();
    assert_eq!(v, json(&quiet, &[]).1);

    let o = conform(&chatty, &["--quiet-adapter"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let text = stdout(&o);
    let out: Vec<&str> = text.lines().collect();
    assert!(
        out[11].starts_with("11 passed, 0 failed, 0 skipped"),
        "{text}"
    );
    assert_eq!(
        out[12],
        format!(
            "adapter stderr, last 20 lines ({} earlier lines dropped):",
            requests + 1 - 20
        )
    );
    assert_eq!(out.len(), 13 + 20, "{text}");
    assert_eq!(out[32], format!("  answering request {requests}"));
    let (o, v) = json(&chatty, &["--quiet-adapter"]);
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let kept = &v["adapter_stderr"];
    assert_eq!(kept["dropped"], requests + 1 - 20, "{kept}");
    assert_eq!(kept["lines"].as_array().map(Vec::len), Some(20), "{kept}");
}

#[test]
fn a_silent_process_times_out_exits_2_and_is_killed() {
    let start = Instant::now();
    let o = conform(&impls("sleeps"), &["--timeout", "1"]);
    assert_protocol_error(
        &o,
        &[
            "request 3 (",
            "no answer within the per-answer timeout of 1 s",
            "killed",
            "raise --timeout SECONDS",
        ],
    );
    // The script sleeps 60 s: the harness neither waited for it nor for its exit.
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_missing_program_and_bad_options_exit_2() {
    let o = conform("no-such-program-for-logloss-proofs --x", &[]);
    assert_protocol_error(
        &o,
        &["cannot start \"no-such-program-for-logloss-proofs --x\""],
    );
    let o = conform("python3 'unclosed", &[]);
    assert_protocol_error(&o, &["a single quote is not closed"]);
    let o = conform(&impls("correct"), &["--precision", "f16"]);
    assert_protocol_error(&o, &["--precision"]);
    let o = conform(&impls("correct"), &["--timeout", "0"]);
    assert_protocol_error(&o, &["--timeout"]);
}
