//! `logloss-proofs merge`: combines the shard files of one `gap`,
//! `kl-estimators` or `calibrate` run into exactly what the run prints
//! without `--shard`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::shards::Merged;
use super::{calibrate, gap, kl};
use crate::error::CliError;

/// Arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard files, in any order: all N shards of one run, each once.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print the run's JSON instead of its table.
    #[arg(long)]
    json: bool,
}

/// Runs `merge`; returns false when a merged calibration finds a check
/// inconsistent with its level (exit status 1, as `calibrate`).
pub fn run(args: &MergeArgs, out: &mut dyn Write) -> Result<bool, CliError> {
    let merged = Merged::read(&args.files)?;
    let config = merged.config();
    let text = match merged.command() {
        "gap" => {
            let config = gap::config_from(config)?;
            gap::render(&gap::finish(&config, &merged.gap_blocks())?, args.json)
        }
        "kl-estimators" => kl::merged(config, &merged.kl_blocks(), args.json)?,
        // Validated on reading: the command is one of the three.
        _ => return calibrate::merged(config, &merged.calibrate_counts(), args.json, out),
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(true)
}
