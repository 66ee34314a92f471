//! Runtime identities: the service tokens agent runtimes present on `/v1/decisions`.
//!
//! An admin creates a token for a named runtime (`ci-runner-eu`), scoped to some packs or to
//! all; the secret is shown once and only its SHA-256 is stored. Creation and revocation are
//! lifecycle writes whose audit entries vouch for the token row (`token_id`), so a token added or
//! un-revoked in the database fails `cavra audit verify`.
//!
//! **No database round trip per decision.** Each process keeps the set of active tokens in
//! memory ([`Registry`]), keyed by hash. The set is reloaded (one query) when it is older than
//! `token_cache_secs` (default 5 s), and when an unknown token arrives and the set is older than
//! [`MISS_REFRESH`], so a token created on another replica works within a second and a flood of
//! forged tokens costs at most one query per second. Revocation is honoured at once by the
//! process that revoked (it drops its set) and by other replicas within `token_cache_secs`.
//!
//! **Rate limits.** Each token has its own token bucket (`rate_per_sec`, `burst`), kept with the
//! token in the set, so a flooding token is answered 429 with `Retry-After` from memory, before
//! its body is parsed, and never waits on another token's lock. Buckets survive reloads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use sha2::{Digest as _, Sha256};

use app::backend::{Actor, BackendError, NewRuntimeToken, Role, RuntimeToken};

use super::{require_role, Result, Service};
use crate::store;

/// Every secret starts with this, so secret scanners and people can tell what leaked.
pub const SECRET_PREFIX: &str = "cavra_rt_";

/// An unknown token reloads the active set only when it is at least this old.
pub const MISS_REFRESH: Duration = Duration::from_secs(1);

/// Most packs one token may be scoped to.
pub const MAX_SCOPE: usize = 64;

/// The longest runtime name, in characters.
pub const MAX_NAME: usize = 64;

/// A runtime authenticated by its token: what `/v1/decisions` records and checks.
#[derive(Debug)]
pub struct Runtime {
    id: i64,
    name: Arc<str>,
    packs: Option<Vec<String>>,
    bucket: Mutex<Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Runtime {
    /// The token's id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The runtime's name, as recorded with its decisions.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn shared_name(&self) -> Arc<str> {
        self.name.clone()
    }

    /// Whether the token is scoped to `pack_id`.
    pub fn may_decide(&self, pack_id: &str) -> bool {
        self.packs
            .as_ref()
            .is_none_or(|packs| packs.iter().any(|p| p == pack_id))
    }

    /// Takes one decision from the bucket, or says how many seconds until one is available.
    fn take(&self, rate: f64, burst: f64) -> std::result::Result<(), u64> {
        if rate <= 0.0 {
            return Ok(());
        }
        let Ok(mut bucket) = self.bucket.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        let refill = now.duration_since(bucket.last).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refill).min(burst.max(1.0));
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / rate).ceil();
            // Whole seconds for Retry-After, at least 1.
            Err(if wait.is_finite() && wait >= 1.0 {
                wait as u64
            } else {
                1
            })
        }
    }
}

/// The active tokens as this process last read them.
#[derive(Debug, Default)]
struct Snapshot {
    /// When the read started; `None`: never read, or dropped by a change made here.
    loaded: Option<Instant>,
    by_hash: HashMap<[u8; 32], Arc<Runtime>>,
}

/// This process's copy of the active tokens (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Registry {
    snapshot: RwLock<Arc<Snapshot>>,
    /// One reload at a time; the others wait and use its result.
    reloading: tokio::sync::Mutex<()>,
}

impl Registry {
    fn current(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// The answer the current set gives, if it is fresh enough to give one.
    fn answer(&self, hash: &[u8; 32], ttl: Duration) -> Option<Result<Arc<Runtime>>> {
        let snapshot = self.current();
        let age = snapshot.loaded?.elapsed();
        if age >= ttl {
            return None;
        }
        match snapshot.by_hash.get(hash) {
            Some(runtime) => Some(Ok(runtime.clone())),
            None if age < MISS_REFRESH => Some(Err(BackendError::Unauthenticated)),
            None => None,
        }
    }

    /// Drops the set so the next decision reads the tokens again (after a change made here).
    pub(crate) fn invalidate(&self) {
        let mut slot = self
            .snapshot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let by_hash = slot.by_hash.clone();
        *slot = Arc::new(Snapshot {
            loaded: None,
            by_hash,
        });
    }

    async fn reload(&self, service: &Service) -> Result<Arc<Snapshot>> {
        let started = Instant::now();
        let rows = {
            let mut conn = service.conn().await?;
            store::tokens::active(&mut conn).await?
        };
        let previous = self.current();
        let mut by_id: HashMap<i64, &Arc<Runtime>> = previous
            .by_hash
            .values()
            .map(|runtime| (runtime.id, runtime))
            .collect();
        let burst = service.config().runtime.burst;
        let mut by_hash = HashMap::with_capacity(rows.len());
        for row in rows {
            let mut hash = [0u8; 32];
            if hex::decode_to_slice(&row.token_hash, &mut hash).is_err() {
                tracing::error!(token = row.id, "a stored token hash is not SHA-256 hex");
                continue;
            }
            let scope = row.scope();
            // Keep the runtime (and so its bucket) when nothing about it changed.
            let runtime = match by_id.remove(&row.id) {
                Some(kept) if *kept.name == *row.name && kept.packs == scope => kept.clone(),
                _ => Arc::new(Runtime {
                    id: row.id,
                    name: Arc::from(row.name.as_str()),
                    packs: scope,
                    bucket: Mutex::new(Bucket {
                        tokens: burst.max(1.0),
                        last: started,
                    }),
                }),
            };
            by_hash.insert(hash, runtime);
        }
        let snapshot = Arc::new(Snapshot {
            loaded: Some(started),
            by_hash,
        });
        *self
            .snapshot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = snapshot.clone();
        Ok(snapshot)
    }
}

fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The runtime behind a bearer secret: from memory, reading the active tokens at most once per
/// `token_cache_secs` (and once per [`MISS_REFRESH`] for unknown secrets).
/// [`BackendError::Unauthenticated`] for an unknown or revoked token.
pub async fn authenticate(service: &Service, secret: &str) -> Result<Arc<Runtime>> {
    // Real secrets are short; hashing a megabyte of header would be the caller's DoS.
    if secret.len() > 256 || !secret.starts_with(SECRET_PREFIX) {
        return Err(BackendError::Unauthenticated);
    }
    let hash = hash_secret(secret);
    let ttl = Duration::from_secs(service.config().runtime.token_cache_secs);
    let registry = service.tokens();
    if let Some(answer) = registry.answer(&hash, ttl) {
        return answer;
    }
    let _reloading = registry.reloading.lock().await;
    // Another request may have reloaded while this one waited.
    if let Some(answer) = registry.answer(&hash, ttl) {
        return answer;
    }
    let snapshot = registry.reload(service).await?;
    snapshot
        .by_hash
        .get(&hash)
        .cloned()
        .ok_or(BackendError::Unauthenticated)
}

/// Takes one decision from the runtime's rate limit, or refuses with the seconds to wait.
pub fn admit(service: &Service, runtime: &Runtime) -> Result<()> {
    let limits = &service.config().runtime;
    runtime
        .take(limits.rate_per_sec, limits.burst)
        .map_err(|retry_after_secs| BackendError::RateLimited {
            what: format!(
                "runtime `{}` is over its limit of {} decisions per second",
                runtime.name, limits.rate_per_sec
            ),
            retry_after_secs,
        })
}

/// A runtime name: 1 to [`MAX_NAME`] characters of ASCII letters, digits, `.`, `_` and `-`,
/// starting with a letter or digit (it appears in logs, tables and the gate's messages).
pub fn check_name(name: &str) -> Result<&str> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(name)
    } else {
        Err(BackendError::Invalid(format!(
            "a runtime name is 1 to {MAX_NAME} ASCII letters, digits, `.`, `_` or `-`, starting \
             with a letter or digit (e.g. `ci-runner-eu`); got `{}`",
            name.chars().take(80).collect::<String>()
        )))
    }
}

/// Every runtime token, newest first (admins).
pub async fn list(service: &Service, actor: &Actor) -> Result<Vec<RuntimeToken>> {
    require_role(actor, &[Role::Admin], "listing runtime tokens")?;
    list_all(service).await
}

/// Every runtime token, newest first (the CLI, which has the database itself).
pub async fn list_all(service: &Service) -> Result<Vec<RuntimeToken>> {
    let mut conn = service.conn().await?;
    Ok(store::tokens::list(&mut conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Creates a token (admins).
pub async fn create(
    service: &Service,
    actor: &Actor,
    name: &str,
    packs: Option<Vec<String>>,
) -> Result<NewRuntimeToken> {
    require_role(actor, &[Role::Admin], "creating runtime tokens")?;
    create_as(service, &actor.username, name, packs).await
}

/// Creates a token for runtime `name` scoped to `packs` (`None`: every pack), audited as done by
/// `actor`. A name with an active token is a conflict; every listed pack must exist.
pub async fn create_as(
    service: &Service,
    actor: &str,
    name: &str,
    packs: Option<Vec<String>>,
) -> Result<NewRuntimeToken> {
    let name = check_name(name.trim())?;
    let packs = match packs {
        None => None,
        Some(list) => {
            let mut clean: Vec<String> = Vec::new();
            for pack in list {
                let pack = pack.trim().to_owned();
                if !clean.contains(&pack) {
                    clean.push(pack);
                }
            }
            if clean.is_empty() {
                return Err(BackendError::Invalid(
                    "a runtime token needs at least one pack, or every pack".into(),
                ));
            }
            if clean.len() > MAX_SCOPE {
                return Err(BackendError::Invalid(format!(
                    "a runtime token is scoped to at most {MAX_SCOPE} packs (or to every pack)"
                )));
            }
            Some(clean)
        }
    };
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!("{SECRET_PREFIX}{}", hex::encode(bytes));
    let token_hash = hex::encode(hash_secret(&secret));
    let mut write = service.begin_write(actor).await?;
    for pack in packs.iter().flatten() {
        store::packs::get(&mut write, pack).await.map_err(|error| {
            match BackendError::from(error) {
                BackendError::NotFound(message) => BackendError::Invalid(message),
                other => other,
            }
        })?;
    }
    let row = store::tokens::NewToken {
        name,
        token_hash: &token_hash,
        packs: packs.as_deref(),
        created_by: actor,
        created_at: write.now(),
    };
    let id = store::tokens::insert(&mut write, &row)
        .await
        .map_err(|error| {
            error.unique_as(|| BackendError::Conflict {
                message: format!(
                    "the runtime `{name}` already has an active token; revoke it first"
                ),
                current_revision: None,
            })
        })?;
    let detail = serde_json::json!({"token_id": id, "runtime": name, "packs": packs});
    write.audit("token.create", "", "", detail).await?;
    let token = store::tokens::get(&mut write, id)
        .await?
        .ok_or(BackendError::Unavailable)?;
    service.commit(write).await?;
    service.tokens().invalidate();
    Ok(NewRuntimeToken {
        token: token.into(),
        secret,
    })
}

/// Revokes a token (admins).
pub async fn revoke(service: &Service, actor: &Actor, token_id: i64) -> Result<RuntimeToken> {
    require_role(actor, &[Role::Admin], "revoking runtime tokens")?;
    revoke_as(service, &actor.username, token_id).await
}

/// Revokes a token, audited as done by `actor`; this process refuses it at once, other
/// replicas within `token_cache_secs`.
pub async fn revoke_as(service: &Service, actor: &str, token_id: i64) -> Result<RuntimeToken> {
    let mut write = service.begin_write(actor).await?;
    let Some(token) = store::tokens::get(&mut write, token_id).await? else {
        return Err(BackendError::NotFound(format!(
            "no runtime token {token_id}"
        )));
    };
    let now = write.now();
    if !store::tokens::revoke(&mut write, token_id, actor, now).await? {
        return Err(BackendError::Conflict {
            message: format!(
                "the token {token_id} of runtime `{}` is already revoked",
                token.name
            ),
            current_revision: None,
        });
    }
    let detail = serde_json::json!({"token_id": token_id, "runtime": token.name});
    write.audit("token.revoke", "", "", detail).await?;
    let token = store::tokens::get(&mut write, token_id)
        .await?
        .ok_or(BackendError::Unavailable)?;
    service.commit(write).await?;
    service.tokens().invalidate();
    Ok(token.into())
}

/// The token id of a runtime's active token, or of `name` read as an id (for the CLI).
pub async fn find(service: &Service, name_or_id: &str) -> Result<i64> {
    let mut conn = service.conn().await?;
    if let Some(token) = store::tokens::active_by_name(&mut conn, name_or_id).await? {
        return Ok(token.id);
    }
    name_or_id.parse::<i64>().map_err(|_| {
        BackendError::NotFound(format!(
            "no active runtime token named `{name_or_id}` (pass a name or a token id)"
        ))
    })
}

/// `cavra serve --demo`: revokes the previous demo token, if any, and creates a fresh one for
/// every pack (the secret is printed at start, so it cannot be reused across starts).
pub async fn demo_token(service: &Service) -> Result<NewRuntimeToken> {
    const NAME: &str = "demo-runtime";
    let existing = {
        let mut conn = service.conn().await?;
        store::tokens::active_by_name(&mut conn, NAME).await?
    };
    if let Some(token) = existing {
        revoke_as(service, "system", token.id).await?;
    }
    create_as(service, "system", NAME, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime(packs: Option<Vec<String>>) -> Runtime {
        Runtime {
            id: 1,
            name: Arc::from("ci"),
            packs,
            bucket: Mutex::new(Bucket {
                tokens: 2.0,
                last: Instant::now(),
            }),
        }
    }

    #[test]
    fn names_are_short_plain_identifiers() {
        for good in ["ci-runner-eu", "laptop_fleet", "a", "k8s.prod-2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        let long = "a".repeat(MAX_NAME + 1);
        for bad in [
            "",
            "-x",
            ".x",
            "has space",
            "é",
            "a/b",
            "a\nb",
            long.as_str(),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scope_is_a_list_or_everything() {
        assert!(runtime(None).may_decide("any"));
        let scoped = runtime(Some(vec!["a".into()]));
        assert!(scoped.may_decide("a"));
        assert!(!scoped.may_decide("b"));
        assert!(!scoped.may_decide(""));
    }

    #[test]
    fn the_bucket_holds_burst_then_refuses_with_a_whole_second() {
        let runtime = runtime(None);
        assert!(runtime.take(1.0, 2.0).is_ok());
        assert!(runtime.take(1.0, 2.0).is_ok());
        assert_eq!(runtime.take(1.0, 2.0), Err(1));
        assert!(runtime.take(0.0, 2.0).is_ok(), "0 means unlimited");
        assert_eq!(runtime.take(0.25, 2.0), Err(4), "a quarter per second: 4 s");
    }
}
