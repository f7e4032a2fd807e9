//! Flow table and TCP reassembly: TCP segments in, ordered byte-stream events out.
//!
//! This crate owns the life of every TCP connection in a capture, from its first packet to
//! its `Close`, and turns its segments into [`FlowEvent`]s the engine feeds to protocol
//! parsers. It is sans-IO: time comes in with the segments, events go out through a callback.
//!
//! Guarantees to consumers, per connection:
//! - `Open` comes first and `Close` last; nothing follows `Close`. Every connection opened is
//!   closed, at the latest by [`FlowTable::finish`].
//! - Per direction, `Data` and `Gap` events tile the stream from offset 0 in order, each
//!   starting where the previous one ended, none empty; `End` (at most one) follows them all.
//! - Bytes are delivered once, first-seen bytes winning over later retransmissions.
//! - A hole the peer has acknowledged (the bytes were received but not captured) becomes a
//!   `Gap` as soon as the acknowledgement is seen, not when the connection closes, so both
//!   directions stay in causal order.
//! - In-order segments are delivered as slices of the packet, without copying or allocating;
//!   only out-of-order data is copied, bounded by [`FlowConfig::max_buffer_per_direction`].
//!
//! The rules for connections, roles and the handshake are in the `table` module's documentation;
//! the rules for sequence numbers, overlaps, holes and FINs in the `stream` module's.

#[doc(hidden)]
pub mod fuzzing;
mod hash;
mod stream;
mod table;
#[cfg(test)]
mod testutil;

pub use table::FlowTable;

use model::{ConnectionId, Direction, Timestamp};
use std::net::SocketAddr;

/// Limits of the flow table. Every bound, when hit, is counted in [`model::TcpStats`].
#[derive(Clone, Debug)]
pub struct FlowConfig {
    /// Bytes of out-of-order data buffered per direction before the hole is given up as a gap
    /// (default 4 MiB).
    pub max_buffer_per_direction: usize,
    /// Open connections tracked at once; beyond it the least recently active is closed
    /// (default 1_000_000; 0 is treated as 1).
    pub max_connections: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_buffer_per_direction: 4 << 20,
            max_connections: 1_000_000,
        }
    }
}

/// What happened on a connection, in the order it happened.
#[derive(Debug)]
pub enum FlowEvent<'a> {
    /// First packet of a new connection. `handshake_seen` is true when it starts with a SYN
    /// (or SYN-ACK).
    Open {
        /// The new connection.
        conn: ConnectionId,
        /// The side that opened it (or is believed to have).
        client: SocketAddr,
        /// Its peer.
        server: SocketAddr,
        /// Capture time of the first packet.
        ts: Timestamp,
        /// Whether the first packet was a SYN or SYN-ACK.
        handshake_seen: bool,
    },
    /// The three-way handshake completed (client ACK seen, or the first data after the
    /// SYN-ACK): timestamps of SYN, SYN-ACK, ACK.
    Handshake {
        /// The connection.
        conn: ConnectionId,
        /// What was seen of the handshake.
        handshake: model::Handshake,
    },
    /// In-order bytes at stream `offset` (bytes since the first payload byte of that
    /// direction; offsets are u64 so they never wrap). `ts` = capture time of the packet that
    /// made them deliverable, except for buffered bytes released because the hole before them
    /// was given up (acknowledged capture loss, buffer overflow): they carry their own capture
    /// time, which may be earlier than events already emitted.
    Data {
        /// The connection.
        conn: ConnectionId,
        /// Which way the bytes went.
        dir: Direction,
        /// Capture time of the packet that made them deliverable (or, when released by a
        /// given-up hole, of the packet that carried them).
        ts: Timestamp,
        /// Stream offset of `data[0]`.
        offset: u64,
        /// The bytes: a slice of the packet when it arrived in order.
        data: &'a [u8],
    },
    /// `len` bytes at `offset` are missing from the capture and will never be delivered.
    Gap {
        /// The connection.
        conn: ConnectionId,
        /// Which way the missing bytes went.
        dir: Direction,
        /// Capture time of the packet (the acknowledgement, the overflowing segment, or the
        /// close) that gave up on them.
        ts: Timestamp,
        /// Stream offset of the first missing byte.
        offset: u64,
        /// Number of missing bytes (never 0).
        len: u64,
    },
    /// FIN (reset = false) or RST (reset = true) in this direction, after all of its data.
    End {
        /// The connection.
        conn: ConnectionId,
        /// The direction that ended.
        dir: Direction,
        /// Capture time.
        ts: Timestamp,
        /// Whether it ended with a RST.
        reset: bool,
    },
    /// The connection left the table (both FINs, RST, eviction, or finish); no more events for
    /// it.
    Close {
        /// The connection.
        conn: ConnectionId,
        /// Capture time of its last packet.
        ts: Timestamp,
    },
}
