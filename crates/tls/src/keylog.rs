//! NSS key log files (`SSLKEYLOGFILE`): parsing, merging and lookup by client random.
//!
//! Format (NSS "Key Log Format"): one secret per line, `LABEL <client_random> <secret>`, the
//! three fields separated by a space, the client random as 64 hex digits (the 32 bytes of the
//! ClientHello's random), the secret in hex; lines starting with `#` are comments. Labels:
//!
//! - `CLIENT_RANDOM`: the 48-byte TLS 1.2 (and earlier) master secret;
//! - `CLIENT_EARLY_TRAFFIC_SECRET`, `CLIENT_HANDSHAKE_TRAFFIC_SECRET`,
//!   `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`, `SERVER_TRAFFIC_SECRET_0`,
//!   `EXPORTER_SECRET`: TLS 1.3 secrets, as long as the suite's hash (32 or 48 bytes);
//! - `RSA` (an encrypted pre-master secret keyed by its first 8 bytes) and any other label:
//!   counted in [`KeyLogStats::unknown_labels`] and ignored.
//!
//! Invariants: lines may end in LF or CRLF; hex digits may be upper or lower case; a line
//! that does not parse is counted as malformed and described in [`KeyLog::last_error`], never
//! fatal; a later line for the same client random and label replaces an earlier one; the
//! partial-line buffer is bounded ([`MAX_LINE`]), so feeding garbage cannot grow memory
//! beyond the secrets actually found.

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;

/// The longest line kept: the longest label (31 bytes) + 64 hex digits + 96 hex digits +
/// separators is under 200; anything past this is malformed.
const MAX_LINE: usize = 512;

/// Every secret the key log holds for one session (one client random).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionSecrets {
    /// `CLIENT_RANDOM`: the TLS ≤ 1.2 master secret (48 bytes).
    pub master_secret: Option<Vec<u8>>,
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    pub client_handshake: Option<Vec<u8>>,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub server_handshake: Option<Vec<u8>>,
    /// `CLIENT_TRAFFIC_SECRET_0`.
    pub client_traffic_0: Option<Vec<u8>>,
    /// `SERVER_TRAFFIC_SECRET_0`.
    pub server_traffic_0: Option<Vec<u8>>,
    /// `EXPORTER_SECRET`.
    pub exporter: Option<Vec<u8>>,
    /// `CLIENT_EARLY_TRAFFIC_SECRET`.
    pub client_early: Option<Vec<u8>>,
}

/// Counters over everything fed to a [`KeyLog`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyLogStats {
    /// Complete lines seen, including comments and blank lines.
    pub lines: u64,
    /// Secret lines accepted (a duplicate counts again).
    pub secrets: u64,
    /// Distinct client randoms with at least one secret.
    pub sessions: u64,
    /// Lines that did not parse.
    pub malformed: u64,
    /// Well-formed lines with a label httpscope does not use (including `RSA`).
    pub unknown_labels: u64,
}

/// The labels httpscope uses, in the order [`KeyLog::lines_for`] writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Label {
    ClientRandom,
    ClientEarly,
    ClientHandshake,
    ServerHandshake,
    ClientTraffic0,
    ServerTraffic0,
    Exporter,
}

impl Label {
    const ALL: [Label; 7] = [
        Label::ClientRandom,
        Label::ClientEarly,
        Label::ClientHandshake,
        Label::ServerHandshake,
        Label::ClientTraffic0,
        Label::ServerTraffic0,
        Label::Exporter,
    ];

    fn name(self) -> &'static str {
        match self {
            Label::ClientRandom => "CLIENT_RANDOM",
            Label::ClientEarly => "CLIENT_EARLY_TRAFFIC_SECRET",
            Label::ClientHandshake => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            Label::ServerHandshake => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            Label::ClientTraffic0 => "CLIENT_TRAFFIC_SECRET_0",
            Label::ServerTraffic0 => "SERVER_TRAFFIC_SECRET_0",
            Label::Exporter => "EXPORTER_SECRET",
        }
    }

    fn parse(name: &[u8]) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.name().as_bytes() == name)
    }

    /// Whether `len` is a possible length for this secret: 48 for the master secret, a
    /// SHA-256 or SHA-384 output for TLS 1.3 secrets.
    fn length_ok(self, len: usize) -> bool {
        match self {
            Label::ClientRandom => len == 48,
            _ => len == 32 || len == 48,
        }
    }

    fn slot(self, s: &mut SessionSecrets) -> &mut Option<Vec<u8>> {
        match self {
            Label::ClientRandom => &mut s.master_secret,
            Label::ClientEarly => &mut s.client_early,
            Label::ClientHandshake => &mut s.client_handshake,
            Label::ServerHandshake => &mut s.server_handshake,
            Label::ClientTraffic0 => &mut s.client_traffic_0,
            Label::ServerTraffic0 => &mut s.server_traffic_0,
            Label::Exporter => &mut s.exporter,
        }
    }

    fn get(self, s: &SessionSecrets) -> Option<&[u8]> {
        match self {
            Label::ClientRandom => s.master_secret.as_deref(),
            Label::ClientEarly => s.client_early.as_deref(),
            Label::ClientHandshake => s.client_handshake.as_deref(),
            Label::ServerHandshake => s.server_handshake.as_deref(),
            Label::ClientTraffic0 => s.client_traffic_0.as_deref(),
            Label::ServerTraffic0 => s.server_traffic_0.as_deref(),
            Label::Exporter => s.exporter.as_deref(),
        }
    }
}

/// Why one key log line was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
enum LineError {
    /// Fewer than three fields.
    MissingField(&'static str),
    /// More than three fields.
    ExtraField,
    /// The line is longer than [`MAX_LINE`].
    TooLong,
    /// The client random is not hex.
    ClientRandomNotHex,
    /// The client random is not 32 bytes.
    ClientRandomLength(usize),
    /// The secret is not hex.
    SecretNotHex,
    /// The secret has a length its label does not allow.
    SecretLength { label: &'static str, len: usize },
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::MissingField(which) => write!(f, "missing {which}"),
            LineError::ExtraField => write!(f, "more than three fields"),
            LineError::TooLong => write!(f, "line longer than {MAX_LINE} bytes"),
            LineError::ClientRandomNotHex => write!(f, "client random is not hex"),
            LineError::ClientRandomLength(n) => {
                write!(f, "client random is {n} bytes, not 32")
            }
            LineError::SecretNotHex => write!(f, "secret is not hex"),
            LineError::SecretLength { label, len } => {
                write!(f, "{label} secret is {len} bytes")
            }
        }
    }
}

/// What one well-formed line holds.
enum Line {
    /// Blank or comment.
    Nothing,
    /// A label httpscope does not use.
    Unknown,
    /// A secret.
    Secret {
        label: Label,
        client_random: [u8; 32],
        secret: Vec<u8>,
    },
}

/// Secrets from one or more NSS key logs, by client random.
#[derive(Default)]
pub struct KeyLog {
    sessions: HashMap<[u8; 32], SessionSecrets>,
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
    /// The partial line grew past [`MAX_LINE`]; its bytes are being skipped.
    overlong: bool,
    stats: KeyLogStats,
    last_error: Option<String>,
}

impl fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never prints secrets.
        f.debug_struct("KeyLog")
            .field("stats", &self.stats)
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

impl KeyLog {
    /// An empty key log.
    pub fn new() -> Self {
        KeyLog::default()
    }

    /// Feeds key log text; a last partial line is kept until the rest arrives (files that
    /// are still growing, pipes). Several sources may be fed into one KeyLog (merged; a later
    /// duplicate wins) — one after another, as the partial line is shared: finish one
    /// source (see [`KeyLog::finish`]) before feeding the next.
    pub fn feed(&mut self, text: &[u8]) {
        let mut rest = text;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(nl);
            rest = after.get(1..).unwrap_or_default();
            if self.partial.is_empty() && !self.overlong {
                self.line(line);
            } else {
                self.append_partial(line);
                let line = std::mem::take(&mut self.partial);
                self.line(&line);
                self.partial = line;
                self.partial.clear();
            }
        }
        self.append_partial(rest);
    }

    /// Ends the current source: a last line without a newline is processed now.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() || self.overlong {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
        }
    }

    fn append_partial(&mut self, bytes: &[u8]) {
        if self.overlong {
            return;
        }
        if self.partial.len() + bytes.len() > MAX_LINE {
            self.overlong = true;
            self.partial.clear();
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }

    /// Processes one complete line (without its LF).
    fn line(&mut self, line: &[u8]) {
        self.stats.lines += 1;
        let parsed = if std::mem::take(&mut self.overlong) || line.len() > MAX_LINE {
            Err(LineError::TooLong)
        } else {
            parse_line(line)
        };
        match parsed {
            Ok(Line::Nothing) => {}
            Ok(Line::Unknown) => self.stats.unknown_labels += 1,
            Ok(Line::Secret {
                label,
                client_random,
                secret,
            }) => {
                self.stats.secrets += 1;
                *label.slot(self.sessions.entry(client_random).or_default()) = Some(secret);
                self.stats.sessions = self.sessions.len() as u64;
            }
            Err(e) => {
                self.stats.malformed += 1;
                self.last_error = Some(format!("line {}: {e}", self.stats.lines));
            }
        }
    }

    /// The secrets of the session whose ClientHello carried `client_random`.
    pub fn secrets(&self, client_random: &[u8; 32]) -> Option<&SessionSecrets> {
        self.sessions.get(client_random)
    }

    /// Counters over everything fed so far.
    pub fn stats(&self) -> KeyLogStats {
        self.stats
    }

    /// The key log lines for one session, in NSS format (for a pcapng Decryption Secrets
    /// Block): lower-case hex, one `\n`-terminated line per secret, empty if none.
    pub fn lines_for(&self, client_random: &[u8; 32]) -> String {
        let mut out = String::new();
        let Some(secrets) = self.sessions.get(client_random) else {
            return out;
        };
        for label in Label::ALL {
            if let Some(secret) = label.get(secrets) {
                out.push_str(label.name());
                out.push(' ');
                push_hex(&mut out, client_random);
                out.push(' ');
                push_hex(&mut out, secret);
                out.push('\n');
            }
        }
        out
    }

    /// Last malformed line's description, for the report ("line 12: secret is not hex").
    /// Lines are numbered from 1 across everything fed.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

/// Parses one line (LF removed; a CR before it is removed here).
fn parse_line(line: &[u8]) -> Result<Line, LineError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut fields = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty());
    let Some(label) = fields.next() else {
        return Ok(Line::Nothing);
    };
    if label.first() == Some(&b'#') {
        return Ok(Line::Nothing);
    }
    let random = fields
        .next()
        .ok_or(LineError::MissingField("client random"))?;
    let secret = fields.next().ok_or(LineError::MissingField("secret"))?;
    if fields.next().is_some() {
        return Err(LineError::ExtraField);
    }
    let Some(label) = Label::parse(label) else {
        return Ok(Line::Unknown);
    };
    let random = decode_hex(random).ok_or(LineError::ClientRandomNotHex)?;
    let client_random = <[u8; 32]>::try_from(random.as_slice())
        .map_err(|_| LineError::ClientRandomLength(random.len()))?;
    let secret = decode_hex(secret).ok_or(LineError::SecretNotHex)?;
    if !label.length_ok(secret.len()) {
        return Err(LineError::SecretLength {
            label: label.name(),
            len: secret.len(),
        });
    }
    Ok(Line::Secret {
        label,
        client_random,
        secret,
    })
}

/// Hex (either case) to bytes; `None` for an odd length or a non-hex digit.
fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks_exact(2)
        .map(|pair| Some((digit(pair[0])? << 4) | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    // From a real OpenSSL 3.0 s_client -keylogfile (TLS 1.3, TLS_CHACHA20_POLY1305_SHA256).
    const TLS13_LOG: &str = "\
# SSL/TLS secrets log file, generated by OpenSSL
SERVER_HANDSHAKE_TRAFFIC_SECRET e10c08fe8b842a785494bc98d4ac9b10e1c9dcb46b31dba4876bfbd8d4bde743 3c93d703ba9f806caaded4f289e421f2f9defabdb6d49f2b733e3aa3eaf2ae9a
EXPORTER_SECRET e10c08fe8b842a785494bc98d4ac9b10e1c9dcb46b31dba4876bfbd8d4bde743 09732396ea5ad6484f38e6b4b18969b5db406748fccf60de7746ba68092678cb
SERVER_TRAFFIC_SECRET_0 e10c08fe8b842a785494bc98d4ac9b10e1c9dcb46b31dba4876bfbd8d4bde743 ba0c28c2028485bb392acb72ed8711a7e3793c1656b9773c6e37cc256bb020a1
CLIENT_HANDSHAKE_TRAFFIC_SECRET e10c08fe8b842a785494bc98d4ac9b10e1c9dcb46b31dba4876bfbd8d4bde743 9f693c3cc6d9ee4a96e863a302eb7fcc4a7d0ae3e6b6902b385ad9a186a603db
CLIENT_TRAFFIC_SECRET_0 e10c08fe8b842a785494bc98d4ac9b10e1c9dcb46b31dba4876bfbd8d4bde743 cd780358edeb3220176f8f09af7a3e7fb08674b06c845ae114d78cd3fc95dcb1
";
    const CR13: [u8; 32] = hex!("e10c08fe8b842a785494bc98d4ac9b10e1c9dcb46b31dba4876bfbd8d4bde743");

    // TLS 1.2 (ECDHE-RSA-AES128-GCM-SHA256), same setup.
    const TLS12_LINE: &str = "CLIENT_RANDOM 3daa45c86b3ab10820553e49085ddaa5ba2302823d98b17b6e28176d33a20733 06dfd74ec2ec6a48e20ca353cba1a40c7da7f8ea561a68694def034bdafd353655ac0eda6b4f8fcd48cbf8bc86b3185f\n";
    const CR12: [u8; 32] = hex!("3daa45c86b3ab10820553e49085ddaa5ba2302823d98b17b6e28176d33a20733");
    const MS12: [u8; 48] = hex!(
        "06dfd74ec2ec6a48e20ca353cba1a40c7da7f8ea561a68694def034bdafd3536"
        "55ac0eda6b4f8fcd48cbf8bc86b3185f"
    );

    #[test]
    fn real_tls13_log() {
        let mut log = KeyLog::new();
        log.feed(TLS13_LOG.as_bytes());
        let s = log.secrets(&CR13).unwrap();
        assert_eq!(
            s.client_traffic_0.as_deref(),
            Some(&hex!("cd780358edeb3220176f8f09af7a3e7fb08674b06c845ae114d78cd3fc95dcb1")[..])
        );
        assert!(s.server_handshake.is_some() && s.exporter.is_some());
        assert!(s.master_secret.is_none() && s.client_early.is_none());
        assert_eq!(
            log.stats(),
            KeyLogStats {
                lines: 6,
                secrets: 5,
                sessions: 1,
                malformed: 0,
                unknown_labels: 0
            }
        );
        assert_eq!(log.last_error(), None);
        assert!(log.secrets(&CR12).is_none());
    }

    #[test]
    fn lines_for_round_trips() {
        let mut log = KeyLog::new();
        log.feed(TLS13_LOG.as_bytes());
        log.feed(TLS12_LINE.as_bytes());
        let text = log.lines_for(&CR13);
        assert_eq!(text.lines().count(), 5);
        assert!(text.starts_with("CLIENT_HANDSHAKE_TRAFFIC_SECRET e10c08fe"));
        // Feeding the output back gives the same secrets.
        let mut again = KeyLog::new();
        again.feed(text.as_bytes());
        assert_eq!(again.secrets(&CR13), log.secrets(&CR13));
        assert_eq!(log.lines_for(&CR12), TLS12_LINE);
        assert_eq!(log.lines_for(&[0; 32]), "");
    }

    #[test]
    fn crlf_comments_blank_lines_and_uppercase_hex() {
        let mut log = KeyLog::new();
        let text = format!(
            "# comment\r\n\r\n   \n{}\r\n",
            TLS12_LINE.trim_end().to_uppercase()
        );
        log.feed(text.as_bytes());
        assert_eq!(
            log.secrets(&CR12).unwrap().master_secret.as_deref(),
            Some(&MS12[..])
        );
        let st = log.stats();
        assert_eq!((st.lines, st.secrets, st.malformed), (4, 1, 0));
    }

    #[test]
    fn partial_line_in_two_pieces_and_finish() {
        let mut log = KeyLog::new();
        let (a, b) = TLS12_LINE.split_at(50);
        log.feed(a.as_bytes());
        assert!(log.secrets(&CR12).is_none());
        assert_eq!(log.stats().lines, 0);
        log.feed(b.as_bytes());
        assert_eq!(
            log.secrets(&CR12).unwrap().master_secret.as_deref(),
            Some(&MS12[..])
        );
        // Byte by byte.
        let mut log = KeyLog::new();
        for byte in TLS13_LOG.as_bytes() {
            log.feed(std::slice::from_ref(byte));
        }
        assert_eq!(log.stats().secrets, 5);
        // A last line without a newline waits for finish().
        let mut log = KeyLog::new();
        log.feed(TLS12_LINE.trim_end().as_bytes());
        assert!(log.secrets(&CR12).is_none());
        log.finish();
        assert!(log.secrets(&CR12).is_some());
        log.finish();
        assert_eq!(log.stats().lines, 1);
    }

    #[test]
    fn malformed_lines_are_counted_and_described() {
        let cr = "3daa45c86b3ab10820553e49085ddaa5ba2302823d98b17b6e28176d33a20733";
        let ms = "06dfd74ec2ec6a48e20ca353cba1a40c7da7f8ea561a68694def034bdafd353655ac0eda6b4f8fcd48cbf8bc86b3185f";
        let cases = [
            (
                format!("CLIENT_RANDOM {cr} {}zz", &ms[2..]),
                "line 1: secret is not hex",
            ),
            (
                format!("CLIENT_RANDOM {cr} {}", &ms[1..]),
                "line 1: secret is not hex",
            ),
            (
                format!("CLIENT_RANDOM {cr} {}", &ms[2..]),
                "line 1: CLIENT_RANDOM secret is 47 bytes",
            ),
            (
                format!("CLIENT_TRAFFIC_SECRET_0 {cr} {}", &ms[..40]),
                "line 1: CLIENT_TRAFFIC_SECRET_0 secret is 20 bytes",
            ),
            (
                format!("CLIENT_RANDOM {} {ms}", &cr[2..]),
                "line 1: client random is 31 bytes, not 32",
            ),
            (
                format!("CLIENT_RANDOM g{} {ms}", &cr[1..]),
                "line 1: client random is not hex",
            ),
            (format!("CLIENT_RANDOM {cr}"), "line 1: missing secret"),
            ("CLIENT_RANDOM".to_string(), "line 1: missing client random"),
            (
                format!("CLIENT_RANDOM {cr} {ms} extra"),
                "line 1: more than three fields",
            ),
            ("x".repeat(600), "line 1: line longer than 512 bytes"),
        ];
        for (line, want) in cases {
            let mut log = KeyLog::new();
            log.feed(format!("{line}\n").as_bytes());
            assert_eq!(log.last_error(), Some(want), "{line}");
            assert_eq!(log.stats().malformed, 1);
            assert_eq!(log.stats().sessions, 0);
        }
        // Errors do not stop the rest of the file; the line number counts every line.
        let mut log = KeyLog::new();
        log.feed(format!("# c\nCLIENT_RANDOM zz {ms}\n{TLS12_LINE}").as_bytes());
        assert_eq!(log.last_error(), Some("line 2: client random is not hex"));
        assert!(log.secrets(&CR12).is_some());
    }

    #[test]
    fn overlong_partial_line_is_bounded() {
        let mut log = KeyLog::new();
        for _ in 0..1000 {
            log.feed(&[b'a'; 100]);
        }
        assert!(log.partial.len() <= MAX_LINE);
        log.feed(b"\n");
        log.feed(TLS12_LINE.as_bytes());
        assert_eq!(log.stats().malformed, 1);
        assert!(log.secrets(&CR12).is_some());
    }

    #[test]
    fn unknown_labels_and_rsa_are_counted() {
        let mut log = KeyLog::new();
        log.feed(b"RSA 0102030405060708 0303aabbcc\nSOMETHING_NEW 00 11\n");
        assert_eq!(log.stats().unknown_labels, 2);
        assert_eq!(log.stats().malformed, 0);
        assert_eq!(log.stats().sessions, 0);
    }

    #[test]
    fn duplicates_and_merged_sources_later_wins() {
        let mut log = KeyLog::new();
        log.feed(TLS12_LINE.as_bytes());
        let other = "f".repeat(96);
        log.feed(
            format!(
                "CLIENT_RANDOM 3DAA45C86B3AB10820553E49085DDAA5BA2302823D98B17B6E28176D33A20733 {other}\n"
            )
            .as_bytes(),
        );
        assert_eq!(
            log.secrets(&CR12).unwrap().master_secret.as_deref(),
            Some(&[0xff; 48][..])
        );
        log.feed(TLS13_LOG.as_bytes());
        let st = log.stats();
        assert_eq!((st.secrets, st.sessions), (7, 2));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut log = KeyLog::new();
        let mut x: u32 = 0x9e37_79b9;
        let mut bytes = Vec::new();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            bytes.push(b"0aF \n\r#CLIENT_RANDOM\xff"[(x % 21) as usize]);
        }
        for chunk in bytes.chunks(37) {
            log.feed(chunk);
        }
        log.finish();
        assert!(log.stats().lines > 0);
    }
}
