//! Runtime tokens (admins): the credentials agent runtimes present on `/v1/decisions`.

use leptos::prelude::*;

use super::ApiError;
use crate::backend::{NewRuntimeToken, RuntimeToken};

/// Every runtime token, newest first.
#[server]
pub async fn list_tokens() -> Result<Vec<RuntimeToken>, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.list_tokens(&actor).await?)
}

/// Creates a token for runtime `name`; `packs` empty means every pack. The secret in the
/// answer is shown once.
#[server]
pub async fn create_token(
    name: String,
    #[server(default)] packs: Vec<String>,
) -> Result<NewRuntimeToken, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    let packs = (!packs.is_empty()).then_some(packs);
    Ok(backend.create_token(&actor, &name, packs).await?)
}

/// Revokes a token.
#[server]
pub async fn revoke_token(token_id: i64) -> Result<RuntimeToken, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.revoke_token(&actor, token_id).await?)
}
