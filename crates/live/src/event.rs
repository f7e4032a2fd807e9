//! The records the BPF programs write into the ring buffer, decoded without copying.
//!
//! Layouts mirror `struct packet_event`, `struct owner_event`, `struct close_event` and
//! `struct plain_event` in `bpf/httpscope.bpf.c` (little-endian, natural alignment). Every
//! record starts with a kind byte; a record that is shorter than its kind needs, or names an
//! unknown kind, is an error the caller counts (it never panics).

use thiserror::Error;

const EV_PACKET: u8 = 1;
const EV_OWNER: u8 = 2;
const EV_CLOSE: u8 = 3;
const EV_PLAIN: u8 = 4;

/// Bytes before a packet's data.
pub const PACKET_HEADER: usize = 40;
const OWNER_LEN: usize = 40;
const CLOSE_LEN: usize = 64;
/// Bytes before a plaintext record's data.
pub const PLAIN_HEADER: usize = 56;

/// Which way a packet went, seen from the traced host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Sent by a local socket.
    Egress,
    /// Received by a local socket.
    Ingress,
}

/// One packet of a traced socket, from its IP header on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Kernel CLOCK_MONOTONIC time in nanoseconds.
    pub monotonic_ns: u64,
    /// The socket's cookie (unique for the kernel's uptime).
    pub cookie: u64,
    /// The socket owner's process id, 0 when unknown (`--all` mode).
    pub pid: u32,
    /// Sent or received.
    pub direction: Direction,
    /// The packet's length; `data` may be shorter.
    pub len: u32,
    /// The payload was cut to the headers because the socket used more than its share of
    /// a filling ring buffer.
    pub truncated_for_fairness: bool,
    /// The packet was longer than the snap length.
    pub truncated_by_snaplen: bool,
    /// Packets of this socket dropped so far because the ring buffer was full.
    pub socket_drops: u32,
    /// Packets of this socket cut to their headers so far, for fairness.
    pub socket_truncated: u32,
    /// The captured bytes, starting at the IP header.
    pub data: &'a [u8],
}

/// A socket got (or changed) its owner, reported in the owner's context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// When (CLOCK_MONOTONIC ns).
    pub monotonic_ns: u64,
    /// The socket.
    pub cookie: u64,
    /// The owning process.
    pub pid: u32,
    /// The owner's `comm` at that moment.
    pub comm: String,
}

/// A traced TCP socket reached CLOSE: what the tcp tracepoints counted for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closed {
    /// When (CLOCK_MONOTONIC ns).
    pub monotonic_ns: u64,
    /// The socket.
    pub cookie: u64,
    /// Its owner.
    pub pid: u32,
    /// When `connect()` sent the SYN (0 when the socket did not connect).
    pub syn_ns: u64,
    /// When the handshake completed (0 when it never did).
    pub established_ns: u64,
    /// Segments the kernel retransmitted.
    pub retransmits: u32,
    /// Resets received.
    pub resets_in: u32,
    /// Resets sent.
    pub resets_out: u32,
    /// Packets dropped because the ring buffer was full.
    pub drops: u32,
    /// Packets cut to their headers for fairness.
    pub truncated: u32,
}

impl Closed {
    /// Connect latency (SYN sent → established), when the socket connected.
    pub fn connect_ns(&self) -> Option<u64> {
        (self.syn_ns != 0 && self.established_ns >= self.syn_ns)
            .then(|| self.established_ns - self.syn_ns)
    }

    /// Whether `connect()` sent a SYN that never led to an established connection.
    pub fn failed_connect(&self) -> bool {
        self.syn_ns != 0 && self.established_ns == 0
    }
}

/// Bytes a traced thread passed to or got from a TLS library call (`SSL_write`,
/// `gnutls_record_recv`, ...): the connection's plaintext, without keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plain<'a> {
    /// When the call returned (CLOCK_MONOTONIC ns).
    pub monotonic_ns: u64,
    /// The calling process and thread.
    pub pid: u32,
    /// The calling thread.
    pub tid: u32,
    /// Written by the process (`Egress`) or read (`Ingress`).
    pub direction: Direction,
    /// 1 OpenSSL/BoringSSL, 2 GnuTLS.
    pub library: u8,
    /// The library's connection object (`SSL *`, `gnutls_session_t`): with `pid`, the
    /// stream's identity.
    pub conn: u64,
    /// Position of `data[0]` in this direction of the stream.
    pub position: u64,
    /// Bytes the call transferred (`data` may hold fewer).
    pub len: u32,
    /// The socket fd the library used during the call, when one was seen.
    pub fd: Option<u32>,
    /// That socket's cookie, when the kernel had given it one.
    pub cookie: Option<u64>,
    /// The bytes.
    pub data: &'a [u8],
}

/// One ring buffer record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record<'a> {
    /// A packet.
    Packet(Packet<'a>),
    /// A socket's owner.
    Owner(Owner),
    /// A socket closed.
    Closed(Closed),
    /// Plaintext from a TLS library call.
    Plain(Plain<'a>),
}

/// A record that does not match the layouts this build knows.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RecordError {
    /// The record is shorter than its kind's fixed part.
    #[error("{kind} record of {len} bytes is too short")]
    Short {
        /// Which kind.
        kind: &'static str,
        /// Its length.
        len: usize,
    },
    /// The kind byte is unknown.
    #[error("unknown record kind {0}")]
    UnknownKind(u8),
    /// The record is empty.
    #[error("empty record")]
    Empty,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// Decodes one ring buffer record.
pub fn parse(b: &[u8]) -> Result<Record<'_>, RecordError> {
    let kind = *b.first().ok_or(RecordError::Empty)?;
    match kind {
        EV_PACKET => {
            if b.len() < PACKET_HEADER {
                return Err(RecordError::Short {
                    kind: "packet",
                    len: b.len(),
                });
            }
            let caplen = u32_at(b, 28) as usize;
            let data = b
                .get(PACKET_HEADER..PACKET_HEADER.saturating_add(caplen))
                .ok_or(RecordError::Short {
                    kind: "packet",
                    len: b.len(),
                })?;
            Ok(Record::Packet(Packet {
                direction: if b[1] == 0 {
                    Direction::Egress
                } else {
                    Direction::Ingress
                },
                truncated_for_fairness: b[2] & 1 != 0,
                truncated_by_snaplen: b[2] & 2 != 0,
                pid: u32_at(b, 4),
                monotonic_ns: u64_at(b, 8),
                cookie: u64_at(b, 16),
                len: u32_at(b, 24),
                socket_drops: u32_at(b, 32),
                socket_truncated: u32_at(b, 36),
                data,
            }))
        }
        EV_OWNER => {
            if b.len() < OWNER_LEN {
                return Err(RecordError::Short {
                    kind: "owner",
                    len: b.len(),
                });
            }
            let comm = &b[24..40];
            let end = comm.iter().position(|&c| c == 0).unwrap_or(comm.len());
            Ok(Record::Owner(Owner {
                pid: u32_at(b, 4),
                monotonic_ns: u64_at(b, 8),
                cookie: u64_at(b, 16),
                comm: String::from_utf8_lossy(&comm[..end]).into_owned(),
            }))
        }
        EV_CLOSE => {
            if b.len() < CLOSE_LEN {
                return Err(RecordError::Short {
                    kind: "close",
                    len: b.len(),
                });
            }
            Ok(Record::Closed(Closed {
                pid: u32_at(b, 4),
                monotonic_ns: u64_at(b, 8),
                cookie: u64_at(b, 16),
                syn_ns: u64_at(b, 24),
                established_ns: u64_at(b, 32),
                retransmits: u32_at(b, 40),
                resets_in: u32_at(b, 44),
                resets_out: u32_at(b, 48),
                drops: u32_at(b, 52),
                truncated: u32_at(b, 56),
            }))
        }
        EV_PLAIN => {
            let short = RecordError::Short {
                kind: "plaintext",
                len: b.len(),
            };
            if b.len() < PLAIN_HEADER {
                return Err(short);
            }
            let caplen = u32_at(b, 36) as usize;
            let data = b
                .get(PLAIN_HEADER..PLAIN_HEADER.saturating_add(caplen))
                .ok_or(short)?;
            let fd = u32_at(b, 40);
            Ok(Record::Plain(Plain {
                direction: if b[1] == 0 {
                    Direction::Egress
                } else {
                    Direction::Ingress
                },
                library: b[2],
                pid: u32_at(b, 4),
                monotonic_ns: u64_at(b, 8),
                conn: u64_at(b, 16),
                position: u64_at(b, 24),
                len: u32_at(b, 32),
                fd: (fd != u32::MAX).then_some(fd),
                tid: u32_at(b, 44),
                cookie: Some(u64_at(b, 48)).filter(|&c| c != 0),
                data,
            }))
        }
        other => Err(RecordError::UnknownKind(other)),
    }
}

/// Runs the decoder over arbitrary bytes (the fuzz target's body).
pub fn fuzz(data: &[u8]) {
    match parse(data) {
        Ok(Record::Packet(p)) => assert!(p.data.len() + PACKET_HEADER <= data.len()),
        Ok(Record::Plain(p)) => assert!(p.data.len() + PLAIN_HEADER <= data.len()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An egress packet of pid 4242, cookie 7, 5 bytes long, 3 captured, snapped, after 2
    /// drops and 1 truncation on its socket.
    static PACKET_BYTES: [u8; 43] = [
        1, 0, 2, 0, // kind, dir, flags, pad
        0x92, 0x10, 0, 0, // pid
        0x10, 0x27, 0, 0, 0, 0, 0, 0, // ts 10000
        7, 0, 0, 0, 0, 0, 0, 0, // cookie
        5, 0, 0, 0, // len
        3, 0, 0, 0, // caplen
        2, 0, 0, 0, // drops
        1, 0, 0, 0, // truncated
        0x45, 0x00, 0x00, // data
    ];

    #[test]
    fn packet() {
        let Ok(Record::Packet(p)) = parse(&PACKET_BYTES) else {
            panic!("not a packet")
        };
        assert_eq!(p.pid, 4242);
        assert_eq!(p.monotonic_ns, 10_000);
        assert_eq!(p.cookie, 7);
        assert_eq!(p.len, 5);
        assert_eq!(p.data, &[0x45, 0, 0]);
        assert_eq!(p.direction, Direction::Egress);
        assert!(p.truncated_by_snaplen && !p.truncated_for_fairness);
        assert_eq!((p.socket_drops, p.socket_truncated), (2, 1));
    }

    #[test]
    fn packet_whose_caplen_overruns_is_short() {
        let mut b = PACKET_BYTES;
        b[28] = 200;
        assert_eq!(
            parse(&b),
            Err(RecordError::Short {
                kind: "packet",
                len: 43
            })
        );
        assert!(matches!(
            parse(&PACKET_BYTES[..39]),
            Err(RecordError::Short { .. })
        ));
    }

    #[test]
    fn owner_and_close() {
        let mut o = vec![2, 0, 0, 0, 1, 0, 0, 0];
        o.extend_from_slice(&5u64.to_le_bytes());
        o.extend_from_slice(&9u64.to_le_bytes());
        o.extend_from_slice(b"curl\0\0\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(
            parse(&o),
            Ok(Record::Owner(Owner {
                monotonic_ns: 5,
                cookie: 9,
                pid: 1,
                comm: "curl".into()
            }))
        );
        let mut c = vec![3, 0, 0, 0, 1, 0, 0, 0];
        for v in [5u64, 9, 100, 350] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        for v in [2u32, 0, 1, 0, 4, 0] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        let Ok(Record::Closed(closed)) = parse(&c) else {
            panic!("not a close")
        };
        assert_eq!(closed.connect_ns(), Some(250));
        assert!(!closed.failed_connect());
        assert_eq!(
            (closed.retransmits, closed.resets_out, closed.truncated),
            (2, 1, 4)
        );
        assert!(matches!(parse(&c[..40]), Err(RecordError::Short { .. })));
    }

    #[test]
    fn plaintext() {
        let mut b = vec![4, 1, 1, 0, 7, 0, 0, 0];
        for v in [99u64, 0xdead_beef, 1000] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for v in [4u32, 4, 5, 8] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&77u64.to_le_bytes());
        b.extend_from_slice(b"HTTP");
        let Ok(Record::Plain(p)) = parse(&b) else {
            panic!("not plaintext")
        };
        assert_eq!(
            (p.pid, p.tid, p.conn, p.position),
            (7, 8, 0xdead_beef, 1000)
        );
        assert_eq!(
            (p.direction, p.library, p.fd),
            (Direction::Ingress, 1, Some(5))
        );
        assert_eq!(p.data, b"HTTP");
        b[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        let Ok(Record::Plain(p)) = parse(&b) else {
            panic!("not plaintext")
        };
        assert_eq!(p.fd, None);
        assert!(matches!(parse(&b[..58]), Err(RecordError::Short { .. })));
    }

    #[test]
    fn unknown_and_empty() {
        assert_eq!(parse(&[]), Err(RecordError::Empty));
        assert_eq!(parse(&[9, 0]), Err(RecordError::UnknownKind(9)));
    }
}
