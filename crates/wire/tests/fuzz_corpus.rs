//! Replays every input of fuzz/corpus/wire_decode through the fuzz target's logic, so that
//! every input ever found (seeds and fixed crashes) is checked on stable in CI.

use std::path::Path;

#[test]
fn wire_decode_corpus_replays_without_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/wire_decode");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus directory") {
        let path = entry.expect("corpus entry").path();
        let bytes = std::fs::read(&path).expect("corpus file");
        wire::fuzzing::decode_input(&bytes);
        count += 1;
    }
    assert!(count > 0, "{} is empty", dir.display());
}
