//! `cert-expiring`: the server's leaf certificate expires within `cert_expiring_warning_days`
//! (warning) or has already expired (error) at the time of the exchange. Time is the capture's
//! (the transaction's or connection's start), never the wall clock: the crate is sans-IO.
//!
//! Source: certificate validity from the handshake (visible in TLS ≤ 1.2, or TLS 1.3 when
//! decrypted); the catalog's "cert-expiring".

use super::{Hit, Rule};
use crate::Config;
use model::{Severity, Timestamp, TlsInfo};

pub(crate) const RULE: Rule = Rule {
    id: "cert-expiring",
    severity: Severity::Warning,
    title: "Server certificate expiring or expired",
    explanation: "The leaf certificate's notAfter is close to (warning) or before (error) the time of the exchange: clients will soon refuse, or already refuse, the connection.",
    hint: "Renew the certificate and automate renewal (ACME) well before expiry.",
    source: "ours (certificate validity)",
};

const NS_PER_DAY: i64 = 86_400 * 1_000_000_000;

pub(crate) fn check(tls: &TlsInfo, at: Timestamp, server: &str, config: &Config) -> Option<Hit> {
    let leaf = tls.certificates.first()?;
    let not_after = leaf.not_after?;
    let left = not_after.0.saturating_sub(at.0);
    let limit = i64::try_from(config.cert_expiring_warning_days)
        .unwrap_or(i64::MAX)
        .saturating_mul(NS_PER_DAY);
    let (severity, message) = if left < 0 {
        (
            Severity::Error,
            format!(
                "the certificate of {server} expired {} days before this exchange",
                -left / NS_PER_DAY
            ),
        )
    } else if left <= limit {
        (
            Severity::Warning,
            format!(
                "the certificate of {server} expires in {} days",
                left / NS_PER_DAY
            ),
        )
    } else {
        return None;
    };
    Some(
        Hit::new(severity, message)
            .with("subject", &leaf.subject)
            .with("not after", not_after.to_rfc3339_millis())
            .with("warning days", config.cert_expiring_warning_days),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use model::{CertificateInfo, Severity, Timestamp};

    fn with_cert(days_left: i64) -> model::Transaction {
        let mut info = tls("TLS 1.3", "TLS_AES_128_GCM_SHA256");
        info.certificates.push(CertificateInfo {
            subject: "CN=a.test".into(),
            not_after: Some(Timestamp(T0 + days_left * 86_400 * 1_000_000_000)),
            ..Default::default()
        });
        get("https://a.test/").tls(Some(info)).build()
    }

    #[test]
    fn warns_soon_and_errs_when_expired() {
        let f = run(&[with_cert(3)]);
        assert_eq!(of(&f, "cert-expiring")[0].severity, Severity::Warning);
        let f = run(&[with_cert(-2)]);
        assert_eq!(of(&f, "cert-expiring")[0].severity, Severity::Error);
    }

    #[test]
    fn quiet_when_far() {
        assert!(!fires("cert-expiring", &[with_cert(90)]));
    }
}
