//! Drafts: editable pack text with a revision counter for optimistic concurrency.

use sqlx::AnyConnection;

use app::backend::{BackendError, Draft};

use super::{rfc3339, Result};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    pack_id: String,
    source: String,
    revision: i64,
    base_digest: Option<String>,
    username: String,
    updated_at: i64,
}

impl From<Row> for Draft {
    fn from(row: Row) -> Self {
        Draft {
            id: row.id,
            pack_id: row.pack_id,
            source: row.source,
            revision: row.revision,
            base_digest: row.base_digest,
            created_by: row.username,
            updated_at: rfc3339(row.updated_at),
        }
    }
}

const SELECT: &str = "SELECT d.id, d.pack_id, d.source, d.revision, d.base_digest, u.username, \
     d.updated_at FROM drafts d JOIN users u ON u.id = d.created_by";

/// Drafts of a pack, newest first.
pub async fn list(conn: &mut AnyConnection, pack_id: &str) -> Result<Vec<Draft>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE d.pack_id = $1 ORDER BY d.id DESC"))
            .bind(pack_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(Draft::from).collect())
}

/// One draft.
pub async fn get(conn: &mut AnyConnection, draft_id: i64) -> Result<Draft> {
    let row: Row = sqlx::query_as(&format!("{SELECT} WHERE d.id = $1"))
        .bind(draft_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| BackendError::NotFound(format!("no draft {draft_id}")))?;
    Ok(row.into())
}

/// Creates a draft at revision 1 and returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    pack_id: &str,
    source: &str,
    base_digest: &str,
    created_by: i64,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO drafts (pack_id, source, revision, base_digest, created_by, created_at, updated_at) \
         VALUES ($1, $2, 1, $3, $4, $5, $5) RETURNING id",
    )
    .bind(pack_id)
    .bind(source)
    .bind(base_digest)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// Saves new text if the draft is still at `base_revision` (one conditional statement, so of
/// two saves based on the same revision exactly one matches); false when it moved on.
pub async fn update_if_at(
    conn: &mut AnyConnection,
    draft_id: i64,
    source: &str,
    base_revision: i64,
    now: i64,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE drafts SET source = $1, revision = revision + 1, updated_at = $2 \
         WHERE id = $3 AND revision = $4",
    )
    .bind(source)
    .bind(now)
    .bind(draft_id)
    .bind(base_revision)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}
