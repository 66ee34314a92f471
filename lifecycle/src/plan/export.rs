//! The export map (`cavra.policy-lifecycle.export.v1`): which files a plan is written to.
//!
//! Pure: [`export_plan`] returns each file's path and text (`json.dumps(obj, indent=2) + "\n"`);
//! the caller writes them.

use serde::{Deserialize, Serialize};

use crate::json::python_pretty;

use super::LifecyclePlan;

/// Schema id of the export map.
pub const EXPORT_SCHEMA: &str = "cavra.policy-lifecycle.export.v1";

/// Paths of the eight files, in CAVRA's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExportArtifacts {
    /// `policy-lifecycle-plan.json`.
    pub policy_lifecycle_plan: String,
    /// `policy-authoring-ui-contract.json`.
    pub authoring_ui_contract: String,
    /// `policy-lint-report.json`.
    pub lint_report: String,
    /// `policy-version-manifest.json`.
    pub version_manifest: String,
    /// `policy-shadow-mode-plan.json`.
    pub shadow_mode_plan: String,
    /// `policy-dry-run-report.json`.
    pub dry_run_report: String,
    /// `policy-rollback-plan.json`.
    pub rollback_plan: String,
    /// `policy-approval-workflow.json`.
    pub approval_workflow: String,
}

/// The export map CAVRA prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExportMap {
    /// Always `cavra.policy-lifecycle.export.v1`.
    pub schema_version: String,
    /// Python `str(Path(output_dir))`.
    pub output_dir: String,
    /// The file paths.
    pub artifacts: ExportArtifacts,
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// The key in the export map (`lint_report`, …).
    pub key: &'static str,
    /// The file name.
    pub file_name: &'static str,
    /// The path, joined the way Python's `pathlib` joins it.
    pub path: String,
    /// The file's text.
    pub contents: String,
}

/// The files and the export map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanExport {
    /// The eight files, in CAVRA's order.
    pub files: Vec<ExportFile>,
    /// The export map.
    pub export_map: ExportMap,
}

/// Python `str(PurePosixPath(p))` (and `str(Path(p))` on POSIX): repeated and trailing slashes
/// and `.` segments removed, `.` for an empty path. Like pathlib (and POSIX, which leaves a
/// leading `//` implementation-defined) it keeps exactly two leading slashes, while three or more
/// become one: `//a` stays `//a`, `///a` is `/a`.
pub fn python_path(path: &str) -> String {
    let leading = if path.starts_with("//") && !path.starts_with("///") {
        "//"
    } else if path.starts_with('/') {
        "/"
    } else {
        ""
    };
    let parts: Vec<&str> = path
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    let joined = format!("{leading}{}", parts.join("/"));
    if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

fn join(dir: &str, name: &str) -> String {
    match dir {
        "." => name.to_owned(),
        d if d.ends_with('/') => format!("{d}{name}"),
        d => format!("{d}/{name}"),
    }
}

/// The files CAVRA's `write_policy_lifecycle_artifacts` writes for `plan` under `output_dir`,
/// and the export map it returns.
pub fn export_plan(plan: &LifecyclePlan, output_dir: &str) -> PlanExport {
    let dir = python_path(output_dir);
    let pretty = |value: serde_json::Result<serde_json::Value>| {
        python_pretty(&value.unwrap_or(serde_json::Value::Null))
    };
    let entries: [(&'static str, &'static str, String); 8] = [
        (
            "policy_lifecycle_plan",
            "policy-lifecycle-plan.json",
            pretty(serde_json::to_value(plan)),
        ),
        (
            "authoring_ui_contract",
            "policy-authoring-ui-contract.json",
            pretty(serde_json::to_value(&plan.authoring_ui_contract)),
        ),
        (
            "lint_report",
            "policy-lint-report.json",
            pretty(serde_json::to_value(&plan.lint_report)),
        ),
        (
            "version_manifest",
            "policy-version-manifest.json",
            pretty(serde_json::to_value(&plan.version_manifest)),
        ),
        (
            "shadow_mode_plan",
            "policy-shadow-mode-plan.json",
            pretty(serde_json::to_value(&plan.shadow_mode_plan)),
        ),
        (
            "dry_run_report",
            "policy-dry-run-report.json",
            pretty(serde_json::to_value(&plan.dry_run_report)),
        ),
        (
            "rollback_plan",
            "policy-rollback-plan.json",
            pretty(serde_json::to_value(&plan.rollback_plan)),
        ),
        (
            "approval_workflow",
            "policy-approval-workflow.json",
            pretty(serde_json::to_value(&plan.approval_workflow)),
        ),
    ];
    let files: Vec<ExportFile> = entries
        .into_iter()
        .map(|(key, file_name, contents)| ExportFile {
            key,
            file_name,
            path: join(&dir, file_name),
            contents,
        })
        .collect();
    let path_of = |name: &str| join(&dir, name);
    PlanExport {
        export_map: ExportMap {
            schema_version: EXPORT_SCHEMA.to_owned(),
            output_dir: dir.clone(),
            artifacts: ExportArtifacts {
                policy_lifecycle_plan: path_of("policy-lifecycle-plan.json"),
                authoring_ui_contract: path_of("policy-authoring-ui-contract.json"),
                lint_report: path_of("policy-lint-report.json"),
                version_manifest: path_of("policy-version-manifest.json"),
                shadow_mode_plan: path_of("policy-shadow-mode-plan.json"),
                dry_run_report: path_of("policy-dry-run-report.json"),
                rollback_plan: path_of("policy-rollback-plan.json"),
                approval_workflow: path_of("policy-approval-workflow.json"),
            },
        },
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_pathlib() {
        assert_eq!(
            python_path("dist/policy-lifecycle/"),
            "dist/policy-lifecycle"
        );
        assert_eq!(python_path("./dist//x"), "dist/x");
        assert_eq!(python_path(""), ".");
        assert_eq!(python_path("/"), "/");
        assert_eq!(join(".", "a.json"), "a.json");
        assert_eq!(join("/", "a.json"), "/a.json");
    }

    #[test]
    fn two_leading_slashes_are_kept_like_pathlib() {
        // str(PurePosixPath(p)) for each p, from CPython.
        assert_eq!(python_path("//a"), "//a");
        assert_eq!(python_path("//"), "//");
        assert_eq!(python_path("//a/./b/"), "//a/b");
        assert_eq!(python_path("///a"), "/a");
        assert_eq!(python_path("///"), "/");
        assert_eq!(python_path(".//a"), "a");
        assert_eq!(join("//", "a.json"), "//a.json");
    }
}
