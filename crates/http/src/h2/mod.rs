//! HTTP/2 over byte streams (RFC 9113): turns the two directions of a connection into one
//! [`Exchange`](crate::Exchange) per stream, with header and body sizes as on the wire, gRPC
//! facts, and connection facts ([`model::Http2Info`]: settings, concurrency, flow-control
//! stalls, resets, GOAWAY, pushes, header decoding errors).
//!
//! - `frame`: the frame header (§4.1) and each frame type's payload (§6.1–§6.10).
//! - `stream`: stream states (§5.1), messages built from header blocks (§8.1, §8.3), body
//!   counting, gRPC message framing.
//! - `conn`: [`H2Connection`], which reads frames from each direction, joins header block
//!   fragments, decodes them with one HPACK decoder per direction (`crate::hpack`), keeps
//!   flow-control windows (§6.9) and emits streams as they close.
//!
//! Sans-IO and bounded: DATA payloads are counted as they pass (never copied); other frame
//! payloads are buffered up to fixed per-type sizes or [`H2Config::max_header_list`] for
//! header blocks. No input panics. Loss is data: gaps, truncation, resets, undecodable
//! header blocks become [`model::Incomplete`] reasons, never invented headers.

mod conn;
mod frame;
mod stream;

pub use conn::H2Connection;

/// RFC 9113 §3.4: "the connection preface starts with the string
/// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`".
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether the client's first bytes are the HTTP/2 connection preface (None: need more bytes).
pub fn is_preface(data: &[u8]) -> Option<bool> {
    let n = data.len().min(PREFACE.len());
    if data[..n] != PREFACE[..n] {
        Some(false)
    } else if n < PREFACE.len() {
        None
    } else {
        Some(true)
    }
}

/// Limits of one HTTP/2 connection's parser.
#[derive(Clone, Debug)]
pub struct H2Config {
    /// Largest frame accepted, in payload octets; a larger frame header means the framing is
    /// lost and the direction stops (`Malformed`). Default 16 MiB − 1, the most
    /// SETTINGS_MAX_FRAME_SIZE allows (§6.5.2).
    pub max_frame_size: usize,
    /// Largest header block (joined HEADERS/PUSH_PROMISE + CONTINUATION fragments, as
    /// compressed) and largest decoded field list (§6.5.2 SETTINGS_MAX_HEADER_LIST_SIZE
    /// counting: name + value + 32 per field), in octets. A bigger block cannot be kept, so
    /// the direction's HPACK state is lost; a bigger decoded list is cut (`Malformed`).
    /// Default 256 KiB.
    pub max_header_list: usize,
    /// Most bytes decoded per body (like [`crate::Http1Config::max_decoded_bytes`]).
    /// Default 256 MiB.
    pub max_decoded_bytes: u64,
}

impl Default for H2Config {
    fn default() -> Self {
        H2Config {
            max_frame_size: (1 << 24) - 1,
            max_header_list: 256 * 1024,
            max_decoded_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Drives one [`H2Connection`] with operations decoded from `data`; exists for the `h2` fuzz
/// target (`fuzz/fuzz_targets/h2.rs`) and the corpus replay test (`tests/h2_corpus.rs`).
///
/// The first byte picks the start: bit 0 set → [`H2Connection::mid_stream`], else bit 1 set
/// → [`H2Connection::after_upgrade`] with a `GET /`, else [`H2Connection::new`]. The rest is
/// operations in the format of [`crate::fuzzing::ops`]; every operation advances the
/// timestamp by one, then the connection is finished. Panics if an exchange lacks a message
/// without a reason, or names no stream.
#[doc(hidden)]
pub fn fuzz_ops(data: &[u8]) {
    use model::Timestamp;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let config = H2Config {
        max_frame_size: 1 << 16,
        max_header_list: 4096,
        max_decoded_bytes: 1 << 20,
    };
    let mut conn = if mode & 1 == 0 && mode & 2 != 0 {
        let request = model::Request {
            method: "GET".into(),
            target: "/".into(),
            version: "HTTP/1.1".into(),
            ..model::Request::default()
        };
        H2Connection::after_upgrade(config, request, Timestamp(0))
    } else {
        H2Connection::new(config)
    };
    if mode & 1 != 0 {
        conn.mid_stream();
    }
    let check = |e: crate::Exchange| {
        assert!(
            (e.request.is_some() && e.response.is_some()) || !e.incomplete.is_empty(),
            "an exchange lacks a message but gives no reason: {e:?}"
        );
        assert!(e.stream.is_some(), "an HTTP/2 exchange without a stream");
    };
    let mut out = check;
    for (i, op) in crate::fuzzing::ops(rest).into_iter().enumerate() {
        let ts = Timestamp(i as i64 + 1);
        match op {
            crate::fuzzing::Op::Data(dir, bytes) => conn.data(dir, ts, bytes, &mut out),
            crate::fuzzing::Op::Gap(dir, len) => conn.gap(dir, ts, len, &mut out),
            crate::fuzzing::Op::End(dir, reset) => conn.end(dir, ts, reset, &mut out),
        }
        let _ = conn.info();
    }
    conn.finish(Timestamp(i64::MAX), &mut out);
    let info = conn.info();
    assert!(info.mean_concurrent <= info.max_concurrent as f64 + 1e-9);
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod preface_tests {
    use super::*;

    #[test]
    fn preface_detection() {
        assert_eq!(is_preface(b""), None);
        assert_eq!(is_preface(b"PRI * HTTP/2"), None);
        assert_eq!(is_preface(PREFACE), Some(true));
        assert_eq!(is_preface(&[PREFACE, b"\x00\x00"].concat()), Some(true));
        assert_eq!(is_preface(b"GET / HTTP/1.1\r\n"), Some(false));
        assert_eq!(is_preface(b"PRX"), Some(false));
    }
}
