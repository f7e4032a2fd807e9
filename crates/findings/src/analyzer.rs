//! The [`Analyzer`]: feeds every transaction, connection and DNS lookup to the rules and
//! groups their hits into findings.

use crate::rules::{
    cache_control_conflict, cert_expiring, client_not_revalidating, conditional_ignored,
    connection_close, connection_not_reused, duplicate_request, error_status, etag_not_updated,
    failed_request, framing_error, h2_head_of_line, hsts_missing, http_to_https_redirect,
    insecure_http, large_response, no_accept_encoding, no_cache_policy, no_http2, no_validator,
    oversize_headers, redirect_chain, repeated_dns, retransmissions, retry_storm, short_cache_ttl,
    slow_connect, slow_dns, slow_ttfb, tls_no_resumption, uncompressed_text,
    vary_missing_accept_encoding, weak_tls,
};
use crate::rules::{finding, Examples, Hit, Rule, Tx};
use crate::util::{self, Bounded};
use crate::Config;
use model::{
    ConnectionId, ConnectionRecord, DnsLookup, Finding, Severity, Timestamp, TlsInfo, Transaction,
};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Origins (and servers) tracked by per-origin rules.
const MAX_ORIGINS: usize = 4_096;
/// URLs tracked by per-URL rules.
const MAX_URLS: usize = 16_384;
/// DNS names (and lookups) tracked.
const MAX_NAMES: usize = 4_096;
/// Open connections remembered between their transactions and their connection record.
const MAX_CONNECTIONS: usize = 65_536;

/// (severity, most severe first; rule id; origin; subject such as a DNS name).
type GroupKey = (Reverse<Severity>, &'static str, Option<String>, String);

/// The hits of one rule for one origin (or subject) at one severity.
struct Group {
    rule: &'static Rule,
    message: String,
    evidence: Vec<(String, String)>,
    examples: Examples,
}

/// Runs the rules over a stream of transactions, connections and DNS lookups.
///
/// Memory is bounded: per-origin, per-URL, per-name and per-connection state lives in
/// fixed-capacity maps that forget their oldest entries, and findings are grouped per rule
/// and origin with at most 20 example transaction ids each.
pub struct Analyzer {
    config: Config,
    groups: BTreeMap<GroupKey, Group>,
    /// Host name → whether all its DNS answers were loopback addresses.
    dns_loopback: Bounded<String, bool>,
    /// Connection → origin, from its transactions (for its connection record).
    conn_origins: Bounded<ConnectionId, String>,
    /// Connections whose TLS facts were judged from a transaction, with the rules that fired.
    tls_judged: Bounded<ConnectionId, Vec<&'static str>>,
    /// Lookups already judged (name, qtype, start), with the rules that fired.
    dns_seen: Bounded<(String, String, Timestamp), Vec<&'static str>>,
    revalidation: client_not_revalidating::State,
    duplicates: duplicate_request::State,
    etags: etag_not_updated::State,
    accept_encoding: no_accept_encoding::State,
    large: large_response::State,
    reuse: connection_not_reused::State,
    http2: no_http2::State,
    dns_cache: slow_dns::State,
    dns_counts: repeated_dns::State,
    retries: retry_storm::State,
    resumption: tls_no_resumption::State,
}

fn record(
    groups: &mut BTreeMap<GroupKey, Group>,
    rule: &'static Rule,
    origin: Option<&str>,
    subject: &str,
    tx: Option<u64>,
    hit: Hit,
) {
    let key = (
        Reverse(hit.severity),
        rule.id,
        origin.map(str::to_owned),
        subject.to_owned(),
    );
    groups
        .entry(key)
        .or_insert_with(|| Group {
            rule,
            message: hit.message,
            evidence: hit.evidence,
            examples: Examples::default(),
        })
        .examples
        .add(tx);
}

impl Analyzer {
    /// An analyzer with this configuration.
    pub fn new(config: Config) -> Analyzer {
        Analyzer {
            config,
            groups: BTreeMap::new(),
            dns_loopback: Bounded::new(MAX_NAMES),
            conn_origins: Bounded::new(MAX_CONNECTIONS),
            tls_judged: Bounded::new(MAX_CONNECTIONS),
            dns_seen: Bounded::new(MAX_NAMES),
            revalidation: client_not_revalidating::State::new(MAX_URLS),
            duplicates: duplicate_request::State::new(MAX_URLS),
            etags: etag_not_updated::State::new(MAX_URLS),
            accept_encoding: no_accept_encoding::State::new(MAX_ORIGINS),
            large: large_response::State::new(MAX_ORIGINS),
            reuse: connection_not_reused::State::new(MAX_ORIGINS),
            http2: no_http2::State::new(MAX_ORIGINS),
            dns_cache: slow_dns::State::new(MAX_NAMES),
            dns_counts: repeated_dns::State::new(MAX_NAMES),
            retries: retry_storm::State::new(MAX_ORIGINS),
            resumption: tls_no_resumption::State::new(MAX_ORIGINS),
        }
    }

    /// Per-transaction rules run here; returns the ids of the rules that fired on this
    /// transaction (for HAR `_findings` on the entry); cross-transaction state is kept bounded.
    pub fn transaction(&mut self, t: &Transaction) -> Vec<&'static str> {
        let known = &self.dns_loopback;
        let tx = Tx::new(t, |host| known.get(&host.to_owned()).copied());
        let c = &self.config;
        let groups = &mut self.groups;
        let mut fired: Vec<&'static str> = Vec::new();
        let mut hit = |rule: &'static Rule, h: Option<Hit>, fired: &mut Vec<&'static str>| {
            if let Some(h) = h {
                record(groups, rule, Some(&tx.origin), "", Some(t.id), h);
                fired.push(rule.id);
            }
        };
        macro_rules! run {
            ($rule:expr, $check:expr) => {
                if c.enabled($rule.id) {
                    hit(&$rule, $check, &mut fired);
                }
            };
        }
        run!(insecure_http::RULE, insecure_http::check(&tx, c));
        run!(
            http_to_https_redirect::RULE,
            http_to_https_redirect::check(&tx, c)
        );
        run!(hsts_missing::RULE, hsts_missing::check(&tx, c));
        if let Some(tls) = &t.tls {
            match self.tls_judged.get(&t.connection) {
                Some(ids) => fired.extend(ids.iter().copied()),
                None => {
                    let before = fired.len();
                    run!(weak_tls::RULE, weak_tls::check(tls, &tx.origin));
                    run!(
                        cert_expiring::RULE,
                        cert_expiring::check(tls, t.start, &tx.origin, c)
                    );
                    if c.enabled(tls_no_resumption::RULE.id) {
                        self.resumption.handshake(&tx.origin, tls, Some(t.id));
                    }
                    let ids = fired.get(before..).unwrap_or_default().to_vec();
                    self.tls_judged.insert(t.connection, ids);
                }
            }
        }
        run!(no_validator::RULE, no_validator::check(&tx));
        run!(client_not_revalidating::RULE, self.revalidation.check(&tx));
        run!(no_cache_policy::RULE, no_cache_policy::check(&tx));
        run!(
            short_cache_ttl::RULE,
            short_cache_ttl::check(&tx, c.short_cache_ttl_min_days)
        );
        run!(duplicate_request::RULE, self.duplicates.check(&tx));
        // A body that changed under the same ETag is etag-not-updated; the server did not
        // ignore the condition then (conditional-ignored needs an identical body).
        let before = fired.len();
        run!(etag_not_updated::RULE, self.etags.check(&tx));
        if fired.len() == before {
            run!(conditional_ignored::RULE, conditional_ignored::check(&tx));
        }
        run!(
            cache_control_conflict::RULE,
            cache_control_conflict::check(&tx)
        );
        run!(
            uncompressed_text::RULE,
            uncompressed_text::check(&tx, c.uncompressed_text_min_bytes)
        );
        if c.enabled(no_accept_encoding::RULE.id) {
            self.accept_encoding.observe(&tx);
        }
        run!(
            vary_missing_accept_encoding::RULE,
            vary_missing_accept_encoding::check(&tx)
        );
        run!(large_response::RULE, self.large.check(&tx, c));
        run!(oversize_headers::RULE, oversize_headers::check(&tx, c));
        run!(framing_error::RULE, framing_error::check(&tx));
        if c.enabled(connection_not_reused::RULE.id) && self.reuse.check(&tx) {
            fired.push(connection_not_reused::RULE.id);
        }
        run!(connection_close::RULE, connection_close::check(&tx));
        if c.enabled(no_http2::RULE.id) {
            self.http2.observe(&tx);
        }
        run!(redirect_chain::RULE, redirect_chain::check(&tx));
        run!(slow_connect::RULE, slow_connect::check(&tx, c));
        run!(slow_ttfb::RULE, slow_ttfb::check(&tx, c));
        run!(error_status::RULE, error_status::check(&tx));
        let failed = failed_request::from_transaction(&tx);
        let failed_at = failed.is_some().then_some(t.start);
        run!(failed_request::RULE, failed);
        if t.connection != ConnectionId::NONE {
            self.conn_origins.insert(t.connection, tx.origin.clone());
        }
        let origin = tx.origin.clone();
        if let Some(at) = failed_at {
            self.storm(&origin, at, t.id, &mut fired);
        }
        if let Some(l) = &t.dns {
            self.lookup(l, Some(t.id), &mut fired);
        }
        let mut seen = Vec::with_capacity(fired.len());
        fired.retain(|id| {
            let first = !seen.contains(id);
            seen.push(id);
            first
        });
        fired
    }

    /// A TLS or HTTP/2 connection ended: judges its TLS facts when no transaction did, and its
    /// HTTP/2 flow control. (A TLS connection that failed without carrying a request is a
    /// transaction of its own, judged there.)
    pub fn connection(&mut self, conn: &ConnectionRecord) {
        let origin = self.conn_origins.remove(&conn.id).unwrap_or_else(|| {
            match conn.tls.as_ref().and_then(|t| t.sni.as_deref()) {
                Some(sni) if conn.server.port() == 443 => format!("https://{sni}"),
                Some(sni) => format!("https://{sni}:{}", conn.server.port()),
                None if conn.tls.is_some() => format!("https://{}", conn.server),
                None => format!("http://{}", conn.server),
            }
        });
        self.reuse.closed(&origin, conn.id, conn.end);
        let judged = self.tls_judged.remove(&conn.id).is_some();
        if let (Some(tls), false) = (&conn.tls, judged) {
            self.judge_tls(tls, conn.start, &origin);
        }
        self.hit(
            &h2_head_of_line::RULE,
            Some(&origin),
            "",
            None,
            h2_head_of_line::check(conn),
        );
    }

    /// A DNS lookup ended.
    pub fn dns(&mut self, lookup: &DnsLookup) {
        self.lookup(lookup, None, &mut Vec::new());
    }

    /// All findings, grouped (one per rule and origin, or per rule and DNS name), with at most
    /// 20 transaction ids each and the total count in `evidence`, sorted by severity (error
    /// first), then rule id, then origin.
    pub fn finish(self, stats: &model::Stats) -> Vec<Finding> {
        let c = &self.config;
        let mut out: Vec<Finding> = self
            .groups
            .into_iter()
            .map(|((Reverse(severity), _, origin, _), g)| {
                let n = g.examples.count;
                let message = if n > 1 {
                    format!("{} (and {} more like it)", g.message, n - 1)
                } else {
                    g.message
                };
                finding(
                    g.rule,
                    severity,
                    origin,
                    g.examples.ids,
                    n,
                    message,
                    g.evidence,
                )
            })
            .collect();
        let enabled = |r: &Rule| c.enabled(r.id);
        if enabled(&tls_no_resumption::RULE) {
            out.extend(self.resumption.finish(c));
        }
        if enabled(&no_accept_encoding::RULE) {
            out.extend(self.accept_encoding.finish());
        }
        if enabled(&large_response::RULE) {
            out.extend(self.large.finish(c));
        }
        if enabled(&connection_not_reused::RULE) {
            out.extend(self.reuse.finish(c));
        }
        if enabled(&no_http2::RULE) {
            out.extend(self.http2.finish(c));
        }
        if enabled(&repeated_dns::RULE) {
            out.extend(self.dns_counts.finish(c));
        }
        if enabled(&retransmissions::RULE) {
            out.extend(retransmissions::check(stats, c));
        }
        out.sort_by(|a, b| {
            (Reverse(a.severity), &a.rule, &a.origin).cmp(&(
                Reverse(b.severity),
                &b.rule,
                &b.origin,
            ))
        });
        out
    }

    /// Records a hit of an enabled rule that no transaction triggered (or with an id).
    fn hit(
        &mut self,
        rule: &'static Rule,
        origin: Option<&str>,
        subject: &str,
        tx: Option<u64>,
        h: Option<Hit>,
    ) -> bool {
        match h {
            Some(h) if self.config.enabled(rule.id) => {
                record(&mut self.groups, rule, origin, subject, tx, h);
                true
            }
            _ => false,
        }
    }

    fn judge_tls(&mut self, tls: &TlsInfo, at: Timestamp, origin: &str) {
        let weak = weak_tls::check(tls, origin);
        self.hit(&weak_tls::RULE, Some(origin), "", None, weak);
        let cert = cert_expiring::check(tls, at, origin, &self.config);
        self.hit(&cert_expiring::RULE, Some(origin), "", None, cert);
        if self.config.enabled(tls_no_resumption::RULE.id) {
            self.resumption.handshake(origin, tls, None);
        }
    }

    /// One DNS lookup, from the DNS tracker or attached to a transaction; each is judged once.
    fn lookup(&mut self, l: &DnsLookup, tx: Option<u64>, fired: &mut Vec<&'static str>) {
        let key = (l.name.clone(), l.qtype.clone(), l.start);
        if let Some(ids) = self.dns_seen.get(&key) {
            fired.extend(ids.iter().copied());
            for g in self
                .groups
                .iter_mut()
                .filter(|((_, id, _, subject), _)| ids.contains(id) && *subject == l.name)
            {
                g.1.examples.attach(tx);
            }
            return;
        }
        if !l.addresses.is_empty() {
            let all_loopback = l.addresses.iter().all(|a| util::ip_is_loopback(*a));
            self.dns_loopback.insert(l.name.clone(), all_loopback);
        }
        let mut ids = Vec::new();
        if self.config.enabled(slow_dns::RULE.id) {
            for h in self.dns_cache.check(l, &self.config) {
                record(&mut self.groups, &slow_dns::RULE, None, &l.name, tx, h);
                ids.push(slow_dns::RULE.id);
            }
        }
        if self.config.enabled(repeated_dns::RULE.id) {
            self.dns_counts.observe(l);
        }
        ids.dedup();
        fired.extend(ids.iter().copied());
        self.dns_seen.insert(key, ids);
    }

    /// One failed transaction for retry-storm detection, keyed by its origin (`dns:name` for a
    /// failed lookup).
    fn storm(&mut self, origin: &str, at: Timestamp, tx: u64, fired: &mut Vec<&'static str>) {
        if !self.config.enabled(retry_storm::RULE.id) {
            return;
        }
        if let Some((h, ids)) = self.retries.failure(origin, at, tx, &self.config) {
            if ids.contains(&tx) {
                fired.push(retry_storm::RULE.id);
            }
            for id in ids {
                record(
                    &mut self.groups,
                    &retry_storm::RULE,
                    Some(origin),
                    origin,
                    Some(id),
                    h.clone(),
                );
            }
        }
    }
}
