//! DNS over TCP: splitting a byte stream into messages.
//!
//! RFC 1035 §4.2.2 (TCP usage):
//!
//! > Messages sent over TCP connections use server port 53 (decimal). The message is
//! > prefixed with a two byte length field which gives the message length, excluding the two
//! > byte length field. This length field allows the low-level processing to assemble a
//! > complete message before beginning to parse it.
//!
//! [`tcp_messages`] splits a buffer without copying and leaves the partial tail in
//! [`TcpMessages::remainder`]; [`TcpFramer`] does the same across the pieces of a stream,
//! buffering at most one message (≤ 65,537 bytes). After a gap the framing is lost (a length
//! prefix cannot be recognised in the middle of a stream), so the rest of that direction is
//! skipped and counted.

/// Complete messages at the start of a DNS-over-TCP byte stream, without their length
/// prefixes.
pub fn tcp_messages(stream: &[u8]) -> TcpMessages<'_> {
    TcpMessages { rest: stream }
}

/// The iterator of [`tcp_messages`].
#[derive(Clone, Debug)]
pub struct TcpMessages<'a> {
    rest: &'a [u8],
}

impl<'a> TcpMessages<'a> {
    /// The bytes after the last complete message (an incomplete length prefix or message).
    pub fn remainder(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for TcpMessages<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (prefix, body) = self.rest.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*prefix));
        let message = body.get(..len)?;
        self.rest = body.get(len..).unwrap_or_default();
        Some(message)
    }
}

/// Splits one direction of a DNS-over-TCP stream, delivered in pieces, into messages.
#[derive(Clone, Debug, Default)]
pub struct TcpFramer {
    partial: Vec<u8>,
    lost: bool,
    skipped: u64,
}

impl TcpFramer {
    /// A framer at the start of a stream.
    pub fn new() -> TcpFramer {
        TcpFramer::default()
    }

    /// The next bytes of the stream: every message they complete is given to `out`
    /// (without its length prefix); an incomplete tail is kept for the next call.
    pub fn push(&mut self, mut data: &[u8], out: &mut impl FnMut(&[u8])) {
        if self.lost {
            self.skipped += data.len() as u64;
            return;
        }
        if !self.partial.is_empty() {
            // Complete the length prefix, then the message, from `data`.
            if self.partial.len() < 2 {
                let (head, tail) = data.split_at(data.len().min(2 - self.partial.len()));
                self.partial.extend_from_slice(head);
                data = tail;
            }
            let Some(prefix) = self.partial.first_chunk::<2>() else {
                return;
            };
            let wanted = 2 + usize::from(u16::from_be_bytes(*prefix));
            let (head, tail) = data.split_at(data.len().min(wanted - self.partial.len()));
            self.partial.extend_from_slice(head);
            data = tail;
            if self.partial.len() < wanted {
                return;
            }
            out(self.partial.get(2..).unwrap_or_default());
            self.partial.clear();
        }
        let mut messages = tcp_messages(data);
        for message in messages.by_ref() {
            out(message);
        }
        self.partial.extend_from_slice(messages.remainder());
    }

    /// `len` bytes of the stream are missing: the framing is lost, the buffered tail and the
    /// rest of the stream are skipped.
    pub fn gap(&mut self, len: u64) {
        self.lost = true;
        self.skipped += len + self.partial.len() as u64;
        self.partial.clear();
    }

    /// Bytes held of an incomplete message.
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }

    /// Bytes skipped because of gaps (missing bytes included).
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{A_CNAME_TCP_QUERY, A_CNAME_TCP_RESPONSE};

    fn frame_all(pieces: &[&[u8]]) -> (Vec<Vec<u8>>, usize) {
        let mut framer = TcpFramer::new();
        let mut messages = Vec::new();
        for piece in pieces {
            framer.push(piece, &mut |m| messages.push(m.to_vec()));
        }
        (messages, framer.buffered())
    }

    #[test]
    fn splits_real_tcp_messages() {
        let stream = [&A_CNAME_TCP_QUERY[..], &A_CNAME_TCP_RESPONSE[..]].concat();
        let mut it = tcp_messages(&stream);
        assert_eq!(it.next(), Some(&A_CNAME_TCP_QUERY[2..]));
        assert_eq!(it.next(), Some(&A_CNAME_TCP_RESPONSE[2..]));
        assert_eq!(it.next(), None);
        assert!(it.remainder().is_empty());
        let query = crate::parse(&A_CNAME_TCP_QUERY[2..]).unwrap();
        assert_eq!(query.questions[0].name, "www.local.test");
    }

    #[test]
    fn keeps_partial_tail() {
        let stream = [&A_CNAME_TCP_QUERY[..], &A_CNAME_TCP_RESPONSE[..10]].concat();
        let mut it = tcp_messages(&stream);
        assert_eq!(it.next(), Some(&A_CNAME_TCP_QUERY[2..]));
        assert_eq!(it.next(), None);
        assert_eq!(it.remainder(), &A_CNAME_TCP_RESPONSE[..10]);
        assert_eq!(tcp_messages(&[0]).remainder(), &[0]);
        // A zero length is an (empty, malformed) message, not a stall.
        let empty: &[u8] = &[];
        assert_eq!(tcp_messages(&[0, 0, 0]).collect::<Vec<_>>(), [empty]);
    }

    #[test]
    fn framer_reassembles_any_split() {
        let stream = [&A_CNAME_TCP_QUERY[..], &A_CNAME_TCP_RESPONSE[..]].concat();
        let want = vec![
            A_CNAME_TCP_QUERY[2..].to_vec(),
            A_CNAME_TCP_RESPONSE[2..].to_vec(),
        ];
        for cut in 0..=stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(frame_all(&[a, b]), (want.clone(), 0), "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(frame_all(&bytes), (want, 0));
        assert_eq!(
            frame_all(&[&stream[..stream.len() - 1]]).1,
            A_CNAME_TCP_RESPONSE.len() - 1
        );
    }

    #[test]
    fn gap_stops_framing() {
        let mut framer = TcpFramer::new();
        let mut count = 0;
        framer.push(&A_CNAME_TCP_QUERY[..5], &mut |_| count += 1);
        framer.gap(100);
        framer.push(&A_CNAME_TCP_RESPONSE, &mut |_| count += 1);
        assert_eq!(count, 0);
        assert_eq!(framer.buffered(), 0);
        assert_eq!(
            framer.skipped_bytes(),
            105 + A_CNAME_TCP_RESPONSE.len() as u64
        );
    }
}
