//! The TLS record layer's framing: record headers, content types, protocol version names,
//! and the content test that tells a TLS stream from others by its first bytes.
//!
//! Owns only the 5-byte header; record bodies (plaintext or ciphertext) are the caller's.
//! The header is the same in every version (RFC 8446 §5.1, RFC 5246 §6.2.1):
//!
//! ```text
//! struct {
//!     ContentType type;                 /* 1 byte */
//!     ProtocolVersion legacy_record_version;  /* 2 bytes, {3, x} */
//!     uint16 length;
//!     opaque fragment[TLSPlaintext.length];
//! } TLSPlaintext;
//! ```
//!
//! Bounds enforced: RFC 8446 §5.1 "The length MUST NOT exceed 2^14 bytes" for plaintext,
//! §5.2 "MUST NOT exceed 2^14 + 256 bytes" for TLS 1.3 ciphertext, and RFC 5246 §6.2.3
//! "MUST NOT exceed 2^14 + 2048" for TLS 1.2 ciphertext; one header parser serves all
//! three, so the largest ([`MAX_RECORD_BODY`]) is the limit, and anything longer means the
//! stream is not TLS (or has lost sync).

// until conn.rs uses it

use crate::codec::{Reader, TlsError};

/// Bytes in a record header.
pub const HEADER_LEN: usize = 5;

/// Largest record body accepted: 2^14 + 2048 (TLS 1.2 ciphertext bound; 1.3's is 2^14 + 256).
pub const MAX_RECORD_BODY: usize = 16384 + 2048;

/// A record's content type (RFC 8446 §5.1, RFC 6520 for heartbeat). Open: values this
/// crate does not know stay readable as [`ContentType::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    /// 20.
    ChangeCipherSpec,
    /// 21.
    Alert,
    /// 22.
    Handshake,
    /// 23.
    ApplicationData,
    /// 24 (RFC 6520).
    Heartbeat,
    /// Any other value.
    Unknown(u8),
}

impl ContentType {
    /// The content type of a wire value.
    pub fn from_u8(v: u8) -> Self {
        match v {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            24 => ContentType::Heartbeat,
            other => ContentType::Unknown(other),
        }
    }

    /// The wire value.
    #[cfg(test)]
    pub fn to_u8(self) -> u8 {
        match self {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
            ContentType::Heartbeat => 24,
            ContentType::Unknown(v) => v,
        }
    }
}

/// A decoded record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// What the body holds.
    pub content_type: ContentType,
    /// `legacy_record_version` (0x0303 for TLS 1.2 and 1.3 after the ClientHello; often
    /// 0x0301 on a ClientHello).
    pub version: u16,
    /// Body length, at most [`MAX_RECORD_BODY`].
    pub length: u16,
}

/// Ok(None) when fewer than 5 bytes; Err when the header cannot be TLS (unknown content type, version major != 3, length > MAX_RECORD_BODY).
pub fn parse_header(b: &[u8]) -> Result<Option<RecordHeader>, TlsError> {
    if b.len() < HEADER_LEN {
        return Ok(None);
    }
    let mut r = Reader::new(b, "TLSPlaintext");
    let content_type = ContentType::from_u8(r.u8("TLSPlaintext.type")?);
    if let ContentType::Unknown(v) = content_type {
        return Err(TlsError::invalid(
            "TLSPlaintext.type",
            format!("unknown content type {v}"),
        ));
    }
    let version = r.u16("TLSPlaintext.legacy_record_version")?;
    if version >> 8 != 3 {
        return Err(TlsError::invalid(
            "TLSPlaintext.legacy_record_version",
            format!("version {version:#06x} is not 3.x"),
        ));
    }
    let length = r.u16("TLSPlaintext.length")?;
    if usize::from(length) > MAX_RECORD_BODY {
        return Err(TlsError::TooLarge {
            what: "TLSPlaintext.length",
            length: usize::from(length),
            max: MAX_RECORD_BODY,
        });
    }
    Ok(Some(RecordHeader {
        content_type,
        version,
        length,
    }))
}

/// Whether the first bytes of a stream look like a TLS ClientHello record: 0x16 0x03
/// 0x00..=0x04 len(2) then handshake type 1. Some(true) when all six bytes match; Some(false)
/// as soon as a byte present rules it out (so `GET` answers at once); None when the bytes so
/// far match but fewer than 6 are present.
///
/// SSLv2-compatible ClientHellos (RFC 5246 Appendix E.2: `0x80 len 0x01 ...`) are not TLS
/// records and answer `Some(false)`.
pub fn looks_like_client_hello(b: &[u8]) -> Option<bool> {
    // Each position: the range of values a ClientHello record may have there
    // (type, version major, version minor, length high, length low, handshake type).
    const PATTERN: [(u8, u8); 6] = [
        (0x16, 0x16),
        (0x03, 0x03),
        (0x00, 0x04),
        (0x00, 0xff),
        (0x00, 0xff),
        (0x01, 0x01),
    ];
    for (byte, (lo, hi)) in b.iter().zip(PATTERN) {
        if !(lo..=hi).contains(byte) {
            return Some(false);
        }
    }
    (b.len() >= PATTERN.len()).then_some(true)
}

/// A protocol version's name: 0x0304 "TLS 1.3", 0x0303 "TLS 1.2", 0x0302 "TLS 1.1",
/// 0x0301 "TLS 1.0", 0x0300 "SSL 3.0"; anything else (GREASE, drafts) as hex, `0x7f1c`.
pub fn version_name(v: u16) -> String {
    match v {
        0x0304 => "TLS 1.3".to_owned(),
        0x0303 => "TLS 1.2".to_owned(),
        0x0302 => "TLS 1.1".to_owned(),
        0x0301 => "TLS 1.0".to_owned(),
        0x0300 => "SSL 3.0".to_owned(),
        other => format!("{other:#06x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first 6 bytes of a ClientHello `openssl s_client` (3.0) sent to 127.0.0.1:4433.
    static CLIENT_HELLO_START: [u8; 6] = [0x16, 0x03, 0x01, 0x01, 0x4e, 0x01];
    /// The header of a TLS 1.3 ServerHello record from the same capture.
    static SERVER_HELLO_HEADER: [u8; 5] = [0x16, 0x03, 0x03, 0x00, 0x7a];
    /// An encrypted application data record header, with the first body byte after it.
    static APP_DATA_HEADER: [u8; 6] = [0x17, 0x03, 0x03, 0x00, 0x12, 0x54];
    /// A TLS 1.2 alert record header.
    static ALERT_HEADER: [u8; 5] = [0x15, 0x03, 0x03, 0x00, 0x1a];
    /// An SSLv2-compatible ClientHello (RFC 5246 Appendix E.2) start.
    static SSL2_CLIENT_HELLO_START: [u8; 6] = [0x80, 0x2e, 0x01, 0x03, 0x01, 0x00];
    /// An HTTP request.
    static HTTP_GET: &[u8] = b"GET / HTTP/1.1\r\n";
    /// A record header announcing 2^14 + 2049 bytes.
    static OVERLONG_HEADER: [u8; 5] = [0x17, 0x03, 0x03, 0x48, 0x01];
    /// A header with version 2.0.
    static BAD_VERSION_HEADER: [u8; 5] = [0x16, 0x02, 0x00, 0x00, 0x10];
    /// A header with content type 99.
    static BAD_TYPE_HEADER: [u8; 5] = [0x63, 0x03, 0x03, 0x00, 0x10];

    #[test]
    fn parses_real_headers() {
        assert_eq!(
            parse_header(&SERVER_HELLO_HEADER),
            Ok(Some(RecordHeader {
                content_type: ContentType::Handshake,
                version: 0x0303,
                length: 0x7a,
            }))
        );
        let h = parse_header(&APP_DATA_HEADER).unwrap().unwrap();
        assert_eq!(h.content_type, ContentType::ApplicationData);
        assert_eq!(h.length, 0x12);
        let h = parse_header(&ALERT_HEADER).unwrap().unwrap();
        assert_eq!(h.content_type, ContentType::Alert);
        let h = parse_header(&CLIENT_HELLO_START).unwrap().unwrap();
        assert_eq!((h.version, h.length), (0x0301, 0x014e));
    }

    #[test]
    fn short_header_needs_more() {
        for n in 0..HEADER_LEN {
            assert_eq!(parse_header(&SERVER_HELLO_HEADER[..n]), Ok(None));
        }
    }

    #[test]
    fn rejects_what_cannot_be_tls() {
        assert_eq!(
            parse_header(&OVERLONG_HEADER).unwrap_err().to_string(),
            "TLSPlaintext.length: length 18433 exceeds the maximum of 18432"
        );
        let mut max = OVERLONG_HEADER;
        max[4] = 0x00;
        assert_eq!(
            parse_header(&max).unwrap().unwrap().length as usize,
            MAX_RECORD_BODY
        );
        assert_eq!(
            parse_header(&BAD_VERSION_HEADER).unwrap_err().to_string(),
            "TLSPlaintext.legacy_record_version: version 0x0200 is not 3.x"
        );
        assert_eq!(
            parse_header(&BAD_TYPE_HEADER).unwrap_err().to_string(),
            "TLSPlaintext.type: unknown content type 99"
        );
        assert!(parse_header(HTTP_GET).is_err());
    }

    #[test]
    fn content_type_round_trips() {
        for v in 0..=255u8 {
            assert_eq!(ContentType::from_u8(v).to_u8(), v);
        }
        assert_eq!(ContentType::from_u8(24), ContentType::Heartbeat);
        assert_eq!(ContentType::from_u8(25), ContentType::Unknown(25));
    }

    #[test]
    fn detects_client_hello() {
        assert_eq!(looks_like_client_hello(&CLIENT_HELLO_START), Some(true));
        for n in 0..6 {
            assert_eq!(looks_like_client_hello(&CLIENT_HELLO_START[..n]), None);
        }
        assert_eq!(looks_like_client_hello(&HTTP_GET[..3]), Some(false));
        assert_eq!(
            looks_like_client_hello(&SSL2_CLIENT_HELLO_START),
            Some(false)
        );
        // A ServerHello record is a handshake record, but not a ClientHello.
        let mut server_hello = CLIENT_HELLO_START;
        server_hello[5] = 0x02;
        assert_eq!(looks_like_client_hello(&server_hello), Some(false));
        let mut minor_5 = CLIENT_HELLO_START;
        minor_5[2] = 0x05;
        assert_eq!(looks_like_client_hello(&minor_5[..3]), Some(false));
    }

    #[test]
    fn names_versions() {
        assert_eq!(version_name(0x0304), "TLS 1.3");
        assert_eq!(version_name(0x0303), "TLS 1.2");
        assert_eq!(version_name(0x0302), "TLS 1.1");
        assert_eq!(version_name(0x0301), "TLS 1.0");
        assert_eq!(version_name(0x0300), "SSL 3.0");
        assert_eq!(version_name(0x7f1c), "0x7f1c");
        assert_eq!(version_name(0x0a0a), "0x0a0a");
    }
}
