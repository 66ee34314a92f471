//! Sign in and out: the same session cookie the REST API uses.

use leptos::prelude::*;

use super::ApiError;
use crate::backend::Actor;

/// The signed-in user, or `None`.
#[server]
pub async fn whoami() -> Result<Option<Actor>, ApiError> {
    match crate::backend::current_session().await.actor {
        Ok(actor) => Ok(Some(actor)),
        Err(crate::backend::BackendError::Unauthenticated) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Checks the password, opens a session and sets the session cookie.
#[server]
pub async fn login(username: String, password: String) -> Result<Actor, ApiError> {
    let client = crate::backend::current_client().await;
    let (actor, token) = super::ssr::backend()?
        .login(username.trim(), &password, client)
        .await?;
    set_cookie(Some(&token));
    Ok(actor)
}

/// Ends the session and clears the cookie.
#[server]
pub async fn logout() -> Result<(), ApiError> {
    if let Some(token) = super::ssr::session().await {
        super::ssr::backend()?.logout(&token).await?;
    }
    set_cookie(None);
    Ok(())
}

#[cfg(feature = "ssr")]
fn set_cookie(token: Option<&str>) {
    if let Some(http) = use_context::<crate::backend::SharedHttp>() {
        http.session_cookie(token);
    }
}
