//! Storage tests against real SQLite and, when reachable, real PostgreSQL.
//!
//! PostgreSQL runs when `CAVRA_TEST_PG_URL` is set (scripts/test-db.sh sets it when a server
//! answers on 127.0.0.1:5432); under `CI=true` its absence fails the test instead of skipping.

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
async fn the_click_counter_table_is_dropped() {
    // The template's click counter is gone (migration 0007); its table with it, on both engines.
    for (db, _guard) in databases().await {
        let engine = db.engine();
        let gone = sqlx::query("SELECT name FROM counters")
            .fetch_all(db.pool())
            .await;
        assert!(gone.is_err(), "{engine:?}: the counters table still exists");
        db.close().await;
    }
}

#[tokio::test]
async fn sqlite_file_survives_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("persist.db").display());
    let (db, _data) = service(Database::connect(&url).await.unwrap());
    server::demo::seed_users(&db).await.unwrap();
    db.db().close().await;
    let (db, _data) = service(Database::connect(&url).await.unwrap());
    assert_eq!(db.db().engine(), Engine::Sqlite);
    let kept = server::service::accounts::find_user(&db, "author")
        .await
        .unwrap();
    assert!(
        kept.is_some(),
        "a user written before the reconnect is read after it"
    );
}

#[test]
fn unsupported_urls_are_refused_with_a_message() {
    let error = Engine::from_url("mysql://x").unwrap_err().to_string();
    assert!(error.contains("unsupported database URL"), "{error}");
}
