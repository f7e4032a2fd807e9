//! Pairs DNS queries with their responses into [`Lookup`]s: the `dns` phase of a timeline.
//!
//! A query opens a pending lookup keyed by (client IP, question name, question type). A
//! response matches it when its ID, addresses and ports are those of one of the lookup's
//! attempts (reversed) and its question is the same — RFC 5452 §4.3: "the resolver MUST
//! match responses to all of the following attributes of the query: Source address against
//! query destination address; Destination address against query source address; Destination
//! port against query source port; Query ID; Query name; Query class and type". A response
//! without a question section (FORMERR may omit it) matches on ID, addresses and ports alone.
//!
//! Retries: the same (client IP, server, name, type) asked again before an answer — with a
//! new ID or a new source port (the TCP retry after a truncated answer) — is folded into the
//! pending lookup; the same question to another server is a lookup of its own (a resolver's
//! fallback, or another program asking while an earlier query is still unanswered): `attempts` grows, `start` stays the first attempt. A response
//! with `TC` set (RFC 1035 §4.1.1: "this message was truncated") is kept provisionally: a
//! retry (normally over TCP, RFC 7766 §5) may still complete the lookup; if none comes, the
//! truncated response is the outcome.
//!
//! Time: a lookup is timed out when its last attempt has gone unanswered for the timeout
//! (measured with the timestamps of the data; nothing here reads a clock). At most
//! [`MAX_PENDING`] lookups are pending; beyond that the oldest is emitted as
//! [`Outcome::NoAnswerSeen`] and counted in [`DnsStats::evicted`].
//!
//! Only standard queries (opcode 0) are tracked; other opcodes are counted as messages.

use crate::message::{parse, rcode_name, type_name, Message, Question, RecordData};
use model::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};

/// The most lookups pending at once.
const MAX_PENDING: usize = 65_536;
/// The most attempts of one lookup whose IDs and addresses are remembered for matching.
const MAX_REMEMBERED_ATTEMPTS: usize = 16;

/// One lookup (defined in `model` so that every sink can show it).
pub use model::DnsLookup as Lookup;
/// How a lookup ended.
pub use model::DnsOutcome as Outcome;
/// DNS counters.
pub use model::DnsStats;

/// Lookups are told apart by client, server, name and type: a query for the same name to
/// another server (a resolver's fallback, or the next program asking) is a lookup of its own.
type Key = (IpAddr, SocketAddr, String, u16);

/// One query sent: what its response must match.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    id: u16,
    client: SocketAddr,
    server: SocketAddr,
}

/// What a response said.
#[derive(Clone, Debug)]
struct Answer {
    end: Timestamp,
    server: SocketAddr,
    rcode: u16,
    answers: Vec<String>,
    addresses: Vec<IpAddr>,
    min_ttl: Option<u32>,
}

#[derive(Debug)]
struct Pending {
    generation: u64,
    client: SocketAddr,
    server: SocketAddr,
    start: Timestamp,
    last: Timestamp,
    attempts: u32,
    remembered: Vec<Attempt>,
    /// A truncated response, used if nothing better comes.
    provisional: Option<Answer>,
}

/// Pairs queries with responses; see the module documentation.
#[derive(Debug)]
pub struct Tracker {
    timeout: u64,
    pending: HashMap<Key, Pending>,
    /// (last attempt, key, generation) in arrival order; stale entries are skipped.
    order: VecDeque<(Timestamp, Key, u64)>,
    next_generation: u64,
    now: Timestamp,
    stats: DnsStats,
    /// The server each (client IP, name, type) was last asked, to notice a client that gave
    /// up on one server and asked another.
    last_server: HashMap<(IpAddr, String, u16), SocketAddr>,
}

impl Tracker {
    /// A tracker whose lookups time out when unanswered for `timeout_nanos` after their last
    /// attempt.
    pub fn new(timeout_nanos: u64) -> Tracker {
        Tracker {
            timeout: timeout_nanos,
            pending: HashMap::new(),
            order: VecDeque::new(),
            next_generation: 0,
            now: Timestamp(i64::MIN),
            stats: DnsStats::default(),
            last_server: HashMap::new(),
        }
    }

    /// A DNS message seen at `ts` from `src` to `dst` (UDP payload, or one TCP-framed message
    /// without its 2-byte length). Malformed messages are counted (stats) and ignored. Time
    /// first advances to `ts` (as [`Tracker::advance`]).
    pub fn message(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        out: &mut impl FnMut(Lookup),
    ) {
        self.advance(ts, out);
        self.stats.messages += 1;
        let msg = match parse(payload) {
            Ok(msg) => msg,
            Err(e) => {
                self.stats.malformed += 1;
                self.stats.last_error = Some(e.to_string());
                return;
            }
        };
        if msg.opcode != 0 {
            return;
        }
        if msg.response {
            self.stats.responses += 1;
            self.response(ts, src, dst, &msg, out);
        } else if let Some(question) = msg.questions.first() {
            self.stats.queries += 1;
            let attempt = Attempt {
                id: msg.id,
                client: src,
                server: dst,
            };
            self.query(ts, attempt, question, out);
        }
    }

    /// Time passes (call with each packet's ts): queries older than the timeout are emitted
    /// as timed out.
    pub fn advance(&mut self, now: Timestamp, out: &mut impl FnMut(Lookup)) {
        self.now = self.now.max(now);
        while let Some((last, _, _)) = self.order.front() {
            if self.now.since(*last) < self.timeout {
                break;
            }
            let Some((_, key, generation)) = self.order.pop_front() else {
                break;
            };
            let expired = self.pending.get(&key).is_some_and(|p| {
                p.generation == generation && self.now.since(p.last) >= self.timeout
            });
            if expired {
                if let Some(p) = self.pending.remove(&key) {
                    self.emit_unanswered(key, p, Outcome::TimedOut, out);
                }
            }
        }
    }

    /// End of input: pending queries emitted as unanswered (timeout if older than the
    /// timeout, else "no answer seen"), in the order of their first attempt.
    pub fn finish(&mut self, out: &mut impl FnMut(Lookup)) {
        self.order.clear();
        let mut rest: Vec<(Key, Pending)> = self.pending.drain().collect();
        rest.sort_by_key(|(_, p)| (p.start, p.generation));
        for (key, p) in rest {
            let outcome = if self.now.since(p.last) >= self.timeout {
                Outcome::TimedOut
            } else {
                Outcome::NoAnswerSeen
            };
            self.emit_unanswered(key, p, outcome, out);
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> DnsStats {
        self.stats.clone()
    }

    fn query(
        &mut self,
        ts: Timestamp,
        attempt: Attempt,
        question: &Question,
        out: &mut impl FnMut(Lookup),
    ) {
        let key = (
            attempt.client.ip(),
            attempt.server,
            question.name.clone(),
            question.qtype,
        );
        if let Some(p) = self.pending.get_mut(&key) {
            self.stats.retries += 1;
            p.attempts = p.attempts.saturating_add(1);
            p.last = p.last.max(ts);
            p.server = attempt.server;
            if p.remembered.len() >= MAX_REMEMBERED_ATTEMPTS {
                p.remembered.remove(0);
            }
            p.remembered.push(attempt);
            self.order.push_back((ts, key, p.generation));
            return;
        }
        // The same question to another server while the last one is unanswered: the client
        // stopped waiting for that one (its own timeout): it timed out.
        let question_key = (attempt.client.ip(), question.name.clone(), question.qtype);
        if let Some(previous) = self.last_server.insert(question_key, attempt.server) {
            let abandoned = (key.0, previous, key.2.clone(), key.3);
            if previous != attempt.server {
                if let Some(p) = self.pending.remove(&abandoned) {
                    self.emit_unanswered(abandoned, p, Outcome::TimedOut, out);
                }
            }
        }
        if self.last_server.len() > MAX_PENDING {
            self.last_server.clear();
        }
        if self.pending.len() >= MAX_PENDING {
            self.evict_oldest(out);
        }
        let generation = self.next_generation;
        self.next_generation += 1;
        self.order.push_back((ts, key.clone(), generation));
        self.pending.insert(
            key,
            Pending {
                generation,
                client: attempt.client,
                server: attempt.server,
                start: ts,
                last: ts,
                attempts: 1,
                remembered: vec![attempt],
                provisional: None,
            },
        );
    }

    fn evict_oldest(&mut self, out: &mut impl FnMut(Lookup)) {
        while let Some((_, key, generation)) = self.order.pop_front() {
            if self
                .pending
                .get(&key)
                .is_some_and(|p| p.generation == generation)
            {
                if let Some(p) = self.pending.remove(&key) {
                    self.stats.evicted += 1;
                    self.emit_unanswered(key, p, Outcome::NoAnswerSeen, out);
                }
                return;
            }
        }
    }

    fn response(
        &mut self,
        ts: Timestamp,
        server: SocketAddr,
        client: SocketAddr,
        msg: &Message,
        out: &mut impl FnMut(Lookup),
    ) {
        let matches = |p: &Pending| {
            p.remembered
                .iter()
                .any(|a| a.id == msg.id && a.client == client && a.server == server)
        };
        let key = match msg.questions.first() {
            Some(q) => Some((client.ip(), server, q.name.clone(), q.qtype))
                .filter(|key| self.pending.get(key).is_some_and(matches)),
            None => self
                .pending
                .iter()
                .filter(|(_, p)| matches(p))
                .min_by_key(|(_, p)| p.generation)
                .map(|(key, _)| key.clone()),
        };
        let Some(key) = key else {
            self.stats.unmatched_responses += 1;
            return;
        };
        let answer = Answer {
            end: ts,
            server,
            rcode: msg.rcode,
            answers: msg.answers.iter().map(|r| r.summary()).collect(),
            addresses: addresses(&key.2, msg),
            min_ttl: msg.answers.iter().map(|r| r.ttl).min(),
        };
        if msg.truncated {
            if let Some(p) = self.pending.get_mut(&key) {
                p.provisional = Some(answer);
            }
            return;
        }
        if let Some(p) = self.pending.remove(&key) {
            out(lookup(key, &p, answer));
        }
    }

    fn emit_unanswered(
        &mut self,
        key: Key,
        mut p: Pending,
        outcome: Outcome,
        out: &mut impl FnMut(Lookup),
    ) {
        if let Some(answer) = p.provisional.take() {
            out(lookup(key, &p, answer));
            return;
        }
        if outcome == Outcome::TimedOut {
            self.stats.timeouts += 1;
        }
        let (_, _, name, qtype) = key;
        out(Lookup {
            client: p.client,
            server: p.server,
            name,
            qtype: type_name(qtype),
            start: p.start,
            end: None,
            attempts: p.attempts,
            rcode: None,
            answers: Vec::new(),
            addresses: Vec::new(),
            min_ttl: None,
            outcome,
        });
    }
}

/// A lookup completed by `answer`.
fn lookup(key: Key, p: &Pending, answer: Answer) -> Lookup {
    let (_, _, name, qtype) = key;
    let outcome = match answer.rcode {
        0 => Outcome::Answered,
        2 => Outcome::ServFail,
        3 => Outcome::NxDomain,
        5 => Outcome::Refused,
        _ => Outcome::OtherError,
    };
    Lookup {
        client: p.client,
        server: answer.server,
        name,
        qtype: type_name(qtype),
        start: p.start,
        end: Some(answer.end),
        attempts: p.attempts,
        rcode: Some(rcode_name(answer.rcode)),
        answers: answer.answers,
        addresses: answer.addresses,
        min_ttl: answer.min_ttl,
        outcome,
    }
}

/// The A/AAAA addresses of `name` in the answer section, following its CNAME chain (at most
/// one step per answer record, so a CNAME loop ends).
fn addresses(name: &str, msg: &Message) -> Vec<IpAddr> {
    let mut chain = vec![name];
    for _ in 0..msg.answers.len() {
        let Some(last) = chain.last().copied() else {
            break;
        };
        let next = msg.answers.iter().find_map(|r| match &r.data {
            RecordData::Cname(target) if r.name == last => Some(target.as_str()),
            _ => None,
        });
        match next {
            Some(target) if !chain.contains(&target) => chain.push(target),
            _ => break,
        }
    }
    msg.answers
        .iter()
        .filter(|r| chain.contains(&r.name.as_str()))
        .filter_map(|r| match r.data {
            RecordData::A(ip) => Some(IpAddr::V4(ip)),
            RecordData::Aaaa(ip) => Some(IpAddr::V6(ip)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const MS: i64 = 1_000_000;
    const TIMEOUT: u64 = 5_000 * MS as u64;

    fn client() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 41_000))
    }

    fn server() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 53], 53))
    }

    /// Runs (ms, from client?, message) through a tracker, then finishes it.
    fn run(events: &[(i64, bool, &[u8])]) -> (Vec<Lookup>, DnsStats) {
        let mut t = Tracker::new(TIMEOUT);
        let mut out = Vec::new();
        for &(ms, from_client, msg) in events {
            let (src, dst) = if from_client {
                (client(), server())
            } else {
                (server(), client())
            };
            t.message(Timestamp(ms * MS), src, dst, msg, &mut |l| out.push(l));
        }
        t.finish(&mut |l| out.push(l));
        (out, t.stats())
    }

    fn with_id(msg: &[u8], id: u16) -> Vec<u8> {
        let mut m = msg.to_vec();
        m[..2].copy_from_slice(&id.to_be_bytes());
        m
    }

    #[test]
    fn pairs_query_and_answer_following_cname() {
        let (lookups, stats) = run(&[
            (1000, true, &A_CNAME_QUERY),
            (1003, false, &A_CNAME_RESPONSE),
        ]);
        assert_eq!(
            lookups,
            vec![Lookup {
                client: client(),
                server: server(),
                name: "www.local.test".to_owned(),
                qtype: "A".to_owned(),
                start: Timestamp(1000 * MS),
                end: Some(Timestamp(1003 * MS)),
                attempts: 1,
                rcode: Some("NOERROR".to_owned()),
                answers: vec!["CNAME web.local.test".to_owned(), "A 127.0.0.2".to_owned()],
                addresses: vec![IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))],
                min_ttl: Some(300),
                outcome: Outcome::Answered,
            }]
        );
        assert_eq!(stats.queries, 1);
        assert_eq!(stats.responses, 1);
        let json = serde_json::to_value(&lookups[0]).unwrap();
        assert_eq!(json["outcome"], "answered");
        assert_eq!(json["addresses"][0], "127.0.0.2");
    }

    #[test]
    fn parallel_a_and_aaaa_and_https() {
        let (lookups, _) = run(&[
            (0, true, &A_EXAMPLE_QUERY),
            (0, true, &AAAA_CNAME_QUERY),
            (0, true, &HTTPS_SVC_QUERY),
            (1, false, &HTTPS_SVC_RESPONSE),
            (2, false, &AAAA_CNAME_RESPONSE),
            (3, false, &A_EXAMPLE_RESPONSE),
        ]);
        let got: Vec<(&str, &str, Vec<IpAddr>)> = lookups
            .iter()
            .map(|l| (l.name.as_str(), l.qtype.as_str(), l.addresses.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("svc.local.test", "HTTPS", vec![]),
                (
                    "www.local.test",
                    "AAAA",
                    vec![IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 2))]
                ),
                (
                    "www.example.test",
                    "A",
                    vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]
                ),
            ]
        );
        assert_eq!(
            lookups[0].answers,
            ["HTTPS 1 . alpn=h2,h3 ipv4hint=127.0.0.1 ipv6hint=::1"]
        );
    }

    #[test]
    fn https_alias_mode() {
        let (lookups, _) = run(&[
            (0, true, &HTTPS_ALIAS_QUERY),
            (1, false, &HTTPS_ALIAS_RESPONSE),
        ]);
        assert_eq!(lookups[0].name, "alias.local.test");
        assert_eq!(lookups[0].qtype, "HTTPS");
        assert_eq!(lookups[0].answers, ["HTTPS 0 web.local.test"]);
        assert!(lookups[0].addresses.is_empty());
    }

    #[test]
    fn error_outcomes() {
        let (lookups, _) = run(&[
            (0, true, &NXDOMAIN_QUERY),
            (1, false, &NXDOMAIN_RESPONSE),
            (2, true, &REFUSED_QUERY),
            (3, false, &REFUSED_RESPONSE),
        ]);
        assert_eq!(lookups[0].outcome, Outcome::NxDomain);
        assert_eq!(lookups[0].rcode.as_deref(), Some("NXDOMAIN"));
        assert_eq!(lookups[0].min_ttl, None);
        assert_eq!(lookups[1].outcome, Outcome::Refused);
        assert_eq!(lookups[1].rcode.as_deref(), Some("REFUSED"));
        let mut servfail = NXDOMAIN_RESPONSE;
        servfail[3] = (servfail[3] & 0xF0) | 2;
        let (lookups, _) = run(&[(0, true, &NXDOMAIN_QUERY), (1, false, &servfail)]);
        assert_eq!(lookups[0].outcome, Outcome::ServFail);
    }

    #[test]
    fn retries_fold_with_new_or_same_id() {
        let retry = with_id(&A_CNAME_QUERY, 0x1234);
        let answer = with_id(&A_CNAME_RESPONSE, 0x1234);
        let (lookups, stats) = run(&[
            (0, true, &A_CNAME_QUERY),
            (1000, true, &A_CNAME_QUERY),
            (2000, true, &retry),
            (2010, false, &answer),
        ]);
        assert_eq!(lookups.len(), 1);
        assert_eq!(lookups[0].attempts, 3);
        assert_eq!(lookups[0].start, Timestamp(0));
        assert_eq!(lookups[0].end, Some(Timestamp(2010 * MS)));
        assert_eq!(stats.retries, 2);
        // The answer to the first attempt also completes it.
        let (lookups, _) = run(&[
            (0, true, &A_CNAME_QUERY),
            (1000, true, &retry),
            (1001, false, &A_CNAME_RESPONSE),
        ]);
        assert_eq!(lookups[0].outcome, Outcome::Answered);
        assert_eq!(lookups[0].attempts, 2);
    }

    #[test]
    fn timeouts_and_unanswered() {
        let mut t = Tracker::new(TIMEOUT);
        let mut out = Vec::new();
        t.message(Timestamp(0), client(), server(), &A_CNAME_QUERY, &mut |l| {
            out.push(l)
        });
        t.advance(Timestamp(4_999 * MS), &mut |l| out.push(l));
        assert!(out.is_empty());
        t.message(
            Timestamp(4_999 * MS),
            client(),
            server(),
            &NXDOMAIN_QUERY,
            &mut |l| out.push(l),
        );
        t.advance(Timestamp(5_000 * MS), &mut |l| out.push(l));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::TimedOut);
        assert_eq!(out[0].end, None);
        assert_eq!(out[0].name, "www.local.test");
        // A late answer is unmatched.
        t.message(
            Timestamp(5_001 * MS),
            server(),
            client(),
            &A_CNAME_RESPONSE,
            &mut |l| out.push(l),
        );
        t.finish(&mut |l| out.push(l));
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].name, "nope.local.test");
        assert_eq!(out[1].outcome, Outcome::NoAnswerSeen);
        let stats = t.stats();
        assert_eq!(stats.timeouts, 1);
        assert_eq!(stats.unmatched_responses, 1);
        // At the end of input, a query older than the timeout is a timeout.
        let (lookups, stats) = run(&[(0, true, &A_CNAME_QUERY), (6_000, true, &NXDOMAIN_QUERY)]);
        assert_eq!(lookups[0].outcome, Outcome::TimedOut);
        assert_eq!(lookups[1].outcome, Outcome::NoAnswerSeen);
        assert_eq!(stats.timeouts, 1);
    }

    #[test]
    fn timeout_counts_from_the_last_attempt() {
        let (lookups, _) = run(&[
            (0, true, &A_CNAME_QUERY),
            (4_000, true, &A_CNAME_QUERY),
            (8_000, false, &A_CNAME_RESPONSE),
        ]);
        assert_eq!(lookups[0].outcome, Outcome::Answered);
        assert_eq!(lookups[0].attempts, 2);
    }

    #[test]
    fn mismatched_responses_are_not_paired() {
        // Wrong ID, wrong question, wrong port.
        let wrong_id = with_id(&A_CNAME_RESPONSE, 1);
        let (lookups, stats) = run(&[
            (0, true, &A_CNAME_QUERY),
            (1, false, &wrong_id),
            (2, false, &AAAA_CNAME_RESPONSE),
        ]);
        assert_eq!(lookups[0].outcome, Outcome::NoAnswerSeen);
        assert_eq!(stats.unmatched_responses, 2);
        let mut t = Tracker::new(TIMEOUT);
        let mut out = Vec::new();
        t.message(Timestamp(0), client(), server(), &A_CNAME_QUERY, &mut |l| {
            out.push(l)
        });
        let other_port = SocketAddr::from(([127, 0, 0, 1], 41_001));
        t.message(
            Timestamp(1),
            server(),
            other_port,
            &A_CNAME_RESPONSE,
            &mut |l| out.push(l),
        );
        assert!(out.is_empty());
        assert_eq!(t.stats().unmatched_responses, 1);
    }

    #[test]
    fn truncated_answer_then_tcp_retry() {
        let mut tc = A_CNAME_RESPONSE;
        tc[2] |= 0x02;
        let tcp_client = SocketAddr::from(([127, 0, 0, 1], 41_500));
        let mut t = Tracker::new(TIMEOUT);
        let mut out = Vec::new();
        t.message(Timestamp(0), client(), server(), &A_CNAME_QUERY, &mut |l| {
            out.push(l)
        });
        t.message(Timestamp(MS), server(), client(), &tc, &mut |l| out.push(l));
        assert!(out.is_empty());
        let tcp_query = &A_CNAME_TCP_QUERY[2..];
        let tcp_response = &A_CNAME_TCP_RESPONSE[2..];
        t.message(
            Timestamp(2 * MS),
            tcp_client,
            server(),
            tcp_query,
            &mut |l| out.push(l),
        );
        t.message(
            Timestamp(3 * MS),
            server(),
            tcp_client,
            tcp_response,
            &mut |l| out.push(l),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].attempts, 2);
        assert_eq!(out[0].end, Some(Timestamp(3 * MS)));
        assert_eq!(out[0].client, client());
        // Without the TCP retry, the truncated answer is the outcome.
        let (lookups, stats) = run(&[(0, true, &A_CNAME_QUERY), (1, false, &tc)]);
        assert_eq!(lookups[0].outcome, Outcome::Answered);
        assert_eq!(lookups[0].end, Some(Timestamp(MS)));
        assert_eq!(stats.timeouts, 0);
    }

    #[test]
    fn malformed_and_other_opcodes_are_counted_only() {
        let mut notify = A_CNAME_QUERY;
        notify[2] = 0x20; // opcode 4
        let (lookups, stats) = run(&[
            (0, true, &A_CNAME_QUERY[..20]),
            (1, true, &notify),
            (2, true, &[]),
        ]);
        assert!(lookups.is_empty());
        assert_eq!(stats.messages, 3);
        assert_eq!(stats.malformed, 2);
        assert_eq!(stats.queries, 0);
        assert_eq!(
            stats.last_error.as_deref(),
            Some("header ID: truncated, needs 2 bytes but 0 remain")
        );
    }

    #[test]
    fn response_without_question_matches_on_id() {
        // FORMERR with QDCOUNT 0: the header only.
        let mut formerr = [0u8; 12];
        formerr[..2].copy_from_slice(&A_CNAME_QUERY[..2]);
        formerr[2] = 0x81;
        formerr[3] = 0x01;
        let (lookups, _) = run(&[(0, true, &A_CNAME_QUERY), (1, false, &formerr)]);
        assert_eq!(lookups[0].rcode.as_deref(), Some("FORMERR"));
        assert_eq!(lookups[0].outcome, Outcome::OtherError);
    }

    #[test]
    fn cname_loops_end() {
        // Hand-made: `a` CNAME `b`, `b` CNAME `a`, `b` A 192.0.2.9; question `a A`.
        static LOOP_QUERY: [u8; 19] = [
            0, 7, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, // header
            1, b'a', 0, 0, 1, 0, 1, // question a A
        ];
        static LOOP_RESPONSE: [u8; 64] = [
            0, 7, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0, // header
            1, b'a', 0, 0, 1, 0, 1, // question a A
            0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 9, 0, 3, 1, b'b', 0, // a CNAME b (b at 31)
            0xC0, 31, 0, 5, 0, 1, 0, 0, 0, 8, 0, 2, 0xC0, 12, // b CNAME a
            0xC0, 31, 0, 1, 0, 1, 0, 0, 0, 7, 0, 4, 192, 0, 2, 9, // b A 192.0.2.9
        ];
        let parsed = parse(&LOOP_RESPONSE).unwrap();
        assert_eq!(
            addresses("a", &parsed),
            [IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9))]
        );
        let (lookups, _) = run(&[(0, true, &LOOP_QUERY), (1, false, &LOOP_RESPONSE)]);
        assert_eq!(lookups[0].min_ttl, Some(7));
    }

    #[test]
    fn asking_another_server_times_out_the_first() {
        let mut t = Tracker::new(5_000_000_000);
        let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let dead: SocketAddr = "127.0.0.1:18112".parse().unwrap();
        let live: SocketAddr = "127.0.0.1:18110".parse().unwrap();
        let mut out = Vec::new();
        let attempt = Attempt {
            id: 1,
            client,
            server: dead,
        };
        let q = Question {
            name: "golden.test".into(),
            qtype: 1,
        };
        t.query(Timestamp(0), attempt, &q, &mut |l| out.push(l));
        t.query(
            Timestamp(1_000),
            Attempt {
                id: 2,
                client,
                server: dead,
            },
            &q,
            &mut |l| out.push(l),
        );
        assert!(out.is_empty());
        t.query(
            Timestamp(2_000),
            Attempt {
                id: 3,
                client,
                server: live,
            },
            &q,
            &mut |l| out.push(l),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].outcome, out[0].attempts, out[0].server),
            (Outcome::TimedOut, 2, dead)
        );
    }
}
