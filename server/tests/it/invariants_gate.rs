//! Pack invariants end to end, on SQLite and PostgreSQL: the fixture pack is imported with a
//! `cases.yaml` declaring invariants; a draft that breaks one publishes (like a failing dry-run
//! case, it is a record to review), but the gate refuses it naming the counterexample, for a
//! normal promotion and for break-glass alike; its publish packet records the violation. A
//! fixed version passes the gate and its promotion packet records every proof. A malformed
//! `cases.yaml` is refused at import, and `cavra policy lint` shows the failed invariant on
//! `cases.yaml`.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::cli_common::{assert_exit, read, repo, run_in};
use crate::common::extra::{login, make_ready, with_version, PACK};
use crate::common::{Client, TestServer};

/// The fixture pack's invariants: all hold for the baseline.
const CASES: &str = "\
must_block:
  - {action: read_file, target: \"**/*.pem\", note: private keys stay unreadable}
  - {action: execute_command, requested_operation: \"terraform apply*\"}
must_allow:
  - {action: execute_command, requested_operation: \"pytest*\"}
must_require_approval:
  - {action: write_file, target: \"security/*.md\"}
";

/// The shortest read the baseline without `**/*.pem` allows that `**/*.pem` matches.
const COUNTEREXAMPLE: &str = "/.pem";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_refuses_a_version_that_breaks_an_invariant() {
    for server in crate::common::servers_with_cases(CASES).await {
        violated_then_fixed(&server).await;
    }
}

/// Creates a draft from the enforced version, saves `edit(source)` and publishes it.
async fn publish(author: &Client, edit: impl Fn(&str) -> String) -> (StatusCode, Value) {
    let (status, draft) = author
        .send("POST", &format!("/api/packs/{PACK}/drafts"), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    let source = edit(draft["source"].as_str().unwrap());
    let (status, saved) = author
        .send(
            "PUT",
            &format!("/api/drafts/{id}"),
            Some(json!({"source": source, "revision": draft["revision"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    author
        .send("POST", &format!("/api/drafts/{id}/publish"), None)
        .await
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The packet of `event` for `digest`, downloaded.
async fn packet(author: &Client, event: &str, digest: &str) -> Value {
    let (status, packets) = author
        .send("GET", &format!("/api/packs/{PACK}/evidence"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{packets}");
    let entry = packets
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["event"] == event && p["digest"] == digest)
        .unwrap_or_else(|| panic!("a {event} packet for {digest} in {packets}"))
        .clone();
    let (status, bytes) = author
        .send_raw("GET", &format!("/api/evidence/{}/packet.json", entry["id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_slice(&bytes).unwrap()
}

async fn violated_then_fixed(server: &TestServer) {
    let engine = server.engine;
    let addr = server.addr;
    let author = login(addr, "author").await;

    // The pack lists its invariants (the editor proves them on every keystroke).
    let (status, packs) = author.send("GET", "/api/packs", None).await;
    assert_eq!(status, StatusCode::OK, "{packs}");
    let pack = packs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == PACK)
        .unwrap()
        .clone();
    let invariants = pack["invariants"].as_array().unwrap();
    assert_eq!(invariants.len(), 4, "{engine:?}: {pack}");
    assert_eq!(invariants[0]["kind"], "must_block");
    assert_eq!(invariants[0]["glob"], "**/*.pem");
    assert_eq!(invariants[0]["note"], "private keys stay unreadable");

    // A draft dropping the `.pem` rule publishes: lint has no blocker, only the gate minds.
    let (status, broken) = publish(&author, |source| {
        with_version(source, "0.2.0").replace("    - \"**/*.pem\"\n", "")
    })
    .await;
    assert_eq!(status, StatusCode::CREATED, "{engine:?}: {broken}");
    assert_eq!(broken["lint_blockers"], 0);
    let broken_digest = broken["digest"].as_str().unwrap().to_owned();

    // The gate names the invariant and its counterexample.
    let (status, gate) = author
        .send(
            "GET",
            &format!("/api/packs/{PACK}/gate/{broken_digest}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{gate}");
    assert_eq!(gate["ready"], false);
    let check = gate["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "invariants")
        .unwrap_or_else(|| panic!("an invariants check in {gate}"))
        .clone();
    assert_eq!(check["passed"], false, "{check}");
    let expected = format!(
        "invariant `must_block[0]` (read_file target matching `**/*.pem` is always block) is violated: target `{COUNTEREXAMPLE}` is allow (no rule matched: filesystem.read.allow)"
    );
    assert_eq!(
        strings(&check["missing"]),
        vec![expected.clone()],
        "{check}"
    );

    // Promotion is refused with the same counterexample; so is break-glass, which skips only
    // approvals and shadow.
    let (status, refused) = author
        .send(
            "POST",
            &format!("/api/packs/{PACK}/promote"),
            Some(json!({"digest": broken_digest})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        strings(&refused["missing"]).contains(&format!("invariants: {expected}")),
        "{engine:?}: {refused}"
    );
    let admin = login(addr, "admin").await;
    let (status, refused) = admin
        .send(
            "POST",
            &format!("/api/packs/{PACK}/break-glass"),
            Some(json!({
                "digest": broken_digest,
                "action": "promote",
                "reason": "incident 42: need the new rules now",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let missing = strings(&refused["missing"]);
    // Listed first; approvals and shadow are listed too, though break-glass would skip them.
    assert_eq!(missing[0], format!("invariants: {expected}"), "{refused}");

    // The publish packet recorded the failed proof, next to CAVRA's fields.
    let published = packet(&author, "publish", &broken_digest).await;
    let proofs = &published["invariants"];
    assert_eq!(
        proofs["schema_version"],
        "cavra-lifecycle.invariant-proofs.v1"
    );
    assert_eq!(proofs["holds"], false);
    assert_eq!(proofs["violated_count"], 1);
    assert_eq!(proofs["proved_count"], 3);
    let first = &proofs["proofs"][0];
    assert_eq!(first["invariant"], "must_block[0]");
    assert_eq!(first["status"], "violated");
    assert_eq!(first["counterexample"]["value"], COUNTEREXAMPLE);
    assert_eq!(
        first["counterexample"]["input"]["target"], COUNTEREXAMPLE,
        "{first}"
    );
    assert_eq!(first["counterexample"]["decision"]["decision"], "allow");
    assert_eq!(first["counterexample"]["typical"], "config/server.pem");
    let validated = lifecycle::packet::validate_packet(&published, false);
    assert_eq!(validated.checks.len(), 11, "CAVRA's checks are unchanged");

    // The fixed version (the enforced text, another version number) passes and is promoted;
    // its promotion packet records every proof.
    let (status, fixed) = publish(&author, |source| with_version(source, "0.3.0")).await;
    assert_eq!(status, StatusCode::CREATED, "{fixed}");
    let fixed_digest = fixed["digest"].as_str().unwrap().to_owned();
    make_ready(addr, &server.token, &author, &fixed_digest).await;
    let (status, promoted) = author
        .send(
            "POST",
            &format!("/api/packs/{PACK}/promote"),
            Some(json!({"digest": fixed_digest})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{engine:?}: {promoted}");
    let promotion = packet(&author, "promotion", &fixed_digest).await;
    let proofs = &promotion["invariants"];
    assert_eq!(proofs["holds"], true, "{proofs}");
    assert_eq!(proofs["proved_count"], 4);
    let statuses: Vec<&str> = proofs["proofs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["proved"; 4]);
    let gate = &promotion["decision_record"]["gate"];
    let check = gate["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "invariants")
        .unwrap();
    assert_eq!(check["passed"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_invariant_is_refused_at_import() {
    let source =
        read(repo().join("server/tests/fixtures/policies/cavra-ai-agent-baseline/policy.yaml"));
    for (dir, url) in crate::common::fresh_databases("test.db").await {
        let database = server::db::Database::connect(&url).await.unwrap();
        let service = server::service::Service::new(
            database,
            crate::common::test_config(dir.path().join("data")),
        )
        .unwrap();
        for bad in [
            "must_block:\n  - {action: execute_command, target: \"rm -rf*\"}\n",
            "must_block:\n  - {action: git_operation, target: origin/main}\n",
            "must_allow: {action: read_file, target: x}\n",
            "must_block:\n  - {action: read_file, target: x, because: y}\n",
        ] {
            let error = server::service::authoring::import_pack(&service, &source, Some(bad))
                .await
                .expect_err(bad);
            let text = error.to_string();
            assert!(
                text.contains("cases.yaml has 1 invalid invariant(s): LC034"),
                "{text}"
            );
            assert!(
                matches!(error, app::backend::BackendError::Invalid(_)),
                "{error:?}"
            );
        }
        // A valid one imports, and the pack is enforced.
        let (pack, _) = server::service::authoring::import_pack(&service, &source, Some(CASES))
            .await
            .unwrap();
        assert_eq!(pack, PACK);
    }
}

#[test]
fn policy_lint_proves_the_invariants_of_cases_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("cavra-ai-agent-baseline");
    std::fs::create_dir_all(&pack).unwrap();
    let source = read(repo().join("policies/cavra-ai-agent-baseline/policy.yaml"));
    std::fs::write(
        pack.join("policy.yaml"),
        source.replace("    - \"**/*.pem\"\n", ""),
    )
    .unwrap();
    std::fs::write(pack.join("cases.yaml"), CASES).unwrap();
    let root = dir.path().to_str().unwrap();
    let out = run_in(
        dir.path(),
        &[
            "policy",
            "lint",
            "--policy-root",
            root,
            "--policy-pack",
            "cavra-ai-agent-baseline",
        ],
    );
    assert_exit(&out, 1);
    assert!(
        out.stdout.contains("LC033") && out.stdout.contains(&format!(
            "invariant-violated: invariant must_block[0] fails: read_file target `{COUNTEREXAMPLE}` matches `**/*.pem` but gets allow by default (filesystem.read.allow: no rule matches it); also e.g. `config/server.pem` (see policy.yaml line 7)"
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("cases.yaml:2:"), "{}", out.stdout);
    assert!(
        out.stdout.contains("(invariants: 3 of 4 proved)"),
        "{}",
        out.stdout
    );
    // JSON carries the proofs; SARIF names cases.yaml as the artifact.
    let json = run_in(
        dir.path(),
        &[
            "policy",
            "lint",
            "--policy-root",
            root,
            "--policy-pack",
            "cavra-ai-agent-baseline",
            "--format",
            "json",
        ],
    );
    assert_exit(&json, 1);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    let cases = &report["files"][0]["cases"];
    assert_eq!(cases["invariants"]["violated_count"], 1, "{cases}");
    assert_eq!(cases["diagnostics"][0]["code"], "LC033");
    assert_eq!(report["blocker_count"], 1);
    let sarif = run_in(
        dir.path(),
        &[
            "policy",
            "lint",
            "--policy-root",
            root,
            "--policy-pack",
            "cavra-ai-agent-baseline",
            "--format",
            "sarif",
        ],
    );
    assert_exit(&sarif, 1);
    let log = crate::cli_formats::check_sarif(&sarif.stdout);
    let result = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "LC033")
        .unwrap()
        .clone();
    let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("cavra-ai-agent-baseline/cases.yaml"), "{uri}");
    // The original pack satisfies them: exit 0.
    std::fs::write(pack.join("policy.yaml"), &source).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "policy",
            "lint",
            "--policy-root",
            root,
            "--policy-pack",
            "cavra-ai-agent-baseline",
        ],
    );
    assert_exit(&out, 0);
    assert!(
        out.stdout.contains("(invariants: 4 of 4 proved)"),
        "{}",
        out.stdout
    );
}

/// An invariant the fixture pack as imported breaks (it does not block `.key` files).
const BROKEN_BY_IMPORT: &str = "\
must_block:
  - {action: read_file, target: \"**/*.key\"}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_to_a_version_that_breaks_an_invariant_is_refused() {
    for server in crate::common::servers_with_cases(BROKEN_BY_IMPORT).await {
        let engine = server.engine;
        let addr = server.addr;
        let author = login(addr, "author").await;
        let (_, packs) = author.send("GET", "/api/packs", None).await;
        let imported = packs
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == PACK)
            .unwrap()["enforced_digest"]
            .as_str()
            .unwrap()
            .to_owned();
        // The imported version breaks the invariant; a version blocking `.key` files keeps it
        // and is promoted through the gate.
        let (status, fixed) = publish(&author, |source| {
            with_version(source, "0.4.0").replace(
                "    - \"**/*.pem\"\n",
                "    - \"**/*.pem\"\n    - \"**/*.key\"\n",
            )
        })
        .await;
        assert_eq!(status, StatusCode::CREATED, "{fixed}");
        let fixed_digest = fixed["digest"].as_str().unwrap().to_owned();
        make_ready(addr, &server.token, &author, &fixed_digest).await;
        let (status, promoted) = author
            .send(
                "POST",
                &format!("/api/packs/{PACK}/promote"),
                Some(json!({"digest": fixed_digest})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{engine:?}: {promoted}");
        // Rolling back to the imported version is refused, with or without break-glass.
        let expected = "invariants: invariant `must_block[0]` (read_file target matching `**/*.key` is always block) is violated: target `/.key` is allow (no rule matched: filesystem.read.allow)";
        let (status, refused) = author
            .send(
                "POST",
                &format!("/api/packs/{PACK}/rollback"),
                Some(json!({"digest": imported, "reason": "back to the imported rules"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert!(
            strings(&refused["missing"]).contains(&expected.to_owned()),
            "{engine:?}: {refused}"
        );
        let admin = login(addr, "admin").await;
        let (status, refused) = admin
            .send(
                "POST",
                &format!("/api/packs/{PACK}/break-glass"),
                Some(json!({"digest": imported, "action": "rollback", "reason": "incident 43: roll back now"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert_eq!(
            strings(&refused["missing"]),
            vec![expected.to_owned()],
            "{refused}"
        );
    }
}
