//! Runtime decisions (`/v1/decisions`), runtime tokens and the decision-log export.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use app::backend::{BackendError, NewRuntimeToken, RuntimeToken};

use super::{ApiResult, AppError, AppJson};
use crate::auth::Authed;
use crate::service::tokens::{self, Runtime};
use crate::service::{shadow, Service};

/// The runtime of a `/v1/decisions` request, from `Authorization: Bearer <token>`, already
/// admitted by its rate limit. Runs before the body is read, so a request without a valid token
/// (401) or over its rate (429) costs no parsing and no database work.
pub(super) struct Bearer(Arc<Runtime>);

impl FromRequestParts<Service> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, Response> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, secret)| secret.trim());
        let result = match secret {
            Some(secret) => tokens::authenticate(service, secret).await,
            None => Err(BackendError::Unauthenticated),
        };
        let runtime = result
            .and_then(|runtime| tokens::admit(service, &runtime).map(|()| runtime))
            .map_err(|error| match error {
                BackendError::Unauthenticated => unauthenticated(secret.is_some()),
                other => AppError::from(other).into_response(),
            })?;
        Ok(Bearer(runtime))
    }
}

/// 401 with `WWW-Authenticate: Bearer`: no token, or one that is unknown or revoked (not told
/// apart, so a guess learns nothing).
fn unauthenticated(presented: bool) -> Response {
    let message = if presented {
        "the runtime token is unknown or revoked"
    } else {
        "`/v1/decisions` needs a runtime token: `Authorization: Bearer <token>` (an admin \
         creates one with `cavra token create` or on the dashboard)"
    };
    let mut response =
        AppError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"cavra\""),
    );
    response
}

#[derive(Debug, Deserialize)]
pub(super) struct PackQuery {
    pack: Option<String>,
}

pub(super) async fn decide(
    State(service): State<Service>,
    Bearer(runtime): Bearer,
    Query(query): Query<PackQuery>,
    AppJson(input): AppJson<serde_json::Value>,
) -> ApiResult<shadow::DecisionAnswer> {
    Ok(AppJson(
        shadow::decide(&service, &runtime, query.pack.as_deref(), &input).await?,
    ))
}

pub(super) async fn list_tokens(
    State(service): State<Service>,
    Authed(actor): Authed,
) -> ApiResult<Vec<RuntimeToken>> {
    Ok(AppJson(tokens::list(&service, &actor).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewTokenBody {
    name: String,
    /// The packs it may ask about; absent or null: every pack.
    #[serde(default)]
    packs: Option<Vec<String>>,
}

pub(super) async fn create_token(
    State(service): State<Service>,
    Authed(actor): Authed,
    AppJson(body): AppJson<NewTokenBody>,
) -> Result<(StatusCode, AppJson<NewRuntimeToken>), AppError> {
    let token = tokens::create(&service, &actor, &body.name, body.packs).await?;
    Ok((StatusCode::CREATED, AppJson(token)))
}

pub(super) async fn revoke_token(
    State(service): State<Service>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
) -> ApiResult<RuntimeToken> {
    Ok(AppJson(tokens::revoke(&service, &actor, id).await?))
}

/// Where the export stands between two pages.
enum Export {
    /// A page read, not yet sent, and the id to read the next one after (`None`: the end).
    Read(String, Option<i64>),
    /// The next page starts after this id.
    After(i64),
    /// Everything sent.
    Done,
}

/// Streams the decision log page by page (each page bounded by rows and bytes, so memory is
/// bounded); an unknown pack is a 404 before the first byte.
///
/// The stream is fused: the compression layer polls the body once more after it ended (for
/// trailers), and an ended `unfold` panics when polled again ("Unfold must not be polled after it
/// returned `Poll::Ready(None)`"), which broke every export a client asked to be gzipped.
pub(super) async fn export_decisions(
    State(service): State<Service>,
    Authed(_): Authed,
    Path(pack): Path<String>,
) -> Result<Response, AppError> {
    let (text, last) = shadow::decision_log_page(&service, &pack, 0).await?;
    let pages = futures_util::stream::try_unfold(
        (Export::Read(text, last), service, pack),
        |(mut next, service, pack)| async move {
            loop {
                let (text, last) = match next {
                    Export::Done => return Ok::<_, std::io::Error>(None),
                    Export::Read(text, last) => (text, last),
                    Export::After(after) => shadow::decision_log_page(&service, &pack, after)
                        .await
                        .map_err(|error| {
                            tracing::error!(%error, "exporting the decision log");
                            std::io::Error::other("decision log export failed")
                        })?,
                };
                next = last.map_or(Export::Done, Export::After);
                // A page whose rows were pruned while it was read is empty; read the next.
                if !text.is_empty() {
                    return Ok(Some((Bytes::from(text), (next, service, pack))));
                }
            }
        },
    );
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(futures_util::StreamExt::fuse(pages)),
    )
        .into_response())
}
