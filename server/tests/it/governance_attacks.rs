//! Governance attacks: an insider (author, careless admin) tries to bend the release path, on
//! SQLite and PostgreSQL. Each test names the attack it reproduces and shows it refused.
//!
//! Demo accounts: `author` (author), `security` (Platform Security), `owner` (Repository
//! Owners), `admin` (admin, member of both groups).

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::common::extra::{login, publish_version, PACK};
use crate::common::{Client, TestServer};

fn approve(group: &str, digest: &str) -> Value {
    json!({"group": group, "digest": digest, "decision": "approve", "comment": "looks right"})
}

fn reject(group: &str, digest: &str) -> Value {
    json!({"group": group, "digest": digest, "decision": "reject", "comment": "opens MCP to anyone"})
}

async fn request(client: &Client, digest: &str, kind: &str, groups: Option<&[&str]>) -> Value {
    let mut body = json!({"digest": digest, "kind": kind});
    if let Some(groups) = groups {
        body["groups"] = json!(groups);
    }
    let (status, request) = client
        .send("POST", &format!("/api/packs/{PACK}/approvals"), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    request
}

async fn sign(client: &Client, request_id: &Value, body: Value) -> (StatusCode, Value) {
    client
        .send(
            "POST",
            &format!("/api/approvals/{request_id}/signoffs"),
            Some(body),
        )
        .await
}

async fn gate(client: &Client, digest: &str) -> Value {
    let (status, gate) = client
        .send("GET", &format!("/api/packs/{PACK}/gate/{digest}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{gate}");
    gate
}

fn approvals_missing(gate: &Value) -> String {
    gate["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "approvals")
        .unwrap()["missing"]
        .to_string()
}

async fn shadow_observed(server: &TestServer, author: &Client, digest: &str) {
    crate::common::extra::shadow_observed(server.addr, &server.token, author, digest).await;
}

/// The audit log's problems after running `sql` on the server's database as an attacker would.
async fn tampered(server: &TestServer, admin: &Client, sql: &str) -> String {
    let db = server::db::Database::connect(&server.url).await.unwrap();
    sqlx::query(sql).execute(db.pool()).await.unwrap();
    let (_, report) = admin.send("GET", "/api/audit/verify", None).await;
    report["problems"].to_string()
}

async fn promote(client: &Client, digest: &str) -> (StatusCode, Value) {
    client
        .send(
            "POST",
            &format!("/api/packs/{PACK}/promote"),
            Some(json!({"digest": digest})),
        )
        .await
}

async fn create_user(admin: &Client, name: &str, role: &str, groups: &[&str]) -> Client {
    let password = format!("{name}-long-passphrase-9");
    let (status, body) = admin
        .send(
            "POST",
            "/api/users",
            Some(json!({"username": name, "password": password, "role": role, "groups": groups})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let client = Client::new(admin.addr());
    let (status, body) = client
        .send(
            "POST",
            "/api/session",
            Some(json!({"username": name, "password": password})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    client
}

/// Attack 1: the requester picks the approver groups to skip Platform Security.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_cannot_drop_groups_the_rule_requires() {
    for server in crate::common::servers().await {
        let engine = server.engine;
        let author = login(server.addr, "author").await;
        let owner = login(server.addr, "owner").await;
        let digest = publish_version(&author, "0.2.0").await;
        let req = request(&author, &digest, "promotion", Some(&["Repository Owners"])).await;
        let groups = req["groups"].to_string();
        assert!(
            groups.contains("Platform Security") && groups.contains("Repository Owners"),
            "{engine:?}: the rule's groups are always asked: {req}"
        );
        shadow_observed(&server, &author, &digest).await;
        let (status, body) = sign(&owner, &req["id"], approve("Repository Owners", &digest)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let g = gate(&author, &digest).await;
        assert_eq!(g["ready"], false, "{engine:?}: {g}");
        assert!(approvals_missing(&g).contains("Platform Security"), "{g}");
        let (status, body) = promote(&author, &digest).await;
        assert_eq!(status, StatusCode::CONFLICT, "{engine:?}: {body}");

        // The same for a rollback: a request "for Repository Owners" still needs Platform
        // Security, whatever the plan says.
        let security = login(server.addr, "security").await;
        let (status, body) =
            sign(&security, &req["id"], approve("Platform Security", &digest)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let previous = g["checks"].to_string();
        let (status, body) = promote(&author, &digest).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{engine:?}: {body} (gate was {previous})"
        );
        let (_, history) = author
            .send("GET", &format!("/api/packs/{PACK}/history"), None)
            .await;
        let first = history[0]["digest"].as_str().unwrap().to_owned();
        let rb = request(&author, &first, "rollback", Some(&["Repository Owners"])).await;
        assert!(
            rb["groups"].to_string().contains("Platform Security"),
            "{rb}"
        );
        let (status, body) = sign(&owner, &rb["id"], approve("Repository Owners", &first)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = author
            .send(
                "POST",
                &format!("/api/packs/{PACK}/rollback"),
                Some(json!({"digest": first, "reason": "test"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{engine:?}: {body}");
        assert!(body.to_string().contains("Platform Security"), "{body}");

        // The signed promotion packet records the actual sign-offs and the rule.
        let (_, packets) = author
            .send("GET", &format!("/api/packs/{PACK}/evidence"), None)
            .await;
        let promotion = packets
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["event"] == "promotion")
            .unwrap();
        let (status, bytes) = author
            .send_raw(
                "GET",
                &format!("/api/evidence/{}/packet.json", promotion["id"]),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let packet: Value = serde_json::from_slice(&bytes).unwrap();
        let record = &packet["decision_record"];
        let signers: Vec<&str> = record["signoffs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["user"].as_str().unwrap())
            .collect();
        assert_eq!(signers, ["owner", "security"], "{record}");
        assert_eq!(
            record["approval_rule"]["promotion"][0]["group"],
            "Platform Security"
        );
        assert_eq!(record["gate"]["ready"], true, "{record}");
        assert!(record["contributors"].to_string().contains("author"));
    }
}

/// Attack 2: a rejection is erased by asking again with other groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_blocks_the_digest_until_withdrawn() {
    for server in crate::common::servers().await {
        let engine = server.engine;
        let author = login(server.addr, "author").await;
        let security = login(server.addr, "security").await;
        let owner = login(server.addr, "owner").await;
        let digest = publish_version(&author, "0.3.0").await;
        shadow_observed(&server, &author, &digest).await;
        let first = request(&author, &digest, "promotion", None).await;

        // A rejection without a reason is refused.
        let mut bare = reject("Platform Security", &digest);
        bare["comment"] = json!("  ");
        let (status, body) = sign(&security, &first["id"], bare).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, rejected) = sign(
            &security,
            &first["id"],
            reject("Platform Security", &digest),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{rejected}");
        assert_eq!(rejected["rejected"], true);

        // Asking again, with other groups, and collecting approvals does not hide it.
        let second = request(&author, &digest, "promotion", Some(&["Repository Owners"])).await;
        assert_eq!(second["rejected"], true, "{engine:?}: {second}");
        let (status, body) =
            sign(&owner, &second["id"], approve("Repository Owners", &digest)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let admin = login(server.addr, "admin").await;
        let (status, body) =
            sign(&admin, &second["id"], approve("Platform Security", &digest)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let g = gate(&author, &digest).await;
        assert_eq!(g["ready"], false, "{engine:?}: {g}");
        assert!(approvals_missing(&g).contains("rejected"), "{g}");
        let (status, body) = promote(&author, &digest).await;
        assert_eq!(status, StatusCode::CONFLICT, "{engine:?}: {body}");

        // Only the rejecting approver or another member of that group may withdraw it.
        let signoff_id = rejected["signoffs"][0]["id"].as_i64().unwrap();
        let path = format!("/api/signoffs/{signoff_id}/withdraw");
        let (status, body) = owner.send("POST", &path, Some(json!({}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {body}");
        let (status, body) = author.send("POST", &path, Some(json!({}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {body}");
        let (status, body) = security
            .send("POST", &path, Some(json!({"comment": "fixed in review"})))
            .await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {body}");
        assert_eq!(body["rejected"], false, "{body}");
        let (status, body) = security.send("POST", &path, Some(json!({}))).await;
        assert_eq!(status, StatusCode::CONFLICT, "withdrawn twice: {body}");

        // With the rejection withdrawn the approvals count and the digest can be promoted.
        let g = gate(&author, &digest).await;
        assert_eq!(g["ready"], true, "{engine:?}: {g}");
        let (status, body) = promote(&author, &digest).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {body}");

        // The withdrawal is on the record: in the packet and the audit log.
        let (_, log) = admin.send("GET", "/api/audit/verify", None).await;
        assert_eq!(log["problems"], json!([]), "{log}");
    }
}

/// Attacks 3 and 4: an admin who edited the draft signs off (or acknowledges divergences of)
/// the version someone else published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_contributor_is_barred_from_judging_the_digest() {
    for server in crate::common::servers().await {
        let engine = server.engine;
        let author = login(server.addr, "author").await;
        let admin = login(server.addr, "admin").await;
        let (status, draft) = author
            .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        let id = draft["id"].as_i64().unwrap();
        // The admin lists themself as a co-author (only the author and co-authors may save),
        // then edits and saves the author's draft (adds a trusted MCP server)...
        let (status, listed) = admin
            .send(
                "PUT",
                &format!("/api/drafts/{id}/coauthors"),
                Some(json!({"coauthors": ["admin"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        let source = crate::common::extra::with_version(draft["source"].as_str().unwrap(), "0.4.0");
        let (status, saved) = admin
            .send(
                "PUT",
                &format!("/api/drafts/{id}"),
                Some(json!({"source": source, "revision": draft["revision"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        // ...and the author publishes it.
        let (status, version) = author
            .send("POST", &format!("/api/drafts/{id}/publish"), None)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{version}");
        let digest = version["digest"].as_str().unwrap().to_owned();
        let req = request(&author, &digest, "promotion", None).await;
        for group in ["Platform Security", "Repository Owners"] {
            let (status, body) = sign(&admin, &req["id"], approve(group, &digest)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {body}");
            assert!(
                body["message"].as_str().unwrap().contains("contributed"),
                "{body}"
            );
        }
        // Divergence acknowledgement: not by the contributor admin, not by any author.
        let (status, run) = author
            .send(
                "POST",
                &format!("/api/packs/{PACK}/shadow"),
                Some(json!({"digest": digest})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{run}");
        let ack = format!("/api/packs/{PACK}/shadow/acknowledge");
        let (status, body) = admin.send("POST", &ack, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {body}");
        let (status, body) = author.send("POST", &ack, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {body}");
        let security = login(server.addr, "security").await;
        let (status, body) = security.send("POST", &ack, None).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {body}");

        // Someone who did not touch it may sign.
        let owner = login(server.addr, "owner").await;
        let (status, body) = sign(&owner, &req["id"], approve("Repository Owners", &digest)).await;
        assert_eq!(status, StatusCode::CREATED, "{engine:?}: {body}");

        // The contributor records are vouched for: deleting the admin's, so that they could
        // sign after all, fails verification.
        let (_, report) = admin.send("GET", "/api/audit/verify", None).await;
        assert_eq!(report["problems"], json!([]), "{engine:?}: {report}");
        let problems = tampered(
            &server,
            &admin,
            "DELETE FROM version_contributors WHERE user_id = (SELECT id FROM users WHERE username = 'admin')",
        )
        .await;
        assert!(
            problems.contains("version_contributors row"),
            "{engine:?}: {problems}"
        );
    }
}

/// Attack 9: approvals outlive the promotion they were for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_are_spent_by_the_promotion_and_a_rollback_needs_fresh_ones() {
    for server in crate::common::servers().await {
        let engine = server.engine;
        let author = login(server.addr, "author").await;
        let security = login(server.addr, "security").await;
        let (_, packs) = author.send("GET", "/api/packs", None).await;
        let y = packs
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == PACK)
            .unwrap()["enforced_digest"]
            .as_str()
            .unwrap()
            .to_owned();
        let x = publish_version(&author, "0.5.0").await;
        crate::common::extra::make_ready(server.addr, &server.token, &author, &x).await;
        let (status, body) = promote(&author, &x).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {body}");

        // Roll back to Y with Platform Security's approval.
        let rb = request(&author, &y, "rollback", None).await;
        let (status, body) = sign(&security, &rb["id"], approve("Platform Security", &y)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = author
            .send(
                "POST",
                &format!("/api/packs/{PACK}/rollback"),
                Some(json!({"digest": y, "reason": "incident"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {body}");

        // X is not ready again: its approvals were spent, and re-promoting it is refused.
        let g = gate(&author, &x).await;
        assert_eq!(g["ready"], false, "{engine:?}: {g}");
        assert!(approvals_missing(&g).contains("no open promotion"), "{g}");
        let (status, body) = promote(&author, &x).await;
        assert_eq!(status, StatusCode::CONFLICT, "{engine:?}: {body}");
        // The consumed request says so, and cannot be signed any more.
        let (_, list) = author
            .send("GET", &format!("/api/packs/{PACK}/approvals"), None)
            .await;
        let spent = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["digest"] == x.as_str() && r["kind"] == "promotion")
            .unwrap();
        assert!(spent["consumed_at"].is_string(), "{spent}");
        let admin = login(server.addr, "admin").await;
        let (status, body) = sign(&admin, &spent["id"], approve("Platform Security", &x)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{engine:?}: {body}"
        );
        // The rollback request is spent too: a second rollback to Y needs a new approval.
        let (_, list) = author
            .send("GET", &format!("/api/packs/{PACK}/approvals"), None)
            .await;
        assert!(list
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "rollback")
            .all(|r| r["consumed_at"].is_string()));

        // Every spent request is vouched for by the event that spent it; reviving one in the
        // database (to replay its approvals) fails verification.
        let (_, report) = admin.send("GET", "/api/audit/verify", None).await;
        assert_eq!(report["problems"], json!([]), "{engine:?}: {report}");
        let problems = tampered(
            &server,
            &admin,
            "UPDATE approval_requests SET consumed_at = NULL",
        )
        .await;
        assert!(
            problems.contains("approval_requests row"),
            "{engine:?}: {problems}"
        );
    }
}

/// The rule is the server's: only admins change it, it cannot drop Platform Security from
/// rollbacks, quorum counts distinct people, and old sign-offs expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pack_rule_decides_groups_quorum_and_lifetime() {
    for server in crate::common::servers().await {
        let engine = server.engine;
        let author = login(server.addr, "author").await;
        let admin = login(server.addr, "admin").await;
        let security = login(server.addr, "security").await;
        let owner = login(server.addr, "owner").await;
        let path = format!("/api/packs/{PACK}/approval-rule");
        let strict = json!({
            "promotion": [{"group": "Platform Security", "quorum": 2}, {"group": "Repository Owners", "quorum": 1}],
            "rollback": [{"group": "Platform Security", "quorum": 1}],
            "ttl_hours": 24
        });
        for who in [&author, &security] {
            let (status, body) = who.send("PUT", &path, Some(strict.clone())).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {body}");
        }
        let weak = json!({
            "promotion": [{"group": "Repository Owners", "quorum": 1}],
            "rollback": [{"group": "Repository Owners", "quorum": 1}],
            "ttl_hours": 24
        });
        let (status, body) = admin.send("PUT", &path, Some(weak)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{engine:?}: {body}"
        );
        for bad in [
            json!({"promotion": [], "rollback": [{"group": "Platform Security", "quorum": 1}], "ttl_hours": 1}),
            json!({"promotion": [{"group": "A", "quorum": 0}], "rollback": [{"group": "Platform Security", "quorum": 1}], "ttl_hours": 1}),
            json!({"promotion": [{"group": "A", "quorum": 1}], "rollback": [{"group": "Platform Security", "quorum": 1}], "ttl_hours": 0}),
        ] {
            let (status, body) = admin.send("PUT", &path, Some(bad)).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{engine:?}: {body}"
            );
        }
        let (status, pack) = admin.send("PUT", &path, Some(strict)).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {pack}");
        assert_eq!(pack["approval_rule"]["promotion"][0]["quorum"], 2);

        let digest = publish_version(&author, "0.6.0").await;
        shadow_observed(&server, &author, &digest).await;
        let req = request(&author, &digest, "promotion", None).await;
        for (who, group) in [
            (&security, "Platform Security"),
            (&owner, "Repository Owners"),
        ] {
            let (status, body) = sign(who, &req["id"], approve(group, &digest)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let g = gate(&author, &digest).await;
        assert_eq!(
            g["ready"], false,
            "{engine:?}: quorum 2 needs two people: {g}"
        );
        assert!(approvals_missing(&g).contains("1 of 2"), "{g}");
        // The admin is in both groups but fills one slot only; a second security member
        // completes the quorum.
        let second = create_user(&admin, "sec2", "approver", &["Platform Security"]).await;
        let (status, body) = sign(&second, &req["id"], approve("Platform Security", &digest)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let g = gate(&author, &digest).await;
        assert_eq!(g["ready"], true, "{engine:?}: {g}");

        // Sign-offs older than the lifetime stop counting (the clock is moved by ageing rows).
        let db = server::db::Database::connect(&server.url).await.unwrap();
        sqlx::query("UPDATE signoffs SET created_at = created_at - 90000000")
            .execute(db.pool())
            .await
            .unwrap();
        let g = gate(&author, &digest).await;
        assert_eq!(
            g["ready"], false,
            "{engine:?}: expired sign-offs still count: {g}"
        );

        // Ageing the rows by hand is itself tampering, and the keyed audit log says so.
        let (_, report) = admin.send("GET", "/api/audit/verify", None).await;
        let problems = report["problems"].to_string();
        assert!(problems.contains("signoffs row"), "{engine:?}: {report}");
        // The rule itself is vouched for: editing it in the database is caught too.
        let problems = tampered(
            &server,
            &admin,
            "UPDATE packs SET approval_rule_json = NULL",
        )
        .await;
        assert!(problems.contains("approval rule"), "{engine:?}: {problems}");
    }
}

/// Break-glass exists only for admins, with a reason, and is flagged in the packet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_is_an_admin_act_with_a_reason_on_the_record() {
    for server in crate::common::servers().await {
        let engine = server.engine;
        let author = login(server.addr, "author").await;
        let admin = login(server.addr, "admin").await;
        let digest = publish_version(&author, "0.7.0").await;
        let path = format!("/api/packs/{PACK}/break-glass");
        let body = json!({"digest": digest, "action": "promote", "reason": "sev1: agents exfiltrating via MCP"});
        let (status, answer) = author.send("POST", &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{engine:?}: {answer}");
        let (status, answer) = admin
            .send(
                "POST",
                &path,
                Some(json!({"digest": digest, "action": "promote", "reason": "now"})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{engine:?}: {answer}"
        );
        let (status, answer) = admin.send("POST", &path, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {answer}");
        let (status, bytes) = admin
            .send_raw(
                "GET",
                &format!("/api/evidence/{}/packet.json", answer["evidence_id"]),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let packet: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            packet["decision_record"]["break_glass"]["reason"],
            "sev1: agents exfiltrating via MCP"
        );
        assert_eq!(packet["decision_record"]["break_glass"]["by"], "admin");
        let (_, report) = admin.send("GET", "/api/audit/verify", None).await;
        assert_eq!(report["problems"], json!([]), "{engine:?}: {report}");
    }
}
