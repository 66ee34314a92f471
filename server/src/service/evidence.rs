//! Signed evidence packets: at each gate event the service builds CAVRA's readiness packet for
//! the digest, signs its exact bytes and stores both with the event's transaction, under an
//! `evidence.sign` audit entry that vouches for the stored row.

use app::backend::{BackendError, EvidencePacket, GateReport};
use lifecycle::invariants::InvariantReport;
use lifecycle::plan::{build_plan, PlanInput, PlanTimestamps};
use lifecycle::value::Value;

use super::{rfc3339, PendingFile, Result, Service, Write};
use crate::store;

/// The dry-run fixtures of a pack: its `cases.yaml` when imported with one, else CAVRA's six.
pub(crate) fn fixtures(pack: &store::packs::PackRow) -> Option<Vec<serde_json::Value>> {
    let cases = pack.cases_yaml.as_deref()?;
    match lifecycle::dry_run::parse_cases_yaml(cases) {
        Ok(mut list) => {
            // The six required cases always run, so a pack's own cases add to them.
            let mut all = lifecycle::dry_run::default_fixtures();
            all.append(&mut list);
            Some(all)
        }
        Err(error) => {
            tracing::warn!(%error, "ignoring unreadable cases.yaml");
            None
        }
    }
}

/// The proofs of a pack's invariants for a version's loaded `policy`, and the gate's blocker
/// texts: every declaration problem of the stored `cases.yaml` (so a malformed invariant fails
/// closed instead of vanishing) and every invariant not proved. `None` when the pack declares
/// no invariants. The proof runs on a blocking thread: its budget allows seconds of work.
pub(crate) async fn prove_invariants(
    pack: &store::packs::PackRow,
    policy: &Value,
) -> Result<Option<(InvariantReport, Vec<String>)>> {
    let Some(cases) = pack.cases_yaml.clone() else {
        return Ok(None);
    };
    let policy = policy.clone();
    let proved = tokio::task::spawn_blocking(move || {
        let parsed = lifecycle::invariants::parse_invariants(&cases);
        if parsed.invariants.is_empty() && !parsed.has_blockers() {
            return None;
        }
        let report = lifecycle::invariants::prove_invariants(
            &policy,
            &parsed.invariants,
            lifecycle::invariants::GATE_STATE_BUDGET,
        );
        let mut blockers: Vec<String> = parsed
            .blocker_texts(&cases)
            .into_iter()
            .map(|text| format!("cases.yaml: {text}"))
            .collect();
        blockers.extend(report.blockers());
        Some((report, blockers))
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "proving invariants failed");
        BackendError::Unavailable
    })?;
    Ok(proved)
}

/// What an event adds to its packet's decision record.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Extra<'a> {
    /// The gate report the event acted on (promotion, rollback).
    pub gate: Option<&'a GateReport>,
    /// The reason of a break-glass action, which skipped the approval check.
    pub break_glass: Option<&'a str>,
}

/// The facts behind a packet, after CAVRA's fields: the pack's approval rule, who contributed
/// to the digest, every request and sign-off (with rejections and withdrawals), the gate inputs
/// and any break-glass reason. CAVRA's validator ignores fields it does not know.
async fn decision_record(
    write: &mut Write,
    pack: &store::packs::PackRow,
    digest: &str,
    event: &str,
    extra: Extra<'_>,
) -> Result<serde_json::Value> {
    let contributors: Vec<String> = store::contributors::of_version(write, &pack.id, digest)
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    let requests: Vec<_> = store::approvals::of_digest(write, &pack.id, digest)
        .await?
        .into_iter()
        .map(|row| {
            serde_json::json!({
                "id": row.id,
                "kind": row.kind,
                "groups": row.groups.0,
                "requested_by": row.requested_by,
                "created_at": rfc3339(row.created_at),
                "consumed_at": row.consumed_at.map(rfc3339),
            })
        })
        .collect();
    let signoffs: Vec<_> = store::approvals::signoffs_of_digest(write, &pack.id, digest)
        .await?
        .iter()
        .map(|row| {
            let mut value = serde_json::to_value(row.record()).unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert("request_id".into(), row.request_id.into());
                map.insert("kind".into(), row.kind.clone().into());
            }
            value
        })
        .collect();
    Ok(serde_json::json!({
        "schema_version": "cavra-server.decision-record.v1",
        "event": event,
        "actor": write.actor(),
        "at": rfc3339(write.now()),
        "pack_id": pack.id,
        "digest": digest,
        "enforced_digest": pack.enforced_digest,
        "approval_rule": pack.approval_rule(),
        "contributors": contributors,
        "approval_requests": requests,
        "signoffs": signoffs,
        "gate": extra.gate,
        "break_glass": extra.break_glass.map(|reason| serde_json::json!({
            "by": write.actor(),
            "reason": reason,
        })),
    }))
}

/// Builds, signs and stores the readiness packet for a digest at a gate event of `write`;
/// returns its id. The file copy is written after the transaction commits.
pub(crate) async fn record(
    service: &Service,
    write: &mut Write,
    pack_id: &str,
    digest: &str,
    event: &str,
    extra: Extra<'_>,
) -> Result<i64> {
    let now = write.now();
    let pack = store::packs::get(write, pack_id).await?;
    let policy = store::versions::value(write, pack_id, digest).await?;
    let previous = match pack.enforced_digest.as_deref() {
        Some(enforced) if enforced != digest => {
            Some(store::versions::value(write, pack_id, enforced).await?)
        }
        _ => None,
    };
    let fixtures = fixtures(&pack);
    let at = rfc3339(now);
    let source_ref = format!("cavra://packs/{pack_id}/versions/{digest}");
    let review_ref = format!("cavra://packs/{pack_id}/approvals");
    let mut input = PlanInput::new(&policy, PlanTimestamps::fixed(&at));
    input.previous = previous.as_ref();
    input.policy_pack = Some(pack_id);
    input.requested_by = write.actor();
    input.source_ref = &source_ref;
    input.review_workflow_ref = &review_ref;
    input.actions = fixtures.as_deref();
    let mut plan = build_plan(&input);
    // The approver groups the packet claims are the ones the gate enforces.
    plan.approval_workflow.approver_groups = pack
        .approval_rule()
        .promotion
        .iter()
        .map(|g| g.group.clone())
        .collect();
    let short = digest
        .trim_start_matches("sha256:")
        .get(..12)
        .unwrap_or(digest);
    let evidence = lifecycle::packet::OperatingEvidence {
        ci_run_ref: format!("cavra-server://{pack_id}/{short}/{event}/{now}"),
        policy_review_ref: review_ref.clone(),
        ui_validation_ref: format!("cavra-server://audit/{pack_id}/{short}"),
    };
    let mut packet = lifecycle::packet::build_packet(&plan, &evidence, "live");
    packet.invariants = prove_invariants(&pack, &policy)
        .await?
        .map(|(report, _)| report);
    let mut json = packet.to_json();
    let record = decision_record(write, &pack, digest, event, extra).await?;
    if let Some(map) = json.as_object_mut() {
        map.insert("decision_record".into(), record);
    }
    let mut bytes = serde_json::to_vec_pretty(&json).map_err(|error| {
        tracing::error!(%error, "serialising a packet failed");
        BackendError::Unavailable
    })?;
    bytes.push(b'\n');
    let signature = service.signer().sign(&bytes);
    let file_name = format!("{now}-{event}-{short}.json");
    let text = String::from_utf8(bytes.clone()).map_err(|_| BackendError::Unavailable)?;
    let sha256 = crate::evidence::sha256_hex(&bytes);
    let id = store::evidence::insert(
        write,
        &store::evidence::NewPacket {
            pack_id,
            digest,
            event,
            packet_json: &text,
            sha256: &sha256,
            signature: &signature,
            public_key: &service.signer().public_hex(),
            file_name: &file_name,
            created_at: now,
        },
    )
    .await?;
    let detail = serde_json::json!({"evidence_id": id, "event": event, "sha256": sha256});
    write
        .audit("evidence.sign", pack_id, digest, detail)
        .await?;
    write.attach(PendingFile {
        pack_id: pack_id.to_owned(),
        file_name,
        bytes,
        signature,
    });
    Ok(id)
}

/// Evidence packets of a pack, newest first, without their bytes.
pub async fn list(service: &Service, pack_id: &str) -> Result<Vec<EvidencePacket>> {
    let mut conn = service.conn().await?;
    Ok(store::evidence::list(&mut conn, pack_id).await?)
}

/// One packet with its bytes and signature.
pub async fn get(service: &Service, evidence_id: i64) -> Result<EvidencePacket> {
    let mut conn = service.conn().await?;
    Ok(store::evidence::get(&mut conn, evidence_id).await?)
}
