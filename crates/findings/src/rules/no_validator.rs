//! `no-validator`: a `200` answer to `GET` without `ETag` or `Last-Modified`, so the client can
//! never revalidate it cheaply (RFC 9110 §8.8).
//!
//! Source: the seed request; httplint (REDbot's "no validator" note).

use super::{Hit, Rule, Tx};
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "no-validator",
    severity: Severity::Warning,
    title: "Response without validator",
    explanation: "A 200 response to GET carried neither ETag nor Last-Modified: a client cannot ask \"has it changed?\" and must download it again in full.",
    hint: "Send an ETag (or Last-Modified) so clients can revalidate with If-None-Match.",
    source: "seed request; httplint",
};

pub(crate) fn check(tx: &Tx) -> Option<Hit> {
    let resp = tx.resp()?;
    if tx.t.method() != "GET" || resp.status != 200 {
        return None;
    }
    if header_value(&resp.headers, "etag").is_some()
        || header_value(&resp.headers, "last-modified").is_some()
    {
        return None;
    }
    Some(Hit::new(
        RULE.severity,
        format!("{} answered 200 without ETag or Last-Modified", tx.what()),
    ))
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_without_validators() {
        assert!(fires("no-validator", &[get("https://a.test/x").build()]));
    }

    #[test]
    fn quiet_with_a_validator_or_other_methods() {
        let etag = get("https://a.test/x").header("ETag", "\"1\"").build();
        let lm = get("https://a.test/x")
            .header("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")
            .build();
        let post = get("https://a.test/x").method("POST").build();
        assert!(!fires("no-validator", &[etag, lm, post]));
    }

    #[test]
    fn examples_are_capped_with_the_count_in_evidence() {
        let txs: Vec<_> = (1..=25)
            .map(|i| get("https://a.test/x").id(i).build())
            .collect();
        let f = run(&txs);
        let nv = of(&f, "no-validator");
        assert_eq!(nv.len(), 1);
        assert_eq!(nv[0].transactions.len(), 20);
        assert!(nv[0]
            .evidence
            .contains(&("occurrences".into(), "25".into())));
        assert_eq!(nv[0].origin.as_deref(), Some("https://a.test"));
    }
}
