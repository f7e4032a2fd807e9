//! Recognising HTTP/1.x by content: [`detect`] for the engine, and the start-line checks
//! the connection parser uses to find (and re-find, after loss) the start of a message.
//!
//! Invariants: every check looks at a prefix of at most [`MAX_START_LINE`] bytes and answers
//! [`Check::More`] only while the bytes seen are a valid prefix of a start line, so a caller
//! that keeps feeding bytes always gets `Yes` or `No` within that bound.
//!
//! RFC 9112 §3: `request-line = method SP request-target SP HTTP-version`, where `method` is
//! a token (RFC 9110 §5.6.2). RFC 9112 §4: `status-line = HTTP-version SP status-code SP
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
    fn status_start_is_only_version_and_space() {
        assert_eq!(check_status_start(b"HTTP/1.1 abc"), Check::Yes);
        assert_eq!(check_status_start(b"HTTP/1.1"), Check::More);
        assert_eq!(check_status_start(b"HTTP/2 200"), Check::No);
    }
}
