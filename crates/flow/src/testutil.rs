//! Test helpers shared by the unit tests of this crate: owned copies of [`FlowEvent`]s so
//! tests can compare whole event sequences.

use crate::FlowEvent;
use model::{Direction, Handshake};
use std::net::SocketAddr;

/// An owned [`FlowEvent`] without timestamps (tests that care about time look at them
/// separately).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    Open {
        conn: u64,
        client: SocketAddr,
        server: SocketAddr,
        handshake_seen: bool,
    },
    Handshake {
        conn: u64,
        handshake: Handshake,
    },
    Data {
        conn: u64,
        dir: Direction,
        offset: u64,
        data: Vec<u8>,
    },
    Gap {
        conn: u64,
        dir: Direction,
        offset: u64,
        len: u64,
    },
    End {
        conn: u64,
        dir: Direction,
        reset: bool,
    },
    Close {
        conn: u64,
    },
}

impl From<&FlowEvent<'_>> for Ev {
    fn from(e: &FlowEvent<'_>) -> Ev {
        match *e {
            FlowEvent::Open {
                conn,
                client,
                server,
                handshake_seen,
                ..
            } => Ev::Open {
                conn: conn.0,
                client,
                server,
                handshake_seen,
            },
            FlowEvent::Handshake { conn, handshake } => Ev::Handshake {
                conn: conn.0,
                handshake,
            },
            FlowEvent::Data {
                conn,
                dir,
                offset,
                data,
                ..
            } => Ev::Data {
                conn: conn.0,
                dir,
                offset,
                data: data.to_vec(),
            },
            FlowEvent::Gap {
                conn,
                dir,
                offset,
                len,
                ..
            } => Ev::Gap {
                conn: conn.0,
                dir,
                offset,
                len,
            },
            FlowEvent::End {
                conn, dir, reset, ..
            } => Ev::End {
                conn: conn.0,
                dir,
                reset,
            },
            FlowEvent::Close { conn, .. } => Ev::Close { conn: conn.0 },
        }
    }
}

/// Shorthand for client→server.
pub(crate) const C2S: Direction = Direction::ClientToServer;
/// Shorthand for server→client.
pub(crate) const S2C: Direction = Direction::ServerToClient;

/// `Ev::Data` on connection `conn`.
pub(crate) fn data(conn: u64, dir: Direction, offset: u64, bytes: &[u8]) -> Ev {
    Ev::Data {
        conn,
        dir,
        offset,
        data: bytes.to_vec(),
    }
}

/// `Ev::Gap` on connection `conn`.
pub(crate) fn gap(conn: u64, dir: Direction, offset: u64, len: u64) -> Ev {
    Ev::Gap {
        conn,
        dir,
        offset,
        len,
    }
}
