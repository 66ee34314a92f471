//! Drafts: create, load, save with optimistic concurrency, publish, co-authors.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::backend::{Actor, Draft, Version};

/// What the draft editor page needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftContext {
    /// The signed-in user.
    pub actor: Actor,
    /// The draft.
    pub draft: Draft,
    /// The enforced version with its source and dry-run report, if any.
    pub enforced: Option<Version>,
    /// The pack's invariants, proved on every keystroke (a failed one marks the deciding rule).
    #[serde(default)]
    pub invariants: Vec<lifecycle::invariants::Invariant>,
}

/// Loads a draft with the pack's enforced version.
#[server]
pub async fn load_draft(draft_id: i64) -> Result<DraftContext, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    let draft = backend.get_draft(draft_id).await?;
    let pack = backend
        .list_packs()
        .await?
        .into_iter()
        .find(|p| p.id == draft.pack_id);
    let (enforced_digest, invariants) = pack
        .map(|p| (p.enforced_digest, p.invariants))
        .unwrap_or_default();
    let enforced = match enforced_digest {
        Some(digest) => Some(backend.get_version(&draft.pack_id, &digest).await?),
        None => None,
    };
    Ok(DraftContext {
        actor,
        draft,
        enforced,
        invariants,
    })
}

/// Creates a draft from the enforced version (or `from_digest`).
#[server]
pub async fn create_draft(pack_id: String, from_digest: Option<String>) -> Result<Draft, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend
        .create_draft(&actor, &pack_id, from_digest.as_deref())
        .await?)
}

/// Saves a draft; `revision` is the revision the text was based on.
#[server]
pub async fn save_draft(draft_id: i64, source: String, revision: i64) -> Result<Draft, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend
        .save_draft(&actor, draft_id, &source, revision)
        .await?)
}

/// Publishes a draft as an immutable version.
#[server]
pub async fn publish_draft(draft_id: i64) -> Result<Version, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    Ok(backend.publish_draft(&actor, draft_id).await?)
}

/// Replaces the draft's co-authors (comma or space separated user names; empty clears them).
#[server]
pub async fn set_coauthors(draft_id: i64, coauthors: String) -> Result<Draft, ApiError> {
    let (backend, actor) = super::ssr::actor().await?;
    let names: Vec<String> = coauthors
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(backend.set_coauthors(&actor, draft_id, &names).await?)
}
