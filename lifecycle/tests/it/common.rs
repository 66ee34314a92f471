//! Helpers shared by the golden tests: fixture paths and the reference policy loader.
#![allow(dead_code, reason = "each test binary uses a subset")]

use lifecycle::inherits::load_policy;
use lifecycle::value::Value;

pub fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {full}: {e}"))
}

pub fn fixture_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(path)).unwrap()
}

/// Loads a reference pack with its parents, as CAVRA's registry does.
pub fn load_pack(pack: &str) -> Value {
    load_policy(pack, &mut |id: &str| {
        let path = format!(
            "{}/tests/fixtures/reference/policies/{id}/policy.yaml",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path).ok()
    })
    .unwrap()
}

/// The three timestamps of a golden plan (manifest, plan, publish plan).
pub fn golden_timestamps(plan: &serde_json::Value) -> lifecycle::plan::PlanTimestamps {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    lifecycle::plan::PlanTimestamps {
        version_manifest: text(&plan["version_manifest"]["generated_at"]),
        plan: text(&plan["generated_at"]),
        publish_plan: text(&plan["approval_workflow"]["publish_plan"]["generated_at"]),
    }
}
