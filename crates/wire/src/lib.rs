//! Zero-copy packet views: link layers, IPv4, IPv6, TCP and UDP.
//!
//! This crate owns the decoding of one captured frame, from its link-layer header down to the
//! TCP or UDP payload, into [`Decoded`]. It does no I/O and never allocates: every slice it
//! returns borrows the caller's buffer.
//!
//! Invariants:
//! - no input can make it panic: each layer is a checked view (`new_checked`) that validates the
//!   header length once; fixed header fields are then read from a fixed-size array at constant
//!   offsets (the compiler rejects an out-of-range constant index), and variable parts use `get`;
//! - the length a header claims bounds what is returned (Ethernet padding is trimmed), and what
//!   was captured bounds it too: a packet cut short by the snap length still decodes, with
//!   [`TcpSegment::payload_len`] telling how much was on the wire;
//! - checksums are not verified (offloading makes them meaningless in captures).
//!
//! The layout follows smoltcp's `wire` module: one file per layer, a private `field` module of
//! byte offsets, tests at the bottom of each file with named byte arrays.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Reads a big-endian `u16` at a constant offset of a fixed-size header array.
///
/// Used only with constant offsets into `&[u8; N]`: an out-of-range offset is a compile error
/// (`unconditional_panic`), never a runtime panic.
macro_rules! be16 {
    ($header:expr, $at:expr) => {
        u16::from_be_bytes([$header[$at], $header[$at + 1]])
    };
}

/// Reads a big-endian `u32` at a constant offset of a fixed-size header array (see `be16!`).
macro_rules! be32 {
    ($header:expr, $at:expr) => {
        u32::from_be_bytes([
            $header[$at],
            $header[$at + 1],
            $header[$at + 2],
            $header[$at + 3],
        ])
    };
}

mod error;
mod ethernet;
#[doc(hidden)]
pub mod fuzzing;
mod ip;
mod ipv4;
mod ipv6;
mod loopback;
mod sll;
mod tcp;
mod udp;

pub use error::WireError;
pub use tcp::{TcpFlags, TcpSegment};
pub use udp::UdpDatagram;

use std::net::IpAddr;

/// The link-layer header type of a capture (pcap `LINKTYPE_*` values).
///
/// Open: codes httpscope does not decode are kept as [`LinkType::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkType {
    /// 0: BSD loopback, a 4-byte address family in the byte order of the capturing host.
    Null,
    /// 1: Ethernet II, optionally with 802.1Q/802.1ad VLAN tags.
    Ethernet,
    /// 101 (also written as 12 or 14 by some systems): raw IPv4 or IPv6, no link header.
    Raw,
    /// 108: OpenBSD loopback, a 4-byte address family in network byte order.
    Loop,
    /// 113: Linux "cooked" capture, version 1 (16-byte header).
    LinuxSll,
    /// 228: raw IPv4.
    Ipv4,
    /// 229: raw IPv6.
    Ipv6,
    /// 276: Linux "cooked" capture, version 2 (20-byte header).
    LinuxSll2,
    /// Any other link type code.
    Unknown(u32),
}

impl LinkType {
    /// Maps a pcap/pcapng link type code to a [`LinkType`]. The codes 12 and 14, which some
    /// systems use for raw IP (`DLT_RAW`), map to [`LinkType::Raw`].
    pub fn from_code(code: u32) -> LinkType {
        match code {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            other => LinkType::Unknown(other),
        }
    }

    /// The canonical `LINKTYPE_*` code (101 for [`LinkType::Raw`]).
    pub fn code(self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::LinuxSll2 => 276,
            LinkType::Unknown(code) => code,
        }
    }
}

/// What an IP packet carries.
#[derive(Clone, Copy, Debug)]
pub enum Transport<'a> {
    /// A TCP segment.
    Tcp(TcpSegment<'a>),
    /// A UDP datagram.
    Udp(UdpDatagram<'a>),
    /// IPv4 fragment (MF set or offset != 0) or IPv6 Fragment header: not reassembled.
    Fragment,
    /// Other IP protocol number (ICMP, ...).
    Other(u8),
}

/// An IPv4 or IPv6 packet and its transport.
#[derive(Clone, Copy, Debug)]
pub struct IpPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// What the packet carries.
    pub transport: Transport<'a>,
}

/// A decoded frame.
#[derive(Clone, Copy, Debug)]
pub enum Decoded<'a> {
    /// An IPv4 or IPv6 packet.
    Ip(IpPacket<'a>),
    /// Not IP: the ethertype/family seen (ARP, LLDP...).
    NotIp(u32),
}

/// Decodes one captured frame of the given link type.
///
/// `data` is what was captured; it may be shorter than the frame on the wire.
pub fn decode(link: LinkType, data: &[u8]) -> Result<Decoded<'_>, WireError> {
    match link {
        LinkType::Ethernet => {
            let (ethertype, payload) = ethernet::parse(data)?;
            ip::by_ethertype(ethertype, payload)
        }
        LinkType::LinuxSll => {
            let (ethertype, payload) = sll::parse_v1(data)?;
            ip::by_ethertype(ethertype, payload)
        }
        LinkType::LinuxSll2 => {
            let (ethertype, payload) = sll::parse_v2(data)?;
            ip::by_ethertype(ethertype, payload)
        }
        LinkType::Null => loopback::decode_null(data),
        LinkType::Loop => loopback::decode_loop(data),
        LinkType::Raw => ip::by_version(data),
        LinkType::Ipv4 => ipv4::decode(data).map(Decoded::Ip),
        LinkType::Ipv6 => ipv6::decode(data).map(Decoded::Ip),
        LinkType::Unknown(code) => Err(WireError::UnsupportedLinkType(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet + 802.1Q tag + IPv4 + TCP (PSH|ACK) + "GET" + 2 bytes of Ethernet padding.
    static VLAN_TCP_BYTES: [u8; 63] = [
        // Ethernet: dst, src, ethertype 802.1Q
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x81, 0x00, //
        // VLAN tag: TCI 100, inner ethertype IPv4
        0x00, 0x64, 0x08, 0x00, //
        // IPv4: total length 43, DF, TTL 64, TCP, 10.0.0.1 -> 10.0.0.2
        0x45, 0x00, 0x00, 0x2b, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2, //
        // TCP: 12345 -> 80, seq 1, ack 2, offset 5, PSH|ACK, window 256
        0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x18, 0x01, 0x00, 0, 0, 0, 0, //
        b'G', b'E', b'T', //
        0x00, 0x00,
    ];

    #[test]
    fn link_type_codes_round_trip() {
        for code in [0, 1, 101, 108, 113, 228, 229, 276, 9999] {
            assert_eq!(LinkType::from_code(code).code(), code);
        }
        assert_eq!(LinkType::from_code(12), LinkType::Raw);
        assert_eq!(LinkType::from_code(14), LinkType::Raw);
        assert_eq!(LinkType::from_code(147), LinkType::Unknown(147));
    }

    #[test]
    fn decodes_vlan_tagged_tcp_and_trims_padding() {
        let Ok(Decoded::Ip(ip)) = decode(LinkType::Ethernet, &VLAN_TCP_BYTES) else {
            panic!("not decoded as IP");
        };
        assert_eq!(ip.src, IpAddr::from([10, 0, 0, 1]));
        assert_eq!(ip.dst, IpAddr::from([10, 0, 0, 2]));
        let Transport::Tcp(tcp) = ip.transport else {
            panic!("not TCP")
        };
        assert_eq!(
            (tcp.src_port, tcp.dst_port, tcp.seq, tcp.ack),
            (12345, 80, 1, 2)
        );
        assert!(tcp.flags.psh() && tcp.flags.ack() && !tcp.flags.syn());
        assert_eq!(tcp.window, 256);
        assert_eq!(tcp.payload, b"GET");
        assert_eq!(tcp.payload_len, 3);
    }

    #[test]
    fn unknown_link_type_is_an_error() {
        assert_eq!(
            decode(LinkType::Unknown(147), &VLAN_TCP_BYTES).err(),
            Some(WireError::UnsupportedLinkType(147))
        );
    }

    #[test]
    fn every_prefix_of_a_valid_frame_is_handled() {
        for link in [
            LinkType::Ethernet,
            LinkType::Raw,
            LinkType::LinuxSll,
            LinkType::Null,
        ] {
            for end in 0..=VLAN_TCP_BYTES.len() {
                let _ = decode(link, VLAN_TCP_BYTES.get(..end).unwrap_or_default());
            }
        }
    }
}
