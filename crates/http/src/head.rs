//! Message heads: finding where a head ends, and turning a complete head into
//! [`model::Request`] / [`model::Response`] fields, plus the header lookups that decide
//! message framing.
//!
//! Invariants: [`HeadScan`] is incremental, so a head split across data chunks is scanned once;
//! the parse functions only ever see a complete head (start line, fields, empty line) and
//! allocate only the `String`s of the final values.
//!
//! Rules enforced here:
//! - RFC 9112 §2.2: lines end in CRLF; a lone LF is also accepted as a line terminator.
//! - RFC 9112 §5: `field-line = field-name ":" OWS field-value OWS`; a line without a colon
//!   or with an empty name makes the head malformed. Whitespace between name and colon (which
//!   a server must reject) is tolerated and trimmed: httpscope observes, it does not police.
//! - RFC 9112 §5.2: obsolete line folding (a line starting with SP or HTAB) is replaced by a
//!   single space joining it to the previous value.
//! - RFC 9110 §8.6: `Content-Length` may be repeated (as headers or as a list) only with one
//!   identical value; anything else is invalid.
//! - RFC 9112 §6.1: chunked must be the final transfer coding for the body to be chunked.

use model::{Header, Request, Response};

/// Finds `needle` in `hay`, eight bytes at a time.
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO.wrapping_mul(u64::from(needle));
    let mut words = hay.chunks_exact(8);
    let mut base = 0usize;
    for word in &mut words {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let x = u64::from_le_bytes(bytes) ^ pattern;
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(base + (found.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|i| base + i)
}

/// What the current (unterminated) line holds so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum LineSoFar {
    /// Nothing: the last byte seen was LF (or nothing was seen).
    #[default]
    Empty,
    /// Exactly one CR.
    Cr,
    /// Anything else.
    Text,
}

/// Incremental search for the empty line that ends a head (or a trailer section).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HeadScan {
    line: LineSoFar,
    /// Whether a line end has been seen.
    seen_line: bool,
}

impl HeadScan {
    /// Scans `data`, the continuation of everything scanned before. Returns the length of the
    /// prefix of `data` that ends with the first empty line, if it is in `data`.
    pub(crate) fn scan(&mut self, data: &[u8]) -> Option<usize> {
        let mut start = 0usize;
        let mut carried = self.line;
        while let Some(rel) = data.get(start..).and_then(|rest| find_byte(b'\n', rest)) {
            let lf = start + rel;
            let content = data.get(start..lf).unwrap_or_default();
            let empty = matches!(
                (carried, content),
                (LineSoFar::Empty, [] | [b'\r']) | (LineSoFar::Cr, [])
            );
            self.seen_line = true;
            if empty {
                self.line = LineSoFar::Empty;
                return Some(lf + 1);
            }
            carried = LineSoFar::Empty;
            start = lf + 1;
        }
        let tail = data.get(start..).unwrap_or_default();
        self.line = match (carried, tail) {
            (c, []) => c,
            (LineSoFar::Empty, [b'\r']) => LineSoFar::Cr,
            _ => LineSoFar::Text,
        };
        None
    }
}

/// Iterates over the lines of a head, without their CRLF / LF.
struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match find_byte(b'\n', self.rest) {
            Some(lf) => (self.rest.get(..lf)?, self.rest.get(lf + 1..)?),
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

/// Header text: valid UTF-8 is copied as is (the common case, checked quickly); anything
/// else is converted lossily (U+FFFD).
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn is_ows(b: &u8) -> bool {
    *b == b' ' || *b == b'\t'
}

fn trim_ows(mut bytes: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = bytes {
        if !is_ows(first) {
            break;
        }
        bytes = rest;
    }
    while let [rest @ .., last] = bytes {
        if !is_ows(last) {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// Parses field lines up to the first empty line (RFC 9112 §5, §5.2).
/// `capacity` is a bound on the number of fields (the number of line ends), so that the
/// vector is allocated once.
fn parse_fields<'a>(
    lines: impl Iterator<Item = &'a [u8]>,
    capacity: usize,
) -> Result<Vec<Header>, &'static str> {
    let mut headers: Vec<Header> = Vec::with_capacity(capacity);
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.first().is_some_and(is_ows) {
            let Some(last) = headers.last_mut() else {
                return Err("obs-fold line before the first header");
            };
            let more = trim_ows(line);
            if !more.is_empty() {
                if !last.value.is_empty() {
                    last.value.push(' ');
                }
                last.value.push_str(&String::from_utf8_lossy(more));
            }
            continue;
        }
        let Some(colon) = find_byte(b':', line) else {
            return Err("header line without colon");
        };
        let name = trim_ows(line.get(..colon).unwrap_or_default());
        if name.is_empty() {
            return Err("empty header name");
        }
        let value = trim_ows(line.get(colon + 1..).unwrap_or_default());
        headers.push(Header {
            name: text(name),
            value: text(value),
        });
    }
    Ok(headers)
}

/// Parses a trailer section (field lines and the final empty line), RFC 9112 §7.1.2.
pub(crate) fn parse_trailers(section: &[u8]) -> Result<Vec<Header>, &'static str> {
    parse_fields(
        Lines { rest: section },
        line_ends(section).saturating_sub(1),
    )
}

/// The number of LF bytes in `bytes`.
fn line_ends(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Splits `line` at the first SP.
fn split_sp(line: &[u8]) -> (&[u8], &[u8]) {
    match find_byte(b' ', line) {
        Some(sp) => (
            line.get(..sp).unwrap_or_default(),
            line.get(sp + 1..).unwrap_or_default(),
        ),
        None => (line, &[]),
    }
}

/// Parses a complete request head (RFC 9112 §3). The start line has already passed
/// [`crate::detect::check_request_line`], but it is re-validated here.
pub(crate) fn parse_request(head: &[u8]) -> Result<Request, &'static str> {
    let mut lines = Lines { rest: head };
    let line = lines.next().unwrap_or_default();
    let (method, rest) = split_sp(line);
    let (target, version) = split_sp(rest);
    if method.is_empty() || !method.iter().all(|&b| crate::detect::is_tchar(b)) {
        return Err("invalid method");
    }
    if target.is_empty() || !is_version(version) {
        return Err("invalid request line");
    }
    let headers = parse_fields(lines, line_ends(head).saturating_sub(2))?;
    Ok(Request {
        method: text(method),
        target: text(target),
        version: text(version),
        headers,
        header_bytes: head.len() as u64,
        ..Request::default()
    })
}

/// Parses a complete response head (RFC 9112 §4).
pub(crate) fn parse_response(head: &[u8]) -> Result<Response, &'static str> {
    let mut lines = Lines { rest: head };
    let line = lines.next().unwrap_or_default();
    let (version, rest) = split_sp(line);
    let (code, reason) = split_sp(rest);
    if !is_version(version) {
        return Err("invalid status line");
    }
    let status = match code {
        [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => return Err("invalid status code"),
    };
    let headers = parse_fields(lines, line_ends(head).saturating_sub(2))?;
    Ok(Response {
        status,
        reason: text(trim_ows(reason)),
        version: text(version),
        headers,
        header_bytes: head.len() as u64,
        ..Response::default()
    })
}

fn is_version(v: &[u8]) -> bool {
    matches!(v, [b'H', b'T', b'T', b'P', b'/', b'1', b'.', d] if d.is_ascii_digit())
}

/// The message's `Content-Length`, RFC 9110 §8.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContentLength {
    Absent,
    Valid(u64),
    Invalid,
}

pub(crate) fn content_length(headers: &[Header]) -> ContentLength {
    let mut found: Option<u64> = None;
    for h in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
    {
        for item in h.value.split(',') {
            let item = item.trim_matches([' ', '\t']);
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return ContentLength::Invalid;
            }
            let Ok(n) = item.parse::<u64>() else {
                return ContentLength::Invalid;
            };
            match found {
                Some(prev) if prev != n => return ContentLength::Invalid,
                _ => found = Some(n),
            }
        }
    }
    found.map_or(ContentLength::Absent, ContentLength::Valid)
}

/// `None` without `Transfer-Encoding`; otherwise whether chunked is the final coding.
pub(crate) fn chunked_is_final(headers: &[Header]) -> Option<bool> {
    let mut last: Option<&str> = None;
    for h in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("transfer-encoding"))
    {
        for item in h.value.split(',') {
            let item = item.trim_matches([' ', '\t']);
            if !item.is_empty() {
                last = Some(item);
            }
        }
        last = last.or(Some(""));
    }
    last.map(|c| c.eq_ignore_ascii_case("chunked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    static HEAD: &[u8] = b"GET /a?b HTTP/1.1\r\nHost: example.com\r\nAccept:  */* \r\n\r\n";
    static FOLDED: &[u8] = b"HTTP/1.0 200 OK\nX-Long: one\n  two\n\tthree\nServer: s\n\n";
    static NO_COLON: &[u8] = b"HTTP/1.1 200 OK\r\nbroken line\r\n\r\n";
    static BAD_STATUS: &[u8] = b"HTTP/1.1 20 OK\r\n\r\n";
    static LATIN1: &[u8] = b"HTTP/1.1 404 Nicht gefunden\r\nX-Name: M\xfcller\r\n\r\n";

    #[test]
    fn find_byte_matches_position() {
        let hay = b"0123456789abcdef\nxyz";
        assert_eq!(find_byte(b'\n', hay), Some(16));
        assert_eq!(find_byte(b'z', hay), Some(19));
        assert_eq!(find_byte(b'0', hay), Some(0));
        assert_eq!(find_byte(b'q', hay), None);
        for i in 0..40 {
            let mut v = vec![0x80u8; 40];
            v[i] = b'\n';
            assert_eq!(find_byte(b'\n', &v), Some(i));
        }
    }

    #[test]
    fn scan_finds_end_in_one_chunk_and_split() {
        assert_eq!(HeadScan::default().scan(HEAD), Some(HEAD.len()));
        for split in 0..HEAD.len() {
            let mut scan = HeadScan::default();
            let (a, b) = HEAD.split_at(split);
            match scan.scan(a) {
                Some(n) => assert_eq!(n, HEAD.len()),
                None => assert_eq!(scan.scan(b).map(|n| n + split), Some(HEAD.len())),
            }
        }
        let mut byte_by_byte = HeadScan::default();
        let found = HEAD
            .iter()
            .position(|b| byte_by_byte.scan(std::slice::from_ref(b)).is_some());
        assert_eq!(found, Some(HEAD.len() - 1));
    }

    #[test]
    fn scan_accepts_bare_lf_and_mixed() {
        assert_eq!(
            HeadScan::default().scan(b"HTTP/1.1 200 OK\n\nbody"),
            Some(17)
        );
        assert_eq!(HeadScan::default().scan(b"A\r\nB: c\n\r\nrest"), Some(10));
        assert_eq!(HeadScan::default().scan(b"A\r\nB: c\r\n"), None);
        assert_eq!(HeadScan::default().scan(b"\r\n"), Some(2));
    }

    #[test]
    fn request_head() {
        let r = parse_request(HEAD).unwrap();
        assert_eq!(
            (r.method.as_str(), r.target.as_str(), r.version.as_str()),
            ("GET", "/a?b", "HTTP/1.1")
        );
        assert_eq!(
            r.headers,
            vec![
                Header::new("Host", "example.com"),
                Header::new("Accept", "*/*")
            ]
        );
        assert_eq!(r.header_bytes, HEAD.len() as u64);
    }

    #[test]
    fn response_head_with_obs_fold() {
        let r = parse_response(FOLDED).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.headers[0], Header::new("X-Long", "one two three"));
        assert_eq!(r.headers[1], Header::new("Server", "s"));
    }

    #[test]
    fn malformed_heads() {
        assert_eq!(parse_response(NO_COLON), Err("header line without colon"));
        assert_eq!(parse_response(BAD_STATUS), Err("invalid status code"));
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n folded\r\n\r\n"),
            Err("obs-fold line before the first header")
        );
        assert_eq!(parse_request(b"GET /\r\n\r\n"), Err("invalid request line"));
    }

    #[test]
    fn non_utf8_is_lossy() {
        let r = parse_response(LATIN1).unwrap();
        assert_eq!(r.reason, "Nicht gefunden");
        assert_eq!(r.headers[0].value, "M\u{fffd}ller");
    }

    #[test]
    fn content_length_rules() {
        let h = |v: &str| vec![Header::new("Content-Length", v)];
        assert_eq!(content_length(&h("42")), ContentLength::Valid(42));
        assert_eq!(content_length(&h("42, 42")), ContentLength::Valid(42));
        assert_eq!(content_length(&h("42, 43")), ContentLength::Invalid);
        assert_eq!(content_length(&h("-1")), ContentLength::Invalid);
        assert_eq!(
            content_length(&h("99999999999999999999999")),
            ContentLength::Invalid
        );
        let two = vec![
            Header::new("content-length", "1"),
            Header::new("Content-Length", "2"),
        ];
        assert_eq!(content_length(&two), ContentLength::Invalid);
        assert_eq!(content_length(&[]), ContentLength::Absent);
    }

    #[test]
    fn transfer_encoding_final_coding() {
        let h = |v: &str| vec![Header::new("Transfer-Encoding", v)];
        assert_eq!(chunked_is_final(&h("chunked")), Some(true));
        assert_eq!(chunked_is_final(&h("gzip, Chunked")), Some(true));
        assert_eq!(chunked_is_final(&h("chunked, gzip")), Some(false));
        assert_eq!(chunked_is_final(&h("")), Some(false));
        assert_eq!(chunked_is_final(&[]), None);
    }

    #[test]
    fn trailers() {
        let t = parse_trailers(b"Expires: never\r\nX-Sum: 1\r\n\r\n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(parse_trailers(b"\r\n").unwrap(), vec![]);
    }
}
