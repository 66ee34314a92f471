//! Group commit of runtime decisions: `POST /v1/decisions` hands its decision-log row (and, in
//! shadow mode, its observation) to one writer task per process, which inserts whatever is
//! queued, up to [`MAX_BATCH`] decisions, with one multi-row `INSERT` per table in one
//! transaction, then acknowledges each request. A request answers only after its batch
//! committed, so every answered decision is recorded ("answered ⇒ recorded").
//!
//! **Pointers are validated per batch, not read per request.** A request evaluates under the
//! pack's pointers (enforced digest, active shadow run) as this process last saw them. Before
//! each batch the writer reads the current pointers of the batch's packs from the database, once;
//! a decision made under pointers that have since changed (a promotion, rollback or shadow
//! start/stop, on any replica) is not written but handed back as [`Outcome::Stale`], and the
//! request evaluates again under the fresh pointers. So every answered decision was made under
//! pointers read after the request arrived — the guarantee of a per-request read, at one read
//! per batch. Negative answers (no such pack, nothing enforced) are never cached.
//!
//! Each row carries the name of the runtime whose token asked (a column of both tables, bound
//! like the others), so the batch stays one statement.
//!
//! Rows are written with their final values and ids come from the database, so replicas sharing
//! a PostgreSQL database each run their own writer without coordination. If a batch fails, its
//! rows are retried one transaction each, so one bad row cannot fail its neighbours; a row that
//! still fails answers its request with the error (nothing is acknowledged that was not
//! committed).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use sqlx::any::AnyArguments;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Row as _};

/// A query on the Any driver.
type AnyQuery<'q> = sqlx::query::Query<'q, Any, AnyArguments<'q>>;
use tokio::sync::{mpsc, oneshot};

use app::backend::BackendError;

use super::Result;
use crate::db::{Database, Engine};
use crate::store::db_error;

/// Most decisions per transaction.
pub const MAX_BATCH: usize = 512;
/// Queue capacity (requests waiting for the writer beyond this wait to enqueue).
const QUEUE: usize = 8192;

/// What decides a pack's answers: its enforced digest and its active shadow run, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pointers {
    pub enforced_digest: String,
    /// `(shadow run id, candidate digest)`.
    pub shadow: Option<(i64, String)>,
}

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
    /// The runtime (token name) that asked; its observation records it too.
    pub runtime: Arc<str>,
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

/// How a write ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Committed, with the decision-log id.
    Recorded(i64),
    /// Not written: the pointers the decision was made under are no longer current (the cache
    /// now holds the current ones). Evaluate again.
    Stale,
}

#[derive(Debug)]
struct Pending {
    pointers: Arc<Pointers>,
    log: LogRow,
    observation: Option<ObservationRow>,
    done: oneshot::Sender<Result<Outcome>>,
}

type PointerCache = Arc<Mutex<HashMap<String, Arc<Pointers>>>>;

/// The handle of a service's writer task (started on first use, restarted if it stopped, e.g.
/// when the runtime that ran it was shut down) and the pointer cache it keeps current.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    sender: Mutex<Option<mpsc::Sender<Pending>>>,
    pointers: PointerCache,
}

impl Writer {
    fn sender(&self, db: &Database) -> Result<mpsc::Sender<Pending>> {
        let mut slot = self.sender.lock().map_err(|_| BackendError::Unavailable)?;
        if let Some(sender) = slot.as_ref().filter(|s| !s.is_closed()) {
            return Ok(sender.clone());
        }
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(
            db.pool().clone(),
            db.engine(),
            receiver,
            self.pointers.clone(),
        ));
        *slot = Some(sender.clone());
        Ok(sender)
    }

    /// The pointers of a pack as last validated, if known.
    pub(crate) fn cached_pointers(&self, pack_id: &str) -> Option<Arc<Pointers>> {
        self.pointers.lock().ok()?.get(pack_id).cloned()
    }

    /// Remembers pointers just read from the database.
    pub(crate) fn remember(&self, pack_id: &str, pointers: Arc<Pointers>) {
        if let Ok(mut cache) = self.pointers.lock() {
            cache.insert(pack_id.to_owned(), pointers);
        }
    }

    /// Drops every cached pointer (this process changed some; the next decision reads them).
    pub(crate) fn forget_pointers(&self) {
        if let Ok(mut cache) = self.pointers.lock() {
            cache.clear();
        }
    }

    /// Records a decision made under `pointers` (and its observation) once committed, or hands
    /// it back as stale.
    pub(crate) async fn write(
        &self,
        db: &Database,
        pointers: Arc<Pointers>,
        log: LogRow,
        observation: Option<ObservationRow>,
    ) -> Result<Outcome> {
        let (done, wait) = oneshot::channel();
        self.sender(db)?
            .send(Pending {
                pointers,
                log,
                observation,
                done,
            })
            .await
            .map_err(|_| BackendError::Unavailable)?;
        wait.await.map_err(|_| BackendError::Unavailable)?
    }
}

/// Reads a pack's pointers; `None` when the pack does not exist or enforces nothing.
pub(crate) async fn read_pointers<'c, E>(executor: E, pack_id: &str) -> Result<Option<Pointers>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT p.enforced_digest, s.id, s.candidate_digest FROM packs p \
         LEFT JOIN shadow_runs s ON s.pack_id = p.id AND s.stopped_at IS NULL WHERE p.id = $1",
    )
    .bind(pack_id)
    .fetch_optional(executor)
    .await
    .map_err(db_error)?;
    let Some(row) = row else { return Ok(None) };
    let enforced: Option<String> = row.try_get(0).map_err(db_error)?;
    let shadow_id: Option<i64> = row.try_get(1).map_err(db_error)?;
    let candidate: Option<String> = row.try_get(2).map_err(db_error)?;
    Ok(enforced.map(|enforced_digest| Pointers {
        enforced_digest,
        shadow: shadow_id.zip(candidate),
    }))
}

async fn run(
    pool: AnyPool,
    engine: Engine,
    mut receiver: mpsc::Receiver<Pending>,
    cache: PointerCache,
) {
    // The writer keeps one connection for as long as it works (no acquire and ping per batch);
    // after any error it is dropped and a fresh one is taken for the next batch.
    let mut conn: Option<PoolConnection<Any>> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let result = match conn.as_mut() {
            Some(conn) => Ok(conn),
            None => pool
                .acquire()
                .await
                .map_err(db_error)
                .map(|c| conn.insert(c)),
        };
        let result = match result {
            Ok(c) => write_batch(c, engine, &mut batch, &cache).await,
            Err(error) => Err(error),
        };
        if let Err(error) = result {
            conn = None;
            for pending in batch.drain(..) {
                let _ = pending.done.send(Err(error.clone()));
            }
        }
    }
}

/// Validates and writes one batch, answering every request it settles. An error leaves the
/// unsettled requests in `batch`.
async fn write_batch(
    conn: &mut AnyConnection,
    engine: Engine,
    batch: &mut Vec<Pending>,
    cache: &PointerCache,
) -> Result<()> {
    let current = validate(conn, batch, cache).await?;
    let (fresh, stale): (Vec<_>, Vec<_>) = batch.drain(..).partition(|p| {
        current.get(&p.log.pack_id).and_then(Option::as_deref) == Some(&*p.pointers)
    });
    for pending in stale {
        let _ = pending.done.send(Ok(Outcome::Stale));
    }
    if fresh.is_empty() {
        return Ok(());
    }
    match insert(conn, engine, &fresh).await {
        Ok(ids) => {
            for (pending, id) in fresh.into_iter().zip(ids) {
                let _ = pending.done.send(Ok(Outcome::Recorded(id)));
            }
        }
        Err(error) => {
            tracing::warn!(%error, rows = fresh.len(), "decision batch failed; retrying row by row");
            for pending in fresh {
                let result = insert(conn, engine, std::slice::from_ref(&pending))
                    .await
                    .and_then(|ids| ids.first().copied().ok_or(BackendError::Unavailable))
                    .map(Outcome::Recorded);
                let _ = pending.done.send(result);
            }
        }
    }
    Ok(())
}

/// Reads the current pointers of every pack in the batch (one query per distinct pack, usually
/// one) and refreshes the cache with them.
async fn validate(
    conn: &mut AnyConnection,
    batch: &[Pending],
    cache: &PointerCache,
) -> Result<HashMap<String, Option<Arc<Pointers>>>> {
    let packs: HashSet<&str> = batch.iter().map(|p| p.log.pack_id.as_str()).collect();
    let mut current = HashMap::with_capacity(packs.len());
    for pack in packs {
        let pointers = read_pointers(&mut *conn, pack).await?.map(Arc::new);
        current.insert(pack.to_owned(), pointers);
    }
    if let Ok(mut cache) = cache.lock() {
        for (pack, pointers) in &current {
            match pointers {
                Some(pointers) => cache.insert(pack.clone(), pointers.clone()),
                None => cache.remove(pack),
            };
        }
    }
    Ok(current)
}

/// Builds `($1, …, $k), ($k+1, …)` for `rows` rows of `columns` placeholders; on SQLite plain
/// `?`, because binding numbered parameters costs SQLite a name lookup that scans every
/// parameter (quadratic in a 3 584-parameter statement).
fn values(engine: Engine, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            match engine {
                Engine::Sqlite => sql.push('?'),
                Engine::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * columns + column + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// Binds a batch's decision-log rows ([`LOG_COLUMNS`] parameters each) in column order.
fn bind_logs<'q>(mut query: AnyQuery<'q>, batch: &'q [Pending]) -> AnyQuery<'q> {
    for pending in batch {
        let log = &pending.log;
        query = query
            .bind(&log.pack_id)
            .bind(&log.policy_digest)
            .bind(&log.input_json)
            .bind(&log.decision)
            .bind(&log.rule_id)
            .bind(&log.severity)
            .bind(log.at)
            .bind(&*log.runtime);
    }
    query
}

/// Binds an observation's parameters after its `shadow_id` and `decision_id` (bound or computed
/// by the caller's SQL).
fn bind_observation<'q>(
    query: AnyQuery<'q>,
    pending: &'q Pending,
    o: &'q ObservationRow,
) -> AnyQuery<'q> {
    let log = &pending.log;
    query
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
        .bind(&*log.runtime)
}

const LOG_INSERT: &str = "INSERT INTO decision_log \
    (pack_id, policy_digest, input_json, decision, rule_id, severity, at, runtime) VALUES";
/// Parameters per decision-log row.
const LOG_COLUMNS: usize = 8;
const OBSERVATION_INSERT: &str = "INSERT INTO observations (shadow_id, decision_id, pack_id, \
    enforced_digest, candidate_digest, enforced_decision, enforced_rule_id, candidate_decision, \
    candidate_rule_id, diverged, flip_kind, at, runtime) VALUES";
/// Parameters per observation row (its `decision_id` included).
const OBSERVATION_COLUMNS: usize = 13;

/// Inserts a batch in one transaction and returns the decision-log ids in batch order.
async fn insert(conn: &mut AnyConnection, engine: Engine, batch: &[Pending]) -> Result<Vec<i64>> {
    match engine {
        Engine::Sqlite => insert_sqlite(conn, batch).await,
        Engine::Postgres => insert_postgres(conn, batch).await,
    }
}

/// SQLite: the whole transaction is one multi-statement query, so one round trip to SQLite's
/// worker thread. `BEGIN IMMEDIATE` takes the single write lock first, so the rows of the log
/// INSERT get consecutive ids ending at `MAX(id)`, which the observation rows use directly.
async fn insert_sqlite(conn: &mut AnyConnection, batch: &[Pending]) -> Result<Vec<i64>> {
    let n = batch.len();
    let mut sql = format!(
        "BEGIN IMMEDIATE; {LOG_INSERT} {};",
        values(Engine::Sqlite, n, LOG_COLUMNS)
    );
    let observed: Vec<(usize, &Pending, &ObservationRow)> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.observation.as_ref().map(|o| (i, p, o)))
        .collect();
    if !observed.is_empty() {
        sql.push(' ');
        sql.push_str(OBSERVATION_INSERT);
        for (row, _) in observed.iter().enumerate() {
            sql.push_str(if row == 0 { " " } else { ", " });
            // decision_id = the last log id minus the row's distance from the batch's end.
            sql.push_str(
                "(?, (SELECT MAX(id) FROM decision_log) - ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            );
        }
        sql.push(';');
    }
    sql.push_str(" SELECT MAX(id) FROM decision_log; COMMIT;");
    let mut query = bind_logs(sqlx::query(&sql), batch);
    for (i, pending, o) in &observed {
        let back = i64::try_from(n - 1 - i).map_err(|_| BackendError::Unavailable)?;
        query = bind_observation(query.bind(o.shadow_id).bind(back), pending, o);
    }
    let rows = match query.fetch_all(&mut *conn).await {
        Ok(rows) => rows,
        Err(error) => {
            // sqlx does not know about this transaction: end it before the connection is reused.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            return Err(db_error(error));
        }
    };
    let last: i64 = rows
        .first()
        .ok_or(BackendError::Unavailable)?
        .try_get(0)
        .map_err(db_error)?;
    let first = last + 1 - i64::try_from(n).map_err(|_| BackendError::Unavailable)?;
    Ok((first..=last).collect())
}

/// PostgreSQL: the batch is one statement (so its own transaction and one round trip): the log
/// INSERT and the observation INSERT are data-modifying CTEs. RETURNING promises no row order,
/// but PostgreSQL draws the sequence once per row in VALUES order, so numbering the returned ids
/// in ascending order gives each row's position in the batch (other replicas' rows may take ids
/// in between), and each observation joins its decision by that position.
async fn insert_postgres(conn: &mut AnyConnection, batch: &[Pending]) -> Result<Vec<i64>> {
    let n = batch.len();
    let mut sql = format!(
        "WITH logs AS ({LOG_INSERT} {} RETURNING id), \
         numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM logs)",
        values(Engine::Postgres, n, LOG_COLUMNS)
    );
    let observed: Vec<(i64, &Pending, &ObservationRow)> = batch
        .iter()
        .zip(1_i64..)
        .filter_map(|(p, position)| p.observation.as_ref().map(|o| (position, p, o)))
        .collect();
    if !observed.is_empty() {
        const TYPES: [&str; OBSERVATION_COLUMNS] = [
            "bigint", "bigint", "text", "text", "text", "text", "text", "text", "text", "bigint",
            "text", "bigint", "text",
        ];
        sql.push_str(", observed AS (");
        sql.push_str(OBSERVATION_INSERT.trim_end_matches("VALUES"));
        sql.push_str(
            "SELECT v.shadow_id, numbered.id, v.pack_id, v.enforced_digest, v.candidate_digest, \
             v.enforced_decision, v.enforced_rule_id, v.candidate_decision, v.candidate_rule_id, \
             v.diverged, v.flip_kind, v.at, v.runtime FROM (VALUES ",
        );
        for row in 0..observed.len() {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for (column, ty) in TYPES.iter().enumerate() {
                if column > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "${}::{ty}",
                    LOG_COLUMNS * n + OBSERVATION_COLUMNS * row + column + 1
                ));
            }
            sql.push(')');
        }
        sql.push_str(
            ") AS v(shadow_id, n, pack_id, enforced_digest, candidate_digest, enforced_decision, \
             enforced_rule_id, candidate_decision, candidate_rule_id, diverged, flip_kind, at, \
             runtime) \
             JOIN numbered ON numbered.n = v.n)",
        );
    }
    sql.push_str(" SELECT id FROM numbered ORDER BY n");
    let mut query = bind_logs(sqlx::query(&sql), batch);
    for (position, pending, o) in observed {
        query = bind_observation(query.bind(o.shadow_id).bind(position), pending, o);
    }
    let ids: Vec<i64> = query
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<std::result::Result<_, _>>()
        .map_err(db_error)?;
    if ids.len() != n {
        return Err(BackendError::Unavailable);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_numbers_placeholders_row_by_row() {
        assert_eq!(values(Engine::Postgres, 1, 2), "($1, $2)");
        assert_eq!(values(Engine::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values(Engine::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
