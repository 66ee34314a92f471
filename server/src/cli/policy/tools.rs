//! `lint`, `digest`, `diff`, `simulate`, `dry-run` and `schema`: the everyday pack tools.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use lifecycle::decide::{CompiledPolicy, RequestBuf};
use lifecycle::diagnostic::{Diagnostic, Severity};
use lifecycle::dry_run::{build_dry_run_report, DryRunReport};
use lifecycle::json::python_pretty;
use serde_json::json;

use super::RootArg;
use crate::cli::format::junit::{self, Case, Failure, Suite};
use crate::cli::format::sarif::{sarif_log, LintedFile};
use crate::cli::format::text::{paint, render_diagnostics};
use crate::cli::output::{
    check_output_path, color_enabled, gate, note, print, read_text, write_file, Format,
};
use crate::cli::pack::{
    check_pack_name, list_packs, load_file, load_fixtures, load_pack, pack_file, LoadedPack,
    CASES_FILE,
};

pub(super) const LINT_HELP: &str = "\
Lints each pack's policy.yaml (default: every pack under the policy root) and prints positioned
diagnostics with the source line. Colour follows the terminal; NO_COLOR turns it off.

Examples:
  cavra policy lint
  cavra policy lint --policy-pack cavra-ai-agent-baseline --format json
  cavra policy lint --format sarif > dist/policy-lint.sarif
  cavra policy lint --format junit > dist/policy-lint.junit.xml
  cavra policy lint --explain LC023

Exit codes: 0 no blockers (warnings allowed), 1 blockers found, 2 usage or input error.";

pub(super) const DIGEST_HELP: &str = "\
The digest is CAVRA's policy_content_digest: sha256 of the canonical JSON of the loaded pack
(after the inherits merge), not of the file bytes.

Examples:
  cavra policy digest --policy-pack cavra-ai-agent-baseline
  cavra policy digest --format json

Exit codes: 0 ok, 2 usage or input error.";

pub(super) const DIFF_HELP: &str = "\
Prints CAVRA's semantic diff (dotted paths added, removed, changed), the decision impact (probe
requests whose outcome flips) and a unified diff of the two files.

Examples:
  cavra policy diff --from cavra-terraform-prod --to cavra-ai-agent-baseline
  cavra policy diff --from-file old/policy.yaml \\
      --to-file policies/cavra-starter/policy.yaml --format json
  cavra policy diff --from cavra-ai-agent-baseline --to cavra-starter --fail-on-impact

Exit codes: 0 ok (1 with --fail-on-impact when a decision flips), 2 usage or input error.";

pub(super) const SIMULATE_HELP: &str = "\
Examples:
  cavra policy simulate --policy-pack cavra-ai-agent-baseline --action read_file --target .env
  cavra policy simulate --action execute_command --target 'terraform apply' --expect block
  cavra policy simulate --format json \\
      --request-json '{\"action_type\": \"mcp_tool_call\", \"server\": \"unknown\"}'

Exit codes: 0 decided (and matched --expect), 1 --expect mismatch, 2 usage or input error.";

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

pub(super) const SCHEMA_HELP: &str = "\
Examples:
  cavra policy schema
  cavra policy schema policy-lifecycle-readiness-packet.schema.json
  cavra policy schema --out-dir dist/schemas

Exit codes: 0 ok, 2 usage or input error (unknown schema name).";

/// Which packs a command works on: names, files, or (neither given) every pack under the root.
#[derive(Debug, Args)]
pub struct Selection {
    /// A pack by name (repeatable); default: every pack under the policy root.
    #[arg(long = "policy-pack", value_name = "PACK")]
    pub policy_pack: Vec<String>,
    /// A policy file (repeatable), loaded without inherits resolution.
    #[arg(long = "policy-file", value_name = "FILE")]
    pub policy_file: Vec<PathBuf>,
    #[command(flatten)]
    pub root: RootArg,
}

enum Target {
    Pack(String),
    File(PathBuf),
}

impl Selection {
    fn targets(&self, extra_files: &[PathBuf]) -> anyhow::Result<Vec<Target>> {
        let mut targets: Vec<Target> = Vec::new();
        for name in &self.policy_pack {
            check_pack_name(name)?;
            targets.push(Target::Pack(name.clone()));
        }
        for path in self.policy_file.iter().chain(extra_files) {
            targets.push(Target::File(path.clone()));
        }
        if targets.is_empty() {
            let names = list_packs(&self.root.policy_root)?;
            if names.is_empty() {
                bail!(
                    "no policy packs under `{}` (expected `<pack>/policy.yaml`)",
                    self.root.policy_root.display()
                );
            }
            targets = names.into_iter().map(Target::Pack).collect();
        }
        Ok(targets)
    }

    fn load_all(&self) -> anyhow::Result<Vec<LoadedPack>> {
        self.targets(&[])?
            .into_iter()
            .map(|target| match target {
                Target::Pack(name) => load_pack(&self.root.policy_root, &name),
                Target::File(path) => load_file(&path, None),
            })
            .collect()
    }
}

/// A path for humans and SARIF: `/` separators, no leading `./`.
fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map_or(text.clone(), str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// lint

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
}

impl LintedPack {
    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

fn lint_targets(args: &LintArgs) -> anyhow::Result<Vec<LintedPack>> {
    let root = &args.selection.root.policy_root;
    let mut linted = Vec::new();
    for target in args.selection.targets(&args.files)? {
        let (name, path, cavra_value) = match &target {
            Target::Pack(name) => {
                let path = pack_file(root, name);
                if !path.is_file() {
                    // The same one-line error as every other command.
                    load_pack(root, name)?;
                }
                // CAVRA lints the loaded pack (after the inherits merge).
                let value = load_pack(root, name).ok().map(|p| p.value);
                (name.clone(), path, value)
            }
            Target::File(path) => (String::new(), path.clone(), None),
        };
        let source = read_text("policy file", &path)?;
        let outcome = lifecycle::lint::lint_source(&source);
        let name = if name.is_empty() {
            outcome.value.as_ref().map_or_else(
                || crate::cli::pack::file_label(&path, &lifecycle::value::Value::Null),
                |value| crate::cli::pack::file_label(&path, value),
            )
        } else {
            name
        };
        let cavra_report = match cavra_value {
            Some(value) => Some(lifecycle::lint::lint_report(&value)),
            None => outcome.report.clone(),
        };
        linted.push(LintedPack {
            name,
            path: display_path(&path),
            source,
            diagnostics: outcome.diagnostics,
            cavra_report,
        });
    }
    Ok(linted)
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
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
        let status = if counts[0] > 0 {
            paint("FAIL", "red", color)
        } else {
            paint("ok", "green", color)
        };
        out.push_str(&format!(
            "{status} {}: {}, {}, {}\n",
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
            Ok(json!({
                "policy_pack": pack.name,
                "path": pack.path,
                "blocker_count": pack.count(Severity::Blocker),
                "warning_count": pack.count(Severity::Warning),
                "info_count": pack.count(Severity::Info),
                "diagnostics": serde_json::to_value(&pack.diagnostics)?,
                "cavra_report": serde_json::to_value(&pack.cavra_report)?,
            }))
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
            let mut cases: Vec<Case> = pack
                .diagnostics
                .iter()
                .map(|d| {
                    let position = d
                        .span
                        .map(|s| format!("{}:{}:{}", pack.path, s.line, s.col))
                        .unwrap_or_else(|| pack.path.clone());
                    let rendered = render_diagnostics(
                        std::slice::from_ref(d),
                        &pack.source,
                        &pack.path,
                        false,
                    );
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
                .map(|pack| LintedFile {
                    path: &pack.path,
                    source: &pack.source,
                    diagnostics: &pack.diagnostics,
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&sarif_log(&files))?;
            text.push('\n');
            print(&text)?;
        }
    }
    Ok(gate(blockers == 0))
}

// ---------------------------------------------------------------------------------------------
// digest

/// Options of `cavra policy digest`.
#[derive(Debug, Args)]
pub struct DigestArgs {
    #[command(flatten)]
    pub selection: Selection,
}

/// `cavra policy digest`.
pub fn digest(args: DigestArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("digest", &[Format::Text, Format::Json])?;
    let packs = args.selection.load_all()?;
    match format {
        Format::Json => {
            let entries: Vec<serde_json::Value> = packs
                .iter()
                .map(|pack| {
                    json!({
                        "policy_pack": pack.name,
                        "path": display_path(&pack.path),
                        "policy_digest": lifecycle::digest::policy_digest(&pack.value),
                        "short_digest": lifecycle::digest::short_digest(&pack.value),
                    })
                })
                .collect();
            print(&python_pretty(&json!({
                "schema_version": "cavra-lifecycle.digest.v1",
                "packs": entries,
            })))?;
        }
        _ => {
            let mut out = String::new();
            for pack in &packs {
                out.push_str(&format!(
                    "{}  {}\n",
                    lifecycle::digest::policy_digest(&pack.value),
                    pack.name
                ));
            }
            print(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// diff

/// Options of `cavra policy diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old pack.
    #[arg(
        long,
        value_name = "PACK",
        required_unless_present = "from_file",
        conflicts_with = "from_file"
    )]
    pub from: Option<String>,
    /// The new pack.
    #[arg(
        long,
        value_name = "PACK",
        required_unless_present = "to_file",
        conflicts_with = "to_file"
    )]
    pub to: Option<String>,
    /// The old policy as a file (no inherits resolution).
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// The new policy as a file (no inherits resolution).
    #[arg(long, value_name = "FILE")]
    pub to_file: Option<PathBuf>,
    #[command(flatten)]
    pub root: RootArg,
    /// Exit 1 when any probe request changes outcome.
    #[arg(long)]
    pub fail_on_impact: bool,
}

fn load_side(
    root: &Path,
    name: Option<&String>,
    file: Option<&PathBuf>,
) -> anyhow::Result<LoadedPack> {
    match (name, file) {
        (Some(name), _) => load_pack(root, name),
        (None, Some(path)) => load_file(path, None),
        (None, None) => {
            bail!("give a pack (`--from`/`--to`) or a file (`--from-file`/`--to-file`)")
        }
    }
}

/// `cavra policy diff`.
pub fn diff(args: DiffArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("diff", &[Format::Text, Format::Json])?;
    let root = &args.root.policy_root;
    let from = load_side(root, args.from.as_ref(), args.from_file.as_ref())?;
    let to = load_side(root, args.to.as_ref(), args.to_file.as_ref())?;
    let semantic = lifecycle::diff::semantic_diff(&from.value, &to.value);
    let impact = lifecycle::diff::decision_impact(&from.value, &to.value);
    let from_label = display_path(&from.path);
    let to_label = display_path(&to.path);
    let text_diff =
        lifecycle::diff::unified_text_diff(&from.source, &to.source, &from_label, &to_label);
    match format {
        Format::Json => {
            let side = |pack: &LoadedPack| {
                json!({
                    "policy_pack": pack.name,
                    "path": display_path(&pack.path),
                    "policy_digest": lifecycle::digest::policy_digest(&pack.value),
                })
            };
            print(&python_pretty(&json!({
                "schema_version": "cavra-lifecycle.policy-diff.v1",
                "from": side(&from),
                "to": side(&to),
                "semantic_diff": serde_json::to_value(&semantic)?,
                "decision_impact": serde_json::to_value(&impact)?,
                "text_diff": text_diff,
            })))?;
        }
        _ => {
            let color = color_enabled();
            let mut out = format!(
                "{}\n",
                paint(
                    &format!("semantic diff {} -> {}", from.name, to.name),
                    "bold",
                    color
                )
            );
            if semantic.is_empty() {
                out.push_str("  no semantic changes\n");
            }
            for (label, paths, style) in [
                ("added", &semantic.added, "green"),
                ("removed", &semantic.removed, "red"),
                ("changed", &semantic.changed, "yellow"),
            ] {
                for path in paths {
                    out.push_str(&format!("  {} {path}\n", paint(label, style, color)));
                }
            }
            out.push_str(&format!(
                "\n{}\n",
                paint(
                    &format!(
                        "decision impact: {} of {} probe requests change outcome",
                        impact.flip_count, impact.request_count
                    ),
                    "bold",
                    color
                )
            ));
            const SHOWN: usize = 25;
            for flip in impact.flips.iter().take(SHOWN) {
                let request = &flip.request;
                let subject = if request.action_type == "mcp_tool_call" {
                    format!("{} {}", request.server, request.tool)
                } else if request.action_type == "execute_command"
                    && request.requested_operation != request.target
                {
                    format!("{} ({})", request.target, request.requested_operation)
                } else {
                    request.target.clone()
                };
                let side = |d: &lifecycle::diff::SideDecision| {
                    let pattern = d
                        .matched_pattern
                        .as_deref()
                        .map(|p| format!(" `{p}`"))
                        .unwrap_or_default();
                    format!("{} [{}{pattern}]", d.decision.as_str(), d.rule_id.as_str())
                };
                out.push_str(&format!(
                    "  {} {subject:?}: {} -> {}\n",
                    request.action_type,
                    side(&flip.before),
                    side(&flip.after)
                ));
            }
            if impact.flips.len() > SHOWN {
                out.push_str(&format!(
                    "  … and {} more (`--format json` lists them all)\n",
                    impact.flips.len() - SHOWN
                ));
            }
            out.push_str(&format!("\n{}\n", paint("text diff", "bold", color)));
            if text_diff.is_empty() {
                out.push_str("  files are identical\n");
            } else {
                for line in text_diff.lines() {
                    let style = if line.starts_with("+++") || line.starts_with("---") {
                        "bold"
                    } else if line.starts_with('+') {
                        "green"
                    } else if line.starts_with('-') {
                        "red"
                    } else {
                        ""
                    };
                    if style.is_empty() {
                        out.push_str(line);
                    } else {
                        out.push_str(&paint(line, style, color));
                    }
                    out.push('\n');
                }
            }
            print(&out)?;
        }
    }
    Ok(gate(!(args.fail_on_impact && impact.flip_count > 0)))
}

// ---------------------------------------------------------------------------------------------
// simulate

/// Options of `cavra policy simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The pack to decide with.
    #[arg(long, value_name = "PACK", conflicts_with = "policy_file")]
    pub policy_pack: Option<String>,
    /// A policy file instead (no inherits resolution).
    #[arg(long, value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
    #[command(flatten)]
    pub root: RootArg,
    /// `read_file`, `write_file`, `execute_command`, `git_operation` or `mcp_tool_call`.
    #[arg(long, value_name = "ACTION", required_unless_present = "request_json")]
    pub action: Option<String>,
    /// The path, command, branch or MCP target.
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,
    /// The requested operation (default: the target).
    #[arg(long, value_name = "OP")]
    pub operation: Option<String>,
    /// The MCP server (default: the target's prefix before `:`).
    #[arg(long)]
    pub server: Option<String>,
    /// The MCP tool.
    #[arg(long)]
    pub tool: Option<String>,
    /// The MCP capability.
    #[arg(long)]
    pub capability: Option<String>,
    /// The whole request as CAVRA's input JSON (or `@file.json`).
    #[arg(long, value_name = "JSON", conflicts_with_all = ["action", "target", "operation", "server", "tool", "capability"])]
    pub request_json: Option<String>,
    /// Exit 1 unless the decision is this (`allow`, `block`, `require_approval`).
    #[arg(long, value_name = "DECISION", value_parser = ["allow", "block", "require_approval"])]
    pub expect: Option<String>,
}

fn simulate_request(args: &SimulateArgs) -> anyhow::Result<serde_json::Value> {
    if let Some(text) = &args.request_json {
        let (what, body) = match text.strip_prefix('@') {
            Some(path) => (
                format!("request file `{path}`"),
                read_text("request file", Path::new(path))?,
            ),
            None => ("--request-json".to_owned(), text.clone()),
        };
        let request: serde_json::Value =
            serde_json::from_str(&body).with_context(|| format!("{what} is not valid JSON"))?;
        if !request.is_object() {
            bail!("{what} must be a JSON object such as {{\"action_type\": \"read_file\", \"target\": \".env\"}}");
        }
        return Ok(request);
    }
    let mut map = serde_json::Map::new();
    let fields = [
        ("action_type", &args.action),
        ("target", &args.target),
        ("requested_operation", &args.operation),
        ("server", &args.server),
        ("tool", &args.tool),
        ("capability", &args.capability),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            map.insert(key.to_owned(), json!(value));
        }
    }
    Ok(serde_json::Value::Object(map))
}

/// `cavra policy simulate`.
pub fn simulate(args: SimulateArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("simulate", &[Format::Text, Format::Json])?;
    let pack = match &args.policy_file {
        Some(path) => load_file(path, None)?,
        None => load_pack(
            &args.root.policy_root,
            args.policy_pack
                .as_deref()
                .unwrap_or(lifecycle::plan::DEFAULT_POLICY_PACK),
        )?,
    };
    let request = RequestBuf::from_json(&simulate_request(&args)?);
    let decision = CompiledPolicy::from_value(&pack.value).decide(&request.as_request());
    let outcome = decision.decision.as_str();
    match format {
        Format::Json => print(&python_pretty(&json!({
            "schema_version": "cavra-lifecycle.simulation.v1",
            "policy_pack": pack.name,
            "policy_digest": lifecycle::digest::policy_digest(&pack.value),
            "input": request.to_cavra_input(),
            "decision": decision.to_cavra_json(),
            "matched_pattern": decision.matched_pattern.as_deref(),
        })))?,
        _ => {
            let color = color_enabled();
            let style = match outcome {
                "allow" => "green",
                "block" => "red",
                _ => "yellow",
            };
            let mut out = format!(
                "{} {} ({})\n",
                paint(outcome, style, color),
                decision.rule_id.as_str(),
                decision.severity.as_str()
            );
            out.push_str(&format!("reason: {}\n", decision.reason));
            if let Some(group) = decision.approver_group {
                out.push_str(&format!("approver group: {}\n", group.as_str()));
            }
            if let Some(pattern) = &decision.matched_pattern {
                out.push_str(&format!("matched pattern: `{pattern}`\n"));
            }
            out.push_str(&format!(
                "policy: {} {}\n",
                pack.name,
                lifecycle::digest::short_digest(&pack.value)
            ));
            print(&out)?;
        }
    }
    match &args.expect {
        Some(want) if want != outcome => {
            note(&format!("expected {want}, got {outcome}"));
            Ok(gate(false))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

// ---------------------------------------------------------------------------------------------
// dry-run

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
        let own_cases = pack
            .path
            .parent()
            .map(|dir| dir.join(CASES_FILE))
            .filter(|path| path.is_file());
        let (cases, fixtures) = match (&shared, &args.cases, own_cases) {
            _ if args.default_cases => ("default".to_owned(), None),
            (Some(fixtures), Some(path), _) => (display_path(path), Some(fixtures.clone())),
            (_, _, Some(path)) => (display_path(&path), Some(load_fixtures(&path)?)),
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
        let status = if report.passed {
            paint("PASS", "green", color)
        } else {
            paint("FAIL", "red", color)
        };
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

// ---------------------------------------------------------------------------------------------
// schema

/// Options of `cavra policy schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print only this schema (a file name as listed).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Write every schema into this directory.
    #[arg(long, value_name = "DIR", conflicts_with = "name")]
    pub out_dir: Option<PathBuf>,
}

fn schema_text(schema: &serde_json::Value) -> anyhow::Result<String> {
    // The same layout as `lifecycle/schemas/*.json`.
    Ok(serde_json::to_string_pretty(schema)? + "\n")
}

/// `cavra policy schema`.
pub fn schema(args: SchemaArgs, format: Format) -> anyhow::Result<ExitCode> {
    let format = format.require("schema", &[Format::Text, Format::Json])?;
    let schemas = lifecycle::schema::schemas();
    if let Some(dir) = &args.out_dir {
        check_output_path("--out-dir", dir)?;
        let mut out = String::new();
        for (name, schema) in &schemas {
            let path = dir.join(name);
            write_file(&path, &schema_text(schema)?)?;
            out.push_str(&format!("wrote {}\n", display_path(&path)));
        }
        print(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = &args.name {
        let Some((_, schema)) = schemas
            .iter()
            .find(|(n, _)| n == name || n.trim_end_matches(".schema.json") == name)
        else {
            let names: Vec<&str> = schemas.iter().map(|(n, _)| *n).collect();
            bail!("unknown schema `{name}` (known: {})", names.join(", "));
        };
        print(&schema_text(schema)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    match format {
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = schemas
                .into_iter()
                .map(|(name, schema)| (name.to_owned(), schema))
                .collect();
            print(&schema_text(&serde_json::Value::Object(map))?)?;
        }
        _ => {
            let mut out = String::new();
            for (name, _) in &schemas {
                out.push_str(name);
                out.push('\n');
            }
            print(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
