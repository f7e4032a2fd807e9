//! `repeated-dns`: the same name (and question type) looked up more than
//! `repeated_dns_max_lookups` times during the capture.
//!
//! Source: ours. State: a counter per name, bounded.

use super::{finding, Rule};
use crate::util::{self, Bounded};
use crate::Config;
use model::{DnsLookup, Finding, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "repeated-dns",
    severity: Severity::Info,
    title: "Name resolved many times",
    explanation:
        "The same name was looked up many times: each lookup can add latency to a request.",
    hint: "Cache DNS answers (and reuse connections, which avoids lookups altogether).",
    source: "ours",
};

pub(crate) struct State {
    counts: Bounded<(String, String), u64>,
}

impl State {
    pub(crate) fn new(cap: usize) -> State {
        State {
            counts: Bounded::new(cap),
        }
    }

    pub(crate) fn observe(&mut self, l: &DnsLookup) {
        *self.counts.entry((l.name.clone(), l.qtype.clone()), || 0) += 1;
    }

    pub(crate) fn finish(self, config: &Config) -> Vec<Finding> {
        self.counts
            .into_entries()
            .filter(|(_, n)| *n > config.repeated_dns_max_lookups)
            .map(|((name, qtype), n)| {
                finding(
                    &RULE,
                    RULE.severity,
                    None,
                    Vec::new(),
                    n,
                    format!("{name} ({qtype}) was looked up {n} times"),
                    vec![
                        util::ev("name", name.clone()),
                        util::ev("lookups", n),
                        util::ev("limit", config.repeated_dns_max_lookups),
                    ],
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::{Analyzer, Config};
    use model::{DnsOutcome, Stats};

    fn count(n: i64) -> usize {
        let mut a = Analyzer::new(Config::default());
        for i in 0..n {
            a.dns(&lookup("a.test", i * 120_000, 1, DnsOutcome::Answered));
        }
        of(&a.finish(&Stats::default()), "repeated-dns").len()
    }

    #[test]
    fn fires_above_the_limit() {
        assert_eq!(count(6), 1);
    }

    #[test]
    fn quiet_at_the_limit() {
        assert_eq!(count(5), 0);
    }
}
