//! `retransmissions`: TCP retransmissions above `retransmissions_max_percent` of segments.
//! The catalog asks for the rate per connection; the model only counts retransmissions for the
//! whole capture (`Stats.tcp.retransmitted_segments` over `Stats.decode.tcp_segments`), so this
//! rule judges the capture-wide rate, once, and says so in its evidence.
//!
//! Source: seed 001.

use super::{finding, Rule};
use crate::util;
use crate::Config;
use model::{Finding, Severity, Stats};

pub(crate) const RULE: Rule = Rule {
    id: "retransmissions",
    severity: Severity::Warning,
    title: "TCP retransmissions",
    explanation: "A noticeable share of TCP segments were sent again: packet loss on the path, which stalls transfers. (Measured over the whole capture, not per connection.)",
    hint: "Look for loss on the path (Wi-Fi, overloaded links, MTU problems) or on the capturing host.",
    source: "seed 001",
};

pub(crate) fn check(stats: &Stats, config: &Config) -> Option<Finding> {
    let segments = stats.decode.tcp_segments;
    let retrans = stats.tcp.retransmitted_segments;
    if segments == 0 {
        return None;
    }
    let percent = retrans as f64 * 100.0 / segments as f64;
    (percent > config.retransmissions_max_percent).then(|| {
        finding(
            &RULE,
            RULE.severity,
            None,
            Vec::new(),
            retrans,
            format!("{percent:.1} % of TCP segments were retransmissions ({retrans} of {segments}), capture-wide"),
            vec![
                util::ev("scope", "capture-wide (per-connection counts are not available)"),
                util::ev("retransmitted segments", retrans),
                util::ev("tcp segments", segments),
                util::ev("rate", format!("{percent:.2} %")),
                util::ev("limit", format!("{} %", config.retransmissions_max_percent)),
            ],
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::{Analyzer, Config};
    use model::Stats;

    fn with(retrans: u64, segments: u64) -> usize {
        let mut s = Stats::default();
        s.tcp.retransmitted_segments = retrans;
        s.decode.tcp_segments = segments;
        let f = Analyzer::new(Config::default()).finish(&s);
        f.iter().filter(|f| f.rule == "retransmissions").count()
    }

    #[test]
    fn fires_above_one_percent() {
        assert_eq!(with(5, 100), 1);
    }

    #[test]
    fn quiet_below_or_without_segments() {
        assert_eq!(with(1, 100), 0);
        assert_eq!(with(0, 0), 0);
    }
}
