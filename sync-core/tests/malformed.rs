//! Malformed automerge bytes found by fuzzing (`scripts/fuzz`, target
//! `read_record`, 2026-11-23): automerge 0.12's column decoder panicked on
//! them. They must be refused like any malformed input, wherever they
//! arrive: as a stored document, or as a phone's pushed changes.

use sync_core::{DocId, Push, PushMerge, RejectionCode, Scope, Timestamp, merge_push, read_record};

/// The fuzzer's input, byte for byte.
const PANICKED_AUTOMERGE: [u8; 52] = [
    0x85, 0x6f, 0x4a, 0x83, 0x0a, 0xe6, 0x21, 0x03, 0x03, 0x28, 0x00, 0x03, 0x03, 0x03, 0x03, 0x03,
    0x03, 0x03, 0x3a, 0x03, 0x03, 0x03, 0x01, 0x09, 0x01, 0x01, 0x01, 0x01, 0x01, 0x23, 0x01, 0x01,
    0x01, 0x01, 0x00, 0x01, 0x01, 0x83, 0x4a, 0x6f, 0x48, 0x01, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
];

#[test]
fn bytes_that_panicked_automerge_are_refused_as_a_document() {
    assert!(read_record(&PANICKED_AUTOMERGE).is_err());
}

#[test]
fn bytes_that_panicked_automerge_are_refused_as_a_push() {
    let push = Push {
        doc: DocId::new(Timestamp::from_millis(1_789_000_000_000)),
        base: Vec::new(),
        heads: vec![[7; 32]],
        changes: PANICKED_AUTOMERGE.to_vec(),
    };
    match merge_push(None, &push, &Scope::Admin) {
        PushMerge::Rejected(r) => assert_eq!(r.code, RejectionCode::Malformed),
        other => panic!("not refused: {:?}", other.into_outcome()),
    }
}
