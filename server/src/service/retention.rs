//! Retention: the decision log and shadow observations are pruned by age and by rows
//! ([`crate::config::RetentionLimits`]), by `cavra serve` every interval ([`spawn`]) and by
//! `cavra db prune` ([`prune`]).
//!
//! What pruning never changes:
//! - **The shadow gate.** A pruned observation is added to its run's tallies in the transaction
//!   that deletes it, and the gate counts live rows plus tallies
//!   ([`crate::store::shadow::counts`]): observations, divergences, distinct runtimes and the
//!   observed span stay exactly what they were.
//! - **Unacknowledged divergences.** They are never pruned, nor the decisions they refer to, so
//!   pruning cannot unblock a gate; once acknowledged they go like any other row.
//! - **The audit chain.** Decision and observation rows are not rows the chain vouches for
//!   ([`crate::store::audit::COVERED`]); each pass that deleted something appends one entry
//!   (`retention.prune`: counts and bounds), so `cavra audit verify` holds after a prune.
//!
//! Rows go in id order, in batches of at most [`BATCH_ROWS`] decisions per transaction, and a
//! batch's size adapts so that one transaction holds SQLite's write lock for tens of
//! milliseconds; between batches the pass pauses about as long as the batch took, so the
//! decision writer ([`super::writer`]) takes its turn. After a pass that deleted something the
//! SQLite WAL is truncated ([`crate::db::Database::truncate_wal`]; if busy, at the next
//! interval). Freed pages stay in the file and new rows reuse them, so a database under
//! retention stays the same size rather than shrinking.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::{now_millis, rfc3339, Result, Service};
use crate::config::RetentionLimits;
use crate::store;
use crate::store::db_error;
use crate::store::retention::{Batch, Deleted};

/// Most decisions deleted per transaction.
pub const BATCH_ROWS: i64 = 5000;
/// Fewest decisions per transaction (when even small batches are slow).
const MIN_BATCH_ROWS: i64 = 100;
/// A batch that held its transaction longer than this halves the next one…
const SLOW_BATCH: Duration = Duration::from_millis(50);
/// …and one faster than this doubles it (up to [`BATCH_ROWS`]).
const FAST_BATCH: Duration = Duration::from_millis(15);
/// A pass deletes at most this many decisions, then is recorded; the next pass goes on.
pub const MAX_PASS_ROWS: u64 = 1_000_000;

/// The bounds of one pass (0: that bound is off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneOptions {
    /// Decisions older than this many seconds go.
    pub max_age_secs: u64,
    /// Only the newest this many decision ids are kept.
    pub max_rows: u64,
    /// Count what would go; delete nothing, record nothing.
    pub dry_run: bool,
}

impl From<&RetentionLimits> for PruneOptions {
    fn from(limits: &RetentionLimits) -> Self {
        PruneOptions {
            max_age_secs: limits.max_age_secs,
            max_rows: limits.max_rows,
            dry_run: false,
        }
    }
}

/// What a pass deleted (or, in a dry run, would delete).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    /// Nothing was deleted: these are the counts a real pass would delete now.
    pub dry_run: bool,
    /// Decision-log rows.
    pub decisions: u64,
    /// Shadow observations.
    pub observations: u64,
    /// Decisions within the bounds that stay because an unacknowledged divergence refers to them.
    pub kept_unacknowledged: u64,
    /// Transactions (batches) the pass took.
    pub batches: u32,
    /// Decisions from before this time (unix ms) go by age.
    pub cutoff_at: Option<i64>,
    /// Decisions with an id up to this go by the row bound.
    pub through_id: Option<i64>,
    /// The pass reached every row the bounds let go (false: it stopped at [`MAX_PASS_ROWS`];
    /// another pass goes on).
    pub complete: bool,
}

impl PruneReport {
    /// Whether the pass deleted (or would delete) anything.
    pub fn deleted_any(&self) -> bool {
        self.decisions > 0 || self.observations > 0
    }
}

/// One prune pass as `actor` (recorded in the audit entry when it deleted something).
pub async fn prune(service: &Service, actor: &str, options: PruneOptions) -> Result<PruneReport> {
    let mut report = PruneReport {
        dry_run: options.dry_run,
        ..PruneReport::default()
    };
    if options.max_age_secs == 0 && options.max_rows == 0 {
        report.complete = true;
        return Ok(report);
    }
    let before_at = match options.max_age_secs {
        0 => i64::MIN,
        secs => now_millis()
            .saturating_sub(i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)),
    };
    report.cutoff_at = (options.max_age_secs > 0).then_some(before_at);
    let max_id = match options.max_rows {
        0 => 0,
        rows => {
            let mut conn = service.conn().await?;
            let newest = store::retention::max_id(&mut conn).await?;
            // Ids only grow (gaps from rolled-back PostgreSQL inserts aside), so at most
            // `max_rows` rows have an id above this.
            newest
                .saturating_sub(i64::try_from(rows).unwrap_or(i64::MAX))
                .max(0)
        }
    };
    report.through_id = (max_id > 0).then_some(max_id);

    let mut after = 0;
    let mut size = BATCH_ROWS;
    report.complete = true;
    loop {
        if !options.dry_run && report.decisions >= MAX_PASS_ROWS {
            report.complete = false;
            break;
        }
        let rows = {
            let mut conn = service.conn().await?;
            store::retention::next_rows(&mut conn, after, size).await?
        };
        // The rows that may go form a prefix in id order: every id up to the row bound, then
        // rows old enough, up to the first that is not (a row a little older behind it, from a
        // replica whose clock is behind, goes in a later pass).
        let prunable = rows
            .iter()
            .take_while(|(id, at)| *id <= max_id || *at < before_at)
            .count();
        let Some(&(through, _)) = prunable.checked_sub(1).and_then(|last| rows.get(last)) else {
            break;
        };
        let batch = Batch {
            after,
            through,
            max_id,
            before_at,
        };
        let started = Instant::now();
        let deleted = if options.dry_run {
            let mut conn = service.conn().await?;
            store::retention::count(&mut conn, batch).await?
        } else {
            delete(service, batch).await?
        };
        let held = started.elapsed();
        report.batches += 1;
        report.decisions += deleted.decisions;
        report.observations += deleted.observations;
        report.kept_unacknowledged += (prunable as u64).saturating_sub(deleted.decisions);
        after = through;
        if prunable < rows.len() || rows.len() < usize::try_from(size).unwrap_or(usize::MAX) {
            break;
        }
        size = if held > SLOW_BATCH {
            (size / 2).max(MIN_BATCH_ROWS)
        } else if held < FAST_BATCH {
            (size * 2).min(BATCH_ROWS)
        } else {
            size
        };
        // Let the decision writer (waiting on SQLite's busy timeout) take the lock in between.
        tokio::time::sleep(held.clamp(Duration::from_millis(5), Duration::from_millis(200))).await;
    }
    if !options.dry_run && report.deleted_any() {
        record(service, actor, &options, &report).await?;
    }
    Ok(report)
}

/// Deletes one batch in its own transaction.
async fn delete(service: &Service, batch: Batch) -> Result<Deleted> {
    let mut tx = service.db().pool().begin().await.map_err(db_error)?;
    let deleted = store::retention::delete(&mut tx, batch).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(deleted)
}

/// The pass's audit entry.
async fn record(
    service: &Service,
    actor: &str,
    options: &PruneOptions,
    report: &PruneReport,
) -> Result<()> {
    let mut write = service.begin_write(actor).await?;
    let detail = serde_json::json!({
        "decisions": report.decisions,
        "observations": report.observations,
        "kept_unacknowledged": report.kept_unacknowledged,
        "max_age_secs": options.max_age_secs,
        "max_rows": options.max_rows,
        "cutoff_at": report.cutoff_at.map(rfc3339),
        "through_decision": report.through_id,
    });
    write.audit("retention.prune", "", "", detail).await?;
    service.commit(write).await
}

/// Starts pruning every `interval_secs` under the service's [`RetentionLimits`] (first pass at
/// once), truncating the SQLite WAL after each pass that deleted something. Nothing when
/// retention or the interval is off. The task lives as long as the runtime.
pub fn spawn(service: Service) -> Option<tokio::task::JoinHandle<()>> {
    let limits = service.config().retention.clone();
    if !limits.enabled() || limits.interval_secs == 0 {
        return None;
    }
    let options = PruneOptions::from(&limits);
    Some(tokio::spawn(async move {
        // At most a day, so a huge setting cannot overflow the timer.
        let period = Duration::from_secs(limits.interval_secs.min(24 * 3600));
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut truncate = false;
        loop {
            ticks.tick().await;
            loop {
                match prune(&service, "system", options).await {
                    Ok(report) => {
                        if report.deleted_any() {
                            truncate = true;
                            tracing::info!(
                                decisions = report.decisions,
                                observations = report.observations,
                                kept_unacknowledged = report.kept_unacknowledged,
                                batches = report.batches,
                                "pruned the decision log"
                            );
                        }
                        if report.complete {
                            break;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "pruning the decision log failed; retrying next interval");
                        break;
                    }
                }
            }
            if truncate {
                match service.db().truncate_wal().await {
                    Ok(true) => truncate = false,
                    Ok(false) => tracing::debug!("the WAL is busy; truncating it next interval"),
                    Err(error) => {
                        tracing::warn!(error = %format!("{error:#}"), "truncating the WAL failed")
                    }
                }
            }
        }
    }))
}
