//! The command-line tool's one error type.

use logloss_proofs::conformance::{ConformanceError, ProtocolError, ShapeError};
use logloss_proofs::measures::MeasureError;
use logloss_proofs::measures::npy::NpyError;

/// An error that ends a command with exit status 2 and one line on stderr.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line itself is wrong (unknown flag, missing value, …).
    #[error("{0}")]
    Usage(String),
    /// A list argument has an entry that is not a number.
    #[error("{arg}: entry {index} ({text:?}) is not a number")]
    NotANumber {
        /// The flag, e.g. `--p`.
        arg: &'static str,
        /// The entry's index in the comma-separated list.
        index: usize,
        /// The entry as given.
        text: String,
    },
    /// A measure rejected its input.
    #[error("{0}")]
    Measure(#[from] MeasureError),
    /// A `.npy` file could not be read.
    #[error("{flag}: {source}")]
    Npy {
        /// The flag that named the file.
        flag: &'static str,
        /// What went wrong.
        source: NpyError,
    },
    /// A report file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The program under `conform` could not be started.
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
    /// The program under `conform` broke the protocol: a malformed line, an
    /// exit, or no answer in time (the message names the request).
    #[error("{0}")]
    Conformance(#[from] ConformanceError),
    /// The program under `conform` gave no answer in time: the error, and
    /// the option that allows it longer.
    #[error("{source}; to wait longer, raise {option}")]
    ConformTimeout {
        /// The run's error, naming the request and the timeout.
        source: Box<dyn std::error::Error + Send + Sync>,
        /// The option, e.g. `--startup-timeout SECONDS`.
        option: &'static str,
    },
    /// The program under `conform` broke off at the opening `hello` (it
    /// exited or wrote a malformed line): written before the `hello`, it
    /// must still answer an operation it does not know.
    #[error(
        "{0}; the program must answer the opening hello, like any operation it does not know, with one line such as {{\"id\": 0}} or {{\"id\": 0, \"error\": \"unknown op\"}}"
    )]
    Hello(ProtocolError),
    /// The batch shapes asked for cannot be used, or the program's declared
    /// domain shares none with them.
    #[error("batch shapes: {0}")]
    Shapes(#[from] ShapeError),
    /// Shard files that cannot be written, read or merged: the message names
    /// the file or files.
    #[error("{0}")]
    Shards(String),
    /// Writing the output failed (other than a closed pipe).
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
}
