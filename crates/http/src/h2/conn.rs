//! [`H2Connection`]: reads HTTP/2 frames from both directions of one connection and emits an
//! [`Exchange`] for each stream as it closes.
//!
//! Frame reading (RFC 9113 §4.1): each direction is a small state machine (preface, frame
//! header, payload) fed with whatever bytes arrive. DATA payloads (§6.1) are never buffered:
//! their content is counted and fed to the stream's counting content decoder as it passes,
//! their padding skipped. Other payloads are buffered up to a per-type bound.
//!
//! Header blocks (§4.3): "A field block MUST be transmitted as a contiguous sequence of
//! frames, with no interleaved frames of any other type or from any other stream." HEADERS or
//! PUSH_PROMISE fragments are joined with their CONTINUATIONs (§6.10) until END_HEADERS and
//! decoded by that direction's HPACK decoder. A decoding error, a gap, a broken CONTINUATION
//! sequence or a capture that starts mid-connection leaves the decoder's dynamic table out of
//! step with the peer's encoder, so from then on that direction's blocks are not decoded
//! (counted in `header_errors`, their messages `None` with a `Malformed` reason) — never
//! decoded into wrong headers.
//!
//! SETTINGS (§6.5): each side's settings are recorded as `NAME=value`. A
//! SETTINGS_HEADER_TABLE_SIZE bounds the announcing side's decoder once the peer acknowledges
//! it (§6.5.3: "the values ... are applied ... upon receipt of the SETTINGS frame with ACK").
//! SETTINGS_INITIAL_WINDOW_SIZE changes every stream's window of the peer by the difference
//! (§6.9.2).
//!
//! Flow control (§6.9): "Flow control is based on WINDOW_UPDATE frames. Receivers advertise
//! how many octets they are prepared to receive on a stream and for the entire connection."
//! The connection window and each stream's window are kept per sending direction (initially
//! 65 535); "the entire DATA frame payload is included in flow control, including the Pad
//! Length and Padding fields". A DATA frame that leaves a window at or below zero with more
//! to send on its stream (no END_STREAM) is a stall. Windows are unknown mid-connection, so
//! stalls are not counted there.
//!
//! Stream lifetime (§5.1, see `stream`): a stream opens at its first HEADERS (or
//! PUSH_PROMISE) and closes at END_STREAM both ways, RST_STREAM (§6.4), refusal by GOAWAY
//! (§6.8: streams above the last stream id "were not processed"), loss of a direction (gap,
//! end of connection) or [`H2Connection::finish`]. Concurrency is the number of open streams
//! over time.

use super::frame::{self, FrameHead, HEADER_LEN};
use super::stream::{Block, State, Stream};
use super::{H2Config, PREFACE};
use crate::hpack::Decoder;
use crate::Exchange;
use model::{Direction, Header, Http2Info, Incomplete, IncompleteReason as Why, Timestamp};
use std::collections::{BTreeMap, VecDeque};

/// §6.9.2: "the initial value for the flow-control window is 65,535 octets for both new
/// streams and the overall connection".
const INITIAL_WINDOW: i64 = 65_535;
/// §6.5.2: SETTINGS_HEADER_TABLE_SIZE starts at 4,096 octets.
const INITIAL_TABLE_SIZE: usize = 4096;
/// Settings kept per side in [`Http2Info::settings`].
const MAX_SETTINGS_KEPT: usize = 64;
/// Octets of a SETTINGS payload read (64 settings); more are ignored.
const MAX_SETTINGS_PAYLOAD: usize = 6 * 64;
/// SETTINGS frames awaiting an ACK that are remembered per side.
const MAX_UNACKED: usize = 16;
/// Octets buffered while looking for frame boundaries mid-connection: two frames of the
/// initial maximum size.
const MAX_RESYNC: usize = 2 * (HEADER_LEN + 16_384) + HEADER_LEN;

const C: Direction = Direction::ClientToServer;
const S: Direction = Direction::ServerToClient;

/// Why a direction can make no more progress; applied to every stream side it leaves
/// unfinished, including streams opened later by the other side.
#[derive(Clone, Debug)]
enum Loss {
    /// Bytes missing: frame boundaries and HPACK state lost.
    Gap,
    /// FIN, or the end of the capture.
    Ended,
    /// The byte stream is not HTTP/2 framing.
    Malformed(String),
}

/// Where a direction's reader is.
#[derive(Clone, Copy, Debug)]
enum Read {
    /// Matching the client connection preface (§3.4); octets matched so far.
    Preface(usize),
    /// Collecting a 9-octet frame header.
    Head,
    /// A non-DATA payload: `left` octets to come, the first `keep` of the whole are kept.
    Payload {
        head: FrameHead,
        left: u32,
        keep: usize,
    },
    /// A DATA payload, streamed: the Pad Length octet (when `pad_pending`), then `data`
    /// content octets, then `pad` padding octets.
    Data {
        head: FrameHead,
        pad_pending: bool,
        data: u32,
        pad: u32,
    },
    /// Mid-connection: looking for two chained plausible frame headers.
    Resync,
    /// Nothing more is read in this direction.
    Stopped,
}

struct Reader {
    read: Read,
    head: [u8; HEADER_LEN],
    have: usize,
    /// The kept part of a non-DATA payload.
    payload: Vec<u8>,
    /// Bytes held while resynchronising.
    resync: Vec<u8>,
    /// When the current frame's first octet arrived.
    frame_ts: Timestamp,
}

impl Reader {
    fn new(read: Read) -> Reader {
        Reader {
            read,
            head: [0; HEADER_LEN],
            have: 0,
            payload: Vec::new(),
            resync: Vec::new(),
            frame_ts: Timestamp::default(),
        }
    }
}

/// A header block being joined from HEADERS/PUSH_PROMISE and CONTINUATION frames.
struct Pending {
    stream: u32,
    /// The promised stream of a PUSH_PROMISE.
    promised: Option<u32>,
    end_stream: bool,
    block: Vec<u8>,
    bytes: u64,
    start: Timestamp,
    /// The block cannot be decoded (malformed frame, too large).
    failed: bool,
}

/// One HTTP/2 connection's parser and stream table. See the module documentation.
pub struct H2Connection {
    config: H2Config,
    rx: [Reader; 2],
    /// The HPACK decoder of the blocks each direction carries; `None` once out of sync.
    hpack: [Option<Decoder>; 2],
    pending: [Option<Pending>; 2],
    /// SETTINGS_HEADER_TABLE_SIZE of each SETTINGS frame sent in a direction, awaiting ACK.
    unacked: [VecDeque<Option<u32>>; 2],
    /// SETTINGS_INITIAL_WINDOW_SIZE applying to each direction's sender.
    initial_window: [i64; 2],
    /// Connection flow-control window of each direction's sender.
    conn_window: [i64; 2],
    /// Whether windows are known (not mid-connection).
    flow_known: bool,
    streams: BTreeMap<u32, Stream>,
    /// Highest client-initiated (odd) and server-initiated (even) stream ids seen.
    highest: [u32; 2],
    /// Mid-connection: the first odd and even stream ids seen; unknown lower ids are
    /// streams opened before the capture.
    floor: Option<[Option<u32>; 2]>,
    lost: [Option<Loss>; 2],
    info: Http2Info,
    open: u64,
    /// Σ open streams × nanoseconds, and nanoseconds with at least one open stream.
    area: u128,
    busy: u64,
    last_ts: Option<Timestamp>,
}

impl H2Connection {
    /// A connection whose client direction starts with the connection preface (prior
    /// knowledge, ALPN `h2`).
    pub fn new(config: H2Config) -> H2Connection {
        H2Connection {
            config,
            rx: [Reader::new(Read::Preface(0)), Reader::new(Read::Head)],
            hpack: [
                Some(Decoder::new(INITIAL_TABLE_SIZE)),
                Some(Decoder::new(INITIAL_TABLE_SIZE)),
            ],
            pending: [None, None],
            unacked: Default::default(),
            initial_window: [INITIAL_WINDOW; 2],
            conn_window: [INITIAL_WINDOW; 2],
            flow_known: true,
            streams: BTreeMap::new(),
            highest: [0; 2],
            floor: None,
            lost: [None, None],
            info: Http2Info::default(),
            open: 0,
            area: 0,
            busy: 0,
            last_ts: None,
        }
    }

    /// A connection upgraded from HTTP/1.1 (`Upgrade: h2c`, RFC 7540 §3.2): the server's
    /// `101` was consumed by the HTTP/1 parser; the client still sends the preface; stream 1
    /// is `request` (sent at `request_ts`), half-closed by the client, and its response comes
    /// on stream 1.
    pub fn after_upgrade(
        config: H2Config,
        request: model::Request,
        request_ts: Timestamp,
    ) -> H2Connection {
        let mut c = H2Connection::new(config);
        let stream = Stream::upgraded(
            request,
            request_ts,
            c.initial_window,
            c.config.max_decoded_bytes,
        );
        c.streams.insert(1, stream);
        c.highest[0] = 1;
        c.info.streams = 1;
        c.opened(request_ts);
        c
    }

    /// The capture begins mid-connection: frame boundaries are unknown, so each direction
    /// looks for two consecutive plausible frame headers (within 32 KiB) and resumes there.
    /// HPACK state is unknown: every header block from here on is counted in `header_errors`
    /// and its message is `None` (`Malformed`, "HTTP/2 header decoding out of sync").
    pub fn mid_stream(&mut self) {
        for rx in &mut self.rx {
            rx.read = Read::Resync;
            rx.have = 0;
            rx.resync.clear();
        }
        self.hpack = [None, None];
        self.pending = [None, None];
        self.flow_known = false;
        self.floor = Some([None, None]);
    }

    /// Bytes of one direction, captured at `ts`.
    pub fn data(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        data: &[u8],
        out: &mut impl FnMut(Exchange),
    ) {
        let d = dir.index();
        let mut input = data;
        while !input.is_empty() {
            let rx = &mut self.rx[d];
            match rx.read {
                Read::Stopped => return,
                Read::Resync => {
                    rx.resync.extend_from_slice(input);
                    self.resync(dir, ts, out);
                    return;
                }
                Read::Preface(n) => {
                    let want = &PREFACE[n..];
                    let k = want.len().min(input.len());
                    if input[..k] != want[..k] {
                        let loss = Loss::Malformed("not an HTTP/2 connection preface".into());
                        self.stop(dir, ts, loss, out);
                        return;
                    }
                    input = &input[k..];
                    rx.read = if n + k == PREFACE.len() {
                        Read::Head
                    } else {
                        Read::Preface(n + k)
                    };
                }
                Read::Head => {
                    if rx.have == 0 {
                        rx.frame_ts = ts;
                    }
                    let k = (HEADER_LEN - rx.have).min(input.len());
                    rx.head[rx.have..rx.have + k].copy_from_slice(&input[..k]);
                    rx.have += k;
                    input = &input[k..];
                    if rx.have == HEADER_LEN {
                        rx.have = 0;
                        let head = FrameHead::parse(&rx.head);
                        self.frame_start(dir, ts, head, out);
                    }
                }
                Read::Payload { head, left, keep } => {
                    let k = (left as usize).min(input.len());
                    let room = keep.saturating_sub(rx.payload.len()).min(k);
                    rx.payload.extend_from_slice(&input[..room]);
                    input = &input[k..];
                    let left = left - k as u32;
                    rx.read = Read::Payload { head, left, keep };
                    if left == 0 {
                        rx.read = Read::Head;
                        self.frame_end(dir, ts, head, out);
                    }
                }
                Read::Data {
                    head,
                    mut pad_pending,
                    mut data,
                    mut pad,
                } => {
                    if pad_pending {
                        // §6.1: "If the length of the padding is the length of the frame
                        // payload or greater, the recipient MUST treat this as a connection
                        // error"; the payload is then all padding here.
                        pad_pending = false;
                        pad = u32::from(input[0]).min(data);
                        data -= pad;
                        input = &input[1..];
                    }
                    let k = (data as usize).min(input.len());
                    if k > 0 {
                        if let Some(s) = self.streams.get_mut(&head.stream) {
                            s.data(dir, &input[..k]);
                        }
                        data -= k as u32;
                        input = &input[k..];
                    }
                    let p = (pad as usize).min(input.len());
                    pad -= p as u32;
                    input = &input[p..];
                    let rx = &mut self.rx[d];
                    if data == 0 && pad == 0 && !pad_pending {
                        rx.read = Read::Head;
                        self.data_end(dir, ts, head, out);
                    } else {
                        rx.read = Read::Data {
                            head,
                            pad_pending,
                            data,
                            pad,
                        };
                    }
                }
            }
        }
    }

    /// `len` bytes of one direction are missing: its frame boundaries and HPACK state are
    /// lost, so the direction stops; its unfinished messages get `RequestGap`/`ResponseGap`.
    pub fn gap(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        _len: u64,
        out: &mut impl FnMut(Exchange),
    ) {
        let rx = &mut self.rx[dir.index()];
        match rx.read {
            Read::Stopped => {}
            Read::Resync => rx.resync.clear(),
            _ => self.stop(dir, ts, Loss::Gap, out),
        }
    }

    /// One direction ended: FIN (`reset` false) leaves its unfinished messages truncated;
    /// RST (`reset` true) ends every stream with `Reset`.
    pub fn end(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        reset: bool,
        out: &mut impl FnMut(Exchange),
    ) {
        if !reset {
            if !matches!(self.rx[dir.index()].read, Read::Stopped) {
                self.stop(dir, ts, Loss::Ended, out);
            }
            return;
        }
        for rx in &mut self.rx {
            rx.read = Read::Stopped;
        }
        let streams = std::mem::take(&mut self.streams);
        for (_, mut s) in streams {
            s.note(Why::Reset, "TCP connection reset");
            s.end_side(C, ts, false);
            s.end_side(S, ts, false);
            self.closed(ts);
            out(s.into_exchange());
        }
        self.lost = [Some(Loss::Ended), Some(Loss::Ended)];
    }

    /// The capture ended: every open stream is emitted with what is missing.
    pub fn finish(&mut self, ts: Timestamp, out: &mut impl FnMut(Exchange)) {
        for dir in [C, S] {
            if !matches!(self.rx[dir.index()].read, Read::Stopped) {
                self.stop(dir, ts, Loss::Ended, out);
            }
        }
        // Streams whose sides were lost before (gap, FIN) are closed by now; any other is
        // emitted as it stands.
        let streams = std::mem::take(&mut self.streams);
        for (_, mut s) in streams {
            s.end_side(C, ts, false);
            s.end_side(S, ts, false);
            self.closed(ts);
            out(s.into_exchange());
        }
    }

    /// What the connection did as a whole so far.
    pub fn info(&self) -> Http2Info {
        let mut info = self.info.clone();
        info.mean_concurrent = if self.busy > 0 {
            self.area as f64 / self.busy as f64
        } else {
            // Streams opened and closed within one instant.
            info.max_concurrent as f64
        };
        info
    }

    // ---- frames ----------------------------------------------------------------------

    fn frame_start(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        head: FrameHead,
        out: &mut impl FnMut(Exchange),
    ) {
        let d = dir.index();
        if head.len as usize > self.config.max_frame_size {
            let detail = format!(
                "HTTP/2 {} frame of {} octets exceeds the limit",
                frame::type_name(head.kind),
                head.len
            );
            self.stop(dir, ts, Loss::Malformed(detail), out);
            return;
        }
        // §6.10: anything but the CONTINUATION of the pending block is a connection error.
        if let Some(p) = &self.pending[d] {
            if head.kind != frame::CONTINUATION || head.stream != p.stream {
                if let Some(mut p) = self.pending[d].take() {
                    p.failed = true;
                    self.block_done(dir, ts, p, out);
                }
            }
        }
        if head.kind == frame::DATA {
            self.data_start(dir, ts, head);
            let padded = head.has(frame::PADDED);
            self.rx[d].read = Read::Data {
                head,
                pad_pending: padded && head.len > 0,
                data: head.len.saturating_sub(u32::from(padded)),
                pad: 0,
            };
            if head.len == 0 {
                self.rx[d].read = Read::Head;
                self.data_end(dir, ts, head, out);
            }
            return;
        }
        let len = head.len as usize;
        let keep = match head.kind {
            frame::HEADERS | frame::PUSH_PROMISE | frame::CONTINUATION => {
                let joined = self.pending[d].as_ref().map_or(0, |p| p.block.len());
                if joined + len <= self.config.max_header_list {
                    len
                } else {
                    0
                }
            }
            frame::SETTINGS => len.min(MAX_SETTINGS_PAYLOAD),
            frame::RST_STREAM | frame::WINDOW_UPDATE => 4,
            frame::GOAWAY => 8,
            _ => 0,
        };
        let rx = &mut self.rx[d];
        rx.payload.clear();
        rx.read = Read::Payload {
            head,
            left: head.len,
            keep,
        };
        if head.len == 0 {
            rx.read = Read::Head;
            self.frame_end(dir, ts, head, out);
        }
    }

    /// A complete non-DATA frame.
    fn frame_end(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        head: FrameHead,
        out: &mut impl FnMut(Exchange),
    ) {
        let d = dir.index();
        let payload = std::mem::take(&mut self.rx[d].payload);
        let truncated = payload.len() < head.len as usize;
        self.frame(dir, ts, head, &payload, truncated, out);
        self.rx[d].payload = payload;
    }

    fn frame(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        head: FrameHead,
        payload: &[u8],
        truncated: bool,
        out: &mut impl FnMut(Exchange),
    ) {
        let d = dir.index();
        let bytes = HEADER_LEN as u64 + u64::from(head.len);
        match head.kind {
            frame::HEADERS | frame::PUSH_PROMISE if head.stream != 0 => {
                let parsed = if head.kind == frame::HEADERS {
                    frame::headers_fragment(&head, payload).map(|f| (None, f))
                } else {
                    self.info.pushes += 1;
                    frame::push_promise(&head, payload).map(|(id, f)| (Some(id), f))
                };
                let (promised, fragment) = parsed.unwrap_or_default();
                let p = Pending {
                    stream: head.stream,
                    promised,
                    end_stream: head.kind == frame::HEADERS && head.has(frame::END_STREAM),
                    block: fragment.to_vec(),
                    bytes,
                    start: self.rx[d].frame_ts,
                    failed: truncated || parsed.is_err(),
                };
                if head.has(frame::END_HEADERS) {
                    self.block_done(dir, ts, p, out);
                } else {
                    self.pending[d] = Some(p);
                }
            }
            frame::CONTINUATION => {
                // A CONTINUATION without a pending block is a connection error (§6.10):
                // ignored.
                let Some(p) = self.pending[d].as_mut() else {
                    return;
                };
                p.block.extend_from_slice(payload);
                p.bytes += bytes;
                p.failed |= truncated;
                if head.has(frame::END_HEADERS) {
                    if let Some(p) = self.pending[d].take() {
                        self.block_done(dir, ts, p, out);
                    }
                }
            }
            frame::RST_STREAM if head.stream != 0 => {
                self.info.resets += 1;
                let code =
                    frame::rst_stream(payload).map_or_else(|_| "?".into(), frame::error_name);
                if let Some(mut s) = self.streams.remove(&head.stream) {
                    let from = if dir == C { "client" } else { "server" };
                    s.note(Why::Reset, format!("RST_STREAM {code} from the {from}"));
                    s.end_side(C, ts, false);
                    s.end_side(S, ts, false);
                    self.closed(ts);
                    out(s.into_exchange());
                }
            }
            frame::SETTINGS if head.stream == 0 => self.settings(dir, head, payload),
            frame::GOAWAY => {
                if let Ok((last, code)) = frame::goaway(payload) {
                    self.goaway(dir, ts, last, code, out);
                }
            }
            frame::WINDOW_UPDATE => {
                let Ok(inc) = frame::window_update(payload) else {
                    return;
                };
                let sender = dir.reverse();
                let inc = i64::from(inc);
                if head.stream == 0 {
                    let w = &mut self.conn_window[sender.index()];
                    *w = w.saturating_add(inc);
                } else if let Some(s) = self.streams.get_mut(&head.stream) {
                    let w = s.window(sender);
                    *w = w.saturating_add(inc);
                }
            }
            // PRIORITY (§6.3), PING (§6.7), frames on the wrong stream and unknown types
            // (§4.1: "MUST ignore and discard") carry nothing for the exchanges.
            _ => {}
        }
    }

    /// RFC 9113 §6.5 SETTINGS from `dir`.
    fn settings(&mut self, dir: Direction, head: FrameHead, payload: &[u8]) {
        let d = dir.index();
        if head.has(frame::ACK) {
            // The ACK in `dir` acknowledges the peer's SETTINGS (sent the other way); a
            // table size the peer announced bounds the blocks flowing in `dir`.
            let acked = self.unacked[dir.reverse().index()].pop_front().flatten();
            if let (Some(size), Some(dec)) = (acked, self.hpack[d].as_mut()) {
                dec.set_max_table_size(size as usize);
            }
            return;
        }
        let mut table = None;
        for (id, value) in frame::settings(payload) {
            let kept = &mut self.info.settings[d];
            if kept.len() < MAX_SETTINGS_KEPT {
                kept.push(format!("{}={value}", frame::setting_name(id)));
            }
            match id {
                frame::SETTINGS_HEADER_TABLE_SIZE => table = Some(value),
                frame::SETTINGS_INITIAL_WINDOW_SIZE => {
                    // §6.9.2: the sender toward the announcing side adjusts every stream
                    // window by the difference.
                    let sender = dir.reverse();
                    let value = i64::from(value);
                    let delta = value - self.initial_window[sender.index()];
                    self.initial_window[sender.index()] = value;
                    for s in self.streams.values_mut() {
                        let w = s.window(sender);
                        *w = w.saturating_add(delta);
                    }
                }
                _ => {}
            }
        }
        let q = &mut self.unacked[d];
        if q.len() == MAX_UNACKED {
            q.pop_front();
        }
        q.push_back(table);
    }

    /// RFC 9113 §6.8 GOAWAY from `dir`: streams initiated by the receiver above
    /// `last` "were not or will not be processed".
    fn goaway(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        last: u32,
        code: u32,
        out: &mut impl FnMut(Exchange),
    ) {
        self.info.goaway = Some(format!(
            "last_stream_id={last} error={}",
            frame::error_name(code)
        ));
        // The server's GOAWAY refuses client (odd) streams, the client's pushed (even) ones.
        let odd = dir == S;
        let refused: Vec<u32> = self
            .streams
            .range(last.saturating_add(1)..)
            .filter(|(id, s)| (*id % 2 == 1) == odd && !s.response_started())
            .map(|(id, _)| *id)
            .collect();
        for id in refused {
            if let Some(mut s) = self.streams.remove(&id) {
                s.lose_side(S, ts, Why::NoResponse, "refused by GOAWAY");
                s.end_side(C, ts, false);
                self.closed(ts);
                out(s.into_exchange());
            }
        }
    }

    /// A DATA frame header: body size and flow control (§6.9).
    fn data_start(&mut self, dir: Direction, ts: Timestamp, head: FrameHead) {
        let d = dir.index();
        if !self.streams.contains_key(&head.stream) {
            self.create(head.stream, ts);
        }
        let len = i64::from(head.len);
        self.conn_window[d] -= len;
        let conn_window = self.conn_window[d];
        let Some(s) = self.streams.get_mut(&head.stream) else {
            return;
        };
        s.data_frame(dir, head.len);
        let w = s.window(dir);
        *w -= len;
        if self.flow_known
            && len > 0
            && !head.has(frame::END_STREAM)
            && (conn_window <= 0 || *w <= 0)
        {
            self.info.flow_control_stalls += 1;
        }
    }

    /// A DATA frame's last octet.
    fn data_end(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        head: FrameHead,
        out: &mut impl FnMut(Exchange),
    ) {
        if head.has(frame::END_STREAM) {
            if let Some(s) = self.streams.get_mut(&head.stream) {
                s.end_side(dir, ts, true);
            }
            self.emit_if_closed(head.stream, ts, out);
        }
    }

    /// A header block is complete (END_HEADERS, or cut short): decodes it and hands it to
    /// its stream.
    fn block_done(
        &mut self,
        dir: Direction,
        ts: Timestamp,
        p: Pending,
        out: &mut impl FnMut(Exchange),
    ) {
        let d = dir.index();
        let mut note = None;
        let fields = match self.hpack[d].as_mut() {
            Some(dec) if !p.failed => {
                let limit = self.config.max_header_list;
                let mut fields = Vec::new();
                let mut size = 0usize;
                let mut cut = false;
                let result = dec.decode(&p.block, &mut |name: &[u8], value: &[u8]| {
                    size = size.saturating_add(name.len() + value.len() + 32);
                    if size > limit {
                        cut = true;
                        return;
                    }
                    fields.push(Header::new(
                        String::from_utf8_lossy(name),
                        String::from_utf8_lossy(value).trim_matches([' ', '\t']),
                    ));
                });
                if cut {
                    note = Some(Incomplete {
                        reason: Why::Malformed,
                        detail: format!("HTTP/2 header list exceeds {limit} octets; cut"),
                    });
                }
                match result {
                    Ok(()) => Some(fields),
                    Err(_) => {
                        self.hpack[d] = None;
                        self.info.header_errors += 1;
                        None
                    }
                }
            }
            _ => {
                self.hpack[d] = None;
                self.info.header_errors += 1;
                None
            }
        };
        let block = Block {
            fields,
            bytes: p.bytes,
            start: p.start,
            note,
        };
        if let Some(promised) = p.promised {
            // §8.4: the promised request; its response comes on the promised stream.
            if dir != S || promised == 0 || promised % 2 == 1 || promised <= self.highest[1] {
                return;
            }
            self.highest[1] = promised;
            let mut s = Stream::pushed(
                promised,
                self.initial_window,
                self.config.max_decoded_bytes,
                block,
            );
            s.order = u32::try_from(self.info.streams).unwrap_or(u32::MAX);
            self.streams.insert(promised, s);
            self.info.streams += 1;
            self.opened(ts);
            self.apply_losses(promised, ts);
            self.emit_if_closed(promised, ts, out);
            return;
        }
        if !self.streams.contains_key(&p.stream) {
            self.create(p.stream, ts);
        }
        if let Some(s) = self.streams.get_mut(&p.stream) {
            if !s.side_done(dir) {
                s.header_block(dir, block, p.end_stream);
                if p.end_stream {
                    s.end_side(dir, ts, true);
                }
            }
        }
        self.emit_if_closed(p.stream, ts, out);
    }

    // ---- streams ---------------------------------------------------------------------

    /// Opens stream `id` if it can be new: above the highest id of its kind, or (mid-
    /// connection) below the first id seen, i.e. opened before the capture.
    fn create(&mut self, id: u32, ts: Timestamp) {
        if id == 0 {
            return;
        }
        let k = usize::from(id.is_multiple_of(2));
        let fresh = id > self.highest[k];
        let before_capture = match self.floor.as_mut() {
            Some(floor) => {
                let first = *floor[k].get_or_insert(id);
                id < first
            }
            None => false,
        };
        if !fresh && !before_capture {
            return;
        }
        if fresh {
            self.highest[k] = id;
        }
        let mut s = Stream::new(id, self.initial_window, self.config.max_decoded_bytes);
        s.order = u32::try_from(self.info.streams).unwrap_or(u32::MAX);
        self.streams.insert(id, s);
        self.info.streams += 1;
        self.opened(ts);
        self.apply_losses(id, ts);
    }

    /// A stream opened after a direction was lost never sees that side.
    fn apply_losses(&mut self, id: u32, ts: Timestamp) {
        for dir in [C, S] {
            if let (Some(loss), Some(s)) = (&self.lost[dir.index()], self.streams.get_mut(&id)) {
                lose(s, dir, loss, ts);
            }
        }
    }

    /// `dir` can make no more progress: nothing more is read, its HPACK state is gone, and
    /// every unfinished message it carries is ended with the reason.
    fn stop(&mut self, dir: Direction, ts: Timestamp, loss: Loss, out: &mut impl FnMut(Exchange)) {
        let d = dir.index();
        self.rx[d].read = Read::Stopped;
        self.pending[d] = None;
        if matches!(loss, Loss::Gap) && self.hpack[d].is_some() {
            self.info.header_errors += 1;
        }
        self.hpack[d] = None;
        let ids: Vec<u32> = self.streams.keys().copied().collect();
        for id in ids {
            if let Some(s) = self.streams.get_mut(&id) {
                lose(s, dir, &loss, ts);
            }
            self.emit_if_closed(id, ts, out);
        }
        self.lost[d] = Some(loss);
    }

    fn emit_if_closed(&mut self, id: u32, ts: Timestamp, out: &mut impl FnMut(Exchange)) {
        if self
            .streams
            .get(&id)
            .is_some_and(|s| s.state == State::Closed)
        {
            if let Some(s) = self.streams.remove(&id) {
                self.closed(ts);
                out(s.into_exchange());
            }
        }
    }

    // ---- concurrency -----------------------------------------------------------------

    fn advance(&mut self, ts: Timestamp) {
        match self.last_ts {
            Some(last) if ts > last => {
                let dt = ts.since(last);
                if self.open > 0 {
                    self.area += u128::from(self.open) * u128::from(dt);
                    self.busy = self.busy.saturating_add(dt);
                }
                self.last_ts = Some(ts);
            }
            Some(_) => {}
            None => self.last_ts = Some(ts),
        }
    }

    fn opened(&mut self, ts: Timestamp) {
        self.advance(ts);
        self.open += 1;
        self.info.max_concurrent = self.info.max_concurrent.max(self.open);
    }

    fn closed(&mut self, ts: Timestamp) {
        self.advance(ts);
        self.open = self.open.saturating_sub(1);
    }

    // ---- mid-connection --------------------------------------------------------------

    /// Looks for a frame boundary in the held bytes: a plausible header whose successor is
    /// plausible too. Found: parsing resumes there. Otherwise bytes that cannot start one
    /// are dropped, keeping at most [`MAX_RESYNC`].
    fn resync(&mut self, dir: Direction, ts: Timestamp, out: &mut impl FnMut(Exchange)) {
        let d = dir.index();
        let buf = std::mem::take(&mut self.rx[d].resync);
        // By default keep the last octets, which may begin a frame header.
        let mut keep_from = buf.len().saturating_sub(HEADER_LEN - 1);
        let mut found = None;
        for p in 0..buf.len() {
            let Some(h) = header_at(&buf, p) else {
                keep_from = p;
                break;
            };
            if !FrameHead::plausible(&h) {
                continue;
            }
            let next = p + HEADER_LEN + FrameHead::parse(&h).len as usize;
            match header_at(&buf, next) {
                Some(n) if FrameHead::plausible(&n) => {
                    found = Some(p);
                    break;
                }
                Some(_) => continue,
                None => {
                    keep_from = p;
                    break;
                }
            }
        }
        if let Some(p) = found {
            self.rx[d].read = Read::Head;
            self.data(dir, ts, &buf[p..], out);
            let mut buf = buf;
            buf.clear();
            self.rx[d].resync = buf;
            return;
        }
        let mut buf = buf;
        buf.drain(..keep_from.min(buf.len()));
        if buf.len() > MAX_RESYNC {
            let excess = buf.len() - MAX_RESYNC;
            buf.drain(..excess);
        }
        self.rx[d].resync = buf;
    }
}

fn header_at(buf: &[u8], at: usize) -> Option<[u8; HEADER_LEN]> {
    buf.get(at..at.checked_add(HEADER_LEN)?)?.try_into().ok()
}

/// Ends `dir`'s side of `s` for `loss`.
fn lose(s: &mut Stream, dir: Direction, loss: &Loss, ts: Timestamp) {
    let (why, detail) = match (loss, dir) {
        (Loss::Gap, C) => (Why::RequestGap, "HTTP/2 frames lost after a gap"),
        (Loss::Gap, S) => (Why::ResponseGap, "HTTP/2 frames lost after a gap"),
        (Loss::Ended, C) => (
            Why::RequestTruncated,
            "the connection ended before the HTTP/2 request was complete",
        ),
        (Loss::Ended, S) if s.response_started() => (
            Why::ResponseTruncated,
            "the connection ended before the HTTP/2 response was complete",
        ),
        (Loss::Ended, S) => (Why::NoResponse, "the connection ended before a response"),
        (Loss::Malformed(detail), _) => (Why::Malformed, detail.as_str()),
    };
    s.lose_side(dir, ts, why, detail);
}
