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

/// The text's entries: a line that does not start with a space, with the
/// indented lines after it (a wrapped line's continuation, or a failed
/// check's problem, hints and case).
fn entries(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        match out.last_mut() {
            Some(entry) if line.starts_with(' ') => {
                entry.push('\n');
                entry.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// An entry's wrapped lines joined into one, one space at each break.
fn unwrapped(entry: &str) -> String {
    entry.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// Asserts that no line of the text is longer than 100 characters (the
/// kit's output wraps at 100).
fn assert_wrapped(text: &str) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} characters: {line}",
            line.chars().count()
        );
    }
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
    assert_wrapped(&text);
    let entries = entries(&text);
    assert_eq!(
        entries.len(),
        12,
        "one entry per check and a summary: {text}"
    );
    // The summary names the implementation by the command that runs it.
    assert!(
        unwrapped(&entries[11]).contains(&format!(": {cmd} (seed ")),
        "the summary names {cmd}: {}",
        entries[11]
    );
    for entry in &entries[..11] {
        let name = entry.split_whitespace().nth(1).unwrap_or_default();
        if skipped.contains(&name) {
            assert!(entry.starts_with("skipped "), "{entry}");
            // Nothing was compared, so no case counts.
            let words: Vec<&str> = entry.split_whitespace().collect();
            assert_eq!(words[2..4], ["cases", "0"], "{entry}");
        } else {
            assert!(entry.starts_with("ok "), "{entry}");
        }
    }
    text
}

/// Asserts exit 1 and a FAILED entry for each check in `caught` (and, when
/// `only`, for no other), each with its problem and shrunk case; returns
/// the failed entries.
fn assert_caught(variant: &str, caught: &[&str], only: bool) -> Vec<String> {
    let o = conform(&impls(variant), &[]);
    let text = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{variant}: stdout {text}; stderr {}",
        stderr(&o)
    );
    assert_wrapped(&text);
    let failed: Vec<String> = entries(&text)
        .into_iter()
        .filter(|e| e.starts_with("FAILED "))
        .collect();
    let names: Vec<&str> = failed
        .iter()
        .map(|e| e.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    for name in caught {
        assert!(names.contains(name), "{variant} should fail {name}: {text}");
    }
    if only {
        assert_eq!(names, caught, "{variant}: {text}");
    }
    for entry in &failed {
        assert!(
            entry.contains("\n        problem: ")
                && unwrapped(entry).contains("shrunk case: p = [["),
            "{entry}"
        );
    }
    failed
}

/// The entry of the check `name` among failed entries.
fn entry_of<'a>(failed: &'a [String], name: &str) -> &'a str {
    failed
        .iter()
        .find(|e| e.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no entry for {name}: {failed:?}"))
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
    let failed = assert_caught(
        "swapped",
        &["agreement/kl_divergence", "identity", "zero-semantics"],
        false,
    );
    let kl = unwrapped(entry_of(&failed, "agreement/kl_divergence"));
    assert!(
        kl.contains("hint: got = KL(q‖p): the arguments swapped"),
        "{kl}"
    );
}

/// A hint is printed for the failure it explains, and nowhere else.
fn assert_hint(failed: &[String], check: &str, hint: &str) {
    for entry in failed {
        let has = unwrapped(entry).contains(hint);
        let name = entry.split_whitespace().nth(1).unwrap_or_default();
        assert_eq!(has, name == check, "{hint:?} on {name}: {entry}");
    }
}

#[test]
fn base_2_mixed_with_nats_exits_1_naming_the_identity() {
    assert_caught("base2", &["agreement/kl_divergence", "identity"], false);
}

#[test]
fn clipped_probabilities_exit_1_naming_zero_semantics() {
    let failed = assert_caught(
        "clipped",
        &["zero-semantics", "agreement/cross_entropy"],
        false,
    );
    // The script clips q to [1e-7, 1]; the case has a third of its mass at
    // q = 0, which fixes ε far within the two digits shown.
    let zero = unwrapped(entry_of(&failed, "zero-semantics"));
    assert!(
        zero.contains(
            "hint: finite where the exact value is +∞, as if q were clipped to ε ≈ 1.0e-7"
        ),
        "{zero}"
    );
}

#[test]
fn a_log_clamped_at_minus_100_exits_1_with_its_hint() {
    let failed = assert_caught("log-clamp", &["zero-semantics"], false);
    let zero = unwrapped(entry_of(&failed, "zero-semantics"));
    assert!(
        zero.contains("hint: finite where the exact value is +∞, each category with q = 0 < p adding 100·p: the logarithm clamped at −100"),
        "{zero}"
    );
    for entry in &failed {
        assert!(!unwrapped(entry).contains("clipped to ε"), "{entry}");
    }
}

#[test]
fn no_zero_log_handling_exits_1_naming_zero_semantics() {
    let failed = assert_caught(
        "no-zero-log",
        &["zero-semantics", "agreement/entropy", "identity"],
        false,
    );
    let entropy = unwrapped(entry_of(&failed, "agreement/entropy"));
    assert!(
        entropy.contains("problem: entropy of row 0: got NaN (never agrees), want 0e0"),
        "{entropy}"
    );
    // Every NaN a failure shows says that it never agrees, so NaN against
    // NaN does not read as agreement.
    for entry in &failed {
        let text = unwrapped(entry);
        assert_eq!(
            text.matches("NaN").count(),
            text.matches("NaN (never agrees)").count(),
            "{text}"
        );
    }
    // One cause, all its checks on one line.
    let text = stdout(&conform(&impls("no-zero-log"), &[]));
    let cause = entries(&text)
        .into_iter()
        .find(|e| e.starts_with("one cause, "))
        .map(|e| unwrapped(&e))
        .expect("a line for the shared cause");
    assert!(
        cause.contains("checks: NaN where p has a zero (0·ln 0 evaluated as NaN, not taken as 0):"),
        "{cause}"
    );
    for name in ["agreement/entropy", "zero-semantics", "identity"] {
        assert!(cause.contains(name), "{cause}");
    }
    let identity = unwrapped(entry_of(&failed, "identity"));
    assert!(
        identity.contains("got NaN (never agrees), want NaN (never agrees)"),
        "{identity}"
    );
}

#[test]
fn softmax_then_log_exits_1_naming_stability() {
    assert_caught("softmax-log", &["stability"], false);
}

#[test]
fn a_mean_over_elements_exits_1_naming_reductions_only() {
    let failed = assert_caught("mean-elements", &["reductions"], true);
    let text = unwrapped(&failed[0]);
    assert!(
        text.contains("the categories: a mean over all elements (reduction='mean')"),
        "{text}"
    );
    let o = conform(&impls("mean-elements"), &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    let reductions = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "reductions"))
        .expect("the reductions check");
    let hints = reductions["hints"].as_array().expect("hints");
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert_eq!(hints[0]["hint"], "mean-over-elements");
    // One failure: no cause shared by several.
    assert_eq!(v["root_causes"], serde_json::json!([]));
    assert!(hints[0]["categories"].as_u64() >= Some(2), "{hints:?}");
}

#[test]
fn a_dropped_category_exits_1_naming_permutation() {
    assert_caught("dropped", &["permutation", "agreement/entropy"], false);
}

#[test]
fn gradients_of_the_wrong_sign_or_scale_exit_1_naming_gradient_only() {
    let sign = assert_caught("grad-sign", &["gradient"], true);
    assert!(!sign[0].contains("hint:"), "{}", sign[0]);
    let scale = assert_caught("grad-scale", &["gradient"], true);
    assert_hint(
        &scale,
        "gradient",
        "the rows: the sum not divided by the rows",
    );
}

#[test]
fn a_rejected_valid_input_is_a_failure_not_a_protocol_error() {
    let o = conform(&impls("rejects"), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        unwrapped(&stdout(&o))
            .contains("rejected a valid input: ValueError: q must be strictly positive"),
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
        assert_eq!(c["hints"], serde_json::json!([]), "{c}");
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
            "request 0 (hello)",
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
    assert_eq!(lines[1], "adapter: answering request 0");
    assert!(lines.iter().all(|l| l.starts_with("adapter: ")), "{err}");
    // The warning, then one line per request: the hello (id 0) and 1, 2, ….
    let requests = lines.len() - 1;
    // The kit's own output is the silent program's, but for its name (which
    // may wrap the summary elsewhere).
    let silent = stdout(&conform(&quiet, &[]));
    // Compared unwrapped: where the summary wraps depends on the length of
    // the command's path, and the wrap may fall inside the command.
    let same = |text: &str, cmd: &str| {
        entries(text)
            .iter()
            .map(|e| unwrapped(e).replace(cmd, &quiet))
            .collect::<Vec<_>>()
    };
    assert_eq!(same(&stdout(&o), &chatty), same(&silent, &quiet));
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
    let at = out
        .iter()
        .position(|l| l.starts_with("adapter stderr, "))
        .expect("the kept lines under the summary");
    assert!(
        entries(&out[..at].join("\n"))
            .last()
            .is_some_and(|e| e.starts_with("11 passed, 0 failed, 0 skipped")),
        "the summary just above: {text}"
    );
    assert_eq!(
        out[at],
        format!(
            "adapter stderr, last 20 lines ({} earlier lines dropped):",
            requests + 1 - 20
        )
    );
    assert_eq!(out.len(), at + 1 + 20, "{text}");
    assert_eq!(
        out[at + 20],
        format!("  answering request {}", requests - 1)
    );
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

/// A program that declares `categories: [2]` in its hello (and rejects any
/// other size) is asked about 2 categories only, and passes; asking for a
/// size outside its domain explicitly is an error before any check runs.
#[test]
fn a_declared_domain_is_kept_to() {
    let binary = impls("binary-only");
    let text = assert_passes(&binary, &[], &[]);
    assert!(
        unwrapped(&text).contains("categories {2}, rows {1, 2, 4})"),
        "{text}"
    );
    let o = conform(&binary, &["--categories", "3,5"]);
    assert_protocol_error(
        &o,
        &["batch shapes: the implementation accepts categories [2], none of the [3, 5] asked for"],
    );
}

/// Cases a program declines (`"scope": "case"`) are skipped and counted,
/// not failed: a metric that refuses one-hot targets still passes, and
/// the checks that asked say in how many cases it declined.
#[test]
fn declined_cases_are_counted_not_failed() {
    let o = conform(&impls("one-label"), &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    let declined = |name: &str| {
        v["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == name))
            .and_then(|c| c["declined"].as_u64())
            .unwrap_or_else(|| panic!("no check {name}: {v}"))
    };
    // One-hot targets are a share of the drawn rows (every row at 1
    // category, and the strategies' point masses), so some cases of the
    // checks asking for cross-entropy are declined, and only theirs.
    assert!(declined("agreement/cross_entropy") > 0, "{v}");
    assert!(declined("identity") > 0, "{v}");
    assert_eq!(declined("agreement/entropy"), 0, "{v}");
    assert_eq!(declined("agreement/kl_divergence"), 0, "{v}");
    let text = stdout(&conform(&impls("one-label"), &[]));
    assert!(
        unwrapped(&text).contains("declined by the program in"),
        "{text}"
    );
}

/// A program written without the hello, which dies on it, ends the run with
/// exit 2 and one line saying what it must answer.
#[test]
fn a_program_that_dies_on_the_hello_is_told_what_to_answer() {
    let o = conform(&impls("no-hello"), &[]);
    assert_protocol_error(
        &o,
        &[
            "request 0 (hello): the process exited",
            "must answer the opening hello",
        ],
    );
}

/// --categories and --rows set the shapes, shown in the summary and in
/// --json; sizes out of range are a usage error before the program starts.
#[test]
fn categories_and_rows_options_set_the_shapes() {
    let o = conform(
        &impls("correct"),
        &["--categories", "4,2,4", "--rows", "3", "--json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(
        v["shapes"],
        serde_json::json!({"categories": [2, 4], "rows": [3]})
    );
    for (args, needle) in [
        (
            ["--categories", "0"],
            "batch shapes: categories[0] = 0 is out of range",
        ),
        (
            ["--rows", "2,20000"],
            "batch shapes: rows[1] = 20000 is out of range",
        ),
        (["--categories", "x"], "invalid value 'x'"),
    ] {
        let o = conform(&impls("correct"), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}
