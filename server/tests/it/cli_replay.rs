//! `cavra policy replay` over a small generated decision log: flips by kind and rule, rate
//! changes, examples, trusted versus re-evaluated baseline decisions, and both formats.

use crate::cli_common::{assert_exit, read, repo, run};

const BASELINE: &str = "cavra-ai-agent-baseline";

fn line(digest: &str, input: serde_json::Value, decision: &str, rule: &str) -> String {
    serde_json::json!({
        "id": 1, "pack": BASELINE, "policy_digest": digest, "input": input,
        "decision": decision, "rule_id": rule, "severity": "low",
        "at": "2026-11-26T00:00:00Z",
    })
    .to_string()
}

/// A candidate file (the baseline without `pytest*`) and a 300-line log; returns their paths.
fn fixture(dir: &std::path::Path) -> (String, String) {
    let source = read(repo().join("policies").join(BASELINE).join("policy.yaml"));
    let candidate = dir.join("candidate.yaml");
    std::fs::write(&candidate, source.replace("    - \"pytest*\"\n", "")).unwrap();
    let value = lifecycle::model::parse_value(&source).unwrap();
    let digest = lifecycle::digest::policy_digest(&value);
    let mut log = String::new();
    for i in 0..100 {
        let pytest = serde_json::json!({"action_type": "execute_command", "target": format!("pytest -k t{i}")});
        let read =
            serde_json::json!({"action_type": "read_file", "target": format!("src/m{i}.rs")});
        let env = serde_json::json!({"action_type": "read_file", "target": ".env"});
        // Half the lines come from an older version: the baseline is re-evaluated for them.
        let d = if i % 2 == 0 {
            digest.as_str()
        } else {
            "sha256:older"
        };
        log.push_str(&line(d, pytest, "allow", "commands.allow"));
        log.push('\n');
        log.push_str(&line(d, read, "allow", "filesystem.read.allow"));
        log.push('\n');
        log.push_str(&line(d, env, "block", "filesystem.read.block"));
        log.push('\n');
    }
    let path = dir.join("decisions.jsonl");
    std::fs::write(&path, log).unwrap();
    (
        candidate.to_string_lossy().into_owned(),
        path.to_string_lossy().into_owned(),
    )
}

#[test]
fn replay_reports_flips_rates_and_examples() {
    let dir = tempfile::tempdir().unwrap();
    let (candidate, log) = fixture(dir.path());
    let out = run(&[
        "policy",
        "replay",
        "--log",
        &log,
        "--candidate",
        &candidate,
        "--baseline",
        BASELINE,
        "--format",
        "json",
        "--threads",
        "2",
    ]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let report = &json["report"];
    assert_eq!(report["decisions"], 300);
    assert_eq!(report["trusted_baseline"], 150);
    assert_eq!(report["invalid_lines"], 0);
    assert_eq!(report["flips"], 100);
    assert_eq!(report["by_kind"]["allow_to_require_approval"], 100);
    assert_eq!(report["baseline"]["allow"], 200);
    assert_eq!(report["candidate"]["require_approval"], 100);
    let group = &report["groups"][0];
    assert_eq!(group["from_rule"], "commands.allow");
    assert_eq!(group["to_rule"], "commands.default.require_approval");
    assert_eq!(group["count"], 100);
    assert_eq!(group["examples"].as_array().unwrap().len(), 3);
    assert_eq!(group["examples"][0]["line"], 1);
    assert_eq!(group["examples"][0]["input"]["target"], "pytest -k t0");
    let change = json["rates"]["change"]["require_approval"]
        .as_f64()
        .unwrap();
    assert!((change - 1.0 / 3.0).abs() < 1e-9);

    let text = run(&[
        "policy",
        "replay",
        "--log",
        &log,
        "--candidate",
        &candidate,
        "--baseline",
        BASELINE,
        "--fail-on-flip",
    ]);
    assert_exit(&text, 1);
    assert!(text.stdout.contains("100 flips"), "{}", text.stdout);
    assert!(
        text.stdout.contains(
            "allow_to_require_approval  commands.allow -> commands.default.require_approval"
        ),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("+33.33 pp"), "{}", text.stdout);
}

#[test]
fn replay_without_baseline_trusts_the_log_and_counts_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (_, log) = fixture(dir.path());
    let mut text = read(&log);
    text.push_str("not json\n{\"no_input\":1}\n");
    std::fs::write(&log, text).unwrap();
    let out = run(&[
        "policy",
        "replay",
        "--log",
        &log,
        "--candidate",
        BASELINE,
        "--format",
        "json",
    ]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["report"]["decisions"], 300);
    assert_eq!(json["report"]["trusted_baseline"], 300);
    assert_eq!(json["report"]["invalid_lines"], 2);
    assert_eq!(
        json["report"]["invalid_examples"],
        serde_json::json!([301, 302])
    );
    assert_eq!(json["report"]["flips"], 0);
}

#[test]
fn replay_refuses_a_missing_log() {
    let out = run(&[
        "policy",
        "replay",
        "--log",
        "/nonexistent/decisions.jsonl",
        "--candidate",
        BASELINE,
    ]);
    assert_exit(&out, 2);
    assert!(out.stderr.contains("decision log"), "{}", out.stderr);
}

#[test]
fn replay_reads_stored_versions_by_digest_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let (candidate, log) = fixture(dir.path());
    let url = format!("sqlite://{}", dir.path().join("cavra.db").display());
    // A server database holding the reference packs as stored versions.
    let digest = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let database = server::db::Database::connect(&url).await.unwrap();
            let service = server::service::Service::new(
                database,
                server::config::ServiceConfig::new(dir.path().join("data")),
            )
            .unwrap();
            let imported = server::demo::import_policies(&service, &repo().join("policies"))
                .await
                .unwrap();
            imported
                .into_iter()
                .find(|(pack, _)| pack == BASELINE)
                .map(|(_, digest)| digest)
                .unwrap()
        });
    let by_digest = run(&[
        "policy",
        "replay",
        "--log",
        &log,
        "--candidate",
        &candidate,
        "--baseline",
        &digest,
        "--database-url",
        &url,
        "--format",
        "json",
    ]);
    assert_exit(&by_digest, 0);
    let json: serde_json::Value = serde_json::from_str(&by_digest.stdout).unwrap();
    assert_eq!(json["baseline"]["policy_digest"], digest.as_str());
    // The same decisions as with the pack from the policy root.
    assert_eq!(json["report"]["trusted_baseline"], 150);
    assert_eq!(json["report"]["flips"], 100);

    let missing = format!("sha256:{}", "0".repeat(64));
    let out = run(&[
        "policy",
        "replay",
        "--log",
        &log,
        "--candidate",
        &missing,
        "--database-url",
        &url,
    ]);
    assert_exit(&out, 2);
    assert!(out.stderr.contains("no stored version"), "{}", out.stderr);
}
