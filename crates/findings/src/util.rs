//! Small helpers shared by the rules: URL parts, loopback detection, header directive lists,
//! HTTP dates, freshness lifetimes, bounded maps.

use model::{header_value, Header, Response, Timestamp, Transaction};
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;

/// Nanoseconds per millisecond.
pub(crate) const NS_PER_MS: u64 = 1_000_000;

/// The parts of a URL the rules need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UrlParts {
    /// Lowercase scheme (`http`, `https`, `ws`, `wss`).
    pub scheme: String,
    /// Lowercase host, IPv6 without brackets.
    pub host: String,
    /// `scheme://host[:port]` with the default port left out.
    pub origin: String,
}

/// Splits `scheme://[user@]host[:port]/...`; `None` when there is no scheme or host.
pub(crate) fn parse_url(url: &str) -> Option<UrlParts> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let host = host.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" | "ws" => "80",
        "https" | "wss" => "443",
        _ => "",
    };
    let shown_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let origin = match port {
        Some(p) if !p.is_empty() && p != default => format!("{scheme}://{shown_host}:{p}"),
        _ => format!("{scheme}://{shown_host}"),
    };
    Some(UrlParts {
        scheme,
        host,
        origin,
    })
}

/// Whether `host` is loopback by itself: `Some(true)` for `localhost`, `*.localhost`,
/// 127.0.0.0/8, `::1` (and IPv4-mapped loopback), `Some(false)` for any other address, `None`
/// for other names (the caller decides from DNS answers or the server address).
pub(crate) fn host_is_loopback(host: &str) -> Option<bool> {
    let host = host.trim_end_matches('.');
    if host == "localhost" || host.ends_with(".localhost") {
        return Some(true);
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => Some(v4.is_loopback()),
        Ok(IpAddr::V6(v6)) => {
            Some(v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
        }
        Err(_) => None,
    }
}

/// Whether an address is loopback (IPv4-mapped included).
pub(crate) fn ip_is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The comma-separated directives of every `name` header, lowercase names, values unquoted:
/// `max-age=60, private` → `[("max-age", Some("60")), ("private", None)]`.
pub(crate) fn directives(headers: &[Header], name: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for h in headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)) {
        for item in split_list(&h.value) {
            let (k, v) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim().trim_matches('"').to_owned())),
                None => (item.trim(), None),
            };
            if !k.is_empty() {
                out.push((k.to_ascii_lowercase(), v));
            }
        }
    }
    out
}

/// Splits a header list on commas outside quoted strings.
fn split_list(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Lowercase tokens of every `name` header (`Vary`, `Connection`, `Content-Encoding`).
pub(crate) fn tokens(headers: &[Header], name: &str) -> Vec<String> {
    directives(headers, name)
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

/// Whether a directive list has `name`.
pub(crate) fn has(dirs: &[(String, Option<String>)], name: &str) -> bool {
    dirs.iter().any(|(k, _)| k == name)
}

/// A directive's numeric value (`max-age=60` → 60).
pub(crate) fn number(dirs: &[(String, Option<String>)], name: &str) -> Option<u64> {
    dirs.iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_deref()?.parse().ok())
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to seconds since the epoch.
pub(crate) fn parse_http_date(text: &str) -> Option<i64> {
    let mut it = text.split_whitespace();
    let _weekday = it.next()?;
    let day: i64 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The response's explicit freshness lifetime in seconds (RFC 9111 §4.2.1, private cache):
/// `max-age`, else `Expires` minus `Date` (an invalid `Expires` means already stale, 0).
/// `None` when the response states no lifetime.
pub(crate) fn freshness_lifetime(resp: &Response) -> Option<u64> {
    let cc = directives(&resp.headers, "cache-control");
    if let Some(age) = number(&cc, "max-age") {
        return Some(age);
    }
    let expires = header_value(&resp.headers, "expires")?;
    let Some(exp) = parse_http_date(expires) else {
        return Some(0);
    };
    let date = header_value(&resp.headers, "date").and_then(parse_http_date)?;
    Some(u64::try_from(exp - date).unwrap_or(0))
}

/// When the exchange ended: the response's last byte, else its first, else the start.
pub(crate) fn end_of(t: &Transaction) -> Timestamp {
    t.times
        .response_end
        .or(t.times.response_start)
        .or(t.times.request_end)
        .unwrap_or(t.start)
}

/// Milliseconds, for messages.
pub(crate) fn ms(ns: u64) -> String {
    format!("{} ms", ns / NS_PER_MS)
}

/// Evidence pair.
pub(crate) fn ev(k: &str, v: impl ToString) -> (String, String) {
    (k.to_owned(), v.to_string())
}

/// A map that keeps at most `cap` entries, forgetting the oldest inserted first: the bound on
/// every piece of cross-transaction state. Removal is lazy (the insertion queue is compacted
/// when it grows past twice the cap), so every operation is amortised O(1).
#[derive(Debug)]
pub(crate) struct Bounded<K, V> {
    map: HashMap<K, (V, u64)>,
    order: VecDeque<(K, u64)>,
    cap: usize,
    next_gen: u64,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    pub(crate) fn new(cap: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
            next_gen: 0,
        }
    }

    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k).map(|(v, _)| v)
    }

    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k).map(|(v, _)| v)
    }

    /// The entry for `k`, inserting `make()` (and evicting the oldest entry when full).
    pub(crate) fn entry(&mut self, k: K, make: impl FnOnce() -> V) -> &mut V {
        if !self.map.contains_key(&k) {
            self.make_room();
            let gen = self.next_gen;
            self.next_gen += 1;
            self.order.push_back((k.clone(), gen));
            return &mut self.map.entry(k).or_insert_with(|| (make(), gen)).0;
        }
        &mut self.map.entry(k).or_insert_with(|| (make(), 0)).0
    }

    /// Sets the value for `k`.
    pub(crate) fn insert(&mut self, k: K, v: V) {
        if let Some(slot) = self.get_mut(&k) {
            *slot = v;
            return;
        }
        self.entry(k, || v);
    }

    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        let (v, _) = self.map.remove(k)?;
        if self.order.len() > 2 * self.cap {
            let map = &self.map;
            self.order
                .retain(|(k, g)| map.get(k).is_some_and(|(_, live)| live == g));
        }
        Some(v)
    }

    fn make_room(&mut self) {
        while self.map.len() >= self.cap {
            let Some((old, gen)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&old).is_some_and(|(_, live)| *live == gen) {
                self.map.remove(&old);
            }
        }
    }

    /// Every entry, oldest first.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = (K, V)> {
        let mut map = self.map;
        self.order.into_iter().filter_map(move |(k, g)| {
            if map.get(&k).is_some_and(|(_, live)| *live == g) {
                map.remove(&k).map(|(v, _)| (k, v))
            } else {
                None
            }
        })
    }
}
