//! One self-contained HTML page per analysis: summary, findings, a request list with a
//! waterfall, filters and a detail pane, for 100,000 requests and more.
//!
//! This module owns [`HtmlWriter`] and the page's assets (`html/template.html`,
//! `html/report.css`, `html/report.js`, compiled in with `include_str!`). The page fetches
//! nothing: CSS and JavaScript are inline and its Content-Security-Policy forbids every other
//! source.
//!
//! Document shape, in writing order:
//! - the head of the template with the CSS, and the static skeleton of the page;
//! - `<script type="application/json" id="data">`: one JSON array holding, in emission
//!   order, one compact record per line: each transaction as [`model::Transaction`]
//!   serialises, each closed connection as `{"_connection": ...}` and each DNS lookup as
//!   `{"_dns": ...}` (the records of the JSON document's `connections` and `dns` arrays);
//! - `<script type="application/json" id="report">`: the report as [`Report`] serialises
//!   (`input`, `first_packet`, `last_packet`, `stats`, `summary` with its `origins`,
//!   `warnings`) plus `findings` (every [`model::Finding`]) and `transactions` (their count);
//! - the page's script, which parses both once and renders.
//!
//! Inside the JSON, every `<` and `>` is written `\u003c` and `\u003e` (still the same JSON),
//! so no text from the capture can close the script element (`</script>`) or switch the
//! HTML parser into a script-escaping state (`<!--`).
//!
//! Memory: everything streams. Each record is written when it arrives (through one reused
//! buffer) and forgotten; only the report is serialised at the end. Unless
//! [`RenderOptions::show_secrets`] is set, transactions, findings and the slowest-request URLs
//! are redacted like every other format.

use crate::json::{ConnectionOut, DnsOut};
use crate::redact::{prepare, prepare_report};
use crate::{RenderOptions, Report, Sink};
use model::{ConnectionRecord, DnsLookup, Finding, Timestamp, Transaction};
use serde::Serialize;
use std::io::{self, Write};

/// The page around the data: `/*@CSS*/` and `/*@JS*/` mark where the assets go, `<!--@DATA-->`
/// where the data goes.
const TEMPLATE: &str = include_str!("html/template.html");
const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

const CSS_MARK: &str = "/*@CSS*/";
const DATA_MARK: &str = "<!--@DATA-->";
const JS_MARK: &str = "/*@JS*/";

/// The template cut at its marks: before the CSS, between the CSS and the data, between the
/// data and the script, after the script.
fn template_parts() -> [&'static str; 4] {
    let (head, rest) = TEMPLATE.split_once(CSS_MARK).unwrap_or((TEMPLATE, ""));
    let (mid, rest) = rest.split_once(DATA_MARK).unwrap_or((rest, ""));
    let (before_js, tail) = rest.split_once(JS_MARK).unwrap_or((rest, ""));
    [head, mid, before_js, tail]
}

/// Writes `json` (serde_json output) with `<` and `>` escaped as JSON unicode escapes, which
/// keeps it the same JSON and makes it safe inside a `<script>` element. serde_json never
/// writes either byte outside a string, and neither occurs inside a multi-byte UTF-8 sequence.
fn write_script_safe<W: Write>(out: &mut W, json: &[u8]) -> io::Result<()> {
    let mut from = 0;
    for (i, b) in json.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'<' => b"\\u003c",
            b'>' => b"\\u003e",
            _ => continue,
        };
        out.write_all(&json[from..i])?;
        out.write_all(escaped)?;
        from = i + 1;
    }
    out.write_all(&json[from..])
}

/// The report as the page reads it: the report's own fields plus its findings and the number
/// of transactions.
#[derive(Serialize)]
struct ReportOut<'a> {
    #[serde(flatten)]
    report: &'a Report,
    findings: &'a [Finding],
    transactions: u64,
}

/// Writes one self-contained HTML page (see the module documentation for its shape).
pub struct HtmlWriter<W> {
    out: W,
    opts: RenderOptions,
    opened: bool,
    /// Records written to the data array (transactions, connections and lookups).
    records: u64,
    transactions: u64,
    /// Reused serialisation buffer: one record at a time.
    buf: Vec<u8>,
}

impl<W: Write> HtmlWriter<W> {
    /// A writer to `w`.
    pub fn new(w: W, opts: RenderOptions) -> Self {
        HtmlWriter {
            out: w,
            opts,
            opened: false,
            records: 0,
            transactions: 0,
            buf: Vec::new(),
        }
    }

    /// Writes the head, the skeleton and the opening of the data array, once.
    fn open(&mut self) -> io::Result<()> {
        if !self.opened {
            let [head, mid, _, _] = template_parts();
            self.out.write_all(head.as_bytes())?;
            self.out.write_all(CSS.as_bytes())?;
            self.out.write_all(mid.as_bytes())?;
            self.out
                .write_all(b"<script type=\"application/json\" id=\"data\">[")?;
            self.opened = true;
        }
        Ok(())
    }

    /// Appends one record to the data array.
    fn record<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        self.open()?;
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, value)?;
        self.out
            .write_all(if self.records == 0 { b"\n" } else { b",\n" })?;
        write_script_safe(&mut self.out, &self.buf)?;
        self.records += 1;
        // Keep the buffer from holding on to one huge record's memory.
        if self.buf.capacity() > 1 << 20 {
            self.buf = Vec::new();
        }
        Ok(())
    }
}

/// `{"_connection": ...}`: a connection record in the data array.
#[derive(Serialize)]
struct ConnectionEntry<'a> {
    #[serde(rename = "_connection")]
    connection: ConnectionOut<'a>,
}

/// `{"_dns": ...}`: a DNS lookup in the data array.
#[derive(Serialize)]
struct DnsEntry<'a> {
    #[serde(rename = "_dns")]
    dns: DnsOut<'a>,
}

impl<W: Write> Sink for HtmlWriter<W> {
    fn start(&mut self, _origin: Timestamp) -> io::Result<()> {
        self.open()
    }

    fn transaction(&mut self, t: &Transaction) -> io::Result<()> {
        let t = prepare(t, &self.opts);
        self.record(&*t)?;
        self.transactions += 1;
        Ok(())
    }

    fn connection(&mut self, c: &ConnectionRecord) -> io::Result<()> {
        self.record(&ConnectionEntry {
            connection: ConnectionOut::new(c),
        })
    }

    fn dns(&mut self, lookup: &DnsLookup) -> io::Result<()> {
        self.record(&DnsEntry {
            dns: DnsOut::new(lookup),
        })
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        self.open()?;
        let report = prepare_report(report, &self.opts);
        self.buf.clear();
        serde_json::to_writer(
            &mut self.buf,
            &ReportOut {
                report: &report,
                findings: &report.findings,
                transactions: self.transactions,
            },
        )?;
        self.out.write_all(b"\n]</script>\n")?;
        self.out
            .write_all(b"<script type=\"application/json\" id=\"report\">")?;
        write_script_safe(&mut self.out, &self.buf)?;
        self.buf = Vec::new();
        self.out.write_all(b"</script>")?;
        let [_, _, before_js, tail] = template_parts();
        self.out.write_all(before_js.as_bytes())?;
        self.out.write_all(JS.as_bytes())?;
        self.out.write_all(tail.as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{
        dns_answered, findings, flagged, get, h2_connection, h2_grpc, tls_get, unanswered, T0,
    };
    use crate::SummaryBuilder;
    use model::Header;
    use serde_json::Value;

    fn report(ts: &[Transaction], findings: Vec<Finding>) -> Report {
        let mut b = SummaryBuilder::new();
        ts.iter().for_each(|t| b.add(t));
        Report {
            input: "capture.pcap".into(),
            first_packet: Some(Timestamp(T0)),
            last_packet: Some(Timestamp(T0 + 1)),
            stats: model::Stats::default(),
            summary: b.build(),
            warnings: vec!["a <b>warning</b>".into()],
            findings,
        }
    }

    fn render(ts: &[Transaction], findings: Vec<Finding>, opts: RenderOptions) -> String {
        let mut w = HtmlWriter::new(Vec::new(), opts);
        w.start(Timestamp(T0)).unwrap();
        for t in ts {
            w.transaction(t).unwrap();
        }
        w.connection(&h2_connection()).unwrap();
        w.dns(&dns_answered()).unwrap();
        w.finish(&report(ts, findings)).unwrap();
        String::from_utf8(w.out).unwrap()
    }

    /// The text of `<script type="application/json" id="{id}">`, parsed.
    fn script_json(html: &str, id: &str) -> Value {
        let open = format!("<script type=\"application/json\" id=\"{id}\">");
        let start = html.find(&open).expect("data script") + open.len();
        let len = html[start..].find("</script>").expect("script end");
        serde_json::from_str(&html[start..start + len]).expect("valid JSON")
    }

    /// The transactions of the data array.
    fn transactions(html: &str) -> Vec<Transaction> {
        let Value::Array(records) = script_json(html, "data") else {
            panic!("data is not an array")
        };
        records
            .into_iter()
            .filter(|r| r.get("_connection").is_none() && r.get("_dns").is_none())
            .map(|r| serde_json::from_value(r).expect("a transaction"))
            .collect()
    }

    #[test]
    fn data_round_trips_as_json() {
        let mut with_process = get(1, 0, 0);
        with_process.process = Some(model::Process {
            pid: 7,
            comm: "curl".into(),
            cmdline: vec!["curl".into(), "http://example.com/".into()],
            ..model::Process::default()
        });
        let ts = vec![
            with_process,
            unanswered(2, 10),
            tls_get(3, 20),
            flagged(h2_grpc(4, 30), &["grpc-error"]),
        ];
        let opts = RenderOptions {
            show_secrets: true,
            ..RenderOptions::default()
        };
        let html = render(&ts, findings(), opts);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.trim_end().ends_with("</html>"));
        assert_eq!(transactions(&html), ts);
        let Value::Array(records) = script_json(&html, "data") else {
            panic!()
        };
        assert_eq!(records.len(), 6);
        assert_eq!(records[4]["_connection"]["id"], 9);
        assert_eq!(records[4]["_connection"]["duration_ms"], 1000.0);
        assert_eq!(records[5]["_dns"]["name"], "example.com");
        assert_eq!(records[0]["process"]["comm"], "curl");
        assert_eq!(records[1].get("process"), None, "absent, not null");
        let r = script_json(&html, "report");
        assert_eq!(r["input"], "capture.pcap");
        assert_eq!(r["transactions"], 4);
        assert_eq!(r["summary"]["requests"], 4);
        assert!(r["summary"]["origins"].is_array());
        assert_eq!(r["findings"][0]["rule"], "insecure-http");
        assert_eq!(r["warnings"][0], "a <b>warning</b>");
        let findings: Vec<Finding> = serde_json::from_value(r["findings"].clone()).unwrap();
        assert_eq!(findings, crate::fixtures::findings());
    }

    #[test]
    fn script_end_in_header_values_is_escaped() {
        let mut t = get(1, 0, 0);
        let evil = "</script><script>alert(1)</script><!--<script>";
        if let Some(r) = t.response.as_mut() {
            r.headers.push(Header::new("X-Evil", evil));
        }
        t.url = format!("http://example.com/</SCRIPT>{evil}");
        let html = render(
            std::slice::from_ref(&t),
            Vec::new(),
            RenderOptions::default(),
        );
        // Only the page's own script elements close: two JSON, one program.
        assert_eq!(html.matches("</script>").count(), 3);
        assert!(!html.to_ascii_lowercase().contains("</script><script>alert"));
        assert!(!html.contains("<!--<script>"));
        let back = transactions(&html);
        let headers = &back[0].response.as_ref().unwrap().headers;
        assert_eq!(headers.last().unwrap().value, evil);
        assert_eq!(back[0].url, t.url);
    }

    #[test]
    fn secrets_are_redacted_by_default() {
        let ts = [get(1, 0, 0)];
        let html = render(&ts, findings(), RenderOptions::default());
        for secret in ["s3cr3t", "abc123", "xyz", "newsecret"] {
            assert!(!html.contains(secret), "{secret} leaked");
        }
        let t = &transactions(&html)[0];
        assert_eq!(
            t.url,
            "http://example.com/index.html?q=rust&token=[redacted]"
        );
        let r = script_json(&html, "report");
        assert_eq!(r["findings"][0]["evidence"][1][1], "Bearer [redacted]");

        let shown = render(
            &ts,
            findings(),
            RenderOptions {
                show_secrets: true,
                ..RenderOptions::default()
            },
        );
        assert!(shown.contains("Bearer s3cr3t") && shown.contains("token=abc123"));
    }

    #[test]
    fn empty_report_renders() {
        let mut w = HtmlWriter::new(Vec::new(), RenderOptions::default());
        // No start: an empty capture.
        w.finish(&report(&[], Vec::new())).unwrap();
        let html = String::from_utf8(w.out).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("</html>"));
        assert_eq!(script_json(&html, "data"), Value::Array(vec![]));
        assert_eq!(script_json(&html, "report")["transactions"], 0);
        assert!(html.contains("id=\"filter-text\"") && html.contains("id=\"filter-status\""));
    }

    #[test]
    fn assets_are_inline_and_cannot_end_their_elements() {
        let [head, mid, before_js, tail] = template_parts();
        assert!(!mid.is_empty() && !before_js.is_empty() && !tail.is_empty());
        assert!(head.contains("<style>") && before_js.trim_end().ends_with("<script>"));
        assert!(!CSS.contains("</style"));
        assert!(!JS.to_ascii_lowercase().contains("</script"));
        assert!(!JS.contains("<!--"));
        // Nothing is fetched: no external script, style sheet, image or font.
        for page in [TEMPLATE, CSS, JS] {
            for fetch in [
                "src=",
                "href=",
                "url(",
                "@import",
                "fetch(",
                "XMLHttpRequest",
            ] {
                assert!(!page.contains(fetch), "{fetch}");
            }
        }
    }

    #[test]
    fn errors_are_returned() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = HtmlWriter::new(Broken, RenderOptions::default());
        assert!(w.start(Timestamp(T0)).is_err());
    }
}
