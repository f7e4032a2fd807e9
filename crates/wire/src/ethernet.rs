//! Ethernet II framing, with any number of IEEE 802.1Q / 802.1ad VLAN tags.
//!
//! Owns the 14-byte Ethernet header and the 4-byte VLAN tags after it. Invariant: a [`Frame`]
//! exists only for a buffer holding the whole fixed header, and each tag is length-checked before
//! it is read. The frame check sequence, when captured, is left in the payload: the IP total
//! length trims it together with any padding.

use crate::WireError;

mod field {
    /// The ethertype (or the first tag protocol identifier).
    pub const ETHERTYPE: usize = 12;
    /// Length of the fixed header (destination, source, ethertype).
    pub const HEADER_LEN: usize = 14;
    /// The inner ethertype inside a 4-byte VLAN tag (after the 2-byte TCI).
    pub const TAG_ETHERTYPE: usize = 2;
    /// Length of one VLAN tag.
    pub const TAG_LEN: usize = 4;
}

/// IEEE 802.1Q customer VLAN tag.
const TPID_8021Q: u16 = 0x8100;
/// IEEE 802.1ad service VLAN tag (QinQ).
const TPID_8021AD: u16 = 0x88a8;
/// Pre-standard QinQ tag still seen on some switches.
const TPID_QINQ_OLD: u16 = 0x9100;

/// A checked view of an Ethernet II header.
struct Frame<'a> {
    header: &'a [u8; field::HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> Frame<'a> {
    fn new_checked(data: &'a [u8]) -> Result<Frame<'a>, WireError> {
        let (header, payload) =
            data.split_first_chunk::<{ field::HEADER_LEN }>()
                .ok_or(WireError::Truncated {
                    layer: "Ethernet header",
                    need: field::HEADER_LEN,
                    have: data.len(),
                })?;
        Ok(Frame { header, payload })
    }

    fn ethertype(&self) -> u16 {
        be16!(self.header, field::ETHERTYPE)
    }
}

/// Returns the innermost ethertype and the bytes after the Ethernet header and its VLAN tags.
pub(crate) fn parse(data: &[u8]) -> Result<(u16, &[u8]), WireError> {
    let frame = Frame::new_checked(data)?;
    let mut ethertype = frame.ethertype();
    let mut rest = frame.payload;
    // Each tag consumes 4 bytes, so this loop ends.
    while matches!(ethertype, TPID_8021Q | TPID_8021AD | TPID_QINQ_OLD) {
        let (tag, after) =
            rest.split_first_chunk::<{ field::TAG_LEN }>()
                .ok_or(WireError::Truncated {
                    layer: "VLAN tag",
                    need: field::TAG_LEN,
                    have: rest.len(),
                })?;
        ethertype = be16!(tag, field::TAG_ETHERTYPE);
        rest = after;
    }
    Ok((ethertype, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Untagged ARP frame header followed by two payload bytes.
    static ARP_BYTES: [u8; 16] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0xaa, 0xbb,
    ];

    /// QinQ: an 802.1ad tag, then an 802.1Q tag, then IPv6 (payload: one byte).
    static QINQ_BYTES: [u8; 23] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xa8, //
        0x00, 0x0a, 0x81, 0x00, //
        0x00, 0x14, 0x86, 0xdd, //
        0x60,
    ];

    /// An 802.1Q ethertype with only two bytes of the tag captured.
    static TRUNCATED_TAG_BYTES: [u8; 16] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00, 0x0a,
    ];

    #[test]
    fn untagged() {
        assert_eq!(parse(&ARP_BYTES), Ok((0x0806, &[0xaa, 0xbb][..])));
    }

    #[test]
    fn stacked_tags() {
        assert_eq!(parse(&QINQ_BYTES), Ok((0x86dd, &[0x60][..])));
    }

    #[test]
    fn truncated_header() {
        assert_eq!(
            parse(ARP_BYTES.get(..13).unwrap_or_default()),
            Err(WireError::Truncated {
                layer: "Ethernet header",
                need: 14,
                have: 13
            })
        );
    }

    #[test]
    fn truncated_tag() {
        assert_eq!(
            parse(&TRUNCATED_TAG_BYTES),
            Err(WireError::Truncated {
                layer: "VLAN tag",
                need: 4,
                have: 2
            })
        );
    }
}
