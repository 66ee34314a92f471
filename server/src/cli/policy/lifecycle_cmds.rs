//! `lifecycle-plan`, `lifecycle-readiness` and `validate-lifecycle`: CAVRA's lifecycle commands
//! and script, with CAVRA's file names and byte layout (`json.dumps(obj, indent=2) + "\n"`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, ValueEnum};
use lifecycle::json::python_pretty;
use lifecycle::packet::ReadinessResult;
use lifecycle::packet::{build_packet, validate_packet, CheckStatus, OperatingEvidence};
use lifecycle::plan::{
    build_plan, export_plan, plan_json, python_path, LifecyclePlan, PlanInput, DEFAULT_POLICY_PACK,
    DEFAULT_REQUESTED_BY, DEFAULT_REVIEW_WORKFLOW_REF, SCRIPT_SOURCE_REF,
};

use super::RootArg;
use crate::cli::output::{
    check_output_path, gate, note, plan_timestamps, print, read_json, write_file, Format,
};
use crate::cli::pack::{load_file, load_fixtures, load_pack, pack_invariants, LoadedPack};

pub(super) const PLAN_HELP: &str = "\
Writes policy-lifecycle-plan.json and the seven artifact files CAVRA writes
(policy-authoring-ui-contract, policy-lint-report, policy-version-manifest,
policy-shadow-mode-plan, policy-dry-run-report, policy-rollback-plan,
policy-approval-workflow) and prints the export map. Timestamps are the UTC clock
(CAVRA_FIXED_TIME pins them: one timestamp, or three separated by commas).

Stricter than CAVRA: the files are always written, but the exit code is 1 when the lint
report has blockers or the dry run failed (CAVRA always exits 0).

Examples:
  cavra policy lifecycle-plan --policy-pack cavra-ai-agent-baseline \\
      --output-dir dist/policy-lifecycle
  cavra policy lifecycle-plan --policy-pack cavra-ai-agent-baseline \\
      --previous-policy-pack cavra-terraform-prod
  cavra policy lifecycle-plan --policy-pack cavra-ai-agent-baseline --packet-out dist/packet.json \\
      --evidence-mode live --ci-run-ref github://org/repo/actions/runs/42 \\
      --policy-review-ref github://org/repo/pull/7 --ui-validation-ref evidence://ui/42

Exit codes: 0 plan written and clean, 1 lint blockers or failed dry run, 2 usage or input error.";

pub(super) const READINESS_HELP: &str = "\
Text output: first line the completion JSON, e.g.
  {\"ready_for_live_policy_lifecycle\": true, \"blocker_count\": 0}
then one line per blocker and warning. --format json prints the full readiness result.

Examples:
  cavra policy lifecycle-readiness --require-live \\
      examples/policy-lifecycle/enterprise-policy-lifecycle.live.sanitized.example.json
  cavra policy lifecycle-readiness dist/packet.json --policy-pack cavra-ai-agent-baseline
  cavra policy lifecycle-readiness dist/packet.json --format json

Any JSON is judged as CAVRA judges it: `{}`, a wrong schema_version or a malformed section
gets the eleven checks with their blockers (where CAVRA would crash, the blocker says why).

Exit codes: 0 ready (and live when --require-live), 1 not ready, or the packet's policy digest
is not --policy-pack's, 2 unreadable file or text that is not JSON.";

pub(super) const VALIDATE_HELP: &str = "\
The same flags, modes and JSON output as CAVRA's scripts/validate_policy_lifecycle.py.
Modes, first match wins: --packet (readiness result), --lint (lint report), --dry-run
(dry-run report), --export-dir (write the files, print the export map), else the plan.
--output P writes the JSON to P and prints `Policy lifecycle validation written: P`.

Examples:
  cavra policy validate-lifecycle --policy-pack cavra-ai-agent-baseline \\
      --export-dir dist/policy-lifecycle
  cavra policy validate-lifecycle --lint --output dist/policy-lifecycle-lint.json
  cavra policy validate-lifecycle --require-live --packet \\
      examples/policy-lifecycle/enterprise-policy-lifecycle.live.sanitized.example.json

Exit codes: 0 ok, 1 packet not ready / lint blockers / dry run failed, 2 usage or input error.";

/// `sample` or `live`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvidenceMode {
    /// Contract shape only; passes readiness with a warning, fails `--require-live`.
    Sample,
    /// Real rollout evidence; the three operating evidence refs are required.
    Live,
}

/// The sample packet's operating evidence refs (CAVRA's example packet).
const SAMPLE_EVIDENCE: [&str; 3] = [
    "sample://github-actions/policy-lifecycle",
    "sample://policy-review/pr-123",
    "sample://screenshots/policy-lifecycle",
];

/// Options of `cavra policy lifecycle-plan`.
#[derive(Debug, Args)]
pub struct LifecyclePlanArgs {
    /// The pack to plan (a directory name under the policy root).
    #[arg(long, default_value = DEFAULT_POLICY_PACK, value_name = "PACK")]
    pub policy_pack: String,
    /// The pack it replaces (diff, risk and rollback target).
    #[arg(long, value_name = "PACK")]
    pub previous_policy_pack: Option<String>,
    #[command(flatten)]
    pub root: RootArg,
    /// Where the eight files go.
    #[arg(long, default_value = "dist/policy-lifecycle", value_name = "DIR")]
    pub output_dir: PathBuf,
    /// Who requests the change.
    #[arg(long, default_value = DEFAULT_REQUESTED_BY)]
    pub requested_by: String,
    /// Where the policy lives (recorded in the version manifest).
    #[arg(long, default_value = SCRIPT_SOURCE_REF)]
    pub source_ref: String,
    /// The review workflow recorded in the plan.
    #[arg(long, default_value = DEFAULT_REVIEW_WORKFLOW_REF)]
    pub review_workflow_ref: String,
    /// Dry-run fixtures: a cases.yaml or CAVRA's sample-actions JSON (default: CAVRA's six).
    #[arg(long, value_name = "FILE")]
    pub sample_actions: Option<PathBuf>,
    /// Also write the readiness packet built from this plan.
    #[arg(long, value_name = "FILE")]
    pub packet_out: Option<PathBuf>,
    /// The packet's evidence mode.
    #[arg(long, value_enum, default_value = "sample")]
    pub evidence_mode: EvidenceMode,
    /// The CI run behind the evidence (required with `--evidence-mode live`).
    #[arg(long, env = "CAVRA_CI_RUN_REF", value_name = "REF")]
    pub ci_run_ref: Option<String>,
    /// The policy review (required with `--evidence-mode live`).
    #[arg(long, env = "CAVRA_POLICY_REVIEW_REF", value_name = "REF")]
    pub policy_review_ref: Option<String>,
    /// The UI validation evidence (required with `--evidence-mode live`).
    #[arg(long, env = "CAVRA_UI_VALIDATION_REF", value_name = "REF")]
    pub ui_validation_ref: Option<String>,
}

/// Options of `cavra policy lifecycle-readiness`.
#[derive(Debug, Args)]
pub struct ReadinessArgs {
    /// The readiness packet (JSON).
    pub packet: PathBuf,
    /// Require live evidence (a sample packet is then a blocker).
    #[arg(long)]
    pub require_live: bool,
    /// Cross-check: the packet's `version_manifest.policy_digest` must be this pack's digest.
    #[arg(long, value_name = "PACK")]
    pub policy_pack: Option<String>,
    #[command(flatten)]
    pub root: RootArg,
}

/// Options of `cavra policy validate-lifecycle` (CAVRA's script flags).
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The pack (default `cavra-ai-agent-baseline`); with `--packet`, a digest cross-check.
    #[arg(long, value_name = "PACK")]
    pub policy_pack: Option<String>,
    /// A policy file instead of a pack (loaded raw, without inherits resolution).
    #[arg(long, value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
    /// The previous pack.
    #[arg(long, value_name = "PACK")]
    pub previous_policy_pack: Option<String>,
    /// The previous policy as a file (wins over `--previous-policy-pack`).
    #[arg(long, value_name = "FILE")]
    pub previous_policy_file: Option<PathBuf>,
    #[command(flatten)]
    pub root: RootArg,
    /// Dry-run fixtures: CAVRA's JSON (a list, or an object with `actions`) or a cases.yaml.
    #[arg(long, value_name = "FILE")]
    pub sample_actions: Option<PathBuf>,
    /// Who requests the change.
    #[arg(long, default_value = DEFAULT_REQUESTED_BY)]
    pub requested_by: String,
    /// Where the policy lives.
    #[arg(long, default_value = SCRIPT_SOURCE_REF)]
    pub source_ref: String,
    /// The review workflow.
    #[arg(long, default_value = DEFAULT_REVIEW_WORKFLOW_REF)]
    pub review_workflow_ref: String,
    /// Print the lint report (exit 1 on blockers).
    #[arg(long)]
    pub lint: bool,
    /// Print the dry-run report (exit 1 when it failed).
    #[arg(long)]
    pub dry_run: bool,
    /// Write the plan's files here and print the export map.
    #[arg(long, value_name = "DIR")]
    pub export_dir: Option<PathBuf>,
    /// Validate this readiness packet.
    #[arg(long, value_name = "FILE")]
    pub packet: Option<PathBuf>,
    /// With `--packet`: require live evidence.
    #[arg(long)]
    pub require_live: bool,
    /// Write the JSON here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn json_only(command: &str, format: Format) -> anyhow::Result<()> {
    format
        .require(command, &[Format::Text, Format::Json])
        .map(|_| ())
}

fn operating_evidence(args: &LifecyclePlanArgs) -> anyhow::Result<OperatingEvidence> {
    let given = [
        ("--ci-run-ref", &args.ci_run_ref),
        ("--policy-review-ref", &args.policy_review_ref),
        ("--ui-validation-ref", &args.ui_validation_ref),
    ];
    let mut refs = Vec::with_capacity(3);
    for ((flag, value), sample) in given.iter().zip(SAMPLE_EVIDENCE) {
        let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
        match (args.evidence_mode, value) {
            (_, Some(value)) => refs.push(value.to_owned()),
            (EvidenceMode::Sample, None) => refs.push(sample.to_owned()),
            (EvidenceMode::Live, None) => {
                bail!("`--evidence-mode live` needs a non-empty `{flag}` (the live packet must point at real evidence)")
            }
        }
    }
    let [ci_run_ref, policy_review_ref, ui_validation_ref]: [String; 3] = refs
        .try_into()
        .map_err(|_| anyhow::anyhow!("internal error: three evidence refs expected"))?;
    Ok(OperatingEvidence {
        ci_run_ref,
        policy_review_ref,
        ui_validation_ref,
    })
}

/// Why a plan fails our gate (lint blockers, failed dry run); empty when it passes.
pub fn plan_gate_failures(plan: &LifecyclePlan, pack: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let lint = &plan.lint_report;
    if !lint.valid || lint.blocker_count > 0 {
        failures.push(format!(
            "lint report has {} blocker(s); run `cavra policy lint --policy-pack {pack}`",
            lint.blocker_count
        ));
    }
    let dry_run = &plan.dry_run_report;
    if !dry_run.passed {
        let mismatches: Vec<String> = dry_run
            .results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| {
                format!(
                    "{} expected {}, got {}",
                    r.case_id,
                    lifecycle::decide::python::json_str(&r.expected_decision),
                    r.decision.decision
                )
            })
            .collect();
        let mut message = format!(
            "dry run failed {} of {} case(s)",
            dry_run.failed_count, dry_run.case_count
        );
        if !mismatches.is_empty() {
            message.push_str(&format!(": {}", mismatches.join("; ")));
        }
        if !dry_run.required_cases_present {
            message.push_str("; the six required cases are not all present");
        }
        failures.push(message);
    }
    failures
}

/// `cavra policy lifecycle-plan`.
pub fn lifecycle_plan(args: LifecyclePlanArgs, format: Format) -> anyhow::Result<ExitCode> {
    json_only("lifecycle-plan", format)?;
    check_output_path("--output-dir", &args.output_dir)?;
    if let Some(path) = &args.packet_out {
        check_output_path("--packet-out", path)?;
    }
    let evidence = operating_evidence(&args)?;
    let root = &args.root.policy_root;
    let pack = load_pack(root, &args.policy_pack)?;
    let previous = args
        .previous_policy_pack
        .as_deref()
        .map(|name| load_pack(root, name))
        .transpose()?;
    let actions = args
        .sample_actions
        .as_deref()
        .map(load_fixtures)
        .transpose()?;
    let mut input = PlanInput::new(&pack.value, plan_timestamps()?);
    input.previous = previous.as_ref().map(|p| &p.value);
    input.policy_pack = Some(&args.policy_pack);
    input.requested_by = &args.requested_by;
    input.source_ref = &args.source_ref;
    input.review_workflow_ref = &args.review_workflow_ref;
    input.actions = actions.as_deref();
    let plan = build_plan(&input);
    let invariants = pack_invariants(root, &args.policy_pack, &pack.value)?;
    let output_dir = args.output_dir.to_string_lossy();
    let export = export_plan(&plan, &output_dir);
    for file in &export.files {
        write_file(&args.output_dir.join(file.file_name), &file.contents)?;
    }
    if let Some(path) = &args.packet_out {
        let mode = match args.evidence_mode {
            EvidenceMode::Sample => "sample",
            EvidenceMode::Live => "live",
        };
        let mut packet = build_packet(&plan, &evidence, mode);
        packet.invariants = invariants.clone();
        write_file(path, &python_pretty(&packet.to_json()))?;
    }
    print(&python_pretty(&serde_json::to_value(&export.export_map)?))?;
    let mut failures = plan_gate_failures(&plan, &args.policy_pack);
    failures.extend(invariants.iter().flat_map(|report| report.blockers()));
    for failure in &failures {
        note(&format!("gate failed: {failure}"));
    }
    Ok(gate(failures.is_empty()))
}

/// Reads a readiness packet. Only an unreadable file or text that is not JSON is refused (exit
/// 2): any JSON value, `{}` or a wrong `schema_version` included, gets CAVRA's readiness result
/// with its blockers, as CAVRA's validator reports it.
pub fn read_packet(path: &Path) -> anyhow::Result<serde_json::Value> {
    read_json("packet", path)
}

/// Why the packet is not `pack`'s evidence (its `version_manifest.policy_digest` is missing or
/// another digest), or `None` when it is. A gate failure (exit 1), like a blocker: the packet's
/// content never makes an input error. A pack that cannot be loaded is one (exit 2).
pub fn cross_check(
    packet: &serde_json::Value,
    path: &Path,
    root: &Path,
    pack: &str,
) -> anyhow::Result<Option<String>> {
    let loaded = load_pack(root, pack)?;
    let want = lifecycle::digest::policy_digest(&loaded.value);
    let got = packet
        .get("version_manifest")
        .and_then(|m| m.get("policy_digest"))
        .and_then(serde_json::Value::as_str);
    Ok(match got {
        Some(got) if got == want => None,
        Some(got) => Some(format!(
            "packet `{}` does not match policy pack `{pack}`: version_manifest.policy_digest is {got}, the pack's digest is {want}",
            path.display()
        )),
        None => Some(format!(
            "packet `{}` has no version_manifest.policy_digest to compare with policy pack `{pack}` ({want})",
            path.display()
        )),
    })
}

/// The completion line: `{"ready_for_live_policy_lifecycle": …, "blocker_count": …}` in
/// Python's `json.dumps` default layout.
pub fn completion_line(result: &ReadinessResult) -> String {
    format!(
        "{{\"ready_for_live_policy_lifecycle\": {}, \"blocker_count\": {}}}",
        result.ready_for_live_policy_lifecycle, result.blocker_count
    )
}

fn readiness_text(result: &ReadinessResult) -> String {
    let mut out = completion_line(result);
    out.push('\n');
    for check in &result.checks {
        let label = match check.status {
            CheckStatus::Pass => continue,
            CheckStatus::Blocker => "blocker",
            CheckStatus::Warn => "warning",
        };
        out.push_str(&format!("{label}: {}: {}", check.name, check.message));
        if let Some(detail) = &check.detail {
            out.push_str(&format!(" ({detail})"));
        }
        out.push('\n');
    }
    out
}

/// The exit code once the output is written: `passed` (CAVRA's rule, for a packet) and the
/// `--policy-pack` cross-check, whose failure goes to stderr after the result.
fn gate_with_cross_check(passed: bool, mismatch: Option<String>) -> ExitCode {
    if let Some(mismatch) = &mismatch {
        note(&format!("gate failed: {mismatch}"));
    }
    gate(passed && mismatch.is_none())
}

/// `cavra policy lifecycle-readiness`.
pub fn lifecycle_readiness(args: ReadinessArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("lifecycle-readiness", &[Format::Text, Format::Json])?;
    let packet = read_packet(&args.packet)?;
    let mismatch = match &args.policy_pack {
        Some(pack) => cross_check(&packet, &args.packet, &args.root.policy_root, pack)?,
        None => None,
    };
    let result = validate_packet(&packet, args.require_live);
    match format {
        Format::Json => print(&python_pretty(&serde_json::to_value(&result)?))?,
        _ => print(&readiness_text(&result))?,
    }
    Ok(gate_with_cross_check(
        result.passes(args.require_live),
        mismatch,
    ))
}

/// `cavra policy validate-lifecycle`.
pub fn validate_lifecycle(args: ValidateArgs, format: Format) -> anyhow::Result<ExitCode> {
    json_only("validate-lifecycle", format)?;
    if let Some(path) = &args.output {
        check_output_path("--output", path)?;
    }
    if let Some(dir) = &args.export_dir {
        check_output_path("--export-dir", dir)?;
    }
    let root = &args.root.policy_root;
    let mut mismatch = None;
    let (document, passed) = if let Some(path) = &args.packet {
        let packet = read_packet(path)?;
        mismatch = match &args.policy_pack {
            Some(pack) => cross_check(&packet, path, root, pack)?,
            None => None,
        };
        let result = validate_packet(&packet, args.require_live);
        let passed = result.passes(args.require_live);
        (serde_json::to_value(&result)?, passed)
    } else {
        let label = args.policy_pack.as_deref().unwrap_or(DEFAULT_POLICY_PACK);
        let policy: LoadedPack = match &args.policy_file {
            Some(path) => load_file(path, Some(label))?,
            None => load_pack(root, label)?,
        };
        let previous = match (&args.previous_policy_file, &args.previous_policy_pack) {
            (Some(path), _) => Some(load_file(path, None)?),
            (None, Some(name)) => Some(load_pack(root, name)?),
            (None, None) => None,
        };
        let actions = args
            .sample_actions
            .as_deref()
            .map(load_fixtures)
            .transpose()?;
        if args.lint {
            let report = lifecycle::lint::lint_report(&policy.value);
            let passed = report.blocker_count == 0;
            (serde_json::to_value(&report)?, passed)
        } else if args.dry_run {
            let report =
                lifecycle::dry_run::build_dry_run_report(&policy.value, actions.as_deref(), label);
            let passed = report.passed;
            (serde_json::to_value(&report)?, passed)
        } else {
            let mut input = PlanInput::new(&policy.value, plan_timestamps()?);
            input.previous = previous.as_ref().map(|p| &p.value);
            input.policy_pack = Some(label);
            input.requested_by = &args.requested_by;
            input.source_ref = &args.source_ref;
            input.review_workflow_ref = &args.review_workflow_ref;
            input.actions = actions.as_deref();
            let plan = build_plan(&input);
            match &args.export_dir {
                Some(dir) => {
                    let export = export_plan(&plan, &dir.to_string_lossy());
                    for file in &export.files {
                        write_file(&dir.join(file.file_name), &file.contents)?;
                    }
                    (serde_json::to_value(&export.export_map)?, true)
                }
                None => (plan_json(&plan), true),
            }
        }
    };
    let text = python_pretty(&document);
    match &args.output {
        Some(path) => {
            write_file(path, &text)?;
            print(&format!(
                "Policy lifecycle validation written: {}\n",
                python_path(&path.to_string_lossy())
            ))?;
        }
        None => print(&text)?,
    }
    Ok(gate_with_cross_check(passed, mismatch))
}
