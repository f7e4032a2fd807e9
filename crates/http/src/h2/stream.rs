//! One HTTP/2 stream as seen by an observer: its state (RFC 9113 §5.1), the request and
//! response built from its header blocks (§8.1, §8.3), body sizes counted from DATA frames,
//! gRPC message framing, and the [`Exchange`] it becomes when it closes.
//!
//! RFC 9113 §8.1 HTTP Message Framing: "A client sends an HTTP request on a new stream ...
//! An HTTP message (request or response) consists of: 1. one HEADERS frame (followed by zero
//! or more CONTINUATION frames) containing the header section ..., 2. zero or more DATA frames
//! containing the message content, and 3. optionally, one HEADERS frame (followed by zero or
//! more CONTINUATION frames) containing the trailer section". Interim (1xx) responses are
//! further HEADERS blocks before the final one.
//!
//! Invariant: body bytes are only counted (and fed to a counting content decoder), never
//! kept; gRPC framing keeps at most a 5-octet message prefix.

use crate::decode::{ContentDecoder, DecodeError};
use crate::Exchange;
use model::{
    header_value, BodySize, Direction, Grpc, Header, Incomplete, IncompleteReason as Why, Interim,
    MessageTimes, Request, Response, Timestamp,
};

/// Detail of the note given to messages whose headers could not be decoded.
pub(crate) const OUT_OF_SYNC: &str = "HTTP/2 header decoding out of sync";

/// The stream states of RFC 9113 §5.1, from the point of view of an observer that sees both
/// endpoints: "local"/"remote" become client/server.
///
/// ```text
///                              +--------+
///                      send PP |        | recv PP
///                     ,--------+  idle  +--------.
///                    /         |        |         \
///                   v          +--------+          v
///            +----------+          |           +----------+
///            |          |          | send H /  |          |
///     ,------+ reserved |          | recv H    | reserved +------.
///     |      | (local)  |          |           | (remote) |      |
///     |      +---+------+          v           +------+---+      |
///     |          |             +--------+             |          |
///     |          |     recv ES |        | send ES     |          |
///     |   send H |     ,-------+  open  +-------.     | recv H   |
///     |          |    /        |        |        \    |          |
///     |          v   v         +---+----+         v   v          |
///     |      +----------+          |           +----------+      |
///     |      |   half-  |          |           |   half-  |      |
///     |      |  closed  |          | send R /  |  closed  |      |
///     |      | (remote) |          | recv R    | (local)  |      |
///     |      +----+-----+          |           +-----+----+      |
///     |           |                |                 |           |
///     |           | send ES /      |       recv ES / |           |
///     |           |  send R /      v        send R / |           |
///     |           |  recv R    +--------+   recv R   |           |
///     | send R /  `----------->|        |<-----------'  send R / |
///     | recv R                 | closed |               recv R   |
///     `----------------------->|        |<-----------------------'
///                              +--------+
///
///  send:   endpoint sends this frame
///  recv:   endpoint receives this frame
///  H:  HEADERS frame (with implied CONTINUATION frames)
///  PP: PUSH_PROMISE frame (with implied CONTINUATION frames)
///  ES: END_STREAM flag
///  R:  RST_STREAM frame
/// ```
///
/// Idle streams are not stored: a stream is created by the frame that leaves idle (HEADERS,
/// or PUSH_PROMISE for a pushed one). Closed streams are emitted and forgotten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Promised by the server's PUSH_PROMISE; its request is complete, its response has not
    /// started ("reserved (local)" at the server, "reserved (remote)" at the client).
    Reserved,
    /// Both sides may send.
    Open,
    /// The given side has sent END_STREAM (or its end was lost); the other may still send.
    HalfClosed(Direction),
    /// Both sides are finished, or the stream was reset.
    Closed,
}

/// Counts gRPC length-prefixed messages (gRPC over HTTP/2: `Compressed-Flag (8),
/// Message-Length (32), Message`) across DATA frames, keeping only the 5-octet prefix.
#[derive(Default)]
struct GrpcFraming {
    prefix: [u8; 5],
    have: usize,
    /// Octets of the current message still to skip.
    skip: u64,
    messages: u64,
}

impl GrpcFraming {
    fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.skip > 0 {
                let n = usize::try_from(self.skip).map_or(data.len(), |s| s.min(data.len()));
                self.skip -= n as u64;
                data = &data[n..];
                continue;
            }
            let n = (5 - self.have).min(data.len());
            self.prefix[self.have..self.have + n].copy_from_slice(&data[..n]);
            self.have += n;
            data = &data[n..];
            if self.have == 5 {
                self.messages += 1;
                self.have = 0;
                let p = self.prefix;
                self.skip = u64::from(u32::from_be_bytes([p[1], p[2], p[3], p[4]]));
            }
        }
    }
}

/// One direction's message on a stream.
#[derive(Default)]
struct Side {
    /// The (final) header section was seen, or its loss recorded.
    headers: bool,
    body: BodySize,
    decoder: Option<ContentDecoder>,
    decode_error: Option<DecodeError>,
    trailers: Vec<Header>,
    grpc: GrpcFraming,
    /// Flow-control window of this side's sender (§6.9).
    window: i64,
}

/// A decoded (or undecodable) header block with its place on the wire.
pub(crate) struct Block {
    /// The fields in order; `None` when the direction's HPACK state is out of sync.
    pub(crate) fields: Option<Vec<Header>>,
    /// HEADERS/PUSH_PROMISE + CONTINUATION payloads plus 9 octets per frame.
    pub(crate) bytes: u64,
    /// When the first frame's first octet was seen.
    pub(crate) start: Timestamp,
    /// A note about the block itself (a field list over the limit).
    pub(crate) note: Option<Incomplete>,
}

/// One stream in flight.
pub(crate) struct Stream {
    pub(crate) id: u32,
    /// Streams the connection opened before this one: its position among the requests.
    pub(crate) order: u32,
    pub(crate) state: State,
    request: Option<Request>,
    response: Option<Response>,
    interim: Vec<Interim>,
    sides: [Side; 2],
    times: MessageTimes,
    incomplete: Vec<Incomplete>,
    grpc: bool,
    max_decoded: u64,
}

fn note(reason: Why, detail: impl Into<String>) -> Incomplete {
    Incomplete {
        reason,
        detail: detail.into(),
    }
}

fn is_grpc(headers: &[Header]) -> bool {
    header_value(headers, "content-type").is_some_and(|v| v.starts_with("application/grpc"))
}

impl Stream {
    /// A stream opened by a HEADERS frame (or first seen mid-connection); `windows` are the
    /// initial send windows of the client and the server (SETTINGS_INITIAL_WINDOW_SIZE).
    pub(crate) fn new(id: u32, windows: [i64; 2], max_decoded: u64) -> Stream {
        let mut s = Stream {
            id,
            order: 0,
            state: State::Open,
            request: None,
            response: None,
            interim: Vec::new(),
            sides: Default::default(),
            times: MessageTimes::default(),
            incomplete: Vec::new(),
            grpc: false,
            max_decoded,
        };
        s.sides[0].window = windows[0];
        s.sides[1].window = windows[1];
        s
    }

    /// A stream reserved by PUSH_PROMISE (§6.6, §8.4): its request is the promised one.
    pub(crate) fn pushed(id: u32, windows: [i64; 2], max_decoded: u64, block: Block) -> Stream {
        let mut s = Stream::new(id, windows, max_decoded);
        s.header_block(Direction::ClientToServer, block, true);
        s.state = State::Reserved;
        s
    }

    /// The stream that an HTTP/1.1 `Upgrade: h2c` request becomes (§3.2 of RFC 7540, kept by
    /// RFC 9113 §3.1 for h2c): stream 1, half-closed by the client.
    pub(crate) fn upgraded(
        request: Request,
        ts: Timestamp,
        windows: [i64; 2],
        max_decoded: u64,
    ) -> Stream {
        let mut s = Stream::new(1, windows, max_decoded);
        s.grpc = is_grpc(&request.headers);
        s.request = Some(request);
        s.sides[0].headers = true;
        s.times.request_start = Some(ts);
        s.times.request_end = Some(ts);
        s.state = State::HalfClosed(Direction::ClientToServer);
        s
    }

    pub(crate) fn note(&mut self, reason: Why, detail: impl Into<String>) {
        self.incomplete.push(note(reason, detail));
    }

    /// Whether `dir`'s message is finished (END_STREAM, reset, or its loss recorded).
    pub(crate) fn side_done(&self, dir: Direction) -> bool {
        match self.state {
            State::Closed => true,
            State::HalfClosed(d) => d == dir,
            State::Reserved => dir == Direction::ClientToServer,
            State::Open => false,
        }
    }

    /// Whether any octet of the response was seen.
    pub(crate) fn response_started(&self) -> bool {
        self.times.response_start.is_some()
    }

    pub(crate) fn window(&mut self, dir: Direction) -> &mut i64 {
        &mut self.sides[dir.index()].window
    }

    /// A complete header block from `dir`. Returns nothing; END_STREAM is applied by the
    /// caller through [`Stream::end_side`].
    pub(crate) fn header_block(&mut self, dir: Direction, block: Block, ended: bool) {
        let side = &mut self.sides[dir.index()];
        self.incomplete.extend(block.note);
        let request = dir == Direction::ClientToServer;
        if request {
            self.times.request_start.get_or_insert(block.start);
        } else {
            self.times.response_start.get_or_insert(block.start);
            if self.state == State::Reserved {
                // §5.1: a pushed stream becomes half-closed (remote) at the client when the
                // server sends its HEADERS.
                self.state = State::HalfClosed(Direction::ClientToServer);
            }
        }
        if side.headers {
            // §8.1: a HEADERS block after the header section carries the trailer section.
            side.body.wire += block.bytes;
            if let Some(fields) = block.fields {
                side.trailers = fields;
            } else {
                self.incomplete.push(note(Why::Malformed, OUT_OF_SYNC));
            }
            return;
        }
        let Some(fields) = block.fields else {
            side.headers = true;
            self.incomplete.push(note(Why::Malformed, OUT_OF_SYNC));
            return;
        };
        let pseudo = |name: &str| header_value(&fields, name).unwrap_or_default().to_owned();
        if request {
            // §8.3.1 Request Pseudo-Header Fields; CONNECT (§8.5) has no :path.
            let target = match header_value(&fields, ":path") {
                Some(path) => path.to_owned(),
                None => pseudo(":authority"),
            };
            side.headers = true;
            side.decoder = ContentDecoder::for_headers(&fields, self.max_decoded);
            self.grpc |= is_grpc(&fields);
            self.request = Some(Request {
                method: pseudo(":method"),
                target,
                version: "HTTP/2".into(),
                headers: fields,
                header_bytes: block.bytes,
                ..Request::default()
            });
            return;
        }
        // §8.3.2 Response Pseudo-Header Fields: `:status` only.
        let status = header_value(&fields, ":status").and_then(|s| s.parse::<u16>().ok());
        match status {
            Some(status @ 100..=199) if !ended => {
                self.interim.push(Interim {
                    status,
                    header_bytes: block.bytes,
                    at: block.start,
                });
            }
            _ => {
                if status.is_none() {
                    self.incomplete.push(note(
                        Why::Malformed,
                        "HTTP/2 response without a valid :status",
                    ));
                }
                side.headers = true;
                side.decoder = ContentDecoder::for_headers(&fields, self.max_decoded);
                self.grpc |= is_grpc(&fields);
                self.response = Some(Response {
                    status: status.unwrap_or(0),
                    version: "HTTP/2".into(),
                    headers: fields,
                    header_bytes: block.bytes,
                    interim: std::mem::take(&mut self.interim),
                    ..Response::default()
                });
            }
        }
    }

    /// A DATA frame header from `dir`: `len` octets of payload (padding included).
    pub(crate) fn data_frame(&mut self, dir: Direction, len: u32) {
        self.sides[dir.index()].body.wire += super::frame::HEADER_LEN as u64 + u64::from(len);
    }

    /// DATA content octets (padding excluded) from `dir`: counted, decoded for their size,
    /// scanned for gRPC message prefixes; never kept.
    pub(crate) fn data(&mut self, dir: Direction, data: &[u8]) {
        let side = &mut self.sides[dir.index()];
        side.body.encoded += data.len() as u64;
        if self.grpc {
            side.grpc.push(data);
        }
        if let Some(d) = side.decoder.as_mut() {
            if let Err(e) = d.push(data) {
                side.decoder = None;
                side.decode_error = Some(e);
            }
        }
    }

    /// `dir`'s message ended at `ts`: `complete` when by END_STREAM.
    pub(crate) fn end_side(&mut self, dir: Direction, ts: Timestamp, complete: bool) {
        if self.side_done(dir) {
            return;
        }
        self.state = match self.state {
            State::Open => State::HalfClosed(dir),
            _ => State::Closed,
        };
        let side = &mut self.sides[dir.index()];
        let decoder = side.decoder.take();
        if complete {
            match decoder.map(ContentDecoder::finish) {
                Some(Ok(n)) => side.body.decoded = Some(n),
                Some(Err(e)) => side.decode_error = Some(e),
                None => {}
            }
            match dir {
                Direction::ClientToServer => self.times.request_end = Some(ts),
                Direction::ServerToClient => self.times.response_end = Some(ts),
            }
        }
        match side.decode_error.take() {
            Some(DecodeError::Limit) => self.note(Why::DecodeFailed, "decoding stopped at limit"),
            Some(DecodeError::Failed(detail)) => self.note(Why::DecodeFailed, detail),
            None => {}
        }
    }

    /// `dir`'s message can make no more progress: records why and ends it.
    pub(crate) fn lose_side(&mut self, dir: Direction, ts: Timestamp, why: Why, detail: &str) {
        if self.side_done(dir) {
            return;
        }
        self.note(why, detail);
        self.end_side(dir, ts, false);
    }

    /// The stream as an exchange.
    pub(crate) fn into_exchange(mut self) -> Exchange {
        let [req_side, resp_side] = std::mem::take(&mut self.sides);
        if let Some(r) = self.request.as_mut() {
            r.body = req_side.body;
            r.trailers = req_side.trailers;
        }
        // Interim responses without a final one are dropped with the missing response.
        if let Some(r) = self.response.as_mut() {
            r.body = resp_side.body;
            r.trailers = resp_side.trailers;
        }
        let explained = |notes: &[Incomplete], reasons: &[Why]| {
            notes
                .iter()
                .any(|i| i.reason == Why::Malformed || reasons.contains(&i.reason))
        };
        let request_reasons = [Why::NoRequest, Why::RequestGap, Why::RequestTruncated];
        if self.request.is_none() && !explained(&self.incomplete, &request_reasons) {
            self.incomplete
                .push(note(Why::NoRequest, "HTTP/2 request headers not seen"));
        }
        let response_reasons = [Why::NoResponse, Why::ResponseGap, Why::ResponseTruncated];
        if self.response.is_none() && !explained(&self.incomplete, &response_reasons) {
            self.incomplete
                .push(note(Why::NoResponse, "no HTTP/2 response"));
        }
        let grpc = self.grpc.then(|| {
            let path = self
                .request
                .as_ref()
                .map(|r| r.target.as_str())
                .unwrap_or_default();
            let (service, method) = path
                .strip_prefix('/')
                .and_then(|p| p.split_once('/'))
                .unwrap_or_default();
            let status_from = |name: &str| {
                self.response.as_ref().and_then(|r| {
                    header_value(&r.trailers, name).or_else(|| header_value(&r.headers, name))
                })
            };
            Grpc {
                service: service.into(),
                method: method.into(),
                status: status_from("grpc-status").and_then(|s| s.trim().parse().ok()),
                // An empty grpc-message (sent by some servers on success) is no message.
                message: status_from("grpc-message")
                    .filter(|m| !m.is_empty())
                    .map(percent_decode),
                messages: [req_side.grpc.messages, resp_side.grpc.messages],
            }
        });
        Exchange {
            request: self.request,
            response: self.response,
            times: self.times,
            tunnel: None,
            incomplete: self.incomplete,
            stream: Some(self.id),
            order: Some(self.order),
            grpc,
        }
    }
}

/// gRPC's `grpc-message` is percent-encoded UTF-8 (gRPC over HTTP/2, "Responses").
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_framing_across_pieces() {
        let mut g = GrpcFraming::default();
        // Two messages (3 and 0 octets) and the start of a third, split awkwardly.
        let bytes = [0, 0, 0, 0, 3, b'a', b'b', b'c', 0, 0, 0, 0, 0, 1, 0, 0];
        for piece in bytes.chunks(3) {
            g.push(piece);
        }
        assert_eq!(g.messages, 2);
        assert_eq!(g.have, 3);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%zz%C3%A9%"), "a b%zzé%");
    }

    #[test]
    fn states_follow_rfc_9113_5_1() {
        use Direction::{ClientToServer as C, ServerToClient as S};
        let mut s = Stream::new(1, [65_535; 2], 0);
        assert_eq!(s.state, State::Open);
        s.end_side(C, Timestamp(1), true);
        assert_eq!(s.state, State::HalfClosed(C));
        assert!(s.side_done(C) && !s.side_done(S));
        s.end_side(S, Timestamp(2), true);
        assert_eq!(s.state, State::Closed);
        let e = s.into_exchange();
        // Neither message was seen: both absences are explained.
        let reasons: Vec<_> = e.incomplete.iter().map(|i| i.reason).collect();
        assert_eq!(reasons, [Why::NoRequest, Why::NoResponse]);
    }
}
