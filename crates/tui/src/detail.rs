//! The detail pane's text: everything known about one request, as styled lines.
//!
//! This module owns the order and wording of the pane: the request line, status, addresses,
//! connection, process (label, command line, executable, cgroup, container), sizes, timings
//! by phase, findings (with the report's message and hint once it has arrived), incomplete
//! reasons, TLS facts, cache headers, and the request and response headers. The transaction it
//! is given is already redacted (see [`crate::list::Row::transaction`]); findings are redacted
//! by the caller. All capture text passes through [`clean`].

use crate::format::{bytes, clean, duration};
use crate::waterfall::{phases, Phase};
use model::{header_value, Decryption, Finding, Header, Severity, Timestamp, Transaction};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// Response headers shown under "Cache".
const CACHE_HEADERS: [&str; 7] = [
    "cache-control",
    "etag",
    "last-modified",
    "age",
    "expires",
    "vary",
    "pragma",
];

fn heading(text: &str) -> Line<'static> {
    Line::from(Span::styled(
        text.to_owned(),
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    ))
}

fn field(name: &str, value: impl AsRef<str>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<14}"), Style::default().fg(Color::DarkGray)),
        Span::raw(clean(value.as_ref())),
    ])
}

fn headers(out: &mut Vec<Line<'static>>, title: &str, hs: &[Header]) {
    out.push(heading(&format!("{title} ({})", hs.len())));
    for h in hs {
        out.push(Line::from(vec![
            Span::styled(clean(&h.name), Style::default().fg(Color::Cyan)),
            Span::raw(": "),
            Span::raw(clean(&h.value)),
        ]));
    }
}

/// Colour of a severity.
pub fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Info => Color::Blue,
    }
}

/// The lines of the pane for `t`. `origin` is the capture's first packet (for the relative
/// start); `findings` are the report's findings about `t` (empty before the report).
pub fn lines(
    t: &Transaction,
    origin: Option<Timestamp>,
    findings: &[&Finding],
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    out.push(Line::from(Span::styled(
        clean(&format!("{} {}", t.method(), t.url)),
        Style::default().add_modifier(Modifier::BOLD),
    )));
    out.push(field(
        "Status",
        match &t.response {
            Some(r) => format!("{} {}", r.status, r.reason),
            None => "no response".to_owned(),
        },
    ));
    out.push(field("Protocol", &t.protocol));
    let relative = origin.map_or(String::new(), |o| {
        format!(" (+{})", duration(t.start.since(o)))
    });
    out.push(field(
        "Started",
        format!("{}{relative}", t.start.to_rfc3339_millis()),
    ));
    out.push(field("Client", t.client.to_string()));
    out.push(field("Server", t.server.to_string()));
    out.push(field(
        "Connection",
        format!(
            "{} ({})",
            t.connection,
            if t.reused() {
                format!("request {}, reused", u64::from(t.position) + 1)
            } else {
                "first request".to_owned()
            }
        ),
    ));
    if let Some(s) = t.stream {
        out.push(field("HTTP/2 stream", s.to_string()));
    }
    if let Some(source) = &t.source {
        out.push(field(
            "Content",
            format!("read through the {source}, without keys"),
        ));
    }
    match &t.process {
        Some(p) => {
            out.push(field("Process", p.label()));
            out.push(field("Command", p.command()));
            if let Some(exe) = &p.exe {
                out.push(field("Executable", exe));
            }
            let ids = [
                p.ppid.map(|v| format!("ppid {v}")),
                p.uid.map(|v| format!("uid {v}")),
            ];
            let ids: Vec<String> = ids.into_iter().flatten().collect();
            if !ids.is_empty() {
                out.push(field("Ids", ids.join(", ")));
            }
            if let Some(c) = &p.cgroup {
                out.push(field("Cgroup", c));
            }
            if let Some(c) = &p.container {
                out.push(field("Container", c));
            }
        }
        None => out.push(field("Process", "-")),
    }
    out.push(field("Sent", bytes(t.request_wire_bytes())));
    if t.response.is_some() {
        out.push(field(
            "Received",
            format!(
                "{} on the wire, {} decoded",
                bytes(t.response_wire_bytes()),
                bytes(t.response_decoded_bytes())
            ),
        ));
    }
    if let Some(r) = &t.redirect {
        out.push(field(
            "Redirect",
            format!("from #{} (hop {})", r.from, r.hops),
        ));
    }
    if let Some(g) = &t.grpc {
        let status = g.status.map_or(String::new(), |s| format!(" status {s}"));
        let message = g.message.as_deref().unwrap_or("");
        out.push(field(
            "gRPC",
            format!("{}/{}{status} {message}", g.service, g.method),
        ));
    }
    if let Some(l) = &t.dns {
        let took = l.end.map_or(String::new(), |e| {
            format!(" in {}", duration(e.since(l.start)))
        });
        out.push(field(
            "DNS",
            format!("{} {} {:?}{took}", l.name, l.qtype, l.outcome),
        ));
    }

    out.push(Line::default());
    out.push(heading("Timings"));
    let ps = phases(&t.timings);
    for (phase, d) in Phase::ALL.iter().zip(ps) {
        if d == 0 {
            continue;
        }
        out.push(Line::from(vec![
            Span::styled("██ ", Style::default().fg(phase.color())),
            Span::raw(format!("{:<9}{:>10}", phase.name(), duration(d))),
        ]));
    }
    out.push(Line::from(format!(
        "   {:<9}{:>10}",
        "total",
        duration(t.timings.total())
    )));

    out.push(Line::default());
    out.push(heading("Findings"));
    if t.findings.is_empty() && findings.is_empty() {
        out.push(Line::from(Span::styled(
            "none",
            Style::default().fg(Color::DarkGray),
        )));
    }
    for f in findings {
        out.push(Line::from(vec![
            Span::styled(
                format!("{:?} ", f.severity).to_lowercase(),
                Style::default().fg(severity_color(f.severity)),
            ),
            Span::styled(
                clean(&f.rule),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(" "),
            Span::raw(clean(&f.message)),
        ]));
        if !f.hint.is_empty() {
            out.push(Line::from(Span::styled(
                format!("  fix: {}", clean(&f.hint)),
                Style::default().fg(Color::DarkGray),
            )));
        }
    }
    for rule in &t.findings {
        if !findings.iter().any(|f| &f.rule == rule) {
            out.push(Line::from(Span::styled(
                clean(rule),
                Style::default().add_modifier(Modifier::BOLD),
            )));
        }
    }
    if !t.incomplete.is_empty() {
        out.push(Line::default());
        out.push(heading("Incomplete"));
        for i in &t.incomplete {
            out.push(Line::from(clean(&format!("{:?}: {}", i.reason, i.detail))));
        }
    }

    if let Some(tls) = &t.tls {
        out.push(Line::default());
        out.push(heading("TLS"));
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
        out.push(field("Version", opt(&tls.version)));
        out.push(field("Cipher suite", opt(&tls.cipher_suite)));
        out.push(field("SNI", opt(&tls.sni)));
        out.push(field(
            "ALPN",
            format!(
                "{} (offered {})",
                opt(&tls.alpn),
                tls.alpn_offered.join(", ")
            ),
        ));
        out.push(field("Resumed", if tls.resumed { "yes" } else { "no" }));
        if let (Some(a), Some(b)) = (tls.handshake_start, tls.handshake_end) {
            out.push(field("Handshake", duration(b.since(a))));
        }
        let decryption = match &tls.decryption {
            Decryption::Pending => "pending".to_owned(),
            Decryption::Decrypted => "decrypted".to_owned(),
            Decryption::NoKeys => "no keys".to_owned(),
            Decryption::Unsupported { suite } => format!("unsupported suite {suite}"),
            Decryption::Failed { records, detail } => {
                format!("failed ({records} records: {detail})")
            }
        };
        out.push(field("Decryption", decryption));
        for a in &tls.alerts {
            out.push(field(
                "Alert",
                format!("{} {} ({:?})", a.level, a.description, a.from),
            ));
        }
        if let Some(c) = tls.certificates.first() {
            out.push(field("Certificate", &c.subject));
            out.push(field("Issuer", &c.issuer));
            if let Some(end) = c.not_after {
                out.push(field("Valid until", end.to_rfc3339_millis()));
            }
        }
    }

    out.push(Line::default());
    out.push(heading("Cache"));
    let response_headers = t.response.as_ref().map_or(&[][..], |r| &r.headers[..]);
    let request_headers = t.request.as_ref().map_or(&[][..], |r| &r.headers[..]);
    for name in CACHE_HEADERS {
        out.push(field(
            name,
            header_value(response_headers, name).unwrap_or("-"),
        ));
    }
    for name in ["if-none-match", "if-modified-since"] {
        if let Some(v) = header_value(request_headers, name) {
            out.push(field(name, v));
        }
    }

    out.push(Line::default());
    if let Some(r) = &t.request {
        headers(&mut out, "Request headers", &r.headers);
        if !r.trailers.is_empty() {
            headers(&mut out, "Request trailers", &r.trailers);
        }
    }
    if let Some(r) = &t.response {
        headers(&mut out, "Response headers", &r.headers);
        if !r.trailers.is_empty() {
            headers(&mut out, "Response trailers", &r.trailers);
        }
    }
    out
}
