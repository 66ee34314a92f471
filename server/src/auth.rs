//! HTTP-side authentication: the session cookie, resolved once per request into a [`Session`]
//! extension that REST handlers ([`Authed`]) and server functions read alike, the client's
//! address ([`ClientAddr`], for the sign-in throttle); the Host allow-list (DNS rebinding) and
//! the Origin (CSRF) check on mutating requests ([`Site`]). Sessions themselves live in the
//! database ([`crate::service::accounts`]).

use std::sync::Arc;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;

use app::backend::{Actor, Backend, BackendError, ClientAddr, Session};

use crate::config::PublicUrl;
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

/// Who the server answers: the Host names (DNS rebinding) and the origins mutating requests
/// may come from (CSRF), from `--public-url` or, without one, the loopback names of the bound
/// port. Built once by `web::router`.
#[derive(Debug, Clone)]
pub struct Site {
    /// The origins users reach the server by; their hosts are the only ones answered.
    origins: Vec<PublicUrl>,
    /// Further origins allowed to send mutating requests (`--allowed-origins`).
    extra_origins: Vec<PublicUrl>,
}

impl Site {
    /// The site of a server configured with `public_urls` and bound to `bound`. Without public
    /// URLs, a loopback server answers `localhost`, `127.0.0.1` and `[::1]` with its port; a
    /// server bound elsewhere answers nothing (`cavra serve` refuses to start that way).
    pub fn new(public_urls: &[PublicUrl], extra_origins: &[PublicUrl], bound: SocketAddr) -> Site {
        let origins = if !public_urls.is_empty() {
            public_urls.to_vec()
        } else if bound.ip().is_loopback() {
            ["localhost", "127.0.0.1", "[::1]"]
                .into_iter()
                .map(|host| PublicUrl {
                    scheme: "http".into(),
                    host: host.into(),
                    port: bound.port(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Site {
            origins,
            extra_origins: extra_origins.to_vec(),
        }
    }

    /// The origins, for messages.
    fn origin_list(&self) -> String {
        let names: Vec<String> = self.origins.iter().map(PublicUrl::origin).collect();
        if names.is_empty() {
            "no host (set --public-url)".to_owned()
        } else {
            names.join(", ")
        }
    }

    /// Whether a `Host` value is one of ours.
    pub fn host_allowed(&self, host: &str) -> bool {
        self.origins.iter().any(|origin| origin.matches_host(host))
    }

    /// Whether the request's Origin (or, without one, `Sec-Fetch-Site`) allows a mutation.
    ///
    /// The Origin must be one of the site's origins or an extra allowed one; it is never
    /// compared with the request's own Host, which a DNS-rebinding page controls. A request
    /// without `Origin` and `Sec-Fetch-Site` does not come from a browser page and cannot carry
    /// a SameSite=Strict cookie cross-site, so it passes.
    pub fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let Some(origin) = origin.to_str().ok().and_then(|o| PublicUrl::parse(o).ok()) else {
                // `null`, or not an origin at all.
                return false;
            };
            return self
                .origins
                .iter()
                .chain(&self.extra_origins)
                .any(|o| *o == origin);
        }
        match headers
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok())
        {
            Some(site) => site == "same-origin" || site == "none",
            None => true,
        }
    }
}

/// The host names a request is addressed to: the URI's authority (HTTP/2, absolute-form) and
/// the `Host` header, whichever are present.
fn request_hosts(request: &Request) -> Vec<String> {
    let mut hosts = Vec::new();
    if let Some(authority) = request.uri().authority() {
        hosts.push(authority.as_str().to_owned());
    }
    if let Some(host) = request.headers().get(header::HOST) {
        hosts.push(String::from_utf8_lossy(host.as_bytes()).into_owned());
    }
    hosts
}

/// Middleware: answers only requests addressed to this site (421 for any other Host, so a
/// DNS-rebinding page cannot read or drive it; `/healthz` stays open for load balancers), and
/// refuses mutating requests from other origins with 403. `/v1/decisions` takes no cookie and
/// needs no Origin, but its Host is checked like every other path.
pub async fn check_site(State(site): State<Arc<Site>>, request: Request, next: Next) -> Response {
    if request.uri().path() != "/healthz" {
        let hosts = request_hosts(&request);
        if hosts.is_empty() {
            return AppError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the request names no host (send a Host header)",
            )
            .into_response();
        }
        if let Some(foreign) = hosts.iter().find(|host| !site.host_allowed(host)) {
            let shown: String = foreign.chars().take(100).collect();
            return AppError::new(
                StatusCode::MISDIRECTED_REQUEST,
                "misdirected_request",
                format!(
                    "this server does not answer for host `{shown}`; it answers for {} (see `cavra serve --public-url`)",
                    site.origin_list()
                ),
            )
            .into_response();
        }
    }
    if mutating(request.method())
        && request.uri().path() != "/v1/decisions"
        && !site.origin_allowed(request.headers())
    {
        return AppError::from(BackendError::Forbidden(format!(
            "cross-origin request refused: the Origin is not {} (or one of --allowed-origins)",
            site.origin_list()
        )))
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

    fn loopback_site() -> Site {
        let extra = [PublicUrl::parse("https://ui.example").unwrap()];
        Site::new(&[], &extra, "127.0.0.1:3000".parse().unwrap())
    }

    #[test]
    fn origin_rules() {
        let site = loopback_site();
        let check = |pairs: &[(&'static str, &str)]| site.origin_allowed(&headers(pairs));
        assert!(check(&[("origin", "http://127.0.0.1:3000")]));
        assert!(check(&[("origin", "http://localhost:3000")]));
        assert!(!check(&[("origin", "http://evil.example")]));
        assert!(!check(&[("origin", "null")]));
        assert!(!check(&[("origin", "http://127.0.0.1:3001")]), "other port");
        assert!(
            !check(&[("origin", "https://127.0.0.1:3000")]),
            "other scheme"
        );
        assert!(
            check(&[("origin", "https://ui.example")]),
            "an allowed origin"
        );
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
    fn issue_15_dns_rebinding_is_refused() {
        // The rebinding page's request carries its own Host and a matching Origin: the old check
        // compared the two and let it through.
        let site = loopback_site();
        assert!(!site.host_allowed("evil.example:3000"));
        let rebinding = headers(&[
            ("host", "evil.example:3000"),
            ("origin", "http://evil.example:3000"),
        ]);
        assert!(!site.origin_allowed(&rebinding));
        for ours in [
            "127.0.0.1:3000",
            "localhost:3000",
            "[::1]:3000",
            "LOCALHOST:3000",
        ] {
            assert!(site.host_allowed(ours), "{ours}");
        }
        for foreign in [
            "127.0.0.1:3001",
            "127.0.0.1",
            "localhost",
            "0.0.0.0:3000",
            "",
        ] {
            assert!(!site.host_allowed(foreign), "{foreign}");
        }
    }

    #[test]
    fn public_urls_replace_the_loopback_names() {
        let public = [PublicUrl::parse("https://cavra.example").unwrap()];
        let site = Site::new(&public, &[], "127.0.0.1:3000".parse().unwrap());
        assert!(site.host_allowed("cavra.example") && site.host_allowed("cavra.example:443"));
        assert!(!site.host_allowed("127.0.0.1:3000"), "only the public host");
        assert!(site.origin_allowed(&headers(&[("origin", "https://cavra.example")])));
        assert!(!site.origin_allowed(&headers(&[("origin", "http://cavra.example")])));
        assert!(!site.origin_allowed(&headers(&[("origin", "http://127.0.0.1:3000")])));
        // Bound elsewhere without a public URL: nothing is answered.
        let site = Site::new(&[], &[], "0.0.0.0:3000".parse().unwrap());
        assert!(!site.host_allowed("127.0.0.1:3000") && !site.host_allowed("0.0.0.0:3000"));
    }

    #[test]
    fn cookie_flags() {
        let cookie = session_cookie("abc", true, 60);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(cookie.ends_with("; Secure"));
        assert!(!session_cookie("abc", false, 60).contains("Secure"));
    }
}
