//! `retry-storm`: at least `retry_storm_min_failures` failed attempts (the transactions
//! `failed-request` counts) to the same origin, or for the same DNS name (origin `dns:name`:
//! one per failed resolution, the A and AAAA queries of one attempt being one transaction),
//! within `retry_storm_window_ms`,
//! whose gaps do not grow. "Growing" means every gap is at least 1.5 times the one before
//! (exponential backoff, with room for jitter); anything else is a client hammering a failing
//! server.
//!
//! Source: ours (seed: "being offline"). State: the failures of the last window per origin or
//! name (at most [`MAX_KEPT`]), keys bounded.

use super::{Hit, Rule};
use crate::util::{self, Bounded, NS_PER_MS};
use crate::Config;
use model::{Severity, Timestamp};

pub(crate) const RULE: Rule = Rule {
    id: "retry-storm",
    severity: Severity::Error,
    title: "Retry storm",
    explanation: "The client retried a failing origin (or name) several times within seconds without backing off, which adds load exactly when the server struggles.",
    hint: "Retry with exponential backoff and jitter, and cap the attempts (or use a circuit breaker).",
    source: "ours (seed: being offline)",
};

/// Failures kept per key.
const MAX_KEPT: usize = 32;

#[derive(Default)]
struct Key {
    /// (when, transaction id, already reported) in time order.
    failures: Vec<(Timestamp, u64, bool)>,
}

pub(crate) struct State {
    keys: Bounded<String, Key>,
}

impl State {
    pub(crate) fn new(cap: usize) -> State {
        State {
            keys: Bounded::new(cap),
        }
    }

    /// Records one failure; returns the hit and the transaction ids it now covers (earlier
    /// failures of the storm included), or `None` when no storm is under way.
    pub(crate) fn failure(
        &mut self,
        key: &str,
        at: Timestamp,
        tx: u64,
        config: &Config,
    ) -> Option<(Hit, Vec<u64>)> {
        let k = self.keys.entry(key.to_owned(), Key::default);
        let pos = k.failures.partition_point(|(t, _, _)| *t <= at);
        k.failures.insert(pos, (at, tx, false));
        let window = i64::try_from(config.retry_storm_window_ms.saturating_mul(NS_PER_MS))
            .unwrap_or(i64::MAX);
        let latest = k.failures.last().map_or(at, |f| f.0);
        k.failures
            .retain(|(t, _, _)| latest.0.saturating_sub(t.0) <= window);
        if k.failures.len() > MAX_KEPT {
            let extra = k.failures.len() - MAX_KEPT;
            k.failures.drain(..extra);
        }
        let n = k.failures.len() as u64;
        if n < config.retry_storm_min_failures.max(2) {
            return None;
        }
        let gaps: Vec<u64> = k
            .failures
            .windows(2)
            .map(|w| w[1].0.since(w[0].0))
            .collect();
        let backing_off = gaps
            .windows(2)
            .all(|g| g[0] > 0 && g[1].saturating_mul(2) >= g[0].saturating_mul(3));
        if backing_off {
            return None;
        }
        let ids: Vec<u64> = k
            .failures
            .iter_mut()
            .filter(|f| !f.2)
            .map(|f| {
                f.2 = true;
                f.1
            })
            .collect();
        let shown: Vec<String> = gaps.iter().map(|g| util::ms(*g)).collect();
        Some((
            Hit::new(
                RULE.severity,
                format!(
                    "{n} failed attempts for {key} within {} ms without backing off",
                    config.retry_storm_window_ms
                ),
            )
            .with("failures in window", n)
            .with("gaps", shown.join(", ")),
            ids,
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use model::IncompleteReason;

    fn failures(at: &[i64]) -> Vec<model::Transaction> {
        at.iter()
            .enumerate()
            .map(|(i, ms)| {
                get("https://a.test/")
                    .id(i as u64 + 1)
                    .at_ms(*ms)
                    .no_response(IncompleteReason::Reset)
                    .build()
            })
            .collect()
    }

    #[test]
    fn fires_on_steady_retries() {
        let f = run(&failures(&[0, 100, 200, 300]));
        let s = of(&f, "retry-storm");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].transactions, vec![1, 2, 3, 4]);
    }

    #[test]
    fn fires_on_failed_lookups_of_one_name() {
        let lookups: Vec<model::Transaction> = [0, 100, 200]
            .iter()
            .enumerate()
            .map(|(i, ms)| {
                let mut t = get("dns:nope.test")
                    .id(i as u64 + 1)
                    .at_ms(*ms)
                    .no_response(IncompleteReason::DnsFailed)
                    .build();
                t.request = None;
                t.connection = model::ConnectionId::NONE;
                t
            })
            .collect();
        let f = run(&lookups);
        let s = of(&f, "retry-storm");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].origin.as_deref(), Some("dns:nope.test"));
        assert_eq!(s[0].transactions, vec![1, 2, 3]);
    }

    #[test]
    fn quiet_with_backoff_or_spread_out() {
        assert!(!fires("retry-storm", &failures(&[0, 100, 300, 700])));
        assert!(!fires("retry-storm", &failures(&[0, 6_000, 12_000])));
    }
}
