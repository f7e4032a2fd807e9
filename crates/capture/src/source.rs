//! Where capture bytes come from: files, stdin, any reader, gzip or not.
//!
//! Owns the byte stream below the parsers. gzip is recognised by its magic bytes (1f 8b), never
//! by the file name, and decoded with `flate2`'s multi-member decoder (concatenated `.gz` files
//! decode as one stream). Invariant: the counter shared with the reader counts bytes taken from
//! the original source (compressed bytes for gzip), which is what a progress bar compares with
//! the file size.

use flate2::bufread::MultiGzDecoder;
use std::io::{self, BufReader, Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Buffer between a compressed source and the decoder.
const GZIP_INPUT_BUFFER: usize = 256 * 1024;

/// Counts the bytes read through it.
struct Counted {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Wraps `reader` so that its bytes are counted and gzip is decoded when present. Returns the
/// decoded stream and the counter of source bytes.
pub(crate) fn open_stream(
    reader: Box<dyn Read + Send>,
) -> io::Result<(Box<dyn Read + Send>, Arc<AtomicU64>)> {
    let count = Arc::new(AtomicU64::new(0));
    let mut counted = Counted {
        inner: reader,
        count: Arc::clone(&count),
    };
    let mut magic = [0u8; 2];
    let mut have = 0;
    while let Some(rest) = magic.get_mut(have..).filter(|rest| !rest.is_empty()) {
        match counted.read(rest) {
            Ok(0) => break,
            Ok(n) => have += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let prefix = Cursor::new(magic.get(..have).unwrap_or_default().to_vec());
    let stream = prefix.chain(counted);
    let decoded: Box<dyn Read + Send> = if have == 2 && magic == [0x1f, 0x8b] {
        Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            GZIP_INPUT_BUFFER,
            stream,
        )))
    } else {
        Box::new(stream)
    };
    Ok((decoded, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    static PLAIN_BYTES: [u8; 5] = *b"hello";

    fn read_all(mut r: Box<dyn Read + Send>) -> Vec<u8> {
        let mut out = Vec::new();
        r.read_to_end(&mut out).expect("read");
        out
    }

    #[test]
    fn plain_passes_through_and_is_counted() {
        let (stream, count) = open_stream(Box::new(Cursor::new(PLAIN_BYTES))).expect("open");
        assert_eq!(read_all(stream), PLAIN_BYTES);
        assert_eq!(count.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn short_and_empty_sources() {
        let (stream, _) = open_stream(Box::new(Cursor::new([0x1f]))).expect("open");
        assert_eq!(read_all(stream), [0x1f]);
        let (stream, _) = open_stream(Box::new(io::empty())).expect("open");
        assert!(read_all(stream).is_empty());
    }

    #[test]
    fn concatenated_gzip_members_decode_as_one_stream() {
        let mut gz = Vec::new();
        for part in [&b"hel"[..], &b"lo"[..]] {
            let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(part).expect("write");
            gz.extend(enc.finish().expect("finish"));
        }
        let len = gz.len() as u64;
        let (stream, count) = open_stream(Box::new(Cursor::new(gz))).expect("open");
        assert_eq!(read_all(stream), PLAIN_BYTES);
        assert_eq!(count.load(Ordering::Relaxed), len);
    }
}
