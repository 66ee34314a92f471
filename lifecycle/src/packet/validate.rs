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

type Map = serde_json::Map<String, Json>;

/// `packet.get(key, {})` that must be an object for `.get` to work.
fn sub_object<'a>(packet: &'a Map, key: &str) -> Eval<Option<&'a Map>> {
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

fn field<'a>(map: Option<&'a Map>, key: &str) -> Option<&'a Json> {
    map.and_then(|m| m.get(key))
}

fn truthy(map: Option<&Map>, key: &str) -> bool {
    field(map, key).is_some_and(json_truthy)
}

/// Python `int(x)` for the JSON value types. Integers beyond `i128` saturate: the checks only
/// compare with 0 and 6, so a saturated value answers exactly as Python's big int does.
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
                        reason = "Python int() truncates floats; beyond i128 it saturates (see above)"
                    )]
                    let truncated = f.trunc() as i128;
                    Ok(truncated)
                } else {
                    Err(format!("`{what}` cannot be converted to an integer"))
                }
            }
        }
        Json::String(s) => parse_python_int(s).map_err(|why| format!("`{what}` {why}")),
        other => Err(format!("`{what}` is {}, not an integer", kind(other))),
    }
}

/// CPython's `sys.int_info.default_max_str_digits`: `int(str)` refuses more digits than this
/// (Python 3.11+, CAVRA's CI runs 3.12).
const PYTHON_MAX_STR_DIGITS: usize = 4300;

/// The zero of each run of ten Unicode decimal digits (general category Nd, Unicode 15.0 as in
/// Python 3.12): `int()` accepts any of them, e.g. `int("٦") == 6`.
const DECIMAL_ZEROS: [u32; 68] = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x11f50, 0x16a60, 0x16ac0,
    0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e4f0, 0x1e950,
    0x1fbf0,
];

/// The value of a Unicode decimal digit (Python's `unicodedata.decimal`).
fn decimal_digit(c: char) -> Option<u32> {
    let code = u32::from(c);
    let index = DECIMAL_ZEROS.partition_point(|&zero| zero <= code);
    let zero = DECIMAL_ZEROS.get(index.checked_sub(1)?)?;
    let digit = code - zero;
    (digit < 10).then_some(digit)
}

/// Python `int(str)`: surrounding whitespace, an optional sign, decimal digits (any script)
/// with single underscores between them, at most 4300 of them. The error completes a sentence
/// starting with the field name.
fn parse_python_int(text: &str) -> Eval<i128> {
    let invalid = || format!("is not an integer: invalid literal `{text}`");
    let stripped = crate::decide::python::python_strip(text);
    let (negative, digits) = match stripped.as_bytes().first() {
        Some(b'-') => (true, stripped.get(1..).ok_or_else(invalid)?),
        Some(b'+') => (false, stripped.get(1..).ok_or_else(invalid)?),
        _ => (false, stripped),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Err(invalid());
    }
    let mut value: i128 = 0;
    let mut count = 0usize;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let digit = decimal_digit(c).ok_or_else(invalid)?;
        count += 1;
        value = value.saturating_mul(10).saturating_add(i128::from(digit));
    }
    if count > PYTHON_MAX_STR_DIGITS {
        return Err(format!(
            "has {count} digits, more than Python's int() accepts ({PYTHON_MAX_STR_DIGITS})"
        ));
    }
    Ok(if negative { -value } else { value })
}

/// `int(map.get(key, default))`.
fn int_field(map: Option<&Map>, section: &str, key: &str, default: i128) -> Eval<i128> {
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

fn len_field(map: Option<&Map>, section: &str, key: &str) -> Eval<usize> {
    match field(map, key) {
        None => Ok(0),
        Some(value) => python_len(value, &format!("{section}.{key}")),
    }
}

/// `set(required) <= set(x)`, without building the set: one pass over `x` that fails, as
/// `set()` does, on any member that cannot be hashed. Non-string members can never equal a
/// required name (`1 == True` is no string), and a string's members are its characters.
fn python_set_contains_all(value: &Json, required: &[&str], what: &str) -> Eval<bool> {
    match value {
        Json::Array(items) => {
            let mut found = vec![false; required.len()];
            for item in items {
                match item {
                    Json::String(s) => {
                        if let Some(index) = required.iter().position(|r| r == s) {
                            if let Some(slot) = found.get_mut(index) {
                                *slot = true;
                            }
                        }
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
            Ok(found.iter().all(|f| *f))
        }
        Json::Object(map) => Ok(required.iter().all(|r| map.contains_key(*r))),
        Json::String(s) => Ok(required
            .iter()
            .all(|r| r.chars().count() == 1 && s.contains(r))),
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
    fn push(&mut self, status: CheckStatus, name: &str, message: &str, detail: Option<String>) {
        match status {
            CheckStatus::Pass => {}
            CheckStatus::Blocker => self.blockers += 1,
            CheckStatus::Warn => self.warnings += 1,
        }
        self.checks.push(ReadinessCheck {
            name: name.to_owned(),
            status,
            message: message.to_owned(),
            detail,
        });
    }

    fn check(&mut self, outcome: Eval<bool>, name: &str, message: &str) {
        match outcome {
            Ok(true) => self.push(CheckStatus::Pass, name, message, None),
            Ok(false) => self.push(CheckStatus::Blocker, name, message, None),
            Err(detail) => self.push(CheckStatus::Blocker, name, message, Some(detail)),
        }
    }
}

/// Validates a readiness packet. Never panics, whatever the JSON; always eleven checks.
///
/// Any JSON value is judged, not refused: a top-level value that is not an object (CAVRA raises
/// on its first `packet.get`) makes every check a blocker whose detail says so, the evidence
/// mode included (it cannot be read, so it is reported as the default `sample`).
pub fn validate_packet(packet: &Json, require_live: bool) -> ReadinessResult {
    let mut c = Checks {
        checks: Vec::with_capacity(11),
        blockers: 0,
        warnings: 0,
    };
    let root: Eval<&Map> = packet
        .as_object()
        .ok_or_else(|| format!("the packet is {}, not an object", kind(packet)));
    // Every check reads the packet first; `?` turns a non-object packet into its detail.
    let packet = || root.clone();

    c.check(
        packet().map(|p| p.get("schema_version").and_then(Json::as_str) == Some(READINESS_SCHEMA)),
        "schema_version",
        "Policy lifecycle evidence packet schema is valid.",
    );

    let evidence_mode = packet().map(|p| {
        p.get("evidence_mode")
            .map_or_else(|| "sample".to_owned(), |mode| json_str(mode).into_owned())
    });
    let (evidence_mode, unreadable) = match evidence_mode {
        Ok(mode) => (mode, None),
        Err(detail) => ("sample".to_owned(), Some(detail)),
    };
    let (status, message) = if evidence_mode == "live" {
        (
            CheckStatus::Pass,
            "Live policy lifecycle evidence packet supplied.",
        )
    } else if require_live {
        (
            CheckStatus::Blocker,
            "Live policy lifecycle evidence is required for this gate.",
        )
    } else {
        (
            CheckStatus::Warn,
            "Sample policy lifecycle packet validates contract shape only.",
        )
    };
    match unreadable {
        None => c.push(status, "evidence_mode", message, None),
        Some(detail) => c.push(CheckStatus::Blocker, "evidence_mode", message, Some(detail)),
    }

    c.check(
        (|| match packet()?.get("lifecycle_capabilities") {
            None => Ok(false),
            Some(value) => {
                python_set_contains_all(value, &REQUIRED_CAPABILITIES, "lifecycle_capabilities")
            }
        })(),
        "lifecycle_capabilities",
        "Required policy lifecycle capabilities are present.",
    );

    c.check(
        (|| {
            let authoring = sub_object(packet()?, "authoring_ui_contract")?;
            Ok(truthy(authoring, "review_workflow_ref")
                && len_field(authoring, "authoring_ui_contract", "required_surfaces")? >= 6)
        })(),
        "authoring_ui_contract",
        "Authoring UI contract covers editor, lint, simulation, approval, and rollback surfaces.",
    );

    c.check(
        (|| {
            let lint = sub_object(packet()?, "lint_report")?;
            Ok(truthy(lint, "valid") && int_field(lint, "lint_report", "blocker_count", 1)? == 0)
        })(),
        "lint_report",
        "Policy lint has no blockers.",
    );

    c.check(
        (|| {
            let version = sub_object(packet()?, "version_manifest")?;
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
            let shadow = sub_object(packet()?, "shadow_mode_plan")?;
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
            // CAVRA tests `isinstance(dry_run, dict)` here, so no other type raises.
            let dry_run_map = packet()?.get("dry_run_report").and_then(Json::as_object);
            let covered = match dry_run_map {
                None => false,
                Some(map) => dry_run_covers_required(map.get("results"))?,
            };
            if !covered {
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
            let rollback = sub_object(packet()?, "rollback_plan")?;
            Ok(truthy(rollback, "rollback_ref")
                && truthy(rollback, "approval_required")
                && len_field(rollback, "rollback_plan", "steps")? >= 4)
        })(),
        "rollback_plan",
        "Rollback plan is approval-gated and executable.",
    );

    c.check(
        (|| {
            let approval = sub_object(packet()?, "approval_workflow")?;
            if !(truthy(approval, "approval_required")
                && truthy(approval, "review_workflow_ref")
                && truthy(approval, "approver_groups"))
            {
                return Ok(false);
            }
            match field(approval, "required_evidence") {
                None => Ok(false),
                Some(value) => python_set_contains_all(
                    value,
                    &["dry_run_report"],
                    "approval_workflow.required_evidence",
                ),
            }
        })(),
        "approval_workflow",
        "Approval workflow requires reviewers and lifecycle evidence.",
    );

    c.check(
        (|| {
            let operating = sub_object(packet()?, "operating_evidence")?;
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

/// `REQUIRED <= {str(item.get("case_id")) for item in dry_run.get("results", [])}`. Every item
/// is visited (the set is built before the comparison), so any non-object item raises; only a
/// string `case_id` can equal a required id (`str()` of anything else is `None`, `1`, `[…]`…).
fn dry_run_covers_required(results: Option<&Json>) -> Eval<bool> {
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
    let mut found = [false; REQUIRED_CASE_IDS.len()];
    for item in items {
        let Json::Object(map) = item else {
            return Err(format!(
                "`dry_run_report.results` holds {}, not an object",
                kind(item)
            ));
        };
        if let Some(Json::String(id)) = map.get("case_id") {
            if let Some(index) = REQUIRED_CASE_IDS.iter().position(|r| r == id) {
                if let Some(slot) = found.get_mut(index) {
                    *slot = true;
                }
            }
        }
    }
    Ok(found.iter().all(|f| *f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_conversions() {
        assert_eq!(parse_python_int(" 6 "), Ok(6));
        assert_eq!(parse_python_int("-0"), Ok(0));
        assert_eq!(parse_python_int("1_000"), Ok(1000));
        assert_eq!(parse_python_int("\u{663}"), Ok(3), "Arabic-Indic three");
        assert_eq!(
            parse_python_int("\u{ff11}\u{ff12}"),
            Ok(12),
            "fullwidth digits"
        );
        assert_eq!(
            parse_python_int(&"9".repeat(60)),
            Ok(i128::MAX),
            "saturates"
        );
        assert_eq!(
            parse_python_int(&format!("-{}", "9".repeat(60))),
            Ok(-i128::MAX)
        );
        assert_eq!(parse_python_int(&"0".repeat(4300)), Ok(0));
        assert!(
            parse_python_int(&"0".repeat(4301)).is_err(),
            "CPython's digit limit"
        );
        for bad in [
            "6.0", "_1", "1_", "1__0", "", "+", "- 6", "0x6", "\u{bd}", "six",
        ] {
            assert!(parse_python_int(bad).is_err(), "{bad:?}");
        }
        assert_eq!(python_int(&serde_json::json!(6.9), "x"), Ok(6));
        assert_eq!(python_int(&serde_json::json!(1e300), "x"), Ok(i128::MAX));
        assert!(python_int(&serde_json::json!(null), "x").is_err());
    }

    #[test]
    fn decimal_digits_are_runs_of_ten() {
        assert!(
            DECIMAL_ZEROS.windows(2).all(|w| w[0] + 10 <= w[1]),
            "sorted, disjoint"
        );
        assert_eq!(decimal_digit('0'), Some(0));
        assert_eq!(decimal_digit('9'), Some(9));
        assert_eq!(decimal_digit('/'), None);
        assert_eq!(decimal_digit(':'), None);
        assert_eq!(decimal_digit('\u{1fbf9}'), Some(9));
        assert_eq!(decimal_digit('\u{1fbfa}'), None);
    }
}
