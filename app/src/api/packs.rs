//! Read models for the dashboard and the pack page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::backend::{
    Actor, ApprovalRequest, DivergenceSummary, Draft, EvidencePacket, GateReport, HistoryEntry,
    PackSummary, ReplaySummary, Version,
};

/// One dashboard row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackRow {
    /// The pack and its enforced version.
    pub pack: PackSummary,
    /// Open drafts.
    pub drafts: usize,
    /// Approval requests still waiting for a group and not rejected.
    pub pending_approvals: usize,
    /// The newest version that is not enforced, if any.
    pub candidate: Option<String>,
    /// The promotion gate of that candidate.
    pub readiness: Option<GateReport>,
}

/// The dashboard: every pack with its state.
#[server]
pub async fn dashboard() -> Result<(Actor, Vec<PackRow>), ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    let mut rows = Vec::new();
    for pack in backend.list_packs().await? {
        let drafts = backend.list_drafts(&pack.id).await?.len();
        let pending_approvals = backend
            .list_approvals(&pack.id)
            .await?
            .iter()
            .filter(|a| !a.rejected && !a.pending_groups.is_empty())
            .count();
        let candidate = candidate_of(&pack, &backend.list_versions(&pack.id).await?);
        let readiness = match &candidate {
            Some(digest) => Some(backend.gate(&pack.id, digest).await?),
            None => None,
        };
        rows.push(PackRow {
            pack,
            drafts,
            pending_approvals,
            candidate,
            readiness,
        });
    }
    Ok((actor, rows))
}

/// Everything the pack page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackDetail {
    /// The signed-in user.
    pub actor: Actor,
    /// The pack.
    pub pack: PackSummary,
    /// Drafts, newest first.
    pub drafts: Vec<Draft>,
    /// Versions, newest first (light).
    pub versions: Vec<Version>,
    /// Approval requests, newest first.
    pub approvals: Vec<ApprovalRequest>,
    /// The active or latest shadow run's counters.
    pub divergence: Option<DivergenceSummary>,
    /// Enforcement history, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Evidence packets, newest first.
    pub evidence: Vec<EvidencePacket>,
    /// The candidate the gate is shown for: the shadow candidate, else the newest unenforced
    /// version.
    pub candidate: Option<String>,
    /// Its promotion gate.
    pub gate: Option<GateReport>,
}

/// The pack page's data.
#[server]
pub async fn load_pack(pack_id: String) -> Result<PackDetail, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    let pack = backend
        .list_packs()
        .await?
        .into_iter()
        .find(|p| p.id == pack_id)
        .ok_or_else(|| crate::backend::BackendError::NotFound(format!("no pack `{pack_id}`")))?;
    let versions = backend.list_versions(&pack_id).await?;
    let divergence = backend.divergence(&pack_id).await?;
    let candidate = pack
        .shadow
        .as_ref()
        .filter(|s| s.stopped_at.is_none())
        .map(|s| s.candidate_digest.clone())
        .or_else(|| candidate_of(&pack, &versions));
    let gate = match &candidate {
        Some(digest) => Some(backend.gate(&pack_id, digest).await?),
        None => None,
    };
    Ok(PackDetail {
        drafts: backend.list_drafts(&pack_id).await?,
        approvals: backend.list_approvals(&pack_id).await?,
        history: backend.history(&pack_id).await?,
        evidence: backend.list_evidence(&pack_id).await?,
        actor,
        pack,
        versions,
        divergence,
        candidate,
        gate,
    })
}

/// One version with its source and reports.
#[server]
pub async fn version_detail(pack_id: String, digest: String) -> Result<Version, ApiError> {
    let (backend, _) = super::ssr::actor().await?;
    Ok(backend.get_version(&pack_id, &digest).await?)
}

/// Replays the pack's newest recorded decisions through a stored version, against `baseline`
/// (default: the enforced version).
#[server]
pub async fn replay_version(
    pack_id: String,
    digest: String,
    baseline: Option<String>,
) -> Result<ReplaySummary, ApiError> {
    let (backend, _) = super::ssr::actor().await?;
    Ok(backend
        .replay_version(
            &pack_id,
            &digest,
            baseline.as_deref(),
            crate::backend::DEFAULT_REPLAY_WINDOW,
        )
        .await?)
}

/// The newest published version that is not enforced.
#[cfg(feature = "ssr")]
fn candidate_of(pack: &PackSummary, versions: &[Version]) -> Option<String> {
    versions
        .iter()
        .find(|v| !v.enforced && Some(&v.digest) != pack.enforced_digest.as_ref())
        .map(|v| v.digest.clone())
}
