//! The rules, one per file, in catalog order. Each file holds its [`Rule`] description (id,
//! severity, hint, source) and its check; stateless checks take one transaction, stateful ones
//! keep bounded per-origin (or per-URL, per-name) state and report from `finish`.

use crate::util::{self, UrlParts};
use model::{Finding, Request, Response, Severity, Transaction};

pub(crate) mod cache_control_conflict;
pub(crate) mod cert_expiring;
pub(crate) mod client_not_revalidating;
pub(crate) mod conditional_ignored;
pub(crate) mod connection_close;
pub(crate) mod connection_not_reused;
pub(crate) mod duplicate_request;
pub(crate) mod error_status;
pub(crate) mod etag_not_updated;
pub(crate) mod failed_request;
pub(crate) mod framing_error;
pub(crate) mod h2_head_of_line;
pub(crate) mod hsts_missing;
pub(crate) mod http_to_https_redirect;
pub(crate) mod insecure_http;
pub(crate) mod large_response;
pub(crate) mod no_accept_encoding;
pub(crate) mod no_cache_policy;
pub(crate) mod no_http2;
pub(crate) mod no_validator;
pub(crate) mod oversize_headers;
pub(crate) mod redirect_chain;
pub(crate) mod repeated_dns;
pub(crate) mod retransmissions;
pub(crate) mod retry_storm;
pub(crate) mod short_cache_ttl;
pub(crate) mod slow_connect;
pub(crate) mod slow_dns;
pub(crate) mod slow_ttfb;
pub(crate) mod tls_no_resumption;
pub(crate) mod uncompressed_text;
pub(crate) mod vary_missing_accept_encoding;
pub(crate) mod weak_tls;

/// Most transaction ids a finding lists; the total is in its evidence.
pub(crate) const MAX_EXAMPLES: usize = 20;

/// What the catalog says about one rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub explanation: &'static str,
    pub hint: &'static str,
    pub source: &'static str,
}

/// Every rule, in catalog order.
pub(crate) const ALL: &[&Rule] = &[
    &insecure_http::RULE,
    &http_to_https_redirect::RULE,
    &hsts_missing::RULE,
    &weak_tls::RULE,
    &cert_expiring::RULE,
    &tls_no_resumption::RULE,
    &no_validator::RULE,
    &client_not_revalidating::RULE,
    &no_cache_policy::RULE,
    &short_cache_ttl::RULE,
    &duplicate_request::RULE,
    &conditional_ignored::RULE,
    &etag_not_updated::RULE,
    &cache_control_conflict::RULE,
    &uncompressed_text::RULE,
    &no_accept_encoding::RULE,
    &vary_missing_accept_encoding::RULE,
    &large_response::RULE,
    &oversize_headers::RULE,
    &framing_error::RULE,
    &connection_not_reused::RULE,
    &connection_close::RULE,
    &no_http2::RULE,
    &redirect_chain::RULE,
    &slow_dns::RULE,
    &repeated_dns::RULE,
    &slow_connect::RULE,
    &slow_ttfb::RULE,
    &retransmissions::RULE,
    &error_status::RULE,
    &failed_request::RULE,
    &retry_storm::RULE,
    &h2_head_of_line::RULE,
];

/// One firing of a rule: its severity (some rules have two), a sentence, and the facts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Hit {
    pub severity: Severity,
    pub message: String,
    pub evidence: Vec<(String, String)>,
}

impl Hit {
    pub(crate) fn new(severity: Severity, message: impl Into<String>) -> Hit {
        Hit {
            severity,
            message: message.into(),
            evidence: Vec::new(),
        }
    }

    /// Adds one evidence pair.
    pub(crate) fn with(mut self, key: &str, value: impl ToString) -> Hit {
        self.evidence.push(util::ev(key, value));
        self
    }
}

/// A transaction with the facts every rule needs worked out once.
pub(crate) struct Tx<'a> {
    pub t: &'a Transaction,
    /// The URL's parts, when it has a scheme and host.
    pub url: Option<UrlParts>,
    /// `scheme://host[:port]`, falling back to the server address; `dns:name` for a failed
    /// name lookup.
    pub origin: String,
    /// Loopback traffic, exempt from the HTTPS family unless configured otherwise.
    pub loopback: bool,
}

impl<'a> Tx<'a> {
    /// `known_loopback` answers, for a host name, whether the DNS answers seen for it were all
    /// loopback (`None` when no answer was seen).
    pub(crate) fn new(t: &'a Transaction, known_loopback: impl Fn(&str) -> Option<bool>) -> Self {
        let url = util::parse_url(&t.url);
        let origin = match (&url, t.url.strip_prefix("dns:")) {
            (Some(u), _) => u.origin.clone(),
            // A failed name lookup: the name is all that is known of where it was going.
            (None, Some(name)) => format!("dns:{}", name.to_ascii_lowercase()),
            (None, None) => {
                let scheme = if t.tls.is_some() { "https" } else { "http" };
                format!("{scheme}://{}", t.server)
            }
        };
        let loopback = match &url {
            Some(u) => util::host_is_loopback(&u.host)
                .or_else(|| known_loopback(&u.host))
                .unwrap_or_else(|| util::ip_is_loopback(t.server.ip())),
            None => util::ip_is_loopback(t.server.ip()),
        };
        Tx {
            t,
            url,
            origin,
            loopback,
        }
    }

    pub(crate) fn req(&self) -> Option<&'a Request> {
        self.t.request.as_ref()
    }

    pub(crate) fn resp(&self) -> Option<&'a Response> {
        self.t.response.as_ref()
    }

    /// The lowercase scheme (`""` when the URL has none).
    pub(crate) fn scheme(&self) -> &str {
        self.url.as_ref().map_or("", |u| u.scheme.as_str())
    }

    /// `METHOD url`, for messages.
    pub(crate) fn what(&self) -> String {
        format!("{} {}", self.t.method(), self.t.url)
    }
}

/// Builds a finding, keeping at most [`MAX_EXAMPLES`] transaction ids and adding the total
/// count of occurrences to the evidence.
pub(crate) fn finding(
    rule: &Rule,
    severity: Severity,
    origin: Option<String>,
    ids: Vec<u64>,
    count: u64,
    message: String,
    mut evidence: Vec<(String, String)>,
) -> Finding {
    evidence.push(util::ev("occurrences", count));
    let listed = ids.len().min(MAX_EXAMPLES);
    if listed > 0 && (listed as u64) < count {
        evidence.push(util::ev(
            "transactions listed",
            format!("{listed} of {count}"),
        ));
    }
    Finding {
        rule: rule.id.to_owned(),
        severity,
        message,
        origin,
        transactions: ids.into_iter().take(MAX_EXAMPLES).collect(),
        evidence,
        hint: rule.hint.to_owned(),
    }
}

/// Keeps up to [`MAX_EXAMPLES`] transaction ids and the total count.
#[derive(Clone, Debug, Default)]
pub(crate) struct Examples {
    pub ids: Vec<u64>,
    pub count: u64,
}

impl Examples {
    pub(crate) fn add(&mut self, id: Option<u64>) {
        self.count += 1;
        self.attach(id);
    }

    /// Lists an id without counting an occurrence.
    pub(crate) fn attach(&mut self, id: Option<u64>) {
        if let Some(id) = id {
            if self.ids.len() < MAX_EXAMPLES && !self.ids.contains(&id) {
                self.ids.push(id);
            }
        }
    }
}
