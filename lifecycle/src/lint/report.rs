//! CAVRA's lint report (`lint_policy_lifecycle` in `policy_lifecycle.py`), issue for issue.
//!
//! Issues come in CAVRA's order: schema errors (sorted by path), missing metadata fields, no
//! control section, malformed rule lists, missing allow-list, missing read blocks. Each issue
//! also records where it points, so [`crate::lint::lint_source`] can place it in the text.

use serde::{Deserialize, Serialize};

use super::rules::{
    allow_list_missing, block_read_missing, controls_missing, invalid_string_list,
    metadata_field_missing, schema_error,
};
use super::schema::{self, Focus, PathSeg};
use crate::diagnostic::{RuleInfo, Severity};
use crate::sections::CONTROL_SECTIONS;
use crate::value::Value;

/// The report's `schema_version`.
pub const LINT_REPORT_SCHEMA: &str = "cavra.policy-lifecycle.lint-report.v1";

/// CAVRA's lint report. Serializes with CAVRA's field names and order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LintReport {
    /// Always [`LINT_REPORT_SCHEMA`].
    pub schema_version: String,
    /// `blocker_count == 0`.
    pub valid: bool,
    /// Issues with severity `blocker`.
    pub blocker_count: usize,
    /// Issues with severity `warning`.
    pub warning_count: usize,
    /// All issues.
    pub issue_count: usize,
    /// The issues, in CAVRA's order.
    pub issues: Vec<LintIssue>,
    /// The full summary when there are no blockers, the safe one otherwise.
    pub summary: LintSummary,
}

/// One issue of CAVRA's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintIssue {
    /// `blocker` or `warning`.
    pub severity: Severity,
    /// CAVRA's code (`schema_error`, `metadata.id.missing`, …).
    pub code: String,
    /// CAVRA's message.
    pub message: String,
}

/// The report's `summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LintSummary {
    /// `summarize_policy`: used when the report has no blockers.
    Full(PolicySummary),
    /// `_safe_policy_summary`: used when it has blockers.
    Safe(SafeSummary),
}

/// CAVRA's `summarize_policy`. Metadata values are kept as loaded (absent → `null`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicySummary {
    /// `metadata.id`.
    #[serde(with = "value_as_json")]
    pub policy_id: Value,
    /// `metadata.title`.
    #[serde(with = "value_as_json")]
    pub title: Value,
    /// `metadata.version`.
    #[serde(with = "value_as_json")]
    pub version: Value,
    /// `metadata.inherits`.
    #[serde(with = "value_as_json")]
    pub inherits: Value,
    /// `metadata.mode`, `"enforce"` when absent (but `null` when written as `null`).
    #[serde(with = "value_as_json")]
    pub mode: Value,
    /// Rule counts per section.
    pub rule_counts: RuleCounts,
}

/// CAVRA's `_safe_policy_summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SafeSummary {
    /// `metadata.id`.
    #[serde(with = "value_as_json")]
    pub policy_id: Value,
    /// `metadata.title`.
    #[serde(with = "value_as_json")]
    pub title: Value,
    /// `metadata.version`.
    #[serde(with = "value_as_json")]
    pub version: Value,
    /// `metadata.mode`, `"enforce"` when absent.
    #[serde(with = "value_as_json")]
    pub mode: Value,
}

/// `_count_rules` per section: a list counts its length, a mapping the sum over its values, a
/// scalar 1 when truthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs, reason = "the fields are the section names")]
pub struct RuleCounts {
    pub filesystem: u64,
    pub commands: u64,
    pub git: u64,
    pub mcp: u64,
    pub approvals: u64,
    pub evidence: u64,
    pub compliance: u64,
}

/// Serde for summary values: through JSON (`NaN` becomes `null` there; use
/// [`LintReport::to_value`] for Python's exact output).
mod value_as_json {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::value::Value;

    pub fn serialize<S: Serializer>(value: &Value, serializer: S) -> Result<S::Ok, S::Error> {
        value.to_json().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        let json = serde_json::Value::deserialize(deserializer)?;
        Ok(Value::from_json(&json))
    }
}

fn str_key(key: &str) -> Value {
    Value::Str(key.to_owned())
}

impl LintReport {
    /// The report as a loaded value in CAVRA's key order, for [`crate::json::python_pretty_value`].
    pub fn to_value(&self) -> Value {
        let issues = self
            .issues
            .iter()
            .map(|issue| {
                Value::Map(vec![
                    (str_key("severity"), str_key(issue.severity.as_str())),
                    (str_key("code"), Value::Str(issue.code.clone())),
                    (str_key("message"), Value::Str(issue.message.clone())),
                ])
            })
            .collect();
        let count = |n: usize| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
        Value::Map(vec![
            (
                str_key("schema_version"),
                Value::Str(self.schema_version.clone()),
            ),
            (str_key("valid"), Value::Bool(self.valid)),
            (str_key("blocker_count"), count(self.blocker_count)),
            (str_key("warning_count"), count(self.warning_count)),
            (str_key("issue_count"), count(self.issue_count)),
            (str_key("issues"), Value::List(issues)),
            (str_key("summary"), self.summary.to_value()),
        ])
    }

    /// The report exactly as CAVRA writes it: `json.dumps(report, indent=2) + "\n"`.
    pub fn to_python_json(&self) -> String {
        crate::json::python_pretty_value(&self.to_value())
    }
}

impl LintSummary {
    /// The summary as a loaded value in CAVRA's key order.
    pub fn to_value(&self) -> Value {
        match self {
            LintSummary::Full(full) => full.to_value(),
            LintSummary::Safe(safe) => Value::Map(vec![
                (str_key("policy_id"), safe.policy_id.clone()),
                (str_key("title"), safe.title.clone()),
                (str_key("version"), safe.version.clone()),
                (str_key("mode"), safe.mode.clone()),
            ]),
        }
    }
}

impl PolicySummary {
    /// The summary as a loaded value in CAVRA's key order.
    pub fn to_value(&self) -> Value {
        let c = &self.rule_counts;
        let count = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
        Value::Map(vec![
            (str_key("policy_id"), self.policy_id.clone()),
            (str_key("title"), self.title.clone()),
            (str_key("version"), self.version.clone()),
            (str_key("inherits"), self.inherits.clone()),
            (str_key("mode"), self.mode.clone()),
            (
                str_key("rule_counts"),
                Value::Map(vec![
                    (str_key("filesystem"), count(c.filesystem)),
                    (str_key("commands"), count(c.commands)),
                    (str_key("git"), count(c.git)),
                    (str_key("mcp"), count(c.mcp)),
                    (str_key("approvals"), count(c.approvals)),
                    (str_key("evidence"), count(c.evidence)),
                    (str_key("compliance"), count(c.compliance)),
                ]),
            ),
        ])
    }
}

/// CAVRA's `summarize_policy` (also used for the publish plan's draft summary).
///
/// CAVRA crashes when `metadata` is present but not a mapping; we read it as empty.
pub fn summarize_policy(policy: &Value) -> PolicySummary {
    let metadata = policy.get("metadata");
    let field = |name: &str| {
        metadata
            .and_then(|m| m.get(name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let count = |name: &str| policy.get(name).map(count_rules).unwrap_or(0);
    PolicySummary {
        policy_id: field("id"),
        title: field("title"),
        version: field("version"),
        inherits: field("inherits"),
        mode: mode_or_default(metadata),
        rule_counts: RuleCounts {
            filesystem: count("filesystem"),
            commands: count("commands"),
            git: count("git"),
            mcp: count("mcp"),
            approvals: count("approvals"),
            evidence: count("evidence"),
            compliance: count("compliance"),
        },
    }
}

/// `metadata.get("mode", "enforce")`: the default applies only when the key is absent.
fn mode_or_default(metadata: Option<&Value>) -> Value {
    match metadata.and_then(|m| m.get("mode")) {
        Some(mode) => mode.clone(),
        None => Value::Str("enforce".to_owned()),
    }
}

/// CAVRA's `_count_rules`.
pub fn count_rules(value: &Value) -> u64 {
    match value {
        Value::List(items) => u64::try_from(items.len()).unwrap_or(u64::MAX),
        Value::Map(entries) => entries
            .iter()
            .map(|(_, item)| count_rules(item))
            .fold(0u64, u64::saturating_add),
        scalar => u64::from(scalar.truthy()),
    }
}

/// `_safe_policy_summary`.
fn safe_summary(policy: &Value) -> SafeSummary {
    let metadata = policy.get("metadata").filter(|m| m.is_map());
    let field = |name: &str| {
        metadata
            .and_then(|m| m.get(name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    SafeSummary {
        policy_id: field("id"),
        title: field("title"),
        version: field("version"),
        mode: mode_or_default(metadata),
    }
}

/// Where an issue points, as a path into the document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    /// The whole document.
    Document,
    /// The value at the path.
    Value(Vec<PathSeg>),
    /// The key of the entry at the path.
    Key(Vec<PathSeg>),
    /// A key inside the mapping at the path.
    ChildKey(Vec<PathSeg>, Value),
}

/// A CAVRA issue with the rule it maps to and where it points.
#[derive(Debug, Clone)]
pub(crate) struct CavraIssue {
    pub issue: LintIssue,
    pub rule: &'static RuleInfo,
    pub target: Target,
}

fn key_path(keys: &[&str]) -> Vec<PathSeg> {
    keys.iter().map(|k| PathSeg::Key(str_key(k))).collect()
}

fn as_map(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| v.is_map())
}

/// CAVRA's issues for a loaded policy, in CAVRA's order.
pub(crate) fn cavra_issues(policy: &Value) -> Vec<CavraIssue> {
    let mut issues = Vec::new();
    let mut add = |severity: Severity,
                   code: String,
                   message: String,
                   rule: &'static RuleInfo,
                   target: Target| {
        issues.push(CavraIssue {
            issue: LintIssue {
                severity,
                code,
                message,
            },
            rule,
            target,
        });
    };

    for error in schema::validate(policy) {
        let target = match &error.focus {
            Focus::Value => Target::Value(error.path.clone()),
            Focus::MissingKey if error.path.is_empty() => Target::Document,
            Focus::MissingKey => Target::Key(error.path.clone()),
            Focus::ExtraKey(key) => Target::ChildKey(error.path.clone(), key.clone()),
        };
        add(
            Severity::Blocker,
            "schema_error".to_owned(),
            error.formatted(),
            &schema_error::RULE,
            target,
        );
    }

    let metadata = as_map(policy.get("metadata"));
    for field in ["id", "title", "description", "version"] {
        let value = metadata.and_then(|m| m.get(field));
        if !value.is_some_and(Value::truthy) {
            let target = match (metadata, value) {
                (Some(_), Some(_)) => Target::Value(key_path(&["metadata", field])),
                (Some(_), None) => Target::Key(key_path(&["metadata"])),
                (None, _) if policy.get("metadata").is_some() => {
                    Target::Value(key_path(&["metadata"]))
                }
                (None, _) => Target::Document,
            };
            add(
                Severity::Blocker,
                format!("metadata.{field}.missing"),
                format!("metadata.{field} is required."),
                &metadata_field_missing::RULE,
                target,
            );
        }
    }

    if !CONTROL_SECTIONS
        .iter()
        .any(|section| as_map(policy.get(section)).is_some_and(Value::truthy))
    {
        add(
            Severity::Blocker,
            "policy.controls.missing".to_owned(),
            "At least one policy control section must be populated.".to_owned(),
            &controls_missing::RULE,
            Target::Document,
        );
    }

    for (section, field) in [
        ("filesystem", "block_read"),
        ("filesystem", "block_write"),
        ("filesystem", "require_approval_write"),
        ("commands", "block"),
        ("commands", "allow"),
        ("mcp", "allowed_servers"),
        ("mcp", "blocked_servers"),
    ] {
        let Some(value) = as_map(policy.get(section)).and_then(|s| s.get(field)) else {
            continue;
        };
        let target = match value {
            Value::List(items) => match items.iter().position(|item| !is_non_blank_string(item)) {
                None => continue,
                Some(index) => {
                    let mut path = key_path(&[section, field]);
                    path.push(PathSeg::Index(index));
                    Target::Value(path)
                }
            },
            _ => Target::Value(key_path(&[section, field])),
        };
        add(
            Severity::Blocker,
            format!("{section}.{field}.invalid"),
            format!("{section}.{field} must be a list of non-empty strings."),
            &invalid_string_list::RULE,
            target,
        );
    }

    let commands = as_map(policy.get("commands"));
    let block = commands.and_then(|c| c.get("block"));
    let allow = commands.and_then(|c| c.get("allow"));
    if block.is_some_and(Value::truthy) && !allow.is_some_and(Value::truthy) {
        let target = if allow.is_some() {
            Target::Key(key_path(&["commands", "allow"]))
        } else {
            Target::Key(key_path(&["commands", "block"]))
        };
        add(
            Severity::Warning,
            "commands.allow.missing".to_owned(),
            "Blocked commands are configured without an allow-list; dry runs may require extra approvals."
                .to_owned(),
            &allow_list_missing::RULE,
            target,
        );
    }

    let filesystem = as_map(policy.get("filesystem"));
    let block_read = filesystem.and_then(|f| f.get("block_read"));
    if !block_read.is_some_and(Value::truthy) {
        let target = if block_read.is_some() {
            Target::Key(key_path(&["filesystem", "block_read"]))
        } else if filesystem.is_some() {
            Target::Key(key_path(&["filesystem"]))
        } else {
            Target::Document
        };
        add(
            Severity::Warning,
            "filesystem.block_read.missing".to_owned(),
            "No sensitive read paths are blocked.".to_owned(),
            &block_read_missing::RULE,
            target,
        );
    }
    issues
}

/// `isinstance(item, str) and item.strip() != ""`, with Python's whitespace set.
fn is_non_blank_string(item: &Value) -> bool {
    match item {
        Value::Str(text) => text
            .chars()
            .any(|c| !(c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))),
        _ => false,
    }
}

/// Builds CAVRA's report from its issues.
pub(crate) fn build_report(policy: &Value, issues: &[CavraIssue]) -> LintReport {
    let issues: Vec<LintIssue> = issues.iter().map(|i| i.issue.clone()).collect();
    let blocker_count = issues
        .iter()
        .filter(|i| i.severity == Severity::Blocker)
        .count();
    let warning_count = issues
        .iter()
        .filter(|i| i.severity == Severity::Warning)
        .count();
    let summary = if blocker_count == 0 {
        LintSummary::Full(summarize_policy(policy))
    } else {
        LintSummary::Safe(safe_summary(policy))
    };
    LintReport {
        schema_version: LINT_REPORT_SCHEMA.to_owned(),
        valid: blocker_count == 0,
        blocker_count,
        warning_count,
        issue_count: issues.len(),
        issues,
        summary,
    }
}
