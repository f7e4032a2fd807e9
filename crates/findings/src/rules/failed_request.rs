//! `failed-request`: an attempt that got no HTTP answer, shown like a browser's status 0. The
//! engine makes every such attempt a transaction without a response, and this rule counts
//! each one once, from its incomplete reason: a request that was reset or never answered
//! (`reset`, `no_response`, which also cover TCP connection attempts that were refused or
//! never answered), a name lookup that failed and no connection followed (`dns_failed`), or a
//! TLS handshake that did not complete (`tls_handshake`). DNS lookups and connection records
//! are not judged on their own, so a failure is never counted twice.
//!
//! Source: ours (seed: "being offline").

use super::{Hit, Rule, Tx};
use model::{IncompleteReason, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "failed-request",
    severity: Severity::Error,
    title: "Failed request",
    explanation: "The attempt got no HTTP answer: the name did not resolve, the connection was reset or never answered, or the TLS handshake failed.",
    hint: "Check the name, the server and the network; make the client report and back off on failures.",
    source: "ours (seed: being offline)",
};

pub(crate) fn from_transaction(tx: &Tx) -> Option<Hit> {
    if tx.resp().is_some() {
        return None;
    }
    let reason = tx.t.incomplete.iter().find(|i| {
        matches!(
            i.reason,
            IncompleteReason::NoResponse
                | IncompleteReason::Reset
                | IncompleteReason::DnsFailed
                | IncompleteReason::TlsHandshake
        )
    })?;
    let message = if tx.req().is_some() {
        format!(
            "{} got no response (status 0): {}",
            tx.what(),
            reason.detail
        )
    } else {
        format!("{} failed (status 0): {}", tx.t.url, reason.detail)
    };
    Some(
        Hit::new(RULE.severity, message)
            .with("status", 0)
            .with("error", &reason.detail),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::{Analyzer, Config};
    use model::{
        ConnectionId, Direction, DnsOutcome, IncompleteReason, Stats, Timestamp, TlsAlert,
    };

    /// A transaction without request or response that failed for `reason`.
    fn attempt(id: u64, url: &str, reason: IncompleteReason) -> model::Transaction {
        let mut t = get(url).id(id).conn(id, 0).no_response(reason).build();
        t.request = None;
        t
    }

    #[test]
    fn fires_on_reset_dns_failure_and_tls_failure() {
        let reset = get("https://a.test/")
            .no_response(IncompleteReason::Reset)
            .build();
        assert!(fires("failed-request", &[reset]));
        let mut dns = attempt(2, "dns:nope.test", IncompleteReason::DnsFailed);
        dns.connection = ConnectionId::NONE;
        dns.dns = Some(lookup("nope.test", 0, 5, DnsOutcome::NxDomain));
        let f = run(&[dns]);
        let hits = of(&f, "failed-request");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].origin.as_deref(), Some("dns:nope.test"));
        assert!(hits[0]
            .message
            .starts_with("dns:nope.test failed (status 0)"));
        let tls = attempt(3, "https://a.test", IncompleteReason::TlsHandshake);
        assert!(fires("failed-request", &[tls]));
    }

    #[test]
    fn lookups_and_connection_records_alone_do_not_count() {
        // The engine makes these transactions; on their own they are not failures again.
        let mut a = Analyzer::new(Config::default());
        a.dns(&lookup("nope.test", 0, 5, DnsOutcome::NxDomain));
        let mut info = tls("TLS 1.3", "TLS_AES_128_GCM_SHA256");
        info.alerts.push(TlsAlert {
            at: Timestamp(T0),
            from: Direction::ServerToClient,
            level: "fatal".into(),
            description: "handshake_failure".into(),
        });
        a.connection(&connection(9, 0, Some(info)));
        let f = a.finish(&Stats::default());
        assert!(of(&f, "failed-request").is_empty());
    }

    #[test]
    fn a_failed_lookup_counts_once() {
        // The lookup arrives on its own first, then inside its transaction.
        let l = lookup("nope.test", 0, 5, DnsOutcome::NxDomain);
        let mut t = attempt(1, "dns:nope.test", IncompleteReason::DnsFailed);
        t.connection = ConnectionId::NONE;
        t.dns = Some(l.clone());
        let mut a = Analyzer::new(Config::default());
        a.dns(&l);
        assert_eq!(a.transaction(&t), vec!["failed-request"]);
        let f = a.finish(&Stats::default());
        let hits = of(&f, "failed-request");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].transactions, vec![1]);
        assert!(hits[0]
            .evidence
            .contains(&("occurrences".into(), "1".into())));
    }

    #[test]
    fn quiet_on_answers() {
        let truncated = get("https://a.test/")
            .no_response(IncompleteReason::RequestTruncated)
            .build();
        assert!(!fires(
            "failed-request",
            &[truncated, get("https://a.test/").build()]
        ));
    }
}
