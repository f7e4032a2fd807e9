//! `slow-dns`: a DNS lookup slower than `slow_dns_ms`, or the same name and question type
//! asked again while the previous answer was still within its TTL (the client does not cache).
//!
//! Source: ours (seed 001: DNS in the timeline). State: the last answer per name, bounded.

use super::{Hit, Rule};
use crate::util::{self, Bounded, NS_PER_MS};
use crate::Config;
use model::{DnsLookup, DnsOutcome, Severity, Timestamp};

pub(crate) const RULE: Rule = Rule {
    id: "slow-dns",
    severity: Severity::Warning,
    title: "Slow or uncached DNS lookup",
    explanation: "Name resolution took long, or the same name was resolved again while its previous answer was still valid (TTL): the client does not cache DNS.",
    hint: "Cache DNS answers in the process or host (nscd, systemd-resolved), or use a closer resolver.",
    source: "ours (seed 001)",
};

pub(crate) struct State {
    /// (name, qtype) → (answer time, TTL seconds).
    answers: Bounded<(String, String), (Timestamp, u32)>,
}

impl State {
    pub(crate) fn new(cap: usize) -> State {
        State {
            answers: Bounded::new(cap),
        }
    }

    pub(crate) fn check(&mut self, l: &DnsLookup, config: &Config) -> Vec<Hit> {
        let mut hits = Vec::new();
        if let Some(end) = l.end {
            let took = end.since(l.start);
            if took > config.slow_dns_ms.saturating_mul(NS_PER_MS) {
                hits.push(
                    Hit::new(
                        RULE.severity,
                        format!(
                            "DNS lookup of {} ({}) took {}",
                            l.name,
                            l.qtype,
                            util::ms(took)
                        ),
                    )
                    .with("name", &l.name)
                    .with("time", util::ms(took))
                    .with("attempts", l.attempts),
                );
            }
        }
        let key = (l.name.clone(), l.qtype.clone());
        if let Some(&(at, ttl)) = self.answers.get(&key) {
            let age = l.start.since(at);
            if age < u64::from(ttl).saturating_mul(1_000_000_000) && l.start >= at {
                hits.push(
                    Hit::new(
                        RULE.severity,
                        format!(
                            "{} ({}) resolved again {} after an answer valid for {ttl} s",
                            l.name,
                            l.qtype,
                            util::ms(age)
                        ),
                    )
                    .with("name", &l.name)
                    .with("ttl s", ttl)
                    .with("since previous answer", util::ms(age)),
                );
            }
        }
        if let (DnsOutcome::Answered, Some(end), Some(ttl)) = (l.outcome, l.end, l.min_ttl) {
            self.answers.insert(key, (end, ttl));
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::{Analyzer, Config};
    use model::{DnsOutcome, Stats};

    fn dns_findings(lookups: &[model::DnsLookup]) -> Vec<model::Finding> {
        let mut a = Analyzer::new(Config::default());
        for l in lookups {
            a.dns(l);
        }
        a.finish(&Stats::default())
    }

    #[test]
    fn fires_on_slow_and_within_ttl() {
        let f = dns_findings(&[lookup("a.test", 0, 250, DnsOutcome::Answered)]);
        assert_eq!(of(&f, "slow-dns").len(), 1);
        let f = dns_findings(&[
            lookup("b.test", 0, 5, DnsOutcome::Answered),
            lookup("b.test", 1_000, 5, DnsOutcome::Answered),
        ]);
        assert!(of(&f, "slow-dns")[0].message.contains("resolved again"));
    }

    #[test]
    fn quiet_when_fast_and_after_ttl() {
        let f = dns_findings(&[
            lookup("b.test", 0, 5, DnsOutcome::Answered),
            lookup("b.test", 61_000, 5, DnsOutcome::Answered),
        ]);
        assert!(of(&f, "slow-dns").is_empty());
    }

    #[test]
    fn transaction_lookup_counts_once() {
        let l = lookup("a.test", 0, 250, DnsOutcome::Answered);
        let mut a = Analyzer::new(Config::default());
        a.dns(&l);
        let fired = a.transaction(&get("https://a.test/").dns(l).build());
        assert!(fired.contains(&"slow-dns"));
        let f = a.finish(&Stats::default());
        let s = of(&f, "slow-dns");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].transactions, vec![1]);
        assert!(s[0].evidence.contains(&("occurrences".into(), "1".into())));
    }
}
