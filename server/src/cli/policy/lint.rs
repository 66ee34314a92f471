//! `cavra policy lint`: positioned diagnostics as text, JSON, JUnit or SARIF, and the rule
//! documentation (`--explain`, `--list-rules`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use lifecycle::diagnostic::{Diagnostic, Severity};
use lifecycle::json::python_pretty;
use serde_json::json;

use super::select::{Selection, Target};
use crate::cli::format::junit::{self, Case, Failure, Suite};
use crate::cli::format::sarif::{sarif_log, LintedFile};
use crate::cli::format::text::{pass_fail, render_diagnostics};
use crate::cli::output::{color_enabled, display_path, gate, plural, print, read_text, Format};
use crate::cli::pack::{load_pack, pack_file, read_under_root, OutsideRoot, CASES_FILE};

pub(super) const LINT_HELP: &str = "\
Lints each pack's policy.yaml (default: every pack under the policy root) and prints positioned
diagnostics with the source line. When a cases.yaml next to the policy declares invariants
(must_block, must_allow, must_require_approval), each is proved for the loaded pack and a
failure is shown on the invariant with a counterexample. Colour follows the terminal; NO_COLOR
turns it off.

Examples:
  cavra policy lint
  cavra policy lint --policy-pack cavra-ai-agent-baseline --format json
  cavra policy lint --format sarif > dist/policy-lint.sarif
  cavra policy lint --format junit > dist/policy-lint.junit.xml
  cavra policy lint --explain LC023

Exit codes: 0 no blockers (warnings allowed), 1 blockers found, 2 usage or input error.";

/// Options of `cavra policy lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Policy files to lint (in addition to `--policy-pack`/`--policy-file`).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: Selection,
    /// Print the documentation of a rule (`LC023` or `shadowed-allow`) and exit.
    #[arg(long, value_name = "CODE", conflicts_with_all = ["files", "list_rules"])]
    pub explain: Option<String>,
    /// List every rule and exit.
    #[arg(long)]
    pub list_rules: bool,
}

struct LintedPack {
    name: String,
    path: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
    cavra_report: Option<lifecycle::lint::LintReport>,
    /// The `cases.yaml` beside the policy, when it declares invariants (or fails to).
    cases: Option<LintedCases>,
}

/// A pack's `cases.yaml`: its invariants' declaration problems and failed proofs.
struct LintedCases {
    path: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
    report: lifecycle::invariants::InvariantReport,
}

impl LintedPack {
    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .chain(self.cases.iter().flat_map(|c| c.diagnostics.iter()))
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Proves the invariants of the `cases.yaml` next to `policy_path`, if there is one that
/// declares any (or declares them wrongly).
fn lint_cases(
    policy_path: &std::path::Path,
    source: &str,
    value: Option<&lifecycle::value::Value>,
) -> anyhow::Result<Option<LintedCases>> {
    let Some(path) = policy_path
        .parent()
        .map(|dir| dir.join(CASES_FILE))
        .filter(|p| p.is_file())
    else {
        return Ok(None);
    };
    let cases = read_text("cases file", &path)?;
    let root = lifecycle::model::parse_policy(source).root;
    let empty = lifecycle::value::Value::Map(Vec::new());
    let linted = lifecycle::invariants::lint_cases(
        &cases,
        value.unwrap_or(&empty),
        root.as_ref(),
        lifecycle::invariants::GATE_STATE_BUDGET,
    );
    if linted.parsed.invariants.is_empty() && linted.diagnostics.is_empty() {
        return Ok(None);
    }
    Ok(Some(LintedCases {
        path: display_path(&path),
        source: cases,
        diagnostics: linted.diagnostics,
        report: linted.report,
    }))
}

fn lint_targets(args: &LintArgs) -> anyhow::Result<Vec<LintedPack>> {
    let root = &args.selection.root.policy_root;
    let mut linted = Vec::new();
    for target in args.selection.targets(&args.files)? {
        let (name, path, cavra_value, source) = match &target {
            Target::Pack(name) => {
                let path = pack_file(root, name);
                if !path.is_file() {
                    // The same one-line error as every other command.
                    load_pack(root, name)?;
                }
                // CAVRA lints the loaded pack (after the inherits merge); a pack that does not
                // load is linted from its own text, but one whose files lead outside the root is
                // refused unread (never printed in a code frame).
                let value = match load_pack(root, name) {
                    Ok(pack) => Some(pack.value),
                    Err(error) if error.is::<OutsideRoot>() => return Err(error),
                    Err(_) => None,
                };
                let source = read_under_root("policy file", root, &path)?;
                (name.clone(), path, value, source)
            }
            Target::File(path) => (
                String::new(),
                path.clone(),
                None,
                read_text("policy file", path)?,
            ),
        };
        let outcome = lifecycle::lint::lint_source(&source);
        let name = if name.is_empty() {
            outcome.value.as_ref().map_or_else(
                || crate::cli::pack::file_label(&path, &lifecycle::value::Value::Null),
                |value| crate::cli::pack::file_label(&path, value),
            )
        } else {
            name
        };
        let cavra_report = match &cavra_value {
            Some(value) => Some(lifecycle::lint::lint_report(value)),
            None => outcome.report.clone(),
        };
        // Invariants are proved on what the evaluator runs: the loaded pack (inherits merged).
        let cases = lint_cases(
            &path,
            &source,
            cavra_value.as_ref().or(outcome.value.as_ref()),
        )?;
        linted.push(LintedPack {
            name,
            path: display_path(&path),
            source,
            diagnostics: outcome.diagnostics,
            cavra_report,
            cases,
        });
    }
    Ok(linted)
}

fn lint_text(packs: &[LintedPack], color: bool) -> String {
    let mut out = String::new();
    for pack in packs {
        if !pack.diagnostics.is_empty() {
            out.push_str(&render_diagnostics(
                &pack.diagnostics,
                &pack.source,
                &pack.path,
                color,
            ));
            out.push('\n');
        }
        if let Some(cases) = pack.cases.as_ref().filter(|c| !c.diagnostics.is_empty()) {
            out.push_str(&render_diagnostics(
                &cases.diagnostics,
                &cases.source,
                &cases.path,
                color,
            ));
            out.push('\n');
        }
    }
    let mut totals = [0usize; 3];
    for pack in packs {
        let counts = [
            pack.count(Severity::Blocker),
            pack.count(Severity::Warning),
            pack.count(Severity::Info),
        ];
        for (total, count) in totals.iter_mut().zip(counts) {
            *total += count;
        }
        let status = pass_fail(counts[0] == 0, "ok", color);
        let proofs = pack
            .cases
            .as_ref()
            .map(|c| {
                format!(
                    " (invariants: {} of {} proved)",
                    c.report.proved_count, c.report.invariant_count
                )
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "{status} {}: {}, {}, {}{proofs}\n",
            pack.path,
            plural(counts[0], "blocker"),
            plural(counts[1], "warning"),
            plural(counts[2], "note")
        ));
    }
    out.push_str(&format!(
        "linted {}: {}, {}, {}\n",
        plural(packs.len(), "file"),
        plural(totals[0], "blocker"),
        plural(totals[1], "warning"),
        plural(totals[2], "note")
    ));
    out
}

fn lint_json(packs: &[LintedPack]) -> anyhow::Result<serde_json::Value> {
    let files = packs
        .iter()
        .map(|pack| {
            let mut file = json!({
                "policy_pack": pack.name,
                "path": pack.path,
                "blocker_count": pack.count(Severity::Blocker),
                "warning_count": pack.count(Severity::Warning),
                "info_count": pack.count(Severity::Info),
                "diagnostics": serde_json::to_value(&pack.diagnostics)?,
                "cavra_report": serde_json::to_value(&pack.cavra_report)?,
            });
            if let Some(cases) = &pack.cases {
                file["cases"] = json!({
                    "path": cases.path,
                    "diagnostics": serde_json::to_value(&cases.diagnostics)?,
                    "invariants": serde_json::to_value(&cases.report)?,
                });
            }
            Ok(file)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let blockers: usize = packs.iter().map(|p| p.count(Severity::Blocker)).sum();
    let warnings: usize = packs.iter().map(|p| p.count(Severity::Warning)).sum();
    Ok(json!({
        "schema_version": "cavra-lifecycle.lint-result.v1",
        "valid": blockers == 0,
        "blocker_count": blockers,
        "warning_count": warnings,
        "files": files,
    }))
}

fn lint_junit(packs: &[LintedPack]) -> String {
    let suites: Vec<Suite> = packs
        .iter()
        .map(|pack| {
            let classname = format!("cavra.policy.lint.{}", pack.name);
            let files = std::iter::once((&pack.diagnostics, &pack.source, &pack.path)).chain(
                pack.cases
                    .iter()
                    .map(|c| (&c.diagnostics, &c.source, &c.path)),
            );
            let mut cases: Vec<Case> = files
                .flat_map(|(diagnostics, source, path)| {
                    diagnostics.iter().map(move |d| (d, source, path))
                })
                .map(|(d, source, path)| {
                    let position = d
                        .span
                        .map(|s| format!("{path}:{}:{}", s.line, s.col))
                        .unwrap_or_else(|| path.clone());
                    let rendered = render_diagnostics(std::slice::from_ref(d), source, path, false);
                    let name = format!("{} {} at {position}", d.code, d.name);
                    if d.is_blocker() {
                        Case {
                            classname: classname.clone(),
                            name,
                            failure: Some(Failure {
                                kind: d.severity.as_str().to_owned(),
                                message: d.message.clone(),
                                body: rendered,
                            }),
                            system_out: None,
                        }
                    } else {
                        Case {
                            classname: classname.clone(),
                            name,
                            failure: None,
                            system_out: Some(rendered),
                        }
                    }
                })
                .collect();
            if cases.is_empty() {
                cases.push(Case {
                    classname: classname.clone(),
                    name: format!("{} is clean", pack.path),
                    ..Case::default()
                });
            }
            Suite {
                name: pack.path.clone(),
                cases,
            }
        })
        .collect();
    junit::render("cavra policy lint", &suites)
}

/// `cavra policy lint`.
pub fn lint(args: LintArgs, format: Format) -> anyhow::Result<ExitCode> {
    if let Some(code) = &args.explain {
        let Some(doc) = lifecycle::lint::explain(code) else {
            let codes: Vec<&str> = lifecycle::lint::rules().iter().map(|r| r.code).collect();
            bail!("unknown lint rule `{code}` (known: {})", codes.join(", "));
        };
        print(doc)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.list_rules {
        let mut out = String::new();
        for rule in lifecycle::lint::rules() {
            out.push_str(&format!(
                "{} {:<30} {:<8} {}\n",
                rule.code,
                rule.name,
                rule.severity.as_str(),
                rule.summary
            ));
        }
        print(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let packs = lint_targets(&args)?;
    let blockers: usize = packs.iter().map(|p| p.count(Severity::Blocker)).sum();
    match format {
        Format::Text => print(&lint_text(&packs, color_enabled()))?,
        Format::Json => print(&python_pretty(&lint_json(&packs)?))?,
        Format::Junit => print(&lint_junit(&packs))?,
        Format::Sarif => {
            let files: Vec<LintedFile<'_>> = packs
                .iter()
                .flat_map(|pack| {
                    let cases = pack.cases.iter().map(|c| LintedFile {
                        path: &c.path,
                        source: &c.source,
                        diagnostics: &c.diagnostics,
                    });
                    std::iter::once(LintedFile {
                        path: &pack.path,
                        source: &pack.source,
                        diagnostics: &pack.diagnostics,
                    })
                    .chain(cases)
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&sarif_log(&files))?;
            text.push('\n');
            print(&text)?;
        }
    }
    Ok(gate(blockers == 0))
}
