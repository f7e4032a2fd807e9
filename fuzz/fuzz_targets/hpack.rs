//! Decodes a sequence of HPACK header blocks with one decoder, via `http::hpack::fuzz_decode`
//! (byte 0: block separator, byte 1: allowed table size / 32, then the blocks).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    http::hpack::fuzz_decode(data);
});
