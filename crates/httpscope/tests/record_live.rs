//! Live recording end to end, as root: `httpscope record` on real clients (curl, python
//! urllib, a shell script's children, a running loop, a running nginx) against an nginx on
//! loopback, asserting the transactions with their processes, that the traffic of processes
//! that are not traced is absent, and that the pcapng it writes decrypts in tshark alone.
//!
//! These tests need root (CI runs as root) and nginx, curl, wget, python3, openssl and tshark,
//! which `.ci/run` installs. Without root they say so and do nothing, except under CI where
//! that is a failure. They run one at a time (a lock), because their timing assertions
//! (a loop caught while attached) are not meant to compete with each other for two cores.

use serde_json::Value;
use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const BIN: &str = env!("CARGO_BIN_EXE_httpscope");

/// Whether the live tests can run here; under CI a missing privilege or tool fails.
fn ready() -> bool {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    let ci = std::env::var_os("CI").is_some();
    if euid != 0 {
        assert!(!ci, "CI must run the live tests as root");
        eprintln!("skipped: live recording tests need root (euid is {euid})");
        return false;
    }
    for tool in ["nginx", "curl", "wget", "python3", "openssl", "tshark"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "{tool} is needed by the live tests (.ci/run installs it)"
        );
    }
    true
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("httpscope-live-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// nginx on loopback: plain HTTP on `http`, HTTPS (HTTP/2 and HTTP/1.1, a self-signed
/// certificate for localhost and 127.0.0.1) on `https`. Every path answers 200 "ok".
struct Nginx {
    child: Child,
    http: u16,
    https: u16,
    dir: Scratch,
}

impl Nginx {
    fn start(name: &str) -> Nginx {
        let dir = Scratch::new(name);
        let (http, https) = (free_port(), free_port());
        let d = dir.0.display().to_string();
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-days",
                "2",
                "-keyout",
            ])
            .arg(dir.path("key.pem"))
            .arg("-out")
            .arg(dir.path("cert.pem"))
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "openssl could not make a certificate");
        let conf = format!(
            "worker_processes 2;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 256; }}\nhttp {{\n access_log off;\n client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};\n server {{\n  listen 127.0.0.1:{http};\n  listen 127.0.0.1:{https} ssl http2;\n  ssl_certificate {d}/cert.pem; ssl_certificate_key {d}/key.pem;\n  ssl_protocols TLSv1.2 TLSv1.3;\n  location / {{ return 200 \"ok\\n\"; }}\n }}\n}}\n"
        );
        std::fs::write(dir.path("nginx.conf"), conf).unwrap();
        let child = Command::new("nginx")
            .args([
                "-p",
                &d,
                "-c",
                &format!("{d}/nginx.conf"),
                "-g",
                "daemon off;",
            ])
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        wait_port(http);
        wait_port(https);
        Nginx {
            child,
            http,
            https,
            dir,
        }
    }

    /// The master and worker pids.
    fn pids(&self) -> Vec<u32> {
        let master = self.child.id();
        let mut pids = vec![master];
        let children = std::fs::read_to_string(format!("/proc/{master}/task/{master}/children"))
            .unwrap_or_default();
        pids.extend(
            children
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
        pids
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers (SIGKILL would orphan them).
        // SAFETY: kill sends a signal to the nginx we started.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// An untraced client hitting `url` every 50 ms until dropped (at most 60 s).
struct Noise(Child);

impl Noise {
    fn start(url: &str) -> Noise {
        Noise(Noise::command(url).spawn().unwrap())
    }

    /// The loop, not started.
    fn command(url: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            &format!("for i in $(seq 1 1200); do curl -sk {url} >/dev/null; sleep 0.05; done"),
        ]);
        cmd
    }
}

impl Drop for Noise {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn record(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("record")
        .args(args)
        .output()
        .expect("run httpscope record")
}

/// The transaction lines of a JSONL output.
fn transactions(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "transaction")
        .collect()
}

/// `url status protocol comm` for each transaction, sorted.
fn summary(ts: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = ts
        .iter()
        .map(|t| {
            format!(
                "{} {} {} {}",
                t["url"].as_str().unwrap_or("?"),
                t["response"]["status"],
                t["protocol"].as_str().unwrap_or("?"),
                t["process"]["comm"].as_str().unwrap_or("-")
            )
        })
        .collect();
    v.sort();
    v
}

fn check(out: &Output) {
    assert!(
        out.status.success(),
        "httpscope record failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn curl_http_and_https_with_untraced_noise_and_a_decryptable_pcapng() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !ready() {
        return;
    }
    let nginx = Nginx::start("curl");
    let (h, s) = (nginx.http, nginx.https);
    let _noise = Noise::start(&format!("http://127.0.0.1:{h}/noise"));
    let jsonl = nginx.dir.path("out.jsonl");
    let pcapng = nginx.dir.path("out.pcapng");
    let out = record(&[
        "-q",
        "--jsonl",
        jsonl.to_str().unwrap(),
        "--write-pcapng",
        pcapng.to_str().unwrap(),
        "--",
        "curl",
        "-sk",
        "-o",
        "/dev/null",
        &format!("http://127.0.0.1:{h}/a"),
        "-o",
        "/dev/null",
        &format!("http://127.0.0.1:{h}/b"),
        "-o",
        "/dev/null",
        &format!("https://127.0.0.1:{s}/c"),
        "-o",
        "/dev/null",
        &format!("https://localhost:{s}/d"),
    ]);
    check(&out);
    let ts = transactions(&jsonl);
    assert_eq!(
        summary(&ts),
        vec![
            format!("http://127.0.0.1:{h}/a 200 HTTP/1.1 curl"),
            format!("http://127.0.0.1:{h}/b 200 HTTP/1.1 curl"),
            format!("https://127.0.0.1:{s}/c 200 HTTP/2 curl"),
            format!("https://localhost:{s}/d 200 HTTP/2 curl"),
        ],
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One curl process, with its executable and command line.
    let pids: BTreeSet<u64> = ts
        .iter()
        .filter_map(|t| t["process"]["pid"].as_u64())
        .collect();
    assert_eq!(pids.len(), 1);
    assert!(ts[0]["process"]["exe"].as_str().unwrap().ends_with("/curl"));
    assert_eq!(ts[0]["process"]["cmdline"][0], "curl");
    // /b reused /a's connection.
    assert!(ts.iter().any(|t| t["position"] == 1));
    assert!(ts
        .iter()
        .all(|t| t["incomplete"].as_array().unwrap().is_empty()));

    // tshark decrypts the pcapng with no options, and each packet names its process.
    let fields = Command::new("tshark")
        .arg("-r")
        .arg(&pcapng)
        .args([
            "-Y",
            "http2.header",
            "-T",
            "fields",
            "-e",
            "http2.headers.path",
            "-e",
            "frame.comment",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&fields.stdout);
    for path in ["/c", "/d"] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{path}\t"))
                && l.contains("comm=curl")
                && l.contains("exe=")),
            "tshark did not decrypt {path}:\n{text}{}",
            String::from_utf8_lossy(&fields.stderr)
        );
    }
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&pcapng).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn python_urllib_over_https() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !ready() {
        return;
    }
    let nginx = Nginx::start("python");
    let s = nginx.https;
    let jsonl = nginx.dir.path("out.jsonl");
    let script = format!(
        "import ssl, urllib.request\nctx = ssl.create_default_context()\nctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE\nfor p in ('/py1', '/py2'):\n    urllib.request.urlopen('https://127.0.0.1:{s}' + p, context=ctx).read()\n"
    );
    let out = record(&[
        "-q",
        "--jsonl",
        jsonl.to_str().unwrap(),
        "--",
        "python3",
        "-c",
        &script,
    ]);
    check(&out);
    let ts = transactions(&jsonl);
    assert_eq!(
        summary(&ts),
        vec![
            format!("https://127.0.0.1:{s}/py1 200 HTTP/1.1 python3"),
            format!("https://127.0.0.1:{s}/py2 200 HTTP/1.1 python3"),
        ],
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        ts.iter()
            .all(|t| t["tls"]["decryption"]["state"] == "decrypted"),
        "{ts:?}"
    );
}

#[test]
fn descendants_of_a_script_and_its_exit_status() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !ready() {
        return;
    }
    let nginx = Nginx::start("script");
    let h = nginx.http;
    let jsonl = nginx.dir.path("out.jsonl");
    let script = format!(
        "curl -s -o /dev/null http://127.0.0.1:{h}/one\n(curl -s -o /dev/null http://127.0.0.1:{h}/two &)\nsh -c 'sleep 0.2; python3 -c \"import urllib.request; urllib.request.urlopen(\\\"http://127.0.0.1:{h}/three\\\").read()\"'\nsleep 0.3\nexit 7\n"
    );
    let out = record(&[
        "-q",
        "--jsonl",
        jsonl.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ts = transactions(&jsonl);
    assert_eq!(
        summary(&ts),
        vec![
            format!("http://127.0.0.1:{h}/one 200 HTTP/1.1 curl"),
            format!("http://127.0.0.1:{h}/three 200 HTTP/1.1 python3"),
            format!("http://127.0.0.1:{h}/two 200 HTTP/1.1 curl"),
        ]
    );
    let pids: BTreeSet<u64> = ts
        .iter()
        .filter_map(|t| t["process"]["pid"].as_u64())
        .collect();
    assert_eq!(pids.len(), 3, "three processes made the requests");
}

#[test]
fn attach_to_a_running_client_loop() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !ready() {
        return;
    }
    let nginx = Nginx::start("attach");
    let h = nginx.http;
    let jsonl = nginx.dir.path("out.jsonl");
    let _other = Noise::start(&format!("http://127.0.0.1:{h}/other"));
    // The recording ends by itself when the traced loop is gone.
    let (ts, _) = record_running(
        &mut Noise::command(&format!("http://127.0.0.1:{h}/loop")),
        Duration::from_millis(300),
        Duration::from_millis(1500),
        &jsonl,
    );
    let urls: BTreeSet<&str> = ts.iter().filter_map(|t| t["url"].as_str()).collect();
    assert_eq!(
        urls.into_iter().collect::<Vec<_>>(),
        vec![format!("http://127.0.0.1:{h}/loop")],
        "only the attached loop's requests"
    );
    assert!(
        ts.len() >= 5,
        "the loop ran about 20 times: {} seen",
        ts.len()
    );
    assert!(ts.iter().all(|t| t["process"]["comm"] == "curl"));
}

#[test]
fn attach_to_a_running_server() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !ready() {
        return;
    }
    let nginx = Nginx::start("server");
    let h = nginx.http;
    let jsonl = nginx.dir.path("out.jsonl");
    let pids = nginx
        .pids()
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut recorder = Command::new(BIN)
        .args([
            "record",
            "-q",
            "--jsonl",
            jsonl.to_str().unwrap(),
            "-p",
            &pids,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    for p in ["/s1", "/s2", "/s3"] {
        let ok = Command::new("curl")
            .args(["-s", "-o", "/dev/null", &format!("http://127.0.0.1:{h}{p}")])
            .status()
            .unwrap();
        assert!(ok.success());
    }
    // HTTPS from an untraced client with no keys: read through nginx's libssl.
    let ok = Command::new("curl")
        .args([
            "-sk",
            "-o",
            "/dev/null",
            &format!("https://127.0.0.1:{}/tls", nginx.https),
        ])
        .env_remove("SSLKEYLOGFILE")
        .status()
        .unwrap();
    assert!(ok.success());
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill sends SIGINT to the recorder we started.
    unsafe { libc::kill(recorder.id() as libc::pid_t, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while recorder.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "record did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = recorder.wait_with_output().unwrap();
    check(&out);
    let ts = transactions(&jsonl);
    let mut want: Vec<String> = ["/s1", "/s2", "/s3"]
        .map(|p| format!("http://127.0.0.1:{h}{p} 200 HTTP/1.1 nginx"))
        .to_vec();
    want.push(format!(
        "https://127.0.0.1:{}/tls 200 HTTP/2 nginx",
        nginx.https
    ));
    assert_eq!(
        summary(&ts),
        want,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The probed request keeps the packet-level handshake phases (the SYN reached the
    // listening socket).
    let tls = ts
        .iter()
        .find(|t| t["url"].as_str().unwrap().ends_with("/tls"))
        .unwrap();
    assert_eq!(tls["source"], "OpenSSL probe");
    assert!(tls["timings"]["connect"].as_u64().unwrap() > 0, "{tls}");
    assert!(tls["timings"]["ssl"].as_u64().unwrap() > 0, "{tls}");
}

#[test]
fn without_privileges_the_error_says_what_to_do() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !ready() {
        return;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            BIN,
            "record",
            "--",
            "true",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs root") && err.contains("sudo"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn https_without_keys_from_tls_library_probes() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !ready() {
        return;
    }
    let nginx = Nginx::start("probes");
    let s = nginx.https;
    let jsonl = nginx.dir.path("out.jsonl");
    // Three clients on three TLS libraries, none of them logging keys: curl (OpenSSL,
    // HTTP/2), wget (GnuTLS), python urllib (OpenSSL, HTTP/1.1).
    let script = format!(
        "for i in $(seq 1 300); do curl -sk -o /dev/null https://127.0.0.1:{s}/c$i; wget -q --no-check-certificate -O /dev/null https://127.0.0.1:{s}/w$i; python3 -c \"import ssl, urllib.request; c = ssl._create_unverified_context(); urllib.request.urlopen('https://127.0.0.1:{s}/p$i', context=c).read()\"; sleep 0.05; done"
    );
    let (ts, err) = record_running(
        Command::new("sh")
            .args(["-c", &script])
            .env_remove("SSLKEYLOGFILE"),
        Duration::from_millis(500),
        Duration::from_millis(3000),
        &jsonl,
    );
    let by = |comm: &str| -> Vec<&Value> {
        ts.iter()
            // (The exchange in flight when the recording attached lacks its request.)
            .filter(|t| {
                t["process"]["comm"] == comm
                    && t["response"]["status"] == 200
                    && !t["request"].is_null()
            })
            .collect()
    };
    for (comm, source, protocol, prefix) in [
        ("curl", "OpenSSL probe", "HTTP/2", "c"),
        ("wget", "GnuTLS probe", "HTTP/1.1", "w"),
        ("python3", "OpenSSL probe", "HTTP/1.1", "p"),
    ] {
        let seen = by(comm);
        assert!(
            seen.len() >= 3,
            "{comm}: {} transactions read through probes\n{err}\n{}",
            seen.len(),
            summary(&ts).join("\n")
        );
        for t in seen {
            assert_eq!(t["source"], source, "{t}");
            assert_eq!(t["protocol"], protocol, "{t}");
            let url = t["url"].as_str().unwrap();
            let path = url
                .strip_prefix(&format!("https://127.0.0.1:{s}/{prefix}"))
                .unwrap_or_else(|| panic!("{comm} fetched {url}"));
            assert!(path.parse::<u32>().is_ok(), "{url}");
            assert!(t["incomplete"].as_array().unwrap().is_empty(), "{t}");
        }
    }
    // Each request had its own connection, numbered apart from packet-level ones.
    assert!(ts.iter().all(|t| t["id"].as_u64().unwrap() > 1 << 32));
    // The report says which libraries were probed and for whom.
    assert!(
        err.lines().any(|l| l.contains("TLS probes on")
            && l.contains("libssl.so.3 (OpenSSL: SSL_write")
            && l.contains("python3[")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains("libgnutls.so.30 (GnuTLS") && l.contains("wget[")),
        "{err}"
    );
    assert!(!err.contains("could not be decrypted"), "{err}");
}

/// A Go HTTPS client (crypto/tls, no key log) requesting `BASE/go<i>` every 100 ms.
const GO_CLIENT: &str = r#"package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		DisableKeepAlives: true,
	}}
	for i := 0; i < 600; i++ {
		resp, err := client.Get(fmt.Sprintf("%s/go%d", os.Args[1], i))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
}
"#;

/// Builds the Go client (stripped of its symbol table when `strip`) in `dir`.
fn build_go_client(dir: &Path, strip: bool) -> PathBuf {
    std::fs::write(dir.join("main.go"), GO_CLIENT).unwrap();
    std::fs::write(dir.join("go.mod"), "module goclient\n\ngo 1.17\n").unwrap();
    let out = dir.join(if strip { "goclient-s" } else { "goclient" });
    let mut cmd = Command::new("go");
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env("GOCACHE", dir.join("cache"))
        .env("GOPATH", dir.join("gopath"))
        .env("GOFLAGS", "-mod=mod")
        .args(["build", "-o"])
        .arg(&out);
    if strip {
        cmd.arg("-ldflags=-s -w");
    }
    let built = cmd.arg(".").output().expect("run go build");
    assert!(
        built.status.success(),
        "go build failed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    out
}

/// Starts `client`, attaches `record -p` to it after `warmup`, kills the client `duration`
/// later (the recording then ends by itself); returns the transactions and stderr.
fn record_running(
    client: &mut Command,
    warmup: Duration,
    duration: Duration,
    jsonl: &Path,
) -> (Vec<Value>, String) {
    let mut client = client
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(warmup);
    let pid = client.id().to_string();
    let recorder = Command::new(BIN)
        .args([
            "record",
            "-q",
            "--jsonl",
            jsonl.to_str().unwrap(),
            "-p",
            &pid,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(duration);
    let _ = client.kill();
    let _ = client.wait();
    let out = recorder.wait_with_output().unwrap();
    check(&out);
    (
        transactions(jsonl),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn go_crypto_tls_without_keys() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !ready() {
        return;
    }
    let has_go = Command::new("sh")
        .args(["-c", "command -v go"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_go,
        "go (Debian's golang-go) is needed by this test; .ci/run installs it"
    );
    let nginx = Nginx::start("go");
    let base = format!("https://127.0.0.1:{}", nginx.https);
    let client = build_go_client(&nginx.dir.0, false);
    let (ts, err) = record_running(
        Command::new(&client).arg(&base),
        Duration::from_millis(300),
        Duration::from_millis(2500),
        &nginx.dir.path("go.jsonl"),
    );
    assert!(ts.len() >= 5, "{} transactions\n{err}", ts.len());
    // Attached mid-loop and killed mid-loop: at most the exchange in flight at each end lacks
    // its request or its response.
    let unanswered = ts.iter().filter(|t| t["response"].is_null()).count();
    let unasked = ts.iter().filter(|t| t["request"].is_null()).count();
    assert!(unanswered <= 1 && unasked <= 1, "{ts:?}");
    for t in ts.iter().filter(|t| !t["request"].is_null()) {
        assert_eq!(t["source"], "Go crypto/tls probe", "{t}");
        assert_eq!(t["process"]["comm"], "goclient");
        assert!(
            t["response"].is_null() || t["response"]["status"] == 200,
            "{t}"
        );
        let url = t["url"].as_str().unwrap();
        assert!(
            url.strip_prefix(&format!("{base}/go"))
                .is_some_and(|n| n.parse::<u32>().is_ok()),
            "{url}"
        );
    }
    assert!(
        err.lines().any(|l| l.contains("Go crypto/tls probes on")
            && l.contains("goclient (go1.")
            && l.contains("used by goclient[")),
        "{err}"
    );

    // Without a symbol table the binary is named, with the reason, and nothing is invented.
    let stripped = build_go_client(&nginx.dir.0, true);
    let (ts, err) = record_running(
        Command::new(&stripped).arg(&base),
        Duration::from_millis(300),
        Duration::from_millis(2500),
        &nginx.dir.path("go-s.jsonl"),
    );
    assert!(ts.iter().all(|t| t["source"].is_null()), "{ts:?}");
    assert!(
        err.lines().any(|l| l.contains("Go crypto/tls NOT probed")
            && l.contains("goclient-s")
            && l.contains("without a symbol table")),
        "{err}"
    );
}

#[test]
fn a_server_started_under_record_owns_its_accepted_connections() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !ready() {
        return;
    }
    let dir = Scratch::new("server");
    let jsonl = dir.path("out.jsonl");
    let port = free_port().to_string();
    let recorder = Command::new(BIN)
        .args(["record", "-q", "--jsonl", jsonl.to_str().unwrap(), "--"])
        .args(["python3", "-m", "http.server", &port, "--bind", "127.0.0.1"])
        .current_dir(&dir.0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_port(port.parse().unwrap());
    // Clients outside the recording: their sockets are not traced, the server's are.
    for p in ["/a", "/b", "/c"] {
        let ok = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                &format!("http://127.0.0.1:{port}{p}"),
            ])
            .status()
            .unwrap();
        assert!(ok.success());
    }
    std::thread::sleep(Duration::from_millis(300));
    // SIGTERM is passed on to the command; its status (killed by SIGTERM) is ours.
    // SAFETY: kill sends SIGTERM to the recorder we started.
    unsafe { libc::kill(recorder.id() as libc::pid_t, libc::SIGTERM) };
    let out = recorder.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(128 + libc::SIGTERM),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ts = transactions(&jsonl);
    assert_eq!(
        summary(&ts),
        ["/a", "/b", "/c"]
            .map(|p| format!("http://127.0.0.1:{port}{p} 404 HTTP/1.1 python3"))
            .to_vec(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ts.iter().all(|t| t["request"]["method"] == "GET"));
}
