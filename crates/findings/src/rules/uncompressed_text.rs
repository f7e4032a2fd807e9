//! `uncompressed-text`: a text-like response (HTML, CSS, JavaScript, JSON, XML, SVG, plain
//! text) of at least `uncompressed_text_min_bytes` sent without `Content-Encoding` although
//! the client's `Accept-Encoding` offered a coding.
//!
//! Source: Lighthouse `uses-text-compression`. Lighthouse gzips the body and fires only when
//! that saves ≥ 10 %; httpscope does not keep bodies, so this rule estimates nothing: it fires
//! on every such response and its evidence says the savings were not measured. Text of that
//! size practically always compresses by far more than 10 %.

use super::{Hit, Rule, Tx};
use crate::util;
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "uncompressed-text",
    severity: Severity::Warning,
    title: "Text sent uncompressed",
    explanation: "A text response was sent without Content-Encoding although the client accepts compressed responses. (httpscope does not keep bodies, so the savings are not measured.)",
    hint: "Enable gzip, br or zstd for text types on the server.",
    source: "Lighthouse uses-text-compression",
};

fn is_text(content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    let mime = ct.split(';').next().unwrap_or("").trim();
    mime.starts_with("text/")
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
        || mime.contains("javascript")
        || matches!(
            mime,
            "application/json" | "application/xml" | "image/svg+xml"
        )
}

pub(crate) fn check(tx: &Tx, min_bytes: u64) -> Option<Hit> {
    let (req, resp) = (tx.req()?, tx.resp()?);
    let ct = header_value(&resp.headers, "content-type")?;
    let offered = util::tokens(&req.headers, "accept-encoding");
    let coded = util::tokens(&resp.headers, "content-encoding");
    if !is_text(ct)
        || resp.body.encoded < min_bytes
        || coded.iter().any(|c| c != "identity")
        || !offered.iter().any(|c| c != "identity")
    {
        return None;
    }
    Some(
        Hit::new(
            RULE.severity,
            format!(
                "{} sent {} bytes of {ct} uncompressed",
                tx.what(),
                resp.body.encoded
            ),
        )
        .with("content-type", ct)
        .with("bytes", resp.body.encoded)
        .with(
            "accept-encoding",
            header_value(&req.headers, "accept-encoding").unwrap_or(""),
        )
        .with("compression savings", "not measured (bodies are not kept)"),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_large_plain_text() {
        let t = get("https://a.test/")
            .req_header("Accept-Encoding", "gzip, br")
            .header("Content-Type", "text/html; charset=utf-8")
            .body(5_000, None)
            .build();
        assert!(fires("uncompressed-text", &[t]));
    }

    #[test]
    fn quiet_when_small_compressed_binary_or_not_accepted() {
        let small = get("https://a.test/")
            .req_header("Accept-Encoding", "gzip")
            .header("Content-Type", "text/html")
            .body(1_000, None)
            .build();
        let gz = get("https://a.test/")
            .req_header("Accept-Encoding", "gzip")
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip")
            .body(2_000, Some(9_000))
            .build();
        let png = get("https://a.test/")
            .req_header("Accept-Encoding", "gzip")
            .header("Content-Type", "image/png")
            .body(9_000, None)
            .build();
        let no_ae = get("https://a.test/")
            .header("Content-Type", "text/css")
            .body(9_000, None)
            .build();
        assert!(!fires("uncompressed-text", &[small, gz, png, no_ae]));
    }
}
