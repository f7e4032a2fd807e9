//! `httpscope analyze`: a capture file through the engine into every requested sink.

use crate::cli::{AnalyzeArgs, ColorChoice};
use crate::outfile::create_private;
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use capture::{Block, CaptureReader};
use engine::{Engine, EngineConfig};
use model::{Timestamp, Transaction};
use output::{
    HarWriter, JsonWriter, JsonlWriter, RenderOptions, Report, Sink, SummaryBuilder, TerminalReport,
};
use std::io::{self, IsTerminal, LineWriter, Write};
use std::path::Path;
use std::process::ExitCode;

/// Inputs larger than this get a progress bar (when it can be shown).
const PROGRESS_MIN_BYTES: u64 = 64_000_000;

/// One sink and the name users know it by, for error messages.
struct Output {
    name: String,
    sink: Box<dyn Sink>,
}

pub fn run(args: &AnalyzeArgs) -> Result<ExitCode> {
    let stdout_is_tty = io::stdout().is_terminal();
    let jsonl_stdout = args.jsonl.as_deref().is_some_and(is_stdout);
    if args.json && jsonl_stdout {
        bail!("--json and --jsonl - both write to standard output; send one of them to a file");
    }
    let report_on_stdout = !(args.quiet || args.json || jsonl_stdout);
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stdout_is_tty
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    };
    // A file or pipe gets a wide layout so that URLs are rarely shortened.
    let width = terminal_size::terminal_size().map_or(200, |(w, _)| usize::from(w.0));
    let opts = RenderOptions {
        show_secrets: args.show_secrets,
        color,
        width,
    };

    let mut reader = CaptureReader::open(&args.file)?;
    let name = reader.name().to_owned();

    let mut outputs = Vec::new();
    let stdout = || -> Box<dyn Write> {
        if stdout_is_tty {
            Box::new(LineWriter::new(io::stdout()))
        } else {
            Box::new(io::BufWriter::with_capacity(256 * 1024, io::stdout()))
        }
    };
    if let Some(path) = &args.har {
        let w = create_private(path)?;
        outputs.push(Output {
            name: path.display().to_string(),
            sink: Box::new(HarWriter::new(w, opts.clone())),
        });
    }
    if let Some(path) = &args.jsonl {
        let w = if is_stdout(path) {
            stdout()
        } else {
            create_private(path)?
        };
        outputs.push(Output {
            name: path.display().to_string(),
            sink: Box::new(JsonlWriter::new(w, opts.clone())),
        });
    }
    if args.json {
        outputs.push(Output {
            name: "standard output".into(),
            sink: Box::new(JsonWriter::new(stdout(), opts.clone())),
        });
    }
    if report_on_stdout {
        outputs.push(Output {
            name: "standard output".into(),
            sink: Box::new(TerminalReport::new(stdout(), opts.clone())),
        });
    }

    let mut config = EngineConfig::default();
    if let Some(bytes) = args.reassembly_buffer {
        config.flow.max_buffer_per_direction = bytes;
    }
    let mut engine = Engine::new(config);
    let mut summary = SummaryBuilder::new();
    let mut progress = (!args.no_progress
        && io::stderr().is_terminal()
        && !(report_on_stdout && stdout_is_tty)
        && reader
            .progress()
            .1
            .is_none_or(|total| total >= PROGRESS_MIN_BYTES))
    .then(Progress::new);

    let mut first_packet: Option<Timestamp> = None;
    let mut last_packet: Option<Timestamp> = None;
    let mut sink_error: Option<anyhow::Error> = None;
    let mut read_error: Option<capture::CaptureError> = None;
    let mut secrets_blocks = 0u64;
    let mut deliver = |t: Transaction,
                       outputs: &mut Vec<Output>,
                       err: &mut Option<anyhow::Error>| {
        summary.add(&t);
        if err.is_some() {
            return;
        }
        for o in outputs.iter_mut() {
            if let Err(e) = o.sink.transaction(&t) {
                *err = Some(anyhow::Error::new(e).context(format!("cannot write to {}", o.name)));
                return;
            }
        }
    };

    loop {
        let block = match reader.next_block() {
            Ok(Some(block)) => block,
            Ok(None) => break,
            Err(e) => {
                read_error = Some(e);
                break;
            }
        };
        match block {
            Block::Packet(p) => {
                if first_packet.is_none() {
                    first_packet = Some(p.ts);
                    for o in &mut outputs {
                        o.sink
                            .start(p.ts)
                            .with_context(|| format!("cannot write to {}", o.name))?;
                    }
                }
                last_packet = Some(last_packet.map_or(p.ts, |l| l.max(p.ts)));
                engine.packet(p.ts, p.link, p.data, &mut |t| {
                    deliver(t, &mut outputs, &mut sink_error)
                });
            }
            Block::DecryptionSecrets { .. } => secrets_blocks += 1,
        }
        if let Some(e) = sink_error.take() {
            return Err(e);
        }
        if let Some(p) = progress.as_mut() {
            let (done, total) = reader.progress();
            p.poll(done, total);
        }
    }
    if let Some(p) = progress.as_mut() {
        p.clear();
    }

    let capture_stats = reader.stats().clone();
    if capture_stats.packets == 0 {
        if let Some(e) = read_error {
            return Err(anyhow::Error::new(e).context("nothing could be read"));
        }
    }
    let mut stats = engine.finish(&mut |t| deliver(t, &mut outputs, &mut sink_error));
    if let Some(e) = sink_error.take() {
        return Err(e);
    }
    stats.capture = capture_stats;

    let mut warnings = Vec::new();
    if let Some(tail) = &stats.capture.truncated_tail {
        warnings.push(format!("{name}: the capture ends in the middle of a record; the incomplete tail was skipped ({tail})"));
    }
    if let Some(e) = &read_error {
        warnings.push(format!("{e}; everything before it is reported"));
    }
    if secrets_blocks > 0 {
        warnings.push(format!(
            "{name}: {secrets_blocks} decryption secrets block(s) found; TLS decryption is not supported yet, so HTTPS connections are not analysed"
        ));
    }
    if stats.capture.packets == 0 {
        warnings.push(format!("{name}: the capture holds no packets"));
    }
    for w in &warnings {
        eprintln!("httpscope: warning: {w}");
    }

    let report = Report {
        input: name,
        first_packet,
        last_packet,
        stats,
        summary: summary.build(),
        warnings,
    };
    for o in &mut outputs {
        o.sink
            .finish(&report)
            .with_context(|| format!("cannot write to {}", o.name))?;
    }
    Ok(if read_error.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}
