//! X.509 certificate facts: subject, issuer, subject alternative names and validity, read by
//! a minimal, strict DER decoder (no other part of a certificate is interpreted, and nothing
//! is verified: httpscope reports what the server sent).
//!
//! Owns: the DER TLV reader (X.690 §8.1 with the DER restrictions of §10: definite,
//! minimal lengths; single-byte tags) and the walk of RFC 5280 §4.1:
//!
//! ```text
//! Certificate  ::=  SEQUENCE  {
//!      tbsCertificate       TBSCertificate,
//!      signatureAlgorithm   AlgorithmIdentifier,
//!      signatureValue       BIT STRING  }
//! TBSCertificate  ::=  SEQUENCE  {
//!      version         [0]  EXPLICIT Version DEFAULT v1,
//!      serialNumber         CertificateSerialNumber,
//!      signature            AlgorithmIdentifier,
//!      issuer               Name,
//!      validity             Validity,
//!      subject              Name,
//!      subjectPublicKeyInfo SubjectPublicKeyInfo,
//!      issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,
//!      subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,
//!      extensions      [3]  EXPLICIT Extensions OPTIONAL }
//! ```
//!
//! Names are printed as RFC 4514 strings: RDNs last-to-first (`CN=..., O=..., C=...`, the
//! order of `openssl x509 -nameopt RFC2253`), multi-valued RDNs joined by `+`, special
//! characters backslash-escaped, attribute types CN, O, OU, C, L, ST and emailAddress by
//! name and others by dotted OID, values of non-string types as `#` and the hex of their DER.
//! Subject alternative names (RFC 5280 §4.2.1.6): `dNSName` as is, `iPAddress` as an IPv4 or
//! (compressed) IPv6 address; other name forms are skipped. Times (RFC 5280 §4.1.2.5):
//! UTCTime `YYMMDDHHMMSSZ` (YY >= 50 is 19YY, else 20YY) and GeneralizedTime
//! `YYYYMMDDHHMMSSZ`, the only forms RFC 5280 allows.

// until conn.rs uses it

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use model::{CertificateInfo, Timestamp};

use crate::codec::{Reader, TlsError};

/// Universal and context tags used here (X.680 §8.4, RFC 5280).
mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const UTF8_STRING: u8 = 0x0c;
    pub const NUMERIC_STRING: u8 = 0x12;
    pub const PRINTABLE_STRING: u8 = 0x13;
    pub const TELETEX_STRING: u8 = 0x14;
    pub const IA5_STRING: u8 = 0x16;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const VISIBLE_STRING: u8 = 0x1a;
    pub const UNIVERSAL_STRING: u8 = 0x1c;
    pub const BMP_STRING: u8 = 0x1e;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[0] EXPLICIT` version.
    pub const VERSION: u8 = 0xa0;
    /// `[1] IMPLICIT` issuerUniqueID.
    pub const ISSUER_UID: u8 = 0x81;
    /// `[2] IMPLICIT` subjectUniqueID.
    pub const SUBJECT_UID: u8 = 0x82;
    /// `[3] EXPLICIT` extensions.
    pub const EXTENSIONS: u8 = 0xa3;
    /// GeneralName `dNSName [2] IA5String`.
    pub const DNS_NAME: u8 = 0x82;
    /// GeneralName `iPAddress [7] OCTET STRING`.
    pub const IP_ADDRESS: u8 = 0x87;
}

/// id-ce-subjectAltName, 2.5.29.17, as DER content bytes.
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// Attribute types printed by name (RFC 4514 §3 and PKCS #9's emailAddress).
const ATTRIBUTE_NAMES: [(&[u8], &str); 7] = [
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x0a], "O"),
    (&[0x55, 0x04, 0x0b], "OU"),
    (&[0x55, 0x04, 0x06], "C"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01],
        "emailAddress",
    ),
];

/// Subject and issuer as "CN=..., O=..., C=..." (attribute types CN, O, OU, C, L, ST, emailAddress; others as their dotted OID), SANs (dNSName, iPAddress printed v4/v6), validity (UTCTime and GeneralizedTime → model::Timestamp).
pub fn parse_certificate(der: &[u8]) -> Result<CertificateInfo, TlsError> {
    let mut top = Reader::new(der, "Certificate");
    let mut cert = expect(&mut top, tag::SEQUENCE, "Certificate")?;
    top.finish()?;
    let mut tbs = expect(&mut cert, tag::SEQUENCE, "Certificate.tbsCertificate")?;
    expect(&mut cert, tag::SEQUENCE, "Certificate.signatureAlgorithm")?;
    expect(&mut cert, tag::BIT_STRING, "Certificate.signatureValue")?;
    cert.finish()?;

    optional(&mut tbs, tag::VERSION, "TBSCertificate.version")?;
    expect(&mut tbs, tag::INTEGER, "TBSCertificate.serialNumber")?;
    expect(&mut tbs, tag::SEQUENCE, "TBSCertificate.signature")?;
    let issuer = name(expect(&mut tbs, tag::SEQUENCE, "TBSCertificate.issuer")?)?;
    let mut validity = expect(&mut tbs, tag::SEQUENCE, "TBSCertificate.validity")?;
    let not_before = time(&mut validity, "Validity.notBefore")?;
    let not_after = time(&mut validity, "Validity.notAfter")?;
    validity.finish()?;
    let subject = name(expect(&mut tbs, tag::SEQUENCE, "TBSCertificate.subject")?)?;
    expect(
        &mut tbs,
        tag::SEQUENCE,
        "TBSCertificate.subjectPublicKeyInfo",
    )?;
    optional(&mut tbs, tag::ISSUER_UID, "TBSCertificate.issuerUniqueID")?;
    optional(&mut tbs, tag::SUBJECT_UID, "TBSCertificate.subjectUniqueID")?;
    let mut san = Vec::new();
    if let Some(mut explicit) = optional(&mut tbs, tag::EXTENSIONS, "TBSCertificate.extensions")? {
        let extensions = expect(&mut explicit, tag::SEQUENCE, "TBSCertificate.extensions")?;
        explicit.finish()?;
        san = subject_alt_names(extensions)?;
    }
    tbs.finish()?;
    Ok(CertificateInfo {
        subject,
        issuer,
        san,
        not_before: Some(not_before),
        not_after: Some(not_after),
    })
}

/// One DER element: its tag, a reader over its contents, and its whole encoding.
fn tlv<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<(u8, Reader<'a>, &'a [u8]), TlsError> {
    let start = r.clone();
    let t = r.u8(what)?;
    if t & 0x1f == 0x1f {
        return Err(TlsError::invalid(what, "multi-byte tag"));
    }
    let first = r.u8(what)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        // X.690 §10.1: "The definite form of length encoding shall be used, encoded in the
        // minimum number of octets."
        let n = usize::from(first & 0x7f);
        if n == 0 {
            return Err(TlsError::invalid(what, "indefinite length"));
        }
        if n > 3 {
            return Err(TlsError::invalid(what, format!("{n}-byte length")));
        }
        let bytes = r.take(n, what)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        if bytes[0] == 0 || len < 0x80 {
            return Err(TlsError::invalid(what, "non-minimal length"));
        }
        len
    };
    let contents = r.sub(len, what)?;
    let mut raw = start;
    let raw = raw.take(raw.remaining() - r.remaining(), what)?;
    Ok((t, contents, raw))
}

/// The next element, which must have tag `t`.
fn expect<'a>(r: &mut Reader<'a>, t: u8, what: &'static str) -> Result<Reader<'a>, TlsError> {
    let (found, contents, _) = tlv(r, what)?;
    if found != t {
        return Err(TlsError::invalid(
            what,
            format!("expected tag {t:#04x}, found {found:#04x}"),
        ));
    }
    Ok(contents)
}

/// The next element if it has tag `t` (an OPTIONAL or DEFAULT field).
fn optional<'a>(
    r: &mut Reader<'a>,
    t: u8,
    what: &'static str,
) -> Result<Option<Reader<'a>>, TlsError> {
    if r.clone().u8(what) == Ok(t) {
        expect(r, t, what).map(Some)
    } else {
        Ok(None)
    }
}

/// `Name ::= SEQUENCE OF RelativeDistinguishedName`, `RelativeDistinguishedName ::= SET
/// SIZE (1..MAX) OF AttributeTypeAndValue`, `AttributeTypeAndValue ::= SEQUENCE { type
/// OBJECT IDENTIFIER, value ANY }` (RFC 5280 §4.1.2.4), as an RFC 4514 string.
fn name(mut rdns: Reader<'_>) -> Result<String, TlsError> {
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let mut set = expect(&mut rdns, tag::SET, "Name.RelativeDistinguishedName")?;
        let mut rdn = String::new();
        if set.is_empty() {
            return Err(TlsError::invalid("Name.RelativeDistinguishedName", "empty"));
        }
        while !set.is_empty() {
            let mut atv = expect(&mut set, tag::SEQUENCE, "AttributeTypeAndValue")?;
            let oid = expect(&mut atv, tag::OID, "AttributeTypeAndValue.type")?.rest();
            let (value_tag, mut value, raw) = tlv(&mut atv, "AttributeTypeAndValue.value")?;
            atv.finish()?;
            if !rdn.is_empty() {
                rdn.push('+');
            }
            match ATTRIBUTE_NAMES.iter().find(|(o, _)| *o == oid) {
                Some((_, short)) => rdn.push_str(short),
                None => rdn.push_str(&dotted_oid(oid, "AttributeTypeAndValue.type")?),
            }
            rdn.push('=');
            match directory_string(value_tag, value.rest())? {
                Some(text) => escape_into(&mut rdn, &text),
                None => {
                    rdn.push('#');
                    raw.iter().for_each(|b| {
                        let _ = write!(rdn, "{b:02x}");
                    });
                }
            }
        }
        parts.push(rdn);
    }
    parts.reverse();
    Ok(parts.join(", "))
}

/// The text of a string-typed attribute value, or None for other types.
fn directory_string(t: u8, v: &[u8]) -> Result<Option<String>, TlsError> {
    const WHAT: &str = "AttributeTypeAndValue.value";
    let text = match t {
        tag::UTF8_STRING => String::from_utf8(v.to_vec())
            .map_err(|_| TlsError::invalid(WHAT, "UTF8String is not UTF-8"))?,
        tag::PRINTABLE_STRING | tag::IA5_STRING | tag::NUMERIC_STRING | tag::VISIBLE_STRING => {
            ascii(v, WHAT)?
        }
        // T.61 in theory, Latin-1 in practice.
        tag::TELETEX_STRING => v.iter().map(|&b| char::from(b)).collect(),
        tag::BMP_STRING => {
            if !v.len().is_multiple_of(2) {
                return Err(TlsError::invalid(WHAT, "BMPString of odd length"));
            }
            let units = v.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| TlsError::invalid(WHAT, "BMPString is not UTF-16"))?
        }
        tag::UNIVERSAL_STRING => {
            if !v.len().is_multiple_of(4) {
                return Err(TlsError::invalid(
                    WHAT,
                    "UniversalString length not a multiple of 4",
                ));
            }
            v.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect::<Option<String>>()
                .ok_or_else(|| TlsError::invalid(WHAT, "UniversalString is not UCS-4"))?
        }
        _ => return Ok(None),
    };
    Ok(Some(text))
}

fn ascii(v: &[u8], what: &'static str) -> Result<String, TlsError> {
    if v.is_ascii() {
        Ok(v.iter().map(|&b| char::from(b)).collect())
    } else {
        Err(TlsError::invalid(
            what,
            "non-ASCII byte in an ASCII string type",
        ))
    }
}

/// Appends `value` with RFC 4514 §2.4 escapes: `" + , ; < > \` anywhere, `#` or space
/// first, space last.
fn escape_into(out: &mut String, value: &str) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
}

/// An OBJECT IDENTIFIER's contents in dotted form (X.690 §8.19).
fn dotted_oid(oid: &[u8], what: &'static str) -> Result<String, TlsError> {
    if oid.is_empty() || oid[oid.len() - 1] & 0x80 != 0 {
        return Err(TlsError::invalid(what, "truncated OBJECT IDENTIFIER"));
    }
    let mut arcs = Vec::new();
    let mut value: u64 = 0;
    let mut fresh = true;
    for &b in oid {
        if fresh && b == 0x80 {
            return Err(TlsError::invalid(what, "non-minimal OBJECT IDENTIFIER arc"));
        }
        value = value
            .checked_mul(128)
            .ok_or_else(|| TlsError::invalid(what, "OBJECT IDENTIFIER arc too large"))?
            | u64::from(b & 0x7f);
        fresh = b & 0x80 == 0;
        if fresh {
            arcs.push(value);
            value = 0;
        }
    }
    let first = arcs[0];
    let (a, b) = if first < 80 {
        (first / 40, first % 40)
    } else {
        (2, first - 80)
    };
    let mut out = format!("{a}.{b}");
    for arc in &arcs[1..] {
        let _ = write!(out, ".{arc}");
    }
    Ok(out)
}

/// `Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }` (RFC 5280 §4.1.2.5).
fn time(r: &mut Reader<'_>, what: &'static str) -> Result<Timestamp, TlsError> {
    let (t, mut v, _) = tlv(r, what)?;
    let text = v.rest();
    let (year, rest) = match (t, text.len()) {
        // RFC 5280 §4.1.2.5.1: "Where YY is greater than or equal to 50, the year SHALL be
        // interpreted as 19YY; and Where YY is less than 50, the year SHALL be interpreted
        // as 20YY."
        (tag::UTC_TIME, 13) => {
            let yy = digits(&text[..2], what)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        (tag::GENERALIZED_TIME, 15) => (digits(&text[..4], what)?, &text[4..]),
        (tag::UTC_TIME | tag::GENERALIZED_TIME, n) => {
            return Err(TlsError::invalid(
                what,
                format!("time of {n} characters is not YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ"),
            ))
        }
        (other, _) => {
            return Err(TlsError::invalid(
                what,
                format!("expected UTCTime or GeneralizedTime, found tag {other:#04x}"),
            ))
        }
    };
    if rest[10] != b'Z' {
        return Err(TlsError::invalid(what, "time is not in UTC (Z)"));
    }
    let month = digits(&rest[0..2], what)?;
    let day = digits(&rest[2..4], what)?;
    let hour = digits(&rest[4..6], what)?;
    let minute = digits(&rest[6..8], what)?;
    let second = digits(&rest[8..10], what)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(TlsError::invalid(what, "date or time out of range"));
    }
    let days = days_from_civil(year, month, day);
    Ok(Timestamp::from_parts(
        days * 86_400 + hour * 3600 + minute * 60 + second,
        0,
    ))
}

/// ASCII decimal digits as a number.
fn digits(text: &[u8], what: &'static str) -> Result<i64, TlsError> {
    text.iter().try_fold(0i64, |acc, &b| {
        if b.is_ascii_digit() {
            Ok(acc * 10 + i64::from(b - b'0'))
        } else {
            Err(TlsError::invalid(what, "non-digit in time"))
        }
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The names of the subjectAltName extension, if any. `Extensions ::= SEQUENCE SIZE
/// (1..MAX) OF Extension`, `Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical
/// BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`; RFC 5280 §4.2: "A certificate MUST NOT
/// include more than one instance of a particular extension."
fn subject_alt_names(mut extensions: Reader<'_>) -> Result<Vec<String>, TlsError> {
    let mut seen: Vec<&[u8]> = Vec::new();
    let mut san = Vec::new();
    while !extensions.is_empty() {
        let mut extension = expect(&mut extensions, tag::SEQUENCE, "Extension")?;
        let oid = expect(&mut extension, tag::OID, "Extension.extnID")?.rest();
        optional(&mut extension, tag::BOOLEAN, "Extension.critical")?;
        let value = expect(&mut extension, tag::OCTET_STRING, "Extension.extnValue")?;
        extension.finish()?;
        if seen.contains(&oid) {
            return Err(TlsError::invalid(
                "Extension.extnID",
                format!(
                    "extension {} appears twice",
                    dotted_oid(oid, "Extension.extnID")?
                ),
            ));
        }
        seen.push(oid);
        if oid == OID_SUBJECT_ALT_NAME {
            san = general_names(value)?;
        }
    }
    Ok(san)
}

/// `GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName` (RFC 5280 §4.2.1.6), keeping
/// `dNSName` and `iPAddress`.
fn general_names(mut value: Reader<'_>) -> Result<Vec<String>, TlsError> {
    let mut names = expect(&mut value, tag::SEQUENCE, "SubjectAltName")?;
    value.finish()?;
    let mut out = Vec::new();
    while !names.is_empty() {
        let (t, mut v, _) = tlv(&mut names, "SubjectAltName.GeneralName")?;
        let v = v.rest();
        match t {
            tag::DNS_NAME => out.push(ascii(v, "SubjectAltName.dNSName")?),
            tag::IP_ADDRESS => match v.len() {
                4 => out.push(Ipv4Addr::new(v[0], v[1], v[2], v[3]).to_string()),
                16 => {
                    let mut octets = [0u8; 16];
                    octets.copy_from_slice(v);
                    out.push(Ipv6Addr::from(octets).to_string());
                }
                n => {
                    return Err(TlsError::invalid(
                        "SubjectAltName.iPAddress",
                        format!("{n} bytes is neither IPv4 nor IPv6"),
                    ))
                }
            },
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 11000 -subj
    /// "/C=DE/ST=Berlin/O=httpscope test/OU=tls/CN=ec.example.test" -addext
    /// "subjectAltName=DNS:ec.example.test,DNS:*.ec.example.test,IP:127.0.0.1,IP:::1"`
    /// (OpenSSL 3.0.19). `openssl x509 -noout -subject -issuer -dates -ext subjectAltName
    /// -nameopt RFC2253`:
    ///
    /// ```text
    /// subject=CN=ec.example.test,OU=tls,O=httpscope test,ST=Berlin,C=DE
    /// issuer=CN=ec.example.test,OU=tls,O=httpscope test,ST=Berlin,C=DE
    /// notBefore=Nov 22 02:53:11 2026 GMT        (UTCTime)
    /// notAfter=Jan  3 02:53:11 2057 GMT         (GeneralizedTime)
    /// X509v3 Subject Alternative Name:
    ///     DNS:ec.example.test, DNS:*.ec.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1
    /// ```
    static EC_CERT: [u8; 610] = hex!(
        "3082025e30820204a00302010202143be1ac671d756a11362d52e12056e4a944c7760d300a06082a"
        "8648ce3d040302305f310b3009060355040613024445310f300d06035504080c064265726c696e31"
        "173015060355040a0c0e6874747073636f70652074657374310c300a060355040b0c03746c733118"
        "301606035504030c0f65632e6578616d706c652e746573743020170d323631313232303235333131"
        "5a180f32303537303130333032353331315a305f310b3009060355040613024445310f300d060355"
        "04080c064265726c696e31173015060355040a0c0e6874747073636f70652074657374310c300a06"
        "0355040b0c03746c733118301606035504030c0f65632e6578616d706c652e746573743059301306"
        "072a8648ce3d020106082a8648ce3d03010703420004cb3d114e43be5d619848a083cbbbcbd2b8dc"
        "a3e60c4581689106aa07071a28dfff1ec9d6ca58873e5d32a2cf7211e9244a6cb9d688bbf9c7e18b"
        "12b6338e650da3819b308198301d0603551d0e04160414242da1a7755158e3105a8f2a96f58ecc8d"
        "edfa62301f0603551d23041830168014242da1a7755158e3105a8f2a96f58ecc8dedfa62300f0603"
        "551d130101ff040530030101ff30450603551d11043e303c820f65632e6578616d706c652e746573"
        "7482112a2e65632e6578616d706c652e7465737487047f0000018710000000000000000000000000"
        "00000001300a06082a8648ce3d0403020348003045022100a81028dd26decb86f6d9b80292c3cad1"
        "7a3b9c0e8a72ddf2ef79bd783c3c561a0220111dd0e5c89f1ca7a16ed30063ae65c9dd41b36c7a67"
        "af56b110bf574c4fd081"
    );

    /// `openssl req -x509 -newkey rsa:1024 -days 365 -subj "/CN=rsa.example.test/O=httpscope
    /// test/emailAddress=ops@example.test/serialNumber=42" -addext
    /// "subjectAltName=DNS:rsa.example.test,IP:192.0.2.7,IP:2001:db8::1"`:
    ///
    /// ```text
    /// subject=serialNumber=42,emailAddress=ops@example.test,O=httpscope test,CN=rsa.example.test
    /// issuer=  (the same)
    /// notBefore=Nov 22 02:53:11 2026 GMT
    /// notAfter=Nov 22 02:53:11 2027 GMT
    /// X509v3 Subject Alternative Name:
    ///     DNS:rsa.example.test, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:1
    /// ```
    static RSA_CERT: [u8; 731] = hex!(
        "308202d730820240a0030201020214676fac06346aafa70f90603bef97af47cb31aef5300d06092a"
        "864886f70d01010b050030623119301706035504030c107273612e6578616d706c652e7465737431"
        "173015060355040a0c0e6874747073636f70652074657374311f301d06092a864886f70d01090116"
        "106f7073406578616d706c652e74657374310b3009060355040513023432301e170d323631313232"
        "3032353331315a170d3237313132323032353331315a30623119301706035504030c107273612e65"
        "78616d706c652e7465737431173015060355040a0c0e6874747073636f70652074657374311f301d"
        "06092a864886f70d01090116106f7073406578616d706c652e74657374310b300906035504051302"
        "343230819f300d06092a864886f70d010101050003818d0030818902818100be0dc3b67cce677119"
        "f3554dddac66641533c9ed6c74e37223c29acb30ce74d127f71b1efb88c203ce15554522403c75e8"
        "2787a9c9350ce7f822be0248e07573cc4955b77f443e38eb8f039a44de4c2c59af5fbd7171c80a8e"
        "aba548b2154ac73029c45fe2d83a9c42935e1c2ce63e4ecc199a63392eaa01e65d48b3458f282d02"
        "03010001a38189308186301d0603551d0e041604143ffa23628189f77d6caee8d19c9cbf87477636"
        "ef301f0603551d230418301680143ffa23628189f77d6caee8d19c9cbf87477636ef300f0603551d"
        "130101ff040530030101ff30330603551d11042c302a82107273612e6578616d706c652e74657374"
        "8704c0000207871020010db8000000000000000000000001300d06092a864886f70d01010b050003"
        "81810041ec2dc15129c6c4279e8ce002bdd7729f8cb1f316eb1e548ac6a533e3c58af99c30bca911"
        "bb05d8ab627bd3965585e48d51ca57cede8e3e6500ebb7bd12eb34941bc21a60cfff0f5b184082a6"
        "4342e834f4a9692d63f8f313692b449bccfb10e8c44fb1066caddac3444aabb88884728e3a97bf3d"
        "39bcd37b62679e550f4da5"
    );

    /// A Name with a multi-valued RDN (CN=a+O=b, BMPString "b"), a value needing escapes
    /// (O=" x,y"), and a non-string value under an unknown type 1.2.3.4 (INTEGER 5).
    static ODD_NAME: [u8; 52] = hex!(
        "3032"
        "3115 300806035504030c0161 3009060355040a1e020062"
        "310d 300b 0603 55040a 0c04 2078 2c79"
        "310a 3008 0603 2a0304 020105"
    );

    #[test]
    fn ec_certificate_matches_openssl() {
        let info = parse_certificate(&EC_CERT).unwrap();
        let dn = "CN=ec.example.test, OU=tls, O=httpscope test, ST=Berlin, C=DE";
        assert_eq!(info.subject, dn);
        assert_eq!(info.issuer, dn);
        assert_eq!(
            info.san,
            ["ec.example.test", "*.ec.example.test", "127.0.0.1", "::1"]
        );
        // `date -u -d '2026-11-22 02:53:11' +%s`, `date -u -d '2057-01-03 02:53:11' +%s`
        assert_eq!(
            info.not_before,
            Some(Timestamp::from_parts(1_795_315_991, 0))
        );
        assert_eq!(
            info.not_after,
            Some(Timestamp::from_parts(2_745_715_991, 0))
        );
    }

    #[test]
    fn rsa_certificate_matches_openssl() {
        let info = parse_certificate(&RSA_CERT).unwrap();
        let dn = "2.5.4.5=42, emailAddress=ops@example.test, O=httpscope test, CN=rsa.example.test";
        assert_eq!(info.subject, dn);
        assert_eq!(info.issuer, dn);
        assert_eq!(info.san, ["rsa.example.test", "192.0.2.7", "2001:db8::1"]);
        assert_eq!(
            info.not_before,
            Some(Timestamp::from_parts(1_795_315_991, 0))
        );
        assert_eq!(
            info.not_after,
            Some(Timestamp::from_parts(1_826_851_991, 0))
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        for n in 0..EC_CERT.len() {
            assert!(parse_certificate(&EC_CERT[..n]).is_err(), "cut at {n}");
        }
        let mut long = EC_CERT.to_vec();
        long.push(0);
        assert_eq!(
            parse_certificate(&long).unwrap_err().to_string(),
            "Certificate: 1 unexpected trailing bytes"
        );
    }

    #[test]
    fn impossible_lengths_name_the_structure() {
        let mut bad = EC_CERT;
        // The outer SEQUENCE announces one byte more than there is.
        bad[3] = 0x5f;
        assert_eq!(
            parse_certificate(&bad).unwrap_err().to_string(),
            "Certificate: length 607 exceeds remaining 606"
        );
        let mut bad = EC_CERT;
        // The tbsCertificate announces 0x0205 (one more than its 0x0204), swallowing the
        // first byte of the signatureAlgorithm that follows.
        bad[7] = 0x05;
        assert_eq!(
            parse_certificate(&bad).unwrap_err().to_string(),
            "Certificate.signatureAlgorithm: expected tag 0x30, found 0x0a"
        );
        let mut bad = EC_CERT;
        // The subjectAltName's GeneralNames SEQUENCE announces 0x3d bytes, not 0x3c.
        bad[0x1cf] = 0x3d;
        assert_eq!(
            parse_certificate(&bad).unwrap_err().to_string(),
            "SubjectAltName: length 61 exceeds remaining 60"
        );
        // Non-minimal (0x82 0x00 0x05) and indefinite (0x80) lengths.
        let mut r = Reader::new(&hex!("04820005 0102030405"), "X");
        assert_eq!(
            tlv(&mut r, "X").unwrap_err().to_string(),
            "X: non-minimal length"
        );
        let mut r = Reader::new(&hex!("3080 0000"), "X");
        assert_eq!(
            tlv(&mut r, "X").unwrap_err().to_string(),
            "X: indefinite length"
        );
    }

    #[test]
    fn wrong_time_forms_are_errors() {
        let mut bad = EC_CERT;
        // notBefore's month "11" → "13".
        bad[150] = b'3';
        assert_eq!(
            parse_certificate(&bad).unwrap_err().to_string(),
            "Validity.notBefore: date or time out of range"
        );
        let mut r = Reader::new(b"\x17\x0b2611220253Z", "X");
        assert!(time(&mut r, "Validity.notBefore")
            .unwrap_err()
            .to_string()
            .contains("11 characters"));
        // 1999-12-31 23:59:59 as UTCTime (YY >= 50 is 19YY), and 2000-02-29.
        let mut r = Reader::new(b"\x17\x0d991231235959Z", "X");
        assert_eq!(time(&mut r, "T"), Ok(Timestamp::from_parts(946_684_799, 0)));
        let mut r = Reader::new(b"\x18\x0f20000229000000Z", "X");
        assert_eq!(time(&mut r, "T"), Ok(Timestamp::from_parts(951_782_400, 0)));
        let mut r = Reader::new(b"\x18\x0f20010229000000Z", "X");
        assert!(time(&mut r, "T").is_err());
    }

    #[test]
    fn names_with_escapes_multi_values_and_unknown_types() {
        let mut r = Reader::new(&ODD_NAME, "Name");
        let n = name(expect(&mut r, tag::SEQUENCE, "Name").unwrap()).unwrap();
        assert_eq!(n, r"1.2.3.4=#020105, O=\ x\,y, CN=a+O=b");
        assert_eq!(
            dotted_oid(&hex!("2a864886f70d010901"), "X").unwrap(),
            "1.2.840.113549.1.9.1"
        );
        assert_eq!(dotted_oid(&hex!("8837"), "X").unwrap(), "2.999");
        assert!(dotted_oid(&hex!("2a86"), "X").is_err());
        assert!(dotted_oid(&hex!("2a8001"), "X").is_err());
    }

    #[test]
    fn odd_san_entries() {
        // An IP address of 5 bytes is an error; an rfc822Name ([1]) is skipped.
        let mut v = Reader::new(&hex!("300b 8705 0102030405 8102 6162"), "X");
        assert_eq!(
            general_names(v.clone()).unwrap_err().to_string(),
            "SubjectAltName.iPAddress: 5 bytes is neither IPv4 nor IPv6"
        );
        v = Reader::new(&hex!("3008 8102 6162 8202 6364"), "X");
        assert_eq!(general_names(v).unwrap(), ["cd"]);
    }
}
