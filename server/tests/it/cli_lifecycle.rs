//! `lifecycle-plan`, `lifecycle-readiness` and `validate-lifecycle` reproduce CAVRA's files and
//! script outputs byte for byte (clock fields pinned with `CAVRA_FIXED_TIME`), and gate with the
//! documented exit codes.

use crate::cli_common::{
    assert_exit, cavra_in, golden_time, policy_root, read, reference, repo, run, run_command,
    run_in, REFERENCE_TIME,
};

const PLAN_FILES: [&str; 8] = [
    "policy-lifecycle-plan.json",
    "policy-authoring-ui-contract.json",
    "policy-lint-report.json",
    "policy-version-manifest.json",
    "policy-shadow-mode-plan.json",
    "policy-dry-run-report.json",
    "policy-rollback-plan.json",
    "policy-approval-workflow.json",
];

/// (pack, previous pack, golden directory, export map, output dir)
const PLAN_CASES: [(&str, Option<&str>, &str, &str, &str); 3] = [
    (
        "cavra-ai-agent-baseline",
        None,
        "policy-lifecycle",
        "policy-lifecycle-export.json",
        "dist/policy-lifecycle",
    ),
    (
        "cavra-agentic-delivery",
        None,
        "policy-lifecycle-agentic-delivery",
        "policy-lifecycle-agentic-delivery-export.json",
        "dist/policy-lifecycle-agentic-delivery",
    ),
    (
        "cavra-ai-agent-baseline",
        Some("cavra-terraform-prod"),
        "policy-lifecycle-baseline-prev-terraform",
        "policy-lifecycle-baseline-prev-terraform-export.json",
        "dist/policy-lifecycle-baseline-prev-terraform",
    ),
];

#[test]
fn lifecycle_plan_writes_cavras_files_byte_for_byte() {
    for (pack, previous, golden, export_map, output_dir) in PLAN_CASES {
        let dir = tempfile::tempdir().unwrap();
        let time = golden_time(&reference(&format!("{golden}/policy-lifecycle-plan.json")));
        let root = policy_root();
        let mut args = vec![
            "policy",
            "lifecycle-plan",
            "--policy-pack",
            pack,
            "--output-dir",
            output_dir,
            "--policy-root",
            &root,
        ];
        if let Some(previous) = previous {
            args.extend(["--previous-policy-pack", previous]);
        }
        let out = run_command(
            cavra_in(dir.path())
                .env("CAVRA_FIXED_TIME", &time)
                .args(&args),
        );
        assert_exit(&out, 0);
        assert_eq!(
            out.stdout,
            read(reference(export_map)),
            "{pack}: export map"
        );
        for file in PLAN_FILES {
            assert_eq!(
                read(dir.path().join(output_dir).join(file)),
                read(reference(&format!("{golden}/{file}"))),
                "{pack}: {file}"
            );
        }
    }
}

#[test]
fn the_seed_command_works_verbatim_from_the_repository_root_layout() {
    // `cavra policy lifecycle-plan --policy-pack cavra-ai-agent-baseline --output-dir dist/policy-lifecycle`
    // in a copy of the clone's layout (policies/ beside the working directory), real clock.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(repo().join("policies"), dir.path().join("policies")).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "policy",
            "lifecycle-plan",
            "--policy-pack",
            "cavra-ai-agent-baseline",
            "--output-dir",
            "dist/policy-lifecycle",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(out.stdout, read(reference("policy-lifecycle-export.json")));
    let plan: serde_json::Value = serde_json::from_str(&read(
        dir.path()
            .join("dist/policy-lifecycle/policy-lifecycle-plan.json"),
    ))
    .unwrap();
    let manifest = plan["version_manifest"]["generated_at"].as_str().unwrap();
    let generated = plan["generated_at"].as_str().unwrap();
    let publish = plan["approval_workflow"]["publish_plan"]["generated_at"]
        .as_str()
        .unwrap();
    // Python isoformat, read in CAVRA's order.
    for stamp in [manifest, generated, publish] {
        assert!(stamp.ends_with("+00:00") && stamp.len() >= 25, "{stamp}");
    }
    assert!(
        manifest < generated && generated < publish,
        "{manifest} {generated} {publish}"
    );
}

#[test]
fn lifecycle_plan_fails_the_gate_on_a_failed_dry_run_but_writes_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = policy_root();
    let out = run_in(
        dir.path(),
        &[
            "policy",
            "lifecycle-plan",
            "--policy-pack",
            "cavra-github-enterprise",
            "--policy-root",
            &root,
            "--output-dir",
            "out",
        ],
    );
    assert_exit(&out, 1);
    assert!(out.stdout.contains("cavra.policy-lifecycle.export.v1"));
    assert!(dir.path().join("out/policy-dry-run-report.json").is_file());
    assert_eq!(
        out.stderr,
        "gate failed: dry run failed 3 of 6 case(s): approval_policy_write expected require_approval, got allow; \
allow_terraform_plan expected allow, got require_approval; block_terraform_apply expected block, got require_approval\n"
    );
    // The pack's own required decisions pass.
    let out = run(&[
        "policy",
        "dry-run",
        "--policy-pack",
        "cavra-github-enterprise",
    ]);
    assert_exit(&out, 0);
}

#[test]
fn lifecycle_plan_writes_sample_and_live_packets() {
    let dir = tempfile::tempdir().unwrap();
    let root = policy_root();
    let base = [
        "policy",
        "lifecycle-plan",
        "--policy-root",
        &root,
        "--output-dir",
        "dist/policy-lifecycle",
    ];
    let out = run_command(
        cavra_in(dir.path())
            .env("CAVRA_FIXED_TIME", REFERENCE_TIME)
            .args(base)
            .args(["--packet-out", "dist/sample.json"]),
    );
    assert_exit(&out, 0);
    assert_eq!(
        read(dir.path().join("dist/sample.json")),
        read(reference(
            "examples/enterprise-policy-lifecycle.sample.json"
        ))
    );
    let out = run_command(
        cavra_in(dir.path())
            .env("CAVRA_FIXED_TIME", REFERENCE_TIME)
            .args(base)
            .args([
                "--packet-out",
                "dist/live.json",
                "--evidence-mode",
                "live",
                "--ci-run-ref",
                "github://Huzefaaa2/cavra/actions/runs/sanitized-policy-lifecycle",
                "--policy-review-ref",
                "github://Huzefaaa2/cavra/pull/sanitized-policy-review",
                "--ui-validation-ref",
                "evidence://enterprise/policy-lifecycle/ui-validation/sanitized",
            ]),
    );
    assert_exit(&out, 0);
    assert_eq!(
        read(dir.path().join("dist/live.json")),
        read(reference(
            "examples/enterprise-policy-lifecycle.live.sanitized.example.json"
        ))
    );
    // Our packet passes our validator, live.
    let out = run_in(
        dir.path(),
        &[
            "policy",
            "lifecycle-readiness",
            "dist/live.json",
            "--require-live",
            "--policy-pack",
            "cavra-ai-agent-baseline",
            "--policy-root",
            &root,
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(
        out.stdout,
        "{\"ready_for_live_policy_lifecycle\": true, \"blocker_count\": 0}\n"
    );
}

#[test]
fn live_evidence_mode_requires_every_reference() {
    let dir = tempfile::tempdir().unwrap();
    let root = policy_root();
    let out = run_in(
        dir.path(),
        &[
            "policy",
            "lifecycle-plan",
            "--policy-root",
            &root,
            "--packet-out",
            "p.json",
            "--evidence-mode",
            "live",
            "--ci-run-ref",
            "github://x/y/actions/runs/1",
            "--policy-review-ref",
            " ",
        ],
    );
    assert_exit(&out, 2);
    assert_eq!(
        out.stderr,
        "error: `--evidence-mode live` needs a non-empty `--policy-review-ref` (the live packet must point at real evidence)\n"
    );
    assert!(!dir.path().join("p.json").exists());
    assert!(!dir.path().join("dist").exists(), "nothing is written");
}

#[test]
fn readiness_of_the_example_packets() {
    let live = "examples/policy-lifecycle/enterprise-policy-lifecycle.live.sanitized.example.json";
    let sample = "examples/policy-lifecycle/enterprise-policy-lifecycle.sample.json";
    let out = run(&["policy", "lifecycle-readiness", live, "--require-live"]);
    assert_exit(&out, 0);
    assert_eq!(
        out.stdout,
        "{\"ready_for_live_policy_lifecycle\": true, \"blocker_count\": 0}\n"
    );
    let out = run(&["policy", "lifecycle-readiness", sample, "--require-live"]);
    assert_exit(&out, 1);
    assert_eq!(
        out.stdout,
        "{\"ready_for_live_policy_lifecycle\": false, \"blocker_count\": 1}\n\
         blocker: evidence_mode: Live policy lifecycle evidence is required for this gate.\n"
    );
    let out = run(&["policy", "lifecycle-readiness", sample]);
    assert_exit(&out, 0);
    let out = run(&[
        "policy",
        "lifecycle-readiness",
        sample,
        "--require-live",
        "--format",
        "json",
    ]);
    assert_exit(&out, 1);
    assert_eq!(
        out.stdout,
        read(reference(
            "enterprise-policy-lifecycle-sample-require-live.json"
        ))
    );
}

#[test]
fn validate_lifecycle_matches_the_script_in_every_mode() {
    let live = "examples/policy-lifecycle/enterprise-policy-lifecycle.live.sanitized.example.json";
    let sample = "examples/policy-lifecycle/enterprise-policy-lifecycle.sample.json";
    let cases: [(&[&str], i32, &str); 5] = [
        (&["--lint"], 0, "policy-lifecycle-lint.json"),
        (&["--dry-run"], 0, "policy-lifecycle-dry-run.json"),
        (
            &["--dry-run", "--policy-pack", "cavra-github-enterprise"],
            1,
            "policy-lifecycle-github-enterprise-dry-run.json",
        ),
        (
            &["--packet", sample],
            0,
            "enterprise-policy-lifecycle-sample.json",
        ),
        (
            &["--packet", live, "--require-live"],
            0,
            "enterprise-policy-lifecycle-live-sanitized.json",
        ),
    ];
    for (flags, code, golden) in cases {
        let mut args = vec!["policy", "validate-lifecycle"];
        args.extend_from_slice(flags);
        let out = run(&args);
        assert_exit(&out, code);
        assert_eq!(out.stdout, read(reference(golden)), "{flags:?}");
    }
    let out = run(&[
        "policy",
        "validate-lifecycle",
        "--packet",
        sample,
        "--require-live",
    ]);
    assert_exit(&out, 1);
    assert_eq!(
        out.stdout,
        read(reference(
            "enterprise-policy-lifecycle-sample-require-live.json"
        ))
    );
}

#[test]
fn validate_lifecycle_export_and_plan_modes() {
    let dir = tempfile::tempdir().unwrap();
    let root = policy_root();
    let time = golden_time(&reference("policy-lifecycle/policy-lifecycle-plan.json"));
    // The CI step: --export-dir with --output.
    let out = run_command(cavra_in(dir.path()).env("CAVRA_FIXED_TIME", &time).args([
        "policy",
        "validate-lifecycle",
        "--policy-root",
        &root,
        "--policy-pack",
        "cavra-ai-agent-baseline",
        "--export-dir",
        "dist/policy-lifecycle",
        "--output",
        "dist/policy-lifecycle-export.json",
    ]));
    assert_exit(&out, 0);
    assert_eq!(
        out.stdout,
        "Policy lifecycle validation written: dist/policy-lifecycle-export.json\n"
    );
    assert_eq!(
        read(dir.path().join("dist/policy-lifecycle-export.json")),
        read(reference("policy-lifecycle-export.json"))
    );
    for file in PLAN_FILES {
        assert_eq!(
            read(dir.path().join("dist/policy-lifecycle").join(file)),
            read(reference(&format!("policy-lifecycle/{file}"))),
            "{file}"
        );
    }
    // No mode: the whole plan.
    let out = run_command(cavra_in(dir.path()).env("CAVRA_FIXED_TIME", &time).args([
        "policy",
        "validate-lifecycle",
        "--policy-root",
        &root,
    ]));
    assert_exit(&out, 0);
    assert_eq!(
        out.stdout,
        read(reference("policy-lifecycle/policy-lifecycle-plan.json"))
    );
    // --policy-file: raw YAML, the default pack label.
    let file = repo().join("policies/cavra-ai-agent-baseline/policy.yaml");
    let out = run_command(cavra_in(dir.path()).env("CAVRA_FIXED_TIME", &time).args([
        "policy",
        "validate-lifecycle",
        "--policy-file",
        &file.to_string_lossy(),
    ]));
    assert_exit(&out, 0);
    assert_eq!(
        out.stdout,
        read(reference("policy-lifecycle/policy-lifecycle-plan.json"))
    );
    // --previous-policy-pack and --sample-actions are honoured.
    let out = run_command(
        cavra_in(dir.path()).env("CAVRA_FIXED_TIME", &time).args([
            "policy",
            "validate-lifecycle",
            "--policy-root",
            &root,
            "--previous-policy-pack",
            "cavra-terraform-prod",
            "--sample-actions",
            &repo()
                .join("examples/policy-lifecycle/sample-actions.json")
                .to_string_lossy(),
        ]),
    );
    assert_exit(&out, 0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        plan["rollback_plan"]["rollback_ref"],
        "policy-rollback://cavra-terraform-prod/5b6239c70ac5"
    );
    assert_eq!(plan["approval_workflow"]["publish_plan"]["risk"], "medium");
}
