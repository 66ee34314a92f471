//! Storage tests against real SQLite and, when reachable, real PostgreSQL.
//!
//! PostgreSQL runs when `CAVRA_TEST_PG_URL` is set (scripts/test-db.sh sets it when a server
//! answers on 127.0.0.1:5432); under `CI=true` its absence fails the test instead of skipping.

use app::backend::Backend;
use server::config::ServiceConfig;
use server::db::{Database, Engine};
use server::service::Service;

use crate::common::database_urls;

/// The lifecycle service over a database, with its key in a temporary data directory.
fn service(db: Database) -> (Service, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = Service::new(db, ServiceConfig::new(dir.path())).expect("service");
    (service, dir)
}

/// Databases to run each test against: a fresh SQLite file (with the directory that holds it), and
/// a fresh PostgreSQL schema when configured (`common::database_urls`).
async fn databases() -> Vec<(Database, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let urls = database_urls(dir.path()).await;
    let mut dir = Some(dir);
    let mut out = Vec::new();
    for url in urls {
        let db = Database::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        out.push((db, dir.take()));
    }
    out
}

#[tokio::test]
async fn counter_starts_at_zero_and_increments_atomically() {
    for (db, _guard) in databases().await {
        let engine = db.engine();
        let (db, _data) = service(db);
        assert_eq!(db.counter("clicks").await.unwrap(), 0, "{engine:?}");
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.increment_counter("clicks").await.unwrap()
            }));
        }
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await.unwrap());
        }
        seen.sort_unstable();
        assert_eq!(
            seen,
            (1..=20).collect::<Vec<i64>>(),
            "{engine:?}: every increment counted once"
        );
        assert_eq!(db.counter("clicks").await.unwrap(), 20, "{engine:?}");
        assert_eq!(db.counter("other").await.unwrap(), 0, "{engine:?}");
        db.db().close().await;
    }
}

#[tokio::test]
async fn sqlite_file_survives_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("persist.db").display());
    let (db, _data) = service(Database::connect(&url).await.unwrap());
    db.increment_counter("kept").await.unwrap();
    db.db().close().await;
    let (db, _data) = service(Database::connect(&url).await.unwrap());
    assert_eq!(db.db().engine(), Engine::Sqlite);
    assert_eq!(db.counter("kept").await.unwrap(), 1);
}

#[test]
fn unsupported_urls_are_refused_with_a_message() {
    let error = Engine::from_url("mysql://x").unwrap_err().to_string();
    assert!(error.contains("unsupported database URL"), "{error}");
}
