//! Fuzzes DNS: the input is decoded with `dns::parse` and fed to a `dns::Tracker`, whole and
//! as a DNS-over-TCP stream (format and properties in `dns::fuzzing`, which the corpus replay
//! test crates/dns/tests/fuzz_corpus.rs runs on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dns::fuzzing::run(data);
});
