//! The streaming read buffer.
//!
//! Owns one large buffer that the readers parse in place and hand out slices of. Invariants:
//! `pos <= end <= buf.len()`; `buf[pos..end]` are bytes read but not consumed, and `base + pos`
//! is the stream offset of `buf[pos]`. The buffer grows only when one record is larger than
//! it, and then only as far as bytes actually arrive (doubling), so a corrupt length cannot make
//! it allocate more than twice what the stream holds; callers bound `need` by their absurd-length
//! limits. Unconsumed bytes move to the front only when more must be read: at most one partial
//! record is copied per refill.

use std::io::{self, Read};
use std::ops::Range;

/// Size of the buffer at start: large reads keep system-call and decompression overhead small,
/// and it is reused for the whole file.
const INITIAL_CAPACITY: usize = 1 << 20;

/// A byte source and the buffer it is read into.
pub(crate) struct Input {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// The reader reported the end of the stream.
    eof: bool,
    /// The reader ended with `UnexpectedEof` (a gzip stream cut short): its message.
    cut_short: Option<String>,
}

impl Input {
    pub(crate) fn new(reader: Box<dyn Read + Send>) -> Input {
        Input {
            reader,
            buf: vec![0; INITIAL_CAPACITY],
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            cut_short: None,
        }
    }

    /// Stream offset of the first unconsumed byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    /// The bytes read and not yet consumed.
    pub(crate) fn available(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    /// Index in the buffer of the first unconsumed byte, to build ranges for [`Input::slice`].
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes of the buffer, by absolute range. Valid until the next [`Input::fill`].
    pub(crate) fn slice(&self, range: Range<usize>) -> &[u8] {
        self.buf.get(range).unwrap_or_default()
    }

    /// Marks `n` available bytes as consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.end);
    }

    /// Why the stream ended early, when the reader said so (truncated gzip member).
    pub(crate) fn cut_short(&self) -> Option<&str> {
        self.cut_short.as_deref()
    }

    /// Reads until at least `need` bytes are available. `Ok(false)` when the stream ends first
    /// (the bytes that did arrive stay available).
    pub(crate) fn fill(&mut self, need: usize) -> io::Result<bool> {
        while self.end.saturating_sub(self.pos) < need {
            if self.eof {
                return Ok(false);
            }
            self.compact();
            if self.end == self.buf.len() {
                // Full and still short: the record is larger than the buffer.
                let grown = need
                    .min(self.buf.len().saturating_mul(2))
                    .max(self.buf.len() + 1);
                self.buf.resize(grown, 0);
            }
            let spare = self.buf.get_mut(self.end..).unwrap_or_default();
            match self.reader.read(spare) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end = self.end.saturating_add(n).min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.eof = true;
                    self.cut_short = Some(e.to_string());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Moves the unconsumed bytes to the front of the buffer.
    fn compact(&mut self) {
        if self.pos == 0 {
            return;
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.base = self.base.saturating_add(self.pos as u64);
        self.end -= self.pos;
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns its bytes a few at a time.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let rest = self.data.get(self.at..).unwrap_or_default();
            let n = rest.len().min(self.step).min(out.len());
            out.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(rest.get(..n).unwrap_or_default());
            self.at += n;
            Ok(n)
        }
    }

    static SEVEN_BYTES: [u8; 7] = [1, 2, 3, 4, 5, 6, 7];

    #[test]
    fn fills_across_short_reads_and_tracks_offsets() {
        let mut input = Input::new(Box::new(Trickle {
            data: SEVEN_BYTES.to_vec(),
            at: 0,
            step: 2,
        }));
        assert!(input.fill(5).expect("fill"));
        assert_eq!(input.available().get(..5), Some(&SEVEN_BYTES[..5]));
        input.consume(5);
        assert_eq!(input.offset(), 5);
        assert!(!input.fill(3).expect("fill"));
        assert_eq!(input.available(), &[6, 7]);
        assert_eq!(input.offset(), 5);
    }

    #[test]
    fn grows_only_as_data_arrives() {
        let data = vec![9u8; INITIAL_CAPACITY * 3];
        let mut input = Input::new(Box::new(Trickle {
            data,
            at: 0,
            step: 1 << 16,
        }));
        input.consume(0);
        // Ask for far more than exists: the buffer stops growing at the end of the stream.
        assert!(!input.fill(usize::MAX / 2).expect("fill"));
        assert_eq!(input.available().len(), INITIAL_CAPACITY * 3);
        assert!(input.buf.len() <= INITIAL_CAPACITY * 4);
    }
}
