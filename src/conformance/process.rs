//! An [`Implementation`] in another process, over a line-based JSON protocol.
//!
//! The command is started once. Each call writes one request line to its
//! standard input and reads one response line from its standard output. The
//! conversation opens with a `hello` ([`ProcessImplementation::hello`]),
//! which names the precision and lets the program declare the batch shapes
//! it accepts:
//!
//! ```text
//! → {"id": 0, "op": "hello", "protocol": 2, "precision": "f64"}
//! ← {"id": 0, "domain": {"categories": [2]}}
//! → {"id": 1, "op": "cross_entropy", "p": [[0.5, 0.5]], "q": [[0.9, 0.1]], "reduction": "none"}
//! ← {"id": 1, "values": [1.203972804325936]}
//! → {"id": 2, "op": "kl_divergence", "p": [[0.5, 0.5]], "q": [[0.9, 0.1]], "reduction": "sum"}
//! ← {"id": 2, "value": 0.5108256237659907}
//! → {"id": 3, "op": "cross_entropy_logits_grad", "p": [[1, 0]], "logits": [[0, 0]], "reduction": "none"}
//! ← {"id": 3, "error": "unsupported"}
//! ```
//!
//! `entropy` requests have no second argument; the logits operations send
//! `"logits"` in place of `"q"`. Responses carry `"values"` (one number per
//! row) under `none`, `"value"` under `sum` and `batchmean`, and for the
//! gradient always `"values"`: one row of numbers per row. Non-finite numbers
//! are the strings `"inf"`, `"-inf"`, `"nan"` or the literals `Infinity`,
//! `-Infinity`, `NaN` (see [`json`](super::json)). `{"error": "unsupported"}`
//! marks an operation as not offered, and `{"error": "unsupported", "scope":
//! "case"}` declines this one input ([`Refusal::DeclinedCase`]: the case is
//! skipped and counted); any other error text is a rejection of a valid
//! input, a check failure.
//!
//! Every other departure is a [`ProtocolError`] that ends the run: a line
//! that is not JSON or has the wrong id or shape, the process exiting, or no
//! answer within the timeout. The process is then killed and reaped, and
//! every later call returns the same error at once, so a broken
//! implementation never makes the harness wait twice.
//!
//! The first answer has its own, longer timeout ([`SpawnOptions::startup_timeout`]):
//! it includes the program's start-up (importing a large library can take a
//! minute). What the program writes to its standard error is never part of
//! the protocol: it is passed on line by line as it arrives, or kept (the
//! last lines) for the caller to show ([`StderrMode`]).

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::json::{number, parse_line};
use super::{Answer, Breakdown, Domain, Implementation, Measure, Op, Refusal};
use crate::measures::{Reduced, Reduction, Rows};

mod command;
mod options;
pub use command::split_command;
/// The protocol's version, sent in the `hello`: 2 added the `hello` and the
/// case-scoped `"unsupported"`.
pub const PROTOCOL: u32 = 2;

pub use options::{
    DEFAULT_KEPT_STDERR_LINES, DEFAULT_STARTUP_TIMEOUT, DEFAULT_TIMEOUT, KeptStderr, SpawnOptions,
    StderrMode, TimeoutKind,
};

/// What a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// The opening `hello`, which tells the program the precision and lets
    /// it declare its [`Domain`].
    Hello,
    /// An operation at a reduction.
    Op(Op, Reduction),
}

/// Which request a protocol error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRef {
    /// The request's id: 0 for the `hello`, then 1, 2, … in the order sent.
    pub id: u64,
    /// What it asked for.
    pub asked: Asked,
}

impl fmt::Display for RequestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.asked {
            Asked::Hello => write!(f, "request {} (hello)", self.id),
            Asked::Op(op, reduction) => write!(
                f,
                "request {} ({}, {})",
                self.id,
                op.name(),
                reduction.name()
            ),
        }
    }
}

/// Why a process stopped being a usable implementation. Each message is one
/// line and names the request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    /// The command has no words, or an unbalanced quote.
    #[error("cannot read the command {command:?}: {reason}")]
    BadCommand {
        /// The command as given.
        command: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The program could not be started.
    #[error("cannot start {command:?}: {reason}")]
    Spawn {
        /// The command as given.
        command: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The process closed its output (it exited, or crashed) before answering.
    #[error(
        "{request}: the process exited without answering ({status}){}",
        last_words(stderr)
    )]
    Exited {
        /// The unanswered request.
        request: RequestRef,
        /// Its exit status, as the operating system reports it.
        status: String,
        /// The last line it wrote to its standard error, if any.
        stderr: Option<String>,
    },
    /// No answer within the timeout; the process was killed. The first
    /// answer is held to the start-up timeout, every later one to the
    /// per-answer timeout.
    #[error(
        "{request}: no answer within the {} timeout of {seconds} s; the process was killed",
        kind.name()
    )]
    Timeout {
        /// The unanswered request.
        request: RequestRef,
        /// Which timeout ran out.
        kind: TimeoutKind,
        /// The timeout, in seconds.
        seconds: f64,
    },
    /// The answer is not a response line of the protocol.
    #[error("{request}: malformed response: {reason}; the line was {line}")]
    Malformed {
        /// The request answered.
        request: RequestRef,
        /// What is wrong.
        reason: String,
        /// The line (shortened to 120 characters), quoted.
        line: String,
    },
    /// The process was shut down by the caller; no request can be answered.
    #[error("the process was shut down")]
    ShutDown,
    /// Reading from the process failed.
    #[error("{request}: cannot read the response: {reason}")]
    Read {
        /// The request.
        request: RequestRef,
        /// The operating system's reason.
        reason: String,
    },
}

fn last_words(stderr: &Option<String>) -> String {
    match stderr {
        Some(line) => format!("; its last words on stderr: {}", shorten(line)),
        None => String::new(),
    }
}

/// A line quoted and cut to 120 characters, so every message stays one line.
fn shorten(line: &str) -> String {
    const MAX: usize = 120;
    if line.chars().count() <= MAX {
        format!("{line:?}")
    } else {
        let head: String = line.chars().take(MAX).collect();
        format!("{head:?}… ({} characters)", line.chars().count())
    }
}

/// What the reader and writer threads report.
enum Event {
    /// One line of standard output, without its line ending.
    Line(String),
    /// Standard output is closed.
    Closed,
    /// Reading standard output failed.
    ReadFailed(String),
}

/// The live parts of the process; `None` once it has been shut down.
struct Live {
    child: Child,
    requests: Sender<String>,
    events: Receiver<Event>,
}

struct State {
    live: Option<Live>,
    next_id: u64,
    /// Whether an answer has arrived: until one has, the start-up timeout
    /// applies.
    answered: bool,
    broken: Option<ProtocolError>,
}

/// An implementation run as a separate process, speaking the protocol of the
/// [module docs](self).
///
/// Created by [`spawn`](Self::spawn). Dropping it closes the process's input,
/// gives it a moment to exit, then kills and reaps it.
pub struct ProcessImplementation {
    command: String,
    options: SpawnOptions,
    state: Mutex<State>,
    stderr: Arc<Mutex<StderrLog>>,
    stderr_reader: Option<JoinHandle<()>>,
}

/// What the standard-error thread has seen: the last non-blank line (for
/// error messages) and, under [`StderrMode::Keep`], the kept lines.
#[derive(Debug, Default)]
struct StderrLog {
    last: Option<String>,
    kept: std::collections::VecDeque<String>,
    dropped: u64,
}

impl fmt::Debug for ProcessImplementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessImplementation")
            .field("command", &self.command)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ProcessImplementation {
    /// Starts `command` (split by [`split_command`]) with piped standard
    /// streams, run as `options` say: the first answer must arrive within
    /// `options.startup_timeout` of its request, each later one within
    /// `options.timeout`; standard error is streamed or kept by
    /// `options.stderr`.
    ///
    /// # Errors
    /// [`ProtocolError::BadCommand`] or [`ProtocolError::Spawn`].
    ///
    /// # Example
    /// ```no_run
    /// use logloss_proofs::conformance::{run, Config, ProcessImplementation};
    /// use logloss_proofs::conformance::process::SpawnOptions;
    /// let imp = ProcessImplementation::spawn(
    ///     "python3 examples/conform_adapter.py",
    ///     SpawnOptions::default(),
    /// )?;
    /// let report = run(&imp, &Config::new(7, 32))?;
    /// assert!(report.passed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn(command: &str, options: SpawnOptions) -> Result<Self, ProtocolError> {
        let words = split_command(command)?;
        let mut child = Command::new(&words[0])
            .args(&words[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| ProtocolError::Spawn {
                command: command.to_string(),
                reason: e.to_string(),
            })?;
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => {
                    reap(&mut child);
                    return Err(ProtocolError::Spawn {
                        command: command.to_string(),
                        reason: "its standard streams were not piped".to_string(),
                    });
                }
            };
        let (event_tx, events) = mpsc::channel();
        let (requests, request_rx) = mpsc::channel::<String>();
        thread::spawn(move || write_requests(stdin, request_rx));
        thread::spawn(move || read_lines(stdout, event_tx));
        let log = Arc::new(Mutex::new(StderrLog::default()));
        let thread_log = Arc::clone(&log);
        let mode = options.stderr.clone();
        let stderr_reader = thread::spawn(move || read_stderr(stderr, &mode, &thread_log));
        Ok(ProcessImplementation {
            command: command.to_string(),
            options,
            state: Mutex::new(State {
                live: Some(Live {
                    child,
                    requests,
                    events,
                }),
                next_id: 1,
                answered: false,
                broken: None,
            }),
            stderr: log,
            stderr_reader: Some(stderr_reader),
        })
    }

    /// The options it runs with.
    pub fn options(&self) -> &SpawnOptions {
        &self.options
    }

    /// The lines of standard error kept so far under [`StderrMode::Keep`]
    /// (none under [`StderrMode::Stream`]). The program's last lines may
    /// still be on their way until it has exited: [`shut_down`](Self::shut_down)
    /// first to have them all.
    pub fn kept_stderr(&self) -> KeptStderr {
        let log = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        KeptStderr {
            lines: log.kept.iter().cloned().collect(),
            dropped: log.dropped,
        }
    }

    /// Closes the program's input, gives it a second to exit by itself, then
    /// kills and reaps it, and waits (up to half a second) for the rest of
    /// its standard error. Later calls fail as after a breakdown. Dropping
    /// does the same.
    pub fn shut_down(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(Live {
            mut child,
            requests,
            events,
        }) = state.live.take()
        {
            // Closing the input lets a well-behaved adapter finish by itself.
            drop(requests);
            drop(events);
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) => thread::sleep(Duration::from_millis(5)),
                }
            }
            reap(&mut child);
        }
        if state.broken.is_none() {
            state.broken = Some(ProtocolError::ShutDown);
        }
        // The reader ends at the end of the stream, which comes when the
        // process (and any child of it holding the stream) has exited; it is
        // not waited for longer, so a lingering grandchild cannot hang us.
        if let Some(reader) = self.stderr_reader.take() {
            let deadline = Instant::now() + Duration::from_millis(500);
            while !reader.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
    }

    /// Opens the conversation: sends `{"id": 0, "op": "hello", "protocol":
    /// 2, "precision": "f64"}` and returns the [`Domain`] the program
    /// declares in `{"id": 0, "domain": {"categories": [2], "rows": [1, 4]}}`
    /// (either list may be left out). An answer without `"domain"`, or with
    /// any `"error"`, declares none: a program written before the `hello`
    /// answers an unknown operation with an error, and stays usable. Call it
    /// before any other request, or not at all; its answer is held to the
    /// start-up timeout.
    ///
    /// # Errors
    /// A [`ProtocolError`] as for any request, [`ProtocolError::Malformed`]
    /// for a `"domain"` that is not an object of arrays of positive integers.
    pub fn hello(&self, precision: super::Precision) -> Result<Option<Domain>, ProtocolError> {
        let (request, value, line) = self.exchange(Asked::Hello, |_| {
            format!(
                r#"{{"id":0,"op":"hello","protocol":{PROTOCOL},"precision":"{}"}}"#,
                precision.name()
            )
        })?;
        let object = value
            .as_object()
            .filter(|o| o.get("id").and_then(Value::as_u64) == Some(0));
        let Some(object) = object else {
            return Err(self.fail(
                request,
                "not a JSON object with \"id\": 0".to_string(),
                &line,
            ));
        };
        if object.contains_key("error") {
            return Ok(None);
        }
        match object.get("domain") {
            None => Ok(None),
            Some(domain) => read_domain(domain)
                .map(Some)
                .map_err(|reason| self.fail(request, reason, &line)),
        }
    }

    /// Sends one request line, built from its reference, and returns the
    /// parsed response object, or the protocol error that ended the process.
    /// Requests of operations get ids 1, 2, …; the `hello` has id 0.
    fn exchange(
        &self,
        asked: Asked,
        build: impl FnOnce(RequestRef) -> String,
    ) -> Result<(RequestRef, Value, String), ProtocolError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = &state.broken {
            return Err(e.clone());
        }
        let id = match asked {
            Asked::Hello => 0,
            Asked::Op(..) => {
                state.next_id += 1;
                state.next_id - 1
            }
        };
        let request = RequestRef { id, asked };
        let first = !state.answered;
        let result = match state.live.as_mut() {
            Some(live) => self.await_response(live, request, first, build(request)),
            // Unreachable in practice: `live` is only taken when `broken` is set.
            None => Err(ProtocolError::Read {
                request,
                reason: "the process was already shut down".to_string(),
            }),
        };
        let parsed = result.and_then(|line| {
            state.answered = true;
            match parse_line(&line) {
                Ok(value) => Ok((request, value, line)),
                Err(e) => Err(malformed(request, e.to_string(), &line)),
            }
        });
        parsed.map_err(|e| self.break_down(&mut state, e))
    }

    /// Ends the process for a malformed answer and returns the error.
    fn fail(&self, request: RequestRef, reason: String, line: &str) -> ProtocolError {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.break_down(&mut state, malformed(request, reason, line))
    }

    fn await_response(
        &self,
        live: &mut Live,
        request: RequestRef,
        first: bool,
        line: String,
    ) -> Result<String, ProtocolError> {
        // A send fails only if the writer thread has ended, which it does when
        // a write fails: the process has closed its input, and its output will
        // say the rest (a closed stream, or silence until the timeout).
        let _ = live.requests.send(line);
        let (kind, timeout) = if first {
            (TimeoutKind::Startup, self.options.startup_timeout)
        } else {
            (TimeoutKind::PerAnswer, self.options.timeout)
        };
        let deadline = Instant::now() + timeout;
        let remaining = deadline.saturating_duration_since(Instant::now());
        match live.events.recv_timeout(remaining) {
            Ok(Event::Line(line)) => Ok(line),
            Ok(Event::ReadFailed(reason)) => Err(ProtocolError::Read { request, reason }),
            Ok(Event::Closed) | Err(RecvTimeoutError::Disconnected) => {
                let status = exit_status(&mut live.child);
                Err(ProtocolError::Exited {
                    request,
                    status,
                    stderr: self.last_stderr_line(),
                })
            }
            Err(RecvTimeoutError::Timeout) => Err(ProtocolError::Timeout {
                request,
                kind,
                seconds: timeout.as_secs_f64(),
            }),
        }
    }

    fn last_stderr_line(&self) -> Option<String> {
        // The stderr thread may still be reading the process's last words.
        thread::sleep(Duration::from_millis(20));
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last
            .clone()
    }

    /// Records the error, kills and reaps the process, and returns the error.
    fn break_down(&self, state: &mut State, error: ProtocolError) -> ProtocolError {
        if let Some(mut live) = state.live.take() {
            reap(&mut live.child);
        }
        state.broken = Some(error.clone());
        error
    }

    fn malformed_shape(&self, request: RequestRef, reason: String, line: &str) -> Refusal {
        broken(self.fail(request, reason, line))
    }

    /// The answer's payload: `Ok(value)` or the refusal it states.
    fn payload(
        &self,
        op: Op,
        p: &Rows,
        second: Option<&[Vec<f64>]>,
        reduction: Reduction,
    ) -> Answer<(RequestRef, Value, String)> {
        let (request, value, line) = self
            .exchange(Asked::Op(op, reduction), |request| {
                request_line(request.id, op, reduction, p, second)
            })
            .map_err(broken)?;
        let shape = |reason: String| self.malformed_shape(request, reason, &line);
        let Some(object) = value.as_object() else {
            return Err(shape("not a JSON object".to_string()));
        };
        match object.get("id").and_then(Value::as_u64) {
            Some(id) if id == request.id => {}
            Some(id) => return Err(shape(format!("id {id} answers another request"))),
            None => return Err(shape("no integer \"id\"".to_string())),
        }
        if let Some(error) = object.get("error") {
            let scope = object.get("scope").and_then(Value::as_str);
            return match error.as_str() {
                Some("unsupported") if scope == Some("case") => Err(Refusal::DeclinedCase),
                Some("unsupported") => Err(Refusal::Unsupported),
                Some(text) => Err(Refusal::Rejected(text.to_string())),
                None => Err(shape("\"error\" is not a string".to_string())),
            };
        }
        Ok((request, value, line))
    }

    fn values(
        &self,
        op: Op,
        p: &Rows,
        second: Option<&[Vec<f64>]>,
        reduction: Reduction,
    ) -> Answer<Reduced> {
        let (request, value, line) = self.payload(op, p, second, reduction)?;
        let shape = |reason: String| self.malformed_shape(request, reason, &line);
        if reduction == Reduction::None {
            let values = value
                .get("values")
                .ok_or_else(|| shape("no \"values\" (reduction none)".to_string()))?;
            let row = read_row(values, p.len(), "values").map_err(shape)?;
            Ok(Reduced::PerRow(row))
        } else {
            let v = value
                .get("value")
                .ok_or_else(|| shape(format!("no \"value\" (reduction {})", reduction.name())))?;
            let x = number(v).ok_or_else(|| shape("\"value\" is not a number".to_string()))?;
            Ok(Reduced::Total(x))
        }
    }
}

fn malformed(request: RequestRef, reason: String, line: &str) -> ProtocolError {
    ProtocolError::Malformed {
        request,
        reason,
        line: shorten(line),
    }
}

/// Reads an array of `len` numbers.
fn read_row(value: &Value, len: usize, name: &str) -> Result<Vec<f64>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("\"{name}\" is not an array"))?;
    if items.len() != len {
        return Err(format!(
            "\"{name}\" has {} entries, {len} expected",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, x)| number(x).ok_or_else(|| format!("{name}[{i}] is not a number")))
        .collect()
}

impl Implementation for ProcessImplementation {
    fn name(&self) -> String {
        self.command.clone()
    }

    fn rows(
        &self,
        measure: Measure,
        p: &Rows,
        second: &Rows,
        reduction: Reduction,
    ) -> Answer<Reduced> {
        // One request per operation; the entropy's has no second argument.
        let op = Op::from(measure);
        let second = op.second_argument().map(|_| second);
        self.values(op, p, second, reduction)
    }

    fn cross_entropy_logits_grad_rows(
        &self,
        p: &Rows,
        logits: &Rows,
        reduction: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        let op = Op::CrossEntropyLogitsGrad;
        let (request, value, line) = self.payload(op, p, Some(logits), reduction)?;
        let shape = |reason: String| self.malformed_shape(request, reason, &line);
        let rows = value
            .get("values")
            .and_then(Value::as_array)
            .ok_or_else(|| shape("no \"values\" array of gradient rows".to_string()))?;
        if rows.len() != p.len() {
            return Err(shape(format!(
                "\"values\" has {} rows, {} expected",
                rows.len(),
                p.len()
            )));
        }
        rows.iter()
            .zip(p)
            .enumerate()
            .map(|(r, (row, pr))| read_row(row, pr.len(), &format!("values[{r}]")))
            .collect::<Result<_, _>>()
            .map_err(shape)
    }
}

impl Drop for ProcessImplementation {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Kills the process if it still runs, and waits for it, so no zombie is left.
fn reap(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// The exit status of a process whose output has closed: given a moment to
/// exit by itself, then killed.
fn exit_status(child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_millis(500);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.to_string(),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                reap(child);
                return "it closed its output and was killed".to_string();
            }
            Err(e) => return format!("status unknown: {e}"),
        }
    }
}

fn write_requests(mut stdin: ChildStdin, requests: Receiver<String>) {
    for mut line in requests {
        line.push('\n');
        if stdin.write_all(line.as_bytes()).is_err() || stdin.flush().is_err() {
            // The process closed its input; the reader sees the rest.
            return;
        }
    }
}

fn read_lines(stdout: impl std::io::Read, events: Sender<Event>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        let event = match reader.read_line(&mut line) {
            Ok(0) => Event::Closed,
            Ok(_) => {
                let trimmed = line.trim_end_matches(['\n', '\r']).to_string();
                Event::Line(trimmed)
            }
            Err(e) => Event::ReadFailed(e.to_string()),
        };
        let last = !matches!(event, Event::Line(_));
        if events.send(event).is_err() || last {
            return;
        }
    }
}

/// Reads standard error to its end: each line streamed or kept as `mode`
/// says, and the last non-blank one remembered for error messages. Bytes
/// that are not UTF-8 are replaced, never a reason to stop reading.
fn read_stderr(stderr: impl std::io::Read, mode: &StderrMode, log: &Mutex<StderrLog>) {
    let mut reader = BufReader::new(stderr);
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&bytes);
        let line = text.trim_end_matches(['\n', '\r']);
        if let StderrMode::Stream(sink) = mode {
            sink(line);
        }
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        if !line.trim().is_empty() {
            log.last = Some(line.to_string());
        }
        if let StderrMode::Keep(limit) = *mode {
            log.kept.push_back(line.to_string());
            while log.kept.len() > limit {
                log.kept.pop_front();
                log.dropped += 1;
            }
        }
    }
}

#[derive(serde::Serialize)]
struct RequestLine<'a> {
    id: u64,
    op: &'static str,
    p: &'a [Vec<f64>],
    #[serde(skip_serializing_if = "Option::is_none")]
    q: Option<&'a [Vec<f64>]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logits: Option<&'a [Vec<f64>]>,
    reduction: &'static str,
}

/// The request as one line of JSON. Inputs are finite, so every number is a
/// plain JSON number in its shortest round-trip form.
fn request_line(
    id: u64,
    op: Op,
    reduction: Reduction,
    p: &Rows,
    second: Option<&[Vec<f64>]>,
) -> String {
    let (q, logits) = match op.second_argument() {
        Some("logits") => (None, second),
        Some(_) => (second, None),
        None => (None, None),
    };
    let line = RequestLine {
        id,
        op: op.name(),
        p,
        q,
        logits,
        reduction: reduction.name(),
    };
    // Serializing plain numbers and strings cannot fail; an empty object
    // would be answered as malformed, never silently accepted.
    serde_json::to_string(&line).unwrap_or_else(|_| "{}".to_string())
}

/// A refusal for a process that can no longer answer.
fn broken(error: ProtocolError) -> Refusal {
    Refusal::Broken(Breakdown::new(error))
}

/// Reads a declared domain: an object whose `"categories"` and `"rows"`, if
/// present, are arrays of positive integers.
fn read_domain(value: &Value) -> Result<Domain, String> {
    let object = value
        .as_object()
        .ok_or_else(|| "\"domain\" is not an object".to_string())?;
    let sizes = |name: &str| -> Result<Option<Vec<usize>>, String> {
        let Some(list) = object.get(name) else {
            return Ok(None);
        };
        let items = list
            .as_array()
            .ok_or_else(|| format!("\"domain\".{name} is not an array"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_u64()
                    .filter(|&n| n > 0)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        format!("\"domain\".{name}[{i}] = {x} is not a positive integer")
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    };
    Ok(Domain {
        categories: sizes("categories")?,
        rows: sizes("rows")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_name_the_second_argument_by_operation() {
        let r = |op| (7, op, Reduction::Sum);
        let line_of = |(id, op, reduction): (u64, Op, Reduction), p, second| {
            request_line(id, op, reduction, p, second)
        };
        let p = vec![vec![0.5, 0.5]];
        let line = line_of(r(Op::Entropy), &p, None);
        assert_eq!(
            line,
            r#"{"id":7,"op":"entropy","p":[[0.5,0.5]],"reduction":"sum"}"#
        );
        let line = line_of(r(Op::KlDivergence), &p, Some(&p));
        assert!(line.contains(r#""q":[[0.5,0.5]]"#) && !line.contains("logits"));
        let line = line_of(r(Op::CrossEntropyLogitsGrad), &p, Some(&p));
        assert!(line.contains(r#""logits":[[0.5,0.5]]"#) && !line.contains("\"q\""));
    }

    /// The reader reports each line without its ending, then `Closed` once,
    /// and stops: its sender is dropped, so the receiver sees the channel
    /// end (a reader that went on after end of file would send more).
    #[test]
    fn the_reader_reports_lines_then_closes_once_and_stops() {
        let (tx, rx) = std::sync::mpsc::channel();
        let input: &[u8] = b"a\r\nb\nlast";
        let reader = std::thread::spawn(move || read_lines(input, tx));
        let mut seen = Vec::new();
        loop {
            match rx.recv() {
                Ok(Event::Line(line)) => seen.push(line),
                Ok(Event::Closed) => break,
                Ok(Event::ReadFailed(e)) => panic!("reading a byte slice failed: {e}"),
                Err(_) => panic!("the channel ended before Closed"),
            }
        }
        assert_eq!(seen, ["a", "b", "last"]);
        assert!(rx.recv().is_err(), "an event after Closed");
        reader.join().expect("the reader thread returns");
    }

    /// Kept: the last `limit` lines, earlier ones counted as dropped, blank
    /// lines kept but never the "last words"; streamed: every line, in order,
    /// without its ending, invalid UTF-8 replaced rather than ending the read.
    #[test]
    fn stderr_is_kept_bounded_or_streamed_in_order() {
        let input: &[u8] = b"one\ntwo\r\n\nthree\xff\nfour";
        let log = Mutex::new(StderrLog::default());
        read_stderr(input, &StderrMode::Keep(3), &log);
        let log = log.into_inner().unwrap();
        assert_eq!(log.kept, ["", "three\u{fffd}", "four"]);
        assert_eq!(log.dropped, 2);
        assert_eq!(log.last.as_deref(), Some("four"));

        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let mode = StderrMode::Stream(Arc::new(move |line: &str| {
            sink.lock().unwrap().push(line.to_string());
        }));
        let log = Mutex::new(StderrLog::default());
        read_stderr(input, &mode, &log);
        assert_eq!(
            *seen.lock().unwrap(),
            ["one", "two", "", "three\u{fffd}", "four"]
        );
        assert!(log.lock().unwrap().kept.is_empty());
    }

    #[test]
    fn commands_split_like_a_shell_splits_quotes() {
        assert_eq!(split_command("  a   b ").unwrap(), ["a", "b"]);
        assert_eq!(split_command(r#"a\ b "c\"d""#).unwrap(), ["a b", "c\"d"]);
        assert_eq!(split_command("''").unwrap(), [""]);
        for bad in ["", "   ", "a \"b", "a\\"] {
            assert!(
                matches!(split_command(bad), Err(ProtocolError::BadCommand { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn long_lines_are_shortened_in_messages() {
        let long = "x".repeat(500);
        let s = shorten(&long);
        assert!(s.len() < 200 && s.ends_with("(500 characters)"), "{s}");
    }
}
