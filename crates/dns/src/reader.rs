//! The bounds-checked cursor every DNS decoder in this crate reads through, domain-name
//! decompression, and the crate's decode error.
//!
//! Owns: [`Reader`], a cursor over a whole message whose reads never pass its end, and whose
//! sub-readers ([`Reader::sub`]) are cut to one RDATA (`RDLENGTH` octets) while still seeing
//! the whole message, because a compressed name inside RDATA may point anywhere before it.
//!
//! RFC 1035 §4.1.4 (Message compression):
//!
//! > In order to reduce the size of messages, the domain system utilizes a compression
//! > scheme which eliminates the repetition of domain names in a message. In this scheme, an
//! > entire domain name or a list of labels at the end of a domain name is replaced with a
//! > pointer to a prior occurance of the same name. [...] The first two bits are ones. This
//! > allows a pointer to be distinguished from a label, since the label must begin with two
//! > zero bits [...] (The 10 and 01 combinations are reserved for future use.)
//!
//! RFC 1035 §3.1 / §2.3.4: "the total number of octets that represent a domain name (i.e.,
//! the sum of all label octets and label lengths) is limited to 255", labels to 63 octets.
//!
//! Invariants enforced by [`Reader::name`], so that decompression always terminates:
//! - a pointer must point strictly before the start of the labels it continues (the name's
//!   first octet, then each previous pointer's target): positions strictly decrease, so a
//!   pointer can never reach itself or a later pointer;
//! - a name has at most 128 labels and 255 octets in wire form (pointers not counted);
//! - label types `01` and `10` (RFC 6891 §5 deprecated extended labels) are errors.

use std::fmt;

/// The most labels a decoded name may have.
const MAX_LABELS: usize = 128;
/// The most octets a name may have in uncompressed wire form (RFC 1035 §3.1).
const MAX_NAME_OCTETS: usize = 255;

/// Why bytes could not be decoded as the DNS structure they were meant to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsError {
    /// A field needs more bytes than remain in its enclosing structure.
    Truncated {
        /// The structure or field being read.
        what: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that remain.
        remaining: usize,
    },
    /// A structure was fully decoded but bytes follow it inside its bounds.
    TrailingBytes {
        /// The structure.
        what: &'static str,
        /// Bytes left over.
        count: usize,
    },
    /// A compression pointer that does not point strictly backwards.
    BadPointer {
        /// The name being read.
        what: &'static str,
        /// Offset of the pointer in the message.
        at: usize,
        /// Where it points.
        target: usize,
    },
    /// A name longer than 255 octets or 128 labels.
    NameTooLong {
        /// The name being read.
        what: &'static str,
    },
    /// A label length octet starting with the reserved bits `01` or `10`.
    BadLabelType {
        /// The name being read.
        what: &'static str,
        /// The offending octet.
        octet: u8,
    },
    /// A value that the format does not allow.
    Invalid {
        /// The structure or field.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// An error inside one question or resource record of a section.
    InSection {
        /// `question`, `answer`, `authority` or `additional`.
        section: &'static str,
        /// The entry's index in its section, from 0.
        index: usize,
        /// What failed.
        error: Box<DnsError>,
    },
}

impl DnsError {
    /// An [`DnsError::Invalid`] for `what`.
    pub(crate) fn invalid(what: &'static str, detail: impl Into<String>) -> Self {
        DnsError::Invalid {
            what,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsError::Truncated {
                what,
                needed,
                remaining,
            } => write!(
                f,
                "{what}: truncated, needs {needed} bytes but {remaining} remain"
            ),
            DnsError::TrailingBytes { what, count } => {
                write!(f, "{what}: {count} unexpected bytes after it")
            }
            DnsError::BadPointer { what, at, target } => write!(
                f,
                "{what}: compression pointer at offset {at} to {target} does not point strictly backwards"
            ),
            DnsError::NameTooLong { what } => write!(
                f,
                "{what}: name longer than {MAX_NAME_OCTETS} octets or {MAX_LABELS} labels"
            ),
            DnsError::BadLabelType { what, octet } => {
                write!(f, "{what}: reserved label type in octet {octet:#04x}")
            }
            DnsError::Invalid { what, detail } => write!(f, "{what}: {detail}"),
            DnsError::InSection {
                section,
                index,
                error,
            } => write!(f, "{section} {index}: {error}"),
        }
    }
}

impl std::error::Error for DnsError {}

/// A bounds-checked cursor over `msg[pos..end]`; names may point anywhere in `msg`.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    /// A reader over a whole message.
    pub(crate) fn new(msg: &'a [u8]) -> Self {
        Reader {
            msg,
            pos: 0,
            end: msg.len(),
        }
    }

    /// Bytes left before this reader's end.
    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    /// Whether nothing is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.end
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DnsError> {
        let truncated = DnsError::Truncated {
            what,
            needed: n,
            remaining: self.remaining(),
        };
        if n > self.remaining() {
            return Err(truncated);
        }
        let bytes = self.msg.get(self.pos..self.pos + n).ok_or(truncated)?;
        self.pos += n;
        Ok(bytes)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DnsError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DnsError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DnsError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, DnsError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// A reader over the next `len` bytes (which this reader skips), still able to follow
    /// compression pointers into the rest of the message.
    pub(crate) fn sub(&mut self, len: usize, what: &'static str) -> Result<Reader<'a>, DnsError> {
        let start = self.pos;
        self.take(len, what)?;
        Ok(Reader {
            msg: self.msg,
            pos: start,
            end: start + len,
        })
    }

    /// Fails unless everything was read.
    pub(crate) fn expect_end(&self, what: &'static str) -> Result<(), DnsError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DnsError::TrailingBytes { what, count }),
        }
    }

    /// A domain name (RFC 1035 §3.1, §4.1.4), as presentation text: ASCII lowercased, no
    /// trailing dot (the root is `""`), `.` and `\` inside a label escaped with `\`, other
    /// octets outside printable ASCII as `\DDD` (RFC 1035 §5.1).
    pub(crate) fn name(&mut self, what: &'static str) -> Result<String, DnsError> {
        let mut text = String::new();
        let mut labels = 0;
        let mut octets = 1; // the root label's length octet
                            // Where the labels being read started; a pointer must go strictly before it.
        let mut limit = self.pos;
        // Reading in this reader's own bytes (bounded by `end`) until the first pointer,
        // then anywhere in the message before `limit`.
        let mut cursor = self.clone();
        let mut jumped = false;
        loop {
            let len = cursor.u8(what)?;
            match len & 0xC0 {
                0x00 if len == 0 => break,
                0x00 => {
                    labels += 1;
                    octets += usize::from(len) + 1;
                    if labels > MAX_LABELS || octets > MAX_NAME_OCTETS {
                        return Err(DnsError::NameTooLong { what });
                    }
                    if labels > 1 {
                        text.push('.');
                    }
                    push_label(&mut text, cursor.take(usize::from(len), what)?);
                }
                0xC0 => {
                    let at = cursor.pos - 1;
                    let low = cursor.u8(what)?;
                    let target = usize::from(u16::from_be_bytes([len & 0x3F, low]));
                    if target >= limit {
                        return Err(DnsError::BadPointer { what, at, target });
                    }
                    if !jumped {
                        self.pos = cursor.pos;
                        jumped = true;
                    }
                    limit = target;
                    cursor = Reader {
                        msg: self.msg,
                        pos: target,
                        end: self.msg.len(),
                    };
                }
                _ => return Err(DnsError::BadLabelType { what, octet: len }),
            }
        }
        if !jumped {
            self.pos = cursor.pos;
        }
        Ok(text)
    }
}

/// Appends one label's octets as presentation text.
fn push_label(text: &mut String, label: &[u8]) {
    for &b in label {
        match b {
            b'.' | b'\\' => {
                text.push('\\');
                text.push(char::from(b));
            }
            b'!'..=b'~' => text.push(char::from(b.to_ascii_lowercase())),
            _ => text.push_str(&format!("\\{b:03}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_at(msg: &[u8], pos: usize) -> Result<(String, usize), DnsError> {
        let mut r = Reader::new(msg);
        r.take(pos, "skip")?;
        let name = r.name("test.name")?;
        Ok((name, r.pos))
    }

    /// `www.Example.test` at 0, then `mail` + pointer to `example.test` at 18.
    static COMPRESSED: [u8; 25] = [
        3, b'w', b'w', b'w', 7, b'E', b'x', b'a', b'm', b'p', b'l', b'e', 4, b't', b'e', b's',
        b't', 0, 4, b'm', b'a', b'i', b'l', 0xC0, 4,
    ];

    #[test]
    fn plain_and_compressed_names() {
        assert_eq!(
            name_at(&COMPRESSED, 0),
            Ok(("www.example.test".to_owned(), 18))
        );
        assert_eq!(
            name_at(&COMPRESSED, 18),
            Ok(("mail.example.test".to_owned(), 25))
        );
        assert_eq!(name_at(&[0], 0), Ok((String::new(), 1)));
    }

    #[test]
    fn escapes_dots_backslashes_and_binary() {
        static ODD: [u8; 7] = [5, b'a', b'.', b'\\', b' ', 0xFF, 0];
        assert_eq!(name_at(&ODD, 0).unwrap().0, "a\\.\\\\\\032\\255");
    }

    #[test]
    fn pointer_to_itself_is_rejected() {
        static SELF_LOOP: [u8; 2] = [0xC0, 0];
        assert_eq!(
            name_at(&SELF_LOOP, 0),
            Err(DnsError::BadPointer {
                what: "test.name",
                at: 0,
                target: 0
            })
        );
    }

    #[test]
    fn backward_pointer_into_own_labels_is_rejected() {
        // `a` at 0, pointer back to 0 at 2: strictly backwards from the pointer, but into
        // the name it continues — an endless `a.a.a...` without the limit rule.
        static LABEL_LOOP: [u8; 4] = [1, b'a', 0xC0, 0];
        assert!(matches!(
            name_at(&LABEL_LOOP, 0),
            Err(DnsError::BadPointer {
                at: 2,
                target: 0,
                ..
            })
        ));
        // Two names pointing at each other.
        static PING_PONG: [u8; 4] = [0xC0, 2, 0xC0, 0];
        assert!(matches!(
            name_at(&PING_PONG, 2),
            Err(DnsError::BadPointer {
                at: 0,
                target: 2,
                ..
            })
        ));
    }

    #[test]
    fn forward_pointer_is_rejected() {
        static FORWARD: [u8; 5] = [0xC0, 2, 1, b'a', 0];
        assert!(matches!(
            name_at(&FORWARD, 0),
            Err(DnsError::BadPointer { target: 2, .. })
        ));
    }

    #[test]
    fn too_long_names_are_rejected() {
        // 128 labels of one octet: 257 octets in wire form.
        let mut long: Vec<u8> = [1, b'x'].repeat(128);
        long.push(0);
        assert_eq!(
            name_at(&long, 0),
            Err(DnsError::NameTooLong { what: "test.name" })
        );
        // 127 labels of one octet: 255 octets, the longest legal name.
        let mut max: Vec<u8> = [1, b'x'].repeat(127);
        max.push(0);
        assert_eq!(name_at(&max, 0).unwrap().0.len(), 127 * 2 - 1);
    }

    #[test]
    fn truncated_and_reserved_labels() {
        assert!(matches!(
            name_at(&[3, b'w', b'w'], 0),
            Err(DnsError::Truncated {
                needed: 3,
                remaining: 2,
                ..
            })
        ));
        assert!(matches!(
            name_at(&[1, b'a'], 0),
            Err(DnsError::Truncated {
                needed: 1,
                remaining: 0,
                ..
            })
        ));
        assert!(matches!(
            name_at(&[0xC0], 0),
            Err(DnsError::Truncated { .. })
        ));
        assert_eq!(
            name_at(&[0x41, 0], 0),
            Err(DnsError::BadLabelType {
                what: "test.name",
                octet: 0x41
            })
        );
    }

    #[test]
    fn sub_reader_is_bounded_but_follows_pointers() {
        let mut r = Reader::new(&COMPRESSED);
        r.take(18, "skip").unwrap();
        let mut sub = r.sub(5, "rdata").unwrap();
        assert_eq!(sub.u32("four").unwrap(), 0x046d6169);
        assert!(matches!(
            sub.u16("two"),
            Err(DnsError::Truncated {
                needed: 2,
                remaining: 1,
                ..
            })
        ));
        let mut sub = Reader::new(&COMPRESSED);
        sub.take(18, "skip").unwrap();
        let mut rdata = sub.sub(7, "rdata").unwrap();
        assert_eq!(rdata.name("rdata.name").unwrap(), "mail.example.test");
        assert_eq!(rdata.expect_end("rdata"), Ok(()));
    }

    #[test]
    fn errors_name_what_failed() {
        let e = DnsError::InSection {
            section: "answer",
            index: 1,
            error: Box::new(DnsError::Truncated {
                what: "A rdata",
                needed: 4,
                remaining: 3,
            }),
        };
        assert_eq!(
            e.to_string(),
            "answer 1: A rdata: truncated, needs 4 bytes but 3 remain"
        );
    }
}
