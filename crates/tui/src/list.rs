//! The request list: every transaction received, and the filtered, sorted view of it.
//!
//! This module owns [`Row`] (what the list shows of a transaction, compact: a few numbers and
//! short strings, plus the redacted transaction as one JSON blob that is decoded only when the
//! row is opened), the [`Filter`], the [`SortKey`], and [`RequestList`], which holds every row
//! for navigation and keeps the view (indices of matching rows in sort order) and the
//! waterfall's [`Axis`] over that view.
//!
//! Invariants: rows are never removed, so a row index identifies a request for the whole
//! session; every index in the view is a valid row index; rows added since the last
//! [`RequestList::refresh`] are not in the view yet.

use crate::format::clean;
use crate::waterfall::{self, Axis};
use model::{header_value, Transaction};
use std::cmp::Ordering;

/// What the list shows of one transaction.
#[derive(Clone, Debug)]
pub struct Row {
    /// The transaction's id.
    pub id: u64,
    /// Its start, in nanoseconds since the epoch.
    pub start: i64,
    /// The status code; 0 without a response.
    pub status: u16,
    /// The method (`GET`), empty when the request was not seen.
    pub method: Box<str>,
    /// `host[:port]`.
    pub host: Box<str>,
    /// Path and query (redacted unless secrets are shown).
    pub path: Box<str>,
    /// `HTTP/1.1`, `HTTP/2`.
    pub protocol: Box<str>,
    /// `comm[pid]` of the process that made it, when known.
    pub process: Option<Box<str>>,
    /// Response bytes on the wire (headers and body).
    pub transferred: u64,
    /// Response body size after decoding.
    pub size: u64,
    /// Total time (HAR's `time`), nanoseconds.
    pub time: u64,
    /// The phase durations of the waterfall.
    pub phases: [u64; 7],
    /// Finding rules that fired on it.
    pub findings: u32,
    /// Whether it is incomplete (no response, gap, reset, ...).
    pub incomplete: bool,
    /// The (redacted) transaction as JSON, decoded when the row is opened.
    blob: Box<[u8]>,
}

impl Row {
    /// The row of `t`, with its credentials redacted unless `show_secrets`.
    pub fn new(t: &Transaction, show_secrets: bool) -> Row {
        let redacted;
        let t = if show_secrets {
            t
        } else {
            redacted = output::redact_transaction(t);
            &redacted
        };
        let host = t
            .request
            .as_ref()
            .and_then(|r| {
                header_value(&r.headers, "host").or_else(|| header_value(&r.headers, ":authority"))
            })
            .map_or_else(|| t.server.to_string(), str::to_owned);
        // Serialising plain data to memory cannot fail; an empty blob shows as "no details".
        let blob = serde_json::to_vec(t).unwrap_or_default();
        Row {
            id: t.id,
            start: t.start.0,
            status: t.status(),
            method: clean(t.method()).into(),
            host: clean(&host).into(),
            path: clean(path_of(t)).into(),
            protocol: clean(&t.protocol).into(),
            process: t.process.as_ref().map(|p| clean(&p.label()).into()),
            transferred: t.response_wire_bytes(),
            size: t.response_decoded_bytes(),
            time: t.timings.total(),
            phases: waterfall::phases(&t.timings),
            findings: u32::try_from(t.findings.len()).unwrap_or(u32::MAX),
            incomplete: !t.incomplete.is_empty(),
            blob: blob.into_boxed_slice(),
        }
    }

    /// The transaction behind the row, as stored (redacted unless secrets are shown).
    pub fn transaction(&self) -> Option<Transaction> {
        serde_json::from_slice(&self.blob).ok()
    }

    /// Whether it failed or got an error status (no response, 4xx, 5xx).
    pub fn is_error(&self) -> bool {
        self.status == 0 || self.status >= 400
    }
}

/// The path and query of `t`'s URL (`/` when it has none), or its request target.
fn path_of(t: &Transaction) -> &str {
    match t.url.find("://") {
        Some(i) => {
            let rest = t.url.get(i + 3..).unwrap_or("");
            rest.find('/').and_then(|j| rest.get(j..)).unwrap_or("/")
        }
        None => t.request.as_ref().map_or(t.url.as_str(), |r| &r.target),
    }
}

/// Which status codes the view keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Every request.
    #[default]
    All,
    /// 400 to 499.
    Client,
    /// 500 to 599.
    Server,
    /// No response, 4xx or 5xx.
    Errors,
}

impl StatusFilter {
    fn matches(self, status: u16) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Client => (400..500).contains(&status),
            StatusFilter::Server => (500..600).contains(&status),
            StatusFilter::Errors => status == 0 || status >= 400,
        }
    }

    /// How the footer names it; `None` for [`StatusFilter::All`].
    pub fn label(self) -> Option<&'static str> {
        match self {
            StatusFilter::All => None,
            StatusFilter::Client => Some("4xx"),
            StatusFilter::Server => Some("5xx"),
            StatusFilter::Errors => Some("errors"),
        }
    }
}

/// What the view keeps: rows matching every word of `text` (ASCII case-insensitive, each in
/// the host, path, status, method, protocol or process) and the status filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Words separated by spaces.
    pub text: String,
    /// The status filter.
    pub status: StatusFilter,
}

impl Filter {
    /// Whether `row` passes.
    pub fn matches(&self, row: &Row) -> bool {
        if !self.status.matches(row.status) {
            return false;
        }
        self.text.split_whitespace().all(|word| {
            let status = if row.status == 0 {
                "failed".to_owned()
            } else {
                row.status.to_string()
            };
            [
                &*row.host,
                &*row.path,
                &*row.method,
                &*row.protocol,
                row.process.as_deref().unwrap_or(""),
                &status,
            ]
            .iter()
            .any(|field| contains_ignore_case(field, word))
        })
    }

    /// Whether it keeps everything.
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.status == StatusFilter::All
    }
}

/// Whether `needle` occurs in `hay`, ASCII case-insensitively.
fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// The order of the view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// By start time (then id).
    #[default]
    Start,
    /// By total time.
    Duration,
    /// By response size on the wire.
    Size,
    /// By status code.
    Status,
}

impl SortKey {
    /// The next key in the cycle `start → duration → size → status → start`.
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Start => SortKey::Duration,
            SortKey::Duration => SortKey::Size,
            SortKey::Size => SortKey::Status,
            SortKey::Status => SortKey::Start,
        }
    }

    /// Its name in the footer.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Start => "start",
            SortKey::Duration => "duration",
            SortKey::Size => "size",
            SortKey::Status => "status",
        }
    }

    fn compare(self, a: &Row, b: &Row) -> Ordering {
        let primary = match self {
            SortKey::Start => Ordering::Equal,
            SortKey::Duration => a.time.cmp(&b.time),
            SortKey::Size => a.transferred.cmp(&b.transferred),
            SortKey::Status => a.status.cmp(&b.status),
        };
        primary.then(a.start.cmp(&b.start)).then(a.id.cmp(&b.id))
    }
}

/// Counts over every row received (not only the view).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rows received.
    pub total: u64,
    /// 4xx responses.
    pub client_errors: u64,
    /// 5xx responses.
    pub server_errors: u64,
    /// No response.
    pub failed: u64,
}

/// Every row, and the view of those that pass the filter, in sort order.
#[derive(Debug, Default)]
pub struct RequestList {
    rows: Vec<Row>,
    /// Indices into `rows`.
    view: Vec<usize>,
    /// Rows from this index on are not in the view yet.
    pending: usize,
    filter: Filter,
    sort: SortKey,
    descending: bool,
    axis: Option<Axis>,
    counts: Counts,
}

impl RequestList {
    /// An empty list sorted by start.
    pub fn new() -> RequestList {
        RequestList::default()
    }

    /// Adds a row; it enters the view at the next [`refresh`](Self::refresh).
    pub fn push(&mut self, row: Row) {
        self.counts.total += 1;
        match row.status {
            0 => self.counts.failed += 1,
            400..=499 => self.counts.client_errors += 1,
            500..=599 => self.counts.server_errors += 1,
            _ => {}
        }
        self.rows.push(row);
    }

    /// Brings the rows added since the last call into the view. Returns whether it changed.
    pub fn refresh(&mut self) -> bool {
        if self.pending == self.rows.len() {
            return false;
        }
        if self.extend() {
            // The view was sorted and the new rows are appended: a stable sort merges the run.
            self.sort_view();
        }
        true
    }

    /// Appends the matching rows added since the last call to the view, unsorted. Returns
    /// whether any was appended.
    fn extend(&mut self) -> bool {
        let before = self.view.len();
        for i in self.pending..self.rows.len() {
            if self.rows.get(i).is_some_and(|r| self.filter.matches(r)) {
                self.view.push(i);
            }
        }
        self.pending = self.rows.len();
        self.view.len() != before
    }

    /// Replaces the filter and rebuilds the view.
    pub fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.view.clear();
        self.pending = 0;
        self.extend();
        self.sort_view();
    }

    /// Replaces the sort order.
    pub fn set_sort(&mut self, key: SortKey, descending: bool) {
        self.sort = key;
        self.descending = descending;
        self.extend();
        self.sort_view();
    }

    fn sort_view(&mut self) {
        let (rows, key, desc) = (&self.rows, self.sort, self.descending);
        self.view
            .sort_by(|&a, &b| match (rows.get(a), rows.get(b)) {
                (Some(x), Some(y)) => {
                    let o = key.compare(x, y);
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
                _ => a.cmp(&b),
            });
        self.axis = Axis::covering(
            self.view
                .iter()
                .filter_map(|&i| rows.get(i))
                .map(|r| (r.start, r.phases.iter().sum())),
        );
    }

    /// The current filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The current sort key and whether it is descending.
    pub fn sort(&self) -> (SortKey, bool) {
        (self.sort, self.descending)
    }

    /// Rows in the view.
    pub fn view_len(&self) -> usize {
        self.view.len()
    }

    /// The row index at `pos` in the view.
    pub fn index_at(&self, pos: usize) -> Option<usize> {
        self.view.get(pos).copied()
    }

    /// The row at `pos` in the view.
    pub fn at(&self, pos: usize) -> Option<&Row> {
        self.index_at(pos).and_then(|i| self.rows.get(i))
    }

    /// The row with index `index`.
    pub fn row(&self, index: usize) -> Option<&Row> {
        self.rows.get(index)
    }

    /// Where row `index` is in the view, if it passes the filter.
    pub fn position_of(&self, index: usize) -> Option<usize> {
        self.view.iter().position(|&i| i == index)
    }

    /// The waterfall's axis over the view; `None` when it is empty.
    pub fn axis(&self) -> Option<Axis> {
        self.axis
    }

    /// Counts over every row received.
    pub fn counts(&self) -> Counts {
        self.counts
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use model::{
        BodySize, ConnectionId, Header, MessageTimes, Process, Request, Response, Timestamp,
        Timings,
    };

    pub(crate) const MS: u64 = 1_000_000;
    pub(crate) const T0: i64 = 1_709_210_096_000_000_000;

    /// A transaction `offset_ms` after [`T0`] lasting `wait_ms` + 1 ms.
    pub(crate) fn tx(
        id: u64,
        offset_ms: u64,
        url: &str,
        status: Option<u16>,
        wait_ms: u64,
    ) -> Transaction {
        let host = url.split('/').nth(2).unwrap_or("example.com").to_owned();
        let target = format!("/{}", url.splitn(4, '/').nth(3).unwrap_or(""));
        Transaction {
            id,
            connection: ConnectionId(id),
            client: "10.0.0.1:40000".parse().unwrap(),
            server: "93.184.216.34:80".parse().unwrap(),
            position: 0,
            start: Timestamp(T0 + (offset_ms * MS) as i64),
            protocol: "HTTP/1.1".into(),
            url: url.into(),
            request: Some(Request {
                method: "GET".into(),
                target,
                version: "HTTP/1.1".into(),
                headers: vec![
                    Header::new("Host", host),
                    Header::new("Authorization", "Bearer s3cr3t"),
                ],
                trailers: vec![],
                header_bytes: 100,
                body: BodySize::default(),
            }),
            response: status.map(|status| Response {
                status,
                reason: "Reason".into(),
                version: "HTTP/1.1".into(),
                headers: vec![Header::new("ETag", "\"v1\"")],
                trailers: vec![],
                header_bytes: 200,
                interim: vec![],
                body: BodySize {
                    wire: 1_000 * id,
                    encoded: 1_000 * id,
                    decoded: None,
                },
            }),
            times: MessageTimes::default(),
            timings: Timings {
                send: Some(MS),
                wait: Some(wait_ms * MS),
                ..Timings::default()
            },
            tunnel: None,
            tls: None,
            stream: None,
            dns: None,
            redirect: None,
            findings: vec![],
            grpc: None,
            incomplete: vec![],
            process: None,
            source: None,
        }
    }

    pub(crate) fn curl() -> Process {
        Process {
            pid: 4242,
            ppid: Some(1),
            uid: Some(1000),
            comm: "curl".into(),
            exe: Some("/usr/bin/curl".into()),
            cmdline: vec!["curl".into(), "-s".into(), "http://api.test/v1".into()],
            cgroup: Some("/user.slice/session-1.scope".into()),
            container: None,
        }
    }

    fn list() -> RequestList {
        let mut l = RequestList::new();
        let mut with_process = tx(3, 30, "http://api.test/v1/items?token=abc", Some(404), 5);
        with_process.process = Some(curl());
        for t in [
            tx(1, 0, "http://www.test/", Some(200), 50),
            tx(2, 10, "http://www.test/app.js", Some(500), 20),
            with_process,
            tx(4, 5, "http://cdn.test/img.png", None, 1),
        ] {
            l.push(Row::new(&t, false));
        }
        l.refresh();
        l
    }

    fn ids(l: &RequestList) -> Vec<u64> {
        (0..l.view_len())
            .filter_map(|p| l.at(p))
            .map(|r| r.id)
            .collect()
    }

    #[test]
    fn rows_are_compact_and_redacted() {
        let l = list();
        let r = l.row(2).unwrap();
        assert_eq!(&*r.host, "api.test");
        assert_eq!(&*r.path, "/v1/items?token=[redacted]");
        assert_eq!(r.process.as_deref(), Some("curl[4242]"));
        assert_eq!(r.transferred, 3_200);
        assert_eq!(r.time, 6 * MS);
        let t = r.transaction().unwrap();
        let auth = &t.request.unwrap().headers[1].value;
        assert_eq!(auth, "Bearer [redacted]");
        assert_eq!(t.process.unwrap().cmdline.len(), 3);
        let shown = Row::new(&tx(9, 0, "http://a/?token=abc", None, 1), true);
        assert_eq!(&*shown.path, "/?token=abc");
    }

    #[test]
    fn view_sorts_by_start_then_by_the_chosen_key() {
        let mut l = list();
        assert_eq!(ids(&l), [1, 4, 2, 3]);
        l.set_sort(SortKey::Duration, true);
        assert_eq!(ids(&l), [1, 2, 3, 4]);
        l.set_sort(SortKey::Size, true);
        assert_eq!(ids(&l), [3, 2, 1, 4]);
        l.set_sort(SortKey::Status, false);
        assert_eq!(ids(&l), [4, 1, 3, 2]);
        // New rows are merged into the order at the next refresh.
        l.push(Row::new(
            &tx(5, 1, "http://www.test/x", Some(302), 1),
            false,
        ));
        assert_eq!(ids(&l), [4, 1, 3, 2]);
        assert!(l.refresh());
        assert_eq!(ids(&l), [4, 1, 5, 3, 2]);
        assert!(!l.refresh());
    }

    #[test]
    fn filters_match_words_and_status_classes() {
        let mut l = list();
        let f = |text: &str, status| Filter {
            text: text.into(),
            status,
        };
        l.set_filter(f("www", StatusFilter::All));
        assert_eq!(ids(&l), [1, 2]);
        l.set_filter(f("WWW app", StatusFilter::All));
        assert_eq!(ids(&l), [2]);
        l.set_filter(f("curl", StatusFilter::All));
        assert_eq!(ids(&l), [3]);
        l.set_filter(f("404", StatusFilter::All));
        assert_eq!(ids(&l), [3]);
        l.set_filter(f("failed", StatusFilter::All));
        assert_eq!(ids(&l), [4]);
        l.set_filter(f("", StatusFilter::Client));
        assert_eq!(ids(&l), [3]);
        l.set_filter(f("", StatusFilter::Server));
        assert_eq!(ids(&l), [2]);
        l.set_filter(f("", StatusFilter::Errors));
        assert_eq!(ids(&l), [4, 2, 3]);
        l.set_filter(f("nothing-matches", StatusFilter::All));
        assert_eq!(l.view_len(), 0);
        assert_eq!(l.axis(), None);
        assert_eq!(l.counts().total, 4);
        assert_eq!(
            l.counts(),
            Counts {
                total: 4,
                client_errors: 1,
                server_errors: 1,
                failed: 1
            }
        );
    }

    #[test]
    fn axis_spans_the_view() {
        let mut l = list();
        let a = l.axis().unwrap();
        assert_eq!(a.start, T0);
        assert_eq!(a.span, 51 * MS);
        l.set_filter(Filter {
            text: "api".into(),
            status: StatusFilter::All,
        });
        assert_eq!(l.axis().unwrap().start, T0 + 30 * MS as i64);
        assert_eq!(l.position_of(2), Some(0));
        assert_eq!(l.position_of(0), None);
    }
}
