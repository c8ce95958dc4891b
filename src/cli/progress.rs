//! A progress bar on stderr for long runs: shown only when stderr is a
//! terminal and the run has lasted over a second.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress of a run with a known total.
pub struct Progress {
    total: u64,
    start: Instant,
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Progress {
    /// A progress indicator for `total` units of `what`.
    pub fn new(total: u64) -> Self {
        Progress {
            total,
            start: Instant::now(),
            enabled: std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }

    /// Reports `done` units finished.
    pub fn update(&self, done: u64) {
        if !self.enabled || self.start.elapsed() < Duration::from_secs(1) {
            return;
        }
        let Ok(mut guard) = self.bar.lock() else {
            return;
        };
        let bar = guard.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(Some(self.total), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} replicates, {eta} left")
            {
                bar.set_style(style);
            }
            bar
        });
        bar.set_position(done.min(self.total));
    }

    /// Clears the bar, if one was shown.
    pub fn finish(&self) {
        if let Ok(guard) = self.bar.lock()
            && let Some(bar) = guard.as_ref()
        {
            bar.finish_and_clear();
        }
    }
}
