//! The linter: CAVRA's lint report, reproduced exactly, plus our own rules with positions.
//!
//! Two entry points:
//!
//! - [`lint_report`] takes a loaded policy and returns CAVRA's report (`lint_policy_lifecycle`),
//!   field for field and issue for issue.
//! - [`lint_source`] takes the YAML text and returns positioned [`Diagnostic`]s for the editor
//!   and the CLI: parse problems, CAVRA's issues pointed at the offending key or item, and our
//!   extra rules (one file each under `lint/rules/`).
//!
//! Every code is listed by [`rules`] and documented by [`explain`].

mod context;
mod covers;
pub mod glob;
mod report;
pub mod rules;
mod schema;

use crate::diagnostic::Diagnostic;
pub use crate::diagnostic::RuleInfo;
use crate::model::{parse_policy, Node, NodeValue, ParsedPolicy};
use crate::value::{Span, Value};
use context::Context;
use report::{build_report, cavra_issues, Target};
pub use report::{
    count_rules, summarize_policy, LintIssue, LintReport, LintSummary, PolicySummary, RuleCounts,
    SafeSummary, LINT_REPORT_SCHEMA,
};
use schema::PathSeg;

/// The closest of `known` to an unknown key, for "did you mean" help.
pub(crate) fn suggest_key<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    context::suggest(unknown, known)
}

/// Every rule, in code order.
pub fn rules() -> &'static [&'static RuleInfo] {
    rules::ALL
}

/// The documentation of a rule code (`"LC023"`) or name (`"shadowed-allow"`).
pub fn explain(code: &str) -> Option<&'static str> {
    rules::ALL
        .iter()
        .find(|rule| rule.code.eq_ignore_ascii_case(code) || rule.name == code)
        .map(|rule| rule.doc())
}

/// CAVRA's lint report for a loaded policy (`lint_policy_lifecycle`), exactly.
///
/// CAVRA crashes on a policy that is not a mapping; we still report its schema error and the
/// missing fields.
pub fn lint_report(policy: &Value) -> LintReport {
    build_report(policy, &cavra_issues(policy))
}

/// Everything the live linter knows about a pack's text.
#[derive(Debug, Clone, PartialEq)]
pub struct LintOutcome {
    /// Parse diagnostics, then CAVRA's issues (in CAVRA's order, positioned), then our own rules
    /// (in source order).
    pub diagnostics: Vec<Diagnostic>,
    /// CAVRA's report, when the text loads as a mapping without parse blockers (otherwise CAVRA
    /// itself would fail before reporting).
    pub report: Option<LintReport>,
    /// The loaded value, when the text parses.
    pub value: Option<Value>,
}

impl LintOutcome {
    /// Whether any diagnostic is a blocker.
    pub fn has_blockers(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_blocker)
    }
}

/// Lints a pack's text: parse problems, CAVRA's issues with positions, and our own rules.
pub fn lint_source(src: &str) -> LintOutcome {
    lint_parsed(src, parse_policy(src))
}

/// Lints an already parsed pack (`parsed` must come from `src`). The pack's invariants are
/// proved on top by [`crate::invariants::lint_parsed_with_invariants`].
pub fn lint_parsed(src: &str, parsed: ParsedPolicy) -> LintOutcome {
    let parse_blocked = parsed.has_blockers();
    let ParsedPolicy {
        root,
        mut diagnostics,
    } = parsed;
    let Some(root) = root else {
        if diagnostics.is_empty() {
            diagnostics.push(
                rules::root_not_mapping::RULE
                    .diagnostic("the document is empty; a policy pack is a YAML mapping")
                    .with_help("start the pack with `metadata:`"),
            );
        }
        return LintOutcome {
            diagnostics,
            report: None,
            value: None,
        };
    };
    let value = root.to_value();
    if !matches!(root.value, NodeValue::Map(_)) {
        diagnostics.push(
            rules::root_not_mapping::RULE
                .diagnostic("the document is not a mapping; CAVRA requires a YAML object")
                .with_span(Some(root.span))
                .with_help("start the pack with `metadata:` at the top level"),
        );
        return LintOutcome {
            diagnostics,
            report: None,
            value: Some(value),
        };
    }
    let issues = cavra_issues(&value);
    for issue in &issues {
        let mut diagnostic = issue
            .rule
            .diagnostic(issue.issue.message.clone())
            .with_cavra_code(issue.issue.code.clone())
            .with_span(locate(&root, &issue.target));
        diagnostic.severity = issue.issue.severity;
        if let Target::ChildKey(path, Value::Str(key)) = &issue.target {
            if let [PathSeg::Key(Value::Str(scope))] = path.as_slice() {
                if let Some(help) = rules::unknown_key::help_for(scope, key) {
                    diagnostic = diagnostic.with_help(help);
                }
            }
        }
        diagnostics.push(diagnostic);
    }
    let context = Context::new(src, &root, &value);
    let mut extra = Vec::new();
    for check in rules::CHECKS {
        check(&context, &mut extra);
    }
    extra.sort_by_key(|d| (d.span.map(|s| s.start).unwrap_or(0), d.code.clone()));
    diagnostics.extend(extra);
    let report = (!parse_blocked).then(|| build_report(&value, &issues));
    LintOutcome {
        diagnostics,
        report,
        value: Some(value),
    }
}

/// The span an issue points at, if the path exists in the tree.
fn locate(root: &Node, target: &Target) -> Option<Span> {
    match target {
        Target::Document => None,
        Target::Value(path) => find(root, path).map(|(_, value)| value.span),
        Target::Key(path) => find(root, path)
            .and_then(|(key, _)| key)
            .map(|key| key.span),
        Target::ChildKey(path, wanted) => {
            let (_, mapping) = find(root, path)?;
            mapping
                .as_map()?
                .iter()
                .find(|(key, _)| key.to_value() == *wanted)
                .map(|(key, _)| key.span)
        }
    }
}

/// The node at a path, with the key node that leads to it (if the last step is a key).
fn find<'a>(root: &'a Node, path: &[PathSeg]) -> Option<(Option<&'a Node>, &'a Node)> {
    let mut current = (None, root);
    for segment in path {
        let node = current.1;
        current = match segment {
            PathSeg::Key(wanted) => node
                .as_map()?
                .iter()
                .find(|(key, _)| key.to_value() == *wanted)
                .map(|(key, value)| (Some(key), value))?,
            PathSeg::Index(index) => (None, node.as_seq()?.get(*index)?),
        };
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lints `src` and compares the codes of the diagnostics, in order.
    fn check(src: &str, expect: &[&str]) {
        let outcome = lint_source(src);
        let codes: Vec<&str> = outcome
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, expect, "{:#?}", outcome.diagnostics);
    }

    const META: &str = "metadata: {id: cavra-x, title: t, description: d, version: '1'}\n";

    #[test]
    fn clean_pack_has_no_diagnostics() {
        check(
            &format!("{META}filesystem: {{block_read: [.env]}}\ncommands: {{block: [a*], allow: [b*]}}\n"),
            &[],
        );
    }

    #[test]
    fn cavra_issues_come_before_our_rules() {
        check(
            &format!("{META}commands: {{block: [terraform*], allow: [terraform plan*]}}\n"),
            &["LC015", "LC023"],
        );
        check("", &["LC009"]);
        check("- a\n", &["LC009"]);
        check("a: [", &["LC001"]);
    }

    #[test]
    fn shadowing_and_redundancy() {
        check(
            &format!("{META}filesystem:\n  block_read: [.env]\n  block_write: ['.github/**']\n  require_approval_write: ['.github/workflows/**', iam/**]\n"),
            &["LC028"],
        );
        check(
            &format!("{META}filesystem: {{block_read: [.env, '*.pem', 'keys/*.pem']}}\n"),
            &["LC024"],
        );
    }

    #[test]
    fn registry_is_consistent() {
        let all = rules();
        for pair in all.windows(2) {
            assert!(pair[0].code < pair[1].code, "codes out of order");
        }
        for rule in all {
            assert!(rule.code.starts_with("LC0") && rule.code.len() == 5);
            assert!(rule
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            let doc = explain(rule.code).unwrap();
            for heading in [
                "## What it does",
                "## Why it matters",
                "## Example",
                "## How to fix",
            ] {
                assert!(doc.contains(heading), "{} lacks {heading}", rule.code);
            }
            assert_eq!(explain(rule.name), Some(doc));
            assert_eq!(rule.doc(), doc);
        }
        assert!(explain("LC999").is_none());
        assert!(explain("lc023")
            .unwrap()
            .starts_with("LC023 shadowed-allow"));
    }

    #[test]
    fn diagnostics_serialize_for_the_editor() {
        let outcome = lint_source(&format!("{META}commands: {{block: [a], allow: [a]}}\n"));
        let json = serde_json::to_value(&outcome.diagnostics).unwrap();
        let conflict = json
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == "LC022")
            .unwrap();
        assert_eq!(conflict["severity"], "warning");
        assert_eq!(conflict["span"]["line"], 2);
        assert_eq!(conflict["name"], "allow-block-conflict");
    }
}
