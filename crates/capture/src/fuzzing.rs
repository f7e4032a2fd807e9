//! Entry point shared by the `capture_reader` fuzz target and the corpus replay test.
//!
//! Owns what a fuzz input means (a whole capture file) and the properties checked while
//! reading it: reading gives the same blocks whether the source delivers everything at once or
//! a few bytes per read (so buffer compaction and growth are invisible), the counters agree with
//! the blocks returned, and every packet decodes with `wire::decode` without panicking.

use crate::{Block, CaptureError, CaptureReader};
use std::io::{self, Cursor, Read};

/// A source that returns at most `step` bytes per read.
struct Trickle {
    inner: Cursor<Vec<u8>>,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step);
        self.inner.read(buf.get_mut(..n).unwrap_or_default())
    }
}

/// Reads one fuzz input as a capture file and checks the properties above.
///
/// A read error (a corrupt gzip stream) is the exception to "the split does not matter": the
/// decoder reports it from the read call that reaches the bad bytes, and how much decoded data
/// reached the reader before depends on the size of the calls.
pub fn read_input(input: &[u8]) {
    let (whole, whole_io) = summary(Box::new(Cursor::new(input.to_vec())));
    let step = 1 + input.len() % 13;
    let trickle = Trickle {
        inner: Cursor::new(input.to_vec()),
        step,
    };
    let (trickled, trickled_io) = summary(Box::new(trickle));
    if !whole_io && !trickled_io {
        assert_eq!(
            whole, trickled,
            "reading depends on how the source splits its bytes"
        );
    }
}

/// What reading a capture gave: one line per block and the final state; and whether it ended
/// with a read error.
fn summary(source: Box<dyn Read + Send>) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let mut reader = match CaptureReader::from_reader("fuzz", source, None) {
        Ok(reader) => reader,
        Err(e) => return (vec![e.to_string()], matches!(e, CaptureError::Io { .. })),
    };
    let mut io_error = false;
    let (mut packets, mut bytes) = (0u64, 0u64);
    loop {
        match reader.next_block() {
            Ok(Some(Block::Packet(p))) => {
                packets += 1;
                bytes += p.data.len() as u64;
                assert_eq!(p.number, packets);
                assert!(p.data.len() <= crate::MAX_PACKET_LEN);
                let decoded = wire::decode(p.link, p.data)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                out.push(format!(
                    "packet {} {} {:?} {} {} {:?} {:?} {:?}",
                    p.number,
                    p.ts.nanos(),
                    p.link,
                    p.interface,
                    p.orig_len,
                    p.data,
                    p.comment,
                    decoded
                ));
            }
            Ok(Some(Block::DecryptionSecrets { secrets_type, data })) => {
                out.push(format!("secrets {secrets_type} {data:?}"));
            }
            Ok(None) => break,
            Err(e) => {
                io_error = matches!(e, CaptureError::Io { .. });
                out.push(e.to_string());
                break;
            }
        }
    }
    assert!(
        matches!(reader.next_block(), Ok(None)),
        "a finished reader must stay finished"
    );
    let stats = reader.stats();
    assert_eq!((stats.packets, stats.packet_bytes), (packets, bytes));
    out.push(format!("{stats:?}"));
    (out, io_error)
}
