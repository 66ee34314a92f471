//! Storage: one connection pool over SQLite (embedded, the default) or PostgreSQL.
//!
//! The lifecycle rules live in [`crate::service`]; this module only connects and migrates.
//!
//! Queries are written once with `$n` placeholders, which both SQLite and PostgreSQL accept;
//! each backend has its own migration directory because their DDL dialects differ.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Engine {
    /// Picks the engine from the URL scheme.
    pub fn from_url(url: &str) -> anyhow::Result<Engine> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            anyhow::bail!("unsupported database URL `{url}`: expected sqlite:… or postgres://…")
        }
    }
}

/// A migrated connection pool.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    engine: Engine,
    // Dropping the last clone stops the SQLite checkpoint task (which holds a pool handle).
    _checkpointer: Option<std::sync::Arc<tokio::sync::oneshot::Sender<()>>>,
}

impl Database {
    /// Connects (creating an SQLite file if needed) and runs pending migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Database> {
        sqlx::any::install_default_drivers();
        let engine = Engine::from_url(url)?;
        let mut url = url.to_owned();
        if engine == Engine::Sqlite && !url.contains("mode=") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        if engine == Engine::Sqlite {
            secure_sqlite_file(&url)?;
        }
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("parsing database URL for {engine:?}"))?;
        let pool = AnyPoolOptions::new()
            .max_connections(if engine == Engine::Sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // WAL lets readers proceed during a write; the busy timeout turns
                        // writer contention into waiting instead of `database is locked`.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"))
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        // Checkpoints run on their own task (`checkpoint_sqlite`), not inside
                        // whichever commit crosses the WAL threshold: that commit would copy
                        // and fsync the database file while every request of its batch waits.
                        sqlx::query("PRAGMA wal_autocheckpoint = 0")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("connecting to the {engine:?} database"))?;
        let migrator = match engine {
            Engine::Sqlite => &SQLITE_MIGRATIONS,
            Engine::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&pool)
            .await
            .context("running database migrations")?;
        let checkpointer = (engine == Engine::Sqlite).then(|| {
            let (stop, stopped) = tokio::sync::oneshot::channel();
            tokio::spawn(checkpoint_sqlite(pool.clone(), stopped));
            std::sync::Arc::new(stop)
        });
        Ok(Database {
            pool,
            engine,
            _checkpointer: checkpointer,
        })
    }

    /// The engine behind this pool.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// SQLite: copies the whole WAL into the database file and truncates it to zero bytes
    /// (`wal_checkpoint(TRUNCATE)`), as after a prune: PASSIVE checkpoints reuse the WAL from
    /// its start but never shrink it. Returns whether it was truncated; `false` when a reader or
    /// writer was busy (try again later). PostgreSQL has no WAL of ours to truncate: `true`.
    ///
    /// TRUNCATE holds the write lock while it copies and waits for readers, so it runs with a
    /// short busy timeout (a waiting decision batch is held up by at most about that long, plus
    /// the copy of what the PASSIVE pass just before it left), never the pool's five seconds.
    pub async fn truncate_wal(&self) -> anyhow::Result<bool> {
        if self.engine != Engine::Sqlite {
            return Ok(true);
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .context("acquiring a connection")?;
        // Most frames are copied without any lock first.
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut *conn)
            .await
            .context("checkpointing the WAL")?;
        sqlx::query(&format!("PRAGMA busy_timeout = {TRUNCATE_BUSY_MS}"))
            .execute(&mut *conn)
            .await
            .context("setting the busy timeout")?;
        let result: Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&mut *conn)
                .await;
        let restored = sqlx::query(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"))
            .execute(&mut *conn)
            .await;
        if restored.is_err() {
            // Never hand a connection with the short timeout back to the pool.
            let _ = conn.close().await;
        }
        match result {
            // (busy, frames in the WAL, frames checkpointed): busy = 1 when it could not finish.
            Ok((busy, _, _)) => Ok(busy == 0),
            Err(sqlx::Error::Database(error)) if error.message().contains("locked") => Ok(false),
            Err(error) => Err(error).context("truncating the WAL"),
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file an SQLite URL names (`sqlite://path`, `sqlite:path`), none for an in-memory one.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

/// Creates the SQLite file 0600 before SQLite does (it would use the umask, typically 0644:
/// readable by every local user), and tightens an existing one and its WAL files.
fn secure_sqlite_file(url: &str) -> anyhow::Result<()> {
    let Some(path) = sqlite_path(url) else {
        return Ok(());
    };
    if !path.exists() {
        // An empty file is a valid new database. A missing directory is left to sqlx to report.
        if path
            .parent()
            .is_none_or(|dir| dir.as_os_str().is_empty() || dir.is_dir())
        {
            match crate::fsperm::create_private_file(&path, b"") {
                Ok(()) => {}
                Err(_) if path.exists() => {}
                Err(error) => return Err(error),
            }
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        crate::fsperm::private_file(std::path::Path::new(&file))?;
    }
    Ok(())
}

/// How long an SQLite statement waits for a lock held by another connection, in milliseconds.
const BUSY_TIMEOUT_MS: u32 = 5000;

/// The busy timeout of [`Database::truncate_wal`]'s TRUNCATE checkpoint, in milliseconds.
const TRUNCATE_BUSY_MS: u32 = 20;

/// How often the SQLite WAL is checkpointed.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Copies the SQLite WAL back into the database file every [`CHECKPOINT_EVERY`] until the pool
/// closes or the last `Database` clone is dropped. PASSIVE never waits for (or blocks) readers
/// and writers; whatever it cannot copy now it copies next time, and the WAL restarts from its
/// start once everything was copied.
async fn checkpoint_sqlite(pool: AnyPool, mut stopped: tokio::sync::oneshot::Receiver<()>) {
    while !pool.is_closed() {
        tokio::select! {
            _ = &mut stopped => break,
            () = tokio::time::sleep(CHECKPOINT_EVERY) => {}
        }
        if pool.is_closed() {
            break;
        }
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(%error, "SQLite WAL checkpoint failed; retrying");
        }
    }
}
