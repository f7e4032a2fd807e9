//! IPv6 headers (RFC 8200) and the extension header chain.
//!
//! Owns the fixed 40-byte header, the walk over extension headers (hop-by-hop options 0,
//! routing 43, destination options 60, mobility 135, HIP 139, shim6 140, authentication 51,
//! fragment 44, no next header 59) and the bounds of the payload. Invariants of a checked
//! [`Packet`]: the version is 6 and the fixed header was captured. The payload is what was
//! captured, cut at the payload length; a payload length of 0 (jumbogram, or segmentation
//! offload) means the captured length is used. Every extension header is checked against both
//! the captured bytes and the claimed length before it is skipped; each one is at least 8 bytes
//! long, so the walk ends.

use crate::{ip, IpPacket, Transport, WireError};
use std::net::{IpAddr, Ipv6Addr};

mod field {
    /// Version (high nibble of the first byte).
    pub const VERSION: usize = 0;
    /// Payload length (everything after the fixed header).
    pub const PAYLOAD_LEN: usize = 4;
    /// Next header.
    pub const NEXT_HEADER: usize = 6;
    /// Source address (16 bytes).
    pub const SRC: usize = 8;
    /// Destination address (16 bytes).
    pub const DST: usize = 24;
    /// Length of the fixed header.
    pub const HEADER_LEN: usize = 40;
    /// In an extension header: the next header.
    pub const EXT_NEXT_HEADER: usize = 0;
    /// In an extension header: its length (units depend on the header type).
    pub const EXT_LEN: usize = 1;
    /// In a fragment header: fragment offset (13 bits), 2 reserved bits, M flag.
    pub const FRAG_OFFSET_FLAGS: usize = 2;
    /// Length of a fragment header.
    pub const FRAG_HEADER_LEN: usize = 8;
}

const LAYER: &str = "IPv6 header";
const EXT_LAYER: &str = "IPv6 extension header";

/// Next-header values of extension headers in the generic format (length in 8-octet units,
/// not counting the first 8 octets).
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const DESTINATION_OPTIONS: u8 = 60;
const MOBILITY: u8 = 135;
const HIP: u8 = 139;
const SHIM6: u8 = 140;
/// Fragment header (fixed 8 bytes).
const FRAGMENT: u8 = 44;
/// Authentication header (length in 4-octet units, minus 2).
const AUTHENTICATION: u8 = 51;
/// No next header.
const NO_NEXT_HEADER: u8 = 59;

/// A checked view of an IPv6 packet.
struct Packet<'a> {
    header: &'a [u8; field::HEADER_LEN],
    /// Captured payload, bounded by the payload length.
    payload: &'a [u8],
    /// Payload length according to the header (captured length when it is 0).
    claimed: u32,
}

impl<'a> Packet<'a> {
    fn new_checked(data: &'a [u8]) -> Result<Packet<'a>, WireError> {
        let (header, rest) =
            data.split_first_chunk::<{ field::HEADER_LEN }>()
                .ok_or(WireError::Truncated {
                    layer: LAYER,
                    need: field::HEADER_LEN,
                    have: data.len(),
                })?;
        if header[field::VERSION] >> 4 != 6 {
            return Err(WireError::Invalid {
                layer: LAYER,
                what: "version is not 6",
            });
        }
        let payload_len = usize::from(be16!(header, field::PAYLOAD_LEN));
        let (payload, claimed) = if payload_len == 0 {
            (rest, rest.len())
        } else {
            (rest.get(..payload_len).unwrap_or(rest), payload_len)
        };
        let claimed = u32::try_from(claimed).unwrap_or(u32::MAX);
        Ok(Packet {
            header,
            payload,
            claimed,
        })
    }

    fn next_header(&self) -> u8 {
        self.header[field::NEXT_HEADER]
    }

    fn src(&self) -> Ipv6Addr {
        address(self.header, field::SRC)
    }

    fn dst(&self) -> Ipv6Addr {
        address(self.header, field::DST)
    }
}

/// The 16-byte address at `at` (a constant within the fixed header, so always present).
fn address(header: &[u8; field::HEADER_LEN], at: usize) -> Ipv6Addr {
    header
        .get(at..at + 16)
        .and_then(|octets| <[u8; 16]>::try_from(octets).ok())
        .map_or(Ipv6Addr::UNSPECIFIED, Ipv6Addr::from)
}

/// One extension header: the header after it and how many bytes it occupies.
fn extension(next: u8, rest: &[u8], claimed: u32) -> Result<(u8, usize), WireError> {
    let Some(ext) = rest.first_chunk::<2>() else {
        return Err(WireError::Truncated {
            layer: EXT_LAYER,
            need: 2,
            have: rest.len(),
        });
    };
    let (next_header, len) = (ext[field::EXT_NEXT_HEADER], ext[field::EXT_LEN]);
    let ext_len = match next {
        AUTHENTICATION => (usize::from(len) + 2) * 4,
        FRAGMENT => field::FRAG_HEADER_LEN,
        _ => (usize::from(len) + 1) * 8,
    };
    if ext_len > rest.len() {
        return Err(WireError::Truncated {
            layer: EXT_LAYER,
            need: ext_len,
            have: rest.len(),
        });
    }
    if u32::try_from(ext_len).map_or(true, |l| l > claimed) {
        return Err(WireError::Invalid {
            layer: EXT_LAYER,
            what: "extension header extends past the payload length",
        });
    }
    Ok((next_header, ext_len))
}

/// Decodes an IPv6 packet, walks its extension headers and decodes its transport.
pub(crate) fn decode(data: &[u8]) -> Result<IpPacket<'_>, WireError> {
    let packet = Packet::new_checked(data)?;
    let (src, dst) = (IpAddr::V6(packet.src()), IpAddr::V6(packet.dst()));
    let mut next = packet.next_header();
    let mut rest = packet.payload;
    let mut claimed = packet.claimed;
    let transport = loop {
        match next {
            HOP_BY_HOP | ROUTING | DESTINATION_OPTIONS | MOBILITY | HIP | SHIM6
            | AUTHENTICATION | FRAGMENT => {
                let (after, ext_len) = extension(next, rest, claimed)?;
                if next == FRAGMENT && !is_atomic_fragment(rest) {
                    break Transport::Fragment;
                }
                next = after;
                rest = rest.get(ext_len..).unwrap_or_default();
                // extension() checked ext_len <= claimed.
                claimed = claimed.saturating_sub(u32::try_from(ext_len).unwrap_or(u32::MAX));
            }
            NO_NEXT_HEADER => break Transport::Other(NO_NEXT_HEADER),
            protocol => break ip::transport(protocol, rest, claimed)?,
        }
    };
    Ok(IpPacket {
        src,
        dst,
        transport,
    })
}

/// An atomic fragment (RFC 6946: offset 0 and M flag clear) holds a whole packet and is
/// processed as if the fragment header were absent. `rest` starts at a length-checked
/// fragment header.
fn is_atomic_fragment(rest: &[u8]) -> bool {
    rest.first_chunk::<{ field::FRAG_HEADER_LEN }>()
        .is_some_and(|frag| be16!(frag, field::FRAG_OFFSET_FLAGS) & 0xfff9 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv6 ::1 -> ::2, hop-by-hop options (8 bytes), then TCP 443 -> 50000 with a 12-byte
    /// options area (data offset 8) and 1 payload byte; payload length 8 + 32 + 1 = 41.
    static HBH_TCP_BYTES: [u8; 81] = [
        0x60, 0, 0, 0, 0x00, 0x29, 0x00, 0x40, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
        // hop-by-hop: next TCP, length 0 (8 bytes), PadN
        0x06, 0x00, 0x01, 0x04, 0, 0, 0, 0, //
        // TCP: 443 -> 50000, data offset 8 (32 bytes), ACK|FIN
        0x01, 0xbb, 0xc3, 0x50, 0, 0, 0, 5, 0, 0, 0, 6, 0x80, 0x11, 0x10, 0x00, 0, 0, 0, 0, //
        1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, // NOP NOP timestamps
        b'x',
    ];

    /// IPv6 with a non-atomic fragment header (offset 0, M set) in front of UDP.
    static FRAGMENT_BYTES: [u8; 48] = [
        0x60, 0, 0, 0, 0x00, 0x08, 0x2c, 0x40, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
        0x11, 0x00, 0x00, 0x01, 0, 0, 0, 7,
    ];

    /// IPv6 with an atomic fragment header (offset 0, M clear) in front of UDP 1 -> 2.
    static ATOMIC_FRAGMENT_BYTES: [u8; 56] = [
        0x60, 0, 0, 0, 0x00, 0x10, 0x2c, 0x40, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
        0x11, 0x00, 0x00, 0x00, 0, 0, 0, 7, //
        0, 1, 0, 2, 0, 8, 0, 0,
    ];

    /// IPv6 whose destination options header claims 16 bytes, with 8 captured and a payload
    /// length of 8.
    static EXT_OVERRUN_BYTES: [u8; 48] = [
        0x60, 0, 0, 0, 0x00, 0x08, 0x3c, 0x40, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
        0x06, 0x01, 0, 0, 0, 0, 0, 0,
    ];

    /// IPv6 with "no next header" and 4 bytes of trailing garbage.
    static NO_NEXT_BYTES: [u8; 44] = [
        0x60, 0, 0, 0, 0x00, 0x04, 0x3b, 0x40, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, //
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
        0xde, 0xad, 0xbe, 0xef,
    ];

    #[test]
    fn walks_hop_by_hop_to_tcp() {
        let ip = decode(&HBH_TCP_BYTES).expect("decodes");
        assert_eq!(ip.src, IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(ip.dst, "::2".parse::<IpAddr>().expect("address"));
        let Transport::Tcp(tcp) = ip.transport else {
            panic!("not TCP")
        };
        assert_eq!((tcp.src_port, tcp.dst_port), (443, 50000));
        assert!(tcp.flags.fin() && tcp.flags.ack());
        assert_eq!(tcp.payload, b"x");
        assert_eq!(tcp.payload_len, 1);
    }

    #[test]
    fn snapped_payload_reports_claimed_length() {
        let snapped = HBH_TCP_BYTES.get(..80).unwrap_or_default();
        let ip = decode(snapped).expect("decodes");
        let Transport::Tcp(tcp) = ip.transport else {
            panic!("not TCP")
        };
        assert_eq!(tcp.payload, b"");
        assert_eq!(tcp.payload_len, 1);
    }

    #[test]
    fn fragments() {
        assert!(matches!(
            decode(&FRAGMENT_BYTES).map(|ip| ip.transport),
            Ok(Transport::Fragment)
        ));
        let ip = decode(&ATOMIC_FRAGMENT_BYTES).expect("decodes");
        let Transport::Udp(udp) = ip.transport else {
            panic!("not UDP")
        };
        assert_eq!((udp.src_port, udp.dst_port), (1, 2));
    }

    #[test]
    fn no_next_header() {
        assert!(matches!(
            decode(&NO_NEXT_BYTES).map(|ip| ip.transport),
            Ok(Transport::Other(59))
        ));
    }

    #[test]
    fn truncated_and_impossible_lengths() {
        assert_eq!(
            decode(HBH_TCP_BYTES.get(..39).unwrap_or_default()).err(),
            Some(WireError::Truncated {
                layer: LAYER,
                need: 40,
                have: 39
            })
        );
        assert_eq!(
            decode(HBH_TCP_BYTES.get(..41).unwrap_or_default()).err(),
            Some(WireError::Truncated {
                layer: EXT_LAYER,
                need: 2,
                have: 1
            })
        );
        assert_eq!(
            decode(&EXT_OVERRUN_BYTES).err(),
            Some(WireError::Truncated {
                layer: EXT_LAYER,
                need: 16,
                have: 8
            })
        );
        assert_eq!(
            decode(&[0x40; 40]).err(),
            Some(WireError::Invalid {
                layer: LAYER,
                what: "version is not 6"
            })
        );
    }
}
