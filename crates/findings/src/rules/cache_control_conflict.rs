//! `cache-control-conflict`: contradictory `Cache-Control` directives in a response: `public`
//! with `private`, or `no-store` with `max-age`.
//!
//! Source: httplint's Cache-Control checks.

use super::{Hit, Rule, Tx};
use crate::util;
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "cache-control-conflict",
    severity: Severity::Warning,
    title: "Conflicting Cache-Control directives",
    explanation: "The response's Cache-Control says two contradictory things (public and private, or no-store and max-age); caches resolve this differently.",
    hint: "Keep one intent per response: e.g. `private, max-age=60` or just `no-store`.",
    source: "httplint",
};

pub(crate) fn check(tx: &Tx) -> Option<Hit> {
    let resp = tx.resp()?;
    let cc = util::directives(&resp.headers, "cache-control");
    let mut pairs = Vec::new();
    if util::has(&cc, "public") && util::has(&cc, "private") {
        pairs.push("public with private");
    }
    if util::has(&cc, "no-store") && util::has(&cc, "max-age") {
        pairs.push("no-store with max-age");
    }
    if pairs.is_empty() {
        return None;
    }
    let value = header_value(&resp.headers, "cache-control").unwrap_or("");
    Some(
        Hit::new(
            RULE.severity,
            format!("{} has Cache-Control {}", tx.what(), pairs.join(" and ")),
        )
        .with("cache-control", value),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_conflicts() {
        let a = get("https://a.test/")
            .header("Cache-Control", "public, private")
            .build();
        let b = get("https://a.test/")
            .header("Cache-Control", "no-store")
            .header("Cache-Control", "max-age=5")
            .build();
        assert_eq!(
            of(&run(&[a, b]), "cache-control-conflict")[0].evidence[0].0,
            "cache-control"
        );
    }

    #[test]
    fn quiet_when_consistent() {
        let a = get("https://a.test/")
            .header("Cache-Control", "private, max-age=60")
            .build();
        assert!(!fires("cache-control-conflict", &[a]));
    }
}
