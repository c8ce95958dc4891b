//! Command-line parsing and dispatch: parse → call the library → render → write.

pub mod calibrate;
pub mod check;
pub mod conform;
pub mod gap;
pub mod json;
pub mod kl;
pub mod measure;
pub mod merge;
pub mod progress;
pub mod report;
pub mod shards;
pub mod study;

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
    /// Run the claim catalogue: each identity and each counterexample, on fixed seeds.
    Check(check::CheckArgs),
    /// Monte Carlo estimate of the true-risk gap R(θ̂) − R̂ₙ(θ̂), against Akaike, Takeuchi and exact values.
    Gap(gap::GapArgs),
    /// The sample-based KL estimators k1, k2, k3 against the closed-form KL.
    #[command(name = "kl-estimators")]
    KlEstimators(kl::KlArgs),
    /// Write the Markdown evidence: claims, verdicts, counterexamples, gap study, KL estimators.
    Report(report::ReportArgs),
    /// Rerun the statistical checks under many seeds and compare false-failure rates with the nominal level.
    Calibrate(calibrate::CalibrateArgs),
    /// Check another program's entropy, cross-entropy and KL (a JSON-lines protocol over stdin/stdout).
    Conform(conform::ConformArgs),
    /// Combine the shard files of one gap, kl-estimators or calibrate run into exactly its output.
    Merge(merge::MergeArgs),
    /// Plan, check and merge a grid of sharded gap or kl-estimators runs (for GNU parallel or Slurm).
    Study(study::StudyArgs),
}

/// How a command ended, when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// Everything as expected: exit status 0.
    Ok,
    /// The command ran, and found something contrary to what it checks: exit status 1.
    Failures,
}

impl Finished {
    /// `Ok` when the command found nothing contrary to what it checks,
    /// `Failures` otherwise.
    fn from_success(success: bool) -> Self {
        if success {
            Finished::Ok
        } else {
            Finished::Failures
        }
    }
}

/// Runs a parsed command, writing its output to `out`.
pub fn run(cli: Cli, out: &mut dyn std::io::Write) -> Result<Finished, CliError> {
    match cli.command {
        Command::Measure(args) => measure::run(&args, out).map(|()| Finished::Ok),
        Command::Gap(args) => gap::run(&args, out).map(|()| Finished::Ok),
        Command::KlEstimators(args) => kl::run(&args, out).map(|()| Finished::Ok),
        Command::Report(args) => report::run(&args, out).map(|()| Finished::Ok),
        Command::Calibrate(args) => calibrate::run(&args, out).map(Finished::from_success),
        Command::Study(args) => study::run(&args, out).map(Finished::from_success),
        Command::Merge(args) => merge::run(&args, out).map(Finished::from_success),
        Command::Check(args) => check::run(&args, out).map(Finished::from_success),
        // All checks passed (or were skipped as unsupported) → 0; a check
        // failed → 1; a protocol error is a CliError → 2.
        Command::Conform(args) => conform::run(&args, out).map(Finished::from_success),
    }
}
