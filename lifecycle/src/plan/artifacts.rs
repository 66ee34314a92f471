//! The lifecycle artifacts, field for field in CAVRA's key order.
//!
//! Literal lists (surfaces, endpoints, steps, checklists) are CAVRA's. Fields that hold arbitrary
//! policy data (summaries, which echo metadata values of any type) are `serde_json::Value`.

use serde::{Deserialize, Serialize};

use crate::diff::SemanticDiff;
use crate::dry_run::DryRunReport;

/// `cavra.policy-lifecycle.authoring-ui-contract.v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuthoringUiContract {
    /// Schema id.
    pub schema_version: String,
    /// The policy id.
    pub policy_id: String,
    /// The UI surfaces the authoring console must offer.
    pub required_surfaces: Vec<String>,
    /// The approval-gated API calls.
    pub api_endpoints: Vec<String>,
    /// The review workflow.
    pub review_workflow_ref: String,
    /// Fixed notes.
    pub operator_notes: Vec<String>,
}

/// One lint issue, as CAVRA reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LintIssue {
    /// `blocker` or `warning`.
    pub severity: String,
    /// CAVRA's issue code (`schema_error`, `metadata.id.missing`, …).
    pub code: String,
    /// The message.
    pub message: String,
}

/// `cavra.policy-lifecycle.lint-report.v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LintReportDoc {
    /// Schema id.
    pub schema_version: String,
    /// No blockers.
    pub valid: bool,
    /// Number of blockers.
    pub blocker_count: usize,
    /// Number of warnings.
    pub warning_count: usize,
    /// Number of issues.
    pub issue_count: usize,
    /// The issues, in CAVRA's order.
    pub issues: Vec<LintIssue>,
    /// The full summary when valid, else the safe summary `{policy_id, title, version, mode}`.
    pub summary: serde_json::Value,
}

/// Rule counts per section (`_count_rules`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleCounts {
    /// `filesystem`.
    pub filesystem: u64,
    /// `commands`.
    pub commands: u64,
    /// `git`.
    pub git: u64,
    /// `mcp`.
    pub mcp: u64,
    /// `approvals`.
    pub approvals: u64,
    /// `evidence`.
    pub evidence: u64,
    /// `compliance`.
    pub compliance: u64,
}

/// CAVRA's `summarize_policy`. Metadata values are echoed with their loaded type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicySummary {
    /// `metadata.id`.
    pub policy_id: serde_json::Value,
    /// `metadata.title`.
    pub title: serde_json::Value,
    /// `metadata.version`.
    pub version: serde_json::Value,
    /// `metadata.inherits`.
    pub inherits: serde_json::Value,
    /// `metadata.mode`, `enforce` when absent.
    pub mode: serde_json::Value,
    /// Rule counts.
    pub rule_counts: RuleCounts,
}

/// `cavra.policy-lifecycle.version-manifest.v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VersionManifest {
    /// Schema id.
    pub schema_version: String,
    /// `str(metadata.id)`, `policy-draft` when absent.
    pub policy_id: String,
    /// `str(metadata.version)`, `unknown` when absent.
    pub policy_version: String,
    /// The policy digest.
    pub policy_digest: String,
    /// The previous policy's digest, `null` without a (non-empty) previous policy.
    pub previous_policy_digest: Option<String>,
    /// Where the policy lives.
    pub source_ref: String,
    /// Always true.
    pub git_versioned: bool,
    /// When the manifest was generated.
    pub generated_at: String,
    /// Semantic diff previous → current.
    pub diff: SemanticDiff,
}

/// Shadow-mode promotion gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PromotionCriteria {
    /// Always 0.
    pub dry_run_failed_count: u64,
    /// Always 24.
    pub shadow_observation_hours: u64,
    /// Always true.
    pub approval_required: bool,
}

/// `cavra.policy-lifecycle.shadow-mode-plan.v1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ShadowModePlan {
    /// Schema id.
    pub schema_version: String,
    /// The pack label.
    pub policy_pack: String,
    /// Always `shadow`.
    pub mode: String,
    /// Always true.
    pub non_enforcing: bool,
    /// Always `current_enforced_policy`.
    pub compare_against: String,
    /// The dry-run case ids.
    pub sample_case_ids: Vec<String>,
    /// `policy-shadow://…` and `policy-dry-run://…` refs.
    pub evidence_refs: Vec<String>,
    /// The promotion gate.
    pub promotion_criteria: PromotionCriteria,
}

/// `cavra.policy-lifecycle.rollback-plan.v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RollbackPlan {
    /// Schema id.
    pub schema_version: String,
    /// `policy-rollback://<previous id>/<12 hex>`.
    pub rollback_ref: String,
    /// Current policy id.
    pub current_policy_id: String,
    /// Current policy digest.
    pub current_policy_digest: String,
    /// Previous policy id (the current one without a previous policy).
    pub previous_policy_id: String,
    /// Previous digest, or `null`.
    pub previous_policy_digest: Option<String>,
    /// Always true.
    pub approval_required: bool,
    /// Who asked.
    pub requested_by: String,
    /// Fixed reason.
    pub reason: String,
    /// Semantic diff previous → current.
    pub diff: SemanticDiff,
    /// Fixed steps.
    pub steps: Vec<String>,
}

/// `cavra.policy_pack.publish_plan.v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PublishPlan {
    /// Schema id.
    pub schema_version: String,
    /// Always `CAVRA`.
    pub product: String,
    /// When the plan was generated.
    pub generated_at: String,
    /// `create` or `update`.
    pub operation: String,
    /// Whether the rebuilt draft is valid.
    pub valid: bool,
    /// The draft's errors.
    pub errors: Vec<String>,
    /// Always true.
    pub approval_required: bool,
    /// `low`, `medium`, `high` or `critical`.
    pub risk: String,
    /// The draft's id.
    pub policy_id: String,
    /// The draft's digest.
    pub policy_digest: String,
    /// `policies/<id>/policy.yaml`.
    pub target_path: String,
    /// Summary of the draft.
    pub summary: PolicySummary,
    /// Semantic diff previous → draft.
    pub diff: SemanticDiff,
    /// Notes.
    pub operator_notes: Vec<String>,
}

/// The approval request bound to the draft digest (`build_policy_publish_decision`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PublishDecision {
    /// `policy_publish:<id>:<12 hex>`.
    pub decision_id: String,
    /// Always `policy-authoring`.
    pub session_id: String,
    /// Always `policy-authoring-console`.
    pub agent_id: String,
    /// Who asked.
    pub actor: String,
    /// Always `policy-catalog`.
    pub repository: String,
    /// Always `policy_publish`.
    pub action_type: String,
    /// The target path.
    pub target: String,
    /// `require_approval`; `block` when the draft is invalid (where CAVRA raises).
    pub decision: String,
    /// The publish risk.
    pub severity: String,
    /// The draft's id.
    pub policy_pack: String,
    /// `policy.publish.requires_approval`, or `policy.publish.invalid_draft`.
    pub rule_id: String,
    /// Why.
    pub reason: String,
    /// The primary approver group.
    pub approver_group: String,
    /// The draft's id.
    pub policy_id: String,
    /// The draft's digest.
    pub policy_digest: String,
    /// `create` or `update`.
    pub operation: String,
    /// `policy-draft://<id>/<12 hex>`.
    pub evidence_refs: Vec<String>,
}

/// `cavra.policy-lifecycle.approval-workflow.v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApprovalWorkflow {
    /// Schema id.
    pub schema_version: String,
    /// The review workflow.
    pub review_workflow_ref: String,
    /// Always true.
    pub approval_required: bool,
    /// Approver groups, primary first.
    pub approver_groups: Vec<String>,
    /// The publish plan.
    pub publish_plan: PublishPlan,
    /// The publish decision.
    pub publish_decision: PublishDecision,
    /// Evidence the approval needs.
    pub required_evidence: Vec<String>,
    /// Reviewer checklist.
    pub review_checklist: Vec<String>,
}

/// `cavra.policy-lifecycle.plan.v1`: everything above plus notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LifecyclePlan {
    /// Schema id.
    pub schema_version: String,
    /// Always `CAVRA`.
    pub product: String,
    /// When the plan was generated.
    pub generated_at: String,
    /// The pack label.
    pub policy_pack: String,
    /// The seven capability names, sorted.
    pub lifecycle_capabilities: Vec<String>,
    /// Authoring UI contract.
    pub authoring_ui_contract: AuthoringUiContract,
    /// Lint report.
    pub lint_report: LintReportDoc,
    /// Version manifest.
    pub version_manifest: VersionManifest,
    /// Shadow-mode plan.
    pub shadow_mode_plan: ShadowModePlan,
    /// Dry-run report.
    pub dry_run_report: DryRunReport,
    /// Rollback plan.
    pub rollback_plan: RollbackPlan,
    /// Approval workflow.
    pub approval_workflow: ApprovalWorkflow,
    /// Fixed notes.
    pub operator_notes: Vec<String>,
}
