//! Helpers for the server's unit tests: a phone and the pushes it makes.

use sync_core::{
    DeviceId, EntryChannel, ManualClock, MemoryStore, NewPerson, Push, Replica, SyncRequest,
    Timestamp,
};

/// A test's clock reading: 2026-09-10.
pub(crate) const NOW: Timestamp = Timestamp::from_millis(1_789_000_000_000);

/// A phone in memory.
pub(crate) type TestPhone = Replica<MemoryStore, ManualClock>;

/// A new phone whose clock reads `now`.
pub(crate) fn test_phone(now: Timestamp) -> TestPhone {
    Replica::open(
        MemoryStore::new(),
        DeviceId::new(now),
        ManualClock::new(now),
    )
    .expect("replica")
}

/// The phone records a new person called `name`: that person's push.
pub(crate) fn new_person_push(phone: &mut TestPhone, name: &str) -> Push {
    let id = phone
        .create_person(
            &NewPerson::new("area", "patch", EntryChannel::Doorstep),
            |p| p.set_name(Some(name)),
        )
        .expect("person");
    let request = SyncRequest::decode(&phone.sync_request().expect("request")).expect("decode");
    request
        .pushes
        .into_iter()
        .find(|p| p.doc == id)
        .expect("push")
}
