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

/// Up to `limit` rows of a pack's log with `id > after` and `id <= through`, in id order.
pub async fn page(
    conn: &mut AnyConnection,
    pack_id: &str,
    after: i64,
    through: i64,
    limit: i64,
) -> Result<Vec<LogRow>> {
    Ok(sqlx::query_as(
        "SELECT id, policy_digest, input_json, decision, rule_id, severity, at, runtime \
         FROM decision_log \
         WHERE pack_id = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT $4",
    )
    .bind(pack_id)
    .bind(after)
    .bind(through)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// `(id, bytes of its text columns)` of up to `limit` rows of a pack's log with `id > after`, in
/// id order: what a page would hold, read without reading the values (`octet_length` takes a
/// value's size from its record header on SQLite, from its varlena header on PostgreSQL).
pub async fn sizes(
    conn: &mut AnyConnection,
    pack_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, CAST(octet_length(input_json) + octet_length(policy_digest) \
         + octet_length(decision) + octet_length(rule_id) + octet_length(severity) \
         + octet_length(runtime) AS BIGINT) FROM decision_log \
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
