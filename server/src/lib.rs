//! The outreach server: receives phones' sync requests, merges them with
//! sync-core's hub functions, stores documents and their change feed, and
//! answers reports.
//!
//! This crate is at its beginning: today it only reports the protocol it
//! speaks. The HTTP API, storage and projections follow (see ARCHITECTURE.md).

/// The sync protocol version this server speaks.
pub const PROTOCOL_VERSION: u16 = sync_core::PROTOCOL_VERSION;
