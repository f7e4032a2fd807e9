//! Replays every input of the `tls` fuzz corpus (`fuzz/corpus/tls/`) through the same
//! interpreter as the fuzz target, so that stable CI checks every input ever found, and
//! checks what the seeds made from the golden captures must produce.
//!
//! The seeds (`seed_*`) are written by `python3 crates/tls/tests/make_seeds.py` (needs
//! tshark) from tests/golden/*.pcapng and their key logs.

use model::Decryption;
use std::path::PathBuf;
use tls::fuzzing::{run, Outcome};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/tls")
}

fn seed(name: &str) -> Outcome {
    let path = corpus_dir().join(format!("seed_{name}"));
    run(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
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
    assert!(count > 0, "the tls corpus is empty");
}

#[test]
fn tls13_seed_decrypts_three_exchanges() {
    let o = seed("tls13_nginx");
    assert_eq!(o.info.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(
        o.info.cipher_suite.as_deref(),
        Some("TLS_AES_128_GCM_SHA256")
    );
    assert_eq!(o.info.sni.as_deref(), Some("golden.test"));
    assert_eq!(o.info.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(o.info.decryption, Decryption::Decrypted);
    assert_eq!(o.info.errors, 0, "{:?}", o.info.first_error);
    assert!(o.plaintext[0].starts_with(b"GET /index.html HTTP/1.1\r\n"));
    assert!(contains(&o.plaintext[0], b"GET /medium.bin"));
    assert!(contains(&o.plaintext[0], b"GET /missing"));
    assert!(o.plaintext[1].starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(contains(&o.plaintext[1], b"HTTP/1.1 404"));
    assert!(o.plaintext[1].len() > 102_400);
    assert_eq!(o.gaps, [0, 0]);
}

#[test]
fn seven_byte_pieces_give_the_same_plaintext() {
    let o = seed("tls13_nginx_pieces7");
    assert_eq!(o.info.decryption, Decryption::Decrypted);
    assert!(o.plaintext[0].starts_with(b"GET "));
    assert!(o.plaintext[1].starts_with(b"HTTP/1.1 "));
    assert_eq!(o.gaps, [0, 0]);
    assert_eq!(o.info.errors, 0, "{:?}", o.info.first_error);
}

#[test]
fn tls12_seed_decrypts() {
    let o = seed("tls12_nginx");
    assert_eq!(o.info.version.as_deref(), Some("TLS 1.2"));
    assert_eq!(o.info.decryption, Decryption::Decrypted);
    assert!(o.plaintext[0].starts_with(b"GET "));
    assert!(o.plaintext[1].starts_with(b"HTTP/1.1 200"));
    assert!(o.info.handshake_end.is_some());
    // Keys that arrive late, in pieces, with the last line unterminated: still read.
    let late = seed("tls12_keys_late");
    assert_eq!(late.info.decryption, Decryption::Decrypted);
    assert!(late.plaintext[1].starts_with(b"HTTP/1.1 200"));
}

#[test]
fn resumed_seeds_are_resumed() {
    let resumed: Vec<bool> = (0..4)
        .map(|s| seed(&format!("resumed_{s}")).info.resumed)
        .collect();
    assert!(resumed.contains(&true), "{resumed:?}");
    assert!(resumed.contains(&false), "{resumed:?}");
}

#[test]
fn no_keys_no_plaintext() {
    let o = seed("tls13_nokeys");
    assert_eq!(o.info.decryption, Decryption::NoKeys);
    assert_eq!(o.plaintext_events, [0, 0]);
    assert!(o.gaps[0] > 0 && o.gaps[1] > 0, "{:?}", o.gaps);
    assert!(o.info.handshake_end.is_some());
}

#[test]
fn broken_variants() {
    let gap = seed("tls13_gap");
    assert!(gap.info.errors > 0);
    assert!(gap.gaps[1] > 0);
    assert!(gap.plaintext[0].starts_with(b"GET "));

    let flipped = seed("tls13_flipped");
    assert!(
        matches!(flipped.info.decryption, Decryption::Failed { records, .. } if records >= 1),
        "{:?}",
        flipped.info.decryption
    );
    assert!(flipped.gaps[1] > 0);

    let wrong = seed("tls12_wrong_key");
    assert!(
        matches!(wrong.info.decryption, Decryption::Failed { .. }),
        "{:?}",
        wrong.info.decryption
    );
    assert_eq!(wrong.plaintext_events, [0, 0]);

    let garbage = seed("garbage_header");
    assert!(garbage.info.errors > 0);

    let alert = seed("alert");
    assert_eq!(alert.info.alerts.len(), 1);
    assert_eq!(alert.info.alerts[0].level, "fatal");
    assert_eq!(alert.info.alerts[0].description, "handshake_failure");
}
