//! `slow-connect`: a TCP connect slower than `slow_connect_tcp_ms` or a TLS handshake slower
//! than `slow_connect_tls_ms` (the `connect` phase includes TLS, as in HAR; TCP is `connect`
//! minus `ssl`). Attempts that failed before sending a request are left to `failed-request`.
//!
//! Source: seed 001 targets.

use super::{Hit, Rule, Tx};
use crate::util::{self, NS_PER_MS};
use crate::Config;
use model::Severity;

pub(crate) const RULE: Rule = Rule {
    id: "slow-connect",
    severity: Severity::Info,
    title: "Slow connection set-up",
    explanation: "Opening the TCP connection or completing the TLS handshake took long: the server is far away or overloaded, and every new connection pays it.",
    hint: "Reuse connections (keep-alive, HTTP/2), enable TLS session resumption, or move closer to the server.",
    source: "seed 001 targets",
};

pub(crate) fn check(tx: &Tx, config: &Config) -> Option<Hit> {
    // An attempt that never sent a request failed: `failed-request` reports it, and the
    // time it took is the time until it gave up, not a set-up that finished slowly.
    if tx.req().is_none() && tx.resp().is_none() {
        return None;
    }
    let timings = &tx.t.timings;
    let ssl = timings.ssl.unwrap_or(0);
    let tcp = timings.connect.map(|c| c.saturating_sub(ssl));
    let slow_tcp = tcp.filter(|&n| n > config.slow_connect_tcp_ms.saturating_mul(NS_PER_MS));
    let slow_tls = timings
        .ssl
        .filter(|&n| n > config.slow_connect_tls_ms.saturating_mul(NS_PER_MS));
    if slow_tcp.is_none() && slow_tls.is_none() {
        return None;
    }
    let mut parts = Vec::new();
    let mut hit = Hit::new(RULE.severity, String::new());
    if let Some(n) = slow_tcp {
        parts.push(format!("TCP connect {}", util::ms(n)));
        hit = hit.with("tcp connect", util::ms(n));
    }
    if let Some(n) = slow_tls {
        parts.push(format!("TLS handshake {}", util::ms(n)));
        hit = hit.with("tls handshake", util::ms(n));
    }
    hit.message = format!("{}: {}", tx.what(), parts.join(", "));
    Some(hit)
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use model::Timings;

    #[test]
    fn fires_on_slow_tcp_or_tls() {
        let tcp = get("https://a.test/")
            .timings(Timings {
                connect: Some(150 * MS as u64),
                ..Default::default()
            })
            .build();
        assert!(fires("slow-connect", &[tcp]));
        let tls = get("https://a.test/")
            .timings(Timings {
                connect: Some(350 * MS as u64),
                ssl: Some(300 * MS as u64),
                ..Default::default()
            })
            .build();
        assert!(fires("slow-connect", &[tls]));
    }

    #[test]
    fn quiet_when_fast() {
        let ok = get("https://a.test/")
            .timings(Timings {
                connect: Some(150 * MS as u64),
                ssl: Some(100 * MS as u64),
                ..Default::default()
            })
            .build();
        assert!(!fires("slow-connect", &[ok]));
    }
}
