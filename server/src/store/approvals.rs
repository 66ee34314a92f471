//! Approval requests, their sign-offs and withdrawals.

use sqlx::AnyConnection;

use app::backend::{BackendError, SignOff, Withdrawal};

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
    /// When a promotion or rollback consumed it (unix ms).
    pub consumed_at: Option<i64>,
}

/// A sign-off with what the gate needs to judge it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignOffRow {
    /// Sign-off id.
    pub id: i64,
    /// Its request.
    pub request_id: i64,
    /// The request's kind.
    pub kind: String,
    /// Whether the request was consumed (0/1).
    pub consumed: i64,
    /// The signer's account.
    pub user_id: i64,
    /// The signer's name.
    pub username: String,
    /// Group signed for.
    pub approver_group: String,
    /// Digest signed.
    pub digest: String,
    /// `approve` or `reject`.
    pub decision: String,
    /// Free text.
    pub comment: String,
    /// When (unix ms).
    pub created_at: i64,
    /// Who withdrew it, if anyone.
    pub withdrawn_by: Option<String>,
    /// Why.
    pub withdrawn_comment: Option<String>,
    /// When (unix ms).
    pub withdrawn_at: Option<i64>,
}

impl SignOffRow {
    /// Whether it still counts (an approval) or blocks (a rejection).
    pub fn standing(&self) -> bool {
        self.withdrawn_at.is_none()
    }

    /// The record the UI and packets show.
    pub fn record(&self) -> SignOff {
        SignOff {
            id: self.id,
            user: self.username.clone(),
            group: self.approver_group.clone(),
            digest: self.digest.clone(),
            decision: self.decision.clone(),
            comment: self.comment.clone(),
            at: rfc3339(self.created_at),
            withdrawn: self.withdrawn_at.map(|at| Withdrawal {
                user: self.withdrawn_by.clone().unwrap_or_default(),
                comment: self.withdrawn_comment.clone().unwrap_or_default(),
                at: rfc3339(at),
            }),
        }
    }
}

const REQUEST_SELECT: &str = "SELECT r.id, r.pack_id, r.digest, r.kind, r.groups_json, \
     u.username AS requested_by, r.created_at, r.consumed_at FROM approval_requests r \
     JOIN users u ON u.id = r.requested_by";

const SIGNOFF_SELECT: &str = "SELECT s.id, s.request_id, r.kind, \
     CASE WHEN r.consumed_at IS NULL THEN 0 ELSE 1 END AS consumed, s.user_id, u.username, \
     s.approver_group, s.digest, s.decision, s.comment, s.created_at, \
     wu.username AS withdrawn_by, w.comment AS withdrawn_comment, w.created_at AS withdrawn_at \
     FROM signoffs s JOIN approval_requests r ON r.id = s.request_id \
     JOIN users u ON u.id = s.user_id \
     LEFT JOIN signoff_withdrawals w ON w.signoff_id = s.id \
     LEFT JOIN users wu ON wu.id = w.user_id";

/// One request, or not found.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<RequestRow> {
    sqlx::query_as(&format!("{REQUEST_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| BackendError::NotFound(format!("no approval request {id}")).into())
}

/// The sign-offs of a request, oldest first.
pub async fn signoffs(conn: &mut AnyConnection, request_id: i64) -> Result<Vec<SignOffRow>> {
    Ok(sqlx::query_as(&format!(
        "{SIGNOFF_SELECT} WHERE s.request_id = $1 ORDER BY s.id"
    ))
    .bind(request_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Every sign-off on a digest of a pack, of any request and kind, oldest first.
pub async fn signoffs_of_digest(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
) -> Result<Vec<SignOffRow>> {
    Ok(sqlx::query_as(&format!(
        "{SIGNOFF_SELECT} WHERE r.pack_id = $1 AND r.digest = $2 ORDER BY s.id"
    ))
    .bind(pack_id)
    .bind(digest)
    .fetch_all(&mut *conn)
    .await?)
}

/// One sign-off, or not found.
pub async fn signoff(conn: &mut AnyConnection, signoff_id: i64) -> Result<SignOffRow> {
    sqlx::query_as(&format!("{SIGNOFF_SELECT} WHERE s.id = $1"))
        .bind(signoff_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| BackendError::NotFound(format!("no sign-off {signoff_id}")).into())
}

/// Records the withdrawal of a sign-off and returns its id; a second withdrawal of one sign-off
/// is a unique violation.
pub async fn insert_withdrawal(
    conn: &mut AnyConnection,
    signoff_id: i64,
    user_id: i64,
    comment: &str,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO signoff_withdrawals (signoff_id, user_id, comment, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(signoff_id)
    .bind(user_id)
    .bind(comment)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?)
}

/// Every request for a digest of a pack, of any kind, oldest first.
pub async fn of_digest(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
) -> Result<Vec<RequestRow>> {
    Ok(sqlx::query_as(&format!(
        "{REQUEST_SELECT} WHERE r.pack_id = $1 AND r.digest = $2 ORDER BY r.id"
    ))
    .bind(pack_id)
    .bind(digest)
    .fetch_all(&mut *conn)
    .await?)
}

/// Consumes every open request for a digest of the given kinds; returns their ids (for the audit
/// entry that re-vouches for the changed rows).
pub async fn consume(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    kinds: &[&str],
    by: &str,
    at: i64,
) -> Result<Vec<i64>> {
    let mut ids = Vec::new();
    for kind in kinds {
        let mut spent: Vec<i64> = sqlx::query_scalar(
            "UPDATE approval_requests SET consumed_at = $1, consumed_by = $2 \
             WHERE pack_id = $3 AND digest = $4 AND kind = $5 AND consumed_at IS NULL \
             RETURNING id",
        )
        .bind(at)
        .bind(by)
        .bind(pack_id)
        .bind(digest)
        .bind(*kind)
        .fetch_all(&mut *conn)
        .await?;
        ids.append(&mut spent);
    }
    Ok(ids)
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

/// Stores a sign-off and returns its id (the service checks one standing sign-off per person
/// and request).
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
