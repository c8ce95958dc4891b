//! The `logloss-proofs` binary, run for real by the CLI tests: a command for
//! it, a run with arguments, and its output as text.

use std::ffi::OsStr;
use std::process::{Command, Output};

/// A command for the binary built with the tests.
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_logloss-proofs"))
}

/// Runs the binary with `args` and waits for its output.
pub fn run<S: AsRef<OsStr>>(args: &[S]) -> Output {
    binary().args(args).output().expect("the binary runs")
}

/// Standard output as UTF-8.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

/// Standard error as UTF-8.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8")
}

/// A fresh, empty folder `group/name` under the target directory's scratch
/// space, for one test's files.
#[allow(dead_code)] // not every test file that runs the binary writes files
pub fn scratch_folder(group: &str, name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder for the test");
    dir
}
