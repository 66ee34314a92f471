//! Packs: their settings and the enforced pointer (`enforced_digest`, moved by compare-and-set
//! on `enforced_seq`).

use sqlx::AnyConnection;

use app::backend::{BackendError, PackSummary, ShadowRun};

use super::{rfc3339, Result, StringList};

/// A pack's stored state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackRow {
    /// `metadata.id`.
    pub id: String,
    /// `metadata.title`.
    pub title: String,
    /// Approver groups of a promotion.
    #[sqlx(rename = "approver_groups_json", try_from = "String")]
    pub approver_groups: StringList,
    /// The pack's own `cases.yaml`, when imported with one.
    pub cases_yaml: Option<String>,
    /// The enforced digest.
    pub enforced_digest: Option<String>,
    /// How often the pointer moved.
    pub enforced_seq: i64,
    /// When it last moved (unix ms).
    pub enforced_at: Option<i64>,
}

impl PackRow {
    /// The summary shown in lists, with the pack's active shadow run.
    pub fn summary(self, shadow: Option<ShadowRun>) -> PackSummary {
        PackSummary {
            id: self.id,
            title: self.title,
            approver_groups: self.approver_groups.0,
            enforced_digest: self.enforced_digest,
            enforced_seq: self.enforced_seq,
            enforced_at: self.enforced_at.map(rfc3339),
            shadow,
        }
    }
}

const COLUMNS: &str =
    "id, title, approver_groups_json, cases_yaml, enforced_digest, enforced_seq, enforced_at";

/// The error for a pack that does not exist.
pub fn not_found(pack_id: &str) -> BackendError {
    BackendError::NotFound(format!("no pack `{pack_id}`"))
}

/// One pack, or [`not_found`].
pub async fn get(conn: &mut AnyConnection, pack_id: &str) -> Result<PackRow> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM packs WHERE id = $1"))
        .bind(pack_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found(pack_id).into())
}

/// Every pack, by id.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<PackRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM packs ORDER BY id"))
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Creates a pack unless one with the id exists.
pub async fn insert_if_absent(
    conn: &mut AnyConnection,
    pack_id: &str,
    title: &str,
    approver_groups: &[String],
    cases_yaml: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO packs (id, title, approver_groups_json, cases_yaml, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(pack_id)
    .bind(title)
    .bind(StringList::to_json(approver_groups))
    .bind(cases_yaml)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The text of every pack's enforced version (for `metadata.inherits`), as (pack, source).
pub async fn enforced_sources(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT v.pack_id, v.source FROM packs p JOIN versions v \
         ON v.pack_id = p.id AND v.digest = p.enforced_digest",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Moves the enforced pointer to `digest` if it is still at `seen_seq`; false when another
/// writer moved it first.
pub async fn move_pointer(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    seen_seq: i64,
    now: i64,
) -> Result<bool> {
    let moved = sqlx::query(
        "UPDATE packs SET enforced_digest = $1, enforced_seq = enforced_seq + 1, enforced_at = $2 \
         WHERE id = $3 AND enforced_seq = $4",
    )
    .bind(digest)
    .bind(now)
    .bind(pack_id)
    .bind(seen_seq)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(moved == 1)
}
