//! Loading, configuring and attaching the BPF programs of `bpf/httpscope.bpf.c`, and reading
//! what they produce (ring buffer records and loss counters).
//!
//! The compiled object is part of the binary (`include_bytes!`), so a fresh machine needs
//! nothing but Rust to build httpscope; `scripts/build-bpf.sh` rebuilds it from the C source
//! and CI fails when the committed object is stale.
//!
//! Every program is attached through a BPF link owned by [`Probes`]: dropping it (normal
//! exit, Ctrl-C, SIGTERM handled by the caller) detaches everything, and the kernel detaches
//! the links of a process that dies. cgroup programs are attached through links too, which
//! stack with other programs on the same cgroup, so several recordings can run at once.

use crate::preflight::{self, LiveError};
use aya::maps::{Array, HashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::{
    uprobe::{UProbeAttachLocation, UProbeScope},
    BtfTracePoint, CgroupAttachMode, CgroupSkb, CgroupSkbAttachType, CgroupSock, ProgramError,
    UProbe,
};
use aya::{Ebpf, EbpfLoader, Pod};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd};
use std::path::PathBuf;

/// The compiled BPF object (see `scripts/build-bpf.sh`).
static OBJECT: &[u8] = include_bytes!("../bpf/httpscope.bpf.o");

/// Longest packet the programs copy whole (`MAX_SNAP` in the C source).
pub const MAX_SNAPLEN: u32 = 65_536;
/// Ports `--port` may name at most (`MAX_PORTS`).
pub const MAX_PORTS: usize = 8;
/// Most records [`Probes::poll`] hands over per call.
pub const POLL_BATCH: usize = 4096;
/// Nesting levels per CPU (`MAX_NEST`).
const MAX_NEST: u32 = 4;

/// Mirrors `struct config`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Config {
    all: u32,
    snaplen: u32,
    nports: u32,
    ports: [u16; MAX_PORTS],
    paused: u32,
}

// SAFETY: `Config` is `repr(C)`, made of integers only, with no padding the kernel could
// misread (3 × u32 + 8 × u16 + u32 = 32 bytes, 4-aligned), exactly like `struct config`.
unsafe impl Pod for Config {}

/// The kernel-side loss and volume counters (`enum counter` in the C source), summed over
/// CPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Packets copied into the ring buffer (or attempted).
    pub packets: u64,
    /// Their lengths.
    pub packet_bytes: u64,
    /// Packets dropped because the ring buffer was full.
    pub ring_full: u64,
    /// Bytes of those packets.
    pub ring_full_bytes: u64,
    /// Packets cut to their headers because their socket used more than its share.
    pub truncated_fair: u64,
    /// Payload bytes lost that way.
    pub truncated_fair_bytes: u64,
    /// Packets longer than the snap length.
    pub truncated_snap: u64,
    /// Bytes beyond the snap length.
    pub truncated_snap_bytes: u64,
    /// Sockets that could not be recorded because the socket map was full.
    pub socks_full: u64,
    /// Owner records lost to a full ring buffer.
    pub owner_lost: u64,
    /// Close records lost to a full ring buffer.
    pub close_lost: u64,
    /// Packets skipped because programs nested deeper than the scratch buffers allow.
    pub nested: u64,
    /// TLS library calls whose plaintext was copied.
    pub plain: u64,
    /// Their bytes.
    pub plain_bytes: u64,
    /// Plaintext records lost to a full ring buffer.
    pub plain_lost: u64,
    /// Their bytes.
    pub plain_lost_bytes: u64,
    /// Plaintext bytes beyond the 64 KiB copied per call.
    pub plain_truncated_bytes: u64,
    /// Packets or plaintext records whose bytes could not be copied (dropped).
    pub copy_failed: u64,
}

/// What to capture.
#[derive(Clone, Debug)]
pub struct Options {
    /// Every process on the machine, not only traced pids.
    pub all: bool,
    /// Bytes copied per packet (0 = [`MAX_SNAPLEN`]).
    pub snaplen: u32,
    /// Only packets with one of these local or remote ports (DNS always passes); empty = all.
    pub ports: Vec<u16>,
    /// Ring buffer size in bytes (a power of two, at least one page).
    pub ring_bytes: u32,
    /// Load the TLS library probes ([`Probes::probe_library`] attaches them per library).
    pub tls_probes: bool,
}

/// A TLS library httpscope can read plaintext from, with the functions it probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsLibrary {
    /// OpenSSL 1.1/3.x and BoringSSL: `SSL_write`, `SSL_read` and their `_ex` forms.
    OpenSsl,
    /// GnuTLS: `gnutls_record_send`, `gnutls_record_recv`.
    GnuTls,
}

impl TlsLibrary {
    /// The library a mapped file is, by its name (`libssl.so.3`, `libgnutls.so.30`, ...).
    pub fn from_file_name(name: &str) -> Option<TlsLibrary> {
        if name.starts_with("libssl.so") || name.starts_with("libboringssl") {
            Some(TlsLibrary::OpenSsl)
        } else if name.starts_with("libgnutls.so") {
            Some(TlsLibrary::GnuTls)
        } else {
            None
        }
    }

    /// (symbol, entry program) pairs; every one also gets the shared return probe.
    fn functions(self) -> &'static [(&'static str, &'static str)] {
        match self {
            TlsLibrary::OpenSsl => &[
                ("SSL_write", "ssl_write"),
                ("SSL_write_ex", "ssl_write_ex"),
                ("SSL_read", "ssl_read"),
                ("SSL_read_ex", "ssl_read_ex"),
            ],
            TlsLibrary::GnuTls => &[
                ("gnutls_record_send", "gnutls_send"),
                ("gnutls_record_recv", "gnutls_recv"),
            ],
        }
    }

    /// The library's name for people.
    pub fn name(self) -> &'static str {
        match self {
            TlsLibrary::OpenSsl => "OpenSSL",
            TlsLibrary::GnuTls => "GnuTLS",
        }
    }
}

/// The loaded and attached programs and the maps user space talks to.
pub struct Probes {
    // Owns the programs and their links: dropping it detaches everything.
    _ebpf: Ebpf,
    /// The configuration map and what was written to it.
    config: (Array<MapData, Config>, Config),
    ring: RingBuf<MapData>,
    traced: HashMap<MapData, u32, u8>,
    listen_ports: HashMap<MapData, u16, u32>,
    counters: PerCpuArray<MapData, u64>,
    /// Where the cgroup programs are attached.
    pub cgroup: PathBuf,
    /// Optional hooks this kernel refused, each with what is lost without it.
    pub warnings: Vec<String>,
}

impl Probes {
    /// Checks privileges and kernel features, loads the programs and attaches them. Fails
    /// with a message that says what is missing and what to do.
    pub fn load(opts: &Options) -> Result<Probes, LiveError> {
        preflight::privileges()?;
        let btf = preflight::kernel_btf()?;
        let cgroup = preflight::cgroup2_root()?;
        preflight::raise_memlock();
        if opts.ports.len() > MAX_PORTS {
            return Err(LiveError::Option(format!(
                "at most {MAX_PORTS} ports can be filtered on, {} given",
                opts.ports.len()
            )));
        }
        if !opts.ring_bytes.is_power_of_two() || opts.ring_bytes < 4096 {
            return Err(LiveError::Option(format!(
                "the ring buffer size must be a power of two of at least 4096 bytes, not {}",
                opts.ring_bytes
            )));
        }
        let cpus = aya::util::nr_cpus()
            .map_err(|(what, e)| LiveError::Kernel(format!("cannot count CPUs ({what}): {e}")))?;
        let scratch = u32::try_from(cpus)
            .ok()
            .and_then(|c| c.checked_mul(MAX_NEST))
            .ok_or_else(|| LiveError::Kernel(format!("{cpus} CPUs are too many")))?;
        let mut ebpf = EbpfLoader::new()
            .btf(Some(&btf))
            .map_max_entries("events", opts.ring_bytes)
            .map_max_entries("scratch", scratch)
            .map_max_entries("plain_scratch", scratch)
            .load(OBJECT)
            .map_err(|e| LiveError::Load(format!("{e:#}")))?;

        let mut config = Config {
            all: u32::from(opts.all),
            snaplen: opts.snaplen.min(MAX_SNAPLEN),
            nports: opts.ports.len() as u32,
            ports: [0; MAX_PORTS],
            paused: 0,
        };
        config.ports[..opts.ports.len()].copy_from_slice(&opts.ports);
        let mut cfg: Array<_, Config> = take(&mut ebpf, "config")?;
        cfg.set(0, config, 0)
            .map_err(|e| LiveError::Load(format!("cannot configure the programs: {e}")))?;
        let config_map = (cfg, config);

        let mut warnings = Vec::new();
        // (program and tracepoint, what is lost without it; None = required)
        for (tracepoint, without) in [
            ("sched_process_fork", None),
            ("sched_process_exit", None),
            ("inet_sock_set_state", None),
            ("sock_send_length", Some("sockets a traced process did not create or connect itself (accepted, inherited, opened before the recording) are attributed only through listening ports")),
            ("sock_recv_length", Some("as for sock_send_length")),
            ("tcp_retransmit_skb", Some("retransmissions are not counted per socket")),
            ("tcp_receive_reset", Some("resets received are not counted per socket")),
            ("tcp_send_reset", Some("resets sent are not counted per socket")),
        ] {
            let p: &mut BtfTracePoint = program(&mut ebpf, tracepoint)?;
            let attached = p
                .load(tracepoint, &btf)
                .and_then(|()| p.attach().map(drop))
                .map_err(|e| hook_error(&format!("tp_btf/{tracepoint}"), e));
            match (attached, without) {
                (Ok(()), _) => {}
                (Err(e), None) => return Err(e),
                (Err(e), Some(lost)) => warnings.push(format!("{e}; going on without it: {lost}")),
            }
        }
        if opts.tls_probes {
            let p: &mut BtfTracePoint = program(&mut ebpf, "sys_enter")?;
            p.load("sys_enter", &btf)
                .and_then(|()| p.attach().map(drop))
                .map_err(|e| hook_error("tp_btf/sys_enter", e))?;
            for (_, prog) in TlsLibrary::OpenSsl
                .functions()
                .iter()
                .chain(TlsLibrary::GnuTls.functions())
                .chain(&[
                    ("", "tls_return"),
                    ("", "go_write"),
                    ("", "go_read"),
                    ("", "go_return"),
                    ("", "go_write_stack"),
                    ("", "go_read_stack"),
                    ("", "go_return_stack"),
                ])
            {
                let p: &mut UProbe = program(&mut ebpf, prog)?;
                p.load()
                    .map_err(|e| hook_error(&format!("uprobe {prog}"), e))?;
            }
        }
        let cg = File::open(&cgroup).map_err(|e| {
            LiveError::Kernel(format!(
                "cannot open the cgroup v2 root {}: {e}",
                cgroup.display()
            ))
        })?;
        let p: &mut CgroupSock = program(&mut ebpf, "sock_create")?;
        p.load()
            .and_then(|()| p.attach(cg.as_fd(), CgroupAttachMode::Single).map(drop))
            .map_err(|e| hook_error("cgroup/sock_create", e))?;
        for (prog, kind) in [
            ("skb_egress", CgroupSkbAttachType::Egress),
            ("skb_ingress", CgroupSkbAttachType::Ingress),
        ] {
            let p: &mut CgroupSkb = program(&mut ebpf, prog)?;
            p.load()
                .and_then(|()| {
                    p.attach(cg.as_fd(), kind, CgroupAttachMode::Single)
                        .map(drop)
                })
                .map_err(|e| hook_error(&format!("cgroup_skb/{prog}"), e))?;
        }

        Ok(Probes {
            config: config_map,
            ring: take(&mut ebpf, "events")?,
            traced: take(&mut ebpf, "traced")?,
            listen_ports: take(&mut ebpf, "listen_ports")?,
            counters: take(&mut ebpf, "counters")?,
            _ebpf: ebpf,
            cgroup,
            warnings,
        })
    }

    /// Traces a process (and, from now on, its descendants).
    pub fn trace(&mut self, pid: u32) -> Result<(), LiveError> {
        self.traced
            .insert(pid, 1, 0)
            .map_err(|e| LiveError::Kernel(format!("cannot trace pid {pid}: {e}")))
    }

    /// Attaches the TLS library probes to the library file at `path` (for a process in
    /// another mount namespace, `/proc/PID/root/...`). Returns the functions probed; fails
    /// with the reason when none could be (symbols missing, stripped, or refused).
    pub fn probe_library(
        &mut self,
        path: &std::path::Path,
        library: TlsLibrary,
    ) -> Result<Vec<&'static str>, LiveError> {
        let mut probed = Vec::new();
        let mut errors = Vec::new();
        for &(symbol, prog) in library.functions() {
            let entry = program::<UProbe>(&mut self._ebpf, prog).and_then(|p| {
                p.attach(symbol, path, UProbeScope::AllProcesses)
                    .map_err(|e| hook_error(&format!("uprobe {symbol}"), e))
            });
            let entry = match entry {
                Ok(link) => link,
                Err(e) => {
                    errors.push(format!("{symbol}: {e}"));
                    continue;
                }
            };
            let ret = program::<UProbe>(&mut self._ebpf, "tls_return").and_then(|p| {
                p.attach(symbol, path, UProbeScope::AllProcesses)
                    .map_err(|e| hook_error(&format!("uretprobe {symbol}"), e))
            });
            match ret {
                Ok(_) => probed.push(symbol),
                Err(e) => {
                    // An entry without its return would only fill the calls map.
                    if let Ok(p) = program::<UProbe>(&mut self._ebpf, prog) {
                        let _ = p.detach(entry);
                    }
                    errors.push(format!("{symbol}: {e}"));
                }
            }
        }
        if probed.is_empty() {
            return Err(LiveError::Option(format!(
                "no {} function of {} could be probed ({})",
                library.name(),
                path.display(),
                errors.join("; ")
            )));
        }
        Ok(probed)
    }

    /// Attaches the Go TLS probes to the Go binary at `path`: entry probes on
    /// `crypto/tls.(*Conn).Write` and `Read`, and a probe on each of their return
    /// instructions. Returns how many probes were attached.
    pub fn probe_go(
        &mut self,
        path: &std::path::Path,
        go: &crate::golang::GoTls,
    ) -> Result<usize, LiveError> {
        let (write, read, ret) = if go.register_abi {
            ("go_write", "go_read", "go_return")
        } else {
            ("go_write_stack", "go_read_stack", "go_return_stack")
        };
        let mut attached = 0;
        for (symbol, entry, returns) in [
            (crate::golang::WRITE, write, &go.write_returns),
            (crate::golang::READ, read, &go.read_returns),
        ] {
            if returns.is_empty() {
                return Err(LiveError::Option(format!(
                    "{symbol} in {} has no return instruction httpscope could find",
                    path.display()
                )));
            }
            program::<UProbe>(&mut self._ebpf, entry)?
                .attach(symbol, path, UProbeScope::AllProcesses)
                .map_err(|e| hook_error(&format!("uprobe {symbol}"), e))?;
            attached += 1;
            for &offset in returns {
                program::<UProbe>(&mut self._ebpf, ret)?
                    .attach(
                        UProbeAttachLocation::SymbolOffset(symbol, offset),
                        path,
                        UProbeScope::AllProcesses,
                    )
                    .map_err(|e| hook_error(&format!("uprobe {symbol}+{offset:#x}"), e))?;
                attached += 1;
            }
        }
        Ok(attached)
    }

    /// Stops copying packets and plaintext (the end of a recording): what is already in the
    /// ring buffer can then be read to the end, which a busy ring would never reach.
    pub fn pause(&mut self) -> Result<(), LiveError> {
        let (map, mut config) = (&mut self.config.0, self.config.1);
        config.paused = 1;
        map.set(0, config, 0)
            .map_err(|e| LiveError::Kernel(format!("cannot pause the capture: {e}")))
    }

    /// Stops tracing a process (its descendants started meanwhile stay traced).
    pub fn untrace(&mut self, pid: u32) -> Result<(), LiveError> {
        self.traced
            .remove(&pid)
            .map_err(|e| LiveError::Kernel(format!("cannot stop tracing pid {pid}: {e}")))
    }

    /// Attributes connections accepted on local TCP `port` to `pid` (a server that listened
    /// before the recording began).
    pub fn listener(&mut self, port: u16, pid: u32) -> Result<(), LiveError> {
        self.listen_ports
            .insert(port, pid, 0)
            .map_err(|e| LiveError::Kernel(format!("cannot register port {port}: {e}")))
    }

    /// Waits up to `timeout_ms` for records, then hands the available ones to `f`, at most
    /// [`POLL_BATCH`] (so that a ring that never empties under load does not keep the caller
    /// from its other work). Returns how many were handed over.
    pub fn poll(&mut self, timeout_ms: i32, mut f: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        while n < POLL_BATCH {
            let Some(item) = self.ring.next() else { break };
            f(&item);
            n += 1;
        }
        if n > 0 {
            return n;
        }
        let mut fds = [libc::pollfd {
            fd: self.ring.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: `fds` is a valid array of one pollfd for the duration of the call, and
        // the ring buffer's descriptor stays open while `self` is borrowed.
        unsafe { libc::poll(fds.as_mut_ptr(), 1, timeout_ms) };
        while n < POLL_BATCH {
            let Some(item) = self.ring.next() else { break };
            f(&item);
            n += 1;
        }
        n
    }

    /// The kernel-side counters, summed over CPUs.
    pub fn counters(&self) -> Counters {
        let get = |i: u32| -> u64 {
            self.counters
                .get(&i, 0)
                .map(|v| v.iter().sum())
                .unwrap_or(0)
        };
        Counters {
            packets: get(0),
            packet_bytes: get(1),
            ring_full: get(2),
            ring_full_bytes: get(3),
            truncated_fair: get(4),
            truncated_fair_bytes: get(5),
            truncated_snap: get(6),
            truncated_snap_bytes: get(7),
            socks_full: get(8),
            owner_lost: get(9),
            close_lost: get(10),
            nested: get(11),
            plain: get(12),
            plain_bytes: get(13),
            plain_lost: get(14),
            plain_lost_bytes: get(15),
            plain_truncated_bytes: get(16),
            copy_failed: get(17),
        }
    }
}

fn program<'a, T>(ebpf: &'a mut Ebpf, name: &str) -> Result<&'a mut T, LiveError>
where
    &'a mut T: TryFrom<&'a mut aya::programs::Program, Error = ProgramError>,
{
    ebpf.program_mut(name)
        .ok_or_else(|| LiveError::Load(format!("the BPF object has no program {name}")))?
        .try_into()
        .map_err(|e: ProgramError| LiveError::Load(format!("program {name}: {e}")))
}

fn take<T: TryFrom<aya::maps::Map, Error = aya::maps::MapError>>(
    ebpf: &mut Ebpf,
    name: &str,
) -> Result<T, LiveError> {
    let map = ebpf
        .take_map(name)
        .ok_or_else(|| LiveError::Load(format!("the BPF object has no map {name}")))?;
    T::try_from(map).map_err(|e| LiveError::Load(format!("map {name}: {e}")))
}

/// Names the hook that could not be loaded or attached, with the verifier's or kernel's
/// reason.
fn hook_error(hook: &str, e: ProgramError) -> LiveError {
    let mut msg = format!("{e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    LiveError::Hook {
        hook: hook.to_owned(),
        reason: msg,
    }
}
