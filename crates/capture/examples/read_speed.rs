//! Read-speed benchmark: iterates every block of the captures given on the command line,
//! decodes every packet with `wire::decode`, and prints throughput.
//!
//! `cargo run --release -p httpscope-capture --example read_speed -- [--read-only] FILE...`
//! (`--read-only` skips the decoding, to time the reader alone).
//! Run it twice to measure from the page cache. It owns nothing but its output; the figures
//! are for comparison between builds on one machine, not assertions.

use capture::{Block, CaptureReader};
use std::path::Path;
use std::time::Instant;
use wire::{Decoded, Transport};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let read_only = args.iter().any(|a| a == "--read-only");
    for arg in args.into_iter().filter(|a| a != "--read-only") {
        let start = Instant::now();
        let mut reader = match CaptureReader::open(Path::new(&arg)) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        let (mut tcp, mut payload, mut other, mut errors) = (0u64, 0u64, 0u64, 0u64);
        loop {
            match reader.next_block() {
                Ok(Some(Block::Packet(_))) if read_only => {}
                Ok(Some(Block::Packet(p))) => match wire::decode(p.link, p.data) {
                    Ok(Decoded::Ip(ip)) => match ip.transport {
                        Transport::Tcp(seg) => {
                            tcp += 1;
                            payload += seg.payload.len() as u64;
                        }
                        _ => other += 1,
                    },
                    Ok(Decoded::NotIp(_)) => other += 1,
                    Err(_) => errors += 1,
                },
                Ok(Some(Block::DecryptionSecrets { .. })) => {}
                Ok(None) => break,
                Err(e) => {
                    eprintln!("{e}");
                    break;
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let stats = reader.stats();
        let (consumed, _) = reader.progress();
        println!(
            "{arg}: {} packets, {} file bytes ({} read from source) in {secs:.3} s = {:.0} MB/s, \
             {:.2} Mpkt/s; tcp {tcp} (payload {payload} B), other {other}, decode errors {errors}",
            stats.packets,
            stats.file_bytes,
            consumed,
            stats.file_bytes as f64 / secs / 1e6,
            stats.packets as f64 / secs / 1e6,
        );
        if let Some(tail) = &stats.truncated_tail {
            println!("  truncated tail: {tail}");
        }
    }
}
