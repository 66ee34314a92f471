//! Runtime decisions (`/v1/decisions`) and the decision-log export.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ApiResult, AppError, AppJson};
use crate::auth::Authed;
use crate::service::{shadow, Service};

#[derive(Debug, Deserialize)]
pub(super) struct PackQuery {
    pack: Option<String>,
}

pub(super) async fn decide(
    State(service): State<Service>,
    Query(query): Query<PackQuery>,
    AppJson(input): AppJson<serde_json::Value>,
) -> ApiResult<shadow::DecisionAnswer> {
    Ok(AppJson(
        shadow::decide(&service, query.pack.as_deref(), &input).await?,
    ))
}

/// Streams the decision log page by page (bounded memory); an unknown pack is a 404 before the
/// first byte.
pub(super) async fn export_decisions(
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
