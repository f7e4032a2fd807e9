//! Sinks: every format httpscope writes its results in, behind one [`Sink`] trait.
//!
//! This crate owns the presentation of [`model::Transaction`]s: HAR 1.2 ([`HarWriter`]),
//! JSON lines ([`JsonlWriter`]), one JSON document ([`JsonWriter`]), the human report
//! ([`TerminalReport`]), a self-contained HTML report with a waterfall ([`HtmlWriter`], which
//! streams its records into the page), and the pcapng writer ([`PcapngWriter`]), plus the end-of-analysis [`Summary`] (built by [`SummaryBuilder`],
//! with its per-origin table of [`OriginSummary`]), the presentation of the findings the
//! binary puts in [`Report::findings`] and of each transaction's
//! [`model::Transaction::findings`], and the redaction of credentials ([`redact_transaction`],
//! [`redact_finding`] and friends).
//!
//! Invariants every sink keeps:
//! - it streams: each transaction is written when it arrives and then forgotten, so memory does
//!   not grow with the number of transactions (the summary keeps only bounded aggregates).
//!   Documented exceptions hold [`model::ConnectionRecord`]s and [`model::DnsLookup`]s until
//!   the end because their place in the document comes after the transactions: [`JsonWriter`]
//!   keeps every connection record for its `connections` array and every lookup for its `dns`
//!   array, and [`HarWriter`] keeps the records of connections that carried no transaction for
//!   `log._connections` and at most [`MAX_HAR_DNS`] lookups for `log._dns`. [`JsonlWriter`]
//!   streams both, and [`TerminalReport`] keeps bounded aggregates (at most 20 connections per
//!   table, 5 slowest lookups, per-name counters for at most 1024 names, 100 redirect chains);
//! - it writes to any [`std::io::Write`] and returns every I/O error to the caller (the binary
//!   decides what a broken pipe means);
//! - unless [`RenderOptions::show_secrets`] is set, credentials are redacted the same way in
//!   every format (see [`redact_transaction`]);
//! - it never panics on odd input (empty fields, missing request or response, huge numbers).
//!
//! Call order, as the binary drives it: [`Sink::start`] once, [`Sink::transaction`] for each
//! transaction, [`Sink::connection`] for each TLS or HTTP/2 connection as it closes and
//! [`Sink::dns`] for each DNS lookup as it ends, interleaved in emission order, [`Sink::finish`]
//! once. Sinks tolerate a missing `start`
//! (an empty capture) by writing their preamble lazily.

mod har;
mod html;
mod json;
mod jsonl;
mod pcapng;
mod redact;
mod summary;
mod terminal;

pub use har::HarWriter;
pub use html::HtmlWriter;
pub use json::JsonWriter;
pub use jsonl::JsonlWriter;
pub use pcapng::PcapngWriter;
pub use redact::{
    redact_cmdline, redact_finding, redact_header_value, redact_headers, redact_summary,
    redact_transaction, redact_url, REDACTED,
};
pub use summary::{
    origin_of, OriginSummary, SlowRequest, StatusClasses, Summary, SummaryBuilder, MAX_ORIGINS,
    MAX_ORIGIN_LABELS, OTHER,
};
pub use terminal::TerminalReport;

/// Most DNS lookups [`HarWriter`] keeps for `log._dns`; later ones are counted in
/// `log._dnsDropped` instead.
pub const MAX_HAR_DNS: usize = 10_000;

use serde::Serialize;

/// How sinks render transactions. The default redacts secrets, uses no colour and a width of
/// 100 columns.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Show credentials instead of redacting them.
    pub show_secrets: bool,
    /// ANSI colour (terminal report only).
    pub color: bool,
    /// Terminal width in columns for the terminal report (0 = 100).
    pub width: usize,
}

/// Everything known at the end of an analysis.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The input's file name, or `"-"` for standard input.
    pub input: String,
    /// Timestamp of the first packet, when there was one.
    pub first_packet: Option<model::Timestamp>,
    /// Timestamp of the last packet, when there was one.
    pub last_packet: Option<model::Timestamp>,
    /// Loss and anomaly counters of every layer.
    pub stats: model::Stats,
    /// Aggregates over all transactions.
    pub summary: Summary,
    /// Free-text warnings for people (unusual input, skipped features, ...).
    pub warnings: Vec<String>,
    /// Every finding, already sorted (errors first, then by rule id, then by origin).
    ///
    /// Not part of the report's serialisation (`#[serde(skip)]`): each format writes the
    /// findings once, in its own place, as [`model::Finding`] serialises: JSON lines as
    /// `{"type":"finding", ...}` lines before the report line, the JSON document as its
    /// `findings` array, HAR as `log._findings`; the terminal report as its Findings section.
    #[serde(skip)]
    pub findings: Vec<model::Finding>,
}

/// An output format. The binary calls [`start`](Sink::start) once with the first packet's
/// timestamp (before any transaction), [`transaction`](Sink::transaction) for each
/// transaction, [`connection`](Sink::connection) for each TLS or HTTP/2 connection when it
/// closes and [`dns`](Sink::dns) for each DNS lookup when it ends, interleaved in emission
/// order, and [`finish`](Sink::finish) once.
pub trait Sink {
    /// Begins the output; `origin` is the first packet's timestamp.
    fn start(&mut self, origin: model::Timestamp) -> std::io::Result<()>;
    /// Writes one transaction.
    fn transaction(&mut self, t: &model::Transaction) -> std::io::Result<()>;
    /// Takes note of one TLS or HTTP/2 connection that has closed (whether or not it carried
    /// transactions; its transactions, if any, have already been passed to
    /// [`transaction`](Sink::transaction)). Each sink decides what to keep: see the crate
    /// documentation for which ones buffer.
    fn connection(&mut self, c: &model::ConnectionRecord) -> std::io::Result<()>;
    /// Takes note of one DNS lookup that has ended (answered, failed, timed out, or cut short
    /// by the end of the capture). A lookup that preceded a connection also appears in that
    /// connection's first transaction ([`model::Transaction::dns`]); this call is made for
    /// every lookup, linked or not. Each sink decides what to keep: see the crate
    /// documentation.
    fn dns(&mut self, lookup: &model::DnsLookup) -> std::io::Result<()>;
    /// Writes what is known at the end and flushes.
    fn finish(&mut self, report: &Report) -> std::io::Result<()>;
}

/// Nanoseconds as the floating-point milliseconds HAR and the JSON formats use.
fn millis(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

/// Nanoseconds from a lookup's first query to its response; `None` without a response.
fn dns_nanos(l: &model::DnsLookup) -> Option<u64> {
    Some(l.end?.since(l.start))
}

/// Whether `t` was carried by HTTP/2: it has a stream id or an `HTTP/2` protocol.
fn is_http2(t: &model::Transaction) -> bool {
    t.stream.is_some()
        || t.protocol
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("HTTP/2"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_converts_nanoseconds() {
        assert_eq!(millis(1_500_000), 1.5);
        assert_eq!(millis(0), 0.0);
    }

    #[test]
    fn default_options_redact_without_colour() {
        let o = RenderOptions::default();
        assert!(!o.show_secrets && !o.color);
        assert_eq!(o.width, 0);
    }
}

/// Hand-built transactions shared by the tests of every module.
#[cfg(test)]
pub(crate) mod fixtures {
    use model::{
        BodySize, CertificateInfo, ConnectionId, ConnectionRecord, Decryption, DnsLookup,
        DnsOutcome, Finding, Grpc, Header, Http2Info, Incomplete, IncompleteReason, MessageTimes,
        RedirectLink, Request, Response, Severity, Timestamp, Timings, TlsInfo, Transaction,
    };

    /// Milliseconds to nanoseconds.
    pub(crate) const MS: u64 = 1_000_000;

    /// 2024-02-29T12:34:56.000Z
    pub(crate) const T0: i64 = 1_709_210_096_000_000_000;

    /// A complete `GET` with a gzip-coded response, starting `offset_ms` after [`T0`].
    pub(crate) fn get(id: u64, position: u32, offset_ms: i64) -> Transaction {
        let start = Timestamp(T0 + offset_ms * MS as i64);
        Transaction {
            id,
            connection: ConnectionId(1),
            client: "10.0.0.1:40000".parse().unwrap(),
            server: "93.184.216.34:80".parse().unwrap(),
            position,
            start,
            protocol: "HTTP/1.1".into(),
            url: "http://example.com/index.html?q=rust&token=abc123".into(),
            request: Some(Request {
                method: "GET".into(),
                target: "/index.html?q=rust&token=abc123".into(),
                version: "HTTP/1.1".into(),
                headers: vec![
                    Header::new("Host", "example.com"),
                    Header::new("Authorization", "Bearer s3cr3t"),
                    Header::new("Cookie", "sid=xyz; theme=dark"),
                ],
                trailers: vec![],
                header_bytes: 120,
                body: BodySize::default(),
            }),
            response: Some(Response {
                status: 200,
                reason: "OK".into(),
                version: "HTTP/1.1".into(),
                headers: vec![
                    Header::new("Content-Type", "text/html; charset=utf-8"),
                    Header::new("Content-Encoding", "gzip"),
                    Header::new(
                        "Set-Cookie",
                        "sid=newsecret; Path=/; Domain=example.com; \
                         Expires=Wed, 21 Oct 2015 07:28:00 GMT; HttpOnly; Secure",
                    ),
                ],
                trailers: vec![],
                header_bytes: 200,
                interim: vec![],
                body: BodySize {
                    wire: 1_000,
                    encoded: 1_000,
                    decoded: Some(4_000),
                },
            }),
            times: MessageTimes {
                request_start: Some(start),
                request_end: Some(start),
                response_start: Some(Timestamp(start.0 + 50 * MS as i64)),
                response_end: Some(Timestamp(start.0 + 60 * MS as i64)),
            },
            timings: Timings {
                blocked: None,
                dns: None,
                connect: if position == 0 { Some(20 * MS) } else { None },
                ssl: None,
                send: Some(MS / 10),
                wait: Some(50 * MS),
                receive: Some(10 * MS),
            },
            tunnel: None,
            tls: None,
            stream: None,
            grpc: None,
            dns: None,
            redirect: None,
            findings: Vec::new(),
            incomplete: vec![],
            process: None,
            source: None,
        }
    }

    /// A `POST` that never got a response.
    pub(crate) fn unanswered(id: u64, offset_ms: i64) -> Transaction {
        let mut t = get(id, 0, offset_ms);
        t.connection = ConnectionId(2);
        t.url = "http://api.example.org/v1/items".into();
        if let Some(r) = t.request.as_mut() {
            r.method = "POST".into();
            r.target = "/v1/items".into();
            r.headers = vec![
                Header::new("Host", "api.example.org"),
                Header::new("Content-Type", "application/json"),
            ];
            r.body = BodySize {
                wire: 300,
                encoded: 300,
                decoded: None,
            };
        }
        t.response = None;
        t.times.response_start = None;
        t.times.response_end = None;
        t.timings = Timings {
            connect: Some(5 * MS),
            send: Some(MS),
            ..Timings::default()
        };
        t.incomplete = vec![Incomplete {
            reason: IncompleteReason::NoResponse,
            detail: "connection closed before a response".into(),
        }];
        t
    }

    /// A name lookup that failed (NXDOMAIN) and no connection followed, as the engine reports it.
    pub(crate) fn failed_lookup(id: u64, offset_ms: i64) -> Transaction {
        let mut t = unanswered(id, offset_ms);
        t.connection = ConnectionId::NONE;
        t.server = "10.0.0.53:53".parse().expect("address");
        t.url = "dns:nope.example.org".into();
        t.protocol = String::new();
        t.request = None;
        t.times = MessageTimes::default();
        t.timings = Timings {
            dns: Some(3 * MS),
            ..Timings::default()
        };
        t.incomplete = vec![Incomplete {
            reason: IncompleteReason::DnsFailed,
            detail: "DNS lookup of nope.example.org failed: NXDOMAIN from 10.0.0.53:53 (A, AAAA)"
                .into(),
        }];
        t
    }

    /// A TLS handshake the server ended with a fatal alert, as the engine reports it.
    pub(crate) fn failed_handshake(id: u64, offset_ms: i64) -> Transaction {
        let mut t = failed_lookup(id, offset_ms);
        t.connection = ConnectionId(7);
        t.server = "93.184.216.34:443".parse().expect("address");
        t.url = "https://secure.example.com".into();
        t.tls = Some(TlsInfo {
            sni: Some("secure.example.com".into()),
            ..TlsInfo::default()
        });
        t.timings = Timings {
            connect: Some(4 * MS),
            ssl: Some(2 * MS),
            ..Timings::default()
        };
        t.incomplete = vec![Incomplete {
            reason: IncompleteReason::TlsHandshake,
            detail: "TLS handshake failed: server sent fatal alert handshake_failure (40)".into(),
        }];
        t
    }

    /// A decrypted TLS 1.3 session with one certificate: handshake from `T0 + 10 ms` to
    /// `T0 + 40 ms`, first application data at `T0 + 41 ms`.
    pub(crate) fn tls13() -> TlsInfo {
        TlsInfo {
            version: Some("TLS 1.3".into()),
            cipher_suite: Some("TLS_AES_128_GCM_SHA256".into()),
            sni: Some("secure.example.com".into()),
            alpn_offered: vec!["h2".into(), "http/1.1".into()],
            alpn: Some("http/1.1".into()),
            resumed: false,
            early_data_offered: false,
            hello_retry: false,
            handshake_start: Some(Timestamp(T0 + 10 * MS as i64)),
            handshake_end: Some(Timestamp(T0 + 40 * MS as i64)),
            certificates: vec![CertificateInfo {
                subject: "CN=secure.example.com".into(),
                issuer: "CN=Example CA, O=Example".into(),
                san: vec!["secure.example.com".into(), "*.example.com".into()],
                not_before: Some(Timestamp::from_parts(1_700_000_000, 0)),
                not_after: Some(Timestamp::from_parts(1_735_689_600, 0)),
            }],
            alerts: vec![],
            decryption: Decryption::Decrypted,
            records: [6, 8],
            record_bytes: [900, 2_400],
            first_application_data: Some(Timestamp(T0 + 41 * MS as i64)),
            errors: 0,
            first_error: None,
        }
    }

    /// A `GET https://secure.example.com/account` over [`tls13`], on connection 5, starting
    /// `offset_ms` after [`T0`]: connect 40 ms of which TLS 30 ms, send 1, wait 20, receive 10.
    pub(crate) fn tls_get(id: u64, offset_ms: i64) -> Transaction {
        let mut t = get(id, 0, offset_ms);
        t.connection = ConnectionId(5);
        t.server = "203.0.113.5:443".parse().unwrap();
        t.client = "10.0.0.1:40005".parse().unwrap();
        t.url = "https://secure.example.com/account".into();
        if let Some(r) = t.request.as_mut() {
            r.target = "/account".into();
            r.headers = vec![Header::new("Host", "secure.example.com")];
        }
        t.timings = Timings {
            connect: Some(40 * MS),
            ssl: Some(30 * MS),
            send: Some(MS),
            wait: Some(20 * MS),
            receive: Some(10 * MS),
            ..Timings::default()
        };
        t.tls = Some(tls13());
        t
    }

    /// The record of connection 5, which carried [`tls_get`].
    pub(crate) fn tls_connection() -> ConnectionRecord {
        ConnectionRecord {
            id: ConnectionId(5),
            client: "10.0.0.1:40005".parse().unwrap(),
            server: "203.0.113.5:443".parse().unwrap(),
            start: Timestamp(T0),
            end: Timestamp(T0 + 500 * MS as i64),
            bytes: [1_000, 3_000],
            transactions: 1,
            tls: Some(tls13()),
            http2: None,
            process: None,
        }
    }

    /// A TLS 1.3 connection (7) that could not be decrypted for lack of keys: no transactions.
    pub(crate) fn nokeys_connection() -> ConnectionRecord {
        ConnectionRecord {
            id: ConnectionId(7),
            client: "10.0.0.1:40007".parse().unwrap(),
            server: "198.51.100.7:443".parse().unwrap(),
            start: Timestamp(T0 + 300 * MS as i64),
            end: Timestamp(T0 + 2_300 * MS as i64),
            bytes: [4_200, 88_000],
            transactions: 0,
            http2: None,
            tls: Some(TlsInfo {
                version: Some("TLS 1.3".into()),
                cipher_suite: Some("TLS_AES_256_GCM_SHA384".into()),
                sni: Some("hidden.example.org".into()),
                handshake_start: Some(Timestamp(T0 + 310 * MS as i64)),
                handshake_end: Some(Timestamp(T0 + 345 * MS as i64)),
                decryption: Decryption::NoKeys,
                records: [12, 30],
                record_bytes: [4_200, 88_000],
                first_application_data: Some(Timestamp(T0 + 345 * MS as i64)),
                ..TlsInfo::default()
            }),
            process: None,
        }
    }

    /// A gRPC call over HTTP/2 and TLS 1.3 on connection 9, stream 3 (the connection's second
    /// request), `offset_ms` after [`T0`]: send 1 ms, wait 15, receive 2; `grpc-status` 14.
    pub(crate) fn h2_grpc(id: u64, offset_ms: i64) -> Transaction {
        let mut t = get(id, 1, offset_ms);
        t.connection = ConnectionId(9);
        t.client = "10.0.0.1:40009".parse().unwrap();
        t.server = "203.0.113.9:443".parse().unwrap();
        t.protocol = "HTTP/2".into();
        t.stream = Some(3);
        t.url = "https://grpc.example.com/helloworld.Greeter/SayHello".into();
        if let Some(r) = t.request.as_mut() {
            r.method = "POST".into();
            r.target = "/helloworld.Greeter/SayHello".into();
            r.version = "HTTP/2".into();
            r.headers = vec![
                Header::new(":authority", "grpc.example.com"),
                Header::new("content-type", "application/grpc"),
            ];
            r.body = BodySize {
                wire: 21,
                encoded: 21,
                decoded: None,
            };
        }
        if let Some(r) = t.response.as_mut() {
            r.version = "HTTP/2".into();
            r.reason = String::new();
            r.headers = vec![Header::new("content-type", "application/grpc")];
            r.trailers = vec![
                Header::new("grpc-status", "14"),
                Header::new("grpc-message", "upstream connect error"),
            ];
            r.body = BodySize::default();
        }
        t.timings = Timings {
            send: Some(MS),
            wait: Some(15 * MS),
            receive: Some(2 * MS),
            ..Timings::default()
        };
        t.tls = Some(TlsInfo {
            sni: Some("grpc.example.com".into()),
            alpn: Some("h2".into()),
            ..tls13()
        });
        t.grpc = Some(Grpc {
            service: "helloworld.Greeter".into(),
            method: "SayHello".into(),
            status: Some(14),
            message: Some("upstream connect error".into()),
            messages: [1, 0],
        });
        t
    }

    /// The HTTP/2 facts of connection 9.
    pub(crate) fn h2_info() -> Http2Info {
        Http2Info {
            streams: 2,
            max_concurrent: 2,
            mean_concurrent: 1.5,
            flow_control_stalls: 1,
            resets: 1,
            goaway: Some("last_stream_id=3 error=NO_ERROR".into()),
            pushes: 0,
            header_errors: 0,
            settings: [
                vec!["MAX_CONCURRENT_STREAMS=100".into()],
                vec!["MAX_CONCURRENT_STREAMS=128".into()],
            ],
        }
    }

    /// The record of connection 9 (HTTP/2 over TLS 1.3), which carried [`h2_grpc`].
    pub(crate) fn h2_connection() -> ConnectionRecord {
        ConnectionRecord {
            id: ConnectionId(9),
            client: "10.0.0.1:40009".parse().unwrap(),
            server: "203.0.113.9:443".parse().unwrap(),
            start: Timestamp(T0 + 900 * MS as i64),
            end: Timestamp(T0 + 1_900 * MS as i64),
            bytes: [2_000, 5_000],
            transactions: 2,
            tls: Some(TlsInfo {
                sni: Some("grpc.example.com".into()),
                alpn: Some("h2".into()),
                ..tls13()
            }),
            http2: Some(h2_info()),
            process: None,
        }
    }

    /// A cleartext HTTP/2 connection (10, h2c) joined mid-stream: its header blocks could not
    /// be decoded, so it yielded no transaction.
    pub(crate) fn h2c_connection() -> ConnectionRecord {
        ConnectionRecord {
            id: ConnectionId(10),
            client: "10.0.0.1:40010".parse().unwrap(),
            server: "192.0.2.10:8080".parse().unwrap(),
            start: Timestamp(T0 + 1_000 * MS as i64),
            end: Timestamp(T0 + 1_500 * MS as i64),
            bytes: [600, 9_000],
            transactions: 0,
            tls: None,
            http2: Some(Http2Info {
                streams: 4,
                max_concurrent: 3,
                mean_concurrent: 2.25,
                header_errors: 2,
                ..Http2Info::default()
            }),
            process: None,
        }
    }

    /// `example.com A`, answered with one address in 12 ms, starting at [`T0`].
    pub(crate) fn dns_answered() -> DnsLookup {
        DnsLookup {
            client: "10.0.0.1:53000".parse().unwrap(),
            server: "10.0.0.53:53".parse().unwrap(),
            name: "example.com".into(),
            qtype: "A".into(),
            start: Timestamp(T0),
            end: Some(Timestamp(T0 + 12 * MS as i64)),
            attempts: 1,
            rcode: Some("NOERROR".into()),
            answers: vec!["A 93.184.216.34".into()],
            addresses: vec!["93.184.216.34".parse().unwrap()],
            min_ttl: Some(300),
            outcome: DnsOutcome::Answered,
        }
    }

    /// `slow.example.org AAAA`, asked twice from `T0 + 100 ms` and never answered.
    pub(crate) fn dns_timed_out() -> DnsLookup {
        DnsLookup {
            client: "10.0.0.1:53001".parse().unwrap(),
            server: "10.0.0.53:53".parse().unwrap(),
            name: "slow.example.org".into(),
            qtype: "AAAA".into(),
            start: Timestamp(T0 + 100 * MS as i64),
            end: None,
            attempts: 2,
            rcode: None,
            answers: vec![],
            addresses: vec![],
            min_ttl: None,
            outcome: DnsOutcome::TimedOut,
        }
    }

    /// `t` with the rule ids that fired on it.
    pub(crate) fn flagged(mut t: Transaction, rules: &[&str]) -> Transaction {
        t.findings = rules.iter().map(|r| (*r).to_owned()).collect();
        t
    }

    /// Two findings, sorted as the report holds them: an error `insecure-http` on
    /// `http://example.com` (transactions 1 and 2; a secret in its message and evidence) and a
    /// warning `no-validator` on `https://secure.example.com` (transaction 5).
    pub(crate) fn findings() -> Vec<Finding> {
        vec![
            Finding {
                rule: "insecure-http".into(),
                severity: Severity::Error,
                message: "GET http://example.com/index.html?q=rust&token=abc123 sent over \
                          plain HTTP"
                    .into(),
                origin: Some("http://example.com".into()),
                transactions: vec![1, 2],
                evidence: vec![
                    ("scheme".into(), "http".into()),
                    ("authorization".into(), "Bearer s3cr3t".into()),
                ],
                hint: "Serve the origin over HTTPS and redirect http:// to https://.".into(),
            },
            Finding {
                rule: "no-validator".into(),
                severity: Severity::Warning,
                message: "GET https://secure.example.com/account answered 200 without ETag or \
                          Last-Modified"
                    .into(),
                origin: Some("https://secure.example.com".into()),
                transactions: vec![5],
                evidence: vec![("cache-control".into(), "max-age=60".into())],
                hint: "Send ETag or Last-Modified so that clients can revalidate.".into(),
            },
        ]
    }

    /// `http://example.com/old` (id `first`, `offset_ms` after [`T0`]) answered 301 with
    /// `Location: https://example.com/new`, and the request that followed it (id `first + 1`,
    /// 100 ms later, on connection 11) with its [`RedirectLink`].
    pub(crate) fn redirect_pair(first: u64, offset_ms: i64) -> [Transaction; 2] {
        let mut from = get(first, 0, offset_ms);
        from.url = "http://example.com/old".into();
        if let Some(r) = from.request.as_mut() {
            r.target = "/old".into();
            r.headers = vec![Header::new("Host", "example.com")];
        }
        if let Some(r) = from.response.as_mut() {
            r.status = 301;
            r.reason = "Moved Permanently".into();
            r.headers = vec![Header::new("Location", "https://example.com/new")];
            r.body = BodySize::default();
        }
        let mut to = get(first + 1, 0, offset_ms + 100);
        to.connection = ConnectionId(11);
        to.url = "https://example.com/new".into();
        if let Some(r) = to.request.as_mut() {
            r.target = "/new".into();
            r.headers = vec![Header::new("Host", "example.com")];
        }
        to.redirect = Some(RedirectLink {
            from: first,
            hops: 1,
            chain_start: from.start,
        });
        [from, to]
    }
}
