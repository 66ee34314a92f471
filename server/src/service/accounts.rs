//! Accounts: the password rule, argon2id password hashes (at most a few at once), database-backed
//! sessions and sign-in throttling per account and per client ([`super::throttle`]).
//!
//! Sessions and failed sign-ins live in the database, so any replica can check any session and
//! the throttle holds across replicas. Session tokens are 32 random bytes; only their SHA-256
//! is stored. User creation and every sign-in, successful or not, is an audit entry
//! (`user.create`, `session.login`, `session.login_failed`; never the password); a sign-in
//! refused by the rate limit is not, as no password was checked.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::backend::{Actor, BackendError, Role};
use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;
use sqlx::AnyConnection;
use tokio::sync::Semaphore;

use super::limits::MAX_USER_NAME_CHARS;
use super::{now_millis, throttle, Result, Service};
use crate::config::SigninLimits;
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

/// The cap on concurrent password hashes: argon2id is meant to be expensive (19 MiB and ~25 ms a
/// hash), so unbounded concurrent sign-ins would take every core and a lot of memory. A hash
/// waits up to `hash_wait_ms` for one of `max_password_hashes` slots, else the caller gets
/// [`BackendError::Busy`] (503 with `Retry-After`).
#[derive(Debug)]
pub(crate) struct HashSlots {
    slots: Arc<Semaphore>,
    wait: Duration,
    computed: AtomicU64,
}

impl HashSlots {
    pub(crate) fn new(limits: &SigninLimits) -> HashSlots {
        HashSlots {
            slots: Arc::new(Semaphore::new(limits.max_password_hashes.max(1))),
            wait: Duration::from_millis(limits.hash_wait_ms),
            computed: AtomicU64::new(0),
        }
    }

    /// Runs `hash` on a blocking thread once a slot is free.
    async fn run<T: Send + 'static>(&self, hash: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let permit = match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await
        {
            Ok(Ok(permit)) => permit,
            Ok(Err(_closed)) => return Err(BackendError::Unavailable),
            Err(_elapsed) => {
                return Err(BackendError::Busy {
                    what: "too many sign-ins at once".into(),
                    retry_after_secs: 1,
                })
            }
        };
        self.computed.fetch_add(1, Ordering::Relaxed);
        // The permit moves into the blocking task: a caller that goes away (a dropped request)
        // does not free the slot while its hash still runs.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hash()
        })
        .await
        .map_err(|_| BackendError::Unavailable)
    }

    /// How many hashes were started since the service was built.
    pub(crate) fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }
}

/// Hashes a password with argon2id (the crate's default parameters) within the hash cap.
pub async fn hash_password(service: &Service, password: &str) -> Result<String> {
    let password = password.to_owned();
    service
        .hash_slots()
        .run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
        })
        .await?
        .map_err(|error| {
            tracing::error!(%error, "hashing a password failed");
            BackendError::Unavailable
        })
}

/// Whether `password` matches the stored PHC string, within the hash cap.
async fn verify_password(service: &Service, password: &str, stored: &str) -> Result<bool> {
    let password = password.to_owned();
    let stored = stored.to_owned();
    service
        .hash_slots()
        .run(move || {
            PasswordHash::new(&stored)
                .map(|hash| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &hash)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
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
    let hash = hash_password(service, user.password).await?;
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

/// Checks the password and opens a session, throttled per account and per client
/// ([`super::throttle`]).
///
/// An attempt the throttle refuses is answered with [`BackendError::RateLimited`] before any
/// hash is computed. One it lets through is first recorded as a failure, under the lifecycle
/// lock, so concurrent attempts (from any replica) count each other; a correct password then
/// deletes the account's failures, a wrong one keeps the row, and one that never got a hash slot
/// ([`BackendError::Busy`]) removes it again.
pub async fn login(
    service: &Service,
    username: &str,
    password: &str,
    client: Option<IpAddr>,
) -> Result<(Actor, String)> {
    // Refused before any database read or hash: a name no account can have is not recorded
    // as a failure, and a huge password is never hashed.
    super::limits::check_chars("a user name", username, MAX_USER_NAME_CHARS)?;
    super::limits::check_bytes("a password", password, super::limits::MAX_PASSWORD_BYTES)?;
    let config = service.config();
    let username = username.trim();
    let account = throttle::account_key(username);
    let client = client.map(throttle::client_key);
    // A refusal needs only a read: a flood of refused attempts never queues on the lock.
    {
        let mut conn = service.conn().await?;
        check_throttle(
            service,
            &mut conn,
            &account,
            client.as_deref(),
            now_millis(),
        )
        .await?;
    }
    let charge = {
        let mut tx = service.lock().await?;
        let now = now_millis();
        check_throttle(service, &mut tx, &account, client.as_deref(), now).await?;
        let window_start = now - config.signin.window_secs.max(1) * 1000;
        // Bounded per attempt, and each attempt adds one row, so old rows never pile up.
        store::users::prune_failures(&mut tx, window_start, PRUNE_BATCH).await?;
        let id =
            store::users::record_failure(&mut tx, &account, client.as_deref().unwrap_or(""), now)
                .await?;
        tx.commit().await.map_err(store::db_error)?;
        id
    };
    let mut conn = service.conn().await?;
    let found = store::users::credentials(&mut conn, username).await?;
    drop(conn);
    // Verify against a fixed hash for unknown users too, so timing does not reveal names.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J8cLVg2Gm9CvZK6iXUtWvX5sS3cCvC1gQx7qQ8x1d5E";
    let stored = found.as_ref().map_or(DUMMY, |(_, hash)| hash.as_str());
    let valid = match verify_password(service, password, stored).await {
        Ok(valid) => valid && found.is_some(),
        Err(error) => {
            // No password was checked: the attempt does not count.
            let mut conn = service.conn().await?;
            store::users::forget_failure(&mut conn, charge).await?;
            return Err(error);
        }
    };
    let Some((actor, _)) = found.as_ref().filter(|_| valid) else {
        // The attempted name is recorded (cut to a user name's length), never the password.
        let mut write = service.begin_write("anonymous").await?;
        let detail = serde_json::json!({
            "username": account,
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
    store::users::open_session(&mut write, &account, actor.id, &token_hash, now, expires_at)
        .await?;
    let detail = serde_json::json!({"user_id": actor.id, "expires_at": expires_at});
    write.audit("session.login", "", "", detail).await?;
    service.commit(write).await?;
    Ok((actor, token))
}

/// Old failures deleted per sign-in attempt at most.
const PRUNE_BATCH: i64 = 256;

/// Refuses an attempt the throttle does not let through at `now`.
async fn check_throttle(
    service: &Service,
    conn: &mut AnyConnection,
    account: &str,
    client: Option<&str>,
    now: i64,
) -> Result<()> {
    let limits = &service.config().signin;
    let since = now - limits.window_secs.max(1) * 1000;
    let failures = |(count, latest)| throttle::Failures { count, latest };
    let by_account = failures(store::users::account_failures(conn, account, since).await?);
    let by_client = match client {
        Some(client) => Some(failures(
            store::users::client_failures(conn, client, since).await?,
        )),
        None => None,
    };
    throttle::check(limits, by_account, by_client, now).map_err(|refusal| {
        BackendError::RateLimited {
            what: refusal.what().into(),
            retry_after_secs: refusal.retry_after_secs(now),
        }
    })
}

/// Ends a session.
pub async fn logout(service: &Service, token: &str) -> Result<()> {
    let mut conn = service.conn().await?;
    Ok(store::users::close_session(&mut conn, &sha256_hex(token.as_bytes())).await?)
}
