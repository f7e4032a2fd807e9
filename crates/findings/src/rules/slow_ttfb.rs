//! `slow-ttfb`: the wait from the request sent to the first response byte above
//! `slow_ttfb_warning_ms` (warning) or above `slow_ttfb_info_ms` (info).
//!
//! Source: Lighthouse `server-response-time` (600 ms); Firefox's slow-server icon.

use super::{Hit, Rule, Tx};
use crate::util::{self, NS_PER_MS};
use crate::Config;
use model::Severity;

pub(crate) const RULE: Rule = Rule {
    id: "slow-ttfb",
    severity: Severity::Warning,
    title: "Slow server response (time to first byte)",
    explanation: "The server took long between receiving the request and sending the first byte of the response.",
    hint: "Profile the server handler (queries, upstream calls), or cache its result.",
    source: "Lighthouse server-response-time; Firefox",
};

pub(crate) fn check(tx: &Tx, config: &Config) -> Option<Hit> {
    let wait = tx.t.timings.wait?;
    let severity = if wait > config.slow_ttfb_warning_ms.saturating_mul(NS_PER_MS) {
        Severity::Warning
    } else if wait > config.slow_ttfb_info_ms.saturating_mul(NS_PER_MS) {
        Severity::Info
    } else {
        return None;
    };
    Some(
        Hit::new(
            severity,
            format!("{} waited {} for the first byte", tx.what(), util::ms(wait)),
        )
        .with("wait", util::ms(wait)),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use model::{Severity, Timings};

    fn waiting(ms: u64) -> model::Transaction {
        get("https://a.test/")
            .timings(Timings {
                wait: Some(ms * 1_000_000),
                ..Default::default()
            })
            .build()
    }

    #[test]
    fn warning_and_info_levels() {
        assert_eq!(
            of(&run(&[waiting(700)]), "slow-ttfb")[0].severity,
            Severity::Warning
        );
        assert_eq!(
            of(&run(&[waiting(300)]), "slow-ttfb")[0].severity,
            Severity::Info
        );
    }

    #[test]
    fn quiet_when_fast() {
        assert!(!fires("slow-ttfb", &[waiting(150)]));
    }
}
