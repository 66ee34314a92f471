//! Snapshots of the live linter on one fixture per rule code (`fixtures/lint/LC0NN.yaml`), each
//! mixing offending and clean entries. Rendered as the CLI prints them: code, position, source
//! line with underline, help. A fixture with a `LC0NN.cases.yaml` beside it is linted with that
//! file's invariants: first as the editor shows them (on the policy), then as `cavra policy
//! lint` shows them (on the invariants). Review changes with `cargo insta review`.

use std::fmt::Write as _;
use std::path::Path;

use lifecycle::diagnostic::render_all;
use lifecycle::invariants::{
    lint_cases, lint_source_with_invariants, parse_invariants, GATE_STATE_BUDGET,
};
use lifecycle::lint::rules;

fn render(code: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(format!("{code}.yaml"));
    let source = std::fs::read_to_string(&path).unwrap();
    let cases_path = path.with_extension("cases.yaml");
    let cases = std::fs::read_to_string(&cases_path).ok();
    let invariants = cases
        .as_deref()
        .map(|c| parse_invariants(c).invariants)
        .unwrap_or_default();
    let outcome = lint_source_with_invariants(&source, &invariants);
    let mut out = render_all(&outcome.diagnostics, &source, &format!("{code}.yaml"));
    let mut cases_codes = Vec::new();
    if let Some(cases) = &cases {
        let value = outcome.value.clone().unwrap_or_default();
        let root = lifecycle::model::parse_policy(&source).root;
        let linted = lint_cases(cases, &value, root.as_ref(), GATE_STATE_BUDGET);
        let _ = write!(
            out,
            "\n== {code}.cases.yaml: {} of {} invariant(s) proved\n\n",
            linted.report.proved_count, linted.report.invariant_count
        );
        out.push_str(&render_all(
            &linted.diagnostics,
            cases,
            &format!("{code}.cases.yaml"),
        ));
        cases_codes = linted.diagnostics.iter().map(|d| d.code.clone()).collect();
    }
    match &outcome.report {
        Some(report) => {
            let _ = write!(
                out,
                "\n== CAVRA report: valid={} blockers={} warnings={}\n",
                report.valid, report.blocker_count, report.warning_count
            );
        }
        None => out.push_str("\n== CAVRA report: none (CAVRA cannot load this text)\n"),
    }
    assert!(
        outcome.diagnostics.iter().any(|d| d.code == code) || cases_codes.iter().any(|c| c == code),
        "{code}.yaml does not trigger {code}:\n{out}"
    );
    out
}

#[test]
fn every_rule_fixture() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    for rule in rules() {
        if !fixtures.join(format!("{}.yaml", rule.code)).exists() {
            // LC002 (input too large) is covered by a unit test: its fixture would be 1 MiB.
            assert_eq!(rule.code, "LC002", "missing fixture for {}", rule.code);
            continue;
        }
        insta::assert_snapshot!(rule.code, render(rule.code));
    }
}
