//! One JSON document per analysis, with the transactions streamed inside it.
//!
//! This module owns [`JsonWriter`] and the per-transaction record shared with the JSON lines
//! format ([`TransactionRecord`]): every field of [`model::Transaction`] as serde writes it,
//! plus `started` (RFC 3339 text), `total_ms` and `timings_ms` (phases in milliseconds, `null`
//! when they do not apply).
//!
//! Document shape: `{"transactions":[...],"input":..,"first_packet":..,"last_packet":..,
//! "stats":..,"summary":..,"warnings":[..]}`. The transactions come first because the rest is
//! only known at the end; JSON objects are unordered, so readers are unaffected. Each
//! transaction is on its own line to keep the file greppable.

use crate::redact::{prepare, prepare_report};
use crate::{millis, RenderOptions, Report, Sink};
use model::{Timestamp, Timings, Transaction};
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

/// Writes one JSON document (see the module documentation for its shape).
pub struct JsonWriter<W> {
    out: W,
    opts: RenderOptions,
    opened: bool,
    count: u64,
}

impl<W: Write> JsonWriter<W> {
    /// A writer to `w`.
    pub fn new(w: W, opts: RenderOptions) -> Self {
        JsonWriter {
            out: w,
            opts,
            opened: false,
            count: 0,
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

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        self.open()?;
        let report = prepare_report(report, &self.opts);
        let rest = serde_json::to_vec(&*report)?;
        // `rest` is `{"input":...}`: drop its `{` and let its `}` close the document.
        self.out
            .write_all(if self.count == 0 { b"]," } else { b"\n]," })?;
        self.out.write_all(rest.get(1..).unwrap_or(b"}"))?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{get, unanswered, T0};
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
        }
    }

    fn run(ts: &[Transaction], opts: RenderOptions) -> Value {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf, opts);
        w.start(Timestamp(T0)).unwrap();
        for t in ts {
            w.transaction(t).unwrap();
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
        assert_eq!(v["summary"]["requests"], 0);
    }
}
