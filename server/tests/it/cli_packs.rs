//! The packs under `policies/`: the six reference packs are CAVRA's bytes (so their digests are
//! CAVRA's), every pack has a `cases.yaml` whose required decisions pass, and none has a lint
//! blocker.

use crate::cli_common::{assert_exit, read, reference, repo, run};

const REFERENCE_PACKS: [&str; 6] = [
    "cavra-agentic-delivery",
    "cavra-ai-agent-baseline",
    "cavra-banking-baseline",
    "cavra-github-enterprise",
    "cavra-mcp-enterprise",
    "cavra-terraform-prod",
];

#[test]
fn reference_packs_are_verbatim_and_keep_their_digests() {
    for pack in REFERENCE_PACKS {
        assert_eq!(
            read(repo().join("policies").join(pack).join("policy.yaml")),
            read(reference(&format!("policies/{pack}/policy.yaml"))),
            "{pack} must stay a verbatim copy of CAVRA's pack"
        );
    }
    // Digests CAVRA recorded in its version manifests.
    for (pack, manifest) in [
        (
            "cavra-ai-agent-baseline",
            "policy-lifecycle/policy-version-manifest.json",
        ),
        (
            "cavra-agentic-delivery",
            "policy-lifecycle-agentic-delivery/policy-version-manifest.json",
        ),
    ] {
        let manifest: serde_json::Value = serde_json::from_str(&read(reference(manifest))).unwrap();
        let out = run(&["policy", "digest", "--policy-pack", pack]);
        assert_exit(&out, 0);
        assert_eq!(
            out.stdout,
            format!("{}  {pack}\n", manifest["policy_digest"].as_str().unwrap())
        );
    }
}

#[test]
fn every_pack_has_passing_required_decisions() {
    let mut packs: Vec<String> = std::fs::read_dir(repo().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    packs.sort();
    assert!(packs.len() >= 7, "{packs:?}");
    for pack in &packs {
        assert!(
            repo()
                .join("policies")
                .join(pack)
                .join("cases.yaml")
                .is_file(),
            "{pack} has no cases.yaml"
        );
    }
    let out = run(&["policy", "dry-run", "--format", "json"]);
    assert_exit(&out, 0);
    let results: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let reports = results["reports"].as_array().unwrap();
    assert_eq!(reports.len(), packs.len());
    for entry in reports {
        let report = &entry["report"];
        assert_eq!(report["passed"], true, "{}", entry["policy_pack"]);
        assert_eq!(report["required_cases_present"], true);
        assert!(
            report["case_count"].as_u64().unwrap() > 6,
            "{}",
            entry["policy_pack"]
        );
        assert!(entry["cases"].as_str().unwrap().ends_with("/cases.yaml"));
    }
}

#[test]
fn no_pack_has_a_lint_blocker_and_the_starter_is_clean() {
    let out = run(&["policy", "lint", "--format", "json"]);
    assert_exit(&out, 0);
    let result: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(result["blocker_count"], 0);
    let starter = result["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy_pack"] == "cavra-starter")
        .unwrap();
    assert_eq!(starter["diagnostics"], serde_json::json!([]));
    assert_eq!(starter["cavra_report"]["valid"], true);
}

#[test]
fn github_enterprise_fails_cavras_default_cases_as_cavra_recorded() {
    let out = run(&[
        "policy",
        "validate-lifecycle",
        "--dry-run",
        "--policy-pack",
        "cavra-github-enterprise",
    ]);
    assert_exit(&out, 1);
    assert_eq!(
        out.stdout,
        read(reference("policy-lifecycle-github-enterprise-dry-run.json"))
    );
    let out = run(&[
        "policy",
        "dry-run",
        "--policy-pack",
        "cavra-github-enterprise",
        "--default-cases",
    ]);
    assert_exit(&out, 1);
}
