//! HPACK header decompression for HTTP/2 (RFC 7541).
//!
//! One [`Decoder`] per direction of a connection turns complete header blocks (a HEADERS or
//! PUSH_PROMISE fragment joined with its CONTINUATIONs) into `(name, value)` byte pairs,
//! keeping the dynamic table in step with the peer's encoder.
//!
//! - `decoder`: representations (§6), integers (§5.1), string literals (§5.2), size
//!   updates (§6.3).
//! - `huffman`: the Appendix B code with a 4-bit table-driven decoder built at compile time.
//! - `table`: the static table (Appendix A) and the dynamic table with eviction (§4), which
//!   counts entries by their RFC size (name + value + 32) and keeps their bytes in one arena.
//!
//! Like h2's decoder, errors say *what* failed rather than just "malformed". The caller joins
//! the fragments first, so a block that ends inside a representation is malformed too, but
//! reported apart as [`HpackError::Truncated`] ("needed more bytes") so that a caller who
//! fed a partial block (capture loss) can tell it from a bad encoder. Any error leaves the
//! dynamic table out of step with the peer: the decoder must not be trusted afterwards.
//! No input makes it panic, and memory is bounded by the table size the peer allows plus
//! [`MAX_STRING`] per string.

mod decoder;
mod huffman;
mod table;

pub use decoder::Decoder;

use std::fmt;

/// Longest string literal accepted, in encoded octets (64 KiB).
pub const MAX_STRING: usize = 64 * 1024;

/// Why a header block could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HpackError {
    /// The block ended inside a representation (an integer, or a string shorter than its
    /// announced length).
    Truncated,
    /// An index of 0, or beyond the static and dynamic tables.
    InvalidIndex(u64),
    /// An integer (index, length or size) does not fit in 64 bits.
    IntegerOverflow,
    /// A Huffman string contains EOS, or its padding is longer than 7 bits or not all ones.
    Huffman,
    /// A dynamic table size update above the allowed maximum, or not at the block start.
    TableSizeUpdate(u64),
    /// A string literal longer than [`MAX_STRING`].
    TooLong,
}

impl fmt::Display for HpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HpackError::Truncated => f.write_str("HPACK header block ends inside a field"),
            HpackError::InvalidIndex(0) => f.write_str("HPACK field index 0 is invalid"),
            HpackError::InvalidIndex(i) => {
                write!(f, "HPACK field index {i} is beyond the static and dynamic tables")
            }
            HpackError::IntegerOverflow => f.write_str("HPACK integer overflows 64 bits"),
            HpackError::Huffman => f.write_str(
                "HPACK Huffman string has an EOS symbol or padding longer than 7 bits or not all ones",
            ),
            HpackError::TableSizeUpdate(size) => write!(
                f,
                "HPACK dynamic table size update to {size} is above the allowed maximum or not at the block start"
            ),
            HpackError::TooLong => {
                write!(f, "HPACK string literal is longer than {MAX_STRING} bytes")
            }
        }
    }
}

impl std::error::Error for HpackError {}

/// Exists for the `hpack` fuzz target (`fuzz/fuzz_targets/hpack.rs`) and the corpus test
/// (`tests/hpack_corpus.rs`); not part of the stable API.
///
/// Input: byte 0 is a separator, byte 1 times 32 is the table size the peer allows, and the
/// rest, split at every separator byte, is a sequence of header blocks decoded in order by
/// one [`Decoder`] (carrying on after errors, to exercise a decoder out of step).
#[doc(hidden)]
pub fn fuzz_decode(data: &[u8]) {
    let [sep, size, rest @ ..] = data else {
        return;
    };
    let max = usize::from(*size) * 32;
    let mut decoder = Decoder::new(max);
    for block in rest.split(|b| b == sep) {
        let _ = decoder.decode(block, &mut |name, value| {
            // A Huffman string decodes to at most 8/5 of its encoded length.
            assert!(name.len() <= 2 * MAX_STRING && value.len() <= 2 * MAX_STRING);
        });
        assert!(decoder.table_size() <= max, "table above its maximum");
    }
}
