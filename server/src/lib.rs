//! The outreach server: receives phones' sync requests, merges them with
//! sync-core's hub functions, stores documents, their change feed and
//! projections in SQLite or PostgreSQL, answers the partnership's reports,
//! and lets admins run the area.
//!
//! The code is in layers whose dependencies point down only (the tests in
//! `layers.rs` keep it so; ARCHITECTURE.md draws them):
//!
//! * [`cli`] and [`http`]: entry points. They parse, authenticate and
//!   present, and call [`ops`] for anything that changes something.
//! * [`ops`]: the use cases, each one transaction with its audit record.
//! * [`sync`]: the hub over the store. [`reports`]: the partnership's
//!   figures, computed from the store's report rows.
//! * [`store`]: the only code that knows SQL.
//!
//! [`error`] and [`calendar`] are used by every layer. `main.rs` only wires
//! things; [`http::app`] builds the whole HTTP application, so tests can
//! serve it on a loopback port.

pub mod allocator;
pub mod calendar;
pub mod cli;
pub mod error;
pub mod http;
pub mod labels;
pub mod languages;
#[cfg(test)]
mod layers;
pub mod ops;
pub mod reports;
pub mod store;
pub mod sync;
#[cfg(test)]
mod testing;

pub use error::{Error, Result};

/// The sync protocol version this server speaks.
pub const PROTOCOL_VERSION: u16 = sync_core::PROTOCOL_VERSION;
