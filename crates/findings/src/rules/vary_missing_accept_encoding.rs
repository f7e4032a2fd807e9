//! `vary-missing-accept-encoding`: a content-coded response whose `Vary` does not name
//! `Accept-Encoding` (nor `*`), so a shared cache may serve the coded body to a client that
//! cannot decode it (RFC 9110 §12.5.5).
//!
//! Source: REDbot `CONNEG_NO_VARY`.

use super::{Hit, Rule, Tx};
use crate::util;
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "vary-missing-accept-encoding",
    severity: Severity::Warning,
    title: "Compressed response without Vary: Accept-Encoding",
    explanation: "The response is content-coded but Vary does not list Accept-Encoding: caches may hand the compressed body to clients that did not ask for it.",
    hint: "Add `Vary: Accept-Encoding` to every response whose coding depends on Accept-Encoding.",
    source: "REDbot CONNEG_NO_VARY",
};

pub(crate) fn check(tx: &Tx) -> Option<Hit> {
    let resp = tx.resp()?;
    let coding = util::tokens(&resp.headers, "content-encoding");
    if coding.iter().all(|c| c == "identity") {
        return None;
    }
    let vary = util::tokens(&resp.headers, "vary");
    if vary.iter().any(|v| v == "accept-encoding" || v == "*") {
        return None;
    }
    Some(
        Hit::new(
            RULE.severity,
            format!(
                "{} is {}-coded but Vary lacks Accept-Encoding",
                tx.what(),
                coding.join(",")
            ),
        )
        .with("content-encoding", coding.join(", "))
        .with(
            "vary",
            header_value(&resp.headers, "vary").unwrap_or("(none)"),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_without_vary() {
        let t = get("https://a.test/")
            .header("Content-Encoding", "gzip")
            .build();
        assert!(fires("vary-missing-accept-encoding", &[t]));
    }

    #[test]
    fn quiet_with_vary_or_identity() {
        let ok = get("https://a.test/")
            .header("Content-Encoding", "br")
            .header("Vary", "Origin, Accept-Encoding")
            .build();
        assert!(!fires(
            "vary-missing-accept-encoding",
            &[ok, get("https://a.test/").build()]
        ));
    }
}
