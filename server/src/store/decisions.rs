//! The decision log, as read back (the decision writer, [`crate::service::writer`], appends).

use sqlx::AnyConnection;

use super::Result;

/// One logged decision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRow {
    /// Log id (shared by every pack, ascending).
    pub id: i64,
    /// The enforced digest that answered.
    pub policy_digest: String,
    /// The CAVRA input (JSON text).
    pub input_json: String,
    /// `allow`, `block` or `require_approval`.
    pub decision: String,
    /// CAVRA rule id.
    pub rule_id: String,
    /// Severity.
    pub severity: String,
    /// When (unix ms).
    pub at: i64,
    /// The runtime (token name) that asked; empty before tokens were required.
    pub runtime: String,
}

/// Up to `limit` rows of a pack's log with `id > after`, in id order.
pub async fn page(
    conn: &mut AnyConnection,
    pack_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<LogRow>> {
    Ok(sqlx::query_as(
        "SELECT id, policy_digest, input_json, decision, rule_id, severity, at, runtime \
         FROM decision_log \
         WHERE pack_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(pack_id)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// The id just before the oldest of a pack's newest `window` decisions (0 - 1 when none).
pub async fn window_start(conn: &mut AnyConnection, pack_id: &str, window: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MIN(id), 0) - 1 FROM \
         (SELECT id FROM decision_log WHERE pack_id = $1 ORDER BY id DESC LIMIT $2) recent",
    )
    .bind(pack_id)
    .bind(window)
    .fetch_one(&mut *conn)
    .await?)
}
