//! Redaction of credentials, applied identically by every sink.
//!
//! This module owns the rules that decide what counts as a secret and how it is masked. It keeps
//! the shape of what it masks, so a reader still sees which scheme, cookie or parameter was sent:
//!
//! - `Authorization`, `Proxy-Authorization`: the scheme stays (`Bearer [redacted]`);
//! - `Cookie`: cookie names stay (`sid=[redacted]; theme=[redacted]`);
//! - `Set-Cookie`: the name and attributes stay, the value goes (`sid=[redacted]; Path=/`);
//! - any header whose name contains `token`, `secret`, `api-key`, `api_key`, `apikey`,
//!   `password` or `session` (ASCII case-insensitive): the whole value becomes `[redacted]`;
//! - URLs (the transaction URL, the request target, and the `Location`, `Content-Location` and
//!   `Referer` headers): userinfo becomes `[redacted]@`, and the value of every query parameter
//!   whose name contains `token`, `key`, `secret`, `password`, `passwd`, `pwd`, `auth`, `sig`,
//!   `signature`, `session` or `code` becomes `[redacted]`.
//!
//! - findings ([`redact_finding`]): every URL in the message (a word containing `://`, or a
//!   request target `/...?...`) as above; each evidence value as a header of the evidence's
//!   name would be, and every URL in it.
//!
//! The rules err on the side of masking (`monkey=1` is masked because it contains `key`).
//! Trailers get the same treatment as headers.

use crate::{RenderOptions, Report, Summary};
use model::{Finding, Header, Transaction};
use std::borrow::Cow;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Header-name fragments whose values are masked entirely.
const SECRET_HEADER_WORDS: [&str; 7] = [
    "token", "secret", "api-key", "api_key", "apikey", "password", "session",
];

/// Query-parameter-name fragments whose values are masked.
const SECRET_PARAM_WORDS: [&str; 11] = [
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "sig",
    "signature",
    "session",
    "code",
];

/// Headers whose values are URLs (redacted with [`redact_url`]).
const URL_HEADERS: [&str; 3] = ["location", "content-location", "referer"];

/// The value of header `name` with its secrets masked (see the module documentation).
pub fn redact_header_value<'a>(name: &str, value: &'a str) -> Cow<'a, str> {
    if name.eq_ignore_ascii_case("authorization")
        || name.eq_ignore_ascii_case("proxy-authorization")
    {
        return match value.trim().split_once(char::is_whitespace) {
            Some((scheme, _)) => Cow::Owned(format!("{scheme} {REDACTED}")),
            None => Cow::Borrowed(REDACTED),
        };
    }
    if name.eq_ignore_ascii_case("cookie") {
        return Cow::Owned(redact_cookie(value));
    }
    if name.eq_ignore_ascii_case("set-cookie") {
        return Cow::Owned(redact_set_cookie(value));
    }
    let lower = name.to_ascii_lowercase();
    if SECRET_HEADER_WORDS.iter().any(|w| lower.contains(w)) {
        return Cow::Borrowed(REDACTED);
    }
    if URL_HEADERS.contains(&lower.as_str()) {
        return redact_url(value);
    }
    Cow::Borrowed(value)
}

/// `a=1; b=2` → `a=[redacted]; b=[redacted]`; a pair without `=` is masked whole.
fn redact_cookie(value: &str) -> String {
    value
        .split(';')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) => format!("{}={REDACTED}", name.trim()),
            None => REDACTED.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `sid=x; Path=/; Secure` → `sid=[redacted]; Path=/; Secure`.
fn redact_set_cookie(value: &str) -> String {
    let (pair, attributes) = match value.split_once(';') {
        Some((pair, rest)) => (pair, Some(rest)),
        None => (value, None),
    };
    let mut out = match pair.split_once('=') {
        Some((name, _)) => format!("{}={REDACTED}", name.trim()),
        None => REDACTED.to_owned(),
    };
    if let Some(rest) = attributes {
        out.push(';');
        out.push_str(rest);
    }
    out
}

/// A copy of `headers` with every value passed through [`redact_header_value`].
pub fn redact_headers(headers: &[Header]) -> Vec<Header> {
    headers
        .iter()
        .map(|h| Header::new(h.name.clone(), redact_header_value(&h.name, &h.value)))
        .collect()
}

/// `url` with userinfo and secret query-parameter values masked. Works on absolute URLs and on
/// request targets (`/path?q`); anything else comes back unchanged.
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let (before_fragment, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (before_fragment, None),
    };
    let base = redact_userinfo(base);
    let query = query.map(redact_query);
    let query_changed = matches!(query, Some(Cow::Owned(_)));
    if matches!(base, Cow::Borrowed(_)) && !query_changed {
        return Cow::Borrowed(url);
    }
    let mut out = String::with_capacity(url.len() + REDACTED.len());
    out.push_str(&base);
    if let Some(q) = query {
        out.push('?');
        out.push_str(&q);
    }
    out.push_str(fragment);
    Cow::Owned(out)
}

/// `scheme://user:pass@host/path` → `scheme://[redacted]@host/path`.
fn redact_userinfo(base: &str) -> Cow<'_, str> {
    let Some(scheme_end) = base.find("://") else {
        return Cow::Borrowed(base);
    };
    let (scheme, rest) = base.split_at(scheme_end + 3);
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            let host = authority.get(at + 1..).unwrap_or("");
            Cow::Owned(format!("{scheme}{REDACTED}@{host}{path}"))
        }
        None => Cow::Borrowed(base),
    }
}

/// `a=1&token=x` → `a=1&token=[redacted]`.
fn redact_query(query: &str) -> Cow<'_, str> {
    let secret = |name: &str| {
        let lower = name.to_ascii_lowercase();
        SECRET_PARAM_WORDS.iter().any(|w| lower.contains(w))
    };
    let needs = query.split('&').any(|p| {
        p.split_once('=')
            .is_some_and(|(name, value)| secret(name) && value != REDACTED)
    });
    if !needs {
        return Cow::Borrowed(query);
    }
    let parts: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((name, _)) if secret(name) => format!("{name}={REDACTED}"),
            _ => p.to_owned(),
        })
        .collect();
    Cow::Owned(parts.join("&"))
}

/// A copy of `t` with every rule of this module applied: URL, request target, headers and
/// trailers of both messages.
pub fn redact_transaction(t: &Transaction) -> Transaction {
    let mut t = t.clone();
    t.url = redact_url(&t.url).into_owned();
    if let Some(r) = t.request.as_mut() {
        r.target = redact_url(&r.target).into_owned();
        r.headers = redact_headers(&r.headers);
        r.trailers = redact_headers(&r.trailers);
    }
    if let Some(r) = t.response.as_mut() {
        r.headers = redact_headers(&r.headers);
        r.trailers = redact_headers(&r.trailers);
    }
    if let Some(p) = t.process.as_mut() {
        p.cmdline = redact_cmdline(&p.cmdline);
    }
    t
}

/// A command line with its secrets masked: URLs through [`redact_url`], `Name: value` header
/// arguments through [`redact_header_value`], the value of `--name=value` options whose name
/// says password, token, secret, key or auth, and the argument after `-u`/`--user`
/// (`user:REDACTED`), `--password`, `--token` and the like.
pub fn redact_cmdline(args: &[String]) -> Vec<String> {
    const SECRET_OPTION_WORDS: [&str; 6] = ["pass", "token", "secret", "key", "auth", "cookie"];
    let secret_option = |name: &str| {
        let lower = name.trim_start_matches('-').to_ascii_lowercase();
        name.starts_with('-')
            && name.len() > 2
            && SECRET_OPTION_WORDS.iter().any(|w| lower.contains(w))
    };
    let mut out = Vec::with_capacity(args.len());
    let mut previous: Option<&str> = None;
    for arg in args {
        let redacted = match previous {
            Some("-u" | "--user" | "--proxy-user") => match arg.split_once(':') {
                Some((user, _)) => format!("{user}:{REDACTED}"),
                None => arg.clone(),
            },
            Some("-b" | "--cookie") => REDACTED.to_owned(),
            Some(p) if secret_option(p) && !p.contains('=') => REDACTED.to_owned(),
            _ => {
                if let Some((name, _)) = arg.split_once('=').filter(|(n, _)| secret_option(n)) {
                    format!("{name}={REDACTED}")
                } else if arg.contains("://") {
                    redact_url(arg).into_owned()
                } else if let Some((name, value)) = arg.split_once(':').filter(|(n, _)| {
                    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }) {
                    match redact_header_value(name, value.trim_start()) {
                        Cow::Owned(v) => format!("{name}: {v}"),
                        Cow::Borrowed(_) => arg.clone(),
                    }
                } else {
                    arg.clone()
                }
            }
        };
        out.push(redacted);
        previous = Some(arg.as_str());
    }
    out
}

/// A copy of `s` whose slowest-request URLs are redacted.
pub fn redact_summary(s: &Summary) -> Summary {
    let mut s = s.clone();
    for slow in &mut s.slowest {
        slow.url = redact_url(&slow.url).into_owned();
    }
    s
}

/// `text` with every word that looks like a URL (contains `://`, or is a request target
/// starting with `/` and holding a query) passed through [`redact_url`]; whitespace is kept.
fn redact_urls_in_text(text: &str) -> Cow<'_, str> {
    let looks_like_url = |w: &str| w.contains("://") || (w.starts_with('/') && w.contains('?'));
    if !text
        .split_whitespace()
        .any(|w| looks_like_url(w) && matches!(redact_url(w), Cow::Owned(_)))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + REDACTED.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if looks_like_url(word) {
            out.push_str(&redact_url(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    Cow::Owned(out)
}

/// A copy of `f` with its secrets masked: URLs in the message, and evidence values (each as a
/// header named like the evidence would be, then every URL in it).
pub fn redact_finding(f: &Finding) -> Finding {
    let mut f = f.clone();
    f.message = redact_urls_in_text(&f.message).into_owned();
    for (name, value) in &mut f.evidence {
        let masked = redact_header_value(name, value);
        *value = redact_urls_in_text(&masked).into_owned();
    }
    f
}

/// The transaction as a sink should render it under `opts`.
pub(crate) fn prepare<'a>(t: &'a Transaction, opts: &RenderOptions) -> Cow<'a, Transaction> {
    if opts.show_secrets {
        Cow::Borrowed(t)
    } else {
        Cow::Owned(redact_transaction(t))
    }
}

/// The report as a sink should render it under `opts`.
pub(crate) fn prepare_report<'a>(r: &'a Report, opts: &RenderOptions) -> Cow<'a, Report> {
    if opts.show_secrets {
        Cow::Borrowed(r)
    } else {
        let mut r = r.clone();
        r.summary = redact_summary(&r.summary);
        r.findings = r.findings.iter().map(redact_finding).collect();
        Cow::Owned(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn authorization_keeps_scheme() {
        assert_eq!(
            redact_header_value("Authorization", "Bearer abc.def"),
            "Bearer [redacted]"
        );
        assert_eq!(
            redact_header_value("proxy-authorization", "Basic dXNlcjpw"),
            "Basic [redacted]"
        );
        assert_eq!(redact_header_value("AUTHORIZATION", "opaque"), "[redacted]");
    }

    #[test]
    fn cookie_keeps_names() {
        assert_eq!(
            redact_header_value("Cookie", "sid=abc; theme=dark"),
            "sid=[redacted]; theme=[redacted]"
        );
        assert_eq!(
            redact_header_value("cookie", "lonely; a=b;"),
            "[redacted]; a=[redacted]"
        );
    }

    #[test]
    fn set_cookie_keeps_name_and_attributes() {
        assert_eq!(
            redact_header_value("Set-Cookie", "sid=abc; Path=/; HttpOnly"),
            "sid=[redacted]; Path=/; HttpOnly"
        );
        assert_eq!(
            redact_header_value("set-cookie", "sid=abc"),
            "sid=[redacted]"
        );
    }

    #[test]
    fn secret_named_headers_are_masked_whole() {
        for name in [
            "X-Auth-Token",
            "X-Client-SECRET",
            "Api_Key",
            "X-Api-Key",
            "apikey",
            "X-Password",
            "X-Session-Id",
        ] {
            assert_eq!(redact_header_value(name, "value"), REDACTED, "{name}");
        }
        assert_eq!(
            redact_header_value("Content-Type", "text/html"),
            "text/html"
        );
        assert!(matches!(
            redact_header_value("Accept", "*/*"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn url_headers_are_redacted_as_urls() {
        assert_eq!(
            redact_header_value("Location", "https://app/cb?code=xyz&state=1"),
            "https://app/cb?code=[redacted]&state=1"
        );
        assert_eq!(
            redact_header_value("Referer", "http://u:p@h/"),
            "http://[redacted]@h/"
        );
    }

    #[test]
    fn url_query_parameters() {
        assert_eq!(
            redact_url("http://h/p?q=rust&access_token=a&API_KEY=b&x=1"),
            "http://h/p?q=rust&access_token=[redacted]&API_KEY=[redacted]&x=1"
        );
        for name in [
            "token",
            "key",
            "secret",
            "password",
            "passwd",
            "pwd",
            "auth",
            "sig",
            "signature",
            "session",
            "code",
        ] {
            assert_eq!(
                redact_url(&format!("/p?{name}=v&flag")),
                format!("/p?{name}=[redacted]&flag"),
                "{name}"
            );
        }
        assert!(matches!(redact_url("/p?q=1&page=2"), Cow::Borrowed(_)));
        assert_eq!(redact_url("/p?sig=1#frag"), "/p?sig=[redacted]#frag");
        // Already redacted input is stable.
        assert!(matches!(redact_url("/p?sig=[redacted]"), Cow::Borrowed(_)));
    }

    #[test]
    fn url_userinfo() {
        assert_eq!(
            redact_url("http://user:pass@host/x?y=1"),
            "http://[redacted]@host/x?y=1"
        );
        assert_eq!(redact_url("http://user@host"), "http://[redacted]@host");
        // An '@' in the path is not userinfo.
        assert_eq!(redact_url("http://host/a@b"), "http://host/a@b");
        assert_eq!(redact_url("host:443"), "host:443");
        assert_eq!(redact_url(""), "");
    }

    #[test]
    fn transaction_everywhere() {
        let t = redact_transaction(&fixtures::get(1, 0, 0));
        assert_eq!(
            t.url,
            "http://example.com/index.html?q=rust&token=[redacted]"
        );
        let req = t.request.as_ref().unwrap();
        assert_eq!(req.target, "/index.html?q=rust&token=[redacted]");
        assert_eq!(
            model::header_value(&req.headers, "authorization"),
            Some("Bearer [redacted]")
        );
        assert_eq!(
            model::header_value(&req.headers, "cookie"),
            Some("sid=[redacted]; theme=[redacted]")
        );
        let resp = t.response.as_ref().unwrap();
        assert!(model::header_value(&resp.headers, "set-cookie")
            .unwrap()
            .starts_with("sid=[redacted]; Path=/;"));
    }

    #[test]
    fn show_secrets_borrows_unchanged() {
        let t = fixtures::get(1, 0, 0);
        let opts = RenderOptions {
            show_secrets: true,
            ..RenderOptions::default()
        };
        assert!(matches!(prepare(&t, &opts), Cow::Borrowed(_)));
        assert!(!prepare(&t, &RenderOptions::default())
            .url
            .contains("abc123"));
    }

    #[test]
    fn findings_lose_their_secrets() {
        let f = model::Finding {
            rule: "r".into(),
            severity: model::Severity::Info,
            message: "GET https://u:p@a.test/x?sig=abc and /y?token=1,\tthen\n/plain?q=2".into(),
            origin: None,
            transactions: vec![],
            evidence: vec![
                ("set-cookie".into(), "sid=abc; Path=/".into()),
                ("location".into(), "https://a.test/?code=9".into()),
                ("url".into(), "see http://a.test/?password=x".into()),
                ("max-age".into(), "60".into()),
            ],
            hint: "h".into(),
        };
        let r = redact_finding(&f);
        assert_eq!(
            r.message,
            "GET https://[redacted]@a.test/x?sig=[redacted] and /y?token=[redacted]\tthen\n/plain?q=2"
        );
        let values: Vec<&str> = r.evidence.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(
            values,
            [
                "sid=[redacted]; Path=/",
                "https://a.test/?code=[redacted]",
                "see http://a.test/?password=[redacted]",
                "60"
            ]
        );
        let plain = fixtures::findings();
        assert_eq!(redact_finding(&plain[1]), plain[1]);
    }

    #[test]
    fn command_lines() {
        let args: Vec<String> = [
            "curl",
            "-u",
            "alice:hunter2",
            "-H",
            "Authorization: Bearer abc.def",
            "-H",
            "Accept: text/html",
            "https://x.test/a?token=s3cr3t&page=2",
            "--password=pw",
            "--api-token",
            "t0k",
            "-b",
            "sid=1",
            "plain",
        ]
        .map(String::from)
        .to_vec();
        let r = redact_cmdline(&args);
        let text = r.join(" ");
        for secret in ["hunter2", "abc.def", "s3cr3t", "=pw", "t0k", "sid=1"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(r[2], format!("alice:{REDACTED}"));
        assert_eq!(r[4], format!("Authorization: Bearer {REDACTED}"));
        assert_eq!(r[6], "Accept: text/html");
        assert!(r[7].contains("page=2"));
        assert_eq!(r[13], "plain");
    }
}
