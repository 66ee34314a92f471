//! The example packets and generated plan files under `examples/policy-lifecycle/` are what the
//! CLI produces today: `regenerate.sh` is run against the built binary in a scratch directory and
//! every file must equal the committed one.

use std::process::Command;

use crate::cli_common::{assert_exit, read, reference, repo, run};

const REGENERATE: &str = "sh examples/policy-lifecycle/regenerate.sh";

#[test]
fn committed_examples_are_what_the_cli_produces() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(repo().join("policies"), dir.path().join("policies")).unwrap();
    let mut command = Command::new("sh");
    command
        .arg(repo().join("examples/policy-lifecycle/regenerate.sh"))
        .current_dir(dir.path())
        .env("CAVRA", env!("CARGO_BIN_EXE_cavra"))
        .env("RUST_LOG", "off");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CAVRA_") {
            command.env_remove(&key);
        }
    }
    let status = command.status().expect("running regenerate.sh");
    assert!(status.success(), "regenerate.sh failed");
    let generated = dir.path().join("examples/policy-lifecycle");
    let mut stale = Vec::new();
    let mut compared = 0;
    for sub in ["", "generated"] {
        for entry in std::fs::read_dir(generated.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                continue;
            }
            let name = path.strip_prefix(&generated).unwrap();
            let committed = repo().join("examples/policy-lifecycle").join(name);
            compared += 1;
            if !committed.is_file() || read(&committed) != read(&path) {
                stale.push(name.display().to_string());
            }
        }
    }
    assert_eq!(compared, 11, "two packets and nine generated files");
    assert!(
        stale.is_empty(),
        "stale examples: {stale:?}; regenerate them from the repository root with `{REGENERATE}` \
         (or `make examples`) and commit the result"
    );
}

#[test]
fn examples_equal_cavras_own_examples() {
    // Same inputs and timestamps as the reference run, so the bytes are CAVRA's.
    for name in [
        "enterprise-policy-lifecycle.sample.json",
        "enterprise-policy-lifecycle.live.sanitized.example.json",
        "generated/policy-lifecycle-plan.json",
        "generated/policy-lifecycle-export.json",
    ] {
        assert_eq!(
            read(repo().join("examples/policy-lifecycle").join(name)),
            read(reference(&format!("examples/{name}"))),
            "{name}"
        );
    }
}

#[test]
fn the_live_example_is_ready_and_the_sample_is_not() {
    let out = run(&[
        "policy",
        "lifecycle-readiness",
        "examples/policy-lifecycle/enterprise-policy-lifecycle.live.sanitized.example.json",
        "--require-live",
    ]);
    assert_exit(&out, 0);
    assert_eq!(
        out.stdout.lines().next(),
        Some(r#"{"ready_for_live_policy_lifecycle": true, "blocker_count": 0}"#)
    );
    let out = run(&[
        "policy",
        "lifecycle-readiness",
        "examples/policy-lifecycle/enterprise-policy-lifecycle.sample.json",
        "--require-live",
    ]);
    assert_exit(&out, 1);
    assert!(out.stdout.contains(
        "blocker: evidence_mode: Live policy lifecycle evidence is required for this gate."
    ));
}
