//! Readiness packets: the builder reproduces CAVRA's example packets, the validator reproduces
//! CAVRA's results, each check fails on its own, hostile JSON never panics, and every packet the
//! builder makes for a healthy pack validates ready.

use crate::common::{fixture, fixture_json, load_pack};
use lifecycle::json::python_pretty;
use lifecycle::packet::{
    build_packet, validate_packet, CheckStatus, OperatingEvidence, ReadinessStatus,
};
use lifecycle::plan::{build_plan, PlanInput, PlanTimestamps, SCRIPT_SOURCE_REF};
use lifecycle::value::Value;
use proptest::prelude::*;
use serde_json::{json, Value as Json};

const SAMPLE: &str = "reference/examples/enterprise-policy-lifecycle.sample.json";
const LIVE: &str = "reference/examples/enterprise-policy-lifecycle.live.sanitized.example.json";

fn sample_evidence() -> OperatingEvidence {
    OperatingEvidence {
        ci_run_ref: "sample://github-actions/policy-lifecycle".into(),
        policy_review_ref: "sample://policy-review/pr-123".into(),
        ui_validation_ref: "sample://screenshots/policy-lifecycle".into(),
    }
}

fn live_evidence() -> OperatingEvidence {
    OperatingEvidence {
        ci_run_ref: "github://Huzefaaa2/cavra/actions/runs/sanitized-policy-lifecycle".into(),
        policy_review_ref: "github://Huzefaaa2/cavra/pull/sanitized-policy-review".into(),
        ui_validation_ref: "evidence://enterprise/policy-lifecycle/ui-validation/sanitized".into(),
    }
}

fn baseline_plan_for(packet: &Json) -> lifecycle::plan::LifecyclePlan {
    let policy = load_pack("cavra-ai-agent-baseline");
    let publish = packet["approval_workflow"]["publish_plan"]["generated_at"]
        .as_str()
        .unwrap();
    let timestamps = PlanTimestamps {
        version_manifest: packet["version_manifest"]["generated_at"]
            .as_str()
            .unwrap()
            .into(),
        plan: "unused: the packet drops the plan timestamp".into(),
        publish_plan: publish.into(),
    };
    let mut input = PlanInput::new(&policy, timestamps);
    input.policy_pack = Some("cavra-ai-agent-baseline");
    input.source_ref = SCRIPT_SOURCE_REF;
    build_plan(&input)
}

#[test]
fn builder_reproduces_the_example_packets() {
    for (path, evidence, mode) in [
        (SAMPLE, sample_evidence(), "sample"),
        (LIVE, live_evidence(), "live"),
    ] {
        let golden = fixture_json(path);
        let packet = build_packet(&baseline_plan_for(&golden), &evidence, mode);
        assert_eq!(python_pretty(&packet.to_json()), fixture(path), "{path}");
    }
}

/// The invariant proofs ride after CAVRA's fields: CAVRA's fields keep their bytes and order,
/// and the validator's result is the same with or without them, proofs violated or not.
#[test]
fn invariant_proofs_are_an_extra_field_the_validator_ignores() {
    let golden = fixture_json(LIVE);
    let plan = baseline_plan_for(&golden);
    let plain = build_packet(&plan, &live_evidence(), "live");
    let cases = "must_block:\n  - {action: read_file, target: \"**/*.key\"}\nmust_allow:\n  - {action: execute_command, requested_operation: \"pytest*\"}\n";
    let invariants = lifecycle::invariants::parse_invariants(cases).invariants;
    let report = lifecycle::invariants::prove_invariants(
        &load_pack("cavra-ai-agent-baseline"),
        &invariants,
        lifecycle::invariants::GATE_STATE_BUDGET,
    );
    assert_eq!((report.proved_count, report.violated_count), (1, 1));
    let mut with = plain.clone();
    with.invariants = Some(report);
    let json = with.to_json();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.last().map(|k| k.as_str()), Some("invariants"));
    let mut stripped = json.clone();
    stripped.as_object_mut().unwrap().remove("invariants");
    assert_eq!(python_pretty(&stripped), python_pretty(&plain.to_json()));
    assert_eq!(python_pretty(&plain.to_json()), fixture(LIVE));
    for require_live in [false, true] {
        assert_eq!(
            validate_packet(&json, require_live),
            validate_packet(&plain.to_json(), require_live)
        );
    }
    // It reads back.
    let back: lifecycle::packet::ReadinessPacket = serde_json::from_value(json).unwrap();
    assert_eq!(back, with);
}

#[test]
fn validator_reproduces_cavra_results() {
    let cases = [
        (
            SAMPLE,
            false,
            "reference/enterprise-policy-lifecycle-sample.json",
        ),
        (
            SAMPLE,
            true,
            "reference/enterprise-policy-lifecycle-sample-require-live.json",
        ),
        (
            LIVE,
            true,
            "reference/enterprise-policy-lifecycle-live-sanitized.json",
        ),
    ];
    for (packet, require_live, golden) in cases {
        let result = validate_packet(&fixture_json(packet), require_live);
        let text = python_pretty(&serde_json::to_value(&result).unwrap());
        assert_eq!(text, fixture(golden), "{golden}");
    }
    assert!(validate_packet(&fixture_json(SAMPLE), false).passes(false));
    assert!(!validate_packet(&fixture_json(SAMPLE), true).passes(true));
    assert!(validate_packet(&fixture_json(LIVE), true).passes(true));
}

/// A change to a packet.
type Edit = Box<dyn FnOnce(&mut Json)>;

/// Applies `edit` to the live packet and returns the status of check `name` plus its detail.
fn check_after(edit: impl FnOnce(&mut Json), name: &str) -> (CheckStatus, Option<String>, usize) {
    let mut packet = fixture_json(LIVE);
    edit(&mut packet);
    let result = validate_packet(&packet, false);
    assert_eq!(result.checks.len(), 11);
    let check = result.checks.iter().find(|c| c.name == name).unwrap();
    (check.status, check.detail.clone(), result.blocker_count)
}

fn set(path: &'static [&'static str], value: Json) -> impl FnOnce(&mut Json) {
    move |packet: &mut Json| {
        let (last, parents) = path.split_last().unwrap();
        let mut node = packet;
        for key in parents {
            node = node.get_mut(*key).unwrap();
        }
        node.as_object_mut()
            .unwrap()
            .insert((*last).to_owned(), value);
    }
}

fn unset(path: &'static [&'static str]) -> impl FnOnce(&mut Json) {
    move |packet: &mut Json| {
        let (last, parents) = path.split_last().unwrap();
        let mut node = packet;
        for key in parents {
            node = node.get_mut(*key).unwrap();
        }
        node.as_object_mut().unwrap().remove(*last);
    }
}

#[test]
fn each_check_fails_on_its_own() {
    use CheckStatus::{Blocker, Pass};
    let table: Vec<(Edit, &str, CheckStatus)> = vec![
        (
            Box::new(set(&["schema_version"], json!("v0"))),
            "schema_version",
            Blocker,
        ),
        (
            Box::new(set(&["lifecycle_capabilities"], json!(["lint_report"]))),
            "lifecycle_capabilities",
            Blocker,
        ),
        // A dict counts through its keys, as Python's set(dict) does.
        (
            Box::new(set(
                &["lifecycle_capabilities"],
                json!({
            "authoring_ui_contract": 1, "lint_report": 1, "version_manifest": 1, "shadow_mode_plan": 1,
            "dry_run_report": 1, "rollback_plan": 1, "approval_workflow": 1}),
            )),
            "lifecycle_capabilities",
            Pass,
        ),
        (
            Box::new(set(
                &["authoring_ui_contract", "review_workflow_ref"],
                json!(""),
            )),
            "authoring_ui_contract",
            Blocker,
        ),
        (
            Box::new(set(
                &["authoring_ui_contract", "required_surfaces"],
                json!(["a", "b", "c", "d", "e"]),
            )),
            "authoring_ui_contract",
            Blocker,
        ),
        (
            Box::new(set(&["lint_report", "valid"], json!(false))),
            "lint_report",
            Blocker,
        ),
        (
            Box::new(set(&["lint_report", "blocker_count"], json!(2))),
            "lint_report",
            Blocker,
        ),
        (
            Box::new(set(&["lint_report", "blocker_count"], json!("0"))),
            "lint_report",
            Pass,
        ),
        (
            Box::new(unset(&["lint_report", "blocker_count"])),
            "lint_report",
            Blocker,
        ),
        (
            Box::new(set(&["version_manifest", "git_versioned"], json!(false))),
            "version_manifest",
            Blocker,
        ),
        (
            Box::new(set(&["version_manifest", "policy_digest"], json!(null))),
            "version_manifest",
            Blocker,
        ),
        (
            Box::new(set(&["shadow_mode_plan", "mode"], json!("enforce"))),
            "shadow_mode_plan",
            Blocker,
        ),
        (
            Box::new(set(&["shadow_mode_plan", "evidence_refs"], json!([]))),
            "shadow_mode_plan",
            Blocker,
        ),
        (
            Box::new(set(&["shadow_mode_plan", "promotion_criteria"], json!({}))),
            "shadow_mode_plan",
            Blocker,
        ),
        (
            Box::new(set(&["dry_run_report", "failed_count"], json!(1))),
            "dry_run_report",
            Blocker,
        ),
        (
            Box::new(set(&["dry_run_report", "case_count"], json!("6"))),
            "dry_run_report",
            Pass,
        ),
        (
            Box::new(set(&["dry_run_report", "case_count"], json!(5))),
            "dry_run_report",
            Blocker,
        ),
        (
            Box::new(set(&["dry_run_report", "results"], json!([]))),
            "dry_run_report",
            Blocker,
        ),
        (
            Box::new(set(&["dry_run_report"], json!("x"))),
            "dry_run_report",
            Blocker,
        ),
        (
            Box::new(set(&["rollback_plan", "steps"], json!(["a", "b", "c"]))),
            "rollback_plan",
            Blocker,
        ),
        (
            Box::new(set(&["rollback_plan", "approval_required"], json!(0))),
            "rollback_plan",
            Blocker,
        ),
        (
            Box::new(set(
                &["approval_workflow", "required_evidence"],
                json!(["lint_report"]),
            )),
            "approval_workflow",
            Blocker,
        ),
        (
            Box::new(set(&["approval_workflow", "approver_groups"], json!([]))),
            "approval_workflow",
            Blocker,
        ),
        (
            Box::new(set(&["operating_evidence", "ui_validation_ref"], json!(""))),
            "operating_evidence",
            Blocker,
        ),
        (
            Box::new(unset(&["operating_evidence"])),
            "operating_evidence",
            Blocker,
        ),
    ];
    for (index, (edit, name, want)) in table.into_iter().enumerate() {
        let (status, detail, blockers) = check_after(edit, name);
        assert_eq!(status, want, "case {index}: {name}");
        assert_eq!(detail, None, "case {index}: CAVRA would not crash here");
        assert_eq!(
            blockers,
            usize::from(want == Blocker),
            "case {index}: only {name} fails"
        );
    }
}

#[test]
fn where_cavra_crashes_we_report_a_blocker_with_a_detail() {
    let table: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(set(&["authoring_ui_contract"], json!(null))),
            "authoring_ui_contract",
            "`authoring_ui_contract` is null, not an object",
        ),
        (
            Box::new(set(&["lint_report"], json!([1]))),
            "lint_report",
            "`lint_report` is a list, not an object",
        ),
        (
            Box::new(set(&["lint_report", "blocker_count"], json!("none"))),
            "lint_report",
            "`lint_report.blocker_count` is not an integer: invalid literal `none`",
        ),
        (
            Box::new(set(&["lint_report", "blocker_count"], json!(null))),
            "lint_report",
            "`lint_report.blocker_count` is null, not an integer",
        ),
        (
            Box::new(set(&["dry_run_report", "failed_count"], json!("0.0"))),
            "dry_run_report",
            "`dry_run_report.failed_count` is not an integer: invalid literal `0.0`",
        ),
        (
            Box::new(set(
                &["dry_run_report", "results"],
                json!(["block_env_read"]),
            )),
            "dry_run_report",
            "`dry_run_report.results` holds a string, not an object",
        ),
        (
            Box::new(set(
                &["shadow_mode_plan", "promotion_criteria"],
                json!(true),
            )),
            "shadow_mode_plan",
            "`shadow_mode_plan.promotion_criteria` is a boolean, not an object",
        ),
        (
            Box::new(set(&["rollback_plan", "steps"], json!(6))),
            "rollback_plan",
            "`rollback_plan.steps` is a number, which has no length",
        ),
        (
            Box::new(set(&["lifecycle_capabilities"], json!(null))),
            "lifecycle_capabilities",
            "`lifecycle_capabilities` is null, which is not iterable",
        ),
        (
            Box::new(set(
                &["approval_workflow", "required_evidence"],
                json!([["dry_run_report"]]),
            )),
            "approval_workflow",
            "`approval_workflow.required_evidence` holds a list, which cannot be hashed",
        ),
        (
            Box::new(set(&["operating_evidence"], json!("refs"))),
            "operating_evidence",
            "`operating_evidence` is a string, not an object",
        ),
    ];
    for (edit, name, want) in table {
        let (status, detail, blockers) = check_after(edit, name);
        assert_eq!(status, CheckStatus::Blocker, "{name}");
        assert_eq!(detail.as_deref(), Some(want), "{name}");
        assert_eq!(blockers, 1, "{name}");
    }
}

#[test]
fn evidence_mode_uses_python_str() {
    let mut packet = fixture_json(SAMPLE);
    packet["evidence_mode"] = json!(null);
    assert_eq!(validate_packet(&packet, false).evidence_mode, "None");
    packet["evidence_mode"] = json!(true);
    assert_eq!(validate_packet(&packet, false).evidence_mode, "True");
    packet.as_object_mut().unwrap().remove("evidence_mode");
    let result = validate_packet(&packet, false);
    assert_eq!(result.evidence_mode, "sample");
    assert_eq!(result.status, ReadinessStatus::ReadyWithWarnings);
}

#[test]
fn a_non_object_packet_is_blocked_not_a_crash() {
    for packet in [json!(null), json!([]), json!("packet"), json!(3)] {
        let result = validate_packet(&packet, true);
        assert_eq!(result.checks.len(), 11);
        assert_eq!(result.status, ReadinessStatus::Blocked);
        assert!(result.checks[0].detail.is_some());
    }
}

fn arbitrary_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Json::from),
        "[a-z0-9_ ]{0,8}".prop_map(Json::from),
        prop::sample::select(vec![
            "live",
            "shadow",
            "6",
            "0",
            "block_env_read",
            "dry_run_report"
        ])
        .prop_map(Json::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "schema_version",
                    "evidence_mode",
                    "lifecycle_capabilities",
                    "lint_report",
                    "valid",
                    "blocker_count",
                    "results",
                    "case_id",
                    "case_count",
                    "failed_count",
                    "steps",
                    "mode",
                    "promotion_criteria",
                    "required_evidence",
                    "x",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|map| Json::Object(map.into_iter().collect())),
        ]
    })
}

fn pack_with(extra_read: Vec<String>, extra_allow: Vec<String>, version: String) -> Value {
    let mut policy = load_pack("cavra-ai-agent-baseline");
    let Value::Map(entries) = &mut policy else {
        unreachable!()
    };
    for (key, section) in entries.iter_mut() {
        match (key.as_str(), section) {
            (Some("metadata"), Value::Map(meta)) => {
                for (k, v) in meta.iter_mut() {
                    if k.as_str() == Some("version") {
                        *v = Value::Str(version.clone());
                    }
                }
            }
            (Some("filesystem"), Value::Map(fs)) => {
                for (k, v) in fs.iter_mut() {
                    if let (Some("block_read"), Value::List(items)) = (k.as_str(), v) {
                        items.extend(extra_read.iter().cloned().map(Value::Str));
                    }
                }
            }
            (Some("commands"), Value::Map(commands)) => {
                for (k, v) in commands.iter_mut() {
                    if let (Some("allow"), Value::List(items)) = (k.as_str(), v) {
                        items.extend(extra_allow.iter().cloned().map(Value::Str));
                    }
                }
            }
            _ => {}
        }
    }
    policy
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn validator_never_panics(packet in arbitrary_json(), require_live in any::<bool>()) {
        let result = validate_packet(&packet, require_live);
        prop_assert_eq!(result.checks.len(), 11);
        prop_assert_eq!(result.blocker_count, result.checks.iter().filter(|c| c.status == CheckStatus::Blocker).count());
    }

    #[test]
    fn built_packets_for_healthy_packs_validate_ready(
        extra_read in prop::collection::vec("[a-z*/.]{1,12}", 0..4),
        extra_allow in prop::collection::vec("[a-z* ]{1,12}", 0..4),
        version in "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}",
        refs in prop::collection::vec("[a-z:/._-]{1,24}", 3),
        requested_by in "[a-z@.]{1,16}",
        source_ref in "[a-z:/.]{1,24}",
        previous in any::<bool>(),
    ) {
        let policy = pack_with(extra_read, extra_allow, version);
        let previous_policy = load_pack("cavra-terraform-prod");
        let mut input = PlanInput::new(&policy, PlanTimestamps::fixed("2026-07-04T13:37:30+00:00"));
        input.requested_by = &requested_by;
        input.source_ref = &source_ref;
        input.previous = previous.then_some(&previous_policy);
        let plan = build_plan(&input);
        prop_assume!(plan.dry_run_report.passed && plan.lint_report.valid);
        let evidence = OperatingEvidence {
            ci_run_ref: refs[0].clone(),
            policy_review_ref: refs[1].clone(),
            ui_validation_ref: refs[2].clone(),
        };
        let packet = build_packet(&plan, &evidence, "live");
        let result = validate_packet(&packet.to_json(), true);
        prop_assert_eq!(result.status, ReadinessStatus::Ready, "{:#?}", result.checks);
        prop_assert!(result.ready_for_live_policy_lifecycle);
    }
}
