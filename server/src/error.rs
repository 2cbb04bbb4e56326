//! The server's error type, and the one place it becomes an HTTP response
//! (in `http::error`).

use sync_core::ProtocolError;

/// Everything that can go wrong in the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// sync-core refused or failed (validation, malformed document, ...).
    #[error(transparent)]
    Core(#[from] sync_core::Error),
    /// A sync message could not be decoded.
    #[error("bad sync message: {0}")]
    Protocol(#[from] ProtocolError),
    /// No valid bearer token.
    #[error("a valid device token is required")]
    Unauthorized,
    /// The device may not do this.
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    /// Nothing with this id.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is not acceptable; the message says why.
    #[error("{0}")]
    BadRequest(String),
    /// A document kept changing under a merge (heavy contention): try again.
    #[error("busy: try again")]
    Busy,
    /// The device sends too many requests.
    #[error("too many requests")]
    RateLimited,
    /// Stored data breaks an invariant the server relies on.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// The configuration is unusable.
    #[error("configuration error: {0}")]
    Config(String),
    /// A page or chart template failed to render (a bug).
    #[error("rendering a page failed: {0}")]
    Render(String),
    /// An I/O error outside the database.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with the server's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
