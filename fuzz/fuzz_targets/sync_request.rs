//! The server's first look at a phone's bytes: decoding a sync request
//! must return an error, never panic, and what decodes must encode back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::SyncRequest;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = SyncRequest::decode(data) {
        let again = SyncRequest::decode(&request.encode()).expect("a re-encoded request decodes");
        assert_eq!(again, request);
    }
});
