//! HTTP/2 frames: the 9-octet frame header and the payload of every frame type that the
//! connection observer needs, decoded from borrowed bytes (RFC 9113 §4.1, §6).
//!
//! RFC 9113 §4.1 Frame Format:
//!
//! ```text
//! HTTP Frame {
//!   Length (24),
//!   Type (8),
//!   Flags (8),
//!   Reserved (1),
//!   Stream Identifier (31),
//!   Frame Payload (..),
//! }
//! ```
//!
//! Invariants: every function here takes a byte slice and returns `None` (or a typed
//! [`FrameError`]) instead of panicking; DATA payloads are never handled here (the connection
//! counts them as they stream by, see `conn`), only their 9-octet header.

use std::fmt;

/// Size of the frame header (§4.1).
pub(crate) const HEADER_LEN: usize = 9;

/// DATA (§6.1).
pub(crate) const DATA: u8 = 0x0;
/// HEADERS (§6.2).
pub(crate) const HEADERS: u8 = 0x1;
/// PRIORITY (§6.3).
pub(crate) const PRIORITY: u8 = 0x2;
/// RST_STREAM (§6.4).
pub(crate) const RST_STREAM: u8 = 0x3;
/// SETTINGS (§6.5).
pub(crate) const SETTINGS: u8 = 0x4;
/// PUSH_PROMISE (§6.6).
pub(crate) const PUSH_PROMISE: u8 = 0x5;
/// PING (§6.7).
pub(crate) const PING: u8 = 0x6;
/// GOAWAY (§6.8).
pub(crate) const GOAWAY: u8 = 0x7;
/// WINDOW_UPDATE (§6.9).
pub(crate) const WINDOW_UPDATE: u8 = 0x8;
/// CONTINUATION (§6.10).
pub(crate) const CONTINUATION: u8 = 0x9;

/// END_STREAM on DATA and HEADERS; ACK on SETTINGS and PING (same bit).
pub(crate) const END_STREAM: u8 = 0x1;
/// ACK on SETTINGS (§6.5) and PING (§6.7).
pub(crate) const ACK: u8 = 0x1;
/// END_HEADERS on HEADERS, PUSH_PROMISE, CONTINUATION.
pub(crate) const END_HEADERS: u8 = 0x4;
/// PADDED on DATA, HEADERS, PUSH_PROMISE.
pub(crate) const PADDED: u8 = 0x8;
/// PRIORITY on HEADERS.
pub(crate) const PRIORITY_FLAG: u8 = 0x20;

/// A frame header (§4.1). The reserved bit is dropped on receipt, as §4.1 requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHead {
    /// Payload length (24 bits).
    pub(crate) len: u32,
    /// Frame type; unknown types are kept and ignored (§4.1: "Implementations MUST ignore and
    /// discard frames of unknown types").
    pub(crate) kind: u8,
    pub(crate) flags: u8,
    pub(crate) stream: u32,
}

impl FrameHead {
    /// Decodes the 9-octet header.
    pub(crate) fn parse(b: &[u8; HEADER_LEN]) -> FrameHead {
        FrameHead {
            len: u32::from_be_bytes([0, b[0], b[1], b[2]]),
            kind: b[3],
            flags: b[4],
            stream: u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & 0x7fff_ffff,
        }
    }

    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Whether this header could start a frame of a conversation already under way: a known
    /// type with its fixed length, only its defined flags, the reserved bit clear and the
    /// stream identifier rules of §6 (SETTINGS, PING and GOAWAY on stream 0; DATA, HEADERS,
    /// PRIORITY, RST_STREAM, PUSH_PROMISE and CONTINUATION on a stream). Used to resynchronise
    /// a capture that begins mid-connection; frames above 16 384 octets (the initial
    /// SETTINGS_MAX_FRAME_SIZE) are not considered.
    pub(crate) fn plausible(b: &[u8; HEADER_LEN]) -> bool {
        let h = FrameHead::parse(b);
        if b[5] & 0x80 != 0 || h.len > 16_384 {
            return false;
        }
        let on_stream = h.stream != 0;
        let (flags, ok) = match h.kind {
            DATA => (END_STREAM | PADDED, on_stream),
            HEADERS => (END_STREAM | END_HEADERS | PADDED | PRIORITY_FLAG, on_stream),
            PRIORITY => (0, on_stream && h.len == 5),
            RST_STREAM => (0, on_stream && h.len == 4),
            SETTINGS => (ACK, !on_stream && h.len.is_multiple_of(6)),
            PUSH_PROMISE => (END_HEADERS | PADDED, on_stream && h.len >= 4),
            PING => (ACK, !on_stream && h.len == 8),
            GOAWAY => (0, !on_stream && h.len >= 8),
            WINDOW_UPDATE => (0, h.len == 4),
            CONTINUATION => (END_HEADERS, on_stream),
            _ => return false,
        };
        ok && h.flags & !flags == 0
    }
}

/// Why a frame payload could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// Padding at least as long as the payload (§6.1, §6.2, §6.6: PROTOCOL_ERROR).
    Padding,
    /// A payload shorter than its fixed fields.
    TooShort(u8),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Padding => f.write_str("HTTP/2 frame padding exceeds its payload"),
            FrameError::TooShort(kind) => {
                write!(f, "HTTP/2 {} frame too short", type_name(*kind))
            }
        }
    }
}

/// The name of a frame type (§6, §11.2).
pub(crate) fn type_name(kind: u8) -> &'static str {
    match kind {
        DATA => "DATA",
        HEADERS => "HEADERS",
        PRIORITY => "PRIORITY",
        RST_STREAM => "RST_STREAM",
        SETTINGS => "SETTINGS",
        PUSH_PROMISE => "PUSH_PROMISE",
        PING => "PING",
        GOAWAY => "GOAWAY",
        WINDOW_UPDATE => "WINDOW_UPDATE",
        CONTINUATION => "CONTINUATION",
        _ => "unknown",
    }
}

/// Removes padding (§6.1, §6.2, §6.6): `Pad Length (8)` when PADDED, then the content, then
/// that many octets of padding.
fn unpad<'a>(head: &FrameHead, payload: &'a [u8]) -> Result<&'a [u8], FrameError> {
    if !head.has(PADDED) {
        return Ok(payload);
    }
    let (&pad, rest) = payload.split_first().ok_or(FrameError::Padding)?;
    let keep = rest
        .len()
        .checked_sub(usize::from(pad))
        .ok_or(FrameError::Padding)?;
    Ok(&rest[..keep])
}

/// RFC 9113 §6.2 HEADERS: returns the field block fragment.
///
/// ```text
/// HEADERS Frame {
///   Length (24), Type (8) = 0x01,
///   Unused Flags (2), PRIORITY Flag (1), Unused Flag (1),
///   PADDED Flag (1), END_HEADERS Flag (1), Unused Flag (1), END_STREAM Flag (1),
///   Reserved (1), Stream Identifier (31),
///   [Pad Length (8)],
///   [Exclusive (1), Stream Dependency (31), Weight (8)],
///   Field Block Fragment (..),
///   Padding (..2040),
/// }
/// ```
pub(crate) fn headers_fragment<'a>(
    head: &FrameHead,
    payload: &'a [u8],
) -> Result<&'a [u8], FrameError> {
    let body = unpad(head, payload)?;
    if head.has(PRIORITY_FLAG) {
        body.get(5..).ok_or(FrameError::TooShort(HEADERS))
    } else {
        Ok(body)
    }
}

/// RFC 9113 §6.6 PUSH_PROMISE: returns the promised stream id and the field block fragment.
///
/// ```text
/// PUSH_PROMISE Frame {
///   Length (24), Type (8) = 0x05,
///   Unused Flags (4), PADDED Flag (1), END_HEADERS Flag (1), Unused Flags (2),
///   Reserved (1), Stream Identifier (31),
///   [Pad Length (8)],
///   Reserved (1), Promised Stream ID (31),
///   Field Block Fragment (..),
///   Padding (..2040),
/// }
/// ```
pub(crate) fn push_promise<'a>(
    head: &FrameHead,
    payload: &'a [u8],
) -> Result<(u32, &'a [u8]), FrameError> {
    let body = unpad(head, payload)?;
    let id = u32_at(body, 0).ok_or(FrameError::TooShort(PUSH_PROMISE))? & 0x7fff_ffff;
    Ok((id, body.get(4..).unwrap_or_default()))
}

/// RFC 9113 §6.4 RST_STREAM: `Error Code (32)`.
pub(crate) fn rst_stream(payload: &[u8]) -> Result<u32, FrameError> {
    u32_at(payload, 0).ok_or(FrameError::TooShort(RST_STREAM))
}

/// RFC 9113 §6.8 GOAWAY: `Reserved (1), Last-Stream-ID (31), Error Code (32),
/// Additional Debug Data (..)`; returns (last stream id, error code).
pub(crate) fn goaway(payload: &[u8]) -> Result<(u32, u32), FrameError> {
    match (u32_at(payload, 0), u32_at(payload, 4)) {
        (Some(last), Some(code)) => Ok((last & 0x7fff_ffff, code)),
        _ => Err(FrameError::TooShort(GOAWAY)),
    }
}

/// RFC 9113 §6.9 WINDOW_UPDATE: `Reserved (1), Window Size Increment (31)`.
pub(crate) fn window_update(payload: &[u8]) -> Result<u32, FrameError> {
    u32_at(payload, 0)
        .map(|v| v & 0x7fff_ffff)
        .ok_or(FrameError::TooShort(WINDOW_UPDATE))
}

/// RFC 9113 §6.5.1 SETTINGS Format: a sequence of `Identifier (16), Value (32)`; a trailing
/// partial setting (a FRAME_SIZE_ERROR) is ignored.
pub(crate) fn settings(payload: &[u8]) -> impl Iterator<Item = (u16, u32)> + '_ {
    payload.chunks_exact(6).map(|s| {
        (
            u16::from_be_bytes([s[0], s[1]]),
            u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
        )
    })
}

/// SETTINGS_HEADER_TABLE_SIZE (§6.5.2).
pub(crate) const SETTINGS_HEADER_TABLE_SIZE: u16 = 0x1;
/// SETTINGS_INITIAL_WINDOW_SIZE (§6.5.2).
pub(crate) const SETTINGS_INITIAL_WINDOW_SIZE: u16 = 0x4;

/// The name of a setting (§6.5.2, §11.3; RFC 8441, RFC 9218); unknown ones as hex.
pub(crate) fn setting_name(id: u16) -> String {
    match id {
        0x1 => "HEADER_TABLE_SIZE".into(),
        0x2 => "ENABLE_PUSH".into(),
        0x3 => "MAX_CONCURRENT_STREAMS".into(),
        0x4 => "INITIAL_WINDOW_SIZE".into(),
        0x5 => "MAX_FRAME_SIZE".into(),
        0x6 => "MAX_HEADER_LIST_SIZE".into(),
        0x8 => "ENABLE_CONNECT_PROTOCOL".into(),
        0x9 => "NO_RFC7540_PRIORITIES".into(),
        other => format!("0x{other:x}"),
    }
}

/// The name of an error code (§7); unknown ones as hex.
pub(crate) fn error_name(code: u32) -> String {
    let name = match code {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        other => return format!("0x{other:x}"),
    };
    name.into()
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// curl's HEADERS frame (END_STREAM | END_HEADERS on stream 1), header only.
    static HEADERS_HEAD: [u8; 9] = [0x00, 0x00, 0x25, 0x01, 0x05, 0x00, 0x00, 0x00, 0x01];
    /// A padded HEADERS payload with priority: pad 2, E+dep 3, weight 15, fragment 0x82, pad.
    static PADDED_PRIORITY: [u8; 9] = [0x02, 0x80, 0x00, 0x00, 0x03, 0x0f, 0x82, 0x00, 0x00];

    #[test]
    fn header_fields() {
        let h = FrameHead::parse(&HEADERS_HEAD);
        assert_eq!((h.len, h.kind, h.flags, h.stream), (0x25, HEADERS, 5, 1));
        assert!(h.has(END_STREAM) && h.has(END_HEADERS) && !h.has(PADDED));
        assert!(FrameHead::plausible(&HEADERS_HEAD));
        // The reserved bit is ignored on parse but makes a header implausible.
        let mut r = HEADERS_HEAD;
        r[5] = 0x80;
        assert_eq!(FrameHead::parse(&r).stream, 1);
        assert!(!FrameHead::plausible(&r));
        // SETTINGS on a stream, or with an undefined flag, is implausible.
        assert!(!FrameHead::plausible(&[0, 0, 6, 4, 0, 0, 0, 0, 1]));
        assert!(!FrameHead::plausible(&[0, 0, 6, 4, 2, 0, 0, 0, 0]));
        assert!(FrameHead::plausible(&[0, 0, 6, 4, 0, 0, 0, 0, 0]));
    }

    #[test]
    fn padding_and_priority() {
        let head = FrameHead {
            len: 9,
            kind: HEADERS,
            flags: PADDED | PRIORITY_FLAG | END_HEADERS,
            stream: 5,
        };
        assert_eq!(headers_fragment(&head, &PADDED_PRIORITY), Ok(&[0x82][..]));
        // Padding longer than the payload.
        assert_eq!(
            headers_fragment(&head, &[9, 0, 0]),
            Err(FrameError::Padding)
        );
        assert_eq!(headers_fragment(&head, &[]), Err(FrameError::Padding));
        // Priority fields missing.
        assert_eq!(
            headers_fragment(&head, &[0, 1, 2]),
            Err(FrameError::TooShort(HEADERS))
        );
    }

    #[test]
    fn fixed_payloads() {
        let pp = FrameHead {
            len: 7,
            kind: PUSH_PROMISE,
            flags: PADDED,
            stream: 1,
        };
        assert_eq!(
            push_promise(&pp, &[1, 0x80, 0, 0, 2, 0x82, 0]),
            Ok((2, &[0x82][..]))
        );
        assert!(push_promise(&pp, &[0, 0, 0]).is_err());
        assert_eq!(rst_stream(&[0, 0, 0, 8]), Ok(8));
        assert_eq!(goaway(&[0x80, 0, 0, 3, 0, 0, 0, 0, b'x']), Ok((3, 0)));
        assert!(goaway(&[0; 7]).is_err());
        assert_eq!(window_update(&[0xff, 0xff, 0xff, 0xff]), Ok(0x7fff_ffff));
        let s: Vec<_> = settings(&[0, 3, 0, 0, 0, 100, 0, 4, 0, 0]).collect();
        assert_eq!(s, [(3, 100)]);
        assert_eq!(error_name(8), "CANCEL");
        assert_eq!(error_name(0x99), "0x99");
        assert_eq!(setting_name(1), "HEADER_TABLE_SIZE");
        assert_eq!(setting_name(0x10), "0x10");
        assert_eq!(type_name(0x20), "unknown");
        assert_eq!(
            FrameError::TooShort(GOAWAY).to_string(),
            "HTTP/2 GOAWAY frame too short"
        );
    }
}
