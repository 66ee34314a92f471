//! Approval requests, sign-offs and withdrawals, judged against the pack's server-side rule.
//!
//! Rules, all enforced here for every entry point:
//! - **The rule is the server's.** What a promotion or rollback needs (groups and quorum) comes
//!   from the pack's settings ([`ApprovalRule`], admin-editable, audited); a request can only add
//!   groups. Every rollback needs Platform Security.
//! - **Rejections stand.** A rejection of a digest, on any request of any kind, blocks it until
//!   the rejecting approver or another member of that group withdraws it; a new request cannot
//!   hide it.
//! - **Approvals are spent.** A sign-off counts for its digest only, expires after the rule's
//!   `ttl_hours`, and stops counting once the promotion or rollback it was for consumed its
//!   request (or the enforcement moved away from its digest).
//! - **Separation of duties covers every contributor.** Whoever created, saved or published any
//!   draft behind a digest, or requested the approval, cannot sign it off — admins included. The
//!   signer must still be a member of the group when the gate counts the sign-off, and one person
//!   fills at most one quorum slot.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use sqlx::AnyConnection;

use app::backend::{
    Actor, ApprovalRequest, ApprovalRule, BackendError, GroupQuorum, PackSummary, Role,
    SignOffInput,
};

use super::{require_role, Result, Service, AUTHORS};
use crate::store;
use crate::store::approvals::SignOffRow;

/// Kinds of approval request.
pub const KINDS: [&str; 2] = ["promotion", "rollback"];

/// Most groups one request or rule may name.
const MAX_GROUPS: usize = 16;
/// Longest group name, in characters.
const MAX_GROUP_CHARS: usize = 64;
/// Largest quorum of one group.
const MAX_QUORUM: u32 = 10;
/// Longest sign-off lifetime: one year.
const MAX_TTL_HOURS: u32 = 24 * 366;

fn clean_group(group: &str) -> Result<String> {
    let group = group.trim();
    if group.is_empty() {
        return Err(BackendError::Invalid(
            "an approver group name is empty".into(),
        ));
    }
    if group.chars().count() > MAX_GROUP_CHARS || group.chars().any(char::is_control) {
        return Err(BackendError::Invalid(format!(
            "an approver group name is at most {MAX_GROUP_CHARS} printable characters"
        )));
    }
    Ok(group.to_owned())
}

fn clean_comment(comment: &str) -> Result<String> {
    let comment = comment.trim();
    super::limits::check_chars("a comment", comment, super::limits::MAX_COMMENT_CHARS)?;
    Ok(comment.to_owned())
}

fn check_kind(kind: &str) -> Result<()> {
    if KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(BackendError::Invalid(format!(
            "approval kind `{kind}` is not one of promotion, rollback"
        )))
    }
}

/// A rule as submitted, checked and normalised; refused when it would weaken the floor.
pub fn validate_rule(rule: &ApprovalRule) -> Result<ApprovalRule> {
    let list = |name: &str, groups: &[GroupQuorum]| -> Result<Vec<GroupQuorum>> {
        if groups.is_empty() {
            return Err(BackendError::Invalid(format!(
                "the {name} rule names at least one approver group"
            )));
        }
        if groups.len() > MAX_GROUPS {
            return Err(BackendError::Invalid(format!(
                "the {name} rule names at most {MAX_GROUPS} groups"
            )));
        }
        let mut out: Vec<GroupQuorum> = Vec::new();
        for entry in groups {
            let group = clean_group(&entry.group)?;
            if !(1..=MAX_QUORUM).contains(&entry.quorum) {
                return Err(BackendError::Invalid(format!(
                    "the quorum of {group} is {}; it must be 1 to {MAX_QUORUM}",
                    entry.quorum
                )));
            }
            if out.iter().any(|g| g.group == group) {
                return Err(BackendError::Invalid(format!(
                    "the {name} rule names {group} twice"
                )));
            }
            out.push(GroupQuorum {
                group,
                quorum: entry.quorum,
            });
        }
        Ok(out)
    };
    let promotion = list("promotion", &rule.promotion)?;
    let rollback = list("rollback", &rule.rollback)?;
    if !rollback
        .iter()
        .any(|g| g.group == ApprovalRule::ROLLBACK_GROUP)
    {
        return Err(BackendError::Invalid(format!(
            "every rollback needs {}: the rollback rule must include it",
            ApprovalRule::ROLLBACK_GROUP
        )));
    }
    if !(1..=MAX_TTL_HOURS).contains(&rule.ttl_hours) {
        return Err(BackendError::Invalid(format!(
            "a sign-off lifetime is 1 to {MAX_TTL_HOURS} hours, not {}",
            rule.ttl_hours
        )));
    }
    Ok(ApprovalRule {
        promotion,
        rollback,
        ttl_hours: rule.ttl_hours,
    })
}

/// Replaces a pack's approval rule. Admins only; audited with the old and new rule.
pub async fn set_approval_rule(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    rule: &ApprovalRule,
) -> Result<PackSummary> {
    require_role(actor, &[Role::Admin], "changing a pack's approval rule")?;
    let rule = validate_rule(rule)?;
    let mut write = service.begin_write(&actor.username).await?;
    let before = store::packs::get(&mut write, pack_id)
        .await?
        .approval_rule();
    store::packs::set_approval_rule(&mut write, pack_id, &rule).await?;
    let detail = serde_json::json!({"before": before, "after": rule});
    write
        .audit("pack.approval_rule", pack_id, "", detail)
        .await?;
    let pack = store::packs::get(&mut write, pack_id).await?;
    let shadow = store::shadow::active(&mut write, pack_id).await?;
    service.commit(write).await?;
    Ok(pack.summary(
        shadow.map(Into::into),
        &service.config().shadow.default_rule(),
    ))
}

/// Opens an approval request for a digest: the pack's rule for `kind`, plus `extra` groups.
pub async fn request_approval(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
    kind: &str,
    extra: Option<Vec<String>>,
) -> Result<ApprovalRequest> {
    require_role(actor, AUTHORS, "requesting approval")?;
    check_kind(kind)?;
    let mut write = service.begin_write(&actor.username).await?;
    let pack = store::packs::get(&mut write, pack_id).await?;
    store::versions::require(&mut write, pack_id, digest).await?;
    let rule = pack.approval_rule();
    let mut groups: Vec<String> = required(&rule, kind).into_iter().map(|g| g.group).collect();
    let mut added = Vec::new();
    for group in extra.unwrap_or_default() {
        let group = clean_group(&group)?;
        if !groups.contains(&group) {
            groups.push(group.clone());
            added.push(group);
        }
    }
    if groups.len() > MAX_GROUPS {
        return Err(BackendError::Invalid(format!(
            "an approval request names at most {MAX_GROUPS} groups"
        )));
    }
    let now = write.now();
    let id =
        store::approvals::insert(&mut write, pack_id, digest, kind, &groups, actor.id, now).await?;
    let detail = serde_json::json!({
        "request_id": id, "kind": kind, "groups": groups, "added_by_requester": added,
    });
    write
        .audit("approval.request", pack_id, digest, detail)
        .await?;
    super::evidence::record(
        service,
        &mut write,
        pack_id,
        digest,
        "approval_request",
        super::evidence::Extra::default(),
    )
    .await?;
    let request = load_request(&mut write, id, now).await?;
    service.commit(write).await?;
    Ok(request)
}

/// What the rule requires for `kind`; a rollback needs Platform Security whatever is stored.
fn required(rule: &ApprovalRule, kind: &str) -> Vec<GroupQuorum> {
    let mut groups = rule.for_kind(kind).to_vec();
    if kind == "rollback"
        && !groups
            .iter()
            .any(|g| g.group == ApprovalRule::ROLLBACK_GROUP)
    {
        groups.push(GroupQuorum {
            group: ApprovalRule::ROLLBACK_GROUP.to_owned(),
            quorum: 1,
        });
    }
    groups
}

/// How the approvals of one digest and kind stand now.
#[derive(Debug, Clone)]
pub(crate) struct Standing {
    /// Groups short of their quorum.
    pub pending_groups: Vec<String>,
    /// Rejections of the digest that stand (any request, any kind).
    pub rejections: Vec<SignOffRow>,
    /// Everything still missing, as the gate reports it.
    pub missing: Vec<String>,
}

impl Standing {
    /// Whether the digest is approved for the kind.
    pub fn approved(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Judges the approvals of `digest` for `kind` at time `now` under the pack's current rule.
pub(crate) async fn standing(
    conn: &mut AnyConnection,
    pack: &store::packs::PackRow,
    digest: &str,
    kind: &str,
    now: i64,
) -> Result<Standing> {
    let rule = pack.approval_rule();
    let mut requirement = required(&rule, kind);
    let open_requests: Vec<store::approvals::RequestRow> =
        store::approvals::of_digest(conn, &pack.id, digest)
            .await?
            .into_iter()
            .filter(|r| r.kind == kind && r.consumed_at.is_none())
            .collect();
    for request in &open_requests {
        for group in &request.groups.0 {
            if !requirement.iter().any(|g| &g.group == group) {
                requirement.push(GroupQuorum {
                    group: group.clone(),
                    quorum: 1,
                });
            }
        }
    }
    let signoffs = store::approvals::signoffs_of_digest(conn, &pack.id, digest).await?;
    let contributors: Vec<i64> = store::contributors::of_version(conn, &pack.id, digest)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let ttl_ms = i64::from(rule.ttl_hours) * 3_600_000;
    let mut members: HashMap<i64, Vec<String>> = HashMap::new();
    let mut eligible: Vec<(String, String)> = Vec::new();
    let mut rejections = Vec::new();
    for s in signoffs {
        if !s.standing() {
            continue;
        }
        if s.decision == "reject" {
            rejections.push(s);
            continue;
        }
        let fresh = now.saturating_sub(s.created_at) < ttl_ms;
        if s.kind != kind || s.consumed != 0 || !fresh || contributors.contains(&s.user_id) {
            continue;
        }
        // Membership is read now: removing someone from a group withdraws their weight.
        if let Entry::Vacant(entry) = members.entry(s.user_id) {
            let groups = store::users::by_id(conn, s.user_id)
                .await?
                .map(|user| user.groups)
                .unwrap_or_default();
            entry.insert(groups);
        }
        if members[&s.user_id].contains(&s.approver_group) {
            eligible.push((s.approver_group, s.username));
        }
    }
    let counted = assign(&requirement, &eligible);
    let mut missing = Vec::new();
    for rejection in &rejections {
        missing.push(format!(
            "`{}` rejected `{digest}` for {} (request {}{}); it stays blocked until a member of {} withdraws the rejection",
            rejection.username,
            rejection.approver_group,
            rejection.request_id,
            if rejection.comment.is_empty() {
                String::new()
            } else {
                format!(": \"{}\"", rejection.comment)
            },
            rejection.approver_group
        ));
    }
    if open_requests.is_empty() {
        missing.push(format!(
            "no open {kind} approval request for digest `{digest}`"
        ));
    }
    let mut pending_groups = Vec::new();
    for need in &requirement {
        let have = counted.iter().filter(|(g, _)| *g == need.group).count();
        let have = u32::try_from(have).unwrap_or(u32::MAX);
        if have < need.quorum {
            pending_groups.push(need.group.clone());
            missing.push(format!(
                "approval from {} for digest `{digest}`: {have} of {}",
                need.group, need.quorum
            ));
        }
    }
    Ok(Standing {
        pending_groups,
        rejections,
        missing,
    })
}

/// Fills quorum slots with distinct approvers (a bipartite matching, so the order sign-offs
/// came in cannot make a satisfiable rule look short). Returns (group, user) per filled slot.
fn assign(requirement: &[GroupQuorum], approvals: &[(String, String)]) -> Vec<(String, String)> {
    let slots: Vec<&str> = requirement
        .iter()
        .flat_map(|g| std::iter::repeat_n(g.group.as_str(), g.quorum as usize))
        .collect();
    let mut users: Vec<&str> = approvals.iter().map(|(_, u)| u.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let edges: Vec<Vec<usize>> = users
        .iter()
        .map(|user| {
            (0..slots.len())
                .filter(|&slot| {
                    approvals
                        .iter()
                        .any(|(g, u)| u == user && g.as_str() == slots[slot])
                })
                .collect()
        })
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; slots.len()];
    fn augment(
        user: usize,
        edges: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &slot in &edges[user] {
            if seen[slot] {
                continue;
            }
            seen[slot] = true;
            if owner[slot].is_none_or(|other| augment(other, edges, seen, owner)) {
                owner[slot] = Some(user);
                return true;
            }
        }
        false
    }
    for user in 0..users.len() {
        let mut seen = vec![false; slots.len()];
        augment(user, &edges, &mut seen, &mut owner);
    }
    owner
        .iter()
        .enumerate()
        .filter_map(|(slot, user)| user.map(|u| (slots[slot].to_owned(), users[u].to_owned())))
        .collect()
}

/// One request with its sign-offs and where it stands at `now`.
pub(crate) async fn load_request(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
) -> Result<ApprovalRequest> {
    let row = store::approvals::get(conn, id).await?;
    let signoffs = store::approvals::signoffs(conn, id).await?;
    let pack = store::packs::get(conn, &row.pack_id).await?;
    let standing = standing(conn, &pack, &row.digest, &row.kind, now).await?;
    let pending_groups = if row.consumed_at.is_some() {
        Vec::new()
    } else {
        standing.pending_groups
    };
    Ok(ApprovalRequest {
        id: row.id,
        pack_id: row.pack_id,
        kind: row.kind,
        requested_by: row.requested_by,
        created_at: super::rfc3339(row.created_at),
        digest: row.digest,
        groups: row.groups.0,
        signoffs: signoffs.iter().map(SignOffRow::record).collect(),
        pending_groups,
        rejected: !standing.rejections.is_empty(),
        consumed_at: row.consumed_at.map(super::rfc3339),
    })
}

/// Approval requests of a pack, newest first.
pub async fn list_approvals(service: &Service, pack_id: &str) -> Result<Vec<ApprovalRequest>> {
    let mut conn = service.conn().await?;
    let now = super::now_millis();
    let mut out = Vec::new();
    for id in store::approvals::ids(&mut conn, pack_id).await? {
        out.push(load_request(&mut conn, id, now).await?);
    }
    Ok(out)
}

/// Refuses `actor` when they contributed to `digest` (created, saved or published a draft of
/// it, or authored the version): they cannot judge their own change, whatever their role.
pub(crate) async fn refuse_contributor(
    conn: &mut AnyConnection,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
    what: &str,
) -> Result<()> {
    let contributors = store::contributors::of_version(conn, pack_id, digest).await?;
    if contributors.iter().any(|(id, _)| *id == actor.id) {
        return Err(BackendError::Forbidden(format!(
            "`{}` contributed to `{digest}` (created, saved or published a draft of it) and cannot {what}",
            actor.username
        )));
    }
    Ok(())
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
    let comment = clean_comment(&input.comment)?;
    if input.decision == "reject" && comment.is_empty() {
        return Err(BackendError::Invalid(
            "a rejection needs a comment that says what must change".into(),
        ));
    }
    let mut write = service.begin_write(&actor.username).await?;
    let request = store::approvals::get(&mut write, request_id).await?;
    if input.digest != request.digest {
        return Err(BackendError::Invalid(format!(
            "this approval names digest `{}`, but request {request_id} is for digest `{}`; an approval is valid for one digest only",
            input.digest, request.digest
        )));
    }
    if request.consumed_at.is_some() {
        return Err(BackendError::Invalid(format!(
            "request {request_id} was used up by the {} it was for; ask for a new approval",
            request.kind
        )));
    }
    let what = if request.kind == "rollback" {
        "approve a rollback to it"
    } else {
        "sign it off"
    };
    refuse_contributor(&mut write, actor, &request.pack_id, &request.digest, what).await?;
    if request.requested_by == actor.username {
        return Err(BackendError::Forbidden(format!(
            "`{}` requested this approval and cannot also sign it off",
            actor.username
        )));
    }
    let pack = store::packs::get(&mut write, &request.pack_id).await?;
    let asked = request.groups.0.contains(&input.group)
        || required(&pack.approval_rule(), &request.kind)
            .iter()
            .any(|g| g.group == input.group);
    if !asked {
        return Err(BackendError::Invalid(format!(
            "request {request_id} does not ask for {}; it asks for {}",
            input.group,
            request.groups.0.join(", ")
        )));
    }
    if !actor.groups.contains(&input.group) {
        return Err(BackendError::Forbidden(format!(
            "`{}` is not a member of {}",
            actor.username, input.group
        )));
    }
    // One standing sign-off per person and request (the lifecycle lock makes this check and the
    // insert atomic); after withdrawing, they may sign again.
    let mine = store::approvals::signoffs(&mut write, request_id).await?;
    if mine.iter().any(|s| s.user_id == actor.id && s.standing()) {
        return Err(BackendError::Conflict {
            message: format!(
                "`{}` already signed request {request_id}; each group needs a distinct approver (withdraw your sign-off to change it)",
                actor.username
            ),
            current_revision: None,
        });
    }
    let signoff = store::approvals::NewSignOff {
        request_id,
        pack_id: &request.pack_id,
        digest: &input.digest,
        user_id: actor.id,
        group: &input.group,
        decision: &input.decision,
        comment: &comment,
        at: write.now(),
    };
    let signoff_id = store::approvals::insert_signoff(&mut write, &signoff).await?;
    let detail = serde_json::json!({
        "request_id": request_id,
        "signoff_id": signoff_id,
        "kind": request.kind,
        "group": input.group,
        "decision": input.decision,
        "comment": comment,
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
        super::evidence::Extra::default(),
    )
    .await?;
    let now = write.now();
    let updated = load_request(&mut write, request_id, now).await?;
    service.commit(write).await?;
    Ok(updated)
}

/// Withdraws a sign-off: anyone their own; a rejection also by another member of its group who
/// did not contribute to the digest. Recorded, never deleted.
pub async fn withdraw_signoff(
    service: &Service,
    actor: &Actor,
    signoff_id: i64,
    comment: &str,
) -> Result<ApprovalRequest> {
    require_role(
        actor,
        &[Role::Approver, Role::Admin],
        "withdrawing a sign-off",
    )?;
    let comment = clean_comment(comment)?;
    let mut write = service.begin_write(&actor.username).await?;
    let signoff = store::approvals::signoff(&mut write, signoff_id).await?;
    if !signoff.standing() {
        return Err(BackendError::Conflict {
            message: format!("sign-off {signoff_id} was already withdrawn"),
            current_revision: None,
        });
    }
    let own = signoff.user_id == actor.id;
    if !own {
        if signoff.decision != "reject" || !actor.groups.contains(&signoff.approver_group) {
            return Err(BackendError::Forbidden(format!(
                "only `{}` can withdraw their approval; a rejection can also be withdrawn by another member of {}",
                signoff.username, signoff.approver_group
            )));
        }
        let request = store::approvals::get(&mut write, signoff.request_id).await?;
        refuse_contributor(
            &mut write,
            actor,
            &request.pack_id,
            &signoff.digest,
            "withdraw a rejection of it",
        )
        .await?;
    }
    let now = write.now();
    let withdrawal_id =
        store::approvals::insert_withdrawal(&mut write, signoff_id, actor.id, &comment, now)
            .await?;
    let request = store::approvals::get(&mut write, signoff.request_id).await?;
    let detail = serde_json::json!({
        "withdrawal_id": withdrawal_id,
        "signoff_id": signoff_id,
        "request_id": signoff.request_id,
        "signed_by": signoff.username,
        "group": signoff.approver_group,
        "decision": signoff.decision,
        "comment": comment,
    });
    write
        .audit(
            "approval.withdraw",
            &request.pack_id,
            &signoff.digest,
            detail,
        )
        .await?;
    super::evidence::record(
        service,
        &mut write,
        &request.pack_id,
        &signoff.digest,
        "withdrawal",
        super::evidence::Extra::default(),
    )
    .await?;
    let updated = load_request(&mut write, signoff.request_id, now).await?;
    service.commit(write).await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[(&str, u32)]) -> Vec<GroupQuorum> {
        groups
            .iter()
            .map(|(g, q)| GroupQuorum {
                group: (*g).to_owned(),
                quorum: *q,
            })
            .collect()
    }

    fn approvals(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(g, u)| ((*g).to_owned(), (*u).to_owned()))
            .collect()
    }

    #[test]
    fn one_person_fills_one_slot_even_when_signing_for_two_groups() {
        let need = rule(&[("PS", 1), ("RO", 1)]);
        let got = assign(&need, &approvals(&[("PS", "ann"), ("RO", "ann")]));
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn matching_finds_the_assignment_greedy_order_would_miss() {
        // ann can fill PS or RO, bob only PS: ann must take RO.
        let need = rule(&[("PS", 1), ("RO", 1)]);
        let got = assign(
            &need,
            &approvals(&[("PS", "ann"), ("RO", "ann"), ("PS", "bob")]),
        );
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn quorum_needs_distinct_people() {
        let need = rule(&[("PS", 2)]);
        assert_eq!(assign(&need, &approvals(&[("PS", "ann")])).len(), 1);
        assert_eq!(
            assign(&need, &approvals(&[("PS", "ann"), ("PS", "bob")])).len(),
            2
        );
    }

    #[test]
    fn a_rule_without_platform_security_for_rollback_is_refused() {
        let mut bad = ApprovalRule::defaults(&["Repository Owners".to_owned()]);
        bad.rollback = rule(&[("Repository Owners", 1)]);
        assert!(validate_rule(&bad).is_err());
        bad.rollback = rule(&[("Platform Security", 0)]);
        assert!(validate_rule(&bad).is_err());
        let mut empty = ApprovalRule::defaults(&[]);
        assert!(validate_rule(&empty).is_err());
        empty.promotion = rule(&[(" ", 1)]);
        assert!(validate_rule(&empty).is_err());
        let mut twice = ApprovalRule::defaults(&["A".to_owned(), "A".to_owned()]);
        assert!(validate_rule(&twice).is_err());
        twice.promotion = rule(&[("A", 1)]);
        twice.ttl_hours = 0;
        assert!(validate_rule(&twice).is_err());
        twice.ttl_hours = 24;
        assert!(validate_rule(&twice).is_ok());
    }
}
