//! The human report: one line per transaction as it completes, then a summary.
//!
//! This module owns [`TerminalReport`] and the human formatting of sizes (`B`, `kB`, `MB`:
//! 1000-based like browsers, three significant digits), durations (`µs`, `ms`, `s`, three
//! significant digits) and the phase bar. A transaction line reads
//!
//! ```text
//!   +0.100s GET      200  http://example…ken=[redacted]  HTTP/1.1            1.32 kB 4.00 kB 60.1 ms [..........##] F1 R
//!   +2.400s GET      200  https://example.com/new        HTTP/1.1+TLS1.3     1.32 kB 4.00 kB 92.1 ms [~~-=.......#] F1 <-#6
//!   +2.450s POST     200  https://grpc.e…eeter/SayHello  HTTP/2+TLS1.3 s3      341 B     0 B 18.0 ms [>..........#] R grpc 14 UNAVAILABLE
//! ```
//!
//! start offset from the first packet, method, status (`---` without a response), URL
//! (shortened in the middle with `…` so that the line, with [`MARKER_COLUMNS`] columns of
//! markers such as ` F1 R`, fits [`RenderOptions::width`]; it never gets narrower than
//! [`MIN_URL_COLUMNS`], and further markers run past the width), protocol (with the TLS
//! version appended, `+TLS1.3`, when the exchange travelled over TLS, and the HTTP/2 stream id,
//! ` s3`, when it has one), bytes transferred (request and response on the wire), decoded
//! response size, total time ([`model::Timings::total`]), a bar of [`BAR_CELLS`] cells where
//! each phase gets cells in proportion to its duration (DNS; connect, which includes blocked;
//! the TLS handshake, carved out of connect; send; wait; receive), and markers: `FN` (`⚑N` in
//! colour) when N distinct finding rules fired on the transaction
//! ([`model::Transaction::findings`]), `R` (`↻` in colour) for a reused connection, `<-#N` (`↪#N` in colour) for a request that followed the
//! redirect of transaction `#N`, `tunnel:<kind>`, `grpc <code> <NAME>` for a gRPC call whose
//! `grpc-status` is not 0, `!` with the incomplete reasons, the process that made the
//! request, `comm[pid]`, when it is known (live recordings), and last where the content came
//! from when not from packets (`[OpenSSL probe]`).
//!
//! Colour comes only from [`RenderOptions::color`]: statuses by class (2xx green, 3xx cyan,
//! 4xx yellow, 5xx red, none magenta), phases by colour instead of glyph, findings by severity
//! (error bold red, warning yellow, info cyan), bold headings, dim secondary text. Without
//! colour the output is plain text apart from `…` and `µ` (colour also uses `—`, `⚑`, `↻`,
//! `↪` and block glyphs).
//!
//! Everything the report keeps until the end is bounded:
//! - [`Sink::connection`] tallies TLS connections (counts per (version, cipher suite) and per
//!   decryption outcome, and the [`MAX_SILENT`] largest connections that yielded no
//!   transaction) and HTTP/2 connections, over TLS or cleartext (totals, and the
//!   [`MAX_H2_ROWS`] connections with the most streams);
//! - [`Sink::dns`] tallies lookups: counts per outcome, retries, the [`DNS_TOP`] slowest
//!   (a lookup without a response ranks slowest of all), and how often each (name, type) was
//!   looked up, for at most [`MAX_DNS_NAMES`] distinct pairs (lookups of further pairs are
//!   counted as untracked and said so). Pairs rather than names, because asking `A` and `AAAA`
//!   for the same name is one resolution, not a repeat;
//! - [`Sink::transaction`] follows redirect chains as they grow (a transaction with
//!   [`model::Transaction::redirect`] extends the chain whose last request is its `from`, or
//!   starts one), for at most [`MAX_CHAINS`] chains; further chains are only counted. The URL
//!   of a chain's first request is found among the last [`MAX_REDIRECT_SOURCES`] 3xx
//!   responses seen.
//!
//! [`Sink::finish`] writes the summary: input, capture span, requests, bytes, connection
//! reuse, protocols, requests over TLS per version, status classes, the legend; the findings
//! of [`Report::findings`] (nothing without any): a count line (`Findings: 2 errors, 1 warning`),
//! then per severity (errors, warnings, info) and rule: `  error    insecure-http  3 requests on
//! 1 origin` (and ` - <message>` when the rule has a single finding, followed by its evidence),
//! up to [`FINDING_EXAMPLES`] examples (those concerning the most transactions first: message
//! and at most [`EVIDENCE_SHOWN`] evidence pairs, values shortened to [`EVIDENCE_COLUMNS`]),
//! `… N more`, and the rule's hint on a dim line; the origins table (per origin of
//! [`crate::Summary::origins`]: requests, connections, reuse ratio, bytes transferred and
//! decoded, `304` revalidations, `4xx` and `5xx` responses, failures without a response, and
//! protocols and TLS versions as `h1.1 3, h2 5, TLS1.3 5`); the processes table (live
//! recordings: per process, at most [`MAX_PROCESSES`], requests, bytes, errors and its
//! command line, redacted); the slowest requests with their phases in milliseconds, incomplete transactions by reason,
//! redirect chains (per chain: redirects, cost from the first request's start to the end of the
//! last one, first and last transaction ids, the last status, first URL -> last URL), the TLS
//! section (connections by version and suite, decryption outcomes, the key log, and the table of
//! TLS connections without transactions: addresses, SNI, version, suite, decryption, records
//! and bytes each way, handshake time, time from the connection's first packet to the first
//! application data), the HTTP/2 connections (per connection: server, TLS version or `h2c`,
//! transactions, streams, most and mean concurrent streams, flow-control stalls, resets,
//! pushes, header errors, GOAWAY; then totals), the DNS section (lookups by outcome, retries,
//! the slowest lookups with type, time, attempts and answers, and the (name, type) pairs looked
//! up more than once), and every non-zero loss counter of [`model::Stats`] together with the
//! report's warnings. Text from the capture (URLs, SNI, certificate names, DNS names and
//! answers, error details) has its control characters replaced before it is written.

use crate::dns_nanos;
use crate::json::handshake_nanos;
use crate::redact::{prepare, prepare_report};
use crate::{RenderOptions, Report, Sink, Summary};
use model::{
    ConnectionRecord, Decryption, DnsLookup, DnsOutcome, DnsStats, Finding, Http2Info,
    IncompleteReason, Severity, Stats, Timestamp, Timings, TlsStats, Transaction, Tunnel,
};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Cells of the phase bar.
const BAR_CELLS: usize = 12;
/// Width when [`RenderOptions::width`] is 0.
const DEFAULT_WIDTH: usize = 100;
/// Columns of a transaction line other than the URL and the markers.
const LINE_COLUMNS: usize = 86;
/// Marker columns the URL column leaves room for: ` F3 R`, a findings marker and the reuse
/// marker. Further markers run past the width.
const MARKER_COLUMNS: usize = 5;
/// Columns of a transaction line other than the URL.
const FIXED_COLUMNS: usize = LINE_COLUMNS + MARKER_COLUMNS;
/// Width of the protocol column (`HTTP/2+TLS1.3 s9999`).
const PROTOCOL_COLUMNS: usize = 19;
/// TLS connections without transactions listed individually.
const MAX_SILENT: usize = 20;
/// HTTP/2 connections listed individually.
const MAX_H2_ROWS: usize = 20;
/// Slowest DNS lookups listed, and repeated (name, type) pairs listed.
const DNS_TOP: usize = 5;
/// Distinct (name, type) pairs whose lookups are counted.
const MAX_DNS_NAMES: usize = 1024;
/// Redirect chains followed.
const MAX_CHAINS: usize = 100;
/// Recent 3xx transactions remembered (id and URL) to name the first URL of a chain.
const MAX_REDIRECT_SOURCES: usize = 256;
/// Distinct (version, cipher suite) pairs and unsupported suite names counted individually.
const MAX_SUITES: usize = 32;
/// Width of the cipher suite column.
const SUITE_COLUMNS: usize = 45;
/// The URL column never gets narrower than this.
const MIN_URL_COLUMNS: usize = 16;
/// Width of the host and name columns (SNI, DNS names).
const HOST_COLUMNS: usize = 30;
/// Width of the origin column of the origins table.
const ORIGIN_COLUMNS: usize = 30;
/// Examples listed per finding rule.
const FINDING_EXAMPLES: usize = 3;
/// Evidence pairs shown per example.
const EVIDENCE_SHOWN: usize = 3;
/// Longest evidence value shown (longer ones are shortened with `…`).
const EVIDENCE_COLUMNS: usize = 40;
/// Widest rule id column of the findings section.
const RULE_COLUMNS: usize = 28;
/// Indentation of the lines under a finding rule.
const FINDING_INDENT: &str = "           ";

const BOLD: &str = "1";
const DIM: &str = "2";

/// The phases of the bar: name, glyph without colour, ANSI colour. `tls` is the part of
/// connect spent in the TLS handshake.
const PHASES: [(&str, char, &str); 6] = [
    ("dns", '~', "90"),
    ("connect", '-', "33"),
    ("tls", '=', "36"),
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

/// `s`, [`clean`]ed and shortened to at most `width` characters by replacing its end with `…`.
fn clip(s: &str, width: usize) -> String {
    let s = clean(s);
    if s.chars().count() <= width {
        return s;
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

/// The label of a severity, as serde writes it.
fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// ANSI colour of a severity.
fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Error => "1;31",
        Severity::Warning => "33",
        Severity::Info => "36",
    }
}

/// A protocol name as the origins table writes it: `h1.1`, `h1.0`, `h2`, `h3`; other names
/// as they are.
fn short_protocol(p: &str) -> String {
    let upper = p.to_ascii_uppercase();
    match upper.strip_prefix("HTTP/") {
        Some("2" | "2.0") => "h2".to_owned(),
        Some("3" | "3.0") => "h3".to_owned(),
        Some(v) if !v.is_empty() => format!("h{v}"),
        _ => clean(p),
    }
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
        IncompleteReason::CaptureLoss => "capture_loss",
        IncompleteReason::DnsFailed => "dns_failed",
        IncompleteReason::TlsHandshake => "tls_handshake",
    }
}

/// Cells per phase, proportional to `parts` (largest remainder; ties go to the earlier phase).
fn allocate<const N: usize>(parts: [u64; N], cells: usize) -> [usize; N] {
    let total: u128 = parts.iter().map(|&p| u128::from(p)).sum();
    let mut out = [0usize; N];
    if total == 0 {
        return out;
    }
    let cells128 = cells as u128;
    let mut remainders = [(0u128, 0usize); N];
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
    let pre = t
        .blocked
        .unwrap_or(0)
        .saturating_add(t.connect.unwrap_or(0));
    let ssl = t.ssl.unwrap_or(0).min(pre);
    let parts = [
        t.dns.unwrap_or(0),
        pre - ssl,
        ssl,
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
    counted(n, word, &format!("{word}s"))
}

/// `1 query`, `2 queries`: [`plural`] for irregular words.
fn counted(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `HTTP/1.1+TLS1.3` for an exchange over TLS 1.3, the protocol alone without TLS; ` s3`
/// appended for HTTP/2 stream 3. At most [`PROTOCOL_COLUMNS`] characters, the stream id kept
/// whole.
fn protocol_label(t: &Transaction) -> String {
    let protocol = text_or_dash(&t.protocol);
    let base = match &t.tls {
        None => protocol,
        Some(tls) => {
            let version: String = tls
                .version
                .as_deref()
                .unwrap_or("TLS")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            format!("{protocol}+{version}")
        }
    };
    match t.stream {
        None => fit(&base, PROTOCOL_COLUMNS),
        Some(id) => {
            let stream = format!(" s{id}");
            let room = PROTOCOL_COLUMNS.saturating_sub(stream.len()).max(1);
            format!("{}{stream}", fit(&base, room))
        }
    }
}

/// The canonical name of a gRPC status code, when it has one.
fn grpc_status_name(code: u32) -> Option<&'static str> {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    NAMES.get(usize::try_from(code).ok()?).copied()
}

/// How a DNS outcome reads, and its colour.
fn dns_outcome_label(o: DnsOutcome) -> (&'static str, &'static str) {
    match o {
        DnsOutcome::Answered => ("answered", "32"),
        DnsOutcome::NxDomain => ("NXDOMAIN", "33"),
        DnsOutcome::ServFail => ("SERVFAIL", "31"),
        DnsOutcome::Refused => ("REFUSED", "31"),
        DnsOutcome::OtherError => ("other error", "31"),
        DnsOutcome::TimedOut => ("timed out", "31"),
        DnsOutcome::NoAnswerSeen => ("no answer seen", DIM),
    }
}

/// Every DNS outcome, in the order the report lists them (and [`DnsTally::outcomes`] counts
/// them).
const DNS_OUTCOMES: [DnsOutcome; 7] = [
    DnsOutcome::Answered,
    DnsOutcome::NxDomain,
    DnsOutcome::ServFail,
    DnsOutcome::Refused,
    DnsOutcome::OtherError,
    DnsOutcome::TimedOut,
    DnsOutcome::NoAnswerSeen,
];

/// How a decryption outcome reads in the TLS table.
fn decryption_label(d: &Decryption) -> String {
    match d {
        Decryption::Pending => "pending (no encrypted record)".to_owned(),
        Decryption::Decrypted => "decrypted".to_owned(),
        Decryption::NoKeys => "no keys".to_owned(),
        Decryption::Unsupported { suite } => format!("unsupported suite {}", clean(suite)),
        Decryption::Failed { records, detail } => {
            format!("failed ({}: {})", plural(*records, "record"), clean(detail))
        }
    }
}

/// ANSI colour of a decryption outcome.
fn decryption_color(d: &Decryption) -> &'static str {
    match d {
        Decryption::Pending => DIM,
        Decryption::Decrypted => "32",
        Decryption::NoKeys => "33",
        Decryption::Unsupported { .. } => "35",
        Decryption::Failed { .. } => "31",
    }
}

/// Counts one more `key` in a list bounded to [`MAX_SUITES`] keys (the rest go to `other`).
fn tally<K: PartialEq>(list: &mut Vec<(K, u64)>, other: &mut u64, key: K) {
    if let Some(e) = list.iter_mut().find(|(k, _)| *k == key) {
        e.1 = e.1.saturating_add(1);
    } else if list.len() < MAX_SUITES {
        list.push((key, 1));
    } else {
        *other = other.saturating_add(1);
    }
}

/// Bounded aggregates of the TLS connections seen by [`Sink::connection`].
#[derive(Debug, Default)]
struct TlsTally {
    connections: u64,
    /// Connections per (version, cipher suite), in order of first appearance.
    suites: Vec<((String, String), u64)>,
    other_suites: u64,
    decrypted: u64,
    no_keys: u64,
    pending: u64,
    /// Connections per unsupported suite.
    unsupported: Vec<(String, u64)>,
    other_unsupported: u64,
    failed: u64,
    /// The detail of the first failed connection.
    first_failure: Option<String>,
    /// The largest connections without transactions (TCP payload bytes both ways), largest
    /// first, earlier first on ties; certificates and alerts dropped.
    silent: Vec<ConnectionRecord>,
    /// All connections without transactions.
    silent_total: u64,
}

fn total_bytes(c: &ConnectionRecord) -> u64 {
    c.bytes[0].saturating_add(c.bytes[1])
}

impl TlsTally {
    fn add(&mut self, c: &ConnectionRecord) {
        let Some(tls) = &c.tls else { return };
        self.connections = self.connections.saturating_add(1);
        let key = (
            tls.version.clone().unwrap_or_else(|| "?".to_owned()),
            tls.cipher_suite.clone().unwrap_or_else(|| "?".to_owned()),
        );
        tally(&mut self.suites, &mut self.other_suites, key);
        match &tls.decryption {
            Decryption::Pending => self.pending = self.pending.saturating_add(1),
            Decryption::Decrypted => self.decrypted = self.decrypted.saturating_add(1),
            Decryption::NoKeys => self.no_keys = self.no_keys.saturating_add(1),
            Decryption::Unsupported { suite } => tally(
                &mut self.unsupported,
                &mut self.other_unsupported,
                suite.clone(),
            ),
            Decryption::Failed { detail, .. } => {
                self.failed = self.failed.saturating_add(1);
                self.first_failure.get_or_insert_with(|| detail.clone());
            }
        }
        if c.transactions == 0 {
            self.silent_total = self.silent_total.saturating_add(1);
            let size = total_bytes(c);
            let at = self
                .silent
                .iter()
                .position(|s| size > total_bytes(s))
                .unwrap_or(self.silent.len());
            if at < MAX_SILENT {
                let mut kept = c.clone();
                if let Some(tls) = &mut kept.tls {
                    tls.certificates.truncate(1);
                    tls.alerts.clear();
                }
                self.silent.insert(at, kept);
                self.silent.truncate(MAX_SILENT);
            }
        }
    }

    fn unsupported_total(&self) -> u64 {
        self.unsupported
            .iter()
            .map(|(_, n)| *n)
            .fold(self.other_unsupported, u64::saturating_add)
    }
}

/// One HTTP/2 connection of the table.
#[derive(Debug)]
struct Http2Row {
    id: model::ConnectionId,
    server: std::net::SocketAddr,
    /// The TLS version, or `h2c`.
    kind: String,
    transactions: u64,
    /// Its facts, SETTINGS dropped.
    info: Http2Info,
}

/// Bounded aggregates of the HTTP/2 connections seen by [`Sink::connection`].
#[derive(Debug, Default)]
struct Http2Tally {
    connections: u64,
    cleartext: u64,
    streams: u64,
    stalls: u64,
    resets: u64,
    goaways: u64,
    pushes: u64,
    header_errors: u64,
    /// The connections with the most streams, most first, earlier first on ties.
    rows: Vec<Http2Row>,
}

impl Http2Tally {
    fn add(&mut self, c: &ConnectionRecord) {
        let Some(h2) = &c.http2 else { return };
        self.connections = self.connections.saturating_add(1);
        if c.tls.is_none() {
            self.cleartext = self.cleartext.saturating_add(1);
        }
        self.streams = self.streams.saturating_add(h2.streams);
        self.stalls = self.stalls.saturating_add(h2.flow_control_stalls);
        self.resets = self.resets.saturating_add(h2.resets);
        self.goaways = self.goaways.saturating_add(u64::from(h2.goaway.is_some()));
        self.pushes = self.pushes.saturating_add(h2.pushes);
        self.header_errors = self.header_errors.saturating_add(h2.header_errors);
        let at = self
            .rows
            .iter()
            .position(|r| h2.streams > r.info.streams)
            .unwrap_or(self.rows.len());
        if at < MAX_H2_ROWS {
            let kind = match &c.tls {
                None => "h2c".to_owned(),
                Some(tls) => tls.version.clone().unwrap_or_else(|| "TLS".to_owned()),
            };
            let info = Http2Info {
                settings: Default::default(),
                ..h2.clone()
            };
            self.rows.insert(
                at,
                Http2Row {
                    id: c.id,
                    server: c.server,
                    kind,
                    transactions: c.transactions,
                    info,
                },
            );
            self.rows.truncate(MAX_H2_ROWS);
        }
    }
}

/// Bounded aggregates of the DNS lookups seen by [`Sink::dns`].
#[derive(Debug, Default)]
struct DnsTally {
    lookups: u64,
    /// Lookups per outcome, in the order of [`DNS_OUTCOMES`].
    outcomes: [u64; DNS_OUTCOMES.len()],
    /// Queries beyond the first of each lookup.
    retries: u64,
    /// Lookups asked more than once.
    retried: u64,
    /// The slowest lookups (no response first), slowest first, earlier first on ties; at most
    /// [`DNS_TOP`], answers cut to [`DNS_TOP`].
    slowest: Vec<DnsLookup>,
    /// Lookups per (name, type), for at most [`MAX_DNS_NAMES`] pairs.
    names: HashMap<(String, String), u64>,
    /// Lookups of pairs beyond [`MAX_DNS_NAMES`].
    untracked: u64,
}

/// How slow a lookup was, for ranking: one without a response ranks slowest.
fn dns_rank(l: &DnsLookup) -> u64 {
    dns_nanos(l).unwrap_or(u64::MAX)
}

impl DnsTally {
    fn add(&mut self, l: &DnsLookup) {
        self.lookups = self.lookups.saturating_add(1);
        if let Some(n) = DNS_OUTCOMES
            .iter()
            .position(|o| *o == l.outcome)
            .and_then(|i| self.outcomes.get_mut(i))
        {
            *n = n.saturating_add(1);
        }
        if l.attempts > 1 {
            self.retried = self.retried.saturating_add(1);
            self.retries = self.retries.saturating_add(u64::from(l.attempts - 1));
        }
        let rank = dns_rank(l);
        let at = self
            .slowest
            .iter()
            .position(|s| rank > dns_rank(s))
            .unwrap_or(self.slowest.len());
        if at < DNS_TOP {
            let mut kept = l.clone();
            kept.answers.truncate(DNS_TOP);
            kept.addresses.clear();
            self.slowest.insert(at, kept);
            self.slowest.truncate(DNS_TOP);
        }
        let key = (l.name.clone(), l.qtype.clone());
        if let Some(n) = self.names.get_mut(&key) {
            *n = n.saturating_add(1);
        } else if self.names.len() < MAX_DNS_NAMES {
            self.names.insert(key, 1);
        } else {
            self.untracked = self.untracked.saturating_add(1);
        }
    }

    /// The (name, type) pairs looked up more than once, most first (then by name and type),
    /// at most [`DNS_TOP`].
    fn repeated(&self) -> Vec<(&(String, String), u64)> {
        let mut out: Vec<_> = self
            .names
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(k, n)| (k, *n))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        out.truncate(DNS_TOP);
        out
    }
}

/// One redirect chain as it stands.
#[derive(Debug)]
struct Chain {
    /// The first request (the first 3xx), when the chain was seen from its first hop.
    first_id: Option<u64>,
    first_url: Option<String>,
    /// The last request so far.
    last_id: u64,
    last_url: String,
    last_status: u16,
    /// Redirects followed.
    hops: u32,
    /// When the first request started.
    start: Timestamp,
    /// When the last request ended (its start plus its total time).
    end: Timestamp,
}

/// Most processes the Processes section lists; later ones are counted together.
const MAX_PROCESSES: usize = 256;

/// Requests per process (live recordings), bounded by [`MAX_PROCESSES`].
#[derive(Debug, Default)]
struct ProcessTally {
    /// pid → (label, command line, requests, bytes on the wire, failures and errors).
    rows: Vec<ProcessRow>,
    /// Requests of processes beyond [`MAX_PROCESSES`].
    other_requests: u64,
}

#[derive(Debug)]
struct ProcessRow {
    pid: u32,
    label: String,
    command: String,
    requests: u64,
    bytes: u64,
    errors: u64,
}

impl ProcessTally {
    fn add(&mut self, t: &Transaction) {
        let Some(p) = &t.process else { return };
        let i = match self.rows.iter().position(|r| r.pid == p.pid) {
            Some(i) => i,
            None if self.rows.len() < MAX_PROCESSES => {
                self.rows.push(ProcessRow {
                    pid: p.pid,
                    label: p.label(),
                    command: p.command(),
                    requests: 0,
                    bytes: 0,
                    errors: 0,
                });
                self.rows.len() - 1
            }
            None => {
                self.other_requests += 1;
                return;
            }
        };
        let row = &mut self.rows[i];
        row.requests += 1;
        row.bytes = row
            .bytes
            .saturating_add(t.request_wire_bytes())
            .saturating_add(t.response_wire_bytes());
        if t.status() == 0 || t.status() >= 400 {
            row.errors += 1;
        }
    }
}

/// Redirect chains followed by [`Sink::transaction`], bounded.
#[derive(Debug, Default)]
struct RedirectTally {
    /// At most [`MAX_CHAINS`], in order of their first redirect.
    chains: Vec<Chain>,
    /// Chains beyond [`MAX_CHAINS`].
    dropped: u64,
    /// The last [`MAX_REDIRECT_SOURCES`] 3xx transactions: id and URL.
    sources: VecDeque<(u64, String)>,
}

impl RedirectTally {
    fn add(&mut self, t: &Transaction) {
        if (300..400).contains(&t.status()) {
            if self.sources.len() >= MAX_REDIRECT_SOURCES {
                self.sources.pop_front();
            }
            self.sources.push_back((t.id, t.url.clone()));
        }
        let Some(link) = &t.redirect else { return };
        let total = i64::try_from(t.timings.total()).unwrap_or(i64::MAX);
        let end = Timestamp(t.start.0.saturating_add(total));
        if let Some(c) = self.chains.iter_mut().find(|c| c.last_id == link.from) {
            c.last_id = t.id;
            c.last_url = t.url.clone();
            c.last_status = t.status();
            c.hops = link.hops.max(c.hops.saturating_add(1));
            c.end = end;
            return;
        }
        if self.chains.len() >= MAX_CHAINS {
            // A chain continuing one that was not kept is not counted again.
            if link.hops <= 1 {
                self.dropped = self.dropped.saturating_add(1);
            }
            return;
        }
        let first = (link.hops <= 1)
            .then(|| self.sources.iter().find(|(id, _)| *id == link.from))
            .flatten();
        self.chains.push(Chain {
            first_id: (link.hops <= 1).then_some(link.from),
            first_url: first.map(|(_, url)| url.clone()),
            last_id: t.id,
            last_url: t.url.clone(),
            last_status: t.status(),
            hops: link.hops.max(1),
            start: link.chain_start,
            end,
        });
    }
}

/// Writes the human report (see the module documentation).
pub struct TerminalReport<W> {
    out: W,
    opts: RenderOptions,
    origin: Option<Timestamp>,
    header_written: bool,
    tls: TlsTally,
    http2: Http2Tally,
    dns: DnsTally,
    redirects: RedirectTally,
    processes: ProcessTally,
}

impl<W: Write> TerminalReport<W> {
    /// A report to `w`.
    pub fn new(w: W, opts: RenderOptions) -> Self {
        TerminalReport {
            out: w,
            opts,
            origin: None,
            header_written: false,
            tls: TlsTally::default(),
            http2: Http2Tally::default(),
            dns: DnsTally::default(),
            redirects: RedirectTally::default(),
            processes: ProcessTally::default(),
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
            "  {:>9} {:<7} {:>4}  {:<uw$}  {:<PROTOCOL_COLUMNS$} {:>7} {:>7} {:>7} phases",
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
        let protocol = protocol_label(t);
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
            self.paint(DIM, &format!("{protocol:<PROTOCOL_COLUMNS$}")),
            duration(t.timings.total()),
            bar(&t.timings, color),
        );
        let mut rules: Vec<&str> = t.findings.iter().map(String::as_str).collect();
        rules.sort_unstable();
        rules.dedup();
        if !rules.is_empty() {
            line.push(' ');
            let text = format!("{}{}", if color { "⚑" } else { "F" }, rules.len());
            line.push_str(&self.paint("1;33", &text));
        }
        if t.reused() {
            line.push(' ');
            line.push_str(&self.paint(DIM, if color { "↻" } else { "R" }));
        }
        if let Some(link) = &t.redirect {
            line.push(' ');
            let text = format!("{}#{}", if color { "↪" } else { "<-" }, link.from);
            line.push_str(&self.paint("36", &text));
        }
        match &t.tunnel {
            Some(Tunnel::Connect) => line.push_str(" tunnel:connect"),
            Some(Tunnel::Upgrade { protocol }) => {
                let _ = write!(line, " tunnel:{}", clean(protocol));
            }
            None => {}
        }
        if let Some(code) = t.grpc.as_ref().and_then(|g| g.status).filter(|c| *c != 0) {
            let mut text = format!("grpc {code}");
            if let Some(name) = grpc_status_name(code) {
                let _ = write!(text, " {name}");
            }
            line.push(' ');
            line.push_str(&self.paint("31", &text));
        }
        if !t.incomplete.is_empty() {
            let mut reasons: Vec<&str> =
                t.incomplete.iter().map(|i| reason_name(i.reason)).collect();
            reasons.dedup();
            line.push(' ');
            line.push_str(&self.paint("1;31", &format!("!{}", reasons.join(","))));
        }
        if let Some(p) = &t.process {
            line.push(' ');
            line.push_str(&self.paint("35", &clean(&p.label())));
        }
        if let Some(source) = &t.source {
            line.push(' ');
            line.push_str(&self.paint(DIM, &format!("[{}]", clean(source))));
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
        if s.secure_requests > 0 {
            let versions: Vec<String> = s
                .tls_versions
                .iter()
                .map(|(v, n)| format!("{} {n}", clean(v)))
                .collect();
            self.field(
                "TLS",
                &format!(
                    "{} of {}: {}",
                    s.secure_requests,
                    plural(s.requests, "request"),
                    versions.join(", ")
                ),
            )?;
        }
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
        legend.push(format!("{}N N findings", if color { "⚑" } else { "F" }));
        legend.push(format!(
            "{} reused connection",
            if color { "↻" } else { "R" }
        ));
        legend.push(format!(
            "{}#N redirected from #N",
            if color { "↪" } else { "<-" }
        ));
        legend.push("! incomplete".to_owned());
        self.field("Legend", &legend.join("  "))
    }

    /// The findings: a count line, then per severity (errors first) and rule: the severity,
    /// the rule, how many requests and origins it concerns (and the message when the rule has
    /// one finding), up to [`FINDING_EXAMPLES`] examples (those concerning the most
    /// transactions first) with their key evidence, and the rule's hint. Nothing without
    /// findings.
    fn findings(&mut self, findings: &[Finding]) -> io::Result<()> {
        if findings.is_empty() {
            return Ok(());
        }
        let mut sorted: Vec<&Finding> = findings.iter().collect();
        // Stable: within a rule, the order given (by origin) is kept.
        sorted.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(&b.rule))
        });
        let severities = [Severity::Error, Severity::Warning, Severity::Info];
        let counts: Vec<String> = severities
            .iter()
            .map(|&sev| {
                (
                    sev,
                    sorted.iter().filter(|f| f.severity == sev).count() as u64,
                )
            })
            .filter(|(_, n)| *n > 0)
            .map(|(sev, n)| {
                let text = match sev {
                    Severity::Error => plural(n, "error"),
                    Severity::Warning => plural(n, "warning"),
                    Severity::Info => format!("{n} info"),
                };
                self.paint(severity_color(sev), &text)
            })
            .collect();
        writeln!(self.out)?;
        writeln!(
            self.out,
            "{} {}",
            self.paint(BOLD, "Findings:"),
            counts.join(", ")
        )?;
        let rule_width = sorted
            .iter()
            .map(|f| clean(&f.rule).chars().count())
            .max()
            .unwrap_or(0)
            .min(RULE_COLUMNS);
        let mut rest = sorted.as_slice();
        while let Some(first) = rest.first() {
            let n = rest
                .iter()
                .take_while(|f| f.severity == first.severity && f.rule == first.rule)
                .count();
            let (group, tail) = rest.split_at(n);
            rest = tail;
            self.finding_rule(group, rule_width)?;
        }
        Ok(())
    }

    /// The lines of one rule's findings (see [`findings`](Self::findings)).
    fn finding_rule(&mut self, group: &[&Finding], rule_width: usize) -> io::Result<()> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        let mut ids: Vec<u64> = group
            .iter()
            .flat_map(|f| f.transactions.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut origins: Vec<&str> = group.iter().filter_map(|f| f.origin.as_deref()).collect();
        origins.sort_unstable();
        origins.dedup();
        let mut scope = if ids.is_empty() {
            counted(group.len() as u64, "finding", "findings")
        } else {
            plural(ids.len() as u64, "request")
        };
        if !origins.is_empty() {
            let _ = write!(scope, " on {}", plural(origins.len() as u64, "origin"));
        }
        let dash = if self.opts.color { "—" } else { "-" };
        let mut examples: Vec<&Finding> = group.to_vec();
        if let [only] = group {
            let _ = write!(scope, " {dash} {}", clean(&only.message));
            examples.clear();
        } else {
            let _ = write!(scope, ", {}", plural(group.len() as u64, "finding"));
            // Stable: the findings concerning the most transactions first.
            examples.sort_by_key(|f| std::cmp::Reverse(f.transactions.len()));
        }
        let sev = first.severity;
        writeln!(
            self.out,
            "  {} {:<rule_width$}  {scope}",
            self.paint(severity_color(sev), &format!("{:<8}", severity_label(sev))),
            clip(&first.rule, rule_width),
        )?;
        if let [only] = group {
            if !only.evidence.is_empty() {
                writeln!(self.out, "{FINDING_INDENT}evidence: {}", evidence(only))?;
            }
        }
        for f in examples.iter().take(FINDING_EXAMPLES) {
            let mut text = format!("{dash} {}", clean(&f.message));
            if !f.evidence.is_empty() {
                let _ = write!(text, " ({})", evidence(f));
            }
            writeln!(self.out, "{FINDING_INDENT}{text}")?;
        }
        if examples.len() > FINDING_EXAMPLES {
            let more = format!("… {} more", examples.len() - FINDING_EXAMPLES);
            writeln!(self.out, "{FINDING_INDENT}{more}")?;
        }
        let hint = first.hint.trim();
        if !hint.is_empty() {
            let text = format!("hint: {}", clean(hint));
            writeln!(self.out, "{FINDING_INDENT}{}", self.paint(DIM, &text))?;
        }
        Ok(())
    }

    /// The per-origin table: requests, connections and reuse, bytes, revalidations (304),
    /// errors (4xx, 5xx), failures (no response), protocols and TLS versions.
    fn origins(&mut self, s: &Summary) -> io::Result<()> {
        if s.origins.is_empty() {
            return Ok(());
        }
        self.section("Origins")?;
        let head = format!(
            "  {:<ORIGIN_COLUMNS$} {:>5} {:>5} {:>5} {:>9} {:>9} {:>4} {:>4} {:>4} {:>4}  {}",
            "origin",
            "reqs",
            "conns",
            "reuse",
            "transfer",
            "decoded",
            "304",
            "4xx",
            "5xx",
            "fail",
            "protocols"
        );
        writeln!(self.out, "{}", self.paint(DIM, &head))?;
        for o in &s.origins {
            let mut labels: Vec<String> = o
                .protocols
                .iter()
                .map(|(p, n)| format!("{} {n}", short_protocol(p)))
                .collect();
            labels.extend(
                o.tls_versions
                    .iter()
                    .map(|(v, n)| format!("{} {n}", clean(&v.replace(' ', "")))),
            );
            let st = &o.statuses;
            let errors = |n: u64, code: &str| {
                let text = format!("{n:>4}");
                if n > 0 {
                    self.paint(code, &text)
                } else {
                    text
                }
            };
            let line = format!(
                "  {:<ORIGIN_COLUMNS$} {:>5} {:>5} {:>4}% {:>9} {:>9} {:>4} {} {} {}  {}",
                fit(&o.origin, ORIGIN_COLUMNS),
                o.requests,
                o.connections,
                (o.reuse_ratio * 100.0).round(),
                bytes(o.request_bytes.saturating_add(o.response_bytes)),
                bytes(o.decoded_bytes),
                o.revalidations,
                errors(st.client_error, status_color(404)),
                errors(st.server_error, status_color(500)),
                errors(st.none, status_color(0)),
                none_if_empty(labels.join(", ")),
            );
            writeln!(self.out, "{line}")?;
        }
        Ok(())
    }

    /// Requests per process, most active first (live recordings only).
    fn process_section(&mut self) -> io::Result<()> {
        if self.processes.rows.is_empty() {
            return Ok(());
        }
        self.section("Processes")?;
        let head = format!(
            "  {:<24} {:>5} {:>9} {:>6}  command",
            "process", "reqs", "transfer", "errors"
        );
        writeln!(self.out, "{}", self.paint(DIM, &head))?;
        let mut rows = std::mem::take(&mut self.processes.rows);
        rows.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.pid.cmp(&b.pid)));
        let cw = self.width().saturating_sub(52).max(20);
        for r in &rows {
            let line = format!(
                "  {:<24} {:>5} {:>9} {:>6}  {}",
                fit(&r.label, 24),
                r.requests,
                bytes(r.bytes),
                r.errors,
                fit(&clean(&r.command), cw)
            );
            writeln!(self.out, "{line}")?;
        }
        if self.processes.other_requests > 0 {
            writeln!(
                self.out,
                "  {} more requests from processes beyond the first {MAX_PROCESSES}",
                self.processes.other_requests
            )?;
        }
        self.processes.rows = rows;
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
            // The TLS handshake is part of connect; without connect, of what precedes it.
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

    /// The TLS section: nothing when no TLS was seen.
    fn tls_section(&mut self, st: &TlsStats) -> io::Result<()> {
        let tally = std::mem::take(&mut self.tls);
        if tally.connections == 0 && st.connections == 0 && st.keylog_lines == 0 {
            return Ok(());
        }
        let connections = tally.connections.max(st.connections);
        self.section(&format!("TLS connections: {connections}"))?;
        if !tally.suites.is_empty() {
            let head = format!(
                "  {:<8} {:<SUITE_COLUMNS$} {:>6}",
                "version", "cipher suite", "conns"
            );
            writeln!(self.out, "{}", self.paint(DIM, &head))?;
            let mut suites = tally.suites.clone();
            suites.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            if tally.other_suites > 0 {
                suites.push(((crate::OTHER.to_owned(), String::new()), tally.other_suites));
            }
            for ((version, suite), n) in &suites {
                writeln!(
                    self.out,
                    "  {:<8} {:<SUITE_COLUMNS$} {n:>6}",
                    fit(version, 8),
                    fit(suite, SUITE_COLUMNS)
                )?;
            }
        }
        // Outcomes from the connection records; from the counters when there were none.
        let mut outcomes = Vec::new();
        if tally.connections > 0 {
            let mut add = |n: u64, code: &str, text: String| {
                if n > 0 {
                    outcomes.push(self.paint(code, &text));
                }
            };
            add(
                tally.decrypted,
                "32",
                format!("decrypted {}", tally.decrypted),
            );
            add(tally.no_keys, "33", format!("no keys {}", tally.no_keys));
            let unsupported = tally.unsupported_total();
            let mut names: Vec<String> = tally
                .unsupported
                .iter()
                .map(|(suite, n)| format!("{} {n}", clean(suite)))
                .collect();
            if tally.other_unsupported > 0 {
                names.push(format!("{} {}", crate::OTHER, tally.other_unsupported));
            }
            add(
                unsupported,
                "35",
                format!("unsupported suite {unsupported} ({})", names.join(", ")),
            );
            let first = tally
                .first_failure
                .as_deref()
                .map(|d| format!(" (first: {})", clean(d)))
                .unwrap_or_default();
            add(
                tally.failed,
                "31",
                format!("failed {}{first}", tally.failed),
            );
            add(
                tally.pending,
                DIM,
                format!("no encrypted record {}", tally.pending),
            );
        } else {
            for (n, text) in [
                (st.decrypted, "decrypted"),
                (st.no_keys, "no keys"),
                (st.unsupported, "unsupported suite"),
                (st.failed, "failed"),
            ] {
                if n > 0 {
                    outcomes.push(format!("{text} {n}"));
                }
            }
        }
        self.field("Decryption", &none_if_empty(outcomes.join(", ")))?;
        if st.keylog_lines > 0 || st.keylog_malformed > 0 {
            let mut text = format!(
                "{}, {}",
                plural(st.keylog_lines, "line"),
                plural(st.keylog_sessions, "session")
            );
            if st.keylog_malformed > 0 {
                let _ = write!(text, ", {} malformed", st.keylog_malformed);
            }
            self.field("Key log", &text)?;
        }
        if tally.silent_total == 0 {
            return Ok(());
        }
        self.section(&format!(
            "TLS connections without transactions: {} (largest first)",
            tally.silent_total
        ))?;
        for c in &tally.silent {
            self.silent_row(c)?;
        }
        let more = tally.silent_total.saturating_sub(tally.silent.len() as u64);
        if more > 0 {
            writeln!(self.out, "  … {more} more")?;
        }
        Ok(())
    }

    /// Two lines about one TLS connection without transactions.
    fn silent_row(&mut self, c: &ConnectionRecord) -> io::Result<()> {
        let Some(tls) = &c.tls else { return Ok(()) };
        let name = match (&tls.sni, tls.certificates.first()) {
            (Some(sni), _) => format!("sni {}", fit(sni, HOST_COLUMNS)),
            (None, Some(cert)) => format!("cert {}", fit(&cert.subject, HOST_COLUMNS)),
            (None, None) => "no sni".to_owned(),
        };
        let version = tls.version.as_deref().map_or_else(|| "?".to_owned(), clean);
        let suite = tls
            .cipher_suite
            .as_deref()
            .map_or_else(|| "?".to_owned(), |s| fit(s, SUITE_COLUMNS));
        let state = self.paint(
            decryption_color(&tls.decryption),
            &decryption_label(&tls.decryption),
        );
        writeln!(
            self.out,
            "  #{} {} -> {}  {name}  {version} {suite}  {state}",
            c.id, c.client, c.server
        )?;
        let handshake = handshake_nanos(tls).map_or_else(|| "-".to_owned(), duration);
        let first_data = tls
            .first_application_data
            .map_or_else(|| "-".to_owned(), |at| duration(at.since(c.start)));
        let text = format!(
            "sent {} ({}), received {} ({}), handshake {handshake}, first data after {first_data}",
            plural(tls.records[0], "record"),
            bytes(c.bytes[0]),
            plural(tls.records[1], "record"),
            bytes(c.bytes[1]),
        );
        writeln!(self.out, "      {}", self.paint(DIM, &text))
    }

    /// The redirect chains: nothing when no request followed a redirect.
    fn redirect_section(&mut self) -> io::Result<()> {
        let tally = std::mem::take(&mut self.redirects);
        if tally.chains.is_empty() && tally.dropped == 0 {
            return Ok(());
        }
        let total = (tally.chains.len() as u64).saturating_add(tally.dropped);
        self.section(&format!("Redirect chains: {total}"))?;
        let uw = (self.width().saturating_sub(50) / 2).max(MIN_URL_COLUMNS);
        for c in &tally.chains {
            let first_id = c
                .first_id
                .map_or_else(|| "?".to_owned(), |id| format!("#{id}"));
            let status = match c.last_status {
                0 => "---".to_owned(),
                s => s.to_string(),
            };
            let first_url = c
                .first_url
                .as_deref()
                .map_or_else(|| "(unknown)".to_owned(), |u| fit(u, uw));
            writeln!(
                self.out,
                "  {:>7}  {:<11} {first_id} -> #{} {}  {first_url} -> {}",
                duration(c.end.since(c.start)),
                plural(u64::from(c.hops), "redirect"),
                c.last_id,
                self.paint(status_color(c.last_status), &status),
                fit(&c.last_url, uw),
            )?;
        }
        if tally.dropped > 0 {
            writeln!(self.out, "  … {} more", tally.dropped)?;
        }
        Ok(())
    }

    /// The HTTP/2 connections: nothing when there were none.
    fn http2_section(&mut self) -> io::Result<()> {
        let tally = std::mem::take(&mut self.http2);
        if tally.connections == 0 {
            return Ok(());
        }
        self.section(&format!(
            "HTTP/2 connections: {} ({} over TLS, {} cleartext)",
            tally.connections,
            tally.connections.saturating_sub(tally.cleartext),
            tally.cleartext
        ))?;
        let head = format!(
            "  {:<6} {:<22} {:<7} {:>5} {:>7} {:>4} {:>5} {:>6} {:>6} {:>6} {:>7}  goaway",
            "conn",
            "server",
            "kind",
            "txns",
            "streams",
            "max",
            "mean",
            "stalls",
            "resets",
            "pushes",
            "hdr err"
        );
        writeln!(self.out, "{}", self.paint(DIM, &head))?;
        for row in &tally.rows {
            let h = &row.info;
            let goaway = h.goaway.as_deref().map_or_else(|| "-".to_owned(), clean);
            let line = format!(
                "  {:<6} {:<22} {:<7} {:>5} {:>7} {:>4} {:>5.1} {:>6} {:>6} {:>6} {:>7}  {goaway}",
                format!("#{}", row.id),
                fit(&row.server.to_string(), 22),
                fit(&row.kind, 7),
                row.transactions,
                h.streams,
                h.max_concurrent,
                h.mean_concurrent,
                h.flow_control_stalls,
                h.resets,
                h.pushes,
                h.header_errors,
            );
            writeln!(self.out, "{line}")?;
        }
        let more = tally.connections.saturating_sub(tally.rows.len() as u64);
        if more > 0 {
            writeln!(self.out, "  … {more} more")?;
        }
        let totals = format!(
            "{}, {}, {}, {} GOAWAY, {}, {}",
            plural(tally.streams, "stream"),
            plural(tally.stalls, "flow-control stall"),
            plural(tally.resets, "reset"),
            tally.goaways,
            counted(tally.pushes, "push", "pushes"),
            plural(tally.header_errors, "header error"),
        );
        self.field("Totals", &totals)
    }

    /// The DNS section: nothing when no lookup or DNS message was seen.
    fn dns_section(&mut self, st: &DnsStats) -> io::Result<()> {
        let tally = std::mem::take(&mut self.dns);
        if tally.lookups == 0 && st.messages == 0 && st.queries == 0 {
            return Ok(());
        }
        self.section(&format!("DNS lookups: {}", tally.lookups))?;
        if st.messages > 0 || st.queries > 0 {
            self.field(
                "Messages",
                &format!(
                    "{}, {}, {}",
                    plural(st.messages, "message"),
                    counted(st.queries, "query", "queries"),
                    plural(st.responses, "response")
                ),
            )?;
        }
        let mut outcomes = Vec::new();
        for (o, n) in DNS_OUTCOMES.iter().zip(tally.outcomes) {
            if n > 0 {
                let (label, code) = dns_outcome_label(*o);
                outcomes.push(self.paint(code, &format!("{label} {n}")));
            }
        }
        self.field("Outcomes", &none_if_empty(outcomes.join(", ")))?;
        let retries = tally.retries.max(st.retries);
        if retries > 0 {
            self.field(
                "Retries",
                &format!(
                    "{retries} ({} asked more than once)",
                    plural(tally.retried, "lookup")
                ),
            )?;
        }
        if !tally.slowest.is_empty() {
            let head = format!(
                "  {:<HOST_COLUMNS$} {:<6} {:>8} {:>8}  answers",
                "slowest lookups", "type", "time", "attempts"
            );
            writeln!(self.out, "{}", self.paint(DIM, &head))?;
            let aw = self
                .width()
                .saturating_sub(HOST_COLUMNS + 30)
                .max(MIN_URL_COLUMNS);
            for l in &tally.slowest {
                let time = dns_nanos(l).map_or_else(|| "-".to_owned(), duration);
                let answers = if !l.answers.is_empty() {
                    fit(&l.answers.join(", "), aw)
                } else if l.outcome == DnsOutcome::Answered {
                    format!(
                        "none ({})",
                        l.rcode
                            .as_deref()
                            .map_or_else(|| "NOERROR".to_owned(), clean)
                    )
                } else {
                    let (label, code) = dns_outcome_label(l.outcome);
                    self.paint(code, label)
                };
                writeln!(
                    self.out,
                    "  {:<HOST_COLUMNS$} {:<6} {time:>8} {:>8}  {answers}",
                    fit(&l.name, HOST_COLUMNS),
                    fit(&l.qtype, 6),
                    l.attempts,
                )?;
            }
        }
        let repeated: Vec<String> = tally
            .repeated()
            .iter()
            .map(|((name, qtype), n)| format!("{} {} {n}", clean(name), clean(qtype)))
            .collect();
        if !repeated.is_empty() {
            let mut text = repeated.join(", ");
            if tally.untracked > 0 {
                let _ = write!(
                    text,
                    " (counted for the first {MAX_DNS_NAMES} names and types only)"
                );
            }
            self.field("Repeated", &text)?;
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

/// Up to [`EVIDENCE_SHOWN`] evidence pairs of `f`, `name: value, name: value`, each value
/// shortened to [`EVIDENCE_COLUMNS`]; `+N` for the pairs left out.
fn evidence(f: &Finding) -> String {
    let mut pairs: Vec<String> = f
        .evidence
        .iter()
        .take(EVIDENCE_SHOWN)
        .map(|(k, v)| format!("{}: {}", clean(k), clip(v, EVIDENCE_COLUMNS)))
        .collect();
    let more = f.evidence.len().saturating_sub(EVIDENCE_SHOWN);
    if more > 0 {
        pairs.push(format!("+{more}"));
    }
    pairs.join(", ")
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
    let tls = &s.tls;
    add(
        "tls",
        tls.no_keys,
        format!(
            "{} not decrypted: no keys in the key log",
            plural(tls.no_keys, "connection")
        ),
    );
    add(
        "tls",
        tls.unsupported,
        format!(
            "{} not decrypted: cipher suite not supported",
            plural(tls.unsupported, "connection")
        ),
    );
    add(
        "tls",
        tls.failed,
        format!(
            "{} with records that failed to decrypt",
            plural(tls.failed, "connection")
        ),
    );
    add(
        "tls",
        tls.errors,
        format!(
            "{} malformed (records or handshake messages)",
            plural(tls.errors, "TLS message")
        ),
    );
    let last = tls
        .keylog_error
        .as_deref()
        .map(|e| format!(" (last: {})", clean(e)))
        .unwrap_or_default();
    add(
        "tls",
        tls.keylog_malformed,
        format!(
            "{} malformed{last}",
            plural(tls.keylog_malformed, "key log line")
        ),
    );
    let dns = &s.dns;
    let last = dns
        .last_error
        .as_deref()
        .map(|e| format!(" (last: {})", clean(e)))
        .unwrap_or_default();
    add(
        "dns",
        dns.malformed,
        format!("{} malformed{last}", plural(dns.malformed, "DNS message")),
    );
    add(
        "dns",
        dns.unmatched_responses,
        format!(
            "{} matched no query",
            plural(dns.unmatched_responses, "response")
        ),
    );
    add(
        "dns",
        dns.evicted,
        format!(
            "{} given up early: too many pending",
            plural(dns.evicted, "lookup")
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
        self.redirects.add(&t);
        self.processes.add(&t);
        let line = self.line(&t, origin);
        writeln!(self.out, "{line}")
    }

    fn connection(&mut self, c: &ConnectionRecord) -> io::Result<()> {
        self.tls.add(c);
        self.http2.add(c);
        Ok(())
    }

    fn dns(&mut self, lookup: &DnsLookup) -> io::Result<()> {
        self.dns.add(lookup);
        Ok(())
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        let report = prepare_report(report, &self.opts);
        self.overview(&report)?;
        self.findings(&report.findings)?;
        self.origins(&report.summary)?;
        self.process_section()?;
        self.slowest(&report.summary)?;
        self.incomplete(&report.summary)?;
        self.redirect_section()?;
        self.tls_section(&report.stats.tls)?;
        self.http2_section()?;
        self.dns_section(&report.stats.dns)?;
        self.losses(&report)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{
        dns_answered, dns_timed_out, findings, flagged, get, h2_connection, h2_grpc,
        h2c_connection, nokeys_connection, redirect_pair, tls13, tls_connection, tls_get,
        unanswered, MS, T0,
    };
    use crate::SummaryBuilder;
    use model::{Header, Incomplete, TlsInfo};

    fn render(ts: &[Transaction], stats: Stats, opts: RenderOptions) -> String {
        render_with(ts, &[], stats, opts)
    }

    /// Renders `ts`, passing `cs` after the transaction of the same connection (or at the end).
    fn render_with(
        ts: &[Transaction],
        cs: &[ConnectionRecord],
        stats: Stats,
        opts: RenderOptions,
    ) -> String {
        render_all(ts, cs, &[], stats, opts)
    }

    /// [`render_with`], passing `lookups` first.
    fn render_all(
        ts: &[Transaction],
        cs: &[ConnectionRecord],
        lookups: &[DnsLookup],
        stats: Stats,
        opts: RenderOptions,
    ) -> String {
        render_report(ts, cs, lookups, stats, Vec::new(), opts)
    }

    /// [`render_all`], with `findings` in the report.
    fn render_report(
        ts: &[Transaction],
        cs: &[ConnectionRecord],
        lookups: &[DnsLookup],
        stats: Stats,
        findings: Vec<Finding>,
        opts: RenderOptions,
    ) -> String {
        let mut b = SummaryBuilder::new();
        ts.iter().for_each(|t| b.add(t));
        let report = Report {
            input: "capture.pcap".into(),
            first_packet: Some(Timestamp(T0)),
            last_packet: Some(Timestamp(T0 + 2_500 * MS as i64)),
            stats,
            summary: b.build(),
            warnings: vec!["2 packets had a bad checksum".into()],
            findings,
        };
        let mut buf = Vec::new();
        let mut w = TerminalReport::new(&mut buf, opts);
        w.start(Timestamp(T0)).unwrap();
        for l in lookups {
            w.dns(l).unwrap();
        }
        for t in ts {
            w.transaction(t).unwrap();
            for c in cs.iter().filter(|c| c.id == t.connection) {
                w.connection(c).unwrap();
            }
        }
        for c in cs
            .iter()
            .filter(|c| !ts.iter().any(|t| t.connection == c.id))
        {
            w.connection(c).unwrap();
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
        third.tls = Some(TlsInfo {
            version: Some("TLS 1.2".into()),
            cipher_suite: Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()),
            ..tls13()
        });
        vec![
            get(1, 0, 0),
            get(2, 1, 100),
            third,
            unanswered(4, 2_000),
            tls_get(5, 2_200),
        ]
    }

    /// [`sample`], then a redirect (6 -> 7, 7 with a DNS lookup over TLS) and a gRPC call.
    fn golden_sample() -> Vec<Transaction> {
        let mut ts = sample();
        let [from, mut to] = redirect_pair(6, 2_300);
        to.dns = Some(dns_answered());
        to.tls = Some(tls13());
        to.timings.dns = Some(12 * MS);
        to.timings.ssl = Some(10 * MS);
        ts.extend([from, to, h2_grpc(8, 2_450)]);
        let rules: [&[&str]; 8] = [
            &["insecure-http"],
            &["insecure-http"],
            &[],
            &["insecure-http"],
            &["no-validator"],
            &["redirect-chain", "insecure-http", "redirect-chain"],
            &["redirect-chain"],
            &[],
        ];
        ts.into_iter()
            .zip(rules)
            .map(|(t, r)| flagged(t, r))
            .collect()
    }

    /// The findings of [`golden_sample`], sorted as the report holds them: [`findings`] plus a
    /// second `insecure-http` (on `http://api.example.org`) and an info.
    fn golden_findings() -> Vec<Finding> {
        let mut fs = findings();
        fs[0].transactions.push(6);
        let mut api = fs[0].clone();
        api.origin = Some("http://api.example.org".into());
        api.message = "POST http://api.example.org/v1/items sent over plain HTTP".into();
        api.transactions = vec![4];
        api.evidence = vec![("scheme".into(), "http".into())];
        fs.insert(0, api);
        fs.push(Finding {
            rule: "redirect-chain".into(),
            severity: Severity::Info,
            message: "http://example.com/old redirects to https://example.com/new (1 hop, 192 ms)"
                .into(),
            origin: Some("http://example.com".into()),
            transactions: vec![6, 7],
            evidence: vec![],
            hint: "Link to the final URL directly.".into(),
        });
        fs
    }

    fn sample_connections() -> Vec<ConnectionRecord> {
        vec![tls_connection(), nokeys_connection()]
    }

    fn golden_connections() -> Vec<ConnectionRecord> {
        let mut cs = sample_connections();
        cs.extend([h2_connection(), h2c_connection()]);
        cs
    }

    fn golden_lookups() -> Vec<DnsLookup> {
        vec![dns_answered(), dns_timed_out(), dns_answered()]
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
        s.tls.connections = 2;
        s.tls.decrypted = 1;
        s.tls.no_keys = 1;
        s.tls.keylog_lines = 3;
        s.tls.keylog_sessions = 1;
        s.dns.messages = 6;
        s.dns.queries = 4;
        s.dns.responses = 2;
        s.dns.retries = 1;
        s.dns.timeouts = 1;
        s.dns.malformed = 1;
        s.dns.last_error = Some("label longer than 63 octets".into());
        s
    }

    const GOLDEN: &str = "      start method  code  url                            protocol               wire    size    time phases
    +0.000s GET      200  http://example…ken=[redacted]  HTTP/1.1            1.32 kB 4.00 kB 80.1 ms [---.......##] F1
    +0.100s GET      200  http://example…ken=[redacted]  HTTP/1.1            1.32 kB 4.00 kB 60.1 ms [..........##] F1 R
    +1.234s GET      404  https://cdn.ex…ile/app.min.js  HTTP/1.0+TLS1.2     2.50 MB 2.50 MB  1.53 s [..##########] !response_gap
    +2.000s POST     ---  http://api.exa…e.org/v1/items  HTTP/1.1              420 B       - 6.00 ms [---------->>] F1 !no_response
    +2.200s GET      200  https://secure…le.com/account  HTTP/1.1+TLS1.3     1.32 kB 4.00 kB 71.0 ms [--=====...##] F1
    +2.300s GET      301  http://example.com/old         HTTP/1.1              320 B     0 B 80.1 ms [---.......##] F2
    +2.400s GET      200  https://example.com/new        HTTP/1.1+TLS1.3     1.32 kB 4.00 kB 92.1 ms [~~-=.......#] F1 <-#6
    +2.450s POST     200  https://grpc.e…eeter/SayHello  HTTP/2+TLS1.3 s3      341 B     0 B 18.0 ms [>..........#] R grpc 14 UNAVAILABLE

Summary
  Input        capture.pcap
  Capture      2024-02-29T12:34:56.000Z to 2024-02-29T12:34:58.500Z (2.50 s)
  Requests     8 (2 incomplete)
  Bytes        sent 1.28 kB, received 2.51 MB, decoded 2.52 MB
  Connections  6 connections, 2 of 8 requests on reused connections (25%)
  Protocols    HTTP/1.1 6, HTTP/1.0 1, HTTP/2 1
  TLS          4 of 8 requests: TLS 1.3 3, TLS 1.2 1
  Statuses     2xx 5, 3xx 1, 4xx 1, no response 1
  Legend       ~ dns  - connect  = tls  > send  . wait  # receive  FN N findings  R reused connection  <-#N redirected from #N  ! incomplete

Findings: 2 errors, 1 warning, 1 info
  error    insecure-http   4 requests on 2 origins, 2 findings
           - GET http://example.com/index.html?q=rust&token=[redacted] sent over plain HTTP (scheme: http, authorization: Bearer [redacted])
           - POST http://api.example.org/v1/items sent over plain HTTP (scheme: http)
           hint: Serve the origin over HTTPS and redirect http:// to https://.
  warning  no-validator    1 request on 1 origin - GET https://secure.example.com/account answered 200 without ETag or Last-Modified
           evidence: cache-control: max-age=60
           hint: Send ETag or Last-Modified so that clients can revalidate.
  info     redirect-chain  2 requests on 1 origin - http://example.com/old redirects to https://example.com/new (1 hop, 192 ms)
           hint: Link to the final URL directly.

Origins
  origin                          reqs conns reuse  transfer   decoded  304  4xx  5xx fail  protocols
  http://example.com                 3     2   33%   2.96 kB   8.00 kB    0    0    0    0  h1.1 3
  http://api.example.org             1     1    0%     420 B       0 B    0    0    0    1  h1.1 1
  https://cdn.example.net            1     1    0%   2.50 MB   2.50 MB    0    1    0    0  h1.0 1, TLS1.2 1
  https://example.com                1     1    0%   1.32 kB   4.00 kB    0    0    0    0  h1.1 1, TLS1.3 1
  https://grpc.example.com           1     0  100%     341 B       0 B    0    0    0    0  h2 1, TLS1.3 1
  https://secure.example.com         1     1    0%   1.32 kB   4.00 kB    0    0    0    0  h1.1 1, TLS1.3 1

Slowest requests
   1.53 s  #3 GET 404 https://cdn.example.net/assets/a/very/long/path/to/some/file/app.min.js
           dns 2.0, connect 30.0 (tls 20.0), send 1.0, wait 300.0, receive 1200.0 ms
  92.1 ms  #7 GET 200 https://example.com/new
           dns 12.0, connect 20.0 (tls 10.0), send 0.100, wait 50.0, receive 10.0 ms
  80.1 ms  #1 GET 200 http://example.com/index.html?q=rust&token=[redacted]
           connect 20.0, send 0.100, wait 50.0, receive 10.0 ms
  80.1 ms  #6 GET 301 http://example.com/old
           connect 20.0, send 0.100, wait 50.0, receive 10.0 ms
  71.0 ms  #5 GET 200 https://secure.example.com/account
           connect 40.0 (tls 30.0), send 1.0, wait 20.0, receive 10.0 ms
  60.1 ms  #2 GET 200 http://example.com/index.html?q=rust&token=[redacted]
           send 0.100, wait 50.0, receive 10.0 ms
  18.0 ms  #8 POST 200 https://grpc.example.com/helloworld.Greeter/SayHello
           send 1.0, wait 15.0, receive 2.0 ms
  6.00 ms  #4 POST --- http://api.example.org/v1/items
           connect 5.0, send 1.0 ms

Incomplete transactions: 2
  response_gap              1
  no_response               1

Redirect chains: 1
   192 ms  1 redirect  #6 -> #7 200  http://example.com/old -> https://example.com/new

TLS connections: 3
  version  cipher suite                                   conns
  TLS 1.3  TLS_AES_128_GCM_SHA256                             2
  TLS 1.3  TLS_AES_256_GCM_SHA384                             1
  Decryption   decrypted 2, no keys 1
  Key log      3 lines, 1 session

TLS connections without transactions: 1 (largest first)
  #7 10.0.0.1:40007 -> 198.51.100.7:443  sni hidden.example.org  TLS 1.3 TLS_AES_256_GCM_SHA384  no keys
      sent 12 records (4.20 kB), received 30 records (88.0 kB), handshake 35.0 ms, first data after 45.0 ms

HTTP/2 connections: 2 (1 over TLS, 1 cleartext)
  conn   server                 kind     txns streams  max  mean stalls resets pushes hdr err  goaway
  #10    192.0.2.10:8080        h2c         0       4    3   2.2      0      0      0       2  -
  #9     203.0.113.9:443        TLS 1.3     2       2    2   1.5      1      1      0       0  last_stream_id=3 error=NO_ERROR
  Totals       6 streams, 1 flow-control stall, 1 reset, 1 GOAWAY, 0 pushes, 2 header errors

DNS lookups: 3
  Messages     6 messages, 4 queries, 2 responses
  Outcomes     answered 2, timed out 1
  Retries      1 (1 lookup asked more than once)
  slowest lookups                type       time attempts  answers
  slow.example.org               AAAA          -        2  timed out
  example.com                    A       12.0 ms        1  A 93.184.216.34
  example.com                    A       12.0 ms        1  A 93.184.216.34
  Repeated     example.com A 2

Losses and anomalies
  capture  2 packets cut short by the snap length (3.00 kB not captured)
  decode   1 packet malformed (last: IPv4 header length 3)
  tcp      1 gap in streams (1.46 kB missing)
  tcp      4 segments retransmitted
  http     1 resync (12 B skipped)
  tls      1 connection not decrypted: no keys in the key log
  dns      1 DNS message malformed (last: label longer than 63 octets)
  warning  2 packets had a bad checksum
";

    #[test]
    fn golden_without_colour() {
        let opts = RenderOptions {
            width: 120,
            ..RenderOptions::default()
        };
        let out = render_report(
            &golden_sample(),
            &golden_connections(),
            &golden_lookups(),
            sample_stats(),
            golden_findings(),
            opts,
        );
        if out != GOLDEN {
            println!("{out}");
        }
        assert_eq!(out, GOLDEN);
    }

    #[test]
    fn processes_on_lines_and_in_their_section() {
        let mut ts = sample();
        let curl = model::Process {
            pid: 7,
            comm: "curl".into(),
            cmdline: vec!["curl".into(), "-u".into(), "me:pw".into()],
            ..Default::default()
        };
        ts[0].process = Some(curl.clone());
        ts[1].process = Some(curl);
        ts[2].process = Some(model::Process {
            pid: 9,
            comm: "python3".into(),
            ..Default::default()
        });
        let out = render(&ts, Stats::default(), RenderOptions::default());
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[1].ends_with(" curl[7]"), "{}", lines[1]);
        assert!(lines[3].ends_with(" python3[9]"), "{}", lines[3]);
        let mut probed = ts[2].clone();
        probed.source = Some("OpenSSL probe".into());
        let probed_out = render(&[probed], Stats::default(), RenderOptions::default());
        assert!(
            probed_out
                .lines()
                .nth(1)
                .unwrap()
                .ends_with(" python3[9] [OpenSSL probe]"),
            "{probed_out}"
        );
        let section = out
            .split("Processes\n")
            .nth(1)
            .expect("a Processes section");
        let rows: Vec<&str> = section.lines().skip(1).take(2).collect();
        assert!(
            rows[0].starts_with("  curl[7]")
                && rows[0].contains(&format!("curl -u me:{}", crate::REDACTED))
        );
        assert!(rows[1].starts_with("  python3[9]"));
        assert!(!out.contains("me:pw"));
        let plain = render(&sample(), Stats::default(), RenderOptions::default());
        assert!(!plain.contains("Processes"));
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
            findings: Vec::new(),
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
        let t = Timings {
            dns: Some(MS),
            connect: Some(3 * MS),
            ssl: Some(2 * MS),
            wait: Some(2 * MS),
            ..Timings::default()
        };
        assert_eq!(bar(&t, false), "[~~--====....]");
        let t = Timings {
            blocked: Some(MS),
            dns: Some(2 * MS),
            connect: Some(MS),
            ..Timings::default()
        };
        assert_eq!(
            bar(&t, false),
            "[~~~~~~------]",
            "blocked counts as connect"
        );
        // An ssl longer than connect (inconsistent input) cannot overflow the bar.
        let t = Timings {
            connect: Some(MS),
            ssl: Some(5 * MS),
            wait: Some(MS),
            ..Timings::default()
        };
        assert_eq!(bar(&t, false), "[======......]");
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
        s.tls.unsupported = 1;
        s.tls.failed = 1;
        s.tls.errors = 1;
        s.tls.keylog_malformed = 2;
        s.tls.keylog_error = Some("line 3: bad\x1b[31m hex".into());
        s.dns.malformed = 1;
        s.dns.unmatched_responses = 2;
        s.dns.evicted = 3;
        let lines = loss_lines(&s);
        assert_eq!(lines.len(), 26);
        assert!(lines.contains(&("dns", "2 responses matched no query".to_owned())));
        assert!(lines.contains(&(
            "dns",
            "3 lookups given up early: too many pending".to_owned()
        )));
        assert!(lines.contains(&(
            "tls",
            "2 key log lines malformed (last: line 3: bad\u{fffd}[31m hex)".to_owned()
        )));
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

    #[test]
    fn tls_section_is_bounded_and_names_every_outcome() {
        let mut cs = Vec::new();
        for i in 0..25u64 {
            let mut c = nokeys_connection();
            c.id = model::ConnectionId(100 + i);
            c.bytes = [1_000 + i, 10_000 * (i % 7)];
            cs.push(c);
        }
        let mut unsupported = nokeys_connection();
        unsupported.id = model::ConnectionId(200);
        unsupported.bytes = [1, 1];
        unsupported.tls.as_mut().unwrap().version = Some("TLS 1.2".into());
        unsupported.tls.as_mut().unwrap().cipher_suite = Some("TLS_RSA_WITH_RC4_128_SHA".into());
        unsupported.tls.as_mut().unwrap().decryption = Decryption::Unsupported {
            suite: "TLS_RSA_WITH_RC4_128_SHA".into(),
        };
        cs.push(unsupported);
        for (id, detail) in [(201, "bad record MAC at record 3"), (202, "second")] {
            let mut failed = nokeys_connection();
            failed.id = model::ConnectionId(id);
            failed.bytes = [0, 0];
            failed.tls.as_mut().unwrap().decryption = Decryption::Failed {
                records: 4,
                detail: detail.into(),
            };
            cs.push(failed);
        }
        let out = render_with(&[], &cs, Stats::default(), RenderOptions::default());
        assert!(out.contains("\nTLS connections: 28\n"), "{out}");
        assert!(out.contains(
            "  Decryption   no keys 25, unsupported suite 1 (TLS_RSA_WITH_RC4_128_SHA 1), \
             failed 2 (first: bad record MAC at record 3)\n"
        ));
        assert!(out.contains("  TLS 1.3  TLS_AES_256_GCM_SHA384"));
        assert!(out.contains("  TLS 1.2  TLS_RSA_WITH_RC4_128_SHA"));
        assert!(out.contains("TLS connections without transactions: 28 (largest first)\n"));
        assert_eq!(out.matches("\n  #").count(), MAX_SILENT);
        assert!(out.contains("\n  … 8 more\n"));
        // Largest first: bytes 60000 + 1000 + i for i = 6, 13, 20 (13 and 20 after 6: ties
        // keep arrival order, and 1020 > 1013 > 1006 so 20 comes first).
        let first = out.find("\n  #120 ").unwrap();
        let second = out.find("\n  #113 ").unwrap();
        let third = out.find("\n  #106 ").unwrap();
        assert!(first < second && second < third);
        assert!(!out.contains("#200 ") && !out.contains("#201 "));
        assert!(out.contains(
            "      sent 12 records (1.02 kB), received 30 records (60.0 kB), handshake 35.0 ms, \
             first data after 45.0 ms\n"
        ));
    }

    #[test]
    fn tls_text_from_the_capture_is_sanitised() {
        let mut c = nokeys_connection();
        c.tls.as_mut().unwrap().sni = Some("evil\x1b[2J.example".into());
        c.tls.as_mut().unwrap().version = Some("TLS\x07 1.3".into());
        c.tls.as_mut().unwrap().cipher_suite = Some("SUITE\r\n".into());
        let mut by_cert = nokeys_connection();
        by_cert.id = model::ConnectionId(8);
        by_cert.tls.as_mut().unwrap().sni = None;
        by_cert.tls.as_mut().unwrap().certificates = tls13().certificates;
        by_cert.tls.as_mut().unwrap().certificates[0].subject = "CN=x\x1b]0;title\x07".into();
        by_cert.tls.as_mut().unwrap().decryption = Decryption::Failed {
            records: 1,
            detail: "bad\x1b[31m".into(),
        };
        let mut t = tls_get(1, 0);
        if let Some(tls) = t.tls.as_mut() {
            tls.version = Some("TLS\x1b1".into());
        }
        let out = render_with(
            &[t],
            &[c, by_cert],
            Stats::default(),
            RenderOptions::default(),
        );
        assert!(!out.contains('\x1b') && !out.contains('\x07') && !out.contains('\r'));
        assert!(out.contains("sni evil\u{fffd}[2J.example"));
        assert!(out.contains("cert CN=x\u{fffd}]0;title\u{fffd}"));
        assert!(out.contains("failed (1 record: bad\u{fffd}[31m)"));
        assert!(out.contains("HTTP/1.1+TLS\u{fffd}1 "));
    }

    #[test]
    fn tls_section_from_counters_alone_and_absent_without_tls() {
        let plain = render(&[get(1, 0, 0)], Stats::default(), RenderOptions::default());
        assert!(!plain.contains("TLS"));
        let mut s = Stats::default();
        s.tls.connections = 3;
        s.tls.decrypted = 2;
        s.tls.failed = 1;
        let out = render(&[], s, RenderOptions::default());
        assert!(out.contains("\nTLS connections: 3\n  Decryption   decrypted 2, failed 1\n"));
        assert!(out.contains("  tls      1 connection with records that failed to decrypt\n"));
    }

    #[test]
    fn colour_paints_the_tls_phase() {
        let r = TerminalReport::new(
            Vec::new(),
            RenderOptions {
                color: true,
                ..RenderOptions::default()
            },
        );
        let line = r.line(&tls_get(1, 0), Timestamp(T0));
        assert!(line.contains("\x1b[36m█████\x1b[0m"), "{line}");
        assert!(line.contains("HTTP/1.1+TLS1.3"));
    }

    fn plain() -> TerminalReport<Vec<u8>> {
        TerminalReport::new(Vec::new(), RenderOptions::default())
    }

    fn coloured() -> TerminalReport<Vec<u8>> {
        TerminalReport::new(
            Vec::new(),
            RenderOptions {
                color: true,
                ..RenderOptions::default()
            },
        )
    }

    #[test]
    fn http2_line_shows_protocol_stream_and_grpc_status() {
        let t = h2_grpc(1, 0);
        assert_eq!(protocol_label(&t), "HTTP/2+TLS1.3 s3");
        let line = plain().line(&t, Timestamp(T0));
        assert!(line.contains(" HTTP/2+TLS1.3 s3    "), "{line}");
        assert!(line.ends_with("] R grpc 14 UNAVAILABLE"), "{line}");
        // h2c: no TLS version; a long stream id is kept whole.
        let mut t = h2_grpc(1, 0);
        t.tls = None;
        t.stream = Some(2_147_483_647);
        assert_eq!(protocol_label(&t), "HTTP/2 s2147483647");
        t.tls = Some(tls13());
        let label = protocol_label(&t);
        assert_eq!(label, "HTT…1.3 s2147483647");
        assert_eq!(label.chars().count(), PROTOCOL_COLUMNS);
        // No marker for OK or a missing status; a number without a name for unknown codes.
        let mut t = h2_grpc(1, 0);
        t.grpc.as_mut().unwrap().status = Some(0);
        assert!(!plain().line(&t, Timestamp(T0)).contains("grpc"));
        t.grpc.as_mut().unwrap().status = None;
        assert!(!plain().line(&t, Timestamp(T0)).contains("grpc"));
        t.grpc.as_mut().unwrap().status = Some(99);
        assert!(plain().line(&t, Timestamp(T0)).ends_with(" grpc 99"));
        t.grpc.as_mut().unwrap().status = Some(4);
        let line = coloured().line(&t, Timestamp(T0));
        assert!(
            line.contains("\x1b[31mgrpc 4 DEADLINE_EXCEEDED\x1b[0m"),
            "{line}"
        );
    }

    #[test]
    fn redirect_marker_and_colour_dns_phase() {
        let [_, mut to] = redirect_pair(4, 0);
        to.timings.dns = Some(20 * MS);
        let line = plain().line(&to, Timestamp(T0));
        assert!(line.ends_with("[~~~--......#] <-#4"), "{line}");
        let line = coloured().line(&to, Timestamp(T0));
        assert!(line.contains("\x1b[36m↪#4\x1b[0m"), "{line}");
        assert!(line.contains("\x1b[90m███\x1b[0m"), "{line}");
        let out = render(&[to], Stats::default(), RenderOptions::default());
        assert!(out.contains(
            "  Legend       ~ dns  - connect  = tls  > send  . wait  # receive  \
             FN N findings  R reused connection  <-#N redirected from #N  ! incomplete\n"
        ));
        assert!(out.contains("\n           dns 20.0, connect 20.0, send 0.100, wait 50.0, "));
    }

    /// A redirect from `from` (of `hops` so far) to transaction `id`, `offset_ms` after T0.
    fn hop(id: u64, from: u64, hops: u32, offset_ms: i64, url: &str, status: u16) -> Transaction {
        let mut t = get(id, 0, offset_ms);
        t.url = url.into();
        t.response.as_mut().unwrap().status = status;
        t.redirect = Some(model::RedirectLink {
            from,
            hops,
            chain_start: Timestamp(T0),
        });
        t
    }

    #[test]
    fn redirect_chains_grow_and_are_bounded() {
        let [first, second] = redirect_pair(1, 0);
        let mut second = second;
        second.response.as_mut().unwrap().status = 302;
        // 1 -> 2 -> 3, an unrelated request, and a chain whose first request was not seen.
        let ts = vec![
            first,
            second,
            get(10, 0, 150),
            hop(3, 2, 2, 200, "https://example.com/final", 200),
            hop(5, 4, 3, 400, "http://late.example/x?token=abc", 404),
        ];
        let wide = RenderOptions {
            width: 140,
            ..RenderOptions::default()
        };
        let out = render(&ts, Stats::default(), wide);
        assert!(
            out.contains(
                "\nRedirect chains: 2\n   \
             280 ms  2 redirects #1 -> #3 200  http://example.com/old -> \
             https://example.com/final\n   \
             480 ms  3 redirects ? -> #5 404  (unknown) -> \
             http://late.example/x?token=[redacted]\n\n"
            ),
            "{out}"
        );
        let mut ts = Vec::new();
        for i in 0..(MAX_CHAINS as u64 + 7) {
            ts.push(hop(1_000 + i, i, 1, 0, "http://a/", 200));
        }
        // A hop continuing a chain that was not kept is not counted again.
        ts.push(hop(
            5_000,
            1_000 + MAX_CHAINS as u64 + 1,
            2,
            0,
            "http://b/",
            200,
        ));
        // Continuing a kept chain still works when the table is full.
        ts.push(hop(5_001, 1_000, 2, 0, "http://c/", 200));
        let out = render(&ts, Stats::default(), RenderOptions::default());
        assert!(out.contains(&format!("\nRedirect chains: {}\n", MAX_CHAINS + 7)));
        assert!(out.contains("\n  … 7 more\n"));
        assert!(
            out.contains("\n  80.1 ms  2 redirects #0 -> #5001 200  (unknown) -> http://c/\n"),
            "{out}"
        );
        assert!(
            !render(&[get(1, 0, 0)], Stats::default(), RenderOptions::default())
                .contains("Redirect")
        );
    }

    #[test]
    fn http2_section_is_bounded_and_h2c_keeps_tls_section_away() {
        let out = render_with(
            &[],
            &[h2c_connection()],
            Stats::default(),
            RenderOptions::default(),
        );
        assert!(!out.contains("TLS connections"), "{out}");
        assert!(out.contains("\nHTTP/2 connections: 1 (0 over TLS, 1 cleartext)\n"));
        assert!(out.contains(
            "\n  #10    192.0.2.10:8080        h2c         0       4    3   2.2      0      0      \
             0       2  -\n"
        ), "{out}");
        let mut cs = Vec::new();
        for i in 0..(MAX_H2_ROWS as u64 + 5) {
            let mut c = h2_connection();
            c.id = model::ConnectionId(100 + i);
            c.http2.as_mut().unwrap().streams = i % 9;
            c.http2.as_mut().unwrap().goaway = Some("last_stream_id=1 error=\x1b[2J".into());
            cs.push(c);
        }
        let out = render_with(&[], &cs, Stats::default(), RenderOptions::default());
        assert!(out.contains("\nHTTP/2 connections: 25 (25 over TLS, 0 cleartext)\n"));
        assert_eq!(out.matches("error=\u{fffd}[2J\n").count(), MAX_H2_ROWS);
        assert!(!out.contains('\x1b'));
        assert!(out.contains("\n  … 5 more\n"));
        // Most streams first, earlier first on ties: 8 streams for i = 8, 17.
        let a = out.find("\n  #108 ").unwrap();
        let b = out.find("\n  #117 ").unwrap();
        let c = out.find("\n  #107 ").unwrap();
        assert!(a < b && b < c);
        assert!(!out.contains("#100 ") && !out.contains("#109 "));
        assert!(out.contains(
            "  Totals       93 streams, 25 flow-control stalls, 25 resets, 25 GOAWAY, 0 pushes, \
             0 header errors\n"
        ), "{out}");
    }

    fn lookup(name: &str, qtype: &str, ms_taken: Option<i64>, outcome: DnsOutcome) -> DnsLookup {
        DnsLookup {
            name: name.into(),
            qtype: qtype.into(),
            end: ms_taken.map(|m| Timestamp(T0 + m * MS as i64)),
            outcome,
            answers: if outcome == DnsOutcome::Answered {
                dns_answered().answers
            } else {
                vec![]
            },
            ..dns_answered()
        }
    }

    #[test]
    fn dns_section_outcomes_slowest_and_repeats() {
        let mut ls = vec![
            dns_answered(),
            dns_timed_out(),
            lookup("a.test", "A", Some(3), DnsOutcome::NxDomain),
            lookup("b.test", "A", Some(40), DnsOutcome::ServFail),
            lookup("c.test", "MX", Some(1), DnsOutcome::OtherError),
            lookup("d.test", "A", None, DnsOutcome::NoAnswerSeen),
            lookup("e.test", "HTTPS", Some(15), DnsOutcome::Answered),
        ];
        ls[6].answers = vec![];
        for _ in 0..3 {
            ls.push(lookup("a.test", "A", Some(2), DnsOutcome::NxDomain));
        }
        ls.push(lookup("a.test", "AAAA", Some(2), DnsOutcome::NxDomain));
        ls.push(dns_answered());
        let out = render_all(&[], &[], &ls, Stats::default(), RenderOptions::default());
        assert!(out.contains("\nDNS lookups: 12\n"), "{out}");
        assert!(out.contains(
            "  Outcomes     answered 3, NXDOMAIN 5, SERVFAIL 1, other error 1, timed out 1, \
             no answer seen 1\n"
        ));
        assert!(out.contains("  Retries      1 (1 lookup asked more than once)\n"));
        let slowest = "  slowest lookups                type       time attempts  answers
  slow.example.org               AAAA          -        2  timed out
  d.test                         A             -        1  no answer seen
  b.test                         A       40.0 ms        1  SERVFAIL
  e.test                         HTTPS   15.0 ms        1  none (NOERROR)
  example.com                    A       12.0 ms        1  A 93.184.216.34
  Repeated     a.test A 4, example.com A 2
";
        assert!(out.contains(slowest), "{out}");
        assert!(!out.contains("Messages"));
        // Counters for at most MAX_DNS_NAMES pairs.
        let mut ls: Vec<DnsLookup> = (0..MAX_DNS_NAMES + 10)
            .map(|i| lookup(&format!("n{i}.test"), "A", Some(1), DnsOutcome::Answered))
            .collect();
        ls.push(ls[0].clone());
        ls.push(ls[MAX_DNS_NAMES + 1].clone());
        let mut r = plain();
        for l in &ls {
            r.dns(l).unwrap();
        }
        assert_eq!(r.dns.names.len(), MAX_DNS_NAMES);
        assert_eq!(r.dns.untracked, 11);
        assert_eq!(r.dns.slowest.len(), DNS_TOP);
        let out = render_all(&[], &[], &ls, Stats::default(), RenderOptions::default());
        assert!(out.contains(
            "  Repeated     n0.test A 2 (counted for the first 1024 names and types only)\n"
        ));
        // Nothing about DNS without lookups or messages; counters alone make a section.
        assert!(!render(&[], Stats::default(), RenderOptions::default()).contains("DNS"));
        let mut s = Stats::default();
        s.dns.messages = 3;
        s.dns.queries = 1;
        s.dns.responses = 1;
        let out = render(&[], s, RenderOptions::default());
        assert!(out.contains(
            "\nDNS lookups: 0\n  Messages     3 messages, 1 query, 1 response\n  Outcomes     none\n"
        ), "{out}");
    }

    #[test]
    fn dns_text_from_the_capture_is_sanitised() {
        let mut l = dns_answered();
        l.name = "evil\x1b[2J.test".into();
        l.qtype = "A\x07".into();
        l.answers = vec!["TXT \x1b]0;x\x07".into()];
        let out = render_all(
            &[],
            &[],
            &[l.clone(), l],
            Stats::default(),
            RenderOptions::default(),
        );
        assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out}");
        assert!(out.contains("evil\u{fffd}[2J.test A\u{fffd} 2"));
    }

    /// `n` findings of rule `rule` with `severity`, the i-th concerning i + 1 transactions.
    fn many(rule: &str, severity: Severity, n: usize) -> Vec<Finding> {
        (0..n)
            .map(|i| Finding {
                rule: rule.into(),
                severity,
                message: format!("example {i}"),
                origin: Some(format!("http://h{i}.test")),
                transactions: (1..=i as u64 + 1).collect(),
                evidence: (0..5).map(|k| (format!("k{k}"), "v".repeat(50))).collect(),
                hint: "Fix it.".into(),
            })
            .collect()
    }

    #[test]
    fn findings_are_grouped_bounded_and_absent_without_any() {
        let plain = render(&[get(1, 0, 0)], Stats::default(), RenderOptions::default());
        assert!(!plain.contains("Findings"));
        let mut fs = many("zeta", Severity::Info, 1);
        fs.extend(many("alpha", Severity::Warning, 5));
        fs.extend(many("beta", Severity::Error, 2));
        fs[0].transactions.clear();
        fs[0].origin = None;
        fs[0].evidence.clear();
        fs[0].hint = " ".into();
        let out = render_report(
            &[],
            &[],
            &[],
            Stats::default(),
            fs,
            RenderOptions::default(),
        );
        let section: String = out
            .lines()
            .skip_while(|l| !l.starts_with("Findings"))
            .take_while(|l| !l.is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        let v = "v".repeat(39);
        let expected = format!(
            "Findings: 2 errors, 5 warnings, 1 info
  error    beta   2 requests on 2 origins, 2 findings
           - example 1 (k0: {v}…, k1: {v}…, k2: {v}…, +2)
           - example 0 (k0: {v}…, k1: {v}…, k2: {v}…, +2)
           hint: Fix it.
  warning  alpha  5 requests on 5 origins, 5 findings
           - example 4 (k0: {v}…, k1: {v}…, k2: {v}…, +2)
           - example 3 (k0: {v}…, k1: {v}…, k2: {v}…, +2)
           - example 2 (k0: {v}…, k1: {v}…, k2: {v}…, +2)
           … 2 more
           hint: Fix it.
  info     zeta   1 finding - example 0
"
        );
        assert_eq!(section, expected);
    }

    #[test]
    fn findings_in_colour_and_sanitised() {
        let mut fs = findings();
        fs[1].message = "evil \x1b[2J message".into();
        fs[1].evidence = vec![("x\x07".into(), "y\x1b".into())];
        let ts = [
            flagged(get(1, 0, 0), &["insecure-http"]),
            flagged(tls_get(5, 10), &["no-validator", "a", "b"]),
        ];
        let opts = RenderOptions {
            color: true,
            ..RenderOptions::default()
        };
        let out = render_report(&ts, &[], &[], Stats::default(), fs.clone(), opts);
        assert!(out.contains("\x1b[1;33m⚑1\x1b[0m"));
        assert!(out.contains("\x1b[1;33m⚑3\x1b[0m"));
        assert!(out.contains(
            "\x1b[1mFindings:\x1b[0m \x1b[1;31m1 error\x1b[0m, \x1b[33m1 warning\x1b[0m\n"
        ));
        assert!(
            out.contains("  \x1b[1;31merror   \x1b[0m insecure-http  2 requests on 1 origin — GET")
        );
        assert!(out.contains("  \x1b[33mwarning \x1b[0m no-validator   1 request on 1 origin — evil \u{fffd}[2J message\n"));
        assert!(out.contains("evidence: x\u{fffd}: y\u{fffd}\n"));
        assert!(out.contains("\x1b[2mhint: Send ETag"));
        assert!(!out.contains("s3cr3t") && !out.contains("abc123"));
        // Plain: ASCII marker; the findings marker does not push a reused line past the width.
        let ts = [flagged(get(2, 1, 0), &["insecure-http"])];
        let out = render_report(
            &ts,
            &[],
            &[],
            Stats::default(),
            fs,
            RenderOptions {
                width: 120,
                ..RenderOptions::default()
            },
        );
        let line = out.lines().nth(1).unwrap();
        assert!(line.ends_with("] F1 R"), "{line}");
        assert_eq!(line.chars().count(), 120);
        assert!(out.contains("  error    insecure-http  2 requests on 1 origin - GET"));
    }

    #[test]
    fn origins_table_shows_errors_revalidations_and_protocols() {
        let mut not_modified = get(2, 1, 10);
        if let Some(r) = not_modified.response.as_mut() {
            r.status = 304;
        }
        let mut broken = get(3, 2, 20);
        if let Some(r) = broken.response.as_mut() {
            r.status = 502;
        }
        let ts = [get(1, 0, 0), not_modified, broken, h2_grpc(4, 30)];
        let out = render(&ts, Stats::default(), RenderOptions::default());
        let table: Vec<&str> = out
            .lines()
            .skip_while(|l| *l != "Origins")
            .take_while(|l| !l.is_empty())
            .collect();
        assert_eq!(
            table,
            [
                "Origins",
                "  origin                          reqs conns reuse  transfer   decoded  304  4xx  5xx fail  protocols",
                "  http://example.com                 3     1   67%   3.96 kB   12.0 kB    1    0    1    0  h1.1 3",
                "  https://grpc.example.com           1     0  100%     341 B       0 B    0    0    0    0  h2 1, TLS1.3 1",
            ]
        );
    }
}
