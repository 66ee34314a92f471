//! The promotion gate, promotion, rollback, enforcement history and signed evidence packets.
//!
//! Promotion is race-safe across replicas twice over: the lifecycle lock serialises writers, and
//! the pointer moves with a conditional `UPDATE … WHERE enforced_seq = $seen`, so of two parallel
//! promotions exactly one succeeds.

use sqlx::{AnyConnection, Row as _};

use app::backend::{
    Actor, BackendError, Enforcement, EvidencePacket, GateCheck, GateReport, HistoryEntry,
};
use lifecycle::plan::{build_plan, PlanInput, PlanTimestamps};

use super::approvals::missing_approvals;
use super::authoring::{fixtures, not_found_version, pack_row, version_value};
use super::shadow::{latest_run_for, stop_in, summarize};
use super::{db_error, now_millis, require_role, rfc3339, PendingFile, Result, Service, AUTHORS};
use crate::audit;

/// Evaluates the promotion gate for a digest: lint, dry run, shadow criteria, approvals.
pub async fn evaluate(
    service: &Service,
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
) -> Result<GateReport> {
    let pack = pack_row(conn, pack_id).await?;
    let row = sqlx::query(
        "SELECT lint_blockers, dry_run_passed, dry_run_report FROM versions \
         WHERE pack_id = $1 AND digest = $2",
    )
    .bind(pack_id)
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?
    .ok_or_else(|| not_found_version(pack_id, digest))?;
    let blockers: i64 = row.try_get(0).map_err(db_error)?;
    let dry_run_passed = row.try_get::<i64, _>(1).map_err(db_error)? != 0;
    let dry_run_report: String = row.try_get(2).map_err(db_error)?;
    let mut checks = Vec::new();

    let mut missing = Vec::new();
    if pack.enforced_digest.as_deref() == Some(digest) {
        missing.push(format!("`{digest}` is already the enforced version"));
    }
    checks.push(check("enforcement", missing));

    let mut missing = Vec::new();
    if blockers > 0 {
        missing.push(format!("lint reports {blockers} blocker(s)"));
    }
    checks.push(check("lint", missing));

    let mut missing = Vec::new();
    if !dry_run_passed {
        let report: lifecycle::dry_run::DryRunReport =
            serde_json::from_str(&dry_run_report).map_err(|_| BackendError::Unavailable)?;
        for result in report.results.iter().filter(|r| !r.passed) {
            missing.push(format!(
                "dry-run case `{}` expected {} but got {}",
                result.case_id, result.expected_decision, result.decision.decision
            ));
        }
        if !report.required_cases_present {
            missing.push("the dry run does not cover CAVRA's six required cases".into());
        }
    }
    checks.push(check("dry_run", missing));

    let criteria = &service.config().shadow;
    let mut missing = Vec::new();
    match latest_run_for(conn, pack_id, Some(digest)).await? {
        None => missing.push(format!("no shadow run of `{digest}`")),
        Some((run, started, stopped)) => {
            if pack.enforced_digest.as_deref() != Some(run.enforced_digest.as_str()) {
                missing.push(format!(
                    "the shadow run compared against `{}`, which is no longer enforced",
                    run.enforced_digest
                ));
            }
            let summary = summarize(conn, run, started, stopped).await?;
            if summary.observed_secs < criteria.min_observed_secs {
                missing.push(format!(
                    "shadow observed for {} s of the required {} s",
                    summary.observed_secs, criteria.min_observed_secs
                ));
            }
            if summary.observations < criteria.min_observations {
                missing.push(format!(
                    "{} shadow observation(s) of the required {}",
                    summary.observations, criteria.min_observations
                ));
            }
            if summary.unacknowledged > criteria.max_unacknowledged {
                let kinds: Vec<String> = summary
                    .by_flip
                    .iter()
                    .map(|(kind, count)| format!("{kind}: {count}"))
                    .collect();
                missing.push(format!(
                    "{} unacknowledged shadow divergence(s) (at most {} allowed; {})",
                    summary.unacknowledged,
                    criteria.max_unacknowledged,
                    kinds.join(", ")
                ));
            }
        }
    }
    checks.push(check("shadow", missing));

    checks.push(check(
        "approvals",
        missing_approvals(conn, pack_id, digest, "promotion").await?,
    ));
    Ok(GateReport {
        pack_id: pack_id.to_owned(),
        digest: digest.to_owned(),
        ready: checks.iter().all(|c| c.passed),
        checks,
    })
}

fn check(name: &str, missing: Vec<String>) -> GateCheck {
    GateCheck {
        name: name.to_owned(),
        passed: missing.is_empty(),
        missing,
    }
}

fn refusal(what: &str, report: &GateReport) -> BackendError {
    let missing: Vec<String> = report
        .checks
        .iter()
        .flat_map(|c| c.missing.iter().map(move |m| format!("{}: {m}", c.name)))
        .collect();
    BackendError::Refused {
        message: format!(
            "{what} of `{}` refused: {} item(s) missing",
            report.digest,
            missing.len()
        ),
        missing,
    }
}

/// Moves the enforced pointer if nobody else moved it since `seen_seq`.
#[expect(
    clippy::too_many_arguments,
    reason = "one history row's fields; a struct would only rename them"
)]
async fn move_pointer(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    seen_seq: i64,
    action: &str,
    actor: &str,
    reason: &str,
    now: i64,
) -> Result<i64> {
    let moved = sqlx::query(
        "UPDATE packs SET enforced_digest = $1, enforced_seq = enforced_seq + 1, enforced_at = $2 \
         WHERE id = $3 AND enforced_seq = $4",
    )
    .bind(digest)
    .bind(now)
    .bind(pack_id)
    .bind(seen_seq)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?
    .rows_affected();
    if moved != 1 {
        return Err(BackendError::Conflict {
            message: format!(
                "the enforced version of `{pack_id}` changed meanwhile; reload and retry"
            ),
            current_revision: None,
        });
    }
    let seq = seen_seq + 1;
    sqlx::query(
        "INSERT INTO enforcement_history (pack_id, seq, digest, action, actor_name, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(pack_id)
    .bind(seq)
    .bind(digest)
    .bind(action)
    .bind(actor)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(seq)
}

/// Promotes a digest to enforced when the gate passes; otherwise refuses with every missing item.
pub async fn promote(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
) -> Result<Enforcement> {
    require_role(actor, AUTHORS, "promoting")?;
    let mut tx = service.begin_locked().await?;
    let pack = pack_row(&mut tx, pack_id).await?;
    let report = evaluate(service, &mut tx, pack_id, digest).await?;
    if !report.ready {
        return Err(refusal("promotion", &report));
    }
    let now = now_millis();
    let (evidence_id, file) = write_evidence(
        service,
        &mut tx,
        pack_id,
        digest,
        "promotion",
        &actor.username,
        now,
    )
    .await?;
    let seq = move_pointer(
        &mut tx,
        pack_id,
        digest,
        pack.enforced_seq,
        "promote",
        &actor.username,
        "promotion gate passed",
        now,
    )
    .await?;
    stop_in(&mut tx, pack_id, now).await?;
    audit::append(
        &mut tx,
        now,
        &audit::Event {
            actor: &actor.username,
            action: "promote",
            pack_id,
            digest,
            detail: serde_json::json!({
                "previous_digest": pack.enforced_digest,
                "enforced_seq": seq,
                "evidence_id": evidence_id,
            }),
        },
    )
    .await
    .map_err(db_error)?;
    service.commit(tx, vec![file]).await?;
    tracing::info!(pack_id, digest, "promoted");
    Ok(Enforcement {
        pack_id: pack_id.to_owned(),
        digest: digest.to_owned(),
        previous_digest: pack.enforced_digest,
        seq,
        evidence_id,
        steps: Vec::new(),
    })
}

/// Rolls back to a previously enforced digest, carrying out CAVRA's rollback plan steps.
pub async fn rollback(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
    reason: &str,
) -> Result<Enforcement> {
    require_role(actor, AUTHORS, "rolling back")?;
    let mut tx = service.begin_locked().await?;
    // Step 1, "Freeze new policy promotion.": the lifecycle lock is held from here to commit.
    let pack = pack_row(&mut tx, pack_id).await?;
    let current_digest = pack.enforced_digest.clone().ok_or_else(|| {
        BackendError::Invalid(format!("pack `{pack_id}` has no enforced version"))
    })?;
    if current_digest == digest {
        return Err(BackendError::Invalid(format!(
            "`{digest}` is already enforced"
        )));
    }
    let known_good =
        sqlx::query("SELECT 1 FROM enforcement_history WHERE pack_id = $1 AND digest = $2")
            .bind(pack_id)
            .bind(digest)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
            .is_some();
    if !known_good {
        return Err(BackendError::Invalid(format!(
            "`{digest}` was never enforced for `{pack_id}`; rollback targets a known-good version"
        )));
    }
    let current = version_value(&mut tx, pack_id, &current_digest).await?;
    // Step 2, "Restore previous policy YAML": the immutable version, checked against its digest.
    let target = version_value(&mut tx, pack_id, digest).await?;
    let mut missing = Vec::new();
    if lifecycle::digest::policy_digest(&target) != digest {
        missing.push(format!(
            "restore: the stored content of `{digest}` no longer matches its digest"
        ));
    }
    let plan =
        lifecycle::plan::build_rollback_plan(&current, Some(&target), reason, &actor.username);
    // Step 3: dry run of the rollback candidate, and the decision impact against the current one.
    let dry_run =
        lifecycle::dry_run::build_dry_run_report(&target, fixtures(&pack).as_deref(), pack_id);
    if !dry_run.passed {
        missing.push(format!(
            "dry_run: the rollback candidate fails {} case(s)",
            dry_run.failed_count
        ));
    }
    let impact = lifecycle::diff::decision_impact(&current, &target);
    // Step 4: approval, as the plan requires.
    if plan.approval_required {
        for item in missing_approvals(&mut tx, pack_id, digest, "rollback").await? {
            missing.push(format!("approvals: {item}"));
        }
    }
    if !missing.is_empty() {
        return Err(BackendError::Refused {
            message: format!(
                "rollback to `{digest}` refused: {} item(s) missing",
                missing.len()
            ),
            missing,
        });
    }
    let now = now_millis();
    // Step 5: publish through the catalog (move the enforced pointer), stopping any shadow run.
    let seq = move_pointer(
        &mut tx,
        pack_id,
        digest,
        pack.enforced_seq,
        "rollback",
        &actor.username,
        reason,
        now,
    )
    .await?;
    stop_in(&mut tx, pack_id, now).await?;
    // Step 6: attach the evidence bundle.
    let (evidence_id, file) = write_evidence(
        service,
        &mut tx,
        pack_id,
        digest,
        "rollback",
        &actor.username,
        now,
    )
    .await?;
    let steps: Vec<String> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let done = match index {
                0 => "lifecycle lock held; active shadow run stopped".to_owned(),
                1 => format!("restored immutable version `{digest}`"),
                2 => format!(
                    "dry run passed {}/{}; {} decision flip(s) against `{current_digest}`",
                    dry_run.passed_count, dry_run.case_count, impact.flip_count
                ),
                3 => "rollback approval present".to_owned(),
                4 => format!("enforced pointer moved to sequence {seq}"),
                _ => format!("evidence packet {evidence_id} signed"),
            };
            format!("{step} Done: {done}.")
        })
        .collect();
    audit::append(
        &mut tx,
        now,
        &audit::Event {
            actor: &actor.username,
            action: "rollback",
            pack_id,
            digest,
            detail: serde_json::json!({
                "previous_digest": current_digest,
                "enforced_seq": seq,
                "reason": reason,
                "rollback_ref": plan.rollback_ref,
                "evidence_id": evidence_id,
            }),
        },
    )
    .await
    .map_err(db_error)?;
    service.commit(tx, vec![file]).await?;
    tracing::info!(pack_id, digest, "rolled back");
    Ok(Enforcement {
        pack_id: pack_id.to_owned(),
        digest: digest.to_owned(),
        previous_digest: Some(current_digest),
        seq,
        evidence_id,
        steps,
    })
}

/// Enforcement history of a pack, oldest first.
pub async fn history(service: &Service, pack_id: &str) -> Result<Vec<HistoryEntry>> {
    let mut conn = service.conn().await?;
    pack_row(&mut conn, pack_id).await?;
    sqlx::query(
        "SELECT seq, digest, action, actor_name, reason, at FROM enforcement_history \
         WHERE pack_id = $1 ORDER BY seq",
    )
    .bind(pack_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?
    .iter()
    .map(|row| {
        Ok(HistoryEntry {
            seq: row.try_get(0).map_err(db_error)?,
            digest: row.try_get(1).map_err(db_error)?,
            action: row.try_get(2).map_err(db_error)?,
            actor: row.try_get(3).map_err(db_error)?,
            reason: row.try_get(4).map_err(db_error)?,
            at: rfc3339(row.try_get(5).map_err(db_error)?),
        })
    })
    .collect()
}

/// Builds, signs and stores the readiness packet for a digest at a gate event. The file is
/// written after the transaction commits.
pub(crate) async fn write_evidence(
    service: &Service,
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    event: &str,
    actor: &str,
    now: i64,
) -> Result<(i64, PendingFile)> {
    let pack = pack_row(conn, pack_id).await?;
    let policy = version_value(conn, pack_id, digest).await?;
    let previous = match pack.enforced_digest.as_deref() {
        Some(enforced) if enforced != digest => Some(version_value(conn, pack_id, enforced).await?),
        _ => None,
    };
    let fixtures = fixtures(&pack);
    let at = rfc3339(now);
    let source_ref = format!("cavra://packs/{pack_id}/versions/{digest}");
    let review_ref = format!("cavra://packs/{pack_id}/approvals");
    let mut input = PlanInput::new(&policy, PlanTimestamps::fixed(&at));
    input.previous = previous.as_ref();
    input.policy_pack = Some(pack_id);
    input.requested_by = actor;
    input.source_ref = &source_ref;
    input.review_workflow_ref = &review_ref;
    input.actions = fixtures.as_deref();
    let plan = build_plan(&input);
    let short = digest
        .trim_start_matches("sha256:")
        .get(..12)
        .unwrap_or(digest);
    let evidence = lifecycle::packet::OperatingEvidence {
        ci_run_ref: format!("cavra-server://{pack_id}/{short}/{event}/{now}"),
        policy_review_ref: review_ref.clone(),
        ui_validation_ref: format!("cavra-server://audit/{pack_id}/{short}"),
    };
    let packet = lifecycle::packet::build_packet(&plan, &evidence, "live");
    let mut bytes =
        serde_json::to_vec_pretty(&packet.to_json()).map_err(|_| BackendError::Unavailable)?;
    bytes.push(b'\n');
    let signature = service.signer().sign(&bytes);
    let sha256 = crate::evidence::sha256_hex(&bytes);
    let file_name = format!("{now}-{event}-{short}.json");
    let text = String::from_utf8(bytes.clone()).map_err(|_| BackendError::Unavailable)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO evidence_packets (pack_id, digest, event, packet_json, sha256, signature, public_key, file_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(pack_id)
    .bind(digest)
    .bind(event)
    .bind(&text)
    .bind(&sha256)
    .bind(&signature)
    .bind(service.signer().public_hex())
    .bind(&file_name)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok((
        id,
        PendingFile {
            pack_id: pack_id.to_owned(),
            file_name,
            bytes,
            signature,
        },
    ))
}

const EVIDENCE_COLUMNS: &str =
    "id, pack_id, digest, event, sha256, file_name, created_at, signature, public_key";

fn evidence_from_row(row: &sqlx::any::AnyRow, packet: String) -> Result<EvidencePacket> {
    Ok(EvidencePacket {
        id: row.try_get(0).map_err(db_error)?,
        pack_id: row.try_get(1).map_err(db_error)?,
        digest: row.try_get(2).map_err(db_error)?,
        event: row.try_get(3).map_err(db_error)?,
        sha256: row.try_get(4).map_err(db_error)?,
        file_name: row.try_get(5).map_err(db_error)?,
        created_at: rfc3339(row.try_get(6).map_err(db_error)?),
        signature: row.try_get(7).map_err(db_error)?,
        public_key: row.try_get(8).map_err(db_error)?,
        packet,
    })
}

/// Evidence packets of a pack, newest first, without their bytes.
pub async fn list_evidence(service: &Service, pack_id: &str) -> Result<Vec<EvidencePacket>> {
    sqlx::query(&format!(
        "SELECT {EVIDENCE_COLUMNS} FROM evidence_packets WHERE pack_id = $1 ORDER BY id DESC"
    ))
    .bind(pack_id)
    .fetch_all(service.db().pool())
    .await
    .map_err(db_error)?
    .iter()
    .map(|row| evidence_from_row(row, String::new()))
    .collect()
}

/// One packet with its bytes and signature.
pub async fn get_evidence(service: &Service, evidence_id: i64) -> Result<EvidencePacket> {
    let row = sqlx::query(&format!(
        "SELECT {EVIDENCE_COLUMNS}, packet_json FROM evidence_packets WHERE id = $1"
    ))
    .bind(evidence_id)
    .fetch_optional(service.db().pool())
    .await
    .map_err(db_error)?
    .ok_or_else(|| BackendError::NotFound(format!("no evidence packet {evidence_id}")))?;
    let packet: String = row.try_get(9).map_err(db_error)?;
    evidence_from_row(&row, packet)
}
