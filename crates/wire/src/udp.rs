//! UDP headers (RFC 768).
//!
//! Owns the 8-byte header and the bounds of the payload. Invariants of a checked [`Header`]: the
//! header was captured and its length field is 0 (IPv6 jumbogram: the captured length is used)
//! or at least 8; the payload is what was captured, cut at the length field.

use crate::WireError;

mod field {
    /// Source port.
    pub const SRC_PORT: usize = 0;
    /// Destination port.
    pub const DST_PORT: usize = 2;
    /// Length of header and payload.
    pub const LENGTH: usize = 4;
    /// Length of the header.
    pub const HEADER_LEN: usize = 8;
}

const LAYER: &str = "UDP header";

/// A UDP datagram.
#[derive(Clone, Copy, Debug)]
pub struct UdpDatagram<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// The payload bytes that were captured (bounded by the length field).
    pub payload: &'a [u8],
}

/// A checked view of a UDP header.
struct Header<'a> {
    header: &'a [u8; field::HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> Header<'a> {
    fn new_checked(data: &'a [u8]) -> Result<Header<'a>, WireError> {
        let (header, rest) =
            data.split_first_chunk::<{ field::HEADER_LEN }>()
                .ok_or(WireError::Truncated {
                    layer: LAYER,
                    need: field::HEADER_LEN,
                    have: data.len(),
                })?;
        let length = usize::from(be16!(header, field::LENGTH));
        let payload = if length == 0 {
            rest
        } else {
            let payload_len = length
                .checked_sub(field::HEADER_LEN)
                .ok_or(WireError::Invalid {
                    layer: LAYER,
                    what: "length field below 8 bytes",
                })?;
            rest.get(..payload_len).unwrap_or(rest)
        };
        Ok(Header { header, payload })
    }
}

/// Decodes a UDP datagram.
pub(crate) fn decode(data: &[u8]) -> Result<UdpDatagram<'_>, WireError> {
    let Header { header, payload } = Header::new_checked(data)?;
    Ok(UdpDatagram {
        src_port: be16!(header, field::SRC_PORT),
        dst_port: be16!(header, field::DST_PORT),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DNS query header fragment: 5353 -> 53, length 12 (4 payload bytes), plus 2 trailing bytes.
    static DNS_BYTES: [u8; 14] = [
        0x14, 0xe9, 0x00, 0x35, 0x00, 0x0c, 0, 0, 0xab, 0xcd, 1, 0, 9, 9,
    ];

    /// Length field 4: smaller than the header.
    static SHORT_LENGTH_BYTES: [u8; 8] = [0, 1, 0, 2, 0, 4, 0, 0];

    /// Length field 0 (jumbogram): the captured length is used.
    static JUMBO_BYTES: [u8; 10] = [0, 1, 0, 2, 0, 0, 0, 0, 7, 7];

    #[test]
    fn length_bounds_payload() {
        let udp = decode(&DNS_BYTES).expect("decodes");
        assert_eq!((udp.src_port, udp.dst_port), (5353, 53));
        assert_eq!(udp.payload, &[0xab, 0xcd, 1, 0]);
        let snapped = decode(DNS_BYTES.get(..10).unwrap_or_default()).expect("decodes");
        assert_eq!(snapped.payload, &[0xab, 0xcd]);
        assert_eq!(decode(&JUMBO_BYTES).expect("decodes").payload, &[7, 7]);
    }

    #[test]
    fn truncated_and_impossible_lengths() {
        assert_eq!(
            decode(DNS_BYTES.get(..7).unwrap_or_default()).err(),
            Some(WireError::Truncated {
                layer: LAYER,
                need: 8,
                have: 7
            })
        );
        assert_eq!(
            decode(&SHORT_LENGTH_BYTES).err(),
            Some(WireError::Invalid {
                layer: LAYER,
                what: "length field below 8 bytes"
            })
        );
    }
}
