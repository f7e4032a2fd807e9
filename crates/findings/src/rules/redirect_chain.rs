//! `redirect-chain`: each redirect hop (301/302/303/307/308 with `Location`) with its cost in
//! time, and the whole chain's cost on the request that ended it; a 3xx redirect without
//! `Location` is an error (RFC 9110 §15.4).
//!
//! Source: Lighthouse `redirects`; httplint (missing Location).

use super::{Hit, Rule, Tx};
use crate::util;
use model::{header_value, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "redirect-chain",
    severity: Severity::Warning,
    title: "Redirect hop",
    explanation: "Each redirect costs a full round trip (often a new connection) before the real request; a redirect without Location leaves the client stranded.",
    hint: "Request the final URL directly; fix redirects that lack Location.",
    source: "Lighthouse redirects; httplint",
};

pub(crate) fn check(tx: &Tx) -> Option<Hit> {
    let resp = tx.resp()?;
    let t = tx.t;
    if matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
        let hop = util::ms(t.timings.total());
        return Some(match header_value(&resp.headers, "location") {
            Some(location) => Hit::new(
                RULE.severity,
                format!(
                    "{} redirects ({}) to {location}, costing {hop}",
                    tx.what(),
                    resp.status
                ),
            )
            .with("status", resp.status)
            .with("location", location)
            .with("hop time", hop),
            None => Hit::new(
                Severity::Error,
                format!("{} answered {} without Location", tx.what(), resp.status),
            )
            .with("status", resp.status),
        });
    }
    let link = t.redirect.as_ref()?;
    let cost = util::end_of(t).since(link.chain_start);
    Some(
        Hit::new(
            RULE.severity,
            format!(
                "{} was reached after {} redirect(s); the chain took {}",
                tx.what(),
                link.hops,
                util::ms(cost)
            ),
        )
        .with("hops", link.hops)
        .with("chain time", util::ms(cost))
        .with("redirected from transaction", link.from),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use model::{RedirectLink, Severity, Timestamp};

    #[test]
    fn fires_on_hops_chain_end_and_missing_location() {
        let hop = get("https://a.test/old")
            .status(301)
            .header("Location", "/new")
            .build();
        assert!(fires("redirect-chain", &[hop]));
        let mut end = get("https://a.test/new").id(2).build();
        end.redirect = Some(RedirectLink {
            from: 1,
            hops: 1,
            chain_start: Timestamp(T0),
        });
        assert!(fires("redirect-chain", &[end]));
        let f = run(&[get("https://a.test/").status(302).build()]);
        assert_eq!(of(&f, "redirect-chain")[0].severity, Severity::Error);
    }

    #[test]
    fn quiet_on_304_and_plain_200() {
        let nm = get("https://a.test/").status(304).build();
        assert!(!fires(
            "redirect-chain",
            &[nm, get("https://a.test/").build()]
        ));
    }
}
