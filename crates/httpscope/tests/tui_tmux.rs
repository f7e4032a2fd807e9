//! `httpscope analyze --tui` in a real terminal: the binary runs in a detached tmux session
//! (200×50), the test types keys with `tmux send-keys` and reads the screen back with
//! `tmux capture-pane -p`: request rows, the detail pane, a typed filter, a status filter,
//! quitting, and the terminal given back.
//!
//! Needs tmux (`apt-get install -y tmux`). Without it the test fails when `CI` is set and is
//! skipped (saying why) otherwise. Each test uses its own tmux server (`-S`, a socket file named
//! after the process), which it kills when done, even when an assertion fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long the screen may take to show what a step expects.
const WAIT: Duration = Duration::from_secs(20);

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden")
        .join(name)
}

/// Whether tmux can run here; when it cannot, fails under CI and says why otherwise.
fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "\n\ntmux is needed for the terminal view test and was not found.\n\
             Install it with:   apt-get install -y tmux\n\n"
        );
        // Straight to the process's standard error: the harness would hide `eprintln!`.
        let _ = writeln!(
            std::io::stderr(),
            "tui_tmux: skipped: tmux is not installed (apt-get install -y tmux); CI runs this test"
        );
    }
    ok
}

/// A private tmux server (its own socket file) with one session running a command; the
/// server is killed and the socket removed on drop.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn start(tag: &str, command: &str) -> Tmux {
        let t = Tmux {
            socket: std::env::temp_dir()
                .join(format!("httpscope-tmux-{tag}-{}", std::process::id())),
        };
        let out = t.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "50",
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            text(&out.stderr)
        );
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// Sends tmux key names (`j`, `Enter`, `Escape`, ...).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "tmux send-keys: {}",
            text(&out.stderr)
        );
    }

    /// Types `s` literally.
    fn type_text(&self, s: &str) {
        let out = self.run(&["send-keys", "-t", "0", "-l", s]);
        assert!(
            out.status.success(),
            "tmux send-keys -l: {}",
            text(&out.stderr)
        );
    }

    fn screen(&self) -> String {
        text(&self.run(&["capture-pane", "-p", "-t", "0"]).stdout)
    }

    /// Polls the screen until `ready` holds; panics with the last screen after [`WAIT`].
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        let _ = std::fs::remove_file(&self.socket);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The request rows on the screen (lines starting with a status and a method).
fn rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter(|l| {
            let mut words = l.split_whitespace();
            let status = words.next().unwrap_or("");
            (status == "fail" || status.parse::<u16>().is_ok())
                && words.any(|w| w == "GET" || w == "POST")
        })
        .collect()
}

#[test]
fn tui_lists_opens_filters_and_quits_in_tmux() {
    if !tmux_available() {
        return;
    }
    let command = format!(
        "'{}' analyze '{}' --keylog '{}' --tui; echo \"httpscope exited with $?\"; sleep 60",
        env!("CARGO_BIN_EXE_httpscope"),
        golden("problems.pcap").display(),
        golden("problems.keys").display(),
    );
    let tmux = Tmux::start("tui", &command);

    // The whole capture is listed, with the loss counters and the findings.
    let screen = tmux.wait_for("the finished analysis", |s| {
        s.contains("done") && s.contains("requests 24")
    });
    assert!(screen.contains("httpscope ") && screen.contains("problems.pcap"));
    assert!(screen.contains("losses: capture drops 0"), "{screen}");
    assert!(screen.contains("tcp gaps 0 (0 B)"), "{screen}");
    assert!(screen.contains("findings 1 errors"), "{screen}");
    let head = screen
        .lines()
        .find(|l| l.starts_with("Status"))
        .unwrap_or_else(|| panic!("no column headings:\n{screen}"));
    for col in [
        "Method",
        "Host",
        "Path",
        "Protocol",
        "Process",
        "Transf.",
        "Size",
        "Time",
        "Waterfall",
    ] {
        assert!(head.contains(col), "{col} in {head}");
    }
    let listed = rows(&screen);
    assert_eq!(listed.len(), 24, "one row per request:\n{screen}");
    assert!(listed[0].starts_with("301") && listed[0].contains("www.golden.test:18130"));
    assert!(listed
        .iter()
        .any(|r| r.starts_with("500") && r.contains("/api/fail")));
    assert!(
        listed.iter().all(|r| r.contains('█')),
        "every row has a waterfall bar"
    );

    // Two rows down, Enter: the details of the third request.
    tmux.keys(&["j", "j", "Enter"]);
    let screen = tmux.wait_for("the detail pane", |s| s.contains("Request #3"));
    for part in [
        "GET http://shop.golden.test:18132/nocache.json",
        "Status        200 OK",
        "Process       -",
        "Timings",
        "no-validator",
    ] {
        assert!(screen.contains(part), "{part:?} in\n{screen}");
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("the pane closed", |s| !s.contains("Request #3"));

    // A typed filter keeps the one matching row.
    tmux.keys(&["/"]);
    tmux.type_text("api");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the filtered list", |s| s.contains("filter api"));
    let listed = rows(&screen);
    assert_eq!(listed.len(), 1, "{screen}");
    assert!(listed[0].starts_with("500") && listed[0].contains("/api/fail"));
    assert!(screen.contains("shown 1"));

    // x clears it; 4 keeps the 4xx.
    tmux.keys(&["x", "4"]);
    let screen = tmux.wait_for("the 4xx filter", |s| s.contains("[4xx]"));
    let listed = rows(&screen);
    assert_eq!(listed.len(), 1, "{screen}");
    assert!(listed[0].starts_with("404") && listed[0].contains("/missing.html"));

    // q quits with status 0 and gives the normal screen back.
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("httpscope exited with"));
    assert!(screen.contains("httpscope exited with 0"), "{screen}");
    assert!(
        !screen.contains("losses:"),
        "the alternate screen is gone:\n{screen}"
    );
}

#[test]
fn tui_refuses_stdout_outputs_and_a_non_terminal() {
    let capture = golden("problems.pcap");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_httpscope"))
            .arg("analyze")
            .arg(&capture)
            .arg("--tui")
            .args(extra)
            .output()
            .expect("run httpscope")
    };
    for extra in [&["--json"][..], &["--jsonl", "-"]] {
        let out = run(extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(
            text(&out.stderr).contains("cannot write to standard output"),
            "{}",
            text(&out.stderr)
        );
    }
    // Standard output is a pipe here.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--tui needs a terminal"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}
