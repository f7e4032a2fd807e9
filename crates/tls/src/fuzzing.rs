//! The operation interpreter shared by the `tls` fuzz target (`fuzz/fuzz_targets/tls.rs`)
//! and the corpus replay test (`tests/fuzz_corpus.rs`). Not part of the stable API.
//!
//! An input is a sequence of operations on one [`TlsConnection`], each starting with an op
//! byte: bit 0 is the direction (0 client→server, 1 server→client), bits 1–2 the kind:
//! 0 = data of `next byte + 1` bytes, 1 = data of `next two bytes (LE) + 1` bytes,
//! 2 = a gap of `next two bytes (LE) + 1` bytes, 3 = key log text of `next two bytes (LE) + 1`
//! bytes fed into the connection's [`KeyLog`] (bit 0 set: the source is finished after it, so
//! a last line without a newline counts). Lengths are clamped to what is left of the input;
//! the other bits of the op byte are ignored. Every operation advances the timestamp by one.
//!
//! Checked after every operation: the events of each direction are contiguous (each starts
//! where the previous one ended, from 0), nothing is decrypted without key log text, record
//! counters agree with the bytes fed, and nothing panics.

use crate::{KeyLog, TlsConnection, TlsEvent};
use model::{Direction, Timestamp, TlsInfo};

/// One operation on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op<'a> {
    /// Bytes of one direction's TCP stream.
    Data(Direction, &'a [u8]),
    /// Bytes missing in one direction.
    Gap(Direction, u64),
    /// Key log text; `true`: finish the source after it.
    KeyLog(&'a [u8], bool),
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
        let kind = (op >> 1) & 3;
        let len = match (kind, input) {
            (0, [n, ..]) => {
                input = input.get(1..).unwrap_or_default();
                usize::from(*n) + 1
            }
            (1..=3, [lo, hi, ..]) => {
                input = input.get(2..).unwrap_or_default();
                usize::from(u16::from_le_bytes([*lo, *hi])) + 1
            }
            _ => break,
        };
        if kind == 2 {
            ops.push(Op::Gap(direction(op), len as u64));
            continue;
        }
        let (chunk, rest) = input.split_at(len.min(input.len()));
        input = rest;
        ops.push(if kind == 3 {
            Op::KeyLog(chunk, op & 1 != 0)
        } else {
            Op::Data(direction(op), chunk)
        });
    }
    ops
}

/// Encodes operations (the inverse of [`ops`]); data and key log text are split into pieces
/// of at most `piece` bytes (1..=65536); gaps longer than 65536 bytes are clamped.
pub fn encode(ops: &[Op<'_>], piece: usize) -> Vec<u8> {
    let piece = piece.clamp(1, 65536);
    let mut out = Vec::new();
    let long = |out: &mut Vec<u8>, n: usize| {
        let n = u16::try_from(n.clamp(1, 65536) - 1).unwrap_or(u16::MAX);
        out.extend_from_slice(&n.to_le_bytes());
    };
    for op in ops {
        match *op {
            Op::Data(dir, data) => {
                for chunk in data.chunks(piece) {
                    if let Ok(small) = u8::try_from(chunk.len() - 1) {
                        out.extend_from_slice(&[bit(dir), small]);
                    } else {
                        out.push(bit(dir) | 2);
                        long(&mut out, chunk.len());
                    }
                    out.extend_from_slice(chunk);
                }
            }
            Op::Gap(dir, len) => {
                out.push(bit(dir) | 4);
                long(&mut out, usize::try_from(len).unwrap_or(usize::MAX));
            }
            Op::KeyLog(text, finish) => {
                let chunks: Vec<&[u8]> = text.chunks(piece).collect();
                for (n, chunk) in chunks.iter().enumerate() {
                    let last = n + 1 == chunks.len();
                    out.push(6 | u8::from(finish && last));
                    long(&mut out, chunk.len());
                    out.extend_from_slice(chunk);
                }
            }
        }
    }
    out
}

/// What one run produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Decrypted application data per direction (client→server, server→client), gaps
    /// left out.
    pub plaintext: [Vec<u8>; 2],
    /// Plaintext events per direction.
    pub plaintext_events: [u64; 2],
    /// Gap events per direction.
    pub gaps: [u64; 2],
    /// Bytes reported missing per direction.
    pub gap_bytes: [u64; 2],
    /// The connection's facts at the end.
    pub info: TlsInfo,
}

/// Runs `input` through one [`TlsConnection`]. Panics if an invariant is broken.
pub fn run(input: &[u8]) -> Outcome {
    let mut outcome = Outcome::default();
    let _ = crate::looks_like_client_hello(input);
    let mut conn = TlsConnection::new();
    let mut keys = KeyLog::new();
    let mut key_text = false;
    // Where the next event of each direction must start.
    let mut next = [0u64; 2];
    // TCP bytes fed per direction.
    let mut fed = [0u64; 2];
    for (n, op) in ops(input).into_iter().enumerate() {
        let ts = Timestamp(n as i64);
        let mut check = |event: TlsEvent<'_>| {
            let (dir, at, offset, len) = match event {
                TlsEvent::Plaintext {
                    dir,
                    ts: at,
                    offset,
                    data,
                } => {
                    assert!(key_text, "plaintext without any key log text");
                    assert!(
                        data.len() <= (1 << 14) + 256,
                        "plaintext longer than a record: {}",
                        data.len()
                    );
                    outcome.plaintext_events[dir.index()] += 1;
                    outcome.plaintext[dir.index()].extend_from_slice(data);
                    (dir, at, offset, data.len() as u64)
                }
                TlsEvent::Gap {
                    dir,
                    ts: at,
                    offset,
                    len,
                } => {
                    outcome.gaps[dir.index()] += 1;
                    outcome.gap_bytes[dir.index()] += len;
                    (dir, at, offset, len)
                }
            };
            assert_eq!(at, ts, "event stamped with another operation's time");
            let i = dir.index();
            assert_eq!(
                offset, next[i],
                "{dir:?}: event not contiguous with the last"
            );
            next[i] = next[i].checked_add(len).expect("offset overflow");
        };
        match op {
            Op::Data(dir, data) => {
                fed[dir.index()] += data.len() as u64;
                conn.data(dir, ts, data, &keys, &mut check);
            }
            Op::Gap(dir, len) => conn.gap(dir, ts, len, &mut check),
            Op::KeyLog(text, finish) => {
                keys.feed(text);
                if finish {
                    keys.finish();
                }
                key_text |= keys.stats().secrets > 0;
            }
        }
        let info = conn.info();
        for ((bytes, records), fed) in info.record_bytes.iter().zip(info.records).zip(fed) {
            assert!(*bytes <= fed, "more record bytes than were fed");
            assert!(*bytes >= 5 * records, "records shorter than a header");
        }
        assert_eq!(
            info.errors == 0,
            info.first_error.is_none(),
            "error count and first error disagree"
        );
    }
    outcome.info = conn.info().clone();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode() {
        let big = vec![b'x'; 70_000];
        let keys = b"CLIENT_RANDOM 00 11\n".repeat(10);
        let ops_in = [
            Op::KeyLog(&keys, true),
            Op::Data(Direction::ClientToServer, b"\x16\x03\x01"),
            Op::Gap(Direction::ServerToClient, 300),
            Op::Data(Direction::ServerToClient, &big),
            Op::KeyLog(b"x", false),
        ];
        let bytes = encode(&ops_in, 65536);
        assert_eq!(
            ops(&bytes),
            ops_in
                .iter()
                .copied()
                .take(3)
                .chain([
                    Op::Data(Direction::ServerToClient, &big[..65536]),
                    Op::Data(Direction::ServerToClient, &big[65536..]),
                    Op::KeyLog(b"x", false),
                ])
                .collect::<Vec<_>>()
        );
        // Small pieces: the key log is finished after its last piece only.
        let bytes = encode(&[Op::KeyLog(b"abc", true)], 2);
        assert_eq!(
            ops(&bytes),
            [Op::KeyLog(b"ab", false), Op::KeyLog(b"c", true)]
        );
    }

    #[test]
    fn truncated_inputs_decode() {
        assert_eq!(ops(&[0]), []);
        assert_eq!(ops(&[2, 1]), []);
        assert_eq!(
            ops(&[1, 5, b'a']),
            [Op::Data(Direction::ServerToClient, b"a")]
        );
        assert_eq!(ops(&[5, 0, 1]), [Op::Gap(Direction::ServerToClient, 257)]);
        assert_eq!(ops(&[7, 9, 0, b'k']), [Op::KeyLog(b"k", true)]);
    }

    #[test]
    fn garbage_runs() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..400 {
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = run(&input);
        }
    }
}
