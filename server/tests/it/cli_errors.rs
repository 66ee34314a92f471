//! Corrupt or hostile input never panics: it gives one line on stderr (`error: …`) and exit 2.

use std::path::Path;

use crate::cli_common::{cavra_in, policy_root, read, repo, run, run_command, run_in, Run};

const SAMPLE: &str = "examples/policy-lifecycle/enterprise-policy-lifecycle.sample.json";

#[track_caller]
fn assert_input_error(out: &Run, expected: &str) {
    assert_eq!(out.code, 2, "{}", out.transcript());
    assert!(
        out.stderr.starts_with("error: ") && out.stderr.ends_with('\n'),
        "{}",
        out.transcript()
    );
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stderr.contains(expected),
        "stderr {:?} should contain {expected:?}",
        out.stderr
    );
}

fn write(dir: &Path, name: &str, contents: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn corrupt_packets() {
    let dir = tempfile::tempdir().unwrap();
    let sample = read(repo().join(SAMPLE));
    let truncated = write(
        dir.path(),
        "truncated.json",
        &sample.as_bytes()[..sample.len() / 2],
    );
    let binary = write(dir.path(), "binary.json", &[0xff, 0xfe, 0x00, 0x41]);
    let empty = write(dir.path(), "empty.json", b"");
    let cases = [
        (truncated.as_str(), "is not valid JSON: EOF while parsing"),
        (binary.as_str(), "is not valid UTF-8 text"),
        (empty.as_str(), "is not valid JSON"),
        (
            "does/not/exist.json",
            "reading packet `does/not/exist.json`",
        ),
    ];
    // Only unreadable files and text that is not JSON are input errors; any JSON value gets the
    // readiness result (`cli_readiness_compat.rs`).
    for (packet, expected) in cases {
        assert_input_error(&run(&["policy", "lifecycle-readiness", packet]), expected);
        assert_input_error(
            &run(&[
                "policy",
                "validate-lifecycle",
                "--packet",
                packet,
                "--require-live",
            ]),
            expected,
        );
    }
}

#[test]
fn unknown_and_path_like_pack_names() {
    for command in [
        &["policy", "lifecycle-plan", "--policy-pack"][..],
        &["policy", "validate-lifecycle", "--lint", "--policy-pack"],
        &["policy", "lint", "--policy-pack"],
        &["policy", "digest", "--policy-pack"],
        &["policy", "dry-run", "--policy-pack"],
        &[
            "policy",
            "simulate",
            "--action",
            "read_file",
            "--policy-pack",
        ],
        &["policy", "diff", "--to", "cavra-starter", "--from"],
    ] {
        let mut args = command.to_vec();
        args.push("cavra-no-such-pack");
        assert_input_error(&run(&args), "unknown policy pack `cavra-no-such-pack`: there is no `policies/cavra-no-such-pack/policy.yaml`");
        for hostile in [
            "../policies/cavra-starter",
            "..",
            "a/b",
            "/etc/passwd",
            ".hidden",
        ] {
            let mut args = command.to_vec();
            args.push(hostile);
            assert_input_error(
                &run(&args),
                &format!("`{hostile}` is not a policy pack name"),
            );
        }
    }
    assert_input_error(
        &run(&["policy", "lifecycle-plan", "--previous-policy-pack", "../x"]),
        "`../x` is not a policy pack name",
    );
}

#[test]
fn output_paths_with_dot_dot_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = policy_root();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    for args in [
        &["policy", "lifecycle-plan", "--output-dir", "../escape"][..],
        &[
            "policy",
            "lifecycle-plan",
            "--packet-out",
            "dist/../../escape.json",
        ],
        &[
            "policy",
            "validate-lifecycle",
            "--lint",
            "--output",
            "../escape.json",
        ],
        &["policy", "validate-lifecycle", "--export-dir", "../escape"],
        &["policy", "schema", "--out-dir", "../escape"],
    ] {
        let out = run_command(
            cavra_in(&work)
                .args(args)
                .args(["--policy-root", &root])
                .env("CAVRA_POLICY_ROOT", &root),
        );
        // `schema` has no --policy-root; fall back to the env for it.
        let out = if out.stderr.contains("unexpected argument") {
            run_command(cavra_in(&work).args(args))
        } else {
            out
        };
        assert_input_error(&out, "must not contain `..`");
    }
    assert!(!dir.path().join("escape").exists());
    assert!(!dir.path().join("escape.json").exists());
}

#[test]
fn broken_packs_and_cases() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("policies");
    write(
        &root,
        "cavra-bad-yaml/policy.yaml",
        b"metadata:\n  id: [unclosed\n",
    );
    write(
        &root,
        "cavra-a/policy.yaml",
        b"metadata:\n  id: cavra-a\n  inherits: cavra-b\n",
    );
    write(
        &root,
        "cavra-b/policy.yaml",
        b"metadata:\n  id: cavra-b\n  inherits: cavra-a\n",
    );
    write(
        &root,
        "cavra-orphan/policy.yaml",
        b"metadata:\n  id: cavra-orphan\n  inherits: cavra-gone\n",
    );
    write(&root, "cavra-list/policy.yaml", b"- just\n- a list\n");
    write(
        &root,
        "cavra-ok/policy.yaml",
        b"metadata:\n  id: cavra-ok\n  title: OK\n  description: ok\n  version: '1'\n",
    );
    write(
        &root,
        "cavra-ok/cases.yaml",
        b"cases:\n  - case_id: x\n    input: not-a-mapping\n",
    );
    let bad_json = write(dir.path(), "actions.json", b"{\"actions\": 3}");
    let root = root.to_string_lossy().into_owned();
    let plan = |pack: &str| {
        run_in(
            dir.path(),
            &[
                "policy",
                "lifecycle-plan",
                "--policy-root",
                &root,
                "--policy-pack",
                pack,
            ],
        )
    };
    assert_input_error(
        &plan("cavra-bad-yaml"),
        "policy pack `cavra-bad-yaml` does not parse",
    );
    assert_input_error(
        &plan("cavra-a"),
        "policy packs inherit in a cycle: cavra-a -> cavra-b -> cavra-a",
    );
    assert_input_error(
        &plan("cavra-orphan"),
        "inherits `cavra-gone`, which is not under",
    );
    assert_input_error(
        &plan("cavra-list"),
        "policy pack `cavra-list` is invalid: it must be a YAML mapping",
    );
    assert!(
        !dir.path().join("dist").exists(),
        "nothing written for unloadable packs"
    );
    // Lint reports the broken YAML as a finding (exit 1), not an input error.
    let out = run_in(
        dir.path(),
        &[
            "policy",
            "lint",
            "--policy-root",
            &root,
            "--policy-pack",
            "cavra-bad-yaml",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.transcript());
    assert!(out.stdout.contains("blocker[LC001]"), "{}", out.stdout);
    assert_input_error(
        &run_in(
            dir.path(),
            &[
                "policy",
                "dry-run",
                "--policy-root",
                &root,
                "--policy-pack",
                "cavra-ok",
            ],
        ),
        "cases file `",
    );
    assert_input_error(
        &run_in(
            dir.path(),
            &[
                "policy",
                "dry-run",
                "--policy-root",
                &root,
                "--policy-pack",
                "cavra-ok",
                "--cases",
                &bad_json,
            ],
        ),
        "sample actions must be a list or an object with an `actions` list",
    );
    assert_input_error(
        &run_in(
            dir.path(),
            &[
                "policy",
                "lint",
                "--policy-root",
                &root.replace("policies", "nowhere"),
            ],
        ),
        "reading policy root",
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&["policy", "lifecycle-readiness"]);
    assert_eq!(out.code, 2, "{}", out.transcript());
    let out = run(&["policy", "no-such-command"]);
    assert_eq!(out.code, 2);
    let out = run(&["policy", "digest", "--format", "xml"]);
    assert_eq!(out.code, 2);
    assert_input_error(
        &run(&["policy", "digest", "--format", "sarif"]),
        "cannot write `--format sarif`",
    );
    assert_input_error(
        &run(&["policy", "lifecycle-readiness", SAMPLE, "--format", "junit"]),
        "cannot write `--format junit`",
    );
    assert_input_error(
        &run(&["policy", "lint", "--explain", "LC999"]),
        "unknown lint rule `LC999`",
    );
    assert_input_error(&run(&["policy", "schema", "nope"]), "unknown schema `nope`");
    assert_input_error(
        &run(&["policy", "simulate", "--request-json", "{\"action_type\": "]),
        "--request-json is not valid JSON",
    );
    assert_input_error(
        &run(&["policy", "simulate", "--request-json", "[]"]),
        "must be a JSON object",
    );
    let out = run_command(
        cavra_in(&repo())
            .env("CAVRA_FIXED_TIME", "yesterday")
            .args(["policy", "validate-lifecycle"]),
    );
    assert_input_error(&out, "CAVRA_FIXED_TIME `yesterday` is not a UTC timestamp");
    let out = run_command(
        cavra_in(&repo())
            .env("CAVRA_FORMAT", "sarif")
            .args(["policy", "digest"]),
    );
    assert_input_error(&out, "cannot write `--format sarif`");
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    use std::process::Stdio;
    let mut child = cavra_in(&repo())
        .args(["policy", "schema", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty());
}
