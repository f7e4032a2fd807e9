//! Fuzzing support, not part of the API: a synthetic-segment interpreter and a checker of the
//! invariants every [`FlowEvent`] sequence must keep.
//!
//! It exists because two places need the same code: the `tcp_reassembly` fuzz target (a
//! separate crate, which cannot import a test file) and `tests/fuzz_corpus.rs`, which replays
//! the committed corpus on stable. It is `#[doc(hidden)]` and may change at any time. Unlike
//! the rest of the crate it panics, on purpose: a panic is how a fuzzer reports a violation.
//!
//! Input: 5-byte records (a trailing partial record is ignored), each one segment:
//! - byte 0: TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20); the
//!   acknowledgement number is the peer's next sequence number (so it covers bytes the input
//!   skipped: capture loss), made stale by the payload length when 0x40 is set and ahead by
//!   it (acking bytes not yet, or never, seen) when 0x80 is set;
//! - byte 1: bits 0–1 the connection (mod 3), bit 2 the direction (1 = from the server
//!   address), bit 3 "snapped" (the IP header claims 8 more bytes than captured), bits 4–7 the
//!   time step since the previous record;
//! - bytes 2–3: a signed little-endian delta added to that sender's next sequence number;
//! - byte 4: the payload length.
//!
//! Payload bytes are not read from the input: the byte at sequence number `s` is `s as u8`, so
//! the checker can verify that every delivered byte sits at its right offset. Initial sequence
//! numbers lie just below 2³² so that streams wrap. The table is small (64-byte buffers, two
//! connections) so overflow and eviction happen.
//!
//! Invariants checked: ids open in order 1, 2, …; no event for a connection before `Open` or
//! after `Close`; per direction, `Data`/`Gap` are non-empty, each starts where the previous
//! ended, and none follows `End`; at most one `End` per direction and one `Handshake`; every
//! connection is closed after `finish`; the gap counters match the `Gap` events.

use crate::{FlowConfig, FlowEvent, FlowTable};
use model::{ConnectionId, Timestamp};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Per-direction state of the checker.
#[derive(Clone, Copy, Debug, Default)]
struct DirCheck {
    next: u64,
    /// `data[i] - (offset + i)` for every delivered byte: the low byte of the stream's base.
    base_byte: Option<u8>,
    ended: bool,
}

/// Per-connection state of the checker.
#[derive(Debug, Default)]
struct ConnCheck {
    dirs: [DirCheck; 2],
    handshake: bool,
    closed: bool,
}

/// Checks the invariants of an event sequence.
#[derive(Debug, Default)]
struct Checker {
    conns: HashMap<ConnectionId, ConnCheck>,
    last_id: u64,
    gaps: u64,
    gap_bytes: u64,
}

impl Checker {
    fn open_conn(&mut self, conn: ConnectionId) -> &mut ConnCheck {
        let c = self
            .conns
            .get_mut(&conn)
            .unwrap_or_else(|| panic!("event for {conn} before Open"));
        assert!(!c.closed, "event for {conn} after Close");
        c
    }

    fn event(&mut self, event: &FlowEvent<'_>) {
        match *event {
            FlowEvent::Open { conn, .. } => {
                assert_eq!(conn.0, self.last_id + 1, "ids open in order");
                self.last_id = conn.0;
                self.conns.insert(conn, ConnCheck::default());
            }
            FlowEvent::Handshake { conn, .. } => {
                let c = self.open_conn(conn);
                assert!(!c.handshake, "second Handshake on {conn}");
                c.handshake = true;
            }
            FlowEvent::Data {
                conn,
                dir,
                offset,
                data,
                ..
            } => {
                let d = &mut self.open_conn(conn).dirs[dir.index()];
                assert!(
                    !d.ended && !data.is_empty(),
                    "empty Data or Data after End on {conn}"
                );
                assert_eq!(offset, d.next, "Data offset on {conn} {dir:?}");
                for (i, &b) in data.iter().enumerate() {
                    let base = b.wrapping_sub(offset.wrapping_add(i as u64) as u8);
                    assert_eq!(
                        *d.base_byte.get_or_insert(base),
                        base,
                        "byte at wrong offset on {conn}"
                    );
                }
                d.next += data.len() as u64;
            }
            FlowEvent::Gap {
                conn,
                dir,
                offset,
                len,
                ..
            } => {
                let d = &mut self.open_conn(conn).dirs[dir.index()];
                assert!(!d.ended && len > 0, "empty Gap or Gap after End on {conn}");
                assert_eq!(offset, d.next, "Gap offset on {conn} {dir:?}");
                d.next += len;
                self.gaps += 1;
                self.gap_bytes += len;
            }
            FlowEvent::End { conn, dir, .. } => {
                let d = &mut self.open_conn(conn).dirs[dir.index()];
                assert!(!d.ended, "second End on {conn}");
                d.ended = true;
            }
            FlowEvent::Close { conn, .. } => self.open_conn(conn).closed = true,
        }
    }
}

/// Runs the interpreter over `input` and panics if any invariant breaks.
pub fn run(input: &[u8]) {
    run_stats(input);
}

/// [`run`], returning the table's counters.
fn run_stats(input: &[u8]) -> model::TcpStats {
    let mut table = FlowTable::new(FlowConfig {
        max_buffer_per_direction: 64,
        max_connections: 2,
    });
    let mut checker = Checker::default();
    // Next sequence number of each sender: [connection][direction].
    let mut cursor = [[0u32; 2]; 3];
    for (i, c) in cursor.iter_mut().enumerate() {
        *c = [0xffff_ff00 + 16 * i as u32, 0xffff_ff80 + 16 * i as u32];
    }
    let mut payload = [0u8; 256];
    let mut ts = 0i64;
    for r in input.chunks_exact(5) {
        let (conn, dir) = (usize::from(r[1] & 3) % 3, usize::from(r[1] >> 2 & 1));
        let snapped = r[1] & 8 != 0;
        ts += i64::from(r[1] >> 4);
        let flags = wire::TcpFlags(r[0] & 0x3f);
        let ack_shift = match r[0] >> 6 {
            1 => u32::from(r[4]).wrapping_neg(),
            2 => u32::from(r[4]),
            _ => 0,
        };
        let seq = cursor[conn][dir].wrapping_add(i16::from_le_bytes([r[2], r[3]]) as u32);
        let len = usize::from(r[4]);
        let data_seq = seq.wrapping_add(u32::from(flags.syn()));
        for (j, b) in payload[..len].iter_mut().enumerate() {
            *b = data_seq.wrapping_add(j as u32) as u8;
        }
        let claimed = len as u32 + if snapped { 8 } else { 0 };
        cursor[conn][dir] = data_seq
            .wrapping_add(claimed)
            .wrapping_add(u32::from(flags.fin()));
        let client = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000 + conn as u16);
        let server = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
        let (src, dst) = if dir == 0 {
            (client, server)
        } else {
            (server, client)
        };
        let seg = wire::TcpSegment {
            src_port: src.port(),
            dst_port: dst.port(),
            seq,
            ack: cursor[conn][1 - dir].wrapping_add(ack_shift),
            flags,
            window: 65535,
            payload: &payload[..len],
            payload_len: claimed,
        };
        table.segment(Timestamp(ts), src, dst, &seg, &mut |e| checker.event(&e));
    }
    table.finish(&mut |e| checker.event(&e));
    for (id, c) in &checker.conns {
        assert!(c.closed, "{id} not closed after finish");
    }
    let stats = table.stats();
    assert_eq!(stats.connections, checker.last_id, "connections counted");
    assert_eq!(
        (stats.gaps, stats.gap_bytes),
        (checker.gaps, checker.gap_bytes),
        "gap counters"
    );
    stats.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Direction;

    /// SYN, SYN-ACK, ACK, 40 bytes each way with the server's split and reordered, FINs.
    static CONVERSATION: [u8; 35] = [
        0x02, 0x10, 0, 0, 0, // SYN
        0x12, 0x14, 0, 0, 0, // SYN-ACK
        0x18, 0x10, 0, 0, 40, // client data
        0x18, 0x14, 20, 0, 20, // server bytes 20..40 first
        0x18, 0x14, 0xd8, 0xff, 20, // then 0..20 (delta -40)
        0x11, 0x10, 0, 0, 0, // client FIN
        0x11, 0x14, 20, 0, 0, // server FIN (delta +20: after both halves)
    ];

    /// A conversation whose server loses segments the client acknowledges (also in the corpus
    /// as `a26c1005…`): a lost middle segment, a stale ack, an ack ahead of everything, a lost
    /// segment before buffered data, then FINs.
    static ACKED_LOSS: [u8; 90] = [
        0x02, 0x10, 0x00, 0x00, 0x00, 0x12, 0x14, 0x00, 0x00, 0x00, 0x10, 0x10, 0x00, 0x00, 0x00,
        0x18, 0x10, 0x00, 0x00, 0x0a, 0x18, 0x14, 0x00, 0x00, 0x14, 0x18, 0x14, 0x14, 0x00, 0x14,
        0x58, 0x10, 0x00, 0x00, 0x0a, 0x18, 0x10, 0x00, 0x00, 0x0a, 0x18, 0x14, 0x00, 0x00, 0x05,
        0x90, 0x10, 0x00, 0x00, 0x03, 0x18, 0x14, 0x00, 0x00, 0x07, 0x18, 0x14, 0x1e, 0x00, 0x04,
        0x10, 0x10, 0x00, 0x00, 0x01, 0x18, 0x14, 0x00, 0x00, 0x06, 0x01, 0x14, 0x00, 0x00, 0x00,
        0x11, 0x10, 0x00, 0x00, 0x00, 0x10, 0x14, 0x00, 0x00, 0x00, 0x10, 0x10, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn interpreter_accepts_a_whole_conversation_and_any_prefix() {
        for end in 0..=CONVERSATION.len() {
            run(&CONVERSATION[..end]);
        }
        run(&[0xff; 64]);
    }

    #[test]
    fn acked_capture_loss_seed_gives_up_holes_without_overflow() {
        let stats = run_stats(&ACKED_LOSS);
        assert_eq!(stats.overflow_bytes, 0);
        assert!(stats.gaps >= 3, "{stats:?}");
    }

    #[test]
    #[should_panic(expected = "Data offset")]
    fn checker_rejects_a_skipped_offset() {
        let mut c = Checker::default();
        let conn = ConnectionId(1);
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        c.event(&FlowEvent::Open {
            conn,
            client: addr,
            server: addr,
            ts: Timestamp(0),
            handshake_seen: false,
        });
        let dir = Direction::ClientToServer;
        c.event(&FlowEvent::Data {
            conn,
            dir,
            ts: Timestamp(0),
            offset: 1,
            data: b"x",
        });
    }

    #[test]
    #[should_panic(expected = "after Close")]
    fn checker_rejects_events_after_close() {
        let mut c = Checker::default();
        let conn = ConnectionId(1);
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        c.event(&FlowEvent::Open {
            conn,
            client: addr,
            server: addr,
            ts: Timestamp(0),
            handshake_seen: false,
        });
        c.event(&FlowEvent::Close {
            conn,
            ts: Timestamp(0),
        });
        c.event(&FlowEvent::Close {
            conn,
            ts: Timestamp(0),
        });
    }
}
