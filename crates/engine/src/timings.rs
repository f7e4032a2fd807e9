//! HAR timings of one exchange, derived from where its bytes were seen.
//!
//! Definitions (all spans between capture timestamps, in nanoseconds):
//! - `dns`: the name lookup linked to the connection (see `links`), for the first request of
//!   a connection whose handshake is in the capture; the transaction then starts at the
//!   lookup, and the time between its answer and the SYN counts as `blocked`.
//! - `connect`: SYN → the client's ACK of the SYN-ACK, for the first request of a connection
//!   whose handshake is in the capture; `None` otherwise. Over TLS it lasts until the end
//!   of the TLS handshake, as in HAR, where `connect` includes `ssl`.
//! - `ssl`: ClientHello → end of the TLS handshake (the later Finished), for the first request
//!   of a TLS connection.
//! - `blocked`: connection (and TLS session) established → first request byte, for that same
//!   first request: the time the client took to start using its new connection. Counting it
//!   keeps the phases summing to the whole span instead of losing the gap.
//! - `send`: first → last request byte.
//! - `wait`: last request byte → first response byte. When the response starts before the
//!   request ends (`100 Continue`, or a server answering an upload early), `wait` is zero and
//!   `receive` starts at the end of the request.
//! - `receive`: first (or, see above, the later of first response byte and last request byte)
//!   → last response byte.
//!
//! Invariant: with every timestamp present and in order, `blocked + connect + send + wait +
//! receive == response_end - start`.

use model::{Handshake, MessageTimes, Timestamp, Timings};

/// The start of the transaction and its timings. `handshake` is given only for the first
/// exchange of a connection whose SYN was captured; `tls` (ClientHello, end of the TLS
/// handshake) only for the first exchange of a TLS connection; `dns` (lookup start and
/// answer) only for the first exchange of a connection linked to a lookup.
pub(crate) fn compute(
    times: &MessageTimes,
    handshake: Option<&Handshake>,
    tls: Option<(Timestamp, Timestamp)>,
    dns: Option<(Timestamp, Timestamp)>,
) -> (Timestamp, Timings) {
    let mut t = Timings::default();
    let first_byte = times.request_start.or(times.response_start);
    let mut start = first_byte
        .or(times.request_end)
        .or(times.response_end)
        .unwrap_or_default();
    let tcp = handshake.and_then(|h| Some((h.syn?, h.ack.or(h.syn_ack)?)));
    let mut before_syn = 0;
    let established = match (tcp, tls) {
        (Some((syn, tcp_end)), tls) => {
            start = syn;
            if let Some((asked, answered)) = dns.filter(|(_, answered)| *answered <= syn) {
                start = asked;
                t.dns = Some(answered.since(asked));
                before_syn = syn.since(answered);
            }
            let end = tls.map_or(tcp_end, |(_, tls_end)| tls_end.max(tcp_end));
            t.connect = Some(end.since(syn));
            Some(end)
        }
        (None, Some((hello, tls_end))) => {
            start = hello;
            t.connect = Some(tls_end.since(hello));
            Some(tls_end)
        }
        (None, None) => None,
    };
    if let Some((hello, tls_end)) = tls {
        t.ssl = Some(tls_end.since(hello));
    }
    if let Some(established) = established {
        t.blocked = times
            .request_start
            .map(|r| r.since(established) + before_syn)
            .or((before_syn > 0).then_some(before_syn));
    }
    let receive_from = match (times.request_end, times.response_start) {
        (Some(req_end), Some(resp_start)) => Some(req_end.max(resp_start)),
        (None, resp_start) => resp_start,
        (Some(_), None) => None,
    };
    if let (Some(a), Some(b)) = (times.request_start, times.request_end) {
        t.send = Some(b.since(a));
    }
    if let (Some(req_end), Some(from)) = (times.request_end, receive_from) {
        t.wait = Some(from.since(req_end));
    }
    if let (Some(from), Some(end)) = (receive_from, times.response_end) {
        t.receive = Some(end.since(from));
    }
    (start, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(n: i64) -> Option<Timestamp> {
        Some(Timestamp(n))
    }

    const HANDSHAKE: Handshake = Handshake {
        syn: Some(Timestamp(1_000)),
        syn_ack: Some(Timestamp(1_040)),
        ack: Some(Timestamp(1_050)),
    };

    #[test]
    fn first_request_on_new_connection_adds_up() {
        let times = MessageTimes {
            request_start: ts(1_070),
            request_end: ts(1_100),
            response_start: ts(1_400),
            response_end: ts(2_000),
        };
        let (start, t) = compute(&times, Some(&HANDSHAKE), None, None);
        assert_eq!(start, Timestamp(1_000));
        assert_eq!(t.connect, Some(50));
        assert_eq!(t.blocked, Some(20));
        assert_eq!(t.send, Some(30));
        assert_eq!(t.wait, Some(300));
        assert_eq!(t.receive, Some(600));
        assert_eq!(t.total(), 2_000 - 1_000);
        assert_eq!((t.dns, t.ssl), (None, None));
    }

    #[test]
    fn reused_connection_starts_at_request() {
        let times = MessageTimes {
            request_start: ts(5_000),
            request_end: ts(5_000),
            response_start: ts(5_100),
            response_end: ts(5_100),
        };
        let (start, t) = compute(&times, None, None, None);
        assert_eq!(start, Timestamp(5_000));
        assert_eq!((t.connect, t.blocked), (None, None));
        assert_eq!(t.total(), 100);
    }

    #[test]
    fn interim_response_before_body_keeps_the_sum() {
        // 100 Continue at 150, request body ends at 300, final response ends at 500.
        let times = MessageTimes {
            request_start: ts(100),
            request_end: ts(300),
            response_start: ts(150),
            response_end: ts(500),
        };
        let (start, t) = compute(&times, None, None, None);
        assert_eq!(t.wait, Some(0));
        assert_eq!(t.receive, Some(200));
        assert_eq!(t.total(), 500 - start.0 as u64);
    }

    #[test]
    fn missing_messages_leave_phases_unset() {
        let only_request = MessageTimes {
            request_start: ts(10),
            request_end: ts(20),
            ..Default::default()
        };
        let (start, t) = compute(&only_request, None, None, None);
        assert_eq!(start, Timestamp(10));
        assert_eq!((t.send, t.wait, t.receive), (Some(10), None, None));

        let only_response = MessageTimes {
            response_start: ts(1_400),
            response_end: ts(1_450),
            ..Default::default()
        };
        let (start, t) = compute(&only_response, Some(&HANDSHAKE), None, None);
        // The handshake still counts, but nothing was sent.
        assert_eq!(start, Timestamp(1_000));
        assert_eq!((t.send, t.wait, t.blocked), (None, None, None));
        assert_eq!(t.receive, Some(50));
    }

    #[test]
    fn tls_handshake_is_inside_connect() {
        let times = MessageTimes {
            request_start: ts(1_300),
            request_end: ts(1_310),
            response_start: ts(1_500),
            response_end: ts(1_600),
        };
        let tls = Some((Timestamp(1_060), Timestamp(1_250)));
        let (start, t) = compute(&times, Some(&HANDSHAKE), tls, None);
        assert_eq!(start, Timestamp(1_000));
        assert_eq!(t.connect, Some(250));
        assert_eq!(t.ssl, Some(190));
        assert_eq!(t.blocked, Some(50));
        assert_eq!(t.total(), 1_600 - 1_000);
        // Without the TCP handshake the span starts at the ClientHello.
        let (start, t) = compute(&times, None, tls, None);
        assert_eq!(start, Timestamp(1_060));
        assert_eq!((t.connect, t.ssl), (Some(190), Some(190)));
        assert_eq!(t.total(), 1_600 - 1_060);
    }

    #[test]
    fn dns_lookup_starts_the_first_request() {
        let times = MessageTimes {
            request_start: ts(1_070),
            request_end: ts(1_100),
            response_start: ts(1_400),
            response_end: ts(2_000),
        };
        let (start, t) = compute(
            &times,
            Some(&HANDSHAKE),
            None,
            Some((Timestamp(800), Timestamp(900))),
        );
        assert_eq!(start, Timestamp(800));
        assert_eq!(t.dns, Some(100));
        // 100 between the answer and the SYN, 20 between the ACK and the request.
        assert_eq!(t.blocked, Some(120));
        assert_eq!(t.total(), 2_000 - 800);
        // A lookup answered after the SYN is not this connection's.
        let (start, t) = compute(
            &times,
            Some(&HANDSHAKE),
            None,
            Some((Timestamp(800), Timestamp(1_010))),
        );
        assert_eq!((start, t.dns), (Timestamp(1_000), None));
    }

    #[test]
    fn handshake_without_syn_is_ignored() {
        let h = Handshake {
            syn: None,
            syn_ack: ts(5),
            ack: ts(6),
        };
        let times = MessageTimes {
            request_start: ts(10),
            ..Default::default()
        };
        let (start, t) = compute(&times, Some(&h), None, None);
        assert_eq!(start, Timestamp(10));
        assert_eq!(t.connect, None);
    }
}
