//! Helpers for the end-to-end tests in `tests/tests` (one binary, a module
//! per scenario): the shared test clock ([`START`]); the sync algorithm's
//! implementations behind one trait ([`hubs`]) and a fleet of simulated
//! phones around one of them ([`Fleet`]); test databases, real servers on
//! 127.0.0.1 and phones that sync with them over HTTP ([`server`]); the
//! dashboard as a browser without scripts sees it ([`web`]); and the load
//! generator behind `outreach-load` and the crash test ([`load`]); and an
//! auditor of what reports publish that shares no code with the server's
//! disclosure control ([`auditor`]).

pub mod auditor;
pub mod hubs;
pub mod load;
pub mod server;
pub mod web;

/// When tests start, unless they need a date of their own: 2026-09-10.
pub const START: Timestamp = Timestamp::from_millis(1_789_000_000_000);

/// An hour, in milliseconds.
pub const HOUR: i64 = 3_600_000;

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

use sync_core::{DeviceId, ManualClock, Replica, Scope, SqliteStore, SyncOutcome, Timestamp};
use tempfile::TempDir;

use crate::hubs::Hub;

/// A champion's scope for these patches.
pub fn champion(patches: &[&str]) -> Scope {
    Scope::Champion {
        patches: patches
            .iter()
            .map(|p| (*p).to_owned())
            .collect::<BTreeSet<_>>(),
    }
}

/// A phone: a replica on the phone's SQLite store in its own temporary directory.
pub type Phone = Replica<SqliteStore, ManualClock>;

/// Phones and the hub they sync with, sharing the hub's clock.
#[derive(Debug)]
pub struct Fleet<H: Hub> {
    /// The shared clock (advance it to move time on).
    pub clock: ManualClock,
    /// The hub.
    pub hub: H,
    phones: Vec<Slot>,
}

#[derive(Debug)]
struct Slot {
    /// `None` only while the phone restarts.
    phone: Option<Phone>,
    device: DeviceId,
    scope: Scope,
    dir: TempDir,
}

impl Slot {
    fn phone(&mut self) -> &mut Phone {
        self.phone.as_mut().expect("phone is open")
    }
}

impl<H: Hub> Fleet<H> {
    /// A fleet with no phones yet around `hub`.
    pub fn new(hub: H) -> Self {
        Self {
            clock: hub.clock().clone(),
            hub,
            phones: Vec::new(),
        }
    }

    /// Adds a phone registered with `scope` (a youth worker's scope is
    /// made for the new device) and returns its index.
    pub fn add_phone(&mut self, scope: Scope) -> usize {
        let device = self.hub.register(&scope);
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SqliteStore::open(dir.path()).expect("phone store");
        let phone = Replica::open(store, device, self.clock.clone()).expect("replica");
        let scope = match scope {
            Scope::YouthWorker { .. } => Scope::YouthWorker { device },
            other => other,
        };
        self.phones.push(Slot {
            phone: Some(phone),
            device,
            scope,
            dir,
        });
        self.phones.len() - 1
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
        // Closing releases the store's lock, as the process exiting would.
        drop(slot.phone.take());
        let store = SqliteStore::open(slot.dir.path()).expect("reopen store");
        slot.phone =
            Some(Replica::open(store, slot.device, self.clock.clone()).expect("reopen replica"));
    }

    /// Syncs the phone at `index` until it has nothing more to exchange.
    pub fn sync(&mut self, index: usize) -> SyncOutcome {
        let slot = &mut self.phones[index];
        let phone = slot.phone.as_mut().expect("phone is open");
        let outcome = self.hub.sync(slot.device, phone);
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
