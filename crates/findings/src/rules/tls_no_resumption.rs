//! `tls-no-resumption`: repeated full TLS handshakes to the same server (origin) and not one
//! resumed session: every connection pays the full handshake.
//!
//! Source: handshake facts per server (ServerHello accepting a PSK or session id/ticket);
//! the catalog's "tls-no-resumption". State: one counter per origin, bounded.

use super::{finding, Examples, Rule};
use crate::util::{self, Bounded};
use crate::Config;
use model::{Finding, Severity, TlsInfo};

pub(crate) const RULE: Rule = Rule {
    id: "tls-no-resumption",
    severity: Severity::Info,
    title: "TLS sessions never resumed",
    explanation: "The client opened several TLS connections to the same server and every one did a full handshake: no session ticket or PSK was offered or accepted.",
    hint: "Keep a TLS session cache in the client (and session tickets enabled on the server).",
    source: "ours (handshake facts)",
};

#[derive(Default)]
struct Server {
    full: Examples,
    resumed: u64,
}

pub(crate) struct State {
    servers: Bounded<String, Server>,
}

impl State {
    pub(crate) fn new(cap: usize) -> State {
        State {
            servers: Bounded::new(cap),
        }
    }

    /// Counts one connection's handshake (only when the ServerHello was seen).
    pub(crate) fn handshake(&mut self, origin: &str, tls: &TlsInfo, tx: Option<u64>) {
        if tls.version.is_none() {
            return;
        }
        let s = self.servers.entry(origin.to_owned(), Server::default);
        if tls.resumed {
            s.resumed += 1;
        } else {
            s.full.add(tx);
        }
    }

    pub(crate) fn finish(self, config: &Config) -> Vec<Finding> {
        self.servers
            .into_entries()
            .filter(|(_, s)| {
                s.resumed == 0 && s.full.count >= config.tls_no_resumption_min_handshakes
            })
            .map(|(origin, s)| {
                let n = s.full.count;
                finding(
                    &RULE,
                    RULE.severity,
                    Some(origin.clone()),
                    s.full.ids,
                    n,
                    format!("{n} full TLS handshakes to {origin}, none resumed"),
                    vec![util::ev("full handshakes", n), util::ev("resumed", 0)],
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_two_full_handshakes() {
        let a = get("https://a.test/").conn(1, 0).build();
        let b = get("https://a.test/").id(2).conn(2, 0).build();
        assert!(fires("tls-no-resumption", &[a, b]));
    }

    #[test]
    fn quiet_when_one_resumed_or_single() {
        let a = get("https://a.test/").conn(1, 0).build();
        let mut resumed = tls("TLS 1.3", "TLS_AES_128_GCM_SHA256");
        resumed.resumed = true;
        let b = get("https://a.test/")
            .id(2)
            .conn(2, 0)
            .tls(Some(resumed))
            .build();
        assert!(!fires("tls-no-resumption", &[a.clone(), b]));
        assert!(!fires("tls-no-resumption", &[a]));
    }
}
