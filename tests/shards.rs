//! Shards and `merge`, run for real: the N shards of a `gap`,
//! `kl-estimators` or `calibrate` run, merged in any order, print byte for
//! byte what the run prints without `--shard` (text and `--json`), and
//! `merge` refuses mixed, duplicated, missing and corrupt shards with exit
//! status 2 and one line naming the files.

#[path = "common/binary.rs"]
mod binary;

use std::path::{Path, PathBuf};

use binary::{run, stderr, stdout};

fn folder(name: &str) -> PathBuf {
    binary::scratch_folder("shards", name)
}

/// Runs the binary and returns its stdout, asserting `status`.
fn output(args: &[String], status: i32) -> String {
    let o = run(args);
    assert_eq!(o.status.code(), Some(status), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Writes the N shards of `command` into `dir` and returns their paths in
/// the order given by `order` (a permutation of 0..N).
fn shards(command: &[&str], dir: &Path, n: u64, order: &[u64]) -> Vec<String> {
    let mut paths = Vec::new();
    for &i in order {
        let path = dir.join(format!("shard-{i}-of-{n}.json"));
        let mut args = strings(command);
        args.extend(strings(&["--shard", &format!("{i}/{n}"), "--out"]));
        args.push(path.display().to_string());
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(
            o.stdout.is_empty(),
            "a shard prints nothing: {}",
            stdout(&o)
        );
        paths.push(path.display().to_string());
    }
    paths
}

/// For N = 1, 2, 3 and 7, merged in a scrambled order, `merge` prints the
/// whole run's output byte for byte, as text and as JSON. The runs have
/// fewer units than 7 shards for `gap` and `kl-estimators`, so some shards
/// are empty, which must merge too.
fn assert_merges_to_the_whole_run(name: &str, command: &[&str], status: i32) {
    let dir = folder(name);
    let whole = output(&strings(command), status);
    let mut with_json = strings(command);
    with_json.push("--json".to_string());
    let whole_json = output(&with_json, status);
    for n in [1u64, 2, 3, 7] {
        // Reversed, then rotated: never the order of the indices for n > 1.
        let mut order: Vec<u64> = (0..n).rev().collect();
        order.rotate_left(1);
        let paths = shards(command, &dir, n, &order);
        let mut merge = strings(&["merge"]);
        merge.extend(paths.iter().cloned());
        assert_eq!(output(&merge, status), whole, "{name}, {n} shards");
        merge.push("--json".to_string());
        assert_eq!(output(&merge, status), whole_json, "{name}, {n} shards");
    }
}

#[test]
fn gap_shards_merge_to_the_whole_run_byte_for_byte() {
    // 3·4096 + 100 replicates: four blocks, the last one short.
    assert_merges_to_the_whole_run(
        "gap",
        &[
            "gap",
            "--model",
            "normal",
            "--truth",
            "laplace:0,1",
            "--n",
            "20",
            "--reps",
            "12388",
            "--seed",
            "11",
        ],
        0,
    );
}

#[test]
fn kl_estimator_shards_merge_to_the_whole_run_byte_for_byte() {
    // 2·262 144 + 5 samples: three blocks, the last one short.
    assert_merges_to_the_whole_run(
        "kl",
        &[
            "kl-estimators",
            "--from",
            "laplace:0,1",
            "--to",
            "laplace:0.5,2",
            "--samples",
            "524293",
            "--seed",
            "12",
        ],
        0,
    );
}

#[test]
fn calibration_shards_merge_to_the_whole_run_byte_for_byte() {
    // Ten seeds at level 0.3: the counts are small integers, and the run's
    // exit status (0 when every check is consistent with its level) must
    // survive the merge too.
    let command = ["calibrate", "--seeds", "10", "--level", "0.3"];
    let status = run(&command).status.code().expect("an exit status");
    assert!(status == 0 || status == 1, "{status}");
    assert_merges_to_the_whole_run("calibrate", &command, status);
}

/// Asserts exit 2, nothing on stdout, and one line on stderr with each needle.
fn assert_refused(args: &[String], needles: &[&str]) {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}: {}", stdout(&o));
    assert_eq!(err.lines().count(), 1, "{err:?}");
    for needle in needles {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
}

#[test]
fn merge_refuses_mixed_duplicated_missing_and_corrupt_shards() {
    let dir = folder("refusals");
    fn gap(seed: &str) -> Vec<&str> {
        vec![
            "gap",
            "--model",
            "normal",
            "--truth",
            "normal:0,1",
            "--n",
            "10",
            "--reps",
            "9000",
            "--seed",
            seed,
        ]
    }
    let a = shards(&gap("1"), &dir.join("a"), 3, &[0, 1, 2]);
    let b = shards(&gap("2"), &dir.join("b"), 3, &[0, 1, 2]);
    let two = shards(&gap("1"), &dir.join("two"), 2, &[0, 1]);
    let merge = |files: &[&String]| {
        let mut args = strings(&["merge"]);
        args.extend(files.iter().map(|f| f.to_string()));
        args
    };
    // A shard of another seed.
    assert_refused(
        &merge(&[&a[0], &b[1], &a[2]]),
        &[
            "shards of different runs",
            "configurations differ",
            &a[0],
            &b[1],
        ],
    );
    // Another number of shards.
    assert_refused(
        &merge(&[&a[0], &two[1]]),
        &["numbers of shards differ (3 against 2)"],
    );
    // The same shard twice, and a shard missing.
    assert_refused(
        &merge(&[&a[0], &a[1], &a[1]]),
        &["shard 1/3 appears twice", &a[1]],
    );
    assert_refused(&merge(&[&a[2], &a[0]]), &["missing shard 1 of 3"]);
    assert_refused(&merge(&[&a[1]]), &["missing shards 0, 2 of 3"]);
    // Corrupt files: cut short, a summary's numbers impossible, a part
    // dropped, another command's name, a later format version.
    let text = std::fs::read_to_string(&a[1]).unwrap();
    let corruptions: [(&str, String, &str); 5] = [
        ("cut", text[..text.len() / 2].to_string(), "not JSON"),
        (
            "negative",
            text.replacen(",0]", ",-1]", 1),
            "is not a count",
        ),
        (
            "dropped",
            text.replace(r#""parts":[{"#, r#""parts":[],"dropped":[{"#),
            "0 parts for shard 1/3 of a run of 3 units, which holds 1",
        ),
        (
            "command",
            text.replace(r#""command":"gap""#, r#""command":"fit""#),
            "unknown command \"fit\"",
        ),
        (
            "version",
            text.replace(r#""version":2"#, r#""version":1"#),
            "format version 1; this build reads version 2",
        ),
    ];
    for (name, corrupt, needle) in corruptions {
        assert_ne!(corrupt, text, "{name}: the corruption changed nothing");
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, corrupt).unwrap();
        let shown = path.display().to_string();
        assert_refused(&merge(&[&a[0], &shown, &a[2]]), &[&shown, needle]);
    }
    // A missing file, and --shard without --out.
    let nowhere = dir.join("nowhere.json").display().to_string();
    assert_refused(&merge(&[&nowhere]), &[&nowhere]);
    let mut no_out = strings(&gap("1"));
    no_out.extend(strings(&["--shard", "0/2"]));
    let o = run(&no_out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
    // A bad shard specification.
    let mut bad = strings(&gap("1"));
    bad.extend(strings(&["--shard", "3/3", "--out", "x.json"]));
    let o = run(&bad);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the index must be below"),
        "{}",
        stderr(&o)
    );
}
