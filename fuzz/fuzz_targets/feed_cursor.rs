//! A phone's opaque feed cursor, read back by the server: any bytes give a
//! cursor, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::{FeedCursor, Scope};

fuzz_target!(|data: &[u8]| {
    let _ = FeedCursor::read(data, &Scope::Admin);
});
