//! `error-status`: a `4xx` (warning) or `5xx` (error) response.
//!
//! Source: YSlow "Avoid HTTP 404 (Not Found) error" (`yno404`), extended to all errors.

use super::{Hit, Rule, Tx};
use model::Severity;

pub(crate) const RULE: Rule = Rule {
    id: "error-status",
    severity: Severity::Warning,
    title: "Error status (4xx warning, 5xx error)",
    explanation: "The server answered with a client error (4xx) or a server error (5xx).",
    hint: "Fix the request (4xx: URL, credentials, payload) or the server (5xx: see its logs).",
    source: "YSlow yno404",
};

pub(crate) fn check(tx: &Tx) -> Option<Hit> {
    let resp = tx.resp()?;
    let severity = match resp.status {
        400..=499 => Severity::Warning,
        500..=599 => Severity::Error,
        _ => return None,
    };
    Some(
        Hit::new(
            severity,
            format!("{} answered {} {}", tx.what(), resp.status, resp.reason),
        )
        .with("status", resp.status),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use model::Severity;

    #[test]
    fn warns_on_4xx_and_errs_on_5xx() {
        let f = run(&[
            get("https://a.test/").status(404).build(),
            get("https://a.test/").id(2).status(503).build(),
        ]);
        let e = of(&f, "error-status");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].severity, Severity::Error);
        assert_eq!(e[1].severity, Severity::Warning);
    }

    #[test]
    fn quiet_on_success() {
        assert!(!fires(
            "error-status",
            &[get("https://a.test/").status(204).build()]
        ));
    }
}
