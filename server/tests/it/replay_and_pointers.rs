//! Server-side replay of the decision log through a stored version, and the decision path's
//! pointer cache: a replica that cached which version is enforced still answers from the new one
//! right after another replica moved the pointer. On SQLite and PostgreSQL.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::extra::{login, PACK};
use crate::common::{database_urls, seeded_service, servers, test_config};
use app::backend::Backend;
use server::db::Database;
use server::service::{shadow, Service};

/// Publishes the enforced pack without its `pytest*` allow (so pytest needs approval); returns
/// the new digest.
async fn publish_without_pytest(service: &Service) -> String {
    let (author, _) = service
        .login("author", "author-demo-pass", None)
        .await
        .expect("login");
    let draft = service
        .create_draft(&author, PACK, None)
        .await
        .expect("draft");
    let source = draft.source.replace("    - \"pytest*\"\n", "");
    assert_ne!(source, draft.source, "the fixture allows pytest*");
    let draft = service
        .save_draft(&author, draft.id, &source, draft.revision)
        .await
        .expect("save");
    service
        .publish_draft(&author, draft.id)
        .await
        .expect("publish")
        .digest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_replays_against_the_recorded_decisions() {
    for server in servers().await {
        let engine = format!("{:?}", server.engine);
        let candidate = publish_without_pytest(&server.service).await;
        let anonymous = crate::common::Client::new(server.addr);
        for (action, target) in [
            ("execute_command", "pytest -q"),
            ("execute_command", "pytest tests/unit"),
            ("execute_command", "pytest"),
            ("read_file", "README.md"),
            ("read_file", ".env"),
        ] {
            let (status, body) = anonymous
                .decide(
                    &server.token,
                    "",
                    json!({"action_type": action, "target": target}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{engine}: {body}");
        }
        let path = format!("/api/packs/{PACK}/versions/{candidate}/replay");
        let (status, _) = anonymous.send("GET", &path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine}");

        let viewer = login(server.addr, "author").await;
        let (status, summary) = viewer.send("GET", &path, None).await;
        assert_eq!(status, StatusCode::OK, "{engine}: {summary}");
        let report = &summary["report"];
        assert_eq!(report["decisions"], 5, "{engine}: {summary}");
        // Every logged decision was made by the enforced version, the default baseline.
        assert_eq!(report["trusted_baseline"], 5, "{engine}");
        assert_eq!(report["flips"], 3, "{engine}: {summary}");
        assert_eq!(
            report["by_kind"],
            json!({"allow_to_require_approval": 3}),
            "{engine}"
        );
        assert_eq!(report["groups"][0]["count"], 3, "{engine}");
        assert_eq!(
            report["groups"][0]["examples"][0]["input"]["target"], "pytest -q",
            "{engine}"
        );
        let change = summary["rates"]["change"]["require_approval"]
            .as_f64()
            .unwrap();
        assert!((change - 0.6).abs() < 1e-9, "{engine}: {change}");

        // The candidate against itself changes nothing; a window of one sees the newest only.
        let (status, same) = viewer
            .send("GET", &format!("{path}?baseline={candidate}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{engine}");
        assert_eq!(same["report"]["flips"], 0, "{engine}");
        let (status, newest) = viewer.send("GET", &format!("{path}?window=1"), None).await;
        assert_eq!(status, StatusCode::OK, "{engine}");
        assert_eq!(newest["report"]["decisions"], 1, "{engine}");
        assert_eq!(newest["report"]["flips"], 0, "{engine}: .env stays blocked");

        let (status, body) = viewer.send("GET", &format!("{path}?window=0"), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{engine}: {body}");
        let unknown = format!(
            "/api/packs/{PACK}/versions/sha256:{}/replay",
            "0".repeat(64)
        );
        let (status, _) = viewer.send("GET", &unknown, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{engine}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_answers_from_pointers_moved_by_another() {
    let probe = tempfile::tempdir().unwrap();
    for url in database_urls(probe.path()).await {
        let dir = tempfile::tempdir().unwrap();
        let url = if url.starts_with("sqlite") {
            format!("sqlite://{}", dir.path().join("shared.db").display())
        } else {
            url
        };
        let first = seeded_service(&url, dir.path().join("a")).await;
        let second = Service::new(
            Database::connect(&url).await.unwrap(),
            test_config(dir.path().join("b")),
        )
        .unwrap();
        let input = json!({"action_type": "execute_command", "target": "pytest -q"});
        // Tokens are made where the evidence key is (the first replica); any replica reads them.
        let secret = crate::common::extra::runtime_token(&first, "replica-b", None).await;
        let runtime = server::service::tokens::authenticate(&second, &secret)
            .await
            .unwrap();
        // The second replica caches the pointers with its first decision.
        let before = shadow::decide(&second, &runtime, Some(PACK), &input)
            .await
            .unwrap();
        assert_eq!(before.decision, "allow", "{url}");

        // The first replica moves them: a new enforced digest (written directly, as a promotion
        // commits it), then a shadow run. The second never hears of either.
        let candidate = publish_without_pytest(&first).await;
        sqlx::query("UPDATE packs SET enforced_digest = $1 WHERE id = $2")
            .bind(&candidate)
            .bind(PACK)
            .execute(first.db().pool())
            .await
            .unwrap();
        let after = shadow::decide(&second, &runtime, Some(PACK), &input)
            .await
            .unwrap();
        assert_eq!(after.policy_digest, candidate, "{url}: stale pointer used");
        assert_eq!(after.decision, "require_approval", "{url}");
        let logged: String =
            sqlx::query_scalar("SELECT policy_digest FROM decision_log WHERE id = $1")
                .bind(after.decision_id)
                .fetch_one(first.db().pool())
                .await
                .unwrap();
        assert_eq!(logged, candidate, "{url}");

        let (author, _) = first
            .login("author", "author-demo-pass", None)
            .await
            .unwrap();
        let run = first
            .start_shadow(&author, PACK, &before.policy_digest)
            .await
            .unwrap();
        let observed = shadow::decide(&second, &runtime, Some(PACK), &input)
            .await
            .unwrap();
        let observations: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM observations WHERE shadow_id = $1 AND decision_id = $2",
        )
        .bind(run.id)
        .bind(observed.decision_id)
        .fetch_one(first.db().pool())
        .await
        .unwrap();
        assert_eq!(observations, 1, "{url}: the new shadow run observed it");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_observations_belong_to_their_own_decisions() {
    for server in servers().await {
        let engine = format!("{:?}", server.engine);
        let candidate = publish_without_pytest(&server.service).await;
        let (author, _) = server
            .service
            .login("author", "author-demo-pass", None)
            .await
            .unwrap();
        server
            .service
            .start_shadow(&author, PACK, &candidate)
            .await
            .unwrap();
        // Concurrent requests share group-commit batches (multi-row INSERTs); inputs differ so a
        // misaligned decision_id would pair an observation with another request's decision.
        let inputs = [
            ("execute_command", "pytest -q"),
            ("read_file", "README.md"),
            ("read_file", ".env"),
            ("execute_command", "rm -rf /"),
            ("execute_command", "terraform plan"),
        ];
        // Two runtimes, alternating with a period prime to the inputs', so the runtime column
        // is checked for alignment too.
        let runtimes = [
            crate::common::extra::runtime(&server.service, "runner-a").await,
            crate::common::extra::runtime(&server.service, "runner-b").await,
        ];
        let tasks: Vec<_> = (0..400)
            .map(|i| {
                let service = server.service.clone();
                let runtime = runtimes[i % 2].clone();
                let (action, target) = inputs[i % inputs.len()];
                tokio::spawn(async move {
                    let input = json!({"action_type": action, "target": target});
                    shadow::decide(&service, &runtime, Some(PACK), &input)
                        .await
                        .unwrap()
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let pool = server.service.db().pool();
        let joined: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM observations o JOIN decision_log d ON d.id = o.decision_id",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(joined, 400, "{engine}");
        let mismatched: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM observations o JOIN decision_log d ON d.id = o.decision_id \
             WHERE d.rule_id <> o.enforced_rule_id OR d.decision <> o.enforced_decision \
             OR (o.diverged = 1) <> (d.input_json LIKE '%pytest%') OR o.runtime <> d.runtime",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(
            mismatched, 0,
            "{engine}: observations paired with another decision"
        );
        let per_runtime: Vec<(String, i64)> = sqlx::query_as(
            "SELECT runtime, COUNT(*) FROM decision_log WHERE runtime <> '' \
             GROUP BY runtime ORDER BY runtime",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(
            per_runtime,
            [("runner-a".to_owned(), 200), ("runner-b".to_owned(), 200)],
            "{engine}"
        );
    }
}
