//! `client-not-revalidating`: the same URL fetched again although the earlier response carried a
//! validator (ETag or Last-Modified), without `If-None-Match` or `If-Modified-Since`: the client
//! downloads in full what a `304` could have confirmed.
//!
//! Source: ours (the seed request). State: one flag per URL, bounded.

use super::{Hit, Rule, Tx};
use crate::util::{self, Bounded};
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "client-not-revalidating",
    severity: Severity::Warning,
    title: "Client does not revalidate",
    explanation: "The URL was fetched again without If-None-Match / If-Modified-Since although the earlier response gave a validator: the full body was transferred again instead of a 304.",
    hint: "Cache responses in the client and send If-None-Match (or If-Modified-Since) when refetching.",
    source: "ours (seed request)",
};

pub(crate) struct State {
    /// URL → the id of the earlier response that carried a validator.
    urls: Bounded<String, u64>,
}

impl State {
    pub(crate) fn new(cap: usize) -> State {
        State {
            urls: Bounded::new(cap),
        }
    }

    pub(crate) fn check(&mut self, tx: &Tx) -> Option<Hit> {
        let (req, resp) = (tx.req()?, tx.resp()?);
        if req.method != "GET" {
            return None;
        }
        let conditional = header_value(&req.headers, "if-none-match").is_some()
            || header_value(&req.headers, "if-modified-since").is_some();
        let hit = match self.urls.get(&tx.t.url) {
            Some(&earlier) if !conditional => Some(
                Hit::new(
                    RULE.severity,
                    format!(
                        "{} fetched again without If-None-Match/If-Modified-Since (transaction {earlier} gave a validator)",
                        tx.what()
                    ),
                )
                .with("earlier transaction", earlier),
            ),
            _ => None,
        };
        let cc = util::directives(&resp.headers, "cache-control");
        let validator = header_value(&resp.headers, "etag").is_some()
            || header_value(&resp.headers, "last-modified").is_some();
        if resp.status == 200 && validator && !util::has(&cc, "no-store") {
            self.urls.insert(tx.t.url.clone(), tx.t.id);
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_unconditional_refetch() {
        let a = get("https://a.test/x").header("ETag", "\"1\"").build();
        let b = get("https://a.test/x")
            .id(2)
            .at_ms(5)
            .header("ETag", "\"1\"")
            .build();
        assert!(fires("client-not-revalidating", &[a, b]));
    }

    #[test]
    fn quiet_when_conditional_or_no_validator() {
        let a = get("https://a.test/x").header("ETag", "\"1\"").build();
        let b = get("https://a.test/x")
            .id(2)
            .req_header("If-None-Match", "\"1\"")
            .status(304)
            .build();
        assert!(!fires("client-not-revalidating", &[a, b]));
        let c = get("https://a.test/y").build();
        let d = get("https://a.test/y").id(2).build();
        assert!(!fires("client-not-revalidating", &[c, d]));
    }
}
