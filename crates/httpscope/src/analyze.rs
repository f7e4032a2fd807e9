//! `httpscope analyze`: a capture file through the engine into every requested sink.

use crate::cli::{AnalyzeArgs, ColorChoice};
use crate::outfile::create_private;
use crate::progress::Progress;
use anyhow::{anyhow, bail, Context, Result};
use capture::{Block, CaptureReader};
use engine::{Engine, EngineConfig, Event};
use model::Timestamp;
use output::{
    HarWriter, HtmlWriter, JsonWriter, JsonlWriter, PcapngWriter, RenderOptions, Report, Sink,
    SummaryBuilder, TerminalReport,
};
use std::fs::File;
use std::io::{self, IsTerminal, LineWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// pcapng Decryption Secrets Block type of a TLS key log ("TLSK").
const SECRETS_TLS_KEY_LOG: u32 = 0x544c_534b;

/// Inputs larger than this get a progress bar (when it can be shown).
const PROGRESS_MIN_BYTES: u64 = 64_000_000;

/// One sink and the name users know it by, for error messages.
struct Output {
    name: String,
    sink: Box<dyn Sink>,
}

pub fn run(args: &AnalyzeArgs) -> Result<ExitCode> {
    if args.tui {
        return run_tui(args);
    }
    analyze(args, None)
}

/// `analyze --tui`: the analysis on a worker thread feeding the terminal view, which runs on
/// this thread until the user quits. Quitting early closes the feed, which stops the analysis
/// (as a closed pipe does: exit status 0).
fn run_tui(args: &AnalyzeArgs) -> Result<ExitCode> {
    if args.json || args.jsonl.as_deref().is_some_and(is_stdout) {
        bail!("--tui shows the requests on the terminal: --json and --jsonl - cannot write to standard output with it (give --jsonl a file)");
    }
    if !io::stdout().is_terminal() {
        bail!("--tui needs a terminal on standard output");
    }
    let (sink, rx) = tui::channel();
    let feed = sink.clone();
    let options = tui::TuiOptions {
        title: if is_stdout(&args.file) {
            "standard input".to_owned()
        } else {
            args.file.display().to_string()
        },
        show_secrets: args.show_secrets,
        follow: false,
    };
    std::thread::scope(|s| {
        let worker = s.spawn(move || {
            let result = analyze(args, Some(sink));
            if let Err(e) = &result {
                // The view may be gone already; then there is no one to tell.
                let _ = feed.fail(format!("{e:#}"));
            }
            result
        });
        let shown = tui::run(rx, options);
        let result = worker
            .join()
            .map_err(|_| anyhow!("the analysis thread panicked"))?;
        shown.context("the terminal view failed")?;
        result
    })
}

/// The analysis proper: `view`, when given, is one more output and replaces the terminal
/// report, the progress bar and the warnings on standard error (it shows them itself).
fn analyze(args: &AnalyzeArgs, view: Option<tui::TuiSink>) -> Result<ExitCode> {
    let tui = view.is_some();
    let stdout_is_tty = io::stdout().is_terminal();
    let jsonl_stdout = args.jsonl.as_deref().is_some_and(is_stdout);
    if args.json && jsonl_stdout {
        bail!("--json and --jsonl - both write to standard output; send one of them to a file");
    }
    let report_on_stdout = !(args.quiet || args.json || jsonl_stdout || tui);
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
    if let Some(path) = &args.html {
        let w = create_private(path)?;
        outputs.push(Output {
            name: path.display().to_string(),
            sink: Box::new(HtmlWriter::new(w, opts.clone())),
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
    if let Some(view) = view {
        outputs.push(Output {
            name: "the terminal view".into(),
            sink: Box::new(view),
        });
    }

    let mut keylogs = args
        .keylog
        .iter()
        .map(|path| KeyLogFile::open(path))
        .collect::<Result<Vec<_>>>()?;
    let mut pcapng = match &args.write_pcapng {
        Some(path) => {
            let w = PcapngWriter::new(create_private(path)?)
                .with_context(|| format!("cannot write to {}", path.display()))?;
            Some((path.display().to_string(), w))
        }
        None => None,
    };

    let mut config = EngineConfig::default();
    if let Some(bytes) = args.reassembly_buffer {
        config.flow.max_buffer_per_direction = bytes;
    }
    let mut engine = Engine::new(config);
    let mut analyzer = findings::Analyzer::new(crate::findings::config(&args.findings)?);
    for k in &mut keylogs {
        k.read_new(&mut engine)?;
    }
    let mut summary = SummaryBuilder::new();
    // The view owns the terminal: a bar drawn on it would garble the screen.
    let no_progress = args.no_progress || tui;
    let mut progress = (!no_progress
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
    let mut other_secrets = 0u64;
    let mut packets = 0u64;
    let mut deliver = |mut e: Event, outputs: &mut Vec<Output>, err: &mut Option<anyhow::Error>| {
        match &mut e {
            Event::Transaction(t) => {
                t.findings = analyzer
                    .transaction(t)
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                summary.add(t);
            }
            Event::Connection(c) => analyzer.connection(c),
            Event::Dns(l) => analyzer.dns(l),
        }
        if err.is_some() {
            return;
        }
        for o in outputs.iter_mut() {
            let written = match &e {
                Event::Transaction(t) => o.sink.transaction(t),
                Event::Connection(c) => o.sink.connection(c),
                Event::Dns(l) => o.sink.dns(l),
            };
            if let Err(e) = written {
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
                packets += 1;
                if packets.is_multiple_of(4096) && engine.awaiting_keys() {
                    // A key log still being written: sessions seen may have keys by now.
                    for k in &mut keylogs {
                        k.read_new(&mut engine)?;
                    }
                }
                engine.packet(p.ts, p.link, p.data, &mut |e| {
                    deliver(e, &mut outputs, &mut sink_error)
                });
                if let Some((name, w)) = pcapng.as_mut() {
                    // Secrets go before the session's encrypted packets.
                    let secrets = engine.take_secrets();
                    w.secrets(&secrets)
                        .and_then(|()| w.packet(p.link.code(), p.ts, p.data, p.orig_len, p.comment))
                        .with_context(|| format!("cannot write to {name}"))?;
                }
            }
            Block::DecryptionSecrets {
                secrets_type: SECRETS_TLS_KEY_LOG,
                data,
            } => engine.add_keys(data),
            Block::DecryptionSecrets { .. } => other_secrets += 1,
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
    let mut stats = engine.finish(&mut |e| deliver(e, &mut outputs, &mut sink_error));
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
    if other_secrets > 0 {
        warnings.push(format!(
            "{name}: {other_secrets} decryption secrets block(s) of a type other than a TLS key log were ignored"
        ));
    }
    if stats.tls.no_keys > 0 {
        let hint = if args.keylog.is_empty() {
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
    if let Some((name, w)) = pcapng.take() {
        w.finish()
            .and_then(|mut f| f.flush())
            .with_context(|| format!("cannot write to {name}"))?;
    }
    if stats.capture.packets == 0 {
        warnings.push(format!("{name}: the capture holds no packets"));
    }
    if !tui {
        for w in &warnings {
            eprintln!("httpscope: warning: {w}");
        }
    }

    let findings = analyzer.finish(&stats);
    let failed = crate::findings::fails(args.fail_on, &findings);
    let report = Report {
        input: name,
        first_packet,
        last_packet,
        stats,
        summary: summary.build(),
        warnings,
        findings,
    };
    for o in &mut outputs {
        o.sink
            .finish(&report)
            .with_context(|| format!("cannot write to {}", o.name))?;
    }
    Ok(if read_error.is_some() {
        ExitCode::from(1)
    } else if failed {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A `--keylog` file, read on from where the last read stopped (it may still be written).
struct KeyLogFile {
    path: PathBuf,
    file: File,
    /// A last line without its newline, kept until the rest is written.
    tail: Vec<u8>,
    first_read: bool,
}

impl KeyLogFile {
    fn open(path: &Path) -> Result<KeyLogFile> {
        let file = File::open(path)
            .with_context(|| format!("cannot read the key log {}", path.display()))?;
        Ok(KeyLogFile {
            path: path.to_owned(),
            file,
            tail: Vec::new(),
            first_read: true,
        })
    }

    /// Feeds the whole lines written since the last call to the engine. On the first read a
    /// last line without a newline counts as whole: most key logs are written at once.
    fn read_new(&mut self, engine: &mut Engine) -> Result<()> {
        let mut text = std::mem::take(&mut self.tail);
        self.file
            .read_to_end(&mut text)
            .with_context(|| format!("cannot read the key log {}", self.path.display()))?;
        let whole = if self.first_read {
            text.len()
        } else {
            text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
        };
        self.first_read = false;
        self.tail = text.split_off(whole);
        if !text.is_empty() {
            engine.add_keys(&text);
        }
        Ok(())
    }
}
