//! Storage: every SQL statement of the lifecycle service, with typed rows.
//!
//! Feature modules of [`crate::service`] decide; this module only reads and writes. Each file
//! owns one group of tables and maps their rows with `sqlx::FromRow` into the records the UI and
//! the API share ([`app::backend`]). Nothing here imports the service, so the service's feature
//! modules meet only here and never import each other's readers.
//!
//! Queries are written once with `$n` placeholders, which both SQLite and PostgreSQL accept; the
//! one place where the engines need different SQL is the decision writer's batch
//! ([`crate::service::writer`]).
//!
//! Errors: a store call returns [`Error`], which converts into [`BackendError`] with `?`; a
//! database failure is logged and shown as "storage is unavailable".

pub mod approvals;
pub mod audit;
pub mod contributors;
pub mod decisions;
pub mod drafts;
pub mod evidence;
pub mod history;
pub mod keys;
pub mod packs;
pub mod retention;
pub mod shadow;
pub mod tokens;
pub mod users;
pub mod versions;

use app::backend::BackendError;

/// A storage failure, or a domain answer found while reading (a missing pack, …).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database failed; logged and hidden from the client.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A domain answer such as "no pack `x`".
    #[error("{0}")]
    Service(#[from] BackendError),
}

/// Result of store calls.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A unique-constraint violation becomes the given conflict; anything else stays as it is.
    pub fn unique_as(self, conflict: impl FnOnce() -> BackendError) -> BackendError {
        match &self {
            Error::Db(error) if is_unique_violation(error) => conflict(),
            _ => self.into(),
        }
    }
}

impl From<Error> for BackendError {
    fn from(error: Error) -> Self {
        match error {
            Error::Db(error) => db_error(error),
            Error::Service(error) => error,
        }
    }
}

/// Logs a database failure and hides it from the client.
pub(crate) fn db_error(error: sqlx::Error) -> BackendError {
    // PostgreSQL refuses NUL in text (SQLSTATE 22021): the caller's input, not an outage.
    if let sqlx::Error::Database(db) = &error {
        if db.code().as_deref() == Some("22021") {
            return BackendError::Invalid("text must not contain NUL characters".into());
        }
    }
    tracing::error!(%error, "database query failed");
    BackendError::Unavailable
}

/// Whether a database error is a unique-constraint violation.
fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("23505")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// A JSON list of strings kept in a TEXT column (approver groups, a user's groups).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringList(pub Vec<String>);

impl From<String> for StringList {
    fn from(json: String) -> Self {
        // Written only by this module from a `Vec<String>`; unreadable text reads as empty.
        StringList(serde_json::from_str(&json).unwrap_or_default())
    }
}

impl StringList {
    /// The JSON text to store.
    pub fn to_json(list: &[String]) -> String {
        serde_json::Value::from(list).to_string()
    }
}

pub(crate) use crate::time::rfc3339;
