//! Per-connection analysis: protocol recognition and HTTP/1.x transactions.
//!
//! Each TCP connection starts in the *detecting* state. When the capture holds the start of
//! the stream (handshake seen, no gap before the first byte), the first bytes decide at once
//! (a request line, a status line, or not HTTP). When it does not (a capture that began
//! mid-connection, or lost the first bytes), the first [`DETECT_LIMIT`] bytes of each
//! direction are searched for a line that starts an HTTP message; the HTTP parser then
//! resynchronises on its own. Until the decision, events are kept (bounded) and replayed in
//! their original order to the parser, so the pairing of requests and responses and the
//! timestamps are as if the parser had seen them live.
//!
//! Content also fixes the roles: the side that sends requests is the client, whatever the
//! TCP layer guessed for a connection without a handshake.

use crate::timings;
use flow::FlowEvent;
use http::{Detection, Exchange, Http1Config, Http1Connection, Start};
use model::{ConnectionId, Direction, Handshake, HttpStats, Request, Timestamp, Transaction};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::SocketAddr;

/// Bytes of one direction examined (and kept) while looking for the first HTTP message of a
/// connection whose start is not in the capture.
pub(crate) const DETECT_LIMIT: usize = 64 * 1024;

/// Every open connection, by id.
pub(crate) struct Connections {
    map: HashMap<ConnectionId, Conn, BuildHasherDefault<IdHasher>>,
    config: Http1Config,
    next_transaction: u64,
}

/// What is known about a connection apart from its protocol state.
struct Meta {
    id: ConnectionId,
    client: SocketAddr,
    server: SocketAddr,
    handshake_seen: bool,
    handshake: Handshake,
    /// Content showed that the TCP layer's client is in fact the server.
    swapped: bool,
    /// Exchanges emitted so far on this connection.
    position: u32,
}

struct Conn {
    meta: Meta,
    state: State,
}

enum State {
    Detecting(Box<Detector>),
    Http(Box<Http1Connection>),
    /// Not HTTP/1.x (or a protocol httpscope does not analyse yet): ignored.
    Other,
}

/// Events held back while the protocol is unknown.
///
/// A direction is *anchored* once its held bytes begin at a known place: the start of the
/// stream (`clean`), or a message start found by seeking. Bytes of a direction that is not
/// anchored are searched as they come, keeping only the last partial line, and are
/// otherwise dropped (counted as skipped if the connection turns out to be HTTP) — exactly
/// what the HTTP parser's own resynchronisation would do with them.
#[derive(Default)]
struct Detector {
    /// Held bytes of each direction, from its anchor.
    bytes: [Vec<u8>; 2],
    /// Whether each direction's first byte is the first byte of its stream.
    clean: [bool; 2],
    /// The search for a message start in directions that are not anchored.
    seeking: [Seeking; 2],
    /// Every event since the anchors, in order, for replay.
    held: Vec<Held>,
}

/// The state of a search for a message start in one direction.
struct Seeking {
    /// The last partial line, when it may be the beginning of a start line.
    carry: Vec<u8>,
    /// When `carry`'s first byte was captured.
    carry_ts: Timestamp,
    /// Whether the next byte begins a line (first byte seen, or after a line feed or a gap).
    line_start: bool,
    /// Bytes looked at and dropped.
    skipped: u64,
}

impl Default for Seeking {
    fn default() -> Self {
        Seeking {
            carry: Vec::new(),
            carry_ts: Timestamp::default(),
            line_start: true,
            skipped: 0,
        }
    }
}

impl Seeking {
    /// After a hole the next byte may begin a message.
    fn restart(&mut self) {
        self.skipped += self.carry.len() as u64;
        self.carry.clear();
        self.line_start = true;
    }
}

enum Held {
    Data(Direction, Timestamp, std::ops::Range<usize>),
    Gap(Direction, Timestamp, u64),
    End(Direction, Timestamp, bool),
}

/// What the bytes seen so far say.
enum Verdict {
    /// HTTP, with the direction that carries requests.
    Http {
        requests: Direction,
    },
    NotHttp,
    Undecided,
}

impl Connections {
    pub(crate) fn new(config: Http1Config) -> Connections {
        Connections {
            map: HashMap::default(),
            config,
            next_transaction: 1,
        }
    }

    /// Handles one reassembly event, emitting transactions through `out`.
    pub(crate) fn event(
        &mut self,
        ev: FlowEvent<'_>,
        stats: &mut HttpStats,
        out: &mut impl FnMut(Transaction),
    ) {
        let next = &mut self.next_transaction;
        match ev {
            FlowEvent::Open {
                conn,
                client,
                server,
                ts: _,
                handshake_seen,
            } => {
                let meta = Meta {
                    id: conn,
                    client,
                    server,
                    handshake_seen,
                    handshake: Handshake::default(),
                    swapped: false,
                    position: 0,
                };
                let detector = Detector {
                    clean: [handshake_seen; 2],
                    ..Detector::default()
                };
                self.map.insert(
                    conn,
                    Conn {
                        meta,
                        state: State::Detecting(Box::new(detector)),
                    },
                );
            }
            FlowEvent::Handshake { conn, handshake } => {
                if let Some(c) = self.map.get_mut(&conn) {
                    c.meta.handshake = handshake;
                }
            }
            FlowEvent::Data {
                conn,
                dir,
                ts,
                offset,
                data,
            } => {
                let Some(c) = self.map.get_mut(&conn) else {
                    return;
                };
                match &mut c.state {
                    State::Http(p) => {
                        let meta = &mut c.meta;
                        let dir = if meta.swapped { dir.reverse() } else { dir };
                        p.data(dir, ts, data, &mut |ex| emit(meta, ex, next, stats, out));
                    }
                    State::Other => {}
                    State::Detecting(d) => {
                        let i = dir.index();
                        if d.bytes[i].is_empty() && offset != 0 {
                            d.clean[i] = false;
                        }
                        // Fast path: the stream's first bytes, whole in this chunk.
                        if d.held.is_empty() && d.clean[i] && d.bytes[i].is_empty() {
                            match http::detect(data) {
                                found @ (Detection::Request | Detection::Response) => {
                                    let requests = if matches!(found, Detection::Request) {
                                        dir
                                    } else {
                                        dir.reverse()
                                    };
                                    let mut p =
                                        start_http(&self.config, &mut c.meta, requests, stats);
                                    let meta = &mut c.meta;
                                    let dir = if meta.swapped { dir.reverse() } else { dir };
                                    p.data(dir, ts, data, &mut |ex| {
                                        emit(meta, ex, next, stats, out)
                                    });
                                    c.state = State::Http(p);
                                    return;
                                }
                                Detection::NotHttp => {
                                    stats.other_connections += 1;
                                    c.state = State::Other;
                                    return;
                                }
                                Detection::NeedMore => {}
                            }
                        }
                        if d.clean[i] || !d.bytes[i].is_empty() {
                            d.hold(dir, ts, data);
                        } else {
                            d.seek(dir, ts, data);
                        }
                        self.decide(conn, stats, out);
                    }
                }
            }
            FlowEvent::Gap {
                conn,
                dir,
                ts,
                offset: _,
                len,
            } => {
                let Some(c) = self.map.get_mut(&conn) else {
                    return;
                };
                match &mut c.state {
                    State::Http(p) => {
                        let meta = &mut c.meta;
                        let dir = if meta.swapped { dir.reverse() } else { dir };
                        p.gap(dir, ts, len, &mut |ex| emit(meta, ex, next, stats, out));
                    }
                    State::Other => {}
                    State::Detecting(d) => {
                        let i = dir.index();
                        if d.bytes[i].is_empty() {
                            // Nothing anchored yet: look for a message start after the hole.
                            d.clean[i] = false;
                            d.seeking[i].restart();
                        } else {
                            d.hold_gap(dir, ts, len);
                        }
                    }
                }
            }
            FlowEvent::End {
                conn,
                dir,
                ts,
                reset,
            } => {
                let Some(c) = self.map.get_mut(&conn) else {
                    return;
                };
                match &mut c.state {
                    State::Http(p) => {
                        let meta = &mut c.meta;
                        let dir = if meta.swapped { dir.reverse() } else { dir };
                        p.end(dir, ts, reset, &mut |ex| emit(meta, ex, next, stats, out));
                    }
                    State::Other => {}
                    State::Detecting(d) => d.held.push(Held::End(dir, ts, reset)),
                }
            }
            FlowEvent::Close { conn, ts } => {
                let Some(mut c) = self.map.remove(&conn) else {
                    return;
                };
                match &mut c.state {
                    State::Http(p) => {
                        let meta = &mut c.meta;
                        p.finish(ts, &mut |ex| emit(meta, ex, next, stats, out));
                        let ps = p.stats();
                        stats.resyncs += ps.resyncs;
                        stats.skipped_bytes += ps.skipped_bytes;
                    }
                    State::Other => {}
                    State::Detecting(d) => {
                        let seen = d.bytes.iter().any(|b| !b.is_empty())
                            || d.seeking
                                .iter()
                                .any(|s| s.skipped > 0 || !s.carry.is_empty());
                        if seen {
                            stats.other_connections += 1;
                        }
                    }
                }
            }
        }
    }

    /// Looks at the held bytes of connection `id`; once the protocol is known, replays the
    /// held events into the parser (or drops them).
    fn decide(
        &mut self,
        id: ConnectionId,
        stats: &mut HttpStats,
        out: &mut impl FnMut(Transaction),
    ) {
        let Some(c) = self.map.get_mut(&id) else {
            return;
        };
        let State::Detecting(d) = &c.state else {
            return;
        };
        match d.verdict() {
            Verdict::Undecided => {}
            Verdict::NotHttp => {
                stats.other_connections += 1;
                c.state = State::Other;
            }
            Verdict::Http { requests } => {
                let mut p = start_http(&self.config, &mut c.meta, requests, stats);
                let State::Detecting(mut d) = std::mem::replace(&mut c.state, State::Other) else {
                    return;
                };
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    let seeking = &mut d.seeking[dir.index()];
                    if seeking.skipped > 0 {
                        stats.resyncs += 1;
                        stats.skipped_bytes += seeking.skipped;
                    }
                    // A partial line that may start a message: the parser goes on from it.
                    if !seeking.carry.is_empty() {
                        let carry = std::mem::take(&mut seeking.carry);
                        let ts = seeking.carry_ts;
                        d.hold(dir, ts, &carry);
                    }
                }
                let meta = &mut c.meta;
                let next = &mut self.next_transaction;
                let swapped = meta.swapped;
                let map_dir = |dir: Direction| if swapped { dir.reverse() } else { dir };
                for held in d.held {
                    let emit_to = &mut |ex| emit(meta, ex, next, stats, out);
                    match held {
                        Held::Data(dir, ts, range) => {
                            if let Some(bytes) = d.bytes[dir.index()].get(range) {
                                p.data(map_dir(dir), ts, bytes, emit_to);
                            }
                        }
                        Held::Gap(dir, ts, len) => p.gap(map_dir(dir), ts, len, emit_to),
                        Held::End(dir, ts, reset) => p.end(map_dir(dir), ts, reset, emit_to),
                    }
                }
                c.state = State::Http(p);
            }
        }
    }
}

/// Creates the HTTP parser for a connection whose requests travel in `requests` (a
/// direction as the TCP layer named it).
fn start_http(
    config: &Http1Config,
    meta: &mut Meta,
    requests: Direction,
    stats: &mut HttpStats,
) -> Box<Http1Connection> {
    meta.swapped = requests == Direction::ServerToClient;
    stats.connections += 1;
    Box::new(Http1Connection::new(config.clone()))
}

impl Detector {
    /// HTTP as soon as either direction shows a message start. Not HTTP when a direction
    /// whose first bytes are known shows something else, or when both directions have
    /// [`DETECT_LIMIT`] bytes without a message start. Otherwise wait: a capture that begins
    /// in the middle of a long response may show the next request only much later.
    fn verdict(&self) -> Verdict {
        let mut waiting = false;
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let i = dir.index();
            let bytes = &self.bytes[i];
            if bytes.is_empty() {
                // Not anchored: give up only after DETECT_LIMIT bytes without a message start.
                waiting |= self.seeking[i].skipped < DETECT_LIMIT as u64;
                continue;
            }
            match http::detect(bytes) {
                Detection::Request => return Verdict::Http { requests: dir },
                Detection::Response => {
                    return Verdict::Http {
                        requests: dir.reverse(),
                    }
                }
                Detection::NotHttp => return Verdict::NotHttp,
                Detection::NeedMore => waiting |= bytes.len() < DETECT_LIMIT,
            }
        }
        if waiting {
            Verdict::Undecided
        } else {
            Verdict::NotHttp
        }
    }

    /// Holds `data` of `dir`: its bytes up to [`DETECT_LIMIT`], and the rest as a gap, so a
    /// parser started later knows bytes were skipped.
    fn hold(&mut self, dir: Direction, ts: Timestamp, data: &[u8]) {
        let buf = &mut self.bytes[dir.index()];
        let take = data.len().min(DETECT_LIMIT.saturating_sub(buf.len()));
        if take > 0 {
            let range = buf.len()..buf.len() + take;
            buf.extend_from_slice(&data[..take]);
            self.held.push(Held::Data(dir, ts, range));
        }
        let rest = (data.len() - take) as u64;
        if rest > 0 {
            self.hold_gap(dir, ts, rest);
        }
    }

    /// Searches `data` of a direction that is not anchored for a message start; anchors the
    /// direction there when found.
    fn seek(&mut self, dir: Direction, ts: Timestamp, data: &[u8]) {
        let i = dir.index();
        let s = &mut self.seeking[i];
        let joined;
        let (bytes, first_ts) = if s.carry.is_empty() {
            (data, ts)
        } else {
            s.carry.extend_from_slice(data);
            joined = std::mem::take(&mut s.carry);
            (joined.as_slice(), s.carry_ts)
        };
        let carried = bytes.len() - data.len();
        match http::find_start(bytes, s.line_start) {
            Start::Request(at) | Start::Response(at) => {
                s.skipped += at as u64;
                s.line_start = true;
                let at_ts = if at < carried { first_ts } else { ts };
                self.hold(dir, at_ts, bytes.get(at..).unwrap_or_default());
            }
            Start::Partial(at) => {
                s.skipped += at as u64;
                s.carry_ts = if at < carried { first_ts } else { ts };
                s.carry = bytes.get(at..).unwrap_or_default().to_vec();
            }
            Start::Nothing => {
                s.skipped += bytes.len() as u64;
                s.line_start = bytes.last() == Some(&b'\n');
            }
        }
    }

    /// Holds a gap, merged with a directly preceding gap of the same direction so that a long
    /// wait stays bounded in memory.
    fn hold_gap(&mut self, dir: Direction, ts: Timestamp, len: u64) {
        if let Some(Held::Gap(d, _, n)) = self.held.last_mut() {
            if *d == dir {
                *n += len;
                return;
            }
        }
        self.held.push(Held::Gap(dir, ts, len));
    }
}

/// Turns a completed exchange into a transaction with connection facts and timings.
fn emit(
    meta: &mut Meta,
    ex: Exchange,
    next: &mut u64,
    stats: &mut HttpStats,
    out: &mut impl FnMut(Transaction),
) {
    let position = meta.position;
    meta.position = meta.position.saturating_add(1);
    let (client, server) = if meta.swapped {
        (meta.server, meta.client)
    } else {
        (meta.client, meta.server)
    };
    let handshake = (position == 0 && meta.handshake_seen).then_some(&meta.handshake);
    let (start, timings) = timings::compute(&ex.times, handshake);
    let protocol = ex
        .request
        .as_ref()
        .map(|r| r.version.clone())
        .or_else(|| ex.response.as_ref().map(|r| r.version.clone()))
        .unwrap_or_default();
    let url = ex
        .request
        .as_ref()
        .map_or_else(String::new, |r| url(r, server));
    stats.transactions += 1;
    if !ex.incomplete.is_empty() {
        stats.incomplete += 1;
    }
    if ex.tunnel.is_some() {
        stats.tunnels += 1;
    }
    let id = *next;
    *next += 1;
    out(Transaction {
        id,
        connection: meta.id,
        client,
        server,
        position,
        start,
        protocol,
        url,
        request: ex.request,
        response: ex.response,
        times: ex.times,
        timings,
        tunnel: ex.tunnel,
        incomplete: ex.incomplete,
    });
}

/// The URL a request was for: absolute targets as sent; origin-form targets joined to the
/// Host header (or the server address when there is none); CONNECT's authority as sent.
pub(crate) fn url(request: &Request, server: SocketAddr) -> String {
    let target = request.target.as_str();
    if request.method.eq_ignore_ascii_case("CONNECT") {
        return target.to_owned();
    }
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return target.to_owned();
    }
    let host = model::header_value(&request.headers, "host")
        .filter(|h| !h.is_empty())
        .map_or_else(|| server.to_string(), str::to_owned);
    if target == "*" {
        format!("http://{host}")
    } else if target.starts_with('/') {
        format!("http://{host}{target}")
    } else {
        format!("http://{host}/{target}")
    }
}

/// A hasher for the engine's own sequential connection ids: one multiply, no SipHash.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Header;

    fn req(method: &str, target: &str, host: Option<&str>) -> Request {
        Request {
            method: method.into(),
            target: target.into(),
            version: "HTTP/1.1".into(),
            headers: host
                .map(|h| vec![Header::new("Host", h)])
                .unwrap_or_default(),
            ..Request::default()
        }
    }

    #[test]
    fn url_forms() {
        let server: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(
            url(&req("GET", "/a?b=1", Some("example.com")), server),
            "http://example.com/a?b=1"
        );
        assert_eq!(
            url(&req("GET", "/x", None), server),
            "http://127.0.0.1:8080/x"
        );
        assert_eq!(url(&req("GET", "/x", None), v6), "http://[::1]:80/x");
        assert_eq!(
            url(&req("GET", "http://proxy.test/p", Some("h")), server),
            "http://proxy.test/p"
        );
        assert_eq!(
            url(
                &req("CONNECT", "example.com:443", Some("example.com:443")),
                server
            ),
            "example.com:443"
        );
        assert_eq!(url(&req("OPTIONS", "*", Some("h")), server), "http://h");
    }

    #[test]
    fn id_hasher_spreads_sequential_ids() {
        let h = |n: u64| {
            let mut s = IdHasher::default();
            s.write_u64(n);
            s.finish()
        };
        assert_ne!(h(1) >> 57, h(2) >> 57);
    }
}
