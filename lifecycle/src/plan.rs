//! The lifecycle plan (`cavra.policy-lifecycle.plan.v1`) and its seven artifacts, built exactly
//! as CAVRA's `build_policy_lifecycle_plan` builds them.
//!
//! Everything CAVRA reads from its environment is injected through [`PlanInput`]: the loaded
//! policy (after the `inherits` merge, see [`crate::inherits::load_policy`]), the previous
//! policy, references and the three timestamps ([`PlanTimestamps`]). The output is a typed
//! [`LifecyclePlan`] whose JSON (through [`crate::json::python_pretty`]) is byte-identical to
//! CAVRA's for the same inputs.
//!
//! CAVRA's truthiness rules are kept: an empty previous policy `{}` counts as "no previous
//! policy" for diffs, digests and refs, but not for the publish risk (see
//! [`draft::publish_risk`]). Where CAVRA crashes (a draft failing the schema, metadata that is
//! not a mapping) we still return a plan: the lint report carries the blockers, the publish plan
//! is `valid: false` and the publish decision is `block`.

pub mod artifacts;
pub mod draft;
pub mod export;

use crate::diff::{semantic_diff, SemanticDiff};
use crate::digest::{policy_digest, short_digest};
use crate::dry_run::{build_dry_run_report, case_id, default_fixtures};
use crate::value::Value;

pub use artifacts::*;
use draft::{build_publish_decision, build_publish_plan, meta, meta_str};
pub use export::{export_plan, python_path, ExportArtifacts, ExportFile, ExportMap, PlanExport};

/// Schema id of the plan.
pub const PLAN_SCHEMA: &str = "cavra.policy-lifecycle.plan.v1";
/// CAVRA's default requester.
pub const DEFAULT_REQUESTED_BY: &str = "policy-owner@example.com";
/// The library's default source ref.
pub const DEFAULT_SOURCE_REF: &str = "git://policy-catalog/main";
/// The source ref CAVRA's script and CLI pass (and the example packets use).
pub const SCRIPT_SOURCE_REF: &str = "git://Huzefaaa2/cavra/main/policies";
/// CAVRA's default review workflow.
pub const DEFAULT_REVIEW_WORKFLOW_REF: &str =
    "github://Huzefaaa2/cavra/actions/workflows/policy-lifecycle.yml";
/// The pack label CAVRA's script uses when none is given.
pub const DEFAULT_POLICY_PACK: &str = "cavra-ai-agent-baseline";

/// The seven capabilities, sorted.
pub const LIFECYCLE_CAPABILITIES: [&str; 7] = [
    "approval_workflow",
    "authoring_ui_contract",
    "dry_run_report",
    "lint_report",
    "rollback_plan",
    "shadow_mode_plan",
    "version_manifest",
];

/// The three wall-clock readings CAVRA takes, in its evaluation order (each an ISO-8601 UTC
/// timestamp such as `2026-07-04T13:37:30.422404+00:00`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanTimestamps {
    /// `version_manifest.generated_at` (read first).
    pub version_manifest: String,
    /// `generated_at` of the plan (read second).
    pub plan: String,
    /// `approval_workflow.publish_plan.generated_at` (read last). Its date also stands in for a
    /// falsy `metadata.version` in the draft.
    pub publish_plan: String,
}

impl PlanTimestamps {
    /// Reads a clock three times, in CAVRA's order.
    pub fn from_clock(clock: &mut dyn FnMut() -> String) -> PlanTimestamps {
        let version_manifest = clock();
        let plan = clock();
        let publish_plan = clock();
        PlanTimestamps {
            version_manifest,
            plan,
            publish_plan,
        }
    }

    /// The same timestamp three times.
    pub fn fixed(at: &str) -> PlanTimestamps {
        PlanTimestamps {
            version_manifest: at.to_owned(),
            plan: at.to_owned(),
            publish_plan: at.to_owned(),
        }
    }
}

/// Everything a plan depends on.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    /// The loaded policy.
    pub policy: &'a Value,
    /// The previous policy, if any.
    pub previous: Option<&'a Value>,
    /// The pack label; `metadata.id` when absent or empty.
    pub policy_pack: Option<&'a str>,
    /// Who asks.
    pub requested_by: &'a str,
    /// Where the policy lives.
    pub source_ref: &'a str,
    /// The review workflow.
    pub review_workflow_ref: &'a str,
    /// Dry-run fixtures; the six defaults when absent or empty.
    pub actions: Option<&'a [serde_json::Value]>,
    /// The clock readings.
    pub timestamps: PlanTimestamps,
}

impl<'a> PlanInput<'a> {
    /// An input with CAVRA's library defaults.
    pub fn new(policy: &'a Value, timestamps: PlanTimestamps) -> PlanInput<'a> {
        PlanInput {
            policy,
            previous: None,
            policy_pack: None,
            requested_by: DEFAULT_REQUESTED_BY,
            source_ref: DEFAULT_SOURCE_REF,
            review_workflow_ref: DEFAULT_REVIEW_WORKFLOW_REF,
            actions: None,
            timestamps,
        }
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A previous policy that counts (Python truthiness).
fn given(previous: Option<&Value>) -> Option<&Value> {
    previous.filter(|p| p.truthy())
}

/// CAVRA's lint report for `policy`, in the plan's typed form.
pub fn lint_doc(policy: &Value) -> LintReportDoc {
    let report = crate::lint::lint_report(policy);
    let json = serde_json::to_value(&report).unwrap_or(serde_json::Value::Null);
    serde_json::from_value(json).unwrap_or_else(|error| LintReportDoc {
        schema_version: "cavra.policy-lifecycle.lint-report.v1".to_owned(),
        valid: false,
        blocker_count: 1,
        warning_count: 0,
        issue_count: 1,
        issues: vec![LintIssue {
            severity: "blocker".to_owned(),
            code: "lint.report.unreadable".to_owned(),
            message: format!("the lint report could not be read: {error}"),
        }],
        summary: serde_json::Value::Null,
    })
}

/// `build_authoring_ui_contract`.
pub fn build_authoring_ui_contract(
    policy_id: &str,
    review_workflow_ref: &str,
) -> AuthoringUiContract {
    AuthoringUiContract {
        schema_version: "cavra.policy-lifecycle.authoring-ui-contract.v1".to_owned(),
        policy_id: policy_id.to_owned(),
        required_surfaces: strings(&[
            "draft_editor",
            "schema_lint",
            "semantic_diff",
            "dry_run_simulator",
            "shadow_mode_toggle",
            "approval_workflow_builder",
            "rollback_picker",
        ]),
        api_endpoints: strings(&[
            "POST /policy-packs/draft",
            "POST /policy-packs/publish-plan",
            "POST /policy-packs/publish-request",
            "POST /policy-rollouts/change-plan",
            "POST /policy-rollouts/apply-change",
        ]),
        review_workflow_ref: review_workflow_ref.to_owned(),
        operator_notes: strings(&[
            "The public contract defines UI behavior; customer-specific UI screenshots are deployment evidence.",
            "Draft, publish, and rollout API calls are approval-gated and public-safe.",
        ]),
    }
}

/// `build_policy_version_manifest`.
pub fn build_version_manifest(
    policy: &Value,
    previous: Option<&Value>,
    source_ref: &str,
    generated_at: &str,
) -> VersionManifest {
    let previous = given(previous);
    VersionManifest {
        schema_version: "cavra.policy-lifecycle.version-manifest.v1".to_owned(),
        policy_id: meta_str(policy, "id", "policy-draft"),
        policy_version: meta_str(policy, "version", "unknown"),
        policy_digest: policy_digest(policy),
        previous_policy_digest: previous.map(policy_digest),
        source_ref: source_ref.to_owned(),
        git_versioned: true,
        generated_at: generated_at.to_owned(),
        diff: previous.map_or_else(SemanticDiff::default, |p| semantic_diff(p, policy)),
    }
}

/// `build_policy_shadow_mode_plan`.
pub fn build_shadow_mode_plan(
    policy: &Value,
    actions: Option<&[serde_json::Value]>,
    policy_pack: &str,
) -> ShadowModePlan {
    let defaults;
    let fixtures: &[serde_json::Value] = match actions {
        Some(list) if !list.is_empty() => list,
        _ => {
            defaults = default_fixtures();
            &defaults
        }
    };
    let short = short_digest(policy);
    ShadowModePlan {
        schema_version: "cavra.policy-lifecycle.shadow-mode-plan.v1".to_owned(),
        policy_pack: policy_pack.to_owned(),
        mode: "shadow".to_owned(),
        non_enforcing: true,
        compare_against: "current_enforced_policy".to_owned(),
        sample_case_ids: fixtures
            .iter()
            .enumerate()
            .map(|(index, fixture)| case_id(fixture, index))
            .collect(),
        evidence_refs: vec![
            format!("policy-shadow://{policy_pack}/{short}"),
            format!("policy-dry-run://{policy_pack}/{short}"),
        ],
        promotion_criteria: PromotionCriteria {
            dry_run_failed_count: 0,
            shadow_observation_hours: 24,
            approval_required: true,
        },
    }
}

/// `build_policy_rollback_plan`.
pub fn build_rollback_plan(
    current: &Value,
    previous: Option<&Value>,
    reason: &str,
    requested_by: &str,
) -> RollbackPlan {
    let previous = given(previous);
    let current_id = meta_str(current, "id", "policy-draft");
    let target = previous.unwrap_or(current);
    let previous_id = meta_str(target, "id", &current_id);
    RollbackPlan {
        schema_version: "cavra.policy-lifecycle.rollback-plan.v1".to_owned(),
        rollback_ref: format!("policy-rollback://{previous_id}/{}", short_digest(target)),
        current_policy_id: current_id,
        current_policy_digest: policy_digest(current),
        previous_policy_id: previous_id,
        previous_policy_digest: previous.map(policy_digest),
        approval_required: true,
        requested_by: requested_by.to_owned(),
        reason: reason.to_owned(),
        diff: previous.map_or_else(SemanticDiff::default, |p| semantic_diff(p, current)),
        steps: strings(&[
            "Freeze new policy promotion.",
            "Restore previous policy YAML and signature from Git.",
            "Run dry-run and shadow comparison against rollback candidate.",
            "Obtain Platform Security approval.",
            "Publish rollback through policy catalog workflow.",
            "Attach rollback evidence bundle to the rollout record.",
        ]),
    }
}

/// `build_policy_approval_workflow` with CAVRA's default approver groups.
pub fn build_approval_workflow(
    policy: &Value,
    previous: Option<&Value>,
    requested_by: &str,
    review_workflow_ref: &str,
    generated_at: &str,
) -> ApprovalWorkflow {
    let approver_groups = strings(&["Platform Security", "Repository Owners"]);
    let (publish_plan, draft) = build_publish_plan(policy, previous, generated_at);
    let publish_decision =
        build_publish_decision(&publish_plan, &draft, requested_by, "Platform Security");
    ApprovalWorkflow {
        schema_version: "cavra.policy-lifecycle.approval-workflow.v1".to_owned(),
        review_workflow_ref: review_workflow_ref.to_owned(),
        approval_required: true,
        approver_groups,
        publish_plan,
        publish_decision,
        required_evidence: strings(&[
            "lint_report",
            "version_manifest",
            "semantic_diff",
            "dry_run_report",
            "shadow_mode_observation",
            "rollback_plan",
        ]),
        review_checklist: strings(&[
            "Schema lint is clean.",
            "Diff is understood by policy owner and security reviewer.",
            "Dry-run decisions match expected outcomes.",
            "Shadow mode has no unexplained high-severity divergence.",
            "Rollback reference points to a known-good prior policy.",
        ]),
    }
}

/// `build_policy_lifecycle_plan`. Never panics; see the module docs for invalid packs.
pub fn build_plan(input: &PlanInput<'_>) -> LifecyclePlan {
    let policy = input.policy;
    let label = input.policy_pack.filter(|p| !p.is_empty());
    let policy_id = match meta(policy, "id") {
        Some(id) => crate::decide::python::value_str(id).into_owned(),
        None => label.unwrap_or("policy-draft").to_owned(),
    };
    let pack = label.map_or_else(|| policy_id.clone(), str::to_owned);
    let lint_report = lint_doc(policy);
    let version_manifest = build_version_manifest(
        policy,
        input.previous,
        input.source_ref,
        &input.timestamps.version_manifest,
    );
    let dry_run_report = build_dry_run_report(policy, input.actions, &pack);
    LifecyclePlan {
        schema_version: PLAN_SCHEMA.to_owned(),
        product: "CAVRA".to_owned(),
        generated_at: input.timestamps.plan.clone(),
        lifecycle_capabilities: strings(&LIFECYCLE_CAPABILITIES),
        authoring_ui_contract: build_authoring_ui_contract(&policy_id, input.review_workflow_ref),
        lint_report,
        version_manifest,
        shadow_mode_plan: build_shadow_mode_plan(policy, input.actions, &pack),
        dry_run_report,
        rollback_plan: build_rollback_plan(
            policy,
            input.previous,
            "Pre-approved rollback path for policy lifecycle rollout.",
            input.requested_by,
        ),
        approval_workflow: build_approval_workflow(
            policy,
            input.previous,
            input.requested_by,
            input.review_workflow_ref,
            &input.timestamps.publish_plan,
        ),
        operator_notes: strings(&[
            "Lifecycle plan generation is read-only and does not publish policy changes.",
            "Use shadow mode and dry-run evidence before enforcing a new or changed policy pack.",
            "A live Enterprise rollout must attach UI validation, approval, rollback, and CI evidence.",
        ]),
        policy_pack: pack,
    }
}

/// The plan as JSON (CAVRA's key order).
pub fn plan_json(plan: &LifecyclePlan) -> serde_json::Value {
    serde_json::to_value(plan).unwrap_or(serde_json::Value::Null)
}
