//! BSD loopback headers: `LINKTYPE_NULL` (0) and `LINKTYPE_LOOP` (108).
//!
//! Owns the 4-byte address-family header that precedes the IP packet. With NULL the family is
//! written in the byte order of the host that captured, which a reader cannot know: as libpcap
//! and Wireshark do, a value with any of its upper 16 bits set is taken to be byte-swapped (no
//! family is above 65535). With LOOP it is in network byte order. IPv4 is family 2; IPv6 is 24
//! (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (macOS). Anything else is reported as not IP.

use crate::{ipv4, ipv6, Decoded, WireError};

mod field {
    /// Length of the header (one 32-bit address family).
    pub const HEADER_LEN: usize = 4;
}

const AF_INET: u32 = 2;
const AF_INET6_BSD: u32 = 24;
const AF_INET6_FREEBSD: u32 = 28;
const AF_INET6_DARWIN: u32 = 30;

/// Splits off the 4-byte family header.
fn split(data: &[u8]) -> Result<(&[u8; field::HEADER_LEN], &[u8]), WireError> {
    data.split_first_chunk::<{ field::HEADER_LEN }>()
        .ok_or(WireError::Truncated {
            layer: "loopback header",
            need: field::HEADER_LEN,
            have: data.len(),
        })
}

/// Decodes a `LINKTYPE_NULL` frame (family in either byte order).
pub(crate) fn decode_null(data: &[u8]) -> Result<Decoded<'_>, WireError> {
    let (family, payload) = split(data)?;
    let little = u32::from_le_bytes(*family);
    let family = if little & 0xffff_0000 != 0 {
        little.swap_bytes()
    } else {
        little
    };
    by_family(family, payload)
}

/// Decodes a `LINKTYPE_LOOP` frame (family in network byte order).
pub(crate) fn decode_loop(data: &[u8]) -> Result<Decoded<'_>, WireError> {
    let (family, payload) = split(data)?;
    by_family(u32::from_be_bytes(*family), payload)
}

fn by_family(family: u32, payload: &[u8]) -> Result<Decoded<'_>, WireError> {
    match family {
        AF_INET => ipv4::decode(payload).map(Decoded::Ip),
        AF_INET6_BSD | AF_INET6_FREEBSD | AF_INET6_DARWIN => ipv6::decode(payload).map(Decoded::Ip),
        other => Ok(Decoded::NotIp(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transport;

    /// Little-endian family 2, then an IPv4 header carrying ICMP.
    static NULL_LE_ICMP_BYTES: [u8; 24] = [
        2, 0, 0, 0, //
        0x45, 0x00, 0x00, 0x14, 0, 0, 0, 0, 0x40, 0x01, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ];

    /// Big-endian family 2 (as LOOP, or NULL written on a big-endian host), same packet.
    static NET_ORDER_ICMP_BYTES: [u8; 24] = [
        0, 0, 0, 2, //
        0x45, 0x00, 0x00, 0x14, 0, 0, 0, 0, 0x40, 0x01, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ];

    /// Little-endian family 30 (macOS IPv6) followed by a truncated IPv6 header.
    static NULL_DARWIN_V6_BYTES: [u8; 8] = [30, 0, 0, 0, 0x60, 0, 0, 0];

    /// Family 7 (not IP).
    static NULL_OTHER_BYTES: [u8; 4] = [7, 0, 0, 0];

    fn is_icmp(decoded: Result<Decoded<'_>, WireError>) -> bool {
        matches!(decoded, Ok(Decoded::Ip(ip)) if matches!(ip.transport, Transport::Other(1)))
    }

    #[test]
    fn null_accepts_both_byte_orders() {
        assert!(is_icmp(decode_null(&NULL_LE_ICMP_BYTES)));
        assert!(is_icmp(decode_null(&NET_ORDER_ICMP_BYTES)));
    }

    #[test]
    fn loop_is_network_order() {
        assert!(is_icmp(decode_loop(&NET_ORDER_ICMP_BYTES)));
        assert!(matches!(
            decode_loop(&NULL_LE_ICMP_BYTES),
            Ok(Decoded::NotIp(0x0200_0000))
        ));
    }

    #[test]
    fn ipv6_families_and_others() {
        assert_eq!(
            decode_null(&NULL_DARWIN_V6_BYTES).err(),
            Some(WireError::Truncated {
                layer: "IPv6 header",
                need: 40,
                have: 4
            })
        );
        assert!(matches!(
            decode_null(&NULL_OTHER_BYTES),
            Ok(Decoded::NotIp(7))
        ));
    }

    #[test]
    fn truncated_header() {
        assert_eq!(
            decode_null(&[2, 0]).err(),
            Some(WireError::Truncated {
                layer: "loopback header",
                need: 4,
                have: 2
            })
        );
    }
}
