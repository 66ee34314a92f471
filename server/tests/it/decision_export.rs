//! `GET /api/packs/{pack}/decisions.jsonl`: the decision log in the shape `cavra policy replay`
//! reads, streamed page by page, on SQLite and PostgreSQL.

use crate::common::extra::PACK;
use crate::common::{servers, Client};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decision_log_exports_as_jsonl_across_pages() {
    for server in servers().await {
        let engine = format!("{:?}", server.engine);
        let anonymous = Client::new(server.addr);
        let (status, _) = anonymous
            .send_raw("GET", &format!("/api/packs/{PACK}/decisions.jsonl"))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine}");

        // Real decisions over HTTP, then enough direct rows to span several export pages.
        for target in ["pytest -q", ".env"] {
            let action = if target == ".env" {
                "read_file"
            } else {
                "execute_command"
            };
            let (status, body) = anonymous
                .decide(
                    &server.token,
                    "",
                    json!({"action_type": action, "target": target}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{engine}: {body}");
        }
        let extra = server::service::shadow::EXPORT_PAGE * 2 + 5;
        let mut tx = server.service.db().pool().begin().await.unwrap();
        for i in 0..extra {
            sqlx::query(
                "INSERT INTO decision_log (pack_id, policy_digest, input_json, decision, rule_id, severity, at) \
                 VALUES ($1, 'sha256:x', $2, 'allow', 'filesystem.read.allow', 'low', $3)",
            )
            .bind(PACK)
            .bind(json!({"action_type": "read_file", "target": format!("src/f{i}.rs")}).to_string())
            .bind(1_700_000_000_000_i64 + i)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        let author = Client::new(server.addr);
        let (status, _) = author
            .send(
                "POST",
                "/api/session",
                Some(json!({"username": "author", "password": "author-demo-pass"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{engine}");
        let (status, body) = author
            .send_raw("GET", &format!("/api/packs/{PACK}/decisions.jsonl"))
            .await;
        assert_eq!(status, StatusCode::OK, "{engine}");
        let text = String::from_utf8(body).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len() as i64, extra + 2, "{engine}");
        let ids: Vec<i64> = lines.iter().map(|l| l["id"].as_i64().unwrap()).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{engine}: ids ascend, no duplicates"
        );
        let first = &lines[0];
        assert_eq!(first["pack"], PACK);
        assert_eq!(first["input"]["action_type"], "execute_command");
        assert_eq!(first["input"]["target"], "pytest -q");
        assert_eq!(first["decision"], "allow");
        assert_eq!(first["rule_id"], "commands.allow");
        assert!(first["policy_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"));
        assert!(first["at"].as_str().unwrap().contains('T'));
        assert_eq!(lines[1]["decision"], "block", "{engine}");

        let (status, _) = author
            .send_raw("GET", "/api/packs/no-such-pack/decisions.jsonl")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{engine}");
    }
}
