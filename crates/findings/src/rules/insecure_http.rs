//! `insecure-http`: a request sent over plain HTTP (or `ws:`) to a host that is not loopback.
//!
//! Source: the seed request (seeds/000) and Lighthouse's `is-on-https` audit ("Uses HTTPS").
//! Loopback traffic is exempt unless `https_on_loopback` is set.

use super::{Hit, Rule, Tx};
use crate::Config;
use model::Severity;

pub(crate) const RULE: Rule = Rule {
    id: "insecure-http",
    severity: Severity::Error,
    title: "Request sent over plain HTTP",
    explanation: "The request and its response crossed the network unencrypted: anyone on the path can read and change them.",
    hint: "Serve this origin over HTTPS (and redirect or refuse plain HTTP).",
    source: "seed request; Lighthouse is-on-https",
};

pub(crate) fn check(tx: &Tx, config: &Config) -> Option<Hit> {
    // A connection attempt that failed sent nothing over HTTP.
    tx.req()?;
    if !matches!(tx.scheme(), "http" | "ws") || (tx.loopback && !config.https_on_loopback) {
        return None;
    }
    Some(
        Hit::new(
            RULE.severity,
            format!("{} was sent over plain {}", tx.what(), tx.scheme()),
        )
        .with("scheme", tx.scheme()),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::Config;

    #[test]
    fn fires_on_plain_http() {
        assert!(fires(
            "insecure-http",
            &[get("http://example.com/").build()]
        ));
    }

    #[test]
    fn quiet_on_https_and_loopback() {
        assert!(!fires(
            "insecure-http",
            &[get("https://example.com/").build()]
        ));
        assert!(!fires(
            "insecure-http",
            &[get("http://localhost:8080/").build()]
        ));
        assert!(!fires("insecure-http", &[get("http://127.0.0.5/").build()]));
        assert!(!fires("insecure-http", &[get("http://[::1]:80/").build()]));
        assert!(!fires(
            "insecure-http",
            &[get("http://api.localhost/").build()]
        ));
        // A name whose server address is loopback (an /etc/hosts entry).
        let named = get("http://myapp.test/").server("127.0.0.1:80").build();
        assert!(!fires("insecure-http", &[named]));
    }

    #[test]
    fn loopback_fires_when_asked() {
        let config = Config {
            https_on_loopback: true,
            ..Config::default()
        };
        let f = run_with(config, &[get("http://localhost/").build()]);
        assert_eq!(of(&f, "insecure-http").len(), 1);
    }
}
