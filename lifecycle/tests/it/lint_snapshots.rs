//! Snapshots of the live linter on one fixture per rule code (`fixtures/lint/LC0NN.yaml`), each
//! mixing offending and clean entries. Rendered as the CLI prints them: code, position, source
//! line with underline, help. Review changes with `cargo insta review`.

use std::fmt::Write as _;
use std::path::Path;

use lifecycle::diagnostic::render_all;
use lifecycle::lint::{lint_source, rules};

fn render(code: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(format!("{code}.yaml"));
    let source = std::fs::read_to_string(&path).unwrap();
    let outcome = lint_source(&source);
    let mut out = render_all(&outcome.diagnostics, &source, &format!("{code}.yaml"));
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
        outcome.diagnostics.iter().any(|d| d.code == code),
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
