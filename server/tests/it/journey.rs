//! The whole governed journey over real HTTP against a bound server, on SQLite and (when
//! `CAVRA_TEST_PG_URL` is set; required under `CI=true`) PostgreSQL: draft → save (stale save
//! 409) → publish → request approval → shadow → decisions and divergences → refused promotion →
//! sign-offs (own-version and other-digest refused) → promotion (parallel promotions yield one)
//! → rollback → `cavra packet verify` and `cavra audit verify`, which fail after tampering.

use std::path::Path;

use axum::http::StatusCode;
use serde_json::json;

use crate::cli_common::run_merged;
use crate::common::extra::{login, PACK};
use crate::common::{Client, TestServer};

/// The `server/` directory, where `cargo test` runs the tests.
fn server_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governed_journey_over_http() {
    for server in crate::common::servers().await {
        journey(&server).await;
    }
}

async fn journey(server: &TestServer) {
    let engine = server.engine;
    let addr = server.addr;
    eprintln!("journey on {engine:?}");
    let anonymous = Client::new(addr);

    // Unauthenticated and wrong-password requests.
    let (status, body) = anonymous.send("GET", "/api/packs", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine:?}: {body}");
    assert_eq!(body["code"], "unauthenticated");
    let (status, _) = anonymous
        .send(
            "POST",
            "/api/session",
            Some(json!({"username": "author", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let author = login(addr, "author").await;
    let security = login(addr, "security").await;
    let owner = login(addr, "owner").await;
    let admin = login(addr, "admin").await;

    // The pack was imported as enforced v1.
    let (status, packs) = author.send("GET", "/api/packs", None).await;
    assert_eq!(status, StatusCode::OK, "{packs}");
    let pack = packs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == PACK)
        .expect("baseline pack imported");
    let known_good = pack["enforced_digest"].as_str().unwrap().to_owned();
    assert!(known_good.starts_with("sha256:"));

    // Cross-origin mutation is refused (CSRF).
    let (status, body) = author
        .send_with(
            "POST",
            &format!("/api/packs/{PACK}/drafts"),
            None,
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Draft, save, stale save.
    let (status, draft) = author
        .send_with(
            "POST",
            &format!("/api/packs/{PACK}/drafts"),
            None,
            &[("origin", &format!("http://{addr}"))],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft_id = draft["id"].as_i64().unwrap();
    assert_eq!(draft["revision"], 1);
    assert_eq!(draft["base_digest"], known_good.as_str());
    let source = draft["source"].as_str().unwrap();
    // The candidate no longer allows `pytest*` and bumps its version.
    let candidate_source = source
        .replace("    - \"pytest*\"\n", "")
        .replace("version: 0.1.0", "version: 0.2.0");
    assert_ne!(candidate_source, source);
    let (status, saved) = author
        .send(
            "PUT",
            &format!("/api/drafts/{draft_id}"),
            Some(json!({"source": candidate_source, "revision": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["revision"], 2);
    let (status, stale) = author
        .send(
            "PUT",
            &format!("/api/drafts/{draft_id}"),
            Some(json!({"source": "metadata: {}", "revision": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    assert_eq!(stale["code"], "conflict");
    assert_eq!(stale["current_revision"], 2);

    // Publish.
    let (status, version) = author
        .send("POST", &format!("/api/drafts/{draft_id}/publish"), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    let candidate = version["digest"].as_str().unwrap().to_owned();
    assert_ne!(candidate, known_good);
    assert_eq!(version["dry_run_passed"], true);
    assert_eq!(version["lint_blockers"], 0);
    assert_eq!(version["diff_against"], known_good.as_str());
    assert_eq!(version["author"], "author");
    let changed = version["semantic_diff"]["changed"].to_string();
    assert!(changed.contains("commands.allow"), "{changed}");

    // A draft with lint blockers is refused.
    let (_, broken) = author
        .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
        .await;
    let broken_id = broken["id"].as_i64().unwrap();
    author
        .send(
            "PUT",
            &format!("/api/drafts/{broken_id}"),
            Some(json!({"source": "metadata: [unclosed", "revision": 1})),
        )
        .await;
    let (status, body) = author
        .send("POST", &format!("/api/drafts/{broken_id}/publish"), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap().contains("lint blocker"));

    // Request approval (the pack's groups by default).
    let (status, request) = author
        .send(
            "POST",
            &format!("/api/packs/{PACK}/approvals"),
            Some(json!({"digest": candidate})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let request_id = request["id"].as_i64().unwrap();
    assert_eq!(
        request["groups"],
        json!(["Platform Security", "Repository Owners"])
    );

    // Shadow on; decisions answer from the enforced version and create observations.
    let (status, run) = author
        .send(
            "POST",
            &format!("/api/packs/{PACK}/shadow"),
            Some(json!({"digest": candidate})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let mut posted = 0;
    for fixture in lifecycle::dry_run::default_fixtures() {
        let (status, answer) = anonymous
            .decide(&server.token, "", fixture["input"].clone())
            .await;
        posted += 1;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(
            answer["decision"], fixture["expected_decision"],
            "{engine:?}: case {} answers as the dry run expects",
            fixture["case_id"]
        );
        assert_eq!(answer["policy_digest"], known_good.as_str());
    }
    let pytest = json!({
        "schema_version": "cavra.opa-rego-policy.input.v1",
        "action_type": "execute_command",
        "target": "pytest -q",
        "requested_operation": "pytest -q"
    });
    let (status, answer) = anonymous.decide(&server.token, "", pytest.clone()).await;
    posted += 1;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["decision"], "allow",
        "shadow never changes the answer"
    );
    let (status, body) = anonymous
        .decide(&server.token, "", json!({"schema_version": "other"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let huge = "x".repeat(2 * 1024 * 1024);
    let (status, _) = anonymous
        .decide(
            &server.token,
            "",
            json!({"action_type": "read_file", "target": huge}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    let (status, summary) = author
        .send("GET", &format!("/api/packs/{PACK}/shadow"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["observations"], posted, "{engine:?}: {summary}");
    assert_eq!(summary["divergences"], 1, "{summary}");
    assert_eq!(summary["by_flip"], json!({"allow_to_require_approval": 1}));
    assert_eq!(
        summary["by_rule"],
        json!({"commands.allow -> commands.default.require_approval": 1})
    );

    // Promotion refused, listing everything missing.
    let (status, refused) = author
        .send(
            "POST",
            &format!("/api/packs/{PACK}/promote"),
            Some(json!({"digest": candidate})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "refused");
    let missing: Vec<String> = refused["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(missing.len(), 3, "{missing:?}");
    assert!(
        missing[0].starts_with("shadow: 1 unacknowledged"),
        "{missing:?}"
    );
    assert!(
        missing[1].contains("approval from Platform Security"),
        "{missing:?}"
    );
    assert!(
        missing[2].contains("approval from Repository Owners"),
        "{missing:?}"
    );

    // Sign-offs: the author cannot approve; an approval for another digest is refused.
    let signoff = |group: &str, digest: &str| json!({"group": group, "digest": digest, "decision": "approve", "comment": "reviewed"});
    let path = format!("/api/approvals/{request_id}/signoffs");
    let (status, body) = author
        .send(
            "POST",
            &path,
            Some(signoff("Platform Security", &candidate)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = security
        .send(
            "POST",
            &path,
            Some(signoff("Platform Security", &known_good)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap().contains("one digest"));
    let (status, body) = security
        .send(
            "POST",
            &path,
            Some(signoff("Repository Owners", &candidate)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not a member: {body}");
    let (status, body) = security
        .send(
            "POST",
            &path,
            Some(signoff("Platform Security", &candidate)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["pending_groups"], json!(["Repository Owners"]));
    let (status, body) = security
        .send(
            "POST",
            &path,
            Some(signoff("Platform Security", &candidate)),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "one sign-off per person: {body}"
    );
    let (status, body) = owner
        .send(
            "POST",
            &path,
            Some(signoff("Repository Owners", &candidate)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["pending_groups"], json!([]));

    // Separation of duties for an admin who authored a version.
    let (_, own_draft) = admin
        .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
        .await;
    let own_id = own_draft["id"].as_i64().unwrap();
    let own_source = own_draft["source"]
        .as_str()
        .unwrap()
        .replace("version: 0.1.0", "version: 0.1.1");
    admin
        .send(
            "PUT",
            &format!("/api/drafts/{own_id}"),
            Some(json!({"source": own_source, "revision": 1})),
        )
        .await;
    let (status, own_version) = admin
        .send("POST", &format!("/api/drafts/{own_id}/publish"), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own_version}");
    let own_digest = own_version["digest"].as_str().unwrap().to_owned();
    let (_, own_request) = author
        .send(
            "POST",
            &format!("/api/packs/{PACK}/approvals"),
            Some(json!({"digest": own_digest})),
        )
        .await;
    let (status, body) = admin
        .send(
            "POST",
            &format!("/api/approvals/{}/signoffs", own_request["id"]),
            Some(signoff("Platform Security", &own_digest)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("contributed"),
        "{body}"
    );

    // Acknowledge the divergence; the gate is then ready.
    let (status, body) = security
        .send(
            "POST",
            &format!("/api/packs/{PACK}/shadow/acknowledge"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["unacknowledged"], 0);
    let (status, gate) = author
        .send("GET", &format!("/api/packs/{PACK}/gate/{candidate}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gate["ready"], true, "{gate}");

    // Two promotions in parallel: exactly one wins.
    let body = Some(json!({"digest": candidate}));
    let promote_path = format!("/api/packs/{PACK}/promote");
    let (first, second) = tokio::join!(
        author.send("POST", &promote_path, body.clone()),
        author.send("POST", &promote_path, body.clone()),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{engine:?}: {first:?} {second:?}"
    );
    let promoted = if first.0 == StatusCode::OK {
        first.1
    } else {
        second.1
    };
    assert_eq!(promoted["previous_digest"], known_good.as_str());
    assert_eq!(promoted["seq"], 2);

    // Decisions now come from the candidate, and the shadow run stopped with the promotion.
    let (_, answer) = anonymous.decide(&server.token, "", pytest).await;
    assert_eq!(answer["decision"], "require_approval");
    assert_eq!(answer["policy_digest"], candidate.as_str());

    // Rollback: approval-gated, then carried out.
    let rollback_path = format!("/api/packs/{PACK}/rollback");
    let rollback_body = json!({"digest": known_good, "reason": "pytest runs need approval again"});
    let (status, body) = author
        .send("POST", &rollback_path, Some(rollback_body.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["missing"][0]
        .as_str()
        .unwrap()
        .contains("rollback approval request"));
    let (status, rollback_request) = author
        .send(
            "POST",
            &format!("/api/packs/{PACK}/approvals"),
            Some(json!({"digest": known_good, "kind": "rollback"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rollback_request}");
    assert_eq!(rollback_request["groups"], json!(["Platform Security"]));
    let (status, _) = security
        .send(
            "POST",
            &format!("/api/approvals/{}/signoffs", rollback_request["id"]),
            Some(signoff("Platform Security", &known_good)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, rolled) = author
        .send("POST", &rollback_path, Some(rollback_body))
        .await;
    assert_eq!(status, StatusCode::OK, "{rolled}");
    assert_eq!(rolled["steps"].as_array().unwrap().len(), 6, "{rolled}");
    assert_eq!(rolled["seq"], 3);
    let (_, history) = author
        .send("GET", &format!("/api/packs/{PACK}/history"), None)
        .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["import", "promote", "rollback"]);
    let (_, answer) = anonymous
        .decide(
            &server.token,
            "",
            json!({"action_type": "execute_command", "target": "pytest -q"}),
        )
        .await;
    assert_eq!(answer["policy_digest"], known_good.as_str());

    // Evidence: a packet per gate event, downloadable and verifiable with the CLI.
    let (_, packets) = author
        .send("GET", &format!("/api/packs/{PACK}/evidence"), None)
        .await;
    let events: Vec<&str> = packets
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["event"].as_str().unwrap())
        .collect();
    for event in [
        "publish",
        "approval_request",
        "signoff",
        "promotion",
        "rollback",
    ] {
        assert!(events.contains(&event), "{event} in {events:?}");
    }
    let promotion = packets
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["event"] == "promotion")
        .unwrap();
    let (status, downloaded) = author
        .send_raw(
            "GET",
            &format!("/api/evidence/{}/packet.json", promotion["id"]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let file = server
        .data_dir()
        .join("evidence")
        .join(PACK)
        .join(promotion["file_name"].as_str().unwrap());
    assert_eq!(
        std::fs::read(&file).unwrap(),
        downloaded,
        "file equals download"
    );
    let key = server.data_dir().join("keys/evidence-ed25519.pub");
    let (code, output) = run_merged(
        server_dir(),
        &[
            "packet",
            "verify",
            file.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("signature valid"), "{output}");
    let mut tampered = downloaded.clone();
    let position = tampered.len() / 2;
    tampered[position] ^= 0x01;
    let tampered_path = file.with_extension("tampered.json");
    std::fs::write(&tampered_path, &tampered).unwrap();
    std::fs::copy(
        format!("{}.sig", file.display()),
        format!("{}.sig", tampered_path.display()),
    )
    .unwrap();
    let (code, output) = run_merged(
        server_dir(),
        &[
            "packet",
            "verify",
            tampered_path.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{output}");

    // Audit chain: intact, then an edited row is detected.
    let (code, output) = run_merged(
        server_dir(),
        &["audit", "verify", "--database-url", &server.url],
    );
    assert_eq!(code, 0, "{engine:?}: {output}");
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
        .execute(server.service.db().pool())
        .await
        .unwrap();
    let (code, output) = run_merged(
        server_dir(),
        &["audit", "verify", "--database-url", &server.url],
    );
    assert_eq!(code, 1, "{engine:?}: {output}");
    assert!(output.contains("entry 3 was modified"), "{output}");
}
