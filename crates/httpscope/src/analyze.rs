//! `httpscope analyze`: a capture file through the [`Pipeline`] into every requested sink.

use crate::cli::AnalyzeArgs;
use crate::pipeline::{KeyLogFile, Pipeline};
use crate::progress::Progress;
use anyhow::Result;
use capture::{Block, CaptureReader};
use engine::EngineConfig;
use std::io::{self, IsTerminal};
use std::process::ExitCode;

/// pcapng Decryption Secrets Block type of a TLS key log ("TLSK").
const SECRETS_TLS_KEY_LOG: u32 = 0x544c_534b;

/// Inputs larger than this get a progress bar (when it can be shown).
const PROGRESS_MIN_BYTES: u64 = 64_000_000;

pub fn run(args: &AnalyzeArgs) -> Result<ExitCode> {
    let title = if crate::pipeline::is_stdout(&args.file) {
        "standard input".to_owned()
    } else {
        args.file.display().to_string()
    };
    crate::view::run(&args.output, title, false, |view| analyze(args, view))
}

fn analyze(args: &AnalyzeArgs, view: Option<crate::view::ViewSink>) -> Result<ExitCode> {
    let closed = view.clone();
    let mut reader = CaptureReader::open(&args.file)?;
    let name = reader.name().to_owned();

    let mut keylogs = args
        .keylog
        .iter()
        .map(|path| KeyLogFile::open(path))
        .collect::<Result<Vec<_>>>()?;
    let mut config = EngineConfig::default();
    if let Some(bytes) = args.reassembly_buffer {
        config.flow.max_buffer_per_direction = bytes;
    }
    let mut pipeline = Pipeline::new(&args.output, config, view)?;
    for k in &mut keylogs {
        k.read_new(pipeline.engine())?;
    }
    let mut progress = (!args.no_progress
        && io::stderr().is_terminal()
        && !pipeline.owns_terminal
        && reader
            .progress()
            .1
            .is_none_or(|total| total >= PROGRESS_MIN_BYTES))
    .then(Progress::new);

    let mut read_error: Option<capture::CaptureError> = None;
    let mut other_secrets = 0u64;
    let mut packets = 0u64;
    loop {
        if closed.as_ref().is_some_and(|v| v.closed()) {
            // The user closed the view: stop reading, finish what was read.
            break;
        }
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
                packets += 1;
                if packets.is_multiple_of(4096) && pipeline.engine().awaiting_keys() {
                    // A key log still being written: sessions seen may have keys by now.
                    for k in &mut keylogs {
                        k.read_new(pipeline.engine())?;
                    }
                }
                pipeline.packet(p.ts, p.link, p.data, p.orig_len, p.comment, &mut |_| {})?;
            }
            Block::DecryptionSecrets {
                secrets_type: SECRETS_TLS_KEY_LOG,
                data,
            } => pipeline.engine().add_keys(data),
            Block::DecryptionSecrets { .. } => other_secrets += 1,
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
    let no_keylog = args.keylog.is_empty();
    let adjust = |stats: &mut model::Stats, warnings: &mut Vec<String>| {
        stats.capture = capture_stats;
        if let Some(tail) = &stats.capture.truncated_tail {
            warnings.push(format!("{name}: the capture ends in the middle of a record; the incomplete tail was skipped ({tail})"));
        }
        if let Some(e) = &read_error {
            warnings.push(format!("{e}; everything before it is reported"));
        }
        if other_secrets > 0 {
            warnings.push(format!(
                "{name}: {other_secrets} decryption secrets block(s) of a type other than a TLS key log were ignored"
            ));
        }
        tls_warnings(stats, no_keylog, warnings);
        if stats.capture.packets == 0 {
            warnings.push(format!("{name}: the capture holds no packets"));
        }
    };
    let failed = pipeline.finish(name.clone(), adjust, &mut |_| {})?;
    Ok(if read_error.is_some() {
        ExitCode::from(1)
    } else if failed {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Warnings about TLS sessions that stayed encrypted and key log lines that were unreadable.
pub fn tls_warnings(stats: &model::Stats, no_keylog: bool, warnings: &mut Vec<String>) {
    if stats.tls.no_keys > 0 {
        let hint = if no_keylog {
            "give the client's key log with --keylog (written where SSLKEYLOGFILE points)"
        } else {
            "the key logs hold no secrets for them"
        };
        warnings.push(format!(
            "{} TLS connection(s) could not be decrypted: {hint}",
            stats.tls.no_keys
        ));
    }
    if stats.tls.keylog_malformed > 0 {
        warnings.push(format!(
            "{} key log line(s) could not be read (last: {})",
            stats.tls.keylog_malformed,
            stats.tls.keylog_error.as_deref().unwrap_or("?")
        ));
    }
}
