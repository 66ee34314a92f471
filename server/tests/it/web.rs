//! HTTP tests of the router, driven in-process without binding a port.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use server::db::Database;

async fn router() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("web.db").display());
    let db = Database::connect(&url).await.unwrap();
    let options = server::web::leptos_options(dir.path(), "127.0.0.1:0".parse().unwrap());
    let config = server::config::ServiceConfig::new(dir.path().join("data"));
    let service = server::service::Service::new(db, config).unwrap();
    (server::web::router(options, service), dir)
}

#[tokio::test]
async fn home_page_is_server_rendered_and_loads_our_wasm() {
    let (router, _dir) = router().await;
    let response = router
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        html.contains("Policy lifecycle workspace"),
        "SSR content present"
    );
    assert!(
        html.contains("/pkg/cavra"),
        "hydration script from our own origin: {html}"
    );
    assert!(html.contains(r#"id="count""#));
}

#[tokio::test]
async fn health_check_answers() {
    let (router, _dir) = router().await;
    let response = router
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
