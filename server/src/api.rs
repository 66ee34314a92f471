//! The REST API (`/api/…`) and the runtime decision endpoint (`/v1/decisions`).
//!
//! Handlers are thin: they authenticate, call the [`Service`] (the same one Leptos server
//! functions reach through [`app::backend::Backend`]) and map [`BackendError`] to a status code
//! and a JSON body `{code, message}` (plus `current_revision` on a stale save and `missing` on a
//! refused gate). 5xx bodies say nothing internal; details are logged.

pub mod openapi;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use app::backend::{session_token, Backend, BackendError, SignOffInput};

use crate::auth::{clear_cookie, session_cookie, Authed};
use crate::service::{accounts, shadow, Service};

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
        let message = error.to_string();
        match error {
            BackendError::Unavailable => AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "storage is unavailable",
            ),
            BackendError::Unauthenticated => {
                AppError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
            }
            BackendError::Forbidden(_) => {
                AppError::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            BackendError::NotFound(_) => AppError::new(StatusCode::NOT_FOUND, "not_found", message),
            BackendError::Invalid(_) => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
            }
            BackendError::Conflict {
                current_revision, ..
            } => {
                let mut error = AppError::new(StatusCode::CONFLICT, "conflict", message);
                if let Some(revision) = current_revision {
                    error.body["current_revision"] = revision.into();
                }
                error
            }
            BackendError::Refused { missing, .. } => {
                let mut error = AppError::new(StatusCode::CONFLICT, "refused", message);
                error.body["missing"] = missing.into();
                error
            }
            BackendError::RateLimited { retry_after_secs } => {
                let mut error =
                    AppError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
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

/// `Json` whose rejections use our error shape.
#[derive(Debug)]
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let Json(value) = Json::<serde_json::Value>::from_request(request, state).await?;
        // PostgreSQL cannot store NUL in text (SQLite can): refuse it up front on both engines
        // with a clear 422 instead of a storage error (503).
        if contains_nul(&value) {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "text must not contain NUL characters (\\u0000)",
            ));
        }
        let value = serde_json::from_value(value).map_err(|error| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("Failed to deserialize the JSON body into the target type: {error}"),
            )
        })?;
        Ok(AppJson(value))
    }
}

/// Whether any string (or key) of a JSON value contains NUL.
fn contains_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(contains_nul),
        serde_json::Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || contains_nul(value)),
        _ => false,
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

type ApiResult<T> = Result<AppJson<T>, AppError>;

/// Every route of the API: method, path (OpenAPI template) and summary. The OpenAPI document is
/// built from this list and a test checks the router answers each one.
pub const ROUTES: &[(&str, &str, &str)] = &[
    (
        "post",
        "/v1/decisions",
        "Decide a CAVRA input with the enforced version (and observe the shadow candidate)",
    ),
    ("get", "/api/openapi.json", "This OpenAPI document"),
    ("get", "/api/session", "The signed-in user"),
    ("post", "/api/session", "Sign in (sets the session cookie)"),
    ("delete", "/api/session", "Sign out"),
    ("post", "/api/users", "Create a user (admin)"),
    (
        "get",
        "/api/packs",
        "Packs with their enforced version and shadow run",
    ),
    ("get", "/api/packs/{pack}/drafts", "Drafts of a pack"),
    (
        "post",
        "/api/packs/{pack}/drafts",
        "Create a draft from the enforced version or a digest",
    ),
    ("get", "/api/drafts/{id}", "One draft"),
    (
        "put",
        "/api/drafts/{id}",
        "Save a draft (stale revision: 409 with current_revision)",
    ),
    (
        "post",
        "/api/drafts/{id}/publish",
        "Publish a draft as an immutable version",
    ),
    ("get", "/api/packs/{pack}/versions", "Versions of a pack"),
    (
        "get",
        "/api/packs/{pack}/versions/{digest}",
        "One version with lint, dry-run and diffs",
    ),
    (
        "get",
        "/api/packs/{pack}/versions/{digest}/replay",
        "Replay the pack's recorded decisions through a version (?baseline=digest&window=n)",
    ),
    (
        "get",
        "/api/packs/{pack}/approvals",
        "Approval requests of a pack",
    ),
    (
        "post",
        "/api/packs/{pack}/approvals",
        "Request approval for a digest",
    ),
    (
        "post",
        "/api/approvals/{id}/signoffs",
        "Sign off an approval request",
    ),
    (
        "get",
        "/api/packs/{pack}/shadow",
        "Divergence summary of the shadow run",
    ),
    (
        "post",
        "/api/packs/{pack}/shadow",
        "Start shadow mode for a candidate digest",
    ),
    ("delete", "/api/packs/{pack}/shadow", "Stop shadow mode"),
    (
        "post",
        "/api/packs/{pack}/shadow/acknowledge",
        "Acknowledge every divergence",
    ),
    (
        "get",
        "/api/packs/{pack}/decisions.jsonl",
        "The decision log as JSONL (input, decision, policy digest, time), for `cavra policy replay`",
    ),
    (
        "get",
        "/api/packs/{pack}/gate/{digest}",
        "The promotion gate for a digest",
    ),
    (
        "post",
        "/api/packs/{pack}/promote",
        "Promote a digest (refused with the missing items)",
    ),
    (
        "post",
        "/api/packs/{pack}/rollback",
        "Roll back to a previously enforced digest",
    ),
    ("get", "/api/packs/{pack}/history", "Enforcement history"),
    (
        "get",
        "/api/packs/{pack}/evidence",
        "Evidence packets of a pack",
    ),
    (
        "get",
        "/api/evidence/{id}",
        "One evidence packet with signature and public key",
    ),
    (
        "get",
        "/api/evidence/{id}/packet.json",
        "The packet bytes as signed",
    ),
    (
        "get",
        "/api/evidence/{id}/packet.json.sig",
        "The detached signature (hex)",
    ),
    (
        "get",
        "/api/evidence/public-key",
        "The evidence public key (hex)",
    ),
    ("get", "/api/audit/verify", "Verify the audit hash chain"),
];

/// The API router (state applied), with its body limit.
pub fn router(service: Service) -> Router {
    let limit = service.config().max_body_bytes;
    Router::new()
        .route("/v1/decisions", post(decide))
        .route("/api/openapi.json", get(openapi_document))
        .route("/api/session", get(whoami).post(login).delete(logout))
        .route("/api/users", post(create_user))
        .route("/api/packs", get(list_packs))
        .route(
            "/api/packs/{pack}/drafts",
            get(list_drafts).post(create_draft),
        )
        .route("/api/drafts/{id}", get(get_draft).put(save_draft))
        .route("/api/drafts/{id}/publish", post(publish_draft))
        .route("/api/packs/{pack}/versions", get(list_versions))
        .route("/api/packs/{pack}/versions/{digest}", get(get_version))
        .route(
            "/api/packs/{pack}/versions/{digest}/replay",
            get(replay_version),
        )
        .route(
            "/api/packs/{pack}/approvals",
            get(list_approvals).post(request_approval),
        )
        .route("/api/approvals/{id}/signoffs", post(sign_off))
        .route(
            "/api/packs/{pack}/shadow",
            get(divergence).post(start_shadow).delete(stop_shadow),
        )
        .route("/api/packs/{pack}/shadow/acknowledge", post(acknowledge))
        .route("/api/packs/{pack}/decisions.jsonl", get(export_decisions))
        .route("/api/packs/{pack}/gate/{digest}", get(gate))
        .route("/api/packs/{pack}/promote", post(promote))
        .route("/api/packs/{pack}/rollback", post(rollback))
        .route("/api/packs/{pack}/history", get(history))
        .route("/api/packs/{pack}/evidence", get(list_evidence))
        .route("/api/evidence/public-key", get(public_key))
        .route("/api/evidence/{id}", get(get_evidence))
        .route("/api/evidence/{id}/packet.json", get(evidence_bytes))
        .route(
            "/api/evidence/{id}/packet.json.sig",
            get(evidence_signature),
        )
        .route("/api/audit/verify", get(verify_audit))
        .layer(axum::middleware::from_fn(refuse_nul_in_uri))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(service)
}

/// Refuses a request whose declared `Content-Length` exceeds the body limit (at least 2 MiB) with
/// 413 before any handler runs (server functions included, which would otherwise answer 500).
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
    // Never below axum's 2 MiB default, which is what server functions (form-encoded, so
    // larger than the text they carry) accepted before; REST routes keep their own tighter limit.
    let limit =
        u64::try_from(service.config().max_body_bytes.max(2 * 1024 * 1024)).unwrap_or(u64::MAX);
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
async fn refuse_nul_in_uri(request: Request, next: axum::middleware::Next) -> Response {
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

async fn openapi_document() -> Json<serde_json::Value> {
    Json(openapi::document())
}

#[derive(Debug, Deserialize)]
struct PackQuery {
    pack: Option<String>,
}

async fn decide(
    State(service): State<Service>,
    Query(query): Query<PackQuery>,
    AppJson(input): AppJson<serde_json::Value>,
) -> ApiResult<shadow::DecisionAnswer> {
    Ok(AppJson(
        shadow::decide(&service, query.pack.as_deref(), &input).await?,
    ))
}

async fn whoami(Authed(actor): Authed) -> ApiResult<app::backend::Actor> {
    Ok(AppJson(actor))
}

#[derive(Debug, Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(service): State<Service>,
    AppJson(body): AppJson<LoginBody>,
) -> Result<Response, AppError> {
    let (actor, token) = service.login(&body.username, &body.password).await?;
    let cookie = session_cookie(
        &token,
        service.config().secure_cookies,
        service.config().session_ttl_secs,
    );
    Ok(([(header::SET_COOKIE, cookie)], Json(actor)).into_response())
}

async fn logout(State(service): State<Service>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(token) = session_token(&headers) {
        service.logout(&token).await?;
    }
    let cookie = clear_cookie(service.config().secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], StatusCode::NO_CONTENT).into_response())
}

#[derive(Debug, Deserialize)]
struct NewUserBody {
    username: String,
    password: String,
    role: app::backend::Role,
    #[serde(default)]
    groups: Vec<String>,
}

async fn create_user(
    State(service): State<Service>,
    Authed(actor): Authed,
    AppJson(body): AppJson<NewUserBody>,
) -> Result<(StatusCode, AppJson<app::backend::Actor>), AppError> {
    crate::service::require_role(&actor, &[app::backend::Role::Admin], "creating users")?;
    let user = accounts::create_user(
        &service,
        &accounts::NewUser {
            username: &body.username,
            password: &body.password,
            role: body.role,
            groups: body.groups,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, AppJson(user)))
}

async fn list_packs(
    State(service): State<Service>,
    Authed(_): Authed,
) -> ApiResult<Vec<app::backend::PackSummary>> {
    Ok(AppJson(service.list_packs().await?))
}

async fn list_drafts(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::Draft>> {
    Ok(AppJson(service.list_drafts(&pack).await?))
}

#[derive(Debug, Default, Deserialize)]
struct NewDraftBody {
    from_digest: Option<String>,
}

async fn create_draft(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, AppJson<app::backend::Draft>), AppError> {
    // The body is optional: an empty one starts from the enforced version.
    let body: NewDraftBody = if body.iter().all(u8::is_ascii_whitespace) {
        NewDraftBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                error.to_string(),
            )
        })?
    };
    let draft = service
        .create_draft(&actor, &pack, body.from_digest.as_deref())
        .await?;
    Ok((StatusCode::CREATED, AppJson(draft)))
}

async fn get_draft(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(id): Path<i64>,
) -> ApiResult<app::backend::Draft> {
    Ok(AppJson(service.get_draft(id).await?))
}

#[derive(Debug, Deserialize)]
struct SaveDraftBody {
    source: String,
    revision: i64,
}

async fn save_draft(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    AppJson(body): AppJson<SaveDraftBody>,
) -> ApiResult<app::backend::Draft> {
    Ok(AppJson(
        service
            .save_draft(&actor, id, &body.source, body.revision)
            .await?,
    ))
}

async fn publish_draft(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
) -> Result<(StatusCode, AppJson<app::backend::Version>), AppError> {
    Ok((
        StatusCode::CREATED,
        AppJson(service.publish_draft(&actor, id).await?),
    ))
}

async fn list_versions(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::Version>> {
    Ok(AppJson(service.list_versions(&pack).await?))
}

async fn get_version(
    State(service): State<Service>,
    Authed(_): Authed,
    Path((pack, digest)): Path<(String, String)>,
) -> ApiResult<app::backend::Version> {
    Ok(AppJson(service.get_version(&pack, &digest).await?))
}

#[derive(Debug, Deserialize)]
struct ReplayQuery {
    baseline: Option<String>,
    window: Option<u64>,
}

async fn replay_version(
    State(service): State<Service>,
    Authed(_): Authed,
    Path((pack, digest)): Path<(String, String)>,
    Query(query): Query<ReplayQuery>,
) -> ApiResult<app::backend::ReplaySummary> {
    Ok(AppJson(
        service
            .replay_version(
                &pack,
                &digest,
                query.baseline.as_deref().filter(|b| !b.is_empty()),
                query
                    .window
                    .unwrap_or(crate::service::replay::DEFAULT_WINDOW),
            )
            .await?,
    ))
}

async fn list_approvals(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::ApprovalRequest>> {
    Ok(AppJson(service.list_approvals(&pack).await?))
}

#[derive(Debug, Deserialize)]
struct ApprovalBody {
    digest: String,
    #[serde(default = "promotion")]
    kind: String,
    groups: Option<Vec<String>>,
}

fn promotion() -> String {
    "promotion".to_owned()
}

async fn request_approval(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    AppJson(body): AppJson<ApprovalBody>,
) -> Result<(StatusCode, AppJson<app::backend::ApprovalRequest>), AppError> {
    let request = service
        .request_approval(&actor, &pack, &body.digest, &body.kind, body.groups)
        .await?;
    Ok((StatusCode::CREATED, AppJson(request)))
}

async fn sign_off(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    AppJson(body): AppJson<SignOffInput>,
) -> Result<(StatusCode, AppJson<app::backend::ApprovalRequest>), AppError> {
    let request = service.sign_off(&actor, id, &body).await?;
    Ok((StatusCode::CREATED, AppJson(request)))
}

/// Streams the decision log page by page (bounded memory); an unknown pack is a 404 before the
/// first byte.
async fn export_decisions(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> Result<Response, AppError> {
    let (first, last) = shadow::decision_log_page(&service, &pack, 0).await?;
    let pages = futures_util::stream::unfold(
        (Some(first), last, service, pack),
        |(pending, last, service, pack)| async move {
            if let Some(text) = pending {
                if text.is_empty() {
                    return None;
                }
                return Some((Ok(Bytes::from(text)), (None, last, service, pack)));
            }
            let after = last?;
            match shadow::decision_log_page(&service, &pack, after).await {
                Ok((text, _)) if text.is_empty() => None,
                Ok((text, next)) => Some((Ok(Bytes::from(text)), (None, next, service, pack))),
                Err(error) => {
                    tracing::error!(%error, "exporting the decision log");
                    Some((
                        Err(std::io::Error::other("decision log export failed")),
                        (None, None, service, pack),
                    ))
                }
            }
        },
    );
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(pages),
    )
        .into_response())
}

async fn divergence(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Option<app::backend::DivergenceSummary>> {
    Ok(AppJson(service.divergence(&pack).await?))
}

#[derive(Debug, Deserialize)]
struct DigestBody {
    digest: String,
}

async fn start_shadow(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    AppJson(body): AppJson<DigestBody>,
) -> Result<(StatusCode, AppJson<app::backend::ShadowRun>), AppError> {
    let run = service.start_shadow(&actor, &pack, &body.digest).await?;
    Ok((StatusCode::CREATED, AppJson(run)))
}

async fn stop_shadow(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
) -> ApiResult<app::backend::ShadowRun> {
    Ok(AppJson(service.stop_shadow(&actor, &pack).await?))
}

async fn acknowledge(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
) -> ApiResult<app::backend::DivergenceSummary> {
    Ok(AppJson(
        service.acknowledge_divergences(&actor, &pack).await?,
    ))
}

async fn gate(
    State(service): State<Service>,
    Authed(_): Authed,
    Path((pack, digest)): Path<(String, String)>,
) -> ApiResult<app::backend::GateReport> {
    Ok(AppJson(service.gate(&pack, &digest).await?))
}

async fn promote(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    AppJson(body): AppJson<DigestBody>,
) -> ApiResult<app::backend::Enforcement> {
    Ok(AppJson(service.promote(&actor, &pack, &body.digest).await?))
}

#[derive(Debug, Deserialize)]
struct RollbackBody {
    digest: String,
    #[serde(default)]
    reason: String,
}

async fn rollback(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    AppJson(body): AppJson<RollbackBody>,
) -> ApiResult<app::backend::Enforcement> {
    let reason = if body.reason.trim().is_empty() {
        "rollback to a known-good version"
    } else {
        body.reason.trim()
    };
    Ok(AppJson(
        service
            .rollback(&actor, &pack, &body.digest, reason)
            .await?,
    ))
}

async fn history(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::HistoryEntry>> {
    Ok(AppJson(service.history(&pack).await?))
}

async fn list_evidence(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::EvidencePacket>> {
    Ok(AppJson(service.list_evidence(&pack).await?))
}

async fn get_evidence(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(id): Path<i64>,
) -> ApiResult<app::backend::EvidencePacket> {
    Ok(AppJson(service.get_evidence(id).await?))
}

async fn evidence_bytes(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let packet = service.get_evidence(id).await?;
    let disposition = format!("attachment; filename=\"{}\"", packet.file_name);
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        packet.packet,
    )
        .into_response())
}

async fn evidence_signature(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let packet = service.get_evidence(id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain")],
        format!("{}\n", packet.signature),
    )
        .into_response())
}

async fn public_key(State(service): State<Service>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain")],
        format!("{}\n", service.signer().public_hex()),
    )
        .into_response()
}

async fn verify_audit(
    State(service): State<Service>,
    Authed(_): Authed,
) -> ApiResult<crate::audit::Report> {
    Ok(AppJson(service.verify_audit().await?))
}
