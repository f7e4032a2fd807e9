//! The decoding error type.
//!
//! Owns [`WireError`] and its messages. Invariant: every error names the layer that failed, so a
//! sample error shown to a user ("IPv4 header truncated: need 20 bytes, have 12") says where the
//! frame went wrong without a debugger. The crate has no dependencies, so `Display` and `Error`
//! are written by hand.

use std::fmt;

/// Why a frame could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The frame ends before a header that it announces is complete.
    Truncated {
        /// The header that is cut short ("IPv4 header").
        layer: &'static str,
        /// Bytes that header needs.
        need: usize,
        /// Bytes that were captured.
        have: usize,
    },
    /// A header field holds an impossible value.
    Invalid {
        /// The header that holds it ("TCP header").
        layer: &'static str,
        /// What is wrong with it.
        what: &'static str,
    },
    /// The capture's link type is not one this crate decodes.
    UnsupportedLinkType(u32),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated { layer, need, have } => {
                write!(f, "{layer} truncated: need {need} bytes, have {have}")
            }
            WireError::Invalid { layer, what } => write!(f, "{layer} invalid: {what}"),
            WireError::UnsupportedLinkType(code) => write!(f, "unsupported link type {code}"),
        }
    }
}

impl std::error::Error for WireError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_layer() {
        let e = WireError::Truncated {
            layer: "IPv4 header",
            need: 20,
            have: 12,
        };
        assert_eq!(
            e.to_string(),
            "IPv4 header truncated: need 20 bytes, have 12"
        );
        let e = WireError::Invalid {
            layer: "TCP header",
            what: "data offset below 20 bytes",
        };
        assert_eq!(
            e.to_string(),
            "TCP header invalid: data offset below 20 bytes"
        );
        assert_eq!(
            WireError::UnsupportedLinkType(147).to_string(),
            "unsupported link type 147"
        );
    }
}
