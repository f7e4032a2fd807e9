//! `connection-close`: a response with `Connection: close`, or an HTTP/1.0 response without
//! `keep-alive`, which forces the next request onto a new connection (RFC 9112 §9.6).
//!
//! Source: headers; the catalog's "connection-close".

use super::{Hit, Rule, Tx};
use crate::util;
use model::Severity;

pub(crate) const RULE: Rule = Rule {
    id: "connection-close",
    severity: Severity::Info,
    title: "Connection closed after the response",
    explanation: "The response ends its connection (Connection: close, or HTTP/1.0 without keep-alive): the next request pays a new TCP and TLS handshake.",
    hint: "Enable keep-alive on the server (and HTTP/1.1 or HTTP/2 in the client).",
    source: "ours (headers)",
};

pub(crate) fn check(tx: &Tx) -> Option<Hit> {
    let resp = tx.resp()?;
    if tx.t.stream.is_some() {
        return None;
    }
    let conn = util::tokens(&resp.headers, "connection");
    if conn.iter().any(|c| c == "close") {
        return Some(
            Hit::new(
                RULE.severity,
                format!("{} answered with Connection: close", tx.what()),
            )
            .with("connection", "close"),
        );
    }
    (resp.version == "HTTP/1.0" && !conn.iter().any(|c| c == "keep-alive")).then(|| {
        Hit::new(
            RULE.severity,
            format!("{} answered HTTP/1.0 without keep-alive", tx.what()),
        )
        .with("version", "HTTP/1.0")
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_close_and_http10() {
        let close = get("https://a.test/").header("Connection", "close").build();
        assert!(fires("connection-close", &[close]));
        assert!(fires(
            "connection-close",
            &[get("https://a.test/").version("HTTP/1.0").build()]
        ));
    }

    #[test]
    fn quiet_on_keep_alive() {
        let ka = get("https://a.test/")
            .version("HTTP/1.0")
            .header("Connection", "keep-alive")
            .build();
        assert!(!fires(
            "connection-close",
            &[ka, get("https://a.test/").build()]
        ));
    }
}
