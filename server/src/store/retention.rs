//! Pruning of the decision log and shadow observations, one batch of decision ids at a time
//! ([`crate::service::retention`] chooses the batches and bounds).
//!
//! A batch is a range of decision ids `(after, through]` and the rule a row must meet to go:
//! its id is at most `max_id` (the row bound) or its time is before `before_at` (the age bound).
//! Within it, an observation that is an unacknowledged divergence is never deleted, and neither
//! is its decision; every other observation is deleted with its decision, and added to its run's
//! tallies (`shadow_pruned`, `shadow_pruned_flips`) in the same transaction, so that what the
//! gate counts (live rows plus tallies, [`crate::store::shadow::counts`]) never changes.

use std::collections::BTreeMap;

use sqlx::AnyConnection;

use super::Result;

/// Which rows of a batch may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// Ids greater than this…
    pub after: i64,
    /// …and at most this.
    pub through: i64,
    /// Rows with an id at most this go (the row bound); 0: none by id.
    pub max_id: i64,
    /// Rows whose `at` is before this go (the age bound); `i64::MIN`: none by age.
    pub before_at: i64,
}

/// The decision-log rows of a batch that meet the rule (`$1`–`$4`, bound by [`bind`]).
const RULE: &str = "id > $1 AND id <= $2 AND (id <= $3 OR at < $4)";

/// The observations of those rows (the range repeated, so the planner walks the index).
const OF_BATCH: &str = "decision_id > $1 AND decision_id <= $2 AND decision_id IN \
     (SELECT id FROM decision_log WHERE id > $1 AND id <= $2 AND (id <= $3 OR at < $4))";

/// An observation pruning may delete: anything but an unacknowledged divergence.
const PRUNABLE_OBSERVATION: &str = "(diverged = 0 OR acknowledged_by IS NOT NULL)";

/// Binds a batch's `$1`–`$4`.
fn bind<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    batch: Batch,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    query
        .bind(batch.after)
        .bind(batch.through)
        .bind(batch.max_id)
        .bind(batch.before_at)
}

/// `(id, at)` of up to `limit` decision-log rows with `id > after`, in id order.
pub async fn next_rows(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(
        sqlx::query_as("SELECT id, at FROM decision_log WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// The newest decision-log id (0 when the log is empty).
pub async fn max_id(conn: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM decision_log")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// What a batch deleted (or, counted, would delete).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deleted {
    /// Decision-log rows.
    pub decisions: u64,
    /// Shadow observations.
    pub observations: u64,
}

/// Counts what [`delete`] would delete now, deleting nothing.
pub async fn count(conn: &mut AnyConnection, batch: Batch) -> Result<Deleted> {
    let (decisions,): (i64,) = bind(
        sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM decision_log WHERE {RULE} AND NOT EXISTS (SELECT 1 FROM \
             observations o WHERE o.decision_id = decision_log.id AND NOT {PRUNABLE_OBSERVATION})"
        )),
        batch,
    )
    .fetch_one(&mut *conn)
    .await?;
    let (observations,): (i64,) = bind(
        sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM observations WHERE {OF_BATCH} AND {PRUNABLE_OBSERVATION}"
        )),
        batch,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Deleted {
        decisions: u64::try_from(decisions).unwrap_or(0),
        observations: u64::try_from(observations).unwrap_or(0),
    })
}

/// A deleted observation, as its run's tallies need it.
#[derive(Debug, sqlx::FromRow)]
struct Gone {
    shadow_id: i64,
    runtime: String,
    diverged: i64,
    flip_kind: String,
    enforced_rule_id: String,
    candidate_rule_id: String,
    at: i64,
}

/// Per `(run, runtime)`: observations, divergences, first and last `at`.
type RunTally = BTreeMap<(i64, String), (i64, i64, i64, i64)>;
/// Per `(run, flip kind, enforced rule, candidate rule)`: authenticated divergences.
type FlipTally = BTreeMap<(i64, String, String, String), i64>;

/// Deletes a batch inside the caller's transaction, whose first statement this must be (on
/// SQLite a transaction that writes first takes the write lock at once, waiting on the busy
/// timeout, instead of failing when another writer committed after it read).
///
/// The observations go first, each one counted into its run's tallies from what the `DELETE`
/// returned (so two replicas pruning the same rows on PostgreSQL count each row once: the second
/// `DELETE` returns nothing), then the decisions that no observation refers to any more.
pub async fn delete(conn: &mut AnyConnection, batch: Batch) -> Result<Deleted> {
    let gone: Vec<Gone> = bind(
        sqlx::query_as(&format!(
            "DELETE FROM observations WHERE {OF_BATCH} AND {PRUNABLE_OBSERVATION} RETURNING \
             shadow_id, runtime, diverged, flip_kind, enforced_rule_id, candidate_rule_id, at"
        )),
        batch,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut runs = RunTally::new();
    let mut flips = FlipTally::new();
    for row in &gone {
        let diverged = i64::from(row.diverged == 1);
        let entry = runs
            .entry((row.shadow_id, row.runtime.clone()))
            .or_insert((0, 0, row.at, row.at));
        entry.0 += 1;
        entry.1 += diverged;
        entry.2 = entry.2.min(row.at);
        entry.3 = entry.3.max(row.at);
        // The summary's flip and rule breakdowns count authenticated divergences only.
        if diverged == 1 && !row.runtime.is_empty() {
            *flips
                .entry((
                    row.shadow_id,
                    row.flip_kind.clone(),
                    row.enforced_rule_id.clone(),
                    row.candidate_rule_id.clone(),
                ))
                .or_insert(0) += 1;
        }
    }
    for ((shadow_id, runtime), (observations, divergences, first_at, last_at)) in runs {
        sqlx::query(
            "INSERT INTO shadow_pruned \
             (shadow_id, runtime, observations, divergences, first_at, last_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (shadow_id, runtime) DO UPDATE SET \
             observations = shadow_pruned.observations + excluded.observations, \
             divergences = shadow_pruned.divergences + excluded.divergences, \
             first_at = CASE WHEN excluded.first_at < shadow_pruned.first_at \
                THEN excluded.first_at ELSE shadow_pruned.first_at END, \
             last_at = CASE WHEN excluded.last_at > shadow_pruned.last_at \
                THEN excluded.last_at ELSE shadow_pruned.last_at END",
        )
        .bind(shadow_id)
        .bind(runtime)
        .bind(observations)
        .bind(divergences)
        .bind(first_at)
        .bind(last_at)
        .execute(&mut *conn)
        .await?;
    }
    for ((shadow_id, flip_kind, enforced_rule, candidate_rule), divergences) in flips {
        sqlx::query(
            "INSERT INTO shadow_pruned_flips \
             (shadow_id, flip_kind, enforced_rule_id, candidate_rule_id, divergences) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (shadow_id, flip_kind, enforced_rule_id, candidate_rule_id) \
             DO UPDATE SET divergences = shadow_pruned_flips.divergences + excluded.divergences",
        )
        .bind(shadow_id)
        .bind(flip_kind)
        .bind(enforced_rule)
        .bind(candidate_rule)
        .bind(divergences)
        .execute(&mut *conn)
        .await?;
    }
    let decisions = sqlx::query(&format!(
        "DELETE FROM decision_log WHERE {RULE} AND NOT EXISTS \
         (SELECT 1 FROM observations o WHERE o.decision_id = decision_log.id)"
    ))
    .bind(batch.after)
    .bind(batch.through)
    .bind(batch.max_id)
    .bind(batch.before_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(Deleted {
        decisions,
        observations: gone.len() as u64,
    })
}
