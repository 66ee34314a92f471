//! `cavra policy diff`: semantic diff, decision impact and text diff of two packs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use lifecycle::json::python_pretty;
use serde_json::json;

use super::RootArg;
use crate::cli::format::text::paint;
use crate::cli::output::{color_enabled, display_path, gate, print, Format};
use crate::cli::pack::{load_file, load_pack, LoadedPack};

pub(super) const DIFF_HELP: &str = "\
Prints CAVRA's semantic diff (dotted paths added, removed, changed), the decision impact (probe
requests whose outcome flips) and a unified diff of the two files.

Examples:
  cavra policy diff --from cavra-terraform-prod --to cavra-ai-agent-baseline
  cavra policy diff --from-file old/policy.yaml \\
      --to-file policies/cavra-starter/policy.yaml --format json
  cavra policy diff --from cavra-ai-agent-baseline --to cavra-starter --fail-on-impact

Exit codes: 0 ok (1 with --fail-on-impact when a decision flips), 2 usage or input error.";

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
