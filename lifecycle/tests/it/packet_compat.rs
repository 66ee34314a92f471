//! CAVRA compatibility of the readiness gate for any JSON: every packet, `{}` and a top-level list
//! included, gets eleven checks in CAVRA's order with the spec's names and messages; where CAVRA
//! returns a result ours is the same, and where CAVRA raises, the check that raises is a blocker
//! with a `detail` and every other check still answers as CAVRA's condition does.
//!
//! `fixtures/packet/readiness-differential.json` holds CAVRA's answers: its
//! `validate_policy_lifecycle_packet` (transcribed from `policy_lifecycle.py`, run on Python
//! 3.11.7) over 624 packets built from the reference live and sample packets (`base`, then `set`
//! and `unset` paths) or given literally (`packet`), with and without `require_live`. `python` is
//! `result` or the exception CAVRA raised; `checks` is each check's status when its condition is
//! run on its own (`crash` where it raises), so each crash is pinned to the checks it comes from.

use crate::common::{fixture, fixture_json};
use lifecycle::json::python_pretty;
use lifecycle::packet::{validate_packet, CheckStatus, ReadinessResult, ReadinessStatus};
use serde_json::{json, Value as Json};

const SAMPLE: &str = "reference/examples/enterprise-policy-lifecycle.sample.json";
const LIVE: &str = "reference/examples/enterprise-policy-lifecycle.live.sanitized.example.json";

/// The spec's table (`cavra-lifecycle-spec.md`, section (c)): name and message of each check, in
/// order; `None` for check 2, whose message depends on the mode (`evidence_mode_message`).
const SPEC_TABLE: [(&str, Option<&str>); 11] = [
    (
        "schema_version",
        Some("Policy lifecycle evidence packet schema is valid."),
    ),
    ("evidence_mode", None),
    (
        "lifecycle_capabilities",
        Some("Required policy lifecycle capabilities are present."),
    ),
    (
        "authoring_ui_contract",
        Some("Authoring UI contract covers editor, lint, simulation, approval, and rollback surfaces."),
    ),
    ("lint_report", Some("Policy lint has no blockers.")),
    (
        "version_manifest",
        Some("Policy version manifest is digest-backed and Git-versioned."),
    ),
    (
        "shadow_mode_plan",
        Some("Shadow mode plan is non-enforcing and promotion-gated."),
    ),
    (
        "dry_run_report",
        Some("Dry-run report covers required decisions with no failures."),
    ),
    (
        "rollback_plan",
        Some("Rollback plan is approval-gated and executable."),
    ),
    (
        "approval_workflow",
        Some("Approval workflow requires reviewers and lifecycle evidence."),
    ),
    (
        "operating_evidence",
        Some("Policy lifecycle operating evidence references are present."),
    ),
];

/// The spec's table for check 2: the message follows the mode and `--require-live`.
fn evidence_mode_message(mode: &str, require_live: bool) -> &'static str {
    if mode == "live" {
        "Live policy lifecycle evidence packet supplied."
    } else if require_live {
        "Live policy lifecycle evidence is required for this gate."
    } else {
        "Sample policy lifecycle packet validates contract shape only."
    }
}

/// Names, order and messages are the spec's, whatever the packet.
#[track_caller]
fn assert_spec_shape(result: &ReadinessResult, require_live: bool, case: &str) {
    assert_eq!(result.checks.len(), 11, "{case}");
    for (check, (name, message)) in result.checks.iter().zip(SPEC_TABLE) {
        assert_eq!(check.name, name, "{case}");
        let want =
            message.unwrap_or_else(|| evidence_mode_message(&result.evidence_mode, require_live));
        assert_eq!(check.message, want, "{case}: {name}");
    }
    let count = |status| result.checks.iter().filter(|c| c.status == status).count();
    assert_eq!(result.blocker_count, count(CheckStatus::Blocker), "{case}");
    assert_eq!(result.warning_count, count(CheckStatus::Warn), "{case}");
    assert_eq!(
        result.schema_version,
        "cavra.policy-lifecycle.readiness-result.v1"
    );
    assert_eq!(result.product, "CAVRA");
}

fn status_name(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => "pass",
        CheckStatus::Blocker => "blocker",
        CheckStatus::Warn => "warn",
    }
}

/// The object holding the last key of `path`, and that key.
fn parent<'a>(
    packet: &'a mut Json,
    path: &[Json],
) -> (&'a mut serde_json::Map<String, Json>, String) {
    let (last, parents) = path.split_last().unwrap();
    let pointer: String = parents
        .iter()
        .map(|key| format!("/{}", key.as_str().unwrap()))
        .collect();
    let map = packet
        .pointer_mut(&pointer)
        .unwrap()
        .as_object_mut()
        .unwrap();
    (map, last.as_str().unwrap().to_owned())
}

/// The case's packet: the base packet with its edits, or the literal one.
fn apply(case: &Json) -> Json {
    let mut packet = match case["base"].as_str().unwrap() {
        "live" => fixture_json(LIVE),
        "sample" => fixture_json(SAMPLE),
        _ => return case["packet"].clone(),
    };
    for edit in case["set"].as_array().unwrap() {
        let (map, key) = parent(&mut packet, edit[0].as_array().unwrap());
        map.insert(key, edit[1].clone());
    }
    for path in case["unset"].as_array().unwrap() {
        let (map, key) = parent(&mut packet, path.as_array().unwrap());
        assert!(map.shift_remove(&key).is_some());
    }
    packet
}

#[test]
fn every_packet_is_judged_as_cavra_judges_it() {
    let cases: Vec<Json> =
        serde_json::from_str(&fixture("packet/readiness-differential.json")).unwrap();
    assert!(
        cases.len() > 600,
        "the differential covers the adversarial cases"
    );
    let mut crashes = 0;
    for (index, case) in cases.iter().enumerate() {
        let packet = apply(case);
        for (key, require_live) in [("default", false), ("require_live", true)] {
            let name = format!("case {index} `{}` ({key})", case["name"].as_str().unwrap());
            let python = &case[key];
            let result = validate_packet(&packet, require_live);
            assert_spec_shape(&result, require_live, &name);
            let statuses: Vec<&str> = python["checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            for (check, want) in result.checks.iter().zip(&statuses) {
                if *want == "crash" {
                    assert_eq!(check.status, CheckStatus::Blocker, "{name}: {}", check.name);
                    let detail = check.detail.as_deref().unwrap_or_default();
                    assert!(!detail.is_empty(), "{name}: {} says why", check.name);
                } else {
                    assert_eq!(status_name(check.status), *want, "{name}: {}", check.name);
                    assert_eq!(check.detail, None, "{name}: {} does not crash", check.name);
                }
            }
            if python["python"] == "result" {
                // CAVRA returned: ours is its result, field for field (no `detail` anywhere).
                assert_eq!(
                    result.evidence_mode,
                    python["evidence_mode"].as_str().unwrap(),
                    "{name}"
                );
                assert_eq!(
                    serde_json::to_value(result.status).unwrap(),
                    python["status"],
                    "{name}"
                );
                let contract = result.blocker_count == 0;
                assert_eq!(
                    result.ready_for_policy_lifecycle_contract, contract,
                    "{name}"
                );
                assert_eq!(
                    result.ready_for_live_policy_lifecycle,
                    contract && result.evidence_mode == "live",
                    "{name}"
                );
            } else {
                crashes += 1;
                assert!(statuses.contains(&"crash"), "{name}");
                assert_eq!(result.status, ReadinessStatus::Blocked, "{name}");
                assert!(
                    !result.passes(false),
                    "{name}: never ready where CAVRA raises"
                );
            }
        }
    }
    assert!(
        crashes > 300,
        "the differential exercises CAVRA's crashes ({crashes})"
    );
}

/// A packet without `detail`s serialises with exactly CAVRA's keys.
#[test]
fn the_empty_object_is_cavras_result_byte_for_byte() {
    let result = validate_packet(&json!({}), false);
    let text = python_pretty(&serde_json::to_value(&result).unwrap());
    assert!(!text.contains("detail"));
    insta::assert_snapshot!("empty_object", text);
    assert_eq!(result.blocker_count, 10);
    assert_eq!(result.warning_count, 1);
    let result = validate_packet(&json!({}), true);
    assert_eq!(result.blocker_count, 11);
    insta::assert_snapshot!(
        "empty_object_require_live",
        python_pretty(&serde_json::to_value(&result).unwrap())
    );
}

#[test]
fn a_wrong_or_missing_schema_version_is_one_blocker() {
    let mut live = fixture_json(LIVE);
    for schema in [
        json!("wrong"),
        json!(null),
        json!(1),
        json!("cavra.policy-lifecycle.readiness.v9"),
    ] {
        live["schema_version"] = schema.clone();
        let result = validate_packet(&live, true);
        assert_eq!(result.blocker_count, 1, "{schema}");
        assert_eq!(result.checks[0].status, CheckStatus::Blocker);
        assert_eq!(
            result.checks[0].detail, None,
            "CAVRA compares, it does not crash"
        );
        assert!(result.checks[1..]
            .iter()
            .all(|c| c.status == CheckStatus::Pass));
        assert!(!result.ready_for_live_policy_lifecycle);
    }
    live.as_object_mut().unwrap().shift_remove("schema_version");
    let result = validate_packet(&live, true);
    insta::assert_snapshot!(
        "live_without_schema_version",
        python_pretty(&serde_json::to_value(&result).unwrap())
    );
}

/// CAVRA raises on the first `packet.get`; ours reports the same cause on all eleven checks,
/// the unreadable evidence mode as a blocker too.
#[test]
fn a_top_level_value_that_is_not_an_object_blocks_every_check() {
    for (packet, kind) in [
        (json!([]), "a list"),
        (json!([fixture_json(LIVE)]), "a list"),
        (json!("cavra.policy-lifecycle.readiness.v1"), "a string"),
        (json!(3), "a number"),
        (json!(null), "null"),
        (json!(true), "a boolean"),
    ] {
        for require_live in [false, true] {
            let result = validate_packet(&packet, require_live);
            assert_spec_shape(&result, require_live, kind);
            assert_eq!(result.blocker_count, 11, "{kind}");
            assert_eq!(result.warning_count, 0, "{kind}");
            assert_eq!(result.evidence_mode, "sample");
            let want = format!("the packet is {kind}, not an object");
            for check in &result.checks {
                assert_eq!(
                    check.detail.as_deref(),
                    Some(want.as_str()),
                    "{}",
                    check.name
                );
            }
        }
    }
    let result = validate_packet(&json!([1, 2]), false);
    insta::assert_snapshot!(
        "top_level_list",
        python_pretty(&serde_json::to_value(&result).unwrap())
    );
}

/// Each section of the wrong type: a blocker on its own check naming the section and the type,
/// the other checks unaffected.
#[test]
fn every_section_of_the_wrong_type_says_so() {
    let sections = [
        "authoring_ui_contract",
        "lint_report",
        "version_manifest",
        "shadow_mode_plan",
        "rollback_plan",
        "approval_workflow",
        "operating_evidence",
    ];
    for (value, kind) in [
        (json!(null), "null"),
        (json!("text"), "a string"),
        (json!(["a"]), "a list"),
        (json!(7), "a number"),
        (json!(false), "a boolean"),
    ] {
        let mut packet = fixture_json(LIVE);
        for section in sections {
            packet[section] = value.clone();
        }
        packet["lifecycle_capabilities"] = value.clone();
        packet["dry_run_report"] = value.clone();
        let result = validate_packet(&packet, true);
        for check in &result.checks {
            let want = match check.name.as_str() {
                "schema_version" | "evidence_mode" => None,
                // CAVRA tests `isinstance(dry_run, dict)`: no crash, no case ids.
                "dry_run_report" => None,
                "lifecycle_capabilities" if kind == "a string" || kind == "a list" => None,
                "lifecycle_capabilities" => Some(format!(
                    "`lifecycle_capabilities` is {kind}, which is not iterable"
                )),
                name => Some(format!("`{name}` is {kind}, not an object")),
            };
            assert_eq!(check.detail, want, "{kind}: {}", check.name);
            let blocked = !matches!(check.name.as_str(), "schema_version" | "evidence_mode");
            assert_eq!(
                check.status == CheckStatus::Blocker,
                blocked,
                "{kind}: {}",
                check.name
            );
        }
        if kind == "a list" {
            insta::assert_snapshot!(
                "every_section_a_list",
                python_pretty(&serde_json::to_value(&result).unwrap())
            );
        }
    }
}

/// A packet far larger than any real one: judged in one linear pass, with CAVRA's answer.
#[test]
fn a_huge_packet_is_judged_in_linear_time() {
    let mut packet = fixture_json(LIVE);
    let many = |n: usize| Json::Array((0..n).map(|i| json!(format!("item-{i}"))).collect());
    let mut capabilities = many(200_000);
    capabilities.as_array_mut().unwrap().extend(
        fixture_json(LIVE)["lifecycle_capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .cloned(),
    );
    packet["lifecycle_capabilities"] = capabilities;
    packet["authoring_ui_contract"]["required_surfaces"] = many(200_000);
    packet["rollback_plan"]["steps"] = many(200_000);
    let mut evidence = many(200_000);
    evidence
        .as_array_mut()
        .unwrap()
        .push(json!("dry_run_report"));
    packet["approval_workflow"]["required_evidence"] = evidence;
    let results = packet["dry_run_report"]["results"].as_array_mut().unwrap();
    let extra: Vec<Json> = (0..100_000)
        .map(|i| json!({"case_id": format!("extra-{i}"), "nested": {"deep": [i, i, i]}}))
        .collect();
    results.extend(extra);
    packet["lint_report"]["blocker_count"] = json!(format!("{}0", "0".repeat(4299)));
    packet["padding"] = json!("x".repeat(8 << 20));
    let started = std::time::Instant::now();
    let result = validate_packet(&packet, true);
    let elapsed = started.elapsed();
    assert_eq!(
        result.status,
        ReadinessStatus::Ready,
        "{:#?}",
        result.checks
    );
    assert!(
        elapsed < std::time::Duration::from_secs(5),
        "no quadratic work: {elapsed:?}"
    );
    // The same size, now with CAVRA's crash at the very end of a long list.
    packet["approval_workflow"]["required_evidence"]
        .as_array_mut()
        .unwrap()
        .push(json!({"unhashable": true}));
    let result = validate_packet(&packet, true);
    assert_eq!(result.blocker_count, 1);
    assert_eq!(
        result.checks[9].detail.as_deref(),
        Some("`approval_workflow.required_evidence` holds an object, which cannot be hashed")
    );
}

/// Documented difference: serde_json reads an integer beyond 64 bits as a double, so its `str()`
/// is the double's (Python prints every digit); it is never `live` either way.
#[test]
fn an_evidence_mode_beyond_64_bits_is_a_double() {
    let packet: Json = serde_json::from_str(r#"{"evidence_mode": 18446744073709551616}"#).unwrap();
    let result = validate_packet(&packet, false);
    assert_eq!(result.evidence_mode, "1.8446744073709552e+19");
    assert_eq!(result.checks[1].status, CheckStatus::Warn);
}
