//! HTTP-side authentication: the session cookie, resolved once per request into a [`Session`]
//! extension that REST handlers ([`Authed`]) and server functions read alike, and the Origin
//! (CSRF) check on mutating requests. Sessions themselves live in the database
//! ([`crate::service::accounts`]).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::backend::{Actor, Backend, BackendError, Session};

use crate::errors::AppError;
use crate::service::Service;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cavra_session";

/// The session token from a `Cookie` header, if any (an empty value counts as none).
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|token| !token.is_empty())
}

/// Whether a path is served without a session (static files, health, runtime decisions), so
/// resolving one would only cost a database read.
fn sessionless(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/vs/")
        || path.starts_with("/v1/")
        || path == "/healthz"
}

/// Middleware: resolves the request's session cookie once (one database read) and stores the
/// result as a [`Session`] extension for every handler and server function after it.
pub async fn resolve_session(
    State(service): State<Service>,
    mut request: Request,
    next: Next,
) -> Response {
    if !sessionless(request.uri().path()) {
        let session = match session_token(request.headers()) {
            Some(token) => Session {
                actor: service.authenticate(&token).await,
                token: Some(token),
            },
            None => Session::anonymous(),
        };
        request.extensions_mut().insert(session);
    }
    next.run(request).await
}

/// The signed-in user of a request, from the resolved [`Session`].
#[derive(Debug, Clone)]
pub struct Authed(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let session = parts.extensions.get::<Session>();
        let actor = session.map_or(Err(BackendError::Unauthenticated), |s| s.actor.clone())?;
        Ok(Authed(actor))
    }
}

/// The `Set-Cookie` value opening a session.
pub fn session_cookie(token: &str, secure: bool, max_age_secs: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    )
}

/// The `Set-Cookie` value ending a session.
pub fn clear_cookie(secure: bool) -> String {
    session_cookie("", secure, 0)
}

/// Whether a request with this method changes state.
fn mutating(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The host part (`host[:port]`) of an origin such as `https://example.com:8443`.
fn origin_host(origin: &str) -> Option<&str> {
    origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
}

/// Whether the request's Origin (or, without one, `Sec-Fetch-Site`) allows a mutation.
///
/// Browsers send `Origin` on every cross-origin POST, so a request from another site is refused.
/// A request without `Origin` and `Sec-Fetch-Site` does not come from a browser page and cannot
/// carry a SameSite=Strict cookie cross-site, so it passes.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if allowed.iter().any(|a| a == origin) {
            return true;
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        return !host.is_empty() && origin_host(origin) == Some(host);
    }
    match headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
    {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// Middleware: refuses cross-origin mutating requests (REST and server functions) with 403.
/// `/v1/decisions` is exempt: it uses no cookie, so there is nothing to forge.
pub async fn check_origin(
    State(service): State<Service>,
    request: Request,
    next: Next,
) -> Response {
    if mutating(request.method())
        && request.uri().path() != "/v1/decisions"
        && !origin_allowed(request.headers(), &service.config().allowed_origins)
    {
        return AppError::from(BackendError::Forbidden(
            "cross-origin request refused (Origin does not match this server)".into(),
        ))
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn origin_rules() {
        let allowed = vec!["https://ui.example".to_owned()];
        let check = |pairs: &[(&'static str, &str)]| origin_allowed(&headers(pairs), &allowed);
        assert!(check(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ]));
        assert!(!check(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example")
        ]));
        assert!(!check(&[("host", "127.0.0.1:3000"), ("origin", "null")]));
        assert!(check(&[("host", "x"), ("origin", "https://ui.example")]));
        assert!(!check(&[("sec-fetch-site", "cross-site")]));
        assert!(check(&[("sec-fetch-site", "same-origin")]));
        assert!(check(&[]), "non-browser clients send neither header");
    }

    #[test]
    fn cookie_flags() {
        let cookie = session_cookie("abc", true, 60);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(cookie.ends_with("; Secure"));
        assert!(!session_cookie("abc", false, 60).contains("Secure"));
    }
}
