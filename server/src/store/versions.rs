//! Immutable versions, keyed by (pack, digest). A trigger refuses UPDATE and DELETE.

use sqlx::AnyConnection;

use app::backend::{BackendError, Version};
use lifecycle::value::Value;

use super::{rfc3339, Result};

/// The error for a version that does not exist.
pub fn not_found(pack_id: &str, digest: &str) -> BackendError {
    BackendError::NotFound(format!("pack `{pack_id}` has no version `{digest}`"))
}

/// A version as listed (without the heavy fields).
#[derive(Debug, Clone, sqlx::FromRow)]
struct ListRow {
    pack_id: String,
    digest: String,
    author_name: String,
    created_at: i64,
    lint_blockers: i64,
    lint_warnings: i64,
    dry_run_passed: i64,
    diff_against: Option<String>,
    enforced_digest: Option<String>,
}

impl From<ListRow> for Version {
    fn from(row: ListRow) -> Self {
        Version {
            enforced: row.enforced_digest.as_deref() == Some(row.digest.as_str()),
            pack_id: row.pack_id,
            digest: row.digest,
            author: row.author_name,
            created_at: rfc3339(row.created_at),
            lint_blockers: row.lint_blockers,
            lint_warnings: row.lint_warnings,
            dry_run_passed: row.dry_run_passed != 0,
            diff_against: row.diff_against,
            source: String::new(),
            lint_report: None,
            dry_run_report: None,
            semantic_diff: None,
            decision_impact: None,
        }
    }
}

/// A version with its text and stored reports (JSON text).
#[derive(Debug, Clone, sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    list: ListRow,
    source: String,
    lint_report: String,
    dry_run_report: String,
    semantic_diff: String,
    decision_impact: String,
}

const LIST_COLUMNS: &str = "v.pack_id, v.digest, v.author_name, v.created_at, \
     v.lint_blockers, v.lint_warnings, v.dry_run_passed, v.diff_against, p.enforced_digest";

/// Versions of a pack, newest first, without the heavy fields.
pub async fn list(conn: &mut AnyConnection, pack_id: &str) -> Result<Vec<Version>> {
    let rows: Vec<ListRow> = sqlx::query_as(&format!(
        "SELECT {LIST_COLUMNS} FROM versions v JOIN packs p ON p.id = v.pack_id \
         WHERE v.pack_id = $1 ORDER BY v.created_at DESC, v.digest"
    ))
    .bind(pack_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(Version::from).collect())
}

/// One version with its text, reports and diffs.
pub async fn get(conn: &mut AnyConnection, pack_id: &str, digest: &str) -> Result<Version> {
    let row: DetailRow = sqlx::query_as(&format!(
        "SELECT {LIST_COLUMNS}, v.source, v.lint_report, v.dry_run_report, \
         v.semantic_diff, v.decision_impact FROM versions v JOIN packs p ON p.id = v.pack_id \
         WHERE v.pack_id = $1 AND v.digest = $2"
    ))
    .bind(pack_id)
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| not_found(pack_id, digest))?;
    Ok(Version {
        source: row.source,
        lint_report: Some(report(&row.lint_report, "lint_report")?),
        dry_run_report: Some(report(&row.dry_run_report, "dry_run_report")?),
        // `null` when the version had nothing enforced to compare against.
        semantic_diff: report(&row.semantic_diff, "semantic_diff")?,
        decision_impact: report(&row.decision_impact, "decision_impact")?,
        ..Version::from(row.list)
    })
}

/// A stored report read back; unreadable text is an outage, never an empty report.
fn report<T: serde::de::DeserializeOwned>(text: &str, column: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|error| {
        tracing::error!(%error, column, "a stored version report is unreadable");
        BackendError::Unavailable.into()
    })
}

/// Whether the pack has a version with this digest.
pub async fn exists(conn: &mut AnyConnection, pack_id: &str, digest: &str) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM versions WHERE pack_id = $1 AND digest = $2")
            .bind(pack_id)
            .bind(digest)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

/// Refuses with [`not_found`] unless the version exists.
pub async fn require(conn: &mut AnyConnection, pack_id: &str, digest: &str) -> Result<()> {
    if exists(conn, pack_id, digest).await? {
        Ok(())
    } else {
        Err(not_found(pack_id, digest).into())
    }
}

/// The YAML text of a version.
pub async fn source(conn: &mut AnyConnection, pack_id: &str, digest: &str) -> Result<String> {
    sqlx::query_scalar("SELECT source FROM versions WHERE pack_id = $1 AND digest = $2")
        .bind(pack_id)
        .bind(digest)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found(pack_id, digest).into())
}

/// The loaded (merged) policy of a version.
pub async fn value(conn: &mut AnyConnection, pack_id: &str, digest: &str) -> Result<Value> {
    let json: String =
        sqlx::query_scalar("SELECT policy_json FROM versions WHERE pack_id = $1 AND digest = $2")
            .bind(pack_id)
            .bind(digest)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| not_found(pack_id, digest))?;
    let json: serde_json::Value = serde_json::from_str(&json).map_err(|error| {
        tracing::error!(%error, pack_id, digest, "a stored policy is not JSON");
        BackendError::Unavailable
    })?;
    Ok(Value::from_json(&json))
}

/// The account that published a version (`None` for imported versions).
pub async fn author_id(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT author_id FROM versions WHERE pack_id = $1 AND digest = $2")
            .bind(pack_id)
            .bind(digest)
            .fetch_optional(&mut *conn)
            .await?
            .flatten(),
    )
}

/// What the promotion gate reads of a version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GateFacts {
    /// Lint blockers at publication.
    pub lint_blockers: i64,
    /// Whether the dry run passed (0 or 1).
    pub dry_run_passed: i64,
    /// The dry-run report (JSON text).
    pub dry_run_report: String,
}

/// The gate's facts of a version.
pub async fn gate_facts(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
) -> Result<GateFacts> {
    sqlx::query_as(
        "SELECT lint_blockers, dry_run_passed, dry_run_report FROM versions \
         WHERE pack_id = $1 AND digest = $2",
    )
    .bind(pack_id)
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| not_found(pack_id, digest).into())
}

/// A version to store, with everything computed at publication (reports as JSON text).
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// Pack.
    pub pack_id: &'a str,
    /// `sha256:…`.
    pub digest: &'a str,
    /// YAML text.
    pub source: &'a str,
    /// The loaded policy as JSON.
    pub policy_json: &'a str,
    /// The publishing account (`None`: imported).
    pub author: Option<(i64, &'a str)>,
    /// Lint report.
    pub lint_report: &'a str,
    /// Lint blockers.
    pub lint_blockers: i64,
    /// Lint warnings.
    pub lint_warnings: i64,
    /// Dry-run report.
    pub dry_run_report: &'a str,
    /// Whether the dry run passed.
    pub dry_run_passed: bool,
    /// Semantic diff against `diff_against`.
    pub semantic_diff: &'a str,
    /// The enforced digest at publication.
    pub diff_against: Option<&'a str>,
    /// Decision impact against `diff_against`.
    pub decision_impact: &'a str,
    /// When (unix ms).
    pub created_at: i64,
}

/// Stores a new version.
pub async fn insert(conn: &mut AnyConnection, version: &NewVersion<'_>) -> Result<()> {
    // Imported versions have no author account.
    let (author_id, author_name) = match version.author {
        Some((id, name)) => (Some(id), name),
        None => (None, "import"),
    };
    sqlx::query(
        "INSERT INTO versions (pack_id, digest, source, policy_json, author_id, author_name, \
         lint_report, lint_blockers, lint_warnings, dry_run_report, dry_run_passed, semantic_diff, \
         diff_against, decision_impact, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(version.pack_id)
    .bind(version.digest)
    .bind(version.source)
    .bind(version.policy_json)
    .bind(author_id)
    .bind(author_name)
    .bind(version.lint_report)
    .bind(version.lint_blockers)
    .bind(version.lint_warnings)
    .bind(version.dry_run_report)
    .bind(i64::from(version.dry_run_passed))
    .bind(version.semantic_diff)
    .bind(version.diff_against)
    .bind(version.decision_impact)
    .bind(version.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
