//! The evidence keys the server has signed with (`evidence_keys`): the newest is the current one.

use sqlx::AnyConnection;

use super::Result;

/// A pinned key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyRow {
    /// Key id (audit entries name it).
    pub id: i64,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// When it was pinned (unix ms).
    pub created_at: i64,
}

/// Every pinned key, oldest first.
pub async fn all(conn: &mut AnyConnection) -> Result<Vec<KeyRow>> {
    Ok(sqlx::query_as(
        "SELECT id, public_key, fingerprint, created_at FROM evidence_keys ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// The current (newest) key.
pub async fn current(conn: &mut AnyConnection) -> Result<Option<KeyRow>> {
    Ok(sqlx::query_as(
        "SELECT id, public_key, fingerprint, created_at FROM evidence_keys ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// A key by its public half.
pub async fn by_public_key(conn: &mut AnyConnection, public_key: &str) -> Result<Option<KeyRow>> {
    Ok(sqlx::query_as(
        "SELECT id, public_key, fingerprint, created_at FROM evidence_keys WHERE public_key = $1",
    )
    .bind(public_key)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Pins a key; returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    public_key: &str,
    fingerprint: &str,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO evidence_keys (public_key, fingerprint, created_at) VALUES ($1, $2, $3) \
         RETURNING id",
    )
    .bind(public_key)
    .bind(fingerprint)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}
