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

/// Copied bytes ahead of a hole, or a range the capture snapped away.
#[derive(Debug)]
enum Chunk {
    Bytes(Vec<u8>),
    Missing(u64),
}

impl Chunk {
    fn len(&self) -> u64 {
        match self {
            Chunk::Bytes(b) => b.len() as u64,
            Chunk::Missing(n) => *n,
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
        (bytes, b - a.max(data_end))
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
        if self.ended || (len == 0 && !fin) {
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
                    self.deliver(tag, piece, stats, out);
                } else {
                    let (overlapped, inserted) = self.buffer(piece);
                    repeated |= overlapped;
                    if inserted {
                        stats.out_of_order_segments += 1;
                    }
                    self.enforce_limit(tag, max_buffer, stats, out);
                }
            }
            if repeated {
                stats.retransmitted_segments += 1;
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
            self.deliver(tag, Piece::EMPTY, stats, out);
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
    /// that become contiguous, buffered bytes winning where both cover a position.
    fn deliver(
        &mut self,
        tag: Tag,
        piece: Piece<'_>,
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
                match chunk {
                    Chunk::Bytes(bytes) => {
                        self.buffered = self.buffered.saturating_sub(bytes.len());
                        let from = usize::try_from(skip).unwrap_or(usize::MAX);
                        self.data(tag, bytes.get(from..).unwrap_or(&[]), out);
                    }
                    Chunk::Missing(n) => self.gap(tag, n.saturating_sub(skip), stats, out),
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

    /// Copies the parts of `piece` not already buffered. Returns (overlapped buffered bytes,
    /// inserted new bytes).
    fn buffer(&mut self, piece: Piece<'_>) -> (bool, bool) {
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
                    self.pending.insert(cur, Chunk::Bytes(bytes.to_vec()));
                }
                if missing > 0 {
                    self.pending.insert(
                        cur.saturating_add(bytes.len() as u64),
                        Chunk::Missing(missing),
                    );
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
            self.deliver(tag, Piece::EMPTY, stats, out);
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
