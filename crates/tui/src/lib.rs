//! The live terminal view: a full-screen request list with a waterfall, a detail pane,
//! filters, sorting, and the capture's loss counters always on screen.
//!
//! This crate owns the view and nothing of the capture: it depends on `model` and `output`
//! only. Its shape lets any producer feed it:
//!
//! - the producer (an analysis or a live recording) runs on a worker thread and writes to a
//!   [`TuiSink`], an [`output::Sink`] that forwards each transaction, connection, lookup and
//!   the final [`output::Report`] as an [`Update`] over a `std::sync::mpsc` channel; a clone of
//!   the sink sends periodic loss counters ([`TuiSink::stats`]) and, when the producer fails,
//!   its error ([`TuiSink::fail`]);
//! - the calling thread runs [`run`], which draws until the user quits. When the feed ends
//!   (the report arrived, or every sender was dropped) the view stays, showing the final
//!   state and the report's findings.
//!
//! When the view has been closed, every send fails with [`std::io::ErrorKind::BrokenPipe`],
//! which stops the producer the way a closed pipe stops `analyze | head`.
//!
//! Wiring a producer (the same shape as `analyze --tui`):
//!
//! ```no_run
//! use output::Sink;
//!
//! let (mut sink, rx) = tui::channel();
//! let feed = sink.clone();
//! let producer = std::thread::spawn(move || -> std::io::Result<()> {
//!     sink.start(model::Timestamp(0))?;
//!     // For each event: sink.transaction(&t)?, sink.connection(&c)?, sink.dns(&l)?;
//!     // now and then: feed.stats(&stats, &[("events lost".to_owned(), lost)])?;
//!     // at the end: sink.finish(&report)? (or feed.fail("why") on an error).
//!     # let _ = feed;
//!     Ok(())
//! });
//! let options = tui::TuiOptions {
//!     title: "pid 1234".into(),
//!     show_secrets: false,
//!     follow: true,
//! };
//! tui::run(rx, options)?; // returns when the user quits; the receiver is dropped
//! // The producer's next send fails with BrokenPipe: it stops, and is joined.
//! let _ = producer.join();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Modules: [`list`] (rows, filter, sort: pure), [`waterfall`] (phases on a shared axis:
//! pure), `format` (cell text), `detail` (the detail pane's lines), `app` (the view state,
//! keys and drawing, rendered in tests on ratatui's `TestBackend`), `term` (the terminal:
//! raw mode, alternate screen, restoring it on exit, error and panic; the event loop).

mod app;
mod detail;
mod format;
pub mod list;
mod term;
pub mod waterfall;

pub use term::run;

use model::{ConnectionRecord, DnsLookup, Stats, Timestamp, Transaction};
use output::{Report, Sink};
use std::io;
use std::sync::mpsc::{self, Receiver, Sender};

/// How the view starts.
#[derive(Clone, Debug, Default)]
pub struct TuiOptions {
    /// What is being looked at, shown in the header (a capture's file name, `pid 1234`, ...).
    pub title: String,
    /// Show credentials instead of redacting them (headers, URLs, findings).
    pub show_secrets: bool,
    /// Start in follow mode: the selection stays on the newest request (for live views).
    pub follow: bool,
}

/// One message from the producer to the view.
#[derive(Clone, Debug)]
pub enum Update {
    /// The first packet's timestamp.
    Start(Timestamp),
    /// A transaction, with its finding rule ids filled in.
    Transaction(Box<Transaction>),
    /// A TLS or HTTP/2 connection closed.
    Connection(Box<ConnectionRecord>),
    /// A DNS lookup ended.
    Dns(Box<DnsLookup>),
    /// The loss counters so far.
    Stats {
        /// Every layer's counters.
        stats: Box<Stats>,
        /// Losses the producer counts outside [`Stats`] (a live recorder's lost events per
        /// ring buffer, ...), by name. Replaces the previous list.
        losses: Vec<(String, u64)>,
    },
    /// The end: counters, summary, warnings and findings. The feed is over.
    Finish(Box<Report>),
    /// The producer failed with this message. The feed is over.
    Failed(String),
}

/// The producer's end of the channel: an [`output::Sink`], plus [`stats`](TuiSink::stats)
/// and [`fail`](TuiSink::fail). Clones feed the same view.
#[derive(Clone, Debug)]
pub struct TuiSink {
    tx: Sender<Update>,
}

/// A connected sink and receiver: give the sink to the producer's thread and the receiver to
/// [`run`].
pub fn channel() -> (TuiSink, Receiver<Update>) {
    let (tx, rx) = mpsc::channel();
    (TuiSink { tx }, rx)
}

impl TuiSink {
    /// Sends one update; `BrokenPipe` when the view has been closed.
    pub fn send(&self, update: Update) -> io::Result<()> {
        self.tx
            .send(update)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the terminal view was closed"))
    }

    /// Sends the loss counters so far, with `losses` counted outside [`Stats`] (for example
    /// `("events lost", n)`).
    pub fn stats(&self, stats: &Stats, losses: &[(String, u64)]) -> io::Result<()> {
        self.send(Update::Stats {
            stats: Box::new(stats.clone()),
            losses: losses.to_vec(),
        })
    }

    /// Tells the view the producer failed with `message` (shown in the header).
    pub fn fail(&self, message: impl Into<String>) -> io::Result<()> {
        self.send(Update::Failed(message.into()))
    }
}

impl Sink for TuiSink {
    fn start(&mut self, origin: Timestamp) -> io::Result<()> {
        self.send(Update::Start(origin))
    }

    fn transaction(&mut self, t: &Transaction) -> io::Result<()> {
        self.send(Update::Transaction(Box::new(t.clone())))
    }

    fn connection(&mut self, c: &ConnectionRecord) -> io::Result<()> {
        self.send(Update::Connection(Box::new(c.clone())))
    }

    fn dns(&mut self, lookup: &DnsLookup) -> io::Result<()> {
        self.send(Update::Dns(Box::new(lookup.clone())))
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        self.send(Update::Finish(Box::new(report.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_forwards_and_reports_a_closed_view() {
        let (mut sink, rx) = channel();
        sink.start(Timestamp(5)).unwrap();
        sink.clone()
            .stats(&Stats::default(), &[("events lost".into(), 3)])
            .unwrap();
        assert!(matches!(rx.recv(), Ok(Update::Start(Timestamp(5)))));
        match rx.recv() {
            Ok(Update::Stats { losses, .. }) => assert_eq!(losses, [("events lost".into(), 3)]),
            other => panic!("{other:?}"),
        }
        drop(rx);
        let err = sink.start(Timestamp(6)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
