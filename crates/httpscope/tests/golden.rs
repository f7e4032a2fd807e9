//! End-to-end tests on the golden captures of real traffic in `tests/golden/`.
//!
//! Each `<name>.expected.json` lists, in order of request start, the transactions that the
//! scripts in `scripts/golden/` know they produced (method, URL, status, sizes, completeness).
//! The binary must report exactly those, with timings that add up, and must agree with
//! tshark's reading of the same capture (tshark is required: `.ci/run` installs it).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden")
}

/// The records `httpscope analyze --jsonl -` writes.
struct Analysis {
    transactions: Vec<Value>,
    connections: Vec<Value>,
    report: Value,
}

/// Runs `httpscope analyze FILE --jsonl -` and returns the transaction records and the
/// final report record.
fn analyze(capture: &Path) -> (Vec<Value>, Value) {
    let a = analyze_with(capture, &[]);
    (a.transactions, a.report)
}

/// Runs `httpscope analyze FILE --jsonl - EXTRA...` and sorts its records by type.
fn analyze_with(capture: &Path, extra: &[&str]) -> Analysis {
    let out = Command::new(env!("CARGO_BIN_EXE_httpscope"))
        .arg("analyze")
        .arg(capture)
        .args(["--jsonl", "-", "--no-progress"])
        .args(extra)
        .output()
        .expect("run httpscope");
    assert!(
        out.status.success(),
        "httpscope analyze {} failed: {}\n{}",
        capture.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut a = Analysis {
        transactions: Vec::new(),
        connections: Vec::new(),
        report: Value::Null,
    };
    for line in String::from_utf8(out.stdout).expect("utf-8 output").lines() {
        let v: Value = serde_json::from_str(line).expect("each line is JSON");
        match v["type"].as_str() {
            Some("transaction") => a.transactions.push(v),
            Some("connection") => a.connections.push(v),
            Some("dns" | "finding") => {}
            Some("report") => a.report = v,
            other => panic!("unexpected record type {other:?}"),
        }
    }
    assert!(
        !a.report.is_null(),
        "no report record for {}",
        capture.display()
    );
    a
}

fn u(v: &Value) -> Option<u64> {
    v.as_u64()
}

/// The fields an expected.json entry names, taken from a transaction record.
fn summarise(t: &Value) -> Value {
    let reasons: Vec<Value> = t["incomplete"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["reason"].clone())
        .collect();
    let seen = t["request"].is_object();
    serde_json::json!({
        "method": t["request"]["method"],
        "url": if seen { t["url"].clone() } else { Value::Null },
        "status": u(&t["response"]["status"]).unwrap_or(0),
        "request_body_bytes": u(&t["request"]["body"]["encoded"]).unwrap_or(0),
        "response_body_bytes": u(&t["response"]["body"]["encoded"]).unwrap_or(0),
        "response_decoded_bytes": t["response"]["body"]["decoded"],
        "complete": reasons.is_empty(),
        "incomplete_reasons": reasons,
        "tunnel": t["tunnel"]["kind"],
        "connection": t["connection"],
        "position": t["position"],
        "tls": tls_summary(&t["tls"]),
        "protocol": t["protocol"],
        "stream": t["stream"],
        "dns_name": t["dns"]["name"],
        "grpc": t["grpc"],
    })
}

/// Summaries of `transactions` with connections numbered 1, 2, ... in order of id, as the
/// expected files count them (only connections that carried transactions; a failed name lookup
/// has none, connection 0, and gets `null`).
fn summarise_all(transactions: &[Value]) -> Vec<Value> {
    let mut ids: Vec<u64> = transactions
        .iter()
        .filter_map(|t| t["connection"].as_u64())
        .filter(|&c| c != 0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let index_of = |id: &Value| transactions.iter().position(|t| t["id"] == *id);
    transactions
        .iter()
        .map(|t| {
            let mut v = summarise(t);
            v["redirect_from"] = serde_json::json!(index_of(&t["redirect"]["from"]));
            v["redirect_hops"] = t["redirect"]["hops"].clone();
            let rank = t["connection"]
                .as_u64()
                .and_then(|c| ids.binary_search(&c).ok());
            v["connection"] = serde_json::json!(rank.map(|r| r + 1));
            v
        })
        .collect()
}

/// The TLS facts an expected file names for a transaction.
fn tls_summary(tls: &Value) -> Value {
    if tls.is_null() {
        return Value::Null;
    }
    serde_json::json!({
        "version": tls["version"],
        "cipher_suite": tls["cipher_suite"],
        "sni": tls["sni"],
        "alpn": tls["alpn"],
        "resumed": tls["resumed"],
    })
}

/// Request order: when the request (else the response) began; attempts that sent nothing (a
/// failed connection attempt, TLS handshake or name lookup) by their start.
fn request_order_key(t: &Value) -> (i64, u64, u64) {
    let start = t["times"]["request_start"]
        .as_i64()
        .or_else(|| t["times"]["response_start"].as_i64())
        .or_else(|| t["start"].as_i64())
        .unwrap_or(i64::MAX);
    // HTTP/2 requests sent in one packet are ordered by stream id, the order they were sent.
    let order = u(&t["stream"]).or_else(|| u(&t["position"])).unwrap_or(0);
    (start, u(&t["connection"]).unwrap_or(0), order)
}

fn check_timings_add_up(t: &Value) {
    let times = &t["times"];
    let timings = &t["timings"];
    let phase = |k: &str| timings[k].as_u64();
    let at = |k: &str| times[k].as_i64();
    let (Some(rs), Some(re), Some(ps), Some(pe)) = (
        at("request_start"),
        at("request_end"),
        at("response_start"),
        at("response_end"),
    ) else {
        return;
    };
    assert!(rs <= re && ps <= pe, "message times out of order in {t}");
    let start = t["start"].as_i64().expect("start");
    assert!(start <= rs, "transaction starts after its request in {t}");
    let sum: u64 = ["blocked", "dns", "connect", "send", "wait", "receive"]
        .iter()
        .filter_map(|k| phase(k))
        .sum();
    if re <= pe {
        assert_eq!(
            sum as i64,
            pe - start,
            "phases do not add up to the span in {t}"
        );
    }
}

/// tshark's (method, URL) of every request and status of every response it decodes.
fn tshark_view(capture: &Path) -> (Vec<(String, String)>, Vec<u64>) {
    let run = |filter: &str, fields: &[&str]| -> Vec<Vec<String>> {
        let mut cmd = Command::new("tshark");
        cmd.arg("-r")
            .arg(capture)
            .args(["-Y", filter, "-T", "fields", "-E", "occurrence=a"]);
        cmd.args(["-n", "-o", "tcp.desegment_tcp_streams:TRUE"]);
        cmd.args(["-o", "tcp.reassemble_out_of_order:TRUE"]);
        // The golden servers listen on high ports that tshark does not treat as HTTP.
        for port in 18080..=18089 {
            cmd.args(["-d", &format!("tcp.port=={port},http")]);
        }
        // The TLS servers' ports: tshark must be told they carry TLS, not given keys.
        for port in 18090..=18099 {
            cmd.args(["-d", &format!("tcp.port=={port},tls")]);
        }
        for f in fields {
            cmd.args(["-e", f]);
        }
        let out = cmd.output().unwrap_or_else(|e| {
            panic!("tshark is required for the golden tests (apt-get install tshark, or run .ci/run): {e}")
        });
        let stderr = String::from_utf8_lossy(&out.stderr);
        // tshark reads what it can of a capture cut short, then exits non-zero.
        assert!(
            out.status.success() || stderr.contains("cut short"),
            "tshark failed: {stderr}"
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect()
    };
    let mut requests = Vec::new();
    let fields = [
        "http.request.method",
        "http.request.full_uri",
        "http.request.uri",
    ];
    for row in run("http.request", &fields) {
        // Pipelined requests in one frame come out comma-separated.
        let column = |i: usize| -> Vec<String> {
            row.get(i)
                .map_or(vec![], |s| s.split(',').map(str::to_owned).collect())
        };
        let (methods, full, uris) = (column(0), column(1), column(2));
        for (i, m) in methods.into_iter().enumerate() {
            // Without a Host header tshark has no full URI, only the target.
            let url = full
                .get(i)
                .filter(|u| !u.is_empty())
                .or(uris.get(i))
                .cloned();
            requests.push((m, url.unwrap_or_default()));
        }
    }
    let mut statuses = Vec::new();
    for row in run("http.response", &["http.response.code"]) {
        for code in row[0].split(',') {
            if let Ok(c) = code.parse::<u64>() {
                statuses.push(c);
            }
        }
    }
    (requests, statuses)
}

fn expected_files() -> Vec<PathBuf> {
    expected_with_suffix(".expected.json")
}

fn expected_with_suffix(suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("tests/golden exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden captures in tests/golden");
    files
}

#[test]
fn golden_captures_give_exact_transactions() {
    let mut failures = Vec::new();
    for file in expected_files() {
        let (expected, capture) = load_expected(&file);
        let (mut got, report) = analyze(&capture);
        got.sort_by_key(request_order_key);
        for t in &got {
            check_timings_add_up(t);
        }
        let want = expected["transactions"].as_array().expect("transactions");
        compare_transactions(&capture, &summarise_all(&got), want, &mut failures);
        assert!(
            report["stats"].is_object(),
            "report carries the loss counters"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_captures_agree_with_tshark() {
    let mut failures = Vec::new();
    for file in expected_files() {
        let (_, capture) = load_expected(&file);
        // tshark stops dissecting a direction of a connection at its first missing segment,
        // so on a capture with loss it sees less than there is; the expected file, derived
        // from what was sent, is the reference there.
        if capture.file_name().is_some_and(|n| n == "loss.pcap") {
            continue;
        }
        let (got, _) = analyze(&capture);
        let (tshark_requests, tshark_statuses) = tshark_view(&capture);
        let mut ours: Vec<(String, String)> = got
            .iter()
            .filter(|t| t["request"].is_object())
            .map(|t| {
                (
                    t["request"]["method"].as_str().unwrap_or("").to_owned(),
                    t["url"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        // tshark builds a full URL only from a Host header; without one it shows the path.
        let mut theirs: Vec<(String, String)> = tshark_requests
            .into_iter()
            .map(|(m, url)| {
                match (
                    url.starts_with('/'),
                    ours.iter().find(|(om, ou)| *om == m && ou.ends_with(&url)),
                ) {
                    (true, Some((_, full))) => (m, full.clone()),
                    _ => (m, url),
                }
            })
            .collect();
        ours.sort();
        theirs.sort();
        if ours != theirs {
            failures.push(format!(
                "{}: requests differ\n ours:   {ours:?}\n tshark: {theirs:?}",
                capture.display()
            ));
        }
        let mut our_statuses: Vec<u64> = got
            .iter()
            .filter_map(|t| t["response"].as_object())
            .flat_map(|r| {
                let interim = r["interim"].as_array().cloned().unwrap_or_default();
                interim
                    .iter()
                    .filter_map(|i| i["status"].as_u64())
                    .chain(r["status"].as_u64())
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut their_statuses = tshark_statuses;
        our_statuses.sort_unstable();
        their_statuses.sort_unstable();
        if our_statuses != their_statuses {
            failures.push(format!(
                "{}: response statuses differ\n ours:   {our_statuses:?}\n tshark: {their_statuses:?}",
                capture.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An expected file and the capture it describes.
fn load_expected(file: &Path) -> (Value, PathBuf) {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(file).expect("read expected")).expect("json");
    let capture = golden_dir().join(expected["capture"].as_str().expect("capture name"));
    (expected, capture)
}

/// Analyses `capture` with the key log its expected file names; transactions come back in
/// request order, each checked for timings that add up.
fn analyze_expected(expected: &Value, capture: &Path) -> Analysis {
    let args = keylog_args(expected);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut a = analyze_with(capture, &args);
    a.transactions.sort_by_key(request_order_key);
    for t in &a.transactions {
        check_timings_add_up(t);
    }
    a
}

/// The `--keylog` argument an expected file asks for.
fn keylog_args(expected: &Value) -> Vec<String> {
    match expected["keylog"].as_str() {
        Some(keys) => vec![
            "--keylog".into(),
            golden_dir().join(keys).display().to_string(),
        ],
        None => vec![],
    }
}

#[test]
fn tls_captures_decrypt_to_exact_transactions() {
    let mut failures = Vec::new();
    for file in expected_with_suffix(".tls-expected.json") {
        let (expected, capture) = load_expected(&file);
        let a = analyze_expected(&expected, &capture);
        for t in &a.transactions {
            if t["position"] == 0 && t["tls"]["handshake_end"].is_i64() {
                assert!(
                    t["timings"]["ssl"].is_u64(),
                    "first request over TLS has an ssl phase: {t}"
                );
            }
        }
        let want = expected["transactions"].as_array().expect("transactions");
        compare_transactions(
            &capture,
            &summarise_all(&a.transactions),
            want,
            &mut failures,
        );
        let want_conns = expected["tls_connections"]
            .as_array()
            .expect("tls_connections");
        let mut conns = a.connections.clone();
        conns.sort_by_key(|c| c["id"].as_u64());
        if conns.len() != want_conns.len() {
            failures.push(format!(
                "{}: {} TLS connection records, expected {}",
                capture.display(),
                conns.len(),
                want_conns.len()
            ));
            continue;
        }
        for (c, w) in conns.iter().zip(want_conns) {
            let tls = &c["tls"];
            let got = serde_json::json!({
                "connection": c["id"],
                "version": tls["version"],
                "cipher_suite": tls["cipher_suite"],
                "sni": tls["sni"],
                "alpn": tls["alpn"],
                "resumed": tls["resumed"],
                "alpn_offered": tls["alpn_offered"],
                "decryption": tls["decryption"]["state"],
            });
            for (key, wv) in w.as_object().expect("object") {
                if got[key] != *wv {
                    failures.push(format!(
                        "{} connection {}: {key} = {}, expected {wv}",
                        capture.display(),
                        c["id"],
                        got[key]
                    ));
                }
            }
            let records = &tls["records"];
            if !(records[0].as_u64() > Some(0) && records[1].as_u64() > Some(0)) {
                failures.push(format!(
                    "{} connection {}: records {records}",
                    capture.display(),
                    c["id"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `--write-pcapng` embeds the secrets: tshark, with no key options, sees the same requests.
#[test]
fn written_pcapng_decrypts_in_tshark_without_options() {
    let file = golden_dir().join("tls13-nginx.tls-expected.json");
    let expected: Value =
        serde_json::from_slice(&std::fs::read(file).expect("read")).expect("json");
    let capture = golden_dir().join(expected["capture"].as_str().expect("capture"));
    let out = std::env::temp_dir().join(format!("httpscope-golden-{}.pcapng", std::process::id()));
    let mut args = keylog_args(&expected);
    args.extend(["--write-pcapng".into(), out.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let a = analyze_with(&capture, &args);
    let (tshark_requests, _) = tshark_view(&out);
    let mut ours: Vec<(String, String)> = a
        .transactions
        .iter()
        .map(|t| {
            let method = t["request"]["method"].as_str().unwrap_or("").to_owned();
            (method, t["url"].as_str().unwrap_or("").to_owned())
        })
        .collect();
    let mut theirs = tshark_requests;
    ours.sort();
    theirs.sort();
    assert!(!ours.is_empty());
    assert_eq!(
        ours, theirs,
        "tshark reading the written pcapng with no key options"
    );
    // httpscope reads the secrets back from the Decryption Secrets Blocks too.
    let again = analyze_with(&out, &[]);
    let mut reread: Vec<(String, String)> = again
        .transactions
        .iter()
        .map(|t| {
            let method = t["request"]["method"].as_str().unwrap_or("").to_owned();
            (method, t["url"].as_str().unwrap_or("").to_owned())
        })
        .collect();
    reread.sort();
    assert_eq!(
        ours, reread,
        "the written pcapng decrypts with its embedded secrets"
    );
    std::fs::remove_file(out).expect("remove the written pcapng");
}

/// Wrong keys never produce garbage HTTP: every connection says its records failed.
#[test]
fn wrong_keys_are_reported_per_connection() {
    let keys = std::fs::read_to_string(golden_dir().join("tls13-nginx.keys")).expect("keys");
    // Flip the last hex digit of every secret.
    let wrong: String = keys
        .lines()
        .map(|line| {
            let mut l = line.to_owned();
            if let Some(last) = l.pop() {
                l.push(if last == '0' { '1' } else { '0' });
            }
            l + "\n"
        })
        .collect();
    let path = std::env::temp_dir().join(format!("httpscope-wrong-{}.keys", std::process::id()));
    std::fs::write(&path, wrong).expect("write keys");
    let a = analyze_with(
        &golden_dir().join("tls13-nginx.pcapng"),
        &["--keylog", path.to_str().expect("utf-8 path")],
    );
    std::fs::remove_file(&path).expect("remove keys");
    assert!(a.transactions.is_empty(), "no transactions from wrong keys");
    assert_eq!(a.connections.len(), 3);
    for c in &a.connections {
        assert_eq!(c["tls"]["decryption"]["state"], "failed", "{c}");
        assert!(c["tls"]["decryption"]["records"].as_u64() > Some(0));
    }
    assert_eq!(a.report["stats"]["tls"]["failed"], 3);
}

/// Compares transaction summaries with an expected list; differences go to `failures`.
fn compare_transactions(capture: &Path, got: &[Value], want: &[Value], failures: &mut Vec<String>) {
    if got.len() != want.len() {
        failures.push(format!(
            "{}: {} transactions, expected {}\n got: {}",
            capture.display(),
            got.len(),
            want.len(),
            serde_json::to_string_pretty(got).unwrap_or_default()
        ));
        return;
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        for (key, wv) in w.as_object().expect("object") {
            if key == "dns_lookup" {
                continue;
            }
            if g[key] != *wv {
                failures.push(format!(
                    "{} transaction {i} ({} {}): {key} = {}, expected {wv}",
                    capture.display(),
                    g["method"],
                    g["url"],
                    g[key]
                ));
            }
        }
    }
}

#[test]
fn http2_captures_give_exact_streams() {
    let mut failures = Vec::new();
    for file in expected_with_suffix(".h2-expected.json") {
        let (expected, capture) = load_expected(&file);
        let a = analyze_expected(&expected, &capture);
        let want = expected["transactions"].as_array().expect("transactions");
        compare_transactions(
            &capture,
            &summarise_all(&a.transactions),
            want,
            &mut failures,
        );
        // tshark's HTTP/2 dissection of the same capture names the same requests.
        let mut ours: Vec<String> = a
            .transactions
            .iter()
            .filter_map(|t| t["url"].as_str().map(str::to_owned))
            .collect();
        // tshark follows an h2c Upgrade only when the port is decoded as HTTP/1.
        let upgrade = expected["h2_connections"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["how"] == "h2c_upgrade"));
        let clear = if upgrade { "http" } else { "http2" };
        let mut theirs = tshark_h2_urls(&capture, expected["keylog"].as_str(), clear);
        ours.sort();
        theirs.sort();
        if ours != theirs {
            failures.push(format!(
                "{}: requests differ\n ours:   {ours:?}\n tshark: {theirs:?}",
                capture.display()
            ));
        }
        let mut ids: Vec<u64> = a
            .transactions
            .iter()
            .filter_map(|t| t["connection"].as_u64())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for w in expected["h2_connections"]
            .as_array()
            .expect("h2_connections")
        {
            let n = w["connection"].as_u64().expect("connection") as usize;
            let Some(id) = ids.get(n - 1) else {
                failures.push(format!("{}: no connection {n}", capture.display()));
                continue;
            };
            let Some(record) = a.connections.iter().find(|c| c["id"].as_u64() == Some(*id)) else {
                failures.push(format!(
                    "{}: no connection record for {n}",
                    capture.display()
                ));
                continue;
            };
            let h2 = &record["http2"];
            if h2["streams"] != w["streams"] {
                failures.push(format!(
                    "{} connection {n}: streams {} expected {}",
                    capture.display(),
                    h2["streams"],
                    w["streams"]
                ));
            }
            if h2["max_concurrent"].as_u64() < w["max_concurrent_at_least"].as_u64() {
                failures.push(format!(
                    "{} connection {n}: max_concurrent {} below {}",
                    capture.display(),
                    h2["max_concurrent"],
                    w["max_concurrent_at_least"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn dns_lookups_are_paired_and_linked() {
    let mut failures = Vec::new();
    for file in expected_with_suffix(".dns-expected.json") {
        let (expected, capture) = load_expected(&file);
        let out = Command::new(env!("CARGO_BIN_EXE_httpscope"))
            .arg("analyze")
            .arg(&capture)
            .args(["--jsonl", "-", "--no-progress"])
            .output()
            .expect("run httpscope");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let records: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        let mut lookups: Vec<&Value> = records.iter().filter(|r| r["type"] == "dns").collect();
        lookups.sort_by_key(|l| l["start"].as_i64());
        let want = expected["lookups"].as_array().expect("lookups");
        if lookups.len() != want.len() {
            failures.push(format!(
                "{}: {} lookups, expected {}",
                capture.display(),
                lookups.len(),
                want.len()
            ));
        } else {
            for (i, (g, w)) in lookups.iter().zip(want).enumerate() {
                for key in ["name", "qtype", "rcode", "answers", "attempts", "outcome"] {
                    if g[key] != w[key] {
                        failures.push(format!(
                            "{} lookup {i}: {key} = {}, expected {}",
                            capture.display(),
                            g[key],
                            w[key]
                        ));
                    }
                }
            }
        }
        let mut transactions: Vec<Value> = records
            .iter()
            .filter(|r| r["type"] == "transaction")
            .cloned()
            .collect();
        transactions.sort_by_key(request_order_key);
        let wanted = expected["transactions"].as_array().expect("transactions");
        compare_transactions(
            &capture,
            &summarise_all(&transactions),
            wanted,
            &mut failures,
        );
        for (t, w) in transactions.iter().zip(wanted) {
            check_timings_add_up(t);
            let Some(index) = w["dns_lookup"].as_u64() else {
                continue;
            };
            let Some(lookup) = lookups.get(index as usize) else {
                continue;
            };
            let duration = lookup["end"]
                .as_i64()
                .zip(lookup["start"].as_i64())
                .map(|(e, s)| e - s);
            if t["dns"]["start"] != lookup["start"] || t["timings"]["dns"].as_i64() != duration {
                failures.push(format!(
                    "{}: {} not linked to lookup {index} (dns phase {}, lookup took {duration:?})",
                    capture.display(),
                    t["url"],
                    t["timings"]["dns"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The URLs of the requests tshark sees in an HTTP/2 capture: HTTP/2 requests, plus the
/// HTTP/1.1 request an h2c Upgrade begins with. Cleartext ports are decoded as `clear`.
fn tshark_h2_urls(capture: &Path, keylog: Option<&str>, clear: &str) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(capture);
    if let Some(keys) = keylog {
        let path = golden_dir().join(keys);
        cmd.arg("-o")
            .arg(format!("tls.keylog_file:{}", path.display()));
    }
    for port in 18100..=18129 {
        let protocol = if port == 18100 { "tls" } else { clear };
        cmd.args(["-d", &format!("tcp.port=={port},{protocol}")]);
    }
    cmd.args(["-Y", "http2.request.full_uri || http.request.full_uri"]);
    cmd.args(["-T", "fields", "-E", "occurrence=a"]);
    cmd.args([
        "-e",
        "http2.request.full_uri",
        "-e",
        "http.request.full_uri",
    ]);
    let out = cmd
        .output()
        .expect("tshark is required for the golden tests");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .flat_map(|line| {
            line.split(['\t', ','])
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|u| !u.is_empty())
        .collect()
}

/// Findings on real traffic: every rule an expected file says fires does, on the URLs,
/// names or origins it lists, and every rule it lists as absent does not fire.
#[test]
fn findings_fire_where_the_traffic_shows_the_problem() {
    let mut failures = Vec::new();
    for file in expected_with_suffix(".findings-expected.json") {
        let (expected, capture) = load_expected(&file);
        let mut args = keylog_args(&expected);
        for a in expected["args"].as_array().into_iter().flatten() {
            args.push(a.as_str().expect("arg").to_owned());
        }
        let out = Command::new(env!("CARGO_BIN_EXE_httpscope"))
            .arg("analyze")
            .arg(&capture)
            .args(["--jsonl", "-", "--no-progress"])
            .args(&args)
            .output()
            .expect("run httpscope");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let records: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        let url_of = |id: &Value| {
            records
                .iter()
                .find(|r| r["type"] == "transaction" && r["id"] == *id)
                .and_then(|t| t["url"].as_str())
                .map(str::to_owned)
        };
        let found: Vec<&Value> = records.iter().filter(|r| r["type"] == "finding").collect();
        let name = capture.display();
        for want in expected["fire"].as_array().expect("fire") {
            let rule = want["rule"].as_str().expect("rule");
            // Entries that hold only for thresholds other than the defaults the capture is
            // analysed with say so in `condition`; they are not asserted.
            if !want["condition"].is_null() {
                continue;
            }
            let of_rule: Vec<&&Value> = found.iter().filter(|f| f["rule"] == rule).collect();
            if of_rule.is_empty() {
                failures.push(format!("{name}: {rule} did not fire"));
                continue;
            }
            let urls: Vec<String> = of_rule
                .iter()
                .flat_map(|f| f["transactions"].as_array().cloned().unwrap_or_default())
                .filter_map(|id| url_of(&id))
                .collect();
            let text: String = of_rule.iter().map(|f| f.to_string()).collect();
            for u in want["urls"].as_array().into_iter().flatten() {
                let u = u.as_str().expect("url");
                if !urls.iter().any(|x| x == u) && !text.contains(u) {
                    failures.push(format!("{name}: {rule} does not mention {u}"));
                }
            }
            for key in ["names", "origins"] {
                for v in want[key].as_array().into_iter().flatten() {
                    let v = v.as_str().expect("name");
                    if !text.contains(v) {
                        failures.push(format!("{name}: {rule} does not mention {v}"));
                    }
                }
            }
        }
        for rule in expected["absent"].as_array().expect("absent") {
            if let Some(f) = found.iter().find(|f| f["rule"] == *rule) {
                failures.push(format!(
                    "{name}: {rule} fired but should not: {}",
                    f["message"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `--fail-on` turns findings into a failing exit status.
#[test]
fn fail_on_gates_the_exit_status() {
    let capture = golden_dir().join("retry-storm.pcap");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_httpscope"))
            .arg("analyze")
            .arg(&capture)
            .args(["--quiet", "--no-progress"])
            .args(extra)
            .status()
            .expect("run httpscope")
            .code()
    };
    assert_eq!(run(&[]), Some(0));
    assert_eq!(run(&["--fail-on", "error"]), Some(3));
    assert_eq!(
        run(&[
            "--fail-on",
            "error",
            "--disable",
            "retry-storm",
            "--disable",
            "failed-request"
        ]),
        Some(0)
    );
}
