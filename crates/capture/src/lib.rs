//! Capture sources: streaming pcap and pcapng readers (plain, gzip, stdin).
//!
//! This crate owns turning a capture file into a sequence of [`Block`]s: packets with their
//! timestamp, link type and interface, and pcapng Decryption Secrets Blocks for the TLS layer.
//! It counts what it reads and what the capture itself lost in [`model::CaptureStats`].
//!
//! Invariants:
//! - streaming: the file is never loaded whole. One buffer (1 MiB, growing only for a record
//!   larger than it and bounded by the absurd-length limits) is filled by large reads, and
//!   [`CaptureReader::next_block`] lends slices of it: no copy and no allocation per packet;
//! - no input makes it panic: every length is checked before it is used, and a malformed block
//!   is a [`CaptureError::Corrupt`] naming the file, the byte offset in the decompressed stream
//!   and the packet count;
//! - a stream that ends in the middle of a record is not an error: reading stops there and
//!   [`model::CaptureStats::truncated_tail`] says where (captures cut by a full disk or a killed
//!   tcpdump are common and everything before the cut is good);
//! - after an error or the end, `next_block` keeps returning `Ok(None)`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
#[doc(hidden)]
pub mod fuzzing;
mod input;
mod pcap;
mod pcapng;
mod source;
mod timestamp;

pub use error::CaptureError;

use input::Input;
use model::{CaptureStats, Timestamp};
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use wire::LinkType;

/// The largest captured packet accepted (libpcap's `MAXIMUM_SNAPLEN`); a record claiming more
/// is corrupt.
pub(crate) const MAX_PACKET_LEN: usize = 256 * 1024;

/// The container format of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap.
    Pcap {
        /// Nanosecond timestamps (magic a1b23c4d) rather than microseconds.
        nanos: bool,
        /// Fields are big-endian.
        big_endian: bool,
    },
    /// pcapng (byte order may change per section).
    Pcapng,
}

/// One captured packet.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// Position in the capture, from 1.
    pub number: u64,
    /// When it was captured.
    pub ts: Timestamp,
    /// Link-layer header type of its interface.
    pub link: LinkType,
    /// pcapng interface id (0 for pcap).
    pub interface: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Length on the wire (larger than `data.len()` when the capture snapped it).
    pub orig_len: u32,
    /// pcapng `opt_comment` of the packet, if UTF-8.
    pub comment: Option<&'a str>,
}

/// A block of a capture that later layers use.
#[derive(Clone, Copy, Debug)]
pub enum Block<'a> {
    /// A packet.
    Packet(Packet<'a>),
    /// pcapng Decryption Secrets Block (type 0x0000000A), kept for the TLS layer: secrets_type
    /// (e.g. 0x544c534b TLS key log), raw secrets data.
    DecryptionSecrets {
        /// What the secrets are (0x544c534b: NSS key log text).
        secrets_type: u32,
        /// The secrets, without padding.
        data: &'a [u8],
    },
}

/// What a format reader found; ranges index the input buffer and are valid until the next
/// fill.
pub(crate) enum Step {
    /// Clean end of the stream.
    End,
    /// The stream ended `have` bytes into a record of `need` bytes at `offset`.
    Truncated {
        offset: u64,
        have: usize,
        need: usize,
    },
    /// A block that yields nothing (headers, statistics, unknown types).
    Skip,
    /// A packet.
    Packet(PacketRef),
    /// A Decryption Secrets Block.
    Secrets {
        secrets_type: u32,
        data: Range<usize>,
    },
}

impl Step {
    /// `End` when nothing is left, else `Truncated` for a record of `need` bytes at `offset`.
    pub(crate) fn end_or_truncated(input: &Input, offset: u64, need: usize) -> Step {
        match input.available().len() {
            0 => Step::End,
            have => Step::Truncated { offset, have, need },
        }
    }
}

/// A packet whose bytes are still ranges of the input buffer.
pub(crate) struct PacketRef {
    pub(crate) ts: Timestamp,
    pub(crate) link: LinkType,
    pub(crate) interface: u32,
    pub(crate) data: Range<usize>,
    pub(crate) orig_len: u32,
    pub(crate) comment: Option<Range<usize>>,
}

/// Why a format reader stopped, before the file name and packet count are attached.
pub(crate) enum Fault {
    Io(io::Error),
    Corrupt { offset: u64, what: String },
}

impl Fault {
    pub(crate) fn corrupt(offset: u64, what: impl Into<String>) -> Fault {
        Fault::Corrupt {
            offset,
            what: what.into(),
        }
    }
}

impl From<io::Error> for Fault {
    fn from(e: io::Error) -> Fault {
        Fault::Io(e)
    }
}

/// The format-specific state.
enum Kind {
    Pcap(pcap::Header),
    Pcapng(pcapng::Reader),
}

/// A streaming reader of one pcap or pcapng capture.
pub struct CaptureReader {
    name: String,
    input: Input,
    kind: Kind,
    stats: CaptureStats,
    /// Bytes taken from the source (compressed bytes for gzip).
    consumed: Arc<AtomicU64>,
    total_size: Option<u64>,
    finished: bool,
}

impl CaptureReader {
    /// Opens a capture file. `-` reads stdin. gzip is detected by its magic bytes (1f 8b), not
    /// by extension.
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        if path == Path::new("-") {
            return CaptureReader::from_reader("stdin", Box::new(io::stdin()), None);
        }
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| CaptureError::Io {
            file: name.clone(),
            source,
        })?;
        let total_size = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        CaptureReader::from_reader(&name, Box::new(file), total_size)
    }

    /// Reads a capture from any byte source; `name` is used in messages, `total_size` (of the
    /// source, compressed if it is) in [`CaptureReader::progress`]. gzip is detected by its
    /// magic bytes.
    pub fn from_reader(
        name: &str,
        reader: Box<dyn Read + Send>,
        total_size: Option<u64>,
    ) -> Result<CaptureReader, CaptureError> {
        let io_error = |source| CaptureError::Io {
            file: name.to_owned(),
            source,
        };
        let (stream, consumed) = source::open_stream(reader).map_err(io_error)?;
        let mut input = Input::new(stream);
        let truncated = |input: &Input, need: usize| CaptureError::HeaderTruncated {
            file: name.to_owned(),
            have: input.available().len() as u64,
            need: need as u64,
        };
        if !input.fill(4).map_err(io_error)? {
            return Err(truncated(&input, 4));
        }
        let magic = input
            .available()
            .first_chunk::<4>()
            .copied()
            .unwrap_or_default();
        let kind = if let Some((big_endian, nanos)) = pcap::magic(magic) {
            if !input.fill(pcap::HEADER_LEN).map_err(io_error)? {
                return Err(truncated(&input, pcap::HEADER_LEN));
            }
            let header = input
                .available()
                .first_chunk::<{ pcap::HEADER_LEN }>()
                .map_or_else(
                    || pcap::Header::parse(&[0; pcap::HEADER_LEN], big_endian, nanos),
                    |bytes| pcap::Header::parse(bytes, big_endian, nanos),
                );
            input.consume(pcap::HEADER_LEN);
            Kind::Pcap(header)
        } else if magic == pcapng::SHB_MAGIC {
            // Check that the first section header is whole, so a stub fails at opening.
            if !input.fill(pcapng::MIN_SHB_LEN).map_err(io_error)? {
                return Err(truncated(&input, pcapng::MIN_SHB_LEN));
            }
            Kind::Pcapng(pcapng::Reader::new())
        } else {
            return Err(CaptureError::NotACapture {
                file: name.to_owned(),
                magic,
            });
        };
        let stats = CaptureStats {
            file_bytes: input.offset(),
            ..CaptureStats::default()
        };
        Ok(CaptureReader {
            name: name.to_owned(),
            input,
            kind,
            stats,
            consumed,
            total_size,
            finished: false,
        })
    }

    /// The next packet or secrets block. `Ok(None)` at the end. A file that ends in the middle
    /// of a record returns `Ok(None)` too and sets `stats().truncated_tail` to a description
    /// with the offset and packet number.
    pub fn next_block(&mut self) -> Result<Option<Block<'_>>, CaptureError> {
        if self.finished {
            return Ok(None);
        }
        loop {
            let step = match &mut self.kind {
                Kind::Pcap(header) => header.next(&mut self.input),
                Kind::Pcapng(reader) => reader.next(&mut self.input),
            };
            let step = match step {
                Ok(step) => step,
                Err(fault) => {
                    self.finished = true;
                    return Err(self.error(fault));
                }
            };
            self.stats.file_bytes = self.input.offset();
            match step {
                Step::Skip => {
                    if let Kind::Pcapng(reader) = &self.kind {
                        self.stats.dropped_by_capture = reader.dropped();
                    }
                }
                Step::End => {
                    self.finished = true;
                    if let Some(why) = self.input.cut_short() {
                        self.stats.truncated_tail = Some(format!(
                            "the compressed stream ends early after {} bytes ({}): {why}",
                            self.stats.file_bytes,
                            error::after(&self.stats.packets)
                        ));
                    }
                    return Ok(None);
                }
                Step::Truncated { offset, have, need } => {
                    self.finished = true;
                    let cut = self
                        .input
                        .cut_short()
                        .map(|why| format!(" ({why})"))
                        .unwrap_or_default();
                    self.stats.truncated_tail = Some(format!(
                        "the capture ends inside the block at offset {offset} ({}): {have} of \
                         {need} bytes present{cut}; the rest was skipped",
                        error::after(&self.stats.packets)
                    ));
                    return Ok(None);
                }
                Step::Packet(p) => {
                    let caplen = p.data.len() as u64;
                    let stats = &mut self.stats;
                    stats.packets += 1;
                    stats.packet_bytes += caplen;
                    if caplen < u64::from(p.orig_len) {
                        stats.snapped_packets += 1;
                        stats.snapped_bytes += u64::from(p.orig_len) - caplen;
                    }
                    let comment = p
                        .comment
                        .and_then(|range| std::str::from_utf8(self.input.slice(range)).ok());
                    return Ok(Some(Block::Packet(Packet {
                        number: stats.packets,
                        ts: p.ts,
                        link: p.link,
                        interface: p.interface,
                        data: self.input.slice(p.data),
                        orig_len: p.orig_len,
                        comment,
                    })));
                }
                Step::Secrets { secrets_type, data } => {
                    return Ok(Some(Block::DecryptionSecrets {
                        secrets_type,
                        data: self.input.slice(data),
                    }));
                }
            }
        }
    }

    /// Counters of what was read.
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// The container format.
    pub fn format(&self) -> Format {
        match &self.kind {
            Kind::Pcap(h) => Format::Pcap {
                nanos: h.nanos,
                big_endian: h.big_endian,
            },
            Kind::Pcapng(_) => Format::Pcapng,
        }
    }

    /// The name given at opening (the path as given, or `stdin`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes of the underlying file consumed so far (compressed bytes for .gz) and its size
    /// when known: for a progress bar.
    pub fn progress(&self) -> (u64, Option<u64>) {
        (self.consumed.load(Ordering::Relaxed), self.total_size)
    }

    /// Attaches the file name and position to a reader fault.
    fn error(&self, fault: Fault) -> CaptureError {
        match fault {
            Fault::Io(e) => CaptureError::Io {
                file: self.name.clone(),
                source: io::Error::new(
                    e.kind(),
                    format!(
                        "read error at offset {} ({}): {e}",
                        self.input.offset(),
                        error::after(&self.stats.packets)
                    ),
                ),
            },
            Fault::Corrupt { offset, what } => CaptureError::Corrupt {
                file: self.name.clone(),
                offset,
                packet: self.stats.packets,
                what,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    /// The start of an HTTP response: not a capture.
    static HTTP_BYTES: [u8; 12] = *b"HTTP/1.1 200";

    /// A pcap file header (little-endian, µs, Ethernet) and one 1-byte record.
    static ONE_RECORD_PCAP_BYTES: [u8; 41] = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0, //
        1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xaa,
    ];

    fn open_bytes(bytes: &'static [u8]) -> Result<CaptureReader, CaptureError> {
        CaptureReader::from_reader("x.txt", Box::new(Cursor::new(bytes)), None)
    }

    #[test]
    fn not_a_capture() {
        let err = open_bytes(&HTTP_BYTES)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            err,
            "x.txt is not a pcap or pcapng capture (starts with 48 54 54 50); convert it with \
             editcap or capture with tcpdump -w"
        );
    }

    #[test]
    fn too_short_to_tell() {
        assert!(matches!(
            open_bytes(&HTTP_BYTES[..3]),
            Err(CaptureError::HeaderTruncated {
                have: 3,
                need: 4,
                ..
            })
        ));
        assert!(matches!(
            open_bytes(&[]),
            Err(CaptureError::HeaderTruncated { have: 0, .. })
        ));
    }

    #[test]
    fn open_reads_files_and_reports_progress() {
        let dir = std::env::temp_dir().join(format!("httpscope-capture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let plain = dir.join("one.pcap");
        std::fs::write(&plain, ONE_RECORD_PCAP_BYTES).expect("write");
        // gzip under a name that does not say so: detection is by content.
        let gz = dir.join("one.cap");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&ONE_RECORD_PCAP_BYTES).expect("compress");
        let gz_bytes = enc.finish().expect("compress");
        std::fs::write(&gz, &gz_bytes).expect("write");
        for (path, size) in [(&plain, 41), (&gz, gz_bytes.len() as u64)] {
            let mut r = CaptureReader::open(path).expect("opens");
            assert_eq!(r.name(), path.display().to_string());
            let Ok(Some(Block::Packet(p))) = r.next_block() else {
                panic!("no packet")
            };
            assert_eq!(
                (p.number, p.ts.nanos(), p.data),
                (1, 1_000_002_000, &[0xaa][..])
            );
            assert!(matches!(r.next_block(), Ok(None)));
            assert_eq!(r.progress(), (size, Some(size)));
        }
        let missing = CaptureReader::open(&dir.join("missing.pcap")).err();
        assert!(matches!(missing, Some(CaptureError::Io { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
