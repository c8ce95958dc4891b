//! The `logloss-proofs` command-line tool. It parses arguments, calls the
//! library, renders and writes; it computes nothing itself.
#![forbid(unsafe_code)]

mod cli;
mod error;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::error::CliError;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            return fail(&CliError::Usage(
                "a subcommand is required (see logloss-proofs --help)".to_string(),
            ));
        }
        Err(e) => return fail(&CliError::Usage(one_line(&e.to_string()))),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let finished =
        cli::run(cli, &mut out).and_then(|f| out.flush().map(|()| f).map_err(CliError::Output));
    match finished {
        Ok(cli::Finished::Ok) => ExitCode::SUCCESS,
        Ok(cli::Finished::Failures) => ExitCode::from(1),
        // A closed pipe (e.g. `| head`) is not an error of the command.
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// clap's messages span several lines; keep what says what is wrong (the text
/// before the usage block) on one line.
fn one_line(message: &str) -> String {
    let text: Vec<&str> = message
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
        .collect();
    let joined = text.join(" ");
    let joined = joined.trim_start_matches("error: ");
    if joined.is_empty() {
        "invalid arguments (see logloss-proofs --help)".to_string()
    } else {
        format!("{joined} (see --help)")
    }
}

fn fail(e: &CliError) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {e}");
    ExitCode::from(2)
}
