//! The HTTP surface: the REST API, Leptos pages and server functions, static assets, health;
//! the Host allow-list, the Origin check and the security headers (CSP with a per-page nonce).

use std::path::Path;
use std::sync::Arc;

use axum::http::{header, HeaderValue, Method};
use axum::middleware;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use app::backend::{BackendError, HttpPort, SharedBackend, SharedHttp};

use crate::auth::{check_site, resolve_client, resolve_session, Site};
use crate::config::PublicUrl;
use crate::service::Service;

/// Server functions' HTTP answers: the same status mapping and session cookie as the REST API.
struct ServerFnHttp {
    secure_cookies: bool,
    session_ttl_secs: i64,
}

impl HttpPort for ServerFnHttp {
    fn error_status(&self, error: &BackendError) {
        use axum::http::request::Parts;
        // Only a server-function call (`/api/…`) answers with the error's status; during a page
        // render the page's own status is left alone.
        let Some(parts) = use_context::<Parts>() else {
            return;
        };
        if !parts.uri.path().starts_with("/api/") {
            return;
        }
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(crate::errors::status_of(error));
            if let Some(value) = crate::errors::retry_after(error) {
                response.insert_header(header::RETRY_AFTER, value);
            }
        }
    }

    fn session_cookie(&self, token: Option<&str>) {
        use axum::http::request::Parts;
        // Secure when configured, or when the page was reached over HTTPS (directly or via a
        // proxy).
        let via_https = use_context::<Parts>().is_some_and(|parts| {
            let starts_https = |name: &str| {
                parts
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("https"))
            };
            starts_https("origin") || starts_https("x-forwarded-proto")
        });
        let secure = self.secure_cookies || via_https;
        let cookie = match token {
            Some(token) => crate::auth::session_cookie(token, secure, self.session_ttl_secs),
            None => crate::auth::clear_cookie(secure),
        };
        if let (Some(response), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            HeaderValue::from_str(&cookie),
        ) {
            response.append_header(header::SET_COOKIE, value);
        }
    }
}

/// Builds Leptos options for a site directory and listen address.
pub fn leptos_options(site_root: &Path, addr: std::net::SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(app::OUTPUT_NAME)
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

/// The nonce of a page's inline scripts, generated per response by [`security_headers`] and
/// handed to Leptos (which puts it on its hydration and streaming scripts).
#[derive(Debug, Clone)]
pub struct CspNonce(pub Arc<str>);

/// The response headers every answer carries, fixed at start.
#[derive(Debug)]
struct HeaderPolicy {
    /// HSTS, only when users reach the server over HTTPS (a public URL says so).
    hsts: bool,
}

/// The Content-Security-Policy of a response. Scripts come from our origin (the hydrate bundle,
/// Monaco under `/vs`) plus, on pages, Leptos' inline scripts by nonce; WebAssembly needs
/// `'wasm-unsafe-eval'` (not `'unsafe-eval'`); Monaco injects `<style>` elements, hence
/// `'unsafe-inline'` for styles only; its CSS uses `data:` images; its worker starts from our
/// `/monaco-worker.js`, which keeps Monaco's loader from probing `eval`.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Whether a request may render a page (and so needs a script nonce): a GET or HEAD outside the
/// API, the runtime endpoint and the static trees.
fn renders_page(request: &axum::extract::Request) -> bool {
    let path = request.uri().path();
    matches!(*request.method(), Method::GET | Method::HEAD)
        && !["/api/", "/v1/", "/pkg/", "/vs/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        && path != "/healthz"
}

/// 16 random bytes, base64: a fresh CSP nonce.
fn new_nonce() -> Arc<str> {
    use argon2::password_hash::rand_core::{OsRng, RngCore as _};
    use base64::Engine as _;
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into()
}

/// Middleware: the security headers of every response (CSP with a fresh nonce on pages,
/// framing refused, no MIME sniffing, no referrer, HSTS behind HTTPS).
async fn security_headers(
    axum::extract::State(policy): axum::extract::State<Arc<HeaderPolicy>>,
    mut request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let nonce = renders_page(&request).then(new_nonce);
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(CspNonce(nonce.clone()));
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(nonce.as_deref())) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if policy.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Gives a page render the nonce [`security_headers`] put in its CSP, so Leptos' inline
/// scripts carry the same one.
fn provide_request_nonce() {
    use axum::http::request::Parts;
    if let Some(nonce) =
        use_context::<Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

/// The whole application router: the REST API and `/v1/decisions`, then the Leptos pages and
/// server functions, behind the Host allow-list and the Origin (CSRF) check, with security
/// headers on every response. `options.site_addr` must be the bound address (its port
/// included): without `--public-url` a loopback server answers its loopback names at that port.
/// Split from `serve` so tests can drive it without a port.
pub fn router(options: LeptosOptions, service: Service) -> Router {
    let backend: SharedBackend = Arc::new(service.clone());
    let http: SharedHttp = Arc::new(ServerFnHttp {
        secure_cookies: service.config().secure_cookies,
        session_ttl_secs: service.config().session_ttl_secs,
    });
    let site_root = options.site_root.to_string();
    let routes = generate_route_list(app::App);
    let config = service.config();
    let site = Arc::new(Site::new(
        &config.public_urls,
        &config.allowed_origins,
        options.site_addr,
    ));
    let policy = Arc::new(HeaderPolicy {
        hsts: config.public_urls.iter().any(PublicUrl::is_https),
    });

    // Monaco's files never change for a pinned version; let browsers keep them for a day.
    let monaco = Router::new()
        .fallback_service(ServeDir::new(Path::new(&site_root).join("vs")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ));

    let context = move || {
        provide_context(backend.clone());
        provide_context(http.clone());
        provide_request_nonce();
    };
    let site_routes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest_service("/pkg", ServeDir::new(Path::new(&site_root).join("pkg")))
        .nest("/vs", monaco)
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context,
            app::shell,
        ))
        .with_state(options);

    crate::api::router(service.clone())
        .merge(site_routes)
        .layer(middleware::from_fn_with_state(
            service.clone(),
            resolve_session,
        ))
        .layer(middleware::from_fn_with_state(
            service.clone(),
            resolve_client,
        ))
        .layer(middleware::from_fn_with_state(
            service.clone(),
            crate::api::refuse_oversized,
        ))
        .layer(middleware::from_fn_with_state(site, check_site))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(policy, security_headers))
        .layer(TraceLayer::new_for_http())
}
