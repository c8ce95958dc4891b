//! Command-line parsing and dispatch: parse → call the library → render → write.

pub mod json;
pub mod measure;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// Executable evidence for cross-entropy vs KL divergence.
#[derive(Debug, Parser)]
#[command(name = "logloss-proofs", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Entropy, cross-entropy and both KL divergences of one pair of distributions.
    Measure(measure::MeasureArgs),
}

/// Runs a parsed command, writing its output to `out`.
pub fn run(cli: Cli, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    match cli.command {
        Command::Measure(args) => measure::run(&args, out),
    }
}
