//! JSON Schemas (draft 2020-12, generated with `schemars`) for every document this crate
//! writes: the lifecycle artifacts, the plan, the export map, readiness packets and results,
//! dry-run reports, the diff reports (semantic, probe impact, symbolic regions) and invariant
//! proofs.
//!
//! `lifecycle/schemas/*.json` holds the generated files; the `schema_sync` test fails when they
//! drift from the types (regenerate with `UPDATE_SCHEMAS=1 cargo test -p lifecycle --test
//! schema_sync`).

use schemars::{schema_for, JsonSchema};

use crate::diff::{DecisionImpact, SemanticDiff};
use crate::dry_run::DryRunReport;
use crate::invariants::InvariantReport;
use crate::packet::{ReadinessPacket, ReadinessResult};
use crate::plan::{
    ApprovalWorkflow, AuthoringUiContract, ExportMap, LifecyclePlan, LintReportDoc, RollbackPlan,
    ShadowModePlan, VersionManifest,
};
use crate::symbolic::DecisionRegions;

fn schema<T: JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schema_for!(T)).unwrap_or(serde_json::Value::Null)
}

/// Every schema, as `(file name, schema)`, in a stable order.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "policy-lifecycle-plan.schema.json",
            schema::<LifecyclePlan>(),
        ),
        (
            "policy-authoring-ui-contract.schema.json",
            schema::<AuthoringUiContract>(),
        ),
        ("policy-lint-report.schema.json", schema::<LintReportDoc>()),
        (
            "policy-version-manifest.schema.json",
            schema::<VersionManifest>(),
        ),
        (
            "policy-shadow-mode-plan.schema.json",
            schema::<ShadowModePlan>(),
        ),
        (
            "policy-dry-run-report.schema.json",
            schema::<DryRunReport>(),
        ),
        ("policy-rollback-plan.schema.json", schema::<RollbackPlan>()),
        (
            "policy-approval-workflow.schema.json",
            schema::<ApprovalWorkflow>(),
        ),
        ("policy-lifecycle-export.schema.json", schema::<ExportMap>()),
        (
            "policy-lifecycle-readiness-packet.schema.json",
            schema::<ReadinessPacket>(),
        ),
        (
            "policy-lifecycle-readiness-result.schema.json",
            schema::<ReadinessResult>(),
        ),
        ("policy-semantic-diff.schema.json", schema::<SemanticDiff>()),
        (
            "policy-decision-impact.schema.json",
            schema::<DecisionImpact>(),
        ),
        (
            "policy-decision-regions.schema.json",
            schema::<DecisionRegions>(),
        ),
        (
            "policy-invariant-proofs.schema.json",
            schema::<InvariantReport>(),
        ),
    ]
}
