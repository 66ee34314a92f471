//! The promotion gate, promotion, rollback, enforcement history and signed evidence packets.
//!
//! Promotion is race-safe across replicas twice over: the lifecycle lock serialises writers, and
//! the pointer moves with a conditional `UPDATE … WHERE enforced_seq = $seen`, so of two parallel
//! promotions exactly one succeeds.

use sqlx::AnyConnection;

use app::backend::{
    Actor, BackendError, DivergenceSummary, Enforcement, GateCheck, GateReport, HistoryEntry, Role,
    ShadowRule,
};

use super::approvals::standing;
use super::evidence::{fixtures, Extra};
use super::shadow::{stop_active, summarize};
use super::{require_role, Result, Service, Write, AUTHORS};
use crate::store;

/// Evaluates the promotion gate for a digest: lint, dry run, the pack's invariants, shadow
/// criteria, approvals.
pub async fn evaluate(
    service: &Service,
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
) -> Result<GateReport> {
    let pack = store::packs::get(conn, pack_id).await?;
    let facts = store::versions::gate_facts(conn, pack_id, digest).await?;
    let blockers = facts.lint_blockers;
    let dry_run_passed = facts.dry_run_passed != 0;
    let dry_run_report = facts.dry_run_report;
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

    // The pack's invariants, proved for this version (a malformed `cases.yaml` fails closed).
    let policy = store::versions::value(conn, pack_id, digest).await?;
    let missing = match super::evidence::prove_invariants(&pack, &policy).await? {
        Some((_, blockers)) => blockers,
        None => Vec::new(),
    };
    checks.push(check("invariants", missing));

    let criteria = &service.config().shadow;
    let rule = pack.shadow_rule(&criteria.default_rule());
    let mut missing = Vec::new();
    match store::shadow::latest(conn, pack_id, Some(digest)).await? {
        None => missing.push(format!("no shadow run of `{digest}`")),
        Some(run) => {
            if pack.enforced_digest.as_deref() != Some(run.enforced_digest.as_str()) {
                missing.push(format!(
                    "the shadow run compared against `{}`, which is no longer enforced",
                    run.enforced_digest
                ));
            }
            let summary = summarize(conn, run).await?;
            missing.extend(shadow_shortfalls(
                &summary,
                &rule,
                criteria.max_unacknowledged,
            ));
        }
    }
    checks.push(check("shadow", missing));

    let now = super::now_millis();
    let approvals = standing(conn, &pack, digest, "promotion", now).await?;
    checks.push(check("approvals", approvals.missing));
    Ok(GateReport {
        pack_id: pack_id.to_owned(),
        digest: digest.to_owned(),
        ready: checks.iter().all(|c| c.passed),
        checks,
    })
}

/// What a shadow run still lacks under the pack's rule. Only authenticated observations count
/// (the summary's totals are the sums of its per-runtime rows).
fn shadow_shortfalls(
    summary: &DivergenceSummary,
    rule: &ShadowRule,
    max_unacknowledged: i64,
) -> Vec<String> {
    let mut missing = Vec::new();
    if summary.observations < i64::from(rule.min_observations) {
        missing.push(format!(
            "{} authenticated shadow observation(s) of the required {}",
            summary.observations, rule.min_observations
        ));
    }
    let runtimes = summary.by_runtime.len();
    if runtimes < rule.min_runtimes as usize {
        let seen: Vec<String> = summary
            .by_runtime
            .iter()
            .map(|r| format!("{}: {}", r.runtime, r.observations))
            .collect();
        missing.push(format!(
            "observations from {runtimes} distinct runtime(s) of the required {}{}",
            rule.min_runtimes,
            if seen.is_empty() {
                String::new()
            } else {
                format!(" ({})", seen.join(", "))
            }
        ));
    }
    let span = u64::try_from(summary.traffic_secs.max(0)).unwrap_or(0);
    if span < rule.min_observed_secs {
        missing.push(format!(
            "authenticated shadow traffic spans {span} s of the required {} s",
            rule.min_observed_secs
        ));
    }
    if summary.unacknowledged > max_unacknowledged {
        let kinds: Vec<String> = summary
            .by_flip
            .iter()
            .map(|(kind, count)| format!("{kind}: {count}"))
            .collect();
        missing.push(format!(
            "{} unacknowledged shadow divergence(s) (at most {max_unacknowledged} allowed; {})",
            summary.unacknowledged,
            kinds.join(", ")
        ));
    }
    missing
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

/// Moves the enforced pointer if nobody else moved it since `seen_seq`, and records the move.
async fn move_pointer(
    write: &mut Write,
    pack_id: &str,
    digest: &str,
    seen_seq: i64,
    action: &str,
    reason: &str,
) -> Result<i64> {
    let now = write.now();
    if !store::packs::move_pointer(write, pack_id, digest, seen_seq, now).await? {
        return Err(BackendError::Conflict {
            message: format!(
                "the enforced version of `{pack_id}` changed meanwhile; reload and retry"
            ),
            current_revision: None,
        });
    }
    let seq = seen_seq + 1;
    let actor = write.actor().to_owned();
    let entry = store::history::Move {
        pack_id,
        seq,
        digest,
        action,
        actor: &actor,
        reason,
        at: now,
    };
    store::history::insert(write, &entry).await?;
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
    enforce(service, actor, pack_id, digest, None).await
}

/// Break-glass: an admin enforces a digest without the approval and shadow checks, with a
/// reason. Lint, the dry run and the invariants must still pass; it is audited, recorded and flagged in the
/// packet.
pub async fn break_glass(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
    action: &str,
    reason: &str,
) -> Result<Enforcement> {
    require_role(actor, &[Role::Admin], "break-glass")?;
    let reason = reason.trim();
    super::limits::check_chars("a reason", reason, super::limits::MAX_REASON_CHARS)?;
    if reason.chars().count() < 10 {
        return Err(BackendError::Invalid(format!(
            "break-glass needs a reason of 10 to {} characters",
            super::limits::MAX_REASON_CHARS
        )));
    }
    match action {
        "promote" => enforce(service, actor, pack_id, digest, Some(reason)).await,
        "rollback" => roll_back(service, actor, pack_id, digest, reason, true).await,
        other => Err(BackendError::Invalid(format!(
            "break-glass action `{other}` is not one of promote, rollback"
        ))),
    }
}

async fn enforce(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
    break_glass: Option<&str>,
) -> Result<Enforcement> {
    let mut write = service.begin_write(&actor.username).await?;
    let pack = store::packs::get(&mut write, pack_id).await?;
    let report = evaluate(service, &mut write, pack_id, digest).await?;
    let skippable = |name: &str| break_glass.is_some() && (name == "approvals" || name == "shadow");
    if report
        .checks
        .iter()
        .any(|c| !c.passed && !skippable(&c.name))
    {
        return Err(refusal("promotion", &report));
    }
    let now = write.now();
    if let Some(reason) = break_glass {
        let entry = store::contributors::BreakGlass {
            pack_id,
            digest,
            action: "promote",
            user_id: actor.id,
            reason,
            at: now,
        };
        let id = store::contributors::record_break_glass(&mut write, &entry).await?;
        let skipped: Vec<&str> = report
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name.as_str())
            .collect();
        let detail =
            serde_json::json!({"break_glass_id": id, "reason": reason, "skipped": skipped});
        write
            .audit("break_glass.promote", pack_id, digest, detail)
            .await?;
    }
    // The approvals were for this promotion: spent now (after break-glass too, so they cannot
    // be replayed for a later return).
    let spent = store::approvals::consume(
        &mut write,
        pack_id,
        digest,
        &["promotion"],
        &actor.username,
        now,
    )
    .await?;
    let extra = Extra {
        gate: Some(&report),
        break_glass,
    };
    let evidence_id =
        super::evidence::record(service, &mut write, pack_id, digest, "promotion", extra).await?;
    let seq = move_pointer(
        &mut write,
        pack_id,
        digest,
        pack.enforced_seq,
        "promote",
        break_glass.unwrap_or("promotion gate passed"),
    )
    .await?;
    stop_active(&mut write, pack_id).await?;
    let detail = serde_json::json!({
        "previous_digest": pack.enforced_digest,
        "enforced_seq": seq,
        "evidence_id": evidence_id,
        "break_glass": break_glass.is_some(),
        "request_id": spent,
    });
    write.audit("promote", pack_id, digest, detail).await?;
    service.commit(write).await?;
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
    super::limits::check_chars("a reason", reason, super::limits::MAX_REASON_CHARS)?;
    roll_back(service, actor, pack_id, digest, reason, false).await
}

async fn roll_back(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    digest: &str,
    reason: &str,
    break_glass: bool,
) -> Result<Enforcement> {
    let mut write = service.begin_write(&actor.username).await?;
    // Step 1, "Freeze new policy promotion.": the lifecycle lock is held from here to commit.
    let pack = store::packs::get(&mut write, pack_id).await?;
    let current_digest = pack.enforced_digest.clone().ok_or_else(|| {
        BackendError::Invalid(format!("pack `{pack_id}` has no enforced version"))
    })?;
    if current_digest == digest {
        return Err(BackendError::Invalid(format!(
            "`{digest}` is already enforced"
        )));
    }
    if !store::history::was_enforced(&mut write, pack_id, digest).await? {
        return Err(BackendError::Invalid(format!(
            "`{digest}` was never enforced for `{pack_id}`; rollback targets a known-good version"
        )));
    }
    let current = store::versions::value(&mut write, pack_id, &current_digest).await?;
    // Step 2, "Restore previous policy YAML": the immutable version, checked against its digest.
    let target = store::versions::value(&mut write, pack_id, digest).await?;
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
    if let Some((_, blockers)) = super::evidence::prove_invariants(&pack, &target).await? {
        missing.extend(blockers.into_iter().map(|b| format!("invariants: {b}")));
    }
    let impact = lifecycle::diff::decision_impact(&current, &target);
    // Step 4: approval. Every rollback needs the pack's rollback rule (Platform Security at
    // least), whatever the plan says; only break-glass skips it, on the record.
    let now = write.now();
    let approvals = standing(&mut write, &pack, digest, "rollback", now).await?;
    if !break_glass {
        for item in &approvals.missing {
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
    if break_glass {
        let entry = store::contributors::BreakGlass {
            pack_id,
            digest,
            action: "rollback",
            user_id: actor.id,
            reason,
            at: now,
        };
        let id = store::contributors::record_break_glass(&mut write, &entry).await?;
        let detail = serde_json::json!({
            "break_glass_id": id,
            "reason": reason,
            "skipped": if approvals.approved() { Vec::<String>::new() } else { approvals.missing.clone() },
        });
        write
            .audit("break_glass.rollback", pack_id, digest, detail)
            .await?;
    }
    let mut spent = store::approvals::consume(
        &mut write,
        pack_id,
        digest,
        &["rollback"],
        &actor.username,
        now,
    )
    .await?;
    // Leaving a version spends every approval it had: to return, it needs fresh ones.
    spent.extend(
        store::approvals::consume(
            &mut write,
            pack_id,
            &current_digest,
            &["promotion", "rollback"],
            &actor.username,
            now,
        )
        .await?,
    );
    // Step 5: publish through the catalog (move the enforced pointer), stopping any shadow run.
    let seq = move_pointer(
        &mut write,
        pack_id,
        digest,
        pack.enforced_seq,
        "rollback",
        reason,
    )
    .await?;
    stop_active(&mut write, pack_id).await?;
    // Step 6: attach the evidence bundle.
    let extra = Extra {
        gate: None,
        break_glass: break_glass.then_some(reason),
    };
    let evidence_id =
        super::evidence::record(service, &mut write, pack_id, digest, "rollback", extra).await?;
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
                3 if break_glass => "break-glass: approval skipped on the record".to_owned(),
                3 => "rollback approval present".to_owned(),
                4 => format!("enforced pointer moved to sequence {seq}"),
                _ => format!("evidence packet {evidence_id} signed"),
            };
            format!("{step} Done: {done}.")
        })
        .collect();
    let detail = serde_json::json!({
        "previous_digest": current_digest,
        "enforced_seq": seq,
        "reason": reason,
        "rollback_ref": plan.rollback_ref,
        "evidence_id": evidence_id,
        "request_id": spent,
    });
    write.audit("rollback", pack_id, digest, detail).await?;
    service.commit(write).await?;
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
    store::packs::get(&mut conn, pack_id).await?;
    Ok(store::history::list(&mut conn, pack_id).await?)
}
