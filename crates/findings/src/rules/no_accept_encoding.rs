//! `no-accept-encoding`: a client that never sends `Accept-Encoding` to an origin, so no
//! response to it can be compressed. Judged per origin at the end (a transaction alone
//! cannot say "never").
//!
//! Source: ours. State: two counters and a few example ids per origin, bounded.

use super::{finding, Examples, Rule, Tx};
use crate::util::{self, Bounded};
use model::{header_value, Finding, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "no-accept-encoding",
    severity: Severity::Info,
    title: "Client never accepts compression",
    explanation: "No request to this origin carried Accept-Encoding, so the server cannot compress any response.",
    hint: "Enable response decompression in the HTTP client (it then sends Accept-Encoding).",
    source: "ours",
};

#[derive(Default)]
struct Origin {
    without: Examples,
    with: u64,
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

    pub(crate) fn observe(&mut self, tx: &Tx) {
        let Some(req) = tx.req() else { return };
        if req.method == "CONNECT" {
            return;
        }
        let o = self.origins.entry(tx.origin.clone(), Origin::default);
        if header_value(&req.headers, "accept-encoding").is_some() {
            o.with += 1;
        } else {
            o.without.add(Some(tx.t.id));
        }
    }

    pub(crate) fn finish(self) -> Vec<Finding> {
        self.origins
            .into_entries()
            .filter(|(_, o)| o.with == 0 && o.without.count > 0)
            .map(|(origin, o)| {
                let n = o.without.count;
                finding(
                    &RULE,
                    RULE.severity,
                    Some(origin.clone()),
                    o.without.ids,
                    n,
                    format!("none of the {n} requests to {origin} sent Accept-Encoding"),
                    vec![util::ev("requests", n)],
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_when_never_sent() {
        let a = get("https://a.test/1").build();
        let b = get("https://a.test/2").id(2).build();
        let f = run(&[a, b]);
        assert_eq!(of(&f, "no-accept-encoding")[0].transactions, vec![1, 2]);
    }

    #[test]
    fn quiet_when_sent_once() {
        let a = get("https://a.test/1").build();
        let b = get("https://a.test/2")
            .id(2)
            .req_header("Accept-Encoding", "gzip")
            .build();
        assert!(!fires("no-accept-encoding", &[a, b]));
    }
}
