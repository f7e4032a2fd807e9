//! Fuzzes the decoder of the records httpscope's BPF programs write into the ring buffer
//! (`live::event::parse`; the corpus replay test crates/live/tests/fuzz_corpus.rs runs the
//! same body on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    live::event::fuzz(data);
});
