//! Dry runs reproduce CAVRA's exported reports, and `cases.yaml` files run the same way.

use crate::common::{fixture, fixture_json, load_pack};
use lifecycle::dry_run::{
    build_dry_run_report, default_fixtures, fixtures_from_json, parse_cases_yaml,
};
use lifecycle::json::python_pretty;

fn pretty(report: &lifecycle::dry_run::DryRunReport) -> String {
    python_pretty(&serde_json::to_value(report).unwrap())
}

#[test]
fn baseline_dry_run_matches_cavra() {
    let report = build_dry_run_report(
        &load_pack("cavra-ai-agent-baseline"),
        None,
        "cavra-ai-agent-baseline",
    );
    assert_eq!(
        pretty(&report),
        fixture("reference/policy-lifecycle-dry-run.json")
    );
}

#[test]
fn github_enterprise_dry_run_matches_cavra() {
    let report = build_dry_run_report(
        &load_pack("cavra-github-enterprise"),
        None,
        "cavra-github-enterprise",
    );
    assert!(!report.passed);
    assert_eq!(
        pretty(&report),
        fixture("reference/policy-lifecycle-github-enterprise-dry-run.json")
    );
}

#[test]
fn sample_actions_file_equals_the_built_in_defaults() {
    let actions = fixtures_from_json(&fixture_json("sample-actions.json")).unwrap();
    assert_eq!(actions, default_fixtures());
    let policy = load_pack("cavra-ai-agent-baseline");
    assert_eq!(
        build_dry_run_report(&policy, Some(&actions), "x"),
        build_dry_run_report(&policy, None, "x")
    );
}

#[test]
fn observed_dry_run_outcomes_per_pack() {
    let failed = |pack: &str| build_dry_run_report(&load_pack(pack), None, pack).failed_count;
    assert_eq!(failed("cavra-agentic-delivery"), 0);
    assert_eq!(failed("cavra-terraform-prod"), 1);
    assert_eq!(failed("cavra-mcp-enterprise"), 1);
    assert_eq!(failed("cavra-banking-baseline"), 1);
    assert_eq!(failed("cavra-github-enterprise"), 3);
}

#[test]
fn cases_yaml_runs_like_cavra_fixtures() {
    let cases = parse_cases_yaml(&fixture("cases/baseline.yaml")).unwrap();
    let report = build_dry_run_report(
        &load_pack("cavra-ai-agent-baseline"),
        Some(&cases),
        "cavra-ai-agent-baseline",
    );
    assert!(report.required_cases_present);
    assert_eq!(
        report.failed_count,
        0,
        "{:#?}",
        report
            .results
            .iter()
            .filter(|r| !r.passed)
            .collect::<Vec<_>>()
    );
    assert!(report.passed);
    assert_eq!(report.case_count, cases.len());
}

#[test]
fn cases_yaml_shape_errors_are_reported() {
    assert!(parse_cases_yaml("cases: 3\n").is_err());
    assert!(parse_cases_yaml("cases:\n  - case_id: a\n").is_err());
    assert!(parse_cases_yaml("cases: [\n").is_err());
    assert_eq!(
        parse_cases_yaml("- input: {action_type: read_file}\n")
            .unwrap()
            .len(),
        1
    );
}
