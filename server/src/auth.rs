//! HTTP-side authentication: the session cookie, resolved once per request into a [`Session`]
//! extension that REST handlers ([`Authed`]) and server functions read alike, the client's
//! address ([`ClientAddr`], for the sign-in throttle), and the Origin (CSRF) check on mutating
//! requests. Sessions themselves live in the database
//! ([`crate::service::accounts`]).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;

use app::backend::{Actor, Backend, BackendError, ClientAddr, Session};

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

/// The client of a request: the TCP peer, unless the peer is a trusted proxy; then the
/// rightmost `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left
/// were written by the client and prove nothing). A malformed entry, or a header that names only
/// proxies, leaves the peer as the client.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| value.to_str().map_or(vec![""], |v| v.split(',').collect()))
        .map(str::trim)
        .collect();
    for entry in entries.iter().rev() {
        let Some(ip) = parse_forwarded(entry) else {
            return peer;
        };
        if !is_trusted(&ip) {
            return canonical(ip);
        }
    }
    peer
}

/// An `X-Forwarded-For` entry: an address, or an address with a port (`[v6]:port`, `v4:port`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

/// An IPv4-mapped IPv6 address as IPv4, so `--trusted-proxy 10.0.0.0/8` matches a dual-stack peer.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Middleware: stores the request's [`ClientAddr`] (from the connection's peer address, see
/// [`client_address`]). Requests without a peer (driven in-process) get none.
pub async fn resolve_client(
    State(service): State<Service>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(peer) = peer {
        let client = client_address(
            canonical(peer),
            request.headers(),
            &service.config().trusted_proxies,
        );
        request.extensions_mut().insert(ClientAddr(client));
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
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let client = |peer: &str, forwarded: &[&str]| {
            let mut map = HeaderMap::new();
            for value in forwarded {
                map.append("x-forwarded-for", value.parse().unwrap());
            }
            client_address(peer.parse().unwrap(), &map, &trusted).to_string()
        };
        // From an untrusted peer the header is ignored, whatever it says.
        assert_eq!(client("203.0.113.9", &["198.51.100.1"]), "203.0.113.9");
        // From a proxy: the rightmost entry that is not a proxy; spoofed entries to its left lose.
        assert_eq!(client("10.0.0.2", &["198.51.100.1"]), "198.51.100.1");
        assert_eq!(
            client("10.0.0.2", &["1.2.3.4, 198.51.100.1, 10.0.0.7"]),
            "198.51.100.1"
        );
        assert_eq!(
            client("10.0.0.2", &["1.2.3.4", "198.51.100.1"]),
            "198.51.100.1"
        );
        assert_eq!(client("10.0.0.2", &["[2001:db8::1]:443"]), "2001:db8::1");
        assert_eq!(client("10.0.0.2", &["198.51.100.1:5000"]), "198.51.100.1");
        // No header, garbage, or only proxies: the peer itself.
        assert_eq!(client("10.0.0.2", &[]), "10.0.0.2");
        assert_eq!(client("10.0.0.2", &["1.2.3.4, garbage"]), "10.0.0.2");
        assert_eq!(client("10.0.0.2", &["10.0.0.9"]), "10.0.0.2");
        assert_eq!(client("::1", &["::ffff:198.51.100.1"]), "198.51.100.1");
    }

    #[test]
    fn cookie_flags() {
        let cookie = session_cookie("abc", true, 60);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(cookie.ends_with("; Secure"));
        assert!(!session_cookie("abc", false, 60).contains("Secure"));
    }
}
