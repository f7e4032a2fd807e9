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
use http::{Detection, Exchange, Http1Config, Http1Connection};
use model::{
    ConnectionId, Direction, Handshake, HttpStats, Request, Timestamp, Transaction,
};
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
#[derive(Default)]
struct Detector {
    /// Bytes of each direction, for searching.
    bytes: [Vec<u8>; 2],
    /// Whether each direction's buffered bytes start at the beginning of its stream.
    clean: [bool; 2],
    /// Every event so far, in order, for replay.
    held: Vec<Held>,
}

enum Held {
    Data(Direction, Timestamp, std::ops::Range<usize>),
    Gap(Direction, Timestamp, u64),
    End(Direction, Timestamp, bool),
}

/// What the bytes seen so far say.
enum Verdict {
    /// HTTP, with the direction that carries requests.
    Http { requests: Direction },
    NotHttp,
    Undecided,
}

impl Connections {
    pub(crate) fn new(config: Http1Config) -> Connections {
        Connections { map: HashMap::default(), config, next_transaction: 1 }
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
            FlowEvent::Open { conn, client, server, ts: _, handshake_seen } => {
                let meta = Meta {
                    id: conn,
                    client,
                    server,
                    handshake_seen,
                    handshake: Handshake::default(),
                    swapped: false,
                    position: 0,
                };
                let detector = Detector { clean: [handshake_seen; 2], ..Detector::default() };
                self.map.insert(conn, Conn { meta, state: State::Detecting(Box::new(detector)) });
            }
            FlowEvent::Handshake { conn, handshake } => {
                if let Some(c) = self.map.get_mut(&conn) {
                    c.meta.handshake = handshake;
                }
            }
            FlowEvent::Data { conn, dir, ts, offset, data } => {
                let Some(c) = self.map.get_mut(&conn) else { return };
                match &mut c.state {
                    State::Http(p) => {
                        let meta = &mut c.meta;
                        let dir = if meta.swapped { dir.reverse() } else { dir };
                        p.data(dir, ts, data, &mut |ex| emit(meta, ex, next, stats, out));
                    }
                    State::Other => {}
                    State::Detecting(d) => {
                        if offset != 0 || !d.bytes[dir.index()].is_empty() {
                            d.clean[dir.index()] &= offset as usize == d.bytes[dir.index()].len();
                        }
                        // Fast path: the stream's first bytes, whole in this chunk.
                        if d.held.is_empty() && d.clean[dir.index()] {
                            match http::detect(data) {
                                found @ (Detection::Request | Detection::Response) => {
                                    let requests = if matches!(found, Detection::Request) {
                                        dir
                                    } else {
                                        dir.reverse()
                                    };
                                    let mut p = self.start_http(&mut c.meta, requests, stats);
                                    let meta = &mut c.meta;
                                    let dir = if meta.swapped { dir.reverse() } else { dir };
                                    p.data(dir, ts, data, &mut |ex| emit(meta, ex, next, stats, out));
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
                        let buf = &mut d.bytes[dir.index()];
                        let room = DETECT_LIMIT.saturating_sub(buf.len());
                        let take = &data[..data.len().min(room)];
                        let range = buf.len()..buf.len() + take.len();
                        buf.extend_from_slice(take);
                        d.held.push(Held::Data(dir, ts, range));
                        self.decide(conn, stats, out);
                    }
                }
            }
            FlowEvent::Gap { conn, dir, ts, offset: _, len } => {
                let Some(c) = self.map.get_mut(&conn) else { return };
                match &mut c.state {
                    State::Http(p) => {
                        let meta = &mut c.meta;
                        let dir = if meta.swapped { dir.reverse() } else { dir };
                        p.gap(dir, ts, len, &mut |ex| emit(meta, ex, next, stats, out));
                    }
                    State::Other => {}
                    State::Detecting(d) => {
                        if d.bytes[dir.index()].is_empty() {
                            d.clean[dir.index()] = false;
                        }
                        d.held.push(Held::Gap(dir, ts, len));
                    }
                }
            }
            FlowEvent::End { conn, dir, ts, reset } => {
                let Some(c) = self.map.get_mut(&conn) else { return };
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
                let Some(mut c) = self.map.remove(&conn) else { return };
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
                        if d.bytes.iter().any(|b| !b.is_empty()) {
                            stats.other_connections += 1;
                        }
                    }
                }
            }
        }
    }

    /// Creates the HTTP parser for a connection whose requests travel in `requests` (a
    /// direction as the TCP layer named it).
    fn start_http(
        &self,
        meta: &mut Meta,
        requests: Direction,
        stats: &mut HttpStats,
    ) -> Box<Http1Connection> {
        meta.swapped = requests == Direction::ServerToClient;
        stats.connections += 1;
        Box::new(Http1Connection::new(self.config.clone()))
    }

    /// Looks at the held bytes of connection `id`; once the protocol is known, replays the
    /// held events into the parser (or drops them).
    fn decide(&mut self, id: ConnectionId, stats: &mut HttpStats, out: &mut impl FnMut(Transaction)) {
        let Some(c) = self.map.get_mut(&id) else { return };
        let State::Detecting(d) = &c.state else { return };
        match d.verdict() {
            Verdict::Undecided => {}
            Verdict::NotHttp => {
                stats.other_connections += 1;
                c.state = State::Other;
            }
            Verdict::Http { requests } => {
                let mut p = self.start_http(&mut c.meta, requests, stats);
                let State::Detecting(d) = std::mem::replace(&mut c.state, State::Other) else {
                    return;
                };
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

impl Detector {
    fn verdict(&self) -> Verdict {
        let mut undecided = false;
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let bytes = &self.bytes[dir.index()];
            if bytes.is_empty() {
                continue;
            }
            let found = if self.clean[dir.index()] {
                http::detect(bytes)
            } else {
                search(bytes)
            };
            match found {
                Detection::Request => return Verdict::Http { requests: dir },
                Detection::Response => return Verdict::Http { requests: dir.reverse() },
                Detection::NeedMore if bytes.len() < DETECT_LIMIT => undecided = true,
                Detection::NeedMore | Detection::NotHttp => {}
            }
        }
        if undecided || self.bytes.iter().all(|b| b.is_empty()) {
            Verdict::Undecided
        } else {
            Verdict::NotHttp
        }
    }
}

/// Searches bytes that may begin in the middle of a message for the start of one: at the
/// first byte or right after a line feed. `NeedMore` while the last candidate is a prefix.
fn search(bytes: &[u8]) -> Detection {
    let mut at = 0;
    let mut need_more = false;
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        match http::detect(rest) {
            found @ (Detection::Request | Detection::Response) => return found,
            Detection::NeedMore => need_more = true,
            Detection::NotHttp => {}
        }
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => at += i + 1,
            None => break,
        }
    }
    if need_more {
        Detection::NeedMore
    } else {
        Detection::NotHttp
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
    let (client, server) =
        if meta.swapped { (meta.server, meta.client) } else { (meta.client, meta.server) };
    let handshake = (position == 0 && meta.handshake_seen).then_some(&meta.handshake);
    let (start, timings) = timings::compute(&ex.times, handshake);
    let protocol = ex
        .request
        .as_ref()
        .map(|r| r.version.clone())
        .or_else(|| ex.response.as_ref().map(|r| r.version.clone()))
        .unwrap_or_default();
    let url = ex.request.as_ref().map_or_else(String::new, |r| url(r, server));
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
            headers: host.map(|h| vec![Header::new("Host", h)]).unwrap_or_default(),
            ..Request::default()
        }
    }

    #[test]
    fn url_forms() {
        let server: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(url(&req("GET", "/a?b=1", Some("example.com")), server), "http://example.com/a?b=1");
        assert_eq!(url(&req("GET", "/x", None), server), "http://127.0.0.1:8080/x");
        assert_eq!(url(&req("GET", "/x", None), v6), "http://[::1]:80/x");
        assert_eq!(url(&req("GET", "http://proxy.test/p", Some("h")), server), "http://proxy.test/p");
        assert_eq!(url(&req("CONNECT", "example.com:443", Some("example.com:443")), server), "example.com:443");
        assert_eq!(url(&req("OPTIONS", "*", Some("h")), server), "http://h");
    }

    #[test]
    fn search_finds_message_start_after_partial_body() {
        assert!(matches!(search(b"tail of a body\r\nHTTP/1.1 200 OK\r\n"), Detection::Response));
        assert!(matches!(search(b"xx\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), Detection::Request));
        assert!(matches!(search(b"\x16\x03\x01\x02\x00binary"), Detection::NotHttp));
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
