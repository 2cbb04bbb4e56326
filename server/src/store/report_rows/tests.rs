//! The selection's SQL on a database: who a stage and a champion choose.
//! (The end-to-end oracle in `tests/tests/reports.rs` checks every report
//! under these filters on SQLite and PostgreSQL.)

use sync_core::{DeviceId, Timestamp};

use super::{Selection, population, stage_gaps};
use crate::store::Db;

/// A person in the projection: id, patch, highest stage (None: never
/// contacted).
async fn person(db: &Db, id: &str, patch: &str, highest: Option<i64>) {
    sqlx::query(
        "INSERT INTO people (id, area, patch, entry_channel, residency, do_not_contact, \
         created_by, created_at, first_contact_at, highest_stage) \
         VALUES ($1, 'north', $2, 'doorstep', '', 0, 'x', 0, $3, $4)",
    )
    .bind(id)
    .bind(patch)
    .bind(highest.map(|_| 1_000_i64))
    .bind(highest)
    .execute(&db.pool)
    .await
    .unwrap();
    for stage in 0..=highest.unwrap_or(-1) {
        sqlx::query(
            "INSERT INTO stages (person_id, stage, stage_key, reached_at, first_contact_at, \
             highest_stage) VALUES ($1, $2, 's', 0, 1000, $3)",
        )
        .bind(id)
        .bind(stage)
        .bind(highest)
        .execute(&db.pool)
        .await
        .unwrap();
    }
}

async fn knocked(db: &Db, person: &str, champion: DeviceId) {
    sqlx::query(
        "INSERT INTO champion_contacts (person_id, recorded_by, patch, knocks, conversations) \
         VALUES ($1, $2, 'elm', 2, 1)",
    )
    .bind(person)
    .bind(champion.to_string())
    .execute(&db.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_stage_chooses_who_reached_it_and_a_champion_whom_they_knocked_for() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::store::migrated_test_sqlite(&dir).await;
    let (ann, bob) = (
        DeviceId::new(Timestamp::from_millis(1)),
        DeviceId::new(Timestamp::from_millis(2)),
    );
    // Highest stages 0, 1, 3, 3 and 5 in Elm; one never contacted.
    for (id, highest) in [("a", 0), ("b", 1), ("c", 3), ("d", 3), ("e", 5)] {
        person(&db, id, "elm", Some(highest)).await;
    }
    person(&db, "f", "oak", Some(4)).await;
    person(&db, "g", "elm", None).await;
    for id in ["a", "c", "f"] {
        knocked(&db, id, ann).await;
    }
    knocked(&db, "c", bob).await;
    let count = |people: Selection| {
        let db = &db;
        async move { population(db, &people).await.unwrap() }
    };
    let reached = |stage| Selection {
        stage: Some(stage),
        ..Selection::default()
    };
    let by = |champion| Selection {
        champion: Some(champion),
        ..Selection::default()
    };
    // Reached: at the stage or past it.
    assert_eq!(count(reached(0)).await, 6);
    assert_eq!(count(reached(3)).await, 4);
    assert_eq!(count(reached(5)).await, 1);
    assert_eq!(count(reached(6)).await, 0);
    assert_eq!(count(by(ann)).await, 3);
    assert_eq!(count(by(bob)).await, 1);
    assert_eq!(count(by(DeviceId::new(Timestamp::from_millis(3)))).await, 0);
    // With the other filters: Ann's people in Elm who reached stage 3.
    let both = Selection {
        patch: Some("elm".into()),
        stage: Some(3),
        champion: Some(ann),
        ..Selection::default()
    };
    assert_eq!(count(both.clone()).await, 1);
    // A query that joins another table keeps the same people: the
    // stages of the one person chosen.
    let rows = |people: Selection| {
        let db = &db;
        async move {
            let gaps = stage_gaps(db, &people).await.unwrap();
            gaps.iter().map(|(_, _, n)| n).sum::<i64>()
        }
    };
    assert_eq!(rows(both).await, 4);
    // A stage alone is read from the stage rows themselves: the stages of
    // c and d (4 each), e (6) and f (5).
    assert_eq!(rows(reached(3)).await, 19);
    assert_eq!(rows(reached(5)).await, 6);
    assert_eq!(rows(reached(6)).await, 0);
    // And so are dates alone, with a stage or without: everyone was first
    // contacted at 1000.
    let dates = |from, to| Selection {
        from: Some(from),
        to: Some(to),
        ..Selection::default()
    };
    assert_eq!(rows(dates(1_000, 1_001)).await, 1 + 2 + 4 + 4 + 6 + 5);
    assert_eq!(rows(dates(0, 1_000)).await, 0);
    let dated_stage = Selection {
        stage: Some(5),
        ..dates(1_000, 1_001)
    };
    assert_eq!(rows(dated_stage).await, 6);
}
