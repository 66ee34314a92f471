//! The HTTP surface: the REST API, Leptos pages and server functions, static assets, health.

use std::path::Path;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
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

use crate::auth::{check_origin, resolve_client, resolve_session};
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

/// The whole application router: the REST API and `/v1/decisions`, then the Leptos pages and
/// server functions, behind the Origin (CSRF) check. Split from `serve` so tests can drive it
/// without a port.
pub fn router(options: LeptosOptions, service: Service) -> Router {
    let backend: SharedBackend = Arc::new(service.clone());
    let http: SharedHttp = Arc::new(ServerFnHttp {
        secure_cookies: service.config().secure_cookies,
        session_ttl_secs: service.config().session_ttl_secs,
    });
    let site_root = options.site_root.to_string();
    let routes = generate_route_list(app::App);

    // Monaco's files never change for a pinned version; let browsers keep them for a day.
    let monaco = Router::new()
        .fallback_service(ServeDir::new(Path::new(&site_root).join("vs")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ));

    let site = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest_service("/pkg", ServeDir::new(Path::new(&site_root).join("pkg")))
        .nest("/vs", monaco)
        .leptos_routes_with_context(
            &options,
            routes,
            move || {
                provide_context(backend.clone());
                provide_context(http.clone());
            },
            {
                let options = options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(options);

    crate::api::router(service.clone())
        .merge(site)
        .layer(middleware::from_fn_with_state(
            service.clone(),
            resolve_session,
        ))
        .layer(middleware::from_fn_with_state(
            service.clone(),
            check_origin,
        ))
        .layer(middleware::from_fn_with_state(
            service.clone(),
            resolve_client,
        ))
        .layer(middleware::from_fn_with_state(
            service,
            crate::api::refuse_oversized,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}
