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
//! per batch. On PostgreSQL that read is folded into the batch statement itself (the rows whose
//! pointers no longer match are filtered out in SQL and the statement returns the pointers it
//! compared against), so a batch is one round trip. Negative answers (no such pack, nothing
//! enforced) are never cached.
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
    if engine == Engine::Postgres {
        return write_batch_postgres(conn, batch, cache).await;
    }
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
    match insert_sqlite(conn, &fresh).await {
        Ok(ids) => {
            for (pending, id) in fresh.into_iter().zip(ids) {
                let _ = pending.done.send(Ok(Outcome::Recorded(id)));
            }
        }
        Err(error) => {
            tracing::warn!(%error, rows = fresh.len(), "decision batch failed; retrying row by row");
            for pending in fresh {
                let result = insert_sqlite(conn, std::slice::from_ref(&pending))
                    .await
                    .and_then(|ids| ids.first().copied().ok_or(BackendError::Unavailable))
                    .map(Outcome::Recorded);
                let _ = pending.done.send(result);
            }
        }
    }
    Ok(())
}

/// PostgreSQL: each batch is one checked statement ([`insert_postgres_checked`]); if it fails,
/// its rows are retried one statement each, so one bad row cannot fail its neighbours.
async fn write_batch_postgres(
    conn: &mut AnyConnection,
    batch: &mut Vec<Pending>,
    cache: &PointerCache,
) -> Result<()> {
    let settle = |pending: Pending, id: Option<i64>| {
        let _ = pending
            .done
            .send(Ok(id.map_or(Outcome::Stale, Outcome::Recorded)));
    };
    match insert_postgres_checked(conn, batch).await {
        Ok((ids, current)) => {
            refresh(cache, &current);
            for (pending, id) in batch.drain(..).zip(ids) {
                settle(pending, id);
            }
        }
        Err(error) => {
            tracing::warn!(%error, rows = batch.len(), "decision batch failed; retrying row by row");
            for pending in batch.drain(..) {
                match insert_postgres_checked(conn, std::slice::from_ref(&pending)).await {
                    Ok((ids, current)) => {
                        refresh(cache, &current);
                        settle(pending, ids.first().copied().flatten());
                    }
                    Err(error) => {
                        let _ = pending.done.send(Err(error));
                    }
                }
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
    refresh(cache, &current);
    Ok(current)
}

/// Puts pointers just read into the cache (a pack that enforces nothing leaves it).
fn refresh(cache: &PointerCache, current: &HashMap<String, Option<Arc<Pointers>>>) {
    if let Ok(mut cache) = cache.lock() {
        for (pack, pointers) in current {
            match pointers {
                Some(pointers) => cache.insert(pack.clone(), pointers.clone()),
                None => cache.remove(pack),
            };
        }
    }
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

/// Binds a batch's decision-log rows (7 parameters each) in column order.
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
            .bind(log.at);
    }
    query
}

/// Binds an observation's 11 parameters after its `decision_id` (bound or computed by the
/// caller's SQL).
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
}

const LOG_INSERT: &str = "INSERT INTO decision_log \
    (pack_id, policy_digest, input_json, decision, rule_id, severity, at) VALUES";
const OBSERVATION_INSERT: &str = "INSERT INTO observations (shadow_id, decision_id, pack_id, \
    enforced_digest, candidate_digest, enforced_decision, enforced_rule_id, candidate_decision, \
    candidate_rule_id, diverged, flip_kind, at) VALUES";

/// SQLite: the whole transaction is one multi-statement query, so one round trip to SQLite's
/// worker thread. `BEGIN IMMEDIATE` takes the single write lock first, so the rows of the log
/// INSERT get consecutive ids ending at `MAX(id)`, which the observation rows use directly.
async fn insert_sqlite(conn: &mut AnyConnection, batch: &[Pending]) -> Result<Vec<i64>> {
    let n = batch.len();
    let mut sql = format!(
        "BEGIN IMMEDIATE; {LOG_INSERT} {};",
        values(Engine::Sqlite, n, 7)
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
                "(?, (SELECT MAX(id) FROM decision_log) - ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

/// The current pointers of every pack a checked batch named, as the statement read them.
type Current = HashMap<String, Option<Arc<Pointers>>>;

/// PostgreSQL, with the pointer check folded in: one statement reads the current pointers of
/// the batch's packs (`cur`), keeps only the rows decided under them (`fresh`, numbered `k` in
/// batch order), inserts those and their observations, and returns both the inserted ids by
/// batch position and the pointers it compared against. So a batch costs one round trip, and a
/// row is written only if its pointers were current in the statement's own snapshot — the same
/// guarantee as reading them first (see the module notes), one round trip earlier.
///
/// RETURNING promises no row order, but PostgreSQL draws the sequence once per row in the order
/// the INSERT's SELECT (ordered by `k`) yields them, so numbering the returned ids in ascending
/// order gives each row's `k` (other replicas' rows may take ids in between), and each
/// observation joins its decision through `k`.
async fn insert_postgres_checked(
    conn: &mut AnyConnection,
    batch: &[Pending],
) -> Result<(Vec<Option<i64>>, Current)> {
    let n = batch.len();
    let packs: Vec<&str> = batch
        .iter()
        .map(|p| p.log.pack_id.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // Parameters: the packs, then 10 per row, then 12 per observation.
    let mut sql = String::from(
        "WITH cur AS (SELECT p.id AS pack_id, p.enforced_digest, s.id AS shadow_id, \
         s.candidate_digest FROM packs p LEFT JOIN shadow_runs s \
         ON s.pack_id = p.id AND s.stopped_at IS NULL WHERE p.id IN (",
    );
    for i in 0..packs.len() {
        sql.push_str(&format!(
            "{}${}::text",
            if i == 0 { "" } else { ", " },
            i + 1
        ));
    }
    sql.push_str(")), v AS (SELECT * FROM (VALUES ");
    const ROW_TYPES: [&str; 10] = [
        "bigint", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "text",
    ];
    let mut next = packs.len() + 1;
    for row in 0..n {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for (column, ty) in ROW_TYPES.iter().enumerate() {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${next}::{ty}"));
            next += 1;
        }
        sql.push(')');
    }
    sql.push_str(
        ") AS v(n, pack_id, policy_digest, input_json, decision, rule_id, severity, at, \
         shadow_id, candidate_digest)), \
         fresh AS (SELECT v.*, row_number() OVER (ORDER BY v.n) AS k FROM v JOIN cur \
         ON cur.pack_id = v.pack_id AND cur.enforced_digest = v.policy_digest \
         AND cur.shadow_id IS NOT DISTINCT FROM v.shadow_id \
         AND cur.candidate_digest IS NOT DISTINCT FROM v.candidate_digest), \
         logs AS (INSERT INTO decision_log \
         (pack_id, policy_digest, input_json, decision, rule_id, severity, at) \
         SELECT pack_id, policy_digest, input_json, decision, rule_id, severity, at FROM fresh \
         ORDER BY k RETURNING id), \
         numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM logs)",
    );
    let observed: Vec<(i64, &Pending, &ObservationRow)> = batch
        .iter()
        .zip(1_i64..)
        .filter_map(|(p, position)| p.observation.as_ref().map(|o| (position, p, o)))
        .collect();
    if !observed.is_empty() {
        const TYPES: [&str; 12] = [
            "bigint", "bigint", "text", "text", "text", "text", "text", "text", "text", "bigint",
            "text", "bigint",
        ];
        sql.push_str(", observed AS (");
        sql.push_str(OBSERVATION_INSERT.trim_end_matches("VALUES"));
        sql.push_str(
            "SELECT o.shadow_id, numbered.id, o.pack_id, o.enforced_digest, o.candidate_digest, \
             o.enforced_decision, o.enforced_rule_id, o.candidate_decision, o.candidate_rule_id, \
             o.diverged, o.flip_kind, o.at FROM (VALUES ",
        );
        for row in 0..observed.len() {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for (column, ty) in TYPES.iter().enumerate() {
                if column > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${next}::{ty}"));
                next += 1;
            }
            sql.push(')');
        }
        sql.push_str(
            ") AS o(shadow_id, n, pack_id, enforced_digest, candidate_digest, enforced_decision, \
             enforced_rule_id, candidate_decision, candidate_rule_id, diverged, flip_kind, at) \
             JOIN fresh ON fresh.n = o.n JOIN numbered ON numbered.k = fresh.k)",
        );
    }
    sql.push_str(
        " SELECT fresh.n, numbered.id, NULL::text AS pack_id, NULL::text AS enforced_digest, \
         NULL::bigint AS shadow_id, NULL::text AS candidate_digest \
         FROM fresh JOIN numbered ON numbered.k = fresh.k \
         UNION ALL SELECT NULL, NULL, pack_id, enforced_digest, shadow_id, candidate_digest FROM cur",
    );
    let mut query = sqlx::query(&sql);
    for pack in &packs {
        query = query.bind(*pack);
    }
    for (pending, position) in batch.iter().zip(1_i64..) {
        let log = &pending.log;
        let shadow = pending.pointers.shadow.as_ref();
        query = query
            .bind(position)
            .bind(&log.pack_id)
            .bind(&log.policy_digest)
            .bind(&log.input_json)
            .bind(&log.decision)
            .bind(&log.rule_id)
            .bind(&log.severity)
            .bind(log.at)
            .bind(shadow.map(|(id, _)| *id))
            .bind(shadow.map(|(_, candidate)| candidate.as_str()));
    }
    for (position, pending, o) in observed {
        query = bind_observation(query.bind(o.shadow_id).bind(position), pending, o);
    }
    let mut ids = vec![None; n];
    let mut current: Current = packs.iter().map(|p| ((*p).to_owned(), None)).collect();
    for row in query.fetch_all(&mut *conn).await.map_err(db_error)? {
        let position: Option<i64> = row.try_get(0).map_err(db_error)?;
        if let Some(position) = position {
            let id: i64 = row.try_get(1).map_err(db_error)?;
            let slot = usize::try_from(position - 1)
                .ok()
                .and_then(|i| ids.get_mut(i))
                .ok_or(BackendError::Unavailable)?;
            *slot = Some(id);
            continue;
        }
        let pack: String = row.try_get(2).map_err(db_error)?;
        let enforced: Option<String> = row.try_get(3).map_err(db_error)?;
        let shadow_id: Option<i64> = row.try_get(4).map_err(db_error)?;
        let candidate: Option<String> = row.try_get(5).map_err(db_error)?;
        let pointers = enforced.map(|enforced_digest| {
            Arc::new(Pointers {
                enforced_digest,
                shadow: shadow_id.zip(candidate),
            })
        });
        current.insert(pack, pointers);
    }
    Ok((ids, current))
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
