//! Process facts from `/proc`: what a pid is (comm, executable, command line, parent, user,
//! cgroup and container), and which TCP ports a process listens on (for `record -p` on a
//! server that opened its listening sockets before the recording began).
//!
//! The parsers are pure functions over the text of `/proc` files and are tested with byte
//! strings; the readers around them tolerate processes that exit while being read (whatever
//! could not be read stays empty).

use model::Process;
use std::collections::HashSet;
use std::fs;

/// Reads what `/proc/PID` tells about a process. `comm` is the name the kernel reported with
/// the event, used when the process is already gone.
pub fn read(pid: u32, comm: &str) -> Process {
    let dir = format!("/proc/{pid}");
    let status = fs::read_to_string(format!("{dir}/status")).unwrap_or_default();
    let (ppid, uid) = parse_status(&status);
    let cgroup = fs::read_to_string(format!("{dir}/cgroup"))
        .ok()
        .and_then(|t| parse_cgroup(&t));
    let container = cgroup.as_deref().and_then(container_id);
    let own_comm = fs::read_to_string(format!("{dir}/comm"))
        .map(|c| c.trim_end_matches('\n').to_owned())
        .unwrap_or_default();
    Process {
        pid,
        ppid,
        uid,
        comm: if own_comm.is_empty() {
            comm.to_owned()
        } else {
            own_comm
        },
        exe: fs::read_link(format!("{dir}/exe"))
            .ok()
            .map(|p| p.to_string_lossy().into_owned()),
        cmdline: fs::read(format!("{dir}/cmdline"))
            .map(|b| parse_cmdline(&b))
            .unwrap_or_default(),
        cgroup,
        container,
    }
}

/// `PPid:` and the real uid from `/proc/PID/status`.
pub fn parse_status(text: &str) -> (Option<u32>, Option<u32>) {
    let mut ppid = None;
    let mut uid = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("PPid:") {
            ppid = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("Uid:") {
            uid = v.split_whitespace().next().and_then(|u| u.parse().ok());
        }
    }
    (ppid, uid)
}

/// The arguments of `/proc/PID/cmdline` (NUL-separated, NUL-terminated).
pub fn parse_cmdline(bytes: &[u8]) -> Vec<String> {
    bytes
        .strip_suffix(&[0])
        .unwrap_or(bytes)
        .split(|&b| b == 0)
        .filter(|a| !bytes.is_empty() || !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// The cgroup v2 path (`0::/path`) from `/proc/PID/cgroup`.
pub fn parse_cgroup(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
}

/// The container id in a cgroup path: a 64-hex-digit component, alone or as
/// `docker-ID.scope`, `cri-containerd-ID.scope`, `crio-ID.scope`, `libpod-ID.scope`.
pub fn container_id(cgroup: &str) -> Option<String> {
    cgroup.split('/').rev().find_map(|part| {
        let part = part.strip_suffix(".scope").unwrap_or(part);
        let id = part.rsplit('-').next().unwrap_or(part);
        (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_owned())
    })
}

/// TCP ports in LISTEN state whose socket inode is in `inodes`, from the text of
/// `/proc/PID/net/tcp` or `tcp6`.
pub fn parse_listening(text: &str, inodes: &HashSet<u64>) -> Vec<u16> {
    let mut ports = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
        if f.len() < 10 || f[3] != "0A" {
            continue;
        }
        let Some(port) = f[1]
            .rsplit(':')
            .next()
            .and_then(|p| u16::from_str_radix(p, 16).ok())
        else {
            continue;
        };
        if f[9].parse().is_ok_and(|i: u64| inodes.contains(&i)) && !ports.contains(&port) {
            ports.push(port);
        }
    }
    ports
}

/// The TCP ports a running process listens on.
pub fn listening_ports(pid: u32) -> Vec<u16> {
    let mut inodes = HashSet::new();
    if let Ok(dir) = fs::read_dir(format!("/proc/{pid}/fd")) {
        for entry in dir.flatten() {
            if let Ok(target) = fs::read_link(entry.path()) {
                let t = target.to_string_lossy();
                if let Some(ino) = t
                    .strip_prefix("socket:[")
                    .and_then(|r| r.strip_suffix(']'))
                    .and_then(|i| i.parse().ok())
                {
                    inodes.insert(ino);
                }
            }
        }
    }
    let mut ports = Vec::new();
    for file in ["tcp", "tcp6"] {
        if let Ok(text) = fs::read_to_string(format!("/proc/{pid}/net/{file}")) {
            for p in parse_listening(&text, &inodes) {
                if !ports.contains(&p) {
                    ports.push(p);
                }
            }
        }
    }
    ports
}

/// The TLS libraries a process maps, from the text of `/proc/PID/maps`: each file once, with
/// what it is.
pub fn parse_tls_libraries(maps: &str) -> Vec<(String, crate::TlsLibrary)> {
    let mut found: Vec<(String, crate::TlsLibrary)> = Vec::new();
    for line in maps.lines() {
        // address perms offset dev inode path
        let Some(path) = line.split_whitespace().nth(5) else {
            continue;
        };
        let name = path.rsplit('/').next().unwrap_or(path);
        if let Some(lib) = crate::TlsLibrary::from_file_name(name) {
            if !found.iter().any(|(p, _)| p == path) {
                found.push((path.to_owned(), lib));
            }
        }
    }
    found
}

/// The TLS libraries `pid` maps, with the path to reach each from this mount namespace
/// (`/proc/PID/root/...`, so that containers' libraries are found too).
pub fn tls_libraries(pid: u32) -> Vec<(std::path::PathBuf, crate::TlsLibrary)> {
    let maps = fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    parse_tls_libraries(&maps)
        .into_iter()
        .map(|(path, lib)| (format!("/proc/{pid}/root{path}").into(), lib))
        .collect()
}

/// An address of `/proc/net/tcp` (`0100007F:1F90`) or `tcp6` (32 hex digits, four
/// little-endian words), as a socket address.
fn parse_proc_addr(text: &str) -> Option<std::net::SocketAddr> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(ip, 16).ok()?.swap_bytes(),
        )),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                let word = u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?;
                chunk.copy_from_slice(&word.to_le_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(std::net::SocketAddr::new(ip, port))
}

/// (local, remote) of the socket with `inode`, from the text of `/proc/PID/net/tcp[6]`.
pub fn parse_socket(
    text: &str,
    inode: u64,
) -> Option<(std::net::SocketAddr, std::net::SocketAddr)> {
    text.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 || f[9].parse::<u64>().ok()? != inode {
            return None;
        }
        Some((parse_proc_addr(f[1])?, parse_proc_addr(f[2])?))
    })
}

/// The inode of the socket `fd` of `pid` (which changes when the fd number is reused for
/// another socket), while it is open.
pub fn socket_inode(pid: u32, fd: u32) -> Option<u64> {
    let target = fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    target
        .to_str()?
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// (local, remote) addresses of the TCP socket with `inode` in `pid`'s network namespace.
pub fn socket_addresses(
    pid: u32,
    inode: u64,
) -> Option<(std::net::SocketAddr, std::net::SocketAddr)> {
    ["tcp", "tcp6"].iter().find_map(|file| {
        let text = fs::read_to_string(format!("/proc/{pid}/net/{file}")).ok()?;
        parse_socket(&text, inode)
    })
}

/// Whether a process exists (and is not a zombie).
pub fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status() {
        let text = "Name:\tcurl\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t10\nPid:\t10\nPPid:\t7\nTracerPid:\t0\nUid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(parse_status(text), (Some(7), Some(1000)));
        assert_eq!(parse_status(""), (None, None));
    }

    #[test]
    fn cmdline() {
        assert_eq!(
            parse_cmdline(b"curl\0-s\0http://x/\0"),
            vec!["curl", "-s", "http://x/"]
        );
        assert_eq!(parse_cmdline(b"a\0\0b\0"), vec!["a", "", "b"]);
        assert!(parse_cmdline(b"").is_empty());
    }

    #[test]
    fn cgroup_and_container() {
        let text = "12:pids:/user.slice\n0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n";
        let path = parse_cgroup(text).unwrap();
        assert_eq!(
            container_id(&path).as_deref(),
            Some("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            container_id("/user.slice/user-1000.slice/session-2.scope"),
            None
        );
        assert_eq!(parse_cgroup("0::\n"), None);
        assert_eq!(parse_cgroup("3:cpu:/\n"), None);
    }

    #[test]
    fn tls_libraries_in_maps() {
        let maps = "7f00-7f10 r--p 00000000 fe:01 1234 /usr/lib/x86_64-linux-gnu/libssl.so.3\n7f10-7f20 r-xp 00010000 fe:01 1234 /usr/lib/x86_64-linux-gnu/libssl.so.3\n7f20-7f30 r-xp 00000000 fe:01 99 /usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3\n7f30-7f40 rw-p 00000000 00:00 0 \n7f40-7f50 r-xp 00000000 fe:01 5 /usr/lib/libsslx.so\n";
        let libs = parse_tls_libraries(maps);
        assert_eq!(
            libs,
            vec![
                (
                    "/usr/lib/x86_64-linux-gnu/libssl.so.3".to_owned(),
                    crate::TlsLibrary::OpenSsl
                ),
                (
                    "/usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3".to_owned(),
                    crate::TlsLibrary::GnuTls
                ),
            ]
        );
    }

    #[test]
    fn socket_tables() {
        let v4 = "  sl  local_address rem_address   st\n   0: 0100007F:A000 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4243 1\n";
        assert_eq!(
            parse_socket(v4, 4243),
            Some((
                "127.0.0.1:40960".parse().unwrap(),
                "127.0.0.1:8080".parse().unwrap()
            ))
        );
        assert_eq!(parse_socket(v4, 1), None);
        let v6 = "  sl  local_address rem_address st\n   0: 00000000000000000000000001000000:A000 00000000000000000000000001000000:01BB 01 00000000:00000000 00:00000000 00000000 0 0 77 1\n";
        assert_eq!(
            parse_socket(v6, 77),
            Some(("[::1]:40960".parse().unwrap(), "[::1]:443".parse().unwrap()))
        );
    }

    #[test]
    fn listening() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0\n   2: 0100007F:A000 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 100 0 0 10 0\n";
        let inodes: HashSet<u64> = [4242, 4243].into();
        assert_eq!(parse_listening(text, &inodes), vec![8080]);
        assert!(parse_listening("header\ngarbage line\n", &inodes).is_empty());
    }
}
