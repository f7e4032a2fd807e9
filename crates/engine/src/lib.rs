//! The analysis engine: packets in, HTTP [`Transaction`]s out.
//!
//! This is the only crate that connects the layers: it decodes each packet with [`wire`],
//! feeds TCP segments to the [`flow`] reassembler, recognises TLS and HTTP/1.x by content on
//! each connection, decrypts TLS with the key log it is given ([`tls`]), drives one
//! [`http::Http1Connection`] per HTTP stream, and turns every completed [`http::Exchange`]
//! into a [`Transaction`] with connection facts, TLS facts and HAR timings. Attempts that
//! never got a request out are transactions too, without request or response, their reason
//! in `incomplete`: a TCP connection attempt refused or unanswered, a TLS handshake that did
//! not complete (`conn`), a failed name lookup no connection followed (`failed_lookups`).
//! It is sans-IO: time comes in with each packet, results go out through a callback.
//!
//! Invariants:
//! - Every packet is accounted for in [`Stats`]: decoded, or counted as non-IP, fragment,
//!   other transport, unknown link type or malformed.
//! - A connection's role assignment (who is the client) comes from the TCP handshake; for
//!   connections that began before the capture it is corrected by content (the side that
//!   sends requests is the client).
//! - Timings add up: for a complete exchange,
//!   `blocked + connect + send + wait + receive` spans exactly from [`Transaction::start`] to
//!   the last byte of the response (see the `timings` module).

mod conn;
mod failed_lookups;
mod links;
mod timings;

use conn::{ConnStats, Connections};
use flow::{FlowConfig, FlowTable};
use http::Http1Config;
use model::{ConnectionRecord, DnsLookup, Stats, Timestamp, Transaction};
use std::net::SocketAddr;
use tls::KeyLog;
use wire::{Decoded, LinkType, Transport};

/// Tuning for an [`Engine`]. Every field documents its default.
#[derive(Clone, Debug, Default)]
pub struct EngineConfig {
    /// TCP reassembly limits (see [`FlowConfig`]'s defaults).
    pub flow: FlowConfig,
    /// HTTP/1.x parser limits (see [`Http1Config`]'s defaults).
    pub http: Http1Config,
}

/// What the engine produces, in the order it learns it.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A request and its response (or what was seen of them).
    Transaction(Box<Transaction>),
    /// A TLS or HTTP/2 connection closed (whether or not its content could be read).
    Connection(Box<ConnectionRecord>),
    /// A DNS lookup completed (answered, failed, or timed out).
    Dns(Box<DnsLookup>),
}

/// Turns packets into transactions. Feed packets in capture order with [`Engine::packet`],
/// then call [`Engine::finish`] once. TLS keys may be added at any time with
/// [`Engine::add_keys`]; sessions whose records arrive before their keys stay encrypted.
pub struct Engine {
    flows: FlowTable,
    conns: Connections,
    keys: KeyLog,
    stats: Stats,
    conn_stats: ConnStats,
    /// Sessions seen whose secrets were not all exported yet because the key log lacked
    /// them, with the lines already exported.
    awaiting_keys: Vec<([u8; 32], String)>,
    /// Key log size when `awaiting_keys` was last checked.
    checked_secrets: u64,
    /// Packets seen, to let time pass for DNS timeouts every so often.
    packets: u64,
    /// The latest packet time seen: how far the capture got, for DNS timeouts at the end.
    now: Timestamp,
}

impl Engine {
    /// A new engine with the given limits.
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            flows: FlowTable::new(config.flow),
            conns: Connections::new(config.http),
            keys: KeyLog::new(),
            stats: Stats::default(),
            conn_stats: ConnStats::default(),
            awaiting_keys: Vec::new(),
            checked_secrets: 0,
            packets: 0,
            now: Timestamp(i64::MIN),
        }
    }

    /// Adds TLS secrets in the NSS key log format: whole lines (a `--keylog` file, the new
    /// lines of a file still being written, or a capture's Decryption Secrets Block). A last
    /// line without a newline counts as whole.
    pub fn add_keys(&mut self, text: &[u8]) {
        self.keys.feed(text);
        self.keys.finish();
    }

    /// Analyses one captured packet of link type `link`, calling `out` for everything it
    /// completes.
    pub fn packet(
        &mut self,
        ts: Timestamp,
        link: LinkType,
        data: &[u8],
        out: &mut impl FnMut(Event),
    ) {
        self.packets += 1;
        self.now = self.now.max(ts);
        if self.packets.is_multiple_of(4096) {
            self.conns.advance_dns(ts, out);
        }
        self.conns
            .failed_lookups(Some(ts), &mut self.conn_stats.http, out);
        let decode = &mut self.stats.decode;
        match wire::decode(link, data) {
            Ok(Decoded::Ip(ip)) => match ip.transport {
                Transport::Tcp(seg) => {
                    decode.tcp_segments += 1;
                    let src = SocketAddr::new(ip.src, seg.src_port);
                    let dst = SocketAddr::new(ip.dst, seg.dst_port);
                    let (conns, keys, stats) = (&mut self.conns, &self.keys, &mut self.conn_stats);
                    self.flows.segment(ts, src, dst, &seg, &mut |ev| {
                        conns.event(ev, keys, stats, out)
                    });
                }
                Transport::Udp(udp) => {
                    decode.udp_datagrams += 1;
                    if is_dns(udp.src_port, udp.dst_port, udp.payload) {
                        let src = SocketAddr::new(ip.src, udp.src_port);
                        let dst = SocketAddr::new(ip.dst, udp.dst_port);
                        self.conns.dns_message(ts, src, dst, udp.payload, out);
                    }
                }
                Transport::Fragment => decode.ipv4_fragments += 1,
                Transport::Other(_) => decode.other_transport += 1,
            },
            Ok(Decoded::NotIp(_)) => decode.non_ip += 1,
            Err(wire::WireError::UnsupportedLinkType(_)) => decode.unknown_link_type += 1,
            Err(e) => {
                decode.malformed += 1;
                decode.last_error = Some(e.to_string());
            }
        }
    }

    /// The key log lines of TLS sessions seen since the last call whose secrets are known
    /// (for a pcapng Decryption Secrets Block placed before their encrypted packets).
    /// Sessions whose keys are not all known yet are retried on later calls, and only their
    /// new lines are returned then: a key log being written (a live recording) gets a TLS
    /// 1.3 session's handshake secrets before its traffic secrets.
    pub fn take_secrets(&mut self) -> String {
        let fresh = self.conns.take_sessions();
        let secrets = self.keys.stats().secrets;
        if fresh.is_empty() && (self.awaiting_keys.is_empty() || secrets == self.checked_secrets) {
            return String::new();
        }
        self.awaiting_keys
            .extend(fresh.into_iter().map(|random| (random, String::new())));
        self.checked_secrets = secrets;
        let mut lines = String::new();
        let keys = &self.keys;
        self.awaiting_keys.retain_mut(|(random, sent)| {
            let Some(known) = keys.secrets(random) else {
                return true;
            };
            for line in keys.lines_for(random).lines() {
                if !sent.lines().any(|s| s == line) {
                    for out in [&mut lines, &mut *sent] {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
            // Complete: TLS 1.2's master secret, or TLS 1.3's traffic secrets.
            let complete = known.master_secret.is_some()
                || (known.client_traffic_0.is_some() && known.server_traffic_0.is_some());
            !complete
        });
        lines
    }

    /// Whether some TLS sessions seen so far have no keys yet (a caller reading a key log
    /// that is still being written may want to read more of it).
    pub fn awaiting_keys(&self) -> bool {
        !self.awaiting_keys.is_empty()
    }

    /// Ends the analysis: flushes every open connection (pending requests become
    /// incomplete transactions) and returns the counters of every layer except capture
    /// reading, which the caller owns.
    pub fn finish(mut self, out: &mut impl FnMut(Event)) -> Stats {
        let (conns, keys, stats) = (&mut self.conns, &self.keys, &mut self.conn_stats);
        self.flows
            .finish(&mut |ev| conns.event(ev, keys, stats, out));
        // Lookups unanswered for the timeout by the last packet timed out.
        self.conns.advance_dns(self.now, out);
        self.stats.dns = self.conns.finish_dns(out);
        self.conns
            .failed_lookups(None, &mut self.conn_stats.http, out);
        self.stats.tcp = self.flows.stats().clone();
        self.stats.http = std::mem::take(&mut self.conn_stats.http);
        self.stats.tls = std::mem::take(&mut self.conn_stats.tls);
        let k = self.keys.stats();
        self.stats.tls.keylog_lines = k.lines;
        self.stats.tls.keylog_sessions = k.sessions;
        self.stats.tls.keylog_malformed = k.malformed;
        self.stats.tls.keylog_error = self.keys.last_error().map(str::to_owned);
        self.stats
    }
}

/// Whether a UDP datagram is DNS: the DNS, mDNS and LLMNR ports, or any other port when the
/// payload parses as a standard query or response with one question (resolvers on other
/// ports, as in tests and containers).
fn is_dns(src_port: u16, dst_port: u16, payload: &[u8]) -> bool {
    const PORTS: [u16; 3] = [53, 5353, 5355];
    if PORTS.contains(&src_port) || PORTS.contains(&dst_port) {
        return true;
    }
    dns::parse(payload).is_ok_and(|m| m.opcode == 0 && m.questions.len() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// A raw IPv4 packet carrying one TCP segment (checksums are not checked by the engine).
    fn packet(
        src: (Ipv4Addr, u16),
        dst: (Ipv4Addr, u16),
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) -> Vec<u8> {
        let total = 40 + payload.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
            0,
            0,
        ];
        p.extend_from_slice(&src.0.octets());
        p.extend_from_slice(&dst.0.octets());
        p.extend_from_slice(&src.1.to_be_bytes());
        p.extend_from_slice(&dst.1.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ack.to_be_bytes());
        p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.extend_from_slice(payload);
        p
    }

    /// A raw IPv4 packet carrying one UDP datagram.
    fn udp(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), payload: &[u8]) -> Vec<u8> {
        let total = 28 + payload.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
        ];
        p.extend_from_slice(&src.0.octets());
        p.extend_from_slice(&dst.0.octets());
        p.extend_from_slice(&src.1.to_be_bytes());
        p.extend_from_slice(&dst.1.to_be_bytes());
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }

    /// A DNS query (`answer` is `None`) or response with `rcode` and at most one A record.
    fn dns_message(
        id: u16,
        name: &str,
        qtype: u16,
        answer: Option<(u8, Option<Ipv4Addr>)>,
    ) -> Vec<u8> {
        let (flags, answers) = match answer {
            None => (0x0100u16, 0u16),
            Some((rcode, a)) => (0x8180 | u16::from(rcode), u16::from(a.is_some())),
        };
        let mut m = Vec::new();
        for n in [id, flags, 1, answers, 0, 0] {
            m.extend_from_slice(&n.to_be_bytes());
        }
        for label in name.split('.') {
            m.push(label.len() as u8);
            m.extend_from_slice(label.as_bytes());
        }
        m.push(0);
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        if let Some((_, Some(ip))) = answer {
            m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            m.extend_from_slice(&ip.octets());
        }
        m
    }

    /// A TLS record holding a ClientHello for `sni` (TLS 1.3 suite, no other extension).
    fn client_hello(sni: &str) -> Vec<u8> {
        let name = sni.as_bytes();
        let n = name.len() as u16;
        let mut ext = vec![0, 0];
        ext.extend_from_slice(&(n + 5).to_be_bytes());
        ext.extend_from_slice(&(n + 3).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&n.to_be_bytes());
        ext.extend_from_slice(name);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut record = vec![0x16, 3, 1];
        record.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        record.extend_from_slice(&hs);
        record
    }

    const ACK: u8 = 0x10;
    const PSH_ACK: u8 = 0x18;
    const SYN: u8 = 0x02;
    const SYN_ACK: u8 = 0x12;
    const FIN_ACK: u8 = 0x11;
    const RST: u8 = 0x04;
    const MS: i64 = 1_000_000;
    const A: u16 = 1;
    const AAAA: u16 = 28;
    const NXDOMAIN: u8 = 3;
    const SERVFAIL: u8 = 2;

    fn run(packets: &[(i64, Vec<u8>)]) -> (Vec<Transaction>, Stats) {
        let mut engine = Engine::new(EngineConfig::default());
        let mut out = Vec::new();
        let mut push = |e: Event| {
            if let Event::Transaction(t) = e {
                out.push(*t)
            }
        };
        for (ts, p) in packets {
            engine.packet(Timestamp(*ts), LinkType::Raw, p, &mut push);
        }
        let stats = engine.finish(&mut push);
        (out, stats)
    }

    #[test]
    fn handshake_request_response_with_timings() {
        let c = (Ipv4Addr::new(10, 0, 0, 1), 50_000);
        let s = (Ipv4Addr::new(10, 0, 0, 2), 8080);
        let req = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        let (txs, stats) = run(&[
            (1_000, packet(c, s, 99, 0, SYN, b"")),
            (1_100, packet(s, c, 499, 100, SYN_ACK, b"")),
            (1_150, packet(c, s, 100, 500, ACK, b"")),
            (1_200, packet(c, s, 100, 500, PSH_ACK, req)),
            (
                1_700,
                packet(s, c, 500, 100 + req.len() as u32, PSH_ACK, resp),
            ),
        ]);
        assert_eq!(txs.len(), 1);
        let t = &txs[0];
        assert_eq!(
            (t.method(), t.url.as_str(), t.status()),
            ("GET", "http://h/a", 200)
        );
        assert_eq!(t.start, Timestamp(1_000));
        assert_eq!(t.timings.connect, Some(150));
        assert_eq!(t.timings.blocked, Some(50));
        assert_eq!(t.timings.wait, Some(500));
        assert_eq!(t.timings.total(), 700);
        assert_eq!(t.server.port(), 8080);
        assert!(t.incomplete.is_empty());
        assert_eq!(
            (
                stats.decode.tcp_segments,
                stats.http.connections,
                stats.http.transactions
            ),
            (5, 1, 1)
        );
    }

    #[test]
    fn mid_stream_roles_are_fixed_by_content() {
        // Both ports look ephemeral and the first packet is the server's: the TCP layer's
        // guess makes the client the server; the status line corrects it.
        let server = (Ipv4Addr::new(10, 0, 0, 2), 40_000);
        let client = (Ipv4Addr::new(10, 0, 0, 1), 50_000);
        let resp = b"HTTP/1.1 204 No Content\r\n\r\n";
        let req = b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
        let (txs, stats) = run(&[
            (10, packet(server, client, 7_000, 3_000, PSH_ACK, resp)),
            (
                20,
                packet(
                    client,
                    server,
                    3_000,
                    7_000 + resp.len() as u32,
                    PSH_ACK,
                    req,
                ),
            ),
            (
                30,
                packet(
                    server,
                    client,
                    7_000 + resp.len() as u32,
                    3_000 + req.len() as u32,
                    PSH_ACK,
                    resp,
                ),
            ),
        ]);
        assert_eq!(txs.len(), 2, "{txs:#?}");
        assert!(txs[0].request.is_none());
        assert_eq!(
            txs[0].incomplete[0].reason,
            model::IncompleteReason::NoRequest
        );
        assert_eq!((txs[1].method(), txs[1].status()), ("GET", 204));
        assert!(txs[1].incomplete.is_empty());
        for t in &txs {
            assert_eq!((t.client.port(), t.server.port()), (50_000, 40_000));
        }
        assert_eq!(stats.tcp.mid_stream, 1);
    }

    const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const RESOLVER: (Ipv4Addr, u16) = (Ipv4Addr::new(10, 0, 0, 53), 53);

    /// A lookup of `name`/`qtype` from client port `port`: its query at `ms`, its response
    /// `answer` 1 ms later.
    fn lookup(
        ms: i64,
        port: u16,
        name: &str,
        qtype: u16,
        answer: (u8, Option<Ipv4Addr>),
    ) -> [(i64, Vec<u8>); 2] {
        let id = port;
        [
            (
                ms * MS,
                udp(
                    (CLIENT, port),
                    RESOLVER,
                    &dns_message(id, name, qtype, None),
                ),
            ),
            (
                (ms + 1) * MS,
                udp(
                    RESOLVER,
                    (CLIENT, port),
                    &dns_message(id, name, qtype, Some(answer)),
                ),
            ),
        ]
    }

    #[test]
    fn failed_a_and_aaaa_lookups_are_one_transaction() {
        let mut packets = Vec::new();
        packets.extend(lookup(0, 5000, "nope.test", A, (NXDOMAIN, None)));
        packets.extend(lookup(0, 5001, "nope.test", AAAA, (NXDOMAIN, None)));
        let (txs, stats) = run(&packets);
        assert_eq!(txs.len(), 1, "{txs:#?}");
        let t = &txs[0];
        assert_eq!(t.url, "dns:nope.test");
        assert_eq!(t.connection, model::ConnectionId::NONE);
        assert_eq!((t.status(), t.request.is_none()), (0, true));
        assert_eq!(t.server, "10.0.0.53:53".parse().unwrap());
        assert_eq!(t.start, Timestamp(0));
        assert_eq!(t.timings.dns, Some(MS as u64));
        assert_eq!(t.timings.total(), MS as u64);
        assert_eq!(t.dns.as_ref().map(|l| l.name.as_str()), Some("nope.test"));
        assert_eq!(t.incomplete[0].reason, model::IncompleteReason::DnsFailed);
        assert_eq!(
            t.incomplete[0].detail,
            "DNS lookup of nope.test failed: NXDOMAIN from 10.0.0.53:53 (A, AAAA)"
        );
        assert_eq!((stats.http.transactions, stats.http.incomplete), (1, 1));
    }

    #[test]
    fn a_failed_lookup_goes_out_once_the_capture_moves_on() {
        let mut engine = Engine::new(EngineConfig::default());
        let txs = std::cell::RefCell::new(Vec::new());
        let mut push = |e: Event| {
            if let Event::Transaction(t) = e {
                txs.borrow_mut().push(t.url)
            }
        };
        for (ts, p) in lookup(0, 5000, "nope.test", A, (NXDOMAIN, None)) {
            engine.packet(Timestamp(ts), LinkType::Raw, &p, &mut push);
        }
        let later = udp((CLIENT, 9), (CLIENT, 9), b"not dns");
        engine.packet(Timestamp(500 * MS), LinkType::Raw, &later, &mut push);
        assert!(
            txs.borrow().is_empty(),
            "held while an answer may still come"
        );
        engine.packet(Timestamp(1_500 * MS), LinkType::Raw, &later, &mut push);
        assert_eq!(*txs.borrow(), ["dns:nope.test"]);
        engine.finish(&mut push);
        assert_eq!(txs.borrow().len(), 1);
    }

    #[test]
    fn failures_apart_in_time_are_separate_attempts() {
        let mut packets = Vec::new();
        packets.extend(lookup(0, 5000, "down.test", A, (SERVFAIL, None)));
        packets.extend(lookup(2_000, 5002, "down.test", A, (SERVFAIL, None)));
        let (txs, _) = run(&packets);
        assert_eq!(txs.len(), 2);
        assert!(txs[1].incomplete[0]
            .detail
            .contains("SERVFAIL from 10.0.0.53:53 (A)"));
    }

    #[test]
    fn a_lookup_followed_by_a_connection_is_no_failure() {
        // A answered, AAAA SERVFAIL; the client connects to the A answer.
        let server = (Ipv4Addr::new(192, 0, 2, 1), 80);
        let c = (CLIENT, 50_000);
        let req = b"GET / HTTP/1.1\r\nHost: ok.test\r\n\r\n";
        let resp = b"HTTP/1.1 204 No Content\r\n\r\n";
        let mut packets = Vec::new();
        packets.extend(lookup(0, 5000, "ok.test", A, (0, Some(server.0))));
        packets.extend(lookup(0, 5001, "ok.test", AAAA, (SERVFAIL, None)));
        packets.extend([
            (3 * MS, packet(c, server, 99, 0, SYN, b"")),
            (4 * MS, packet(server, c, 499, 100, SYN_ACK, b"")),
            (5 * MS, packet(c, server, 100, 500, PSH_ACK, req)),
            (
                6 * MS,
                packet(server, c, 500, 100 + req.len() as u32, PSH_ACK, resp),
            ),
        ]);
        let (txs, _) = run(&packets);
        assert_eq!(txs.len(), 1, "{txs:#?}");
        assert_eq!(
            (txs[0].url.as_str(), txs[0].status()),
            ("http://ok.test/", 204)
        );
        assert_eq!(txs[0].timings.dns, Some(MS as u64));
    }

    #[test]
    fn a_search_list_expansion_or_retry_that_resolved_is_no_failure() {
        let mut packets = Vec::new();
        // ndots: the search-list expansion fails first, the name itself resolves.
        packets.extend(lookup(0, 5000, "ok.test.corp.example", A, (NXDOMAIN, None)));
        packets.extend(lookup(
            2,
            5001,
            "ok.test",
            A,
            (0, Some(Ipv4Addr::new(192, 0, 2, 1))),
        ));
        // A retry after a failure resolves half a second later.
        packets.extend(lookup(10, 5002, "flaky.test", A, (SERVFAIL, None)));
        packets.extend(lookup(
            500,
            5003,
            "flaky.test",
            A,
            (0, Some(Ipv4Addr::new(192, 0, 2, 2))),
        ));
        // Another client's failure is its own.
        packets.push((
            600 * MS,
            udp(
                (Ipv4Addr::new(10, 0, 0, 9), 7000),
                RESOLVER,
                &dns_message(7, "ok.test", A, None),
            ),
        ));
        packets.push((
            601 * MS,
            udp(
                RESOLVER,
                (Ipv4Addr::new(10, 0, 0, 9), 7000),
                &dns_message(7, "ok.test", A, Some((NXDOMAIN, None))),
            ),
        ));
        let (txs, _) = run(&packets);
        let urls: Vec<&str> = txs.iter().map(|t| t.url.as_str()).collect();
        assert_eq!(urls, ["dns:ok.test"]);
        assert_eq!(txs[0].client.ip(), Ipv4Addr::new(10, 0, 0, 9));
    }

    #[test]
    fn a_timed_out_lookup_has_no_known_duration() {
        let query = dns_message(1, "slow.test", A, None);
        let (txs, _) = run(&[
            (0, udp((CLIENT, 5000), RESOLVER, &query)),
            (6_000 * MS, udp((CLIENT, 9), (CLIENT, 9), b"not dns")),
        ]);
        assert_eq!(txs.len(), 1);
        assert_eq!(txs[0].timings.dns, None);
        assert_eq!(
            txs[0].incomplete[0].detail,
            "DNS lookup of slow.test failed: timed out: no answer from 10.0.0.53:53 after 1 attempt (A)"
        );
    }

    /// A TCP handshake at 0-2 ms, a ClientHello for `sni` at 10 ms, then `rest`.
    fn tls_attempt(sni: &str, rest: &[(i64, u8, bool, &[u8])]) -> Vec<(i64, Vec<u8>)> {
        let c = (CLIENT, 50_000);
        let s = (Ipv4Addr::new(192, 0, 2, 1), 8443);
        let hello = client_hello(sni);
        let mut seq = [100 + hello.len() as u32, 500];
        let mut packets = vec![
            (0, packet(c, s, 99, 0, SYN, b"")),
            (MS, packet(s, c, 499, 100, SYN_ACK, b"")),
            (2 * MS, packet(c, s, 100, 500, ACK, b"")),
            (10 * MS, packet(c, s, 100, 500, PSH_ACK, &hello)),
        ];
        for &(ms, flags, from_server, data) in rest {
            let (src, dst, i) = if from_server { (s, c, 1) } else { (c, s, 0) };
            packets.push((ms * MS, packet(src, dst, seq[i], seq[1 - i], flags, data)));
            seq[i] += data.len() as u32 + u32::from(flags & 0x01 != 0);
        }
        packets
    }

    #[test]
    fn a_fatal_alert_in_the_tls_handshake_is_a_failed_transaction() {
        // Alert(fatal, handshake_failure) and FIN from the server.
        let alert: &[u8] = &[0x15, 3, 3, 0, 2, 2, 40];
        let (txs, stats) = run(&tls_attempt(
            "secure.test",
            &[
                (15, PSH_ACK, true, alert),
                (16, FIN_ACK, true, b""),
                (17, FIN_ACK, false, b""),
            ],
        ));
        assert_eq!(txs.len(), 1, "{txs:#?}");
        let t = &txs[0];
        assert_eq!(t.url, "https://secure.test:8443");
        assert_eq!((t.status(), t.protocol.as_str()), (0, ""));
        assert_eq!(
            t.incomplete[0].reason,
            model::IncompleteReason::TlsHandshake
        );
        assert_eq!(
            t.incomplete[0].detail,
            "TLS handshake failed: server sent fatal alert handshake_failure (40)"
        );
        assert_eq!(
            t.tls.as_ref().and_then(|i| i.sni.as_deref()),
            Some("secure.test")
        );
        assert_eq!(t.start, Timestamp(0));
        // The TLS attempt runs from the ClientHello to the server's FIN; connect includes it.
        assert_eq!(t.timings.ssl, Some(6 * MS as u64));
        assert_eq!(t.timings.connect, Some(16 * MS as u64));
        assert_eq!(t.timings.total(), 16 * MS as u64);
        assert_eq!(stats.http.transactions, 1);
    }

    #[test]
    fn a_tls_connection_closed_mid_handshake_is_a_failed_transaction() {
        let (txs, _) = run(&tls_attempt("secure.test", &[(30, RST, true, b"")]));
        assert_eq!(txs.len(), 1);
        assert_eq!(
            txs[0].incomplete[0].detail,
            "connection reset by the server during the TLS handshake, with no answer to the ClientHello"
        );
        assert_eq!(txs[0].timings.ssl, Some(20 * MS as u64));
        // A capture that ends during the handshake says nothing about the connection.
        let (txs, _) = run(&tls_attempt("secure.test", &[]));
        assert!(txs.is_empty(), "{txs:?}");
    }

    #[test]
    fn non_http_is_counted_not_parsed() {
        let c = (Ipv4Addr::new(10, 0, 0, 1), 50_000);
        let s = (Ipv4Addr::new(10, 0, 0, 2), 443);
        let (txs, stats) = run(&[
            (1, packet(c, s, 99, 0, SYN, b"")),
            (2, packet(s, c, 499, 100, SYN_ACK, b"")),
            (
                3,
                packet(c, s, 100, 500, PSH_ACK, b"\x16\x03\x01\x00\x05hello"),
            ),
            (4, b"\x60\x00".to_vec()),
        ]);
        assert!(txs.is_empty());
        assert_eq!(stats.http.other_connections, 1);
        assert_eq!(stats.decode.malformed, 1);
        assert!(stats.decode.last_error.is_some());
    }
}
