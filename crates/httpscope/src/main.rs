//! The `httpscope` command: flags, commands, wiring and exit codes.
//!
//! Exit codes: 0 on success (including a capture whose truncated tail was skipped with a
//! warning, and a closed output pipe); 1 when the capture became unreadable part-way (the
//! results up to that point are still written); 2 when nothing could be read or the command
//! line is wrong; 3 when `--fail-on` found findings of that severity or worse.

mod analyze;
mod cli;
mod findings;
mod outfile;
mod pipeline;
mod progress;
mod record;
mod tlsprobe;
mod view;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Analyze(args) => analyze::run(&args),
        cli::Command::Record(args) => record::run(&args),
        cli::Command::Rules(args) => findings::print_rules(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("httpscope: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether an error chain ends in a closed pipe (`httpscope analyze x | head`), which is a
/// normal way to stop reading, not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
