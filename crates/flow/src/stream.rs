//! One direction of a TCP connection: sequence numbers in, ordered stream events out.
//!
//! Owns the mapping from 32-bit sequence numbers to 64-bit stream offsets, the out-of-order
//! buffer, and the FIN position of one direction. Rules enforced here:
//!
//! - **Offsets**: offset 0 is ISN+1 when the SYN (or, for the client, the SYN-ACK's
//!   acknowledgement) was seen, else the sequence number of the first segment carrying
//!   payload or FIN. A sequence number is unwrapped to the offset nearest to the delivery
//!   point (within ±2³¹), so wrap-around of the 32-bit space is invisible to consumers.
//!   Bytes before offset 0 are dropped.
//! - **Delivery**: `next` is the offset of the first byte not yet delivered or reported as a
//!   gap. Every event advances it by exactly its length, so for each direction the
//!   [`FlowEvent::Data`] and [`FlowEvent::Gap`] events tile the stream from 0 without overlap,
//!   and no event is empty.
//! - **Zero copy in order**: a segment starting at `next` is delivered as slices of the
//!   packet; only bytes ahead of a hole are copied into the buffer.
//! - **First-seen bytes win**: bytes already delivered are never delivered again, and a new
//!   segment overlapping buffered bytes contributes only the bytes nobody sent before
//!   (retransmissions and overlaps count once per segment in `retransmitted_segments`).
//! - **Snapped segments**: bytes the IP header claims but the capture lacks are kept as a
//!   "missing" range and reported as a Gap when delivery reaches them.
//! - **Buffer bound**: when buffered captured bytes exceed `max_buffer`, the first hole is given
//!   up: a Gap is reported for it, and buffered data up to the next hole is delivered; repeated
//!   until the buffer fits. `overflow_bytes` counts the bytes of such holes, i.e. the bytes we
//!   stopped waiting for (they are in `gaps`/`gap_bytes` too); a retransmission filling them
//!   later is dropped as already passed.
//! - **Acknowledged capture loss** (Wireshark's "ACKed segment that wasn't captured"): the
//!   highest acknowledgement the peer sent is kept as an offset of this direction (unwrapped
//!   like sequence numbers; ignored until the base is known, when not beyond `next`, and when
//!   more than 2³⁰ beyond it). Bytes the peer acknowledged were received, so a hole below the
//!   acknowledged offset will never be filled: when the ACK-carrying segment is processed
//!   (before its own payload), every hole up to `min(ack, FIN)` becomes a Gap at once, and the
//!   buffered data between them is delivered as on overflow (counted in `gaps`/`gap_bytes`,
//!   not in `overflow_bytes`). With nothing buffered the Gap reaches the acknowledged offset
//!   at once, so the next data is contiguous; except that exactly one acknowledged position
//!   past everything, with no FIN seen, is taken for the uncaptured FIN (which takes a
//!   sequence number but no stream byte) and held: it becomes a Gap only if a later segment
//!   lies beyond it. A segment arriving beyond an already-acknowledged hole releases it the
//!   same way. The SYN needs no care: offset 0 is ISN+1. Caveat: data captured *after* its
//!   own acknowledgement (merged captures, cross-interface reordering) has already been
//!   reported as a Gap and is dropped like a late retransmission.
//! - **Timestamps**: `Data` of a segment delivered on arrival, or of buffered segments made
//!   contiguous by a late (reordered) segment filling the hole, carries that arriving
//!   packet's time. Buffered data released because a hole was given up (acknowledged loss or
//!   buffer overflow) carries its own capture time, so it can be earlier than the `Gap`
//!   before it, whose time is the packet that gave up (the ACK, or the overflowing segment).
//!   Events emitted while closing carry the close's time (see the `table` module).
//! - **Retransmitted FINs**: a bare FIN after the first one is counted in
//!   `retransmitted_segments` and otherwise ignored.
//! - **FIN**: the first FIN seen fixes the end of the stream. `End` is emitted once delivery
//!   reaches it; when the connection closes earlier, the rest up to the FIN becomes a Gap
//!   first. After `End` the direction accepts nothing more.

use crate::FlowEvent;
use model::{ConnectionId, Direction, TcpStats, Timestamp};
use std::collections::BTreeMap;

/// Who the events of one stream belong to, and when they happen.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tag {
    pub conn: ConnectionId,
    pub dir: Direction,
    pub ts: Timestamp,
}

/// Acknowledgements further than this beyond the delivery point are ignored as bogus: a real
/// sender never has more than the largest TCP window (2³⁰ bytes) unacknowledged.
const MAX_ACK_AHEAD: i32 = 1 << 30;

/// What a buffered chunk holds.
#[derive(Debug)]
enum Kind {
    /// Copied bytes ahead of a hole.
    Bytes(Vec<u8>),
    /// A range the capture snapped away.
    Missing(u64),
}

/// A buffered chunk and the capture time of the segment it came from.
#[derive(Debug)]
struct Chunk {
    ts: Timestamp,
    kind: Kind,
}

impl Chunk {
    fn len(&self) -> u64 {
        match &self.kind {
            Kind::Bytes(b) => b.len() as u64,
            Kind::Missing(n) => *n,
        }
    }
}

/// A run of stream positions from one segment: captured bytes, then `missing` more bytes the
/// capture did not keep.
#[derive(Clone, Copy, Debug)]
struct Piece<'a> {
    start: u64,
    data: &'a [u8],
    missing: u64,
}

impl<'a> Piece<'a> {
    const EMPTY: Piece<'static> = Piece {
        start: 0,
        data: &[],
        missing: 0,
    };

    fn data_end(&self) -> u64 {
        self.start.saturating_add(self.data.len() as u64)
    }

    fn end(&self) -> u64 {
        self.data_end().saturating_add(self.missing)
    }

    /// The part of this piece within `[from, to)`: its captured bytes, then its missing length.
    fn part(&self, from: u64, to: u64) -> (&'a [u8], u64) {
        let (a, b) = (from.max(self.start), to.min(self.end()));
        if a >= b {
            return (&[], 0);
        }
        let data_end = self.data_end();
        let bytes = if a < data_end {
            let lo = usize::try_from(a - self.start).unwrap_or(usize::MAX);
            let hi = usize::try_from(b.min(data_end) - self.start).unwrap_or(usize::MAX);
            self.data.get(lo..hi).unwrap_or(&[])
        } else {
            &[]
        };
        (bytes, b.saturating_sub(a.max(data_end)))
    }
}

/// Reassembly state of one direction.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    /// Sequence number of offset 0, once known.
    base: Option<u32>,
    /// Offset of the first byte not yet delivered or reported missing.
    next: u64,
    /// Chunks ahead of `next`, keyed by offset; they never overlap and all start after `next`.
    pending: BTreeMap<u64, Chunk>,
    /// Captured bytes held in `pending`.
    buffered: usize,
    /// Offset of the FIN, once seen.
    fin: Option<u64>,
    /// Highest offset the peer acknowledged (0 until an ACK beyond `next` is seen). Only
    /// meaningful while `acked > next`: bytes up to it were received by the peer.
    acked: u64,
    /// `End` was emitted (or the connection closed): nothing more is accepted.
    ended: bool,
}

impl Stream {
    /// The sequence number of offset 0, once known.
    pub fn base(&self) -> Option<u32> {
        self.base
    }

    /// Whether a FIN was seen in this direction.
    pub fn fin_seen(&self) -> bool {
        self.fin.is_some()
    }

    /// Whether `End` was emitted.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// The sender's initial sequence number is `isn`: offset 0 is `isn + 1` unless offsets
    /// were already fixed by earlier segments.
    pub fn set_isn(&mut self, isn: u32) {
        if self.base.is_none() {
            self.base = Some(isn.wrapping_add(1));
        }
    }

    /// One segment whose first payload byte has sequence number `seq`: `data` was captured,
    /// `missing` more bytes were not; `fin` when the segment carries a FIN.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        tag: Tag,
        seq: u32,
        data: &[u8],
        missing: u64,
        fin: bool,
        max_buffer: usize,
        stats: &mut TcpStats,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) {
        let len = (data.len() as u64).saturating_add(missing);
        if len == 0 && (!fin || self.fin.is_some()) {
            if fin {
                // A bare FIN again: the first one already fixed the end of the stream.
                stats.retransmitted_segments += 1;
            }
            return;
        }
        if self.ended {
            return;
        }
        let base = *self.base.get_or_insert(seq);
        // Unwrap relative to `next`: the offset ≡ seq - base (mod 2³²) nearest to it.
        let delta = seq.wrapping_sub(base).wrapping_sub(self.next as u32) as i32;
        let start = i128::from(self.next) + i128::from(delta);
        if fin && self.fin.is_none() {
            // A FIN before what was already delivered is bogus: the stream ends here.
            let at = start
                .saturating_add(i128::from(len))
                .max(i128::from(self.next));
            self.fin = Some(u64::try_from(at).unwrap_or(u64::MAX));
        }
        if len > 0 {
            // Bytes before `next` (or before offset 0) were delivered or are unreachable.
            let from = start.max(i128::from(self.next));
            let skip = u64::try_from(from - start).unwrap_or(u64::MAX);
            let mut repeated = skip > 0;
            if skip < len {
                let piece =
                    clip_front(u64::try_from(from).unwrap_or(u64::MAX), data, missing, skip);
                if piece.start == self.next {
                    self.deliver(tag, piece, false, stats, out);
                } else {
                    let (overlapped, inserted) = self.buffer(piece, tag.ts);
                    repeated |= overlapped;
                    if inserted {
                        stats.out_of_order_segments += 1;
                    }
                    if self.acked > self.next {
                        // Ahead of a hole the peer has already acknowledged.
                        self.release_acked(tag, stats, out);
                    }
                    self.enforce_limit(tag, max_buffer, stats, out);
                }
            }
            if repeated {
                stats.retransmitted_segments += 1;
            }
        }
        if self.acked > self.next {
            // A FIN beyond a held acknowledged byte (see `release_acked`).
            self.release_acked(tag, stats, out);
        }
        self.check_fin(tag, out);
    }

    /// The peer acknowledged everything before sequence number `ack` (a segment of the other
    /// direction with the ACK flag). Bytes acknowledged beyond `next` were received by the peer
    /// but not captured: they will never come, so they become a Gap now and the buffered data
    /// after them is delivered. Ignored until the base is known, and when not beyond `next`
    /// (the common case: one comparison).
    pub fn ack(
        &mut self,
        tag: Tag,
        ack: u32,
        stats: &mut TcpStats,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) {
        let Some(base) = self.base else {
            return;
        };
        // Unwrapped like sequence numbers: how far the ack lies beyond `next`.
        let ahead = ack.wrapping_sub(base).wrapping_sub(self.next as u32) as i32;
        if ahead <= 0 || ahead > MAX_ACK_AHEAD || self.ended {
            return;
        }
        let at = self.next.saturating_add(ahead.unsigned_abs().into());
        self.acked = self.acked.max(at);
        self.release_acked(tag, stats, out);
    }

    /// Gives up the holes below the acknowledged offset (never past the FIN, which takes a
    /// sequence number but no stream byte), delivering the buffered data between them with
    /// its own capture times. When nothing is buffered, the gap reaches the acknowledged
    /// offset at once, except for exactly one byte without a FIN seen: that is most likely
    /// the uncaptured FIN itself, so it is held until a later segment shows otherwise.
    fn release_acked(
        &mut self,
        tag: Tag,
        stats: &mut TcpStats,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) {
        let limit = self.acked.min(self.fin.unwrap_or(u64::MAX));
        while self.next < limit {
            let hole_end = match self.pending.first_key_value() {
                Some((&k, _)) => k.min(limit),
                None if self.fin.is_none() && limit - self.next == 1 => break,
                None => limit,
            };
            let before = self.next;
            self.gap(tag, hole_end.saturating_sub(self.next), stats, out);
            self.deliver(tag, Piece::EMPTY, true, stats, out);
            if self.next == before {
                break;
            }
        }
        self.check_fin(tag, out);
    }

    /// The connection is closing: holes become gaps, buffered data is delivered, and `End` is
    /// emitted if a FIN was seen (after a gap up to it) or `reset` says this side sent a RST.
    pub fn close(
        &mut self,
        tag: Tag,
        reset: bool,
        stats: &mut TcpStats,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) {
        if self.ended {
            return;
        }
        while let Some((&k, _)) = self.pending.first_key_value() {
            self.gap(tag, k.saturating_sub(self.next), stats, out);
            self.deliver(tag, Piece::EMPTY, false, stats, out);
        }
        if let Some(fin) = self.fin {
            self.gap(tag, fin.saturating_sub(self.next), stats, out);
        }
        if self.fin.is_some() || reset {
            out(FlowEvent::End {
                conn: tag.conn,
                dir: tag.dir,
                ts: tag.ts,
                reset,
            });
        }
        self.ended = true;
    }

    /// Delivers `piece` (which starts at `next`, or is empty) merged with the buffered chunks
    /// that become contiguous, buffered bytes winning where both cover a position. Buffered
    /// chunks carry their own capture time when `own_ts`, else `tag`'s.
    fn deliver(
        &mut self,
        tag: Tag,
        piece: Piece<'_>,
        own_ts: bool,
        stats: &mut TcpStats,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) {
        loop {
            let first = self.pending.first_key_value().map(|(&k, _)| k);
            if let Some(k) = first.filter(|&k| k <= self.next) {
                let Some(chunk) = self.pending.remove(&k) else {
                    break;
                };
                let skip = self.next - k;
                let t = if own_ts {
                    Tag {
                        ts: chunk.ts,
                        ..tag
                    }
                } else {
                    tag
                };
                match chunk.kind {
                    Kind::Bytes(bytes) => {
                        self.buffered = self.buffered.saturating_sub(bytes.len());
                        let from = usize::try_from(skip).unwrap_or(usize::MAX);
                        self.data(t, bytes.get(from..).unwrap_or(&[]), out);
                    }
                    Kind::Missing(n) => self.gap(t, n.saturating_sub(skip), stats, out),
                }
                continue;
            }
            let to = piece.end().min(first.unwrap_or(u64::MAX));
            if self.next >= to {
                break;
            }
            let (bytes, missing) = piece.part(self.next, to);
            if bytes.is_empty() && missing == 0 {
                break;
            }
            self.data(tag, bytes, out);
            self.gap(tag, missing, stats, out);
        }
    }

    /// Copies the parts of `piece` (captured at `ts`) not already buffered. Returns
    /// (overlapped buffered bytes, inserted new bytes).
    fn buffer(&mut self, piece: Piece<'_>, ts: Timestamp) -> (bool, bool) {
        let end = piece.end();
        let mut cur = piece.start;
        let (mut overlapped, mut inserted) = (false, false);
        if let Some((&k, c)) = self.pending.range(..=cur).next_back() {
            let covered_to = k.saturating_add(c.len());
            if covered_to > cur {
                overlapped = true;
                cur = covered_to;
            }
        }
        while cur < end {
            let following = self
                .pending
                .range(cur..)
                .next()
                .map(|(&k, c)| (k, k.saturating_add(c.len())));
            let stop = match following {
                Some((k, _)) if k < end => k,
                _ => end,
            };
            if stop > cur {
                let (bytes, missing) = piece.part(cur, stop);
                if !bytes.is_empty() {
                    self.buffered = self.buffered.saturating_add(bytes.len());
                    let kind = Kind::Bytes(bytes.to_vec());
                    self.pending.insert(cur, Chunk { ts, kind });
                }
                if missing > 0 {
                    let kind = Kind::Missing(missing);
                    self.pending
                        .insert(cur.saturating_add(bytes.len() as u64), Chunk { ts, kind });
                }
                inserted = true;
            }
            match following {
                Some((k, k_end)) if k < end => {
                    overlapped = true;
                    cur = k_end;
                }
                _ => break,
            }
        }
        (overlapped, inserted)
    }

    /// Gives up holes, oldest first, until the buffered bytes fit in `max_buffer`.
    fn enforce_limit(
        &mut self,
        tag: Tag,
        max_buffer: usize,
        stats: &mut TcpStats,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) {
        while self.buffered > max_buffer {
            let Some((&k, _)) = self.pending.first_key_value() else {
                break;
            };
            let hole = k.saturating_sub(self.next);
            stats.overflow_bytes = stats.overflow_bytes.saturating_add(hole);
            self.gap(tag, hole, stats, out);
            self.deliver(tag, Piece::EMPTY, true, stats, out);
        }
    }

    /// Emits `End` once delivery has reached the FIN, and drops whatever lies beyond it.
    fn check_fin(&mut self, tag: Tag, out: &mut impl FnMut(FlowEvent<'_>)) {
        if !self.ended && self.fin.is_some_and(|fin| self.next >= fin) {
            self.ended = true;
            self.pending.clear();
            self.buffered = 0;
            out(FlowEvent::End {
                conn: tag.conn,
                dir: tag.dir,
                ts: tag.ts,
                reset: false,
            });
        }
    }

    fn data(&mut self, tag: Tag, data: &[u8], out: &mut impl FnMut(FlowEvent<'_>)) {
        if !data.is_empty() {
            out(FlowEvent::Data {
                conn: tag.conn,
                dir: tag.dir,
                ts: tag.ts,
                offset: self.next,
                data,
            });
            self.next = self.next.saturating_add(data.len() as u64);
        }
    }

    fn gap(
        &mut self,
        tag: Tag,
        len: u64,
        stats: &mut TcpStats,
        out: &mut impl FnMut(FlowEvent<'_>),
    ) {
        if len > 0 {
            out(FlowEvent::Gap {
                conn: tag.conn,
                dir: tag.dir,
                ts: tag.ts,
                offset: self.next,
                len,
            });
            stats.gaps += 1;
            stats.gap_bytes = stats.gap_bytes.saturating_add(len);
            self.next = self.next.saturating_add(len);
        }
    }
}

/// The piece of a segment (`data` captured, then `missing`) left after dropping its first
/// `skip` positions, starting at offset `start`.
fn clip_front(start: u64, data: &[u8], missing: u64, skip: u64) -> Piece<'_> {
    let from_data = usize::try_from(skip).unwrap_or(usize::MAX).min(data.len());
    let from_missing = skip.saturating_sub(from_data as u64);
    Piece {
        start,
        data: data.get(from_data..).unwrap_or(&[]),
        missing: missing.saturating_sub(from_missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{data, gap, Ev, C2S};

    const TAG: Tag = Tag {
        conn: ConnectionId(1),
        dir: C2S,
        ts: Timestamp(7),
    };
    const NO_LIMIT: usize = usize::MAX;

    /// A stream whose offset 0 is sequence number `isn + 1`.
    fn stream(isn: u32) -> Stream {
        let mut s = Stream::default();
        s.set_isn(isn);
        s
    }

    /// Feeds one segment; returns the events and checks none is empty.
    fn feed(
        s: &mut Stream,
        stats: &mut TcpStats,
        seq: u32,
        bytes: &[u8],
        missing: u64,
        fin: bool,
        max: usize,
    ) -> Vec<Ev> {
        let mut ev = Vec::new();
        s.segment(TAG, seq, bytes, missing, fin, max, stats, &mut |e| {
            ev.push(Ev::from(&e))
        });
        ev
    }

    fn close(s: &mut Stream, stats: &mut TcpStats, reset: bool) -> Vec<Ev> {
        let mut ev = Vec::new();
        s.close(TAG, reset, stats, &mut |e| ev.push(Ev::from(&e)));
        ev
    }

    fn end(reset: bool) -> Ev {
        Ev::End {
            conn: 1,
            dir: C2S,
            reset,
        }
    }

    #[test]
    fn in_order_segment_is_a_slice_of_the_packet() {
        static PACKET: [u8; 5] = *b"hello";
        let mut s = stream(99);
        let mut stats = TcpStats::default();
        let mut seen = None;
        s.segment(
            TAG,
            100,
            &PACKET,
            0,
            false,
            NO_LIMIT,
            &mut stats,
            &mut |e| {
                if let FlowEvent::Data {
                    data, offset, ts, ..
                } = e
                {
                    seen = Some((data.as_ptr(), data.len(), offset, ts));
                }
            },
        );
        assert_eq!(seen, Some((PACKET.as_ptr(), 5, 0, Timestamp(7))));
        assert!(s.pending.is_empty());
    }

    #[test]
    fn retransmission_is_dropped_and_overlap_delivers_only_new_bytes() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        assert_eq!(
            feed(&mut s, &mut st, 1, b"abcd", 0, false, NO_LIMIT),
            [data(1, C2S, 0, b"abcd")]
        );
        assert_eq!(feed(&mut s, &mut st, 1, b"abcd", 0, false, NO_LIMIT), []);
        assert_eq!(
            feed(&mut s, &mut st, 3, b"cdef", 0, false, NO_LIMIT),
            [data(1, C2S, 4, b"ef")]
        );
        assert_eq!(st.retransmitted_segments, 2);
        assert_eq!(st.out_of_order_segments, 0);
    }

    #[test]
    fn out_of_order_is_buffered_until_the_hole_fills() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        assert_eq!(feed(&mut s, &mut st, 7, b"ghi", 0, false, NO_LIMIT), []);
        assert_eq!(feed(&mut s, &mut st, 4, b"def", 0, false, NO_LIMIT), []);
        assert_eq!(s.buffered, 6);
        assert_eq!(
            feed(&mut s, &mut st, 1, b"abc", 0, false, NO_LIMIT),
            [
                data(1, C2S, 0, b"abc"),
                data(1, C2S, 3, b"def"),
                data(1, C2S, 6, b"ghi")
            ]
        );
        assert_eq!(
            (
                st.out_of_order_segments,
                st.retransmitted_segments,
                s.buffered
            ),
            (2, 0, 0)
        );
    }

    #[test]
    fn first_seen_bytes_win_over_later_overlaps() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        // Buffered first: "XXXXX" at offsets 5..10, then "YY" at 4..6 overlapping it.
        feed(&mut s, &mut st, 6, b"XXXXX", 0, false, NO_LIMIT);
        feed(&mut s, &mut st, 5, b"YY", 0, false, NO_LIMIT);
        assert_eq!(st.retransmitted_segments, 1);
        // A later in-order segment covering everything contributes only the uncovered bytes.
        assert_eq!(
            feed(&mut s, &mut st, 1, b"abcdefghijkl", 0, false, NO_LIMIT),
            [
                data(1, C2S, 0, b"abcd"),
                data(1, C2S, 4, b"Y"),
                data(1, C2S, 5, b"XXXXX"),
                data(1, C2S, 10, b"kl")
            ]
        );
    }

    #[test]
    fn sequence_numbers_wrap_around_2_pow_32() {
        let isn = 0xffff_fff0u32;
        let mut s = stream(isn);
        let mut st = TcpStats::default();
        let a = [b'a'; 10]; // seq 0xffff_fff1 ..= 0xffff_fffa
        let b = [b'b'; 10]; // seq 0xffff_fffb ..= 0x0000_0004 (wraps)
        let c = [b'c'; 10]; // seq 5 ..= 14
        assert_eq!(
            feed(
                &mut s,
                &mut st,
                isn.wrapping_add(21),
                &c,
                0,
                false,
                NO_LIMIT
            ),
            []
        );
        assert_eq!(
            feed(&mut s, &mut st, isn.wrapping_add(1), &a, 0, false, NO_LIMIT),
            [data(1, C2S, 0, &a)]
        );
        assert_eq!(
            feed(
                &mut s,
                &mut st,
                isn.wrapping_add(11),
                &b,
                0,
                false,
                NO_LIMIT
            ),
            [data(1, C2S, 10, &b), data(1, C2S, 20, &c)]
        );
        // A retransmission from before the wrap is still recognised as old.
        assert_eq!(
            feed(&mut s, &mut st, isn.wrapping_add(1), &a, 0, false, NO_LIMIT),
            []
        );
        // And the FIN right after the wrap ends the stream at offset 30.
        assert_eq!(
            feed(&mut s, &mut st, 15, b"", 0, true, NO_LIMIT),
            [end(false)]
        );
    }

    #[test]
    fn offsets_keep_growing_past_4_gib() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        let chunk = vec![0u8; 1 << 16];
        let mut seq = 1u32;
        for _ in 0..(1 << 16) + 1 {
            feed(&mut s, &mut st, seq, &chunk, 0, false, NO_LIMIT);
            seq = seq.wrapping_add(chunk.len() as u32);
        }
        assert_eq!(
            feed(&mut s, &mut st, seq, b"z", 0, false, NO_LIMIT),
            [data(1, C2S, (1 << 32) + (1 << 16), b"z")]
        );
    }

    #[test]
    fn buffer_overflow_gives_up_the_hole() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        assert_eq!(feed(&mut s, &mut st, 4, b"de", 0, false, 4), []);
        // 5 buffered bytes > 4: the hole 0..3 is given up and "de" becomes contiguous; the
        // 3 bytes left buffered fit, so the hole at 5 is still waited for.
        assert_eq!(
            feed(&mut s, &mut st, 7, b"ghi", 0, false, 4),
            [gap(1, C2S, 0, 3), data(1, C2S, 3, b"de")]
        );
        assert_eq!(
            (st.gaps, st.gap_bytes, st.overflow_bytes, s.buffered),
            (1, 3, 3, 3)
        );
        // The given-up bytes arriving late are old news; the hole at 5 still fills.
        assert_eq!(feed(&mut s, &mut st, 1, b"abc", 0, false, 4), []);
        assert_eq!(st.retransmitted_segments, 1);
        assert_eq!(
            feed(&mut s, &mut st, 6, b"f", 0, false, 4),
            [data(1, C2S, 5, b"f"), data(1, C2S, 6, b"ghi")]
        );
    }

    #[test]
    fn overflow_stops_at_the_next_hole_once_the_buffer_fits() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 11, b"kl", 0, false, 4); // offsets 10..12
        assert_eq!(
            feed(&mut s, &mut st, 3, b"cde", 0, false, 4), // offsets 2..5: 5 bytes buffered
            [gap(1, C2S, 0, 2), data(1, C2S, 2, b"cde")]
        );
        assert_eq!(s.buffered, 2);
        assert_eq!(s.next, 5);
        assert_eq!(st.overflow_bytes, 2);
    }

    #[test]
    fn snapped_segment_delivers_captured_bytes_then_a_gap() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        assert_eq!(
            feed(&mut s, &mut st, 1, b"ab", 3, false, NO_LIMIT),
            [data(1, C2S, 0, b"ab"), gap(1, C2S, 2, 3)]
        );
        // Out of order and snapped: kept until the hole before it fills.
        assert_eq!(feed(&mut s, &mut st, 9, b"xy", 2, false, NO_LIMIT), []);
        assert_eq!(
            feed(&mut s, &mut st, 6, b"fgh", 0, false, NO_LIMIT),
            [
                data(1, C2S, 5, b"fgh"),
                data(1, C2S, 8, b"xy"),
                gap(1, C2S, 10, 2)
            ]
        );
        assert_eq!((st.gaps, st.gap_bytes), (2, 5));
    }

    #[test]
    fn fin_waits_for_the_data_before_it() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        assert_eq!(feed(&mut s, &mut st, 4, b"def", 0, true, NO_LIMIT), []);
        assert_eq!(
            feed(&mut s, &mut st, 1, b"abc", 0, false, NO_LIMIT),
            [data(1, C2S, 0, b"abc"), data(1, C2S, 3, b"def"), end(false)]
        );
        // Nothing is accepted after End.
        assert_eq!(feed(&mut s, &mut st, 7, b"zz", 0, false, NO_LIMIT), []);
        assert_eq!(close(&mut s, &mut st, false), []);
    }

    #[test]
    fn close_turns_holes_and_the_missing_tail_before_fin_into_gaps() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT);
        feed(&mut s, &mut st, 5, b"ef", 0, false, NO_LIMIT);
        feed(&mut s, &mut st, 11, b"", 0, true, NO_LIMIT); // FIN at offset 10
        assert_eq!(
            close(&mut s, &mut st, false),
            [
                gap(1, C2S, 2, 2),
                data(1, C2S, 4, b"ef"),
                gap(1, C2S, 6, 4),
                end(false)
            ]
        );
    }

    #[test]
    fn close_with_reset_ends_with_reset_and_without_fin_ends_silently() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 3, b"c", 0, false, NO_LIMIT);
        assert_eq!(
            close(&mut s, &mut st, true),
            [gap(1, C2S, 0, 2), data(1, C2S, 2, b"c"), end(true)]
        );
        let mut quiet = stream(0);
        feed(&mut quiet, &mut st, 1, b"a", 0, false, NO_LIMIT);
        assert_eq!(close(&mut quiet, &mut st, false), []);
    }

    #[test]
    fn mid_stream_base_is_the_first_payload_and_earlier_bytes_are_dropped() {
        let mut s = Stream::default();
        let mut st = TcpStats::default();
        assert_eq!(feed(&mut s, &mut st, 500, b"", 0, false, NO_LIMIT), []); // pure ACK: no base
        assert_eq!(s.base(), None);
        assert_eq!(
            feed(&mut s, &mut st, 1000, b"xyz", 0, false, NO_LIMIT),
            [data(1, C2S, 0, b"xyz")]
        );
        assert_eq!(
            feed(&mut s, &mut st, 990, b"0123456789abc", 0, false, NO_LIMIT),
            []
        );
        assert_eq!(
            feed(&mut s, &mut st, 998, b"--xyz!", 0, false, NO_LIMIT),
            [data(1, C2S, 3, b"!")]
        );
    }

    #[test]
    fn fin_before_delivered_data_ends_at_once() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 1, b"abcdef", 0, false, NO_LIMIT);
        assert_eq!(
            feed(&mut s, &mut st, 3, b"", 0, true, NO_LIMIT),
            [end(false)]
        );
    }

    /// The peer acknowledges sequence number `seq` at time `ts`; returns events and their times.
    fn ack(s: &mut Stream, stats: &mut TcpStats, seq: u32, ts: i64) -> Vec<(Ev, Timestamp)> {
        let mut ev = Vec::new();
        let tag = Tag {
            ts: Timestamp(ts),
            ..TAG
        };
        s.ack(tag, seq, stats, &mut |e| {
            let at = match e {
                FlowEvent::Data { ts, .. }
                | FlowEvent::Gap { ts, .. }
                | FlowEvent::End { ts, .. } => ts,
                _ => Timestamp(-1),
            };
            ev.push((Ev::from(&e), at))
        });
        ev
    }

    /// Events of [`ack`] without their times.
    fn ack_ev(s: &mut Stream, stats: &mut TcpStats, seq: u32) -> Vec<Ev> {
        ack(s, stats, seq, 9).into_iter().map(|(e, _)| e).collect()
    }

    #[test]
    fn acked_hole_becomes_a_gap_and_releases_buffered_data_with_its_own_time() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT);
        // "cd" (offsets 2..4) was not captured; "ef" and, after another lost byte, "h" were.
        feed(&mut s, &mut st, 5, b"ef", 0, false, NO_LIMIT);
        feed(&mut s, &mut st, 8, b"h", 0, false, NO_LIMIT);
        // The peer has everything up to offset 8: both holes are capture loss.
        assert_eq!(
            ack(&mut s, &mut st, 9, 20),
            [
                (gap(1, C2S, 2, 2), Timestamp(20)),
                (data(1, C2S, 4, b"ef"), Timestamp(7)),
                (gap(1, C2S, 6, 1), Timestamp(20)),
                (data(1, C2S, 7, b"h"), Timestamp(7)),
            ]
        );
        assert_eq!(
            (st.gaps, st.gap_bytes, st.overflow_bytes, s.buffered),
            (2, 3, 0, 0)
        );
        // The lost bytes retransmitted later are old news.
        assert_eq!(feed(&mut s, &mut st, 3, b"cd", 0, false, NO_LIMIT), []);
        assert_eq!(
            feed(&mut s, &mut st, 9, b"i", 0, false, NO_LIMIT),
            [data(1, C2S, 8, b"i")]
        );
    }

    #[test]
    fn ack_inside_a_hole_gives_up_only_the_acked_part() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 7, b"gh", 0, false, NO_LIMIT); // hole 0..6
        assert_eq!(ack_ev(&mut s, &mut st, 4), [gap(1, C2S, 0, 3)]);
        // The rest of the hole may still be in flight.
        assert_eq!(
            feed(&mut s, &mut st, 4, b"def", 0, false, NO_LIMIT),
            [data(1, C2S, 3, b"def"), data(1, C2S, 6, b"gh")]
        );
    }

    #[test]
    fn ack_not_beyond_the_hole_keeps_waiting_for_it() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT);
        feed(&mut s, &mut st, 5, b"ef", 0, false, NO_LIMIT); // reordered: "cd" comes later
        assert_eq!(ack_ev(&mut s, &mut st, 3), []); // duplicate ACK of what was delivered
        assert_eq!(ack_ev(&mut s, &mut st, 2), []); // an older one
        assert_eq!(ack_ev(&mut s, &mut st, 1), []);
        assert_eq!(
            feed(&mut s, &mut st, 3, b"cd", 0, false, NO_LIMIT),
            [data(1, C2S, 2, b"cd"), data(1, C2S, 4, b"ef")]
        );
        assert_eq!((st.gaps, st.retransmitted_segments), (0, 0));
    }

    #[test]
    fn acked_tail_is_a_gap_at_once_and_the_next_data_is_contiguous() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT);
        assert_eq!(ack_ev(&mut s, &mut st, 6), [gap(1, C2S, 2, 3)]);
        assert_eq!(
            feed(&mut s, &mut st, 6, b"f", 0, false, NO_LIMIT),
            [data(1, C2S, 5, b"f")]
        );
    }

    #[test]
    fn ack_of_the_fin_is_not_a_gap() {
        // FIN captured: the ack of FIN+1 changes nothing.
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 1, b"ab", 0, true, NO_LIMIT);
        assert_eq!(ack_ev(&mut s, &mut st, 4), []);
        // FIN captured, the data before it lost: the gap stops at the FIN, then End.
        let mut s = stream(0);
        feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT);
        assert_eq!(feed(&mut s, &mut st, 5, b"", 0, true, NO_LIMIT), []);
        assert_eq!(ack_ev(&mut s, &mut st, 6), [gap(1, C2S, 2, 2), end(false)]);
        // FIN not captured: one acked byte past the data is held as the FIN, never a gap.
        let mut s = stream(0);
        feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT);
        assert_eq!(ack_ev(&mut s, &mut st, 4), []);
        assert_eq!(close(&mut s, &mut st, false), []);
        assert_eq!(st.gap_bytes, 2);
    }

    #[test]
    fn one_held_acked_byte_becomes_a_gap_when_later_data_shows_it_was_data() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT);
        assert_eq!(ack_ev(&mut s, &mut st, 4), []);
        // A keep-alive style repeat of old data shows nothing.
        assert_eq!(feed(&mut s, &mut st, 2, b"b", 0, false, NO_LIMIT), []);
        assert_eq!(
            feed(&mut s, &mut st, 4, b"d", 0, false, NO_LIMIT),
            [gap(1, C2S, 2, 1), data(1, C2S, 3, b"d")]
        );
        // Or a FIN after the held byte.
        let mut s = stream(0);
        feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT);
        ack_ev(&mut s, &mut st, 4);
        assert_eq!(
            feed(&mut s, &mut st, 4, b"", 0, true, NO_LIMIT),
            [gap(1, C2S, 2, 1), end(false)]
        );
        // Or the acked byte itself, captured after its ack.
        let mut s = stream(0);
        feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT);
        ack_ev(&mut s, &mut st, 4);
        assert_eq!(
            feed(&mut s, &mut st, 3, b"c", 0, false, NO_LIMIT),
            [data(1, C2S, 2, b"c")]
        );
    }

    #[test]
    fn acks_wrap_around_2_pow_32() {
        let isn = 0xffff_fff0u32;
        let mut s = stream(isn);
        let mut st = TcpStats::default();
        let a = [b'a'; 10]; // offsets 0..10
        let c = [b'c'; 10]; // offsets 20..30, sequence numbers 5..=14 (after the wrap)
        feed(&mut s, &mut st, isn.wrapping_add(1), &a, 0, false, NO_LIMIT);
        feed(&mut s, &mut st, 5, &c, 0, false, NO_LIMIT);
        // An ack from before the wrap is old; one after it covers the lost 10..20.
        assert_eq!(ack_ev(&mut s, &mut st, 0xffff_fff5), []);
        assert_eq!(
            ack_ev(&mut s, &mut st, 15),
            [gap(1, C2S, 10, 10), data(1, C2S, 20, &c)]
        );
    }

    #[test]
    fn acks_before_the_base_or_absurdly_far_ahead_are_ignored() {
        let mut s = Stream::default();
        let mut st = TcpStats::default();
        assert_eq!(ack_ev(&mut s, &mut st, 1000), []);
        feed(&mut s, &mut st, 500, b"x", 0, false, NO_LIMIT);
        assert_eq!(ack_ev(&mut s, &mut st, 501 + (1 << 30) + 1), []);
        assert_eq!(
            ack_ev(&mut s, &mut st, 501 + (1 << 30)),
            [gap(1, C2S, 1, 1 << 30)]
        );
    }

    #[test]
    fn overflow_releases_buffered_data_with_its_own_time() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 4, b"de", 0, false, 4);
        let mut times = Vec::new();
        let tag = Tag {
            ts: Timestamp(30),
            ..TAG
        };
        s.segment(tag, 7, b"ghi", 0, false, 4, &mut st, &mut |e| match e {
            FlowEvent::Data { ts, .. } | FlowEvent::Gap { ts, .. } => times.push(ts),
            _ => {}
        });
        assert_eq!(times, [Timestamp(30), Timestamp(7)]);
    }

    #[test]
    fn a_bare_fin_again_counts_as_a_retransmission() {
        let mut s = stream(0);
        let mut st = TcpStats::default();
        feed(&mut s, &mut st, 3, b"", 0, true, NO_LIMIT); // waits behind offsets 0..2
        assert_eq!(feed(&mut s, &mut st, 3, b"", 0, true, NO_LIMIT), []);
        assert_eq!(
            feed(&mut s, &mut st, 1, b"ab", 0, false, NO_LIMIT),
            [data(1, C2S, 0, b"ab"), end(false)]
        );
        assert_eq!(feed(&mut s, &mut st, 3, b"", 0, true, NO_LIMIT), []); // after End
        assert_eq!(st.retransmitted_segments, 2);
    }

    #[test]
    fn piece_parts_split_captured_and_missing() {
        let p = Piece {
            start: 10,
            data: b"abcd",
            missing: 3,
        };
        assert_eq!(p.end(), 17);
        assert_eq!(p.part(0, 100), (&b"abcd"[..], 3));
        assert_eq!(p.part(12, 15), (&b"cd"[..], 1));
        assert_eq!(p.part(15, 16), (&b""[..], 1));
        assert_eq!(p.part(17, 20), (&b""[..], 0));
        let c = clip_front(13, b"abcd", 3, 5);
        assert_eq!((c.data, c.missing), (&b""[..], 2));
    }
}
