//! Runtime decisions and shadow mode.
//!
//! `decide` answers from the enforced version. When a shadow run is active for the pack, the
//! candidate evaluates the same request too, without changing the answer, and both decisions are
//! stored as an observation in the same transaction as the decision-log entry: every answered
//! request has exactly one log entry and, in shadow, exactly one observation. The writes go
//! through the group-commit writer ([`super::writer`]), which answers after the commit.
//!
//! Every decision is made for an authenticated runtime ([`super::tokens`]): its name is recorded
//! on the log row and the observation, a token scoped to other packs is refused (403), and no
//! input field may exceed `max_field_bytes` (422), checked before anything is evaluated or
//! stored. The gate counts only observations that carry a runtime.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use app::backend::{
    Actor, BackendError, DivergenceSummary, PackSummary, Role, ShadowRule, ShadowRun,
};
use lifecycle::decide::RequestBuf;

use super::tokens::Runtime;
use super::writer::{read_pointers, LogRow, ObservationRow, Outcome};
use super::{now_millis, require_role, rfc3339, Result, Service, Write, AUTHORS};
use crate::store;
use crate::store::shadow::RunRow;

/// The answer of `POST /v1/decisions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionAnswer {
    /// `allow`, `block` or `require_approval`.
    pub decision: String,
    /// CAVRA's rule id.
    pub rule_id: String,
    /// Severity.
    pub severity: String,
    /// Reason text.
    pub reason: String,
    /// Approver group, on `require_approval`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver_group: Option<String>,
    /// The pack that answered.
    pub policy_pack: String,
    /// The enforced digest that answered.
    pub policy_digest: String,
    /// The decision-log entry.
    pub decision_id: i64,
}

/// Starts shadow mode for a candidate version of a pack.
pub async fn start(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
) -> Result<ShadowRun> {
    require_role(actor, AUTHORS, "starting shadow mode")?;
    let mut write = service.begin_write(&actor.username).await?;
    let pack = store::packs::get(&mut write, pack_id).await?;
    let enforced = pack.enforced_digest.ok_or_else(|| {
        BackendError::Invalid(format!(
            "pack `{pack_id}` has no enforced version to compare against"
        ))
    })?;
    if enforced == digest {
        return Err(BackendError::Invalid(format!(
            "`{digest}` is already enforced; shadow mode compares a candidate against it"
        )));
    }
    store::versions::require(&mut write, pack_id, digest).await?;
    let now = write.now();
    let id = store::shadow::insert(&mut write, pack_id, digest, &enforced, &actor.username, now)
        .await
        .map_err(|error| {
            error.unique_as(|| BackendError::Conflict {
                message: format!(
                    "pack `{pack_id}` already has an active shadow run; stop it first"
                ),
                current_revision: None,
            })
        })?;
    let detail = serde_json::json!({"shadow_id": id, "enforced_digest": enforced});
    write.audit("shadow.start", pack_id, digest, detail).await?;
    let run = store::shadow::active(&mut write, pack_id)
        .await?
        .ok_or(BackendError::Unavailable)?;
    service.commit(write).await?;
    Ok(run.into())
}

/// Stops the active shadow run inside a lifecycle write (promotion and rollback stop it).
pub(crate) async fn stop_active(write: &mut Write, pack_id: &str) -> Result<Option<ShadowRun>> {
    let Some(run) = store::shadow::active(write, pack_id).await? else {
        return Ok(None);
    };
    let now = write.now();
    store::shadow::stop(write, run.id, now).await?;
    Ok(Some(ShadowRun::from(run)))
}

/// Stops the active shadow run.
pub async fn stop(service: &Service, actor: &Actor, pack_id: &str) -> Result<ShadowRun> {
    require_role(actor, AUTHORS, "stopping shadow mode")?;
    let mut write = service.begin_write(&actor.username).await?;
    let run = stop_active(&mut write, pack_id).await?.ok_or_else(|| {
        BackendError::NotFound(format!("pack `{pack_id}` has no active shadow run"))
    })?;
    let detail = serde_json::json!({"shadow_id": run.id});
    write
        .audit("shadow.stop", pack_id, &run.candidate_digest, detail)
        .await?;
    let now = write.now();
    service.commit(write).await?;
    Ok(ShadowRun {
        stopped_at: Some(rfc3339(now)),
        ..run
    })
}

/// `allow_to_block`, `block_to_require_approval`, … (`allow_to_allow` when only the rule moved).
pub fn flip_kind(enforced: &str, candidate: &str) -> String {
    format!("{enforced}_to_{candidate}")
}

/// The input fields a decision reads (and the log stores), each capped at `max_field_bytes`.
const CAPPED_FIELDS: [&str; 6] = [
    "action_type",
    "target",
    "requested_operation",
    "server",
    "tool",
    "capability",
];

/// Refuses a decision input any of whose fields (as the decision reads them) is longer than
/// `max` bytes, naming the field: nothing is evaluated or stored.
fn check_field_sizes(request: &RequestBuf, pack_id: &str, max: usize) -> Result<()> {
    let fields = [
        &request.action_type,
        &request.target,
        &request.requested_operation,
        &request.server,
        &request.tool,
        &request.capability,
    ];
    let named = CAPPED_FIELDS.iter().zip(fields).map(|(n, v)| (*n, v.len()));
    for (name, len) in named.chain(std::iter::once(("policy_pack", pack_id.len()))) {
        if len > max {
            return Err(BackendError::Invalid(format!(
                "the decision input field `{name}` is {len} bytes; each field may be at most \
                 {max} bytes"
            )));
        }
    }
    Ok(())
}

/// Answers a CAVRA input for an authenticated runtime from the enforced version of a pack,
/// observing the shadow candidate.
pub async fn decide(
    service: &Service,
    runtime: &Runtime,
    pack_id: Option<&str>,
    input: &serde_json::Value,
) -> Result<DecisionAnswer> {
    let Some(object) = input.as_object() else {
        return Err(BackendError::Invalid(
            "the decision input must be a JSON object".into(),
        ));
    };
    if let Some(schema) = object.get("schema_version") {
        if schema.as_str() != Some(lifecycle::decide::request::INPUT_SCHEMA) {
            return Err(BackendError::Invalid(format!(
                "`schema_version` must be `{}`",
                lifecycle::decide::request::INPUT_SCHEMA
            )));
        }
    }
    if !object
        .get("action_type")
        .is_some_and(serde_json::Value::is_string)
    {
        return Err(BackendError::Invalid("`action_type` is required".into()));
    }
    let pack_id = pack_id
        .or_else(|| {
            object
                .get("policy_pack")
                .and_then(serde_json::Value::as_str)
        })
        .unwrap_or(&service.config().default_pack)
        .to_owned();
    let request = RequestBuf::from_json(input);
    check_field_sizes(&request, &pack_id, service.config().runtime.max_field_bytes)?;
    if !runtime.may_decide(&pack_id) {
        return Err(BackendError::Forbidden(format!(
            "the token of runtime `{}` is not scoped to pack `{pack_id}`",
            runtime.name()
        )));
    }
    let input_json = request.to_cavra_input().to_string();
    let runtime_name = runtime.shared_name();
    // Bounded: a decision is re-made only when the pointers changed under it, which takes a
    // promotion, rollback or shadow start/stop per retry.
    for _ in 0..4 {
        let pointers = match service.writer().cached_pointers(&pack_id) {
            Some(pointers) => pointers,
            None => {
                let mut conn = service.conn().await?;
                let Some(pointers) = read_pointers(&mut *conn, &pack_id).await? else {
                    // Tell a missing pack from one that enforces nothing.
                    store::packs::get(&mut conn, &pack_id).await?;
                    return Err(BackendError::NotFound(format!(
                        "pack `{pack_id}` has no enforced version"
                    )));
                };
                let pointers = std::sync::Arc::new(pointers);
                service.writer().remember(&pack_id, pointers.clone());
                pointers
            }
        };
        let enforced = service
            .compiled_by_digest(&pack_id, &pointers.enforced_digest)
            .await?;
        let decision = enforced.decide(&request.as_request());
        let observation = match &pointers.shadow {
            Some((shadow_id, candidate_digest)) => {
                let candidate = service
                    .compiled_by_digest(&pack_id, candidate_digest)
                    .await?
                    .decide(&request.as_request());
                let enforced_decision = decision.decision.as_str();
                let candidate_decision = candidate.decision.as_str();
                Some(ObservationRow {
                    shadow_id: *shadow_id,
                    candidate_digest: candidate_digest.clone(),
                    enforced_decision,
                    enforced_rule_id: decision.rule_id.as_str(),
                    candidate_decision,
                    candidate_rule_id: candidate.rule_id.as_str(),
                    diverged: enforced_decision != candidate_decision
                        || decision.rule_id != candidate.rule_id,
                    flip_kind: flip_kind(enforced_decision, candidate_decision),
                })
            }
            None => None,
        };
        let cavra = decision.to_cavra();
        let enforced_digest = pointers.enforced_digest.clone();
        // Group commit: the row and its observation commit in one transaction with other
        // requests' rows; this returns only after that commit (answered => recorded).
        let outcome = service
            .writer()
            .write(
                service.db(),
                pointers,
                LogRow {
                    pack_id: pack_id.clone(),
                    policy_digest: enforced_digest.clone(),
                    input_json: input_json.clone(),
                    decision: cavra.decision.clone(),
                    rule_id: cavra.rule_id.clone(),
                    severity: cavra.severity.clone(),
                    at: now_millis(),
                    runtime: runtime_name.clone(),
                },
                observation,
            )
            .await?;
        let Outcome::Recorded(decision_id) = outcome else {
            continue;
        };
        return Ok(DecisionAnswer {
            decision: cavra.decision,
            rule_id: cavra.rule_id,
            severity: cavra.severity,
            reason: cavra.reason,
            approver_group: cavra.approver_group,
            policy_pack: pack_id,
            policy_digest: enforced_digest,
            decision_id,
        });
    }
    Err(BackendError::Unavailable)
}

/// Rolls up the observations of a run.
pub(crate) async fn summarize(conn: &mut AnyConnection, run: RunRow) -> Result<DivergenceSummary> {
    let counts = store::shadow::counts(conn, run.id).await?;
    let end = run.stopped_at.unwrap_or_else(now_millis);
    Ok(DivergenceSummary {
        observations: counts.observations,
        divergences: counts.divergences,
        unacknowledged: counts.unacknowledged,
        observed_secs: (end - run.started_at).max(0) / 1000,
        by_flip: counts.by_flip,
        by_rule: counts.by_rule,
        by_runtime: counts.by_runtime,
        traffic_secs: counts.traffic_ms / 1000,
        unauthenticated: counts.unauthenticated,
        shadow: run.into(),
    })
}

/// The most observations, runtimes or seconds a shadow rule may ask for (a year of seconds), so
/// a typo cannot make promotion impossible by accident.
const MAX_RULE_OBSERVATIONS: u32 = 10_000_000;
const MAX_RULE_RUNTIMES: u32 = 1000;
const MAX_RULE_SECS: u64 = 366 * 24 * 3600;

/// Replaces a pack's shadow rule (admins): N observations from K runtimes over T seconds.
pub async fn set_rule(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    rule: &ShadowRule,
) -> Result<PackSummary> {
    require_role(actor, &[Role::Admin], "changing a pack's shadow rule")?;
    if rule.min_observations < 1 || rule.min_observations > MAX_RULE_OBSERVATIONS {
        return Err(BackendError::Invalid(format!(
            "a shadow rule needs 1 to {MAX_RULE_OBSERVATIONS} observations"
        )));
    }
    if rule.min_runtimes < 1 || rule.min_runtimes > MAX_RULE_RUNTIMES {
        return Err(BackendError::Invalid(format!(
            "a shadow rule needs 1 to {MAX_RULE_RUNTIMES} distinct runtimes"
        )));
    }
    if rule.min_runtimes > rule.min_observations {
        return Err(BackendError::Invalid(
            "a shadow rule cannot need more runtimes than observations".into(),
        ));
    }
    if rule.min_observed_secs > MAX_RULE_SECS {
        return Err(BackendError::Invalid(format!(
            "a shadow rule's observation time is at most {MAX_RULE_SECS} seconds"
        )));
    }
    let defaults = service.config().shadow.default_rule();
    let mut write = service.begin_write(&actor.username).await?;
    let before = store::packs::get(&mut write, pack_id)
        .await?
        .shadow_rule(&defaults);
    store::packs::set_shadow_rule(&mut write, pack_id, rule).await?;
    let detail = serde_json::json!({"before": before, "after": rule});
    write.audit("pack.shadow_rule", pack_id, "", detail).await?;
    let pack = store::packs::get(&mut write, pack_id).await?;
    let shadow = store::shadow::active(&mut write, pack_id).await?;
    service.commit(write).await?;
    Ok(pack.summary(shadow.map(Into::into), &defaults))
}

/// Divergences of the active run, else the newest run.
pub async fn divergence(service: &Service, pack_id: &str) -> Result<Option<DivergenceSummary>> {
    let mut conn = service.conn().await?;
    store::packs::get(&mut conn, pack_id).await?;
    match store::shadow::latest(&mut conn, pack_id, None).await? {
        Some(run) => Ok(Some(summarize(&mut conn, run).await?)),
        None => Ok(None),
    }
}

/// Acknowledges every divergence of the active run.
pub async fn acknowledge(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
) -> Result<DivergenceSummary> {
    // Acknowledging divergences waives a gate criterion: a reviewer's act, never the author's.
    require_role(
        actor,
        &[Role::Approver, Role::Admin],
        "acknowledging shadow divergences",
    )?;
    let mut write = service.begin_write(&actor.username).await?;
    let Some(run) = store::shadow::latest(&mut write, pack_id, None).await? else {
        return Err(BackendError::NotFound(format!(
            "pack `{pack_id}` has no shadow run"
        )));
    };
    super::approvals::refuse_contributor(
        &mut write,
        actor,
        pack_id,
        &run.candidate_digest,
        "acknowledge its shadow divergences",
    )
    .await?;
    let acknowledged = store::shadow::acknowledge_all(&mut write, run.id, &actor.username).await?;
    let detail = serde_json::json!({"shadow_id": run.id, "acknowledged": acknowledged});
    write
        .audit("shadow.acknowledge", pack_id, &run.candidate_digest, detail)
        .await?;
    let summary = summarize(&mut write, run).await?;
    service.commit(write).await?;
    Ok(summary)
}

/// Most decision-log rows per page of the JSONL export and of the server-side replay.
pub const EXPORT_PAGE: i64 = 2000;

/// About the most text per page: a page ends before the row that would take it past this, so
/// memory stays bounded whatever the inputs' sizes; a single larger row is a page of its own,
/// so every page progresses.
pub const PAGE_BYTES: usize = 4 * 1024 * 1024;

/// What a JSONL line adds to its text columns and pack name: the keys, the id and the time.
const LINE_OVERHEAD: usize = 160;

/// One page of a pack's decision log as JSONL (the shape `cavra policy replay` reads): rows with
/// `id > after` in id order, up to [`EXPORT_PAGE`] rows and about [`PAGE_BYTES`] of text. The
/// second value is the id to read the next page after, `None` at the end of the log; the text
/// may be empty before the end when the page's rows were pruned while it was read.
pub async fn decision_log_page(
    service: &Service,
    pack_id: &str,
    after: i64,
) -> Result<(String, Option<i64>)> {
    let mut conn = service.conn().await?;
    if after == 0 {
        store::packs::get(&mut conn, pack_id).await?;
    }
    // The rows' sizes first (read from headers, not the values), then only the rows that fit.
    let sizes = store::decisions::sizes(&mut conn, pack_id, after, EXPORT_PAGE).await?;
    let fixed = LINE_OVERHEAD + pack_id.len();
    let (mut bytes, mut rows, mut through) = (0_usize, 0_i64, None);
    for (id, size) in sizes {
        let line = usize::try_from(size).unwrap_or(0).saturating_add(fixed);
        if rows > 0 && bytes.saturating_add(line) > PAGE_BYTES {
            break;
        }
        bytes = bytes.saturating_add(line);
        rows += 1;
        through = Some(id);
    }
    let Some(through) = through else {
        return Ok((String::new(), None));
    };
    let page = store::decisions::page(&mut conn, pack_id, after, through, rows).await?;
    drop(conn);
    let mut text = String::with_capacity(bytes.min(PAGE_BYTES));
    for row in page {
        let input: serde_json::Value = serde_json::from_str(&row.input_json)
            .unwrap_or(serde_json::Value::String(row.input_json));
        let line = serde_json::json!({
            "id": row.id,
            "pack": pack_id,
            "runtime": row.runtime,
            "policy_digest": row.policy_digest,
            "input": input,
            "decision": row.decision,
            "rule_id": row.rule_id,
            "severity": row.severity,
            "at": rfc3339(row.at),
        });
        text.push_str(&line.to_string());
        text.push('\n');
    }
    Ok((text, Some(through)))
}
