//! Bounded aggregates over a stream of transactions: the [`Summary`] every report ends with.
//!
//! This module owns [`SummaryBuilder`], which sees each transaction once and keeps only
//! aggregates whose size does not depend on the number of transactions:
//! - scalar counters (requests, bytes, reuse, status classes, incomplete reasons);
//! - per-host counters (the host is `Host`, else HTTP/2's `:authority`, else the server
//!   address) for at most [`MAX_TRACKED_HOSTS`] distinct hosts; transactions for
//!   hosts first seen after that go straight to the [`OTHER_HOSTS`] bucket, so the top-50 list
//!   is exact whenever a capture has at most that many hosts;
//! - per-protocol counters for at most [`MAX_PROTOCOLS`] protocol names, the rest as `(other)`,
//!   and likewise per TLS version for requests that travelled over TLS;
//! - the [`MAX_SLOWEST`] slowest transactions by [`model::Timings::total`].
//!
//! Connections are counted as transactions at position 0 (the first request seen on a
//! connection), which needs no per-connection memory.
//!
//! The summary stores URLs as given; sinks redact them when they render (see
//! [`crate::redact_summary`]).

use model::{header_value, ConnectionId, IncompleteReason, Timestamp, Timings, Transaction};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Hosts listed individually in [`Summary::hosts`].
const MAX_HOSTS: usize = 50;
/// Distinct hosts counted individually while building.
const MAX_TRACKED_HOSTS: usize = 1024;
/// Distinct protocol names counted individually.
const MAX_PROTOCOLS: usize = 16;
/// Entries of [`Summary::slowest`].
const MAX_SLOWEST: usize = 10;

/// The name of the bucket that gathers hosts beyond the top 50 (and protocols beyond 16).
pub const OTHER_HOSTS: &str = "(other)";

/// Transactions per status class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatusClasses {
    /// 1xx final statuses (a 101 that switched protocols).
    #[serde(rename = "1xx")]
    pub informational: u64,
    /// 2xx.
    #[serde(rename = "2xx")]
    pub success: u64,
    /// 3xx.
    #[serde(rename = "3xx")]
    pub redirection: u64,
    /// 4xx.
    #[serde(rename = "4xx")]
    pub client_error: u64,
    /// 5xx.
    #[serde(rename = "5xx")]
    pub server_error: u64,
    /// A status outside 100..=599.
    pub other: u64,
    /// No response was seen.
    pub none: u64,
}

impl StatusClasses {
    /// Counts one transaction with `status` (0 = no response).
    fn add(&mut self, status: u16) {
        let slot = match status {
            0 => &mut self.none,
            100..=199 => &mut self.informational,
            200..=299 => &mut self.success,
            300..=399 => &mut self.redirection,
            400..=499 => &mut self.client_error,
            500..=599 => &mut self.server_error,
            _ => &mut self.other,
        };
        *slot = slot.saturating_add(1);
    }

    /// Adds every counter of `other`.
    fn merge(&mut self, o: &StatusClasses) {
        self.informational = self.informational.saturating_add(o.informational);
        self.success = self.success.saturating_add(o.success);
        self.redirection = self.redirection.saturating_add(o.redirection);
        self.client_error = self.client_error.saturating_add(o.client_error);
        self.server_error = self.server_error.saturating_add(o.server_error);
        self.other = self.other.saturating_add(o.other);
        self.none = self.none.saturating_add(o.none);
    }

    /// `(label, count)` for every class, in display order.
    pub fn labelled(&self) -> [(&'static str, u64); 7] {
        [
            ("1xx", self.informational),
            ("2xx", self.success),
            ("3xx", self.redirection),
            ("4xx", self.client_error),
            ("5xx", self.server_error),
            ("other", self.other),
            ("no response", self.none),
        ]
    }
}

/// Counters for one host (the `Host` header, lowercased, else the server address).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HostSummary {
    /// The host, or [`OTHER_HOSTS`] for the bucket of the rest.
    pub host: String,
    /// Transactions.
    pub requests: u64,
    /// Connections (transactions at position 0).
    pub connections: u64,
    /// Transactions on a connection that had carried earlier ones.
    pub reused_requests: u64,
    /// Request bytes on the wire.
    pub request_bytes: u64,
    /// Response bytes on the wire.
    pub response_bytes: u64,
    /// Response body bytes after content decoding.
    pub decoded_bytes: u64,
    /// Transactions with at least one incomplete reason.
    pub incomplete: u64,
    /// Transactions per status class.
    pub statuses: StatusClasses,
}

impl HostSummary {
    /// Counts `t` (whose host this is).
    fn add(&mut self, t: &Transaction) {
        self.requests = self.requests.saturating_add(1);
        self.connections = self.connections.saturating_add(u64::from(t.position == 0));
        self.reused_requests = self.reused_requests.saturating_add(u64::from(t.reused()));
        self.request_bytes = self.request_bytes.saturating_add(t.request_wire_bytes());
        self.response_bytes = self.response_bytes.saturating_add(t.response_wire_bytes());
        self.decoded_bytes = self
            .decoded_bytes
            .saturating_add(t.response_decoded_bytes());
        self.incomplete = self
            .incomplete
            .saturating_add(u64::from(!t.incomplete.is_empty()));
        self.statuses.add(t.status());
    }

    /// Adds every counter of `o` (the host name stays).
    fn merge(&mut self, o: &HostSummary) {
        self.requests = self.requests.saturating_add(o.requests);
        self.connections = self.connections.saturating_add(o.connections);
        self.reused_requests = self.reused_requests.saturating_add(o.reused_requests);
        self.request_bytes = self.request_bytes.saturating_add(o.request_bytes);
        self.response_bytes = self.response_bytes.saturating_add(o.response_bytes);
        self.decoded_bytes = self.decoded_bytes.saturating_add(o.decoded_bytes);
        self.incomplete = self.incomplete.saturating_add(o.incomplete);
        self.statuses.merge(&o.statuses);
    }
}

/// One of the slowest transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlowRequest {
    /// The transaction's id.
    pub id: u64,
    /// Its connection.
    pub connection: ConnectionId,
    /// The method, `""` without a request.
    pub method: String,
    /// The URL (not redacted here; sinks redact).
    pub url: String,
    /// The status, 0 without a response.
    pub status: u16,
    /// When it began.
    pub start: Timestamp,
    /// [`Timings::total`] in nanoseconds.
    pub total_ns: u64,
    /// Its phases.
    pub timings: Timings,
}

/// Aggregates over all transactions of an analysis.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Transactions.
    pub requests: u64,
    /// Request bytes on the wire.
    pub request_bytes: u64,
    /// Response bytes on the wire.
    pub response_bytes: u64,
    /// Response body bytes after content decoding (encoded size when not coded).
    pub decoded_bytes: u64,
    /// Connections that carried HTTP (transactions at position 0).
    pub connections: u64,
    /// Transactions on connections that had carried earlier ones.
    pub reused_requests: u64,
    /// `reused_requests / requests`, 0 when there are none.
    pub reuse_ratio: f64,
    /// Transactions with at least one incomplete reason.
    pub incomplete: u64,
    /// Transactions per reason (a transaction with two reasons counts in both), by reason.
    pub incomplete_reasons: Vec<(IncompleteReason, u64)>,
    /// Transactions per status class.
    pub status_classes: StatusClasses,
    /// Top 50 hosts by requests (then by name), plus an [`OTHER_HOSTS`] bucket for the rest.
    pub hosts: Vec<HostSummary>,
    /// The 10 slowest transactions by total time, slowest first (earlier first on ties).
    pub slowest: Vec<SlowRequest>,
    /// Transactions per protocol, most used first (then by name).
    pub protocols: Vec<(String, u64)>,
    /// Transactions that travelled over TLS (those with [`Transaction::tls`]).
    pub secure_requests: u64,
    /// Those transactions per TLS version (`TLS 1.3`; `(unknown)` when the version was not
    /// seen), most used first (then by name).
    pub tls_versions: Vec<(String, u64)>,
}

/// Builds a [`Summary`] from a stream of transactions in bounded memory (see the module
/// documentation for the bounds). `Default` and [`new`](SummaryBuilder::new) start empty.
#[derive(Clone, Debug, Default)]
pub struct SummaryBuilder {
    requests: u64,
    request_bytes: u64,
    response_bytes: u64,
    decoded_bytes: u64,
    connections: u64,
    reused_requests: u64,
    incomplete: u64,
    incomplete_reasons: BTreeMap<IncompleteReason, u64>,
    status_classes: StatusClasses,
    hosts: HashMap<String, HostSummary>,
    other_hosts: HostSummary,
    slowest: Vec<SlowRequest>,
    protocols: Vec<(String, u64)>,
    other_protocols: u64,
    secure_requests: u64,
    tls_versions: Vec<(String, u64)>,
    other_tls_versions: u64,
}

/// The `host[:port]` a transaction was for: the `Host` header, else HTTP/2's `:authority`
/// (HTTP/2 requests usually carry no `Host`), else the server address.
fn host_of(t: &Transaction) -> String {
    t.request
        .as_ref()
        .and_then(|r| {
            header_value(&r.headers, "host").or_else(|| header_value(&r.headers, ":authority"))
        })
        .map_or_else(|| t.server.to_string(), str::to_owned)
}

/// Counts one more `name` in a list bounded to [`MAX_PROTOCOLS`] names; a name beyond the
/// bound counts in `other`.
fn count_bounded(list: &mut Vec<(String, u64)>, other: &mut u64, name: &str) {
    if let Some(p) = list.iter_mut().find(|(p, _)| p == name) {
        p.1 = p.1.saturating_add(1);
    } else if list.len() < MAX_PROTOCOLS {
        list.push((name.to_owned(), 1));
    } else {
        *other = other.saturating_add(1);
    }
}

/// `list` most used first (then by name), with an [`OTHER_HOSTS`] entry for `other`.
fn sorted_counts(list: &[(String, u64)], other: u64) -> Vec<(String, u64)> {
    let mut out = list.to_vec();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if other > 0 {
        out.push((OTHER_HOSTS.to_owned(), other));
    }
    out
}

impl SummaryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one transaction.
    pub fn add(&mut self, t: &Transaction) {
        self.requests = self.requests.saturating_add(1);
        self.request_bytes = self.request_bytes.saturating_add(t.request_wire_bytes());
        self.response_bytes = self.response_bytes.saturating_add(t.response_wire_bytes());
        self.decoded_bytes = self
            .decoded_bytes
            .saturating_add(t.response_decoded_bytes());
        self.connections = self.connections.saturating_add(u64::from(t.position == 0));
        self.reused_requests = self.reused_requests.saturating_add(u64::from(t.reused()));
        if !t.incomplete.is_empty() {
            self.incomplete = self.incomplete.saturating_add(1);
            let mut reasons: Vec<IncompleteReason> =
                t.incomplete.iter().map(|i| i.reason).collect();
            reasons.sort();
            reasons.dedup();
            for r in reasons {
                let n = self.incomplete_reasons.entry(r).or_default();
                *n = n.saturating_add(1);
            }
        }
        self.status_classes.add(t.status());
        self.add_host(t);
        self.add_protocol(&t.protocol);
        if let Some(tls) = &t.tls {
            self.secure_requests = self.secure_requests.saturating_add(1);
            let version = tls.version.as_deref().unwrap_or("(unknown)");
            count_bounded(
                &mut self.tls_versions,
                &mut self.other_tls_versions,
                version,
            );
        }
        self.add_slow(t);
    }

    fn add_host(&mut self, t: &Transaction) {
        let host = host_of(t).to_ascii_lowercase();
        if let Some(h) = self.hosts.get_mut(&host) {
            h.add(t);
        } else if self.hosts.len() < MAX_TRACKED_HOSTS {
            let mut h = HostSummary {
                host: host.clone(),
                ..HostSummary::default()
            };
            h.add(t);
            self.hosts.insert(host, h);
        } else {
            self.other_hosts.add(t);
        }
    }

    fn add_protocol(&mut self, protocol: &str) {
        let name = if protocol.is_empty() {
            "(unknown)"
        } else {
            protocol
        };
        count_bounded(&mut self.protocols, &mut self.other_protocols, name);
    }

    fn add_slow(&mut self, t: &Transaction) {
        let total_ns = t.timings.total();
        let at = self
            .slowest
            .iter()
            .position(|s| total_ns > s.total_ns)
            .unwrap_or(self.slowest.len());
        if at >= MAX_SLOWEST {
            return;
        }
        self.slowest.insert(
            at,
            SlowRequest {
                id: t.id,
                connection: t.connection,
                method: t.method().to_owned(),
                url: t.url.clone(),
                status: t.status(),
                start: t.start,
                total_ns,
                timings: t.timings,
            },
        );
        self.slowest.truncate(MAX_SLOWEST);
    }

    /// The summary of everything added so far.
    pub fn build(&self) -> Summary {
        let mut hosts: Vec<HostSummary> = self.hosts.values().cloned().collect();
        hosts.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.host.cmp(&b.host))
        });
        let mut other = self.other_hosts.clone();
        other.host = OTHER_HOSTS.to_owned();
        if hosts.len() > MAX_HOSTS {
            for h in hosts.drain(MAX_HOSTS..) {
                other.merge(&h);
            }
        }
        if other.requests > 0 {
            hosts.push(other);
        }
        let protocols = sorted_counts(&self.protocols, self.other_protocols);
        Summary {
            requests: self.requests,
            request_bytes: self.request_bytes,
            response_bytes: self.response_bytes,
            decoded_bytes: self.decoded_bytes,
            connections: self.connections,
            reused_requests: self.reused_requests,
            reuse_ratio: if self.requests == 0 {
                0.0
            } else {
                self.reused_requests as f64 / self.requests as f64
            },
            incomplete: self.incomplete,
            incomplete_reasons: self
                .incomplete_reasons
                .iter()
                .map(|(r, n)| (*r, *n))
                .collect(),
            status_classes: self.status_classes.clone(),
            hosts,
            slowest: self.slowest.clone(),
            protocols,
            secure_requests: self.secure_requests,
            tls_versions: sorted_counts(&self.tls_versions, self.other_tls_versions),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{get, h2_grpc, tls13, tls_get, unanswered, MS};
    use model::Header;

    #[test]
    fn http2_host_from_authority() {
        let mut b = SummaryBuilder::new();
        b.add(&h2_grpc(1, 0));
        let mut no_host = get(2, 0, 0);
        if let Some(r) = no_host.request.as_mut() {
            r.headers.clear();
        }
        b.add(&no_host);
        let s = b.build();
        let hosts: Vec<&str> = s.hosts.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(hosts, ["93.184.216.34:80", "grpc.example.com"]);
        assert_eq!(
            s.protocols,
            [("HTTP/1.1".to_owned(), 1), ("HTTP/2".to_owned(), 1)]
        );
    }

    #[test]
    fn counts_bytes_reuse_statuses_and_reasons() {
        let mut b = SummaryBuilder::new();
        b.add(&get(1, 0, 0));
        b.add(&get(2, 1, 100));
        b.add(&unanswered(3, 200));
        let s = b.build();
        assert_eq!(s.requests, 3);
        assert_eq!(s.request_bytes, 120 + 120 + 420);
        assert_eq!(s.response_bytes, 2 * 1_200);
        assert_eq!(s.decoded_bytes, 2 * 4_000);
        assert_eq!(s.connections, 2);
        assert_eq!(s.reused_requests, 1);
        assert!((s.reuse_ratio - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.incomplete, 1);
        assert_eq!(
            s.incomplete_reasons,
            vec![(IncompleteReason::NoResponse, 1)]
        );
        assert_eq!(s.status_classes.success, 2);
        assert_eq!(s.status_classes.none, 1);
        assert_eq!(s.protocols, vec![("HTTP/1.1".to_owned(), 3)]);
        let hosts: Vec<(&str, u64, u64)> = s
            .hosts
            .iter()
            .map(|h| (h.host.as_str(), h.requests, h.connections))
            .collect();
        assert_eq!(
            hosts,
            vec![("example.com", 2, 1), ("api.example.org", 1, 1)]
        );
    }

    #[test]
    fn counts_requests_per_tls_version() {
        let mut b = SummaryBuilder::new();
        b.add(&get(1, 0, 0));
        b.add(&tls_get(2, 0));
        b.add(&tls_get(3, 0));
        let mut t12 = tls_get(4, 0);
        t12.tls = Some(model::TlsInfo {
            version: Some("TLS 1.2".into()),
            ..tls13()
        });
        b.add(&t12);
        let mut unknown = tls_get(5, 0);
        unknown.tls = Some(model::TlsInfo::default());
        b.add(&unknown);
        let s = b.build();
        assert_eq!(s.requests, 5);
        assert_eq!(s.secure_requests, 4);
        assert_eq!(
            s.tls_versions,
            vec![
                ("TLS 1.3".to_owned(), 2),
                ("(unknown)".to_owned(), 1),
                ("TLS 1.2".to_owned(), 1)
            ]
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["secure_requests"], 4);
        assert_eq!(json["tls_versions"][0][0], "TLS 1.3");
    }

    #[test]
    fn empty_summary_has_zero_ratio() {
        let s = SummaryBuilder::default().build();
        assert_eq!(s.requests, 0);
        assert_eq!(s.reuse_ratio, 0.0);
        assert!(s.hosts.is_empty() && s.slowest.is_empty() && s.protocols.is_empty());
        assert!(s.secure_requests == 0 && s.tls_versions.is_empty());
    }

    #[test]
    fn slowest_keeps_top_ten_in_order() {
        let mut b = SummaryBuilder::new();
        for i in 0..25u64 {
            let mut t = get(i + 1, 1, 0);
            // Totals 0, 7, 14, ... ms in a scrambled order with ties.
            t.timings = Timings {
                wait: Some((i * 7 % 25) * MS),
                ..Timings::default()
            };
            b.add(&t);
        }
        let mut tie = get(100, 1, 0);
        tie.timings = Timings {
            wait: Some(24 * MS),
            ..Timings::default()
        };
        b.add(&tie);
        let s = b.build();
        let totals: Vec<u64> = s.slowest.iter().map(|r| r.total_ns / MS).collect();
        assert_eq!(totals, vec![24, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
        // The earlier of two equal transactions comes first.
        assert_eq!(s.slowest[1].id, 100);
        assert_ne!(s.slowest[0].id, 100);
    }

    #[test]
    fn hosts_are_bounded_with_an_other_bucket() {
        let mut b = SummaryBuilder::new();
        let mut n = 0;
        for i in 0..(MAX_TRACKED_HOSTS + 10) {
            let mut t = get(1, 0, 0);
            if let Some(r) = t.request.as_mut() {
                r.headers = vec![Header::new("Host", format!("h{i:04}.test"))];
            }
            // The first host gets three requests so it sorts first.
            for _ in 0..if i == 0 { 3 } else { 1 } {
                b.add(&t);
                n += 1;
            }
        }
        let s = b.build();
        assert_eq!(s.hosts.len(), MAX_HOSTS + 1);
        assert_eq!(s.hosts[0].host, "h0000.test");
        assert_eq!(s.hosts[0].requests, 3);
        assert_eq!(s.hosts[1].host, "h0001.test");
        let last = &s.hosts[MAX_HOSTS];
        assert_eq!(last.host, OTHER_HOSTS);
        assert_eq!(s.hosts.iter().map(|h| h.requests).sum::<u64>(), n);
        assert_eq!(b.hosts.len(), MAX_TRACKED_HOSTS);
    }

    #[test]
    fn host_falls_back_to_server_and_is_lowercased() {
        let mut b = SummaryBuilder::new();
        let mut t = get(1, 0, 0);
        t.request = None;
        b.add(&t);
        let mut t = get(2, 0, 0);
        if let Some(r) = t.request.as_mut() {
            r.headers = vec![Header::new("host", "EXAMPLE.com")];
        }
        b.add(&t);
        let s = b.build();
        let names: Vec<&str> = s.hosts.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(names, vec!["93.184.216.34:80", "example.com"]);
    }

    #[test]
    fn protocols_are_bounded() {
        let mut b = SummaryBuilder::new();
        for i in 0..(MAX_PROTOCOLS + 3) {
            let mut t = get(1, 0, 0);
            t.protocol = format!("P/{i:02}");
            b.add(&t);
        }
        let mut t = get(1, 0, 0);
        t.protocol = String::new();
        b.add(&t);
        let s = b.build();
        assert_eq!(s.protocols.len(), MAX_PROTOCOLS + 1);
        assert_eq!(s.protocols.last(), Some(&(OTHER_HOSTS.to_owned(), 4)));
    }

    #[test]
    fn status_classes_cover_every_range() {
        let mut c = StatusClasses::default();
        for s in [0, 101, 204, 301, 404, 503, 700, 99] {
            c.add(s);
        }
        let counts: Vec<u64> = c.labelled().iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, vec![1, 1, 1, 1, 1, 2, 1]);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["2xx"], 1);
        assert_eq!(json["none"], 1);
    }
}
