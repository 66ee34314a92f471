//! CAVRA's golden lint reports, reproduced byte for byte, and the live linter on the reference
//! packs.

use lifecycle::inherits::load_policy;
use lifecycle::lint::{lint_report, lint_source, LintReport};

use crate::common::{reference_dir, reference_registry};

fn golden(relative: &str) -> String {
    std::fs::read_to_string(reference_dir().join(relative)).unwrap()
}

#[test]
fn golden_reports_are_reproduced_exactly() {
    let cases = [
        ("cavra-ai-agent-baseline", "policy-lifecycle-lint.json"),
        (
            "cavra-ai-agent-baseline",
            "policy-lifecycle/policy-lint-report.json",
        ),
        (
            "cavra-ai-agent-baseline",
            "policy-lifecycle-baseline-prev-terraform/policy-lint-report.json",
        ),
        (
            "cavra-agentic-delivery",
            "policy-lifecycle-agentic-delivery/policy-lint-report.json",
        ),
        (
            "cavra-ai-agent-baseline",
            "examples/generated/policy-lint-report.json",
        ),
    ];
    for (pack, file) in cases {
        let policy = load_policy(pack, &mut reference_registry).unwrap();
        let report = lint_report(&policy);
        let text = golden(file);
        assert_eq!(report.to_python_json(), text, "{file}");
        // The serde form agrees with the file too, and reads back.
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_value(&report).unwrap(), json, "{file}");
        let back: LintReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
    }
}

#[test]
fn reference_packs_have_no_cavra_issues_in_the_live_linter() {
    for pack in [
        "cavra-ai-agent-baseline",
        "cavra-terraform-prod",
        "cavra-mcp-enterprise",
        "cavra-github-enterprise",
        "cavra-banking-baseline",
        "cavra-agentic-delivery",
    ] {
        let outcome = lint_source(&reference_registry(pack).unwrap());
        let report = outcome.report.clone().unwrap();
        assert!(report.valid, "{pack}");
        assert!(!outcome.has_blockers(), "{pack}: {:?}", outcome.diagnostics);
        assert!(
            outcome.diagnostics.iter().all(|d| d.cavra_code.is_none()),
            "{pack}"
        );
    }
}
