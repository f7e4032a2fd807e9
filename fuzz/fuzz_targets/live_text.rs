//! Fuzzes what live capture parses from the kernel and `/proc` (status, cmdline, cgroup,
//! net/tcp, maps, mountinfo, Go build info and code, ring buffer records): `live::fuzzing::run`,
//! which the corpus replay test crates/live/tests/fuzz_corpus.rs runs on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    live::fuzzing::run(data);
});
