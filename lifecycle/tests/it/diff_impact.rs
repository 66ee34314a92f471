//! Semantic and decision-impact diffs: fixture cases in `tests/fixtures/diff/<case>/`
//! (`old.yaml`, `new.yaml`, `want.json` with the semantic diff and the flip summary), CAVRA's
//! baseline-versus-terraform example, and a snapshot of a full impact report.

use crate::common::{fixture, load_pack};
use lifecycle::diff::{decision_impact, semantic_diff, unified_text_diff};
use lifecycle::model::parse_value;

#[test]
fn diff_fixture_cases() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/diff");
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    cases.sort();
    assert!(cases.len() >= 3);
    for case in cases {
        let case = case.to_string_lossy();
        let old = parse_value(&fixture(&format!("diff/{case}/old.yaml"))).unwrap();
        let new = parse_value(&fixture(&format!("diff/{case}/new.yaml"))).unwrap();
        let want: serde_json::Value =
            serde_json::from_str(&fixture(&format!("diff/{case}/want.json"))).unwrap();
        let diff = serde_json::to_value(semantic_diff(&old, &new)).unwrap();
        for key in ["added", "removed", "changed"] {
            assert_eq!(diff[key], want[key], "{case}: {key}");
        }
        let impact = decision_impact(&old, &new);
        assert_eq!(
            serde_json::to_value(&impact.summary).unwrap(),
            want["flips"],
            "{case}: flips"
        );
        assert!(semantic_diff(&new, &new).is_empty());
        assert!(decision_impact(&new, &new).flips.is_empty());
    }
}

#[test]
fn baseline_versus_terraform_matches_cavra() {
    let diff = semantic_diff(
        &load_pack("cavra-terraform-prod"),
        &load_pack("cavra-ai-agent-baseline"),
    );
    assert!(diff.added.is_empty() && diff.removed.is_empty());
    assert_eq!(
        diff.changed,
        [
            "commands.allow",
            "commands.block",
            "filesystem.block_read",
            "filesystem.block_write",
            "filesystem.require_approval_write",
            "metadata.description",
            "metadata.id",
            "metadata.title",
        ]
    );
}

#[test]
fn impact_report_snapshot() {
    let old = parse_value(&fixture("diff/removed-section/old.yaml")).unwrap();
    let new = parse_value(&fixture("diff/removed-section/new.yaml")).unwrap();
    insta::assert_json_snapshot!(decision_impact(&old, &new));
}

#[test]
fn text_diff_of_two_packs() {
    let old = fixture("diff/removed-section/old.yaml");
    let new = fixture("diff/removed-section/new.yaml");
    insta::assert_snapshot!(unified_text_diff(
        &old,
        &new,
        "old/policy.yaml",
        "new/policy.yaml"
    ));
}
