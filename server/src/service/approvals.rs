//! Approval requests and sign-offs, bound to one digest, with separation of duties.
//!
//! Rules, all enforced here: the author of a version (and whoever requested the approval) cannot
//! sign it off; an approver signs only for a group they belong to; each person signs a request
//! once, so each required group needs a distinct approver; a sign-off names the digest it
//! approves and is refused for any other, and the gate counts only sign-offs whose digest is the
//! one being promoted.

use sqlx::{AnyConnection, Row as _};

use app::backend::{Actor, ApprovalRequest, BackendError, Role, SignOff, SignOffInput};

use super::authoring::{not_found_version, pack_row};
use super::{
    db_error, is_unique_violation, now_millis, require_role, rfc3339, string_list, Result, Service,
    AUTHORS,
};
use crate::audit;

/// Kinds of approval request.
pub const KINDS: [&str; 2] = ["promotion", "rollback"];

/// Opens an approval request for a digest.
pub async fn request_approval(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
    kind: &str,
    groups: Option<Vec<String>>,
) -> Result<ApprovalRequest> {
    require_role(actor, AUTHORS, "requesting approval")?;
    if !KINDS.contains(&kind) {
        return Err(BackendError::Invalid(format!(
            "approval kind `{kind}` is not one of promotion, rollback"
        )));
    }
    let mut tx = service.begin_locked().await?;
    let pack = pack_row(&mut tx, pack_id).await?;
    let exists = sqlx::query("SELECT 1 FROM versions WHERE pack_id = $1 AND digest = $2")
        .bind(pack_id)
        .bind(digest)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .is_some();
    if !exists {
        return Err(not_found_version(pack_id, digest));
    }
    let groups = match groups {
        Some(groups) => groups,
        // CAVRA's rollback plan: "Obtain Platform Security approval."
        None if kind == "rollback" => vec!["Platform Security".to_owned()],
        None => pack.approver_groups.clone(),
    };
    let mut clean: Vec<String> = Vec::new();
    for group in groups {
        let group = group.trim().to_owned();
        if group.is_empty() {
            return Err(BackendError::Invalid(
                "an approver group name is empty".into(),
            ));
        }
        if !clean.contains(&group) {
            clean.push(group);
        }
    }
    if clean.is_empty() {
        return Err(BackendError::Invalid(
            "an approval request names at least one approver group".into(),
        ));
    }
    let now = now_millis();
    let groups_json = serde_json::to_string(&clean).map_err(|_| BackendError::Unavailable)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO approval_requests (pack_id, digest, kind, groups_json, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(pack_id)
    .bind(digest)
    .bind(kind)
    .bind(&groups_json)
    .bind(actor.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_error)?;
    audit::append(
        &mut tx,
        now,
        &audit::Event {
            actor: &actor.username,
            action: "approval.request",
            pack_id,
            digest,
            detail: serde_json::json!({"request_id": id, "kind": kind, "groups": clean}),
        },
    )
    .await
    .map_err(db_error)?;
    let (_, file) = super::gate::write_evidence(
        service,
        &mut tx,
        pack_id,
        digest,
        "approval_request",
        &actor.username,
        now,
    )
    .await?;
    service.commit(tx, vec![file]).await?;
    let mut conn = service.conn().await?;
    load_request(&mut conn, id).await
}

/// One request with its sign-offs.
pub(crate) async fn load_request(conn: &mut AnyConnection, id: i64) -> Result<ApprovalRequest> {
    let row = sqlx::query(
        "SELECT r.id, r.pack_id, r.digest, r.kind, r.groups_json, u.username, r.created_at \
         FROM approval_requests r JOIN users u ON u.id = r.requested_by WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?
    .ok_or_else(|| BackendError::NotFound(format!("no approval request {id}")))?;
    let signoffs = sqlx::query(
        "SELECT u.username, s.approver_group, s.digest, s.decision, s.comment, s.created_at \
         FROM signoffs s JOIN users u ON u.id = s.user_id WHERE s.request_id = $1 ORDER BY s.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?
    .iter()
    .map(|row| {
        Ok(SignOff {
            user: row.try_get(0).map_err(db_error)?,
            group: row.try_get(1).map_err(db_error)?,
            digest: row.try_get(2).map_err(db_error)?,
            decision: row.try_get(3).map_err(db_error)?,
            comment: row.try_get(4).map_err(db_error)?,
            at: rfc3339(row.try_get(5).map_err(db_error)?),
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let digest: String = row.try_get(2).map_err(db_error)?;
    let groups = string_list(&row.try_get::<String, _>(4).map_err(db_error)?);
    let pending_groups = groups
        .iter()
        .filter(|group| {
            !signoffs
                .iter()
                .any(|s| &&s.group == group && s.decision == "approve" && s.digest == digest)
        })
        .cloned()
        .collect();
    let rejected = signoffs.iter().any(|s| s.decision == "reject");
    Ok(ApprovalRequest {
        id: row.try_get(0).map_err(db_error)?,
        pack_id: row.try_get(1).map_err(db_error)?,
        kind: row.try_get(3).map_err(db_error)?,
        requested_by: row.try_get(5).map_err(db_error)?,
        created_at: rfc3339(row.try_get(6).map_err(db_error)?),
        digest,
        groups,
        signoffs,
        pending_groups,
        rejected,
    })
}

/// Approval requests of a pack, newest first.
pub async fn list_approvals(service: &Service, pack_id: &str) -> Result<Vec<ApprovalRequest>> {
    let mut conn = service.conn().await?;
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM approval_requests WHERE pack_id = $1 ORDER BY id DESC")
            .bind(pack_id)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(load_request(&mut conn, id).await?);
    }
    Ok(out)
}

/// The newest request of a kind for a digest.
pub(crate) async fn latest_request(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    kind: &str,
) -> Result<Option<ApprovalRequest>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM approval_requests WHERE pack_id = $1 AND digest = $2 AND kind = $3 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(pack_id)
    .bind(digest)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    match id {
        Some(id) => Ok(Some(load_request(conn, id).await?)),
        None => Ok(None),
    }
}

/// What is missing for a request of `kind` on `digest` to count as approved.
pub(crate) async fn missing_approvals(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    kind: &str,
) -> Result<Vec<String>> {
    let Some(request) = latest_request(conn, pack_id, digest, kind).await? else {
        return Ok(vec![format!(
            "no {kind} approval request for digest `{digest}`"
        )]);
    };
    let mut missing = Vec::new();
    for signoff in request.signoffs.iter().filter(|s| s.decision == "reject") {
        missing.push(format!(
            "`{}` rejected it for {} (request {})",
            signoff.user, signoff.group, request.id
        ));
    }
    for group in &request.pending_groups {
        missing.push(format!(
            "approval from {group} for digest `{digest}` (request {})",
            request.id
        ));
    }
    Ok(missing)
}

/// Records a sign-off after checking every rule.
pub async fn sign_off(
    service: &Service,
    actor: &Actor,
    request_id: i64,
    input: &SignOffInput,
) -> Result<ApprovalRequest> {
    require_role(actor, &[Role::Approver, Role::Admin], "signing off")?;
    if input.decision != "approve" && input.decision != "reject" {
        return Err(BackendError::Invalid(format!(
            "decision `{}` is not one of approve, reject",
            input.decision
        )));
    }
    let mut tx = service.begin_locked().await?;
    let request = load_request(&mut tx, request_id).await?;
    if input.digest != request.digest {
        return Err(BackendError::Invalid(format!(
            "this approval names digest `{}`, but request {request_id} is for digest `{}`; an approval is valid for one digest only",
            input.digest, request.digest
        )));
    }
    let author_id: Option<i64> =
        sqlx::query_scalar("SELECT author_id FROM versions WHERE pack_id = $1 AND digest = $2")
            .bind(&request.pack_id)
            .bind(&request.digest)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
            .flatten();
    if author_id == Some(actor.id) {
        return Err(BackendError::Forbidden(format!(
            "`{}` is the author of `{}` and cannot approve their own version",
            actor.username, request.digest
        )));
    }
    if request.requested_by == actor.username {
        return Err(BackendError::Forbidden(format!(
            "`{}` requested this approval and cannot also sign it off",
            actor.username
        )));
    }
    if !request.groups.contains(&input.group) {
        return Err(BackendError::Invalid(format!(
            "request {request_id} does not ask for {}; it asks for {}",
            input.group,
            request.groups.join(", ")
        )));
    }
    if !actor.groups.contains(&input.group) {
        return Err(BackendError::Forbidden(format!(
            "`{}` is not a member of {}",
            actor.username, input.group
        )));
    }
    let now = now_millis();
    sqlx::query(
        "INSERT INTO signoffs (request_id, pack_id, digest, user_id, approver_group, decision, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(request_id)
    .bind(&request.pack_id)
    .bind(&input.digest)
    .bind(actor.id)
    .bind(&input.group)
    .bind(&input.decision)
    .bind(&input.comment)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            BackendError::Conflict {
                message: format!(
                    "`{}` already signed request {request_id}; each group needs a distinct approver",
                    actor.username
                ),
                current_revision: None,
            }
        } else {
            db_error(error)
        }
    })?;
    audit::append(
        &mut tx,
        now,
        &audit::Event {
            actor: &actor.username,
            action: "approval.signoff",
            pack_id: &request.pack_id,
            digest: &request.digest,
            detail: serde_json::json!({
                "request_id": request_id,
                "group": input.group,
                "decision": input.decision,
                "comment": input.comment,
            }),
        },
    )
    .await
    .map_err(db_error)?;
    let (_, file) = super::gate::write_evidence(
        service,
        &mut tx,
        &request.pack_id,
        &request.digest,
        "signoff",
        &actor.username,
        now,
    )
    .await?;
    let updated = load_request(&mut tx, request_id).await?;
    service.commit(tx, vec![file]).await?;
    Ok(updated)
}
