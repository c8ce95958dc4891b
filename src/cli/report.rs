//! `logloss-proofs report`: collects the evidence and writes the Markdown and
//! SVG reports, each file atomically.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use logloss_proofs::report::evidence::{Budget, Stage, collect};
use logloss_proofs::report::{ReportFile, render};
use logloss_proofs::seed::DEFAULT_SEED;

use crate::error::CliError;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// How much work: quick, default or full.
    #[arg(long, default_value = "default", value_parser = ["quick", "default", "full"])]
    budget: String,
    /// The folder to write into (created if missing).
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// The seed every random stream is derived from.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

/// Writes `contents` to `dir/name` through a temporary file in the same folder
/// and a rename, so an interrupted run never leaves a half-written file.
/// `name` may hold a subfolder (`data/x.csv`), which is created if missing.
pub fn write_atomically(dir: &Path, name: &str, contents: &[u8]) -> std::io::Result<()> {
    let target = dir.join(name);
    let folder = target.parent().unwrap_or(dir);
    let file_name = target
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_string());
    std::fs::create_dir_all(folder)?;
    let temporary = folder.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn stage_line(stage: Stage) -> String {
    match stage {
        Stage::Claims => "checking the claims".to_string(),
        Stage::Gap(done, total) => format!("estimating gaps: series {} of {total}", done + 1),
        Stage::KlEstimators => "running the KL estimators".to_string(),
        Stage::Calibration => "calibrating the statistical checks".to_string(),
        Stage::Training => "training the penguin models".to_string(),
    }
}

/// Runs `report`; prints the files written.
pub fn run(args: &ReportArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let budget = Budget::parse(&args.budget)
        .ok_or_else(|| CliError::Usage(format!("unknown budget {:?}", args.budget)))?;
    let terminal = std::io::stderr().is_terminal();
    let evidence = collect(args.seed, budget, &|stage| {
        if terminal {
            eprint!("\r\x1b[2K{}", stage_line(stage));
        }
    })
    .map_err(|e| CliError::Usage(e.to_string()))?;
    if terminal {
        eprint!("\r\x1b[2K");
    }
    let files: Vec<ReportFile> = render(&evidence).map_err(|e| CliError::Usage(e.to_string()))?;
    std::fs::create_dir_all(&args.out).map_err(|e| CliError::Write {
        path: args.out.display().to_string(),
        source: e,
    })?;
    for f in &files {
        write_atomically(&args.out, &f.name, f.contents.as_bytes()).map_err(|e| {
            CliError::Write {
                path: args.out.join(&f.name).display().to_string(),
                source: e,
            }
        })?;
        writeln!(out, "wrote {}", args.out.join(&f.name).display()).map_err(CliError::Output)?;
    }
    Ok(())
}
