//! `--tui`: the work (an analysis or a recording) runs on a worker thread and feeds the
//! full-screen terminal view, which runs on the calling thread until the user quits.
//! Quitting early is a request to stop: [`ViewSink`] then swallows what it is given and says
//! so ([`ViewSink::closed`]); the work stops reading (`analyze`) or recording (`record`,
//! which also stops its command) and finishes normally, so that every other output is
//! complete and the exit status is the usual one.

use crate::cli::OutputArgs;
use crate::pipeline::is_stdout;
use anyhow::{anyhow, bail, Context, Result};
use std::io::{self, IsTerminal};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The view as an output: forwards to the view until the user closes it, then drops
/// everything quietly and remembers it.
#[derive(Clone)]
pub struct ViewSink {
    inner: tui::TuiSink,
    closed: Arc<AtomicBool>,
}

impl ViewSink {
    /// Whether the user closed the view.
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Sends the loss counters so far.
    pub fn stats(&self, stats: &model::Stats, losses: &[(String, u64)]) {
        let sent = self.inner.stats(stats, losses);
        // Only a closed view can fail a send; `note` records it.
        let _ = self.note(sent);
    }

    fn note(&self, sent: io::Result<()>) -> io::Result<()> {
        match sent {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed.store(true, Ordering::Relaxed);
                Ok(())
            }
            other => other,
        }
    }
}

impl output::Sink for ViewSink {
    fn start(&mut self, origin: model::Timestamp) -> io::Result<()> {
        let sent = self.inner.start(origin);
        self.note(sent)
    }

    fn transaction(&mut self, t: &model::Transaction) -> io::Result<()> {
        let sent = self.inner.transaction(t);
        self.note(sent)
    }

    fn connection(&mut self, c: &model::ConnectionRecord) -> io::Result<()> {
        let sent = self.inner.connection(c);
        self.note(sent)
    }

    fn dns(&mut self, lookup: &model::DnsLookup) -> io::Result<()> {
        let sent = self.inner.dns(lookup);
        self.note(sent)
    }

    fn finish(&mut self, report: &output::Report) -> io::Result<()> {
        let sent = self.inner.finish(report);
        self.note(sent)
    }
}

/// Runs `work` with the view as one more output when `--tui` is given, else without it.
pub fn run(
    output: &OutputArgs,
    title: String,
    follow: bool,
    work: impl FnOnce(Option<ViewSink>) -> Result<ExitCode> + Send,
) -> Result<ExitCode> {
    if !output.tui {
        return work(None);
    }
    if output.json || output.jsonl.as_deref().is_some_and(is_stdout) {
        bail!("--tui shows the requests on the terminal: --json and --jsonl - cannot write to standard output with it (give --jsonl a file)");
    }
    if !io::stdout().is_terminal() {
        bail!("--tui needs a terminal on standard output");
    }
    let (sink, rx) = tui::channel();
    let feed = sink.clone();
    let options = tui::TuiOptions {
        title,
        show_secrets: output.show_secrets,
        follow,
    };
    std::thread::scope(|s| {
        let worker = s.spawn(move || {
            let result = work(Some(ViewSink {
                inner: sink,
                closed: Arc::new(AtomicBool::new(false)),
            }));
            if let Err(e) = &result {
                // The view may be gone already; then there is no one to tell.
                let _ = feed.fail(format!("{e:#}"));
            }
            result
        });
        let shown = tui::run(rx, options);
        let result = worker
            .join()
            .map_err(|_| anyhow!("the worker thread panicked"))?;
        shown.context("the terminal view failed")?;
        result
    })
}
