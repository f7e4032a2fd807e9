//! Classic pcap files (libpcap format, `pcap-savefile(5)`).
//!
//! Owns the 24-byte file header and the 16-byte record headers. Magic a1b2c3d4 means
//! microsecond timestamps, a1b23c4d nanoseconds; either may be written in either byte order, and
//! the byte order of the magic is the byte order of every field. The link type field carries FCS
//! information in its upper bits, which is masked off. Invariant: a record is returned only
//! whole, and its captured length is at most the snap length (when the header gives one) and
//! at most [`MAX_PACKET_LEN`]; anything larger is corrupt, not a reason to allocate.

use crate::input::Input;
use crate::timestamp::Resolution;
use crate::{Fault, PacketRef, Step, MAX_PACKET_LEN};
use model::Timestamp;
use wire::LinkType;

/// Length of the file header.
pub(crate) const HEADER_LEN: usize = 24;
/// Length of a record header.
const RECORD_HEADER_LEN: usize = 16;

mod field {
    /// File header: snap length.
    pub const SNAPLEN: usize = 16;
    /// File header: link type (and FCS bits).
    pub const LINKTYPE: usize = 20;
    /// Record: seconds.
    pub const TS_SEC: usize = 0;
    /// Record: microseconds or nanoseconds.
    pub const TS_FRAC: usize = 4;
    /// Record: captured length.
    pub const CAPLEN: usize = 8;
    /// Record: original length.
    pub const ORIG_LEN: usize = 12;
}

/// The link type proper: the low 16 bits (bits 16..25 are reserved, 26..31 describe the FCS).
const LINKTYPE_MASK: u32 = 0x0000_ffff;

/// What the file header says about every record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    pub(crate) big_endian: bool,
    pub(crate) nanos: bool,
    snaplen: u32,
    link: LinkType,
}

/// The byte order and timestamp unit a magic number announces: `(big_endian, nanos)`.
pub(crate) fn magic(bytes: [u8; 4]) -> Option<(bool, bool)> {
    match bytes {
        [0xa1, 0xb2, 0xc3, 0xd4] => Some((true, false)),
        [0xd4, 0xc3, 0xb2, 0xa1] => Some((false, false)),
        [0xa1, 0xb2, 0x3c, 0x4d] => Some((true, true)),
        [0x4d, 0x3c, 0xb2, 0xa1] => Some((false, true)),
        _ => None,
    }
}

fn u32_at(bytes: &[u8], at: usize, big_endian: bool) -> u32 {
    let word = bytes
        .get(at..)
        .and_then(|b| b.first_chunk::<4>())
        .copied()
        .unwrap_or_default();
    if big_endian {
        u32::from_be_bytes(word)
    } else {
        u32::from_le_bytes(word)
    }
}

impl Header {
    /// Parses a file header whose magic [`magic`] accepted.
    pub(crate) fn parse(bytes: &[u8; HEADER_LEN], big_endian: bool, nanos: bool) -> Header {
        let link = u32_at(bytes, field::LINKTYPE, big_endian) & LINKTYPE_MASK;
        Header {
            big_endian,
            nanos,
            snaplen: u32_at(bytes, field::SNAPLEN, big_endian),
            link: LinkType::from_code(link),
        }
    }

    /// Reads the next record.
    pub(crate) fn next(&self, input: &mut Input) -> Result<Step, Fault> {
        let offset = input.offset();
        if !input.fill(RECORD_HEADER_LEN)? {
            return Ok(Step::end_or_truncated(input, offset, RECORD_HEADER_LEN));
        }
        let record = input.available();
        let be = self.big_endian;
        let caplen = u32_at(record, field::CAPLEN, be);
        let orig_len = u32_at(record, field::ORIG_LEN, be);
        let seconds = i64::from(u32_at(record, field::TS_SEC, be));
        let frac = u32_at(record, field::TS_FRAC, be);
        if caplen as usize > MAX_PACKET_LEN {
            return Err(Fault::corrupt(
                offset,
                format!(
                    "record captured length {caplen} is larger than the limit {MAX_PACKET_LEN}"
                ),
            ));
        }
        if self.snaplen != 0 && caplen > self.snaplen {
            return Err(Fault::corrupt(
                offset,
                format!(
                    "record captured length {caplen} is larger than the snap length {}",
                    self.snaplen
                ),
            ));
        }
        let total = RECORD_HEADER_LEN + caplen as usize;
        if !input.fill(total)? {
            return Ok(Step::end_or_truncated(input, offset, total));
        }
        let unit = if self.nanos {
            Resolution::NANOS
        } else {
            Resolution::MICROS
        };
        let ts = Timestamp(
            seconds
                .saturating_mul(1_000_000_000)
                .saturating_add(unit.to_nanos(u64::from(frac))),
        );
        let start = input.pos() + RECORD_HEADER_LEN;
        input.consume(total);
        Ok(Step::Packet(PacketRef {
            ts,
            link: self.link,
            interface: 0,
            data: start..start + caplen as usize,
            orig_len,
            comment: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Block, CaptureError, CaptureReader, Format};
    use std::io::Cursor;
    use wire::LinkType;

    /// Little-endian, microseconds, snaplen 65535, Ethernet; one record of 4 bytes captured of
    /// 60 at 1700000000.123456.
    static LE_MICROS_BYTES: [u8; 44] = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
        //
        0x00, 0xf1, 0x53, 0x65, 0x40, 0xe2, 0x01, 0x00, 4, 0, 0, 0, 60, 0, 0, 0, //
        0xde, 0xad, 0xbe, 0xef,
    ];

    /// Big-endian, nanoseconds, snaplen 262144, link type 101 with the FCS-present bit (26) and
    /// FCS length 4 in the top bits; one record of 2 bytes at 1700000000.000000007.
    static BE_NANOS_BYTES: [u8; 42] = [
        0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0x44, 0, 0, 101,
        //
        0x65, 0x53, 0xf1, 0x00, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0, 0, 2, //
        0x45, 0x00,
    ];

    /// Little-endian, microseconds, snaplen 64, link type 147 (user 0); one record whose
    /// captured length 100 exceeds the snap length.
    static OVER_SNAPLEN_BYTES: [u8; 40] = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 147, 0, 0,
        0, //
        0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0,
    ];

    /// Snap length 0 (unknown), one record claiming 16 MiB.
    static ABSURD_CAPLEN_BYTES: [u8; 40] = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
    ];

    fn reader(bytes: &'static [u8]) -> CaptureReader {
        CaptureReader::from_reader("t.pcap", Box::new(Cursor::new(bytes)), None).expect("opens")
    }

    #[test]
    fn little_endian_micros() {
        let mut r = reader(&LE_MICROS_BYTES);
        assert_eq!(
            r.format(),
            Format::Pcap {
                nanos: false,
                big_endian: false
            }
        );
        let Ok(Some(Block::Packet(p))) = r.next_block() else {
            panic!("no packet")
        };
        assert_eq!(p.number, 1);
        assert_eq!(p.ts.nanos(), 1_700_000_000_123_456_000);
        assert_eq!(p.link, LinkType::Ethernet);
        assert_eq!(p.data, &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(p.orig_len, 60);
        assert!(matches!(r.next_block(), Ok(None)));
        let s = r.stats();
        assert_eq!((s.packets, s.packet_bytes, s.file_bytes), (1, 4, 44));
        assert_eq!((s.snapped_packets, s.snapped_bytes), (1, 56));
        assert_eq!(s.truncated_tail, None);
    }

    #[test]
    fn big_endian_nanos_and_fcs_bits_masked() {
        let mut r = reader(&BE_NANOS_BYTES);
        assert_eq!(
            r.format(),
            Format::Pcap {
                nanos: true,
                big_endian: true
            }
        );
        let Ok(Some(Block::Packet(p))) = r.next_block() else {
            panic!("no packet")
        };
        assert_eq!(p.ts.nanos(), 1_700_000_000_000_000_007);
        assert_eq!(p.link, LinkType::Raw);
        assert_eq!(p.data, &[0x45, 0]);
    }

    #[test]
    fn truncated_record_in_the_tail() {
        let mut r = reader(LE_MICROS_BYTES.get(..42).unwrap_or_default());
        assert!(matches!(r.next_block(), Ok(None)));
        let tail = r.stats().truncated_tail.clone().expect("tail noted");
        assert!(
            tail.contains("offset 24") && tail.contains("18 of 20 bytes"),
            "{tail}"
        );
        let mut r = reader(LE_MICROS_BYTES.get(..30).unwrap_or_default());
        assert!(matches!(r.next_block(), Ok(None)));
        assert!(r.stats().truncated_tail.is_some());
        assert_eq!(r.stats().packets, 0);
    }

    #[test]
    fn truncated_file_header() {
        let r = CaptureReader::from_reader(
            "t.pcap",
            Box::new(Cursor::new(LE_MICROS_BYTES.get(..20).unwrap_or_default())),
            None,
        );
        assert!(matches!(
            r,
            Err(CaptureError::HeaderTruncated {
                have: 20,
                need: 24,
                ..
            })
        ));
    }

    #[test]
    fn caplen_over_snaplen_or_absurd_is_corrupt() {
        let mut r = reader(&OVER_SNAPLEN_BYTES);
        let e = r.next_block().expect_err("corrupt").to_string();
        assert_eq!(
            e,
            "t.pcap: corrupt block at offset 24 (before the first packet): record captured \
             length 100 is larger than the snap length 64"
        );
        let mut r = reader(&ABSURD_CAPLEN_BYTES);
        assert!(matches!(
            r.next_block(),
            Err(CaptureError::Corrupt {
                offset: 24,
                packet: 0,
                ..
            })
        ));
        // After an error the reader stays finished.
        assert!(matches!(r.next_block(), Ok(None)));
    }

    #[test]
    fn unknown_link_type_passes_through() {
        let mut bytes = OVER_SNAPLEN_BYTES;
        bytes[32] = 4; // captured length 4
        bytes[36] = 4;
        let mut full = bytes.to_vec();
        full.extend([1, 2, 3, 4]);
        let mut r =
            CaptureReader::from_reader("t.pcap", Box::new(Cursor::new(full)), None).expect("opens");
        let Ok(Some(Block::Packet(p))) = r.next_block() else {
            panic!("no packet")
        };
        assert_eq!(p.link, LinkType::Unknown(147));
    }
}
