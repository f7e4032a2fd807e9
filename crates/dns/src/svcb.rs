//! SVCB and HTTPS resource record data (RFC 9460), the parts a client's connection uses:
//! priority, target, ALPN ids and address hints.
//!
//! RFC 9460 §2.2 (RDATA wire format):
//!
//! > The RDATA for the SVCB RR consists of:
//! > * a 2-octet field for SvcPriority as an integer in network byte order.
//! > * the uncompressed, fully qualified TargetName, represented as a sequence of
//! >   length-prefixed labels per Section 3.1 of [RFC1035].
//! > * the SvcParams, consuming the remainder of the record (so smaller than 65535 octets
//! >   and constrained by the RDATA and DNS message sizes).
//! >
//! > When the list of SvcParams is non-empty, it contains a series of SvcParamKey=SvcParamValue
//! > pairs, represented as:
//! > * a 2-octet field containing the SvcParamKey as an integer in network byte order.
//! > * a 2-octet field containing the length of the SvcParamValue as an integer between 0 and
//! >   65535 in network byte order.
//! > * an octet string of this length whose contents are the SvcParamValue in a format
//! >   determined by the SvcParamKey.
//!
//! RFC 9460 §7.1.1: the `alpn` value (key 1) is "a sequence of length-prefixed alpn-ids";
//! §7.3: `ipv4hint` (key 4) and `ipv6hint` (key 6) are lists of 4- and 16-octet addresses.
//! §2.4.3: "Clients MUST consider an RR malformed if [...] SvcParamKeys are not in strictly
//! increasing numeric order" — enforced here, with the other value formats; other keys
//! (`mandatory`, `no-default-alpn`, `port`, `ech`, ...) are bounds-checked and skipped.
//! Names in SVCB RDATA are uncompressed (§2.2), but a compressed one is read rather than
//! rejected, under the same pointer rules as every name.

use crate::message::RecordData;
use crate::reader::{DnsError, Reader};
use std::net::{Ipv4Addr, Ipv6Addr};

const KEY_ALPN: u16 = 1;
const KEY_IPV4HINT: u16 = 4;
const KEY_IPV6HINT: u16 = 6;

/// Decodes SVCB/HTTPS RDATA; `rdata` is cut to exactly the record's RDLENGTH.
pub(crate) fn decode(rdata: &mut Reader<'_>) -> Result<RecordData, DnsError> {
    let priority = rdata.u16("SVCB priority")?;
    let target = rdata.name("SVCB target")?;
    let mut alpn = Vec::new();
    let mut ipv4_hints = Vec::new();
    let mut ipv6_hints = Vec::new();
    let mut previous: Option<u16> = None;
    while !rdata.is_empty() {
        let key = rdata.u16("SVCB param key")?;
        if let Some(p) = previous.filter(|&p| key <= p) {
            return Err(DnsError::invalid(
                "SVCB param key",
                format!("key {key} does not follow {p} in increasing order"),
            ));
        }
        previous = Some(key);
        let len = rdata.u16("SVCB param length")?;
        let mut value = rdata.sub(usize::from(len), "SVCB param value")?;
        match key {
            KEY_ALPN => {
                while !value.is_empty() {
                    let n = value.u8("SVCB alpn id length")?;
                    if n == 0 {
                        return Err(DnsError::invalid("SVCB alpn", "empty alpn id"));
                    }
                    let id = value.take(usize::from(n), "SVCB alpn id")?;
                    alpn.push(String::from_utf8_lossy(id).into_owned());
                }
            }
            KEY_IPV4HINT => {
                hints_length("SVCB ipv4hint", len, 4)?;
                while !value.is_empty() {
                    ipv4_hints.push(Ipv4Addr::from(value.array::<4>("SVCB ipv4hint")?));
                }
            }
            KEY_IPV6HINT => {
                hints_length("SVCB ipv6hint", len, 16)?;
                while !value.is_empty() {
                    ipv6_hints.push(Ipv6Addr::from(value.array::<16>("SVCB ipv6hint")?));
                }
            }
            _ => {}
        }
    }
    Ok(RecordData::Https {
        priority,
        target: if target.is_empty() {
            ".".to_owned()
        } else {
            target
        },
        alpn,
        ipv4_hints,
        ipv6_hints,
    })
}

/// RFC 9460 §7.3: a hint list is non-empty and a whole number of addresses.
fn hints_length(what: &'static str, len: u16, size: u16) -> Result<(), DnsError> {
    if len == 0 || !len.is_multiple_of(size) {
        return Err(DnsError::invalid(
            what,
            format!("length {len} is not a non-zero multiple of {size}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_bytes(bytes: &[u8]) -> Result<RecordData, DnsError> {
        let mut r = Reader::new(bytes);
        let out = decode(&mut r)?;
        r.expect_end("rdata")?;
        Ok(out)
    }

    /// dnsmasq's `svc.local.test` HTTPS RDATA: `1 . alpn="h2,h3" ipv4hint=127.0.0.1
    /// ipv6hint=::1` (as dig printed it).
    static SERVICE_RDATA: [u8; 41] = [
        0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0x68, 0x32, 0x02, 0x68, 0x33, 0x00, 0x04,
        0x00, 0x04, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    ];

    #[test]
    fn service_mode_with_alpn_and_hints() {
        assert_eq!(
            decode_bytes(&SERVICE_RDATA),
            Ok(RecordData::Https {
                priority: 1,
                target: ".".to_owned(),
                alpn: vec!["h2".to_owned(), "h3".to_owned()],
                ipv4_hints: vec![Ipv4Addr::LOCALHOST],
                ipv6_hints: vec![Ipv6Addr::LOCALHOST],
            })
        );
    }

    #[test]
    fn every_truncation_inside_a_field_is_an_error() {
        // Cuts between parameters leave a shorter, valid RDATA.
        let boundaries = [3, 13, 21];
        for len in 0..SERVICE_RDATA.len() {
            let mut r = Reader::new(&SERVICE_RDATA);
            let mut cut = r.sub(len, "rdata").unwrap();
            let ok = boundaries.contains(&len);
            assert_eq!(decode(&mut cut).is_ok(), ok, "cut at {len}");
        }
    }

    #[test]
    fn unordered_keys_and_bad_hints_are_errors() {
        // priority 1, root target, ipv4hint then alpn: keys out of order.
        static UNORDERED: [u8; 17] = [0, 1, 0, 0, 4, 0, 4, 127, 0, 0, 1, 0, 1, 0, 2, 1, b'x'];
        assert!(matches!(
            decode_bytes(&UNORDERED),
            Err(DnsError::Invalid {
                what: "SVCB param key",
                ..
            })
        ));
        // ipv6hint of 4 octets.
        static SHORT_V6: [u8; 11] = [0, 1, 0, 0, 6, 0, 4, 0, 0, 0, 1];
        assert!(matches!(
            decode_bytes(&SHORT_V6),
            Err(DnsError::Invalid {
                what: "SVCB ipv6hint",
                ..
            })
        ));
        // alpn with an empty id.
        static EMPTY_ALPN: [u8; 8] = [0, 1, 0, 0, 1, 0, 1, 0];
        assert!(decode_bytes(&EMPTY_ALPN).is_err());
        // alpn id longer than its value.
        static LONG_ALPN: [u8; 9] = [0, 1, 0, 0, 1, 0, 2, 5, b'h'];
        assert!(matches!(
            decode_bytes(&LONG_ALPN),
            Err(DnsError::Truncated {
                what: "SVCB alpn id",
                ..
            })
        ));
    }

    #[test]
    fn unknown_keys_are_skipped() {
        // priority 2, target `a`, port=443 (key 3), unknown key 65000 with 1 octet.
        static PORT: [u8; 16] = [0, 2, 1, b'a', 0, 0, 3, 0, 2, 1, 0xBB, 0xFD, 0xE8, 0, 1, 9];
        assert_eq!(
            decode_bytes(&PORT).unwrap(),
            RecordData::Https {
                priority: 2,
                target: "a".to_owned(),
                alpn: vec![],
                ipv4_hints: vec![],
                ipv6_hints: vec![],
            }
        );
    }
}
