//! The flow table: which connection a segment belongs to, who is client and server, the
//! handshake, and the lifetime of every connection.
//!
//! Owns every open connection in a slab linked into a least-recently-active list, indexed by a
//! direction-independent key in one `HashMap` (one FxHash lookup per segment). Rules enforced:
//!
//! - **Creation**: a segment of an unknown flow opens a connection only when it has a SYN or
//!   carries payload (and is not a RST). Late ACKs, FINs and RSTs of flows already closed are
//!   ignored and not counted. Ids are `ConnectionId(1)`, `(2)`, … in order of first packet.
//! - **Roles**: the sender of a SYN is the client; the destination of a first-seen SYN-ACK is
//!   the client. Mid-stream (`mid_stream` is counted), the server is the side with a port
//!   below 1024 when exactly one is; else the lower port when exactly one of the two ports is
//!   ephemeral (≥ 32768); else the destination of the first packet.
//! - **Port reuse**: a SYN (or SYN-ACK) that is not a retransmission of this connection's own
//!   SYN (same sender, same ISN, no FIN seen yet) closes the connection and opens a new one.
//! - **Handshake**: only for connections whose first packet is a SYN or SYN-ACK (a SYN captured
//!   after the connection's data is used for its ISN only). The first SYN's time is kept
//!   (retransmissions don't move it), then the first SYN-ACK's; the handshake completes with the client's first ACK of the server's ISN+1, or
//!   its first payload after the SYN-ACK (or after the SYN when no SYN-ACK was captured).
//!   `Handshake` is emitted once, before any data of the completing segment. A payload-less
//!   SYN or SYN-ACK repeating the one seen (same ISN) counts in `retransmitted_segments`.
//! - **Acknowledgements**: the acknowledgement number of every segment with the ACK flag (RST
//!   included) is handed to the peer direction's stream before the segment's own payload, so
//!   capture loss the peer acknowledged is reported (Gap, then the buffered data behind it)
//!   before anything this segment delivers (rules in the `stream` module).
//! - **Closing**: RST closes at once (holes become gaps; `End{reset: true}` for the sender);
//!   two `End`s close; closed connections leave the table at once. When the table holds
//!   `max_connections` (at least 1), opening another first closes the least recently active;
//!   a later packet of it with payload starts a new, mid-stream connection.
//! - **Close timestamps**: events emitted while closing carry the time of the connection's
//!   last packet (for FIN/RST that is the closing packet).
//! - IPv6 flow labels are ignored: addresses are stored and reported with `flowinfo` 0, so both
//!   directions of a flow map to one key.

use crate::hash::FxHasher;
use crate::stream::{Stream, Tag};
use crate::{FlowConfig, FlowEvent};
use model::{ConnectionId, Direction, Handshake, TcpStats, Timestamp};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::net::SocketAddr;

/// "No slot" in the recency list.
const NIL: usize = usize::MAX;

/// One end of a flow in a form that is cheap to order, compare and hash: the address (IPv4
/// zero-extended), then port, IPv6 scope and family packed in one word. IPv6 flow labels are
/// left out, so both directions of a flow agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Endpoint {
    ip: u128,
    port_scope_family: u64,
}

impl Endpoint {
    fn of(addr: SocketAddr) -> Endpoint {
        match addr {
            SocketAddr::V4(a) => Endpoint {
                ip: u128::from(a.ip().to_bits()),
                port_scope_family: u64::from(a.port()),
            },
            SocketAddr::V6(a) => Endpoint {
                ip: a.ip().to_bits(),
                port_scope_family: 1 << 48 | u64::from(a.scope_id()) << 16 | u64::from(a.port()),
            },
        }
    }
}

/// Both endpoints of a flow, in a canonical order so both directions find the same entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FlowKey {
    lo: Endpoint,
    hi: Endpoint,
}

impl FlowKey {
    fn new(a: Endpoint, b: Endpoint) -> FlowKey {
        if a <= b {
            FlowKey { lo: a, hi: b }
        } else {
            FlowKey { lo: b, hi: a }
        }
    }
}

/// `addr` without its IPv6 flow label.
fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(mut a) => {
            a.set_flowinfo(0);
            SocketAddr::V6(a)
        }
        v4 => v4,
    }
}

/// Which side of a connection is the server when no SYN was seen.
fn mid_stream_server(src: SocketAddr, dst: SocketAddr) -> SocketAddr {
    let (sp, dp) = (src.port(), dst.port());
    if (sp < 1024) != (dp < 1024) {
        return if sp < 1024 { src } else { dst };
    }
    if sp >= 1024 && dp >= 1024 && (sp >= 32768) != (dp >= 32768) {
        return if sp < dp { src } else { dst };
    }
    dst
}

/// One open connection.
#[derive(Debug)]
struct Conn {
    key: FlowKey,
    id: ConnectionId,
    /// The client's end: segments from it go client→server.
    client: Endpoint,
    /// Time of the last packet.
    last_ts: Timestamp,
    /// Indexed by [`Direction::index`].
    streams: [Stream; 2],
    /// Timestamps of the handshake; only kept when the first packet was a SYN or SYN-ACK.
    handshake: Handshake,
    /// `Handshake` was emitted, or will never be (mid-stream connection).
    handshake_done: bool,
    client_isn: Option<u32>,
    server_isn: Option<u32>,
}

impl Conn {
    /// Whether a segment with SYN from `src` belongs to this connection (a retransmission or a
    /// late copy of its own SYN / SYN-ACK) rather than starting a new one.
    fn owns_syn(&self, src: Endpoint, seq: u32, syn_ack: bool) -> bool {
        if self.streams.iter().any(|s| s.fin_seen() || s.ended()) {
            return false;
        }
        let (dir, isn) = if syn_ack {
            (Direction::ServerToClient, self.server_isn)
        } else {
            (Direction::ClientToServer, self.client_isn)
        };
        let from_sender = (src == self.client) == (dir == Direction::ClientToServer);
        from_sender
            && match isn {
                Some(isn) => isn == seq,
                None => self.streams[dir.index()]
                    .base()
                    .is_none_or(|b| b == seq.wrapping_add(1)),
            }
    }

    /// Whether a SYN (or SYN-ACK when `syn_ack`) with sequence number `seq` in direction `dir`
    /// repeats one already seen on this connection.
    fn repeats_syn(&self, dir: Direction, seq: u32, syn_ack: bool) -> bool {
        match (dir, syn_ack) {
            (Direction::ClientToServer, false) => {
                self.handshake.syn.is_some() && self.client_isn == Some(seq)
            }
            (Direction::ServerToClient, true) => self.server_isn == Some(seq),
            _ => false,
        }
    }

    /// Records SYN/SYN-ACK/ACK facts of a segment in direction `dir`; returns whether the
    /// handshake just completed.
    fn track_handshake(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        seg: &wire::TcpSegment<'_>,
        has_payload: bool,
    ) -> bool {
        let f = seg.flags;
        match dir {
            Direction::ClientToServer if f.syn() && !f.ack() => {
                if !self.handshake_done {
                    self.handshake.syn.get_or_insert(ts);
                }
                self.client_isn.get_or_insert(seg.seq);
                self.streams[0].set_isn(seg.seq);
            }
            Direction::ServerToClient if f.syn() && f.ack() => {
                if !self.handshake_done {
                    self.handshake.syn_ack.get_or_insert(ts);
                }
                self.server_isn.get_or_insert(seg.seq);
                self.streams[1].set_isn(seg.seq);
                // The SYN-ACK acknowledges the client's ISN+1, even when the SYN was missed.
                let client_isn = *self.client_isn.get_or_insert(seg.ack.wrapping_sub(1));
                self.streams[0].set_isn(client_isn);
            }
            Direction::ClientToServer if !f.syn() && !f.rst() && !self.handshake_done => {
                let acks_server = match self.server_isn {
                    Some(isn) => f.ack() && seg.ack == isn.wrapping_add(1),
                    None => f.ack(),
                };
                if acks_server || has_payload {
                    self.handshake.ack = Some(ts);
                    self.handshake_done = true;
                    return true;
                }
            }
            _ => {}
        }
        false
    }
}

/// A slot's neighbours in the recency list. Kept apart from the (large) connections so that
/// moving a slot to the front touches a few small entries, not its neighbours' connections.
#[derive(Clone, Copy, Debug)]
struct Link {
    /// More recently active neighbour.
    prev: usize,
    /// Less recently active neighbour.
    next: usize,
}

/// Tracks TCP connections and reassembles their byte streams into [`FlowEvent`]s.
#[derive(Debug)]
pub struct FlowTable {
    config: FlowConfig,
    index: HashMap<FlowKey, usize, BuildHasherDefault<FxHasher>>,
    /// Slab of connections; `None` marks a free slot (listed in `free`).
    slots: Vec<Option<Conn>>,
    /// Recency links, indexed like `slots`.
    links: Vec<Link>,
    free: Vec<usize>,
    /// Most recently active slot.
    head: usize,
    /// Least recently active slot.
    tail: usize,
    last_id: u64,
    stats: TcpStats,
}

impl FlowTable {
    /// An empty table.
    pub fn new(config: FlowConfig) -> FlowTable {
        FlowTable {
            config,
            index: HashMap::default(),
            slots: Vec::new(),
            links: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            last_id: 0,
            stats: TcpStats::default(),
        }
    }

    /// Counters of everything reassembly saw, skipped or lost.
    pub fn stats(&self) -> &model::TcpStats {
        &self.stats
    }

    /// One TCP segment from `src` to `dst` captured at `ts`.
    pub fn segment(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        seg: &wire::TcpSegment<'_>,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) {
        let (src_end, dst_end) = (Endpoint::of(src), Endpoint::of(dst));
        let key = FlowKey::new(src_end, dst_end);
        let f = seg.flags;
        let claimed = usize::try_from(seg.payload_len).unwrap_or(usize::MAX);
        let data = seg.payload.get(..claimed).unwrap_or(seg.payload);
        let missing = u64::from(seg.payload_len).saturating_sub(data.len() as u64);
        let has_payload = seg.payload_len > 0;

        let slot = match self.index.get(&key).copied() {
            Some(slot) => match self.slots.get(slot).and_then(Option::as_ref) {
                Some(conn) if f.syn() && !conn.owns_syn(src_end, seg.seq, f.ack()) => {
                    self.close(slot, None, out);
                    self.open(key, ts, src, dst, f, out)
                }
                _ => slot,
            },
            None if f.syn() || (has_payload && !f.rst()) => self.open(key, ts, src, dst, f, out),
            None => return,
        };
        self.touch(slot);
        let Some(conn) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        conn.last_ts = ts;
        let dir = if src_end == conn.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        if f.syn() && !has_payload && conn.repeats_syn(dir, seg.seq, f.ack()) {
            self.stats.retransmitted_segments += 1;
        }
        if conn.track_handshake(dir, ts, seg, has_payload) {
            out(FlowEvent::Handshake {
                conn: conn.id,
                handshake: conn.handshake,
            });
        }
        if f.ack() {
            // Before this segment's own payload, so the peer's released bytes come first.
            let peer = dir.reverse();
            let tag = Tag {
                conn: conn.id,
                dir: peer,
                ts,
            };
            conn.streams[peer.index()].ack(tag, seg.ack, &mut self.stats, out);
        }
        if f.rst() {
            self.stats.resets += 1;
            self.close(slot, Some(dir), out);
            return;
        }
        let tag = Tag {
            conn: conn.id,
            dir,
            ts,
        };
        let seq = seg.seq.wrapping_add(u32::from(f.syn()));
        let max = self.config.max_buffer_per_direction;
        conn.streams[dir.index()].segment(
            tag,
            seq,
            data,
            missing,
            f.fin(),
            max,
            &mut self.stats,
            out,
        );
        if conn.streams.iter().all(Stream::ended) {
            self.close(slot, None, out);
        }
    }

    /// End of input: every open connection, in id order, delivers what is buffered (holes
    /// become gaps), ends the directions whose FIN was seen, and closes.
    pub fn finish(&mut self, out: &mut impl FnMut(FlowEvent<'_>)) {
        let mut open: Vec<(ConnectionId, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|c| (c.id, i)))
            .collect();
        open.sort_unstable();
        for (_, slot) in open {
            self.close(slot, None, out);
        }
    }

    /// Starts a connection for a first packet from `src` to `dst`, evicting the least recently
    /// active one if the table is full. Returns its slot.
    fn open(
        &mut self,
        key: FlowKey,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        f: wire::TcpFlags,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) -> usize {
        while self.index.len() >= self.config.max_connections.max(1) && self.tail != NIL {
            self.close(self.tail, None, out);
        }
        self.last_id += 1;
        let id = ConnectionId(self.last_id);
        let client = match (f.syn(), f.ack()) {
            (true, false) => src,
            (true, true) => dst,
            _ if mid_stream_server(src, dst) == src => dst,
            _ => src,
        };
        let (client, server) = if client == src {
            (canonical(src), canonical(dst))
        } else {
            (canonical(dst), canonical(src))
        };
        self.stats.connections += 1;
        if !f.syn() {
            self.stats.mid_stream += 1;
        }
        let conn = Conn {
            key,
            id,
            client: Endpoint::of(client),
            last_ts: ts,
            streams: [Stream::default(), Stream::default()],
            handshake: Handshake::default(),
            handshake_done: !f.syn(),
            client_isn: None,
            server_isn: None,
        };
        let slot = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i) {
                    *s = Some(conn);
                }
                i
            }
            None => {
                self.slots.push(Some(conn));
                self.links.push(Link {
                    prev: NIL,
                    next: NIL,
                });
                self.slots.len() - 1
            }
        };
        self.link_front(slot);
        self.index.insert(key, slot);
        out(FlowEvent::Open {
            conn: id,
            client,
            server,
            ts,
            handshake_seen: f.syn(),
        });
        slot
    }

    /// Removes the connection in `slot`: flushes both directions (`reset` names the side that
    /// sent a RST), then emits `Close`.
    fn close(
        &mut self,
        slot: usize,
        reset: Option<Direction>,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) {
        let Some(mut conn) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.unlink(slot);
        self.free.push(slot);
        self.index.remove(&conn.key);
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let tag = Tag {
                conn: conn.id,
                dir,
                ts: conn.last_ts,
            };
            conn.streams[dir.index()].close(tag, reset == Some(dir), &mut self.stats, out);
        }
        out(FlowEvent::Close {
            conn: conn.id,
            ts: conn.last_ts,
        });
    }

    /// Marks `slot` as the most recently active.
    fn touch(&mut self, slot: usize) {
        if self.head != slot {
            self.unlink(slot);
            self.link_front(slot);
        }
    }

    fn link_front(&mut self, slot: usize) {
        let old_head = self.head;
        if let Some(s) = self.links.get_mut(slot) {
            s.prev = NIL;
            s.next = old_head;
        }
        match self.links.get_mut(old_head) {
            Some(h) => h.prev = slot,
            None => self.tail = slot,
        }
        self.head = slot;
    }

    fn unlink(&mut self, slot: usize) {
        let Some(s) = self.links.get_mut(slot) else {
            return;
        };
        let (prev, next) = (s.prev, s.next);
        s.prev = NIL;
        s.next = NIL;
        match self.links.get_mut(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.links.get_mut(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{data, gap, Ev, C2S, S2C};
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};

    const FIN: u8 = 0x01;
    const SYN: u8 = 0x02;
    const RST: u8 = 0x04;
    const PSH: u8 = 0x08;
    const ACK: u8 = 0x10;

    fn v4(last: u8, port: u16) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::new(10, 0, 0, last), port))
    }

    /// A table plus the owned events it emitted, with a fixed client/server pair.
    struct Harness {
        table: FlowTable,
        events: Vec<Ev>,
        times: Vec<Timestamp>,
        client: SocketAddr,
        server: SocketAddr,
    }

    impl Harness {
        fn new(config: FlowConfig) -> Harness {
            Harness {
                table: FlowTable::new(config),
                events: Vec::new(),
                times: Vec::new(),
                client: v4(1, 40000),
                server: v4(2, 80),
            }
        }

        fn send(
            &mut self,
            ts: i64,
            (src, dst): (SocketAddr, SocketAddr),
            flags: u8,
            seq: u32,
            ack: u32,
            payload: &[u8],
        ) {
            let seg = wire::TcpSegment {
                src_port: src.port(),
                dst_port: dst.port(),
                seq,
                ack,
                flags: wire::TcpFlags(flags),
                window: 65535,
                payload,
                payload_len: payload.len() as u32,
            };
            let (events, times) = (&mut self.events, &mut self.times);
            self.table.segment(Timestamp(ts), src, dst, &seg, &mut |e| {
                events.push(Ev::from(&e));
                times.push(event_ts(&e));
            });
        }

        /// Client → server.
        fn c(&mut self, ts: i64, flags: u8, seq: u32, ack: u32, payload: &[u8]) {
            self.send(ts, (self.client, self.server), flags, seq, ack, payload);
        }

        /// Server → client.
        fn s(&mut self, ts: i64, flags: u8, seq: u32, ack: u32, payload: &[u8]) {
            self.send(ts, (self.server, self.client), flags, seq, ack, payload);
        }

        fn finish(&mut self) {
            let (events, times) = (&mut self.events, &mut self.times);
            self.table.finish(&mut |e| {
                events.push(Ev::from(&e));
                times.push(event_ts(&e));
            });
        }

        fn take(&mut self) -> Vec<Ev> {
            self.times.clear();
            std::mem::take(&mut self.events)
        }

        fn open(&self, conn: u64, handshake_seen: bool) -> Ev {
            Ev::Open {
                conn,
                client: self.client,
                server: self.server,
                handshake_seen,
            }
        }
    }

    fn event_ts(e: &FlowEvent<'_>) -> Timestamp {
        match *e {
            FlowEvent::Open { ts, .. }
            | FlowEvent::Data { ts, .. }
            | FlowEvent::Gap { ts, .. }
            | FlowEvent::End { ts, .. }
            | FlowEvent::Close { ts, .. } => ts,
            FlowEvent::Handshake { handshake, .. } => handshake.ack.unwrap_or_default(),
        }
    }

    fn hs(syn: Option<i64>, syn_ack: Option<i64>, ack: Option<i64>) -> Handshake {
        Handshake {
            syn: syn.map(Timestamp),
            syn_ack: syn_ack.map(Timestamp),
            ack: ack.map(Timestamp),
        }
    }

    fn end(conn: u64, dir: Direction, reset: bool) -> Ev {
        Ev::End { conn, dir, reset }
    }

    /// SYN (ISN 1000) / SYN-ACK (ISN 5000) / ACK at t = 10, 20, 30.
    fn handshake(h: &mut Harness) {
        h.c(10, SYN, 1000, 0, b"");
        h.s(20, SYN | ACK, 5000, 1001, b"");
        h.c(30, ACK, 1001, 5001, b"");
    }

    #[test]
    fn full_connection_lifecycle() {
        let mut h = Harness::new(FlowConfig::default());
        handshake(&mut h);
        h.c(40, PSH | ACK, 1001, 5001, b"GET / HTTP/1.1\r\n\r\n");
        h.s(50, PSH | ACK, 5001, 1019, b"HTTP/1.1 200 OK\r\n\r\n");
        h.c(60, FIN | ACK, 1019, 5020, b"");
        h.s(70, FIN | ACK, 5020, 1020, b"");
        h.c(80, ACK, 1020, 5021, b""); // the last ACK of a closed flow: ignored
        assert_eq!(
            h.events,
            [
                h.open(1, true),
                Ev::Handshake {
                    conn: 1,
                    handshake: hs(Some(10), Some(20), Some(30))
                },
                data(1, C2S, 0, b"GET / HTTP/1.1\r\n\r\n"),
                data(1, S2C, 0, b"HTTP/1.1 200 OK\r\n\r\n"),
                end(1, C2S, false),
                end(1, S2C, false),
                Ev::Close { conn: 1 },
            ]
        );
        assert_eq!(h.times, [10, 30, 40, 50, 60, 70, 70].map(Timestamp));
        let st = h.table.stats();
        assert_eq!(
            (st.connections, st.mid_stream, st.resets, st.gaps),
            (1, 0, 0, 0)
        );
        assert!(
            h.table.index.is_empty() && h.table.free.len() == 1,
            "closed flows leave the table"
        );
    }

    #[test]
    fn syn_retransmission_keeps_the_first_syn_time() {
        let mut h = Harness::new(FlowConfig::default());
        h.c(10, SYN, 1000, 0, b"");
        h.c(1010, SYN, 1000, 0, b"");
        h.s(1020, SYN | ACK, 5000, 1001, b"");
        h.s(1025, SYN | ACK, 5000, 1001, b""); // SYN-ACK retransmitted too
        h.c(1030, ACK, 1001, 5001, b"");
        assert_eq!(
            h.events,
            [
                h.open(1, true),
                Ev::Handshake {
                    conn: 1,
                    handshake: hs(Some(10), Some(1020), Some(1030))
                }
            ]
        );
        assert_eq!(h.table.stats().connections, 1);
        assert_eq!(h.table.stats().retransmitted_segments, 2);
    }

    #[test]
    fn handshake_completes_with_first_data_when_the_ack_is_missing() {
        let mut h = Harness::new(FlowConfig::default());
        h.c(10, SYN, 1000, 0, b"");
        h.s(20, SYN | ACK, 5000, 1001, b"");
        h.c(30, ACK, 1001, 4999, b""); // not an ACK of the SYN-ACK
        h.c(40, PSH | ACK, 1001, 5001, b"hi");
        assert_eq!(
            h.take(),
            [
                h.open(1, true),
                Ev::Handshake {
                    conn: 1,
                    handshake: hs(Some(10), Some(20), Some(40))
                },
                data(1, C2S, 0, b"hi")
            ]
        );
    }

    #[test]
    fn handshake_without_syn_ack_completes_on_the_client_ack() {
        let mut h = Harness::new(FlowConfig::default());
        h.c(10, SYN, 1000, 0, b"");
        h.c(30, ACK, 1001, 5001, b"");
        h.s(40, ACK, 5001, 1001, b"x");
        assert_eq!(
            h.take(),
            [
                h.open(1, true),
                Ev::Handshake {
                    conn: 1,
                    handshake: hs(Some(10), None, Some(30))
                },
                data(1, S2C, 0, b"x")
            ]
        );
    }

    #[test]
    fn syn_ack_first_makes_its_destination_the_client_and_fixes_both_offsets() {
        let mut h = Harness::new(FlowConfig::default());
        h.s(20, SYN | ACK, 5000, 1001, b"");
        h.c(40, ACK, 1005, 5001, b"efgh"); // 4 client bytes before it are missing
        h.s(50, ACK, 5001, 1001, b"ok"); // the server did not get the 4 bytes either
        h.finish();
        assert_eq!(
            h.events,
            [
                h.open(1, true),
                Ev::Handshake {
                    conn: 1,
                    handshake: hs(None, Some(20), Some(40))
                },
                data(1, S2C, 0, b"ok"),
                Ev::Gap {
                    conn: 1,
                    dir: C2S,
                    offset: 0,
                    len: 4
                },
                data(1, C2S, 4, b"efgh"),
                Ev::Close { conn: 1 },
            ]
        );
        assert_eq!(h.table.stats().mid_stream, 0);
        // Close and flushed events carry the time of the connection's last packet.
        assert_eq!(h.times[2..], [50, 50, 50, 50].map(Timestamp));
    }

    #[test]
    fn mid_stream_roles_follow_the_port_rules() {
        let cases = [
            // (src, dst, expected server)
            (v4(2, 80), v4(1, 40000), v4(2, 80)), // well-known source port
            (v4(1, 40000), v4(2, 443), v4(2, 443)), // well-known destination port
            (v4(2, 8080), v4(1, 50000), v4(2, 8080)), // lower port, the other ephemeral
            (v4(1, 50000), v4(2, 60000), v4(2, 60000)), // both ephemeral: destination
            (v4(1, 5000), v4(2, 6000), v4(2, 6000)), // neither ephemeral: destination
            (v4(1, 22), v4(2, 80), v4(2, 80)),    // both well-known: destination
        ];
        for (i, (src, dst, server)) in cases.into_iter().enumerate() {
            let mut h = Harness::new(FlowConfig::default());
            h.send(1, (src, dst), ACK, 7, 9, b"data");
            let client = if server == src { dst } else { src };
            let dir = if client == src { C2S } else { S2C };
            assert_eq!(
                h.events,
                [
                    Ev::Open {
                        conn: 1,
                        client,
                        server,
                        handshake_seen: false
                    },
                    data(1, dir, 0, b"data")
                ],
                "case {i}"
            );
            assert_eq!(
                (h.table.stats().connections, h.table.stats().mid_stream),
                (1, 1)
            );
        }
    }

    #[test]
    fn segments_without_payload_or_syn_do_not_open_connections() {
        let mut h = Harness::new(FlowConfig::default());
        h.c(1, ACK, 1, 1, b"");
        h.c(2, FIN | ACK, 1, 1, b"");
        h.s(3, RST, 1, 1, b"");
        h.s(4, RST | ACK, 1, 1, b"rst text");
        h.finish();
        assert_eq!(h.events, []);
        assert_eq!(h.table.stats().connections, 0);
    }

    #[test]
    fn port_reuse_after_fin_starts_a_new_connection() {
        let mut h = Harness::new(FlowConfig::default());
        handshake(&mut h);
        h.c(40, FIN | ACK, 1001, 5001, b"");
        h.take();
        // A new SYN from the same port while the old connection is half closed.
        h.c(50, SYN, 9000, 0, b"");
        h.s(60, SYN | ACK, 7000, 9001, b"");
        h.c(70, ACK, 9001, 7001, b"");
        assert_eq!(
            h.take(),
            [
                Ev::Close { conn: 1 },
                h.open(2, true),
                Ev::Handshake {
                    conn: 2,
                    handshake: hs(Some(50), Some(60), Some(70))
                }
            ]
        );
        assert_eq!(h.table.stats().connections, 2);
    }

    #[test]
    fn syn_with_a_new_isn_on_an_open_connection_starts_a_new_one() {
        let mut h = Harness::new(FlowConfig::default());
        handshake(&mut h);
        h.c(35, ACK, 1003, 5001, b"cd"); // buffered behind a 2-byte hole
        h.take();
        h.c(50, SYN, 9000, 0, b"");
        assert_eq!(
            h.take(),
            [
                gap(1, C2S, 0, 2),
                data(1, C2S, 2, b"cd"),
                Ev::Close { conn: 1 },
                h.open(2, true)
            ]
        );
        // The same SYN again is a retransmission of connection 2.
        h.c(51, SYN, 9000, 0, b"");
        assert_eq!(h.take(), []);
    }

    #[test]
    fn late_syn_of_a_mid_stream_connection_is_not_a_new_connection() {
        let mut h = Harness::new(FlowConfig::default());
        h.c(10, ACK, 1001, 5001, b"abc");
        h.c(5, SYN, 1000, 0, b""); // captured late: its ISN+1 is the stream's start
        h.c(20, ACK, 1004, 5001, b"d");
        // No Handshake either: the connection did not start with it.
        assert_eq!(
            h.events,
            [
                h.open(1, false),
                data(1, C2S, 0, b"abc"),
                data(1, C2S, 3, b"d")
            ]
        );
    }

    #[test]
    fn rst_flushes_ends_with_reset_and_closes() {
        let mut h = Harness::new(FlowConfig::default());
        handshake(&mut h);
        h.c(40, ACK, 1001, 5001, b"ab");
        h.c(41, ACK, 1005, 5001, b"ef"); // hole at offsets 2..4
        h.s(42, ACK, 5001, 1003, b"x");
        h.s(50, RST | ACK, 5002, 1003, b"");
        h.s(51, RST, 5002, 0, b""); // a second RST: the flow is gone
        let ev = h.take();
        assert_eq!(
            ev[2..],
            [
                data(1, C2S, 0, b"ab"),
                data(1, S2C, 0, b"x"),
                gap(1, C2S, 2, 2),
                data(1, C2S, 4, b"ef"),
                end(1, S2C, true),
                Ev::Close { conn: 1 },
            ]
        );
        let st = h.table.stats();
        assert_eq!(
            (st.resets, st.gaps, st.gap_bytes, st.out_of_order_segments),
            (1, 1, 2, 1)
        );
        assert!(h.table.index.is_empty());
    }

    #[test]
    fn finish_flushes_and_closes_in_id_order() {
        let mut h = Harness::new(FlowConfig::default());
        let (c1, c2, s) = (v4(1, 40001), v4(1, 40002), v4(2, 80));
        h.send(1, (c1, s), SYN, 100, 0, b"");
        h.send(2, (c2, s), SYN, 200, 0, b"");
        h.send(3, (c2, s), ACK, 201, 1, b"a");
        h.send(4, (c1, s), ACK, 103, 1, b"c"); // hole at offsets 0..2
        h.send(5, (c1, s), FIN | ACK, 104, 1, b""); // FIN waits behind the hole
        h.send(6, (s, c2), ACK, 1, 202, b"x");
        h.send(7, (s, c2), FIN | ACK, 4, 202, b""); // c2's server FIN, behind a 2-byte hole
        h.take();
        h.finish();
        assert_eq!(
            h.events,
            [
                gap(1, C2S, 0, 2),
                data(1, C2S, 2, b"c"),
                end(1, C2S, false),
                Ev::Close { conn: 1 },
                gap(2, S2C, 1, 2),
                end(2, S2C, false),
                Ev::Close { conn: 2 },
            ]
        );
        assert_eq!(h.times, [5, 5, 5, 5, 7, 7, 7].map(Timestamp));
        assert!(h.table.index.is_empty());
    }

    #[test]
    fn eviction_closes_the_least_recently_active() {
        let mut h = Harness::new(FlowConfig {
            max_connections: 2,
            ..FlowConfig::default()
        });
        let s = v4(2, 80);
        let clients = [v4(1, 40001), v4(1, 40002), v4(1, 40003)];
        h.send(1, (clients[0], s), SYN, 0, 0, b"");
        h.send(2, (clients[1], s), SYN, 0, 0, b"");
        h.send(3, (clients[0], s), ACK, 1, 1, b"still here"); // connection 1 is now the most recent
        h.take();
        h.send(4, (clients[2], s), SYN, 0, 0, b"");
        assert_eq!(
            h.take(),
            [
                Ev::Close { conn: 2 },
                Ev::Open {
                    conn: 3,
                    client: clients[2],
                    server: s,
                    handshake_seen: true
                }
            ]
        );
        assert_eq!(h.table.index.len(), 2);
        h.send(5, (clients[0], s), ACK, 11, 1, b"!");
        assert_eq!(h.take(), [data(1, C2S, 10, b"!")]);
    }

    #[test]
    fn ten_thousand_interleaved_connections() {
        const N: u16 = 10_000;
        let mut t = FlowTable::new(FlowConfig::default());
        let server = v4(2, 80);
        let client =
            |i: u16| SocketAddr::from((Ipv4Addr::new(10, 1, (i >> 8) as u8, i as u8), 1024 + i));
        let mut received: HashMap<u64, Vec<u8>> = HashMap::new();
        let mut closed = 0u64;
        let mut out = |e: FlowEvent<'_>| match e {
            FlowEvent::Data {
                conn,
                dir: Direction::ClientToServer,
                offset,
                data,
                ..
            } => {
                let buf = received.entry(conn.0).or_default();
                assert_eq!(buf.len() as u64, offset);
                buf.extend_from_slice(data);
            }
            FlowEvent::Close { .. } => closed += 1,
            FlowEvent::Gap { .. } => panic!("no loss in this test"),
            _ => {}
        };
        let isn = |i: u16| u32::MAX - u32::from(i); // many streams wrap
        let seg = |flags: u8, seq: u32, payload: &'static [u8]| wire::TcpSegment {
            src_port: 0,
            dst_port: 0,
            seq,
            ack: 1,
            flags: wire::TcpFlags(flags),
            window: 0,
            payload,
            payload_len: payload.len() as u32,
        };
        let parts: [&'static [u8]; 3] = [b"GET /", b"index", b".html"];
        let ts = Timestamp(1);
        for i in 0..N {
            t.segment(ts, client(i), server, &seg(SYN, isn(i), b""), &mut out);
        }
        // Round-robin, with the last two parts swapped in odd connections.
        let mut offset = 0u32;
        for round in 0..3usize {
            for i in 0..N {
                let part = if i % 2 == 1 && round > 0 {
                    3 - round
                } else {
                    round
                };
                let at = (0..part).map(|p| parts[p].len() as u32).sum::<u32>();
                t.segment(
                    ts,
                    client(i),
                    server,
                    &seg(ACK, isn(i).wrapping_add(1 + at), parts[part]),
                    &mut out,
                );
            }
            offset += parts[round].len() as u32;
        }
        for i in 0..N {
            t.segment(
                ts,
                client(i),
                server,
                &seg(FIN | ACK, isn(i).wrapping_add(1 + offset), b""),
                &mut out,
            );
            t.segment(ts, server, client(i), &seg(FIN | ACK, 77, b""), &mut out);
        }
        assert_eq!(closed, u64::from(N));
        assert_eq!(received.len(), usize::from(N));
        assert!(received.values().all(|v| v == b"GET /index.html"));
        let st = t.stats();
        assert_eq!(
            (st.connections, st.out_of_order_segments, st.gaps),
            (u64::from(N), u64::from(N / 2), 0)
        );
        assert!(t.index.is_empty());
    }

    #[test]
    fn ipv6_flow_labels_do_not_split_a_flow() {
        let mut h = Harness::new(FlowConfig::default());
        let ip = |n| Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, n);
        let a = SocketAddr::V6(SocketAddrV6::new(ip(1), 40000, 0x12345, 0));
        let b = SocketAddr::V6(SocketAddrV6::new(ip(2), 80, 0x54321, 0));
        h.send(1, (a, b), SYN, 0, 0, b"");
        h.send(2, (b, a), SYN | ACK, 0, 1, b"");
        h.send(3, (a, b), ACK, 1, 1, b"x");
        assert_eq!(h.table.stats().connections, 1);
        assert!(
            matches!(h.events[0], Ev::Open { client: SocketAddr::V6(c), .. } if c.flowinfo() == 0 && c.port() == 40000)
        );
        assert_eq!(h.events[2..], [data(1, C2S, 0, b"x")]);
    }

    #[test]
    fn acked_lost_segment_is_a_gap_before_the_acking_side_data() {
        let mut h = Harness::new(FlowConfig::default());
        handshake(&mut h);
        h.c(40, PSH | ACK, 1001, 5001, b"req1");
        h.s(50, ACK, 5001, 1005, b"aaaa");
        // The server's "bbbb" at 5005 was not captured.
        h.s(52, PSH | ACK, 5009, 1005, b"cccc");
        h.take();
        // The client's next request acknowledges all 12 response bytes.
        h.c(60, PSH | ACK, 1005, 5013, b"req2");
        assert_eq!(
            h.events,
            [
                gap(1, S2C, 4, 4),
                data(1, S2C, 8, b"cccc"),
                data(1, C2S, 4, b"req2")
            ]
        );
        // The gap at the ACK's time, the released data at its own capture time.
        assert_eq!(h.times, [60, 52, 60].map(Timestamp));
        let st = h.table.stats();
        assert_eq!(
            (
                st.gaps,
                st.gap_bytes,
                st.overflow_bytes,
                st.out_of_order_segments
            ),
            (1, 4, 0, 1)
        );
        h.take();
        // The lost segment seen late (e.g. captured elsewhere) is dropped as old.
        h.s(70, ACK, 5005, 1009, b"bbbb");
        assert_eq!(h.take(), []);
        assert_eq!(h.table.stats().retransmitted_segments, 1);
    }

    #[test]
    fn acked_lost_last_segment_is_a_gap_at_once() {
        let mut h = Harness::new(FlowConfig::default());
        handshake(&mut h);
        h.c(40, PSH | ACK, 1001, 5001, b"req1");
        h.s(50, ACK, 5001, 1005, b"aaaa");
        // "bbbb" (the end of the response) was not captured; the client's pure ACK covers it.
        h.take();
        h.c(60, ACK, 1005, 5009, b"");
        assert_eq!(h.take(), [gap(1, S2C, 4, 4)]);
        h.c(70, PSH | ACK, 1005, 5009, b"req2");
        h.s(80, ACK, 5009, 1009, b"cc");
        assert_eq!(h.take(), [data(1, C2S, 4, b"req2"), data(1, S2C, 8, b"cc")]);
    }

    #[test]
    fn acks_of_syn_and_fin_make_no_gap() {
        let mut h = Harness::new(FlowConfig::default());
        handshake(&mut h); // both SYNs acknowledged (ISN+1)
        h.s(40, PSH | ACK, 5001, 1001, b"bye");
        h.s(41, FIN | ACK, 5004, 1001, b"");
        h.c(50, ACK, 1001, 5005, b""); // acknowledges the FIN
        h.c(51, PSH | ACK, 1001, 5005, b"x");
        // The client's own FIN was not captured, but the server acknowledges it.
        h.s(60, ACK, 5005, 1003, b"");
        h.finish();
        assert_eq!(
            h.events[2..],
            [
                data(1, S2C, 0, b"bye"),
                end(1, S2C, false),
                data(1, C2S, 0, b"x"),
                Ev::Close { conn: 1 },
            ]
        );
        assert_eq!(h.table.stats().gaps, 0);
    }

    #[test]
    fn acked_hole_releases_the_fin_behind_it_and_closes() {
        let mut h = Harness::new(FlowConfig::default());
        handshake(&mut h);
        h.c(40, FIN | ACK, 1001, 5001, b"");
        h.s(50, ACK, 5001, 1002, b"ab");
        // The server's "cd" was lost; its FIN at 5005 was captured.
        h.s(51, FIN | ACK, 5005, 1002, b"");
        h.take();
        h.c(60, ACK, 1002, 5006, b"");
        assert_eq!(
            h.take(),
            [gap(1, S2C, 2, 2), end(1, S2C, false), Ev::Close { conn: 1 }]
        );
        assert!(h.table.index.is_empty());
    }

    #[test]
    fn fin_both_ways_with_data_on_the_fin_segments() {
        let mut h = Harness::new(FlowConfig::default());
        handshake(&mut h);
        h.s(40, FIN | ACK, 5001, 1001, b"bye"); // server speaks and closes first
        h.c(50, FIN | ACK, 1001, 5005, b"ok");
        let ev = h.take();
        assert_eq!(
            ev[2..],
            [
                data(1, S2C, 0, b"bye"),
                end(1, S2C, false),
                data(1, C2S, 0, b"ok"),
                end(1, C2S, false),
                Ev::Close { conn: 1 }
            ]
        );
    }
}
