//! Message bodies once the framing is known (RFC 9112 §6.3): a fixed length, the chunked
//! transfer coding, or everything until the connection closes.
//!
//! This module owns the body byte counters and the chunked framing state machine. Invariants:
//! body bytes are counted, never copied (they are only lent to the content decoder when the
//! message is content-coded); chunk framing is parsed byte by byte with no buffer except for
//! trailer fields, which are bounded by `max_header_bytes`.
//!
//! RFC 9112 §7.1: `chunked-body = *chunk last-chunk trailer-section CRLF`,
//! `chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF`, `chunk-size = 1*HEXDIG`.
//! Chunk extensions are skipped (bounded to [`MAX_CHUNK_EXT`] bytes); trailer fields are kept.

use crate::decode::{ContentDecoder, DecodeError};
use crate::head::{find_byte, parse_trailers, HeadScan};
use model::{BodySize, Header};

/// The longest chunk extension accepted before the framing is declared malformed.
const MAX_CHUNK_EXT: u32 = 4096;

/// How a body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Content-Length` bytes.
    Length(u64),
    /// The chunked transfer coding.
    Chunked,
    /// Until the connection closes (responses only).
    Close,
}

#[derive(Debug)]
enum Chunk {
    /// Reading hex digits of a chunk size.
    Size {
        value: u64,
        digits: u32,
    },
    /// Skipping a chunk extension up to LF.
    Ext {
        size: u64,
        len: u32,
    },
    /// Saw CR after the size: LF must follow.
    SizeLf {
        size: u64,
    },
    /// Inside chunk data.
    Data {
        left: u64,
    },
    /// After chunk data: CRLF must follow.
    DataCr,
    DataLf,
    /// After the last chunk: trailer fields up to an empty line.
    Trailer {
        scan: HeadScan,
        buf: Vec<u8>,
    },
}

#[derive(Debug)]
enum Kind {
    Length { left: u64, total: u64 },
    Chunked(Chunk),
    Close,
}

/// The outcome of a gap inside a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GapEffect {
    /// The gap lies inside bytes whose count was known: the counters moved on.
    Absorbed,
    /// The body ended inside the gap (or at its end); this many bytes of the gap belong to
    /// what follows.
    Overran(u64),
    /// The gap hid framing (chunk sizes): the body cannot be followed further.
    Lost,
}

/// Progress through one body.
pub(crate) struct Body {
    kind: Kind,
    wire: u64,
    encoded: u64,
    decoder: Option<ContentDecoder>,
    decode_error: Option<DecodeError>,
    /// Set after a gap: the decoded size is unknown (and that is not a decoding error).
    gapped: bool,
    trailers: Vec<Header>,
    max_trailer_bytes: usize,
}

/// What [`Body::feed`] did.
pub(crate) struct Fed {
    /// Bytes of the input that belong to this body.
    pub used: usize,
    /// Whether the body is complete.
    pub done: bool,
}

/// A finished body's sizes and trailers, and the decoding failure if any.
pub(crate) struct Finished {
    pub size: BodySize,
    pub trailers: Vec<Header>,
    pub decode_error: Option<DecodeError>,
}

impl Body {
    pub(crate) fn new(
        framing: Framing,
        decoder: Option<ContentDecoder>,
        max_trailer_bytes: usize,
    ) -> Body {
        let kind = match framing {
            Framing::Length(total) => Kind::Length { left: total, total },
            Framing::Chunked => Kind::Chunked(Chunk::Size {
                value: 0,
                digits: 0,
            }),
            Framing::Close => Kind::Close,
        };
        Body {
            kind,
            wire: 0,
            encoded: 0,
            decoder,
            decode_error: None,
            gapped: false,
            trailers: Vec::new(),
            max_trailer_bytes,
        }
    }

    /// Whether the body is delimited by the connection closing.
    pub(crate) fn is_close_delimited(&self) -> bool {
        matches!(self.kind, Kind::Close)
    }

    /// For a truncated body: "got N of M bytes" (or "got N bytes" when M is unknown).
    pub(crate) fn progress(&self) -> String {
        match self.kind {
            Kind::Length { left, total } => format!("got {} of {total} bytes", total - left),
            _ => format!("got {} bytes", self.wire),
        }
    }

    fn payload(&mut self, data: &[u8]) {
        self.encoded = self.encoded.saturating_add(data.len() as u64);
        if let Some(decoder) = self.decoder.as_mut() {
            if let Err(e) = decoder.push(data) {
                self.decoder = None;
                self.decode_error = Some(e);
            }
        }
    }

    /// Consumes body bytes from `data`. A framing error names the offending byte's position.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<Fed, (usize, &'static str)> {
        let (used, done) = match &mut self.kind {
            Kind::Length { left, .. } => {
                let n = usize::try_from(*left).unwrap_or(usize::MAX).min(data.len());
                *left -= n as u64;
                let done = *left == 0;
                self.payload(data.get(..n).unwrap_or_default());
                (n, done)
            }
            Kind::Close => {
                self.payload(data);
                (data.len(), false)
            }
            Kind::Chunked(_) => self.feed_chunked(data)?,
        };
        self.wire = self.wire.saturating_add(used as u64);
        Ok(Fed { used, done })
    }

    fn feed_chunked(&mut self, data: &[u8]) -> Result<(usize, bool), (usize, &'static str)> {
        let mut pos = 0usize;
        let result = self.feed_chunked_from(data, &mut pos);
        if result.is_err() {
            self.wire = self.wire.saturating_add(pos as u64);
        }
        result.map_err(|e| (pos, e))
    }

    fn feed_chunked_from(
        &mut self,
        data: &[u8],
        pos: &mut usize,
    ) -> Result<(usize, bool), &'static str> {
        while *pos < data.len() {
            let Kind::Chunked(chunk) = &mut self.kind else {
                break;
            };
            let rest = data.get(*pos..).unwrap_or_default();
            match chunk {
                Chunk::Data { left } => {
                    let n = usize::try_from(*left).unwrap_or(usize::MAX).min(rest.len());
                    *left -= n as u64;
                    if *left == 0 {
                        *chunk = Chunk::DataCr;
                    }
                    *pos += n;
                    self.payload(rest.get(..n).unwrap_or_default());
                }
                Chunk::Ext { size, len } => match find_byte(b'\n', rest) {
                    Some(lf) => {
                        *pos += lf + 1;
                        let size = *size;
                        self.end_size_line(size);
                    }
                    None => {
                        *len = len.saturating_add(u32::try_from(rest.len()).unwrap_or(u32::MAX));
                        if *len > MAX_CHUNK_EXT {
                            return Err("chunk extension too long");
                        }
                        *pos = data.len();
                    }
                },
                Chunk::Trailer { scan, buf } => match scan.scan(rest) {
                    Some(end) => {
                        if buf.len().saturating_add(end) > self.max_trailer_bytes {
                            return Err("trailer section too large");
                        }
                        *pos += end;
                        let section = rest.get(..end).unwrap_or_default();
                        let trailers = if buf.is_empty() {
                            parse_trailers(section)
                        } else {
                            buf.extend_from_slice(section);
                            parse_trailers(buf)
                        };
                        self.trailers = trailers.map_err(|_| "malformed trailer section")?;
                        return Ok((*pos, true));
                    }
                    None => {
                        if buf.len().saturating_add(rest.len()) > self.max_trailer_bytes {
                            return Err("trailer section too large");
                        }
                        buf.extend_from_slice(rest);
                        *pos = data.len();
                    }
                },
                _ => {
                    let Some(&b) = rest.first() else { break };
                    self.chunk_byte(b)?;
                    *pos += 1;
                }
            }
        }
        Ok((*pos, false))
    }

    /// One byte of a chunk-size line or of the CRLF after chunk data.
    fn chunk_byte(&mut self, b: u8) -> Result<(), &'static str> {
        let Kind::Chunked(chunk) = &mut self.kind else {
            return Ok(());
        };
        match chunk {
            Chunk::Size { value, digits } => {
                if let Some(d) = char::from(b).to_digit(16) {
                    *value = value
                        .checked_mul(16)
                        .and_then(|v| v.checked_add(u64::from(d)))
                        .ok_or("chunk size overflows")?;
                    *digits += 1;
                    return Ok(());
                }
                if *digits == 0 {
                    return Err("invalid chunk size");
                }
                let size = *value;
                match b {
                    b';' | b' ' | b'\t' => *chunk = Chunk::Ext { size, len: 0 },
                    b'\r' => *chunk = Chunk::SizeLf { size },
                    b'\n' => self.end_size_line(size),
                    _ => return Err("invalid chunk size"),
                }
            }
            Chunk::SizeLf { size } if b == b'\n' => {
                let size = *size;
                self.end_size_line(size);
            }
            Chunk::DataCr if b == b'\r' => *chunk = Chunk::DataLf,
            Chunk::DataCr | Chunk::DataLf if b == b'\n' => {
                *chunk = Chunk::Size {
                    value: 0,
                    digits: 0,
                }
            }
            _ => return Err("missing CRLF in chunk framing"),
        }
        Ok(())
    }

    fn end_size_line(&mut self, size: u64) {
        self.kind = Kind::Chunked(if size == 0 {
            Chunk::Trailer {
                scan: HeadScan::default(),
                buf: Vec::new(),
            }
        } else {
            Chunk::Data { left: size }
        });
    }

    /// `len` bytes of the body are missing. Returns what that did to the framing and, when the
    /// counters moved on, the body offset (wire bytes before the gap).
    pub(crate) fn gap(&mut self, len: u64) -> (GapEffect, u64) {
        let offset = self.wire;
        let effect = match &mut self.kind {
            Kind::Length { left, .. } => {
                let n = len.min(*left);
                *left -= n;
                let done = *left == 0;
                self.account_gap(n);
                if done {
                    GapEffect::Overran(len - n)
                } else {
                    GapEffect::Absorbed
                }
            }
            Kind::Close => {
                self.account_gap(len);
                GapEffect::Absorbed
            }
            Kind::Chunked(Chunk::Data { left }) if len <= *left => {
                *left -= len;
                if *left == 0 {
                    self.kind = Kind::Chunked(Chunk::DataCr);
                }
                self.account_gap(len);
                GapEffect::Absorbed
            }
            Kind::Chunked(_) => GapEffect::Lost,
        };
        (effect, offset)
    }

    fn account_gap(&mut self, n: u64) {
        self.wire = self.wire.saturating_add(n);
        self.encoded = self.encoded.saturating_add(n);
        self.gapped = true;
        self.decoder = None;
    }

    /// The sizes so far, ending decoding: call when the body is complete or abandoned
    /// (`complete` false: the decoded size is then unknown and not reported as a failure).
    pub(crate) fn finish(self, complete: bool) -> Finished {
        let mut decode_error = self.decode_error;
        let decoded = match self.decoder {
            Some(d) if complete && !self.gapped && self.encoded > 0 => match d.finish() {
                Ok(n) => Some(n),
                Err(e) => {
                    decode_error = Some(e);
                    None
                }
            },
            _ => None,
        };
        Finished {
            size: BodySize {
                wire: self.wire,
                encoded: self.encoded,
                decoded,
            },
            trailers: self.trailers,
            decode_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static CHUNKED: &[u8] = b"4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT";
    static CHUNKED_LF_ONLY: &[u8] = b"3\nabc\n0\n\nNEXT";

    fn feed_all(body: &mut Body, data: &[u8], piece: usize) -> Result<usize, &'static str> {
        let mut pos = 0;
        for chunk in data.chunks(piece) {
            let mut off = 0;
            while off < chunk.len() {
                let fed = body.feed(&chunk[off..]).map_err(|e| e.1)?;
                off += fed.used;
                pos += fed.used;
                if fed.done {
                    return Ok(pos);
                }
                if fed.used == 0 {
                    break;
                }
            }
        }
        Err("not done")
    }

    #[test]
    fn chunked_with_extension_and_trailer_any_split() {
        for piece in [1, 2, 5, 200] {
            let mut b = Body::new(Framing::Chunked, None, 1024);
            let used = feed_all(&mut b, CHUNKED, piece).unwrap();
            assert_eq!(used, CHUNKED.len() - 4);
            let f = b.finish(true);
            assert_eq!(
                f.size,
                BodySize {
                    wire: used as u64,
                    encoded: 23,
                    decoded: None
                }
            );
            assert_eq!(f.trailers, vec![Header::new("Expires", "never")]);
        }
        let mut b = Body::new(Framing::Chunked, None, 1024);
        assert_eq!(
            feed_all(&mut b, CHUNKED_LF_ONLY, 3),
            Ok(CHUNKED_LF_ONLY.len() - 4)
        );
    }

    #[test]
    fn chunked_errors() {
        for bad in [
            &b"x\r\n"[..],
            b"4\r\nabcdX",
            b"fffffffffffffffff\r\n",
            b"\r\n",
        ] {
            let mut b = Body::new(Framing::Chunked, None, 1024);
            assert!(feed_all(&mut b, bad, 100).is_err(), "{bad:?}");
        }
        let mut long_ext = b"1;".to_vec();
        long_ext.resize(5000, b'a');
        let mut b = Body::new(Framing::Chunked, None, 1024);
        assert_eq!(
            feed_all(&mut b, &long_ext, 1000),
            Err("chunk extension too long")
        );
    }

    #[test]
    fn length_counts_without_copying() {
        let mut b = Body::new(Framing::Length(10), None, 0);
        let fed = b.feed(b"0123456789HTTP/1.1").unwrap();
        assert!(fed.done);
        assert_eq!(fed.used, 10);
        assert_eq!(
            b.finish(true).size,
            BodySize {
                wire: 10,
                encoded: 10,
                decoded: None
            }
        );
    }

    #[test]
    fn gaps() {
        let mut b = Body::new(Framing::Length(100), None, 0);
        b.feed(&[0; 10]).unwrap();
        assert_eq!(b.gap(30), (GapEffect::Absorbed, 10));
        assert_eq!(b.gap(70), (GapEffect::Overran(10), 40));
        let mut b = Body::new(Framing::Chunked, None, 0);
        b.feed(b"10\r\nabc").unwrap();
        assert_eq!(b.gap(5), (GapEffect::Absorbed, 7));
        assert_eq!(b.gap(9), (GapEffect::Lost, 12));
        let mut b = Body::new(Framing::Close, None, 0);
        assert_eq!(b.gap(5), (GapEffect::Absorbed, 0));
        assert_eq!(b.progress(), "got 5 bytes");
    }
}
