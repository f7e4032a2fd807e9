//! The body of the `live_text` fuzz target, shared with the corpus replay test: every parser
//! of what the kernel and `/proc` hand to user space, on arbitrary bytes. Not part of the
//! stable API.

use std::collections::HashSet;

/// Runs every `/proc` text parser, the Go binary inspection and the ring buffer record
/// decoder over `data`; none may panic.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::process::parse_status(&text);
    let _ = crate::process::parse_cmdline(data);
    if let Some(path) = crate::process::parse_cgroup(&text) {
        let _ = crate::process::container_id(&path);
    }
    let inodes: HashSet<u64> = [1, 4242, u64::MAX].into();
    let _ = crate::process::parse_listening(&text, &inodes);
    let _ = crate::process::parse_socket(&text, 4242);
    let _ = crate::process::parse_tls_libraries(&text);
    let _ = crate::preflight::parse_cap_eff(&text);
    let _ = crate::preflight::parse_cgroup2_mount(&text);
    let _ = crate::golang::go_version(data);
    let _ = crate::golang::returns(data, 0x40_0000);
    let _ = crate::golang::parse(data);
    crate::event::fuzz(data);
}
