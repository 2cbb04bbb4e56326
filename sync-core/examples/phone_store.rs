//! The phone's store at the size of a whole area: the lists and searches a
//! champion's app shows, opening the store, logging a conversation, and the
//! bytes kept per person, on the SQLite store and on the file store it
//! replaced, with the same records, timed in turns (file, SQLite, file, ...)
//! so that the machine's noise falls on both alike.
//!
//! ```sh
//! cargo run --release -p sync-core --example phone_store              # 10,000 people
//! cargo run --release -p sync-core --example phone_store -- --people 2000 --runs 5
//! cargo run --release -p sync-core --example phone_store -- --keep /tmp  # keeps the SQLite store
//! ```
//!
//! The records are made on one phone, synced to an in-memory hub, and
//! received by one phone on each store, as a champion's phone receives its
//! area: so nothing waits to be pushed. Figures go in BENCHMARKS.md.
#![allow(clippy::print_stdout, reason = "a benchmark prints what it measured")]

use std::path::Path;
use std::time::{Duration, Instant};

use sync_core::{
    AgeBand, DeviceId, DocId, DoorOutcome, Doorstep, EntryChannel, FileStore, Location,
    ManualClock, MemoryHub, MemoryStore, NewAddress, NewConversation, NewPerson, Page,
    PersonDetails, Replica, Scope, SqliteStore, Storage, Timestamp,
};

const START: Timestamp = Timestamp::from_millis(1_760_000_000_000);
const PATCHES: [&str; 10] = [
    "elm-road",
    "oak-lane",
    "birch-close",
    "ash-grove",
    "north-estate",
    "mill-street",
    "the-green",
    "station-road",
    "church-lane",
    "park-view",
];
const FIRST: [&str; 24] = [
    "Sam", "Zoë", "Ann", "Mohammed", "Aisha", "José", "Chloé", "Tom", "Fatima", "Liam", "Amira",
    "Noah", "Olivia", "Jonas", "Siobhán", "Kwame", "Priya", "Oliver", "Grace", "Yusuf", "Łukasz",
    "Maria", "Hannah", "Ben",
];
const LAST: [&str; 20] = [
    "Jones", "Smith", "Khan", "Brontë", "Nowak", "Okafor", "Patel", "Williams", "Núñez", "Taylor",
    "O'Brien", "Ahmed", "Brown", "Müller", "Davies", "Evans", "Hussain", "Wilson", "Clarke", "Lee",
];
const STREETS: [&str; 8] = [
    "Oak Lane",
    "Elm Road",
    "Station Road",
    "Mill Street",
    "Church Lane",
    "Park View",
    "The Green",
    "Birch Close",
];

struct Options {
    people: usize,
    runs: usize,
    /// Where to keep the SQLite store, to look inside it afterwards.
    keep: Option<std::path::PathBuf>,
}

fn options() -> Options {
    let mut options = Options {
        people: 10_000,
        runs: 11,
        keep: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--people" => options.people = value(),
            "--runs" => options.runs = value(),
            "--keep" => options.keep = args.next().map(Into::into),
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

/// A small deterministic generator (no dependency needed).
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// An area's records, made on a phone of its own and synced to a hub.
fn area_hub(people: usize) -> (MemoryHub, Vec<DocId>) {
    let clock = ManualClock::new(START);
    let mut maker = Replica::open(MemoryStore::new(), DeviceId::new(START), clock.clone())
        .expect("a phone in memory");
    let mut rng = XorShift(0x5eed_1234_abcd_ef01);
    // About two and a half people a door, as in the demo area.
    let mut doors = Vec::new();
    for n in 0..people * 2 / 5 {
        let patch = PATCHES[n % PATCHES.len()];
        let mut new = NewAddress::new(
            "north-estate",
            patch,
            &format!("{}", 1 + n / 16),
            STREETS[n % STREETS.len()],
        );
        new.postcode = Some(format!("AB{} {}CD", 1 + n % 9, n % 10));
        if n % 2 == 0 {
            new.location = Some(Location {
                latitude: 51.0 + rng.below(1000) as f64 / 100_000.0,
                longitude: -0.1 + rng.below(1000) as f64 / 100_000.0,
            });
        }
        doors.push(maker.create_address(&new).expect("a door"));
        clock.advance(1);
    }
    for n in 0..people {
        let door = doors[rng.below(doors.len())];
        let patch = maker.address(door).expect("the door").patch;
        let new = NewPerson::new("north-estate", &patch, EntryChannel::Doorstep);
        let name = format!(
            "{} {}",
            FIRST[rng.below(FIRST.len())],
            LAST[rng.below(LAST.len())]
        );
        let band = match rng.below(20) {
            0 => Some(AgeBand::Under13),
            1 => Some(AgeBand::From13To17),
            2..=9 => Some(AgeBand::ALL[2 + rng.below(AgeBand::ALL.len() - 2)]),
            _ => None,
        };
        let roll = rng.below(100);
        maker
            .create_person(&new, |p| {
                if roll < 92 {
                    p.set_name(Some(&name))?;
                }
                if roll < 40 {
                    p.set_phone(Some(&format!("07700 9{:05}", n % 100_000)))?;
                }
                if roll.is_multiple_of(3) {
                    p.set_email(Some(&format!("resident{n}@example.org")))?;
                }
                p.set_age_band(band)?;
                p.set_household(Some(door))?;
                p.set_do_not_contact(roll.is_multiple_of(33))?;
                let mut doorstep = Doorstep::new(DoorOutcome::Spoke).topic("parks");
                if roll.is_multiple_of(7) {
                    let due = roll
                        .is_multiple_of(2)
                        .then(|| START.plus_days(roll as i64 % 30 - 10));
                    doorstep = doorstep.follow_up("Send the park plans", due);
                }
                p.log_doorstep(doorstep)?;
                Ok(())
            })
            .expect("a person");
        clock.advance(1);
    }
    let mut hub = MemoryHub::new();
    let outcome = hub.sync(&Scope::Admin, &mut maker).expect("sync");
    assert!(outcome.settled(), "the maker did not settle");
    (hub, doors)
}

fn receive<S: Storage>(hub: &mut MemoryHub, store: S) -> Replica<S, ManualClock> {
    let clock = ManualClock::new(START.plus_days(1));
    let mut phone = Replica::open(store, DeviceId::new(START), clock).expect("open");
    let outcome = hub.sync(&Scope::Admin, &mut phone).expect("sync");
    assert!(outcome.settled(), "the phone did not settle");
    phone
}

/// Bytes the files under `dir` hold, and bytes they take on disk.
fn bytes_in(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let (mut apparent, mut allocated) = (0, 0);
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("list") {
            let entry = entry.expect("entry");
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                dirs.push(entry.path());
            } else {
                apparent += meta.len();
                allocated += meta.blocks() * 512;
            }
        }
    }
    (apparent, allocated)
}

#[derive(Default)]
struct Timings(Vec<Duration>);

impl Timings {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let value = f();
        self.0.push(started.elapsed());
        value
    }

    fn median_p99(&self) -> (f64, f64) {
        let mut sorted = self.0.clone();
        sorted.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let p99 = ((sorted.len() * 99).div_ceil(100)).max(1) - 1;
        (ms(sorted[sorted.len() / 2]), ms(sorted[p99]))
    }
}

fn report(what: &str, file: &Timings, sqlite: &Timings) {
    let (fm, fp) = file.median_p99();
    let (sm, sp) = sqlite.median_p99();
    println!(
        "| {what} | {fm:.1} ms / {fp:.1} ms | {sm:.2} ms / {sp:.2} ms | {:.0}x |",
        fm / sm
    );
}

struct Phones {
    file: Replica<FileStore, ManualClock>,
    sqlite: Replica<SqliteStore, ManualClock>,
}

fn main() {
    let options = options();
    let started = Instant::now();
    let (mut hub, doors) = area_hub(options.people);
    let file_dir = tempfile::tempdir().expect("a directory");
    let sqlite_dir = match &options.keep {
        Some(dir) => tempfile::Builder::new()
            .prefix("phone-store")
            .disable_cleanup(true)
            .tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("a directory");
    let phones = Phones {
        file: receive(
            &mut hub,
            FileStore::open(file_dir.path()).expect("file store"),
        ),
        sqlite: receive(
            &mut hub,
            SqliteStore::open(sqlite_dir.path()).expect("sqlite store"),
        ),
    };
    println!(
        "{} people at {} doors, received by both phones in {:.1} s",
        options.people,
        doors.len(),
        started.elapsed().as_secs_f64()
    );
    // Closed, as a phone's store is between uses.
    let (file_device, sqlite_device) = (phones.file.device(), phones.sqlite.device());
    drop(phones);
    let (file_bytes, file_disk) = bytes_in(file_dir.path());
    let (sqlite_bytes, sqlite_disk) = bytes_in(sqlite_dir.path());
    let per_person = |b: u64| b as f64 / options.people as f64;
    println!(
        "\nbytes per person: file store {:.0} held, {:.0} on disk; SQLite store {:.0} held, {:.0} on disk",
        per_person(file_bytes),
        per_person(file_disk),
        per_person(sqlite_bytes),
        per_person(sqlite_disk)
    );
    let reopen = || {
        let clock = ManualClock::new(START.plus_days(1));
        Phones {
            file: Replica::open(
                FileStore::open(file_dir.path()).expect("file store"),
                file_device,
                clock.clone(),
            )
            .expect("reopen"),
            sqlite: Replica::open(
                SqliteStore::open(sqlite_dir.path()).expect("sqlite store"),
                sqlite_device,
                clock,
            )
            .expect("reopen"),
        }
    };
    let mut phones = reopen();

    println!(
        "\n{} runs each, in turns; median / p99 (with few runs, p99 is the slowest)\n",
        options.runs
    );
    println!("| measure | file store | SQLite store | faster |");
    println!("| --- | --- | --- | --- |");
    for (which, what) in LISTS.iter().enumerate() {
        let (mut file, mut sqlite) = (Timings::default(), Timings::default());
        let rows = list(&phones.sqlite, which);
        assert_eq!(list(&phones.file, which), rows, "{what}: the stores differ");
        for _ in 0..options.runs {
            file.time(|| list(&phones.file, which));
            sqlite.time(|| list(&phones.sqlite, which));
        }
        report(&format!("{what} ({rows} rows)"), &file, &sqlite);
    }

    let (mut file, mut sqlite) = (Timings::default(), Timings::default());
    for _ in 0..options.runs {
        let Phones { file: f, sqlite: s } = phones;
        let (f, s) = (f.into_storage(), s.into_storage());
        drop(f);
        let f = file.time(|| {
            Replica::open(
                FileStore::open(file_dir.path()).unwrap(),
                file_device,
                ManualClock::new(START.plus_days(1)),
            )
            .unwrap()
        });
        drop(s);
        let s = sqlite.time(|| {
            Replica::open(
                SqliteStore::open(sqlite_dir.path()).unwrap(),
                sqlite_device,
                ManualClock::new(START.plus_days(1)),
            )
            .unwrap()
        });
        phones = Phones { file: f, sqlite: s };
    }
    report("open the store", &file, &sqlite);
    // The first list after opening (the area's id and the page cache are cold).
    let (mut file, mut sqlite) = (Timings::default(), Timings::default());
    file.time(|| list(&phones.file, 4));
    sqlite.time(|| list(&phones.sqlite, 4));
    report("first door list page after opening", &file, &sqlite);

    let (mut file, mut sqlite) = (Timings::default(), Timings::default());
    let conversations = options.runs.max(51);
    for n in 0..conversations {
        let conversation = NewConversation {
            person: None,
            area: "north-estate".into(),
            patch: "oak-lane".into(),
            address: Some(doors[(n * 10 + 1) % doors.len()]),
            details: PersonDetails {
                name: Some(format!("New Neighbour {n}")),
                age_band: Some(AgeBand::From35To44),
                ..PersonDetails::default()
            },
            doorstep: Doorstep::new(DoorOutcome::Spoke)
                .topic("parks")
                .follow_up("Send the park plans", None),
            consent_to_contact: true,
            consent_wording_version: "2026-09".into(),
        };
        file.time(|| phones.file.log_conversation(&conversation).unwrap());
        sqlite.time(|| phones.sqlite.log_conversation(&conversation).unwrap());
    }
    report(
        &format!("log a conversation at a door ({conversations} runs)"),
        &file,
        &sqlite,
    );
}

const LISTS: [&str; 8] = [
    "people, first page of 50",
    "people, all",
    "search \"jon\", first page of 50",
    "search \"lukasz nowak\", all",
    "door list of a patch, first page of 50",
    "door list, every patch, all",
    "walk list of a patch",
    "follow-ups owed",
];

/// Shows list `which` of [`LISTS`] on `phone`, and says how many rows it had.
fn list<S: Storage>(phone: &Replica<S, ManualClock>, which: usize) -> usize {
    let first_page = Page::new(0, 50);
    let rows = match which {
        0 => phone.search_people("", first_page).map(|l| l.len()),
        1 => phone.search_people("", Page::ALL).map(|l| l.len()),
        2 => phone.search_people("jon", first_page).map(|l| l.len()),
        3 => phone
            .search_people("łukasz nowak", Page::ALL)
            .map(|l| l.len()),
        4 => phone
            .door_list(Some("oak-lane"), first_page)
            .map(|l| l.len()),
        5 => phone.door_list(None, Page::ALL).map(|l| l.len()),
        6 => phone.walk_list("oak-lane", None).map(|l| l.len()),
        7 => phone.follow_ups_owed().map(|l| l.len()),
        _ => unreachable!("no list {which}"),
    };
    rows.expect("a list")
}
