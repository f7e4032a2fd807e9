//! `no-http2`: an HTTPS origin that served at least `no_http2_min_requests` requests over
//! HTTP/1.x (ALPN did not select `h2`) and none over HTTP/2.
//!
//! Source: Lighthouse `uses-http2`. State: counters per origin, bounded.

use super::{finding, Examples, Rule, Tx};
use crate::util::{self, Bounded};
use crate::Config;
use model::{Finding, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "no-http2",
    severity: Severity::Info,
    title: "HTTPS origin without HTTP/2",
    explanation: "Many requests to this HTTPS origin went over HTTP/1.1: no multiplexing, no header compression, more connections.",
    hint: "Enable HTTP/2 on the server and offer h2 in the client's ALPN.",
    source: "Lighthouse uses-http2",
};

#[derive(Default)]
struct Origin {
    h1: Examples,
    h2: u64,
    offered_h2: bool,
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
        let Some(tls) = &tx.t.tls else { return };
        if tx.scheme() != "https" || tx.req().is_none() {
            return;
        }
        let o = self.origins.entry(tx.origin.clone(), Origin::default);
        if tx.t.stream.is_some() || tls.alpn.as_deref() == Some("h2") {
            o.h2 += 1;
        } else {
            o.h1.add(Some(tx.t.id));
            o.offered_h2 |= tls.alpn_offered.iter().any(|p| p == "h2");
        }
    }

    pub(crate) fn finish(self, config: &Config) -> Vec<Finding> {
        self.origins
            .into_entries()
            .filter(|(_, o)| o.h2 == 0 && o.h1.count >= config.no_http2_min_requests)
            .map(|(origin, o)| {
                let n = o.h1.count;
                let who = if o.offered_h2 {
                    "the client offered h2, the server did not select it"
                } else {
                    "the client did not offer h2"
                };
                finding(
                    &RULE,
                    RULE.severity,
                    Some(origin.clone()),
                    o.h1.ids,
                    n,
                    format!("{n} requests to {origin} used HTTP/1.x ({who})"),
                    vec![util::ev("http/1.x requests", n), util::ev("alpn", who)],
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_six_h1_requests() {
        let txs: Vec<_> = (1..=6)
            .map(|i| get("https://a.test/").id(i).build())
            .collect();
        assert!(fires("no-http2", &txs));
    }

    #[test]
    fn quiet_with_h2_or_few_requests() {
        let few: Vec<_> = (1..=5)
            .map(|i| get("https://a.test/").id(i).build())
            .collect();
        assert!(!fires("no-http2", &few));
        let h2: Vec<_> = (1..=8)
            .map(|i| get("https://b.test/").id(i).stream(i as u32).build())
            .collect();
        assert!(!fires("no-http2", &h2));
    }
}
