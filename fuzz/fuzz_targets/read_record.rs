//! Loading a stored document (automerge bytes) into a record: any bytes
//! give a record or an error, never a panic.
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

fuzz_target!(|data: &[u8]| {
    QUIET_PANICS.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let _ = sync_core::read_record(data);
});
