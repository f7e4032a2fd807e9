//! One JSON document per analysis, with the transactions streamed inside it.
//!
//! This module owns [`JsonWriter`] and the per-transaction record shared with the JSON lines
//! format ([`TransactionRecord`]): every field of [`model::Transaction`] as serde writes it,
//! plus `started` (RFC 3339 text), `total_ms` and `timings_ms` (phases in milliseconds, `null`
//! when they do not apply).
//!
//! It also owns the record of a closed TLS or HTTP/2 connection shared by every JSON-shaped
//! output ([`ConnectionOut`]): every field of [`model::ConnectionRecord`] (`tls` and `http2` are
//! `null` when they do not apply), plus `started`, `ended` (RFC 3339 text), `duration_ms` and
//! `handshake_ms` (`null` when the handshake's ends were not both seen, or without TLS); and the
//! record of a DNS lookup ([`DnsOut`]): every field of [`model::DnsLookup`], plus `started`
//! (RFC 3339 text) and `duration_ms` (first query to response; `null` without a response).
//!
//! Document shape: `{"transactions":[...],"connections":[...],"dns":[...],"findings":[...],
//! "input":..,"first_packet":..,"last_packet":..,"stats":..,"summary":..,"warnings":[..]}`.
//! `findings` holds every [`model::Finding`] as serde writes it (`rule`, `severity`, `message`,
//! `origin`, `transactions`, `evidence` as `[name, value]` pairs, `hint`), in the report's order,
//! one per line; `summary.origins` is the per-origin table ([`crate::OriginSummary`]). The
//! transactions come first because the rest is only known at the end; JSON objects are
//! unordered, so readers are unaffected. Each transaction, connection and lookup is on its own
//! line to keep the file greppable.
//!
//! Memory: transactions stream, but the connection records and the DNS lookups are held in
//! memory until [`Sink::finish`] (a few hundred bytes each, plus certificate text and answers),
//! because their arrays follow the transactions. Neither is bounded: the document lists every
//! one. The JSON lines format streams them instead.

use crate::redact::{prepare, prepare_report};
use crate::{dns_nanos, millis, RenderOptions, Report, Sink};
use model::{ConnectionRecord, DnsLookup, Timestamp, Timings, TlsInfo, Transaction};
use serde::Serialize;
use std::io::{self, Write};

/// Phases in milliseconds; `None` (written `null`) when they do not apply.
#[derive(Debug, Serialize)]
pub(crate) struct TimingsMs {
    blocked: Option<f64>,
    dns: Option<f64>,
    connect: Option<f64>,
    ssl: Option<f64>,
    send: Option<f64>,
    wait: Option<f64>,
    receive: Option<f64>,
}

impl From<&Timings> for TimingsMs {
    fn from(t: &Timings) -> Self {
        TimingsMs {
            blocked: t.blocked.map(millis),
            dns: t.dns.map(millis),
            connect: t.connect.map(millis),
            ssl: t.ssl.map(millis),
            send: t.send.map(millis),
            wait: t.wait.map(millis),
            receive: t.receive.map(millis),
        }
    }
}

/// A transaction as the JSON formats write it.
#[derive(Debug, Serialize)]
pub(crate) struct TransactionRecord<'a> {
    #[serde(flatten)]
    transaction: &'a Transaction,
    started: String,
    total_ms: f64,
    timings_ms: TimingsMs,
}

impl<'a> TransactionRecord<'a> {
    /// The record of `t` (already redacted as needed).
    pub(crate) fn new(t: &'a Transaction) -> Self {
        TransactionRecord {
            transaction: t,
            started: t.start.to_rfc3339_millis(),
            total_ms: millis(t.timings.total()),
            timings_ms: TimingsMs::from(&t.timings),
        }
    }
}

/// Nanoseconds of the TLS handshake (ClientHello to its end), when both ends were seen.
pub(crate) fn handshake_nanos(tls: &TlsInfo) -> Option<u64> {
    Some(tls.handshake_end?.since(tls.handshake_start?))
}

/// A closed TLS connection as the JSON formats (and HAR's `_connections`) write it.
#[derive(Debug, Serialize)]
pub(crate) struct ConnectionOut<'a> {
    #[serde(flatten)]
    record: &'a ConnectionRecord,
    started: String,
    ended: String,
    duration_ms: f64,
    handshake_ms: Option<f64>,
}

impl<'a> ConnectionOut<'a> {
    /// The record of `c`.
    pub(crate) fn new(c: &'a ConnectionRecord) -> Self {
        ConnectionOut {
            record: c,
            started: c.start.to_rfc3339_millis(),
            ended: c.end.to_rfc3339_millis(),
            duration_ms: millis(c.end.since(c.start)),
            handshake_ms: c.tls.as_ref().and_then(handshake_nanos).map(millis),
        }
    }
}

/// A DNS lookup as the JSON formats (and HAR's `_dns`) write it.
#[derive(Debug, Serialize)]
pub(crate) struct DnsOut<'a> {
    #[serde(flatten)]
    lookup: &'a DnsLookup,
    started: String,
    duration_ms: Option<f64>,
}

impl<'a> DnsOut<'a> {
    /// The record of `l`.
    pub(crate) fn new(l: &'a DnsLookup) -> Self {
        DnsOut {
            lookup: l,
            started: l.start.to_rfc3339_millis(),
            duration_ms: dns_nanos(l).map(millis),
        }
    }
}

/// Writes one JSON document (see the module documentation for its shape).
pub struct JsonWriter<W> {
    out: W,
    opts: RenderOptions,
    opened: bool,
    count: u64,
    /// Connection records, held until [`Sink::finish`].
    connections: Vec<ConnectionRecord>,
    /// DNS lookups, held until [`Sink::finish`].
    lookups: Vec<DnsLookup>,
}

impl<W: Write> JsonWriter<W> {
    /// A writer to `w`.
    pub fn new(w: W, opts: RenderOptions) -> Self {
        JsonWriter {
            out: w,
            opts,
            opened: false,
            count: 0,
            connections: Vec::new(),
            lookups: Vec::new(),
        }
    }

    fn open(&mut self) -> io::Result<()> {
        if !self.opened {
            self.out.write_all(b"{\"transactions\":[")?;
            self.opened = true;
        }
        Ok(())
    }
}

impl<W: Write> Sink for JsonWriter<W> {
    fn start(&mut self, _origin: Timestamp) -> io::Result<()> {
        self.open()
    }

    fn transaction(&mut self, t: &Transaction) -> io::Result<()> {
        self.open()?;
        let t = prepare(t, &self.opts);
        self.out
            .write_all(if self.count == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, &TransactionRecord::new(&t))?;
        self.count += 1;
        Ok(())
    }

    fn connection(&mut self, c: &ConnectionRecord) -> io::Result<()> {
        self.open()?;
        self.connections.push(c.clone());
        Ok(())
    }

    fn dns(&mut self, lookup: &DnsLookup) -> io::Result<()> {
        self.open()?;
        self.lookups.push(lookup.clone());
        Ok(())
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        self.open()?;
        let report = prepare_report(report, &self.opts);
        let rest = serde_json::to_vec(&*report)?;
        self.out
            .write_all(if self.count == 0 { b"]" } else { b"\n]" })?;
        self.out.write_all(b",\"connections\":[")?;
        for (i, c) in std::mem::take(&mut self.connections).iter().enumerate() {
            self.out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, &ConnectionOut::new(c))?;
        }
        self.out.write_all(b"\n],\"dns\":[")?;
        for (i, l) in std::mem::take(&mut self.lookups).iter().enumerate() {
            self.out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, &DnsOut::new(l))?;
        }
        self.out.write_all(b"\n],\"findings\":[")?;
        for (i, f) in report.findings.iter().enumerate() {
            self.out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, f)?;
        }
        // `rest` is `{"input":...}`: drop its `{` and let its `}` close the document.
        self.out.write_all(b"\n],")?;
        self.out.write_all(rest.get(1..).unwrap_or(b"}"))?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{
        dns_answered, dns_timed_out, findings, flagged, get, h2_connection, h2_grpc,
        h2c_connection, nokeys_connection, redirect_pair, tls_connection, tls_get, unanswered, T0,
    };
    use crate::SummaryBuilder;
    use serde_json::Value;

    fn report(ts: &[Transaction]) -> Report {
        let mut b = SummaryBuilder::new();
        ts.iter().for_each(|t| b.add(t));
        Report {
            input: "capture.pcap".into(),
            first_packet: Some(Timestamp(T0)),
            last_packet: Some(Timestamp(T0 + 1)),
            stats: model::Stats::default(),
            summary: b.build(),
            warnings: vec!["a warning".into()],
            findings: Vec::new(),
        }
    }

    fn run(ts: &[Transaction], opts: RenderOptions) -> Value {
        run_with(ts, &[], opts)
    }

    fn run_with(ts: &[Transaction], cs: &[ConnectionRecord], opts: RenderOptions) -> Value {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf, opts);
        w.start(Timestamp(T0)).unwrap();
        for t in ts {
            w.transaction(t).unwrap();
        }
        for c in cs {
            w.connection(c).unwrap();
        }
        w.finish(&report(ts)).unwrap();
        serde_json::from_slice(&buf).unwrap()
    }

    #[test]
    fn document_has_transactions_and_report() {
        let ts = [get(1, 0, 0), unanswered(2, 10)];
        let v = run(&ts, RenderOptions::default());
        assert_eq!(v["input"], "capture.pcap");
        assert_eq!(v["transactions"].as_array().unwrap().len(), 2);
        let t = &v["transactions"][0];
        assert_eq!(t["id"], 1);
        assert_eq!(t["started"], "2024-02-29T12:34:56.000Z");
        assert_eq!(t["total_ms"], 80.1);
        assert_eq!(t["timings_ms"]["wait"], 50.0);
        assert_eq!(t["timings_ms"]["dns"], Value::Null);
        assert_eq!(
            t["url"],
            "http://example.com/index.html?q=rust&token=[redacted]"
        );
        assert_eq!(v["summary"]["requests"], 2);
        assert_eq!(v["summary"]["slowest"][0]["url"], t["url"]);
        assert_eq!(v["warnings"][0], "a warning");
        assert!(v["stats"]["tcp"].is_object());
    }

    #[test]
    fn show_secrets_keeps_values() {
        let v = run(
            &[get(1, 0, 0)],
            RenderOptions {
                show_secrets: true,
                ..Default::default()
            },
        );
        assert_eq!(
            v["transactions"][0]["url"],
            "http://example.com/index.html?q=rust&token=abc123"
        );
    }

    #[test]
    fn empty_and_without_start_is_valid() {
        let mut buf = Vec::new();
        JsonWriter::new(&mut buf, RenderOptions::default())
            .finish(&report(&[]))
            .unwrap();
        let v: Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["transactions"], Value::Array(vec![]));
        assert_eq!(v["connections"], Value::Array(vec![]));
        assert_eq!(v["dns"], Value::Array(vec![]));
        assert_eq!(v["summary"]["requests"], 0);
    }

    #[test]
    fn tls_transaction_and_connections() {
        let ts = [get(1, 0, 0), tls_get(2, 5)];
        let v = run_with(
            &ts,
            &[tls_connection(), nokeys_connection()],
            RenderOptions::default(),
        );
        let t = &v["transactions"][1];
        assert_eq!(t["url"], "https://secure.example.com/account");
        assert_eq!(t["tls"]["version"], "TLS 1.3");
        assert_eq!(t["tls"]["decryption"]["state"], "decrypted");
        assert_eq!(
            t["tls"]["certificates"][0]["subject"],
            "CN=secure.example.com"
        );
        assert_eq!(t["timings_ms"]["ssl"], 30.0);
        assert_eq!(t["total_ms"], 71.0);
        assert_eq!(v["transactions"][0]["tls"], Value::Null);
        let cs = v["connections"].as_array().unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0]["id"], 5);
        assert_eq!(cs[0]["transactions"], 1);
        let c = &cs[1];
        assert_eq!(c["id"], 7);
        assert_eq!(c["client"], "10.0.0.1:40007");
        assert_eq!(c["bytes"], serde_json::json!([4_200, 88_000]));
        assert_eq!(c["transactions"], 0);
        assert_eq!(c["tls"]["decryption"]["state"], "no_keys");
        assert_eq!(c["tls"]["sni"], "hidden.example.org");
        assert_eq!(c["started"], "2024-02-29T12:34:56.300Z");
        assert_eq!(c["duration_ms"], 2_000.0);
        assert_eq!(c["handshake_ms"], 35.0);
        assert_eq!(v["summary"]["secure_requests"], 1);
    }

    #[test]
    fn connections_follow_transactions_one_per_line() {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf, RenderOptions::default());
        w.start(Timestamp(T0)).unwrap();
        w.connection(&nokeys_connection()).unwrap();
        w.transaction(&tls_get(1, 0)).unwrap();
        w.connection(&tls_connection()).unwrap();
        w.finish(&report(&[])).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let at = |k: &str| text.find(k).unwrap();
        assert!(at("\"transactions\"") < at("\"connections\""));
        assert!(at("\"connections\"") < at("\"input\""));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].starts_with("],\"connections\":["), "{text}");
        assert!(lines[3].starts_with("{\"id\":7,"));
        assert!(lines[4].starts_with("{\"id\":5,"));
        assert!(lines[5].starts_with("],\"dns\":["));
        assert!(lines[6].starts_with("],\"findings\":["));
        assert!(lines[7].starts_with("],\"input\":"));
    }

    #[test]
    fn http2_grpc_redirect_and_dns() {
        let [from, to] = redirect_pair(2, 100);
        let ts = [h2_grpc(1, 0), from, to];
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf, RenderOptions::default());
        w.start(Timestamp(T0)).unwrap();
        w.dns(&dns_answered()).unwrap();
        for t in &ts {
            w.transaction(t).unwrap();
        }
        w.connection(&h2_connection()).unwrap();
        w.connection(&h2c_connection()).unwrap();
        w.dns(&dns_timed_out()).unwrap();
        w.finish(&report(&ts)).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let t = &v["transactions"][0];
        assert_eq!(t["protocol"], "HTTP/2");
        assert_eq!(t["stream"], 3);
        assert_eq!(t["grpc"]["service"], "helloworld.Greeter");
        assert_eq!(t["grpc"]["status"], 14);
        assert_eq!(t["grpc"]["messages"], serde_json::json!([1, 0]));
        assert_eq!(v["transactions"][1]["redirect"], Value::Null);
        let link = &v["transactions"][2]["redirect"];
        assert_eq!(link["from"], 2);
        assert_eq!(link["hops"], 1);
        let cs = v["connections"].as_array().unwrap();
        assert_eq!(cs[0]["http2"]["streams"], 2);
        assert_eq!(cs[0]["http2"]["goaway"], "last_stream_id=3 error=NO_ERROR");
        assert_eq!(cs[1]["tls"], Value::Null);
        assert_eq!(cs[1]["http2"]["header_errors"], 2);
        assert_eq!(cs[1]["handshake_ms"], Value::Null);
        let dns = v["dns"].as_array().unwrap();
        assert_eq!(dns.len(), 2);
        assert_eq!(dns[0]["name"], "example.com");
        assert_eq!(dns[0]["outcome"], "answered");
        assert_eq!(dns[0]["addresses"][0], "93.184.216.34");
        assert_eq!(dns[0]["duration_ms"], 12.0);
        assert_eq!(dns[0]["started"], "2024-02-29T12:34:56.000Z");
        assert_eq!(dns[1]["outcome"], "timed_out");
        assert_eq!(dns[1]["attempts"], 2);
        assert_eq!(dns[1]["duration_ms"], Value::Null);
        assert_eq!(dns[1]["end"], Value::Null);
        let at = |k: &str| text.find(k).unwrap();
        assert!(at("\"connections\"") < at("\"dns\":[") && at("\"dns\":[") < at("\"input\""));
    }

    #[test]
    fn findings_array_one_per_line() {
        let ts = [flagged(get(1, 0, 0), &["insecure-http"]), tls_get(5, 10)];
        let mut r = report(&ts);
        r.findings = findings();
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf, RenderOptions::default());
        for t in &ts {
            w.transaction(t).unwrap();
        }
        w.finish(&r).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["transactions"][0]["findings"],
            serde_json::json!(["insecure-http"])
        );
        let fs = v["findings"].as_array().unwrap();
        assert_eq!(fs.len(), 2);
        assert_eq!(fs[0]["rule"], "insecure-http");
        assert_eq!(fs[0]["severity"], "error");
        assert_eq!(fs[0]["evidence"][1][1], "Bearer [redacted]");
        assert_eq!(fs[1]["rule"], "no-validator");
        assert_eq!(fs[1]["origin"], "https://secure.example.com");
        assert_eq!(v["summary"]["origins"][0]["origin"], "http://example.com");
        assert_eq!(v["summary"]["origins"][1]["protocols"][0][1], 1);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("],\"findings\":["))
            .unwrap();
        assert!(lines[at + 1].starts_with("{\"rule\":\"insecure-http\""));
        assert!(lines[at + 2].starts_with("{\"rule\":\"no-validator\""));
        assert!(lines[at + 3].starts_with("],\"input\":"));
        // Exactly one copy of the findings in the document.
        assert_eq!(text.matches("\"hint\"").count(), 2);
    }
}
