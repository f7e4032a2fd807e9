//! Replays every input of the `hpack` fuzz corpus (`fuzz/corpus/hpack/`) through the same
//! function as the fuzz target, `http::hpack::fuzz_decode`, so that stable CI checks every
//! input ever found.
//!
//! Input format (see `fuzz_decode`): a separator byte, the allowed table size / 32, then
//! header blocks split at the separator. The seeds are the RFC 7541 Appendix C blocks
//! (`seed_*`, which must all decode) and one malformed block per error (`bad_*`, which must
//! fail with the error their name says).

use http::hpack::{fuzz_decode, Decoder, HpackError};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/hpack")
}

/// Decodes an input like `fuzz_decode`, returning each block's result and field count.
fn decode_all(input: &[u8]) -> Vec<(Result<(), HpackError>, usize)> {
    let [sep, size, rest @ ..] = input else {
        return Vec::new();
    };
    let mut decoder = Decoder::new(usize::from(*size) * 32);
    rest.split(|b| b == sep)
        .map(|block| {
            let mut fields = 0;
            let result = decoder.decode(block, &mut |_, _| fields += 1);
            (result, fields)
        })
        .collect()
}

#[test]
fn replay_corpus() {
    let mut count = 0;
    for entry in std::fs::read_dir(corpus_dir()).expect("corpus directory") {
        let path = entry.expect("corpus entry").path();
        let input = std::fs::read(&path).expect("corpus file");
        fuzz_decode(&input);
        count += 1;
    }
    assert!(count > 0, "the hpack corpus is empty");
}

#[test]
fn seeds_decode_as_expected() {
    let seeds: [(&str, &[usize]); 9] = [
        ("seed_c2_1", &[1]),
        ("seed_c2_2", &[1]),
        ("seed_c2_3", &[1]),
        ("seed_c2_4", &[1]),
        ("seed_c3_requests", &[4, 5, 5]),
        ("seed_c4_requests_huffman", &[4, 5, 5]),
        ("seed_c5_responses", &[4, 4, 6]),
        ("seed_c6_responses_huffman", &[4, 4, 6]),
        ("seed_size_updates", &[4, 4, 0]),
    ];
    for (name, fields) in seeds {
        let input = std::fs::read(corpus_dir().join(name)).expect(name);
        let got = decode_all(&input);
        let expected: Vec<_> = fields.iter().map(|&n| (Ok(()), n)).collect();
        assert_eq!(got, expected, "{name}");
    }
    use HpackError::*;
    let bad = [
        ("bad_truncated_integer", Truncated),
        ("bad_index_zero", InvalidIndex(0)),
        ("bad_index_beyond", InvalidIndex(63)),
        ("bad_huffman_padding", Huffman),
        ("bad_huffman_eos", Huffman),
        ("bad_size_update_above_max", TableSizeUpdate(257)),
        ("bad_size_update_mid_block", TableSizeUpdate(0)),
        ("bad_too_long", TooLong),
    ];
    for (name, error) in bad {
        let input = std::fs::read(corpus_dir().join(name)).expect(name);
        let last = decode_all(&input).pop().expect(name);
        assert_eq!(last.0, Err(error), "{name}");
    }
}
