//! UniFFI bindings of sync-core for Kotlin, Swift and Python apps.
//!
//! This crate is at its beginning: the FFI surface is added on top of
//! [`sync_core::Replica`] (see ARCHITECTURE.md).

pub use sync_core::PROTOCOL_VERSION;
