//! JSON lines: one JSON object per line, ready for `jq`, log shippers and `grep`.
//!
//! This module owns [`JsonlWriter`]. Each transaction is one line
//! `{"type":"transaction", ...}` with the fields of the shared record (every field of
//! [`model::Transaction`], plus `started`, `total_ms` and `timings_ms`; see [`crate::JsonWriter`]).
//! [`Sink::finish`] writes a last line `{"type":"report", ...}` with the fields of [`Report`].
//! Nothing is written at start, so an interrupted run still leaves whole lines.

use crate::json::TransactionRecord;
use crate::redact::{prepare, prepare_report};
use crate::{RenderOptions, Report, Sink};
use model::{Timestamp, Transaction};
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

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        let report = prepare_report(report, &self.opts);
        self.line("report", &*report)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{get, unanswered, T0};
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
}
