//! A migration that copies values onto projection rows must leave them as
//! the projection writes them: otherwise a person's rows would differ from
//! a rebuild's until they are next met, and reports would count them apart.

use sync_core::{
    DeviceId, DocId, DoorOutcome, Doorstep, EntryId, FollowUp, Interaction, InteractionKind,
    Ladder, Record, Timestamp,
};

use super::tests::{person, person_rows};
use super::{PERSON_ROWS, project};

/// The columns migration 0042 added, per table: a build before it wrote
/// every other column.
const ADDED_IN_0042: &[(&str, &[&str])] = &[
    ("stages", &["first_contact_at", "highest_stage"]),
    ("interactions", &["first_contact_at", "highest_stage"]),
    ("champion_contacts", &["first_contact_at", "highest_stage"]),
    ("roles", &["highest_stage"]),
];

#[tokio::test]
async fn rows_written_before_the_first_contact_and_step_columns_are_filled_as_projected() {
    // A person with a conversation, a follow-up promised, an attendance
    // and a seat: a row in every table the migration fills.
    let start = Timestamp::from_millis(1_789_000_000_000);
    let now = Timestamp::from_millis(start.as_millis() + 10 * Timestamp::DAY_MILLIS);
    let champion = DeviceId::new(start);
    let mut someone = person(champion, start);
    let mut promised = Doorstep::new(DoorOutcome::Spoke);
    promised.follow_up = Some(FollowUp {
        what: "the youth club's times".into(),
        due: None,
        done: None,
    });
    for (offset, kind) in [
        (3, InteractionKind::Doorstep(promised)),
        (
            4,
            InteractionKind::Attendance {
                event: DocId::new(start),
            },
        ),
    ] {
        let at = Timestamp::from_millis(start.as_millis() + offset * Timestamp::DAY_MILLIS);
        someone.interactions.push(Interaction {
            id: EntryId::new(at),
            at,
            recorded_by: champion,
            kind,
        });
    }
    let record = Record::Person(someone);
    let ladder = Ladder::default();

    // As the projection writes them today.
    let today_dir = tempfile::tempdir().expect("directory");
    let today = crate::store::migrated_test_sqlite(&today_dir).await;
    let mut today_conn = today.pool.acquire().await.expect("connection");
    project(&mut today_conn, &record, &ladder, now)
        .await
        .expect("project");
    let projected = person_rows(&mut today_conn).await;

    // The same rows in a database before 0042, without the added columns.
    let before_dir = tempfile::tempdir().expect("directory");
    let (before, _) = crate::store::test_sqlite(&before_dir).await;
    sqlx::migrate!("migrations/sqlite")
        .run_to(41, &before.pool)
        .await
        .expect("migrations to 0041");
    for &(table, _) in PERSON_ROWS {
        let added = ADDED_IN_0042
            .iter()
            .find(|(name, _)| *name == table.name)
            .map_or(&[][..], |(_, columns)| columns);
        let kept: Vec<usize> = (0..table.columns.len())
            .filter(|&i| !added.contains(&table.columns[i]))
            .collect();
        let columns: Vec<&str> = kept.iter().map(|&i| table.columns[i]).collect();
        let values: Vec<String> = (1..=kept.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            columns.join(", "),
            values.join(", ")
        );
        for row in &projected[table.name] {
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for &i in &kept {
                insert = insert.bind(row[i].clone());
            }
            insert.execute(&before.pool).await.expect("old row");
        }
    }

    // Migrated, they read as the projection writes them.
    before.migrate().await.expect("the later migrations");
    let mut conn = before.pool.acquire().await.expect("connection");
    let migrated = person_rows(&mut conn).await;
    for (table, _) in ADDED_IN_0042 {
        assert!(!projected[table].is_empty(), "{table} has a row to fill");
    }
    assert_eq!(migrated, projected);
}
