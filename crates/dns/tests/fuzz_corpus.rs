//! Replays every input of the `dns` fuzz corpus (`fuzz/corpus/dns/`) through the same
//! interpreter as the fuzz target, so that stable CI checks every input ever found, and
//! checks what the seeds must produce.
//!
//! The seeds are real messages captured between dig and dnsmasq (see `src/samples.rs`):
//! `seed_raw_*` one UDP payload each, `seed_pair_*` a query and its response framed as a
//! DNS-over-TCP stream, `seed_tcp_*` a captured DNS-over-TCP exchange.

use dns::fuzzing::{run, Report};
use dns::Outcome;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/dns")
}

fn seed(name: &str) -> Report {
    let path = corpus_dir().join(format!("seed_{name}"));
    run(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
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
    assert!(count > 0, "the dns corpus is empty");
}

#[test]
fn raw_seeds_parse() {
    let response = seed("raw_a_cname_response");
    let msg = response.parsed.expect("a real response parses");
    assert_eq!(msg.answers.len(), 2);
    // A query alone stays unanswered.
    let query = seed("raw_https_svc_query");
    assert!(query.parsed.is_ok());
    assert_eq!(query.lookups.len(), 1);
    assert_eq!(query.lookups[0].outcome, Outcome::NoAnswerSeen);
    let looping = seed("raw_self_pointer");
    assert!(looping.parsed.is_err());
    assert_eq!(looping.stats.malformed, 1);
}

#[test]
fn pair_seeds_make_lookups() {
    let pair = seed("pair_a_cname");
    assert_eq!(pair.lookups.len(), 1);
    assert_eq!(pair.lookups[0].outcome, Outcome::Answered);
    assert_eq!(
        pair.lookups[0].addresses,
        [IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))]
    );
    assert_eq!(seed("pair_nxdomain").lookups[0].outcome, Outcome::NxDomain);
    assert_eq!(seed("pair_refused").lookups[0].outcome, Outcome::Refused);
    let tcp = seed("tcp_a_cname");
    assert_eq!(
        tcp.lookups[0].answers,
        ["CNAME web.local.test", "A 127.0.0.2"]
    );
    let retry = seed("pair_retry_unanswered");
    assert_eq!(retry.lookups.len(), 1);
    assert_eq!(retry.lookups[0].attempts, 3);
    assert_eq!(retry.stats.retries, 2);
    // The input ends with the last attempt: not yet past the interpreter's 2 s timeout.
    assert_eq!(retry.lookups[0].outcome, Outcome::NoAnswerSeen);
}
