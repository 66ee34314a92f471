//! Helpers shared by the golden tests: fixture paths and the reference policy loader.

use std::path::{Path, PathBuf};

use lifecycle::inherits::load_policy;
use lifecycle::value::Value;

pub fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {full}: {e}"))
}

pub fn fixture_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(path)).unwrap()
}

/// CAVRA's reference files (`tests/fixtures/reference`): its packs and golden outputs.
pub fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference")
}

/// The text of a reference pack (`reference/policies/<pack>/policy.yaml`): the loader
/// `load_policy` wants, as CAVRA's registry reads packs.
pub fn reference_registry(pack: &str) -> Option<String> {
    std::fs::read_to_string(
        reference_dir()
            .join("policies")
            .join(pack)
            .join("policy.yaml"),
    )
    .ok()
}

/// Loads a reference pack with its parents, as CAVRA's registry does.
pub fn load_pack(pack: &str) -> Value {
    load_policy(pack, &mut reference_registry).unwrap()
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
