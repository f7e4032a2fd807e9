//! Drives one HTTP/2 connection (`http::h2::H2Connection`) with a start mode and a sequence of
//! (direction, data | gap | end) operations decoded by `http::h2::fuzz_ops`, then finishes it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    http::h2::fuzz_ops(data);
});
