//! The packet builder. CAVRA has none (its example packets were composed by hand from a plan);
//! ours copies the seven artifacts from a plan, exactly as the examples do.

use serde::{Deserialize, Serialize};

use crate::dry_run::DryRunReport;
use crate::invariants::InvariantReport;
use crate::plan::{
    ApprovalWorkflow, AuthoringUiContract, LifecyclePlan, LintReportDoc, RollbackPlan,
    ShadowModePlan, VersionManifest,
};

use super::validate::READINESS_SCHEMA;

/// References to the evidence of a real rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OperatingEvidence {
    /// The CI run that produced the artifacts.
    pub ci_run_ref: String,
    /// The policy review (pull request).
    pub policy_review_ref: String,
    /// The UI validation evidence.
    pub ui_validation_ref: String,
}

/// A readiness packet (`cavra.policy-lifecycle.readiness.v1`), in the example packets' key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReadinessPacket {
    /// Always `cavra.policy-lifecycle.readiness.v1`.
    pub schema_version: String,
    /// Always `CAVRA`.
    pub product: String,
    /// `sample` or `live` (anything but `live` is treated as a sample).
    pub evidence_mode: String,
    /// The capability names, sorted.
    pub lifecycle_capabilities: Vec<String>,
    /// Copied from the plan.
    pub authoring_ui_contract: AuthoringUiContract,
    /// Copied from the plan.
    pub lint_report: LintReportDoc,
    /// Copied from the plan.
    pub version_manifest: VersionManifest,
    /// Copied from the plan.
    pub shadow_mode_plan: ShadowModePlan,
    /// Copied from the plan.
    pub dry_run_report: DryRunReport,
    /// Copied from the plan.
    pub rollback_plan: RollbackPlan,
    /// Copied from the plan.
    pub approval_workflow: ApprovalWorkflow,
    /// The operating evidence.
    pub operating_evidence: OperatingEvidence,
    /// Ours, after CAVRA's fields (its validator ignores it): each invariant of the pack's
    /// `cases.yaml` and its proof for this version. Absent when the pack declares none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invariants: Option<InvariantReport>,
}

/// Assembles a packet from a plan (its `generated_at`, `policy_pack` and notes are dropped).
pub fn build_packet(
    plan: &LifecyclePlan,
    evidence: &OperatingEvidence,
    evidence_mode: &str,
) -> ReadinessPacket {
    ReadinessPacket {
        schema_version: READINESS_SCHEMA.to_owned(),
        product: plan.product.clone(),
        evidence_mode: evidence_mode.to_owned(),
        lifecycle_capabilities: plan.lifecycle_capabilities.clone(),
        authoring_ui_contract: plan.authoring_ui_contract.clone(),
        lint_report: plan.lint_report.clone(),
        version_manifest: plan.version_manifest.clone(),
        shadow_mode_plan: plan.shadow_mode_plan.clone(),
        dry_run_report: plan.dry_run_report.clone(),
        rollback_plan: plan.rollback_plan.clone(),
        approval_workflow: plan.approval_workflow.clone(),
        operating_evidence: evidence.clone(),
        invariants: None,
    }
}

impl ReadinessPacket {
    /// The packet as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
