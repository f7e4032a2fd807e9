//! Handshake messages: reassembly from record plaintext, and decoding of the messages whose
//! facts httpscope reports (ClientHello, ServerHello, EncryptedExtensions, Certificate,
//! KeyUpdate), plus alert names.
//!
//! Owns: [`HandshakeReader`] (framing, RFC 8446 §4 / RFC 5246 §7.4), the parsed views
//! [`ClientHello`], [`ServerHello`], [`EncryptedExtensions`], and the certificate list (the
//! DER inside is `cert.rs`'s). Only the fields httpscope reports are kept; everything else is
//! skipped after its length was checked.
//!
//! ```text
//! struct {
//!     HandshakeType msg_type;    /* handshake type */
//!     uint24 length;             /* remaining bytes in message */
//!     select (Handshake.msg_type) { ... };
//! } Handshake;                   /* RFC 8446 §4, RFC 5246 §7.4 */
//! ```
//!
//! RFC 8446 §5.1: "Handshake messages MAY be coalesced into a single TLSPlaintext record or
//! fragmented across several records", so the reader buffers across records and yields whole
//! messages. Extensions (RFC 8446 §4.2): "There MUST NOT be more than one extension of the
//! same type in a given extension block" — a duplicate is a decode error. GREASE values
//! (RFC 8701) are ordinary unknown values here: they stay in `cipher_suites` and
//! `supported_versions` as sent, and GREASE extensions are skipped.
//!
//! Names (SNI host names, ALPN protocol ids) are decoded as UTF-8 with replacement
//! characters, so that an odd byte does not hide the rest of the handshake.

// until conn.rs uses it

use crate::codec::{Reader, TlsError};

/// Largest handshake message accepted (a certificate chain is the largest in practice).
const MAX_MESSAGE: usize = 256 * 1024;
/// Bytes in a handshake message header.
const MESSAGE_HEADER_LEN: usize = 4;

/// `ServerHello.random` of a HelloRetryRequest: SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3.
const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Extension types (RFC 8446 §4.2, RFC 7301, RFC 7627, RFC 5077).
mod ext {
    pub const SERVER_NAME: u16 = 0;
    pub const ALPN: u16 = 16;
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    pub const SESSION_TICKET: u16 = 35;
    pub const PRE_SHARED_KEY: u16 = 41;
    pub const EARLY_DATA: u16 = 42;
    pub const SUPPORTED_VERSIONS: u16 = 43;
}

/// Reassembles handshake messages from the plaintext of consecutive Handshake records (a message may span records; a record may hold several). Bounded: a message longer than 256 KiB is an error.
///
/// Call [`HandshakeReader::next_message`] until it answers `Ok(None)` after every
/// [`HandshakeReader::push`], so that at most one partial message is buffered. After an
/// error the buffered bytes are unusable: [`HandshakeReader::clear`] them.
#[derive(Debug, Default)]
pub struct HandshakeReader {
    buf: Vec<u8>,
}

impl HandshakeReader {
    /// An empty reader.
    #[cfg(test)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the plaintext of one Handshake record.
    pub fn push(&mut self, fragment: &[u8]) {
        self.buf.extend_from_slice(fragment);
    }

    /// The next whole message (type and body, without the 4-byte header), `Ok(None)` when
    /// the buffered bytes do not hold one yet, or an error when the announced length is
    /// over 256 KiB.
    pub fn next_message(&mut self) -> Result<Option<(HandshakeType, Vec<u8>)>, TlsError> {
        let mut r = Reader::new(&self.buf, "Handshake");
        let (Ok(msg_type), Ok(length)) = (r.u8("Handshake.msg_type"), r.u24("Handshake.length"))
        else {
            return Ok(None);
        };
        let length = length as usize;
        if length > MAX_MESSAGE {
            return Err(TlsError::TooLarge {
                what: "Handshake.length",
                length,
                max: MAX_MESSAGE,
            });
        }
        let Ok(body) = r.take(length, "Handshake.body") else {
            return Ok(None);
        };
        let message = (HandshakeType::from_u8(msg_type), body.to_vec());
        self.buf.drain(..MESSAGE_HEADER_LEN + length);
        Ok(Some(message))
    }

    /// Drops buffered bytes (after an error, or when the stream loses sync).
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

/// A handshake message type (RFC 8446 §4, RFC 5246 §7.4). Open: others are
/// [`HandshakeType::Unknown`] (e.g. 25 `compressed_certificate`, RFC 8879).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeType {
    /// 1.
    ClientHello,
    /// 2 (also a HelloRetryRequest, told by its random).
    ServerHello,
    /// 4.
    NewSessionTicket,
    /// 5.
    EndOfEarlyData,
    /// 8.
    EncryptedExtensions,
    /// 11.
    Certificate,
    /// 12 (TLS 1.2).
    ServerKeyExchange,
    /// 13.
    CertificateRequest,
    /// 14 (TLS 1.2).
    ServerHelloDone,
    /// 15.
    CertificateVerify,
    /// 16 (TLS 1.2).
    ClientKeyExchange,
    /// 20.
    Finished,
    /// 24 (TLS 1.3).
    KeyUpdate,
    /// Any other value.
    Unknown(u8),
}

impl HandshakeType {
    /// The type of a wire value.
    pub fn from_u8(v: u8) -> Self {
        match v {
            1 => HandshakeType::ClientHello,
            2 => HandshakeType::ServerHello,
            4 => HandshakeType::NewSessionTicket,
            5 => HandshakeType::EndOfEarlyData,
            8 => HandshakeType::EncryptedExtensions,
            11 => HandshakeType::Certificate,
            12 => HandshakeType::ServerKeyExchange,
            13 => HandshakeType::CertificateRequest,
            14 => HandshakeType::ServerHelloDone,
            15 => HandshakeType::CertificateVerify,
            16 => HandshakeType::ClientKeyExchange,
            20 => HandshakeType::Finished,
            24 => HandshakeType::KeyUpdate,
            other => HandshakeType::Unknown(other),
        }
    }

    /// The wire value.
    #[cfg(test)]
    pub fn to_u8(self) -> u8 {
        match self {
            HandshakeType::ClientHello => 1,
            HandshakeType::ServerHello => 2,
            HandshakeType::NewSessionTicket => 4,
            HandshakeType::EndOfEarlyData => 5,
            HandshakeType::EncryptedExtensions => 8,
            HandshakeType::Certificate => 11,
            HandshakeType::ServerKeyExchange => 12,
            HandshakeType::CertificateRequest => 13,
            HandshakeType::ServerHelloDone => 14,
            HandshakeType::CertificateVerify => 15,
            HandshakeType::ClientKeyExchange => 16,
            HandshakeType::Finished => 20,
            HandshakeType::KeyUpdate => 24,
            HandshakeType::Unknown(v) => v,
        }
    }
}

/// What a ClientHello offers (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).
///
/// ```text
/// struct {
///     ProtocolVersion legacy_version = 0x0303;
///     Random random;
///     opaque legacy_session_id<0..32>;
///     CipherSuite cipher_suites<2..2^16-2>;
///     opaque legacy_compression_methods<1..2^8-1>;
///     Extension extensions<8..2^16-1>;
/// } ClientHello;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// `random`, the key log's lookup key.
    pub random: [u8; 32],
    /// `legacy_session_id` (a TLS 1.2 session to resume, or 1.3 middlebox compatibility).
    pub session_id: Vec<u8>,
    /// Offered suites in order, GREASE values included.
    pub cipher_suites: Vec<u16>,
    /// The first `host_name` of `server_name` (RFC 6066 §3).
    pub sni: Option<String>,
    /// Offered ALPN protocols in order (RFC 7301).
    pub alpn: Vec<String>,
    /// `supported_versions` (RFC 8446 §4.2.1), GREASE included; empty when absent.
    pub supported_versions: Vec<u16>,
    /// A non-empty `session_ticket` extension (35): a TLS 1.2 ticket to resume with.
    pub session_ticket: bool,
    /// A `pre_shared_key` extension (41): a TLS 1.3 resumption attempt.
    pub psk: bool,
    /// An `early_data` extension (42): 0-RTT data follows.
    pub early_data: bool,
    /// An `extended_master_secret` extension (23, RFC 7627).
    pub extended_master_secret: bool,
}

/// Decodes a ClientHello body (the handshake message without its 4-byte header).
pub fn parse_client_hello(body: &[u8]) -> Result<ClientHello, TlsError> {
    let mut r = Reader::new(body, "ClientHello");
    r.u16("ClientHello.legacy_version")?;
    let random = r.array("ClientHello.random")?;
    let session_id = session_id(&mut r, "ClientHello.legacy_session_id")?;
    let mut suites = r.sub_u16("ClientHello.cipher_suites")?;
    if !suites.remaining().is_multiple_of(2) {
        return Err(TlsError::invalid(
            "ClientHello.cipher_suites",
            format!("odd length {}", suites.remaining()),
        ));
    }
    let mut cipher_suites = Vec::with_capacity(suites.remaining() / 2);
    while !suites.is_empty() {
        cipher_suites.push(suites.u16("ClientHello.cipher_suites")?);
    }
    let compression = r.sub_u8("ClientHello.legacy_compression_methods")?;
    if compression.is_empty() {
        return Err(TlsError::invalid(
            "ClientHello.legacy_compression_methods",
            "empty",
        ));
    }
    let mut hello = ClientHello {
        random,
        session_id,
        cipher_suites,
        sni: None,
        alpn: Vec::new(),
        supported_versions: Vec::new(),
        session_ticket: false,
        psk: false,
        early_data: false,
        extended_master_secret: false,
    };
    for_each_extension(&mut r, "ClientHello.extensions", |typ, mut data| {
        match typ {
            ext::SERVER_NAME => hello.sni = server_name(&mut data)?,
            ext::ALPN => hello.alpn = alpn_list(&mut data, "ClientHello.alpn")?,
            ext::SUPPORTED_VERSIONS => {
                let mut list = data.sub_u8("ClientHello.supported_versions")?;
                while !list.is_empty() {
                    hello
                        .supported_versions
                        .push(list.u16("ClientHello.supported_versions")?);
                }
                data.finish()?;
            }
            ext::SESSION_TICKET => hello.session_ticket = !data.rest().is_empty(),
            ext::PRE_SHARED_KEY => hello.psk = true,
            ext::EARLY_DATA => hello.early_data = true,
            ext::EXTENDED_MASTER_SECRET => hello.extended_master_secret = true,
            _ => {}
        }
        Ok(())
    })?;
    r.finish()?;
    Ok(hello)
}

/// What a ServerHello (or HelloRetryRequest) selects (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3).
///
/// ```text
/// struct {
///     ProtocolVersion legacy_version = 0x0303;
///     Random random;
///     opaque legacy_session_id_echo<0..32>;
///     CipherSuite cipher_suite;
///     uint8 legacy_compression_method = 0;
///     Extension extensions<6..2^16-1>;
/// } ServerHello;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// `random`.
    pub random: [u8; 32],
    /// `legacy_session_id_echo`; in TLS 1.2, equal to a non-empty ClientHello session id
    /// when the server resumes that session.
    pub session_id: Vec<u8>,
    /// The selected suite.
    pub cipher_suite: u16,
    /// `legacy_version` (the negotiated version up to TLS 1.2).
    pub legacy_version: u16,
    /// The `supported_versions` extension: the negotiated version from TLS 1.3 on.
    pub selected_version: Option<u16>,
    /// The random is the HelloRetryRequest magic (RFC 8446 §4.1.3): the client must send a
    /// second ClientHello.
    pub hello_retry: bool,
    /// The ALPN protocol the server selected (TLS 1.2; in 1.3 it is in EncryptedExtensions).
    pub alpn: Option<String>,
    /// A `pre_shared_key` extension: the server accepted a TLS 1.3 PSK (resumption).
    pub psk_selected: bool,
    /// An `extended_master_secret` extension (RFC 7627).
    pub extended_master_secret: bool,
}

impl ServerHello {
    /// selected_version or legacy_version
    pub fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// Decodes a ServerHello body (also a HelloRetryRequest's).
pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello, TlsError> {
    let mut r = Reader::new(body, "ServerHello");
    let legacy_version = r.u16("ServerHello.legacy_version")?;
    let random: [u8; 32] = r.array("ServerHello.random")?;
    let session_id = session_id(&mut r, "ServerHello.legacy_session_id_echo")?;
    let cipher_suite = r.u16("ServerHello.cipher_suite")?;
    r.u8("ServerHello.legacy_compression_method")?;
    let mut hello = ServerHello {
        random,
        session_id,
        cipher_suite,
        legacy_version,
        selected_version: None,
        hello_retry: random == HELLO_RETRY_REQUEST_RANDOM,
        alpn: None,
        psk_selected: false,
        extended_master_secret: false,
    };
    for_each_extension(&mut r, "ServerHello.extensions", |typ, mut data| {
        match typ {
            ext::SUPPORTED_VERSIONS => {
                hello.selected_version = Some(data.u16("ServerHello.supported_versions")?);
                data.finish()?;
            }
            ext::ALPN => hello.alpn = selected_alpn(&mut data, "ServerHello.alpn")?,
            ext::PRE_SHARED_KEY => hello.psk_selected = true,
            ext::EXTENDED_MASTER_SECRET => hello.extended_master_secret = true,
            _ => {}
        }
        Ok(())
    })?;
    r.finish()?;
    Ok(hello)
}

/// The facts of a TLS 1.3 EncryptedExtensions message (RFC 8446 §4.3.1:
/// `struct { Extension extensions<0..2^16-1>; } EncryptedExtensions;`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedExtensions {
    /// The ALPN protocol the server selected.
    pub alpn: Option<String>,
    /// An `early_data` extension: the server accepted 0-RTT data.
    pub early_data: bool,
}

/// Decodes an EncryptedExtensions body.
pub fn parse_encrypted_extensions(body: &[u8]) -> Result<EncryptedExtensions, TlsError> {
    let mut r = Reader::new(body, "EncryptedExtensions");
    let mut out = EncryptedExtensions {
        alpn: None,
        early_data: false,
    };
    let mut list = r.sub_u16("EncryptedExtensions.extensions")?;
    for_each_extension_in(&mut list, |typ, mut data| {
        match typ {
            ext::ALPN => out.alpn = selected_alpn(&mut data, "EncryptedExtensions.alpn")?,
            ext::EARLY_DATA => out.early_data = true,
            _ => {}
        }
        Ok(())
    })?;
    r.finish()?;
    Ok(out)
}

/// The DER certificates of a Certificate message, leaf first. `tls13`: the 1.3 layout (request context, per-entry extensions).
///
/// ```text
/// opaque ASN.1Cert<1..2^24-1>;
/// struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;      /* RFC 5246 §7.4.2 */
///
/// struct { opaque cert_data<1..2^24-1>; Extension extensions<0..2^16-1>; } CertificateEntry;
/// struct {
///     opaque certificate_request_context<0..2^8-1>;
///     CertificateEntry certificate_list<0..2^24-1>;
/// } Certificate;                                                       /* RFC 8446 §4.4.2 */
/// ```
///
/// With a raw public key (RFC 7250) the entries are SubjectPublicKeyInfo, not certificates;
/// they are returned all the same.
pub fn parse_certificate_list(body: &[u8], tls13: bool) -> Result<Vec<Vec<u8>>, TlsError> {
    let mut r = Reader::new(body, "Certificate");
    if tls13 {
        r.sub_u8("Certificate.certificate_request_context")?;
    }
    let mut list = r.sub_u24("Certificate.certificate_list")?;
    let mut certs = Vec::new();
    while !list.is_empty() {
        let data = list.sub_u24("Certificate.cert_data")?.rest();
        if data.is_empty() {
            return Err(TlsError::invalid("Certificate.cert_data", "empty"));
        }
        certs.push(data.to_vec());
        if tls13 {
            list.sub_u16("CertificateEntry.extensions")?;
        }
    }
    r.finish()?;
    Ok(certs)
}

/// KeyUpdate: Ok(update_requested).
///
/// RFC 8446 §4.6.3: `enum { update_not_requested(0), update_requested(1), (255) }
/// KeyUpdateRequest; struct { KeyUpdateRequest request_update; } KeyUpdate;`
pub fn parse_key_update(body: &[u8]) -> Result<bool, TlsError> {
    let mut r = Reader::new(body, "KeyUpdate");
    let request = r.u8("KeyUpdate.request_update")?;
    r.finish()?;
    match request {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(TlsError::invalid(
            "KeyUpdate.request_update",
            format!("value {other} is neither 0 nor 1"),
        )),
    }
}

/// An alert description's name (RFC 8446 §6, with the TLS 1.2 ones of RFC 5246 §7.2 that
/// 1.3 reserved); unknown codes as `alert_NNN`.
pub fn alert_description(code: u8) -> String {
    let name = match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        other => return format!("alert_{other}"),
    };
    name.to_owned()
}

/// The code of an alert description named by `alert_description` (`handshake_failure` →
/// 40, `alert_200` → 200); `None` for any other text (`encrypted`, `malformed`).
pub fn alert_code(description: &str) -> Option<u8> {
    (0..=u8::MAX).find(|&code| alert_description(code) == description)
}

/// `opaque legacy_session_id<0..32>` (or its echo).
fn session_id(r: &mut Reader<'_>, what: &'static str) -> Result<Vec<u8>, TlsError> {
    let id = r.sub_u8(what)?.rest();
    if id.len() > 32 {
        return Err(TlsError::TooLarge {
            what,
            length: id.len(),
            max: 32,
        });
    }
    Ok(id.to_vec())
}

/// The optional trailing extension block of a hello: TLS 1.2 and earlier may end the message
/// before it (RFC 5246 §7.4.1.2: "the presence of extensions can be detected by determining
/// whether there are bytes following the compression_methods").
fn for_each_extension<'a>(
    r: &mut Reader<'a>,
    what: &'static str,
    f: impl FnMut(u16, Reader<'a>) -> Result<(), TlsError>,
) -> Result<(), TlsError> {
    if r.is_empty() {
        return Ok(());
    }
    let mut list = r.sub_u16(what)?;
    for_each_extension_in(&mut list, f)
}

/// Calls `f` with each extension's type and data (RFC 8446 §4.2:
/// `struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;`),
/// rejecting a type that appears twice.
fn for_each_extension_in<'a>(
    list: &mut Reader<'a>,
    mut f: impl FnMut(u16, Reader<'a>) -> Result<(), TlsError>,
) -> Result<(), TlsError> {
    let mut seen = Vec::new();
    while !list.is_empty() {
        let typ = list.u16("Extension.extension_type")?;
        let data = list.sub_u16("Extension.extension_data")?;
        if seen.contains(&typ) {
            return Err(TlsError::invalid(
                "Extension.extension_type",
                format!("extension {typ} appears twice"),
            ));
        }
        seen.push(typ);
        f(typ, data)?;
    }
    Ok(())
}

/// The first `host_name` of a `server_name` extension (RFC 6066 §3):
/// `struct { NameType name_type; select (name_type) { case host_name: HostName; } name; }
/// ServerName; struct { ServerName server_name_list<1..2^16-1> } ServerNameList;`.
/// An empty extension (a server's acknowledgement) has no name.
fn server_name(data: &mut Reader<'_>) -> Result<Option<String>, TlsError> {
    if data.is_empty() {
        return Ok(None);
    }
    let mut list = data.sub_u16("ServerNameList.server_name_list")?;
    data.finish()?;
    let mut first = None;
    while !list.is_empty() {
        let name_type = list.u8("ServerName.name_type")?;
        let name = list.sub_u16("ServerName.host_name")?.rest();
        if name_type == 0 && first.is_none() {
            if name.is_empty() {
                return Err(TlsError::invalid("ServerName.host_name", "empty"));
            }
            first = Some(String::from_utf8_lossy(name).into_owned());
        }
    }
    Ok(first)
}

/// `ProtocolName protocol_name_list<2..2^16-1>` with `opaque ProtocolName<1..2^8-1>`
/// (RFC 7301 §3.1).
fn alpn_list(data: &mut Reader<'_>, what: &'static str) -> Result<Vec<String>, TlsError> {
    let mut list = data.sub_u16(what)?;
    data.finish()?;
    let mut names = Vec::new();
    while !list.is_empty() {
        let name = list.sub_u8(what)?.rest();
        if name.is_empty() {
            return Err(TlsError::invalid(what, "empty protocol name"));
        }
        names.push(String::from_utf8_lossy(name).into_owned());
    }
    Ok(names)
}

/// A server's ALPN answer: RFC 7301 §3.1 "The "extension_data" field of the
/// ("application_layer_protocol_negotiation(16)") extension is structured the same as
/// described above for the client "extension_data", except that the "ProtocolNameList" MUST
/// contain exactly one "ProtocolName"."
fn selected_alpn(data: &mut Reader<'_>, what: &'static str) -> Result<Option<String>, TlsError> {
    let mut names = alpn_list(data, what)?;
    if names.len() != 1 {
        return Err(TlsError::invalid(
            what,
            format!("{} protocols where the server must select one", names.len()),
        ));
    }
    Ok(names.pop())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    /// The ClientHello record `openssl s_client -connect 127.0.0.1:4433 -servername
    /// ec.example.test -alpn h2,http/1.1` (OpenSSL 3.0.19) sent, captured with tcpdump.
    /// tshark: 31 suites (0x1302 first), server_name ec.example.test, session_ticket (empty),
    /// ALPN h2 + http/1.1, extended_master_secret, supported_versions 1.3/1.2/1.1/1.0,
    /// key_share; session id of 32 bytes.
    static CLIENT_HELLO_13_RECORD: [u8; 339] = hex!(
        "160301014e0100014a030393bfc88cbe8e8192c57ee19d0b0f2deb78a4812110c69798a8e33614a8"
        "0c1b30204d31db110efa698b6467f1f300d723301e62958246bd8c0b962a0d07fa4b8e88003e1302"
        "13031301c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039"
        "c009c0130033009d009c003d003c0035002f00ff010000c300000014001200000f65632e6578616d"
        "706c652e74657374000b000403000102000a00160014001d0017001e001900180100010101020103"
        "0104002300000010000e000c02683208687474702f312e310016000000170000000d002a00280403"
        "05030603080708080809080a080b080408050806040105010601030303010302040205020602002b"
        "0009080304030303020301002d00020101003300260024001d002099c24a8a59a78567cdd6ddc3e2"
        "0b13fffbd390606f5f1f5038f368d1ca127f02"
    );

    /// The answering ServerHello record (`openssl s_server`): TLS 1.3 via
    /// supported_versions, TLS_AES_256_GCM_SHA384 (0x1302), the session id echoed.
    static SERVER_HELLO_13_RECORD: [u8; 127] = hex!(
        "160303007a02000076030369a9a02ba4e6d5f0fc832710cc9daf68816bc0d5d11568244cbc8afd81"
        "1c3acc204d31db110efa698b6467f1f300d723301e62958246bd8c0b962a0d07fa4b8e8813020000"
        "2e002b0002030400330024001d00202ff55fe7bf37dcc21844e05c05fc4b9f401971591b18eabdc5"
        "f57c3dfdcd063d"
    );

    /// The server's first flight of a TLS 1.2 handshake (`openssl s_server -tls1_2 -cert
    /// rsa.pem` on 127.0.0.1:4434, `openssl s_client -servername rsa.example.test -alpn
    /// http/1.1`), one TCP segment of four Handshake records: ServerHello
    /// (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 0xc02f, ALPN http/1.1, extended_master_secret,
    /// empty session id), Certificate (one 731-byte certificate, CN=rsa.example.test),
    /// ServerKeyExchange, ServerHelloDone.
    static SERVER_FLIGHT_12: [u8; 1017] = hex!(
        "16030300500200004c030324ca93ea2a04b1191f701147728d1253209c7c3fefda7e17d9ffc4ea5e"
        "9e234400c02f000024ff01000100000b000403000102002300000010000b000908687474702f312e"
        "310017000016030302e50b0002e10002de0002db308202d730820240a0030201020214676fac0634"
        "6aafa70f90603bef97af47cb31aef5300d06092a864886f70d01010b050030623119301706035504"
        "030c107273612e6578616d706c652e7465737431173015060355040a0c0e6874747073636f706520"
        "74657374311f301d06092a864886f70d01090116106f7073406578616d706c652e74657374310b30"
        "09060355040513023432301e170d3236313132323032353331315a170d3237313132323032353331"
        "315a30623119301706035504030c107273612e6578616d706c652e7465737431173015060355040a"
        "0c0e6874747073636f70652074657374311f301d06092a864886f70d01090116106f707340657861"
        "6d706c652e74657374310b300906035504051302343230819f300d06092a864886f70d0101010500"
        "03818d0030818902818100be0dc3b67cce677119f3554dddac66641533c9ed6c74e37223c29acb30"
        "ce74d127f71b1efb88c203ce15554522403c75e82787a9c9350ce7f822be0248e07573cc4955b77f"
        "443e38eb8f039a44de4c2c59af5fbd7171c80a8eaba548b2154ac73029c45fe2d83a9c42935e1c2c"
        "e63e4ecc199a63392eaa01e65d48b3458f282d0203010001a38189308186301d0603551d0e041604"
        "143ffa23628189f77d6caee8d19c9cbf87477636ef301f0603551d230418301680143ffa23628189"
        "f77d6caee8d19c9cbf87477636ef300f0603551d130101ff040530030101ff30330603551d11042c"
        "302a82107273612e6578616d706c652e746573748704c0000207871020010db80000000000000000"
        "00000001300d06092a864886f70d01010b05000381810041ec2dc15129c6c4279e8ce002bdd7729f"
        "8cb1f316eb1e548ac6a533e3c58af99c30bca911bb05d8ab627bd3965585e48d51ca57cede8e3e65"
        "00ebb7bd12eb34941bc21a60cfff0f5b184082a64342e834f4a9692d63f8f313692b449bccfb10e8"
        "c44fb1066caddac3444aabb88884728e3a97bf3d39bcd37b62679e550f4da516030300ac0c0000a8"
        "03001d202591a2cfc0e2c7aec01aff25c4c0126b84d9648bf1542f411466c66cb3b39d0e08040080"
        "a7e5bcbb597a3e19e7b58ece737da5a2ac0bd7fe0e925f38f9f7c43d33d48b02fdc8196781bd9682"
        "3285626ff6794fd4664442863123a65b246a15b0c96617ff9e1bee9f8499a1c3adf7ed3036ae8ce9"
        "41fb01e3788a95f8f00739bb764660a9bd3e16a6e32932e068979c6b2e5a856ee67f539abacd101a"
        "b5bd663126c5131516030300040e000000"
    );

    /// A TLS 1.3 Certificate body: empty request context, two entries (3-byte stand-ins for
    /// DER), the first with a 4-byte extension block (status_request, empty).
    static CERTIFICATE_13: [u8; 24] = hex!(
        "00" "000014"
        "000003 300100" "0004 00050000"
        "000003 300102" "0000"
    );
    /// A TLS 1.3 EncryptedExtensions body: ALPN "h2", early_data, server_name (empty ack).
    static ENCRYPTED_EXTENSIONS: [u8; 19] = hex!(
        "0011" "0010 0005 0003 02 6832" "002a 0000" "0000 0000"
    );
    /// A ClientHello body cut inside its cipher suites vector (announces 0x3e bytes).
    static CLIENT_HELLO_TRUNCATED: [u8; 39] = hex!(
        "0303 93bfc88cbe8e8192c57ee19d0b0f2deb78a4812110c69798a8e33614a80c1b30"
        "00 003e 1302"
    );
    /// A TLS 1.0-style ClientHello body without extensions, one suite, one compression.
    static CLIENT_HELLO_NO_EXTENSIONS: [u8; 41] = hex!(
        "0301 0000000000000000000000000000000000000000000000000000000000000000"
        "00 0002 002f 01 00"
    );

    /// Splits a byte stream of records into the plaintext of each Handshake record.
    fn handshake_fragments(mut records: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        while !records.is_empty() {
            let header = crate::record::parse_header(records).unwrap().unwrap();
            let end = crate::record::HEADER_LEN + usize::from(header.length);
            out.push(&records[crate::record::HEADER_LEN..end]);
            records = &records[end..];
        }
        out
    }

    fn only_message(record: &[u8]) -> (HandshakeType, Vec<u8>) {
        let mut reader = HandshakeReader::new();
        reader.push(&record[crate::record::HEADER_LEN..]);
        let message = reader.next_message().unwrap().unwrap();
        assert_eq!(reader.next_message(), Ok(None));
        message
    }

    #[test]
    fn parses_real_tls13_client_hello() {
        let (typ, body) = only_message(&CLIENT_HELLO_13_RECORD);
        assert_eq!(typ, HandshakeType::ClientHello);
        let ch = parse_client_hello(&body).unwrap();
        assert_eq!(ch.random[..4], hex!("93bfc88c"));
        assert_eq!(ch.session_id.len(), 32);
        assert_eq!(ch.cipher_suites.len(), 31);
        assert_eq!(ch.cipher_suites[..3], [0x1302, 0x1303, 0x1301]);
        assert_eq!(ch.sni.as_deref(), Some("ec.example.test"));
        assert_eq!(ch.alpn, ["h2", "http/1.1"]);
        assert_eq!(ch.supported_versions, [0x0304, 0x0303, 0x0302, 0x0301]);
        assert!(!ch.session_ticket, "the session_ticket extension is empty");
        assert!(!ch.psk && !ch.early_data);
        assert!(ch.extended_master_secret);
    }

    #[test]
    fn parses_real_tls13_server_hello() {
        let (typ, body) = only_message(&SERVER_HELLO_13_RECORD);
        assert_eq!(typ, HandshakeType::ServerHello);
        let sh = parse_server_hello(&body).unwrap();
        assert_eq!(sh.legacy_version, 0x0303);
        assert_eq!(sh.selected_version, Some(0x0304));
        assert_eq!(sh.version(), 0x0304);
        assert_eq!(sh.cipher_suite, 0x1302);
        assert_eq!(sh.random[..4], hex!("69a9a02b"));
        // The session id is echoed from the ClientHello.
        assert_eq!(sh.session_id, CLIENT_HELLO_13_RECORD[44..76]);
        assert!(!sh.hello_retry && !sh.psk_selected && !sh.extended_master_secret);
        assert_eq!(sh.alpn, None);
    }

    #[test]
    fn recognises_hello_retry_request() {
        let (_, mut body) = only_message(&SERVER_HELLO_13_RECORD);
        body[2..34].copy_from_slice(&HELLO_RETRY_REQUEST_RANDOM);
        assert!(parse_server_hello(&body).unwrap().hello_retry);
    }

    #[test]
    fn reads_a_tls12_flight_of_four_records() {
        let mut reader = HandshakeReader::new();
        let mut messages = Vec::new();
        for fragment in handshake_fragments(&SERVER_FLIGHT_12) {
            reader.push(fragment);
            while let Some(m) = reader.next_message().unwrap() {
                messages.push(m);
            }
        }
        let types: Vec<_> = messages.iter().map(|m| m.0).collect();
        assert_eq!(
            types,
            [
                HandshakeType::ServerHello,
                HandshakeType::Certificate,
                HandshakeType::ServerKeyExchange,
                HandshakeType::ServerHelloDone
            ]
        );
        let sh = parse_server_hello(&messages[0].1).unwrap();
        assert_eq!((sh.version(), sh.selected_version), (0x0303, None));
        assert_eq!(sh.cipher_suite, 0xc02f);
        assert_eq!(sh.alpn.as_deref(), Some("http/1.1"));
        assert!(sh.extended_master_secret);
        assert!(sh.session_id.is_empty());
        let certs = parse_certificate_list(&messages[1].1, false).unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].len(), 731);
        assert_eq!(certs[0][..4], hex!("308202d7"));
        let info = crate::cert::parse_certificate(&certs[0]).unwrap();
        assert_eq!(info.san[0], "rsa.example.test");
        assert!(messages[3].1.is_empty());
    }

    #[test]
    fn reassembles_byte_by_byte_and_coalesced() {
        let whole: Vec<u8> = handshake_fragments(&SERVER_FLIGHT_12).concat();
        // One byte per "record".
        let mut reader = HandshakeReader::new();
        let mut count = 0;
        for b in &whole {
            reader.push(std::slice::from_ref(b));
            while reader.next_message().unwrap().is_some() {
                count += 1;
            }
        }
        assert_eq!(count, 4);
        // All four messages in one "record".
        reader.push(&whole);
        for _ in 0..4 {
            assert!(reader.next_message().unwrap().is_some());
        }
        assert_eq!(reader.next_message(), Ok(None));
    }

    #[test]
    fn bounds_message_length() {
        let mut reader = HandshakeReader::new();
        reader.push(&hex!("0b 040001"));
        assert_eq!(
            reader.next_message().unwrap_err().to_string(),
            "Handshake.length: length 262145 exceeds the maximum of 262144"
        );
        reader.clear();
        reader.push(&hex!("0b 040000"));
        assert_eq!(reader.next_message(), Ok(None), "256 KiB is accepted");
    }

    #[test]
    fn tls13_certificate_layout() {
        let certs = parse_certificate_list(&CERTIFICATE_13, true).unwrap();
        assert_eq!(certs, [hex!("300100").to_vec(), hex!("300102").to_vec()]);
        // Read with the 1.2 layout it is malformed, and says where.
        assert!(parse_certificate_list(&CERTIFICATE_13, false).is_err());
        let mut cut = CERTIFICATE_13;
        cut[3] = 0x15;
        assert_eq!(
            parse_certificate_list(&cut, true).unwrap_err().to_string(),
            "Certificate.certificate_list: length 21 exceeds remaining 20"
        );
        assert_eq!(parse_certificate_list(&hex!("00 000000"), true), Ok(vec![]));
        assert_eq!(
            parse_certificate_list(&hex!("000003 000000"), false)
                .unwrap_err()
                .to_string(),
            "Certificate.cert_data: empty"
        );
    }

    #[test]
    fn encrypted_extensions() {
        assert_eq!(
            parse_encrypted_extensions(&ENCRYPTED_EXTENSIONS),
            Ok(EncryptedExtensions {
                alpn: Some("h2".into()),
                early_data: true
            })
        );
        assert_eq!(
            parse_encrypted_extensions(&hex!("0000")),
            Ok(EncryptedExtensions {
                alpn: None,
                early_data: false
            })
        );
        // Two protocols where the server must choose one.
        assert_eq!(
            parse_encrypted_extensions(&hex!("000a 0010 0006 0004 0161 0162"))
                .unwrap_err()
                .to_string(),
            "EncryptedExtensions.alpn: 2 protocols where the server must select one"
        );
    }

    #[test]
    fn malformed_hellos_name_the_field() {
        assert_eq!(
            parse_client_hello(&CLIENT_HELLO_TRUNCATED)
                .unwrap_err()
                .to_string(),
            "ClientHello.cipher_suites: length 62 exceeds remaining 2"
        );
        let (_, body) = only_message(&CLIENT_HELLO_13_RECORD);
        // Ending right after the compression methods is a well-formed hello without
        // extensions (RFC 5246 §7.4.1.2); every other cut is an error.
        let without_extensions = 2 + 32 + 1 + 32 + 2 + 62 + 1 + 1;
        for n in 0..body.len() {
            let parsed = parse_client_hello(&body[..n]);
            assert_eq!(parsed.is_ok(), n == without_extensions, "cut at {n}");
        }
        let mut long = body.clone();
        long.push(0);
        assert_eq!(
            parse_client_hello(&long).unwrap_err().to_string(),
            "ClientHello: 1 unexpected trailing bytes"
        );
        let (_, body) = only_message(&SERVER_HELLO_13_RECORD);
        let without_extensions = 2 + 32 + 1 + 32 + 2 + 1;
        for n in 0..body.len() {
            let parsed = parse_server_hello(&body[..n]);
            assert_eq!(parsed.is_ok(), n == without_extensions, "cut at {n}");
        }
        let mut long_session_id = body.clone();
        long_session_id[34] = 33;
        assert!(parse_server_hello(&long_session_id).is_err());
    }

    #[test]
    fn duplicate_extension_is_an_error() {
        let mut body = CLIENT_HELLO_NO_EXTENSIONS.to_vec();
        body.extend_from_slice(&hex!("0008 0017 0000 0017 0000"));
        assert_eq!(
            parse_client_hello(&body).unwrap_err().to_string(),
            "Extension.extension_type: extension 23 appears twice"
        );
    }

    #[test]
    fn hello_without_extensions_and_resumption_flags() {
        let ch = parse_client_hello(&CLIENT_HELLO_NO_EXTENSIONS).unwrap();
        assert_eq!(ch.cipher_suites, [0x002f]);
        assert!(ch.sni.is_none() && ch.alpn.is_empty() && ch.supported_versions.is_empty());
        let mut body = CLIENT_HELLO_NO_EXTENSIONS.to_vec();
        // GREASE extension 0x0a0a, non-empty session_ticket, early_data, pre_shared_key.
        body.extend_from_slice(&hex!(
            "0015 0a0a 0000 0023 0003 aabbcc 002a 0000 0029 0002 0000"
        ));
        let ch = parse_client_hello(&body).unwrap();
        assert!(ch.session_ticket && ch.early_data && ch.psk);
        assert!(!ch.extended_master_secret);
    }

    #[test]
    fn key_update() {
        assert_eq!(parse_key_update(&[0]), Ok(false));
        assert_eq!(parse_key_update(&[1]), Ok(true));
        assert_eq!(
            parse_key_update(&[2]).unwrap_err().to_string(),
            "KeyUpdate.request_update: value 2 is neither 0 nor 1"
        );
        assert!(parse_key_update(&[]).is_err());
        assert!(parse_key_update(&[1, 0]).is_err());
    }

    #[test]
    fn handshake_type_round_trips() {
        for v in 0..=255u8 {
            assert_eq!(HandshakeType::from_u8(v).to_u8(), v);
        }
        assert_eq!(HandshakeType::from_u8(24), HandshakeType::KeyUpdate);
        assert_eq!(HandshakeType::from_u8(25), HandshakeType::Unknown(25));
    }

    #[test]
    fn alert_names() {
        assert_eq!(alert_description(0), "close_notify");
        assert_eq!(alert_description(40), "handshake_failure");
        assert_eq!(alert_description(42), "bad_certificate");
        assert_eq!(alert_description(120), "no_application_protocol");
        assert_eq!(alert_description(200), "alert_200");
        for code in 0..=u8::MAX {
            assert_eq!(alert_code(&alert_description(code)), Some(code));
        }
        assert_eq!(alert_code("encrypted"), None);
    }
}
