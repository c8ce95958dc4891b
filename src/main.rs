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
    match status(finished) {
        (code, None) => ExitCode::from(code),
        (_, Some(e)) => fail(&e),
    }
}

/// The exit status of a run, and the error to report if it is one: 0 when
/// every claim behaved as stated, 1 when some did not, 0 for a closed pipe
/// (e.g. `| head`: not an error of the command), 2 for any other error.
fn status(finished: Result<cli::Finished, CliError>) -> (u8, Option<CliError>) {
    match finished {
        Ok(cli::Finished::Ok) => (0, None),
        Ok(cli::Finished::Failures) => (1, None),
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => (0, None),
        Err(e) => (2, Some(e)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind as Io};

    /// The four outcomes of a run: success, failed claims, a closed pipe
    /// (success, nothing to report) and any other write error (status 2).
    #[test]
    fn exit_status_follows_the_outcome() {
        assert!(matches!(status(Ok(cli::Finished::Ok)), (0, None)));
        assert!(matches!(status(Ok(cli::Finished::Failures)), (1, None)));
        let pipe = CliError::Output(Error::from(Io::BrokenPipe));
        assert!(matches!(status(Err(pipe)), (0, None)));
        let full = CliError::Output(Error::from(Io::StorageFull));
        assert!(matches!(status(Err(full)), (2, Some(CliError::Output(_)))));
    }
}
