//! Links between things that happen on different flows: the DNS lookup that preceded a
//! connection, and the 3xx response a request followed.
//!
//! - A connection is linked to the newest answered lookup whose addresses include the
//!   connection's server address, answered before the connection's first packet and at most
//!   [`DNS_WINDOW`] before it; a lookup by the same client address is preferred (a capture of
//!   one host sees the resolver stub and the connection from different addresses only when
//!   the stub is local, so any client is accepted as a fallback). Its duration becomes the
//!   first request's `dns` phase.
//! - A request is linked to the redirect it followed when its URL equals the resolved
//!   `Location` of an earlier 3xx response to the same client address, at most
//!   [`REDIRECT_WINDOW`] later. Chains carry their first request's start and hop count.
//!
//! Memory is bounded: [`MAX_LOOKUPS`] recent lookups and [`MAX_REDIRECTS`] pending redirects,
//! the oldest dropped first.

use model::{DnsLookup, RedirectLink, Timestamp, Transaction};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Longest time between a lookup's answer and the connection that used it.
pub(crate) const DNS_WINDOW: u64 = 10_000_000_000;
/// Longest time between a redirect response and the request that followed it.
pub(crate) const REDIRECT_WINDOW: u64 = 60_000_000_000;
/// Answered lookups kept for linking.
pub(crate) const MAX_LOOKUPS: usize = 4096;
/// Redirect targets kept for linking.
pub(crate) const MAX_REDIRECTS: usize = 1024;

/// Recently answered lookups, oldest first.
#[derive(Default)]
pub(crate) struct Lookups {
    recent: VecDeque<DnsLookup>,
}

impl Lookups {
    /// Remembers a lookup that gave addresses.
    pub(crate) fn add(&mut self, lookup: &DnsLookup) {
        if lookup.addresses.is_empty() || lookup.end.is_none() {
            return;
        }
        if self.recent.len() == MAX_LOOKUPS {
            self.recent.pop_front();
        }
        self.recent.push_back(lookup.clone());
    }

    /// Whether `client` got addresses for a name `related` to `name` from a lookup answered
    /// between `from` and `to`.
    pub(crate) fn resolved(
        &self,
        client: IpAddr,
        name: &str,
        from: Timestamp,
        to: Timestamp,
        related: impl Fn(&str, &str) -> bool,
    ) -> bool {
        self.recent.iter().rev().any(|l| {
            l.client.ip() == client
                && l.end.is_some_and(|end| from <= end && end <= to)
                && related(&l.name, name)
        })
    }

    /// The lookup behind a connection from `client` to `server` that began at `at`.
    pub(crate) fn find(&self, client: IpAddr, server: IpAddr, at: Timestamp) -> Option<&DnsLookup> {
        let usable = |l: &&DnsLookup| {
            l.end
                .is_some_and(|end| end <= at && at.since(end) <= DNS_WINDOW)
                && l.addresses.contains(&server)
        };
        let mut candidates = self.recent.iter().rev().filter(usable);
        let newest = candidates.next()?;
        if newest.client.ip() == client {
            return Some(newest);
        }
        Some(
            candidates
                .find(|l| l.client.ip() == client)
                .unwrap_or(newest),
        )
    }
}

/// A redirect waiting for the request that follows it.
struct Pending {
    link: RedirectLink,
    client: IpAddr,
    at: Timestamp,
}

/// Redirect targets by URL.
#[derive(Default)]
pub(crate) struct Redirects {
    by_url: HashMap<String, Pending>,
    order: VecDeque<String>,
}

impl Redirects {
    /// Links `t` to the redirect it followed, then remembers where `t` itself redirects.
    pub(crate) fn follow(&mut self, t: &mut Transaction) {
        if let Some(p) = self.by_url.remove(&t.url) {
            if p.client == t.client.ip()
                && t.start >= p.at
                && t.start.since(p.at) <= REDIRECT_WINDOW
            {
                t.redirect = Some(p.link);
            }
        }
        let Some(response) = &t.response else { return };
        if !(300..400).contains(&response.status) {
            return;
        }
        let Some(location) = model::header_value(&response.headers, "location") else {
            return;
        };
        let Some(target) = resolve(&t.url, location) else {
            return;
        };
        let link = RedirectLink {
            from: t.id,
            hops: t.redirect.as_ref().map_or(1, |r| r.hops.saturating_add(1)),
            chain_start: t.redirect.as_ref().map_or(t.start, |r| r.chain_start),
        };
        let at = t
            .times
            .response_end
            .or(t.times.response_start)
            .unwrap_or(t.start);
        if self.order.len() >= MAX_REDIRECTS {
            if let Some(old) = self.order.pop_front() {
                self.by_url.remove(&old);
            }
        }
        self.order.push_back(target.clone());
        self.by_url.insert(
            target,
            Pending {
                link,
                client: t.client.ip(),
                at,
            },
        );
    }
}

/// Resolves a `Location` value against the URL of the request it answered (RFC 9110
/// §10.2.2, RFC 3986 §5.2 for the common forms: absolute, scheme-relative, absolute path,
/// relative path). `None` when `base` is not an absolute http(s) URL.
pub(crate) fn resolve(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    if location.contains("://") {
        return Some(location.to_owned());
    }
    let (scheme, rest) = base.split_once("://")?;
    if let Some(authority_path) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{authority_path}"));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    if location.starts_with('?') {
        return Some(format!("{scheme}://{authority}{path}{location}"));
    }
    Some(format!("{scheme}://{authority}{dir}{location}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{DnsOutcome, Header, Response};

    fn lookup(client: &str, addr: &str, start: i64, end: i64) -> DnsLookup {
        DnsLookup {
            client: client.parse().unwrap(),
            server: "127.0.0.53:53".parse().unwrap(),
            name: "example.test".into(),
            qtype: "A".into(),
            start: Timestamp(start),
            end: Some(Timestamp(end)),
            attempts: 1,
            rcode: Some("NOERROR".into()),
            answers: vec![format!("A {addr}")],
            addresses: vec![addr.parse().unwrap()],
            min_ttl: Some(60),
            outcome: DnsOutcome::Answered,
        }
    }

    #[test]
    fn newest_matching_lookup_before_the_connection_wins() {
        let mut l = Lookups::default();
        l.add(&lookup("10.0.0.1:5000", "192.0.2.1", 100, 200));
        l.add(&lookup("10.0.0.1:5001", "192.0.2.1", 300, 400));
        l.add(&lookup("10.0.0.1:5002", "192.0.2.9", 500, 600));
        let client: IpAddr = "10.0.0.1".parse().unwrap();
        let server: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            l.find(client, server, Timestamp(700)).map(|x| x.start),
            Some(Timestamp(300))
        );
        // Answered after the connection began: not the one.
        assert_eq!(
            l.find(client, server, Timestamp(350)).map(|x| x.start),
            Some(Timestamp(100))
        );
        // Too old.
        assert!(l
            .find(client, server, Timestamp(400 + DNS_WINDOW as i64 + 1))
            .is_none());
        assert!(l
            .find(client, "192.0.2.7".parse().unwrap(), Timestamp(700))
            .is_none());
    }

    #[test]
    fn same_client_preferred_then_any() {
        let mut l = Lookups::default();
        l.add(&lookup("10.0.0.1:5000", "192.0.2.1", 100, 200));
        l.add(&lookup("127.0.0.1:5001", "192.0.2.1", 300, 400));
        let server: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            l.find("10.0.0.1".parse().unwrap(), server, Timestamp(500))
                .map(|x| x.start),
            Some(Timestamp(100))
        );
        assert_eq!(
            l.find("10.0.0.2".parse().unwrap(), server, Timestamp(500))
                .map(|x| x.start),
            Some(Timestamp(300))
        );
    }

    #[test]
    fn unanswered_lookups_are_not_kept() {
        let mut l = Lookups::default();
        let mut x = lookup("10.0.0.1:5000", "192.0.2.1", 100, 200);
        x.addresses.clear();
        l.add(&x);
        assert!(l.recent.is_empty());
    }

    #[test]
    fn location_forms() {
        let base = "http://a.test:8080/dir/page?x=1";
        assert_eq!(
            resolve(base, "https://b.test/x").as_deref(),
            Some("https://b.test/x")
        );
        assert_eq!(
            resolve(base, "//c.test/y").as_deref(),
            Some("http://c.test/y")
        );
        assert_eq!(
            resolve(base, "/root").as_deref(),
            Some("http://a.test:8080/root")
        );
        assert_eq!(
            resolve(base, "other").as_deref(),
            Some("http://a.test:8080/dir/other")
        );
        assert_eq!(
            resolve(base, "?y=2").as_deref(),
            Some("http://a.test:8080/dir/page?y=2")
        );
        assert_eq!(
            resolve("http://a.test", "next").as_deref(),
            Some("http://a.test/next")
        );
        assert_eq!(resolve("not a url", "/x"), None);
    }

    fn tx(id: u64, url: &str, start: i64, status: u16, location: Option<&str>) -> Transaction {
        Transaction {
            id,
            connection: model::ConnectionId(id),
            client: "10.0.0.1:4000".parse().unwrap(),
            server: "192.0.2.1:80".parse().unwrap(),
            position: 0,
            start: Timestamp(start),
            protocol: "HTTP/1.1".into(),
            url: url.into(),
            request: None,
            response: Some(Response {
                status,
                headers: location
                    .map(|l| vec![Header::new("Location", l)])
                    .unwrap_or_default(),
                ..Response::default()
            }),
            times: model::MessageTimes {
                response_end: Some(Timestamp(start + 10)),
                ..Default::default()
            },
            timings: model::Timings::default(),
            tunnel: None,
            tls: None,
            stream: None,
            grpc: None,
            dns: None,
            redirect: None,
            findings: Vec::new(),
            incomplete: vec![],
            process: None,
            source: None,
        }
    }

    #[test]
    fn chains_link_hop_by_hop() {
        let mut r = Redirects::default();
        let mut a = tx(1, "http://a.test/", 100, 301, Some("https://a.test/"));
        r.follow(&mut a);
        assert!(a.redirect.is_none());
        let mut b = tx(2, "https://a.test/", 200, 302, Some("/home"));
        r.follow(&mut b);
        assert_eq!(
            b.redirect,
            Some(RedirectLink {
                from: 1,
                hops: 1,
                chain_start: Timestamp(100)
            })
        );
        let mut c = tx(3, "https://a.test/home", 300, 200, None);
        r.follow(&mut c);
        assert_eq!(
            c.redirect,
            Some(RedirectLink {
                from: 2,
                hops: 2,
                chain_start: Timestamp(100)
            })
        );
        // Followed once only.
        let mut d = tx(4, "https://a.test/home", 400, 200, None);
        r.follow(&mut d);
        assert!(d.redirect.is_none());
    }

    #[test]
    fn a_3xx_without_location_links_nothing() {
        let mut r = Redirects::default();
        let mut a = tx(1, "http://a.test/", 100, 302, None);
        r.follow(&mut a);
        assert!(r.by_url.is_empty());
    }
}
