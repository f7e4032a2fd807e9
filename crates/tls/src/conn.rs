//! One TLS connection, both directions: records in, handshake facts and decrypted
//! application data out.
//!
//! The state machine follows the handshake only as far as a passive observer must:
//! - ClientHello and ServerHello (always in clear) give the randoms, version, suite, SNI,
//!   ALPN, and whether the session is resumed or retried (HelloRetryRequest).
//! - TLS 1.2 (RFC 5246 §7.1, §7.3): after a ChangeCipherSpec in a direction, that
//!   direction's records are encrypted with keys from the master secret (key log
//!   `CLIENT_RANDOM`); the first of them is its Finished. An abbreviated (resumed) handshake
//!   is one where the server's ChangeCipherSpec follows its ServerHello directly.
//! - TLS 1.3 (RFC 8446 §2, §7.1): after the ServerHello every record is encrypted; each
//!   direction moves through key epochs — early data (client only), handshake, application
//!   — and switches to the application epoch after its own Finished. A record that fails
//!   with the current epoch is tried with the later ones (how a passive observer copes with
//!   0-RTT data that the server rejected), and KeyUpdate moves to the next secret.
//!   ChangeCipherSpec records in TLS 1.3 are the compatibility ones (RFC 8446 §5): skipped.
//!
//! Without keys nothing is invented: records and bytes are counted, the handshake's end is
//! taken from the records' positions (TLS 1.3: the client's first encrypted record is its
//! Finished), and unreadable application data is reported as a gap of the ciphertext's
//! length, so the layer above knows bytes were there.
//!
//! Invariant: plaintext offsets per direction are contiguous; each application data record
//! is delivered as plaintext or reported as a gap. After a hole in the TCP stream the record
//! boundaries of that direction are lost and parsing of it stops (reported as a gap).

use crate::crypto::{self, RecordDecrypter, Suite};
use crate::handshake::{self, HandshakeType};
use crate::keylog::KeyLog;
use crate::record::{self, ContentType, RecordHeader, HEADER_LEN};
use model::{Decryption, Direction, Timestamp, TlsAlert, TlsInfo};

/// Bytes of an incomplete record kept per direction: one record at most.
const MAX_PENDING: usize = HEADER_LEN + record::MAX_RECORD_BODY;

/// What a TLS connection hands to the protocol above it.
#[derive(Debug, PartialEq, Eq)]
pub enum TlsEvent<'a> {
    /// Decrypted application data at `offset` in the direction's plaintext stream.
    Plaintext {
        /// Who sent it.
        dir: Direction,
        /// When the record carrying it was captured.
        ts: Timestamp,
        /// Position in the plaintext stream of that direction.
        offset: u64,
        /// The bytes.
        data: &'a [u8],
    },
    /// Application data that could not be read (no keys, failed decryption, lost records):
    /// about `len` bytes (the ciphertext's length) are missing at `offset`.
    Gap {
        /// Who sent it.
        dir: Direction,
        /// When it was seen.
        ts: Timestamp,
        /// Position in the plaintext stream of that direction.
        offset: u64,
        /// Bytes missing.
        len: u64,
    },
}

/// Key epochs of one direction in TLS 1.3, in the order they are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Epoch {
    Early,
    Handshake,
    Application,
}

const EPOCHS: [Epoch; 3] = [Epoch::Early, Epoch::Handshake, Epoch::Application];

#[derive(Default)]
struct Side {
    /// Bytes of an incomplete record carried to the next `data` call.
    pending: Vec<u8>,
    /// Handshake messages, in clear or decrypted.
    handshake: handshake::HandshakeReader,
    /// TLS 1.2: a ChangeCipherSpec was seen; records are encrypted from now on.
    cipher_changed: bool,
    /// Encrypted records seen in this direction.
    encrypted_records: u64,
    /// Decryption state, with the TLS 1.3 epoch it belongs to.
    decrypter: Option<(Epoch, RecordDecrypter)>,
    /// Plaintext delivered or reported missing so far.
    offset: u64,
    /// Record boundaries lost (a hole in the stream, or bytes that are not records).
    lost: bool,
    /// When this direction's Finished was seen.
    finished: Option<Timestamp>,
}

/// The TLS state of one connection.
pub struct TlsConnection {
    info: TlsInfo,
    sides: [Side; 2],
    client_random: Option<[u8; 32]>,
    server_random: Option<[u8; 32]>,
    client_session_id: Vec<u8>,
    /// The negotiated suite, when httpscope can decrypt it.
    suite: Option<&'static Suite>,
    /// Negotiated protocol version (0 until the ServerHello).
    version: u16,
    /// The server sent Certificate, ServerKeyExchange or ServerHelloDone (a full TLS 1.2
    /// handshake).
    server_flight: bool,
    /// Keys for this session were found in the key log.
    keys_found: bool,
    /// Reusable buffer for decryption in place.
    scratch: Vec<u8>,
    failed_records: u64,
    first_failure: Option<String>,
}

impl Default for TlsConnection {
    fn default() -> Self {
        TlsConnection::new()
    }
}

impl TlsConnection {
    /// A connection whose first client bytes looked like a ClientHello.
    pub fn new() -> TlsConnection {
        TlsConnection {
            info: TlsInfo::default(),
            sides: [Side::default(), Side::default()],
            client_random: None,
            server_random: None,
            client_session_id: Vec::new(),
            suite: None,
            version: 0,
            server_flight: false,
            keys_found: false,
            scratch: Vec::new(),
            failed_records: 0,
            first_failure: None,
        }
    }

    /// The facts gathered so far.
    pub fn info(&self) -> &TlsInfo {
        &self.info
    }

    /// The client random of the session, once the ClientHello was seen.
    pub fn client_random(&self) -> Option<&[u8; 32]> {
        self.client_random.as_ref()
    }

    fn tls13(&self) -> bool {
        self.version == 0x0304
    }

    /// Bytes of one direction of the TCP stream.
    pub fn data(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        data: &[u8],
        keys: &KeyLog,
        out: &mut impl FnMut(TlsEvent<'_>),
    ) {
        let i = dir.index();
        if self.sides[i].lost {
            return;
        }
        if self.sides[i].pending.is_empty() {
            let used = self.records(dir, ts, data, keys, out);
            self.keep(dir, ts, data.get(used..).unwrap_or_default(), out);
        } else {
            // Appending keeps each byte of a record spread over segments copied once.
            let mut buf = std::mem::take(&mut self.sides[i].pending);
            buf.extend_from_slice(data);
            let used = self.records(dir, ts, &buf, keys, out);
            if !self.sides[i].lost {
                buf.drain(..used.min(buf.len()));
                if buf.len() > MAX_PENDING {
                    self.lose(dir, ts, buf.len() as u64, out);
                } else {
                    self.sides[i].pending = buf;
                }
            }
        }
    }

    /// Keeps the start of an incomplete record for the next call.
    fn keep(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        rest: &[u8],
        out: &mut impl FnMut(TlsEvent<'_>),
    ) {
        let side = &mut self.sides[dir.index()];
        if side.lost || rest.is_empty() {
            return;
        }
        if rest.len() > MAX_PENDING {
            self.lose(dir, ts, rest.len() as u64, out);
        } else {
            side.pending.extend_from_slice(rest);
        }
    }

    /// Handles the whole records at the start of `bytes`; returns the bytes they used.
    fn records(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        bytes: &[u8],
        keys: &KeyLog,
        out: &mut impl FnMut(TlsEvent<'_>),
    ) -> usize {
        let i = dir.index();
        let mut at = 0usize;
        while let Some(rest) = bytes.get(at..).filter(|r| !r.is_empty()) {
            let header = match record::parse_header(rest) {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => {
                    self.error(format!("{} record: {e}", dir_name(dir)));
                    self.lose(dir, ts, rest.len() as u64, out);
                    return at;
                }
            };
            let total = HEADER_LEN + usize::from(header.length);
            let Some(record) = rest.get(..total) else {
                break;
            };
            self.info.records[i] += 1;
            self.info.record_bytes[i] += total as u64;
            self.record(dir, ts, header, record, keys, out);
            at += total;
        }
        at
    }

    /// One complete record, header included.
    fn record(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        header: RecordHeader,
        record: &[u8],
        keys: &KeyLog,
        out: &mut impl FnMut(TlsEvent<'_>),
    ) {
        let i = dir.index();
        let body = record.get(HEADER_LEN..).unwrap_or_default();
        if header.content_type == ContentType::ChangeCipherSpec {
            // Before the ServerHello the version is unknown: a ChangeCipherSpec there is TLS
            // 1.3's compatibility one (after a HelloRetryRequest), never TLS 1.2's.
            if self.version != 0 && !self.tls13() {
                self.sides[i].cipher_changed = true;
                if dir == Direction::ServerToClient && !self.server_flight && self.version != 0 {
                    self.info.resumed = true;
                }
            }
            return;
        }
        let encrypted = if self.tls13() {
            self.server_random.is_some()
        } else {
            self.sides[i].cipher_changed
        };
        if !encrypted {
            match header.content_type {
                ContentType::Handshake => self.handshake_bytes(dir, ts, body, keys),
                ContentType::Alert => self.alert(dir, ts, body),
                ContentType::ApplicationData => self.unreadable(dir, ts, body.len() as u64, out),
                _ => {}
            }
            return;
        }
        self.sides[i].encrypted_records += 1;
        let first_encrypted = self.sides[i].encrypted_records == 1;
        if !self.tls13() {
            if first_encrypted {
                // RFC 5246 §7.4.9: the first record after ChangeCipherSpec is Finished.
                self.finished(dir, ts);
            } else if header.content_type == ContentType::ApplicationData {
                self.info.first_application_data.get_or_insert(ts);
            }
        }
        let mut head = [0u8; HEADER_LEN];
        head.copy_from_slice(record.get(..HEADER_LEN).unwrap_or(&[0; HEADER_LEN]));
        let mut scratch = std::mem::take(&mut self.scratch);
        match self.open(dir, &head, body, &mut scratch, keys) {
            Some((inner, plain)) => match ContentType::from_u8(inner) {
                ContentType::ApplicationData => {
                    self.info.first_application_data.get_or_insert(ts);
                    let offset = self.sides[i].offset;
                    self.sides[i].offset += plain.len() as u64;
                    out(TlsEvent::Plaintext {
                        dir,
                        ts,
                        offset,
                        data: &scratch[plain],
                    });
                }
                ContentType::Handshake => {
                    let bytes = scratch[plain].to_vec();
                    self.handshake_bytes(dir, ts, &bytes, keys);
                }
                ContentType::Alert => {
                    let bytes = scratch[plain].to_vec();
                    self.alert(dir, ts, &bytes);
                }
                _ => {}
            },
            None => self.unread_record(dir, ts, header, first_encrypted, body.len() as u64, out),
        }
        self.scratch = scratch;
    }

    /// An encrypted record that could not be read: keep what its position tells.
    fn unread_record(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        header: RecordHeader,
        first_encrypted: bool,
        len: u64,
        out: &mut impl FnMut(TlsEvent<'_>),
    ) {
        if header.content_type == ContentType::Alert {
            self.info.alerts.push(TlsAlert {
                at: ts,
                from: dir,
                level: "encrypted".into(),
                description: "encrypted".into(),
            });
            return;
        }
        let application = if self.tls13() {
            let client_finished = self.sides[0].finished.is_some();
            if dir == Direction::ClientToServer && !client_finished {
                // RFC 8446 §2: the client's first encrypted record is its Finished, unless it
                // offered 0-RTT data and sends it before the server's flight.
                if !(self.info.early_data_offered && self.sides[1].encrypted_records == 0) {
                    self.finished(dir, ts);
                }
                false
            } else {
                client_finished
            }
        } else {
            !first_encrypted
        };
        if application {
            self.info.first_application_data.get_or_insert(ts);
            self.unreadable(dir, ts, len, out);
        }
    }

    /// Decrypts `body` into `scratch`; the inner content type and the plaintext's range.
    fn open(
        &mut self,
        dir: Direction,
        header: &[u8; HEADER_LEN],
        body: &[u8],
        scratch: &mut Vec<u8>,
        keys: &KeyLog,
    ) -> Option<(u8, std::ops::Range<usize>)> {
        let i = dir.index();
        if self.sides[i].decrypter.is_none() && !self.install_keys(dir, keys) {
            return None;
        }
        let current = self.sides[i].decrypter.as_ref().map(|(e, _)| *e)?;
        let mut error = None;
        for epoch in EPOCHS {
            if epoch < current || (epoch > current && !self.tls13()) {
                continue;
            }
            let fresh = if epoch == current {
                None
            } else {
                Some(self.tls13_decrypter(dir, epoch, keys)?)
            };
            scratch.clear();
            scratch.extend_from_slice(body);
            let start = scratch.as_ptr() as usize;
            let result = match fresh {
                Some(mut d) => {
                    let r = d
                        .open(header, scratch)
                        .map(|(t, p)| (t, range_in(start, p)));
                    if r.is_ok() {
                        self.sides[i].decrypter = Some((epoch, d));
                    }
                    r
                }
                None => match &mut self.sides[i].decrypter {
                    Some((_, d)) => d
                        .open(header, scratch)
                        .map(|(t, p)| (t, range_in(start, p))),
                    None => return None,
                },
            };
            match result {
                Ok(found) => {
                    self.decrypted();
                    return Some(found);
                }
                Err(e) => {
                    error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        let detail = format!(
            "{} record {}: {}",
            dir_name(dir),
            self.info.records[i],
            error.unwrap_or_default()
        );
        self.decryption_failed(detail);
        None
    }

    /// Creates the decrypter for `dir` from the key log; false when it cannot be made (the
    /// reason is recorded in the facts).
    fn install_keys(&mut self, dir: Direction, keys: &KeyLog) -> bool {
        let (Some(suite), Some(random)) = (self.suite, self.client_random) else {
            return false;
        };
        let Some(secrets) = keys.secrets(&random) else {
            if !self.keys_found {
                self.info.decryption = Decryption::NoKeys;
            }
            return false;
        };
        if suite.tls13 {
            let early = dir == Direction::ClientToServer
                && self.info.early_data_offered
                && self.sides[1].encrypted_records == 0;
            let first = if early {
                Epoch::Early
            } else {
                Epoch::Handshake
            };
            for epoch in EPOCHS.into_iter().filter(|e| *e >= first) {
                if let Some(d) = self.tls13_decrypter(dir, epoch, keys) {
                    self.keys_found = true;
                    self.sides[dir.index()].decrypter = Some((epoch, d));
                    return true;
                }
            }
            self.info.decryption = Decryption::NoKeys;
            return false;
        }
        let (Some(master), Some(server_random)) = (&secrets.master_secret, &self.server_random)
        else {
            self.info.decryption = Decryption::NoKeys;
            return false;
        };
        match RecordDecrypter::tls12_pair(suite, master, &random, server_random) {
            Ok((mut client, mut server)) => {
                // Keys may come after records went by (a key log still being written): each
                // direction's next record is the one after those, counting its Finished as
                // record 0; `dir`'s current record is already counted.
                let next = |side: Direction| {
                    let seen = self.sides[side.index()].encrypted_records;
                    if side == dir {
                        seen.saturating_sub(1)
                    } else {
                        seen
                    }
                };
                client.skip_to(next(Direction::ClientToServer));
                server.skip_to(next(Direction::ServerToClient));
                self.keys_found = true;
                self.sides[0]
                    .decrypter
                    .get_or_insert((Epoch::Application, client));
                self.sides[1]
                    .decrypter
                    .get_or_insert((Epoch::Application, server));
                true
            }
            Err(e) => {
                self.decryption_failed(format!("key derivation: {e}"));
                false
            }
        }
    }

    /// The TLS 1.3 decrypter of one epoch, if its secret is in the key log.
    fn tls13_decrypter(
        &self,
        dir: Direction,
        epoch: Epoch,
        keys: &KeyLog,
    ) -> Option<RecordDecrypter> {
        let suite = self.suite.filter(|s| s.tls13)?;
        let secrets = keys.secrets(self.client_random.as_ref()?)?;
        let secret = match (dir, epoch) {
            (Direction::ClientToServer, Epoch::Early) => secrets.client_early.as_ref(),
            (Direction::ServerToClient, Epoch::Early) => None,
            (Direction::ClientToServer, Epoch::Handshake) => secrets.client_handshake.as_ref(),
            (Direction::ServerToClient, Epoch::Handshake) => secrets.server_handshake.as_ref(),
            (Direction::ClientToServer, Epoch::Application) => secrets.client_traffic_0.as_ref(),
            (Direction::ServerToClient, Epoch::Application) => secrets.server_traffic_0.as_ref(),
        }?;
        RecordDecrypter::tls13(suite, secret).ok()
    }

    /// Handshake bytes of `dir`, in clear or decrypted.
    fn handshake_bytes(&mut self, dir: Direction, ts: Timestamp, bytes: &[u8], keys: &KeyLog) {
        let i = dir.index();
        self.sides[i].handshake.push(bytes);
        loop {
            match self.sides[i].handshake.next_message() {
                Ok(Some((kind, body))) => {
                    if let Err(e) = self.handshake_message(dir, ts, kind, &body, keys) {
                        self.error(format!("{} {kind:?}: {e}", dir_name(dir)));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    self.error(format!("{} handshake: {e}", dir_name(dir)));
                    self.sides[i].handshake.clear();
                    break;
                }
            }
        }
    }

    fn handshake_message(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        kind: HandshakeType,
        body: &[u8],
        keys: &KeyLog,
    ) -> Result<(), crate::codec::TlsError> {
        let from_client = dir == Direction::ClientToServer;
        match kind {
            HandshakeType::ClientHello if from_client => {
                let hello = handshake::parse_client_hello(body)?;
                self.info.handshake_start.get_or_insert(ts);
                self.client_random = Some(hello.random);
                self.client_session_id = hello.session_id;
                self.info.sni = hello.sni;
                self.info.alpn_offered = hello.alpn;
                self.info.early_data_offered = hello.early_data;
            }
            HandshakeType::ServerHello if !from_client => {
                let hello = handshake::parse_server_hello(body)?;
                if hello.hello_retry {
                    self.info.hello_retry = true;
                    return Ok(());
                }
                self.server_random = Some(hello.random);
                self.version = hello.version();
                self.info.version = Some(record::version_name(self.version));
                self.info.cipher_suite = Some(crypto::suite_name(hello.cipher_suite));
                if hello.alpn.is_some() {
                    self.info.alpn = hello.alpn;
                }
                // TLS 1.2 resumption by session id; by ticket it shows as an abbreviated
                // handshake at the server's ChangeCipherSpec.
                self.info.resumed = if self.tls13() {
                    hello.psk_selected
                } else {
                    !hello.session_id.is_empty() && hello.session_id == self.client_session_id
                };
                match crypto::supported_suite(hello.cipher_suite) {
                    Some(suite) if suite.tls13 == self.tls13() => self.suite = Some(suite),
                    _ => {
                        self.info.decryption = Decryption::Unsupported {
                            suite: crypto::suite_name(hello.cipher_suite),
                        }
                    }
                }
            }
            HandshakeType::Certificate
            | HandshakeType::ServerKeyExchange
            | HandshakeType::ServerHelloDone
                if !from_client =>
            {
                self.server_flight = true;
                if kind == HandshakeType::Certificate {
                    for der in handshake::parse_certificate_list(body, self.tls13())? {
                        match crate::cert::parse_certificate(&der) {
                            Ok(cert) => self.info.certificates.push(cert),
                            Err(e) => self.error(format!("server certificate: {e}")),
                        }
                    }
                }
            }
            HandshakeType::EncryptedExtensions if !from_client => {
                let ee = handshake::parse_encrypted_extensions(body)?;
                if ee.alpn.is_some() {
                    self.info.alpn = ee.alpn;
                }
            }
            HandshakeType::Finished if self.tls13() => {
                self.finished(dir, ts);
                // RFC 8446 §7.1: after its Finished, a side sends with application keys.
                if let Some(d) = self.tls13_decrypter(dir, Epoch::Application, keys) {
                    self.sides[dir.index()].decrypter = Some((Epoch::Application, d));
                }
            }
            HandshakeType::KeyUpdate if self.tls13() => {
                handshake::parse_key_update(body)?;
                let failed = match &mut self.sides[dir.index()].decrypter {
                    Some((_, d)) => d.key_update().err().map(|e| e.to_string()),
                    None => None,
                };
                if let Some(e) = failed {
                    self.decryption_failed(format!("{} KeyUpdate: {e}", dir_name(dir)));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A Finished message of `dir` was seen at `ts`. The handshake ends with the last one:
    /// the client's in TLS 1.3, whichever comes second in TLS 1.2.
    fn finished(&mut self, dir: Direction, ts: Timestamp) {
        if self.sides[dir.index()].finished.is_some() {
            return;
        }
        self.sides[dir.index()].finished = Some(ts);
        self.info.handshake_end = match (self.sides[0].finished, self.sides[1].finished) {
            (Some(c), Some(s)) => Some(c.max(s)),
            (Some(c), None) if self.tls13() => Some(c),
            _ => self.info.handshake_end,
        };
    }

    fn alert(&mut self, dir: Direction, ts: Timestamp, body: &[u8]) {
        let (level, description) = match body {
            [level, code, ..] => (
                match level {
                    1 => "warning".to_owned(),
                    2 => "fatal".to_owned(),
                    other => format!("level_{other}"),
                },
                handshake::alert_description(*code),
            ),
            _ => ("malformed".to_owned(), "malformed".to_owned()),
        };
        self.info.alerts.push(TlsAlert {
            at: ts,
            from: dir,
            level,
            description,
        });
    }

    /// `len` bytes of `dir`'s TCP stream are missing: its record boundaries are lost.
    pub fn gap(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        len: u64,
        out: &mut impl FnMut(TlsEvent<'_>),
    ) {
        self.lose(dir, ts, len, out);
    }

    /// Stops parsing `dir`; the layer above learns that about `len` bytes are missing.
    fn lose(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        len: u64,
        out: &mut impl FnMut(TlsEvent<'_>),
    ) {
        let side = &mut self.sides[dir.index()];
        if side.lost {
            return;
        }
        side.lost = true;
        side.pending = Vec::new();
        self.error(format!(
            "{} stream: record boundaries lost after a gap or bad record",
            dir_name(dir)
        ));
        self.unreadable(dir, ts, len, out);
    }

    /// Reports `len` unreadable bytes of `dir`'s application data.
    fn unreadable(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        len: u64,
        out: &mut impl FnMut(TlsEvent<'_>),
    ) {
        let side = &mut self.sides[dir.index()];
        let offset = side.offset;
        side.offset = side.offset.saturating_add(len);
        out(TlsEvent::Gap {
            dir,
            ts,
            offset,
            len,
        });
    }

    fn decrypted(&mut self) {
        if self.failed_records == 0 {
            self.info.decryption = Decryption::Decrypted;
        }
    }

    fn decryption_failed(&mut self, detail: String) {
        self.failed_records += 1;
        let detail = self.first_failure.get_or_insert(detail).clone();
        self.info.decryption = Decryption::Failed {
            records: self.failed_records,
            detail,
        };
    }

    fn error(&mut self, detail: String) {
        self.info.errors += 1;
        self.info.first_error.get_or_insert(detail);
    }
}

/// The range of `part` (a slice of a buffer starting at address `start`) in that buffer.
fn range_in(start: usize, part: &[u8]) -> std::ops::Range<usize> {
    let from = (part.as_ptr() as usize).saturating_sub(start);
    from..from + part.len()
}

fn dir_name(dir: Direction) -> &'static str {
    match dir {
        Direction::ClientToServer => "client",
        Direction::ServerToClient => "server",
    }
}

#[cfg(test)]
mod tests {
    //! The state machine with real bytes: the TLS 1.3 session of RFC 8448 §3 (Simple 1-RTT
    //! Handshake) and a real TLS 1.2 session (openssl s_server/s_client, the records of
    //! crypto.rs's `T12_AES128`) with hand-made hellos carrying its randoms.

    use super::*;
    use crate::crypto::{Aead, HashAlg};
    use crate::rfc8448::{
        payload, CLIENT_APP_RECORD, CLIENT_APP_SECRET, CLIENT_FINISHED_RECORD, CLIENT_HS_SECRET,
        SERVER_APP_RECORD, SERVER_APP_SECRET, SERVER_HS_RECORD, SERVER_HS_SECRET,
    };
    use crate::schedule::TrafficSecret;
    use aes_gcm::aead::AeadInPlace;
    use aes_gcm::{Aes128Gcm, KeyInit};
    use hex_literal::hex;
    use model::Direction::{ClientToServer as C, ServerToClient as S};

    // ---- RFC 8448 §3 ----

    const CLIENT_RANDOM: [u8; 32] =
        hex!("cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7");

    /// {client} send handshake record: ClientHello (record version 0x0301).
    const CLIENT_HELLO_RECORD: [u8; 201] = hex!(
        "16 03 01 00 c4"
        "01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12"
        "ec 18 a2 ef 62 83 02 4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00"
        "09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00"
        "19 01 00 01 01 01 02 01 03 01 04 00 23 00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d"
        "e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af"
        "2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06"
        "04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01"
    );
    /// {server} send handshake record: ServerHello.
    const SERVER_HELLO_RECORD: [u8; 95] = hex!(
        "16 03 03 00 5a"
        "02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14"
        "34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76"
        "11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f"
        "00 2b 00 02 03 04"
    );
    /// {server} NewSessionTicket (handshake message), sent as application-epoch record 0.
    const NEW_SESSION_TICKET: [u8; 205] = hex!(
        "04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00 b2 2c 03 5d 82 93 59 ee 5f f7 af 4e"
        "c9 00 00 00 00 26 2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa 90 bf 1b 00 70 ad 3c 49 88 83"
        "c9 36 7c 09 a2 be 78 5a bc 55 cd 22 60 97 a3 a9 82 11 72 83 f8 2a 03 a1 43 ef d3 ff"
        "5d d3 6d 64 e8 61 be 7f d6 1d 28 27 db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2"
        "9e e0 37 25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e 3d a2 67 7f a5 90 6c 5b 3f 7d"
        "8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6 17 64 6f ac 5c 03 27 2e 97 07"
        "27 c6 21 a7 91 41 ef 5f 7d e6 50 5e 5b fb c3 88 e9 33 43 69 40 93 93 4a e4 d3 57 00"
        "08 00 2a 00 04 00 00 04 00"
    );

    /// Seals a TLS 1.3 record with AES-128-GCM as a sender would (RFC 8446 §5.2, §5.3).
    fn seal13(secret: &[u8], seq: u64, inner: &[u8]) -> Vec<u8> {
        let keys = TrafficSecret::new(HashAlg::Sha256, secret)
            .unwrap()
            .keys(Aead::Aes128Gcm)
            .unwrap();
        let cipher = Aes128Gcm::new_from_slice(keys.key()).unwrap();
        let mut nonce = keys.iv;
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        let len = u16::try_from(inner.len() + 16).unwrap().to_be_bytes();
        let header = [23, 3, 3, len[0], len[1]];
        let mut body = inner.to_vec();
        let tag = cipher
            .encrypt_in_place_detached(&nonce.into(), &header, &mut body)
            .unwrap();
        [&header[..], &body, &tag].concat()
    }

    /// The server's NewSessionTicket record (application epoch, sequence 0).
    fn ticket_record() -> Vec<u8> {
        let record = seal13(
            &SERVER_APP_SECRET,
            0,
            &[&NEW_SESSION_TICKET[..], &[22]].concat(),
        );
        assert_eq!(record.len(), 5 + 222);
        record
    }

    fn hexs(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Key log text for RFC 8448 §3, with the given secrets (client hs, server hs, client
    /// app, server app).
    fn key_text(secrets: [&[u8]; 4]) -> String {
        let labels = [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0",
        ];
        labels
            .iter()
            .zip(secrets)
            .map(|(l, s)| format!("{l} {} {}\n", hexs(&CLIENT_RANDOM), hexs(s)))
            .collect()
    }

    fn rfc8448_keys() -> KeyLog {
        let mut keys = KeyLog::new();
        keys.feed(
            key_text([
                &CLIENT_HS_SECRET,
                &SERVER_HS_SECRET,
                &CLIENT_APP_SECRET,
                &SERVER_APP_SECRET,
            ])
            .as_bytes(),
        );
        assert_eq!(keys.stats().secrets, 4);
        keys
    }

    /// An owned event.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Ev {
        Plain(Direction, Timestamp, u64, Vec<u8>),
        Gap(Direction, Timestamp, u64, u64),
    }

    /// A connection and everything it emitted, with the contiguity of offsets per
    /// direction checked at each event.
    struct Run {
        conn: TlsConnection,
        events: Vec<Ev>,
        next: [u64; 2],
    }

    impl Run {
        fn new() -> Run {
            Run {
                conn: TlsConnection::new(),
                events: Vec::new(),
                next: [0; 2],
            }
        }

        fn push(events: &mut Vec<Ev>, next: &mut [u64; 2], e: TlsEvent<'_>) {
            let (ev, dir, offset, len) = match e {
                TlsEvent::Plaintext {
                    dir,
                    ts,
                    offset,
                    data,
                } => (
                    Ev::Plain(dir, ts, offset, data.to_vec()),
                    dir,
                    offset,
                    data.len() as u64,
                ),
                TlsEvent::Gap {
                    dir,
                    ts,
                    offset,
                    len,
                } => (Ev::Gap(dir, ts, offset, len), dir, offset, len),
            };
            assert_eq!(offset, next[dir.index()], "offsets not contiguous: {ev:?}");
            next[dir.index()] += len;
            events.push(ev);
        }

        /// Feeds `bytes` in pieces of at most `piece` bytes, all at time `ts`.
        fn feed(&mut self, dir: Direction, ts: i64, bytes: &[u8], piece: usize, keys: &KeyLog) {
            let (events, next) = (&mut self.events, &mut self.next);
            for chunk in bytes.chunks(piece.max(1)) {
                self.conn.data(dir, Timestamp(ts), chunk, keys, &mut |e| {
                    Run::push(events, next, e)
                });
            }
        }

        fn gap(&mut self, dir: Direction, ts: i64, len: u64) {
            let (events, next) = (&mut self.events, &mut self.next);
            self.conn
                .gap(dir, Timestamp(ts), len, &mut |e| Run::push(events, next, e));
        }

        fn plaintext(&self, dir: Direction) -> Vec<u8> {
            self.events
                .iter()
                .filter_map(|e| match e {
                    Ev::Plain(d, _, _, data) if *d == dir => Some(data.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .concat()
        }

        fn gaps(&self, dir: Direction) -> Vec<(u64, u64)> {
            self.events
                .iter()
                .filter_map(|e| match e {
                    Ev::Gap(d, _, offset, len) if *d == dir => Some((*offset, *len)),
                    _ => None,
                })
                .collect()
        }

        fn info(&self) -> &TlsInfo {
            self.conn.info()
        }
    }

    /// The whole RFC 8448 §3 session, flight by flight (timestamps 1..=5), each flight fed
    /// in pieces of at most `piece` bytes.
    fn rfc8448_session(piece: usize, keys: &KeyLog) -> Run {
        let mut run = Run::new();
        run.feed(C, 1, &CLIENT_HELLO_RECORD, piece, keys);
        run.feed(
            S,
            2,
            &[&SERVER_HELLO_RECORD[..], &SERVER_HS_RECORD].concat(),
            piece,
            keys,
        );
        run.feed(C, 3, &CLIENT_FINISHED_RECORD, piece, keys);
        run.feed(C, 4, &CLIENT_APP_RECORD, piece, keys);
        run.feed(
            S,
            5,
            &[&ticket_record()[..], &SERVER_APP_RECORD].concat(),
            piece,
            keys,
        );
        run
    }

    #[test]
    fn rfc8448_decrypted_in_any_pieces() {
        let keys = rfc8448_keys();
        for piece in [1, 7, 100, usize::MAX] {
            let run = rfc8448_session(piece, &keys);
            let info = run.info();
            assert_eq!(info.version.as_deref(), Some("TLS 1.3"), "piece {piece}");
            assert_eq!(info.cipher_suite.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
            assert_eq!(info.sni.as_deref(), Some("server"));
            assert!(!info.resumed);
            assert!(!info.hello_retry);
            assert_eq!(info.handshake_start, Some(Timestamp(1)));
            assert_eq!(info.handshake_end, Some(Timestamp(3)), "client Finished");
            assert_eq!(info.first_application_data, Some(Timestamp(4)));
            assert_eq!(info.decryption, Decryption::Decrypted, "piece {piece}");
            assert_eq!(info.errors, 0, "{:?}", info.first_error);
            assert!(info.alerts.is_empty());
            assert_eq!(info.records, [3, 4]);
            assert_eq!(info.record_bytes, [201 + 58 + 72, 95 + 679 + 227 + 72]);
            // The RFC's certificate (CN=rsa) came out of the encrypted handshake.
            assert_eq!(info.certificates.len(), 1, "piece {piece}");
            assert_eq!(
                run.events,
                [
                    Ev::Plain(C, Timestamp(4), 0, payload()),
                    Ev::Plain(S, Timestamp(5), 0, payload()),
                ],
                "piece {piece}"
            );
            assert_eq!(run.plaintext(C), payload());
            assert_eq!(run.plaintext(S), payload());
        }
    }

    #[test]
    fn rfc8448_without_keys() {
        let keys = KeyLog::new();
        for piece in [1, 7, 100, usize::MAX] {
            let run = rfc8448_session(piece, &keys);
            let info = run.info();
            assert_eq!(info.version.as_deref(), Some("TLS 1.3"));
            assert_eq!(info.cipher_suite.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
            assert_eq!(info.decryption, Decryption::NoKeys);
            assert_eq!(info.handshake_start, Some(Timestamp(1)));
            // The client's first encrypted record is its Finished.
            assert_eq!(info.handshake_end, Some(Timestamp(3)));
            assert_eq!(info.first_application_data, Some(Timestamp(4)));
            assert!(info.certificates.is_empty());
            assert_eq!(info.errors, 0, "{:?}", info.first_error);
            assert_eq!(run.plaintext(C), b"");
            assert_eq!(run.plaintext(S), b"");
            // Every record after the client's Finished is reported by its ciphertext length
            // (the ticket record cannot be told from application data without keys).
            assert_eq!(
                run.events,
                [
                    Ev::Gap(C, Timestamp(4), 0, 67),
                    Ev::Gap(S, Timestamp(5), 0, 222),
                    Ev::Gap(S, Timestamp(5), 222, 67),
                ],
                "piece {piece}"
            );
        }
    }

    #[test]
    fn rfc8448_wrong_server_application_secret() {
        let mut bad = SERVER_APP_SECRET;
        bad[0] ^= 1;
        let mut keys = KeyLog::new();
        keys.feed(
            key_text([
                &CLIENT_HS_SECRET,
                &SERVER_HS_SECRET,
                &CLIENT_APP_SECRET,
                &bad,
            ])
            .as_bytes(),
        );
        let run = rfc8448_session(usize::MAX, &keys);
        let info = run.info();
        match &info.decryption {
            Decryption::Failed { records, detail } => {
                assert_eq!(*records, 2, "the ticket and the data record");
                assert!(detail.starts_with("server record 3: "), "{detail}");
                assert!(detail.contains("authentication"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(run.plaintext(S), b"", "nothing from the wrong key");
        assert_eq!(run.gaps(S), [(0, 222), (222, 67)]);
        // The handshake (right keys) was still read, and the client's data too.
        assert_eq!(info.certificates.len(), 1);
        assert_eq!(info.handshake_end, Some(Timestamp(3)));
        assert_eq!(run.plaintext(C), payload());
    }

    #[test]
    fn rfc8448_wrong_handshake_secrets() {
        let mut keys = KeyLog::new();
        let bad = [0x55; 32];
        keys.feed(key_text([&bad, &bad, &bad, &bad]).as_bytes());
        let run = rfc8448_session(100, &keys);
        let info = run.info();
        match &info.decryption {
            Decryption::Failed { records, detail } => {
                assert!(*records >= 4, "{records}");
                assert!(detail.starts_with("server record 2: "), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        assert!(run.events.iter().all(|e| matches!(e, Ev::Gap(..))));
        assert!(info.certificates.is_empty());
        // Unreadable, the client's Finished still ends the handshake.
        assert_eq!(info.handshake_end, Some(Timestamp(3)));
    }

    #[test]
    fn rfc8448_gap_in_the_server_stream() {
        let keys = rfc8448_keys();
        let mut run = Run::new();
        run.feed(C, 1, &CLIENT_HELLO_RECORD, 1000, &keys);
        run.feed(S, 2, &SERVER_HELLO_RECORD, 1000, &keys);
        // Half of the server's handshake record arrives, then a hole.
        run.feed(S, 2, &SERVER_HS_RECORD[..300], 1000, &keys);
        run.gap(S, 3, 379);
        run.feed(C, 4, &CLIENT_FINISHED_RECORD, 1000, &keys);
        run.feed(C, 4, &CLIENT_APP_RECORD, 1000, &keys);
        run.feed(S, 5, &ticket_record(), 1000, &keys);
        run.feed(S, 5, &SERVER_APP_RECORD, 1000, &keys);
        run.gap(S, 6, 10);
        let info = run.info();
        assert_eq!(run.gaps(S), [(0, 379)], "one gap, then the direction stops");
        assert_eq!(run.plaintext(S), b"");
        assert_eq!(info.records[1], 1, "records after the hole are not parsed");
        assert_eq!(info.errors, 1);
        assert!(
            info.first_error
                .as_deref()
                .is_some_and(|e| e.starts_with("server stream: record boundaries lost")),
            "{:?}",
            info.first_error
        );
        // The client direction is not affected.
        assert_eq!(run.plaintext(C), payload());
        assert_eq!(info.handshake_end, Some(Timestamp(4)));
    }

    #[test]
    fn garbage_instead_of_a_record_header() {
        let keys = rfc8448_keys();
        for piece in [1, 3, 1000] {
            let mut run = Run::new();
            run.feed(C, 1, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", piece, &keys);
            run.feed(S, 2, &SERVER_HELLO_RECORD, piece, &keys);
            run.feed(S, 2, b"\x17\x03\x03\xff\xff and more", piece, &keys);
            run.feed(C, 3, &CLIENT_HELLO_RECORD, piece, &keys);
            let info = run.info();
            // Per direction: the bad header, then the lost boundaries.
            assert_eq!(info.errors, 4, "piece {piece}: {:?}", info.first_error);
            assert!(
                info.first_error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("client record: ")),
                "{:?}",
                info.first_error
            );
            assert_eq!(info.records, [0, 1], "piece {piece}");
            assert_eq!(
                info.handshake_start, None,
                "nothing parsed after the garbage"
            );
            assert_eq!(run.plaintext(C), b"");
            assert_eq!(run.gaps(C).len(), 1, "piece {piece}");
            assert_eq!(run.gaps(S).len(), 1, "piece {piece}");
        }
    }

    #[test]
    fn alert_in_clear() {
        let keys = KeyLog::new();
        let mut run = Run::new();
        run.feed(C, 1, &CLIENT_HELLO_RECORD, usize::MAX, &keys);
        // Alert(level fatal, description handshake_failure).
        run.feed(S, 2, &hex!("15 03 03 00 02 02 28"), usize::MAX, &keys);
        let info = run.info();
        assert_eq!(
            info.alerts,
            [TlsAlert {
                at: Timestamp(2),
                from: S,
                level: "fatal".into(),
                description: "handshake_failure".into(),
            }]
        );
        assert_eq!(info.version, None);
        assert_eq!(info.decryption, Decryption::Pending);
        assert_eq!(info.errors, 0);
        assert!(run.events.is_empty());
    }

    /// A HelloRetryRequest (RFC 8446 §4.1.4) asking for secp256r1, in a record.
    fn hello_retry_request_record() -> Vec<u8> {
        let random = hex!("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");
        let extensions = hex!("00 0c 00 2b 00 02 03 04 00 33 00 02 00 17");
        let body = [&[3, 3][..], &random, &[0, 0x13, 0x01, 0], &extensions].concat();
        let len = body.len() as u8;
        [&[22, 3, 3, 0, len + 4, 2, 0, 0, len][..], &body].concat()
    }

    /// RFC 8448 §3 preceded by a HelloRetryRequest; the client answers it, in middlebox
    /// compatibility mode (RFC 8446 §D.4), with a ChangeCipherSpec and then its second
    /// ClientHello (the same random). Timestamps: ClientHello 1, HRR 2, CCS + ClientHello 3,
    /// server flight 4, client Finished 5, client data 6, server ticket + data 7.
    fn rfc8448_after_hello_retry(keys: &KeyLog) -> Run {
        let mut run = Run::new();
        run.feed(C, 1, &CLIENT_HELLO_RECORD, usize::MAX, keys);
        run.feed(S, 2, &hello_retry_request_record(), usize::MAX, keys);
        run.feed(C, 3, &hex!("14 03 03 00 01 01"), usize::MAX, keys);
        run.feed(C, 3, &CLIENT_HELLO_RECORD, usize::MAX, keys);
        run.feed(
            S,
            4,
            &[&SERVER_HELLO_RECORD[..], &SERVER_HS_RECORD].concat(),
            usize::MAX,
            keys,
        );
        run.feed(C, 5, &CLIENT_FINISHED_RECORD, usize::MAX, keys);
        run.feed(C, 6, &CLIENT_APP_RECORD, usize::MAX, keys);
        run.feed(
            S,
            7,
            &[&ticket_record()[..], &SERVER_APP_RECORD].concat(),
            usize::MAX,
            keys,
        );
        run
    }

    #[test]
    fn hello_retry_without_compatibility_ccs() {
        // Without the ChangeCipherSpec all is well.
        let keys = rfc8448_keys();
        let mut run = Run::new();
        run.feed(C, 1, &CLIENT_HELLO_RECORD, usize::MAX, &keys);
        run.feed(S, 2, &hello_retry_request_record(), usize::MAX, &keys);
        run.feed(C, 3, &CLIENT_HELLO_RECORD, usize::MAX, &keys);
        run.feed(
            S,
            4,
            &[&SERVER_HELLO_RECORD[..], &SERVER_HS_RECORD].concat(),
            usize::MAX,
            &keys,
        );
        run.feed(C, 5, &CLIENT_FINISHED_RECORD, usize::MAX, &keys);
        run.feed(C, 6, &CLIENT_APP_RECORD, usize::MAX, &keys);
        let info = run.info();
        assert!(info.hello_retry);
        assert_eq!(info.version.as_deref(), Some("TLS 1.3"));
        assert_eq!(info.handshake_start, Some(Timestamp(1)));
        assert_eq!(info.handshake_end, Some(Timestamp(5)));
        assert_eq!(run.plaintext(C), payload());
        assert_eq!(info.errors, 0, "{:?}", info.first_error);
    }

    #[test]
    fn hello_retry_with_compatibility_ccs_keeps_the_client_finished() {
        let run = rfc8448_after_hello_retry(&rfc8448_keys());
        let info = run.info();
        assert!(info.hello_retry);
        assert_eq!(info.decryption, Decryption::Decrypted);
        assert_eq!(run.plaintext(C), payload());
        assert_eq!(run.plaintext(S), payload());
        assert_eq!(
            info.handshake_end,
            Some(Timestamp(5)),
            "the client's Finished"
        );
    }

    #[test]
    fn hello_retry_with_compatibility_ccs_without_keys() {
        let run = rfc8448_after_hello_retry(&KeyLog::new());
        let info = run.info();
        assert_eq!(info.decryption, Decryption::NoKeys);
        assert_eq!(
            info.handshake_end,
            Some(Timestamp(5)),
            "the client's Finished"
        );
        assert_eq!(run.gaps(C), [(0, 67)], "only the data record");
    }

    // ---- A real TLS 1.2 session (ECDHE-RSA-AES128-GCM-SHA256), hand-made hellos ----

    const T12_CLIENT_RANDOM: [u8; 32] =
        hex!("3daa45c86b3ab10820553e49085ddaa5ba2302823d98b17b6e28176d33a20733");
    const T12_SERVER_RANDOM: [u8; 32] =
        hex!("50084020f70825cd4c9606f1b4a88f244e61174d32073f888090f29c35b33aa0");
    const T12_MASTER: [u8; 48] = hex!(
        "06dfd74ec2ec6a48e20ca353cba1a40c7da7f8ea561a68694def034bdafd3536"
        "55ac0eda6b4f8fcd48cbf8bc86b3185f"
    );
    const T12_CLIENT_FINISHED: [u8; 45] = hex!(
        "16030300282b1a3a12e1f0f5300b7552cac62757b616d82896c5d06083b12c45cc0d0fe0b3"
        "3bd19b1891303aab"
    );
    const T12_CLIENT_RECORD: [u8; 45] = hex!(
        "17030300282b1a3a12e1f0f5316442ded54da27366a67be173fd8c8b4402ee01d35de38b3b"
        "9560ae4ad937c619"
    );
    const T12_SERVER_FINISHED: [u8; 45] = hex!(
        "160303002868a16dacd760fa38ce6aa702723c25761db1b66818d903789dabd1241672d1eb"
        "0d1006755a2e404f"
    );

    fn handshake_record(kind: u8, body: &[u8]) -> Vec<u8> {
        let len = (body.len() as u32).to_be_bytes();
        let rec = ((body.len() + 4) as u16).to_be_bytes();
        [
            &[22, 3, 3, rec[0], rec[1], kind, len[1], len[2], len[3]][..],
            body,
        ]
        .concat()
    }

    /// ClientHello, then ServerHello + ServerHelloDone, both with no extensions.
    fn t12_hellos() -> (Vec<u8>, Vec<u8>) {
        let hello = |random: &[u8; 32], suites: &[u8]| {
            [&[3, 3][..], random, &[0], suites, &[1, 0]].concat()
        };
        let client = handshake_record(1, &hello(&T12_CLIENT_RANDOM, &[0, 2, 0xc0, 0x2f]));
        let server = [
            handshake_record(
                2,
                &[&[3, 3][..], &T12_SERVER_RANDOM, &[0, 0xc0, 0x2f, 0]].concat(),
            ),
            handshake_record(14, &[]),
        ]
        .concat();
        (client, server)
    }

    fn t12_keys() -> KeyLog {
        let mut keys = KeyLog::new();
        keys.feed(
            format!(
                "CLIENT_RANDOM {} {}\n",
                hexs(&T12_CLIENT_RANDOM),
                hexs(&T12_MASTER)
            )
            .as_bytes(),
        );
        keys
    }

    const CCS: [u8; 6] = hex!("14 03 03 00 01 01");

    #[test]
    fn tls12_session_decrypted() {
        let keys = t12_keys();
        let (ch, sh) = t12_hellos();
        for piece in [1, 7, 100, usize::MAX] {
            let mut run = Run::new();
            run.feed(C, 1, &ch, piece, &keys);
            run.feed(S, 2, &sh, piece, &keys);
            run.feed(
                C,
                3,
                &[&CCS[..], &T12_CLIENT_FINISHED].concat(),
                piece,
                &keys,
            );
            run.feed(
                S,
                4,
                &[&CCS[..], &T12_SERVER_FINISHED].concat(),
                piece,
                &keys,
            );
            run.feed(C, 5, &T12_CLIENT_RECORD, piece, &keys);
            let info = run.info();
            assert_eq!(info.version.as_deref(), Some("TLS 1.2"));
            assert_eq!(
                info.cipher_suite.as_deref(),
                Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
            );
            assert!(!info.resumed);
            assert_eq!(info.handshake_start, Some(Timestamp(1)));
            assert_eq!(info.handshake_end, Some(Timestamp(4)), "the later Finished");
            assert_eq!(info.decryption, Decryption::Decrypted);
            assert_eq!(info.errors, 0, "{:?}", info.first_error);
            assert_eq!(
                run.events,
                [Ev::Plain(
                    C,
                    Timestamp(5),
                    0,
                    b"GET / HTTP/1.1\r\n".to_vec()
                )]
            );
        }
    }

    /// Keys that arrive (a growing `--keylog` file) after a direction's first encrypted
    /// records: the connection knows how many encrypted records each direction sent, so in
    /// TLS 1.2 the sequence number of the next one is known (Finished is 0).
    #[test]
    fn tls12_keys_arriving_after_the_finished() {
        let none = KeyLog::new();
        let keys = t12_keys();
        let (ch, sh) = t12_hellos();
        let mut run = Run::new();
        run.feed(C, 1, &ch, usize::MAX, &none);
        run.feed(S, 2, &sh, usize::MAX, &none);
        run.feed(
            C,
            3,
            &[&CCS[..], &T12_CLIENT_FINISHED].concat(),
            usize::MAX,
            &none,
        );
        run.feed(
            S,
            4,
            &[&CCS[..], &T12_SERVER_FINISHED].concat(),
            usize::MAX,
            &none,
        );
        // The key log line is read now.
        run.feed(C, 5, &T12_CLIENT_RECORD, usize::MAX, &keys);
        assert_eq!(run.plaintext(C), b"GET / HTTP/1.1\r\n");
        assert_eq!(run.info().decryption, Decryption::Decrypted);
    }
}
