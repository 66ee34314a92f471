//! The lifecycle plan and its export reproduce CAVRA's golden files byte for byte once the three
//! wall-clock timestamps are injected, and agree field by field with any other clock except for
//! exactly these fields: `version_manifest.generated_at`, `generated_at` (the plan's) and
//! `approval_workflow.publish_plan.generated_at`.

use crate::common::{fixture, fixture_json, golden_timestamps, load_pack};
use lifecycle::json::python_pretty;
use lifecycle::plan::{
    build_plan, export_plan, plan_json, PlanInput, PlanTimestamps, SCRIPT_SOURCE_REF,
};
use lifecycle::value::Value;

/// The fields that hold wall-clock time; nothing else may differ.
const CLOCK_FIELDS: [&[&str]; 3] = [
    &["version_manifest", "generated_at"],
    &["generated_at"],
    &["approval_workflow", "publish_plan", "generated_at"],
];

struct Case {
    pack: &'static str,
    previous: Option<&'static str>,
    golden_dir: &'static str,
    output_dir: &'static str,
    export_map: Option<&'static str>,
}

const CASES: [Case; 4] = [
    Case {
        pack: "cavra-ai-agent-baseline",
        previous: None,
        golden_dir: "reference/policy-lifecycle",
        output_dir: "dist/policy-lifecycle",
        export_map: Some("reference/policy-lifecycle-export.json"),
    },
    Case {
        pack: "cavra-agentic-delivery",
        previous: None,
        golden_dir: "reference/policy-lifecycle-agentic-delivery",
        output_dir: "dist/policy-lifecycle-agentic-delivery",
        export_map: Some("reference/policy-lifecycle-agentic-delivery-export.json"),
    },
    Case {
        pack: "cavra-ai-agent-baseline",
        previous: Some("cavra-terraform-prod"),
        golden_dir: "reference/policy-lifecycle-baseline-prev-terraform",
        output_dir: "dist/policy-lifecycle-baseline-prev-terraform",
        export_map: Some("reference/policy-lifecycle-baseline-prev-terraform-export.json"),
    },
    Case {
        pack: "cavra-ai-agent-baseline",
        previous: None,
        golden_dir: "reference/examples/generated",
        output_dir: "examples/policy-lifecycle/generated",
        export_map: Some("reference/examples/generated/policy-lifecycle-export.json"),
    },
];

fn plan_for(
    case: &Case,
    policy: &Value,
    previous: Option<&Value>,
    timestamps: PlanTimestamps,
) -> lifecycle::plan::LifecyclePlan {
    let mut input = PlanInput::new(policy, timestamps);
    input.previous = previous;
    input.policy_pack = Some(case.pack);
    input.source_ref = SCRIPT_SOURCE_REF;
    build_plan(&input)
}

#[test]
fn plans_match_cavra_byte_for_byte() {
    for case in &CASES {
        let policy = load_pack(case.pack);
        let previous = case.previous.map(load_pack);
        let golden_plan = fixture_json(&format!("{}/policy-lifecycle-plan.json", case.golden_dir));
        let plan = plan_for(
            case,
            &policy,
            previous.as_ref(),
            golden_timestamps(&golden_plan),
        );
        let export = export_plan(&plan, case.output_dir);
        assert_eq!(export.files.len(), 8);
        for file in &export.files {
            let want = fixture(&format!("{}/{}", case.golden_dir, file.file_name));
            assert_eq!(
                file.contents, want,
                "{} / {}",
                case.golden_dir, file.file_name
            );
            assert_eq!(file.path, format!("{}/{}", case.output_dir, file.file_name));
        }
        if let Some(map) = case.export_map {
            let got = python_pretty(&serde_json::to_value(&export.export_map).unwrap());
            assert_eq!(got, fixture(map), "{map}");
        }
    }
}

fn remove(value: &mut serde_json::Value, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = value;
    for key in parents {
        node = node.get_mut(*key).unwrap();
    }
    assert!(
        node.as_object_mut().unwrap().remove(*last).is_some(),
        "{path:?}"
    );
}

#[test]
fn only_the_clock_fields_depend_on_time() {
    let case = &CASES[0];
    let policy = load_pack(case.pack);
    let mut golden = fixture_json(&format!("{}/policy-lifecycle-plan.json", case.golden_dir));
    let mut ours = plan_json(&plan_for(
        case,
        &policy,
        None,
        PlanTimestamps::fixed("2030-01-01T00:00:00+00:00"),
    ));
    assert_ne!(ours, golden);
    for path in CLOCK_FIELDS {
        remove(&mut golden, path);
        remove(&mut ours, path);
    }
    assert_eq!(ours, golden);
}

#[test]
fn timestamps_come_from_the_clock_in_cavra_order() {
    let policy = load_pack("cavra-ai-agent-baseline");
    let mut tick = 0;
    let mut clock = || {
        tick += 1;
        format!("2026-01-01T00:00:0{tick}+00:00")
    };
    let plan = build_plan(&PlanInput::new(
        &policy,
        PlanTimestamps::from_clock(&mut clock),
    ));
    assert_eq!(
        plan.version_manifest.generated_at,
        "2026-01-01T00:00:01+00:00"
    );
    assert_eq!(plan.generated_at, "2026-01-01T00:00:02+00:00");
    assert_eq!(
        plan.approval_workflow.publish_plan.generated_at,
        "2026-01-01T00:00:03+00:00"
    );
    assert_eq!(
        plan.version_manifest.source_ref,
        "git://policy-catalog/main"
    );
}
