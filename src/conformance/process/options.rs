//! How a process implementation is started: its two timeouts and what
//! becomes of its standard error.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The default time allowed for each answer after the first.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default time allowed for the first answer, which includes the
/// program's start-up.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// How many lines of the program's standard error [`StderrMode::Keep`] keeps
/// by default.
pub const DEFAULT_KEPT_STDERR_LINES: usize = 20;

/// Which of the two timeouts ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// The first answer's ([`SpawnOptions::startup_timeout`]), which includes
    /// the program's start-up.
    Startup,
    /// Every later answer's ([`SpawnOptions::timeout`]).
    PerAnswer,
}

impl TimeoutKind {
    /// `"start-up"` or `"per-answer"`.
    pub fn name(self) -> &'static str {
        match self {
            TimeoutKind::Startup => "start-up",
            TimeoutKind::PerAnswer => "per-answer",
        }
    }
}

/// What becomes of the lines the program writes to its standard error.
#[derive(Clone)]
pub enum StderrMode {
    /// Each line (without its line ending) is passed to the function as it
    /// arrives, from a thread of its own.
    Stream(Arc<dyn Fn(&str) + Send + Sync>),
    /// The last `n` lines are kept, and the number of earlier lines dropped
    /// counted ([`ProcessImplementation::kept_stderr`](super::ProcessImplementation::kept_stderr)).
    Keep(usize),
}

impl fmt::Debug for StderrMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StderrMode::Stream(_) => f.write_str("Stream(..)"),
            StderrMode::Keep(n) => f.debug_tuple("Keep").field(n).finish(),
        }
    }
}

/// How [`ProcessImplementation::spawn`](super::ProcessImplementation::spawn) runs the program: its two timeouts
/// and what becomes of its standard error.
///
/// The default: [`DEFAULT_STARTUP_TIMEOUT`] (120 s) for the first answer,
/// [`DEFAULT_TIMEOUT`] (10 s) for each later one, and the last
/// [`DEFAULT_KEPT_STDERR_LINES`] (20) lines of standard error kept.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use logloss_proofs::conformance::process::{SpawnOptions, StderrMode};
/// let options = SpawnOptions::default()
///     .startup_timeout(Duration::from_secs(300))
///     .timeout(Duration::from_secs(5))
///     .stderr(StderrMode::Stream(std::sync::Arc::new(|line: &str| eprintln!("adapter: {line}"))));
/// assert_eq!(options.startup_timeout, Duration::from_secs(300));
/// assert_eq!(options.timeout, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct SpawnOptions {
    /// The time allowed for each answer after the first.
    pub timeout: Duration,
    /// The time allowed for the first answer, counted from when its request
    /// is sent (just after the program is started).
    pub startup_timeout: Duration,
    /// What becomes of the program's standard error.
    pub stderr: StderrMode,
}

impl Default for SpawnOptions {
    fn default() -> Self {
        SpawnOptions {
            timeout: DEFAULT_TIMEOUT,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            stderr: StderrMode::Keep(DEFAULT_KEPT_STDERR_LINES),
        }
    }
}

impl SpawnOptions {
    /// The same options with `timeout` for each answer after the first.
    pub fn timeout(self, timeout: Duration) -> Self {
        SpawnOptions { timeout, ..self }
    }

    /// The same options with `startup_timeout` for the first answer.
    pub fn startup_timeout(self, startup_timeout: Duration) -> Self {
        SpawnOptions {
            startup_timeout,
            ..self
        }
    }

    /// The same options with standard error handled by `stderr`.
    pub fn stderr(self, stderr: StderrMode) -> Self {
        SpawnOptions { stderr, ..self }
    }
}

/// The lines of standard error kept under [`StderrMode::Keep`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeptStderr {
    /// The last lines, oldest first, without their line endings.
    pub lines: Vec<String>,
    /// How many earlier lines were dropped to keep within the limit.
    pub dropped: u64,
}
