//! pcapng files (draft-ietf-opsawg-pcapng).
//!
//! Owns the block structure: Section Header (SHB), Interface Description (IDB), Enhanced Packet
//! (EPB), Simple Packet (SPB), the obsolete Packet Block (type 2), Interface Statistics (ISB),
//! Name Resolution (NRB, validated and skipped), Decryption Secrets (DSB, exposed) and every
//! other block (skipped), plus the option lists inside them.
//!
//! Invariants:
//! - a block is used only after its whole length is buffered and checked: a multiple of 4, at
//!   least the minimum for its type, at most the limit for its type, and equal to the trailing
//!   copy; every field and option inside is read with bounds checks;
//! - a Section Header Block can start anywhere: it sets the byte order (from its byte-order
//!   magic) and forgets the interfaces of the previous section (their drop counts are kept);
//! - a packet refers to an interface defined earlier in its section, else the file is corrupt;
//! - timestamps use the interface's `if_tsresol` and `if_tsoffset`; a Simple Packet Block has
//!   none and takes the last timestamp seen.

use crate::input::Input;
use crate::timestamp::Resolution;
use crate::{Fault, PacketRef, Step, MAX_PACKET_LEN};
use model::Timestamp;
use std::ops::Range;
use wire::LinkType;

/// The Section Header Block type, the same in both byte orders.
pub(crate) const SHB_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// The smallest Section Header Block.
pub(crate) const MIN_SHB_LEN: usize = 28;

const BLOCK_IDB: u32 = 0x0000_0001;
const BLOCK_PB: u32 = 0x0000_0002;
const BLOCK_SPB: u32 = 0x0000_0003;
const BLOCK_NRB: u32 = 0x0000_0004;
const BLOCK_ISB: u32 = 0x0000_0005;
const BLOCK_EPB: u32 = 0x0000_0006;
const BLOCK_DSB: u32 = 0x0000_000a;
const BLOCK_SHB: u32 = 0x0a0d_0d0a;

/// Block type and total length, before the body.
const BLOCK_HEADER_LEN: usize = 8;
/// Type, leading and trailing total length: the smallest possible block.
const MIN_BLOCK_LEN: usize = 12;
/// Room for options in a packet block beyond its packet data.
const MAX_PACKET_OPTIONS_LEN: usize = 1 << 20;
/// Largest non-packet block accepted (a DSB of a long capture holds many secrets).
const MAX_BLOCK_LEN: usize = 64 << 20;

/// Option codes used here.
const OPT_ENDOFOPT: u16 = 0;
const OPT_COMMENT: u16 = 1;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;
const ISB_IFDROP: u16 = 5;
const ISB_OSDROP: u16 = 7;

/// Byte offsets of the fixed fields, from the start of the block.
mod field {
    pub const TYPE: usize = 0;
    pub const TOTAL_LEN: usize = 4;
    pub const SHB_BYTE_ORDER: usize = 8;
    pub const SHB_MAJOR: usize = 12;
    pub const SHB_MINOR: usize = 14;
    pub const SHB_OPTIONS: usize = 24;
    pub const IDB_LINKTYPE: usize = 8;
    pub const IDB_SNAPLEN: usize = 12;
    pub const IDB_OPTIONS: usize = 16;
    /// EPB: interface id (u32); obsolete PB: interface id (u16) and drop count (u16).
    pub const PKT_INTERFACE: usize = 8;
    pub const PKT_TS_HIGH: usize = 12;
    pub const PKT_TS_LOW: usize = 16;
    pub const PKT_CAPLEN: usize = 20;
    pub const PKT_ORIG_LEN: usize = 24;
    pub const PKT_DATA: usize = 28;
    pub const SPB_ORIG_LEN: usize = 8;
    pub const SPB_DATA: usize = 12;
    pub const ISB_INTERFACE: usize = 8;
    pub const ISB_OPTIONS: usize = 20;
    pub const NRB_RECORDS: usize = 8;
    pub const DSB_TYPE: usize = 8;
    pub const DSB_LEN: usize = 12;
    pub const DSB_DATA: usize = 16;
}

/// The smallest valid total length of a block of this type.
fn min_len(block_type: u32) -> usize {
    match block_type {
        BLOCK_SHB => MIN_SHB_LEN,
        BLOCK_IDB => 20,
        BLOCK_PB | BLOCK_EPB => 32,
        BLOCK_SPB => 16,
        BLOCK_ISB => 24,
        BLOCK_DSB => 20,
        _ => MIN_BLOCK_LEN,
    }
}

/// The largest total length accepted for a block of this type.
fn max_len(block_type: u32) -> usize {
    match block_type {
        BLOCK_PB | BLOCK_EPB | BLOCK_SPB => {
            field::PKT_DATA + MAX_PACKET_LEN + MAX_PACKET_OPTIONS_LEN
        }
        _ => MAX_BLOCK_LEN,
    }
}

/// Field reads in the byte order of the current section. `None` past the end.
#[derive(Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let b = *bytes.get(at..)?.first_chunk::<2>()?;
        Some(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let b = *bytes.get(at..)?.first_chunk::<4>()?;
        Some(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u64(self, bytes: &[u8], at: usize) -> Option<u64> {
        let b = *bytes.get(at..)?.first_chunk::<8>()?;
        Some(if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// A 64-bit timestamp stored as high and low 32-bit words.
    fn ts(self, bytes: &[u8], high: usize, low: usize) -> Option<u64> {
        Some(u64::from(self.u32(bytes, high)?) << 32 | u64::from(self.u32(bytes, low)?))
    }
}

/// Rounds up to a multiple of 4 (pcapng pads every variable-length field).
fn padded(len: usize) -> Option<usize> {
    len.checked_add(3).map(|l| l & !3)
}

/// One option: its code, and its value as a range of the option area.
struct Opt {
    code: u16,
    value: Range<usize>,
}

/// Iterates over an option list, stopping at `opt_endofopt` or the end of the area; a
/// malformed option is an error and ends the iteration.
struct Options<'a> {
    area: &'a [u8],
    at: usize,
    endian: Endian,
}

impl<'a> Options<'a> {
    fn new(area: &'a [u8], endian: Endian) -> Options<'a> {
        Options {
            area,
            at: 0,
            endian,
        }
    }
}

impl Options<'_> {
    /// The option at `self.at` and the offset of the one after it.
    fn parse_at(&self) -> Result<(Opt, usize), String> {
        let truncated = || "option header is truncated".to_owned();
        let code = self.endian.u16(self.area, self.at).ok_or_else(truncated)?;
        let len = self
            .endian
            .u16(self.area, self.at + 2)
            .ok_or_else(truncated)?;
        let start = self.at + 4;
        let end = start + usize::from(len);
        let next = padded(end)
            .filter(|&n| n <= self.area.len())
            .ok_or_else(|| format!("option {code} of length {len} overruns its block"))?;
        Ok((
            Opt {
                code,
                value: start..end,
            },
            next,
        ))
    }
}

impl Iterator for Options<'_> {
    type Item = Result<Opt, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let remaining = self.area.len().saturating_sub(self.at);
        if remaining == 0 {
            return None;
        }
        let parsed = self.parse_at();
        match parsed {
            Ok((opt, _)) if opt.code == OPT_ENDOFOPT => {
                self.at = self.area.len();
                None
            }
            Ok((opt, next)) => {
                self.at = next;
                Some(Ok(opt))
            }
            Err(what) => {
                self.at = self.area.len();
                Some(Err(what))
            }
        }
    }
}

/// One interface of the current section.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    resolution: Resolution,
    offset_secs: i64,
    /// Last `isb_ifdrop` seen.
    ifdrop: u64,
    /// Last `isb_osdrop` seen.
    osdrop: u64,
}

/// Reader state across blocks.
pub(crate) struct Reader {
    endian: Endian,
    interfaces: Vec<Interface>,
    /// Drops reported for interfaces of earlier sections.
    dropped_earlier: u64,
    /// The last packet timestamp, for Simple Packet Blocks.
    last_ts: Timestamp,
}

/// A packet block's fields, before the interface is looked up.
struct RawPacket {
    interface: u32,
    ticks: Option<u64>,
    caplen: usize,
    orig_len: u32,
    /// Offset of the data within the block.
    data: usize,
    /// Whether options follow the (padded) data.
    has_options: bool,
}

impl Reader {
    pub(crate) fn new() -> Reader {
        Reader {
            endian: Endian { big: false },
            interfaces: Vec::new(),
            dropped_earlier: 0,
            last_ts: Timestamp::default(),
        }
    }

    /// Packets dropped by the capture: the last ISB values per interface, summed.
    pub(crate) fn dropped(&self) -> u64 {
        self.interfaces.iter().fold(self.dropped_earlier, |sum, i| {
            sum.saturating_add(i.ifdrop).saturating_add(i.osdrop)
        })
    }

    /// Reads the next block.
    pub(crate) fn next(&mut self, input: &mut Input) -> Result<Step, Fault> {
        let offset = input.offset();
        if !input.fill(BLOCK_HEADER_LEN)? {
            return Ok(Step::end_or_truncated(input, offset, BLOCK_HEADER_LEN));
        }
        let mut endian = self.endian;
        if input.available().first_chunk::<4>() == Some(&SHB_MAGIC) {
            // The byte order of a section is given by its byte-order magic, after the length.
            if !input.fill(field::SHB_OPTIONS)? {
                return Ok(Step::end_or_truncated(input, offset, field::SHB_OPTIONS));
            }
            endian = match input
                .available()
                .get(field::SHB_BYTE_ORDER..field::SHB_BYTE_ORDER + 4)
            {
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => Endian { big: true },
                Some([0x4d, 0x3c, 0x2b, 0x1a]) => Endian { big: false },
                _ => {
                    return Err(Fault::corrupt(
                        offset,
                        "section header byte-order magic is neither 1a2b3c4d nor 4d3c2b1a",
                    ))
                }
            };
        }
        let head = input.available();
        let block_type = endian.u32(head, field::TYPE).unwrap_or_default();
        let len = endian.u32(head, field::TOTAL_LEN).unwrap_or_default() as usize;
        let (min, max) = (min_len(block_type), max_len(block_type));
        if len < min {
            return Err(Fault::corrupt(
                offset,
                format!("block length {len} is smaller than the minimum {min}"),
            ));
        }
        if !len.is_multiple_of(4) {
            return Err(Fault::corrupt(
                offset,
                format!("block length {len} is not a multiple of 4"),
            ));
        }
        if len > max {
            return Err(Fault::corrupt(
                offset,
                format!("block length {len} is larger than the limit {max} for block type {block_type:#x}"),
            ));
        }
        if !input.fill(len)? {
            return Ok(Step::end_or_truncated(input, offset, len));
        }
        let block = input.available().get(..len).unwrap_or_default();
        let trailer = endian.u32(block, len - 4).unwrap_or_default();
        if trailer as usize != len {
            return Err(Fault::corrupt(
                offset,
                format!(
                    "trailing block length {trailer} differs from the leading block length {len}"
                ),
            ));
        }
        let body_end = len - 4;
        let base = input.pos();
        let step = match block_type {
            BLOCK_SHB => self.section(block, body_end, endian),
            BLOCK_IDB => self.interface(block, body_end, endian),
            BLOCK_EPB => self.enhanced_packet(block, body_end, endian, base),
            BLOCK_PB => self.obsolete_packet(block, body_end, endian, base),
            BLOCK_SPB => self.simple_packet(block, body_end, endian, base),
            BLOCK_ISB => self.statistics(block, body_end, endian),
            BLOCK_NRB => name_resolution(block, body_end, endian),
            BLOCK_DSB => secrets(block, body_end, endian, base),
            _ => Ok(Step::Skip),
        }
        .map_err(|what| Fault::corrupt(offset, what))?;
        input.consume(len);
        Ok(step)
    }

    fn section(&mut self, block: &[u8], body_end: usize, endian: Endian) -> Result<Step, String> {
        let major = endian.u16(block, field::SHB_MAJOR).unwrap_or_default();
        let minor = endian.u16(block, field::SHB_MINOR).unwrap_or_default();
        if major != 1 {
            return Err(format!("unsupported pcapng version {major}.{minor}"));
        }
        validate_options(block, field::SHB_OPTIONS, body_end, endian)?;
        self.dropped_earlier = self.dropped();
        self.interfaces.clear();
        self.endian = endian;
        Ok(Step::Skip)
    }

    fn interface(&mut self, block: &[u8], body_end: usize, endian: Endian) -> Result<Step, String> {
        let link = endian.u16(block, field::IDB_LINKTYPE).unwrap_or_default();
        let mut interface = Interface {
            link: LinkType::from_code(u32::from(link)),
            snaplen: endian.u32(block, field::IDB_SNAPLEN).unwrap_or_default(),
            resolution: Resolution::MICROS,
            offset_secs: 0,
            ifdrop: 0,
            osdrop: 0,
        };
        let area = block.get(field::IDB_OPTIONS..body_end).unwrap_or_default();
        for opt in Options::new(area, endian) {
            let opt = opt?;
            let value = area.get(opt.value).unwrap_or_default();
            match opt.code {
                IF_TSRESOL => {
                    let byte = *value.first().ok_or("if_tsresol option is empty")?;
                    interface.resolution = Resolution::from_tsresol(byte).ok_or_else(|| {
                        format!("if_tsresol {byte:#04x} is finer than 64-bit timestamps allow")
                    })?;
                }
                IF_TSOFFSET => {
                    let secs = endian
                        .u64(value, 0)
                        .ok_or("if_tsoffset option is shorter than 8 bytes")?;
                    interface.offset_secs = secs as i64;
                }
                _ => {}
            }
        }
        self.interfaces.push(interface);
        Ok(Step::Skip)
    }

    fn enhanced_packet(
        &mut self,
        block: &[u8],
        body_end: usize,
        endian: Endian,
        base: usize,
    ) -> Result<Step, String> {
        let raw = RawPacket {
            interface: endian.u32(block, field::PKT_INTERFACE).unwrap_or_default(),
            ticks: endian.ts(block, field::PKT_TS_HIGH, field::PKT_TS_LOW),
            caplen: endian.u32(block, field::PKT_CAPLEN).unwrap_or_default() as usize,
            orig_len: endian.u32(block, field::PKT_ORIG_LEN).unwrap_or_default(),
            data: field::PKT_DATA,
            has_options: true,
        };
        self.packet(block, body_end, endian, base, raw, "enhanced packet block")
    }

    fn obsolete_packet(
        &mut self,
        block: &[u8],
        body_end: usize,
        endian: Endian,
        base: usize,
    ) -> Result<Step, String> {
        let raw = RawPacket {
            interface: u32::from(endian.u16(block, field::PKT_INTERFACE).unwrap_or_default()),
            ticks: endian.ts(block, field::PKT_TS_HIGH, field::PKT_TS_LOW),
            caplen: endian.u32(block, field::PKT_CAPLEN).unwrap_or_default() as usize,
            orig_len: endian.u32(block, field::PKT_ORIG_LEN).unwrap_or_default(),
            data: field::PKT_DATA,
            has_options: true,
        };
        self.packet(block, body_end, endian, base, raw, "packet block")
    }

    fn simple_packet(
        &mut self,
        block: &[u8],
        body_end: usize,
        endian: Endian,
        base: usize,
    ) -> Result<Step, String> {
        let orig_len = endian.u32(block, field::SPB_ORIG_LEN).unwrap_or_default();
        let snaplen = self.interfaces.first().map_or(0, |i| i.snaplen);
        let room = body_end.saturating_sub(field::SPB_DATA);
        let mut caplen = (orig_len as usize).min(room);
        if snaplen != 0 {
            caplen = caplen.min(snaplen as usize);
        }
        let raw = RawPacket {
            interface: 0,
            ticks: None,
            caplen,
            orig_len,
            data: field::SPB_DATA,
            has_options: false,
        };
        self.packet(block, body_end, endian, base, raw, "simple packet block")
    }

    /// Checks a packet block's lengths and interface and builds the packet.
    fn packet(
        &mut self,
        block: &[u8],
        body_end: usize,
        endian: Endian,
        base: usize,
        raw: RawPacket,
        kind: &str,
    ) -> Result<Step, String> {
        if raw.caplen > MAX_PACKET_LEN {
            return Err(format!(
                "{kind} captured length {} is larger than the limit {MAX_PACKET_LEN}",
                raw.caplen
            ));
        }
        let data_end = raw.data + raw.caplen;
        let options = if !raw.has_options {
            body_end
        } else {
            padded(data_end)
                .filter(|&end| end <= body_end)
                .ok_or_else(|| {
                    format!(
                        "{kind} captured length {} overruns the block of length {}",
                        raw.caplen,
                        body_end + 4
                    )
                })?
        };
        let defined = self.interfaces.len();
        let interface = *self.interfaces.get(raw.interface as usize).ok_or_else(|| {
            format!(
                "{kind} refers to interface {}, but its section defines {defined} interface{}",
                raw.interface,
                if defined == 1 { "" } else { "s" }
            )
        })?;
        let mut comment = None;
        let area = block.get(options..body_end).unwrap_or_default();
        for opt in Options::new(area, endian) {
            let opt = opt?;
            if opt.code == OPT_COMMENT && comment.is_none() {
                let start = base + options + opt.value.start;
                comment = Some(start..base + options + opt.value.end);
            }
        }
        let ts = match raw.ticks {
            Some(ticks) => interface.resolution.timestamp(ticks, interface.offset_secs),
            None => self.last_ts,
        };
        self.last_ts = ts;
        Ok(Step::Packet(PacketRef {
            ts,
            link: interface.link,
            interface: raw.interface,
            data: base + raw.data..base + data_end,
            orig_len: raw.orig_len,
            comment,
        }))
    }

    fn statistics(
        &mut self,
        block: &[u8],
        body_end: usize,
        endian: Endian,
    ) -> Result<Step, String> {
        let id = endian.u32(block, field::ISB_INTERFACE).unwrap_or_default();
        let area = block.get(field::ISB_OPTIONS..body_end).unwrap_or_default();
        let (mut ifdrop, mut osdrop) = (None, None);
        for opt in Options::new(area, endian) {
            let opt = opt?;
            let value = area.get(opt.value).unwrap_or_default();
            match opt.code {
                ISB_IFDROP => ifdrop = endian.u64(value, 0),
                ISB_OSDROP => osdrop = endian.u64(value, 0),
                _ => {}
            }
        }
        // Statistics for an interface this section does not define are ignored: they cannot
        // be attributed, and they do not affect the packets.
        if let Some(interface) = self.interfaces.get_mut(id as usize) {
            interface.ifdrop = ifdrop.unwrap_or(interface.ifdrop);
            interface.osdrop = osdrop.unwrap_or(interface.osdrop);
        }
        Ok(Step::Skip)
    }
}

/// Validates the option list at `start..body_end` of a block.
fn validate_options(
    block: &[u8],
    start: usize,
    body_end: usize,
    endian: Endian,
) -> Result<(), String> {
    let area = block.get(start..body_end).unwrap_or_default();
    Options::new(area, endian).try_for_each(|opt| opt.map(drop))
}

/// Validates the records and options of a Name Resolution Block; names are not used.
fn name_resolution(block: &[u8], body_end: usize, endian: Endian) -> Result<Step, String> {
    let mut at = field::NRB_RECORDS;
    while at < body_end {
        let kind = endian
            .u16(block, at)
            .ok_or("name resolution record header is truncated")?;
        let len = endian
            .u16(block, at + 2)
            .ok_or("name resolution record header is truncated")?;
        let next = padded(at + 4 + usize::from(len))
            .filter(|&next| next <= body_end)
            .ok_or_else(|| format!("name resolution record of length {len} overruns its block"))?;
        at = next;
        if kind == 0 {
            return validate_options(block, at, body_end, endian).map(|()| Step::Skip);
        }
    }
    Ok(Step::Skip)
}

/// Exposes a Decryption Secrets Block.
fn secrets(block: &[u8], body_end: usize, endian: Endian, base: usize) -> Result<Step, String> {
    let secrets_type = endian.u32(block, field::DSB_TYPE).unwrap_or_default();
    let len = endian.u32(block, field::DSB_LEN).unwrap_or_default() as usize;
    let end = field::DSB_DATA + len;
    let options = padded(end).filter(|&o| o <= body_end).ok_or_else(|| {
        format!(
            "decryption secrets length {len} overruns the block of length {}",
            body_end + 4
        )
    })?;
    validate_options(block, options, body_end, endian)?;
    Ok(Step::Secrets {
        secrets_type,
        data: base + field::DSB_DATA..base + end,
    })
}

#[cfg(test)]
mod tests {
    use crate::{Block, CaptureError, CaptureReader, Format, Packet};
    use std::io::Cursor;
    use wire::LinkType;

    /// Little-endian section, Ethernet interface (µs), one EPB: 4 of 60 bytes at 1700000000.123456.
    static LE_MICROS_BYTES: [u8; 84] = [
        0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00, 0x00,
        0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x14,
        0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x24, 0x0a, 0x06, 0x00, 0x40, 0x22, 0x20, 0x18, 0x04, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00,
        0x00, 0xde, 0xad, 0xbe, 0xef, 0x24, 0x00, 0x00, 0x00,
    ];

    /// Big-endian section, raw-IP interface with if_tsresol 2^-10 and if_tsoffset 1000 s, one EPB at 3.5 ticks-seconds with two comments.
    static BE_BINARY_RESOL_BYTES: [u8; 136] = [
        0x0a, 0x0d, 0x0d, 0x0a, 0x00, 0x00, 0x00, 0x1c, 0x1a, 0x2b, 0x3c, 0x4d, 0x00, 0x01, 0x00,
        0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x09, 0x00, 0x01, 0x8a, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00,
        0x06, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x0e, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x45, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06,
        0x73, 0x65, 0x63, 0x6f, 0x6e, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x40,
    ];

    /// Little-endian, Linux SLL interface with if_tsresol 10^-9, one EPB at 1700000000.000000007.
    static NANOS_BYTES: [u8; 96] = [
        0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00, 0x00,
        0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x71, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
        0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00,
        0x06, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0x9c, 0x97,
        0x17, 0x07, 0x00, 0x2a, 0x36, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x04,
        0x00, 0x00, 0x24, 0x00, 0x00, 0x00,
    ];

    /// Ethernet (0) and raw (1) interfaces, a packet on each, then ISBs: if 0 drops 3+2, if 1 drops 1, if 0 ifdrop 4, and one for an undefined interface.
    static TWO_INTERFACES_BYTES: [u8; 312] = [
        0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00, 0x00,
        0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x65, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x06,
        0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x24, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x08, 0x00, 0x03,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x34, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00,
        0x00, 0x28, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x05, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x08,
        0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00,
        0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x08, 0x00, 0x64, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00,
    ];

    /// Interface with snaplen 4; NRB, custom block, EPB at 5 s, SPB of 10 bytes (snapped to 4), DSB (TLS key log), obsolete PB at 6 s.
    static MIXED_BLOCKS_BYTES: [u8; 236] = [
        0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00, 0x00,
        0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x14,
        0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x00,
        0x7f, 0x00, 0x00, 0x01, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00,
        0x00, 0xad, 0x0b, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0xd9, 0x7e, 0x00, 0x00, 0x78, 0x79,
        0x7a, 0x21, 0x14, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x4b, 0x4c, 0x00, 0x04, 0x00, 0x00, 0x00,
        0x64, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63, 0x64, 0x24, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
        0x00, 0x1c, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
        0x36, 0x37, 0x38, 0x39, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x28,
        0x00, 0x00, 0x00, 0x4b, 0x53, 0x4c, 0x54, 0x14, 0x00, 0x00, 0x00, 0x43, 0x4c, 0x49, 0x45,
        0x4e, 0x54, 0x5f, 0x52, 0x41, 0x4e, 0x44, 0x4f, 0x4d, 0x20, 0x30, 0x31, 0x20, 0x30, 0x32,
        0x0a, 0x28, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x8d, 0x5b, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x78, 0x79, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00,
    ];

    /// A little-endian section (Ethernet, 1 packet, 5 drops), then a big-endian section (raw) with a packet on interface 0 and one on the undefined interface 1.
    static TWO_SECTIONS_BYTES: [u8; 244] = [
        0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00, 0x00,
        0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
        0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x61, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x28, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
        0x00, 0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x28, 0x00, 0x00, 0x00, 0x0a, 0x0d, 0x0d, 0x0a, 0x00, 0x00, 0x00, 0x1c, 0x1a, 0x2b, 0x3c,
        0x4d, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
        0x00, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x65, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x24,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x01, 0x62, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00,
        0x00, 0x06, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x63, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x24,
    ];

    fn reader(bytes: Vec<u8>) -> CaptureReader {
        CaptureReader::from_reader("t.pcapng", Box::new(Cursor::new(bytes)), None).expect("opens")
    }

    /// Packets as (number, ts, link, interface, data, orig_len, comment), secrets as
    /// (0, secrets_type, Unknown(0), 0, data, 0, None); stops at the first error.
    type Row = (u64, i64, LinkType, u32, Vec<u8>, u32, Option<String>);

    fn read_all(r: &mut CaptureReader) -> (Vec<Row>, Option<CaptureError>) {
        let mut rows = Vec::new();
        loop {
            match r.next_block() {
                Ok(Some(Block::Packet(Packet {
                    number,
                    ts,
                    link,
                    interface,
                    data,
                    orig_len,
                    comment,
                }))) => rows.push((
                    number,
                    ts.nanos(),
                    link,
                    interface,
                    data.to_vec(),
                    orig_len,
                    comment.map(str::to_owned),
                )),
                Ok(Some(Block::DecryptionSecrets { secrets_type, data })) => rows.push((
                    0,
                    i64::from(secrets_type),
                    LinkType::Unknown(0),
                    0,
                    data.to_vec(),
                    0,
                    None,
                )),
                Ok(None) => return (rows, None),
                Err(e) => return (rows, Some(e)),
            }
        }
    }

    fn corrupt(bytes: Vec<u8>) -> String {
        let mut r = reader(bytes);
        let (_, err) = read_all(&mut r);
        err.map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn little_endian_micros() {
        let mut r = reader(LE_MICROS_BYTES.to_vec());
        assert_eq!(r.format(), Format::Pcapng);
        let (rows, err) = read_all(&mut r);
        assert!(err.is_none());
        assert_eq!(
            rows,
            vec![(
                1,
                1_700_000_000_123_456_000,
                LinkType::Ethernet,
                0,
                vec![0xde, 0xad, 0xbe, 0xef],
                60,
                None
            )]
        );
        let s = r.stats();
        assert_eq!((s.packets, s.packet_bytes, s.file_bytes), (1, 4, 84));
        assert_eq!(
            (
                s.snapped_packets,
                s.snapped_bytes,
                s.truncated_tail.as_deref()
            ),
            (1, 56, None)
        );
    }

    #[test]
    fn big_endian_binary_resolution_offset_and_comment() {
        let (rows, err) = read_all(&mut reader(BE_BINARY_RESOL_BYTES.to_vec()));
        assert!(err.is_none());
        assert_eq!(
            rows,
            vec![(
                1,
                1_003_500_000_000,
                LinkType::Raw,
                0,
                vec![0x45, 0],
                2,
                Some("hello".into())
            )]
        );
    }

    #[test]
    fn nanosecond_resolution() {
        let (rows, _) = read_all(&mut reader(NANOS_BYTES.to_vec()));
        assert_eq!(
            rows.first().map(|r| (r.1, r.2)),
            Some((1_700_000_000_000_000_007, LinkType::LinuxSll))
        );
    }

    #[test]
    fn two_interfaces_and_drop_counters() {
        let mut r = reader(TWO_INTERFACES_BYTES.to_vec());
        let (rows, err) = read_all(&mut r);
        assert!(err.is_none());
        let links: Vec<_> = rows.iter().map(|r| (r.2, r.3, r.1)).collect();
        assert_eq!(
            links,
            vec![(LinkType::Raw, 1, 10_000), (LinkType::Ethernet, 0, 20_000)]
        );
        // Last values per interface: if 0 ifdrop 4 osdrop 2, if 1 ifdrop 1.
        assert_eq!(r.stats().dropped_by_capture, 7);
    }

    #[test]
    fn simple_packet_name_resolution_custom_secrets_and_obsolete_blocks() {
        let mut r = reader(MIXED_BLOCKS_BYTES.to_vec());
        let (rows, err) = read_all(&mut r);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(
            rows,
            vec![
                (
                    1,
                    5_000_000_000,
                    LinkType::Ethernet,
                    0,
                    b"abcd".to_vec(),
                    100,
                    None
                ),
                (
                    2,
                    5_000_000_000,
                    LinkType::Ethernet,
                    0,
                    b"0123".to_vec(),
                    10,
                    None
                ),
                (
                    0,
                    0x544c_534b,
                    LinkType::Unknown(0),
                    0,
                    b"CLIENT_RANDOM 01 02\n".to_vec(),
                    0,
                    None
                ),
                (
                    3,
                    6_000_000_000,
                    LinkType::Ethernet,
                    0,
                    b"xy".to_vec(),
                    2,
                    None
                ),
            ]
        );
        assert_eq!(
            (r.stats().snapped_packets, r.stats().snapped_bytes),
            (2, 102)
        );
    }

    #[test]
    fn new_section_resets_byte_order_and_interfaces() {
        let mut r = reader(TWO_SECTIONS_BYTES.to_vec());
        let (rows, err) = read_all(&mut r);
        let seen: Vec<_> = rows.iter().map(|r| (r.0, r.2, r.4.clone())).collect();
        assert_eq!(
            seen,
            vec![
                (1, LinkType::Ethernet, b"a".to_vec()),
                (2, LinkType::Raw, b"b".to_vec())
            ]
        );
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.ends_with("(after packet 2): enhanced packet block refers to interface 1, but its section defines 1 interface"),
            "{err}"
        );
        assert_eq!(r.stats().dropped_by_capture, 5);
    }

    #[test]
    fn truncated_tail_is_not_an_error() {
        let cut = LE_MICROS_BYTES.get(..80).unwrap_or_default().to_vec();
        let mut r = reader(cut);
        let (rows, err) = read_all(&mut r);
        assert!(rows.is_empty() && err.is_none());
        assert_eq!(
            r.stats().truncated_tail.as_deref(),
            Some(
                "the capture ends inside the block at offset 48 (before the first packet): 32 of 36 \
                 bytes present; the rest was skipped"
            )
        );
        assert_eq!(r.stats().file_bytes, 48);
    }

    #[test]
    fn truncated_section_header() {
        let r = CaptureReader::from_reader(
            "t.pcapng",
            Box::new(Cursor::new(LE_MICROS_BYTES.get(..20).unwrap_or_default())),
            None,
        );
        assert!(matches!(
            r,
            Err(CaptureError::HeaderTruncated {
                have: 20,
                need: 28,
                ..
            })
        ));
    }

    /// LE_MICROS_BYTES with one 32-bit little-endian word replaced.
    fn patched(at: usize, value: u32) -> Vec<u8> {
        let mut bytes = LE_MICROS_BYTES.to_vec();
        if let Some(word) = bytes.get_mut(at..at + 4) {
            word.copy_from_slice(&value.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn corrupt_block_lengths() {
        assert_eq!(
            corrupt(patched(52, 12)),
            "t.pcapng: corrupt block at offset 48 (before the first packet): block length 12 is \
             smaller than the minimum 32"
        );
        assert!(corrupt(patched(52, 38)).ends_with("block length 38 is not a multiple of 4"));
        assert!(corrupt(patched(52, 0x4000_0000)).contains("is larger than the limit"));
        assert!(corrupt(patched(80, 40))
            .ends_with("trailing block length 40 differs from the leading block length 36"));
        assert!(corrupt(patched(4, 24)).ends_with("block length 24 is smaller than the minimum 28"));
        assert!(corrupt(patched(8, 0x1234_5678))
            .ends_with("byte-order magic is neither 1a2b3c4d nor 4d3c2b1a"));
        assert!(corrupt(patched(12, 2)).ends_with("unsupported pcapng version 2.0"));
    }

    #[test]
    fn corrupt_packet_fields() {
        assert!(corrupt(patched(68, 8))
            .ends_with("enhanced packet block captured length 8 overruns the block of length 36"));
        assert!(corrupt(patched(68, 300_000)).ends_with(
            "enhanced packet block captured length 300000 is larger than the limit 262144"
        ));
        assert!(corrupt(patched(56, 3)).ends_with(
            "enhanced packet block refers to interface 3, but its section defines 1 interface"
        ));
    }

    #[test]
    fn corrupt_options() {
        // The IDB of BE_BINARY_RESOL_BYTES: if_tsresol length 1 -> 200.
        let mut bytes = BE_BINARY_RESOL_BYTES.to_vec();
        if let Some(len) = bytes.get_mut(46..48) {
            len.copy_from_slice(&200u16.to_be_bytes());
        }
        assert!(corrupt(bytes).ends_with("option 9 of length 200 overruns its block"));
        let mut bytes = BE_BINARY_RESOL_BYTES.to_vec();
        if let Some(resol) = bytes.get_mut(48) {
            *resol = 30;
        }
        assert!(corrupt(bytes).ends_with("if_tsresol 0x1e is finer than 64-bit timestamps allow"));
    }

    #[test]
    fn gzip_is_detected_by_content() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&TWO_INTERFACES_BYTES).expect("compress");
        let gz = enc.finish().expect("compress");
        let size = gz.len() as u64;
        let mut r =
            CaptureReader::from_reader("t.pcapng.gz", Box::new(Cursor::new(gz)), Some(size))
                .expect("opens");
        let (rows, err) = read_all(&mut r);
        assert!(err.is_none());
        assert_eq!(rows.len(), 2);
        assert_eq!(r.progress(), (size, Some(size)));
        assert_eq!(r.stats().file_bytes, TWO_INTERFACES_BYTES.len() as u64);
    }

    #[test]
    fn cut_gzip_stream_is_a_truncated_tail() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&TWO_INTERFACES_BYTES).expect("compress");
        let mut gz = enc.finish().expect("compress");
        gz.truncate(gz.len() - 10);
        let mut r = reader(gz);
        let (rows, err) = read_all(&mut r);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(rows.len(), 2);
        assert!(r.stats().truncated_tail.is_some());
    }
}
