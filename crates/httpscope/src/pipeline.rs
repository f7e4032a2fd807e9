//! The part of a run that does not depend on where packets come from: the engine, the
//! findings analyzer, the summary, every output the flags asked for, the pcapng writer, and
//! key log files. `analyze` feeds it packets from a capture file, `record` from the kernel.

use crate::cli::{ColorChoice, OutputArgs};
use crate::outfile::create_private;
use anyhow::{bail, Context, Result};
use engine::{Engine, EngineConfig, Event};
use model::{Stats, Timestamp};
use output::{
    HarWriter, HtmlWriter, JsonWriter, JsonlWriter, PcapngWriter, RenderOptions, Report, Sink,
    SummaryBuilder, TerminalReport,
};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, IsTerminal, LineWriter, Read, Write};
use std::path::{Path, PathBuf};
use wire::LinkType;

/// One sink and the name users know it by, for error messages.
struct Output {
    name: String,
    sink: Box<dyn Sink>,
}

/// Everything between packets and outputs.
pub struct Pipeline {
    engine: Engine,
    /// The engine of plaintext from TLS library probes (live recordings), made on first use.
    plain: Option<Engine>,
    analyzer: findings::Analyzer,
    summary: SummaryBuilder,
    outputs: Vec<Output>,
    pcapng: Option<PcapngOut>,
    sink_error: Option<anyhow::Error>,
    fail_on: Option<crate::cli::FailOn>,
    /// First and last packet times.
    pub first_packet: Option<Timestamp>,
    /// Last packet time.
    pub last_packet: Option<Timestamp>,
    /// Whether the terminal report or the view uses the terminal (progress bars stay off).
    pub owns_terminal: bool,
    /// Whether the terminal view is an output (warnings are not printed then).
    in_view: bool,
}

impl Pipeline {
    /// Opens every output `args` asks for. `view`, when given, is one more output and
    /// replaces the terminal report and the warnings on standard error (it shows them).
    pub fn new(
        args: &OutputArgs,
        config: EngineConfig,
        view: Option<crate::view::ViewSink>,
    ) -> Result<Pipeline> {
        let in_view = view.is_some();
        let stdout_is_tty = io::stdout().is_terminal();
        let jsonl_stdout = args.jsonl.as_deref().is_some_and(is_stdout);
        if args.json && jsonl_stdout {
            bail!("--json and --jsonl - both write to standard output; send one of them to a file");
        }
        let report_on_stdout = !(args.quiet || args.json || jsonl_stdout || in_view);
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
        let stdout = || -> Box<dyn Write> {
            if stdout_is_tty {
                Box::new(LineWriter::new(io::stdout()))
            } else {
                Box::new(io::BufWriter::with_capacity(256 * 1024, io::stdout()))
            }
        };
        let mut outputs = Vec::new();
        let mut add = |name: String, sink: Box<dyn Sink>| outputs.push(Output { name, sink });
        if let Some(path) = &args.har {
            let w = create_private(path)?;
            add(
                path.display().to_string(),
                Box::new(HarWriter::new(w, opts.clone())),
            );
        }
        if let Some(path) = &args.html {
            let w = create_private(path)?;
            add(
                path.display().to_string(),
                Box::new(HtmlWriter::new(w, opts.clone())),
            );
        }
        if let Some(path) = &args.jsonl {
            let w = if is_stdout(path) {
                stdout()
            } else {
                create_private(path)?
            };
            add(
                path.display().to_string(),
                Box::new(JsonlWriter::new(w, opts.clone())),
            );
        }
        if args.json {
            add(
                "standard output".into(),
                Box::new(JsonWriter::new(stdout(), opts.clone())),
            );
        }
        if report_on_stdout {
            add(
                "standard output".into(),
                Box::new(TerminalReport::new(stdout(), opts.clone())),
            );
        }
        if let Some(view) = view {
            add("the terminal view".into(), Box::new(view));
        }
        let pcapng = match &args.write_pcapng {
            Some(path) => {
                let w = PcapngWriter::new(create_private(path)?)
                    .with_context(|| format!("cannot write to {}", path.display()))?;
                Some(PcapngOut {
                    name: path.display().to_string(),
                    writer: w,
                    delay: 0,
                    held: VecDeque::new(),
                    held_bytes: 0,
                })
            }
            None => None,
        };
        Ok(Pipeline {
            engine: Engine::new(config),
            plain: None,
            analyzer: findings::Analyzer::new(crate::findings::config(&args.findings)?),
            summary: SummaryBuilder::new(),
            outputs,
            pcapng,
            sink_error: None,
            fail_on: args.fail_on,
            first_packet: None,
            last_packet: None,
            owns_terminal: in_view || (report_on_stdout && stdout_is_tty),
            in_view,
        })
    }

    /// Holds packets for `ns` nanoseconds of capture time before writing them to the pcapng
    /// output, so that secrets learnt meanwhile go before them (see [`PcapngOut`]).
    pub fn delay_pcapng(&mut self, ns: i64) {
        if let Some(out) = self.pcapng.as_mut() {
            out.delay = ns;
        }
    }

    /// The engine, to add keys or ask whether sessions wait for them.
    pub fn engine(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// Analyses one packet and writes it to the pcapng output (with `comment`, and after the
    /// secrets of the sessions it belongs to). `annotate` sees every event before the
    /// findings and the outputs do.
    #[allow(clippy::too_many_arguments)]
    pub fn packet(
        &mut self,
        ts: Timestamp,
        link: LinkType,
        data: &[u8],
        orig_len: u32,
        comment: Option<&str>,
        annotate: &mut dyn FnMut(&mut Event),
    ) -> Result<()> {
        if self.first_packet.is_none() {
            self.first_packet = Some(ts);
            for o in &mut self.outputs {
                o.sink
                    .start(ts)
                    .with_context(|| format!("cannot write to {}", o.name))?;
            }
        }
        self.last_packet = Some(self.last_packet.map_or(ts, |l| l.max(ts)));
        let Pipeline {
            engine,
            analyzer,
            summary,
            outputs,
            sink_error,
            ..
        } = self;
        engine.packet(ts, link, data, &mut |mut e| {
            annotate(&mut e);
            deliver(e, analyzer, summary, outputs, sink_error)
        });
        if let Some(out) = self.pcapng.as_mut() {
            // Secrets go before the session's encrypted packets.
            let secrets = self.engine.take_secrets();
            out.write(&secrets, ts, link, data, orig_len, comment)?;
        }
        self.sink_error.take().map_or(Ok(()), Err)
    }

    /// Analyses one packet made from TLS library plaintext ([`live::plain`]), in an engine of
    /// its own: its transactions and connections are numbered from [`PLAIN_IDS`] + 1 so that
    /// they never collide with those read from captured packets, and get the `https` scheme
    /// (the caller's `annotate` says which library they came from). Not written to the pcapng
    /// output, which holds captured packets.
    pub fn plain_packet(
        &mut self,
        ts: Timestamp,
        data: &[u8],
        annotate: &mut dyn FnMut(&mut Event),
    ) -> Result<()> {
        let Pipeline {
            plain,
            analyzer,
            summary,
            outputs,
            sink_error,
            ..
        } = self;
        let engine = plain.get_or_insert_with(|| Engine::new(EngineConfig::default()));
        engine.packet(ts, LinkType::Raw, data, &mut |mut e| {
            mark_plain(&mut e);
            annotate(&mut e);
            deliver(e, analyzer, summary, outputs, sink_error)
        });
        self.sink_error.take().map_or(Ok(()), Err)
    }

    /// Ends the analysis: flushes the engine, lets `adjust` complete the counters and the
    /// warnings (which are printed to standard error), writes the report to every output.
    /// Returns whether `--fail-on` found findings.
    pub fn finish(
        self,
        input: String,
        adjust: impl FnOnce(&mut Stats, &mut Vec<String>),
        annotate: &mut dyn FnMut(&mut Event),
    ) -> Result<bool> {
        let Pipeline {
            engine,
            plain,
            mut analyzer,
            mut summary,
            mut outputs,
            pcapng,
            mut sink_error,
            fail_on,
            first_packet,
            last_packet,
            in_view,
            ..
        } = self;
        let mut stats = engine.finish(&mut |mut e| {
            annotate(&mut e);
            deliver(
                e,
                &mut analyzer,
                &mut summary,
                &mut outputs,
                &mut sink_error,
            )
        });
        if let Some(plain) = plain {
            let extra = plain.finish(&mut |mut e| {
                mark_plain(&mut e);
                annotate(&mut e);
                deliver(
                    e,
                    &mut analyzer,
                    &mut summary,
                    &mut outputs,
                    &mut sink_error,
                )
            });
            // Only the HTTP counters: the packets and TCP streams were made up.
            let (h, x) = (&mut stats.http, extra.http);
            h.connections += x.connections;
            h.transactions += x.transactions;
            h.incomplete += x.incomplete;
            h.resyncs += x.resyncs;
            h.skipped_bytes += x.skipped_bytes;
            h.tunnels += x.tunnels;
            h.other_connections += x.other_connections;
        }
        if let Some(e) = sink_error {
            return Err(e);
        }
        let mut warnings = Vec::new();
        adjust(&mut stats, &mut warnings);
        if let Some(out) = pcapng {
            out.finish()?;
        }
        if !in_view {
            for w in &warnings {
                eprintln!("httpscope: warning: {w}");
            }
        }
        let findings = analyzer.finish(&stats);
        let failed = crate::findings::fails(fail_on, &findings);
        let report = Report {
            input,
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
        Ok(failed)
    }
}

/// Transactions and connections read from TLS library plaintext are numbered above this.
pub const PLAIN_IDS: u64 = 1 << 32;

/// Renumbers an event of the plaintext engine; its URLs are `https` (the bytes came from a
/// TLS library).
fn mark_plain(e: &mut Event) {
    match e {
        Event::Transaction(t) => {
            t.id += PLAIN_IDS;
            t.connection = model::ConnectionId(t.connection.0 + PLAIN_IDS);
            if let Some(r) = t.redirect.as_mut() {
                r.from += PLAIN_IDS;
            }
            if t.url.starts_with("http://") {
                t.url.replace_range(..4, "https");
            }
        }
        Event::Connection(c) => c.id = model::ConnectionId(c.id.0 + PLAIN_IDS),
        Event::Dns(_) => {}
    }
}

/// Most bytes of packets [`PcapngOut`] holds back; past it the oldest are written.
const MAX_HELD_BYTES: usize = 256 << 20;

/// The `--write-pcapng` output. Wireshark decrypts a TLS session only when its secrets come
/// before its first encrypted record in the file. From a file the engine knows them in time;
/// live, a TLS 1.3 client writes its handshake secrets only after it received the
/// ServerHello, whose packet usually carries the first encrypted records too. So a live
/// recording holds packets back for a short capture time ([`Pipeline::delay_pcapng`]) and
/// writes new secrets ahead of everything still held.
struct PcapngOut {
    name: String,
    writer: PcapngWriter<Box<dyn Write>>,
    /// Capture time (ns) a packet is held; 0 writes at once.
    delay: i64,
    held: VecDeque<HeldPacket>,
    held_bytes: usize,
}

struct HeldPacket {
    ts: Timestamp,
    link: u32,
    data: Vec<u8>,
    orig_len: u32,
    comment: Option<String>,
}

impl PcapngOut {
    fn write(
        &mut self,
        secrets: &str,
        ts: Timestamp,
        link: LinkType,
        data: &[u8],
        orig_len: u32,
        comment: Option<&str>,
    ) -> Result<()> {
        let name = &self.name;
        let w = &mut self.writer;
        w.secrets(secrets)
            .with_context(|| format!("cannot write to {name}"))?;
        if self.delay == 0 {
            return w
                .packet(link.code(), ts, data, orig_len, comment)
                .with_context(|| format!("cannot write to {name}"));
        }
        self.held_bytes += data.len();
        self.held.push_back(HeldPacket {
            ts,
            link: link.code(),
            data: data.to_vec(),
            orig_len,
            comment: comment.map(str::to_owned),
        });
        while let Some(p) = self.held.front() {
            if ts.0.saturating_sub(p.ts.0) < self.delay && self.held_bytes <= MAX_HELD_BYTES {
                break;
            }
            self.write_oldest()?;
        }
        Ok(())
    }

    fn write_oldest(&mut self) -> Result<()> {
        if let Some(p) = self.held.pop_front() {
            self.held_bytes -= p.data.len();
            self.writer
                .packet(p.link, p.ts, &p.data, p.orig_len, p.comment.as_deref())
                .with_context(|| format!("cannot write to {}", self.name))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        while !self.held.is_empty() {
            self.write_oldest()?;
        }
        self.writer
            .finish()
            .and_then(|mut f| f.flush())
            .with_context(|| format!("cannot write to {}", self.name))
    }
}

/// Runs the findings over an event, adds it to the summary and writes it to every output
/// (stopping at the first write error, which is kept for the caller).
fn deliver(
    mut e: Event,
    analyzer: &mut findings::Analyzer,
    summary: &mut SummaryBuilder,
    outputs: &mut [Output],
    err: &mut Option<anyhow::Error>,
) {
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
}

pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A key log file, read on from where the last read stopped (it may still be written).
pub struct KeyLogFile {
    path: PathBuf,
    file: File,
    /// A last line without its newline, kept until the rest is written.
    tail: Vec<u8>,
    first_read: bool,
}

impl KeyLogFile {
    pub fn open(path: &Path) -> Result<KeyLogFile> {
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
    pub fn read_new(&mut self, engine: &mut Engine) -> Result<()> {
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
