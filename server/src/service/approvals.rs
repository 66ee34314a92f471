//! Approval requests and sign-offs, bound to one digest, with separation of duties.
//!
//! Rules, all enforced here: the author of a version (and whoever requested the approval) cannot
//! sign it off; an approver signs only for a group they belong to; each person signs a request
//! once, so each required group needs a distinct approver; a sign-off names the digest it
//! approves and is refused for any other, and the gate counts only sign-offs whose digest is the
//! one being promoted.

use sqlx::AnyConnection;

use app::backend::{Actor, ApprovalRequest, BackendError, Role, SignOffInput};

use super::{require_role, Result, Service, AUTHORS};
use crate::store;

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
    let mut write = service.begin_write(&actor.username).await?;
    let pack = store::packs::get(&mut write, pack_id).await?;
    store::versions::require(&mut write, pack_id, digest).await?;
    let groups = match groups {
        Some(groups) => groups,
        // CAVRA's rollback plan: "Obtain Platform Security approval."
        None if kind == "rollback" => vec!["Platform Security".to_owned()],
        None => pack.approver_groups.0.clone(),
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
    let now = write.now();
    let id =
        store::approvals::insert(&mut write, pack_id, digest, kind, &clean, actor.id, now).await?;
    let detail = serde_json::json!({"request_id": id, "kind": kind, "groups": clean});
    write
        .audit("approval.request", pack_id, digest, detail)
        .await?;
    super::evidence::record(service, &mut write, pack_id, digest, "approval_request").await?;
    service.commit(write).await?;
    let mut conn = service.conn().await?;
    load_request(&mut conn, id).await
}

/// One request with its sign-offs.
pub(crate) async fn load_request(conn: &mut AnyConnection, id: i64) -> Result<ApprovalRequest> {
    let row = store::approvals::get(conn, id).await?;
    let signoffs = store::approvals::signoffs(conn, id).await?;
    let groups = row.groups.0;
    let pending_groups = groups
        .iter()
        .filter(|group| {
            !signoffs
                .iter()
                .any(|s| &&s.group == group && s.decision == "approve" && s.digest == row.digest)
        })
        .cloned()
        .collect();
    let rejected = signoffs.iter().any(|s| s.decision == "reject");
    Ok(ApprovalRequest {
        id: row.id,
        pack_id: row.pack_id,
        kind: row.kind,
        requested_by: row.requested_by,
        created_at: super::rfc3339(row.created_at),
        digest: row.digest,
        groups,
        signoffs,
        pending_groups,
        rejected,
    })
}

/// Approval requests of a pack, newest first.
pub async fn list_approvals(service: &Service, pack_id: &str) -> Result<Vec<ApprovalRequest>> {
    let mut conn = service.conn().await?;
    let mut out = Vec::new();
    for id in store::approvals::ids(&mut conn, pack_id).await? {
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
    match store::approvals::latest_id(conn, pack_id, digest, kind).await? {
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
    let mut write = service.begin_write(&actor.username).await?;
    let request = load_request(&mut write, request_id).await?;
    if input.digest != request.digest {
        return Err(BackendError::Invalid(format!(
            "this approval names digest `{}`, but request {request_id} is for digest `{}`; an approval is valid for one digest only",
            input.digest, request.digest
        )));
    }
    let author_id =
        store::versions::author_id(&mut write, &request.pack_id, &request.digest).await?;
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
    let signoff = store::approvals::NewSignOff {
        request_id,
        pack_id: &request.pack_id,
        digest: &input.digest,
        user_id: actor.id,
        group: &input.group,
        decision: &input.decision,
        comment: &input.comment,
        at: write.now(),
    };
    let signoff_id = store::approvals::insert_signoff(&mut write, &signoff)
        .await
        .map_err(|error| {
            error.unique_as(|| BackendError::Conflict {
                message: format!(
                    "`{}` already signed request {request_id}; each group needs a distinct approver",
                    actor.username
                ),
                current_revision: None,
            })
        })?;
    let detail = serde_json::json!({
        "request_id": request_id,
        "signoff_id": signoff_id,
        "group": input.group,
        "decision": input.decision,
        "comment": input.comment,
    });
    write
        .audit(
            "approval.signoff",
            &request.pack_id,
            &request.digest,
            detail,
        )
        .await?;
    super::evidence::record(
        service,
        &mut write,
        &request.pack_id,
        &request.digest,
        "signoff",
    )
    .await?;
    let updated = load_request(&mut write, request_id).await?;
    service.commit(write).await?;
    Ok(updated)
}
