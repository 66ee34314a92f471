//! Approvals, shadow mode, the promotion gate, promotion, rollback and history.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use app::backend::{Backend, SignOffInput};

use super::{ApiResult, AppError, AppJson};
use crate::auth::Authed;
use crate::service::Service;

pub(super) async fn list_approvals(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::ApprovalRequest>> {
    Ok(AppJson(service.list_approvals(&pack).await?))
}

#[derive(Debug, Deserialize)]
pub(super) struct ApprovalBody {
    digest: String,
    #[serde(default = "promotion")]
    kind: String,
    groups: Option<Vec<String>>,
}

fn promotion() -> String {
    "promotion".to_owned()
}

pub(super) async fn request_approval(
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

pub(super) async fn sign_off(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    AppJson(body): AppJson<SignOffInput>,
) -> Result<(StatusCode, AppJson<app::backend::ApprovalRequest>), AppError> {
    let request = service.sign_off(&actor, id, &body).await?;
    Ok((StatusCode::CREATED, AppJson(request)))
}

#[derive(Debug, Deserialize)]
pub(super) struct CommentBody {
    #[serde(default)]
    comment: String,
}

pub(super) async fn withdraw_signoff(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    AppJson(body): AppJson<CommentBody>,
) -> ApiResult<app::backend::ApprovalRequest> {
    Ok(AppJson(
        service.withdraw_signoff(&actor, id, &body.comment).await?,
    ))
}

pub(super) async fn set_approval_rule(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    AppJson(rule): AppJson<app::backend::ApprovalRule>,
) -> ApiResult<app::backend::PackSummary> {
    Ok(AppJson(
        service.set_approval_rule(&actor, &pack, &rule).await?,
    ))
}

pub(super) async fn set_shadow_rule(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    AppJson(rule): AppJson<app::backend::ShadowRule>,
) -> ApiResult<app::backend::PackSummary> {
    Ok(AppJson(
        service.set_shadow_rule(&actor, &pack, &rule).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct BreakGlassBody {
    digest: String,
    action: String,
    reason: String,
}

pub(super) async fn break_glass(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    AppJson(body): AppJson<BreakGlassBody>,
) -> ApiResult<app::backend::Enforcement> {
    Ok(AppJson(
        service
            .break_glass(&actor, &pack, &body.digest, &body.action, &body.reason)
            .await?,
    ))
}

pub(super) async fn divergence(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Option<app::backend::DivergenceSummary>> {
    Ok(AppJson(service.divergence(&pack).await?))
}

#[derive(Debug, Deserialize)]
pub(super) struct DigestBody {
    digest: String,
}

pub(super) async fn start_shadow(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    AppJson(body): AppJson<DigestBody>,
) -> Result<(StatusCode, AppJson<app::backend::ShadowRun>), AppError> {
    let run = service.start_shadow(&actor, &pack, &body.digest).await?;
    Ok((StatusCode::CREATED, AppJson(run)))
}

pub(super) async fn stop_shadow(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
) -> ApiResult<app::backend::ShadowRun> {
    Ok(AppJson(service.stop_shadow(&actor, &pack).await?))
}

pub(super) async fn acknowledge(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
) -> ApiResult<app::backend::DivergenceSummary> {
    Ok(AppJson(
        service.acknowledge_divergences(&actor, &pack).await?,
    ))
}

pub(super) async fn gate(
    State(service): State<Service>,
    Authed(_): Authed,
    Path((pack, digest)): Path<(String, String)>,
) -> ApiResult<app::backend::GateReport> {
    Ok(AppJson(service.gate(&pack, &digest).await?))
}

pub(super) async fn promote(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(pack): Path<String>,
    AppJson(body): AppJson<DigestBody>,
) -> ApiResult<app::backend::Enforcement> {
    Ok(AppJson(service.promote(&actor, &pack, &body.digest).await?))
}

#[derive(Debug, Deserialize)]
pub(super) struct RollbackBody {
    digest: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn rollback(
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

pub(super) async fn history(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::HistoryEntry>> {
    Ok(AppJson(service.history(&pack).await?))
}
