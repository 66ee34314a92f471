//! The HTTP surface: Leptos pages and server functions, static assets, health.

use std::path::Path;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use app::backend::SharedBackend;

use crate::db::Database;

/// Builds Leptos options for a site directory and listen address.
pub fn leptos_options(site_root: &Path, addr: std::net::SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(app::OUTPUT_NAME)
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

/// The whole application router. Split from `serve` so tests can drive it without a port.
pub fn router(options: LeptosOptions, database: Database) -> Router {
    let backend: SharedBackend = Arc::new(database);
    let site_root = options.site_root.to_string();
    let routes = generate_route_list(app::App);

    // Monaco's files never change for a pinned version; let browsers keep them for a day.
    let monaco = Router::new()
        .fallback_service(ServeDir::new(Path::new(&site_root).join("vs")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ));

    Router::new()
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
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(options)
}
