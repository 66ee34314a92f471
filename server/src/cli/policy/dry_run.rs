//! `cavra policy dry-run`: run packs over their required decisions and report mismatches.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use lifecycle::dry_run::{build_dry_run_report, DryRunReport};
use lifecycle::json::python_pretty;
use serde_json::json;

use super::select::Selection;
use crate::cli::format::junit::{self, Case, Failure, Suite};
use crate::cli::format::text::{paint, pass_fail};
use crate::cli::output::{color_enabled, display_path, gate, plural, print, Format};
use crate::cli::pack::load_fixtures;

pub(super) const DRY_RUN_HELP: &str = "\
Runs each pack (default: every pack under the policy root) over its required decisions:
--cases FILE, else <root>/<pack>/cases.yaml, else CAVRA's six default cases. A dry run passes
when every case matches and CAVRA's six required case ids are present.

Examples:
  cavra policy dry-run
  cavra policy dry-run --policy-pack cavra-github-enterprise --format json
  cavra policy dry-run --format junit > dist/policy-dry-run.junit.xml

Exit codes: 0 every dry run passed, 1 a case failed or required cases are missing, 2 usage or
input error.";

/// Options of `cavra policy dry-run`.
#[derive(Debug, Args)]
pub struct DryRunArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Cases for every selected pack: a cases.yaml or CAVRA's sample-actions JSON.
    #[arg(
        long,
        alias = "sample-actions",
        value_name = "FILE",
        conflicts_with = "default_cases"
    )]
    pub cases: Option<PathBuf>,
    /// Use CAVRA's six default cases even where a pack has a cases.yaml.
    #[arg(long)]
    pub default_cases: bool,
}

struct DryRun {
    cases: String,
    report: DryRunReport,
}

fn dry_runs(args: &DryRunArgs) -> anyhow::Result<Vec<DryRun>> {
    let shared = args.cases.as_deref().map(load_fixtures).transpose()?;
    let mut runs = Vec::new();
    for pack in args.selection.load_all()? {
        let own_cases = pack.own_cases()?;
        let (cases, fixtures) = match (&shared, &args.cases, own_cases) {
            _ if args.default_cases => ("default".to_owned(), None),
            (Some(fixtures), Some(path), _) => (display_path(path), Some(fixtures.clone())),
            (_, _, Some((shown, real))) => (display_path(&shown), Some(load_fixtures(&real)?)),
            _ => ("default".to_owned(), None),
        };
        let report = build_dry_run_report(&pack.value, fixtures.as_deref(), &pack.name);
        runs.push(DryRun { cases, report });
    }
    Ok(runs)
}

fn expected_text(value: &serde_json::Value) -> String {
    lifecycle::decide::python::json_str(value).into_owned()
}

fn missing_required(report: &DryRunReport) -> Vec<&'static str> {
    lifecycle::dry_run::REQUIRED_CASE_IDS
        .iter()
        .copied()
        .filter(|id| !report.results.iter().any(|r| r.case_id == *id))
        .collect()
}

fn dry_run_text(runs: &[DryRun], color: bool) -> String {
    let mut out = String::new();
    for run in runs {
        let report = &run.report;
        let status = pass_fail(report.passed, "PASS", color);
        out.push_str(&format!(
            "{status} {} ({} cases from {}): {} passed, {} failed\n",
            report.policy_pack,
            report.case_count,
            run.cases,
            report.passed_count,
            report.failed_count
        ));
        let width = report
            .results
            .iter()
            .map(|r| r.case_id.len())
            .max()
            .unwrap_or(0);
        for result in &report.results {
            let decision = &result.decision;
            if result.passed {
                out.push_str(&format!(
                    "  {}   {:<width$}  {} [{}]\n",
                    paint("ok", "green", color),
                    result.case_id,
                    decision.decision,
                    decision.rule_id
                ));
            } else {
                out.push_str(&format!(
                    "  {} {:<width$}  expected {}, got {} [{}]\n",
                    paint("FAIL", "red", color),
                    result.case_id,
                    expected_text(&result.expected_decision),
                    decision.decision,
                    decision.rule_id
                ));
            }
        }
        let missing = missing_required(report);
        if !missing.is_empty() {
            out.push_str(&format!(
                "  {} required cases missing: {}\n",
                paint("FAIL", "red", color),
                missing.join(", ")
            ));
        }
    }
    let failed = runs.iter().filter(|r| !r.report.passed).count();
    out.push_str(&format!(
        "dry run: {}, {} passed, {} failed\n",
        plural(runs.len(), "pack"),
        runs.len() - failed,
        failed
    ));
    out
}

fn dry_run_junit(runs: &[DryRun]) -> anyhow::Result<String> {
    let mut suites = Vec::new();
    for run in runs {
        let report = &run.report;
        let classname = format!("cavra.policy.dry-run.{}", report.policy_pack);
        let mut cases = Vec::new();
        for result in &report.results {
            let decision = &result.decision;
            let failure = (!result.passed).then(|| Failure {
                kind: "decision-mismatch".to_owned(),
                message: format!(
                    "expected {}, got {} [{}]",
                    expected_text(&result.expected_decision),
                    decision.decision,
                    decision.rule_id
                ),
                body: format!(
                    "input: {}\nreason: {}",
                    serde_json::to_string(&result.input).unwrap_or_default(),
                    decision.reason
                ),
            });
            cases.push(Case {
                classname: classname.clone(),
                name: result.case_id.clone(),
                failure,
                system_out: None,
            });
        }
        let missing = missing_required(report);
        cases.push(Case {
            classname: classname.clone(),
            name: "required_cases_present".to_owned(),
            failure: (!missing.is_empty()).then(|| Failure {
                kind: "missing-required-cases".to_owned(),
                message: format!("required cases missing: {}", missing.join(", ")),
                body: format!("cases from {}", run.cases),
            }),
            system_out: None,
        });
        suites.push(Suite {
            name: report.policy_pack.clone(),
            cases,
        });
    }
    Ok(junit::render("cavra policy dry-run", &suites))
}

/// `cavra policy dry-run`.
pub fn dry_run(args: DryRunArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("dry-run", &[Format::Text, Format::Json, Format::Junit])?;
    let runs = dry_runs(&args)?;
    let passed = runs.iter().all(|run| run.report.passed);
    match format {
        Format::Json => {
            let reports = runs
                .iter()
                .map(|run| {
                    Ok(json!({
                        "policy_pack": run.report.policy_pack,
                        "cases": run.cases,
                        "report": serde_json::to_value(&run.report)?,
                    }))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            print(&python_pretty(&json!({
                "schema_version": "cavra-lifecycle.dry-run-results.v1",
                "passed": passed,
                "reports": reports,
            })))?;
        }
        Format::Junit => print(&dry_run_junit(&runs)?)?,
        _ => print(&dry_run_text(&runs, color_enabled()))?,
    }
    Ok(gate(passed))
}
