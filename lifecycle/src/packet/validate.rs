//! The readiness validator: CAVRA's `validate_policy_lifecycle_packet`, without its crashes.
//!
//! Eleven checks run in a fixed order; each reports `pass`, `blocker` or `warn` with a message
//! that does not depend on the outcome. Where CAVRA would raise (a sub-object that is not an
//! object, a count `int()` cannot convert, a list of unhashable items) the check becomes a blocker
//! and carries a `detail` saying why; `detail` is absent whenever CAVRA would not have crashed, so
//! the result for any packet CAVRA accepts is byte-identical to CAVRA's.
//!
//! Python's short-circuit `and` is kept: a later condition is not examined (and cannot add a
//! detail) once an earlier one fails.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::decide::python::{json_str, json_truthy};
use crate::dry_run::REQUIRED_CASE_IDS;

/// Schema id of a readiness packet.
pub const READINESS_SCHEMA: &str = "cavra.policy-lifecycle.readiness.v1";
/// Schema id of a readiness result.
pub const READINESS_RESULT_SCHEMA: &str = "cavra.policy-lifecycle.readiness-result.v1";

/// The capabilities a packet must list.
pub const REQUIRED_CAPABILITIES: [&str; 7] = [
    "authoring_ui_contract",
    "lint_report",
    "version_manifest",
    "shadow_mode_plan",
    "dry_run_report",
    "rollback_plan",
    "approval_workflow",
];

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// The condition holds.
    Pass,
    /// The packet is not ready.
    Blocker,
    /// Ready, with a caveat.
    Warn,
}

/// One readiness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReadinessCheck {
    /// The check name.
    pub name: String,
    /// The outcome.
    pub status: CheckStatus,
    /// CAVRA's message (the same whether the check passes or fails).
    pub message: String,
    /// Why the check could not be evaluated where CAVRA would have crashed; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The overall status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessStatus {
    /// No blockers, no warnings.
    Ready,
    /// No blockers, some warnings.
    ReadyWithWarnings,
    /// At least one blocker.
    Blocked,
}

/// A readiness result (`cavra.policy-lifecycle.readiness-result.v1`), in CAVRA's key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReadinessResult {
    /// Always `cavra.policy-lifecycle.readiness-result.v1`.
    pub schema_version: String,
    /// Always `CAVRA`.
    pub product: String,
    /// Python `str()` of the packet's `evidence_mode` (default `sample`).
    pub evidence_mode: String,
    /// No blockers.
    pub ready_for_policy_lifecycle_contract: bool,
    /// No blockers and the mode is `live`.
    pub ready_for_live_policy_lifecycle: bool,
    /// `blocked`, `ready_with_warnings` or `ready`.
    pub status: ReadinessStatus,
    /// Number of blocker checks.
    pub blocker_count: usize,
    /// Number of warning checks.
    pub warning_count: usize,
    /// The eleven checks, in order.
    pub checks: Vec<ReadinessCheck>,
}

impl ReadinessResult {
    /// CAVRA's exit rule: fail on any blocker, or when live readiness is required and missing.
    pub fn passes(&self, require_live: bool) -> bool {
        self.blocker_count == 0 && (!require_live || self.ready_for_live_policy_lifecycle)
    }
}

/// A condition that CAVRA could not evaluate (it would have raised).
type Eval<T> = Result<T, String>;

/// `packet.get(key, {})` that must be an object for `.get` to work.
fn sub_object<'a>(packet: &'a Json, key: &str) -> Eval<Option<&'a serde_json::Map<String, Json>>> {
    match packet.get(key) {
        None => Ok(None),
        Some(Json::Object(map)) => Ok(Some(map)),
        Some(other) => Err(format!("`{key}` is {}, not an object", kind(other))),
    }
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

fn field<'a>(map: Option<&'a serde_json::Map<String, Json>>, key: &str) -> Option<&'a Json> {
    map.and_then(|m| m.get(key))
}

fn truthy(map: Option<&serde_json::Map<String, Json>>, key: &str) -> bool {
    field(map, key).is_some_and(json_truthy)
}

/// Python `int(x)` for the JSON value types.
fn python_int(value: &Json, what: &str) -> Eval<i128> {
    match value {
        Json::Bool(b) => Ok(i128::from(*b)),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Ok(i128::from(u))
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.is_finite() {
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "Python int() truncates floats"
                    )]
                    let truncated = f.trunc() as i128;
                    Ok(truncated)
                } else {
                    Err(format!("`{what}` cannot be converted to an integer"))
                }
            }
        }
        Json::String(s) => parse_python_int(s)
            .ok_or_else(|| format!("`{what}` is not an integer: invalid literal `{s}`")),
        other => Err(format!("`{what}` is {}, not an integer", kind(other))),
    }
}

/// Python `int(str)`: surrounding whitespace, an optional sign, decimal digits with single
/// underscores between them.
fn parse_python_int(text: &str) -> Option<i128> {
    let text = crate::decide::python::python_strip(text);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut value: i128 = 0;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let digit = c.to_digit(10)?;
        value = value.checked_mul(10)?.checked_add(i128::from(digit))?;
    }
    Some(if negative { -value } else { value })
}

/// `int(map.get(key, default))`.
fn int_field(
    map: Option<&serde_json::Map<String, Json>>,
    section: &str,
    key: &str,
    default: i128,
) -> Eval<i128> {
    match field(map, key) {
        None => Ok(default),
        Some(value) => python_int(value, &format!("{section}.{key}")),
    }
}

/// Python `len(x)`.
fn python_len(value: &Json, what: &str) -> Eval<usize> {
    match value {
        Json::Array(items) => Ok(items.len()),
        Json::Object(map) => Ok(map.len()),
        Json::String(s) => Ok(s.chars().count()),
        other => Err(format!("`{what}` is {}, which has no length", kind(other))),
    }
}

fn len_field(map: Option<&serde_json::Map<String, Json>>, section: &str, key: &str) -> Eval<usize> {
    match field(map, key) {
        None => Ok(0),
        Some(value) => python_len(value, &format!("{section}.{key}")),
    }
}

/// Python `set(x)` as a set of strings (non-string members can never equal a required name).
fn python_set(value: &Json, what: &str) -> Eval<BTreeSet<String>> {
    match value {
        Json::Array(items) => {
            let mut set = BTreeSet::new();
            for item in items {
                match item {
                    Json::String(s) => {
                        set.insert(s.clone());
                    }
                    Json::Array(_) | Json::Object(_) => {
                        return Err(format!(
                            "`{what}` holds {}, which cannot be hashed",
                            kind(item)
                        ))
                    }
                    _ => {}
                }
            }
            Ok(set)
        }
        Json::Object(map) => Ok(map.keys().cloned().collect()),
        Json::String(s) => Ok(s.chars().map(String::from).collect()),
        other => Err(format!(
            "`{what}` is {}, which is not iterable",
            kind(other)
        )),
    }
}

struct Checks {
    checks: Vec<ReadinessCheck>,
    blockers: usize,
    warnings: usize,
}

impl Checks {
    fn check(&mut self, outcome: Eval<bool>, name: &str, message: &str) {
        let (ok, detail) = match outcome {
            Ok(ok) => (ok, None),
            Err(detail) => (false, Some(detail)),
        };
        if !ok {
            self.blockers += 1;
        }
        self.checks.push(ReadinessCheck {
            name: name.to_owned(),
            status: if ok {
                CheckStatus::Pass
            } else {
                CheckStatus::Blocker
            },
            message: message.to_owned(),
            detail,
        });
    }

    fn warn(&mut self, name: &str, message: &str) {
        self.warnings += 1;
        self.checks.push(ReadinessCheck {
            name: name.to_owned(),
            status: CheckStatus::Warn,
            message: message.to_owned(),
            detail: None,
        });
    }
}

/// Validates a readiness packet. Never panics, whatever the JSON.
pub fn validate_packet(packet: &Json, require_live: bool) -> ReadinessResult {
    let mut c = Checks {
        checks: Vec::with_capacity(11),
        blockers: 0,
        warnings: 0,
    };
    let not_object =
        (!packet.is_object()).then(|| format!("the packet is {}, not an object", kind(packet)));

    c.check(
        match &not_object {
            Some(detail) => Err(detail.clone()),
            None => {
                Ok(packet.get("schema_version").and_then(Json::as_str) == Some(READINESS_SCHEMA))
            }
        },
        "schema_version",
        "Policy lifecycle evidence packet schema is valid.",
    );

    let evidence_mode = packet
        .get("evidence_mode")
        .map_or_else(|| "sample".to_owned(), |mode| json_str(mode).into_owned());
    if evidence_mode == "live" {
        c.check(
            Ok(true),
            "evidence_mode",
            "Live policy lifecycle evidence packet supplied.",
        );
    } else if require_live {
        c.check(
            Ok(false),
            "evidence_mode",
            "Live policy lifecycle evidence is required for this gate.",
        );
    } else {
        c.warn(
            "evidence_mode",
            "Sample policy lifecycle packet validates contract shape only.",
        );
    }

    c.check(
        (|| {
            let capabilities = match packet.get("lifecycle_capabilities") {
                None => BTreeSet::new(),
                Some(value) => python_set(value, "lifecycle_capabilities")?,
            };
            Ok(REQUIRED_CAPABILITIES
                .iter()
                .all(|name| capabilities.contains(*name)))
        })(),
        "lifecycle_capabilities",
        "Required policy lifecycle capabilities are present.",
    );

    c.check(
        (|| {
            let authoring = sub_object(packet, "authoring_ui_contract")?;
            Ok(truthy(authoring, "review_workflow_ref")
                && len_field(authoring, "authoring_ui_contract", "required_surfaces")? >= 6)
        })(),
        "authoring_ui_contract",
        "Authoring UI contract covers editor, lint, simulation, approval, and rollback surfaces.",
    );

    c.check(
        (|| {
            let lint = sub_object(packet, "lint_report")?;
            Ok(truthy(lint, "valid") && int_field(lint, "lint_report", "blocker_count", 1)? == 0)
        })(),
        "lint_report",
        "Policy lint has no blockers.",
    );

    c.check(
        (|| {
            let version = sub_object(packet, "version_manifest")?;
            Ok([
                "policy_digest",
                "policy_version",
                "source_ref",
                "git_versioned",
            ]
            .iter()
            .all(|key| truthy(version, key)))
        })(),
        "version_manifest",
        "Policy version manifest is digest-backed and Git-versioned.",
    );

    c.check(
        (|| {
            let shadow = sub_object(packet, "shadow_mode_plan")?;
            if !(field(shadow, "mode").and_then(Json::as_str) == Some("shadow")
                && truthy(shadow, "non_enforcing")
                && truthy(shadow, "evidence_refs"))
            {
                return Ok(false);
            }
            match field(shadow, "promotion_criteria") {
                None => Ok(false),
                Some(Json::Object(criteria)) => {
                    Ok(criteria.get("approval_required").is_some_and(json_truthy))
                }
                Some(other) => Err(format!(
                    "`shadow_mode_plan.promotion_criteria` is {}, not an object",
                    kind(other)
                )),
            }
        })(),
        "shadow_mode_plan",
        "Shadow mode plan is non-enforcing and promotion-gated.",
    );

    c.check(
        (|| {
            let dry_run = packet.get("dry_run_report");
            let dry_run_map = dry_run.and_then(Json::as_object);
            let case_ids: BTreeSet<String> = match dry_run_map {
                None => BTreeSet::new(),
                Some(map) => dry_run_case_ids(map.get("results"))?,
            };
            if !REQUIRED_CASE_IDS.iter().all(|id| case_ids.contains(*id)) {
                return Ok(false);
            }
            Ok(
                int_field(dry_run_map, "dry_run_report", "case_count", 0)? >= 6
                    && int_field(dry_run_map, "dry_run_report", "failed_count", 1)? == 0,
            )
        })(),
        "dry_run_report",
        "Dry-run report covers required decisions with no failures.",
    );

    c.check(
        (|| {
            let rollback = sub_object(packet, "rollback_plan")?;
            Ok(truthy(rollback, "rollback_ref")
                && truthy(rollback, "approval_required")
                && len_field(rollback, "rollback_plan", "steps")? >= 4)
        })(),
        "rollback_plan",
        "Rollback plan is approval-gated and executable.",
    );

    c.check(
        (|| {
            let approval = sub_object(packet, "approval_workflow")?;
            if !(truthy(approval, "approval_required")
                && truthy(approval, "review_workflow_ref")
                && truthy(approval, "approver_groups"))
            {
                return Ok(false);
            }
            let evidence = match field(approval, "required_evidence") {
                None => BTreeSet::new(),
                Some(value) => python_set(value, "approval_workflow.required_evidence")?,
            };
            Ok(evidence.contains("dry_run_report"))
        })(),
        "approval_workflow",
        "Approval workflow requires reviewers and lifecycle evidence.",
    );

    c.check(
        (|| {
            let operating = sub_object(packet, "operating_evidence")?;
            Ok(["ci_run_ref", "policy_review_ref", "ui_validation_ref"]
                .iter()
                .all(|key| truthy(operating, key)))
        })(),
        "operating_evidence",
        "Policy lifecycle operating evidence references are present.",
    );

    let ready_contract = c.blockers == 0;
    ReadinessResult {
        schema_version: READINESS_RESULT_SCHEMA.to_owned(),
        product: "CAVRA".to_owned(),
        ready_for_policy_lifecycle_contract: ready_contract,
        ready_for_live_policy_lifecycle: ready_contract && evidence_mode == "live",
        evidence_mode,
        status: if c.blockers > 0 {
            ReadinessStatus::Blocked
        } else if c.warnings > 0 {
            ReadinessStatus::ReadyWithWarnings
        } else {
            ReadinessStatus::Ready
        },
        blocker_count: c.blockers,
        warning_count: c.warnings,
        checks: c.checks,
    }
}

/// `{str(item.get("case_id")) for item in dry_run.get("results", [])}`.
fn dry_run_case_ids(results: Option<&Json>) -> Eval<BTreeSet<String>> {
    let items: &[Json] = match results {
        None => &[],
        Some(Json::Array(items)) => items,
        Some(Json::String(s)) if s.is_empty() => &[],
        Some(Json::Object(map)) if map.is_empty() => &[],
        Some(other) => {
            return Err(format!(
                "`dry_run_report.results` is {}, not a list of objects",
                kind(other)
            ))
        }
    };
    items
        .iter()
        .map(|item| match item {
            Json::Object(map) => Ok(map
                .get("case_id")
                .map_or_else(|| "None".to_owned(), |id| json_str(id).into_owned())),
            other => Err(format!(
                "`dry_run_report.results` holds {}, not an object",
                kind(other)
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_conversions() {
        assert_eq!(parse_python_int(" 6 "), Some(6));
        assert_eq!(parse_python_int("-0"), Some(0));
        assert_eq!(parse_python_int("1_000"), Some(1000));
        assert_eq!(parse_python_int("6.0"), None);
        assert_eq!(parse_python_int("_1"), None);
        assert_eq!(parse_python_int(""), None);
        assert_eq!(python_int(&serde_json::json!(6.9), "x"), Ok(6));
        assert!(python_int(&serde_json::json!(null), "x").is_err());
    }
}
