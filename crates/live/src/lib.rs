//! Live capture on Linux with eBPF: the kernel programs (`bpf/httpscope.bpf.c`, compiled by
//! clang with CO-RE and committed as `bpf/httpscope.bpf.o`), their loader ([`Probes`]), the
//! records they produce ([`event`]), what the machine must offer ([`preflight`]), the
//! process facts read from `/proc` ([`process`]), Go binaries' TLS functions ([`golang`]),
//! and the turning of TLS library plaintext into packets for the engine ([`plain`]).
//!
//! This crate owns everything that touches the kernel for `httpscope record`; it hands raw
//! packets (IP layer, kernel timestamps) and socket/process facts to the binary, which feeds
//! them through the same engine as capture files. Its `unsafe` blocks (the BPF map value
//! layout, poll, clocks, rlimits) each carry a `// SAFETY:` comment; [`fuzzing`] is the body
//! of its fuzz targets.

mod bpf;
pub mod event;
pub mod fuzzing;
pub mod golang;
pub mod plain;
pub mod preflight;
pub mod process;

pub use bpf::{Counters, Options, Probes, TlsLibrary, MAX_PORTS, MAX_SNAPLEN, POLL_BATCH};
pub use preflight::LiveError;

/// CLOCK_MONOTONIC now, in nanoseconds (the clock of the kernel's packet timestamps).
pub fn monotonic_now() -> u64 {
    u64::try_from(clock(libc::CLOCK_MONOTONIC)).unwrap_or(0)
}

fn clock(id: libc::clockid_t) -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid `ts`.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// The offset to add to a CLOCK_MONOTONIC time (the kernel's `bpf_ktime_get_ns`) to get
/// nanoseconds since the Unix epoch, measured now.
pub fn monotonic_to_realtime_offset() -> i64 {
    let now = clock;
    // Realtime read between two monotonic reads; the midpoint bounds the error by half the
    // span (well under a microsecond).
    let m1 = now(libc::CLOCK_MONOTONIC);
    let r = now(libc::CLOCK_REALTIME);
    let m2 = now(libc::CLOCK_MONOTONIC);
    r - (m1 + (m2 - m1) / 2)
}
