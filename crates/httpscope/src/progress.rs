//! A one-line progress bar on standard error for long analyses.

use std::io::Write;
use std::time::{Duration, Instant};

/// Redraws at most every [`Progress::INTERVAL`]; cheap to poll on every packet.
pub struct Progress {
    started: Instant,
    last_draw: Instant,
    polls: u32,
    drawn: bool,
}

impl Progress {
    const INTERVAL: Duration = Duration::from_millis(150);

    pub fn new() -> Progress {
        let now = Instant::now();
        Progress {
            started: now,
            last_draw: now,
            polls: 0,
            drawn: false,
        }
    }

    /// Called once per packet with the bytes consumed and the total when known.
    pub fn poll(&mut self, done: u64, total: Option<u64>) {
        self.polls = self.polls.wrapping_add(1);
        if !self.polls.is_multiple_of(1024) {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last_draw) < Self::INTERVAL {
            return;
        }
        self.last_draw = now;
        self.drawn = true;
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-9);
        let rate = done as f64 / secs / 1e6;
        let line = match total {
            Some(total) if total > 0 => {
                let frac = (done as f64 / total as f64).clamp(0.0, 1.0);
                let cells = 30;
                let full = (frac * cells as f64) as usize;
                format!(
                    "[{}{}] {:5.1}%  {:.0} of {:.0} MB  {:.0} MB/s",
                    "#".repeat(full),
                    " ".repeat(cells - full),
                    frac * 100.0,
                    done as f64 / 1e6,
                    total as f64 / 1e6,
                    rate
                )
            }
            _ => format!("{:.0} MB read  {:.0} MB/s", done as f64 / 1e6, rate),
        };
        let mut err = std::io::stderr().lock();
        // Progress is best effort: a failing stderr must not stop the analysis.
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }

    /// Erases the bar.
    pub fn clear(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            self.drawn = false;
        }
    }
}
