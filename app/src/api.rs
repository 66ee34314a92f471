//! Server functions, grouped by area. Each runs on the server and is called from the browser.

pub mod drafts;
pub mod governance;
pub mod packs;
pub mod session;
pub mod tokens;

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

use crate::backend::BackendError;

/// The error every lifecycle server function returns, so components can branch on the
/// service's answer (a conflict, a refusal with its missing items, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ApiError {
    /// The service refused or failed; safe to show.
    #[error("{0}")]
    Backend(BackendError),
    /// The call itself failed (network, encoding, server misconfiguration).
    #[error("{0}")]
    Transport(String),
}

impl ApiError {
    /// Whether the user has to sign in first.
    pub fn is_unauthenticated(&self) -> bool {
        matches!(self, ApiError::Backend(BackendError::Unauthenticated))
    }

    /// The message plus every missing item of a refusal, one per line.
    pub fn details(&self) -> Vec<String> {
        match self {
            ApiError::Backend(BackendError::Refused { missing, .. }) => missing.clone(),
            _ => Vec::new(),
        }
    }
}

impl From<BackendError> for ApiError {
    fn from(error: BackendError) -> Self {
        #[cfg(feature = "ssr")]
        ssr::set_status(&error);
        ApiError::Backend(error)
    }
}

impl From<ServerFnError> for ApiError {
    fn from(error: ServerFnError) -> Self {
        ApiError::Transport(error.to_string())
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    //! Shared server-side helpers: the backend and the signed-in user as [`ApiError`]s.

    use super::ApiError;
    use crate::backend::{Actor, BackendError, SharedBackend};

    /// The backend from the request context.
    pub fn backend() -> Result<SharedBackend, ApiError> {
        crate::backend::backend().map_err(ApiError::from)
    }

    /// The session token of the current request, if any.
    pub async fn session() -> Option<String> {
        crate::backend::current_session().await.token
    }

    /// Gives a server function call the HTTP status of the service's answer (401 without a
    /// session, 403 for the wrong role, …) through the server's [`HttpPort`].
    ///
    /// [`HttpPort`]: crate::backend::HttpPort
    pub fn set_status(error: &BackendError) {
        if let Some(http) = leptos::prelude::use_context::<crate::backend::SharedHttp>() {
            http.error_status(error);
        }
    }

    /// The signed-in user, or [`BackendError::Unauthenticated`].
    pub async fn actor() -> Result<(SharedBackend, Actor), ApiError> {
        let backend = backend()?;
        let actor = crate::backend::current_session().await.actor?;
        Ok((backend, actor))
    }
}
