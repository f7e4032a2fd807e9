//! HAR 1.2 (HTTP Archive), the format browsers' devtools import and export.
//!
//! This module owns [`HarWriter`] and the mapping from [`model::Transaction`] to a HAR entry,
//! following <http://www.softwareishard.com/blog/har-12-spec/>:
//! - `time` is [`model::Timings::total`] in milliseconds, so it equals the sum of the entry's
//!   timings that are not `-1`, excluding `ssl` (which HAR counts inside `connect`);
//! - `blocked`, `dns`, `connect`, `ssl` are `-1` when they do not apply; `send`, `wait` and
//!   `receive` are required non-negative, so a missing one is `0`;
//! - sizes are integers; `-1` means unknown (no such message);
//! - `response.bodySize` is the payload as transferred (after removing chunked framing, before
//!   content decoding) and `content.size` the decoded size; `compression` is their difference
//!   when positive; `_transferSize` (as Chrome writes it) is every response byte on the wire;
//! - bodies are not captured: `postData.text` is empty and says so in its `comment`, and
//!   `content` has no `text`;
//! - a transaction without a response has status 0, empty texts and sizes -1; one without a
//!   request has an empty method (a failed attempt: its `url` is `https://SNI[:port]` for a
//!   failed TLS handshake, `dns:NAME` for a failed name lookup, which has no `connection` and
//!   whose `serverIPAddress` is the DNS server's);
//! - `ssl` is the TLS handshake ([`model::Timings::ssl`]), `-1` for plain HTTP; it is part of
//!   `connect` and therefore not added again to `time`;
//! - custom fields start with `_`: `_id`, `_position`, `_reused`, `_client`, `_tunnel` (when the
//!   connection switched protocols), `_incomplete` (when not complete), `_trailers`;
//!   HTTPS entries (a TLS session, or an `https:` URL) whose handshake did not fail carry
//!   `_securityState: "secure"` as
//!   Chrome writes it, and entries with TLS facts a `_tls` object: `version`, `cipher_suite`,
//!   `sni`, `alpn`, `resumed`, `decryption` (`{"state": ...}` as in the JSON formats),
//!   `handshake_ms` (`null` when unknown) and `certificates` (leaf first: `subject`, `issuer`,
//!   `not_after` as RFC 3339 text, `san`);
//! - HTTP/2 entries write `httpVersion` `"http/2.0"` in the request and the response, as
//!   Chrome's DevTools export does (its `NetworkRequest.filteredProtocolName()` maps the
//!   protocol `h2` to `http/2.0` when there is no header text, which is always the case for
//!   HTTP/2), and carry `_stream` (the stream id); gRPC calls carry `_grpc` (`service`,
//!   `method`, `status`, `message`, `messages` as `[client→server, server→client]`);
//! - an entry on which finding rules fired carries `_findings`, their rule ids (from
//!   [`model::Transaction::findings`]);
//! - an entry whose process is known (live recordings) carries `_process` as the JSON formats
//!   write [`model::Process`] (`pid`, `ppid`, `uid`, `comm`, `exe`, `cmdline` with credentials
//!   redacted unless secrets are shown, `cgroup`, `container`), and one whose content came from
//!   TLS library probes rather than packets `_source` (`"OpenSSL probe"`, ...);
//! - a request that followed a redirect carries `_redirectFrom`, the `_id` of the entry whose
//!   3xx response pointed to it (that entry's `response.redirectURL` is the `Location`);
//! - the log carries `_connections`, the TLS or HTTP/2 connections (h2c included) that yielded
//!   no transaction (typically traffic that could not be decrypted, or HTTP/2 joined
//!   mid-connection), each as the JSON formats write a connection record; `_dns`, every DNS
//!   lookup (HAR has no place for lookups: their duration is already each first entry's
//!   `timings.dns`) as the JSON formats write one, in order of arrival, at most
//!   [`MAX_HAR_DNS`]; `_dnsDropped`, the number of lookups left out beyond that bound;
//!   `_findings`, every [`model::Finding`] of the report as the JSON formats write one; and
//!   `_httpscope` with the [`Report`] (stats, summary with its per-origin table, warnings; the
//!   findings are in `_findings` only).
//!
//! The writer streams entries: the log header goes out before the first entry, each entry as it
//! comes (one per line), and [`Sink::finish`] closes the array and the objects. The records of
//! connections without transactions and the first [`MAX_HAR_DNS`] lookups are held in memory
//! until [`Sink::finish`], because `_connections` and `_dns` follow the entries; records of
//! connections that carried transactions are not kept (their facts are in each entry's
//! `_tls`).

use crate::json::{handshake_nanos, ConnectionOut, DnsOut};
use crate::redact::{prepare, prepare_report};
use crate::{is_http2, millis, RenderOptions, Report, Sink, MAX_HAR_DNS};
use model::{
    header_value, ConnectionId, ConnectionRecord, Decryption, DnsLookup, Grpc, Header, Incomplete,
    IncompleteReason, Timestamp, TlsInfo, Transaction, Tunnel,
};
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};

/// A name/value pair (headers, query parameters).
#[derive(Debug, Serialize)]
struct NameValue<'a> {
    name: Cow<'a, str>,
    value: Cow<'a, str>,
}

/// A cookie; request cookies have only a name and a value.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Cookie<'a> {
    name: &'a str,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secure: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PostData<'a> {
    mime_type: &'a str,
    text: &'static str,
    comment: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct HarRequest<'a> {
    method: &'a str,
    url: &'a str,
    http_version: &'a str,
    cookies: Vec<Cookie<'a>>,
    headers: Vec<NameValue<'a>>,
    query_string: Vec<NameValue<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_data: Option<PostData<'a>>,
    headers_size: i64,
    body_size: i64,
    #[serde(rename = "_trailers", skip_serializing_if = "Vec::is_empty")]
    trailers: Vec<NameValue<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Content<'a> {
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    compression: Option<u64>,
    mime_type: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct HarResponse<'a> {
    status: u16,
    status_text: &'a str,
    http_version: &'a str,
    cookies: Vec<Cookie<'a>>,
    headers: Vec<NameValue<'a>>,
    content: Content<'a>,
    #[serde(rename = "redirectURL")]
    redirect_url: &'a str,
    headers_size: i64,
    body_size: i64,
    #[serde(rename = "_transferSize", skip_serializing_if = "Option::is_none")]
    transfer_size: Option<u64>,
    #[serde(rename = "_trailers", skip_serializing_if = "Vec::is_empty")]
    trailers: Vec<NameValue<'a>>,
}

/// HAR wants an object here; httpscope knows nothing about caches yet.
#[derive(Debug, Serialize)]
struct Cache {}

#[derive(Debug, Serialize)]
struct HarTimings {
    blocked: f64,
    dns: f64,
    connect: f64,
    ssl: f64,
    send: f64,
    wait: f64,
    receive: f64,
}

/// One certificate of `_tls.certificates`.
#[derive(Debug, Serialize)]
struct HarCertificate<'a> {
    subject: &'a str,
    issuer: &'a str,
    not_after: Option<String>,
    san: &'a [String],
}

/// An entry's `_tls`.
#[derive(Debug, Serialize)]
struct HarTls<'a> {
    version: Option<&'a str>,
    cipher_suite: Option<&'a str>,
    sni: Option<&'a str>,
    alpn: Option<&'a str>,
    resumed: bool,
    decryption: &'a Decryption,
    handshake_ms: Option<f64>,
    certificates: Vec<HarCertificate<'a>>,
}

impl<'a> HarTls<'a> {
    fn new(tls: &'a TlsInfo) -> Self {
        HarTls {
            version: tls.version.as_deref(),
            cipher_suite: tls.cipher_suite.as_deref(),
            sni: tls.sni.as_deref(),
            alpn: tls.alpn.as_deref(),
            resumed: tls.resumed,
            decryption: &tls.decryption,
            handshake_ms: handshake_nanos(tls).map(millis),
            certificates: tls
                .certificates
                .iter()
                .map(|c| HarCertificate {
                    subject: &c.subject,
                    issuer: &c.issuer,
                    not_after: c.not_after.map(Timestamp::to_rfc3339_millis),
                    san: &c.san,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    started_date_time: String,
    time: f64,
    request: HarRequest<'a>,
    response: HarResponse<'a>,
    cache: Cache,
    timings: HarTimings,
    #[serde(rename = "serverIPAddress")]
    server_ip_address: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    connection: String,
    #[serde(rename = "_id")]
    id: u64,
    #[serde(rename = "_position")]
    position: u32,
    #[serde(rename = "_reused")]
    reused: bool,
    #[serde(rename = "_client")]
    client: String,
    #[serde(rename = "_tunnel", skip_serializing_if = "Option::is_none")]
    tunnel: Option<&'a Tunnel>,
    #[serde(rename = "_incomplete", skip_serializing_if = "<[_]>::is_empty")]
    incomplete: &'a [Incomplete],
    #[serde(rename = "_securityState", skip_serializing_if = "Option::is_none")]
    security_state: Option<&'static str>,
    #[serde(rename = "_tls", skip_serializing_if = "Option::is_none")]
    tls: Option<HarTls<'a>>,
    #[serde(rename = "_stream", skip_serializing_if = "Option::is_none")]
    stream: Option<u32>,
    #[serde(rename = "_grpc", skip_serializing_if = "Option::is_none")]
    grpc: Option<&'a Grpc>,
    #[serde(rename = "_redirectFrom", skip_serializing_if = "Option::is_none")]
    redirect_from: Option<u64>,
    #[serde(rename = "_findings", skip_serializing_if = "<[_]>::is_empty")]
    findings: &'a [String],
    #[serde(rename = "_process", skip_serializing_if = "Option::is_none")]
    process: Option<&'a model::Process>,
    #[serde(rename = "_source", skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
}

/// What Chrome writes as `httpVersion` for HTTP/2.
const HTTP2_VERSION: &str = "http/2.0";

/// Whether `t` travelled over TLS: it has TLS facts or an `https:` URL.
fn is_https(t: &Transaction) -> bool {
    t.tls.is_some()
        || t.url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// Whether `t` is a TLS handshake that failed: it never became secure.
fn handshake_failed(t: &Transaction) -> bool {
    t.incomplete
        .iter()
        .any(|i| i.reason == IncompleteReason::TlsHandshake)
}

/// A byte count as a HAR integer.
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn headers(hs: &[Header]) -> Vec<NameValue<'_>> {
    hs.iter()
        .map(|h| NameValue {
            name: Cow::Borrowed(&h.name),
            value: Cow::Borrowed(&h.value),
        })
        .collect()
}

/// Undoes `application/x-www-form-urlencoded` escaping: `+` is a space, `%XX` a byte.
/// Invalid escapes stay as they are; bytes that are not UTF-8 become U+FFFD.
fn form_decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['+', '%']) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|c| char::from(*c).to_digit(16));
        match b {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(hi), Some(lo)) => {
                    out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            _ => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// The query parameters of `url`, decoded.
fn query_string(url: &str) -> Vec<NameValue<'_>> {
    let without_fragment = url.split('#').next().unwrap_or("");
    let Some((_, query)) = without_fragment.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            NameValue {
                name: form_decode(name),
                value: form_decode(value),
            }
        })
        .collect()
}

/// The cookies of every `Cookie` header.
fn request_cookies(hs: &[Header]) -> Vec<Cookie<'_>> {
    hs.iter()
        .filter(|h| h.name.eq_ignore_ascii_case("cookie"))
        .flat_map(|h| h.value.split(';'))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            Cookie {
                name: name.trim(),
                value: value.trim(),
                ..Cookie::default()
            }
        })
        .collect()
}

/// The cookie of each `Set-Cookie` header (RFC 6265 section 5.2). `now` turns `Max-Age`
/// into an expiry time; `Max-Age` wins over `Expires`.
fn response_cookies(hs: &[Header], now: Timestamp) -> Vec<Cookie<'_>> {
    hs.iter()
        .filter(|h| h.name.eq_ignore_ascii_case("set-cookie"))
        .map(|h| {
            let mut parts = h.value.split(';');
            let pair = parts.next().unwrap_or("");
            let (name, value) = pair.split_once('=').unwrap_or(("", pair));
            let mut c = Cookie {
                name: name.trim(),
                value: value.trim(),
                http_only: Some(false),
                secure: Some(false),
                ..Cookie::default()
            };
            let mut max_age = None;
            for attr in parts {
                let (key, val) = attr.split_once('=').unwrap_or((attr, ""));
                let (key, val) = (key.trim(), val.trim());
                if key.eq_ignore_ascii_case("path") {
                    c.path = Some(val);
                } else if key.eq_ignore_ascii_case("domain") {
                    c.domain = Some(val);
                } else if key.eq_ignore_ascii_case("expires") {
                    c.expires = cookie_date(val).map(Timestamp::to_rfc3339_millis);
                } else if key.eq_ignore_ascii_case("max-age") {
                    max_age = val.parse::<i64>().ok();
                } else if key.eq_ignore_ascii_case("httponly") {
                    c.http_only = Some(true);
                } else if key.eq_ignore_ascii_case("secure") {
                    c.secure = Some(true);
                }
            }
            if let Some(secs) = max_age {
                let at = if secs <= 0 {
                    Timestamp(0)
                } else {
                    Timestamp(now.0.saturating_add(secs.saturating_mul(1_000_000_000)))
                };
                c.expires = Some(at.to_rfc3339_millis());
            }
            c
        })
        .collect()
}

/// Parses a cookie date (RFC 6265 section 5.1.1): `Wed, 21 Oct 2015 07:28:00 GMT`,
/// `Wed, 21-Oct-15 07:28:00 GMT`, and the other orders browsers accept.
fn cookie_date(s: &str) -> Option<Timestamp> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    for token in s
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .filter(|t| !t.is_empty())
    {
        let digits = token.bytes().take_while(u8::is_ascii_digit).count();
        if time.is_none() && token.contains(':') {
            let mut hms = token.split(':').map(|n| n.parse::<i64>().ok());
            if let (Some(Some(h)), Some(Some(m)), Some(Some(sec))) =
                (hms.next(), hms.next(), hms.next())
            {
                time = Some((h, m, sec));
                continue;
            }
        }
        if day.is_none() && (1..=2).contains(&digits) {
            day = token.get(..digits).and_then(|d| d.parse::<i64>().ok());
        } else if month.is_none() && token.len() >= 3 {
            let prefix = token.get(..3).unwrap_or("").to_ascii_lowercase();
            if let Some(i) = MONTHS.iter().position(|m| *m == prefix) {
                month = Some(i as i64 + 1);
                continue;
            }
            if year.is_none() && (2..=4).contains(&digits) {
                year = token.get(..digits).and_then(|d| d.parse::<i64>().ok());
            }
        } else if year.is_none() && (2..=4).contains(&digits) {
            year = token.get(..digits).and_then(|d| d.parse::<i64>().ok());
        }
    }
    let (h, mi, sec) = time?;
    let (d, m, mut y) = (day?, month?, year?);
    if (70..=99).contains(&y) {
        y += 1900;
    } else if (0..=69).contains(&y) {
        y += 2000;
    }
    if !(1..=31).contains(&d) || y < 1601 || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + sec;
    Some(Timestamp::from_parts(secs, 0))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn request(t: &Transaction) -> HarRequest<'_> {
    let Some(r) = &t.request else {
        return HarRequest {
            method: "",
            url: &t.url,
            http_version: "",
            cookies: Vec::new(),
            headers: Vec::new(),
            query_string: query_string(&t.url),
            post_data: None,
            headers_size: -1,
            body_size: -1,
            trailers: Vec::new(),
        };
    };
    HarRequest {
        method: &r.method,
        url: &t.url,
        http_version: if is_http2(t) {
            HTTP2_VERSION
        } else {
            &r.version
        },
        cookies: request_cookies(&r.headers),
        headers: headers(&r.headers),
        query_string: query_string(&t.url),
        post_data: (r.body.encoded > 0).then(|| PostData {
            mime_type: header_value(&r.headers, "content-type").unwrap_or(""),
            text: "",
            comment: "httpscope records body sizes, not bodies",
        }),
        headers_size: int(r.header_bytes),
        body_size: int(r.body.encoded),
        trailers: headers(&r.trailers),
    }
}

fn response(t: &Transaction) -> HarResponse<'_> {
    let Some(r) = &t.response else {
        return HarResponse {
            status: 0,
            status_text: "",
            http_version: "",
            cookies: Vec::new(),
            headers: Vec::new(),
            content: Content {
                size: 0,
                compression: None,
                mime_type: "",
            },
            redirect_url: "",
            headers_size: -1,
            body_size: -1,
            transfer_size: None,
            trailers: Vec::new(),
        };
    };
    let decoded = r.body.decoded.unwrap_or(r.body.encoded);
    let interim: u64 = r.interim.iter().map(|i| i.header_bytes).sum();
    let now = t.times.response_start.unwrap_or(t.start);
    HarResponse {
        status: r.status,
        status_text: &r.reason,
        http_version: if is_http2(t) {
            HTTP2_VERSION
        } else {
            &r.version
        },
        cookies: response_cookies(&r.headers, now),
        headers: headers(&r.headers),
        content: Content {
            size: decoded,
            compression: decoded.checked_sub(r.body.encoded).filter(|c| *c > 0),
            mime_type: header_value(&r.headers, "content-type").unwrap_or(""),
        },
        redirect_url: header_value(&r.headers, "location").unwrap_or(""),
        headers_size: int(r.header_bytes.saturating_add(interim)),
        body_size: int(r.body.encoded),
        transfer_size: Some(t.response_wire_bytes()),
        trailers: headers(&r.trailers),
    }
}

fn entry(t: &Transaction) -> Entry<'_> {
    let optional = |v: Option<u64>| v.map_or(-1.0, millis);
    let required = |v: Option<u64>| v.map_or(0.0, millis);
    Entry {
        started_date_time: t.start.to_rfc3339_millis(),
        time: millis(t.timings.total()),
        request: request(t),
        response: response(t),
        cache: Cache {},
        timings: HarTimings {
            blocked: optional(t.timings.blocked),
            dns: optional(t.timings.dns),
            connect: optional(t.timings.connect),
            ssl: optional(t.timings.ssl),
            send: required(t.timings.send),
            wait: required(t.timings.wait),
            receive: required(t.timings.receive),
        },
        server_ip_address: t.server.ip().to_string(),
        // A failed name lookup had no connection.
        connection: if t.connection == ConnectionId::NONE {
            String::new()
        } else {
            t.connection.to_string()
        },
        id: t.id,
        position: t.position,
        reused: t.reused(),
        client: t.client.to_string(),
        tunnel: t.tunnel.as_ref(),
        incomplete: &t.incomplete,
        security_state: (is_https(t) && !handshake_failed(t)).then_some("secure"),
        tls: t.tls.as_ref().map(HarTls::new),
        stream: t.stream,
        grpc: t.grpc.as_ref(),
        process: t.process.as_ref(),
        source: t.source.as_deref(),
        redirect_from: t.redirect.as_ref().map(|r| r.from),
        findings: &t.findings,
    }
}

/// Writes a HAR 1.2 log (see the module documentation).
pub struct HarWriter<W> {
    out: W,
    opts: RenderOptions,
    opened: bool,
    count: u64,
    /// Connections without transactions, held until [`Sink::finish`].
    connections: Vec<ConnectionRecord>,
    /// The first [`MAX_HAR_DNS`] lookups, held until [`Sink::finish`].
    lookups: Vec<DnsLookup>,
    /// Lookups beyond [`MAX_HAR_DNS`].
    lookups_dropped: u64,
}

impl<W: Write> HarWriter<W> {
    /// A writer to `w`.
    pub fn new(w: W, opts: RenderOptions) -> Self {
        HarWriter {
            out: w,
            opts,
            opened: false,
            count: 0,
            connections: Vec::new(),
            lookups: Vec::new(),
            lookups_dropped: 0,
        }
    }

    fn open(&mut self) -> io::Result<()> {
        if !self.opened {
            write!(
                self.out,
                "{{\"log\":{{\"version\":\"1.2\",\"creator\":{{\"name\":\"httpscope\",\
                 \"version\":\"{}\"}},\"pages\":[],\"entries\":[",
                env!("CARGO_PKG_VERSION")
            )?;
            self.opened = true;
        }
        Ok(())
    }
}

impl<W: Write> Sink for HarWriter<W> {
    fn start(&mut self, _origin: Timestamp) -> io::Result<()> {
        self.open()
    }

    fn transaction(&mut self, t: &Transaction) -> io::Result<()> {
        self.open()?;
        let t = prepare(t, &self.opts);
        self.out
            .write_all(if self.count == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, &entry(&t))?;
        self.count += 1;
        Ok(())
    }

    fn connection(&mut self, c: &ConnectionRecord) -> io::Result<()> {
        self.open()?;
        if c.transactions == 0 {
            self.connections.push(c.clone());
        }
        Ok(())
    }

    fn dns(&mut self, lookup: &DnsLookup) -> io::Result<()> {
        self.open()?;
        if self.lookups.len() < MAX_HAR_DNS {
            self.lookups.push(lookup.clone());
        } else {
            self.lookups_dropped = self.lookups_dropped.saturating_add(1);
        }
        Ok(())
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        self.open()?;
        let report = prepare_report(report, &self.opts);
        self.out
            .write_all(if self.count == 0 { b"]" } else { b"\n]" })?;
        self.out.write_all(b",\"_connections\":[")?;
        for (i, c) in std::mem::take(&mut self.connections).iter().enumerate() {
            self.out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, &ConnectionOut::new(c))?;
        }
        self.out.write_all(b"],\"_dns\":[")?;
        for (i, l) in std::mem::take(&mut self.lookups).iter().enumerate() {
            self.out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, &DnsOut::new(l))?;
        }
        write!(
            self.out,
            "],\"_dnsDropped\":{},\"_findings\":[",
            self.lookups_dropped
        )?;
        for (i, f) in report.findings.iter().enumerate() {
            self.out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, f)?;
        }
        self.out.write_all(b"],\"_httpscope\":")?;
        serde_json::to_writer(&mut self.out, &*report)?;
        self.out.write_all(b"}}\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{
        dns_answered, dns_timed_out, failed_handshake, failed_lookup, findings, flagged, get,
        h2_connection, h2_grpc, h2c_connection, nokeys_connection, redirect_pair, tls_connection,
        tls_get, unanswered, MS, T0,
    };
    use crate::SummaryBuilder;
    use model::{IncompleteReason, Interim, Timings};
    use serde_json::Value;

    fn write(ts: &[Transaction], opts: RenderOptions) -> Value {
        write_with(ts, &[], opts)
    }

    fn report_for(ts: &[Transaction]) -> Report {
        let mut b = SummaryBuilder::new();
        ts.iter().for_each(|t| b.add(t));
        Report {
            input: "in.pcap".into(),
            first_packet: Some(Timestamp(T0)),
            last_packet: Some(Timestamp(T0 + 5)),
            stats: model::Stats::default(),
            summary: b.build(),
            warnings: vec!["w".into()],
            findings: Vec::new(),
        }
    }

    fn write_with(ts: &[Transaction], cs: &[ConnectionRecord], opts: RenderOptions) -> Value {
        let report = report_for(ts);
        let mut buf = Vec::new();
        let mut w = HarWriter::new(&mut buf, opts);
        w.start(Timestamp(T0)).unwrap();
        for t in ts {
            w.transaction(t).unwrap();
        }
        for c in cs {
            w.connection(c).unwrap();
        }
        w.finish(&report).unwrap();
        serde_json::from_slice(&buf).unwrap()
    }

    /// The request's and the response's `httpVersion`.
    fn req_version(e: &Value) -> (&str, &str) {
        (
            e["request"]["httpVersion"].as_str().unwrap(),
            e["response"]["httpVersion"].as_str().unwrap(),
        )
    }

    fn is_int(v: &Value) -> bool {
        v.is_i64() || v.is_u64()
    }

    /// Checks the keys and types HAR 1.2 requires of an entry.
    fn check_entry(e: &Value) {
        assert!(e["startedDateTime"].is_string());
        assert!(e["time"].is_number());
        assert!(e["cache"].is_object());
        let req = &e["request"];
        for k in ["method", "url", "httpVersion"] {
            assert!(req[k].is_string(), "request.{k}");
        }
        for k in ["cookies", "headers", "queryString"] {
            assert!(req[k].is_array(), "request.{k}");
        }
        assert!(is_int(&req["headersSize"]) && is_int(&req["bodySize"]));
        let resp = &e["response"];
        assert!(is_int(&resp["status"]));
        for k in ["statusText", "httpVersion", "redirectURL"] {
            assert!(resp[k].is_string(), "response.{k}");
        }
        assert!(resp["cookies"].is_array() && resp["headers"].is_array());
        assert!(is_int(&resp["content"]["size"]) && resp["content"]["mimeType"].is_string());
        assert!(is_int(&resp["headersSize"]) && is_int(&resp["bodySize"]));
        let t = &e["timings"];
        for k in ["send", "wait", "receive"] {
            assert!(t[k].as_f64().unwrap() >= 0.0, "timings.{k}");
        }
        let sum: f64 = ["blocked", "dns", "connect", "send", "wait", "receive"]
            .iter()
            .map(|k| t[k].as_f64().unwrap())
            .filter(|v| *v != -1.0)
            .sum();
        assert!(
            (sum - e["time"].as_f64().unwrap()).abs() < 1e-9,
            "time = sum of timings"
        );
    }

    #[test]
    fn log_header_and_entries() {
        let v = write(&[get(1, 0, 0), get(2, 1, 100)], RenderOptions::default());
        let log = &v["log"];
        assert_eq!(log["version"], "1.2");
        assert_eq!(log["creator"]["name"], "httpscope");
        assert_eq!(log["creator"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(log["pages"], Value::Array(vec![]));
        assert_eq!(log["_httpscope"]["input"], "in.pcap");
        assert_eq!(log["_httpscope"]["warnings"][0], "w");
        let entries = log["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        entries.iter().for_each(check_entry);

        let e = &entries[0];
        assert_eq!(e["startedDateTime"], "2024-02-29T12:34:56.000Z");
        assert_eq!(e["time"], 80.1);
        assert_eq!(e["timings"]["connect"], 20.0);
        assert_eq!(e["timings"]["ssl"], -1.0);
        assert_eq!(e["timings"]["dns"], -1.0);
        assert_eq!(e["serverIPAddress"], "93.184.216.34");
        assert_eq!(e["connection"], "1");
        assert_eq!(e["_client"], "10.0.0.1:40000");
        assert_eq!(e["_position"], 0);
        assert!(e.get("_incomplete").is_none() && e.get("_tunnel").is_none());
        assert_eq!(entries[1]["_reused"], true);
        assert!(e.get("_tls").is_none() && e.get("_securityState").is_none());
        assert_eq!(log["_connections"], Value::Array(vec![]));
        assert_eq!(log["_dns"], Value::Array(vec![]));
        assert_eq!(log["_dnsDropped"], 0);
        assert_eq!(req_version(e), ("HTTP/1.1", "HTTP/1.1"));
        for k in ["_stream", "_grpc", "_redirectFrom"] {
            assert!(e.get(k).is_none(), "{k}");
        }

        let req = &e["request"];
        assert_eq!(req["method"], "GET");
        assert_eq!(
            req["url"],
            "http://example.com/index.html?q=rust&token=[redacted]"
        );
        assert_eq!(req["headersSize"], 120);
        assert_eq!(req["bodySize"], 0);
        assert!(req.get("postData").is_none());
        assert_eq!(req["queryString"][1]["name"], "token");
        assert_eq!(req["queryString"][1]["value"], "[redacted]");
        assert_eq!(req["cookies"][0]["name"], "sid");
        assert_eq!(req["cookies"][0]["value"], "[redacted]");
        assert_eq!(req["cookies"][1]["name"], "theme");

        let resp = &e["response"];
        assert_eq!(resp["status"], 200);
        assert_eq!(resp["statusText"], "OK");
        assert_eq!(resp["content"]["size"], 4_000);
        assert_eq!(resp["content"]["compression"], 3_000);
        assert_eq!(resp["content"]["mimeType"], "text/html; charset=utf-8");
        assert_eq!(resp["bodySize"], 1_000);
        assert_eq!(resp["headersSize"], 200);
        assert_eq!(resp["_transferSize"], 1_200);
        let c = &resp["cookies"][0];
        assert_eq!(c["name"], "sid");
        assert_eq!(c["value"], "[redacted]");
        assert_eq!(c["path"], "/");
        assert_eq!(c["domain"], "example.com");
        assert_eq!(c["expires"], "2015-10-21T07:28:00.000Z");
        assert_eq!(c["httpOnly"], true);
        assert_eq!(c["secure"], true);
    }

    #[test]
    fn unanswered_request() {
        let v = write(&[unanswered(1, 0)], RenderOptions::default());
        let e = &v["log"]["entries"][0];
        check_entry(e);
        let resp = &e["response"];
        assert_eq!(resp["status"], 0);
        assert_eq!(resp["statusText"], "");
        assert_eq!(resp["httpVersion"], "");
        assert_eq!(resp["content"]["size"], 0);
        assert_eq!(resp["headersSize"], -1);
        assert_eq!(resp["bodySize"], -1);
        assert_eq!(e["timings"]["wait"], 0.0);
        assert_eq!(e["time"], 6.0);
        assert_eq!(e["_incomplete"][0]["reason"], "no_response");
        let post = &e["request"]["postData"];
        assert_eq!(post["mimeType"], "application/json");
        assert_eq!(post["text"], "");
        assert_eq!(e["request"]["bodySize"], 300);
    }

    #[test]
    fn failed_attempts_without_request() {
        let v = write(
            &[failed_lookup(1, 0), failed_handshake(2, 10)],
            RenderOptions::default(),
        );
        let dns = &v["log"]["entries"][0];
        check_entry(dns);
        assert_eq!(dns["request"]["method"], "");
        assert_eq!(dns["request"]["url"], "dns:nope.example.org");
        assert_eq!(dns["response"]["status"], 0);
        assert_eq!(dns["timings"]["dns"], 3.0);
        assert_eq!(dns["time"], 3.0);
        assert!(dns.get("connection").is_none(), "no connection: {dns}");
        assert_eq!(dns["serverIPAddress"], "10.0.0.53");
        assert_eq!(dns["_incomplete"][0]["reason"], "dns_failed");
        let tls = &v["log"]["entries"][1];
        check_entry(tls);
        assert_eq!(tls["request"]["url"], "https://secure.example.com");
        assert_eq!(tls["connection"], "7");
        assert_eq!(tls["timings"]["ssl"], 2.0);
        assert_eq!(tls["time"], 4.0);
        assert!(tls.get("_securityState").is_none(), "never secure: {tls}");
        assert_eq!(tls["_incomplete"][0]["reason"], "tls_handshake");
    }

    #[test]
    fn response_without_request_and_extras() {
        let mut t = get(1, 0, 0);
        t.request = None;
        t.incomplete.push(Incomplete {
            reason: IncompleteReason::NoRequest,
            detail: "x".into(),
        });
        t.tunnel = Some(Tunnel::Upgrade {
            protocol: "websocket".into(),
        });
        t.server = "[2001:db8::1]:443".parse().unwrap();
        t.timings = Timings {
            ssl: Some(3 * MS),
            connect: Some(9 * MS),
            blocked: Some(MS),
            ..Timings::default()
        };
        if let Some(r) = t.response.as_mut() {
            r.interim.push(Interim {
                status: 100,
                header_bytes: 25,
                at: Timestamp(T0),
            });
            r.body.decoded = None;
            r.headers.push(Header::new("Location", "/next?session=s"));
        }
        let v = write(&[t], RenderOptions::default());
        let e = &v["log"]["entries"][0];
        check_entry(e);
        assert_eq!(e["time"], 10.0);
        assert_eq!(e["request"]["method"], "");
        assert_eq!(e["request"]["headersSize"], -1);
        assert_eq!(e["serverIPAddress"], "2001:db8::1");
        assert_eq!(e["_tunnel"]["kind"], "upgrade");
        assert_eq!(e["_tunnel"]["protocol"], "websocket");
        assert_eq!(e["response"]["headersSize"], 225);
        assert_eq!(e["response"]["_transferSize"], 1_225);
        assert!(e["response"]["content"].get("compression").is_none());
        assert_eq!(e["response"]["redirectURL"], "/next?session=[redacted]");
    }

    #[test]
    fn tls_entry_and_connections_without_transactions() {
        let v = write_with(
            &[get(1, 0, 0), tls_get(2, 5)],
            &[tls_connection(), nokeys_connection()],
            RenderOptions::default(),
        );
        let log = &v["log"];
        let e = &log["entries"][1];
        check_entry(e);
        assert_eq!(e["request"]["url"], "https://secure.example.com/account");
        assert_eq!(e["timings"]["connect"], 40.0);
        assert_eq!(e["timings"]["ssl"], 30.0);
        assert_eq!(e["time"], 71.0, "ssl is inside connect, not added again");
        assert_eq!(e["_securityState"], "secure");
        let tls = &e["_tls"];
        assert_eq!(tls["version"], "TLS 1.3");
        assert_eq!(tls["cipher_suite"], "TLS_AES_128_GCM_SHA256");
        assert_eq!(tls["sni"], "secure.example.com");
        assert_eq!(tls["alpn"], "http/1.1");
        assert_eq!(tls["resumed"], false);
        assert_eq!(tls["decryption"]["state"], "decrypted");
        assert_eq!(tls["handshake_ms"], 30.0);
        let cert = &tls["certificates"][0];
        assert_eq!(cert["subject"], "CN=secure.example.com");
        assert_eq!(cert["issuer"], "CN=Example CA, O=Example");
        assert_eq!(cert["not_after"], "2025-01-01T00:00:00.000Z");
        assert_eq!(cert["san"][1], "*.example.com");
        assert_eq!(tls["certificates"].as_array().unwrap().len(), 1);
        // Only the connection without transactions is listed.
        let cs = log["_connections"].as_array().unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0]["id"], 7);
        assert_eq!(cs[0]["server"], "198.51.100.7:443");
        assert_eq!(cs[0]["tls"]["decryption"]["state"], "no_keys");
        assert_eq!(cs[0]["tls"]["sni"], "hidden.example.org");
        assert_eq!(cs[0]["bytes"][1], 88_000);
        assert_eq!(cs[0]["handshake_ms"], 35.0);
        assert_eq!(log["_httpscope"]["input"], "in.pcap");
    }

    #[test]
    fn https_url_without_tls_facts_is_secure() {
        let mut t = get(1, 0, 0);
        t.url = "HTTPS://example.com/".into();
        let v = write(&[t], RenderOptions::default());
        let e = &v["log"]["entries"][0];
        assert_eq!(e["_securityState"], "secure");
        assert!(e.get("_tls").is_none());
    }

    #[test]
    fn empty_log_without_start() {
        let mut buf = Vec::new();
        let report = Report {
            input: "-".into(),
            first_packet: None,
            last_packet: None,
            stats: model::Stats::default(),
            summary: SummaryBuilder::new().build(),
            warnings: vec![],
            findings: Vec::new(),
        };
        HarWriter::new(&mut buf, RenderOptions::default())
            .finish(&report)
            .unwrap();
        let v: Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["log"]["entries"], Value::Array(vec![]));
        assert_eq!(v["log"]["_connections"], Value::Array(vec![]));
        assert_eq!(v["log"]["_dns"], Value::Array(vec![]));
        assert_eq!(v["log"]["_dnsDropped"], 0);
    }

    #[test]
    fn query_string_decoding() {
        let q = query_string("http://h/p?a=1+2&b=%41%zz&flag&&c=%E2%82%AC#x=y");
        let pairs: Vec<(&str, &str)> = q.iter().map(|p| (&*p.name, &*p.value)).collect();
        assert_eq!(
            pairs,
            vec![("a", "1 2"), ("b", "A%zz"), ("flag", ""), ("c", "€")]
        );
        assert!(query_string("http://h/p").is_empty());
        assert_eq!(form_decode("%"), "%");
        assert_eq!(form_decode("%4"), "%4");
    }

    #[test]
    fn cookie_dates() {
        let expect = Some(Timestamp::from_parts(1_445_412_480, 0));
        assert_eq!(cookie_date("Wed, 21 Oct 2015 07:28:00 GMT"), expect);
        assert_eq!(cookie_date("Wed, 21-Oct-15 07:28:00 GMT"), expect);
        assert_eq!(
            cookie_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(Timestamp(0))
        );
        assert_eq!(
            cookie_date("Thu, 29 Feb 2024 12:34:56 GMT"),
            Some(Timestamp::from_parts(1_709_210_096, 0))
        );
        assert_eq!(cookie_date("garbage"), None);
        assert_eq!(cookie_date("Wed, 21 Oct 2015 25:28:00 GMT"), None);
    }

    #[test]
    fn max_age_wins_over_expires() {
        let hs = vec![
            Header::new(
                "Set-Cookie",
                "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=60",
            ),
            Header::new("set-cookie", "b=2; max-age=0"),
            Header::new("Set-Cookie", "novalue"),
        ];
        let cs = response_cookies(&hs, Timestamp(T0));
        assert_eq!(cs[0].expires.as_deref(), Some("2024-02-29T12:35:56.000Z"));
        assert_eq!(cs[1].expires.as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!((cs[2].name, cs[2].value), ("", "novalue"));
        assert_eq!(cs[2].http_only, Some(false));
    }

    #[test]
    fn show_secrets_writes_cookie_values() {
        let v = write(
            &[get(1, 0, 0)],
            RenderOptions {
                show_secrets: true,
                ..Default::default()
            },
        );
        let e = &v["log"]["entries"][0];
        assert_eq!(e["request"]["cookies"][0]["value"], "xyz");
        assert_eq!(e["response"]["cookies"][0]["value"], "newsecret");
    }

    #[test]
    fn process_on_entries_with_redacted_command_line() {
        let mut t = get(1, 0, 0);
        t.process = Some(model::Process {
            pid: 42,
            comm: "curl".into(),
            exe: Some("/usr/bin/curl".into()),
            cmdline: vec!["curl".into(), "-u".into(), "al:pw".into()],
            ..Default::default()
        });
        let v = write(std::slice::from_ref(&t), RenderOptions::default());
        let p = &v["log"]["entries"][0]["_process"];
        assert_eq!(p["pid"], 42);
        assert_eq!(p["comm"], "curl");
        assert_eq!(p["exe"], "/usr/bin/curl");
        assert_eq!(p["cmdline"][2], format!("al:{}", crate::REDACTED));
        let shown = write(
            &[t],
            RenderOptions {
                show_secrets: true,
                ..Default::default()
            },
        );
        assert_eq!(
            shown["log"]["entries"][0]["_process"]["cmdline"][2],
            "al:pw"
        );
        let none = write(&[get(1, 0, 0)], RenderOptions::default());
        assert!(none["log"]["entries"][0].get("_process").is_none());
        assert!(none["log"]["entries"][0].get("_source").is_none());
        let mut probed = get(1, 0, 0);
        probed.source = Some("Go crypto/tls probe".into());
        let v = write(&[probed], RenderOptions::default());
        assert_eq!(v["log"]["entries"][0]["_source"], "Go crypto/tls probe");
    }

    #[test]
    fn http2_grpc_and_redirect_entries() {
        let [from, to] = redirect_pair(2, 100);
        let v = write_with(
            &[h2_grpc(1, 0), from, to],
            &[h2_connection(), h2c_connection()],
            RenderOptions::default(),
        );
        let log = &v["log"];
        let entries = log["entries"].as_array().unwrap();
        entries.iter().for_each(check_entry);
        let e = &entries[0];
        // Chrome's export: `h2` becomes `http/2.0` in both messages.
        assert_eq!(req_version(e), ("http/2.0", "http/2.0"));
        assert_eq!(e["_stream"], 3);
        assert_eq!(e["_grpc"]["service"], "helloworld.Greeter");
        assert_eq!(e["_grpc"]["method"], "SayHello");
        assert_eq!(e["_grpc"]["status"], 14);
        assert_eq!(e["_grpc"]["messages"], serde_json::json!([1, 0]));
        assert_eq!(e["_tls"]["alpn"], "h2");
        assert_eq!(e["response"]["_trailers"][0]["name"], "grpc-status");
        assert!(e.get("_redirectFrom").is_none());
        let (from, to) = (&entries[1], &entries[2]);
        assert_eq!(from["response"]["status"], 301);
        assert_eq!(from["response"]["redirectURL"], "https://example.com/new");
        assert!(from.get("_redirectFrom").is_none());
        assert_eq!(to["_redirectFrom"], 2);
        assert_eq!(to["_redirectFrom"], from["_id"]);
        assert_eq!(req_version(to), ("HTTP/1.1", "HTTP/1.1"));
        assert!(to.get("_stream").is_none() && to.get("_grpc").is_none());
        // The h2c connection without transactions is listed although it has no TLS; the
        // HTTP/2 connection that carried the call is not.
        let cs = log["_connections"].as_array().unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0]["id"], 10);
        assert_eq!(cs[0]["tls"], Value::Null);
        assert_eq!(cs[0]["http2"]["streams"], 4);
        assert_eq!(cs[0]["http2"]["header_errors"], 2);
    }

    #[test]
    fn http2_version_from_the_protocol_alone() {
        let mut t = get(1, 0, 0);
        t.protocol = "HTTP/2".into();
        let v = write(&[t], RenderOptions::default());
        assert_eq!(
            req_version(&v["log"]["entries"][0]),
            ("http/2.0", "http/2.0")
        );
        let mut t = h2_grpc(1, 0);
        t.response = None;
        let v = write(&[t], RenderOptions::default());
        assert_eq!(req_version(&v["log"]["entries"][0]), ("http/2.0", ""));
    }

    #[test]
    fn dns_lookups_in_the_log() {
        let mut buf = Vec::new();
        let mut w = HarWriter::new(&mut buf, RenderOptions::default());
        w.start(Timestamp(T0)).unwrap();
        w.dns(&dns_answered()).unwrap();
        w.transaction(&get(1, 0, 0)).unwrap();
        w.dns(&dns_timed_out()).unwrap();
        w.finish(&report_for(&[])).unwrap();
        let v: Value = serde_json::from_slice(&buf).unwrap();
        let log = &v["log"];
        assert_eq!(log["entries"].as_array().unwrap().len(), 1);
        let dns = log["_dns"].as_array().unwrap();
        assert_eq!(dns.len(), 2);
        assert_eq!(dns[0]["name"], "example.com");
        assert_eq!(dns[0]["duration_ms"], 12.0);
        assert_eq!(dns[0]["addresses"][0], "93.184.216.34");
        assert_eq!(dns[1]["name"], "slow.example.org");
        assert_eq!(dns[1]["outcome"], "timed_out");
        assert_eq!(dns[1]["attempts"], 2);
        assert_eq!(dns[1]["duration_ms"], Value::Null);
        assert_eq!(log["_dnsDropped"], 0);
    }

    #[test]
    fn dns_lookups_are_bounded() {
        let mut w = HarWriter::new(Vec::new(), RenderOptions::default());
        let l = dns_answered();
        for _ in 0..MAX_HAR_DNS + 3 {
            w.dns(&l).unwrap();
        }
        assert_eq!(w.lookups.len(), MAX_HAR_DNS);
        w.finish(&report_for(&[])).unwrap();
        let v: Value = serde_json::from_slice(&w.out).unwrap();
        assert_eq!(v["log"]["_dns"].as_array().unwrap().len(), MAX_HAR_DNS);
        assert_eq!(v["log"]["_dnsDropped"], 3);
    }

    #[test]
    fn findings_on_entries_and_in_the_log() {
        let ts = [
            flagged(get(1, 0, 0), &["insecure-http"]),
            get(2, 1, 100),
            flagged(tls_get(5, 200), &["no-validator", "slow-ttfb"]),
        ];
        let mut report = report_for(&ts);
        report.findings = findings();
        let mut buf = Vec::new();
        let mut w = HarWriter::new(&mut buf, RenderOptions::default());
        for t in &ts {
            w.transaction(t).unwrap();
        }
        w.finish(&report).unwrap();
        let v: Value = serde_json::from_slice(&buf).unwrap();
        let log = &v["log"];
        let es = log["entries"].as_array().unwrap();
        assert_eq!(es[0]["_findings"], serde_json::json!(["insecure-http"]));
        assert!(es[1].get("_findings").is_none());
        assert_eq!(
            es[2]["_findings"],
            serde_json::json!(["no-validator", "slow-ttfb"])
        );
        let fs = log["_findings"].as_array().unwrap();
        assert_eq!(fs.len(), 2);
        let f = &fs[0];
        assert_eq!(f["rule"], "insecure-http");
        assert_eq!(f["severity"], "error");
        assert_eq!(f["origin"], "http://example.com");
        assert_eq!(f["transactions"], serde_json::json!([1, 2]));
        assert_eq!(
            f["message"],
            "GET http://example.com/index.html?q=rust&token=[redacted] sent over plain HTTP"
        );
        assert_eq!(
            f["evidence"],
            serde_json::json!([["scheme", "http"], ["authorization", "Bearer [redacted]"]])
        );
        assert!(f["hint"].as_str().unwrap().starts_with("Serve"));
        assert_eq!(fs[1]["severity"], "warning");
        // The findings are not repeated in the report, which has the origins table.
        let report = &log["_httpscope"];
        assert!(report.get("findings").is_none());
        assert_eq!(
            report["summary"]["origins"][0]["origin"],
            "http://example.com"
        );
        assert_eq!(report["summary"]["origins"][0]["requests"], 2);
        // Without findings the log still has the array.
        let v = write(&[get(1, 0, 0)], RenderOptions::default());
        assert_eq!(v["log"]["_findings"], Value::Array(vec![]));
    }
}
