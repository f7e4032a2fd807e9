//! Drives one TLS connection with a sequence of (direction, data | gap) and key log operations
//! decoded by `tls::fuzzing`, checking that event offsets stay contiguous per direction.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tls::fuzzing::run(data);
});
