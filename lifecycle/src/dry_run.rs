//! Dry runs: evaluate a pack over fixture requests and report CAVRA's
//! `cavra.policy-lifecycle.dry-run-report.v1`.
//!
//! Fixtures are CAVRA's: objects `{case_id, input, expected_decision}`. When no fixture (or an
//! empty list) is given, the six default fixtures are used ([`default_fixtures`]), the cases every
//! readiness packet must cover ([`REQUIRED_CASE_IDS`]).
//!
//! # `cases.yaml`
//!
//! Our own authoring format for fixtures, parsed with the crate's YAML loader:
//!
//! ```yaml
//! cases:
//!   - case_id: block_env_read
//!     note: secrets in the repository root stay unreadable   # optional, not reported
//!     input:
//!       action_type: read_file
//!       target: .env
//!     expected_decision: block        # optional; a case without one always passes
//! ```
//!
//! `input` holds CAVRA's request fields (`action_type`, `target`, `requested_operation`,
//! `server`, `tool`, `capability`; see [`crate::decide::Request`]). CAVRA's JSON form (a list, or
//! an object with an `actions` list) is read by [`fixtures_from_json`].

use serde::{Deserialize, Serialize};

use crate::decide::python::json_str;
use crate::decide::{request::INPUT_SCHEMA, CavraDecision, CompiledPolicy, RequestBuf};
use crate::value::Value;

/// Schema id of the dry-run report.
pub const DRY_RUN_REPORT_SCHEMA: &str = "cavra.policy-lifecycle.dry-run-report.v1";

/// The case ids a dry run must cover, in CAVRA's fixture order.
pub const REQUIRED_CASE_IDS: [&str; 6] = [
    "block_env_read",
    "approval_policy_write",
    "allow_terraform_plan",
    "block_terraform_apply",
    "block_protected_branch_push",
    "block_unknown_mcp_server",
];

/// A dry-run report, in CAVRA's key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DryRunReport {
    /// Always `cavra.policy-lifecycle.dry-run-report.v1`.
    pub schema_version: String,
    /// The pack label.
    pub policy_pack: String,
    /// Number of cases.
    pub case_count: usize,
    /// Cases whose decision matched the expectation (or had none).
    pub passed_count: usize,
    /// Cases whose decision did not match.
    pub failed_count: usize,
    /// Whether every id in [`REQUIRED_CASE_IDS`] is among the cases.
    pub required_cases_present: bool,
    /// No failures and the required cases present.
    pub passed: bool,
    /// One result per case, in fixture order.
    pub results: Vec<DryRunResult>,
}

/// One evaluated case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DryRunResult {
    /// The fixture's `case_id` (Python `str()`), or `case_<n>`.
    pub case_id: String,
    /// The request as given (the whole fixture when its `input` is not an object).
    pub input: serde_json::Value,
    /// The fixture's `expected_decision`, `null` when absent.
    pub expected_decision: serde_json::Value,
    /// CAVRA's decision object.
    pub decision: CavraDecision,
    /// Whether `expected_decision` is null or equals the decision.
    pub passed: bool,
}

/// Why fixtures could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FixturesError {
    /// The YAML text does not load.
    #[error("cases file is not valid YAML: {0}")]
    Yaml(String),
    /// The document has the wrong shape.
    #[error("{0}")]
    Shape(String),
}

fn rego_input(
    action_type: &str,
    target: &str,
    operation: &str,
    mcp: Option<(&str, &str, &str)>,
) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("schema_version".into(), INPUT_SCHEMA.into());
    map.insert("action_type".into(), action_type.into());
    map.insert("target".into(), target.into());
    map.insert("requested_operation".into(), operation.into());
    if let Some((server, tool, capability)) = mcp {
        map.insert("server".into(), server.into());
        map.insert("tool".into(), tool.into());
        map.insert("capability".into(), capability.into());
    }
    serde_json::Value::Object(map)
}

/// CAVRA's six default fixtures (`build_default_rego_parity_fixtures`).
pub fn default_fixtures() -> Vec<serde_json::Value> {
    let fixture = |case_id: &str, input: serde_json::Value, expected: &str| {
        let mut map = serde_json::Map::new();
        map.insert("case_id".into(), case_id.into());
        map.insert("input".into(), input);
        map.insert("expected_decision".into(), expected.into());
        serde_json::Value::Object(map)
    };
    vec![
        fixture(
            "block_env_read",
            rego_input("read_file", ".env", "read", None),
            "block",
        ),
        fixture(
            "approval_policy_write",
            rego_input(
                "write_file",
                "policies/cavra-ai-agent-baseline/policy.yaml",
                "write",
                None,
            ),
            "require_approval",
        ),
        fixture(
            "allow_terraform_plan",
            rego_input("execute_command", "terraform plan", "terraform plan", None),
            "allow",
        ),
        fixture(
            "block_terraform_apply",
            rego_input(
                "execute_command",
                "terraform apply -auto-approve",
                "terraform apply -auto-approve",
                None,
            ),
            "block",
        ),
        fixture(
            "block_protected_branch_push",
            rego_input("git_operation", "origin/main", "push", None),
            "block",
        ),
        fixture(
            "block_unknown_mcp_server",
            rego_input(
                "mcp_tool_call",
                "unknown-filesystem:read_file",
                "filesystem",
                Some(("unknown-filesystem", "read_file", "filesystem")),
            ),
            "block",
        ),
    ]
}

/// The case id CAVRA reports for the fixture at `index`.
pub fn case_id(fixture: &serde_json::Value, index: usize) -> String {
    match fixture.as_object().and_then(|map| map.get("case_id")) {
        Some(id) => json_str(id).into_owned(),
        None => format!("case_{}", index + 1),
    }
}

/// Runs a dry run of `policy` (the loaded pack) over `actions`, or the defaults when `actions`
/// is `None` or empty.
pub fn build_dry_run_report(
    policy: &Value,
    actions: Option<&[serde_json::Value]>,
    policy_pack: &str,
) -> DryRunReport {
    build_dry_run_report_compiled(&CompiledPolicy::from_value(policy), actions, policy_pack)
}

/// [`build_dry_run_report`] with an already compiled policy.
pub fn build_dry_run_report_compiled(
    compiled: &CompiledPolicy,
    actions: Option<&[serde_json::Value]>,
    policy_pack: &str,
) -> DryRunReport {
    let defaults;
    let fixtures: &[serde_json::Value] = match actions {
        Some(list) if !list.is_empty() => list,
        _ => {
            defaults = default_fixtures();
            &defaults
        }
    };
    let results: Vec<DryRunResult> = fixtures
        .iter()
        .enumerate()
        .map(|(index, fixture)| {
            let object = fixture.as_object();
            let input = match object.and_then(|map| map.get("input")) {
                Some(input @ serde_json::Value::Object(_)) => input.clone(),
                _ => fixture.clone(),
            };
            let expected = object
                .and_then(|map| map.get("expected_decision"))
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            let request = RequestBuf::from_json(&input);
            let decision = compiled.decide(&request.as_request());
            let passed =
                expected.is_null() || expected.as_str() == Some(decision.decision.as_str());
            DryRunResult {
                case_id: case_id(fixture, index),
                input,
                expected_decision: expected,
                decision: decision.to_cavra(),
                passed,
            }
        })
        .collect();
    let failed_count = results.iter().filter(|r| !r.passed).count();
    let required_cases_present = REQUIRED_CASE_IDS
        .iter()
        .all(|id| results.iter().any(|r| r.case_id == *id));
    DryRunReport {
        schema_version: DRY_RUN_REPORT_SCHEMA.to_owned(),
        policy_pack: policy_pack.to_owned(),
        case_count: results.len(),
        passed_count: results.len() - failed_count,
        failed_count,
        required_cases_present,
        passed: failed_count == 0 && required_cases_present,
        results,
    }
}

/// Reads CAVRA's sample-actions JSON: a list of fixtures, or an object with an `actions` list.
pub fn fixtures_from_json(
    document: &serde_json::Value,
) -> Result<Vec<serde_json::Value>, FixturesError> {
    match document {
        serde_json::Value::Array(items) => Ok(items.clone()),
        serde_json::Value::Object(map) => match map.get("actions") {
            Some(serde_json::Value::Array(items)) => Ok(items.clone()),
            _ => Err(FixturesError::Shape(
                "sample actions must be a list or an object with an `actions` list".to_owned(),
            )),
        },
        _ => Err(FixturesError::Shape(
            "sample actions must be a list or an object with an `actions` list".to_owned(),
        )),
    }
}

/// Reads a `cases.yaml` document (see the module docs) into CAVRA fixtures. A top-level list of
/// cases is accepted too.
pub fn parse_cases_yaml(src: &str) -> Result<Vec<serde_json::Value>, FixturesError> {
    let document =
        crate::model::parse_value(src).map_err(|e| FixturesError::Yaml(e.to_string()))?;
    let cases: &[Value] = match &document {
        Value::List(items) => items.as_slice(),
        // A file declaring only invariants (`crate::invariants`) has no cases of its own.
        Value::Map(_)
            if document.get("cases").is_none()
                && ["must_block", "must_allow", "must_require_approval"]
                    .iter()
                    .any(|key| document.get(key).is_some()) =>
        {
            &[]
        }
        Value::Map(_) => document
            .get("cases")
            .and_then(Value::as_list)
            .ok_or_else(|| FixturesError::Shape("`cases` must be a list of cases".to_owned()))?,
        _ => {
            return Err(FixturesError::Shape(
                "a cases file holds `cases:`, a list of cases".to_owned(),
            ))
        }
    };
    cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            if !case.is_map() {
                return Err(FixturesError::Shape(format!(
                    "case {} must be a mapping with `input`",
                    index + 1
                )));
            }
            if !case.get("input").is_some_and(Value::is_map) {
                return Err(FixturesError::Shape(format!(
                    "case {} needs an `input` mapping",
                    index + 1
                )));
            }
            let mut map = serde_json::Map::new();
            for key in ["case_id", "input", "expected_decision"] {
                if let Some(value) = case.get(key) {
                    map.insert(key.to_owned(), value.to_json());
                }
            }
            Ok(serde_json::Value::Object(map))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_actions_fall_back_to_defaults() {
        let report = build_dry_run_report(&Value::Map(vec![]), Some(&[]), "p");
        assert_eq!(report.case_count, 6);
        assert!(report.required_cases_present);
        // An empty policy blocks nothing but the built-in git and MCP rules.
        assert_eq!(report.failed_count, 4);
    }

    #[test]
    fn non_object_input_echoes_the_fixture() {
        let fixture = serde_json::json!({"case_id": 7, "input": "x", "action_type": "read_file", "target": ".env"});
        let report = build_dry_run_report(
            &Value::Map(vec![]),
            Some(std::slice::from_ref(&fixture)),
            "p",
        );
        assert_eq!(report.results[0].case_id, "7");
        assert_eq!(report.results[0].input, fixture);
        assert!(report.results[0].passed);
        assert!(!report.passed);
    }
}
