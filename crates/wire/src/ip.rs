//! Dispatch between link layers, IP versions and transports.
//!
//! Owns the tables that say which header comes next: ethertype → IP version, version nibble →
//! IP version (raw links), protocol number → transport. Invariant: every protocol number is
//! accepted; unknown ones become [`Transport::Other`] or [`Decoded::NotIp`], never errors.

use crate::{ipv4, ipv6, tcp, udp, Decoded, Transport, WireError};

/// Ethertype of IPv4.
pub(crate) const ETHERTYPE_IPV4: u16 = 0x0800;
/// Ethertype of IPv6.
pub(crate) const ETHERTYPE_IPV6: u16 = 0x86dd;

/// IP protocol number of TCP.
const PROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
const PROTO_UDP: u8 = 17;

/// Decodes the payload of a link layer that names its content with an ethertype.
pub(crate) fn by_ethertype(ethertype: u16, payload: &[u8]) -> Result<Decoded<'_>, WireError> {
    match ethertype {
        ETHERTYPE_IPV4 => ipv4::decode(payload).map(Decoded::Ip),
        ETHERTYPE_IPV6 => ipv6::decode(payload).map(Decoded::Ip),
        other => Ok(Decoded::NotIp(u32::from(other))),
    }
}

/// Decodes a raw IP packet whose version nibble says whether it is IPv4 or IPv6.
pub(crate) fn by_version(data: &[u8]) -> Result<Decoded<'_>, WireError> {
    let Some(first) = data.first() else {
        return Err(WireError::Truncated {
            layer: "IP header",
            need: 1,
            have: 0,
        });
    };
    match first >> 4 {
        4 => ipv4::decode(data).map(Decoded::Ip),
        6 => ipv6::decode(data).map(Decoded::Ip),
        _ => Err(WireError::Invalid {
            layer: "IP header",
            what: "version is neither 4 nor 6",
        }),
    }
}

/// Decodes the transport of an IP packet.
///
/// `payload` is what was captured of the IP payload (after every IP header); `claimed` is the
/// length of that payload according to the IP header, never smaller than `payload.len()`.
pub(crate) fn transport(
    protocol: u8,
    payload: &[u8],
    claimed: u32,
) -> Result<Transport<'_>, WireError> {
    match protocol {
        PROTO_TCP => tcp::decode(payload, claimed).map(Transport::Tcp),
        PROTO_UDP => udp::decode(payload).map(Transport::Udp),
        other => Ok(Transport::Other(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first bytes of an IPv5 (ST) header: a version raw links do not carry.
    static VERSION_5_BYTES: [u8; 4] = [0x50, 0x00, 0x00, 0x14];

    #[test]
    fn raw_needs_a_version() {
        assert_eq!(
            by_version(&[]).err(),
            Some(WireError::Truncated {
                layer: "IP header",
                need: 1,
                have: 0
            })
        );
        assert_eq!(
            by_version(&VERSION_5_BYTES).err(),
            Some(WireError::Invalid {
                layer: "IP header",
                what: "version is neither 4 nor 6"
            })
        );
    }

    #[test]
    fn other_ethertypes_and_protocols_pass_through() {
        assert!(matches!(
            by_ethertype(0x0806, &[]),
            Ok(Decoded::NotIp(0x0806))
        ));
        assert!(matches!(transport(1, &[8, 0], 2), Ok(Transport::Other(1))));
    }
}
