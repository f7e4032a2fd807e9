//! `--tui`: the work (an analysis or a recording) runs on a worker thread and feeds the
//! full-screen terminal view, which runs on the calling thread until the user quits.
//! Quitting early closes the feed: the worker's next write fails with a closed pipe, which
//! ends it like `httpscope analyze x | head` (exit status 0).

use crate::cli::OutputArgs;
use crate::pipeline::is_stdout;
use anyhow::{anyhow, bail, Context, Result};
use std::io::{self, IsTerminal};
use std::process::ExitCode;

/// Runs `work` with the view as one more output when `--tui` is given, else without it.
pub fn run(
    output: &OutputArgs,
    title: String,
    follow: bool,
    work: impl FnOnce(Option<tui::TuiSink>) -> Result<ExitCode> + Send,
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
            let result = work(Some(sink));
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
