//! Linux "cooked" capture headers: SLL (`LINKTYPE_LINUX_SLL`, 113) and SLL2 (276).
//!
//! Owns the pseudo-headers Linux writes for captures on the "any" device. SLL is 16 bytes with
//! the protocol (an ethertype for IP) at offset 14; SLL2 is 20 bytes with the protocol at
//! offset 0. Invariant: the whole pseudo-header is checked before the protocol is read; what
//! follows is the network-layer packet.

use crate::WireError;

mod field {
    /// SLL: protocol type (ethertype).
    pub const SLL_PROTOCOL: usize = 14;
    /// SLL: header length.
    pub const SLL_HEADER_LEN: usize = 16;
    /// SLL2: protocol type (ethertype).
    pub const SLL2_PROTOCOL: usize = 0;
    /// SLL2: header length.
    pub const SLL2_HEADER_LEN: usize = 20;
}

/// Returns the protocol and payload of an SLL frame.
pub(crate) fn parse_v1(data: &[u8]) -> Result<(u16, &[u8]), WireError> {
    let (header, payload) = data
        .split_first_chunk::<{ field::SLL_HEADER_LEN }>()
        .ok_or(WireError::Truncated {
            layer: "Linux SLL header",
            need: field::SLL_HEADER_LEN,
            have: data.len(),
        })?;
    Ok((be16!(header, field::SLL_PROTOCOL), payload))
}

/// Returns the protocol and payload of an SLL2 frame.
pub(crate) fn parse_v2(data: &[u8]) -> Result<(u16, &[u8]), WireError> {
    let (header, payload) = data
        .split_first_chunk::<{ field::SLL2_HEADER_LEN }>()
        .ok_or(WireError::Truncated {
            layer: "Linux SLL2 header",
            need: field::SLL2_HEADER_LEN,
            have: data.len(),
        })?;
    Ok((be16!(header, field::SLL2_PROTOCOL), payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SLL: outgoing (4), ARPHRD_ETHER, 6-byte address, protocol IPv4, then one payload byte.
    static SLL_BYTES: [u8; 17] = [0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00, 0x45];

    /// SLL2: protocol IPv6, reserved, ifindex 1, ARPHRD_LOOPBACK, host (0), no address.
    static SLL2_BYTES: [u8; 21] = [
        0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x60,
    ];

    #[test]
    fn protocols_and_payloads() {
        assert_eq!(parse_v1(&SLL_BYTES), Ok((0x0800, &[0x45][..])));
        assert_eq!(parse_v2(&SLL2_BYTES), Ok((0x86dd, &[0x60][..])));
    }

    #[test]
    fn truncated_headers() {
        assert_eq!(
            parse_v1(SLL_BYTES.get(..15).unwrap_or_default()),
            Err(WireError::Truncated {
                layer: "Linux SLL header",
                need: 16,
                have: 15
            })
        );
        assert_eq!(
            parse_v2(SLL2_BYTES.get(..3).unwrap_or_default()),
            Err(WireError::Truncated {
                layer: "Linux SLL2 header",
                need: 20,
                have: 3
            })
        );
    }
}
