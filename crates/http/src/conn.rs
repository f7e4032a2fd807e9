//! The HTTP/1.x state of one connection: two message parsers (one per direction) and the
//! queue that pairs requests with responses.
//!
//! This module owns message boundaries, pairing, and what happens on loss. Invariants:
//! - Responses pair with requests in order (RFC 9112 §9.3.2: a server sends its responses in
//!   the order the requests were received). The queue holds at most `max_pending` requests
//!   awaiting responses; when full, the oldest unanswered request is emitted with
//!   `NoResponse` and the next response is counted as belonging to it (so it is emitted as
//!   `NoRequest` instead of being paired with a later request). A response is never paired
//!   with a request first seen after the response started (request start `ts` later than
//!   the response's): it gets `NoRequest` and the later request waits for the next response.
//! - Exchanges are emitted in queue order once both messages are complete; evicted
//!   requests, tunnels and connection ends flush at once.
//! - Each direction is in one of three states: seeking a message start, accumulating a head
//!   (only when it is split across data chunks; bounded by `max_header_bytes`), or counting
//!   a body. A message start is a complete request line (`method SP target SP HTTP/1.x`,
//!   ending in CRLF or LF) for requests, or `HTTP/1.x SP` anywhere for responses (after a
//!   gap, the next response usually follows the lost body's last byte directly): this is the
//!   only thing the parser resynchronises on after a gap, a malformed message, or a
//!   mid-stream start. Empty lines between messages are ignored (RFC 9112 §2.2).
//! - Request starts. At a clean message boundary (the first byte of the direction, or right
//!   after a complete message) the method may be any token. Once the position is uncertain
//!   (after a gap, a malformed request or chunked body, or once bytes have been skipped,
//!   which is how a mid-stream start shows) until the next request line is found, the
//!   method must look like one: at a line start a registered method or an all-uppercase
//!   token of letters, `-` and `_` of at most 20 bytes; and a request line may also begin in
//!   the middle of a line (a request glued to the end of an orphaned body), but there only
//!   with a registered method (`detect::KNOWN_METHODS`) followed by SP. The earliest
//!   candidate followed by a whole request line wins; a candidate cut by the end of a chunk
//!   (including a tail that is the prefix of a registered method) is held and, if it fails,
//!   later candidates inside it are tried. Bytes before the start are counted as skipped
//!   (`ParserStats`).
//! - A gap in the request direction is reported on the next request (`RequestGap`, "bytes
//!   missing before this request") only when that request starts right after it; when bytes
//!   are skipped in between, the gap belonged to the message they were part of (whose
//!   response then shows as `NoRequest`). A response gap is always reported on the next
//!   response.
//! - Times: a message's start is the `ts` of the data call holding its first byte, its end
//!   the `ts` of the call holding its last byte (for a body ended by FIN, the last data call).
//! - Response framing follows RFC 9112 §6.3 in order: a response to HEAD, and 1xx, 204 and
//!   304 responses have no body; a 2xx to CONNECT (and a 101) switches the connection to a
//!   tunnel; `Transfer-Encoding` with chunked last is chunked, without chunked last the body
//!   runs to the close; a valid `Content-Length` gives the length, an invalid one makes the
//!   response malformed; otherwise the body runs until the connection closes. A request
//!   without `Transfer-Encoding` or `Content-Length` has no body; a request whose
//!   `Transfer-Encoding` does not end in chunked is malformed (RFC 9112 §6.3 item 4: 400).
//! - When both `Transfer-Encoding` and `Content-Length` are present, Transfer-Encoding wins
//!   (RFC 9112 §6.3 item 3) and nothing is recorded: both headers stay in the message for
//!   the findings layer to see.

use crate::body::{Body, Framing, GapEffect};
use crate::decode::{ContentDecoder, DecodeError};
use crate::detect::{
    check_request_start, check_status_start, find_request_start, Check, Found, MethodRule,
};
use crate::head::{
    chunked_is_final, content_length, find_byte, parse_request, parse_response, ContentLength,
    HeadScan,
};
use crate::{Exchange, Http1Config, ParserStats};
use model::{
    header_value, Direction, Incomplete, IncompleteReason as Why, Interim, MessageTimes, Request,
    Response, Timestamp, Tunnel,
};
use std::collections::VecDeque;

/// One request (possibly unseen) and what is known of its response.
#[derive(Default)]
struct Pending {
    seq: u64,
    request: Option<Request>,
    request_done: bool,
    method: Method,
    response: Option<Response>,
    /// A response head (interim or final) was seen, or its loss was recorded.
    response_started: bool,
    response_done: bool,
    interim: Vec<Interim>,
    times: MessageTimes,
    tunnel: Option<Tunnel>,
    incomplete: Vec<Incomplete>,
}

impl Pending {
    fn note(&mut self, reason: Why, detail: impl Into<String>) {
        self.incomplete.push(Incomplete {
            reason,
            detail: detail.into(),
        });
    }

    fn is_done(&self) -> bool {
        self.request_done && self.response_done
    }

    fn into_exchange(self) -> Exchange {
        Exchange {
            request: self.request,
            response: self.response,
            times: self.times,
            tunnel: self.tunnel,
            incomplete: self.incomplete,
            stream: None,
            order: None,
            grpc: None,
        }
    }
}

/// The request methods whose responses are framed differently (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Method {
    Head,
    Connect,
    #[default]
    Other,
}

enum State {
    /// Looking for a message start; `Side::buf` holds a candidate start line cut by the end
    /// of a data chunk.
    Seek,
    /// Accumulating a head whose start line was recognised; `Side::buf` holds its bytes when
    /// it spans data chunks.
    Head,
    /// Counting the body of the message `seq`.
    Body { body: Body, seq: u64 },
}

/// One direction's parser.
struct Side {
    state: State,
    /// Bytes of a head (or candidate start line) split across data chunks.
    buf: Vec<u8>,
    scan: HeadScan,
    /// When the first byte in `buf` (or of the head being parsed) was seen.
    ts: Timestamp,
    /// While seeking: whether the next byte begins a line.
    line_start: bool,
    /// While seeking: whether bytes were already skipped in this resynchronisation.
    resyncing: bool,
    /// The position in the stream is uncertain (after a gap, a malformed message or skipped
    /// bytes) until the next message start is found: request starts are checked strictly.
    lost: bool,
    /// The method rule of the candidate request line held in `buf`.
    rule: MethodRule,
    /// Where each data chunk after the first begins in `buf` while it holds a candidate
    /// request line, with that chunk's `ts`.
    marks: Vec<(usize, Timestamp)>,
    /// Bytes lost between messages, reported on the next message.
    gap_before: u64,
    /// The `ts` of the last data call.
    last_ts: Timestamp,
}

impl Side {
    fn new() -> Side {
        Side {
            state: State::Seek,
            buf: Vec::new(),
            scan: HeadScan::default(),
            ts: Timestamp::default(),
            line_start: true,
            resyncing: false,
            lost: false,
            rule: MethodRule::Token,
            marks: Vec::new(),
            gap_before: 0,
            last_ts: Timestamp::default(),
        }
    }

    /// Goes back to seeking a message start.
    fn seek(&mut self, line_start: bool) {
        self.state = State::Seek;
        self.buf.clear();
        self.scan = HeadScan::default();
        self.line_start = line_start;
        self.resyncing = false;
        self.marks.clear();
    }

    /// Drops the first `n` bytes of a buffered candidate: `ts` becomes that of the chunk
    /// holding the new first byte.
    fn drop_front(&mut self, n: usize) {
        self.buf.drain(..n.min(self.buf.len()));
        let mut ts = self.ts;
        self.marks.retain_mut(|(at, t)| {
            if *at <= n {
                ts = *t;
                false
            } else {
                *at -= n;
                true
            }
        });
        self.ts = ts;
    }

    /// A buffered candidate request line is complete: its head is being accumulated.
    fn accept_buffered(&mut self) {
        self.state = State::Head;
        self.scan = HeadScan::default();
        // The candidate holds exactly the start line: no empty line in it.
        let _ = self.scan.scan(&self.buf);
        self.marks.clear();
        self.lost = false;
    }
}

/// How a connection (or one direction of it) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Fin,
    Reset,
    Finish,
}

/// The HTTP/1.x state of one connection, both directions. `ClientToServer` carries requests.
pub struct Http1Connection {
    config: Http1Config,
    sides: [Side; 2],
    queue: VecDeque<Pending>,
    next_seq: u64,
    /// The exchange that received an interim response and awaits its final response.
    awaiting_final: Option<u64>,
    /// Responses still expected for requests evicted from the full queue.
    evicted: u64,
    tunnel: Option<Tunnel>,
    /// Bytes after the message that switched to the tunnel, in the same data call.
    tunnel_bytes: Option<(Direction, Timestamp, Vec<u8>)>,
    stats: ParserStats,
}

fn is_request(dir: Direction) -> bool {
    dir == Direction::ClientToServer
}

fn gap_reason(dir: Direction) -> Why {
    if is_request(dir) {
        Why::RequestGap
    } else {
        Why::ResponseGap
    }
}

fn truncated_reason(dir: Direction) -> Why {
    if is_request(dir) {
        Why::RequestTruncated
    } else {
        Why::ResponseTruncated
    }
}

fn message_name(dir: Direction) -> &'static str {
    if is_request(dir) {
        "request"
    } else {
        "response"
    }
}

impl Http1Connection {
    /// A connection with nothing seen yet.
    pub fn new(config: Http1Config) -> Self {
        Http1Connection {
            config,
            sides: [Side::new(), Side::new()],
            queue: VecDeque::new(),
            next_seq: 0,
            awaiting_final: None,
            evicted: 0,
            tunnel: None,
            tunnel_bytes: None,
            stats: ParserStats::default(),
        }
    }

    /// Some(tunnel) once CONNECT 2xx or 101 switched the connection; after that data is
    /// ignored (counted by the caller).
    pub fn tunnel(&self) -> Option<&Tunnel> {
        self.tunnel.as_ref()
    }

    /// Resynchronisation counters.
    pub fn stats(&self) -> ParserStats {
        self.stats
    }

    /// Bytes of `dir`, seen at `ts`, following everything given before in that direction.
    pub fn data(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        data: &[u8],
        out: &mut impl FnMut(Exchange),
    ) {
        self.sides[dir.index()].last_ts = ts;
        let was_tunnel = self.tunnel.is_some();
        let mut pos = 0usize;
        let mut stalls = 0u32;
        while pos < data.len() && self.tunnel.is_none() {
            let rest = data.get(pos..).unwrap_or_default();
            let used = match self.sides[dir.index()].state {
                State::Seek => self.seek(dir, ts, rest),
                State::Head => self.head(dir, ts, rest, out),
                State::Body { .. } => self.body(dir, ts, rest, out),
            };
            // Every step either consumes bytes or changes state towards one that does.
            stalls = if used == 0 { stalls + 1 } else { 0 };
            debug_assert!(stalls < 4, "parser made no progress");
            if stalls >= 4 {
                self.skip(dir, rest.len());
                self.sides[dir.index()].seek(false);
                break;
            }
            pos += used;
        }
        if !was_tunnel && self.tunnel.is_some() {
            // The bytes after the message that switched protocols belong to the tunnel.
            if let Some(rest) = data.get(pos..).filter(|r| !r.is_empty()) {
                self.tunnel_bytes = Some((dir, ts, rest.to_vec()));
            }
        }
    }

    /// The bytes that followed, in the same `data` call, the message that switched the
    /// connection to a tunnel (for example the first HTTP/2 frames after `101 Switching
    /// Protocols` to h2c), with their direction and time. Taken once.
    pub fn take_tunnel_bytes(&mut self) -> Option<(Direction, Timestamp, Vec<u8>)> {
        self.tunnel_bytes.take()
    }

    /// `len` bytes of `dir` are missing (capture loss).
    pub fn gap(&mut self, dir: Direction, ts: Timestamp, len: u64, out: &mut impl FnMut(Exchange)) {
        if self.tunnel.is_some() || len == 0 {
            return;
        }
        let side = &mut self.sides[dir.index()];
        side.lost = true;
        match std::mem::replace(&mut side.state, State::Seek) {
            State::Seek => {
                let carried = side.buf.len();
                side.seek(true);
                self.skip(dir, carried);
                let side = &mut self.sides[dir.index()];
                side.gap_before = side.gap_before.saturating_add(len);
            }
            State::Head => {
                let got = side.buf.len();
                side.seek(true);
                let detail = format!(
                    "{len} bytes missing in the {} head after {got} bytes",
                    message_name(dir)
                );
                self.lost_head(dir, gap_reason(dir), detail, out);
            }
            State::Body { mut body, seq } => {
                let (effect, offset) = body.gap(len);
                let detail = |n: u64| format!("{n} bytes missing at body offset {offset}");
                match effect {
                    GapEffect::Absorbed => {
                        side.state = State::Body { body, seq };
                        side.lost = false;
                        if let Some(e) = self.entry(seq) {
                            e.note(gap_reason(dir), detail(len));
                        }
                    }
                    GapEffect::Overran(extra) => {
                        side.seek(true);
                        side.gap_before = extra;
                        let note = Incomplete {
                            reason: gap_reason(dir),
                            detail: detail(len - extra),
                        };
                        self.complete(dir, seq, body, ts, true, Some(note), out);
                    }
                    GapEffect::Lost => {
                        side.seek(true);
                        let note = Incomplete {
                            reason: gap_reason(dir),
                            detail: format!("{} (chunk framing lost)", detail(len)),
                        };
                        self.complete(dir, seq, body, ts, false, Some(note), out);
                    }
                }
            }
        }
        self.flush(out);
    }

    /// FIN (`reset` false) or RST (`reset` true) in `dir`. A FIN ends a close-delimited
    /// response body; a FIN from the server ends every exchange still waiting for a response.
    /// A RST ends the whole connection: open messages in both directions are marked `Reset`.
    /// Messages ended here take the `ts` of their last data call, so `_ts` is unused.
    pub fn end(
        &mut self,
        dir: Direction,
        _ts: Timestamp,
        reset: bool,
        out: &mut impl FnMut(Exchange),
    ) {
        if self.tunnel.is_some() {
            return;
        }
        if reset {
            self.close_side(Direction::ClientToServer, End::Reset, out);
            self.close_side(Direction::ServerToClient, End::Reset, out);
            self.close_queue("connection reset", out);
            return;
        }
        self.close_side(dir, End::Fin, out);
        if !is_request(dir) {
            self.unanswered("server closed the connection");
        }
        self.flush(out);
    }

    /// Connection closed or capture ended: emit everything pending, marked incomplete with
    /// reasons. A close-delimited body still open is `ResponseTruncated` (the close was not
    /// seen).
    pub fn finish(&mut self, _ts: Timestamp, out: &mut impl FnMut(Exchange)) {
        if self.tunnel.is_none() {
            self.close_side(Direction::ClientToServer, End::Finish, out);
            self.close_side(Direction::ServerToClient, End::Finish, out);
        }
        self.close_queue("capture ended", out);
        for side in &mut self.sides {
            side.seek(true);
            side.gap_before = 0;
            side.lost = false;
        }
    }

    /// Ends whatever message `dir` is in the middle of.
    fn close_side(&mut self, dir: Direction, how: End, out: &mut impl FnMut(Exchange)) {
        let side = &mut self.sides[dir.index()];
        let ts = side.last_ts;
        let state = std::mem::replace(&mut side.state, State::Seek);
        let got = side.buf.len();
        side.seek(true);
        side.gap_before = 0;
        let why = if how == End::Reset {
            Why::Reset
        } else {
            truncated_reason(dir)
        };
        let cause = match how {
            End::Fin => "connection closed",
            End::Reset => "connection reset",
            End::Finish => "capture ended",
        };
        match state {
            State::Seek => self.skip(dir, got),
            State::Head => {
                let detail = format!(
                    "{cause} in the {} head after {got} bytes",
                    message_name(dir)
                );
                self.lost_head(dir, why, detail, out);
            }
            State::Body { body, seq } => {
                let note = if body.is_close_delimited() && how == End::Fin {
                    None
                } else if body.is_close_delimited() && how == End::Reset {
                    Some(Incomplete {
                        reason: why,
                        detail: format!("{cause} ({})", body.progress()),
                    })
                } else {
                    Some(Incomplete {
                        reason: why,
                        detail: format!("{cause}: {}", body.progress()),
                    })
                };
                let complete = body.is_close_delimited() && how != End::Finish;
                self.complete(dir, seq, body, ts, complete, note, out);
            }
        }
    }

    /// Marks every exchange still waiting for its response as `NoResponse`.
    fn unanswered(&mut self, cause: &str) {
        self.awaiting_final = None;
        self.evicted = 0;
        for e in self.queue.iter_mut().filter(|e| !e.response_done) {
            e.response_done = true;
            let detail = if e.interim.is_empty() {
                format!("no response: {cause}")
            } else {
                format!("only interim responses before: {cause}")
            };
            e.note(Why::NoResponse, detail);
        }
    }

    /// Emits every exchange, however incomplete.
    fn close_queue(&mut self, cause: &str, out: &mut impl FnMut(Exchange)) {
        self.unanswered(cause);
        for mut e in self.queue.drain(..) {
            e.request_done = true;
            out(e.into_exchange());
        }
    }

    /// Emits the exchanges at the front of the queue that are complete.
    fn flush(&mut self, out: &mut impl FnMut(Exchange)) {
        while self.queue.front().is_some_and(Pending::is_done) {
            if let Some(e) = self.queue.pop_front() {
                out(e.into_exchange());
            }
        }
    }

    fn entry(&mut self, seq: u64) -> Option<&mut Pending> {
        self.queue.iter_mut().rev().find(|e| e.seq == seq)
    }

    fn new_entry(&mut self) -> Pending {
        self.next_seq += 1;
        Pending {
            seq: self.next_seq,
            ..Pending::default()
        }
    }

    /// Counts `n` bytes discarded while looking for a message start.
    fn skip(&mut self, dir: Direction, n: usize) {
        if n == 0 {
            return;
        }
        let side = &mut self.sides[dir.index()];
        side.lost = true;
        if is_request(dir) {
            // The gap belonged to the message whose remains are skipped, not to the next.
            side.gap_before = 0;
        }
        if !side.resyncing {
            side.resyncing = true;
            self.stats.resyncs += 1;
        }
        self.stats.skipped_bytes = self.stats.skipped_bytes.saturating_add(n as u64);
    }

    /// Seeking: finds the next message start in `data`, returning the bytes before it.
    fn seek(&mut self, dir: Direction, ts: Timestamp, data: &[u8]) -> usize {
        if is_request(dir) {
            self.seek_request(ts, data)
        } else {
            self.seek_response(ts, data)
        }
    }

    /// Seeking a request line: at a clean boundary any token is a method; once the position
    /// is uncertain (`Side::lost`) the rules of [`find_request_start`] apply.
    fn seek_request(&mut self, ts: Timestamp, data: &[u8]) -> usize {
        let dir = Direction::ClientToServer;
        let side = &mut self.sides[dir.index()];
        if !side.buf.is_empty() {
            return self.continue_request_candidate(ts, data);
        }
        let mut pos = 0usize;
        if side.line_start {
            while matches!(data.get(pos), Some(b'\r' | b'\n')) {
                pos += 1;
            }
        }
        let rest = data.get(pos..).unwrap_or_default();
        if rest.is_empty() {
            return data.len();
        }
        let first = if side.lost {
            MethodRule::Shaped
        } else {
            MethodRule::Token
        };
        match find_request_start(rest, side.line_start, first) {
            Found::At(at, _) => {
                self.skip(dir, at);
                let side = &mut self.sides[dir.index()];
                side.state = State::Head;
                side.scan = HeadScan::default();
                side.ts = ts;
                side.lost = false;
                pos + at
            }
            Found::Partial(at, rule) => {
                self.skip(dir, at);
                let side = &mut self.sides[dir.index()];
                side.buf
                    .extend_from_slice(rest.get(at..).unwrap_or_default());
                side.rule = rule;
                side.ts = ts;
                data.len()
            }
            Found::Nothing => {
                self.skip(dir, rest.len());
                self.sides[dir.index()].line_start = rest.last() == Some(&b'\n');
                data.len()
            }
        }
    }

    /// Continues a candidate request line cut by the end of the previous chunk. When it
    /// fails, a later candidate inside it (a registered method in the middle of the line)
    /// may still succeed.
    fn continue_request_candidate(&mut self, ts: Timestamp, data: &[u8]) -> usize {
        let dir = Direction::ClientToServer;
        let side = &mut self.sides[dir.index()];
        let take = find_byte(b'\n', data).map_or(data.len(), |lf| lf + 1);
        side.marks.push((side.buf.len(), ts));
        side.buf
            .extend_from_slice(data.get(..take).unwrap_or_default());
        match check_request_start(&side.buf, side.rule) {
            Check::Yes => side.accept_buffered(),
            Check::More => {}
            Check::No => {
                let later = side.buf.get(1..).unwrap_or_default();
                match find_request_start(later, false, MethodRule::Known) {
                    Found::At(at, _) => {
                        side.drop_front(at + 1);
                        self.skip(dir, at + 1);
                        self.sides[dir.index()].accept_buffered();
                    }
                    Found::Partial(at, rule) => {
                        side.drop_front(at + 1);
                        side.rule = rule;
                        self.skip(dir, at + 1);
                    }
                    Found::Nothing => {
                        let n = side.buf.len();
                        side.line_start = side.buf.last() == Some(&b'\n');
                        side.buf.clear();
                        side.marks.clear();
                        self.skip(dir, n);
                    }
                }
            }
        }
        take
    }

    /// Seeking a response: `HTTP/1.x SP` anywhere.
    fn seek_response(&mut self, ts: Timestamp, data: &[u8]) -> usize {
        let dir = Direction::ServerToClient;
        let side = &mut self.sides[dir.index()];
        if !side.buf.is_empty() {
            // Continue a candidate start line cut by the previous chunk.
            let take = find_byte(b'\n', data).map_or(data.len(), |lf| lf + 1);
            side.buf
                .extend_from_slice(data.get(..take).unwrap_or_default());
            match check_status_start(&side.buf) {
                Check::Yes => {
                    side.state = State::Head;
                    side.scan = HeadScan::default();
                    side.lost = false;
                    // The candidate holds exactly the start line: no empty line in it.
                    let _ = side.scan.scan(&side.buf);
                }
                Check::More => {}
                Check::No => {
                    let n = side.buf.len();
                    side.line_start = side.buf.last() == Some(&b'\n');
                    side.buf.clear();
                    self.skip(dir, n);
                }
            }
            return take;
        }
        let mut pos = 0usize;
        loop {
            let side = &mut self.sides[dir.index()];
            if !side.line_start {
                let rest = data.get(pos..).unwrap_or_default();
                // A response may follow a body directly.
                match find_byte(b'H', rest) {
                    Some(n) => {
                        side.line_start = true;
                        self.skip(dir, n);
                        pos += n;
                    }
                    None => {
                        self.skip(dir, rest.len());
                        return data.len();
                    }
                }
                continue;
            }
            while matches!(data.get(pos), Some(b'\r' | b'\n')) {
                pos += 1;
            }
            let rest = data.get(pos..).unwrap_or_default();
            if rest.is_empty() {
                return data.len();
            }
            match check_status_start(rest) {
                Check::Yes => {
                    side.state = State::Head;
                    side.scan = HeadScan::default();
                    side.ts = ts;
                    side.lost = false;
                    return pos;
                }
                Check::More => {
                    side.buf.extend_from_slice(rest);
                    side.ts = ts;
                    return data.len();
                }
                Check::No => {
                    // Not a response start here: look for the next one after this byte.
                    side.line_start = false;
                    self.skip(dir, 1);
                    pos += 1;
                }
            }
        }
    }

    /// Accumulating a head: parses it once its empty line is seen.
    fn head(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        data: &[u8],
        out: &mut impl FnMut(Exchange),
    ) -> usize {
        let max = self.config.max_header_bytes;
        let side = &mut self.sides[dir.index()];
        if side.buf.is_empty() {
            side.ts = ts;
        }
        let Some(end) = side.scan.scan(data) else {
            if side.buf.len().saturating_add(data.len()) > max {
                side.seek(false);
                self.head_failed(dir, None, format!("head larger than {max} bytes"), out);
                return data.len();
            }
            side.buf.extend_from_slice(data);
            return data.len();
        };
        if side.buf.len().saturating_add(end) > max {
            side.seek(true);
            self.head_failed(dir, None, format!("head larger than {max} bytes"), out);
            return end;
        }
        let head_ts = side.ts;
        let bytes = data.get(..end).unwrap_or_default();
        let parsed = if side.buf.is_empty() {
            Head::parse(dir, bytes)
        } else {
            side.buf.extend_from_slice(bytes);
            Head::parse(dir, &side.buf)
        };
        side.seek(true);
        match parsed {
            Ok(Head::Request(req)) => self.on_request(req, head_ts, ts, out),
            Ok(Head::Response(resp)) => self.on_response(resp, head_ts, ts, out),
            Err(detail) => self.head_failed(dir, None, detail.to_owned(), out),
        }
        end
    }

    /// Counting a body.
    fn body(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        data: &[u8],
        out: &mut impl FnMut(Exchange),
    ) -> usize {
        let side = &mut self.sides[dir.index()];
        let State::Body { body, .. } = &mut side.state else {
            return 0;
        };
        match body.feed(data) {
            Ok(fed) if !fed.done => fed.used,
            Ok(fed) => {
                if let State::Body { body, seq } = std::mem::replace(&mut side.state, State::Seek) {
                    side.seek(true);
                    self.complete(dir, seq, body, ts, true, None, out);
                    self.flush(out);
                }
                fed.used
            }
            Err((used, detail)) => {
                if let State::Body { body, seq } = std::mem::replace(&mut side.state, State::Seek) {
                    side.seek(false);
                    side.lost = true;
                    let note = Incomplete {
                        reason: Why::Malformed,
                        detail: format!("chunked body: {detail}"),
                    };
                    self.complete(dir, seq, body, ts, false, Some(note), out);
                    self.flush(out);
                }
                used
            }
        }
    }

    /// A body ended (completely or not): records its sizes on its exchange.
    #[allow(clippy::too_many_arguments)]
    fn complete(
        &mut self,
        dir: Direction,
        seq: u64,
        body: Body,
        ts: Timestamp,
        complete: bool,
        note: Option<Incomplete>,
        out: &mut impl FnMut(Exchange),
    ) {
        let finished = body.finish(complete);
        let Some(e) = self.entry(seq) else { return };
        e.incomplete.extend(note);
        match finished.decode_error {
            Some(DecodeError::Limit) => e.note(Why::DecodeFailed, "decoding stopped at limit"),
            Some(DecodeError::Failed(detail)) => e.note(Why::DecodeFailed, detail),
            None => {}
        }
        if is_request(dir) {
            if let Some(r) = e.request.as_mut() {
                r.body = finished.size;
                r.trailers = finished.trailers;
            }
            e.request_done = true;
            e.times.request_end = Some(ts);
        } else {
            if let Some(r) = e.response.as_mut() {
                r.body = finished.size;
                r.trailers = finished.trailers;
            }
            e.response_done = true;
            e.times.response_end = Some(ts);
        }
        self.flush(out);
    }

    /// A head could not be parsed (or was over the size limit): the message is recorded as
    /// malformed and the direction resynchronises.
    fn head_failed(
        &mut self,
        dir: Direction,
        keep: Option<Head>,
        detail: String,
        out: &mut impl FnMut(Exchange),
    ) {
        let detail = format!("{} head: {detail}", message_name(dir));
        self.lost_message(dir, keep, Why::Malformed, detail, out);
    }

    /// A head was cut by a gap or by the end of the connection.
    fn lost_head(
        &mut self,
        dir: Direction,
        why: Why,
        detail: String,
        out: &mut impl FnMut(Exchange),
    ) {
        self.lost_message(dir, None, why, detail, out);
    }

    /// Records a message that will not be followed to its end: its exchange gets `why`, and
    /// the message itself when its head was parsed.
    fn lost_message(
        &mut self,
        dir: Direction,
        keep: Option<Head>,
        why: Why,
        detail: String,
        out: &mut impl FnMut(Exchange),
    ) {
        let side = &mut self.sides[dir.index()];
        side.lost = true;
        let ts = side.ts;
        if is_request(dir) {
            self.make_room(out);
            let mut e = self.new_entry();
            e.request = match keep {
                Some(Head::Request(r)) => Some(r),
                _ => None,
            };
            e.request_done = true;
            e.times.request_start = Some(ts);
            e.times.request_end = Some(ts);
            self.take_gap_before(dir, &mut e);
            e.note(why, detail);
            self.queue.push_back(e);
        } else {
            let seq = self.response_target(ts);
            self.awaiting_final = None;
            let gap = std::mem::take(&mut self.sides[1].gap_before);
            if let Some(e) = self.entry(seq) {
                if let Some(Head::Response(mut r)) = keep {
                    r.interim = std::mem::take(&mut e.interim);
                    e.response = Some(r);
                }
                if gap > 0 {
                    e.note(
                        Why::ResponseGap,
                        format!("{gap} bytes missing before this response"),
                    );
                }
                e.note(why, detail);
                e.response_done = true;
                e.times.response_end = Some(ts);
            }
        }
        self.flush(out);
    }

    fn take_gap_before(&mut self, dir: Direction, e: &mut Pending) {
        let gap = std::mem::take(&mut self.sides[dir.index()].gap_before);
        if gap > 0 {
            e.note(
                gap_reason(dir),
                format!("{gap} bytes missing before this {}", message_name(dir)),
            );
        }
    }

    /// Evicts the oldest request awaiting a response when the queue is full.
    fn make_room(&mut self, out: &mut impl FnMut(Exchange)) {
        let max = self.config.max_pending.max(1);
        if self.queue.len() < max {
            return;
        }
        let Some(idx) = self
            .queue
            .iter()
            .position(|e| !e.response_started && e.request_done)
        else {
            return;
        };
        if let Some(mut e) = self.queue.remove(idx) {
            e.response_done = true;
            e.note(
                Why::NoResponse,
                format!("dropped: more than {max} requests were awaiting responses"),
            );
            self.evicted += 1;
            out(e.into_exchange());
        }
    }

    /// The exchange the next response head belongs to (created when there is none).
    fn response_target(&mut self, ts: Timestamp) -> u64 {
        if let Some(seq) = self.awaiting_final {
            if self.queue.iter().any(|e| e.seq == seq) {
                return seq;
            }
        }
        let idx = self.queue.iter().position(|e| !e.response_started);
        // A request first seen after this response started cannot be what it answers.
        let sent_before = |e: &&mut Pending| e.times.request_start.is_none_or(|at| at <= ts);
        let detail = if self.evicted > 0 {
            self.evicted -= 1;
            "its request was dropped from the full pending queue"
        } else if let Some(e) = idx.and_then(|i| self.queue.get_mut(i)).filter(sent_before) {
            e.response_started = true;
            e.times.response_start = Some(ts);
            return e.seq;
        } else {
            "no request seen for this response"
        };
        let mut e = self.new_entry();
        e.request_done = true;
        e.response_started = true;
        e.times.response_start = Some(ts);
        e.note(Why::NoRequest, detail);
        let seq = e.seq;
        match idx {
            Some(i) => self.queue.insert(i, e),
            None => self.queue.push_back(e),
        }
        seq
    }

    fn on_request(
        &mut self,
        req: Request,
        head_ts: Timestamp,
        ts: Timestamp,
        out: &mut impl FnMut(Exchange),
    ) {
        let dir = Direction::ClientToServer;
        let framing = match (chunked_is_final(&req.headers), content_length(&req.headers)) {
            (Some(true), _) => Some(Framing::Chunked),
            (Some(false), _) => {
                self.sides[0].ts = head_ts;
                let detail = "Transfer-Encoding does not end in chunked".to_owned();
                return self.head_failed(dir, Some(Head::Request(req)), detail, out);
            }
            (None, ContentLength::Invalid) => {
                self.sides[0].ts = head_ts;
                let detail = "invalid Content-Length".to_owned();
                return self.head_failed(dir, Some(Head::Request(req)), detail, out);
            }
            (None, ContentLength::Valid(n)) if n > 0 => Some(Framing::Length(n)),
            (None, _) => None,
        };
        let decoder = framing
            .and_then(|_| ContentDecoder::for_headers(&req.headers, self.config.max_decoded_bytes));
        self.make_room(out);
        let mut e = self.new_entry();
        e.method = match req.method.as_str() {
            "HEAD" => Method::Head,
            "CONNECT" => Method::Connect,
            _ => Method::Other,
        };
        e.request = Some(req);
        e.times.request_start = Some(head_ts);
        self.take_gap_before(dir, &mut e);
        let seq = e.seq;
        match framing {
            Some(f) => {
                let body = Body::new(f, decoder, self.config.max_header_bytes);
                self.sides[0].state = State::Body { body, seq };
            }
            None => {
                e.request_done = true;
                e.times.request_end = Some(ts);
            }
        }
        self.queue.push_back(e);
        self.flush(out);
    }

    fn on_response(
        &mut self,
        mut resp: Response,
        head_ts: Timestamp,
        ts: Timestamp,
        out: &mut impl FnMut(Exchange),
    ) {
        let seq = self.response_target(head_ts);
        let gap = std::mem::take(&mut self.sides[1].gap_before);
        let max_decoded = self.config.max_decoded_bytes;
        let max_trailer = self.config.max_header_bytes;
        let status = resp.status;
        let interim = (100..200).contains(&status) && status != 101;
        self.awaiting_final = interim.then_some(seq);
        let Some(e) = self.entry(seq) else { return };
        if gap > 0 {
            e.note(
                Why::ResponseGap,
                format!("{gap} bytes missing before this response"),
            );
        }
        if interim {
            e.interim.push(Interim {
                status,
                header_bytes: resp.header_bytes,
                at: head_ts,
            });
            return;
        }
        resp.interim = std::mem::take(&mut e.interim);
        let tunnel = match (status, e.method) {
            (101, _) => {
                let protocol = header_value(&resp.headers, "upgrade")
                    .unwrap_or_default()
                    .to_owned();
                Some(Tunnel::Upgrade { protocol })
            }
            (200..=299, Method::Connect) => Some(Tunnel::Connect),
            _ => None,
        };
        if let Some(tunnel) = tunnel {
            e.response = Some(resp);
            e.response_done = true;
            e.times.response_end = Some(ts);
            e.tunnel = Some(tunnel.clone());
            return self.enter_tunnel(tunnel, seq, out);
        }
        let no_body = e.method == Method::Head
            || (100..200).contains(&status)
            || status == 204
            || status == 304;
        let framing = if no_body {
            None
        } else {
            match (
                chunked_is_final(&resp.headers),
                content_length(&resp.headers),
            ) {
                (Some(true), _) => Some(Framing::Chunked),
                (Some(false), _) | (None, ContentLength::Absent) => Some(Framing::Close),
                (None, ContentLength::Valid(0)) => None,
                (None, ContentLength::Valid(n)) => Some(Framing::Length(n)),
                (None, ContentLength::Invalid) => {
                    e.response = Some(resp);
                    e.note(Why::Malformed, "response head: invalid Content-Length");
                    e.response_done = true;
                    e.times.response_end = Some(ts);
                    self.sides[1].line_start = true;
                    return self.flush(out);
                }
            }
        };
        match framing {
            Some(f) => {
                let decoder = ContentDecoder::for_headers(&resp.headers, max_decoded);
                e.response = Some(resp);
                self.sides[1].state = State::Body {
                    body: Body::new(f, decoder, max_trailer),
                    seq,
                };
            }
            None => {
                e.response = Some(resp);
                e.response_done = true;
                e.times.response_end = Some(ts);
                self.flush(out);
            }
        }
    }

    /// CONNECT 2xx or 101: the connection stops carrying HTTP/1.x. Everything queued is
    /// emitted; requests still without a response (sent after the one that switched) get
    /// `NoResponse`.
    fn enter_tunnel(&mut self, tunnel: Tunnel, seq: u64, out: &mut impl FnMut(Exchange)) {
        self.tunnel = Some(tunnel);
        for mut e in self.queue.drain(..) {
            if !e.response_done && e.seq != seq {
                e.note(
                    Why::NoResponse,
                    "no response: the connection switched to a tunnel",
                );
            }
            if !e.request_done {
                e.note(Why::RequestTruncated, "the connection switched to a tunnel");
            }
            out(e.into_exchange());
        }
        for side in &mut self.sides {
            side.seek(true);
        }
    }
}

/// A parsed head of either direction.
enum Head {
    Request(Request),
    Response(Response),
}

impl Head {
    fn parse(dir: Direction, bytes: &[u8]) -> Result<Head, &'static str> {
        if is_request(dir) {
            parse_request(bytes).map(Head::Request)
        } else {
            parse_response(bytes).map(Head::Response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Header;

    const C: Direction = Direction::ClientToServer;
    const S: Direction = Direction::ServerToClient;

    static GET: &[u8] = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    static OK_5: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    static POST_CHUNKED: &[u8] =
        b"POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n";
    static CHUNKED_RESP: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

    struct T {
        conn: Http1Connection,
        out: Vec<Exchange>,
        ts: i64,
    }

    impl T {
        fn new() -> T {
            T::with(Http1Config::default())
        }
        fn with(config: Http1Config) -> T {
            T {
                conn: Http1Connection::new(config),
                out: Vec::new(),
                ts: 0,
            }
        }
        fn data(&mut self, dir: Direction, bytes: &[u8]) -> &mut Self {
            self.ts += 1;
            let out = &mut self.out;
            self.conn
                .data(dir, Timestamp(self.ts), bytes, &mut |e| out.push(e));
            self
        }
        /// Data with an explicit `ts` (processing order differing from capture order).
        fn data_at(&mut self, dir: Direction, ts: i64, bytes: &[u8]) -> &mut Self {
            let out = &mut self.out;
            self.conn
                .data(dir, Timestamp(ts), bytes, &mut |e| out.push(e));
            self
        }
        fn pieces(&mut self, dir: Direction, bytes: &[u8], n: usize) -> &mut Self {
            for p in bytes.chunks(n) {
                self.data(dir, p);
            }
            self
        }
        fn gap(&mut self, dir: Direction, len: u64) -> &mut Self {
            self.ts += 1;
            let out = &mut self.out;
            self.conn
                .gap(dir, Timestamp(self.ts), len, &mut |e| out.push(e));
            self
        }
        fn end(&mut self, dir: Direction, reset: bool) -> &mut Self {
            self.ts += 1;
            let out = &mut self.out;
            self.conn
                .end(dir, Timestamp(self.ts), reset, &mut |e| out.push(e));
            self
        }
        fn finish(&mut self) -> &mut Self {
            let out = &mut self.out;
            self.conn.finish(Timestamp(1000), &mut |e| out.push(e));
            self
        }
    }

    fn reasons(e: &Exchange) -> Vec<Why> {
        e.incomplete.iter().map(|i| i.reason).collect()
    }

    #[test]
    fn simple_exchange_with_times_and_sizes() {
        let mut t = T::new();
        t.data(C, GET).data(S, &OK_5[..20]).data(S, &OK_5[20..]);
        assert_eq!(t.out.len(), 1);
        let e = &t.out[0];
        let req = e.request.as_ref().unwrap();
        assert_eq!(
            (req.method.as_str(), req.header_bytes),
            ("GET", GET.len() as u64)
        );
        let resp = e.response.as_ref().unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header_bytes, OK_5.len() as u64 - 5);
        assert_eq!(
            resp.body,
            model::BodySize {
                wire: 5,
                encoded: 5,
                decoded: None
            }
        );
        assert_eq!(
            e.times,
            MessageTimes {
                request_start: Some(Timestamp(1)),
                request_end: Some(Timestamp(1)),
                response_start: Some(Timestamp(2)),
                response_end: Some(Timestamp(3)),
            }
        );
        assert!(e.incomplete.is_empty());
    }

    #[test]
    fn pipelined_keep_alive_any_split() {
        let reqs: Vec<u8> = [GET, POST_CHUNKED, GET].concat();
        let resps: Vec<u8> = [OK_5, CHUNKED_RESP, b"HTTP/1.1 204 No Content\r\n\r\n"].concat();
        for n in [1, 3, 7, 64, 10_000] {
            let mut t = T::new();
            t.pieces(C, &reqs, n).pieces(S, &resps, n);
            assert_eq!(t.out.len(), 3, "split {n}");
            let methods: Vec<_> = t
                .out
                .iter()
                .map(|e| e.request.as_ref().unwrap().method.clone())
                .collect();
            assert_eq!(methods, ["GET", "POST", "GET"]);
            let statuses: Vec<_> = t
                .out
                .iter()
                .map(|e| e.response.as_ref().unwrap().status)
                .collect();
            assert_eq!(statuses, [200, 200, 204]);
            let post = t.out[1].request.as_ref().unwrap();
            assert_eq!(post.body.encoded, 3);
            assert_eq!(post.body.wire, 27);
            assert_eq!(post.trailers, vec![Header::new("X-Sum", "9")]);
            let chunked = &t.out[1].response.as_ref().unwrap().body;
            assert_eq!((chunked.encoded, chunked.wire), (11, 26));
            assert!(t.out.iter().all(|e| e.incomplete.is_empty()));
            assert_eq!(t.conn.stats(), ParserStats::default());
        }
    }

    #[test]
    fn head_response_and_304_have_no_body() {
        let mut t = T::new();
        t.data(C, b"HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
        t.data(S, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n");
        assert_eq!(t.out.len(), 2);
        assert!(t
            .out
            .iter()
            .all(|e| e.incomplete.is_empty() && e.response.as_ref().unwrap().body.wire == 0));
    }

    #[test]
    fn close_delimited_http10_response_ends_at_fin() {
        let mut t = T::new();
        t.data(C, b"GET / HTTP/1.0\r\n\r\n")
            .data(S, b"HTTP/1.0 200 OK\r\n\r\nsome ")
            .data(S, b"bytes");
        assert!(t.out.is_empty());
        t.end(S, false);
        assert_eq!(t.out.len(), 1);
        assert_eq!(t.out[0].response.as_ref().unwrap().body.encoded, 10);
        assert!(t.out[0].incomplete.is_empty());
        assert_eq!(t.out[0].times.response_end, Some(Timestamp(3)));
    }

    #[test]
    fn close_delimited_at_finish_is_truncated() {
        let mut t = T::new();
        t.data(C, GET)
            .data(S, b"HTTP/1.1 200 OK\r\n\r\nabc")
            .finish();
        assert_eq!(reasons(&t.out[0]), [Why::ResponseTruncated]);
    }

    #[test]
    fn http10_keep_alive() {
        let mut t = T::new();
        let req = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        let resp = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok";
        t.data(C, req).data(S, resp).data(C, req).data(S, resp);
        assert_eq!(t.out.len(), 2);
        assert!(t.out.iter().all(|e| e.incomplete.is_empty()));
    }

    #[test]
    fn expect_continue_and_103() {
        let mut t = T::new();
        t.data(
            C,
            b"PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
        );
        t.data(S, b"HTTP/1.1 100 Continue\r\n\r\n");
        t.data(C, b"data");
        t.data(S, b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(t.out.len(), 1);
        let e = &t.out[0];
        let resp = e.response.as_ref().unwrap();
        assert_eq!(resp.status, 201);
        assert_eq!(
            resp.interim.iter().map(|i| i.status).collect::<Vec<_>>(),
            [100, 103]
        );
        assert_eq!(resp.interim[0].at, Timestamp(2));
        assert_eq!(e.times.response_start, Some(Timestamp(2)));
        assert_eq!(e.times.request_end, Some(Timestamp(3)));
        assert_eq!(e.request.as_ref().unwrap().body.encoded, 4);
        assert!(e.incomplete.is_empty());
    }

    #[test]
    fn bytes_after_the_switch_are_kept_for_the_tunnel() {
        let mut t = T::new();
        t.data(
            C,
            b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
        );
        t.data(
            S,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00\x04",
        );
        assert_eq!(t.out.len(), 1);
        let (dir, _, bytes) = t.conn.take_tunnel_bytes().unwrap();
        assert_eq!((dir, bytes.as_slice()), (S, &b"\x00\x00\x00\x04"[..]));
        assert!(t.conn.take_tunnel_bytes().is_none());
    }

    #[test]
    fn upgrade_switches_to_tunnel() {
        let mut t = T::new();
        t.data(
            C,
            b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        );
        t.data(
            S,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
        );
        assert_eq!(t.out.len(), 1);
        assert_eq!(
            t.out[0].tunnel,
            Some(Tunnel::Upgrade {
                protocol: "websocket".into()
            })
        );
        assert_eq!(t.conn.tunnel(), t.out[0].tunnel.as_ref());
        t.data(C, b"\x81\x85garbage").end(S, true).finish();
        assert_eq!(t.out.len(), 1);
        assert_eq!(t.conn.stats(), ParserStats::default());
    }

    #[test]
    fn connect_2xx_is_a_tunnel_but_407_is_not() {
        let mut t = T::new();
        t.data(C, b"CONNECT example.com:443 HTTP/1.1\r\n\r\n");
        t.data(
            S,
            b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(t.conn.tunnel().is_none());
        t.data(
            C,
            b"CONNECT example.com:443 HTTP/1.1\r\nProxy-Authorization: x\r\n\r\n",
        );
        t.data(
            S,
            b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01",
        );
        assert_eq!(t.out.len(), 2);
        assert_eq!(t.out[1].tunnel, Some(Tunnel::Connect));
    }

    #[test]
    fn gap_inside_content_length_body() {
        let mut t = T::new();
        t.data(C, GET).data(
            S,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
        );
        t.gap(S, 50).data(S, &[b'x'; 40]).data(C, GET).data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        let first = &t.out[0];
        assert_eq!(first.response.as_ref().unwrap().body.encoded, 100);
        assert_eq!(first.incomplete[0].reason, Why::ResponseGap);
        assert_eq!(
            first.incomplete[0].detail,
            "50 bytes missing at body offset 10"
        );
        assert!(t.out[1].incomplete.is_empty());
    }

    #[test]
    fn gap_across_body_end_resyncs() {
        let mut t = T::new();
        t.data(C, GET)
            .data(C, GET)
            .data(S, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123");
        t.gap(S, 20).data(S, b"nse tail\r\n").data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        assert_eq!(
            t.out[0].incomplete[0].detail,
            "6 bytes missing at body offset 4"
        );
        assert_eq!(reasons(&t.out[1]), [Why::ResponseGap]);
        assert_eq!(
            t.out[1].incomplete[0].detail,
            "14 bytes missing before this response"
        );
        assert_eq!(
            t.conn.stats(),
            ParserStats {
                resyncs: 1,
                skipped_bytes: 10
            }
        );
    }

    #[test]
    fn gap_in_head_and_in_chunk_framing() {
        let mut t = T::new();
        t.data(C, GET)
            .data(C, GET)
            .data(S, &OK_5[..10])
            .gap(S, 30)
            .data(S, b"llo")
            .data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        assert!(t.out[0].response.is_none());
        assert_eq!(reasons(&t.out[0]), [Why::ResponseGap]);
        assert!(t.out[1].incomplete.is_empty());

        let mut t = T::new();
        t.data(C, GET)
            .data(S, &CHUNKED_RESP[..50])
            .gap(S, 10)
            .data(S, b"rld\r\n0\r\n\r\n")
            .finish();
        assert_eq!(t.out.len(), 1);
        assert_eq!(reasons(&t.out[0]), [Why::ResponseGap]);
        assert!(t.out[0].incomplete[0]
            .detail
            .ends_with("(chunk framing lost)"));
    }

    #[test]
    fn request_gap_then_response_without_request() {
        let mut t = T::new();
        t.data(C, &GET[..20])
            .gap(C, 100)
            .data(S, OK_5)
            .data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        assert!(t.out[0].request.is_none());
        assert_eq!(reasons(&t.out[0]), [Why::RequestGap]);
        assert_eq!(reasons(&t.out[1]), [Why::NoRequest]);
    }

    #[test]
    fn mid_stream_start_resyncs_both_sides() {
        let mut t = T::new();
        t.data(C, b"ody of a previous post\r\nGET /x HTTP/1.1\r\n\r\n");
        t.data(
            S,
            b"ous response body\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        );
        assert_eq!(t.out.len(), 1);
        assert_eq!(t.out[0].request.as_ref().unwrap().target, "/x");
        assert!(t.out[0].incomplete.is_empty());
        assert_eq!(
            t.conn.stats(),
            ParserStats {
                resyncs: 2,
                skipped_bytes: 24 + 19
            }
        );
    }

    #[test]
    fn mid_stream_candidate_split_across_chunks() {
        let mut t = T::new();
        t.data(S, b"junk\r\nHTTP/1")
            .data(S, b".1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(t.out.len(), 1);
        assert_eq!(reasons(&t.out[0]), [Why::NoRequest]);
        t.data(C, b"xx\r\nGET / HT")
            .data(C, b"TP/1.1\r\n\r\n")
            .finish();
        assert_eq!(reasons(&t.out[1]), [Why::NoResponse]);
        assert_eq!(
            t.conn.stats(),
            ParserStats {
                resyncs: 2,
                skipped_bytes: 10
            }
        );
    }

    #[test]
    fn malformed_heads_are_reported_and_skipped() {
        let mut t = T::new();
        t.data(C, GET).data(C, GET);
        t.data(S, b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\nbody bytes\r\n")
            .data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        assert_eq!(reasons(&t.out[0]), [Why::Malformed]);
        assert_eq!(
            t.out[0].incomplete[0].detail,
            "response head: header line without colon"
        );
        assert!(t.out[1].incomplete.is_empty());

        let mut t = T::new();
        t.data(C, GET).data(S, b"HTTP/1.1 2000 OK\r\n\r\n").finish();
        assert_eq!(
            t.out[0].incomplete[0].detail,
            "response head: invalid status code"
        );
    }

    #[test]
    fn oversized_head_is_malformed() {
        let mut t = T::with(Http1Config {
            max_header_bytes: 100,
            ..Http1Config::default()
        });
        let mut big = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        big.resize(300, b'a');
        big.extend_from_slice(b"\r\n\r\n");
        t.pieces(C, &big, 40)
            .data(C, GET)
            .data(S, OK_5)
            .data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        assert_eq!(
            t.out[0].incomplete[0].detail,
            "request head: head larger than 100 bytes"
        );
        assert!(t.out[1].incomplete.is_empty());
    }

    #[test]
    fn invalid_content_length() {
        let mut t = T::new();
        t.data(C, GET)
            .data(S, b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello")
            .finish();
        assert_eq!(t.out[0].response.as_ref().unwrap().status, 200);
        assert_eq!(reasons(&t.out[0]), [Why::Malformed]);

        let mut t = T::new();
        t.data(C, b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n")
            .data(S, OK_5);
        assert_eq!(t.out[0].request.as_ref().unwrap().method, "POST");
        assert_eq!(reasons(&t.out[0]), [Why::Malformed]);
    }

    #[test]
    fn transfer_encoding_wins_over_content_length() {
        let mut t = T::new();
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        t.data(C, GET).data(S, resp);
        assert_eq!(t.out[0].response.as_ref().unwrap().body.encoded, 5);
        assert!(t.out[0].incomplete.is_empty());
    }

    #[test]
    fn fin_reset_and_finish_reasons() {
        let mut t = T::new();
        t.data(C, GET)
            .data(S, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            .end(S, false);
        assert_eq!(reasons(&t.out[0]), [Why::ResponseTruncated]);
        assert_eq!(
            t.out[0].incomplete[0].detail,
            "connection closed: got 3 of 10 bytes"
        );

        let mut t = T::new();
        t.data(C, b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab")
            .end(C, true);
        assert_eq!(reasons(&t.out[0]), [Why::Reset, Why::NoResponse]);

        let mut t = T::new();
        t.data(C, GET).data(C, GET).data(S, OK_5).end(S, false);
        assert_eq!(reasons(&t.out[1]), [Why::NoResponse]);

        let mut t = T::new();
        t.data(C, GET)
            .data(S, b"HTTP/1.1 100 Continue\r\n\r\n")
            .finish();
        assert_eq!(reasons(&t.out[0]), [Why::NoResponse]);
        assert!(t.out[0].incomplete[0].detail.starts_with("only interim"));
    }

    #[test]
    fn full_queue_evicts_oldest_and_keeps_pairing() {
        let mut t = T::with(Http1Config {
            max_pending: 2,
            ..Http1Config::default()
        });
        t.data(
            C,
            b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n",
        );
        assert_eq!(t.out.len(), 1);
        assert_eq!(reasons(&t.out[0]), [Why::NoResponse]);
        t.data(S, OK_5).data(S, OK_5).data(S, OK_5);
        assert_eq!(t.out.len(), 4);
        assert_eq!(reasons(&t.out[1]), [Why::NoRequest]);
        assert_eq!(t.out[2].request.as_ref().unwrap().target, "/2");
        assert_eq!(t.out[3].request.as_ref().unwrap().target, "/3");
    }

    #[test]
    fn content_decoding_and_failures() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[b'a'; 5000]).unwrap();
        let gz = gz.finish().unwrap();
        let mut resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            gz.len()
        )
        .into_bytes();
        resp.extend_from_slice(&gz);
        let mut t = T::new();
        t.data(C, GET).pieces(S, &resp, 13);
        assert_eq!(t.out[0].response.as_ref().unwrap().body.decoded, Some(5000));

        let mut t = T::with(Http1Config {
            max_decoded_bytes: 100,
            ..Http1Config::default()
        });
        t.data(C, GET).data(S, &resp);
        assert_eq!(t.out[0].response.as_ref().unwrap().body.decoded, None);
        assert_eq!(t.out[0].incomplete[0].detail, "decoding stopped at limit");

        let mut t = T::new();
        t.data(C, GET).data(
            S,
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello",
        );
        assert_eq!(reasons(&t.out[0]), [Why::DecodeFailed]);

        let mut t = T::new();
        t.data(C, GET).data(
            S,
            b"HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\nContent-Length: 5\r\n\r\nhello",
        );
        assert!(t.out[0].incomplete.is_empty());
        assert_eq!(t.out[0].response.as_ref().unwrap().body.decoded, None);
    }

    #[test]
    fn early_response_waits_for_the_request_body() {
        let mut t = T::new();
        t.data(C, b"POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\nab");
        t.data(S, b"HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n");
        assert!(t.out.is_empty());
        t.data(C, b"cdef").data(C, GET).data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        assert!(t.out.iter().all(|e| e.incomplete.is_empty()));
    }

    #[test]
    fn bad_response_start_is_skipped_byte_by_byte() {
        let mut t = T::new();
        t.data(C, GET).data(
            S,
            b"HTTP/1.S0 200 OK\r\n\r\nHHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(t.out.len(), 1);
        assert!(t.out[0].incomplete.is_empty());
        assert_eq!(
            t.conn.stats(),
            ParserStats {
                resyncs: 1,
                skipped_bytes: 21
            }
        );
    }

    /// `n` bytes of lowercase hex without line breaks, like the orphaned body in loss.pcap.
    fn hex_body(n: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"0123456789abcdef"[(x % 16) as usize]
            })
            .collect()
    }

    static MISSING: &[u8] = b"GET /missing HTTP/1.1\r\nHost: 127.0.0.1:18080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
    static CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
    static OK_20: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nreceived 4000 bytes\n";
    static NOT_FOUND: &[u8] =
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nnot found";

    /// The loss.pcap outcome: the lost POST's responses alone, then GET /missing ↔ 404.
    fn assert_loss_outcome(out: &[Exchange], what: &str) {
        assert_eq!(out.len(), 2, "{what}: {out:#?}");
        let lost = &out[0];
        assert!(lost.request.is_none(), "{what}");
        assert_eq!(reasons(lost), [Why::NoRequest], "{what}");
        let resp = lost.response.as_ref().unwrap();
        assert_eq!(resp.status, 200, "{what}");
        assert_eq!(resp.body.encoded, 20, "{what}");
        assert_eq!(
            resp.interim.iter().map(|i| i.status).collect::<Vec<_>>(),
            [100],
            "{what}"
        );
        let missing = &out[1];
        let req = missing.request.as_ref().unwrap();
        assert_eq!(
            (req.method.as_str(), req.target.as_str()),
            ("GET", "/missing"),
            "{what}"
        );
        assert_eq!(missing.response.as_ref().unwrap().status, 404, "{what}");
        assert!(
            missing.incomplete.is_empty(),
            "{what}: {:?}",
            missing.incomplete
        );
    }

    #[test]
    fn lost_request_head_resyncs_on_a_request_glued_to_its_body() {
        let body = hex_body(4000);
        // Capture order: the 100 Continue before the body, the 200 before GET /missing.
        for n in [1, 2, 3, 7, 64, 1448, 10_000] {
            let mut t = T::new();
            t.data(C, GET).data(S, OK_5);
            t.out.clear();
            t.gap(C, 180)
                .data(S, CONTINUE)
                .pieces(C, &body, n)
                .data(S, OK_20)
                .pieces(C, MISSING, n)
                .data(S, NOT_FOUND);
            assert_loss_outcome(&t.out, &format!("split {n}"));
            assert_eq!(
                t.conn.stats(),
                ParserStats {
                    resyncs: 1,
                    skipped_bytes: 4000
                },
                "split {n}"
            );
        }
        // Body and next request in the same stream bytes, cut anywhere; responses after.
        let stream = [&body[..], MISSING].concat();
        for n in [1, 2, 3, 5, 7, 9, 64, 1448, 10_000] {
            let mut t = T::new();
            t.gap(C, 180)
                .data(S, CONTINUE)
                .pieces(C, &stream, n)
                .data(S, OK_20)
                .data(S, NOT_FOUND);
            assert_loss_outcome(&t.out, &format!("joined, split {n}"));
            assert_eq!(t.conn.stats().skipped_bytes, 4000, "joined, split {n}");
        }
    }

    #[test]
    fn request_start_time_is_the_chunk_holding_the_method() {
        let body = hex_body(100);
        let mut t = T::new();
        t.gap(C, 180)
            .data(C, &body[..60])
            .data(C, &[&body[60..], &b"GE"[..]].concat())
            .data(C, &MISSING[2..])
            .data(S, NOT_FOUND);
        assert_eq!(t.out.len(), 1);
        assert_eq!(t.out[0].request.as_ref().unwrap().target, "/missing");
        assert_eq!(t.out[0].times.request_start, Some(Timestamp(3)));
        assert!(t.out[0].incomplete.is_empty());
        // A buffered candidate that fails gives way to a later one inside it.
        let mut t = T::new();
        t.gap(C, 10)
            .data(C, b"GET /a b")
            .data(C, b"c")
            .data(C, b"cPOST /x HTTP/1.1\r\n\r\n")
            .data(S, OK_5);
        assert_eq!(t.out.len(), 1);
        let req = t.out[0].request.as_ref().unwrap();
        assert_eq!((req.method.as_str(), req.target.as_str()), ("POST", "/x"));
        assert_eq!(t.out[0].times.request_start, Some(Timestamp(4)));
        assert_eq!(t.conn.stats().skipped_bytes, 10);
    }

    #[test]
    fn response_never_pairs_with_a_request_sent_after_it_started() {
        // Processing order differs from capture order: the request bytes (ts 5) are handled
        // before the responses that were on the wire earlier (ts 2 and 4).
        let stream = [&hex_body(4000)[..], MISSING].concat();
        let mut t = T::new();
        t.gap(C, 180)
            .data_at(C, 5, &stream)
            .data_at(S, 2, CONTINUE)
            .data_at(S, 4, OK_20)
            .data_at(S, 6, NOT_FOUND);
        assert_loss_outcome(&t.out, "request first");

        // Without an interim response to hold the exchange open.
        let mut t = T::new();
        t.gap(C, 180)
            .data_at(C, 5, &stream)
            .data_at(S, 4, OK_5)
            .data_at(S, 6, NOT_FOUND);
        assert_eq!(t.out.len(), 2);
        assert_eq!(reasons(&t.out[0]), [Why::NoRequest]);
        assert!(t.out[1].incomplete.is_empty());

        // Even in processing order: a response head split around a request's arrival.
        let mut t = T::new();
        t.data(S, b"HTTP/1.1 200 OK\r\nContent-")
            .data(C, b"GET /b HTTP/1.1\r\n\r\n")
            .data(S, b"Length: 5\r\n\r\nhello")
            .data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        assert!(t.out[0].request.is_none());
        assert_eq!(reasons(&t.out[0]), [Why::NoRequest]);
        assert_eq!(t.out[1].request.as_ref().unwrap().target, "/b");
        assert!(t.out[1].incomplete.is_empty());

        // Same timestamp: the request may have been sent first.
        let mut t = T::new();
        t.data_at(C, 3, GET).data_at(S, 3, OK_5);
        assert!(t.out[0].incomplete.is_empty());
    }

    #[test]
    fn any_token_is_a_method_at_a_clean_boundary() {
        let mut t = T::new();
        t.data(C, b"8a81c5GET /x HTTP/1.1\r\n\r\n").data(S, OK_5);
        t.data(C, b"purge.all /y HTTP/1.1\r\n\r\n").data(S, OK_5);
        // Split across chunks, still at a clean boundary.
        t.data(C, b"x-lowercase-and-rather-long-met")
            .data(C, b"hod /z HTTP/1.1\r\n\r\n")
            .data(S, OK_5);
        let methods: Vec<_> = t
            .out
            .iter()
            .map(|e| e.request.as_ref().unwrap().method.clone())
            .collect();
        assert_eq!(
            methods,
            [
                "8a81c5GET",
                "purge.all",
                "x-lowercase-and-rather-long-method"
            ]
        );
        assert!(t.out.iter().all(|e| e.incomplete.is_empty()));
        assert_eq!(t.conn.stats(), ParserStats::default());
    }

    #[test]
    fn resync_method_rules() {
        // At a line start: any all-uppercase token; lowercase or overlong tokens are skipped.
        let mut t = T::new();
        t.gap(C, 50).data(
            C,
            b"junk\r\nbrew /pot HTTP/1.1\r\nTHIS_IS_A_VERY_LONG_ONE / HTTP/1.1\r\nBREW /pot HTTP/1.1\r\n\r\n",
        );
        t.data(S, OK_5);
        assert_eq!(t.out.len(), 1);
        assert_eq!(t.out[0].request.as_ref().unwrap().method, "BREW");
        // In the middle of a line only a registered method counts.
        let mut t = T::new();
        t.gap(C, 50)
            .data(
                C,
                b"abcBREW /pot HTTP/1.1\r\nxyzPROPPATCH /d HTTP/1.1\r\n\r\n",
            )
            .data(S, OK_5);
        assert_eq!(t.out.len(), 1);
        assert_eq!(t.out[0].request.as_ref().unwrap().method, "PROPPATCH");
        assert_eq!(t.conn.stats().skipped_bytes, 26);
        // The same after a malformed request (its body is skipped).
        let mut t = T::new();
        t.data(
            C,
            b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\nname=GET&v=1DELETE /r HTTP/1.1\r\n\r\n",
        )
        .data(S, OK_5)
        .data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        assert_eq!(reasons(&t.out[0]), [Why::Malformed]);
        assert_eq!(t.out[1].request.as_ref().unwrap().method, "DELETE");
        assert!(t.out[1].incomplete.is_empty());
    }

    #[test]
    fn mid_line_method_without_a_version_is_body_text() {
        let text = b"please GET /index.html now, then PUT /x HTTP/2.0 and GET / HTTP/1.x\r\n";
        let mut t = T::new();
        t.gap(C, 30)
            .data(C, text)
            .data(C, b"or GET /a HTTP/1.1 more\r\nGET /real HTTP/1.1\r\n\r\n")
            .data(S, OK_5);
        assert_eq!(t.out.len(), 1);
        assert_eq!(t.out[0].request.as_ref().unwrap().target, "/real");
        assert!(t.out[0].incomplete.is_empty());
        assert_eq!(t.conn.stats().skipped_bytes, text.len() as u64 + 25);
    }

    #[test]
    fn request_gap_directly_before_a_request_is_reported() {
        let mut t = T::new();
        t.data(C, GET).data(S, OK_5);
        t.gap(C, 40).data(C, GET).data(S, OK_5);
        assert_eq!(reasons(&t.out[1]), [Why::RequestGap]);
        assert_eq!(
            t.out[1].incomplete[0].detail,
            "40 bytes missing before this request"
        );
    }

    #[test]
    fn empty_lines_between_messages_are_ignored() {
        let mut t = T::new();
        t.data(C, b"\r\n")
            .data(C, GET)
            .data(S, OK_5)
            .data(S, b"\r\n");
        t.data(C, GET).data(S, OK_5);
        assert_eq!(t.out.len(), 2);
        assert_eq!(t.conn.stats(), ParserStats::default());
    }
}
