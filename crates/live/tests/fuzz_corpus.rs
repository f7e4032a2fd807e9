//! Replays every input of the `live_record` and `live_text` fuzz corpora
//! (`fuzz/corpus/live_record/`, `fuzz/corpus/live_text/`) through the fuzz targets' bodies, so that stable CI checks every input ever found, and checks what
//! the seeds (records laid out as the BPF programs write them, around real packets) decode to.

use httpscope_live::event::{self, Direction, Record};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/live_record")
}

fn seed(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(format!("seed_{name}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn replay_corpus() {
    let mut count = 0;
    for entry in std::fs::read_dir(corpus_dir()).expect("corpus directory") {
        let input = std::fs::read(entry.expect("corpus entry").path()).expect("corpus file");
        event::fuzz(&input);
        count += 1;
    }
    assert!(count >= 5, "the live_record corpus lost its seeds");
}

#[test]
fn seeds_decode() {
    let request = seed("packet_request");
    let Ok(Record::Packet(p)) = event::parse(&request) else {
        panic!("a packet")
    };
    assert_eq!(
        (p.pid, p.cookie, p.direction),
        (8136, 4099, Direction::Egress)
    );
    assert!(p.data.ends_with(b"\r\n\r\n") && p.data.len() as u32 == p.len);
    let snapped = seed("packet_snapped");
    let Ok(Record::Packet(p)) = event::parse(&snapped) else {
        panic!("a packet")
    };
    assert!(p.truncated_by_snaplen && p.data.len() == 60 && p.len > 60);
    assert_eq!((p.socket_drops, p.socket_truncated), (2, 1));
    let Ok(Record::Owner(o)) = event::parse(&seed("owner")) else {
        panic!("an owner")
    };
    assert_eq!(o.comm, "curl");
    let Ok(Record::Closed(c)) = event::parse(&seed("close")) else {
        panic!("a close")
    };
    assert_eq!(c.connect_ns(), Some(100));
}

#[test]
fn replay_live_text_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/live_text");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("corpus directory") {
        let input = std::fs::read(entry.expect("corpus entry").path()).expect("corpus file");
        httpscope_live::fuzzing::run(&input);
        count += 1;
    }
    assert!(count >= 3, "the live_text corpus lost its seeds");
}
