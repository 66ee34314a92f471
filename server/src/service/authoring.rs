//! Packs, drafts and immutable versions: import, draft with optimistic concurrency, publish.

use std::collections::HashMap;

use sqlx::AnyConnection;

use app::backend::{Actor, BackendError, Draft, PackSummary, Role, Version, VersionLintReport};
use lifecycle::value::Value;

use super::evidence::fixtures;
use super::{limits, require_role, Result, Service, AUTHORS};
use crate::store;

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
    let mut sources: HashMap<String, String> = store::packs::enforced_sources(conn)
        .await?
        .into_iter()
        .collect();
    sources.insert(pack_id.to_owned(), source.to_owned());
    lifecycle::inherits::load_policy(pack_id, &mut |id| sources.get(id).cloned())
        .map_err(|error| BackendError::Invalid(error.to_string()))
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

impl Analysis {
    /// The row to store for this analysis.
    fn new_version<'a>(
        &'a self,
        pack_id: &'a str,
        source: &'a str,
        author: Option<&'a Actor>,
        diff_against: Option<&'a str>,
        now: i64,
    ) -> store::versions::NewVersion<'a> {
        store::versions::NewVersion {
            pack_id,
            digest: &self.digest,
            source,
            policy_json: &self.policy_json,
            author: author.map(|a| (a.id, a.username.as_str())),
            lint_report: &self.lint_report,
            lint_blockers: self.lint_blockers,
            lint_warnings: self.lint_warnings,
            dry_run_report: &self.dry_run_report,
            dry_run_passed: self.dry_run_passed,
            semantic_diff: &self.semantic_diff,
            diff_against,
            decision_impact: &self.decision_impact,
            created_at: now,
        }
    }
}

/// Imports a pack's text as an enforced version when the pack has none (seeding, `--demo`).
/// Returns the pack id and digest; an already enforced pack is left as it is.
pub async fn import_pack(
    service: &Service,
    source: &str,
    cases_yaml: Option<&str>,
) -> Result<(String, String)> {
    let mut write = service.begin_write("system").await?;
    let parsed = lifecycle::model::parse_value(source)
        .map_err(|error| BackendError::Invalid(error.to_string()))?;
    let pack_id = parsed
        .get("metadata")
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| BackendError::Invalid("the pack has no `metadata.id`".into()))?
        .to_owned();
    let value = load_value(&mut write, &pack_id, source).await?;
    let title = value
        .get("metadata")
        .and_then(|m| m.get("title"))
        .and_then(Value::as_str)
        .unwrap_or(&pack_id)
        .to_owned();
    if let Some(cases) = cases_yaml {
        // A malformed invariant would silently promise nothing: refuse it at the door.
        let parsed = lifecycle::invariants::parse_invariants(cases);
        if parsed.has_blockers() {
            let blockers = parsed.blocker_texts(cases);
            return Err(BackendError::Invalid(format!(
                "cases.yaml has {} invalid invariant(s): {}",
                blockers.len(),
                blockers.join("; ")
            )));
        }
    }
    let now = write.now();
    let groups = default_approver_groups(&value);
    store::packs::insert_if_absent(&mut write, &pack_id, &title, &groups, cases_yaml, now).await?;
    let pack = store::packs::get(&mut write, &pack_id).await?;
    if let Some(enforced) = pack.enforced_digest {
        // Dropping the write rolls it back.
        return Ok((pack_id, enforced));
    }
    let analysis = analyse(source, &value, None, &pack_id, fixtures(&pack).as_deref())?;
    if !store::versions::exists(&mut write, &pack_id, &analysis.digest).await? {
        let version = analysis.new_version(&pack_id, source, None, None, now);
        store::versions::insert(&mut write, &version).await?;
    }
    // A fresh pack is at sequence 0; another importer that got here first wins.
    if store::packs::move_pointer(&mut write, &pack_id, &analysis.digest, 0, now).await? {
        store::history::insert(
            &mut write,
            &store::history::Move {
                pack_id: &pack_id,
                seq: 1,
                digest: &analysis.digest,
                action: "import",
                actor: "system",
                reason: "imported as the initial enforced version",
                at: now,
            },
        )
        .await?;
    }
    let detail = serde_json::json!({"enforced_seq": 1});
    write
        .audit("import", &pack_id, &analysis.digest, detail)
        .await?;
    service.commit(write).await?;
    Ok((pack_id, analysis.digest))
}

/// Every pack with its enforced version and active shadow run.
pub async fn list_packs(service: &Service) -> Result<Vec<PackSummary>> {
    let mut conn = service.conn().await?;
    let mut out = Vec::new();
    let defaults = service.config().shadow.default_rule();
    for pack in store::packs::list(&mut conn).await? {
        let shadow = store::shadow::active(&mut conn, &pack.id).await?;
        out.push(pack.summary(shadow.map(Into::into), &defaults));
    }
    Ok(out)
}

/// Drafts of a pack, newest first.
pub async fn list_drafts(service: &Service, pack_id: &str) -> Result<Vec<Draft>> {
    let mut conn = service.conn().await?;
    Ok(store::drafts::list(&mut conn, pack_id).await?)
}

/// One draft.
pub async fn get_draft(service: &Service, draft_id: i64) -> Result<Draft> {
    let mut conn = service.conn().await?;
    Ok(store::drafts::get(&mut conn, draft_id).await?)
}

/// A new draft from the enforced version or from `from_digest`.
pub async fn create_draft(
    service: &Service,
    actor: &Actor,
    pack_id: &str,
    from_digest: Option<&str>,
) -> Result<Draft> {
    require_role(actor, AUTHORS, "creating a draft")?;
    let mut write = service.begin_write(&actor.username).await?;
    let pack = store::packs::get(&mut write, pack_id).await?;
    let digest = match from_digest {
        Some(digest) => digest.to_owned(),
        None => pack.enforced_digest.clone().ok_or_else(|| {
            BackendError::Invalid(format!(
                "pack `{pack_id}` has no enforced version to start from"
            ))
        })?,
    };
    let source = store::versions::source(&mut write, pack_id, &digest).await?;
    let now = write.now();
    let id = store::drafts::insert(&mut write, pack_id, &source, &digest, actor.id, now).await?;
    let added = store::contributors::add_to_draft(&mut write, id, actor.id, now).await?;
    let detail = serde_json::json!({"draft_id": id, "draft_contributor_ids": added});
    write
        .audit("draft.create", pack_id, &digest, detail)
        .await?;
    service.commit(write).await?;
    get_draft(service, id).await
}

/// Refuses unless `actor` wrote the draft or co-authors it. Admins are no exception: an admin
/// who must edit someone's draft adds themselves as a co-author first, which is audited.
async fn require_editor(
    conn: &mut AnyConnection,
    actor: &Actor,
    draft_id: i64,
    what: &str,
) -> Result<()> {
    if store::drafts::may_edit(conn, draft_id, actor.id).await? {
        return Ok(());
    }
    let draft = store::drafts::get(conn, draft_id).await?;
    Err(BackendError::Forbidden(format!(
        "`{}` may not {what} draft {draft_id}: only its author `{}` and its co-authors may (the author or an admin can add co-authors)",
        actor.username, draft.created_by
    )))
}

/// Replaces a draft's co-authors (the users besides its author who may save and publish it).
/// Only the author or an admin may; co-authors must be authors or admins. Audited as
/// `draft.coauthors` with who was added and removed.
pub async fn set_coauthors(
    service: &Service,
    actor: &Actor,
    draft_id: i64,
    usernames: &[String],
) -> Result<Draft> {
    require_role(actor, AUTHORS, "changing a draft's co-authors")?;
    if usernames.len() > limits::MAX_COAUTHORS {
        return Err(BackendError::Invalid(format!(
            "a draft has at most {} co-authors",
            limits::MAX_COAUTHORS
        )));
    }
    for name in usernames {
        limits::check_chars("a user name", name.trim(), limits::MAX_USER_NAME_CHARS)?;
    }
    let mut write = service.begin_write(&actor.username).await?;
    let draft = store::drafts::get(&mut write, draft_id).await?;
    let author_id = store::drafts::author_id(&mut write, draft_id).await?;
    if actor.id != author_id && actor.role != Role::Admin {
        return Err(BackendError::Forbidden(format!(
            "only the author `{}` or an admin may change who co-authors draft {draft_id}",
            draft.created_by
        )));
    }
    let mut wanted: Vec<(i64, String)> = Vec::new();
    for name in usernames.iter().map(|name| name.trim()) {
        let user = store::users::by_name(&mut write, name)
            .await?
            .ok_or_else(|| BackendError::Invalid(format!("there is no user `{name}`")))?;
        if user.id == author_id {
            return Err(BackendError::Invalid(format!(
                "`{name}` wrote draft {draft_id}; an author needs no co-author entry"
            )));
        }
        if !user.can_author() {
            return Err(BackendError::Invalid(format!(
                "`{name}` is {} and cannot co-author a draft (only authors and admins edit policy)",
                user.role.as_str()
            )));
        }
        if !wanted.iter().any(|(id, _)| *id == user.id) {
            wanted.push((user.id, user.username));
        }
    }
    let current = store::drafts::coauthors(&mut write, draft_id).await?;
    let now = write.now();
    let mut added = Vec::new();
    for (user_id, username) in &wanted {
        if !current.iter().any(|(id, _)| id == user_id) {
            store::drafts::add_coauthor(&mut write, draft_id, *user_id, actor.id, now).await?;
            added.push(username.clone());
        }
    }
    let mut removed = Vec::new();
    for (user_id, username) in &current {
        if !wanted.iter().any(|(id, _)| id == user_id) {
            store::drafts::remove_coauthor(&mut write, draft_id, *user_id).await?;
            removed.push(username.clone());
        }
    }
    let mut coauthors: Vec<&str> = wanted.iter().map(|(_, name)| name.as_str()).collect();
    coauthors.sort_unstable();
    let detail = serde_json::json!({
        "draft_id": draft_id,
        "coauthors": coauthors,
        "added": added,
        "removed": removed,
    });
    write
        .audit("draft.coauthors", &draft.pack_id, "", detail)
        .await?;
    service.commit(write).await?;
    get_draft(service, draft_id).await
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
    limits::check_source(source)?;
    if source.contains('\0') {
        // PostgreSQL cannot store NUL in text; refuse it on every engine (and every caller).
        return Err(BackendError::Invalid(
            "the policy text contains a NUL character, which YAML does not allow".into(),
        ));
    }
    // A save is a lifecycle write: it makes the saver a contributor of whatever the draft
    // publishes (separation of duties), and it is audited.
    let mut write = service.begin_write(&actor.username).await?;
    // Checked under the lifecycle lock, so a co-author removed a moment ago cannot save.
    require_editor(&mut write, actor, draft_id, "save").await?;
    let now = write.now();
    let saved =
        store::drafts::update_if_at(&mut write, draft_id, source, base_revision, now).await?;
    let draft = store::drafts::get(&mut write, draft_id).await?;
    if !saved {
        return Err(BackendError::Conflict {
            message: format!(
                "draft {draft_id} was saved by someone else: it is at revision {}, this save was based on revision {base_revision}",
                draft.revision
            ),
            current_revision: Some(draft.revision),
        });
    }
    let added = store::contributors::add_to_draft(&mut write, draft_id, actor.id, now).await?;
    let detail = serde_json::json!({
        "draft_id": draft_id,
        "draft_contributor_ids": added,
        "revision": draft.revision,
        "source_sha256": crate::evidence::sha256_hex(source.as_bytes()),
        "bytes": source.len(),
    });
    write
        .audit("draft.save", &draft.pack_id, "", detail)
        .await?;
    service.commit(write).await?;
    Ok(draft)
}

/// Publishes a draft: an immutable version keyed by its digest, with its lint report, dry-run
/// report and diffs against the enforced version. Lint blockers refuse.
pub async fn publish_draft(service: &Service, actor: &Actor, draft_id: i64) -> Result<Version> {
    require_role(actor, AUTHORS, "publishing")?;
    let mut write = service.begin_write(&actor.username).await?;
    require_editor(&mut write, actor, draft_id, "publish").await?;
    // Read under the lock: the text published is the text saved last.
    let draft = store::drafts::get(&mut write, draft_id).await?;
    let pack = store::packs::get(&mut write, &draft.pack_id).await?;
    let value = load_value(&mut write, &draft.pack_id, &draft.source).await?;
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
        Some(digest) => Some(store::versions::value(&mut write, &draft.pack_id, digest).await?),
        None => None,
    };
    let analysis = analyse(
        &draft.source,
        &value,
        previous.as_ref(),
        &draft.pack_id,
        fixtures(&pack).as_deref(),
    )?;
    let now = write.now();
    // Everyone who touched this draft now shares responsibility for the digest, also when the
    // same text was published before from another draft.
    let added = store::contributors::publish(
        &mut write,
        &draft.pack_id,
        &analysis.digest,
        draft_id,
        actor.id,
        now,
    )
    .await?;
    if store::versions::exists(&mut write, &draft.pack_id, &analysis.digest).await? {
        // Same content, same digest: the version already exists and cannot change.
        let mut detail = added.detail();
        detail["draft_id"] = draft_id.into();
        detail["draft_revision"] = draft.revision.into();
        write
            .audit("publish.again", &draft.pack_id, &analysis.digest, detail)
            .await?;
        service.commit(write).await?;
        return get_version(service, &draft.pack_id, &analysis.digest).await;
    }
    let diff_against = pack.enforced_digest.as_deref();
    let version = analysis.new_version(
        &draft.pack_id,
        &draft.source,
        Some(actor),
        diff_against,
        now,
    );
    store::versions::insert(&mut write, &version).await?;
    let mut detail = added.detail();
    detail["draft_id"] = draft_id.into();
    detail["draft_revision"] = draft.revision.into();
    detail["lint_blockers"] = analysis.lint_blockers.into();
    detail["dry_run_passed"] = analysis.dry_run_passed.into();
    detail["diff_against"] = pack.enforced_digest.clone().into();
    write
        .audit("publish", &draft.pack_id, &analysis.digest, detail)
        .await?;
    super::evidence::record(
        service,
        &mut write,
        &draft.pack_id,
        &analysis.digest,
        "publish",
        super::evidence::Extra::default(),
    )
    .await?;
    service.commit(write).await?;
    get_version(service, &draft.pack_id, &analysis.digest).await
}

/// Versions of a pack, newest first, without the heavy fields.
pub async fn list_versions(service: &Service, pack_id: &str) -> Result<Vec<Version>> {
    let mut conn = service.conn().await?;
    Ok(store::versions::list(&mut conn, pack_id).await?)
}

/// One version with its reports and diffs.
pub async fn get_version(service: &Service, pack_id: &str, digest: &str) -> Result<Version> {
    let mut conn = service.conn().await?;
    Ok(store::versions::get(&mut conn, pack_id, digest).await?)
}
