//! Tests of [`H2Connection`] with real h2c byte streams (`testdata/`, see its README) and
//! hand-built frames whose header blocks are HPACK literals without indexing (RFC 7541
//! §6.2.2), so that they decode with any dynamic table state.

use super::*;
use crate::Exchange;
use model::Direction::{self, ClientToServer as C, ServerToClient as S};
use model::{header_value, Http2Info, IncompleteReason as Why, Timestamp};

/// A frame: the 9-octet header (RFC 9113 §4.1) and the payload.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u32).to_be_bytes();
    let mut f = vec![len[1], len[2], len[3], kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// RFC 7541 §5.1 integer with an `n`-bit prefix and `first` bits above it.
fn int(out: &mut Vec<u8>, first: u8, n: u32, v: usize) {
    let max = (1usize << n) - 1;
    if v < max {
        out.push(first | v as u8);
        return;
    }
    out.push(first | max as u8);
    let mut v = v - max;
    while v >= 128 {
        out.push((v % 128) as u8 | 0x80);
        v /= 128;
    }
    out.push(v as u8);
}

/// A header block of literals without indexing, new names (RFC 7541 §6.2.2).
fn block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, value) in fields {
        b.push(0);
        int(&mut b, 0, 7, name.len());
        b.extend_from_slice(name.as_bytes());
        int(&mut b, 0, 7, value.len());
        b.extend_from_slice(value.as_bytes());
    }
    b
}

const HEADERS: u8 = 0x1;
const DATA: u8 = 0x0;
const ES: u8 = 0x1;
const EH: u8 = 0x4;
const PADDED: u8 = 0x8;

fn get(path: &str) -> Vec<u8> {
    block(&[
        (":method", "GET"),
        (":scheme", "http"),
        (":authority", "example.com"),
        (":path", path),
    ])
}

fn ok() -> Vec<u8> {
    block(&[(":status", "200"), ("content-type", "text/plain")])
}

/// A connection under test and what it emitted.
struct T {
    conn: H2Connection,
    out: Vec<Exchange>,
}

impl T {
    fn new() -> T {
        let mut t = T {
            conn: H2Connection::new(H2Config::default()),
            out: Vec::new(),
        };
        t.c(0, PREFACE);
        t.c(0, &frame(4, 0, 0, &[]));
        t.s(0, &frame(4, 0, 0, &[]));
        t.c(0, &frame(4, 1, 0, &[]));
        t.s(0, &frame(4, 1, 0, &[]));
        t
    }

    fn send(&mut self, dir: Direction, ts: i64, bytes: &[u8]) {
        let out = &mut self.out;
        self.conn
            .data(dir, Timestamp(ts), bytes, &mut |e| out.push(e));
    }

    fn c(&mut self, ts: i64, bytes: &[u8]) {
        self.send(C, ts, bytes);
    }

    fn s(&mut self, ts: i64, bytes: &[u8]) {
        self.send(S, ts, bytes);
    }

    fn finish(&mut self, ts: i64) {
        let out = &mut self.out;
        self.conn.finish(Timestamp(ts), &mut |e| out.push(e));
    }
}

fn reasons(e: &Exchange) -> Vec<Why> {
    e.incomplete.iter().map(|i| i.reason).collect()
}

/// A `testdata/` file: direction, timestamp, segment payload.
fn segments(text: &str) -> Vec<(Direction, Timestamp, Vec<u8>)> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split(' ');
            let dir = if parts.next()? == "C" { C } else { S };
            let ts = Timestamp(parts.next()?.parse().ok()?);
            let hex = parts.next()?;
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
                .collect();
            Some((dir, ts, bytes))
        })
        .collect()
}

const CURL: &str = include_str!("testdata/curl.txt");
const NGHTTP: &str = include_str!("testdata/nghttp.txt");

/// Runs segments, each split into pieces of at most `piece` octets.
fn replay(segs: &[(Direction, Timestamp, Vec<u8>)], piece: usize) -> (Vec<Exchange>, Http2Info) {
    let mut conn = H2Connection::new(H2Config::default());
    let mut out = Vec::new();
    for (dir, ts, bytes) in segs {
        for p in bytes.chunks(piece) {
            conn.data(*dir, *ts, p, &mut |e| out.push(e));
        }
    }
    let end = segs.last().map_or(Timestamp(0), |s| s.1);
    conn.finish(end, &mut |e| out.push(e));
    (out, conn.info())
}

#[test]
fn real_curl_exchange() {
    let segs = segments(CURL);
    let (out, info) = replay(&segs, usize::MAX);
    assert_eq!(out.len(), 1);
    let e = &out[0];
    assert!(e.incomplete.is_empty(), "{:?}", e.incomplete);
    assert_eq!(e.stream, Some(1));
    let req = e.request.as_ref().unwrap();
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("GET", "/a.txt")
    );
    assert_eq!(req.version, "HTTP/2");
    let names: Vec<_> = req.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        [
            ":method",
            ":path",
            ":scheme",
            ":authority",
            "user-agent",
            "accept"
        ]
    );
    assert_eq!(
        header_value(&req.headers, ":authority"),
        Some("127.0.0.1:18200")
    );
    // HEADERS of 0x25 octets plus its frame header.
    assert_eq!(req.header_bytes, 9 + 0x25);
    assert_eq!(req.body, model::BodySize::default());
    let resp = e.response.as_ref().unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(header_value(&resp.headers, "content-length"), Some("15"));
    assert_eq!(resp.header_bytes, 9 + 0x5c);
    assert_eq!((resp.body.wire, resp.body.encoded), (9 + 15, 15));
    assert_eq!(resp.body.decoded, None);
    let t = e.times;
    assert_eq!(t.request_start, Some(segs[2].1));
    assert_eq!(t.request_end, Some(segs[2].1));
    assert_eq!(t.response_start, Some(segs[4].1));
    assert_eq!(t.response_end, Some(segs[4].1));
    assert_eq!(info.streams, 1);
    assert_eq!(info.max_concurrent, 1);
    assert_eq!(info.settings[0][0], "MAX_CONCURRENT_STREAMS=100");
    assert!(info.settings[0].contains(&"ENABLE_PUSH=0".to_string()));
    assert_eq!(info.settings[1], ["MAX_CONCURRENT_STREAMS=100"]);
    assert_eq!(info.header_errors, 0);
    // The same bytes one octet at a time give the same result.
    assert_eq!(replay(&segs, 1).0, out);
}

#[test]
fn real_nghttp_multiplexed_with_push_and_flow_control() {
    let segs = segments(NGHTTP);
    let (out, info) = replay(&segs, usize::MAX);
    let ids: Vec<_> = out.iter().map(|e| e.stream.unwrap()).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    for e in &out {
        assert!(e.incomplete.is_empty(), "{:?}", e.incomplete);
    }
    let by_id = |id: u32| out.iter().find(|e| e.stream == Some(id)).unwrap();
    let target = |id: u32| by_id(id).request.as_ref().unwrap().target.clone();
    assert_eq!(target(13), "/index.html");
    assert_eq!(target(15), "/big.txt");
    assert_eq!(target(17), "/missing");
    // The pushed stream: the promised request, the response on stream 2.
    assert_eq!(target(2), "/s.css");
    assert_eq!(by_id(2).response.as_ref().unwrap().body.encoded, 7);
    assert_eq!(by_id(17).response.as_ref().unwrap().status, 404);
    let big = by_id(15).response.as_ref().unwrap();
    assert_eq!(big.body.encoded, 54_038);
    // 16 KiB − 1 stream windows (nghttp -w 14): several DATA frames exhausted a window.
    assert!(info.flow_control_stalls >= 3, "{info:?}");
    assert_eq!(info.pushes, 1);
    assert_eq!(info.streams, 4);
    assert!(info.max_concurrent >= 3, "{info:?}");
    assert!(info.mean_concurrent >= 1.0 && info.mean_concurrent <= info.max_concurrent as f64);
    assert!(
        info.settings[0].contains(&"INITIAL_WINDOW_SIZE=16383".to_string()),
        "{info:?}"
    );
    assert_eq!(
        info.goaway.as_deref(),
        Some("last_stream_id=2 error=NO_ERROR")
    );
    assert_eq!(replay(&segs, 7).0, out);
}

#[test]
fn every_truncation_of_real_streams_is_safe() {
    for (text, stride) in [(CURL, 1), (NGHTTP, 61)] {
        let segs = segments(text);
        let total: usize = segs.iter().map(|s| s.2.len()).sum();
        let mut cut = 0;
        while cut <= total {
            let mut left = cut;
            let mut part = Vec::new();
            for (dir, ts, bytes) in &segs {
                let n = left.min(bytes.len());
                part.push((*dir, *ts, bytes[..n].to_vec()));
                left -= n;
            }
            let (out, _) = replay(&part, 4096);
            for e in &out {
                assert!((e.request.is_some() && e.response.is_some()) || !e.incomplete.is_empty());
            }
            cut += stride;
        }
    }
}

#[test]
fn continuation_and_padding() {
    let mut t = T::new();
    let req = get("/c");
    // HEADERS (padded, 3 octets of padding) with the first 5 octets, then two CONTINUATIONs.
    let mut first = vec![3];
    first.extend_from_slice(&req[..5]);
    first.extend_from_slice(&[0, 0, 0]);
    t.c(1, &frame(HEADERS, ES | PADDED, 1, &first));
    t.c(2, &frame(0x9, 0, 1, &req[5..20]));
    t.c(3, &frame(0x9, EH, 1, &req[20..]));
    // Response HEADERS with PRIORITY fields, then a padded DATA frame.
    let mut resp = vec![0x80, 0, 0, 0, 16];
    resp.extend_from_slice(&ok());
    t.s(4, &frame(HEADERS, EH | 0x20, 1, &resp));
    t.s(5, &frame(DATA, ES | PADDED, 1, b"\x04hello\0\0\0\0"));
    assert_eq!(t.out.len(), 1);
    let e = &t.out[0];
    assert!(e.incomplete.is_empty(), "{:?}", e.incomplete);
    let r = e.request.as_ref().unwrap();
    assert_eq!(r.target, "/c");
    assert_eq!(
        r.header_bytes,
        (9 + 9) + (9 + 15) + (9 + req.len() as u64 - 20)
    );
    let resp = e.response.as_ref().unwrap();
    assert_eq!(resp.header_bytes, 9 + 5 + ok().len() as u64);
    assert_eq!((resp.body.wire, resp.body.encoded), (9 + 10, 5));
    assert_eq!(e.times.request_start, Some(Timestamp(1)));
    assert_eq!(e.times.request_end, Some(Timestamp(3)));
}

#[test]
fn interrupted_continuation_loses_header_sync() {
    let mut t = T::new();
    let req = get("/x");
    t.c(1, &frame(HEADERS, 0, 1, &req[..4]));
    t.c(2, &frame(DATA, 0, 1, b"ab"));
    t.c(3, &frame(HEADERS, ES | EH, 3, &get("/y")));
    t.finish(9);
    assert_eq!(t.out.len(), 2);
    assert!(t.out.iter().all(|e| e.request.is_none()));
    assert!(reasons(&t.out[0]).contains(&Why::Malformed));
    assert_eq!(t.conn.info().header_errors, 2);
}

/// gRPC unary call with trailers; each message's 5-octet prefix is split across frames.
#[test]
fn grpc_call_with_trailers() {
    let mut t = T::new();
    t.c(
        1,
        &frame(
            HEADERS,
            EH,
            1,
            &block(&[
                (":method", "POST"),
                (":scheme", "http"),
                (":path", "/helloworld.Greeter/SayHello"),
                (":authority", "localhost:50051"),
                ("content-type", "application/grpc"),
                ("te", "trailers"),
            ]),
        ),
    );
    t.c(2, &frame(DATA, 0, 1, b"\0\0\0\0\x03ab"));
    t.c(3, &frame(DATA, 0, 1, b"c\0\0"));
    t.c(4, &frame(DATA, ES, 1, b"\0\0\0"));
    t.s(
        5,
        &frame(
            HEADERS,
            EH,
            1,
            &block(&[
                (":status", "200"),
                ("content-type", "application/grpc+proto"),
            ]),
        ),
    );
    t.s(6, &frame(DATA, 0, 1, b"\0\0\0\0\x02hi"));
    let trailers = block(&[
        ("grpc-status", "3"),
        ("grpc-message", "bad%20name%3A%20%C3%A9"),
    ]);
    t.s(7, &frame(HEADERS, EH | ES, 1, &trailers));
    assert_eq!(t.out.len(), 1);
    let e = &t.out[0];
    assert!(e.incomplete.is_empty(), "{:?}", e.incomplete);
    let g = e.grpc.as_ref().unwrap();
    assert_eq!(
        (g.service.as_str(), g.method.as_str()),
        ("helloworld.Greeter", "SayHello")
    );
    assert_eq!(g.status, Some(3));
    assert_eq!(g.message.as_deref(), Some("bad name: é"));
    assert_eq!(g.messages, [2, 1]);
    let resp = e.response.as_ref().unwrap();
    assert_eq!(header_value(&resp.trailers, "grpc-status"), Some("3"));
    // Trailers count as body bytes on the wire, as chunked trailers do in HTTP/1.1.
    assert_eq!(resp.body.wire, (9 + 7) + (9 + trailers.len() as u64));
    assert_eq!(resp.body.encoded, 7);
    assert_eq!(e.request.as_ref().unwrap().body.encoded, 13);

    // Trailers-only response (status in the only HEADERS block).
    t.c(
        8,
        &frame(
            HEADERS,
            EH | ES,
            3,
            &block(&[
                (":method", "POST"),
                (":path", "/pkg.Svc/M"),
                ("content-type", "application/grpc"),
            ]),
        ),
    );
    t.s(
        9,
        &frame(
            HEADERS,
            EH | ES,
            3,
            &block(&[
                (":status", "200"),
                ("content-type", "application/grpc"),
                ("grpc-status", "12"),
            ]),
        ),
    );
    let g = t.out[1].grpc.as_ref().unwrap();
    assert_eq!(
        (g.service.as_str(), g.status, g.messages),
        ("pkg.Svc", Some(12), [0, 0])
    );
    assert_eq!(g.message, None);
}

#[test]
fn rst_stream_and_goaway() {
    let mut t = T::new();
    for id in [1, 3, 5, 7] {
        t.c(1, &frame(HEADERS, EH | ES, id, &get("/")));
    }
    t.s(2, &frame(HEADERS, EH, 1, &ok()));
    t.s(3, &frame(0x3, 0, 1, &8u32.to_be_bytes()));
    assert_eq!(t.out.len(), 1);
    assert_eq!(reasons(&t.out[0]), [Why::Reset]);
    assert_eq!(
        t.out[0].incomplete[0].detail,
        "RST_STREAM CANCEL from the server"
    );
    assert_eq!(t.out[0].response.as_ref().unwrap().status, 200);
    // Stream 3 answered; GOAWAY with last stream 3 refuses 5 and 7.
    t.s(4, &frame(HEADERS, EH, 3, &ok()));
    t.s(5, &frame(0x7, 0, 0, &[0, 0, 0, 3, 0, 0, 0, 0]));
    assert_eq!(t.out.len(), 3);
    for e in &t.out[1..] {
        assert_eq!(reasons(e), [Why::NoResponse]);
        assert_eq!(e.incomplete[0].detail, "refused by GOAWAY");
        assert!(e.request.is_some());
    }
    t.s(6, &frame(DATA, ES, 3, b"x"));
    assert_eq!(t.out.len(), 4);
    assert!(t.out[3].incomplete.is_empty());
    let info = t.conn.info();
    assert_eq!(info.resets, 1);
    assert_eq!(
        info.goaway.as_deref(),
        Some("last_stream_id=3 error=NO_ERROR")
    );
}

#[test]
fn push_promise_by_hand() {
    let mut t = T::new();
    t.c(1, &frame(HEADERS, EH | ES, 1, &get("/")));
    let mut pp = 2u32.to_be_bytes().to_vec();
    pp.extend_from_slice(&get("/style.css"));
    t.s(2, &frame(0x5, EH, 1, &pp));
    t.s(3, &frame(HEADERS, EH, 1, &ok()));
    t.s(4, &frame(DATA, ES, 1, b"<html>"));
    t.s(5, &frame(HEADERS, EH, 2, &ok()));
    t.s(6, &frame(DATA, ES, 2, b"p{}"));
    assert_eq!(t.out.len(), 2);
    let pushed = &t.out[1];
    assert_eq!(pushed.stream, Some(2));
    assert!(pushed.incomplete.is_empty());
    let r = pushed.request.as_ref().unwrap();
    assert_eq!(
        (r.target.as_str(), r.header_bytes),
        ("/style.css", 9 + pp.len() as u64)
    );
    assert_eq!(pushed.times.request_start, Some(Timestamp(2)));
    assert_eq!(pushed.response.as_ref().unwrap().body.encoded, 3);
    assert_eq!(t.conn.info().pushes, 1);
}

#[test]
fn header_table_size_applies_when_acknowledged() {
    let mut t = T::new();
    // Client block 1 adds an entry to the dynamic table (literal with incremental indexing).
    let mut b1 = vec![0x40, 1, b'x', 1, b'y'];
    b1.extend_from_slice(&get("/1"));
    t.c(1, &frame(HEADERS, EH | ES, 1, &b1));
    // The server announces a table of 0 octets.
    t.s(2, &frame(0x4, 0, 0, &[0, 1, 0, 0, 0, 0]));
    // Before the ACK, a size update up to 4096 is still allowed.
    let mut b3 = vec![0x3f, 0xe1, 0x1f, 0xbe];
    b3.extend_from_slice(&get("/3"));
    t.c(3, &frame(HEADERS, EH | ES, 3, &b3));
    t.c(4, &frame(0x4, 0x1, 0, &[]));
    // After it, the encoder shrinks to 0, as it must.
    let mut b5 = vec![0x20];
    b5.extend_from_slice(&get("/5"));
    t.c(5, &frame(HEADERS, EH | ES, 5, &b5));
    // A size update above the acknowledged maximum is an HPACK error.
    let mut b7 = vec![0x3f, 0xe1, 0x1f];
    b7.extend_from_slice(&get("/7"));
    t.c(6, &frame(HEADERS, EH | ES, 7, &b7));
    t.c(7, &frame(HEADERS, EH | ES, 9, &get("/9")));
    t.finish(8);
    let by_id = |id: u32| t.out.iter().find(|e| e.stream == Some(id)).unwrap();
    let r3 = by_id(3).request.as_ref().unwrap();
    assert_eq!(header_value(&r3.headers, "x"), Some("y"));
    assert_eq!(by_id(5).request.as_ref().unwrap().target, "/5");
    for id in [7, 9] {
        let e = by_id(id);
        assert!(e.request.is_none());
        assert!(e
            .incomplete
            .iter()
            .any(|i| i.reason == Why::Malformed && i.detail == stream::OUT_OF_SYNC));
    }
    let info = t.conn.info();
    assert_eq!(info.header_errors, 2);
    assert_eq!(info.settings[1], ["HEADER_TABLE_SIZE=0"]);
}

#[test]
fn flow_control_stall_and_concurrency() {
    let mut t = T::new();
    // The client allows 10 octets per stream.
    t.c(1, &frame(0x4, 0, 0, &[0, 4, 0, 0, 0, 10]));
    t.c(10, &frame(HEADERS, EH | ES, 1, &get("/a")));
    t.c(20, &frame(HEADERS, EH | ES, 3, &get("/b")));
    t.s(21, &frame(HEADERS, EH, 1, &ok()));
    t.s(22, &frame(DATA, 0, 1, b"0123456789"));
    assert_eq!(t.conn.info().flow_control_stalls, 1);
    t.c(23, &frame(0x8, 0, 1, &[0, 0, 0, 10]));
    t.s(30, &frame(DATA, ES, 1, b"01234"));
    // A frame that empties the window but ends the stream is no stall.
    t.s(31, &frame(HEADERS, EH, 3, &ok()));
    t.s(40, &frame(DATA, ES, 3, b"0123456789"));
    let info = t.conn.info();
    assert_eq!(info.flow_control_stalls, 1);
    assert_eq!(info.max_concurrent, 2);
    // 1 stream for 10 ns, 2 for 10 ns, 1 for 10 ns.
    assert!(
        (info.mean_concurrent - 40.0 / 30.0).abs() < 1e-9,
        "{info:?}"
    );
    assert_eq!(t.out.len(), 2);
    assert_eq!(t.out[0].response.as_ref().unwrap().body.encoded, 15);
}

#[test]
fn gap_stops_a_direction() {
    let mut t = T::new();
    t.c(1, &frame(HEADERS, EH | ES, 1, &get("/a")));
    t.c(1, &frame(HEADERS, EH | ES, 3, &get("/b")));
    t.s(2, &frame(HEADERS, EH, 1, &ok()));
    let out = &mut t.out;
    t.conn.gap(S, Timestamp(3), 100, &mut |e| out.push(e));
    assert_eq!(t.out.len(), 2);
    assert_eq!(reasons(&t.out[0]), [Why::ResponseGap]);
    assert!(t.out[0].response.is_some());
    assert_eq!(reasons(&t.out[1]), [Why::ResponseGap]);
    assert_eq!(
        t.out[1].incomplete[0].detail,
        "HTTP/2 frames lost after a gap"
    );
    // Nothing more is read from the server; new requests are still seen.
    t.s(4, &frame(HEADERS, EH, 1, &ok()));
    t.c(5, &frame(HEADERS, EH | ES, 5, &get("/c")));
    assert_eq!(t.out.len(), 3);
    assert_eq!(reasons(&t.out[2]), [Why::ResponseGap]);
    assert_eq!(t.conn.info().header_errors, 1);

    // A client-side gap: a later response has no request.
    let mut t = T::new();
    let out = &mut t.out;
    t.conn.gap(C, Timestamp(1), 10, &mut |e| out.push(e));
    t.s(2, &frame(HEADERS, EH | ES, 1, &ok()));
    assert_eq!(t.out.len(), 1);
    assert_eq!(reasons(&t.out[0]), [Why::RequestGap]);
    assert!(t.out[0].response.is_some());
}

#[test]
fn mid_stream_never_invents_headers() {
    let segs = segments(NGHTTP);
    // Start inside the first big DATA frame of each direction's stream of bytes.
    for skip in [300usize, 1000, 5000, 17_000] {
        let mut conn = H2Connection::new(H2Config::default());
        conn.mid_stream();
        let mut out = Vec::new();
        let mut seen = [0usize; 2];
        for (dir, ts, bytes) in &segs {
            let d = dir.index();
            let from = skip.saturating_sub(seen[d]).min(bytes.len());
            seen[d] += bytes.len();
            conn.data(*dir, *ts, &bytes[from..], &mut |e| out.push(e));
        }
        conn.finish(Timestamp(i64::MAX), &mut |e| out.push(e));
        for e in &out {
            assert!(e.request.is_none() && e.response.is_none(), "{e:?}");
            assert!(!e.incomplete.is_empty());
        }
        let info = conn.info();
        assert_eq!(info.flow_control_stalls, 0);
        assert!(!out.is_empty() || info.header_errors == 0);
    }
    // Resynchronised inside big.txt's DATA: the following frames are counted.
    let mut conn = H2Connection::new(H2Config::default());
    conn.mid_stream();
    let mut out = Vec::new();
    let data = [
        &b"tail of a frame"[..],
        &frame(DATA, 0, 15, &[b'x'; 100]),
        &frame(DATA, ES, 15, &[b'y'; 50]),
    ]
    .concat();
    conn.data(S, Timestamp(1), &data, &mut |e| out.push(e));
    conn.data(
        C,
        Timestamp(2),
        &frame(0x8, 0, 0, &[0, 0, 1, 0]),
        &mut |e| out.push(e),
    );
    conn.finish(Timestamp(3), &mut |e| out.push(e));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].stream, Some(15));
    assert_eq!(conn.info().streams, 1);
}

#[test]
fn after_upgrade_response_on_stream_1() {
    let request = model::Request {
        method: "GET".into(),
        target: "/up".into(),
        version: "HTTP/1.1".into(),
        headers: vec![model::Header::new("Host", "h")],
        ..model::Request::default()
    };
    let mut conn = H2Connection::after_upgrade(H2Config::default(), request, Timestamp(5));
    let mut out = Vec::new();
    conn.data(C, Timestamp(6), PREFACE, &mut |e| out.push(e));
    conn.data(C, Timestamp(6), &frame(0x4, 0, 0, &[]), &mut |e| {
        out.push(e)
    });
    let resp = [
        frame(0x4, 0, 0, &[]),
        frame(HEADERS, EH, 1, &ok()),
        frame(DATA, ES, 1, b"up"),
    ]
    .concat();
    conn.data(S, Timestamp(7), &resp, &mut |e| out.push(e));
    assert_eq!(out.len(), 1);
    let e = &out[0];
    assert!(e.incomplete.is_empty(), "{:?}", e.incomplete);
    assert_eq!(e.request.as_ref().unwrap().target, "/up");
    assert_eq!(e.times.request_start, Some(Timestamp(5)));
    assert_eq!(e.response.as_ref().unwrap().body.encoded, 2);
    assert_eq!(conn.info().streams, 1);
}

#[test]
fn truncation_and_not_h2() {
    let mut t = T::new();
    t.c(1, &frame(HEADERS, EH | ES, 1, &get("/a")));
    t.c(1, &frame(HEADERS, EH, 3, &get("/b")));
    t.c(1, &frame(HEADERS, EH | ES, 5, &get("/c")));
    t.s(2, &frame(HEADERS, EH, 1, &ok()));
    t.s(3, &frame(DATA, 0, 1, b"part"));
    let out = &mut t.out;
    t.conn.end(S, Timestamp(4), false, &mut |e| out.push(e));
    // Stream 1: response cut; stream 5: no response; stream 3 still sends its body.
    assert_eq!(t.out.len(), 2);
    assert_eq!(reasons(&t.out[0]), [Why::ResponseTruncated]);
    assert_eq!(t.out[0].times.response_end, None);
    assert_eq!(reasons(&t.out[1]), [Why::NoResponse]);
    t.finish(5);
    assert_eq!(t.out.len(), 3);
    assert_eq!(reasons(&t.out[2]), [Why::NoResponse, Why::RequestTruncated]);

    // An RST ends every stream.
    let mut t = T::new();
    t.c(1, &frame(HEADERS, EH | ES, 1, &get("/a")));
    let out = &mut t.out;
    t.conn.end(C, Timestamp(2), true, &mut |e| out.push(e));
    assert_eq!(reasons(&t.out[0]), [Why::Reset, Why::NoResponse]);

    // Not a preface.
    let mut conn = H2Connection::new(H2Config::default());
    let mut out = Vec::new();
    conn.data(C, Timestamp(1), b"GET / HTTP/1.1\r\n\r\n", &mut |e| {
        out.push(e)
    });
    conn.data(
        S,
        Timestamp(2),
        &frame(HEADERS, EH | ES, 1, &ok()),
        &mut |e| out.push(e),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(reasons(&out[0]), [Why::Malformed]);
    assert_eq!(
        out[0].incomplete[0].detail,
        "not an HTTP/2 connection preface"
    );
}

#[test]
fn content_decoding_and_hpack_error() {
    let mut t = T::new();
    t.c(1, &frame(HEADERS, EH | ES, 1, &get("/z")));
    let gz = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcbH\xcd\xc9\xc9\x07\x00\x86\xa6\x106\x05\x00\x00\x00";
    let head = block(&[(":status", "200"), ("content-encoding", "gzip")]);
    t.s(2, &frame(HEADERS, EH, 1, &head));
    t.s(3, &frame(DATA, 0, 1, &gz[..10]));
    t.s(4, &frame(DATA, ES, 1, &gz[10..]));
    let body = &t.out[0].response.as_ref().unwrap().body;
    assert_eq!((body.encoded, body.decoded), (gz.len() as u64, Some(5)));
    // Index 0 is invalid (RFC 7541 §6.1): the client direction is out of sync from here.
    t.c(5, &frame(HEADERS, EH | ES, 3, &[0x80]));
    t.s(6, &frame(HEADERS, EH | ES, 3, &ok()));
    assert!(t.out[1].request.is_none());
    assert_eq!(reasons(&t.out[1]), [Why::Malformed]);
    assert_eq!(t.conn.info().header_errors, 1);
}

#[test]
fn fuzz_ops_runs_modes() {
    let seeds = [
        &[0u8][..],
        &[1, 0, 3, 0, 0, 0, 0],
        &[2, 1, 3, 0, 0, 0, 0, 6],
        &[0, 0, 23, b'P', b'R', b'I'],
    ];
    for s in seeds {
        fuzz_ops(s);
    }
}
