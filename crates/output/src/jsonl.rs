//! JSON lines: one JSON object per line, ready for `jq`, log shippers and `grep`.
//!
//! This module owns [`JsonlWriter`]. Each transaction is one line
//! `{"type":"transaction", ...}` with the fields of the shared record (every field of
//! [`model::Transaction`], plus `started`, `total_ms` and `timings_ms`; see [`crate::JsonWriter`]).
//! Each closed TLS or HTTP/2 connection is one line `{"type":"connection", ...}` with the
//! fields of [`model::ConnectionRecord`] plus `started`, `ended`, `duration_ms` and
//! `handshake_ms`, written when it arrives (after the transactions it carried). Each DNS lookup
//! is one line `{"type":"dns", ...}` with the fields of [`model::DnsLookup`] plus `started` and
//! `duration_ms` (`null` without a response), written when it arrives. HTTP/2 and gRPC facts
//! (`stream`, `grpc`), the lookup behind a connection (`dns`) and redirect links (`redirect`)
//! are fields of the transaction lines.
//! [`Sink::finish`] writes one line `{"type":"finding", ...}` per finding, with the fields of
//! [`model::Finding`] (`rule`, `severity` as `error`/`warning`/`info`, `message`, `origin`,
//! `transactions`, `evidence` as `[name, value]` pairs, `hint`), in the report's order; then a
//! last line `{"type":"report", ...}` with the fields of [`Report`]. The report line does not
//! repeat the findings (the finding lines are their only place); its `summary.origins` holds
//! the per-origin table ([`crate::OriginSummary`]). The rule ids that fired on a transaction
//! are its line's `findings` field.
//! Nothing is written at start, so an interrupted run still leaves whole lines.

use crate::json::{ConnectionOut, DnsOut, TransactionRecord};
use crate::redact::{prepare, prepare_report};
use crate::{RenderOptions, Report, Sink};
use model::{ConnectionRecord, DnsLookup, Timestamp, Transaction};
use serde::Serialize;
use std::io::{self, Write};

/// One line: a `type` tag and the object's own fields.
#[derive(Serialize)]
struct Line<T> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    body: T,
}

/// Writes JSON lines (see the module documentation).
pub struct JsonlWriter<W> {
    out: W,
    opts: RenderOptions,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer to `w`.
    pub fn new(w: W, opts: RenderOptions) -> Self {
        JsonlWriter { out: w, opts }
    }

    fn line<T: Serialize>(&mut self, kind: &'static str, body: T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &Line { kind, body })?;
        self.out.write_all(b"\n")
    }
}

impl<W: Write> Sink for JsonlWriter<W> {
    fn start(&mut self, _origin: Timestamp) -> io::Result<()> {
        Ok(())
    }

    fn transaction(&mut self, t: &Transaction) -> io::Result<()> {
        let t = prepare(t, &self.opts);
        self.line("transaction", TransactionRecord::new(&t))
    }

    fn connection(&mut self, c: &ConnectionRecord) -> io::Result<()> {
        self.line("connection", ConnectionOut::new(c))
    }

    fn dns(&mut self, lookup: &DnsLookup) -> io::Result<()> {
        self.line("dns", DnsOut::new(lookup))
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        let report = prepare_report(report, &self.opts);
        for f in &report.findings {
            self.line("finding", f)?;
        }
        self.line("report", &*report)?;
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

    #[test]
    fn one_object_per_line_then_report() {
        let ts = [get(1, 0, 0), unanswered(2, 10)];
        let mut b = SummaryBuilder::new();
        ts.iter().for_each(|t| b.add(t));
        let report = Report {
            input: "-".into(),
            first_packet: None,
            last_packet: None,
            stats: model::Stats::default(),
            summary: b.build(),
            warnings: vec![],
            findings: Vec::new(),
        };
        let mut buf = Vec::new();
        let mut w = JsonlWriter::new(&mut buf, RenderOptions::default());
        w.start(Timestamp(T0)).unwrap();
        for t in &ts {
            w.transaction(t).unwrap();
        }
        w.finish(&report).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["type"], "transaction");
        assert_eq!(lines[0]["id"], 1);
        assert_eq!(
            lines[0]["request"]["headers"][1]["value"],
            "Bearer [redacted]"
        );
        assert_eq!(lines[0]["timings_ms"]["connect"], 20.0);
        assert_eq!(lines[1]["response"], Value::Null);
        assert_eq!(lines[1]["incomplete"][0]["reason"], "no_response");
        assert_eq!(lines[2]["type"], "report");
        assert_eq!(lines[2]["input"], "-");
        assert_eq!(lines[2]["summary"]["requests"], 2);
        assert_eq!(
            lines[2]["summary"]["slowest"][0]["url"],
            "http://example.com/index.html?q=rust&token=[redacted]"
        );
    }

    #[test]
    fn connection_lines_interleave() {
        let mut buf = Vec::new();
        let mut w = JsonlWriter::new(&mut buf, RenderOptions::default());
        w.start(Timestamp(T0)).unwrap();
        w.transaction(&tls_get(1, 0)).unwrap();
        w.connection(&tls_connection()).unwrap();
        w.connection(&nokeys_connection()).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["type"], "transaction");
        assert_eq!(lines[0]["tls"]["cipher_suite"], "TLS_AES_128_GCM_SHA256");
        assert_eq!(lines[0]["timings_ms"]["ssl"], 30.0);
        assert_eq!(lines[1]["type"], "connection");
        assert_eq!(lines[1]["id"], 5);
        let c = &lines[2];
        assert_eq!(c["type"], "connection");
        assert_eq!(c["id"], 7);
        assert_eq!(c["server"], "198.51.100.7:443");
        assert_eq!(c["transactions"], 0);
        assert_eq!(c["bytes"][1], 88_000);
        assert_eq!(c["tls"]["decryption"]["state"], "no_keys");
        assert_eq!(c["tls"]["records"][1], 30);
        assert_eq!(c["handshake_ms"], 35.0);
        assert!(text.starts_with("{\"type\":\"transaction\","));
    }

    #[test]
    fn dns_lines_and_http2_fields() {
        let mut buf = Vec::new();
        let mut w = JsonlWriter::new(&mut buf, RenderOptions::default());
        w.dns(&dns_answered()).unwrap();
        w.transaction(&h2_grpc(1, 0)).unwrap();
        let [_, to] = redirect_pair(2, 100);
        w.transaction(&to).unwrap();
        w.connection(&h2_connection()).unwrap();
        w.connection(&h2c_connection()).unwrap();
        w.dns(&dns_timed_out()).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 6);
        let d = &lines[0];
        assert_eq!(d["type"], "dns");
        assert_eq!(d["name"], "example.com");
        assert_eq!(d["qtype"], "A");
        assert_eq!(d["client"], "10.0.0.1:53000");
        assert_eq!(d["server"], "10.0.0.53:53");
        assert_eq!(d["rcode"], "NOERROR");
        assert_eq!(d["answers"][0], "A 93.184.216.34");
        assert_eq!(d["min_ttl"], 300);
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["outcome"], "answered");
        assert_eq!(d["duration_ms"], 12.0);
        assert!(text.starts_with("{\"type\":\"dns\","));
        let t = &lines[1];
        assert_eq!(t["type"], "transaction");
        assert_eq!(t["stream"], 3);
        assert_eq!(t["grpc"]["method"], "SayHello");
        assert_eq!(t["grpc"]["message"], "upstream connect error");
        assert_eq!(lines[2]["redirect"]["from"], 2);
        assert_eq!(lines[3]["http2"]["flow_control_stalls"], 1);
        assert_eq!(lines[4]["type"], "connection");
        assert_eq!(lines[4]["tls"], Value::Null);
        assert_eq!(lines[4]["http2"]["streams"], 4);
        let d = &lines[5];
        assert_eq!(d["type"], "dns");
        assert_eq!(d["outcome"], "timed_out");
        assert_eq!(d["attempts"], 2);
        assert_eq!(d["rcode"], Value::Null);
        assert_eq!(d["duration_ms"], Value::Null);
    }

    #[test]
    fn finding_lines_before_the_report() {
        let ts = [flagged(get(1, 0, 0), &["insecure-http"]), tls_get(5, 10)];
        let mut b = SummaryBuilder::new();
        ts.iter().for_each(|t| b.add(t));
        let report = Report {
            input: "-".into(),
            first_packet: None,
            last_packet: None,
            stats: model::Stats::default(),
            summary: b.build(),
            warnings: vec![],
            findings: findings(),
        };
        let mut buf = Vec::new();
        let mut w = JsonlWriter::new(&mut buf, RenderOptions::default());
        for t in &ts {
            w.transaction(t).unwrap();
        }
        w.finish(&report).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            ["transaction", "transaction", "finding", "finding", "report"]
        );
        assert_eq!(lines[0]["findings"], serde_json::json!(["insecure-http"]));
        assert_eq!(lines[1]["findings"], serde_json::json!([]));
        let f = &lines[2];
        assert_eq!(f["rule"], "insecure-http");
        assert_eq!(f["severity"], "error");
        assert_eq!(f["origin"], "http://example.com");
        assert_eq!(f["transactions"], serde_json::json!([1, 2]));
        assert_eq!(f["evidence"][1][1], "Bearer [redacted]");
        assert!(f["message"].as_str().unwrap().contains("token=[redacted]"));
        assert_eq!(
            f.as_object().unwrap().len(),
            8,
            "type and the seven fields of a finding"
        );
        let w = &lines[3];
        assert_eq!(w["rule"], "no-validator");
        assert_eq!(w["severity"], "warning");
        assert_eq!(
            w["hint"],
            "Send ETag or Last-Modified so that clients can revalidate."
        );
        let r = &lines[4];
        assert!(r.get("findings").is_none());
        let origins: Vec<&str> = r["summary"]["origins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["origin"].as_str().unwrap())
            .collect();
        assert_eq!(
            origins,
            ["http://example.com", "https://secure.example.com"]
        );
        assert_eq!(r["summary"]["origins"][1]["tls_versions"][0][0], "TLS 1.3");
    }

    #[test]
    fn show_secrets_keeps_finding_text() {
        let report = Report {
            input: "-".into(),
            first_packet: None,
            last_packet: None,
            stats: model::Stats::default(),
            summary: SummaryBuilder::new().build(),
            warnings: vec![],
            findings: findings(),
        };
        let mut buf = Vec::new();
        let opts = RenderOptions {
            show_secrets: true,
            ..RenderOptions::default()
        };
        JsonlWriter::new(&mut buf, opts).finish(&report).unwrap();
        let first: Value =
            serde_json::from_str(String::from_utf8(buf).unwrap().lines().next().unwrap()).unwrap();
        assert!(first["message"].as_str().unwrap().contains("token=abc123"));
        assert_eq!(first["evidence"][1][1], "Bearer s3cr3t");
    }
}
