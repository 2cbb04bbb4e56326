//! The load generator: N simulated street champions' phones, each logging
//! doorstep sessions offline into its own replica and syncing with a real
//! `outreach serve` on 127.0.0.1, concurrently, for a bounded time. In crash
//! mode the server is killed with SIGKILL and restarted on the same
//! database while the phones keep syncing.
//!
//! Afterwards it checks what users care about: every change a phone saw
//! acknowledged (a sync that left nothing pending) is on the server, and
//! every phone, after a final sync, holds exactly what the server holds for
//! its patch. Used by the `outreach-load` binary and the crash test.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sync_core::{
    DeviceId, DocId, DoorOutcome, Doorstep, EntryChannel, MemoryStore, NewPerson, Replica,
    SystemClock,
};

use crate::server::ServeProcess;

/// The area the simulated phones work in.
const AREA: &str = "load-area";

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server's database: `sqlite://FILE` or `postgres://...`.
    pub database_url: String,
    /// Simulated phones, each a champion with a patch of its own.
    pub phones: usize,
    /// How long the phones keep logging and syncing.
    pub duration: Duration,
    /// Conversations per doorstep session (then the phone syncs).
    pub session_size: usize,
    /// How long a phone waits after a sync before its next session, on
    /// average (each wait is drawn between half and one and a half times
    /// this, so phones do not move in step; the first session starts after
    /// up to one pause). Zero: no wait, so the phones keep the server
    /// saturated.
    pub pause: Duration,
    /// How many times to SIGKILL and restart the server during the run.
    pub kills: usize,
    /// Seed of the phones' choices.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: String::new(),
            phones: 100,
            duration: Duration::from_secs(30),
            session_size: 30,
            pause: Duration::ZERO,
            kills: 0,
            seed: 7,
        }
    }
}

/// What a run measured and found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Phones that ran.
    pub phones: usize,
    /// Wall time of the load (without set-up and the final check).
    pub seconds: f64,
    /// Doorstep conversations logged on the phones.
    pub conversations: u64,
    /// Document changes the server accepted (merged and stored).
    pub merged: u64,
    /// Round trips that completed.
    pub round_trips: u64,
    /// Round trips that failed (server down or restarting) and were retried.
    pub failed_round_trips: u64,
    /// Sync round-trip latency, milliseconds: p50, p95, p99 and the
    /// longest (a phone that waited too long is not hidden by the
    /// percentiles).
    pub latency_ms: [f64; 4],
    /// Bytes sent and received on the sync endpoint.
    pub bytes: u64,
    /// What the server's processes used, over all their restarts.
    pub server: ServerUsage,
    /// Times the server was killed and restarted.
    pub kills: usize,
    /// Interactions a phone saw acknowledged that the server does not have.
    pub lost: usize,
    /// Acknowledged interactions checked.
    pub acknowledged: usize,
    /// Phones whose records differ from the server's after a final sync.
    pub diverged: usize,
}

impl Report {
    /// Changes merged per second.
    pub fn merged_per_second(&self) -> f64 {
        self.merged as f64 / self.seconds.max(f64::MIN_POSITIVE)
    }

    /// Bytes on the wire per logged conversation.
    pub fn bytes_per_conversation(&self) -> f64 {
        self.bytes as f64 / self.conversations.max(1) as f64
    }

    /// The server process's CPU time per merged change, microseconds.
    /// Unlike changes per second, this does not move with what else the
    /// machine is doing, so two builds compare on it in fewer runs.
    pub fn server_cpu_us_per_change(&self) -> f64 {
        self.server.cpu_ms as f64 * 1000.0 / self.merged.max(1) as f64
    }

    /// Bytes the server process caused to be written to disk per merged
    /// change (the database and its log, on SQLite).
    pub fn server_disk_bytes_per_change(&self) -> f64 {
        self.server.disk_write_bytes as f64 / self.merged.max(1) as f64
    }
}

/// What the server's processes used, read from `/proc` (Linux): peak
/// memory is the largest over the server's restarts, the rest their sum.
/// On PostgreSQL the database's own processes do its work, which is not
/// counted.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerUsage {
    /// Peak resident memory (VmHWM), KiB.
    pub peak_kib: u64,
    /// CPU time, user and system, milliseconds.
    pub cpu_ms: u64,
    /// Bytes written to storage (`write_bytes` in `/proc/PID/io`).
    pub disk_write_bytes: u64,
}

impl ServerUsage {
    /// Reads what the process `pid` has used so far; zeros where `/proc`
    /// has no answer.
    fn of(pid: u32) -> Self {
        let read = |file: &str| std::fs::read_to_string(format!("/proc/{pid}/{file}"));
        let field = |text: &str, name: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        let status = read("status").unwrap_or_default();
        let io = read("io").unwrap_or_default();
        // utime and stime are the 14th and 15th fields of `stat`, counted
        // in USER_HZ ticks, which Linux fixes at 100 a second. The fields
        // after the command name (which may hold spaces) start at the 3rd.
        let ticks: u64 = read("stat")
            .ok()
            .and_then(|stat| {
                let after_name = stat.rsplit_once(')')?.1.to_owned();
                let fields: Vec<&str> = after_name.split_whitespace().collect();
                Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
            })
            .unwrap_or(0);
        Self {
            peak_kib: field(&status, "VmHWM:"),
            cpu_ms: ticks * 10,
            disk_write_bytes: field(&io, "write_bytes:"),
        }
    }

    /// Adds one process's life (ended or about to end).
    fn add(&mut self, life: Self) {
        self.peak_kib = self.peak_kib.max(life.peak_kib);
        self.cpu_ms += life.cpu_ms;
        self.disk_write_bytes += life.disk_write_bytes;
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "phones                      {}", self.phones)?;
        writeln!(f, "seconds                     {:.1}", self.seconds)?;
        writeln!(f, "conversations logged        {}", self.conversations)?;
        writeln!(f, "changes merged              {}", self.merged)?;
        writeln!(
            f,
            "changes merged per second   {:.0}",
            self.merged_per_second()
        )?;
        writeln!(
            f,
            "round trips                 {} ({} failed and retried)",
            self.round_trips, self.failed_round_trips
        )?;
        writeln!(
            f,
            "sync latency p50/p95/p99    {:.0} / {:.0} / {:.0} ms",
            self.latency_ms[0], self.latency_ms[1], self.latency_ms[2]
        )?;
        writeln!(
            f,
            "longest sync round trip     {:.0} ms",
            self.latency_ms[3]
        )?;
        writeln!(
            f,
            "bytes per conversation      {:.0}",
            self.bytes_per_conversation()
        )?;
        writeln!(
            f,
            "server peak memory          {:.1} MiB",
            self.server.peak_kib as f64 / 1024.0
        )?;
        writeln!(
            f,
            "server CPU per change       {:.0} µs",
            self.server_cpu_us_per_change()
        )?;
        writeln!(
            f,
            "server disk writes/change   {:.0} bytes",
            self.server_disk_bytes_per_change()
        )?;
        writeln!(f, "server kills                {}", self.kills)?;
        writeln!(
            f,
            "acknowledged, lost          {}, {}",
            self.acknowledged, self.lost
        )?;
        write!(f, "phones diverged             {}", self.diverged)
    }
}

/// The server under load: its process, and where phones find it (the
/// address changes when it restarts).
struct Target {
    base: RwLock<String>,
}

struct Phone {
    replica: Replica<MemoryStore, SystemClock>,
    token: String,
    patch: String,
    rng: fastrand::Rng,
    /// The people this phone recorded. Kept here rather than decoded from
    /// the replica each session: the phones share the server's CPU.
    people: Vec<DocId>,
    /// Interactions logged since the last sync that left nothing pending.
    unacknowledged: Vec<String>,
    /// Interactions the server acknowledged: every one logged up to the
    /// last sync that left nothing pending (a phone sees only its own patch,
    /// which only it writes to).
    acknowledged: BTreeSet<String>,
}

#[derive(Default)]
struct Tally {
    conversations: u64,
    merged: u64,
    round_trips: u64,
    failed: u64,
    bytes: u64,
    latencies: Vec<f64>,
}

fn interaction_ids(replica: &Replica<MemoryStore, SystemClock>) -> BTreeSet<String> {
    replica
        .people()
        .expect("people")
        .iter()
        .flat_map(|p| p.interactions.iter().map(|i| i.id.to_string()))
        .collect()
}

impl Phone {
    /// Logs one doorstep session offline: new people and revisits.
    fn log_session(&mut self, size: usize, tally: &mut Tally) {
        // Revisits go to people known before the session began.
        let known = self.people.len();
        for _ in 0..size {
            let outcome = if self.rng.u8(..3) == 0 {
                DoorOutcome::NotIn
            } else {
                DoorOutcome::Spoke
            };
            let entry = if known == 0 || self.rng.bool() {
                let mut entry = None;
                let person = self
                    .replica
                    .create_person(
                        &NewPerson::new(AREA, &self.patch, EntryChannel::Doorstep),
                        |p| {
                            entry = Some(p.log_doorstep(Doorstep::new(outcome))?);
                            Ok(())
                        },
                    )
                    .expect("log a new person");
                self.people.push(person);
                entry.expect("the conversation was logged")
            } else {
                let id = self.people[self.rng.usize(..known)];
                self.replica
                    .edit_person(id, |p| p.log_doorstep(Doorstep::new(outcome)))
                    .expect("log a revisit")
            };
            self.unacknowledged.push(entry.to_string());
            tally.conversations += 1;
        }
    }

    /// Syncs until settled, retrying failed round trips (the server may
    /// be down) until `give_up`. Returns whether it settled.
    fn sync(
        &mut self,
        target: &Target,
        agent: &ureq::Agent,
        tally: &mut Tally,
        give_up: Instant,
    ) -> bool {
        let mut round_trips = 0;
        while Instant::now() < give_up && round_trips < 200 {
            let request = self.replica.sync_request().expect("sync request");
            let base = target.base.read().expect("base").clone();
            let started = Instant::now();
            let answer = agent
                .post(&format!("{base}/v1/sync"))
                .header("Authorization", &format!("Bearer {}", self.token))
                .content_type("application/octet-stream")
                .send(&request[..]);
            let body = match answer {
                Ok(mut response) if response.status() == 200 => response
                    .body_mut()
                    .with_config()
                    .limit(256 * 1024 * 1024)
                    .read_to_vec()
                    .ok(),
                _ => None,
            };
            let Some(body) = body else {
                tally.failed += 1;
                std::thread::sleep(Duration::from_millis(50));
                continue;
            };
            tally
                .latencies
                .push(started.elapsed().as_secs_f64() * 1000.0);
            tally.round_trips += 1;
            tally.bytes += (request.len() + body.len()) as u64;
            round_trips += 1;
            let outcome = self
                .replica
                .apply_sync_response(&body)
                .expect("apply the response");
            assert!(
                outcome.rejected.is_empty(),
                "the server rejected a phone's change: {:?}",
                outcome.rejected
            );
            tally.merged += outcome.accepted as u64;
            if outcome.settled() {
                if self.replica.pending_changes() == 0 {
                    self.acknowledged.extend(self.unacknowledged.drain(..));
                }
                return true;
            }
        }
        false
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs the load (and the kills), then the final sync and the checks.
pub fn run(config: &Config) -> Report {
    let runtime = crate::server::runtime();
    let db = runtime.block_on(async {
        let db = server::store::Db::connect(&config.database_url)
            .await
            .expect("the database");
        db.migrate().await.expect("migrate");
        db
    });
    let patches: Vec<String> = (0..config.phones).map(|i| format!("patch-{i}")).collect();
    runtime.block_on(async {
        let now = sync_core::Clock::now(&SystemClock);
        server::ops::area::edit(
            &db,
            server::ops::Actor::CommandLine,
            Some(AREA),
            "load area",
            now,
            |area| {
                area.name = "Load test area".into();
                for patch in &patches {
                    server::ops::area::set_patch(area, patch, patch, 1000);
                }
                Ok(())
            },
        )
        .await
        .expect("the area");
    });
    let mut server = ServeProcess::start(&config.database_url);
    let target = Arc::new(Target {
        base: RwLock::new(server.base.clone()),
    });
    let mut used = ServerUsage::default();
    let mut phones = Vec::new();
    for (i, patch) in patches.iter().enumerate() {
        let code = runtime.block_on(async {
            let now = sync_core::Clock::now(&SystemClock);
            let patches = BTreeSet::from([patch.clone()]);
            server::ops::devices::invite(
                &db,
                server::ops::Actor::CommandLine,
                server::ops::Role::Champion,
                &patches,
                now,
                3_600_000,
            )
            .await
            .expect("invite")
        });
        let registered: server::ops::Registered = crate::server::post_json(
            &format!("{}/v1/devices", server.base),
            None,
            &serde_json::json!({ "invite_code": code, "name": format!("load phone {i}") }),
            201,
        );
        let device: DeviceId = registered.device_id.parse().expect("device id");
        phones.push(Phone {
            replica: Replica::open(MemoryStore::new(), device, SystemClock).expect("replica"),
            token: registered.token,
            patch: patch.clone(),
            rng: fastrand::Rng::with_seed(config.seed.wrapping_add(i as u64)),
            people: Vec::new(),
            unacknowledged: Vec::new(),
            acknowledged: BTreeSet::new(),
        });
    }

    let started = Instant::now();
    let deadline = started + config.duration;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let workers: Vec<_> = phones
        .into_iter()
        .map(|mut phone| {
            let (target, tally, agent) = (target.clone(), tally.clone(), agent.clone());
            let (session_size, pause) = (config.session_size, config.pause);
            std::thread::spawn(move || {
                let mut mine = Tally::default();
                std::thread::sleep(pause.mul_f64(phone.rng.f64()));
                while Instant::now() < deadline {
                    phone.log_session(session_size, &mut mine);
                    phone.sync(&target, &agent, &mut mine, deadline);
                    let wait = pause.mul_f64(0.5 + phone.rng.f64());
                    std::thread::sleep(
                        wait.min(deadline.saturating_duration_since(Instant::now())),
                    );
                }
                let mut all = tally.lock().expect("tally");
                all.conversations += mine.conversations;
                all.merged += mine.merged;
                all.round_trips += mine.round_trips;
                all.failed += mine.failed;
                all.bytes += mine.bytes;
                all.latencies.extend(mine.latencies);
                phone
            })
        })
        .collect();

    // The killer: SIGKILL and restart, evenly spread over the run.
    let mut kills = 0;
    if config.kills > 0 {
        let every = config.duration / (config.kills as u32 + 1);
        for _ in 0..config.kills {
            std::thread::sleep(every);
            used.add(ServerUsage::of(server.pid()));
            server.kill();
            server = ServeProcess::start(&config.database_url);
            *target.base.write().expect("base") = server.base.clone();
            kills += 1;
        }
    }
    let mut phones: Vec<Phone> = workers
        .into_iter()
        .map(|w| w.join().expect("a phone thread panicked"))
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    used.add(ServerUsage::of(server.pid()));

    // Every phone syncs once more with the server up, then the checks.
    let mut final_tally = Tally::default();
    let give_up = Instant::now() + Duration::from_secs(120);
    for phone in &mut phones {
        assert!(
            phone.sync(&target, &agent, &mut final_tally, give_up),
            "a phone's final sync did not settle"
        );
        assert_eq!(phone.replica.pending_changes(), 0, "changes left unsent");
    }
    let (lost, acknowledged, diverged) = runtime.block_on(async {
        let stored: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.id, p.patch FROM interactions i JOIN people p ON p.id = i.person_id",
        )
        .fetch_all(&db.pool)
        .await
        .expect("the server's interactions");
        let on_server: BTreeSet<&str> = stored.iter().map(|(id, _)| id.as_str()).collect();
        let mut lost = 0;
        let mut acknowledged = 0;
        let mut diverged = 0;
        for phone in &phones {
            acknowledged += phone.acknowledged.len();
            lost += phone
                .acknowledged
                .iter()
                .filter(|id| !on_server.contains(id.as_str()))
                .count();
            let server_side: BTreeSet<String> = stored
                .iter()
                .filter(|(_, patch)| *patch == phone.patch)
                .map(|(id, _)| id.clone())
                .collect();
            if server_side != interaction_ids(&phone.replica) {
                diverged += 1;
            }
        }
        (lost, acknowledged, diverged)
    });
    let mut latencies = std::mem::take(&mut tally.lock().expect("tally").latencies);
    latencies.sort_by(f64::total_cmp);
    let all = tally.lock().expect("tally");
    Report {
        phones: phones.len(),
        seconds,
        conversations: all.conversations,
        merged: all.merged,
        round_trips: all.round_trips,
        failed_round_trips: all.failed,
        latency_ms: [
            percentile(&latencies, 50.0),
            percentile(&latencies, 95.0),
            percentile(&latencies, 99.0),
            latencies.last().copied().unwrap_or(0.0),
        ],
        bytes: all.bytes,
        server: used,
        kills,
        lost,
        acknowledged,
        diverged,
    }
}

#[cfg(test)]
mod tests {
    use super::{ServerUsage, percentile};

    /// What `/proc` says of this very process: it has memory, and CPU time
    /// once it has spent some.
    #[test]
    fn usage_is_read_from_proc() {
        let started = std::time::Instant::now();
        let mut spin = 0u64;
        while started.elapsed() < std::time::Duration::from_millis(100) {
            spin = std::hint::black_box(spin.wrapping_add(1));
        }
        let usage = ServerUsage::of(std::process::id());
        assert!(usage.peak_kib > 0, "{usage:?}");
        assert!(usage.cpu_ms >= 10, "{usage:?}");
        let mut total = ServerUsage::default();
        total.add(usage);
        total.add(usage);
        assert_eq!(total.peak_kib, usage.peak_kib);
        assert_eq!(total.cpu_ms, 2 * usage.cpu_ms);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
