//! Recognising HTTP/1.x by content: [`detect`] for the engine, and the start-line checks
//! the connection parser uses to find (and re-find, after loss) the start of a message.
//!
//! Invariants: every check looks at a prefix of at most [`MAX_START_LINE`] bytes and answers
//! [`Check::More`] only while the bytes seen are a valid prefix of a start line, so a caller
//! that keeps feeding bytes always gets `Yes` or `No` within that bound.
//!
//! RFC 9112 §3: `request-line = method SP request-target SP HTTP-version`, where `method` is
//! a token (RFC 9110 §5.6.2). [`detect`] and a request at a clean message boundary accept any
//! token; while resynchronising, [`find_request_start`] asks more of the method
//! ([`MethodRule`]), because a token is also what the tail of an orphaned body looks like. RFC 9112 §4: `status-line = HTTP-version SP status-code SP
//! [ reason-phrase ]`. RFC 9112 §2.2: a recipient MAY recognise a single LF as a line
//! terminator, so both CRLF and LF end a line here.

/// What the first bytes of a direction look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// A request line (`TOKEN SP target SP HTTP/1.x`).
    Request,
    /// A status line (`HTTP/1.x NNN`).
    Response,
    /// Not HTTP/1.x.
    NotHttp,
    /// A valid prefix of a start line: more bytes are needed to decide.
    NeedMore,
}

/// The longest start line the checks wait for before answering [`Check::No`].
pub(crate) const MAX_START_LINE: usize = 8 * 1024;

/// The answer of a start-line check on a prefix of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// The bytes begin with a start line.
    Yes,
    /// The bytes cannot begin a start line.
    No,
    /// A valid prefix; more bytes are needed.
    More,
}

/// RFC 9110 §5.6.2: `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
/// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA`.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

const VERSION_PREFIX: &[u8] = b"HTTP/1.";

/// Checks that `data` begins with a complete request line ending in CRLF or LF:
/// `token SP target SP HTTP/1.DIGIT`, the target being visible characters without spaces.
pub(crate) fn check_request_line(data: &[u8]) -> Check {
    #[derive(Clone, Copy)]
    enum S {
        Method,
        Target(usize),
        Version(usize),
    }
    let mut state = S::Method;
    for (i, &b) in data.iter().enumerate() {
        if i >= MAX_START_LINE {
            return Check::No;
        }
        state = match state {
            S::Method if is_tchar(b) => S::Method,
            S::Method if b == b' ' && i > 0 => S::Target(i + 1),
            S::Method => return Check::No,
            S::Target(start) if b == b' ' && i > start => S::Version(i + 1),
            S::Target(_) if b <= b' ' || b == 0x7f => return Check::No,
            S::Target(start) => S::Target(start),
            S::Version(start) => {
                let k = i - start;
                let ok = match k {
                    0..=6 => VERSION_PREFIX.get(k) == Some(&b),
                    7 => b.is_ascii_digit(),
                    8 if b == b'\n' => return Check::Yes,
                    8 => b == b'\r',
                    9 if b == b'\n' => return Check::Yes,
                    _ => false,
                };
                if !ok {
                    return Check::No;
                }
                S::Version(start)
            }
        };
    }
    Check::More
}

/// How strictly the method of a candidate request line is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MethodRule {
    /// Any token (RFC 9110 §9.1): a request at a clean message boundary.
    Token,
    /// A registered method, or an all-uppercase token of letters, `-` and `_` of at most
    /// [`MAX_SHAPED_METHOD`] bytes: a line start while resynchronising.
    Shaped,
    /// A registered method ([`KNOWN_METHODS`]) only: inside a line while resynchronising
    /// (a request glued to the end of a body).
    Known,
}

/// The methods recognised in the middle of a line while resynchronising: RFC 9110 §9,
/// PATCH (RFC 5789), WebDAV (RFC 4918, RFC 3253 REPORT, RFC 5323 SEARCH), SSDP's M-SEARCH
/// and the caches' PURGE.
pub(crate) const KNOWN_METHODS: &[&[u8]] = &[
    b"GET",
    b"HEAD",
    b"POST",
    b"PUT",
    b"DELETE",
    b"CONNECT",
    b"OPTIONS",
    b"TRACE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"REPORT",
    b"SEARCH",
    b"M-SEARCH",
    b"PURGE",
];

/// The longest entry of [`KNOWN_METHODS`].
const MAX_KNOWN_METHOD: usize = 9;

/// The longest unregistered method accepted at a line start while resynchronising.
pub(crate) const MAX_SHAPED_METHOD: usize = 20;

fn is_known_method(m: &[u8]) -> bool {
    KNOWN_METHODS.contains(&m)
}

/// The length of the longest registered method `data` ends with.
fn known_method_before(data: &[u8]) -> Option<usize> {
    let tail = data.get(data.len().saturating_sub(MAX_KNOWN_METHOD)..)?;
    // Fast reject: every registered method ends in an uppercase letter.
    if !tail.last().is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    KNOWN_METHODS
        .iter()
        .filter(|m| tail.ends_with(m))
        .map(|m| m.len())
        .max()
}

/// Checks the method part of a candidate request line (up to its SP) against `rule`:
/// `Yes` when a method and its SP are there, `More` for a valid prefix.
fn check_method(data: &[u8], rule: MethodRule) -> Check {
    let max = match rule {
        MethodRule::Token => return Check::Yes,
        MethodRule::Shaped => MAX_SHAPED_METHOD,
        MethodRule::Known => MAX_KNOWN_METHOD,
    };
    let Some(sp) = data.iter().take(max + 1).position(|&b| b == b' ') else {
        let prefix = data.get(..max + 1).unwrap_or(data);
        let ok = prefix.len() <= max
            && match rule {
                MethodRule::Known => KNOWN_METHODS.iter().any(|m| m.starts_with(prefix)),
                _ => is_shaped_method(prefix, true),
            };
        return if ok { Check::More } else { Check::No };
    };
    let method = data.get(..sp).unwrap_or_default();
    let ok = match rule {
        MethodRule::Known => is_known_method(method),
        _ => is_shaped_method(method, false),
    };
    if ok {
        Check::Yes
    } else {
        Check::No
    }
}

/// An uppercase letter followed by uppercase letters, `-` and `_` (`prefix`: possibly empty).
fn is_shaped_method(m: &[u8], prefix: bool) -> bool {
    match m.split_first() {
        Some((first, rest)) => {
            first.is_ascii_uppercase()
                && rest
                    .iter()
                    .all(|&b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
        }
        None => prefix,
    }
}

/// [`check_request_line`] with the method also checked against `rule`.
pub(crate) fn check_request_start(data: &[u8], rule: MethodRule) -> Check {
    match check_method(data, rule) {
        Check::Yes => check_request_line(data),
        other => other,
    }
}

/// Where a request line starts in bytes seen while looking for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// A complete request line starts at this offset; its method was checked with the rule.
    At(usize, MethodRule),
    /// From this offset to the end, the bytes may still become a request line (checked with
    /// the rule once more bytes come).
    Partial(usize, MethodRule),
    Nothing,
}

/// Finds the earliest request line start in `data`. Candidates, in order of offset: the
/// first byte when `line_start` (method checked with `first`), the byte after every LF
/// ([`MethodRule::Shaped`]), and inside lines every registered method followed by SP
/// ([`MethodRule::Known`]). A candidate counts when a whole request line follows it
/// ([`Found::At`]); the first one still undecided at the end of `data` gives
/// [`Found::Partial`], as does a tail of `data` that is a prefix of a registered method.
///
/// Linear in `data`: each line is scanned for LF and SP once, the checks at line starts
/// look at most [`MAX_SHAPED_METHOD`] bytes before failing, and a check in the middle of
/// a line stops at the second SP after its method.
pub(crate) fn find_request_start(data: &[u8], line_start: bool, first: MethodRule) -> Found {
    let mut start = 0usize;
    let mut at_line_start = line_start;
    let mut rule = first;
    loop {
        let rest = data.get(start..).unwrap_or_default();
        if rest.is_empty() {
            return Found::Nothing;
        }
        let lf = crate::head::find_byte(b'\n', rest);
        if at_line_start {
            match check_request_start(rest, rule) {
                Check::Yes => return Found::At(start, rule),
                Check::More => return Found::Partial(start, rule),
                Check::No => {}
            }
        }
        let line = rest.get(..lf.unwrap_or(rest.len())).unwrap_or_default();
        let mut from = 0usize;
        while let Some(sp) = crate::head::find_byte(b' ', line.get(from..).unwrap_or_default()) {
            let sp = from + sp;
            if let Some(len) = known_method_before(line.get(..sp).unwrap_or_default()) {
                let at = sp - len;
                if at > 0 || !at_line_start {
                    match check_request_line(rest.get(at..).unwrap_or_default()) {
                        Check::Yes => return Found::At(start + at, MethodRule::Known),
                        Check::More => return Found::Partial(start + at, MethodRule::Known),
                        Check::No => {}
                    }
                }
            }
            from = sp + 1;
        }
        let Some(lf) = lf else {
            // The last line may end in the first bytes of a method cut by the chunk's end.
            let tail = line.len().saturating_sub(MAX_KNOWN_METHOD).max(from);
            for at in tail..line.len() {
                if at == 0 && at_line_start {
                    continue;
                }
                let cut = line.get(at..).unwrap_or_default();
                if KNOWN_METHODS.iter().any(|m| m.starts_with(cut)) {
                    return Found::Partial(start + at, MethodRule::Known);
                }
            }
            return Found::Nothing;
        };
        start += lf + 1;
        at_line_start = true;
        rule = MethodRule::Shaped;
    }
}

/// Checks that `data` begins with `HTTP/1.DIGIT SP`: the start of a status line. The status
/// code itself is validated when the head is parsed, so that a bad code is reported as a
/// malformed response rather than skipped.
pub(crate) fn check_status_start(data: &[u8]) -> Check {
    const LEN: usize = 9;
    for (i, &b) in data.iter().take(LEN).enumerate() {
        let ok = match i {
            0..=6 => VERSION_PREFIX.get(i) == Some(&b),
            7 => b.is_ascii_digit(),
            _ => b == b' ',
        };
        if !ok {
            return Check::No;
        }
    }
    if data.len() >= LEN {
        Check::Yes
    } else {
        Check::More
    }
}

/// Recognise HTTP/1.x by content (not port).
///
/// A request line `TOKEN SP target SP HTTP/1.x` (any token is accepted as the method, but the
/// line must be complete and carry the ` HTTP/1.` version) gives [`Detection::Request`]; a
/// status line `HTTP/1.x NNN` gives [`Detection::Response`]. A valid prefix shorter than a
/// full line gives [`Detection::NeedMore`], up to 8 KiB without a line end, after which the
/// answer is [`Detection::NotHttp`].
pub fn detect(data: &[u8]) -> Detection {
    let status = match check_status_start(data) {
        Check::Yes => status_code_follows(data.get(9..).unwrap_or_default()),
        other => other,
    };
    if status == Check::Yes {
        return Detection::Response;
    }
    let request = check_request_line(data);
    if request == Check::Yes {
        return Detection::Request;
    }
    if status == Check::More || request == Check::More {
        Detection::NeedMore
    } else {
        Detection::NotHttp
    }
}

/// Where a message may start, in bytes that can begin in the middle of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// A request line starts at this offset.
    Request(usize),
    /// A status line starts at this offset.
    Response(usize),
    /// From this offset to the end the bytes may still become a start line.
    Partial(usize),
    /// No start line, and nothing at the end that could become one.
    Nothing,
}

/// Finds the earliest message start in `data` by the rules the parser resynchronises with
/// after a gap: a request line at the first byte (when `line_start`) or after a line feed
/// whose method is shaped like one, or a registered method glued to the end of a line
/// (`find_request_start`); a status line `HTTP/1.x NNN` anywhere (a response may follow
/// the last byte of a body directly). For a capture that begins mid-connection.
pub fn find_start(data: &[u8], line_start: bool) -> Start {
    let mut partial: Option<usize> = None;
    let mut request = None;
    match find_request_start(data, line_start, MethodRule::Shaped) {
        Found::At(at, _) => request = Some(at),
        Found::Partial(at, _) => partial = Some(at),
        Found::Nothing => {}
    }
    let limit = request.unwrap_or(data.len());
    let mut from = 0usize;
    while let Some(h) = crate::head::find_byte(b'H', data.get(from..limit).unwrap_or_default()) {
        let at = from + h;
        let rest = data.get(at..).unwrap_or_default();
        let status = match check_status_start(rest) {
            Check::Yes => status_code_follows(rest.get(9..).unwrap_or_default()),
            other => other,
        };
        match status {
            Check::Yes => return Start::Response(at),
            Check::More => {
                partial = Some(partial.map_or(at, |p| p.min(at)));
                break;
            }
            Check::No => from = at + 1,
        }
    }
    match (request, partial) {
        (Some(at), _) => Start::Request(at),
        (None, Some(at)) => Start::Partial(at),
        (None, None) => Start::Nothing,
    }
}

/// Three digits after `HTTP/1.x SP`.
fn status_code_follows(rest: &[u8]) -> Check {
    for &b in rest.iter().take(3) {
        if !b.is_ascii_digit() {
            return Check::No;
        }
    }
    if rest.len() >= 3 {
        Check::Yes
    } else {
        Check::More
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static GET: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
    static CUSTOM_METHOD: &[u8] = b"PURGE-ALL * HTTP/1.0\n";
    static RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\n";
    static TLS_HELLO: &[u8] = &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01];
    static H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    #[test]
    fn requests_and_responses() {
        assert_eq!(detect(GET), Detection::Request);
        assert_eq!(detect(CUSTOM_METHOD), Detection::Request);
        assert_eq!(detect(RESPONSE), Detection::Response);
        assert_eq!(detect(b"HTTP/1.0 404"), Detection::Response);
    }

    #[test]
    fn prefixes_need_more() {
        assert_eq!(detect(b""), Detection::NeedMore);
        assert_eq!(detect(b"G"), Detection::NeedMore);
        assert_eq!(detect(b"GET /very/long"), Detection::NeedMore);
        assert_eq!(detect(b"GET / HTTP/1.1\r"), Detection::NeedMore);
        assert_eq!(detect(b"HTTP/1.1 20"), Detection::NeedMore);
        assert_eq!(detect(b"HTT"), Detection::NeedMore);
    }

    #[test]
    fn not_http() {
        assert_eq!(detect(TLS_HELLO), Detection::NotHttp);
        assert_eq!(detect(H2_PREFACE), Detection::NotHttp);
        assert_eq!(detect(b"GET / HTTP/2.0\r\n"), Detection::NotHttp);
        assert_eq!(detect(b"GET  / HTTP/1.1\r\n"), Detection::NotHttp);
        assert_eq!(detect(b"HTTP/1.1 2x0 OK\r\n"), Detection::NotHttp);
        assert_eq!(detect(b"SSH-2.0-OpenSSH_9.6\r\n"), Detection::NotHttp);
    }

    #[test]
    fn long_prefix_gives_up_after_8k() {
        let mut line = b"GET /".to_vec();
        line.resize(MAX_START_LINE + 10, b'a');
        assert_eq!(detect(&line), Detection::NotHttp);
        assert_eq!(detect(&line[..MAX_START_LINE - 1]), Detection::NeedMore);
    }

    #[test]
    fn method_rules() {
        use MethodRule::{Known, Shaped, Token};
        let line = |m: &str| format!("{m} /x HTTP/1.1\r\n").into_bytes();
        for m in KNOWN_METHODS {
            let m = std::str::from_utf8(m).unwrap();
            assert_eq!(check_request_start(&line(m), Known), Check::Yes, "{m}");
            assert_eq!(check_request_start(&line(m), Shaped), Check::Yes, "{m}");
        }
        for (m, token, shaped, known) in [
            ("BREW", Check::Yes, Check::Yes, Check::No),
            ("X_MY-METHOD", Check::Yes, Check::Yes, Check::No),
            ("ABCDEFGHIJKLMNOPQRST", Check::Yes, Check::Yes, Check::No),
            ("ABCDEFGHIJKLMNOPQRSTU", Check::Yes, Check::No, Check::No),
            ("get", Check::Yes, Check::No, Check::No),
            ("8a81GET", Check::Yes, Check::No, Check::No),
            ("-GET", Check::Yes, Check::No, Check::No),
        ] {
            assert_eq!(check_request_start(&line(m), Token), token, "{m}");
            assert_eq!(check_request_start(&line(m), Shaped), shaped, "{m}");
            assert_eq!(check_request_start(&line(m), Known), known, "{m}");
        }
        assert_eq!(check_request_start(b"M-SE", Known), Check::More);
        assert_eq!(check_request_start(b"PROPPATCH", Known), Check::More);
        assert_eq!(check_request_start(b"PROPPATCHX", Known), Check::No);
        assert_eq!(check_request_start(b"BRE", Shaped), Check::More);
        assert_eq!(check_request_start(b"GET /x HTTP/1.", Known), Check::More);
    }

    #[test]
    fn find_request_start_candidates() {
        use MethodRule::{Known, Shaped, Token};
        let find = |d: &[u8], ls: bool| find_request_start(d, ls, Shaped);
        assert_eq!(
            find(b"8a81c5e5adc8GET /missing HTTP/1.1\r\nHost: h\r\n", true),
            Found::At(12, Known)
        );
        // The earliest candidate wins; a longer registered method is preferred.
        assert_eq!(
            find(b"xxUNLOCK /a HTTP/1.1\r\n", false),
            Found::At(2, Known)
        );
        assert_eq!(find(b"junk\nBREW / HTTP/1.0\n", true), Found::At(5, Shaped));
        assert_eq!(find(b"GET / HTTP/1.1\n", false), Found::At(0, Known));
        assert_eq!(find(b"GET / HTTP/1.1\n", true), Found::At(0, Shaped));
        assert_eq!(
            find_request_start(b"get / HTTP/1.1\n", true, Token),
            Found::At(0, Token)
        );
        // Body text mentioning a method is not a request line.
        assert_eq!(
            find(b"a GET /x now\r\nPUT it HTTP/2.0\n", true),
            Found::Nothing
        );
        assert_eq!(find(b"abcBREW / HTTP/1.1\r\n", true), Found::Nothing);
        // Cut by the end of the data.
        assert_eq!(find(b"abcdGET /mis", true), Found::Partial(4, Known));
        assert_eq!(find(b"abcdGE", true), Found::Partial(4, Known));
        assert_eq!(find(b"abcdM-", true), Found::Partial(4, Known));
        assert_eq!(find(b"abcd\nBRE", true), Found::Partial(5, Shaped));
        assert_eq!(find(b"abcdX", true), Found::Nothing);
        assert_eq!(find(b"abcd", true), Found::Nothing);
        assert_eq!(find(b"", true), Found::Nothing);
    }

    #[test]
    fn find_request_start_is_linear_on_hostile_input() {
        let mut data = b"GET ".repeat(100_000);
        data.extend_from_slice(&b"GET /".repeat(100_000));
        data.extend_from_slice(&[b'A'; 100_000]);
        let start = std::time::Instant::now();
        assert_eq!(
            find_request_start(&data, false, MethodRule::Known),
            Found::Nothing
        );
        assert!(start.elapsed().as_secs() < 2);
    }

    #[test]
    fn status_start_is_only_version_and_space() {
        assert_eq!(check_status_start(b"HTTP/1.1 abc"), Check::Yes);
        assert_eq!(check_status_start(b"HTTP/1.1"), Check::More);
        assert_eq!(check_status_start(b"HTTP/2 200"), Check::No);
    }

    #[test]
    fn find_start_in_mid_stream_bytes() {
        assert_eq!(
            find_start(b"tail of a body\r\nHTTP/1.1 200 OK\r\n", true),
            Start::Response(16)
        );
        assert_eq!(
            find_start(b"bodyHTTP/1.1 404 Not Found\r\n", false),
            Start::Response(4)
        );
        assert_eq!(
            find_start(b"xx\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", false),
            Start::Request(3)
        );
        assert_eq!(find_start(b"GET / HTTP/1.1\r\n", true), Start::Request(0));
        assert_eq!(
            find_start(b"8a81c5adc8GET /missing HTTP/1.1\r\n", true),
            Start::Request(10)
        );
        // An odd token at a line start is not taken from mid-stream bytes.
        assert_eq!(
            find_start(b"x\nfoo.bar / HTTP/1.1\r\n", false),
            Start::Nothing
        );
        assert_eq!(find_start(b"body\nHTTP/1.", true), Start::Partial(5));
        assert_eq!(find_start(b"body HTTP/1.1 abc\n", true), Start::Nothing);
        assert_eq!(
            find_start(b"\x16\x03\x01\x02\x00binary", true),
            Start::Nothing
        );
        // The earliest start wins.
        assert_eq!(
            find_start(b"HTTP/1.1 200 OK\r\n\r\nGET / HTTP/1.1\r\n", true),
            Start::Response(0)
        );
    }
}
