//! Accounts: argon2id password hashes, database-backed sessions and sign-in rate limiting.
//!
//! Sessions and failed sign-ins live in the database, so any replica can check any session and
//! the rate limit holds across replicas. Session tokens are 32 random bytes; only their SHA-256
//! is stored.

use app::backend::{Actor, BackendError, Role};
use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;

use super::{now_millis, Result, Service};
use crate::evidence::sha256_hex;
use crate::store;

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name.
    pub username: &'a str,
    /// Plain password (hashed with argon2id before storage).
    pub password: &'a str,
    /// Role.
    pub role: Role,
    /// Approver groups.
    pub groups: Vec<String>,
}

/// Hashes a password with argon2id (the crate's default parameters) on a blocking thread.
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|_| BackendError::Unavailable)?
    .map_err(|error| {
        tracing::error!(%error, "hashing a password failed");
        BackendError::Unavailable
    })
}

async fn verify_password(password: &str, stored: &str) -> bool {
    let password = password.to_owned();
    let stored = stored.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Creates a user; a taken name is a conflict.
pub async fn create_user(service: &Service, user: &NewUser<'_>) -> Result<Actor> {
    let username = user.username.trim();
    if username.is_empty() || username.len() > 64 || username.chars().any(char::is_whitespace) {
        return Err(BackendError::Invalid(
            "a user name is 1 to 64 characters without spaces".into(),
        ));
    }
    if user.password.len() < 8 {
        return Err(BackendError::Invalid(
            "a password needs at least 8 characters".into(),
        ));
    }
    if user.role == Role::Approver && user.groups.is_empty() {
        return Err(BackendError::Invalid(
            "an approver belongs to at least one approver group".into(),
        ));
    }
    let hash = hash_password(user.password).await?;
    let mut conn = service.conn().await?;
    let row = store::users::NewUser {
        username,
        password_hash: &hash,
        role: user.role,
        groups: &user.groups,
        created_at: now_millis(),
    };
    let id = store::users::insert(&mut conn, &row)
        .await
        .map_err(|error| {
            error.unique_as(|| BackendError::Conflict {
                message: format!("the user `{username}` already exists"),
                current_revision: None,
            })
        })?;
    Ok(Actor {
        id,
        username: username.to_owned(),
        role: user.role,
        groups: user.groups.clone(),
    })
}

/// The user of a session token.
pub async fn authenticate(service: &Service, token: &str) -> Result<Actor> {
    let mut conn = service.conn().await?;
    store::users::by_session(&mut conn, &sha256_hex(token.as_bytes()), now_millis())
        .await?
        .ok_or(BackendError::Unauthenticated)
}

/// A user by name.
pub async fn find_user(service: &Service, username: &str) -> Result<Option<Actor>> {
    let mut conn = service.conn().await?;
    Ok(store::users::by_name(&mut conn, username).await?)
}

/// Checks the password (rate limited per user name) and opens a session.
pub async fn login(service: &Service, username: &str, password: &str) -> Result<(Actor, String)> {
    let config = service.config();
    let now = now_millis();
    let window_start = now - config.login_window_secs * 1000;
    let mut conn = service.conn().await?;
    let (count, oldest) = store::users::failures_since(&mut conn, username, window_start).await?;
    if count >= config.login_max_failures {
        let retry_at = oldest.unwrap_or(now) + config.login_window_secs * 1000;
        return Err(BackendError::RateLimited {
            retry_after_secs: u64::try_from((retry_at - now).max(1000) / 1000).unwrap_or(1),
        });
    }
    let found = store::users::credentials(&mut conn, username).await?;
    // Verify against a fixed hash for unknown users too, so timing does not reveal names.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J8cLVg2Gm9CvZK6iXUtWvX5sS3cCvC1gQx7qQ8x1d5E";
    let stored = found.as_ref().map_or(DUMMY, |(_, hash)| hash.as_str());
    let valid = verify_password(password, stored).await && found.is_some();
    let Some((actor, _)) = found.filter(|_| valid) else {
        store::users::record_failure(&mut conn, username, now).await?;
        return Err(BackendError::Unauthenticated);
    };
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let expires_at = now + config.session_ttl_secs * 1000;
    let mut tx = service.db().pool().begin().await.map_err(store::db_error)?;
    let token_hash = sha256_hex(token.as_bytes());
    store::users::open_session(&mut tx, username, actor.id, &token_hash, now, expires_at).await?;
    tx.commit().await.map_err(store::db_error)?;
    Ok((actor, token))
}

/// Ends a session.
pub async fn logout(service: &Service, token: &str) -> Result<()> {
    let mut conn = service.conn().await?;
    Ok(store::users::close_session(&mut conn, &sha256_hex(token.as_bytes())).await?)
}
