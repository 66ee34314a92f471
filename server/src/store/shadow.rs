//! Shadow runs and their observations (written by the decision writer, read here).

use std::collections::BTreeMap;

use sqlx::AnyConnection;

use app::backend::{RuntimeObservations, ShadowRun};

use super::{rfc3339, Result};

/// A shadow run as stored, with its times in unix ms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    /// Run id.
    pub id: i64,
    /// Pack.
    pub pack_id: String,
    /// The candidate observed.
    pub candidate_digest: String,
    /// The enforced digest it is compared against.
    pub enforced_digest: String,
    /// Who started it.
    pub started_by: String,
    /// When it started.
    pub started_at: i64,
    /// When it stopped.
    pub stopped_at: Option<i64>,
}

impl From<RunRow> for ShadowRun {
    fn from(row: RunRow) -> Self {
        ShadowRun {
            id: row.id,
            pack_id: row.pack_id,
            candidate_digest: row.candidate_digest,
            enforced_digest: row.enforced_digest,
            started_by: row.started_by,
            started_at: rfc3339(row.started_at),
            stopped_at: row.stopped_at.map(rfc3339),
        }
    }
}

const SELECT: &str = "SELECT id, pack_id, candidate_digest, enforced_digest, started_by, \
     started_at, stopped_at FROM shadow_runs";

/// The active run of a pack.
pub async fn active(conn: &mut AnyConnection, pack_id: &str) -> Result<Option<RunRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE pack_id = $1 AND stopped_at IS NULL"
    ))
    .bind(pack_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The newest run of a pack (for one candidate, when given), active or stopped.
pub async fn latest(
    conn: &mut AnyConnection,
    pack_id: &str,
    candidate: Option<&str>,
) -> Result<Option<RunRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE pack_id = $1 AND ($2 = '' OR candidate_digest = $2) \
         ORDER BY id DESC LIMIT 1"
    ))
    .bind(pack_id)
    .bind(candidate.unwrap_or(""))
    .fetch_optional(&mut *conn)
    .await?)
}

/// Starts a run; a second active run of the pack is a unique violation.
pub async fn insert(
    conn: &mut AnyConnection,
    pack_id: &str,
    candidate: &str,
    enforced: &str,
    started_by: &str,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO shadow_runs (pack_id, candidate_digest, enforced_digest, started_by, started_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(pack_id)
    .bind(candidate)
    .bind(enforced)
    .bind(started_by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// Stops a run.
pub async fn stop(conn: &mut AnyConnection, run_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE shadow_runs SET stopped_at = $1 WHERE id = $2")
        .bind(now)
        .bind(run_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The observation counts of a run. Only observations made by an authenticated runtime count;
/// the rest (recorded before tokens were required) are reported as `unauthenticated`.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Decisions observed.
    pub observations: i64,
    /// Of which diverged.
    pub divergences: i64,
    /// Of which nobody acknowledged.
    pub unacknowledged: i64,
    /// Divergences by flip kind.
    pub by_flip: BTreeMap<String, i64>,
    /// Divergences by `enforced rule -> candidate rule`.
    pub by_rule: BTreeMap<String, i64>,
    /// The counts per runtime, by name.
    pub by_runtime: Vec<RuntimeObservations>,
    /// Milliseconds from the first to the last counted observation.
    pub traffic_ms: i64,
    /// Observations without a runtime.
    pub unauthenticated: i64,
}

/// Rolls up the observations of a run: its live rows plus what pruning removed from it
/// (`shadow_pruned`, `shadow_pruned_flips`, written in the transaction that deleted the rows, see
/// [`super::retention`]), so pruning never changes a count. Each roll-up is one statement, so it
/// reads one snapshot even while a prune commits (on PostgreSQL a second statement could see the
/// rows gone and the tallies grown, or the reverse). Unacknowledged divergences are never pruned:
/// they are counted from the live rows alone.
pub async fn counts(conn: &mut AnyConnection, run_id: i64) -> Result<Counts> {
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT runtime, CAST(SUM(n) AS BIGINT), CAST(SUM(d) AS BIGINT), CAST(SUM(u) AS BIGINT), \
         MIN(first_at), MAX(last_at) FROM (\
           SELECT runtime, COUNT(*) AS n, COUNT(CASE WHEN diverged = 1 THEN 1 END) AS d, \
           COUNT(CASE WHEN diverged = 1 AND acknowledged_by IS NULL THEN 1 END) AS u, \
           MIN(at) AS first_at, MAX(at) AS last_at \
           FROM observations WHERE shadow_id = $1 GROUP BY runtime \
           UNION ALL \
           SELECT runtime, observations, divergences, 0, first_at, last_at \
           FROM shadow_pruned WHERE shadow_id = $1\
         ) counted GROUP BY runtime ORDER BY runtime",
    )
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut counts = Counts::default();
    let mut span: Option<(i64, i64)> = None;
    for (runtime, observations, divergences, unacknowledged, min_at, max_at) in rows {
        if runtime.is_empty() {
            counts.unauthenticated = observations;
            continue;
        }
        counts.observations += observations;
        counts.divergences += divergences;
        counts.unacknowledged += unacknowledged;
        span = Some(span.map_or((min_at, max_at), |(first, last)| {
            (first.min(min_at), last.max(max_at))
        }));
        counts.by_runtime.push(RuntimeObservations {
            runtime,
            observations,
            divergences,
            unacknowledged,
        });
    }
    counts.traffic_ms = span.map_or(0, |(first, last)| last.saturating_sub(first).max(0));
    let flips: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT flip_kind, enforced_rule_id, candidate_rule_id, CAST(SUM(n) AS BIGINT) FROM (\
           SELECT flip_kind, enforced_rule_id, candidate_rule_id, COUNT(*) AS n \
           FROM observations WHERE shadow_id = $1 AND diverged = 1 AND runtime <> '' \
           GROUP BY flip_kind, enforced_rule_id, candidate_rule_id \
           UNION ALL \
           SELECT flip_kind, enforced_rule_id, candidate_rule_id, divergences \
           FROM shadow_pruned_flips WHERE shadow_id = $1\
         ) counted GROUP BY flip_kind, enforced_rule_id, candidate_rule_id",
    )
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    for (flip, from, to, count) in flips {
        *counts.by_flip.entry(flip).or_insert(0) += count;
        *counts.by_rule.entry(format!("{from} -> {to}")).or_insert(0) += count;
    }
    Ok(counts)
}

/// Marks every unacknowledged divergence of a run as acknowledged by `user`; returns how many.
pub async fn acknowledge_all(conn: &mut AnyConnection, run_id: i64, user: &str) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE observations SET acknowledged_by = $1 \
         WHERE shadow_id = $2 AND diverged = 1 AND acknowledged_by IS NULL",
    )
    .bind(user)
    .bind(run_id)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}
