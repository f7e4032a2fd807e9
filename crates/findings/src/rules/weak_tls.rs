//! `weak-tls`: a TLS version below 1.2 (SSL 3.0, TLS 1.0, TLS 1.1; RFC 8996 deprecates them),
//! or a deprecated cipher suite: RC4 (RFC 7465), 3DES or single DES, NULL or EXPORT suites.
//! CBC with SHA-1 under TLS 1.0 is covered by the version check.
//!
//! Source: handshake facts (ServerHello version and suite); the catalog's "weak-tls".

use super::{Hit, Rule};
use model::{Severity, TlsInfo};

pub(crate) const RULE: Rule = Rule {
    id: "weak-tls",
    severity: Severity::Error,
    title: "Weak TLS version or cipher",
    explanation: "The connection negotiated a TLS version below 1.2 or a deprecated cipher suite (RC4, 3DES/DES, NULL, EXPORT), which are broken or disallowed.",
    hint: "Require TLS 1.2 or 1.3 with AEAD suites (AES-GCM, ChaCha20-Poly1305) on the server.",
    source: "ours (RFC 8996, RFC 7465)",
};

pub(crate) fn check(tls: &TlsInfo, server: &str) -> Option<Hit> {
    let version = tls.version.as_deref().unwrap_or("");
    let v = version.to_ascii_lowercase().replace(['v', ' '], "");
    let old_version = v.starts_with("ssl") || v == "tls1.0" || v == "tls1" || v == "tls1.1";
    let suite = tls.cipher_suite.as_deref().unwrap_or("");
    let s = suite.to_ascii_uppercase();
    let weak_suite = ["RC4", "3DES", "DES_CBC", "DES40", "_NULL_", "EXPORT"]
        .iter()
        .any(|w| s.contains(w))
        || s.ends_with("_NULL");
    if !old_version && !weak_suite {
        return None;
    }
    let why = match (old_version, weak_suite) {
        (true, true) => format!("{version} with {suite}"),
        (true, false) => version.to_owned(),
        _ => suite.to_owned(),
    };
    Some(
        Hit::new(RULE.severity, format!("TLS to {server} negotiated {why}"))
            .with("version", version)
            .with("cipher suite", suite),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn fires_on_old_version_and_rc4() {
        let old = get("https://a.test/")
            .tls(Some(tls("TLS 1.0", "TLS_RSA_WITH_AES_128_CBC_SHA")))
            .build();
        assert!(fires("weak-tls", &[old]));
        let rc4 = get("https://a.test/")
            .tls(Some(tls("TLS 1.2", "TLS_RSA_WITH_RC4_128_SHA")))
            .build();
        assert!(fires("weak-tls", &[rc4]));
    }

    #[test]
    fn quiet_on_modern_tls() {
        let ok = get("https://a.test/")
            .tls(Some(tls(
                "TLS 1.2",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            )))
            .build();
        assert!(!fires("weak-tls", &[ok, get("https://b.test/").build()]));
    }

    #[test]
    fn connection_without_transactions_is_judged_once() {
        let mut a = crate::Analyzer::new(crate::Config::default());
        let mut info = tls("TLS 1.1", "TLS_RSA_WITH_AES_128_CBC_SHA");
        info.sni = Some("a.test".into());
        let t = get("https://a.test/").tls(Some(info)).build();
        assert!(a.transaction(&t).contains(&"weak-tls"));
        a.connection(&connection(1, 0, t.tls.clone()));
        a.connection(&connection(2, 0, t.tls.clone()));
        let f = a.finish(&model::Stats::default());
        let weak = of(&f, "weak-tls");
        assert_eq!(weak.len(), 1);
        assert!(weak[0]
            .evidence
            .contains(&("occurrences".into(), "2".into())));
    }
}
