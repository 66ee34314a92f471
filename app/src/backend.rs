//! The storage port used by server functions (server side only).
//!
//! The `server` crate implements [`Backend`] over SQLite or PostgreSQL and provides it as
//! Leptos context; server functions fetch it with [`backend`]. Keeping the trait here lets the
//! components and server functions live in one crate without this crate knowing any SQL.

use std::sync::Arc;

use leptos::prelude::*;

/// An error from the storage layer, already safe to show to a user.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The database could not be reached or the query failed; details are logged server side.
    #[error("storage is unavailable")]
    Unavailable,
}

/// What the web application needs from storage.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Adds one to the named counter (creating it at 1) and returns the stored value.
    async fn increment_counter(&self, name: &str) -> Result<i64, BackendError>;
    /// The stored value of the named counter, 0 when it was never incremented.
    async fn counter(&self, name: &str) -> Result<i64, BackendError>;
}

/// The shared handle the server provides as context.
pub type SharedBackend = Arc<dyn Backend>;

/// Fetches the backend from the request context.
pub fn backend() -> Result<SharedBackend, ServerFnError> {
    use_context::<SharedBackend>()
        .ok_or_else(|| ServerFnError::new("server misconfigured: no storage backend in context"))
}
