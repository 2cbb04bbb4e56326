//! The sync protocol's wire messages.
//!
//! A device sends a [`SyncRequest`]; the server answers with a
//! [`SyncResponse`]; the device applies it and repeats while the response says
//! there is more. Every message starts with a header: the magic bytes `OUTR`,
//! the protocol version (u16, little endian) and a message type byte, followed
//! by a [postcard](https://docs.rs/postcard) body. A decoder refuses any other
//! version with [`ProtocolError::UnsupportedVersion`], so a change of format
//! is always a new version number (snapshot tests pin today's bytes).
//! Byte fields (changes, cursors) are (de)serialised as one block
//! (`serde_bytes`) rather than element by element, as plain `Vec<u8>` would
//! be; postcard writes both the same way (a length, then the bytes), which
//! the snapshot tests pin too.
//!
//! The protocol is built for a hub (the server) and many devices:
//! * A device pushes, per document it changed, the automerge changes made
//!   since the last heads it knows the server has (`base`), and its own heads.
//!   The server merges and answers with its new heads and exactly the changes
//!   the device lacks, so one round trip settles a document both sides edited.
//! * A device learns about documents others changed from the server's change
//!   feed: everything in its scope committed after its opaque `cursor`, as the
//!   raw changes added since then (a whole document when the device cannot
//!   have it yet). Erased documents arrive as ids alone.
//! * Anything the device cannot apply (a document that moved into its scope
//!   with history it never saw) it asks for again with a [`Pull`].

use serde::{Deserialize, Serialize};

use crate::error::ProtocolError;
use crate::ids::DocId;

/// The protocol version this build speaks.
///
/// Version 2 added redirects (people merged into another record):
/// [`PushOutcome::Redirected`] and [`SyncResponse::redirected`]. Version 3
/// added [`SyncResponse::resync`] (the server was restored from a backup).
pub const PROTOCOL_VERSION: u16 = 3;
const MAGIC: &[u8; 4] = b"OUTR";
const HEADER_LEN: usize = 7;
const REQUEST: u8 = 1;
const RESPONSE: u8 = 2;

/// Most documents pushed or pulled in one request.
pub const MAX_DOCS_PER_REQUEST: usize = 2000;

/// An automerge change hash: a document's heads are a set of these.
pub type Head = [u8; 32];

/// A device's half of a round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SyncRequest {
    /// Where the device is in the server's change feed (opaque; empty at first).
    #[serde(with = "serde_bytes")]
    pub cursor: Vec<u8>,
    /// Documents with changes the server may not have.
    pub pushes: Vec<Push>,
    /// Documents the device needs sent again in full or in part.
    pub pulls: Vec<Pull>,
}

/// Changes to one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// The document.
    pub doc: DocId,
    /// The heads the device knows the server has (empty for a new document).
    pub base: Vec<Head>,
    /// The device's heads after these changes.
    pub heads: Vec<Head>,
    /// Automerge changes after `base` (a saved document when `base` is empty).
    #[serde(with = "serde_bytes")]
    pub changes: Vec<u8>,
}

/// A request for a document the device lacks in part or in whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pull {
    /// The document.
    pub doc: DocId,
    /// The device's heads (empty if it has nothing).
    pub have: Vec<Head>,
}

/// The server's half of a round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SyncResponse {
    /// The device's new place in the change feed.
    #[serde(with = "serde_bytes")]
    pub cursor: Vec<u8>,
    /// Whether the device should sync again straight away (the feed had more
    /// than one response holds, or a push must be resent).
    pub more: bool,
    /// The result of each push, in request order.
    pub pushed: Vec<PushResult>,
    /// Changes to documents in the device's scope.
    pub updates: Vec<DocUpdate>,
    /// Documents that have been erased: the device must delete them.
    pub erased: Vec<DocId>,
    /// Documents the device may not hold: pulled ones the server cannot
    /// send (unknown, or outside the device's scope), and ones that moved
    /// out of its scope (another patch). The device stops asking for them
    /// and drops its copy, unless the copy holds changes the server lacks
    /// (those are pushed, refused, and stay on the device).
    pub unavailable: Vec<DocId>,
    /// The device has been revoked: it must wipe its store.
    pub wipe: bool,
    /// Records merged into another (duplicates of one person): the device
    /// drops its copy of `from` once it has nothing left to push there, and
    /// uses `to` instead.
    pub redirected: Vec<Redirect>,
    /// The server was restored from a backup since the device's cursor was
    /// made, so it may lack changes it once accepted: the device sends
    /// every document it holds again, whole, and reads the feed from the
    /// start (this response's is). Nothing the server lost is lost while a
    /// device still holds it.
    pub resync: bool,
}

/// A record merged into another: its id now leads to the survivor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    /// The merged-away record (a tombstone on the server: its id alone).
    pub from: DocId,
    /// The record that holds what it held.
    pub to: DocId,
}

/// What became of one push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    /// The document.
    pub doc: DocId,
    /// The outcome.
    pub outcome: PushOutcome,
}

/// The outcome of a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushOutcome {
    /// Merged and committed (or already there).
    Accepted {
        /// The server's heads after the merge.
        heads: Vec<Head>,
        /// The changes the server has and the device lacked.
        #[serde(with = "serde_bytes")]
        changes: Vec<u8>,
    },
    /// The server lacks the push's base: send the whole document.
    Resend,
    /// Refused; nothing of the push was stored.
    Rejected(Rejection),
    /// The document was merged into `to`, and the server moved what this
    /// push added there (re-homed it): the device may drop its copy if its
    /// heads are still `heads`.
    Redirected {
        /// The record that now holds it.
        to: DocId,
        /// The heads of the version that was re-homed.
        heads: Vec<Head>,
    },
}

/// Changes to one document from the feed or a pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocUpdate {
    /// The document.
    pub doc: DocId,
    /// Automerge changes, or a saved document.
    #[serde(with = "serde_bytes")]
    pub changes: Vec<u8>,
}

/// Why a push was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// What kind of refusal.
    pub code: RejectionCode,
    /// A message for people, with no personal data in it.
    pub detail: String,
}

/// Kinds of refusal. Devices act on the code, not the detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RejectionCode {
    /// The document (before or after the change) is outside the device's scope.
    OutOfScope,
    /// The change breaks a rule of the domain.
    Invalid,
    /// The change is not a well-formed record or automerge data.
    Malformed,
    /// The document has been erased and can never be written again.
    Erased,
    /// The document or change is larger than allowed.
    TooLarge,
    /// The device may read but never write (a viewer).
    ReadOnly,
}

impl Rejection {
    /// A refusal; `detail` must carry no personal data.
    pub fn new(code: RejectionCode, detail: impl ToString) -> Self {
        Self {
            code,
            detail: detail.to_string(),
        }
    }
}

fn encode<T: Serialize>(kind: u8, message: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_le_bytes());
    out.push(kind);
    // Serialising plain structs of bytes and numbers into a Vec cannot fail.
    postcard::to_io(message, &mut out).expect("serialising into memory");
    out
}

fn decode<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    kind: u8,
    expected: &'static str,
) -> Result<T, ProtocolError> {
    if bytes.len() < HEADER_LEN {
        return Err(ProtocolError::Truncated);
    }
    if &bytes[..4] != MAGIC {
        return Err(ProtocolError::BadMagic);
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != PROTOCOL_VERSION {
        return Err(ProtocolError::UnsupportedVersion {
            found: version,
            supported: PROTOCOL_VERSION,
        });
    }
    if bytes[6] != kind {
        return Err(ProtocolError::WrongMessageType { expected });
    }
    let (message, rest) = postcard::take_from_bytes(&bytes[HEADER_LEN..])
        .map_err(|e| ProtocolError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(ProtocolError::Malformed(format!(
            "{} unexpected bytes after the message",
            rest.len()
        )));
    }
    Ok(message)
}

impl SyncRequest {
    /// Encodes for the wire.
    pub fn encode(&self) -> Vec<u8> {
        encode(REQUEST, self)
    }

    /// Decodes from the wire, refusing anything malformed or too large.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let request: Self = decode(bytes, REQUEST, "request")?;
        if request.pushes.len() + request.pulls.len() > MAX_DOCS_PER_REQUEST {
            return Err(ProtocolError::TooLarge("too many documents in one request"));
        }
        Ok(request)
    }

    /// Whether the request carries nothing but a cursor.
    pub fn is_poll(&self) -> bool {
        self.pushes.is_empty() && self.pulls.is_empty()
    }
}

impl SyncResponse {
    /// Encodes for the wire.
    pub fn encode(&self) -> Vec<u8> {
        encode(RESPONSE, self)
    }

    /// Decodes from the wire.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        decode(bytes, RESPONSE, "response")
    }
}

pub(crate) fn heads_to_wire(heads: &[automerge::ChangeHash]) -> Vec<Head> {
    heads.iter().map(|h| h.0).collect()
}

pub(crate) fn heads_from_wire(heads: &[Head]) -> Vec<automerge::ChangeHash> {
    heads.iter().map(|h| automerge::ChangeHash(*h)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Timestamp;
    use uuid::Uuid;

    fn doc(n: u128) -> DocId {
        DocId::from_uuid(Uuid::from_u128(n))
    }

    /// A document id on the wire: its length, then its 16 bytes.
    fn wire_id(n: u128) -> Vec<u8> {
        let mut out = vec![16];
        out.extend(n.to_be_bytes());
        out
    }

    /// Pins the wire format: if this test fails, the format changed and
    /// PROTOCOL_VERSION must change with it.
    #[test]
    fn request_bytes_are_stable() {
        let request = SyncRequest {
            cursor: vec![1, 2],
            pushes: vec![Push {
                doc: doc(0x0102),
                base: vec![],
                heads: vec![[7; 32]],
                changes: vec![0xAA, 0xBB],
            }],
            pulls: vec![Pull {
                doc: doc(3),
                have: vec![],
            }],
        };
        let bytes = request.encode();
        let mut expected = b"OUTR\x03\x00\x01".to_vec();
        expected.extend([2, 1, 2]); // cursor
        expected.push(1); // one push
        expected.extend(wire_id(0x0102));
        expected.push(0); // empty base
        expected.push(1);
        expected.extend([7u8; 32]); // heads
        expected.extend([2, 0xAA, 0xBB]); // changes
        expected.push(1); // one pull
        expected.extend(wire_id(3));
        expected.push(0);
        assert_eq!(bytes, expected);
        assert_eq!(SyncRequest::decode(&bytes).unwrap(), request);
    }

    #[test]
    fn response_bytes_are_stable() {
        let response = SyncResponse {
            cursor: vec![9],
            more: true,
            pushed: vec![
                PushResult {
                    doc: doc(1),
                    outcome: PushOutcome::Resend,
                },
                PushResult {
                    doc: doc(2),
                    outcome: PushOutcome::Rejected(Rejection::new(RejectionCode::Erased, "x")),
                },
                PushResult {
                    doc: doc(3),
                    outcome: PushOutcome::Redirected {
                        to: doc(8),
                        heads: vec![[7; 32]],
                    },
                },
            ],
            updates: vec![DocUpdate {
                doc: doc(4),
                changes: vec![5],
            }],
            erased: vec![doc(6)],
            unavailable: vec![doc(7)],
            wipe: false,
            redirected: vec![Redirect {
                from: doc(3),
                to: doc(8),
            }],
            resync: true,
        };
        let bytes = response.encode();
        let mut expected = b"OUTR\x03\x00\x02".to_vec();
        expected.extend([1, 9, 1, 3]); // cursor, more, three results
        expected.extend(wire_id(1));
        expected.push(1); // Resend
        expected.extend(wire_id(2));
        expected.extend([2, 3, 1, b'x']); // Rejected, Erased, "x"
        expected.extend(wire_id(3));
        expected.push(3); // Redirected
        expected.extend(wire_id(8));
        expected.push(1);
        expected.extend([7u8; 32]); // heads
        expected.push(1); // one update
        expected.extend(wire_id(4));
        expected.extend([1, 5]);
        expected.push(1); // one erased
        expected.extend(wire_id(6));
        expected.push(1); // one unavailable
        expected.extend(wire_id(7));
        expected.push(0); // no wipe
        expected.push(1); // one redirect
        expected.extend(wire_id(3));
        expected.extend(wire_id(8));
        expected.push(1); // resync
        assert_eq!(bytes, expected);
        assert_eq!(SyncResponse::decode(&bytes).unwrap(), response);
    }

    #[test]
    fn bad_messages_get_typed_errors() {
        let good = SyncRequest::default().encode();
        assert_eq!(SyncRequest::decode(b"OUT"), Err(ProtocolError::Truncated));
        assert_eq!(
            SyncRequest::decode(b"HTTP/1.1 200"),
            Err(ProtocolError::BadMagic)
        );
        let mut newer = good.clone();
        newer[4] = 4;
        assert_eq!(
            SyncRequest::decode(&newer),
            Err(ProtocolError::UnsupportedVersion {
                found: 4,
                supported: 3
            })
        );
        assert!(matches!(
            SyncResponse::decode(&good),
            Err(ProtocolError::WrongMessageType { .. })
        ));
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(
            SyncRequest::decode(&trailing),
            Err(ProtocolError::Malformed(_))
        ));
        let truncated = SyncRequest {
            pulls: vec![Pull {
                doc: DocId::new(Timestamp::from_millis(0)),
                have: vec![],
            }],
            ..Default::default()
        }
        .encode();
        assert!(matches!(
            SyncRequest::decode(&truncated[..truncated.len() - 3]),
            Err(ProtocolError::Malformed(_))
        ));
    }

    #[test]
    fn too_many_documents_are_refused() {
        let request = SyncRequest {
            pulls: vec![
                Pull {
                    doc: doc(1),
                    have: vec![]
                };
                MAX_DOCS_PER_REQUEST + 1
            ],
            ..Default::default()
        };
        assert!(matches!(
            SyncRequest::decode(&request.encode()),
            Err(ProtocolError::TooLarge(_))
        ));
    }
}
