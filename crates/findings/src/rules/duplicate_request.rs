//! `duplicate-request`: the same method and URL (GET/HEAD without a body, so the body is
//! known to be the same) fetched again while an earlier response was still fresh: a cache
//! would have answered it.
//!
//! Source: ours. State: the freshness deadline per method+URL, bounded.

use super::{Hit, Rule, Tx};
use crate::util::{self, Bounded};
use model::{Severity, Timestamp};

pub(crate) const RULE: Rule = Rule {
    id: "duplicate-request",
    severity: Severity::Warning,
    title: "Duplicate request within freshness",
    explanation: "The same request was sent again while the earlier response was still fresh: the client does not cache (or ignores its cache).",
    hint: "Honour Cache-Control in the client (an HTTP cache) or reuse the earlier result.",
    source: "ours",
};

pub(crate) struct State {
    /// (method, URL) → (fresh until, transaction id).
    fresh: Bounded<(String, String), (Timestamp, u64)>,
}

impl State {
    pub(crate) fn new(cap: usize) -> State {
        State {
            fresh: Bounded::new(cap),
        }
    }

    pub(crate) fn check(&mut self, tx: &Tx) -> Option<Hit> {
        let (req, resp) = (tx.req()?, tx.resp()?);
        if !matches!(req.method.as_str(), "GET" | "HEAD") || req.body.encoded > 0 {
            return None;
        }
        let key = (req.method.clone(), tx.t.url.clone());
        let hit = match self.fresh.get(&key) {
            Some(&(until, earlier)) if tx.t.start < until => Some(
                Hit::new(
                    RULE.severity,
                    format!(
                        "{} sent again {} before transaction {earlier}'s response went stale",
                        tx.what(),
                        util::ms(until.since(tx.t.start))
                    ),
                )
                .with("earlier transaction", earlier),
            ),
            _ => None,
        };
        let cc = util::directives(&resp.headers, "cache-control");
        let lifetime = util::freshness_lifetime(resp).unwrap_or(0);
        if resp.status == 200
            && lifetime > 0
            && !util::has(&cc, "no-store")
            && !util::has(&cc, "no-cache")
        {
            let ns = i64::try_from(lifetime.saturating_mul(1_000_000_000)).unwrap_or(i64::MAX);
            let until = Timestamp(util::end_of(tx.t).0.saturating_add(ns));
            self.fresh.insert(key, (until, tx.t.id));
        } else {
            self.fresh.remove(&key);
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_within_max_age() {
        let a = get("https://a.test/x")
            .header("Cache-Control", "max-age=60")
            .build();
        let b = get("https://a.test/x").id(2).at_ms(1_000).build();
        assert!(fires("duplicate-request", &[a, b]));
    }

    #[test]
    fn quiet_after_expiry_or_without_lifetime() {
        let a = get("https://a.test/x")
            .header("Cache-Control", "max-age=1")
            .build();
        let b = get("https://a.test/x").id(2).at_ms(5_000).build();
        assert!(!fires("duplicate-request", &[a, b]));
        let c = get("https://a.test/y")
            .header("Cache-Control", "no-cache, max-age=60")
            .build();
        let d = get("https://a.test/y").id(2).at_ms(10).build();
        assert!(!fires("duplicate-request", &[c, d]));
    }
}
