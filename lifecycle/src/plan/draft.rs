//! The publish draft and its approval request: CAVRA's `_draft_payload_from_policy`,
//! `build_policy_pack_draft`, `build_policy_pack_publish_plan` and
//! `build_policy_publish_decision`.
//!
//! The draft is a rebuilt policy: `metadata{id, title, description, version}` as strings
//! (defaults `policy-draft`, `Policy Draft`, `Policy lifecycle draft.`, `0.0.0` when absent; a
//! present but falsy version becomes the publish date `YYYY.MM.DD`), `inherits` and `mode` when
//! truthy, and the control sections that are mappings. Other keys are dropped.
//!
//! Where CAVRA raises (id, title or description falsy; a draft that fails the schema) we return a
//! plan marked invalid, with the reason in `errors` and a `block` publish decision.

use crate::decide::python::value_str;
use crate::diff::{semantic_diff, SemanticDiff};
use crate::digest::{policy_digest, short_digest};
use crate::sections::RULE_SECTIONS;
use crate::value::Value;

use super::artifacts::{PolicySummary, PublishDecision, PublishPlan, RuleCounts};

/// The error CAVRA raises when a draft lacks id, title or description.
pub const DRAFT_FIELDS_ERROR: &str = "policy draft requires id, title, and description";

/// A rebuilt draft.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The draft policy.
    pub policy: Value,
    /// Errors (CAVRA's schema messages, led by [`DRAFT_FIELDS_ERROR`] when CAVRA would raise).
    pub errors: Vec<String>,
}

impl Draft {
    /// Whether the draft can be published.
    pub fn valid(&self) -> bool {
        self.errors.is_empty()
    }
}

fn key(text: &str) -> Value {
    Value::Str(text.to_owned())
}

/// The metadata mapping, or nothing when it is absent or not a mapping.
pub(crate) fn metadata(policy: &Value) -> Option<&Value> {
    policy.get("metadata").filter(|m| m.is_map())
}

/// `policy.get("metadata", {}).get(key)`.
pub(crate) fn meta<'a>(policy: &'a Value, field: &str) -> Option<&'a Value> {
    metadata(policy).and_then(|m| m.get(field))
}

/// `str(policy.get("metadata", {}).get(key, default))`.
pub(crate) fn meta_str(policy: &Value, field: &str, default: &str) -> String {
    meta(policy, field).map_or_else(|| default.to_owned(), |v| value_str(v).into_owned())
}

/// Rebuilds the draft CAVRA publishes. `publish_date` (`YYYY.MM.DD`) replaces a falsy version.
pub fn build_draft(policy: &Value, publish_date: &str) -> Draft {
    let field = |name: &str, default: &str| -> Value {
        meta(policy, name).cloned().unwrap_or_else(|| key(default))
    };
    let id = field("id", "policy-draft");
    let title = field("title", "Policy Draft");
    let description = field("description", "Policy lifecycle draft.");
    let version = field("version", "0.0.0");
    let mut errors = Vec::new();
    if !id.truthy() || !title.truthy() || !description.truthy() {
        errors.push(DRAFT_FIELDS_ERROR.to_owned());
    }
    let version = if version.truthy() {
        value_str(&version).into_owned()
    } else {
        publish_date.to_owned()
    };
    let mut meta_entries = vec![
        (key("id"), key(&value_str(&id))),
        (key("title"), key(&value_str(&title))),
        (key("description"), key(&value_str(&description))),
        (key("version"), Value::Str(version)),
    ];
    for name in ["inherits", "mode"] {
        if let Some(value) = meta(policy, name).filter(|v| v.truthy()) {
            meta_entries.push((key(name), value.clone()));
        }
    }
    let mut entries = vec![(key("metadata"), Value::Map(meta_entries))];
    for section in RULE_SECTIONS {
        if let Some(value) = policy.get(section).filter(|v| v.is_map()) {
            entries.push((key(section), value.clone()));
        }
    }
    let draft = Value::Map(entries);
    errors.extend(schema_errors(&draft));
    Draft {
        policy: draft,
        errors,
    }
}

/// The JSON-schema messages CAVRA's `validate_policy` gives for `policy`.
pub fn schema_errors(policy: &Value) -> Vec<String> {
    super::lint_doc(policy)
        .issues
        .into_iter()
        .filter(|issue| issue.code == "schema_error")
        .map(|issue| issue.message)
        .collect()
}

/// CAVRA's `_count_rules`.
pub fn count_rules(value: &Value) -> u64 {
    match value {
        Value::List(items) => items.len() as u64,
        Value::Map(entries) => entries.iter().map(|(_, v)| count_rules(v)).sum(),
        scalar => u64::from(scalar.truthy()),
    }
}

/// CAVRA's `summarize_policy`.
pub fn summarize(policy: &Value) -> PolicySummary {
    let echo = |name: &str| meta(policy, name).map_or(serde_json::Value::Null, Value::to_json);
    let count = |section: &str| policy.get(section).map_or(0, count_rules);
    PolicySummary {
        policy_id: echo("id"),
        title: echo("title"),
        version: echo("version"),
        inherits: echo("inherits"),
        mode: meta(policy, "mode").map_or_else(|| "enforce".into(), Value::to_json),
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

/// CAVRA's `_policy_publish_risk`. `previous` is `None` when no previous policy was given at all
/// (an empty one still counts as given here, unlike everywhere else).
pub fn publish_risk(previous: Option<&Value>, diff: &SemanticDiff) -> &'static str {
    const SENSITIVE: [&str; 5] = ["approvals.", "git.", "mcp.", "evidence.", "compliance."];
    if previous.is_none() {
        return "high";
    }
    if !diff.removed.is_empty() {
        return "critical";
    }
    let touched = || diff.added.iter().chain(diff.changed.iter());
    if touched().any(|path| SENSITIVE.iter().any(|prefix| path.starts_with(prefix))) {
        return "high";
    }
    if touched().next().is_some() {
        return "medium";
    }
    "low"
}

fn publish_notes(risk: &str, valid: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if !valid {
        notes.push("Fix schema validation errors before requesting approval.".to_owned());
    }
    notes.push(
        "Publishing writes policy.yaml and policy.yaml.sig.json only after approval.".to_owned(),
    );
    notes.push(
        "The approval request is bound to the draft policy digest to prevent approving one draft and publishing another."
            .to_owned(),
    );
    if matches!(risk, "high" | "critical") {
        notes.push("Security or platform approval is required before write-back.".to_owned());
    }
    notes
}

/// `build_policy_pack_publish_plan(_draft_payload_from_policy(policy), current_policy=previous)`.
pub fn build_publish_plan(
    policy: &Value,
    previous: Option<&Value>,
    generated_at: &str,
) -> (PublishPlan, Draft) {
    let publish_date = generated_at
        .get(..10)
        .map(|date| date.replace('-', "."))
        .unwrap_or_default();
    let draft = build_draft(policy, &publish_date);
    let previous_given = previous.filter(|p| p.truthy());
    let diff =
        previous_given.map_or_else(SemanticDiff::default, |p| semantic_diff(p, &draft.policy));
    let risk = publish_risk(previous, &diff);
    let policy_id = meta_str(&draft.policy, "id", "");
    let plan = PublishPlan {
        schema_version: "cavra.policy_pack.publish_plan.v1".to_owned(),
        product: "CAVRA".to_owned(),
        generated_at: generated_at.to_owned(),
        operation: if previous_given.is_some() {
            "update"
        } else {
            "create"
        }
        .to_owned(),
        valid: draft.valid(),
        errors: draft.errors.clone(),
        approval_required: true,
        risk: risk.to_owned(),
        target_path: format!("policies/{policy_id}/policy.yaml"),
        policy_id,
        policy_digest: policy_digest(&draft.policy),
        summary: summarize(&draft.policy),
        diff,
        operator_notes: publish_notes(risk, draft.valid()),
    };
    (plan, draft)
}

/// `build_policy_publish_decision`. For an invalid draft (where CAVRA raises) the decision is
/// `block` with rule `policy.publish.invalid_draft`.
pub fn build_publish_decision(
    plan: &PublishPlan,
    draft: &Draft,
    requested_by: &str,
    approver_group: &str,
) -> PublishDecision {
    let short = short_digest(&draft.policy);
    let policy_id = plan.policy_id.clone();
    let (decision, rule_id, reason) = if plan.valid {
        (
            "require_approval",
            "policy.publish.requires_approval",
            "Policy pack write-back requires approval and signature before publishing.",
        )
    } else {
        (
            "block",
            "policy.publish.invalid_draft",
            "Policy publish request requires a valid draft; fix the draft errors first.",
        )
    };
    PublishDecision {
        decision_id: format!("policy_publish:{policy_id}:{short}"),
        session_id: "policy-authoring".to_owned(),
        agent_id: "policy-authoring-console".to_owned(),
        actor: requested_by.to_owned(),
        repository: "policy-catalog".to_owned(),
        action_type: "policy_publish".to_owned(),
        target: plan.target_path.clone(),
        decision: decision.to_owned(),
        severity: plan.risk.clone(),
        policy_pack: policy_id.clone(),
        rule_id: rule_id.to_owned(),
        reason: reason.to_owned(),
        approver_group: approver_group.to_owned(),
        policy_id: policy_id.clone(),
        policy_digest: plan.policy_digest.clone(),
        operation: plan.operation.clone(),
        evidence_refs: vec![format!("policy-draft://{policy_id}/{short}")],
    }
}
