//! `record --tls-probes`: HTTPS without keys, from the TLS libraries of the traced processes.
//!
//! [`Libraries`] finds the TLS libraries (OpenSSL/BoringSSL `libssl`, GnuTLS) that the system
//! provides and that each traced process maps (`/proc/PID/maps`, reached through
//! `/proc/PID/root` so that containers' copies are found), and Go executables with
//! crypto/tls ([`live::golang`]), attaches the probes once per file, and remembers for the report which were probed, which failed and why, and
//! which processes used which — never a silent fallback. [`Plaintext`] turns the probes'
//! records into packets for the pipeline's plaintext engine: it finds each library
//! connection's socket from the fd the library used (`/proc/PID/fd` and `/proc/PID/net/tcp`;
//! a new socket behind the same library object starts a new connection),
//! decides who is the client (the process, unless it listens on the local port), and
//! remembers which address pairs were read that way, so that their transactions say so and
//! their still-encrypted packets are not reported as missing keys.

use live::event::Plain;
use live::plain::{Endpoint, Streams};
use live::{Probes, TlsLibrary};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Where distributions put the shared TLS libraries; probed at start so that a process is
/// covered from its first TLS call even before httpscope reads its maps.
const SYSTEM_LIBRARIES: [&str; 8] = [
    "/usr/lib/x86_64-linux-gnu/libssl.so.3",
    "/usr/lib/x86_64-linux-gnu/libssl.so.1.1",
    "/usr/lib/x86_64-linux-gnu/libgnutls.so.30",
    "/usr/lib64/libssl.so.3",
    "/usr/lib64/libssl.so.1.1",
    "/usr/lib64/libgnutls.so.30",
    "/usr/lib/libssl.so.3",
    "/usr/lib/libgnutls.so.30",
];

/// What happened to one library file.
#[derive(Debug)]
struct Library {
    path: String,
    kind: TlsLibrary,
    outcome: Result<Vec<&'static str>, String>,
    users: BTreeMap<u32, String>,
    /// Users beyond [`MAX_USERS`].
    more_users: u64,
}

/// What happened to one Go executable.
#[derive(Debug)]
struct GoBinary {
    path: String,
    /// The Go version and the probes attached, or why not.
    outcome: Result<(String, usize), String>,
    users: BTreeMap<u32, String>,
    /// Users beyond [`MAX_USERS`].
    more_users: u64,
}

/// Processes whose maps were read that are remembered for the report (past it, only the
/// living ones are kept).
const MAX_SCANNED: usize = 65_536;

/// Processes named per library in the report; the others are counted.
const MAX_USERS: usize = 50;

fn note_user(users: &mut BTreeMap<u32, String>, more: &mut u64, pid: u32, label: &str) {
    if users.contains_key(&pid) {
        return;
    }
    if users.len() < MAX_USERS {
        users.insert(pid, label.to_owned());
    } else {
        *more += 1;
    }
}

/// The users of a library or binary for the report.
fn users_text(users: &BTreeMap<u32, String>, more: u64) -> String {
    let names: Vec<&str> = users.values().map(String::as_str).collect();
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// Library files probed (by device and inode), and who uses them.
#[derive(Default)]
pub struct Libraries {
    files: HashMap<(u64, u64), Library>,
    /// Go executables (by device and inode); `None` for executables that are not Go.
    go: HashMap<(u64, u64), Option<GoBinary>>,
    /// Processes whose maps were read, and whether they map any TLS library.
    scanned: HashMap<u32, bool>,
}

impl Libraries {
    /// Probes the system's shared TLS libraries.
    pub fn attach_system(&mut self, probes: &mut Probes) {
        for path in SYSTEM_LIBRARIES {
            let name = path.rsplit('/').next().unwrap_or(path);
            if let Some(kind) = TlsLibrary::from_file_name(name) {
                if Path::new(path).exists() {
                    self.attach(probes, Path::new(path), path, kind);
                }
            }
        }
    }

    /// Reads the maps of `pid` (again: libraries may be loaded later) and probes every TLS
    /// library it maps that is not probed yet.
    pub fn scan(&mut self, probes: &mut Probes, pid: u32, label: &str) {
        let libs = live::process::tls_libraries(pid);
        let any = !libs.is_empty();
        for (path, kind) in libs {
            let shown = path
                .to_string_lossy()
                .strip_prefix(&format!("/proc/{pid}/root"))
                .map(str::to_owned)
                .unwrap_or_else(|| path.display().to_string());
            if let Some(key) = self.attach(probes, &path, &shown, kind) {
                if let Some(lib) = self.files.get_mut(&key) {
                    note_user(&mut lib.users, &mut lib.more_users, pid, label);
                }
            }
        }
        let go = self.scan_go(probes, pid, label);
        if self.scanned.len() >= MAX_SCANNED {
            // Long recordings of many short processes: keep the living ones.
            self.scanned.retain(|pid, _| live::process::alive(*pid));
        }
        let seen = self.scanned.entry(pid).or_insert(false);
        *seen |= any || go;
    }

    /// Probes the executable of `pid` if it is a Go program with crypto/tls; returns whether
    /// it is a Go program (probed or not, it is reported).
    fn scan_go(&mut self, probes: &mut Probes, pid: u32, label: &str) -> bool {
        let exe = PathBuf::from(format!("/proc/{pid}/exe"));
        let Ok(meta) = std::fs::metadata(&exe) else {
            return false;
        };
        let key = (meta.dev(), meta.ino());
        let entry = self.go.entry(key).or_insert_with(|| {
            let shown = std::fs::read_link(&exe)
                .map_or_else(|_| exe.display().to_string(), |p| p.display().to_string());
            let outcome = match live::golang::inspect(&exe) {
                Err(live::golang::GoError::NotGo) => return None,
                Err(e) => Err(e.to_string()),
                Ok(go) => probes
                    .probe_go(&exe, &go)
                    .map(|n| (go.version.clone(), n))
                    .map_err(|e| e.to_string()),
            };
            Some(GoBinary {
                path: shown,
                outcome,
                users: BTreeMap::new(),
                more_users: 0,
            })
        });
        match entry {
            Some(binary) => {
                note_user(&mut binary.users, &mut binary.more_users, pid, label);
                true
            }
            None => false,
        }
    }

    /// Attaches the probes to one file unless done already; returns its key.
    fn attach(
        &mut self,
        probes: &mut Probes,
        path: &Path,
        shown: &str,
        kind: TlsLibrary,
    ) -> Option<(u64, u64)> {
        let meta = std::fs::metadata(path).ok()?;
        let key = (meta.dev(), meta.ino());
        self.files.entry(key).or_insert_with(|| Library {
            path: shown.to_owned(),
            kind,
            outcome: probes.probe_library(path, kind).map_err(|e| e.to_string()),
            users: BTreeMap::new(),
            more_users: 0,
        });
        Some(key)
    }

    /// The report: each library, probed or not (and why), with the processes that use it;
    /// and the traced processes that map no TLS library this build can probe.
    pub fn report(&self, labels: &HashMap<u32, String>) -> Vec<String> {
        let mut lines = Vec::new();
        let mut libs: Vec<&Library> = self.files.values().collect();
        libs.sort_by(|a, b| a.path.cmp(&b.path));
        for lib in libs {
            let users = if lib.users.is_empty() {
                "no traced process used it".to_owned()
            } else {
                format!("used by {}", users_text(&lib.users, lib.more_users))
            };
            lines.push(match &lib.outcome {
                Ok(functions) => format!(
                    "TLS probes on {} ({}: {}), {users}",
                    lib.path,
                    lib.kind.name(),
                    functions.join(", ")
                ),
                Err(why) => format!("TLS probes NOT attached to {}: {why}; {users}", lib.path),
            });
        }
        let mut gos: Vec<&GoBinary> = self.go.values().flatten().collect();
        gos.sort_by(|a, b| a.path.cmp(&b.path));
        for go in gos {
            let users = users_text(&go.users, go.more_users);
            lines.push(match &go.outcome {
                Ok((version, n)) => format!(
                    "Go crypto/tls probes on {} ({version}: {} and {}, {n} probes), used by {}",
                    go.path,
                    live::golang::WRITE,
                    live::golang::READ,
                    users
                ),
                Err(why) => format!(
                    "Go crypto/tls NOT probed in {}: {why}; used by {}",
                    go.path, users
                ),
            });
        }
        let mut bare: Vec<String> = self
            .scanned
            .iter()
            .filter(|(_, any)| !**any)
            .filter_map(|(pid, _)| labels.get(pid).cloned())
            .collect();
        bare.sort();
        if !bare.is_empty() {
            lines.push(format!(
                "no OpenSSL/BoringSSL/GnuTLS library or Go crypto/tls in {} (a static TLS library, NSS or another runtime: their HTTPS stays encrypted without keys)",
                bare.join(", ")
            ));
        }
        lines
    }
}

/// The plaintext side of a recording.
#[derive(Default)]
pub struct Plaintext {
    streams: Streams,
    /// Last socket seen per library connection (a read served from the library's buffer
    /// makes no syscall): its cookie, else its fd and inode.
    sockets: HashMap<(u32, u64), SocketId>,
    /// Address pairs (both orders) read through probes → the library's name, the pid and
    /// the library object; until the socket closes.
    pub pairs: HashMap<(SocketAddr, SocketAddr), (&'static str, u32, u64)>,
    /// (local, remote) of connections read through probes, until the packet-level engine
    /// reports them (so that they are not counted as missing keys).
    pub probed: HashSet<(SocketAddr, SocketAddr)>,
    /// Chunks whose socket could not be found, and their bytes.
    pub unresolved: u64,
    /// Bytes of those chunks.
    pub unresolved_bytes: u64,
    /// Listening ports per pid, to tell servers from clients.
    listening: HashMap<u32, HashSet<u16>>,
    /// Connections seen through library calls.
    started: u64,
    /// Records of connections whose socket is not known yet, in order.
    pending: HashMap<(u32, u64), Vec<Held>>,
}

impl Plaintext {
    /// Turns one plaintext record into packets (passed to `emit` with the capture time of
    /// the record they carry); counts what cannot be placed on a socket. `addresses` gives (local, remote) of a socket cookie seen in
    /// captured packets; otherwise the socket is looked up in `/proc` by its fd.
    pub fn record(
        &mut self,
        p: &Plain<'_>,
        addresses: impl Fn(u64) -> Option<(SocketAddr, SocketAddr)>,
        emit: &mut impl FnMut(&[u8], u64),
    ) {
        let key = (p.pid, p.conn);
        if p.cookie.is_none() && p.fd.is_none() && !self.sockets.contains_key(&key) {
            // A call the library served from what it had read already (during the
            // handshake, say) made no syscall: nothing says its socket yet. It waits for the
            // next call of the same connection that does.
            self.hold(p);
            return;
        }
        let id = match (p.cookie, p.fd) {
            (Some(cookie), _) => Some(SocketId::Cookie(cookie)),
            (None, Some(fd)) => live::process::socket_inode(p.pid, fd).map(SocketId::Inode),
            (None, None) => None,
        };
        if let Some(id) = id {
            let before = self.sockets.insert(key, id);
            if before.is_some_and(|b| b != id) {
                // The library reused its object for a new connection.
                self.streams.restart(p.pid, p.conn);
                self.started += 1;
            } else if before.is_none() {
                self.started += 1;
            }
        }
        let endpoint = if self.streams.known(p.pid, p.conn) {
            None
        } else {
            // By the cookie when the socket's packets were captured, else from `/proc` (its
            // packets filtered out, or the socket not owned in the kernel's table).
            let by_fd = || {
                p.fd.and_then(|fd| live::process::socket_inode(p.pid, fd))
                    .and_then(|inode| live::process::socket_addresses(p.pid, inode))
            };
            let found = self.sockets.get(&key).and_then(|id| match *id {
                SocketId::Cookie(cookie) => addresses(cookie).or_else(by_fd),
                SocketId::Inode(inode) => live::process::socket_addresses(p.pid, inode),
            });
            let Some((local, remote)) = found else {
                self.unresolved += 1;
                self.unresolved_bytes += u64::from(p.len);
                self.abandon(key);
                return;
            };
            let listening = self
                .listening
                .entry(p.pid)
                .or_insert_with(|| live::process::listening_ports(p.pid).into_iter().collect());
            let library = match p.library {
                2 => "GnuTLS probe",
                3 => "Go crypto/tls probe",
                _ => "OpenSSL probe",
            };
            self.pairs.insert((local, remote), (library, p.pid, p.conn));
            self.pairs.insert((remote, local), (library, p.pid, p.conn));
            self.probed.insert((local, remote));
            Some(Endpoint {
                local,
                remote,
                local_is_client: !listening.contains(&local.port()),
            })
        };
        let mut endpoint = endpoint;
        for held in self.pending.remove(&key).unwrap_or_default() {
            let earlier = Plain {
                data: &held.data,
                ..held.plain
            };
            let ts = earlier.monotonic_ns;
            self.streams
                .packets(&earlier, endpoint.take(), &mut |b| emit(b, ts));
        }
        let ts = p.monotonic_ns;
        if !self.streams.packets(p, endpoint, &mut |b| emit(b, ts)) {
            self.unresolved += 1;
            self.unresolved_bytes += u64::from(p.len);
        }
    }

    /// The socket between `client` and `server` (either order) closed: its synthetic stream
    /// is closed too (packets through `emit`).
    pub fn closed(&mut self, client: SocketAddr, server: SocketAddr, emit: &mut impl FnMut(&[u8])) {
        let Some((_, pid, conn)) = self.pairs.get(&(client, server)).copied() else {
            return;
        };
        if self.streams.endpoint(pid, conn).is_some_and(|e| {
            (e.local, e.remote) == (client, server) || (e.remote, e.local) == (client, server)
        }) {
            self.streams.close(pid, conn, emit);
        }
    }

    /// Keeps a record whose socket is not known yet (bounded: past [`MAX_HELD`] records per
    /// connection or [`MAX_HELD_CONNECTIONS`] connections it is counted as unplaced).
    fn hold(&mut self, p: &Plain<'_>) {
        let key = (p.pid, p.conn);
        let room = self.pending.len() < MAX_HELD_CONNECTIONS || self.pending.contains_key(&key);
        let held = self.pending.entry(key).or_default();
        if !room || held.len() >= MAX_HELD {
            self.unresolved += 1;
            self.unresolved_bytes += u64::from(p.len);
            return;
        }
        held.push(Held {
            plain: Plain { data: &[], ..*p },
            data: p.data.to_vec(),
        });
    }

    /// Counts the held records of a connection as unplaced and drops them.
    fn abandon(&mut self, key: (u32, u64)) {
        for held in self.pending.remove(&key).unwrap_or_default() {
            self.unresolved += 1;
            self.unresolved_bytes += u64::from(held.plain.len);
        }
    }

    /// At the end: records still waiting for their socket are counted as unplaced.
    pub fn abandon_all(&mut self) {
        let keys: Vec<(u32, u64)> = self.pending.keys().copied().collect();
        for key in keys {
            self.abandon(key);
        }
    }

    /// Forgets what is kept for a process that is gone.
    pub fn forget_pid(&mut self, pid: u32) {
        let keys: Vec<(u32, u64)> = self
            .pending
            .keys()
            .filter(|k| k.0 == pid)
            .copied()
            .collect();
        for key in keys {
            self.abandon(key);
        }
        self.streams.forget_pid(pid);
        self.sockets.retain(|(p, _), _| *p != pid);
        self.listening.remove(&pid);
        self.pairs.retain(|_, (_, p, _)| *p != pid);
    }

    /// Forgets a closed connection's address pair (after its last events went out).
    pub fn forget_pair(&mut self, client: SocketAddr, server: SocketAddr) {
        self.pairs.remove(&(client, server));
        self.pairs.remove(&(server, client));
    }

    /// Bytes of library records that came after their connection closed (ignored).
    pub fn after_close(&self) -> u64 {
        self.streams.after_close
    }

    /// Connections seen through library calls.
    pub fn connections(&self) -> u64 {
        self.started
    }
}

/// Records held per connection while its socket is unknown.
const MAX_HELD: usize = 64;
/// Connections with held records.
const MAX_HELD_CONNECTIONS: usize = 4096;

/// A record waiting for its connection's socket.
struct Held {
    /// The record without its bytes (they are in `data`).
    plain: Plain<'static>,
    data: Vec<u8>,
}

/// How a library connection's socket is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SocketId {
    /// By the cookie the kernel gave it (its packets carry the same).
    Cookie(u64),
    /// By its inode, found from the fd in `/proc`.
    Inode(u64),
}

/// A library as a probe attempt leaves it, for the report's tests.
#[cfg(test)]
fn fake_library(path: &str, kind: TlsLibrary, ok: bool, users: &[(u32, &str)]) -> Library {
    Library {
        path: path.to_owned(),
        kind,
        outcome: if ok {
            Ok(vec!["SSL_write", "SSL_read"])
        } else {
            Err("no symbols".to_owned())
        },
        users: users.iter().map(|(p, l)| (*p, (*l).to_owned())).collect(),
        more_users: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_probed_failed_and_bare() {
        let mut libs = Libraries::default();
        libs.files.insert(
            (1, 1),
            fake_library(
                "/usr/lib/libssl.so.3",
                TlsLibrary::OpenSsl,
                true,
                &[(7, "curl[7]")],
            ),
        );
        libs.files.insert(
            (1, 2),
            fake_library("/opt/libgnutls.so.30", TlsLibrary::GnuTls, false, &[]),
        );
        libs.scanned.insert(7, true);
        libs.scanned.insert(9, false);
        let labels: HashMap<u32, String> =
            [(7, "curl[7]".to_owned()), (9, "gobin[9]".to_owned())].into();
        let r = libs.report(&labels);
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(r[0].starts_with("TLS probes NOT attached to /opt/libgnutls.so.30: no symbols"));
        assert_eq!(
            r[1],
            "TLS probes on /usr/lib/libssl.so.3 (OpenSSL: SSL_write, SSL_read), used by curl[7]"
        );
        assert!(r[2].contains("gobin[9]"));
    }

    #[test]
    fn a_call_without_syscall_waits_for_its_socket() {
        use live::event::Direction;
        let plain = |position: u64, cookie: Option<u64>, data: &'static [u8]| Plain {
            monotonic_ns: 100 + position,
            pid: 7,
            tid: 7,
            direction: Direction::Ingress,
            library: 1,
            conn: 0xabc,
            position,
            len: data.len() as u32,
            fd: cookie.map(|_| 5),
            cookie,
            data,
        };
        let addresses = |cookie: u64| {
            (cookie == 42).then(|| {
                (
                    "127.0.0.1:443".parse().unwrap(),
                    "127.0.0.1:40000".parse().unwrap(),
                )
            })
        };
        let mut p = Plaintext::default();
        let mut out = Vec::new();
        // Served from the library's buffer: no socket yet, nothing out, nothing lost.
        p.record(&plain(0, None, b"GET / HT"), addresses, &mut |b, ns| {
            out.push((ns, b.len()))
        });
        assert!(out.is_empty());
        assert_eq!(p.unresolved, 0);
        // The next call names the socket: both go out, in order, with their own times.
        p.record(
            &plain(8, Some(42), b"TP/1.1\r\n"),
            addresses,
            &mut |b, ns| out.push((ns, b.len())),
        );
        let data: Vec<(u64, usize)> = out.iter().filter(|(_, n)| *n > 40).copied().collect();
        assert_eq!(data, vec![(100, 40 + 8), (108, 40 + 8)]);
        // Held records of a connection never placed are counted at the end.
        let other = Plain {
            conn: 0xdef,
            ..plain(0, None, b"x")
        };
        p.record(&other, addresses, &mut |_, _| {});
        assert_eq!(p.unresolved, 0);
        p.abandon_all();
        assert_eq!((p.unresolved, p.unresolved_bytes), (1, 1));
    }
}
