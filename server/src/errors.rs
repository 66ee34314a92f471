//! HTTP error answers: the one mapping from a service error to a status code, and the JSON body
//! `{code, message}` (plus `current_revision` on a stale save, `missing` on a refused gate and
//! `retry_after_secs` when rate limited or busy). REST handlers, middleware and server functions (through
//! [`crate::web`]'s `HttpPort`) all answer through it. 5xx bodies say nothing internal.

use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use app::backend::BackendError;

/// The status code of a service error.
pub fn status_of(error: &BackendError) -> StatusCode {
    match error {
        BackendError::Unavailable | BackendError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        BackendError::Unauthenticated => StatusCode::UNAUTHORIZED,
        BackendError::Forbidden(_) => StatusCode::FORBIDDEN,
        BackendError::NotFound(_) => StatusCode::NOT_FOUND,
        BackendError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        BackendError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        BackendError::Conflict { .. } | BackendError::Refused { .. } => StatusCode::CONFLICT,
        BackendError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
    }
}

/// The `Retry-After` header value of a rate-limited or busy answer.
pub fn retry_after(error: &BackendError) -> Option<HeaderValue> {
    match error {
        BackendError::RateLimited {
            retry_after_secs, ..
        }
        | BackendError::Busy {
            retry_after_secs, ..
        } => HeaderValue::from_str(&retry_after_secs.to_string()).ok(),
        _ => None,
    }
}

/// An API error: a status code and `{code, message}`.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    body: serde_json::Value,
}

impl AppError {
    /// An error with a status, a stable code and a message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            body: serde_json::json!({"code": code, "message": message.into()}),
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<BackendError> for AppError {
    fn from(error: BackendError) -> Self {
        let status = status_of(&error);
        let message = error.to_string();
        match error {
            BackendError::Unavailable => {
                AppError::new(status, "unavailable", "storage is unavailable")
            }
            BackendError::Unauthenticated => AppError::new(status, "unauthenticated", message),
            BackendError::Forbidden(_) => AppError::new(status, "forbidden", message),
            BackendError::NotFound(_) => AppError::new(status, "not_found", message),
            BackendError::Invalid(_) => AppError::new(status, "invalid", message),
            BackendError::TooLarge(_) => AppError::new(status, "payload_too_large", message),
            BackendError::Conflict {
                current_revision, ..
            } => {
                let mut error = AppError::new(status, "conflict", message);
                if let Some(revision) = current_revision {
                    error.body["current_revision"] = revision.into();
                }
                error
            }
            BackendError::Refused { missing, .. } => {
                let mut error = AppError::new(status, "refused", message);
                error.body["missing"] = missing.into();
                error
            }
            BackendError::RateLimited {
                retry_after_secs, ..
            } => {
                let mut error = AppError::new(status, "rate_limited", message);
                error.body["retry_after_secs"] = retry_after_secs.into();
                error
            }
            BackendError::Busy {
                retry_after_secs, ..
            } => {
                let mut error = AppError::new(status, "busy", message);
                error.body["retry_after_secs"] = retry_after_secs.into();
                error
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry = self.body.get("retry_after_secs").and_then(|v| v.as_u64());
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(retry) = retry {
            if let Ok(value) = retry.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::BAD_REQUEST => "bad_request",
            _ => "invalid",
        };
        AppError::new(status, code, rejection.body_text())
    }
}
