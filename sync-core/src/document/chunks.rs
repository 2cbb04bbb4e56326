//! A look at automerge bytes before automerge's parser sees them, to refuse
//! the shapes that cost it far more than the bytes are worth.
//!
//! Pushed changes come from any device with a token, and automerge 0.12
//! trusts what some bytes claim:
//! * a **bundle** chunk's delta-encoded columns are expanded into a `Vec`
//!   as long as a run length says: fuzzing found 28 bytes that made it ask
//!   for more than 512 MiB;
//! * a **compressed change** chunk, and a document's **deflated columns**,
//!   are inflated without a bound: 1 MiB of DEFLATE took it 3 GiB;
//! * a column's **run lengths** say how many operations (or changes) there
//!   are, and automerge works through each one: 186 bytes holding four
//!   million operations took it 2 s and 785 MiB, and a run length can claim
//!   billions.
//!
//! Devices running sync-core only ever send document chunks (`save`) and
//! change chunks (`save_after`), so bundles are refused outright; whatever
//! is inflated must stay within [`MAX_INFLATED_BYTES`], and the operations
//! and changes the columns hold within [`MAX_OPERATIONS`].
//!
//! The walk follows automerge's binary format only as far as it needs to:
//! the chunk framing (magic bytes, checksum, chunk type, length), a chunk's
//! prefix and column metadata, and the run-length encoding of each column,
//! which it counts without expanding. Where the framing stops making sense,
//! so does automerge's parser, which reads chunks in order and refuses or
//! ignores the rest: the walk stops there and leaves the verdict to it. A
//! column whose encoding does not parse is refused, as automerge's decoder
//! would refuse it, but only after it had allocated for the runs before.

use std::io::Read;

use super::Origin;
use crate::error::DocumentError;

/// The most a document's (or a compressed change's) columns may inflate
/// to. Saved documents are at most [`super::MAX_DOCUMENT_BYTES`]; their
/// columns are run-length encoded before they are deflated, so sixteen times
/// that leaves real documents far inside the limit.
pub(crate) const MAX_INFLATED_BYTES: u64 = 16 * super::MAX_DOCUMENT_BYTES as u64;

/// The most operations (and changes) the bytes a device pushes may hold in
/// all. A person
/// with a thousand conversations holds about 8,000 (seven operations and a
/// change each). Automerge loads 100,000 in about 50 ms and 20 MiB; it took
/// 2 s and 785 MiB for four million.
pub(crate) const MAX_OPERATIONS: u64 = 100_000;

/// The most operations (and changes) a merge may leave a document holding:
/// five full pushes. Automerge loads that many in about a quarter of a
/// second.
pub(crate) const MAX_DOCUMENT_OPERATIONS: u64 = 5 * MAX_OPERATIONS;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;
/// A column specification's deflate bit, and its type (the low three bits).
const DEFLATE: u64 = 0b1000;
const COLUMN_TYPE: u64 = 0b0111;
/// Column types (automerge's `ColumnType`).
const DELTA_INTEGER: u64 = 3;
const BOOLEAN: u64 = 4;
const STRING: u64 = 5;
const VALUE: u64 = 7;
/// Bytes in a change hash.
const HASH_BYTES: u64 = 32;

/// Refuses bytes whose chunks automerge would expand beyond reason, with an
/// error that says which limit; passes everything else on to automerge's
/// own parser. Only what a device pushed is held to [`MAX_OPERATIONS`]; for
/// stored bytes the columns are not even read, so that what automerge
/// itself wrote is never refused for how the walk reads it.
pub(crate) fn screen(bytes: &[u8], origin: Origin) -> Result<(), DocumentError> {
    walk(
        bytes,
        match origin {
            Origin::Push => Some(MAX_OPERATIONS),
            Origin::Stored => None,
        },
    )
    .map(|_| ())
}

/// How many operations (and changes) the bytes hold, read as a push is;
/// an error where a push would be refused for its shape.
pub(crate) fn operations(bytes: &[u8]) -> Result<u64, DocumentError> {
    walk(bytes, Some(u64::MAX)).map(|budget| budget.operations)
}

/// Reads the chunks, counting operations up to `max_operations` (or not
/// at all).
fn walk(bytes: &[u8], max_operations: Option<u64>) -> Result<Budget, DocumentError> {
    let mut rest = Reader(bytes);
    let mut budget = Budget::new(max_operations);
    while let Some((kind, body)) = rest.chunk() {
        match kind {
            DOCUMENT => budget.document(body)?,
            CHANGE => budget.change(body)?,
            COMPRESSED_CHANGE => {
                let inflated = budget.inflate(body)?;
                budget.change(&inflated)?;
            }
            other => {
                return Err(DocumentError::Expands(format!(
                    "chunk type {other} is not accepted (only documents and changes)"
                )));
            }
        }
    }
    Ok(budget)
}

/// What the chunks read so far would cost automerge.
struct Budget {
    inflated: u64,
    operations: u64,
    /// None: the operations are not counted (nor their columns read).
    max_operations: Option<u64>,
}

impl Budget {
    fn new(max_operations: Option<u64>) -> Self {
        Self {
            inflated: 0,
            operations: 0,
            max_operations,
        }
    }

    /// A document chunk: actors, heads, the change columns' and the op
    /// columns' metadata, then their data.
    fn document(&mut self, body: &[u8]) -> Result<(), DocumentError> {
        let mut body = Reader(body);
        let Some(groups) = document_prefix(&mut body) else {
            return Ok(());
        };
        for columns in groups {
            let mut most = 0;
            for (spec, len) in columns {
                let Some(data) = body.take(len) else {
                    return Ok(());
                };
                let inflated;
                let data = if spec & DEFLATE != 0 {
                    inflated = self.inflate(data)?;
                    &inflated[..]
                } else {
                    data
                };
                if self.max_operations.is_some() {
                    most =
                        most.max(column_values(spec, data).ok_or_else(|| unreadable_column(spec))?);
                }
            }
            self.count(most)?;
        }
        Ok(())
    }

    /// A change chunk: its prefix, the op columns' metadata, then their
    /// data. Automerge refuses deflated columns in a change, unread.
    fn change(&mut self, body: &[u8]) -> Result<(), DocumentError> {
        if self.max_operations.is_none() {
            return Ok(());
        }
        let mut body = Reader(body);
        let Some(columns) = change_prefix(&mut body) else {
            return Ok(());
        };
        let mut most = 0;
        for (spec, len) in columns {
            let Some(data) = body.take(len) else {
                break;
            };
            if spec & DEFLATE == 0 {
                most = most.max(column_values(spec, data).ok_or_else(|| unreadable_column(spec))?);
            }
        }
        self.count(most)
    }

    fn count(&mut self, values: u64) -> Result<(), DocumentError> {
        self.operations = self.operations.saturating_add(values);
        match self.max_operations {
            Some(max) if self.operations > max => Err(DocumentError::Expands(format!(
                "the bytes hold more than {max} operations"
            ))),
            _ => Ok(()),
        }
    }

    /// Inflates DEFLATE data, up to one byte past what the budget has
    /// left. Data that turns out not to be DEFLATE keeps what inflated
    /// before the error: automerge inflates as much before it refuses it.
    fn inflate(&mut self, deflated: &[u8]) -> Result<Vec<u8>, DocumentError> {
        let left = MAX_INFLATED_BYTES.saturating_sub(self.inflated);
        let mut inflated = Vec::new();
        // An error is automerge's to report; what inflated before it counts.
        let _ = flate2::bufread::DeflateDecoder::new(deflated)
            .take(left + 1)
            .read_to_end(&mut inflated);
        self.inflated += inflated.len() as u64;
        if self.inflated > MAX_INFLATED_BYTES {
            return Err(DocumentError::Expands(format!(
                "compressed data inflates to more than {MAX_INFLATED_BYTES} bytes"
            )));
        }
        Ok(inflated)
    }
}

fn unreadable_column(spec: u64) -> DocumentError {
    DocumentError::Expands(format!("column {spec} is not run-length encoded data"))
}

/// A document chunk's prefix, leaving `body` at the column data: each
/// group's (changes', then ops') columns, as specification and stored
/// length, in the order their data follows.
fn document_prefix(body: &mut Reader<'_>) -> Option<[Vec<(u64, u64)>; 2]> {
    body.actors()?;
    let heads = body.uleb()?;
    body.take(heads.checked_mul(HASH_BYTES)?)?;
    Some([body.columns()?, body.columns()?])
}

/// A change chunk's prefix (dependencies, actor, sequence number, first op,
/// time, message, other actors), leaving `body` at the column data: the op
/// columns, as specification and stored length.
fn change_prefix(body: &mut Reader<'_>) -> Option<Vec<(u64, u64)>> {
    let deps = body.uleb()?;
    body.take(deps.checked_mul(HASH_BYTES)?)?;
    body.bytes()?;
    body.uleb()?;
    body.uleb()?;
    body.skip_leb()?;
    body.bytes()?;
    body.actors()?;
    body.columns()
}

/// How many values a column holds, without expanding them; None if its
/// encoding does not parse. Raw value columns are sized by their metadata
/// column, so they count as none.
fn column_values(spec: u64, data: &[u8]) -> Option<u64> {
    let mut data = Reader(data);
    let mut values = 0u64;
    match spec & COLUMN_TYPE {
        VALUE => {}
        // Runs of false and true, alternately.
        BOOLEAN => {
            while !data.0.is_empty() {
                values = values.checked_add(data.uleb()?)?;
            }
        }
        kind => {
            // Run-length encoding: a count, then one value repeated that
            // many times, or minus a count and that many literal values, or
            // zero and a count of nulls.
            let skip_value = |data: &mut Reader<'_>| match kind {
                DELTA_INTEGER => data.skip_leb(),
                STRING => data.bytes().map(|_| ()),
                _ => data.uleb().map(|_| ()),
            };
            while !data.0.is_empty() {
                let count = data.sleb()?;
                if count > 0 {
                    skip_value(&mut data)?;
                } else if count < 0 {
                    for _ in 0..count.unsigned_abs() {
                        skip_value(&mut data)?;
                    }
                } else {
                    values = values.checked_add(data.uleb()?)?;
                    continue;
                }
                values = values.checked_add(count.unsigned_abs())?;
            }
        }
    }
    Some(values)
}

/// Automerge's binary format, read from the front.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, len: u64) -> Option<&'a [u8]> {
        let len = usize::try_from(len).ok()?;
        if len > self.0.len() {
            return None;
        }
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(taken)
    }

    /// The bytes of a LEB128 number: at most ten, the last without the
    /// continuation bit.
    fn leb(&mut self) -> Option<&'a [u8]> {
        let len = self.0.iter().take(10).position(|b| b & 0x80 == 0)? + 1;
        self.take(len as u64)
    }

    fn skip_leb(&mut self) -> Option<()> {
        self.leb().map(|_| ())
    }

    /// An unsigned LEB128 number, as automerge writes them (no overflow).
    fn uleb(&mut self) -> Option<u64> {
        let bytes = self.leb()?;
        let mut value = 0u64;
        for (i, &byte) in bytes.iter().enumerate() {
            let bits = u64::from(byte & 0x7f);
            if i == 9 && bits > 1 {
                return None;
            }
            value |= bits << (7 * i);
        }
        Some(value)
    }

    /// A signed LEB128 number (no overflow).
    fn sleb(&mut self) -> Option<i64> {
        let bytes = self.leb()?;
        let mut value = 0i64;
        let mut shift = 0;
        for &byte in bytes {
            if shift == 63 && !matches!(byte & 0x7f, 0 | 0x7f) {
                return None;
            }
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
        }
        if shift < 64 && bytes.last()? & 0x40 != 0 {
            value |= -1i64 << shift;
        }
        Some(value)
    }

    /// Length-prefixed bytes.
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.uleb()?;
        self.take(len)
    }

    /// A count, then that many length-prefixed actor ids.
    fn actors(&mut self) -> Option<()> {
        for _ in 0..self.uleb()? {
            self.bytes()?;
        }
        Some(())
    }

    /// Column metadata: a count, then each column's specification and
    /// stored length.
    fn columns(&mut self) -> Option<Vec<(u64, u64)>> {
        let mut columns = Vec::new();
        for _ in 0..self.uleb()? {
            columns.push((self.uleb()?, self.uleb()?));
        }
        Some(columns)
    }

    /// The next chunk: its type and its body. None at the end, or where the
    /// framing is not automerge's.
    fn chunk(&mut self) -> Option<(u8, &'a [u8])> {
        if self.0.is_empty() || self.take(MAGIC.len() as u64)? != MAGIC {
            return None;
        }
        self.take(4)?; // checksum
        let kind = self.take(1)?[0];
        let len = self.uleb()?;
        Some((kind, self.take(len)?))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn uleb(mut value: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([0; 4]);
        out.push(kind);
        uleb(body.len() as u64, &mut out);
        out.extend(body);
        out
    }

    fn deflated(len: usize) -> Vec<u8> {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let block = vec![0u8; 1 << 20];
        let mut left = len;
        while left > 0 {
            let n = left.min(block.len());
            encoder.write_all(&block[..n]).expect("deflate");
            left -= n;
        }
        encoder.finish().expect("deflate")
    }

    fn sleb(mut value: i64, out: &mut Vec<u8>) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0) {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A document chunk with no actors or heads, no change columns, and one
    /// op column of specification `spec` holding `data`.
    fn document_with(spec: u64, data: &[u8]) -> Vec<u8> {
        let mut body = vec![0, 0, 0, 1];
        uleb(spec, &mut body);
        uleb(data.len() as u64, &mut body);
        body.extend(data);
        chunk(DOCUMENT, &body)
    }

    /// A document whose one op column (a run-length encoded integer
    /// column) holds `data`, deflated or not.
    fn document(data: &[u8], deflate: bool) -> Vec<u8> {
        document_with(if deflate { 0x1a } else { 0x12 }, data)
    }

    /// A change chunk with an empty prefix and one integer op column.
    fn change(data: &[u8]) -> Vec<u8> {
        // No deps, a one-byte actor, seq 1, start op 1, time 0, no message,
        // no other actors, one column.
        let mut body = vec![0, 1, 0xaa, 1, 1, 0, 0, 0, 1, 0x12];
        uleb(data.len() as u64, &mut body);
        body.extend(data);
        chunk(CHANGE, &body)
    }

    /// A document with maps, a list, text, a counter, deletions and two
    /// authors, saved with `deflate` columns when it is large.
    fn sample(entries: usize) -> automerge::AutoCommit {
        use automerge::transaction::Transactable;
        use automerge::{ObjType, ROOT};
        let mut doc = automerge::AutoCommit::new();
        let list = doc.put_object(ROOT, "list", ObjType::List).expect("list");
        let text = doc.put_object(ROOT, "text", ObjType::Text).expect("text");
        doc.put(ROOT, "count", automerge::ScalarValue::counter(1))
            .expect("counter");
        for i in 0..entries {
            doc.put(ROOT, format!("field {i}"), "a value long enough to deflate")
                .expect("put");
            doc.insert(&list, i, i as i64).expect("insert");
            doc.splice_text(&text, 0, 0, "ab").expect("text");
            doc.increment(ROOT, "count", 1).expect("increment");
            doc.commit();
        }
        doc.delete(ROOT, "field 0").expect("delete");
        let mut other = doc.fork().with_actor(automerge::ActorId::random());
        other
            .put(ROOT, "theirs", automerge::ScalarValue::Null)
            .expect("put");
        doc.put(ROOT, "mine", true).expect("put");
        doc.merge(&mut other).expect("merge");
        doc
    }

    fn counted(bytes: &[u8]) -> Budget {
        walk(bytes, Some(u64::MAX)).expect("what automerge saves is read")
    }

    #[test]
    fn saved_documents_and_changes_pass_and_count_their_operations() {
        for entries in [0, 3, 200] {
            let mut doc = sample(entries);
            let changes = doc.get_changes(&[]);
            let ops: u64 = changes.iter().map(|c| c.len() as u64).sum();
            let saved = doc.save();
            let as_changes = doc.save_after(&[]);
            // A document holds its changes' metadata and its operations, but
            // for deletions, which it keeps as the deleted value's successor.
            let deletions = u64::from(entries > 0);
            let budget = counted(&saved);
            assert_eq!(
                budget.operations,
                changes.len() as u64 + ops - deletions,
                "{entries}"
            );
            assert_eq!(budget.inflated > 0, entries == 200, "deflated columns");
            assert_eq!(
                counted(&doc.save_nocompress()).operations,
                budget.operations
            );
            assert_eq!(counted(&as_changes).operations, ops, "{entries}");
            let mut both = saved.clone();
            both.extend(&as_changes);
            for bytes in [saved, as_changes, both, Vec::new()] {
                screen(&bytes, Origin::Push).expect("what automerge saves passes");
            }
        }
    }

    #[test]
    fn run_lengths_past_the_operation_limit_are_refused() {
        // A run of 2^40 copies of one value, in a few bytes.
        let mut column = Vec::new();
        sleb(1 << 40, &mut column);
        uleb(5, &mut column);
        let err = screen(&document(&column, false), Origin::Push).expect_err("2^40 operations");
        assert!(err.to_string().contains("operations"), "{err}");
        // What the server stored or sent is not held to it.
        screen(&document(&column, false), Origin::Stored).expect("a stored document");
        // As nulls, and as a change.
        let mut nulls = vec![0];
        uleb(MAX_OPERATIONS + 1, &mut nulls);
        screen(&document(&nulls, false), Origin::Push).expect_err("nulls");
        screen(&change(&nulls), Origin::Push).expect_err("a change");
        // A boolean column's runs count too.
        let mut runs = Vec::new();
        uleb(MAX_OPERATIONS, &mut runs);
        uleb(1, &mut runs);
        screen(&document_with(0x14, &runs), Origin::Push).expect_err("booleans");
        // Within the limit passes.
        let mut fine = Vec::new();
        sleb(MAX_OPERATIONS as i64, &mut fine);
        uleb(5, &mut fine);
        screen(&document(&fine, false), Origin::Push).expect("at the limit");
        // An encoding that does not parse is refused.
        let err =
            screen(&document(&[0x7f], false), Origin::Push).expect_err("a literal run of nothing");
        assert!(err.to_string().contains("run-length"), "{err}");
        // Stored bytes' columns are automerge's to read.
        screen(&document(&[0x7f], false), Origin::Stored).expect("stored");
    }

    #[test]
    fn bundles_are_refused() {
        let err = screen(&chunk(3, &[0; 8]), Origin::Push).expect_err("a bundle");
        assert!(err.to_string().contains("chunk type 3"), "{err}");
        let mut after_a_change = chunk(CHANGE, &[0; 8]);
        after_a_change.extend(chunk(3, &[]));
        screen(&after_a_change, Origin::Push).expect_err("a bundle after a change");
    }

    #[test]
    fn deflate_bombs_are_refused() {
        let bomb = deflated(MAX_INFLATED_BYTES as usize + 1);
        assert!(bomb.len() < 1 << 20, "a bomb is small: {}", bomb.len());
        screen(&chunk(COMPRESSED_CHANGE, &bomb), Origin::Push)
            .expect_err("a compressed change bomb");
        screen(&document(&bomb, true), Origin::Push).expect_err("a deflated column bomb");
        // The same bytes stored as they are inflate to nothing (and are no
        // run-length encoding).
        let err = screen(&document(&bomb, false), Origin::Push).expect_err("an undeflated column");
        assert!(err.to_string().contains("run-length"), "{err}");
        // A bomb cut short still inflates up to where it breaks, as it
        // would in automerge.
        let mut cut = deflated(2 * MAX_INFLATED_BYTES as usize);
        cut.truncate(cut.len() / 2);
        cut.extend([0xff; 16]);
        assert!(
            std::io::copy(
                &mut flate2::bufread::DeflateDecoder::new(&cut[..]),
                &mut std::io::sink()
            )
            .is_err(),
            "the cut bomb is broken DEFLATE"
        );
        screen(&chunk(COMPRESSED_CHANGE, &cut), Origin::Push).expect_err("a broken bomb");
        // Up to the limit is fine.
        screen(&document(&deflated(1 << 20), true), Origin::Push).expect("a 1 MiB column");
    }

    #[test]
    fn framing_that_is_not_automerge_is_left_to_automerge() {
        for bytes in [
            &b"not automerge"[..],
            &MAGIC[..],
            &[0x85, 0x6f, 0x4a, 0x83, 0, 0],
        ] {
            screen(bytes, Origin::Push).expect("automerge decides");
        }
        let mut long = chunk(CHANGE, &[0; 8]);
        long.truncate(long.len() - 1);
        screen(&long, Origin::Push).expect("a truncated chunk is automerge's to refuse");
    }

    #[test]
    fn leb128_is_read_as_automerge_writes_it() {
        for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut bytes = Vec::new();
            uleb(value, &mut bytes);
            bytes.push(0xAA);
            let mut reader = Reader(&bytes);
            assert_eq!(reader.uleb(), Some(value));
            assert_eq!(reader.0, [0xAA]);
        }
        for value in [0, 1, -1, 63, -64, 64, -65, 1 << 40, i64::MAX, i64::MIN] {
            let mut bytes = Vec::new();
            sleb(value, &mut bytes);
            bytes.push(0xAA);
            let mut reader = Reader(&bytes);
            assert_eq!(reader.sleb(), Some(value));
            assert_eq!(reader.0, [0xAA]);
        }
        assert_eq!(Reader(&[0xff; 11]).uleb(), None, "too long");
        assert_eq!(Reader(&[0x80]).uleb(), None, "cut short");
        let mut overflow = vec![0xff; 9];
        overflow.push(0x02);
        assert_eq!(Reader(&overflow).uleb(), None, "past 64 bits");
    }
}
