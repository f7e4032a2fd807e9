//! Failed name lookups that no connection followed, as transactions.
//!
//! A program that cannot resolve a name sends no request: the failure is the request's
//! outcome, shown like a browser's status 0. This module owns deciding which failed lookups
//! are such requests, and the transaction that stands for one.
//!
//! - Which lookups: questions of type A, AAAA or HTTPS answered NXDOMAIN, SERVFAIL, REFUSED
//!   or another error code, or unanswered until the DNS timeout. A lookup whose answer the
//!   capture did not hold (it ended first) is not known to have failed and is left alone.
//! - One resolution, one transaction: the failures of one client address for one name that
//!   start within [`FOLD`] of each other (the A and AAAA queries of one `getaddrinfo`, an
//!   HTTPS query next to them) become one transaction.
//! - Not a failure when the name resolved after all: a failure is dropped when the same
//!   client address got addresses for the name, or for a search-list relative of it (one name
//!   is the other followed by `.` and more labels: `api` and `api.corp.example`), from a
//!   lookup answered from [`FOLD`] before the failure began (the A answered next to a failed
//!   AAAA) until [`HOLD`] after it ended (a retry). So an AAAA failure next to an answered
//!   A, a retry that succeeded, or the expansions a search list tried first produce nothing;
//!   whenever a connection followed the lookup, some lookup of the name had answered, which
//!   is what the engine links connections to (see `links`).
//! - When: a lookup ends before anyone knows whether an answer for a relative follows, so a
//!   failure is held until the capture's time passes its end by [`HOLD`] (or the capture
//!   ends); at most [`MAX_HELD`] are held, the oldest decided early.
//!
//! The transaction has no connection ([`model::ConnectionId::NONE`]), the client's address,
//! the DNS server asked as its server, the first lookup as its `dns` and the time from the
//! first query to the last error response as its `dns` phase (unknown, `None`, when a lookup
//! got no answer at all). Its URL is `dns:NAME` (RFC 4501's form without an authority): the
//! scheme, port and path the program meant to use are not in a capture that holds only the
//! lookup, and a made-up `https://NAME/` would claim a request that was never sent. The
//! incomplete reason is [`IncompleteReason::DnsFailed`] with each outcome and the server
//! that gave it.

use crate::links::Lookups;
use model::{
    ConnectionId, DnsLookup, DnsOutcome, Incomplete, IncompleteReason, MessageTimes, Timestamp,
    Timings, Transaction,
};
use std::collections::VecDeque;
use std::net::IpAddr;

/// Failures of one client and name starting this close together are one resolution.
pub(crate) const FOLD: u64 = 100_000_000;
/// How long a failure waits for an answered lookup that makes it moot, after its end.
pub(crate) const HOLD: u64 = 1_000_000_000;
/// Failures held at once.
pub(crate) const MAX_HELD: usize = 1024;

/// The failed lookups of one resolution.
struct Group {
    client: IpAddr,
    name: String,
    lookups: Vec<DnsLookup>,
    /// Until when an answer for the name makes the group moot.
    settled: Timestamp,
}

impl Group {
    /// The last moment a lookup of the group was seen to start or fail.
    fn last_seen(&self) -> Timestamp {
        self.lookups
            .iter()
            .map(|l| l.end.unwrap_or(l.start))
            .max()
            .unwrap_or_default()
    }
}

/// Failed lookups waiting to be decided.
pub(crate) struct FailedLookups {
    /// The DNS timeout: an unanswered lookup lasted at least this long.
    timeout: u64,
    held: VecDeque<Group>,
    /// Groups decided to be failures, waiting for [`FailedLookups::due`].
    ready: Vec<Group>,
}

impl FailedLookups {
    /// Failed lookups with the tracker's timeout (nanoseconds).
    pub(crate) fn new(timeout: u64) -> FailedLookups {
        FailedLookups {
            timeout,
            held: VecDeque::new(),
            ready: Vec::new(),
        }
    }

    /// A lookup ended: a failure is held (or folded into its resolution's group) unless an
    /// answer already made it moot; an answer makes held failures of relatives moot.
    pub(crate) fn lookup(&mut self, l: &DnsLookup, answered: &Lookups) {
        if !l.addresses.is_empty() {
            let (client, end) = (l.client.ip(), l.end.unwrap_or(l.start));
            self.held.retain(|g| {
                !(g.client == client
                    && related(&g.name, &l.name)
                    && end >= before(first_start(g), FOLD)
                    && end <= after(g.settled, HOLD))
            });
            return;
        }
        if !failed(l) {
            return;
        }
        let client = l.client.ip();
        let settled = l.end.unwrap_or(after(l.start, self.timeout));
        let from = before(l.start, FOLD);
        if answered.resolved(client, &l.name, from, after(settled, HOLD), related) {
            return;
        }
        if let Some(g) = self.held.iter_mut().find(|g| {
            g.client == client && g.name == l.name && l.start <= after(g.last_seen(), FOLD)
        }) {
            g.settled = g.settled.max(settled);
            g.lookups.push(l.clone());
            return;
        }
        if self.held.len() >= MAX_HELD {
            self.ready.extend(self.held.pop_front());
        }
        self.held.push_back(Group {
            client,
            name: l.name.clone(),
            lookups: vec![l.clone()],
            settled,
        });
    }

    /// The failures decided by `now` (every one when `now` is `None`: the capture ended), in
    /// the order they were first seen.
    pub(crate) fn due(&mut self, now: Option<Timestamp>) -> Vec<Vec<DnsLookup>> {
        if self.ready.is_empty()
            && self
                .held
                .front()
                .is_none_or(|g| now.is_some_and(|now| now <= after(g.settled, HOLD)))
        {
            return Vec::new();
        }
        let mut out: Vec<Vec<DnsLookup>> = self.ready.drain(..).map(|g| g.lookups).collect();
        while let Some(g) = self.held.front() {
            if now.is_some_and(|now| now <= after(g.settled, HOLD)) {
                break;
            }
            out.extend(self.held.pop_front().map(|g| g.lookups));
        }
        out
    }
}

/// Whether a lookup failed in a way that stops a program from connecting.
fn failed(l: &DnsLookup) -> bool {
    matches!(l.qtype.as_str(), "A" | "AAAA" | "HTTPS")
        && matches!(
            l.outcome,
            DnsOutcome::NxDomain
                | DnsOutcome::ServFail
                | DnsOutcome::Refused
                | DnsOutcome::OtherError
                | DnsOutcome::TimedOut
        )
}

/// Whether two names are the same or one is the other with more labels after it (a search
/// list expansion).
fn related(a: &str, b: &str) -> bool {
    let extends = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest.starts_with('.'))
    };
    a == b || extends(a, b) || extends(b, a)
}

fn first_start(g: &Group) -> Timestamp {
    g.lookups.iter().map(|l| l.start).min().unwrap_or_default()
}

fn after(t: Timestamp, nanos: u64) -> Timestamp {
    Timestamp(t.0.saturating_add(i64::try_from(nanos).unwrap_or(i64::MAX)))
}

fn before(t: Timestamp, nanos: u64) -> Timestamp {
    Timestamp(t.0.saturating_sub(i64::try_from(nanos).unwrap_or(i64::MAX)))
}

/// What one lookup's failure says, for people.
fn outcome(l: &DnsLookup) -> String {
    let server = l.server;
    match l.outcome {
        DnsOutcome::NxDomain => format!("NXDOMAIN from {server}"),
        DnsOutcome::ServFail => format!("SERVFAIL from {server}"),
        DnsOutcome::Refused => format!("REFUSED by {server}"),
        DnsOutcome::TimedOut | DnsOutcome::NoAnswerSeen => {
            let attempts = if l.attempts == 1 {
                "1 attempt".to_owned()
            } else {
                format!("{} attempts", l.attempts)
            };
            format!("timed out: no answer from {server} after {attempts}")
        }
        DnsOutcome::Answered | DnsOutcome::OtherError => {
            format!("{} from {server}", l.rcode.as_deref().unwrap_or("error"))
        }
    }
}

/// The transaction of one failed resolution (`lookups` is never empty; see the module
/// documentation for its fields).
pub(crate) fn transaction(id: u64, mut lookups: Vec<DnsLookup>) -> Option<Transaction> {
    lookups.sort_by_key(|l| l.start);
    let first = lookups.first()?.clone();
    // Outcomes in order, each with the question types that got it.
    let mut said: Vec<(String, Vec<&str>)> = Vec::new();
    for l in &lookups {
        let text = outcome(l);
        match said.iter_mut().find(|(t, _)| *t == text) {
            Some((_, types)) => types.push(&l.qtype),
            None => said.push((text, vec![&l.qtype])),
        }
    }
    let said: Vec<String> = said
        .into_iter()
        .map(|(text, types)| format!("{text} ({})", types.join(", ")))
        .collect();
    let detail = format!("DNS lookup of {} failed: {}", first.name, said.join("; "));
    let ends: Option<Vec<Timestamp>> = lookups.iter().map(|l| l.end).collect();
    let dns = ends
        .and_then(|ends| ends.into_iter().max())
        .map(|end| end.since(first.start));
    Some(Transaction {
        id,
        connection: ConnectionId::NONE,
        client: first.client,
        server: first.server,
        position: 0,
        start: first.start,
        protocol: String::new(),
        url: format!("dns:{}", first.name),
        request: None,
        response: None,
        times: MessageTimes::default(),
        timings: Timings {
            dns,
            ..Timings::default()
        },
        tunnel: None,
        tls: None,
        stream: None,
        grpc: None,
        dns: Some(first),
        redirect: None,
        findings: Vec::new(),
        incomplete: vec![Incomplete {
            reason: IncompleteReason::DnsFailed,
            detail,
        }],
        process: None,
        source: None,
    })
}
