//! Bounded storage: retention of the decision log and shadow observations (by age, by rows, in
//! batches, audited, never bending the shadow gate nor dropping an unacknowledged divergence),
//! WAL truncation, byte-bounded export and replay pages, and the gzip export, on SQLite and
//! PostgreSQL.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{json, Value};
use sqlx::AnyPool;

use app::backend::{Backend, DivergenceSummary};
use server::db::Engine;
use server::service::retention::{self, PruneOptions, BATCH_ROWS};
use server::service::shadow::{self, decision_log_page, EXPORT_PAGE, PAGE_BYTES};
use server::service::Service;

use crate::cli_common::{cavra_in, run_command};
use crate::common::extra::{raw, session_cookie, PACK};
use crate::common::{fresh_databases, seeded_service, servers, servers_with};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn now_ms() -> i64 {
    server::service::now_millis()
}

/// Inserts `count` decisions of the fixture pack made at `at`, each input padded with `pad`
/// bytes, in one statement; returns the ids' range.
async fn insert_decisions(pool: &AnyPool, count: i64, at: i64, pad: usize) -> (i64, i64) {
    let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM decision_log")
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO decision_log \
         (pack_id, policy_digest, input_json, decision, rule_id, severity, at, runtime) \
         SELECT $2, 'sha256:x', \
         '{\"action_type\":\"read_file\",\"pad\":\"' || $3 || '\",\"target\":\"src/f' || i || '.rs\"}', \
         'allow', 'filesystem.read.allow', 'low', $4, 'bulk' FROM n",
    )
    .bind(count)
    .bind(PACK)
    .bind("x".repeat(pad))
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
    let after: i64 = sqlx::query_scalar("SELECT MAX(id) FROM decision_log")
        .fetch_one(pool)
        .await
        .unwrap();
    (before + 1, after)
}

async fn count(pool: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn audit_prunes(pool: &AnyPool) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, detail_json FROM audit_log WHERE action = 'retention.prune' ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(actor, detail)| (actor, serde_json::from_str(&detail).unwrap()))
        .collect()
}

fn by_age(secs: u64) -> PruneOptions {
    PruneOptions {
        max_age_secs: secs,
        max_rows: 0,
        dry_run: false,
    }
}

fn by_rows(rows: u64) -> PruneOptions {
    PruneOptions {
        max_age_secs: 0,
        max_rows: rows,
        dry_run: false,
    }
}

/// One seeded service per engine, with its directory.
async fn services() -> Vec<(Service, tempfile::TempDir, String)> {
    let mut out = Vec::new();
    for (dir, url) in fresh_databases("cavra.db").await {
        let service = seeded_service(&url, dir.path().join("data")).await;
        out.push((service, dir, url));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_by_age_deletes_old_rows_in_batches_and_is_audited() {
    for (service, _dir, url) in services().await {
        let pool = service.db().pool();
        let old = 2 * BATCH_ROWS + 345;
        insert_decisions(pool, old, now_ms() - 3 * DAY_MS, 10).await;
        let (fresh_first, fresh_last) = insert_decisions(pool, 10, now_ms(), 10).await;

        let report = retention::prune(&service, "system", by_age(24 * 3600))
            .await
            .unwrap();
        assert_eq!(report.decisions, old as u64, "{url}: {report:?}");
        assert_eq!(report.observations, 0);
        assert!(report.complete);
        assert!(
            report.batches >= 3,
            "{url}: {} rows need at least three transactions of {BATCH_ROWS}: {report:?}",
            old
        );
        let left: Vec<i64> = sqlx::query_scalar("SELECT id FROM decision_log ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
        assert_eq!(
            left,
            (fresh_first..=fresh_last).collect::<Vec<_>>(),
            "{url}"
        );

        let audited = audit_prunes(pool).await;
        assert_eq!(audited.len(), 1, "{url}: one entry per pass");
        assert_eq!(audited[0].0, "system");
        assert_eq!(audited[0].1["decisions"], old, "{url}: {:?}", audited[0]);
        assert_eq!(audited[0].1["max_age_secs"], 24 * 3600);
        assert!(audited[0].1["cutoff_at"].as_str().unwrap().contains('T'));

        // Nothing left to prune: no deletion, no entry.
        let again = retention::prune(&service, "system", by_age(24 * 3600))
            .await
            .unwrap();
        assert!(!again.deleted_any(), "{url}: {again:?}");
        assert_eq!(audit_prunes(pool).await.len(), 1, "{url}");
        assert!(service.verify_audit().await.unwrap().ok(), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_by_rows_keeps_the_newest() {
    for (service, _dir, url) in services().await {
        let pool = service.db().pool();
        // All fresh: only the row bound applies.
        let (_, last) = insert_decisions(pool, 7000, now_ms(), 10).await;
        let report = retention::prune(&service, "system", by_rows(1000))
            .await
            .unwrap();
        assert_eq!(report.decisions, 6000, "{url}: {report:?}");
        assert_eq!(report.through_id, Some(last - 1000));
        assert_eq!(count(pool, "SELECT COUNT(*) FROM decision_log").await, 1000);
        assert_eq!(
            count(pool, "SELECT MIN(id) FROM decision_log").await,
            last - 999,
            "{url}: the newest thousand stay"
        );
        // Both bounds off: nothing happens.
        let off = retention::prune(&service, "system", by_rows(0))
            .await
            .unwrap();
        assert!(!off.deleted_any() && off.batches == 0, "{off:?}");
    }
}

/// A candidate that no longer allows `pytest*` (its `pytest` decisions diverge).
async fn publish_without_pytest(service: &Service) -> String {
    let (author, _) = service
        .login("author", "author-demo-pass", None)
        .await
        .unwrap();
    let draft = service.create_draft(&author, PACK, None).await.unwrap();
    let source = draft.source.replace("    - \"pytest*\"\n", "");
    assert_ne!(source, draft.source, "the fixture allows pytest*");
    let draft = service
        .save_draft(&author, draft.id, &source, draft.revision)
        .await
        .unwrap();
    service
        .publish_draft(&author, draft.id)
        .await
        .unwrap()
        .digest
}

/// The parts of a summary that pruning must not change (`observed_secs` is the run's age).
fn counted(summary: &DivergenceSummary) -> Value {
    json!({
        "observations": summary.observations,
        "divergences": summary.divergences,
        "unacknowledged": summary.unacknowledged,
        "by_runtime": summary.by_runtime,
        "traffic_secs": summary.traffic_secs,
        "by_flip": summary.by_flip,
        "by_rule": summary.by_rule,
        "unauthenticated": summary.unauthenticated,
    })
}

/// Moves every decision and observation `ms` into the past (as if recorded then).
async fn age_everything(pool: &AnyPool, ms: i64) {
    for table in ["decision_log", "observations"] {
        sqlx::query(&format!("UPDATE {table} SET at = at - $1"))
            .bind(ms)
            .execute(pool)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_never_bends_the_shadow_gate() {
    for (service, _dir, url) in services().await {
        let pool = service.db().pool();
        let candidate = publish_without_pytest(&service).await;
        let (admin, _) = service
            .login("admin", "admin-demo-pass", None)
            .await
            .unwrap();
        let (author, _) = service
            .login("author", "author-demo-pass", None)
            .await
            .unwrap();
        let (security, _) = service
            .login("security", "security-demo-pass", None)
            .await
            .unwrap();
        let rule = app::backend::ShadowRule {
            min_observations: 5,
            min_runtimes: 2,
            min_observed_secs: 2,
        };
        service.set_shadow_rule(&admin, PACK, &rule).await.unwrap();
        service
            .start_shadow(&author, PACK, &candidate)
            .await
            .unwrap();
        let a = crate::common::extra::runtime(&service, "runner-a").await;
        let b = crate::common::extra::runtime(&service, "runner-b").await;
        let readme = json!({"action_type": "read_file", "target": "README.md"});
        let pytest = json!({"action_type": "execute_command", "target": "pytest -q"});
        for (runtime, input) in [(&a, &readme), (&a, &readme), (&b, &readme), (&b, &pytest)] {
            shadow::decide(&service, runtime, Some(PACK), input)
                .await
                .unwrap();
        }
        // Spread the traffic over time: the observed span is part of the rule.
        sqlx::query(
            "UPDATE decision_log SET at = at - 10000 WHERE id = (SELECT MIN(id) FROM decision_log)",
        )
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE observations SET at = at - 10000 WHERE id = (SELECT MIN(id) FROM observations)",
        )
        .execute(pool)
        .await
        .unwrap();
        shadow::decide(&service, &a, Some(PACK), &readme)
            .await
            .unwrap();

        let before = service.divergence(PACK).await.unwrap().unwrap();
        let gate_before = service.gate(PACK, &candidate).await.unwrap();
        assert_eq!(before.observations, 5, "{url}: {before:?}");
        assert_eq!(before.by_runtime.len(), 2);
        assert_eq!(before.unacknowledged, 1, "{url}: pytest diverges");
        assert!(before.traffic_secs >= 10, "{url}: {before:?}");
        let shadow_check = |gate: &app::backend::GateReport| {
            gate.checks
                .iter()
                .find(|c| c.name == "shadow")
                .unwrap()
                .clone()
        };
        assert_eq!(
            shadow_check(&gate_before).missing.len(),
            1,
            "{url}: only the divergence blocks: {gate_before:?}"
        );

        // Everything is a month old: both bounds reach every row, yet the unacknowledged
        // divergence and its decision stay, and the gate reads exactly what it read before.
        age_everything(pool, 40 * DAY_MS).await;
        let aged = service.divergence(PACK).await.unwrap().unwrap();
        for options in [by_age(24 * 3600), by_rows(1)] {
            retention::prune(&service, "system", options).await.unwrap();
            let after = service.divergence(PACK).await.unwrap().unwrap();
            assert_eq!(counted(&after), counted(&aged), "{url}: {options:?}");
            assert_eq!(
                service.gate(PACK, &candidate).await.unwrap(),
                gate_before,
                "{url}: {options:?}: the gate did not move"
            );
        }
        assert_eq!(
            count(pool, "SELECT COUNT(*) FROM observations").await,
            1,
            "{url}: only the unacknowledged divergence is left"
        );
        assert_eq!(
            count(
                pool,
                "SELECT COUNT(*) FROM observations o JOIN decision_log d ON d.id = o.decision_id \
                 WHERE o.diverged = 1 AND o.acknowledged_by IS NULL"
            )
            .await,
            1,
            "{url}: with its decision"
        );
        let kept = retention::prune(&service, "system", by_age(1))
            .await
            .unwrap();
        assert_eq!(
            (kept.decisions, kept.kept_unacknowledged),
            (0, 1),
            "{url}: {kept:?}"
        );

        // Acknowledged, it may go; the counts (divergences included) still do not change.
        service
            .acknowledge_divergences(&security, PACK)
            .await
            .unwrap();
        let acknowledged = service.divergence(PACK).await.unwrap().unwrap();
        assert_eq!(acknowledged.unacknowledged, 0);
        let gate_ready = service.gate(PACK, &candidate).await.unwrap();
        assert!(shadow_check(&gate_ready).passed, "{url}: {gate_ready:?}");
        let report = retention::prune(&service, "system", by_age(1))
            .await
            .unwrap();
        assert_eq!((report.decisions, report.observations), (1, 1), "{url}");
        assert_eq!(count(pool, "SELECT COUNT(*) FROM observations").await, 0);
        let after = service.divergence(PACK).await.unwrap().unwrap();
        assert_eq!(counted(&after), counted(&acknowledged), "{url}");
        assert_eq!(after.divergences, 1, "{url}: {after:?}");
        assert_eq!(service.gate(PACK, &candidate).await.unwrap(), gate_ready);

        // New traffic adds to the tallies rather than starting over.
        shadow::decide(&service, &b, Some(PACK), &readme)
            .await
            .unwrap();
        let more = service.divergence(PACK).await.unwrap().unwrap();
        assert_eq!(more.observations, 6, "{url}: {more:?}");
        assert!(
            more.traffic_secs > 40 * 24 * 3600,
            "{url}: the span reaches back"
        );
        assert!(service.verify_audit().await.unwrap().ok(), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacknowledged_divergences_survive_every_bound() {
    for (service, _dir, url) in services().await {
        let pool = service.db().pool();
        let candidate = publish_without_pytest(&service).await;
        let (author, _) = service
            .login("author", "author-demo-pass", None)
            .await
            .unwrap();
        service
            .start_shadow(&author, PACK, &candidate)
            .await
            .unwrap();
        let runtime = crate::common::extra::runtime(&service, "runner").await;
        for i in 0..30 {
            let input = if i % 3 == 0 {
                json!({"action_type": "execute_command", "target": format!("pytest -k t{i}")})
            } else {
                json!({"action_type": "read_file", "target": format!("docs/{i}.md")})
            };
            shadow::decide(&service, &runtime, Some(PACK), &input)
                .await
                .unwrap();
        }
        age_everything(pool, 400 * DAY_MS).await;
        // The harshest bounds: everything is old, and only one row may stay.
        let report = retention::prune(
            &service,
            "system",
            PruneOptions {
                max_age_secs: 1,
                max_rows: 1,
                dry_run: false,
            },
        )
        .await
        .unwrap();
        assert_eq!(report.decisions, 20, "{url}: {report:?}");
        assert_eq!(report.kept_unacknowledged, 10, "{url}: {report:?}");
        let divergent: Vec<String> = sqlx::query_scalar(
            "SELECT d.input_json FROM observations o JOIN decision_log d ON d.id = o.decision_id \
             WHERE o.diverged = 1 AND o.acknowledged_by IS NULL ORDER BY d.id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(divergent.len(), 10, "{url}");
        assert!(divergent.iter().all(|input| input.contains("pytest")));
        let summary = service.divergence(PACK).await.unwrap().unwrap();
        assert_eq!(
            (summary.observations, summary.unacknowledged),
            (30, 10),
            "{url}"
        );
        // The kept decisions are still exported (and replayed) like any other.
        let (text, _) = decision_log_page(&service, PACK, 0).await.unwrap();
        assert_eq!(text.lines().count(), 10, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_cli_dry_run_deletes_nothing_and_a_real_run_is_audited() {
    for (service, dir, url) in services().await {
        let pool = service.db().pool();
        insert_decisions(pool, 1200, now_ms() - 10 * DAY_MS, 10).await;
        insert_decisions(pool, 5, now_ms(), 10).await;
        let prune = |extra: &[&str]| {
            run_command(
                cavra_in(dir.path())
                    .args(["db", "prune", "--database-url", &url])
                    .args(extra),
            )
        };
        let entries = count(pool, "SELECT COUNT(*) FROM audit_log").await;

        let run = prune(&["--dry-run", "--max-age", "86400", "--max-rows", "0"]);
        assert_eq!(run.code, 0, "{url}: {}", run.transcript());
        assert!(
            run.stdout
                .contains("dry run: would prune 1200 decision(s) and 0 shadow observation(s)"),
            "{}",
            run.transcript()
        );
        assert!(
            run.stdout.contains("nothing deleted"),
            "{}",
            run.transcript()
        );
        assert_eq!(count(pool, "SELECT COUNT(*) FROM decision_log").await, 1205);
        assert_eq!(
            count(pool, "SELECT COUNT(*) FROM audit_log").await,
            entries,
            "{url}: a dry run records nothing"
        );

        for bad in [
            &["--max-age", "-5"][..],
            &["--max-rows", "many"][..],
            &["--max-age"][..],
        ] {
            let run = prune(bad);
            assert_eq!(run.code, 2, "{bad:?}: {}", run.transcript());
        }
        assert_eq!(count(pool, "SELECT COUNT(*) FROM decision_log").await, 1205);

        let run = prune(&["--max-age", "86400", "--max-rows", "0", "--json"]);
        assert_eq!(run.code, 0, "{url}: {}", run.transcript());
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(report["decisions"], 1200, "{report}");
        assert_eq!(report["dry_run"], false);
        assert_eq!(report["passes"], 1);
        if url.starts_with("sqlite") {
            assert_eq!(report["wal_truncated"], true, "{report}");
        }
        assert_eq!(count(pool, "SELECT COUNT(*) FROM decision_log").await, 5);
        let audited = audit_prunes(pool).await;
        assert_eq!(audited.len(), 1);
        assert_eq!(audited[0].0, "cli");

        // The chain still verifies, against the server's key file.
        let run =
            run_command(cavra_in(dir.path()).args(["audit", "verify", "--database-url", &url]));
        assert_eq!(run.code, 0, "{url}: {}", run.transcript());
        assert!(
            run.stdout.starts_with("OK audit log intact"),
            "{}",
            run.transcript()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_then_audit_verify_on_a_served_database() {
    // A served database with the whole governed path behind it (sign-offs, tokens, keys): a
    // prune deletes decisions and observations, and the covered rows still verify.
    for server in servers().await {
        let engine = server.engine;
        let author = crate::common::extra::login(server.addr, "author").await;
        let digest = crate::common::extra::publish_version(&author, "0.9.0").await;
        crate::common::extra::make_ready(server.addr, &server.token, &author, &digest).await;
        age_everything(server.service.db().pool(), 2 * DAY_MS).await;
        let report = retention::prune(&server.service, "system", by_age(3600))
            .await
            .unwrap();
        assert!(
            report.decisions >= 1 && report.observations >= 1,
            "{engine:?}: {report:?}"
        );
        let run = run_command(cavra_in(server.dir.path()).args([
            "audit",
            "verify",
            "--database-url",
            &server.url,
        ]));
        assert_eq!(run.code, 0, "{engine:?}: {}", run.transcript());
        // The gate that was ready still is.
        let (_, gate) = author
            .send("GET", &format!("/api/packs/{PACK}/gate/{digest}"), None)
            .await;
        assert_eq!(gate["ready"], true, "{engine:?}: {gate}");
    }
}

fn wal_bytes(url: &str) -> u64 {
    let path = server::db::sqlite_path(url).unwrap();
    let mut wal = path.into_os_string();
    wal.push("-wal");
    std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_truncated_after_a_prune() {
    let (service, _dir, url) = services().await.swap_remove(0);
    assert_eq!(service.db().engine(), Engine::Sqlite);
    let pool = service.db().pool();
    // About 24 MB in one transaction: the WAL grows to hold it, and PASSIVE checkpoints
    // never shrink it.
    insert_decisions(pool, 6000, now_ms() - 2 * DAY_MS, 4000).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let grown = wal_bytes(&url);
    assert!(grown > 16 << 20, "the WAL holds the insert: {grown} bytes");
    let report = retention::prune(&service, "system", by_age(3600))
        .await
        .unwrap();
    assert_eq!(report.decisions, 6000);
    assert!(
        service.db().truncate_wal().await.unwrap(),
        "nothing is busy"
    );
    let truncated = wal_bytes(&url);
    assert!(truncated < 64 << 10, "{grown} -> {truncated} bytes");
    // The database still works, and the next writes reuse the freed pages.
    let size = |url: &str| {
        std::fs::metadata(server::db::sqlite_path(url).unwrap())
            .unwrap()
            .len()
    };
    let file = size(&url);
    insert_decisions(pool, 3000, now_ms(), 4000).await;
    // Checkpointed into the file, the new rows took freed pages instead of growing it.
    assert!(service.db().truncate_wal().await.unwrap());
    assert!(
        size(&url) <= file + (1 << 20),
        "freed pages reused: {file} -> {}",
        size(&url)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prunes_in_the_background_and_truncates_the_wal() {
    let servers = servers_with(|config| {
        config.retention.max_age_secs = 60;
        config.retention.max_rows = 0;
        config.retention.interval_secs = 1;
    })
    .await;
    for server in servers {
        let engine = server.engine;
        let pool = server.service.db().pool();
        let _task = retention::spawn(server.service.clone()).expect("retention is on");
        insert_decisions(pool, 3000, now_ms() - DAY_MS, 2000).await;
        let (fresh, _) = insert_decisions(pool, 3, now_ms(), 10).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = count(pool, "SELECT COUNT(*) FROM decision_log").await;
            let wal_done = engine != Engine::Sqlite || wal_bytes(&server.url) < 64 << 10;
            if left == 3 && wal_done {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{engine:?}: {left} rows left, WAL {} bytes",
                if engine == Engine::Sqlite {
                    wal_bytes(&server.url)
                } else {
                    0
                }
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(
            count(pool, "SELECT MIN(id) FROM decision_log").await,
            fresh,
            "{engine:?}"
        );
        assert_eq!(audit_prunes(pool).await[0].0, "system");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_keeps_answering_during_a_prune() {
    for (service, _dir, url) in services().await {
        let pool = service.db().pool();
        insert_decisions(pool, 8 * BATCH_ROWS, now_ms() - 2 * DAY_MS, 1000).await;
        let runtime = crate::common::extra::runtime(&service, "runner").await;
        let input = json!({"action_type": "read_file", "target": "README.md"});
        shadow::decide(&service, &runtime, Some(PACK), &input)
            .await
            .unwrap();
        let pruning = tokio::spawn({
            let service = service.clone();
            async move {
                retention::prune(&service, "system", by_age(3600))
                    .await
                    .unwrap()
            }
        });
        let mut during = 0;
        let mut slowest = Duration::ZERO;
        while !pruning.is_finished() {
            let started = Instant::now();
            shadow::decide(&service, &runtime, Some(PACK), &input)
                .await
                .unwrap_or_else(|error| panic!("{url}: a decision failed during a prune: {error}"));
            slowest = slowest.max(started.elapsed());
            during += 1;
        }
        let report = pruning.await.unwrap();
        assert_eq!(report.decisions, 8 * BATCH_ROWS as u64, "{url}");
        assert!(report.batches >= 8, "{url}: {report:?}");
        assert!(
            during >= 8,
            "{url}: only {during} decisions during the prune"
        );
        assert!(
            slowest < Duration::from_secs(2),
            "{url}: a decision waited {slowest:?} for the prune"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_bounded_by_bytes_and_every_row_comes_once() {
    for (service, _dir, url) in services().await {
        let pool = service.db().pool();
        let (first, _) = insert_decisions(pool, 40, now_ms(), 500 * 1024).await;
        // One row larger than a whole page still makes progress, alone.
        insert_decisions(pool, 1, now_ms(), PAGE_BYTES + 1024).await;
        let (_, last) = insert_decisions(pool, EXPORT_PAGE + 10, now_ms(), 10).await;
        let mut after = 0;
        let mut ids = Vec::new();
        let mut pages = 0;
        while let (text, Some(next)) = decision_log_page(&service, PACK, after).await.unwrap() {
            let lines: Vec<Value> = text
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect();
            assert!(
                text.len() <= PAGE_BYTES || lines.len() == 1,
                "{url}: page of {} bytes and {} rows",
                text.len(),
                lines.len()
            );
            assert!(lines.len() as i64 <= EXPORT_PAGE);
            ids.extend(lines.iter().map(|l| l["id"].as_i64().unwrap()));
            after = next;
            pages += 1;
        }
        assert_eq!(ids, (first..=last).collect::<Vec<_>>(), "{url}");
        // 20 MB of inputs over ~4 MiB pages, the oversized row alone, then the small rows.
        assert!(pages >= 8, "{url}: {pages} pages");

        // A replay over those rows reads the same bounded pages.
        let candidate = publish_without_pytest(&service).await;
        let replay = service
            .replay_version(PACK, &candidate, None, 100_000)
            .await
            .unwrap();
        assert_eq!(replay.report.decisions as usize, ids.len(), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_streams_gzipped_over_loopback() {
    for server in servers().await {
        let engine = server.engine;
        let pool = server.service.db().pool();
        // Pages by bytes (big inputs) and by rows.
        insert_decisions(pool, 24, now_ms(), 400 * 1024).await;
        insert_decisions(pool, 2 * EXPORT_PAGE + 7, now_ms(), 10).await;
        let cookie = session_cookie(server.addr, "author").await;
        let path = format!("/api/packs/{PACK}/decisions.jsonl");
        let (status, headers, plain) = raw(
            server.addr,
            "GET",
            &path,
            &[("cookie", &cookie)],
            Vec::new(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{engine:?}");
        assert!(headers.get("content-encoding").is_none());
        let (status, headers, gzipped) = raw(
            server.addr,
            "GET",
            &path,
            &[("cookie", &cookie), ("accept-encoding", "gzip")],
            Vec::new(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{engine:?}");
        assert_eq!(headers["content-encoding"], "gzip", "{engine:?}");
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut text)
            .expect("a complete gzip stream");
        assert!(gzipped.len() < plain.len() / 10, "{engine:?}: compressed");
        assert_eq!(text.len(), plain.len(), "{engine:?}");
        assert!(
            text == plain,
            "{engine:?}: the gzipped export is the export"
        );
        let lines = plain
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as i64;
        assert_eq!(lines, 24 + 2 * EXPORT_PAGE + 7, "{engine:?}");
    }
}
