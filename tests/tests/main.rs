//! The end-to-end tests, in one binary (each test binary links the server,
//! sqlx and automerge: one link instead of nine), a module per scenario.
//! Helpers are in the `tests` library (`tests/src`).

mod cli;
mod conformance;
mod crash;
mod dashboard;
mod differencing;
mod dimensions;
mod disclosure;
mod doors;
mod drill;
mod groups;
mod map;
mod operations;
mod outreach_week;
mod pack;
mod processes;
mod reports;
mod security;
mod server_sync;
mod setup;
mod targets;
