//! Key derivation: from the secrets a key log gives to the AEAD keys and IVs of one
//! direction of a connection. Owns the TLS 1.3 HKDF-Expand-Label and the TLS 1.2 PRF, and
//! nothing else: no record handling (see `crypto`).
//!
//! Each kind of secret has its own type, so that a TLS 1.2 master secret can never be used
//! where a TLS 1.3 traffic secret is expected (or the reverse), and a secret always travels
//! with the hash its schedule was built on:
//!
//! - [`TrafficSecret`]: a TLS 1.3 `[sender]_handshake_traffic_secret` or
//!   `[sender]_application_traffic_secret_N`, length checked against the suite's hash;
//! - [`MasterSecret`]: a TLS 1.2 master secret, always 48 bytes;
//! - [`WriteKeys`]: what either one yields for one direction: the AEAD key and the IV bytes.
//!
//! RFC 8446 §7.1 (Key Schedule):
//!
//! > HKDF-Expand-Label(Secret, Label, Context, Length) =
//! >      HKDF-Expand(Secret, HkdfLabel, Length)
//! >
//! > Where HkdfLabel is specified as:
//! >
//! > struct {
//! >     uint16 length = Length;
//! >     opaque label<7..255> = "tls13 " + Label;
//! >     opaque context<0..255> = Context;
//! > } HkdfLabel;
//!
//! RFC 8446 §7.2 (Updating Traffic Secrets):
//!
//! > application_traffic_secret_N+1 =
//! >     HKDF-Expand-Label(application_traffic_secret_N,
//! >                       "traffic upd", "", Hash.length)
//!
//! RFC 8446 §7.3 (Traffic Key Calculation):
//!
//! > [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
//! > [sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length)
//!
//! RFC 5246 §5 (HMAC and the Pseudorandom Function):
//!
//! > P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
//! >                        HMAC_hash(secret, A(2) + seed) + ...
//! >
//! > A(0) = seed
//! > A(i) = HMAC_hash(secret, A(i-1))
//! >
//! > PRF(secret, label, seed) = `P_<hash>`(secret, label + seed)
//!
//! RFC 5246 §6.3 (Key Calculation):
//!
//! > key_block = PRF(SecurityParameters.master_secret,
//! >                 "key expansion",
//! >                 SecurityParameters.server_random +
//! >                 SecurityParameters.client_random);
//! >
//! > client_write_MAC_key[SecurityParameters.mac_key_length]
//! > server_write_MAC_key[SecurityParameters.mac_key_length]
//! > client_write_key[SecurityParameters.enc_key_length]
//! > server_write_key[SecurityParameters.enc_key_length]
//! > client_write_IV[SecurityParameters.fixed_iv_length]
//! > server_write_IV[SecurityParameters.fixed_iv_length]
//!
//! AEAD suites have no MAC keys; `fixed_iv_length` is 4 for AES-GCM (the salt, RFC 5288 §3)
//! and 12 for ChaCha20-Poly1305 (RFC 7905 §2).

use crate::crypto::{Aead, CryptoError, HashAlg};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};

/// The longest hash output the supported suites use (SHA-384).
const MAX_HASH_LEN: usize = 48;
/// The longest AEAD key the supported suites use (AES-256, ChaCha20).
const MAX_KEY_LEN: usize = 32;
/// Length of a TLS 1.2 master secret (RFC 5246 §8.1).
pub(crate) const MASTER_SECRET_LEN: usize = 48;

impl HashAlg {
    /// Output length of the hash in bytes.
    pub(crate) fn len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }
}

impl Aead {
    /// Key length in bytes.
    pub(crate) fn key_len(self) -> usize {
        match self {
            Aead::Aes128Gcm => 16,
            Aead::Aes256Gcm | Aead::ChaCha20Poly1305 => 32,
        }
    }

    /// `fixed_iv_length` of the TLS 1.2 key block: 4 for AES-GCM (RFC 5288 §3), 12 for
    /// ChaCha20-Poly1305 (RFC 7905 §2).
    pub(crate) fn tls12_fixed_iv_len(self) -> usize {
        match self {
            Aead::Aes128Gcm | Aead::Aes256Gcm => 4,
            Aead::ChaCha20Poly1305 => 12,
        }
    }
}

/// The AEAD key and IV bytes of one direction. For TLS 1.3 and TLS 1.2 ChaCha20-Poly1305 `iv`
/// is the full 12-byte IV; for TLS 1.2 AES-GCM only its first 4 bytes (the salt) are set.
#[derive(Clone)]
pub(crate) struct WriteKeys {
    key: [u8; MAX_KEY_LEN],
    key_len: usize,
    /// The IV (or, for TLS 1.2 AES-GCM, the salt in the first 4 bytes, zeros after).
    pub(crate) iv: [u8; 12],
}

impl WriteKeys {
    /// The key bytes (16 or 32).
    pub(crate) fn key(&self) -> &[u8] {
        self.key.get(..self.key_len).unwrap_or(&self.key)
    }
}

/// A TLS 1.3 traffic secret (handshake or application) together with its hash.
#[derive(Clone)]
pub(crate) struct TrafficSecret {
    hash: HashAlg,
    bytes: [u8; MAX_HASH_LEN],
}

impl TrafficSecret {
    /// Takes a secret from a key log; it must be exactly `hash.len()` bytes.
    pub(crate) fn new(hash: HashAlg, secret: &[u8]) -> Result<TrafficSecret, CryptoError> {
        if secret.len() != hash.len() {
            return Err(CryptoError::SecretLength {
                what: "TLS 1.3 traffic secret",
                expected: hash.len(),
                got: secret.len(),
            });
        }
        let mut bytes = [0u8; MAX_HASH_LEN];
        bytes[..secret.len()].copy_from_slice(secret);
        Ok(TrafficSecret { hash, bytes })
    }

    /// The secret's bytes (`hash.len()` of them).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.hash.len()]
    }

    /// The next application traffic secret (RFC 8446 §7.2, label "traffic upd").
    pub(crate) fn next(&self) -> Result<TrafficSecret, CryptoError> {
        let mut bytes = [0u8; MAX_HASH_LEN];
        let len = self.hash.len();
        expand_label(
            self.hash,
            self.as_bytes(),
            b"traffic upd",
            &mut bytes[..len],
        )?;
        Ok(TrafficSecret {
            hash: self.hash,
            bytes,
        })
    }

    /// The write key and IV for `aead` (RFC 8446 §7.3).
    pub(crate) fn keys(&self, aead: Aead) -> Result<WriteKeys, CryptoError> {
        let mut keys = WriteKeys {
            key: [0; MAX_KEY_LEN],
            key_len: aead.key_len(),
            iv: [0; 12],
        };
        expand_label(
            self.hash,
            self.as_bytes(),
            b"key",
            &mut keys.key[..aead.key_len()],
        )?;
        expand_label(self.hash, self.as_bytes(), b"iv", &mut keys.iv)?;
        Ok(keys)
    }
}

/// HKDF-Expand-Label with an empty context (all uses in the record layer), RFC 8446 §7.1.
fn expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    const PREFIX: &[u8] = b"tls13 ";
    let length = u16::try_from(out.len())
        .map_err(|_| CryptoError::Derivation("HKDF-Expand-Label output length"))?
        .to_be_bytes();
    let label_len = [u8::try_from(PREFIX.len() + label.len())
        .map_err(|_| CryptoError::Derivation("HKDF-Expand-Label label length"))?];
    let info: [&[u8]; 5] = [&length, &label_len, PREFIX, label, &[0]];
    let expanded = match hash {
        HashAlg::Sha256 => Hkdf::<Sha256>::from_prk(secret)
            .map_err(|_| CryptoError::Derivation("HKDF PRK (SHA-256)"))?
            .expand_multi_info(&info, out),
        HashAlg::Sha384 => Hkdf::<Sha384>::from_prk(secret)
            .map_err(|_| CryptoError::Derivation("HKDF PRK (SHA-384)"))?
            .expand_multi_info(&info, out),
    };
    expanded.map_err(|_| CryptoError::Derivation("HKDF-Expand output length"))
}

/// A TLS 1.2 master secret (48 bytes).
#[derive(Clone)]
pub(crate) struct MasterSecret([u8; MASTER_SECRET_LEN]);

impl MasterSecret {
    /// Takes a master secret from a key log; it must be exactly 48 bytes.
    pub(crate) fn new(secret: &[u8]) -> Result<MasterSecret, CryptoError> {
        let bytes =
            <[u8; MASTER_SECRET_LEN]>::try_from(secret).map_err(|_| CryptoError::SecretLength {
                what: "TLS 1.2 master secret",
                expected: MASTER_SECRET_LEN,
                got: secret.len(),
            })?;
        Ok(MasterSecret(bytes))
    }

    /// The (client_write, server_write) keys of an AEAD suite from the key block
    /// (RFC 5246 §6.3; the MAC keys are empty for AEAD ciphers).
    pub(crate) fn key_block(
        &self,
        hash: HashAlg,
        aead: Aead,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Result<(WriteKeys, WriteKeys), CryptoError> {
        let key_len = aead.key_len();
        let iv_len = aead.tls12_fixed_iv_len();
        let mut block = [0u8; 2 * (MAX_KEY_LEN + 12)];
        let block = &mut block[..2 * (key_len + iv_len)];
        prf(
            hash,
            &self.0,
            b"key expansion",
            &[server_random, client_random],
            block,
        )?;
        let (keys, ivs) = block.split_at(2 * key_len);
        let (client_key, server_key) = keys.split_at(key_len);
        let (client_iv, server_iv) = ivs.split_at(iv_len);
        let make = |key: &[u8], iv: &[u8]| {
            let mut keys = WriteKeys {
                key: [0; MAX_KEY_LEN],
                key_len,
                iv: [0; 12],
            };
            keys.key[..key_len].copy_from_slice(key);
            keys.iv[..iv_len].copy_from_slice(iv);
            keys
        };
        Ok((make(client_key, client_iv), make(server_key, server_iv)))
    }
}

/// The TLS 1.2 PRF, RFC 5246 §5: `P_hash(secret, label + seed)` with the seed given in parts.
fn prf(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    seed: &[&[u8]],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    match hash {
        HashAlg::Sha256 => p_hash::<Hmac<Sha256>>(secret, label, seed, out),
        HashAlg::Sha384 => p_hash::<Hmac<Sha384>>(secret, label, seed, out),
    }
}

fn p_hash<M: Mac + hmac::digest::KeyInit + Clone>(
    secret: &[u8],
    label: &[u8],
    seed: &[&[u8]],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    let keyed = <M as hmac::digest::KeyInit>::new_from_slice(secret)
        .map_err(|_| CryptoError::Derivation("HMAC key for the TLS 1.2 PRF"))?;
    let with_seed = |mut mac: M| {
        mac.update(label);
        for part in seed {
            mac.update(part);
        }
        mac.finalize().into_bytes()
    };
    // A(1) = HMAC(secret, A(0)) with A(0) = label + seed.
    let mut a = with_seed(keyed.clone());
    for chunk in out.chunks_mut(a.len()) {
        let mut mac = keyed.clone();
        mac.update(&a);
        let block = with_seed(mac);
        chunk.copy_from_slice(&block[..chunk.len()]);
        let mut mac = keyed.clone();
        mac.update(&a);
        a = mac.finalize().into_bytes();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    // RFC 8448 §3 (Simple 1-RTT Handshake), TLS_AES_128_GCM_SHA256.
    const SERVER_HS_SECRET: [u8; 32] =
        hex!("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
    const CLIENT_APP_SECRET: [u8; 32] =
        hex!("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5");

    #[test]
    fn rfc8448_server_handshake_key_and_iv() {
        let secret = TrafficSecret::new(HashAlg::Sha256, &SERVER_HS_SECRET).unwrap();
        let keys = secret.keys(Aead::Aes128Gcm).unwrap();
        assert_eq!(keys.key(), hex!("3fce516009c21727d0f2e4e86ee403bc"));
        assert_eq!(keys.iv, hex!("5d313eb2671276ee13000b30"));
    }

    #[test]
    fn rfc8448_client_application_key_and_iv() {
        let secret = TrafficSecret::new(HashAlg::Sha256, &CLIENT_APP_SECRET).unwrap();
        let keys = secret.keys(Aead::Aes128Gcm).unwrap();
        assert_eq!(keys.key(), hex!("17422dda596ed5d9acd890e3c63f5051"));
        assert_eq!(keys.iv, hex!("5b78923dee08579033e523d9"));
    }

    #[test]
    fn traffic_secret_length_must_match_hash() {
        let err = TrafficSecret::new(HashAlg::Sha384, &SERVER_HS_SECRET)
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "TLS 1.3 traffic secret is 32 bytes; the suite's hash needs 48"
        );
        assert!(TrafficSecret::new(HashAlg::Sha256, &[]).is_err());
    }

    #[test]
    fn key_update_changes_the_secret() {
        let secret = TrafficSecret::new(HashAlg::Sha256, &CLIENT_APP_SECRET).unwrap();
        let next = secret.next().unwrap();
        assert_ne!(next.as_bytes(), secret.as_bytes());
        assert_eq!(next.as_bytes().len(), 32);
        // Deterministic: the same secret always updates to the same next one.
        assert_eq!(next.as_bytes(), secret.next().unwrap().as_bytes());
    }

    #[test]
    fn master_secret_must_be_48_bytes() {
        assert!(MasterSecret::new(&[0; 47]).is_err());
        assert!(MasterSecret::new(&[0; 49]).is_err());
        assert!(MasterSecret::new(&[0; 48]).is_ok());
    }

    /// The TLS 1.2 PRF (SHA-256) test vector circulated on the IETF TLS list (and used by
    /// several implementations' test suites).
    #[test]
    fn prf_sha256_vector() {
        let secret = hex!("9bbe436ba940f017b17652849a71db35");
        let seed = hex!("a0ba9f936cda311827a6f796ffd5198c");
        let mut out = [0u8; 100];
        prf(HashAlg::Sha256, &secret, b"test label", &[&seed], &mut out).unwrap();
        assert_eq!(
            out,
            hex!(
                "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
                "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
                "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
                "87347b66"
            )
        );
    }
}
