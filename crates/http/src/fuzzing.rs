//! The operation interpreter shared by the `http1` fuzz target (`fuzz/fuzz_targets/http1.rs`)
//! and the corpus replay test (`tests/fuzz_corpus.rs`). Not part of the stable API.
//!
//! An input is a sequence of operations on one connection, each starting with an op byte:
//! bit 0 is the direction (0 client→server, 1 server→client), bits 1–2 the kind:
//! 0 = data of `next byte + 1` bytes, 1 = data of `next two bytes (LE) + 1` bytes,
//! 2 = a gap of `next two bytes (LE) + 1` bytes, 3 = an end (bit 3 set: RST, else FIN).
//! Lengths are clamped to what is left of the input. After the operations the connection
//! is finished. Every operation advances the timestamp by one.

use crate::{detect, Exchange, Http1Config, Http1Connection, ParserStats};
use model::{Direction, Timestamp};

/// One operation on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op<'a> {
    /// Bytes in one direction.
    Data(Direction, &'a [u8]),
    /// Missing bytes in one direction.
    Gap(Direction, u64),
    /// FIN (`false`) or RST (`true`) in one direction.
    End(Direction, bool),
}

fn direction(bit: u8) -> Direction {
    if bit & 1 == 0 {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    }
}

fn bit(dir: Direction) -> u8 {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

/// Decodes `input` into operations.
pub fn ops(mut input: &[u8]) -> Vec<Op<'_>> {
    let mut ops = Vec::new();
    while let Some((&op, rest)) = input.split_first() {
        input = rest;
        let dir = direction(op);
        let kind = (op >> 1) & 3;
        let len = match (kind, input) {
            (0, [n, ..]) => {
                input = input.get(1..).unwrap_or_default();
                usize::from(*n) + 1
            }
            (1 | 2, [lo, hi, ..]) => {
                let n = usize::from(u16::from_le_bytes([*lo, *hi])) + 1;
                input = input.get(2..).unwrap_or_default();
                n
            }
            (3, _) => {
                ops.push(Op::End(dir, op & 8 != 0));
                continue;
            }
            _ => break,
        };
        if kind == 2 {
            ops.push(Op::Gap(dir, len as u64));
            continue;
        }
        let take = len.min(input.len());
        let (chunk, rest) = input.split_at(take);
        ops.push(Op::Data(dir, chunk));
        input = rest;
    }
    ops
}

/// Encodes operations (the inverse of [`ops`]); data is split into pieces of at most
/// `piece` bytes (1..=65536).
pub fn encode(ops: &[Op<'_>], piece: usize) -> Vec<u8> {
    let piece = piece.clamp(1, 65536);
    let mut out = Vec::new();
    for op in ops {
        match *op {
            Op::Data(dir, data) => {
                for chunk in data.chunks(piece) {
                    let n = chunk.len() - 1;
                    if let Ok(small) = u8::try_from(n) {
                        out.extend_from_slice(&[bit(dir), small]);
                    } else {
                        out.push(bit(dir) | 2);
                        out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_le_bytes());
                    }
                    out.extend_from_slice(chunk);
                }
            }
            Op::Gap(dir, len) => {
                out.push(bit(dir) | 4);
                let n = u16::try_from(len.clamp(1, 65536) - 1).unwrap_or(u16::MAX);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Op::End(dir, reset) => out.push(bit(dir) | 6 | if reset { 8 } else { 0 }),
        }
    }
    out
}

/// The limits used when fuzzing: small, so that they are reached.
pub fn config() -> Http1Config {
    Http1Config {
        max_header_bytes: 4096,
        max_pending: 8,
        max_decoded_bytes: 1 << 20,
    }
}

/// Runs `input` through [`detect`] and a connection, returning the exchanges and counters.
/// Panics if an exchange breaks an invariant (a missing message without a reason).
pub fn run(input: &[u8]) -> (Vec<Exchange>, ParserStats) {
    let _ = detect(input);
    let mut conn = Http1Connection::new(config());
    let mut exchanges = Vec::new();
    let mut out = |e: Exchange| exchanges.push(e);
    for (i, op) in ops(input).into_iter().enumerate() {
        let ts = Timestamp(i as i64);
        match op {
            Op::Data(dir, data) => conn.data(dir, ts, data, &mut out),
            Op::Gap(dir, len) => conn.gap(dir, ts, len, &mut out),
            Op::End(dir, reset) => conn.end(dir, ts, reset, &mut out),
        }
    }
    conn.finish(Timestamp(i64::MAX), &mut out);
    for e in &exchanges {
        assert!(
            (e.request.is_some() && e.response.is_some()) || !e.incomplete.is_empty(),
            "an exchange lacks a message but gives no reason: {e:?}"
        );
    }
    (exchanges, conn.stats())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode() {
        let big = vec![b'x'; 70_000];
        let ops_in = [
            Op::Data(Direction::ClientToServer, b"GET / HTTP/1.1\r\n\r\n"),
            Op::Gap(Direction::ServerToClient, 300),
            Op::Data(Direction::ServerToClient, &big),
            Op::End(Direction::ServerToClient, true),
            Op::End(Direction::ClientToServer, false),
        ];
        let bytes = encode(&ops_in, 60_000);
        let back = ops(&bytes);
        assert_eq!(back[0], ops_in[0]);
        assert_eq!(back[1], ops_in[1]);
        assert_eq!(back[2], Op::Data(Direction::ServerToClient, &big[..60_000]));
        assert_eq!(back[3], Op::Data(Direction::ServerToClient, &big[60_000..]));
        assert_eq!(&back[4..], &ops_in[3..]);
    }

    #[test]
    fn truncated_input_is_fine() {
        assert!(ops(&[0]).is_empty());
        assert_eq!(
            ops(&[0, 5, b'a']),
            vec![Op::Data(Direction::ClientToServer, b"a")]
        );
        let (exchanges, _) = run(b"\x00\x10GET / HTTP/1.1\r\n\r\n");
        assert_eq!(exchanges.len(), 1);
    }
}
