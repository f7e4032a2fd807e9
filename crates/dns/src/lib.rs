//! DNS for httpscope: message decoding and the pairing of queries with responses into
//! [`Lookup`]s, the `dns` phase of an HTTP transaction's timeline.
//!
//! Owns:
//! - [`parse`]: one DNS message (RFC 1035 §4.1) into a [`Message`] with its questions and
//!   answers decoded (A, AAAA per RFC 3596, CNAME, SVCB/HTTPS per RFC 9460), every read
//!   bounds-checked through one cursor (`reader.rs`), so no input can panic or loop;
//! - [`Tracker`]: queries and responses seen on the wire, paired by (client, id, question),
//!   retries folded, timeouts emitted as time advances — sans-IO, time comes with the data;
//! - [`TcpFramer`] / [`tcp_messages`]: DNS over TCP (RFC 1035 §4.2.2) split into messages.
//!
//! Invariant: nothing here performs I/O, reads a clock or panics on input; every decode
//! failure is a [`DnsError`] that names the field that failed.

pub mod fuzzing;
mod message;
mod reader;
#[cfg(test)]
mod samples;
mod svcb;
mod tcp;
mod tracker;

pub use message::{parse, rcode_name, type_name, Message, Question, Record, RecordData};
pub use reader::DnsError;
pub use tcp::{tcp_messages, TcpFramer, TcpMessages};
pub use tracker::{DnsStats, Lookup, Outcome, Tracker};
