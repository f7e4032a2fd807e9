//! `framing-error`: message framing the parser could not trust: both `Content-Length` and
//! `Transfer-Encoding` (RFC 9112 §6.3: a smuggling vector), conflicting `Content-Length`
//! values, a `Content-Length` that disagrees with the body received in a complete exchange,
//! or a message that could not be parsed (bad chunking, bytes after the message), as reported
//! by the parser's `malformed` incomplete reason.
//!
//! Source: httplint `CL_INCORRECT`, `CL_AND_TE_PRESENT`; REDbot `BAD_CHUNK`.

use super::{Hit, Rule, Tx};
use crate::util;
use model::{BodySize, Header, IncompleteReason, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "framing-error",
    severity: Severity::Error,
    title: "Message framing error",
    explanation: "A message's length cannot be trusted: Content-Length with Transfer-Encoding, conflicting or wrong Content-Length, bad chunking or stray bytes after a message. Proxies may split such messages differently (request smuggling) or truncate them.",
    hint: "Send exactly one correct Content-Length, or chunked Transfer-Encoding without Content-Length.",
    source: "httplint CL_INCORRECT, CL_AND_TE_PRESENT; REDbot BAD_CHUNK",
};

/// Problems of one message's framing; `body_expected` is false when the message has no body
/// by definition (HEAD responses, 1xx/204/304) and `complete` when the exchange was fully seen.
fn framing(
    side: &str,
    headers: &[Header],
    body: &BodySize,
    body_expected: bool,
    complete: bool,
    out: &mut Vec<(String, String)>,
) {
    let lengths: Vec<&str> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
        .flat_map(|h| h.value.split(','))
        .map(str::trim)
        .collect();
    let te = !util::tokens(headers, "transfer-encoding").is_empty();
    if te && !lengths.is_empty() {
        out.push((
            format!("{side} framing"),
            "Content-Length and Transfer-Encoding both present".into(),
        ));
        return;
    }
    let Some(first) = lengths.first() else { return };
    if lengths.iter().any(|l| l != first) {
        out.push((
            format!("{side} content-length"),
            format!("conflicting values {}", lengths.join(", ")),
        ));
    } else if let Ok(n) = first.parse::<u64>() {
        if body_expected && complete && n != body.encoded {
            out.push((
                format!("{side} content-length"),
                format!("{n}, but the body had {} bytes", body.encoded),
            ));
        }
    } else {
        out.push((
            format!("{side} content-length"),
            format!("invalid `{first}`"),
        ));
    }
}

pub(crate) fn check(tx: &Tx) -> Option<Hit> {
    use IncompleteReason::*;
    let t = tx.t;
    let mut out = Vec::new();
    let lossy = |reasons: &[IncompleteReason]| {
        t.incomplete
            .iter()
            .any(|i| reasons.contains(&i.reason) || matches!(i.reason, Snapped | Reset | Malformed))
    };
    if let Some(req) = tx.req() {
        let complete = !lossy(&[RequestGap, RequestTruncated]);
        framing("request", &req.headers, &req.body, true, complete, &mut out);
    }
    if let Some(resp) = tx.resp() {
        let complete = !lossy(&[ResponseGap, ResponseTruncated]);
        let body_expected = t.method() != "HEAD"
            && !(100..200).contains(&resp.status)
            && !matches!(resp.status, 204 | 304);
        framing(
            "response",
            &resp.headers,
            &resp.body,
            body_expected,
            complete,
            &mut out,
        );
    }
    for i in t.incomplete.iter().filter(|i| i.reason == Malformed) {
        out.push(("malformed".into(), i.detail.clone()));
    }
    if out.is_empty() {
        return None;
    }
    let what: Vec<&str> = out.iter().map(|(_, v)| v.as_str()).collect();
    let mut hit = Hit::new(RULE.severity, format!("{}: {}", tx.what(), what.join("; ")));
    hit.evidence = out;
    Some(hit)
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use model::IncompleteReason;

    #[test]
    fn fires_on_cl_and_te_wrong_length_and_malformed() {
        let both = get("https://a.test/")
            .header("Content-Length", "10")
            .header("Transfer-Encoding", "chunked")
            .build();
        assert!(fires("framing-error", &[both]));
        let wrong = get("https://a.test/")
            .header("Content-Length", "10")
            .body(7, None)
            .build();
        assert!(fires("framing-error", &[wrong]));
        let bad = get("https://a.test/")
            .incomplete(IncompleteReason::Malformed)
            .build();
        assert!(fires("framing-error", &[bad]));
    }

    #[test]
    fn quiet_when_consistent_truncated_or_head() {
        let ok = get("https://a.test/")
            .header("Content-Length", "7")
            .body(7, None)
            .build();
        let cut = get("https://a.test/")
            .header("Content-Length", "10")
            .body(7, None)
            .incomplete(IncompleteReason::ResponseTruncated)
            .build();
        let head = get("https://a.test/")
            .method("HEAD")
            .header("Content-Length", "10")
            .build();
        assert!(!fires("framing-error", &[ok, cut, head]));
    }
}
