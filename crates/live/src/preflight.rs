//! What live capture needs from the machine, checked before anything is loaded so that a
//! missing privilege or kernel feature is reported as such (and not as a verifier error):
//! root or CAP_BPF + CAP_PERFMON + CAP_NET_ADMIN, kernel BTF, and a cgroup v2 hierarchy.

use aya::Btf;
use std::fs;
use std::path::PathBuf;
use thiserror::Error;

/// Why live capture cannot start (or go on). Each message says what to do.
#[derive(Debug, Error)]
pub enum LiveError {
    /// Missing privileges.
    #[error("{0}")]
    Privileges(String),
    /// A kernel feature is missing.
    #[error("{0}")]
    Kernel(String),
    /// The BPF object could not be loaded.
    #[error("cannot load the BPF programs: {0}")]
    Load(String),
    /// A hook could not be loaded or attached.
    #[error("the kernel refused the {hook} hook: {reason}\n(httpscope needs tp_btf tracepoints, cgroup_skb and cgroup/sock_create programs and ring buffers: Linux 5.8 or later with BTF)")]
    Hook {
        /// The hook (`tp_btf/...`, `cgroup_skb/...`).
        hook: String,
        /// The kernel's reason.
        reason: String,
    },
    /// An option the kernel side cannot honour.
    #[error("{0}")]
    Option(String),
}

const CAP_NET_ADMIN: u32 = 12;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The effective capability set from `/proc/self/status`.
pub fn parse_cap_eff(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

/// The capabilities live capture lacks, by name (empty when it has enough).
pub fn missing_caps(eff: u64) -> Vec<&'static str> {
    let has = |c: u32| eff & (1u64 << c) != 0;
    if has(CAP_SYS_ADMIN) && has(CAP_NET_ADMIN) {
        return Vec::new();
    }
    [
        (CAP_BPF, "CAP_BPF"),
        (CAP_PERFMON, "CAP_PERFMON"),
        (CAP_NET_ADMIN, "CAP_NET_ADMIN"),
    ]
    .into_iter()
    .filter(|&(c, _)| !has(c))
    .map(|(_, name)| name)
    .collect()
}

/// Fails unless the process may load and attach the programs.
pub fn privileges() -> Result<(), LiveError> {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = parse_cap_eff(&status).unwrap_or(0);
    let missing = missing_caps(eff);
    if missing.is_empty() {
        return Ok(());
    }
    Err(LiveError::Privileges(format!(
        "live capture needs root (or {}): run it with sudo, or grant them with `sudo setcap cap_bpf,cap_perfmon,cap_net_admin+ep $(command -v httpscope)`",
        missing.join(", ")
    )))
}

/// The running kernel's BTF, which CO-RE relocations and tp_btf programs need.
pub fn kernel_btf() -> Result<Btf, LiveError> {
    if fs::metadata("/sys/kernel/btf/vmlinux").is_err() {
        return Err(LiveError::Kernel(
            "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): live capture needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Linux 5.8 or later; most distributions enable it)".into(),
        ));
    }
    Btf::from_sys_fs().map_err(|e| {
        LiveError::Kernel(format!(
            "cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): {e}"
        ))
    })
}

/// The mount point of the cgroup v2 hierarchy, from a `/proc/self/mountinfo` text.
pub fn parse_cgroup2_mount(mountinfo: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|line| {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
        let (left, right) = line.split_once(" - ")?;
        let fstype = right.split_whitespace().next()?;
        let mut fields = left.split_whitespace();
        let root = fields.nth(3)?;
        let mount = fields.next()?;
        (fstype == "cgroup2" && root == "/").then(|| PathBuf::from(mount.replace("\\040", " ")))
    })
}

/// The cgroup v2 root the packet programs attach to (`/sys/fs/cgroup` on pure v2 systems,
/// `/sys/fs/cgroup/unified` on hybrid ones).
pub fn cgroup2_root() -> Result<PathBuf, LiveError> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    parse_cgroup2_mount(&mountinfo).ok_or_else(|| {
        LiveError::Kernel(
            "no cgroup v2 hierarchy is mounted: packets are captured by cgroup_skb programs at its root; mount it with `sudo mount -t cgroup2 none /sys/fs/cgroup/unified` (hybrid systems) and try again".into(),
        )
    })
}

/// Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK; newer ones do not, and raising it
/// fails without CAP_SYS_RESOURCE, so a failure is ignored.
pub fn raise_memlock() {
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads the struct we pass and nothing else.
    let _ = unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &unlimited) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities() {
        assert_eq!(
            parse_cap_eff("Name:\tx\nCapEff:\t000001ffffffffff\n"),
            Some(0x1ff_ffff_ffff)
        );
        assert!(missing_caps(0x1ff_ffff_ffff).is_empty());
        assert_eq!(
            missing_caps(0),
            vec!["CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN"]
        );
        let bpf_only = (1 << CAP_BPF) | (1 << CAP_PERFMON);
        assert_eq!(missing_caps(bpf_only), vec!["CAP_NET_ADMIN"]);
        assert_eq!(parse_cap_eff("nothing"), None);
    }

    #[test]
    fn cgroup2_mount() {
        let hybrid = "35 25 0:30 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n40 35 0:35 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";
        assert_eq!(
            parse_cgroup2_mount(hybrid),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
        let nested = "40 35 0:35 /sub /mnt/cg rw - cgroup2 cgroup2 rw\n";
        assert_eq!(parse_cgroup2_mount(nested), None);
        assert_eq!(parse_cgroup2_mount("garbage\n"), None);
    }
}
