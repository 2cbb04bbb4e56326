//! Helpers for the end-to-end tests in `tests/tests`: a fleet of simulated
//! phones, each with its own file store and scope, around one hub; and (in
//! [`server`]) test databases, real servers on 127.0.0.1 and phones that
//! sync with them over HTTP; and (in [`load`]) the load generator behind
//! `outreach-load` and the crash test.

pub mod load;
pub mod server;

/// Runs each named test function (taking a [`server::TestDb`]) once per
/// database: as `sqlite::NAME`, and as `postgres::NAME` when PostgreSQL is
/// configured (see [`server::postgres`]).
#[macro_export]
macro_rules! on_every_database {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    super::$test($crate::server::sqlite());
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $test() {
                    if let Some(db) = $crate::server::postgres() {
                        super::$test(db);
                    }
                }
            )+
        }
    };
}

use std::collections::BTreeSet;

use sync_core::{
    DeviceId, FileStore, ManualClock, MemoryHub, Replica, Scope, SyncOutcome, Timestamp,
};
use tempfile::TempDir;

/// A phone: a replica on a file store in its own temporary directory.
pub type Phone = Replica<FileStore, ManualClock>;

/// Phones and the hub they sync with, sharing one clock.
#[derive(Debug)]
pub struct Fleet {
    /// The shared clock (advance it to move time on).
    pub clock: ManualClock,
    /// The hub.
    pub hub: MemoryHub,
    phones: Vec<Slot>,
}

#[derive(Debug)]
struct Slot {
    /// `None` only while the phone restarts.
    phone: Option<Phone>,
    scope: Scope,
    dir: TempDir,
}

impl Slot {
    fn phone(&mut self) -> &mut Phone {
        self.phone.as_mut().expect("phone is open")
    }
}

impl Fleet {
    /// A fleet with no phones yet, its clock at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            clock: ManualClock::new(start),
            hub: MemoryHub::new(),
            phones: Vec::new(),
        }
    }

    /// Adds a phone with `scope` (a youth worker's scope is made for the
    /// new device) and returns its index.
    pub fn add_phone(&mut self, scope: Scope) -> usize {
        let dir = tempfile::tempdir().expect("temporary directory");
        let device = DeviceId::new(self.clock.now());
        let store = FileStore::open(dir.path()).expect("file store");
        let phone = Replica::open(store, device, self.clock.clone()).expect("replica");
        let scope = match scope {
            Scope::YouthWorker { .. } => Scope::YouthWorker { device },
            other => other,
        };
        self.phones.push(Slot {
            phone: Some(phone),
            scope,
            dir,
        });
        self.phones.len() - 1
    }

    /// A champion's scope for these patches.
    pub fn champion(patches: &[&str]) -> Scope {
        Scope::Champion {
            patches: patches
                .iter()
                .map(|p| (*p).to_owned())
                .collect::<BTreeSet<_>>(),
        }
    }

    /// The phone at `index`.
    pub fn phone(&mut self, index: usize) -> &mut Phone {
        self.phones[index].phone()
    }

    /// The scope of the phone at `index`.
    pub fn scope(&self, index: usize) -> &Scope {
        &self.phones[index].scope
    }

    /// Closes the phone at `index` and opens its store again, as after the
    /// app was killed.
    pub fn restart(&mut self, index: usize) {
        let slot = &mut self.phones[index];
        let device = slot.phone().device();
        // Closing releases the store's lock, as the process exiting would.
        drop(slot.phone.take());
        let store = FileStore::open(slot.dir.path()).expect("reopen store");
        slot.phone =
            Some(Replica::open(store, device, self.clock.clone()).expect("reopen replica"));
    }

    /// Syncs the phone at `index` until it has nothing more to exchange.
    pub fn sync(&mut self, index: usize) -> SyncOutcome {
        let slot = &mut self.phones[index];
        let phone = slot.phone.as_mut().expect("phone is open");
        let outcome = self.hub.sync(&slot.scope, phone).expect("sync");
        assert!(!outcome.more, "sync did not settle: {outcome:?}");
        outcome
    }

    /// Syncs every phone, twice round, so each hears from all the others.
    pub fn sync_all(&mut self) {
        for _ in 0..2 {
            for index in 0..self.phones.len() {
                self.sync(index);
            }
        }
    }

    /// How many phones there are.
    pub fn len(&self) -> usize {
        self.phones.len()
    }

    /// Whether there are no phones.
    pub fn is_empty(&self) -> bool {
        self.phones.is_empty()
    }
}
