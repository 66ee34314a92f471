//! CAVRA compatibility of the readiness gate at the CLI: any JSON given as a packet (`{}`, a
//! wrong or missing `schema_version`, malformed sections, a top-level list) gets the structured
//! readiness result with its blockers and exit 1, in text and JSON, from `lifecycle-readiness`
//! and `validate-lifecycle --packet`; only an unreadable file or text that is not JSON is exit 2.

use std::path::Path;

use lifecycle::json::python_pretty;
use lifecycle::packet::validate_packet;
use serde_json::{json, Value as Json};

use crate::cli_common::{assert_exit, policy_root, read, repo, run, Run};

const LIVE: &str =
    "examples/policy-lifecycle/enterprise-policy-lifecycle.live.sanitized.example.json";
const SAMPLE: &str = "examples/policy-lifecycle/enterprise-policy-lifecycle.sample.json";

const CHECK_NAMES: [&str; 11] = [
    "schema_version",
    "evidence_mode",
    "lifecycle_capabilities",
    "authoring_ui_contract",
    "lint_report",
    "version_manifest",
    "shadow_mode_plan",
    "dry_run_report",
    "rollback_plan",
    "approval_workflow",
    "operating_evidence",
];

fn live() -> Json {
    serde_json::from_str(&read(repo().join(LIVE))).unwrap()
}

fn write(dir: &Path, name: &str, contents: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

/// The adversarial packets, each with the blockers it must get (with `--require-live`, the
/// evidence mode of a non-live packet is one more).
fn packets() -> Vec<(&'static str, Json, usize)> {
    let sections = [
        "authoring_ui_contract",
        "lint_report",
        "version_manifest",
        "shadow_mode_plan",
        "dry_run_report",
        "rollback_plan",
        "approval_workflow",
        "operating_evidence",
    ];
    let mut no_schema = live();
    no_schema
        .as_object_mut()
        .unwrap()
        .shift_remove("schema_version");
    let mut null_fields = live();
    for section in sections {
        for value in null_fields[section].as_object_mut().unwrap().values_mut() {
            *value = Json::Null;
        }
    }
    let with_sections = |value: Json| {
        let mut packet = live();
        for section in sections {
            packet[section] = value.clone();
        }
        packet
    };
    vec![
        ("empty object", json!({}), 10),
        (
            "wrong schema_version",
            json!({"schema_version": "wrong"}),
            10,
        ),
        ("live packet without schema_version", no_schema, 1),
        ("every field of every section null", null_fields, 8),
        ("every section null", with_sections(Json::Null), 8),
        ("every section a string", with_sections(json!("text")), 8),
        ("every section a list", with_sections(json!(["a", "b"])), 8),
        ("every section a number", with_sections(json!(42)), 8),
        ("top-level list", json!([live()]), 11),
        ("top-level string", json!("packet"), 11),
        ("top-level number", json!(7), 11),
        ("top-level null", Json::Null, 11),
    ]
}

fn blocker_count(packet: &Json, blockers: usize, require_live: bool) -> usize {
    let is_live = packet.get("evidence_mode").and_then(Json::as_str) == Some("live");
    let live_blocker = require_live && packet.is_object() && !is_live;
    blockers + usize::from(live_blocker)
}

#[track_caller]
fn assert_gate_failed(out: &Run, case: &str) {
    assert_eq!(out.code, 1, "{case}: {}", out.transcript());
    assert!(
        !out.stderr.contains("error"),
        "{case}: {}",
        out.transcript()
    );
    assert!(
        !out.stderr.contains("panicked"),
        "{case}: {}",
        out.transcript()
    );
}

#[test]
fn any_json_packet_gets_the_readiness_result_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    for (index, (case, packet, blockers)) in packets().into_iter().enumerate() {
        let path = write(
            dir.path(),
            &format!("{index}.json"),
            packet.to_string().as_bytes(),
        );
        for require_live in [false, true] {
            let want = blocker_count(&packet, blockers, require_live);
            let expected = validate_packet(&packet, require_live);
            assert_eq!(
                expected.blocker_count, want,
                "{case}: {:#?}",
                expected.checks
            );
            let live_flag: &[&str] = if require_live {
                &["--require-live"]
            } else {
                &[]
            };

            // Text: the completion line, then one line per blocker and warning.
            let mut args = vec!["policy", "lifecycle-readiness", &path];
            args.extend(live_flag);
            let out = run(&args);
            assert_gate_failed(&out, case);
            let mut lines = out.stdout.lines();
            assert_eq!(
                lines.next(),
                Some(
                    format!(
                        "{{\"ready_for_live_policy_lifecycle\": false, \"blocker_count\": {want}}}"
                    )
                    .as_str()
                ),
                "{case}"
            );
            let listed: Vec<&str> = lines.collect();
            assert_eq!(
                listed.len(),
                want + expected.warning_count,
                "{case}: {}",
                out.stdout
            );
            assert_eq!(
                listed.iter().filter(|l| l.starts_with("blocker: ")).count(),
                want,
                "{case}"
            );

            // JSON: exactly the library's result, eleven checks in CAVRA's order.
            let mut args = vec!["policy", "lifecycle-readiness", &path, "--format", "json"];
            args.extend(live_flag);
            let out = run(&args);
            assert_gate_failed(&out, case);
            let expected_text = python_pretty(&serde_json::to_value(&expected).unwrap());
            assert_eq!(out.stdout, expected_text, "{case}");
            let printed: Json = serde_json::from_str(&out.stdout).unwrap();
            let names: Vec<&str> = printed["checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            assert_eq!(names, CHECK_NAMES, "{case}");
            assert_eq!(printed["status"], "blocked", "{case}");

            // CAVRA's script flags: the same JSON, to stdout or to --output.
            let mut args = vec!["policy", "validate-lifecycle", "--packet", &path];
            args.extend(live_flag);
            let out = run(&args);
            assert_gate_failed(&out, case);
            assert_eq!(out.stdout, expected_text, "{case}");
            let output = dir
                .path()
                .join(format!("{index}-{require_live}-result.json"));
            let output = output.to_string_lossy();
            args.extend(["--output", &*output]);
            let out = run(&args);
            assert_gate_failed(&out, case);
            assert_eq!(read(&*output), expected_text, "{case}");
        }
    }
}

#[test]
fn blockers_say_why_where_cavra_would_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut packet = live();
    packet["lint_report"] = json!("clean");
    packet["rollback_plan"]["steps"] = json!(4);
    packet["dry_run_report"]["failed_count"] = json!("zero");
    let path = write(dir.path(), "malformed.json", packet.to_string().as_bytes());
    let out = run(&["policy", "lifecycle-readiness", &path, "--require-live"]);
    assert_gate_failed(&out, "malformed sections");
    insta::assert_snapshot!("malformed_sections_text", out.transcript());
    let array = write(dir.path(), "array.json", b"[1, 2]");
    let out = run(&["policy", "lifecycle-readiness", &array]);
    assert_gate_failed(&out, "top-level list");
    insta::assert_snapshot!("top_level_list_text", out.transcript());
}

#[test]
fn the_empty_object_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.json", b"{}");
    let out = run(&["policy", "lifecycle-readiness", &path]);
    assert_gate_failed(&out, "{}");
    insta::assert_snapshot!("empty_object_text", out.transcript());
    let out = run(&["policy", "lifecycle-readiness", &path, "--format", "json"]);
    assert_gate_failed(&out, "{}");
    // The bytes CAVRA's script prints for `{}` (`json.dumps(result, indent=2)`).
    insta::assert_snapshot!("empty_object_json", out.stdout);
}

/// Larger than any real packet: read, judged and answered, with no input error.
#[test]
fn a_huge_packet_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    let mut packet = live();
    let many: Vec<Json> = (0..100_000).map(|i| json!(format!("extra-{i}"))).collect();
    packet["lifecycle_capabilities"]
        .as_array_mut()
        .unwrap()
        .extend(many.iter().cloned());
    packet["rollback_plan"]["steps"] = Json::Array(many);
    packet["padding"] = json!("x".repeat(4 << 20));
    let path = write(dir.path(), "huge.json", packet.to_string().as_bytes());
    let out = run(&["policy", "lifecycle-readiness", &path, "--require-live"]);
    assert_exit(&out, 0);
    packet["rollback_plan"]["steps"] = json!(null);
    let path = write(
        dir.path(),
        "huge-broken.json",
        packet.to_string().as_bytes(),
    );
    let out = run(&["policy", "lifecycle-readiness", &path, "--require-live"]);
    assert_gate_failed(&out, "huge, with a null steps");
    assert!(
        out.stdout.ends_with(
            "blocker: rollback_plan: Rollback plan is approval-gated and executable. \
             (`rollback_plan.steps` is null, which has no length)\n"
        ),
        "{}",
        out.stdout
    );
}

#[track_caller]
fn assert_input_error(out: &Run, expected: &str) {
    assert_eq!(out.code, 2, "{}", out.transcript());
    assert_eq!(out.stdout, "", "nothing judged");
    assert!(out.stderr.starts_with("error: "), "{}", out.transcript());
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert!(
        out.stderr.contains(expected),
        "stderr {:?} should contain {expected:?}",
        out.stderr
    );
}

/// Exit 2 only when there is no JSON to judge. Python's `json` reads `NaN` and `Infinity`, which
/// are not JSON; numbers beyond a double and nesting deeper than 128 are JSON that we refuse
/// (documented in docs/CLI.md).
#[test]
fn only_an_unreadable_file_or_text_that_is_not_json_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{{\"x\": {}{}}}", "[".repeat(200), "]".repeat(200));
    let cases: Vec<(String, &str)> = vec![
        (
            dir.path()
                .join("missing.json")
                .to_string_lossy()
                .into_owned(),
            "reading packet",
        ),
        (dir.path().to_string_lossy().into_owned(), "reading packet"),
        (write(dir.path(), "empty.json", b""), "is not valid JSON"),
        (
            write(dir.path(), "text.json", b"ready"),
            "is not valid JSON",
        ),
        (
            write(dir.path(), "trailing.json", b"{} {}"),
            "is not valid JSON",
        ),
        (
            write(dir.path(), "truncated.json", b"{\"schema_version\": "),
            "is not valid JSON",
        ),
        (
            write(
                dir.path(),
                "nan.json",
                b"{\"lint_report\": {\"blocker_count\": NaN}}",
            ),
            "is not valid JSON",
        ),
        (
            write(dir.path(), "bom.json", b"\xef\xbb\xbf{}"),
            "is not valid JSON",
        ),
        (
            write(dir.path(), "latin1.json", b"{\"product\": \"caf\xe9\"}"),
            "is not valid UTF-8 text",
        ),
        (
            write(dir.path(), "overflow.json", b"{\"x\": 1e400}"),
            "number out of range",
        ),
        (
            write(dir.path(), "surrogate.json", b"{\"x\": \"\\ud800\"}"),
            "hex escape",
        ),
        (
            write(dir.path(), "deep.json", deep.as_bytes()),
            "recursion limit exceeded",
        ),
    ];
    for (path, expected) in &cases {
        assert_input_error(&run(&["policy", "lifecycle-readiness", path]), expected);
        assert_input_error(
            &run(&["policy", "lifecycle-readiness", path, "--format", "json"]),
            expected,
        );
        assert_input_error(
            &run(&[
                "policy",
                "validate-lifecycle",
                "--packet",
                path,
                "--require-live",
            ]),
            expected,
        );
    }
}

/// `--policy-pack` cross-checks the packet's digest: a missing or different digest is a failed
/// gate (exit 1, the result still printed), a pack that does not exist an input error.
#[test]
fn a_packet_for_another_pack_fails_the_gate() {
    let root = policy_root();
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.json", b"{}");
    let tampered = write(
        dir.path(),
        "tampered.json",
        read(repo().join(SAMPLE))
            .replace("sha256:6a79faa2", "sha256:00000000")
            .as_bytes(),
    );
    let cases = [
        (
            SAMPLE,
            "cavra-starter",
            "does not match policy pack `cavra-starter`: version_manifest.policy_digest is sha256:6a79faa2",
        ),
        (
            tampered.as_str(),
            "cavra-ai-agent-baseline",
            "does not match policy pack `cavra-ai-agent-baseline`",
        ),
        (
            empty.as_str(),
            "cavra-ai-agent-baseline",
            "has no version_manifest.policy_digest to compare with policy pack `cavra-ai-agent-baseline`",
        ),
    ];
    for (packet, pack, expected) in cases {
        for command in [
            vec!["policy", "lifecycle-readiness", packet],
            vec!["policy", "validate-lifecycle", "--packet", packet],
        ] {
            let mut args = command.clone();
            args.extend(["--policy-pack", pack, "--policy-root", &root]);
            let out = run(&args);
            assert_eq!(out.code, 1, "{}", out.transcript());
            assert!(
                out.stdout.contains("blocker_count"),
                "the result is printed"
            );
            assert!(
                out.stderr.starts_with("gate failed: ") && out.stderr.contains(expected),
                "{}",
                out.transcript()
            );
            assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        }
    }
    // The right pack passes the cross-check; a pack that does not exist is a usage error.
    let out = run(&[
        "policy",
        "lifecycle-readiness",
        SAMPLE,
        "--policy-pack",
        "cavra-ai-agent-baseline",
    ]);
    assert_exit(&out, 0);
    assert_eq!(out.stderr, "");
    let out = run(&[
        "policy",
        "lifecycle-readiness",
        &empty,
        "--policy-pack",
        "no-such-pack",
    ]);
    assert_eq!(out.code, 2, "{}", out.transcript());
    assert!(out.stderr.starts_with("error: "), "{}", out.transcript());
}
