//! `etag-not-updated`: the same URL served twice with the same strong ETag but bodies of
//! different sizes, so the bodies differ while the validator claims they are byte-identical
//! (RFC 9110 §8.8.3). Body sizes are a sound proxy only one way: a different size proves a
//! different body, so the rule compares sizes only for complete `200` responses to GET with the
//! same Content-Encoding whose size is known (decoded, or the identity body).
//!
//! Source: REDbot `INM_DUP_ETAG_STRONG`. State: the last ETag and size per URL, bounded.

use super::{Hit, Rule, Tx};
use crate::util::{self, Bounded};
use model::{header_value, IncompleteReason, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "etag-not-updated",
    severity: Severity::Error,
    title: "Strong ETag kept for a changed body",
    explanation: "Two responses for the same URL carry the same strong ETag but bodies of different sizes: caches that revalidate will keep serving the stale body.",
    hint: "Derive the ETag from the content (a hash) or its version, and change it whenever the body changes.",
    source: "REDbot INM_DUP_ETAG_STRONG",
};

struct Seen {
    etag: String,
    coding: Vec<String>,
    size: u64,
    id: u64,
}

pub(crate) struct State {
    urls: Bounded<String, Seen>,
}

impl State {
    pub(crate) fn new(cap: usize) -> State {
        State {
            urls: Bounded::new(cap),
        }
    }

    pub(crate) fn check(&mut self, tx: &Tx) -> Option<Hit> {
        let resp = tx.resp()?;
        let etag = header_value(&resp.headers, "etag")?.trim();
        if tx.t.method() != "GET"
            || resp.status != 200
            || etag.starts_with("W/")
            || !tx.t.incomplete.is_empty()
        {
            return None;
        }
        let coding = util::tokens(&resp.headers, "content-encoding");
        let identity = coding.iter().all(|c| c == "identity");
        let size = match resp.body.decoded {
            Some(d) => d,
            None if identity => resp.body.encoded,
            None => return None,
        };
        let hit = self.urls.get(&tx.t.url).and_then(|prev| {
            (prev.etag == etag && prev.coding == coding && prev.size != size).then(|| {
                Hit::new(
                    RULE.severity,
                    format!(
                        "{} kept ETag {etag} while the body changed from {} to {size} bytes",
                        tx.what(),
                        prev.size
                    ),
                )
                .with("etag", etag)
                .with("earlier transaction", prev.id)
                .with("earlier size", prev.size)
                .with("size", size)
            })
        });
        if !tx
            .t
            .incomplete
            .iter()
            .any(|i| i.reason == IncompleteReason::DecodeFailed)
        {
            self.urls.insert(
                tx.t.url.clone(),
                Seen {
                    etag: etag.to_owned(),
                    coding,
                    size,
                    id: tx.t.id,
                },
            );
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_when_size_changes_under_one_etag() {
        let a = get("https://a.test/x")
            .header("ETag", "\"v1\"")
            .body(100, None)
            .build();
        let b = get("https://a.test/x")
            .id(2)
            .header("ETag", "\"v1\"")
            .body(120, None)
            .build();
        assert!(fires("etag-not-updated", &[a, b]));
    }

    #[test]
    fn quiet_for_weak_tags_same_size_or_new_tag() {
        let a = get("https://a.test/x")
            .header("ETag", "W/\"v1\"")
            .body(100, None)
            .build();
        let b = get("https://a.test/x")
            .id(2)
            .header("ETag", "W/\"v1\"")
            .body(120, None)
            .build();
        let c = get("https://a.test/y")
            .header("ETag", "\"v1\"")
            .body(100, None)
            .build();
        let d = get("https://a.test/y")
            .id(4)
            .header("ETag", "\"v1\"")
            .body(100, None)
            .build();
        let e = get("https://a.test/y")
            .id(5)
            .header("ETag", "\"v2\"")
            .body(90, None)
            .build();
        assert!(!fires("etag-not-updated", &[a, b, c, d, e]));
    }
}
