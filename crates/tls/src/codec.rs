//! The byte cursor every TLS and DER decoder in this crate reads through, and the crate's
//! decode error.
//!
//! Owns: [`Reader`], a cursor over a borrowed slice whose reads are all bounds-checked, and
//! whose length-prefixed sub-readers (`sub_u8`, `sub_u16`, `sub_u24`) can never read past the
//! vector they were cut for — the TLS presentation language's `<floor..ceiling>` vectors
//! (RFC 8446 §3.4, RFC 5246 §4.3) map one-to-one onto them. Modelled on rustls'
//! `msgs/codec.rs`.
//!
//! Invariant: every read names the structure it decodes (`"ClientHello.extensions"`), and
//! every [`TlsError`] carries that name, so a failure says what was malformed and by how
//! much, never just "decode error". No method panics, whatever the input.

// until conn.rs uses it

use std::fmt;

/// Why bytes could not be decoded as the TLS (or X.509) structure they were meant to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsError {
    /// A fixed-size field needs more bytes than remain in its enclosing structure.
    Truncated {
        /// The structure or field being read.
        what: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that remain.
        remaining: usize,
    },
    /// A length prefix announces more bytes than its enclosing structure holds.
    LengthExceeds {
        /// The length-prefixed vector.
        what: &'static str,
        /// The announced length.
        length: usize,
        /// Bytes that remain.
        remaining: usize,
    },
    /// A structure was fully decoded but bytes follow it inside its bounds.
    TrailingBytes {
        /// The structure.
        what: &'static str,
        /// Bytes left over.
        count: usize,
    },
    /// A length is legal on the wire but larger than this decoder accepts.
    TooLarge {
        /// The structure.
        what: &'static str,
        /// The announced length.
        length: usize,
        /// The largest length accepted.
        max: usize,
    },
    /// A value that the format does not allow (unknown content type, zero-length name, ...).
    Invalid {
        /// The structure or field.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

impl TlsError {
    /// An [`TlsError::Invalid`] for `what`.
    pub(crate) fn invalid(what: &'static str, detail: impl Into<String>) -> Self {
        TlsError::Invalid {
            what,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Truncated {
                what,
                needed,
                remaining,
            } => write!(
                f,
                "{what}: truncated, needs {needed} bytes but {remaining} remain"
            ),
            TlsError::LengthExceeds {
                what,
                length,
                remaining,
            } => write!(f, "{what}: length {length} exceeds remaining {remaining}"),
            TlsError::TrailingBytes { what, count } => {
                write!(f, "{what}: {count} unexpected trailing bytes")
            }
            TlsError::TooLarge { what, length, max } => {
                write!(f, "{what}: length {length} exceeds the maximum of {max}")
            }
            TlsError::Invalid { what, detail } => write!(f, "{what}: {detail}"),
        }
    }
}

impl std::error::Error for TlsError {}

/// A bounds-checked cursor over `buf`. `what` names the structure the whole reader spans,
/// used when bytes are left over ([`Reader::finish`]).
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over all of `buf`, which holds one `what`.
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, what }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Whether everything has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The next `n` bytes, as field `what`.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], TlsError> {
        if n > self.buf.len() {
            return Err(TlsError::Truncated {
                what,
                needed: n,
                remaining: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// A fixed-size array (a `Random`, for instance).
    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], TlsError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A `uint8`.
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, TlsError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A big-endian `uint16`.
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, TlsError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// A big-endian `uint24`.
    pub(crate) fn u24(&mut self, what: &'static str) -> Result<u32, TlsError> {
        let [a, b, c] = self.array(what)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A reader over the next `len` bytes, which hold one `what`; `len` came from a length
    /// prefix, so running short is [`TlsError::LengthExceeds`].
    pub(crate) fn sub(&mut self, len: usize, what: &'static str) -> Result<Reader<'a>, TlsError> {
        if len > self.buf.len() {
            return Err(TlsError::LengthExceeds {
                what,
                length: len,
                remaining: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(len);
        self.buf = tail;
        Ok(Reader::new(head, what))
    }

    /// A vector with a one-byte length prefix (`opaque x<0..2^8-1>`).
    pub(crate) fn sub_u8(&mut self, what: &'static str) -> Result<Reader<'a>, TlsError> {
        let len = self.u8(what)?;
        self.sub(usize::from(len), what)
    }

    /// A vector with a two-byte length prefix (`opaque x<0..2^16-1>`).
    pub(crate) fn sub_u16(&mut self, what: &'static str) -> Result<Reader<'a>, TlsError> {
        let len = self.u16(what)?;
        self.sub(usize::from(len), what)
    }

    /// A vector with a three-byte length prefix (`opaque x<0..2^24-1>`).
    pub(crate) fn sub_u24(&mut self, what: &'static str) -> Result<Reader<'a>, TlsError> {
        let len = self.u24(what)?;
        // A u24 always fits a usize on the platforms Rust supports (>= 32 bits).
        self.sub(len as usize, what)
    }

    /// Succeeds when everything was read; otherwise names the leftover bytes.
    pub(crate) fn finish(&self) -> Result<(), TlsError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(TlsError::TrailingBytes {
                what: self.what,
                count: self.buf.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `uint16 a; opaque b<0..2^8-1>; uint24 c;` = 0x0102, "xyz", 0x030405.
    static WELL_FORMED: [u8; 9] = [0x01, 0x02, 0x03, b'x', b'y', b'z', 0x03, 0x04, 0x05];
    /// A `<0..2^16-1>` vector announcing 300 bytes with only 2 behind it.
    static IMPOSSIBLE_LENGTH: [u8; 4] = [0x01, 0x2c, 0xaa, 0xbb];

    #[test]
    fn reads_fields_and_vectors() {
        let mut r = Reader::new(&WELL_FORMED, "T");
        assert_eq!(r.u16("T.a"), Ok(0x0102));
        let mut b = r.sub_u8("T.b").unwrap();
        assert_eq!(b.rest(), b"xyz");
        assert!(b.finish().is_ok());
        assert_eq!(r.u24("T.c"), Ok(0x030405));
        assert!(r.is_empty());
        assert!(r.finish().is_ok());
    }

    #[test]
    fn truncated_field_names_it() {
        let mut r = Reader::new(&WELL_FORMED[..1], "T");
        let e = r.u16("T.a").unwrap_err();
        assert_eq!(e.to_string(), "T.a: truncated, needs 2 bytes but 1 remain");
        // A failed read consumes nothing.
        assert_eq!(r.remaining(), 1);
    }

    #[test]
    fn impossible_length_names_the_vector() {
        let mut r = Reader::new(&IMPOSSIBLE_LENGTH, "ClientHello");
        let e = r.sub_u16("ClientHello.extensions").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ClientHello.extensions: length 300 exceeds remaining 2"
        );
    }

    #[test]
    fn leftover_bytes_name_the_structure() {
        let mut r = Reader::new(&WELL_FORMED, "T");
        r.take(7, "T.head").unwrap();
        assert_eq!(
            r.finish().unwrap_err().to_string(),
            "T: 2 unexpected trailing bytes"
        );
        let e = TlsError::TooLarge {
            what: "Handshake",
            length: 9,
            max: 8,
        };
        assert_eq!(
            e.to_string(),
            "Handshake: length 9 exceeds the maximum of 8"
        );
        assert_eq!(
            TlsError::invalid("KeyUpdate", "bad value 7").to_string(),
            "KeyUpdate: bad value 7"
        );
    }
}
