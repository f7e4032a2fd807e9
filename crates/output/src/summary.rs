//! Bounded aggregates over a stream of transactions: the [`Summary`] every report ends with.
//!
//! This module owns [`SummaryBuilder`], which sees each transaction once and keeps only
//! aggregates whose size does not depend on the number of transactions:
//! - scalar counters (requests, bytes, reuse, status classes, incomplete reasons);
//! - per-origin counters ([`OriginSummary`]; the origin is `scheme://host[:port]` as
//!   [`origin_of`] spells it) for at most [`MAX_TRACKED_ORIGINS`] distinct origins;
//!   transactions for origins first seen after that go straight to the [`OTHER`] bucket, so the
//!   top-50 list is exact whenever a capture has at most that many origins. Each origin counts
//!   at most [`MAX_ORIGIN_LABELS`] protocol names and TLS versions, the rest as [`OTHER`];
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

/// Origins listed individually in [`Summary::origins`].
pub const MAX_ORIGINS: usize = 50;
/// Distinct origins counted individually while building.
const MAX_TRACKED_ORIGINS: usize = 1024;
/// Distinct protocol names counted individually.
const MAX_PROTOCOLS: usize = 16;
/// Distinct protocol names, and TLS versions, counted individually per origin.
pub const MAX_ORIGIN_LABELS: usize = 8;
/// Entries of [`Summary::slowest`].
const MAX_SLOWEST: usize = 10;

/// The name of the bucket that gathers origins beyond the top [`MAX_ORIGINS`] (and protocols
/// or TLS versions beyond their bounds).
pub const OTHER: &str = "(other)";
/// The name of a protocol or TLS version that was not seen.
const UNKNOWN: &str = "(unknown)";

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

/// Counters for one origin: `scheme://host[:port]` as [`origin_of`] spells it.
///
/// Serialised (JSON, JSON lines, HAR's `_httpscope`) with these field names:
/// `origin`, `requests`, `connections`, `reused_requests`, `reuse_ratio`, `request_bytes`,
/// `response_bytes`, `decoded_bytes`, `revalidations`, `incomplete`, `statuses` (a
/// [`StatusClasses`] object: its `4xx` and `5xx` are the error counts and its `none` the
/// failures, transactions without a response), `protocols` and `tls_versions` (arrays of
/// `[name, count]`, most used first, then by name; at most [`MAX_ORIGIN_LABELS`] names, the rest
/// as [`OTHER`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OriginSummary {
    /// The origin, or [`OTHER`] for the bucket of the rest.
    pub origin: String,
    /// Transactions.
    pub requests: u64,
    /// Connections (transactions at position 0: a connection counts for the origin of its
    /// first request).
    pub connections: u64,
    /// Transactions on a connection that had carried earlier ones.
    pub reused_requests: u64,
    /// `reused_requests / requests`, 0 when there are none.
    pub reuse_ratio: f64,
    /// Request bytes on the wire.
    pub request_bytes: u64,
    /// Response bytes on the wire.
    pub response_bytes: u64,
    /// Response body bytes after content decoding.
    pub decoded_bytes: u64,
    /// Cache revalidations that confirmed the cached copy: `304 Not Modified` responses.
    pub revalidations: u64,
    /// Transactions with at least one incomplete reason.
    pub incomplete: u64,
    /// Transactions per status class (`4xx`, `5xx`: errors; `none`: failures).
    pub statuses: StatusClasses,
    /// Transactions per protocol (`HTTP/1.1`, `HTTP/2`), most used first.
    pub protocols: Vec<(String, u64)>,
    /// Transactions over TLS per version (`TLS 1.3`; `(unknown)` when not seen), most used
    /// first.
    pub tls_versions: Vec<(String, u64)>,
}

/// The counters of one origin while building: like [`OriginSummary`] without the ratio and
/// with unsorted label counts.
#[derive(Clone, Debug, Default)]
struct OriginCounts {
    requests: u64,
    connections: u64,
    reused_requests: u64,
    request_bytes: u64,
    response_bytes: u64,
    decoded_bytes: u64,
    revalidations: u64,
    incomplete: u64,
    statuses: StatusClasses,
    protocols: Vec<(String, u64)>,
    other_protocols: u64,
    tls_versions: Vec<(String, u64)>,
    other_tls_versions: u64,
}

impl OriginCounts {
    /// Counts `t` (whose origin this is).
    fn add(&mut self, t: &Transaction) {
        self.requests = self.requests.saturating_add(1);
        self.connections = self.connections.saturating_add(u64::from(opened(t)));
        self.reused_requests = self.reused_requests.saturating_add(u64::from(t.reused()));
        self.request_bytes = self.request_bytes.saturating_add(t.request_wire_bytes());
        self.response_bytes = self.response_bytes.saturating_add(t.response_wire_bytes());
        self.decoded_bytes = self
            .decoded_bytes
            .saturating_add(t.response_decoded_bytes());
        self.revalidations = self
            .revalidations
            .saturating_add(u64::from(t.status() == 304));
        self.incomplete = self
            .incomplete
            .saturating_add(u64::from(!t.incomplete.is_empty()));
        self.statuses.add(t.status());
        count_bounded(
            &mut self.protocols,
            &mut self.other_protocols,
            protocol_name(&t.protocol),
            1,
            MAX_ORIGIN_LABELS,
        );
        if let Some(tls) = &t.tls {
            count_bounded(
                &mut self.tls_versions,
                &mut self.other_tls_versions,
                tls.version.as_deref().unwrap_or(UNKNOWN),
                1,
                MAX_ORIGIN_LABELS,
            );
        }
    }

    /// Adds every counter of `o`.
    fn merge(&mut self, o: &OriginCounts) {
        self.requests = self.requests.saturating_add(o.requests);
        self.connections = self.connections.saturating_add(o.connections);
        self.reused_requests = self.reused_requests.saturating_add(o.reused_requests);
        self.request_bytes = self.request_bytes.saturating_add(o.request_bytes);
        self.response_bytes = self.response_bytes.saturating_add(o.response_bytes);
        self.decoded_bytes = self.decoded_bytes.saturating_add(o.decoded_bytes);
        self.revalidations = self.revalidations.saturating_add(o.revalidations);
        self.incomplete = self.incomplete.saturating_add(o.incomplete);
        self.statuses.merge(&o.statuses);
        for (name, n) in &o.protocols {
            count_bounded(
                &mut self.protocols,
                &mut self.other_protocols,
                name,
                *n,
                MAX_ORIGIN_LABELS,
            );
        }
        self.other_protocols = self.other_protocols.saturating_add(o.other_protocols);
        for (name, n) in &o.tls_versions {
            count_bounded(
                &mut self.tls_versions,
                &mut self.other_tls_versions,
                name,
                *n,
                MAX_ORIGIN_LABELS,
            );
        }
        self.other_tls_versions = self.other_tls_versions.saturating_add(o.other_tls_versions);
    }

    /// The summary of this origin under `origin`.
    fn summary(&self, origin: String) -> OriginSummary {
        OriginSummary {
            origin,
            requests: self.requests,
            connections: self.connections,
            reused_requests: self.reused_requests,
            reuse_ratio: ratio(self.reused_requests, self.requests),
            request_bytes: self.request_bytes,
            response_bytes: self.response_bytes,
            decoded_bytes: self.decoded_bytes,
            revalidations: self.revalidations,
            incomplete: self.incomplete,
            statuses: self.statuses.clone(),
            protocols: sorted_counts(&self.protocols, self.other_protocols),
            tls_versions: sorted_counts(&self.tls_versions, self.other_tls_versions),
        }
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
    /// Top [`MAX_ORIGINS`] origins by requests (then by name), plus an [`OTHER`] bucket for
    /// the rest (serialised as `origins`).
    pub origins: Vec<OriginSummary>,
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
    origins: HashMap<String, OriginCounts>,
    other_origins: OriginCounts,
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
        .filter(|h| !h.is_empty())
        .map_or_else(|| t.server.to_string(), str::to_owned)
}

/// Whether `t` is the first on a connection of its own (a failed name lookup had none).
fn opened(t: &Transaction) -> bool {
    t.position == 0 && t.connection != ConnectionId::NONE
}

/// The origin a transaction was for, `scheme://host[:port]`: taken from its URL (scheme and
/// host lowercased, userinfo dropped, the default port of `http` (80) and `https` (443) left
/// out, as browsers serialise origins). When the URL has no scheme (a `CONNECT` target, or no
/// request), the scheme is `https` for an exchange over TLS and `http` otherwise, and the
/// authority is the `Host` header, else HTTP/2's `:authority`, else the server address. A
/// failed name lookup (`dns:name`) is its own origin, `dns:name`.
pub fn origin_of(t: &Transaction) -> String {
    if let Some(name) = t.url.strip_prefix("dns:") {
        return format!("dns:{}", name.to_ascii_lowercase());
    }
    let (scheme, authority) = match t.url.split_once("://") {
        Some((scheme, rest)) if !scheme.is_empty() && !scheme.contains(['/', '?', '#']) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let authority = rest.get(..end).unwrap_or(rest);
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            (scheme.to_ascii_lowercase(), host.to_ascii_lowercase())
        }
        _ => {
            let scheme = if t.tls.is_some() { "https" } else { "http" };
            (scheme.to_owned(), host_of(t).to_ascii_lowercase())
        }
    };
    let default_port = match scheme.as_str() {
        "http" | "ws" => Some(":80"),
        "https" | "wss" => Some(":443"),
        _ => None,
    };
    let authority = default_port
        .and_then(|p| authority.strip_suffix(p))
        .unwrap_or(&authority);
    format!("{scheme}://{authority}")
}

/// The name a protocol is counted under: `(unknown)` when empty.
fn protocol_name(protocol: &str) -> &str {
    if protocol.is_empty() {
        UNKNOWN
    } else {
        protocol
    }
}

/// `part / whole`, 0 when `whole` is 0.
fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Counts `n` more `name` in a list bounded to `bound` names; a name beyond the bound counts in
/// `other`.
fn count_bounded(list: &mut Vec<(String, u64)>, other: &mut u64, name: &str, n: u64, bound: usize) {
    if let Some(p) = list.iter_mut().find(|(p, _)| p == name) {
        p.1 = p.1.saturating_add(n);
    } else if list.len() < bound {
        list.push((name.to_owned(), n));
    } else {
        *other = other.saturating_add(n);
    }
}

/// `list` most used first (then by name), with an [`OTHER`] entry for `other`.
fn sorted_counts(list: &[(String, u64)], other: u64) -> Vec<(String, u64)> {
    let mut out = list.to_vec();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if other > 0 {
        out.push((OTHER.to_owned(), other));
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
        self.connections = self.connections.saturating_add(u64::from(opened(t)));
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
        self.add_origin(t);
        count_bounded(
            &mut self.protocols,
            &mut self.other_protocols,
            protocol_name(&t.protocol),
            1,
            MAX_PROTOCOLS,
        );
        if let Some(tls) = &t.tls {
            self.secure_requests = self.secure_requests.saturating_add(1);
            count_bounded(
                &mut self.tls_versions,
                &mut self.other_tls_versions,
                tls.version.as_deref().unwrap_or(UNKNOWN),
                1,
                MAX_PROTOCOLS,
            );
        }
        self.add_slow(t);
    }

    fn add_origin(&mut self, t: &Transaction) {
        let origin = origin_of(t);
        if let Some(o) = self.origins.get_mut(&origin) {
            o.add(t);
        } else if self.origins.len() < MAX_TRACKED_ORIGINS {
            let mut o = OriginCounts::default();
            o.add(t);
            self.origins.insert(origin, o);
        } else {
            self.other_origins.add(t);
        }
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
        let mut origins: Vec<(&String, &OriginCounts)> = self.origins.iter().collect();
        origins.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then_with(|| a.0.cmp(b.0)));
        let mut other = self.other_origins.clone();
        for (_, o) in origins.iter().skip(MAX_ORIGINS) {
            other.merge(o);
        }
        let mut origins: Vec<OriginSummary> = origins
            .iter()
            .take(MAX_ORIGINS)
            .map(|(name, o)| o.summary((*name).clone()))
            .collect();
        if other.requests > 0 {
            origins.push(other.summary(OTHER.to_owned()));
        }
        let protocols = sorted_counts(&self.protocols, self.other_protocols);
        Summary {
            requests: self.requests,
            request_bytes: self.request_bytes,
            response_bytes: self.response_bytes,
            decoded_bytes: self.decoded_bytes,
            connections: self.connections,
            reused_requests: self.reused_requests,
            reuse_ratio: ratio(self.reused_requests, self.requests),
            incomplete: self.incomplete,
            incomplete_reasons: self
                .incomplete_reasons
                .iter()
                .map(|(r, n)| (*r, *n))
                .collect(),
            status_classes: self.status_classes.clone(),
            origins,
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
    use crate::fixtures::{
        failed_handshake, failed_lookup, get, h2_grpc, tls13, tls_get, unanswered, MS,
    };
    use model::Header;

    #[test]
    fn origin_from_the_url() {
        let with_url = |url: &str| {
            let mut t = get(1, 0, 0);
            t.url = url.into();
            origin_of(&t)
        };
        assert_eq!(origin_of(&get(1, 0, 0)), "http://example.com");
        assert_eq!(origin_of(&h2_grpc(1, 0)), "https://grpc.example.com");
        assert_eq!(
            with_url("HTTP://User:pw@EXAMPLE.com:80/x"),
            "http://example.com"
        );
        assert_eq!(with_url("https://a.test:443?q"), "https://a.test");
        assert_eq!(with_url("https://a.test:8443#f"), "https://a.test:8443");
        assert_eq!(with_url("http://a.test:443/"), "http://a.test:443");
        assert_eq!(with_url("http://[2001:db8::1]:80/"), "http://[2001:db8::1]");
        // No scheme: a CONNECT target, or no request at all.
        let mut connect = get(1, 0, 0);
        connect.url = "example.com:443".into();
        if let Some(r) = connect.request.as_mut() {
            r.method = "CONNECT".into();
            r.headers = vec![Header::new("Host", "Example.com:443")];
        }
        assert_eq!(origin_of(&connect), "http://example.com:443");
        let mut bare = get(1, 0, 0);
        bare.url = String::new();
        bare.request = None;
        assert_eq!(origin_of(&bare), "http://93.184.216.34");
        let mut secure = tls_get(1, 0);
        secure.url = String::new();
        assert_eq!(origin_of(&secure), "https://secure.example.com");
    }

    #[test]
    fn a_failed_lookup_is_its_own_origin_without_a_connection() {
        let t = failed_lookup(1, 0);
        assert_eq!(origin_of(&t), "dns:nope.example.org");
        let mut b = SummaryBuilder::new();
        b.add(&t);
        b.add(&failed_handshake(2, 10));
        let s = b.build();
        assert_eq!((s.requests, s.connections, s.incomplete), (2, 1, 2));
        assert_eq!(
            s.incomplete_reasons,
            vec![
                (IncompleteReason::DnsFailed, 1),
                (IncompleteReason::TlsHandshake, 1)
            ]
        );
        let origins: Vec<(&str, u64)> = s
            .origins
            .iter()
            .map(|o| (o.origin.as_str(), o.connections))
            .collect();
        assert!(
            origins.contains(&("dns:nope.example.org", 0)),
            "{origins:?}"
        );
        assert!(
            origins.contains(&("https://secure.example.com", 1)),
            "{origins:?}"
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
        let origins: Vec<(&str, u64, u64)> = s
            .origins
            .iter()
            .map(|o| (o.origin.as_str(), o.requests, o.connections))
            .collect();
        assert_eq!(
            origins,
            vec![
                ("http://example.com", 2, 1),
                ("http://api.example.org", 1, 1)
            ]
        );
        let api = &s.origins[1];
        assert_eq!(api.statuses.none, 1);
        assert_eq!(api.incomplete, 1);
        assert_eq!(api.request_bytes, 420);
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
        assert!(s.origins.is_empty() && s.slowest.is_empty() && s.protocols.is_empty());
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
    fn origins_are_bounded_with_an_other_bucket() {
        let mut b = SummaryBuilder::new();
        let mut n = 0;
        for i in 0..(MAX_TRACKED_ORIGINS + 10) {
            let mut t = get(1, 0, 0);
            t.url = format!("https://h{i:04}.test/");
            t.protocol = if i % 2 == 0 { "HTTP/1.1" } else { "HTTP/2" }.into();
            // The first origin gets three requests so it sorts first.
            for _ in 0..if i == 0 { 3 } else { 1 } {
                b.add(&t);
                n += 1;
            }
        }
        let s = b.build();
        assert_eq!(s.origins.len(), MAX_ORIGINS + 1);
        assert_eq!(s.origins[0].origin, "https://h0000.test");
        assert_eq!(s.origins[0].requests, 3);
        assert_eq!(s.origins[1].origin, "https://h0001.test");
        let last = &s.origins[MAX_ORIGINS];
        assert_eq!(last.origin, OTHER);
        assert_eq!(s.origins.iter().map(|o| o.requests).sum::<u64>(), n);
        assert_eq!(b.origins.len(), MAX_TRACKED_ORIGINS);
        // The bucket merges the protocol counts of what it holds.
        let rest = n - 3 - (MAX_ORIGINS as u64 - 1);
        assert_eq!(last.requests, rest);
        assert_eq!(last.protocols.iter().map(|p| p.1).sum::<u64>(), rest);
        assert_eq!(last.protocols.len(), 2);
    }

    #[test]
    fn origin_counters_and_serde_names() {
        let mut b = SummaryBuilder::new();
        b.add(&get(1, 0, 0));
        let mut revalidated = get(2, 1, 10);
        if let Some(r) = revalidated.response.as_mut() {
            r.status = 304;
            r.body = model::BodySize::default();
        }
        b.add(&revalidated);
        let mut missing = get(3, 2, 20);
        if let Some(r) = missing.response.as_mut() {
            r.status = 404;
        }
        b.add(&missing);
        let mut broken = get(4, 3, 30);
        if let Some(r) = broken.response.as_mut() {
            r.status = 503;
        }
        broken.protocol = "HTTP/1.0".into();
        b.add(&broken);
        b.add(&unanswered(5, 40));
        b.add(&tls_get(6, 50));
        let s = b.build();
        let o = &s.origins[0];
        assert_eq!(o.origin, "http://example.com");
        assert_eq!((o.requests, o.connections, o.reused_requests), (4, 1, 3));
        assert!((o.reuse_ratio - 0.75).abs() < 1e-12);
        assert_eq!(o.revalidations, 1);
        assert_eq!(o.statuses.client_error, 1);
        assert_eq!(o.statuses.server_error, 1);
        assert_eq!(o.statuses.none, 0);
        assert_eq!(
            o.protocols,
            [("HTTP/1.1".to_owned(), 3), ("HTTP/1.0".to_owned(), 1)]
        );
        assert!(o.tls_versions.is_empty());
        let secure = s
            .origins
            .iter()
            .find(|o| o.origin == "https://secure.example.com")
            .unwrap();
        assert_eq!(secure.tls_versions, [("TLS 1.3".to_owned(), 1)]);
        let json = serde_json::to_value(&s).unwrap();
        assert!(json.get("hosts").is_none());
        let o = &json["origins"][0];
        for key in [
            "origin",
            "requests",
            "connections",
            "reused_requests",
            "reuse_ratio",
            "request_bytes",
            "response_bytes",
            "decoded_bytes",
            "revalidations",
            "incomplete",
            "statuses",
            "protocols",
            "tls_versions",
        ] {
            assert!(o.get(key).is_some(), "{key}");
        }
        assert_eq!(o.as_object().unwrap().len(), 13);
        assert_eq!(o["statuses"]["4xx"], 1);
        assert_eq!(o["statuses"]["5xx"], 1);
        assert_eq!(o["protocols"][0], serde_json::json!(["HTTP/1.1", 3]));
        assert_eq!(json["origins"][1]["statuses"]["none"], 1);
    }

    #[test]
    fn origin_labels_are_bounded() {
        let mut b = SummaryBuilder::new();
        for i in 0..(MAX_ORIGIN_LABELS + 2) {
            let mut t = tls_get(1, 0);
            t.protocol = format!("P/{i:02}");
            t.tls = Some(model::TlsInfo {
                version: Some(format!("V{i:02}")),
                ..tls13()
            });
            b.add(&t);
        }
        let s = b.build();
        let o = &s.origins[0];
        assert_eq!(o.protocols.len(), MAX_ORIGIN_LABELS + 1);
        assert_eq!(o.protocols.last(), Some(&(OTHER.to_owned(), 2)));
        assert_eq!(o.tls_versions.len(), MAX_ORIGIN_LABELS + 1);
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
        assert_eq!(s.protocols.last(), Some(&(OTHER.to_owned(), 4)));
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
