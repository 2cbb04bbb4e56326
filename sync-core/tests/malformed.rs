//! Malformed automerge bytes that automerge 0.12 mishandles, found by
//! fuzzing (`scripts/fuzz`, target `read_record`) or by reading its parser:
//! bytes that made its column decoder panic, and bytes it would expand far
//! beyond their size. They must be refused like any malformed input,
//! wherever they arrive: as a stored document, or as a phone's pushed
//! changes.

use sync_core::{
    DeviceId, DocId, Push, PushMerge, Rejection, RejectionCode, Scope, Timestamp, merge_push,
    read_record,
};

/// The admin device pushing (admins write in any name).
fn admin() -> DeviceId {
    DeviceId::new(Timestamp::from_millis(0))
}

/// How the hub answers `changes` pushed as a new record.
fn push_rejection(changes: Vec<u8>) -> Rejection {
    let push = Push {
        doc: DocId::new(Timestamp::from_millis(1_789_000_000_000)),
        base: Vec::new(),
        heads: vec![[7; 32]],
        changes,
    };
    match merge_push(None, &push, &Scope::Admin, admin()) {
        PushMerge::Rejected(r) => r,
        other => panic!("not refused: {:?}", other.into_outcome()),
    }
}

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
    assert_eq!(
        push_rejection(PANICKED_AUTOMERGE.to_vec()).code,
        RejectionCode::Malformed
    );
}

/// The fuzzer's input, byte for byte (2026-11-24, with a 512 MiB malloc
/// limit): a bundle chunk whose delta-encoded column made automerge 0.12 ask
/// for more than 512 MiB (an earlier one, 213 bytes, asked for 2 GiB).
const BUNDLE_BLOW_UP: [u8; 28] = [
    0x85, 0x6f, 0x4a, 0x83, 0x40, 0x00, 0x9d, 0x50, 0x03, 0x0e, 0x00, 0x00, 0x01, 0x01, 0x00, 0x01,
    0x23, 0x06, 0xff, 0xff, 0xff, 0xf7, 0x28, 0x02, 0x22, 0xfc, 0xfa, 0x00,
];

#[test]
fn a_bundle_that_blew_up_automerge_is_refused() {
    let err = read_record(&BUNDLE_BLOW_UP).expect_err("a bundle is no document");
    assert!(err.to_string().contains("chunk type 3"), "{err}");
    assert_eq!(
        push_rejection(BUNDLE_BLOW_UP.to_vec()).code,
        RejectionCode::Malformed
    );
}

/// A compressed change chunk of about 128 KiB that inflates to 128 MiB of
/// zeros. Before sync-core screened pushes, automerge 0.12 inflated such
/// chunks whole before finding they held no change: one of about 1 MiB
/// (1 GiB inflated) took 3 GiB at peak and 4.5 s, measured.
fn deflate_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    for _ in 0..128 {
        encoder.write_all(&block).expect("deflate");
    }
    let bomb = encoder.finish().expect("deflate");
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut len = bomb.len();
    while len >= 0x80 {
        chunk.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    chunk.push(len as u8);
    chunk.extend(bomb);
    chunk
}

#[test]
fn a_deflate_bomb_is_refused_before_it_inflates() {
    let bomb = deflate_bomb();
    let err = read_record(&bomb).expect_err("a bomb is no document");
    assert!(err.to_string().contains("inflates to more than"), "{err}");
    let rejection = push_rejection(bomb);
    assert_eq!(rejection.code, RejectionCode::Malformed);
    assert!(
        rejection.detail.contains("inflates to more than"),
        "{}",
        rejection.detail
    );
}

/// An automerge document of a text of `len` letters `a`: a few hundred
/// bytes whatever the length, as its columns are runs and deflate well.
fn letters(len: usize) -> Vec<u8> {
    use automerge::transaction::Transactable;
    let mut doc = automerge::AutoCommit::new();
    let text = doc
        .put_object(automerge::ROOT, "text", automerge::ObjType::Text)
        .expect("text");
    doc.splice_text(&text, 0, 0, &"a".repeat(len))
        .expect("splice");
    doc.save()
}

#[test]
fn a_push_of_more_operations_than_a_record_can_hold_is_refused_unread() {
    // Over sync-core's 100,000: automerge took 2 s and 785 MiB to load 4
    // million list entries from 186 bytes, and run lengths can claim
    // billions.
    let bytes = letters(100_001);
    assert!(bytes.len() < 1000, "{} bytes", bytes.len());
    let rejection = push_rejection(bytes.clone());
    assert_eq!(rejection.code, RejectionCode::Malformed);
    assert!(
        rejection.detail.contains("more than 100000 operations"),
        "{}",
        rejection.detail
    );
    // A stored document is not held to it: these bytes fail later, for
    // want of a schema.
    let err = read_record(&bytes).expect_err("no record");
    assert!(!err.to_string().contains("operations"), "{err}");
}

/// Pushes to one person that each keep within the limit, but add up: the
/// merge that would leave the document holding more than 500,000
/// operations is refused as too large, and what was stored stays.
#[test]
fn pushes_that_add_up_to_too_many_operations_are_refused() {
    use automerge::transaction::Transactable;
    use sync_core::{
        Clock, DeviceId, DoorOutcome, Doorstep, EntryChannel, MemoryStore, NewPerson, Replica,
        SyncRequest, SystemClock,
    };
    let mut replica = Replica::open(
        MemoryStore::new(),
        DeviceId::new(SystemClock.now()),
        SystemClock,
    )
    .expect("replica");
    replica
        .create_person(&NewPerson::new("a", "p", EntryChannel::Doorstep), |p| {
            p.log_doorstep(Doorstep::new(DoorOutcome::Spoke))?;
            Ok(())
        })
        .expect("a person");
    let first = SyncRequest::decode(&replica.sync_request().expect("request"))
        .expect("decode")
        .pushes
        .remove(0);
    let PushMerge::Merged(merged) = merge_push(None, &first, &Scope::Admin, admin()) else {
        panic!("the person was not merged");
    };
    let mut stored = merged.bytes;
    let heads = |doc: &mut automerge::AutoCommit| -> Vec<[u8; 32]> {
        doc.get_heads().iter().map(|h| h.0).collect()
    };
    for round in 1..=6 {
        let mut doc = automerge::AutoCommit::load(&stored).expect("stored");
        let base = heads(&mut doc);
        let text = doc
            .put_object(
                automerge::ROOT,
                format!("junk {round}"),
                automerge::ObjType::Text,
            )
            .expect("text");
        doc.splice_text(&text, 0, 0, &"a".repeat(99_000))
            .expect("splice");
        let since: Vec<automerge::ChangeHash> =
            base.iter().map(|h| automerge::ChangeHash(*h)).collect();
        let push = Push {
            doc: first.doc,
            heads: heads(&mut doc),
            changes: doc.save_after(&since),
            base,
        };
        match merge_push(Some(&stored), &push, &Scope::Admin, admin()) {
            PushMerge::Merged(merged) if round < 6 => stored = merged.bytes,
            PushMerge::Rejected(r) if round == 6 => {
                assert_eq!(r.code, RejectionCode::TooLarge);
                assert!(r.detail.contains("500000 operations"), "{}", r.detail);
            }
            other => panic!("round {round}: {:?}", other.into_outcome()),
        }
    }
    assert!(
        read_record(&stored).is_ok(),
        "what was stored stays readable"
    );
}
