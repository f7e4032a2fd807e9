//! Replays every input of the `tcp_reassembly` fuzz corpus through the same interpreter and
//! invariant checker as the fuzz target, so stable CI checks every input ever kept.

use std::path::Path;

#[test]
fn tcp_reassembly_corpus_keeps_every_invariant() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/tcp_reassembly");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable corpus entry").path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{} is empty", dir.display());
    for path in &inputs {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let run = std::panic::catch_unwind(|| flow::fuzzing::run(&bytes));
        assert!(run.is_ok(), "invariant broken by {}", path.display());
    }
}
