//! Concurrency over real HTTP, on SQLite and PostgreSQL (issue 9): 32 parallel saves of one
//! draft at the same base revision → exactly one wins, 31 get 409 with the current revision, and
//! the winner's text is what is stored; parallel sign-offs by one approver → one sign-off;
//! parallel promotions of one ready version → exactly one promotion in the history.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::json;

use crate::common::extra::{login, make_ready, publish_version, PACK};

const WRITERS: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_saves_signoffs_and_promotions() {
    for server in crate::common::servers().await {
        let addr = server.addr;
        let engine = server.engine;
        let author = Arc::new(login(addr, "author").await);
        let (status, draft) = author
            .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        let id = draft["id"].as_i64().unwrap();
        let base = draft["source"].as_str().unwrap().to_owned();

        // 32 saves at revision 1, each with its own text.
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let author = author.clone();
            let source = format!("{base}# writer {writer}\n");
            tasks.push(tokio::spawn(async move {
                let (status, body) = author
                    .send(
                        "PUT",
                        &format!("/api/drafts/{id}"),
                        Some(json!({"source": source, "revision": 1})),
                    )
                    .await;
                (status, body, source)
            }));
        }
        let mut winners = Vec::new();
        let mut conflicts = 0;
        for task in tasks {
            let (status, body, source) = task.await.unwrap();
            match status {
                StatusCode::OK => winners.push((body, source)),
                StatusCode::CONFLICT => {
                    conflicts += 1;
                    assert_eq!(body["code"], "conflict", "{body}");
                    assert_eq!(body["current_revision"], 2, "{engine:?}: {body}");
                }
                other => panic!("{engine:?}: unexpected {other}: {body}"),
            }
        }
        assert_eq!(winners.len(), 1, "{engine:?}: exactly one save wins");
        assert_eq!(conflicts, WRITERS - 1);
        let (winner, winner_source) = winners.pop().unwrap();
        assert_eq!(winner["revision"], 2);
        let (status, stored) = author.send("GET", &format!("/api/drafts/{id}"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(stored["revision"], 2);
        assert_eq!(
            stored["source"].as_str().unwrap(),
            winner_source,
            "{engine:?}: the winner's text is stored"
        );

        // Parallel sign-offs by one approver on one request: one counts, the rest conflict.
        let digest = publish_version(&author, "0.3.0").await;
        let (status, request) = author
            .send(
                "POST",
                &format!("/api/packs/{PACK}/approvals"),
                Some(json!({"digest": digest})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{request}");
        let security = Arc::new(login(addr, "security").await);
        let path = format!("/api/approvals/{}/signoffs", request["id"]);
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let security = security.clone();
            let path = path.clone();
            let body = json!({"group": "Platform Security", "digest": digest, "decision": "approve", "comment": "ok"});
            tasks.push(tokio::spawn(async move {
                security.send("POST", &path, Some(body)).await
            }));
        }
        let mut created = 0;
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                StatusCode::CREATED => created += 1,
                StatusCode::CONFLICT => {}
                other => panic!("{engine:?}: sign-off answered {other}: {body}"),
            }
        }
        assert_eq!(created, 1, "{engine:?}: one sign-off per person");
        let (_, approvals) = author
            .send("GET", &format!("/api/packs/{PACK}/approvals"), None)
            .await;
        let this = approvals
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == request["id"])
            .unwrap();
        assert_eq!(
            this["signoffs"].as_array().map(Vec::len),
            Some(1),
            "{engine:?}: {this}"
        );

        // Parallel promotions of one ready version: exactly one.
        let ready = publish_version(&author, "0.4.0").await;
        make_ready(addr, &server.token, &author, &ready).await;
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let author = author.clone();
            let ready = ready.clone();
            tasks.push(tokio::spawn(async move {
                author
                    .send(
                        "POST",
                        &format!("/api/packs/{PACK}/promote"),
                        Some(json!({"digest": ready})),
                    )
                    .await
            }));
        }
        let mut promoted = 0;
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                StatusCode::OK => promoted += 1,
                StatusCode::CONFLICT => {}
                other => panic!("{engine:?}: promote answered {other}: {body}"),
            }
        }
        assert_eq!(promoted, 1, "{engine:?}: exactly one promotion");
        let (_, history) = author
            .send("GET", &format!("/api/packs/{PACK}/history"), None)
            .await;
        let promotions = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["to_digest"] == ready.as_str() || h["digest"] == ready.as_str())
            .count();
        assert_eq!(promotions, 1, "{engine:?}: {history}");
    }
}
