//! Entry point shared by the `wire_decode` fuzz target and the corpus replay test.
//!
//! Owns the interpretation of a fuzz input (first byte: link type, rest: the frame) and the
//! properties checked on every decoded frame. Invariant: [`decode_input`] panics only when
//! `decode` itself panics or breaks a documented property, which is what the fuzzer hunts.

use crate::{decode, Decoded, LinkType, Transport};

/// Link types the first input byte selects from; the byte past the table is an unknown type.
const LINKS: [LinkType; 8] = [
    LinkType::Null,
    LinkType::Ethernet,
    LinkType::Raw,
    LinkType::Loop,
    LinkType::LinuxSll,
    LinkType::Ipv4,
    LinkType::Ipv6,
    LinkType::LinuxSll2,
];

/// Decodes one fuzz input and checks the properties of the result.
pub fn decode_input(input: &[u8]) {
    let Some((&selector, frame)) = input.split_first() else {
        return;
    };
    let link = LINKS
        .get(usize::from(selector) % (LINKS.len() + 1))
        .copied()
        .unwrap_or(LinkType::Unknown(u32::from(selector)));
    let Ok(Decoded::Ip(ip)) = decode(link, frame) else {
        return;
    };
    let within = |part: &[u8]| {
        let (start, end) = (
            frame.as_ptr() as usize,
            frame.as_ptr() as usize + frame.len(),
        );
        let part_start = part.as_ptr() as usize;
        part.is_empty() || (part_start >= start && part_start + part.len() <= end)
    };
    match ip.transport {
        Transport::Tcp(tcp) => {
            assert!(tcp.payload.len() as u64 <= u64::from(tcp.payload_len));
            assert!(within(tcp.payload), "TCP payload is not part of the frame");
        }
        Transport::Udp(udp) => assert!(within(udp.payload), "UDP payload is not part of the frame"),
        Transport::Fragment | Transport::Other(_) => {}
    }
}
