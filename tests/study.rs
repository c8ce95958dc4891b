//! Studies run through a real batch engine: `study plan` feeds GNU parallel
//! (two job slots), `study merge` assembles the points, and each point is
//! byte for byte the unsharded command's output; `study status` reports a
//! deleted and a corrupted shard, and `study merge` refuses them; the Slurm
//! script has the right array, commands and paths, and its task T runs line
//! T + 1.
//!
//! GNU parallel is installed by the project's CI script. Where it is
//! missing the parallel test says so and passes, unless
//! LOGLOSS_PROOFS_REQUIRE_PARALLEL is set (as CI sets it), where it fails.

#[path = "common/binary.rs"]
mod binary;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use binary::{run, stderr, stdout};

const BIN: &str = env!("CARGO_BIN_EXE_logloss-proofs");

fn folder(name: &str) -> PathBuf {
    binary::scratch_folder("study", name)
}

/// Two gap points (n = 10 and 30, 9000 replicates: three blocks) and two
/// shards per point; or one KL point of three blocks in three shards.
fn study_file(dir: &Path, gap: bool) -> PathBuf {
    let text = if gap {
        r#"{"name": "two-sizes", "command": "gap", "seed": 9, "shards": 2,
            "grid": {"model": ["normal"], "truth": ["laplace:0,1"], "n": [10, 30], "reps": [9000]}}"#
    } else {
        r#"{"name": "kl", "command": "kl-estimators", "seed": 9, "shards": 3,
            "grid": {"from": ["normal:0,1"], "to": ["normal:1,2"], "samples": [600000]}}"#
    };
    let path = dir.join("study.json");
    std::fs::write(&path, text).unwrap();
    path
}

fn text(args: &[&str], status: i32) -> String {
    let o = run(args);
    assert_eq!(o.status.code(), Some(status), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn plan(file: &Path, out: &Path) -> String {
    text(
        &[
            "study",
            "plan",
            &file.display().to_string(),
            &out.display().to_string(),
            "--bin",
            BIN,
        ],
        0,
    )
}

fn parallel_available() -> bool {
    let found = Command::new("parallel")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("LOGLOSS_PROOFS_REQUIRE_PARALLEL").is_none(),
            "GNU parallel is required here (LOGLOSS_PROOFS_REQUIRE_PARALLEL is set) but not found"
        );
        eprintln!("skipped: GNU parallel is not installed");
    }
    found
}

/// Runs the plan's lines through GNU parallel with two job slots.
fn run_parallel(lines: &str) {
    let mut child = Command::new("parallel")
        .args(["--will-cite", "-j", "2", "--halt", "now,fail=1"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("parallel starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "parallel: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The unsharded command of a plan line: the line's words without its
/// program, --shard and --out.
fn unsharded(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split(' ').collect();
    let cut = words.iter().position(|w| *w == "--shard").unwrap();
    words[1..cut].iter().map(|w| w.to_string()).collect()
}

#[test]
fn a_study_run_through_gnu_parallel_merges_to_the_unsharded_runs() {
    if !parallel_available() {
        return;
    }
    for gap in [true, false] {
        let dir = folder(if gap { "parallel-gap" } else { "parallel-kl" });
        let file = study_file(&dir, gap);
        let out = dir.join("shards");
        let lines = plan(&file, &out);
        let count = if gap { 4 } else { 3 };
        assert_eq!(lines.lines().count(), count, "{lines}");
        run_parallel(&lines);
        let merged = text(
            &[
                "study",
                "merge",
                &file.display().to_string(),
                &out.display().to_string(),
            ],
            0,
        );
        assert!(
            merged.starts_with(&format!(
                "{} points merged",
                count / if gap { 2 } else { 3 }
            )),
            "{merged}"
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("study.json")).unwrap())
                .unwrap();
        let shards = if gap { 2 } else { 3 };
        for (k, point) in lines.lines().step_by(shards).enumerate() {
            let args = unsharded(point);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut with_json = args.clone();
            with_json.push("--json");
            let whole = text(&args, 0);
            let whole_json = text(&with_json, 0);
            // The point's shards merged directly: byte for byte.
            let files: Vec<String> = (0..shards)
                .map(|i| {
                    out.join(format!("p{k:03}/shard-{i}-of-{shards}.json"))
                        .display()
                        .to_string()
                })
                .collect();
            let mut merge: Vec<&str> = vec!["merge"];
            merge.extend(files.iter().map(String::as_str));
            assert_eq!(text(&merge, 0), whole, "{point}");
            merge.push("--json");
            assert_eq!(text(&merge, 0), whole_json, "{point}");
            // And in the study's JSON, the same object.
            let expected: serde_json::Value = serde_json::from_str(&whole_json).unwrap();
            assert_eq!(summary["points"][k]["estimate"], expected, "{point}");
        }
        let page = std::fs::read_to_string(out.join("study.md")).unwrap();
        assert!(page.starts_with("# Study "), "{page}");
        if gap {
            let svg = std::fs::read_to_string(out.join("study.svg")).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.contains("n × expected gap"),
                "{svg:.200}"
            );
            assert!(page.contains("| 10 |") && page.contains("| 30 |"), "{page}");
        }
    }
}

#[test]
fn status_and_merge_report_a_deleted_and_a_corrupted_shard() {
    let dir = folder("status");
    let file = study_file(&dir, true);
    let out = dir.join("shards");
    let lines = plan(&file, &out);
    let f = file.display().to_string();
    let o = out.display().to_string();
    // Nothing run yet: all four missing.
    let status = text(&["study", "status", &f, &o, "--bin", BIN], 1);
    assert!(
        status.contains("0 done, 4 missing, 0 corrupt of 4 shards (2 points × 2 shards)"),
        "{status}"
    );
    // Run the lines one by one (no engine needed), then break two shards.
    for line in lines.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        text(&words[1..], 0);
    }
    let status = text(&["study", "status", &f, &o, "--bin", BIN], 0);
    assert!(
        status.starts_with("4 done, 0 missing, 0 corrupt"),
        "{status}"
    );
    std::fs::remove_file(out.join("p001/shard-0-of-2.json")).unwrap();
    std::fs::write(
        out.join("p000/shard-1-of-2.json"),
        "{\"format\": \"logloss-proofs shard\"",
    )
    .unwrap();
    let status = text(&["study", "status", &f, &o, "--bin", BIN], 1);
    assert!(status.contains("corrupt  task 1: "), "{status}");
    assert!(status.contains("missing  task 2: "), "{status}");
    assert!(
        status.contains("2 done, 1 missing, 1 corrupt of 4 shards"),
        "{status}"
    );
    assert!(status.contains("sbatch --array=1,2"), "{status}");
    // The lines to run again are the plan's lines 2 and 3.
    let plan_lines: Vec<&str> = lines.lines().collect();
    assert!(
        status.ends_with(&format!("{}\n{}\n", plan_lines[1], plan_lines[2])),
        "{status}"
    );
    // merge refuses, with one line naming the broken file.
    let r = run(&["study", "merge", &f, &o]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert_eq!(stderr(&r).lines().count(), 1, "{}", stderr(&r));
    assert!(
        stderr(&r).contains("p000/shard-1-of-2.json: not a valid shard file"),
        "{}",
        stderr(&r)
    );
}

#[test]
fn the_slurm_script_runs_line_t_plus_one_as_task_t() {
    let dir = folder("slurm");
    let file = study_file(&dir, true);
    let out = dir.join("shards");
    let f = file.display().to_string();
    let o = out.display().to_string();
    let lines = plan(&file, &out);
    let script = text(&["study", "plan", &f, &o, "--slurm", "--bin", BIN], 0);
    assert!(script.starts_with("#!/bin/bash\n"), "{script}");
    assert!(
        script.contains("#SBATCH --job-name=two-sizes\n"),
        "{script}"
    );
    assert!(script.contains("#SBATCH --array=0-3\n"), "{script}");
    assert!(
        script.contains(&format!("#SBATCH --output={o}/slurm/%A_%a.out\n")),
        "{script}"
    );
    // The commands, in the plan's order, between the markers.
    let body = script
        .split("<<'COMMANDS'\n")
        .nth(1)
        .and_then(|rest| rest.split("COMMANDS\n").next())
        .expect("the embedded commands");
    assert_eq!(body, lines);
    // Task 2 runs line 3: the first shard of the second point.
    let path = dir.join("task.sh");
    std::fs::write(&path, &script).unwrap();
    let r = Command::new("bash")
        .arg(&path)
        .env("SLURM_ARRAY_TASK_ID", "2")
        .output()
        .expect("bash runs");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let out_dir = &out;
    let written: Vec<PathBuf> = ["p000", "p001"]
        .iter()
        .flat_map(|p| (0..2).map(move |i| out_dir.join(format!("{p}/shard-{i}-of-2.json"))))
        .filter(|p| p.exists())
        .collect();
    assert_eq!(written, [out.join("p001/shard-0-of-2.json")]);
}

#[test]
fn bad_study_files_are_refused_with_one_line() {
    let dir = folder("bad");
    for (text_of_file, needle) in [
        (
            r#"{"name": "x", "command": "gap", "seed": 1, "shards": 2, "grid": {"model": ["normal"], "truth": ["normal:0,1"], "n": [10]}}"#,
            "grid.reps is missing",
        ),
        (
            r#"{"name": "x", "command": "gap", "seed": 1, "shards": 0, "grid": {}}"#,
            "shards = 0",
        ),
        (
            r#"{"name": "x y", "command": "gap", "seed": 1, "shards": 1, "grid": {}}"#,
            "must be letters",
        ),
        (
            r#"{"name": "x", "command": "check", "seed": 1, "shards": 1, "grid": {}}"#,
            "a study runs gap or kl-estimators",
        ),
        (
            r#"{"name": "x", "command": "gap", "seed": 1, "shards": 1, "grid": {"model": ["normal"], "truth": ["normal:0,1"], "n": [10], "reps": [100], "samples": [5]}}"#,
            "grid.samples is not a parameter of gap",
        ),
        (
            r#"{"name": "x", "command": "gap", "seed": 1, "shards": 1, "grid": {"model": ["wishart"], "truth": ["normal:0,1"], "n": [10], "reps": [100]}}"#,
            "point 0",
        ),
        (
            r#"{"name": "x", "command": "gap", "seed": 1, "shards": 1, "grid": {"modle": ["normal"]}}"#,
            "unknown field",
        ),
    ] {
        let path = dir.join("study.json");
        std::fs::write(&path, text_of_file).unwrap();
        let r = run(&["study", "plan", &path.display().to_string(), "out"]);
        assert_eq!(r.status.code(), Some(2), "{text_of_file}: {}", stderr(&r));
        assert_eq!(stderr(&r).lines().count(), 1, "{}", stderr(&r));
        assert!(stderr(&r).contains(needle), "{needle}: {}", stderr(&r));
    }
}
