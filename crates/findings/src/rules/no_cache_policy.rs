//! `no-cache-policy`: a cacheable response (GET/HEAD, a status cacheable by default per
//! RFC 9110 §15.1) with no `Cache-Control` max-age/s-maxage/no-store/no-cache and no
//! `Expires`: caches fall back to heuristic freshness (RFC 9111 §4.2.2).
//!
//! Source: httplint `FRESHNESS_HEURISTIC`.

use super::{Hit, Rule, Tx};
use crate::util;
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "no-cache-policy",
    severity: Severity::Warning,
    title: "No explicit cache policy",
    explanation: "A cacheable response states no freshness (no Cache-Control max-age/s-maxage, no-store or no-cache, no Expires), so each cache guesses a lifetime heuristically.",
    hint: "Send Cache-Control with max-age (or no-cache / no-store) to say how long the response may be reused.",
    source: "httplint FRESHNESS_HEURISTIC",
};

/// Statuses cacheable by default (RFC 9110 §15.1).
const CACHEABLE: &[u16] = &[200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];

pub(crate) fn check(tx: &Tx) -> Option<Hit> {
    let resp = tx.resp()?;
    if !matches!(tx.t.method(), "GET" | "HEAD") || !CACHEABLE.contains(&resp.status) {
        return None;
    }
    let cc = util::directives(&resp.headers, "cache-control");
    let explicit = ["max-age", "s-maxage", "no-store", "no-cache"]
        .iter()
        .any(|d| util::has(&cc, d))
        || header_value(&resp.headers, "expires").is_some();
    (!explicit).then(|| {
        Hit::new(
            RULE.severity,
            format!(
                "{} ({}) has no Cache-Control lifetime and no Expires",
                tx.what(),
                resp.status
            ),
        )
        .with(
            "cache-control",
            header_value(&resp.headers, "cache-control").unwrap_or("(none)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_without_policy() {
        assert!(fires("no-cache-policy", &[get("https://a.test/").build()]));
        let public_only = get("https://a.test/")
            .header("Cache-Control", "public")
            .build();
        assert!(fires("no-cache-policy", &[public_only]));
    }

    #[test]
    fn quiet_with_policy_or_uncacheable() {
        let age = get("https://a.test/")
            .header("Cache-Control", "max-age=60")
            .build();
        let store = get("https://a.test/")
            .header("Cache-Control", "no-store")
            .build();
        let expires = get("https://a.test/").header("Expires", "0").build();
        let post = get("https://a.test/").method("POST").build();
        let created = get("https://a.test/").status(201).build();
        assert!(!fires(
            "no-cache-policy",
            &[age, store, expires, post, created]
        ));
    }
}
