//! IPv4 headers (RFC 791).
//!
//! Owns the fixed 20-byte header, the options after it (skipped) and the bounds of the payload.
//! Invariants of a checked [`Packet`]: the version is 4; `20 <= header length <= captured
//! length`; the total length, unless 0, is at least the header length. The payload is what was
//! captured, cut at the total length (which removes Ethernet padding and a captured FCS). A total
//! length of 0 means TCP segmentation offload handed the packet to the capture before it was
//! split: the captured length is used instead.

use crate::{ip, IpPacket, Transport, WireError};
use std::net::{IpAddr, Ipv4Addr};

mod field {
    /// Version (high nibble) and header length in 32-bit words (low nibble).
    pub const VER_IHL: usize = 0;
    /// Total length of the packet, header included.
    pub const TOTAL_LEN: usize = 2;
    /// Flags (3 bits) and fragment offset (13 bits).
    pub const FLAGS_FRAG: usize = 6;
    /// Protocol number of the payload.
    pub const PROTOCOL: usize = 9;
    /// Source address.
    pub const SRC: usize = 12;
    /// Destination address.
    pub const DST: usize = 16;
    /// Length of the fixed header.
    pub const HEADER_LEN: usize = 20;
}

/// "More fragments" flag in the flags/fragment-offset field.
const MORE_FRAGMENTS: u16 = 0x2000;
/// Fragment offset mask in the flags/fragment-offset field.
const FRAGMENT_OFFSET: u16 = 0x1fff;

const LAYER: &str = "IPv4 header";

/// A checked view of an IPv4 packet.
struct Packet<'a> {
    header: &'a [u8; field::HEADER_LEN],
    /// Captured payload, bounded by the total length.
    payload: &'a [u8],
    /// Payload length according to the header (captured length when the total length is 0).
    claimed: u32,
}

impl<'a> Packet<'a> {
    fn new_checked(data: &'a [u8]) -> Result<Packet<'a>, WireError> {
        let (header, _) =
            data.split_first_chunk::<{ field::HEADER_LEN }>()
                .ok_or(WireError::Truncated {
                    layer: LAYER,
                    need: field::HEADER_LEN,
                    have: data.len(),
                })?;
        let ver_ihl = header[field::VER_IHL];
        if ver_ihl >> 4 != 4 {
            return Err(WireError::Invalid {
                layer: LAYER,
                what: "version is not 4",
            });
        }
        let header_len = usize::from(ver_ihl & 0x0f) * 4;
        if header_len < field::HEADER_LEN {
            return Err(WireError::Invalid {
                layer: LAYER,
                what: "header length below 20 bytes",
            });
        }
        let rest = data.get(header_len..).ok_or(WireError::Truncated {
            layer: "IPv4 options",
            need: header_len,
            have: data.len(),
        })?;
        let total_len = usize::from(be16!(header, field::TOTAL_LEN));
        let (payload, claimed) = if total_len == 0 {
            (rest, rest.len())
        } else {
            let claimed = total_len
                .checked_sub(header_len)
                .ok_or(WireError::Invalid {
                    layer: LAYER,
                    what: "total length smaller than header length",
                })?;
            (rest.get(..claimed).unwrap_or(rest), claimed)
        };
        // Both values are at most 65535 (or the captured length, which the capture formats
        // bound far below u32::MAX); saturate rather than trust that.
        let claimed = u32::try_from(claimed).unwrap_or(u32::MAX);
        Ok(Packet {
            header,
            payload,
            claimed,
        })
    }

    fn is_fragment(&self) -> bool {
        let flags_frag = be16!(self.header, field::FLAGS_FRAG);
        flags_frag & MORE_FRAGMENTS != 0 || flags_frag & FRAGMENT_OFFSET != 0
    }

    fn protocol(&self) -> u8 {
        self.header[field::PROTOCOL]
    }

    fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from(be32!(self.header, field::SRC))
    }

    fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from(be32!(self.header, field::DST))
    }
}

/// Decodes an IPv4 packet and its transport.
pub(crate) fn decode(data: &[u8]) -> Result<IpPacket<'_>, WireError> {
    let packet = Packet::new_checked(data)?;
    let transport = if packet.is_fragment() {
        Transport::Fragment
    } else {
        ip::transport(packet.protocol(), packet.payload, packet.claimed)?
    };
    Ok(IpPacket {
        src: IpAddr::V4(packet.src()),
        dst: IpAddr::V4(packet.dst()),
        transport,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv4 (total length 32, one 4-byte option: IHL 6) + UDP 53 -> 53 with no payload,
    /// followed by 4 bytes of Ethernet padding.
    static UDP_WITH_OPTION_BYTES: [u8; 36] = [
        0x46, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 192, 168, 0, 1,
        192, 168, 0, 2, //
        0x01, 0x01, 0x01, 0x00, // options: NOP NOP NOP EOL
        0x00, 0x35, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00, //
        0xee, 0xee, 0xee, 0xee, // padding
    ];

    /// IPv4 first fragment (MF set) of an ICMP packet.
    static FRAGMENT_BYTES: [u8; 20] = [
        0x45, 0x00, 0x05, 0xdc, 0x12, 0x34, 0x20, 0x00, 0x40, 0x01, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2,
    ];

    /// IPv4 header claiming IHL 15 (60 bytes) in a 20-byte capture.
    static OPTIONS_TRUNCATED_BYTES: [u8; 20] = [
        0x4f, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2,
    ];

    /// IPv4 header with IHL 4 (16 bytes): impossible.
    static IHL_TOO_SMALL_BYTES: [u8; 20] = [
        0x44, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2,
    ];

    /// IPv4 header whose total length (10) is below its header length (20).
    static TOTAL_TOO_SMALL_BYTES: [u8; 20] = [
        0x45, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2,
    ];

    /// TSO: total length 0, TCP header + 2 payload bytes captured.
    static TSO_BYTES: [u8; 42] = [
        0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 127, 0, 0, 1, 127,
        0, 0, 1, //
        0x1f, 0x90, 0xc0, 0x00, 0, 0, 0, 9, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0, //
        b'h', b'i',
    ];

    #[test]
    fn options_skipped_and_padding_trimmed() {
        let ip = decode(&UDP_WITH_OPTION_BYTES).expect("decodes");
        assert_eq!(ip.src, IpAddr::from([192, 168, 0, 1]));
        let Transport::Udp(udp) = ip.transport else {
            panic!("not UDP")
        };
        assert_eq!((udp.src_port, udp.dst_port), (53, 53));
        assert!(udp.payload.is_empty());
    }

    #[test]
    fn fragments_are_not_decoded_further() {
        let ip = decode(&FRAGMENT_BYTES).expect("decodes");
        assert!(matches!(ip.transport, Transport::Fragment));
    }

    #[test]
    fn tso_total_length_zero_uses_captured_length() {
        let ip = decode(&TSO_BYTES).expect("decodes");
        let Transport::Tcp(tcp) = ip.transport else {
            panic!("not TCP")
        };
        assert_eq!(tcp.payload, b"hi");
        assert_eq!(tcp.payload_len, 2);
    }

    #[test]
    fn truncated_and_impossible_lengths() {
        assert_eq!(
            decode(FRAGMENT_BYTES.get(..12).unwrap_or_default()).err(),
            Some(WireError::Truncated {
                layer: "IPv4 header",
                need: 20,
                have: 12
            })
        );
        assert_eq!(
            decode(&OPTIONS_TRUNCATED_BYTES).err(),
            Some(WireError::Truncated {
                layer: "IPv4 options",
                need: 60,
                have: 20
            })
        );
        assert_eq!(
            decode(&IHL_TOO_SMALL_BYTES).err(),
            Some(WireError::Invalid {
                layer: LAYER,
                what: "header length below 20 bytes"
            })
        );
        assert_eq!(
            decode(&TOTAL_TOO_SMALL_BYTES).err(),
            Some(WireError::Invalid {
                layer: LAYER,
                what: "total length smaller than header length"
            })
        );
        assert_eq!(
            decode(&[0x65; 20]).err(),
            Some(WireError::Invalid {
                layer: LAYER,
                what: "version is not 4"
            })
        );
    }
}
