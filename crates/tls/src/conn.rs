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
            if !self.tls13() {
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
            Ok((client, server)) => {
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
