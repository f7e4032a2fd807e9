//! The capture reading error type.
//!
//! Owns [`CaptureError`] and its messages. Invariant: every message names the file; messages
//! about the content also give the byte offset in the (decompressed) stream and how many packets
//! were read before it, so a user can find the place with `xxd -s` or `editcap -r`.

use std::io;

/// Why a capture could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened or read. Read errors after the start of the stream carry
    /// their offset and packet number in the message of `source`.
    #[error("{file}: {source}")]
    Io {
        /// The capture's name.
        file: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The stream starts with neither a pcap nor a pcapng magic number.
    #[error(
        "{file} is not a pcap or pcapng capture (starts with {}); convert it with editcap or \
         capture with tcpdump -w",
        hex(.magic)
    )]
    NotACapture {
        /// The capture's name.
        file: String,
        /// Its first four bytes.
        magic: [u8; 4],
    },
    /// The stream ends before its file header is complete.
    #[error("{file} ends after {have} bytes, inside the capture file header ({need} bytes)")]
    HeaderTruncated {
        /// The capture's name.
        file: String,
        /// Bytes present.
        have: u64,
        /// Bytes the header needs.
        need: u64,
    },
    /// A block or record is malformed; reading cannot continue reliably.
    #[error("{file}: corrupt block at offset {offset} ({}): {what}", after(.packet))]
    Corrupt {
        /// The capture's name.
        file: String,
        /// Offset of the block or record in the (decompressed) stream.
        offset: u64,
        /// Packets read before it.
        packet: u64,
        /// What is wrong.
        what: String,
    },
}

/// "after packet 42", or "before the first packet".
pub(crate) fn after(packets: &u64) -> String {
    if *packets == 0 {
        "before the first packet".to_owned()
    } else {
        format!("after packet {packets}")
    }
}

fn hex(bytes: &[u8; 4]) -> String {
    let [a, b, c, d] = bytes;
    format!("{a:02x} {b:02x} {c:02x} {d:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = CaptureError::NotACapture {
            file: "x.txt".into(),
            magic: *b"HTTP",
        };
        assert_eq!(
            e.to_string(),
            "x.txt is not a pcap or pcapng capture (starts with 48 54 54 50); convert it with \
             editcap or capture with tcpdump -w"
        );
        let e = CaptureError::Corrupt {
            file: "capture.pcapng".into(),
            offset: 123_456,
            packet: 42,
            what: "block length 12 is smaller than the minimum 28".into(),
        };
        assert_eq!(
            e.to_string(),
            "capture.pcapng: corrupt block at offset 123456 (after packet 42): block length 12 is \
             smaller than the minimum 28"
        );
        let e = CaptureError::HeaderTruncated {
            file: "a.pcap".into(),
            have: 10,
            need: 24,
        };
        assert_eq!(
            e.to_string(),
            "a.pcap ends after 10 bytes, inside the capture file header (24 bytes)"
        );
        assert_eq!(after(&0), "before the first packet");
    }
}
