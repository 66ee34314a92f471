//! Drafts: editable pack text with a revision counter for optimistic concurrency, and each
//! draft's co-authors (who, besides its author, may save and publish it).

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

impl Row {
    fn into_draft(self, coauthors: Vec<String>) -> Draft {
        Draft {
            id: self.id,
            pack_id: self.pack_id,
            source: self.source,
            revision: self.revision,
            base_digest: self.base_digest,
            created_by: self.username,
            coauthors,
            updated_at: rfc3339(self.updated_at),
        }
    }
}

const SELECT: &str = "SELECT d.id, d.pack_id, d.source, d.revision, d.base_digest, u.username, \
     d.updated_at FROM drafts d JOIN users u ON u.id = d.created_by";

/// Drafts of a pack, newest first, each with its co-authors (two queries for the whole list).
pub async fn list(conn: &mut AnyConnection, pack_id: &str) -> Result<Vec<Draft>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE d.pack_id = $1 ORDER BY d.id DESC"))
            .bind(pack_id)
            .fetch_all(&mut *conn)
            .await?;
    let pairs: Vec<(i64, String)> = sqlx::query_as(
        "SELECT c.draft_id, u.username FROM draft_coauthors c \
         JOIN drafts d ON d.id = c.draft_id JOIN users u ON u.id = c.user_id \
         WHERE d.pack_id = $1 ORDER BY u.username",
    )
    .bind(pack_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_draft: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for (draft_id, username) in pairs {
        by_draft.entry(draft_id).or_default().push(username);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let coauthors = by_draft.remove(&row.id).unwrap_or_default();
            row.into_draft(coauthors)
        })
        .collect())
}

/// One draft.
pub async fn get(conn: &mut AnyConnection, draft_id: i64) -> Result<Draft> {
    let row: Row = sqlx::query_as(&format!("{SELECT} WHERE d.id = $1"))
        .bind(draft_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| BackendError::NotFound(format!("no draft {draft_id}")))?;
    let coauthors = coauthors(conn, draft_id)
        .await?
        .into_iter()
        .map(|(_, username)| username)
        .collect();
    Ok(row.into_draft(coauthors))
}

/// The user id of a draft's author.
pub async fn author_id(conn: &mut AnyConnection, draft_id: i64) -> Result<i64> {
    sqlx::query_scalar("SELECT created_by FROM drafts WHERE id = $1")
        .bind(draft_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| BackendError::NotFound(format!("no draft {draft_id}")).into())
}

/// A draft's co-authors as (user id, username), by name.
pub async fn coauthors(conn: &mut AnyConnection, draft_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.username FROM draft_coauthors c JOIN users u ON u.id = c.user_id \
         WHERE c.draft_id = $1 ORDER BY u.username",
    )
    .bind(draft_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Whether `user_id` wrote the draft or co-authors it.
pub async fn may_edit(conn: &mut AnyConnection, draft_id: i64, user_id: i64) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT created_by FROM drafts WHERE id = $1 AND created_by = $2 \
         UNION ALL SELECT user_id FROM draft_coauthors WHERE draft_id = $1 AND user_id = $2",
    )
    .bind(draft_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// Adds a co-author (idempotent).
pub async fn add_coauthor(
    conn: &mut AnyConnection,
    draft_id: i64,
    user_id: i64,
    added_by: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO draft_coauthors (draft_id, user_id, added_by, added_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (draft_id, user_id) DO NOTHING",
    )
    .bind(draft_id)
    .bind(user_id)
    .bind(added_by)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes a co-author; their earlier saves stay on the record (`draft_contributors`).
pub async fn remove_coauthor(conn: &mut AnyConnection, draft_id: i64, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM draft_coauthors WHERE draft_id = $1 AND user_id = $2")
        .bind(draft_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
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
