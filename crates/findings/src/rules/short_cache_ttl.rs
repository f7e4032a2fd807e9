//! `short-cache-ttl`: static content (images, fonts, scripts, styles, audio, video) whose
//! explicit freshness lifetime is under `short_cache_ttl_min_days` (no-store/no-cache count as
//! zero). Responses without any policy are `no-cache-policy`'s.
//!
//! Source: Lighthouse `uses-long-cache-ttl`; YSlow "Add Expires headers" (2 days).

use super::{Hit, Rule, Tx};
use crate::util;
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "short-cache-ttl",
    severity: Severity::Info,
    title: "Static content with a short cache lifetime",
    explanation: "An image, font, script, style sheet or media file may be reused for less than the minimum lifetime, so clients fetch or revalidate it again soon.",
    hint: "Give static assets a long max-age (a year, with versioned file names) so they are not fetched again.",
    source: "Lighthouse uses-long-cache-ttl; YSlow",
};

/// Whether a Content-Type is static content.
fn is_static(content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    [
        "image/",
        "font/",
        "audio/",
        "video/",
        "text/css",
        "application/font",
        "application/x-font",
    ]
    .iter()
    .any(|p| ct.starts_with(p))
        || ct.contains("javascript")
        || ct.contains("ecmascript")
}

pub(crate) fn check(tx: &Tx, min_days: u64) -> Option<Hit> {
    let resp = tx.resp()?;
    let ct = header_value(&resp.headers, "content-type")?;
    if resp.status != 200 || !is_static(ct) {
        return None;
    }
    let cc = util::directives(&resp.headers, "cache-control");
    let lifetime = if util::has(&cc, "no-store") || util::has(&cc, "no-cache") {
        0
    } else {
        util::freshness_lifetime(resp)?
    };
    let min = min_days.saturating_mul(86_400);
    (lifetime < min).then(|| {
        Hit::new(
            RULE.severity,
            format!("{} ({ct}) may be cached for only {lifetime} s", tx.what()),
        )
        .with("lifetime s", lifetime)
        .with("minimum days", min_days)
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_short_lifetime() {
        let t = get("https://a.test/app.js")
            .header("Content-Type", "application/javascript")
            .header("Cache-Control", "max-age=600")
            .build();
        assert!(fires("short-cache-ttl", &[t]));
        let expires = get("https://a.test/a.png")
            .header("Content-Type", "image/png")
            .header("Date", "Mon, 01 Jan 2024 00:00:00 GMT")
            .header("Expires", "Tue, 02 Jan 2024 00:00:00 GMT")
            .build();
        assert!(fires("short-cache-ttl", &[expires]));
    }

    #[test]
    fn quiet_on_long_lifetime_or_dynamic() {
        let long = get("https://a.test/a.css")
            .header("Content-Type", "text/css")
            .header("Cache-Control", "max-age=31536000")
            .build();
        let html = get("https://a.test/")
            .header("Content-Type", "text/html")
            .header("Cache-Control", "max-age=60")
            .build();
        assert!(!fires("short-cache-ttl", &[long, html]));
    }
}
