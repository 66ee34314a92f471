//! Signed evidence packets, the public key and the audit chain.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use app::backend::Backend;

use super::{ApiResult, AppError, AppJson};
use crate::auth::Authed;
use crate::service::Service;

pub(super) async fn list_evidence(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> ApiResult<Vec<app::backend::EvidencePacket>> {
    Ok(AppJson(service.list_evidence(&pack).await?))
}

pub(super) async fn get_evidence(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(id): Path<i64>,
) -> ApiResult<app::backend::EvidencePacket> {
    Ok(AppJson(service.get_evidence(id).await?))
}

pub(super) async fn evidence_bytes(
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

pub(super) async fn evidence_signature(
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

pub(super) async fn public_key(State(service): State<Service>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain")],
        format!("{}\n", service.signer().public_hex()),
    )
        .into_response()
}

pub(super) async fn verify_audit(
    State(service): State<Service>,
    Authed(_): Authed,
) -> ApiResult<crate::audit::Report> {
    Ok(AppJson(service.verify_audit().await?))
}
