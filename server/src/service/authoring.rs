//! Packs, drafts and immutable versions: import, draft with optimistic concurrency, publish.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row as _};

use app::backend::{Actor, BackendError, Draft, PackSummary, Version, VersionLintReport};
use lifecycle::value::Value;

use super::{db_error, now_millis, require_role, rfc3339, string_list, Result, Service, AUTHORS};
use crate::audit;

/// The default approver groups of a promotion: CAVRA's approval workflow.
pub fn default_approver_groups(policy: &Value) -> Vec<String> {
    lifecycle::plan::build_approval_workflow(policy, None, "", "", "").approver_groups
}

/// Reads a pack's text into its loaded value, resolving `metadata.inherits` against the
/// enforced versions of the other packs.
async fn load_value(conn: &mut AnyConnection, pack_id: &str, source: &str) -> Result<Value> {
    let outcome = lifecycle::lint::lint_source(source);
    if outcome.has_blockers() {
        let blockers: Vec<String> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_blocker())
            .map(|d| {
                let at = d
                    .span
                    .map(|span| {
                        let (line, column) = span.utf16_columns(source);
                        format!(" at {line}:{column}")
                    })
                    .unwrap_or_default();
                format!("{} {}{at}", d.code, d.message)
            })
            .collect();
        return Err(BackendError::Invalid(format!(
            "the pack has {} lint blocker(s): {}",
            blockers.len(),
            blockers.join("; ")
        )));
    }
    let value = outcome
        .value
        .ok_or_else(|| BackendError::Invalid("the pack is empty".into()))?;
    let inherits = value
        .get("metadata")
        .and_then(|m| m.get("inherits"))
        .is_some_and(Value::truthy);
    if !inherits {
        return Ok(value);
    }
    let rows = sqlx::query(
        "SELECT v.pack_id, v.source FROM packs p JOIN versions v \
         ON v.pack_id = p.id AND v.digest = p.enforced_digest",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let mut sources: HashMap<String, String> = HashMap::new();
    for row in rows {
        sources.insert(
            row.try_get(0).map_err(db_error)?,
            row.try_get(1).map_err(db_error)?,
        );
    }
    sources.insert(pack_id.to_owned(), source.to_owned());
    lifecycle::inherits::load_policy(pack_id, &mut |id| sources.get(id).cloned())
        .map_err(|error| BackendError::Invalid(error.to_string()))
}

/// The loaded value of a stored version.
pub(crate) async fn version_value(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
) -> Result<Value> {
    let json: String =
        sqlx::query_scalar("SELECT policy_json FROM versions WHERE pack_id = $1 AND digest = $2")
            .bind(pack_id)
            .bind(digest)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?
            .ok_or_else(|| not_found_version(pack_id, digest))?;
    let json: serde_json::Value =
        serde_json::from_str(&json).map_err(|_| BackendError::Unavailable)?;
    Ok(Value::from_json(&json))
}

pub(crate) fn not_found_version(pack_id: &str, digest: &str) -> BackendError {
    BackendError::NotFound(format!("pack `{pack_id}` has no version `{digest}`"))
}

pub(crate) fn not_found_pack(pack_id: &str) -> BackendError {
    BackendError::NotFound(format!("no pack `{pack_id}`"))
}

/// A pack's stored state.
#[derive(Debug, Clone)]
pub(crate) struct PackRow {
    pub approver_groups: Vec<String>,
    pub cases_yaml: Option<String>,
    pub enforced_digest: Option<String>,
    pub enforced_seq: i64,
}

pub(crate) async fn pack_row(conn: &mut AnyConnection, pack_id: &str) -> Result<PackRow> {
    let row = sqlx::query(
        "SELECT approver_groups_json, cases_yaml, enforced_digest, enforced_seq \
         FROM packs WHERE id = $1",
    )
    .bind(pack_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?
    .ok_or_else(|| not_found_pack(pack_id))?;
    Ok(PackRow {
        approver_groups: string_list(&row.try_get::<String, _>(0).map_err(db_error)?),
        cases_yaml: row.try_get(1).map_err(db_error)?,
        enforced_digest: row.try_get(2).map_err(db_error)?,
        enforced_seq: row.try_get(3).map_err(db_error)?,
    })
}

/// The dry-run fixtures of a pack: its `cases.yaml` when imported with one, else CAVRA's six.
pub(crate) fn fixtures(pack: &PackRow) -> Option<Vec<serde_json::Value>> {
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

/// Everything computed when a version is published.
struct Analysis {
    digest: String,
    policy_json: String,
    lint_report: String,
    lint_blockers: i64,
    lint_warnings: i64,
    dry_run_report: String,
    dry_run_passed: bool,
    semantic_diff: String,
    decision_impact: String,
}

fn analyse(
    source: &str,
    value: &Value,
    previous: Option<&Value>,
    pack_id: &str,
    fixtures: Option<&[serde_json::Value]>,
) -> Result<Analysis> {
    let outcome = lifecycle::lint::lint_source(source);
    let blockers = outcome
        .diagnostics
        .iter()
        .filter(|d| d.is_blocker())
        .count();
    let warnings = outcome.diagnostics.len() - blockers;
    let lint = VersionLintReport {
        cavra: lifecycle::lint::lint_report(value),
        diagnostics: outcome.diagnostics,
    };
    let dry_run = lifecycle::dry_run::build_dry_run_report(value, fixtures, pack_id);
    // No previous version: `null`.
    let diff = previous.map(|previous| lifecycle::diff::semantic_diff(previous, value));
    let impact = previous.map(|previous| lifecycle::diff::decision_impact(previous, value));
    Ok(Analysis {
        digest: lifecycle::digest::policy_digest(value),
        policy_json: value.to_json().to_string(),
        lint_report: report_to_text("lint_report", &lint)?,
        lint_blockers: i64::try_from(blockers).unwrap_or(i64::MAX),
        lint_warnings: i64::try_from(warnings).unwrap_or(i64::MAX),
        dry_run_passed: dry_run.passed,
        dry_run_report: report_to_text("dry_run_report", &dry_run)?,
        semantic_diff: report_to_text("semantic_diff", &diff)?,
        decision_impact: report_to_text("decision_impact", &impact)?,
    })
}

/// A version's report as stored JSON text; a failure is an outage, never an empty report.
fn report_to_text<T: serde::Serialize>(column: &str, report: &T) -> Result<String> {
    serde_json::to_string(report).map_err(|error| {
        tracing::error!(%error, column, "serialising a version report failed");
        BackendError::Unavailable
    })
}

/// A version's stored report read back; unreadable text is an outage, never an empty report.
fn report_from_row<T: serde::de::DeserializeOwned>(
    row: &sqlx::any::AnyRow,
    index: usize,
    column: &str,
) -> Result<T> {
    let text: String = row.try_get(index).map_err(db_error)?;
    serde_json::from_str(&text).map_err(|error| {
        tracing::error!(%error, column, "a stored version report is unreadable");
        BackendError::Unavailable
    })
}

async fn insert_version(
    conn: &mut AnyConnection,
    pack_id: &str,
    source: &str,
    analysis: &Analysis,
    author: Option<&Actor>,
    diff_against: Option<&str>,
    now: i64,
) -> Result<()> {
    // Imported versions have no author account.
    let author_name = author.map_or("import", |a| a.username.as_str());
    sqlx::query(
        "INSERT INTO versions (pack_id, digest, source, policy_json, author_id, author_name, \
         lint_report, lint_blockers, lint_warnings, dry_run_report, dry_run_passed, semantic_diff, \
         diff_against, decision_impact, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(pack_id)
    .bind(&analysis.digest)
    .bind(source)
    .bind(&analysis.policy_json)
    .bind(author.map(|a| a.id))
    .bind(author_name)
    .bind(&analysis.lint_report)
    .bind(analysis.lint_blockers)
    .bind(analysis.lint_warnings)
    .bind(&analysis.dry_run_report)
    .bind(i64::from(analysis.dry_run_passed))
    .bind(&analysis.semantic_diff)
    .bind(diff_against)
    .bind(&analysis.decision_impact)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Imports a pack's text as an enforced version when the pack has none (seeding, `--demo`).
/// Returns the pack id and digest; an already enforced pack is left as it is.
pub async fn import_pack(
    service: &Service,
    source: &str,
    cases_yaml: Option<&str>,
) -> Result<(String, String)> {
    let mut tx = service.begin_locked().await?;
    let parsed = lifecycle::model::parse_value(source)
        .map_err(|error| BackendError::Invalid(error.to_string()))?;
    let pack_id = parsed
        .get("metadata")
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| BackendError::Invalid("the pack has no `metadata.id`".into()))?
        .to_owned();
    let value = load_value(&mut tx, &pack_id, source).await?;
    let title = value
        .get("metadata")
        .and_then(|m| m.get("title"))
        .and_then(Value::as_str)
        .unwrap_or(&pack_id)
        .to_owned();
    let now = now_millis();
    let groups = serde_json::to_string(&default_approver_groups(&value)).unwrap_or_default();
    sqlx::query(
        "INSERT INTO packs (id, title, approver_groups_json, cases_yaml, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&pack_id)
    .bind(&title)
    .bind(&groups)
    .bind(cases_yaml)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let pack = pack_row(&mut tx, &pack_id).await?;
    if let Some(enforced) = pack.enforced_digest {
        tx.rollback().await.map_err(db_error)?;
        return Ok((pack_id, enforced));
    }
    let analysis = analyse(source, &value, None, &pack_id, fixtures(&pack).as_deref())?;
    let exists = sqlx::query("SELECT 1 FROM versions WHERE pack_id = $1 AND digest = $2")
        .bind(&pack_id)
        .bind(&analysis.digest)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .is_some();
    if !exists {
        insert_version(&mut tx, &pack_id, source, &analysis, None, None, now).await?;
    }
    sqlx::query(
        "UPDATE packs SET enforced_digest = $1, enforced_seq = 1, enforced_at = $2 \
         WHERE id = $3 AND enforced_seq = 0",
    )
    .bind(&analysis.digest)
    .bind(now)
    .bind(&pack_id)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    sqlx::query(
        "INSERT INTO enforcement_history (pack_id, seq, digest, action, actor_name, reason, at) \
         VALUES ($1, 1, $2, 'import', 'system', 'imported as the initial enforced version', $3)",
    )
    .bind(&pack_id)
    .bind(&analysis.digest)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    audit::append(
        &mut tx,
        now,
        &audit::Event {
            actor: "system",
            action: "import",
            pack_id: &pack_id,
            digest: &analysis.digest,
            detail: serde_json::json!({"enforced_seq": 1}),
        },
    )
    .await
    .map_err(db_error)?;
    service.commit(tx, Vec::new()).await?;
    Ok((pack_id, analysis.digest))
}

/// Every pack with its enforced version and active shadow run.
pub async fn list_packs(service: &Service) -> Result<Vec<PackSummary>> {
    let mut conn = service.conn().await?;
    let rows = sqlx::query(
        "SELECT id, title, approver_groups_json, enforced_digest, enforced_seq, enforced_at \
         FROM packs ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get(0).map_err(db_error)?;
        let shadow = super::shadow::active_run(&mut conn, &id).await?;
        out.push(PackSummary {
            title: row.try_get(1).map_err(db_error)?,
            approver_groups: string_list(&row.try_get::<String, _>(2).map_err(db_error)?),
            enforced_digest: row.try_get(3).map_err(db_error)?,
            enforced_seq: row.try_get(4).map_err(db_error)?,
            enforced_at: row
                .try_get::<Option<i64>, _>(5)
                .map_err(db_error)?
                .map(rfc3339),
            shadow,
            id,
        });
    }
    Ok(out)
}

const DRAFT_COLUMNS: &str =
    "d.id, d.pack_id, d.source, d.revision, d.base_digest, u.username, d.updated_at";

fn draft_from_row(row: &sqlx::any::AnyRow) -> Result<Draft> {
    Ok(Draft {
        id: row.try_get(0).map_err(db_error)?,
        pack_id: row.try_get(1).map_err(db_error)?,
        source: row.try_get(2).map_err(db_error)?,
        revision: row.try_get(3).map_err(db_error)?,
        base_digest: row.try_get(4).map_err(db_error)?,
        created_by: row.try_get(5).map_err(db_error)?,
        updated_at: rfc3339(row.try_get(6).map_err(db_error)?),
    })
}

/// Drafts of a pack, newest first.
pub async fn list_drafts(service: &Service, pack_id: &str) -> Result<Vec<Draft>> {
    let rows = sqlx::query(&format!(
        "SELECT {DRAFT_COLUMNS} FROM drafts d JOIN users u ON u.id = d.created_by \
         WHERE d.pack_id = $1 ORDER BY d.id DESC"
    ))
    .bind(pack_id)
    .fetch_all(service.db().pool())
    .await
    .map_err(db_error)?;
    rows.iter().map(draft_from_row).collect()
}

/// One draft.
pub async fn get_draft(service: &Service, draft_id: i64) -> Result<Draft> {
    let row = sqlx::query(&format!(
        "SELECT {DRAFT_COLUMNS} FROM drafts d JOIN users u ON u.id = d.created_by WHERE d.id = $1"
    ))
    .bind(draft_id)
    .fetch_optional(service.db().pool())
    .await
    .map_err(db_error)?
    .ok_or_else(|| BackendError::NotFound(format!("no draft {draft_id}")))?;
    draft_from_row(&row)
}

/// A new draft from the enforced version or from `from_digest`.
pub async fn create_draft(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    from_digest: Option<&str>,
) -> Result<Draft> {
    require_role(actor, AUTHORS, "creating a draft")?;
    let mut tx = service.begin_locked().await?;
    let pack = pack_row(&mut tx, pack_id).await?;
    let digest = match from_digest {
        Some(digest) => digest.to_owned(),
        None => pack.enforced_digest.clone().ok_or_else(|| {
            BackendError::Invalid(format!(
                "pack `{pack_id}` has no enforced version to start from"
            ))
        })?,
    };
    let source: String =
        sqlx::query_scalar("SELECT source FROM versions WHERE pack_id = $1 AND digest = $2")
            .bind(pack_id)
            .bind(&digest)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
            .ok_or_else(|| not_found_version(pack_id, &digest))?;
    let now = now_millis();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO drafts (pack_id, source, revision, base_digest, created_by, created_at, updated_at) \
         VALUES ($1, $2, 1, $3, $4, $5, $5) RETURNING id",
    )
    .bind(pack_id)
    .bind(&source)
    .bind(&digest)
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
            action: "draft.create",
            pack_id,
            digest: &digest,
            detail: serde_json::json!({"draft_id": id}),
        },
    )
    .await
    .map_err(db_error)?;
    service.commit(tx, Vec::new()).await?;
    get_draft(service, id).await
}

/// Saves a draft if nobody saved since `base_revision`; otherwise a conflict naming the stored
/// revision (never a lost update).
pub async fn save_draft(
    service: &Service,
    actor: &Actor,
    draft_id: i64,
    source: &str,
    base_revision: i64,
) -> Result<Draft> {
    require_role(actor, AUTHORS, "saving a draft")?;
    if source.contains('\0') {
        // PostgreSQL cannot store NUL in text; refuse it on every engine (and every caller).
        return Err(BackendError::Invalid(
            "the policy text contains a NUL character, which YAML does not allow".into(),
        ));
    }
    // One conditional statement: of two saves based on the same revision exactly one matches.
    let updated = sqlx::query(
        "UPDATE drafts SET source = $1, revision = revision + 1, updated_at = $2 \
         WHERE id = $3 AND revision = $4",
    )
    .bind(source)
    .bind(now_millis())
    .bind(draft_id)
    .bind(base_revision)
    .execute(service.db().pool())
    .await
    .map_err(db_error)?
    .rows_affected();
    let draft = get_draft(service, draft_id).await?;
    if updated == 0 {
        return Err(BackendError::Conflict {
            message: format!(
                "draft {draft_id} was saved by someone else: it is at revision {}, this save was based on revision {base_revision}",
                draft.revision
            ),
            current_revision: Some(draft.revision),
        });
    }
    Ok(draft)
}

/// Publishes a draft: an immutable version keyed by its digest, with its lint report, dry-run
/// report and diffs against the enforced version. Lint blockers refuse.
pub async fn publish_draft(service: &Service, actor: &Actor, draft_id: i64) -> Result<Version> {
    require_role(actor, AUTHORS, "publishing")?;
    let draft = get_draft(service, draft_id).await?;
    let mut tx = service.begin_locked().await?;
    let pack = pack_row(&mut tx, &draft.pack_id).await?;
    let value = load_value(&mut tx, &draft.pack_id, &draft.source).await?;
    let id = value
        .get("metadata")
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str);
    if id != Some(draft.pack_id.as_str()) {
        return Err(BackendError::Invalid(format!(
            "`metadata.id` must stay `{}`",
            draft.pack_id
        )));
    }
    let previous = match &pack.enforced_digest {
        Some(digest) => Some(version_value(&mut tx, &draft.pack_id, digest).await?),
        None => None,
    };
    let analysis = analyse(
        &draft.source,
        &value,
        previous.as_ref(),
        &draft.pack_id,
        fixtures(&pack).as_deref(),
    )?;
    let exists = sqlx::query("SELECT 1 FROM versions WHERE pack_id = $1 AND digest = $2")
        .bind(&draft.pack_id)
        .bind(&analysis.digest)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .is_some();
    if exists {
        // Same content, same digest: the version already exists and cannot change.
        tx.rollback().await.map_err(db_error)?;
        return get_version(service, &draft.pack_id, &analysis.digest).await;
    }
    let now = now_millis();
    insert_version(
        &mut tx,
        &draft.pack_id,
        &draft.source,
        &analysis,
        Some(actor),
        pack.enforced_digest.as_deref(),
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        now,
        &audit::Event {
            actor: &actor.username,
            action: "publish",
            pack_id: &draft.pack_id,
            digest: &analysis.digest,
            detail: serde_json::json!({
                "draft_id": draft_id,
                "draft_revision": draft.revision,
                "lint_blockers": analysis.lint_blockers,
                "dry_run_passed": analysis.dry_run_passed,
                "diff_against": pack.enforced_digest,
            }),
        },
    )
    .await
    .map_err(db_error)?;
    let file = super::gate::write_evidence(
        service,
        &mut tx,
        &draft.pack_id,
        &analysis.digest,
        "publish",
        &actor.username,
        now,
    )
    .await?;
    service.commit(tx, vec![file.1]).await?;
    get_version(service, &draft.pack_id, &analysis.digest).await
}

const VERSION_LIST_COLUMNS: &str = "v.pack_id, v.digest, v.author_name, v.created_at, \
     v.lint_blockers, v.lint_warnings, v.dry_run_passed, v.diff_against, p.enforced_digest";

fn version_from_row(row: &sqlx::any::AnyRow) -> Result<Version> {
    let digest: String = row.try_get(1).map_err(db_error)?;
    let enforced: Option<String> = row.try_get(8).map_err(db_error)?;
    Ok(Version {
        pack_id: row.try_get(0).map_err(db_error)?,
        author: row.try_get(2).map_err(db_error)?,
        created_at: rfc3339(row.try_get(3).map_err(db_error)?),
        lint_blockers: row.try_get(4).map_err(db_error)?,
        lint_warnings: row.try_get(5).map_err(db_error)?,
        dry_run_passed: row.try_get::<i64, _>(6).map_err(db_error)? != 0,
        diff_against: row.try_get(7).map_err(db_error)?,
        enforced: enforced.as_deref() == Some(digest.as_str()),
        digest,
        source: String::new(),
        lint_report: None,
        dry_run_report: None,
        semantic_diff: None,
        decision_impact: None,
    })
}

/// Versions of a pack, newest first, without the heavy fields.
pub async fn list_versions(service: &Service, pack_id: &str) -> Result<Vec<Version>> {
    let rows = sqlx::query(&format!(
        "SELECT {VERSION_LIST_COLUMNS} FROM versions v JOIN packs p ON p.id = v.pack_id \
         WHERE v.pack_id = $1 ORDER BY v.created_at DESC, v.digest"
    ))
    .bind(pack_id)
    .fetch_all(service.db().pool())
    .await
    .map_err(db_error)?;
    rows.iter().map(version_from_row).collect()
}

/// One version with its reports and diffs.
pub async fn get_version(service: &Service, pack_id: &str, digest: &str) -> Result<Version> {
    let row = sqlx::query(&format!(
        "SELECT {VERSION_LIST_COLUMNS}, v.source, v.lint_report, v.dry_run_report, \
         v.semantic_diff, v.decision_impact FROM versions v JOIN packs p ON p.id = v.pack_id \
         WHERE v.pack_id = $1 AND v.digest = $2"
    ))
    .bind(pack_id)
    .bind(digest)
    .fetch_optional(service.db().pool())
    .await
    .map_err(db_error)?
    .ok_or_else(|| not_found_version(pack_id, digest))?;
    let mut version = version_from_row(&row)?;
    version.source = row.try_get(9).map_err(db_error)?;
    version.lint_report = Some(report_from_row(&row, 10, "lint_report")?);
    version.dry_run_report = Some(report_from_row(&row, 11, "dry_run_report")?);
    version.semantic_diff = report_from_row(&row, 12, "semantic_diff")?;
    version.decision_impact = report_from_row(&row, 13, "decision_impact")?;
    Ok(version)
}
