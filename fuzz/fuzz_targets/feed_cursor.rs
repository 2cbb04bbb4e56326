//! A phone's opaque feed cursor, read back by the server: any bytes give a
//! cursor, never a panic, and a cursor the hub wrote reads back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::{FeedCursor, Scope};

fuzz_target!(|data: &[u8]| {
    let epoch = data.first().copied().map_or(0, u64::from);
    let (cursor, _) = FeedCursor::read(data, &Scope::Admin, epoch);
    let written = cursor.write(&Scope::Admin);
    assert_eq!(FeedCursor::read(&written, &Scope::Admin, epoch), (cursor, false));
});
