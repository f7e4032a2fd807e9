//! `failed-request`: an attempt that got no HTTP answer, shown like a browser's status 0: a
//! request with no response that was reset or never answered, a DNS lookup that failed
//! (NXDOMAIN, SERVFAIL, REFUSED, timed out), or a TLS connection that carried no transaction
//! and ended in a fatal alert or failed decryption.
//!
//! Source: ours (seed: "being offline").

use super::{Hit, Rule, Tx};
use model::{ConnectionRecord, Decryption, DnsLookup, DnsOutcome, IncompleteReason, Severity};

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
            IncompleteReason::NoResponse | IncompleteReason::Reset
        )
    })?;
    Some(
        Hit::new(
            RULE.severity,
            format!(
                "{} got no response (status 0): {}",
                tx.what(),
                reason.detail
            ),
        )
        .with("status", 0)
        .with("error", &reason.detail),
    )
}

pub(crate) fn from_dns(l: &DnsLookup) -> Option<Hit> {
    let what = match l.outcome {
        DnsOutcome::NxDomain => "NXDOMAIN",
        DnsOutcome::ServFail => "SERVFAIL",
        DnsOutcome::Refused => "REFUSED",
        DnsOutcome::TimedOut => "timed out",
        _ => return None,
    };
    Some(
        Hit::new(
            RULE.severity,
            format!("DNS lookup of {} ({}) failed: {what}", l.name, l.qtype),
        )
        .with("name", &l.name)
        .with("outcome", what)
        .with("attempts", l.attempts),
    )
}

pub(crate) fn from_connection(c: &ConnectionRecord) -> Option<Hit> {
    let tls = c.tls.as_ref()?;
    if c.transactions > 0 {
        return None;
    }
    let why = if let Some(a) = tls.alerts.iter().find(|a| a.level == "fatal") {
        format!("fatal alert {}", a.description)
    } else if let Decryption::Failed { detail, .. } = &tls.decryption {
        format!("decryption failed: {detail}")
    } else {
        return None;
    };
    Some(
        Hit::new(
            RULE.severity,
            format!("TLS connection {} to {} failed: {why}", c.id, c.server),
        )
        .with("connection", c.id)
        .with("error", why),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::{Analyzer, Config};
    use model::{Direction, DnsOutcome, IncompleteReason, Stats, Timestamp, TlsAlert};

    #[test]
    fn fires_on_reset_dns_failure_and_tls_alert() {
        let reset = get("https://a.test/")
            .no_response(IncompleteReason::Reset)
            .build();
        assert!(fires("failed-request", &[reset]));
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
        assert_eq!(of(&f, "failed-request").len(), 2);
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
