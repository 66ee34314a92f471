//! The evidence key's pin. The database records the public key at first start (`key.pin`); a
//! later start whose key file holds another key is refused, unless the operator rotates on
//! purpose (`cavra serve --rotate-evidence-key`, audited as `key.rotate`). Old keys stay
//! recorded, so packets and audit entries signed before a rotation still verify.
//!
//! Every lifecycle write checks, inside its locked transaction, that the server's key is the
//! current pinned one ([`signing_key_id`]); a replica left with a rotated-out key refuses to
//! write rather than sign with it.

use app::backend::BackendError;
use sqlx::AnyConnection;

use super::{now_millis, Result, Service};
use crate::audit::{self, Event, SigningKey};
use crate::evidence::{fingerprint, Signer};
use crate::store;

/// What [`pin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    /// First start: the key is now pinned.
    Pinned {
        /// Its fingerprint.
        fingerprint: String,
    },
    /// The key file holds the pinned key.
    Unchanged {
        /// Its fingerprint.
        fingerprint: String,
    },
    /// The key was rotated.
    Rotated {
        /// The previous key's fingerprint.
        from: String,
        /// The new key's fingerprint.
        to: String,
    },
}

/// Pins the server's key at first start, checks it at later starts, or rotates to it when
/// `rotate` is set. The error says what to do.
pub async fn pin(service: &Service, rotate: bool) -> anyhow::Result<KeyOutcome> {
    let signer = service.signer();
    let ours = signer.public_hex();
    let mut tx = service.lock().await.map_err(anyhow_of)?;
    let now = now_millis();
    let outcome = match store::keys::current(&mut tx).await.map_err(store_err)? {
        None => {
            pin_first(&mut tx, signer, now).await.map_err(store_err)?;
            KeyOutcome::Pinned {
                fingerprint: signer.fingerprint(),
            }
        }
        Some(current) if current.public_key == ours => {
            if rotate {
                tracing::warn!(
                    fingerprint = signer.fingerprint(),
                    "--rotate-evidence-key: the key file already holds the pinned key; nothing rotated"
                );
            }
            KeyOutcome::Unchanged {
                fingerprint: signer.fingerprint(),
            }
        }
        Some(current) => {
            if !rotate {
                anyhow::bail!("{}", mismatch(service, &current));
            }
            if store::keys::by_public_key(&mut tx, &ours)
                .await
                .map_err(store_err)?
                .is_some()
            {
                anyhow::bail!(
                    "the key file `{}` holds the evidence key {}, which was rotated out earlier; \
                     a retired key is not reinstated: create a new key (move the file away and \
                     start with --rotate-evidence-key)",
                    key_path(service),
                    signer.fingerprint()
                );
            }
            let id = store::keys::insert(&mut tx, &ours, &signer.fingerprint(), now)
                .await
                .map_err(store_err)?;
            let detail = serde_json::json!({
                "evidence_key_id": id,
                "fingerprint": signer.fingerprint(),
                "public_key": ours,
                "previous_key_id": current.id,
                "previous_fingerprint": current.fingerprint,
            });
            let event = Event {
                actor: "system",
                action: "key.rotate",
                pack_id: "",
                digest: "",
                detail,
            };
            audit::append(&mut tx, now, &event, SigningKey { id, signer }, Vec::new())
                .await
                .map_err(store_err)?;
            KeyOutcome::Rotated {
                from: current.fingerprint,
                to: signer.fingerprint(),
            }
        }
    };
    tx.commit().await.map_err(|error| store_err(error.into()))?;
    Ok(outcome)
}

/// The id of the key a write signs with: the server's key, which must be the current pinned one
/// (pinned now when no key is, as on a fresh database). Call inside the locked transaction.
pub(crate) async fn signing_key_id(
    service: &Service,
    conn: &mut AnyConnection,
    now: i64,
) -> Result<i64> {
    let signer = service.signer();
    match store::keys::current(conn).await? {
        Some(current) if current.public_key == signer.public_hex() => Ok(current.id),
        Some(current) => {
            tracing::error!("{}", mismatch(service, &current));
            Err(BackendError::Unavailable)
        }
        None => Ok(pin_first(conn, signer, now).await?),
    }
}

/// Pins the first key; its entry also vouches for every row written before the log was keyed.
async fn pin_first(conn: &mut AnyConnection, signer: &Signer, now: i64) -> store::Result<i64> {
    let adopted = audit::unvouched_rows(conn).await?;
    let ours = signer.public_hex();
    let id = store::keys::insert(conn, &ours, &signer.fingerprint(), now).await?;
    let detail = serde_json::json!({
        "evidence_key_id": id,
        "fingerprint": signer.fingerprint(),
        "public_key": ours,
        "adopted_rows": adopted.len(),
    });
    let event = Event {
        actor: "system",
        action: "key.pin",
        pack_id: "",
        digest: "",
        detail,
    };
    audit::append(conn, now, &event, SigningKey { id, signer }, adopted).await?;
    tracing::info!(
        fingerprint = signer.fingerprint(),
        "pinned the evidence signing key"
    );
    Ok(id)
}

fn key_path(service: &Service) -> String {
    service
        .config()
        .key_dir()
        .join(crate::evidence::KEY_FILE)
        .display()
        .to_string()
}

fn mismatch(service: &Service, current: &store::keys::KeyRow) -> String {
    format!(
        "the evidence key in `{}` (fingerprint {}) is not the key this database pinned \
         (fingerprint {}, pinned {}): restore the original key file (or point --data-dir at the \
         server's data directory), or, if you replaced it on purpose, start once with \
         `cavra serve --rotate-evidence-key`",
        key_path(service),
        service.signer().fingerprint(),
        fingerprint(&current.public_key),
        crate::time::rfc3339(current.created_at)
    )
}

fn store_err(error: store::Error) -> anyhow::Error {
    match error {
        store::Error::Db(error) => anyhow::Error::new(error).context("pinning the evidence key"),
        store::Error::Service(error) => anyhow_of(error),
    }
}

fn anyhow_of(error: BackendError) -> anyhow::Error {
    anyhow::anyhow!("pinning the evidence key: {error}")
}
