//! The audit log: every lifecycle event appended to a hash chain whose entries are signed with
//! the evidence key, and which vouches for the rows the gate trusts.
//!
//! Entry `n` stores `hash_n = sha256(hash_{n-1} ‖ canonical(entry_n))`, where the canonical form
//! is the JSON array `[seq, at, actor, action, pack_id, digest, detail_json, rows_json, key_id]`
//! and `hash_0` is 64 zeros, and `signature_n = Ed25519(key, "cavra.audit.v2\n{seq}\n{hash_n}")`
//! by the key `key_id` names (`evidence_keys`). A hash chain alone does not stop someone who can
//! write the database: they edit an entry and recompute every hash after it. Without the key
//! they cannot sign the recomputed hashes. Truncation (deleting the newest entries and rewinding
//! the head) leaves a valid shorter chain; an [`Anchor`] exported earlier (`cavra audit anchor`)
//! detects it.
//!
//! `rows_json` lists the rows an entry vouches for, `[{"table", "id", "sha256"}]`: sign-offs,
//! approval requests, evidence packets, enforcement moves, accounts, keys and runtime tokens
//! ([`crate::store::audit::COVERED`]), found from the ids in the entry's detail
//! ([`REFERENCES`]). [`verify`] checks every such row against the newest entry naming it, so a
//! deleted, edited or smuggled-in row fails verification, as does an entry whose row is gone.
//!
//! Keys: an entry is signed by a key a `key.pin` or `key.rotate` entry introduced at or before
//! it, so old entries stay verifiable after a rotation, and a rewrite with a foreign key shows up
//! as a key change in the chain (and fails against the server's key file or an anchor).
//!
//! Entries written before migration 0003 have no key and hash the first seven fields only; they
//! may only precede the first signed entry, which pins them through its `prev_hash`.
//!
//! INVARIANT: entries are appended only inside a transaction that first updated
//! `lifecycle_lock`, which serialises appenders on SQLite and PostgreSQL alike.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest as _, Sha256};
use sqlx::AnyConnection;

use crate::evidence::{fingerprint, Signer};
use crate::store::audit::{Covered, EntryRow};
use crate::store::{self, Result};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `schema_version` of an exported anchor.
pub const ANCHOR_SCHEMA: &str = "cavra.audit-anchor.v1";

/// Actions that introduce a signing key (their detail names it as `evidence_key_id`).
pub const KEY_ACTIONS: [&str; 2] = ["key.pin", "key.rotate"];

/// Detail keys naming a covered row by id, and its table. `enforced_seq` names the pack's
/// enforcement-history row at that pointer sequence.
pub const REFERENCES: [(&str, Covered); 10] = [
    ("signoff_id", store::audit::SIGNOFFS),
    ("request_id", store::audit::APPROVAL_REQUESTS),
    ("evidence_id", store::audit::EVIDENCE_PACKETS),
    ("user_id", store::audit::USERS),
    ("evidence_key_id", store::audit::EVIDENCE_KEYS),
    ("withdrawal_id", store::audit::WITHDRAWALS),
    ("break_glass_id", store::audit::BREAK_GLASS),
    ("draft_contributor_ids", store::audit::DRAFT_CONTRIBUTORS),
    (
        "version_contributor_ids",
        store::audit::VERSION_CONTRIBUTORS,
    ),
    ("token_id", store::audit::RUNTIME_TOKENS),
];

/// The ids a detail value names: one id, or a list of them (an event touching many rows).
fn ids(value: Option<&serde_json::Value>) -> Vec<i64> {
    match value {
        Some(serde_json::Value::Array(items)) => {
            items.iter().filter_map(serde_json::Value::as_i64).collect()
        }
        Some(value) => value.as_i64().into_iter().collect(),
        None => Vec::new(),
    }
}

/// The detail key naming an enforcement move by pointer sequence.
pub const ENFORCED_SEQ: &str = "enforced_seq";

/// One event to append.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Who (a username, or `system`).
    pub actor: &'a str,
    /// What (`publish`, `promote`, …).
    pub action: &'a str,
    /// Which pack (empty for account and key events).
    pub pack_id: &'a str,
    /// Which digest (may be empty).
    pub digest: &'a str,
    /// Details, as JSON.
    pub detail: serde_json::Value,
}

/// The key an entry is signed with.
#[derive(Debug, Clone, Copy)]
pub struct SigningKey<'a> {
    /// Its id in `evidence_keys`.
    pub id: i64,
    /// The key.
    pub signer: &'a Signer,
}

/// A row an entry vouches for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowRef {
    /// Table.
    pub table: String,
    /// Row id.
    pub id: i64,
    /// SHA-256 of the row's content ([`row_hash`]).
    pub sha256: String,
}

/// The hash of a covered row's content: SHA-256 of the JSON array `[table, id, columns…]`.
pub fn row_hash(covered: &Covered, content: &store::audit::Content) -> String {
    let mut array = vec![
        serde_json::Value::from(covered.table),
        serde_json::Value::from(content.0),
    ];
    array.extend(content.1.iter().cloned());
    crate::evidence::sha256_hex(serde_json::Value::Array(array).to_string().as_bytes())
}

/// The chained hash of an entry (the legacy seven-field form when it has no key).
pub fn entry_hash(entry: &EntryRow) -> String {
    let mut fields = vec![
        serde_json::Value::from(entry.seq),
        serde_json::Value::from(entry.at),
        serde_json::Value::from(entry.actor.as_str()),
        serde_json::Value::from(entry.action.as_str()),
        serde_json::Value::from(entry.pack_id.as_str()),
        serde_json::Value::from(entry.digest.as_str()),
        serde_json::Value::from(entry.detail_json.as_str()),
    ];
    if let Some(key_id) = entry.key_id {
        fields.push(serde_json::Value::from(entry.rows_json.as_str()));
        fields.push(serde_json::Value::from(key_id));
    }
    let canonical = serde_json::Value::Array(fields).to_string();
    let mut hasher = Sha256::new();
    hasher.update(entry.prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// The bytes an entry's signature covers.
pub fn signed_message(seq: i64, hash: &str) -> Vec<u8> {
    format!("cavra.audit.v2\n{seq}\n{hash}").into_bytes()
}

/// The rows an event's detail names, with their current content hashes.
async fn referenced_rows(
    conn: &mut AnyConnection,
    pack_id: &str,
    detail: &serde_json::Value,
) -> Result<Vec<RowRef>> {
    let mut out = Vec::new();
    for (key, covered) in &REFERENCES {
        for id in ids(detail.get(key)) {
            if let Some(content) = store::audit::row(conn, covered, id).await? {
                out.push(RowRef {
                    table: covered.table.to_owned(),
                    id,
                    sha256: row_hash(covered, &content),
                });
            }
        }
    }
    if let Some(seq) = detail.get(ENFORCED_SEQ).and_then(serde_json::Value::as_i64) {
        let history = store::audit::ENFORCEMENT_HISTORY;
        if let Some(id) = store::audit::history_id(conn, pack_id, seq).await? {
            if let Some(content) = store::audit::row(conn, &history, id).await? {
                out.push(RowRef {
                    table: history.table.to_owned(),
                    id,
                    sha256: row_hash(&history, &content),
                });
            }
        }
    }
    Ok(out)
}

/// Every row of the covered tables that no entry vouches for yet; the first `key.pin` adopts
/// them, so a database upgraded from an unkeyed log starts out fully covered.
pub async fn unvouched_rows(conn: &mut AnyConnection) -> Result<Vec<RowRef>> {
    let vouched = latest_refs(&store::audit::entries(conn).await?);
    let mut out = Vec::new();
    for covered in &store::audit::COVERED {
        for content in store::audit::rows(conn, covered).await? {
            if !vouched.contains_key(&(covered.table.to_owned(), content.0)) {
                out.push(RowRef {
                    table: covered.table.to_owned(),
                    id: content.0,
                    sha256: row_hash(covered, &content),
                });
            }
        }
    }
    Ok(out)
}

/// Appends an event signed by `key`, vouching for the rows its detail names and for `extra`;
/// call inside a transaction that already locked `lifecycle_lock`. Returns the sequence number.
pub async fn append(
    conn: &mut AnyConnection,
    at: i64,
    event: &Event<'_>,
    key: SigningKey<'_>,
    extra: Vec<RowRef>,
) -> Result<i64> {
    let (last_seq, prev_hash) = store::audit::head(conn).await?;
    let mut rows = referenced_rows(conn, event.pack_id, &event.detail).await?;
    rows.extend(extra);
    let rows_json = serde_json::to_string(&rows).map_err(|error| {
        tracing::error!(%error, "serialising audit rows failed");
        app::backend::BackendError::Unavailable
    })?;
    let mut entry = EntryRow {
        seq: last_seq + 1,
        at,
        actor: event.actor.to_owned(),
        action: event.action.to_owned(),
        pack_id: event.pack_id.to_owned(),
        digest: event.digest.to_owned(),
        detail_json: event.detail.to_string(),
        rows_json,
        prev_hash,
        hash: String::new(),
        key_id: Some(key.id),
        signature: None,
    };
    entry.hash = entry_hash(&entry);
    entry.signature = Some(key.signer.sign(&signed_message(entry.seq, &entry.hash)));
    store::audit::insert(conn, &entry).await?;
    Ok(entry.seq)
}

/// An exported head of the chain: keep it outside the database (a ticket, a CI artifact, a
/// WORM bucket); `cavra audit verify --anchor` then detects rewriting and truncation up to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Anchor {
    /// Always [`ANCHOR_SCHEMA`].
    pub schema_version: String,
    /// The anchored entry.
    pub seq: i64,
    /// Its chained hash.
    pub hash: String,
    /// Its signature over `seq` and `hash`.
    pub signature: String,
    /// The public key that signed it, hex.
    pub public_key: String,
    /// That key's fingerprint.
    pub fingerprint: String,
    /// When the entry was written (RFC 3339).
    pub entry_at: String,
    /// When the anchor was taken (RFC 3339).
    pub anchored_at: String,
}

/// The anchor of the newest entry, `None` for an empty log. Call after [`verify`] passed.
pub async fn anchor(conn: &mut AnyConnection, now: i64) -> Result<Option<Anchor>> {
    let Some(last) = store::audit::last(conn).await? else {
        return Ok(None);
    };
    let keys = store::keys::all(conn).await?;
    let key = last
        .key_id
        .and_then(|id| keys.into_iter().find(|key| key.id == id));
    let (Some(signature), Some(key)) = (last.signature, key) else {
        return Ok(None);
    };
    Ok(Some(Anchor {
        schema_version: ANCHOR_SCHEMA.to_owned(),
        seq: last.seq,
        hash: last.hash,
        signature,
        fingerprint: fingerprint(&key.public_key),
        public_key: key.public_key,
        entry_at: crate::time::rfc3339(last.at),
        anchored_at: crate::time::rfc3339(now),
    }))
}

/// What [`verify`] trusts beyond the database.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The key the server signs with now (its key file, or `--public-key`), with where it was
    /// read: the chain's newest key must be this one. Without it, a database writer could
    /// append a `key.rotate` to a key of their own and sign from there on.
    pub current: Option<(String, String)>,
    /// An anchor taken earlier: the chain must still contain that entry, unchanged.
    pub anchor: Option<Anchor>,
}

/// A signing key as the chain introduced it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    /// Key id.
    pub id: i64,
    /// Fingerprint.
    pub fingerprint: String,
    /// Public key, hex.
    pub public_key: String,
    /// The `key.pin` / `key.rotate` entry that introduced it (none: never introduced).
    pub introduced_at: Option<i64>,
    /// That entry's action.
    pub introduced_by: Option<String>,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Entries checked.
    pub entries: i64,
    /// Rows of the covered tables checked against the entries vouching for them.
    pub rows: i64,
    /// The signing keys, in the order the chain introduced them.
    pub keys: Vec<KeyInfo>,
    /// Every problem found; empty when the log is intact.
    pub problems: Vec<String>,
}

impl Report {
    /// Whether the chain is intact.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The newest entry vouching for each `(table, id)`: `(seq, sha256)`. Unreadable `rows_json` is
/// skipped here and reported by [`verify`].
fn latest_refs(entries: &[EntryRow]) -> HashMap<(String, i64), (i64, String)> {
    let mut out = HashMap::new();
    for entry in entries {
        if let Ok(rows) = serde_json::from_str::<Vec<RowRef>>(&entry.rows_json) {
            for row in rows {
                out.insert((row.table, row.id), (entry.seq, row.sha256));
            }
        }
    }
    out
}

/// Re-computes the chain, checks every signature and every covered row, and compares the end
/// with the recorded head, the server's key and an anchor when given.
pub async fn verify(conn: &mut AnyConnection, trust: &Trust) -> Result<Report> {
    let entries = store::audit::entries(conn).await?;
    let pinned: BTreeMap<i64, store::keys::KeyRow> = store::keys::all(conn)
        .await?
        .into_iter()
        .map(|key| (key.id, key))
        .collect();
    let mut problems = Vec::new();
    let mut introduced: Vec<(i64, i64, String)> = Vec::new();
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    let mut signed_seen = false;
    for entry in &entries {
        let seq = entry.seq;
        if seq != expected_seq {
            problems.push(format!(
                "entry {expected_seq} is missing (next entry is {seq})"
            ));
        }
        if entry.prev_hash != expected_prev {
            problems.push(format!("entry {seq} does not chain to the entry before it"));
        }
        if entry_hash(entry) != entry.hash {
            problems.push(format!("entry {seq} was modified (hash mismatch)"));
        }
        if serde_json::from_str::<Vec<RowRef>>(&entry.rows_json).is_err() {
            problems.push(format!("entry {seq} has unreadable rows_json"));
        }
        match (entry.key_id, entry.signature.as_deref()) {
            (None, None) if signed_seen => problems.push(format!(
                "entry {seq} is not signed, but entries before it are (signatures were stripped)"
            )),
            (None, None) => {}
            (Some(key_id), Some(signature)) => {
                signed_seen = true;
                if KEY_ACTIONS.contains(&entry.action.as_str()) {
                    let detail: serde_json::Value =
                        serde_json::from_str(&entry.detail_json).unwrap_or_default();
                    if detail
                        .get("evidence_key_id")
                        .and_then(serde_json::Value::as_i64)
                        == Some(key_id)
                    {
                        introduced.push((key_id, seq, entry.action.clone()));
                    }
                }
                check_signature(
                    entry,
                    key_id,
                    signature,
                    &pinned,
                    &introduced,
                    &mut problems,
                );
            }
            _ => problems.push(format!("entry {seq} has a key id or a signature, not both")),
        }
        expected_prev = entry.hash.clone();
        expected_seq = seq + 1;
    }
    let last_seq = expected_seq - 1;
    if let Some(last) = entries.last() {
        if last.signature.is_none() {
            problems.push(format!(
                "the newest entry {} is not signed; the server signs every entry it writes",
                last.seq
            ));
        }
    }
    let (head_seq, head_hash) = store::audit::head(conn).await?;
    if head_seq != last_seq || head_hash != expected_prev {
        problems.push(format!(
            "the chain ends at entry {last_seq} but the recorded head is entry {head_seq}"
        ));
    }
    let rows = check_rows(conn, &entries, &mut problems).await?;
    check_pointers(conn, &mut problems).await?;
    check_rules(conn, &entries, &mut problems).await?;
    let keys: Vec<KeyInfo> = pinned
        .values()
        .map(|key| {
            let intro = introduced.iter().find(|(id, _, _)| *id == key.id);
            KeyInfo {
                id: key.id,
                fingerprint: fingerprint(&key.public_key),
                public_key: key.public_key.clone(),
                introduced_at: intro.map(|(_, seq, _)| *seq),
                introduced_by: intro.map(|(_, _, action)| action.clone()),
            }
        })
        .collect();
    if let Some((current, source)) = &trust.current {
        let newest = introduced.last().and_then(|(id, _, _)| pinned.get(id));
        match newest {
            Some(key) if key.public_key.eq_ignore_ascii_case(current.trim()) => {}
            Some(key) => problems.push(format!(
                "the chain's current key {} is not the key in {source} ({}): a key was \
                 introduced behind the server's back, or {source} is not this server's",
                fingerprint(&key.public_key),
                fingerprint(current)
            )),
            // A key introduced but no longer pinned was reported with its entries above.
            None if signed_seen && introduced.is_empty() => problems.push(format!(
                "no key.pin entry introduces a key, so nothing ties the chain to {source}"
            )),
            None => {}
        }
    }
    if let Some(anchor) = &trust.anchor {
        check_anchor(anchor, &entries, &pinned, last_seq, &mut problems);
    }
    Ok(Report {
        entries: i64::try_from(entries.len()).unwrap_or(i64::MAX),
        rows,
        keys,
        problems,
    })
}

fn check_signature(
    entry: &EntryRow,
    key_id: i64,
    signature: &str,
    pinned: &BTreeMap<i64, store::keys::KeyRow>,
    introduced: &[(i64, i64, String)],
    problems: &mut Vec<String>,
) {
    let seq = entry.seq;
    let Some(key) = pinned.get(&key_id) else {
        problems.push(format!(
            "entry {seq} is signed by key {key_id}, which is not pinned"
        ));
        return;
    };
    if !introduced.iter().any(|(id, _, _)| *id == key_id) {
        problems.push(format!(
            "entry {seq} is signed by key {}, which no earlier key.pin or key.rotate entry introduced",
            fingerprint(&key.public_key)
        ));
    }
    if crate::evidence::verify(
        &signed_message(seq, &entry.hash),
        signature,
        &key.public_key,
    )
    .is_err()
    {
        problems.push(format!(
            "entry {seq} has an invalid signature (rewritten without the key)"
        ));
    }
}

/// Every covered row against the newest entry vouching for it; returns how many rows exist.
async fn check_rows(
    conn: &mut AnyConnection,
    entries: &[EntryRow],
    problems: &mut Vec<String>,
) -> Result<i64> {
    let mut vouched = latest_refs(entries);
    let mut count = 0i64;
    for covered in &store::audit::COVERED {
        for content in store::audit::rows(conn, covered).await? {
            count += 1;
            let id = content.0;
            match vouched.remove(&(covered.table.to_owned(), id)) {
                None => problems.push(format!(
                    "{} row {id} has no audit entry (written outside the service)",
                    covered.table
                )),
                Some((seq, hash)) if hash != row_hash(covered, &content) => problems.push(format!(
                    "{} row {id} differs from what audit entry {seq} recorded (edited)",
                    covered.table
                )),
                Some(_) => {}
            }
        }
    }
    let mut missing: Vec<_> = vouched.into_iter().collect();
    missing.sort_by_key(|(_, (seq, _))| *seq);
    for ((table, id), (seq, _)) in missing {
        problems.push(format!(
            "{table} row {id}, recorded by audit entry {seq}, is missing (deleted)"
        ));
    }
    Ok(count)
}

/// Each pack's enforced pointer must be the newest move of its (covered) history.
async fn check_pointers(conn: &mut AnyConnection, problems: &mut Vec<String>) -> Result<()> {
    for (pack, digest, seq, history_seq, history_digest) in store::audit::pointers(conn).await? {
        let consistent = match (&digest, history_seq) {
            (None, None) => seq == 0,
            (Some(digest), Some(history_seq)) => {
                history_seq == seq && history_digest.as_deref() == Some(digest.as_str())
            }
            _ => false,
        };
        if !consistent {
            problems.push(format!(
                "pack `{pack}` enforces {} at sequence {seq}, but its enforcement history ends \
                 with {} at sequence {}",
                digest.as_deref().unwrap_or("nothing"),
                history_digest.as_deref().unwrap_or("nothing"),
                history_seq.map_or_else(|| "0".to_owned(), |seq| seq.to_string())
            ));
        }
    }
    Ok(())
}

/// Each pack's approval and shadow rules must be the ones its newest `pack.approval_rule` and
/// `pack.shadow_rule` entries set (or the defaults, with no such entry): the gate reads them, so
/// a rule edited in the database fails.
async fn check_rules(
    conn: &mut AnyConnection,
    entries: &[EntryRow],
    problems: &mut Vec<String>,
) -> Result<()> {
    for pack in store::packs::list(conn).await? {
        let rules = [
            ("pack.approval_rule", &pack.approval_rule_json, "approval"),
            ("pack.shadow_rule", &pack.shadow_rule_json, "shadow"),
        ];
        for (action, stored, what) in rules {
            let newest = entries
                .iter()
                .rev()
                .find(|e| e.action == action && e.pack_id == pack.id)
                .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.detail_json).ok())
                .and_then(|detail| detail.get("after").cloned());
            let stored = stored
                .as_deref()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
            if newest != stored {
                problems.push(format!(
                    "pack `{}`'s {what} rule is not the one its audit log set",
                    pack.id
                ));
            }
        }
    }
    Ok(())
}

fn check_anchor(
    anchor: &Anchor,
    entries: &[EntryRow],
    pinned: &BTreeMap<i64, store::keys::KeyRow>,
    last_seq: i64,
    problems: &mut Vec<String>,
) {
    let seq = anchor.seq;
    if crate::evidence::verify(
        &signed_message(seq, &anchor.hash),
        &anchor.signature,
        &anchor.public_key,
    )
    .is_err()
    {
        problems.push(format!(
            "the anchor's signature does not match its entry {seq} under its public key"
        ));
    }
    let Some(entry) = entries.iter().find(|entry| entry.seq == seq) else {
        problems.push(format!(
            "the anchored entry {seq} is missing: the log ends at entry {last_seq} (entries \
             were deleted)"
        ));
        return;
    };
    if entry.hash != anchor.hash {
        problems.push(format!(
            "entry {seq} differs from the anchor taken at {} (the log was rewritten)",
            anchor.anchored_at
        ));
    }
    let signer = entry.key_id.and_then(|id| pinned.get(&id));
    if !signer.is_some_and(|key| {
        key.public_key
            .eq_ignore_ascii_case(anchor.public_key.trim())
    }) {
        problems.push(format!(
            "entry {seq} is not signed by the anchor's key {}",
            fingerprint(&anchor.public_key)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key_id: Option<i64>) -> EntryRow {
        EntryRow {
            seq: 1,
            at: 5,
            actor: "a".into(),
            action: "publish".into(),
            pack_id: "p".into(),
            digest: "sha256:x".into(),
            detail_json: "{}".into(),
            rows_json: "[]".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            key_id,
            signature: None,
        }
    }

    #[test]
    fn the_keyed_hash_covers_rows_and_key_but_the_legacy_one_keeps_its_form() {
        let legacy = entry(None);
        let mut rows = legacy.clone();
        rows.rows_json = "[1]".into();
        assert_eq!(
            entry_hash(&legacy),
            entry_hash(&rows),
            "legacy ignores rows"
        );
        let keyed = entry(Some(1));
        let mut other_key = keyed.clone();
        other_key.key_id = Some(2);
        let mut other_rows = keyed.clone();
        other_rows.rows_json = "[1]".into();
        assert_ne!(entry_hash(&keyed), entry_hash(&other_key));
        assert_ne!(entry_hash(&keyed), entry_hash(&other_rows));
        assert_ne!(entry_hash(&keyed), entry_hash(&legacy));
        assert_ne!(signed_message(1, "ab"), signed_message(2, "ab"));
    }

    #[test]
    fn row_hashes_name_their_table() {
        let content = (1, vec![serde_json::Value::from("x")]);
        assert_ne!(
            row_hash(&store::audit::SIGNOFFS, &content),
            row_hash(&store::audit::USERS, &content)
        );
    }
}
