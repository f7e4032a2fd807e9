//! `oversize-headers`: one header field over `oversize_headers_field_bytes`, a header section
//! over `oversize_headers_section_bytes`, a URL over `oversize_headers_url_chars` characters,
//! or request cookies over `oversize_headers_cookie_bytes`. Servers and proxies commonly
//! refuse such messages (431, 414) and every request pays for the bytes.
//!
//! Source: httplint (header size limits); YSlow "Reduce cookie size".

use super::{Hit, Rule, Tx};
use crate::Config;
use model::{Header, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "oversize-headers",
    severity: Severity::Warning,
    title: "Oversized headers, URL or cookies",
    explanation: "A header field, a header section, the URL or the cookies are larger than common limits: some servers and proxies reject them and every request carries the bytes.",
    hint: "Trim cookies and headers, and move large parameters from the URL into a request body.",
    source: "httplint; YSlow",
};

fn biggest(headers: &[Header]) -> Option<(&str, u64)> {
    headers
        .iter()
        .map(|h| (h.name.as_str(), (h.name.len() + h.value.len()) as u64))
        .max_by_key(|&(_, n)| n)
}

pub(crate) fn check(tx: &Tx, config: &Config) -> Option<Hit> {
    let mut problems: Vec<(String, String)> = Vec::new();
    let url_chars = tx.t.url.chars().count() as u64;
    if url_chars > config.oversize_headers_url_chars {
        problems.push(("url chars".into(), url_chars.to_string()));
    }
    if let Some(req) = tx.req() {
        let cookies: u64 = req
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("cookie"))
            .map(|h| h.value.len() as u64)
            .sum();
        if cookies > config.oversize_headers_cookie_bytes {
            problems.push(("cookie bytes".into(), cookies.to_string()));
        }
        section(
            &mut problems,
            "request",
            &req.headers,
            req.header_bytes,
            config,
        );
    }
    if let Some(resp) = tx.resp() {
        section(
            &mut problems,
            "response",
            &resp.headers,
            resp.header_bytes,
            config,
        );
    }
    if problems.is_empty() {
        return None;
    }
    let what: Vec<String> = problems.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let mut hit = Hit::new(
        RULE.severity,
        format!("{} is oversized: {}", tx.what(), what.join(", ")),
    );
    hit.evidence = problems;
    Some(hit)
}

fn section(
    problems: &mut Vec<(String, String)>,
    side: &str,
    headers: &[Header],
    bytes: u64,
    config: &Config,
) {
    if let Some((name, n)) = biggest(headers) {
        if n > config.oversize_headers_field_bytes {
            problems.push((format!("{side} header {name} bytes"), n.to_string()));
        }
    }
    if bytes > config.oversize_headers_section_bytes {
        problems.push((format!("{side} header section bytes"), bytes.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_big_cookie_field_section_and_url() {
        let cookie = get("https://a.test/")
            .req_header("Cookie", &"x".repeat(1_200))
            .build();
        assert!(fires("oversize-headers", &[cookie]));
        let field = get("https://a.test/")
            .header("X-Big", &"y".repeat(9_000))
            .build();
        assert!(fires("oversize-headers", &[field]));
        let section = get("https://a.test/").resp_header_bytes(40_000).build();
        assert!(fires("oversize-headers", &[section]));
        let url = format!("https://a.test/?q={}", "z".repeat(8_000));
        assert!(fires("oversize-headers", &[get(&url).build()]));
    }

    #[test]
    fn quiet_when_small() {
        let t = get("https://a.test/").req_header("Cookie", "a=b").build();
        assert!(!fires("oversize-headers", &[t]));
    }
}
