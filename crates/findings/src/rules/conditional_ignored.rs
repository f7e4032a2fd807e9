//! `conditional-ignored`: a conditional request whose validator matches the response's current
//! one, answered `200` with a body instead of `304`. Sound without comparing bodies: when
//! `If-None-Match` lists the very ETag the server returns (weak comparison, RFC 9110 §13.1.2),
//! or `If-Modified-Since` is not earlier than `Last-Modified`, the server should have said 304.
//!
//! Source: REDbot `INM_FULL` / `IMS_FULL`.

use super::{Hit, Rule, Tx};
use crate::util;
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "conditional-ignored",
    severity: Severity::Warning,
    title: "Conditional request answered in full",
    explanation: "The client sent If-None-Match / If-Modified-Since matching the current validator, and the server sent the whole body (200) instead of 304 Not Modified.",
    hint: "Make the server evaluate If-None-Match / If-Modified-Since and answer 304 when they match.",
    source: "REDbot INM_FULL / IMS_FULL",
};

fn weak(tag: &str) -> &str {
    tag.trim().strip_prefix("W/").unwrap_or(tag.trim())
}

pub(crate) fn check(tx: &Tx) -> Option<Hit> {
    let (req, resp) = (tx.req()?, tx.resp()?);
    if resp.status != 200 || resp.body.encoded == 0 {
        return None;
    }
    if let Some(inm) = header_value(&req.headers, "if-none-match") {
        let etag = header_value(&resp.headers, "etag")?;
        let matched = inm.trim() == "*" || inm.split(',').any(|t| weak(t) == weak(etag));
        return matched.then(|| {
            Hit::new(
                RULE.severity,
                format!(
                    "{} sent If-None-Match {inm} and got 200 with the same ETag",
                    tx.what()
                ),
            )
            .with("if-none-match", inm)
            .with("etag", etag)
        });
    }
    let ims = header_value(&req.headers, "if-modified-since")?;
    let lm = header_value(&resp.headers, "last-modified")?;
    let not_modified = ims.trim() == lm.trim()
        || matches!((util::parse_http_date(ims), util::parse_http_date(lm)), (Some(i), Some(l)) if i >= l);
    not_modified.then(|| {
        Hit::new(
            RULE.severity,
            format!(
                "{} sent If-Modified-Since {ims} and got 200 with Last-Modified {lm}",
                tx.what()
            ),
        )
        .with("if-modified-since", ims)
        .with("last-modified", lm)
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_when_validator_matches() {
        let t = get("https://a.test/x")
            .req_header("If-None-Match", "\"a\", W/\"b\"")
            .header("ETag", "\"b\"")
            .body(100, None)
            .build();
        assert!(fires("conditional-ignored", &[t]));
        let ims = get("https://a.test/x")
            .req_header("If-Modified-Since", "Mon, 01 Jan 2024 00:00:00 GMT")
            .header("Last-Modified", "Sun, 31 Dec 2023 00:00:00 GMT")
            .body(100, None)
            .build();
        assert!(fires("conditional-ignored", &[ims]));
    }

    #[test]
    fn quiet_when_changed_or_304() {
        let changed = get("https://a.test/x")
            .req_header("If-None-Match", "\"a\"")
            .header("ETag", "\"b\"")
            .body(100, None)
            .build();
        let not_modified = get("https://a.test/x")
            .req_header("If-None-Match", "\"a\"")
            .header("ETag", "\"a\"")
            .status(304)
            .build();
        assert!(!fires("conditional-ignored", &[changed, not_modified]));
    }
}
