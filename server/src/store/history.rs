//! Enforcement history: one row per move of a pack's enforced pointer.

use sqlx::AnyConnection;

use app::backend::HistoryEntry;

use super::{rfc3339, Result};

/// One move of the pointer.
#[derive(Debug, Clone)]
pub struct Move<'a> {
    /// Pack.
    pub pack_id: &'a str,
    /// The pointer's sequence number after the move.
    pub seq: i64,
    /// The digest now enforced.
    pub digest: &'a str,
    /// `import`, `promote` or `rollback`.
    pub action: &'a str,
    /// Who.
    pub actor: &'a str,
    /// Why.
    pub reason: &'a str,
    /// When (unix ms).
    pub at: i64,
}

/// Records a move.
pub async fn insert(conn: &mut AnyConnection, entry: &Move<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO enforcement_history (pack_id, seq, digest, action, actor_name, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.pack_id)
    .bind(entry.seq)
    .bind(entry.digest)
    .bind(entry.action)
    .bind(entry.actor)
    .bind(entry.reason)
    .bind(entry.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether `digest` was ever enforced for the pack (a known-good rollback target).
pub async fn was_enforced(conn: &mut AnyConnection, pack_id: &str, digest: &str) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM enforcement_history WHERE pack_id = $1 AND digest = $2")
            .bind(pack_id)
            .bind(digest)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    digest: String,
    action: String,
    actor_name: String,
    reason: String,
    at: i64,
}

/// A pack's history, oldest first.
pub async fn list(conn: &mut AnyConnection, pack_id: &str) -> Result<Vec<HistoryEntry>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, digest, action, actor_name, reason, at FROM enforcement_history \
         WHERE pack_id = $1 ORDER BY seq",
    )
    .bind(pack_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| HistoryEntry {
            seq: row.seq,
            digest: row.digest,
            action: row.action,
            actor: row.actor_name,
            reason: row.reason,
            at: rfc3339(row.at),
        })
        .collect())
}
