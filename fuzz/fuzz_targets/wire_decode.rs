//! Fuzz target for `wire::decode`: the first byte picks a link type, the rest is the frame.
//! The properties checked live in `wire::fuzzing` so that the corpus replay test
//! (crates/wire/tests/fuzz_corpus.rs) runs exactly the same code on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wire::fuzzing::decode_input(data);
});
