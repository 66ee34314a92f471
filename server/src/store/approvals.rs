//! Approval requests and their sign-offs.

use sqlx::AnyConnection;

use app::backend::{BackendError, SignOff};

use super::{rfc3339, Result, StringList};

/// An approval request as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    /// Request id.
    pub id: i64,
    /// Pack.
    pub pack_id: String,
    /// The digest to approve.
    pub digest: String,
    /// `promotion` or `rollback`.
    pub kind: String,
    /// Groups asked.
    #[sqlx(rename = "groups_json", try_from = "String")]
    pub groups: StringList,
    /// The requester's username.
    pub requested_by: String,
    /// When (unix ms).
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct SignOffRow {
    username: String,
    approver_group: String,
    digest: String,
    decision: String,
    comment: String,
    created_at: i64,
}

/// One request, or not found.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<RequestRow> {
    sqlx::query_as(
        "SELECT r.id, r.pack_id, r.digest, r.kind, r.groups_json, u.username AS requested_by, \
         r.created_at FROM approval_requests r JOIN users u ON u.id = r.requested_by \
         WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| BackendError::NotFound(format!("no approval request {id}")).into())
}

/// The sign-offs of a request, oldest first.
pub async fn signoffs(conn: &mut AnyConnection, request_id: i64) -> Result<Vec<SignOff>> {
    let rows: Vec<SignOffRow> = sqlx::query_as(
        "SELECT u.username, s.approver_group, s.digest, s.decision, s.comment, s.created_at \
         FROM signoffs s JOIN users u ON u.id = s.user_id WHERE s.request_id = $1 ORDER BY s.id",
    )
    .bind(request_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| SignOff {
            user: row.username,
            group: row.approver_group,
            digest: row.digest,
            decision: row.decision,
            comment: row.comment,
            at: rfc3339(row.created_at),
        })
        .collect())
}

/// Request ids of a pack, newest first.
pub async fn ids(conn: &mut AnyConnection, pack_id: &str) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM approval_requests WHERE pack_id = $1 ORDER BY id DESC")
            .bind(pack_id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// The newest request of a kind for a digest.
pub async fn latest_id(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    kind: &str,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM approval_requests WHERE pack_id = $1 AND digest = $2 AND kind = $3 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(pack_id)
    .bind(digest)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?)
}

/// A new request; returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    kind: &str,
    groups: &[String],
    requested_by: i64,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO approval_requests (pack_id, digest, kind, groups_json, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(pack_id)
    .bind(digest)
    .bind(kind)
    .bind(StringList::to_json(groups))
    .bind(requested_by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// A sign-off to store.
#[derive(Debug, Clone)]
pub struct NewSignOff<'a> {
    /// The request.
    pub request_id: i64,
    /// Pack.
    pub pack_id: &'a str,
    /// The digest approved.
    pub digest: &'a str,
    /// The approver's account.
    pub user_id: i64,
    /// The group signed for.
    pub group: &'a str,
    /// `approve` or `reject`.
    pub decision: &'a str,
    /// Free text.
    pub comment: &'a str,
    /// When (unix ms).
    pub at: i64,
}

/// Stores a sign-off and returns its id; a second one by the same person on a request is a
/// unique violation.
pub async fn insert_signoff(conn: &mut AnyConnection, signoff: &NewSignOff<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO signoffs (request_id, pack_id, digest, user_id, approver_group, decision, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(signoff.request_id)
    .bind(signoff.pack_id)
    .bind(signoff.digest)
    .bind(signoff.user_id)
    .bind(signoff.group)
    .bind(signoff.decision)
    .bind(signoff.comment)
    .bind(signoff.at)
    .fetch_one(&mut *conn)
    .await?)
}
