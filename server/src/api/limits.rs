//! Request limits applied before any handler: body size (declared or streamed) and NUL in the
//! URI.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppError;
use crate::service::Service;

/// Refuses a request whose declared `Content-Length` exceeds the body limit with 413 before any
/// handler runs (server functions included, which would otherwise answer 500).
pub async fn refuse_oversized(
    State(service): State<Service>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    // One transport limit for REST and server functions; the service's own size limits
    // (`service::limits`) sit below it, so they, not this, answer a text that is too large.
    let limit = u64::try_from(service.config().max_body_bytes).unwrap_or(u64::MAX);
    let too_large = || {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body exceeds {limit} bytes"),
        )
        .into_response()
    };
    if declared.is_some_and(|length| length > limit) {
        drain_bounded(request.into_body().into_data_stream()).await;
        return too_large();
    }
    // A streamed body (chunked, no Content-Length) is read here up to the limit, so an oversized
    // one gets the same 413; handlers then see a body of known size. Leptos' server-function
    // reader would otherwise fail mid-stream and answer 500.
    if declared.is_none() && request.headers().contains_key(header::TRANSFER_ENCODING) {
        use futures_util::StreamExt;

        let (parts, body) = request.into_parts();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else {
                return AppError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "the request body could not be read",
                )
                .into_response();
            };
            if bytes.len() + chunk.len() > limit {
                drain_bounded(stream).await;
                return too_large();
            }
            bytes.extend_from_slice(&chunk);
        }
        let mut request = Request::from_parts(parts, axum::body::Body::from(bytes));
        request.headers_mut().remove(header::TRANSFER_ENCODING);
        return next.run(request).await;
    }
    next.run(request).await
}

/// Reads and drops up to 8 MiB of a refused body, for at most two seconds.
///
/// Answering while the client is still sending makes most clients fail with a broken pipe
/// instead of reading the 413; a slightly oversized body is therefore consumed first. Anything
/// larger is cut off, so memory and time stay bounded either way.
async fn drain_bounded(mut stream: axum::body::BodyDataStream) {
    use futures_util::StreamExt;

    const MAX_DRAIN_BYTES: usize = 8 * 1024 * 1024;
    let drain = async {
        let mut drained = 0usize;
        while drained < MAX_DRAIN_BYTES {
            match stream.next().await {
                Some(Ok(chunk)) => drained += chunk.len(),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
}

/// Refuses a percent-encoded NUL in the path or query (a pack name such as `a%00b`) with 400:
/// PostgreSQL cannot compare text with NUL and would answer with a storage error.
pub(super) async fn refuse_nul_in_uri(request: Request, next: axum::middleware::Next) -> Response {
    let uri = request.uri();
    let nul = |part: &str| part.contains("%00");
    if nul(uri.path()) || uri.query().is_some_and(nul) {
        return AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the request path must not contain NUL (%00)",
        )
        .into_response();
    }
    next.run(request).await
}
