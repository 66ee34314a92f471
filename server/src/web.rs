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

use app::backend::SharedBackend;

use crate::auth::check_origin;
use crate::service::Service;

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
            {
                let backend = backend.clone();
                move || provide_context(backend.clone())
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
            check_origin,
        ))
        .layer(middleware::from_fn_with_state(
            service,
            crate::api::refuse_oversized,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}
