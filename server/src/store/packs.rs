//! Packs: their settings and the enforced pointer (`enforced_digest`, moved by compare-and-set
//! on `enforced_seq`).

use sqlx::AnyConnection;

use app::backend::{ApprovalRule, BackendError, PackSummary, ShadowRule, ShadowRun};

use super::{rfc3339, Result, StringList};

/// A pack's stored state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackRow {
    /// `metadata.id`.
    pub id: String,
    /// `metadata.title`.
    pub title: String,
    /// Approver groups of a promotion.
    #[sqlx(rename = "approver_groups_json", try_from = "String")]
    pub approver_groups: StringList,
    /// The pack's own `cases.yaml`, when imported with one.
    pub cases_yaml: Option<String>,
    /// The enforced digest.
    pub enforced_digest: Option<String>,
    /// How often the pointer moved.
    pub enforced_seq: i64,
    /// When it last moved (unix ms).
    pub enforced_at: Option<i64>,
    /// The approval rule as stored; `None` means the defaults ([`PackRow::approval_rule`]).
    pub approval_rule_json: Option<String>,
    /// The shadow rule as stored; `None` means the server's defaults ([`PackRow::shadow_rule`]).
    pub shadow_rule_json: Option<String>,
}

impl PackRow {
    /// The pack's approval rule: the stored one, else the defaults for its approver groups.
    pub fn approval_rule(&self) -> ApprovalRule {
        self.approval_rule_json
            .as_deref()
            .and_then(|text| {
                serde_json::from_str(text)
                    .map_err(|error| {
                        // Never weaker than the defaults: fall back to them, loudly.
                        tracing::error!(%error, pack = %self.id, "unreadable approval rule");
                    })
                    .ok()
            })
            .unwrap_or_else(|| ApprovalRule::defaults(&self.approver_groups.0))
    }

    /// The pack's shadow rule: the stored one, else `defaults` (the server's).
    pub fn shadow_rule(&self, defaults: &ShadowRule) -> ShadowRule {
        self.shadow_rule_json
            .as_deref()
            .and_then(|text| {
                serde_json::from_str(text)
                    .map_err(|error| {
                        tracing::error!(%error, pack = %self.id, "unreadable shadow rule");
                    })
                    .ok()
            })
            .unwrap_or_else(|| defaults.clone())
    }

    /// The pack's invariants (from its `cases.yaml`) and their declaration problems.
    pub fn invariants(&self) -> lifecycle::invariants::ParsedInvariants {
        self.cases_yaml
            .as_deref()
            .map(lifecycle::invariants::parse_invariants)
            .unwrap_or_default()
    }

    /// The summary shown in lists, with the pack's active shadow run and its shadow rule (or
    /// the server's `shadow_defaults`).
    pub fn summary(self, shadow: Option<ShadowRun>, shadow_defaults: &ShadowRule) -> PackSummary {
        let approval_rule = self.approval_rule();
        let shadow_rule = self.shadow_rule(shadow_defaults);
        let invariants = self.invariants().invariants;
        PackSummary {
            id: self.id,
            title: self.title,
            approver_groups: approval_rule
                .promotion
                .iter()
                .map(|g| g.group.clone())
                .collect(),
            approval_rule,
            shadow_rule,
            invariants,
            enforced_digest: self.enforced_digest,
            enforced_seq: self.enforced_seq,
            enforced_at: self.enforced_at.map(rfc3339),
            shadow,
        }
    }
}

const COLUMNS: &str =
    "id, title, approver_groups_json, cases_yaml, enforced_digest, enforced_seq, \
     enforced_at, approval_rule_json, shadow_rule_json";

/// The error for a pack that does not exist.
pub fn not_found(pack_id: &str) -> BackendError {
    BackendError::NotFound(format!("no pack `{pack_id}`"))
}

/// One pack, or [`not_found`].
pub async fn get(conn: &mut AnyConnection, pack_id: &str) -> Result<PackRow> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM packs WHERE id = $1"))
        .bind(pack_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found(pack_id).into())
}

/// Every pack, by id.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<PackRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM packs ORDER BY id"))
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Creates a pack unless one with the id exists.
pub async fn insert_if_absent(
    conn: &mut AnyConnection,
    pack_id: &str,
    title: &str,
    approver_groups: &[String],
    cases_yaml: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO packs (id, title, approver_groups_json, cases_yaml, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(pack_id)
    .bind(title)
    .bind(StringList::to_json(approver_groups))
    .bind(cases_yaml)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The text of every pack's enforced version (for `metadata.inherits`), as (pack, source).
pub async fn enforced_sources(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT v.pack_id, v.source FROM packs p JOIN versions v \
         ON v.pack_id = p.id AND v.digest = p.enforced_digest",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Moves the enforced pointer to `digest` if it is still at `seen_seq`; false when another
/// writer moved it first.
pub async fn move_pointer(
    conn: &mut AnyConnection,
    pack_id: &str,
    digest: &str,
    seen_seq: i64,
    now: i64,
) -> Result<bool> {
    let moved = sqlx::query(
        "UPDATE packs SET enforced_digest = $1, enforced_seq = enforced_seq + 1, enforced_at = $2 \
         WHERE id = $3 AND enforced_seq = $4",
    )
    .bind(digest)
    .bind(now)
    .bind(pack_id)
    .bind(seen_seq)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// Stores a pack's approval rule (and its promotion groups, which lists show).
pub async fn set_approval_rule(
    conn: &mut AnyConnection,
    pack_id: &str,
    rule: &ApprovalRule,
) -> Result<()> {
    let groups: Vec<String> = rule.promotion.iter().map(|g| g.group.clone()).collect();
    let text = serde_json::to_string(rule).map_err(|error| {
        tracing::error!(%error, "serialising an approval rule failed");
        BackendError::Unavailable
    })?;
    let updated = sqlx::query(
        "UPDATE packs SET approval_rule_json = $1, approver_groups_json = $2 WHERE id = $3",
    )
    .bind(text)
    .bind(StringList::to_json(&groups))
    .bind(pack_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(not_found(pack_id).into());
    }
    Ok(())
}

/// Stores a pack's shadow rule.
pub async fn set_shadow_rule(
    conn: &mut AnyConnection,
    pack_id: &str,
    rule: &ShadowRule,
) -> Result<()> {
    let text = serde_json::to_string(rule).map_err(|error| {
        tracing::error!(%error, "serialising a shadow rule failed");
        BackendError::Unavailable
    })?;
    let updated = sqlx::query("UPDATE packs SET shadow_rule_json = $1 WHERE id = $2")
        .bind(text)
        .bind(pack_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if updated == 0 {
        return Err(not_found(pack_id).into());
    }
    Ok(())
}
