//! Sign in and out: the same session cookie the REST API uses.

use leptos::prelude::*;

use super::ApiError;
use crate::backend::Actor;

/// The signed-in user, or `None`.
#[server]
pub async fn whoami() -> Result<Option<Actor>, ApiError> {
    use super::ssr;
    let Some(token) = ssr::session().await else {
        return Ok(None);
    };
    match ssr::backend()?.authenticate(&token).await {
        Ok(actor) => Ok(Some(actor)),
        Err(crate::backend::BackendError::Unauthenticated) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Checks the password, opens a session and sets the session cookie.
#[server]
pub async fn login(username: String, password: String) -> Result<Actor, ApiError> {
    let (actor, token) = super::ssr::backend()?
        .login(username.trim(), &password)
        .await?;
    set_cookie(&token, None).await;
    Ok(actor)
}

/// Ends the session and clears the cookie.
#[server]
pub async fn logout() -> Result<(), ApiError> {
    if let Some(token) = super::ssr::session().await {
        super::ssr::backend()?.logout(&token).await?;
    }
    set_cookie("", Some(0)).await;
    Ok(())
}

#[cfg(feature = "ssr")]
async fn set_cookie(token: &str, max_age: Option<i64>) {
    use leptos::server_fn::axum_export::http::{header, request::Parts, HeaderValue};
    // Mark the cookie Secure when the page was reached over HTTPS (directly or via a proxy).
    let secure = match leptos_axum::extract::<Parts>().await {
        Ok(parts) => {
            let via = |name: header::HeaderName| {
                parts
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("https"))
            };
            via(header::ORIGIN)
                || parts
                    .headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    == Some("https")
        }
        Err(_) => false,
    };
    let mut cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict",
        crate::backend::SESSION_COOKIE
    );
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}
