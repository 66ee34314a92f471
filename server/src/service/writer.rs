//! Group commit of runtime decisions: `POST /v1/decisions` hands its decision-log row (and, in
//! shadow mode, its observation) to one writer task per process, which inserts whatever is
//! queued, up to [`MAX_BATCH`] decisions, in one transaction, then acknowledges each request.
//! A request answers only after its batch committed, so every answered decision is recorded
//! ("answered ⇒ recorded" holds as before); the database sees one commit per batch instead of
//! one per request.
//!
//! The only in-process state is the bounded queue: rows are written with their final values,
//! ids come from the database, and replicas sharing a PostgreSQL database each run their own
//! writer without coordination. If a batch fails, its rows are retried one transaction each, so
//! one bad row cannot fail its neighbours; a row that still fails answers its request with the
//! error (nothing is acknowledged that was not committed).

use std::sync::Mutex;

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use app::backend::BackendError;

use super::{db_error, Result};

/// Most decisions per transaction.
pub const MAX_BATCH: usize = 512;
/// Queue capacity (requests waiting for the writer beyond this wait to enqueue).
const QUEUE: usize = 8192;

/// A decision-log row.
#[derive(Debug, Clone)]
pub(crate) struct LogRow {
    pub pack_id: String,
    pub policy_digest: String,
    pub input_json: String,
    pub decision: String,
    pub rule_id: String,
    pub severity: String,
    pub at: i64,
}

/// A shadow observation of the same decision.
#[derive(Debug, Clone)]
pub(crate) struct ObservationRow {
    pub shadow_id: i64,
    pub candidate_digest: String,
    pub enforced_decision: &'static str,
    pub enforced_rule_id: &'static str,
    pub candidate_decision: &'static str,
    pub candidate_rule_id: &'static str,
    pub diverged: bool,
    pub flip_kind: String,
}

#[derive(Debug)]
struct Pending {
    log: LogRow,
    observation: Option<ObservationRow>,
    done: oneshot::Sender<Result<i64>>,
}

/// The handle of a service's writer task (started on first use, restarted if it stopped, e.g.
/// when the runtime that ran it was shut down).
#[derive(Debug, Default)]
pub(crate) struct Writer {
    sender: Mutex<Option<mpsc::Sender<Pending>>>,
}

impl Writer {
    fn sender(&self, pool: &AnyPool) -> Result<mpsc::Sender<Pending>> {
        let mut slot = self.sender.lock().map_err(|_| BackendError::Unavailable)?;
        if let Some(sender) = slot.as_ref().filter(|s| !s.is_closed()) {
            return Ok(sender.clone());
        }
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool.clone(), receiver));
        *slot = Some(sender.clone());
        Ok(sender)
    }

    /// Records a decision (and its observation) and returns its decision-log id once committed.
    pub(crate) async fn write(
        &self,
        pool: &AnyPool,
        log: LogRow,
        observation: Option<ObservationRow>,
    ) -> Result<i64> {
        let (done, wait) = oneshot::channel();
        self.sender(pool)?
            .send(Pending {
                log,
                observation,
                done,
            })
            .await
            .map_err(|_| BackendError::Unavailable)?;
        wait.await.map_err(|_| BackendError::Unavailable)?
    }
}

async fn run(pool: AnyPool, mut receiver: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match insert(&pool, &batch).await {
            Ok(ids) => {
                for (pending, id) in batch.drain(..).zip(ids) {
                    let _ = pending.done.send(Ok(id));
                }
            }
            Err(error) => {
                tracing::warn!(%error, rows = batch.len(), "decision batch failed; retrying row by row");
                for pending in batch.drain(..) {
                    let result = insert(&pool, std::slice::from_ref(&pending))
                        .await
                        .and_then(|ids| ids.first().copied().ok_or(BackendError::Unavailable));
                    let _ = pending.done.send(result);
                }
            }
        }
    }
}

async fn insert(pool: &AnyPool, batch: &[Pending]) -> Result<Vec<i64>> {
    let mut tx = pool.begin().await.map_err(db_error)?;
    let mut ids = Vec::with_capacity(batch.len());
    for pending in batch {
        let log = &pending.log;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO decision_log (pack_id, policy_digest, input_json, decision, rule_id, severity, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&log.pack_id)
        .bind(&log.policy_digest)
        .bind(&log.input_json)
        .bind(&log.decision)
        .bind(&log.rule_id)
        .bind(&log.severity)
        .bind(log.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        if let Some(o) = &pending.observation {
            sqlx::query(
                "INSERT INTO observations (shadow_id, decision_id, pack_id, enforced_digest, candidate_digest, \
                 enforced_decision, enforced_rule_id, candidate_decision, candidate_rule_id, diverged, flip_kind, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(o.shadow_id)
            .bind(id)
            .bind(&log.pack_id)
            .bind(&log.policy_digest)
            .bind(&o.candidate_digest)
            .bind(o.enforced_decision)
            .bind(o.enforced_rule_id)
            .bind(o.candidate_decision)
            .bind(o.candidate_rule_id)
            .bind(i64::from(o.diverged))
            .bind(&o.flip_kind)
            .bind(log.at)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        ids.push(id);
    }
    tx.commit().await.map_err(db_error)?;
    Ok(ids)
}
