//! Per-connection analysis: protocol recognition, TLS, and HTTP/1.x transactions.
//!
//! A connection is a stack: an optional TLS layer under an application layer. The
//! application layer starts in the *detecting* state:
//! - When the capture holds the start of the stream (handshake seen, no gap before the
//!   first byte), the first bytes decide at once: a TLS ClientHello from the client (then a
//!   TLS layer is pushed and detection starts again on the decrypted streams), a request
//!   line, a status line, or something else.
//! - When it does not (a capture that began mid-connection, or lost the first bytes), each
//!   direction is searched for a message start with the parser's own resynchronisation rules
//!   ([`http::find_start`]); bytes before it are dropped and counted as skipped, as the
//!   parser would. A connection is given up as not HTTP once [`DETECT_LIMIT`] bytes of
//!   each direction showed no message start.
//!
//! Until the decision, events are held (bounded) and replayed in their original order, so
//! the pairing of requests and responses and the timestamps are as if the parser had seen
//! them live. Content also fixes the roles: the side that sends requests is the client,
//! whatever the TCP layer guessed for a connection without a handshake.
//!
//! Transactions of a TLS connection are completed after the TLS layer returns, so that they
//! carry the session's facts and the `ssl` phase.
//!
//! A connection that carried no request still yields a transaction when it shows a failed
//! attempt: a SYN refused or never answered ([`failed_attempt`]), or a TLS handshake that did
//! not complete ([`tls_failure`]).

use crate::failed_lookups::{self, FailedLookups};
use crate::links::{Lookups, Redirects};
use crate::timings;
use crate::Event;
use flow::FlowEvent;
use http::h2::{H2Config, H2Connection};
use http::{Detection, Exchange, Http1Config, Http1Connection, Start};
use model::{
    ConnectionId, ConnectionRecord, Decryption, Direction, DnsLookup, Handshake, HttpStats,
    IncompleteReason, Request, Timestamp, TlsStats, Transaction,
};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::SocketAddr;
use tls::{KeyLog, TlsConnection, TlsEvent};

/// A DNS query unanswered this long is a timeout.
const DNS_TIMEOUT: u64 = 5_000_000_000;

/// Bytes of one direction examined while looking for the first HTTP message of a
/// connection whose start is not in the capture.
pub(crate) const DETECT_LIMIT: usize = 64 * 1024;

/// Every open connection, by id, and what the layers share.
pub(crate) struct Connections {
    map: HashMap<ConnectionId, Conn, BuildHasherDefault<IdHasher>>,
    shared: Shared,
}

/// What every connection's layers use: limits, numbering, and outputs in progress.
struct Shared {
    config: Http1Config,
    next_transaction: u64,
    /// Transactions of a TLS connection completed during the current TLS call.
    held: Vec<Transaction>,
    /// Client randoms of TLS sessions seen since the last [`Connections::take_sessions`].
    new_sessions: Vec<[u8; 32]>,
    /// DNS queries and answers, over UDP (from the engine) and TCP (from connections).
    dns: dns::Tracker,
    /// Answered lookups, for linking connections to them.
    lookups: Lookups,
    /// Failed lookups waiting to be told apart from ones a later answer made moot.
    failed_lookups: FailedLookups,
    /// Redirects waiting for the request that follows them.
    redirects: Redirects,
}

/// Counters the connection layer fills.
#[derive(Default)]
pub(crate) struct ConnStats {
    pub(crate) http: HttpStats,
    pub(crate) tls: TlsStats,
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
    /// Carried in TLS.
    secure: bool,
    first_ts: Timestamp,
    last_ts: Timestamp,
    /// TCP payload bytes in each direction (as the TCP layer named them).
    bytes: [u64; 2],
    /// The lookup that gave the server's address, if one was seen.
    dns: Option<DnsLookup>,
    /// An HTTP/1.1 request upgraded to h2c: it continues as HTTP/2 stream 1.
    upgrade: Option<(Request, Timestamp)>,
    /// The connection was reset.
    reset: bool,
    /// The first FIN or RST: who sent it, when, and whether it was a reset.
    ended: Option<(Direction, Timestamp, bool)>,
}

impl Meta {
    /// (client, server) as content showed them.
    fn roles(&self) -> (SocketAddr, SocketAddr) {
        if self.swapped {
            (self.server, self.client)
        } else {
            (self.client, self.server)
        }
    }

    /// The direction as the HTTP parser knows it (requests travel client→server).
    fn parser_dir(&self, dir: Direction) -> Direction {
        if self.swapped {
            dir.reverse()
        } else {
            dir
        }
    }
}

struct Conn {
    meta: Meta,
    tls: Option<Box<TlsLayer>>,
    app: State,
}

struct TlsLayer {
    session: TlsConnection,
    /// The session's client random was reported for secrets export.
    reported: bool,
}

enum State {
    Detecting(Box<Detector>),
    Http(Box<Http1Connection>),
    H2(Box<H2Connection>),
    /// DNS over TCP: messages framed by their length, one framer per direction.
    Dns(Box<[dns::TcpFramer; 2]>),
    /// Not HTTP/1.x (or a protocol httpscope does not analyse yet): ignored.
    Other,
}

/// What the application layer's events go through: shared state, counters, and the way out.
struct Cx<'a, F: FnMut(Event)> {
    shared: &'a mut Shared,
    stats: &'a mut HttpStats,
    out: &'a mut F,
}

/// Events held back while the protocol is unknown.
///
/// A direction is *anchored* once its held bytes begin at a known place: the start of the
/// stream (`clean`), or a message start found by seeking. Bytes of a direction that is not
/// anchored are searched as they come, keeping only the last partial line.
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
    /// TLS: a ClientHello from the client.
    Tls,
    /// HTTP/2 with prior knowledge: the connection preface from the client.
    H2,
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
            shared: Shared {
                config,
                next_transaction: 1,
                held: Vec::new(),
                new_sessions: Vec::new(),
                dns: dns::Tracker::new(DNS_TIMEOUT),
                lookups: Lookups::default(),
                failed_lookups: FailedLookups::new(DNS_TIMEOUT),
                redirects: Redirects::default(),
            },
        }
    }

    /// A DNS message carried by UDP.
    pub(crate) fn dns_message<F: FnMut(Event)>(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        out: &mut F,
    ) {
        let shared = &mut self.shared;
        shared.dns.message(ts, src, dst, payload, &mut |l| {
            lookup_done(&mut shared.lookups, &mut shared.failed_lookups, out, l)
        });
    }

    /// Failed lookups decided by `now` (all of them at the end of the capture, `None`) go out
    /// as transactions.
    pub(crate) fn failed_lookups<F: FnMut(Event)>(
        &mut self,
        now: Option<Timestamp>,
        stats: &mut HttpStats,
        out: &mut F,
    ) {
        let shared = &mut self.shared;
        for group in shared.failed_lookups.due(now) {
            if let Some(t) = failed_lookups::transaction(shared.next_transaction, group) {
                shared.next_transaction += 1;
                stats.transactions += 1;
                stats.incomplete += 1;
                out(Event::Transaction(Box::new(t)));
            }
        }
    }

    /// Time passes: DNS queries unanswered for too long become timeouts.
    pub(crate) fn advance_dns<F: FnMut(Event)>(&mut self, now: Timestamp, out: &mut F) {
        let shared = &mut self.shared;
        shared.dns.advance(now, &mut |l| {
            lookup_done(&mut shared.lookups, &mut shared.failed_lookups, out, l)
        });
    }

    /// End of input for DNS: pending queries are reported; returns the DNS counters.
    pub(crate) fn finish_dns<F: FnMut(Event)>(&mut self, out: &mut F) -> model::DnsStats {
        let shared = &mut self.shared;
        shared
            .dns
            .finish(&mut |l| lookup_done(&mut shared.lookups, &mut shared.failed_lookups, out, l));
        shared.dns.stats()
    }

    /// Client randoms of TLS sessions seen since the last call.
    pub(crate) fn take_sessions(&mut self) -> Vec<[u8; 32]> {
        std::mem::take(&mut self.shared.new_sessions)
    }

    /// Handles one reassembly event.
    pub(crate) fn event<F: FnMut(Event)>(
        &mut self,
        ev: FlowEvent<'_>,
        keys: &KeyLog,
        stats: &mut ConnStats,
        out: &mut F,
    ) {
        match ev {
            FlowEvent::Open {
                conn,
                client,
                server,
                ts,
                handshake_seen,
            } => {
                let dns = handshake_seen
                    .then(|| {
                        self.shared
                            .lookups
                            .find(client.ip(), server.ip(), ts)
                            .cloned()
                    })
                    .flatten();
                let meta = Meta {
                    id: conn,
                    client,
                    server,
                    handshake_seen,
                    handshake: Handshake::default(),
                    swapped: false,
                    position: 0,
                    secure: false,
                    first_ts: ts,
                    last_ts: ts,
                    bytes: [0; 2],
                    dns,
                    upgrade: None,
                    reset: false,
                    ended: None,
                };
                let detector = Detector {
                    clean: [handshake_seen; 2],
                    ..Detector::default()
                };
                // DNS over TCP is recognised by its port: its messages have no signature.
                let app = if client.port() == 53 || server.port() == 53 {
                    State::Dns(Box::default())
                } else {
                    State::Detecting(Box::new(detector))
                };
                self.map.insert(
                    conn,
                    Conn {
                        meta,
                        tls: None,
                        app,
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
                c.meta.last_ts = c.meta.last_ts.max(ts);
                c.meta.bytes[dir.index()] += data.len() as u64;
                let mut cx = Cx {
                    shared: &mut self.shared,
                    stats: &mut stats.http,
                    out,
                };
                match &mut c.tls {
                    Some(layer) => {
                        let (meta, app) = (&mut c.meta, &mut c.app);
                        layer.session.data(dir, ts, data, keys, &mut |ev| {
                            tls_event(meta, app, &mut cx, ev)
                        });
                        settle(c, &mut cx);
                    }
                    None => {
                        if let Some(mut layer) =
                            app_data(&mut c.meta, &mut c.app, &mut cx, dir, ts, offset, data)
                        {
                            // The connection turned out to be TLS: replay what was held into it.
                            replay_into_tls(&mut c.meta, &mut c.app, &mut layer, keys, &mut cx);
                            c.tls = Some(layer);
                            settle(c, &mut cx);
                        }
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
                let mut cx = Cx {
                    shared: &mut self.shared,
                    stats: &mut stats.http,
                    out,
                };
                match &mut c.tls {
                    Some(layer) => {
                        let (meta, app) = (&mut c.meta, &mut c.app);
                        layer
                            .session
                            .gap(dir, ts, len, &mut |ev| tls_event(meta, app, &mut cx, ev));
                        settle(c, &mut cx);
                    }
                    None => app_gap(&mut c.meta, &mut c.app, &mut cx, dir, ts, len),
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
                let mut cx = Cx {
                    shared: &mut self.shared,
                    stats: &mut stats.http,
                    out,
                };
                c.meta.reset |= reset;
                c.meta.ended.get_or_insert((dir, ts, reset));
                app_end(&mut c.meta, &mut c.app, &mut cx, dir, ts, reset);
                settle(c, &mut cx);
            }
            FlowEvent::Close { conn, ts } => {
                let Some(mut c) = self.map.remove(&conn) else {
                    return;
                };
                let mut cx = Cx {
                    shared: &mut self.shared,
                    stats: &mut stats.http,
                    out,
                };
                app_close(&mut c.meta, &mut c.app, &mut cx, ts);
                settle(&mut c, &mut cx);
                let failed = failed_attempt(&mut c.meta, ts, cx.shared)
                    .or_else(|| tls_failure(&c, cx.shared));
                let failed = failed.map(|t| {
                    cx.stats.transactions += 1;
                    cx.stats.incomplete += 1;
                    finalize(t, &mut cx);
                });
                let http2 = match &c.app {
                    State::H2(h) => Some(h.info()),
                    _ => None,
                };
                let tls = c.tls.as_ref().map(|layer| layer.session.info().clone());
                if let Some(info) = &tls {
                    count_tls(&mut stats.tls, info);
                }
                // Every connection that carried TLS, HTTP/2 or any HTTP exchange is reported,
                // so that later layers know when it closed.
                if tls.is_some() || http2.is_some() || c.meta.position > 0 {
                    let (client, server) = c.meta.roles();
                    (cx.out)(Event::Connection(Box::new(ConnectionRecord {
                        id: c.meta.id,
                        client,
                        server,
                        start: c.meta.handshake.syn.unwrap_or(c.meta.first_ts),
                        end: c.meta.last_ts.max(ts),
                        bytes: if c.meta.swapped {
                            [c.meta.bytes[1], c.meta.bytes[0]]
                        } else {
                            c.meta.bytes
                        },
                        transactions: u64::from(c.meta.position) + u64::from(failed.is_some()),
                        tls,
                        http2,
                        process: None,
                    })));
                }
            }
        }
    }
}

/// Completes the transactions a TLS call produced with the session's facts, and notes a
/// newly seen session for secrets export.
fn settle<F: FnMut(Event)>(c: &mut Conn, cx: &mut Cx<'_, F>) {
    let Some(layer) = &mut c.tls else { return };
    let info = layer.session.info();
    for mut t in std::mem::take(&mut cx.shared.held) {
        let first = t.position == 0;
        let handshake = (first && c.meta.handshake_seen).then_some(&c.meta.handshake);
        let secure = match (first, info.handshake_start, info.handshake_end) {
            (true, Some(start), Some(end)) => Some((start, end)),
            _ => None,
        };
        let (start, timings) = timings::compute(&t.times, handshake, secure, dns_span(&t.dns));
        t.start = start;
        t.timings = timings;
        t.tls = Some(info.clone());
        finalize(t, cx);
    }
    if !layer.reported {
        if let Some(random) = layer.session.client_random() {
            cx.shared.new_sessions.push(*random);
            layer.reported = true;
        }
    }
}

fn count_tls(stats: &mut TlsStats, info: &model::TlsInfo) {
    stats.connections += 1;
    stats.errors += info.errors;
    match info.decryption {
        Decryption::Decrypted => stats.decrypted += 1,
        Decryption::NoKeys => stats.no_keys += 1,
        Decryption::Unsupported { .. } => stats.unsupported += 1,
        Decryption::Failed { .. } => stats.failed += 1,
        Decryption::Pending => {}
    }
}

/// Decrypted data or a gap from the TLS layer, into the application layer.
fn tls_event<F: FnMut(Event)>(
    meta: &mut Meta,
    app: &mut State,
    cx: &mut Cx<'_, F>,
    ev: TlsEvent<'_>,
) {
    match ev {
        TlsEvent::Plaintext {
            dir,
            ts,
            offset,
            data,
        } => {
            // Inside TLS only HTTP is looked for: a nested TLS layer is not.
            let _ = app_data(meta, app, cx, dir, ts, offset, data);
        }
        TlsEvent::Gap {
            dir,
            ts,
            offset: _,
            len,
        } => app_gap(meta, app, cx, dir, ts, len),
    }
}

/// Bytes of the application stream. Returns a TLS layer when they reveal that the
/// connection is TLS (only for the TCP stream itself, never inside TLS).
fn app_data<F: FnMut(Event)>(
    meta: &mut Meta,
    app: &mut State,
    cx: &mut Cx<'_, F>,
    dir: Direction,
    ts: Timestamp,
    offset: u64,
    data: &[u8],
) -> Option<Box<TlsLayer>> {
    match app {
        State::Http(p) => {
            let dir = meta.parser_dir(dir);
            p.data(dir, ts, data, &mut |ex| emit(meta, ex, cx));
            if let Some((request, at)) = meta.upgrade.take() {
                // h2c (RFC 7540 §3.2): the upgraded request is stream 1 of HTTP/2.
                let rest = p.take_tunnel_bytes();
                let mut h2 = H2Connection::after_upgrade(H2Config::default(), request, at);
                if let Some((dir, ts, bytes)) = rest {
                    h2.data(dir, ts, &bytes, &mut |ex| emit(meta, ex, cx));
                }
                *app = State::H2(Box::new(h2));
            }
            None
        }
        State::H2(h) => {
            let dir = meta.parser_dir(dir);
            h.data(dir, ts, data, &mut |ex| emit(meta, ex, cx));
            None
        }
        State::Dns(framers) => {
            let (src, dst) = match dir {
                Direction::ClientToServer => (meta.client, meta.server),
                Direction::ServerToClient => (meta.server, meta.client),
            };
            let shared = &mut *cx.shared;
            let out = &mut *cx.out;
            framers[dir.index()].push(data, &mut |message| {
                shared.dns.message(ts, src, dst, message, &mut |l| {
                    lookup_done(&mut shared.lookups, &mut shared.failed_lookups, out, l)
                });
            });
            None
        }
        State::Other => None,
        State::Detecting(d) => {
            let i = dir.index();
            if d.bytes[i].is_empty() && offset != 0 {
                d.clean[i] = false;
            }
            // Fast path: the stream's first bytes, whole in this chunk.
            let tls_possible = !meta.secure && dir == Direction::ClientToServer;
            let hello = if tls_possible {
                tls::looks_like_client_hello(data)
            } else {
                Some(false)
            };
            if d.held.is_empty() && d.clean[i] && d.bytes[i].is_empty() && hello.is_some() {
                if hello == Some(true) {
                    d.hold(dir, ts, data);
                    return Some(start_tls(meta));
                }
                if dir == Direction::ClientToServer && is_dns_over_tcp(data) {
                    *app = State::Dns(Box::default());
                    return app_data(meta, app, cx, dir, ts, offset, data);
                }
                if dir == Direction::ClientToServer {
                    match http::h2::is_preface(data) {
                        Some(true) => {
                            let mut h = start_h2(meta, cx.stats);
                            h.data(dir, ts, data, &mut |ex| emit(meta, ex, cx));
                            *app = State::H2(h);
                            return None;
                        }
                        None => {
                            d.hold(dir, ts, data);
                            return decide(meta, app, cx);
                        }
                        Some(false) => {}
                    }
                }
                match http::detect(data) {
                    found @ (Detection::Request | Detection::Response) => {
                        let requests = if matches!(found, Detection::Request) {
                            dir
                        } else {
                            dir.reverse()
                        };
                        let mut p = start_http(&cx.shared.config, meta, requests, cx.stats);
                        let dir = meta.parser_dir(dir);
                        p.data(dir, ts, data, &mut |ex| emit(meta, ex, cx));
                        *app = State::Http(p);
                        return None;
                    }
                    // Servers that speak first (an HTTP/2 server's SETTINGS, a banner) are
                    // judged by what the client says.
                    Detection::NotHttp if dir == Direction::ClientToServer => {
                        cx.stats.other_connections += 1;
                        *app = State::Other;
                        return None;
                    }
                    Detection::NotHttp | Detection::NeedMore => {}
                }
            }
            if d.clean[i] || !d.bytes[i].is_empty() {
                d.hold(dir, ts, data);
            } else {
                d.seek(dir, ts, data);
            }
            decide(meta, app, cx)
        }
    }
}

fn app_gap<F: FnMut(Event)>(
    meta: &mut Meta,
    app: &mut State,
    cx: &mut Cx<'_, F>,
    dir: Direction,
    ts: Timestamp,
    len: u64,
) {
    match app {
        State::Http(p) => {
            let dir = meta.parser_dir(dir);
            p.gap(dir, ts, len, &mut |ex| emit(meta, ex, cx));
        }
        State::H2(h) => {
            let dir = meta.parser_dir(dir);
            h.gap(dir, ts, len, &mut |ex| emit(meta, ex, cx));
        }
        State::Dns(framers) => framers[dir.index()].gap(len),
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

fn app_end<F: FnMut(Event)>(
    meta: &mut Meta,
    app: &mut State,
    cx: &mut Cx<'_, F>,
    dir: Direction,
    ts: Timestamp,
    reset: bool,
) {
    match app {
        State::Http(p) => {
            let dir = meta.parser_dir(dir);
            p.end(dir, ts, reset, &mut |ex| emit(meta, ex, cx));
        }
        State::H2(h) => {
            let dir = meta.parser_dir(dir);
            h.end(dir, ts, reset, &mut |ex| emit(meta, ex, cx));
        }
        State::Dns(_) | State::Other => {}
        State::Detecting(d) => d.held.push(Held::End(dir, ts, reset)),
    }
}

fn app_close<F: FnMut(Event)>(meta: &mut Meta, app: &mut State, cx: &mut Cx<'_, F>, ts: Timestamp) {
    match app {
        State::Http(p) => {
            p.finish(ts, &mut |ex| emit(meta, ex, cx));
            let ps = p.stats();
            cx.stats.resyncs += ps.resyncs;
            cx.stats.skipped_bytes += ps.skipped_bytes;
        }
        State::H2(h) => h.finish(ts, &mut |ex| emit(meta, ex, cx)),
        State::Dns(_) | State::Other => {}
        State::Detecting(d) => {
            let seen = d.bytes.iter().any(|b| !b.is_empty())
                || d.seeking
                    .iter()
                    .any(|s| s.skipped > 0 || !s.carry.is_empty());
            if seen && !meta.secure {
                cx.stats.other_connections += 1;
            }
        }
    }
}

/// Marks the connection as TLS; the application layer starts over on the plaintext.
fn start_tls(meta: &mut Meta) -> Box<TlsLayer> {
    meta.secure = true;
    Box::new(TlsLayer {
        session: TlsConnection::new(),
        reported: false,
    })
}

/// Feeds the events held while detecting into a new TLS layer, and restarts the
/// application layer for the decrypted streams.
fn replay_into_tls<F: FnMut(Event)>(
    meta: &mut Meta,
    app: &mut State,
    layer: &mut TlsLayer,
    keys: &KeyLog,
    cx: &mut Cx<'_, F>,
) {
    let State::Detecting(d) = std::mem::replace(
        app,
        State::Detecting(Box::new(Detector {
            clean: [true; 2],
            ..Detector::default()
        })),
    ) else {
        return;
    };
    for held in d.held {
        match held {
            Held::Data(dir, ts, range) => {
                if let Some(bytes) = d.bytes[dir.index()].get(range) {
                    layer
                        .session
                        .data(dir, ts, bytes, keys, &mut |ev| tls_event(meta, app, cx, ev));
                }
            }
            Held::Gap(dir, ts, len) => layer
                .session
                .gap(dir, ts, len, &mut |ev| tls_event(meta, app, cx, ev)),
            Held::End(dir, ts, reset) => app_end(meta, app, cx, dir, ts, reset),
        }
    }
}

/// Whether a client's first bytes are a DNS query over TCP (RFC 1035 §4.2.2: a two-byte
/// length, then a standard query with one question). Resolvers on other ports than 53 are
/// recognised this way.
fn is_dns_over_tcp(data: &[u8]) -> bool {
    let Some((len, rest)) = data.split_first_chunk::<2>() else {
        return false;
    };
    let len = usize::from(u16::from_be_bytes(*len));
    rest.get(..len)
        .and_then(|m| dns::parse(m).ok())
        .is_some_and(|m| !m.response && m.opcode == 0 && m.questions.len() == 1)
}

/// Creates the HTTP/2 parser for a connection that began with the client's preface.
fn start_h2(meta: &mut Meta, stats: &mut HttpStats) -> Box<H2Connection> {
    meta.swapped = false;
    stats.connections += 1;
    Box::new(H2Connection::new(H2Config::default()))
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

/// Looks at the held bytes; once the protocol is known, replays the held events into the
/// parser (or drops them). Returns a TLS layer when the held bytes begin a TLS session.
fn decide<F: FnMut(Event)>(
    meta: &mut Meta,
    app: &mut State,
    cx: &mut Cx<'_, F>,
) -> Option<Box<TlsLayer>> {
    let State::Detecting(d) = app else {
        return None;
    };
    match d.verdict(!meta.secure) {
        Verdict::Undecided => None,
        Verdict::Tls => Some(start_tls(meta)),
        Verdict::H2 => {
            let mut h = start_h2(meta, cx.stats);
            let State::Detecting(d) = std::mem::replace(app, State::Other) else {
                return None;
            };
            for held in d.held {
                match held {
                    Held::Data(dir, ts, range) => {
                        if let Some(bytes) = d.bytes[dir.index()].get(range) {
                            h.data(dir, ts, bytes, &mut |ex| emit(meta, ex, cx));
                        }
                    }
                    Held::Gap(dir, ts, len) => h.gap(dir, ts, len, &mut |ex| emit(meta, ex, cx)),
                    Held::End(dir, ts, reset) => {
                        h.end(dir, ts, reset, &mut |ex| emit(meta, ex, cx))
                    }
                }
            }
            *app = State::H2(h);
            None
        }
        Verdict::NotHttp => {
            cx.stats.other_connections += 1;
            *app = State::Other;
            None
        }
        Verdict::Http { requests } => {
            let mut p = start_http(&cx.shared.config, meta, requests, cx.stats);
            let State::Detecting(mut d) = std::mem::replace(app, State::Other) else {
                return None;
            };
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                let seeking = &mut d.seeking[dir.index()];
                if seeking.skipped > 0 {
                    cx.stats.resyncs += 1;
                    cx.stats.skipped_bytes += seeking.skipped;
                }
                // A partial line that may start a message: the parser goes on from it.
                if !seeking.carry.is_empty() {
                    let carry = std::mem::take(&mut seeking.carry);
                    let ts = seeking.carry_ts;
                    d.hold(dir, ts, &carry);
                }
            }
            for held in d.held {
                match held {
                    Held::Data(dir, ts, range) => {
                        if let Some(bytes) = d.bytes[dir.index()].get(range) {
                            let dir = meta.parser_dir(dir);
                            p.data(dir, ts, bytes, &mut |ex| emit(meta, ex, cx));
                        }
                    }
                    Held::Gap(dir, ts, len) => {
                        let dir = meta.parser_dir(dir);
                        p.gap(dir, ts, len, &mut |ex| emit(meta, ex, cx));
                    }
                    Held::End(dir, ts, reset) => {
                        let dir = meta.parser_dir(dir);
                        p.end(dir, ts, reset, &mut |ex| emit(meta, ex, cx));
                    }
                }
            }
            *app = State::Http(p);
            None
        }
    }
}

impl Detector {
    /// TLS when the client's first bytes are a ClientHello (only when `tls_allowed`: not
    /// inside TLS). HTTP as soon as either direction shows a message start. Not HTTP when a
    /// direction whose first bytes are known shows something else, or when both directions
    /// had [`DETECT_LIMIT`] bytes without a message start. Otherwise wait: a capture that
    /// begins in the middle of a long response may show the next request only much later.
    fn verdict(&self, tls_allowed: bool) -> Verdict {
        let client = &self.bytes[Direction::ClientToServer.index()];
        if self.clean[0] && !client.is_empty() {
            match http::h2::is_preface(client) {
                Some(true) => return Verdict::H2,
                None => return Verdict::Undecided,
                Some(false) => {}
            }
        }
        if tls_allowed && self.clean[0] && !client.is_empty() {
            match tls::looks_like_client_hello(client) {
                Some(true) => return Verdict::Tls,
                None => return Verdict::Undecided,
                Some(false) => {}
            }
        }
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
                Detection::NotHttp if dir == Direction::ClientToServer || !self.clean[i] => {
                    return Verdict::NotHttp
                }
                // A server that spoke first: wait for the client.
                Detection::NotHttp => waiting |= client.is_empty(),
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

/// Turns a completed exchange into a transaction with connection facts and timings. Plain
/// HTTP goes out at once; TLS transactions wait in `cx.held` for the session's facts.
fn emit<F: FnMut(Event)>(meta: &mut Meta, ex: Exchange, cx: &mut Cx<'_, F>) {
    if let (Some(model::Tunnel::Upgrade { protocol }), Some(request)) = (&ex.tunnel, &ex.request) {
        if protocol.eq_ignore_ascii_case("h2c") {
            // Not a transaction of its own: its response comes on HTTP/2 stream 1.
            let at = ex.times.request_start.unwrap_or_default();
            meta.upgrade = Some((request.clone(), at));
            return;
        }
    }
    let position = ex.order.unwrap_or(meta.position);
    meta.position = meta.position.saturating_add(1);
    let (client, server) = meta.roles();
    let handshake = (position == 0 && meta.handshake_seen).then_some(&meta.handshake);
    let dns = if position == 0 {
        meta.dns.clone()
    } else {
        None
    };
    let (start, timings) = timings::compute(&ex.times, handshake, None, dns_span(&dns));
    let protocol = ex
        .stream
        .map(|_| "HTTP/2".to_owned())
        .or_else(|| ex.request.as_ref().map(|r| r.version.clone()))
        .or_else(|| ex.response.as_ref().map(|r| r.version.clone()))
        .unwrap_or_default();
    let scheme = if meta.secure { "https" } else { "http" };
    let url = ex
        .request
        .as_ref()
        .map_or_else(String::new, |r| url(r, scheme, server));
    cx.stats.transactions += 1;
    if !ex.incomplete.is_empty() {
        cx.stats.incomplete += 1;
    }
    if ex.tunnel.is_some() {
        cx.stats.tunnels += 1;
    }
    let id = cx.shared.next_transaction;
    cx.shared.next_transaction += 1;
    let t = Transaction {
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
        tls: None,
        stream: ex.stream,
        grpc: ex.grpc,
        dns,
        redirect: None,
        findings: Vec::new(),
        incomplete: ex.incomplete,
        process: None,
        source: None,
    };
    if meta.secure {
        cx.shared.held.push(t);
    } else {
        finalize(t, cx);
    }
}

/// A connection attempt that never got established (refused with a reset, or no answer to
/// the SYN) is a request that never got an answer: a transaction without request or
/// response, whose `connect` phase is the time spent trying.
fn failed_attempt(meta: &mut Meta, ts: Timestamp, shared: &mut Shared) -> Option<Transaction> {
    // The TCP layer reports the handshake only once it completes: a connection that opened
    // with a SYN and never reported it was never established.
    let established = meta.handshake.syn_ack.is_some() || meta.handshake.ack.is_some();
    if !meta.handshake_seen || established || meta.bytes != [0, 0] {
        return None;
    }
    let syn = meta.first_ts;
    let (client, server) = meta.roles();
    let scheme = if matches!(server.port(), 443 | 8443) {
        "https"
    } else {
        "http"
    };
    let detail = if meta.reset {
        format!("connection refused: {server} answered the SYN with a reset")
    } else {
        format!("no answer to the SYN sent to {server}: the connection timed out")
    };
    let reason = if meta.reset {
        IncompleteReason::Reset
    } else {
        IncompleteReason::NoResponse
    };
    let id = shared.next_transaction;
    shared.next_transaction += 1;
    Some(Transaction {
        id,
        connection: meta.id,
        client,
        server,
        position: 0,
        start: syn,
        protocol: String::new(),
        url: format!("{scheme}://{server}"),
        request: None,
        response: None,
        times: model::MessageTimes::default(),
        timings: model::Timings {
            connect: Some(ts.since(syn)),
            ..Default::default()
        },
        tunnel: None,
        tls: None,
        stream: None,
        grpc: None,
        dns: meta.dns.clone(),
        redirect: None,
        findings: Vec::new(),
        incomplete: vec![model::Incomplete { reason, detail }],
        process: None,
        source: None,
    })
}

/// A TLS connection that closed (or was cut by the end of the capture) before its handshake
/// ended, or that ended in a fatal alert before carrying any request, is a request that
/// never got sent: a transaction without request or response for `https://SNI[:port]` (the
/// server address when there was no SNI), with the session's facts, whose `ssl` phase runs
/// from the ClientHello to the first FIN or RST (or the last packet) and whose `connect`
/// phase, as in HAR, includes it.
fn tls_failure(c: &Conn, shared: &mut Shared) -> Option<Transaction> {
    let meta = &c.meta;
    let info = c.tls.as_ref()?.session.info();
    let hello = info.handshake_start?;
    let fatal = info.alerts.iter().find(|a| a.level == "fatal");
    if meta.position > 0 || (info.handshake_end.is_some() && fatal.is_none()) {
        return None;
    }
    let (client, server) = meta.roles();
    let side = |dir: Direction| match meta.parser_dir(dir) {
        Direction::ClientToServer => "client",
        Direction::ServerToClient => "server",
    };
    let failed = if info.handshake_end.is_some() {
        "TLS session failed before any request"
    } else {
        "TLS handshake failed"
    };
    let encrypted = info.alerts.iter().find(|a| a.level == "encrypted");
    let detail = match (fatal, encrypted, meta.ended) {
        (Some(a), _, _) => {
            let code =
                tls::alert_code(&a.description).map_or_else(String::new, |c| format!(" ({c})"));
            format!(
                "{failed}: {} sent fatal alert {}{code}",
                side(a.from),
                a.description
            )
        }
        (None, Some(a), _) => format!("{failed}: {} sent an alert (encrypted)", side(a.from)),
        // Neither side gave up: the capture (or the recording) stopped during the
        // handshake, which says nothing about the connection.
        (None, None, None) => return None,
        (None, None, Some((dir, _, reset))) => {
            let unanswered = if info.records[Direction::ServerToClient.index()] == 0 {
                ", with no answer to the ClientHello"
            } else {
                ""
            };
            let how = if reset { "reset" } else { "closed" };
            format!(
                "connection {how} by the {} during the TLS handshake{unanswered}",
                side(dir)
            )
        }
    };
    let end = meta.ended.map_or(meta.last_ts, |(_, at, _)| at).max(hello);
    let handshake = meta.handshake_seen.then_some(&meta.handshake);
    let (start, timings) = timings::compute(
        &model::MessageTimes::default(),
        handshake,
        Some((hello, end)),
        dns_span(&meta.dns),
    );
    let url = match &info.sni {
        Some(sni) if server.port() == 443 => format!("https://{sni}"),
        Some(sni) => format!("https://{sni}:{}", server.port()),
        None => format!("https://{server}"),
    };
    let id = shared.next_transaction;
    shared.next_transaction += 1;
    Some(Transaction {
        id,
        connection: meta.id,
        client,
        server,
        position: 0,
        start,
        protocol: String::new(),
        url,
        request: None,
        response: None,
        times: model::MessageTimes::default(),
        timings,
        tunnel: None,
        tls: Some(info.clone()),
        stream: None,
        grpc: None,
        dns: meta.dns.clone(),
        redirect: None,
        findings: Vec::new(),
        incomplete: vec![model::Incomplete {
            reason: IncompleteReason::TlsHandshake,
            detail,
        }],
        process: None,
        source: None,
    })
}

/// Links a finished transaction to the redirect it followed and sends it out.
fn finalize<F: FnMut(Event)>(mut t: Transaction, cx: &mut Cx<'_, F>) {
    cx.shared.redirects.follow(&mut t);
    (cx.out)(Event::Transaction(Box::new(t)));
}

/// The start and answer of a lookup, for the timings.
fn dns_span(lookup: &Option<DnsLookup>) -> Option<(Timestamp, Timestamp)> {
    let l = lookup.as_ref()?;
    Some((l.start, l.end?))
}

/// A lookup is complete: remember it for linking and for deciding failures, and send it out.
fn lookup_done<F: FnMut(Event)>(
    lookups: &mut Lookups,
    failed: &mut FailedLookups,
    out: &mut F,
    lookup: DnsLookup,
) {
    lookups.add(&lookup);
    failed.lookup(&lookup, lookups);
    out(Event::Dns(Box::new(lookup)));
}

/// The URL a request was for: absolute targets as sent; origin-form targets joined to the
/// Host header (or the server address when there is none); CONNECT's authority as sent.
pub(crate) fn url(request: &Request, scheme: &str, server: SocketAddr) -> String {
    let target = request.target.as_str();
    if request.method.eq_ignore_ascii_case("CONNECT") {
        return target.to_owned();
    }
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return target.to_owned();
    }
    // HTTP/2 carries the scheme and authority as pseudo-headers (RFC 9113 §8.3.1).
    let scheme = model::header_value(&request.headers, ":scheme").unwrap_or(scheme);
    let host = model::header_value(&request.headers, ":authority")
        .or_else(|| model::header_value(&request.headers, "host"))
        .filter(|h| !h.is_empty())
        .map_or_else(|| server.to_string(), str::to_owned);
    if target == "*" {
        format!("{scheme}://{host}")
    } else if target.starts_with('/') {
        format!("{scheme}://{host}{target}")
    } else {
        format!("{scheme}://{host}/{target}")
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
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
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
            url(&req("GET", "/a?b=1", Some("example.com")), "http", server),
            "http://example.com/a?b=1"
        );
        assert_eq!(
            url(&req("GET", "/x", None), "http", server),
            "http://127.0.0.1:8080/x"
        );
        assert_eq!(
            url(&req("GET", "/x", None), "https", v6),
            "https://[::1]:80/x"
        );
        assert_eq!(
            url(
                &req("GET", "http://proxy.test/p", Some("h")),
                "http",
                server
            ),
            "http://proxy.test/p"
        );
        assert_eq!(
            url(
                &req("CONNECT", "example.com:443", Some("example.com:443")),
                "http",
                server
            ),
            "example.com:443"
        );
        assert_eq!(
            url(&req("OPTIONS", "*", Some("h")), "https", server),
            "https://h"
        );
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
