//! Plans for packs CAVRA cannot plan (it raises): we return a plan whose lint report carries the
//! blockers and whose publish decision is a block. Snapshots redact nothing clock-dependent
//! because the clock is fixed.

use lifecycle::model::parse_value;
use lifecycle::plan::{build_plan, plan_json, PlanInput, PlanTimestamps};

fn plan_of(source: &str) -> serde_json::Value {
    let policy = parse_value(source).unwrap();
    plan_json(&build_plan(&PlanInput::new(
        &policy,
        PlanTimestamps::fixed("2026-01-01T00:00:00+00:00"),
    )))
}

#[test]
fn schema_invalid_pack() {
    let plan = plan_of(
        "metadata:\n  id: bad\n  description: no title\n  version: 1.0\nfilesystem:\n  block_read: [3]\n",
    );
    assert_eq!(plan["lint_report"]["valid"], false);
    assert_eq!(plan["approval_workflow"]["publish_plan"]["valid"], false);
    assert_eq!(
        plan["approval_workflow"]["publish_decision"]["decision"],
        "block"
    );
    insta::assert_json_snapshot!(plan);
}

#[test]
fn empty_title_is_a_blocker_not_a_crash() {
    let plan = plan_of(
        "metadata: {id: cavra-x, title: '', description: d, version: 0.1.0}\ncommands: {allow: [ls]}\n",
    );
    assert_eq!(plan["lint_report"]["valid"], false);
    let publish = &plan["approval_workflow"]["publish_plan"];
    assert_eq!(
        publish["errors"][0],
        "policy draft requires id, title, and description"
    );
    insta::assert_json_snapshot!(publish);
}

#[test]
fn non_mapping_metadata_and_sections_do_not_crash() {
    for source in [
        "metadata: [1, 2]\n",
        "metadata: ~\nfilesystem: 3\n",
        "[]\n",
        "x: 1\n",
    ] {
        let plan = plan_of(source);
        assert_eq!(plan["lint_report"]["valid"], false, "{source}");
        assert_eq!(plan["dry_run_report"]["case_count"], 6, "{source}");
    }
}

#[test]
fn falsy_version_takes_the_publish_date() {
    let plan = plan_of(
        "metadata: {id: cavra-x, title: t, description: d, version: ''}\ncommands: {allow: [ls]}\n",
    );
    assert_eq!(
        plan["approval_workflow"]["publish_plan"]["summary"]["version"],
        "2026.01.01"
    );
    assert_eq!(plan["version_manifest"]["policy_version"], "");
}

#[test]
fn empty_previous_policy_is_create_with_low_risk() {
    let policy = crate::common::load_pack("cavra-ai-agent-baseline");
    let previous = lifecycle::value::Value::Map(vec![]);
    let mut input = PlanInput::new(&policy, PlanTimestamps::fixed("2026-01-01T00:00:00+00:00"));
    input.previous = Some(&previous);
    let plan = build_plan(&input);
    let publish = &plan.approval_workflow.publish_plan;
    assert_eq!(
        (publish.operation.as_str(), publish.risk.as_str()),
        ("create", "low")
    );
    assert!(plan.version_manifest.diff.is_empty());
    assert_eq!(plan.rollback_plan.previous_policy_digest, None);
}
