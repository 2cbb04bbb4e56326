//! The phone's first look at the server's bytes: decoding a sync response
//! must return an error, never panic, and what decodes must encode back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::SyncResponse;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = SyncResponse::decode(data) {
        let again =
            SyncResponse::decode(&response.encode()).expect("a re-encoded response decodes");
        assert_eq!(again, response);
    }
});
