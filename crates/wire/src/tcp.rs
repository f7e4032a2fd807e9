//! TCP headers (RFC 9293).
//!
//! Owns the fixed 20-byte header, the options after it (skipped) and the split between what the
//! IP header says the segment carries and what was captured of it. Invariants of a checked
//! [`Header`]: `20 <= data offset <= captured length` and the data offset fits in the length
//! the IP header claims; so `payload_len = claimed - data offset` never underflows and
//! `payload.len() <= payload_len`.

use crate::WireError;

mod field {
    /// Source port.
    pub const SRC_PORT: usize = 0;
    /// Destination port.
    pub const DST_PORT: usize = 2;
    /// Sequence number.
    pub const SEQ: usize = 4;
    /// Acknowledgment number.
    pub const ACK: usize = 8;
    /// Data offset in 32-bit words (high nibble).
    pub const DATA_OFFSET: usize = 12;
    /// Control bits.
    pub const FLAGS: usize = 13;
    /// Receive window.
    pub const WINDOW: usize = 14;
    /// Length of the fixed header.
    pub const HEADER_LEN: usize = 20;
}

const LAYER: &str = "TCP header";

/// TCP control bits (the low byte: CWR, ECE, URG, ACK, PSH, RST, SYN, FIN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// FIN: the sender has finished sending.
    pub fn fin(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// SYN: synchronise sequence numbers (connection set-up).
    pub fn syn(self) -> bool {
        self.0 & 0x02 != 0
    }
    /// RST: reset the connection.
    pub fn rst(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// PSH: push the data to the application.
    pub fn psh(self) -> bool {
        self.0 & 0x08 != 0
    }
    /// ACK: the acknowledgment number is valid.
    pub fn ack(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// URG: the urgent pointer is valid.
    pub fn urg(self) -> bool {
        self.0 & 0x20 != 0
    }
}

/// A TCP segment.
#[derive(Clone, Copy, Debug)]
pub struct TcpSegment<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number of the first payload byte (of the SYN when SYN is set).
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Control bits.
    pub flags: TcpFlags,
    /// Receive window (not scaled).
    pub window: u16,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// The payload length the IP header claims; larger than `payload.len()` when the capture
    /// snapped the packet.
    pub payload_len: u32,
}

/// A checked view of a TCP header.
struct Header<'a> {
    header: &'a [u8; field::HEADER_LEN],
    payload: &'a [u8],
    payload_len: u32,
}

impl<'a> Header<'a> {
    fn new_checked(data: &'a [u8], claimed: u32) -> Result<Header<'a>, WireError> {
        let (header, _) =
            data.split_first_chunk::<{ field::HEADER_LEN }>()
                .ok_or(WireError::Truncated {
                    layer: LAYER,
                    need: field::HEADER_LEN,
                    have: data.len(),
                })?;
        let data_offset = usize::from(header[field::DATA_OFFSET] >> 4) * 4;
        if data_offset < field::HEADER_LEN {
            return Err(WireError::Invalid {
                layer: LAYER,
                what: "data offset below 20 bytes",
            });
        }
        let payload = data.get(data_offset..).ok_or(WireError::Truncated {
            layer: "TCP options",
            need: data_offset,
            have: data.len(),
        })?;
        // data_offset <= 60, so the conversion cannot fail.
        let payload_len = u32::try_from(data_offset)
            .ok()
            .and_then(|offset| claimed.checked_sub(offset))
            .ok_or(WireError::Invalid {
                layer: LAYER,
                what: "data offset beyond the IP payload length",
            })?;
        Ok(Header {
            header,
            payload,
            payload_len,
        })
    }
}

/// Decodes a TCP segment. `claimed` is the IP payload length the IP header states (at least
/// `data.len()`).
pub(crate) fn decode(data: &[u8], claimed: u32) -> Result<TcpSegment<'_>, WireError> {
    let Header {
        header,
        payload,
        payload_len,
    } = Header::new_checked(data, claimed)?;
    Ok(TcpSegment {
        src_port: be16!(header, field::SRC_PORT),
        dst_port: be16!(header, field::DST_PORT),
        seq: be32!(header, field::SEQ),
        ack: be32!(header, field::ACK),
        flags: TcpFlags(header[field::FLAGS]),
        window: be16!(header, field::WINDOW),
        payload,
        payload_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SYN from 40000 to 8080 with a 4-byte MSS option (data offset 6), seq 0xfffffff0.
    static SYN_BYTES: [u8; 24] = [
        0x9c, 0x40, 0x1f, 0x90, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0, 0x60, 0x02, 0xfa, 0xf0, 0, 0,
        0, 0, //
        0x02, 0x04, 0x05, 0xb4,
    ];

    /// Data offset 15 (60 bytes) in a 24-byte segment.
    static OFFSET_OVERRUN_BYTES: [u8; 24] = [
        0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0xf0, 0x10, 0xfa, 0xf0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ];

    /// Data offset 4 (16 bytes): impossible.
    static OFFSET_TOO_SMALL_BYTES: [u8; 20] = [
        0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0x40, 0x10, 0xfa, 0xf0, 0, 0, 0, 0,
    ];

    #[test]
    fn syn_with_options() {
        let tcp = decode(&SYN_BYTES, 24).expect("decodes");
        assert_eq!(
            (tcp.src_port, tcp.dst_port, tcp.seq),
            (40000, 8080, 0xffff_fff0)
        );
        assert!(tcp.flags.syn() && !tcp.flags.ack() && !tcp.flags.rst());
        assert!(!tcp.flags.fin() && !tcp.flags.psh() && !tcp.flags.urg());
        assert_eq!(tcp.window, 0xfaf0);
        assert!(tcp.payload.is_empty());
        assert_eq!(tcp.payload_len, 0);
    }

    #[test]
    fn snapped_segment_keeps_claimed_length() {
        let tcp = decode(&SYN_BYTES, 1424).expect("decodes");
        assert_eq!(tcp.payload_len, 1400);
    }

    #[test]
    fn truncated_and_impossible_lengths() {
        assert_eq!(
            decode(SYN_BYTES.get(..19).unwrap_or_default(), 24).err(),
            Some(WireError::Truncated {
                layer: LAYER,
                need: 20,
                have: 19
            })
        );
        assert_eq!(
            decode(&OFFSET_OVERRUN_BYTES, 24).err(),
            Some(WireError::Truncated {
                layer: "TCP options",
                need: 60,
                have: 24
            })
        );
        assert_eq!(
            decode(&OFFSET_TOO_SMALL_BYTES, 20).err(),
            Some(WireError::Invalid {
                layer: LAYER,
                what: "data offset below 20 bytes"
            })
        );
        assert_eq!(
            decode(&SYN_BYTES, 20).err(),
            Some(WireError::Invalid {
                layer: LAYER,
                what: "data offset beyond the IP payload length"
            })
        );
    }
}
