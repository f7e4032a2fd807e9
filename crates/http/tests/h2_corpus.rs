//! Replays every input of the `h2` fuzz corpus (`fuzz/corpus/h2/`) through the same
//! interpreter as the fuzz target (`http::h2::fuzz_ops`), so that stable CI checks every
//! input ever found.
//!
//! The seeds are the real h2c byte streams of `crates/http/src/h2/testdata/` (curl and nghttp
//! against nghttpd) in three start modes, written by the ignored test `regenerate_seeds`:
//! `cargo test -p httpscope-http --test h2_corpus -- --ignored regenerate_seeds`.

use http::fuzzing::{encode, Op};
use model::Direction::{ClientToServer as C, ServerToClient as S};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/h2")
}

#[test]
fn replay_corpus() {
    let mut count = 0;
    for entry in std::fs::read_dir(corpus_dir()).expect("corpus directory") {
        let path = entry.expect("corpus entry").path();
        let input = std::fs::read(&path).expect("corpus file");
        http::h2::fuzz_ops(&input);
        count += 1;
    }
    assert!(count > 0, "the h2 corpus is empty");
}

/// Segments of a `testdata/` file: direction and payload.
fn segments(text: &str) -> Vec<(model::Direction, Vec<u8>)> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split(' ');
            let dir = if parts.next()? == "C" { C } else { S };
            let hex = parts.nth(1)?;
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
                .collect();
            Some((dir, bytes))
        })
        .collect()
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (name, text) in [
        ("curl", include_str!("../src/h2/testdata/curl.txt")),
        ("nghttp", include_str!("../src/h2/testdata/nghttp.txt")),
    ] {
        let segs = segments(text);
        let ops: Vec<Op<'_>> = segs.iter().map(|(d, b)| Op::Data(*d, b)).collect();
        // Keep seeds small: the first 6000 octets of operations are enough to reach every
        // frame type; the whole nghttp stream is 55 KB.
        for (mode, suffix) in [(0u8, "new"), (1, "mid_stream"), (2, "upgrade")] {
            let mut input = vec![mode];
            input.extend(encode(&ops, 1400));
            input.truncate(6000);
            seeds.push((format!("seed_{name}_{suffix}"), input));
        }
        let mut with_gap = vec![0u8];
        let mut gap_ops = ops.clone();
        gap_ops.insert(gap_ops.len().min(6), Op::Gap(S, 100));
        gap_ops.push(Op::End(C, false));
        with_gap.extend(encode(&gap_ops, 700));
        with_gap.truncate(6000);
        seeds.push((format!("seed_{name}_gap"), with_gap));
    }
    seeds
}

#[test]
fn seeds_run() {
    for (_, input) in seeds() {
        http::h2::fuzz_ops(&input);
    }
}

#[test]
#[ignore = "writes the seed corpus; run by hand after changing the seeds"]
fn regenerate_seeds() {
    std::fs::create_dir_all(corpus_dir()).expect("corpus directory");
    for (name, input) in seeds() {
        std::fs::write(corpus_dir().join(name), input).expect("write seed");
    }
}
