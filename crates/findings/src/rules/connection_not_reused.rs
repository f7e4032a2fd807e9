//! `connection-not-reused`: a new connection (the first request on it, position 0) to an
//! origin that at that moment had another connection that was open and idle: HTTP/1.x with its
//! last known exchange finished and no `Connection: close`, or HTTP/2 (multiplexed, always
//! usable). The finding per origin also gives the reuse ratio (requests on reused connections),
//! next to the seed's target.
//!
//! Limit: transactions arrive when they complete, so an exchange still in flight on the older
//! connection is not known yet; the rule may then count that connection as idle.
//!
//! Source: the seed request (target: > 80 % of requests on reused connections). State: the
//! last [`MAX_CONNS`] connections per origin, origins bounded.

use super::{finding, Examples, Rule, Tx};
use crate::util::{self, Bounded};
use crate::Config;
use model::{ConnectionId, Finding, Severity, Timestamp};

pub(crate) const RULE: Rule = Rule {
    id: "connection-not-reused",
    severity: Severity::Warning,
    title: "New connection while an idle one was open",
    explanation: "The client opened a new TCP (and TLS) connection to an origin although an earlier keep-alive connection to it was open and idle: it paid the handshakes again.",
    hint: "Use one shared HTTP client (connection pool) per origin instead of one per request.",
    source: "seed request (connection facts)",
};

/// Connections remembered per origin.
const MAX_CONNS: usize = 16;

struct Conn {
    id: ConnectionId,
    first: Timestamp,
    last_end: Timestamp,
    closing: bool,
    multiplexed: bool,
    closed_at: Option<Timestamp>,
}

#[derive(Default)]
struct Origin {
    conns: Vec<Conn>,
    requests: u64,
    reused: u64,
    new_conns: u64,
    hits: Examples,
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

    /// Returns whether the rule fired on this transaction.
    pub(crate) fn check(&mut self, tx: &Tx) -> bool {
        let t = tx.t;
        // A connection attempt that failed is not a connection that could be reused.
        if t.request.is_none() && t.response.is_none() {
            return false;
        }
        let o = self.origins.entry(tx.origin.clone(), Origin::default);
        o.requests += 1;
        let mut fired = false;
        if t.reused() {
            o.reused += 1;
        } else {
            o.new_conns += 1;
            // When the new connection was put to use: its first request byte (the
            // transaction's start may be earlier, at the DNS lookup before it).
            let at = t.times.request_start.unwrap_or(t.start);
            let idle = o.conns.iter().any(|c| {
                c.id != t.connection
                    && !c.closing
                    && c.first <= at
                    && c.closed_at.is_none_or(|e| e > at)
                    && (c.multiplexed || c.last_end <= at)
            });
            if idle {
                o.hits.add(Some(t.id));
                fired = true;
            }
        }
        let closing = tx.resp().is_some_and(|r| {
            let conn = util::tokens(&r.headers, "connection");
            conn.iter().any(|c| c == "close")
                || (r.version == "HTTP/1.0" && !conn.iter().any(|c| c == "keep-alive"))
        });
        let end = util::end_of(t);
        match o.conns.iter_mut().find(|c| c.id == t.connection) {
            Some(c) => {
                c.last_end = c.last_end.max(end);
                c.closing |= closing;
            }
            None => {
                if o.conns.len() >= MAX_CONNS {
                    o.conns.remove(0);
                }
                o.conns.push(Conn {
                    id: t.connection,
                    first: t.start,
                    last_end: end,
                    closing,
                    multiplexed: t.stream.is_some(),
                    closed_at: None,
                });
            }
        }
        fired
    }

    /// Notes when a connection closed.
    pub(crate) fn closed(&mut self, origin: &str, id: ConnectionId, at: Timestamp) {
        if let Some(o) = self.origins.get_mut(&origin.to_owned()) {
            if let Some(c) = o.conns.iter_mut().find(|c| c.id == id) {
                c.closed_at = Some(at);
            }
        }
    }

    pub(crate) fn finish(self, config: &Config) -> Vec<Finding> {
        self.origins
            .into_entries()
            .filter(|(_, o)| o.hits.count > 0)
            .map(|(origin, o)| {
                let ratio = o.reused * 100 / o.requests.max(1);
                finding(
                    &RULE,
                    RULE.severity,
                    Some(origin.clone()),
                    o.hits.ids,
                    o.hits.count,
                    format!(
                        "{} new connections to {origin} while an idle one was open; {ratio} % of requests reused a connection",
                        o.hits.count
                    ),
                    vec![
                        util::ev("requests", o.requests),
                        util::ev("new connections", o.new_conns),
                        util::ev("reuse ratio", format!("{ratio} %")),
                        util::ev("target", format!("> {} %", config.connection_not_reused_target_percent)),
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
    fn fires_when_an_idle_connection_existed() {
        let a = get("https://a.test/1").conn(1, 0).at_ms(0).build();
        let b = get("https://a.test/2").id(2).conn(2, 0).at_ms(100).build();
        let f = run(&[a, b]);
        let c = of(&f, "connection-not-reused");
        assert_eq!(c[0].transactions, vec![2]);
        assert!(c[0]
            .evidence
            .contains(&("reuse ratio".into(), "0 %".into())));
    }

    #[test]
    fn quiet_when_busy_closing_or_reused() {
        // The first connection is still busy (its exchange ends at 500 ms).
        let mut busy = get("https://a.test/1").conn(1, 0).at_ms(0).build();
        busy.times.response_end = Some(model::Timestamp(T0 + 500 * MS));
        let b = get("https://a.test/2").id(2).conn(2, 0).at_ms(100).build();
        assert!(!fires("connection-not-reused", &[busy, b]));
        let close = get("https://b.test/1")
            .conn(3, 0)
            .header("Connection", "close")
            .build();
        let d = get("https://b.test/2").id(4).conn(4, 0).at_ms(100).build();
        assert!(!fires("connection-not-reused", &[close, d]));
        let e = get("https://c.test/1").conn(5, 0).build();
        let g = get("https://c.test/2").id(6).conn(5, 1).at_ms(100).build();
        assert!(!fires("connection-not-reused", &[e, g]));
    }
}
