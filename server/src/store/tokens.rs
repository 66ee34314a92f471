//! Runtime tokens (only the SHA-256 of a token is stored).

use sqlx::AnyConnection;

use app::backend::RuntimeToken;

use super::{rfc3339, Result, StringList};

/// A runtime token as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// Token id.
    pub id: i64,
    /// Runtime name.
    pub name: String,
    /// SHA-256 of the secret, hex.
    pub token_hash: String,
    /// 1: every pack.
    pub all_packs: i64,
    /// The packs it may ask about (when not every pack).
    #[sqlx(rename = "packs_json", try_from = "String")]
    pub packs: StringList,
    /// Who created it.
    pub created_by: String,
    /// When (unix ms).
    pub created_at: i64,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

impl TokenRow {
    /// The packs it may ask about; `None`: every pack.
    pub fn scope(&self) -> Option<Vec<String>> {
        (self.all_packs == 0).then(|| self.packs.0.clone())
    }
}

impl From<TokenRow> for RuntimeToken {
    fn from(row: TokenRow) -> Self {
        RuntimeToken {
            packs: row.scope(),
            id: row.id,
            name: row.name,
            created_by: row.created_by,
            created_at: rfc3339(row.created_at),
            revoked_at: row.revoked_at.map(rfc3339),
            revoked_by: row.revoked_by,
        }
    }
}

const SELECT: &str = "SELECT id, name, token_hash, all_packs, packs_json, created_by, created_at, \
     revoked_at, revoked_by FROM runtime_tokens";

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    /// Runtime name.
    pub name: &'a str,
    /// SHA-256 of the secret, hex.
    pub token_hash: &'a str,
    /// The packs it may ask about; `None`: every pack.
    pub packs: Option<&'a [String]>,
    /// Who creates it.
    pub created_by: &'a str,
    /// When (unix ms).
    pub created_at: i64,
}

/// Stores a token and returns its id; an active token of the same name is a unique violation.
pub async fn insert(conn: &mut AnyConnection, token: &NewToken<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO runtime_tokens (name, token_hash, all_packs, packs_json, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(token.name)
    .bind(token.token_hash)
    .bind(i64::from(token.packs.is_none()))
    .bind(StringList::to_json(token.packs.unwrap_or_default()))
    .bind(token.created_by)
    .bind(token.created_at)
    .fetch_one(&mut *conn)
    .await?)
}

/// One token by id.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<TokenRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// The active token of a runtime name.
pub async fn active_by_name(conn: &mut AnyConnection, name: &str) -> Result<Option<TokenRow>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE name = $1 AND revoked_at IS NULL"))
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Every token, newest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<TokenRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} ORDER BY id DESC"))
        .fetch_all(&mut *conn)
        .await?)
}

/// Every token not revoked (what `/v1/decisions` accepts).
pub async fn active(conn: &mut AnyConnection) -> Result<Vec<TokenRow>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE revoked_at IS NULL ORDER BY id"))
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Revokes a token unless it already is; false when it was.
pub async fn revoke(conn: &mut AnyConnection, id: i64, by: &str, now: i64) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE runtime_tokens SET revoked_at = $1, revoked_by = $2 \
         WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}
