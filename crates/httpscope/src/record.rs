//! `httpscope record`: live capture with eBPF into the same [`Pipeline`] as `analyze`.
//!
//! The kernel side ([`live::Probes`]) decides which sockets belong to the traced processes
//! and copies their packets, with kernel timestamps, into a ring buffer. This module runs
//! or attaches to the processes, reads the ring buffer, turns each packet's socket into a
//! process ([`Attribution`]), feeds the packets to the engine as raw IP packets, and puts
//! the process on every transaction and connection record (and in the comment of every
//! packet of `--write-pcapng`). Loss is counted where it happens: packets dropped on a full
//! ring buffer or cut to their headers for fairness appear in the summary and, as a
//! `capture_loss` reason, on the transactions of the connection that lost them.
//!
//! For a launched command, TLS secrets come from the key log the command writes where
//! SSLKEYLOGFILE (and NODE_OPTIONS=--tls-keylog) point: a file in a private directory
//! (0700, the file 0600, owned by the user the command runs as), read as it grows and
//! removed at the end. Without keys (`-p`, `--all`, or `--tls-probes on`, which then
//! replaces the key log), TLS library probes ([`crate::tlsprobe`]) give the plaintext, which
//! goes through a second engine of the pipeline as synthetic TCP streams; its transactions
//! say which library they came from and keep the packet-level connect and TLS timing.
//!
//! The recording ends when the command exits (its status is ours), when the `-p` processes
//! are gone, on Ctrl-C or SIGTERM, or when the terminal view is closed; the capture is then
//! paused and the ring buffer read to the end, so that every output is complete.

use crate::analyze::tls_warnings;
use crate::cli::{RecordArgs, TlsProbes};
use crate::outfile::sudo_user;
use crate::pipeline::{KeyLogFile, Pipeline, PLAIN_IDS};
use crate::tlsprobe;
use anyhow::{bail, Context, Result};
use engine::{EngineConfig, Event};
use live::event::{self, Record};
use live::{Counters, Options, Probes};
use model::{Incomplete, IncompleteReason, Process, Timestamp};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wire::{Decoded, LinkType, Transport};

/// Sockets not seen for this long are forgotten (bounds memory on long recordings).
const SOCKET_IDLE: Duration = Duration::from_secs(300);
/// How long packets wait before going to the pcapng output, so that the secrets a client
/// writes after receiving a ServerHello still go before that packet.
const PCAPNG_DELAY_NS: i64 = 500_000_000;
/// SYNs remembered for the timing of connections accepted by traced servers.
const MAX_SYNS: usize = 65_536;
/// After the traced processes are gone, records still in flight are read for this long.
const DRAIN: Duration = Duration::from_millis(300);

pub fn run(args: &RecordArgs) -> Result<ExitCode> {
    // The report names the command with its credentials redacted, like every other text.
    let name = if !args.command.is_empty() {
        if args.output.show_secrets {
            args.command.join(" ")
        } else {
            output::redact_cmdline(&args.command).join(" ")
        }
    } else if args.all {
        "all processes".to_owned()
    } else {
        format!("pid {}", join(&args.pid))
    };
    crate::view::run(&args.output, name.clone(), true, |view| {
        record(args, name, view)
    })
}

/// The recording; `view` is the terminal view (`--tui`), which also gets the live loss
/// counters twice a second. With the view, the command's standard streams are closed (they
/// would garble the screen), and quitting the view stops the command (SIGTERM).
fn record(
    args: &RecordArgs,
    name: String,
    view: Option<crate::view::ViewSink>,
) -> Result<ExitCode> {
    if !args.command.is_empty() && (!args.pid.is_empty() || args.all) {
        bail!("give either a command after --, or -p, or --all, not several");
    }
    if args.pid.contains(&0) {
        bail!("-p 0 is not a process id");
    }
    for &pid in &args.pid {
        if !live::process::alive(pid) {
            bail!("-p {pid}: no such process");
        }
    }
    // The probes read x86-64 registers and syscall numbers.
    let probes_here = cfg!(target_arch = "x86_64");
    let tls_probes = match args.tls_probes {
        TlsProbes::On if !probes_here => {
            bail!("--tls-probes on: TLS library probes are only built for x86-64")
        }
        TlsProbes::On => true,
        TlsProbes::Off => false,
        TlsProbes::Auto => args.command.is_empty() && probes_here,
    };
    let mut probes = Probes::load(&Options {
        all: args.all,
        snaplen: args.snaplen,
        ports: args.port.clone(),
        ring_bytes: args.ring_buffer,
        tls_probes,
    })?;
    let mut libraries = tlsprobe::Libraries::default();
    if tls_probes {
        libraries.attach_system(&mut probes);
    }

    let mut config = EngineConfig::default();
    if let Some(bytes) = args.reassembly_buffer {
        config.flow.max_buffer_per_direction = bytes;
    }
    let feed = view.clone();
    let mut pipeline = Pipeline::new(&args.output, config, view)?;
    pipeline.delay_pcapng(PCAPNG_DELAY_NS);
    let mut keylogs = KeyFeed {
        files: args
            .keylog
            .iter()
            .map(|p| KeyLogFile::open(p))
            .collect::<Result<Vec<_>>>()?,
        read_at: 0,
    };

    let stop = Arc::new(AtomicBool::new(false));
    let signals = Arc::new(AtomicUsize::new(0));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .and_then(|_| {
                signal_hook::flag::register_usize(sig, Arc::clone(&signals), sig as usize)
            })
            .context("cannot handle Ctrl-C")?;
    }

    let mut private_keylog = None;
    let mut child = None;
    if args.command.is_empty() {
        for &pid in &args.pid {
            probes.trace(pid)?;
            for port in live::process::listening_ports(pid) {
                probes.listener(port, pid)?;
            }
            if tls_probes {
                let label = live::process::read(pid, "").label();
                libraries.scan(&mut probes, pid, &label);
            }
        }
    } else {
        let dir = if args.no_keylog || tls_probes {
            None
        } else {
            let dir = PrivateDir::create()?;
            keylogs.files.push(KeyLogFile::open(&dir.keylog)?);
            Some(dir)
        };
        child = Some(ChildGuard(launch(
            &args.command,
            dir.as_ref(),
            feed.is_some(),
            &mut probes,
        )?));
        private_keylog = dir;
    }

    let offset = live::monotonic_to_realtime_offset();
    let mut attribution = Attribution::new(
        args.output.write_pcapng.is_some(),
        &args.host,
        args.output.show_secrets,
    );
    let mut exit: Option<ExitCode> = None;
    let mut drain_until: Option<Instant> = None;
    let mut next_housekeeping = Instant::now();
    let mut next_view_update = Instant::now();
    let mut next_rescan = Instant::now();
    let mut forwarded_term = false;
    let mut interrupts = 0u32;
    let mut next_alive_check = Instant::now();
    let mut targets_gone = false;
    loop {
        pump(
            &mut probes,
            100,
            &mut attribution,
            offset,
            &mut pipeline,
            &mut keylogs,
        )?;
        let now = Instant::now();
        if tls_probes {
            for (pid, label) in attribution.take_new_processes() {
                libraries.scan(&mut probes, pid, &label);
            }
            if now >= next_rescan {
                // Libraries loaded later (dlopen) are probed at the next rescan.
                next_rescan = now + Duration::from_secs(1);
                for (pid, label) in attribution.recent_processes(now) {
                    libraries.scan(&mut probes, pid, &label);
                }
            }
        }
        if now >= next_housekeeping {
            next_housekeeping = now + Duration::from_millis(100);
            keylogs.read(pipeline.engine())?;
            attribution.forget_idle(now);
            if let Some(view) = &feed {
                if now >= next_view_update {
                    next_view_update = now + Duration::from_millis(500);
                    let mut stats = model::Stats::default();
                    let counters = probes.counters();
                    attribution.stats.fill(&mut stats, &counters);
                    view.stats(&stats, &live_losses(&counters));
                }
            }
        }
        if let Some(until) = drain_until {
            if now >= until {
                // Nothing more is copied; what the ring holds is read to the end.
                probes.pause()?;
                while pump(
                    &mut probes,
                    0,
                    &mut attribution,
                    offset,
                    &mut pipeline,
                    &mut keylogs,
                )? > 0
                {}
                break;
            }
            continue;
        }
        if stop.swap(false, Ordering::Relaxed) {
            interrupts += 1;
        }
        let view_closed = feed.as_ref().is_some_and(|v| v.closed());
        match child.as_mut().map(|c| &mut c.0) {
            Some(c) => {
                // Ctrl-C reaches the command from the terminal; SIGTERM, a second Ctrl-C and
                // closing the view stop it (SIGTERM).
                let term = signals.load(Ordering::Relaxed) == signal_hook::consts::SIGTERM as usize;
                if (term || interrupts >= 2 || view_closed) && !forwarded_term {
                    forwarded_term = true;
                    // SAFETY: kill sends a signal to our own child; no memory is involved.
                    unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
                }
                if let Some(status) = c.try_wait().context("cannot wait for the command")? {
                    exit = Some(exit_code(status));
                    drain_until = Some(now + DRAIN);
                }
            }
            None => {
                // Reading /proc for every target on every pass would cost more than the
                // capture: every 100 ms is enough.
                if now >= next_alive_check {
                    next_alive_check = now + Duration::from_millis(100);
                    targets_gone = !args.all && args.pid.iter().all(|&p| !live::process::alive(p));
                }
                if interrupts > 0 || targets_gone || view_closed {
                    drain_until = Some(now + DRAIN);
                }
            }
        }
    }
    keylogs.read(pipeline.engine())?;
    let counters = probes.counters();
    let hook_warnings = std::mem::take(&mut probes.warnings);
    drop(probes);
    drop(private_keylog);

    let no_keylog = args.keylog.is_empty() && (args.no_keylog || tls_probes);
    attribution.plaintext.abandon_all();
    attribution.note_plaintext_losses();
    let local = attribution.stats.clone();
    let probed_no_keys = Rc::clone(&attribution.probed_no_keys);
    let library_report = libraries.report(&attribution.labels());
    let adjust = |stats: &mut model::Stats, warnings: &mut Vec<String>| {
        warnings.extend(hook_warnings);
        // Connections read through the library probes were not missing their keys.
        // (Counted as the engine emits them, up to its last records at the end.)
        stats.tls.no_keys = stats.tls.no_keys.saturating_sub(probed_no_keys.get());
        if counters.plain_lost > 0 {
            warnings.push(format!(
                "{} TLS library record(s) ({} bytes of plaintext) were lost to a full ring buffer: raise --ring-buffer",
                counters.plain_lost, counters.plain_lost_bytes
            ));
        }
        if counters.plain_truncated_bytes > 0 {
            warnings.push(format!(
                "{} bytes of plaintext were beyond the 64 KiB copied per TLS library call",
                counters.plain_truncated_bytes
            ));
        }
        if local.plain_after_close > 0 {
            warnings.push(format!(
                "{} bytes of TLS library plaintext came after their connection had closed and were ignored (typically what a client writes or reads while closing, such as an HTTP/2 GOAWAY)",
                local.plain_after_close
            ));
        }
        if local.plain_unresolved > 0 {
            warnings.push(format!(
                "{} TLS library call(s) ({} bytes) could not be placed on a socket (none of its calls named it, or it closed before httpscope could look it up)",
                local.plain_unresolved, local.plain_unresolved_bytes
            ));
        }
        local.fill(stats, &counters);
        loss_warnings(&counters, &local, warnings);
        tls_warnings(stats, no_keylog, warnings);
        if stats.capture.packets == 0 {
            warnings.push(format!(
                "no packets were captured from {name}: it made no TCP or UDP traffic{}",
                if args.port.is_empty() && args.host.is_empty() {
                    String::new()
                } else {
                    " that passed --port/--host".to_owned()
                }
            ));
        }
    };
    let failed = pipeline.finish(name.clone(), adjust, &mut |e| attribution.annotate(e))?;
    if feed.is_none() {
        eprintln!("httpscope: {}", attribution.tcp_summary());
        for line in &library_report {
            eprintln!("httpscope: {line}");
        }
    }
    Ok(match exit {
        Some(code) => code,
        None if failed => ExitCode::from(3),
        None => ExitCode::SUCCESS,
    })
}

/// Hands the records the ring buffer has (waiting up to `timeout_ms` for some) to
/// `attribution`; returns how many.
fn pump(
    probes: &mut Probes,
    timeout_ms: i32,
    attribution: &mut Attribution,
    offset: i64,
    pipeline: &mut Pipeline,
    keylogs: &mut KeyFeed,
) -> Result<usize> {
    let mut error = None;
    let n = probes.poll(timeout_ms, |raw| {
        if error.is_none() {
            if let Err(e) = attribution.record(raw, offset, pipeline, keylogs) {
                error = Some(e);
            }
        }
    });
    error.map_or(Ok(n), Err)
}

/// The kernel-side losses by name, for the terminal view's always-visible counters.
fn live_losses(k: &Counters) -> Vec<(String, u64)> {
    vec![
        ("ring buffer full".to_owned(), k.ring_full),
        ("cut for fairness".to_owned(), k.truncated_fair),
        ("over snaplen".to_owned(), k.truncated_snap),
        ("owner records lost".to_owned(), k.owner_lost + k.close_lost),
    ]
}

/// The launched command: stopped (SIGTERM, then SIGKILL after 2 s) if the recording ends
/// before it does (an error, or the terminal view closed).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if !matches!(self.0.try_wait(), Ok(None)) {
            return;
        }
        // SAFETY: kill sends a signal to our own child; no memory is involved.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(2);
        while matches!(self.0.try_wait(), Ok(None)) {
            if Instant::now() >= deadline {
                let _ = self.0.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.wait();
    }
}

fn join(pids: &[u32]) -> String {
    pids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The command's exit status as ours: its code, or 128 + the signal that killed it.
fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(code.clamp(0, 255) as u8),
        (None, Some(sig)) => ExitCode::from((128 + sig).clamp(0, 255) as u8),
        (None, None) => ExitCode::from(1),
    }
}

/// Starts the command (its standard streams closed when `quiet`) so that it is traced from
/// its first instruction: httpscope traces itself while forking (the fork hook adds the
/// child), then stops tracing itself. Started through sudo, the command runs as the
/// invoking user.
fn launch(
    command: &[String],
    dir: Option<&PrivateDir>,
    quiet: bool,
    probes: &mut Probes,
) -> Result<Child> {
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..]);
    if quiet {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    }
    if let Some(dir) = dir {
        let path = dir.keylog.as_os_str();
        cmd.env("SSLKEYLOGFILE", path);
        let mut node = std::env::var_os("NODE_OPTIONS").unwrap_or_default();
        if !node.is_empty() {
            node.push(" ");
        }
        node.push("--tls-keylog=");
        node.push(path);
        cmd.env("NODE_OPTIONS", node);
    }
    if let Some((uid, gid)) = sudo_user() {
        cmd.uid(uid).gid(gid);
    }
    let me = std::process::id();
    probes.trace(me)?;
    let spawned = cmd.spawn();
    let untraced = probes.untrace(me);
    let child = spawned.with_context(|| format!("cannot run {}", command[0]))?;
    untraced?;
    Ok(child)
}

/// A private directory holding the command's key log, removed on drop.
struct PrivateDir {
    dir: PathBuf,
    keylog: PathBuf,
}

impl PrivateDir {
    fn create() -> Result<PrivateDir> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = base.join(format!("httpscope-{}-{nanos:x}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("cannot create the private directory {}", dir.display()))?;
        let keylog = dir.join("sslkeys.log");
        let made = PrivateDir { dir, keylog };
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&made.keylog)
            .with_context(|| format!("cannot create {}", made.keylog.display()))?;
        if let Some((uid, gid)) = sudo_user() {
            for p in [&made.dir, &made.keylog] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid))
                    .with_context(|| format!("cannot give {} to uid {uid}", p.display()))?;
            }
        }
        Ok(made)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The key logs of a recording. A client writes a session's secrets before it sends data
/// in it, so reading the files after a packet was captured and before the engine sees it
/// guarantees the keys are there: before each packet captured after the last read, the
/// files are read again (under load most packets are older than the last read and cost
/// nothing).
struct KeyFeed {
    files: Vec<KeyLogFile>,
    /// CLOCK_MONOTONIC time of the last read.
    read_at: u64,
}

impl KeyFeed {
    fn read(&mut self, engine: &mut engine::Engine) -> Result<()> {
        self.read_at = live::monotonic_now();
        for k in &mut self.files {
            k.read_new(engine)?;
        }
        Ok(())
    }

    fn before_packet(&mut self, captured: u64, engine: &mut engine::Engine) -> Result<()> {
        if !self.files.is_empty() && captured >= self.read_at {
            self.read(engine)?;
        }
        Ok(())
    }
}

/// What user space counted about the live capture.
#[derive(Clone, Debug, Default)]
struct LiveStats {
    packets: u64,
    packet_bytes: u64,
    snapped_packets: u64,
    snapped_bytes: u64,
    filtered_by_host: u64,
    bad_records: u64,
    sockets: u64,
    processes: u64,
    connects: u64,
    failed_connects: u64,
    connect_ns_total: u64,
    retransmits: u64,
    resets_in: u64,
    resets_out: u64,
    plain_unresolved: u64,
    plain_unresolved_bytes: u64,
    /// Plaintext bytes that came after their connection closed.
    plain_after_close: u64,
}

impl LiveStats {
    /// Puts the live capture's volume and losses where capture files put theirs.
    fn fill(&self, stats: &mut model::Stats, k: &Counters) {
        let c = &mut stats.capture;
        c.packets = self.packets;
        c.packet_bytes = self.packet_bytes;
        c.snapped_packets = self.snapped_packets;
        c.snapped_bytes = self.snapped_bytes;
        c.dropped_by_capture = k.ring_full + k.nested;
    }
}

fn loss_warnings(k: &Counters, s: &LiveStats, warnings: &mut Vec<String>) {
    if k.ring_full > 0 {
        warnings.push(format!(
            "{} packet(s) ({} bytes) were lost because the ring buffer was full: raise --ring-buffer (the affected requests say capture_loss)",
            k.ring_full, k.ring_full_bytes
        ));
    }
    if k.truncated_fair > 0 {
        warnings.push(format!(
            "{} packet(s) of busy connections were cut to their headers ({} payload bytes) so that the other connections kept theirs: raise --ring-buffer",
            k.truncated_fair, k.truncated_fair_bytes
        ));
    }
    if k.truncated_snap > 0 {
        warnings.push(format!(
            "{} packet(s) were longer than --snaplen ({} bytes not captured)",
            k.truncated_snap, k.truncated_snap_bytes
        ));
    }
    if k.nested > 0 {
        warnings.push(format!(
            "{} packet(s) were skipped because capture programs nested too deeply on one CPU",
            k.nested
        ));
    }
    if k.socks_full > 0 {
        warnings.push(format!(
            "{} socket(s) were not traced because the kernel's socket table was full",
            k.socks_full
        ));
    }
    if k.owner_lost + k.close_lost > 0 {
        warnings.push(format!(
            "{} socket ownership and {} socket close record(s) were lost to a full ring buffer: some requests may lack their process",
            k.owner_lost, k.close_lost
        ));
    }
    if s.bad_records > 0 {
        warnings.push(format!(
            "{} ring buffer record(s) could not be decoded",
            s.bad_records
        ));
    }
}

/// One traced socket, as user space knows it.
struct Socket {
    pid: u32,
    last_seen: Instant,
    /// Its addresses (local, remote) once a packet showed them.
    tuple: Option<(SocketAddr, SocketAddr)>,
    /// Packets of this socket the kernel dropped / cut to headers, as of its last packet.
    drops: u32,
    truncated: u32,
    /// The part of those already reported on a transaction.
    reported_loss: u32,
    /// When its SYN went (a connection traced from its start), and its first payload (the
    /// TLS ClientHello of an HTTPS client): the packet-level timing given to transactions
    /// read through TLS library probes.
    syn: Option<Timestamp>,
    hello: Option<Timestamp>,
}

impl Socket {
    fn new(pid: u32, now: Instant) -> Socket {
        Socket {
            pid,
            last_seen: now,
            tuple: None,
            drops: 0,
            truncated: 0,
            reported_loss: 0,
            syn: None,
            hello: None,
        }
    }
}

/// Socket → process, and process facts; annotates what the engine emits.
struct Attribution {
    /// `--show-secrets`: command lines are redacted otherwise (transactions are redacted by
    /// the outputs; connection records and pcapng comments here).
    show_secrets: bool,
    processes: HashMap<u32, Rc<Process>>,
    sockets: HashMap<u64, Socket>,
    /// Both orders of each socket's addresses → its cookie.
    tuples: HashMap<(SocketAddr, SocketAddr), u64>,
    /// Per-packet comments for the pcapng output, per pid.
    comments: Option<HashMap<u32, Rc<str>>>,
    hosts: Vec<IpAddr>,
    stats: LiveStats,
    per_process: HashMap<u32, u64>,
    /// The plaintext of TLS library probes.
    plaintext: tlsprobe::Plaintext,
    /// Processes seen since the last [`Attribution::take_new_processes`].
    new_processes: Vec<(u32, String)>,
    /// When each process was last seen.
    active: HashMap<u32, Instant>,
    /// SYNs seen, by (client, server), at most [`MAX_SYNS`] (then forgotten at once).
    syns: HashMap<(SocketAddr, SocketAddr), Timestamp>,
    /// TLS connection records without keys whose content came from library probes (shared
    /// with the end of the recording, which corrects the no-keys count).
    probed_no_keys: Rc<std::cell::Cell<u64>>,
}

impl Attribution {
    fn new(comments: bool, hosts: &[IpAddr], show_secrets: bool) -> Attribution {
        Attribution {
            show_secrets,
            processes: HashMap::new(),
            sockets: HashMap::new(),
            tuples: HashMap::new(),
            comments: comments.then(HashMap::new),
            hosts: hosts.to_vec(),
            stats: LiveStats::default(),
            per_process: HashMap::new(),
            plaintext: tlsprobe::Plaintext::default(),
            new_processes: Vec::new(),
            active: HashMap::new(),
            syns: HashMap::new(),
            probed_no_keys: Rc::default(),
        }
    }

    /// Handles one ring buffer record.
    fn record(
        &mut self,
        raw: &[u8],
        offset: i64,
        pipeline: &mut Pipeline,
        keys: &mut KeyFeed,
    ) -> Result<()> {
        let record = match event::parse(raw) {
            Ok(r) => r,
            Err(_) => {
                self.stats.bad_records += 1;
                return Ok(());
            }
        };
        match record {
            Record::Owner(o) => {
                self.owner(o.cookie, o.pid, &o.comm);
                Ok(())
            }
            Record::Plain(p) => {
                self.owner_process(p.pid, "");
                let mut packets = Vec::new();
                let sockets = &self.sockets;
                self.plaintext.record(
                    &p,
                    |cookie| sockets.get(&cookie).and_then(|s| s.tuple),
                    &mut |b, ns| packets.push((ns, b.to_vec())),
                );
                self.note_plaintext_losses();
                for (ns, packet) in packets {
                    let ts =
                        Timestamp(i64::try_from(ns).unwrap_or(i64::MAX).saturating_add(offset));
                    pipeline.plain_packet(ts, &packet, &mut |e| self.annotate(e))?;
                }
                Ok(())
            }
            Record::Closed(c) => {
                // Losses at the very end of a connection reach user space only here.
                let mut tuple = None;
                if let Some(socket) = self.sockets.get_mut(&c.cookie) {
                    socket.drops = socket.drops.max(c.drops);
                    socket.truncated = socket.truncated.max(c.truncated);
                    tuple = socket.tuple;
                }
                // The socket closed after its process's last library call on it (a close
                // follows the last read): the plaintext twin closes now. (The FIN packets may
                // come earlier, before the last read returned.)
                if let Some((local, remote)) = tuple {
                    let mut packets = Vec::new();
                    self.plaintext
                        .closed(local, remote, &mut |b| packets.push(b.to_vec()));
                    let ts = Timestamp(
                        i64::try_from(c.monotonic_ns)
                            .unwrap_or(i64::MAX)
                            .saturating_add(offset),
                    );
                    for packet in packets {
                        pipeline.plain_packet(ts, &packet, &mut |e| self.annotate(e))?;
                    }
                    self.plaintext.forget_pair(local, remote);
                }
                let s = &mut self.stats;
                if c.syn_ns != 0 {
                    s.connects += 1;
                }
                if c.failed_connect() {
                    s.failed_connects += 1;
                }
                s.connect_ns_total += c.connect_ns().unwrap_or(0);
                s.retransmits += u64::from(c.retransmits);
                s.resets_in += u64::from(c.resets_in);
                s.resets_out += u64::from(c.resets_out);
                Ok(())
            }
            Record::Packet(p) => {
                let needs_tuple = self
                    .sockets
                    .get(&p.cookie)
                    .is_none_or(|s| s.tuple.is_none());
                let addrs = if needs_tuple || !self.hosts.is_empty() {
                    addresses(p.data)
                } else {
                    None
                };
                if !self.hosts.is_empty()
                    && !addrs.is_some_and(|(a, b)| {
                        self.hosts.contains(&a.ip()) || self.hosts.contains(&b.ip())
                    })
                {
                    self.stats.filtered_by_host += 1;
                    return Ok(());
                }
                if p.pid != 0 {
                    self.owner(p.cookie, p.pid, "");
                }
                let now = Instant::now();
                let ts = Timestamp(
                    i64::try_from(p.monotonic_ns)
                        .unwrap_or(i64::MAX)
                        .saturating_add(offset),
                );
                let socket = self
                    .sockets
                    .entry(p.cookie)
                    .or_insert_with(|| Socket::new(p.pid, now));
                socket.last_seen = now;
                if socket.hello.is_none() {
                    match tcp_start(p.data) {
                        // A SYN reaches a server on its listening socket, whose accepted
                        // socket is another: SYNs are also kept by addresses.
                        Some((TcpStart::Syn, src, dst)) => {
                            if socket.syn.is_none() {
                                socket.syn = Some(ts);
                            }
                            if self.syns.len() >= MAX_SYNS {
                                self.syns.clear();
                            }
                            self.syns.insert((src, dst), ts);
                        }
                        Some((TcpStart::Payload, _, _)) => socket.hello = Some(ts),
                        None => {}
                    }
                }
                socket.drops = p.socket_drops;
                socket.truncated = p.socket_truncated;
                if socket.tuple.is_none() {
                    if let Some((src, dst)) = addrs {
                        let (local, remote) = match p.direction {
                            event::Direction::Egress => (src, dst),
                            event::Direction::Ingress => (dst, src),
                        };
                        socket.tuple = Some((local, remote));
                        self.tuples.insert((local, remote), p.cookie);
                        self.tuples.insert((remote, local), p.cookie);
                    }
                }
                let pid = socket.pid;
                self.stats.packets += 1;
                self.stats.packet_bytes += p.data.len() as u64;
                if (p.data.len() as u64) < u64::from(p.len) {
                    self.stats.snapped_packets += 1;
                    self.stats.snapped_bytes += u64::from(p.len) - p.data.len() as u64;
                }
                let comment = self.comment(pid);
                keys.before_packet(p.monotonic_ns, pipeline.engine())?;
                pipeline.packet(
                    ts,
                    LinkType::Raw,
                    p.data,
                    p.len,
                    comment.as_deref(),
                    &mut |e| self.annotate(e),
                )
            }
        }
    }

    /// Copies the plaintext side's loss counters into the recording's.
    fn note_plaintext_losses(&mut self) {
        self.stats.plain_unresolved = self.plaintext.unresolved;
        self.stats.plain_unresolved_bytes = self.plaintext.unresolved_bytes;
        self.stats.plain_after_close = self.plaintext.after_close();
    }

    /// Learns about a process (reading its facts the first time it is seen), from a socket
    /// it owns or a TLS library call it made.
    fn owner_process(&mut self, pid: u32, comm: &str) {
        self.active.insert(pid, Instant::now());
        // A thread's comm may differ from its process's: the pid alone says it is known.
        if !self.processes.contains_key(&pid) {
            let process = live::process::read(pid, comm);
            self.stats.processes += 1;
            self.new_processes.push((pid, process.label()));
            self.processes.insert(pid, Rc::new(process));
        }
    }

    /// Records that `pid` owns `cookie`, reading the process's facts the first time.
    fn owner(&mut self, cookie: u64, pid: u32, comm: &str) {
        self.owner_process(pid, comm);
        match self.sockets.get_mut(&cookie) {
            Some(s) => s.pid = pid,
            None => {
                self.stats.sockets += 1;
                self.sockets
                    .insert(cookie, Socket::new(pid, Instant::now()));
            }
        }
    }

    /// The pcapng comment naming the process of a packet (`None` without `--write-pcapng`
    /// or when the process is unknown).
    fn comment(&mut self, pid: u32) -> Option<Rc<str>> {
        let comments = self.comments.as_mut()?;
        if let Some(c) = comments.get(&pid) {
            return Some(Rc::clone(c));
        }
        let p = self.processes.get(&pid)?;
        let mut text = format!("pid={} comm={}", p.pid, p.comm);
        if let Some(exe) = &p.exe {
            text.push_str(&format!(" exe={exe}"));
        }
        if !p.cmdline.is_empty() {
            let cmdline = if self.show_secrets {
                p.cmdline.clone()
            } else {
                output::redact_cmdline(&p.cmdline)
            };
            text.push_str(&format!(" cmdline={}", cmdline.join(" ")));
        }
        if let Some(c) = &p.container {
            text.push_str(&format!(" container={c}"));
        }
        let text: Rc<str> = text.into();
        comments.insert(pid, Rc::clone(&text));
        Some(text)
    }

    /// Puts the process (and any capture loss of its connection) on what the engine emits,
    /// and the library on what was read through TLS library probes.
    fn annotate(&mut self, e: &mut Event) {
        let (client, server, plain) = match e {
            Event::Transaction(t) => (t.client, t.server, t.id > PLAIN_IDS),
            Event::Connection(c) => (c.client, c.server, c.id.0 > PLAIN_IDS),
            Event::Dns(_) => return,
        };
        let probed = self.plaintext.pairs.get(&(client, server)).copied();
        if let Some((library, _, _)) = probed {
            match e {
                Event::Transaction(t) if plain => t.source = Some(library.to_owned()),
                _ => {}
            }
        }
        // The packet-level record of a connection read through probes.
        if let (Event::Connection(c), false) = (&*e, plain) {
            let read = self.plaintext.probed.remove(&(client, server))
                | self.plaintext.probed.remove(&(server, client));
            if read
                && c.tls
                    .as_ref()
                    .is_some_and(|t| t.decryption == model::Decryption::NoKeys)
            {
                self.probed_no_keys.set(self.probed_no_keys.get() + 1);
            }
        }
        let socket = self
            .tuples
            .get(&(client, server))
            .and_then(|cookie| self.sockets.get_mut(cookie));
        if let (true, Some(s), Event::Transaction(t)) = (plain, socket.as_deref(), &mut *e) {
            let syn = s.syn.or_else(|| self.syns.remove(&(client, server)));
            packet_timing(t, syn, s.hello);
        }
        let Some(pid) = socket
            .as_ref()
            .map(|s| s.pid)
            .or(probed.map(|(_, pid, _)| pid))
        else {
            return;
        };
        let process = self.processes.get(&pid).map(|p| (**p).clone());
        match e {
            Event::Transaction(t) => {
                *self.per_process.entry(pid).or_default() += 1;
                t.process = process;
                // Packet loss does not touch what the library handed over.
                if let (false, Some(socket)) = (plain, socket) {
                    let lost = socket.drops + socket.truncated;
                    if lost > socket.reported_loss {
                        t.incomplete.push(Incomplete {
                            reason: IncompleteReason::CaptureLoss,
                            detail: format!(
                                "the live capture lost packets of this connection: {} dropped (ring buffer full), {} cut to headers (fairness) so far",
                                socket.drops, socket.truncated
                            ),
                        });
                        socket.reported_loss = lost;
                    }
                }
            }
            Event::Connection(c) => {
                c.process = process.map(|mut p| {
                    if !self.show_secrets {
                        p.cmdline = output::redact_cmdline(&p.cmdline);
                    }
                    p
                });
            }
            Event::Dns(_) => {}
        }
    }

    /// Processes seen for the first time since the last call, with their labels.
    fn take_new_processes(&mut self) -> Vec<(u32, String)> {
        std::mem::take(&mut self.new_processes)
    }

    /// Processes active in the last 10 s (at most 64, most recent first), for rescans.
    fn recent_processes(&self, now: Instant) -> Vec<(u32, String)> {
        let mut recent: Vec<(&u32, &Instant)> = self
            .active
            .iter()
            .filter(|(_, t)| now.duration_since(**t) < Duration::from_secs(10))
            .collect();
        recent.sort_by(|a, b| b.1.cmp(a.1));
        recent
            .into_iter()
            .take(64)
            .filter_map(|(pid, _)| self.processes.get(pid).map(|p| (*pid, p.label())))
            .collect()
    }

    /// `comm[pid]` of every process seen.
    fn labels(&self) -> HashMap<u32, String> {
        self.processes
            .iter()
            .map(|(pid, p)| (*pid, p.label()))
            .collect()
    }

    /// Forgets sockets idle for [`SOCKET_IDLE`], and processes that are gone and were idle as
    /// long (bounds memory on long recordings).
    fn forget_idle(&mut self, now: Instant) {
        if self.sockets.len() < 4096 && self.active.len() < 1024 {
            return;
        }
        let tuples = &mut self.tuples;
        self.sockets.retain(|cookie, s| {
            let keep = now.duration_since(s.last_seen) < SOCKET_IDLE;
            if !keep {
                if let Some((a, b)) = s.tuple {
                    // Only if the pair still means this socket (a reused port may map to a
                    // newer one).
                    for pair in [(a, b), (b, a)] {
                        if tuples.get(&pair) == Some(cookie) {
                            tuples.remove(&pair);
                        }
                    }
                }
            }
            keep
        });
        // Processes gone for a while: their facts stay only in what was already emitted.
        let processes = &mut self.processes;
        let comments = &mut self.comments;
        let plaintext = &mut self.plaintext;
        self.active.retain(|pid, seen| {
            let keep = now.duration_since(*seen) < SOCKET_IDLE || live::process::alive(*pid);
            if !keep {
                processes.remove(pid);
                if let Some(c) = comments.as_mut() {
                    c.remove(pid);
                }
                plaintext.forget_pid(*pid);
            }
            keep
        });
    }

    /// One line on the TCP facts the kernel reported and the processes seen.
    fn tcp_summary(&self) -> String {
        let s = &self.stats;
        let mut procs: Vec<(&u32, &u64)> = self.per_process.iter().collect();
        procs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let names: Vec<String> = procs
            .iter()
            .take(5)
            .map(|(pid, n)| {
                let label = self
                    .processes
                    .get(pid)
                    .map_or_else(|| format!("pid {pid}"), |p| p.label());
                format!("{label}: {n}")
            })
            .collect();
        let mean = if s.connects > s.failed_connects {
            format!(
                ", mean connect {:.2} ms",
                s.connect_ns_total as f64 / (s.connects - s.failed_connects) as f64 / 1e6
            )
        } else {
            String::new()
        };
        format!(
            "recorded {} packets of {} sockets from {} processes; TCP: {} connects ({} failed{mean}), {} retransmits, {} resets received, {} sent{}",
            s.packets,
            s.sockets,
            s.processes,
            s.connects,
            s.failed_connects,
            s.retransmits,
            s.resets_in,
            s.resets_out,
            if names.is_empty() {
                String::new()
            } else {
                format!("; requests by process: {}", names.join(", "))
            }
        ) + &match self.plaintext.connections() {
            0 => String::new(),
            n => format!("; {n} TLS connection(s) read through library probes"),
        }
    }
}

/// The first transaction of a connection read through TLS library probes starts at the
/// connection's SYN when its packets were captured from the start (on a client's socket, or
/// a traced server's listening socket): `connect` then runs from
/// the SYN to the first plaintext written (TCP and TLS handshakes), with `ssl` from the
/// ClientHello, as HAR counts them; later transactions keep the library calls' timing.
fn packet_timing(t: &mut model::Transaction, syn: Option<Timestamp>, hello: Option<Timestamp>) {
    let (Some(syn), Some(hello), Some(first)) = (syn, hello, t.times.request_start) else {
        return;
    };
    if t.position != 0 || syn > hello || hello > first || syn > t.start {
        return;
    }
    let connect = u64::try_from(first.0 - syn.0).unwrap_or(0);
    let ssl = u64::try_from(first.0 - hello.0).unwrap_or(0);
    // The synthetic handshake counted from `t.start` to the request: replaced.
    let before = u64::try_from(first.0 - t.start.0).unwrap_or(0);
    let tm = &mut t.timings;
    let already = tm.blocked.unwrap_or(0) + tm.connect.unwrap_or(0);
    if already > before {
        return;
    }
    tm.blocked = None;
    tm.dns = None;
    tm.connect = Some(connect);
    tm.ssl = Some(ssl);
    t.start = syn;
}

/// What an early packet of a TCP connection is.
enum TcpStart {
    /// A SYN without ACK (the client's first packet).
    Syn,
    /// A segment with payload.
    Payload,
}

/// What an early packet is, with its (source, destination).
fn tcp_start(data: &[u8]) -> Option<(TcpStart, SocketAddr, SocketAddr)> {
    match wire::decode(LinkType::Raw, data) {
        Ok(Decoded::Ip(ip)) => {
            let Transport::Tcp(t) = ip.transport else {
                return None;
            };
            let kind = if t.flags.syn() && !t.flags.ack() {
                TcpStart::Syn
            } else if !t.payload.is_empty() {
                TcpStart::Payload
            } else {
                return None;
            };
            Some((
                kind,
                SocketAddr::new(ip.src, t.src_port),
                SocketAddr::new(ip.dst, t.dst_port),
            ))
        }
        _ => None,
    }
}

/// Source and destination of an IP packet with TCP or UDP inside.
fn addresses(data: &[u8]) -> Option<(SocketAddr, SocketAddr)> {
    match wire::decode(LinkType::Raw, data) {
        Ok(Decoded::Ip(ip)) => {
            let (sp, dp) = match ip.transport {
                Transport::Tcp(t) => (t.src_port, t.dst_port),
                Transport::Udp(u) => (u.src_port, u.dst_port),
                _ => return None,
            };
            Some((SocketAddr::new(ip.src, sp), SocketAddr::new(ip.dst, dp)))
        }
        _ => None,
    }
}
