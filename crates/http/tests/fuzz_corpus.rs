//! Replays every input of the `http1` fuzz corpus (`fuzz/corpus/http1/`) through the same
//! interpreter as the fuzz target, so that stable CI checks every input ever found.
//!
//! The seed inputs are written by the ignored test `regenerate_seeds`:
//! `cargo test -p httpscope-http --test fuzz_corpus -- --ignored regenerate_seeds`.

use http::fuzzing::{encode, run, Op};
use model::Direction::{ClientToServer as C, ServerToClient as S};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/http1")
}

#[test]
fn replay_corpus() {
    let mut count = 0;
    for entry in std::fs::read_dir(corpus_dir()).expect("corpus directory") {
        let path = entry.expect("corpus entry").path();
        let input = std::fs::read(&path).expect("corpus file");
        let _ = run(&input);
        count += 1;
    }
    assert!(count > 0, "the http1 corpus is empty");
}

#[test]
fn seeds_parse_as_expected() {
    for (name, input, exchanges) in seeds() {
        let (out, _) = run(&input);
        assert_eq!(out.len(), exchanges, "{name}");
    }
}

/// Real-looking traffic: (file name, encoded ops, expected exchange count).
fn seeds() -> Vec<(&'static str, Vec<u8>, usize)> {
    let get = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
    let ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n<html></html>";
    let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n7;ext=1\r\nMozilla\r\n9\r\nDeveloper\r\n0\r\nX-Trailer: done\r\n\r\n";
    let post = b"POST /api HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\nExpect: 100-continue\r\n\r\n";
    let pipelined_req = [&get[..], b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", &get[..]].concat();
    let pipelined_resp = [
        &ok[..ok.len() - 1],
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\n\r\n",
    ]
    .concat();
    // loss.pcap: the header packet of an Expect POST lost; its 4000 B body, then GET /missing
    // glued to it, must resync on the GET (the POST's responses pair with no request).
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let orphan_body: Vec<u8> = (0..4000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b"0123456789abcdef"[(x % 16) as usize]
        })
        .collect();
    let missing = b"GET /missing HTTP/1.1\r\nHost: 127.0.0.1:18080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
    let gzip_resp: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 23\r\n\r\n\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00xyz";
    vec![
        (
            "keep_alive",
            encode(
                &[
                    Op::Data(C, get),
                    Op::Data(S, &ok[..ok.len() - 1]),
                    Op::Data(C, get),
                    Op::Data(S, &ok[..ok.len() - 1]),
                ],
                64,
            ),
            2,
        ),
        (
            "chunked",
            encode(
                &[Op::Data(C, get), Op::Data(S, chunked), Op::End(S, false)],
                40,
            ),
            1,
        ),
        (
            "pipelined",
            encode(
                &[Op::Data(C, &pipelined_req), Op::Data(S, &pipelined_resp)],
                200,
            ),
            3,
        ),
        (
            "expect_continue",
            encode(
                &[
                    Op::Data(C, post),
                    Op::Data(S, b"HTTP/1.1 100 Continue\r\n\r\n"),
                    Op::Data(C, b"{\"a\":[1,2,3]}"),
                    Op::Data(S, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
                ],
                256,
            ),
            1,
        ),
        (
            "gap_and_resync",
            encode(
                &[
                    Op::Data(C, get),
                    Op::Data(C, get),
                    Op::Data(S, &ok[..50]),
                    Op::Gap(S, 80),
                    Op::Data(S, &ok[..ok.len() - 1]),
                ],
                256,
            ),
            2,
        ),
        (
            "close_delimited",
            encode(
                &[
                    Op::Data(C, b"GET / HTTP/1.0\r\n\r\n"),
                    Op::Data(S, b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until close"),
                    Op::End(S, false),
                ],
                256,
            ),
            1,
        ),
        (
            "upgrade",
            encode(
                &[
                    Op::Data(
                        C,
                        b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                    ),
                    Op::Data(
                        S,
                        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi",
                    ),
                ],
                256,
            ),
            1,
        ),
        (
            "gzip_reset",
            encode(
                &[
                    Op::Data(C, get),
                    Op::Data(S, gzip_resp),
                    Op::Data(C, get),
                    Op::Data(S, &ok[..30]),
                    Op::End(C, true),
                ],
                17,
            ),
            2,
        ),
        (
            "loss_resync",
            encode(
                &[
                    Op::Data(C, get),
                    Op::Data(S, &ok[..ok.len() - 1]),
                    Op::Gap(C, 180),
                    Op::Data(S, b"HTTP/1.1 100 Continue\r\n\r\n"),
                    Op::Data(C, &orphan_body),
                    Op::Data(
                        S,
                        b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nreceived 4000 bytes\n",
                    ),
                    Op::Data(C, missing),
                    Op::Data(
                        S,
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
                    ),
                ],
                1448,
            ),
            3,
        ),
    ]
}

#[test]
#[ignore = "writes the seed corpus; run by hand after changing the seeds"]
fn regenerate_seeds() {
    for (name, input, _) in seeds() {
        std::fs::write(corpus_dir().join(format!("seed_{name}")), input).expect("write seed");
    }
}
