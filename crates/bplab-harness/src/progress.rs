//! A progress bar on stderr for long runs (`bench`, `experiment`, `report`): one line redrawn
//! in place when stderr is a terminal, a line per tenth of the work otherwise, nothing when
//! `BPLAB_QUIET` is set. Never touches stdout, so JSON output stays one clean document.

use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Counts finished units of work out of a known total and shows it on stderr.
pub struct Progress {
    label: String,
    total: usize,
    done: usize,
    start: Instant,
    tty: bool,
    quiet: bool,
    last_decile: usize,
}

impl Progress {
    /// A bar for `total` units of work, labelled `label` (e.g. `"bench"`).
    pub fn new(label: impl Into<String>, total: usize) -> Self {
        Progress {
            label: label.into(),
            total: total.max(1),
            done: 0,
            start: Instant::now(),
            tty: std::io::stderr().is_terminal(),
            quiet: std::env::var_os("BPLAB_QUIET").is_some(),
            last_decile: 0,
        }
    }

    /// Marks one unit done; `what` names the unit just finished.
    pub fn tick(&mut self, what: &str) {
        self.done = (self.done + 1).min(self.total);
        if self.quiet {
            return;
        }
        let frac = self.done as f64 / self.total as f64;
        let secs = self.start.elapsed().as_secs_f64();
        if self.tty {
            const WIDTH: usize = 30;
            let filled = (frac * WIDTH as f64).round() as usize;
            let bar: String = "█".repeat(filled) + &"·".repeat(WIDTH - filled);
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[2K{} [{bar}] {}/{} {secs:5.1}s {what}",
                self.label, self.done, self.total
            );
            let _ = err.flush();
        } else {
            let decile = (frac * 10.0).floor() as usize;
            if decile > self.last_decile || self.done == self.total {
                self.last_decile = decile;
                eprintln!(
                    "{}: {}/{} ({:.0}%) {secs:.1}s",
                    self.label,
                    self.done,
                    self.total,
                    frac * 100.0
                );
            }
        }
    }

    /// Ends the bar (clears the line on a terminal).
    pub fn finish(&mut self) {
        if self.tty && !self.quiet {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
        self.tty = false;
    }
}
