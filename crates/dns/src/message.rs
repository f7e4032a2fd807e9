//! One DNS message (RFC 1035 §4.1) decoded into what a lookup needs: header facts, the
//! questions, and the answer records with A, AAAA, CNAME and SVCB/HTTPS data decoded.
//!
//! RFC 1035 §4.1 (Format):
//!
//! > All communications inside of the domain protocol are carried in a single format called
//! > a message. The top level format of message is divided into 5 sections [...]
//! > Header, Question (the question for the name server), Answer (RRs answering the
//! > question), Authority (RRs pointing toward an authority), Additional (RRs holding
//! > additional information).
//!
//! RFC 1035 §4.1.1 (Header): `ID` (16 bits), then `QR` (1: response), `Opcode` (4 bits),
//! `AA`, `TC` ("this message was truncated due to length greater than that permitted on the
//! transmission channel"), `RD`, `RA`, `Z` (3 bits), `RCODE` (4 bits), then `QDCOUNT`,
//! `ANCOUNT`, `NSCOUNT` and `ARCOUNT`, "an unsigned 16 bit integer specifying the number of"
//! entries in each section.
//!
//! RFC 1035 §4.1.3 (Resource record): `NAME`, `TYPE`, `CLASS`, `TTL` ("a 32 bit unsigned
//! integer that specifies the time interval (in seconds) that the resource record may be
//! cached"), `RDLENGTH` ("the length in octets of the RDATA field"), `RDATA`.
//!
//! RFC 3596 §2.2: "A 128 bit IPv6 address is encoded in the data portion of an AAAA resource
//! record in network byte order (high-order byte first)." (type 28, §2.1). RFC 1035 §3.4.1:
//! A RDATA is "a 32 bit Internet address". SVCB (64) and HTTPS (65): see `svcb.rs`.
//!
//! RFC 6891 §6.1.3: the OPT pseudo-record's TTL carries `EXTENDED-RCODE`, "forming the upper
//! 8 bits of extended 12-bit RCODE" together with the header's 4 bits; [`Message::rcode`]
//! is that 12-bit value when an OPT record is present.
//!
//! Every section is decoded through its declared count, so a message whose counts promise
//! more than its bytes hold is an error. Bytes after the last counted record are ignored
//! (dig only warns about them). The authority and additional sections are read and checked
//! but not kept, except for the OPT record's extended RCODE.

use crate::reader::{DnsError, Reader};
use crate::svcb;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_AAAA: u16 = 28;
const TYPE_OPT: u16 = 41;
const TYPE_SVCB: u16 = 64;
const TYPE_HTTPS: u16 = 65;

/// A decoded DNS message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The header's ID, chosen by the querier and copied into the response.
    pub id: u16,
    /// `QR`: a response (else a query).
    pub response: bool,
    /// `Opcode`: 0 QUERY, 1 IQUERY, 2 STATUS, 4 NOTIFY, 5 UPDATE.
    pub opcode: u8,
    /// `RCODE`, with the OPT record's extended bits above it when present (RFC 6891 §6.1.3).
    pub rcode: u16,
    /// `TC`: the message was truncated to fit its transport.
    pub truncated: bool,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
}

/// One entry of the question section (its class is not kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The name asked about: lowercase, no trailing dot (`""` for the root).
    pub name: String,
    /// `QTYPE`.
    pub qtype: u16,
}

/// One resource record of the answer section (its class is not kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The owner name: lowercase, no trailing dot.
    pub name: String,
    /// `TYPE`.
    pub rtype: u16,
    /// `TTL`, in seconds.
    pub ttl: u32,
    /// The decoded RDATA.
    pub data: RecordData,
}

impl Record {
    /// The record as `TYPE data` text: `A 127.0.0.1`, `CNAME web.test`,
    /// `HTTPS 1 . alpn=h2,h3 ipv4hint=127.0.0.1`, or just `TYPE99` for undecoded types.
    pub fn summary(&self) -> String {
        match &self.data {
            RecordData::Other(_) => type_name(self.rtype),
            data => format!("{} {data}", type_name(self.rtype)),
        }
    }
}

/// Decoded RDATA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordData {
    /// An IPv4 address (type 1).
    A(Ipv4Addr),
    /// An IPv6 address (type 28, RFC 3596).
    Aaaa(Ipv6Addr),
    /// The canonical name (type 5).
    Cname(String),
    /// SVCB (type 64) or HTTPS (type 65) data, RFC 9460.
    Https {
        /// `SvcPriority`: 0 is AliasMode, else ServiceMode.
        priority: u16,
        /// `TargetName`; `.` for the root, which in ServiceMode means the owner name.
        target: String,
        /// The `alpn` ids, in order.
        alpn: Vec<String>,
        /// `ipv4hint` addresses.
        ipv4_hints: Vec<Ipv4Addr>,
        /// `ipv6hint` addresses.
        ipv6_hints: Vec<Ipv6Addr>,
    },
    /// Any other type, RDATA skipped.
    Other(u16),
}

impl fmt::Display for RecordData {
    /// The data in presentation form (`Other` is empty).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordData::A(ip) => write!(f, "{ip}"),
            RecordData::Aaaa(ip) => write!(f, "{ip}"),
            RecordData::Cname(name) => f.write_str(name),
            RecordData::Https {
                priority,
                target,
                alpn,
                ipv4_hints,
                ipv6_hints,
            } => {
                write!(f, "{priority} {target}")?;
                if !alpn.is_empty() {
                    write!(f, " alpn={}", alpn.join(","))?;
                }
                write_list(f, " ipv4hint=", ipv4_hints)?;
                write_list(f, " ipv6hint=", ipv6_hints)
            }
            RecordData::Other(_) => Ok(()),
        }
    }
}

/// Writes `prefix` and the items separated by commas, unless there are none.
fn write_list<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    prefix: &str,
    items: &[T],
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        f.write_str(if i == 0 { prefix } else { "," })?;
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Decodes one DNS message (a UDP payload, or a TCP message without its length prefix).
pub fn parse(msg: &[u8]) -> Result<Message, DnsError> {
    let mut r = Reader::new(msg);
    let id = r.u16("header ID")?;
    let flags = r.u16("header flags")?;
    let qdcount = r.u16("header QDCOUNT")?;
    let ancount = r.u16("header ANCOUNT")?;
    let nscount = r.u16("header NSCOUNT")?;
    let arcount = r.u16("header ARCOUNT")?;

    let mut questions = Vec::new();
    for index in 0..usize::from(qdcount) {
        let question = read_question(&mut r).map_err(|e| in_section("question", index, e))?;
        questions.push(question);
    }
    let mut answers = Vec::new();
    for index in 0..usize::from(ancount) {
        let record = read_record(&mut r, true).map_err(|e| in_section("answer", index, e))?;
        answers.push(record);
    }
    for index in 0..usize::from(nscount) {
        read_record(&mut r, false).map_err(|e| in_section("authority", index, e))?;
    }
    let mut rcode = flags & 0x000F;
    for index in 0..usize::from(arcount) {
        let record = read_record(&mut r, false).map_err(|e| in_section("additional", index, e))?;
        if record.rtype == TYPE_OPT {
            rcode |= u16::try_from(record.ttl >> 24).unwrap_or(0) << 4;
        }
    }
    Ok(Message {
        id,
        response: flags & 0x8000 != 0,
        opcode: u8::try_from((flags >> 11) & 0x0F).unwrap_or(0),
        rcode,
        truncated: flags & 0x0200 != 0,
        questions,
        answers,
    })
}

fn in_section(section: &'static str, index: usize, error: DnsError) -> DnsError {
    DnsError::InSection {
        section,
        index,
        error: Box::new(error),
    }
}

/// RFC 1035 §4.1.2: `QNAME`, `QTYPE`, `QCLASS`.
fn read_question(r: &mut Reader<'_>) -> Result<Question, DnsError> {
    let name = r.name("QNAME")?;
    let qtype = r.u16("QTYPE")?;
    r.u16("QCLASS")?;
    Ok(Question { name, qtype })
}

/// RFC 1035 §4.1.3; the RDATA is decoded when `decode` is set, else only skipped.
fn read_record(r: &mut Reader<'_>, decode: bool) -> Result<Record, DnsError> {
    let name = r.name("record NAME")?;
    let rtype = r.u16("record TYPE")?;
    r.u16("record CLASS")?;
    let ttl = r.u32("record TTL")?;
    let rdlength = r.u16("record RDLENGTH")?;
    let mut rdata = r.sub(usize::from(rdlength), "record RDATA")?;
    let data = if decode {
        decode_rdata(rtype, &mut rdata)?
    } else {
        RecordData::Other(rtype)
    };
    Ok(Record {
        name,
        rtype,
        ttl,
        data,
    })
}

fn decode_rdata(rtype: u16, rdata: &mut Reader<'_>) -> Result<RecordData, DnsError> {
    let (data, what) = match rtype {
        TYPE_A => {
            fixed_length("A RDATA", rdata, 4)?;
            (
                RecordData::A(Ipv4Addr::from(rdata.array::<4>("A RDATA")?)),
                "A RDATA",
            )
        }
        TYPE_AAAA => {
            fixed_length("AAAA RDATA", rdata, 16)?;
            let ip = Ipv6Addr::from(rdata.array::<16>("AAAA RDATA")?);
            (RecordData::Aaaa(ip), "AAAA RDATA")
        }
        TYPE_CNAME => (RecordData::Cname(rdata.name("CNAME RDATA")?), "CNAME RDATA"),
        TYPE_SVCB | TYPE_HTTPS => (svcb::decode(rdata)?, "SVCB RDATA"),
        other => return Ok(RecordData::Other(other)),
    };
    rdata.expect_end(what)?;
    Ok(data)
}

fn fixed_length(what: &'static str, rdata: &Reader<'_>, len: usize) -> Result<(), DnsError> {
    if rdata.remaining() != len {
        return Err(DnsError::invalid(
            what,
            format!("RDLENGTH {} is not {len}", rdata.remaining()),
        ));
    }
    Ok(())
}

/// The mnemonic of a record type (`A`, `AAAA`, `CNAME`, `HTTPS`, ...), or `TYPE123`
/// (RFC 3597 §5) for the others.
pub fn type_name(t: u16) -> String {
    let name = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        50 => "NSEC3",
        52 => "TLSA",
        64 => "SVCB",
        65 => "HTTPS",
        255 => "ANY",
        257 => "CAA",
        _ => return format!("TYPE{t}"),
    };
    name.to_owned()
}

/// The mnemonic of a response code (RFC 1035 §4.1.1, RFC 6895 §2.3), or `RCODE123`.
pub fn rcode_name(r: u16) -> String {
    let name = match r {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        _ => return format!("RCODE{r}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::*;

    #[test]
    fn query_with_edns() {
        let m = parse(&A_EXAMPLE_QUERY).unwrap();
        assert_eq!(m.id, 0xdb40);
        assert!(!m.response);
        assert_eq!(m.opcode, 0);
        assert_eq!(m.rcode, 0);
        assert!(!m.truncated);
        assert_eq!(
            m.questions,
            vec![Question {
                name: "www.example.test".to_owned(),
                qtype: 1
            }]
        );
        assert!(m.answers.is_empty());
    }

    #[test]
    fn a_answer() {
        let m = parse(&A_EXAMPLE_RESPONSE).unwrap();
        assert!(m.response);
        assert_eq!(m.id, 0xdb40);
        assert_eq!(
            m.answers,
            vec![Record {
                name: "www.example.test".to_owned(),
                rtype: 1,
                ttl: 300,
                data: RecordData::A(Ipv4Addr::new(127, 0, 0, 1)),
            }]
        );
        assert_eq!(m.answers[0].summary(), "A 127.0.0.1");
    }

    #[test]
    fn cname_then_a_with_pointer_into_rdata() {
        let m = parse(&A_CNAME_RESPONSE).unwrap();
        let summaries: Vec<String> = m.answers.iter().map(Record::summary).collect();
        assert_eq!(summaries, ["CNAME web.local.test", "A 127.0.0.2"]);
        assert_eq!(m.answers[1].name, "web.local.test");
        let m = parse(&AAAA_CNAME_RESPONSE).unwrap();
        let summaries: Vec<String> = m.answers.iter().map(Record::summary).collect();
        assert_eq!(summaries, ["CNAME web.local.test", "AAAA ::2"]);
        assert_eq!(m.questions[0].qtype, 28);
    }

    #[test]
    fn https_service_and_alias() {
        let m = parse(&HTTPS_SVC_RESPONSE).unwrap();
        assert_eq!(
            m.answers[0].summary(),
            "HTTPS 1 . alpn=h2,h3 ipv4hint=127.0.0.1 ipv6hint=::1"
        );
        let m = parse(&HTTPS_ALIAS_RESPONSE).unwrap();
        assert_eq!(m.answers[0].summary(), "HTTPS 0 web.local.test");
        // The same RDATA under type 64 is SVCB.
        let mut svcb = HTTPS_ALIAS_RESPONSE;
        svcb[37] = 64; // the answer's TYPE low byte
        let m = parse(&svcb).unwrap();
        assert_eq!(m.answers[0].summary(), "SVCB 0 web.local.test");
    }

    #[test]
    fn rcodes() {
        assert_eq!(parse(&NXDOMAIN_RESPONSE).unwrap().rcode, 3);
        assert_eq!(parse(&REFUSED_RESPONSE).unwrap().rcode, 5);
        // BADVERS: extended RCODE 1 in the OPT TTL's top octet, header RCODE 0.
        let mut badvers = A_EXAMPLE_RESPONSE;
        let opt_ttl = badvers.len() - 6;
        badvers[opt_ttl] = 1;
        assert_eq!(parse(&badvers).unwrap().rcode, 16);
        assert_eq!(rcode_name(16), "BADVERS");
        assert_eq!(rcode_name(3), "NXDOMAIN");
        assert_eq!(rcode_name(4000), "RCODE4000");
        assert_eq!(type_name(65), "HTTPS");
        assert_eq!(type_name(64), "SVCB");
        assert_eq!(type_name(123), "TYPE123");
    }

    #[test]
    fn truncated_flag() {
        let mut tc = A_CNAME_RESPONSE;
        tc[2] |= 0x02;
        assert!(parse(&tc).unwrap().truncated);
    }

    #[test]
    fn every_truncation_of_every_sample_is_an_error() {
        for sample in [
            &A_EXAMPLE_QUERY[..],
            &A_EXAMPLE_RESPONSE,
            &A_CNAME_RESPONSE,
            &AAAA_CNAME_RESPONSE,
            &HTTPS_SVC_RESPONSE,
            &HTTPS_ALIAS_RESPONSE,
            &NXDOMAIN_RESPONSE,
            &REFUSED_RESPONSE,
        ] {
            assert!(parse(sample).is_ok());
            for len in 0..sample.len() {
                assert!(parse(&sample[..len]).is_err(), "cut at {len}");
            }
        }
    }

    #[test]
    fn trailing_bytes_are_ignored() {
        let mut long = A_CNAME_RESPONSE.to_vec();
        long.extend_from_slice(&[0xde, 0xad]);
        assert_eq!(parse(&long), parse(&A_CNAME_RESPONSE));
    }

    #[test]
    fn impossible_inputs() {
        // A header promising 65535 questions with none present.
        static MANY_QUESTIONS: [u8; 12] = [0, 1, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            parse(&MANY_QUESTIONS).unwrap_err().to_string(),
            "question 0: QNAME: truncated, needs 1 bytes but 0 remain"
        );
        // An A record with a 5-octet RDATA.
        let mut a5 = A_EXAMPLE_RESPONSE.to_vec();
        a5[45] = 5; // RDLENGTH low byte of the answer
        a5.insert(50, 0);
        assert_eq!(
            parse(&a5).unwrap_err().to_string(),
            "answer 0: A RDATA: RDLENGTH 5 is not 4"
        );
        // A CNAME whose RDLENGTH leaves bytes after the name.
        let mut cname = A_CNAME_RESPONSE.to_vec();
        cname[43] += 1; // RDLENGTH low byte of the CNAME
        cname.insert(44 + 16, 0);
        assert_eq!(
            parse(&cname).unwrap_err().to_string(),
            "answer 0: CNAME RDATA: 1 unexpected bytes after it"
        );
        // The question name replaced by a pointer to itself.
        let mut looping = A_CNAME_QUERY;
        looping[12] = 0xC0;
        looping[13] = 12;
        assert!(matches!(
            parse(&looping),
            Err(DnsError::InSection {
                section: "question",
                index: 0,
                ..
            })
        ));
        // An answer whose owner points forward, at itself.
        let mut forward = A_EXAMPLE_RESPONSE;
        forward[35] = 34;
        assert_eq!(
            parse(&forward).unwrap_err().to_string(),
            "answer 0: record NAME: compression pointer at offset 34 to 34 \
             does not point strictly backwards"
        );
    }
}
