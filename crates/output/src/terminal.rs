//! The human report: one line per transaction as it completes, then a summary.
//!
//! This module owns [`TerminalReport`] and the human formatting of sizes (`B`, `kB`, `MB`:
//! 1000-based like browsers, three significant digits), durations (`µs`, `ms`, `s`, three
//! significant digits) and the phase bar. A transaction line reads
//!
//! ```text
//!   +0.100s GET      200  http://example.com/index.html?q=rust  HTTP/1.1 1.32 kB 4.00 kB 60.1 ms [..........##] R
//! ```
//!
//! start offset from the first packet, method, status (`---` without a response), URL
//! (shortened in the middle with `…` to fit [`RenderOptions::width`]), protocol, bytes
//! transferred (request and response on the wire), decoded response size, total time
//! ([`model::Timings::total`]), a bar of [`BAR_CELLS`] cells where each phase gets cells in
//! proportion to its duration (connect, which includes blocked and DNS; send; wait; receive),
//! and markers: `R` (`↻` in colour) for a reused connection, `tunnel:<kind>`, and `!` with the
//! incomplete reasons.
//!
//! Colour comes only from [`RenderOptions::color`]: statuses by class (2xx green, 3xx cyan,
//! 4xx yellow, 5xx red, none magenta), phases by colour instead of glyph, bold headings, dim
//! secondary text. Without colour the output is plain text apart from `…` and `µ`.
//!
//! [`Sink::finish`] writes the summary: input, capture span, requests, bytes, connection
//! reuse, protocols, status classes, the phase legend, hosts, the slowest requests with their
//! phases in milliseconds, incomplete transactions by reason, and every non-zero loss counter
//! of [`model::Stats`] together with the report's warnings.

use crate::redact::{prepare, prepare_report};
use crate::{RenderOptions, Report, Sink, Summary};
use model::{IncompleteReason, Stats, Timestamp, Timings, Transaction, Tunnel};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Cells of the phase bar.
const BAR_CELLS: usize = 12;
/// Width when [`RenderOptions::width`] is 0.
const DEFAULT_WIDTH: usize = 100;
/// Columns of a transaction line other than the URL (and two for a marker).
const FIXED_COLUMNS: usize = 77;
/// The URL column never gets narrower than this.
const MIN_URL_COLUMNS: usize = 16;
/// Width of the host column of the hosts table.
const HOST_COLUMNS: usize = 30;

const BOLD: &str = "1";
const DIM: &str = "2";

/// The phases of the bar: name, glyph without colour, ANSI colour.
const PHASES: [(&str, char, &str); 4] = [
    ("connect", '-', "33"),
    ("send", '>', "35"),
    ("wait", '.', "32"),
    ("receive", '#', "34"),
];

/// Wraps `s` in an ANSI style when `color` is on.
fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

/// 1000-based byte counts with three significant digits: `999 B`, `1.00 kB`, `12.3 MB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 999.5 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{} {}", sig3(v), UNITS.get(unit).unwrap_or(&"?"))
}

/// Three significant digits.
fn sig3(v: f64) -> String {
    if v < 9.995 {
        format!("{v:.2}")
    } else if v < 99.95 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// A duration in the largest unit that keeps it under 1000: `850 µs`, `12.3 ms`, `1.50 s`.
fn duration(ns: u64) -> String {
    if ns == 0 {
        "0 ms".to_owned()
    } else if ns < 999_500 {
        format!("{} µs", sig3(ns as f64 / 1e3))
    } else if ns < 999_500_000 {
        format!("{} ms", sig3(ns as f64 / 1e6))
    } else {
        format!("{} s", sig3(ns as f64 / 1e9))
    }
}

/// Milliseconds for the phase breakdown: one decimal, three below 1 ms.
fn ms(ns: u64) -> String {
    let v = ns as f64 / 1e6;
    if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// `+1.234s`: the time since the origin.
fn offset(ns: u64) -> String {
    format!(
        "+{}.{:03}s",
        ns / 1_000_000_000,
        ns % 1_000_000_000 / 1_000_000
    )
}

/// `s` with control characters (C0, DEL, C1) replaced by U+FFFD, so that text from the
/// capture cannot move the cursor or change colours in the reader's terminal.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// [`clean`] text, or `-` when it is empty.
fn text_or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".to_owned()
    } else {
        clean(s)
    }
}

/// `s`, [`clean`]ed and shortened to at most `width` characters by replacing its middle
/// with `…`.
fn fit(s: &str, width: usize) -> String {
    let s = clean(s);
    let len = s.chars().count();
    if len <= width {
        return s;
    }
    if width == 0 {
        return String::new();
    }
    let head = width / 2;
    let tail = width - 1 - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(len - tail));
    out
}

/// The name of an incomplete reason, as serde writes it.
fn reason_name(r: IncompleteReason) -> &'static str {
    match r {
        IncompleteReason::RequestGap => "request_gap",
        IncompleteReason::ResponseGap => "response_gap",
        IncompleteReason::RequestTruncated => "request_truncated",
        IncompleteReason::ResponseTruncated => "response_truncated",
        IncompleteReason::NoResponse => "no_response",
        IncompleteReason::NoRequest => "no_request",
        IncompleteReason::Malformed => "malformed",
        IncompleteReason::DecodeFailed => "decode_failed",
        IncompleteReason::Reset => "reset",
        IncompleteReason::Snapped => "snapped",
    }
}

/// Cells per phase, proportional to `parts` (largest remainder; ties go to the earlier phase).
fn allocate(parts: [u64; 4], cells: usize) -> [usize; 4] {
    let total: u128 = parts.iter().map(|&p| u128::from(p)).sum();
    let mut out = [0usize; 4];
    if total == 0 {
        return out;
    }
    let cells128 = cells as u128;
    let mut remainders = [(0u128, 0usize); 4];
    let mut used = 0;
    for (i, &p) in parts.iter().enumerate() {
        let scaled = u128::from(p) * cells128;
        let whole = usize::try_from(scaled / total).unwrap_or(cells);
        if let (Some(o), Some(r)) = (out.get_mut(i), remainders.get_mut(i)) {
            *o = whole;
            *r = (scaled % total, i);
        }
        used += whole;
    }
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(cells.saturating_sub(used)) {
        if let Some(o) = out.get_mut(i) {
            *o += 1;
        }
    }
    out
}

/// The phase bar of `t`, brackets included (`BAR_CELLS + 2` columns).
fn bar(t: &Timings, color: bool) -> String {
    let pre = [t.blocked, t.dns, t.connect]
        .into_iter()
        .flatten()
        .sum::<u64>();
    let parts = [
        pre,
        t.send.unwrap_or(0),
        t.wait.unwrap_or(0),
        t.receive.unwrap_or(0),
    ];
    let cells = allocate(parts, BAR_CELLS);
    let mut out = String::from(if color { "▕" } else { "[" });
    for ((_, glyph, code), n) in PHASES.iter().zip(cells) {
        if n == 0 {
            continue;
        }
        if color {
            out.push_str(&paint(true, code, &"█".repeat(n)));
        } else {
            out.extend(std::iter::repeat_n(*glyph, n));
        }
    }
    let filled: usize = cells.iter().sum();
    out.extend(std::iter::repeat_n(' ', BAR_CELLS.saturating_sub(filled)));
    out.push(if color { '▏' } else { ']' });
    out
}

/// ANSI colour of a status code.
fn status_color(status: u16) -> &'static str {
    match status {
        0 => "35",
        200..=299 => "32",
        300..=399 => "36",
        400..=499 => "33",
        500..=599 => "31",
        _ => "0",
    }
}

/// `1 connection`, `2 connections`.
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Writes the human report (see the module documentation).
pub struct TerminalReport<W> {
    out: W,
    opts: RenderOptions,
    origin: Option<Timestamp>,
    header_written: bool,
}

impl<W: Write> TerminalReport<W> {
    /// A report to `w`.
    pub fn new(w: W, opts: RenderOptions) -> Self {
        TerminalReport {
            out: w,
            opts,
            origin: None,
            header_written: false,
        }
    }

    fn width(&self) -> usize {
        if self.opts.width == 0 {
            DEFAULT_WIDTH
        } else {
            self.opts.width
        }
    }

    fn url_columns(&self) -> usize {
        self.width()
            .saturating_sub(FIXED_COLUMNS)
            .max(MIN_URL_COLUMNS)
    }

    fn paint(&self, code: &str, s: &str) -> String {
        paint(self.opts.color, code, s)
    }

    fn header(&mut self) -> io::Result<()> {
        if self.header_written {
            return Ok(());
        }
        self.header_written = true;
        let uw = self.url_columns();
        let line = format!(
            "  {:>9} {:<7} {:>4}  {:<uw$}  {:<8} {:>7} {:>7} {:>7} phases",
            "start", "method", "code", "url", "protocol", "wire", "size", "time"
        );
        writeln!(self.out, "{}", self.paint(BOLD, &line))
    }

    fn line(&self, t: &Transaction, origin: Timestamp) -> String {
        let color = self.opts.color;
        let uw = self.url_columns();
        let method = text_or_dash(t.method());
        let status = match t.status() {
            0 => "---".to_owned(),
            s => s.to_string(),
        };
        let status = self.paint(status_color(t.status()), &format!("{status:>4}"));
        let url = format!("{:<uw$}", fit(&t.url, uw));
        let protocol = text_or_dash(&t.protocol);
        let transfer = bytes(
            t.request_wire_bytes()
                .saturating_add(t.response_wire_bytes()),
        );
        let decoded = match t.response {
            Some(_) => bytes(t.response_decoded_bytes()),
            None => "-".to_owned(),
        };
        let mut line = format!(
            "  {} {method:<7} {status}  {url}  {} {transfer:>7} {decoded:>7} {:>7} {}",
            self.paint(DIM, &format!("{:>9}", offset(t.start.since(origin)))),
            self.paint(DIM, &format!("{protocol:<8}")),
            duration(t.timings.total()),
            bar(&t.timings, color),
        );
        if t.reused() {
            line.push(' ');
            line.push_str(&self.paint(DIM, if color { "↻" } else { "R" }));
        }
        match &t.tunnel {
            Some(Tunnel::Connect) => line.push_str(" tunnel:connect"),
            Some(Tunnel::Upgrade { protocol }) => {
                let _ = write!(line, " tunnel:{protocol}");
            }
            None => {}
        }
        if !t.incomplete.is_empty() {
            let mut reasons: Vec<&str> =
                t.incomplete.iter().map(|i| reason_name(i.reason)).collect();
            reasons.dedup();
            line.push(' ');
            line.push_str(&self.paint("1;31", &format!("!{}", reasons.join(","))));
        }
        line
    }

    fn section(&mut self, title: &str) -> io::Result<()> {
        writeln!(self.out)?;
        writeln!(self.out, "{}", self.paint(BOLD, title))
    }

    fn field(&mut self, label: &str, value: &str) -> io::Result<()> {
        writeln!(
            self.out,
            "  {} {value}",
            self.paint(DIM, &format!("{label:<12}"))
        )
    }

    fn overview(&mut self, r: &Report) -> io::Result<()> {
        let s = &r.summary;
        self.section("Summary")?;
        self.field("Input", &clean(&r.input))?;
        let span = match (r.first_packet, r.last_packet) {
            (Some(a), Some(b)) => format!(
                "{} to {} ({})",
                a.to_rfc3339_millis(),
                b.to_rfc3339_millis(),
                duration(b.since(a))
            ),
            _ => "no packets".to_owned(),
        };
        self.field("Capture", &span)?;
        let mut requests = s.requests.to_string();
        if s.incomplete > 0 {
            let _ = write!(requests, " ({} incomplete)", s.incomplete);
        }
        self.field("Requests", &requests)?;
        self.field(
            "Bytes",
            &format!(
                "sent {}, received {}, decoded {}",
                bytes(s.request_bytes),
                bytes(s.response_bytes),
                bytes(s.decoded_bytes)
            ),
        )?;
        self.field(
            "Connections",
            &format!(
                "{}, {} of {} on reused connections ({:.0}%)",
                plural(s.connections, "connection"),
                s.reused_requests,
                plural(s.requests, "request"),
                s.reuse_ratio * 100.0
            ),
        )?;
        let protocols: Vec<String> = s
            .protocols
            .iter()
            .map(|(p, n)| format!("{p} {n}"))
            .collect();
        self.field("Protocols", &none_if_empty(protocols.join(", ")))?;
        let statuses: Vec<String> = s
            .status_classes
            .labelled()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(label, n)| format!("{label} {n}"))
            .collect();
        self.field("Statuses", &none_if_empty(statuses.join(", ")))?;
        let color = self.opts.color;
        let mut legend: Vec<String> = PHASES
            .iter()
            .map(|(name, glyph, code)| {
                if color {
                    format!("{} {name}", paint(true, code, "█"))
                } else {
                    format!("{glyph} {name}")
                }
            })
            .collect();
        legend.push(format!(
            "{} reused connection",
            if color { "↻" } else { "R" }
        ));
        legend.push("! incomplete".to_owned());
        self.field("Legend", &legend.join("  "))
    }

    fn hosts(&mut self, s: &Summary) -> io::Result<()> {
        if s.hosts.is_empty() {
            return Ok(());
        }
        self.section("Hosts")?;
        let head = format!(
            "  {:<HOST_COLUMNS$} {:>8} {:>6} {:>7} {:>9} {:>9}",
            "host", "requests", "conns", "reused", "transfer", "decoded"
        );
        writeln!(self.out, "{}", self.paint(DIM, &head))?;
        for h in &s.hosts {
            writeln!(
                self.out,
                "  {:<HOST_COLUMNS$} {:>8} {:>6} {:>7} {:>9} {:>9}",
                fit(&h.host, HOST_COLUMNS),
                h.requests,
                h.connections,
                h.reused_requests,
                bytes(h.request_bytes.saturating_add(h.response_bytes)),
                bytes(h.decoded_bytes)
            )?;
        }
        Ok(())
    }

    fn slowest(&mut self, s: &Summary) -> io::Result<()> {
        if s.slowest.is_empty() {
            return Ok(());
        }
        self.section("Slowest requests")?;
        let uw = self.width().saturating_sub(30).max(MIN_URL_COLUMNS);
        for r in &s.slowest {
            let method = text_or_dash(&r.method);
            let status = if r.status == 0 {
                "---".to_owned()
            } else {
                r.status.to_string()
            };
            writeln!(
                self.out,
                "  {:>7}  #{} {method} {} {}",
                duration(r.total_ns),
                r.id,
                self.paint(status_color(r.status), &status),
                fit(&r.url, uw)
            )?;
            let t = &r.timings;
            let mut phases = Vec::new();
            for (name, v) in [
                ("blocked", t.blocked),
                ("dns", t.dns),
                ("connect", t.connect),
            ] {
                if let Some(v) = v {
                    phases.push(format!("{name} {}", ms(v)));
                }
            }
            if let (Some(ssl), Some(last)) = (t.ssl, phases.last_mut()) {
                let _ = write!(last, " (tls {})", ms(ssl));
            }
            for (name, v) in [("send", t.send), ("wait", t.wait), ("receive", t.receive)] {
                if let Some(v) = v {
                    phases.push(format!("{name} {}", ms(v)));
                }
            }
            let text = format!("{} ms", none_if_empty(phases.join(", ")));
            writeln!(self.out, "           {}", self.paint(DIM, &text))?;
        }
        Ok(())
    }

    fn incomplete(&mut self, s: &Summary) -> io::Result<()> {
        if s.incomplete == 0 {
            return Ok(());
        }
        self.section(&format!("Incomplete transactions: {}", s.incomplete))?;
        for (reason, n) in &s.incomplete_reasons {
            writeln!(self.out, "  {:<20} {n:>6}", reason_name(*reason))?;
        }
        Ok(())
    }

    fn losses(&mut self, r: &Report) -> io::Result<()> {
        self.section("Losses and anomalies")?;
        let mut lines = loss_lines(&r.stats);
        lines.extend(r.warnings.iter().map(|w| ("warning", clean(w))));
        if lines.is_empty() {
            return writeln!(self.out, "  none");
        }
        for (layer, text) in lines {
            writeln!(
                self.out,
                "  {} {text}",
                self.paint(DIM, &format!("{layer:<8}"))
            )?;
        }
        Ok(())
    }
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() {
        "none".to_owned()
    } else {
        s
    }
}

/// One `(layer, text)` line per non-zero loss or anomaly counter.
fn loss_lines(s: &Stats) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut add = |layer: &'static str, n: u64, text: String| {
        if n > 0 {
            out.push((layer, text));
        }
    };
    let c = &s.capture;
    add(
        "capture",
        c.snapped_packets,
        format!(
            "{} cut short by the snap length ({} not captured)",
            plural(c.snapped_packets, "packet"),
            bytes(c.snapped_bytes)
        ),
    );
    add(
        "capture",
        c.dropped_by_capture,
        format!(
            "{} dropped by the capture",
            plural(c.dropped_by_capture, "packet")
        ),
    );
    if let Some(tail) = &c.truncated_tail {
        add(
            "capture",
            1,
            format!("file ends mid-record: {}", clean(tail)),
        );
    }
    let d = &s.decode;
    add(
        "decode",
        d.ipv4_fragments,
        format!(
            "{} (not reassembled)",
            plural(d.ipv4_fragments, "IPv4 fragment")
        ),
    );
    add(
        "decode",
        d.non_ip,
        format!("{} not IPv4/IPv6", plural(d.non_ip, "packet")),
    );
    add(
        "decode",
        d.other_transport,
        format!(
            "{} neither TCP nor UDP",
            plural(d.other_transport, "packet")
        ),
    );
    add(
        "decode",
        d.udp_datagrams,
        format!("{} (not analysed)", plural(d.udp_datagrams, "UDP datagram")),
    );
    let last = d
        .last_error
        .as_deref()
        .map(|e| format!(" (last: {})", clean(e)))
        .unwrap_or_default();
    add(
        "decode",
        d.malformed,
        format!("{} malformed{last}", plural(d.malformed, "packet")),
    );
    add(
        "decode",
        d.unknown_link_type,
        format!(
            "{} on an unknown link type",
            plural(d.unknown_link_type, "packet")
        ),
    );
    let t = &s.tcp;
    add(
        "tcp",
        t.gaps,
        format!(
            "{} in streams ({} missing)",
            plural(t.gaps, "gap"),
            bytes(t.gap_bytes)
        ),
    );
    add(
        "tcp",
        t.overflow_bytes,
        format!(
            "{} dropped: reassembly buffer full",
            bytes(t.overflow_bytes)
        ),
    );
    add(
        "tcp",
        t.retransmitted_segments,
        format!(
            "{} retransmitted",
            plural(t.retransmitted_segments, "segment")
        ),
    );
    add(
        "tcp",
        t.out_of_order_segments,
        format!(
            "{} out of order",
            plural(t.out_of_order_segments, "segment")
        ),
    );
    add(
        "tcp",
        t.mid_stream,
        format!("{} joined mid-stream", plural(t.mid_stream, "connection")),
    );
    add(
        "tcp",
        t.resets,
        format!("{} reset", plural(t.resets, "connection")),
    );
    let h = &s.http;
    add(
        "http",
        h.resyncs,
        format!(
            "{} ({} skipped)",
            plural(h.resyncs, "resync"),
            bytes(h.skipped_bytes)
        ),
    );
    add(
        "http",
        h.tunnels,
        format!("{} (CONNECT or Upgrade)", plural(h.tunnels, "tunnel")),
    );
    add(
        "http",
        h.other_connections,
        format!(
            "{} not recognised as HTTP",
            plural(h.other_connections, "TCP connection")
        ),
    );
    out
}

impl<W: Write> Sink for TerminalReport<W> {
    fn start(&mut self, origin: Timestamp) -> io::Result<()> {
        self.origin = Some(origin);
        self.header()
    }

    fn transaction(&mut self, t: &Transaction) -> io::Result<()> {
        self.header()?;
        let origin = *self.origin.get_or_insert(t.start);
        let t = prepare(t, &self.opts);
        let line = self.line(&t, origin);
        writeln!(self.out, "{line}")
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        let report = prepare_report(report, &self.opts);
        self.overview(&report)?;
        self.hosts(&report.summary)?;
        self.slowest(&report.summary)?;
        self.incomplete(&report.summary)?;
        self.losses(&report)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{get, unanswered, MS, T0};
    use crate::SummaryBuilder;
    use model::{Header, Incomplete};

    fn render(ts: &[Transaction], stats: Stats, opts: RenderOptions) -> String {
        let mut b = SummaryBuilder::new();
        ts.iter().for_each(|t| b.add(t));
        let report = Report {
            input: "capture.pcap".into(),
            first_packet: Some(Timestamp(T0)),
            last_packet: Some(Timestamp(T0 + 2_500 * MS as i64)),
            stats,
            summary: b.build(),
            warnings: vec!["2 packets had a bad checksum".into()],
        };
        let mut buf = Vec::new();
        let mut w = TerminalReport::new(&mut buf, opts);
        w.start(Timestamp(T0)).unwrap();
        for t in ts {
            w.transaction(t).unwrap();
        }
        w.finish(&report).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn sample() -> Vec<Transaction> {
        let mut third = get(3, 0, 1_234);
        third.connection = model::ConnectionId(3);
        third.url =
            "https://cdn.example.net/assets/a/very/long/path/to/some/file/app.min.js".into();
        third.protocol = "HTTP/1.0".into();
        if let Some(r) = third.request.as_mut() {
            r.headers = vec![Header::new("Host", "cdn.example.net")];
        }
        if let Some(r) = third.response.as_mut() {
            r.status = 404;
            r.body = model::BodySize {
                wire: 2_500_000,
                encoded: 2_500_000,
                decoded: None,
            };
        }
        third.timings = Timings {
            dns: Some(2 * MS),
            connect: Some(30 * MS),
            ssl: Some(20 * MS),
            send: Some(MS),
            wait: Some(300 * MS),
            receive: Some(1_200 * MS),
            ..Timings::default()
        };
        third.incomplete = vec![Incomplete {
            reason: IncompleteReason::ResponseGap,
            detail: "1460 bytes".into(),
        }];
        vec![get(1, 0, 0), get(2, 1, 100), third, unanswered(4, 2_000)]
    }

    fn sample_stats() -> Stats {
        let mut s = Stats::default();
        s.capture.snapped_packets = 2;
        s.capture.snapped_bytes = 3_000;
        s.decode.malformed = 1;
        s.decode.last_error = Some("IPv4 header length 3".into());
        s.tcp.gaps = 1;
        s.tcp.gap_bytes = 1_460;
        s.tcp.retransmitted_segments = 4;
        s.http.resyncs = 1;
        s.http.skipped_bytes = 12;
        s
    }

    const GOLDEN: &str = "      start method  code  url                                          protocol    wire    size    time phases
    +0.000s GET      200  http://example.com/in…rust&token=[redacted]  HTTP/1.1 1.32 kB 4.00 kB 80.1 ms [---.......##]
    +0.100s GET      200  http://example.com/in…rust&token=[redacted]  HTTP/1.1 1.32 kB 4.00 kB 60.1 ms [..........##] R
    +1.234s GET      404  https://cdn.example.n…/some/file/app.min.js  HTTP/1.0 2.50 MB 2.50 MB  1.53 s [..##########] !response_gap
    +2.000s POST     ---  http://api.example.org/v1/items              HTTP/1.1   420 B       - 6.00 ms [---------->>] !no_response

Summary
  Input        capture.pcap
  Capture      2024-02-29T12:34:56.000Z to 2024-02-29T12:34:58.500Z (2.50 s)
  Requests     4 (2 incomplete)
  Bytes        sent 780 B, received 2.50 MB, decoded 2.51 MB
  Connections  3 connections, 1 of 4 requests on reused connections (25%)
  Protocols    HTTP/1.1 3, HTTP/1.0 1
  Statuses     2xx 2, 4xx 1, no response 1
  Legend       - connect  > send  . wait  # receive  R reused connection  ! incomplete

Hosts
  host                           requests  conns  reused  transfer   decoded
  example.com                           2      1       1   2.64 kB   8.00 kB
  api.example.org                       1      1       0     420 B       0 B
  cdn.example.net                       1      1       0   2.50 MB   2.50 MB

Slowest requests
   1.53 s  #3 GET 404 https://cdn.example.net/assets/a/very/long/path/to/some/file/app.min.js
           dns 2.0, connect 30.0 (tls 20.0), send 1.0, wait 300.0, receive 1200.0 ms
  80.1 ms  #1 GET 200 http://example.com/index.html?q=rust&token=[redacted]
           connect 20.0, send 0.100, wait 50.0, receive 10.0 ms
  60.1 ms  #2 GET 200 http://example.com/index.html?q=rust&token=[redacted]
           send 0.100, wait 50.0, receive 10.0 ms
  6.00 ms  #4 POST --- http://api.example.org/v1/items
           connect 5.0, send 1.0 ms

Incomplete transactions: 2
  response_gap              1
  no_response               1

Losses and anomalies
  capture  2 packets cut short by the snap length (3.00 kB not captured)
  decode   1 packet malformed (last: IPv4 header length 3)
  tcp      1 gap in streams (1.46 kB missing)
  tcp      4 segments retransmitted
  http     1 resync (12 B skipped)
  warning  2 packets had a bad checksum
";

    #[test]
    fn golden_without_colour() {
        let opts = RenderOptions {
            width: 120,
            ..RenderOptions::default()
        };
        let out = render(&sample(), sample_stats(), opts);
        assert_eq!(out, GOLDEN);
    }

    #[test]
    fn colour_uses_ansi_and_no_glyphs() {
        let opts = RenderOptions {
            color: true,
            ..RenderOptions::default()
        };
        let out = render(&sample(), Stats::default(), opts);
        assert!(out.contains("\x1b[32m 200\x1b[0m"));
        assert!(out.contains("\x1b[33m 404\x1b[0m"));
        assert!(out.contains("\x1b[35m ---\x1b[0m"));
        assert!(out.contains("\x1b[1mSummary\x1b[0m"));
        assert!(out.contains('↻') && out.contains('▕') && out.contains('█'));
        assert!(!out.contains("[---"));
    }

    #[test]
    fn empty_report_without_start() {
        let mut buf = Vec::new();
        let report = Report {
            input: "-".into(),
            first_packet: None,
            last_packet: None,
            stats: Stats::default(),
            summary: SummaryBuilder::new().build(),
            warnings: vec![],
        };
        TerminalReport::new(&mut buf, RenderOptions::default())
            .finish(&report)
            .unwrap();
        let out = String::from_utf8(buf).unwrap();
        assert!(out.contains("Capture      no packets"));
        assert!(out.contains("Losses and anomalies\n  none\n"));
    }

    #[test]
    fn human_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_000), "1.00 kB");
        assert_eq!(bytes(12_345), "12.3 kB");
        assert_eq!(bytes(123_456), "123 kB");
        assert_eq!(bytes(999_600), "1.00 MB");
        assert_eq!(bytes(u64::MAX), "18.4 EB");
        assert_eq!(duration(0), "0 ms");
        assert_eq!(duration(850_000), "850 µs");
        assert_eq!(duration(999_700), "1.00 ms");
        assert_eq!(duration(12_345_678), "12.3 ms");
        assert_eq!(duration(123_456_789), "123 ms");
        assert_eq!(duration(1_500_000_000), "1.50 s");
        assert_eq!(duration(3_600_000_000_000), "3600 s");
        assert_eq!(offset(1_234_567_890), "+1.234s");
        assert_eq!(ms(250_000), "0.250");
        assert_eq!(ms(20_040_000), "20.0");
    }

    #[test]
    fn fit_shortens_in_the_middle() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdefgh", 5), "ab…gh");
        assert_eq!(fit("abcdefgh", 4), "ab…h");
        assert_eq!(fit("abcdefgh", 1), "…");
        assert_eq!(fit("abcdefgh", 0), "");
        assert_eq!(fit("ééééé", 3), "é…é");
        assert_eq!(fit("a\x1b[2Jb", 9), "a\u{fffd}[2Jb");
        assert_eq!(text_or_dash(""), "-");
        assert_eq!(text_or_dash("G\x07T"), "G\u{fffd}T");
    }

    #[test]
    fn bar_cells_are_proportional() {
        assert_eq!(allocate([0, 0, 0, 0], 12), [0, 0, 0, 0]);
        assert_eq!(allocate([1, 1, 1, 1], 12), [3, 3, 3, 3]);
        assert_eq!(allocate([1, 0, 0, 2], 12), [4, 0, 0, 8]);
        assert_eq!(allocate([1, 1, 1, 0], 4), [2, 1, 1, 0]);
        assert_eq!(allocate([u64::MAX, u64::MAX, 0, 0], 12), [6, 6, 0, 0]);
        let t = Timings {
            connect: Some(MS),
            wait: Some(2 * MS),
            ..Timings::default()
        };
        assert_eq!(bar(&t, false), "[----........]");
        assert_eq!(bar(&Timings::default(), false), "[            ]");
    }

    #[test]
    fn every_loss_counter_is_listed() {
        let mut s = sample_stats();
        s.capture.dropped_by_capture = 1;
        s.capture.truncated_tail = Some("12 bytes".into());
        s.decode.ipv4_fragments = 1;
        s.decode.non_ip = 1;
        s.decode.other_transport = 1;
        s.decode.udp_datagrams = 1;
        s.decode.unknown_link_type = 1;
        s.tcp.overflow_bytes = 1;
        s.tcp.out_of_order_segments = 1;
        s.tcp.mid_stream = 1;
        s.tcp.resets = 1;
        s.http.tunnels = 1;
        s.http.other_connections = 1;
        assert_eq!(loss_lines(&s).len(), 18);
        assert!(loss_lines(&Stats::default()).is_empty());
    }

    #[test]
    fn markers_for_tunnels_and_reasons() {
        let mut t = get(1, 2, 0);
        t.tunnel = Some(Tunnel::Upgrade {
            protocol: "websocket".into(),
        });
        t.incomplete = vec![
            Incomplete {
                reason: IncompleteReason::Reset,
                detail: String::new(),
            },
            Incomplete {
                reason: IncompleteReason::Snapped,
                detail: String::new(),
            },
        ];
        let r = TerminalReport::new(Vec::new(), RenderOptions::default());
        let line = r.line(&t, Timestamp(T0));
        assert!(
            line.ends_with("] R tunnel:websocket !reset,snapped"),
            "{line}"
        );
        t.tunnel = Some(Tunnel::Connect);
        assert!(r.line(&t, Timestamp(T0)).contains(" tunnel:connect "));
    }
}
