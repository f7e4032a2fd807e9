//! Fuzzes TCP reassembly: the input is a sequence of synthetic segments over three
//! connections (format in `flow::fuzzing`), and every event sequence must keep the invariants
//! checked there (contiguous offsets per direction, nothing after `Close`, ...).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| flow::fuzzing::run(data));
