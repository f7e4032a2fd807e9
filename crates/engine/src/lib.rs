//! The analysis engine: packets in, HTTP [`Transaction`]s out.
//!
//! This is the only crate that connects the layers: it decodes each packet with [`wire`],
//! feeds TCP segments to the [`flow`] reassembler, recognises HTTP/1.x by content on each
//! connection, drives one [`http::Http1Connection`] per HTTP connection, and turns every
//! completed [`http::Exchange`] into a [`Transaction`] with connection facts and HAR timings.
//! It is sans-IO: time comes in with each packet, results go out through a callback.
//!
//! Invariants:
//! - Every packet is accounted for in [`Stats`]: decoded, or counted as non-IP, fragment,
//!   other transport, unknown link type or malformed.
//! - A connection's role assignment (who is the client) comes from the TCP handshake; for
//!   connections that began before the capture it is corrected by content (the side that
//!   sends requests is the client).
//! - Timings add up: for a complete exchange,
//!   `blocked + connect + send + wait + receive` spans exactly from [`Transaction::start`] to
//!   the last byte of the response (see [`timings`]).

mod conn;
mod timings;

use conn::Connections;
use flow::{FlowConfig, FlowTable};
use http::Http1Config;
use model::{Stats, Timestamp, Transaction};
use std::net::SocketAddr;
use wire::{Decoded, LinkType, Transport};

/// Tuning for an [`Engine`]. Every field documents its default.
#[derive(Clone, Debug, Default)]
pub struct EngineConfig {
    /// TCP reassembly limits (see [`FlowConfig`]'s defaults).
    pub flow: FlowConfig,
    /// HTTP/1.x parser limits (see [`Http1Config`]'s defaults).
    pub http: Http1Config,
}

/// Turns packets into transactions. Feed packets in capture order with [`Engine::packet`],
/// then call [`Engine::finish`] once.
pub struct Engine {
    flows: FlowTable,
    conns: Connections,
    stats: Stats,
}

impl Engine {
    /// A new engine with the given limits.
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            flows: FlowTable::new(config.flow),
            conns: Connections::new(config.http),
            stats: Stats::default(),
        }
    }

    /// Analyses one captured packet of link type `link`, calling `out` for every transaction
    /// it completes.
    pub fn packet(
        &mut self,
        ts: Timestamp,
        link: LinkType,
        data: &[u8],
        out: &mut impl FnMut(Transaction),
    ) {
        let decode = &mut self.stats.decode;
        match wire::decode(link, data) {
            Ok(Decoded::Ip(ip)) => match ip.transport {
                Transport::Tcp(seg) => {
                    decode.tcp_segments += 1;
                    let src = SocketAddr::new(ip.src, seg.src_port);
                    let dst = SocketAddr::new(ip.dst, seg.dst_port);
                    let conns = &mut self.conns;
                    let http_stats = &mut self.stats.http;
                    self.flows.segment(ts, src, dst, &seg, &mut |ev| {
                        conns.event(ev, http_stats, out)
                    });
                }
                Transport::Udp(_) => decode.udp_datagrams += 1,
                Transport::Fragment => decode.ipv4_fragments += 1,
                Transport::Other(_) => decode.other_transport += 1,
            },
            Ok(Decoded::NotIp(_)) => decode.non_ip += 1,
            Err(wire::WireError::UnsupportedLinkType(_)) => decode.unknown_link_type += 1,
            Err(e) => {
                decode.malformed += 1;
                decode.last_error = Some(e.to_string());
            }
        }
    }

    /// Ends the analysis: flushes every open connection (pending requests become
    /// incomplete transactions) and returns the counters of every layer except capture
    /// reading, which the caller owns.
    pub fn finish(mut self, out: &mut impl FnMut(Transaction)) -> Stats {
        let conns = &mut self.conns;
        let http_stats = &mut self.stats.http;
        self.flows
            .finish(&mut |ev| conns.event(ev, http_stats, out));
        self.stats.tcp = self.flows.stats().clone();
        self.stats
    }

    /// Counters so far (the TCP ones are filled in by [`Engine::finish`]).
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}
