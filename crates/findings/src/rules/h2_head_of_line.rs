//! `h2-head-of-line`: an HTTP/2 connection where a sender ran out of flow-control window and
//! waited for WINDOW_UPDATE (`Http2Info.flow_control_stalls > 0`): streams were held back by
//! the windows, not by the network.
//!
//! Source: ours (seed 001: multiplexing efficiency).

use super::{Hit, Rule};
use model::{ConnectionRecord, Severity};

pub(crate) const RULE: Rule = Rule {
    id: "h2-head-of-line",
    severity: Severity::Info,
    title: "HTTP/2 flow-control stalls",
    explanation: "On this HTTP/2 connection a sender exhausted a flow-control window and had to wait for WINDOW_UPDATE, so streams stalled behind the window.",
    hint: "Raise the receiver's initial window sizes (SETTINGS_INITIAL_WINDOW_SIZE, connection WINDOW_UPDATE).",
    source: "ours (seed 001)",
};

pub(crate) fn check(c: &ConnectionRecord) -> Option<Hit> {
    let h2 = c.http2.as_ref()?;
    (h2.flow_control_stalls > 0).then(|| {
        Hit::new(
            RULE.severity,
            format!(
                "HTTP/2 connection {} to {} stalled {} times on flow control",
                c.id, c.server, h2.flow_control_stalls
            ),
        )
        .with("stalls", h2.flow_control_stalls)
        .with("streams", h2.streams)
        .with("max concurrent streams", h2.max_concurrent)
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::{Analyzer, Config};
    use model::{Http2Info, Stats};

    fn stalls(n: u64) -> usize {
        let mut c = connection(1, 0, None);
        c.http2 = Some(Http2Info {
            flow_control_stalls: n,
            ..Default::default()
        });
        let mut a = Analyzer::new(Config::default());
        a.connection(&c);
        of(&a.finish(&Stats::default()), "h2-head-of-line").len()
    }

    #[test]
    fn fires_on_stalls() {
        assert_eq!(stalls(3), 1);
    }

    #[test]
    fn quiet_without() {
        assert_eq!(stalls(0), 0);
    }
}
