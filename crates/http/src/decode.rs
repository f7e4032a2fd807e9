//! Content decoding (RFC 9110 §8.4.1): gzip / x-gzip, deflate (zlib-wrapped or raw, both seen
//! in the wild), br and zstd, stacked in the order listed by `Content-Encoding`.
//!
//! This module owns only the *count* of decoded bytes: decoders are pushed body bytes as they
//! arrive and their output goes through fixed scratch buffers, never into a kept body.
//! Invariants: output is bounded by the configured limit (beyond it decoding stops with
//! [`DecodeError::Limit`]); every stage's memory is bounded (scratch buffers, the zstd window
//! capped by ruzstd at 100 MiB, the zstd input buffer at one block, the gzip header at
//! 64 KiB). Unknown codings give no decoder at all (decoded size unknown, not an error).

use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};
use flate2::{Crc, Decompress, FlushDecompress, Status};
use model::Header;
use ruzstd::frame_decoder::{BlockDecodingStrategy, FrameDecoder};
use std::io::Read;

const SCRATCH: usize = 32 * 1024;
const MAX_CODINGS: usize = 4;
const MAX_GZIP_HEADER: usize = 64 * 1024;
/// A zstd block is at most 128 KiB; its header and a checksum add 7 bytes.
const MAX_ZSTD_PENDING: usize = 128 * 1024 + 64;

/// Why decoding stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// More output than the configured limit.
    Limit,
    /// Corrupt or truncated data, with a description.
    Failed(String),
}

fn failed(what: impl Into<String>) -> DecodeError {
    DecodeError::Failed(what.into())
}

type Out<'a> = &'a mut dyn FnMut(&[u8]) -> Result<(), DecodeError>;

/// A streaming decoder for one message body that only counts its output.
pub(crate) struct ContentDecoder {
    /// Decoding stages, first applied first (the reverse of the header order).
    stages: Vec<Stage>,
    counter: Counter,
}

struct Counter {
    decoded: u64,
    intermediate: u64,
    limit: u64,
}

impl ContentDecoder {
    /// A decoder for the codings named in `headers`; `None` when there is no content coding
    /// (or only `identity`), or when a coding is unknown.
    pub(crate) fn for_headers(headers: &[Header], limit: u64) -> Option<ContentDecoder> {
        let mut codings: Vec<Coding> = Vec::new();
        for h in headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("content-encoding"))
        {
            for name in h.value.split(',').map(|c| c.trim_matches([' ', '\t'])) {
                if name.is_empty() || name.eq_ignore_ascii_case("identity") {
                    continue;
                }
                let coding =
                    if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                        Coding::Gzip
                    } else if name.eq_ignore_ascii_case("deflate") {
                        Coding::Deflate
                    } else if name.eq_ignore_ascii_case("br") {
                        Coding::Brotli
                    } else if name.eq_ignore_ascii_case("zstd") {
                        Coding::Zstd
                    } else {
                        return None;
                    };
                if codings.len() == MAX_CODINGS {
                    return None;
                }
                codings.push(coding);
            }
        }
        if codings.is_empty() {
            return None;
        }
        Some(ContentDecoder {
            stages: codings.iter().rev().map(|c| Stage::new(*c)).collect(),
            counter: Counter {
                decoded: 0,
                intermediate: 0,
                limit,
            },
        })
    }

    /// Decodes the next body bytes.
    pub(crate) fn push(&mut self, input: &[u8]) -> Result<(), DecodeError> {
        run(&mut self.stages, input, &mut self.counter)
    }

    /// The body ended: checks every stream ended properly and returns the decoded size.
    pub(crate) fn finish(mut self) -> Result<u64, DecodeError> {
        finish_chain(&mut self.stages, &mut self.counter)?;
        Ok(self.counter.decoded)
    }
}

fn run(stages: &mut [Stage], input: &[u8], counter: &mut Counter) -> Result<(), DecodeError> {
    match stages.split_first_mut() {
        None => {
            counter.decoded = counter.decoded.saturating_add(input.len() as u64);
            if counter.decoded > counter.limit {
                return Err(DecodeError::Limit);
            }
            Ok(())
        }
        Some((first, rest)) => first.push(input, &mut |out| pass_on(rest, out, counter)),
    }
}

fn pass_on(rest: &mut [Stage], out: &[u8], counter: &mut Counter) -> Result<(), DecodeError> {
    if out.is_empty() {
        return Ok(());
    }
    counter.intermediate = counter.intermediate.saturating_add(out.len() as u64);
    if counter.intermediate > counter.limit.saturating_mul(MAX_CODINGS as u64) {
        return Err(DecodeError::Limit);
    }
    run(rest, out, counter)
}

fn finish_chain(stages: &mut [Stage], counter: &mut Counter) -> Result<(), DecodeError> {
    match stages.split_first_mut() {
        None => Ok(()),
        Some((first, rest)) => {
            first.finish(&mut |out| pass_on(rest, out, counter))?;
            finish_chain(rest, counter)
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

enum Stage {
    Gzip(Box<Gzip>),
    Deflate(Box<Deflate>),
    Brotli(Box<Brotli>),
    Zstd(Box<Zstd>),
}

impl Stage {
    fn new(coding: Coding) -> Stage {
        match coding {
            Coding::Gzip => Stage::Gzip(Box::default()),
            Coding::Deflate => Stage::Deflate(Box::default()),
            Coding::Brotli => Stage::Brotli(Box::default()),
            Coding::Zstd => Stage::Zstd(Box::default()),
        }
    }

    fn push(&mut self, input: &[u8], out: Out<'_>) -> Result<(), DecodeError> {
        match self {
            Stage::Gzip(s) => s.push(input, out),
            Stage::Deflate(s) => s.push(input, out),
            Stage::Brotli(s) => s.push(input, out),
            Stage::Zstd(s) => s.push(input, out),
        }
    }

    fn finish(&mut self, out: Out<'_>) -> Result<(), DecodeError> {
        match self {
            Stage::Gzip(s) => s.finish(),
            Stage::Deflate(s) => s.finish(),
            Stage::Brotli(s) => s.finish(),
            Stage::Zstd(s) => s.finish(out),
        }
    }
}

/// Inflates as much of `input` as possible. Returns the bytes consumed and whether the
/// deflate stream ended.
fn inflate(
    d: &mut Decompress,
    scratch: &mut [u8],
    mut input: &[u8],
    mut crc: Option<&mut Crc>,
    out: Out<'_>,
) -> Result<(usize, bool), DecodeError> {
    let mut consumed = 0usize;
    loop {
        let (in0, out0) = (d.total_in(), d.total_out());
        let status = d
            .decompress(input, scratch, FlushDecompress::None)
            .map_err(|e| failed(format!("deflate: {e}")))?;
        let used = usize::try_from(d.total_in().saturating_sub(in0)).unwrap_or(usize::MAX);
        let made = usize::try_from(d.total_out().saturating_sub(out0)).unwrap_or(usize::MAX);
        let produced = scratch.get(..made).unwrap_or_default();
        if let Some(crc) = crc.as_deref_mut() {
            crc.update(produced);
        }
        out(produced)?;
        input = input.get(used..).unwrap_or_default();
        consumed = consumed.saturating_add(used);
        if status == Status::StreamEnd {
            return Ok((consumed, true));
        }
        if used == 0 && made == 0 {
            return Ok((consumed, false));
        }
        if input.is_empty() && made < scratch.len() {
            return Ok((consumed, false));
        }
    }
}

enum GzipState {
    Header(Vec<u8>),
    Body,
    Trailer([u8; 8], usize),
    /// A member ended; another may follow.
    Between,
    /// Trailing bytes that are not a gzip member: ignored, as browsers do.
    Ignoring,
}

struct Gzip {
    state: GzipState,
    d: Decompress,
    crc: Crc,
    scratch: Vec<u8>,
}

impl Default for Gzip {
    fn default() -> Self {
        Gzip {
            state: GzipState::Header(Vec::new()),
            d: Decompress::new(false),
            crc: Crc::new(),
            scratch: vec![0; SCRATCH],
        }
    }
}

/// The length of a complete gzip member header (RFC 1952 §2.3), `None` if `buf` is short.
fn gzip_header_len(buf: &[u8]) -> Result<Option<usize>, DecodeError> {
    for (i, want) in [0x1fu8, 0x8b, 8].iter().enumerate() {
        match buf.get(i) {
            Some(b) if b != want => return Err(failed("gzip: bad magic or method")),
            None => return Ok(None),
            _ => {}
        }
    }
    let Some(&flags) = buf.get(3) else {
        return Ok(None);
    };
    if flags & 0xe0 != 0 {
        return Err(failed("gzip: reserved flags set"));
    }
    let mut pos = 10usize;
    if flags & 0x04 != 0 {
        let (Some(&lo), Some(&hi)) = (buf.get(pos), buf.get(pos + 1)) else {
            return Ok(None);
        };
        pos += 2 + usize::from(u16::from_le_bytes([lo, hi]));
    }
    for flag in [0x08u8, 0x10] {
        if flags & flag != 0 {
            let Some(nul) = buf.get(pos..).and_then(|r| r.iter().position(|&b| b == 0)) else {
                return Ok(None);
            };
            pos += nul + 1;
        }
    }
    if flags & 0x02 != 0 {
        pos += 2;
    }
    Ok((buf.len() >= pos).then_some(pos))
}

impl Gzip {
    fn push(&mut self, mut input: &[u8], out: Out<'_>) -> Result<(), DecodeError> {
        while !input.is_empty() {
            match &mut self.state {
                GzipState::Header(buf) => {
                    // The header is usually whole in the first chunk: parse it in place.
                    if buf.is_empty() {
                        if let Some(len) = gzip_header_len(input)? {
                            input = input.get(len..).unwrap_or_default();
                            self.state = GzipState::Body;
                            continue;
                        }
                    }
                    let room = MAX_GZIP_HEADER.saturating_sub(buf.len());
                    let take = input.len().min(room);
                    let before = buf.len();
                    buf.extend_from_slice(input.get(..take).unwrap_or_default());
                    match gzip_header_len(buf)? {
                        // The header did not fit in the earlier bytes, so it ends in `input`.
                        Some(len) => {
                            input = input.get(len.saturating_sub(before)..).unwrap_or_default();
                            self.state = GzipState::Body;
                        }
                        None if take == input.len() => return Ok(()),
                        None => return Err(failed("gzip: header too long")),
                    }
                }
                GzipState::Body => {
                    let (used, ended) = inflate(
                        &mut self.d,
                        &mut self.scratch,
                        input,
                        Some(&mut self.crc),
                        out,
                    )?;
                    input = input.get(used..).unwrap_or_default();
                    if ended {
                        self.state = GzipState::Trailer([0; 8], 0);
                    } else if used == 0 {
                        return Ok(());
                    }
                }
                GzipState::Trailer(bytes, have) => {
                    while *have < 8 {
                        let Some((&b, rest)) = input.split_first() else {
                            return Ok(());
                        };
                        if let Some(slot) = bytes.get_mut(*have) {
                            *slot = b;
                        }
                        *have += 1;
                        input = rest;
                    }
                    let [c0, c1, c2, c3, s0, s1, s2, s3] = *bytes;
                    if u32::from_le_bytes([c0, c1, c2, c3]) != self.crc.sum() {
                        return Err(failed("gzip: CRC mismatch"));
                    }
                    if u32::from_le_bytes([s0, s1, s2, s3]) != self.d.total_out() as u32 {
                        return Err(failed("gzip: size mismatch"));
                    }
                    self.state = GzipState::Between;
                }
                GzipState::Between => {
                    if input.first() == Some(&0x1f) {
                        self.d.reset(false);
                        self.crc.reset();
                        self.state = GzipState::Header(Vec::new());
                    } else {
                        self.state = GzipState::Ignoring;
                    }
                }
                GzipState::Ignoring => return Ok(()),
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), DecodeError> {
        match self.state {
            GzipState::Between | GzipState::Ignoring => Ok(()),
            _ => Err(failed("gzip: stream truncated")),
        }
    }
}

#[derive(Default)]
struct Deflate {
    /// Set once the first two bytes told zlib-wrapped from raw deflate.
    d: Option<Decompress>,
    /// A lone first byte, kept until the second arrives.
    first: Option<u8>,
    ended: bool,
    scratch: Vec<u8>,
}

/// RFC 1950 §2.2: CM = 8, CINFO ≤ 7, and (CMF·256 + FLG) divisible by 31.
fn is_zlib_header(cmf: u8, flg: u8) -> bool {
    cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

impl Deflate {
    fn push(&mut self, input: &[u8], out: Out<'_>) -> Result<(), DecodeError> {
        if self.ended || input.is_empty() {
            return Ok(());
        }
        if self.d.is_none() {
            let (cmf, flg) = match (self.first, input) {
                (Some(cmf), [flg, ..]) => (cmf, *flg),
                (None, [cmf, flg, ..]) => (*cmf, *flg),
                (None, [cmf]) => {
                    self.first = Some(*cmf);
                    return Ok(());
                }
                _ => return Ok(()),
            };
            self.d = Some(Decompress::new(is_zlib_header(cmf, flg)));
            self.scratch = vec![0; SCRATCH];
            if let Some(cmf) = self.first.take() {
                self.inflate(&[cmf], out)?;
            }
        }
        self.inflate(input, out)
    }

    fn inflate(&mut self, input: &[u8], out: Out<'_>) -> Result<(), DecodeError> {
        let Some(d) = self.d.as_mut() else {
            return Ok(());
        };
        let (_, ended) = inflate(d, &mut self.scratch, input, None, out)?;
        self.ended |= ended;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), DecodeError> {
        if self.ended {
            Ok(())
        } else {
            Err(failed("deflate: stream truncated"))
        }
    }
}

struct Brotli {
    state: BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>,
    scratch: Vec<u8>,
    total_out: usize,
    ended: bool,
}

impl Default for Brotli {
    fn default() -> Self {
        Brotli {
            state: BrotliState::new(
                StandardAlloc::default(),
                StandardAlloc::default(),
                StandardAlloc::default(),
            ),
            scratch: vec![0; SCRATCH],
            total_out: 0,
            ended: false,
        }
    }
}

impl Brotli {
    fn push(&mut self, input: &[u8], out: Out<'_>) -> Result<(), DecodeError> {
        let mut offset = 0usize;
        while !self.ended {
            let mut available_in = input.len().saturating_sub(offset);
            let mut available_out = self.scratch.len();
            let mut written = 0usize;
            let result = BrotliDecompressStream(
                &mut available_in,
                &mut offset,
                input,
                &mut available_out,
                &mut written,
                &mut self.scratch,
                &mut self.total_out,
                &mut self.state,
            );
            out(self.scratch.get(..written).unwrap_or_default())?;
            match result {
                BrotliResult::ResultSuccess => self.ended = true,
                BrotliResult::NeedsMoreInput => return Ok(()),
                BrotliResult::NeedsMoreOutput => {}
                BrotliResult::ResultFailure => return Err(failed("br: corrupt data")),
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), DecodeError> {
        if self.ended {
            Ok(())
        } else {
            Err(failed("br: stream truncated"))
        }
    }
}

/// Zstandard (RFC 8878). ruzstd decodes whole blocks, so input is buffered here until the
/// next frame header or block is complete (at most one block, [`MAX_ZSTD_PENDING`]).
struct Zstd {
    decoder: FrameDecoder,
    pending: Vec<u8>,
    frame: ZstdFrame,
    scratch: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ZstdFrame {
    /// Between frames: a frame header (or a skippable frame) comes next.
    Outside,
    /// Inside a frame; `checksum` when the frame ends with a 4-byte checksum.
    Blocks { checksum: bool },
    /// Inside a skippable frame: this many bytes are left.
    Skipping(u64),
}

impl Default for Zstd {
    fn default() -> Self {
        Zstd {
            decoder: FrameDecoder::new(),
            pending: Vec::new(),
            frame: ZstdFrame::Outside,
            scratch: vec![0; SCRATCH],
        }
    }
}

const ZSTD_MAGIC: u32 = 0xFD2F_B528;

/// The size of a frame header (RFC 8878 §3.1.1.1) from its first five bytes.
fn zstd_header_len(descriptor: u8) -> usize {
    let single_segment = descriptor & 0x20 != 0;
    let window = usize::from(!single_segment);
    let dict = [0, 1, 2, 4][usize::from(descriptor & 3)];
    let fcs = match descriptor >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    5 + window + dict + fcs
}

impl Zstd {
    fn push(&mut self, input: &[u8], out: Out<'_>) -> Result<(), DecodeError> {
        if self.pending.len().saturating_add(input.len()) > MAX_ZSTD_PENDING {
            // Feed in block-sized pieces so that the buffer stays bounded.
            for piece in input.chunks(SCRATCH) {
                self.pending.extend_from_slice(piece);
                self.step(out)?;
                if self.pending.len() > MAX_ZSTD_PENDING {
                    return Err(failed("zstd: block larger than 128 KiB"));
                }
            }
            return Ok(());
        }
        self.pending.extend_from_slice(input);
        self.step(out)
    }

    /// Decodes everything complete in `pending`.
    fn step(&mut self, out: Out<'_>) -> Result<(), DecodeError> {
        let mut pos = 0usize;
        let result = self.step_from(&mut pos, out);
        self.pending.drain(..pos.min(self.pending.len()));
        result
    }

    fn step_from(&mut self, pos: &mut usize, out: Out<'_>) -> Result<(), DecodeError> {
        loop {
            let avail = self.pending.get(*pos..).unwrap_or_default();
            match self.frame {
                ZstdFrame::Skipping(left) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(avail.len());
                    *pos += n;
                    let left = left - n as u64;
                    if left > 0 {
                        return Ok(());
                    }
                    self.frame = ZstdFrame::Outside;
                }
                ZstdFrame::Outside => {
                    let [m0, m1, m2, m3, rest @ ..] = avail else {
                        return Ok(());
                    };
                    let magic = u32::from_le_bytes([*m0, *m1, *m2, *m3]);
                    if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
                        let [s0, s1, s2, s3, ..] = rest else {
                            return Ok(());
                        };
                        *pos += 8;
                        self.frame = ZstdFrame::Skipping(u64::from(u32::from_le_bytes([
                            *s0, *s1, *s2, *s3,
                        ])));
                        continue;
                    }
                    if magic != ZSTD_MAGIC {
                        return Err(failed("zstd: bad frame magic"));
                    }
                    let Some(&descriptor) = rest.first() else {
                        return Ok(());
                    };
                    let len = zstd_header_len(descriptor);
                    let Some(mut header) = avail.get(..len) else {
                        return Ok(());
                    };
                    self.decoder
                        .reset(&mut header)
                        .map_err(|e| failed(format!("zstd: {e}")))?;
                    *pos += len;
                    self.frame = ZstdFrame::Blocks {
                        checksum: descriptor & 0x04 != 0,
                    };
                }
                ZstdFrame::Blocks { checksum } => {
                    let [h0, h1, h2, ..] = avail else {
                        return Ok(());
                    };
                    let header = u32::from_le_bytes([*h0, *h1, *h2, 0]);
                    let last = header & 1 != 0;
                    let size = (header >> 3) as usize;
                    let content = match (header >> 1) & 3 {
                        0 | 2 => size,
                        1 => 1,
                        _ => return Err(failed("zstd: reserved block type")),
                    };
                    let need = 3 + content + if last && checksum { 4 } else { 0 };
                    let Some(mut block) = avail.get(..need) else {
                        return Ok(());
                    };
                    self.decoder
                        .decode_blocks(&mut block, BlockDecodingStrategy::UptoBlocks(1))
                        .map_err(|e| failed(format!("zstd: {e}")))?;
                    *pos += need - block.len();
                    self.drain(out)?;
                    if last {
                        self.frame = ZstdFrame::Outside;
                    }
                }
            }
        }
    }

    fn drain(&mut self, out: Out<'_>) -> Result<(), DecodeError> {
        loop {
            let n = self
                .decoder
                .read(&mut self.scratch)
                .map_err(|e| failed(format!("zstd: {e}")))?;
            if n == 0 {
                return Ok(());
            }
            out(self.scratch.get(..n).unwrap_or_default())?;
        }
    }

    fn finish(&mut self, out: Out<'_>) -> Result<(), DecodeError> {
        if self.frame != ZstdFrame::Outside || !self.pending.is_empty() {
            return Err(failed("zstd: stream truncated"));
        }
        self.drain(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn decoder(coding: &str) -> ContentDecoder {
        ContentDecoder::for_headers(&[Header::new("Content-Encoding", coding)], 1 << 30).unwrap()
    }

    fn decode_in_pieces(coding: &str, data: &[u8], piece: usize) -> Result<u64, DecodeError> {
        let mut d = decoder(coding);
        for chunk in data.chunks(piece.max(1)) {
            d.push(chunk)?;
        }
        d.finish()
    }

    fn plain() -> Vec<u8> {
        (0..100_000u32)
            .flat_map(|i| format!("line {i} of some text\n").into_bytes())
            .collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// "hello hello hello\n" as one uncompressed brotli meta-block (RFC 7932 §9.2: WBITS 16,
    /// MNIBBLES 4, MLEN-1 = 17, ISUNCOMPRESSED) followed by an empty last meta-block.
    static BROTLI_HELLO: &[u8] = b"\x10\x01\x10hello hello hello\n\x03";

    /// `yes 'hello zstd' | head -1000 | zstd -19 -c`: 11000 bytes, a compressed block.
    static ZSTD_HELLO_1000: &[u8] = &[
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0x9d, 0x00, 0x00, 0x58, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
        0x20, 0x7a, 0x73, 0x74, 0x64, 0x0a, 0x01, 0x00, 0xea, 0xca, 0x7c, 0xf1, 0x02, 0x96, 0xf0,
        0xd1, 0x06,
    ];

    /// A zstd frame holding "hello zstd\n" as a raw block, with a content size and a checksum.
    fn zstd_hello() -> Vec<u8> {
        let payload = b"hello zstd\n";
        let mut v = ZSTD_MAGIC.to_le_bytes().to_vec();
        v.push(0x24); // single segment, checksum, 1-byte content size
        v.push(payload.len() as u8);
        let block = ((payload.len() as u32) << 3) | 1; // raw, last
        v.extend_from_slice(&block.to_le_bytes()[..3]);
        v.extend_from_slice(payload);
        v.extend_from_slice(&[0, 0, 0, 0]); // checksum, not verified
        v
    }

    #[test]
    fn gzip_any_split() {
        let data = plain();
        let z = gzip(&data);
        for piece in [1, 7, 1000, z.len()] {
            assert_eq!(
                decode_in_pieces("gzip", &z, piece),
                Ok(data.len() as u64),
                "piece {piece}"
            );
        }
        assert_eq!(decode_in_pieces("x-gzip", &z, 4096), Ok(data.len() as u64));
    }

    #[test]
    fn gzip_corrupt_and_truncated() {
        let mut z = gzip(&plain());
        let n = z.len();
        assert_eq!(
            decode_in_pieces("gzip", &z[..n / 2], 100),
            Err(failed("gzip: stream truncated"))
        );
        z[n - 3] ^= 0xff; // size field
        assert_eq!(
            decode_in_pieces("gzip", &z, 100),
            Err(failed("gzip: size mismatch"))
        );
        assert!(matches!(
            decode_in_pieces("gzip", b"not gzip at all", 3),
            Err(DecodeError::Failed(_))
        ));
    }

    #[test]
    fn deflate_zlib_and_raw() {
        let data = plain();
        for z in [zlib(&data), raw_deflate(&data)] {
            for piece in [1, 2, 3, 5000] {
                assert_eq!(
                    decode_in_pieces("deflate", &z, piece),
                    Ok(data.len() as u64)
                );
            }
        }
        assert_eq!(
            decode_in_pieces("deflate", &[0x78], 1),
            Err(failed("deflate: stream truncated"))
        );
    }

    #[test]
    fn brotli_and_zstd() {
        for piece in [1, 3, 100] {
            assert_eq!(decode_in_pieces("br", BROTLI_HELLO, piece), Ok(18));
            assert_eq!(decode_in_pieces("zstd", &zstd_hello(), piece), Ok(11));
            assert_eq!(decode_in_pieces("zstd", ZSTD_HELLO_1000, piece), Ok(11_000));
        }
        assert_eq!(
            decode_in_pieces("br", &BROTLI_HELLO[..5], 100),
            Err(failed("br: stream truncated"))
        );
        assert!(decode_in_pieces("br", b"\xff\xff\xff\xff", 1).is_err());
        let z = zstd_hello();
        assert_eq!(
            decode_in_pieces("zstd", &z[..z.len() - 1], 100),
            Err(failed("zstd: stream truncated"))
        );
        assert_eq!(
            decode_in_pieces("zstd", b"PK\x03\x04", 100),
            Err(failed("zstd: bad frame magic"))
        );
    }

    #[test]
    fn stacked_codings_decode_in_reverse() {
        let data = plain();
        let once = zlib(&data);
        let twice = gzip(&once);
        assert_eq!(
            decode_in_pieces("deflate, gzip", &twice, 999),
            Ok(data.len() as u64)
        );
    }

    #[test]
    fn limit_stops_decoding() {
        let z = gzip(&plain());
        let mut d =
            ContentDecoder::for_headers(&[Header::new("content-encoding", "gzip")], 1000).unwrap();
        assert_eq!(d.push(&z), Err(DecodeError::Limit));
    }

    #[test]
    fn unknown_and_identity_give_no_decoder() {
        let h = |v: &str| vec![Header::new("Content-Encoding", v)];
        assert!(ContentDecoder::for_headers(&h("compress"), 1).is_none());
        assert!(ContentDecoder::for_headers(&h("identity"), 1).is_none());
        assert!(ContentDecoder::for_headers(&h("gzip, snappy"), 1).is_none());
        assert!(ContentDecoder::for_headers(&h("gzip,gzip,gzip,gzip,gzip"), 1).is_none());
        assert!(ContentDecoder::for_headers(&[], 1).is_none());
    }
}
