//! Who touched a digest's text: draft creators, savers and publishers, and the version author.
//!
//! Separation of duties reads this: nobody in it may sign off the digest, approve a rollback to
//! it, or acknowledge its shadow divergences.

use sqlx::AnyConnection;

use super::Result;

/// Records `user_id` as a contributor of a draft (idempotent); returns the new row's id, if one
/// was added (for the audit entry that vouches for it).
pub async fn add_to_draft(
    conn: &mut AnyConnection,
    draft_id: i64,
    user_id: i64,
    at: i64,
) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO draft_contributors (draft_id, user_id, first_at) VALUES ($1, $2, $3) \
         ON CONFLICT (draft_id, user_id) DO NOTHING RETURNING id",
    )
    .bind(draft_id)
    .bind(user_id)
    .bind(at)
    .fetch_all(&mut *conn)
    .await?)
}

/// Row ids added by [`publish`]: to the draft's contributors and to the digest's.
#[derive(Debug, Default, Clone)]
pub struct Added {
    /// New `draft_contributors` rows.
    pub draft: Vec<i64>,
    /// New `version_contributors` rows.
    pub version: Vec<i64>,
}

impl Added {
    /// The audit detail fields that vouch for the new rows.
    pub fn detail(&self) -> serde_json::Value {
        serde_json::json!({
            "draft_contributor_ids": self.draft,
            "version_contributor_ids": self.version,
        })
    }
}

/// Makes every contributor of a draft, and its publisher, a contributor of the digest it
/// published (idempotent: publishing the same text again from another draft adds its people).
pub async fn publish(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    draft_id: i64,
    publisher_id: i64,
    at: i64,
) -> Result<Added> {
    let draft = add_to_draft(conn, draft_id, publisher_id, at).await?;
    // (SQLite needs the WHERE before ON CONFLICT in an INSERT … SELECT; it has one.)
    let version = sqlx::query_scalar(
        "INSERT INTO version_contributors (pack_id, digest, user_id, first_at) \
         SELECT $1, $2, user_id, $3 FROM draft_contributors WHERE draft_id = $4 \
         ON CONFLICT (pack_id, digest, user_id) DO NOTHING RETURNING id",
    )
    .bind(pack_id)
    .bind(digest)
    .bind(at)
    .bind(draft_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Added { draft, version })
}

/// The contributors of a digest, as (user id, username), by name.
pub async fn of_version(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.username FROM users u WHERE u.id IN ( \
           SELECT user_id FROM version_contributors WHERE pack_id = $1 AND digest = $2 \
           UNION SELECT author_id FROM versions \
           WHERE pack_id = $1 AND digest = $2 AND author_id IS NOT NULL) \
         ORDER BY u.username",
    )
    .bind(pack_id)
    .bind(digest)
    .fetch_all(&mut *conn)
    .await?)
}

/// A break-glass action to record.
#[derive(Debug, Clone)]
pub struct BreakGlass<'a> {
    /// Pack.
    pub pack_id: &'a str,
    /// Digest enforced by it.
    pub digest: &'a str,
    /// `promote` or `rollback`.
    pub action: &'a str,
    /// The admin.
    pub user_id: i64,
    /// Why.
    pub reason: &'a str,
    /// When (unix ms).
    pub at: i64,
}

/// Records a break-glass action; returns its id.
pub async fn record_break_glass(conn: &mut AnyConnection, entry: &BreakGlass<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO break_glass (pack_id, digest, action, user_id, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(entry.pack_id)
    .bind(entry.digest)
    .bind(entry.action)
    .bind(entry.user_id)
    .bind(entry.reason)
    .bind(entry.at)
    .fetch_one(&mut *conn)
    .await?)
}
