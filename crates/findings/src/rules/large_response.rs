//! `large-response`: a response body over `large_response_bytes` decoded, or more than
//! `large_response_origin_total_bytes` of responses on the wire from one origin.
//!
//! Source: Lighthouse `total-byte-weight`. State: a byte total per origin, bounded.

use super::{finding, Examples, Hit, Rule, Tx};
use crate::util::{self, Bounded};
use crate::Config;
use model::{Finding, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "large-response",
    severity: Severity::Info,
    title: "Large response or heavy origin",
    explanation: "A single response is very large once decoded, or the responses from one origin add up to many megabytes on the wire.",
    hint: "Paginate or filter large responses, compress them, and cache what is reused.",
    source: "Lighthouse total-byte-weight",
};

#[derive(Default)]
struct Origin {
    bytes: u64,
    txs: Examples,
}

pub(crate) struct State {
    origins: Bounded<String, Origin>,
}

impl State {
    pub(crate) fn new(cap: usize) -> State {
        State {
            origins: Bounded::new(cap),
        }
    }

    pub(crate) fn check(&mut self, tx: &Tx, config: &Config) -> Option<Hit> {
        let o = self.origins.entry(tx.origin.clone(), Origin::default);
        o.bytes = o.bytes.saturating_add(tx.t.response_wire_bytes());
        o.txs.add(Some(tx.t.id));
        let decoded = tx.t.response_decoded_bytes();
        (tx.resp().is_some() && decoded > config.large_response_bytes).then(|| {
            Hit::new(
                RULE.severity,
                format!("{} returned {decoded} bytes (decoded)", tx.what()),
            )
            .with("decoded bytes", decoded)
            .with("limit", config.large_response_bytes)
        })
    }

    pub(crate) fn finish(self, config: &Config) -> Vec<Finding> {
        self.origins
            .into_entries()
            .filter(|(_, o)| o.bytes > config.large_response_origin_total_bytes)
            .map(|(origin, o)| {
                finding(
                    &RULE,
                    RULE.severity,
                    Some(origin.clone()),
                    o.txs.ids,
                    o.txs.count,
                    format!("{} bytes of responses from {origin}", o.bytes),
                    vec![
                        util::ev("wire bytes", o.bytes),
                        util::ev("limit", config.large_response_origin_total_bytes),
                    ],
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_big_body_and_heavy_origin() {
        let big = get("https://a.test/").body(100, Some(2 << 20)).build();
        assert!(fires("large-response", &[big]));
        let txs: Vec<_> = (1..=5)
            .map(|i| get("https://b.test/").id(i).body(1 << 20, None).build())
            .collect();
        let f = run(&txs);
        assert!(of(&f, "large-response")[0]
            .message
            .contains("bytes of responses"));
    }

    #[test]
    fn quiet_when_small() {
        assert!(!fires(
            "large-response",
            &[get("https://a.test/").body(10, None).build()]
        ));
    }
}
