//! The analyzer's configuration: every threshold of the catalog with its default, the rules
//! switched off, and whether loopback traffic is held to the HTTPS rules.
//!
//! Thresholds are named after their rule (`slow_ttfb_warning_ms` belongs to `slow-ttfb`), so
//! that a config file, a `--set KEY=VALUE` flag and the generated docs page all use one name.

use std::collections::BTreeSet;
use std::fmt;

/// Why a configuration could not be read or changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The TOML text could not be parsed.
    Syntax(String),
    /// A key that no setting has (`thresholds.slow_ttfb_ms`, `colour`).
    UnknownKey(String),
    /// A value of the wrong type or out of range for its key.
    BadValue {
        /// The key.
        key: String,
        /// The value as given.
        value: String,
        /// What was expected (`u64`, `bool`, ...).
        expected: &'static str,
    },
    /// A rule id in `disabled` that the catalog does not have.
    UnknownRule(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Syntax(e) => write!(f, "findings config: {e}"),
            ConfigError::UnknownKey(k) => write!(f, "findings config: unknown key `{k}`"),
            ConfigError::BadValue {
                key,
                value,
                expected,
            } => write!(
                f,
                "findings config: `{key}` = `{value}` is not a valid {expected}"
            ),
            ConfigError::UnknownRule(r) => write!(f, "findings config: unknown rule id `{r}`"),
        }
    }
}

impl std::error::Error for ConfigError {}

macro_rules! config {
    ($( $(#[doc = $doc:literal])+ ($rule:literal) $field:ident : $ty:ty = $default:expr; )+) => {
        /// What the analyzer checks and with which thresholds. `Config::default()` is the
        /// catalog as documented; every field states its default.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Config {
            $( $(#[doc = $doc])+ pub $field: $ty, )+
            /// Rule ids that do not run (default: none).
            pub disabled: BTreeSet<String>,
            /// Hold loopback and `localhost` traffic to the HTTPS family (`insecure-http`,
            /// `http-to-https-redirect`, `hsts-missing`). Default `false`: a host that is
            /// `localhost`, `*.localhost`, an address in 127.0.0.0/8 or `::1` (or a name whose
            /// known DNS answers, else the server address, are loopback) is exempt.
            pub https_on_loopback: bool,
        }

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $( $field: $default, )+
                    disabled: BTreeSet::new(),
                    https_on_loopback: false,
                }
            }
        }

        /// Every threshold: (name, rule id, documentation).
        pub(crate) const THRESHOLDS: &[(&str, &str, &str)] =
            &[ $( (stringify!($field), $rule, concat!($($doc),+)) ),+ ];

        impl Config {
            /// Sets a threshold by name; `Ok(false)` when no threshold has that name.
            fn set_threshold(&mut self, name: &str, value: &str) -> Result<bool, ConfigError> {
                match name {
                    $( stringify!($field) => {
                        self.$field = parse_value::<$ty>(name, value, stringify!($ty))?;
                        Ok(true)
                    } )+
                    _ => Ok(false),
                }
            }

            /// A threshold's current value as text.
            pub(crate) fn threshold_value(&self, name: &str) -> Option<String> {
                match name {
                    $( stringify!($field) => Some(self.$field.to_string()), )+
                    _ => None,
                }
            }
        }
    };
}

config! {
    /// `hsts-missing`: the smallest acceptable `max-age`, in seconds (default 31536000, one year).
    ("hsts-missing") hsts_missing_min_max_age_s: u64 = 31_536_000;
    /// `cert-expiring`: warn when the leaf certificate expires within this many days of the
    /// transaction (default 14); an expired certificate is an error.
    ("cert-expiring") cert_expiring_warning_days: u64 = 14;
    /// `tls-no-resumption`: full handshakes to one server, none resumed, before it fires
    /// (default 2).
    ("tls-no-resumption") tls_no_resumption_min_handshakes: u64 = 2;
    /// `short-cache-ttl`: static content with a freshness lifetime shorter than this many days
    /// fires (default 7).
    ("short-cache-ttl") short_cache_ttl_min_days: u64 = 7;
    /// `uncompressed-text`: the smallest uncompressed text body that fires, in bytes
    /// (default 1400).
    ("uncompressed-text") uncompressed_text_min_bytes: u64 = 1_400;
    /// `large-response`: a decoded response body above this many bytes fires (default 1048576).
    ("large-response") large_response_bytes: u64 = 1_048_576;
    /// `large-response`: total response bytes on the wire per origin above this fires
    /// (default 4194304).
    ("large-response") large_response_origin_total_bytes: u64 = 4_194_304;
    /// `oversize-headers`: one header field (name and value) above this many bytes
    /// (default 8192).
    ("oversize-headers") oversize_headers_field_bytes: u64 = 8_192;
    /// `oversize-headers`: a whole header section above this many bytes (default 32768).
    ("oversize-headers") oversize_headers_section_bytes: u64 = 32_768;
    /// `oversize-headers`: a URL longer than this many characters (default 8000).
    ("oversize-headers") oversize_headers_url_chars: u64 = 8_000;
    /// `oversize-headers`: request cookies above this many bytes (default 1000).
    ("oversize-headers") oversize_headers_cookie_bytes: u64 = 1_000;
    /// `connection-not-reused`: the share of requests that should travel on reused
    /// connections, in percent, shown next to the measured ratio (default 80).
    ("connection-not-reused") connection_not_reused_target_percent: u64 = 80;
    /// `no-http2`: HTTP/1.x requests to one HTTPS origin before it fires (default 6).
    ("no-http2") no_http2_min_requests: u64 = 6;
    /// `slow-dns`: a lookup slower than this many milliseconds fires (default 100).
    ("slow-dns") slow_dns_ms: u64 = 100;
    /// `repeated-dns`: a name (and question type) looked up more than this many times fires
    /// (default 5).
    ("repeated-dns") repeated_dns_max_lookups: u64 = 5;
    /// `slow-connect`: a TCP connect slower than this many milliseconds fires (default 100).
    ("slow-connect") slow_connect_tcp_ms: u64 = 100;
    /// `slow-connect`: a TLS handshake slower than this many milliseconds fires (default 200).
    ("slow-connect") slow_connect_tls_ms: u64 = 200;
    /// `slow-ttfb`: a wait above this many milliseconds is a warning (default 600).
    ("slow-ttfb") slow_ttfb_warning_ms: u64 = 600;
    /// `slow-ttfb`: a wait above this many milliseconds is worth knowing (default 200).
    ("slow-ttfb") slow_ttfb_info_ms: u64 = 200;
    /// `retransmissions`: capture-wide retransmitted share of TCP segments above this many
    /// percent fires (default 1).
    ("retransmissions") retransmissions_max_percent: f64 = 1.0;
    /// `retry-storm`: failures to one origin (or DNS name) within the window that fire
    /// (default 3).
    ("retry-storm") retry_storm_min_failures: u64 = 3;
    /// `retry-storm`: the window, in milliseconds (default 10000).
    ("retry-storm") retry_storm_window_ms: u64 = 10_000;
}

fn parse_value<T: std::str::FromStr>(
    key: &str,
    value: &str,
    expected: &'static str,
) -> Result<T, ConfigError> {
    let bad = || ConfigError::BadValue {
        key: key.to_owned(),
        value: value.to_owned(),
        expected,
    };
    let v = value.trim();
    // A float must be a finite, non-negative number; integers are unsigned already.
    if expected == "f64" {
        let f: f64 = v.parse().map_err(|_| bad())?;
        if !f.is_finite() || f < 0.0 {
            return Err(bad());
        }
    }
    v.parse().map_err(|_| bad())
}

impl Config {
    /// Reads a configuration from TOML text, starting from the defaults:
    ///
    /// ```toml
    /// https_on_loopback = false
    /// disabled = ["no-accept-encoding"]
    /// [thresholds]
    /// slow_ttfb_warning_ms = 600
    /// ```
    ///
    /// Unknown keys, unknown rule ids and values of the wrong type are errors that name the key.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string().trim().into()))?;
        let mut config = Config::default();
        for (key, value) in &table {
            match (key.as_str(), value) {
                ("https_on_loopback", toml::Value::Boolean(b)) => config.https_on_loopback = *b,
                ("disabled", toml::Value::Array(items)) => {
                    for item in items {
                        let toml::Value::String(id) = item else {
                            return Err(bad_toml("disabled", item, "list of rule ids"));
                        };
                        config.disable(id)?;
                    }
                }
                ("thresholds", toml::Value::Table(thresholds)) => {
                    for (name, v) in thresholds {
                        let text = match v {
                            toml::Value::Integer(i) => i.to_string(),
                            toml::Value::Float(f) => f.to_string(),
                            other => {
                                return Err(bad_toml(
                                    &format!("thresholds.{name}"),
                                    other,
                                    "number",
                                ))
                            }
                        };
                        if !config.set_threshold(name, &text)? {
                            return Err(ConfigError::UnknownKey(format!("thresholds.{name}")));
                        }
                    }
                }
                ("https_on_loopback", other) => return Err(bad_toml(key, other, "bool")),
                ("disabled", other) => return Err(bad_toml(key, other, "list of rule ids")),
                ("thresholds", other) => return Err(bad_toml(key, other, "table")),
                _ => return Err(ConfigError::UnknownKey(key.clone())),
            }
        }
        Ok(config)
    }

    /// Changes one setting from a `--set KEY=VALUE` flag. `KEY` is a threshold name (with or
    /// without the `thresholds.` prefix), `https_on_loopback` (`true`/`false`), or `disabled`
    /// (comma-separated rule ids, added to those already disabled).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        let key = key.trim();
        match key {
            "https_on_loopback" => {
                self.https_on_loopback = parse_value(key, value, "bool")?;
                Ok(())
            }
            "disabled" => value
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .try_for_each(|id| self.disable(id)),
            _ => {
                let name = key.strip_prefix("thresholds.").unwrap_or(key);
                if self.set_threshold(name, value)? {
                    Ok(())
                } else {
                    Err(ConfigError::UnknownKey(key.to_owned()))
                }
            }
        }
    }

    /// Whether the rule runs.
    pub(crate) fn enabled(&self, id: &str) -> bool {
        !self.disabled.contains(id)
    }

    fn disable(&mut self, id: &str) -> Result<(), ConfigError> {
        if crate::rules::ALL.iter().any(|r| r.id == id) {
            self.disabled.insert(id.to_owned());
            Ok(())
        } else {
            Err(ConfigError::UnknownRule(id.to_owned()))
        }
    }
}

fn bad_toml(key: &str, value: &toml::Value, expected: &'static str) -> ConfigError {
    ConfigError::BadValue {
        key: key.to_owned(),
        value: value.to_string(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_catalog() {
        let c = Config::default();
        assert_eq!(c.slow_ttfb_warning_ms, 600);
        assert_eq!(c.uncompressed_text_min_bytes, 1400);
        assert!(!c.https_on_loopback);
        assert!(c.disabled.is_empty());
    }

    #[test]
    fn toml_sets_thresholds_and_disabled_rules() {
        let c = Config::from_toml(
            "https_on_loopback = true\ndisabled = [\"no-accept-encoding\"]\n[thresholds]\nslow_ttfb_warning_ms = 900\nretransmissions_max_percent = 2.5\n",
        )
        .unwrap();
        assert_eq!(c.slow_ttfb_warning_ms, 900);
        assert_eq!(c.retransmissions_max_percent, 2.5);
        assert!(c.https_on_loopback);
        assert!(!c.enabled("no-accept-encoding"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        assert_eq!(
            Config::from_toml("colour = 1").unwrap_err(),
            ConfigError::UnknownKey("colour".into())
        );
        assert_eq!(
            Config::from_toml("[thresholds]\nslow_ttfb_ms = 1").unwrap_err(),
            ConfigError::UnknownKey("thresholds.slow_ttfb_ms".into())
        );
        assert!(matches!(
            Config::from_toml("[thresholds]\nslow_dns_ms = -1").unwrap_err(),
            ConfigError::BadValue { key, .. } if key == "slow_dns_ms"
        ));
        assert!(matches!(
            Config::from_toml("[thresholds]\nslow_dns_ms = \"x\"").unwrap_err(),
            ConfigError::BadValue { key, .. } if key == "thresholds.slow_dns_ms"
        ));
        assert_eq!(
            Config::from_toml("disabled = [\"nope\"]").unwrap_err(),
            ConfigError::UnknownRule("nope".into())
        );
        assert!(matches!(
            Config::from_toml("disabled = ").unwrap_err(),
            ConfigError::Syntax(_)
        ));
    }

    #[test]
    fn set_accepts_flags() {
        let mut c = Config::default();
        c.set("slow_dns_ms", "250").unwrap();
        c.set("thresholds.slow_connect_tls_ms", "300").unwrap();
        c.set("disabled", "no-http2, slow-dns").unwrap();
        c.set("https_on_loopback", "true").unwrap();
        assert_eq!(c.slow_dns_ms, 250);
        assert_eq!(c.slow_connect_tls_ms, 300);
        assert!(!c.enabled("no-http2") && !c.enabled("slow-dns"));
        assert!(c.https_on_loopback);
        assert!(c.set("nope", "1").is_err());
        assert!(c.set("retransmissions_max_percent", "NaN").is_err());
        assert!(c.set("https_on_loopback", "maybe").is_err());
    }

    #[test]
    fn every_threshold_belongs_to_a_rule() {
        for (name, rule, doc) in THRESHOLDS {
            assert!(crate::rules::ALL.iter().any(|r| r.id == *rule), "{name}");
            assert!(name.starts_with(&rule.replace('-', "_")), "{name}");
            assert!(!doc.trim().is_empty());
        }
    }
}
