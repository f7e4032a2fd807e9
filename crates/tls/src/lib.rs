//! TLS over reassembled byte streams: the record layer, handshake messages and the facts
//! they carry (versions, suites, SNI, ALPN, certificates, alerts), NSS key logs, and
//! decryption of TLS 1.2 and 1.3 records, so that decrypted application data can enter the
//! HTTP layer exactly like plaintext. Sans-IO: bytes and time come in, events go out.

mod cert;
mod codec;
mod conn;
mod crypto;
#[doc(hidden)]
pub mod fuzzing;
mod handshake;
mod keylog;
mod record;
#[cfg(test)]
mod rfc8448;
mod schedule;

pub use codec::TlsError;
pub use conn::{TlsConnection, TlsEvent};
pub use handshake::alert_code;
pub use keylog::{KeyLog, KeyLogStats, SessionSecrets};
pub use record::looks_like_client_hello;
