//! Runtime decisions and shadow mode.
//!
//! `decide` answers from the enforced version. When a shadow run is active for the pack, the
//! candidate evaluates the same request too, without changing the answer, and both decisions are
//! stored as an observation in the same transaction as the decision-log entry: every answered
//! request has exactly one log entry and, in shadow, exactly one observation. The writes go
//! through the group-commit writer ([`super::writer`]), which answers after the commit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row as _};

use app::backend::{Actor, BackendError, DivergenceSummary, ShadowRun};
use lifecycle::decide::RequestBuf;

use super::authoring::{not_found_version, pack_row};
use super::writer::{read_pointers, LogRow, ObservationRow, Outcome};
use super::{
    db_error, is_unique_violation, now_millis, require_role, rfc3339, Result, Service, AUTHORS,
};
use crate::audit;

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

const RUN_COLUMNS: &str =
    "id, pack_id, candidate_digest, enforced_digest, started_by, started_at, stopped_at";

fn run_from_row(row: &sqlx::any::AnyRow) -> Result<ShadowRun> {
    Ok(ShadowRun {
        id: row.try_get(0).map_err(db_error)?,
        pack_id: row.try_get(1).map_err(db_error)?,
        candidate_digest: row.try_get(2).map_err(db_error)?,
        enforced_digest: row.try_get(3).map_err(db_error)?,
        started_by: row.try_get(4).map_err(db_error)?,
        started_at: rfc3339(row.try_get(5).map_err(db_error)?),
        stopped_at: row
            .try_get::<Option<i64>, _>(6)
            .map_err(db_error)?
            .map(rfc3339),
    })
}

/// The active shadow run of a pack.
pub(crate) async fn active_run(
    conn: &mut AnyConnection,
    pack_id: &str,
) -> Result<Option<ShadowRun>> {
    let row = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM shadow_runs WHERE pack_id = $1 AND stopped_at IS NULL"
    ))
    .bind(pack_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    row.as_ref().map(run_from_row).transpose()
}

/// The newest shadow run of a pack for a candidate (active or stopped).
pub(crate) async fn latest_run_for(
    conn: &mut AnyConnection,
    pack_id: &str,
    candidate: Option<&str>,
) -> Result<Option<(ShadowRun, i64, Option<i64>)>> {
    let row = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM shadow_runs WHERE pack_id = $1 \
         AND ($2 = '' OR candidate_digest = $2) ORDER BY id DESC LIMIT 1"
    ))
    .bind(pack_id)
    .bind(candidate.unwrap_or(""))
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    match row {
        Some(row) => Ok(Some((
            run_from_row(&row)?,
            row.try_get(5).map_err(db_error)?,
            row.try_get(6).map_err(db_error)?,
        ))),
        None => Ok(None),
    }
}

/// Starts shadow mode for a candidate version of a pack.
pub async fn start(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
) -> Result<ShadowRun> {
    require_role(actor, AUTHORS, "starting shadow mode")?;
    let mut tx = service.begin_locked().await?;
    let pack = pack_row(&mut tx, pack_id).await?;
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
    let now = now_millis();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO shadow_runs (pack_id, candidate_digest, enforced_digest, started_by, started_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(pack_id)
    .bind(digest)
    .bind(&enforced)
    .bind(&actor.username)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            BackendError::Conflict {
                message: format!("pack `{pack_id}` already has an active shadow run; stop it first"),
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
            action: "shadow.start",
            pack_id,
            digest,
            detail: serde_json::json!({"shadow_id": id, "enforced_digest": enforced}),
        },
    )
    .await
    .map_err(db_error)?;
    let run = active_run(&mut tx, pack_id)
        .await?
        .ok_or(BackendError::Unavailable)?;
    service.commit(tx, Vec::new()).await?;
    Ok(run)
}

/// Stops the active shadow run inside a lifecycle transaction (promotion and rollback stop it).
pub(crate) async fn stop_in(
    conn: &mut AnyConnection,
    pack_id: &str,
    now: i64,
) -> Result<Option<ShadowRun>> {
    let run = active_run(conn, pack_id).await?;
    if let Some(run) = &run {
        sqlx::query("UPDATE shadow_runs SET stopped_at = $1 WHERE id = $2")
            .bind(now)
            .bind(run.id)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(run)
}

/// Stops the active shadow run.
pub async fn stop(service: &Service, actor: &Actor, pack_id: &str) -> Result<ShadowRun> {
    require_role(actor, AUTHORS, "stopping shadow mode")?;
    let mut tx = service.begin_locked().await?;
    let now = now_millis();
    let run = stop_in(&mut tx, pack_id, now).await?.ok_or_else(|| {
        BackendError::NotFound(format!("pack `{pack_id}` has no active shadow run"))
    })?;
    audit::append(
        &mut tx,
        now,
        &audit::Event {
            actor: &actor.username,
            action: "shadow.stop",
            pack_id,
            digest: &run.candidate_digest,
            detail: serde_json::json!({"shadow_id": run.id}),
        },
    )
    .await
    .map_err(db_error)?;
    service.commit(tx, Vec::new()).await?;
    Ok(ShadowRun {
        stopped_at: Some(rfc3339(now)),
        ..run
    })
}

/// `allow_to_block`, `block_to_require_approval`, … (`allow_to_allow` when only the rule moved).
pub fn flip_kind(enforced: &str, candidate: &str) -> String {
    format!("{enforced}_to_{candidate}")
}

/// Answers a CAVRA input from the enforced version of a pack, observing the shadow candidate.
pub async fn decide(
    service: &Service,
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
    let input_json = request.to_cavra_input().to_string();
    // Bounded: a decision is re-made only when the pointers changed under it, which takes a
    // promotion, rollback or shadow start/stop per retry.
    for _ in 0..4 {
        let pointers = match service.writer().cached_pointers(&pack_id) {
            Some(pointers) => pointers,
            None => {
                let mut conn = service.conn().await?;
                let Some(pointers) = read_pointers(&mut *conn, &pack_id).await? else {
                    // Tell a missing pack (pack_row's error) from one that enforces nothing.
                    pack_row(&mut conn, &pack_id).await?;
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
pub(crate) async fn summarize(
    conn: &mut AnyConnection,
    run: ShadowRun,
    started_at: i64,
    stopped_at: Option<i64>,
) -> Result<DivergenceSummary> {
    let counts = sqlx::query(
        "SELECT COUNT(*), \
         COUNT(CASE WHEN diverged = 1 THEN 1 END), \
         COUNT(CASE WHEN diverged = 1 AND acknowledged_by IS NULL THEN 1 END) \
         FROM observations WHERE shadow_id = $1",
    )
    .bind(run.id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    let mut by_flip = BTreeMap::new();
    for row in sqlx::query(
        "SELECT flip_kind, COUNT(*) FROM observations WHERE shadow_id = $1 AND diverged = 1 \
         GROUP BY flip_kind",
    )
    .bind(run.id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?
    {
        by_flip.insert(
            row.try_get::<String, _>(0).map_err(db_error)?,
            row.try_get::<i64, _>(1).map_err(db_error)?,
        );
    }
    let mut by_rule = BTreeMap::new();
    for row in sqlx::query(
        "SELECT enforced_rule_id, candidate_rule_id, COUNT(*) FROM observations \
         WHERE shadow_id = $1 AND diverged = 1 GROUP BY enforced_rule_id, candidate_rule_id",
    )
    .bind(run.id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?
    {
        let from: String = row.try_get(0).map_err(db_error)?;
        let to: String = row.try_get(1).map_err(db_error)?;
        by_rule.insert(
            format!("{from} -> {to}"),
            row.try_get::<i64, _>(2).map_err(db_error)?,
        );
    }
    let end = stopped_at.unwrap_or_else(now_millis);
    Ok(DivergenceSummary {
        observations: counts.try_get(0).map_err(db_error)?,
        divergences: counts.try_get(1).map_err(db_error)?,
        unacknowledged: counts.try_get(2).map_err(db_error)?,
        observed_secs: (end - started_at).max(0) / 1000,
        by_flip,
        by_rule,
        shadow: run,
    })
}

/// Divergences of the active run, else the newest run.
pub async fn divergence(service: &Service, pack_id: &str) -> Result<Option<DivergenceSummary>> {
    let mut conn = service.conn().await?;
    pack_row(&mut conn, pack_id).await?;
    match latest_run_for(&mut conn, pack_id, None).await? {
        Some((run, started, stopped)) => {
            Ok(Some(summarize(&mut conn, run, started, stopped).await?))
        }
        None => Ok(None),
    }
}

/// Acknowledges every divergence of the active run.
pub async fn acknowledge(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
) -> Result<DivergenceSummary> {
    let mut tx = service.begin_locked().await?;
    let Some((run, started, stopped)) = latest_run_for(&mut tx, pack_id, None).await? else {
        return Err(BackendError::NotFound(format!(
            "pack `{pack_id}` has no shadow run"
        )));
    };
    let acknowledged = sqlx::query(
        "UPDATE observations SET acknowledged_by = $1 \
         WHERE shadow_id = $2 AND diverged = 1 AND acknowledged_by IS NULL",
    )
    .bind(&actor.username)
    .bind(run.id)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    let now = now_millis();
    audit::append(
        &mut tx,
        now,
        &audit::Event {
            actor: &actor.username,
            action: "shadow.acknowledge",
            pack_id,
            digest: &run.candidate_digest,
            detail: serde_json::json!({"shadow_id": run.id, "acknowledged": acknowledged}),
        },
    )
    .await
    .map_err(db_error)?;
    let summary = summarize(&mut tx, run, started, stopped).await?;
    service.commit(tx, Vec::new()).await?;
    Ok(summary)
}

/// Decision-log rows exported per page of `GET /api/packs/{pack}/decisions.jsonl`.
pub const EXPORT_PAGE: i64 = 2000;

/// One page of a pack's decision log as JSONL (the shape `cavra policy replay` reads), rows with
/// `id > after` in id order; returns the text and the last id (None when the page is empty).
pub async fn decision_log_page(
    service: &Service,
    pack_id: &str,
    after: i64,
) -> Result<(String, Option<i64>)> {
    let mut conn = service.conn().await?;
    if after == 0 {
        pack_row(&mut conn, pack_id).await?;
    }
    let rows = sqlx::query(
        "SELECT id, policy_digest, input_json, decision, rule_id, severity, at FROM decision_log \
         WHERE pack_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(pack_id)
    .bind(after)
    .bind(EXPORT_PAGE)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let mut text = String::new();
    let mut last = None;
    for row in rows {
        let id: i64 = row.try_get(0).map_err(db_error)?;
        let input: String = row.try_get(2).map_err(db_error)?;
        let input: serde_json::Value =
            serde_json::from_str(&input).unwrap_or(serde_json::Value::String(input));
        let line = serde_json::json!({
            "id": id,
            "pack": pack_id,
            "policy_digest": row.try_get::<String, _>(1).map_err(db_error)?,
            "input": input,
            "decision": row.try_get::<String, _>(3).map_err(db_error)?,
            "rule_id": row.try_get::<String, _>(4).map_err(db_error)?,
            "severity": row.try_get::<String, _>(5).map_err(db_error)?,
            "at": rfc3339(row.try_get(6).map_err(db_error)?),
        });
        text.push_str(&line.to_string());
        text.push('\n');
        last = Some(id);
    }
    Ok((text, last))
}
