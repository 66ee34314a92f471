//! Sign-in, sign-out, the signed-in user and account creation.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use app::backend::{Backend, ClientAddr, Session};

use super::{ApiResult, AppError, AppJson};
use crate::auth::{clear_cookie, session_cookie, Authed};
use crate::service::{accounts, Service};

pub(super) async fn whoami(Authed(actor): Authed) -> ApiResult<app::backend::Actor> {
    Ok(AppJson(actor))
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginBody {
    username: String,
    password: String,
}

pub(super) async fn login(
    State(service): State<Service>,
    client: Option<Extension<ClientAddr>>,
    AppJson(body): AppJson<LoginBody>,
) -> Result<Response, AppError> {
    let client = client.map(|Extension(ClientAddr(ip))| ip);
    let (actor, token) = service
        .login(&body.username, &body.password, client)
        .await?;
    let cookie = session_cookie(
        &token,
        service.config().secure_cookies,
        service.config().session_ttl_secs,
    );
    Ok(([(header::SET_COOKIE, cookie)], Json(actor)).into_response())
}

pub(super) async fn logout(
    State(service): State<Service>,
    session: Option<axum::Extension<Session>>,
) -> Result<Response, AppError> {
    if let Some(token) = session.and_then(|session| session.0.token) {
        service.logout(&token).await?;
    }
    let cookie = clear_cookie(service.config().secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], StatusCode::NO_CONTENT).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct NewUserBody {
    username: String,
    password: String,
    role: app::backend::Role,
    #[serde(default)]
    groups: Vec<String>,
}

pub(super) async fn create_user(
    State(service): State<Service>,
    Authed(actor): Authed,
    AppJson(body): AppJson<NewUserBody>,
) -> Result<(StatusCode, AppJson<app::backend::Actor>), AppError> {
    crate::service::require_role(&actor, &[app::backend::Role::Admin], "creating users")?;
    let user = accounts::create_user_as(
        &service,
        &actor.username,
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
