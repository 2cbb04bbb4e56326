//! The hub's merge of a push from a phone, with arbitrary change bytes and
//! heads, onto nothing or onto an arbitrary stored document: an outcome,
//! never a panic.
//!
//! sync-core turns panics inside automerge's parser into errors (it has
//! one on some malformed input). libfuzzer-sys's panic hook would abort
//! before that, so it is replaced by a silent one: a panic that escapes
//! still aborts the run (libfuzzer-sys catches it and aborts), and is a
//! finding.
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

static QUIET_PANICS: Once = Once::new();
use sync_core::{DeviceId, DocId, Push, Scope, Timestamp, merge_push};

fuzz_target!(|data: &[u8]| {
    QUIET_PANICS.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let (stored, rest) = match data.split_first() {
        Some((&n, rest)) if usize::from(n) <= rest.len() => {
            let (stored, rest) = rest.split_at(usize::from(n) * 4 % (rest.len() + 1));
            (Some(stored), rest)
        }
        _ => (None, data),
    };
    let mut heads = Vec::new();
    if rest.len() >= 32 {
        let mut head = [0u8; 32];
        head.copy_from_slice(&rest[..32]);
        heads.push(head);
    }
    let push = Push {
        doc: DocId::new(Timestamp::from_millis(1_789_000_000_000)),
        base: Vec::new(),
        heads,
        changes: rest.to_vec(),
    };
    let _ = merge_push(stored, &push, &Scope::Admin, DeviceId::new(Timestamp::from_millis(0)));
});
