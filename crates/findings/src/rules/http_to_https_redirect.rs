//! `http-to-https-redirect`: a request to `http://` answered by a redirect to `https://` on the
//! same host, a round trip wasted every time the client starts from the plain URL.
//!
//! Source: the dotnet-http example, where the redirect doubled the request time; compare
//! Lighthouse `redirects`. Loopback traffic is exempt unless `https_on_loopback` is set.

use super::{Hit, Rule, Tx};
use crate::{util, Config};
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "http-to-https-redirect",
    severity: Severity::Warning,
    title: "Plain HTTP request redirected to HTTPS",
    explanation: "The client asked for http:// and was sent to https:// on the same host: one extra round trip (and a plain-text request) on every such call.",
    hint: "Use the https:// URL directly in the client (and send HSTS so browsers upgrade by themselves).",
    source: "ours (dotnet-http example); Lighthouse redirects",
};

pub(crate) fn check(tx: &Tx, config: &Config) -> Option<Hit> {
    let url = tx.url.as_ref()?;
    let resp = tx.resp()?;
    if url.scheme != "http"
        || !matches!(resp.status, 301 | 302 | 307 | 308)
        || (tx.loopback && !config.https_on_loopback)
    {
        return None;
    }
    let location = header_value(&resp.headers, "location")?;
    let target = util::parse_url(location)?;
    if target.scheme != "https" || target.host != url.host {
        return None;
    }
    Some(
        Hit::new(
            RULE.severity,
            format!(
                "{} was redirected ({}) to {location}",
                tx.what(),
                resp.status
            ),
        )
        .with("status", resp.status)
        .with("location", location)
        .with("time", util::ms(tx.t.timings.total())),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_same_host_upgrade() {
        let t = get("http://example.com/a")
            .status(301)
            .header("Location", "https://example.com/a")
            .build();
        assert!(fires("http-to-https-redirect", &[t]));
    }

    #[test]
    fn quiet_for_other_hosts_and_relative_locations() {
        let other = get("http://example.com/a")
            .status(302)
            .header("Location", "https://login.example.net/")
            .build();
        let relative = get("http://example.com/a")
            .status(302)
            .header("Location", "/b")
            .build();
        assert!(!fires("http-to-https-redirect", &[other, relative]));
    }
}
