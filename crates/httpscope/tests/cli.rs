//! The command line on bad and unusual input: clear messages, the documented exit codes,
//! partial results kept, private output files, stdin and gzip.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("httpscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn httpscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_httpscope"))
        .args(args)
        .output()
        .expect("run httpscope")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn transaction_lines(stdout: &[u8]) -> usize {
    text(stdout)
        .lines()
        .filter(|l| l.contains("\"type\":\"transaction\""))
        .count()
}

#[test]
fn not_a_capture_exits_2_naming_the_file() {
    let path = scratch("notes.txt");
    std::fs::write(&path, b"HTTP is fun, but this is not a capture\n").unwrap();
    let out = httpscope(&["analyze", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("notes.txt") && err.contains("not a pcap or pcapng"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_file_exits_2() {
    let out = httpscope(&["analyze", "/nonexistent/capture.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/capture.pcap"));
}

#[test]
fn empty_file_exits_2() {
    let path = scratch("empty.pcap");
    std::fs::write(&path, b"").unwrap();
    let out = httpscope(&["analyze", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("empty.pcap"));
}

#[test]
fn truncated_tail_warns_and_exits_0() {
    let out = httpscope(&[
        "analyze",
        golden("truncated.pcap").to_str().unwrap(),
        "--jsonl",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("truncated.pcap"),
        "{err}"
    );
    assert_eq!(transaction_lines(&out.stdout), 8);
}

/// A pcap whose record number `n` claims an absurd captured length.
fn corrupt_copy(n: usize) -> PathBuf {
    let mut bytes = std::fs::read(golden("nginx-keepalive.pcap")).unwrap();
    let mut at = 24;
    for _ in 0..n {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + len;
    }
    bytes[at + 8..at + 12].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    let path = scratch(&format!("corrupt-{n}.pcap"));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn corruption_part_way_keeps_earlier_results_and_exits_1() {
    let path = corrupt_copy(40);
    let out = httpscope(&["analyze", path.to_str().unwrap(), "--jsonl", "-"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("corrupt-40.pcap") && err.contains("after packet 40"),
        "{err}"
    );
    // Everything before the damage is analysed and reported, the final report included.
    assert!(transaction_lines(&out.stdout) >= 1);
    assert!(text(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .contains("\"type\":\"report\""));
}

#[test]
fn corruption_at_first_record_exits_2() {
    let path = corrupt_copy(0);
    let out = httpscope(&["analyze", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nothing could be read"));
}

#[test]
fn stdin_and_gzip_give_the_same_transactions() {
    let plain = httpscope(&[
        "analyze",
        golden("nginx-keepalive.pcap").to_str().unwrap(),
        "--jsonl",
        "-",
    ]);
    let gz = httpscope(&[
        "analyze",
        golden("nginx-keepalive.pcap.gz").to_str().unwrap(),
        "--jsonl",
        "-",
    ]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_httpscope"))
        .args(["analyze", "-", "--jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let data = std::fs::read(golden("nginx-keepalive.pcap.gz")).unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let piped = child.wait_with_output().unwrap();
    let transactions = |o: &Output| -> Vec<String> {
        text(&o.stdout)
            .lines()
            .filter(|l| l.contains("\"type\":\"transaction\""))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(transactions(&plain).len(), 8);
    assert_eq!(transactions(&plain), transactions(&gz));
    assert_eq!(transactions(&plain), transactions(&piped));
}

#[test]
fn outputs_are_private_and_parse() {
    let har = scratch("out.har");
    let jsonl = scratch("out.jsonl");
    let html = scratch("out.html");
    let out = httpscope(&[
        "analyze",
        golden("handcrafted-server.pcapng").to_str().unwrap(),
        "--har",
        har.to_str().unwrap(),
        "--jsonl",
        jsonl.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "--quiet prints no report");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("id=\"data\""),
        "an HTML report"
    );
    assert!(page.contains("/chunked"), "the report holds the requests");
    for path in [&har, &jsonl, &html] {
        assert_eq!(
            std::fs::metadata(path).unwrap().mode() & 0o777,
            0o600,
            "{}",
            path.display()
        );
    }
    let har: serde_json::Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 14);
    for e in entries {
        let t = &e["timings"];
        let sum: f64 = ["blocked", "dns", "connect", "send", "wait", "receive"]
            .iter()
            .map(|k| t[k].as_f64().unwrap())
            .filter(|v| *v >= 0.0)
            .sum();
        assert!(
            (e["time"].as_f64().unwrap() - sum).abs() < 0.002,
            "time != sum of timings in {e}"
        );
    }
}

#[test]
fn report_redacts_credentials_unless_asked() {
    // The golden captures carry no credentials; a HAR of a request with one is checked in
    // the output crate. Here: the flag exists and the report still works with it.
    let out = httpscope(&[
        "analyze",
        golden("python-httpserver.pcap").to_str().unwrap(),
        "--show-secrets",
        "--color",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let report = text(&out.stdout);
    assert!(
        report.contains("Summary") && !report.contains('\u{1b}'),
        "{report}"
    );
}

#[test]
fn json_and_jsonl_on_stdout_conflict() {
    let out = httpscope(&[
        "analyze",
        golden("python-httpserver.pcap").to_str().unwrap(),
        "--json",
        "--jsonl",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("standard output"));
}

#[test]
fn json_document_has_transactions_and_summary() {
    let out = httpscope(&[
        "analyze",
        golden("python-httpserver.pcap").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["transactions"].as_array().unwrap().len(), 4);
    assert_eq!(doc["summary"]["requests"], 4);
}
