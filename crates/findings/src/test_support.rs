//! Hand-built transactions, connections and lookups for the rules' tests.

use crate::{Analyzer, Config};
use model::{
    BodySize, ConnectionId, ConnectionRecord, DnsLookup, DnsOutcome, Finding, Header, Incomplete,
    IncompleteReason, MessageTimes, Request, Response, Stats, Timestamp, Timings, TlsInfo,
    Transaction,
};
use std::net::SocketAddr;

/// One millisecond in nanoseconds.
pub(crate) const MS: i64 = 1_000_000;
/// A fixed day the tests happen on (2024-01-01T00:00:00Z), in nanoseconds.
pub(crate) const T0: i64 = 1_704_067_200 * 1_000_000_000;

/// Builds a transaction: `get("https://a.test/x").status(200).build()`.
pub(crate) struct B(Transaction);

/// A GET of `url` answered `200 OK` with no headers and an empty body, on connection 1.
pub(crate) fn get(url: &str) -> B {
    let https = url.starts_with("https") || url.starts_with("wss");
    let host = url
        .split_once("://")
        .map_or("", |(_, r)| r.split('/').next().unwrap_or(""));
    let server: SocketAddr = if https {
        "93.184.216.34:443"
    } else {
        "93.184.216.34:80"
    }
    .parse()
    .unwrap();
    B(Transaction {
        id: 1,
        connection: ConnectionId(1),
        client: "10.0.0.2:50000".parse().unwrap(),
        server,
        position: 0,
        start: Timestamp(T0),
        protocol: "HTTP/1.1".into(),
        url: url.into(),
        request: Some(Request {
            method: "GET".into(),
            target: "/".into(),
            version: "HTTP/1.1".into(),
            headers: vec![Header::new("Host", host)],
            header_bytes: 40,
            ..Default::default()
        }),
        response: Some(Response {
            status: 200,
            reason: "OK".into(),
            version: "HTTP/1.1".into(),
            header_bytes: 40,
            ..Default::default()
        }),
        times: MessageTimes {
            request_start: Some(Timestamp(T0)),
            request_end: Some(Timestamp(T0)),
            response_start: Some(Timestamp(T0 + MS)),
            response_end: Some(Timestamp(T0 + MS)),
        },
        timings: Timings::default(),
        tunnel: None,
        tls: https.then(|| tls("TLS 1.3", "TLS_AES_128_GCM_SHA256")),
        stream: None,
        dns: None,
        redirect: None,
        findings: Vec::new(),
        grpc: None,
        incomplete: Vec::new(),
        process: None,
        source: None,
    })
}

/// A TLS session with this version and suite, HTTP/1.1 selected.
pub(crate) fn tls(version: &str, suite: &str) -> TlsInfo {
    TlsInfo {
        version: Some(version.into()),
        cipher_suite: Some(suite.into()),
        alpn: Some("http/1.1".into()),
        ..Default::default()
    }
}

impl B {
    pub(crate) fn id(mut self, id: u64) -> B {
        self.0.id = id;
        self
    }
    pub(crate) fn conn(mut self, id: u64, position: u32) -> B {
        self.0.connection = ConnectionId(id);
        self.0.position = position;
        self
    }
    /// Starts the exchange at `T0 + ms` and ends it 1 ms later.
    pub(crate) fn at_ms(mut self, ms: i64) -> B {
        let s = T0 + ms * MS;
        self.0.start = Timestamp(s);
        self.0.times = MessageTimes {
            request_start: Some(Timestamp(s)),
            request_end: Some(Timestamp(s)),
            response_start: Some(Timestamp(s + MS)),
            response_end: Some(Timestamp(s + MS)),
        };
        self
    }
    pub(crate) fn method(mut self, m: &str) -> B {
        if let Some(r) = self.0.request.as_mut() {
            r.method = m.into();
        }
        self
    }
    pub(crate) fn req_header(mut self, n: &str, v: &str) -> B {
        if let Some(r) = self.0.request.as_mut() {
            r.headers.push(Header::new(n, v));
        }
        self
    }
    pub(crate) fn header(mut self, n: &str, v: &str) -> B {
        if let Some(r) = self.0.response.as_mut() {
            r.headers.push(Header::new(n, v));
        }
        self
    }
    pub(crate) fn status(mut self, s: u16) -> B {
        if let Some(r) = self.0.response.as_mut() {
            r.status = s;
        }
        self
    }
    pub(crate) fn version(mut self, v: &str) -> B {
        self.0.protocol = v.into();
        if let Some(r) = self.0.response.as_mut() {
            r.version = v.into();
        }
        self
    }
    /// Response body: `encoded` bytes after transfer decoding, `decoded` after content decoding.
    pub(crate) fn body(mut self, encoded: u64, decoded: Option<u64>) -> B {
        if let Some(r) = self.0.response.as_mut() {
            r.body = BodySize {
                wire: encoded,
                encoded,
                decoded,
            };
        }
        self
    }
    pub(crate) fn resp_header_bytes(mut self, n: u64) -> B {
        if let Some(r) = self.0.response.as_mut() {
            r.header_bytes = n;
        }
        self
    }
    pub(crate) fn no_response(mut self, reason: IncompleteReason) -> B {
        self.0.response = None;
        self.0.incomplete.push(Incomplete {
            reason,
            detail: "test".into(),
        });
        self
    }
    pub(crate) fn incomplete(mut self, reason: IncompleteReason) -> B {
        self.0.incomplete.push(Incomplete {
            reason,
            detail: "test".into(),
        });
        self
    }
    pub(crate) fn timings(mut self, t: Timings) -> B {
        self.0.timings = t;
        self
    }
    pub(crate) fn tls(mut self, t: Option<TlsInfo>) -> B {
        self.0.tls = t;
        self
    }
    pub(crate) fn stream(mut self, s: u32) -> B {
        self.0.stream = Some(s);
        self.0.protocol = "HTTP/2".into();
        if let Some(r) = self.0.response.as_mut() {
            r.version = "HTTP/2".into();
        }
        self
    }
    pub(crate) fn server(mut self, addr: &str) -> B {
        self.0.server = addr.parse().unwrap();
        self
    }
    pub(crate) fn dns(mut self, l: DnsLookup) -> B {
        self.0.dns = Some(l);
        self
    }
    pub(crate) fn build(self) -> Transaction {
        self.0
    }
}

/// A DNS lookup of `name` (A) starting at `T0 + start_ms` and taking `took_ms`.
pub(crate) fn lookup(name: &str, start_ms: i64, took_ms: i64, outcome: DnsOutcome) -> DnsLookup {
    DnsLookup {
        client: "10.0.0.2:5353".parse().unwrap(),
        server: "10.0.0.1:53".parse().unwrap(),
        name: name.into(),
        qtype: "A".into(),
        start: Timestamp(T0 + start_ms * MS),
        end: Some(Timestamp(T0 + (start_ms + took_ms) * MS)),
        attempts: 1,
        rcode: Some("NOERROR".into()),
        answers: Vec::new(),
        addresses: vec!["93.184.216.34".parse().unwrap()],
        min_ttl: Some(60),
        outcome,
    }
}

/// A TLS connection record to 93.184.216.34:443 with no transactions.
pub(crate) fn connection(id: u64, start_ms: i64, tls: Option<TlsInfo>) -> ConnectionRecord {
    ConnectionRecord {
        id: ConnectionId(id),
        client: "10.0.0.2:50000".parse().unwrap(),
        server: "93.184.216.34:443".parse().unwrap(),
        start: Timestamp(T0 + start_ms * MS),
        end: Timestamp(T0 + (start_ms + 10) * MS),
        bytes: [100, 100],
        transactions: 0,
        tls,
        http2: None,
        process: None,
    }
}

/// Runs the default analyzer over transactions and returns the findings.
pub(crate) fn run(txs: &[Transaction]) -> Vec<Finding> {
    run_with(Config::default(), txs)
}

/// Runs an analyzer with `config` over transactions and returns the findings.
pub(crate) fn run_with(config: Config, txs: &[Transaction]) -> Vec<Finding> {
    let mut a = Analyzer::new(config);
    for t in txs {
        a.transaction(t);
    }
    a.finish(&Stats::default())
}

/// The findings of `rule` only.
pub(crate) fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

/// Whether `rule` fired on any of the transactions.
pub(crate) fn fires(rule: &str, txs: &[Transaction]) -> bool {
    !of(&run(txs), rule).is_empty()
}
