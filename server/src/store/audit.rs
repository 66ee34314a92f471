//! The audit log's rows, its head in `lifecycle_lock`, and the content of the rows audit entries
//! vouch for ([`COVERED`]). The hashing, signing and checking live in [`crate::audit`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};

use super::Result;

/// An audit entry as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    /// Sequence number, from 1.
    pub seq: i64,
    /// Unix milliseconds.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which pack (empty for account and key events).
    pub pack_id: String,
    /// Which digest (may be empty).
    pub digest: String,
    /// Details, JSON text.
    pub detail_json: String,
    /// The rows vouched for, JSON text (`[]` before migration 0003).
    pub rows_json: String,
    /// The hash of the entry before.
    pub prev_hash: String,
    /// This entry's chained hash.
    pub hash: String,
    /// The signing key (none before migration 0003).
    pub key_id: Option<i64>,
    /// Ed25519 signature over the sequence number and hash, hex (none before migration 0003).
    pub signature: Option<String>,
}

const ENTRY_COLUMNS: &str = "seq, at, actor, action, pack_id, digest, detail_json, rows_json, \
     prev_hash, hash, key_id, signature";

/// The chain's head as recorded in `lifecycle_lock`: `(seq, hash)`.
pub async fn head(conn: &mut AnyConnection) -> Result<(i64, String)> {
    Ok(
        sqlx::query_as("SELECT audit_seq, audit_head FROM lifecycle_lock WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Appends an entry and moves the head to it.
pub async fn insert(conn: &mut AnyConnection, entry: &EntryRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO audit_log ({ENTRY_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(entry.seq)
    .bind(entry.at)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.pack_id)
    .bind(&entry.digest)
    .bind(&entry.detail_json)
    .bind(&entry.rows_json)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .bind(entry.key_id)
    .bind(entry.signature.as_deref())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE lifecycle_lock SET audit_seq = $1, audit_head = $2 WHERE id = 1")
        .bind(entry.seq)
        .bind(&entry.hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Every entry, in order.
pub async fn entries(conn: &mut AnyConnection) -> Result<Vec<EntryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY seq"
    ))
    .fetch_all(&mut *conn)
    .await?)
}

/// The newest entry.
pub async fn last(conn: &mut AnyConnection) -> Result<Option<EntryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
    ))
    .fetch_optional(&mut *conn)
    .await?)
}

/// The type of a covered column (every covered column is NOT NULL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// BIGINT / INTEGER.
    Int,
    /// TEXT.
    Text,
    /// BIGINT that may be NULL (a column set once later, e.g. `consumed_at`).
    OptInt,
    /// TEXT that may be NULL (set once later, e.g. `revoked_by`).
    OptText,
}

/// A table whose rows audit entries vouch for: the columns that make up a row's content. Only
/// columns that never change after the insert are listed, so a later migration may add mutable
/// columns without breaking old entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Covered {
    /// Table name (keyed by an integer `id`).
    pub table: &'static str,
    /// Content columns, besides `id`.
    pub columns: &'static [(&'static str, Kind)],
}

/// Sign-offs: who approved which digest for which group.
pub const SIGNOFFS: Covered = Covered {
    table: "signoffs",
    columns: &[
        ("request_id", Kind::Int),
        ("pack_id", Kind::Text),
        ("digest", Kind::Text),
        ("user_id", Kind::Int),
        ("approver_group", Kind::Text),
        ("decision", Kind::Text),
        ("comment", Kind::Text),
        ("created_at", Kind::Int),
    ],
};

/// Approval requests: which groups a digest needs.
pub const APPROVAL_REQUESTS: Covered = Covered {
    table: "approval_requests",
    columns: &[
        ("pack_id", Kind::Text),
        ("digest", Kind::Text),
        ("kind", Kind::Text),
        ("groups_json", Kind::Text),
        ("requested_by", Kind::Int),
        ("created_at", Kind::Int),
        // Set once, by the promotion or rollback that spent it (which re-vouches the row):
        // clearing it to revive old approvals fails verification.
        ("consumed_at", Kind::OptInt),
    ],
};

/// Withdrawals of sign-offs: a withdrawn rejection unblocks a digest.
pub const WITHDRAWALS: Covered = Covered {
    table: "signoff_withdrawals",
    columns: &[
        ("signoff_id", Kind::Int),
        ("user_id", Kind::Int),
        ("comment", Kind::Text),
        ("created_at", Kind::Int),
    ],
};

/// Break-glass actions.
pub const BREAK_GLASS: Covered = Covered {
    table: "break_glass",
    columns: &[
        ("pack_id", Kind::Text),
        ("digest", Kind::Text),
        ("action", Kind::Text),
        ("user_id", Kind::Int),
        ("reason", Kind::Text),
        ("created_at", Kind::Int),
    ],
};

/// Contributors of drafts: deleting one would let them judge their own change.
pub const DRAFT_CONTRIBUTORS: Covered = Covered {
    table: "draft_contributors",
    columns: &[
        ("draft_id", Kind::Int),
        ("user_id", Kind::Int),
        ("first_at", Kind::Int),
    ],
};

/// Contributors of digests.
pub const VERSION_CONTRIBUTORS: Covered = Covered {
    table: "version_contributors",
    columns: &[
        ("pack_id", Kind::Text),
        ("digest", Kind::Text),
        ("user_id", Kind::Int),
        ("first_at", Kind::Int),
    ],
};

/// Signed evidence packets, bytes included.
pub const EVIDENCE_PACKETS: Covered = Covered {
    table: "evidence_packets",
    columns: &[
        ("pack_id", Kind::Text),
        ("digest", Kind::Text),
        ("event", Kind::Text),
        ("packet_json", Kind::Text),
        ("sha256", Kind::Text),
        ("signature", Kind::Text),
        ("public_key", Kind::Text),
        ("file_name", Kind::Text),
        ("created_at", Kind::Int),
    ],
};

/// Moves of the enforced pointer (import, promote, rollback).
pub const ENFORCEMENT_HISTORY: Covered = Covered {
    table: "enforcement_history",
    columns: &[
        ("pack_id", Kind::Text),
        ("seq", Kind::Int),
        ("digest", Kind::Text),
        ("action", Kind::Text),
        ("actor_name", Kind::Text),
        ("reason", Kind::Text),
        ("at", Kind::Int),
    ],
};

/// Accounts: a changed role, group or password hash is a changed row.
pub const USERS: Covered = Covered {
    table: "users",
    columns: &[
        ("username", Kind::Text),
        ("password_hash", Kind::Text),
        ("role", Kind::Text),
        ("groups_json", Kind::Text),
        ("created_at", Kind::Int),
    ],
};

/// The pinned evidence keys.
pub const EVIDENCE_KEYS: Covered = Covered {
    table: "evidence_keys",
    columns: &[
        ("public_key", Kind::Text),
        ("fingerprint", Kind::Text),
        ("created_at", Kind::Int),
    ],
};

/// Runtime tokens: a token inserted, re-scoped or un-revoked in the database would let traffic
/// count toward the shadow gate under a runtime nobody created.
pub const RUNTIME_TOKENS: Covered = Covered {
    table: "runtime_tokens",
    columns: &[
        ("name", Kind::Text),
        ("token_hash", Kind::Text),
        ("all_packs", Kind::Int),
        ("packs_json", Kind::Text),
        ("created_by", Kind::Text),
        ("created_at", Kind::Int),
        // Set once, by the revocation, which re-vouches the row.
        ("revoked_at", Kind::OptInt),
        ("revoked_by", Kind::OptText),
    ],
};

/// Every covered table.
pub const COVERED: [Covered; 11] = [
    SIGNOFFS,
    APPROVAL_REQUESTS,
    EVIDENCE_PACKETS,
    ENFORCEMENT_HISTORY,
    USERS,
    EVIDENCE_KEYS,
    WITHDRAWALS,
    BREAK_GLASS,
    DRAFT_CONTRIBUTORS,
    VERSION_CONTRIBUTORS,
    RUNTIME_TOKENS,
];

/// A covered row's content: its id and its column values in [`Covered::columns`] order.
pub type Content = (i64, Vec<serde_json::Value>);

fn select(covered: &Covered) -> String {
    let mut columns = String::from("id");
    for (name, _) in covered.columns {
        columns.push_str(", ");
        columns.push_str(name);
    }
    format!("SELECT {columns} FROM {}", covered.table)
}

fn content(covered: &Covered, row: &AnyRow) -> std::result::Result<Content, sqlx::Error> {
    let id: i64 = row.try_get(0)?;
    let mut values = Vec::with_capacity(covered.columns.len());
    for (index, (_, kind)) in covered.columns.iter().enumerate() {
        values.push(match kind {
            Kind::Int => serde_json::Value::from(row.try_get::<i64, _>(index + 1)?),
            Kind::Text => serde_json::Value::from(row.try_get::<String, _>(index + 1)?),
            Kind::OptInt => serde_json::Value::from(row.try_get::<Option<i64>, _>(index + 1)?),
            Kind::OptText => serde_json::Value::from(row.try_get::<Option<String>, _>(index + 1)?),
        });
    }
    Ok((id, values))
}

/// One covered row, if it exists.
pub async fn row(conn: &mut AnyConnection, covered: &Covered, id: i64) -> Result<Option<Content>> {
    let found = sqlx::query(&format!("{} WHERE id = $1", select(covered)))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.map(|row| content(covered, &row)).transpose()?)
}

/// Every row of a covered table, by id.
pub async fn rows(conn: &mut AnyConnection, covered: &Covered) -> Result<Vec<Content>> {
    let rows = sqlx::query(&format!("{} ORDER BY id", select(covered)))
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|row| content(covered, row))
        .collect::<std::result::Result<_, _>>()?)
}

/// The id of a pack's enforcement-history row at pointer sequence `seq`.
pub async fn history_id(conn: &mut AnyConnection, pack_id: &str, seq: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM enforcement_history WHERE pack_id = $1 AND seq = $2")
            .bind(pack_id)
            .bind(seq)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Each pack's enforced pointer next to the newest move its history records:
/// `(pack, enforced digest, enforced seq, newest history seq, newest history digest)`.
pub async fn pointers(
    conn: &mut AnyConnection,
) -> Result<Vec<(String, Option<String>, i64, Option<i64>, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.enforced_digest, p.enforced_seq, h.seq, h.digest FROM packs p \
         LEFT JOIN enforcement_history h ON h.pack_id = p.id AND h.seq = \
         (SELECT MAX(seq) FROM enforcement_history WHERE pack_id = p.id) ORDER BY p.id",
    )
    .fetch_all(&mut *conn)
    .await?)
}
