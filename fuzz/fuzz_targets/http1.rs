//! Drives one HTTP/1.x connection with a sequence of (direction, data | gap | end) operations
//! decoded by `http::fuzzing`, then finishes it; also runs content detection on the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = http::fuzzing::run(data);
});
