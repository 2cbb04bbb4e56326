//! Durability: a phone killed at any moment keeps every conversation whose
//! "log conversation" call had returned.
//!
//! The parent test starts this same test binary again as a child process
//! that logs conversations into the phone's SQLite store as fast as it can, printing an
//! acknowledgement after each call returns. The parent kills it with SIGKILL
//! at random moments, reopens the store, and checks that every acknowledged
//! conversation is there, every document still reads, and the index the
//! lists read agrees with the documents.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sync_core::{
    DeviceId, DocId, DoorOutcome, Doorstep, EntryChannel, EntryId, NewPerson, Page, Replica,
    SqliteStore, SystemClock,
};

const CHILD_DIR: &str = "OUTREACH_CRASH_CHILD_DIR";
const CHILD_DEVICE: &str = "OUTREACH_CRASH_CHILD_DEVICE";
const CHILD_TEST: &str = "child_logs_conversations_until_killed";
const KILLS: usize = 12;
/// Most conversations one child logs, so a child that is never killed stops.
const CHILD_MAX_LOGS: usize = 20_000;

/// The child's side: does nothing unless started by the parent test.
#[test]
fn child_logs_conversations_until_killed() {
    let (Ok(dir), Ok(device)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_DEVICE)) else {
        return;
    };
    let device: DeviceId = device.parse().expect("device id");
    let store = SqliteStore::open(Path::new(&dir)).expect("open store");
    let mut phone = Replica::open(store, device, SystemClock).expect("open replica");
    let mut people = phone.document_ids().expect("list");
    let mut out = std::io::stdout().lock();
    for n in 0..CHILD_MAX_LOGS {
        let doorstep = Doorstep::new(DoorOutcome::Spoke)
            .topic("parks")
            .follow_up("Send the parks survey", None);
        // Alternate between new people and more conversations with known ones.
        let (doc, entry) = if n % 2 == 0 || people.is_empty() {
            let mut entry = None;
            let new = NewPerson::new("north-estate", "elm-road", EntryChannel::Doorstep);
            let doc = phone
                .create_person(&new, |p| {
                    p.set_name(Some("Sam Doorstep"))?;
                    entry = Some(p.log_doorstep(doorstep)?);
                    Ok(())
                })
                .expect("create");
            people.push(doc);
            (doc, entry.expect("entry"))
        } else {
            let doc = people[n % people.len()];
            let entry = phone
                .edit_person(doc, |p| p.log_doorstep(doorstep))
                .expect("edit");
            (doc, entry)
        };
        writeln!(out, "ACK {doc} {entry}").expect("stdout");
        out.flush().expect("stdout");
    }
}

/// A small deterministic generator for kill delays (no dependency needed).
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn conversations_survive_the_phone_being_killed_at_random_points() {
    let dir = tempfile::tempdir().unwrap();
    let device = DeviceId::new(sync_core::Timestamp::from_millis(1_760_000_000_000));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = XorShift(seed);
    let mut acked: Vec<(DocId, EntryId)> = Vec::new();
    let exe = std::env::current_exe().unwrap();
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_DEVICE, device.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the child to get going, then kill it a random while later.
        let started = Instant::now();
        let first = lines.recv_timeout(Duration::from_secs(30));
        let delay = Duration::from_millis(rng.below(150));
        std::thread::sleep(delay);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the child finished before it was killed"
        );
        reader.join().unwrap();
        let before = acked.len();
        for line in first.into_iter().chain(lines.try_iter()) {
            if let Some(ack) = line.strip_prefix("ACK ") {
                let (doc, entry) = ack.split_once(' ').unwrap();
                acked.push((doc.parse().unwrap(), entry.parse().unwrap()));
            }
        }
        eprintln!(
            "round {round}: killed after {:?} and {} acknowledged conversations",
            started.elapsed(),
            acked.len() - before
        );

        // Reopen, as the phone would on its next start, and check everything.
        let store = SqliteStore::open(dir.path()).unwrap();
        let phone = Replica::open(store, device, SystemClock).unwrap();
        let people = phone.people().unwrap();
        assert_eq!(
            people.len(),
            phone.document_ids().unwrap().len(),
            "a document does not read"
        );
        for (doc, entry) in &acked {
            let person = phone
                .person(*doc)
                .unwrap_or_else(|e| panic!("round {round}: {doc} lost: {e}"));
            assert!(
                person.interaction(*entry).is_some(),
                "round {round}: conversation {entry} of {doc} lost"
            );
        }
        // Each document was written with its listing, in one transaction.
        assert_eq!(
            phone.search_people("", Page::ALL).unwrap().len(),
            people.len(),
            "round {round}: the index misses someone"
        );
        let owed: usize = people.iter().map(|p| p.follow_ups_owed().count()).sum();
        assert_eq!(
            phone.follow_ups_owed().unwrap().len(),
            owed,
            "round {round}: the index's follow-ups differ from the documents'"
        );
        // Nothing was synced, so every document must be marked for pushing.
        assert_eq!(
            phone.pending_changes(),
            people.len(),
            "round {round}: an unsynced change is not marked"
        );
    }
    assert!(
        acked.len() >= KILLS,
        "the children logged too little to test anything"
    );
}
