//! Root-only: the BPF programs load on this kernel, and a traced process's TCP packets and
//! socket ownership arrive through the ring buffer while an untraced process's do not.
//! Run as root (CI is root); elsewhere the test says why it does nothing.

use httpscope_live::event::{self, Direction, Record};
use httpscope_live::{Options, Probes};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the live tests as root"
        );
        eprintln!("skipped: live eBPF tests need root (euid is {euid})");
    }
    euid == 0
}

#[test]
fn traced_process_packets_arrive_with_owner() {
    if !root() {
        return;
    }
    let mut probes = Probes::load(&Options {
        all: false,
        snaplen: 0,
        ports: Vec::new(),
        ring_bytes: 1 << 22,
        tls_probes: true,
    })
    .expect("load the BPF programs");
    let me = std::process::id();
    probes.trace(me).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap();
        s.write_all(&buf[..n]).unwrap();
    });
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.write_all(b"GET /probe HTTP/1.1\r\n\r\n").unwrap();
    let mut back = [0u8; 64];
    let _ = c.read(&mut back).unwrap();
    server.join().unwrap();
    drop(c);

    let mut syn = false;
    let mut payload = false;
    let mut owner = false;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && !(syn && payload && owner) {
        probes.poll(100, |raw| match event::parse(raw) {
            Ok(Record::Packet(p)) => {
                assert_eq!(p.pid, me, "only traced sockets are captured");
                let ihl = usize::from(p.data[0] & 0x0f) * 4;
                let tcp = &p.data[ihl..];
                let (sport, dport) = (
                    u16::from_be_bytes([tcp[0], tcp[1]]),
                    u16::from_be_bytes([tcp[2], tcp[3]]),
                );
                if p.direction == Direction::Egress && dport == port && tcp[13] & 0x02 != 0 {
                    syn = true;
                }
                if p.data.windows(10).any(|w| w == b"GET /probe")
                    && (sport == port || dport == port)
                {
                    payload = true;
                }
            }
            Ok(Record::Owner(o)) => owner |= o.pid == me,
            Ok(Record::Closed(_) | Record::Plain(_)) => {}
            Err(e) => panic!("bad record: {e}"),
        });
    }
    assert!(syn, "the SYN of the traced connect was captured");
    assert!(payload, "the request bytes were captured");
    assert!(owner, "an owner record named this process");
    let c = probes.counters();
    assert!(c.packets >= 3, "{c:?}");
    assert_eq!(c.ring_full, 0);
}
