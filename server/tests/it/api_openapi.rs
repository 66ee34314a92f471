//! The OpenAPI document parses, is 3.1, and lists every route; every listed route is served
//! (driven in-process with `oneshot`, no port).

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use server::api::ROUTES;

use crate::common::{in_process_router, IN_PROCESS_HOST};

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let (router, _dir) = in_process_router().await;
    let response = router
        .oneshot(
            Request::get("/api/openapi.json")
                .header(header::HOST, IN_PROCESS_HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let document: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    for (method, path, _) in ROUTES {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path} documented"
        );
    }
    let documented: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, ROUTES.len());
}

#[tokio::test]
async fn every_documented_route_is_served_with_json_errors() {
    let (router, _dir) = in_process_router().await;
    for (method, path, _) in ROUTES {
        let uri = path
            .replace("{pack}", "no-such-pack")
            .replace("{digest}", "sha256:00")
            .replace("{id}", "999");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let request = Request::builder()
            .method(method.clone())
            .uri(&uri)
            .header(header::HOST, IN_PROCESS_HOST)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        if status.is_client_error() {
            assert!(
                content_type.starts_with("application/json"),
                "{method} {uri}: {status} answers JSON, got `{content_type}`"
            );
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert!(
                error["code"].is_string() && error["message"].is_string(),
                "{error}"
            );
        }
    }
}

#[tokio::test]
async fn cross_origin_server_function_calls_are_refused() {
    let (router, _dir) = in_process_router().await;
    let request = Request::post("/api/anything")
        .header(header::HOST, IN_PROCESS_HOST)
        .header(header::ORIGIN, "http://evil.example")
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
