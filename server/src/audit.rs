//! The audit log: every lifecycle event appended to a SHA-256 hash chain.
//!
//! Entry `n` stores `hash_n = sha256(hash_{n-1} ‖ canonical(entry_n))`, where the canonical form
//! is the JSON array `[seq, at, actor, action, pack_id, digest, detail_json]` and `hash_0` is 64
//! zeros. The newest sequence number and hash are also kept in `lifecycle_lock`, so deleting the
//! newest entries is detected as well as editing or deleting any other entry.
//!
//! INVARIANT: entries are appended only inside a transaction that first updated
//! `lifecycle_lock`, which serialises appenders on SQLite and PostgreSQL alike.

use sha2::{Digest as _, Sha256};
use sqlx::{AnyConnection, Row as _};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event to append.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Who (a username, or `system`).
    pub actor: &'a str,
    /// What (`publish`, `promote`, …).
    pub action: &'a str,
    /// Which pack.
    pub pack_id: &'a str,
    /// Which digest (may be empty).
    pub digest: &'a str,
    /// Details, as JSON.
    pub detail: serde_json::Value,
}

/// The chained hash of an entry.
pub fn entry_hash(prev_hash: &str, fields: &EntryFields<'_>) -> String {
    let canonical = serde_json::json!([
        fields.seq,
        fields.at,
        fields.actor,
        fields.action,
        fields.pack_id,
        fields.digest,
        fields.detail_json
    ])
    .to_string();
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// The stored fields of an entry, as hashed.
#[derive(Debug, Clone)]
pub struct EntryFields<'a> {
    /// Sequence number, from 1.
    pub seq: i64,
    /// Unix milliseconds.
    pub at: i64,
    /// Who.
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// Which pack.
    pub pack_id: &'a str,
    /// Which digest.
    pub digest: &'a str,
    /// Details as stored.
    pub detail_json: &'a str,
}

/// Appends an event; call inside a transaction that already locked `lifecycle_lock`.
pub async fn append(
    conn: &mut AnyConnection,
    at: i64,
    event: &Event<'_>,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT audit_seq, audit_head FROM lifecycle_lock WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let last_seq: i64 = row.try_get(0)?;
    let prev_hash: String = row.try_get(1)?;
    let seq = last_seq + 1;
    let detail_json = event.detail.to_string();
    let hash = entry_hash(
        &prev_hash,
        &EntryFields {
            seq,
            at,
            actor: event.actor,
            action: event.action,
            pack_id: event.pack_id,
            digest: event.digest,
            detail_json: &detail_json,
        },
    );
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, pack_id, digest, detail_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(at)
    .bind(event.actor)
    .bind(event.action)
    .bind(event.pack_id)
    .bind(event.digest)
    .bind(&detail_json)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE lifecycle_lock SET audit_seq = $1, audit_head = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Entries checked.
    pub entries: i64,
    /// Every problem found; empty when the chain is intact.
    pub problems: Vec<String>,
}

impl Report {
    /// Whether the chain is intact.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Re-computes the whole chain and compares it with the stored head.
pub async fn verify(conn: &mut AnyConnection) -> Result<Report, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, pack_id, digest, detail_json, prev_hash, hash \
         FROM audit_log ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut problems = Vec::new();
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    for row in &rows {
        let seq: i64 = row.try_get(0)?;
        let at: i64 = row.try_get(1)?;
        let actor: String = row.try_get(2)?;
        let action: String = row.try_get(3)?;
        let pack_id: String = row.try_get(4)?;
        let digest: String = row.try_get(5)?;
        let detail_json: String = row.try_get(6)?;
        let prev_hash: String = row.try_get(7)?;
        let hash: String = row.try_get(8)?;
        if seq != expected_seq {
            problems.push(format!(
                "entry {expected_seq} is missing (next entry is {seq})"
            ));
        }
        if prev_hash != expected_prev {
            problems.push(format!("entry {seq} does not chain to the entry before it"));
        }
        let recomputed = entry_hash(
            &prev_hash,
            &EntryFields {
                seq,
                at,
                actor: &actor,
                action: &action,
                pack_id: &pack_id,
                digest: &digest,
                detail_json: &detail_json,
            },
        );
        if recomputed != hash {
            problems.push(format!("entry {seq} was modified (hash mismatch)"));
        }
        expected_prev = hash;
        expected_seq = seq + 1;
    }
    let head = sqlx::query("SELECT audit_seq, audit_head FROM lifecycle_lock WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let head_seq: i64 = head.try_get(0)?;
    let head_hash: String = head.try_get(1)?;
    if head_seq != expected_seq - 1 || head_hash != expected_prev {
        problems.push(format!(
            "the chain ends at entry {} but the recorded head is entry {head_seq}",
            expected_seq - 1
        ));
    }
    Ok(Report {
        entries: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        problems,
    })
}
