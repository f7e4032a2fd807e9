//! Plaintext from TLS library probes, turned into TCP/IP packets for the engine.
//!
//! The engine reads HTTP from TCP streams; a library probe gives the bytes of each
//! direction of a TLS connection with their position in that direction. [`Streams`] keeps,
//! per library connection (process and `SSL *`), the connection's real addresses and roles,
//! and writes each chunk as a TCP segment whose sequence number is its position, so that
//! the engine's reassembly sees lost chunks as gaps and resynchronises as it does on capture
//! loss. A stream seen from its first byte gets a synthetic three-way handshake first (so
//! the engine knows who is the client); one joined later starts mid-stream, as a capture
//! that began during a connection does; when the real connection closes, FINs close the
//! synthetic one ([`Streams::close`]). The packets are raw IPv4/IPv6 (link type 101)
//! without checksums, which the engine does not verify.
//!
//! These packets go to an engine of their own (the packets of the same connection, still
//! encrypted, go to the main one), and their transactions are marked as coming from library
//! probes.

use crate::event::{Direction, Plain};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// Sequence number of the client's SYN in synthetic streams.
const CLIENT_ISN: u32 = 1_000;
/// Sequence number of the server's SYN.
const SERVER_ISN: u32 = 5_000_000;
/// Payload bytes per synthetic segment (an IPv4 packet is at most 65,535 bytes).
const SEGMENT: usize = 65_000;

/// Where a library connection runs: its socket's addresses as the process sees them, and
/// whether the process is the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The process's side.
    pub local: SocketAddr,
    /// The peer.
    pub remote: SocketAddr,
    /// The process opened the connection (it sends requests).
    pub local_is_client: bool,
}

struct Stream {
    endpoint: Endpoint,
    /// Next position expected per direction (egress, ingress), for acknowledgements.
    next: [u64; 2],
    /// Library position of this connection's first byte per direction: 0, or for a library
    /// object reused by a new connection, where its count stood (learnt from the first
    /// record of each direction).
    base: [Option<u64>; 2],
    /// The real connection closed and FINs ended this one: later records of the same
    /// library object on the same socket (a GOAWAY written while closing can reach the ring
    /// buffer after the FIN) are dropped and counted.
    closed: bool,
}

/// Every library connection seen, by (pid, connection object).
#[derive(Default)]
pub struct Streams {
    streams: HashMap<(u32, u64), Stream>,
    /// Library objects now used by a new connection (see [`Streams::restart`]).
    restarted: std::collections::HashSet<(u32, u64)>,
    /// Bytes of records that came after their connection was closed (dropped).
    pub after_close: u64,
}

impl Streams {
    /// An empty table.
    pub fn new() -> Streams {
        Streams::default()
    }

    /// Whether the library connection is known already (its endpoint resolved).
    pub fn known(&self, pid: u32, conn: u64) -> bool {
        self.streams.contains_key(&(pid, conn))
    }

    /// The endpoint of a known library connection.
    pub fn endpoint(&self, pid: u32, conn: u64) -> Option<Endpoint> {
        self.streams.get(&(pid, conn)).map(|s| s.endpoint)
    }

    /// The library object now serves a new connection (its socket changed: libraries reuse
    /// a freed object's address, and its byte count continues): the next record starts a new
    /// stream, with a handshake, at positions counted from there.
    pub fn restart(&mut self, pid: u32, conn: u64) {
        if self.streams.remove(&(pid, conn)).is_some() {
            self.restarted.insert((pid, conn));
        }
    }

    /// The connection's socket closed (the kernel reported it): a FIN from each side ends
    /// the synthetic stream too, so that the engine closes it. The stream stays known (and
    /// closed) until its library object serves another socket ([`Streams::restart`]).
    pub fn close(&mut self, pid: u32, conn: u64, emit: &mut impl FnMut(&[u8])) {
        let Some(stream) = self.streams.get_mut(&(pid, conn)) else {
            return;
        };
        if stream.closed {
            return;
        }
        stream.closed = true;
        let e = stream.endpoint;
        let (client, server, from_client, from_server) = if e.local_is_client {
            (e.local, e.remote, stream.next[0], stream.next[1])
        } else {
            (e.remote, e.local, stream.next[1], stream.next[0])
        };
        let mut packet = Vec::with_capacity(40);
        build(
            &mut packet,
            client,
            server,
            seq(CLIENT_ISN, from_client),
            seq(SERVER_ISN, from_server),
            FIN | ACK,
            &[],
        );
        emit(&packet);
        packet.clear();
        build(
            &mut packet,
            server,
            client,
            seq(SERVER_ISN, from_server),
            seq(CLIENT_ISN, from_client).wrapping_add(1),
            FIN | ACK,
            &[],
        );
        emit(&packet);
    }

    /// Forgets a library connection (its process is gone).
    pub fn forget_pid(&mut self, pid: u32) {
        self.streams.retain(|(p, _), _| *p != pid);
        self.restarted.retain(|(p, _)| *p != pid);
    }

    /// Number of library connections known.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// Whether none is known.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Writes the packets carrying `p` through `emit`. `endpoint` is needed the first time
    /// a library connection is seen (later calls may pass `None`); without it nothing is
    /// written and `false` is returned.
    pub fn packets(
        &mut self,
        p: &Plain<'_>,
        endpoint: Option<Endpoint>,
        emit: &mut impl FnMut(&[u8]),
    ) -> bool {
        let key = (p.pid, p.conn);
        if !self.streams.contains_key(&key) {
            let Some(endpoint) = endpoint else {
                return false;
            };
            let restarted = self.restarted.remove(&key);
            let fresh = restarted || p.position == 0;
            self.streams.insert(
                key,
                Stream {
                    endpoint,
                    next: [0, 0],
                    base: if restarted {
                        [None, None]
                    } else {
                        [Some(0), Some(0)]
                    },
                    closed: false,
                },
            );
            if fresh {
                handshake(&endpoint, emit);
            }
        }
        let Some(stream) = self.streams.get_mut(&key) else {
            return false;
        };
        if stream.closed {
            self.after_close += u64::from(p.len);
            return true;
        }
        let e = stream.endpoint;
        let (i, src, dst) = match p.direction {
            Direction::Egress => (0, e.local, e.remote),
            Direction::Ingress => (1, e.remote, e.local),
        };
        let base = *stream.base[i].get_or_insert(p.position);
        let position = p.position.saturating_sub(base);
        // The direction from the client is the one whose sequence numbers start at
        // CLIENT_ISN.
        let from_client = (i == 0) == e.local_is_client;
        let (isn, peer_isn) = if from_client {
            (CLIENT_ISN, SERVER_ISN)
        } else {
            (SERVER_ISN, CLIENT_ISN)
        };
        let ack = seq(peer_isn, stream.next[1 - i]);
        for (k, chunk) in p.data.chunks(SEGMENT).enumerate() {
            let pos = position + (k * SEGMENT) as u64;
            let mut packet = Vec::with_capacity(chunk.len() + 60);
            build(&mut packet, src, dst, seq(isn, pos), ack, PSH | ACK, chunk);
            emit(&packet);
        }
        stream.next[i] = stream.next[i].max(position + u64::from(p.len));
        true
    }
}

/// Sequence number of stream position `pos` after a SYN numbered `isn`.
fn seq(isn: u32, pos: u64) -> u32 {
    isn.wrapping_add(1).wrapping_add(pos as u32)
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

fn handshake(e: &Endpoint, emit: &mut impl FnMut(&[u8])) {
    let (client, server) = if e.local_is_client {
        (e.local, e.remote)
    } else {
        (e.remote, e.local)
    };
    let mut packet = Vec::with_capacity(60);
    build(&mut packet, client, server, CLIENT_ISN, 0, SYN, &[]);
    emit(&packet);
    packet.clear();
    build(
        &mut packet,
        server,
        client,
        SERVER_ISN,
        CLIENT_ISN.wrapping_add(1),
        SYN | ACK,
        &[],
    );
    emit(&packet);
    packet.clear();
    build(
        &mut packet,
        client,
        server,
        CLIENT_ISN.wrapping_add(1),
        SERVER_ISN.wrapping_add(1),
        ACK,
        &[],
    );
    emit(&packet);
}

/// Appends an IPv4 or IPv6 packet with a TCP header (no options, zero checksums) to `out`.
/// Mixed address families (which a socket cannot have) are written as IPv6 with
/// IPv4-mapped addresses.
fn build(
    out: &mut Vec<u8>,
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) {
    let tcp_len = 20 + payload.len();
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = (20 + tcp_len).min(usize::from(u16::MAX)) as u16;
            out.extend_from_slice(&[0x45, 0]);
            out.extend_from_slice(&total.to_be_bytes());
            out.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        (s, d) => {
            let v6 = |ip: IpAddr| match ip {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            out.extend_from_slice(&[0x60, 0, 0, 0]);
            out.extend_from_slice(&(tcp_len.min(usize::from(u16::MAX)) as u16).to_be_bytes());
            out.extend_from_slice(&[6, 64]);
            out.extend_from_slice(&v6(s).octets());
            out.extend_from_slice(&v6(d).octets());
        }
    }
    out.extend_from_slice(&src.port().to_be_bytes());
    out.extend_from_slice(&dst.port().to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&ack.to_be_bytes());
    out.extend_from_slice(&[0x50, flags]);
    out.extend_from_slice(&u16::MAX.to_be_bytes()); // window
    out.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::{Decoded, LinkType, Transport};

    fn plain(dir: Direction, position: u64, data: &[u8]) -> Plain<'_> {
        Plain {
            monotonic_ns: 0,
            pid: 7,
            tid: 7,
            direction: dir,
            library: 1,
            conn: 0xabc,
            position,
            len: data.len() as u32,
            fd: Some(5),
            cookie: None,
            data,
        }
    }

    fn endpoint() -> Endpoint {
        Endpoint {
            local: "127.0.0.1:40000".parse().unwrap(),
            remote: "127.0.0.1:443".parse().unwrap(),
            local_is_client: true,
        }
    }

    #[test]
    fn fresh_stream_gets_a_handshake_and_segments_at_their_positions() {
        let mut streams = Streams::new();
        let mut packets = Vec::new();
        let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert!(streams.packets(
            &plain(Direction::Egress, 0, req),
            Some(endpoint()),
            &mut |p| packets.push(p.to_vec())
        ));
        assert!(streams.packets(
            &plain(Direction::Ingress, 0, b"HTTP/1.1 200 OK\r\n"),
            None,
            &mut |p| packets.push(p.to_vec())
        ));
        assert_eq!(packets.len(), 5);
        let segs: Vec<(u16, u16, u32, u8, usize)> = packets
            .iter()
            .map(|p| match wire::decode(LinkType::Raw, p) {
                Ok(Decoded::Ip(ip)) => match ip.transport {
                    Transport::Tcp(t) => {
                        (t.src_port, t.dst_port, t.seq, t.flags.0, t.payload.len())
                    }
                    _ => panic!("not TCP"),
                },
                other => panic!("not IP: {other:?}"),
            })
            .collect();
        assert_eq!(segs[0], (40000, 443, CLIENT_ISN, SYN, 0));
        assert_eq!(segs[1].3, SYN | ACK);
        assert_eq!(segs[3], (40000, 443, CLIENT_ISN + 1, PSH | ACK, req.len()));
        assert_eq!(segs[4], (443, 40000, SERVER_ISN + 1, PSH | ACK, 17));
    }

    #[test]
    fn unresolved_or_joined_late() {
        let mut streams = Streams::new();
        let mut n = 0;
        assert!(!streams.packets(&plain(Direction::Egress, 0, b"x"), None, &mut |_| n += 1));
        assert_eq!(n, 0);
        // Joined at position 100: no handshake, the segment says where it is.
        let mut seqs = Vec::new();
        streams.packets(
            &plain(Direction::Egress, 100, b"GET"),
            Some(endpoint()),
            &mut |p| {
                if let Ok(Decoded::Ip(ip)) = wire::decode(LinkType::Raw, p) {
                    if let Transport::Tcp(t) = ip.transport {
                        seqs.push(t.seq);
                    }
                }
            },
        );
        assert_eq!(seqs, vec![CLIENT_ISN + 101]);
        assert!(streams.known(7, 0xabc));
        // The same object serves a new connection: handshake again, positions from there.
        streams.restart(7, 0xabc);
        let mut segs = Vec::new();
        streams.packets(
            &plain(Direction::Egress, 500, b"GET"),
            Some(endpoint()),
            &mut |p| {
                if let Ok(Decoded::Ip(ip)) = wire::decode(LinkType::Raw, p) {
                    if let Transport::Tcp(t) = ip.transport {
                        segs.push((t.seq, t.flags.0));
                    }
                }
            },
        );
        assert_eq!(segs.len(), 4);
        assert_eq!(segs[0], (CLIENT_ISN, SYN));
        assert_eq!(segs[3], (CLIENT_ISN + 1, PSH | ACK));
        streams.forget_pid(7);
        assert!(streams.is_empty());
    }

    #[test]
    fn the_engine_reads_http_from_the_synthetic_stream() {
        let mut engine = engine::Engine::new(engine::EngineConfig::default());
        let mut streams = Streams::new();
        let mut events = Vec::new();
        let mut feed = |p: &Plain<'_>, e: Option<Endpoint>, ts: i64| {
            let mut packets = Vec::new();
            streams.packets(p, e, &mut |b| packets.push(b.to_vec()));
            for b in packets {
                engine.packet(model::Timestamp(ts), LinkType::Raw, &b, &mut |ev| {
                    events.push(ev)
                });
            }
        };
        let req = b"GET /probe HTTP/1.1\r\nHost: example.test\r\n\r\n";
        feed(&plain(Direction::Egress, 0, req), Some(endpoint()), 1_000);
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        feed(&plain(Direction::Ingress, 0, &resp[..20]), None, 2_000);
        feed(&plain(Direction::Ingress, 20, &resp[20..]), None, 3_000);
        let mut fins = Vec::new();
        streams.close(7, 0xabc, &mut |b| fins.push(b.to_vec()));
        assert_eq!(fins.len(), 2);
        // Late records of the closed connection are dropped, not made into a new stream.
        let mut late = 0;
        streams.packets(
            &plain(Direction::Egress, req.len() as u64, b"xx"),
            None,
            &mut |_| late += 1,
        );
        assert_eq!((late, streams.after_close), (0, 2));
        for b in fins {
            engine.packet(model::Timestamp(2_500), LinkType::Raw, &b, &mut |ev| {
                events.push(ev)
            });
        }
        let t = events
            .iter()
            .find_map(|e| match e {
                engine::Event::Transaction(t) => Some(t),
                _ => None,
            })
            .expect("a transaction");
        // The FINs closed the connection: the engine reported it.
        assert!(events
            .iter()
            .any(|e| matches!(e, engine::Event::Connection(c) if c.transactions == 1)));
        assert_eq!(t.url, "http://example.test/probe");
        assert_eq!(t.status(), 200);
        assert!(t.incomplete.is_empty(), "{:?}", t.incomplete);
    }
}
