//! Accounts: the password rule, argon2id password hashes, database-backed sessions and sign-in
//! rate limiting.
//!
//! Sessions and failed sign-ins live in the database, so any replica can check any session and
//! the rate limit holds across replicas. Session tokens are 32 random bytes; only their SHA-256
//! is stored. User creation and every sign-in, successful or not, is an audit entry
//! (`user.create`, `session.login`, `session.login_failed`; never the password); a sign-in
//! refused by the rate limit is not, as no password was checked.

use app::backend::{Actor, BackendError, Role};
use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;

use super::limits::MAX_USER_NAME_CHARS;
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

/// The shortest password accepted, in characters (Unicode scalar values, not bytes).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Passwords refused outright, one per line (compared case-insensitively after trimming).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// The password rule, for every way an account is made (REST, server functions, CLI, demo):
/// at least [`MIN_PASSWORD_CHARS`] characters, not only whitespace, not one character repeated,
/// not the user name, not a common password.
pub fn check_password(username: &str, password: &str) -> Result<()> {
    super::limits::check_bytes("a password", password, super::limits::MAX_PASSWORD_BYTES)?;
    let refuse = |why: String| Err(BackendError::Invalid(why));
    if password.trim().is_empty() {
        return refuse("a password cannot be empty or only whitespace".into());
    }
    let count = password.chars().count();
    if count < MIN_PASSWORD_CHARS {
        return refuse(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters; this one has {count}"
        ));
    }
    let folded = password.trim().to_lowercase();
    if folded == username.trim().to_lowercase() {
        return refuse("a password cannot be the user name".into());
    }
    let mut chars = folded.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return refuse("a password cannot be one character repeated".into());
        }
    }
    let common = COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|line| line.to_lowercase() == folded);
    if common {
        return refuse("this password is on the list of common passwords; choose another".into());
    }
    Ok(())
}

/// Creates a user on behalf of `system` (the demo seed).
pub async fn create_user(service: &Service, user: &NewUser<'_>) -> Result<Actor> {
    create_user_as(service, "system", user).await
}

/// Creates a user, audited as done by `actor`; a taken name is a conflict.
pub async fn create_user_as(service: &Service, actor: &str, user: &NewUser<'_>) -> Result<Actor> {
    let username = user.username.trim();
    super::limits::check_chars("a user name", username, MAX_USER_NAME_CHARS)?;
    if username.is_empty() || username.chars().any(char::is_whitespace) {
        return Err(BackendError::Invalid(format!(
            "a user name is 1 to {MAX_USER_NAME_CHARS} characters without spaces"
        )));
    }
    check_password(username, user.password)?;
    if user.role == Role::Approver && user.groups.is_empty() {
        return Err(BackendError::Invalid(
            "an approver belongs to at least one approver group".into(),
        ));
    }
    let hash = hash_password(user.password).await?;
    let mut write = service.begin_write(actor).await?;
    let row = store::users::NewUser {
        username,
        password_hash: &hash,
        role: user.role,
        groups: &user.groups,
        created_at: write.now(),
    };
    let id = store::users::insert(&mut write, &row)
        .await
        .map_err(|error| {
            error.unique_as(|| BackendError::Conflict {
                message: format!("the user `{username}` already exists"),
                current_revision: None,
            })
        })?;
    let detail = serde_json::json!({
        "user_id": id,
        "username": username,
        "role": user.role.as_str(),
        "groups": user.groups,
    });
    write.audit("user.create", "", "", detail).await?;
    service.commit(write).await?;
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
    // Refused before any database read or hash: a name no account can have is not recorded
    // as a failure, and a huge password is never hashed.
    super::limits::check_chars("a user name", username, MAX_USER_NAME_CHARS)?;
    super::limits::check_bytes("a password", password, super::limits::MAX_PASSWORD_BYTES)?;
    let config = service.config();
    let now = now_millis();
    let window_start = now - config.login_window_secs * 1000;
    let mut conn = service.conn().await?;
    let (count, oldest) = store::users::failures_since(&mut conn, username, window_start).await?;
    if count >= config.login_max_failures {
        let retry_at = oldest.unwrap_or(now) + config.login_window_secs * 1000;
        return Err(BackendError::RateLimited {
            what: "too many failed sign-ins".into(),
            retry_after_secs: u64::try_from((retry_at - now).max(1000) / 1000).unwrap_or(1),
        });
    }
    let found = store::users::credentials(&mut conn, username).await?;
    // Verify against a fixed hash for unknown users too, so timing does not reveal names.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J8cLVg2Gm9CvZK6iXUtWvX5sS3cCvC1gQx7qQ8x1d5E";
    let stored = found.as_ref().map_or(DUMMY, |(_, hash)| hash.as_str());
    let valid = verify_password(password, stored).await && found.is_some();
    drop(conn);
    let Some((actor, _)) = found.as_ref().filter(|_| valid) else {
        // The attempted name is recorded (cut to a user name's length), never the password.
        let mut write = service.begin_write("anonymous").await?;
        let at = write.now();
        store::users::record_failure(&mut write, username, at).await?;
        let detail = serde_json::json!({
            "username": username,
            "user_id": found.as_ref().map(|(actor, _)| actor.id),
            "reason": if found.is_some() { "wrong password" } else { "unknown user" },
        });
        write.audit("session.login_failed", "", "", detail).await?;
        service.commit(write).await?;
        return Err(BackendError::Unauthenticated);
    };
    let actor = actor.clone();
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let mut write = service.begin_write(&actor.username).await?;
    let now = write.now();
    let expires_at = now + config.session_ttl_secs * 1000;
    let token_hash = sha256_hex(token.as_bytes());
    store::users::open_session(&mut write, username, actor.id, &token_hash, now, expires_at)
        .await?;
    let detail = serde_json::json!({"user_id": actor.id, "expires_at": expires_at});
    write.audit("session.login", "", "", detail).await?;
    service.commit(write).await?;
    Ok((actor, token))
}

/// Ends a session.
pub async fn logout(service: &Service, token: &str) -> Result<()> {
    let mut conn = service.conn().await?;
    Ok(store::users::close_session(&mut conn, &sha256_hex(token.as_bytes())).await?)
}
