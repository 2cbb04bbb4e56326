//! The crash test, short form (it runs in the README's test command): 12
//! phones log doorstep sessions and sync for 30 seconds while the server is
//! killed with SIGKILL and restarted 5 times. No change any phone saw
//! acknowledged may be missing, and every phone must hold exactly the
//! server's records for its patch after a final sync. On SQLite and on
//! PostgreSQL. The long form is `outreach-load --kills N` (RELIABILITY.md).

use std::time::Duration;

use tests::load::{Config, Report, run};

fn crash(database_url: String) -> Report {
    let report = run(&Config {
        database_url,
        phones: 12,
        duration: Duration::from_secs(30),
        session_size: 10,
        pause: Duration::ZERO,
        kills: 5,
        seed: 11,
    });
    eprintln!("{report}");
    assert_eq!(report.kills, 5);
    assert!(
        report.acknowledged > 100,
        "too little was acknowledged to tell: {report}"
    );
    assert_eq!(report.lost, 0, "acknowledged changes were lost: {report}");
    assert_eq!(report.diverged, 0, "phones did not converge: {report}");
    report
}

#[test]
fn sqlite_no_acknowledged_change_is_lost_when_the_server_is_killed() {
    let db = tests::server::sqlite();
    let report = crash(db.url.clone());
    assert!(
        report.failed_round_trips > 0,
        "the kills were felt: {report}"
    );
}

#[test]
fn postgres_no_acknowledged_change_is_lost_when_the_server_is_killed() {
    if let Some(db) = tests::server::postgres() {
        crash(db.url.clone());
    }
}
