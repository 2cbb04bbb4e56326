//! The sync algorithm's implementations behind one trait, so that one
//! suite of scenarios runs against all of them: [`Reference`], sync-core's
//! in-memory `MemoryHub`, and [`Served`], the real server's use cases over
//! SQLite or PostgreSQL, in process (the HTTP layer is tested on its own).

use std::collections::BTreeMap;
use std::sync::Arc;

use server::ops::{self, Actor, Role};
use server::store::Db;
use sync_core::{
    Clock, DeviceId, DocId, Head, ManualClock, MemoryHub, Record, Replica, Scope, Storage,
    SyncOutcome, SyncResponse, Timestamp, read_record,
};

use crate::START;
use crate::server::{TestDb, connect, runtime};

/// A sync hub under test. Calls panic on failure: they are test steps.
pub trait Hub {
    /// Its clock: phones share it (`clock().clone()`).
    fn clock(&self) -> &ManualClock;

    /// A new device with `scope` (a youth worker's is made for the new
    /// device), registered as the hub registers phones: its id.
    fn register(&mut self, scope: &Scope) -> DeviceId;

    /// Answers one sync request from a registered device.
    fn handle(&mut self, device: DeviceId, request: &[u8]) -> Vec<u8>;

    /// Merges two records of one person, as an admin.
    fn merge_people(&mut self, survivor: DocId, other: DocId);

    /// Erases a record, as an admin; whether it was held.
    fn erase(&mut self, id: DocId) -> bool;

    /// Revokes a device, as an admin: it is told to wipe at its next sync.
    fn revoke(&mut self, device: DeviceId);

    /// The record held for an id.
    fn record(&self, id: DocId) -> Option<Record>;

    /// A held document's heads, sorted.
    fn heads(&self, id: DocId) -> Option<Vec<Head>>;

    /// The ids of the documents held, in order.
    fn document_ids(&self) -> Vec<DocId>;

    /// Every byte the hub holds, to check that erased data is gone.
    fn raw_bytes(&self) -> Vec<u8>;

    /// Every record held, by id.
    fn records(&self) -> Vec<Record> {
        self.document_ids()
            .into_iter()
            .filter_map(|id| self.record(id))
            .collect()
    }

    /// Syncs a phone of `device` until neither side has more to send (at
    /// most `MemoryHub::MAX_SYNC_ROUNDS` round trips). The outcomes, added up.
    fn sync<S: Storage, C: Clock>(
        &mut self,
        device: DeviceId,
        replica: &mut Replica<S, C>,
    ) -> SyncOutcome {
        let mut total = SyncOutcome::default();
        for _ in 0..MemoryHub::MAX_SYNC_ROUNDS {
            let request = replica.sync_request().expect("a sync request");
            let response = self.handle(device, &request);
            total.absorb(replica.apply_sync_response(&response).expect("applied"));
            if total.settled() {
                break;
            }
        }
        total
    }
}

/// A device as a test hub knows it.
#[derive(Debug, Clone)]
struct Known {
    scope: Scope,
    revoked: bool,
}

/// The reference: sync-core's `MemoryHub`, with the registry of devices
/// the server keeps (scopes, revocation) around it.
#[derive(Debug)]
pub struct Reference {
    hub: MemoryHub,
    devices: BTreeMap<DeviceId, Known>,
    clock: ManualClock,
}

impl Reference {
    /// An empty hub, its clock at [`START`].
    pub fn new() -> Self {
        Self::with_page_size(MemoryHub::DEFAULT_PAGE_DOCS)
    }

    /// An empty hub sending at most `page_docs` documents per response.
    pub fn with_page_size(page_docs: usize) -> Self {
        Self {
            hub: MemoryHub::with_page_size(page_docs),
            devices: BTreeMap::new(),
            clock: ManualClock::new(START),
        }
    }
}

impl Default for Reference {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub for Reference {
    fn clock(&self) -> &ManualClock {
        &self.clock
    }

    fn register(&mut self, scope: &Scope) -> DeviceId {
        let device = DeviceId::new(self.clock.now());
        let scope = match scope {
            Scope::YouthWorker { .. } => Scope::YouthWorker { device },
            other => other.clone(),
        };
        self.devices.insert(
            device,
            Known {
                scope,
                revoked: false,
            },
        );
        device
    }

    fn handle(&mut self, device: DeviceId, request: &[u8]) -> Vec<u8> {
        let known = self.devices.get(&device).expect("a registered device");
        if known.revoked {
            return SyncResponse {
                wipe: true,
                ..SyncResponse::default()
            }
            .encode();
        }
        self.hub
            .handle(&known.scope, device, request)
            .expect("a response")
    }

    fn merge_people(&mut self, survivor: DocId, other: DocId) {
        self.hub
            .merge_people(survivor, other, self.clock.now())
            .expect("merged");
    }

    fn erase(&mut self, id: DocId) -> bool {
        self.hub.erase(id)
    }

    fn revoke(&mut self, device: DeviceId) {
        self.devices
            .get_mut(&device)
            .expect("a registered device")
            .revoked = true;
    }

    fn record(&self, id: DocId) -> Option<Record> {
        self.hub.record(id)
    }

    fn heads(&self, id: DocId) -> Option<Vec<Head>> {
        self.hub.heads(id)
    }

    fn document_ids(&self) -> Vec<DocId> {
        self.hub.document_ids()
    }

    fn raw_bytes(&self) -> Vec<u8> {
        self.hub.raw_bytes()
    }
}

/// The real server's use cases (`server::ops`) on a test database, in
/// process: devices registered with invites and authenticated by token on
/// every request, as over HTTP.
pub struct Served {
    db: Arc<Db>,
    test_db: TestDb,
    tokens: BTreeMap<DeviceId, String>,
    clock: ManualClock,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served")
            .field("database", &self.test_db.label)
            .finish_non_exhaustive()
    }
}

impl Served {
    /// The server on a fresh database, its clock at [`START`].
    pub fn start(test_db: TestDb) -> Self {
        let runtime = runtime();
        let db = Arc::new(runtime.block_on(connect(&test_db)));
        Self {
            db,
            test_db,
            tokens: BTreeMap::new(),
            clock: ManualClock::new(START),
            runtime,
        }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn stored(&self, id: DocId) -> Option<Vec<u8>> {
        self.runtime.block_on(async {
            let mut conn = self.db.pool.acquire().await.expect("a connection");
            server::store::documents::bytes(&mut conn, id)
                .await
                .expect("a read")
        })
    }
}

impl Hub for Served {
    fn clock(&self) -> &ManualClock {
        &self.clock
    }

    fn register(&mut self, scope: &Scope) -> DeviceId {
        let (role, patches) = match scope {
            Scope::Admin => (Role::Admin, Default::default()),
            Scope::Champion { patches } => (Role::Champion, patches.clone()),
            Scope::YouthWorker { .. } => (Role::YouthWorker, Default::default()),
            Scope::Viewer => (Role::Viewer, Default::default()),
        };
        let now = self.now();
        let registered = self.runtime.block_on(async {
            let lifetime = ops::INVITE_DAYS * Timestamp::DAY_MILLIS;
            let code =
                ops::devices::invite(&self.db, Actor::CommandLine, role, &patches, now, lifetime)
                    .await
                    .expect("an invite");
            ops::devices::register(&self.db, &code, "test phone", now)
                .await
                .expect("registered")
        });
        let device: DeviceId = registered.device_id.parse().expect("a device id");
        self.tokens.insert(device, registered.token);
        device
    }

    fn handle(&mut self, device: DeviceId, request: &[u8]) -> Vec<u8> {
        let token = self.tokens.get(&device).expect("a registered device");
        let now = self.now();
        self.runtime.block_on(async {
            let device = ops::devices::authenticate(&self.db, token)
                .await
                .expect("the device's token");
            ops::sync::exchange(&self.db, &device, request, now)
                .await
                .expect("a response")
                .bytes
        })
    }

    fn merge_people(&mut self, survivor: DocId, other: DocId) {
        let now = self.now();
        self.runtime
            .block_on(ops::people::merge(
                &self.db,
                Actor::CommandLine,
                survivor,
                other,
                now,
            ))
            .expect("merged");
    }

    fn erase(&mut self, id: DocId) -> bool {
        let now = self.now();
        self.runtime
            .block_on(ops::people::erase(&self.db, Actor::CommandLine, id, now))
            .expect("erased")
    }

    fn revoke(&mut self, device: DeviceId) {
        let now = self.now();
        self.runtime
            .block_on(ops::devices::revoke(
                &self.db,
                Actor::CommandLine,
                device,
                now,
            ))
            .expect("revoked");
    }

    fn record(&self, id: DocId) -> Option<Record> {
        read_record(&self.stored(id)?).ok()
    }

    fn heads(&self, id: DocId) -> Option<Vec<Head>> {
        sync_core::hub::document_heads(&self.stored(id)?).ok()
    }

    fn document_ids(&self) -> Vec<DocId> {
        let rows: Vec<(String,)> = self.runtime.block_on(async {
            sqlx::query_as("SELECT id FROM documents")
                .fetch_all(&self.db.pool)
                .await
                .expect("the document ids")
        });
        let mut ids: Vec<DocId> = rows
            .into_iter()
            .map(|(id,)| id.parse().expect("a document id"))
            .collect();
        ids.sort();
        ids
    }

    fn raw_bytes(&self) -> Vec<u8> {
        crate::server::database_bytes(&self.runtime, &self.db, &self.test_db)
    }
}

/// Runs each named scenario (a function taking an `impl Hub`) against
/// every implementation: as `memory::NAME`, `sqlite::NAME`, and
/// `postgres::NAME` when PostgreSQL is configured (see
/// [`crate::server::postgres`]).
#[macro_export]
macro_rules! on_every_hub {
    ($($test:ident),+ $(,)?) => {
        mod memory {
            $(
                #[test]
                fn $test() {
                    super::$test($crate::hubs::Reference::new());
                }
            )+
        }
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    super::$test($crate::hubs::Served::start($crate::server::sqlite()));
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $test() {
                    if let Some(db) = $crate::server::postgres() {
                        super::$test($crate::hubs::Served::start(db));
                    }
                }
            )+
        }
    };
}
