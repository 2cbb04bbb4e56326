//! The server's error type, and the one place it becomes an HTTP response
//! (in `http::error`).

use sync_core::ProtocolError;

/// Everything that can go wrong in the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
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
    /// The device, or the client's address, sends too many requests.
    #[error("too many requests: slow down and try again shortly")]
    RateLimited,
    /// The server is answering as many requests as it can.
    #[error("the server is busy: try again shortly")]
    Overloaded,
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

impl From<sqlx::Error> for Error {
    /// Lock conflicts that clear on their own become [`Error::Busy`] (the
    /// client tries again) rather than a server fault: SQLite's BUSY and
    /// LOCKED (for example while a database is recovered after a crash),
    /// PostgreSQL's serialization failures, deadlocks and lock timeouts.
    fn from(e: sqlx::Error) -> Self {
        let transient = match &e {
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                let sqlite_busy = code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
                sqlite_busy || matches!(code.as_ref(), "40001" | "40P01" | "55P03")
            }),
            _ => false,
        };
        if transient {
            tracing::warn!(error = %e, "the database was busy: the client is asked to try again");
            Self::Busy
        } else {
            Self::Database(e)
        }
    }
}

/// `Result` with the server's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
