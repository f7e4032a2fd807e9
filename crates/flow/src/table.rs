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
//! - **Handshake**: the first SYN's time is kept (retransmissions don't move it), then the first
//!   SYN-ACK's; the handshake completes with the client's first ACK of the server's ISN+1, or
//!   its first payload after the SYN-ACK (or after the SYN when no SYN-ACK was captured).
//!   `Handshake` is emitted once, before any data of the completing segment.
//! - **Closing**: RST closes at once (holes become gaps; `End{reset: true}` for the sender);
//!   two `End`s close; closed connections leave the table at once. When the table holds
//!   `max_connections` (at least 1), opening another first closes the least recently active.
//! - **Close timestamps**: events emitted while closing carry the time of the connection's
//!   last packet (for FIN/RST that is the closing packet).
//! - IPv6 flow labels are ignored: addresses are stored and reported with `flowinfo` 0, so both
//!   directions of a flow map to one key.

use crate::hash::FxHasher;
use crate::stream::{Stream, Tag};
use crate::{FlowConfig, FlowEvent};
use model::{ConnectionId, Direction, Handshake, TcpStats, Timestamp};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::net::SocketAddr;

/// "No slot" in the recency list.
const NIL: usize = usize::MAX;

/// Both endpoints of a flow, in a canonical order so both directions find the same entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FlowKey {
    lo: SocketAddr,
    hi: SocketAddr,
}

impl FlowKey {
    fn new(a: SocketAddr, b: SocketAddr) -> FlowKey {
        if a <= b {
            FlowKey { lo: a, hi: b }
        } else {
            FlowKey { lo: b, hi: a }
        }
    }
}

impl Hash for FlowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Fewer, wider words than the derived impl: two or three multiplies per address.
        for addr in [self.lo, self.hi] {
            match addr {
                SocketAddr::V4(a) => {
                    state.write_u64(u64::from(a.ip().to_bits()) << 16 | u64::from(a.port()))
                }
                SocketAddr::V6(a) => {
                    state.write_u128(a.ip().to_bits());
                    state.write_u64(u64::from(a.scope_id()) << 16 | u64::from(a.port()));
                }
            }
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
    client: SocketAddr,
    /// Time of the last packet.
    last_ts: Timestamp,
    /// Indexed by [`Direction::index`].
    streams: [Stream; 2],
    handshake: Handshake,
    handshake_done: bool,
    client_isn: Option<u32>,
    server_isn: Option<u32>,
}

impl Conn {
    /// Whether a segment with SYN from `src` belongs to this connection (a retransmission or a
    /// late copy of its own SYN / SYN-ACK) rather than starting a new one.
    fn owns_syn(&self, src: SocketAddr, seq: u32, syn_ack: bool) -> bool {
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
                self.handshake.syn.get_or_insert(ts);
                self.client_isn.get_or_insert(seg.seq);
                self.streams[0].set_isn(seg.seq);
            }
            Direction::ServerToClient if f.syn() && f.ack() => {
                self.handshake.syn_ack.get_or_insert(ts);
                self.server_isn.get_or_insert(seg.seq);
                self.streams[1].set_isn(seg.seq);
                // The SYN-ACK acknowledges the client's ISN+1, even when the SYN was missed.
                let client_isn = *self.client_isn.get_or_insert(seg.ack.wrapping_sub(1));
                self.streams[0].set_isn(client_isn);
            }
            Direction::ClientToServer if !f.syn() && !f.rst() && !self.handshake_done => {
                let started = self.handshake.syn.is_some() || self.handshake.syn_ack.is_some();
                let acks_server = match self.server_isn {
                    Some(isn) => f.ack() && seg.ack == isn.wrapping_add(1),
                    None => f.ack(),
                };
                if started && (acks_server || has_payload) {
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

/// A slab entry: a connection (or a free slot) and its links in the recency list.
#[derive(Debug)]
struct Slot {
    conn: Option<Conn>,
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
    slots: Vec<Slot>,
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
        let (src, dst) = (canonical(src), canonical(dst));
        let key = FlowKey::new(src, dst);
        let f = seg.flags;
        let claimed = usize::try_from(seg.payload_len).unwrap_or(usize::MAX);
        let data = seg.payload.get(..claimed).unwrap_or(seg.payload);
        let missing = u64::from(seg.payload_len).saturating_sub(data.len() as u64);
        let has_payload = seg.payload_len > 0;

        let slot = match self.index.get(&key).copied() {
            Some(slot) => match self.slots.get(slot).and_then(|s| s.conn.as_ref()) {
                Some(conn) if f.syn() && !conn.owns_syn(src, seg.seq, f.ack()) => {
                    self.close(slot, None, out);
                    self.open(key, ts, src, dst, f, out)
                }
                _ => slot,
            },
            None if f.syn() || (has_payload && !f.rst()) => self.open(key, ts, src, dst, f, out),
            None => return,
        };
        self.touch(slot);
        let Some(conn) = self.slots.get_mut(slot).and_then(|s| s.conn.as_mut()) else {
            return;
        };
        conn.last_ts = ts;
        let dir = if src == conn.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        if conn.track_handshake(dir, ts, seg, has_payload) {
            out(FlowEvent::Handshake {
                conn: conn.id,
                handshake: conn.handshake,
            });
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
            .filter_map(|(i, s)| s.conn.as_ref().map(|c| (c.id, i)))
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
        let server = if client == src { dst } else { src };
        self.stats.connections += 1;
        if !f.syn() {
            self.stats.mid_stream += 1;
        }
        let conn = Conn {
            key,
            id,
            client,
            last_ts: ts,
            streams: [Stream::default(), Stream::default()],
            handshake: Handshake::default(),
            handshake_done: false,
            client_isn: None,
            server_isn: None,
        };
        let slot = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i) {
                    s.conn = Some(conn);
                }
                i
            }
            None => {
                self.slots.push(Slot {
                    conn: Some(conn),
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
        let Some(mut conn) = self.slots.get_mut(slot).and_then(|s| s.conn.take()) else {
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
        if let Some(s) = self.slots.get_mut(slot) {
            s.prev = NIL;
            s.next = old_head;
        }
        match self.slots.get_mut(old_head) {
            Some(h) => h.prev = slot,
            None => self.tail = slot,
        }
        self.head = slot;
    }

    fn unlink(&mut self, slot: usize) {
        let Some(s) = self.slots.get_mut(slot) else {
            return;
        };
        let (prev, next) = (s.prev, s.next);
        s.prev = NIL;
        s.next = NIL;
        match self.slots.get_mut(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.slots.get_mut(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }
}
