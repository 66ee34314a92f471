//! Packs, drafts and versions.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use app::backend::Backend;

use super::{ApiResult, AppError, AppJson};
use crate::auth::Authed;
use crate::service::Service;

pub(super) async fn list_packs(
    State(service): State<Service>,
    Authed(_): Authed,
) -> ApiResult<Vec<app::backend::PackSummary>> {
    Ok(AppJson(service.list_packs().await?))
}

pub(super) async fn list_drafts(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::Draft>> {
    Ok(AppJson(service.list_drafts(&pack).await?))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct NewDraftBody {
    from_digest: Option<String>,
}

pub(super) async fn create_draft(
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

pub(super) async fn get_draft(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(id): Path<i64>,
) -> ApiResult<app::backend::Draft> {
    Ok(AppJson(service.get_draft(id).await?))
}

#[derive(Debug, Deserialize)]
pub(super) struct CoauthorsBody {
    coauthors: Vec<String>,
}

pub(super) async fn set_coauthors(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    AppJson(body): AppJson<CoauthorsBody>,
) -> ApiResult<app::backend::Draft> {
    Ok(AppJson(
        service.set_coauthors(&actor, id, &body.coauthors).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct SaveDraftBody {
    source: String,
    revision: i64,
}

pub(super) async fn save_draft(
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

pub(super) async fn publish_draft(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
) -> Result<(StatusCode, AppJson<app::backend::Version>), AppError> {
    Ok((
        StatusCode::CREATED,
        AppJson(service.publish_draft(&actor, id).await?),
    ))
}

pub(super) async fn list_versions(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::Version>> {
    Ok(AppJson(service.list_versions(&pack).await?))
}

pub(super) async fn get_version(
    State(service): State<Service>,
    Authed(_): Authed,
    Path((pack, digest)): Path<(String, String)>,
) -> ApiResult<app::backend::Version> {
    Ok(AppJson(service.get_version(&pack, &digest).await?))
}

#[derive(Debug, Deserialize)]
pub(super) struct ReplayQuery {
    baseline: Option<String>,
    window: Option<u64>,
}

pub(super) async fn replay_version(
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
