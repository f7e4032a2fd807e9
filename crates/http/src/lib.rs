//! HTTP/1.x over byte streams: turns the two directions of a TCP connection into
//! request/response [`Exchange`]s, with sizes on the wire and after content decoding.
//!
//! The crate is sans-IO: it is handed bytes, gaps and ends with their capture timestamps and
//! hands back exchanges through a callback; it never reads clocks, files or sockets.
//!
//! - [`detect`] recognises HTTP/1.x by content (module `detect`).
//! - [`Http1Connection`] parses both directions and pairs requests with responses (module
//!   `conn`), using `head` (start lines and fields), `body` (Content-Length, chunked,
//!   close-delimited framing) and `decode` (gzip, deflate, br, zstd, counted not kept).
//!
//! Loss is data, not an error: gaps, truncation, malformed messages and resets are recorded
//! as [`model::Incomplete`] reasons on the exchanges they affect, and bytes skipped while
//! finding the next message start are counted in [`ParserStats`]. No input makes the parser
//! panic, and every buffer is bounded by [`Http1Config`].

mod body;
mod conn;
mod decode;
mod detect;
#[doc(hidden)]
pub mod fuzzing;
pub mod h2;
mod head;
pub mod hpack;

pub use conn::Http1Connection;
pub use detect::{detect, find_start, Detection, Start};

/// Limits of one connection's parser.
#[derive(Clone, Debug)]
pub struct Http1Config {
    /// Largest head (start line, fields and empty line) or trailer section, in bytes.
    /// A bigger head is reported `Malformed` and skipped. Default 64 KiB.
    pub max_header_bytes: usize,
    /// Most requests kept while awaiting their responses (pipelining). When full, the oldest
    /// unanswered request is emitted with `NoResponse` and its response, when it comes, is
    /// emitted as `NoRequest`. Default 128.
    pub max_pending: usize,
    /// Most bytes decoded per body. Beyond it decoding stops: `decoded` is `None` with a
    /// `DecodeFailed` reason "decoding stopped at limit". Default 256 MiB.
    pub max_decoded_bytes: u64,
}

impl Default for Http1Config {
    fn default() -> Self {
        Http1Config {
            max_header_bytes: 64 * 1024,
            max_pending: 128,
            max_decoded_bytes: 256 * 1024 * 1024,
        }
    }
}

/// One request and its response, in order, as they complete.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exchange {
    /// The request; `None` when it was not seen (capture loss, mid-stream start, malformed).
    pub request: Option<model::Request>,
    /// The final response (with its interim responses); `None` when none was seen.
    pub response: Option<model::Response>,
    /// The data calls carrying each message's first and last byte.
    pub times: model::MessageTimes,
    /// Set when this exchange switched the connection to another protocol.
    pub tunnel: Option<model::Tunnel>,
    /// Empty when complete; otherwise every reason it is not.
    pub incomplete: Vec<model::Incomplete>,
    /// The HTTP/2 stream that carried it (`None` for HTTP/1.x).
    pub stream: Option<u32>,
    /// Its position among the requests of a multiplexed connection, in the order they were
    /// opened (`None` for HTTP/1.x, where exchanges complete in request order).
    pub order: Option<u32>,
    /// gRPC facts, for a gRPC call over HTTP/2.
    pub grpc: Option<model::Grpc>,
}

/// Counters of bytes skipped to find message starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParserStats {
    /// Times a direction skipped bytes to find the next message start (mid-stream start,
    /// after a gap, after a malformed message).
    pub resyncs: u64,
    /// Bytes skipped while doing so.
    pub skipped_bytes: u64,
}
