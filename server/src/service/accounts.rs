//! Accounts: argon2id password hashes, database-backed sessions and sign-in rate limiting.
//!
//! Sessions and failed sign-ins live in the database, so any replica can check any session and
//! the rate limit holds across replicas. Session tokens are 32 random bytes; only their SHA-256
//! is stored.

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;
use sqlx::Row as _;

use app::backend::{Actor, BackendError, Role};

use super::{db_error, is_unique_violation, now_millis, string_list, Result, Service};
use crate::evidence::sha256_hex;

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
    let groups = serde_json::to_string(&user.groups).map_err(|_| BackendError::Unavailable)?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (username, password_hash, role, groups_json, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(username)
    .bind(&hash)
    .bind(user.role.as_str())
    .bind(&groups)
    .bind(now_millis())
    .fetch_one(service.db().pool())
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            BackendError::Conflict {
                message: format!("the user `{username}` already exists"),
                current_revision: None,
            }
        } else {
            db_error(error)
        }
    })?;
    Ok(Actor {
        id,
        username: username.to_owned(),
        role: user.role,
        groups: user.groups.clone(),
    })
}

fn actor_from_row(row: &sqlx::any::AnyRow) -> Result<Actor> {
    let role: String = row.try_get("role").map_err(db_error)?;
    Ok(Actor {
        id: row.try_get("id").map_err(db_error)?,
        username: row.try_get("username").map_err(db_error)?,
        role: Role::parse(&role).ok_or(BackendError::Unavailable)?,
        groups: string_list(&row.try_get::<String, _>("groups_json").map_err(db_error)?),
    })
}

/// The user of a session token.
pub async fn authenticate(service: &Service, token: &str) -> Result<Actor> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.role, u.groups_json FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(now_millis())
    .fetch_optional(service.db().pool())
    .await
    .map_err(db_error)?
    .ok_or(BackendError::Unauthenticated)?;
    actor_from_row(&row)
}

/// A user by name.
pub async fn find_user(service: &Service, username: &str) -> Result<Option<Actor>> {
    let row = sqlx::query("SELECT id, username, role, groups_json FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(service.db().pool())
        .await
        .map_err(db_error)?;
    row.as_ref().map(actor_from_row).transpose()
}

/// Checks the password (rate limited per user name) and opens a session.
pub async fn login(service: &Service, username: &str, password: &str) -> Result<(Actor, String)> {
    let config = service.config();
    let now = now_millis();
    let window_start = now - config.login_window_secs * 1000;
    let pool = service.db().pool();
    let failures = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_failures \
         WHERE username = $1 AND at > $2",
    )
    .bind(username)
    .bind(window_start)
    .fetch_one(pool)
    .await
    .map_err(db_error)?;
    let count: i64 = failures.try_get("n").map_err(db_error)?;
    if count >= config.login_max_failures {
        let oldest: Option<i64> = failures.try_get("oldest").map_err(db_error)?;
        let retry_at = oldest.unwrap_or(now) + config.login_window_secs * 1000;
        return Err(BackendError::RateLimited {
            retry_after_secs: u64::try_from((retry_at - now).max(1000) / 1000).unwrap_or(1),
        });
    }
    let row = sqlx::query(
        "SELECT id, username, role, groups_json, password_hash FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    // Verify against a fixed hash for unknown users too, so timing does not reveal names.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J8cLVg2Gm9CvZK6iXUtWvX5sS3cCvC1gQx7qQ8x1d5E";
    let stored: String = match &row {
        Some(row) => row.try_get("password_hash").map_err(db_error)?,
        None => DUMMY.to_owned(),
    };
    let valid = verify_password(password, &stored).await && row.is_some();
    let Some(row) = row.filter(|_| valid) else {
        sqlx::query("INSERT INTO login_failures (username, at) VALUES ($1, $2)")
            .bind(username)
            .bind(now)
            .execute(pool)
            .await
            .map_err(db_error)?;
        return Err(BackendError::Unauthenticated);
    };
    let actor = actor_from_row(&row)?;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let mut tx = pool.begin().await.map_err(db_error)?;
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(actor.id)
    .bind(now)
    .bind(now + config.session_ttl_secs * 1000)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok((actor, token))
}

/// Ends a session.
pub async fn logout(service: &Service, token: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(sha256_hex(token.as_bytes()))
        .execute(service.db().pool())
        .await
        .map_err(db_error)?;
    Ok(())
}
