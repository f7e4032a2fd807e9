//! Plain data shared by every httpscope layer.
//!
//! This crate owns the vocabulary the rest of the workspace speaks: timestamps, connection
//! identities, HTTP messages, [`Transaction`]s with their [`Timings`], and the loss/anomaly
//! counters ([`Stats`]) every layer fills in. It holds no protocol logic: only constructors,
//! small conversions, and serde derives, so that every sink serialises the same shapes.
//!
//! Invariants kept by the producers (the engine) and relied upon by the sinks:
//! - every [`Timestamp`] is nanoseconds since the Unix epoch, taken from the capture;
//! - a timing that does not apply is `None` (HAR writes it as `-1`);
//! - sizes are bytes as they crossed the wire unless the field says "decoded".

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;

/// A point in time: nanoseconds since the Unix epoch (UTC), as recorded by the capture.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Builds a timestamp from seconds and nanoseconds since the epoch.
    pub fn from_parts(secs: i64, nanos: u32) -> Self {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(i64::from(nanos)),
        )
    }

    /// Nanoseconds since the epoch.
    pub fn nanos(self) -> i64 {
        self.0
    }

    /// Nanoseconds from `earlier` to `self`, never negative (captures can be slightly
    /// out of order across interfaces; a negative span is reported as zero).
    pub fn since(self, earlier: Timestamp) -> u64 {
        u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0)
    }

    /// ISO 8601 / RFC 3339 text in UTC with millisecond precision, as HAR's
    /// `startedDateTime` wants it (`2009-07-24T19:20:30.045Z`).
    pub fn to_rfc3339_millis(self) -> String {
        let secs = self.0.div_euclid(1_000_000_000);
        let millis = self.0.rem_euclid(1_000_000_000) / 1_000_000;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

/// Converts days since 1970-01-01 to a (year, month, day) civil date (proleptic Gregorian).
/// Howard Hinnant's `civil_from_days` algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Which way bytes travel on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the side that opened the connection (or is believed to have) to its peer.
    ClientToServer,
    /// From the peer back to the client.
    ServerToClient,
}

impl Direction {
    /// The other direction.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }

    /// 0 for client→server, 1 for server→client: an index into per-direction arrays.
    pub fn index(self) -> usize {
        match self {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        }
    }
}

/// Identifies one TCP connection within one analysis, numbered from 1 in order of first packet;
/// [`ConnectionId::NONE`] (0) stands for no connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnectionId(pub u64);

impl ConnectionId {
    /// The connection of a transaction that never had one: a failed name lookup.
    pub const NONE: ConnectionId = ConnectionId(0);
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The TCP three-way handshake as seen in the capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handshake {
    /// The client's SYN.
    pub syn: Option<Timestamp>,
    /// The server's SYN-ACK.
    pub syn_ack: Option<Timestamp>,
    /// The client's ACK of the SYN-ACK (the connection is established).
    pub ack: Option<Timestamp>,
}

impl Handshake {
    /// HAR's `connect`: from SYN to the client's ACK (or to the SYN-ACK when the ACK was not
    /// captured). `None` unless both ends of the span are in the capture.
    pub fn connect_nanos(&self) -> Option<u64> {
        let start = self.syn?;
        let end = self.ack.or(self.syn_ack)?;
        Some(end.since(start))
    }
}

/// One HTTP header as it appeared on the wire. Bytes that are not UTF-8 are replaced
/// (U+FFFD) so that every sink can write text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The field name, with its original case.
    pub name: String,
    /// The field value, with surrounding whitespace removed.
    pub value: String,
}

impl Header {
    /// Builds a header from name and value text.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// Finds the first header named `name` (ASCII case-insensitive) in `headers`.
pub fn header_value<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Sizes of one message body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodySize {
    /// Bytes of the body on the wire, including chunked framing and trailers.
    pub wire: u64,
    /// Bytes of payload after removing the transfer coding (chunk framing), before content
    /// decoding: what `Content-Length` would have said.
    pub encoded: u64,
    /// Bytes after removing the content coding (gzip, deflate, br, zstd); `None` when the
    /// body is not content-coded, when the coding is unknown, or when decoding failed
    /// (see the transaction's incomplete reasons).
    pub decoded: Option<u64>,
}

/// An HTTP request as parsed from the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The method token (`GET`, `POST`, ...).
    pub method: String,
    /// The request target exactly as sent (`/path?q`, `http://host/x`, `host:443`, `*`).
    pub target: String,
    /// `HTTP/1.1`, `HTTP/1.0`.
    pub version: String,
    /// Header fields in order.
    pub headers: Vec<Header>,
    /// Trailer fields of a chunked body.
    pub trailers: Vec<Header>,
    /// Bytes of the request line and header section, including the final empty line.
    pub header_bytes: u64,
    /// Body sizes.
    pub body: BodySize,
}

/// An HTTP response as parsed from the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// `HTTP/1.1`, `HTTP/1.0`.
    pub version: String,
    /// Header fields of the final response, in order.
    pub headers: Vec<Header>,
    /// Trailer fields of a chunked body.
    pub trailers: Vec<Header>,
    /// Bytes of the final response's status line and header section.
    pub header_bytes: u64,
    /// Interim (1xx) responses that came before the final one, with their header bytes.
    pub interim: Vec<Interim>,
    /// Body sizes.
    pub body: BodySize,
}

/// An interim (1xx) response such as `100 Continue`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interim {
    /// The 1xx status code.
    pub status: u16,
    /// Bytes of its status line and headers.
    pub header_bytes: u64,
    /// When its first byte was seen.
    pub at: Timestamp,
}

/// Where each message's bytes were first and last seen. The engine derives [`Timings`]
/// from these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTimes {
    /// The packet carrying the first byte of the request.
    pub request_start: Option<Timestamp>,
    /// The packet carrying the last byte of the request.
    pub request_end: Option<Timestamp>,
    /// The packet carrying the first byte of the response (interim responses included).
    pub response_start: Option<Timestamp>,
    /// The packet carrying the last byte of the response.
    pub response_end: Option<Timestamp>,
}

/// Phase durations in nanoseconds, in HAR's sense. `None` means "does not apply or was not
/// observed" and is written `-1` in HAR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// Waiting in a queue before the connection could be used.
    pub blocked: Option<u64>,
    /// Name resolution.
    pub dns: Option<u64>,
    /// TCP connection set-up (including TLS when present, as in HAR).
    pub connect: Option<u64>,
    /// TLS handshake (part of `connect`).
    pub ssl: Option<u64>,
    /// Sending the request.
    pub send: Option<u64>,
    /// Waiting for the first byte of the response.
    pub wait: Option<u64>,
    /// Receiving the response.
    pub receive: Option<u64>,
}

impl Timings {
    /// HAR's `entry.time`: the sum of every applicable phase except `ssl`, which is already
    /// inside `connect`.
    pub fn total(&self) -> u64 {
        [
            self.blocked,
            self.dns,
            self.connect,
            self.send,
            self.wait,
            self.receive,
        ]
        .into_iter()
        .flatten()
        .sum()
    }
}

/// Why a transaction is not a complete request/response pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncompleteReason {
    /// Bytes of the request were missing from the capture.
    RequestGap,
    /// Bytes of the response were missing from the capture.
    ResponseGap,
    /// The capture ended (or the connection closed) before the request was complete.
    RequestTruncated,
    /// The capture ended (or the connection closed) before the response was complete.
    ResponseTruncated,
    /// No response was seen for this request.
    NoResponse,
    /// A response was seen without its request (capture began mid-connection or the
    /// request was lost).
    NoRequest,
    /// The message could not be parsed; parsing resumed at the next message start.
    Malformed,
    /// The content coding could not be decoded, so the decoded size is unknown.
    DecodeFailed,
    /// The connection was reset during the exchange.
    Reset,
    /// Packets were cut short by the capture's snap length.
    Snapped,
    /// The live capture lost packets of this connection (its kernel ring buffer was full, or
    /// the connection's payload was cut to headers to keep the buffer fair to others).
    CaptureLoss,
    /// The name lookup before the request failed (NXDOMAIN, SERVFAIL, REFUSED, another error
    /// code, or no answer in time) and no connection followed: no request was sent.
    DnsFailed,
    /// The TLS handshake did not complete (a fatal alert, or the connection closed or the
    /// capture ended during it), or the session ended in a fatal alert before any request.
    TlsHandshake,
}

/// One reason with human-readable detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incomplete {
    /// The machine-readable reason.
    pub reason: IncompleteReason,
    /// What exactly happened, for people (`"4380 bytes missing at response offset 1200"`).
    pub detail: String,
}

/// A connection that stopped carrying HTTP because it was switched to another protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Tunnel {
    /// `CONNECT host:port` answered 2xx.
    Connect,
    /// `101 Switching Protocols` to the named protocol (`websocket`, `h2c`, ...).
    Upgrade {
        /// The `Upgrade` header of the response.
        protocol: String,
    },
}

/// One HTTP request and its response: the unit every output shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Sequence number within this analysis, from 1, in order of emission (a transaction is emitted when its exchange completes).
    pub id: u64,
    /// The connection that carried it; [`ConnectionId::NONE`] for a failed name lookup that
    /// no connection followed.
    pub connection: ConnectionId,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address; for a failed name lookup, the DNS server asked.
    pub server: SocketAddr,
    /// 0 for the first request on its connection; `> 0` means the connection was reused.
    pub position: u32,
    /// When the transaction began: the SYN for the first request of a connection whose
    /// handshake is in the capture, otherwise the request's first byte (or the response's,
    /// when the request is missing).
    pub start: Timestamp,
    /// `HTTP/1.1`, `HTTP/1.0`.
    pub protocol: String,
    /// The URL reconstructed from the target and the Host header (`http://host:port/path`).
    /// Attempts that sent no request name what they were for: `https://sni[:port]` for a
    /// failed TLS handshake, `http(s)://address:port` for a failed TCP connection attempt,
    /// `dns:name` (RFC 4501) for a failed name lookup.
    pub url: String,
    /// The request, when it was seen.
    pub request: Option<Request>,
    /// The response, when it was seen.
    pub response: Option<Response>,
    /// Where the messages were seen.
    pub times: MessageTimes,
    /// Phase durations.
    pub timings: Timings,
    /// Set when the exchange switched the connection to another protocol.
    pub tunnel: Option<Tunnel>,
    /// The TLS session the exchange travelled in (as known when it completed); `None` for
    /// plain HTTP.
    pub tls: Option<TlsInfo>,
    /// The HTTP/2 stream that carried it.
    pub stream: Option<u32>,
    /// The name lookup that preceded the connection (first request of a connection only):
    /// the source of the `dns` phase.
    pub dns: Option<DnsLookup>,
    /// Set when this request followed a redirect (a 3xx whose Location is this URL).
    pub redirect: Option<RedirectLink>,
    /// Ids of the finding rules that fired on this transaction.
    pub findings: Vec<String>,
    /// gRPC facts, when the exchange is a gRPC call.
    pub grpc: Option<Grpc>,
    /// Empty when complete; otherwise every reason it is not.
    pub incomplete: Vec<Incomplete>,
    /// The process that owned the client socket, when the capture knows it (live recording,
    /// or a pcapng written by one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    /// Where the content came from when it was not read from captured packets: the TLS
    /// library whose calls were probed (`OpenSSL probe (libssl.so.3)`, ...). `None` for
    /// content read from packets (in clear, or decrypted with keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A process that sent or received traffic, as seen when its socket was first attributed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Process {
    /// Process id (thread group id) in the initial PID namespace.
    pub pid: u32,
    /// Parent process id, when it was known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppid: Option<u32>,
    /// Real user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// The kernel's short name of the process (`comm`, at most 15 bytes).
    pub comm: String,
    /// The executable's path (`/proc/PID/exe`), when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    /// The command line, one element per argument (empty when it could not be read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmdline: Vec<String>,
    /// The cgroup v2 path of the process (`/user.slice/...`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<String>,
    /// The container id found in the cgroup path (docker, containerd, podman, cri-o), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

impl Process {
    /// `comm[pid]`, the short form used in tables.
    pub fn label(&self) -> String {
        format!("{}[{}]", self.comm, self.pid)
    }

    /// The command line joined by spaces, or the executable, or `comm`.
    pub fn command(&self) -> String {
        if !self.cmdline.is_empty() {
            self.cmdline.join(" ")
        } else if let Some(exe) = &self.exe {
            exe.clone()
        } else {
            self.comm.clone()
        }
    }
}

impl Transaction {
    /// Whether the connection had carried earlier requests.
    pub fn reused(&self) -> bool {
        self.position > 0
    }

    /// The request method, or `""` when the request was not seen.
    pub fn method(&self) -> &str {
        self.request.as_ref().map_or("", |r| r.method.as_str())
    }

    /// The status code, or 0 when there was no response.
    pub fn status(&self) -> u16 {
        self.response.as_ref().map_or(0, |r| r.status)
    }

    /// Bytes of the request on the wire (headers and body).
    pub fn request_wire_bytes(&self) -> u64 {
        self.request
            .as_ref()
            .map_or(0, |r| r.header_bytes + r.body.wire)
    }

    /// Bytes of the response on the wire (interim responses, headers and body).
    pub fn response_wire_bytes(&self) -> u64 {
        self.response.as_ref().map_or(0, |r| {
            r.header_bytes + r.body.wire + r.interim.iter().map(|i| i.header_bytes).sum::<u64>()
        })
    }

    /// The response body size after content decoding, falling back to the encoded size.
    pub fn response_decoded_bytes(&self) -> u64 {
        self.response
            .as_ref()
            .map_or(0, |r| r.body.decoded.unwrap_or(r.body.encoded))
    }

    /// The `host[:port]` the request was for: the Host header, else the server address.
    pub fn host(&self) -> String {
        self.request
            .as_ref()
            .and_then(|r| header_value(&r.headers, "host"))
            .map(str::to_owned)
            .unwrap_or_else(|| self.server.to_string())
    }
}

/// What httpscope learnt about the TLS session of a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// Negotiated version (`TLS 1.3`, `TLS 1.2`, ...), from the ServerHello.
    pub version: Option<String>,
    /// Negotiated cipher suite by its IANA name (`TLS_AES_128_GCM_SHA256`), or `0x1234`.
    pub cipher_suite: Option<String>,
    /// Server Name Indication sent by the client.
    pub sni: Option<String>,
    /// Protocols the client offered with ALPN, in order.
    pub alpn_offered: Vec<String>,
    /// The protocol the server selected with ALPN.
    pub alpn: Option<String>,
    /// The session was resumed (TLS 1.3 PSK, or a TLS 1.2 session id/ticket the server
    /// accepted) rather than a full handshake.
    pub resumed: bool,
    /// The client offered 0-RTT early data.
    pub early_data_offered: bool,
    /// The server answered with a HelloRetryRequest.
    pub hello_retry: bool,
    /// When the ClientHello was seen.
    pub handshake_start: Option<Timestamp>,
    /// When the handshake ended: the client's Finished (or, when it cannot be seen, the
    /// first application data record).
    pub handshake_end: Option<Timestamp>,
    /// The server's certificate chain as sent (leaf first), when visible.
    pub certificates: Vec<CertificateInfo>,
    /// Alerts seen, in order.
    pub alerts: Vec<TlsAlert>,
    /// Whether the traffic could be read.
    pub decryption: Decryption,
    /// Records seen, client→server and server→client.
    pub records: [u64; 2],
    /// Bytes of records (headers included), client→server and server→client.
    pub record_bytes: [u64; 2],
    /// When the first application data record was seen.
    pub first_application_data: Option<Timestamp>,
    /// Malformed records or handshake messages seen (decryption failures are counted in
    /// [`Decryption::Failed`]).
    pub errors: u64,
    /// The first of those errors.
    pub first_error: Option<String>,
}

/// Facts of one X.509 certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// Subject distinguished name (`CN=example.com, O=Example`).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject alternative names (DNS names and IP addresses).
    pub san: Vec<String>,
    /// Start of validity.
    pub not_before: Option<Timestamp>,
    /// End of validity.
    pub not_after: Option<Timestamp>,
}

/// A TLS alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsAlert {
    /// When it was seen.
    pub at: Timestamp,
    /// Who sent it.
    pub from: Direction,
    /// `fatal` or `warning`; `encrypted` when it could not be read.
    pub level: String,
    /// The description (`handshake_failure`, `close_notify`, ...).
    pub description: String,
}

/// Whether a TLS connection's content could be read, and if not, why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Decryption {
    /// Not known yet (no encrypted record seen).
    #[default]
    Pending,
    /// Decrypted with keys from a key log.
    Decrypted,
    /// No key log entry for this session's client random.
    NoKeys,
    /// The negotiated cipher suite cannot be decrypted by httpscope.
    Unsupported {
        /// The suite's name.
        suite: String,
    },
    /// Keys were found but records failed to decrypt or parse.
    Failed {
        /// Records that failed.
        records: u64,
        /// The first failure.
        detail: String,
    },
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Should be fixed.
    Warning,
    /// Broken or unsafe.
    Error,
}

/// A problem seen in the traffic, with its evidence and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's stable id (`no-validator`, `insecure-http`, ...).
    pub rule: String,
    /// How serious it is.
    pub severity: Severity,
    /// What was seen, in one sentence with the numbers (`GET http://a/x answered 200 without
    /// ETag or Last-Modified`).
    pub message: String,
    /// The origin (`scheme://host[:port]`) it concerns, when there is one.
    pub origin: Option<String>,
    /// The transactions it concerns (ids).
    pub transactions: Vec<u64>,
    /// The facts behind it: header values, numbers, thresholds (`"max-age": "60"`).
    pub evidence: Vec<(String, String)>,
    /// One line on how to fix it.
    pub hint: String,
}

/// This request followed a redirect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectLink {
    /// The transaction whose 3xx response pointed here.
    pub from: u64,
    /// Redirects so far in the chain (1 for the first hop).
    pub hops: u32,
    /// When the chain's first request started: the chain's cost is this transaction's end
    /// minus this.
    pub chain_start: Timestamp,
}

/// One DNS lookup: a question and its outcome, retries folded in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsLookup {
    /// The querier's address (of the first attempt).
    pub client: SocketAddr,
    /// The server that answered, else the one last asked.
    pub server: SocketAddr,
    /// The name asked about: lowercase, no trailing dot.
    pub name: String,
    /// The question type (`A`, `AAAA`, `HTTPS`, `TYPE123`).
    pub qtype: String,
    /// The first attempt.
    pub start: Timestamp,
    /// The response; `None` when none was seen.
    pub end: Option<Timestamp>,
    /// Queries sent (1 plus the retries).
    pub attempts: u32,
    /// The response code (`NOERROR`, `NXDOMAIN`, ...), when a response was seen.
    pub rcode: Option<String>,
    /// The answer section as `TYPE data` text: `A 127.0.0.1`, `CNAME x.test`,
    /// `HTTPS 1 . alpn=h2`.
    pub answers: Vec<String>,
    /// The A/AAAA addresses of the name asked about, following CNAMEs in the answer.
    pub addresses: Vec<std::net::IpAddr>,
    /// The smallest TTL of the answer section, in seconds.
    pub min_ttl: Option<u32>,
    /// How it ended.
    pub outcome: DnsOutcome,
}

/// How a DNS lookup ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsOutcome {
    /// NOERROR (with or without answers).
    Answered,
    /// NXDOMAIN: the name does not exist.
    #[serde(rename = "nxdomain")]
    NxDomain,
    /// SERVFAIL.
    #[serde(rename = "servfail")]
    ServFail,
    /// REFUSED: the server will not answer this client or name.
    Refused,
    /// Any other response code.
    OtherError,
    /// No response within the timeout.
    TimedOut,
    /// The capture ended (or the lookup was evicted) before the response or the timeout.
    NoAnswerSeen,
}

/// DNS counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsStats {
    /// Messages given to the tracker.
    pub messages: u64,
    /// Messages that could not be decoded (ignored).
    pub malformed: u64,
    /// The last decoding error.
    pub last_error: Option<String>,
    /// Standard queries seen.
    pub queries: u64,
    /// Standard responses seen.
    pub responses: u64,
    /// Responses that matched no pending query (duplicates, or their query was not captured).
    pub unmatched_responses: u64,
    /// Lookups that timed out.
    pub timeouts: u64,
    /// Queries folded into an earlier one as retries.
    pub retries: u64,
    /// Lookups emitted early (as no answer seen) because too many were pending.
    pub evicted: u64,
}

/// A gRPC call (HTTP/2 with `content-type: application/grpc`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grpc {
    /// The service, from the path `/package.Service/Method`.
    pub service: String,
    /// The method.
    pub method: String,
    /// `grpc-status` from the trailers (or a trailers-only response's headers).
    pub status: Option<u32>,
    /// `grpc-message`, percent-decoded.
    pub message: Option<String>,
    /// Length-prefixed messages sent by the client and by the server.
    pub messages: [u64; 2],
}

/// What an HTTP/2 connection did as a whole.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Http2Info {
    /// Streams opened (requests, including pushed ones).
    pub streams: u64,
    /// Most streams in flight at once.
    pub max_concurrent: u64,
    /// Mean streams in flight, weighted by time, while at least one was open.
    pub mean_concurrent: f64,
    /// Times a sender had data to send but a flow-control window was exhausted (a DATA
    /// frame that used the last of a window, followed by a wait for WINDOW_UPDATE).
    pub flow_control_stalls: u64,
    /// RST_STREAM frames, and the last error code seen.
    pub resets: u64,
    /// GOAWAY received: the last stream id and error code name.
    pub goaway: Option<String>,
    /// PUSH_PROMISE frames.
    pub pushes: u64,
    /// Header blocks that could not be decoded (capture started mid-connection, a gap, or
    /// an HPACK error): from then on that direction's headers are out of sync.
    pub header_errors: u64,
    /// SETTINGS each side announced, as `NAME=value`.
    pub settings: [Vec<String>; 2],
}

/// A TCP connection that carried TLS or HTTP/2, reported when it closes: how much went each
/// way and what is known of its session and streams, whether or not its content could be
/// read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// The connection.
    pub id: ConnectionId,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// First packet (the SYN when captured).
    pub start: Timestamp,
    /// Last packet.
    pub end: Timestamp,
    /// TCP payload bytes client→server and server→client.
    pub bytes: [u64; 2],
    /// Transactions read from it (a failed TLS handshake is one, without request).
    pub transactions: u64,
    /// Its TLS session, if it was TLS.
    pub tls: Option<TlsInfo>,
    /// HTTP/2 facts, if it spoke HTTP/2.
    pub http2: Option<Http2Info>,
    /// The process that owned the client socket, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
}

/// Counters of everything that was skipped, lost or malformed, per layer. Every loss the
/// tool knows about is counted here and shown in the reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Capture file reading.
    pub capture: CaptureStats,
    /// Link, network and transport decoding.
    pub decode: DecodeStats,
    /// TCP reassembly.
    pub tcp: TcpStats,
    /// HTTP parsing.
    pub http: HttpStats,
    /// TLS sessions and keys.
    pub tls: TlsStats,
    /// DNS messages and lookups.
    pub dns: DnsStats,
}

/// TLS counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsStats {
    /// Connections recognised as TLS.
    pub connections: u64,
    /// Connections whose records were decrypted.
    pub decrypted: u64,
    /// Connections without keys in the key log.
    pub no_keys: u64,
    /// Connections with a cipher suite httpscope cannot decrypt.
    pub unsupported: u64,
    /// Connections with records that failed to decrypt.
    pub failed: u64,
    /// Malformed records or handshake messages.
    pub errors: u64,
    /// Key log lines read (files and capture-embedded secrets).
    pub keylog_lines: u64,
    /// Sessions with secrets in the key log.
    pub keylog_sessions: u64,
    /// Key log lines that could not be parsed, with the last error.
    pub keylog_malformed: u64,
    /// The last key log error.
    pub keylog_error: Option<String>,
}

/// Capture file counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureStats {
    /// Packets read.
    pub packets: u64,
    /// Bytes of packet data read (captured lengths).
    pub packet_bytes: u64,
    /// Bytes of the file consumed.
    pub file_bytes: u64,
    /// Packets whose captured length is shorter than their original length.
    pub snapped_packets: u64,
    /// Bytes not captured because of the snap length.
    pub snapped_bytes: u64,
    /// Packets the capture itself reports as dropped (pcapng ISB `isb_ifdrop`/`isb_osdrop`).
    pub dropped_by_capture: u64,
    /// Set when the file ended in the middle of a record (the tail was skipped).
    pub truncated_tail: Option<String>,
}

/// Packet decoding counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodeStats {
    /// TCP segments decoded.
    pub tcp_segments: u64,
    /// UDP datagrams decoded (not analysed yet).
    pub udp_datagrams: u64,
    /// Packets that were not IPv4/IPv6 (ARP, LLDP, ...).
    pub non_ip: u64,
    /// IP packets carrying neither TCP nor UDP (ICMP, ...).
    pub other_transport: u64,
    /// IPv4 fragments (not reassembled).
    pub ipv4_fragments: u64,
    /// Packets on a link type httpscope does not decode.
    pub unknown_link_type: u64,
    /// Packets too short or inconsistent to decode, with the last error seen.
    pub malformed: u64,
    /// A sample of the last decoding error.
    pub last_error: Option<String>,
}

/// TCP reassembly counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpStats {
    /// Connections seen.
    pub connections: u64,
    /// Connections whose handshake was not in the capture.
    pub mid_stream: u64,
    /// Segments that repeated bytes already delivered (retransmissions, overlaps), and
    /// repeated bare SYN, SYN-ACK or FIN segments.
    pub retransmitted_segments: u64,
    /// Segments that arrived ahead of a hole and were buffered.
    pub out_of_order_segments: u64,
    /// Holes in a byte stream that were never filled (capture loss).
    pub gaps: u64,
    /// Bytes missing in those holes.
    pub gap_bytes: u64,
    /// Bytes of holes given up early because a connection's out-of-order buffer was full
    /// (also counted in `gaps`/`gap_bytes`; if they arrive later they are dropped as old).
    pub overflow_bytes: u64,
    /// Connections reset.
    pub resets: u64,
}

/// HTTP parsing counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpStats {
    /// Connections recognised as HTTP/1.x.
    pub connections: u64,
    /// Transactions produced.
    pub transactions: u64,
    /// Transactions with at least one incomplete reason.
    pub incomplete: u64,
    /// Times a parser skipped bytes to find the next message start.
    pub resyncs: u64,
    /// Bytes skipped while resynchronising.
    pub skipped_bytes: u64,
    /// Connections switched to another protocol (CONNECT, Upgrade).
    pub tunnels: u64,
    /// TCP connections with payload that was not recognised as HTTP.
    pub other_connections: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_epoch_and_leap_day() {
        assert_eq!(Timestamp(0).to_rfc3339_millis(), "1970-01-01T00:00:00.000Z");
        // 2024-02-29T12:34:56.789Z
        let t = Timestamp::from_parts(1_709_210_096, 789_000_000);
        assert_eq!(t.to_rfc3339_millis(), "2024-02-29T12:34:56.789Z");
        // Before the epoch.
        assert_eq!(
            Timestamp(-1_000_000).to_rfc3339_millis(),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn since_never_negative() {
        assert_eq!(Timestamp(5).since(Timestamp(9)), 0);
        assert_eq!(Timestamp(9).since(Timestamp(5)), 4);
    }

    #[test]
    fn timings_total_excludes_ssl_and_missing() {
        let t = Timings {
            blocked: None,
            dns: Some(1),
            connect: Some(10),
            ssl: Some(7),
            send: Some(2),
            wait: Some(30),
            receive: None,
        };
        assert_eq!(t.total(), 43);
    }

    #[test]
    fn connect_needs_both_ends() {
        let mut h = Handshake {
            syn: Some(Timestamp(100)),
            ..Default::default()
        };
        assert_eq!(h.connect_nanos(), None);
        h.syn_ack = Some(Timestamp(150));
        assert_eq!(h.connect_nanos(), Some(50));
        h.ack = Some(Timestamp(160));
        assert_eq!(h.connect_nanos(), Some(60));
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let hs = vec![
            Header::new("Content-Type", "text/html"),
            Header::new("HOST", "a"),
        ];
        assert_eq!(header_value(&hs, "host"), Some("a"));
        assert_eq!(header_value(&hs, "content-type"), Some("text/html"));
        assert_eq!(header_value(&hs, "etag"), None);
    }
}
