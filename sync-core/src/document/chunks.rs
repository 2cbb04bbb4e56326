//! A look at automerge bytes before automerge's parser sees them, to refuse
//! the shapes that make it ask for far more memory than the bytes are worth.
//!
//! Pushed changes come from any device with a token, and automerge 0.12
//! trusts some lengths it reads:
//! * a **bundle** chunk's delta-encoded columns are expanded into a `Vec`
//!   as long as a run length says: fuzzing found 213 bytes that made it ask
//!   for 2 GiB;
//! * a **compressed change** chunk, and a document's **deflated columns**,
//!   are inflated without a bound: a few MiB of DEFLATE can inflate to GiB.
//!
//! Devices running sync-core only ever send document chunks (`save`) and
//! change chunks (`save_after`), so bundles are refused outright, and
//! whatever is inflated must stay within [`MAX_INFLATED_BYTES`]. Inflating
//! here goes into a counting sink, a block at a time, so the check itself
//! holds no more than that block.
//!
//! The walk only follows the chunk framing (automerge's binary format:
//! magic bytes, checksum, chunk type, length) and a document's column
//! metadata. Where the framing stops making sense, so does automerge's
//! parser, which reads chunks in order and refuses or ignores the rest: the
//! walk stops there and leaves the verdict to it.

use std::io::Read;

use crate::error::DocumentError;

/// The most a document's (or a compressed change's) columns may inflate
/// to. Saved documents are at most [`super::MAX_DOCUMENT_BYTES`]; their
/// columns are run-length encoded before they are deflated, so sixteen times
/// that leaves real documents far inside the limit.
pub(crate) const MAX_INFLATED_BYTES: u64 = 16 * super::MAX_DOCUMENT_BYTES as u64;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;
/// A column specification's deflate bit.
const DEFLATE: u64 = 0b1000;
/// Bytes in a change hash.
const HASH_BYTES: usize = 32;

/// Refuses bytes whose chunks automerge would expand beyond reason; passes
/// everything else on to automerge's own parser.
pub(crate) fn screen(bytes: &[u8]) -> Result<(), DocumentError> {
    let mut rest = Reader(bytes);
    let mut inflated = 0;
    while let Some((kind, body)) = rest.chunk() {
        match kind {
            DOCUMENT => inflated += document_inflated_bytes(body)?,
            CHANGE => {}
            COMPRESSED_CHANGE => inflated += inflated_bytes(body)?,
            other => {
                return Err(DocumentError::Automerge(format!(
                    "chunk type {other} is not accepted (only documents and changes)"
                )));
            }
        }
        if inflated > MAX_INFLATED_BYTES {
            return Err(too_large());
        }
    }
    Ok(())
}

fn too_large() -> DocumentError {
    DocumentError::Automerge(format!(
        "compressed data inflates to more than {MAX_INFLATED_BYTES} bytes"
    ))
}

/// How much a document chunk's deflated columns inflate to (the column data
/// that is stored as it is counts only in its stored bytes).
fn document_inflated_bytes(body: &[u8]) -> Result<u64, DocumentError> {
    let mut body = Reader(body);
    let Some(columns) = document_columns(&mut body) else {
        return Ok(0);
    };
    let mut inflated = 0;
    for (spec, len) in columns {
        let Some(data) = body.take(len) else {
            return Ok(inflated);
        };
        if spec & DEFLATE != 0 {
            inflated += inflated_bytes(data)?;
            if inflated > MAX_INFLATED_BYTES {
                return Err(too_large());
            }
        }
    }
    Ok(inflated)
}

/// A document chunk's prefix (actors, heads, then the change and the op
/// columns' metadata), leaving `body` at the column data: each column's
/// specification and stored length, in the order their data follows.
fn document_columns(body: &mut Reader<'_>) -> Option<Vec<(u64, u64)>> {
    for _ in 0..body.uleb()? {
        let len = body.uleb()?;
        body.take(len)?;
    }
    let heads = body.uleb()?;
    body.take(heads.checked_mul(HASH_BYTES as u64)?)?;
    let mut columns = Vec::new();
    for _ in 0..2 {
        for _ in 0..body.uleb()? {
            columns.push((body.uleb()?, body.uleb()?));
        }
    }
    Some(columns)
}

/// Inflates DEFLATE data into a counting sink, up to one byte past the
/// limit. Data that turns out not to be DEFLATE counts what inflated before
/// the error: automerge inflates as much before it refuses it.
fn inflated_bytes(deflated: &[u8]) -> Result<u64, DocumentError> {
    let mut inflater = flate2::bufread::DeflateDecoder::new(deflated).take(MAX_INFLATED_BYTES + 1);
    let mut counted = Counted(0);
    // An error is automerge's to report; what inflated before it counts.
    let _ = std::io::copy(&mut inflater, &mut counted);
    if counted.0 > MAX_INFLATED_BYTES {
        return Err(too_large());
    }
    Ok(counted.0)
}

/// A sink that counts what is written to it.
struct Counted(u64);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

    /// An unsigned LEB128 number, as automerge writes them (at most ten
    /// bytes, no overflow).
    fn uleb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for (i, &byte) in self.0.iter().enumerate().take(10) {
            let bits = u64::from(byte & 0x7f);
            let shift = 7 * i as u32;
            if shift == 63 && bits > 1 {
                return None;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                self.0 = &self.0[i + 1..];
                return Some(value);
            }
        }
        None
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

    /// A document chunk with no actors or heads, no change columns, and one
    /// op column holding `data` (deflated or not).
    fn document(data: &[u8], deflate: bool) -> Vec<u8> {
        let mut body = vec![0, 0, 0, 1];
        uleb(if deflate { 0x18 } else { 0x10 }, &mut body);
        uleb(data.len() as u64, &mut body);
        body.extend(data);
        chunk(DOCUMENT, &body)
    }

    #[test]
    fn saved_documents_and_changes_pass() {
        let mut doc = automerge::AutoCommit::new();
        use automerge::transaction::Transactable;
        for i in 0..200 {
            doc.put(
                automerge::ROOT,
                format!("field {i}"),
                "a value long enough to deflate",
            )
            .expect("put");
        }
        let saved = doc.save();
        let mut whole = Reader(&saved);
        let (kind, body) = whole.chunk().expect("a chunk");
        assert_eq!(kind, DOCUMENT);
        assert!(
            document_inflated_bytes(body).expect("inflates") > 0,
            "the walk reaches the deflated columns of a real document"
        );
        let mut both = saved.clone();
        both.extend(doc.save_after(&[]));
        for bytes in [saved, doc.save_after(&[]), both, Vec::new()] {
            screen(&bytes).expect("what automerge saves passes");
        }
    }

    #[test]
    fn bundles_are_refused() {
        let err = screen(&chunk(3, &[0; 8])).expect_err("a bundle");
        assert!(err.to_string().contains("chunk type 3"), "{err}");
        let mut after_a_change = chunk(CHANGE, &[0; 8]);
        after_a_change.extend(chunk(3, &[]));
        screen(&after_a_change).expect_err("a bundle after a change");
    }

    #[test]
    fn deflate_bombs_are_refused() {
        let bomb = deflated(MAX_INFLATED_BYTES as usize + 1);
        assert!(bomb.len() < 1 << 20, "a bomb is small: {}", bomb.len());
        screen(&chunk(COMPRESSED_CHANGE, &bomb)).expect_err("a compressed change bomb");
        screen(&document(&bomb, true)).expect_err("a deflated column bomb");
        // The same bytes stored as they are inflate to nothing.
        screen(&document(&bomb, false)).expect("an undeflated column");
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
        screen(&chunk(COMPRESSED_CHANGE, &cut)).expect_err("a broken bomb");
        // Up to the limit is fine.
        screen(&document(&deflated(1 << 20), true)).expect("a 1 MiB column");
    }

    #[test]
    fn framing_that_is_not_automerge_is_left_to_automerge() {
        for bytes in [
            &b"not automerge"[..],
            &MAGIC[..],
            &[0x85, 0x6f, 0x4a, 0x83, 0, 0],
        ] {
            screen(bytes).expect("automerge decides");
        }
        let mut long = chunk(CHANGE, &[0; 8]);
        long.truncate(long.len() - 1);
        screen(&long).expect("a truncated chunk is automerge's to refuse");
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
        assert_eq!(Reader(&[0xff; 11]).uleb(), None, "too long");
        assert_eq!(Reader(&[0x80]).uleb(), None, "cut short");
        let mut overflow = vec![0xff; 9];
        overflow.push(0x02);
        assert_eq!(Reader(&overflow).uleb(), None, "past 64 bits");
    }
}
