//! The HTML report in a real browser: writes a report with a handful of transactions, loads it
//! in headless Chromium (command line only: `--dump-dom` and `--screenshot`) and checks what
//! the page rendered.
//!
//! Needs Chromium at `/usr/bin/chromium` (`apt-get install -y chromium`); fails loudly without
//! it. Every browser run is bounded by [`RUN_TIMEOUT`]; temporary directories are removed even
//! when an assertion fails. The screenshot is kept as a test artifact under the target
//! directory (its path is printed).

use model::{
    BodySize, ConnectionId, ConnectionRecord, DnsLookup, DnsOutcome, Finding, Header, Incomplete,
    IncompleteReason, MessageTimes, Process, Request, Response, Severity, Stats, Timestamp,
    Timings, TlsInfo, Transaction,
};
use output::{HtmlWriter, RenderOptions, Report, Sink, SummaryBuilder};
use std::fs::{self, File};
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const CHROMIUM: &str = "/usr/bin/chromium";
const RUN_TIMEOUT: Duration = Duration::from_secs(90);
const MS: u64 = 1_000_000;
const T0: i64 = 1_709_210_096_000_000_000;

/// A directory under the system temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "httpscope-html-{tag}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).expect("create a temporary directory");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn chromium() -> &'static str {
    assert!(
        Path::new(CHROMIUM).exists(),
        "\n\nheadless Chromium is needed for this test and was not found at {CHROMIUM}.\n\
         Install it with:   apt-get install -y chromium\n\n"
    );
    CHROMIUM
}

/// Runs Chromium headless on `url` with `extra` switches; returns its standard output.
/// Panics (with Chromium's standard error) when it fails or outlives [`RUN_TIMEOUT`].
fn run_chromium(url: &str, extra: &[String]) -> String {
    let tmp = TempDir::new("chromium");
    let profile = tmp.path().join("profile");
    let stdout_path = tmp.path().join("stdout");
    let stderr_path = tmp.path().join("stderr");
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--virtual-time-budget=5000")
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).expect("stdout file"))
        .stderr(File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMIUM}: {e}"));
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        match child.try_wait().expect("wait for chromium") {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "chromium did not finish within {RUN_TIMEOUT:?}; stderr:\n{}",
                    tail(&stderr_path)
                );
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let mut out = String::new();
    File::open(&stdout_path)
        .and_then(|mut f| f.read_to_string(&mut out))
        .expect("read chromium's output");
    assert!(
        status.success(),
        "chromium failed ({status}); stderr:\n{}",
        tail(&stderr_path)
    );
    out
}

/// The last 40 lines of a file, for failure messages.
fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn dump_dom(page: &Path, fragment: &str) -> String {
    let url = format!("file://{}{fragment}", page.display());
    let dom = run_chromium(&url, &["--dump-dom".to_owned()]);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page never became ready (a script error?); DOM starts:\n{}",
        dom.chars().take(2000).collect::<String>()
    );
    dom
}

/// The request list's body (`tbody#rows`) in the dumped DOM: the page's script, also in the
/// DOM, holds the same markup as text.
fn rows_part(dom: &str) -> &str {
    let (_, rows) = dom.split_once("<tbody id=\"rows\">").expect("tbody#rows");
    rows.split_once("</tbody>").map_or(rows, |(r, _)| r)
}

/// The `data-id` of every rendered `tr.req`, in document order.
fn row_ids(dom: &str) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut rest = rows_part(dom);
    while let Some(at) = rest.find("<tr class=\"req") {
        rest = &rest[at..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        let id = attribute(tag, "data-id").expect("tr.req without data-id");
        ids.push(id.parse().expect("numeric data-id"));
        rest = &rest[tag_end..];
    }
    ids
}

/// The value of attribute `name` in the start tag `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// The `data-phase` of every `.bar` in the request list (the part of the DOM inside `#rows`).
fn bar_phases(dom: &str) -> Vec<String> {
    let rows = rows_part(dom);
    rows.match_indices("class=\"bar\"")
        .filter_map(|(at, _)| {
            let tag = &rows[at..at + rows[at..].find('>').unwrap_or(0)];
            attribute(tag, "data-phase").map(str::to_owned)
        })
        .collect()
}

// ---- the report ------------------------------------------------------------------------------

fn transaction(
    id: u64,
    offset_ms: u64,
    method: &str,
    url: &str,
    protocol: &str,
    status: Option<u16>,
) -> Transaction {
    let start = Timestamp(T0 + (offset_ms * MS) as i64);
    let host = url.split('/').nth(2).unwrap_or("example.com").to_owned();
    let target = format!("/{}", url.splitn(4, '/').nth(3).unwrap_or(""));
    let tls = url.starts_with("https").then(|| TlsInfo {
        version: Some("TLS 1.3".into()),
        cipher_suite: Some("TLS_AES_128_GCM_SHA256".into()),
        sni: Some(host.clone()),
        alpn: Some(
            if protocol == "HTTP/2" {
                "h2"
            } else {
                "http/1.1"
            }
            .into(),
        ),
        ..TlsInfo::default()
    });
    let first = id % 2 == 1;
    Transaction {
        id,
        connection: ConnectionId(id.div_ceil(2)),
        client: format!("10.0.0.1:{}", 40_000 + id).parse().unwrap(),
        server: "93.184.216.34:443".parse().unwrap(),
        position: u32::from(!first),
        start,
        protocol: protocol.into(),
        url: url.into(),
        request: Some(Request {
            method: method.into(),
            target,
            version: protocol.into(),
            headers: vec![
                Header::new("Host", host),
                Header::new("Authorization", "Bearer s3cr3t"),
                Header::new("X-Note", "</script><script>document.body.remove()</script>"),
            ],
            trailers: vec![],
            header_bytes: 180,
            body: BodySize::default(),
        }),
        response: status.map(|status| Response {
            status,
            reason: String::new(),
            version: protocol.into(),
            headers: vec![
                Header::new("Content-Type", "text/html"),
                Header::new("Cache-Control", "max-age=60"),
                Header::new("ETag", "\"v1\""),
            ],
            trailers: vec![],
            header_bytes: 220,
            interim: vec![],
            body: BodySize {
                wire: 2_000 * id,
                encoded: 2_000 * id,
                decoded: Some(6_000 * id),
            },
        }),
        times: MessageTimes::default(),
        timings: Timings {
            blocked: Some(MS),
            dns: first.then_some(8 * MS),
            connect: first.then_some(30 * MS),
            ssl: (first && tls.is_some()).then_some(18 * MS),
            send: Some(MS),
            wait: status.map(|_| (20 + 15 * id) * MS),
            receive: status.map(|_| 12 * MS),
        },
        tunnel: None,
        tls,
        stream: (protocol == "HTTP/2").then_some(2 * id as u32 + 1),
        dns: None,
        redirect: None,
        findings: if status == Some(500) {
            vec!["server-error".into()]
        } else {
            vec![]
        },
        grpc: None,
        incomplete: if status.is_none() {
            vec![Incomplete {
                reason: IncompleteReason::NoResponse,
                detail: "connection closed before a response".into(),
            }]
        } else {
            vec![]
        },
        process: None,
        source: None,
    }
}

/// The process that made requests 3 and 4 (a live recording would attach it).
fn client_process() -> Process {
    Process {
        pid: 4242,
        ppid: Some(4000),
        uid: Some(1000),
        comm: "python3".into(),
        exe: Some("/usr/bin/python3.11".into()),
        cmdline: vec!["python3".into(), "sync.py".into(), "--items".into()],
        cgroup: Some("/system.slice/docker-0123abcd.scope".into()),
        container: Some("0123abcd".into()),
    }
}

fn transactions() -> Vec<Transaction> {
    let mut ts = vec![
        transaction(1, 0, "GET", "https://www.example.com/", "HTTP/2", Some(200)),
        transaction(
            2,
            60,
            "GET",
            "https://www.example.com/app.js?token=abc",
            "HTTP/2",
            Some(404),
        ),
        transaction(
            3,
            90,
            "POST",
            "http://api.example.org/v1/login",
            "HTTP/1.1",
            Some(403),
        ),
        transaction(
            4,
            140,
            "GET",
            "http://api.example.org/v1/items",
            "HTTP/1.1",
            Some(301),
        ),
        transaction(
            5,
            200,
            "GET",
            "https://cdn.example.net/img.png",
            "HTTP/1.1",
            Some(500),
        ),
        transaction(
            6,
            260,
            "PUT",
            "http://api.example.org/v1/items/7",
            "HTTP/1.0",
            None,
        ),
    ];
    for t in &mut ts[2..4] {
        t.process = Some(client_process());
    }
    ts
}

fn write_report(path: &Path) -> Vec<Transaction> {
    let ts = transactions();
    let file = BufWriter::new(File::create(path).expect("create the report"));
    let mut w = HtmlWriter::new(file, RenderOptions::default());
    w.start(Timestamp(T0)).unwrap();
    let mut summary = SummaryBuilder::new();
    for t in &ts {
        summary.add(t);
        w.transaction(t).unwrap();
    }
    w.connection(&ConnectionRecord {
        id: ConnectionId(1),
        client: "10.0.0.1:40001".parse().unwrap(),
        server: "93.184.216.34:443".parse().unwrap(),
        start: Timestamp(T0),
        end: Timestamp(T0 + 400 * MS as i64),
        bytes: [900, 7_000],
        transactions: 2,
        tls: ts[0].tls.clone(),
        http2: None,
        process: None,
    })
    .unwrap();
    w.dns(&DnsLookup {
        client: "10.0.0.1:53000".parse().unwrap(),
        server: "10.0.0.53:53".parse().unwrap(),
        name: "www.example.com".into(),
        qtype: "A".into(),
        start: Timestamp(T0),
        end: Some(Timestamp(T0 + 8 * MS as i64)),
        attempts: 1,
        rcode: Some("NOERROR".into()),
        answers: vec!["A 93.184.216.34".into()],
        addresses: vec!["93.184.216.34".parse().unwrap()],
        min_ttl: Some(300),
        outcome: DnsOutcome::Answered,
    })
    .unwrap();
    w.finish(&Report {
        input: "browser-test.pcapng".into(),
        first_packet: Some(Timestamp(T0)),
        last_packet: Some(Timestamp(T0 + 400 * MS as i64)),
        stats: Stats::default(),
        summary: summary.build(),
        warnings: vec![],
        findings: vec![Finding {
            rule: "server-error".into(),
            severity: Severity::Error,
            message: "GET https://cdn.example.net/img.png answered 500".into(),
            origin: Some("https://cdn.example.net".into()),
            transactions: vec![5],
            evidence: vec![("status".into(), "500".into())],
            hint: "Look at the server's logs.".into(),
        }],
    })
    .unwrap();
    ts
}

/// `page` with a probe appended that runs `script` after the page's own and then publishes
/// `window.httpscope.visibleIds()` as `data-visible` on the body, so that `--dump-dom` shows it.
fn with_probe(page: &Path, dir: &Path, name: &str, script: &str) -> PathBuf {
    let mut html = fs::read_to_string(page).unwrap();
    html.push_str(&format!(
        "<script>{script}\ndocument.body.setAttribute('data-visible', \
         JSON.stringify(window.httpscope.visibleIds()));</script>\n"
    ));
    let probe = dir.join(name);
    fs::write(&probe, html).unwrap();
    probe
}

fn visible_ids(dom: &str) -> Vec<u64> {
    let at = dom
        .find("data-visible=\"")
        .expect("data-visible on the body")
        + 14;
    let json = &dom[at..at + dom[at..].find('"').unwrap()];
    serde_json::from_str(json).expect("visible ids as JSON")
}

// ---- the test --------------------------------------------------------------------------------

#[test]
fn report_renders_filters_and_screenshots_in_chromium() {
    chromium();
    let dir = TempDir::new("page");
    let page = dir.path().join("report.html");
    let ts = write_report(&page);
    let all: Vec<u64> = ts.iter().map(|t| t.id).collect();
    let html = fs::read_to_string(&page).unwrap();
    assert!(!html.contains("s3cr3t") && !html.contains("token=abc"));

    // Every transaction gets a row, in start order, with its waterfall phases.
    let dom = dump_dom(&page, "");
    assert_eq!(row_ids(&dom), all, "one tr.req per transaction");
    let phases = bar_phases(&dom);
    for phase in [
        "blocked", "dns", "connect", "ssl", "send", "wait", "receive",
    ] {
        assert!(
            phases.iter().any(|p| p == phase),
            "no .bar[data-phase={phase}] in {phases:?}"
        );
    }
    assert!(dom.contains("id=\"filter-text\"") && dom.contains("id=\"filter-status\""));
    assert!(dom.contains("server-error"), "the findings section");
    assert!(dom.contains("browser-test.pcapng"), "the summary");
    // A header value holding `</script>` neither ended the data nor ran.
    assert!(!dom.contains("document.body.remove()</script>"));

    // The fragment's filter applies on load: only the 4xx rows remain.
    let probe = with_probe(&page, dir.path(), "probe.html", "");
    let dom = dump_dom(&probe, "#status=4xx");
    let four_xx: Vec<u64> = ts
        .iter()
        .filter(|t| (400..500).contains(&t.status()))
        .map(|t| t.id)
        .collect();
    assert_eq!(four_xx, [2, 3]);
    assert_eq!(row_ids(&dom), four_xx, "only 4xx rows");
    assert_eq!(visible_ids(&dom), four_xx);

    // Text, protocol and findings filters, a sort order and an opened request.
    let dom = dump_dom(&probe, "#q=example.org&sort=time&dir=desc");
    assert_eq!(
        visible_ids(&dom),
        [3, 4, 6],
        "api.example.org, slowest first"
    );
    assert_eq!(row_ids(&dom), [3, 4, 6]);
    let dom = dump_dom(&probe, "#protocol=HTTP%2F2");
    assert_eq!(visible_ids(&dom), [1, 2]);
    // The process column and filter: requests 3 and 4 came from python3[4242].
    let dom = dump_dom(&probe, "#process=python3%5B4242%5D&id=3");
    assert_eq!(visible_ids(&dom), [3, 4]);
    assert_eq!(row_ids(&dom), [3, 4]);
    assert!(rows_part(&dom).contains("title=\"python3 sync.py --items\">python3[4242]</td>"));
    assert!(dom.contains("<option value=\"python3[4242]\">python3[4242] (2)</option>"));
    for part in [
        "<dt>Process</dt><dd>python3[4242]</dd>",
        "<dt>Command line</dt><dd>python3 sync.py --items</dd>",
        "<dt>Executable</dt><dd>/usr/bin/python3.11</dd>",
        "<dt>Parent, user</dt><dd>ppid 4000, uid 1000</dd>",
        "<dt>Cgroup</dt><dd>/system.slice/docker-0123abcd.scope</dd>",
        "<dt>Container</dt><dd>0123abcd</dd>",
    ] {
        assert!(dom.contains(part), "{part} in the detail pane");
    }
    // The search box matches the process too.
    let dom = dump_dom(&probe, "#q=python3");
    assert_eq!(visible_ids(&dom), [3, 4]);
    let dom = dump_dom(&probe, "#findings=1&id=5");
    assert!(
        dom.contains("<dt>Process</dt><dd>-</dd>"),
        "no process: a dash"
    );
    assert_eq!(visible_ids(&dom), [5]);
    assert!(dom.contains("Response headers") && dom.contains("max-age=60"));
    assert!(
        dom.contains("aria-selected=\"true\""),
        "the opened row is selected"
    );

    // Keyboard: down, down, up moves the selection to the second row; Enter opens it.
    let keys = with_probe(
        &page,
        dir.path(),
        "keys.html",
        "var list = document.getElementById('list'); list.focus();\
         ['ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowUp', 'Enter'].forEach(function (k) {\
           list.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}));\
         });",
    );
    let dom = dump_dom(&keys, "");
    let rows = rows_part(&dom);
    let selected = rows
        .split("<tr class=\"req")
        .filter(|tag| {
            tag.split('>')
                .next()
                .unwrap_or("")
                .contains("aria-selected=\"true\"")
        })
        .map(|tag| attribute(tag, "data-id").unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(selected, ["2"], "one selected row: the second");
    assert!(dom.contains("<h2>GET https://www.example.com/app.js?token=[redacted]</h2>"));

    // A screenshot for people, kept under the target directory.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("httpscope-html-report.png");
    let _ = fs::remove_file(&shot);
    let url = format!("file://{}#id=5", page.display());
    run_chromium(
        &url,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,900".to_owned(),
        ],
    );
    let png = fs::read(&shot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
    println!("screenshot: {}", shot.display());
}

/// 100,000 requests: the page parses them once, renders only the visible rows and filters
/// them all. Slow to write and load in a debug build, so run on demand:
/// `cargo test -p httpscope-output --test html_chromium -- --ignored`.
#[test]
#[ignore]
fn hundred_thousand_requests_render_only_the_visible_rows() {
    chromium();
    let dir = TempDir::new("large");
    let page = dir.path().join("large.html");
    let base = transactions();
    let file = BufWriter::new(File::create(&page).unwrap());
    let mut w = HtmlWriter::new(file, RenderOptions::default());
    let mut summary = SummaryBuilder::new();
    for id in 1..=100_000u64 {
        let mut t = base[(id % 6) as usize].clone();
        t.id = id;
        t.start = Timestamp(T0 + (id * MS / 4) as i64);
        summary.add(&t);
        w.transaction(&t).unwrap();
    }
    w.finish(&Report {
        input: "large.pcapng".into(),
        first_packet: Some(Timestamp(T0)),
        last_packet: Some(Timestamp(T0 + 25_000 * MS as i64)),
        stats: Stats::default(),
        summary: summary.build(),
        warnings: vec![],
        findings: vec![],
    })
    .unwrap();
    let mut html = fs::read_to_string(&page).unwrap();
    let size = html.len();
    html.push_str(
        "<script>document.body.setAttribute('data-ms', Math.round(performance.now()));\
         document.body.setAttribute('data-count', window.httpscope.visibleIds().length);\
         </script>\n",
    );
    fs::write(&page, html).unwrap();
    let dom = dump_dom(&page, "#status=4xx");
    let rows = row_ids(&dom).len();
    let ms: u64 = attribute(&dom, "data-ms").unwrap().parse().unwrap();
    let count: u64 = attribute(&dom, "data-count").unwrap().parse().unwrap();
    println!("{size} bytes, ready after {ms} ms, {count} matching, {rows} rows in the DOM");
    assert_eq!(count, 33_334, "two of every six are 4xx");
    assert!(rows > 0 && rows < 200, "only the visible rows are rendered");
}
