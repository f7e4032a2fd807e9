//! Fuzz target for `capture::CaptureReader`: the input is a whole capture file, read through
//! `from_reader`, every block iterated and every packet decoded with `wire::decode`. The
//! properties checked live in `capture::fuzzing` so that the corpus replay test
//! (crates/capture/tests/fuzz_corpus.rs) runs exactly the same code on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    capture::fuzzing::read_input(data);
});
