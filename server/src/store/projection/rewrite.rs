//! Rewriting a record's projection rows by difference: its stored rows are
//! read back and compared with the rows it now derives, so only what
//! changed is written ([`super::Rows::write`]).

use std::collections::{BTreeMap, HashMap};

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::value::Value;
use super::{Table, TextRow};
use crate::error::Result;
use crate::store::{Backend, MAX_PARAMS, placeholders};

/// The stored rows of `table` whose `column` is one of `ids`, by key.
pub(super) async fn read_rows(
    conn: &mut AnyConnection,
    table: &Table,
    column: &str,
    ids: &[String],
) -> Result<HashMap<TextRow, TextRow>> {
    let backend = Backend::of(conn);
    let width = table.columns.len();
    let mut stored = HashMap::new();
    for chunk in ids.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT {} FROM {} WHERE {column} IN ({})",
            table.columns_as_text(),
            table.name,
            placeholders(backend, 0, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == MAX_PARAMS);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let row = text_row(&row, width)?;
            stored.insert(row[..table.key].to_vec(), row);
        }
    }
    Ok(stored)
}

/// The first `width` columns of a row selected with
/// [`Table::columns_as_text`].
pub(super) fn text_row(row: &AnyRow, width: usize) -> sqlx::Result<TextRow> {
    (0..width).map(|i| row.try_get(i)).collect()
}

/// A stored row the record still derives with other values in some of its
/// columns: updated in place, setting those columns only.
pub(super) struct Update {
    /// The row's key, as stored (text).
    key: TextRow,
    /// The indexes of the columns whose values changed (none in the key).
    columns: Vec<usize>,
    /// The row's new values, every column.
    row: Vec<Value>,
}

/// Drops from `values` (rows of `table`) those stored as they are, and
/// from `stored` the stored rows that `values` still hold: what is left in
/// `stored` is stale, and what is left in `values` is to be inserted. A
/// row stored with the same key and other values is returned, to be
/// updated in place.
pub(super) fn keep_changed(
    table: &Table,
    values: &mut Vec<Value>,
    stored: &mut HashMap<TextRow, TextRow>,
) -> Vec<Update> {
    let width = table.columns.len();
    let mut new = Vec::with_capacity(values.len());
    let mut updates = Vec::new();
    let mut rows = std::mem::take(values).into_iter();
    loop {
        let row: Vec<Value> = rows.by_ref().take(width).collect();
        if row.is_empty() {
            break;
        }
        let text: TextRow = row.iter().map(Value::as_text).collect();
        match stored.remove(&text[..table.key]) {
            Some(before) if before == text => {}
            Some(before) => updates.push(Update {
                key: text[..table.key].to_vec(),
                columns: (table.key..width)
                    .filter(|&i| before[i] != text[i])
                    .collect(),
                row,
            }),
            None => new.extend(row),
        }
    }
    *values = new;
    updates
}

/// Updates rows in place, setting only their changed columns: SQLite
/// rewrites the entries of every index on a column an `UPDATE` sets, and
/// deleting and inserting a row rewrites them all (a people row has nine
/// B-trees; a revisit changes columns in four of them). Rows that changed
/// the same columns share multi-row statements.
pub(super) async fn update_in_place(
    conn: &mut AnyConnection,
    table: &Table,
    updates: Vec<Update>,
) -> Result<()> {
    let backend = Backend::of(conn);
    let mut by_columns: BTreeMap<Vec<usize>, Vec<Update>> = BTreeMap::new();
    for update in updates {
        by_columns
            .entry(update.columns.clone())
            .or_default()
            .push(update);
    }
    for (columns, updates) in by_columns {
        // A row's parameters: its key, then its changed columns.
        let width = table.key + columns.len();
        let per_statement = MAX_PARAMS / width;
        let set: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, &column)| {
                format!("{} = v.column{}", table.columns[column], table.key + i + 1)
            })
            .collect();
        // The first key column is text; others are compared as text, as
        // they were read (see `delete_keys`).
        let matched: Vec<String> = table.columns[..table.key]
            .iter()
            .enumerate()
            .map(|(i, column)| match i {
                0 => format!("{}.{column} = v.column{}", table.name, i + 1),
                _ => format!("CAST({}.{column} AS TEXT) = v.column{}", table.name, i + 1),
            })
            .collect();
        for chunk in updates.chunks(per_statement) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|row| format!("({})", placeholders(backend, row * width, width)))
                .collect();
            let sql = format!(
                "UPDATE {} SET {} FROM (VALUES {}) AS v WHERE {}",
                table.name,
                set.join(", "),
                rows.join(", "),
                matched.join(" AND ")
            );
            let mut query =
                sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == per_statement);
            for update in chunk {
                for key in &update.key {
                    query = query.bind(key.clone());
                }
                for &column in &columns {
                    query = match &update.row[column] {
                        Value::Int(v) => query.bind(*v),
                        Value::Text(v) => query.bind(v.clone()),
                    };
                }
            }
            query.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Deletes the rows of `table` with these keys (see [`Table::key`]).
pub(super) async fn delete_keys(
    conn: &mut AnyConnection,
    table: &Table,
    keys: Vec<TextRow>,
) -> Result<()> {
    let backend = Backend::of(conn);
    let width = table.key;
    let per_statement = MAX_PARAMS / width;
    for chunk in keys.chunks(per_statement) {
        // The first key column is text; others are compared as text, as
        // they were read.
        let conditions: Vec<String> = (0..chunk.len())
            .map(|row| {
                let terms: Vec<String> = table.columns[..width]
                    .iter()
                    .enumerate()
                    .map(|(i, column)| {
                        let parameter = placeholders(backend, row * width + i, 1);
                        match i {
                            0 => format!("{column} = {parameter}"),
                            _ => format!("CAST({column} AS TEXT) = {parameter}"),
                        }
                    })
                    .collect();
                format!("({})", terms.join(" AND "))
            })
            .collect();
        let sql = format!(
            "DELETE FROM {} WHERE {}",
            table.name,
            conditions.join(" OR ")
        );
        let mut query =
            sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == per_statement);
        for value in chunk.iter().flatten() {
            query = query.bind(value.clone());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
