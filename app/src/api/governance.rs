//! Approvals, shadow mode, promotion and rollback.

use leptos::prelude::*;

use super::ApiError;
use crate::backend::{
    ApprovalRequest, ApprovalRule, DivergenceSummary, Enforcement, PackSummary, ShadowRule,
    ShadowRun,
};

/// Opens an approval request (`kind` is `promotion` or `rollback`): the pack's rule, plus any
/// groups the requester adds.
#[server]
pub async fn request_approval(
    pack_id: String,
    digest: String,
    kind: String,
    // An empty list is sent as no field at all; it means "no additions".
    #[server(default)] groups: Vec<String>,
) -> Result<ApprovalRequest, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    let groups = (!groups.is_empty()).then_some(groups);
    Ok(backend
        .request_approval(&actor, &pack_id, &digest, &kind, groups)
        .await?)
}

/// Signs off (approves or rejects) an approval request.
#[server]
pub async fn sign_off(
    request_id: i64,
    group: String,
    digest: String,
    decision: String,
    comment: String,
) -> Result<ApprovalRequest, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    let input = crate::backend::SignOffInput {
        group,
        digest,
        decision,
        comment,
    };
    Ok(backend.sign_off(&actor, request_id, &input).await?)
}

/// Withdraws a sign-off (your own, or a rejection of your group).
#[server]
pub async fn withdraw_signoff(
    signoff_id: i64,
    comment: String,
) -> Result<ApprovalRequest, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend
        .withdraw_signoff(&actor, signoff_id, &comment)
        .await?)
}

/// Replaces a pack's approval rule (admins).
#[server]
pub async fn set_approval_rule(
    pack_id: String,
    rule: ApprovalRule,
) -> Result<PackSummary, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.set_approval_rule(&actor, &pack_id, &rule).await?)
}

/// Break-glass (admins): enforces a digest by `promote` or `rollback` without approvals, with a
/// reason; audited and flagged in the packet.
#[server]
pub async fn break_glass(
    pack_id: String,
    digest: String,
    action: String,
    reason: String,
) -> Result<Enforcement, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend
        .break_glass(&actor, &pack_id, &digest, &action, &reason)
        .await?)
}

/// Replaces a pack's shadow rule (admins).
#[server]
pub async fn set_shadow_rule(pack_id: String, rule: ShadowRule) -> Result<PackSummary, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.set_shadow_rule(&actor, &pack_id, &rule).await?)
}

/// Starts shadow mode for a candidate.
#[server]
pub async fn start_shadow(pack_id: String, digest: String) -> Result<ShadowRun, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.start_shadow(&actor, &pack_id, &digest).await?)
}

/// Stops the active shadow run.
#[server]
pub async fn stop_shadow(pack_id: String) -> Result<ShadowRun, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.stop_shadow(&actor, &pack_id).await?)
}

/// The active (or latest) shadow run's counters, for polling.
#[server]
pub async fn divergence(pack_id: String) -> Result<Option<DivergenceSummary>, ApiError> {
    let (backend, _) = super::ssr::actor().await?;
    Ok(backend.divergence(&pack_id).await?)
}

/// Acknowledges every divergence of the active shadow run.
#[server]
pub async fn acknowledge(pack_id: String) -> Result<DivergenceSummary, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.acknowledge_divergences(&actor, &pack_id).await?)
}

/// Promotes a digest (refused with every missing item).
#[server]
pub async fn promote(pack_id: String, digest: String) -> Result<Enforcement, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.promote(&actor, &pack_id, &digest).await?)
}

/// Rolls back to a previously enforced digest (approval-gated).
#[server]
pub async fn rollback(
    pack_id: String,
    digest: String,
    reason: String,
) -> Result<Enforcement, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.rollback(&actor, &pack_id, &digest, &reason).await?)
}
