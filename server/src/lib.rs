//! The outreach server: receives phones' sync requests, merges them with
//! sync-core's hub functions, stores documents, their change feed and
//! projections in SQLite or PostgreSQL, and manages devices and the area.
//!
//! `main.rs` only wires things; [`http::app`] builds the whole HTTP
//! application, so tests can serve it on a loopback port.

pub mod addresses;
pub mod admin;
pub mod allocator;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod cli;
pub mod db;
pub mod demo;
pub mod duplicates;
pub mod error;
pub mod http;
pub mod projection;
pub mod reports;
pub mod retention;
pub mod sync;
pub mod web;

pub use error::{Error, Result};

/// The sync protocol version this server speaks.
pub const PROTOCOL_VERSION: u16 = sync_core::PROTOCOL_VERSION;
