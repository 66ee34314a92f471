//! HTTP tests of the router, driven in-process without binding a port.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::common::{in_process_router, IN_PROCESS_HOST};

#[tokio::test]
async fn home_page_is_server_rendered_and_loads_our_wasm() {
    let (router, _dir) = in_process_router().await;
    let response = router
        .oneshot(
            Request::get("/")
                .header(header::HOST, IN_PROCESS_HOST)
                .body(Body::empty())
                .unwrap(),
        )
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
    // The template's click counter is gone.
    assert!(!html.contains(r#"id="count""#), "{html}");
}

#[tokio::test]
async fn health_check_answers() {
    let (router, _dir) = in_process_router().await;
    let response = router
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_naming_no_host_is_refused() {
    // HTTP/1.1 requires Host; without one the allow-list has nothing to check.
    let (router, _dir) = in_process_router().await;
    let response = router
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // An absolute-form target names its host in the URI: checked like a Host header.
    let (router, _dir) = in_process_router().await;
    let response = router
        .oneshot(
            Request::get("http://evil.example:3000/")
                .header(header::HOST, IN_PROCESS_HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::MISDIRECTED_REQUEST);
}
