//! The REST API (`/api/…`) and the runtime decision endpoint (`/v1/decisions`).
//!
//! Handlers are thin, one file per area: they take the request's session ([`crate::auth`]),
//! call the [`Service`] (the same one Leptos server functions reach through
//! [`app::backend::Backend`]) and answer errors through [`crate::errors`]. The route table below
//! is written once and serves both the router and the OpenAPI document.

mod authoring;
mod evidence;
mod governance;
mod limits;
pub mod openapi;
mod runtime;
mod session;

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::errors::AppError;
use crate::service::Service;
pub use limits::refuse_oversized;

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

/// A handler's JSON answer or error.
type ApiResult<T> = Result<AppJson<T>, AppError>;

/// Declares the API's routes once: `ROUTES` (method, path, summary), from which the OpenAPI
/// document is built and which the access-control test walks, and the router that serves them.
macro_rules! route_table {
    ($($method:ident $path:literal => $handler:path, $summary:literal;)*) => {
        /// Every route of the API: method, path (OpenAPI template) and summary.
        pub const ROUTES: &[(&str, &str, &str)] = &[$((stringify!($method), $path, $summary)),*];

        /// The routes with their handlers (same-path routes merge their methods).
        fn routes() -> Router<Service> {
            Router::new()$(.route($path, axum::routing::$method($handler)))*
        }
    };
}

route_table! {
    post "/v1/decisions" => runtime::decide,
        "Decide a CAVRA input with the enforced version (and observe the shadow candidate); needs a runtime token (Authorization: Bearer)";
    get "/api/tokens" => runtime::list_tokens,
        "Runtime tokens, newest first (admins)";
    post "/api/tokens" => runtime::create_token,
        "Create a runtime token for a named runtime, scoped to packs or all; the secret is shown once (admins; audited)";
    delete "/api/tokens/{id}" => runtime::revoke_token,
        "Revoke a runtime token (admins; audited)";
    get "/api/openapi.json" => openapi_document,
        "This OpenAPI document";
    get "/api/session" => session::whoami,
        "The signed-in user";
    post "/api/session" => session::login,
        "Sign in (sets the session cookie)";
    delete "/api/session" => session::logout,
        "Sign out";
    post "/api/users" => session::create_user,
        "Create a user (admin)";
    get "/api/packs" => authoring::list_packs,
        "Packs with their enforced version and shadow run";
    get "/api/packs/{pack}/drafts" => authoring::list_drafts,
        "Drafts of a pack";
    post "/api/packs/{pack}/drafts" => authoring::create_draft,
        "Create a draft from the enforced version or a digest";
    get "/api/drafts/{id}" => authoring::get_draft,
        "One draft";
    put "/api/drafts/{id}" => authoring::save_draft,
        "Save a draft: its author and co-authors (stale revision: 409 with current_revision)";
    post "/api/drafts/{id}/publish" => authoring::publish_draft,
        "Publish a draft as an immutable version (its author and co-authors)";
    put "/api/drafts/{id}/coauthors" => authoring::set_coauthors,
        "Replace the draft's co-authors, who may save and publish it besides its author (the author or an admin; audited)";
    get "/api/packs/{pack}/versions" => authoring::list_versions,
        "Versions of a pack";
    get "/api/packs/{pack}/versions/{digest}" => authoring::get_version,
        "One version with lint, dry-run and diffs";
    get "/api/packs/{pack}/versions/{digest}/replay" => authoring::replay_version,
        "Replay the pack's recorded decisions through a version (?baseline=digest&window=n)";
    get "/api/packs/{pack}/approvals" => governance::list_approvals,
        "Approval requests of a pack";
    post "/api/packs/{pack}/approvals" => governance::request_approval,
        "Request approval for a digest";
    post "/api/approvals/{id}/signoffs" => governance::sign_off,
        "Sign off an approval request";
    post "/api/signoffs/{id}/withdraw" => governance::withdraw_signoff,
        "Withdraw a sign-off (your own, or a rejection of your group)";
    put "/api/packs/{pack}/approval-rule" => governance::set_approval_rule,
        "Replace the pack's approval rule: groups, quorum, sign-off lifetime (admins)";
    put "/api/packs/{pack}/shadow-rule" => governance::set_shadow_rule,
        "Replace the pack's shadow rule: observations, distinct runtimes, seconds of traffic (admins)";
    post "/api/packs/{pack}/break-glass" => governance::break_glass,
        "Break-glass promote or rollback without approvals, with a reason (admins; audited)";
    get "/api/packs/{pack}/shadow" => governance::divergence,
        "Divergence summary of the shadow run";
    post "/api/packs/{pack}/shadow" => governance::start_shadow,
        "Start shadow mode for a candidate digest";
    delete "/api/packs/{pack}/shadow" => governance::stop_shadow,
        "Stop shadow mode";
    post "/api/packs/{pack}/shadow/acknowledge" => governance::acknowledge,
        "Acknowledge every divergence";
    get "/api/packs/{pack}/decisions.jsonl" => runtime::export_decisions,
        "The decision log as JSONL (input, decision, policy digest, time), for `cavra policy replay`";
    get "/api/packs/{pack}/gate/{digest}" => governance::gate,
        "The promotion gate for a digest";
    post "/api/packs/{pack}/promote" => governance::promote,
        "Promote a digest (refused with the missing items)";
    post "/api/packs/{pack}/rollback" => governance::rollback,
        "Roll back to a previously enforced digest";
    get "/api/packs/{pack}/history" => governance::history,
        "Enforcement history";
    get "/api/packs/{pack}/evidence" => evidence::list_evidence,
        "Evidence packets of a pack";
    get "/api/evidence/{id}" => evidence::get_evidence,
        "One evidence packet with signature and public key";
    get "/api/evidence/{id}/packet.json" => evidence::evidence_bytes,
        "The packet bytes as signed";
    get "/api/evidence/{id}/packet.json.sig" => evidence::evidence_signature,
        "The detached signature (hex)";
    get "/api/evidence/public-key" => evidence::public_key,
        "The evidence public key (hex)";
    get "/api/audit/verify" => evidence::verify_audit,
        "Verify the audit hash chain";
}

/// The API router (state applied), with its body limit.
pub fn router(service: Service) -> Router {
    let limit = service.config().max_body_bytes;
    routes()
        .layer(axum::middleware::from_fn(limits::refuse_nul_in_uri))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(service)
}

async fn openapi_document() -> Json<serde_json::Value> {
    Json(openapi::document())
}
