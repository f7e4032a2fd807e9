//! `hsts-missing`: an HTTPS response without `Strict-Transport-Security`, or with a `max-age`
//! under one year, or HSTS sent over plain HTTP (where RFC 6797 §8.1 says it is ignored).
//!
//! Source: Lighthouse `has-hsts`; httplint's Strict-Transport-Security checks. Loopback
//! traffic is exempt unless `https_on_loopback` is set.

use super::{Hit, Rule, Tx};
use crate::Config;
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "hsts-missing",
    severity: Severity::Warning,
    title: "HSTS missing or too short",
    explanation: "Without Strict-Transport-Security (max-age of a year or more), a client that starts from http:// can be downgraded before it reaches HTTPS. HSTS sent over plain HTTP is ignored.",
    hint: "Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on HTTPS responses only.",
    source: "Lighthouse has-hsts; httplint",
};

pub(crate) fn check(tx: &Tx, config: &Config) -> Option<Hit> {
    let resp = tx.resp()?;
    if tx.loopback && !config.https_on_loopback {
        return None;
    }
    let sts = header_value(&resp.headers, "strict-transport-security");
    match (tx.scheme(), sts) {
        ("https", None) => Some(Hit::new(
            RULE.severity,
            format!("{} answered without Strict-Transport-Security", tx.what()),
        )),
        ("https", Some(value)) => {
            // RFC 6797 §6.1: directives are separated by `;`.
            let age = value
                .split(';')
                .filter_map(|d| d.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("max-age"))
                .and_then(|(_, v)| v.trim().trim_matches('"').parse::<u64>().ok())
                .unwrap_or(0);
            (age < config.hsts_missing_min_max_age_s).then(|| {
                Hit::new(
                    RULE.severity,
                    format!(
                        "{} sends HSTS with max-age={age}, under the minimum",
                        tx.what()
                    ),
                )
                .with("strict-transport-security", value)
                .with("minimum max-age", config.hsts_missing_min_max_age_s)
            })
        }
        ("http", Some(value)) => Some(
            Hit::new(
                RULE.severity,
                format!(
                    "{} sends HSTS over plain HTTP, where it is ignored",
                    tx.what()
                ),
            )
            .with("strict-transport-security", value),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_when_missing_short_or_over_http() {
        assert!(fires("hsts-missing", &[get("https://a.test/").build()]));
        let short = get("https://a.test/")
            .header("Strict-Transport-Security", "max-age=3600")
            .build();
        assert!(fires("hsts-missing", &[short]));
        let plain = get("http://a.test/")
            .header("Strict-Transport-Security", "max-age=31536000")
            .build();
        assert!(fires("hsts-missing", &[plain]));
    }

    #[test]
    fn quiet_with_a_year() {
        let ok = get("https://a.test/")
            .header(
                "Strict-Transport-Security",
                "max-age=63072000; includeSubDomains",
            )
            .build();
        assert!(!fires("hsts-missing", &[ok]));
        assert!(!fires("hsts-missing", &[get("https://localhost/").build()]));
    }
}
