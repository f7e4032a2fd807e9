//! The interpreter shared by the `dns` fuzz target (`fuzz/fuzz_targets/dns.rs`) and the
//! corpus replay test (`tests/fuzz_corpus.rs`). Not part of the stable API.
//!
//! An input is used three ways: decoded whole with [`parse`] (a UDP payload); fed whole to a
//! [`Tracker`] at t = 0 s; and split as a DNS-over-TCP stream ([`tcp_messages`]) whose
//! messages are fed to the same tracker one second apart — queries (`QR` clear) from a client
//! to a server, responses back — before [`Tracker::finish`]. A [`TcpFramer`] given the
//! stream in two pieces must yield the same messages.
//!
//! Checked: nothing panics; every decoded record can be printed; every first query of a
//! (client, name, type) yields exactly one lookup (`lookups = queries − retries`); a lookup
//! has an end and an RCODE exactly when a response completed it, never before its start.

use crate::{
    parse, tcp_messages, DnsError, DnsStats, Lookup, Message, Outcome, TcpFramer, Tracker,
};
use model::Timestamp;
use std::net::SocketAddr;

/// What one input produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// The whole input decoded as one message.
    pub parsed: Result<Message, DnsError>,
    /// The lookups the tracker emitted.
    pub lookups: Vec<Lookup>,
    /// The tracker's counters.
    pub stats: DnsStats,
}

const SECOND: i64 = 1_000_000_000;

/// Runs one input; panics if a property does not hold.
pub fn run(data: &[u8]) -> Report {
    let parsed = parse(data);
    if let Ok(msg) = &parsed {
        for record in &msg.answers {
            let _ = record.summary();
        }
    }
    let client = SocketAddr::from(([192, 0, 2, 1], 40_000));
    let server = SocketAddr::from(([192, 0, 2, 53], 53));
    let mut tracker = Tracker::new(2 * SECOND as u64);
    let mut lookups = Vec::new();
    let mut feed = |tracker: &mut Tracker, ts: i64, message: &[u8]| {
        let (src, dst) = match message.get(2) {
            Some(flags) if flags & 0x80 != 0 => (server, client),
            _ => (client, server),
        };
        tracker.message(Timestamp(ts), src, dst, message, &mut |l| lookups.push(l));
    };
    feed(&mut tracker, 0, data);
    let messages: Vec<&[u8]> = tcp_messages(data).collect();
    for (i, message) in messages.iter().enumerate() {
        feed(&mut tracker, (i as i64 + 1) * SECOND, message);
    }
    tracker.finish(&mut |l| lookups.push(l));

    let mut framed = Vec::new();
    let mut framer = TcpFramer::new();
    let (a, b) = data.split_at(data.len() / 2);
    for piece in [a, b] {
        framer.push(piece, &mut |m| framed.push(m.to_vec()));
    }
    assert_eq!(framed, messages, "TcpFramer and tcp_messages disagree");

    let stats = tracker.stats();
    assert!(stats.queries + stats.responses + stats.malformed <= stats.messages);
    assert_eq!(lookups.len() as u64, stats.queries - stats.retries);
    for l in &lookups {
        assert!(l.attempts >= 1);
        assert_eq!(l.end.is_some(), l.rcode.is_some());
        let unanswered = matches!(l.outcome, Outcome::TimedOut | Outcome::NoAnswerSeen);
        assert_eq!(unanswered, l.end.is_none(), "{l:?}");
        assert!(l.end.is_none_or(|end| end >= l.start), "{l:?}");
    }
    Report {
        parsed,
        lookups,
        stats,
    }
}
