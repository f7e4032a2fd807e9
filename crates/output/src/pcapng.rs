//! A streaming pcapng writer: packets plus the TLS secrets that decrypt them, in one file.
//!
//! This module owns the byte layout of the pcapng files httpscope writes (`--write-pcapng`):
//! little-endian, one section, per draft-ietf-opsawg-pcapng ("PCAP Now Generic"):
//!
//! - one Section Header Block first, with `shb_userappl` = `"httpscope <version>"` and the
//!   section length `-1` (unknown: the writer streams);
//! - one Interface Description Block per distinct link type, written just before the first
//!   packet of that link type, with snaplen 0 (no limit) and `if_tsresol` = 9 (nanoseconds);
//!   interface ids are assigned from 0 in order of appearance;
//! - one Enhanced Packet Block per packet, with the captured and original lengths and an
//!   optional `opt_comment` (process information, later);
//! - a Decryption Secrets Block (secrets type `0x544c534b`, "TLSK": NSS key log text) wherever
//!   [`PcapngWriter::secrets`] is called. Wireshark applies a DSB only to packets that follow
//!   it, so callers put the secrets of a session before its first encrypted packet.
//!
//! Invariants:
//! - every block is assembled in one reusable buffer and handed to the inner writer with one
//!   `write_all`, so no allocation happens per packet once the buffer has grown;
//! - every block's total length is a multiple of 4 and is written at both ends; variable
//!   fields are zero-padded to 32 bits; option lists end with `opt_endofopt` (a block without
//!   options has no option list at all);
//! - input that the format cannot hold (a link type above 65535, a block above 4 GiB) is an
//!   [`std::io::ErrorKind::InvalidInput`] error and nothing is written for it;
//! - nothing panics on odd input: timestamps before 1970 are clamped to 0 (pcapng timestamps
//!   are unsigned), an original length below the captured length is raised to it, and a
//!   comment longer than an option can hold is cut at a character boundary.

use std::io::{self, Write};

/// Block type of the Section Header Block (§4.1).
const SHB_TYPE: u32 = 0x0A0D_0D0A;
/// Byte-order magic of the Section Header Block.
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// Block type of the Interface Description Block (§4.2).
const IDB_TYPE: u32 = 0x0000_0001;
/// Block type of the Enhanced Packet Block (§4.3).
const EPB_TYPE: u32 = 0x0000_0006;
/// Block type of the Decryption Secrets Block (§4.7).
const DSB_TYPE: u32 = 0x0000_000A;
/// DSB secrets type: TLS key log (NSS key log format), "TLSK".
pub(crate) const SECRETS_TLS_KEY_LOG: u32 = 0x544C_534B;

/// `opt_endofopt` (§3.5).
const OPT_ENDOFOPT: u16 = 0;
/// `opt_comment` (§3.5): UTF-8 text, not zero-terminated.
const OPT_COMMENT: u16 = 1;
/// `shb_userappl` (§4.1): the application that wrote the section.
const SHB_USERAPPL: u16 = 4;
/// `if_tsresol` (§4.2): timestamp resolution; 9 = 10^-9 s.
const IF_TSRESOL: u16 = 9;
/// Our timestamp resolution: nanoseconds.
const TSRESOL_NANOS: u8 = 9;

/// The longest option value that still pads to a length an option can declare.
const MAX_OPTION_VALUE: usize = u16::MAX as usize & !3;

/// Writes pcapng (little-endian, one section): SHB (`shb_userappl` `"httpscope <version>"`), one
/// IDB per distinct (link type, timestamp resolution) as packets arrive (if_tsresol = 9:
/// nanoseconds; snaplen 0 = unlimited; no if_name), EPBs with the original length and an
/// optional opt_comment, and DSBs (secrets type 0x544c534b "TLSK", the NSS key log text,
/// padded to 32 bits) wherever [`secrets`](PcapngWriter::secrets) is called — callers put them
/// before the first encrypted packet of a session.
///
/// The writer does not buffer beyond one block: wrap a file in a [`std::io::BufWriter`].
/// Every timestamp is written with nanosecond resolution, so the interfaces differ only by
/// link type.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    w: W,
    /// Link type of each interface written so far; the index is the interface id.
    interfaces: Vec<u32>,
    /// Scratch space for the block being assembled.
    buf: Vec<u8>,
    packets: u64,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the Section Header Block and returns the writer.
    pub fn new(w: W) -> io::Result<Self> {
        let mut writer = PcapngWriter {
            w,
            interfaces: Vec::new(),
            buf: Vec::with_capacity(2048),
            packets: 0,
        };
        let userappl = concat!("httpscope ", env!("CARGO_PKG_VERSION"));
        writer.begin(SHB_TYPE);
        writer.put_u32(BYTE_ORDER_MAGIC);
        writer.put_u16(1); // major version
        writer.put_u16(0); // minor version
        writer.put_u64(u64::MAX); // section length: -1, unknown
        writer.put_option(SHB_USERAPPL, userappl.as_bytes());
        writer.put_u16(OPT_ENDOFOPT);
        writer.put_u16(0);
        writer.end()?;
        Ok(writer)
    }

    /// Writes one packet (an Enhanced Packet Block), preceded by an Interface Description
    /// Block when `link_type` was not seen before.
    ///
    /// `link_type`: the LINKTYPE_ code (1 Ethernet, 113 SLL, 276 SLL2, 101 raw, 0 NULL, ...);
    /// above 65535 it is an `InvalidInput` error (the IDB field has 16 bits).
    /// `ts`: a timestamp before 1970 is written as 0 (pcapng timestamps are unsigned).
    /// `orig_len`: the length on the wire; raised to `data.len()` if smaller.
    /// `comment`: written as `opt_comment` unless empty; cut (at a character boundary) to the
    /// 65532 bytes an option can hold.
    pub fn packet(
        &mut self,
        link_type: u32,
        ts: model::Timestamp,
        data: &[u8],
        orig_len: u32,
        comment: Option<&str>,
    ) -> io::Result<()> {
        let link = u16::try_from(link_type).map_err(|_| {
            invalid(format!(
                "link type {link_type} does not fit the 16 bits of a pcapng interface"
            ))
        })?;
        let caplen = u32::try_from(data.len())
            .ok()
            .filter(|&n| n <= u32::MAX - 64 - MAX_OPTION_VALUE as u32)
            .ok_or_else(|| invalid(format!("a packet of {} bytes is too large", data.len())))?;
        let interface = self.interface(link_type, link)?;

        let nanos = u64::try_from(ts.nanos()).unwrap_or(0);
        self.begin(EPB_TYPE);
        self.put_u32(interface);
        self.put_u32((nanos >> 32) as u32);
        self.put_u32(nanos as u32);
        self.put_u32(caplen);
        self.put_u32(orig_len.max(caplen));
        self.put_padded(data);
        if let Some(text) = comment.filter(|c| !c.is_empty()) {
            self.put_option(
                OPT_COMMENT,
                truncate_utf8(text, MAX_OPTION_VALUE).as_bytes(),
            );
            self.put_u16(OPT_ENDOFOPT);
            self.put_u16(0);
        }
        self.end()?;
        self.packets += 1;
        Ok(())
    }

    /// Writes a Decryption Secrets Block with NSS key log lines (`CLIENT_RANDOM ...`,
    /// `CLIENT_TRAFFIC_SECRET_0 ...`, ...), ignored if empty. A final newline is added when
    /// the text lacks one, so that consecutive blocks never join two lines.
    pub fn secrets(&mut self, keylog_lines: &str) -> io::Result<()> {
        if keylog_lines.is_empty() {
            return Ok(());
        }
        let newline = !keylog_lines.ends_with('\n');
        let len = keylog_lines.len() + usize::from(newline);
        let len = u32::try_from(len)
            .ok()
            .filter(|&n| n <= u32::MAX - 64)
            .ok_or_else(|| invalid(format!("{len} bytes of secrets are too large")))?;
        self.begin(DSB_TYPE);
        self.put_u32(SECRETS_TLS_KEY_LOG);
        self.put_u32(len);
        self.buf.extend_from_slice(keylog_lines.as_bytes());
        if newline {
            self.buf.push(b'\n');
        }
        self.pad();
        self.end()
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }

    /// Packets written, for the report.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// The interface id of `link_type`, writing its IDB first if it is new.
    fn interface(&mut self, link_type: u32, link: u16) -> io::Result<u32> {
        if let Some(i) = self.interfaces.iter().position(|&l| l == link_type) {
            return Ok(i as u32);
        }
        self.begin(IDB_TYPE);
        self.put_u16(link);
        self.put_u16(0); // reserved
        self.put_u32(0); // snaplen: no limit
        self.put_option(IF_TSRESOL, &[TSRESOL_NANOS]);
        self.put_u16(OPT_ENDOFOPT);
        self.put_u16(0);
        self.end()?;
        self.interfaces.push(link_type);
        Ok(self.interfaces.len() as u32 - 1)
    }

    /// Starts a block: type and a placeholder for the total length.
    fn begin(&mut self, block_type: u32) {
        self.buf.clear();
        self.put_u32(block_type);
        self.put_u32(0);
    }

    /// Ends the block begun by [`begin`](Self::begin): writes its total length at both ends
    /// and hands it to the inner writer.
    fn end(&mut self) -> io::Result<()> {
        debug_assert_eq!(self.buf.len() % 4, 0, "unpadded block");
        let total = u32::try_from(self.buf.len() + 4)
            .map_err(|_| invalid("a pcapng block cannot exceed 4 GiB".into()))?;
        self.buf[4..8].copy_from_slice(&total.to_le_bytes());
        self.put_u32(total);
        self.w.write_all(&self.buf)
    }

    /// An option: code, value length, value padded to 32 bits. `value` must be at most
    /// [`MAX_OPTION_VALUE`] bytes.
    fn put_option(&mut self, code: u16, value: &[u8]) {
        debug_assert!(value.len() <= MAX_OPTION_VALUE);
        self.put_u16(code);
        self.put_u16(value.len() as u16);
        self.put_padded(value);
    }

    fn put_padded(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.pad();
    }

    /// Zeroes up to the next multiple of 4.
    fn pad(&mut self) {
        let padded = self.buf.len().next_multiple_of(4);
        self.buf.resize(padded, 0);
    }

    fn put_u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// The longest prefix of `s` of at most `max` bytes that ends at a character boundary.
fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Timestamp;

    /// 2024-02-29T12:34:56.123456789Z
    const TS: i64 = 1_709_210_096_123_456_789;

    /// A little-endian cursor over written bytes, for checking them field by field.
    struct Cursor<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl Cursor<'_> {
        fn take(&mut self, n: usize) -> &[u8] {
            let s = &self.bytes[self.at..self.at + n];
            self.at += n;
            s
        }
        fn u16(&mut self) -> u16 {
            u16::from_le_bytes(self.take(2).try_into().unwrap())
        }
        fn u32(&mut self) -> u32 {
            u32::from_le_bytes(self.take(4).try_into().unwrap())
        }
        fn u64(&mut self) -> u64 {
            u64::from_le_bytes(self.take(8).try_into().unwrap())
        }
    }

    fn written(f: impl FnOnce(&mut PcapngWriter<Vec<u8>>)) -> Vec<u8> {
        let mut w = PcapngWriter::new(Vec::new()).unwrap();
        f(&mut w);
        w.finish().unwrap()
    }

    #[test]
    fn small_file_byte_by_byte() {
        let keylog = "CLIENT_RANDOM 00 11\n"; // 20 bytes: no padding
        let bytes = written(|w| {
            w.packet(1, Timestamp(TS), &[0xAA, 0xBB, 0xCC], 60, Some("pid=42"))
                .unwrap();
            w.secrets(keylog).unwrap();
            w.secrets("").unwrap(); // ignored
            assert_eq!(w.packets(), 1);
        });
        let mut c = Cursor {
            bytes: &bytes,
            at: 0,
        };

        // Section Header Block.
        let appl = format!("httpscope {}", env!("CARGO_PKG_VERSION"));
        let appl_padded = appl.len().next_multiple_of(4);
        let shb_len = 8 + 16 + 4 + appl_padded + 4 + 4;
        assert_eq!(c.u32(), 0x0A0D_0D0A);
        assert_eq!(c.u32() as usize, shb_len);
        assert_eq!(c.u32(), 0x1A2B_3C4D);
        assert_eq!((c.u16(), c.u16()), (1, 0));
        assert_eq!(c.u64(), u64::MAX, "section length -1");
        assert_eq!((c.u16(), c.u16() as usize), (4, appl.len()), "shb_userappl");
        assert_eq!(c.take(appl.len()), appl.as_bytes());
        assert!(c.take(appl_padded - appl.len()).iter().all(|&b| b == 0));
        assert_eq!((c.u16(), c.u16()), (0, 0), "opt_endofopt");
        assert_eq!(c.u32() as usize, shb_len);
        assert_eq!(c.at, shb_len);

        // Interface Description Block, written with the first Ethernet packet.
        assert_eq!(c.u32(), 1);
        assert_eq!(c.u32(), 32);
        assert_eq!((c.u16(), c.u16()), (1, 0), "LINKTYPE_ETHERNET, reserved");
        assert_eq!(c.u32(), 0, "snaplen: no limit");
        assert_eq!((c.u16(), c.u16()), (9, 1), "if_tsresol");
        assert_eq!(c.take(4), [9, 0, 0, 0], "nanoseconds, padded");
        assert_eq!((c.u16(), c.u16()), (0, 0), "opt_endofopt");
        assert_eq!(c.u32(), 32);

        // Enhanced Packet Block: 8 + 20 + 4 (3 bytes padded) + 4 + 8 (comment) + 4 + 4.
        assert_eq!(c.u32(), 6);
        assert_eq!(c.u32(), 52);
        assert_eq!(c.u32(), 0, "interface id");
        let (high, low) = (c.u32(), c.u32());
        assert_eq!((u64::from(high) << 32) | u64::from(low), TS as u64);
        assert_eq!(c.u32(), 3, "captured length");
        assert_eq!(c.u32(), 60, "original length");
        assert_eq!(c.take(4), [0xAA, 0xBB, 0xCC, 0]);
        assert_eq!((c.u16(), c.u16()), (1, 6), "opt_comment");
        assert_eq!(c.take(8), b"pid=42\0\0");
        assert_eq!((c.u16(), c.u16()), (0, 0), "opt_endofopt");
        assert_eq!(c.u32(), 52);

        // Decryption Secrets Block; the empty one wrote nothing.
        assert_eq!(c.u32(), 0x0000_000A);
        assert_eq!(c.u32(), 8 + 8 + 20 + 4);
        assert_eq!(c.take(4), b"KSLT", "0x544c534b little-endian");
        assert_eq!(c.u32(), 20);
        assert_eq!(c.take(20), keylog.as_bytes());
        assert_eq!(c.u32(), 40);
        assert_eq!(c.at, bytes.len());
    }

    #[test]
    fn one_interface_per_link_type_in_order_of_appearance() {
        let bytes = written(|w| {
            for link in [101, 1, 101, 276, 1] {
                w.packet(link, Timestamp(0), &[0; 4], 4, None).unwrap();
            }
            assert_eq!(w.packets(), 5);
        });
        let shb_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        let mut c = Cursor {
            bytes: &bytes,
            at: shb_len,
        };
        let mut seen = Vec::new();
        while c.at < bytes.len() {
            let start = c.at;
            let (kind, len) = (c.u32(), c.u32() as usize);
            match kind {
                1 => seen.push(format!("idb {}", c.u16())),
                6 => {
                    seen.push(format!("epb {}", c.u32()));
                    assert_eq!(len, 8 + 20 + 4 + 4, "no options without a comment");
                }
                other => panic!("block type {other}"),
            }
            c.at = start + len - 4;
            assert_eq!(c.u32() as usize, len);
        }
        let expected = [
            "idb 101", "epb 0", "idb 1", "epb 1", "epb 0", "idb 276", "epb 2", "epb 1",
        ];
        assert_eq!(seen, expected);
    }

    #[test]
    fn odd_input_is_clamped_or_refused() {
        let bytes = written(|w| {
            // Before 1970: clamped to 0. Original length below the captured one: raised.
            w.packet(1, Timestamp(-5), &[1, 2, 3, 4, 5], 2, Some(""))
                .unwrap();
            // A link type the 16-bit IDB field cannot hold: refused, nothing written.
            let err = w.packet(70_000, Timestamp(0), &[], 0, None).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert_eq!(w.packets(), 1);
            // A key log without a final newline gets one; odd lengths are padded.
            w.secrets("CLIENT_RANDOM a b").unwrap();
        });
        let shb_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        let epb = &bytes[shb_len + 32..];
        assert_eq!(&epb[..4], 6u32.to_le_bytes());
        assert_eq!(&epb[4..8], 40u32.to_le_bytes(), "empty comment: no options");
        assert_eq!(&epb[12..20], [0; 8], "timestamp 0");
        assert_eq!(&epb[20..28], [5, 0, 0, 0, 5, 0, 0, 0]);
        let dsb = &epb[40..];
        assert_eq!(&dsb[4..8], 40u32.to_le_bytes());
        assert_eq!(&dsb[12..16], 18u32.to_le_bytes());
        assert_eq!(&dsb[16..36], b"CLIENT_RANDOM a b\n\0\0");
        assert_eq!(dsb.len(), 40);
    }

    #[test]
    fn long_comment_is_cut_at_a_character_boundary() {
        let comment = "é".repeat(40_000); // 80 000 bytes
        let bytes = written(|w| {
            w.packet(1, Timestamp(0), &[], 0, Some(&comment)).unwrap();
        });
        let shb_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        let epb = &bytes[shb_len + 32..];
        let opt_len = u16::from_le_bytes(epb[30..32].try_into().unwrap()) as usize;
        assert_eq!(opt_len, 65_532);
        assert!(std::str::from_utf8(&epb[32..32 + opt_len]).is_ok());
        let total = u32::from_le_bytes(epb[4..8].try_into().unwrap()) as usize;
        assert_eq!(total, epb.len());
        assert_eq!(total % 4, 0);
    }

    #[test]
    fn truncate_utf8_keeps_whole_characters() {
        assert_eq!(truncate_utf8("abc", 5), "abc");
        assert_eq!(truncate_utf8("aé", 2), "a");
        assert_eq!(truncate_utf8("aé", 3), "aé");
    }

    // ---- Real-tool checks: Wireshark's tools read back what we wrote. CI installs them
    // (.ci/run); a missing tool fails the test loudly.

    /// The Internet checksum (RFC 1071) of `chunks` concatenated (each of even length but
    /// the last).
    fn checksum(chunks: &[&[u8]]) -> u16 {
        let mut sum = 0u32;
        for chunk in chunks {
            for pair in chunk.chunks(2) {
                let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
                sum += u32::from(word);
            }
        }
        while sum > 0xFFFF {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        !(sum as u16)
    }

    /// IPv4 10.0.0.1:40000 → 10.0.0.2:80, TCP PSH|ACK carrying `payload`, valid checksums.
    fn ipv4_tcp(payload: &[u8]) -> Vec<u8> {
        let (src, dst) = ([10, 0, 0, 1], [10, 0, 0, 2]);
        let mut tcp = Vec::new();
        tcp.extend_from_slice(&40000u16.to_be_bytes());
        tcp.extend_from_slice(&80u16.to_be_bytes());
        tcp.extend_from_slice(&1000u32.to_be_bytes()); // seq
        tcp.extend_from_slice(&2000u32.to_be_bytes()); // ack
        tcp.extend_from_slice(&[0x50, 0x18]); // data offset 5, PSH|ACK
        tcp.extend_from_slice(&65535u16.to_be_bytes()); // window
        tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        tcp.extend_from_slice(payload);
        let tcp_len = tcp.len() as u16;
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&src);
        pseudo.extend_from_slice(&dst);
        pseudo.extend_from_slice(&[0, 6]);
        pseudo.extend_from_slice(&tcp_len.to_be_bytes());
        let sum = checksum(&[&pseudo, &tcp]);
        tcp[16..18].copy_from_slice(&sum.to_be_bytes());

        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&(20 + tcp_len).to_be_bytes());
        ip.extend_from_slice(&[0x12, 0x34, 0x40, 0, 64, 6, 0, 0]); // id, DF, TTL, TCP
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        let sum = checksum(&[&ip]);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        ip.extend_from_slice(&tcp);
        ip
    }

    fn run(tool: &str, args: &[&str]) -> String {
        let out = std::process::Command::new(tool)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {tool} (CI installs it via .ci/run): {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Running as root, tshark says so on stderr; anything else is a complaint.
        let complaints: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains("Running as user \"root\""))
            .collect();
        assert!(
            out.status.success() && complaints.is_empty(),
            "{tool} {args:?}: {}\n{stderr}",
            out.status
        );
        String::from_utf8(out.stdout).unwrap()
    }

    const KEYLOG: &str = "CLIENT_RANDOM \
        0102030405060708091011121314151617181920212223242526272829303132 \
        00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\
        00112233445566778899aabbccddeeff\n";

    #[test]
    fn wireshark_tools_read_it_back() {
        let dir = std::env::temp_dir().join(format!("httpscope-pcapng-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("two-links.pcapng");
        let file = path.to_str().unwrap();

        let ip = ipv4_tcp(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut eth = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        eth.extend_from_slice(&ip);
        let comment = "pid=4242 comm=curl exe=/usr/bin/curl";

        let out = std::fs::File::create(&path).unwrap();
        let mut w = PcapngWriter::new(io::BufWriter::new(out)).unwrap();
        w.secrets(KEYLOG).unwrap();
        w.packet(1, Timestamp(TS), &eth, eth.len() as u32, Some(comment))
            .unwrap();
        // Raw IPv4, snapped to 20 bytes of its 67 on the wire.
        w.packet(
            101,
            Timestamp(TS + 1_000_000_001),
            &ip[..20],
            ip.len() as u32,
            None,
        )
        .unwrap();
        w.packet(
            101,
            Timestamp(TS + 2_000_000_002),
            &ip,
            ip.len() as u32,
            None,
        )
        .unwrap();
        assert_eq!(w.packets(), 3);
        w.finish()
            .unwrap()
            .into_inner()
            .unwrap()
            .sync_all()
            .unwrap();

        let info = run("capinfos", &["-M", "-c", "-I", "-D", "-t", "-E", file]);
        eprintln!("{info}");
        for line in [
            "File type:           pcapng",
            "Number of packets:   3",
            "Number of interfaces in file: 2",
            "Interface #0 info:\n                     Encapsulation = Ethernet (1 - ether)",
            "Interface #1 info:\n                     Encapsulation = Raw IP (7 - rawip)",
            "Number of packets = 1\nInterface #1",
            "Number of packets = 2\nNumber of decryption secrets in file: 1",
        ] {
            assert!(info.contains(line), "capinfos lacks {line:?}:\n{info}");
        }
        assert_eq!(info.matches("Time precision = nanoseconds (9)").count(), 2);
        assert_eq!(info.matches("Capture length = 0").count(), 2);

        let fields = "frame.interface_id frame.comment frame.len frame.cap_len \
                      frame.time_epoch ip.dst tcp.dstport";
        let mut args = vec!["-r", file, "-T", "fields", "-E", "separator=|"];
        for field in fields.split_whitespace() {
            args.extend(["-e", field]);
        }
        let fields = run("tshark", &args);
        eprintln!("{fields}");
        let expected = format!(
            "0|{comment}|{eth_len}|{eth_len}|1709210096.123456789|10.0.0.2|80\n\
             1||{ip_len}|20|1709210097.123456790|10.0.0.2|\n\
             1||{ip_len}|{ip_len}|1709210098.123456791|10.0.0.2|80\n",
            eth_len = eth.len(),
            ip_len = ip.len(),
        );
        assert_eq!(fields, expected);

        // The DSB's key log comes back out of tshark byte for byte.
        let keys = dir.join("keys.txt");
        run(
            "tshark",
            &[
                "-r",
                file,
                "--export-tls-session-keys",
                keys.to_str().unwrap(),
            ],
        );
        let exported = std::fs::read_to_string(&keys).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(exported, KEYLOG);
    }
}
