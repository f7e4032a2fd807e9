//! Cipher suites and record decryption: which suites httpscope can decrypt, and a
//! [`RecordDecrypter`] per direction and key epoch that opens TLS 1.2 and TLS 1.3 AEAD
//! records in place. Key derivation lives in `schedule`; record framing (finding the 5-byte
//! header and the body in a byte stream) is the caller's.
//!
//! Invariants:
//! - a record that fails to open leaves `body` untouched and the sequence number unchanged,
//!   so the caller may try another key (e.g. skipped 0-RTT data, RFC 8446 §4.2.10);
//! - no allocation per record: the plaintext is decrypted in place and returned as a
//!   sub-slice of the caller's buffer;
//! - no input makes this module panic: every length is checked before use.
//!
//! RFC 8446 §5.2 (Record Payload Protection):
//!
//! > struct {
//! >     opaque content[TLSPlaintext.length];
//! >     ContentType type;
//! >     uint8 zeros[length_of_padding];
//! > } TLSInnerPlaintext;
//! >
//! > struct {
//! >     ContentType opaque_type = application_data; /* 23 */
//! >     ProtocolVersion legacy_record_version = 0x0303; /* TLS v1.2 */
//! >     uint16 length;
//! >     opaque encrypted_record[TLSCiphertext.length];
//! > } TLSCiphertext;
//! >
//! > additional_data = TLSCiphertext.opaque_type ||
//! >                   TLSCiphertext.legacy_record_version ||
//! >                   TLSCiphertext.length
//!
//! > The length MUST NOT exceed 2^14 + 256 bytes.
//!
//! and, on the receiving side, the content type "is the highest-numbered non-zero byte"
//! after decryption: "If a receiving implementation does not find a non-zero octet in the
//! cleartext, it MUST terminate the connection with an "unexpected_message" alert."
//!
//! RFC 8446 §5.3 (Per-Record Nonce):
//!
//! > 1.  The 64-bit record sequence number is encoded in network byte order and padded to
//! >     the left with zeros to iv_length.
//! > 2.  The padded sequence number is XORed with either the static client_write_iv or
//! >     server_write_iv (depending on the role).
//!
//! RFC 8446 §4.6.3 (Key and Initialization Vector Update): after a KeyUpdate the sender
//! uses the next generation of keys, computed as in §7.2, and §5.3: "The appropriate
//! sequence number is incremented by one after reading or writing each record. [...] it
//! is set to zero [...] whenever the key is changed". See [`RecordDecrypter::key_update`].
//!
//! RFC 5246 §6.2.3.3 (AEAD Ciphers) with RFC 5288 §3 (AES-GCM):
//!
//! > struct {
//! >    opaque salt[4];
//! >    opaque nonce_explicit[8];
//! > } GCMNonce;
//! >
//! > additional_data = seq_num + TLSCompressed.type +
//! >                   TLSCompressed.version + TLSCompressed.length;
//!
//! where the salt is the `client_write_IV`/`server_write_IV` of the key block, the
//! explicit nonce is the first 8 bytes of the record body, and the length is that of the
//! plaintext. "The length of TLSCiphertext.length MUST NOT exceed 2^14 + 2048."
//!
//! RFC 7905 §2 (ChaCha20-Poly1305 for TLS 1.2): "The 64-bit record sequence number is
//! serialized as an 8-byte, big-endian value and padded on the left with four 0x00 bytes.
//! The padded sequence number is XORed with the client_write_IV (when the client is
//! sending) or server_write_IV (when the server is sending)." — a 12-byte IV and no
//! explicit nonce in the record.

use crate::schedule::{MasterSecret, TrafficSecret, WriteKeys};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use std::fmt;

/// An AEAD algorithm of a supported suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aead {
    /// AES-128 in Galois/Counter Mode.
    Aes128Gcm,
    /// AES-256 in Galois/Counter Mode.
    Aes256Gcm,
    /// ChaCha20 with the Poly1305 authenticator (RFC 8439).
    ChaCha20Poly1305,
}

/// The hash of a suite: HKDF's in TLS 1.3, the PRF's in TLS 1.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

/// A cipher suite httpscope can decrypt.
#[derive(Debug)]
pub struct Suite {
    /// The IANA code point.
    pub id: u16,
    /// The IANA name (`TLS_AES_128_GCM_SHA256`).
    pub name: &'static str,
    /// The record protection algorithm.
    pub aead: Aead,
    /// The key schedule's hash.
    pub hash: HashAlg,
    /// A TLS 1.3 suite (else TLS 1.2).
    pub tls13: bool,
}

const fn suite(id: u16, name: &'static str, aead: Aead, hash: HashAlg, tls13: bool) -> Suite {
    Suite {
        id,
        name,
        aead,
        hash,
        tls13,
    }
}

/// The suites httpscope decrypts. With the master secret from a key log, the key exchange
/// of a TLS 1.2 suite does not matter, only its AEAD and PRF hash.
static SUITES: [Suite; 14] = [
    suite(
        0x1301,
        "TLS_AES_128_GCM_SHA256",
        Aead::Aes128Gcm,
        HashAlg::Sha256,
        true,
    ),
    suite(
        0x1302,
        "TLS_AES_256_GCM_SHA384",
        Aead::Aes256Gcm,
        HashAlg::Sha384,
        true,
    ),
    suite(
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        Aead::ChaCha20Poly1305,
        HashAlg::Sha256,
        true,
    ),
    suite(
        0x009c,
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        Aead::Aes128Gcm,
        HashAlg::Sha256,
        false,
    ),
    suite(
        0x009d,
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        Aead::Aes256Gcm,
        HashAlg::Sha384,
        false,
    ),
    suite(
        0x009e,
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        Aead::Aes128Gcm,
        HashAlg::Sha256,
        false,
    ),
    suite(
        0x009f,
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        Aead::Aes256Gcm,
        HashAlg::Sha384,
        false,
    ),
    suite(
        0xc02b,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        Aead::Aes128Gcm,
        HashAlg::Sha256,
        false,
    ),
    suite(
        0xc02c,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        Aead::Aes256Gcm,
        HashAlg::Sha384,
        false,
    ),
    suite(
        0xc02f,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        Aead::Aes128Gcm,
        HashAlg::Sha256,
        false,
    ),
    suite(
        0xc030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        Aead::Aes256Gcm,
        HashAlg::Sha384,
        false,
    ),
    suite(
        0xcca8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        Aead::ChaCha20Poly1305,
        HashAlg::Sha256,
        false,
    ),
    suite(
        0xcca9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        Aead::ChaCha20Poly1305,
        HashAlg::Sha256,
        false,
    ),
    suite(
        0xccaa,
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        Aead::ChaCha20Poly1305,
        HashAlg::Sha256,
        false,
    ),
];

/// Names of common suites httpscope does not decrypt, so reports can say what was used.
static OTHER_SUITE_NAMES: [(u16, &str); 44] = [
    (0x0000, "TLS_NULL_WITH_NULL_NULL"),
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x003b, "TLS_RSA_WITH_NULL_SHA256"),
    (0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
    (0x1304, "TLS_AES_128_CCM_SHA256"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256"),
    (0x5600, "TLS_FALLBACK_SCSV"),
    (0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    (0xc09c, "TLS_RSA_WITH_AES_128_CCM"),
    (0xc09d, "TLS_RSA_WITH_AES_256_CCM"),
    (0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"),
    (0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"),
    (0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
    (0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
    (0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"),
    (0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"),
];

/// The suites httpscope decrypts: TLS 1.3 0x1301 AES_128_GCM_SHA256, 0x1302
/// AES_256_GCM_SHA384, 0x1303 CHACHA20_POLY1305_SHA256; TLS 1.2 ECDHE_RSA/ECDHE_ECDSA/RSA/
/// DHE_RSA with AES_128_GCM_SHA256, AES_256_GCM_SHA384 and ECDHE_RSA/ECDHE_ECDSA/DHE_RSA
/// with CHACHA20_POLY1305_SHA256 (the key exchange doesn't matter with a master secret from
/// the key log).
pub fn supported_suite(id: u16) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.id == id)
}

/// IANA name of any suite: the supported ones, a table of common others (CBC, 3DES, RC4,
/// CCM, NULL, SCSVs) so reports can name what is unsupported, and `0x00ff` style for the
/// rest.
pub fn suite_name(id: u16) -> String {
    if let Some(s) = supported_suite(id) {
        return s.name.to_string();
    }
    match OTHER_SUITE_NAMES.iter().find(|(code, _)| *code == id) {
        Some((_, name)) => (*name).to_string(),
        None => format!("0x{id:04x}"),
    }
}

/// Why keys could not be made or a record could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// A secret from the key log has the wrong length for the suite.
    SecretLength {
        /// Which secret.
        what: &'static str,
        /// The length the suite needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A TLS 1.2 suite given to the TLS 1.3 constructor, or the reverse.
    WrongVersion {
        /// The suite's name.
        suite: &'static str,
        /// The constructor that was called: `"TLS 1.3"` or `"TLS 1.2"`.
        called: &'static str,
    },
    /// A key derivation step failed (internal: lengths are checked beforehand).
    Derivation(&'static str),
    /// The header's length field differs from the body given.
    LengthMismatch {
        /// The length in the record header.
        header: usize,
        /// The length of the body.
        body: usize,
    },
    /// The body is shorter than the AEAD's overhead (explicit nonce, tag, content type).
    RecordTooShort {
        /// Bytes in the body.
        len: usize,
        /// The minimum for this suite and version.
        min: usize,
    },
    /// The body is longer than the protocol allows (2^14 + 256 in TLS 1.3, 2^14 + 2048 in
    /// TLS 1.2).
    RecordTooLong {
        /// Bytes in the body.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A TLS 1.3 protected record whose outer type is not application_data (23).
    OuterType(u8),
    /// The tag did not verify: wrong key, wrong sequence number, or altered bytes.
    Authentication {
        /// The sequence number the record was tried at.
        sequence: u64,
    },
    /// A TLS 1.3 inner plaintext with no non-zero byte (no content type).
    NoContentType,
    /// KeyUpdate asked of a TLS 1.2 decrypter.
    KeyUpdateInTls12,
    /// The 64-bit sequence number would wrap.
    SequenceExhausted,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::SecretLength {
                what,
                expected,
                got,
            } => write!(
                f,
                "{what} is {got} bytes; the suite's hash needs {expected}"
            ),
            CryptoError::WrongVersion { suite, called } => {
                write!(f, "suite {suite} cannot be used for {called} record keys")
            }
            CryptoError::Derivation(step) => write!(f, "key derivation failed at {step}"),
            CryptoError::LengthMismatch { header, body } => write!(
                f,
                "record header says {header} bytes but the body given is {body} bytes"
            ),
            CryptoError::RecordTooShort { len, min } => write!(
                f,
                "encrypted record of {len} bytes is shorter than the {min} bytes of AEAD overhead"
            ),
            CryptoError::RecordTooLong { len, max } => write!(
                f,
                "encrypted record of {len} bytes exceeds the maximum of {max} (record_overflow)"
            ),
            CryptoError::OuterType(t) => write!(
                f,
                "TLS 1.3 protected record has outer content type {t}, not application_data (23)"
            ),
            CryptoError::Authentication { sequence } => write!(
                f,
                "record {sequence} failed authentication (wrong key, wrong sequence, or altered)"
            ),
            CryptoError::NoContentType => write!(
                f,
                "TLS 1.3 inner plaintext has no content type (all zero bytes)"
            ),
            CryptoError::KeyUpdateInTls12 => write!(f, "KeyUpdate does not exist in TLS 1.2"),
            CryptoError::SequenceExhausted => write!(f, "record sequence number exhausted"),
        }
    }
}

impl std::error::Error for CryptoError {}

/// Length of the AEAD tag of every supported suite.
const TAG_LEN: usize = 16;
/// Length of the explicit nonce in a TLS 1.2 AES-GCM record (RFC 5288 §3).
const EXPLICIT_NONCE_LEN: usize = 8;
/// RFC 8446 §5.2: "The length MUST NOT exceed 2^14 + 256 bytes."
const TLS13_MAX_CIPHERTEXT: usize = (1 << 14) + 256;
/// RFC 5246 §6.2.3: "The length MUST NOT exceed 2^14 + 2048."
const TLS12_MAX_CIPHERTEXT: usize = (1 << 14) + 2048;
/// The outer content type of every TLS 1.3 protected record.
const APPLICATION_DATA: u8 = 23;

/// A keyed AEAD. Boxed: the AES key schedules are hundreds of bytes, made once per epoch.
enum Cipher {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl Cipher {
    fn new(aead: Aead, key: &[u8]) -> Result<Cipher, CryptoError> {
        let bad = |_| CryptoError::Derivation("AEAD key length");
        Ok(match aead {
            Aead::Aes128Gcm => {
                Cipher::Aes128(Box::new(Aes128Gcm::new_from_slice(key).map_err(bad)?))
            }
            Aead::Aes256Gcm => {
                Cipher::Aes256(Box::new(Aes256Gcm::new_from_slice(key).map_err(bad)?))
            }
            Aead::ChaCha20Poly1305 => Cipher::ChaCha(Box::new(
                ChaCha20Poly1305::new_from_slice(key).map_err(bad)?,
            )),
        })
    }

    /// Verifies then decrypts `buf` in place; on failure `buf` is unchanged (all three
    /// implementations check the tag before applying the keystream).
    fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: [u8; TAG_LEN]) -> bool {
        let nonce = (*nonce).into();
        let tag = tag.into();
        match self {
            Cipher::Aes128(c) => c.decrypt_in_place_detached(&nonce, aad, buf, &tag),
            Cipher::Aes256(c) => c.decrypt_in_place_detached(&nonce, aad, buf, &tag),
            Cipher::ChaCha(c) => c.decrypt_in_place_detached(&nonce, aad, buf, &tag),
        }
        .is_ok()
    }
}

/// How nonces and additional data are formed, with what each way needs.
enum Protection {
    /// TLS 1.3: IV XOR sequence; AAD = the record header. Keeps the traffic secret for
    /// KeyUpdate.
    Tls13 { iv: [u8; 12], secret: TrafficSecret },
    /// TLS 1.2 AES-GCM: salt || explicit nonce from the record; AAD = seq || type ||
    /// version || plaintext length.
    Tls12Gcm { salt: [u8; 4] },
    /// TLS 1.2 ChaCha20-Poly1305: IV XOR sequence; same AAD as AES-GCM.
    Tls12ChaCha { iv: [u8; 12] },
}

/// Decrypts the records of one direction of a connection. Created per key epoch.
pub struct RecordDecrypter {
    suite: &'static Suite,
    cipher: Cipher,
    protection: Protection,
    seq: u64,
}

impl fmt::Debug for RecordDecrypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never prints key material.
        f.debug_struct("RecordDecrypter")
            .field("suite", &self.suite.name)
            .field("sequence", &self.seq)
            .finish_non_exhaustive()
    }
}

/// IV XOR the sequence number padded on the left to 12 bytes (RFC 8446 §5.3, RFC 7905 §2).
fn xor_nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut nonce = *iv;
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}

/// Splits `buf` into (ciphertext, tag); `buf.len() >= TAG_LEN` is checked by the caller, and
/// a shorter one yields `None` rather than a panic.
fn split_tag(buf: &mut [u8]) -> Option<(&mut [u8], [u8; TAG_LEN])> {
    let at = buf.len().checked_sub(TAG_LEN)?;
    let (ct, tag) = buf.split_at_mut(at);
    Some((ct, <[u8; TAG_LEN]>::try_from(&*tag).ok()?))
}

impl RecordDecrypter {
    /// TLS 1.3 traffic keys from a traffic secret (handshake or application), RFC 8446 §7.3.
    pub fn tls13(
        suite: &'static Suite,
        traffic_secret: &[u8],
    ) -> Result<RecordDecrypter, CryptoError> {
        if !suite.tls13 {
            return Err(CryptoError::WrongVersion {
                suite: suite.name,
                called: "TLS 1.3",
            });
        }
        let secret = TrafficSecret::new(suite.hash, traffic_secret)?;
        Self::from_traffic_secret(suite, secret)
    }

    fn from_traffic_secret(
        suite: &'static Suite,
        secret: TrafficSecret,
    ) -> Result<RecordDecrypter, CryptoError> {
        let keys = secret.keys(suite.aead)?;
        Ok(RecordDecrypter {
            suite,
            cipher: Cipher::new(suite.aead, keys.key())?,
            protection: Protection::Tls13 {
                iv: keys.iv,
                secret,
            },
            seq: 0,
        })
    }

    /// TLS 1.2: both directions' decrypters from the master secret and the hello randoms
    /// (key block, RFC 5246 §6.3): (client_write, server_write).
    pub fn tls12_pair(
        suite: &'static Suite,
        master_secret: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Result<(RecordDecrypter, RecordDecrypter), CryptoError> {
        if suite.tls13 {
            return Err(CryptoError::WrongVersion {
                suite: suite.name,
                called: "TLS 1.2",
            });
        }
        let master = MasterSecret::new(master_secret)?;
        let (client, server) =
            master.key_block(suite.hash, suite.aead, client_random, server_random)?;
        Ok((Self::tls12(suite, &client)?, Self::tls12(suite, &server)?))
    }

    fn tls12(suite: &'static Suite, keys: &WriteKeys) -> Result<RecordDecrypter, CryptoError> {
        let protection = match suite.aead {
            Aead::Aes128Gcm | Aead::Aes256Gcm => {
                let mut salt = [0u8; 4];
                salt.copy_from_slice(&keys.iv[..4]);
                Protection::Tls12Gcm { salt }
            }
            Aead::ChaCha20Poly1305 => Protection::Tls12ChaCha { iv: keys.iv },
        };
        Ok(RecordDecrypter {
            suite,
            cipher: Cipher::new(suite.aead, keys.key())?,
            protection,
            seq: 0,
        })
    }

    /// Decrypts one record in place. `header` = the 5 record header bytes as received (used
    /// as/for AAD). On success returns the plaintext range inside `body` and the content type
    /// (for 1.3 the inner content type after stripping zero padding, RFC 8446 §5.2; for 1.2
    /// the header's type). Increments the sequence number only on success; on error `body`
    /// is left as it was.
    pub fn open<'b>(
        &mut self,
        header: &[u8; 5],
        body: &'b mut [u8],
    ) -> Result<(u8, &'b [u8]), CryptoError> {
        let declared = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if declared != body.len() {
            return Err(CryptoError::LengthMismatch {
                header: declared,
                body: body.len(),
            });
        }
        let next = self
            .seq
            .checked_add(1)
            .ok_or(CryptoError::SequenceExhausted)?;
        let seq = self.seq;
        let auth = CryptoError::Authentication { sequence: seq };
        let opened = match &self.protection {
            Protection::Tls13 { iv, .. } => {
                if header[0] != APPLICATION_DATA {
                    return Err(CryptoError::OuterType(header[0]));
                }
                check_len(body.len(), TAG_LEN + 1, TLS13_MAX_CIPHERTEXT)?;
                let (ct, tag) = split_tag(body).ok_or(auth.clone())?;
                if !self.cipher.open(&xor_nonce(iv, seq), header, ct, tag) {
                    return Err(auth);
                }
                // RFC 8446 §5.2: the content type is the last non-zero byte.
                let Some(end) = ct.iter().rposition(|&b| b != 0) else {
                    // Leave the caller's bytes as they were, as for every other error.
                    let _ = self.cipher_restore(seq, header, ct);
                    return Err(CryptoError::NoContentType);
                };
                let content_type = ct[end];
                let ct: &'b [u8] = ct;
                (content_type, &ct[..end])
            }
            Protection::Tls12Gcm { salt } => {
                check_len(
                    body.len(),
                    EXPLICIT_NONCE_LEN + TAG_LEN,
                    TLS12_MAX_CIPHERTEXT,
                )?;
                let (explicit, rest) = body.split_at_mut(EXPLICIT_NONCE_LEN);
                let mut nonce = [0u8; 12];
                nonce[..4].copy_from_slice(salt);
                nonce[4..].copy_from_slice(explicit);
                let (ct, tag) = split_tag(rest).ok_or(auth.clone())?;
                let aad = tls12_aad(seq, header, ct.len());
                if !self.cipher.open(&nonce, &aad, ct, tag) {
                    return Err(auth);
                }
                (header[0], &*ct)
            }
            Protection::Tls12ChaCha { iv } => {
                check_len(body.len(), TAG_LEN, TLS12_MAX_CIPHERTEXT)?;
                let (ct, tag) = split_tag(body).ok_or(auth.clone())?;
                let aad = tls12_aad(seq, header, ct.len());
                if !self.cipher.open(&xor_nonce(iv, seq), &aad, ct, tag) {
                    return Err(auth);
                }
                (header[0], &*ct)
            }
        };
        self.seq = next;
        Ok(opened)
    }

    /// Re-encrypts a TLS 1.3 plaintext that was rejected after authentication (all-zero
    /// inner plaintext) so the caller's buffer holds the ciphertext again.
    fn cipher_restore(&self, seq: u64, header: &[u8; 5], buf: &mut [u8]) -> Option<()> {
        let Protection::Tls13 { iv, .. } = &self.protection else {
            return None;
        };
        let nonce = xor_nonce(iv, seq).into();
        match &self.cipher {
            Cipher::Aes128(c) => c.encrypt_in_place_detached(&nonce, header, buf),
            Cipher::Aes256(c) => c.encrypt_in_place_detached(&nonce, header, buf),
            Cipher::ChaCha(c) => c.encrypt_in_place_detached(&nonce, header, buf),
        }
        .ok()
        .map(|_| ())
    }

    /// TLS 1.3 KeyUpdate: move to the next application traffic secret (RFC 8446 §7.2) and
    /// reset the sequence number. Error for TLS 1.2. Only meaningful on an application
    /// traffic decrypter: the caller calls it after opening a KeyUpdate handshake message
    /// from this direction.
    pub fn key_update(&mut self) -> Result<(), CryptoError> {
        let Protection::Tls13 { secret, .. } = &self.protection else {
            return Err(CryptoError::KeyUpdateInTls12);
        };
        let next = secret.next()?;
        *self = Self::from_traffic_secret(self.suite, next)?;
        Ok(())
    }

    /// Continues at record number `seq` of its epoch: for keys that arrive after records
    /// went by (they stay unreadable, the ones after them decrypt).
    pub fn skip_to(&mut self, seq: u64) {
        self.seq = seq;
    }

    /// The sequence number of the next record to open.
    #[cfg(test)]
    pub fn sequence(&self) -> u64 {
        self.seq
    }
}

fn check_len(len: usize, min: usize, max: usize) -> Result<(), CryptoError> {
    if len < min {
        Err(CryptoError::RecordTooShort { len, min })
    } else if len > max {
        Err(CryptoError::RecordTooLong { len, max })
    } else {
        Ok(())
    }
}

/// RFC 5246 §6.2.3.3: seq_num(8) || type(1) || version(2) || plaintext length(2).
fn tls12_aad(seq: u64, header: &[u8; 5], plaintext_len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8..11].copy_from_slice(&header[..3]);
    // The plaintext is shorter than the checked record length (< 2^16).
    let len = u16::try_from(plaintext_len).unwrap_or(u16::MAX);
    aad[11..].copy_from_slice(&len.to_be_bytes());
    aad
}

#[cfg(test)]
impl RecordDecrypter {
    /// Starts at a later sequence number (to open a record whose predecessors are not
    /// embedded in a test).
    fn at_sequence(mut self, seq: u64) -> Self {
        self.seq = seq;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfc8448;
    use hex_literal::hex;

    /// Opens a whole record (header + body) in a copy; returns the content type and
    /// plaintext.
    fn open(d: &mut RecordDecrypter, record: &[u8]) -> Result<(u8, Vec<u8>), CryptoError> {
        let header: [u8; 5] = record[..5].try_into().unwrap();
        let mut body = record[5..].to_vec();
        d.open(&header, &mut body).map(|(t, p)| (t, p.to_vec()))
    }

    fn suite(id: u16) -> &'static Suite {
        supported_suite(id).unwrap()
    }

    const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    const HELLO: &[u8] = b"hello from the server\n";

    // ---- RFC 8448 §3, Simple 1-RTT Handshake (TLS_AES_128_GCM_SHA256) ----

    #[test]
    fn rfc8448_server_handshake_record() {
        let mut d = RecordDecrypter::tls13(suite(0x1301), &rfc8448::SERVER_HS_SECRET).unwrap();
        let (ty, plain) = open(&mut d, &rfc8448::SERVER_HS_RECORD).unwrap();
        assert_eq!(ty, 22);
        assert_eq!(plain.len(), 657);
        // EncryptedExtensions (type 8) first, Finished (type 20, 32 bytes) last.
        assert_eq!(plain[..4], [0x08, 0x00, 0x00, 0x24]);
        assert_eq!(plain[plain.len() - 36..][..4], [0x14, 0x00, 0x00, 0x20]);
        assert_eq!(d.sequence(), 1);
    }

    #[test]
    fn rfc8448_client_finished_record() {
        let mut d = RecordDecrypter::tls13(suite(0x1301), &rfc8448::CLIENT_HS_SECRET).unwrap();
        let (ty, plain) = open(&mut d, &rfc8448::CLIENT_FINISHED_RECORD).unwrap();
        assert_eq!(ty, 22);
        assert_eq!(plain.len(), 36);
        assert_eq!(plain[..4], [0x14, 0x00, 0x00, 0x20]);
    }

    #[test]
    fn rfc8448_application_records_each_way() {
        let mut c = RecordDecrypter::tls13(suite(0x1301), &rfc8448::CLIENT_APP_SECRET).unwrap();
        assert_eq!(
            open(&mut c, &rfc8448::CLIENT_APP_RECORD).unwrap(),
            (23, rfc8448::payload())
        );
        let mut s = RecordDecrypter::tls13(suite(0x1301), &rfc8448::SERVER_APP_SECRET)
            .unwrap()
            .at_sequence(1);
        assert_eq!(
            open(&mut s, &rfc8448::SERVER_APP_RECORD).unwrap(),
            (23, rfc8448::payload())
        );
        assert_eq!(s.sequence(), 2);
    }

    #[test]
    fn wrong_sequence_fails_and_leaves_the_body_alone() {
        let mut s = RecordDecrypter::tls13(suite(0x1301), &rfc8448::SERVER_APP_SECRET).unwrap();
        let header: [u8; 5] = rfc8448::SERVER_APP_RECORD[..5].try_into().unwrap();
        let mut body = rfc8448::SERVER_APP_RECORD[5..].to_vec();
        assert_eq!(
            s.open(&header, &mut body),
            Err(CryptoError::Authentication { sequence: 0 })
        );
        assert_eq!(body, rfc8448::SERVER_APP_RECORD[5..]);
        assert_eq!(s.sequence(), 0);
    }

    #[test]
    fn wrong_key_fails() {
        // The client's record under the server's key.
        let mut s = RecordDecrypter::tls13(suite(0x1301), &rfc8448::SERVER_APP_SECRET).unwrap();
        let err = open(&mut s, &rfc8448::CLIENT_APP_RECORD).unwrap_err();
        assert_eq!(err, CryptoError::Authentication { sequence: 0 });
        assert_eq!(
            err.to_string(),
            "record 0 failed authentication (wrong key, wrong sequence, or altered)"
        );
        // The right secret with the wrong suite (AES-256 wants a 48-byte secret).
        assert!(matches!(
            RecordDecrypter::tls13(suite(0x1302), &rfc8448::SERVER_APP_SECRET),
            Err(CryptoError::SecretLength {
                expected: 48,
                got: 32,
                ..
            })
        ));
        // ChaCha20 with a 32-byte secret makes keys, but not the right ones.
        let mut c = RecordDecrypter::tls13(suite(0x1303), &rfc8448::CLIENT_APP_SECRET).unwrap();
        assert!(open(&mut c, &rfc8448::CLIENT_APP_RECORD).is_err());
    }

    #[test]
    fn tampered_tag_ciphertext_or_header_fails() {
        for at in [
            rfc8448::CLIENT_APP_RECORD.len() - 1, // tag
            10,                                   // ciphertext
            2,                                    // header version: part of the AAD
        ] {
            let mut record = rfc8448::CLIENT_APP_RECORD;
            record[at] ^= 0x01;
            let mut c = RecordDecrypter::tls13(suite(0x1301), &rfc8448::CLIENT_APP_SECRET).unwrap();
            assert_eq!(
                open(&mut c, &record),
                Err(CryptoError::Authentication { sequence: 0 }),
                "flipped byte {at}"
            );
        }
    }

    #[test]
    fn short_long_and_mismatched_records() {
        let mut c = RecordDecrypter::tls13(suite(0x1301), &rfc8448::CLIENT_APP_SECRET).unwrap();
        // Header and body disagree.
        let mut body = [0u8; 10];
        assert_eq!(
            c.open(&[23, 3, 3, 0, 11], &mut body),
            Err(CryptoError::LengthMismatch {
                header: 11,
                body: 10
            })
        );
        // Shorter than tag + content type.
        for len in [0usize, 1, 16] {
            let mut body = vec![0u8; len];
            let header = [23, 3, 3, 0, len as u8];
            assert_eq!(
                c.open(&header, &mut body),
                Err(CryptoError::RecordTooShort { len, min: 17 })
            );
        }
        // Longer than 2^14 + 256.
        let mut body = vec![0u8; TLS13_MAX_CIPHERTEXT + 1];
        let [hi, lo] = u16::try_from(body.len()).unwrap().to_be_bytes();
        assert!(matches!(
            c.open(&[23, 3, 3, hi, lo], &mut body),
            Err(CryptoError::RecordTooLong { .. })
        ));
        // A TLS 1.3 protected record is always application_data on the outside.
        let mut body = rfc8448::CLIENT_APP_RECORD[5..].to_vec();
        assert_eq!(
            c.open(&[22, 3, 3, 0, 0x43], &mut body),
            Err(CryptoError::OuterType(22))
        );
        // TLS 1.2 minimums: explicit nonce + tag for GCM, tag for ChaCha20.
        let (mut g, _) = tls12(&T12_AES128);
        let mut body = [0u8; 23];
        assert_eq!(
            g.open(&[23, 3, 3, 0, 23], &mut body),
            Err(CryptoError::RecordTooShort { len: 23, min: 24 })
        );
        let (mut ch, _) = tls12(&T12_CHACHA);
        let mut body = [0u8; 15];
        assert_eq!(
            ch.open(&[23, 3, 3, 0, 15], &mut body),
            Err(CryptoError::RecordTooShort { len: 15, min: 16 })
        );
        assert_eq!(c.sequence(), 0);
    }

    /// Encrypts a TLS 1.3 record as a sender would (for cases no capture contains).
    fn seal13(secret: &[u8], seq: u64, inner: &[u8]) -> Vec<u8> {
        let keys = TrafficSecret::new(HashAlg::Sha256, secret)
            .unwrap()
            .keys(Aead::Aes128Gcm)
            .unwrap();
        let cipher = Aes128Gcm::new_from_slice(keys.key()).unwrap();
        let len = u16::try_from(inner.len() + TAG_LEN).unwrap().to_be_bytes();
        let header = [23, 3, 3, len[0], len[1]];
        let mut body = inner.to_vec();
        let tag = cipher
            .encrypt_in_place_detached(&xor_nonce(&keys.iv, seq).into(), &header, &mut body)
            .unwrap();
        let mut record = header.to_vec();
        record.extend_from_slice(&body);
        record.extend_from_slice(&tag);
        record
    }

    #[test]
    fn padding_is_stripped_and_all_zero_is_rejected() {
        let secret = rfc8448::CLIENT_APP_SECRET;
        let mut c = RecordDecrypter::tls13(suite(0x1301), &secret).unwrap();
        let record = seal13(&secret, 0, b"data\x17\0\0\0\0\0\0\0");
        assert_eq!(open(&mut c, &record).unwrap(), (23, b"data".to_vec()));
        // An empty alert-free record: content type only.
        let record = seal13(&secret, 1, b"\x15");
        assert_eq!(open(&mut c, &record).unwrap(), (21, Vec::new()));
        // All zeros: authentic, but no content type.
        let record = seal13(&secret, 2, &[0; 8]);
        let header: [u8; 5] = record[..5].try_into().unwrap();
        let mut body = record[5..].to_vec();
        assert_eq!(c.open(&header, &mut body), Err(CryptoError::NoContentType));
        assert_eq!(body, record[5..], "ciphertext restored");
        assert_eq!(c.sequence(), 2);
    }

    #[test]
    fn key_update_moves_to_the_next_secret_and_resets_the_sequence() {
        let secret = rfc8448::CLIENT_APP_SECRET;
        let next = TrafficSecret::new(HashAlg::Sha256, &secret)
            .unwrap()
            .next()
            .unwrap();
        // The record after a KeyUpdate, sealed under the next secret at sequence 0.
        let after = seal13(next.as_bytes(), 0, b"after\x17");

        let mut c = RecordDecrypter::tls13(suite(0x1301), &secret).unwrap();
        assert_eq!(
            open(&mut c, &rfc8448::CLIENT_APP_RECORD).unwrap().1,
            rfc8448::payload()
        );
        assert_eq!(c.sequence(), 1);
        // Before the update the new record does not open.
        assert!(open(&mut c, &after).is_err());
        c.key_update().unwrap();
        assert_eq!(c.sequence(), 0);
        assert_eq!(open(&mut c, &after).unwrap(), (23, b"after".to_vec()));
        assert_eq!(c.sequence(), 1);

        let (mut t12, _) = tls12(&T12_AES128);
        assert_eq!(t12.key_update(), Err(CryptoError::KeyUpdateInTls12));
    }

    #[test]
    fn constructors_check_the_version() {
        assert!(matches!(
            RecordDecrypter::tls13(suite(0xc02f), &[0; 32]),
            Err(CryptoError::WrongVersion { .. })
        ));
        assert!(matches!(
            RecordDecrypter::tls12_pair(suite(0x1301), &[0; 48], &[0; 32], &[0; 32]),
            Err(CryptoError::WrongVersion { .. })
        ));
        assert!(matches!(
            RecordDecrypter::tls12_pair(suite(0xc02f), &[0; 47], &[0; 32], &[0; 32]),
            Err(CryptoError::SecretLength {
                expected: 48,
                got: 47,
                ..
            })
        ));
    }

    #[test]
    fn suite_table() {
        assert_eq!(
            supported_suite(0x1303).unwrap().aead,
            Aead::ChaCha20Poly1305
        );
        assert_eq!(supported_suite(0xc030).unwrap().hash, HashAlg::Sha384);
        assert!(!supported_suite(0xc030).unwrap().tls13);
        assert!(supported_suite(0x002f).is_none());
        assert_eq!(suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
        assert_eq!(suite_name(0xc013), "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
        assert_eq!(suite_name(0x000a), "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
        assert_eq!(suite_name(0x0a0a), "0x0a0a");
        for s in &SUITES {
            assert_eq!(suite_name(s.id), s.name);
            assert!(!OTHER_SUITE_NAMES.iter().any(|(id, _)| *id == s.id));
            assert_eq!(
                s.tls13,
                s.name.starts_with("TLS_AES") || s.name.starts_with("TLS_CHACHA")
            );
        }
    }

    // ---- Real TLS 1.3 sessions: OpenSSL 3.0 s_client/s_server on loopback, key log from
    // s_client -keylogfile, records from tcpdump. EncryptedExtensions is the server's first
    // handshake record, Finished the client's; the application records are the first under
    // traffic secret 0 (s_server -num_tickets 0, so no NewSessionTicket precedes them).

    struct Tls13Session {
        suite: u16,
        client_hs: &'static [u8],
        server_hs: &'static [u8],
        client_app: &'static [u8],
        server_app: &'static [u8],
        server_ee: &'static [u8],
        client_finished: &'static [u8],
        client_record: &'static [u8],
        server_record: &'static [u8],
    }

    const T13_CHACHA: Tls13Session = Tls13Session {
        suite: 0x1303,
        client_hs: &hex!("9f693c3cc6d9ee4a96e863a302eb7fcc4a7d0ae3e6b6902b385ad9a186a603db"),
        server_hs: &hex!("3c93d703ba9f806caaded4f289e421f2f9defabdb6d49f2b733e3aa3eaf2ae9a"),
        client_app: &hex!("cd780358edeb3220176f8f09af7a3e7fb08674b06c845ae114d78cd3fc95dcb1"),
        server_app: &hex!("ba0c28c2028485bb392acb72ed8711a7e3793c1656b9773c6e37cc256bb020a1"),
        server_ee: &hex!("1703030017e50ec0b186d43cea5543159116a918ddec8b95333a1853"),
        client_finished: &hex!(
            "170303003592c918758b6ca04c5c3609aa8f4b133d59c2bad46e4488c77f8f10b723f0d52e"
            "15fd7d78a52cf4b6d3015229a59d2ee804d462392d"
        ),
        client_record: &hex!(
            "17030300349891b6b0aa4e39e4a1878a3e2aeadd498642162a3de3bc2f01c5762f439f7aea"
            "e91ae284c2862bbfd6b2ff6e7ba8247a1a819daa"
        ),
        server_record: &hex!(
            "170303002747743abc823fe8699ff71f475bb8ab2637312d192131412fd200b1665460955a"
            "8daaaea96be2f0"
        ),
    };

    const T13_AES256: Tls13Session = Tls13Session {
        suite: 0x1302,
        client_hs: &hex!(
            "799bebf8106c838d2c2460a7031b85cae7e9a4f0a52674b4779155dd9982d52d"
            "ad8ca3317605e83612fbf04875ce6103"
        ),
        server_hs: &hex!(
            "da4605af0357bbbae6707157f736bf3e9409739fb3866f9a0024435b184b8667"
            "646cecaf6e2fcc326ae8a69d166b4dc5"
        ),
        client_app: &hex!(
            "45c78dd9874759a5070e15c01d6bc308b3649093d74fbe594b7888da34147ee4"
            "09e2c34440afbbe9090dadf4bab326b7"
        ),
        server_app: &hex!(
            "a46c1c7fa101ae7e2b8ed32af43a12f8c553b3ab6469d28a31faef3821b9b660"
            "0ef9ebb23e2552ba673014f2e72d17e0"
        ),
        server_ee: &hex!("1703030017e7295bcb79b53727fc005349b55f1867d302a516c5971f"),
        client_finished: &hex!(
            "1703030045e55001dc5bfe2ad3d3b7f051ee2752a485ad8ccb0381f73e904aef9d9e80c517"
            "85d01d7d43ff1c14aafc0784b423bec72c73fd7f8e7208379bf2b805ca6520f1c8fcc17707"
        ),
        client_record: &hex!(
            "17030300345a2063742353f20a60f0a40482d8c3de9dfc1fec43fc8e2fd1b7456dee4d4917"
            "47bd72abc320aa00595cd57095ee0ef699089bf5"
        ),
        server_record: &hex!(
            "1703030027f07eb8045179bd512d2a6ef18587d1d20042e58d2354f445e5ba80a78de61565"
            "f454d429928931"
        ),
    };

    fn check_tls13_session(s: &Tls13Session) {
        let suite = suite(s.suite);
        let hash_len = if suite.hash == HashAlg::Sha384 {
            48
        } else {
            32
        };
        let mut d = RecordDecrypter::tls13(suite, s.server_hs).unwrap();
        // EncryptedExtensions with an empty extension list.
        assert_eq!(
            open(&mut d, s.server_ee).unwrap(),
            (22, vec![8, 0, 0, 2, 0, 0])
        );
        let mut d = RecordDecrypter::tls13(suite, s.client_hs).unwrap();
        let (ty, fin) = open(&mut d, s.client_finished).unwrap();
        assert_eq!((ty, fin.len()), (22, 4 + hash_len));
        assert_eq!(fin[..4], [20, 0, 0, hash_len as u8]);
        let mut d = RecordDecrypter::tls13(suite, s.client_app).unwrap();
        assert_eq!(open(&mut d, s.client_record).unwrap(), (23, GET.to_vec()));
        let mut d = RecordDecrypter::tls13(suite, s.server_app).unwrap();
        assert_eq!(open(&mut d, s.server_record).unwrap(), (23, HELLO.to_vec()));
    }

    #[test]
    fn real_tls13_chacha20_poly1305_session() {
        check_tls13_session(&T13_CHACHA);
    }

    #[test]
    fn real_tls13_aes256_gcm_sha384_session() {
        check_tls13_session(&T13_AES256);
    }

    // ---- Real TLS 1.2 sessions (same setup, `-tls1_2 -cipher ...`). The encrypted Finished
    // is record 0 of each direction, the first application record is record 1.

    struct Tls12Session {
        suite: u16,
        client_random: [u8; 32],
        server_random: [u8; 32],
        master_secret: [u8; 48],
        client_finished: &'static [u8],
        client_record: &'static [u8],
        client_plain: &'static [u8],
        server_finished: &'static [u8],
        server_record: &'static [u8],
    }

    const T12_AES128: Tls12Session = Tls12Session {
        suite: 0xc02f,
        client_random: hex!("3daa45c86b3ab10820553e49085ddaa5ba2302823d98b17b6e28176d33a20733"),
        server_random: hex!("50084020f70825cd4c9606f1b4a88f244e61174d32073f888090f29c35b33aa0"),
        master_secret: hex!(
            "06dfd74ec2ec6a48e20ca353cba1a40c7da7f8ea561a68694def034bdafd3536"
            "55ac0eda6b4f8fcd48cbf8bc86b3185f"
        ),
        client_finished: &hex!(
            "16030300282b1a3a12e1f0f5300b7552cac62757b616d82896c5d06083b12c45cc0d0fe0b3"
            "3bd19b1891303aab"
        ),
        client_record: &hex!(
            "17030300282b1a3a12e1f0f5316442ded54da27366a67be173fd8c8b4402ee01d35de38b3b"
            "9560ae4ad937c619"
        ),
        client_plain: b"GET / HTTP/1.1\r\n",
        server_finished: &hex!(
            "160303002868a16dacd760fa38ce6aa702723c25761db1b66818d903789dabd1241672d1eb"
            "0d1006755a2e404f"
        ),
        server_record: &hex!(
            "170303002e68a16dacd760fa391094d2fba821adeba906a8b93cbc6d95609bc9af385d0321"
            "2142ab8d8c98877d51a63c4d876c"
        ),
    };

    const T12_AES256: Tls12Session = Tls12Session {
        suite: 0xc030,
        client_random: hex!("ce4d99a479e2c1683bac23c34babf0d9a7d30ca81dfa40e9490039077e9d624b"),
        server_random: hex!("cc676af423796e11b86cfc5668af7d6daafdc95db6b87747f20147f8bcfbf3b3"),
        master_secret: hex!(
            "fe33d9c35b6c48ed221abbe2944f9efaa680d4142d4988f4366f4051916192f5"
            "57715fe941d761cae37cc60689ca1322"
        ),
        client_finished: &hex!(
            "160303002815d7b9c4fda2fa8d753db66aca824ae56f61d038407f3a499a5ff2d92a765a27"
            "d0b766f4d0b6e616"
        ),
        client_record: &hex!(
            "170303002815d7b9c4fda2fa8ef90343533944c74ccfa6ce7d7479b5b327c069200d6918a7"
            "a6bb67d401e43402"
        ),
        client_plain: b"GET / HTTP/1.1\r\n",
        server_finished: &hex!(
            "1603030028d406778ef430b75268440ae64eaf6f9df3670cc47a061d8066e8029e590a6141"
            "54288a07f481a9e1"
        ),
        server_record: &hex!(
            "170303002ed406778ef430b75318b1bba23f14c95279725ae60c1daff701575ca8ea86c01d"
            "1204e66ab255538823fe46b04f37"
        ),
    };

    const T12_CHACHA: Tls12Session = Tls12Session {
        suite: 0xcca8,
        client_random: hex!("0a021fb4f34f3ce3aff80e26846a11bc5c5c1391126897824a00fd015041588a"),
        server_random: hex!("27dcab9ef0dd4324525e6022cefc10a1366445d71a80f28ab9ae64f6c63e6844"),
        master_secret: hex!(
            "67a14a8014205637a44f8061aa633ac1427ecce5656453845b844952885ec959"
            "11c81ec8c0c66079ddbe04d1834d4f1e"
        ),
        client_finished: &hex!(
            "1603030020b3cd37bcf655932dfb348f199df6191e90e19af6257b4963e7a24cf6ba057830"
        ),
        client_record: &hex!(
            "17030300334a7621ca04edb1515af14e739f6e0261ab2764603efbdce7d3f095812defab3a"
            "14b1952d53fd71bb8d3824bf8d60a9d47b9a0b"
        ),
        client_plain: GET,
        server_finished: &hex!(
            "160303002088170f1f424fbfc47eaf7765ef0e0196982c12bde9fea22a723417627aac5372"
        ),
        server_record: &hex!(
            "170303002634ed018828a6c9979edce731d41e1ec427c15b9f50d5ee95d1eb331fcdc4e8d2"
            "0ac410e9dfd2"
        ),
    };

    fn tls12(s: &Tls12Session) -> (RecordDecrypter, RecordDecrypter) {
        RecordDecrypter::tls12_pair(
            suite(s.suite),
            &s.master_secret,
            &s.client_random,
            &s.server_random,
        )
        .unwrap()
    }

    fn check_tls12_session(s: &Tls12Session) {
        let (mut c, mut sv) = tls12(s);
        for (d, finished) in [(&mut c, s.client_finished), (&mut sv, s.server_finished)] {
            // Finished: handshake type 20, 12 bytes of verify_data.
            let (ty, plain) = open(d, finished).unwrap();
            assert_eq!(ty, 22);
            assert_eq!(plain[..4], [20, 0, 0, 12]);
            assert_eq!(plain.len(), 16);
        }
        assert_eq!(
            open(&mut c, s.client_record).unwrap(),
            (23, s.client_plain.to_vec())
        );
        assert_eq!(
            open(&mut sv, s.server_record).unwrap(),
            (23, HELLO.to_vec())
        );
        assert_eq!((c.sequence(), sv.sequence()), (2, 2));
    }

    #[test]
    fn real_tls12_aes128_gcm_session() {
        check_tls12_session(&T12_AES128);
    }

    #[test]
    fn real_tls12_aes256_gcm_sha384_session() {
        check_tls12_session(&T12_AES256);
    }

    #[test]
    fn real_tls12_chacha20_poly1305_session() {
        check_tls12_session(&T12_CHACHA);
    }

    #[test]
    fn tls12_failures() {
        for s in [&T12_AES128, &T12_CHACHA] {
            // Directions swapped: the client's Finished under the server's keys.
            let (_, mut sv) = tls12(s);
            assert_eq!(
                open(&mut sv, s.client_finished),
                Err(CryptoError::Authentication { sequence: 0 })
            );
            // Sequence 1 record at sequence 0 (the AAD carries the sequence number).
            let (mut c, _) = tls12(s);
            assert!(open(&mut c, s.client_record).is_err());
            // Tampered tag, body left intact.
            let (mut c, _) = tls12(s);
            let header: [u8; 5] = s.client_finished[..5].try_into().unwrap();
            let mut body = s.client_finished[5..].to_vec();
            *body.last_mut().unwrap() ^= 0x80;
            let before = body.clone();
            assert!(c.open(&header, &mut body).is_err());
            assert_eq!(body, before);
            assert_eq!(c.sequence(), 0);
            // The header's type is authenticated.
            let mut record = s.client_finished.to_vec();
            record[0] = 23;
            let (mut c, _) = tls12(s);
            assert!(open(&mut c, &record).is_err());
            // A wrong master secret.
            let mut wrong = s.master_secret;
            wrong[0] ^= 1;
            let (mut c, _) = RecordDecrypter::tls12_pair(
                suite(s.suite),
                &wrong,
                &s.client_random,
                &s.server_random,
            )
            .unwrap();
            assert!(open(&mut c, s.client_finished).is_err());
        }
    }

    #[test]
    fn random_bodies_never_panic() {
        // A cheap deterministic generator: every length from 0 to 600 against each suite.
        let mut x: u32 = 0x1234_5678;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        };
        for id in [0x1301, 0x1302, 0x1303] {
            let s = suite(id);
            let secret = vec![7u8; if s.hash == HashAlg::Sha384 { 48 } else { 32 }];
            let mut d = RecordDecrypter::tls13(s, &secret).unwrap();
            for len in 0..600usize {
                let mut body: Vec<u8> = (0..len).map(|_| next()).collect();
                let [hi, lo] = (len as u16).to_be_bytes();
                assert!(d.open(&[23, 3, 3, hi, lo], &mut body).is_err());
            }
        }
        for id in [0xc02f, 0xc030, 0xcca8] {
            let (mut c, _) =
                RecordDecrypter::tls12_pair(suite(id), &[1; 48], &[2; 32], &[3; 32]).unwrap();
            for len in 0..600usize {
                let mut body: Vec<u8> = (0..len).map(|_| next()).collect();
                let [hi, lo] = (len as u16).to_be_bytes();
                assert!(c.open(&[23, 3, 3, hi, lo], &mut body).is_err());
            }
        }
    }
}
