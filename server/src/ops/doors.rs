//! Doors: importing the doors of an area from a CSV file (an admin's task:
//! `outreach admin import-addresses FILE`), and marking a door
//! do-not-knock.
//!
//! Each good line becomes an address record written by the server and
//! merged like any push, so phones receive it in their patch's feed. A bad
//! line is reported with its line number and why, and never stops the good
//! ones. Doors already held (the same house, street, locality and postcode
//! in the same patch) are skipped, so importing a file twice adds nothing.
//! Each line is one door: a quoted field may hold commas, not line breaks.

use std::collections::BTreeSet;
use std::io::Read;

use serde::Serialize;
use sync_core::authoring;
use sync_core::{
    AreaConfig, DeviceId, DocId, Ladder, Location, NewAddress, PushOutcome, Record, Timestamp,
    read_record,
};

use crate::error::{Error, Result};
use crate::store::audit::{self, Action, Actor};
use crate::store::{Connection, Db, area, commit_if_ok, documents, projection};
use crate::sync::{Author, Merge, merge_server_push};

/// Lines merged per transaction.
const BATCH: usize = 500;

/// The columns a file may have. `patch`, `house` and `street` are required.
pub const COLUMNS: [&str; 7] = [
    "patch",
    "house",
    "street",
    "locality",
    "postcode",
    "latitude",
    "longitude",
];
const DO_NOT_KNOCK: &str = "do_not_knock";

/// Doors on the list per patch, by patch code.
pub async fn listed(db: &Db) -> Result<Vec<(String, i64)>> {
    crate::store::report_rows::doors_listed(db).await
}

/// A line that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadLine {
    /// Its line number in the file (the header is line 1).
    pub line: u64,
    /// Why, naming the column (never repeating the value).
    pub error: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Doors added.
    pub imported: usize,
    /// Lines for doors already held (or repeated in the file), skipped.
    pub already_held: usize,
    /// Lines that could not be imported, in file order.
    pub bad_lines: Vec<BadLine>,
}

/// How far an import has got, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Data lines read so far.
    pub lines: u64,
    /// Doors added so far.
    pub imported: usize,
}

/// Where each column is in the header.
struct Header {
    index: [Option<usize>; 7],
    do_not_knock: Option<usize>,
}

impl Header {
    fn read(record: &csv::StringRecord) -> Result<Self> {
        let names: Vec<String> = record
            .iter()
            .map(|h| h.trim().to_lowercase().replace([' ', '-'], "_"))
            .collect();
        let find = |column: &str| names.iter().position(|n| n == column);
        let index = COLUMNS.map(find);
        let missing: Vec<&str> = COLUMNS[..3]
            .iter()
            .zip(&index)
            .filter(|(_, i)| i.is_none())
            .map(|(c, _)| *c)
            .collect();
        if !missing.is_empty() {
            return Err(Error::BadRequest(format!(
                "the first line must name the columns; missing: {} (columns: {}, {DO_NOT_KNOCK})",
                missing.join(", "),
                COLUMNS.join(", ")
            )));
        }
        Ok(Self {
            index,
            do_not_knock: find(DO_NOT_KNOCK),
        })
    }

    fn field<'r>(&self, record: &'r csv::StringRecord, column: usize) -> Option<&'r str> {
        self.index[column]
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// One line read into a door, or why not.
fn parse_line(
    header: &Header,
    record: &csv::StringRecord,
    area: &AreaConfig,
) -> std::result::Result<(NewAddress, bool), String> {
    let required = |column: usize| {
        header
            .field(record, column)
            .ok_or_else(|| format!("{} is empty", COLUMNS[column]))
    };
    let patch = required(0)?;
    if area.patch(patch).is_none() {
        return Err("patch is not one of the area's patches".into());
    }
    let number = |column: usize| -> std::result::Result<Option<f64>, String> {
        header
            .field(record, column)
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| format!("{} is not a number", COLUMNS[column]))
            })
            .transpose()
    };
    let location = match (number(5)?, number(6)?) {
        (Some(latitude), Some(longitude)) => Some(Location {
            latitude,
            longitude,
        }),
        (None, None) => None,
        _ => return Err("latitude and longitude must be given together".into()),
    };
    let do_not_knock = match header
        .do_not_knock
        .and_then(|i| record.get(i))
        .map(|v| v.trim().to_lowercase())
        .as_deref()
    {
        None | Some("" | "no" | "false" | "0" | "n") => false,
        Some("yes" | "true" | "1" | "y") => true,
        Some(_) => return Err(format!("{DO_NOT_KNOCK} must be yes or no")),
    };
    let mut address = NewAddress::new(&area.area, patch, required(1)?, required(2)?);
    address.locality = header.field(record, 3).map(str::to_owned);
    address.postcode = header.field(record, 4).map(str::to_owned);
    address.location = location;
    Ok((address, do_not_knock))
}

/// One physical line read as CSV fields. Lines are read one by one, so a
/// quoted field cannot run on to the next line: a quote left open would
/// otherwise swallow every line after it.
pub(super) fn csv_fields(line: &str) -> std::result::Result<csv::StringRecord, String> {
    if line.matches('"').count() % 2 == 1 {
        return Err("a quote is not closed".into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    match reader.records().next() {
        Some(Ok(record)) => Ok(record),
        _ => Err("not a CSV line".into()),
    }
}

/// A whole file, read (`BadRequest` if it cannot be).
pub(super) fn read_file(mut input: impl Read) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| Error::BadRequest(format!("cannot read the file: {e}")))?;
    Ok(bytes)
}

/// The fields of a CSV file's first line, which names its columns.
pub(super) fn csv_header(bytes: &[u8]) -> Result<csv::StringRecord> {
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    csv_fields(first.trim_end_matches('\r'))
        .map_err(|e| Error::BadRequest(format!("the first line must name the columns: {e}")))
}

/// The lines of a CSV file after its header, each with its number (the
/// header is line 1); blank lines are left out, and a line that is not
/// UTF-8 text comes as the bad line it is.
pub(super) fn csv_lines(
    bytes: &[u8],
) -> impl Iterator<Item = (u64, std::result::Result<&str, BadLine>)> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .skip(1)
        .filter_map(|(index, raw)| {
            let line = index as u64 + 1;
            match std::str::from_utf8(raw) {
                Err(_) => Some((
                    line,
                    Err(BadLine {
                        line,
                        error: "not UTF-8 text".into(),
                    }),
                )),
                Ok(text) => {
                    let text = text.trim_end_matches('\r');
                    (!text.trim().is_empty()).then_some((line, Ok(text)))
                }
            }
        })
}

/// Imports the doors in the CSV read from `input` (see [`COLUMNS`]) on
/// behalf of `actor`, a batch at a time, each batch's transaction logging
/// how many doors it added. Fails as a whole only if the area is not
/// configured or the header is unusable; everything else is per line in
/// the report.
pub async fn import(
    db: &Db,
    actor: Actor,
    input: impl Read,
    now: Timestamp,
    mut progress: impl FnMut(Progress),
) -> Result<ImportReport> {
    let area = area::read(db)
        .await?
        .ok_or_else(|| Error::BadRequest("configure the area before importing doors".into()))?;
    let by = area::server_device(db).await?;
    let bytes = read_file(input)?;
    let header = Header::read(&csv_header(&bytes)?)?;
    let mut report = ImportReport::default();
    let mut seen = BTreeSet::new();
    let mut batch: Vec<(u64, sync_core::Push)> = Vec::new();
    let mut read = 0;
    for (line, text) in csv_lines(&bytes) {
        let text = match text {
            Ok(text) => text,
            Err(bad) => {
                report.bad_lines.push(bad);
                continue;
            }
        };
        read += 1;
        let parsed = csv_fields(text).and_then(|record| parse_line(&header, &record, &area));
        let (address, do_not_knock) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                report.bad_lines.push(BadLine { line, error });
                continue;
            }
        };
        let key = projection::door_key(&address);
        if seen.contains(&key)
            || projection::door_held(&mut *db.pool.acquire().await?, &key).await?
        {
            report.already_held += 1;
            continue;
        }
        match authoring::address_push(None, DocId::new(now), &address, do_not_knock, by, now) {
            Ok(Some(push)) => {
                seen.insert(key);
                batch.push((line, push));
            }
            Ok(None) => {}
            Err(sync_core::Error::Validation(e)) => report.bad_lines.push(BadLine {
                line,
                error: e.to_string(),
            }),
            Err(e) => return Err(e.into()),
        }
        if batch.len() >= BATCH {
            let added = merge_lines(
                db,
                actor,
                by,
                Action::ImportedAddresses,
                &mut batch,
                &mut report.bad_lines,
                now,
            )
            .await?;
            report.imported += added.len();
            progress(Progress {
                lines: read,
                imported: report.imported,
            });
        }
    }
    let added = merge_lines(
        db,
        actor,
        by,
        Action::ImportedAddresses,
        &mut batch,
        &mut report.bad_lines,
        now,
    )
    .await?;
    report.imported += added.len();
    progress(Progress {
        lines: read,
        imported: report.imported,
    });
    report.bad_lines.sort_by_key(|b| b.line);
    Ok(report)
}

/// Merges an import's batch of the server's own pushes, each from a line
/// of the file, in one transaction that logs `action` with how many it
/// added; a line refused goes to `bad_lines` with why. Empties the batch
/// and returns the records added.
pub(super) async fn merge_lines(
    db: &Db,
    actor: Actor,
    by: DeviceId,
    action: Action,
    batch: &mut Vec<(u64, sync_core::Push)>,
    bad_lines: &mut Vec<BadLine>,
    now: Timestamp,
) -> Result<Vec<DocId>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let pushes: std::sync::Arc<[sync_core::Push]> = batch.iter().map(|(_, p)| p.clone()).collect();
    let outcomes = crate::sync::merge_all(db, pushes, &Author::server(by), now, |tx, merged| {
        let added = merged
            .iter()
            .filter(|m| matches!(m.outcome, PushOutcome::Accepted { .. }))
            .count();
        Box::pin(async move {
            let detail = added.to_string();
            audit::record(tx, now, actor, action, None, &detail).await
        })
    })
    .await?;
    let mut added = Vec::new();
    for ((line, push), Merge { outcome, .. }) in batch.drain(..).zip(outcomes) {
        match outcome {
            PushOutcome::Accepted { .. } => added.push(push.doc),
            PushOutcome::Rejected(r) => bad_lines.push(BadLine {
                line,
                error: r.detail,
            }),
            PushOutcome::Resend | PushOutcome::Redirected { .. } => {
                return Err(Error::Corrupt(
                    "the server's own record was not accepted".into(),
                ));
            }
        }
    }
    Ok(added)
}

/// Marks a door "do not knock" on behalf of `actor`, or takes the mark
/// off; phones see it at their next sync, and a door marked leaves every
/// walk list. `NotFound` if there is no such door.
pub async fn set_do_not_knock(
    db: &Db,
    actor: Actor,
    id: DocId,
    do_not_knock: bool,
    now: Timestamp,
) -> Result<()> {
    let by = area::server_device(db).await?;
    let writer = db.writer().await;
    let mut tx = writer.begin().await?;
    let marked = async {
        let mut ladder = area::ladder(db, &mut tx).await?;
        if !mark(&mut tx, id, do_not_knock, by, now, &mut ladder).await? {
            return Err(Error::NotFound("door"));
        }
        let detail = if do_not_knock {
            "do-not-knock"
        } else {
            "knock"
        };
        audit::record(&mut tx, now, actor, Action::MarkedDoor, Some(id), detail).await
    }
    .await;
    commit_if_ok(tx, marked).await
}

/// Marks a door do-not-knock (`true`) or takes the mark off, in the
/// caller's transaction, as the server's own edit by `by`. Returns whether
/// there is such a door (an address record).
pub(super) async fn mark(
    tx: &mut Connection,
    door: DocId,
    do_not_knock: bool,
    by: DeviceId,
    now: Timestamp,
    ladder: &mut Ladder,
) -> Result<bool> {
    let Some(stored) = documents::lock(tx, door).await? else {
        return Ok(false);
    };
    let Record::Address(address) = read_record(&stored.bytes)? else {
        return Ok(false);
    };
    let details = address.details();
    if let Some(push) =
        authoring::address_push(Some(&stored.bytes), door, &details, do_not_knock, by, now)?
    {
        merge_server_push(tx, door, &stored, &push, by, now, ladder).await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_are_numbered_from_the_header_and_leave_out_blanks() {
        let file = b"patch,house,street\r\nelm-road,1,Elm Road\r\n\r\n  \nbad,\xff,line\nelm-road,3,Elm Road";
        assert_eq!(
            csv_header(file).unwrap().iter().collect::<Vec<_>>(),
            ["patch", "house", "street"]
        );
        let lines: Vec<_> = csv_lines(file).collect();
        assert_eq!(
            lines,
            [
                (2, Ok("elm-road,1,Elm Road")),
                (
                    5,
                    Err(BadLine {
                        line: 5,
                        error: "not UTF-8 text".into()
                    })
                ),
                (6, Ok("elm-road,3,Elm Road")),
            ]
        );
    }
}
